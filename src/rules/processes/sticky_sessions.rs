use crate::diagnostic::{Level, Span};
use crate::facts::kubernetes::sticky_annotation;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::kubernetes::{Cluster, KubernetesFile, Object, span};
use crate::source::yaml::Node;

pub static META: RuleMeta = RuleMeta {
    id: "sticky-sessions",
    category: Category::Processes,
    default_level: Level::Warn,
    summary: "a Service, ingress or mesh route pins each client to one pod",
    docs: include_str!("../../../rules/processes/sticky-sessions.md"),
    scope: CodeScope::All,
};

pub struct StickySessions;

impl Rule for StickySessions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_kubernetes(&self, file: &KubernetesFile, _cluster: &Cluster, out: &mut Reporter<'_>) {
        let mut reported = Vec::new();
        for object in file.all_objects() {
            for (node, how) in sticky_settings(file, &object) {
                if reported.contains(&span(node)) {
                    continue;
                }
                reported.push(span(node));
                report(out, &object, span(node), &how);
            }
        }
    }
}

/// Each setting of `object` that turns on session affinity, with what it is.
fn sticky_settings<'a>(file: &KubernetesFile, object: &Object<'a>) -> Vec<(&'a Node, String)> {
    let mut found = Vec::new();
    if let Some(service) = object.service()
        && let Some(affinity) = service.session_affinity()
        && affinity.as_str() == Some("ClientIP")
    {
        found.push((affinity, "`sessionAffinity: ClientIP`".to_string()));
    }
    for (key, value) in object.metadata().annotations() {
        if let Some(controller) = value.as_str().and_then(|v| sticky_annotation(key, v)) {
            found.push((value, format!("the {controller} annotation `{key}`")));
        }
    }
    let api = object.api_version();
    let Some(spec) = object.spec() else {
        return found;
    };
    match object.kind() {
        "BackendConfig" if api.starts_with("cloud.google.com/") => {
            if let Some(kind) = spec.path(&["sessionAffinity", "affinityType"])
                && kind.as_str().is_some_and(|k| k != "NONE")
            {
                found.push((kind, format!("GKE session affinity `{}`", file.text(kind))));
            }
        }
        "DestinationRule" if api.starts_with("networking.istio.io/") => {
            for (_, hash) in entries_named(spec, "consistentHash") {
                if let Some((key, _)) = hash.get_entry("httpCookie") {
                    found.push((key, "Istio consistent hashing on a cookie".to_string()));
                }
                if let Some((key, value)) = hash.get_entry("useSourceIp")
                    && value.as_bool() == Some(true)
                {
                    found.push((key, "Istio consistent hashing on the client IP".to_string()));
                }
            }
        }
        "IngressRoute" | "TraefikService" if api.starts_with("traefik.") => {
            for (key, sticky) in entries_named(spec, "sticky") {
                if sticky.get("cookie").is_some() {
                    found.push((key, "a Traefik sticky cookie".to_string()));
                }
            }
        }
        "HTTPProxy" if api.starts_with("projectcontour.io/") => {
            for (_, policy) in entries_named(spec, "loadBalancerPolicy") {
                if let Some(strategy) = policy.get("strategy")
                    && strategy.as_str() == Some("Cookie")
                {
                    found.push((
                        strategy,
                        "Contour's `Cookie` load-balancing strategy".to_string(),
                    ));
                }
            }
        }
        "HTTPRoute" | "GRPCRoute" | "BackendLBPolicy"
            if api.starts_with("gateway.networking.k8s.io/") =>
        {
            for (key, _) in entries_named(spec, "sessionPersistence") {
                found.push((key, "Gateway API `sessionPersistence`".to_string()));
            }
        }
        _ => {}
    }
    found
}

/// Every mapping entry with this key below `node`, as (key, value).
fn entries_named<'a>(node: &'a Node, name: &str) -> Vec<(&'a Node, &'a Node)> {
    let mut found = Vec::new();
    let mut stack = vec![(node, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > 16 {
            continue;
        }
        if let Some(entries) = node.as_map() {
            for (key, value) in entries {
                if key.as_str() == Some(name) {
                    found.push((key, value));
                }
                stack.push((value, depth + 1));
            }
        } else if let Some(items) = node.as_seq() {
            stack.extend(items.iter().map(|item| (item, depth + 1)));
        }
    }
    found.sort_by_key(|(key, _)| key.span.start);
    found
}

fn report(out: &mut Reporter<'_>, object: &Object<'_>, span: Span, how: &str) {
    out.report(
        &META,
        span,
        format!(
            "{} pins each client to one pod with {how}",
            object.logical()
        ),
    )
    .label("sticky sessions")
    .note(
        "twelve-factor VI: processes are stateless and share nothing; affinity lets session state \
         live in one pod's memory, where it is lost when the pod restarts, is rescheduled or \
         scales in, and it spreads load unevenly",
    )
    .help(
        "keep session state in a backing service (Redis, the database) or a signed token, then \
         remove the affinity",
    );
}
