//! Routes in code and the service's OpenAPI contract — a document (YAML or JSON) or its
//! `#[utoipa::path]` annotations — that disagree: a documented path or method no route
//! serves, a served route or method the document leaves out.

use std::path::Path;

use crate::diagnostic::{Label, Level};
use crate::facts::deployed::Spot;
use crate::facts::openapi::{
    generates_openapi, is_archived, is_operational_path, is_variable, prefix_before,
    routes_from_annotations, same_segment, same_template,
};
use crate::facts::routes::{Route, RouteFacts, RouteTable, catch_all_prefix, join, segments};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::openapi::OpenApiDocument;
use crate::source::rust::CodeRole;
use crate::workspace::Package;

pub static META: RuleMeta = RuleMeta {
    id: "openapi-route-drift",
    category: Category::Contracts,
    default_level: Level::Warn,
    summary: "routes in code and paths in the service's OpenAPI document or utoipa annotations disagree",
    docs: include_str!("../../../rules/contracts/openapi-route-drift.md"),
    scope: CodeScope::All,
};

pub struct OpenapiRouteDrift;

const NOTE: &str = "microservices: contract-driven tests — the OpenAPI document is the \
                    contract consumers code against: clients are generated from it and contract \
                    tests check it. A path or method it promises that the service does not \
                    serve answers 404 or 405 in production; a route it leaves out is invisible \
                    to consumers and no contract test covers it";

/// The methods compared: frameworks and CORS layers answer `head` and `options` without a
/// route saying so, and `trace` is no API's.
const COMPARED_METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

/// A route the document lacks is reported only while at least this many routes are
/// documented for each one it lacks.
const UNDOCUMENTED_SHARE: usize = 4;

/// How many routes a finding shows as labels.
const SHOWN_ROUTES: usize = 3;

impl Rule for OpenapiRouteDrift {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let documents = cx.deployment.openapi_documents();
        let apis: Vec<Api<'_>> = cx
            .model()
            .services
            .iter()
            .filter_map(|service| Api::of(cx, service))
            .collect();
        if apis.is_empty() {
            return;
        }
        let mut contracts: Vec<Vec<Contract>> = apis.iter().map(|_| Vec::new()).collect();
        for document in documents {
            if is_archived(&document.source.path) {
                continue;
            }
            let contract = Contract::of_document(document);
            if let Some(owner) = owner(cx, &apis, document, &contract) {
                contracts[owner].push(contract);
            }
        }
        let mut reported: Vec<Spot> = Vec::new();
        for (api, contracts) in apis.iter().zip(&contracts) {
            if let Some(annotations) = Contract::of_annotations(cx, api, out) {
                documented_but_not_served(cx, api, &annotations, &mut reported, out);
            }
            for contract in contracts {
                documented_but_not_served(cx, api, contract, &mut reported, out);
            }
            if !api.generated {
                served_but_not_documented(cx, api, contracts, &mut reported, out);
            }
        }
    }
}

/// A service's routes, as far as they can be known.
struct Api<'c> {
    name: String,
    /// The package of its binary.
    package: &'c Package,
    table: RouteTable<'c>,
    /// Each route with the file it is declared in.
    declared_in: Vec<(&'c Route, &'c Path)>,
    /// The packages whose files declare its routes.
    packages: Vec<&'c Package>,
    /// A package of it generates the OpenAPI document from the code.
    generated: bool,
    /// Its `#[utoipa::path]` annotations, when they document rather than route.
    annotations: Vec<&'c Route>,
}

impl<'c> Api<'c> {
    fn of<'a>(
        cx: &'c WorkspaceContext<'a>,
        service: &crate::model::Service<'a>,
    ) -> Option<Api<'c>> {
        let binary = service.binary.as_ref()?;
        if !binary.serves || binary.package.is_example() {
            return None;
        }
        let files: Vec<(&'c Path, &'c RouteFacts)> = service
            .rust_facts(cx)
            .into_iter()
            .filter(|(path, _)| cx.workspace.code_role(path) == CodeRole::Production)
            .map(|(path, facts)| (path, &facts.routes))
            .collect();
        let route_facts: Vec<&RouteFacts> = files.iter().map(|(_, facts)| *facts).collect();
        let mut table = RouteTable::of(&route_facts)?;
        // A library's routes that this binary never mounts (its `main` does not reach them)
        // are another service's.
        let mut declared_in: Vec<(&Route, &Path)> = Vec::new();
        for (path, facts) in &files {
            declared_in.extend(
                facts
                    .routes
                    .iter()
                    .filter(|route| service.runs(cx, path, route.span))
                    .map(|route| (route, *path)),
            );
        }
        table
            .routes
            .retain(|(route, _)| declared_in.iter().any(|(r, _)| std::ptr::eq(*r, *route)));
        let mut packages: Vec<&Package> = Vec::new();
        for (_, path) in &declared_in {
            if let Some(package) = cx.workspace.package_of(path)
                && !packages.iter().any(|known| std::ptr::eq(*known, package))
            {
                packages.push(package);
            }
        }
        let annotation_routed = packages.iter().any(|p| routes_from_annotations(p));
        let mut annotations = Vec::new();
        if !annotation_routed {
            annotations = declared_in
                .iter()
                .map(|(route, _)| *route)
                .filter(|route| route.framework == "utoipa")
                .collect();
            table
                .routes
                .retain(|(route, _)| route.framework != "utoipa");
        }
        Some(Api {
            name: service.name.clone(),
            package: binary.package,
            table,
            declared_in,
            generated: packages.iter().any(|p| generates_openapi(p)),
            packages,
            annotations,
        })
    }

    fn file_of(&self, route: &Route) -> Option<&'c Path> {
        self.declared_in
            .iter()
            .find(|(known, _)| std::ptr::eq(*known, route))
            .map(|(_, path)| *path)
    }

    fn route_label(
        &self,
        cx: &WorkspaceContext<'_>,
        route: &Route,
        message: String,
        out: &mut WorkspaceReporter,
    ) -> Option<Label> {
        let file = out.open(cx.workspace, self.file_of(route)?)?;
        Some(Spot::new(&file, route.span).label(message))
    }
}

/// What a contract documents: the paths of an OpenAPI document, or of a service's
/// `#[utoipa::path]` annotations.
struct Contract {
    /// `` `crates/orders/openapi.yaml` ``, or the annotations.
    name: String,
    is_document: bool,
    paths: Vec<Documented>,
    /// The base paths the document states.
    base_paths: Vec<String>,
    /// The `paths:` key of a document.
    anchor: Option<Spot>,
}

struct Documented {
    template: String,
    spot: Spot,
    /// The documented methods and their keys; `None` when the document does not say here.
    operations: Option<Vec<(&'static str, Spot)>>,
    /// It names its own servers: the document's base paths are not its own.
    own_servers: bool,
}

impl Contract {
    fn of_document(document: &OpenApiDocument) -> Contract {
        let file = &document.source;
        Contract {
            name: format!("`{}`", file.path.display()),
            is_document: true,
            paths: document
                .paths
                .iter()
                .map(|item| Documented {
                    template: item.template.clone(),
                    spot: Spot::new(file, item.span),
                    operations: item.operations.as_ref().map(|operations| {
                        operations
                            .iter()
                            .map(|(method, span)| (*method, Spot::new(file, *span)))
                            .collect()
                    }),
                    own_servers: item.own_servers,
                })
                .collect(),
            base_paths: document.base_paths.clone(),
            anchor: document.paths_key.map(|span| Spot::new(file, span)),
        }
    }

    fn of_annotations(
        cx: &WorkspaceContext<'_>,
        api: &Api<'_>,
        out: &mut WorkspaceReporter,
    ) -> Option<Contract> {
        let mut paths = Vec::new();
        for route in &api.annotations {
            let Some(file) = api.file_of(route).and_then(|p| out.open(cx.workspace, p)) else {
                continue;
            };
            let spot = Spot::new(&file, route.span);
            paths.push(Documented {
                template: route.path.clone(),
                operations: route.methods.as_ref().map(|methods| {
                    methods
                        .iter()
                        .map(|method| (*method, spot.clone()))
                        .collect()
                }),
                spot,
                own_servers: false,
            });
        }
        (!paths.is_empty()).then(|| Contract {
            name: "its `#[utoipa::path]` annotation".to_string(),
            is_document: false,
            paths,
            base_paths: Vec::new(),
            anchor: None,
        })
    }

    /// The base paths to try a documented path under: none, those the document states, and
    /// a prefix the routes show many of its paths are served under (`/api/v1` when the
    /// routes are `/api/v1/orders` and `/api/v1/orders/:id` and the document says `/orders`
    /// and `/orders/{id}`, as a nested router, a gateway or a utoipa `nest` would have it).
    fn bases(&self, table: &RouteTable<'_>) -> Vec<String> {
        let mut bases = vec![String::new()];
        bases.extend(self.base_paths.iter().cloned());
        let unexplained: Vec<&Documented> = self
            .paths
            .iter()
            .filter(|d| !d.own_servers)
            .filter(|d| {
                bases
                    .iter()
                    .all(|base| table.matching(&join(&[base, &d.template])).is_empty())
            })
            .collect();
        let mut explained: Vec<(String, usize)> = Vec::new();
        for documented in &unexplained {
            let has_literal = segments(&documented.template)
                .iter()
                .any(|segment| !is_variable(segment));
            if !has_literal {
                continue;
            }
            let mut prefixes: Vec<String> = table
                .routes
                .iter()
                .filter_map(|(_, path)| prefix_before(path, &documented.template))
                .collect();
            prefixes.sort();
            prefixes.dedup();
            for prefix in prefixes {
                match explained.iter_mut().find(|(known, _)| *known == prefix) {
                    Some((_, count)) => *count += 1,
                    None => explained.push((prefix, 1)),
                }
            }
        }
        // One path that happens to end like a route is no base; a prefix under which a good
        // share of the unexplained paths are served is.
        bases.extend(
            explained
                .into_iter()
                .filter(|(_, count)| *count >= 2 && *count * 4 >= unexplained.len())
                .map(|(prefix, _)| prefix),
        );
        bases.sort();
        bases.dedup();
        bases
    }
}

/// Whether the routes serve a documented path, under any of the base paths.
enum Status<'t, 'r> {
    /// The routes that match, and whether something the tool cannot list might answer the
    /// path too (a router it cannot read, not a fallback).
    Served(Vec<&'t (&'r Route, String)>, bool),
    /// Below a prefix whose routes are not known.
    Unknown,
    Unserved,
}

fn status<'t, 'r>(table: &'t RouteTable<'r>, template: &str, bases: &[String]) -> Status<'t, 'r> {
    let mut matched: Vec<&'t (&'r Route, String)> = Vec::new();
    let (mut unknown, mut opaque) = (false, false);
    for base in bases {
        let path = join(&[base, template]);
        unknown |= table.below_unknown(&path);
        opaque |= table.below_opaque(&path);
        for entry in table.matching(&path) {
            if !matched.iter().any(|known| std::ptr::eq(*known, entry)) {
                matched.push(entry);
            }
        }
    }
    match (matched.is_empty(), unknown) {
        (false, _) => Status::Served(matched, opaque),
        (true, true) => Status::Unknown,
        (true, false) => Status::Unserved,
    }
}

/// How many documented paths (health checks and other operational paths aside) the routes
/// serve: the evidence that a document describes this service.
fn served_count(table: &RouteTable<'_>, contract: &Contract, bases: &[String]) -> usize {
    contract
        .paths
        .iter()
        .filter(|d| !d.own_servers && !is_operational_path(&d.template))
        .filter(|d| matches!(status(table, &d.template, bases), Status::Served(..)))
        .count()
}

/// The service a document describes: one whose routes its package declares (a document in a
/// client crate describes no route of it), or, for a document outside any package, the
/// service that serves most of its paths.
fn owner(
    cx: &WorkspaceContext<'_>,
    apis: &[Api<'_>],
    document: &OpenApiDocument,
    contract: &Contract,
) -> Option<usize> {
    let package = cx.workspace.package_of(&document.source.path);
    let inside: Vec<usize> = match package {
        Some(package) => {
            let is = |index: &usize| std::ptr::eq(apis[*index].package, package);
            let declares = |index: &usize| {
                apis[*index]
                    .packages
                    .iter()
                    .any(|known| std::ptr::eq(*known, package))
            };
            let binaries: Vec<usize> = (0..apis.len()).filter(is).collect();
            if binaries.is_empty() {
                (0..apis.len()).filter(declares).collect()
            } else {
                binaries
            }
        }
        None => Vec::new(),
    };
    let outside_packages = package.is_none_or(|p| p.dir.as_os_str().is_empty());
    let candidates: Vec<usize> = match (inside.is_empty(), outside_packages) {
        (false, _) => inside.clone(),
        (true, true) => (0..apis.len()).collect(),
        (true, false) => return None,
    };
    let scores: Vec<(usize, usize)> = candidates
        .iter()
        .map(|&index| {
            let table = &apis[index].table;
            (served_count(table, contract, &contract.bases(table)), index)
        })
        .collect();
    let best = scores.iter().map(|(score, _)| *score).max()?;
    let mut winners = scores.iter().filter(|(score, _)| *score == best);
    let (_, first) = winners.next()?;
    // Two services that serve a document outside both equally well: whose it is, is a guess.
    if best == 0 || inside.is_empty() && winners.next().is_some() {
        return None;
    }
    Some(*first)
}

/// Documented paths and methods that no route serves.
fn documented_but_not_served(
    cx: &WorkspaceContext<'_>,
    api: &Api<'_>,
    contract: &Contract,
    reported: &mut Vec<Spot>,
    out: &mut WorkspaceReporter,
) {
    let bases = contract.bases(&api.table);
    let judged: Vec<(&Documented, Status<'_, '_>)> = contract
        .paths
        .iter()
        .filter(|d| !d.own_servers)
        .map(|d| (d, status(&api.table, &d.template, &bases)))
        .collect();
    let unserved = judged
        .iter()
        .filter(|(_, s)| matches!(s, Status::Unserved))
        .count();
    // Fewer served than unserved paths: the document describes another service, another
    // version, or routes the tool cannot read; nothing it says is trustworthy here.
    if unserved > served_count(&api.table, contract, &bases) {
        return;
    }
    for (documented, status) in &judged {
        match status {
            Status::Unserved if !seen(reported, &documented.spot) => {
                unserved_path(cx, api, contract, documented, &bases, out);
            }
            Status::Served(routes, false) => {
                unserved_methods(cx, api, contract, documented, routes, reported, out);
            }
            _ => {}
        }
    }
}

fn seen(reported: &mut Vec<Spot>, spot: &Spot) -> bool {
    if reported.iter().any(|known| known.same(spot)) {
        return true;
    }
    reported.push(spot.clone());
    false
}

fn unserved_path(
    cx: &WorkspaceContext<'_>,
    api: &Api<'_>,
    contract: &Contract,
    documented: &Documented,
    bases: &[String],
    out: &mut WorkspaceReporter,
) {
    let mut labels = Vec::new();
    for (route, path) in nearest_routes(&api.table, &documented.template, bases) {
        labels.extend(api.route_label(
            cx,
            route,
            format!("`{path}` is a route of `{}`", api.name),
            out,
        ));
    }
    let (message, label, help) = if contract.is_document {
        (
            format!(
                "the path `{}` in {} is not a route of `{}`",
                documented.template, contract.name, api.name
            ),
            "clients generated from this document call it and get 404 Not Found",
            format!(
                "add the route to `{}`'s router, or remove the path from the document (if the \
                 route moved, document the path it has now)",
                api.name
            ),
        )
    } else {
        (
            format!(
                "this `#[utoipa::path]` annotation documents `{}`, which is not a route of `{}`",
                documented.template, api.name
            ),
            "the generated document promises this path; requests for it get 404 Not Found",
            "make `path` the path the router serves this handler at (with the prefixes it is \
             nested under), or register the handler in the router"
                .to_string(),
        )
    };
    report(out, &documented.spot, message, label, help, labels);
}

/// Reports at `spot`, with the places that show the drift as labels.
fn report(
    out: &mut WorkspaceReporter,
    spot: &Spot,
    message: String,
    label: impl Into<String>,
    help: impl Into<String>,
    labels: Vec<Label>,
) {
    let finding = out
        .report(&META, &spot.file, spot.span, message)
        .label(label)
        .note(NOTE)
        .help(help);
    finding.labels.extend(labels);
}

/// The routes whose paths share the longest start with the documented path, or the first
/// routes when none does.
fn nearest_routes<'t, 'r>(
    table: &'t RouteTable<'r>,
    template: &str,
    bases: &[String],
) -> Vec<&'t (&'r Route, String)> {
    let shared = |path: &str| {
        bases
            .iter()
            .map(|base| {
                let wanted = join(&[base, template]);
                segments(path)
                    .iter()
                    .zip(segments(&wanted))
                    .take_while(|(a, b)| same_segment(a, b))
                    .count()
            })
            .max()
            .unwrap_or(0)
    };
    let mut scored: Vec<(usize, &(&Route, String))> = table
        .routes
        .iter()
        .map(|entry| (shared(&entry.1), entry))
        .collect();
    scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    scored
        .into_iter()
        .take(SHOWN_ROUTES)
        .map(|(_, entry)| entry)
        .collect()
}

fn unserved_methods(
    cx: &WorkspaceContext<'_>,
    api: &Api<'_>,
    contract: &Contract,
    documented: &Documented,
    routes: &[&(&Route, String)],
    reported: &mut Vec<Spot>,
    out: &mut WorkspaceReporter,
) {
    let Some(operations) = &documented.operations else {
        return;
    };
    let Some(served) = union_of_methods(routes.iter().map(|(route, _)| *route)) else {
        return;
    };
    for (method, spot) in operations {
        if !COMPARED_METHODS.contains(method) || served.contains(method) || seen(reported, spot) {
            continue;
        }
        let mut labels = Vec::new();
        for (route, path) in routes {
            let answers = route.methods.as_deref().unwrap_or_default();
            labels.extend(api.route_label(
                cx,
                route,
                format!("`{path}` answers {}", upper_list(answers)),
                out,
            ));
        }
        let verb = method.to_ascii_uppercase();
        let route_paths: Vec<&str> = routes.iter().map(|(_, path)| path.as_str()).collect();
        let help = if contract.is_document {
            format!(
                "add a {verb} handler to the route, or remove the `{method}` operation from the \
                 document"
            )
        } else {
            format!(
                "register the handler for {verb} in the router, or make the annotation's method \
                 the one the router registers"
            )
        };
        let message = format!(
            "{verb} `{}` is documented in {}, but the route `{}` of `{}` does not answer {verb}",
            documented.template,
            contract.name,
            route_paths.join("`, `"),
            api.name
        );
        let label = "clients that follow the contract get 405 Method Not Allowed";
        report(out, spot, message, label, help, labels);
    }
}

/// The methods a set of routes answers together, when each says.
fn union_of_methods<'r>(routes: impl Iterator<Item = &'r Route>) -> Option<Vec<&'static str>> {
    let mut methods = Vec::new();
    for route in routes {
        methods.extend(route.methods.as_ref()?.iter().copied());
    }
    methods.sort_unstable();
    methods.dedup();
    Some(methods)
}

fn upper_list(methods: &[&str]) -> String {
    let upper: Vec<String> = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
    upper.join(", ")
}

/// Served routes and methods that none of the service's documents has.
fn served_but_not_documented(
    cx: &WorkspaceContext<'_>,
    api: &Api<'_>,
    contracts: &[Contract],
    reported: &mut Vec<Spot>,
    out: &mut WorkspaceReporter,
) {
    if contracts.is_empty() {
        return;
    }
    let bases: Vec<Vec<String>> = contracts.iter().map(|c| c.bases(&api.table)).collect();
    // Each route once, with every full path it is served at.
    let mut routes: Vec<(&Route, Vec<&str>)> = Vec::new();
    for (route, path) in &api.table.routes {
        match routes
            .iter_mut()
            .find(|(known, _)| std::ptr::eq(*known, *route))
        {
            Some((_, paths)) => paths.push(path),
            None => routes.push((route, vec![path])),
        }
    }
    routes.retain(|(_, paths)| {
        !paths
            .iter()
            .any(|p| is_operational_path(p) || catch_all_prefix(p).is_some())
    });
    let judged: Vec<(&Route, Vec<&str>, Vec<&Documented>)> = routes
        .into_iter()
        .map(|(route, paths)| {
            let documents: Vec<&Documented> = contracts
                .iter()
                .zip(&bases)
                .flat_map(|(contract, bases)| {
                    contract
                        .paths
                        .iter()
                        .filter(|d| paths.iter().any(|path| documents(d, bases, path)))
                })
                .collect();
            (route, paths, documents)
        })
        .collect();
    let documented = judged.iter().filter(|(_, _, d)| !d.is_empty()).count();
    let undocumented = judged.len() - documented;
    // A document that leaves out more than one route in five is a curated part of the API (the
    // public routes, without the deprecated and internal ones), not a copy that drifted.
    if undocumented * UNDOCUMENTED_SHARE > documented {
        return;
    }
    for (route, paths, documents) in &judged {
        let Some(file) = api.file_of(route).and_then(|p| out.open(cx.workspace, p)) else {
            continue;
        };
        let spot = Spot::new(&file, route.span);
        if documents.is_empty() {
            if !seen(reported, &spot) {
                undocumented_route(api, contracts, &spot, paths, out);
            }
        } else {
            undocumented_methods(
                api, contracts, &spot, route, paths, documents, reported, out,
            );
        }
    }
}

/// Whether a documented path names the route served at `path`.
fn documents(documented: &Documented, bases: &[String], path: &str) -> bool {
    if documented.own_servers {
        return same_template(path, &documented.template)
            || prefix_before(path, &documented.template).is_some();
    }
    bases
        .iter()
        .any(|base| same_template(path, &join(&[base, &documented.template])))
}

fn contract_names(contracts: &[Contract]) -> String {
    let names: Vec<&str> = contracts.iter().map(|c| c.name.as_str()).collect();
    match names.as_slice() {
        [one] => one.to_string(),
        many => format!("any of {}", many.join(", ")),
    }
}

fn undocumented_route(
    api: &Api<'_>,
    contracts: &[Contract],
    spot: &Spot,
    paths: &[&str],
    out: &mut WorkspaceReporter,
) {
    let labels: Vec<Label> = contracts
        .iter()
        .filter_map(|contract| {
            let anchor = contract.anchor.as_ref()?;
            Some(anchor.label(format!(
                "{} documents {} paths of `{}`; `{}` is not one of them",
                contract.name,
                contract.paths.len(),
                api.name,
                paths[0]
            )))
        })
        .collect();
    let message = format!(
        "the route `{}` of `{}` is not documented in {}",
        paths[0],
        api.name,
        contract_names(contracts)
    );
    let help = "add the path to the document, or remove the route if nothing should call it; \
                keep internal routes under `/internal` or on a separate listener";
    report(
        out,
        spot,
        message,
        "served, but not part of the contract",
        help,
        labels,
    );
}

#[allow(clippy::too_many_arguments)]
fn undocumented_methods(
    api: &Api<'_>,
    contracts: &[Contract],
    spot: &Spot,
    route: &Route,
    paths: &[&str],
    documents: &[&Documented],
    reported: &mut Vec<Spot>,
    out: &mut WorkspaceReporter,
) {
    let Some(served) = &route.methods else {
        return;
    };
    let mut documented_methods = Vec::new();
    for documented in documents {
        let Some(operations) = &documented.operations else {
            return;
        };
        documented_methods.extend(operations.iter().map(|(method, _)| *method));
    }
    let missing: Vec<&str> = served
        .iter()
        .copied()
        .filter(|m| COMPARED_METHODS.contains(m) && !documented_methods.contains(m))
        .collect();
    if missing.is_empty() || seen(reported, spot) {
        return;
    }
    documented_methods.sort_unstable();
    documented_methods.dedup();
    let labels: Vec<Label> = documents
        .iter()
        .map(|documented| {
            documented.spot.label(format!(
                "`{}` documents {}",
                documented.template,
                if documented_methods.is_empty() {
                    "no operation".to_string()
                } else {
                    upper_list(&documented_methods)
                }
            ))
        })
        .collect();
    let missing_upper = upper_list(&missing);
    let message = format!(
        "the route `{}` of `{}` answers {missing_upper}, which {} does not document",
        paths[0],
        api.name,
        contract_names(contracts)
    );
    let label = format!("{missing_upper} served, but not part of the contract");
    let help = format!(
        "add the {} operation{} to the document's path, or stop serving {}",
        missing_upper,
        if missing.len() == 1 { "" } else { "s" },
        if missing.len() == 1 { "it" } else { "them" }
    );
    report(out, spot, message, label, help, labels);
}
