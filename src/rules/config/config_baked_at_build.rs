use syn::Expr;
use toml::de::DeValue;

use crate::diagnostic::{Level, Span};
use crate::engine::rust_pass::RustContext;
use crate::facts::env::names_deployment_environment;
use crate::facts::secrets::{is_secret_name, words};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::manifest::Manifest;
use crate::source::rust::string_literal;

pub static META: RuleMeta = RuleMeta {
    id: "config-baked-at-build",
    category: Category::Config,
    default_level: Level::Warn,
    summary: "configuration fixed when the binary is built: `env!`/`option_env!` of a setting, Cargo features named after environments",
    docs: include_str!("../../../rules/config/config-baked-at-build.md"),
    scope: CodeScope::Service,
};

const NOTE: &str = "twelve-factor III and V: one build must run in every environment with only \
                    its configuration changed; a value compiled in needs a rebuild to change, and \
                    the binary promoted from staging is not the one that was tested";

/// Variables that describe the build itself: Cargo's, the compiler's, version control's.
const BUILD_VARIABLES: &[&str] = &[
    "OUT_DIR",
    "TARGET",
    "HOST",
    "PROFILE",
    "OPT_LEVEL",
    "DEBUG",
    "NUM_JOBS",
    "RUSTC",
    "RUSTDOC",
    "RUSTC_LINKER",
    "SOURCE_DATE_EPOCH",
    "VERSION",
];

/// Prefixes of variables set by Cargo, build-info crates and CI systems.
const BUILD_PREFIXES: &[&str] = &[
    "CARGO_",
    "VERGEN_",
    "RUSTC_",
    "GIT_",
    "BUILD_",
    "BUILT_",
    "SHADOW_",
    "DEP_",
    "CI_",
    "GITHUB_",
    "GITLAB_",
    "BUILDKITE_",
    "CIRCLE_",
    "DRONE_",
    "WOODPECKER_",
];

/// Words that mark a variable as build metadata: `APP_VERSION`, `SOURCE_COMMIT`, `GIT_SHA`.
const BUILD_WORDS: &[&str] = &[
    "version",
    "commit",
    "sha",
    "revision",
    "rev",
    "git",
    "describe",
    "timestamp",
];

/// Environment names a Cargo feature should not be named after.
const ENVIRONMENT_FEATURES: &[&str] = &[
    "production",
    "prod",
    "staging",
    "dev",
    "development",
    "local",
    "qa",
    "uat",
    "preprod",
];

pub struct ConfigBakedAtBuild;

impl Rule for ConfigBakedAtBuild {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        let Expr::Macro(mac) = expr else {
            return;
        };
        let path = cx.file.resolve(&mac.mac.path);
        let macro_name = match path.as_str() {
            "env" | "std::env" | "core::env" => "env!",
            "option_env" | "std::option_env" | "core::option_env" => "option_env!",
            _ => return,
        };
        let Some(var) = cx
            .file
            .macro_args(&mac.mac)
            .and_then(|args| args.exprs.first())
            .and_then(string_literal)
        else {
            return;
        };
        if is_build_metadata(&var) {
            return;
        }
        let help = if macro_name == "env!" {
            format!(
                "read it when the process starts: `std::env::var(\"{var}\")?`; set it in the \
                 deployment, not in the build"
            )
        } else {
            format!(
                "read it when the process starts: `std::env::var(\"{var}\").ok()`; the build \
                 machine's environment is not the one the service runs in"
            )
        };
        out.report(
            &META,
            cx.file.span(expr),
            format!("`{var}` is read when the binary is compiled (`{macro_name}`)"),
        )
        .label("fixed at build time")
        .note(NOTE)
        .help(help);
    }

    fn check_manifest(&self, manifest: &Manifest<'_>, out: &mut Reporter<'_>) {
        let Some(features) = manifest.table.get("features") else {
            return;
        };
        let DeValue::Table(features) = features.get_ref() else {
            return;
        };
        for (name, _) in features {
            let feature = name.get_ref();
            if !is_environment_feature(feature) {
                continue;
            }
            out.report(
                &META,
                Span::from(name.span()),
                format!("Cargo feature `{feature}` is named after an environment"),
            )
            .label("one build per environment")
            .note(NOTE)
            .help(
                "build one artifact for every environment and choose the behaviour at run time \
                 from configuration; keep features for optional capabilities, not for where the \
                 binary runs",
            );
        }
    }
}

/// Whether an `env!` variable describes the build rather than configures the service:
/// `CARGO_PKG_VERSION`, `OUT_DIR`, `TARGET`, `GIT_HASH`, `VERGEN_GIT_SHA`, `BUILD_TIMESTAMP`.
fn is_build_metadata(var: &str) -> bool {
    if is_secret_name(var) || names_deployment_environment(var) {
        return false;
    }
    BUILD_VARIABLES.contains(&var)
        || BUILD_PREFIXES.iter().any(|p| var.starts_with(p))
        || words(var).iter().any(|w| BUILD_WORDS.contains(&w.as_str()))
}

/// `production`, `staging`, `dev`, and the same with `env-`/`-env`/`-mode`/`-config` around them.
fn is_environment_feature(name: &str) -> bool {
    let words = words(name);
    let core: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| {
            !matches!(
                *w,
                "env" | "environment" | "mode" | "config" | "build" | "deploy"
            )
        })
        .collect();
    core.len() == 1 && ENVIRONMENT_FEATURES.contains(&core[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_metadata_variables() {
        for var in [
            "CARGO_PKG_VERSION",
            "CARGO_MANIFEST_DIR",
            "OUT_DIR",
            "TARGET",
            "PROFILE",
            "GIT_HASH",
            "VERGEN_GIT_SHA",
            "BUILD_TIMESTAMP",
            "APP_VERSION",
            "SOURCE_COMMIT",
            "CI_PIPELINE_EVENT",
            "GITHUB_SHA",
        ] {
            assert!(is_build_metadata(var), "{var}");
        }
        for var in [
            "DATABASE_URL",
            "API_BASE_URL",
            "APP_ENV",
            "BUILD_ENV",
            "JWT_SECRET",
            "PORT",
            "GITHUB_TOKEN",
        ] {
            assert!(!is_build_metadata(var), "{var}");
        }
    }

    #[test]
    fn environment_features() {
        for name in [
            "production",
            "prod",
            "staging",
            "dev",
            "local",
            "qa",
            "env-prod",
            "production-mode",
        ] {
            assert!(is_environment_feature(name), "{name}");
        }
        for name in [
            "default",
            "test",
            "testing",
            "dev-tools",
            "local-storage",
            "tls",
            "postgres",
        ] {
            assert!(!is_environment_feature(name), "{name}");
        }
    }
}
