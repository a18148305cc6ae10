use crate::diagnostic::Level;
use crate::facts::deployed::{
    self, DeclaredPort, Listener, Ports, Resolved, Runner, RunnerKind, Setting, Spot,
};
use crate::model::Service;
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};

pub static META: RuleMeta = RuleMeta {
    id: "port-mismatch",
    category: Category::PortBinding,
    default_level: Level::Deny,
    summary: "the port the code listens on and the ports its Dockerfile, Kubernetes manifests and compose file declare disagree",
    docs: include_str!("../../../rules/port-binding/port-mismatch.md"),
    scope: CodeScope::All,
};

pub struct PortMismatch;

const NOTE: &str = "twelve-factor VII: a service is exported by the port it binds; every file \
                    that routes traffic or probes to it must name that port, or connections are \
                    refused: a Service without working endpoints, probes that fail and restart \
                    the pod, a published port that leads nowhere";

impl Rule for PortMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let mut reported: Vec<Spot> = Vec::new();
        for service in &cx.model().services {
            if !service.binary.as_ref().is_some_and(|b| b.serves) {
                continue;
            }
            let runners = deployed::runners(service, cx);
            if runners.is_empty() {
                continue;
            }
            let listeners = deployed::listeners(service, cx);
            for runner in &runners {
                let places = runner.declared_ports(cx);
                if places.is_empty() {
                    continue;
                }
                let resolved: Vec<Option<Resolved<u16>>> = listeners
                    .iter()
                    .map(|listener| listener.port_in(runner, cx, out))
                    .collect();
                if !listeners.is_empty() && resolved.iter().all(Option::is_some) {
                    let known: Vec<(&Listener<'_>, Resolved<u16>)> = listeners
                        .iter()
                        .zip(resolved.into_iter().flatten())
                        .collect();
                    against_code(cx, service, runner, &places, &known, &mut reported, out);
                } else if resolved.iter().all(Option::is_none) && listeners.len() <= 1 {
                    against_majority(cx, service, runner, &places, &listeners, &mut reported, out);
                }
            }
        }
    }
}

/// Every declared port that is none of the ports the code listens on in this runner.
fn against_code(
    cx: &WorkspaceContext<'_>,
    service: &Service<'_>,
    runner: &Runner<'_, '_>,
    places: &[DeclaredPort],
    known: &[(&Listener<'_>, Resolved<u16>)],
    reported: &mut Vec<Spot>,
    out: &mut WorkspaceReporter,
) {
    let mut ports: Vec<u16> = known.iter().map(|(_, r)| r.value).collect();
    ports.sort_unstable();
    ports.dedup();
    let listening = list(&ports);
    for place in places.iter().filter(|p| p.independent) {
        if ports.iter().any(|&port| place.ports.contains(port)) || seen(reported, &place.spot) {
            continue;
        }
        reported.push(place.spot.clone());
        let mut labels = Vec::new();
        for (listener, resolved) in known {
            labels.extend(code_labels(cx, service, runner, listener, resolved, out));
        }
        labels.extend(other_places(cx, runner, places, place));
        let help = if place.probe {
            format!(
                "point the probe at the port the service listens on ({listening}), or at a named \
                 container port that is"
            )
        } else {
            let mut help = format!(
                "declare the port the service listens on ({listening}) here, or make the service \
                 listen on {}",
                place.ports
            );
            if let Some(var) = known.iter().find_map(|(_, r)| r.var.as_deref()) {
                help.push_str(&format!(" (set `{var}={}` where it runs)", place.ports));
            }
            help
        };
        let finding = out
            .report(
                &META,
                &place.spot.file,
                place.spot.span,
                format!(
                    "{} does not match {} `{}` listens on ({listening})",
                    place.what,
                    if ports.len() == 1 {
                        "the port"
                    } else {
                        "any port"
                    },
                    service.name
                ),
            )
            .label(format!(
                "nothing listens on {} in {}",
                place.ports,
                runner.describe()
            ))
            .note(NOTE)
            .help(help);
        finding.labels.extend(labels);
    }
}

/// When the code's port cannot be known (computed, from a configuration file): within one
/// runner that declares the port once per kind of place, the places that disagree with a
/// strict majority of the others.
fn against_majority(
    cx: &WorkspaceContext<'_>,
    service: &Service<'_>,
    runner: &Runner<'_, '_>,
    places: &[DeclaredPort],
    listeners: &[Listener<'_>],
    reported: &mut Vec<Spot>,
    out: &mut WorkspaceReporter,
) {
    let judged: Vec<&DeclaredPort> = places.iter().filter(|p| p.independent).collect();
    let mut kinds: Vec<&str> = judged.iter().filter(|p| !p.probe).map(|p| p.kind).collect();
    let declarations = kinds.len();
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.len() != declarations || judged.len() < 3 {
        return;
    }
    let numbers: Vec<u16> = judged
        .iter()
        .filter_map(|p| match p.ports {
            Ports::One(port) => Some(port),
            Ports::Range(..) => None,
        })
        .collect();
    if numbers.len() != judged.len() {
        return;
    }
    let Some((majority, count)) = numbers
        .iter()
        .map(|&n| (n, numbers.iter().filter(|&&m| m == n).count()))
        .max_by_key(|&(_, count)| count)
    else {
        return;
    };
    if count * 2 <= numbers.len() {
        return;
    }
    for place in judged.iter().filter(|p| !p.ports.contains(majority)) {
        if seen(reported, &place.spot) {
            continue;
        }
        reported.push(place.spot.clone());
        let mut labels = other_places(cx, runner, places, place);
        if let Some(listener) = listeners.first()
            && let Some(file) = out.open(cx.workspace, listener.path)
        {
            labels.push(
                Spot::new(&file, listener.address.span)
                    .label("the code's port is set here, in a way the tool cannot follow"),
            );
        }
        let finding = out
            .report(
                &META,
                &place.spot.file,
                place.spot.span,
                format!(
                    "{} disagrees with the other places that declare the port of `{}` ({majority} in {count} of {})",
                    place.what,
                    service.name,
                    numbers.len()
                ),
            )
            .label(format!("{} here, {majority} everywhere else", place.ports))
            .note(NOTE)
            .help(format!(
                "use the port the service listens on everywhere; if that is {majority}, change \
                 this one"
            ));
        finding.labels.extend(labels);
    }
}

fn seen(reported: &[Spot], spot: &Spot) -> bool {
    reported.iter().any(|known| known.same(spot))
}

/// `8080`, `8080 and 9090`, `8080, 9090 and 9091`.
fn list(ports: &[u16]) -> String {
    match ports {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!(
            "{} and {last}",
            rest.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Where the code's port comes from in this runner: the literal or the default, and the
/// runner's setting of the variable.
fn code_labels(
    cx: &WorkspaceContext<'_>,
    service: &Service<'_>,
    runner: &Runner<'_, '_>,
    listener: &Listener<'_>,
    resolved: &Resolved<u16>,
    out: &mut WorkspaceReporter,
) -> Vec<crate::diagnostic::Label> {
    let mut labels = Vec::new();
    let port = resolved.value;
    let code = out.open(cx.workspace, listener.path).map(|file| {
        let span = resolved
            .written
            .as_ref()
            .map_or(listener.address.span, |(_, span)| *span);
        Spot::new(&file, span)
    });
    match (&resolved.var, &resolved.set) {
        (Some(var), Some(Setting::Value { spot, by, .. })) => {
            if let Some(code) = code {
                let default = match resolved.written {
                    Some(_) => " (this default is overridden)",
                    None => "",
                };
                labels.push(code.label(format!(
                    "`{}` reads its port from `{var}`{default}",
                    service.name
                )));
            }
            labels.push(spot.label(format!("{by} sets `{var}` to {port}")));
        }
        (Some(var), _) => {
            if let Some(code) = code {
                labels.push(code.label(format!(
                    "`{}` listens on {port}: `{var}` defaults to it, and {} does not set `{var}`",
                    service.name,
                    runner.describe()
                )));
            }
        }
        (None, _) => {
            if let Some(code) = code {
                labels.push(code.label(format!("`{}` listens on {port} here", service.name)));
            }
        }
    }
    labels
}

/// The runner's other declarations of the port, and the `EXPOSE` of the image it runs.
fn other_places(
    cx: &WorkspaceContext<'_>,
    runner: &Runner<'_, '_>,
    places: &[DeclaredPort],
    place: &DeclaredPort,
) -> Vec<crate::diagnostic::Label> {
    let mut labels: Vec<crate::diagnostic::Label> = places
        .iter()
        .filter(|other| !other.spot.same(&place.spot))
        .map(|other| {
            let number = other.ports.to_string();
            if other.what.contains(&number) {
                other.spot.label(other.what.clone())
            } else {
                other.spot.label(format!("{}: {number}", other.what))
            }
        })
        .collect();
    if !runner.is_image()
        && let Some(image) = runner.image
    {
        let image_runner = Runner {
            kind: RunnerKind::Image,
            image: Some(image),
        };
        labels.extend(
            image_runner
                .declared_ports(cx)
                .iter()
                .filter(|p| p.kind == "EXPOSE")
                .map(|p| p.spot.label(format!("{} in the image it runs", p.what))),
        );
    }
    labels
}
