use syn::Expr;

use crate::diagnostic::Level;
use crate::engine::rust_pass::RustContext;
use crate::facts::clients::{ClientLibrary, ConstructorKind, OutboundClient, Timeout};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    id: "http-client-without-timeout",
    category: Category::Resilience,
    default_level: Level::Warn,
    summary: "an outbound HTTP or gRPC client is built without a timeout",
    docs: include_str!("../../../rules/resilience/http-client-without-timeout.md"),
    scope: CodeScope::Service,
};

const WHY: &str = "microservices: every remote call has a timeout. Without one, a dependency that hangs \
                   or slows down holds each calling request, its task and its connection; they pile up \
                   until the service runs out of workers, connections or memory, and the outage spreads \
                   to its own callers";

#[derive(Default)]
pub struct HttpClientWithoutTimeout;

impl Rule for HttpClientWithoutTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        if !matches!(expr, Expr::Call(_) | Expr::Path(_)) || cx.facts.clients.is_empty() {
            return;
        }
        let span = cx.file.span(expr);
        let Some(client) = cx.facts.clients.iter().find(|client| client.span == span) else {
            return;
        };
        match client.timeout {
            Timeout::Missing => report_missing(client, out),
            Timeout::Disabled => report_disabled(client, out),
            Timeout::Set | Timeout::PerRequest | Timeout::Unknown => {}
        }
    }
}

fn report_missing(client: &OutboundClient, out: &mut Reporter<'_>) {
    let OutboundClient {
        library,
        kind,
        constructor,
        ..
    } = client;
    let protocol = match library.protocol() {
        "gRPC" => "a gRPC",
        _ => "an HTTP",
    };
    let (message, label) = match kind {
        ConstructorKind::Request => (
            format!(
                "`{constructor}` sends {protocol} request without a timeout ({})",
                library.name()
            ),
            "this call can wait forever",
        ),
        ConstructorKind::Builder | ConstructorKind::Client => (
            format!(
                "`{constructor}` builds {protocol} client without a timeout ({})",
                library.name()
            ),
            "calls through this client can wait forever",
        ),
    };
    out.report(&META, client.report_span, message)
        .label(label)
        .note(WHY)
        .help(fix(client));
}

fn report_disabled(client: &OutboundClient, out: &mut Reporter<'_>) {
    out.report(
        &META,
        client.report_span,
        format!(
            "`{}` builds a blocking HTTP client whose timeout is switched off with `.timeout(None)`",
            client.constructor
        ),
    )
    .label("calls through this client can wait forever")
    .note(WHY)
    .help(
        "drop `.timeout(None)` to keep reqwest's 30-second default, or bound the calls: \
         `.timeout(Duration::from_secs(60))`",
    );
}

/// The exact builder call for the library.
fn fix(client: &OutboundClient) -> String {
    match (client.library, client.kind) {
        (ClientLibrary::Reqwest, ConstructorKind::Request) => {
            "send it through a shared client that has one: \
             `reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?`, then \
             `client.get(url).send().await`"
                .to_string()
        }
        (ClientLibrary::Reqwest, _) => {
            "build it with one: `reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?`; \
             a call that needs longer can raise it with `RequestBuilder::timeout(..)`"
                .to_string()
        }
        (ClientLibrary::ReqwestBlocking, _) => {
            "bound the calls: `.timeout(Duration::from_secs(60))`".to_string()
        }
        (ClientLibrary::Ureq2, _) => {
            "build the agent with one: `ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build()`"
                .to_string()
        }
        (ClientLibrary::Ureq3, _) => "build the agent with one: `ureq::Agent::config_builder()\
             .timeout_global(Some(Duration::from_secs(10))).build()`"
            .to_string(),
        (ClientLibrary::Ureq, _) => "send it through an agent that has one — ureq 3: \
             `ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build()`; \
             ureq 2: `ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build()` — or \
             bound this call (`.timeout(..)` in ureq 2, `.config().timeout_global(Some(..)).build()` \
             in ureq 3)"
            .to_string(),
        (ClientLibrary::Hyper, _) => "hyper has no client timeout: wrap each call in \
             `tokio::time::timeout(Duration::from_secs(10), client.request(req)).await`, or put \
             the client behind `tower::ServiceBuilder::new().timeout(Duration::from_secs(10))`"
            .to_string(),
        (ClientLibrary::Tonic, _) => "set them on the endpoint before connecting: \
             `.timeout(Duration::from_secs(10)).connect_timeout(Duration::from_secs(3))`"
            .to_string(),
        (ClientLibrary::TonicGenerated, _) => {
            let client = client
                .constructor
                .rsplit("::")
                .nth(1)
                .unwrap_or("Client");
            format!(
                "connect through an endpoint that has one: `{client}::new(Endpoint::from_shared(url)?\
                 .timeout(Duration::from_secs(10)).connect_timeout(Duration::from_secs(3))\
                 .connect().await?)`"
            )
        }
    }
}
