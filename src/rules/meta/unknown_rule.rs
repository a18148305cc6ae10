use crate::diagnostic::Level;
use crate::rule::{Category, CodeScope, RuleMeta};

/// Reported by the engine for suppressions that name a rule that does not exist.
pub static META: RuleMeta = RuleMeta {
    id: "unknown-rule",
    category: Category::Meta,
    default_level: Level::Deny,
    summary: "a suppression names a rule that does not exist",
    docs: include_str!("../../../rules/meta/unknown-rule.md"),
    scope: CodeScope::All,
};
