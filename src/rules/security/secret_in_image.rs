use std::collections::HashSet;

use crate::diagnostic::{Level, Span};
use crate::facts::docker::{self, BuildContext};
use crate::facts::secrets;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::dockerfile::{Dockerfile, Instruction, KeyValue};

pub static META: RuleMeta = RuleMeta {
    id: "secret-in-image",
    category: Category::Security,
    default_level: Level::Deny,
    summary: "a secret is baked into a container image: ENV/ARG literal, or a copied .env or key file",
    docs: include_str!("../../../rules/security/secret-in-image.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct SecretInImage;

const NOTE: &str = "microservices security: every layer and the image config can be read by \
                    anyone who can pull the image (`docker history`, `docker inspect`, a registry \
                    mirror); a secret written there cannot be rotated without rebuilding, and is \
                    shared by every environment that runs the image";

const BUILD_SECRET_HELP: &str = "pass the value when the container starts (`docker run -e`, a \
                                 Kubernetes Secret, compose `secrets:`); if a build step needs it, \
                                 mount it for that step only: `RUN --mount=type=secret,id=<name> …` \
                                 and `docker build --secret id=<name>,env=<VAR>`";

/// Directories of public certificates, never secrets.
const CERTIFICATE_DIRECTORIES: &[&str] =
    &["/etc/ssl/certs", "/usr/share/ca-certificates", "/etc/pki"];

impl Rule for SecretInImage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_dockerfile(&self, dockerfile: &Dockerfile, out: &mut Reporter<'_>) {
        let context = BuildContext::of(out.file());
        // Instructions whose result ships: the final stage and the stages it is built on.
        let shipping: HashSet<usize> = match docker::shipping_stage(dockerfile) {
            Some(stage) => {
                docker::chain_instructions(dockerfile, &docker::stage_chain(dockerfile, stage))
                    .into_iter()
                    .map(|(index, _)| index)
                    .collect()
            }
            None => HashSet::new(),
        };
        for (index, instruction) in dockerfile.instructions.iter().enumerate() {
            let ships = shipping.contains(&index);
            match instruction.keyword.as_str() {
                "ENV" | "ARG" => {
                    for pair in instruction.key_values() {
                        check_variable(instruction, &pair, ships, out);
                    }
                }
                "COPY" | "ADD" if ships => check_copy(instruction, &context, out),
                _ => {}
            }
        }
    }
}

fn check_variable(instruction: &Instruction, pair: &KeyValue, ships: bool, out: &mut Reporter<'_>) {
    let Some(value) = pair.value.as_deref() else {
        return; // `ARG TOKEN`: given at build time, not written here.
    };
    let keyword = instruction.keyword.as_str();
    let key = &pair.key;
    let span = Span::from(pair.value_span.clone());
    if secrets::is_secret_name(key) && !is_public_key_name(key) {
        if value.contains('$') {
            // `ENV TOKEN=$TOKEN` stores a build argument in the image config.
            if keyword == "ENV" && ships && !value.trim().is_empty() {
                out.report(
                    &META,
                    span,
                    format!("`ENV {key}` stores a build-time value in the image that ships"),
                )
                .label("saved in the image config: every container and `docker inspect` sees it")
                .note(NOTE)
                .help(BUILD_SECRET_HELP);
            }
            return;
        }
        if secrets::is_dev_default(value) {
            return;
        }
        let (message, label) = match keyword {
            "ARG" => (
                format!("`ARG {key}` has a secret as its default value"),
                "committed with the Dockerfile and recorded in the image history of every build that uses it",
            ),
            _ => (
                format!("`ENV {key}` sets a secret in the image"),
                "committed with the Dockerfile and saved in the image config",
            ),
        };
        out.report(&META, span, message)
            .label(label)
            .note(NOTE)
            .help(BUILD_SECRET_HELP);
        return;
    }
    // A password inside a connection URL, in what ships (builder stages often point at a local
    // database for compile-time checked queries).
    if ships
        && !value.contains('$')
        && docker::url_password(value).is_some_and(|password| !secrets::is_dev_default(password))
    {
        out.report(
            &META,
            span,
            format!("`{keyword} {key}` holds a password in its URL"),
        )
        .label("the credentials are saved in the image config")
        .note(NOTE)
        .help(BUILD_SECRET_HELP);
    }
}

fn check_copy(instruction: &Instruction, context: &BuildContext, out: &mut Reporter<'_>) {
    let Some(arguments) = instruction.copy_args() else {
        return;
    };
    let from_stage = instruction.flag("from").is_some();
    for source in &arguments.sources {
        let text = source.text.as_str();
        if text.starts_with("<<") || text.contains("://") {
            continue;
        }
        let span = Span::from(source.span.clone());
        let whole_context = matches!(text.trim_end_matches('/'), "" | ".");
        if whole_context && !from_stage {
            let files = context.env_files_with_secrets();
            if files.is_empty() {
                continue;
            }
            let names: Vec<String> = files.iter().map(|(name, _)| format!("`{name}`")).collect();
            let keys: Vec<String> = files.iter().map(|(_, key)| format!("`{key}`")).collect();
            out.report(
                &META,
                span,
                format!(
                    "`{} {text}` copies {} into the image: no .dockerignore excludes it",
                    instruction.keyword,
                    names.join(", ")
                ),
            )
            .label(format!("the whole build context, with {} and its secrets", keys.join(", ")))
            .note(NOTE)
            .help("add `.env*` (and `!.env.example` if you ship the template) to `.dockerignore`, and pass the values when the container starts");
            continue;
        }
        let name = docker::basename(text);
        let Some(kind) = docker::secret_file_kind(name) else {
            continue;
        };
        if from_stage {
            if CERTIFICATE_DIRECTORIES.iter().any(|d| text.starts_with(d)) {
                continue;
            }
        } else {
            if context.is_dockerignored(text.trim_start_matches("./")) {
                continue; // not in the context: the build fails, nothing leaks
            }
            // When the file is at hand, its content decides.
            if let Some(content) = context.read(text) {
                let secret = if docker::is_env_file_name(name) {
                    docker::env_file_secret(&content).is_some()
                } else {
                    docker::holds_private_key(&content) || !content.contains("-----BEGIN")
                };
                if !secret {
                    continue;
                }
            }
        }
        out.report(
            &META,
            span,
            format!(
                "`{}` copies {kind} (`{name}`) into the image",
                instruction.keyword
            ),
        )
        .label("readable by anyone who can pull the image, in every environment")
        .note(NOTE)
        .help(
            "mount it when the container starts (a Kubernetes Secret volume, compose `secrets:`), \
             or for a build step only with `RUN --mount=type=secret,id=<name>`; keep it out of \
             the context with `.dockerignore`",
        );
    }
}

/// `GPG_KEY`, `PGP_KEYS`, `NODE_SIGNING_KEY_FINGERPRINT`: official images pin the public key that
/// verifies a download, not a secret.
fn is_public_key_name(name: &str) -> bool {
    name.to_ascii_uppercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| matches!(word, "GPG" | "PGP" | "GNUPG" | "FINGERPRINT" | "KEYSERVER"))
}
