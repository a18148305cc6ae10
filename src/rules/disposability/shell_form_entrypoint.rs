use crate::diagnostic::{Level, Span};
use crate::facts::docker;
use crate::facts::start_commands::{self, DockerStart, Init, ShellWrapper};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::dockerfile::{Args, Dockerfile, Instruction, Stage, Word};
use crate::source::kubernetes::{Cluster, KubernetesFile};

pub static META: RuleMeta = RuleMeta {
    id: "shell-form-entrypoint",
    category: Category::Disposability,
    default_level: Level::Warn,
    summary: "the start command runs under a shell (shell form, `sh -c` without `exec`) that may keep SIGTERM from the service",
    docs: include_str!("../../../rules/disposability/shell-form-entrypoint.md"),
    scope: CodeScope::All,
};

pub struct ShellFormEntrypoint;

const NOTE: &str = "twelve-factor IX: `docker stop` and Kubernetes stop a container by sending \
                    SIGTERM to PID 1 and SIGKILL after the grace period; a shell that stays PID 1 \
                    does not pass SIGTERM on, so the service never drains its requests and is \
                    killed mid-work. Whether the shell replaces itself depends on the shell and the \
                    script: a script of several commands always keeps it";

const CANNOT_START_NOTE: &str = "twelve-factor IX: a process must start fast and reliably; this \
                                 one cannot start at all";

impl Rule for ShellFormEntrypoint {
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
        let shell_less = shell_less_image(dockerfile, stage);
        match (start.entrypoint, start.cmd) {
            (Some(entrypoint), cmd) => match &entrypoint.args {
                Args::Shell(text) => shell_form(
                    entrypoint,
                    &text.words(),
                    &start,
                    None,
                    shell_less.as_deref(),
                    out,
                ),
                Args::Exec(words) => {
                    // An init alone (`ENTRYPOINT ["tini", "--"]`) runs the CMD: a shell-form
                    // CMD is then the shell it starts.
                    let (init, rest) = start_commands::strip_init(words);
                    if let (Some(init), true, Some(cmd)) = (init, rest.is_empty(), cmd)
                        && let Args::Shell(text) = &cmd.args
                    {
                        if init != Init::ToGroup {
                            let init = words.first().map(|w| w.text.as_str());
                            shell_form(
                                cmd,
                                &text.words(),
                                &start,
                                init,
                                shell_less.as_deref(),
                                out,
                            );
                        }
                        return;
                    }
                    // Otherwise CMD is the entry point's arguments (a shell-form CMD included):
                    // only an `ENTRYPOINT ["sh", "-c"]` with a CMD script wraps.
                    let mut joined: Vec<Word> = words.clone();
                    if let Some(cmd) = cmd.and_then(start_commands::exec_words) {
                        joined.extend(cmd.iter().cloned());
                    }
                    if let Some(wrapper) = start_commands::shell_wrapper(&joined) {
                        wrapped(&wrapper, "ENTRYPOINT", shell_less.as_deref(), out);
                    }
                }
            },
            (None, Some(cmd)) => match &cmd.args {
                Args::Shell(text) => {
                    shell_form(cmd, &text.words(), &start, None, shell_less.as_deref(), out)
                }
                Args::Exec(words) => {
                    if let Some(wrapper) = start_commands::shell_wrapper(words) {
                        wrapped(&wrapper, "CMD", shell_less.as_deref(), out);
                    }
                }
            },
            (None, None) => {}
        }
    }

    fn check_kubernetes(&self, file: &KubernetesFile, _cluster: &Cluster, out: &mut Reporter<'_>) {
        let text = &file.source.text;
        let mut reported: Vec<std::ops::Range<usize>> = Vec::new();
        for object in file.all_objects() {
            let Some(workload) = object.workload() else {
                continue;
            };
            // Jobs and bare pods run to completion; their shutdown is not a hand-over.
            if !workload.kind.is_long_running() {
                continue;
            }
            for container in workload.all_containers() {
                if container.init && !container.is_sidecar() {
                    continue;
                }
                let command = start_commands::yaml_words(container.command(), text);
                if command.is_empty() {
                    continue;
                }
                let args = start_commands::yaml_words(container.args(), text);
                let words: Vec<Word> = command.into_iter().chain(args).collect();
                let Some(wrapper) = start_commands::shell_wrapper(&words) else {
                    continue;
                };
                if hands_over(&wrapper) || reported.contains(&wrapper.shell.span) {
                    continue;
                }
                reported.push(wrapper.shell.span.clone());
                out.report(
                    &META,
                    Span::from(wrapper.shell.span.clone()),
                    format!(
                        "{} runs its process under `{} -c` without `exec`",
                        container.logical(),
                        wrapper.shell.text
                    ),
                )
                .label("this shell may stay PID 1 and keep SIGTERM from the process")
                .note(NOTE)
                .help(
                    "start the last command of the script with `exec` (`./migrate && exec \
                     /usr/local/bin/app`), or drop the shell: `command: [\"/usr/local/bin/app\"]`",
                );
            }
        }
    }
}

/// The shell-less image (`scratch`, distroless…) the stage starts from, unless a shell is
/// copied into it.
fn shell_less_image(dockerfile: &Dockerfile, stage: &Stage) -> Option<String> {
    let image = docker::shell_less_image(&docker::base_image(dockerfile, stage))?;
    let chain = docker::stage_chain(dockerfile, stage);
    let copies_shell = docker::chain_instructions(dockerfile, &chain)
        .into_iter()
        .filter_map(|(_, instruction)| instruction.copy_args())
        .any(|copy| {
            copy.sources
                .iter()
                .chain(std::iter::once(&copy.dest))
                .any(|word| {
                    let name = docker::basename(&word.text);
                    docker::is_shell(name)
                        || name == "busybox"
                        || matches!(word.text.trim_end_matches('/'), "/bin" | "/usr/bin")
                })
        });
    (!copies_shell).then_some(image)
}

/// A shell-form `CMD`/`ENTRYPOINT`; `init` is the init an exec-form `ENTRYPOINT` runs it under.
fn shell_form(
    instruction: &Instruction,
    words: &[Word],
    start: &DockerStart<'_>,
    init: Option<&str>,
    shell_less: Option<&str>,
    out: &mut Reporter<'_>,
) {
    let keyword = instruction.keyword.as_str();
    let shell = start.shell_program();
    let at = Span::from(instruction.keyword_span.clone());
    if let (Some(image), None) = (shell_less, start.shell) {
        out.report(
            &META,
            at,
            format!(
                "`{keyword}` in shell form needs `{shell}`, which the final image (`{image}`) does not have"
            ),
        )
        .label("Docker runs this as `/bin/sh -c \"…\"`: the container cannot start")
        .note(CANNOT_START_NOTE)
        .help(format!(
            "write it in exec form, which needs no shell: `{keyword} [\"/usr/local/bin/app\", \
             \"--flag\"]`"
        ));
        return;
    }
    if start_commands::script_hands_over(words) {
        return;
    }
    let ignores = if keyword == "ENTRYPOINT" {
        "; a shell-form ENTRYPOINT also ignores `CMD` and the arguments of `docker run`"
    } else {
        ""
    };
    out.report(
        &META,
        at,
        format!("`{keyword}` in shell form runs the service under `{shell} -c`"),
    )
    .label(match init {
        Some(init) => format!(
            "shell form under `{init}`, which signals only its child: `{shell}`, not the service"
        ),
        None => format!("shell form: `{shell}` may be PID 1 and keep SIGTERM from the service"),
    })
    .note(NOTE)
    .help(format!(
        "write it in exec form: `{keyword} [\"/usr/local/bin/app\", \"--port\", \"8080\"]`, or \
         start the command with `exec`{ignores}"
    ));
}

/// An exec-form `["sh", "-c", "…"]` start command.
fn wrapped(
    wrapper: &ShellWrapper,
    keyword: &str,
    shell_less: Option<&str>,
    out: &mut Reporter<'_>,
) {
    let at = Span::from(wrapper.shell.span.clone());
    let shell = &wrapper.shell.text;
    if let Some(image) = shell_less {
        out.report(
            &META,
            at,
            format!("`{keyword}` runs `{shell}`, which the final image (`{image}`) does not have"),
        )
        .label("not in the image: the container cannot start")
        .note(CANNOT_START_NOTE)
        .help(format!(
            "start the binary directly: `{keyword} [\"/usr/local/bin/app\"]`; pass settings as \
             arguments or environment variables instead of a script"
        ));
        return;
    }
    if hands_over(wrapper) {
        return;
    }
    out.report(
        &META,
        at,
        format!("`{keyword}` wraps the service in `{shell} -c` without `exec`"),
    )
    .label("this shell may stay PID 1 and keep SIGTERM from the service")
    .note(NOTE)
    .help(
        "start the last command of the script with `exec` (`./migrate && exec \
         /usr/local/bin/app`), or drop the shell: `ENTRYPOINT [\"/usr/local/bin/app\"]`",
    );
}

/// The wrapper hands SIGTERM to the service: an init signals the whole process group, or the
/// script `exec`s its last command or traps the signal.
fn hands_over(wrapper: &ShellWrapper) -> bool {
    wrapper.init == Some(Init::ToGroup)
        || start_commands::script_hands_over(&start_commands::script_words(&wrapper.script))
}
