use crate::diagnostic::Level;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::kubernetes::{Cluster, Container, KubernetesFile, Service, label, span};

pub static META: RuleMeta = RuleMeta {
    id: "missing-probes",
    category: Category::Disposability,
    default_level: Level::Warn,
    summary: "a long-running container without a liveness probe, or without a readiness probe while a Service sends it traffic",
    docs: include_str!("../../../rules/disposability/missing-probes.md"),
    scope: CodeScope::All,
};

pub struct MissingProbes;

impl Rule for MissingProbes {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_kubernetes(&self, file: &KubernetesFile, cluster: &Cluster, out: &mut Reporter<'_>) {
        for object in file.objects() {
            let Some(workload) = object.workload() else {
                continue;
            };
            if !workload.kind.is_long_running() {
                continue;
            }
            let containers = workload.containers();
            let services = cluster.services_selecting(&workload);
            let serving = serving_containers(&containers, &services);
            for (index, container) in containers.iter().enumerate() {
                let no_liveness = !cluster.container_sets(container, "livenessProbe");
                let service =
                    serving[index].filter(|_| !cluster.container_sets(container, "readinessProbe"));
                let (message, help) = match (service.is_some(), no_liveness) {
                    (false, false) => continue,
                    (true, true) => (
                        "has no readiness probe and no liveness probe",
                        "add a `readinessProbe` that fails while the process cannot serve \
                         (`httpGet` on a readiness route, `grpc`, or `tcpSocket` on the serving \
                         port) and a `livenessProbe` that fails only when it is stuck",
                    ),
                    (true, false) => (
                        "has no readiness probe",
                        "add a `readinessProbe` that fails while the process cannot serve \
                         (`httpGet` on a readiness route, `grpc`, or `tcpSocket` on the serving \
                         port)",
                    ),
                    (false, true) => (
                        "has no liveness probe",
                        "add a `livenessProbe` that fails only when the process is stuck \
                         (`httpGet` on a health route, `grpc`, `tcpSocket`, or an `exec` check for \
                         a worker)",
                    ),
                };
                let finding = out.report(
                    &META,
                    span(container.anchor()),
                    format!("{} {message}", container.logical()),
                );
                finding
                    .label("probes go on this container")
                    .note(
                        "twelve-factor IX: processes start and stop at any time; without a \
                         readiness probe a Service sends requests to a pod that is still starting \
                         or already draining, and without a liveness probe a hung process is \
                         never restarted",
                    )
                    .help(help);
                if let Some(service) = service {
                    let node = service.selector_node().unwrap_or(service.object.node);
                    let message =
                        format!("{} sends traffic to these pods", service.object.logical());
                    finding
                        .labels
                        .push(label(service.object.file, node, message));
                }
            }
        }
    }
}

/// For each container, the Service that sends it traffic, if any: the containers whose ports a
/// Service's `targetPort` names; when no container port matches (ports left undeclared), the
/// first container, by convention the application.
fn serving_containers<'a>(
    containers: &[Container<'_>],
    services: &[Service<'a>],
) -> Vec<Option<Service<'a>>> {
    let mut serving = vec![None; containers.len()];
    for service in services {
        let mut matched = false;
        for (index, container) in containers.iter().enumerate() {
            let targeted = container.ports().iter().any(|port| {
                service
                    .ports()
                    .iter()
                    .any(|service_port| service_port.targets(port))
            });
            if targeted {
                matched = true;
                serving[index].get_or_insert(*service);
            }
        }
        if !matched && !containers.is_empty() {
            serving[0].get_or_insert(*service);
        }
    }
    serving
}
