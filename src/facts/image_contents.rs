//! What the image of a Dockerfile stage holds, as far as its instructions say: where the
//! workspace's binaries are copied (`COPY --from=builder /app/target/release/X /usr/local/bin/`),
//! which other files are copied in, which directories receive files of names the tool cannot
//! see (a directory or a glob), and what its `RUN`s mention. A start command of a container
//! running the image is held against it.

use std::path::{Component, Path, PathBuf};

use crate::facts::docker::{self, CargoAction, basename, cargo_command, run_commands};
use crate::source::dockerfile::{Dockerfile, ImageSource, Instruction, Stage};

/// Directories on the `PATH` of the usual base images: what the base image may already hold.
const SYSTEM_BIN_DIRECTORIES: &[&str] = &[
    "/bin",
    "/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
];

/// A workspace binary copied into the image.
#[derive(Clone, Debug)]
pub struct CopiedBinary {
    /// The binary's name (the file name under `target/<profile>/`).
    pub name: String,
    /// Directories it may land in: the destination, and its parent when the destination may
    /// name the file itself (`COPY … /usr/local/bin/app`).
    pub directories: Vec<String>,
    /// The destination as written (`/usr/local/bin/`, `/srv/server`).
    pub destination: String,
    /// The instruction that copies it, as an index into [`Dockerfile::instructions`].
    pub instruction: usize,
}

/// What a stage's image holds.
#[derive(Clone, Debug, Default)]
pub struct ImageContents {
    pub binaries: Vec<CopiedBinary>,
    /// Absolute paths of files copied in, under every reading of each destination.
    pub files: Vec<String>,
    /// Directories that receive files whose names the tool cannot see.
    pub opaque_directories: Vec<String>,
    /// The words of the `RUN` instructions: a file they name may be made there.
    pub run_words: Vec<String>,
    /// The working directory the image starts in (`None` when it is set from a variable).
    pub workdir: Option<String>,
    /// The image the chain starts from.
    pub base: Option<ImageSource>,
}

impl ImageContents {
    /// The directories the workspace's binaries are copied into.
    pub fn binary_directories(&self) -> Vec<&str> {
        let mut directories: Vec<&str> = Vec::new();
        for binary in &self.binaries {
            for directory in &binary.directories {
                if !directories.contains(&directory.as_str()) {
                    directories.push(directory);
                }
            }
        }
        directories
    }

    /// Whether the image may hold the file at `path` (absolute) other than as a workspace
    /// binary: it is copied in, it lands in a directory of unseen names, or a `RUN` names it.
    pub fn may_provide(&self, path: &str) -> bool {
        let name = basename(path);
        let directory = parent(path);
        self.files.iter().any(|f| f == path)
            || self
                .opaque_directories
                .iter()
                .any(|d| *d == directory || path.starts_with(&format!("{d}/")))
            || self.run_words.iter().any(|word| word.contains(name))
    }

    /// The absolute path of a program as a start command writes it: `./server` from the working
    /// directory, `/usr/local/bin/server` as is. `None` for a bare name (found on the `PATH`)
    /// or a path from an unknown working directory.
    pub fn resolve(&self, program: &str, working_dir: Option<&str>) -> Option<String> {
        if !program.contains('/') {
            return None;
        }
        let workdir = working_dir.or(self.workdir.as_deref())?;
        absolute(workdir, program)
    }

    /// Whether the image starts from nothing, or from an image without a package manager's
    /// tools (`scratch`, distroless): what is in it, its Dockerfile put there.
    pub fn starts_empty(&self) -> bool {
        match &self.base {
            Some(ImageSource::Scratch) => true,
            Some(source) => docker::shell_less_image(source).is_some(),
            None => false,
        }
    }
}

/// Programs base images keep on the `PATH`, which a start command may run by name.
const COMMON_TOOLS: &[&str] = &[
    "env",
    "exec",
    "sleep",
    "true",
    "false",
    "echo",
    "cat",
    "ls",
    "test",
    "timeout",
    "nohup",
    "curl",
    "wget",
    "nc",
    "netcat",
    "cargo",
    "rustc",
    "rustup",
    "python",
    "python3",
    "node",
    "npm",
    "npx",
    "java",
    "nginx",
    "envoy",
    "tini",
    "dumb-init",
    "gosu",
    "su-exec",
    "psql",
    "pg_isready",
    "redis-cli",
    "sqlx",
    "diesel",
    "refinery",
    "sea-orm-cli",
    "migrate",
];

/// Whether a program is a tool the usual base images (or a Dockerfile's `apt-get`) provide.
pub fn is_common_tool(name: &str) -> bool {
    COMMON_TOOLS.contains(&name) || docker::is_shell(name)
}

/// Whether a directory is on the `PATH` of the usual base images.
pub fn is_system_bin_directory(directory: &str) -> bool {
    SYSTEM_BIN_DIRECTORIES.contains(&directory.trim_end_matches('/'))
}

/// What the image of `stage` holds, through its `FROM <stage>` chain.
pub fn image_contents(dockerfile: &Dockerfile, stage: &Stage) -> ImageContents {
    let chain = docker::stage_chain(dockerfile, stage);
    let mut contents = ImageContents {
        workdir: Some("/".to_string()),
        base: chain.last().map(|root| dockerfile.resolve_image(root)),
        ..ImageContents::default()
    };
    for (index, instruction) in docker::chain_instructions(dockerfile, &chain) {
        match instruction.keyword.as_str() {
            "WORKDIR" => {
                let text = instruction_text(instruction);
                contents.workdir = match (&contents.workdir, text.contains('$')) {
                    (_, true) => None,
                    (Some(current), false) => absolute(current, &text),
                    (None, false) => text.starts_with('/').then(|| normalize(&text)),
                };
            }
            "RUN" => {
                for command in run_commands(instruction) {
                    contents
                        .run_words
                        .extend(command.into_iter().map(|w| w.text));
                }
            }
            "COPY" | "ADD" => copied(dockerfile, stage, index, instruction, &mut contents),
            _ => {}
        }
    }
    contents
}

fn copied(
    dockerfile: &Dockerfile,
    stage: &Stage,
    index: usize,
    instruction: &Instruction,
    contents: &mut ImageContents,
) {
    let Some(copy) = instruction.copy_args() else {
        return;
    };
    let Some(workdir) = contents.workdir.clone() else {
        return;
    };
    let Some(destination) =
        (!copy.dest.text.contains('$')).then(|| absolute(&workdir, &copy.dest.text))
    else {
        return;
    };
    let Some(destination) = destination else {
        return;
    };
    // `COPY a b /dir/`, `COPY a /dir/`, `COPY a .`, `COPY a /usr/local/bin`: a directory;
    // `COPY a /path`: either.
    let is_directory = copy.dest.text.ends_with('/')
        || copy.sources.len() > 1
        || matches!(copy.dest.text.as_str(), "." | "./")
        || matches!(basename(&destination), "bin" | "sbin");
    let building_stage = instruction
        .flag("from")
        .and_then(|f| f.value.as_deref())
        .and_then(|from| match dockerfile.resolve_from(stage, from) {
            ImageSource::Stage(index) => Some(index),
            _ => None,
        })
        .is_some_and(|index| stage_builds(dockerfile, index));
    for source in &copy.sources {
        let text = source.text.as_str();
        let name = basename(text);
        let into_directory = format!("{}/{name}", destination.trim_end_matches('/'));
        let readings: Vec<String> = if is_directory {
            vec![into_directory]
        } else {
            vec![destination.clone(), into_directory]
        };
        if building_stage
            && !text.contains('$')
            && let Some(binary) = target_binary(text)
        {
            let mut directories = vec![destination.clone()];
            if !is_directory {
                directories.push(parent(&destination).to_string());
            }
            contents.binaries.push(CopiedBinary {
                name: binary.to_string(),
                directories,
                destination: copy.dest.text.clone(),
                instruction: index,
            });
            contents.files.extend(readings);
            continue;
        }
        // A file, by its name: it has an extension or sits in a `bin` directory; a download.
        // Anything else may be a directory, whose files the tool cannot name.
        let parent_name = basename(parent(text));
        let is_file = !text.ends_with('/')
            && !name.contains(['*', '?', '[', '$'])
            && !matches!(name, "" | "." | "..")
            && (name.contains('.')
                || matches!(parent_name, "bin" | "sbin")
                || text.contains("://"));
        if !is_file {
            contents.opaque_directories.push(destination.clone());
        }
        contents.files.extend(readings);
    }
}

/// The words after the keyword of a one-argument instruction (`WORKDIR /app`).
fn instruction_text(instruction: &Instruction) -> String {
    match &instruction.args {
        crate::source::dockerfile::Args::Exec(words) => {
            words.first().map(|w| w.text.clone()).unwrap_or_default()
        }
        crate::source::dockerfile::Args::Shell(text) => text.text.trim().to_string(),
    }
}

/// `…/target/release/X`, `…/target/x86_64-unknown-linux-musl/release/X`: the binary's name.
pub fn target_binary(path: &str) -> Option<&str> {
    let after = path.split_once("target/")?.1;
    let parts: Vec<&str> = after.split('/').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let name = *parts.last()?;
    let profile = parts[parts.len() - 2];
    (is_target_name(name)
        && is_target_name(profile)
        && !matches!(profile, "deps" | "build" | "examples" | "incremental"))
    .then_some(name)
}

/// A plain target name: no variable, no glob, no extension.
pub fn is_target_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether the stage (or a stage it starts from) runs `cargo build`.
pub fn stage_builds(dockerfile: &Dockerfile, index: usize) -> bool {
    let Some(stage) = dockerfile.stage_of(index) else {
        return false;
    };
    docker::stage_chain(dockerfile, stage).iter().any(|s| {
        dockerfile.stage_instructions(s).iter().any(|i| {
            run_commands(i)
                .iter()
                .any(|c| cargo_command(c).is_some_and(|c| c.action == CargoAction::Build))
        })
    })
}

/// `path` from the directory `base`, normalized: `./app` from `/srv` is `/srv/app`.
fn absolute(base: &str, path: &str) -> Option<String> {
    let joined = if path.starts_with('/') {
        PathBuf::from(path)
    } else {
        Path::new(base).join(path)
    };
    let mut parts: Vec<String> = Vec::new();
    for component in joined.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?.to_string()),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    Some(format!("/{}", parts.join("/")))
}

fn normalize(path: &str) -> String {
    absolute("/", path).unwrap_or_else(|| path.to_string())
}

/// The directory of an absolute path: `/usr/local/bin` of `/usr/local/bin/app`, `/` of `/app`.
pub fn parent(path: &str) -> &str {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) => "/",
        Some((directory, _)) => directory,
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::dockerfile::parse;

    fn contents(text: &str) -> ImageContents {
        let dockerfile = parse(text);
        image_contents(&dockerfile, dockerfile.final_stage().unwrap())
    }

    #[test]
    fn target_paths_name_binaries() {
        assert_eq!(target_binary("/app/target/release/orders"), Some("orders"));
        assert_eq!(
            target_binary("/app/target/x86_64-unknown-linux-musl/release/orders"),
            Some("orders")
        );
        assert_eq!(target_binary("/app/target/release/"), None);
        assert_eq!(target_binary("/app/target/release/liborders.so"), None);
        assert_eq!(target_binary("/app/target/release/deps/orders"), None);
        assert_eq!(target_binary("/app/target/release/*"), None);
    }

    #[test]
    fn binaries_land_where_their_copy_says() {
        let image = contents(
            "FROM rust:1.82 AS build\nRUN cargo build --release\nFROM debian:12-slim\nWORKDIR /srv\nCOPY --from=build /app/target/release/orders /usr/local/bin/\nCOPY --from=build /app/target/release/migrate ./migrate\nCOPY wait-for-it.sh /usr/local/bin/\nCOPY --from=build /usr/local/cargo/bin/sqlx /usr/local/bin/sqlx\nRUN ln -s /usr/local/bin/orders /usr/local/bin/api\n",
        );
        assert_eq!(
            image.binary_directories(),
            ["/usr/local/bin", "/srv/migrate", "/srv"]
        );
        assert!(image.may_provide("/usr/local/bin/wait-for-it.sh"));
        assert!(image.may_provide("/usr/local/bin/sqlx"));
        assert!(image.may_provide("/usr/local/bin/api"), "made by a RUN");
        assert!(!image.may_provide("/usr/local/bin/orders-api"));
        assert_eq!(
            image.resolve("./migrate", None).as_deref(),
            Some("/srv/migrate")
        );
        assert_eq!(image.resolve("migrate", None), None);
        assert_eq!(
            image.resolve("./bin/x", Some("/opt")).as_deref(),
            Some("/opt/bin/x")
        );
    }

    #[test]
    fn directories_and_globs_hide_names() {
        let image = contents(
            "FROM rust:1.82 AS build\nRUN cargo build --release\nFROM gcr.io/distroless/cc-debian12\nCOPY --from=build /app/target/release/ /usr/local/bin/\nCOPY --from=build /app/scripts /opt/scripts\nCOPY bin/* /usr/bin/\n",
        );
        assert!(image.binaries.is_empty());
        assert!(image.may_provide("/usr/local/bin/anything"));
        assert!(image.may_provide("/opt/scripts/run"));
        assert!(image.may_provide("/usr/bin/tool"));
        assert!(image.starts_empty());
    }

    #[test]
    fn parents_of_absolute_paths() {
        assert_eq!(parent("/usr/local/bin/app"), "/usr/local/bin");
        assert_eq!(parent("/app"), "/");
        assert!(is_system_bin_directory("/usr/local/bin"));
        assert!(!is_system_bin_directory("/app"));
    }
}
