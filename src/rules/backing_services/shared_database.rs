use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Label, Level, Span};
use crate::facts::deploy_env::{self, Runner, SetValue};
use crate::model::Service;
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::SourceFile;

pub static META: RuleMeta = RuleMeta {
    id: "shared-database",
    category: Category::BackingServices,
    default_level: Level::Warn,
    summary: "two services are pointed at the same database",
    docs: include_str!("../../../rules/backing-services/shared-database.md"),
    scope: CodeScope::All,
};

pub struct SharedDatabase;

/// Why the tool thinks a service uses a database, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// One migration set embedded in both services' code.
    Migrations,
    /// The same `secretKeyRef` (Secret and key) for a database setting.
    SecretKey,
    /// The same host and database in a URL set where the service runs.
    Url,
    /// The same host and database in the defaults of the code.
    Default,
}

/// One piece of evidence: what database it names (`key`), how to say so, and where.
struct Evidence {
    kind: Kind,
    /// What must be equal for two services to share: the migrations directory, the Secret
    /// and key, or the URL's engine, host, port and database within one deployment context.
    key: String,
    /// The namespace a Kubernetes reference is made in (`None`: unset, matches any).
    namespace: Option<String>,
    /// `the migrations in crates/db/migrations`, `Secret shop-db, key url`.
    what: String,
    source: Arc<SourceFile>,
    span: Span,
}

impl Evidence {
    fn matches(&self, other: &Evidence) -> bool {
        self.kind == other.kind
            && self.key == other.key
            && match (&self.namespace, &other.namespace) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
            && !(self.source.path == other.source.path && self.span == other.span)
    }

    fn label(&self, message: impl Into<String>) -> Label {
        Label {
            location: self.source.location(self.span),
            message: message.into(),
        }
    }
}

impl Rule for SharedDatabase {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let model = cx.model();
        // Long-running services only: a migration or seed binary next to its service shares the
        // database by design.
        let services: Vec<(&Service<'_>, Vec<Evidence>)> = model
            .services
            .iter()
            .filter(|s| s.binary.as_ref().is_some_and(|b| b.serves))
            .map(|s| (s, evidence(cx, s, out)))
            .collect();
        for (second, (service_b, evidence_b)) in services.iter().enumerate() {
            for (service_a, evidence_a) in &services[..second] {
                let (Some(a), Some(b)) = (&service_a.binary, &service_b.binary) else {
                    continue;
                };
                // Binaries of one package are one service.
                if std::ptr::eq(a.package, b.package) {
                    continue;
                }
                let mut shared: Vec<(&Evidence, &Evidence)> = Vec::new();
                for here in evidence_b {
                    if let Some(there) = evidence_a.iter().find(|there| there.matches(here)) {
                        shared.push((here, there));
                    }
                }
                shared.sort_by_key(|(here, _)| here.kind);
                let Some((here, there)) = shared.first() else {
                    continue;
                };
                let message = format!(
                    "`{}` and `{}` use the same database: {}",
                    a.name, b.name, here.what
                );
                let mut labels = vec![there.label(format!("`{}` uses it here", a.name))];
                for (more_here, more_there) in shared.iter().skip(1) {
                    labels.push(more_here.label(format!("`{}`: {}", b.name, more_here.what)));
                    labels.push(more_there.label(format!("`{}`: {}", a.name, more_there.what)));
                }
                let finding = out.report(&META, &here.source, here.span, message);
                finding
                    .label(format!("`{}` uses it here", b.name))
                    .help(format!(
                        "give `{}` its own database (or at least its own schema and \
                         credentials) and let it reach `{}`'s data through `{}`'s API or \
                         events; if the two are one service, deploy them as one",
                        b.name, a.name, a.name
                    ))
                    .note(
                        "microservices: database per service. Two services on one schema are \
                         coupled through its tables: neither can change them, migrate or scale \
                         the database without the other, and a slow query in one stalls both",
                    );
                finding.labels = labels;
            }
        }
    }
}

/// Everything that says which database a service uses.
fn evidence<'a>(
    cx: &WorkspaceContext<'a>,
    service: &Service<'a>,
    out: &mut WorkspaceReporter,
) -> Vec<Evidence> {
    let mut found = Vec::new();
    for (path, facts) in service.rust_facts(cx) {
        let package_dir = cx
            .workspace
            .package_of(path)
            .map(|p| p.dir.clone())
            .unwrap_or_default();
        for migrations in &facts.migration_sources {
            let Some(dir) =
                migrations_dir(cx, &package_dir, migrations.dir.as_deref(), migrations.tool)
            else {
                continue;
            };
            let Some(source) = out.open(cx.workspace, path) else {
                continue;
            };
            found.push(Evidence {
                kind: Kind::Migrations,
                key: dir.display().to_string(),
                namespace: None,
                what: format!("both embed the migrations of `{}`", dir.display()),
                source,
                span: migrations.span,
            });
        }
        for read in &facts.env.reads {
            let (Some(default), Some(fallback)) = (&read.default, read.fallback) else {
                continue;
            };
            let Some(url) = deploy_env::database_url(default) else {
                continue;
            };
            let Some(key) = url_key(&url) else {
                continue;
            };
            let Some(source) = out.open(cx.workspace, path) else {
                continue;
            };
            found.push(Evidence {
                kind: Kind::Default,
                key: format!("code {key}"),
                namespace: None,
                what: format!("both default to {}", describe(&url)),
                source,
                span: fallback,
            });
        }
    }
    for runner in deploy_env::runners(cx, service) {
        if runner.is_one_off() || deploy_env::runs_other_binary(cx, service, &runner) {
            continue;
        }
        let env = deploy_env::runner_env(cx, service, &runner);
        let (context, near) = match &runner {
            Runner::Container(container) => {
                ("cluster".to_string(), Some(container.workload().object))
            }
            Runner::Compose(services) => (
                format!(
                    "compose {}",
                    services[0]
                        .file
                        .path()
                        .parent()
                        .unwrap_or(Path::new(""))
                        .display()
                ),
                None,
            ),
        };
        let namespace = near.and_then(|o| o.namespace()).map(str::to_string);
        for setting in &env.settings {
            if let SetValue::SecretKey { name, key } = &setting.value
                && deploy_env::names_database(&setting.name)
            {
                found.push(Evidence {
                    kind: Kind::SecretKey,
                    key: format!("{name}\u{0}{key}"),
                    namespace: namespace.clone(),
                    what: format!(
                        "`{}` comes from key `{key}` of Secret `{name}` in both",
                        setting.name
                    ),
                    source: setting.source.clone(),
                    span: setting.span,
                });
                continue;
            }
            let value = match (&setting.value, near) {
                (SetValue::Literal(text), _) => Some(text.clone()),
                (value, Some(object)) => deploy_env::referenced_value(cx, &object, value),
                _ => None,
            };
            let Some(url) = value.as_deref().and_then(deploy_env::database_url) else {
                continue;
            };
            let Some(key) = url_key(&url) else {
                continue;
            };
            found.push(Evidence {
                kind: Kind::Url,
                key: format!("{context}\u{0}{key}"),
                namespace: namespace.clone(),
                what: format!("`{}` names {} in both", setting.name, describe(&url)),
                source: setting.source.clone(),
                span: setting.value_span.unwrap_or(setting.span),
            });
        }
    }
    found
}

/// What two URLs must share to name one database: engine, host (a Kubernetes Service's short
/// name), port (the engine's default when unset) and database. SQLite files are per host,
/// not shared; URLs without a database name say nothing.
fn url_key(url: &deploy_env::DatabaseUrl) -> Option<String> {
    let host = url.host.as_deref()?;
    let database = url.database.as_deref()?;
    let host = host
        .strip_suffix(".cluster.local")
        .unwrap_or(host)
        .strip_suffix(".svc")
        .map(|h| h.split('.').next().unwrap_or(h))
        .unwrap_or(host);
    let port = url
        .port
        .map_or_else(|| default_port(url.engine).to_string(), |p| p.to_string());
    Some(format!(
        "{}\u{0}{host}\u{0}{port}\u{0}{database}",
        url.engine
    ))
}

fn default_port(engine: &str) -> u16 {
    match engine {
        "PostgreSQL" => 5432,
        "MySQL" => 3306,
        "SQL Server" => 1433,
        "MongoDB" => 27017,
        _ => 0,
    }
}

fn describe(url: &deploy_env::DatabaseUrl) -> String {
    format!(
        "{} database `{}` on `{}`",
        url.engine,
        url.database.as_deref().unwrap_or("?"),
        url.host.as_deref().unwrap_or("?")
    )
}

/// The migrations directory a macro embeds, relative to the workspace root: the written path
/// (relative to the package), or `migrations` — in the package for sqlx, the nearest one
/// upward for diesel.
fn migrations_dir(
    cx: &WorkspaceContext<'_>,
    package_dir: &Path,
    written: Option<&str>,
    tool: &str,
) -> Option<PathBuf> {
    if let Some(written) = written {
        return Some(crate::source::normalize_path(&package_dir.join(written)));
    }
    if tool == "sqlx" {
        return Some(package_dir.join("migrations"));
    }
    package_dir
        .ancestors()
        .map(|dir| dir.join("migrations"))
        .find(|dir| cx.workspace.root.join(dir).is_dir())
}
