use std::path::Path;

use crate::diagnostic::{Label, Level};
use crate::facts::RustFacts;
use crate::facts::deployed::{self, HttpProbe, Spot};
use crate::facts::routes::{RouteFacts, RouteTable, is_health_path};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::rust::CodeRole;

pub static META: RuleMeta = RuleMeta {
    id: "probe-path-mismatch",
    category: Category::Disposability,
    default_level: Level::Deny,
    summary: "an HTTP probe or health check requests a path that is not a route of the service's code",
    docs: include_str!("../../../rules/disposability/probe-path-mismatch.md"),
    scope: CodeScope::All,
};

pub struct ProbePathMismatch;

const NOTE: &str = "twelve-factor IX: the platform decides from its probes when a process is \
                    ready for traffic and when to replace it; a probe of a path the service does \
                    not serve fails forever, whatever the state of the process";

/// How many routes a finding shows when the service has no health route.
const SHOWN_ROUTES: usize = 5;

impl Rule for ProbePathMismatch {
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
            let files: Vec<(&Path, &RustFacts)> = service
                .rust_facts(cx)
                .into_iter()
                .filter(|(path, _)| cx.workspace.code_role(path) == CodeRole::Production)
                .collect();
            let route_facts: Vec<&RouteFacts> = files.iter().map(|(_, f)| &f.routes).collect();
            let Some(table) = RouteTable::of(&route_facts) else {
                continue;
            };
            let listeners = deployed::listeners(service, cx);
            let literals = health_literals(cx, &files, out);
            for runner in &runners {
                let probes = runner.http_probes();
                if probes.is_empty() {
                    continue;
                }
                let resolved: Vec<Option<u16>> = listeners
                    .iter()
                    .map(|l| l.port_in(runner, cx, out).map(|r| r.value))
                    .collect();
                let code_ports: Option<Vec<u16>> = (!listeners.is_empty()
                    && resolved.iter().all(Option::is_some))
                .then(|| resolved.into_iter().flatten().collect());
                for probe in probes {
                    // A probe of another port is `port-mismatch`'s, and whatever answers there
                    // is not these routes.
                    if let (Some(port), Some(ports)) = (probe.port, &code_ports)
                        && !ports.contains(&port)
                    {
                        continue;
                    }
                    if table.serves(&probe.path) != Some(false)
                        || literals.iter().any(|l| same_path(l, &probe.path))
                        || reported.iter().any(|s| s.same(&probe.path_spot))
                    {
                        continue;
                    }
                    reported.push(probe.path_spot.clone());
                    report(
                        cx,
                        &service.name,
                        &runner.describe(),
                        &probe,
                        &table,
                        &files,
                        out,
                    );
                }
            }
        }
    }
}

/// Health-looking paths written as string literals outside any route (a macro the tool cannot
/// read may declare them): such a probe is given the benefit of the doubt.
fn health_literals(
    cx: &WorkspaceContext<'_>,
    files: &[(&Path, &RustFacts)],
    out: &mut WorkspaceReporter,
) -> Vec<String> {
    let mut found = Vec::new();
    for (path, facts) in files {
        if facts.routes.health_literals.is_empty() {
            continue;
        }
        let Some(file) = out.open(cx.workspace, path) else {
            continue;
        };
        for span in &facts.routes.health_literals {
            if facts.routes.routes.iter().any(|r| r.span == *span) {
                continue;
            }
            if let Some(text) = file.text.get(span.start..span.end) {
                found.push(text.trim_matches('"').to_string());
            }
        }
    }
    found
}

/// Paths equal but for the query string and a trailing slash.
fn same_path(a: &str, b: &str) -> bool {
    let clean = |p: &str| {
        p.split(['?', '#'])
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string()
    };
    clean(a) == clean(b)
}

fn report(
    cx: &WorkspaceContext<'_>,
    service: &str,
    runner: &str,
    probe: &HttpProbe,
    table: &RouteTable<'_>,
    files: &[(&Path, &RustFacts)],
    out: &mut WorkspaceReporter,
) {
    let consequence = if probe.what.contains("liveness") {
        "the probe gets a 404 and the kubelet restarts the container over and over"
    } else if probe.what.contains("readiness") {
        "the pod never becomes ready and never receives traffic"
    } else if probe.what.contains("startup") {
        "the container is killed before it is ever considered started"
    } else {
        "the container is reported unhealthy for as long as it runs"
    };
    let health: Vec<_> = table
        .routes
        .iter()
        .filter(|(_, path)| is_health_path(path))
        .collect();
    let shown: Vec<_> = if health.is_empty() {
        table.routes.iter().take(SHOWN_ROUTES).collect()
    } else {
        health.clone()
    };
    let mut labels: Vec<Label> = Vec::new();
    for (route, path) in &shown {
        let Some((file_path, _)) = files
            .iter()
            .find(|(_, facts)| facts.routes.routes.iter().any(|r| std::ptr::eq(r, *route)))
        else {
            continue;
        };
        if let Some(file) = out.open(cx.workspace, file_path) {
            labels.push(
                Spot::new(&file, route.span).label(format!("`{path}` is a route of `{service}`")),
            );
        }
    }
    let help = match health.first() {
        Some((_, path)) => format!(
            "point the probe at a route the service serves, such as `{path}`, or add a `{}` route",
            probe.path
        ),
        None => format!(
            "add a cheap health route (`{}`) to the service, or point the probe at a route it serves",
            probe.path
        ),
    };
    let finding = out
        .report(
            &META,
            &probe.path_spot.file,
            probe.path_spot.span,
            format!(
                "{} of {runner} requests `{}`, which is not a route of `{service}`",
                probe.what, probe.path
            ),
        )
        .label(format!("no route matches this path: {consequence}"))
        .note(NOTE)
        .help(help);
    finding.labels.extend(labels);
}
