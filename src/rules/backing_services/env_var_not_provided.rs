use std::path::Path;

use crate::diagnostic::{Label, Level};
use crate::facts::deploy_env::{self, Runner, ServiceReads};
use crate::facts::env::{EnvRead, ReadKind};
use crate::rule::{
    Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter,
    reject_unknown_options, string_list_option,
};

pub static META: RuleMeta = RuleMeta {
    id: "env-var-not-provided",
    category: Category::BackingServices,
    default_level: Level::Deny,
    summary: "an environment variable the code requires is not set where the service is deployed",
    docs: include_str!("../../../rules/backing-services/env-var-not-provided.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct EnvVarNotProvided {
    /// Variables the platform sets (a Vault agent, an admission webhook, the PaaS).
    provided_elsewhere: Vec<String>,
}

impl Rule for EnvVarNotProvided {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn configure(&mut self, options: &toml::Table) -> Result<(), String> {
        reject_unknown_options(options, META.id, &["provided-elsewhere"])?;
        if let Some(list) = string_list_option(options, META.id, "provided-elsewhere")? {
            self.provided_elsewhere = list;
        }
        Ok(())
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let model = cx.model();
        for service in &model.services {
            let Some(binary) = &service.binary else {
                continue;
            };
            let reads = ServiceReads::of(cx, service);
            // Each variable once, with every read that requires it.
            let mut required: Vec<(&str, Vec<(&Path, &EnvRead)>)> = Vec::new();
            for (path, read) in reads.required() {
                let Some(name) = read.name.as_deref() else {
                    continue;
                };
                if deploy_env::matches_any(&self.provided_elsewhere, name) {
                    continue;
                }
                match required.iter_mut().find(|(known, _)| *known == name) {
                    Some((_, sites)) => sites.push((path, read)),
                    None => required.push((name, vec![(path, read)])),
                }
            }
            if required.is_empty() {
                continue;
            }
            for runner in deploy_env::runners(cx, service) {
                // A one-off that runs its own command (`migrate`, a subcommand) takes another
                // path through the code than the server; another binary is not this code.
                if (runner.is_one_off() && runner.sets_command())
                    || !deploy_env::judged(cx, service, &runner)
                {
                    continue;
                }
                let env = deploy_env::runner_env(cx, service, &runner);
                if !env.is_known() {
                    continue;
                }
                let missing: Vec<&(&str, Vec<(&Path, &EnvRead)>)> = required
                    .iter()
                    .filter(|(name, sites)| {
                        !env.sets(name)
                            && !sites.iter().any(|(_, read)| {
                                read.kind == ReadKind::Clap
                                    && read.field.as_deref().is_some_and(|field| {
                                        deploy_env::passes_flag(
                                            cx,
                                            service,
                                            &runner,
                                            &flag_name(field),
                                        )
                                    })
                            })
                    })
                    .collect();
                if missing.is_empty() {
                    continue;
                }
                report(cx, &binary.name, &runner, &missing, out);
            }
        }
    }
}

/// A clap field's long flag: `database_url` → `database-url`.
fn flag_name(field: &str) -> String {
    field.trim_start_matches("r#").replace('_', "-")
}

fn report(
    cx: &WorkspaceContext<'_>,
    binary: &str,
    runner: &Runner<'_>,
    missing: &[&(&str, Vec<(&Path, &EnvRead)>)],
    out: &mut WorkspaceReporter,
) {
    let names: Vec<String> = missing
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    let list = join(&names);
    let (source, span) = runner.anchor();
    let (them, it) = if names.len() == 1 {
        ("it", "it")
    } else {
        ("them", "each")
    };
    let message = format!(
        "{} does not set {list}, which `{binary}` requires",
        runner.logical()
    );
    let mut labels = Vec::new();
    for (name, sites) in missing {
        for (path, read) in sites.iter().take(3) {
            if let Some(label) = read_label(cx, path, read, name, out) {
                labels.push(label);
            }
        }
    }
    let help = if runner.is_compose() {
        format!(
            "set {them} under the service's `environment:` (or in its `env_file`), or give {it} a \
             default in the code; if the platform provides {them}, list {them} in the rule's \
             `provided-elsewhere` option"
        )
    } else {
        format!(
            "add {them} to the container's `env:` (a `value`, or `valueFrom.secretKeyRef` for a \
             secret) or pull {them} in with `envFrom`, or give {it} a default in the code; if \
             the platform injects {them}, list {them} in the rule's `provided-elsewhere` option"
        )
    };
    let finding = out.report(&META, source, span, message);
    finding
        .label(format!("runs `{binary}` without {list}"))
        .help(help)
        .note(format!(
            "twelve-factor III: config lives in the environment, so every deploy must provide \
             all of it; this one starts the process without {list}, the read fails, and the \
             rollout ends in a crash loop instead of a failed review"
        ));
    finding.labels = labels;
}

/// Where the code requires the variable, and how.
pub(crate) fn read_label(
    cx: &WorkspaceContext<'_>,
    path: &Path,
    read: &EnvRead,
    name: &str,
    out: &mut WorkspaceReporter,
) -> Option<Label> {
    let source = out.open(cx.workspace, path)?;
    let how = match read.kind {
        ReadKind::Clap => format!(
            "clap argument `--{}` takes `{name}` and has no default",
            flag_name(read.field.as_deref().unwrap_or("?"))
        ),
        ReadKind::Envy | ReadKind::Figment | ReadKind::ConfigEnvironment => format!(
            "{} fills field `{}` from `{name}` and nothing else; it is not an `Option` and has \
             no default",
            match read.kind {
                ReadKind::Envy => "envy",
                ReadKind::Figment => "figment",
                _ => "config",
            },
            read.field.as_deref().unwrap_or("?")
        ),
        _ => format!("`{name}` is required here: the process fails without it"),
    };
    Some(Label {
        location: source.location(read.span),
        message: how,
    })
}

fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
