use syn::{Expr, Item};

use crate::diagnostic::Level;
use crate::engine::rust_pass::RustContext;
use crate::facts::state::{global_maps, memory_session_store};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    id: "in-memory-session-store",
    category: Category::Processes,
    default_level: Level::Warn,
    summary: "per-user state is held in the process's memory",
    docs: include_str!("../../../rules/processes/in-memory-session-store.md"),
    scope: CodeScope::Service,
};

const WHY: &str = "twelve-factor VI: processes are stateless and share nothing; state kept in \
                   one process's memory is lost on every restart and deploy, and with more than \
                   one replica each request sees a different copy (or forces sticky sessions)";

#[derive(Default)]
pub struct InMemorySessionStore;

impl Rule for InMemorySessionStore {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        let Some(store) = memory_session_store(cx.file, expr) else {
            return;
        };
        let Expr::Call(call) = expr else {
            return;
        };
        out.report(
            &META,
            cx.file.span(&call.func),
            format!(
                "sessions are kept in the process's memory ({} memory store)",
                store.library
            ),
        )
        .label("every session lives in this process only")
        .note(WHY)
        .help(
            "store sessions in a backing service: e.g. `tower-sessions-redis-store` or \
             `tower-sessions-sqlx-store`, or keep them client-side in signed cookies",
        );
    }

    fn check_item(&self, item: &Item, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        for global in global_maps(cx.file, item) {
            out.report(
                &META,
                global.span,
                format!(
                    "`{}` is a global `{}` of mutable state held in the process's memory",
                    global.name, global.container
                ),
            )
            .label(format!(
                "a process-wide {} ({})",
                global.container, global.declared_with
            ))
            .note(WHY)
            .help(
                "keep per-user and shared state in a backing service (Redis, a database); if \
                 this is a cache that may be lost, name it so (`…_CACHE`) or use a cache crate \
                 such as `moka`",
            );
        }
    }
}
