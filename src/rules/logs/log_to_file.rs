use syn::Expr;

use crate::diagnostic::{Level, Span};
use crate::engine::rust_pass::RustContext;
use crate::facts::logging::file_log_sink;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    id: "log-to-file",
    category: Category::Logs,
    default_level: Level::Deny,
    summary: "the service writes its logs to files instead of a stream",
    docs: include_str!("../../../rules/logs/log-to-file.md"),
    scope: CodeScope::Service,
};

#[derive(Default)]
pub struct LogToFile;

impl Rule for LogToFile {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        let Some(sink) = file_log_sink(cx.file, expr) else {
            return;
        };
        let span = match expr {
            Expr::Call(call) => cx.file.span(&call.func),
            Expr::MethodCall(call) => {
                let method = cx.file.span_of(call.method.span());
                Span::new(method.start, cx.file.span(expr).end)
            }
            _ => cx.file.span(expr),
        };
        out.report(&META, span, format!("logs are written to {} ({})", sink.description, sink.library))
            .label("log records go to a file")
            .note(
                "twelve-factor XI: a service writes its logs as an unbuffered event stream to stdout; \
                 the platform collects and routes them. Files fill the container's disk, are lost with \
                 it, and no log collector reads them",
            )
            .help("log to stdout instead, e.g. `tracing_subscriber::fmt().init()` or `tracing_appender::non_blocking(std::io::stdout())`");
    }
}
