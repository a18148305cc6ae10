//! `deployed-binary-missing`: a Dockerfile builds, copies or starts a binary (or builds a
//! package) that the workspace does not have. The image build fails at that line, or — for a
//! `COPY` of a stale path — ships the wrong program. A compose service or Kubernetes container
//! that runs an image of the workspace with its own command is held against the same list: a
//! program where the image keeps the workspace's binaries that is not one of them fails to
//! start.

use std::sync::Arc;

use crate::diagnostic::{Label, Level, Span};
use crate::facts::deploy_env::{Image, compose_build_image};
use crate::facts::docker::{CargoAction, basename, cargo_command, run_commands, shipping_stage};
use crate::facts::image_contents::{
    ImageContents, image_contents, is_common_tool, is_system_bin_directory, is_target_name, parent,
    stage_builds, target_binary,
};
use crate::facts::image_links::image_names;
use crate::facts::images::literal_reference;
use crate::facts::start_commands::{
    compose_command_words, docker_start, exec_form_commands, exec_words, strip_init, yaml_words,
};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::SourceFile;
use crate::source::compose::ComposeFile;
use crate::source::dockerfile::{Args, Dockerfile, ImageSource, Word};
use crate::source::yaml::Node;

pub static META: RuleMeta = RuleMeta {
    id: "deployed-binary-missing",
    category: Category::AdminProcesses,
    default_level: Level::Deny,
    summary: "a Dockerfile, compose file or manifest builds, copies or starts a binary or package that no target of the workspace produces",
    docs: include_str!("../../../rules/admin-processes/deployed-binary-missing.md"),
    scope: CodeScope::All,
};

pub struct DeployedBinaryMissing;

const NOTE: &str = "twelve-factor XII: the processes a release runs — the server and its one-off \
                    admin tasks — are the binaries of the same codebase; a name the codebase \
                    does not build fails the image build, ships a stale program, or leaves a \
                    container that cannot start";

/// What a Dockerfile names.
enum Named {
    Bin,
    Package,
    Copied,
    Started,
}

struct Reference {
    what: Named,
    name: String,
    word: Word,
    /// The instruction the name is in, for a `COPY --from` the stage that builds.
    context: Option<Span>,
}

impl Rule for DeployedBinaryMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let bins = workspace_bins(cx);
        let packages: Vec<&str> = cx
            .workspace
            .packages
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        if bins.is_empty() {
            return;
        }
        for (source, dockerfile) in cx.dockerfiles {
            if !judged(cx, source, dockerfile) {
                continue;
            }
            for reference in references(dockerfile) {
                let (known, kind) = match reference.what {
                    Named::Package => (packages.contains(&reference.name.as_str()), "package"),
                    _ => (bins.iter().any(|b| *b == reference.name), "binary"),
                };
                if known {
                    continue;
                }
                let message = match reference.what {
                    Named::Bin => format!(
                        "`--bin {}` names a binary the workspace does not have",
                        reference.name
                    ),
                    Named::Package => format!(
                        "`-p {}` names a package the workspace does not have",
                        reference.name
                    ),
                    Named::Copied => format!(
                        "copies the binary `{}`, which no target of the workspace produces",
                        reference.name
                    ),
                    Named::Started => format!(
                        "starts the binary `{}`, which no target of the workspace produces",
                        reference.name
                    ),
                };
                let candidates: Vec<&str> = match reference.what {
                    Named::Package => packages.clone(),
                    _ => bins.clone(),
                };
                let help = help(&reference.name, kind, &candidates);
                let mut labels = Vec::new();
                if let Some(span) = reference.context {
                    labels.push(Label {
                        location: source.location(span),
                        message: "the stage it is copied from".into(),
                    });
                }
                // The name alone, where the raw text ends with it (`/app/target/release/X`).
                let span = &reference.word.span;
                let span: Span = if source
                    .text
                    .get(span.clone())
                    .is_some_and(|raw| raw.ends_with(reference.name.as_str()))
                {
                    (span.end - reference.name.len()..span.end).into()
                } else {
                    span.clone().into()
                };
                let label = match reference.what {
                    Named::Package => {
                        format!("no package of the workspace is `{}`", reference.name)
                    }
                    _ => format!(
                        "no `[[bin]]` target of the workspace is `{}`",
                        reference.name
                    ),
                };
                let finding = out
                    .report(&META, source, span, message)
                    .label(label)
                    .help(help)
                    .note(NOTE);
                finding.labels.extend(labels);
            }
        }
        check_runners(cx, &bins, out);
    }
}

/// The binary targets of the workspace, sorted.
fn workspace_bins<'c>(cx: &'c WorkspaceContext<'_>) -> Vec<&'c str> {
    let mut bins: Vec<&str> = cx
        .workspace
        .packages
        .iter()
        .flat_map(|p| p.targets.iter())
        .filter(|t| t.kinds.iter().any(|k| k == "bin"))
        .map(|t| t.name.as_str())
        .collect();
    bins.sort_unstable();
    bins.dedup();
    bins
}

/// The candidate `name` most likely stands for: the closest by edit distance, within a third of
/// its length (at least 3), or one that begins the other (`notifier` for `notifier-worker`).
fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(name, c), *c))
        .filter(|(distance, c)| {
            *distance <= 3.max(c.len() / 3) || c.starts_with(name) || name.starts_with(c)
        })
        .min()
        .map(|(_, c)| c)
}

/// Whether a bare program name is a workspace binary's name with a letter or two wrong
/// (`migrat`, `order`): a prefix alone (`cargo` of `cargo-fitness`) is not enough on the `PATH`.
fn misspelt(name: &str, bins: &[&str]) -> bool {
    bins.iter()
        .any(|bin| strsim::levenshtein(name, bin) <= (bin.len() / 3).clamp(1, 2))
}

fn help(name: &str, kind: &str, candidates: &[&str]) -> String {
    let close = closest(name, candidates);
    let plural = if kind == "binary" {
        "binaries"
    } else {
        "packages"
    };
    let list = candidates
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match close {
        Some(close) => format!("did you mean `{close}`? the workspace's {plural} are {list}"),
        None => format!(
            "the workspace's {plural} are {list}; rename the {kind} here, or add a `[[bin]]` target"
        ),
    }
}

/// Whether the Dockerfile builds this workspace: it runs `cargo build` (not only `cargo
/// install` of tools), it does not fetch another codebase (`git clone`), and it does not sit in
/// a directory of another Cargo project (a nested workspace, an excluded example).
fn judged(cx: &WorkspaceContext<'_>, source: &SourceFile, dockerfile: &Dockerfile) -> bool {
    let mut builds = false;
    for instruction in &dockerfile.instructions {
        for command in run_commands(instruction) {
            if command.first().is_some_and(|w| basename(&w.text) == "git")
                && command.iter().any(|w| w.text == "clone")
            {
                return false;
            }
            if let Some(cargo) = cargo_command(&command) {
                if cargo
                    .arguments
                    .iter()
                    .any(|w| w.text.starts_with("--manifest-path"))
                {
                    return false;
                }
                builds |= cargo.action == CargoAction::Build;
            }
        }
    }
    if !builds {
        return false;
    }
    let mut dir = source.path.parent();
    while let Some(current) = dir {
        if cx.workspace.root.join(current).join("Cargo.toml").is_file() {
            return current.as_os_str().is_empty()
                || cx.workspace.packages.iter().any(|p| p.dir == current);
        }
        dir = current.parent();
    }
    true
}

fn references(dockerfile: &Dockerfile) -> Vec<Reference> {
    let mut found = Vec::new();
    for stage in &dockerfile.stages {
        for instruction in dockerfile.stage_instructions(stage) {
            for command in run_commands(instruction) {
                let Some(cargo) = cargo_command(&command) else {
                    continue;
                };
                if cargo.action == CargoAction::Install {
                    continue;
                }
                let start = command
                    .iter()
                    .position(|w| w.span.start >= cargo.span.end)
                    .unwrap_or(command.len());
                let mut words = command[start..].iter().take_while(|w| w.text != "--");
                while let Some(word) = words.next() {
                    let (what, value) = match word.text.as_str() {
                        "--bin" => (Named::Bin, words.next()),
                        "-p" | "--package" => (Named::Package, words.next()),
                        _ => continue,
                    };
                    let Some(value) = value else { continue };
                    let name = value.text.split('@').next().unwrap_or_default();
                    if is_target_name(name) {
                        found.push(Reference {
                            what,
                            name: name.to_string(),
                            word: value.clone(),
                            context: None,
                        });
                    }
                }
            }
            if let Some(copy) = instruction.copy_args()
                && let Some(from) = instruction.flag("from").and_then(|f| f.value.as_deref())
                && let ImageSource::Stage(index) = dockerfile.resolve_from(stage, from)
                && stage_builds(dockerfile, index)
            {
                for word in &copy.sources {
                    if let Some(name) = target_binary(&word.text) {
                        let context = dockerfile.stage_of(index).map(|s| s.span.clone().into());
                        found.push(Reference {
                            what: Named::Copied,
                            name: name.to_string(),
                            word: word.clone(),
                            context,
                        });
                    }
                }
            }
        }
    }
    if let Some(stage) = shipping_stage(dockerfile) {
        for instruction in dockerfile.stage_instructions(stage) {
            if matches!(instruction.keyword.as_str(), "ENTRYPOINT" | "CMD")
                && let Args::Exec(words) = &instruction.args
                && let Some(program) = words.first()
                && let Some(name) = target_binary(&program.text)
            {
                found.push(Reference {
                    what: Named::Started,
                    name: name.to_string(),
                    word: program.clone(),
                    context: None,
                });
            }
        }
    }
    found.retain(|r| {
        !matches!(r.what, Named::Copied | Named::Started) || !r.word.text.contains('$')
    });
    found
}

/// A compose service or Kubernetes container that runs an image of the workspace with a
/// command of its own.
struct Runner<'a> {
    /// `compose service api`, `Deployment/api › container api`.
    what: String,
    source: &'a Arc<SourceFile>,
    /// Kubernetes `command`, compose `entrypoint`: replaces the image's `ENTRYPOINT`.
    entrypoint: Vec<Word>,
    /// Kubernetes `args`, compose `command`: replaces the image's `CMD`.
    command: Vec<Word>,
    /// `workingDir` / `working_dir`.
    working_dir: Option<String>,
    /// The Dockerfile stages whose image it runs: what compose `build:` builds, or the
    /// Dockerfiles of the workspace whose product the `image:` names.
    images: Vec<Image<'a>>,
}

fn runners<'a>(cx: &WorkspaceContext<'a>) -> Vec<Runner<'a>> {
    let compose_files: Vec<&ComposeFile> =
        cx.deployment.compose_files().iter().map(|f| &**f).collect();
    let mut found = Vec::new();
    for file in cx.deployment.compose_files() {
        let text = &file.source.text;
        for service in file.services() {
            let entrypoint = service
                .entrypoint()
                .map(|c| compose_command_words(c, text))
                .unwrap_or_default();
            let command = service
                .command()
                .map(|c| compose_command_words(c, text))
                .unwrap_or_default();
            if entrypoint.is_empty() && command.is_empty() {
                continue;
            }
            let images = match service.build() {
                Some(_) => compose_build_image(cx, &service).into_iter().collect(),
                None => linked_images(cx, service.image(), &compose_files),
            };
            found.push(Runner {
                what: service.logical(),
                source: &file.source,
                entrypoint,
                command,
                working_dir: service
                    .get("working_dir")
                    .and_then(Node::as_str)
                    .map(str::to_string),
                images,
            });
        }
    }
    for object in cx.deployment.cluster.objects() {
        let Some(workload) = object.workload() else {
            continue;
        };
        let text = &object.file.source.text;
        for container in workload.all_containers() {
            let entrypoint = yaml_words(container.command(), text);
            let command = yaml_words(container.args(), text);
            if entrypoint.is_empty() && command.is_empty() {
                continue;
            }
            found.push(Runner {
                what: container.logical(),
                source: &object.file.source,
                entrypoint,
                command,
                working_dir: container
                    .node
                    .get("workingDir")
                    .and_then(Node::as_str)
                    .map(str::to_string),
                images: linked_images(cx, container.image(), &compose_files),
            });
        }
    }
    found
}

/// The shipping stages of the workspace's Dockerfiles whose product `image` names.
fn linked_images<'a>(
    cx: &WorkspaceContext<'a>,
    image: Option<&Node>,
    compose: &[&ComposeFile],
) -> Vec<Image<'a>> {
    let Some(reference) = image.and_then(Node::as_str).and_then(literal_reference) else {
        return Vec::new();
    };
    // `redis:7`, `postgres:16`: an official image, unless a compose service builds it so.
    let built_by_compose = || {
        compose.iter().any(|file| {
            file.services().any(|service| {
                service.build().is_some()
                    && service
                        .image()
                        .and_then(Node::as_str)
                        .and_then(literal_reference)
                        .is_some_and(|built| built.name == reference.name)
            })
        })
    };
    if !reference.name.contains('/') && !built_by_compose() {
        return Vec::new();
    }
    cx.dockerfiles
        .iter()
        .filter(|(source, dockerfile)| {
            image_names(&source.path, dockerfile, compose)
                .matches(&reference)
                .is_some()
        })
        .filter_map(|(source, dockerfile)| {
            let stage = shipping_stage(dockerfile)?;
            Some((source, &**dockerfile, stage))
        })
        .collect()
}

/// A program a runner starts that its image does not hold.
struct Missing {
    name: String,
    /// Where the image keeps the workspace's binaries, for a label.
    copies: Vec<Label>,
}

/// Runners whose command starts, where their image keeps the workspace's binaries, a program
/// that is not one of them and that nothing else puts there.
fn check_runners(cx: &WorkspaceContext<'_>, bins: &[&str], out: &mut WorkspaceReporter) {
    let mut reported: Vec<(Arc<std::path::PathBuf>, Span)> = Vec::new();
    for runner in runners(cx) {
        if runner.images.is_empty()
            || !runner
                .images
                .iter()
                .all(|(source, dockerfile, _)| judged(cx, source, dockerfile))
        {
            continue;
        }
        let mut programs: Vec<(Word, Vec<Missing>)> = Vec::new();
        for &(source, dockerfile, stage) in &runner.images {
            let Some(words) = started_words(&runner, dockerfile, stage) else {
                continue;
            };
            let contents = image_contents(dockerfile, stage);
            let builds_here = stage_builds(dockerfile, stage.index);
            for command in exec_form_commands(&words) {
                let Some(program) = command.first() else {
                    continue;
                };
                let verdict = judge(
                    &program.text,
                    &contents,
                    builds_here,
                    bins,
                    runner.working_dir.as_deref(),
                )
                .map(|(name, directory)| Missing {
                    name,
                    copies: copy_labels(source, dockerfile, &contents, directory.as_deref()),
                });
                match programs.iter_mut().find(|(word, _)| word == program) {
                    Some((_, verdicts)) => verdicts.extend(verdict),
                    None => programs.push((program.clone(), verdict.into_iter().collect())),
                }
            }
        }
        for (program, verdicts) in programs {
            // Missing from every image the runner may run.
            if verdicts.len() < runner.images.len() || verdicts.is_empty() {
                continue;
            }
            let name = verdicts[0].name.clone();
            let span = name_span(&runner.source.text, &program, &name);
            if reported
                .iter()
                .any(|(path, known)| *path == runner.source.path && *known == span)
            {
                continue;
            }
            reported.push((runner.source.path.clone(), span));
            let labels: Vec<Label> = verdicts.into_iter().flat_map(|v| v.copies).collect();
            let finding = out
                .report(
                    &META,
                    runner.source,
                    span,
                    format!(
                        "{} starts `{}`, which no target of the workspace produces",
                        runner.what, program.text
                    ),
                )
                .label(format!("no `[[bin]]` target of the workspace is `{name}`"))
                .help(help(&name, "binary", bins))
                .note(NOTE);
            finding.labels.extend(labels);
        }
    }
}

/// The words the runner makes its image start, or `None` when its own words are only
/// arguments of the image's `ENTRYPOINT` (or a shell-form one ignores them).
fn started_words(
    runner: &Runner<'_>,
    dockerfile: &Dockerfile,
    stage: &crate::source::dockerfile::Stage,
) -> Option<Vec<Word>> {
    if !runner.entrypoint.is_empty() {
        return Some(
            runner
                .entrypoint
                .iter()
                .chain(&runner.command)
                .cloned()
                .collect(),
        );
    }
    match docker_start(dockerfile, stage).entrypoint {
        None => Some(runner.command.clone()),
        // `ENTRYPOINT ["tini", "--"]`: the command is the program.
        Some(entrypoint) => {
            let words = exec_words(entrypoint)?;
            strip_init(words)
                .1
                .is_empty()
                .then(|| runner.command.clone())
        }
    }
}

/// Whether `program`, started in an image with `contents`, is a binary the workspace does not
/// produce: the name of the binary and the directory it was looked for in (`None` on the
/// `PATH`, or under `target/`).
fn judge(
    program: &str,
    contents: &ImageContents,
    builds_here: bool,
    bins: &[&str],
    working_dir: Option<&str>,
) -> Option<(String, Option<String>)> {
    if program.contains('$') || program.starts_with('-') {
        return None;
    }
    let name = basename(program);
    if !is_target_name(name) || bins.contains(&name) || is_common_tool(name) {
        return None;
    }
    // A single-stage image started from where cargo put its binaries.
    if builds_here && target_binary(program) == Some(name) {
        return Some((name.to_string(), None));
    }
    let close = closest(name, bins).is_some();
    let directories = contents.binary_directories();
    if program.contains('/') {
        let path = contents.resolve(program, working_dir)?;
        let directory = parent(&path);
        if !directories.contains(&directory) || contents.may_provide(&path) {
            return None;
        }
        // What a base image keeps on its `PATH` the Dockerfile does not show.
        if is_system_bin_directory(directory) && !contents.starts_empty() && !close {
            return None;
        }
        return Some((name.to_string(), Some(directory.to_string())));
    }
    // A bare name, found on the `PATH`: a misspelt binary the image keeps there.
    let on_path: Vec<&str> = directories
        .into_iter()
        .filter(|d| is_system_bin_directory(d))
        .collect();
    let provided = on_path
        .iter()
        .any(|d| contents.may_provide(&format!("{}/{name}", d.trim_end_matches('/'))));
    if on_path.is_empty() || provided || !misspelt(name, bins) {
        return None;
    }
    Some((name.to_string(), on_path.first().map(|d| d.to_string())))
}

/// Labels for the `COPY`s that put the workspace's binaries in `directory` (every such `COPY`
/// when `None`), else for the stage the image is built from.
fn copy_labels(
    source: &SourceFile,
    dockerfile: &Dockerfile,
    contents: &ImageContents,
    directory: Option<&str>,
) -> Vec<Label> {
    let mut labels: Vec<Label> = Vec::new();
    for binary in &contents.binaries {
        if directory.is_some_and(|d| !binary.directories.iter().any(|b| b == d)) {
            continue;
        }
        let Some(instruction) = dockerfile.instructions.get(binary.instruction) else {
            continue;
        };
        labels.push(Label {
            location: source.location(instruction.span.clone().into()),
            message: format!(
                "the image's binaries: `{}` copied to `{}`",
                binary.name, binary.destination
            ),
        });
    }
    if labels.is_empty()
        && let Some(stage) = shipping_stage(dockerfile)
    {
        labels.push(Label {
            location: source.location(stage.span.clone().into()),
            message: "the image it runs".to_string(),
        });
    }
    labels
}

/// The binary's name within a program word (`/usr/local/bin/orders-api`), where the word's
/// text is its source; within a script the tool could not place exactly, its one occurrence.
fn name_span(text: &str, program: &Word, name: &str) -> Span {
    let raw = text.get(program.span.clone()).unwrap_or_default();
    if raw == program.text && raw.ends_with(name) {
        return (program.span.end - name.len()..program.span.end).into();
    }
    let mut found = raw.match_indices(program.text.as_str());
    if let (Some((at, _)), None) = (found.next(), found.next()) {
        let end = program.span.start + at + program.text.len();
        if program.text.ends_with(name) {
            return (end - name.len()..end).into();
        }
    }
    program.span.clone().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_must_be_misspelt_binaries() {
        let bins = ["cargo-fitness", "migrate", "orders", "api"];
        assert!(misspelt("migrat", &bins));
        assert!(misspelt("order", &bins));
        assert!(misspelt("apu", &bins));
        assert!(!misspelt("cargo", &bins));
        assert!(!misspelt("migrate-db", &bins));
        assert!(!misspelt("curl", &bins));
    }

    #[test]
    fn programs_where_the_image_keeps_the_binaries() {
        let dockerfile = crate::source::dockerfile::parse(
            "FROM rust:1.82 AS build\nRUN cargo build --release\nFROM debian:12-slim\nWORKDIR /srv\nCOPY --from=build /app/target/release/orders /usr/local/bin/\nCOPY --from=build /app/target/release/orders /srv/server\nCOPY entrypoint.sh /usr/local/bin/\n",
        );
        let stage = dockerfile.final_stage().unwrap();
        let contents = image_contents(&dockerfile, stage);
        let bins = ["migrate", "orders"];
        let judged = |program: &str| judge(program, &contents, false, &bins, None).map(|v| v.0);
        assert_eq!(
            judged("/usr/local/bin/migrator").as_deref(),
            Some("migrator")
        );
        assert_eq!(judged("/usr/local/bin/order").as_deref(), Some("order"));
        assert_eq!(judged("/srv/sever").as_deref(), Some("sever"));
        assert_eq!(judged("migrat").as_deref(), Some("migrat"));
        for fine in [
            "/usr/local/bin/orders",
            "/srv/server",
            "./server",
            "/usr/local/bin/entrypoint.sh",
            "/usr/local/bin/python3",
            "/usr/bin/migrator",
            "/bin/sh",
            "curl",
            "cargo",
            "$BINARY",
            "--port",
        ] {
            assert_eq!(judged(fine), None, "{fine}");
        }
        let single = crate::source::dockerfile::parse(
            "FROM rust:1.82\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\n",
        );
        let stage = single.final_stage().unwrap();
        let contents = image_contents(&single, stage);
        assert_eq!(
            judge("./target/release/order", &contents, true, &bins, None).map(|v| v.0),
            Some("order".to_string())
        );
        assert_eq!(
            judge("./target/release/orders", &contents, true, &bins, None),
            None
        );
    }

    #[test]
    fn help_suggests_the_closest_name() {
        assert!(
            help("notifier-worker", "binary", &["notifier", "orders"])
                .starts_with("did you mean `notifier`?")
        );
        assert!(help("zzz", "binary", &["orders"]).starts_with("the workspace's binaries"));
    }
}
