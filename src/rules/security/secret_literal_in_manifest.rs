use std::ops::Range;

use crate::diagnostic::{Level, Span};
use crate::facts::secrets;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::compose::{ComposeFile, EnvEntry};
use crate::source::kubernetes::{Cluster, EnvSource, KubernetesFile, span_within};
use crate::source::yaml::{Node, Value};

pub static META: RuleMeta = RuleMeta {
    id: "secret-literal-in-manifest",
    category: Category::Security,
    default_level: Level::Deny,
    summary: "a secret-named environment variable is given a literal value in a manifest or compose file",
    docs: include_str!("../../../rules/security/secret-literal-in-manifest.md"),
    scope: CodeScope::All,
};

pub struct SecretLiteralInManifest;

impl Rule for SecretLiteralInManifest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_kubernetes(&self, file: &KubernetesFile, _cluster: &Cluster, out: &mut Reporter<'_>) {
        let mut reported = Vec::new();
        for object in file.all_objects() {
            if let Some(workload) = object.workload() {
                for container in workload.all_containers() {
                    for var in container.env() {
                        let (Some(name), EnvSource::Literal(value)) = (var.name(), var.source())
                        else {
                            continue;
                        };
                        let Some(text) = scalar(value) else {
                            continue;
                        };
                        let Some((what, secret)) = secret_in(name, &text) else {
                            continue;
                        };
                        let at = span_within(value, &text, secret, &file.source.text);
                        if !reported.contains(&at) {
                            reported.push(at);
                            report_kubernetes(out, at, name, what, &container.logical());
                        }
                    }
                }
            }
            if object.is("ConfigMap") {
                for (key, value) in object.data() {
                    let (Some(name), Some(text)) = (key.as_str(), scalar(value)) else {
                        continue;
                    };
                    let Some((what, secret)) = secret_in(name, &text) else {
                        continue;
                    };
                    let at = span_within(value, &text, secret, &file.source.text);
                    if !reported.contains(&at) {
                        reported.push(at);
                        report_config_map(out, at, name, what, &object.logical());
                    }
                }
            }
        }
    }

    fn check_compose(&self, file: &ComposeFile, out: &mut Reporter<'_>) {
        // Entries merged from an anchor share its spans: each is reported once, naming every
        // service that gets it.
        let mut found: Vec<(Span, String, &'static str, Vec<&str>)> = Vec::new();
        for service in file.services() {
            let environment = service.environment();
            for entry in &environment {
                let (Some(value), Some(value_span)) = (&entry.value, entry.value_span) else {
                    continue;
                };
                let Some((what, secret)) = secret_in(&entry.name, value) else {
                    continue;
                };
                if is_throwaway(&value[secret.clone()], service.name, &environment) {
                    continue;
                }
                // Point at the secret itself when the span is the value's own text.
                let at = if value_span.end - value_span.start == value.len() {
                    Span::new(
                        value_span.start + secret.start,
                        value_span.start + secret.end,
                    )
                } else {
                    value_span
                };
                match found.iter_mut().find(|(span, ..)| *span == at) {
                    Some((_, _, _, services)) => services.push(service.name),
                    None => found.push((at, entry.name.clone(), what, vec![service.name])),
                }
            }
        }
        for (at, name, what, services) in found {
            let place = match services.as_slice() {
                [one] => format!("compose service {one}"),
                many => format!("compose services {}", many.join(", ")),
            };
            out.report(&META, at, format!("`{name}` {what} in {place}"))
                .label("secret in plain text")
                .note(NOTE)
                .help(
                    "interpolate it from the shell or an uncommitted `.env` (`${NAME}`), move it \
                     to an `env_file:` that is not committed, or mount it with `secrets:`",
                );
        }
    }
}

const NOTE: &str = "twelve-factor III and token-based security: a secret written into a \
    committed file is in every clone and in the history for good, and cannot differ between \
    deploys or be rotated without a commit";

/// What makes this variable a literal secret, and where the secret is in the value: a secret
/// name with a real value (not a placeholder or a local-development default), a URL that embeds
/// a real password, or a value in a known credential format whatever the name. `None` when it
/// is none of these.
fn secret_in(name: &str, value: &str) -> Option<(&'static str, Range<usize>)> {
    if is_secret_env_name(name)
        && secrets::is_secret_value(value)
        && !is_switch(value)
        && !is_file_name(value)
        && !is_sample(value)
    {
        return Some(("is set to a literal secret", 0..value.len()));
    }
    if let Some(password) = secrets::url_password(value) {
        return Some(("holds a URL with a literal password", password));
    }
    if let Some(key) = secrets::key_format(value) {
        return Some(("holds a literal credential", key.range));
    }
    None
}

/// A compose file runs a local stack: a password shorter than eight characters, or the same
/// as the service's name or another of its (not secret) variables (`POSTGRES_USER=orders`,
/// `POSTGRES_PASSWORD=orders`), only keeps the throwaway containers of a laptop apart.
fn is_throwaway(secret: &str, service: &str, entries: &[EnvEntry<'_>]) -> bool {
    secret.chars().count() < 8
        || secret == service
        || entries
            .iter()
            .any(|entry| !is_secret_env_name(&entry.name) && entry.value.as_deref() == Some(secret))
}

/// A secret-named environment variable: a secret name, or the `_PASS`/`_PWD` ending that
/// environment variables use for passwords (`RABBITMQ_DEFAULT_PASS`, `SMTP_PWD`; not `PWD`,
/// the shell's working directory).
fn is_secret_env_name(name: &str) -> bool {
    if secrets::is_secret_name(name) {
        return true;
    }
    let words = secrets::words(name);
    words.len() > 1
        && words
            .last()
            .is_some_and(|last| matches!(last.as_str(), "pass" | "pwd"))
}

/// `kafka.pass`, `keystore.p12`: the name of a file that holds the secret (images such as
/// Confluent's read `*_CREDENTIALS` that way), not the secret.
fn is_file_name(value: &str) -> bool {
    let Some((stem, extension)) = value.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty()
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && (1..=5).contains(&extension.len())
        && extension.chars().all(|c| c.is_ascii_lowercase())
        && stem.chars().any(|c| c.is_ascii_alphabetic())
}

/// A value that says it is not a real secret: a sample naming what belongs there
/// (`my-pictrs-key`), or one that declares itself insecure (`This-is-NOT-Secure!`,
/// `SomeTestOnly@SA`, `dev-only-do-not-use`).
fn is_sample(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let compact: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    lower.starts_with("my-")
        || lower.starts_with("my_")
        || [
            "notsecure",
            "insecure",
            "donotuse",
            "dontuse",
            "notforproduction",
            "notforprod",
            "testonly",
            "devonly",
            "localonly",
        ]
        .iter()
        .any(|marker| compact.contains(marker))
}

/// `true`, `yes`, `off`…: a switch about a secret (`REQUIRE_TOKEN: "true"`), never one.
fn is_switch(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "enabled" | "disabled"
    )
}

/// A scalar value as text: strings and numbers (a numeric PIN is still a secret).
fn scalar(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

fn report_kubernetes(out: &mut Reporter<'_>, span: Span, name: &str, what: &str, place: &str) {
    out.report(&META, span, format!("`{name}` {what} in {place}"))
        .label("secret in plain text")
        .note(NOTE)
        .help(
            "store it in a Secret (or an external secret manager) and reference it with \
             `valueFrom.secretKeyRef`",
        );
}

fn report_config_map(out: &mut Reporter<'_>, span: Span, name: &str, what: &str, place: &str) {
    out.report(&META, span, format!("`{name}` {what} in {place}"))
        .label("secret in a ConfigMap")
        .note(NOTE)
        .help(
            "ConfigMaps are plain configuration, readable by anyone who can read the namespace: \
             move the key to a Secret that is not committed, and reference it with \
             `secretKeyRef` or `secretRef`",
        );
}
