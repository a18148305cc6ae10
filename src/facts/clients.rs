//! Outbound clients: where the code builds an HTTP or gRPC client (reqwest, ureq, hyper and
//! hyper-util, tonic) and whether the calls made through it are bounded by a timeout.
//!
//! A client is judged within the function that builds it. A timeout counts when it is set on
//! the builder chain, or on the variable that holds the builder later in the same function
//! (`let mut b = Client::builder(); b = b.timeout(..);`), or when the library has one by
//! default. A client that never leaves the function counts as bounded when every request it
//! makes there is: a per-request `.timeout(..)`, or a `tokio::time::timeout(..)` around the
//! call. A builder handed to other code, and a hyper client (it has no timeout setting) that
//! leaves the function, cannot be judged: they are `Unknown`, not guesses.

use std::collections::HashSet;

use syn::visit::Visit;
use syn::{Expr, ImplItem, Item, Local, Pat, Stmt, TraitItem};

use crate::diagnostic::Span;
use crate::source::rust::RustFile;

/// The library a client comes from; it decides which methods set timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientLibrary {
    /// `reqwest::Client`: no timeout by default.
    Reqwest,
    /// `reqwest::blocking::Client`: 30 seconds by default, unless `.timeout(None)`.
    ReqwestBlocking,
    /// `ureq` 2: `Agent`, `AgentBuilder`.
    Ureq2,
    /// `ureq` 3: `Agent::new_with_defaults`, `Agent::config_builder`, `Config::builder`.
    Ureq3,
    /// `ureq::get(..)` and friends, either version.
    Ureq,
    /// `hyper_util::client::legacy::Client`, hyper 0.14's `Client`: no timeout setting at all.
    Hyper,
    /// `tonic::transport::Endpoint`/`Channel`.
    Tonic,
    /// A tonic-generated client's `connect(..)`: the endpoint's defaults, no timeout.
    TonicGenerated,
}

impl ClientLibrary {
    pub fn name(self) -> &'static str {
        match self {
            ClientLibrary::Reqwest => "reqwest",
            ClientLibrary::ReqwestBlocking => "reqwest::blocking",
            ClientLibrary::Ureq2 | ClientLibrary::Ureq3 | ClientLibrary::Ureq => "ureq",
            ClientLibrary::Hyper => "hyper",
            ClientLibrary::Tonic | ClientLibrary::TonicGenerated => "tonic",
        }
    }

    pub fn protocol(self) -> &'static str {
        match self {
            ClientLibrary::Tonic | ClientLibrary::TonicGenerated => "gRPC",
            _ => "HTTP",
        }
    }

    /// Builder methods that bound a call (any argument but a literal `None`).
    fn sets_timeout(self, method: &str) -> bool {
        match self {
            ClientLibrary::Reqwest | ClientLibrary::ReqwestBlocking => {
                matches!(method, "timeout" | "connect_timeout" | "read_timeout")
            }
            ClientLibrary::Ureq2 => matches!(
                method,
                "timeout" | "timeout_connect" | "timeout_read" | "timeout_write"
            ),
            ClientLibrary::Ureq3 | ClientLibrary::Ureq => {
                method == "timeout" || method.starts_with("timeout_")
            }
            ClientLibrary::Hyper => false,
            ClientLibrary::Tonic | ClientLibrary::TonicGenerated => {
                matches!(method, "timeout" | "connect_timeout")
            }
        }
    }

    /// Methods that turn the builder into the client.
    fn finishes(self, method: &str) -> bool {
        match self {
            ClientLibrary::Reqwest | ClientLibrary::ReqwestBlocking | ClientLibrary::Ureq2 => {
                method == "build"
            }
            ClientLibrary::Ureq3 | ClientLibrary::Ureq => matches!(method, "build" | "new_agent"),
            ClientLibrary::Hyper => matches!(method, "build" | "build_http"),
            ClientLibrary::Tonic | ClientLibrary::TonicGenerated => matches!(
                method,
                "connect"
                    | "connect_lazy"
                    | "connect_with_connector"
                    | "connect_with_connector_lazy"
            ),
        }
    }

    /// Methods of the client that start a request.
    fn starts_request(self, method: &str) -> bool {
        const HTTP_VERBS: &[&str] = &["get", "post", "put", "patch", "delete", "head"];
        match self {
            ClientLibrary::Reqwest | ClientLibrary::ReqwestBlocking => {
                HTTP_VERBS.contains(&method) || matches!(method, "request" | "execute")
            }
            ClientLibrary::Ureq2 | ClientLibrary::Ureq3 | ClientLibrary::Ureq => {
                HTTP_VERBS.contains(&method)
                    || matches!(
                        method,
                        "request" | "request_url" | "options" | "trace" | "run"
                    )
            }
            ClientLibrary::Hyper => matches!(method, "request" | "get"),
            ClientLibrary::Tonic => false,
            // Generated clients: every method but these is an RPC.
            ClientLibrary::TonicGenerated => !matches!(
                method,
                "max_decoding_message_size"
                    | "max_encoding_message_size"
                    | "send_compressed"
                    | "accept_compressed"
                    | "unwrap"
                    | "expect"
                    | "context"
                    | "with_context"
                    | "map_err"
                    | "ok"
                    | "into"
                    | "as_mut"
                    | "as_ref"
                    | "clone"
            ),
        }
    }

    /// Methods of a request that bound it.
    fn bounds_request(self, method: &str) -> bool {
        match self {
            ClientLibrary::Reqwest | ClientLibrary::ReqwestBlocking => method == "timeout",
            ClientLibrary::Ureq2 | ClientLibrary::Ureq3 | ClientLibrary::Ureq => {
                method == "timeout" || method.starts_with("timeout_")
            }
            ClientLibrary::Hyper | ClientLibrary::Tonic | ClientLibrary::TonicGenerated => {
                // `fut.timeout(d)` from a future extension trait.
                method == "timeout"
            }
        }
    }
}

/// What a constructor gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstructorKind {
    /// A builder: `Client::builder()`, `Endpoint::from_static(..)`.
    Builder,
    /// A finished client with the library's defaults: `Client::new()`, `ureq::agent()`.
    Client,
    /// One request through a default client: `reqwest::get(..)`, `ureq::get(..)`.
    Request,
}

/// Constructors by resolved path.
/// The last segments of `CONSTRUCTORS`, to rule out most calls before resolving their paths.
fn constructor_names() -> &'static [&'static str] {
    static NAMES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<&str> = CONSTRUCTORS
            .iter()
            .filter_map(|(path, ..)| path.rsplit("::").next())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    });
    &NAMES
}

const CONSTRUCTORS: &[(&str, ClientLibrary, ConstructorKind)] = {
    use ClientLibrary::*;
    use ConstructorKind::*;
    &[
        ("reqwest::Client::new", Reqwest, Client),
        ("reqwest::Client::default", Reqwest, Client),
        ("reqwest::Client::builder", Reqwest, Builder),
        ("reqwest::ClientBuilder::new", Reqwest, Builder),
        ("reqwest::ClientBuilder::default", Reqwest, Builder),
        ("reqwest::get", Reqwest, Request),
        ("reqwest::blocking::Client::new", ReqwestBlocking, Client),
        (
            "reqwest::blocking::Client::default",
            ReqwestBlocking,
            Client,
        ),
        (
            "reqwest::blocking::Client::builder",
            ReqwestBlocking,
            Builder,
        ),
        (
            "reqwest::blocking::ClientBuilder::new",
            ReqwestBlocking,
            Builder,
        ),
        ("reqwest::blocking::get", ReqwestBlocking, Request),
        ("ureq::agent", Ureq2, Client),
        ("ureq::builder", Ureq2, Builder),
        ("ureq::Agent::new", Ureq2, Client),
        ("ureq::AgentBuilder::new", Ureq2, Builder),
        ("ureq::Agent::new_with_defaults", Ureq3, Client),
        ("ureq::Agent::config_builder", Ureq3, Builder),
        ("ureq::config::Config::builder", Ureq3, Builder),
        ("ureq::Config::builder", Ureq3, Builder),
        ("ureq::get", Ureq, Request),
        ("ureq::post", Ureq, Request),
        ("ureq::put", Ureq, Request),
        ("ureq::patch", Ureq, Request),
        ("ureq::delete", Ureq, Request),
        ("ureq::head", Ureq, Request),
        ("ureq::options", Ureq, Request),
        ("ureq::trace", Ureq, Request),
        ("ureq::request", Ureq, Request),
        ("ureq::request_url", Ureq, Request),
        (
            "hyper_util::client::legacy::Client::builder",
            Hyper,
            Builder,
        ),
        ("hyper_util::client::legacy::Builder::new", Hyper, Builder),
        ("hyper::Client::new", Hyper, Client),
        ("hyper::Client::builder", Hyper, Builder),
        ("hyper::client::Client::new", Hyper, Client),
        ("hyper::client::Client::builder", Hyper, Builder),
        ("tonic::transport::Endpoint::from_static", Tonic, Builder),
        ("tonic::transport::Endpoint::from_shared", Tonic, Builder),
        ("tonic::transport::Endpoint::new", Tonic, Builder),
        ("tonic::transport::Endpoint::try_from", Tonic, Builder),
        ("tonic::transport::Endpoint::from", Tonic, Builder),
        ("tonic::transport::Channel::from_static", Tonic, Builder),
        ("tonic::transport::Channel::from_shared", Tonic, Builder),
        ("tonic::transport::Channel::builder", Tonic, Builder),
        (
            "tonic::transport::channel::Endpoint::from_static",
            Tonic,
            Builder,
        ),
        (
            "tonic::transport::channel::Endpoint::from_shared",
            Tonic,
            Builder,
        ),
        ("tonic::transport::channel::Endpoint::new", Tonic, Builder),
        (
            "tonic::transport::channel::Channel::from_static",
            Tonic,
            Builder,
        ),
        (
            "tonic::transport::channel::Channel::from_shared",
            Tonic,
            Builder,
        ),
    ]
};

/// Calls that bound the future they are given.
const TIMEOUT_WRAPPERS: &[&str] = &[
    "tokio::time::timeout",
    "tokio::time::timeout_at",
    "async_std::future::timeout",
    "async_std::io::timeout",
];

/// Methods that supply a value when the one before failed: a client built in their argument
/// is the fallback of the one built in their receiver.
const FALLBACK_METHODS: &[&str] = &[
    "unwrap_or",
    "unwrap_or_else",
    "or_else",
    "unwrap_or_default",
];

/// Whether the calls through a client are bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// On the builder, or by the library's default.
    Set,
    /// Not on the client, but on every request it makes (it never leaves the function).
    PerRequest,
    /// Nowhere.
    Missing,
    /// Switched off: `.timeout(None)` on reqwest's blocking client.
    Disabled,
    /// The builder is handed to other code, or the library has no timeout setting and the
    /// client leaves the function.
    Unknown,
}

/// A client the code builds.
#[derive(Clone, Debug)]
pub struct OutboundClient {
    pub library: ClientLibrary,
    pub kind: ConstructorKind,
    /// The constructor as written, for messages: `reqwest::Client::new()`,
    /// `GreeterClient::connect(..)`, `reqwest::Client::new` (passed as a function).
    pub constructor: String,
    /// The constructor expression: a call, or a path passed as a function (`Lazy::new(Client::new)`).
    pub span: Span,
    /// Where a finding goes: the called path, with `()` when it takes no arguments.
    pub report_span: Span,
    pub timeout: Timeout,
}

/// Every client constructor of the file, judged.
pub fn outbound_clients(file: &RustFile<'_>) -> Vec<OutboundClient> {
    if is_generated(file.text()) {
        return Vec::new();
    }
    let mut finder = Finder {
        file,
        stack: Vec::new(),
        modules: vec![&file.syntax.items],
        found: Vec::new(),
    };
    finder.visit_file(&file.syntax);
    let found = std::mem::take(&mut finder.found);
    found.into_iter().map(|found| judge(file, found)).collect()
}

/// Files written by prost/tonic-build say so at the top.
fn is_generated(text: &str) -> bool {
    let mut end = text.len().min(512);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].contains("@generated")
}

/// A node above the one being looked at.
#[derive(Clone, Copy)]
enum Up<'a> {
    Expr(&'a Expr),
    Local(&'a Local),
    Stmt(&'a Stmt),
    Macro,
    /// A function or constant whose body holds the node; climbing stops here.
    Body(Body<'a>),
    /// Any other item: a module, an impl.
    Item,
}

/// The code a client is judged in.
#[derive(Clone, Copy)]
enum Body<'a> {
    Block(&'a syn::Block),
    Expr(&'a Expr),
}

struct Found<'a> {
    library: ClientLibrary,
    kind: ConstructorKind,
    constructor: String,
    expr: &'a Expr,
    report_span: Span,
    stack: Vec<Up<'a>>,
}

struct Finder<'a, 's> {
    file: &'a RustFile<'s>,
    stack: Vec<Up<'a>>,
    /// The items of the enclosing modules, innermost last.
    modules: Vec<&'a [Item]>,
    found: Vec<Found<'a>>,
}

impl<'a> Finder<'a, '_> {
    fn constructor(&self, expr: &'a Expr) -> Option<Found<'a>> {
        let (callee, call) = match expr {
            Expr::Call(call) => match &*call.func {
                Expr::Path(path) => (path, Some(call)),
                _ => return None,
            },
            // `Lazy::new(reqwest::Client::new)`: the constructor passed as a function.
            Expr::Path(path) if path.path.segments.len() > 1 => (path, None),
            _ => return None,
        };
        let last = &callee.path.segments.last()?.ident;
        if last != "connect" && !constructor_names().iter().any(|name| last == name) {
            return None;
        }
        if call.is_none() && !self.is_argument(expr) {
            return None;
        }
        if callee.path.leading_colon.is_none() && callee.path.segments.len() > 1 {
            // `Client::new()` where this module defines its own `Client`: the file's imports
            // (one map per file) do not apply.
            let first = &callee.path.segments[0].ident;
            if self.defines_locally(first) {
                return None;
            }
        }
        let known = |path: &str| CONSTRUCTORS.iter().any(|(p, ..)| *p == path);
        let resolved = match call {
            Some(_) => self.file.called_path_where(expr, known),
            None => {
                let as_call = Expr::Call(syn::ExprCall {
                    attrs: Vec::new(),
                    func: Box::new(Expr::Path(callee.clone())),
                    paren_token: Default::default(),
                    args: Default::default(),
                });
                self.file.called_path_where(&as_call, known)
            }
        };
        let (library, kind) = match resolved {
            Some(path) => {
                let &(_, library, kind) = CONSTRUCTORS.iter().find(|(p, ..)| *p == path)?;
                (library, kind)
            }
            None if call.is_some() && is_generated_connect(&self.file.resolve(&callee.path)) => {
                (ClientLibrary::TonicGenerated, ConstructorKind::Client)
            }
            None => return None,
        };
        let callee_span = self.file.span(callee);
        let report_span = match call {
            Some(call) if call.args.is_empty() => {
                Span::new(callee_span.start, self.file.span(call).end)
            }
            _ => callee_span,
        };
        let mut constructor = path_text(&callee.path);
        match call {
            Some(call) if call.args.is_empty() => constructor.push_str("()"),
            Some(_) => constructor.push_str("(..)"),
            None => {}
        }
        Some(Found {
            library,
            kind,
            constructor,
            expr,
            report_span,
            stack: self.stack.clone(),
        })
    }

    /// Whether the innermost module defines a type of this name.
    fn defines_locally(&self, name: &syn::Ident) -> bool {
        let Some(items) = self.modules.last() else {
            return false;
        };
        items.iter().any(|item| match item {
            Item::Struct(item) => item.ident == *name,
            Item::Enum(item) => item.ident == *name,
            Item::Union(item) => item.ident == *name,
            Item::Type(item) => item.ident == *name,
            Item::Trait(item) => item.ident == *name,
            _ => false,
        })
    }

    fn is_argument(&self, expr: &Expr) -> bool {
        match self.stack.last() {
            Some(Up::Expr(Expr::Call(call))) => call.args.iter().any(|a| std::ptr::eq(a, expr)),
            Some(Up::Expr(Expr::MethodCall(call))) => {
                call.args.iter().any(|a| std::ptr::eq(a, expr))
            }
            _ => false,
        }
    }
}

/// A path as written, without generic arguments: `Client::builder` for `Client::<(), ()>::builder`.
fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let joined = segments.join("::");
    if path.leading_colon.is_some() {
        format!("::{joined}")
    } else {
        joined
    }
}

/// `…::greeter_client::GreeterClient::connect`: the module tonic-build generates for a service
/// holds its client type.
fn is_generated_connect(path: &str) -> bool {
    let segments: Vec<&str> = path.split("::").collect();
    let [.., module, client, "connect"] = segments.as_slice() else {
        return false;
    };
    client.len() > "Client".len() && client.ends_with("Client") && snake_case(client) == *module
}

fn snake_case(name: &str) -> String {
    let mut snake = String::new();
    for (index, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if index > 0 {
                snake.push('_');
            }
            snake.extend(c.to_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

impl<'a> Visit<'a> for Finder<'a, '_> {
    fn visit_item(&mut self, item: &'a Item) {
        let up = match item {
            Item::Fn(function) => Up::Body(Body::Block(&function.block)),
            Item::Const(constant) => Up::Body(Body::Expr(&constant.expr)),
            Item::Static(stat) => Up::Body(Body::Expr(&stat.expr)),
            Item::Macro(mac) if mac.mac.path.is_ident("macro_rules") => return,
            Item::Impl(implementation) if generated_client_impl(implementation) => return,
            _ => Up::Item,
        };
        let module = match item {
            Item::Mod(syn::ItemMod {
                content: Some((_, items)),
                ..
            }) => Some(items.as_slice()),
            _ => None,
        };
        if let Some(items) = module {
            self.modules.push(items);
        }
        self.stack.push(up);
        syn::visit::visit_item(self, item);
        self.stack.pop();
        if module.is_some() {
            self.modules.pop();
        }
    }

    fn visit_impl_item(&mut self, item: &'a ImplItem) {
        let up = match item {
            ImplItem::Fn(function) => Up::Body(Body::Block(&function.block)),
            ImplItem::Const(constant) => Up::Body(Body::Expr(&constant.expr)),
            _ => Up::Item,
        };
        self.stack.push(up);
        syn::visit::visit_impl_item(self, item);
        self.stack.pop();
    }

    fn visit_trait_item(&mut self, item: &'a TraitItem) {
        let up = match item {
            TraitItem::Fn(function) => match &function.default {
                Some(block) => Up::Body(Body::Block(block)),
                None => Up::Item,
            },
            _ => Up::Item,
        };
        self.stack.push(up);
        syn::visit::visit_trait_item(self, item);
        self.stack.pop();
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.stack.push(Up::Stmt(stmt));
        syn::visit::visit_stmt(self, stmt);
        self.stack.pop();
    }

    fn visit_local(&mut self, local: &'a Local) {
        self.stack.push(Up::Local(local));
        syn::visit::visit_local(self, local);
        self.stack.pop();
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Some(found) = self.constructor(expr)
            && self.stack.iter().any(|up| matches!(up, Up::Body(_)))
        {
            self.found.push(found);
        }
        self.stack.push(Up::Expr(expr));
        syn::visit::visit_expr(self, expr);
        self.stack.pop();
    }

    fn visit_macro(&mut self, mac: &'a syn::Macro) {
        if let Some(args) = self.file.macro_args(mac) {
            self.stack.push(Up::Macro);
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
            self.stack.pop();
        }
    }

    fn visit_attribute(&mut self, _: &'a syn::Attribute) {}
}

/// `impl GreeterClient<tonic::transport::Channel>` in checked-in tonic-build output: its
/// `async fn connect<D>(dst: D)` builds the endpoint that the caller's
/// `GreeterClient::connect(..)` is judged for.
fn generated_client_impl(implementation: &syn::ItemImpl) -> bool {
    let syn::Type::Path(self_type) = &*implementation.self_ty else {
        return false;
    };
    let Some(last) = self_type.path.segments.last() else {
        return false;
    };
    last.ident.to_string().ends_with("Client")
        && !last.arguments.is_empty()
        && implementation.items.iter().any(|item| {
            matches!(item, ImplItem::Fn(f) if f.sig.ident == "connect"
                && f.sig.asyncness.is_some()
                && !f.sig.generics.params.is_empty()
                && f.sig.inputs.iter().all(|input| !matches!(input, syn::FnArg::Receiver(_))))
        })
}

/// Where the value of an expression goes: what is done to it, and where it ends.
struct Climb<'a> {
    steps: Vec<Step<'a>>,
    end: End<'a>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Method(&'a syn::ExprMethodCall),
    Await,
}

enum End<'a> {
    /// Bound to a name, at a position: `let client = …;`, or `client = …;` (`reassigned`).
    Bound {
        name: String,
        at: usize,
        reassigned: bool,
    },
    /// Dropped at the end of a statement.
    Statement,
    /// Given to a call that bounds it: `ServiceBuilder::new().timeout(..).service(channel)`.
    IntoTimeoutLayer,
    /// The fallback of another construction: `builder.build().unwrap_or_else(|_| Client::new())`.
    FallbackOf(&'a Expr),
    /// Anywhere else: returned, stored in a struct, passed to a function.
    Escaped,
}

fn climb<'a>(file: &RustFile<'_>, node: &'a Expr, stack: &[Up<'a>]) -> Climb<'a> {
    let mut steps = Vec::new();
    let mut current: &'a Expr = node;
    let end = 'end: {
        for up in stack.iter().rev() {
            let parent = match up {
                Up::Expr(parent) => *parent,
                Up::Local(local) => {
                    let is_init = local
                        .init
                        .as_ref()
                        .is_some_and(|init| std::ptr::eq(&*init.expr, current));
                    break 'end match binding_name(&local.pat) {
                        Some(name) if is_init => End::Bound {
                            name,
                            at: file.span(*local).start,
                            reassigned: false,
                        },
                        _ => End::Escaped,
                    };
                }
                Up::Stmt(Stmt::Expr(_, Some(_))) => break 'end End::Statement,
                _ => break 'end End::Escaped,
            };
            match parent {
                Expr::MethodCall(call) if std::ptr::eq(&*call.receiver, current) => {
                    steps.push(Step::Method(call));
                }
                Expr::MethodCall(call) => {
                    let method = call.method.to_string();
                    break 'end if FALLBACK_METHODS.contains(&method.as_str()) {
                        End::FallbackOf(&call.receiver)
                    } else if layers_timeout(file, &call.receiver) {
                        End::IntoTimeoutLayer
                    } else {
                        End::Escaped
                    };
                }
                Expr::Call(call) if std::ptr::eq(&*call.func, current) => break 'end End::Escaped,
                Expr::Call(_) if is_timeout_wrapper(file, parent) => {}
                Expr::Call(_) => {
                    break 'end if file
                        .called_path(parent)
                        .is_some_and(|path| path.ends_with("timeout::Timeout::new"))
                    {
                        End::IntoTimeoutLayer
                    } else {
                        End::Escaped
                    };
                }
                Expr::Await(_) => steps.push(Step::Await),
                Expr::Try(_) | Expr::Paren(_) | Expr::Group(_) | Expr::Closure(_) => {}
                Expr::Assign(assign) if std::ptr::eq(&*assign.right, current) => {
                    break 'end match &*assign.left {
                        Expr::Path(path) if path.qself.is_none() => match path.path.get_ident() {
                            Some(name) => End::Bound {
                                name: name.to_string(),
                                at: file.span(parent).start,
                                reassigned: true,
                            },
                            None => End::Escaped,
                        },
                        _ => End::Escaped,
                    };
                }
                _ => break 'end End::Escaped,
            }
            current = parent;
        }
        End::Escaped
    };
    Climb { steps, end }
}

/// `ServiceBuilder::new().timeout(..)` or `.layer(TimeoutLayer::new(..))` before `.service(x)`.
fn layers_timeout(file: &RustFile<'_>, receiver: &Expr) -> bool {
    crate::source::rust::method_chain(receiver).any(|link| match link {
        Expr::MethodCall(call) => {
            call.method == "timeout"
                || (call.method == "layer"
                    && call.args.iter().any(|arg| {
                        file.called_path(arg)
                            .is_some_and(|path| path.ends_with("TimeoutLayer::new"))
                    }))
        }
        _ => false,
    })
}

fn is_timeout_wrapper(file: &RustFile<'_>, expr: &Expr) -> bool {
    file.called_path_where(expr, |path| TIMEOUT_WRAPPERS.contains(&path))
        .is_some()
}

/// Whether a timeout bounds the node from above: `tokio::time::timeout(d, <node>)`, or
/// `<node>.timeout(d)` through a future extension trait, anywhere up to its function.
fn bounded_from_above(file: &RustFile<'_>, node: &Expr, stack: &[Up<'_>]) -> bool {
    let node_span = file.span(node);
    for up in stack.iter().rev() {
        match up {
            Up::Expr(expr) => match expr {
                Expr::Call(_) if is_timeout_wrapper(file, expr) => return true,
                Expr::MethodCall(call)
                    if call.method == "timeout"
                        && file.span(&*call.receiver).start <= node_span.start
                        && node_span.end <= file.span(&*call.receiver).end =>
                {
                    return true;
                }
                _ => {}
            },
            Up::Body(_) => return false,
            _ => {}
        }
    }
    false
}

/// The name a pattern binds the whole value to: `client`, `mut client`, `client: Client`,
/// `Ok(client)`, `Some(client)`.
fn binding_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(ident) if ident.subpat.is_none() => Some(ident.ident.to_string()),
        Pat::Type(typed) => binding_name(&typed.pat),
        Pat::TupleStruct(tuple) if tuple.elems.len() == 1 => {
            let name = tuple.path.segments.last()?.ident.to_string();
            matches!(name.as_str(), "Ok" | "Some")
                .then(|| binding_name(&tuple.elems[0]))
                .flatten()
        }
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Builder,
    Client,
    /// A request: whether something bounds it, and whether it has been sent (`.send()`,
    /// `.call()`, `.await`) rather than still being built.
    Request {
        bounded: bool,
        sent: bool,
    },
}

/// What one construction's uses showed.
#[derive(Default)]
struct Evidence {
    builder_timeout: bool,
    /// `.timeout(None)`.
    disabled: bool,
    builder_escaped: bool,
    client_escaped: bool,
    layered: bool,
    /// Finished with a connector of the code's own (`connect_with_connector`): an in-memory
    /// duplex, a Unix socket, a tunnel; the transport decides.
    own_transport: bool,
    requests: usize,
    unbounded_requests: usize,
    request_escaped: bool,
    fallback_of_bounded: bool,
}

struct Judge<'a, 's> {
    file: &'a RustFile<'s>,
    library: ClientLibrary,
    body: Body<'a>,
    evidence: Evidence,
    followed: HashSet<(String, usize)>,
}

fn judge<'a>(file: &'a RustFile<'_>, found: Found<'a>) -> OutboundClient {
    let Found {
        library,
        kind,
        constructor,
        expr,
        report_span,
        stack,
    } = found;
    let body = stack
        .iter()
        .rev()
        .find_map(|up| match up {
            Up::Body(body) => Some(*body),
            _ => None,
        })
        .expect("constructors are only taken inside bodies");
    let mut judge = Judge {
        file,
        library,
        body,
        evidence: Evidence::default(),
        followed: HashSet::new(),
    };
    let start = match kind {
        ConstructorKind::Builder => Phase::Builder,
        ConstructorKind::Client => Phase::Client,
        ConstructorKind::Request => Phase::Request {
            bounded: matches!(expr, Expr::Call(call) if is_health_probe(file, call.args.first())),
            sent: false,
        },
    };
    judge.follow(expr, &stack, start, None, 0);
    if library == ClientLibrary::Hyper && judge.sets_connect_timeout() {
        judge.evidence.builder_timeout = true;
    }
    OutboundClient {
        library,
        kind,
        constructor,
        span: file.span(expr),
        report_span,
        timeout: judge.verdict(),
    }
}

/// How deep bindings are followed (`let b = ..; let c = b.build(); let d = c;`).
const MAX_FOLLOW: usize = 6;

impl<'a> Judge<'a, '_> {
    /// Follows one value from `node` outward, then through the names it is bound to. `via` is
    /// the variable `node` reads, if it is a use of one.
    fn follow(
        &mut self,
        node: &'a Expr,
        stack: &[Up<'a>],
        phase: Phase,
        via: Option<&str>,
        depth: usize,
    ) {
        let climb = climb(self.file, node, stack);
        let mut phase = self.apply(&climb.steps, phase);
        if let Phase::Request { bounded, .. } = &mut phase
            && !*bounded
            && bounded_from_above(self.file, node, stack)
        {
            *bounded = true;
        }
        if let Phase::Request { sent: true, .. } = phase {
            // A request on its way: how its response is used does not matter.
            return self.count_request(phase);
        }
        match climb.end {
            End::Bound {
                name,
                at,
                reassigned,
            } => {
                if reassigned && via == Some(name.as_str()) {
                    // `b = b.timeout(..)`: the later uses of `b` are already being followed.
                    return;
                }
                if depth >= MAX_FOLLOW || !self.followed.insert((name.clone(), at)) {
                    return;
                }
                let uses = self.uses_of(&name, at);
                if uses.is_empty() {
                    self.count_request(phase);
                }
                for (use_expr, use_stack) in uses {
                    self.follow(use_expr, &use_stack, phase, Some(&name), depth + 1);
                }
            }
            End::Statement => self.count_request(phase),
            End::IntoTimeoutLayer => self.evidence.layered = true,
            End::FallbackOf(primary) => {
                let bounded = crate::source::rust::method_chain(primary).any(|link| {
                    matches!(link, Expr::MethodCall(call)
                        if self.library.sets_timeout(&call.method.to_string())
                            && !is_none(call.args.first()))
                });
                if bounded {
                    self.evidence.fallback_of_bounded = true;
                } else {
                    self.escaped(phase);
                }
            }
            End::Escaped => self.escaped(phase),
        }
    }

    fn escaped(&mut self, phase: Phase) {
        match phase {
            Phase::Builder => self.evidence.builder_escaped = true,
            Phase::Client => self.evidence.client_escaped = true,
            Phase::Request { bounded: true, .. } => self.evidence.requests += 1,
            // A request builder handed to other code, which may bound it.
            Phase::Request { bounded: false, .. } => self.evidence.request_escaped = true,
        }
    }

    fn count_request(&mut self, phase: Phase) {
        if let Phase::Request { bounded, .. } = phase {
            self.evidence.requests += 1;
            if !bounded {
                self.evidence.unbounded_requests += 1;
            }
        }
    }

    /// Walks what is done to the value, in order.
    fn apply(&mut self, steps: &[Step<'_>], mut phase: Phase) -> Phase {
        for step in steps {
            let call = match step {
                Step::Await => {
                    if let Phase::Request { sent, .. } = &mut phase {
                        *sent = true;
                    }
                    continue;
                }
                Step::Method(call) => call,
            };
            let method = call.method.to_string();
            let none = is_none(call.args.first());
            phase = match phase {
                Phase::Builder if self.library.sets_timeout(&method) => {
                    if !none {
                        self.evidence.builder_timeout = true;
                    } else if method == "timeout" {
                        self.evidence.disabled = true;
                    }
                    Phase::Builder
                }
                Phase::Builder if self.library.finishes(&method) => {
                    if method.starts_with("connect_with_connector") {
                        self.evidence.own_transport = true;
                    }
                    Phase::Client
                }
                Phase::Builder => Phase::Builder,
                Phase::Client if method == "clone" => {
                    self.evidence.client_escaped = true;
                    return Phase::Client;
                }
                Phase::Client if self.library.starts_request(&method) => Phase::Request {
                    bounded: is_health_probe(self.file, call.args.first()),
                    sent: false,
                },
                Phase::Client => Phase::Client,
                Phase::Request { sent, .. } if self.library.bounds_request(&method) && !none => {
                    Phase::Request {
                        bounded: true,
                        sent,
                    }
                }
                Phase::Request { bounded, sent } => Phase::Request {
                    bounded,
                    sent: sent || method.starts_with("send") || method == "call",
                },
            };
        }
        phase
    }

    /// The uses of a name bound at `at`, up to the next `let` of the same name.
    fn uses_of(&self, name: &str, at: usize) -> Vec<(&'a Expr, Vec<Up<'a>>)> {
        let mut finder = Uses {
            file: self.file,
            name,
            after: at,
            stack: Vec::new(),
            uses: Vec::new(),
            shadowed_from: None,
        };
        match self.body {
            Body::Block(block) => finder.visit_block(block),
            Body::Expr(expr) => finder.visit_expr(expr),
        }
        let shadowed_from = finder.shadowed_from;
        finder
            .uses
            .into_iter()
            .filter(|(expr, _)| {
                let start = self.file.span(*expr).start;
                start > at && shadowed_from.is_none_or(|from| start < from)
            })
            .collect()
    }

    /// hyper's connector: `http.set_connect_timeout(Some(..))` anywhere in the function.
    fn sets_connect_timeout(&self) -> bool {
        struct Find(bool);
        impl<'ast> Visit<'ast> for Find {
            fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
                if call.method == "set_connect_timeout" && !is_none(call.args.first()) {
                    self.0 = true;
                }
                syn::visit::visit_expr_method_call(self, call);
            }
        }
        let mut find = Find(false);
        match self.body {
            Body::Block(block) => find.visit_block(block),
            Body::Expr(expr) => find.visit_expr(expr),
        }
        find.0
    }

    fn verdict(&self) -> Timeout {
        let e = &self.evidence;
        if self.library == ClientLibrary::ReqwestBlocking {
            return if e.disabled && !e.builder_timeout {
                Timeout::Disabled
            } else {
                Timeout::Set
            };
        }
        if e.builder_timeout || e.layered || e.fallback_of_bounded {
            return Timeout::Set;
        }
        if e.builder_escaped || e.request_escaped || e.own_transport {
            return Timeout::Unknown;
        }
        if e.client_escaped {
            return if self.library == ClientLibrary::Hyper {
                Timeout::Unknown
            } else {
                Timeout::Missing
            };
        }
        if e.requests > 0 && e.unbounded_requests == 0 {
            return Timeout::PerRequest;
        }
        if e.requests == 0 && self.library == ClientLibrary::Hyper {
            return Timeout::Unknown;
        }
        Timeout::Missing
    }
}

/// Path segments of health endpoints.
const HEALTH_SEGMENTS: &[&str] = &[
    "health",
    "healthz",
    "healthcheck",
    "health-check",
    "health_check",
    "ready",
    "readyz",
    "readiness",
    "live",
    "livez",
    "liveness",
    "ping",
];

/// A request to a health endpoint (`format!("http://{host}:{port}/health")`): a probe, such as
/// a `healthcheck` subcommand run by the container runtime, which bounds it with its own timeout.
fn is_health_probe(file: &RustFile<'_>, url: Option<&Expr>) -> bool {
    let Some(text) = url.and_then(|url| url_text(file, url)) else {
        return false;
    };
    let path = text.split(['?', '#']).next().unwrap_or_default();
    path.split('/').skip(1).any(|segment| {
        let segment = segment.trim_end_matches(".json");
        HEALTH_SEGMENTS.contains(&segment)
    })
}

/// The text of a URL argument: a literal, or the template of `format!`.
fn url_text(file: &RustFile<'_>, expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(_) | Expr::Group(_) | Expr::Paren(_) => crate::source::rust::string_literal(expr),
        Expr::Reference(reference) => url_text(file, &reference.expr),
        Expr::MethodCall(call) => url_text(file, &call.receiver),
        Expr::Macro(mac) if mac.mac.path.is_ident("format") => file
            .macro_args(&mac.mac)
            .and_then(|args| args.exprs.first())
            .and_then(crate::source::rust::string_literal),
        _ => None,
    }
}

/// A literal `None` argument.
fn is_none(arg: Option<&Expr>) -> bool {
    matches!(arg, Some(Expr::Path(path)) if path.path.is_ident("None"))
}

/// Collects the uses of one name in a body, with the nodes above each.
struct Uses<'a, 's, 'n> {
    file: &'a RustFile<'s>,
    name: &'n str,
    after: usize,
    stack: Vec<Up<'a>>,
    uses: Vec<(&'a Expr, Vec<Up<'a>>)>,
    /// Where a later `let` of the same name starts to hide this one (after its initializer).
    shadowed_from: Option<usize>,
}

impl<'a> Visit<'a> for Uses<'a, '_, '_> {
    fn visit_item(&mut self, _: &'a Item) {}

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.stack.push(Up::Stmt(stmt));
        syn::visit::visit_stmt(self, stmt);
        self.stack.pop();
    }

    fn visit_local(&mut self, local: &'a Local) {
        let start = self.file.span(local).start;
        if start > self.after
            && self.shadowed_from.is_none()
            && binding_name(&local.pat).as_deref() == Some(self.name)
        {
            let init_end = local
                .init
                .as_ref()
                .map_or(start, |init| self.file.span(&*init.expr).end);
            self.shadowed_from = Some(init_end);
        }
        self.stack.push(Up::Local(local));
        syn::visit::visit_local(self, local);
        self.stack.pop();
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Path(path) = expr
            && path.qself.is_none()
            && path.path.is_ident(self.name)
        {
            self.uses.push((expr, self.stack.clone()));
        }
        self.stack.push(Up::Expr(expr));
        syn::visit::visit_expr(self, expr);
        self.stack.pop();
    }

    fn visit_macro(&mut self, mac: &'a syn::Macro) {
        if let Some(args) = self.file.macro_args(mac) {
            self.stack.push(Up::Macro);
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
            self.stack.pop();
        }
    }

    fn visit_attribute(&mut self, _: &'a syn::Attribute) {}
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::source::SourceFile;
    use crate::source::rust::CodeRole;

    /// The verdict of every constructor in `body`, wrapped in a function.
    fn verdicts(prelude: &str, body: &str) -> Vec<(String, Timeout)> {
        let text = format!("{prelude}\nfn f() {{\n{body}\n}}\n");
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/ws/src/main.rs"),
            crate::source::FileKind::Rust,
            text,
        );
        let file = RustFile::parse(&source, CodeRole::Production)
            .ok()
            .expect("parses");
        outbound_clients(&file)
            .into_iter()
            .map(|client| (client.constructor, client.timeout))
            .collect()
    }

    fn verdict(body: &str) -> Timeout {
        let found = verdicts("use std::time::Duration;", body);
        assert!(
            !found.is_empty() && found.iter().all(|(_, timeout)| *timeout == found[0].1),
            "{body}: {found:?}"
        );
        found[0].1
    }

    #[test]
    fn builder_chains_and_variables() {
        use Timeout::*;
        for (body, expected) in [
            ("let c = reqwest::Client::new(); keep(c);", Missing),
            (
                "let c = reqwest::Client::builder().timeout(Duration::from_secs(1)).build()?; keep(c);",
                Set,
            ),
            (
                "let c = reqwest::Client::builder().pool_idle_timeout(None).build()?; keep(c);",
                Missing,
            ),
            (
                "let mut b = reqwest::Client::builder(); if slow { b = b.timeout(d); } keep(b.build()?);",
                Set,
            ),
            (
                "let b = reqwest::Client::builder(); let b = b.connect_timeout(d); keep(b.build()?);",
                Set,
            ),
            ("let b = reqwest::Client::builder(); configure(b);", Unknown),
            (
                "let c = reqwest::Client::builder().timeout(d).build().unwrap_or_else(|_| reqwest::Client::new()); keep(c);",
                Set,
            ),
            (
                "let c = reqwest::Client::new(); c.get(u).timeout(d).send().await?;",
                PerRequest,
            ),
            (
                "let c = reqwest::Client::new(); let r = c.get(u).send().await?; let t = r.text().await?;",
                Missing,
            ),
            (
                "let c = reqwest::Client::new(); tokio::time::timeout(d, c.get(u).send()).await??;",
                PerRequest,
            ),
            ("let c = reqwest::Client::new(); spawn(c.clone());", Missing),
            ("let r = reqwest::get(u).await?;", Missing),
            (
                "reqwest::get(format!(\"http://{host}:{port}/health\")).await?;",
                PerRequest,
            ),
            (
                "let c = reqwest::Client::new(); c.head(format!(\"{base}/api/v1/health\")).send().await?;",
                PerRequest,
            ),
            (
                "reqwest::get(format!(\"http://{host}/healthy-orders\")).await?;",
                Missing,
            ),
            (
                "reqwest::get(format!(\"{base}/orders/ready-made\")).await?;",
                Missing,
            ),
            (
                "let r = tokio::time::timeout(d, reqwest::get(u)).await??;",
                PerRequest,
            ),
            (
                "let f = reqwest::get(u); tokio::time::timeout(d, f).await??;",
                PerRequest,
            ),
            ("let c = reqwest::blocking::Client::new(); keep(c);", Set),
            (
                "let c = reqwest::blocking::Client::builder().timeout(None).build()?; keep(c);",
                Disabled,
            ),
        ] {
            assert_eq!(verdict(body), expected, "{body}");
        }
    }

    #[test]
    fn other_libraries() {
        use Timeout::*;
        for (body, expected) in [
            ("ureq::get(u).call()?;", Missing),
            ("ureq::get(u).timeout(d).call()?;", PerRequest),
            (
                "ureq::get(u).config().timeout_global(Some(d)).build().call()?;",
                PerRequest,
            ),
            (
                "keep(ureq::Agent::config_builder().timeout_global(None).build());",
                Missing,
            ),
            (
                "keep(ureq::AgentBuilder::new().timeout_read(d).build());",
                Set,
            ),
            (
                "let c = tonic::transport::Endpoint::from_static(u).connect().await?; keep(c);",
                Missing,
            ),
            (
                "let c = tonic::transport::Endpoint::from_static(u).timeout(d).connect_lazy(); keep(c);",
                Set,
            ),
            (
                "let c = tonic::transport::Endpoint::from_static(u).connect_with_connector(x).await?; keep(c);",
                Unknown,
            ),
            (
                "let c = hyper_util::client::legacy::Client::builder(e).build_http(); keep(c);",
                Unknown,
            ),
            (
                "let c = hyper_util::client::legacy::Client::builder(e).build_http(); c.request(r).await?;",
                Missing,
            ),
            (
                "let c = hyper_util::client::legacy::Client::builder(e).build_http(); tokio::time::timeout(d, c.request(r)).await??;",
                PerRequest,
            ),
            (
                "let c = pb::greeter_client::GreeterClient::connect(u).await?; c.say_hello(r).await?;",
                Missing,
            ),
        ] {
            assert_eq!(verdict(body), expected, "{body}");
        }
    }

    #[test]
    fn imports_and_local_types() {
        let found = verdicts(
            "use reqwest::Client; mod other { pub struct Client; }",
            "keep(Client::new()); keep(other::Client::new());",
        );
        assert_eq!(found, [("Client::new()".to_string(), Timeout::Missing)]);
        let found = verdicts("struct Client;", "keep(Client::new());");
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn generated_clients_are_recognised_by_their_module() {
        assert!(is_generated_connect(
            "crate::pb::greeter_client::GreeterClient::connect"
        ));
        assert!(is_generated_connect(
            "route_guide_client::RouteGuideClient::connect"
        ));
        assert!(!is_generated_connect("db::Client::connect"));
        assert!(!is_generated_connect("redis_client::RedisPool::connect"));
        assert!(!is_generated_connect("GreeterClient::connect"));
    }
}
