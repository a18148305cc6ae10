use crate::diagnostic::Level;
use crate::facts::kubernetes::is_node_system_path;
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::kubernetes::{
    Cluster, KubernetesFile, PodSpec, VolumeSource, WorkloadKind, label, span,
};
use crate::source::yaml::Node;

pub static META: RuleMeta = RuleMeta {
    id: "node-local-storage",
    category: Category::Processes,
    default_level: Level::Warn,
    summary: "a workload keeps state on its node: a hostPath volume, or a ReadWriteOnce claim shared by several replicas",
    docs: include_str!("../../../rules/processes/node-local-storage.md"),
    scope: CodeScope::All,
};

pub struct NodeLocalStorage;

impl Rule for NodeLocalStorage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_kubernetes(&self, file: &KubernetesFile, cluster: &Cluster, out: &mut Reporter<'_>) {
        for object in file.all_objects() {
            let Some(workload) = object.workload() else {
                continue;
            };
            // Node agents run one pod per node by design; the node is what they look at.
            if workload.kind == WorkloadKind::DaemonSet {
                continue;
            }
            let Some(pod) = workload.pod_spec() else {
                continue;
            };
            for volume in pod.volumes() {
                let name = volume.name().unwrap_or("");
                match volume.source() {
                    VolumeSource::HostPath { key, path } => {
                        let path_text = path.and_then(Node::as_str).unwrap_or("");
                        if is_node_system_path(path_text) || only_read(&pod, name) {
                            continue;
                        }
                        out.report(
                            &META,
                            span(key),
                            format!(
                                "{} keeps data on its node: `hostPath` volume `{name}` ({})",
                                object.logical(),
                                if path_text.is_empty() {
                                    "no path"
                                } else {
                                    path_text
                                }
                            ),
                        )
                        .label("a directory of whichever node the pod lands on")
                        .note(
                            "twelve-factor VI: processes are stateless and disposable; a pod \
                             rescheduled to another node finds a different directory, and replicas \
                             on different nodes each see their own",
                        )
                        .help(
                            "keep state in a backing service (database, object storage), or use a \
                             PersistentVolumeClaim; use `emptyDir` for scratch space",
                        );
                    }
                    VolumeSource::Claim { claim_name, .. } if !object.is_patch() => {
                        // A StatefulSet's `volumeClaimTemplates` give each replica its own
                        // claim; a claim named in `volumes` is shared by all of them.
                        if !workload.kind.is_replicated() {
                            continue;
                        }
                        let Some(claim_text) = claim_name.as_str() else {
                            continue;
                        };
                        let Some(claim) = cluster.claim(claim_text, &object) else {
                            continue;
                        };
                        let modes = claim.claim_access_modes().unwrap_or_default();
                        let single_node = modes.iter().find(|m| {
                            matches!(m.as_str(), Some("ReadWriteOnce" | "ReadWriteOncePod"))
                        });
                        let shared = modes
                            .iter()
                            .any(|m| matches!(m.as_str(), Some("ReadWriteMany" | "ReadOnlyMany")));
                        let replicas = cluster.max_replicas(&workload);
                        let written = workload.replicas().and_then(|(_, v)| v.as_i64());
                        let (Some(mode), false, true) = (single_node, shared, replicas > 1) else {
                            continue;
                        };
                        let mode_text = mode.as_str().unwrap_or("ReadWriteOnce");
                        let finding = out.report(
                            &META,
                            span(claim_name),
                            format!(
                                "{} {} {replicas} replicas on claim `{claim_text}`, which is {mode_text}",
                                object.logical(),
                                if written == Some(replicas) {
                                    "runs"
                                } else {
                                    "scales to"
                                }
                            ),
                        );
                        finding
                            .label(if mode_text == "ReadWriteOncePod" {
                                "ReadWriteOncePod: mounted by one pod only".to_string()
                            } else {
                                format!("{mode_text}: mounted by one node only")
                            })
                            .note(
                                "twelve-factor VI: replicas must be interchangeable; a \
                                 ReadWriteOnce volume attaches to one node, so replicas scheduled \
                                 elsewhere hang in ContainerCreating, and those that start share \
                                 state on disk",
                            )
                            .help(
                                "move the state to a backing service, give each replica its own \
                                 volume (a StatefulSet's `volumeClaimTemplates`), or use a \
                                 ReadWriteMany storage class",
                            );
                        finding.labels.push(label(
                            claim.file,
                            mode,
                            format!("claim `{claim_text}` is {mode_text}"),
                        ));
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Whether every container that mounts the volume mounts it read-only (and one does).
fn only_read(pod: &PodSpec<'_>, volume: &str) -> bool {
    let mounts: Vec<bool> = pod
        .init_containers()
        .iter()
        .chain(pod.containers().iter())
        .flat_map(|c| c.volume_mounts())
        .filter(|m| m.name() == Some(volume))
        .map(|m| m.read_only())
        .collect();
    !mounts.is_empty() && mounts.iter().all(|&read_only| read_only)
}
