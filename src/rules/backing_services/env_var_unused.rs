use std::collections::BTreeSet;
use std::path::Path;

use crate::diagnostic::{Label, Level, Span};
use crate::facts::deploy_env::{self, Origin, ServiceReads};
use crate::facts::env::EnvRead;
use crate::rule::{
    Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter,
    reject_unknown_options, string_list_option,
};

pub static META: RuleMeta = RuleMeta {
    id: "env-var-unused",
    category: Category::BackingServices,
    default_level: Level::Warn,
    summary: "an environment variable is set for a service whose code never reads it",
    docs: include_str!("../../../rules/backing-services/env-var-unused.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct EnvVarUnused {
    /// Variables something else in the container reads (exact names, or prefixes with `*`).
    ignore: Vec<String>,
}

impl Rule for EnvVarUnused {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn configure(&mut self, options: &toml::Table) -> Result<(), String> {
        reject_unknown_options(options, META.id, &["ignore"])?;
        if let Some(list) = string_list_option(options, META.id, "ignore")? {
            self.ignore = list;
        }
        Ok(())
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let model = cx.model();
        let mut reported: BTreeSet<(std::path::PathBuf, usize)> = BTreeSet::new();
        for service in &model.services {
            let Some(binary) = &service.binary else {
                continue;
            };
            let reads = ServiceReads::of(cx, service);
            // Without the code's reads, or with one that may read any variable, nothing can be
            // called unused.
            if service.rust_facts(cx).is_empty() || !reads.fully_known() {
                continue;
            }
            for runner in deploy_env::runners(cx, service) {
                if !deploy_env::judged(cx, service, &runner) {
                    continue;
                }
                // A wrapper script the tool cannot read may use anything.
                let Some(script) = deploy_env::start_script_vars(cx, service, &runner) else {
                    continue;
                };
                let env = deploy_env::runner_env(cx, service, &runner);
                for setting in &env.settings {
                    if !matches!(setting.origin, Origin::Entry | Origin::Patch) || setting.shared {
                        continue;
                    }
                    let name = setting.name.as_str();
                    if reads.covers(name)
                        || reads.runtime_reader(name).is_some()
                        || env.referenced.contains(name)
                        || script.contains(name)
                        || deploy_env::matches_any(&self.ignore, name)
                    {
                        continue;
                    }
                    if !reported.insert((setting.source.path.to_path_buf(), setting.span.start)) {
                        continue;
                    }
                    let similar = similar_read(&reads, name);
                    let mut labels: Vec<Label> = Vec::new();
                    let help = match similar {
                        Some((path, read, read_name)) => {
                            if let Some(label) = read_label(cx, path, read.span, read_name, out) {
                                labels.push(label);
                            }
                            format!(
                                "the code reads `{read_name}`: if that is what this means, \
                                 rename it; otherwise remove the entry"
                            )
                        }
                        None => "remove the entry, or read it in the code; if another program \
                                 in the image reads it, list it in the rule's `ignore` option"
                            .to_string(),
                    };
                    let finding = out.report(
                        &META,
                        &setting.source,
                        setting.span,
                        format!(
                            "`{name}` is set for `{}` in {}, but its code never reads it",
                            binary.name,
                            runner.logical()
                        ),
                    );
                    finding.label("set here, read by nothing").help(help).note(
                        "twelve-factor III: config that nothing reads misleads whoever \
                             changes it, and a misspelt name leaves the real setting at its \
                             default without a word",
                    );
                    finding.labels = labels;
                }
            }
        }
    }
}

/// A variable the code reads whose name is close to `name` (a typo, a lost prefix), with
/// where it is read.
fn similar_read<'c>(
    reads: &ServiceReads<'c>,
    name: &str,
) -> Option<(&'c Path, &'c EnvRead, &'c str)> {
    let lower = name.to_ascii_lowercase();
    reads
        .reads
        .iter()
        .chain(&reads.maybe)
        .filter_map(|(path, read)| Some((*path, *read, read.name.as_deref()?)))
        .filter(|(_, _, read_name)| {
            let other = read_name.to_ascii_lowercase();
            let distance = strsim::levenshtein(&lower, &other);
            distance <= 2 && distance < lower.len().min(other.len()) / 3
                || (other.len() > 4 && (lower.ends_with(&other) || other.ends_with(&lower)))
        })
        .min_by_key(|(_, _, read_name)| {
            strsim::levenshtein(&lower, &read_name.to_ascii_lowercase())
        })
}

fn read_label(
    cx: &WorkspaceContext<'_>,
    path: &Path,
    span: Span,
    name: &str,
    out: &mut WorkspaceReporter,
) -> Option<Label> {
    let source = out.open(cx.workspace, path)?;
    Some(Label {
        location: source.location(span),
        message: format!("the code reads `{name}` here"),
    })
}
