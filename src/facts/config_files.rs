//! Configuration files kept per deployment environment: `config/production.toml`,
//! `configuration/local.yaml`, `.env.staging`. On the code side, where shipping code picks such
//! a file by the environment's name (`format!("config/{app_env}")`) or loads one environment's
//! file by its literal path; on the repository side, which committed files form such a set
//! (found next to a template, or in a directory an image copies).

use std::path::{Component, Path, PathBuf};

use syn::visit::Visit;
use syn::{Expr, ImplItem, Item, Macro, TraitItem};

use crate::diagnostic::Span;
use crate::facts::env::{EnvFacts, EnvironmentValue, is_environment_name};
use crate::source::rust::{CodeRole, RustFile, is_test_code, item_attrs, string_literal};

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
pub const CONFIG_DIRECTORIES: &[&str] = &[
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
pub const MARKER: char = '\u{0}';

/// Where shipping code picks a configuration file for one environment.
#[derive(Clone, Debug)]
pub struct ConfigFileChoice {
    /// The `format!` call, or the literal path.
    pub span: Span,
    pub choice: Choice,
}

#[derive(Clone, Debug)]
pub enum Choice {
    /// `format!("config/{}.toml", env)`: the path, with [`MARKER`] where the environment's name
    /// goes, and the value that holds the name.
    ByName {
        template: String,
        environment: EnvironmentValue,
    },
    /// `dotenvy::from_filename(".env.production")`: one environment's file by its path, `loaded`
    /// or `compiled in`.
    Fixed {
        path: String,
        environment: String,
        how: &'static str,
    },
}

impl ConfigFileChoice {
    /// The path as the code names it, in the form [`files_matching`] takes: a template, or the
    /// literal path.
    pub fn template(&self) -> &str {
        match &self.choice {
            Choice::ByName { template, .. } => template,
            Choice::Fixed { path, .. } => path,
        }
    }
}

/// The choices of configuration files in a file's shipping code: not tests, benches, examples,
/// build scripts, test items or `macro_rules!` bodies.
pub fn choices(file: &RustFile<'_>, env: &EnvFacts) -> Vec<ConfigFileChoice> {
    if file.role != CodeRole::Production {
        return Vec::new();
    }
    let mut finder = Finder {
        file,
        env,
        found: Vec::new(),
    };
    finder.visit_file(&file.syntax);
    finder.found
}

struct Finder<'f, 's> {
    file: &'f RustFile<'s>,
    env: &'f EnvFacts,
    found: Vec<ConfigFileChoice>,
}

impl<'ast> Visit<'ast> for Finder<'_, '_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if item_attrs(item).is_some_and(is_test_code) {
            return;
        }
        if let Item::Macro(item_macro) = item
            && item_macro.mac.path.is_ident("macro_rules")
        {
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        let test = match item {
            ImplItem::Fn(function) => is_test_code(&function.attrs),
            ImplItem::Const(constant) => is_test_code(&constant.attrs),
            _ => false,
        };
        if !test {
            syn::visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        if !matches!(item, TraitItem::Fn(function) if is_test_code(&function.attrs)) {
            syn::visit::visit_trait_item(self, item);
        }
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        self.check(expr);
        syn::visit::visit_expr(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        if let Some(args) = self.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }

    /// Attributes hold doc comments and derive options, not code that runs.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
}

impl Finder<'_, '_> {
    fn check(&mut self, expr: &Expr) {
        match expr {
            Expr::Macro(mac) => {
                let name = mac.mac.path.segments.last().map(|s| s.ident.to_string());
                match name.as_deref() {
                    Some("format" | "format_args") => self.check_format(expr, &mac.mac),
                    Some("include_str" | "include_bytes") => {
                        let Some(args) = self.file.macro_args(&mac.mac) else {
                            return;
                        };
                        if let Some(path) = args.exprs.first().and_then(string_literal) {
                            self.check_literal_path(expr, path, "compiled in");
                        }
                    }
                    _ => {}
                }
            }
            Expr::Call(call) => {
                if self
                    .file
                    .called_path_where(expr, |path| FILE_LOADERS.contains(&path))
                    .is_none()
                {
                    return;
                }
                if let Some(path) = call.args.first().and_then(string_literal) {
                    self.check_literal_path(&call.args[0], path, "loaded");
                }
            }
            _ => {}
        }
    }

    /// `format!("config/{}.toml", env)`, `format!(".env.{app_env}")`.
    fn check_format(&mut self, expr: &Expr, mac: &Macro) {
        let Some(args) = self.file.macro_args(mac).filter(|a| a.parsed) else {
            return;
        };
        let Some(template) = args.exprs.first().and_then(string_literal) else {
            return;
        };
        let at = self.file.span(expr).start;
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
        let value_of = |arg: &Expr| self.env.environment_value(self.file, arg);
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
                arg.and_then(value_of)
            } else if let Ok(index) = name.parse::<usize>() {
                positional_args.get(index).and_then(|arg| value_of(arg))
            } else {
                match named(name) {
                    Some(arg) => value_of(arg),
                    None => self.env.environment_name(name.to_string(), at),
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
        self.found.push(ConfigFileChoice {
            span: self.file.span(expr),
            choice: Choice::ByName {
                template: marked,
                environment,
            },
        });
    }

    /// `config::File::with_name("config/production")`, `dotenvy::from_filename(".env.staging")`,
    /// `include_str!("../config/prod.toml")`.
    fn check_literal_path(&mut self, at: &Expr, path: String, how: &'static str) {
        let Some(environment) = literal_environment(&path) else {
            return;
        };
        self.found.push(ConfigFileChoice {
            span: self.file.span(at),
            choice: Choice::Fixed {
                path,
                environment,
                how,
            },
        });
    }
}

/// The template with the environment's value in place, for messages:
/// `configuration/<APP_ENVIRONMENT>.yaml`.
pub fn shown(template: &str, environment: &EnvironmentValue) -> String {
    template.replace(
        MARKER,
        &format!(
            "<{}>",
            environment.var.as_deref().unwrap_or(&environment.name)
        ),
    )
}

/// Whether a path template with [`MARKER`] for the environment names a configuration file:
/// `.env.<env>`, `<env>.yaml`, `app.<env>.toml`, `config/<env>`, `config/<env>/app.toml`.
pub fn is_config_file_template(template: &str) -> bool {
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
pub fn literal_environment(path: &str) -> Option<String> {
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

/// A committed configuration file for one environment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EnvironmentFile {
    /// Relative to the workspace root.
    pub path: PathBuf,
    pub environment: String,
}

/// The environment a committed file of a directory is for, by its name alone: `production.toml`
/// in `config/`, `.env.staging`, `settings.prod.json`. Not Helm values (`values-prod.yaml`),
/// compose files (`docker-compose.prod.yml`) or templates (`.env.example`).
pub fn environment_of_file(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("values") || crate::source::compose::is_compose_name(path) {
        return None;
    }
    let shown = path.to_str()?.replace('\\', "/");
    let directory = shown.rsplit_once('/').map_or("", |(dir, _)| dir);
    let last_directory = directory.rsplit('/').next().unwrap_or_default();
    // Only the file's own name and the directory holding it say what it is.
    let local = if last_directory.is_empty() {
        name.to_string()
    } else {
        format!("{last_directory}/{name}")
    };
    let environment = literal_environment(&local)?;
    // `production/app.toml`: a directory per environment is a set of its own, read by template.
    name.to_ascii_lowercase()
        .contains(&environment.to_ascii_lowercase())
        .then_some(environment)
}

/// The committed files and directories directly in `directory` (relative to `root`), honouring
/// `.gitignore`; sorted. Nothing outside the root is read.
pub fn committed_entries(root: &Path, directory: &Path) -> Vec<(PathBuf, bool)> {
    let Some(directory) = inside(directory) else {
        return Vec::new();
    };
    let absolute = root.join(&directory);
    if !absolute.is_dir() {
        return Vec::new();
    }
    let walker = ignore::WalkBuilder::new(&absolute)
        .max_depth(Some(1))
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    walker
        .filter_map(Result::ok)
        .filter(|entry| entry.depth() == 1)
        .filter_map(|entry| {
            let kind = entry.file_type()?;
            let name = entry.file_name().to_str()?.to_string();
            Some((directory.join(name), kind.is_dir()))
        })
        .collect()
}

/// The committed files directly in `directory` that are configuration for one environment.
pub fn environment_files_in(root: &Path, directory: &Path) -> Vec<EnvironmentFile> {
    let entries = committed_entries(root, directory);
    // A Helm chart or a kustomization: the deploy-time configuration mechanism itself.
    let deploy_config = entries.iter().any(|(path, _)| {
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| matches!(n, "Chart.yaml" | "kustomization.yaml" | "kustomization.yml"))
    });
    if deploy_config {
        return Vec::new();
    }
    entries
        .into_iter()
        .filter(|(_, is_dir)| !is_dir)
        .filter_map(|(path, _)| {
            let environment = environment_of_file(&path)?;
            Some(EnvironmentFile { path, environment })
        })
        .collect()
}

/// The committed files a path template of the code names, for each environment it holds: the
/// template read from each of `bases` (directories relative to the root: the package, the
/// workspace root); a template without a directory is also read in the configuration
/// directories of each base (`configuration/` for `format!("{env}.yaml")` joined to a
/// directory elsewhere). A template without [`MARKER`] names one file.
pub fn files_matching(root: &Path, bases: &[PathBuf], template: &str) -> Vec<EnvironmentFile> {
    let template = template.trim_start_matches("./");
    // `/app/config/{env}.toml` in the image: its last directory is the repository's.
    let template = match template.strip_prefix('/') {
        Some(absolute) => {
            let parts: Vec<&str> = absolute.split('/').collect();
            parts[parts.len().saturating_sub(2)..].join("/")
        }
        None => template.to_string(),
    };
    if template.contains("{}") {
        return Vec::new();
    }
    let mut directories: Vec<PathBuf> = Vec::new();
    for base in bases {
        if !directories.contains(base) {
            directories.push(base.clone());
        }
        if !template.contains('/') {
            for config in CONFIG_DIRECTORIES {
                let directory = base.join(config);
                if !directories.contains(&directory) {
                    directories.push(directory);
                }
            }
        }
    }
    let mut found = Vec::new();
    for directory in directories {
        for file in template_files(root, &directory, &template) {
            if !found.contains(&file) {
                found.push(file);
            }
        }
    }
    found.sort();
    found
}

/// The files of one template read from one directory.
fn template_files(root: &Path, directory: &Path, template: &str) -> Vec<EnvironmentFile> {
    let (dirs, file) = template.rsplit_once('/').unwrap_or(("", template));
    if !file.contains(MARKER) {
        if let Some((before, after)) = dirs.split_once(MARKER) {
            // `deploy/<env>/values.yaml`.
            let parent = directory.join(before.trim_end_matches('/'));
            let rest = format!("{}/{file}", after.trim_start_matches('/'));
            let rest = rest.trim_start_matches('/');
            return committed_entries(root, &parent)
                .into_iter()
                .filter(|(_, is_dir)| *is_dir)
                .filter_map(|(path, _)| {
                    let environment = path.file_name()?.to_str()?.to_string();
                    if !is_environment_name(&environment) {
                        return None;
                    }
                    let candidate = path.join(rest);
                    let listed = committed_entries(root, candidate.parent()?)
                        .into_iter()
                        .any(|(entry, is_dir)| !is_dir && entry == candidate);
                    listed.then_some(EnvironmentFile {
                        path: candidate,
                        environment,
                    })
                })
                .collect();
        }
        // A literal path: the one file, when it is committed.
        let candidate = directory.join(template);
        let Some(environment) = literal_environment(template) else {
            return Vec::new();
        };
        let listed = candidate.parent().is_some_and(|parent| {
            committed_entries(root, parent)
                .into_iter()
                .any(|(entry, is_dir)| !is_dir && entry == candidate)
        });
        return if listed {
            vec![EnvironmentFile {
                path: candidate,
                environment,
            }]
        } else {
            Vec::new()
        };
    }
    let (prefix, suffix) = file.split_once(MARKER).unwrap_or((file, ""));
    let bare = suffix.is_empty() && !prefix.starts_with(".env");
    committed_entries(root, &directory.join(dirs))
        .into_iter()
        .filter(|(_, is_dir)| !is_dir)
        .filter_map(|(path, _)| {
            let name = path.file_name()?.to_str()?;
            let middle = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let environment = if bare {
                let (stem, extension) = middle.rsplit_once('.')?;
                CONFIG_EXTENSIONS
                    .contains(&extension.to_ascii_lowercase().as_str())
                    .then_some(stem)?
            } else {
                middle
            };
            is_environment_name(environment).then(|| EnvironmentFile {
                environment: environment.to_string(),
                path: path.clone(),
            })
        })
        .collect()
}

/// `a/./b` as `a/b`; `None` when it climbs out (`..`) or is absolute.
fn inside(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::Normal(part) => out.push(part),
            _ => return None,
        }
    }
    Some(out)
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

    #[test]
    fn files_named_for_an_environment() {
        let of = |path: &str| environment_of_file(Path::new(path));
        assert_eq!(of("config/production.toml").as_deref(), Some("production"));
        assert_eq!(of("configuration/local.yaml").as_deref(), Some("local"));
        assert_eq!(of(".env.staging").as_deref(), Some("staging"));
        assert_eq!(of("settings.prod.json").as_deref(), Some("prod"));
        assert_eq!(of("config/base.yaml"), None);
        assert_eq!(of(".env.example"), None);
        assert_eq!(of("deploy/values-prod.yaml"), None);
        assert_eq!(of("docker-compose.prod.yml"), None);
        assert_eq!(of("config/production/app.toml"), None);
        assert_eq!(of("logs/production.log"), None);
    }
}
