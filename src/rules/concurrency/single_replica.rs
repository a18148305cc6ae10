use crate::diagnostic::Level;
use crate::facts::kubernetes::stateful_image;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::kubernetes::{Cluster, KubernetesFile, Workload, WorkloadKind, span};
use crate::source::yaml::Node;

pub static META: RuleMeta = RuleMeta {
    id: "single-replica",
    category: Category::Concurrency,
    default_level: Level::Warn,
    summary: "a Deployment runs one pod and nothing scales it out",
    docs: include_str!("../../../rules/concurrency/single-replica.md"),
    scope: CodeScope::All,
};

pub struct SingleReplica;

impl Rule for SingleReplica {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_kubernetes(&self, file: &KubernetesFile, cluster: &Cluster, out: &mut Reporter<'_>) {
        for object in file.objects() {
            let Some(workload) = object.workload() else {
                continue;
            };
            if workload.kind != WorkloadKind::Deployment || runs_backing_service(&workload) {
                continue;
            }
            if cluster.max_replicas(&workload) > 1 {
                continue;
            }
            let autoscaled = !cluster.autoscalers_of(&object).is_empty();
            let written = workload.replicas().map(|(_, value)| value);
            match written.map(|value| (value, value.as_i64())) {
                // A templated or malformed count: not this rule's to judge.
                Some((_, None)) => {}
                Some((value, Some(1))) if !autoscaled => {
                    out.report(
                        &META,
                        span(value),
                        format!("{} runs a single replica", object.logical()),
                    )
                    .label("one pod")
                    .note(NOTE)
                    .help(HELP);
                }
                Some((value, Some(0))) if !autoscaled => {
                    out.report(
                        &META,
                        span(value),
                        format!(
                            "{} is scaled to zero and no autoscaler targets it",
                            object.logical()
                        ),
                    )
                    .label("no pods")
                    .note(NOTE)
                    .help(
                        "if the service is retired, delete the Deployment; otherwise set \
                         `replicas: 2` or more, or add an autoscaler that targets it",
                    );
                }
                None if !autoscaled => {
                    out.report(
                        &META,
                        span(object.anchor()),
                        format!(
                            "{} sets no `replicas` and no autoscaler targets it: it runs one pod",
                            object.logical()
                        ),
                    )
                    .label("one pod by default")
                    .note(NOTE)
                    .help(HELP);
                }
                _ => {}
            }
        }
    }
}

const NOTE: &str = "twelve-factor VIII: a service scales out by running more identical \
    processes; with one pod, every rollout, node drain or crash is an outage";

const HELP: &str = "set `replicas: 2` or more (with a PodDisruptionBudget), or add a \
    HorizontalPodAutoscaler whose `scaleTargetRef` names this Deployment";

/// A Deployment that runs a database, cache or broker image: more identical replicas would
/// not share its state, so one is deliberate.
fn runs_backing_service(workload: &Workload<'_>) -> bool {
    let containers = workload.containers();
    !containers.is_empty()
        && containers.iter().all(|container| {
            container
                .image()
                .and_then(Node::as_str)
                .and_then(stateful_image)
                .is_some()
        })
}
