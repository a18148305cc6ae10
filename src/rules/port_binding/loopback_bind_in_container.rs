use crate::diagnostic::{Label, Level};
use crate::facts::deployed::{self, Listener, Resolved, Runner, Setting, Spot, is_loopback};
use crate::model::Service;
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};

pub static META: RuleMeta = RuleMeta {
    id: "loopback-bind-in-container",
    category: Category::PortBinding,
    default_level: Level::Deny,
    summary: "a service deployed in a container listens on 127.0.0.1/localhost, which nothing outside the container can reach",
    docs: include_str!("../../../rules/port-binding/loopback-bind-in-container.md"),
    scope: CodeScope::All,
};

pub struct LoopbackBindInContainer;

const NOTE: &str = "twelve-factor VII: a service is exported by binding a port that its \
                    environment can reach; inside a container, 127.0.0.1 is the container's own \
                    loopback interface, while Services, other pods, the kubelet's probes and \
                    docker's published ports all connect to the container's address: every \
                    connection is refused";

/// One finding: a loopback host, where it is decided, and the runners where it holds.
struct Group<'r, 'm, 'a> {
    anchor: Spot,
    host: String,
    port: Option<u16>,
    /// How the host came to be loopback: the literal, an unset variable's default, or a
    /// runner's setting.
    cause: Cause,
    runners: Vec<&'r Runner<'m, 'a>>,
}

#[derive(Clone, PartialEq)]
enum Cause {
    Literal,
    Default {
        var: String,
    },
    Set {
        var: String,
        by: String,
        value: String,
    },
}

impl Rule for LoopbackBindInContainer {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let mut reported: Vec<Spot> = Vec::new();
        for service in &cx.model().services {
            if !service.binary.as_ref().is_some_and(|b| b.serves) || !service.is_deployed() {
                continue;
            }
            let all = deployed::runners(service, cx);
            // The image alone counts only when nothing in the tree runs it: a Deployment or a
            // compose service may set the host the image leaves to its default.
            let runners: Vec<&Runner<'_, '_>> = if all.iter().any(|r| !r.is_image()) {
                all.iter().filter(|r| !r.is_image()).collect()
            } else {
                all.iter().collect()
            };
            // With the host's network (compose `network_mode: host`), loopback is the host's.
            let runners: Vec<&Runner<'_, '_>> =
                runners.into_iter().filter(|r| !r.host_network()).collect();
            if runners.is_empty() {
                continue;
            }
            let listeners = deployed::listeners(service, cx);
            for (index, listener) in listeners.iter().enumerate() {
                let mut groups: Vec<Group<'_, '_, '_>> = Vec::new();
                for runner in &runners {
                    let Some(host) = listener.host_in(runner, cx, out) else {
                        continue;
                    };
                    if !is_loopback(&host.value) {
                        continue;
                    }
                    let port = listener.port_in(runner, cx, out).map(|p| p.value);
                    // A loopback admin or debug listener next to a public one is deliberate,
                    // unless the deployment routes traffic to it.
                    let public_beside = listeners.iter().enumerate().any(|(other, l)| {
                        other != index
                            && l.host_in(runner, cx, out)
                                .is_some_and(|h| !is_loopback(&h.value))
                    });
                    let declared = port.is_some_and(|port| {
                        runner
                            .declared_ports(cx)
                            .iter()
                            .any(|d| d.ports.contains(port))
                    });
                    if public_beside && !declared {
                        continue;
                    }
                    let Some((anchor, cause)) = anchor(cx, listener, &host, out) else {
                        continue;
                    };
                    match groups.iter_mut().find(|g| g.anchor.same(&anchor)) {
                        Some(group) => group.runners.push(runner),
                        None => groups.push(Group {
                            anchor,
                            host: host.value.clone(),
                            port,
                            cause,
                            runners: vec![runner],
                        }),
                    }
                }
                for group in groups {
                    if reported.iter().any(|spot| spot.same(&group.anchor)) {
                        continue;
                    }
                    reported.push(group.anchor.clone());
                    report(cx, service, listener, &group, out);
                }
            }
        }
    }
}

/// Where the loopback host is decided: the runner's setting of the variable, else the code's
/// literal or default (the listen call when the default is implicit, as rocket's).
fn anchor(
    cx: &WorkspaceContext<'_>,
    listener: &Listener<'_>,
    host: &Resolved<String>,
    out: &mut WorkspaceReporter,
) -> Option<(Spot, Cause)> {
    if let (Some(var), Some(Setting::Value { spot, by, value })) = (&host.var, &host.set) {
        return Some((
            spot.clone(),
            Cause::Set {
                var: var.clone(),
                by: by.clone(),
                value: value.clone(),
            },
        ));
    }
    let file = out.open(cx.workspace, listener.path)?;
    let span = host
        .written
        .as_ref()
        .map_or(listener.address.span, |(_, span)| *span);
    let cause = match &host.var {
        Some(var) => Cause::Default { var: var.clone() },
        None => Cause::Literal,
    };
    Some((Spot::new(&file, span), cause))
}

fn report(
    cx: &WorkspaceContext<'_>,
    service: &Service<'_>,
    listener: &Listener<'_>,
    group: &Group<'_, '_, '_>,
    out: &mut WorkspaceReporter,
) {
    let shown_host = if group.host.contains(':') {
        format!("[{}]", group.host)
    } else {
        group.host.clone()
    };
    let address = match group.port {
        Some(port) => format!("`{shown_host}:{port}`"),
        None => format!("`{shown_host}`"),
    };
    let mut places: Vec<String> = Vec::new();
    for runner in &group.runners {
        let place = runner.describe();
        if !places.contains(&place) {
            places.push(place);
        }
    }
    let deployed_in = match places.len() {
        0..=3 => places.join(", "),
        more => format!("{}, and {} more", places[..2].join(", "), more - 2),
    };
    let rocket = listener.address.framework == "rocket";
    let (label, help) = match &group.cause {
        Cause::Literal => (
            format!("{address} accepts connections only from inside the container"),
            "bind `0.0.0.0` (or `[::]` for IPv6 as well), or read the host from the environment \
             with `0.0.0.0` as its default so a laptop run can still choose 127.0.0.1"
                .to_string(),
        ),
        Cause::Default { var } if rocket => (
            format!(
                "rocket listens on `{shown_host}` unless `{var}` or `Rocket.toml` says otherwise"
            ),
            format!(
                "set `{var}=0.0.0.0` where the service runs (`ENV {var}=0.0.0.0` in the \
                 Dockerfile), or `address = \"0.0.0.0\"` in the `[release]` profile of \
                 `Rocket.toml`"
            ),
        ),
        Cause::Default { var } => (
            format!("`{var}` defaults to `{shown_host}`, and {deployed_in} does not set it"),
            format!(
                "set `{var}=0.0.0.0` in the Deployment, compose service or Dockerfile that runs \
                 it, or make `0.0.0.0` the default"
            ),
        ),
        Cause::Set { var, by, value } => {
            // A whole address keeps its port: `127.0.0.1:8080` → `0.0.0.0:8080`.
            let public = match value.rsplit_once(':') {
                Some((_, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => {
                    format!("0.0.0.0:{port}")
                }
                _ => "0.0.0.0".to_string(),
            };
            (
                format!("{by} sets `{var}` to `{value}`"),
                format!("set `{var}` to `{public}` here (`[::]` to take IPv6 as well)"),
            )
        }
    };
    let mut labels: Vec<Label> = Vec::new();
    if matches!(group.cause, Cause::Set { .. })
        && let Some(file) = out.open(cx.workspace, listener.path)
    {
        let span = listener.host.value_span.unwrap_or(listener.address.span);
        let var = match &group.cause {
            Cause::Set { var, .. } => var.as_str(),
            _ => "",
        };
        labels.push(Spot::new(&file, span).label(format!(
            "`{}` reads its listen address from `{var}`",
            service.name
        )));
    }
    for runner in &group.runners {
        if let Some(anchor) = runner.anchor() {
            labels.push(anchor.label(format!("deployed in {}", runner.describe())));
        }
        if let Some(port) = group.port {
            for place in runner.declared_ports(cx) {
                if place.ports.contains(port) && !place.probe {
                    labels.push(place.spot.label(format!(
                        "{} sends traffic to port {port} from outside the container",
                        place.what
                    )));
                }
            }
        }
    }
    let finding = out
        .report(
            &META,
            &group.anchor.file,
            group.anchor.span,
            format!(
                "`{}` listens on {address}, a loopback address: unreachable from outside the container it is deployed in ({deployed_in})",
                service.name
            ),
        )
        .label(label)
        .note(NOTE)
        .help(help);
    finding.labels.extend(labels);
}
