use syn::Expr;

use crate::diagnostic::{Level, Span};
use crate::engine::rust_pass::RustContext;
use crate::facts::listen::{ListenAddress, Origin};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    id: "hardcoded-listen-address",
    category: Category::PortBinding,
    default_level: Level::Warn,
    summary: "a server's listen port is written in the code instead of read from the environment",
    docs: include_str!("../../../rules/port-binding/hardcoded-listen-address.md"),
    scope: CodeScope::Service,
};

pub struct HardcodedListenAddress;

impl Rule for HardcodedListenAddress {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        if cx.facts.listen.is_empty() || !matches!(expr, Expr::Call(_) | Expr::MethodCall(_)) {
            return;
        }
        let span = cx.file.span(expr);
        for listen in cx.facts.listen.iter().filter(|l| l.span == span) {
            let Some(port_span) = hardcoded_port(listen) else {
                continue;
            };
            // One literal may reach two listen calls (`let addr = …;` bound twice): the first
            // reports it.
            let earlier = cx.facts.listen.iter().any(|other| {
                other.span.start < listen.span.start && hardcoded_port(other) == Some(port_span)
            });
            if earlier {
                continue;
            }
            report(listen, port_span, out);
        }
    }
}

/// Where the port is written, when it is a literal other than 0 (any free port).
fn hardcoded_port(listen: &ListenAddress) -> Option<Span> {
    match (&listen.port.origin, listen.port.value) {
        (Origin::Literal, Some(port)) if port != 0 => listen.port.value_span,
        _ => None,
    }
}

fn report(listen: &ListenAddress, span: Span, out: &mut Reporter<'_>) {
    let port = listen.port.value.unwrap_or_default();
    let what = match (&listen.literal, &listen.host.origin) {
        (Some(address), _) => format!("the listen address `{address}` is hard-coded"),
        (None, Origin::Literal) => format!(
            "the listen address `{}:{port}` is hard-coded",
            listen.host.value.as_deref().unwrap_or_default()
        ),
        _ => format!("the listen port `{port}` is hard-coded"),
    };
    let framework = listen.framework;
    out.report(&META, span, what)
        .label(format!("port {port} is fixed at build time ({framework})"))
        .note(
            "twelve-factor VII: the service is exported by binding the port its environment \
             assigns; with the port in the code, a platform that sets `PORT`, a second instance \
             on the same host or a changed Service port all need a rebuild",
        )
        .help(format!(
            "read the port from the environment and keep {port} as the default if you want one: \
             `let port: u16 = std::env::var(\"PORT\").ok().and_then(|p| p.parse().ok()).unwrap_or({port});`"
        ));
}
