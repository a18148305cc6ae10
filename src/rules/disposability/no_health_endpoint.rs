use crate::diagnostic::{Label, Level};
use crate::facts::binaries::Binary;
use crate::facts::routes::{self, RouteFacts, is_health_path};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};

pub static META: RuleMeta = RuleMeta {
    id: "no-health-endpoint",
    category: Category::Disposability,
    default_level: Level::Warn,
    summary: "an HTTP or gRPC service has no health, readiness or liveness endpoint",
    docs: include_str!("../../../rules/disposability/no-health-endpoint.md"),
    scope: CodeScope::Service,
};

pub struct NoHealthEndpoint;

/// Server frameworks that speak HTTP.
const HTTP_FRAMEWORKS: &[&str] = &[
    "axum",
    "actix-web",
    "warp",
    "poem",
    "salvo",
    "rocket",
    "hyper",
    "tiny_http",
];

impl Rule for NoHealthEndpoint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        for binary in cx.binaries() {
            if binary.is_server && !binary.is_example {
                check_binary(cx, binary, out);
            }
        }
    }
}

fn check_binary(cx: &WorkspaceContext<'_>, binary: &Binary, out: &mut WorkspaceReporter) {
    let Some(root) = binary.root_facts else {
        return;
    };
    let Some(entry) = cx.rust_facts[root].1.krate.entry else {
        return;
    };
    let frameworks: Vec<&str> = binary
        .starts
        .iter()
        .map(|&(file, index)| cx.rust_facts[file].1.servers[index].framework)
        .collect();
    let http = frameworks.iter().any(|f| HTTP_FRAMEWORKS.contains(f));
    let grpc = frameworks.contains(&"tonic");
    let route_facts: Vec<&RouteFacts> = binary
        .files()
        .map(|file| &cx.rust_facts[file].1.routes)
        .collect();
    let paths = routes::composed_paths(&route_facts);
    let grpc_services: Vec<_> = route_facts.iter().flat_map(|r| &r.grpc_services).collect();
    let grpc_health = route_facts.iter().any(|r| !r.grpc_health.is_empty())
        || grpc_services
            .iter()
            .any(|s| s.name.to_ascii_lowercase().contains("health"));
    let health_literal = route_facts.iter().any(|r| !r.health_literals.is_empty());
    if grpc_health || health_literal || paths.iter().any(|(_, path)| is_health_path(path)) {
        return;
    }
    // Only what the tool can see is judged: a server whose routes it found none of (built by
    // macros, or by code outside the workspace) is left alone.
    let (message, help) = if http && !paths.is_empty() {
        (
            format!(
                "the HTTP service `{}` has no health, readiness or liveness route",
                binary.name
            ),
            "add a cheap route such as `GET /healthz` (liveness: the process answers) and, if it \
             needs a database or other backing service before it can serve, `GET /readyz` that \
             checks them; point the Kubernetes probes at them",
        )
    } else if grpc && !grpc_services.is_empty() {
        (
            format!(
                "the gRPC service `{}` does not serve the gRPC health checking protocol",
                binary.name
            ),
            "add `tonic_health`: `let (reporter, health) = tonic_health::server::health_reporter();` \
             and `.add_service(health)`, then set each service's status with the reporter; \
             Kubernetes `grpc` probes call it",
        )
    } else {
        return;
    };
    let first = route_facts
        .iter()
        .zip(binary.files())
        .find_map(|(facts, file)| {
            facts
                .routes
                .first()
                .map(|r| (file, r.span, "its routes are declared here"))
                .or_else(|| {
                    facts
                        .grpc_services
                        .first()
                        .map(|s| (file, s.span, "its services are added here"))
                })
        });
    let related = first.and_then(|(file, span, message)| {
        let source = out.open(cx.workspace, &cx.rust_facts[file].0)?;
        Some(Label {
            location: source.location(span),
            message: message.to_string(),
        })
    });
    let Some(source) = out.open(cx.workspace, &binary.root) else {
        return;
    };
    let finding = out
        .report(&META, &source, entry, message)
        .label("entry point of the service")
        .note(
            "twelve-factor IX: an orchestrator sends traffic to an instance, and restarts it, by \
             its health checks; without one it routes requests to instances that are still \
             starting or have hung, and cannot tell a slow start from a dead process",
        )
        .help(help);
    finding.labels.extend(related);
}
