use crate::diagnostic::Level;
use crate::facts::filesystem::PathOrigin;
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};

pub static META: RuleMeta = RuleMeta {
    id: "local-filesystem-state",
    category: Category::Processes,
    default_level: Level::Warn,
    summary: "service code keeps state in files on the local filesystem",
    docs: include_str!("../../../rules/processes/local-filesystem-state.md"),
    scope: CodeScope::Service,
};

#[derive(Default)]
pub struct LocalFilesystemState;

impl Rule for LocalFilesystemState {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let writes_state = |facts: &crate::facts::RustFacts| {
            facts
                .calls
                .writes
                .iter()
                .any(|(write, _)| write.origin.is_state())
        };
        let any = cx
            .rust_facts
            .iter()
            .any(|(path, facts)| writes_state(facts) && cx.services.contains(path));
        if !any {
            return;
        }
        let startup = cx.startup();
        for (file, (path, facts)) in cx.rust_facts.iter().enumerate() {
            if !writes_state(facts) || !cx.services.contains(path) || startup.is_tool_file(file) {
                continue;
            }
            for (write, site) in &facts.calls.writes {
                let PathOrigin::Literal(target) = &write.origin else {
                    continue;
                };
                if site.function.is_some_and(|f| !startup.can_run((file, f))) {
                    continue;
                }
                let Some(source) = out.open(cx.workspace, path) else {
                    break;
                };
                out.report(
                    &META,
                    &source,
                    site.span,
                    format!("service code writes `{target}` on the local filesystem"),
                )
                .label(format!("`{}` writes to `{target}`", write.operation))
                .note(
                    "twelve-factor VI: processes are stateless and share nothing; a file written \
                     here lives on one replica's disk, is gone when the container is replaced, \
                     and the other replicas never see it",
                )
                .help(
                    "keep the data in a backing service (a database, or object storage such as \
                     S3 via `object_store`/`aws-sdk-s3`); scratch files belong in \
                     `std::env::temp_dir()` or a `tempfile`",
                );
            }
        }
    }
}
