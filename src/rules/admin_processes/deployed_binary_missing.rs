//! `deployed-binary-missing`: a Dockerfile builds, copies or starts a binary (or builds a
//! package) that the workspace does not have. The image build fails at that line, or — for a
//! `COPY` of a stale path — ships the wrong program.

use crate::diagnostic::{Label, Level, Span};
use crate::facts::docker::{CargoAction, basename, cargo_command, run_commands, shipping_stage};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::SourceFile;
use crate::source::dockerfile::{Args, Dockerfile, ImageSource, Word};

pub static META: RuleMeta = RuleMeta {
    id: "deployed-binary-missing",
    category: Category::AdminProcesses,
    default_level: Level::Deny,
    summary: "a Dockerfile builds, copies or starts a binary or package that no target of the workspace produces",
    docs: include_str!("../../../rules/admin-processes/deployed-binary-missing.md"),
    scope: CodeScope::All,
};

pub struct DeployedBinaryMissing;

const NOTE: &str = "twelve-factor XII: the processes a release runs — the server and its one-off \
                    admin tasks — are the binaries of the same codebase; a name the codebase \
                    does not build fails the image build, or ships a stale program";

/// What a Dockerfile names.
enum Named {
    Bin,
    Package,
    Copied,
    Started,
}

struct Reference {
    what: Named,
    name: String,
    word: Word,
    /// The instruction the name is in, for a `COPY --from` the stage that builds.
    context: Option<Span>,
}

impl Rule for DeployedBinaryMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let bins = workspace_bins(cx);
        let packages: Vec<&str> = cx
            .workspace
            .packages
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        if bins.is_empty() {
            return;
        }
        for (source, dockerfile) in cx.dockerfiles {
            if !judged(cx, source, dockerfile) {
                continue;
            }
            for reference in references(dockerfile) {
                let (known, kind) = match reference.what {
                    Named::Package => (packages.contains(&reference.name.as_str()), "package"),
                    _ => (bins.iter().any(|b| *b == reference.name), "binary"),
                };
                if known {
                    continue;
                }
                let message = match reference.what {
                    Named::Bin => format!(
                        "`--bin {}` names a binary the workspace does not have",
                        reference.name
                    ),
                    Named::Package => format!(
                        "`-p {}` names a package the workspace does not have",
                        reference.name
                    ),
                    Named::Copied => format!(
                        "copies the binary `{}`, which no target of the workspace produces",
                        reference.name
                    ),
                    Named::Started => format!(
                        "starts the binary `{}`, which no target of the workspace produces",
                        reference.name
                    ),
                };
                let candidates: Vec<&str> = match reference.what {
                    Named::Package => packages.clone(),
                    _ => bins.clone(),
                };
                let help = help(&reference.name, kind, &candidates);
                let mut labels = Vec::new();
                if let Some(span) = reference.context {
                    labels.push(Label {
                        location: source.location(span),
                        message: "the stage it is copied from".into(),
                    });
                }
                // The name alone, where the raw text ends with it (`/app/target/release/X`).
                let span = &reference.word.span;
                let span: Span = if source
                    .text
                    .get(span.clone())
                    .is_some_and(|raw| raw.ends_with(reference.name.as_str()))
                {
                    (span.end - reference.name.len()..span.end).into()
                } else {
                    span.clone().into()
                };
                let label = match reference.what {
                    Named::Package => {
                        format!("no package of the workspace is `{}`", reference.name)
                    }
                    _ => format!(
                        "no `[[bin]]` target of the workspace is `{}`",
                        reference.name
                    ),
                };
                let finding = out
                    .report(&META, source, span, message)
                    .label(label)
                    .help(help)
                    .note(NOTE);
                finding.labels.extend(labels);
            }
        }
    }
}

/// The binary targets of the workspace, sorted.
fn workspace_bins<'c>(cx: &'c WorkspaceContext<'_>) -> Vec<&'c str> {
    let mut bins: Vec<&str> = cx
        .workspace
        .packages
        .iter()
        .flat_map(|p| p.targets.iter())
        .filter(|t| t.kinds.iter().any(|k| k == "bin"))
        .map(|t| t.name.as_str())
        .collect();
    bins.sort_unstable();
    bins.dedup();
    bins
}

fn help(name: &str, kind: &str, candidates: &[&str]) -> String {
    let close = candidates
        .iter()
        .map(|c| (strsim::levenshtein(name, c), *c))
        .filter(|(distance, c)| {
            *distance <= 3.max(c.len() / 3) || c.starts_with(name) || name.starts_with(c)
        })
        .min();
    let plural = if kind == "binary" {
        "binaries"
    } else {
        "packages"
    };
    let list = candidates
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match close {
        Some((_, close)) => format!("did you mean `{close}`? the workspace's {plural} are {list}"),
        None => format!(
            "the workspace's {plural} are {list}; rename the {kind} here, or add a `[[bin]]` target"
        ),
    }
}

/// Whether the Dockerfile builds this workspace: it runs `cargo build` (not only `cargo
/// install` of tools), it does not fetch another codebase (`git clone`), and it does not sit in
/// a directory of another Cargo project (a nested workspace, an excluded example).
fn judged(cx: &WorkspaceContext<'_>, source: &SourceFile, dockerfile: &Dockerfile) -> bool {
    let mut builds = false;
    for instruction in &dockerfile.instructions {
        for command in run_commands(instruction) {
            if command.first().is_some_and(|w| basename(&w.text) == "git")
                && command.iter().any(|w| w.text == "clone")
            {
                return false;
            }
            if let Some(cargo) = cargo_command(&command) {
                if cargo
                    .arguments
                    .iter()
                    .any(|w| w.text.starts_with("--manifest-path"))
                {
                    return false;
                }
                builds |= cargo.action == CargoAction::Build;
            }
        }
    }
    if !builds {
        return false;
    }
    let mut dir = source.path.parent();
    while let Some(current) = dir {
        if cx.workspace.root.join(current).join("Cargo.toml").is_file() {
            return current.as_os_str().is_empty()
                || cx.workspace.packages.iter().any(|p| p.dir == current);
        }
        dir = current.parent();
    }
    true
}

/// A plain target name: no variable, no glob.
fn literal(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `…/target/release/X`, `…/target/x86_64-unknown-linux-musl/release/X`: the binary's name.
fn target_binary(path: &str) -> Option<&str> {
    let after = path.split_once("target/")?.1;
    let parts: Vec<&str> = after.split('/').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let name = *parts.last()?;
    let profile = parts[parts.len() - 2];
    (literal(name)
        && literal(profile)
        && !matches!(profile, "deps" | "build" | "examples" | "incremental"))
    .then_some(name)
}

fn references(dockerfile: &Dockerfile) -> Vec<Reference> {
    let mut found = Vec::new();
    for stage in &dockerfile.stages {
        for instruction in dockerfile.stage_instructions(stage) {
            for command in run_commands(instruction) {
                let Some(cargo) = cargo_command(&command) else {
                    continue;
                };
                if cargo.action == CargoAction::Install {
                    continue;
                }
                let start = command
                    .iter()
                    .position(|w| w.span.start >= cargo.span.end)
                    .unwrap_or(command.len());
                let mut words = command[start..].iter().take_while(|w| w.text != "--");
                while let Some(word) = words.next() {
                    let (what, value) = match word.text.as_str() {
                        "--bin" => (Named::Bin, words.next()),
                        "-p" | "--package" => (Named::Package, words.next()),
                        _ => continue,
                    };
                    let Some(value) = value else { continue };
                    let name = value.text.split('@').next().unwrap_or_default();
                    if literal(name) {
                        found.push(Reference {
                            what,
                            name: name.to_string(),
                            word: value.clone(),
                            context: None,
                        });
                    }
                }
            }
            if let Some(copy) = instruction.copy_args()
                && let Some(from) = instruction.flag("from").and_then(|f| f.value.as_deref())
                && let ImageSource::Stage(index) = dockerfile.resolve_from(stage, from)
                && stage_builds(dockerfile, index)
            {
                for word in &copy.sources {
                    if let Some(name) = target_binary(&word.text) {
                        let context = dockerfile.stage_of(index).map(|s| s.span.clone().into());
                        found.push(Reference {
                            what: Named::Copied,
                            name: name.to_string(),
                            word: word.clone(),
                            context,
                        });
                    }
                }
            }
        }
    }
    if let Some(stage) = shipping_stage(dockerfile) {
        for instruction in dockerfile.stage_instructions(stage) {
            if matches!(instruction.keyword.as_str(), "ENTRYPOINT" | "CMD")
                && let Args::Exec(words) = &instruction.args
                && let Some(program) = words.first()
                && let Some(name) = target_binary(&program.text)
            {
                found.push(Reference {
                    what: Named::Started,
                    name: name.to_string(),
                    word: program.clone(),
                    context: None,
                });
            }
        }
    }
    found.retain(|r| {
        !matches!(r.what, Named::Copied | Named::Started) || !r.word.text.contains('$')
    });
    found
}

/// Whether the stage (or a stage it starts from) runs `cargo build`.
fn stage_builds(dockerfile: &Dockerfile, index: usize) -> bool {
    let Some(stage) = dockerfile.stage_of(index) else {
        return false;
    };
    crate::facts::docker::stage_chain(dockerfile, stage)
        .iter()
        .any(|s| {
            dockerfile.stage_instructions(s).iter().any(|i| {
                run_commands(i)
                    .iter()
                    .any(|c| cargo_command(c).is_some_and(|c| c.action == CargoAction::Build))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn help_suggests_the_closest_name() {
        assert!(
            help("notifier-worker", "binary", &["notifier", "orders"])
                .starts_with("did you mean `notifier`?")
        );
        assert!(help("zzz", "binary", &["orders"]).starts_with("the workspace's binaries"));
    }
}
