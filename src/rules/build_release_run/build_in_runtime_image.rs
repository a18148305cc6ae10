use crate::diagnostic::{Label, Level, Span};
use crate::facts::docker;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::dockerfile::{Dockerfile, ImageSource, Stage, Word};

pub static META: RuleMeta = RuleMeta {
    id: "build-in-runtime-image",
    category: Category::BuildReleaseRun,
    default_level: Level::Warn,
    summary: "the image that ships is a Rust toolchain image or compiles the service",
    docs: include_str!("../../../rules/build-release-run/build-in-runtime-image.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct BuildInRuntimeImage;

const NOTE: &str = "twelve-factor V: the build stage turns code into an artifact and the run stage \
                    only runs it; an image that carries the compiler, cargo's registry cache and \
                    the sources is hundreds of megabytes larger, slower to pull and start, and \
                    gives an attacker a toolchain";

/// Words of a Dockerfile's path that say it builds a development, CI or toolchain image, whose
/// purpose is to hold the compiler.
const TOOLING_WORDS: &[&str] = &[
    "build",
    "builder",
    "ci",
    "debug",
    "dev",
    "devcontainer",
    "devel",
    "development",
    "local",
    "test",
    "testing",
    "tests",
    "toolchain",
    "tools",
];

impl Rule for BuildInRuntimeImage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_dockerfile(&self, dockerfile: &Dockerfile, out: &mut Reporter<'_>) {
        // With a parse error the stages may be wrong; parse-error reports the file.
        if !dockerfile.errors.is_empty() || is_tooling_dockerfile(&out.file().path) {
            return;
        }
        let Some(stage) = docker::shipping_stage(dockerfile) else {
            return;
        };
        let chain = docker::stage_chain(dockerfile, stage);
        let compile = first_compile(dockerfile, &chain);
        if let ImageSource::Image(image) = docker::base_image(dockerfile, stage)
            && docker::is_rust_toolchain(&image)
        {
            let image = docker::display(&image);
            let message = match chain.last().filter(|root| root.index != stage.index) {
                Some(root) => format!(
                    "the final stage builds on stage `{}`, the Rust toolchain image `{image}`",
                    root.name
                        .as_ref()
                        .map_or(root.image.text.as_str(), |n| n.text.as_str())
                ),
                None => format!("the final stage is the Rust toolchain image `{image}`"),
            };
            let label = compile.map(|(word, text)| Label {
                location: out.file().location(Span::from(word.span.clone())),
                message: format!("`{text}` compiles in the image that ships"),
            });
            let finding = out
                .report(&META, Span::from(stage.image.span.clone()), message)
                .label("rustc, cargo and the build's sources ship to production with the binary")
                .note(NOTE)
                .help(
                    "compile in a builder stage and copy only the binary into a small runtime \
                     image: `FROM rust:… AS builder` … `FROM debian:bookworm-slim` (or \
                     `gcr.io/distroless/cc-debian12`) and `COPY --from=builder \
                     /app/target/release/<bin> /usr/local/bin/`",
                );
            finding.labels.extend(label);
            return;
        }
        if let Some((word, text)) = compile {
            out.report(
                &META,
                Span::from(word.span.clone()),
                format!(
                    "the final stage compiles the service: `{text}` runs in the image that ships"
                ),
            )
            .label("the toolchain and the build's intermediate files stay in the runtime image")
            .note(NOTE)
            .help(
                "move the build into a builder stage (`FROM rust:… AS builder`) and \
                 `COPY --from=builder` only the binary into the final stage",
            );
        }
    }
}

/// The first command of the chain's RUNs that compiles Rust: a cargo build, install or cook, or
/// `rustc`. Returns a word spanning the command name and its display text.
fn first_compile(dockerfile: &Dockerfile, chain: &[&Stage]) -> Option<(Word, String)> {
    for (_, instruction) in docker::chain_instructions(dockerfile, chain) {
        for command in docker::run_commands(instruction) {
            if let Some(cargo) = docker::cargo_command(&command) {
                return Some((
                    Word {
                        text: cargo.text.clone(),
                        span: cargo.span.clone(),
                    },
                    cargo.text,
                ));
            }
            if let Some(program) = command.first()
                && docker::basename(&program.text) == "rustc"
            {
                return Some((program.clone(), "rustc".to_string()));
            }
        }
    }
    None
}

/// `Dockerfile.dev`, `ci/Dockerfile`, `.devcontainer/Dockerfile`, `build.Dockerfile`.
fn is_tooling_dockerfile(path: &std::path::Path) -> bool {
    path.components().any(|component| {
        component
            .as_os_str()
            .to_string_lossy()
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| TOOLING_WORDS.contains(&word))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn tooling_dockerfiles_are_recognised_by_path() {
        for path in [
            "Dockerfile.dev",
            "docker/dev.Dockerfile",
            ".devcontainer/Dockerfile",
            "ci/Dockerfile",
            "Dockerfile.build",
        ] {
            assert!(is_tooling_dockerfile(Path::new(path)), "{path}");
        }
        for path in ["Dockerfile", "docker/Dockerfile", "services/api/Dockerfile"] {
            assert!(!is_tooling_dockerfile(Path::new(path)), "{path}");
        }
    }
}
