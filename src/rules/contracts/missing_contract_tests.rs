//! A service with an API (HTTP routes, gRPC services) or outbound HTTP/gRPC clients, and no
//! contract test: no Pact crate, no test that loads its OpenAPI document or `.proto`.

use std::path::Path;

use crate::diagnostic::{Level, Span};
use crate::facts::binaries::binaries;
use crate::facts::contracts::{is_contract_test_crate, serves_api};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::rules::architecture::service_coupling::service_packages;

pub static META: RuleMeta = RuleMeta {
    id: "missing-contract-tests",
    category: Category::Contracts,
    default_level: Level::Warn,
    summary: "a service with an HTTP/gRPC API or clients has no contract test",
    docs: include_str!("../../../rules/contracts/missing-contract-tests.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct MissingContractTests;

impl Rule for MissingContractTests {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let workspace = cx.workspace;
        if workspace.packages.is_empty() {
            return;
        }
        let binaries = binaries(workspace, cx.rust_facts);
        for (package, binary) in service_packages(&binaries) {
            let member = &workspace.packages[package];
            // The code of the package's servers: their own files and the libraries they link.
            let mut serves = Vec::new();
            let mut calls = Vec::new();
            for server in binaries
                .iter()
                .filter(|b| b.is_server && !b.is_example && b.package == Some(package))
            {
                for index in server.files() {
                    let Some((_, facts)) = cx.rust_facts.get(index) else {
                        continue;
                    };
                    serves.extend(
                        facts
                            .servers
                            .iter()
                            .filter(|s| serves_api(s.framework))
                            .map(|s| s.framework),
                    );
                    serves.extend(facts.routes.routes.iter().map(|r| r.framework));
                    if !facts.routes.grpc_services.is_empty() {
                        serves.push("tonic");
                    }
                    calls.extend(facts.clients.iter().map(|c| c.library.protocol()));
                }
            }
            if serves.is_empty() && calls.is_empty() {
                continue;
            }
            if has_contract_tests(cx, package) {
                continue;
            }
            let Some(root) = binary.root_facts.and_then(|i| cx.rust_facts.get(i)) else {
                continue;
            };
            let (path, facts) = root;
            let anchor: Option<Span> = facts
                .krate
                .entry
                .or(facts.modules.main_fn)
                .or_else(|| facts.servers.first().map(|s| s.span));
            let Some(anchor) = anchor else {
                continue;
            };
            let Some(file) = out.open(workspace, path) else {
                continue;
            };
            let api = if serves.contains(&"tonic") {
                "gRPC API"
            } else {
                "HTTP API"
            };
            let what = match (serves.is_empty(), calls.is_empty()) {
                (false, true) => format!("its {api}"),
                (true, false) => format!(
                    "the {} services it calls",
                    if calls.iter().all(|p| *p == "gRPC") {
                        "gRPC"
                    } else {
                        "HTTP"
                    }
                ),
                _ => format!("its {api} or the services it calls"),
            };
            out.report(
                &META,
                &file,
                anchor,
                format!(
                    "service `{}` has no contract tests for {what}",
                    if member.name.is_empty() {
                        &binary.name
                    } else {
                        &member.name
                    }
                ),
            )
            .label(format!("binary `{}` runs the service", binary.name))
            .note(
                "microservices: contract-driven tests — without a contract test, a changed route, \
                 field or status code breaks the other side only once both are deployed; a \
                 contract holds provider and consumers to the API they agreed on",
            )
            .help(
                "add consumer-driven contract tests (`pact_consumer` for the clients, \
                 `pact_verifier` to verify the provider as a dev-dependency), or a test that \
                 checks the server against its OpenAPI document or `.proto` file",
            );
        }
    }
}

/// A Pact crate in the package, a test of the package that loads its contract, or either in a
/// workspace package that depends on it (a separate contract-test crate).
fn has_contract_tests(cx: &WorkspaceContext<'_>, package: usize) -> bool {
    let workspace = cx.workspace;
    let name = &workspace.packages[package].name;
    let testers = workspace.packages.iter().enumerate().filter(|(index, p)| {
        *index == package
            || p.declared
                .iter()
                .any(|d| &d.name == name && d.path.is_some())
    });
    for (index, tester) in testers {
        if tester
            .declared
            .iter()
            .any(|d| is_contract_test_crate(&d.name))
        {
            return true;
        }
        let loads = cx
            .rust_facts
            .iter()
            .any(|(path, facts)| !facts.contracts.loads.is_empty() && belongs_to(cx, path, index));
        if loads {
            return true;
        }
    }
    false
}

fn belongs_to(cx: &WorkspaceContext<'_>, path: &Path, package: usize) -> bool {
    cx.workspace
        .package_of(path)
        .is_some_and(|p| std::ptr::eq(p, &cx.workspace.packages[package]))
}
