//! Which Dockerfile builds the image a Kubernetes container runs, guessed from what the files
//! say: the image's repository name (its last path segment, without tag) is a name the
//! Dockerfile gives its product — a binary it builds (`cargo build --bin X`, `-p X`), copies out
//! of a builder (`COPY --from=… target/release/X`) or starts (`ENTRYPOINT ["/usr/local/bin/X"]`),
//! its directory (`services/X/Dockerfile`), its file name (`X.Dockerfile`), or the `image:` of a
//! compose service that builds it.

use std::path::Path;

use crate::facts::docker;
use crate::source::compose::ComposeFile;
use crate::source::dockerfile::{Args, Dockerfile, ImageRef};

/// The names a Dockerfile's image may be published under, each with the evidence.
#[derive(Clone, Debug, Default)]
pub struct ImageNames {
    pub names: Vec<(String, String)>,
}

impl ImageNames {
    /// The evidence that `image` is this Dockerfile's product, if it is.
    pub fn matches(&self, image: &ImageRef) -> Option<&str> {
        let wanted = normalize(crate::facts::images::last_segment(image));
        self.names
            .iter()
            .find(|(name, _)| normalize(name) == wanted)
            .map(|(_, why)| why.as_str())
    }
}

/// Directory names that say nothing about what is built in them.
const GENERIC_DIRECTORIES: &[&str] = &[
    "docker",
    "dockerfiles",
    "deploy",
    "deployment",
    "build",
    "ci",
    "ops",
    "infra",
    "images",
    "container",
    "containers",
    "src",
];

/// The names the image built from the Dockerfile at `path` (relative to the root) may carry.
pub fn image_names(path: &Path, dockerfile: &Dockerfile, compose: &[&ComposeFile]) -> ImageNames {
    let mut found = ImageNames::default();
    let mut add = |name: &str, why: String| {
        let name = name.trim();
        if !name.is_empty()
            && !name.contains(['$', '*'])
            && !found.names.iter().any(|(known, _)| known == name)
        {
            found.names.push((name.to_string(), why));
        }
    };
    for instruction in &dockerfile.instructions {
        for command in docker::run_commands(instruction) {
            let Some(cargo) = docker::cargo_command(&command) else {
                continue;
            };
            let mut words = cargo
                .arguments
                .iter()
                .map(|w| w.text.as_str())
                .take_while(|w| *w != "--");
            while let Some(word) = words.next() {
                let value = match word {
                    "--bin" | "-p" | "--package" => words.next(),
                    _ => word
                        .strip_prefix("--bin=")
                        .or_else(|| word.strip_prefix("--package=")),
                };
                if let Some(value) = value {
                    add(value, format!("it runs `{} {word} {value}`", cargo.text));
                }
            }
        }
        if let Some(copy) = instruction.copy_args()
            && instruction.flag("from").is_some()
        {
            for source in &copy.sources {
                if source.text.contains("target/") {
                    add(
                        docker::basename(&source.text),
                        format!("it copies `{}` out of a build stage", source.text),
                    );
                }
            }
        }
    }
    if let Some(stage) = docker::shipping_stage(dockerfile) {
        let start = crate::facts::start_commands::docker_start(dockerfile, stage);
        for instruction in [start.entrypoint, start.cmd].into_iter().flatten() {
            if let Args::Exec(words) = &instruction.args
                && let Some(program) = crate::facts::start_commands::strip_init(words).1.first()
            {
                let name = docker::basename(&program.text);
                let script = name.contains('.') || docker::is_shell(name);
                if !script && !name.starts_with('-') {
                    add(
                        name,
                        format!("its `{}` starts `{}`", instruction.keyword, program.text),
                    );
                }
            }
        }
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = file_name.to_ascii_lowercase();
    if let Some(stem) = lower
        .strip_suffix(".dockerfile")
        .or_else(|| lower.strip_suffix(".containerfile"))
    {
        add(stem, format!("the file is named `{file_name}`"));
    }
    if let Some(directory) = path.parent().and_then(Path::file_name) {
        let directory = directory.to_string_lossy();
        if !GENERIC_DIRECTORIES.contains(&directory.to_ascii_lowercase().as_str()) {
            add(&directory, format!("it is in `{directory}/`"));
        }
    }
    let wanted = crate::source::normalize_path(path);
    for file in compose {
        for service in file.services() {
            let Some(image) = service.image() else {
                continue;
            };
            if service.dockerfile_path().as_ref() != Some(&wanted) {
                continue;
            }
            if let Some(reference) = image
                .as_str()
                .and_then(crate::facts::images::literal_reference)
            {
                add(
                    crate::facts::images::last_segment(&reference),
                    format!(
                        "{} in `{}` builds it as `{}`",
                        service.logical(),
                        file.path().display(),
                        reference.name
                    ),
                );
            }
        }
    }
    found
}

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::dockerfile::parse;

    fn names(path: &str, text: &str) -> Vec<String> {
        image_names(Path::new(path), &parse(text), &[])
            .names
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    #[test]
    fn names_come_from_builds_copies_starts_and_places() {
        let text = "FROM rust:1.82 AS build\nRUN cargo build --release --locked --bin orders-api -p orders_worker\nFROM debian:12-slim\nCOPY --from=build /app/target/release/orders-api /usr/local/bin/\nENTRYPOINT [\"/usr/local/bin/orders-api\"]\n";
        assert_eq!(
            names("services/orders/Dockerfile", text),
            ["orders-api", "orders_worker", "orders"]
        );
        assert_eq!(names("docker/api.Dockerfile", "FROM scratch\n"), ["api"]);
        assert!(names("Dockerfile", "FROM scratch\nCMD [\"/entrypoint.sh\"]\n").is_empty());
    }

    #[test]
    fn images_match_by_last_segment() {
        let found = image_names(
            Path::new("Dockerfile"),
            &parse("FROM rust:1 AS b\nRUN cargo build --bin orders_api\n"),
            &[],
        );
        assert!(
            found
                .matches(&ImageRef::parse("ghcr.io/acme/orders-api:1.2"))
                .is_some()
        );
        assert!(
            found
                .matches(&ImageRef::parse("ghcr.io/acme/orders:1.2"))
                .is_none()
        );
    }
}
