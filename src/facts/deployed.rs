//! What a service meets where it runs. For each place the service model says a service runs —
//! the image a Dockerfile builds, a Kubernetes container (as written, or with a kustomize
//! patch applied), a compose service — this module tells what the environment sets there
//! (env, `envFrom` ConfigMaps, compose `env_file`, the image's `ENV`), which ports the files
//! declare for it (`EXPOSE`, `containerPort`, a Service's `targetPort`, probe ports, compose
//! `ports:`/`expose:`, health-check URLs) and which HTTP paths they probe. On the code side,
//! it lists the service's listen addresses and resolves their host and port in each of those
//! places: a port read from `PORT` with default 8080 listens on 3000 in a Deployment that sets
//! `PORT=3000`.
//!
//! Everything the files do not say for certain is *unknown*, never guessed: a value from a
//! Secret, a ConfigMap that is not in the tree, a compose variable passed through from the
//! shell, a `$(VAR)` reference.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Label, Span};
use crate::facts::docker;
use crate::facts::env::ReadKind;
use crate::facts::listen::{ListenAddress, Origin, Part};
use crate::facts::start_commands;
use crate::model::{Built, Service, image_name};
use crate::rule::{WorkspaceContext, WorkspaceReporter};
use crate::source::SourceFile;
use crate::source::compose::ComposeService;
use crate::source::dockerfile::{Dockerfile, Word};
use crate::source::kubernetes::{Container, Object, WorkloadKind, same_namespace, span};
use crate::source::rust::CodeRole;
use crate::source::yaml::{Node, Value};

/// A place in a file, for a finding or a label.
#[derive(Clone, Debug)]
pub struct Spot {
    pub file: Arc<SourceFile>,
    pub span: Span,
}

impl Spot {
    pub fn new(file: &Arc<SourceFile>, span: Span) -> Spot {
        Spot {
            file: file.clone(),
            span,
        }
    }

    fn node(file: &Arc<SourceFile>, node: &Node) -> Spot {
        Spot::new(file, span(node))
    }

    pub fn label(&self, message: impl Into<String>) -> Label {
        Label {
            location: self.file.location(self.span),
            message: message.into(),
        }
    }

    /// Whether two spots are the same place.
    pub fn same(&self, other: &Spot) -> bool {
        self.file.path == other.file.path && self.span == other.span
    }
}

// ---------------------------------------------------------------------------------------------
// Where a service runs.

/// How a service is run in one place.
pub enum RunnerKind<'a> {
    /// The image a Dockerfile builds, as `docker run` starts it.
    Image,
    /// A Kubernetes container; `patch` is the same container in a kustomize patch of its
    /// workload, applied over it.
    Container {
        container: Container<'a>,
        patch: Option<Container<'a>>,
    },
    /// A compose service.
    Compose(ComposeService<'a>),
}

/// One place a service runs, and the Dockerfile whose image it runs when the model knows it
/// (its `ENV` applies there too).
pub struct Runner<'m, 'a> {
    pub kind: RunnerKind<'a>,
    pub image: Option<&'m Built<'a>>,
}

/// Every place a service runs: its shipping Dockerfiles (those that build no other service),
/// its Kubernetes containers (and each kustomize patch of them), its compose services.
pub fn runners<'m, 'a>(service: &'m Service<'a>, cx: &WorkspaceContext<'a>) -> Vec<Runner<'m, 'a>> {
    let shipping: Vec<&'m Built<'a>> = service
        .dockerfiles
        .iter()
        .filter(|built| {
            built.dockerfile.errors.is_empty()
                && docker::shipping_stage(built.dockerfile).is_some()
                && !start_commands::is_development_dockerfile(&built.source.path)
        })
        .collect();
    let only_image = match shipping.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let mut out = Vec::new();
    for built in &shipping {
        let builders = cx
            .model()
            .services
            .iter()
            .filter(|s| {
                s.dockerfiles
                    .iter()
                    .any(|b| b.source.path == built.source.path)
            })
            .count();
        if builders == 1 {
            out.push(Runner {
                kind: RunnerKind::Image,
                image: Some(*built),
            });
        }
    }
    let binary = service.binary.as_ref().map(|b| b.name.as_str());
    for container in &service.containers {
        // Init containers and Jobs run to completion: not the server.
        if container.init && !container.is_sidecar()
            || matches!(
                container.workload().kind,
                WorkloadKind::Job | WorkloadKind::CronJob
            )
        {
            continue;
        }
        let text = &container.workload().object.file.source.text;
        let words = match start_commands::yaml_words(container.command(), text) {
            words if words.is_empty() => start_commands::yaml_words(container.args(), text),
            words => words,
        };
        if starts_other_binary(&words, binary, cx) {
            continue;
        }
        out.push(Runner {
            kind: RunnerKind::Container {
                container: *container,
                patch: None,
            },
            image: only_image,
        });
        for patch in patches_of(cx, container) {
            out.push(Runner {
                kind: RunnerKind::Container {
                    container: *container,
                    patch: Some(patch),
                },
                image: only_image,
            });
        }
    }
    for compose in &service.compose {
        let text = &compose.file.source.text;
        let words = match compose.get("entrypoint").or_else(|| compose.get("command")) {
            Some(node) if node.as_seq().is_some() => start_commands::yaml_words(Some(node), text),
            Some(node) => start_commands::yaml_word(node, text)
                .map(|word| shell_split(&word, text))
                .unwrap_or_default(),
            None => Vec::new(),
        };
        if starts_other_binary(&words, binary, cx) {
            continue;
        }
        let image = compose_dockerfile(compose, &service.dockerfiles).or(only_image);
        out.push(Runner {
            kind: RunnerKind::Compose(*compose),
            image,
        });
    }
    out
}

/// Whether a start command runs another binary of the workspace than `binary` (the same
/// image, started as its admin tool or worker).
fn starts_other_binary(words: &[Word], binary: Option<&str>, cx: &WorkspaceContext<'_>) -> bool {
    let (_, words) = start_commands::strip_init(words);
    let (Some(program), Some(binary)) = (words.first(), binary) else {
        return false;
    };
    let name = docker::basename(&program.text);
    name != binary
        && cx.workspace.packages.iter().any(|p| {
            p.targets
                .iter()
                .any(|t| t.name == name && t.kinds.iter().any(|k| k == "bin"))
        })
}

/// The same container in the kustomize patch files of its workload.
fn patches_of<'a>(cx: &WorkspaceContext<'a>, container: &Container<'a>) -> Vec<Container<'a>> {
    let workload = container.workload();
    let Some(name) = container.name() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for file in cx.deployment.cluster.files() {
        for object in file.all_objects().filter(Object::is_patch) {
            if object.kind() != workload.object.kind()
                || object.name() != workload.object.name()
                || !same_namespace(&object, &workload.object)
            {
                continue;
            }
            let Some(patched) = object.workload() else {
                continue;
            };
            out.extend(
                patched
                    .all_containers()
                    .into_iter()
                    .filter(|c| c.init == container.init && c.name() == Some(name)),
            );
        }
    }
    out
}

/// The Dockerfile a compose service's `build:` names, among the service's.
fn compose_dockerfile<'m, 'a>(
    compose: &ComposeService<'a>,
    dockerfiles: &'m [Built<'a>],
) -> Option<&'m Built<'a>> {
    let wanted = compose.dockerfile_path()?;
    dockerfiles
        .iter()
        .find(|built| built.source.path.as_path() == wanted)
}

impl<'a> Runner<'_, 'a> {
    /// `the image of docker/Dockerfile`, `container orders of Deployment/orders`, `compose
    /// service orders`.
    pub fn describe(&self) -> String {
        match &self.kind {
            RunnerKind::Image => format!(
                "the image `{}` builds",
                self.image
                    .map_or(String::new(), |b| b.source.path.display().to_string())
            ),
            RunnerKind::Container { container, patch } => {
                let base = format!(
                    "container `{}` of {}/{}",
                    container.name().unwrap_or("(unnamed)"),
                    container.workload().object.kind(),
                    container.workload().object.name()
                );
                match patch {
                    Some(patch) => format!(
                        "{base} as patched by {}",
                        patch.workload().object.file.path().display()
                    ),
                    None => base,
                }
            }
            RunnerKind::Compose(service) => format!(
                "compose service `{}` ({})",
                service.name,
                service.file.path().display()
            ),
        }
    }

    /// Whether the runner shares the host's network (compose `network_mode: host`): its
    /// loopback is the host's, and `ports:` are not used.
    pub fn host_network(&self) -> bool {
        match &self.kind {
            RunnerKind::Compose(service) => service
                .get("network_mode")
                .and_then(Node::as_str)
                .is_some_and(|mode| mode == "host"),
            _ => false,
        }
    }

    /// Where the runner is named: the final `FROM`, the container's `name:` (in the patch when
    /// patched), the compose service's key.
    pub fn anchor(&self) -> Option<Spot> {
        match &self.kind {
            RunnerKind::Image => {
                let built = self.image?;
                let stage = docker::shipping_stage(built.dockerfile)?;
                Some(Spot::new(built.source, Span::from(stage.span.clone())))
            }
            RunnerKind::Container { container, patch } => {
                let shown = patch.as_ref().unwrap_or(container);
                Some(Spot::node(
                    &shown.workload().object.file.source,
                    shown.anchor(),
                ))
            }
            RunnerKind::Compose(service) => Some(Spot::node(&service.file.source, service.key)),
        }
    }

    pub fn is_image(&self) -> bool {
        matches!(self.kind, RunnerKind::Image)
    }

    /// Whether the runner passes command-line arguments to the program (`args:`, compose
    /// `command:`), which may override what the code reads from its own arguments.
    pub fn passes_arguments(&self) -> bool {
        match &self.kind {
            RunnerKind::Image => self.image.is_some_and(|built| {
                docker::shipping_stage(built.dockerfile).is_some_and(|stage| {
                    built
                        .dockerfile
                        .stage_instructions(stage)
                        .iter()
                        .any(|i| i.keyword == "CMD")
                })
            }),
            RunnerKind::Container { container, patch } => [Some(container), patch.as_ref()]
                .into_iter()
                .flatten()
                .any(|c| c.args().is_some() || c.command().is_some()),
            RunnerKind::Compose(service) => {
                service.get("command").is_some() || service.get("entrypoint").is_some()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Environment.

/// What a runner sets an environment variable to.
#[derive(Clone, Debug)]
pub enum Setting {
    /// Nothing sets it: the code's default applies.
    Unset,
    Value {
        value: String,
        /// Where the value is written.
        spot: Spot,
        /// `the Deployment`, `ConfigMap orders-config`, `the Dockerfile's ENV`…
        by: String,
    },
    /// Something may set it to a value the files do not show (a Secret, a ConfigMap that is
    /// not in the tree, a variable passed through from the shell).
    Unknown,
}

impl Runner<'_, '_> {
    /// What this runner sets `var` to: the container's `env` (the patch's first), its
    /// `envFrom` ConfigMaps, compose `environment:` and `env_file:`, then the image's `ENV`.
    pub fn env(
        &self,
        var: &str,
        cx: &WorkspaceContext<'_>,
        out: &mut WorkspaceReporter,
    ) -> Setting {
        let set = match &self.kind {
            RunnerKind::Image => Setting::Unset,
            RunnerKind::Container { container, patch } => {
                container_env(var, container, patch.as_ref(), cx)
            }
            RunnerKind::Compose(service) => compose_env(var, service, cx, out),
        };
        match set {
            Setting::Unset => match self.image {
                Some(built) => image_env(var, built),
                None => Setting::Unset,
            },
            other => other,
        }
    }
}

fn container_env(
    var: &str,
    container: &Container<'_>,
    patch: Option<&Container<'_>>,
    cx: &WorkspaceContext<'_>,
) -> Setting {
    // `env` wins over `envFrom`; a patch's entry wins over the base's (merged by name).
    for layer in patch.into_iter().chain([container]) {
        let source = &layer.workload().object.file.source;
        if let Some(entry) = layer
            .env()
            .into_iter()
            .rev()
            .find(|e| e.name() == Some(var))
        {
            return match entry.source() {
                crate::source::kubernetes::EnvSource::Literal(node) => {
                    match crate::source::kubernetes::scalar_text(node) {
                        Some(value) if !value.contains("$(") => Setting::Value {
                            value,
                            spot: Spot::node(source, node),
                            by: format!("the `env` of {}", layer.logical()),
                        },
                        None if node.is_null() => Setting::Value {
                            value: String::new(),
                            spot: Spot::node(source, node),
                            by: format!("the `env` of {}", layer.logical()),
                        },
                        _ => Setting::Unknown,
                    }
                }
                crate::source::kubernetes::EnvSource::ConfigMapKeyRef { name, key } => {
                    match (name.and_then(Node::as_str), key.and_then(Node::as_str)) {
                        (Some(name), Some(key)) => {
                            config_map_value(cx, container, name, key).unwrap_or(Setting::Unknown)
                        }
                        _ => Setting::Unknown,
                    }
                }
                crate::source::kubernetes::EnvSource::Empty => Setting::Value {
                    value: String::new(),
                    spot: Spot::node(source, entry.node),
                    by: format!("the `env` of {}", layer.logical()),
                },
                _ => Setting::Unknown,
            };
        }
    }
    // `envFrom` is a list without a merge key: a patch's list replaces the base's.
    let from_layer = patch
        .filter(|p| p.node.get("envFrom").is_some())
        .unwrap_or(container);
    for from in from_layer.env_from().into_iter().rev() {
        let prefix = from.prefix().unwrap_or("");
        let Some(key) = var.strip_prefix(prefix) else {
            continue;
        };
        if let Some(name) = from.config_map().and_then(Node::as_str) {
            match config_map_value(cx, container, name, key) {
                Some(setting) => return setting,
                // A ConfigMap that is not in the tree (generated, or applied elsewhere) may
                // hold anything.
                None if !config_map_exists(cx, container, name) => return Setting::Unknown,
                None => {}
            }
        } else if let Some(name) = from.secret().and_then(Node::as_str) {
            // Secrets hold credentials, not listen settings; one in the tree that has the key
            // sets it to a value this tool does not read.
            if secret_has_key(cx, container, name, key) {
                return Setting::Unknown;
            }
        }
    }
    Setting::Unset
}

fn config_maps<'c>(
    cx: &'c WorkspaceContext<'_>,
    container: &Container<'_>,
    name: &str,
) -> Vec<Object<'c>> {
    cx.deployment
        .cluster
        .objects()
        .filter(|o| {
            o.is("ConfigMap") && o.name() == name && same_namespace(o, &container.workload().object)
        })
        .collect()
}

fn config_map_exists(cx: &WorkspaceContext<'_>, container: &Container<'_>, name: &str) -> bool {
    !config_maps(cx, container, name).is_empty()
}

/// The value of `key` in the ConfigMap `name`: `None` when no ConfigMap of the tree has the
/// key (or there is no such ConfigMap); unknown when several disagree.
fn config_map_value(
    cx: &WorkspaceContext<'_>,
    container: &Container<'_>,
    name: &str,
    key: &str,
) -> Option<Setting> {
    let mut found: Vec<Setting> = Vec::new();
    for object in config_maps(cx, container, name) {
        for (k, value) in object.data() {
            if k.as_str() == Some(key)
                && let Some(text) = crate::source::kubernetes::scalar_text(value)
            {
                found.push(Setting::Value {
                    value: text,
                    spot: Spot::node(&object.file.source, value),
                    by: format!("ConfigMap `{name}`"),
                });
            }
        }
    }
    let first = found.first()?.clone();
    let agree = found.iter().all(|s| match (s, &first) {
        (Setting::Value { value: a, .. }, Setting::Value { value: b, .. }) => a == b,
        _ => false,
    });
    Some(if agree { first } else { Setting::Unknown })
}

fn secret_has_key(
    cx: &WorkspaceContext<'_>,
    container: &Container<'_>,
    name: &str,
    key: &str,
) -> bool {
    cx.deployment.cluster.objects().any(|o| {
        o.is("Secret")
            && o.name() == name
            && same_namespace(&o, &container.workload().object)
            && ["data", "stringData"].iter().any(|field| {
                o.node
                    .get(field)
                    .and_then(Node::as_map)
                    .is_some_and(|entries| entries.iter().any(|(k, _)| k.as_str() == Some(key)))
            })
    })
}

fn compose_env(
    var: &str,
    service: &ComposeService<'_>,
    cx: &WorkspaceContext<'_>,
    out: &mut WorkspaceReporter,
) -> Setting {
    // `docker-compose.override.yml` beside the file is merged over it by compose.
    let dir = service.file.path().parent().unwrap_or(Path::new(""));
    for file in cx.deployment.compose_files() {
        let is_override = file
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.to_ascii_lowercase().contains("override"));
        if !is_override
            || file.path() == service.file.path()
            || file.path().parent().unwrap_or(Path::new("")) != dir
        {
            continue;
        }
        if let Some(over) = file.service(service.name) {
            match own_env(var, &over, cx, out) {
                Setting::Unset => {}
                set => return set,
            }
        }
    }
    own_env(var, service, cx, out)
}

/// What a compose service's own `environment:` and `env_file:` set `var` to.
fn own_env(
    var: &str,
    service: &ComposeService<'_>,
    cx: &WorkspaceContext<'_>,
    out: &mut WorkspaceReporter,
) -> Setting {
    let source = &service.file.source;
    if let Some(entry) = service
        .environment()
        .into_iter()
        .rev()
        .find(|e| e.name == var)
    {
        let Some(value) = entry.value else {
            // `- PORT` or `PORT:`: passed through from the shell.
            return Setting::Unknown;
        };
        return match interpolate(&value) {
            Some(value) => Setting::Value {
                value,
                spot: Spot::new(source, entry.value_span.unwrap_or(entry.name_span)),
                by: format!("the `environment:` of compose service `{}`", service.name),
            },
            None => Setting::Unknown,
        };
    }
    let dir = source.path.parent().unwrap_or(Path::new(""));
    for node in service.env_files().into_iter().rev() {
        let Some(relative) = node.as_str() else {
            return Setting::Unknown;
        };
        let path = crate::source::normalize_path(&dir.join(relative));
        let Some(file) = out.open(cx.workspace, &path) else {
            return Setting::Unknown;
        };
        let parsed = crate::source::env_file::parse(&file.text);
        if let Some(entry) = parsed.entries.iter().rev().find(|e| e.key == var) {
            return match interpolate(&entry.value) {
                Some(value) => Setting::Value {
                    value,
                    spot: Spot::new(&file, entry.value_span),
                    by: format!("`{}`", path.display()),
                },
                None => Setting::Unknown,
            };
        }
    }
    Setting::Unset
}

/// A compose value with its `${VAR:-default}` interpolations replaced by their defaults;
/// `None` when a variable has none (its value comes from the shell or `.env`).
pub fn interpolate(value: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(index) = rest.find('$') {
        out.push_str(&rest[..index]);
        let after = &rest[index + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}')?;
            let expression = &inner[..end];
            let default = expression
                .split_once(":-")
                .or_else(|| expression.split_once('-'))
                .map(|(_, default)| default)?;
            if default.contains('$') {
                return None;
            }
            out.push_str(default);
            rest = &inner[end + 1..];
        } else {
            return None;
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The last `ENV` of the shipping stage (and the stages it builds on) that sets `var`.
fn image_env(var: &str, built: &Built<'_>) -> Setting {
    let Some(stage) = docker::shipping_stage(built.dockerfile) else {
        return Setting::Unset;
    };
    let chain = docker::stage_chain(built.dockerfile, stage);
    for (_, instruction) in docker::chain_instructions(built.dockerfile, &chain)
        .into_iter()
        .rev()
    {
        if instruction.keyword != "ENV" {
            continue;
        }
        if let Some(pair) = instruction
            .key_values()
            .into_iter()
            .rev()
            .find(|kv| kv.key == var)
        {
            return match pair.value {
                Some(value) if !value.contains('$') => Setting::Value {
                    value,
                    spot: Spot::new(built.source, Span::from(pair.value_span)),
                    by: format!("the `ENV` of `{}`", built.source.path.display()),
                },
                _ => Setting::Unknown,
            };
        }
    }
    Setting::Unset
}

// ---------------------------------------------------------------------------------------------
// Declared ports.

/// A port number or range, as declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ports {
    One(u16),
    Range(u16, u16),
}

impl Ports {
    pub fn contains(self, port: u16) -> bool {
        match self {
            Ports::One(p) => p == port,
            Ports::Range(a, b) => a <= port && port <= b,
        }
    }

    fn parse(text: &str) -> Option<Ports> {
        let text = text.trim();
        match text.split_once('-') {
            Some((a, b)) => Some(Ports::Range(a.trim().parse().ok()?, b.trim().parse().ok()?)),
            None => Some(Ports::One(text.parse().ok()?)),
        }
    }
}

impl std::fmt::Display for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ports::One(p) => write!(f, "{p}"),
            Ports::Range(a, b) => write!(f, "{a}-{b}"),
        }
    }
}

/// A port a deployment file declares for a service.
#[derive(Clone, Debug)]
pub struct DeclaredPort {
    pub ports: Ports,
    /// `EXPOSE 8080`, `containerPort: 8080`, `the readiness probe's port`…
    pub what: String,
    pub spot: Spot,
    /// `EXPOSE`, `containerPort`, `targetPort`, `probe`, `ports`, `expose` or `healthcheck`.
    pub kind: &'static str,
    /// `false` for a reference by name (`targetPort: http`, `port: http` in a probe) to a
    /// container port that is judged itself; such places are shown, not judged.
    pub independent: bool,
    /// A probe's or health check's port (these are reported once, by `port-mismatch`).
    pub probe: bool,
}

/// An HTTP health check of a service: a probe's `httpGet`, a `curl`/`wget` of a local URL in
/// an exec probe, a compose `healthcheck:` or a Dockerfile `HEALTHCHECK`.
#[derive(Clone, Debug)]
pub struct HttpProbe {
    /// `readiness probe`, `compose healthcheck`, `HEALTHCHECK`…
    pub what: String,
    pub path: String,
    pub path_spot: Spot,
    /// The port it requests, when the files say (a name resolved to its container port).
    pub port: Option<u16>,
}

impl Runner<'_, '_> {
    /// The ports the runner's files declare for the service.
    pub fn declared_ports(&self, cx: &WorkspaceContext<'_>) -> Vec<DeclaredPort> {
        let mut out = Vec::new();
        match &self.kind {
            RunnerKind::Image => {
                if let Some(built) = self.image {
                    image_ports(built, &mut out);
                }
            }
            RunnerKind::Container { container, patch } => {
                container_ports(container, patch.as_ref(), cx, &mut out)
            }
            RunnerKind::Compose(service) => compose_ports(service, self.host_network(), &mut out),
        }
        out
    }

    /// The HTTP health checks the runner's files make against the service.
    pub fn http_probes(&self) -> Vec<HttpProbe> {
        let mut out = Vec::new();
        match &self.kind {
            RunnerKind::Image => {
                if let Some(built) = self.image
                    && let Some(words) = image_healthcheck(built)
                {
                    out.extend(url_probe(&words, built.source, "the `HEALTHCHECK`"));
                }
            }
            RunnerKind::Container { container, patch } => {
                for (key, what) in PROBES {
                    if let Some(probe) = layered_probe(container, patch.as_ref(), key, what) {
                        out.extend(probe.http);
                    }
                }
            }
            RunnerKind::Compose(service) => {
                if let Some(words) = compose_healthcheck(service) {
                    out.extend(url_probe(
                        &words,
                        &service.file.source,
                        "the compose `healthcheck`",
                    ));
                }
            }
        }
        out
    }
}

const PROBES: [(&str, &str); 3] = [
    ("livenessProbe", "the liveness probe"),
    ("readinessProbe", "the readiness probe"),
    ("startupProbe", "the startup probe"),
];

fn image_ports(built: &Built<'_>, out: &mut Vec<DeclaredPort>) {
    let Some(stage) = docker::shipping_stage(built.dockerfile) else {
        return;
    };
    let chain = docker::stage_chain(built.dockerfile, stage);
    for (_, instruction) in docker::chain_instructions(built.dockerfile, &chain) {
        for port in instruction.ports() {
            if port
                .protocol
                .as_deref()
                .is_some_and(|p| !p.eq_ignore_ascii_case("tcp"))
            {
                continue;
            }
            let text = if port.port.contains('$') {
                match expand_env(built.dockerfile, &chain, &port.port) {
                    Some(text) => text,
                    None => continue,
                }
            } else {
                port.port.clone()
            };
            if let Some(ports) = Ports::parse(&text) {
                out.push(DeclaredPort {
                    ports,
                    what: format!("`EXPOSE {}`", port.port),
                    kind: "EXPOSE",
                    spot: Spot::new(built.source, Span::from(port.span.clone())),
                    independent: true,
                    probe: false,
                });
            }
        }
    }
    if let Some(words) = image_healthcheck(built) {
        out.extend(url_ports(&words, built.source, "the `HEALTHCHECK` URL"));
    }
}

/// `$PORT`/`${PORT}` in an `EXPOSE`, from an `ENV` or `ARG` default of the stages.
fn expand_env(
    dockerfile: &Dockerfile,
    chain: &[&crate::source::dockerfile::Stage],
    text: &str,
) -> Option<String> {
    let name = text
        .trim_start_matches('$')
        .trim_start_matches('{')
        .trim_end_matches('}');
    for (_, instruction) in docker::chain_instructions(dockerfile, chain)
        .into_iter()
        .rev()
    {
        if matches!(instruction.keyword.as_str(), "ENV" | "ARG")
            && let Some(pair) = instruction
                .key_values()
                .into_iter()
                .find(|kv| kv.key == name)
        {
            return pair.value.filter(|v| !v.contains('$'));
        }
    }
    dockerfile.global_arg(name).filter(|v| !v.contains('$'))
}

/// The command words of the shipping stage's last `HEALTHCHECK`.
fn image_healthcheck(built: &Built<'_>) -> Option<Vec<Word>> {
    let stage = docker::shipping_stage(built.dockerfile)?;
    let chain = docker::stage_chain(built.dockerfile, stage);
    let last = docker::chain_instructions(built.dockerfile, &chain)
        .into_iter()
        .rev()
        .find(|(_, i)| i.keyword == "HEALTHCHECK")?;
    match last.1.healthcheck()? {
        crate::source::dockerfile::Healthcheck::Cmd(args) => {
            Some(docker::commands(&args).into_iter().flatten().collect())
        }
        crate::source::dockerfile::Healthcheck::Disabled => None,
    }
}

/// The words of a compose `healthcheck: test:` (list or string form).
fn compose_healthcheck(service: &ComposeService<'_>) -> Option<Vec<Word>> {
    let healthcheck = service.healthcheck()?;
    if healthcheck.disabled {
        return None;
    }
    let test = healthcheck.test?;
    let text = &service.file.source.text;
    match &test.value {
        Value::Seq(_) => {
            let words = start_commands::yaml_words(Some(test), text);
            let (first, rest) = words.split_first()?;
            match first.text.as_str() {
                "CMD" => Some(rest.to_vec()),
                "CMD-SHELL" => {
                    let script = rest.first()?;
                    Some(shell_split(script, text))
                }
                _ => None,
            }
        }
        Value::String(_) => {
            let word = start_commands::yaml_word(test, text)?;
            Some(shell_split(&word, text))
        }
        _ => None,
    }
}

/// A shell string split into words, with exact spans when the word is written as is.
fn shell_split(word: &Word, text: &str) -> Vec<Word> {
    let exact = text.get(word.span.clone()) == Some(word.text.as_str());
    start_commands::split_string(&word.text, word.span.start, exact, word.span.clone())
}

/// A local URL a `curl`/`wget` in `words` requests.
struct LocalUrl {
    port: Option<u16>,
    port_span: Span,
    path: String,
    path_span: Span,
}

fn local_url(words: &[Word], text: &str) -> Option<LocalUrl> {
    let program = words
        .iter()
        .position(|w| matches!(docker::basename(&w.text), "curl" | "wget"))?;
    for word in &words[program + 1..] {
        let Some((scheme, rest)) = word.text.split_once("://") else {
            continue;
        };
        if !matches!(scheme, "http" | "https") {
            return None;
        }
        let (authority, path) = match rest.find('/') {
            Some(index) => (&rest[..index], &rest[index..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, Some(port)),
            _ => (authority, None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if !matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "::1" | "::") {
            return None;
        }
        let exact = text.get(word.span.clone()) == Some(word.text.as_str());
        let sub = |start: usize, len: usize| {
            if exact {
                Span::new(word.span.start + start, word.span.start + start + len)
            } else {
                Span::from(word.span.clone())
            }
        };
        let authority_start = scheme.len() + 3;
        let port_value = match port {
            Some(port) => port.parse::<u16>().ok(),
            None if scheme == "https" => Some(443),
            None => Some(80),
        };
        let port_span = match port {
            Some(port) => sub(authority_start + authority.len() - port.len(), port.len()),
            None => sub(authority_start, authority.len()),
        };
        let path_start = authority_start + authority.len();
        return Some(LocalUrl {
            port: port_value,
            port_span,
            path: path.to_string(),
            path_span: sub(path_start, word.text.len() - path_start),
        });
    }
    None
}

fn url_probe(words: &[Word], source: &Arc<SourceFile>, what: &str) -> Option<HttpProbe> {
    let url = local_url(words, &source.text)?;
    if url.path.contains('$') {
        return None;
    }
    Some(HttpProbe {
        what: what.to_string(),
        path: url.path,
        path_spot: Spot::new(source, url.path_span),
        port: url.port,
    })
}

fn url_ports(words: &[Word], source: &Arc<SourceFile>, what: &str) -> Option<DeclaredPort> {
    let url = local_url(words, &source.text)?;
    Some(DeclaredPort {
        ports: Ports::One(url.port?),
        what: what.to_string(),
        spot: Spot::new(source, url.port_span),
        kind: "healthcheck",
        independent: true,
        probe: true,
    })
}

/// A probe of a container with its patch applied over it.
struct LayeredProbe {
    port: Option<DeclaredPort>,
    http: Option<HttpProbe>,
}

/// The first node at `path` among the layers (the patch's first).
fn layered<'a>(
    layers: &[(&'a Node, &Arc<SourceFile>)],
    path: &[&str],
) -> Option<(&'a Node, Arc<SourceFile>)> {
    layers
        .iter()
        .find_map(|(node, source)| node.path(path).map(|n| (n, (*source).clone())))
}

fn layered_probe(
    container: &Container<'_>,
    patch: Option<&Container<'_>>,
    key: &str,
    what: &str,
) -> Option<LayeredProbe> {
    let layers: Vec<(&Node, &Arc<SourceFile>)> = patch
        .into_iter()
        .chain([container])
        .map(|c| (c.node, &c.workload().object.file.source))
        .collect();
    let ports = named_ports(container, patch);
    for action in ["httpGet", "tcpSocket", "grpc"] {
        let Some((_, _)) = layered(&layers, &[key, action]) else {
            continue;
        };
        if layered(&layers, &[key, action, "host"]).is_some() {
            return None;
        }
        let port =
            layered(&layers, &[key, action, "port"]).and_then(|(node, source)| match &node.value {
                Value::Int(number) => Some(DeclaredPort {
                    ports: Ports::One(u16::try_from(*number).ok()?),
                    what: format!("the port of {what}"),
                    kind: "probe",
                    spot: Spot::node(&source, node),
                    independent: true,
                    probe: true,
                }),
                Value::String(name) => {
                    let number = match name.parse::<u16>() {
                        Ok(number) => Some((number, true)),
                        Err(_) => ports
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|(_, number)| (*number, false)),
                    }?;
                    Some(DeclaredPort {
                        ports: Ports::One(number.0),
                        what: format!("the port of {what} (`{name}`)"),
                        kind: "probe",
                        spot: Spot::node(&source, node),
                        independent: number.1,
                        probe: true,
                    })
                }
                _ => None,
            });
        let http = if action == "httpGet" {
            layered(&layers, &[key, action, "path"]).and_then(|(node, source)| {
                let path = node.as_str()?.to_string();
                Some(HttpProbe {
                    what: what.to_string(),
                    path,
                    path_spot: Spot::node(&source, node),
                    port: port.as_ref().map(|p| match p.ports {
                        Ports::One(p) | Ports::Range(p, _) => p,
                    }),
                })
            })
        } else {
            None
        };
        return Some(LayeredProbe { port, http });
    }
    // `exec: command: [curl, -f, http://localhost:8080/health]`.
    let (command, source) = layered(&layers, &[key, "exec", "command"])?;
    let words = start_commands::yaml_words(Some(command), &source.text);
    let words: Vec<Word> = match words.as_slice() {
        [shell, flag, script] if docker::is_shell(&shell.text) && flag.text == "-c" => {
            shell_split(script, &source.text)
        }
        _ => words,
    };
    Some(LayeredProbe {
        port: url_ports(&words, &source, &format!("the URL {what} requests")),
        http: url_probe(&words, &source, what),
    })
}

/// The named ports of a container (and its patch): (name, number).
fn named_ports(container: &Container<'_>, patch: Option<&Container<'_>>) -> Vec<(String, u16)> {
    patch
        .into_iter()
        .chain([container])
        .flat_map(|c| c.ports())
        .filter_map(|p| Some((p.name()?.to_string(), u16::try_from(p.number()?).ok()?)))
        .collect()
}

fn container_ports(
    container: &Container<'_>,
    patch: Option<&Container<'_>>,
    cx: &WorkspaceContext<'_>,
    out: &mut Vec<DeclaredPort>,
) {
    // `ports` merge by `containerPort`: the patch adds to the base.
    let mut seen: Vec<u16> = Vec::new();
    for layer in patch.into_iter().chain([container]) {
        let source = &layer.workload().object.file.source;
        for port in layer.ports() {
            if port
                .protocol()
                .is_some_and(|p| !p.eq_ignore_ascii_case("TCP"))
            {
                continue;
            }
            let (Some(node), Some(number)) = (
                port.container_port(),
                port.number().and_then(|n| u16::try_from(n).ok()),
            ) else {
                continue;
            };
            if seen.contains(&number) {
                continue;
            }
            seen.push(number);
            out.push(DeclaredPort {
                ports: Ports::One(number),
                what: format!("`containerPort: {number}`"),
                kind: "containerPort",
                spot: Spot::node(source, node),
                independent: true,
                probe: false,
            });
        }
    }
    for (key, what) in PROBES {
        if let Some(probe) = layered_probe(container, patch, key, what) {
            out.extend(probe.port);
        }
    }
    // A Service's `targetPort` reaches this container only when it is the pod's one
    // container (with several, a number may be another container's).
    let workload = container.workload();
    let single = workload
        .all_containers()
        .iter()
        .filter(|c| !c.init || c.is_sidecar())
        .count()
        == 1;
    let names = named_ports(container, patch);
    let image = |c: &Container<'_>| {
        c.image()
            .and_then(Node::as_str)
            .map(|i| image_name(i).to_string())
    };
    let ours = image(container);
    for service in cx.deployment.cluster.services_selecting(&workload) {
        // A Service that also selects the pods of another image may send its port there.
        let shared = cx.deployment.cluster.objects().any(|object| {
            object.workload().is_some_and(|other| {
                service.selects(&other)
                    && other
                        .containers()
                        .iter()
                        .any(|c| ours.is_none() || image(c) != ours)
            })
        });
        if shared {
            continue;
        }
        let source = &service.object.file.source;
        for port in service.ports() {
            if port
                .node
                .get("protocol")
                .and_then(Node::as_str)
                .is_some_and(|p| !p.eq_ignore_ascii_case("TCP"))
            {
                continue;
            }
            let Some(target) = port.target_port().or(port.port()) else {
                continue;
            };
            let written = if port.target_port().is_some() {
                "targetPort"
            } else {
                "port"
            };
            let service_name = service.object.name();
            match &target.value {
                Value::Int(number) if single => {
                    if let Ok(number) = u16::try_from(*number) {
                        out.push(DeclaredPort {
                            ports: Ports::One(number),
                            what: format!("`{written}: {number}` of Service `{service_name}`"),
                            kind: "targetPort",
                            spot: Spot::node(source, target),
                            independent: true,
                            probe: false,
                        });
                    }
                }
                Value::String(name) => {
                    if let Some((_, number)) = names.iter().find(|(n, _)| n == name) {
                        out.push(DeclaredPort {
                            ports: Ports::One(*number),
                            what: format!("`{written}: {name}` of Service `{service_name}`"),
                            kind: "targetPort",
                            spot: Spot::node(source, target),
                            independent: false,
                            probe: false,
                        });
                    }
                }
                _ => {}
            }
        }
    }
}

fn compose_ports(service: &ComposeService<'_>, host_network: bool, out: &mut Vec<DeclaredPort>) {
    let source = &service.file.source;
    if let Some(words) = compose_healthcheck(service) {
        out.extend(url_ports(&words, source, "the compose `healthcheck` URL"));
    }
    // With the host's network, compose ignores `ports:` and `expose:`.
    if host_network {
        return;
    }
    for port in service.ports() {
        if port
            .protocol
            .as_deref()
            .is_some_and(|p| !p.eq_ignore_ascii_case("tcp"))
        {
            continue;
        }
        let Some(target) = port.target.as_deref().and_then(interpolate) else {
            continue;
        };
        let Some(ports) = Ports::parse(&target) else {
            continue;
        };
        let written = crate::source::kubernetes::scalar_text(port.node).unwrap_or_default();
        let what = if written.is_empty() {
            format!("the compose port `{target}`")
        } else if written == target {
            format!("the compose port `{written}`")
        } else {
            format!("the compose port `{written}` (container side {target})")
        };
        out.push(DeclaredPort {
            ports,
            what,
            spot: Spot::node(source, port.node),
            kind: "ports",
            independent: true,
            probe: false,
        });
    }
    for node in service
        .get("expose")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let Some(text) = crate::source::kubernetes::scalar_text(node) else {
            continue;
        };
        let (number, protocol) = match text.split_once('/') {
            Some((n, p)) => (n.to_string(), Some(p.to_string())),
            None => (text.clone(), None),
        };
        if protocol.is_some_and(|p| !p.eq_ignore_ascii_case("tcp")) {
            continue;
        }
        if let Some(ports) = interpolate(&number).as_deref().and_then(Ports::parse) {
            out.push(DeclaredPort {
                ports,
                what: format!("`expose: {text}`"),
                kind: "expose",
                spot: Spot::node(source, node),
                independent: true,
                probe: false,
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The code's listen addresses.

/// A listen address of a service's production code, its host and port followed through
/// configuration fields and `Rocket.toml`.
pub struct Listener<'c> {
    pub path: &'c Path,
    pub address: &'c ListenAddress,
    pub host: Part<String>,
    pub port: Part<u16>,
    /// The port or host comes from a command-line argument (clap `env =`), which a runner's
    /// arguments may override.
    pub from_arguments: bool,
}

/// The listen addresses of a service's production code (not port 0: any free port).
pub fn listeners<'c, 'a>(service: &Service<'a>, cx: &'c WorkspaceContext<'a>) -> Vec<Listener<'c>> {
    let files: Vec<(&'c Path, &'c crate::facts::RustFacts)> = service
        .rust_facts(cx)
        .into_iter()
        .filter(|(path, _)| cx.workspace.code_role(path) == CodeRole::Production)
        .collect();
    let rocket = service.binary.as_ref().and_then(|binary| {
        crate::facts::listen::rocket_toml(&cx.workspace.root, &binary.package.dir)
    });
    let mut out = Vec::new();
    for (path, facts) in &files {
        for address in &facts.listen {
            let mut listener = Listener {
                path,
                address,
                host: address.host.clone(),
                port: address.port.clone(),
                from_arguments: false,
            };
            if let Origin::Config { field } = &address.port.origin
                && let Some((part, arguments)) = field_part(
                    field,
                    &files,
                    |setting| &setting.port,
                    |default| default.trim().parse().ok(),
                )
            {
                listener.port = part;
                listener.from_arguments |= arguments;
            }
            if let Origin::Config { field } = &address.host.origin
                && let Some((part, arguments)) = field_part(
                    field,
                    &files,
                    |setting| &setting.host,
                    |default| Some(default.to_string()),
                )
            {
                listener.host = part;
                listener.from_arguments |= arguments;
            }
            if address.framework == "rocket"
                && let Some(settings) = &rocket
            {
                if let (Some(port), Origin::Env { .. }) = (settings.port, &listener.port.origin) {
                    listener.port.value = Some(port);
                    listener.port.value_span = None;
                }
                if let (Some(host), Origin::Env { .. }) =
                    (settings.address.clone(), &listener.host.origin)
                {
                    listener.host.value = Some(host);
                    listener.host.value_span = None;
                }
            }
            if listener.port.origin == Origin::Literal && listener.port.value == Some(0) {
                continue;
            }
            out.push(listener);
        }
    }
    out
}

/// Words that name a backing service's setting, not the service's own listen address.
const BACKING_WORDS: &[&str] = &[
    "DB", "DATABASE", "POSTGRES", "PG", "MYSQL", "MONGO", "REDIS", "AMQP", "RABBIT", "KAFKA",
    "NATS", "SMTP", "MAIL", "ELASTIC", "OTEL", "OTLP", "JAEGER", "STATSD", "UPSTREAM", "PROXY",
];

fn names_backing_service(var: &str) -> bool {
    var.to_ascii_uppercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| BACKING_WORDS.contains(&word))
}

/// Whether the code layers environment variables over its configuration by prefix
/// (`config::Environment::with_prefix("APP")`, figment `Env::prefixed`, envy with a prefix):
/// then any configuration field may come from a variable the tool cannot name.
fn layers_environment(files: &[(&Path, &crate::facts::RustFacts)]) -> bool {
    files.iter().any(|(_, facts)| {
        facts
            .env
            .reads
            .iter()
            .any(|read| read.name.is_none() && read.prefix.is_some())
    })
}

/// The one way the service's code fills the struct field `field` with a port or host: a
/// struct literal that reads an env var (`port: env::var("PORT")….unwrap_or(8080)`) or a
/// clap/envy field reading one. `None` when there is none, or several that disagree, or when the
/// code layers the environment over its configuration by prefix. A literal in a struct literal
/// is not taken: it is most often the `Default` of a configuration that a file or the
/// environment overrides. `part` picks the port or the host of a struct-literal setting, and
/// `value` reads a clap/envy default as one.
fn field_part<T: PartialEq + Clone>(
    field: &str,
    files: &[(&Path, &crate::facts::RustFacts)],
    part: impl Fn(&crate::facts::listen::FieldSetting) -> &Part<T>,
    value: impl Fn(&str) -> Option<T>,
) -> Option<(Part<T>, bool)> {
    if layers_environment(files) {
        return None;
    }
    let mut candidates: Vec<(Part<T>, bool)> = Vec::new();
    for (_, facts) in files {
        for setting in facts.listen_fields.iter().filter(|s| s.field == field) {
            let setting = part(setting);
            match setting.origin {
                Origin::Env { .. } => candidates.push((setting.clone(), false)),
                // Another way of filling the field: the tool cannot tell which one holds.
                _ => return None,
            }
        }
        for read in facts
            .env
            .reads
            .iter()
            .filter(|r| r.field.as_deref() == Some(field))
        {
            let (Some(name), ReadKind::Clap | ReadKind::Envy) = (&read.name, read.kind) else {
                continue;
            };
            candidates.push((
                Part {
                    origin: Origin::Env {
                        var: Some(name.clone()),
                    },
                    value: read.default.as_deref().and_then(&value),
                    value_span: read.fallback,
                },
                read.kind == ReadKind::Clap,
            ));
        }
    }
    unique(candidates)
}

/// The candidate when there is exactly one (or all say the same), and it does not read a
/// backing service's variable.
fn unique<T: PartialEq + Clone>(candidates: Vec<(Part<T>, bool)>) -> Option<(Part<T>, bool)> {
    let first = candidates.first()?.clone();
    let same = candidates
        .iter()
        .all(|(part, _)| part.origin == first.0.origin && part.value == first.0.value);
    let backing =
        matches!(&first.0.origin, Origin::Env { var: Some(var) } if names_backing_service(var));
    (same && !backing).then_some(first)
}

/// A host or port as it is in one runner, and what made it so.
#[derive(Clone, Debug)]
pub struct Resolved<T> {
    pub value: T,
    /// The environment variable it is read from, if any.
    pub var: Option<String>,
    /// Where the code writes the value (a literal, or the env read's default).
    pub written: Option<(PathBuf, Span)>,
    /// The runner's setting of the variable, when it sets one.
    pub set: Option<Setting>,
}

impl Listener<'_> {
    /// The port in `runner`; `None` when it cannot be known there.
    pub fn port_in(
        &self,
        runner: &Runner<'_, '_>,
        cx: &WorkspaceContext<'_>,
        out: &mut WorkspaceReporter,
    ) -> Option<Resolved<u16>> {
        self.resolve(&self.port, runner, cx, out, |value| {
            value
                .parse::<u16>()
                .ok()
                .or_else(|| split_address(value).and_then(|(_, port)| port.parse().ok()))
        })
    }

    /// The host in `runner`; `None` when it cannot be known there.
    pub fn host_in(
        &self,
        runner: &Runner<'_, '_>,
        cx: &WorkspaceContext<'_>,
        out: &mut WorkspaceReporter,
    ) -> Option<Resolved<String>> {
        let whole_address = self.port.origin == self.host.origin;
        self.resolve(&self.host, runner, cx, out, |value| {
            if whole_address {
                split_address(value).map(|(host, _)| host.to_string())
            } else {
                Some(
                    value
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string(),
                )
            }
        })
    }

    fn resolve<T: Clone>(
        &self,
        part: &Part<T>,
        runner: &Runner<'_, '_>,
        cx: &WorkspaceContext<'_>,
        out: &mut WorkspaceReporter,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<Resolved<T>> {
        let written = part.value_span.map(|span| (self.path.to_path_buf(), span));
        match &part.origin {
            Origin::Literal => Some(Resolved {
                value: part.value.clone()?,
                var: None,
                written: written.or_else(|| Some((self.path.to_path_buf(), self.address.span))),
                set: None,
            }),
            Origin::Env { var: Some(var) } => {
                if self.from_arguments && runner.passes_arguments() {
                    return None;
                }
                match runner.env(var, cx, out) {
                    Setting::Unset => Some(Resolved {
                        value: part.value.clone()?,
                        var: Some(var.clone()),
                        written,
                        set: None,
                    }),
                    setting @ Setting::Value { .. } => {
                        let Setting::Value { value, .. } = &setting else {
                            unreachable!()
                        };
                        Some(Resolved {
                            value: parse(value)?,
                            var: Some(var.clone()),
                            written,
                            set: Some(setting.clone()),
                        })
                    }
                    Setting::Unknown => None,
                }
            }
            _ => None,
        }
    }
}

/// `0.0.0.0:8080` → (`0.0.0.0`, `8080`); `[::]:8080` → (`::`, `8080`).
fn split_address(value: &str) -> Option<(&str, &str)> {
    let (host, port) = value.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!port.is_empty() && port.chars().all(|c| c.is_ascii_digit())).then_some((host, port))
}

/// A host only the machine itself reaches: `127.0.0.1` (any `127.x`), `localhost`, `::1`.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_interpolation_takes_defaults() {
        assert_eq!(interpolate("8080").as_deref(), Some("8080"));
        assert_eq!(interpolate("${PORT:-3000}").as_deref(), Some("3000"));
        assert_eq!(interpolate("${PORT-3000}:80").as_deref(), Some("3000:80"));
        assert_eq!(interpolate("$$HOME").as_deref(), Some("$HOME"));
        assert_eq!(interpolate("${PORT}"), None);
        assert_eq!(interpolate("$PORT"), None);
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("127.0.1.1"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("0.0.0.0"));
        assert!(!is_loopback("::"));
        assert!(!is_loopback("10.0.0.1"));
    }

    #[test]
    fn port_specs_and_addresses() {
        assert_eq!(Ports::parse("8080"), Some(Ports::One(8080)));
        assert_eq!(Ports::parse("8000-8010"), Some(Ports::Range(8000, 8010)));
        assert!(Ports::Range(8000, 8010).contains(8005));
        assert_eq!(Ports::parse("http"), None);
        assert_eq!(split_address("0.0.0.0:3000"), Some(("0.0.0.0", "3000")));
        assert_eq!(split_address("[::]:3000"), Some(("::", "3000")));
        assert_eq!(split_address("3000"), None);
        assert!(names_backing_service("DATABASE_PORT"));
        assert!(names_backing_service("PG_PORT"));
        assert!(!names_backing_service("PORT"));
        assert!(!names_backing_service("HTTP_PORT"));
    }

    #[test]
    fn local_urls_of_curl_and_wget() {
        let words = |text: &str| -> Vec<Word> {
            crate::source::dockerfile::shell_words(text)
                .into_iter()
                .map(|(text, range)| Word { text, span: range })
                .collect()
        };
        let text = "curl -fsS http://localhost:8080/health?full=1";
        let url = local_url(&words(text), text).unwrap();
        assert_eq!(url.port, Some(8080));
        assert_eq!(url.path, "/health?full=1");
        assert_eq!(
            &text[url.path_span.start..url.path_span.end],
            "/health?full=1"
        );
        assert_eq!(&text[url.port_span.start..url.port_span.end], "8080");
        let text = "wget -qO- http://127.0.0.1/ready";
        let url = local_url(&words(text), text).unwrap();
        assert_eq!((url.port, url.path.as_str()), (Some(80), "/ready"));
        let text = "curl -f http://inventory:8080/health";
        assert!(local_url(&words(text), text).is_none());
        let text = "wget -qO- http://localhost:${PORT}/healthz";
        let url = local_url(&words(text), text).unwrap();
        assert_eq!((url.port, url.path.as_str()), (None, "/healthz"));
        let text = "pg_isready -U postgres";
        assert!(local_url(&words(text), text).is_none());
    }
}
