use crate::diagnostic::Level;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::manifest::Manifest;

pub static META: RuleMeta = RuleMeta {
    id: "wildcard-dependency",
    category: Category::Dependencies,
    default_level: Level::Deny,
    summary: "a dependency accepts any version (`*`)",
    docs: include_str!("../../../rules/dependencies/wildcard-dependency.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct WildcardDependency;

impl Rule for WildcardDependency {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_manifest(&self, manifest: &Manifest<'_>, out: &mut Reporter<'_>) {
        for dependency in manifest.dependencies() {
            let Some((requirement, span)) = dependency.version else {
                continue;
            };
            if requirement.trim() != "*" {
                continue;
            }
            let name = dependency.name;
            out.report(
                &META,
                span,
                format!("`{name}` in {} accepts any version", dependency.section()),
            )
            .label("`*` matches every release, breaking ones included")
            .note(
                "twelve-factor II: a build declares exactly what it depends on; with `*` the next \
                 `cargo update`, or any build without this Cargo.lock, may pick a new major version",
            )
            .help(format!(
                "require the version you build against, e.g. `{name} = \"1\"` (the major version in Cargo.lock)"
            ));
        }
    }
}
