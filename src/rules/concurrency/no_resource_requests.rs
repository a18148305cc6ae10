use crate::diagnostic::Level;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::kubernetes::{Cluster, Container, KubernetesFile, Object, span};
use crate::source::yaml::Node;

pub static META: RuleMeta = RuleMeta {
    id: "no-resource-requests",
    category: Category::Concurrency,
    default_level: Level::Warn,
    summary: "a container without CPU and memory requests, or without a memory limit",
    docs: include_str!("../../../rules/concurrency/no-resource-requests.md"),
    scope: CodeScope::All,
};

pub struct NoResourceRequests;

impl Rule for NoResourceRequests {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_kubernetes(&self, file: &KubernetesFile, cluster: &Cluster, out: &mut Reporter<'_>) {
        for object in file.objects() {
            let Some(workload) = object.workload() else {
                continue;
            };
            let defaults = Defaults::of(cluster, &object);
            let Some(pod) = workload.pod_spec() else {
                continue;
            };
            // Init containers run to completion before the app starts; native sidecars
            // (`restartPolicy: Always`) run beside it and count.
            let containers = pod
                .init_containers()
                .into_iter()
                .filter(Container::is_sidecar)
                .chain(pod.containers());
            for container in containers {
                if cluster.patch_sets(&container, "resources") {
                    continue;
                }
                let resources = container.resources();
                let set = |node: Option<&Node>| node.is_some();
                // Kubernetes sets a request to its limit when only the limit is given.
                let cpu_request = set(resources.request("cpu"))
                    || set(resources.limit("cpu"))
                    || defaults.cpu_request;
                let memory_request = set(resources.request("memory"))
                    || set(resources.limit("memory"))
                    || defaults.memory_request;
                let memory_limit = set(resources.limit("memory")) || defaults.memory_limit;
                let missing = match (cpu_request, memory_request, memory_limit) {
                    (true, true, true) => continue,
                    (false, false, false) => "no CPU or memory request and no memory limit",
                    (false, false, true) => "no CPU or memory request",
                    (false, true, false) => "no CPU request and no memory limit",
                    (false, true, true) => "no CPU request",
                    (true, false, false) => "no memory request and no memory limit",
                    (true, false, true) => "no memory request",
                    (true, true, false) => "no memory limit",
                };
                out.report(
                    &META,
                    span(container.anchor()),
                    format!("{} has {missing}", container.logical()),
                )
                .label(if container.resources().node.is_some() {
                    "its `resources` are incomplete"
                } else {
                    "no `resources`"
                })
                .note(
                    "twelve-factor VIII: the scheduler places pods and the autoscaler scales them \
                     by their requests; without requests pods crowd onto full nodes and CPU \
                     utilisation cannot be computed, and without a memory limit one leak starves \
                     every pod on the node",
                )
                .help(
                    "set `resources.requests.cpu`, `resources.requests.memory` and \
                     `resources.limits.memory` from what the container uses under load",
                );
            }
        }
    }
}

/// What a LimitRange in the namespace fills in for containers that set nothing.
#[derive(Default)]
struct Defaults {
    cpu_request: bool,
    memory_request: bool,
    memory_limit: bool,
}

impl Defaults {
    fn of(cluster: &Cluster, object: &Object<'_>) -> Defaults {
        let mut defaults = Defaults::default();
        for range in cluster.limit_ranges(object) {
            let limits = range
                .spec()
                .and_then(|s| s.get("limits"))
                .and_then(Node::as_seq)
                .unwrap_or_default();
            for limit in limits {
                if limit.get("type").and_then(Node::as_str) != Some("Container") {
                    continue;
                }
                let has = |section: &str, resource: &str| {
                    limit
                        .get(section)
                        .and_then(|s| s.get(resource))
                        .is_some_and(|v| !v.is_null())
                };
                defaults.cpu_request |= has("defaultRequest", "cpu") || has("default", "cpu");
                defaults.memory_request |=
                    has("defaultRequest", "memory") || has("default", "memory");
                defaults.memory_limit |= has("default", "memory");
            }
        }
        defaults
    }
}
