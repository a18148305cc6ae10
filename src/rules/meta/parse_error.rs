use crate::diagnostic::Level;
use crate::rule::{Category, CodeScope, RuleMeta};

/// Reported by the engine when a file cannot be read or parsed; the run goes on.
pub static META: RuleMeta = RuleMeta {
    id: "parse-error",
    category: Category::Meta,
    default_level: Level::Warn,
    summary: "a file could not be read or parsed, so no other rule checked it",
    docs: include_str!("../../../rules/meta/parse-error.md"),
    scope: CodeScope::All,
};
