//! `admin-binary-not-deployed`: a one-off admin binary (`migrate`, `seed`, `backfill`…) of a
//! workspace whose services are deployed, that nothing deployed runs — no Kubernetes Job,
//! CronJob or init container, no compose service, no image's start command.

use crate::diagnostic::{Label, Level};
use crate::facts::docker::shipping_stage;
use crate::model::{Service, image_name};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::kubernetes::{WorkloadKind, label};

pub static META: RuleMeta = RuleMeta {
    id: "admin-binary-not-deployed",
    category: Category::AdminProcesses,
    default_level: Level::Allow,
    summary: "a migrate/seed/admin-style binary that no Job, CronJob, init container or compose service runs",
    docs: include_str!("../../../rules/admin-processes/admin-binary-not-deployed.md"),
    scope: CodeScope::All,
};

pub struct AdminBinaryNotDeployed;

const NOTE: &str = "twelve-factor XII: admin tasks run as one-off processes in an identical \
                    environment to the app's long-running processes, against the same release; \
                    a tool run only from a developer's shell runs against another release and \
                    other config";

/// Words that make a binary's name an admin task.
const ADMIN_WORDS: &[&str] = &[
    "migrate",
    "migrator",
    "migration",
    "migrations",
    "seed",
    "seeder",
    "admin",
    "backfill",
    "reindex",
];

impl Rule for AdminBinaryNotDeployed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let model = cx.model();
        // Only where the workspace's services are deployed by files the tool reads: elsewhere
        // it cannot know how anything runs.
        let Some(deployed) = model.services.iter().find(|s| {
            s.binary.as_ref().is_some_and(|b| b.serves)
                && (!s.containers.is_empty() || !s.compose.is_empty())
        }) else {
            return;
        };
        for service in &model.services {
            let Some(binary) = &service.binary else {
                continue;
            };
            if binary.serves {
                continue;
            }
            let why = if is_admin_name(&binary.name) {
                format!("its name says it is an admin task (`{}`)", binary.name)
            } else if runs_migrations(cx, service) {
                "its `main` runs database migrations".to_string()
            } else {
                continue;
            };
            if is_run(cx, service, &binary.name) {
                continue;
            }
            let Some((_, facts)) = cx
                .rust_facts
                .iter()
                .find(|(path, _)| path.as_path() == binary.root)
            else {
                continue;
            };
            let Some(entry) = facts.krate.entry else {
                continue;
            };
            let Some(file) = out.open(cx.workspace, &binary.root) else {
                continue;
            };
            let labels = deployment_label(deployed);
            let finding = out
                .report(
                    &META,
                    &file,
                    entry,
                    format!("the admin binary `{}` is not run by any Job, CronJob, init container or compose service", binary.name),
                )
                .label(format!("`{}`: {why}", binary.name))
                .help(format!(
                    "run it as a one-off process of the release: a Kubernetes Job (or a Helm/Argo CD pre-sync hook) or an init container with the image that ships `{0}`, and a compose service under `profiles: [tools]` for development (`docker compose run {0}`)",
                    binary.name
                ))
                .note(NOTE);
            finding.labels.extend(labels);
        }
    }
}

/// `migrate`, `db-migrate`, `seed_data`, `orders-admin`: a word of the name is an admin word.
fn is_admin_name(name: &str) -> bool {
    name.split(['-', '_'])
        .any(|word| ADMIN_WORDS.contains(&word.to_ascii_lowercase().as_str()))
}

/// Whether the binary's own files run migrations (sqlx, diesel, refinery, sea-orm).
fn runs_migrations(cx: &WorkspaceContext<'_>, service: &Service<'_>) -> bool {
    let Some(binary) = &service.binary else {
        return false;
    };
    binary
        .own_files
        .iter()
        .filter_map(|&i| cx.rust_facts.get(i))
        .any(|(_, facts)| !facts.calls.migrations.is_empty())
}

/// Whether a word of `text` (a command line, an image) is `name`, as a program or a path to it.
fn names(text: &str, name: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|word| word == name)
}

/// Whether something deployed runs the binary: a Job, CronJob or init container (linked by the
/// model, or starting it by name), any compose service (profile-gated ones included), or the
/// start command of a Dockerfile's shipping stage.
fn is_run(cx: &WorkspaceContext<'_>, service: &Service<'_>, name: &str) -> bool {
    let one_off = |c: &crate::source::kubernetes::Container<'_>| {
        c.init
            || matches!(
                c.workload().kind,
                WorkloadKind::Job | WorkloadKind::CronJob | WorkloadKind::Pod
            )
    };
    if service.containers.iter().any(one_off) || !service.compose.is_empty() {
        return true;
    }
    for object in cx.deployment.cluster.objects() {
        let Some(workload) = object.workload() else {
            continue;
        };
        for container in workload.all_containers() {
            let image = container.image().and_then(|n| n.as_str()).map(image_name);
            let command = [container.command(), container.args()]
                .into_iter()
                .flatten()
                .any(|n| names(object.file.text(n), name));
            if image == Some(name) || command {
                return true;
            }
        }
    }
    for file in cx.deployment.compose_files() {
        for compose in file.services() {
            let text = |key: &str| compose.get(key).map(|n| file.text(n)).unwrap_or_default();
            if names(text("command"), name) || names(text("entrypoint"), name) {
                return true;
            }
            if compose.image().and_then(|n| n.as_str()).map(image_name) == Some(name) {
                return true;
            }
        }
    }
    // An image whose start command runs it (`CMD ./migrate && ./server`, an entrypoint script
    // the tool cannot read counts only when it names the binary).
    cx.dockerfiles.iter().any(|(source, dockerfile)| {
        shipping_stage(dockerfile).is_some_and(|stage| {
            dockerfile
                .stage_instructions(stage)
                .iter()
                .filter(|i| matches!(i.keyword.as_str(), "ENTRYPOINT" | "CMD"))
                .any(|i| {
                    source
                        .text
                        .get(i.span.clone())
                        .is_some_and(|t| names(t, name))
                })
        })
    })
}

/// Where the workspace's services are deployed, to show what the admin binary lacks.
fn deployment_label(service: &Service<'_>) -> Vec<Label> {
    if let Some(container) = service.containers.first() {
        let file = container.workload().object.file;
        return vec![label(
            file,
            container.anchor(),
            format!(
                "`{}` is deployed here; the admin binary is not",
                service.name
            ),
        )];
    }
    if let Some(compose) = service.compose.first() {
        return vec![Label {
            location: compose
                .file
                .source
                .location(crate::source::kubernetes::span(compose.key)),
            message: format!(
                "`{}` is deployed here; the admin binary is not",
                service.name
            ),
        }];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_names_are_words_of_the_binary_name() {
        assert!(is_admin_name("migrate"));
        assert!(is_admin_name("db-migrate"));
        assert!(is_admin_name("seed_data"));
        assert!(is_admin_name("orders-admin"));
        assert!(!is_admin_name("administrator-ui"));
        assert!(!is_admin_name("seedling"));
        assert!(!is_admin_name("orders"));
    }

    #[test]
    fn command_words_name_binaries() {
        assert!(names("[\"/usr/local/bin/migrate\", \"up\"]", "migrate"));
        assert!(names("./seed && ./server", "seed"));
        assert!(!names("migrate-legacy", "migrate"));
    }
}
