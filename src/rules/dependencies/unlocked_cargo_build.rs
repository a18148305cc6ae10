use crate::diagnostic::{Level, Span};
use crate::facts::docker::{self, BuildContext, CargoAction, CargoCommand};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::dockerfile::{Dockerfile, Instruction, Stage, Word};

pub static META: RuleMeta = RuleMeta {
    id: "unlocked-cargo-build",
    category: Category::Dependencies,
    default_level: Level::Warn,
    summary: "a Dockerfile builds without `--locked`, or without copying Cargo.lock",
    docs: include_str!("../../../rules/dependencies/unlocked-cargo-build.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct UnlockedCargoBuild;

const NOTE: &str = "twelve-factor II: the image must be built from exactly the dependency \
                    versions that were tested; Cargo.lock records them, and only `--locked` \
                    makes cargo refuse to silently pick others";

/// One cargo invocation of a RUN, where it is.
struct Invocation {
    cargo: CargoCommand,
    /// Index of the RUN in the Dockerfile's instructions.
    instruction: usize,
    /// Position among the RUN's commands.
    position: usize,
    stage: usize,
}

impl Rule for UnlockedCargoBuild {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_dockerfile(&self, dockerfile: &Dockerfile, out: &mut Reporter<'_>) {
        // A dev container is a workstation, not a build of anything that ships.
        if out
            .file()
            .path
            .components()
            .any(|c| c.as_os_str() == ".devcontainer")
        {
            return;
        }
        let context = BuildContext::of(out.file());
        let invocations = invocations(dockerfile);
        for invocation in &invocations {
            let cargo = &invocation.cargo;
            let span = Span::from(cargo.span.clone());
            match cargo.action {
                // Cook only warms the dependency cache from the recipe (which carries the
                // lockfile); the `cargo build` after it decides what ships and is checked.
                CargoAction::ChefCook => {}
                CargoAction::Install if !cargo.locked => report_install(cargo, span, out),
                CargoAction::Install => {}
                CargoAction::Build => {
                    // With a parse error an instruction that copies the lockfile may be lost.
                    let lock_copied = !dockerfile.errors.is_empty()
                        || lock_copied_before(dockerfile, &context, invocation);
                    if cargo.locked {
                        if !lock_copied {
                            out.report(
                                &META,
                                span,
                                format!("`{}` runs with `--locked`, but this stage never copies Cargo.lock", cargo.text),
                            )
                            .label("no Cargo.lock to be locked to: cargo stops with an error")
                            .note(NOTE)
                            .help("copy the lockfile with the manifests, e.g. `COPY Cargo.toml Cargo.lock ./`");
                        }
                    } else if !superseded(dockerfile, &context, &invocations, invocation) {
                        report_unlocked_build(cargo, lock_copied, span, out);
                    }
                }
            }
        }
    }
}

fn report_install(cargo: &CargoCommand, span: Span, out: &mut Reporter<'_>) {
    let what = installed(&cargo.arguments);
    out.report(
        &META,
        span,
        format!("`{}` of {what} without `--locked`", cargo.text),
    )
    .label("ignores the crate's Cargo.lock and resolves the newest dependency versions")
    .note(NOTE)
    .help(format!(
        "add `--locked` (`{} --locked …`) so the versions its lockfile records are built; pin the crate with `--version` too",
        cargo.text
    ));
}

fn report_unlocked_build(
    cargo: &CargoCommand,
    lock_copied: bool,
    span: Span,
    out: &mut Reporter<'_>,
) {
    if lock_copied {
        out.report(
            &META,
            span,
            format!("`{}` without `--locked` or `--frozen`", cargo.text),
        )
        .label("rewrites Cargo.lock instead of failing when it does not match the manifests")
        .note(NOTE)
        .help(format!(
            "add `--locked` (`{} --locked …`), or `--frozen` to forbid network access as well",
            cargo.text
        ));
    } else {
        out.report(
            &META,
            span,
            format!(
                "`{}` resolves dependencies afresh: this stage never copies Cargo.lock and `--locked` is not given",
                cargo.text
            ),
        )
        .label("builds with whatever versions are newest at build time")
        .note(NOTE)
        .help("copy the lockfile with the manifests (`COPY Cargo.toml Cargo.lock ./`) and add `--locked`");
    }
}

/// `cargo-chef`, `the crate at ./server`, `a crate`.
fn installed(arguments: &[Word]) -> String {
    const WITH_VALUE: &[&str] = &[
        "--version",
        "--vers",
        "--git",
        "--branch",
        "--tag",
        "--rev",
        "--root",
        "--index",
        "--registry",
        "--target",
        "--target-dir",
        "--profile",
        "--features",
        "-F",
        "--bin",
        "--example",
        "-j",
        "--jobs",
        "--config",
        "--color",
        "-Z",
    ];
    let mut crates = Vec::new();
    let mut iter = arguments.iter().take_while(|w| w.text != "--");
    while let Some(word) = iter.next() {
        let text = word.text.as_str();
        if text == "--path" {
            return match iter.next() {
                Some(path) => format!("the crate at `{}`", path.text),
                None => "a local crate".to_string(),
            };
        }
        if let Some(path) = text.strip_prefix("--path=") {
            return format!("the crate at `{path}`");
        }
        if WITH_VALUE.contains(&text) {
            iter.next();
        } else if !text.starts_with('-') {
            crates.push(format!("`{text}`"));
        }
    }
    match crates.as_slice() {
        [] => "a crate".to_string(),
        [rest @ .., last] if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => crates.join(""),
    }
}

/// Every cargo build, install and cook in the RUN instructions, in file order. `ONBUILD RUN`s
/// run in other images and are left out.
fn invocations(dockerfile: &Dockerfile) -> Vec<Invocation> {
    let mut found = Vec::new();
    for stage in &dockerfile.stages {
        for index in stage.instructions.clone() {
            let Some(instruction) = dockerfile.instructions.get(index) else {
                continue;
            };
            for (position, command) in docker::run_commands(instruction).iter().enumerate() {
                if let Some(cargo) = docker::cargo_command(command) {
                    found.push(Invocation {
                        cargo,
                        instruction: index,
                        position,
                        stage: stage.index,
                    });
                }
            }
        }
    }
    found
}

/// An unlocked build followed by a locked one in the same stage (or a stage built on it) only
/// warms the cache, like the dummy-`main.rs` trick, when Cargo.lock is copied again in between:
/// then the locked build checks the committed lockfile, not one the first build rewrote.
fn superseded(
    dockerfile: &Dockerfile,
    context: &BuildContext,
    all: &[Invocation],
    build: &Invocation,
) -> bool {
    all.iter().any(|later| {
        later.cargo.action == CargoAction::Build
            && later.cargo.locked
            && later.instruction > build.instruction
            && builds_on(dockerfile, later.stage, build.stage)
            && recopied_between(dockerfile, context, build, later)
    })
}

/// Whether an instruction after `first` and up to `second` (in `second`'s chain) copies
/// Cargo.lock in again.
fn recopied_between(
    dockerfile: &Dockerfile,
    context: &BuildContext,
    first: &Invocation,
    second: &Invocation,
) -> bool {
    let Some(stage) = dockerfile.stages.get(second.stage) else {
        return false;
    };
    let chain = docker::stage_chain(dockerfile, stage);
    docker::chain_instructions(dockerfile, &chain)
        .into_iter()
        .filter(|(index, _)| *index > first.instruction && *index <= second.instruction)
        .any(|(index, instruction)| {
            let position = if index == second.instruction {
                second.position
            } else {
                usize::MAX
            };
            instruction.keyword != "RUN" && brings_lock(instruction, context, position)
        })
}

/// Whether stage `descendant` is `ancestor` or starts `FROM` it, directly or not.
fn builds_on(dockerfile: &Dockerfile, descendant: usize, ancestor: usize) -> bool {
    let Some(stage) = dockerfile.stages.get(descendant) else {
        return false;
    };
    docker::stage_chain(dockerfile, stage)
        .iter()
        .any(|s| s.index == ancestor)
}

/// Whether something before the build may have put a Cargo.lock in place: a COPY/ADD of the
/// context or of the lockfile (in this stage or the stages it builds on), a bind mount of it, a
/// `git clone`, a download, or cargo-chef's cook (which writes the recipe's lockfile).
fn lock_copied_before(dockerfile: &Dockerfile, context: &BuildContext, build: &Invocation) -> bool {
    let Some(stage) = dockerfile.stages.get(build.stage) else {
        return true;
    };
    let chain: Vec<&Stage> = docker::stage_chain(dockerfile, stage);
    let before = docker::chain_instructions(dockerfile, &chain)
        .into_iter()
        .filter(|(index, _)| *index < build.instruction);
    for (_, instruction) in before {
        if brings_lock(instruction, context, usize::MAX) {
            return true;
        }
    }
    dockerfile
        .instructions
        .get(build.instruction)
        .is_none_or(|run| brings_lock(run, context, build.position))
}

/// Whether an instruction may bring a Cargo.lock; for a RUN, its mounts and its commands before
/// the one at `position`.
fn brings_lock(instruction: &Instruction, context: &BuildContext, position: usize) -> bool {
    match instruction.keyword.as_str() {
        "COPY" | "ADD" => {
            if instruction.flag("from").is_some() {
                // From another stage or image: cannot be seen from here.
                return true;
            }
            let Some(arguments) = instruction.copy_args() else {
                return false;
            };
            arguments.sources.iter().any(|source| {
                if source.text.starts_with("<<") {
                    return docker::basename(&arguments.dest.text) == "Cargo.lock";
                }
                let archive = instruction.keyword == "ADD"
                    && [".tar", ".tgz", ".gz", ".xz", ".bz2", ".zst"]
                        .iter()
                        .any(|e| source.text.contains(e));
                archive || context.may_hold_cargo_lock(&source.text)
            })
        }
        "RUN" => {
            let mounts = instruction.flags.iter().filter(|f| f.name == "mount");
            for mount in mounts {
                let kind = mount.option("type").unwrap_or("bind");
                if kind != "bind" {
                    continue;
                }
                if mount.option("from").is_some() {
                    return true;
                }
                let source = mount
                    .option("source")
                    .or(mount.option("src"))
                    .unwrap_or(".");
                if context.may_hold_cargo_lock(source) {
                    return true;
                }
            }
            docker::run_commands(instruction)
                .iter()
                .take(position)
                .any(|command| fetches_sources(command))
        }
        _ => false,
    }
}

/// `git clone`, `curl`/`wget` downloads, unpacking archives, and cargo commands that write a
/// lockfile.
fn fetches_sources(command: &[Word]) -> bool {
    let Some(program) = command.first() else {
        return false;
    };
    let second = command.get(1).map(|w| w.text.as_str());
    match docker::basename(&program.text) {
        "git" => matches!(second, Some("clone" | "checkout" | "pull" | "fetch")),
        "curl" | "wget" | "tar" | "unzip" | "gh" => true,
        "cargo" => command.iter().any(|w| {
            matches!(
                w.text.as_str(),
                "generate-lockfile" | "update" | "fetch" | "cook" | "vendor"
            )
        }),
        _ => false,
    }
}
