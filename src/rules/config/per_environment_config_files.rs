use syn::Expr;

use crate::diagnostic::Level;
use crate::engine::rust_pass::RustContext;
use crate::facts::env::{EnvironmentValue, ReadKind, is_environment_name};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::rust::string_literal;

pub static META: RuleMeta = RuleMeta {
    id: "per-environment-config-files",
    category: Category::Config,
    default_level: Level::Warn,
    summary: "a configuration file (`config/production.toml`, `.env.staging`) is picked by the environment's name",
    docs: include_str!("../../../rules/config/per-environment-config-files.md"),
    scope: CodeScope::Service,
};

const NOTE: &str = "twelve-factor III: configuration grouped into one file per named environment \
                    does not scale: each new deploy needs a new file in the build, the files \
                    drift apart, and a value that differs per deploy is still fixed in the artifact";

/// Extensions of configuration files.
const CONFIG_EXTENSIONS: &[&str] = &[
    "toml",
    "yaml",
    "yml",
    "json",
    "json5",
    "ron",
    "ini",
    "hjson",
    "env",
    "conf",
    "cfg",
    "properties",
    "corn",
];

/// Directories configuration files live in, for names without an extension
/// (`config::File::with_name("config/production")`).
const CONFIG_DIRECTORIES: &[&str] = &[
    "config",
    "configs",
    "configuration",
    "conf",
    "settings",
    "environments",
    "env",
    "envs",
];

/// Calls that load a configuration file by name, by the end of their resolved path.
const FILE_LOADERS: &[&str] = &[
    "config::File::with_name",
    "config::File::new",
    "config::File::from",
    "dotenvy::from_filename",
    "dotenvy::from_filename_override",
    "dotenvy::from_path",
    "dotenvy::from_path_override",
    "dotenvy::from_filename_iter",
    "dotenv::from_filename",
    "dotenv::from_path",
    "figment::providers::Toml::file",
    "figment::providers::Yaml::file",
    "figment::providers::Json::file",
    "std::fs::read_to_string",
    "std::fs::File::open",
    "tokio::fs::read_to_string",
];

/// Stands for the environment's name inside a path template.
const MARKER: char = '\u{0}';

pub struct PerEnvironmentConfigFiles;

impl Rule for PerEnvironmentConfigFiles {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        match expr {
            Expr::Macro(mac) => {
                let name = mac.mac.path.segments.last().map(|s| s.ident.to_string());
                match name.as_deref() {
                    Some("format" | "format_args") => check_format(cx, expr, &mac.mac, out),
                    Some("include_str" | "include_bytes") => {
                        let Some(args) = cx.file.macro_args(&mac.mac) else {
                            return;
                        };
                        if let Some(path) = args.exprs.first().and_then(string_literal) {
                            check_literal_path(cx, expr, &path, "compiled in", out);
                        }
                    }
                    _ => {}
                }
            }
            Expr::Call(call) => {
                if cx
                    .file
                    .called_path_where(expr, |path| FILE_LOADERS.contains(&path))
                    .is_none()
                {
                    return;
                }
                if let Some(path) = call.args.first().and_then(string_literal) {
                    check_literal_path(cx, &call.args[0], &path, "loaded", out);
                }
            }
            _ => {}
        }
    }
}

/// `format!("config/{}.toml", env)`, `format!(".env.{app_env}")`.
fn check_format(cx: &RustContext<'_, '_>, expr: &Expr, mac: &syn::Macro, out: &mut Reporter<'_>) {
    let Some(args) = cx.file.macro_args(mac).filter(|a| a.parsed) else {
        return;
    };
    let Some(template) = args.exprs.first().and_then(string_literal) else {
        return;
    };
    let at = cx.file.span(expr).start;
    let named = |name: &str| {
        args.exprs[1..].iter().find_map(|arg| match arg {
            Expr::Assign(assign) => match &*assign.left {
                Expr::Path(path) if path.path.is_ident(name) => Some(&*assign.right),
                _ => None,
            },
            _ => None,
        })
    };
    let positional_args: Vec<&Expr> = args.exprs[1..]
        .iter()
        .filter(|arg| !matches!(arg, Expr::Assign(_)))
        .collect();
    let mut next_positional = 0;
    let mut marked = String::new();
    let mut environment: Option<EnvironmentValue> = None;
    let mut rest = template.as_str();
    while let Some(open) = rest.find('{') {
        marked.push_str(&rest[..open]);
        if rest[open..].starts_with("{{") {
            marked.push('{');
            rest = &rest[open + 2..];
            continue;
        }
        let Some(close) = rest[open..].find('}') else {
            return;
        };
        let inside = &rest[open + 1..open + close];
        let name = inside.split(':').next().unwrap_or_default().trim();
        let value = if name.is_empty() {
            let arg = positional_args.get(next_positional).copied();
            next_positional += 1;
            arg.and_then(|arg| cx.facts.env.environment_value(cx.file, arg))
        } else if let Ok(index) = name.parse::<usize>() {
            positional_args
                .get(index)
                .and_then(|arg| cx.facts.env.environment_value(cx.file, arg))
        } else {
            match named(name) {
                Some(arg) => cx.facts.env.environment_value(cx.file, arg),
                None => cx.facts.env.environment_name(name.to_string(), at),
            }
        };
        match value {
            Some(value) if environment.is_none() => {
                marked.push(MARKER);
                environment = Some(value);
            }
            _ => marked.push_str("{}"),
        }
        rest = &rest[open + close + 1..];
    }
    marked.push_str(&rest.replace("}}", "}"));
    let Some(environment) = environment else {
        return;
    };
    if !is_config_file_template(&marked) {
        return;
    }
    let shown = marked.replace(
        MARKER,
        &format!(
            "<{}>",
            environment.var.as_deref().unwrap_or(&environment.name)
        ),
    );
    let layered = cx.facts.env.reads.iter().find_map(|read| match read.kind {
        ReadKind::ConfigEnvironment | ReadKind::Figment => read.prefix.clone(),
        _ => None,
    });
    let help = match layered {
        Some(prefix) if !prefix.is_empty() => format!(
            "keep one file of defaults shared by every deploy; this code already layers \
             `{prefix}`-prefixed environment variables on top, so set what differs per deploy \
             there"
        ),
        _ => "keep one file of defaults shared by every deploy and read what differs per deploy \
              from environment variables (`config::Environment`, figment `Env`, `std::env::var`)"
            .to_string(),
    };
    out.report(
        &META,
        cx.file.span(expr),
        format!("configuration file `{shown}` is picked by the environment's name"),
    )
    .label(format!(
        "one file for each value of {}",
        environment.describe()
    ))
    .note(NOTE)
    .help(help);
}

/// `config::File::with_name("config/production")`, `dotenvy::from_filename(".env.staging")`,
/// `include_str!("../config/prod.toml")`.
fn check_literal_path(
    cx: &RustContext<'_, '_>,
    at: &Expr,
    path: &str,
    how: &str,
    out: &mut Reporter<'_>,
) {
    let Some(environment) = literal_environment(path) else {
        return;
    };
    out.report(
        &META,
        cx.file.span(at),
        format!("the `{environment}` configuration file `{path}` is {how} here"),
    )
    .label(format!("only right for `{environment}`"))
    .note(NOTE)
    .help(
        "load one file of defaults shared by every deploy, and take what differs per deploy from \
         environment variables",
    );
}

/// Whether a path template with [`MARKER`] for the environment names a configuration file:
/// `.env.<env>`, `<env>.yaml`, `app.<env>.toml`, `config/<env>`, `config/<env>/app.toml`.
fn is_config_file_template(template: &str) -> bool {
    let (directories, file) = match template.rsplit_once('/') {
        Some((dirs, file)) => (dirs, file),
        None => ("", template),
    };
    let extension = file
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    let config_extension = extension
        .as_deref()
        .is_some_and(|ext| CONFIG_EXTENSIONS.contains(&ext));
    if file.contains(MARKER) {
        let dotenv = file.starts_with(".env");
        let before_extension = config_extension
            && file
                .rsplit_once('.')
                .is_some_and(|(stem, _)| stem.contains(MARKER));
        let bare_in_config_dir = file == MARKER.to_string()
            && directories
                .rsplit('/')
                .next()
                .is_some_and(|dir| CONFIG_DIRECTORIES.contains(&dir.to_ascii_lowercase().as_str()));
        return dotenv || before_extension || bare_in_config_dir;
    }
    directories.split('/').any(|dir| dir == MARKER.to_string()) && config_extension
}

/// The environment a literal configuration path is for: `.env.production` → `production`,
/// `config/staging.toml` → `staging`, `appsettings.Development.json` → `Development`.
fn literal_environment(path: &str) -> Option<String> {
    let file = path.rsplit('/').next().unwrap_or(path);
    if let Some(rest) = file.strip_prefix(".env.") {
        let name = rest.split('.').next().unwrap_or_default();
        return is_environment_name(name).then(|| name.to_string());
    }
    for word in path.split(['/', '.', '-', '_']) {
        if !is_environment_name(word) {
            continue;
        }
        let template = path.replacen(word, &MARKER.to_string(), 1);
        if is_config_file_template(&template) {
            return Some(word.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_that_name_config_files() {
        let m = |t: &str| t.replace('*', &MARKER.to_string());
        for template in [
            "*.yaml",
            "config/*.toml",
            ".env.*",
            ".env.*.local",
            "config/*",
            "settings/app.*.json",
            "appsettings.*.json",
            "config-*.toml",
            "deploy/*/values.yaml",
        ] {
            assert!(is_config_file_template(&m(template)), "{template}");
        }
        for template in [
            "*",
            "logs/*.log",
            "data/*/orders.csv",
            "https://api.*.example.com",
            "*.yaml.bak",
            "users/*",
        ] {
            assert!(!is_config_file_template(&m(template)), "{template}");
        }
    }

    #[test]
    fn literal_paths_for_one_environment() {
        assert_eq!(
            literal_environment(".env.production").as_deref(),
            Some("production")
        );
        assert_eq!(
            literal_environment("config/staging.toml").as_deref(),
            Some("staging")
        );
        assert_eq!(
            literal_environment("config/production").as_deref(),
            Some("production")
        );
        assert_eq!(
            literal_environment("appsettings.Development.json").as_deref(),
            Some("Development")
        );
        assert_eq!(literal_environment(".env"), None);
        assert_eq!(literal_environment(".env.example"), None);
        assert_eq!(literal_environment("config/base.toml"), None);
        assert_eq!(literal_environment("data/test.csv"), None);
        assert_eq!(literal_environment("Rocket.toml"), None);
    }
}
