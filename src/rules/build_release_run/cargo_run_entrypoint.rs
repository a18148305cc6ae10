use std::path::Path;

use crate::diagnostic::{Level, Span};
use crate::facts::docker;
use crate::facts::start_commands::{self, CargoRun};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::compose::{ComposeFile, ComposeService};
use crate::source::deployment::is_test_location;
use crate::source::dockerfile::{Args, Dockerfile, Instruction, Word};
use crate::source::kubernetes::{Cluster, KubernetesFile};
use crate::source::procfile::Procfile;
use crate::source::yaml::{Node, Value};

pub static META: RuleMeta = RuleMeta {
    id: "cargo-run-entrypoint",
    category: Category::BuildReleaseRun,
    default_level: Level::Deny,
    summary: "`cargo run` starts the service: it compiles on every start, in the image that runs",
    docs: include_str!("../../../rules/build-release-run/cargo-run-entrypoint.md"),
    scope: CodeScope::All,
};

pub struct CargoRunEntrypoint;

const NOTE: &str = "twelve-factor V: the build stage turns code into a release once, and the run \
                    stage only starts it; `cargo run` builds at every start, so each container \
                    compiles (minutes, a toolchain and the sources in production), may resolve \
                    different dependencies, and is not the artifact that was tested";

const LABEL: &str = "compiles the service every time it starts";

impl Rule for CargoRunEntrypoint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_dockerfile(&self, dockerfile: &Dockerfile, out: &mut Reporter<'_>) {
        if !dockerfile.errors.is_empty()
            || start_commands::is_development_dockerfile(&out.file().path)
        {
            return;
        }
        let Some(stage) = docker::shipping_stage(dockerfile) else {
            return;
        };
        let start = start_commands::docker_start(dockerfile, stage);
        let commands_of = |args: &Args| match args {
            Args::Exec(words) => start_commands::exec_form_commands(words),
            Args::Shell(_) => docker::commands(args),
        };
        let mut commands = Vec::new();
        if let Some(entrypoint) = start.entrypoint {
            commands.extend(commands_of(&entrypoint.args));
        }
        if let Some(cmd) = start.cmd {
            commands.extend(commands_of(&cmd.args));
            // `ENTRYPOINT ["cargo"]` with `CMD ["run"]`.
            if let (Some(entrypoint), Some(cmd)) = (
                start.entrypoint.and_then(start_commands::exec_words),
                start_commands::exec_words(cmd),
            ) {
                let joined: Vec<Word> = entrypoint.iter().chain(cmd).cloned().collect();
                commands.extend(start_commands::exec_form_commands(&joined));
            }
        }
        for run in unique_runs(&commands) {
            let within = |instruction: Option<&Instruction>, at: usize| {
                instruction.is_some_and(|i| i.span.start <= at && at <= i.span.end)
            };
            let keyword = match (
                within(start.entrypoint, run.span.start),
                within(start.entrypoint, run.span.end),
            ) {
                (true, true) => "`ENTRYPOINT` starts",
                (true, false) => "`ENTRYPOINT` and `CMD` start",
                _ => "`CMD` starts",
            };
            out.report(
                &META,
                Span::from(run.span.clone()),
                format!("{keyword} the service with `{}`", run.text),
            )
            .label(LABEL)
            .note(NOTE)
            .help(
                "build the binary in a builder stage (`RUN cargo build --release --locked`), copy \
                 it into the final stage and start it directly: `ENTRYPOINT \
                 [\"/usr/local/bin/app\"]`",
            );
        }
    }

    fn check_kubernetes(&self, file: &KubernetesFile, _cluster: &Cluster, out: &mut Reporter<'_>) {
        let text = &file.source.text;
        let mut reported: Vec<std::ops::Range<usize>> = Vec::new();
        for object in file.all_objects() {
            let Some(workload) = object.workload() else {
                continue;
            };
            for container in workload.all_containers() {
                let command = start_commands::yaml_words(container.command(), text);
                let args = start_commands::yaml_words(container.args(), text);
                let words: Vec<Word> = if command.is_empty() {
                    args
                } else {
                    command.into_iter().chain(args).collect()
                };
                let commands = start_commands::exec_form_commands(&words);
                for run in unique_runs(&commands) {
                    if reported.contains(&run.span) {
                        continue;
                    }
                    reported.push(run.span.clone());
                    out.report(
                        &META,
                        Span::from(run.span.clone()),
                        format!("{} starts with `{}`", container.logical(), run.text),
                    )
                    .label(LABEL)
                    .note(NOTE)
                    .help(
                        "run an image that holds the built binary (compiled in the Dockerfile's \
                         builder stage) and start it directly: `command: \
                         [\"/usr/local/bin/app\"]`; for a one-off task, build it as its own \
                         binary and run that in a Job",
                    );
                }
            }
        }
    }

    fn check_compose(&self, file: &ComposeFile, out: &mut Reporter<'_>) {
        if is_development_compose_file(file.path()) {
            return;
        }
        let text = &file.source.text;
        let mut reported: Vec<std::ops::Range<usize>> = Vec::new();
        for service in file.services() {
            if is_development_service(&service) {
                continue;
            }
            let entrypoint = service
                .entrypoint()
                .map(|c| start_commands::compose_command_words(c, text))
                .unwrap_or_default();
            let command = service
                .command()
                .map(|c| start_commands::compose_command_words(c, text))
                .unwrap_or_default();
            let mut commands = start_commands::exec_form_commands(&entrypoint);
            commands.extend(start_commands::exec_form_commands(&command));
            if !entrypoint.is_empty() && !command.is_empty() {
                let joined: Vec<Word> = entrypoint.iter().chain(&command).cloned().collect();
                commands.extend(start_commands::exec_form_commands(&joined));
            }
            for run in unique_runs(&commands) {
                if reported.contains(&run.span) {
                    continue;
                }
                reported.push(run.span.clone());
                out.report(
                    &META,
                    Span::from(run.span.clone()),
                    format!("{} starts with `{}`", service.logical(), run.text),
                )
                .label(LABEL)
                .note(NOTE)
                .help(
                    "start the binary the image's Dockerfile builds (`command: \
                     [\"/usr/local/bin/app\"]`); for a hot-reloading development setup, mount the \
                     sources and name the file for development (`compose.dev.yaml`) or build a \
                     `dev` target",
                );
            }
        }
    }

    fn check_procfile(&self, procfile: &Procfile, out: &mut Reporter<'_>) {
        if is_test_location(&out.file().path) || is_development_procfile(procfile) {
            return;
        }
        let text = out.file().text.clone();
        for process in &procfile.processes {
            let start = process.command_span.start;
            let exact = text.get(process.command_span.clone()) == Some(process.command.as_str());
            let words = start_commands::split_string(
                &process.command,
                start,
                exact,
                process.command_span.clone(),
            );
            let commands = docker::split_commands(words);
            for run in unique_runs(&commands) {
                out.report(
                    &META,
                    Span::from(run.span.clone()),
                    format!(
                        "Procfile process `{}` starts with `{}`",
                        process.name, run.text
                    ),
                )
                .label(LABEL)
                .note(NOTE)
                .help(
                    "build the release once (the buildpack runs `cargo build --release`) and start \
                     the binary: `web: ./target/release/app`",
                );
            }
        }
    }
}

/// The `cargo run`s of commands, each place once.
fn unique_runs(commands: &[Vec<Word>]) -> Vec<CargoRun> {
    let mut runs: Vec<CargoRun> = Vec::new();
    for command in commands {
        if let Some(run) = start_commands::cargo_run(command)
            && !runs.iter().any(|r| r.span == run.span)
        {
            runs.push(run);
        }
    }
    runs
}

/// A Procfile for a local process manager (overmind, foreman, honcho) rather than a platform:
/// one of its processes watches files (`cargo watch`, `tailwindcss --watch`, `watchexec`).
fn is_development_procfile(procfile: &Procfile) -> bool {
    procfile.processes.iter().any(|process| {
        process.command.split_whitespace().any(|word| {
            matches!(
                word,
                "--watch"
                    | "-w"
                    | "watch"
                    | "cargo-watch"
                    | "watchexec"
                    | "bacon"
                    | "reflex"
                    | "nodemon"
            )
        })
    })
}

/// Compose files for development by name: `compose.dev.yaml`, `docker-compose.local.yml`,
/// `docker-compose.override.yml` (compose's convention for local overrides).
fn is_development_compose_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| {
            matches!(
                word,
                "dev" | "devel" | "develop" | "development" | "local" | "override" | "debug"
            )
        })
}

/// A compose service set up for development: it builds a development target, or mounts the
/// project's sources into the container (hot reloading), so `cargo run` is the point.
fn is_development_service(service: &ComposeService<'_>) -> bool {
    let dev_target = service
        .build()
        .and_then(|b| b.target)
        .and_then(Node::as_str)
        .is_some_and(|target| {
            matches!(
                target.to_ascii_lowercase().as_str(),
                "dev" | "devel" | "develop" | "development" | "debug" | "local" | "watch"
            )
        });
    dev_target || mounts_sources(service)
}

/// A bind mount of the project (`.:/app`, `../:/src`) or its `src` directory.
fn mounts_sources(service: &ComposeService<'_>) -> bool {
    let Some(volumes) = service.get("volumes").and_then(Node::as_seq) else {
        return false;
    };
    volumes.iter().any(|volume| {
        let source = match &volume.value {
            Value::String(text) => text.split(':').next().unwrap_or("").to_string(),
            Value::Map(_) => volume
                .get("source")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string(),
            _ => return false,
        };
        let source = source.trim_end_matches('/');
        let relative = source.is_empty() || source.starts_with('.');
        let project = source
            .split('/')
            .all(|part| matches!(part, "" | "." | ".."));
        let sources = source.ends_with("/src") || source == "src";
        (relative && project && !source.is_empty()) || sources
    })
}
