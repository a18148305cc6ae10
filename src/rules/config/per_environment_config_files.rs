//! `per-environment-config-files`: configuration kept as one file per named environment
//! (`config/production.toml`, `.env.staging`), picked by the environment's name in code, shipped
//! in the image or chosen by the deployment.
//!
//! One fault is one finding. Where shipping code picks the file (`format!("config/{app_env}")`),
//! the finding is on that code, and the files it picks from, the `COPY` that ships them and the
//! settings that choose the environment (`APP_ENV: production`) are its labels. Where no code
//! the tool can follow picks them, the deployment's own choice is the finding: a `COPY` of such
//! files into the image, or a compose `env_file:` of one environment's committed file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Label, Level, Span};
use crate::facts::config_files::{self, Choice, ConfigFileChoice, EnvironmentFile};
use crate::facts::deploy_env::{self, Origin, SetValue};
use crate::facts::docker::{self, BuildContext};
use crate::facts::env::{ReadKind, is_deployed_environment, names_deployment_environment};
use crate::facts::start_commands::is_development_dockerfile;
use crate::model::Service;
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::SourceFile;
use crate::source::compose::ComposeService;
use crate::source::dockerfile::{Dockerfile, Word};
use crate::source::kubernetes::span;
use crate::source::location_without_text;

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

pub struct PerEnvironmentConfigFiles;

/// A place already shown as a label of a finding, so it is not reported again.
#[derive(Default)]
struct Shown {
    places: Vec<(Arc<PathBuf>, Span)>,
}

impl Shown {
    fn add(&mut self, path: &Arc<PathBuf>, span: Span) {
        self.places.push((path.clone(), span));
    }

    fn contains(&self, path: &Path, span: Span) -> bool {
        self.places
            .iter()
            .any(|(p, s)| p.as_path() == path && *s == span)
    }
}

/// A `COPY`/`ADD` source of an image that ships environment files.
struct Shipped<'d> {
    source: &'d Arc<SourceFile>,
    word: Word,
    files: Vec<EnvironmentFile>,
}

impl Rule for PerEnvironmentConfigFiles {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let mut shown = Shown::default();
        for (path, facts) in cx.rust_facts {
            if facts.config_files.is_empty() || !cx.services.contains(path) {
                continue;
            }
            let Some(source) = out.open(cx.workspace, path) else {
                continue;
            };
            let layered = facts.env.reads.iter().find_map(|read| match read.kind {
                ReadKind::ConfigEnvironment | ReadKind::Figment => read.prefix.clone(),
                _ => None,
            });
            for choice in &facts.config_files {
                let labels = code_labels(cx, path, choice, &mut shown);
                let finding = report_choice(out, &source, choice, layered.as_deref());
                finding.labels.extend(labels);
            }
        }
        report_shipped(cx, out, &mut shown);
        report_env_files(cx, out, &shown);
    }
}

fn report_choice<'o>(
    out: &'o mut WorkspaceReporter,
    source: &SourceFile,
    choice: &ConfigFileChoice,
    layered: Option<&str>,
) -> &'o mut crate::diagnostic::Finding {
    match &choice.choice {
        Choice::ByName {
            template,
            environment,
        } => {
            let help = match layered {
                Some(prefix) if !prefix.is_empty() => format!(
                    "keep one file of defaults shared by every deploy; this code already layers \
                     `{prefix}`-prefixed environment variables on top, so set what differs per \
                     deploy there"
                ),
                _ => "keep one file of defaults shared by every deploy and read what differs per \
                      deploy from environment variables (`config::Environment`, figment `Env`, \
                      `std::env::var`)"
                    .to_string(),
            };
            out.report(
                &META,
                source,
                choice.span,
                format!(
                    "configuration file `{}` is picked by the environment's name",
                    config_files::shown(template, environment)
                ),
            )
            .label(format!(
                "one file for each value of {}",
                environment.describe()
            ))
            .note(NOTE)
            .help(help)
        }
        Choice::Fixed {
            path,
            environment,
            how,
        } => out
            .report(
                &META,
                source,
                choice.span,
                format!("the `{environment}` configuration file `{path}` is {how} here"),
            )
            .label(format!("only right for `{environment}`"))
            .note(NOTE)
            .help(
                "load one file of defaults shared by every deploy, and take what differs per \
                 deploy from environment variables",
            ),
    }
}

/// The places a code choice involves: the committed files it picks from, the `COPY`s that ship
/// them into the images of its services, and the settings that choose the environment there.
fn code_labels<'a>(
    cx: &WorkspaceContext<'a>,
    path: &Path,
    choice: &ConfigFileChoice,
    shown: &mut Shown,
) -> Vec<Label> {
    let package_dir = cx
        .workspace
        .package_of(path)
        .map(|p| p.dir.clone())
        .unwrap_or_default();
    let mut files = match &choice.choice {
        // `include_str!` paths are relative to the file that holds them.
        Choice::Fixed {
            path: included,
            how: "compiled in",
            ..
        } => {
            let beside = path.parent().unwrap_or(Path::new("")).join(included);
            let resolved = crate::source::normalize_path(&beside);
            config_files::files_matching(
                &cx.workspace.root,
                &[PathBuf::new()],
                &resolved.to_string_lossy(),
            )
        }
        _ => config_files::files_matching(
            &cx.workspace.root,
            &[package_dir.clone(), PathBuf::new()],
            choice.template(),
        ),
    };
    let model = cx.model();
    let services: Vec<&Service<'a>> = model
        .services
        .iter()
        .filter(|s| s.rust_facts(cx).iter().any(|(p, _)| *p == path))
        .collect();
    // The images of its services, and the files their `COPY`s bring that the template names.
    let mut copies: Vec<Shipped<'_>> = Vec::new();
    for service in &services {
        for built in &service.dockerfiles {
            for mut shipped in shipped_sets(cx, built.source, built.dockerfile, &package_dir) {
                let file_part = choice.template().rsplit('/').next().unwrap_or_default();
                let named: Vec<EnvironmentFile> = shipped
                    .files
                    .iter()
                    .filter(|f| {
                        files.contains(f)
                            || f.path.parent().is_some_and(|dir| {
                                config_files::files_matching(
                                    &cx.workspace.root,
                                    &[dir.to_path_buf()],
                                    file_part,
                                )
                                .contains(f)
                            })
                    })
                    .cloned()
                    .collect();
                if named.is_empty() {
                    continue;
                }
                for file in &named {
                    if !files.contains(file) {
                        files.push(file.clone());
                    }
                }
                shipped.files = named;
                if !copies
                    .iter()
                    .any(|c| c.source.path == shipped.source.path && c.word == shipped.word)
                {
                    copies.push(shipped);
                }
            }
        }
    }
    files.sort();
    let mut labels: Vec<Label> = files
        .iter()
        .map(|file| file_label(file, format!("the `{}` file", file.environment)))
        .collect();
    for copy in &copies {
        let span = Span::from(copy.word.span.clone());
        shown.add(&copy.source.path, span);
        labels.push(Label {
            location: copy.source.location(span),
            message: format!("ships {} into the image", listing(&copy.files)),
        });
    }
    let var = match &choice.choice {
        Choice::ByName { environment, .. } => environment.var.clone(),
        Choice::Fixed { .. } => return labels,
    };
    let environments: Vec<&str> = files.iter().map(|f| f.environment.as_str()).collect();
    for selector in selectors(cx, &services) {
        let chosen = match &var {
            Some(var) => selector.name == *var,
            None => {
                names_deployment_environment(&selector.name)
                    && environments
                        .iter()
                        .any(|e| e.eq_ignore_ascii_case(&selector.value))
            }
        };
        if !chosen {
            continue;
        }
        shown.add(&selector.source.path, selector.span);
        labels.push(selector.label(&files));
    }
    dedup_labels(&mut labels);
    labels
}

/// Where a deployment sets the variable that names the environment.
struct Selector {
    name: String,
    value: String,
    source: Arc<SourceFile>,
    span: Span,
}

impl Selector {
    fn label(&self, files: &[EnvironmentFile]) -> Label {
        let picked = files
            .iter()
            .find(|f| f.environment.eq_ignore_ascii_case(&self.value));
        let message = match picked {
            Some(file) => format!(
                "`{}={}` picks `{}`",
                self.name,
                self.value,
                file.path.display()
            ),
            None => format!("`{}={}` picks the environment", self.name, self.value),
        };
        Label {
            location: self.source.location(self.span),
            message,
        }
    }
}

/// The literal settings of the services' images (`ENV` of the shipping stage) and of the
/// containers and compose services that run them.
fn selectors<'a>(cx: &WorkspaceContext<'a>, services: &[&Service<'a>]) -> Vec<Selector> {
    let mut found: Vec<Selector> = Vec::new();
    let mut add = |name: &str, value: &str, source: &Arc<SourceFile>, span: Span| {
        if !found
            .iter()
            .any(|s| s.source.path == source.path && s.span == span)
        {
            found.push(Selector {
                name: name.to_string(),
                value: value.to_string(),
                source: source.clone(),
                span,
            });
        }
    };
    for service in services {
        for built in &service.dockerfiles {
            let Some(stage) = docker::shipping_stage(built.dockerfile) else {
                continue;
            };
            let chain = docker::stage_chain(built.dockerfile, stage);
            for (_, instruction) in docker::chain_instructions(built.dockerfile, &chain) {
                if instruction.keyword != "ENV" {
                    continue;
                }
                for pair in instruction.key_values() {
                    if let Some(value) = &pair.value {
                        add(&pair.key, value, built.source, Span::from(pair.key_span));
                    }
                }
            }
        }
        for runner in deploy_env::runners(cx, service) {
            let env = deploy_env::runner_env(cx, service, &runner);
            for setting in env.settings {
                if setting.origin == Origin::Image {
                    continue;
                }
                if let SetValue::Literal(value) = &setting.value {
                    add(&setting.name, value, &setting.source, setting.span);
                }
            }
        }
    }
    found
}

/// The `COPY`/`ADD` sources of a Dockerfile's shipping stage that bring environment files:
/// from the build context, a directory holding such files or one such file; from a build
/// stage, a path that ends in a directory of such files in the package or the workspace.
fn shipped_sets<'d>(
    cx: &WorkspaceContext<'_>,
    source: &'d Arc<SourceFile>,
    dockerfile: &'d Dockerfile,
    package_dir: &Path,
) -> Vec<Shipped<'d>> {
    let Some(stage) = docker::shipping_stage(dockerfile) else {
        return Vec::new();
    };
    if is_development_dockerfile(&source.path) {
        return Vec::new();
    }
    let context = BuildContext::of(source);
    let root = &cx.workspace.root;
    let chain = docker::stage_chain(dockerfile, stage);
    let mut found = Vec::new();
    for (_, instruction) in docker::chain_instructions(dockerfile, &chain) {
        let Some(copy) = instruction.copy_args() else {
            continue;
        };
        let from_stage = instruction.flag("from").is_some();
        for word in copy.sources {
            let text = word.text.trim_end_matches('/');
            if matches!(text, "" | "." | "./") || text.contains(['$', '*', '?']) {
                continue;
            }
            let files = if from_stage {
                // `COPY --from=builder /app/configuration configuration`.
                let candidates = [package_dir.to_path_buf(), PathBuf::new()];
                candidates
                    .iter()
                    .flat_map(|base| {
                        let name = docker::basename(text);
                        let relative = base.join(name);
                        let named = text == name || text.ends_with(&format!("/{name}"));
                        if named {
                            config_files::environment_files_in(root, &relative)
                        } else {
                            Vec::new()
                        }
                    })
                    .collect::<Vec<_>>()
            } else {
                let Some(absolute) = context.find(text) else {
                    continue;
                };
                let Ok(relative) = absolute.strip_prefix(root) else {
                    continue;
                };
                if absolute.is_dir() {
                    config_files::environment_files_in(root, relative)
                } else {
                    config_files::environment_of_file(relative)
                        .filter(|_| {
                            relative.parent().is_some_and(|dir| {
                                config_files::committed_entries(root, dir)
                                    .iter()
                                    .any(|(entry, _)| entry == relative)
                            })
                        })
                        .map(|environment| {
                            vec![EnvironmentFile {
                                path: relative.to_path_buf(),
                                environment,
                            }]
                        })
                        .unwrap_or_default()
                }
            };
            if !files.is_empty() {
                found.push(Shipped {
                    source,
                    word: word.clone(),
                    files,
                });
            }
        }
    }
    found
}

/// `COPY`s into the images of the workspace's services that ship environment files no code
/// finding shows: a set for several environments, one of which is deployed, or the file of one
/// deployed environment on its own (the image then only fits that environment).
fn report_shipped(cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter, shown: &mut Shown) {
    let model = cx.model();
    let mut seen: Vec<(Arc<PathBuf>, Span)> = Vec::new();
    for service in &model.services {
        for built in &service.dockerfiles {
            let package_dir = service
                .binary
                .as_ref()
                .map(|b| b.package.dir.clone())
                .unwrap_or_default();
            for shipped in shipped_sets(cx, built.source, built.dockerfile, &package_dir) {
                let span = Span::from(shipped.word.span.clone());
                if shown.contains(&shipped.source.path, span)
                    || seen
                        .iter()
                        .any(|(p, s)| *p == shipped.source.path && *s == span)
                {
                    continue;
                }
                let environments = distinct_environments(&shipped.files);
                let deployed: Vec<&str> = environments
                    .iter()
                    .copied()
                    .filter(|e| is_deployed_environment(e))
                    .collect();
                let single = shipped.files.len() == 1;
                if deployed.is_empty() || (!single && environments.len() < 2) {
                    continue;
                }
                if single && holds_secret(cx, &shipped.files[0]) {
                    // `secret-in-image` reports the copy.
                    continue;
                }
                seen.push((shipped.source.path.clone(), span));
                let message = if single {
                    format!(
                        "`{}` copies the `{}` configuration file into the image",
                        instruction_keyword(built.dockerfile, &shipped.word),
                        deployed[0]
                    )
                } else {
                    format!(
                        "`{}` ships one configuration file per environment into the image ({})",
                        instruction_keyword(built.dockerfile, &shipped.word),
                        environments.join(", ")
                    )
                };
                let label = if single {
                    format!("the image only fits `{}`", deployed[0])
                } else {
                    "every environment's configuration, in every image".to_string()
                };
                let mut labels: Vec<Label> = shipped
                    .files
                    .iter()
                    .map(|file| file_label(file, format!("the `{}` file", file.environment)))
                    .collect();
                let services = [service];
                for selector in selectors(cx, &services) {
                    if names_deployment_environment(&selector.name)
                        && environments
                            .iter()
                            .any(|e| e.eq_ignore_ascii_case(&selector.value))
                    {
                        labels.push(selector.label(&shipped.files));
                    }
                }
                for entry in env_file_entries(cx) {
                    if shipped.files.iter().any(|f| f.path == entry.file) {
                        let source = &entry.compose.file.source;
                        shown.add(&source.path, entry.span);
                        labels.push(Label {
                            location: source.location(entry.span),
                            message: format!(
                                "{} takes `{}` too",
                                entry.compose.logical(),
                                entry.file.display()
                            ),
                        });
                    }
                }
                dedup_labels(&mut labels);
                let finding = out
                    .report(&META, shipped.source, span, message)
                    .label(label)
                    .note(NOTE)
                    .help(
                        "ship one file of defaults that fits every deploy, and set what differs \
                         per deploy as environment variables of the container (Kubernetes `env`, \
                         a ConfigMap, compose `environment`)",
                    );
                finding.labels.extend(labels);
            }
        }
    }
}

/// A compose `env_file:` entry of one of the workspace's services.
struct EnvFileEntry<'a> {
    compose: ComposeService<'a>,
    span: Span,
    /// As written.
    text: &'a str,
    /// The file it names, relative to the root.
    file: PathBuf,
}

/// The `env_file:` entries of the compose services that run the workspace's binaries.
fn env_file_entries<'a>(cx: &WorkspaceContext<'a>) -> Vec<EnvFileEntry<'a>> {
    let mut entries: Vec<EnvFileEntry<'a>> = Vec::new();
    for service in &cx.model().services {
        for compose in &service.compose {
            let directory = compose.file.path().parent().unwrap_or(Path::new(""));
            for node in compose.env_files() {
                let Some(text) = node.as_str() else {
                    continue;
                };
                let span = span(node);
                if entries.iter().any(|e| {
                    e.compose.file.source.path == compose.file.source.path && e.span == span
                }) {
                    continue;
                }
                entries.push(EnvFileEntry {
                    compose: *compose,
                    span,
                    text,
                    file: crate::source::normalize_path(&directory.join(text)),
                });
            }
        }
    }
    entries
}

/// Compose `env_file:` entries of the workspace's services that name a committed file of one
/// deployed environment (`.env.production`), when no other finding shows them.
fn report_env_files(cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter, shown: &Shown) {
    let root = &cx.workspace.root;
    for entry in env_file_entries(cx) {
        let source = &entry.compose.file.source;
        if shown.contains(&source.path, entry.span) {
            continue;
        }
        let Some(environment) = config_files::environment_of_file(&entry.file) else {
            continue;
        };
        if !is_deployed_environment(&environment) {
            continue;
        }
        let siblings = entry
            .file
            .parent()
            .map(|dir| config_files::environment_files_in(root, dir))
            .unwrap_or_default();
        // Only a committed file: one kept on the host that deploys is the mechanism.
        if !siblings.iter().any(|f| f.path == entry.file) {
            continue;
        }
        let labels: Vec<Label> = siblings
            .iter()
            .map(|file| {
                let message = if file.path == entry.file {
                    format!("the `{}` file, committed", file.environment)
                } else {
                    format!("the `{}` file", file.environment)
                };
                file_label(file, message)
            })
            .collect();
        let finding = out
            .report(
                &META,
                source,
                entry.span,
                format!(
                    "{} takes its settings from the committed `{environment}` file `{}`",
                    entry.compose.logical(),
                    entry.text
                ),
            )
            .label(format!("only right for `{environment}`"))
            .note(NOTE)
            .help(
                "keep per-deploy values out of the repository: set them on the host that \
                 deploys (an uncommitted `.env`, the platform's secrets and variables), and \
                 commit a `.env.example` that lists the keys",
            );
        finding.labels.extend(labels);
    }
}

/// The environments of a set, in order of first appearance.
fn distinct_environments(files: &[EnvironmentFile]) -> Vec<&str> {
    let mut environments: Vec<&str> = Vec::new();
    for file in files {
        if !environments
            .iter()
            .any(|e| e.eq_ignore_ascii_case(&file.environment))
        {
            environments.push(&file.environment);
        }
    }
    environments
}

/// Whether a `.env` file copied alone holds a secret (then `secret-in-image` reports it).
fn holds_secret(cx: &WorkspaceContext<'_>, file: &EnvironmentFile) -> bool {
    let name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    docker::is_env_file_name(&name)
        && std::fs::read_to_string(cx.workspace.root.join(&file.path))
            .ok()
            .and_then(|text| docker::env_file_secret(&text))
            .is_some()
}

/// `COPY` or `ADD`: the instruction a source word belongs to.
fn instruction_keyword(dockerfile: &Dockerfile, word: &Word) -> String {
    dockerfile
        .instructions
        .iter()
        .find(|i| i.span.start <= word.span.start && word.span.end <= i.span.end)
        .map_or_else(|| "COPY".to_string(), |i| i.keyword.clone())
}

/// `config/development.toml` and `config/production.toml`.
fn listing(files: &[EnvironmentFile]) -> String {
    let names: Vec<String> = files
        .iter()
        .map(|f| format!("`{}`", f.path.display()))
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A label on the first line of a configuration file, which the tool does not read.
fn file_label(file: &EnvironmentFile, message: String) -> Label {
    Label {
        location: location_without_text(
            Arc::new(file.path.clone()),
            crate::diagnostic::Position { line: 1, column: 1 },
        ),
        message,
    }
}

fn dedup_labels(labels: &mut Vec<Label>) {
    let mut kept: Vec<Label> = Vec::new();
    for label in labels.drain(..) {
        if !kept.iter().any(|k| k.location == label.location) {
            kept.push(label);
        }
    }
    *labels = kept;
}
