//! `cargo fitness inventory`: the service card. For each deployable binary of the workspace,
//! what the service model links to it (Dockerfiles, images, Kubernetes workloads and Services,
//! compose services) and what its code does (the address it listens on, its routes, the
//! environment variables it reads and who provides each, the backing services it talks to,
//! signal handling, health endpoints), then what the model could not link.
//!
//! The card is plain data ([`Inventory`]): [`render`] turns it into aligned text tables,
//! Markdown or JSON, and [`graph`] draws the architecture from it.

pub mod graph;
pub mod render;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::Span;
use crate::facts::RustFacts;
use crate::facts::backing_services::{self, BackingTarget};
use crate::facts::docker::{chain_instructions, shipping_stage, stage_chain};
use crate::facts::env::{ReadKind, Requirement};
use crate::facts::listen::{Origin, Part};
use crate::facts::routes::{composed_paths, is_health_path};
use crate::facts::signals::SignalKind;
use crate::model::{Service, ServiceModel};
use crate::rule::WorkspaceContext;
use crate::source::compose::ComposeService;
use crate::source::kubernetes::{self, Container, EnvSource, ProbeAction};
use crate::source::yaml::Node;
use crate::source::{FileKind, SourceFile, env_file};

/// The version of the JSON shape; bumped when a field changes meaning or disappears.
pub const JSON_VERSION: u32 = 1;

/// Everything `inventory` shows.
#[derive(Clone, Debug, Serialize)]
pub struct Inventory {
    /// The version of this shape ([`JSON_VERSION`]).
    pub version: u32,
    pub services: Vec<Card>,
    /// What the model could not link, or linked by a guess worth checking.
    pub notes: Vec<String>,
}

/// A place in a file: its path relative to the workspace root, and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Place {
    pub path: String,
    pub line: usize,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// One deployable binary and what the model links to it.
#[derive(Clone, Debug, Serialize)]
pub struct Card {
    pub name: String,
    /// `server` (it starts a server or consumer), `tool` (a binary that runs and exits) or
    /// `unlinked` (a `[[services]]` entry whose binary is not in the workspace).
    pub kind: &'static str,
    pub binary: Option<BinaryCard>,
    pub dockerfiles: Vec<DockerfileCard>,
    /// Images the service runs as, from its Kubernetes containers and compose services.
    pub images: Vec<ImageCard>,
    pub workloads: Vec<WorkloadCard>,
    pub compose: Vec<ComposeCard>,
    pub listen: Vec<ListenCard>,
    pub routes: Vec<RouteCard>,
    pub env: Vec<EnvCard>,
    /// Variables a deployment sets that the code never reads (well-known runtime variables
    /// and keys of shared ConfigMaps and Secrets left out).
    pub unread_env: Vec<UnreadEnv>,
    pub backing_services: Vec<BackingCard>,
    pub signals: Vec<SignalCard>,
    pub health: HealthCard,
}

#[derive(Clone, Debug, Serialize)]
pub struct BinaryCard {
    pub name: String,
    pub package: String,
    /// The binary's root file.
    pub root: String,
    /// The workspace libraries it links.
    pub libraries: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DockerfileCard {
    pub path: String,
    /// Why the model thinks it builds this binary.
    pub reason: String,
    /// The image the shipping stage starts from.
    pub base_image: Option<String>,
    /// `EXPOSE` of the shipping stage.
    pub exposes: Vec<String>,
    /// `ENTRYPOINT`/`CMD` of the shipping stage, as written.
    pub entrypoint: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ImageCard {
    pub image: String,
    /// `Deployment/orders`, `compose:orders`.
    pub used_by: String,
    pub at: Place,
    /// What a kustomization changes: `newTag: 1.4.1 (deploy/overlays/prod/kustomization.yaml)`.
    pub overrides: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WorkloadCard {
    /// `Deployment`, `StatefulSet`, `Job`…
    pub kind: String,
    pub name: String,
    pub container: String,
    pub init_container: bool,
    pub at: Place,
    /// `containerPort`s.
    pub ports: Vec<PortCard>,
    /// Kubernetes Services selecting the workload, with their ports.
    pub services: Vec<KubeServiceCard>,
    pub replicas: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KubeServiceCard {
    pub name: String,
    pub ports: Vec<PortCard>,
    pub at: Place,
}

/// A container port (`port`, its `name`) or a Service port (`port`, `target`: the
/// `targetPort`, a number or a container port's name).
#[derive(Clone, Debug, Serialize)]
pub struct PortCard {
    pub port: String,
    pub name: Option<String>,
    pub target: Option<String>,
}

impl std::fmt::Display for PortCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some(target) = &self.target {
            write!(f, " → {target}")?;
        }
        if let Some(name) = &self.name
            && self.target.is_none()
        {
            write!(f, " ({name})")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ComposeCard {
    pub name: String,
    pub at: Place,
    /// `ports:` as written (`8080:8080`).
    pub ports: Vec<String>,
    pub profiles: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ListenCard {
    pub framework: String,
    /// `0.0.0.0:8080`, with `?` for what the code does not say.
    pub address: String,
    pub host: AddressPart,
    pub port: AddressPart,
    pub at: Place,
}

/// Where the host or port of a listen address comes from.
#[derive(Clone, Debug, Serialize)]
pub struct AddressPart {
    /// `literal`, `env`, `config` or `unknown`.
    pub origin: &'static str,
    /// The environment variable, for `env` (and for `config` fields filled from one).
    pub var: Option<String>,
    /// The configuration field, for `config`.
    pub field: Option<String>,
    /// The literal, or the default of the environment variable.
    pub value: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RouteCard {
    /// `http` or `grpc`.
    pub protocol: &'static str,
    pub framework: String,
    /// The path with the prefixes the code puts in front of it, or the gRPC service name.
    pub path: String,
    pub health: bool,
    /// The first place that declares it.
    pub at: Place,
    /// How many other places declare the same path (other methods, or prefixes the tool
    /// could not compose).
    pub also: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct EnvCard {
    /// The variable, or `PREFIX*` for reads of every variable under a prefix.
    pub name: String,
    /// `required`, `defaulted` or `optional`.
    pub requirement: &'static str,
    pub default: Option<String>,
    pub read_at: Place,
    pub provided: Vec<Provision>,
    /// Deployments of the service that do not set it (`Deployment/orders`, `compose:orders`).
    pub not_provided_by: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Provision {
    /// Who sets it: `Deployment/orders`, `compose:orders`, `crates/orders/Dockerfile`.
    pub by: String,
    /// How: `env`, `env (Secret shop-db, key url)`, `envFrom ConfigMap shop-config`,
    /// `environment`, `env_file .env.dev`, `ENV`.
    pub how: String,
    /// The value when it is written in the tree (masked for secret-looking names).
    pub value: Option<String>,
    pub at: Place,
    /// False when the source may set it but the tool cannot see its keys (a Secret or
    /// ConfigMap that is not in the tree).
    pub certain: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnreadEnv {
    pub name: String,
    pub by: String,
    pub at: Place,
}

#[derive(Clone, Debug, Serialize)]
pub struct BackingCard {
    /// `PostgreSQL`, `Redis`, `HTTP service`…
    pub kind: String,
    /// The environment variables that point at it.
    pub via: Vec<String>,
    /// Where it is, as far as the tree says: `postgres:5432/shop (compose:orders)`,
    /// `Secret shop-db, key url (Deployment/orders)`.
    pub targets: Vec<String>,
    /// For an HTTP URL whose host is another service of this workspace: that service.
    pub service: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SignalCard {
    /// `SIGTERM`, `Ctrl-C (SIGINT only)`, `graceful shutdown`, `handled by actix-web`…
    pub kind: String,
    pub at: Place,
}

#[derive(Clone, Debug, Serialize, Default)]
pub struct HealthCard {
    /// Health routes of the code.
    pub routes: Vec<String>,
    /// The code sets up the standard gRPC health service.
    pub grpc_health: bool,
    pub probes: Vec<ProbeCard>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProbeCard {
    /// `Deployment/orders`, `compose:orders`, a Dockerfile path.
    pub by: String,
    /// `readiness`, `liveness`, `startup`, `healthcheck`.
    pub kind: String,
    /// `httpGet /healthz port http`, `grpc port 50051`, `exec pg_isready`…
    pub action: String,
    pub at: Place,
}

/// Variables runtimes and libraries read by themselves; a deployment may set them without the
/// code naming them.
pub const WELL_KNOWN_RUNTIME_VARS: &[&str] = &[
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "RUST_MIN_STACK",
    "TZ",
    "LANG",
    "LC_ALL",
    "HOME",
    "PATH",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "TOKIO_WORKER_THREADS",
    "MALLOC_CONF",
    "_RJEM_MALLOC_CONF",
    "POD_NAME",
    "POD_NAMESPACE",
    "POD_IP",
    "NODE_NAME",
    "HOSTNAME",
];

/// Whether a deployment may set `name` without the code reading it.
pub fn is_well_known_runtime_var(name: &str) -> bool {
    WELL_KNOWN_RUNTIME_VARS.contains(&name)
        || ["OTEL_", "AWS_", "GOOGLE_", "AZURE_", "KUBERNETES_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// Builds the inventory of a workspace.
pub fn collect(cx: &WorkspaceContext<'_>) -> Inventory {
    let model = cx.model();
    let mut files = Files::new(&cx.workspace.root);
    for (source, _) in cx.dockerfiles {
        files.known(source.clone());
    }
    let mut order: Vec<&Service<'_>> = model.services.iter().collect();
    order.sort_by_key(|s| (kind_rank(s), s.name.clone()));
    let mut services: Vec<Card> = order.iter().map(|s| card(cx, s, &mut files)).collect();
    let hosts = service_hosts(&services);
    for card in &mut services {
        for backing in &mut card.backing_services {
            if backing.kind != "HTTP service" {
                continue;
            }
            let named = backing.targets.iter().find_map(|target| {
                let host = target.split([':', '/', ' ']).next()?;
                hosts.get(host).filter(|name| **name != card.name).cloned()
            });
            backing.service = named;
        }
    }
    let mut notes = model.notes.clone();
    for card in &services {
        if card.kind == "server"
            && card.dockerfiles.is_empty()
            && card.workloads.is_empty()
            && card.compose.is_empty()
        {
            notes.push(format!("{}: starts a server, but no Dockerfile, Kubernetes workload or compose service runs it that the tool can tell (name it in `[[services]]`)", card.name));
        }
        if !card.workloads.is_empty() && card.dockerfiles.is_empty() {
            notes.push(format!("{}: runs in Kubernetes, but no Dockerfile of the workspace builds it that the tool can tell", card.name));
        }
        if card.kind == "server"
            && card.listen.is_empty()
            && card.routes.iter().any(|r| r.protocol == "http")
        {
            notes.push(format!(
                "{}: serves routes, but the tool cannot tell the address it listens on",
                card.name
            ));
        }
    }
    unlinked_workloads(cx, model, &mut notes);
    notes.sort();
    notes.dedup();
    Inventory {
        version: JSON_VERSION,
        services,
        notes,
    }
}

fn kind_rank(service: &Service<'_>) -> u8 {
    match &service.binary {
        Some(binary) if binary.serves => 0,
        Some(_) => 1,
        None => 2,
    }
}

/// Workloads and compose services that build from this workspace's Dockerfiles or run a
/// workspace image but are linked to no service.
fn unlinked_workloads(
    cx: &WorkspaceContext<'_>,
    model: &ServiceModel<'_>,
    notes: &mut Vec<String>,
) {
    for file in cx.deployment.compose_files() {
        for service in file.services() {
            let linked = model
                .services
                .iter()
                .any(|s| s.compose.iter().any(|c| std::ptr::eq(c.node, service.node)));
            if !linked && service.build().is_some() {
                notes.push(format!(
                    "{}: compose service `{}` builds an image, but the tool cannot tell which binary it runs",
                    file.source.path.display(),
                    service.name
                ));
            }
        }
    }
}

/// The host names each service answers to: its compose service names and the names of the
/// Kubernetes Services selecting it.
fn service_hosts(cards: &[Card]) -> HashMap<String, String> {
    let mut hosts = HashMap::new();
    for card in cards {
        for compose in &card.compose {
            hosts
                .entry(compose.name.clone())
                .or_insert_with(|| card.name.clone());
        }
        for workload in &card.workloads {
            for service in &workload.services {
                hosts
                    .entry(service.name.clone())
                    .or_insert_with(|| card.name.clone());
            }
        }
    }
    hosts
}

fn card<'a>(cx: &WorkspaceContext<'a>, service: &Service<'a>, files: &mut Files) -> Card {
    let kind = match &service.binary {
        Some(binary) if binary.serves => "server",
        Some(_) => "tool",
        None => "unlinked",
    };
    let facts = service.rust_facts(cx);
    let runs = |path: &Path, span: Span| service.runs(cx, path, span);
    let binary = service.binary.as_ref().map(|binary| {
        let mut libraries: Vec<String> = binary
            .package
            .dependencies
            .iter()
            .filter(|d| cx.workspace.packages.iter().any(|p| &p.name == *d))
            .cloned()
            .collect();
        libraries.sort();
        BinaryCard {
            name: binary.name.clone(),
            package: binary.package.name.clone(),
            root: slash(&binary.root),
            libraries,
        }
    });
    let dockerfiles = service
        .dockerfiles
        .iter()
        .map(|built| dockerfile_card(built, files))
        .collect();
    let deployers = Deployers::of(cx, service);
    let env = env_cards(&facts, &runs, &deployers, files);
    let unread_env = unread(&facts, &deployers);
    let backing_services = backing(&env);
    Card {
        name: service.name.clone(),
        kind,
        binary,
        dockerfiles,
        images: images(cx, service),
        workloads: workloads(cx, service),
        compose: service.compose.iter().map(compose_card).collect(),
        listen: listen(&facts, &runs, files),
        routes: routes(&facts, &runs, files),
        env,
        unread_env,
        backing_services,
        signals: signals(&facts, &runs, files),
        health: health(&facts, &runs, service, files),
    }
}

fn dockerfile_card(built: &crate::model::Built<'_>, files: &mut Files) -> DockerfileCard {
    let _ = files;
    let dockerfile = built.dockerfile;
    let stage = shipping_stage(dockerfile);
    let base_image = stage.map(
        |stage| match crate::facts::docker::base_image(dockerfile, stage) {
            crate::source::dockerfile::ImageSource::Image(image) => {
                crate::facts::docker::display(&image)
            }
            crate::source::dockerfile::ImageSource::Scratch => "scratch".to_string(),
            crate::source::dockerfile::ImageSource::Stage(index) => format!("stage {index}"),
            crate::source::dockerfile::ImageSource::Unresolved(text) => text,
        },
    );
    let mut exposes = Vec::new();
    let mut entrypoint = None;
    if let Some(stage) = stage {
        for (_, instruction) in chain_instructions(dockerfile, &stage_chain(dockerfile, stage)) {
            match instruction.keyword.as_str() {
                "EXPOSE" => exposes.extend(instruction.ports().into_iter().map(|p| p.port)),
                "ENTRYPOINT" | "CMD"
                    if entrypoint.is_none() || instruction.keyword == "ENTRYPOINT" =>
                {
                    let text = built
                        .source
                        .text
                        .get(instruction.span.clone())
                        .unwrap_or("");
                    let text = text
                        .strip_prefix(instruction.keyword.as_str())
                        .unwrap_or(text)
                        .trim();
                    entrypoint = Some(text.split_whitespace().collect::<Vec<_>>().join(" "));
                }
                _ => {}
            }
        }
    }
    DockerfileCard {
        path: slash(&built.source.path),
        reason: built.reason.clone(),
        base_image,
        exposes,
        entrypoint,
    }
}

fn images(cx: &WorkspaceContext<'_>, service: &Service<'_>) -> Vec<ImageCard> {
    let mut images = Vec::new();
    for container in &service.containers {
        let Some(node) = container.image() else {
            continue;
        };
        let Some(image) = node.as_str() else { continue };
        let file = container.workload().object.file;
        let repository = image.split('@').next().unwrap_or(image);
        let repository = match repository.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => name,
            _ => repository,
        };
        let overrides = cx
            .deployment
            .cluster
            .image_overrides()
            .iter()
            .filter(|o| o.name == repository || o.name == image)
            .map(|o| {
                let mut parts = Vec::new();
                if let Some(name) = &o.new_name {
                    parts.push(format!("newName: {name}"));
                }
                if let Some(tag) = &o.new_tag {
                    parts.push(format!("newTag: {tag}"));
                }
                if let Some(digest) = &o.digest {
                    parts.push(format!("digest: {digest}"));
                }
                parts.join(", ")
            })
            .filter(|text| !text.is_empty())
            .collect();
        images.push(ImageCard {
            image: image.to_string(),
            used_by: workload_name(container),
            at: place_of(&file.source, kubernetes::span(node)),
            overrides,
        });
    }
    for compose in &service.compose {
        if let Some(node) = compose.image()
            && let Some(image) = node.as_str()
        {
            images.push(ImageCard {
                image: image.to_string(),
                used_by: format!("compose:{}", compose.name),
                at: place_of(&compose.file.source, kubernetes::span(node)),
                overrides: Vec::new(),
            });
        }
    }
    images
}

/// `Deployment/orders`, or `Deployment/orders › container sidecar` when the workload runs
/// more than one container.
fn workload_name(container: &Container<'_>) -> String {
    let workload = container.workload();
    let object = workload.object.logical();
    if workload.all_containers().len() > 1 {
        format!("{object} › {}", container.name().unwrap_or("(unnamed)"))
    } else {
        object
    }
}

fn workloads(cx: &WorkspaceContext<'_>, service: &Service<'_>) -> Vec<WorkloadCard> {
    service
        .containers
        .iter()
        .map(|container| {
            let workload = container.workload();
            let object = workload.object;
            let ports = container
                .ports()
                .iter()
                .filter_map(|port| {
                    Some(PortCard {
                        port: port.container_port().and_then(kubernetes::scalar_text)?,
                        name: port.name().map(str::to_string),
                        target: None,
                    })
                })
                .collect();
            let services = cx
                .deployment
                .cluster
                .services_selecting(&workload)
                .iter()
                .map(|kube| KubeServiceCard {
                    name: kube.object.name().to_string(),
                    ports: kube
                        .ports()
                        .iter()
                        .map(|port| PortCard {
                            port: port
                                .port()
                                .and_then(kubernetes::scalar_text)
                                .unwrap_or_else(|| "?".into()),
                            name: port.name().map(str::to_string),
                            target: port.target_port().and_then(kubernetes::scalar_text),
                        })
                        .collect(),
                    at: place_of(
                        &kube.object.file.source,
                        kubernetes::span(kube.object.anchor()),
                    ),
                })
                .collect();
            let mut replicas = workload.replicas().and_then(|(_, value)| value.as_i64());
            if let Some(patched) = cx.deployment.cluster.patched_replicas(&object).last() {
                replicas = Some(*patched);
            }
            WorkloadCard {
                kind: object.kind().to_string(),
                name: object.name().to_string(),
                container: container.name().unwrap_or("(unnamed)").to_string(),
                init_container: container.init,
                at: place_of(&object.file.source, kubernetes::span(container.anchor())),
                ports,
                services,
                replicas,
            }
        })
        .collect()
}

fn compose_card(service: &ComposeService<'_>) -> ComposeCard {
    let ports = service
        .ports()
        .iter()
        .map(|port| {
            let mut text = String::new();
            if let Some(ip) = &port.host_ip {
                text.push_str(ip);
                text.push(':');
            }
            if let Some(published) = &port.published {
                text.push_str(published);
                text.push(':');
            }
            text.push_str(port.target.as_deref().unwrap_or("?"));
            text
        })
        .collect();
    ComposeCard {
        name: service.name.to_string(),
        at: place_of(&service.file.source, kubernetes::span(service.key)),
        ports,
        profiles: service.profiles().iter().map(|p| p.to_string()).collect(),
    }
}

fn listen(
    facts: &[(&Path, &RustFacts)],
    runs: &dyn Fn(&Path, Span) -> bool,
    files: &mut Files,
) -> Vec<ListenCard> {
    let mut cards = Vec::new();
    for (path, file) in facts {
        for address in file.listen.iter().filter(|a| runs(path, a.span)) {
            let host = address_part(&address.host, facts);
            let port = address_part(&address.port.clone().map_value(|p| p.to_string()), facts);
            let shown = |part: &AddressPart| part.value.clone().unwrap_or_else(|| "?".into());
            let text = match &address.literal {
                Some(literal) => literal.clone(),
                None => {
                    let host = shown(&host);
                    if host.contains(':') {
                        format!("[{host}]:{}", shown(&port))
                    } else {
                        format!("{host}:{}", shown(&port))
                    }
                }
            };
            cards.push(ListenCard {
                framework: address.framework.to_string(),
                address: text,
                host,
                port,
                at: files.place(path, address.span),
            });
        }
    }
    cards
}

trait MapValue<T> {
    fn map_value<U>(self, f: impl Fn(T) -> U) -> Part<U>;
}

impl<T> MapValue<T> for Part<T> {
    fn map_value<U>(self, f: impl Fn(T) -> U) -> Part<U> {
        Part {
            origin: self.origin,
            value: self.value.map(f),
            value_span: self.value_span,
        }
    }
}

/// A listen address part, with a configuration field followed to the clap or envy field
/// that fills it from the environment.
fn address_part(part: &Part<String>, facts: &[(&Path, &RustFacts)]) -> AddressPart {
    match &part.origin {
        Origin::Literal => AddressPart {
            origin: "literal",
            var: None,
            field: None,
            value: part.value.clone(),
        },
        Origin::Env { var } => {
            // The default of the read, when the address fact lost it on the way.
            let default = || {
                let var = var.as_deref()?;
                facts
                    .iter()
                    .flat_map(|(_, f)| &f.env.reads)
                    .find(|r| r.name.as_deref() == Some(var))?
                    .default
                    .clone()
            };
            AddressPart {
                origin: "env",
                var: var.clone(),
                field: None,
                value: part.value.clone().or_else(default),
            }
        }
        Origin::Config { field } => {
            let read = facts
                .iter()
                .flat_map(|(_, f)| &f.env.reads)
                .find(|read| read.field.as_deref() == Some(field.as_str()) && read.name.is_some());
            AddressPart {
                origin: "config",
                var: read.and_then(|r| r.name.clone()),
                field: Some(field.clone()),
                value: part
                    .value
                    .clone()
                    .or_else(|| read.and_then(|r| r.default.clone())),
            }
        }
        Origin::Unknown => AddressPart {
            origin: "unknown",
            var: None,
            field: None,
            value: part.value.clone(),
        },
    }
}

fn routes(
    facts: &[(&Path, &RustFacts)],
    runs: &dyn Fn(&Path, Span) -> bool,
    files: &mut Files,
) -> Vec<RouteCard> {
    let route_facts: Vec<&crate::facts::routes::RouteFacts> =
        facts.iter().map(|(_, f)| &f.routes).collect();
    let mut cards = Vec::new();
    for (route, path) in composed_paths(&route_facts) {
        let Some(file) = facts
            .iter()
            .find(|(_, f)| f.routes.routes.iter().any(|r| std::ptr::eq(r, route)))
            .map(|(p, _)| *p)
        else {
            continue;
        };
        if !runs(file, route.span) {
            continue;
        }
        cards.push(RouteCard {
            protocol: "http",
            framework: route.framework.to_string(),
            health: is_health_path(&path),
            path,
            at: files.place(file, route.span),
            also: 0,
        });
    }
    for (path, file) in facts {
        for grpc in file
            .routes
            .grpc_services
            .iter()
            .filter(|g| runs(path, g.span))
        {
            cards.push(RouteCard {
                protocol: "grpc",
                framework: "tonic".into(),
                path: grpc.name.clone(),
                health: grpc.name.to_ascii_lowercase().contains("health"),
                at: files.place(path, grpc.span),
                also: 0,
            });
        }
    }
    cards.sort_by(|a, b| (a.protocol, &a.path, &a.at).cmp(&(b.protocol, &b.path, &b.at)));
    let mut merged: Vec<RouteCard> = Vec::new();
    for card in cards {
        match merged.last_mut() {
            Some(last) if last.protocol == card.protocol && last.path == card.path => {
                if last.at != card.at {
                    last.also += 1;
                }
            }
            _ => merged.push(card),
        }
    }
    merged
}

fn signals(
    facts: &[(&Path, &RustFacts)],
    runs: &dyn Fn(&Path, Span) -> bool,
    files: &mut Files,
) -> Vec<SignalCard> {
    let mut cards = Vec::new();
    for (path, file) in facts {
        for signal in file.signals.iter().filter(|s| runs(path, s.span)) {
            let kind = match signal.kind {
                SignalKind::Sigterm => "SIGTERM".to_string(),
                SignalKind::CtrlC => "Ctrl-C (SIGINT only)".to_string(),
                SignalKind::CtrlcCrate => "ctrlc handler".to_string(),
                SignalKind::GracefulShutdown => "graceful shutdown".to_string(),
                SignalKind::FrameworkHandlesSigterm(framework) => {
                    format!("SIGTERM handled by {framework}")
                }
                SignalKind::FrameworkSignalsDisabled => {
                    "framework signal handling disabled".to_string()
                }
            };
            cards.push(SignalCard {
                kind,
                at: files.place(path, signal.span),
            });
        }
    }
    cards
}

fn health(
    facts: &[(&Path, &RustFacts)],
    runs: &dyn Fn(&Path, Span) -> bool,
    service: &Service<'_>,
    files: &mut Files,
) -> HealthCard {
    let mut card = HealthCard {
        routes: routes(facts, runs, files)
            .into_iter()
            .filter(|r| r.health && r.protocol == "http")
            .map(|r| r.path)
            .collect(),
        grpc_health: facts
            .iter()
            .any(|(path, f)| f.routes.grpc_health.iter().any(|span| runs(path, *span))),
        probes: Vec::new(),
    };
    card.routes.dedup();
    for container in &service.containers {
        let by = workload_name(container);
        for (kind, probe) in [
            ("readiness", container.readiness_probe()),
            ("liveness", container.liveness_probe()),
            ("startup", container.startup_probe()),
        ] {
            let Some(probe) = probe else { continue };
            let text = |node: Option<&Node>| {
                node.and_then(kubernetes::scalar_text)
                    .unwrap_or_else(|| "?".into())
            };
            let action = match probe.action() {
                ProbeAction::HttpGet { path, port, .. } => {
                    format!("httpGet {} port {}", text(path), text(port))
                }
                ProbeAction::TcpSocket { port, .. } => format!("tcpSocket port {}", text(port)),
                ProbeAction::Grpc { port, .. } => format!("grpc port {}", text(port)),
                ProbeAction::Exec { command, .. } => {
                    let words: Vec<String> = command
                        .and_then(Node::as_seq)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(kubernetes::scalar_text)
                        .collect();
                    format!("exec {}", words.join(" "))
                }
                ProbeAction::None => "no action".to_string(),
            };
            let file = &container.workload().object.file.source;
            card.probes.push(ProbeCard {
                by: by.clone(),
                kind: kind.into(),
                action,
                at: place_of(file, kubernetes::span(probe.key)),
            });
        }
    }
    for compose in &service.compose {
        if let Some(check) = compose.healthcheck() {
            let action = match check.test {
                Some(test) if check.disabled => {
                    format!("disabled ({})", compose.file.text(test).trim())
                }
                Some(test) => compose.file.text(test).trim().to_string(),
                None => "disabled".to_string(),
            };
            card.probes.push(ProbeCard {
                by: format!("compose:{}", compose.name),
                kind: "healthcheck".into(),
                action,
                at: place_of(&compose.file.source, kubernetes::span(check.node)),
            });
        }
    }
    for built in &service.dockerfiles {
        if let Some(stage) = shipping_stage(built.dockerfile) {
            for instruction in built.dockerfile.stage_instructions(stage) {
                if instruction.keyword == "HEALTHCHECK" {
                    let text = built
                        .source
                        .text
                        .get(instruction.span.clone())
                        .unwrap_or("");
                    card.probes.push(ProbeCard {
                        by: slash(&built.source.path),
                        kind: "healthcheck".into(),
                        action: text
                            .strip_prefix("HEALTHCHECK")
                            .unwrap_or(text)
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" "),
                        at: place_of(built.source, Span::from(instruction.span.clone())),
                    });
                }
            }
        }
    }
    card
}

/// What sets a variable, per deployment of a service.
struct Deployers {
    /// One entry per Kubernetes container, compose service and Dockerfile.
    list: Vec<Deployer>,
}

struct Deployer {
    name: String,
    /// Whether it runs the service (containers, compose) or only builds its image (Dockerfile).
    runs: bool,
    /// Variables it sets by name, with how, the value and the place.
    vars: Vec<(String, String, Option<String>, Place)>,
    /// Sources whose keys it takes all at once: (how, place, keys when known, prefix).
    bulk: Vec<Bulk>,
}

struct Bulk {
    how: String,
    at: Place,
    /// The keys with their values, when the ConfigMap/Secret/env file is in the tree.
    keys: Option<Vec<(String, Option<String>)>>,
    prefix: String,
    /// A ConfigMap or Secret that more than one workload takes: its keys are shared
    /// configuration, not this service's.
    shared: bool,
}

impl Deployers {
    fn of(cx: &WorkspaceContext<'_>, service: &Service<'_>) -> Deployers {
        let mut list = Vec::new();
        for container in &service.containers {
            let mut deployer = Deployer {
                name: workload_name(container),
                runs: true,
                vars: Vec::new(),
                bulk: Vec::new(),
            };
            let file = &container.workload().object.file.source;
            let mut entries: Vec<(crate::source::kubernetes::EnvVar<'_>, Arc<SourceFile>)> =
                container
                    .env()
                    .into_iter()
                    .map(|e| (e, file.clone()))
                    .collect();
            for patch in cx.deployment.cluster.patched_containers(container) {
                let patch_file = cx
                    .deployment
                    .cluster
                    .files()
                    .iter()
                    .find(|f| f.all_objects().any(|o| holds(o.node, patch)))
                    .map(|f| f.source.clone());
                if let Some(patch_file) = patch_file {
                    for item in patch.get("env").and_then(Node::as_seq).unwrap_or_default() {
                        entries.push((
                            crate::source::kubernetes::EnvVar { node: item },
                            patch_file.clone(),
                        ));
                    }
                }
            }
            for (entry, source) in entries {
                let Some(name) = entry.name() else { continue };
                let (how, value) = match entry.source() {
                    EnvSource::Literal(node) => ("env".to_string(), kubernetes::scalar_text(node)),
                    EnvSource::SecretKeyRef { name, key } => (
                        format!("env (Secret {}, key {})", text_of(name), text_of(key)),
                        None,
                    ),
                    EnvSource::ConfigMapKeyRef { name, key } => (
                        format!("env (ConfigMap {}, key {})", text_of(name), text_of(key)),
                        None,
                    ),
                    EnvSource::Other(node) => {
                        let what = node
                            .as_map()
                            .and_then(|m| m.first())
                            .and_then(|(k, _)| k.as_str())
                            .unwrap_or("valueFrom");
                        (format!("env ({what})"), None)
                    }
                    EnvSource::Empty => ("env (empty)".to_string(), Some(String::new())),
                };
                let at = place_of(
                    &source,
                    kubernetes::span(entry.name_node().unwrap_or(entry.node)),
                );
                deployer.vars.push((name.to_string(), how, value, at));
            }
            for from in container.env_from() {
                let prefix = from.prefix().unwrap_or("").to_string();
                let (kind, node) = match (from.config_map(), from.secret()) {
                    (Some(node), _) => ("ConfigMap", node),
                    (None, Some(node)) => ("Secret", node),
                    _ => continue,
                };
                let Some(name) = node.as_str() else { continue };
                let object = cx.deployment.cluster.objects().find(|o| {
                    o.is(kind)
                        && o.name() == name
                        && kubernetes::same_namespace(o, &container.workload().object)
                });
                let keys = object.map(|o| {
                    o.data()
                        .into_iter()
                        .filter_map(|(k, v)| {
                            Some((
                                k.as_str()?.to_string(),
                                if kind == "Secret" {
                                    None
                                } else {
                                    kubernetes::scalar_text(v)
                                },
                            ))
                        })
                        .collect()
                });
                let users = cx
                    .deployment
                    .cluster
                    .objects()
                    .filter_map(|o| o.workload())
                    .filter(|w| {
                        w.all_containers().iter().any(|c| {
                            c.env_from().iter().any(|f| {
                                let named = if kind == "ConfigMap" {
                                    f.config_map()
                                } else {
                                    f.secret()
                                };
                                named.and_then(Node::as_str) == Some(name)
                            })
                        })
                    })
                    .count();
                deployer.bulk.push(Bulk {
                    how: format!("envFrom {kind} {name}"),
                    at: place_of(file, kubernetes::span(node)),
                    keys,
                    prefix,
                    shared: users > 1,
                });
            }
            list.push(deployer);
        }
        for compose in &service.compose {
            let source = &compose.file.source;
            let mut deployer = Deployer {
                name: format!("compose:{}", compose.name),
                runs: true,
                vars: Vec::new(),
                bulk: Vec::new(),
            };
            for entry in compose.environment() {
                deployer.vars.push((
                    entry.name.clone(),
                    "environment".into(),
                    entry.value.clone(),
                    place_of(source, entry.name_span),
                ));
            }
            let dir = source.path.parent().unwrap_or(Path::new("")).to_path_buf();
            for node in compose.env_files() {
                let Some(name) = node.as_str() else { continue };
                let path = crate::architecture::graph::normalize(&dir.join(name));
                let keys = std::fs::read_to_string(cx.workspace.root.join(&path))
                    .ok()
                    .map(|text| {
                        env_file::parse(&text)
                            .entries
                            .into_iter()
                            .map(|e| (e.key, Some(e.value)))
                            .collect()
                    });
                deployer.bulk.push(Bulk {
                    how: format!("env_file {}", slash(&path)),
                    at: place_of(source, kubernetes::span(node)),
                    keys,
                    prefix: String::new(),
                    shared: false,
                });
            }
            list.push(deployer);
        }
        for built in &service.dockerfiles {
            let mut deployer = Deployer {
                name: slash(&built.source.path),
                runs: false,
                vars: Vec::new(),
                bulk: Vec::new(),
            };
            if let Some(stage) = shipping_stage(built.dockerfile) {
                for (_, instruction) in
                    chain_instructions(built.dockerfile, &stage_chain(built.dockerfile, stage))
                {
                    if instruction.keyword == "ENV" {
                        for pair in instruction.key_values() {
                            deployer.vars.push((
                                pair.key.clone(),
                                "ENV".into(),
                                pair.value.clone(),
                                place_of(built.source, Span::from(pair.key_span.clone())),
                            ));
                        }
                    }
                }
            }
            list.push(deployer);
        }
        Deployers { list }
    }
}

/// Whether `target` is `tree` or one of its descendants (the same node, not an equal one).
fn holds(tree: &Node, target: &Node) -> bool {
    if std::ptr::eq(tree, target) {
        return true;
    }
    match &tree.value {
        crate::source::yaml::Value::Seq(items) => items.iter().any(|item| holds(item, target)),
        crate::source::yaml::Value::Map(entries) => entries
            .iter()
            .any(|(key, value)| holds(key, target) || holds(value, target)),
        _ => false,
    }
}

fn text_of(node: Option<&Node>) -> String {
    node.and_then(kubernetes::scalar_text)
        .unwrap_or_else(|| "?".into())
}

/// Masks values of secret-looking variables and passwords in URLs.
fn shown_value(name: &str, value: Option<String>) -> Option<String> {
    let value = value?;
    let upper = name.to_ascii_uppercase();
    if [
        "PASSWORD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|w| upper.contains(w))
    {
        return Some("***".into());
    }
    Some(mask_url_password(&value))
}

/// `postgres://user:secret@db/app` → `postgres://user:***@db/app`.
pub fn mask_url_password(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return value.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, password)) if !password.is_empty() => {
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        _ => value.to_string(),
    }
}

fn requirement_name(requirement: Requirement) -> &'static str {
    match requirement {
        Requirement::Required => "required",
        Requirement::Defaulted => "defaulted",
        Requirement::Optional => "optional",
    }
}

fn env_cards(
    facts: &[(&Path, &RustFacts)],
    runs: &dyn Fn(&Path, Span) -> bool,
    deployers: &Deployers,
    files: &mut Files,
) -> Vec<EnvCard> {
    // One card per variable: the strongest requirement, the first default.
    let mut by_name: BTreeMap<String, (Requirement, Option<String>, Place, Option<String>)> =
        BTreeMap::new();
    for (path, file) in facts {
        for read in file.env.reads.iter().filter(|r| runs(path, r.span)) {
            let (key, prefix) = match (&read.name, &read.prefix) {
                (Some(name), _) => (name.clone(), None),
                (None, Some(prefix))
                    if matches!(
                        read.kind,
                        ReadKind::ConfigEnvironment | ReadKind::Figment | ReadKind::Envy
                    ) =>
                {
                    (format!("{prefix}*"), Some(prefix.clone()))
                }
                _ => continue,
            };
            let place = files.place(path, read.span);
            let entry = by_name.entry(key).or_insert((
                read.requirement,
                read.default.clone(),
                place,
                prefix,
            ));
            if rank(read.requirement) > rank(entry.0) {
                entry.0 = read.requirement;
            }
            if entry.1.is_none() {
                entry.1 = read.default.clone();
            }
        }
    }
    // A variable read by name is not also counted under a prefix read.
    let named: Vec<String> = by_name
        .keys()
        .filter(|k| !k.ends_with('*'))
        .cloned()
        .collect();
    let under =
        |prefix: &str, var: &str| var.starts_with(prefix) && !named.iter().any(|n| n == var);
    by_name
        .into_iter()
        .map(|(name, (requirement, default, read_at, prefix))| {
            let mut provided = Vec::new();
            let mut not_provided_by = Vec::new();
            for deployer in &deployers.list {
                let before = provided.len();
                for (var, how, value, at) in &deployer.vars {
                    let matches = match &prefix {
                        Some(prefix) => under(prefix, var),
                        None => *var == name,
                    };
                    if matches {
                        provided.push(Provision {
                            by: deployer.name.clone(),
                            how: if prefix.is_some() {
                                format!("{how} {var}")
                            } else {
                                how.clone()
                            },
                            value: shown_value(var, value.clone()),
                            at: at.clone(),
                            certain: true,
                        });
                    }
                }
                for bulk in &deployer.bulk {
                    match &bulk.keys {
                        Some(keys) => {
                            for (key, value) in keys {
                                let full = format!("{}{key}", bulk.prefix);
                                let matches = match &prefix {
                                    Some(prefix) => under(prefix, &full),
                                    None => full == name,
                                };
                                if matches {
                                    provided.push(Provision {
                                        by: deployer.name.clone(),
                                        how: if prefix.is_some() {
                                            format!("{} {full}", bulk.how)
                                        } else {
                                            bulk.how.clone()
                                        },
                                        value: shown_value(&full, value.clone()),
                                        at: bulk.at.clone(),
                                        certain: true,
                                    });
                                }
                            }
                        }
                        None => provided.push(Provision {
                            by: deployer.name.clone(),
                            how: format!("{} (not in the tree: may set it)", bulk.how),
                            value: None,
                            at: bulk.at.clone(),
                            certain: false,
                        }),
                    }
                }
                if deployer.runs && !provided[before..].iter().any(|p| p.certain) {
                    not_provided_by.push(deployer.name.clone());
                }
            }
            // A Dockerfile's ENV reaches every deployment that runs its image.
            if provided.iter().any(|p| p.how == "ENV" && p.certain) {
                not_provided_by.clear();
            }
            EnvCard {
                name,
                requirement: requirement_name(requirement),
                default,
                read_at,
                provided,
                not_provided_by,
            }
        })
        .collect()
}

fn rank(requirement: Requirement) -> u8 {
    match requirement {
        Requirement::Optional => 0,
        Requirement::Defaulted => 1,
        Requirement::Required => 2,
    }
}

fn unread(facts: &[(&Path, &RustFacts)], deployers: &Deployers) -> Vec<UnreadEnv> {
    let reads: Vec<&crate::facts::env::EnvRead> =
        facts.iter().flat_map(|(_, f)| &f.env.reads).collect();
    let mut out = Vec::new();
    for deployer in deployers.list.iter().filter(|d| d.runs) {
        for (name, _, _, at) in &deployer.vars {
            if is_well_known_runtime_var(name) || reads.iter().any(|read| read.covers(name)) {
                continue;
            }
            out.push(UnreadEnv {
                name: name.clone(),
                by: deployer.name.clone(),
                at: at.clone(),
            });
        }
        for bulk in deployer.bulk.iter().filter(|b| !b.shared) {
            for (key, _) in bulk.keys.iter().flatten() {
                let name = format!("{}{key}", bulk.prefix);
                if is_well_known_runtime_var(&name) || reads.iter().any(|read| read.covers(&name)) {
                    continue;
                }
                out.push(UnreadEnv {
                    name,
                    by: deployer.name.clone(),
                    at: bulk.at.clone(),
                });
            }
        }
    }
    out
}

/// Backing services by conventional variable name, for values the tool cannot classify (a
/// Secret reference) or that are not written in the tree.
const NAMED_BACKING: &[(&str, &str)] = &[
    ("DATABASE_URL", "database"),
    ("DB_URL", "database"),
    ("POSTGRES_URL", "PostgreSQL"),
    ("PG_URL", "PostgreSQL"),
    ("MYSQL_URL", "MySQL"),
    ("MONGODB_URI", "MongoDB"),
    ("MONGO_URL", "MongoDB"),
    ("REDIS_URL", "Redis"),
    ("VALKEY_URL", "Redis"),
    ("AMQP_URL", "RabbitMQ"),
    ("RABBITMQ_URL", "RabbitMQ"),
    ("NATS_URL", "NATS"),
    ("KAFKA_BROKERS", "Kafka"),
    ("KAFKA_BOOTSTRAP_SERVERS", "Kafka"),
    ("SMTP_URL", "SMTP server"),
    ("SMTP_HOST", "SMTP server"),
    ("ELASTICSEARCH_URL", "Elasticsearch"),
    ("MEILISEARCH_URL", "Meilisearch"),
    ("S3_BUCKET", "object storage"),
];

/// The backing service a variable's name suggests: `DATABASE_URL`, `ORDERS_DATABASE_URL`.
pub fn backing_by_name(name: &str) -> Option<&'static str> {
    NAMED_BACKING
        .iter()
        .find(|(conventional, _)| {
            name == *conventional || name.ends_with(&format!("_{conventional}"))
        })
        .map(|(_, kind)| *kind)
}

/// Where a URL points: `postgres:5432/shop` (host, port and path; no user or password).
pub fn url_target(value: &str) -> Option<String> {
    let (_, rest) = value.split_once("://")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let rest = match rest.rsplit_once('@') {
        Some((_, after)) => after,
        None => rest,
    };
    let rest = rest.trim_end_matches('/');
    (!rest.is_empty()).then(|| rest.to_string())
}

fn backing(env: &[EnvCard]) -> Vec<BackingCard> {
    let mut cards: Vec<BackingCard> = Vec::new();
    for card in env {
        let mut add = |kind: String, target: Option<String>, var: &str| {
            let index = match cards
                .iter()
                .position(|c| c.kind == kind && c.via.iter().any(|v| v == var))
            {
                Some(index) => index,
                None => {
                    cards.push(BackingCard {
                        kind: kind.clone(),
                        via: vec![var.to_string()],
                        targets: Vec::new(),
                        service: None,
                    });
                    cards.len() - 1
                }
            };
            if let Some(target) = target
                && !cards[index].targets.contains(&target)
            {
                cards[index].targets.push(target);
            }
        };
        let mut classified: Option<BackingTarget> = None;
        let mut targets = Vec::new();
        let values = card
            .provided
            .iter()
            .filter_map(|p| Some((p.value.clone()?, p.by.clone())))
            .chain(
                card.default
                    .clone()
                    .map(|d| (d, "default in code".to_string())),
            );
        let named = backing_by_name(&card.name);
        for (value, by) in values {
            if let Some(target) = backing_services::classify(&value) {
                let location = url_target(&value).unwrap_or_else(|| target.host.clone());
                targets.push(format!("{location} ({by})"));
                classified.get_or_insert(target);
            } else if named.is_some()
                && let Some(location) = url_target(&value)
            {
                targets.push(format!("{location} ({by})"));
            }
        }
        for provision in &card.provided {
            if let Some(reference) = provision.how.strip_prefix("env (Secret ") {
                targets.push(format!(
                    "Secret {} ({})",
                    reference.trim_end_matches(')'),
                    provision.by
                ));
            }
        }
        let kind = match (&classified, named) {
            (Some(target), _) => Some(target.service.to_string()),
            (None, Some(kind)) => Some(kind.to_string()),
            (None, None) => None,
        };
        // A URL whose name says it is the service's own (`PUBLIC_URL`) is not a backing service.
        if let Some(kind) = kind
            && !(kind == "HTTP service"
                && backing_services::names_own_address([card.name.as_str()]))
        {
            if targets.is_empty() {
                add(kind.clone(), None, &card.name);
            }
            for target in targets {
                add(kind.clone(), Some(target), &card.name);
            }
        }
    }
    cards
}

/// Loads files once, to turn byte spans into lines.
struct Files {
    root: PathBuf,
    cache: HashMap<PathBuf, Option<Arc<SourceFile>>>,
}

impl Files {
    fn new(root: &Path) -> Files {
        Files {
            root: root.to_path_buf(),
            cache: HashMap::new(),
        }
    }

    fn known(&mut self, source: Arc<SourceFile>) {
        self.cache.insert(source.path.to_path_buf(), Some(source));
    }

    fn place(&mut self, path: &Path, span: Span) -> Place {
        let root = &self.root;
        let source = self
            .cache
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let kind = FileKind::of(path)?;
                SourceFile::load(&root.join(path), Arc::new(path.to_path_buf()), kind)
                    .ok()
                    .map(Arc::new)
            })
            .clone();
        match source {
            Some(source) => place_of(&source, span),
            None => Place {
                path: slash(path),
                line: 0,
            },
        }
    }
}

fn place_of(source: &SourceFile, span: Span) -> Place {
    Place {
        path: slash(&source.path),
        line: source.location(span).start.line,
    }
}

/// A path as users read it, with `/` on every platform.
fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked_and_nothing_else() {
        assert_eq!(
            mask_url_password("postgresql://postgres:postgres@pgbouncer/postgres"),
            "postgresql://postgres:***@pgbouncer/postgres"
        );
        assert_eq!(
            mask_url_password("redis://redis:6379"),
            "redis://redis:6379"
        );
        assert_eq!(
            mask_url_password("postgres://shop@db:5432/shop"),
            "postgres://shop@db:5432/shop"
        );
        assert_eq!(
            shown_value("SMTP_PASSWORD", Some("hunter2".into())).as_deref(),
            Some("***")
        );
    }

    #[test]
    fn url_targets_drop_credentials_and_queries() {
        assert_eq!(
            url_target("postgres://u:p@db:5432/shop?sslmode=require").as_deref(),
            Some("db:5432/shop")
        );
        assert_eq!(
            url_target("redis://redis:6379/").as_deref(),
            Some("redis:6379")
        );
        assert_eq!(url_target("not a url"), None);
    }

    #[test]
    fn backing_services_by_conventional_names() {
        assert_eq!(backing_by_name("DATABASE_URL"), Some("database"));
        assert_eq!(backing_by_name("ORDERS_DATABASE_URL"), Some("database"));
        assert_eq!(backing_by_name("REDIS_URL"), Some("Redis"));
        assert_eq!(backing_by_name("PUBLIC_URL"), None);
    }
}
