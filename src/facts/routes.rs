//! HTTP routes and gRPC services a file declares, with their paths composed from the prefixes
//! around them (`nest`, `web::scope`, `mount`, salvo `push`) as far as the file shows.
//!
//! axum `.route`/`.route_service`/`.nest`; actix-web `#[get("/p")]`…, `web::resource`,
//! `.route`, `web::scope`; rocket attributes and `.mount("/p", routes![…])`; warp `path!` and
//! `path("p")` chains; poem `.at`/`.nest` and `#[oai(path = …)]`; salvo `Router::with_path`;
//! utoipa `#[utoipa::path(path = …)]`; aide `.api_route(…)`; hand-written hyper routing
//! (`match req.uri().path()`); tonic `.add_service(…)` and `tonic_health`. Where the code
//! says, a route knows the HTTP methods it answers.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Expr, Lit};

use crate::diagnostic::Span;
use crate::source::rust::{RustFile, is_test_code, item_attrs, method_chain, string_literal};

/// Attribute names that declare a route with its path as first argument (actix-web, rocket).
const ROUTE_ATTRIBUTES: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "trace", "connect", "route",
];

/// Crates whose route attributes and builders this module reads, with their framework name.
const WEB_CRATES: &[(&str, &str)] = &[
    ("axum", "axum"),
    ("actix_web", "actix-web"),
    ("rocket", "rocket"),
    ("warp", "warp"),
    ("poem", "poem"),
    ("poem_openapi", "poem"),
    ("salvo", "salvo"),
    ("hyper", "hyper"),
    ("utoipa", "utoipa"),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub framework: &'static str,
    /// The path, with the prefixes this file puts in front of it.
    pub path: String,
    /// The literal that gives the path.
    pub span: Span,
    /// The function whose mounting (`nest("/api", router())`, `.service(handler)`) would put a
    /// further prefix in front: the handler of an attribute route, else the enclosing function.
    pub owner: Option<String>,
    /// The methods it answers, lowercase (`get`, `post`), when the code names every one:
    /// `get(list).post(create)`, `#[get("/p")]`, `web::get().to(h)`,
    /// `#[utoipa::path(get, …)]`. `None` when any method may be answered or the tool cannot
    /// tell (`any(h)`, `on(…)`, a service, a method router built elsewhere).
    pub methods: Option<Vec<&'static str>>,
}

/// A prefix put in front of the routes of a function: `.nest("/api", api::router())`,
/// `web::scope("/api").service(list)`, `.mount("/api", routes![list])`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub prefix: String,
    pub target: String,
    /// The function the mount is written in.
    pub owner: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrpcService {
    /// `Greeter` for `GreeterServer::new(…)`; the expression's text otherwise.
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct RouteFacts {
    pub routes: Vec<Route>,
    pub mounts: Vec<Mount>,
    pub grpc_services: Vec<GrpcService>,
    /// Where the file sets up the standard gRPC health service (`tonic_health`).
    pub grpc_health: Vec<Span>,
    /// String literals that spell a health path (`"/health"`), wherever they are: routes
    /// declared through macros the tool cannot read still leave their path in the code.
    pub health_literals: Vec<Span>,
    /// Where requests are answered by something the file does not show as routes.
    pub unfollowed: Vec<Unfollowed>,
}

/// A place where a router answers paths the tool cannot list: a fallback
/// (`.fallback(…)`, `.default_service(…)`), a nested service (`nest_service("/assets",
/// ServeDir::new(…))`), a route or prefix that is not a literal, a router nested or merged from
/// a value the file does not build. Below `prefix`, the routes are not fully known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfollowed {
    pub prefix: String,
    pub span: Span,
    /// The function it is written in, so mounts of that function prefix it further.
    pub owner: Option<String>,
    /// An axum fallback: it answers only the requests whose path no route matches.
    pub fallback: bool,
}

/// Path segments that name a health, readiness or liveness check whatever surrounds them.
const HEALTH_SEGMENTS: &[&str] = &[
    "health",
    "healthz",
    "healthcheck",
    "health-check",
    "health_check",
    "healthy",
    "readyz",
    "readiness",
    "livez",
    "liveness",
];

/// Segments that name a check only in a path without parameters: `/status` and `/ping` are
/// probes, `/orders/{id}/status` and `/streams/{id}/live` are resources.
const PROBE_SEGMENTS: &[&str] = &["ready", "live", "alive", "ping", "status", "heartbeat"];

/// Whether a route path is a health check: `/healthz`, `/api/v1/health`, `/_status`,
/// `/health/ready`; not `/orders/{id}/status`.
pub fn is_health_path(path: &str) -> bool {
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| segment.trim_start_matches(['_', '.']).to_ascii_lowercase())
        .collect();
    let has_parameter = segments.iter().any(|s| s.starts_with([':', '{', '<', '*']));
    segments.iter().any(|segment| {
        HEALTH_SEGMENTS.contains(&segment.as_str())
            || !has_parameter && PROBE_SEGMENTS.contains(&segment.as_str())
    })
}

impl RouteFacts {
    pub fn extract(file: &RustFile<'_>) -> RouteFacts {
        let mut finder = Finder {
            file,
            framework: web_framework(file),
            prefixes: Vec::new(),
            functions: Vec::new(),
            consumed: HashSet::new(),
            facts: RouteFacts::default(),
        };
        finder.visit_file(&file.syntax);
        finder.facts
    }
}

/// Every route of a set of files with the prefixes other files put in front of it, followed
/// through mounts by function name (a handful of levels; a name mounted twice gives two paths).
pub fn composed_paths<'r>(files: &[&'r RouteFacts]) -> Vec<(&'r Route, String)> {
    let mounts: Vec<&Mount> = files.iter().flat_map(|f| &f.mounts).collect();
    let mut out = Vec::new();
    for route in files.iter().flat_map(|f| &f.routes) {
        for path in compose(&route.path, route.owner.as_deref(), &mounts) {
            out.push((route, path));
        }
    }
    out
}

/// The full paths of `path`, written in the function `owner`, through the mounts of that
/// function (and of the functions that mount it), without duplicates.
fn compose(path: &str, owner: Option<&str>, mounts: &[&Mount]) -> Vec<String> {
    let mut paths = vec![(path.to_string(), owner.map(str::to_string))];
    for _ in 0..4 {
        let mut next = Vec::new();
        let mut changed = false;
        for (path, owner) in paths {
            let above: Vec<&&Mount> = mounts
                .iter()
                .filter(|m| owner.as_deref() == Some(m.target.as_str()))
                .filter(|m| m.owner != owner)
                .collect();
            if above.is_empty() {
                next.push((path, None));
            } else {
                changed = true;
                for mount in above {
                    next.push((join(&[&mount.prefix, &path]), mount.owner.clone()));
                }
            }
        }
        paths = next;
        if !changed {
            break;
        }
    }
    let mut seen = HashSet::new();
    paths
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| seen.insert(path.clone()))
        .collect()
}

/// Frameworks whose routers this module reads well enough to say a path is *not* served.
const TABLE_FRAMEWORKS: &[&str] = &["axum", "actix-web", "rocket", "warp", "poem", "salvo"];

/// The HTTP paths a service answers, when they can be known: every route of its files with
/// its full path, and the prefixes below which something the tool cannot list answers.
#[derive(Debug)]
pub struct RouteTable<'r> {
    pub routes: Vec<(&'r Route, String)>,
    /// Prefixes below which the routes are not known: fallbacks, nested services, computed
    /// paths, catch-all routes (`/*rest`, `{*rest}`, `<path..>`), routers mounted from
    /// functions the files do not hold.
    pub unknown: Vec<String>,
    /// The prefixes of `unknown` below which something may answer a path a route also
    /// matches (with another method, say): all but axum's fallbacks and catch-all routes,
    /// which answer only what no route matches.
    pub opaque: Vec<String>,
}

impl<'r> RouteTable<'r> {
    /// The table of a service's files; `None` when they declare no route of a framework
    /// this module reads, or route by hand (`match req.uri().path()` has a `_` arm).
    pub fn of(files: &[&'r RouteFacts]) -> Option<RouteTable<'r>> {
        let routes = composed_paths(files);
        if routes.iter().any(|(route, _)| route.framework == "hyper")
            || !routes
                .iter()
                .any(|(route, _)| TABLE_FRAMEWORKS.contains(&route.framework))
        {
            return None;
        }
        let mounts: Vec<&Mount> = files.iter().flat_map(|f| &f.mounts).collect();
        let mut unknown = Vec::new();
        let mut opaque = Vec::new();
        for place in files.iter().flat_map(|f| &f.unfollowed) {
            let prefixes = compose(&place.prefix, place.owner.as_deref(), &mounts);
            if !place.fallback {
                opaque.extend(prefixes.iter().cloned());
            }
            unknown.extend(prefixes);
        }
        for (route, path) in &routes {
            if let Some(prefix) = catch_all_prefix(path) {
                // axum matches the most specific path only; actix-web and others try the next
                // resource of a path when the method does not match.
                if route.framework != "axum" {
                    opaque.push(prefix.clone());
                }
                unknown.push(prefix);
            }
        }
        // A router mounted from a function none of the files holds routes for.
        let owners: HashSet<&str> = files
            .iter()
            .flat_map(|f| {
                f.routes
                    .iter()
                    .filter_map(|r| r.owner.as_deref())
                    .chain(f.mounts.iter().filter_map(|m| m.owner.as_deref()))
                    .chain(f.unfollowed.iter().filter_map(|u| u.owner.as_deref()))
            })
            .collect();
        for mount in &mounts {
            if !owners.contains(mount.target.as_str()) {
                let prefixes = compose(&mount.prefix, mount.owner.as_deref(), &mounts);
                opaque.extend(prefixes.iter().cloned());
                unknown.extend(prefixes);
            }
        }
        unknown.sort();
        unknown.dedup();
        opaque.sort();
        opaque.dedup();
        Some(RouteTable {
            routes,
            unknown,
            opaque,
        })
    }

    /// Whether a request for `path` reaches a route: `Some(true)` when one matches,
    /// `Some(false)` when none can, `None` when the path is below an unknown prefix.
    pub fn serves(&self, path: &str) -> Option<bool> {
        if !self.matching(path).is_empty() {
            return Some(true);
        }
        if self.below_unknown(path) {
            return None;
        }
        Some(false)
    }

    /// Whether `path` is below a prefix whose routes are not known.
    pub fn below_unknown(&self, path: &str) -> bool {
        below(&self.unknown, path)
    }

    /// Whether something the tool cannot list may answer `path` besides its routes: it is
    /// below an `opaque` prefix.
    pub fn below_opaque(&self, path: &str) -> bool {
        below(&self.opaque, path)
    }

    /// The routes a request for `path` matches (the query string and a trailing slash are
    /// ignored; a parameter segment matches any one segment; a warp path also matches longer
    /// paths, as its filters do unless the chain ends with `path::end()`).
    pub fn matching(&self, path: &str) -> Vec<&(&'r Route, String)> {
        let wanted = segments(path);
        self.routes
            .iter()
            .filter(|(route, pattern)| {
                let pattern = segments(pattern);
                let prefix_only = route.framework == "warp";
                (pattern.len() == wanted.len() || prefix_only && pattern.len() < wanted.len())
                    && pattern
                        .iter()
                        .zip(&wanted)
                        .all(|(p, w)| p == w || is_parameter(p))
            })
            .collect()
    }
}

fn below(prefixes: &[String], path: &str) -> bool {
    let wanted = segments(path);
    prefixes.iter().any(|prefix| {
        let prefix = segments(prefix);
        prefix.len() <= wanted.len() && prefix.iter().zip(&wanted).all(|(a, b)| a == b)
    })
}

/// The segments of a path, without its query string or fragment.
pub fn segments(path: &str) -> Vec<&str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// `:id`, `{id}`, `{id:\d+}`, `<id>`, warp's `{param}`: one segment, any value.
pub fn is_parameter(segment: &str) -> bool {
    segment.starts_with(':')
        || segment.starts_with('{') && segment.ends_with('}')
        || segment.starts_with('<') && segment.ends_with('>')
}

/// The prefix before a segment that matches the rest of the path: axum `/*rest` and
/// `/{*rest}`, actix `{tail:.*}`, rocket `<path..>`, salvo `<**rest>`/`{**rest}`.
pub fn catch_all_prefix(path: &str) -> Option<String> {
    let parts = segments(path);
    let index = parts.iter().position(|s| {
        s.starts_with('*')
            || s.starts_with("{*")
            || s.contains("..>")
            || s.contains("**")
            || s.starts_with('{') && s.contains(":.*")
    })?;
    Some(join(&parts[..index]))
}

/// The web framework a file uses, by its `use` items and `extern crate`s.
fn web_framework(file: &RustFile<'_>) -> &'static str {
    #[derive(Default)]
    struct Uses(Vec<String>);
    impl<'ast> Visit<'ast> for Uses {
        fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
            let mut tree = &item.tree;
            loop {
                match tree {
                    syn::UseTree::Path(path) => {
                        self.0.push(path.ident.to_string());
                        break;
                    }
                    syn::UseTree::Name(name) => {
                        self.0.push(name.ident.to_string());
                        break;
                    }
                    syn::UseTree::Group(group) => match group.items.first() {
                        Some(first) => tree = first,
                        None => break,
                    },
                    _ => break,
                }
            }
        }
        fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
            self.0.push(item.ident.to_string());
        }
    }
    let mut uses = Uses::default();
    uses.visit_file(&file.syntax);
    WEB_CRATES
        .iter()
        .find(|(krate, _)| uses.0.iter().any(|u| u == krate))
        .map_or("unknown", |(_, framework)| *framework)
}

struct Finder<'f, 's> {
    file: &'f RustFile<'s>,
    framework: &'static str,
    /// Prefixes of the enclosing `nest`/`scope`/`mount` calls, outermost first.
    prefixes: Vec<String>,
    /// Names of the enclosing functions, innermost last.
    functions: Vec<String>,
    /// Calls already counted as part of a longer warp path.
    consumed: HashSet<Span>,
    facts: RouteFacts,
}

impl Finder<'_, '_> {
    fn add_route(
        &mut self,
        framework: &'static str,
        parts: &[&str],
        span: Span,
        methods: Option<Vec<&'static str>>,
    ) {
        let mut all: Vec<&str> = self.prefixes.iter().map(String::as_str).collect();
        all.extend_from_slice(parts);
        let path = join(&all);
        self.facts.routes.push(Route {
            framework,
            path,
            span,
            owner: self.functions.last().cloned(),
            methods,
        });
    }

    fn add_mount(&mut self, prefix: &[&str], target: String) {
        let mut all: Vec<&str> = self.prefixes.iter().map(String::as_str).collect();
        all.extend_from_slice(prefix);
        self.facts.mounts.push(Mount {
            prefix: join(&all),
            target,
            owner: self.functions.last().cloned(),
        });
    }

    fn add_unfollowed(&mut self, prefix: &[&str], span: Span) {
        let mut all: Vec<&str> = self.prefixes.iter().map(String::as_str).collect();
        all.extend_from_slice(prefix);
        self.facts.unfollowed.push(Unfollowed {
            prefix: join(&all),
            span,
            owner: self.functions.last().cloned(),
            fallback: false,
        });
    }

    /// How many routes, mounts and unfollowed places the file has shown so far.
    fn found(&self) -> usize {
        self.facts.routes.len() + self.facts.mounts.len() + self.facts.unfollowed.len()
    }

    fn with_prefix(&mut self, prefix: Option<String>, visit: impl FnOnce(&mut Self)) {
        let pushed = prefix.is_some();
        if let Some(prefix) = prefix {
            self.prefixes.push(prefix);
        }
        visit(self);
        if pushed {
            self.prefixes.pop();
        }
    }

    fn resolved(&self, func: &Expr) -> Option<String> {
        match func {
            Expr::Path(path) => Some(self.file.resolve(&path.path)),
            _ => None,
        }
    }

    /// The prefix a method chain's constructor gives the calls on it: actix
    /// `web::scope("/api")`, salvo `Router::with_path("api")` and `.path("api")`.
    fn chain_prefix(&self, receiver: &Expr) -> Option<String> {
        // Only actix-web scopes and salvo routers prefix the calls on their chain.
        if !matches!(self.framework, "actix-web" | "salvo") {
            return None;
        }
        let mut prefix = None;
        for link in method_chain(receiver).take(MAX_CHAIN) {
            match link {
                Expr::MethodCall(call) if call.method == "path" && self.framework == "salvo" => {
                    if let Some(segment) = call.args.first().and_then(string_literal) {
                        prefix = Some(join(&[&segment, prefix.as_deref().unwrap_or("")]));
                    }
                }
                Expr::Call(call) => {
                    let Some(path) = self.resolved(&call.func) else {
                        continue;
                    };
                    let scoped = matches!(
                        path.as_str(),
                        "actix_web::web::scope" | "actix_web::Scope::new" | "actix_web::scope"
                    ) || path.ends_with("Router::with_path")
                        && self.framework == "salvo";
                    if scoped && let Some(segment) = call.args.first().and_then(string_literal) {
                        prefix = Some(join(&[&segment, prefix.as_deref().unwrap_or("")]));
                    }
                }
                _ => {}
            }
        }
        prefix
    }

    /// A warp filter chain starting with `warp::path("a")`: the segments of `path("a")`
    /// `.and(path("b"))`, in order.
    fn warp_chain(&mut self, expr: &Expr) -> bool {
        if !matches!(self.framework, "warp" | "unknown") {
            return false;
        }
        let links: Vec<&Expr> = method_chain(expr).take(MAX_CHAIN).collect();
        let Some(Expr::Call(root)) = links.last() else {
            return false;
        };
        if self.resolved(&root.func).as_deref() != Some("warp::path") {
            return false;
        }
        let root_span = self.file.span(*links.last().expect("non-empty"));
        if self.consumed.contains(&root_span) {
            return false;
        }
        let Some(first) = root.args.first().and_then(string_literal) else {
            return false;
        };
        let mut segments = vec![first];
        self.consumed.insert(root_span);
        for link in links.iter().rev() {
            let Expr::MethodCall(call) = link else {
                continue;
            };
            if call.method != "and" {
                continue;
            }
            if let Some(arg @ Expr::Call(inner)) = call.args.first()
                && self.resolved(&inner.func).as_deref() == Some("warp::path")
                && let Some(segment) = inner.args.first().and_then(string_literal)
            {
                segments.push(segment);
                self.consumed.insert(self.file.span(arg));
            }
        }
        let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
        self.add_route("warp", &parts, root_span, None);
        true
    }

    fn check_attributes(&mut self, attrs: &[syn::Attribute], function: &str) {
        // A `#[utoipa::path]` without `path`, which utoipa takes from the handler's actix-web or
        // rocket attribute (its `actix_extras`/`rocket_extras`).
        let mut inferred: Option<Route> = None;
        let first_route = self.facts.routes.len();
        for attr in attrs {
            let path = self.file.resolve(attr.path());
            let last = attr
                .path()
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let first = path.split("::").next().unwrap_or_default();
            let framework = if last == "oai" {
                "poem"
            } else if first == "utoipa" && last == "path" {
                "utoipa"
            } else if !ROUTE_ATTRIBUTES.contains(&last.as_str()) {
                continue;
            } else if first == "actix_web" {
                "actix-web"
            } else if first == "rocket" {
                "rocket"
            } else if attr.path().segments.len() == 1
                && matches!(self.framework, "actix-web" | "rocket")
            {
                self.framework
            } else {
                continue;
            };
            let syn::Meta::List(list) = &attr.meta else {
                continue;
            };
            let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
            let (literal, methods) = if matches!(framework, "utoipa" | "poem") {
                // utoipa puts `context_path` in front of the path in the document it generates.
                let context = named_string(&tokens, "context_path").map(|(context, _)| context);
                let literal = named_string(&tokens, "path").map(|(path, span)| match &context {
                    Some(context) => (join(&[context, &path]), span),
                    None => (path, span),
                });
                if literal.is_none() && framework == "utoipa" {
                    inferred = Some(Route {
                        framework,
                        // The context path, until the handler's path is known.
                        path: context.unwrap_or_default(),
                        span: self.file.span(attr.path()),
                        // The document's path is the whole path: no mount puts a prefix in
                        // front of it.
                        owner: None,
                        methods: attribute_methods(&tokens),
                    });
                }
                (literal, attribute_methods(&tokens))
            } else {
                let method = http_method(&last).map(|method| vec![method]);
                (first_string(list.tokens.clone()), method)
            };
            if let Some((path, span)) = literal {
                self.facts.routes.push(Route {
                    framework,
                    path: join(&[&path]),
                    span: self.file.span_of(span),
                    owner: Some(function.to_string()),
                    methods,
                });
            }
        }
        let Some(mut annotation) = inferred else {
            return;
        };
        let handler = self.facts.routes[first_route..]
            .iter()
            .find(|route| matches!(route.framework, "actix-web" | "rocket"));
        if let Some(handler) = handler {
            annotation.path = join(&[&annotation.path, &handler.path]);
            annotation.methods = annotation.methods.or_else(|| handler.methods.clone());
            self.facts.routes.push(annotation);
        }
    }

    /// `match (req.method(), req.uri().path()) { (&Method::GET, "/health") => … }`
    fn hand_routed(&mut self, expr: &syn::ExprMatch) {
        if !calls_path_method(&expr.expr) {
            return;
        }
        for arm in &expr.arms {
            let mut literals = Vec::new();
            pattern_literals(&arm.pat, &mut literals);
            for lit in literals {
                let value = lit.value();
                if value.starts_with('/') && !is_grpc_method(&value) {
                    self.add_route("hyper", &[&value], self.file.span(lit), None);
                }
            }
        }
    }
}

/// `/grpc.health.v1.Health/Check`: a gRPC method, as generated servers route them.
fn is_grpc_method(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    matches!(segments.as_slice(), [service, method]
        if service.contains('.') && method.starts_with(char::is_uppercase))
}

fn calls_path_method(expr: &Expr) -> bool {
    match expr {
        Expr::MethodCall(call) => {
            call.method == "path" && call.args.is_empty() || calls_path_method(&call.receiver)
        }
        Expr::Tuple(tuple) => tuple.elems.iter().any(calls_path_method),
        Expr::Reference(reference) => calls_path_method(&reference.expr),
        Expr::Paren(paren) => calls_path_method(&paren.expr),
        _ => false,
    }
}

fn pattern_literals<'p>(pat: &'p syn::Pat, out: &mut Vec<&'p syn::LitStr>) {
    match pat {
        syn::Pat::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => out.push(lit),
        syn::Pat::Tuple(tuple) => tuple.elems.iter().for_each(|p| pattern_literals(p, out)),
        syn::Pat::Or(or) => or.cases.iter().for_each(|p| pattern_literals(p, out)),
        syn::Pat::Reference(reference) => pattern_literals(&reference.pat, out),
        syn::Pat::Paren(paren) => pattern_literals(&paren.pat, out),
        _ => {}
    }
}

/// The first string literal of an attribute's tokens: `#[get("/p")]`.
fn first_string(tokens: TokenStream) -> Option<(String, proc_macro2::Span)> {
    match tokens.into_iter().next()? {
        TokenTree::Literal(literal) => {
            let span = literal.span();
            let lit: syn::LitStr = syn::parse2(TokenTree::Literal(literal).into()).ok()?;
            Some((lit.value(), span))
        }
        _ => None,
    }
}

/// `key = "value"` among an attribute's arguments: `path = "/p"` of
/// `#[utoipa::path(get, path = "/p")]`.
fn named_string(trees: &[TokenTree], name: &str) -> Option<(String, proc_macro2::Span)> {
    trees.windows(3).find_map(|window| match window {
        [
            TokenTree::Ident(key),
            TokenTree::Punct(eq),
            TokenTree::Literal(literal),
        ] if key == name && eq.as_char() == '=' => {
            let span = literal.span();
            let lit: syn::LitStr = syn::parse2(TokenTree::Literal(literal.clone()).into()).ok()?;
            Some((lit.value(), span))
        }
        _ => None,
    })
}

/// HTTP methods, lowercase, as routes name them.
const HTTP_METHODS: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "trace", "connect",
];

/// Links of a method router that neither add a method nor take one away.
const NEUTRAL_LINKS: &[&str] = &["layer", "route_layer", "with_state", "to", "boxed"];

/// `get`, `get_service` (axum), `get_with` (aide) → `get`.
fn http_method(name: &str) -> Option<&'static str> {
    let base = name
        .strip_suffix("_service")
        .or_else(|| name.strip_suffix("_with"))
        .unwrap_or(name);
    HTTP_METHODS.iter().find(|method| **method == base).copied()
}

/// The methods a method router answers, when every link names one: axum and poem
/// `get(list).post(create)`, `routing::get_service(…)`, aide `get_with(…)`, actix
/// `web::get().to(h)`. `any(h)`, `on(…)`, `MethodRouter::new()`, a variable: `None`.
fn method_router_methods(expr: &Expr) -> Option<Vec<&'static str>> {
    let mut methods = Vec::new();
    for link in method_chain(expr).take(MAX_CHAIN) {
        let name = match link {
            Expr::MethodCall(call) if NEUTRAL_LINKS.contains(&call.method.to_string().as_str()) => {
                continue;
            }
            Expr::MethodCall(call) => call.method.to_string(),
            Expr::Call(call) => match &*call.func {
                Expr::Path(path) => path.path.segments.last()?.ident.to_string(),
                _ => return None,
            },
            _ => return None,
        };
        methods.push(http_method(&name)?);
    }
    methods.sort_unstable();
    methods.dedup();
    (!methods.is_empty()).then_some(methods)
}

/// The methods of an annotation: `#[utoipa::path(get, …)]`, `#[utoipa::path(method(get,
/// head), …)]`, `#[oai(method = "get", …)]`.
fn attribute_methods(trees: &[TokenTree]) -> Option<Vec<&'static str>> {
    if let Some((method, _)) = named_string(trees, "method") {
        return http_method(&method.to_ascii_lowercase()).map(|method| vec![method]);
    }
    let is_comma = |tree: &TokenTree| matches!(tree, TokenTree::Punct(p) if p.as_char() == ',');
    let mut methods = Vec::new();
    for (index, tree) in trees.iter().enumerate() {
        let TokenTree::Ident(ident) = tree else {
            continue;
        };
        if ident == "method"
            && let Some(TokenTree::Group(group)) = trees.get(index + 1)
        {
            for inner in group.stream() {
                if let TokenTree::Ident(name) = inner {
                    methods.push(http_method(&name.to_string())?);
                }
            }
        } else if (index == 0 || is_comma(&trees[index - 1]))
            && trees.get(index + 1).is_none_or(is_comma)
        {
            methods.extend(http_method(&ident.to_string()));
        }
    }
    methods.sort_unstable();
    methods.dedup();
    (!methods.is_empty()).then_some(methods)
}

/// `warp::path!("api" / "v1" / u32)` → `["api", "v1", "{param}"]`.
fn warp_path_macro(tokens: TokenStream) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current: Option<String> = None;
    for tree in tokens {
        match tree {
            TokenTree::Punct(punct) if punct.as_char() == '/' => {
                segments.extend(current.take());
            }
            TokenTree::Punct(punct) if punct.as_char() == '.' => {}
            TokenTree::Literal(literal) => {
                if let Ok(lit) = syn::parse2::<syn::LitStr>(TokenTree::Literal(literal).into()) {
                    current = Some(lit.value());
                }
            }
            _ => {
                if current.is_none() {
                    current = Some("{param}".to_string());
                }
            }
        }
    }
    segments.extend(current);
    segments
}

/// Joins path pieces with single slashes: `["/api/", "v1", "/health"]` → `/api/v1/health`.
pub fn join(parts: &[&str]) -> String {
    let mut path = String::new();
    for part in parts {
        for segment in part.split('/').filter(|s| !s.is_empty()) {
            path.push('/');
            path.push_str(segment);
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

/// The gRPC service an `add_service` argument stands for.
fn grpc_service_name(expr: &Expr) -> String {
    let inner = method_chain(expr).last().unwrap_or(expr);
    match inner {
        Expr::Call(call) => match &*call.func {
            Expr::Path(path) => {
                let segments: Vec<String> = path
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                let type_name = segments
                    .len()
                    .checked_sub(2)
                    .map(|i| segments[i].clone())
                    .unwrap_or_default();
                type_name
                    .strip_suffix("Server")
                    .unwrap_or(&type_name)
                    .to_string()
            }
            _ => String::new(),
        },
        Expr::Path(path) => path
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

impl<'ast> Visit<'ast> for Finder<'_, '_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if item_attrs(item).is_some_and(is_test_code) {
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        let name = item.sig.ident.to_string();
        self.check_attributes(&item.attrs, &name);
        self.functions.push(name);
        syn::visit::visit_item_fn(self, item);
        self.functions.pop();
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if is_test_code(&item.attrs) {
            return;
        }
        let name = item.sig.ident.to_string();
        self.check_attributes(&item.attrs, &name);
        self.functions.push(name);
        syn::visit::visit_impl_item_fn(self, item);
        self.functions.pop();
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(lit), ..
            }) => self.note_literal(&lit.value(), lit.span()),
            Expr::MethodCall(call) => {
                if call.method == "and" && self.warp_chain(expr) {
                    return syn::visit::visit_expr(self, expr);
                }
                let method = call.method.to_string();
                let literal = call.args.first().and_then(string_literal);
                let chain = self.chain_prefix(&call.receiver);
                match (method.as_str(), literal) {
                    (
                        "route" | "route_service" | "at" | "api_route" | "api_route_with",
                        Some(path),
                    ) if path.starts_with('/') || chain.is_some() => {
                        let framework = match (method.as_str(), self.framework) {
                            ("at", _) => "poem",
                            (_, "unknown") => "axum",
                            (_, framework) => framework,
                        };
                        let span = self.file.span(&call.args[0]);
                        let parts = [chain.as_deref().unwrap_or(""), path.as_str()];
                        let methods = match method.as_str() {
                            "route_service" => None,
                            _ => call.args.get(1).and_then(method_router_methods),
                        };
                        self.add_route(framework, &parts, span, methods);
                    }
                    ("route" | "route_service" | "at" | "api_route" | "api_route_with", None)
                        if call.args.len() == 2 || method == "api_route_with" =>
                    {
                        // A path that is not a literal (a constant, a `format!`): any path.
                        let span = self.file.span(&call.args[0]);
                        self.add_unfollowed(&[chain.as_deref().unwrap_or("")], span);
                    }
                    ("nest" | "nest_service" | "nest_no_strip" | "mount", Some(prefix)) => {
                        self.visit_expr(&call.receiver);
                        let parts = [chain.clone().unwrap_or_default(), prefix];
                        let mut targets = 0;
                        for arg in call.args.iter().skip(1) {
                            for target in mount_targets(arg, self.file) {
                                self.add_mount(&[&parts[0], &parts[1]], target);
                                targets += 1;
                            }
                        }
                        let joined = join(&[&parts[0], &parts[1]]);
                        let before = self.found();
                        self.with_prefix(Some(joined.clone()), |this| {
                            for arg in call.args.iter().skip(1) {
                                this.visit_expr(arg);
                            }
                        });
                        // A nested service (`ServeDir`, a tower service), or a router the
                        // file neither builds nor names: what it answers is not known.
                        if method == "nest_service" || targets == 0 && self.found() == before {
                            let span = self.file.span(&call.args[0]);
                            self.add_unfollowed(&[&joined], span);
                        }
                        return;
                    }
                    ("nest" | "nest_service" | "nest_no_strip" | "mount", None)
                        if call.args.len() == 2 =>
                    {
                        let span = self.file.span(&call.args[0]);
                        self.add_unfollowed(&[chain.as_deref().unwrap_or("")], span);
                    }
                    ("merge", _) if call.args.len() == 1 && self.framework == "axum" => {
                        self.visit_expr(&call.receiver);
                        let prefix = chain.clone().unwrap_or_default();
                        let mut targets = 0;
                        for target in mount_targets(&call.args[0], self.file) {
                            self.add_mount(&[&prefix], target);
                            targets += 1;
                        }
                        let before = self.found();
                        self.visit_expr(&call.args[0]);
                        if targets == 0 && self.found() == before {
                            let span = self.file.span(&call.args[0]);
                            self.add_unfollowed(&[&prefix], span);
                        }
                        return;
                    }
                    ("fallback" | "fallback_service" | "default_service", _)
                        if call.args.len() == 1 =>
                    {
                        let span = self.file.span(expr);
                        self.add_unfollowed(&[chain.as_deref().unwrap_or("")], span);
                        // actix-web tries its `default_service` for a method no resource of the
                        // path answers too; an axum fallback only sees unmatched paths.
                        if let Some(place) = self.facts.unfollowed.last_mut() {
                            place.fallback = method != "default_service";
                        }
                    }
                    ("service" | "configure" | "push" | "route" | "get" | "post", _)
                        if chain.is_some() =>
                    {
                        self.visit_expr(&call.receiver);
                        let prefix = chain.expect("checked");
                        for arg in &call.args {
                            for target in mount_targets(arg, self.file) {
                                self.add_mount(&[&prefix], target);
                            }
                        }
                        return self.with_prefix(Some(prefix), |this| {
                            for arg in &call.args {
                                this.visit_expr(arg);
                            }
                        });
                    }
                    ("add_service" | "add_optional_service", _) => {
                        if let Some(service) = call.args.first() {
                            self.facts.grpc_services.push(GrpcService {
                                name: grpc_service_name(service),
                                span: self.file.span(service),
                            });
                        }
                    }
                    _ => {}
                }
                self.warp_chain(expr);
            }
            Expr::Call(call) => {
                let path = self.resolved(&call.func).unwrap_or_default();
                let literal = call.args.first().and_then(string_literal);
                match (path.as_str(), literal) {
                    ("actix_web::web::resource" | "actix_web::Resource::new", Some(p)) => {
                        let span = self.file.span(&call.args[0]);
                        self.add_route("actix-web", &[&p], span, None);
                    }
                    ("warp::path", Some(_)) => {
                        self.warp_chain(expr);
                    }
                    (p, Some(segment))
                        if self.framework == "salvo"
                            && (p.ends_with("Router::with_path") || p == "salvo::Router::new") =>
                    {
                        let span = self.file.span(&call.args[0]);
                        self.add_route("salvo", &[&segment], span, None);
                    }
                    (p, _) if p.starts_with("tonic_health::") => {
                        self.facts.grpc_health.push(self.file.span(expr));
                    }
                    _ => {}
                }
            }
            Expr::Match(m) => self.hand_routed(m),
            Expr::Macro(mac) => {
                let path = self.file.resolve(&mac.mac.path);
                if path == "warp::path" || path == "path" && self.framework == "warp" {
                    let segments = warp_path_macro(mac.mac.tokens.clone());
                    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
                    self.add_route("warp", &parts, self.file.span(expr), None);
                }
            }
            _ => {}
        }
        syn::visit::visit_expr(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(args) = self.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }

    /// Attributes are not code, but route macros (`#[routes(…"/health" => get(h))]`) keep their
    /// paths in them; doc comments and `cfg`s are left alone.
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        let path = attr.path();
        if path.is_ident("doc") || path.is_ident("cfg") || path.is_ident("cfg_attr") {
            return;
        }
        if let syn::Meta::List(list) = &attr.meta {
            self.scan_tokens(list.tokens.clone());
        }
    }
}

impl Finder<'_, '_> {
    fn note_literal(&mut self, value: &str, span: proc_macro2::Span) {
        if value.starts_with('/') && is_health_path(value) && !is_grpc_method(value) {
            self.facts.health_literals.push(self.file.span_of(span));
        }
    }

    fn scan_tokens(&mut self, tokens: TokenStream) {
        for tree in tokens {
            match tree {
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Literal(literal) => {
                    let span = literal.span();
                    if let Ok(lit) = syn::parse2::<syn::LitStr>(TokenTree::Literal(literal).into())
                    {
                        self.note_literal(&lit.value(), span);
                    }
                }
                _ => {}
            }
        }
    }
}

/// How many links of a method chain are walked to find its constructor.
const MAX_CHAIN: usize = 256;

/// Framework constructors, not functions of the application.
const BUILDERS: &[&str] = &[
    "scope",
    "resource",
    "with_path",
    "new",
    "path",
    "get",
    "post",
];

/// The functions an argument of `nest`/`mount`/`service` mounts: `api::router()` → `router`,
/// `routes![a, b]` → `a`, `b`, a bare handler `list` → `list`.
fn mount_targets(arg: &Expr, file: &RustFile<'_>) -> Vec<String> {
    let inner = method_chain(arg).last().unwrap_or(arg);
    match inner {
        Expr::Call(call) => match &*call.func {
            Expr::Path(path) => {
                let segments: Vec<String> = path
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                let is_type = segments.len() >= 2
                    && segments[segments.len() - 2].starts_with(char::is_uppercase);
                match segments.last() {
                    Some(name) if !is_type && !BUILDERS.contains(&name.as_str()) => {
                        vec![name.clone()]
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        },
        // `list`, `handlers::list`, `api::endpoints::orders::list`: a function by its module
        // path (not an associated item of a type further down).
        Expr::Path(path)
            if path.path.segments.len() <= 2
                || path
                    .path
                    .segments
                    .iter()
                    .rev()
                    .skip(1)
                    .all(|segment| !segment.ident.to_string().starts_with(char::is_uppercase)) =>
        {
            path.path
                .segments
                .last()
                .map(|s| vec![s.ident.to_string()])
                .unwrap_or_default()
        }
        Expr::Macro(mac)
            if mac
                .mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "routes") =>
        {
            file.macro_args(&mac.mac)
                .filter(|args| args.parsed)
                .map(|args| {
                    args.exprs
                        .iter()
                        .filter_map(|e| match e {
                            Expr::Path(path) => {
                                path.path.segments.last().map(|s| s.ident.to_string())
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::source::rust::CodeRole;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn facts(text: &str) -> RouteFacts {
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/ws/src/main.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        RouteFacts::extract(&file)
    }

    fn paths(facts: &RouteFacts) -> Vec<String> {
        facts.routes.iter().map(|r| r.path.clone()).collect()
    }

    #[test]
    fn axum_routes_compose_nested_prefixes() {
        let facts = facts(
            r#"use axum::{Router, routing::get};
fn app() -> Router {
    Router::new()
        .route("/healthz", get(health))
        .nest("/api/v1", Router::new().route("/orders/:id", get(order)).nest("/admin", admin::router()))
}
#[cfg(test)]
mod tests { fn t() { Router::new().route("/test-only", get(x)); } }"#,
        );
        assert_eq!(
            paths(&facts),
            ["/healthz", "/api/v1/orders/:id"],
            "{facts:?}"
        );
        assert_eq!(
            facts.mounts,
            [Mount {
                prefix: "/api/v1/admin".into(),
                target: "router".into(),
                owner: Some("app".into())
            }]
        );
    }

    #[test]
    fn actix_attributes_resources_and_scopes() {
        let facts = facts(
            r#"use actix_web::{get, web, App, HttpServer};
#[get("/health")]
async fn health() -> &'static str { "ok" }
fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api").service(list).route("/items", web::get().to(items)));
    cfg.service(web::resource("/ready").to(ready));
}"#,
        );
        assert_eq!(paths(&facts), ["/health", "/api/items", "/ready"]);
        assert_eq!(facts.mounts[0].prefix, "/api");
        assert_eq!(facts.mounts[0].target, "list");

        let deep = super::tests::facts(
            r#"use actix_web::web;
fn api() -> actix_web::Scope {
    web::scope("/v0").service(endpoints::pipelines::list).service(web::Data::new)
}"#,
        );
        let targets: Vec<&str> = deep.mounts.iter().map(|m| m.target.as_str()).collect();
        assert_eq!(targets, ["list"]);
    }

    #[test]
    fn rocket_warp_poem_salvo_and_hyper() {
        let facts = facts(
            r#"#[macro_use] extern crate rocket;
#[get("/live")]
fn live() -> &'static str { "ok" }
fn main() { rocket::build().mount("/internal", routes![live]); }"#,
        );
        assert_eq!(paths(&facts), ["/live"]);
        let composed: Vec<String> = composed_paths(&[&facts])
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        assert_eq!(composed, ["/internal/live"]);

        let warp = super::tests::facts(
            r#"use warp::Filter;
fn routes() { let h = warp::path("health").and(warp::path("deep")).map(|| "ok"); let p = warp::path!("api" / "orders" / u32); }"#,
        );
        assert_eq!(paths(&warp), ["/health/deep", "/api/orders/{param}"]);

        let poem = super::tests::facts(
            r#"use poem::{Route, get};
fn app() { Route::new().at("/ping", get(ping)).nest("/api", Route::new().at("/users", get(u))); }"#,
        );
        assert_eq!(paths(&poem), ["/ping", "/api/users"]);

        let salvo = super::tests::facts(
            r#"use salvo::prelude::*;
fn router() { Router::with_path("api").push(Router::with_path("status").get(status)); }"#,
        );
        assert_eq!(paths(&salvo), ["/api", "/api/status"]);

        let hyper = super::tests::facts(
            r#"async fn handle(req: Request<Body>) { match (req.method(), req.uri().path()) { (&Method::GET, "/readyz") => ok(), _ => nf() } }
fn call(&mut self, req: Request<B>) { match req.uri().path() { "/grpc.health.v1.Health/Check" => a(), _ => b() } }"#,
        );
        assert_eq!(paths(&hyper), ["/readyz"]);
    }

    #[test]
    fn health_paths_in_macros_the_tool_cannot_read() {
        let facts = facts(
            r#"/// Serves `/health` (a doc comment is not a route).
#[routes::routes(routes("/health" => get(get_health), "/version" => get(version)))]
pub struct MeiliApi;
fn other() { let url = format!("{}/healthz", base); }"#,
        );
        assert_eq!(facts.health_literals.len(), 1);
        assert!(is_health_path("/api/v1/_health"));
        assert!(is_health_path("/health/ready"));
        assert!(is_health_path("/status"));
        assert!(!is_health_path("/orders/{id}/status"));
        assert!(!is_health_path("/orders/:id/state"));
    }

    #[test]
    fn route_tables_know_what_they_cannot_tell() {
        let main = facts(
            r#"use axum::{Router, routing::get};
fn app() -> Router {
    Router::new()
        .route("/healthz", get(health))
        .nest("/api/v1", api_routes())
        .nest("/admin", admin_crate::admin_router())
        .nest_service("/assets", ServeDir::new("assets"))
        .route("/files/*rest", get(file))
}"#,
        );
        let api = facts(
            r#"use axum::{Router, routing::get};
pub fn api_routes() -> Router { Router::new().route("/orders/:id", get(order)).route("/items/{id}", get(item)) }"#,
        );
        let table = RouteTable::of(&[&main, &api]).unwrap();
        assert_eq!(table.serves("/healthz"), Some(true));
        assert_eq!(table.serves("/healthz/?verbose=1"), Some(true));
        assert_eq!(table.serves("/api/v1/orders/42"), Some(true));
        assert_eq!(table.serves("/api/v1/items/7"), Some(true));
        assert_eq!(table.serves("/api/v1/orders/42/lines"), Some(false));
        assert_eq!(table.serves("/health"), Some(false));
        assert_eq!(table.serves("/admin/health"), None);
        assert_eq!(table.serves("/assets/app.js"), None);
        assert_eq!(table.serves("/files/a/b"), None);

        let fallback = facts(
            r#"use axum::{Router, routing::get};
fn app() -> Router { Router::new().route("/api/cart", get(cart)).fallback(spa) }"#,
        );
        let table = RouteTable::of(&[&fallback]).unwrap();
        assert_eq!(table.serves("/health"), None);
        assert!(
            !table.below_opaque("/api/cart"),
            "a fallback adds no method to a route"
        );

        let computed = facts(
            r#"use axum::{Router, routing::get};
const HEALTH: &str = "/health";
fn app() -> Router { Router::new().route("/orders", get(list)).route(HEALTH, get(health)) }"#,
        );
        assert_eq!(
            RouteTable::of(&[&computed]).unwrap().serves("/health"),
            None
        );

        let hyper = facts(
            r#"async fn handle(req: Request<Body>) { match req.uri().path() { "/readyz" => ok(), _ => nf() } }"#,
        );
        assert!(RouteTable::of(&[&hyper]).is_none());
        assert!(RouteTable::of(&[]).is_none());
    }

    #[test]
    fn routes_know_their_methods() {
        let facts = facts(
            r#"use axum::{Router, routing::{get, any, post}};
fn app() -> Router {
    Router::new()
        .route("/orders", get(list).post(create).layer(auth))
        .route("/any", any(h))
        .route("/svc", routing::get_service(ServeFile::new("x")))
        .route_service("/raw", svc)
        .route("/var", method_router)
        .api_route_with("/docs", get_with(h, op).head_with(h, op), tag)
}
#[utoipa::path(post, path = "/orders/{id}", context_path = "/api")]
async fn create() {}
#[utoipa::path(method(get, head), path = "/two")]
async fn two() {}
#[utoipa::path(path = "/inferred")]
async fn inferred() {}"#,
        );
        let mut methods: Vec<(&str, Option<Vec<&str>>)> = facts
            .routes
            .iter()
            .map(|r| (r.path.as_str(), r.methods.clone()))
            .collect();
        methods.sort();
        assert_eq!(
            methods,
            [
                ("/any", None),
                ("/api/orders/{id}", Some(vec!["post"])),
                ("/docs", Some(vec!["get", "head"])),
                ("/inferred", None),
                ("/orders", Some(vec!["get", "post"])),
                ("/raw", None),
                ("/svc", Some(vec!["get"])),
                ("/two", Some(vec!["get", "head"])),
                ("/var", None),
            ]
        );
        let actix = super::tests::facts(
            r#"use actix_web::{get, web};
#[get("/health")]
async fn health() -> &'static str { "ok" }
fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api").route("/items", web::post().to(items)));
}"#,
        );
        let methods: Vec<Option<Vec<&str>>> =
            actix.routes.iter().map(|r| r.methods.clone()).collect();
        assert_eq!(methods, [Some(vec!["get"]), Some(vec!["post"])]);

        // utoipa's actix_extras: the path comes from the handler's own attribute.
        let extras = super::tests::facts(
            r#"use actix_web::get;
#[utoipa::path(context_path = "/v0", responses((status = OK)))]
#[get("/pipelines/{name}")]
async fn get_pipeline() -> &'static str { "{}" }"#,
        );
        let routes: Vec<(&str, &str, Option<Vec<&str>>)> = extras
            .routes
            .iter()
            .map(|r| (r.framework, r.path.as_str(), r.methods.clone()))
            .collect();
        assert_eq!(
            routes,
            [
                ("actix-web", "/pipelines/{name}", Some(vec!["get"])),
                ("utoipa", "/v0/pipelines/{name}", Some(vec!["get"])),
            ]
        );
    }

    #[test]
    fn grpc_services_and_health() {
        let facts = facts(
            r#"async fn main() {
    let (mut reporter, health_service) = tonic_health::server::health_reporter();
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(GreeterServer::new(greeter))
        .serve(addr).await?;
}"#,
        );
        let names: Vec<&str> = facts
            .grpc_services
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["Greeter", "health_service"]);
        assert_eq!(facts.grpc_health.len(), 1);
    }
}
