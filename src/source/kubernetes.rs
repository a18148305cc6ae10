//! The Kubernetes view of a YAML file: its objects, their workloads, pod templates and
//! containers, and the cross-file [`Cluster`] index that links Services, autoscalers, claims and
//! kustomize patches to the workloads they concern.
//!
//! The view borrows the loaded YAML: every accessor returns the [`Node`] it read, so a finding can
//! point at the exact key or value. Accessors are forgiving: a field of the wrong type reads as
//! absent, never as an error (the API server would reject it; this linter only reports what it
//! understands).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Label, Location, Span};
use crate::source::SourceFile;
use crate::source::yaml::{Node, Style, Value};

/// The separator of logical paths: `Deployment/api › container api`.
pub const PATH_SEPARATOR: &str = " › ";

/// The byte span of a node.
pub fn span(node: &Node) -> Span {
    Span::from(node.span.clone())
}

/// A YAML file holding Kubernetes objects.
#[derive(Debug)]
pub struct KubernetesFile {
    pub source: Arc<SourceFile>,
    documents: Vec<Node>,
    /// Where each object is: (document, item of a `List`).
    objects: Vec<(usize, Option<usize>)>,
    /// Whether the whole file is a kustomize patch (named by a `kustomization.yaml`).
    patch_file: bool,
}

impl KubernetesFile {
    /// The objects of `documents`: every document that is a mapping with a string `apiVersion`
    /// and `kind`, and the items of `kind: List` (or `…List`) documents. Kustomize's own files
    /// (`Kustomization`, `Component`) are not objects.
    pub fn new(source: Arc<SourceFile>, documents: Vec<Node>) -> KubernetesFile {
        let mut objects = Vec::new();
        for (index, document) in documents.iter().enumerate() {
            if !is_object(document) {
                continue;
            }
            let kind = document.get("kind").and_then(Node::as_str).unwrap_or("");
            if let (true, Some(items)) = (
                kind.ends_with("List"),
                document.get("items").and_then(Node::as_seq),
            ) {
                for (item_index, item) in items.iter().enumerate() {
                    if is_object(item) {
                        objects.push((index, Some(item_index)));
                    }
                }
            } else {
                objects.push((index, None));
            }
        }
        KubernetesFile {
            source,
            documents,
            objects,
            patch_file: false,
        }
    }

    /// Marks the file as a kustomize patch: its objects are partial.
    pub fn into_patch_file(mut self) -> KubernetesFile {
        self.patch_file = true;
        self
    }

    pub fn path(&self) -> &Path {
        &self.source.path
    }

    /// The text a node was read from.
    pub fn text(&self, node: &Node) -> &str {
        node.text(&self.source.text)
    }

    /// A node's place, for a label that points into this file from a finding in another.
    pub fn location(&self, node: &Node) -> Location {
        self.source.location(span(node))
    }

    /// Complete objects: not kustomize patches. Rules that judge what an object *lacks* read
    /// these.
    pub fn objects(&self) -> impl Iterator<Item = Object<'_>> {
        self.all_objects().filter(|object| !object.is_patch())
    }

    /// Every object, kustomize patches included. Rules that judge what an object *says* (a
    /// literal secret, an image) read these.
    pub fn all_objects(&self) -> impl Iterator<Item = Object<'_>> {
        (0..self.objects.len()).filter_map(|index| self.object(index))
    }

    /// The object at `index` of [`KubernetesFile::all_objects`].
    fn object(&self, index: usize) -> Option<Object<'_>> {
        let (document, item) = *self.objects.get(index)?;
        let node = &self.documents[document];
        let node = match item {
            Some(item) => node.get("items")?.as_seq()?.get(item)?,
            None => node,
        };
        Some(Object {
            file: self,
            node,
            patch: self.patch_file || node.get("$patch").is_some(),
        })
    }

    /// Whether the file holds no object (only non-object documents, or kustomize files).
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

fn is_object(node: &Node) -> bool {
    let string = |key| node.get(key).and_then(Node::as_str).is_some();
    string("apiVersion") && string("kind") && !is_kustomize_config(node)
}

/// `kustomization.yaml` and kustomize components: build instructions, not objects.
pub fn is_kustomize_config(node: &Node) -> bool {
    node.get("apiVersion")
        .and_then(Node::as_str)
        .is_some_and(|api| api.starts_with("kustomize.config.k8s.io/"))
        || matches!(
            node.get("kind").and_then(Node::as_str),
            Some("Kustomization" | "Component")
        ) && node.get("spec").is_none()
}

/// One Kubernetes object.
#[derive(Clone, Copy, Debug)]
pub struct Object<'a> {
    pub file: &'a KubernetesFile,
    pub node: &'a Node,
    patch: bool,
}

impl<'a> Object<'a> {
    pub fn kind(&self) -> &'a str {
        self.node.get("kind").and_then(Node::as_str).unwrap_or("")
    }

    pub fn api_version(&self) -> &'a str {
        self.node
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("")
    }

    pub fn metadata(&self) -> Metadata<'a> {
        Metadata {
            node: self.node.get("metadata"),
        }
    }

    /// `metadata.name`, or `""`.
    pub fn name(&self) -> &'a str {
        self.metadata().name().unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&'a str> {
        self.metadata().namespace()
    }

    pub fn spec(&self) -> Option<&'a Node> {
        self.node.get("spec")
    }

    /// A kustomize patch: partial, so what it lacks says nothing.
    pub fn is_patch(&self) -> bool {
        self.patch
    }

    /// `Deployment/api`, as messages name the object.
    pub fn logical(&self) -> String {
        let name = self.name();
        if name.is_empty() {
            format!("{} (unnamed)", self.kind())
        } else {
            format!("{}/{name}", self.kind())
        }
    }

    /// The span of the whole object.
    pub fn span(&self) -> Span {
        span(self.node)
    }

    /// The node an absence finding about this object anchors on: its `metadata.name` value,
    /// else its `kind` value.
    pub fn anchor(&self) -> &'a Node {
        self.metadata()
            .node
            .and_then(|m| m.get("name"))
            .or_else(|| self.node.get("kind"))
            .unwrap_or(self.node)
    }

    pub fn is(&self, kind: &str) -> bool {
        self.kind() == kind
    }

    /// The workload view, for Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob
    /// and Pod.
    pub fn workload(&self) -> Option<Workload<'a>> {
        let kind = WorkloadKind::of(self.kind())?;
        Some(Workload {
            object: *self,
            kind,
        })
    }

    pub fn service(&self) -> Option<Service<'a>> {
        (self.is("Service") && self.api_version() == "v1").then_some(Service { object: *self })
    }

    /// The target of a HorizontalPodAutoscaler, or of a KEDA `ScaledObject`.
    pub fn autoscaler(&self) -> Option<Autoscaler<'a>> {
        let autoscaling = (self.is("HorizontalPodAutoscaler")
            && self.api_version().starts_with("autoscaling/"))
            || (self.is("ScaledObject") && self.api_version().starts_with("keda.sh/"));
        autoscaling.then_some(Autoscaler { object: *self })
    }

    /// The access modes of a PersistentVolumeClaim.
    pub fn claim_access_modes(&self) -> Option<Vec<&'a Node>> {
        if !self.is("PersistentVolumeClaim") {
            return None;
        }
        Some(strings(self.spec()?.get("accessModes")))
    }

    /// The `data` and `stringData` entries of a ConfigMap or Secret.
    pub fn data(&self) -> Vec<(&'a Node, &'a Node)> {
        ["data", "stringData", "binaryData"]
            .iter()
            .filter_map(|key| self.node.get(key)?.as_map())
            .flatten()
            .map(|(k, v)| (k, v))
            .collect()
    }
}

/// A label on `node` of `file`, for a finding that may be in another file.
pub fn label(file: &KubernetesFile, node: &Node, message: impl Into<String>) -> Label {
    Label {
        location: file.location(node),
        message: message.into(),
    }
}

/// `metadata` of an object or pod template.
#[derive(Clone, Copy, Debug, Default)]
pub struct Metadata<'a> {
    pub node: Option<&'a Node>,
}

impl<'a> Metadata<'a> {
    pub fn name(&self) -> Option<&'a str> {
        self.node?.get("name")?.as_str()
    }

    pub fn name_node(&self) -> Option<&'a Node> {
        self.node?.get("name")
    }

    pub fn namespace(&self) -> Option<&'a str> {
        self.node?.get("namespace")?.as_str()
    }

    pub fn labels(&self) -> Vec<(&'a str, &'a Node)> {
        string_map(self.node.and_then(|m| m.get("labels")))
    }

    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.node?.get("labels")?.get(key)?.as_str()
    }

    /// The annotations, as (key, value node).
    pub fn annotations(&self) -> Vec<(&'a str, &'a Node)> {
        string_map(self.node.and_then(|m| m.get("annotations")))
    }

    pub fn annotation(&self, key: &str) -> Option<&'a Node> {
        self.node?.get("annotations")?.get(key)
    }
}

/// The kinds that run pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
    Pod,
}

impl WorkloadKind {
    pub fn of(kind: &str) -> Option<WorkloadKind> {
        Some(match kind {
            "Deployment" => WorkloadKind::Deployment,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "Job" => WorkloadKind::Job,
            "CronJob" => WorkloadKind::CronJob,
            "Pod" => WorkloadKind::Pod,
            _ => return None,
        })
    }

    /// Controllers that keep their pods running: Deployment, StatefulSet, DaemonSet,
    /// ReplicaSet. Jobs, CronJobs and bare Pods run to completion or are one-offs.
    pub fn is_long_running(self) -> bool {
        matches!(
            self,
            WorkloadKind::Deployment
                | WorkloadKind::StatefulSet
                | WorkloadKind::DaemonSet
                | WorkloadKind::ReplicaSet
        )
    }

    /// Kinds with a `replicas` count.
    pub fn is_replicated(self) -> bool {
        matches!(
            self,
            WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::ReplicaSet
        )
    }
}

/// An object that runs pods.
#[derive(Clone, Copy, Debug)]
pub struct Workload<'a> {
    pub object: Object<'a>,
    pub kind: WorkloadKind,
}

impl<'a> Workload<'a> {
    /// The `replicas` key and value, when written.
    pub fn replicas(&self) -> Option<(&'a Node, &'a Node)> {
        if !self.kind.is_replicated() {
            return None;
        }
        self.object.spec()?.get_entry("replicas")
    }

    /// The pod template (`spec.template`, `spec.jobTemplate.spec.template`); for a Pod, the
    /// object itself.
    pub fn template(&self) -> Option<&'a Node> {
        let spec = self.object.spec();
        match self.kind {
            WorkloadKind::Pod => Some(self.object.node),
            WorkloadKind::CronJob => spec?.path(&["jobTemplate", "spec", "template"]),
            _ => spec?.get("template"),
        }
    }

    /// The pod template's metadata (a Pod's own metadata).
    pub fn pod_metadata(&self) -> Metadata<'a> {
        Metadata {
            node: self.template().and_then(|t| t.get("metadata")),
        }
    }

    pub fn pod_spec(&self) -> Option<PodSpec<'a>> {
        let node = self.template()?.get("spec")?;
        node.as_map()?;
        Some(PodSpec {
            workload: *self,
            node,
        })
    }

    /// The pod labels Services select on.
    pub fn pod_labels(&self) -> Vec<(&'a str, &'a Node)> {
        self.pod_metadata().labels()
    }

    /// App containers (not init containers).
    pub fn containers(&self) -> Vec<Container<'a>> {
        self.pod_spec()
            .map(|spec| spec.containers())
            .unwrap_or_default()
    }

    /// Init containers, then app containers.
    pub fn all_containers(&self) -> Vec<Container<'a>> {
        self.pod_spec()
            .map(|spec| {
                let mut all = spec.init_containers();
                all.extend(spec.containers());
                all
            })
            .unwrap_or_default()
    }
}

/// A pod spec.
#[derive(Clone, Copy, Debug)]
pub struct PodSpec<'a> {
    pub workload: Workload<'a>,
    pub node: &'a Node,
}

impl<'a> PodSpec<'a> {
    pub fn containers(&self) -> Vec<Container<'a>> {
        self.list("containers", false)
    }

    pub fn init_containers(&self) -> Vec<Container<'a>> {
        self.list("initContainers", true)
    }

    fn list(&self, key: &str, init: bool) -> Vec<Container<'a>> {
        self.node
            .get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter(|node| node.as_map().is_some())
            .map(|node| Container {
                pod: *self,
                node,
                init,
            })
            .collect()
    }

    pub fn volumes(&self) -> Vec<Volume<'a>> {
        self.node
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter(|node| node.as_map().is_some())
            .map(|node| Volume { node })
            .collect()
    }

    pub fn volume(&self, name: &str) -> Option<Volume<'a>> {
        self.volumes().into_iter().find(|v| v.name() == Some(name))
    }

    /// The pod-level `securityContext`.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.node.get("securityContext")
    }
}

/// A container or init container.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    pub pod: PodSpec<'a>,
    pub node: &'a Node,
    pub init: bool,
}

impl<'a> Container<'a> {
    pub fn name(&self) -> Option<&'a str> {
        self.node.get("name")?.as_str()
    }

    /// The `name:` value, where absence findings about the container anchor (the item itself
    /// when it has no name).
    pub fn anchor(&self) -> &'a Node {
        self.node.get("name").unwrap_or(self.node)
    }

    pub fn workload(&self) -> Workload<'a> {
        self.pod.workload
    }

    /// `Deployment/api › container api`; init containers say `init container`.
    pub fn logical(&self) -> String {
        let what = if self.init {
            "init container"
        } else {
            "container"
        };
        format!(
            "{}{PATH_SEPARATOR}{what} {}",
            self.pod.workload.object.logical(),
            self.name().unwrap_or("(unnamed)")
        )
    }

    pub fn image(&self) -> Option<&'a Node> {
        self.node.get("image")
    }

    pub fn command(&self) -> Option<&'a Node> {
        self.node.get("command")
    }

    pub fn args(&self) -> Option<&'a Node> {
        self.node.get("args")
    }

    /// A native sidecar: an init container with `restartPolicy: Always`.
    pub fn is_sidecar(&self) -> bool {
        self.init && self.node.get("restartPolicy").and_then(Node::as_str) == Some("Always")
    }

    pub fn ports(&self) -> Vec<ContainerPort<'a>> {
        items(self.node.get("ports"))
            .map(|node| ContainerPort { node })
            .collect()
    }

    pub fn env(&self) -> Vec<EnvVar<'a>> {
        items(self.node.get("env"))
            .map(|node| EnvVar { node })
            .collect()
    }

    pub fn env_from(&self) -> Vec<EnvFrom<'a>> {
        items(self.node.get("envFrom"))
            .map(|node| EnvFrom { node })
            .collect()
    }

    pub fn liveness_probe(&self) -> Option<Probe<'a>> {
        self.probe("livenessProbe")
    }

    pub fn readiness_probe(&self) -> Option<Probe<'a>> {
        self.probe("readinessProbe")
    }

    pub fn startup_probe(&self) -> Option<Probe<'a>> {
        self.probe("startupProbe")
    }

    fn probe(&self, key: &str) -> Option<Probe<'a>> {
        let (key, node) = self.node.get_entry(key)?;
        node.as_map()?;
        Some(Probe { key, node })
    }

    pub fn resources(&self) -> Resources<'a> {
        Resources {
            node: self.node.get("resources"),
        }
    }

    /// The container-level `securityContext`.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.node.get("securityContext")
    }

    pub fn volume_mounts(&self) -> Vec<VolumeMount<'a>> {
        items(self.node.get("volumeMounts"))
            .map(|node| VolumeMount { node })
            .collect()
    }
}

/// A `ports` item of a container.
#[derive(Clone, Copy, Debug)]
pub struct ContainerPort<'a> {
    pub node: &'a Node,
}

impl<'a> ContainerPort<'a> {
    pub fn container_port(&self) -> Option<&'a Node> {
        self.node.get("containerPort")
    }

    pub fn number(&self) -> Option<i64> {
        self.container_port()?.as_i64()
    }

    pub fn name(&self) -> Option<&'a str> {
        self.node.get("name")?.as_str()
    }

    pub fn protocol(&self) -> Option<&'a str> {
        self.node.get("protocol")?.as_str()
    }
}

/// An `env` item.
#[derive(Clone, Copy, Debug)]
pub struct EnvVar<'a> {
    pub node: &'a Node,
}

/// Where an env var's value comes from.
#[derive(Clone, Copy, Debug)]
pub enum EnvSource<'a> {
    /// `value:` (the node; a null node when written `value:` with nothing).
    Literal(&'a Node),
    SecretKeyRef {
        name: Option<&'a Node>,
        key: Option<&'a Node>,
    },
    ConfigMapKeyRef {
        name: Option<&'a Node>,
        key: Option<&'a Node>,
    },
    /// `fieldRef`, `resourceFieldRef` or anything else under `valueFrom`.
    Other(&'a Node),
    /// Neither `value` nor `valueFrom`: the variable is set to the empty string.
    Empty,
}

impl<'a> EnvVar<'a> {
    pub fn name(&self) -> Option<&'a str> {
        self.node.get("name")?.as_str()
    }

    pub fn name_node(&self) -> Option<&'a Node> {
        self.node.get("name")
    }

    pub fn source(&self) -> EnvSource<'a> {
        if let Some(from) = self.node.get("valueFrom") {
            let reference = |key| {
                from.get(key)
                    .map(|r: &'a Node| (r.get("name"), r.get("key")))
            };
            if let Some((name, key)) = reference("secretKeyRef") {
                return EnvSource::SecretKeyRef { name, key };
            }
            if let Some((name, key)) = reference("configMapKeyRef") {
                return EnvSource::ConfigMapKeyRef { name, key };
            }
            return EnvSource::Other(from);
        }
        match self.node.get("value") {
            Some(value) => EnvSource::Literal(value),
            None => EnvSource::Empty,
        }
    }
}

/// An `envFrom` item.
#[derive(Clone, Copy, Debug)]
pub struct EnvFrom<'a> {
    pub node: &'a Node,
}

impl<'a> EnvFrom<'a> {
    pub fn config_map(&self) -> Option<&'a Node> {
        self.node.get("configMapRef")?.get("name")
    }

    pub fn secret(&self) -> Option<&'a Node> {
        self.node.get("secretRef")?.get("name")
    }

    pub fn prefix(&self) -> Option<&'a str> {
        self.node.get("prefix")?.as_str()
    }
}

/// A liveness, readiness or startup probe.
#[derive(Clone, Copy, Debug)]
pub struct Probe<'a> {
    /// The `livenessProbe:` (…) key.
    pub key: &'a Node,
    pub node: &'a Node,
}

/// What a probe does.
#[derive(Clone, Copy, Debug)]
pub enum ProbeAction<'a> {
    HttpGet {
        node: &'a Node,
        path: Option<&'a Node>,
        port: Option<&'a Node>,
    },
    TcpSocket {
        node: &'a Node,
        port: Option<&'a Node>,
    },
    Grpc {
        node: &'a Node,
        port: Option<&'a Node>,
    },
    Exec {
        node: &'a Node,
        command: Option<&'a Node>,
    },
    None,
}

impl<'a> Probe<'a> {
    pub fn action(&self) -> ProbeAction<'a> {
        if let Some(node) = self.node.get("httpGet") {
            return ProbeAction::HttpGet {
                node,
                path: node.get("path"),
                port: node.get("port"),
            };
        }
        if let Some(node) = self.node.get("tcpSocket") {
            return ProbeAction::TcpSocket {
                node,
                port: node.get("port"),
            };
        }
        if let Some(node) = self.node.get("grpc") {
            return ProbeAction::Grpc {
                node,
                port: node.get("port"),
            };
        }
        if let Some(node) = self.node.get("exec") {
            return ProbeAction::Exec {
                node,
                command: node.get("command"),
            };
        }
        ProbeAction::None
    }
}

/// A container's `resources`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resources<'a> {
    pub node: Option<&'a Node>,
}

impl<'a> Resources<'a> {
    /// `requests.<resource>`, when set to something.
    pub fn request(&self, resource: &str) -> Option<&'a Node> {
        self.node?
            .get("requests")?
            .get(resource)
            .filter(|n| !n.is_null())
    }

    /// `limits.<resource>`, when set to something.
    pub fn limit(&self, resource: &str) -> Option<&'a Node> {
        self.node?
            .get("limits")?
            .get(resource)
            .filter(|n| !n.is_null())
    }
}

/// A `volumeMounts` item.
#[derive(Clone, Copy, Debug)]
pub struct VolumeMount<'a> {
    pub node: &'a Node,
}

impl<'a> VolumeMount<'a> {
    pub fn name(&self) -> Option<&'a str> {
        self.node.get("name")?.as_str()
    }

    pub fn mount_path(&self) -> Option<&'a Node> {
        self.node.get("mountPath")
    }

    pub fn read_only(&self) -> bool {
        self.node.get("readOnly").and_then(Node::as_bool) == Some(true)
    }
}

/// A `volumes` item of a pod spec.
#[derive(Clone, Copy, Debug)]
pub struct Volume<'a> {
    pub node: &'a Node,
}

/// What backs a volume.
#[derive(Clone, Copy, Debug)]
pub enum VolumeSource<'a> {
    /// `hostPath:` key, and its `path` value.
    HostPath {
        key: &'a Node,
        path: Option<&'a Node>,
    },
    /// `persistentVolumeClaim.claimName` value.
    Claim {
        claim_name: &'a Node,
        read_only: bool,
    },
    EmptyDir,
    ConfigMap,
    Secret,
    Other,
}

impl<'a> Volume<'a> {
    pub fn name(&self) -> Option<&'a str> {
        self.node.get("name")?.as_str()
    }

    pub fn source(&self) -> VolumeSource<'a> {
        if let Some((key, value)) = self.node.get_entry("hostPath") {
            return VolumeSource::HostPath {
                key,
                path: value.get("path"),
            };
        }
        if let Some(claim) = self.node.get("persistentVolumeClaim") {
            if let Some(claim_name) = claim.get("claimName") {
                return VolumeSource::Claim {
                    claim_name,
                    read_only: claim.get("readOnly").and_then(Node::as_bool) == Some(true),
                };
            }
            return VolumeSource::Other;
        }
        if self.node.get("emptyDir").is_some() {
            VolumeSource::EmptyDir
        } else if self.node.get("configMap").is_some() {
            VolumeSource::ConfigMap
        } else if self.node.get("secret").is_some() {
            VolumeSource::Secret
        } else {
            VolumeSource::Other
        }
    }
}

/// A Service.
#[derive(Clone, Copy, Debug)]
pub struct Service<'a> {
    pub object: Object<'a>,
}

impl<'a> Service<'a> {
    /// `spec.selector`, as (label, value node). Empty for a Service without a selector (one
    /// backed by hand-made Endpoints, or `ExternalName`).
    pub fn selector(&self) -> Vec<(&'a str, &'a Node)> {
        string_map(self.object.spec().and_then(|s| s.get("selector")))
    }

    pub fn selector_node(&self) -> Option<&'a Node> {
        self.object.spec()?.get("selector")
    }

    pub fn ports(&self) -> Vec<ServicePort<'a>> {
        items(self.object.spec().and_then(|s| s.get("ports")))
            .map(|node| ServicePort { node })
            .collect()
    }

    pub fn session_affinity(&self) -> Option<&'a Node> {
        self.object.spec()?.get("sessionAffinity")
    }

    /// Whether the Service selects the pods of `workload`: a non-empty selector whose every
    /// label the pod template carries, in the same namespace (or one left unset).
    pub fn selects(&self, workload: &Workload<'_>) -> bool {
        let selector = self.selector();
        if selector.is_empty() || !same_namespace(&self.object, &workload.object) {
            return false;
        }
        let labels = workload.pod_labels();
        selector.iter().all(|(key, value)| {
            labels
                .iter()
                .any(|(k, v)| k == key && scalar_text(v) == scalar_text(value))
        })
    }
}

/// A `ports` item of a Service.
#[derive(Clone, Copy, Debug)]
pub struct ServicePort<'a> {
    pub node: &'a Node,
}

impl<'a> ServicePort<'a> {
    pub fn port(&self) -> Option<&'a Node> {
        self.node.get("port")
    }

    /// `targetPort`: a number or a container port's name. Absent means the same as `port`.
    pub fn target_port(&self) -> Option<&'a Node> {
        self.node.get("targetPort")
    }

    pub fn name(&self) -> Option<&'a str> {
        self.node.get("name")?.as_str()
    }

    /// Whether this port sends traffic to `port` of a container.
    pub fn targets(&self, port: &ContainerPort<'_>) -> bool {
        match self.target_port().or(self.port()) {
            Some(target) => match (&target.value, port.number(), port.name()) {
                (Value::Int(number), Some(container), _) => *number == container,
                (Value::String(name), _, Some(container)) => name == container,
                _ => false,
            },
            None => false,
        }
    }
}

/// A HorizontalPodAutoscaler or KEDA ScaledObject.
#[derive(Clone, Copy, Debug)]
pub struct Autoscaler<'a> {
    pub object: Object<'a>,
}

impl<'a> Autoscaler<'a> {
    /// `spec.scaleTargetRef` kind and name (a KEDA target without `kind` is a Deployment).
    pub fn target(&self) -> Option<(&'a str, &'a str)> {
        let target = self.object.spec()?.get("scaleTargetRef")?;
        let kind = match target.get("kind") {
            Some(kind) => kind.as_str()?,
            None => "Deployment",
        };
        Some((kind, target.get("name")?.as_str()?))
    }

    pub fn max_replicas(&self) -> Option<i64> {
        let spec = self.object.spec()?;
        spec.get("maxReplicas")
            .or_else(|| spec.get("maxReplicaCount"))?
            .as_i64()
    }

    pub fn min_replicas(&self) -> Option<i64> {
        let spec = self.object.spec()?;
        spec.get("minReplicas")
            .or_else(|| spec.get("minReplicaCount"))?
            .as_i64()
    }

    pub fn targets(&self, object: &Object<'_>) -> bool {
        self.target()
            .is_some_and(|(kind, name)| kind == object.kind() && name == object.name())
            && same_namespace(&self.object, object)
    }
}

/// Two objects may be in the same namespace: equal, or either left unset (applied with a
/// namespace given elsewhere, by kustomize or `kubectl -n`).
pub fn same_namespace(a: &Object<'_>, b: &Object<'_>) -> bool {
    match (a.namespace(), b.namespace()) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// Where a string scalar's value starts in `text`, when the text between its quotes is the
/// value itself (no escapes, no folded lines), so spans inside the value can be computed.
pub fn content_start(node: &Node, value: &str, text: &str) -> Option<usize> {
    let raw = node.text(text);
    let (inner, start) = match node.style {
        Style::Plain => (raw, node.span.start),
        Style::SingleQuoted | Style::DoubleQuoted => {
            (raw.get(1..raw.len().checked_sub(1)?)?, node.span.start + 1)
        }
        _ => return None,
    };
    (inner == value).then_some(start)
}

/// The span of `range` of a scalar's value, or the whole node when the value's text is not
/// its source text.
pub fn span_within(node: &Node, value: &str, range: std::ops::Range<usize>, text: &str) -> Span {
    match content_start(node, value, text) {
        Some(start) => Span::new(start + range.start, start + range.end),
        None => span(node),
    }
}

/// A scalar's value as text (`8080`, `true`, `api`), for comparing labels and ports.
pub fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

fn items(node: Option<&Node>) -> impl Iterator<Item = &Node> {
    node.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|item| item.as_map().is_some())
}

fn strings(node: Option<&Node>) -> Vec<&Node> {
    node.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|item| item.as_str().is_some())
        .collect()
}

fn string_map(node: Option<&Node>) -> Vec<(&str, &Node)> {
    node.and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?, v)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The cluster: every object of the run, and the kustomize patches that change them.

/// What kustomize changes about objects defined elsewhere.
#[derive(Debug, Default)]
pub struct Overlays {
    /// Strategic-merge patches given inline in a kustomization (their spans are meaningless:
    /// they point into the patch string, not a file).
    pub inline_patches: Vec<Node>,
    pub json_patches: Vec<JsonPatch>,
    /// `replicas:` entries of kustomizations: (name, count).
    pub replicas: Vec<(String, i64)>,
    /// `images:` entries of kustomizations.
    pub images: Vec<ImageOverride>,
}

/// A kustomization `images:` entry: kustomize rewrites every image named `name` (without its
/// tag) to `new_name`, `new_tag` and `digest`.
#[derive(Debug, Clone, Default)]
pub struct ImageOverride {
    pub name: String,
    pub new_name: Option<String>,
    pub new_tag: Option<String>,
    pub digest: Option<String>,
}

/// A JSON 6902 patch and the objects it targets.
#[derive(Debug, Clone)]
pub struct JsonPatch {
    pub kind: Option<String>,
    pub name: Option<String>,
    /// (op, path, value).
    pub operations: Vec<(String, String, Option<Node>)>,
}

impl JsonPatch {
    fn targets(&self, object: &Object<'_>) -> bool {
        self.kind.as_deref().is_none_or(|k| k == object.kind())
            && self.name.as_deref().is_none_or(|n| n == object.name())
    }
}

/// Every Kubernetes object of the run, for rules that need to see past one file: which
/// Services select a workload, which autoscaler scales it, what a claim allows, what kustomize
/// patches change.
#[derive(Debug, Default)]
pub struct Cluster {
    files: Vec<Arc<KubernetesFile>>,
    overlays: Overlays,
    /// Complete objects by kind, as (file, object of the file): a workload's Services,
    /// autoscalers, claims and limit ranges are found without scanning every object, so a
    /// run stays linear in the number of objects.
    by_kind: HashMap<String, Vec<(usize, usize)>>,
    /// Kustomize patch objects by kind and name.
    patches: HashMap<(String, String), Vec<(usize, usize)>>,
}

impl Cluster {
    pub fn new(files: Vec<Arc<KubernetesFile>>, overlays: Overlays) -> Cluster {
        let mut by_kind: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        let mut patches: HashMap<(String, String), Vec<(usize, usize)>> = HashMap::new();
        for (file_index, file) in files.iter().enumerate() {
            for index in 0..file.objects.len() {
                let Some(object) = file.object(index) else {
                    continue;
                };
                let kind = object.kind().to_string();
                if object.is_patch() {
                    let name = object.name().to_string();
                    patches
                        .entry((kind, name))
                        .or_default()
                        .push((file_index, index));
                } else {
                    by_kind.entry(kind).or_default().push((file_index, index));
                }
            }
        }
        Cluster {
            files,
            overlays,
            by_kind,
            patches,
        }
    }

    /// Complete objects of the given kinds, in file order.
    fn objects_of_kind(&self, kinds: &[&str]) -> impl Iterator<Item = Object<'_>> {
        let mut places: Vec<(usize, usize)> = kinds
            .iter()
            .filter_map(|kind| self.by_kind.get(*kind))
            .flatten()
            .copied()
            .collect();
        places.sort_unstable();
        places
            .into_iter()
            .filter_map(|(file, index)| self.files[file].object(index))
    }

    pub fn files(&self) -> &[Arc<KubernetesFile>] {
        &self.files
    }

    /// Complete objects of every file.
    pub fn objects(&self) -> impl Iterator<Item = Object<'_>> {
        self.files.iter().flat_map(|file| file.objects())
    }

    /// The `images:` entries of every kustomization of the run.
    pub fn image_overrides(&self) -> &[ImageOverride] {
        &self.overlays.images
    }

    /// Services that select the pods of `workload`.
    pub fn services_selecting(&self, workload: &Workload<'_>) -> Vec<Service<'_>> {
        self.objects_of_kind(&["Service"])
            .filter_map(|o| o.service())
            .filter(|service| service.selects(workload))
            .collect()
    }

    /// Autoscalers whose target is `object`.
    pub fn autoscalers_of(&self, object: &Object<'_>) -> Vec<Autoscaler<'_>> {
        self.objects_of_kind(&["HorizontalPodAutoscaler", "ScaledObject"])
            .filter_map(|o| o.autoscaler())
            .filter(|autoscaler| autoscaler.targets(object))
            .collect()
    }

    /// The PersistentVolumeClaim named `name` in the namespace of `near`.
    pub fn claim(&self, name: &str, near: &Object<'_>) -> Option<Object<'_>> {
        self.objects_of_kind(&["PersistentVolumeClaim"])
            .find(|o| o.name() == name && same_namespace(o, near))
    }

    /// LimitRanges of `object`'s namespace: the same one written on both, or none on
    /// either (a default written on one object says nothing about objects elsewhere).
    pub fn limit_ranges(&self, near: &Object<'_>) -> Vec<Object<'_>> {
        self.objects_of_kind(&["LimitRange"])
            .filter(|o| o.namespace() == near.namespace())
            .collect()
    }

    /// Strategic-merge patches of the same kind and name as `object` (patch files and inline
    /// patches alike).
    pub fn patches_of<'c>(&'c self, object: &Object<'_>) -> Vec<&'c Node> {
        let same = |node: &Node| {
            node.get("kind").and_then(Node::as_str) == Some(object.kind())
                && node.path(&["metadata", "name"]).and_then(Node::as_str) == Some(object.name())
        };
        let key = (object.kind().to_string(), object.name().to_string());
        self.patches
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|&(file, index)| self.files[file].object(index))
            .map(|o| o.node)
            .filter(|node| same(node))
            .chain(
                self.overlays
                    .inline_patches
                    .iter()
                    .filter(|node| same(node)),
            )
            .collect()
    }

    /// JSON 6902 patches that target `object`.
    pub fn json_patches_of(&self, object: &Object<'_>) -> Vec<&JsonPatch> {
        self.overlays
            .json_patches
            .iter()
            .filter(|patch| patch.targets(object))
            .collect()
    }

    /// The replica counts kustomize sets for `object`: `replicas:` entries, patched
    /// `spec.replicas` values and JSON patches of `/spec/replicas`.
    pub fn patched_replicas(&self, object: &Object<'_>) -> Vec<i64> {
        let mut counts: Vec<i64> = self
            .overlays
            .replicas
            .iter()
            .filter(|(name, _)| name == object.name())
            .map(|(_, count)| *count)
            .collect();
        counts.extend(
            self.patches_of(object)
                .iter()
                .filter_map(|patch| patch.path(&["spec", "replicas"])?.as_i64()),
        );
        for patch in self.json_patches_of(object) {
            for (op, path, value) in &patch.operations {
                if op != "remove" && path == "/spec/replicas" {
                    counts.extend(value.as_ref().and_then(Node::as_i64));
                }
            }
        }
        counts
    }

    /// The most pods a replicated workload runs, as far as the manifests say: the largest of
    /// its `replicas`, the counts kustomize patches set, and its autoscalers' maximum.
    /// Kubernetes defaults `replicas` to 1.
    pub fn max_replicas(&self, workload: &Workload<'_>) -> i64 {
        let written = workload
            .replicas()
            .and_then(|(_, value)| value.as_i64())
            .unwrap_or(1);
        let patched = self.patched_replicas(&workload.object).into_iter().max();
        let scaled = self
            .autoscalers_of(&workload.object)
            .iter()
            .filter_map(|a| a.max_replicas())
            .max();
        [Some(written), patched, scaled]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(1)
    }

    /// The containers named like `container` in patches of its workload, so a rule can see
    /// what an overlay adds (resources, probes).
    pub fn patched_containers<'c>(&'c self, container: &Container<'_>) -> Vec<&'c Node> {
        let Some(name) = container.name() else {
            return Vec::new();
        };
        let workload = container.workload();
        let key = if container.init {
            "initContainers"
        } else {
            "containers"
        };
        let pod_spec_path: &[&str] = match workload.kind {
            WorkloadKind::Pod => &["spec"],
            WorkloadKind::CronJob => &["spec", "jobTemplate", "spec", "template", "spec"],
            _ => &["spec", "template", "spec"],
        };
        self.patches_of(&workload.object)
            .into_iter()
            .filter_map(|patch| patch.path(pod_spec_path)?.get(key)?.as_seq())
            .flatten()
            .filter(|c| c.get("name").and_then(Node::as_str) == Some(name))
            .collect()
    }

    /// Whether a JSON patch of the container's workload touches a path that contains
    /// `segment` (`/resources`, `/livenessProbe`): what it sets cannot be matched to one
    /// container reliably, so rules take it as set.
    pub fn json_patched(&self, object: &Object<'_>, segment: &str) -> bool {
        self.json_patches_of(object).iter().any(|patch| {
            patch
                .operations
                .iter()
                .any(|(op, path, _)| op != "remove" && path.contains(segment))
        })
    }

    /// Whether a container, or a patch of it, sets `key` (`resources`, `livenessProbe`).
    pub fn container_sets(&self, container: &Container<'_>, key: &str) -> bool {
        container.node.get(key).is_some_and(|n| !n.is_null()) || self.patch_sets(container, key)
    }

    /// Whether a kustomize patch of the container's workload sets `key` for it.
    pub fn patch_sets(&self, container: &Container<'_>, key: &str) -> bool {
        self.patched_containers(container)
            .iter()
            .any(|c| c.get(key).is_some_and(|n| !n.is_null()))
            || self.json_patched(&container.workload().object, &format!("/{key}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;
    use crate::source::yaml;
    use std::path::PathBuf;

    pub(crate) fn file(text: &str) -> KubernetesFile {
        let source = Arc::new(SourceFile::new(
            Arc::new(PathBuf::from("deploy/app.yaml")),
            PathBuf::from("/deploy/app.yaml"),
            FileKind::Yaml,
            text.to_string(),
        ));
        let loaded = yaml::load(text);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        KubernetesFile::new(source, loaded.documents)
    }

    const MANIFEST: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels:
        app: api
        tier: web
    spec:
      initContainers:
        - name: migrate
          image: api:1.0
          command: [\"/app/migrate\"]
      containers:
        - name: api
          image: api:1.0
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: db, key: password}
            - name: MODE
              value: fast
          readinessProbe:
            httpGet: {path: /ready, port: http}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
          volumeMounts:
            - name: data
              mountPath: /data
      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: api-data
        - name: logs
          hostPath:
            path: /var/log
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: api
    spec:
      selector:
        app: api
      ports:
        - port: 80
          targetPort: http
  - apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata:
      name: api
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
      minReplicas: 2
      maxReplicas: 10
";

    #[test]
    fn objects_of_documents_and_lists() {
        let file = file(MANIFEST);
        let logical: Vec<String> = file.objects().map(|o| o.logical()).collect();
        assert_eq!(
            logical,
            [
                "Deployment/api",
                "Service/api",
                "HorizontalPodAutoscaler/api"
            ]
        );
    }

    #[test]
    fn workload_pod_template_and_containers() {
        let file = file(MANIFEST);
        let deployment = file.objects().next().unwrap();
        let workload = deployment.workload().unwrap();
        assert_eq!(workload.kind, WorkloadKind::Deployment);
        assert_eq!(workload.replicas().unwrap().1.as_i64(), Some(3));
        let containers = workload.all_containers();
        assert_eq!(containers.len(), 2);
        assert!(containers[0].init);
        assert_eq!(
            containers[0].logical(),
            "Deployment/api › init container migrate"
        );
        let api = &containers[1];
        assert_eq!(api.logical(), "Deployment/api › container api");
        assert_eq!(file.text(api.anchor()), "api");
        assert_eq!(api.ports()[0].number(), Some(8080));
        let env = api.env();
        assert!(matches!(env[0].source(), EnvSource::SecretKeyRef { .. }));
        match env[1].source() {
            EnvSource::Literal(value) => assert_eq!(file.text(value), "fast"),
            other => panic!("{other:?}"),
        }
        let probe = api.readiness_probe().unwrap();
        assert_eq!(file.text(probe.key), "readinessProbe");
        match probe.action() {
            ProbeAction::HttpGet { path, .. } => assert_eq!(path.unwrap().as_str(), Some("/ready")),
            other => panic!("{other:?}"),
        }
        assert!(api.liveness_probe().is_none());
        assert!(api.resources().request("cpu").is_some());
        assert!(api.resources().limit("memory").is_none());
        let pod = workload.pod_spec().unwrap();
        assert!(matches!(
            pod.volume("data").unwrap().source(),
            VolumeSource::Claim { .. }
        ));
        match pod.volume("logs").unwrap().source() {
            VolumeSource::HostPath { key, path } => {
                assert_eq!(file.text(key), "hostPath");
                assert_eq!(path.unwrap().as_str(), Some("/var/log"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(api.volume_mounts()[0].name(), Some("data"));
    }

    #[test]
    fn services_and_autoscalers_link_to_workloads() {
        let file = Arc::new(file(MANIFEST));
        let cluster = Cluster::new(vec![file.clone()], Overlays::default());
        let deployment = file.objects().next().unwrap();
        let workload = deployment.workload().unwrap();
        let services = cluster.services_selecting(&workload);
        assert_eq!(services.len(), 1);
        let api = &workload.containers()[0];
        assert!(services[0].ports()[0].targets(&api.ports()[0]));
        let autoscalers = cluster.autoscalers_of(&deployment);
        assert_eq!(autoscalers[0].max_replicas(), Some(10));
    }

    #[test]
    fn cron_jobs_and_pods_have_pod_specs() {
        let file = file(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: job, image: 'j:1'}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: debug}\nspec:\n  containers: [{name: shell, image: 'busybox:1'}]\n",
        );
        let names: Vec<String> = file
            .objects()
            .flat_map(|o| o.workload().unwrap().containers())
            .map(|c| c.logical())
            .collect();
        assert_eq!(
            names,
            [
                "CronJob/nightly › container job",
                "Pod/debug › container shell"
            ]
        );
    }

    #[test]
    fn kustomizations_and_patches_are_not_complete_objects() {
        let file = file(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gone}\n$patch: delete\n",
        );
        assert_eq!(file.objects().count(), 0);
        assert_eq!(file.all_objects().count(), 1);
    }
}
