//! Every rule, registered in this one place.

use std::sync::LazyLock;

use crate::rule::{Category, Rule, RuleMeta};
use crate::rules::*;

/// A fresh instance of every rule that checks files, with default options.
pub fn rules() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(config::hardcoded_backing_service::HardcodedBackingService::default()),
        Box::new(dependencies::wildcard_dependency::WildcardDependency),
        Box::new(logs::log_to_file::LogToFile),
        Box::new(security::tls_verification_disabled::TlsVerificationDisabled),
    ]
}

/// Rules the engine reports itself.
const ENGINE_RULES: [&RuleMeta; 3] = [
    &meta::parse_error::META,
    &meta::unused_suppression::META,
    &meta::unknown_rule::META,
];

static ALL: LazyLock<Vec<&'static RuleMeta>> = LazyLock::new(|| {
    let mut all: Vec<&'static RuleMeta> = rules()
        .iter()
        .map(|rule| rule.meta())
        .chain(ENGINE_RULES)
        .collect();
    all.sort_by_key(|meta| (meta.category, meta.id));
    all
});

/// Every rule's metadata, by category then id.
pub fn all() -> &'static [&'static RuleMeta] {
    &ALL
}

pub fn find(id: &str) -> Option<&'static RuleMeta> {
    all().iter().copied().find(|meta| meta.id == id)
}

/// The rules a `-W`/`-D`/config key names: one rule id, or every rule of a category.
pub fn select(name: &str) -> Option<Vec<&'static RuleMeta>> {
    if let Some(meta) = find(name) {
        return Some(vec![meta]);
    }
    let category = Category::from_name(name)?;
    Some(
        all()
            .iter()
            .copied()
            .filter(|meta| meta.category == category)
            .collect(),
    )
}
