use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Level, Span};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::manifest::Manifest;

pub static META: RuleMeta = RuleMeta {
    id: "unpinned-git-dependency",
    category: Category::Dependencies,
    default_level: Level::Warn,
    summary: "a git dependency is not pinned to a `rev` or `tag`",
    docs: include_str!("../../../rules/dependencies/unpinned-git-dependency.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct UnpinnedGitDependency;

/// Names that are branches, not commits, when given as `rev`.
const BRANCH_NAMES: &[&str] = &[
    "main",
    "master",
    "develop",
    "development",
    "dev",
    "trunk",
    "HEAD",
];

const NOTE: &str = "twelve-factor II: a build declares exactly what it depends on; a branch moves, \
                    so the next `cargo update` (or any build without this Cargo.lock) compiles \
                    code nobody reviewed";

impl Rule for UnpinnedGitDependency {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_manifest(&self, manifest: &Manifest<'_>, out: &mut Reporter<'_>) {
        for dependency in manifest.dependencies() {
            if let Some(fields) = dependency.fields {
                check(dependency.name, &dependency.section(), fields, out);
            }
        }
        // `[patch.crates-io]`, `[patch."https://…"]` and the old `[replace]`.
        if let Some(DeValue::Table(registries)) = manifest.get("patch") {
            for (registry, table) in registries {
                let section = format!("[patch.{}]", section_key(registry.get_ref()));
                each_entry(table.get_ref(), &section, out);
            }
        }
        if let Some(replace) = manifest.get("replace") {
            each_entry(replace, "[replace]", out);
        }
    }
}

fn each_entry(table: &DeValue<'_>, section: &str, out: &mut Reporter<'_>) {
    let DeValue::Table(entries) = table else {
        return;
    };
    for (name, value) in entries {
        if let DeValue::Table(fields) = value.get_ref() {
            check(name.get_ref(), section, fields, out);
        }
    }
}

fn section_key(key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_string()
    } else {
        format!("\"{key}\"")
    }
}

fn string<'a>(fields: &'a DeTable<'_>, key: &str) -> Option<(&'a str, Span)> {
    let value = fields.get(key)?;
    match value.get_ref() {
        DeValue::String(text) => Some((text.as_ref(), Span::from(value.span()))),
        _ => None,
    }
}

fn check(name: &str, section: &str, fields: &DeTable<'_>, out: &mut Reporter<'_>) {
    let Some((url, git_span)) = string(fields, "git") else {
        return;
    };
    if string(fields, "tag").is_some() {
        return;
    }
    if let Some((rev, rev_span)) = string(fields, "rev") {
        let is_branch = BRANCH_NAMES.contains(&rev) || rev.starts_with("refs/heads/");
        if is_branch {
            out.report(
                &META,
                rev_span,
                format!("git dependency `{name}` in {section} names the branch `{rev}` as its `rev`"),
            )
            .label("a branch name, not a commit: it moves with every push")
            .note(NOTE)
            .help(format!(
                "pin the commit: `rev = \"<commit sha>\"` (Cargo.lock records the one in use for `{url}`), or a release `tag`"
            ));
        }
        return;
    }
    let (label, help) = match string(fields, "branch") {
        Some((branch, _)) => (
            format!("follows the branch `{branch}`: whatever it points to at the next update"),
            "replace `branch` with the commit you tested, `rev = \"<commit sha>\"` (Cargo.lock has it), or a release `tag`".to_string(),
        ),
        None => (
            "follows the repository's default branch".to_string(),
            "pin the commit you tested with `rev = \"<commit sha>\"` (Cargo.lock has it), or a release `tag`".to_string(),
        ),
    };
    out.report(
        &META,
        git_span,
        format!("git dependency `{name}` in {section} is not pinned to a `rev` or `tag`"),
    )
    .label(label)
    .note(NOTE)
    .help(help);
}
