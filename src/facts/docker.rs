//! What rules need to know about a Dockerfile beyond its syntax: which stage ships, which image
//! a stage really starts from, what its RUN instructions execute (cargo above all), and what the
//! build context next to the Dockerfile holds.
//!
//! The build context is guessed: the Dockerfile's own directory, then its parent directories up
//! to the workspace root (a Dockerfile in `docker/` is often built with the repository as
//! context). Compose `build.context` is not known here.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::facts::secrets;
use crate::source::SourceFile;
use crate::source::dockerfile::{
    Args, Dockerfile, Heredoc, ImageRef, ImageSource, Instruction, Stage, Word,
};

/// Names of a last stage that is built on purpose with `--target` for development or CI, so the
/// stage that ships is another one.
const NON_SHIPPING_STAGE_NAMES: &[&str] = &[
    "bench",
    "check",
    "ci",
    "debug",
    "dev",
    "develop",
    "development",
    "devcontainer",
    "lint",
    "local",
    "test",
    "testing",
    "tests",
];

/// The stage that ships: the last one (what `docker build` without `--target` produces), unless
/// it is named for development or tests (`test`, `dev`, `ci`…) while other stages exist — then
/// the image that ships is built with a `--target` this file does not name, and `None` is
/// returned.
pub fn shipping_stage(dockerfile: &Dockerfile) -> Option<&Stage> {
    let last = dockerfile.final_stage()?;
    let for_development = last.name.as_ref().is_some_and(|name| {
        NON_SHIPPING_STAGE_NAMES.contains(&name.text.to_ascii_lowercase().as_str())
    });
    (dockerfile.stages.len() == 1 || !for_development).then_some(last)
}

/// `stage`, the stage its `FROM` names, that stage's base, … up to the stage that starts from an
/// image (or `scratch`). Everything in these stages ends up in `stage`'s image.
pub fn stage_chain<'d>(dockerfile: &'d Dockerfile, stage: &'d Stage) -> Vec<&'d Stage> {
    let mut chain = vec![stage];
    let mut current = stage;
    while let ImageSource::Stage(index) = dockerfile.resolve_image(current) {
        // FROM may only name earlier stages, so this ends.
        match dockerfile
            .stages
            .get(index)
            .filter(|s| s.index < current.index)
        {
            Some(base) => {
                chain.push(base);
                current = base;
            }
            None => break,
        }
    }
    chain
}

/// The image `stage` really starts from, through `FROM <stage>` references.
pub fn base_image(dockerfile: &Dockerfile, stage: &Stage) -> ImageSource {
    let chain = stage_chain(dockerfile, stage);
    let root = chain.last().copied().unwrap_or(stage);
    dockerfile.resolve_image(root)
}

/// The instructions of a chain, root stage first, each with its index in
/// [`Dockerfile::instructions`].
pub fn chain_instructions<'d>(
    dockerfile: &'d Dockerfile,
    chain: &[&'d Stage],
) -> Vec<(usize, &'d Instruction)> {
    let mut out = Vec::new();
    for stage in chain.iter().rev() {
        let range = stage.instructions.clone();
        out.extend(range.clone().zip(dockerfile.stage_instructions(stage)));
    }
    out
}

/// The image as users write it: `rust:1.82-slim`.
pub fn display(image: &ImageRef) -> String {
    let mut text = image.name.clone();
    if let Some(tag) = &image.tag {
        text.push(':');
        text.push_str(tag);
    }
    text
}

/// The repository path without a Docker Hub library prefix: `rust` for `docker.io/library/rust`
/// and `public.ecr.aws/docker/library/rust`.
fn short_repository(image: &ImageRef) -> &str {
    let repository = image.repository();
    let repository = repository.strip_prefix("docker/").unwrap_or(repository);
    repository.strip_prefix("library/").unwrap_or(repository)
}

/// Images that hold a Rust compiler and cargo: the official `rust` image and its mirrors, and
/// the common musl, cross-compiling and cargo-chef builder images.
pub fn is_rust_toolchain(image: &ImageRef) -> bool {
    let repository = short_repository(image);
    let last = repository.rsplit('/').next().unwrap_or(repository);
    matches!(
        last,
        "rust"
            | "muslrust"
            | "rust-musl"
            | "rust-musl-builder"
            | "rust-musl-cross"
            | "cargo-chef"
            | "cargo-zigbuild"
    )
}

/// Images without a shell or userland: `scratch`, distroless (not its `:debug` tags, which hold
/// busybox), Chainguard's `static`/`glibc-dynamic` (not their `-dev` tags) and chiseled images.
/// Returns how to name the image in a message.
pub fn shell_less_image(source: &ImageSource) -> Option<String> {
    let image = match source {
        ImageSource::Scratch => return Some("scratch".to_string()),
        ImageSource::Image(image) => image,
        ImageSource::Stage(_) | ImageSource::Unresolved(_) => return None,
    };
    let tag = image.tag.as_deref().unwrap_or("").to_ascii_lowercase();
    let repository = image.repository();
    let distroless = image
        .registry
        .as_deref()
        .is_some_and(|r| r.ends_with("gcr.io"))
        && repository.starts_with("distroless/")
        && !tag.contains("debug");
    let chainguard = matches!(
        repository,
        "chainguard/static" | "chainguard/glibc-dynamic" | "chainguard/cc-dynamic"
    ) && !tag.contains("dev");
    let chiseled = tag.contains("chiseled");
    (distroless || chainguard || chiseled).then(|| display(image))
}

/// The file name of a path: `curl` for `/usr/bin/curl`.
pub fn basename(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh"];

pub fn is_shell(program: &str) -> bool {
    SHELLS.contains(&basename(program))
}

/// The simple commands a RUN executes, in order: its shell form split at `&&`, `||`, `;`, `|`
/// and line breaks, `if … then … fi` bodies included; its exec form (and the script of an exec
/// `sh -c "…"`); and heredoc bodies the shell runs as scripts (`RUN <<EOF`, `RUN bash <<EOF`).
/// Leading variable assignments and wrappers (`env`, `time`, `exec`, `sudo`…) are dropped, so
/// the first word is the program.
pub fn run_commands(instruction: &Instruction) -> Vec<Vec<Word>> {
    if instruction.keyword != "RUN" {
        return Vec::new();
    }
    let mut commands = commands(&instruction.args);
    if instruction.heredocs.is_empty() {
        return commands;
    }
    let is_marker = |word: &Word| word.text.starts_with("<<");
    // `RUN <<EOF` and `RUN bash -e <<EOF` run the body; `RUN cat <<EOF > file` does not.
    let runs_body = commands.iter().any(|command| {
        command.iter().any(is_marker)
            && command
                .iter()
                .find(|w| !is_marker(w))
                .is_none_or(|program| is_shell(&program.text))
    });
    for command in &mut commands {
        command.retain(|word| !is_marker(word));
    }
    commands.retain(|command| !command.is_empty());
    if runs_body {
        for heredoc in &instruction.heredocs {
            if is_shell_script(heredoc) {
                commands.extend(split_commands(heredoc.body.words()));
            }
        }
    }
    commands
}

/// A heredoc body is a shell script unless its shebang names another interpreter.
fn is_shell_script(heredoc: &Heredoc) -> bool {
    let first = heredoc.body.text.lines().next().unwrap_or("");
    match first.strip_prefix("#!") {
        None => true,
        Some(shebang) => {
            let mut parts = shebang.split_whitespace();
            let program = parts.next().unwrap_or("");
            let program = if basename(program) == "env" {
                parts.find(|p| !p.starts_with('-')).unwrap_or("")
            } else {
                program
            };
            is_shell(program)
        }
    }
}

/// The simple commands of a CMD/ENTRYPOINT/RUN/HEALTHCHECK argument list.
pub fn commands(args: &Args) -> Vec<Vec<Word>> {
    match args {
        Args::Shell(text) => split_commands(text.words()),
        Args::Exec(words) => exec_commands(words),
    }
}

/// An exec form is one command, unless it is `sh -c "script"`: then the script's commands.
fn exec_commands(words: &[Word]) -> Vec<Vec<Word>> {
    let Some(program) = words.first() else {
        return Vec::new();
    };
    if is_shell(&program.text)
        && let Some(script) = shell_script_argument(&words[1..])
    {
        return split_commands(split_script(script));
    }
    vec![words.to_vec()]
}

/// The script of `-c script` among a shell's arguments (`-c`, `-ec`, `-eux -o pipefail -c`).
pub fn shell_script_argument(arguments: &[Word]) -> Option<&Word> {
    let mut takes_script = false;
    let mut iter = arguments.iter();
    while let Some(word) = iter.next() {
        let text = word.text.as_str();
        if text == "-o" || text == "+o" {
            iter.next();
        } else if let Some(options) = text.strip_prefix('-').filter(|o| !o.starts_with('-')) {
            takes_script |= options.contains('c');
        } else if takes_script {
            return Some(word);
        } else {
            return None;
        }
    }
    None
}

/// Words of a script held in one JSON string: split on whitespace and shell operators. Spans
/// are exact when the string holds no escapes, else each word points at the whole string.
pub fn split_script(script: &Word) -> Vec<Word> {
    let exact = script.span.len() == script.text.len();
    let mut out = Vec::new();
    let text = &script.text;
    let mut start = None;
    let push = |range: Range<usize>, out: &mut Vec<Word>| {
        let span = if exact {
            script.span.start + range.start..script.span.start + range.end
        } else {
            script.span.clone()
        };
        let word = text[range].trim_matches(|c| c == '"' || c == '\'');
        out.push(Word {
            text: word.to_string(),
            span,
        });
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let operator = [&b"&&"[..], b"||", b";", b"|", b"\n"]
            .into_iter()
            .find(|op| bytes[i..].starts_with(op));
        if c.is_ascii_whitespace() && c != b'\n' || operator.is_some() {
            if let Some(s) = start.take() {
                push(s..i, &mut out);
            }
            if let Some(op) = operator {
                push(i..i + op.len(), &mut out);
                i += op.len();
                continue;
            }
        } else if start.is_none() {
            start = Some(i);
        }
        i += 1;
    }
    if let Some(s) = start {
        push(s..bytes.len(), &mut out);
    }
    out
}

const SEPARATORS: &[&str] = &["&&", "||", "|", ";", "&", "\n"];
/// Words that start a command after them: shell keywords and wrappers that run their arguments.
const PREFIXES: &[&str] = &[
    "!", "{", "(", "if", "then", "else", "elif", "do", "while", "until", "time", "exec", "command",
    "nohup", "nice", "builtin",
];

/// Splits shell words into simple commands and drops what comes before the program.
pub fn split_commands(words: Vec<Word>) -> Vec<Vec<Word>> {
    let mut commands = Vec::new();
    let mut current: Vec<Word> = Vec::new();
    for word in words {
        if SEPARATORS.contains(&word.text.as_str()) {
            if !current.is_empty() {
                commands.push(std::mem::take(&mut current));
            }
            continue;
        }
        current.push(word);
    }
    if !current.is_empty() {
        commands.push(current);
    }
    commands
        .into_iter()
        .map(strip_prefixes)
        .filter(|command| !command.is_empty())
        .collect()
}

fn strip_prefixes(mut command: Vec<Word>) -> Vec<Word> {
    loop {
        let Some(first) = command.first_mut() else {
            return command;
        };
        // `(cargo build)` and `{ cargo build; }`
        let opening = first.text.len() - first.text.trim_start_matches(['(', '{']).len();
        if opening > 0 && opening < first.text.len() {
            first.text.drain(..opening);
            if first.span.len() > opening {
                first.span.start += opening;
            }
        }
        let text = first.text.as_str();
        let is_assignment = text
            .split_once('=')
            .is_some_and(|(name, _)| is_variable_name(name));
        if is_assignment || PREFIXES.contains(&text) {
            command.remove(0);
        } else if basename(text) == "env" {
            command.remove(0);
            while command
                .first()
                .is_some_and(|w| w.text.starts_with('-') || w.text.contains('='))
            {
                let option = command.remove(0);
                if matches!(option.text.as_str(), "-u" | "--unset" | "-C" | "--chdir")
                    && !command.is_empty()
                {
                    command.remove(0);
                }
            }
        } else if text == "sudo" {
            command.remove(0);
            while command.first().is_some_and(|w| w.text.starts_with('-')) {
                let option = command.remove(0);
                if matches!(option.text.as_str(), "-u" | "-g" | "-C") && !command.is_empty() {
                    command.remove(0);
                }
            }
        } else {
            return command;
        }
    }
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// What a cargo invocation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CargoAction {
    /// `cargo build`, `cargo b`, `cargo rustc`, `cargo zigbuild`, `cargo auditable build`,
    /// `cross build`: compiles the workspace from its Cargo.lock.
    Build,
    /// `cargo install`: compiles a crate (from crates.io, git or `--path`); ignores Cargo.lock
    /// unless `--locked`.
    Install,
    /// `cargo chef cook`: compiles the dependencies of a cargo-chef recipe.
    ChefCook,
}

/// One cargo invocation in a command.
#[derive(Clone, Debug)]
pub struct CargoCommand {
    pub action: CargoAction,
    /// `cargo build`, `cargo auditable build`, `cross build`: as written.
    pub text: String,
    /// From the program to the subcommand.
    pub span: Range<usize>,
    /// `--locked` or `--frozen` is given.
    pub locked: bool,
    /// The words after the subcommand.
    pub arguments: Vec<Word>,
}

/// Cargo options before the subcommand that take a value.
const CARGO_GLOBAL_OPTIONS_WITH_VALUE: &[&str] = &["--color", "--config", "-Z", "-C", "--explain"];

/// The cargo invocation a simple command makes, if it builds or installs something.
pub fn cargo_command(command: &[Word]) -> Option<CargoCommand> {
    let program = command.first()?;
    let name = basename(&program.text);
    if !matches!(name, "cargo" | "cross" | "cargo.exe") {
        return None;
    }
    let mut locked = false;
    let mut index = 1;
    while let Some(word) = command.get(index) {
        let text = word.text.as_str();
        if text.starts_with('+') {
            index += 1;
        } else if text == "--locked" || text == "--frozen" {
            locked = true;
            index += 1;
        } else if CARGO_GLOBAL_OPTIONS_WITH_VALUE.contains(&text) {
            index += 2;
        } else if text.starts_with('-') {
            index += 1;
        } else {
            break;
        }
    }
    let first = command.get(index)?;
    let (action, last) = match first.text.as_str() {
        "build" | "b" | "rustc" | "zigbuild" => (CargoAction::Build, index),
        "install" => (CargoAction::Install, index),
        "auditable" => match command.get(index + 1)?.text.as_str() {
            "build" | "b" => (CargoAction::Build, index + 1),
            "install" => (CargoAction::Install, index + 1),
            _ => return None,
        },
        "chef" if command.get(index + 1)?.text == "cook" => (CargoAction::ChefCook, index + 1),
        _ => return None,
    };
    if name == "cross" && action != CargoAction::Build {
        return None;
    }
    let arguments = command[last + 1..].to_vec();
    // Arguments after `--` go to rustc or the build script, not to cargo.
    let own = arguments.iter().take_while(|w| w.text != "--");
    locked |= own
        .clone()
        .any(|w| w.text == "--locked" || w.text == "--frozen");
    let text = std::iter::once(name)
        .chain(command[index..=last].iter().map(|w| w.text.as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    Some(CargoCommand {
        action,
        text,
        span: program.span.start..command[last].span.end,
        locked,
        arguments,
    })
}

/// Where a Dockerfile's build context probably is, to look at the files a `COPY` takes.
pub struct BuildContext {
    /// The Dockerfile's directory, then its parents up to the workspace root.
    directories: Vec<PathBuf>,
    /// The Dockerfile's file name (`Dockerfile`, `api.Dockerfile`).
    file_name: String,
}

impl BuildContext {
    /// The context of a Dockerfile read from disk. For text that does not live in a workspace
    /// (documentation examples), every look-up finds nothing.
    pub fn of(file: &SourceFile) -> BuildContext {
        let components = file.path.components().count();
        let root = file
            .absolute_path
            .ends_with(file.path.as_path())
            .then(|| file.absolute_path.ancestors().nth(components))
            .flatten();
        let directories = match (file.absolute_path.parent(), root) {
            (Some(directory), Some(root)) => directory
                .ancestors()
                .take_while(|d| d.starts_with(root))
                .filter(|d| d.is_dir())
                .map(Path::to_path_buf)
                .collect(),
            _ => Vec::new(),
        };
        let file_name = file
            .absolute_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        BuildContext {
            directories,
            file_name,
        }
    }

    /// The Dockerfile's directory, when it exists on disk.
    pub fn directory(&self) -> Option<&Path> {
        self.directories.first().map(PathBuf::as_path)
    }

    /// The first candidate context that holds `source` (a `COPY` source path).
    pub fn find(&self, source: &str) -> Option<PathBuf> {
        let relative = source.trim_start_matches("./").trim_start_matches('/');
        // Docker refuses paths outside the context; so does this look-up.
        let escapes = Path::new(relative).components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
        if relative.is_empty() || escapes || relative.contains(['*', '?', '[', '$']) {
            return None;
        }
        self.directories
            .iter()
            .map(|directory| directory.join(relative))
            .find(|path| path.exists())
    }

    /// Whether a `COPY`/`ADD` source (from the context, not `--from`) may bring a Cargo.lock: the
    /// whole context, `Cargo.lock` itself or a glob matching it, a directory holding one, or a
    /// path this guess cannot see. Files and the usual source directories (`src`, `crates`…)
    /// found without one do not.
    pub fn may_hold_cargo_lock(&self, source: &str) -> bool {
        let trimmed = source.trim_end_matches('/');
        if matches!(trimmed, "" | "." | "./") || source.contains("://") || source.contains('$') {
            return true;
        }
        let name = basename(trimmed);
        if name == "Cargo.lock" {
            return true;
        }
        if name.contains(['*', '?', '[']) {
            return globset::Glob::new(name)
                .map(|glob| glob.compile_matcher().is_match("Cargo.lock"))
                .unwrap_or(true);
        }
        match self.find(trimmed) {
            Some(path) if path.is_dir() => path.join("Cargo.lock").is_file(),
            Some(_) => false,
            // Not on disk: a file name (`Cargo.toml`, `build.rs`) or a usual source directory
            // does not hold the lockfile; anything else might be a whole workspace.
            None => {
                !name.contains('.')
                    && !matches!(
                        name,
                        "src"
                            | "crates"
                            | "benches"
                            | "examples"
                            | "tests"
                            | "migrations"
                            | "config"
                            | "configuration"
                            | "templates"
                            | "static"
                            | "assets"
                            | "proto"
                            | "protos"
                            | "scripts"
                    )
            }
        }
    }

    /// The `.dockerignore` that applies: `<Dockerfile>.dockerignore` next to the Dockerfile,
    /// else `.dockerignore` in its directory.
    fn dockerignore(&self) -> Option<ignore::gitignore::Gitignore> {
        let directory = self.directory()?;
        let candidates = [
            directory.join(format!("{}.dockerignore", self.file_name)),
            directory.join(".dockerignore"),
        ];
        let path = candidates.into_iter().find(|p| p.is_file())?;
        let text = std::fs::read_to_string(&path).ok()?;
        let mut builder = ignore::gitignore::GitignoreBuilder::new(directory);
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // Docker cleans patterns like paths: `./.env` is `.env`.
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches("./");
            let pattern = if negated {
                format!("!{pattern}")
            } else {
                pattern.to_string()
            };
            let _ = builder.add_line(None, &pattern);
        }
        builder.build().ok()
    }

    /// Whether `.dockerignore` keeps `relative` (a path in the Dockerfile's directory) out of
    /// the context.
    pub fn is_dockerignored(&self, relative: &str) -> bool {
        let Some(matcher) = self.dockerignore() else {
            return false;
        };
        let relative = relative.trim_start_matches("./").trim_start_matches('/');
        if relative.is_empty() {
            return false;
        }
        matcher
            .matched_path_or_any_parents(relative, false)
            .is_ignore()
    }

    /// `.env` files in the Dockerfile's directory that `.dockerignore` does not exclude and that
    /// hold a real secret (see [`env_file_secret`]); sorted.
    pub fn env_files_with_secrets(&self) -> Vec<(String, String)> {
        let Some(directory) = self.directory() else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(directory) else {
            return Vec::new();
        };
        let mut found: Vec<(String, String)> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| is_env_file_name(name))
            .filter(|name| !self.is_dockerignored(name))
            .filter_map(|name| {
                let text = read_small(&directory.join(&name))?;
                let key = env_file_secret(&text)?;
                Some((name, key))
            })
            .collect();
        found.sort();
        found
    }

    /// The text of a small file of the context, if it is one.
    pub fn read(&self, source: &str) -> Option<String> {
        read_small(&self.find(source)?)
    }
}

fn read_small(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > 256 * 1024 {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    String::from_utf8(bytes).ok()
}

/// `.env`, `.env.production`, `prod.env`; not templates (`.env.example`, `.env.sample`,
/// `.env.template`, `.env.dist`, `.env.defaults`) or test settings (`.env.test`, `test.env`,
/// `.env.ci`).
pub fn is_env_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let is_env = lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env");
    const NOT_SECRET: &[&str] = &[
        "example", "examples", "sample", "template", "dist", "defaults", "tmpl", "tpl", "test",
        "tests", "testing", "ci",
    ];
    let template = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| NOT_SECRET.contains(&word))
        || ["example", "sample", "template"]
            .iter()
            .any(|word| lower.contains(word));
    is_env && !template
}

/// The first key of a `.env` text that holds a real secret: a secret-named key with a value that
/// is not a placeholder or a local development default, or a URL with such a password in it.
pub fn env_file_secret(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        if secrets::is_secret_name(key) && !secrets::is_dev_default(value) {
            return Some(key.to_string());
        }
        if url_password(value).is_some_and(|p| !secrets::is_dev_default(p)) {
            return Some(key.to_string());
        }
    }
    None
}

/// The password of a `scheme://user:password@host` URL.
pub fn url_password(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

/// What a file name says about a file copied into an image: a private key, a keystore, or
/// credentials. `None` for anything else (certificates included).
pub fn secret_file_kind(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if is_env_file_name(&lower) {
        return Some("an environment file");
    }
    if matches!(
        lower.as_str(),
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | "id_ecdsa_sk" | "id_ed25519_sk"
    ) {
        return Some("an SSH private key");
    }
    if matches!(lower.as_str(), ".netrc" | ".pgpass" | ".git-credentials") {
        return Some("a credentials file");
    }
    let extension = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match extension {
        "key" => Some("a private key"),
        "p12" | "pfx" | "jks" | "keystore" => Some("a keystore"),
        "pem" => {
            // Certificates and CA bundles are public.
            let public = [
                "cert", "crt", "ca", "chain", "bundle", "pub", "public", "root",
            ];
            let stem = lower.trim_end_matches(".pem");
            let words: Vec<&str> = stem.split(|c: char| !c.is_ascii_alphanumeric()).collect();
            let is_public = words.iter().any(|w| public.contains(w))
                || public
                    .iter()
                    .any(|p| stem.starts_with(p) || stem.ends_with(p));
            (!is_public).then_some("a PEM file that may hold a private key")
        }
        _ => None,
    }
}

/// Whether a PEM text holds a private key.
pub fn holds_private_key(text: &str) -> bool {
    text.contains("PRIVATE KEY-----")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::dockerfile::parse;

    fn texts(commands: &[Vec<Word>]) -> Vec<String> {
        commands
            .iter()
            .map(|c| {
                c.iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    fn run(text: &str) -> Vec<String> {
        let dockerfile = parse(text);
        let run = dockerfile
            .instructions
            .iter()
            .find(|i| i.keyword == "RUN")
            .unwrap();
        texts(&run_commands(run))
    }

    #[test]
    fn splits_shell_form_into_commands() {
        assert_eq!(
            run(
                "FROM rust\nRUN apt-get update && RUSTFLAGS=-g cargo build --release; \\\n    strip target/release/app\n"
            ),
            [
                "apt-get update",
                "cargo build --release",
                "strip target/release/app"
            ]
        );
        assert_eq!(
            run(
                "FROM rust\nRUN if [ \"$M\" = release ]; then cargo build --release; else env -u X cargo build; fi\n"
            ),
            [
                "[ $M = release ]",
                "cargo build --release",
                "cargo build",
                "fi"
            ]
        );
    }

    #[test]
    fn reads_exec_forms_and_sh_c_scripts() {
        assert_eq!(
            run("FROM rust\nRUN [\"cargo\", \"build\", \"--locked\"]\n"),
            ["cargo build --locked"]
        );
        assert_eq!(
            run("FROM rust\nRUN [\"/bin/sh\", \"-ec\", \"cd app && cargo build\"]\n"),
            ["cd app", "cargo build"]
        );
    }

    #[test]
    fn runs_heredoc_scripts_but_not_heredoc_input() {
        let script = "FROM rust\nRUN --mount=type=cache,target=/usr/local/cargo/registry <<EOF\n    set -e\n    cargo build --release \\\n      --locked\nEOF\n";
        assert_eq!(run(script), ["set -e", "cargo build --release --locked"]);
        let bash = "FROM rust\nRUN bash -e <<'EOF'\ncargo install cargo-chef\nEOF\n";
        assert_eq!(run(bash), ["bash -e", "cargo install cargo-chef"]);
        let input = "FROM rust\nRUN cat <<EOF > /etc/app.sh\ncargo build\nEOF\n";
        assert_eq!(run(input), ["cat > /etc/app.sh"]);
        let python = "FROM rust\nRUN <<EOF\n#!/usr/bin/env python3\nprint('cargo build')\nEOF\n";
        assert!(run(python).is_empty());
    }

    #[test]
    fn recognises_cargo_invocations() {
        let parse_command = |text: &str| {
            let words: Vec<Word> = text
                .split(' ')
                .map(|w| Word {
                    text: w.to_string(),
                    span: 0..0,
                })
                .collect();
            cargo_command(&words).map(|c| (c.action, c.text, c.locked))
        };
        assert_eq!(
            parse_command("cargo build --release --locked"),
            Some((CargoAction::Build, "cargo build".into(), true))
        );
        assert_eq!(
            parse_command("cargo +nightly --frozen b"),
            Some((CargoAction::Build, "cargo b".into(), true))
        );
        assert_eq!(
            parse_command("/usr/local/cargo/bin/cargo auditable build --release"),
            Some((CargoAction::Build, "cargo auditable build".into(), false))
        );
        assert_eq!(
            parse_command("cargo install cargo-chef"),
            Some((CargoAction::Install, "cargo install".into(), false))
        );
        assert_eq!(
            parse_command("cargo chef cook --release --recipe-path recipe.json"),
            Some((CargoAction::ChefCook, "cargo chef cook".into(), false))
        );
        assert_eq!(
            parse_command("cargo build -- --locked"),
            Some((CargoAction::Build, "cargo build".into(), false))
        );
        assert_eq!(parse_command("cargo test --locked"), None);
        assert_eq!(parse_command("cargo chef prepare"), None);
        assert_eq!(parse_command("cross test"), None);
    }

    #[test]
    fn follows_stage_chains_to_the_image() {
        let dockerfile = parse(
            "ARG BASE=rust:1.82\nFROM ${BASE} AS chef\nFROM chef AS builder\nFROM builder AS runtime\n",
        );
        let last = dockerfile.final_stage().unwrap();
        assert_eq!(stage_chain(&dockerfile, last).len(), 3);
        let ImageSource::Image(image) = base_image(&dockerfile, last) else {
            panic!()
        };
        assert!(is_rust_toolchain(&image));
        for toolchain in [
            "rust:1.82-slim",
            "docker.io/library/rust",
            "public.ecr.aws/docker/library/rust:1",
            "clux/muslrust:stable",
            "messense/rust-musl-cross:x86_64-musl",
            "lukemathwalker/cargo-chef:latest-rust-1",
        ] {
            assert!(
                is_rust_toolchain(&ImageRef::parse(toolchain)),
                "{toolchain}"
            );
        }
        for other in ["debian:bookworm-slim", "gcr.io/distroless/cc", "rustfs/app"] {
            assert!(!is_rust_toolchain(&ImageRef::parse(other)), "{other}");
        }
    }

    #[test]
    fn knows_shell_less_images() {
        let of = |text: &str| shell_less_image(&ImageSource::Image(ImageRef::parse(text)));
        assert!(of("gcr.io/distroless/cc-debian12").is_some());
        assert!(of("gcr.io/distroless/static:nonroot").is_some());
        assert!(of("cgr.dev/chainguard/static:latest").is_some());
        assert!(of("gcr.io/distroless/base:debug").is_none());
        assert!(of("cgr.dev/chainguard/wolfi-base").is_none());
        assert!(of("debian:bookworm-slim").is_none());
        assert_eq!(
            shell_less_image(&ImageSource::Scratch).as_deref(),
            Some("scratch")
        );
    }

    #[test]
    fn names_secret_files() {
        assert!(secret_file_kind(".env").is_some());
        assert!(secret_file_kind(".env.production").is_some());
        assert!(secret_file_kind(".env.example").is_none());
        assert!(secret_file_kind("test.env").is_none());
        assert!(secret_file_kind(".env.ci").is_none());
        assert!(secret_file_kind("prod.env").is_some());
        assert!(secret_file_kind("server.key").is_some());
        assert!(secret_file_kind("id_ed25519").is_some());
        assert!(secret_file_kind("tls.pem").is_some());
        assert!(secret_file_kind("ca-cert.pem").is_none());
        assert!(secret_file_kind("fullchain.pem").is_none());
        assert!(secret_file_kind("Cargo.toml").is_none());
        assert_eq!(
            url_password("postgres://app:s3cr3t@db:5432/app"),
            Some("s3cr3t")
        );
        assert_eq!(url_password("https://example.com/a@b"), None);
    }
}
