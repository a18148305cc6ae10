use crate::diagnostic::Level;
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};

pub static META: RuleMeta = RuleMeta {
    id: "migrations-at-startup",
    category: Category::AdminProcesses,
    default_level: Level::Warn,
    summary: "the server runs schema migrations when it starts",
    docs: include_str!("../../../rules/admin-processes/migrations-at-startup.md"),
    scope: CodeScope::Service,
};

#[derive(Default)]
pub struct MigrationsAtStartup;

impl Rule for MigrationsAtStartup {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let any_migrations = cx
            .rust_facts
            .iter()
            .any(|(path, facts)| !facts.calls.migrations.is_empty() && cx.services.contains(path));
        if !any_migrations {
            return;
        }
        let startup = cx.startup();
        for (file, (path, facts)) in cx.rust_facts.iter().enumerate() {
            if !cx.services.contains(path) {
                continue;
            }
            for site in &facts.calls.migrations {
                let Some(function) = site.function else {
                    continue;
                };
                let id = (file, function);
                if !site.gate.is_open() || !startup.on_startup.contains_key(&id) {
                    continue;
                }
                let Some(source) = out.open(cx.workspace, path) else {
                    break;
                };
                let chain = startup.graph.chain(&startup.on_startup, id);
                let label = if chain.len() > 1 {
                    format!("runs on every start, via `{}`", chain.join("` → `"))
                } else {
                    format!("runs on every start of `{}`", chain[0])
                };
                out.report(
                    &META,
                    &source,
                    site.span,
                    format!(
                        "schema migrations ({}) run when the server starts",
                        site.what
                    ),
                )
                .label(label)
                .note(
                    "twelve-factor XII: admin tasks such as migrations run as one-off processes \
                     against a release; run at start-up, every replica races to migrate, a slow \
                     migration fails the readiness probe and gets the pod killed mid-way, and a \
                     rollback starts old code against the new schema",
                )
                .help(
                    "run the migrations from a one-off `migrate` binary or subcommand (a \
                     Kubernetes Job, an init container, a release step) and let the server only \
                     start; an opt-in flag (`if config.run_migrations { .. }`) is not reported",
                );
            }
        }
    }
}
