//! What a container or process runs when it starts: a Dockerfile's effective `ENTRYPOINT` and
//! `CMD`, a Kubernetes container's `command` and `args`, a compose service's `entrypoint` and
//! `command`, a Procfile line. And what those commands are: `cargo run` (compiling at start),
//! a shell wrapper (`sh -c "…"`) that stays PID 1, an init (`tini`, `dumb-init`) that forwards
//! signals.

use std::ops::Range;
use std::path::Path;

use crate::facts::docker;
use crate::source::compose::Command;
use crate::source::dockerfile::{Args, Dockerfile, Instruction, Stage, Word};
use crate::source::kubernetes::content_start;
use crate::source::yaml::{Node, Value};

/// The instructions that decide what a stage's image starts with.
#[derive(Clone, Copy, Debug, Default)]
pub struct DockerStart<'d> {
    /// The last `ENTRYPOINT` of the stage chain (`None` when none, or `ENTRYPOINT []`).
    pub entrypoint: Option<&'d Instruction>,
    /// The last `CMD` of the chain, unless a later stage of the chain set `ENTRYPOINT` (which
    /// resets a `CMD` inherited from the base), or it is `CMD []`.
    pub cmd: Option<&'d Instruction>,
    /// The last `SHELL` of the chain: the shell of shell forms (`/bin/sh -c` without one).
    pub shell: Option<&'d Instruction>,
}

impl DockerStart<'_> {
    /// The program that runs shell forms: `/bin/sh`, or the `SHELL` instruction's.
    pub fn shell_program(&self) -> String {
        self.shell
            .and_then(|shell| match &shell.args {
                Args::Exec(words) => words.first().map(|w| w.text.clone()),
                Args::Shell(_) => None,
            })
            .unwrap_or_else(|| "/bin/sh".to_string())
    }
}

/// The effective `ENTRYPOINT`, `CMD` and `SHELL` of `stage`, through `FROM <stage>` chains.
pub fn docker_start<'d>(dockerfile: &'d Dockerfile, stage: &'d Stage) -> DockerStart<'d> {
    let chain = docker::stage_chain(dockerfile, stage);
    let mut start = DockerStart::default();
    let mut cmd_stage = None;
    for (index, instruction) in docker::chain_instructions(dockerfile, &chain) {
        let stage_index = dockerfile.stage_of(index).map(|s| s.index);
        match instruction.keyword.as_str() {
            "ENTRYPOINT" => {
                start.entrypoint = (!is_empty_exec(instruction)).then_some(instruction);
                if cmd_stage != stage_index {
                    start.cmd = None;
                }
            }
            "CMD" => {
                start.cmd = (!is_empty_exec(instruction)).then_some(instruction);
                cmd_stage = stage_index;
            }
            "SHELL" => start.shell = Some(instruction),
            _ => {}
        }
    }
    start
}

/// `text` with the variables in effect at instruction `at` substituted: the `ENV`s of the stage
/// chain before it, and the `ARG`s of its own stage (with their defaults; a bare `ARG NAME`
/// takes the global default). `None` when a variable has no value.
pub fn expand_at(dockerfile: &Dockerfile, stage: &Stage, at: usize, text: &str) -> Option<String> {
    let chain = docker::stage_chain(dockerfile, stage);
    let own = dockerfile.stage_of(at).map(|s| s.index);
    let mut vars: Vec<(String, Option<String>)> = Vec::new();
    let lookup = |vars: &[(String, Option<String>)], name: &str| {
        vars.iter()
            .rev()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.clone())
    };
    for (index, instruction) in docker::chain_instructions(dockerfile, &chain) {
        if index >= at {
            break;
        }
        let is_arg = instruction.keyword == "ARG";
        if !(instruction.keyword == "ENV"
            || is_arg && dockerfile.stage_of(index).map(|s| s.index) == own)
        {
            continue;
        }
        for pair in instruction.key_values() {
            let value = match pair.value {
                Some(value) => {
                    crate::source::dockerfile::substitute(&value, &|name| lookup(&vars, name))
                }
                None if is_arg => dockerfile.global_arg(&pair.key),
                None => None,
            };
            vars.push((pair.key, value));
        }
    }
    crate::source::dockerfile::substitute(text, &|name| lookup(&vars, name))
}

/// `CMD []`, `ENTRYPOINT []`: clears what the base set.
fn is_empty_exec(instruction: &Instruction) -> bool {
    matches!(&instruction.args, Args::Exec(words) if words.is_empty())
}

/// The words of an exec form.
pub fn exec_words(instruction: &Instruction) -> Option<&[Word]> {
    match &instruction.args {
        Args::Exec(words) => Some(words),
        Args::Shell(_) => None,
    }
}

/// An init process at the front of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// Forwards signals to the whole process group of its child (dumb-init by default, `tini
    /// -g`, `catatonit -g`): a shell below it gets them and so does the app.
    ToGroup,
    /// Forwards signals to its direct child only (`tini`, `catatonit`, `docker-init`).
    ToChild,
}

/// Splits an init wrapper off a command: `tini -- app` → (ToChild, `app`); `dumb-init app` →
/// (ToGroup, `app`). Commands without one come back unchanged.
pub fn strip_init(words: &[Word]) -> (Option<Init>, &[Word]) {
    let Some(program) = words.first() else {
        return (None, words);
    };
    let name = docker::basename(&program.text);
    let init = match name {
        "dumb-init" => Init::ToGroup,
        "tini" | "tini-static" | "catatonit" | "docker-init" => Init::ToChild,
        _ => return (None, words),
    };
    let mut init = init;
    let mut rest = &words[1..];
    while let Some(word) = rest.first() {
        let text = word.text.as_str();
        if text == "--" {
            rest = &rest[1..];
            break;
        }
        if !text.starts_with('-') {
            break;
        }
        if name != "dumb-init" && text == "-g" {
            init = Init::ToGroup;
        }
        // dumb-init `--single-child` / `-c` signals the child only.
        if name == "dumb-init" && (text == "-c" || text == "--single-child") {
            init = Init::ToChild;
        }
        // Options that take a value.
        if matches!(text, "-e" | "-p" | "-r" | "--rewrite") && rest.len() > 1 {
            rest = &rest[1..];
        }
        rest = &rest[1..];
    }
    (Some(init), rest)
}

/// A `cargo run` that starts the process: the words from `cargo` to `run`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CargoRun {
    pub span: Range<usize>,
    /// `cargo run`, `cargo watch -x run`, as written (without paths and options).
    pub text: String,
}

/// Cargo options before the subcommand that take a value.
const CARGO_OPTIONS_WITH_VALUE: &[&str] = &["--color", "--config", "-Z", "-C", "--explain"];

/// The `cargo run` a simple command (program first) makes: `cargo run`, `cargo r`,
/// `cargo +nightly run`, `cargo watch -x run` / `-x 'run --release'` / `-s 'cargo run'`,
/// `cargo-watch -x run`.
pub fn cargo_run(command: &[Word]) -> Option<CargoRun> {
    let (_, command) = strip_init(command);
    let program = command.first()?;
    let name = docker::basename(&program.text);
    let mut index = 1;
    match name {
        "cargo" | "cargo.exe" => {
            while let Some(word) = command.get(index) {
                let text = word.text.as_str();
                if CARGO_OPTIONS_WITH_VALUE.contains(&text) {
                    index += 2;
                } else if text.starts_with('+') || text.starts_with('-') {
                    index += 1;
                } else {
                    break;
                }
            }
            let subcommand = command.get(index)?;
            match subcommand.text.as_str() {
                "run" | "r" => {
                    return Some(CargoRun {
                        span: program.span.start..subcommand.span.end,
                        text: format!("cargo {}", subcommand.text),
                    });
                }
                "watch" => index += 1,
                _ => return None,
            }
        }
        "cargo-watch" => {}
        _ => return None,
    }
    // `cargo watch -x run`, `-x 'run --bin api'`, `--exec=run`, `-s 'cargo run'`.
    let mut words = command[index..].iter().peekable();
    while let Some(word) = words.next() {
        let text = word.text.as_str();
        let (option, inline) = match text.split_once('=') {
            Some((option, value)) if option.starts_with("--") => (option, Some(value)),
            _ => (text, None),
        };
        let value = match (option, inline) {
            ("-x" | "--exec" | "-s" | "--shell", Some(value)) => Some(value.to_string()),
            ("-x" | "--exec" | "-s" | "--shell", None) => words.peek().map(|w| w.text.clone()),
            _ => None,
        };
        let Some(value) = value else {
            continue;
        };
        let end = if inline.is_some() {
            word.span.end
        } else {
            words.peek().map_or(word.span.end, |w| w.span.end)
        };
        let parts: Vec<&str> = value.split_whitespace().collect();
        let runs = if matches!(option, "-x" | "--exec") {
            matches!(parts.first(), Some(&("run" | "r")))
        } else {
            parts
                .windows(2)
                .any(|pair| docker::basename(pair[0]) == "cargo" && matches!(pair[1], "run" | "r"))
        };
        if runs {
            let text = if name == "cargo-watch" {
                "cargo-watch -x run"
            } else {
                "cargo watch -x run"
            };
            return Some(CargoRun {
                span: program.span.start..end,
                text: text.to_string(),
            });
        }
    }
    None
}

/// A shell that runs a script and may stay PID 1: `sh -c "…"`, `bash -lc "…"`.
#[derive(Clone, Debug)]
pub struct ShellWrapper {
    /// The shell program word.
    pub shell: Word,
    /// The script after `-c`.
    pub script: Word,
    /// An init before the shell, if any.
    pub init: Option<Init>,
}

/// The shell wrapper an exec-form command is, init wrappers skipped.
pub fn shell_wrapper(words: &[Word]) -> Option<ShellWrapper> {
    let (init, words) = strip_init(words);
    let shell = words.first()?;
    if !docker::is_shell(&shell.text) {
        return None;
    }
    let script = docker::shell_script_argument(&words[1..])?;
    Some(ShellWrapper {
        shell: shell.clone(),
        script: script.clone(),
        init,
    })
}

/// Whether a script hands PID 1 over or takes care of signals itself: its last command starts
/// with `exec` (`./migrate && exec ./server`), or it sets a `trap`. Empty scripts say nothing
/// and count as handing over.
pub fn script_hands_over(words: &[Word]) -> bool {
    const SEPARATORS: &[&str] = &["&&", "||", "|", ";", "&", "\n"];
    if words.iter().any(|w| w.text == "trap") {
        return true;
    }
    let mut commands: Vec<&[Word]> = Vec::new();
    let mut start = 0;
    for (index, word) in words.iter().enumerate() {
        if SEPARATORS.contains(&word.text.as_str()) {
            if index > start {
                commands.push(&words[start..index]);
            }
            start = index + 1;
        }
    }
    if start < words.len() {
        commands.push(&words[start..]);
    }
    // A trailing `&` leaves the shell in front of a background job.
    if words.last().is_some_and(|w| w.text == "&") {
        return false;
    }
    // Comment lines of a multi-line script say nothing.
    commands.retain(|command| !command[0].text.starts_with('#'));
    let Some(last) = commands.last() else {
        return true;
    };
    let first = last.iter().find(|w| {
        !w.text
            .split_once('=')
            .is_some_and(|(name, _)| is_name(name))
    });
    first.is_some_and(|w| w.text == "exec")
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The words of a script given to `-c` in an exec form (one JSON or YAML string).
pub fn script_words(script: &Word) -> Vec<Word> {
    docker::split_script(script)
}

/// The simple commands (program first, wrappers like `exec` and `env` dropped) of an exec-form
/// command: its own, or its `sh -c` script's, behind an init (`tini --`) or not.
pub fn exec_form_commands(words: &[Word]) -> Vec<Vec<Word>> {
    let (_, words) = strip_init(words);
    docker::commands(&Args::Exec(words.to_vec()))
}

/// A YAML string as a [`Word`]: its value, spanning the text between its quotes when that text
/// is the value, else the whole scalar.
pub fn yaml_word(node: &Node, text: &str) -> Option<Word> {
    let value = match &node.value {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    let span = match content_start(node, &value, text) {
        Some(start) => start..start + value.len(),
        None => node.span.clone(),
    };
    Some(Word { text: value, span })
}

/// The strings of a YAML list (`command: ["sh", "-c", "…"]`) as words.
pub fn yaml_words(node: Option<&Node>, text: &str) -> Vec<Word> {
    node.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|item| yaml_word(item, text))
        .collect()
}

/// The words of a compose `command:`/`entrypoint:`: a list as is, a string split like a shell
/// (compose splits it; no shell runs it), with exact spans where the scalar's text is its value.
pub fn compose_command_words(command: Command<'_>, text: &str) -> Vec<Word> {
    match command {
        Command::Exec(items) => items
            .iter()
            .filter_map(|item| yaml_word(item, text))
            .collect(),
        Command::Shell(node) => {
            let Value::String(value) = &node.value else {
                return Vec::new();
            };
            match content_start(node, value, text) {
                Some(start) => split_string(value, start, true, node.span.clone()),
                None => split_string(value, 0, false, node.span.clone()),
            }
        }
    }
}

/// A command written as one string and split like a shell would (compose `command: cargo run`,
/// a Procfile line), with spans into the file. `offset` is where `string` starts in the file;
/// spans are exact when `exact` (the string is the file's text), else every word spans `whole`.
pub fn split_string(string: &str, offset: usize, exact: bool, whole: Range<usize>) -> Vec<Word> {
    crate::source::dockerfile::shell_words(string)
        .into_iter()
        .map(|(text, range)| Word {
            text,
            span: if exact {
                offset + range.start..offset + range.end
            } else {
                whole.clone()
            },
        })
        .collect()
}

/// Dockerfiles that build a development, debugging or tooling image, which is not what ships:
/// `Dockerfile.dev`, `dev.Dockerfile`, `Dockerfile.debug`, `local.Dockerfile`,
/// `.devcontainer/Dockerfile`, `tools/…/Dockerfile`, and the Dockerfiles of tests, CI and
/// examples.
pub fn is_development_dockerfile(path: &Path) -> bool {
    if crate::source::deployment::is_test_location(path) {
        return true;
    }
    // `.devcontainer/`, and repository tooling (`tools/`, `scripts/`, `hack/`).
    let in_tooling = path.parent().is_some_and(|dir| {
        dir.components().any(|c| {
            matches!(
                c.as_os_str()
                    .to_string_lossy()
                    .to_ascii_lowercase()
                    .as_str(),
                ".devcontainer" | "tools" | "tooling" | "scripts" | "hack" | "devtools"
            )
        })
    });
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    in_tooling
        || name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| {
                matches!(
                    word,
                    "dev"
                        | "devel"
                        | "develop"
                        | "development"
                        | "debug"
                        | "local"
                        | "devcontainer"
                )
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::dockerfile::parse;

    fn words(text: &str) -> Vec<Word> {
        split_string(text, 0, true, 0..text.len())
    }

    #[test]
    fn finds_cargo_run() {
        let behind_init = exec_form_commands(&words("tini -- sh -c 'cargo run --release'"));
        assert!(behind_init.iter().any(|c| cargo_run(c).is_some()));
        let run = |text: &str| cargo_run(&words(text)).map(|r| (r.text, r.span));
        assert_eq!(run("cargo run --release"), Some(("cargo run".into(), 0..9)));
        assert_eq!(
            run("/usr/local/cargo/bin/cargo +nightly r"),
            Some(("cargo r".into(), 0..37))
        );
        assert_eq!(
            run("cargo --color never run --bin api").map(|r| r.0),
            Some("cargo run".into())
        );
        assert_eq!(
            run("cargo watch -x 'run --bin api'").map(|r| r.0),
            Some("cargo watch -x run".into())
        );
        assert_eq!(
            run("cargo-watch -s 'cargo run'").map(|r| r.0),
            Some("cargo-watch -x run".into())
        );
        assert_eq!(
            run("tini -- cargo run").map(|r| r.0),
            Some("cargo run".into())
        );
        assert_eq!(run("cargo watch -x test"), None);
        assert_eq!(run("cargo build --release"), None);
        assert_eq!(run("cargo install cargo-run"), None);
        assert_eq!(run("./target/release/run"), None);
    }

    #[test]
    fn scripts_that_exec_or_trap_hand_over() {
        let over = |text: &str| script_hands_over(&words(text));
        assert!(over("exec ./server"));
        assert!(over("./migrate && exec ./server --port 80"));
        assert!(over("set -e; RUST_LOG=info exec ./server"));
        assert!(over(
            "trap 'kill -TERM $pid' TERM; ./server & pid=$!; wait $pid"
        ));
        assert!(!over("./server"));
        assert!(!over("./migrate && ./server"));
        assert!(!over("exec ./migrate; ./server"));
        assert!(!over("exec ./server &"));
    }

    #[test]
    fn inits_are_stripped() {
        let w = words("tini -g -- sh -c ./server");
        let (init, rest) = strip_init(&w);
        assert_eq!(init, Some(Init::ToGroup));
        assert_eq!(rest[0].text, "sh");
        let w = words("dumb-init sh -c ./server");
        assert_eq!(strip_init(&w).0, Some(Init::ToGroup));
        let w = words("/sbin/tini -- ./server");
        let (init, rest) = strip_init(&w);
        assert_eq!(
            (init, rest[0].text.as_str()),
            (Some(Init::ToChild), "./server")
        );
        let wrapper = shell_wrapper(&words("tini -- /bin/sh -ec 'exec ./server'")).unwrap();
        assert_eq!(wrapper.shell.text, "/bin/sh");
        assert_eq!(wrapper.script.text, "exec ./server");
    }

    #[test]
    fn effective_start_follows_stage_chains() {
        let dockerfile = parse(
            "FROM debian:12 AS base\nCMD [\"base\"]\nFROM base AS app\nENTRYPOINT [\"/app\"]\n",
        );
        let start = docker_start(&dockerfile, dockerfile.final_stage().unwrap());
        assert!(start.entrypoint.is_some());
        assert!(start.cmd.is_none(), "ENTRYPOINT resets an inherited CMD");
        let dockerfile = parse(
            "FROM debian:12\nCMD [\"--port\", \"80\"]\nENTRYPOINT [\"/app\"]\nSHELL [\"/bin/bash\", \"-c\"]\n",
        );
        let start = docker_start(&dockerfile, dockerfile.final_stage().unwrap());
        assert!(start.entrypoint.is_some() && start.cmd.is_some());
        assert_eq!(start.shell_program(), "/bin/bash");
        let dockerfile = parse("FROM debian:12\nENTRYPOINT [\"/app\"]\nENTRYPOINT []\n");
        let start = docker_start(&dockerfile, dockerfile.final_stage().unwrap());
        assert!(start.entrypoint.is_none());
    }

    #[test]
    fn variables_in_effect_at_an_instruction() {
        let dockerfile = parse(
            "ARG UID=10001\nFROM debian:12 AS base\nENV HOME_USER=app\nFROM base\nARG UID\nARG GID=0\nUSER $UID:$GID\nUSER $HOME_USER\nUSER $MISSING\n",
        );
        let stage = dockerfile.final_stage().unwrap();
        let users: Vec<(usize, &Instruction)> = dockerfile
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.keyword == "USER")
            .collect();
        let expand = |n: usize, text: &str| expand_at(&dockerfile, stage, users[n].0, text);
        assert_eq!(expand(0, "$UID:$GID").as_deref(), Some("10001:0"));
        assert_eq!(expand(1, "$HOME_USER").as_deref(), Some("app"));
        assert_eq!(expand(2, "$MISSING"), None);
    }

    #[test]
    fn development_dockerfiles() {
        for path in [
            "Dockerfile.dev",
            "docker/dev.Dockerfile",
            ".devcontainer/Dockerfile",
            "Dockerfile.debug",
            "tests/Dockerfile",
            "ci/Dockerfile",
            "tools/schema2openapi/Dockerfile",
        ] {
            assert!(is_development_dockerfile(Path::new(path)), "{path}");
        }
        for path in [
            "Dockerfile",
            "services/api/Dockerfile",
            "Dockerfile.prod",
            "build/Dockerfile",
        ] {
            assert!(!is_development_dockerfile(Path::new(path)), "{path}");
        }
    }
}
