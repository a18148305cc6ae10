use std::path::{Path, PathBuf};

use ignore::gitignore::Gitignore;

use crate::diagnostic::{Level, Span};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::workspace::Workspace;

pub static META: RuleMeta = RuleMeta {
    id: "lockfile-not-committed",
    category: Category::Dependencies,
    default_level: Level::Deny,
    summary: "a workspace that builds binaries has no Cargo.lock, or git ignores it",
    docs: include_str!("../../../rules/dependencies/lockfile-not-committed.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct LockfileNotCommitted;

const NOTE: &str = "twelve-factor II: a deployable build declares its exact dependency versions; \
                    without a committed Cargo.lock every checkout, CI run and image build \
                    resolves the newest versions again, so what ships is not what was tested";

impl Rule for LockfileNotCommitted {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let workspace = cx.workspace;
        let manifest = Path::new("Cargo.toml");
        // A run scoped to part of the workspace reports only there.
        if !workspace.is_cargo_workspace
            || workspace
                .scope
                .as_ref()
                .is_some_and(|scope| !manifest.starts_with(scope))
        {
            return;
        }
        // Outside a repository nothing is committed or not: there is nothing to judge.
        if !workspace
            .root
            .ancestors()
            .any(|dir| dir.join(".git").exists())
        {
            return;
        }
        let binaries = binaries(workspace);
        if binaries.is_empty() {
            return; // libraries only: their users' lockfiles decide
        }
        let lockfile = workspace.root.join("Cargo.lock");
        let ignored = git_ignored(&workspace.root);
        let problem = match (lockfile.is_file(), ignored) {
            (false, ignored) => Problem::Missing(ignored),
            (true, Some(pattern)) => Problem::Ignored(pattern),
            (true, None) => return,
        };
        let Some(file) = out.open(workspace, manifest) else {
            return;
        };
        let span = header(&file.text);
        let names = binaries
            .iter()
            .take(3)
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let more = if binaries.len() > 3 { ", …" } else { "" };
        let (message, label, help) = match problem {
            Problem::Missing(None) => (
                format!("no Cargo.lock, but the workspace builds binaries ({names}{more})"),
                "every build of these binaries resolves its dependencies anew".to_string(),
                "run `cargo generate-lockfile` (or any `cargo build`) and commit Cargo.lock; \
                 binaries and services always ship with their lockfile",
            ),
            Problem::Missing(Some((pattern, source))) => (
                format!(
                    "no Cargo.lock, and `{pattern}` in {source} keeps it out of git, but the workspace builds binaries ({names}{more})"
                ),
                "every build of these binaries resolves its dependencies anew".to_string(),
                "remove the pattern from the ignore file, run `cargo generate-lockfile` and \
                 commit Cargo.lock; binaries and services always ship with their lockfile",
            ),
            Problem::Ignored((pattern, source)) => (
                format!(
                    "Cargo.lock is git-ignored (`{pattern}` in {source}), but the workspace builds binaries ({names}{more})"
                ),
                "the lockfile never reaches CI or the image build".to_string(),
                "remove the pattern from the ignore file and commit Cargo.lock; binaries and \
                 services always ship with their lockfile",
            ),
        };
        out.report(&META, &file, span, message)
            .label(label)
            .note(NOTE)
            .help(help);
    }
}

enum Problem {
    /// With the pattern that would ignore it, if any.
    Missing(Option<(String, String)>),
    /// The pattern that ignores it, and the file it is in.
    Ignored((String, String)),
}

/// Directory names of packages whose binaries are examples, tests or repository tooling, not
/// something that is deployed: a library workspace keeps them without committing a lockfile.
const NON_DEPLOYED_DIRECTORIES: &[&str] = &[
    "bench", "benches", "codegen", "example", "examples", "fuzz", "interop", "test", "tests",
    "xtask",
];

/// Whether a package's binaries are examples, tests or tooling (`examples/`, `tests/…`,
/// `xtask`, `fuzz`).
fn is_non_deployed(package: &crate::workspace::Package) -> bool {
    package.name == "xtask"
        || package.dir.components().any(|component| {
            let name = component.as_os_str().to_string_lossy().to_ascii_lowercase();
            NON_DEPLOYED_DIRECTORIES.contains(&name.as_str())
        })
}

/// Names of the workspace's binary targets, those of example, test and tooling packages left
/// out. Without cargo metadata (it failed), packages with a `src/main.rs` or `src/bin/` count as
/// binaries.
fn binaries(workspace: &Workspace) -> Vec<String> {
    let packages = || {
        workspace
            .packages
            .iter()
            .filter(|package| !is_non_deployed(package))
    };
    let mut names: Vec<String> = packages()
        .flat_map(|package| &package.targets)
        .filter(|target| target.kinds.iter().any(|kind| kind == "bin"))
        .map(|target| target.name.clone())
        .collect();
    if names.is_empty() {
        names = packages()
            .filter(|package| package.targets.is_empty())
            .filter(|package| {
                let dir = workspace.root.join(&package.dir);
                dir.join("src/main.rs").is_file() || dir.join("src/bin").is_dir()
            })
            .map(|package| package.name.clone())
            .collect();
    }
    names.sort();
    names.dedup();
    names
}

/// The `.gitignore` pattern that ignores the root's Cargo.lock, and where it is. Reads the
/// repository's `.git/info/exclude` and every `.gitignore` from the repository root down to the
/// workspace root; as in git, a deeper file overrides a higher one.
fn git_ignored(root: &Path) -> Option<(String, String)> {
    let repository = root.ancestors().find(|dir| dir.join(".git").exists());
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    if let Some(repository) = repository {
        files.push((
            repository.join(".git/info/exclude"),
            repository.to_path_buf(),
        ));
        let mut directories: Vec<&Path> = root
            .ancestors()
            .take_while(|dir| dir.starts_with(repository))
            .collect();
        directories.reverse();
        files.extend(
            directories
                .into_iter()
                .map(|dir| (dir.join(".gitignore"), dir.to_path_buf())),
        );
    } else {
        files.push((root.join(".gitignore"), root.to_path_buf()));
    }
    let mut verdict = None;
    for (file, directory) in files {
        if !file.is_file() {
            continue;
        }
        let (matcher, _) = Gitignore::new(&file);
        let Ok(relative) = root
            .join("Cargo.lock")
            .strip_prefix(&directory)
            .map(Path::to_path_buf)
        else {
            continue;
        };
        let matched = matcher.matched_path_or_any_parents(&relative, false);
        if matched.is_ignore() {
            let glob = matched
                .inner()
                .map(|g| g.original().to_string())
                .unwrap_or_default();
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            let shown = if file.starts_with(root) {
                shown
            } else {
                file.display().to_string()
            };
            verdict = Some((glob, shown));
        } else if matched.is_whitelist() {
            verdict = None;
        }
    }
    verdict
}

/// The `[workspace]` header of the root manifest, else its `[package]` header.
fn header(text: &str) -> Span {
    for wanted in ["[workspace]", "[package]"] {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let content = line.split('#').next().unwrap_or("").trim();
            if content == wanted {
                let start = offset + line.find('[').unwrap_or(0);
                return Span::new(start, start + wanted.len());
            }
            offset += line.len();
        }
    }
    Span::new(0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("fitness-lockfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".git/info")).unwrap();
        dir
    }

    #[test]
    fn gitignore_patterns_decide_like_git() {
        let repository = scratch("patterns");
        let workspace = repository.join("services/orders");
        std::fs::create_dir_all(&workspace).unwrap();
        assert_eq!(git_ignored(&workspace), None);

        std::fs::write(repository.join(".gitignore"), "/target\n*.lock\n").unwrap();
        let (pattern, source) = git_ignored(&workspace).unwrap();
        assert_eq!(pattern, "*.lock");
        assert!(source.ends_with(".gitignore"), "{source}");

        // A deeper .gitignore re-includes it.
        std::fs::write(workspace.join(".gitignore"), "!Cargo.lock\n").unwrap();
        assert_eq!(git_ignored(&workspace), None);

        std::fs::write(workspace.join(".gitignore"), "target\n").unwrap();
        std::fs::write(repository.join(".gitignore"), "").unwrap();
        std::fs::write(repository.join(".git/info/exclude"), "Cargo.lock\n").unwrap();
        assert_eq!(git_ignored(&workspace).unwrap().0, "Cargo.lock");
        let _ = std::fs::remove_dir_all(&repository);
    }

    #[test]
    fn anchors_on_the_workspace_header() {
        let text = "[package]\nname = \"a\"\n\n[workspace] # root\nmembers = []\n";
        let span = header(text);
        assert_eq!(&text[span.start..span.end], "[workspace]");
        let text = "[package]\nname = \"a\"\n";
        let span = header(text);
        assert_eq!(&text[span.start..span.end], "[package]");
    }
}
