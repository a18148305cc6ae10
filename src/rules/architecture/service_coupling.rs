//! A deployable service crate that depends on another one: their builds, releases and
//! internals are coupled, so neither deploys on its own any more.

use crate::architecture::graph::Unit;
use crate::architecture::{self, DependencyLines};
use crate::diagnostic::{Label, Level};
use crate::facts::binaries::{Binary, binaries};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::manifest::DependencyKind;

pub static META: RuleMeta = RuleMeta {
    id: "service-coupling",
    category: Category::Architecture,
    default_level: Level::Deny,
    summary: "a deployable service crate depends on another service crate",
    docs: include_str!("../../../rules/architecture/service-coupling.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct ServiceCoupling;

/// The packages with a binary that runs as a server or consumer: deployable services.
/// Example packages show how to write one; they are not deployed.
pub fn service_packages(binaries: &[Binary]) -> Vec<(usize, &Binary)> {
    let mut services: Vec<(usize, &Binary)> = Vec::new();
    for binary in binaries.iter().filter(|b| b.is_server && !b.is_example) {
        if let Some(package) = binary.package
            && !services.iter().any(|(known, _)| *known == package)
        {
            services.push((package, binary));
        }
    }
    services.sort_by_key(|(package, _)| *package);
    services
}

impl Rule for ServiceCoupling {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        if cx.workspace.packages.len() < 2 {
            return;
        }
        let binaries = binaries(cx.workspace, cx.rust_facts);
        let services = service_packages(&binaries);
        if services.len() < 2 {
            return;
        }
        let model = architecture::model(cx);
        let mut lines = DependencyLines::default();
        for &(package, _) in &services {
            for edge in &model.edges[package] {
                // Tests may start the other service; only what ships couples the two.
                if edge.kind != DependencyKind::Normal {
                    continue;
                }
                let Unit::Package(target) = edge.to else {
                    continue;
                };
                let Some(&(_, binary)) = services.iter().find(|(p, _)| *p == target) else {
                    continue;
                };
                let Some((file, span)) = lines.locate(cx.workspace, out, package, edge.dep) else {
                    continue;
                };
                let from = &cx.workspace.packages[package].name;
                let to = &cx.workspace.packages[target].name;
                let started_here = binary
                    .root_facts
                    .and_then(|index| cx.rust_facts.get(index))
                    .and_then(|(path, facts)| Some((path, facts.krate.entry?)))
                    .and_then(|(path, entry)| {
                        let source = out.open(cx.workspace, path)?;
                        Some(Label {
                            location: source.location(entry),
                            message: format!("`{to}` runs as a server from here"),
                        })
                    });
                let finding = out.report(
                    &META,
                    &file,
                    span,
                    format!("service `{from}` depends on the crate of service `{to}`"),
                );
                finding
                    .label(format!(
                        "`{to}` is a deployable service (binary `{}`)",
                        binary.name
                    ))
                    .note(
                        "microservices: loose coupling — each service builds, deploys and scales on \
                         its own; linking another service's crate ties their releases together and \
                         reaches into its internals instead of its API",
                    )
                    .help(format!(
                        "move what `{from}` uses into a library crate both services depend on, or \
                         call `{to}` over its API"
                    ));
                finding.labels.extend(started_here);
            }
        }
    }
}
