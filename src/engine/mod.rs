//! The pipeline: read and parse every file once, in parallel, run every rule of its kind in
//! one pass, then apply levels and suppressions and sort.

pub mod deploy_pass;
pub mod incremental;
pub mod rust_pass;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::{Finding, Level, Position};
use crate::facts::RustFacts;
use crate::rule::{Category, CodeScope, Reporter, Rule, WorkspaceContext, WorkspaceReporter};
use crate::rules::meta::{parse_error, unknown_rule, unused_suppression};
use crate::source::deployment::Deployment;
use crate::source::dockerfile::Dockerfile;
use crate::source::manifest::Manifest;
use crate::source::rust::{CodeRole, RustFile};
use crate::source::{
    FileKind, LoadError, SourceFile, dockerfile, env_file, location_without_text, procfile,
};
use crate::suppress::inline::{self, InlineSuppression, MalformedSuppression};
use crate::workspace::{ServiceCode, Workspace, WorkspaceFile};
use crate::{registry, source};

/// The result of a run.
pub struct Report {
    /// Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    /// The texts of the files findings point into, for rendering snippets.
    pub sources: HashMap<Arc<PathBuf>, Arc<SourceFile>>,
    pub files_checked: usize,
    pub suppressed: usize,
    /// How many findings `--baseline` accepted, when one was given.
    pub baselined: Option<usize>,
}

impl Report {
    /// A fingerprint of what a finding is about: its rule, file, message and the text it
    /// points at (whitespace runs collapsed). Lines and columns are not part of it, so code
    /// moving up or down keeps it. Baselines and SARIF's `partialFingerprints` use it.
    pub fn fingerprint(&self, finding: &Finding) -> String {
        use sha2::{Digest, Sha256};
        let snippet = self
            .sources
            .get(&finding.location.path)
            .and_then(|source| {
                source
                    .text
                    .get(finding.location.span.start..finding.location.span.end)
            })
            .unwrap_or("");
        let snippet = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        let path = finding.location.path.to_string_lossy().replace('\\', "/");
        let mut hasher = Sha256::new();
        for part in [finding.rule, &path, &finding.message, &snippet] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher
            .finalize()
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// Keeps the findings that touch one of `paths`: at their primary place or a label.
    pub fn keep_touching(&mut self, paths: &[PathBuf]) {
        self.findings.retain(|finding| {
            std::iter::once(&finding.location)
                .chain(finding.labels.iter().map(|label| &label.location))
                .any(|location| paths.iter().any(|path| path == location.path.as_path()))
        });
    }

    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }
}

/// What one file gave.
#[derive(Clone, Default)]
struct FileOutcome {
    source: Option<Arc<SourceFile>>,
    findings: Vec<Finding>,
    suppressions: Vec<InlineSuppression>,
    malformed: Vec<MalformedSuppression>,
    /// Files this one declares as `#[cfg(test)]` modules.
    test_modules: Vec<PathBuf>,
    /// The facts of a Rust file that parsed, for whole-workspace rules.
    facts: Option<Arc<RustFacts>>,
    /// A parsed Dockerfile, for whole-workspace rules and the service model.
    dockerfile: Option<Arc<Dockerfile>>,
}

/// Syntax trees are walked recursively (syn, the rule pass, dropping them): deeply nested code
/// needs deep stacks. The stacks are reserved, not committed, so they cost address space only.
const WORKER_STACK_BYTES: usize = 256 * 1024 * 1024;

static POOL: std::sync::LazyLock<rayon::ThreadPool> = std::sync::LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK_BYTES)
        .thread_name(|index| format!("fitness-worker-{index}"))
        .build()
        .expect("a thread pool can be built")
});

/// Checks every file of the workspace with the configured rules.
pub fn check(workspace: &Workspace, config: &Config, rules: &[Box<dyn Rule>]) -> Report {
    let deployment = POOL.install(|| deploy_pass::load(workspace));
    let outcomes: Vec<FileOutcome> = POOL.install(|| {
        workspace
            .files
            .par_iter()
            .map(|file| check_file(workspace, config, rules, file, &deployment))
            .collect()
    });
    assemble(workspace, config, rules, &deployment, outcomes)
}

/// Reads and parses every file as `check` does, but runs no rule: hands the whole-workspace
/// view (facts, Dockerfiles, manifests, the service model) to `inspect`. `inventory` and
/// `graph` describe the workspace through it.
pub fn inspect<R>(
    workspace: &Workspace,
    config: &Config,
    inspect: impl FnOnce(&WorkspaceContext<'_>) -> R,
) -> R {
    let deployment = POOL.install(|| deploy_pass::load(workspace));
    let outcomes: Vec<FileOutcome> = POOL.install(|| {
        workspace
            .files
            .par_iter()
            .map(|file| check_file(workspace, config, &[], file, &deployment))
            .collect()
    });
    let (rust_facts, dockerfiles) = whole_workspace_inputs(&outcomes);
    let services = service_code(workspace, &rust_facts);
    let cx = WorkspaceContext::new(
        workspace,
        &rust_facts,
        &services,
        &deployment,
        config,
        &dockerfiles,
    );
    inspect(&cx)
}

/// The facts of every Rust file and every parsed Dockerfile, for the whole-workspace pass.
#[allow(clippy::type_complexity)]
fn whole_workspace_inputs(
    outcomes: &[FileOutcome],
) -> (
    Vec<(Arc<PathBuf>, Arc<RustFacts>)>,
    Vec<(Arc<SourceFile>, Arc<Dockerfile>)>,
) {
    let rust_facts = outcomes
        .iter()
        .filter_map(|o| Some((o.source.as_ref()?.path.clone(), o.facts.clone()?)))
        .collect();
    let dockerfiles = outcomes
        .iter()
        .filter_map(|o| Some((o.source.clone()?, o.dockerfile.clone()?)))
        .collect();
    (rust_facts, dockerfiles)
}

/// Which code is service code. A test that starts a server does not make its package a service.
fn service_code<'w>(
    workspace: &'w Workspace,
    rust_facts: &'w [(Arc<PathBuf>, Arc<RustFacts>)],
) -> ServiceCode<'w> {
    let serving = rust_facts
        .iter()
        .filter(|(path, facts)| {
            !facts.servers.is_empty() && workspace.code_role(path) == CodeRole::Production
        })
        .map(|(path, _)| path.as_path());
    ServiceCode::new(workspace, serving)
}

/// The whole-workspace pass over the per-file outcomes, then levels, suppressions and sorting.
/// The language server calls it again after re-checking only the files that changed.
fn assemble(
    workspace: &Workspace,
    config: &Config,
    rules: &[Box<dyn Rule>],
    deployment: &Deployment,
    mut outcomes: Vec<FileOutcome>,
) -> Report {
    let (rust_facts, dockerfiles) = whole_workspace_inputs(&outcomes);
    let services = service_code(workspace, &rust_facts);
    let cx = WorkspaceContext::new(
        workspace,
        &rust_facts,
        &services,
        deployment,
        config,
        &dockerfiles,
    );
    add_workspace_findings(&cx, config, rules, &mut outcomes);
    let today = jiff::Zoned::now().date();
    let mut report = finish(
        outcomes,
        config,
        today,
        workspace.scope.is_none(),
        &|path| services.contains(path),
    );
    report.files_checked = workspace.files.len();
    report
}

fn check_file(
    workspace: &Workspace,
    config: &Config,
    rules: &[Box<dyn Rule>],
    file: &WorkspaceFile,
    deployment: &Deployment,
) -> FileOutcome {
    if let Some((parsed, _)) = deployment.get(&file.path) {
        let role = workspace.code_role(&file.path);
        return check_source(parsed.source.clone(), role, config, rules, deployment);
    }
    match SourceFile::load(&file.absolute, file.path.clone(), file.kind) {
        Ok(source) => check_source(
            Arc::new(source),
            workspace.code_role(&file.path),
            config,
            rules,
            deployment,
        ),
        Err(error) => unreadable(file, &error),
    }
}

/// Checks one file given as text, as the editor and the documentation tests do: levels and
/// inline suppressions apply; nothing outside the file is read.
pub fn check_text(
    source: SourceFile,
    role: CodeRole,
    config: &Config,
    rules: &[Box<dyn Rule>],
) -> Vec<Finding> {
    let source = Arc::new(source);
    let deployment = match source.kind {
        FileKind::Yaml => Deployment::single(source.clone()),
        _ => Deployment::default(),
    };
    let outcome = POOL.install(|| check_source(source.clone(), role, config, rules, &deployment));
    // Whole-workspace rules see a workspace of this one file, all of it service code.
    let rust_facts: Vec<(Arc<PathBuf>, Arc<RustFacts>)> = outcome
        .facts
        .clone()
        .map(|facts| (source.path.clone(), facts))
        .into_iter()
        .collect();
    let workspace = Workspace::empty(PathBuf::new());
    let services = ServiceCode::new(&workspace, std::iter::empty());
    let dockerfiles: Vec<(Arc<SourceFile>, Arc<Dockerfile>)> = outcome
        .dockerfile
        .clone()
        .map(|dockerfile| (source.clone(), dockerfile))
        .into_iter()
        .collect();
    let cx = WorkspaceContext::new(
        &workspace,
        &rust_facts,
        &services,
        &deployment,
        config,
        &dockerfiles,
    );
    let mut outcomes = vec![outcome];
    add_workspace_findings(&cx, config, rules, &mut outcomes);
    finish(outcomes, config, jiff::Zoned::now().date(), false, &|_| {
        true
    })
    .findings
}

fn check_source(
    source: Arc<SourceFile>,
    role: CodeRole,
    config: &Config,
    rules: &[Box<dyn Rule>],
    deployment: &Deployment,
) -> FileOutcome {
    let enabled: Vec<&dyn Rule> = rules
        .iter()
        .map(|rule| rule.as_ref())
        .filter(|rule| config.level(rule.meta().id, &source.path) != Level::Allow)
        .collect();
    let mut out = Reporter::new(&source);
    let mut test_modules = Vec::new();
    let mut rust_facts = None;
    let mut parsed_dockerfile: Option<Arc<Dockerfile>> = None;
    let mut annotations = Default::default();
    match source.kind {
        FileKind::Rust => {
            match RustFile::parse(&source, role) {
                Ok(rust) => {
                    let facts = RustFacts::extract(&rust);
                    rust_pass::check(&rust, &facts, &enabled, &mut out);
                    test_modules = rust.test_module_files();
                    rust_facts = Some(Arc::new(facts));
                }
                Err(error) => {
                    out.report(
                        &parse_error::META,
                        error.span,
                        format!("Rust syntax error: {}", error.message),
                    )
                    .label("the file does not parse here")
                    .help("fix the syntax; until then no rule checks this file");
                }
            }
            // Spans of this thread's parses are no longer needed; free their source copies.
            proc_macro2::extra::invalidate_current_thread_spans();
        }
        FileKind::CargoManifest => match Manifest::parse(&source.text) {
            Ok(manifest) => {
                for rule in &enabled {
                    rule.check_manifest(&manifest, &mut out);
                }
            }
            Err(error) => {
                out.report(
                    &parse_error::META,
                    error.span,
                    format!("Cargo.toml does not parse: {}", error.message.trim()),
                )
                .label("invalid TOML")
                .help("fix the syntax; until then no rule checks this manifest");
            }
        },
        FileKind::Dockerfile => {
            let parsed = dockerfile::parse(&source.text);
            for rule in &enabled {
                rule.check_dockerfile(&parsed, &mut out);
            }
            let dockerfile = parsed_dockerfile.insert(Arc::new(parsed));
            for error in &dockerfile.errors {
                out.report(
                    &parse_error::META,
                    error.span.clone().into(),
                    format!("Dockerfile: {}", error.message),
                )
                .label("not understood")
                .help("fix the instruction; the rest of the Dockerfile is still checked");
            }
        }
        FileKind::Yaml => {
            annotations = deploy_pass::check(&source, deployment, &enabled, &mut out);
        }
        FileKind::Env => {
            let env = env_file::parse(&source.text);
            for rule in &enabled {
                rule.check_env_file(&env, &mut out);
            }
            for error in &env.errors {
                out.report(
                    &parse_error::META,
                    error.span,
                    format!(".env file: {}", error.message),
                )
                .label("not understood")
                .help("write `KEY=value`; the other lines are still checked");
            }
        }
        FileKind::Procfile => {
            let procfile = procfile::parse(&source.text);
            for rule in &enabled {
                rule.check_procfile(&procfile, &mut out);
            }
            for error in &procfile.errors {
                out.report(
                    &parse_error::META,
                    error.span.clone().into(),
                    format!("Procfile: {}", error.message),
                )
                .label("not understood")
                .help("write `name: command`; the other lines are still checked");
            }
        }
        FileKind::CargoLock => {}
    }
    let (mut suppressions, mut malformed) = inline::scan(&source);
    suppressions.extend(annotations.0);
    malformed.extend(annotations.1);
    FileOutcome {
        findings: out.into_findings(),
        source: Some(source.clone()),
        suppressions,
        malformed,
        test_modules,
        facts: rust_facts,
        dockerfile: parsed_dockerfile,
    }
}

fn unreadable(file: &WorkspaceFile, error: &LoadError) -> FileOutcome {
    let (position, detail) = match error {
        LoadError::NotUtf8 { prefix, .. } => {
            let lines = source::line_index::LineIndex::new(prefix);
            (lines.position(prefix.len(), prefix), "save it as UTF-8")
        }
        LoadError::TooLarge { .. } => (
            Position { line: 1, column: 1 },
            "to check it, raise `max-file-mib` in fitness.toml; if it is generated or vendored, \
             list it in `exclude`",
        ),
        LoadError::Binary => (
            Position { line: 1, column: 1 },
            "exclude it with .gitignore, or rename it if it is not a config file",
        ),
        LoadError::Io(_) => (
            Position { line: 1, column: 1 },
            "make it readable, or exclude it with .gitignore",
        ),
    };
    let finding = Finding {
        rule: parse_error::META.id,
        level: parse_error::META.default_level,
        message: error.message(),
        location: location_without_text(file.path.clone(), position),
        label: None,
        labels: Vec::new(),
        help: Some(detail.to_string()),
        note: None,
    };
    FileOutcome {
        findings: vec![finding],
        ..FileOutcome::default()
    }
}

/// Levels, suppressions, the meta rules, and sorting. `whole_workspace` is false when only part
/// of it was read; `[[ignore]]` entries that matched nothing are then not reported.
fn finish(
    outcomes: Vec<FileOutcome>,
    config: &Config,
    today: jiff::civil::Date,
    whole_workspace: bool,
    is_service_code: &dyn Fn(&std::path::Path) -> bool,
) -> Report {
    let files_checked = outcomes.len();
    let test_modules: HashSet<PathBuf> = outcomes
        .iter()
        .flat_map(|o| o.test_modules.iter().cloned())
        .collect();
    let mut ignores = ConfigIgnores {
        config,
        today,
        used: vec![false; config.ignores.len()],
    };
    let mut findings = Vec::new();
    let mut sources = HashMap::new();
    let mut suppressed = 0;
    for outcome in outcomes {
        let in_test_module = outcome
            .source
            .as_ref()
            .is_some_and(|s| test_modules.contains(s.path.as_path()));
        let parsed = !outcome
            .findings
            .iter()
            .any(|f| f.rule == parse_error::META.id);
        let mut used: Vec<Vec<bool>> = outcome
            .suppressions
            .iter()
            .map(|s| vec![false; s.rules.len()])
            .collect();
        let mut kept = Vec::new();
        for finding in leveled(outcome.findings, config) {
            let scope = registry::find(finding.rule).map_or(CodeScope::All, |meta| meta.scope);
            let dropped = match scope {
                CodeScope::All => false,
                CodeScope::Production => in_test_module,
                CodeScope::Service => in_test_module || !is_service_code(&finding.location.path),
            };
            if dropped {
                continue;
            }

            if suppress_inline(&finding, &outcome.suppressions, &mut used)
                | ignores.suppress(&finding)
            {
                suppressed += 1;
            } else {
                kept.push(finding);
            }
        }
        if let Some(source) = outcome.source {
            // A file that did not parse was not checked: its suppressions cannot have been used.
            if parsed {
                let mut reporter = Reporter::new(&source);
                report_suppression_problems(
                    &outcome.suppressions,
                    &used,
                    &outcome.malformed,
                    config,
                    &mut reporter,
                );
                kept.extend(leveled(reporter.into_findings(), config));
            }
            if !kept.is_empty() {
                sources.insert(source.path.clone(), source);
            }
        }
        findings.extend(kept);
    }
    findings.extend(ignores.report(whole_workspace, &mut sources));
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Report {
        findings,
        sources,
        files_checked,
        suppressed,
        baselined: None,
    }
}

/// Whether an inline suppression on the finding's line (or file) names its rule or category;
/// marks the names that matched.
fn suppress_inline(
    finding: &Finding,
    suppressions: &[InlineSuppression],
    used: &mut [Vec<bool>],
) -> bool {
    let category = registry::find(finding.rule).map(|meta| meta.category.name());
    let mut suppressed = false;
    for (suppression, used) in suppressions.iter().zip(used) {
        if !suppression.covers(finding.location.start.line, finding.location.span) {
            continue;
        }
        for ((name, _), used) in suppression.rules.iter().zip(used.iter_mut()) {
            if name == finding.rule || Some(name.as_str()) == category {
                *used = true;
                suppressed = true;
            }
        }
    }
    suppressed
}

/// The `[[ignore]]` entries of the configuration, and which of them matched.
struct ConfigIgnores<'c> {
    config: &'c Config,
    today: jiff::civil::Date,
    used: Vec<bool>,
}

impl ConfigIgnores<'_> {
    fn suppress(&mut self, finding: &Finding) -> bool {
        let mut suppressed = false;
        for (entry, used) in self.config.ignores.iter().zip(&mut self.used) {
            if entry.covers(finding.rule, &finding.location.path) && !entry.expired(self.today) {
                *used = true;
                suppressed = true;
            }
        }
        suppressed
    }

    /// Entries that have expired, and (when the whole workspace was read) entries that matched
    /// nothing although one of their rules is on.
    fn report(
        &self,
        whole_workspace: bool,
        sources: &mut HashMap<Arc<PathBuf>, Arc<SourceFile>>,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (entry, used) in self.config.ignores.iter().zip(&self.used) {
            let file = &self.config.files[entry.file];
            let mut out = Reporter::new(file);
            if entry.expired(self.today) {
                let expires = entry.expires.map(|d| d.to_string()).unwrap_or_default();
                out.report(
                    &unused_suppression::META,
                    entry.span,
                    format!(
                        "this `[[ignore]]` entry expired on {expires} and no longer suppresses"
                    ),
                )
                .label("expired")
                .note(format!("reason given: {}", entry.reason))
                .help("fix the findings it covered, or extend `expires` if the reason still holds");
            } else if !used
                && whole_workspace
                && entry
                    .rules
                    .as_ref()
                    .is_none_or(|rules| rules.iter().any(|rule| self.config.enabled_anywhere(rule)))
            {
                out.report(
                    &unused_suppression::META,
                    entry.span,
                    "this `[[ignore]]` entry suppresses nothing",
                )
                .label("matches no finding")
                .help("remove the entry, or correct its `rules` and `paths`");
            }
            let found: Vec<Finding> = leveled(out.into_findings(), self.config).collect();
            if !found.is_empty() {
                sources.insert(file.path.clone(), file.clone());
            }
            findings.extend(found);
        }
        findings
    }
}

/// Sets each finding's configured level and drops the ones at `allow`.
fn leveled(findings: Vec<Finding>, config: &Config) -> impl Iterator<Item = Finding> + '_ {
    findings.into_iter().filter_map(|mut finding| {
        finding.level = config.level(finding.rule, &finding.location.path);
        (finding.level != Level::Allow).then_some(finding)
    })
}

fn report_suppression_problems(
    suppressions: &[InlineSuppression],
    used: &[Vec<bool>],
    malformed: &[MalformedSuppression],
    config: &Config,
    out: &mut Reporter<'_>,
) {
    let path = out.file().path.clone();
    for (suppression, used) in suppressions.iter().zip(used) {
        for ((id, span), used) in suppression.rules.iter().zip(used) {
            if Category::from_name(id).is_some() {
                if !used
                    && registry::select(id).is_some_and(|rules| {
                        rules
                            .iter()
                            .any(|r| config.level(r.id, &path) != Level::Allow)
                    })
                {
                    let scope = suppression.reach();
                    out.report(&unused_suppression::META, *span, format!("category `{id}` is suppressed here but has no finding on {scope}"))
                        .label("suppresses nothing")
                        .help("remove it from the suppression; stale suppressions hide the next real finding");
                }
                continue;
            }
            match registry::find(id) {
                None => {
                    let finding = out
                        .report(
                            &unknown_rule::META,
                            *span,
                            format!("unknown rule `{id}` in a suppression"),
                        )
                        .label("no rule has this id");
                    match closest_rule(id) {
                        Some(close) => finding.help(format!(
                            "did you mean `{close}`? `cargo fitness rules` lists every rule"
                        )),
                        None => finding.help("`cargo fitness rules` lists every rule"),
                    };
                }
                Some(meta) if !used && config.level(meta.id, &path) != Level::Allow => {
                    let scope = suppression.reach();
                    out.report(&unused_suppression::META, *span, format!("`{id}` is suppressed here but has no finding on {scope}"))
                        .label("suppresses nothing")
                        .help("remove it from the suppression; stale suppressions hide the next real finding");
                }
                Some(_) => {}
            }
        }
    }
    for problem in malformed {
        out.report(
            &unused_suppression::META,
            problem.span,
            format!("malformed suppression: {}", problem.problem),
        )
        .label("suppresses nothing")
        .help("write `fitness: ignore[rule-id] reason`");
    }
}

fn closest_rule(id: &str) -> Option<&'static str> {
    registry::all()
        .iter()
        .map(|meta| (strsim::levenshtein(id, meta.id), meta.id))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, id)| id)
}

/// Runs the whole-workspace hooks and files each finding with the outcome of its file, so
/// suppressions in that file apply to it.
fn add_workspace_findings(
    cx: &WorkspaceContext<'_>,
    config: &Config,
    rules: &[Box<dyn Rule>],
    outcomes: &mut Vec<FileOutcome>,
) {
    let mut out =
        WorkspaceReporter::with_sources(outcomes.iter().filter_map(|o| o.source.clone()).collect());
    for rule in rules {
        if config.enabled_anywhere(rule.meta().id) {
            rule.check_workspace(cx, &mut out);
        }
    }

    let (findings, sources) = out.into_parts();
    for finding in findings {
        let existing = outcomes.iter_mut().find(|o| {
            o.source
                .as_ref()
                .is_some_and(|s| s.path == finding.location.path)
        });
        match existing {
            Some(outcome) => outcome.findings.push(finding),
            None => {
                let source = sources
                    .iter()
                    .find(|s| s.path == finding.location.path)
                    .cloned();
                outcomes.push(FileOutcome {
                    source,
                    findings: vec![finding],
                    ..FileOutcome::default()
                });
            }
        }
    }
}
