//! What a rule is: its metadata, and the hooks the engine calls with parsed files.

use serde::Serialize;

use crate::diagnostic::{Finding, Level, Span};
use crate::engine::rust_pass::RustContext;
use crate::facts::RustFacts;
use crate::source::SourceFile;
use crate::source::compose::ComposeFile;
use crate::source::deployment::Deployment;
use crate::source::dockerfile::Dockerfile;
use crate::source::env_file::EnvFile;
use crate::source::kubernetes::{Cluster, KubernetesFile};
use crate::workspace::{ServiceCode, Workspace};

use crate::source::manifest::Manifest;
use crate::source::procfile::Procfile;

/// The factor or pattern a rule protects; also the folder it lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Config,
    Dependencies,
    BuildReleaseRun,
    Processes,
    PortBinding,
    Concurrency,
    Disposability,
    DevProdParity,
    Logs,
    AdminProcesses,
    BackingServices,
    Resilience,
    Security,
    Contracts,
    Architecture,
    Meta,
}

impl Category {
    pub const ALL: [Category; 16] = [
        Category::Config,
        Category::Dependencies,
        Category::BuildReleaseRun,
        Category::Processes,
        Category::PortBinding,
        Category::Concurrency,
        Category::Disposability,
        Category::DevProdParity,
        Category::Logs,
        Category::AdminProcesses,
        Category::BackingServices,
        Category::Resilience,
        Category::Security,
        Category::Contracts,
        Category::Architecture,
        Category::Meta,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::Config => "config",
            Category::Dependencies => "dependencies",
            Category::BuildReleaseRun => "build-release-run",
            Category::Processes => "processes",
            Category::PortBinding => "port-binding",
            Category::Concurrency => "concurrency",
            Category::Disposability => "disposability",
            Category::DevProdParity => "dev-prod-parity",
            Category::Logs => "logs",
            Category::AdminProcesses => "admin-processes",
            Category::BackingServices => "backing-services",
            Category::Resilience => "resilience",
            Category::Security => "security",
            Category::Contracts => "contracts",
            Category::Architecture => "architecture",
            Category::Meta => "meta",
        }
    }

    /// The principle behind the category, as findings cite it.
    pub fn principle(self) -> &'static str {
        match self {
            Category::Config => "twelve-factor III: store config in the environment",
            Category::Dependencies => {
                "twelve-factor II: explicitly declare and isolate dependencies"
            }
            Category::BuildReleaseRun => "twelve-factor V: strictly separate build and run stages",
            Category::Processes => "twelve-factor VI: execute the app as stateless processes",
            Category::PortBinding => "twelve-factor VII: export services via port binding",
            Category::Concurrency => "twelve-factor VIII: scale out via the process model",
            Category::Disposability => "twelve-factor IX: fast startup and graceful shutdown",
            Category::DevProdParity => "twelve-factor X: keep development and production alike",
            Category::Logs => "twelve-factor XI: treat logs as event streams",
            Category::AdminProcesses => "twelve-factor XII: run admin tasks as one-off processes",
            Category::BackingServices => {
                "twelve-factor IV: treat backing services as attached resources"
            }
            Category::Resilience => "microservices: every remote call has a timeout",
            Category::Security => "microservices: token-based security and hardened containers",
            Category::Contracts => "microservices: contract-driven tests",
            Category::Architecture => "the architecture the team declared",
            Category::Meta => "the linter's own health",
        }
    }

    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Which code a Rust rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeScope {
    /// Code that ships: not tests, benches, examples or build scripts.
    Production,
    /// Service code: shipping code of a package that runs a server or consumer, or of a
    /// workspace library such a package depends on. CLI tools and build tooling are not.
    Service,
    /// Every Rust file and item.
    All,
}

/// The static description of a rule. Everything users see about a rule comes from here.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub category: Category,
    pub default_level: Level,
    pub summary: &'static str,
    /// The rule's Markdown documentation, `rules/<category>/<id>.md`.
    pub docs: &'static str,
    pub scope: CodeScope,
}

/// Collects the findings of one file.
pub struct Reporter<'f> {
    file: &'f SourceFile,
    findings: Vec<Finding>,
}

impl<'f> Reporter<'f> {
    pub fn new(file: &'f SourceFile) -> Self {
        Reporter {
            file,
            findings: Vec::new(),
        }
    }

    pub fn file(&self) -> &'f SourceFile {
        self.file
    }

    /// Adds a finding; the returned reference adds its label, help and note.
    pub fn report(
        &mut self,
        meta: &'static RuleMeta,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.findings.push(Finding {
            rule: meta.id,
            level: meta.default_level,
            message: message.into(),
            location: self.file.location(span),
            label: None,
            labels: Vec::new(),
            help: None,
            note: None,
        });
        self.findings.last_mut().expect("just pushed")
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

impl Finding {
    pub fn label(&mut self, label: impl Into<String>) -> &mut Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(&mut self, note: impl Into<String>) -> &mut Self {
        self.note = Some(note.into());
        self
    }
}

/// A rule. Each hook sees one parsed file; rules never read levels or suppressions.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// Takes the rule's options from its config table. Rules without options refuse any.
    fn configure(&mut self, options: &toml::Table) -> Result<(), String> {
        match options.keys().next() {
            None => Ok(()),
            Some(key) => Err(format!("rule `{}` has no option `{key}`", self.meta().id)),
        }
    }

    /// Called for every expression of the Rust code in the rule's scope, macro arguments included.
    fn check_expr(&self, _expr: &syn::Expr, _cx: &RustContext<'_, '_>, _out: &mut Reporter<'_>) {}

    /// Called for every item of the Rust code in the rule's scope.
    fn check_item(&self, _item: &syn::Item, _cx: &RustContext<'_, '_>, _out: &mut Reporter<'_>) {}

    /// Called once per Cargo.toml.
    fn check_manifest(&self, _manifest: &Manifest<'_>, _out: &mut Reporter<'_>) {}

    /// Called once per Dockerfile (or Containerfile).
    fn check_dockerfile(&self, _dockerfile: &Dockerfile, _out: &mut Reporter<'_>) {}

    /// Called once per `.env` file (`.env`, `.env.production`, `.env.example`…).
    fn check_env_file(&self, _env: &EnvFile, _out: &mut Reporter<'_>) {}

    /// Called once per YAML file of Kubernetes objects. `cluster` holds every manifest of the
    /// run, for what another file decides: the Services that select a workload, the autoscaler
    /// that scales it, a claim's access modes, what kustomize patches change.
    fn check_kubernetes(
        &self,
        _file: &KubernetesFile,
        _cluster: &Cluster,
        _out: &mut Reporter<'_>,
    ) {
    }

    /// Called once per docker-compose file.
    fn check_compose(&self, _file: &ComposeFile, _out: &mut Reporter<'_>) {}

    /// Called once per `Procfile`.
    fn check_procfile(&self, _procfile: &Procfile, _out: &mut Reporter<'_>) {}

    /// Called once per run, after every file was checked, for what no single file shows
    /// (a missing Cargo.lock, a server binary with no SIGTERM handler in any of its files).
    /// Findings may point into any file.
    fn check_workspace(&self, _cx: &WorkspaceContext<'_>, _out: &mut WorkspaceReporter) {}
}

/// What whole-workspace rules see: the workspace, the facts of every Rust file, and which
/// code is service code.
pub struct WorkspaceContext<'a> {
    pub workspace: &'a Workspace,
    /// The facts of every Rust file that parsed, with its path relative to the root.
    pub rust_facts: &'a [(
        std::sync::Arc<std::path::PathBuf>,
        std::sync::Arc<RustFacts>,
    )],
    pub services: &'a ServiceCode<'a>,
    /// The Kubernetes manifests and compose files of the workspace.
    pub deployment: &'a Deployment,
    /// `[components]`, `[[layers]]`, `[[forbid]]` and `[[only]]` from the configuration.
    pub architecture: &'a crate::config::architecture::Architecture,
    /// Every Dockerfile of the workspace, parsed.
    pub dockerfiles: &'a [(std::sync::Arc<SourceFile>, std::sync::Arc<Dockerfile>)],
    /// `[[services]]` from the configuration.
    pub service_overrides: &'a [crate::model::ServiceOverride],
    model: std::sync::OnceLock<crate::model::ServiceModel<'a>>,
    startup: std::sync::OnceLock<crate::facts::calls::Startup<'a>>,
    binaries: std::sync::OnceLock<Vec<crate::facts::binaries::Binary>>,
    file_index: std::sync::OnceLock<std::collections::HashMap<&'a std::path::Path, usize>>,
}

impl<'a> WorkspaceContext<'a> {
    pub fn new(
        workspace: &'a Workspace,
        rust_facts: &'a [(
            std::sync::Arc<std::path::PathBuf>,
            std::sync::Arc<RustFacts>,
        )],
        services: &'a ServiceCode<'a>,
        deployment: &'a Deployment,
        config: &'a crate::config::Config,
        dockerfiles: &'a [(std::sync::Arc<SourceFile>, std::sync::Arc<Dockerfile>)],
    ) -> WorkspaceContext<'a> {
        WorkspaceContext {
            workspace,
            rust_facts,
            services,
            deployment,
            architecture: &config.architecture,
            dockerfiles,
            service_overrides: &config.services,
            model: std::sync::OnceLock::new(),
            startup: std::sync::OnceLock::new(),
            binaries: std::sync::OnceLock::new(),
            file_index: std::sync::OnceLock::new(),
        }
    }

    /// Every binary target with its files and whether its `main` reaches a server start. Built
    /// once, when a rule first asks: its call graph is the costliest thing rules share.
    pub fn binaries(&self) -> &[crate::facts::binaries::Binary] {
        self.binaries
            .get_or_init(|| crate::facts::binaries::binaries(self.workspace, self.rust_facts))
    }

    /// The index in `rust_facts` of each Rust file, by path.
    pub fn file_index(&self) -> &std::collections::HashMap<&'a std::path::Path, usize> {
        self.file_index.get_or_init(|| {
            self.rust_facts
                .iter()
                .enumerate()
                .map(|(index, (path, _))| (path.as_path(), index))
                .collect()
        })
    }

    /// The service model: each binary linked to its Dockerfiles, containers and compose
    /// services. Built once, when a rule first asks.
    pub fn model(&self) -> &crate::model::ServiceModel<'a> {
        self.model
            .get_or_init(|| crate::model::ServiceModel::build(self, self.service_overrides))
    }

    /// The call graph of the shipping code and what runs when the servers start. Built once,
    /// when a rule first asks.
    pub fn startup(&self) -> &crate::facts::calls::Startup<'a> {
        self.startup
            .get_or_init(|| crate::facts::calls::Startup::new(self.workspace, self.rust_facts))
    }
}

/// Collects findings about the workspace as a whole, in whatever file they belong.
#[derive(Default)]
pub struct WorkspaceReporter {
    findings: Vec<Finding>,
    sources: Vec<std::sync::Arc<SourceFile>>,
}

impl WorkspaceReporter {
    /// A reporter that knows these files already and does not read them again.
    pub fn with_sources(sources: Vec<std::sync::Arc<SourceFile>>) -> Self {
        WorkspaceReporter {
            findings: Vec::new(),
            sources,
        }
    }

    /// Reads a workspace file (path relative to the root) to report on it.
    pub fn open(
        &mut self,
        workspace: &Workspace,
        path: &std::path::Path,
    ) -> Option<std::sync::Arc<SourceFile>> {
        if let Some(known) = self.sources.iter().find(|s| s.path.as_path() == path) {
            return Some(known.clone());
        }
        let kind = crate::source::FileKind::of(path)?;
        let absolute = workspace.root.join(path);
        let source =
            SourceFile::load(&absolute, std::sync::Arc::new(path.to_path_buf()), kind).ok()?;
        let source = std::sync::Arc::new(source);
        self.sources.push(source.clone());
        Some(source)
    }

    pub fn report(
        &mut self,
        meta: &'static RuleMeta,
        file: &SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Finding {
        let mut reporter = Reporter::new(file);
        reporter.report(meta, span, message);
        self.findings.extend(reporter.into_findings());
        self.findings.last_mut().expect("just pushed")
    }

    pub fn into_parts(self) -> (Vec<Finding>, Vec<std::sync::Arc<SourceFile>>) {
        (self.findings, self.sources)
    }
}

/// Reads a boolean option, naming the rule in the error.
pub fn bool_option(options: &toml::Table, rule: &str, key: &str) -> Result<Option<bool>, String> {
    match options.get(key) {
        None => Ok(None),
        Some(toml::Value::Boolean(value)) => Ok(Some(*value)),
        Some(other) => Err(format!(
            "option `{key}` of rule `{rule}` takes true or false, not {}",
            other.type_str()
        )),
    }
}

/// Reads an option that takes a list of strings, naming the rule in the error.
pub fn string_list_option(
    options: &toml::Table,
    rule: &str,
    key: &str,
) -> Result<Option<Vec<String>>, String> {
    let Some(value) = options.get(key) else {
        return Ok(None);
    };
    let error = || format!("option `{key}` of rule `{rule}` takes a list of strings");
    let items = value.as_array().ok_or_else(error)?;
    items
        .iter()
        .map(|item| item.as_str().map(str::to_string).ok_or_else(error))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Refuses option keys the rule does not know.
pub fn reject_unknown_options(
    options: &toml::Table,
    rule: &str,
    known: &[&str],
) -> Result<(), String> {
    match options.keys().find(|key| !known.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(format!(
            "rule `{rule}` has no option `{key}` (it has: {})",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
