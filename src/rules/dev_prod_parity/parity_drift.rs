use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::{Label, Level, Span};
use crate::facts::backing_services;
use crate::facts::deploy_env::{
    self, DatabaseImage, Origin, Runner, RunnerEnv, ServiceReads, SetValue,
};
use crate::model::Service;
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::SourceFile;
use crate::source::compose::ComposeService;
use crate::source::kubernetes::{Container, span};
use crate::source::yaml::Node;

pub static META: RuleMeta = RuleMeta {
    id: "parity-drift",
    category: Category::DevProdParity,
    default_level: Level::Warn,
    summary: "compose (development) and Kubernetes (production) run a service or its backing services differently",
    docs: include_str!("../../../rules/dev-prod-parity/parity-drift.md"),
    scope: CodeScope::All,
};

pub struct ParityDrift;

const PRINCIPLE: &str = "twelve-factor X: keep development and production as similar as \
                         possible; what differs between them is what breaks only in production";

impl Rule for ParityDrift {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let mut reported: BTreeSet<(PathBuf, usize)> = BTreeSet::new();
        backing_images(cx, out, &mut reported);
        for service in &cx.model().services {
            service_env(cx, service, out, &mut reported);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Backing services: the same database, cache or broker at another engine or major version.

struct Backing<'a> {
    /// The compose service's name, or the workload's and container's names.
    names: Vec<&'a str>,
    image: DatabaseImage,
    /// The image as written (with kustomize's tag, when an overlay sets one).
    shown: String,
    node: &'a Node,
    source: &'a Arc<SourceFile>,
    logical: String,
}

fn backing_images(
    cx: &WorkspaceContext<'_>,
    out: &mut WorkspaceReporter,
    reported: &mut BTreeSet<(PathBuf, usize)>,
) {
    let mut dev: Vec<Backing<'_>> = Vec::new();
    for file in cx.deployment.compose_files() {
        for service in file.services() {
            if let Some(backing) = compose_backing(&service) {
                dev.push(backing);
            }
        }
    }
    let mut prod: Vec<Backing<'_>> = Vec::new();
    for object in cx.deployment.cluster.objects() {
        let Some(workload) = object.workload() else {
            continue;
        };
        for container in workload.containers() {
            if let Some(backing) = container_backing(cx, &container) {
                prod.push(backing);
            }
        }
    }
    for here in &dev {
        // The same service by name; else the only one of its engine on each side.
        let by_name: Vec<&Backing<'_>> = prod
            .iter()
            .filter(|there| there.names.iter().any(|n| here.names.contains(n)))
            .collect();
        let there = match by_name.as_slice() {
            [one] => *one,
            [] => {
                let same_engine: Vec<&Backing<'_>> = prod
                    .iter()
                    .filter(|t| t.image.engine == here.image.engine)
                    .collect();
                let dev_same = dev
                    .iter()
                    .filter(|d| d.image.engine == here.image.engine)
                    .count();
                match (same_engine.as_slice(), dev_same) {
                    ([one], 1) => *one,
                    _ => continue,
                }
            }
            _ => continue,
        };
        let message = if there.image.engine != here.image.engine {
            format!(
                "{} runs {} (`{}`), but {} runs {} (`{}`)",
                here.logical,
                here.image.engine,
                here.shown,
                there.logical,
                there.image.engine,
                there.shown
            )
        } else {
            match (&here.image.major, &there.image.major) {
                (Some(a), Some(b)) if a != b => format!(
                    "{} runs {} {a} (`{}`), but {} runs {} {b} (`{}`)",
                    here.logical,
                    here.image.engine,
                    here.shown,
                    there.logical,
                    there.image.engine,
                    there.shown
                ),
                _ => continue,
            }
        };
        let span = span(here.node);
        if !reported.insert((here.source.path.to_path_buf(), span.start)) {
            continue;
        }
        let help = if there.image.engine != here.image.engine {
            format!(
                "run the image production runs (`{}`) in development too",
                there.shown
            )
        } else {
            format!(
                "run the image production runs (`{}`) in development too, or move both to the \
                 same major version",
                there.shown
            )
        };
        let finding = out.report(&META, here.source, span, message);
        finding
            .label("development runs this image")
            .help(help)
            .note(format!(
                "{PRINCIPLE}. SQL, features and defaults differ between engines and major \
                 versions, so code that passes against one can fail against the other"
            ));
        finding.labels = vec![Label {
            location: there.source.location(span_of(there.node)),
            message: "production runs this one".into(),
        }];
    }
}

fn span_of(node: &Node) -> Span {
    span(node)
}

fn compose_backing<'a>(service: &ComposeService<'a>) -> Option<Backing<'a>> {
    let node = service.image()?;
    let text = crate::facts::images::compose_interpolated(node.as_str()?)?;
    let image = deploy_env::backing_image(&text, None)?;
    Some(Backing {
        names: vec![service.name],
        image,
        shown: text,
        node,
        source: &service.file.source,
        logical: format!("compose service `{}`", service.name),
    })
}

fn container_backing<'a>(
    cx: &WorkspaceContext<'_>,
    container: &Container<'a>,
) -> Option<Backing<'a>> {
    let node = container.image()?;
    let text = node.as_str()?;
    crate::facts::images::literal_reference(text)?;
    let tag = deploy_env::kustomize_tag(cx, text);
    let image = deploy_env::backing_image(text, tag)?;
    let workload = container.workload();
    let shown = match tag {
        Some(tag) => format!(
            "{}:{tag}",
            crate::source::dockerfile::ImageRef::parse(text).name
        ),
        None => text.to_string(),
    };
    let mut names = vec![workload.object.name()];
    names.extend(container.name());
    Some(Backing {
        names,
        image,
        shown,
        node,
        source: &workload.object.file.source,
        logical: workload.object.logical(),
    })
}

// ---------------------------------------------------------------------------------------------
// The service's own environment.

fn service_env<'a>(
    cx: &WorkspaceContext<'a>,
    service: &Service<'a>,
    out: &mut WorkspaceReporter,
    reported: &mut BTreeSet<(PathBuf, usize)>,
) {
    let runners: Vec<Runner<'_>> = deploy_env::runners(cx, service)
        .into_iter()
        .filter(|r| !r.is_one_off() && deploy_env::judged(cx, service, r))
        .collect();
    let dev: Vec<RunnerEnv<'_>> = runners
        .iter()
        .filter(|r| r.is_compose())
        .map(|r| deploy_env::runner_env(cx, service, r))
        .collect();
    let prod: Vec<RunnerEnv<'_>> = runners
        .iter()
        .filter(|r| !r.is_compose())
        .map(|r| deploy_env::runner_env(cx, service, r))
        .collect();
    if dev.is_empty() || prod.is_empty() {
        return;
    }
    let reads = ServiceReads::of(cx, service);
    let code_known = !service.rust_facts(cx).is_empty() && reads.fully_known();
    // Where to listen is the environment's to assign (twelve-factor VII), and
    // `port-mismatch` compares it with what the files declare.
    let listens: BTreeSet<String> = service
        .rust_facts(cx)
        .iter()
        .flat_map(|(_, facts)| facts.listen.iter())
        .flat_map(|address| [&address.host.origin, &address.port.origin])
        .filter_map(|origin| match origin {
            crate::facts::listen::Origin::Env { var } => var.clone(),
            _ => None,
        })
        .collect();
    for dev_env in &dev {
        for prod_env in &prod {
            let engines = engine_drift(cx, service, &reads, dev_env, prod_env, out, reported);
            if !(dev_env.is_known() && prod_env.is_known()) {
                continue;
            }
            for (here, there) in [(dev_env, prod_env), (prod_env, dev_env)] {
                for setting in &here.settings {
                    let name = setting.name.as_str();
                    if setting.origin == Origin::Image
                        || there.sets(name)
                        || engines.contains(name)
                        || reads.runtime_reader(name).is_some()
                        || is_logging(name)
                        || listens.contains(name)
                        || names_listen_setting(name)
                        || crate::facts::secrets::is_secret_variable(name)
                        || crate::facts::env::names_deployment_environment(name)
                        || (code_known && !reads.covers(name))
                    {
                        continue;
                    }
                    // A variable the code requires and the other side lacks is
                    // `env-var-not-provided`'s finding.
                    if reads
                        .required()
                        .any(|(_, read)| read.name.as_deref() == Some(name))
                    {
                        continue;
                    }
                    // Settings differ between deploys by design (twelve-factor III); what
                    // must not differ is which backing services the service is attached to.
                    let near = match &here.runner {
                        Runner::Container(container) => Some(container.workload().object),
                        Runner::Compose(_) => None,
                    };
                    let value = match (&setting.value, near) {
                        (SetValue::Literal(text), _) => Some(text.clone()),
                        (value, Some(object)) => deploy_env::referenced_value(cx, &object, value),
                        _ => None,
                    };
                    let Some(target) = value.as_deref().and_then(backing_services::classify) else {
                        continue;
                    };
                    // An HTTP URL on the loopback is the process itself or a sidecar.
                    if backing_services::names_own_address([name])
                        || target.is_http() && is_loopback(&target.host)
                    {
                        continue;
                    }
                    // Where the code's default attaches the same kind of service, both sides
                    // have one.
                    let default_attaches = reads.reads.iter().any(|(_, read)| {
                        read.name.as_deref() == Some(name)
                            && read
                                .default
                                .as_deref()
                                .and_then(backing_services::classify)
                                .is_some_and(|default| default.service == target.service)
                    });
                    if default_attaches {
                        continue;
                    }
                    if !reported.insert((setting.source.path.to_path_buf(), setting.span.start)) {
                        continue;
                    }
                    let (side, other_side) = if here.runner.is_compose() {
                        ("development", "production")
                    } else {
                        ("production", "development")
                    };
                    let finding = out.report(
                        &META,
                        &setting.source,
                        setting.span,
                        format!(
                            "`{name}` attaches {} at `{}` to {} ({side}), but {} ({other_side}) \
                             does not set it",
                            target.service,
                            target.host,
                            here.runner.logical(),
                            there.runner.logical()
                        ),
                    );
                    finding
                        .label(format!("{side} only"))
                        .help(format!(
                            "attach the same backing service in {other_side} (set `{name}` \
                             there too), or drop it here if the code's default is what both \
                             should use"
                        ))
                        .note(format!(
                            "{PRINCIPLE}. With `{name}` set on one side only, the other runs \
                             on the code's default, and the two exercise different backing \
                             services"
                        ));
                    finding.labels = vec![
                        there
                            .runner
                            .anchor_label(format!("{other_side}: `{name}` is not set")),
                    ];
                }
            }
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `PORT`, `HOST`, `BIND_ADDR`, `HTTP_PORT`, `GRPC_LISTEN_ADDRESS`: where the service itself
/// listens, not a backing service.
fn names_listen_setting(name: &str) -> bool {
    let words = crate::facts::secrets::words(name);
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "port" | "host" | "bind" | "listen" | "addr" | "address"
        )
    }) && words.iter().all(|w| {
        matches!(
            w.as_str(),
            "port"
                | "host"
                | "bind"
                | "listen"
                | "addr"
                | "address"
                | "http"
                | "https"
                | "grpc"
                | "server"
                | "app"
                | "application"
                | "service"
                | "web"
                | "api"
                | "metrics"
                | "admin"
                | "health"
                | "public"
        )
    })
}

/// Log levels and formats differ between a developer's terminal and a log pipeline by design
/// (so do credentials, which a local backing service often does without, and the name of the
/// environment itself).
fn is_logging(name: &str) -> bool {
    crate::facts::secrets::words(name)
        .iter()
        .any(|w| w == "log" || w == "logs" || w == "logging")
}

/// A place in a file.
type Place = (Arc<SourceFile>, Span);

/// Variables that name a database of another engine in development than in production
/// (`sqlite://` against `postgres://`): reported, and returned so the key comparison skips them.
fn engine_drift<'a>(
    cx: &WorkspaceContext<'a>,
    service: &Service<'a>,
    reads: &ServiceReads<'_>,
    dev: &RunnerEnv<'_>,
    prod: &RunnerEnv<'_>,
    out: &mut WorkspaceReporter,
    reported: &mut BTreeSet<(PathBuf, usize)>,
) -> BTreeSet<String> {
    let mut drifted = BTreeSet::new();
    let Runner::Container(container) = &prod.runner else {
        return drifted;
    };
    let near = container.workload().object;
    let mut names: BTreeSet<&str> = dev.settings.iter().map(|s| s.name.as_str()).collect();
    names.extend(prod.settings.iter().map(|s| s.name.as_str()));
    for name in names {
        // What each side runs with: its setting, else the code's default.
        let default = reads
            .reads
            .iter()
            .find(|(_, read)| read.name.as_deref() == Some(name) && read.default.is_some());
        let side = |env: &RunnerEnv<'_>| -> Option<(String, Option<Place>)> {
            match env.get(name) {
                Some(setting) => {
                    let value = match &setting.value {
                        SetValue::Literal(text) => Some(text.clone()),
                        other => deploy_env::referenced_value(cx, &near, other),
                    }?;
                    Some((
                        value,
                        Some((
                            setting.source.clone(),
                            setting.value_span.unwrap_or(setting.span),
                        )),
                    ))
                }
                None => default
                    .and_then(|(_, read)| read.default.clone())
                    .map(|d| (d, None)),
            }
        };
        let (Some((dev_value, dev_place)), Some((prod_value, prod_place))) =
            (side(dev), side(prod))
        else {
            continue;
        };
        let (Some(dev_url), Some(prod_url)) = (
            deploy_env::database_url(&dev_value),
            deploy_env::database_url(&prod_value),
        ) else {
            continue;
        };
        if dev_url.engine == prod_url.engine {
            continue;
        }
        drifted.insert(name.to_string());
        let (source, span) = match dev_place {
            Some(place) => place,
            None => {
                let (source, span) = dev.runner.anchor();
                (source.clone(), span)
            }
        };
        if !reported.insert((source.path.to_path_buf(), span.start)) {
            continue;
        }
        let mut labels = Vec::new();
        match prod_place {
            Some((prod_source, prod_span)) => labels.push(Label {
                location: prod_source.location(prod_span),
                message: format!("production: {}", prod_url.engine),
            }),
            None => labels.push(prod.runner.anchor_label(format!(
                "production runs with the code's default, {}",
                prod_url.engine
            ))),
        }
        if let Some((path, read)) = default
            && let Some(code) = out.open(cx.workspace, path)
            && let Some(fallback) = read.fallback
        {
            labels.push(Label {
                location: code.location(fallback),
                message: "the code's default".into(),
            });
        }
        let finding = out.report(
            &META,
            &source,
            span,
            format!(
                "`{name}` of `{}` names {} in {} (development) but {} in {} (production)",
                service.name,
                dev_url.engine,
                dev.runner.logical(),
                prod_url.engine,
                prod.runner.logical()
            ),
        );
        finding
            .label(format!("development: {}", dev_url.engine))
            .help(format!(
                "run {} in development too (a compose service with its image), so the code is \
                 tested against the engine it meets in production",
                prod_url.engine
            ))
            .note(format!(
                "{PRINCIPLE}. SQL dialects, types, locking and migrations differ between \
                 engines, so what passes against {} can fail against {}",
                dev_url.engine, prod_url.engine
            ));
        finding.labels = labels;
    }
    drifted
}
