//! What the places that run a service put in its environment, and what its code takes out.
//!
//! A service runs in *runners*: Kubernetes containers and compose services (a compose service
//! together with the same service in the override files next to it, which compose merges). A
//! runner's environment is what its file sets (`env`, `environment`), what it pulls in
//! (`envFrom` of a ConfigMap or Secret in the tree, compose `env_file`), what kustomize patches
//! of its workload add, and the `ENV` of the image's shipping stage. What the tool cannot read
//! (a Secret made by an operator, an `env_file` that is not committed, compose `extends`) makes
//! the set *unknown*: rules then do not judge what is missing.
//!
//! The code's side is the service's environment reads in its production files (see
//! [`crate::facts::env`]), and the variables the process uses without its own code reading them:
//! the Rust runtime's, the C library's, proxies', telemetry's, and those of the crates it uses
//! (`ROCKET_*` for rocket, `PG*` for libpq and sqlx, `AWS_*` for the AWS SDK).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Label, Span};
use crate::facts::docker::{self, BuildContext};
use crate::facts::env::{EnvRead, ReadKind};
use crate::facts::start_commands;
use crate::model::{Service, image_name};
use crate::rule::WorkspaceContext;
use crate::source::compose::ComposeService;
use crate::source::dockerfile::{Args, Dockerfile, Stage, Word};
use crate::source::kubernetes::{self, Container, EnvSource, Object, same_namespace, span};
use crate::source::yaml::{Node, Value};
use crate::source::{FileKind, SourceFile};

/// A place that runs the service.
#[derive(Clone, Debug)]
pub enum Runner<'a> {
    Container(Container<'a>),
    /// A compose service, then the same service in the files compose merges with its file
    /// (`docker-compose.override.yml` and the like next to it).
    Compose(Vec<ComposeService<'a>>),
}

impl<'a> Runner<'a> {
    /// `Deployment/api › container api`, ``compose service `api` of docker/compose.yaml``.
    pub fn logical(&self) -> String {
        match self {
            Runner::Container(container) => container.logical(),
            Runner::Compose(services) => format!(
                "compose service `{}` of {}",
                services[0].name,
                services[0].file.path().display()
            ),
        }
    }

    /// Where findings about what the runner lacks anchor: the container's `name:` value, the
    /// compose service's key.
    pub fn anchor(&self) -> (&'a Arc<SourceFile>, Span) {
        match self {
            Runner::Container(container) => (
                &container.workload().object.file.source,
                span(container.anchor()),
            ),
            Runner::Compose(services) => (&services[0].file.source, span(services[0].key)),
        }
    }

    pub fn anchor_label(&self, message: impl Into<String>) -> Label {
        let (source, span) = self.anchor();
        Label {
            location: source.location(span),
            message: message.into(),
        }
    }

    pub fn is_compose(&self) -> bool {
        matches!(self, Runner::Compose(_))
    }

    /// A run-to-completion place: an init container (not a native sidecar), a Job, CronJob or
    /// bare Pod.
    pub fn is_one_off(&self) -> bool {
        match self {
            Runner::Container(container) => {
                (container.init && !container.is_sidecar())
                    || !container.workload().kind.is_long_running()
            }
            Runner::Compose(_) => false,
        }
    }

    /// Whether the runner replaces what the image starts (`command`/`args`,
    /// `entrypoint`/`command`).
    pub fn sets_command(&self) -> bool {
        match self {
            Runner::Container(container) => {
                container.command().is_some() || container.args().is_some()
            }
            Runner::Compose(services) => services
                .iter()
                .any(|s| s.get("command").is_some() || s.get("entrypoint").is_some()),
        }
    }

    /// The start words the runner writes: Kubernetes `command` then `args`, compose
    /// `entrypoint` then `command`.
    pub fn start_words(&self) -> (Vec<Word>, Vec<Word>) {
        match self {
            Runner::Container(container) => {
                let text = &container.workload().object.file.source.text;
                (
                    start_commands::yaml_words(container.command(), text),
                    start_commands::yaml_words(container.args(), text),
                )
            }
            Runner::Compose(services) => {
                let mut entrypoint = Vec::new();
                let mut command = Vec::new();
                for service in services {
                    let text = &service.file.source.text;
                    if let Some(found) = service.entrypoint() {
                        entrypoint = start_commands::compose_command_words(found, text);
                    }
                    if let Some(found) = service.command() {
                        command = start_commands::compose_command_words(found, text);
                    }
                }
                (entrypoint, command)
            }
        }
    }
}

/// How a variable gets into the runner's environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written on the runner: a container's `env` item, a compose `environment` entry.
    Entry,
    /// Added by a kustomize patch of the workload.
    Patch,
    /// A key of a ConfigMap or Secret pulled in with `envFrom`.
    EnvFrom,
    /// A line of a compose `env_file`.
    EnvFile,
    /// `ENV` of the image's shipping stage.
    Image,
}

/// What a variable is set to, as far as the files say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetValue {
    /// A value written out (compose values with their `${VAR:-default}` interpolated).
    Literal(String),
    /// `secretKeyRef`: the Secret's name and key.
    SecretKey { name: String, key: String },
    /// `configMapKeyRef`.
    ConfigMapKey { name: String, key: String },
    /// Anything else: `fieldRef`, a compose variable passed through from the shell, a value
    /// the tool cannot interpolate.
    Opaque,
}

/// One variable the runner sets.
#[derive(Clone, Debug)]
pub struct Setting {
    pub name: String,
    pub origin: Origin,
    pub value: SetValue,
    /// Where the name is written.
    pub source: Arc<SourceFile>,
    pub span: Span,
    /// Where the value is written, when it is.
    pub value_span: Option<Span>,
    /// Written in a YAML anchor merged into the service (`<<: *common-env`), so the same text
    /// stands for several services.
    pub shared: bool,
}

impl Setting {
    pub fn label(&self, message: impl Into<String>) -> Label {
        Label {
            location: self.source.location(self.span),
            message: message.into(),
        }
    }
}

/// A source of variables whose keys the tool cannot read.
#[derive(Clone, Debug)]
pub struct Unknown {
    /// `Secret orders-db (not in the scanned files)`, `env_file .env (not committed)`.
    pub what: String,
    pub source: Arc<SourceFile>,
    pub span: Span,
}

/// What a runner puts in the environment.
#[derive(Clone, Debug)]
pub struct RunnerEnv<'a> {
    pub runner: Runner<'a>,
    pub settings: Vec<Setting>,
    pub unknown: Vec<Unknown>,
    /// Variables the runner's own files use: `$(VAR)` in Kubernetes values, command and args.
    pub referenced: BTreeSet<String>,
}

impl RunnerEnv<'_> {
    /// The settings of `name`, first the runner's own.
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.name == name)
    }

    pub fn sets(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Whether every source's keys are known.
    pub fn is_known(&self) -> bool {
        self.unknown.is_empty()
    }
}

/// The runners of a service: its Kubernetes containers, then its compose services grouped with
/// the services compose merges them with.
pub fn runners<'a>(cx: &WorkspaceContext<'a>, service: &Service<'a>) -> Vec<Runner<'a>> {
    let mut runners: Vec<Runner<'a>> = service
        .containers
        .iter()
        .map(|c| Runner::Container(*c))
        .collect();
    let mut seen: Vec<(PathBuf, &str)> = Vec::new();
    for compose in &service.compose {
        let dir = compose
            .file
            .path()
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf();
        if seen.iter().any(|(d, n)| *d == dir && *n == compose.name) {
            continue;
        }
        seen.push((dir.clone(), compose.name));
        let mut group: Vec<ComposeService<'a>> = cx
            .deployment
            .compose_files()
            .iter()
            .filter(|file| file.path().parent().unwrap_or(Path::new("")) == dir)
            .filter_map(|file| file.service(compose.name))
            .collect();
        // The file that defines the service (with `image` or `build`) first; override files
        // after it, in the order compose applies them.
        group.sort_by_key(|s| {
            (
                s.image().is_none() && s.build().is_none(),
                is_override_file(s.file.path()),
                s.file.path().to_path_buf(),
            )
        });
        runners.push(Runner::Compose(group));
    }
    runners
}

fn is_override_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().contains("override"))
}

/// What `runner` puts in the environment of `service`.
pub fn runner_env<'a>(
    cx: &WorkspaceContext<'a>,
    service: &Service<'a>,
    runner: &Runner<'a>,
) -> RunnerEnv<'a> {
    let mut env = RunnerEnv {
        runner: runner.clone(),
        settings: Vec::new(),
        unknown: Vec::new(),
        referenced: BTreeSet::new(),
    };
    match runner {
        Runner::Container(container) => container_env(cx, container, &mut env),
        Runner::Compose(services) => {
            for compose in services {
                compose_env(cx, compose, &mut env);
            }
        }
    }
    for (dockerfile_source, dockerfile, stage) in images(cx, service, runner) {
        for (_, instruction) in
            docker::chain_instructions(dockerfile, &docker::stage_chain(dockerfile, stage))
        {
            if instruction.keyword != "ENV" {
                continue;
            }
            for pair in instruction.key_values() {
                env.settings.push(Setting {
                    name: pair.key,
                    origin: Origin::Image,
                    value: pair
                        .value
                        .map(SetValue::Literal)
                        .unwrap_or(SetValue::Opaque),
                    source: dockerfile_source.clone(),
                    span: Span::from(pair.key_span),
                    value_span: Some(Span::from(pair.value_span)),
                    shared: false,
                });
            }
        }
    }
    env
}

fn container_env<'a>(
    cx: &WorkspaceContext<'a>,
    container: &Container<'a>,
    env: &mut RunnerEnv<'a>,
) {
    let workload = container.workload();
    let file = workload.object.file;
    let text = &file.source.text;
    for var in container.env() {
        if let Some(setting) = env_var_setting(&file.source, var.node, Origin::Entry) {
            env.settings.push(setting);
        }
    }
    for from in container.env_from() {
        env_from(cx, &workload.object, &file.source, from.node, env);
    }
    // `$(VAR)` in values, command and args.
    let mut texts: Vec<String> = container
        .env()
        .iter()
        .filter_map(|v| {
            v.node
                .get("value")
                .and_then(Node::as_str)
                .map(str::to_string)
        })
        .collect();
    texts.extend(
        start_commands::yaml_words(container.command(), text)
            .into_iter()
            .map(|w| w.text),
    );
    texts.extend(
        start_commands::yaml_words(container.args(), text)
            .into_iter()
            .map(|w| w.text),
    );
    for text in texts {
        env.referenced.extend(dependent_references(&text));
    }
    // What kustomize patches of the workload add to this container.
    let Some(name) = container.name() else {
        return;
    };
    let cluster = &cx.deployment.cluster;
    let key = if container.init {
        "initContainers"
    } else {
        "containers"
    };
    let mut from_files: Vec<*const Node> = Vec::new();
    for patch_file in cluster.files() {
        for object in patch_file.all_objects().filter(|o| o.is_patch()) {
            if object.kind() != workload.object.kind() || object.name() != workload.object.name() {
                continue;
            }
            for patched in patch_containers(&object, key, name) {
                from_files.push(patched as *const Node);
                for item in patched
                    .get("env")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                {
                    if let Some(setting) = env_var_setting(&patch_file.source, item, Origin::Patch)
                    {
                        env.settings.push(setting);
                    }
                }
                for item in patched
                    .get("envFrom")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                {
                    env_from(cx, &workload.object, &patch_file.source, item, env);
                }
            }
        }
    }
    // Inline patches of a kustomization: their spans point into a string, so the names count
    // and the place shown is the container.
    let (anchor_source, anchor) = (&file.source, span(container.anchor()));
    for patched in cluster.patched_containers(container) {
        if from_files.contains(&(patched as *const Node)) {
            continue;
        }
        for item in patched
            .get("env")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            if let Some(name) = item.get("name").and_then(Node::as_str) {
                env.settings.push(Setting {
                    name: name.to_string(),
                    origin: Origin::Patch,
                    value: SetValue::Opaque,
                    source: anchor_source.clone(),
                    span: anchor,
                    value_span: None,
                    shared: true,
                });
            }
        }
        if patched.get("envFrom").is_some() {
            env.unknown.push(Unknown {
                what: "`envFrom` of an inline kustomize patch".into(),
                source: anchor_source.clone(),
                span: anchor,
            });
        }
    }
    for patch in cluster.json_patches_of(&workload.object) {
        for (op, path, value) in &patch.operations {
            if op == "remove" || !path.contains("/env") {
                continue;
            }
            let names: Vec<&str> = match value.as_ref().map(|v| &v.value) {
                Some(Value::Map(_)) => value
                    .iter()
                    .filter_map(|v| v.get("name")?.as_str())
                    .collect(),
                Some(Value::Seq(items)) => items
                    .iter()
                    .filter_map(|v| v.get("name")?.as_str())
                    .collect(),
                _ => Vec::new(),
            };
            if path.contains("/envFrom") || names.is_empty() {
                env.unknown.push(Unknown {
                    what: format!("a JSON patch of `{path}`"),
                    source: anchor_source.clone(),
                    span: anchor,
                });
            }
            for name in names {
                env.settings.push(Setting {
                    name: name.to_string(),
                    origin: Origin::Patch,
                    value: SetValue::Opaque,
                    source: anchor_source.clone(),
                    span: anchor,
                    value_span: None,
                    shared: true,
                });
            }
        }
    }
}

/// The containers named `name` in a patch object's pod spec.
fn patch_containers<'o>(object: &Object<'o>, key: &str, name: &str) -> Vec<&'o Node> {
    let path: &[&str] = match object.kind() {
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &["spec", "template", "spec"],
    };
    object
        .node
        .path(path)
        .and_then(|spec| spec.get(key))
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|c| c.get("name").and_then(Node::as_str) == Some(name))
        .collect()
}

fn env_var_setting(source: &Arc<SourceFile>, node: &Node, origin: Origin) -> Option<Setting> {
    let var = kubernetes::EnvVar { node };
    let name_node = var.name_node()?;
    let name = name_node.as_str()?.to_string();
    let text = |n: Option<&Node>| n.and_then(Node::as_str).map(str::to_string);
    let (value, value_span) = match var.source() {
        EnvSource::Literal(node) => (
            kubernetes::scalar_text(node)
                .map(SetValue::Literal)
                .unwrap_or(SetValue::Literal(String::new())),
            Some(span(node)),
        ),
        EnvSource::Empty => (SetValue::Literal(String::new()), None),
        EnvSource::SecretKeyRef { name, key } => match (text(name), text(key)) {
            (Some(name), Some(key)) => (SetValue::SecretKey { name, key }, None),
            _ => (SetValue::Opaque, None),
        },
        EnvSource::ConfigMapKeyRef { name, key } => match (text(name), text(key)) {
            (Some(name), Some(key)) => (SetValue::ConfigMapKey { name, key }, None),
            _ => (SetValue::Opaque, None),
        },
        EnvSource::Other(_) => (SetValue::Opaque, None),
    };
    Some(Setting {
        name,
        origin,
        value,
        source: source.clone(),
        span: span(name_node),
        value_span,
        shared: false,
    })
}

/// An `envFrom` item: the keys of the ConfigMap or Secret it names, when that object is in the
/// scanned manifests; otherwise an unknown source.
fn env_from<'a>(
    cx: &WorkspaceContext<'a>,
    near: &Object<'_>,
    source: &Arc<SourceFile>,
    item: &Node,
    env: &mut RunnerEnv<'a>,
) {
    let (kind, reference) = match (
        item.get("configMapRef").and_then(|r| r.get("name")),
        item.get("secretRef").and_then(|r| r.get("name")),
    ) {
        (Some(name), _) => ("ConfigMap", name),
        (None, Some(name)) => ("Secret", name),
        (None, None) => {
            env.unknown.push(Unknown {
                what: "an `envFrom` item the tool does not understand".into(),
                source: source.clone(),
                span: span(item),
            });
            return;
        }
    };
    let Some(name) = reference.as_str() else {
        return;
    };
    let prefix = item.get("prefix").and_then(Node::as_str).unwrap_or("");
    let objects = find_objects(cx, kind, name, near);
    if objects.is_empty() {
        env.unknown.push(Unknown {
            what: format!("{kind} `{name}`, which is not in the scanned manifests"),
            source: source.clone(),
            span: span(reference),
        });
        return;
    }
    for object in objects {
        for (key, value) in data_entries(&object) {
            env.settings.push(Setting {
                name: format!("{prefix}{}", key.0),
                origin: Origin::EnvFrom,
                value: data_value(value)
                    .map(SetValue::Literal)
                    .unwrap_or(SetValue::Opaque),
                source: object.file.source.clone(),
                span: key.1,
                value_span: None,
                shared: true,
            });
        }
    }
}

/// The ConfigMaps or Secrets named `name` that `near` can see.
fn find_objects<'c>(
    cx: &'c WorkspaceContext<'_>,
    kind: &str,
    name: &str,
    near: &Object<'_>,
) -> Vec<Object<'c>> {
    cx.deployment
        .cluster
        .objects()
        .filter(|o| o.is(kind) && o.name() == name && same_namespace(o, near))
        .collect()
}

/// A data entry of a ConfigMap or Secret: its key (with span) and value node, and whether the
/// value is base64 (`data` of a Secret, `binaryData`).
struct DataValue<'o> {
    node: &'o Node,
    base64: bool,
}

fn data_entries<'o>(object: &Object<'o>) -> Vec<((String, Span), DataValue<'o>)> {
    let mut entries = Vec::new();
    for key in ["data", "stringData", "binaryData"] {
        let base64 = key == "binaryData" || (key == "data" && object.is("Secret"));
        for (k, v) in object
            .node
            .get(key)
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            if let Some(name) = k.as_str() {
                entries.push(((name.to_string(), span(k)), DataValue { node: v, base64 }));
            }
        }
    }
    entries
}

fn data_value(value: DataValue<'_>) -> Option<String> {
    let text = kubernetes::scalar_text(value.node)?;
    if value.base64 {
        base64_decode(&text)
    } else {
        Some(text)
    }
}

/// What a `secretKeyRef`/`configMapKeyRef` holds, when the object is in the scanned manifests.
pub fn referenced_value(
    cx: &WorkspaceContext<'_>,
    near: &Object<'_>,
    value: &SetValue,
) -> Option<String> {
    let (kind, name, key) = match value {
        SetValue::Literal(text) => return Some(text.clone()),
        SetValue::SecretKey { name, key } => ("Secret", name, key),
        SetValue::ConfigMapKey { name, key } => ("ConfigMap", name, key),
        SetValue::Opaque => return None,
    };
    let objects = find_objects(cx, kind, name, near);
    let [object] = objects.as_slice() else {
        return None;
    };
    let (_, value) = data_entries(object)
        .into_iter()
        .find(|((k, _), _)| k == key)?;
    data_value(value)
}

/// Standard base64 (padding optional); `None` when it is not, or not UTF-8.
fn base64_decode(text: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).ok()
}

fn compose_env<'a>(
    cx: &WorkspaceContext<'a>,
    compose: &ComposeService<'a>,
    env: &mut RunnerEnv<'a>,
) {
    let source = &compose.file.source;
    let own = compose.node.span.clone();
    for entry in compose.environment() {
        let value = match &entry.value {
            None => SetValue::Opaque,
            Some(text) => crate::facts::images::compose_interpolated(text)
                .map(SetValue::Literal)
                .unwrap_or(SetValue::Opaque),
        };
        env.settings.push(Setting {
            shared: !(own.start <= entry.name_span.start && entry.name_span.end <= own.end),
            name: entry.name,
            origin: Origin::Entry,
            value,
            source: source.clone(),
            span: entry.name_span,
            value_span: entry.value_span,
        });
    }
    let dir = compose.file.path().parent().unwrap_or(Path::new(""));
    for node in compose.env_files() {
        let Some(written) = node.as_str() else {
            continue;
        };
        let path = crate::source::normalize_path(&dir.join(written));
        let committed = cx.workspace.files.iter().any(|f| f.path.as_path() == path);
        let loaded = committed
            .then(|| {
                SourceFile::load(
                    &cx.workspace.root.join(&path),
                    Arc::new(path.clone()),
                    FileKind::Env,
                )
                .ok()
            })
            .flatten();
        let Some(file) = loaded else {
            env.unknown.push(Unknown {
                what: format!("env_file `{written}`, which is not in the repository"),
                source: source.clone(),
                span: span(node),
            });
            continue;
        };
        let file = Arc::new(file);
        for entry in crate::source::env_file::parse(&file.text).entries {
            env.settings.push(Setting {
                name: entry.key,
                origin: Origin::EnvFile,
                value: SetValue::Literal(entry.value),
                source: file.clone(),
                span: entry.key_span,
                value_span: Some(entry.value_span),
                shared: true,
            });
        }
    }
    if let Some(extends) = compose.get("extends") {
        env.unknown.push(Unknown {
            what: "`extends`, which the tool does not follow".into(),
            source: source.clone(),
            span: span(extends),
        });
    }
}

/// A Dockerfile, and the stage of it an image is built from.
pub type Image<'a> = (&'a Arc<SourceFile>, &'a Dockerfile, &'a Stage);

/// The Dockerfile stages whose image the runner runs: for a compose service with `build:`, the
/// Dockerfile it names (its `target` stage, else the shipping stage); otherwise the shipping
/// stage of every Dockerfile that builds the service.
pub fn images<'a>(
    cx: &WorkspaceContext<'a>,
    service: &Service<'a>,
    runner: &Runner<'a>,
) -> Vec<Image<'a>> {
    if let Runner::Compose(services) = runner
        && let Some(compose) = services.iter().find(|s| s.build().is_some())
    {
        return compose_build_image(cx, compose).into_iter().collect();
    }
    service
        .dockerfiles
        .iter()
        .filter_map(|built| {
            let stage =
                docker::shipping_stage(built.dockerfile).or(built.dockerfile.final_stage())?;
            Some((built.source, built.dockerfile, stage))
        })
        .collect()
}

/// The Dockerfile stage a compose service's `build:` builds: the Dockerfile it names (from its
/// context), its `target` stage, else the shipping stage. `None` without `build:`, or when the
/// Dockerfile is not in the tree.
pub fn compose_build_image<'a>(
    cx: &WorkspaceContext<'a>,
    compose: &ComposeService<'_>,
) -> Option<Image<'a>> {
    let build = compose.build()?;
    let path = compose.dockerfile_path()?;
    let (source, parsed) = cx
        .dockerfiles
        .iter()
        .find(|(s, _)| s.path.as_path() == path)?;
    let stage = match build.target.and_then(Node::as_str) {
        Some(target) => parsed.stage_by_target(target),
        None => docker::shipping_stage(parsed).or(parsed.final_stage()),
    }?;
    Some((source, &**parsed, stage))
}

/// The names of every binary target of the workspace.
fn workspace_binaries(cx: &WorkspaceContext<'_>) -> Vec<String> {
    cx.workspace
        .packages
        .iter()
        .flat_map(|p| p.targets.iter())
        .filter(|t| t.kinds.iter().any(|k| k == "bin"))
        .map(|t| t.name.clone())
        .collect()
}

/// Whether the runner's own command starts another binary of the workspace than the
/// service's (one image holding several binaries): what it needs is that binary's business.
pub fn runs_other_binary(
    cx: &WorkspaceContext<'_>,
    service: &Service<'_>,
    runner: &Runner<'_>,
) -> bool {
    let Some(binary) = &service.binary else {
        return false;
    };
    let (command, args) = runner.start_words();
    let words = if command.is_empty() { args } else { command };
    let (_, words) = start_commands::strip_init(&words);
    let Some(program) = words.first() else {
        return false;
    };
    let name = docker::basename(&program.text);
    name != binary.name && workspace_binaries(cx).iter().any(|b| b == name)
}

/// Whether the rules should hold `runner` against `service`'s code: not when its command starts
/// another binary; and for a binary that starts no server or consumer, only where such a binary
/// is expected to run — a Job, CronJob or init container that keeps the image's command, or a
/// compose service that builds it. A long-running container linked to a command-line tool by
/// its image's name is more likely the tool's namesake server than the tool.
pub fn judged<'a>(cx: &WorkspaceContext<'a>, service: &Service<'a>, runner: &Runner<'a>) -> bool {
    let Some(binary) = &service.binary else {
        return true;
    };
    if runs_other_binary(cx, service, runner) {
        return false;
    }
    if binary.serves {
        return true;
    }
    match runner {
        Runner::Container(_) => runner.is_one_off() && !runner.sets_command(),
        Runner::Compose(services) => services.iter().any(|s| s.build().is_some()),
    }
}

/// Whether the runner (or the image it runs) passes the command-line flag `--flag` (as
/// `--flag value` or `--flag=value`), which stands in for the variable of a clap argument.
pub fn passes_flag<'a>(
    cx: &WorkspaceContext<'a>,
    service: &Service<'a>,
    runner: &Runner<'a>,
    flag: &str,
) -> bool {
    let (command, args) = runner.start_words();
    let mut words: Vec<Word> = command.into_iter().chain(args).collect();
    for (_, dockerfile, stage) in images(cx, service, runner) {
        let start = start_commands::docker_start(dockerfile, stage);
        for instruction in [start.entrypoint, start.cmd].into_iter().flatten() {
            match &instruction.args {
                Args::Exec(exec) => words.extend(exec.iter().cloned()),
                Args::Shell(text) => words.extend(text.words()),
            }
        }
    }
    let long = format!("--{flag}");
    words.iter().any(|w| {
        w.text == long
            || w.text
                .strip_prefix(&long)
                .is_some_and(|rest| rest.starts_with('='))
            || w.text
                .split_whitespace()
                .any(|part| part == long || part.starts_with(&format!("{long}=")))
    })
}

/// Whether `name` matches one of `patterns` (exact names, or prefixes ending in `*`).
pub fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| matches_pattern(p, name))
}

/// The variables a runner's start command uses besides the service's binary: what a wrapper
/// script (`CMD ["/usr/local/bin/launch"]`, `sh -c "…"`) mentions as `$NAME` or `${NAME}`.
/// `None` when the process starts through a script the tool cannot read, so what it reads is
/// not known.
pub fn start_script_vars<'a>(
    cx: &WorkspaceContext<'a>,
    service: &Service<'a>,
    runner: &Runner<'a>,
) -> Option<BTreeSet<String>> {
    let binaries = workspace_binaries(cx);
    let (command, args) = runner.start_words();
    let images = images(cx, service, runner);
    let mut mentioned = BTreeSet::new();
    // The runner's own command, else each image's ENTRYPOINT (and CMD).
    let mut starts: Vec<(Vec<Word>, Option<Image<'_>>)> = Vec::new();
    if !command.is_empty() {
        starts.push((command, images.first().copied()));
    } else if images.is_empty() {
        starts.push((args, None));
    } else {
        for &(source, dockerfile, stage) in &images {
            let start = start_commands::docker_start(dockerfile, stage);
            let mut words = Vec::new();
            for instruction in [start.entrypoint, start.cmd].into_iter().flatten() {
                match &instruction.args {
                    Args::Exec(exec) => words.extend(exec.iter().cloned()),
                    Args::Shell(text) => {
                        // A shell form runs `/bin/sh -c "<text>"`.
                        mentioned.extend(shell_mentions(&text.text));
                        words.push(Word {
                            text: "/bin/sh".into(),
                            span: 0..0,
                        });
                    }
                }
                if instruction.keyword == "ENTRYPOINT" && !args.is_empty() {
                    words.extend(args.iter().cloned());
                    break;
                }
            }
            starts.push((words, Some((source, dockerfile, stage))));
        }
    }
    for (words, image) in starts {
        let (_, words) = start_commands::strip_init(&words);
        let Some(program) = words.first() else {
            continue;
        };
        let name = docker::basename(&program.text);
        if binaries.iter().any(|b| b == name) {
            continue;
        }
        if let Some(wrapper) = start_commands::shell_wrapper(words) {
            mentioned.extend(shell_mentions(&wrapper.script.text));
            continue;
        }
        if docker::is_shell(&program.text) {
            if program.span.is_empty() {
                continue;
            }
            return None;
        }
        // A script copied into the image: read it from the build context. A file copied out of a
        // cargo build (`COPY --from=builder /app/target/release/orders /app/server`) is the
        // binary under another name.
        let (source, dockerfile, stage) = image?;
        match copied_file(dockerfile, stage, source, &program.text)? {
            Copied::Built => {}
            Copied::Script(text) => {
                let shebang = text.lines().next().unwrap_or("");
                let interpreter = shebang.strip_prefix("#!").map(|rest| {
                    let mut words = rest.split_whitespace();
                    let first = words.next().unwrap_or("");
                    if docker::basename(first) == "env" {
                        words
                            .find(|w| !w.starts_with('-'))
                            .unwrap_or("")
                            .to_string()
                    } else {
                        first.to_string()
                    }
                });
                // Another language's script reads its variables in ways `$NAME` does not show.
                if interpreter.is_some_and(|program| !docker::is_shell(&program)) {
                    return None;
                }
                mentioned.extend(shell_mentions(&text));
            }
        }
    }
    Some(mentioned)
}

/// What a `COPY` put at a path of the image.
enum Copied {
    /// A file out of a cargo build in another stage (`…/target/release/orders`).
    Built,
    /// A file of the build context, with its text.
    Script(String),
}

/// What a stage's `COPY` puts at `target` (an absolute path): a binary copied out of a build
/// stage, or a file of the build context (read from it).
fn copied_file(
    dockerfile: &Dockerfile,
    stage: &Stage,
    source: &SourceFile,
    target: &str,
) -> Option<Copied> {
    let context = BuildContext::of(source);
    let target_name = docker::basename(target);
    let mut found = None;
    for (_, instruction) in
        docker::chain_instructions(dockerfile, &docker::stage_chain(dockerfile, stage))
    {
        let Some(copy) = instruction.copy_args() else {
            continue;
        };
        let dest = copy.dest.text.as_str();
        for from in &copy.sources {
            // `COPY launch /usr/local/bin/launch`, or into the directory (`/usr/local/bin/`, or
            // `/usr/local/bin` when it exists in the image).
            let lands_at_target = dest == target
                || docker::basename(&from.text) == target_name
                    && target.trim_end_matches(target_name).trim_end_matches('/')
                        == dest.trim_end_matches('/');
            if !lands_at_target {
                continue;
            }
            // The last COPY to a path wins.
            found = if instruction.flag("from").is_some() {
                from.text.contains("target/").then_some(Copied::Built)
            } else {
                context.read(&from.text).map(Copied::Script)
            };
        }
    }
    found
}

/// The names a shell text mentions as `$NAME` or `${NAME…}`.
pub fn shell_mentions(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let start = if bytes.get(i + 1) == Some(&b'{') {
                i + 2
            } else {
                i + 1
            };
            let end = bytes[start.min(bytes.len())..]
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .map_or(bytes.len(), |p| start + p);
            if end > start && !bytes[start].is_ascii_digit() {
                names.insert(text[start..end].to_string());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    names
}

/// `$(VAR)` references of Kubernetes dependent variables.
fn dependent_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("$(") {
        let after = &rest[start + 2..];
        match after.find(')') {
            Some(end) => {
                let name = &after[..end];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    names.push(name.to_string());
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    names
}

// ---------------------------------------------------------------------------------------------
// The code's side.

/// The environment reads of a service's production code, each with its file.
pub struct ServiceReads<'c> {
    pub reads: Vec<(&'c Path, &'c EnvRead)>,
    /// Reads in production files of the linked packages that the binary's module tree does not
    /// reach (modules declared inside macros such as `cfg_select!`, other binaries' modules):
    /// they may be the binary's code, so they count as reads, never as requirements.
    pub maybe: Vec<(&'c Path, &'c EnvRead)>,
    /// A read whose variable the tool cannot name (`env::var(key)`): any variable may be read.
    pub unresolved: Option<(&'c Path, &'c EnvRead)>,
    /// The crates the service's packages depend on, for the variables they read themselves.
    pub dependencies: Vec<&'c str>,
    /// The functions that run when the binary starts: reached from its `main` and from the
    /// functions that start its servers, not through subcommand arms or opt-in branches.
    /// `None` when the call graph does not know the binary's `main`.
    on_start: Option<std::collections::HashSet<crate::facts::calls::FnId>>,
    /// Index of each file in the workspace's facts.
    file_index: &'c std::collections::HashMap<&'c Path, usize>,
    cx_startup: Option<&'c crate::facts::calls::Startup<'c>>,
}

impl<'c> ServiceReads<'c> {
    pub fn of<'a: 'c>(cx: &'c WorkspaceContext<'a>, service: &Service<'a>) -> ServiceReads<'c> {
        let files = service.rust_facts(cx);
        let known: std::collections::HashSet<&Path> = files.iter().map(|(path, _)| *path).collect();
        let reads: Vec<(&Path, &EnvRead)> = files
            .into_iter()
            .flat_map(|(path, facts)| facts.env.reads.iter().map(move |read| (path, read)))
            .collect();
        let mut dependencies: Vec<&str> = Vec::new();
        let mut linked_dirs: Vec<&Path> = Vec::new();
        if let Some(binary) = &service.binary {
            let mut pending = vec![binary.package];
            let mut seen: Vec<&str> = Vec::new();
            while let Some(package) = pending.pop() {
                if seen.contains(&package.name.as_str()) {
                    continue;
                }
                seen.push(package.name.as_str());
                linked_dirs.push(package.dir.as_path());
                for dependency in &package.dependencies {
                    dependencies.push(dependency.as_str());
                    if let Some(found) =
                        cx.workspace.packages.iter().find(|p| &p.name == dependency)
                    {
                        pending.push(found);
                    }
                }
            }
        }
        // Out-of-line test modules (`#[cfg(test)] mod perf;`) and the modules below them.
        let test_dirs: Vec<PathBuf> = cx
            .rust_facts
            .iter()
            .flat_map(|(_, facts)| facts.test_module_files.iter())
            .map(|file| match file.file_name().and_then(|n| n.to_str()) {
                Some("mod.rs") => file.parent().unwrap_or(Path::new("")).to_path_buf(),
                _ => file.with_extension(""),
            })
            .collect();
        let is_test_module = |path: &Path| {
            test_dirs
                .iter()
                .any(|dir| path.starts_with(dir) || path.with_extension("") == *dir)
        };
        let maybe: Vec<(&Path, &EnvRead)> = cx
            .rust_facts
            .iter()
            // Cheapest tests first: this runs for every service over every file.
            .filter(|(path, _)| {
                linked_dirs.iter().any(|dir| path.starts_with(dir))
                    && !known.contains(path.as_path())
                    && cx
                        .workspace
                        .package_of(path)
                        .is_some_and(|p| linked_dirs.contains(&p.dir.as_path()))
                    && !is_test_module(path)
                    && cx.workspace.code_role(path) == crate::source::rust::CodeRole::Production
            })
            .flat_map(|(path, facts)| {
                facts
                    .env
                    .reads
                    .iter()
                    .map(move |read| (path.as_path(), read))
            })
            .collect();
        let unresolved = reads
            .iter()
            .chain(&maybe)
            .find(|(_, read)| !read.is_resolved())
            .copied();
        let file_index = cx.file_index();
        let mut on_start = None;
        let mut cx_startup = None;
        if let Some(binary) = &service.binary
            && let Some(linked) = cx.binaries().iter().find(|b| b.root == binary.root)
            && let Some(root) = linked.root_facts
        {
            let startup = cx.startup();
            let graph = &startup.graph;
            let main = cx.rust_facts[root]
                .1
                .calls
                .functions
                .iter()
                .position(|f| f.name == "main" && f.top_level)
                .map(|index| (root, index));
            if let Some(main) = main {
                let mut roots = vec![main];
                roots.extend(linked.starts.iter().filter_map(|&(file, start)| {
                    graph.enclosing(file, cx.rust_facts[file].1.servers[start].span)
                }));
                on_start = Some(graph.reachable(&roots, true).into_keys().collect());
                cx_startup = Some(startup);
            }
        }
        ServiceReads {
            reads,
            maybe,
            unresolved,
            dependencies,
            on_start,
            file_index,
            cx_startup,
        }
    }

    /// Whether the code reads `name`, by name or under a prefix it reads whole.
    pub fn covers(&self, name: &str) -> bool {
        self.reads
            .iter()
            .chain(&self.maybe)
            .any(|(_, read)| read.covers(name))
    }

    /// Whether every read's variable is known.
    pub fn fully_known(&self) -> bool {
        self.unresolved.is_none()
    }

    /// Reads the process cannot start without: a required read of a named variable on every
    /// path of its function (`env::var("X")?`, a clap argument without default, an envy field),
    /// in a function that runs when the binary starts (reads outside functions — clap and envy
    /// fields — count as such).
    pub fn required(&self) -> impl Iterator<Item = (&'c Path, &'c EnvRead)> + '_ {
        self.reads.iter().copied().filter(|(path, read)| {
            read.requirement == crate::facts::env::Requirement::Required
                && read.name.is_some()
                && !read.conditional
                && read.kind != ReadKind::All
                && self.runs_on_start(path, read)
        })
    }

    fn runs_on_start(&self, path: &Path, read: &EnvRead) -> bool {
        let (Some(on_start), Some(startup)) = (&self.on_start, self.cx_startup) else {
            return false;
        };
        let Some(&file) = self.file_index.get(path) else {
            return false;
        };
        match startup.graph.enclosing(file, read.span) {
            Some(function) => on_start.contains(&function),
            None => true,
        }
    }

    /// Who reads `name` when the service's code does not: the runtime, the platform or a
    /// crate it depends on.
    pub fn runtime_reader(&self, name: &str) -> Option<&'static str> {
        runtime_reader(name, &self.dependencies)
    }
}

/// Variables read by the runtime, the C library, TLS stacks, proxies and telemetry, whatever the
/// service's crates: (name or prefix ending in `*`, who reads it).
const RUNTIME_VARS: &[(&str, &str)] = &[
    (
        "RUST_LOG",
        "the log filter of tracing-subscriber and env_logger",
    ),
    ("RUST_LOG_STYLE", "env_logger"),
    ("RUST_BACKTRACE", "the Rust runtime"),
    ("RUST_LIB_BACKTRACE", "the Rust runtime"),
    ("RUST_MIN_STACK", "the Rust runtime"),
    ("TZ", "the C library"),
    ("LANG", "the C library"),
    ("LANGUAGE", "the C library"),
    ("LC_*", "the C library"),
    ("TMPDIR", "`std::env::temp_dir`"),
    ("HOME", "the C library"),
    ("PATH", "the C library"),
    ("HOSTNAME", "the container runtime"),
    ("LD_*", "the dynamic linker"),
    ("MALLOC_*", "the memory allocator"),
    ("JEMALLOC_*", "jemalloc"),
    ("_RJEM_MALLOC_CONF", "jemalloc"),
    ("MIMALLOC_*", "mimalloc"),
    ("TOKIO_*", "the tokio runtime and tokio-console"),
    ("OTEL_*", "the OpenTelemetry SDK"),
    ("SSL_CERT_*", "OpenSSL and rustls-native-certs"),
    ("OPENSSL_*", "OpenSSL"),
    ("HTTP_PROXY", "HTTP clients"),
    ("HTTPS_PROXY", "HTTP clients"),
    ("ALL_PROXY", "HTTP clients"),
    ("NO_PROXY", "HTTP clients"),
    ("http_proxy", "HTTP clients"),
    ("https_proxy", "HTTP clients"),
    ("all_proxy", "HTTP clients"),
    ("no_proxy", "HTTP clients"),
    ("SQLX_OFFLINE", "sqlx's macros"),
    ("NO_COLOR", "terminal colour crates"),
    ("CLICOLOR", "terminal colour crates"),
    ("CLICOLOR_FORCE", "terminal colour crates"),
    ("TERM", "terminal crates"),
    ("KUBERNETES_*", "Kubernetes clients"),
];

/// Variables crates read themselves: (crate name or prefix ending in `*`, variable or prefix
/// ending in `*`, who reads it).
const CRATE_VARS: &[(&str, &str, &str)] = &[
    ("rocket", "ROCKET_*", "rocket's configuration"),
    ("leptos", "LEPTOS_*", "leptos's configuration"),
    ("leptos_config", "LEPTOS_*", "leptos's configuration"),
    ("trillium-tokio", "PORT", "trillium's server"),
    ("trillium-tokio", "HOST", "trillium's server"),
    ("trillium-smol", "PORT", "trillium's server"),
    ("trillium-smol", "HOST", "trillium's server"),
    ("sqlx", "PG*", "sqlx's PostgreSQL options (libpq variables)"),
    (
        "sea-orm",
        "PG*",
        "sqlx's PostgreSQL options (libpq variables)",
    ),
    ("diesel", "PG*", "libpq"),
    ("pq-sys", "PG*", "libpq"),
    ("aws-config", "AWS_*", "the AWS SDK"),
    ("aws-sdk-*", "AWS_*", "the AWS SDK"),
    ("rusoto_*", "AWS_*", "rusoto"),
    ("sentry", "SENTRY_*", "the Sentry SDK"),
    ("google-cloud-*", "GOOGLE_*", "the Google Cloud SDK"),
    ("gcp_auth", "GOOGLE_*", "gcp_auth"),
    ("yup-oauth2", "GOOGLE_*", "yup-oauth2"),
    ("azure_*", "AZURE_*", "the Azure SDK"),
    ("rayon", "RAYON_NUM_THREADS", "rayon"),
    ("opentelemetry-jaeger", "JAEGER_*", "the Jaeger exporter"),
    ("opentelemetry-datadog", "DD_*", "the Datadog exporter"),
    ("datadog-*", "DD_*", "the Datadog client"),
];

fn matches_pattern(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => value == pattern,
    }
}

/// Who reads `name` when the service's code does not: the runtime and platform, or one of the
/// crates in `dependencies`.
pub fn runtime_reader(name: &str, dependencies: &[&str]) -> Option<&'static str> {
    if let Some((_, who)) = RUNTIME_VARS
        .iter()
        .find(|(pattern, _)| matches_pattern(pattern, name))
    {
        return Some(who);
    }
    CRATE_VARS
        .iter()
        .find(|(krate, pattern, _)| {
            matches_pattern(pattern, name) && dependencies.iter().any(|d| matches_pattern(krate, d))
        })
        .map(|(_, _, who)| *who)
}

// ---------------------------------------------------------------------------------------------
// Database URLs.

/// What a database URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// `PostgreSQL`, `MySQL`, `SQLite`, `SQL Server`, `MongoDB`.
    pub engine: &'static str,
    /// Lowercased; `None` for SQLite.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// The database (or SQLite file).
    pub database: Option<String>,
}

const DATABASE_SCHEMES: &[(&str, &str)] = &[
    ("postgres", "PostgreSQL"),
    ("postgresql", "PostgreSQL"),
    ("mysql", "MySQL"),
    ("mariadb", "MySQL"),
    ("sqlite", "SQLite"),
    ("sqlserver", "SQL Server"),
    ("mssql", "SQL Server"),
    ("mongodb", "MongoDB"),
    ("mongodb+srv", "MongoDB"),
];

/// A database connection URL: `postgres://user:pw@db:5432/orders?sslmode=require`,
/// `sqlite://data/app.db`, `sqlite::memory:`, `mysql://…`, `mongodb://…`; also a libpq string
/// `host=db dbname=orders`. `None` for anything else, and for templates (`${…}`, `{{…}}`).
pub fn database_url(value: &str) -> Option<DatabaseUrl> {
    let value = value.trim();
    if value.contains("${") || value.contains("{{") || value.contains("$(") {
        return None;
    }
    if value.contains("host=") && value.contains('=') && !value.contains("://") {
        let field = |key: &str| {
            value
                .split_whitespace()
                .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_string)
        };
        return Some(DatabaseUrl {
            engine: "PostgreSQL",
            host: field("host").map(|h| h.to_ascii_lowercase()),
            port: field("port").and_then(|p| p.parse().ok()),
            database: field("dbname"),
        });
    }
    let (scheme, rest) = value.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let (_, engine) = DATABASE_SCHEMES.iter().find(|(s, _)| *s == scheme)?;
    if *engine == "SQLite" {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        return Some(DatabaseUrl {
            engine,
            host: None,
            port: None,
            database: (!path.is_empty()).then(|| path.to_string()),
        });
    }
    let rest = rest.strip_prefix("//")?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // Several hosts (`a:27017,b:27017`): the first.
    let host_port = host_port.split(',').next().unwrap_or(host_port);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
            (host, port.parse().ok())
        }
        _ => (host_port, None),
    };
    if host.is_empty() {
        return None;
    }
    let database = path
        .strip_prefix('/')
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    Some(DatabaseUrl {
        engine,
        host: Some(host.to_ascii_lowercase()),
        port,
        database,
    })
}

/// Whether a variable's name says it holds a database's address or credentials reference:
/// `DATABASE_URL`, `DB_DSN`, `POSTGRES_URI`, `APP_DATABASE__URL`, `PG_CONNECTION_STRING`.
pub fn names_database(name: &str) -> bool {
    let words = crate::facts::secrets::words(name);
    let database = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "database"
                | "db"
                | "postgres"
                | "postgresql"
                | "pg"
                | "mysql"
                | "mariadb"
                | "mongo"
                | "mongodb"
                | "sql"
                | "sqlite"
        )
    });
    let address = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "url" | "uri" | "dsn" | "connection" | "conn" | "string" | "addr" | "address"
        )
    });
    database && address
}

/// The database image a container or compose service runs, with the engine it is and the
/// major version its tag names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseImage {
    pub engine: &'static str,
    /// `16` for `postgres:16.2-alpine`, `9.6` for `postgres:9.6`, `8` for `mysql:8.0`;
    /// `None` when the tag names no version (`latest`, `alpine`).
    pub major: Option<String>,
}

/// What backing-service image `reference` is: `postgres:16`, `bitnami/postgresql:15.4.0`,
/// `redis:7-alpine`. Same table as [`crate::facts::kubernetes::stateful_image`].
pub fn backing_image(reference: &str, tag_override: Option<&str>) -> Option<DatabaseImage> {
    let engine = crate::facts::kubernetes::stateful_image(reference)?;
    let image = crate::source::dockerfile::ImageRef::parse(reference);
    let tag = tag_override.map(str::to_string).or(image.tag);
    let major = tag.and_then(|tag| major_version(engine, &tag));
    Some(DatabaseImage { engine, major })
}

/// The major version a tag names: the leading number (`16.2-alpine` → `16`, `v1.24` → `1`),
/// two numbers for PostgreSQL before 10 (`9.6` → `9.6`).
fn major_version(engine: &str, tag: &str) -> Option<String> {
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let numbers: Vec<&str> = tag
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()?
        .split('.')
        .filter(|s| !s.is_empty())
        .collect();
    let first: u32 = numbers.first()?.parse().ok()?;
    if engine == "PostgreSQL" && first < 10 && numbers.len() > 1 {
        return Some(format!("{first}.{}", numbers[1]));
    }
    Some(first.to_string())
}

/// The tag kustomize gives `image` (an `images:` entry of a kustomization), if any.
pub fn kustomize_tag<'c>(cx: &'c WorkspaceContext<'_>, image: &str) -> Option<&'c str> {
    let name = crate::source::dockerfile::ImageRef::parse(image).name;
    cx.deployment
        .cluster
        .image_overrides()
        .iter()
        .find(|o| {
            o.name == name
                || image_name(&o.name) == image_name(&name)
                    && o.name.contains('/') == name.contains('/')
        })
        .and_then(|o| o.new_tag.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        let url =
            database_url("postgres://orders:pw@db.internal:5433/orders?sslmode=require").unwrap();
        assert_eq!(url.engine, "PostgreSQL");
        assert_eq!(url.host.as_deref(), Some("db.internal"));
        assert_eq!(url.port, Some(5433));
        assert_eq!(url.database.as_deref(), Some("orders"));
        let sqlite = database_url("sqlite://data/app.db?mode=rwc").unwrap();
        assert_eq!(
            (sqlite.engine, sqlite.database.as_deref()),
            ("SQLite", Some("data/app.db"))
        );
        assert_eq!(database_url("sqlite::memory:").unwrap().engine, "SQLite");
        let mongo = database_url("mongodb://a:27017,b:27017/shop").unwrap();
        assert_eq!(mongo.host.as_deref(), Some("a"));
        let libpq = database_url("host=db port=5432 dbname=orders user=app").unwrap();
        assert_eq!(libpq.database.as_deref(), Some("orders"));
        assert!(database_url("postgres://${DB_HOST}/orders").is_none());
        assert!(database_url("redis://cache:6379").is_none());
        assert!(database_url("https://example.com").is_none());
    }

    #[test]
    fn names_of_database_settings() {
        for name in [
            "DATABASE_URL",
            "DB_DSN",
            "POSTGRES_URI",
            "APP_DATABASE__URL",
            "PG_CONNECTION_STRING",
        ] {
            assert!(names_database(name), "{name}");
        }
        for name in [
            "SENTRY_DSN",
            "DB_PASSWORD",
            "REDIS_URL",
            "DATABASE_POOL_SIZE",
        ] {
            assert!(!names_database(name), "{name}");
        }
    }

    #[test]
    fn major_versions_of_backing_images() {
        let major = |image: &str| backing_image(image, None).and_then(|i| i.major);
        assert_eq!(major("postgres:16.2-alpine").as_deref(), Some("16"));
        assert_eq!(major("docker.io/postgres:13.4").as_deref(), Some("13"));
        assert_eq!(major("postgres:9.6").as_deref(), Some("9.6"));
        assert_eq!(
            major("bitnami/postgresql:15.4.0-debian-11-r0").as_deref(),
            Some("15")
        );
        assert_eq!(major("redis:7-alpine").as_deref(), Some("7"));
        assert_eq!(major("mysql:8.0").as_deref(), Some("8"));
        assert_eq!(major("postgres:alpine"), None);
        assert_eq!(major("postgres"), None);
        assert!(backing_image("orders-api:1.2", None).is_none());
        assert_eq!(
            backing_image("postgres:13", Some("16"))
                .unwrap()
                .major
                .as_deref(),
            Some("16")
        );
    }

    #[test]
    fn runtime_variables() {
        assert!(runtime_reader("RUST_LOG", &[]).is_some());
        assert!(runtime_reader("OTEL_EXPORTER_OTLP_ENDPOINT", &[]).is_some());
        assert!(runtime_reader("PGPASSWORD", &[]).is_none());
        assert!(runtime_reader("PGPASSWORD", &["sqlx"]).is_some());
        assert!(runtime_reader("AWS_REGION", &["aws-sdk-s3"]).is_some());
        assert!(runtime_reader("ROCKET_PORT", &["rocket"]).is_some());
        assert!(runtime_reader("PORT", &["axum"]).is_none());
        assert!(runtime_reader("DATABASE_URL", &["sqlx"]).is_none());
    }

    #[test]
    fn shell_mentions_and_dependent_references() {
        let names = shell_mentions(
            "if [[ -n \"${WAIT_FOR:-}\" ]]; then wait-for $DB_HOST:$DB_PORT; fi; echo $1 $$",
        );
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["DB_HOST", "DB_PORT", "WAIT_FOR"]
        );
        assert_eq!(
            dependent_references("http://$(POD_IP):$(PORT)/x"),
            ["POD_IP", "PORT"]
        );
    }

    #[test]
    fn base64_values() {
        assert_eq!(
            base64_decode("cG9zdGdyZXM6Ly9kYi9vcmRlcnM=").as_deref(),
            Some("postgres://db/orders")
        );
        assert_eq!(base64_decode("YQ").as_deref(), Some("a"));
        assert!(base64_decode("not base64!").is_none());
    }
}
