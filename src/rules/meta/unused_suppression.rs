use crate::diagnostic::Level;
use crate::rule::{Category, CodeScope, RuleMeta};

/// Reported by the engine for suppressions that suppressed nothing.
pub static META: RuleMeta = RuleMeta {
    id: "unused-suppression",
    category: Category::Meta,
    default_level: Level::Warn,
    summary: "an inline ignore or `[[ignore]]` entry suppresses nothing (or has expired)",
    docs: include_str!("../../../rules/meta/unused-suppression.md"),
    scope: CodeScope::All,
};
