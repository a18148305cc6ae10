//! Listen addresses: where a file binds a port or starts a server on an address, with the host
//! and port each resolved to a literal, the environment variable it is read from (with its
//! default), a configuration field, or unknown.
//!
//! Knows std/tokio/async-std/smol/poem/salvo `TcpListener`s, hyper/axum 0.6 `Server::bind`,
//! `axum_server::bind`, actix-web `HttpServer::…bind(…)`, actix-server `Server::build().bind(name,
//! addr, …)`, warp `serve(…).run(…)`/`bind(…)`, tonic
//! `Server::builder()…serve(addr)`, tiny_http, and rocket (`ROCKET_ADDRESS`/`ROCKET_PORT`,
//! 127.0.0.1:8000 unless `Rocket.toml` says otherwise). Addresses are followed through
//! `SocketAddr::from/new`, `"…".parse()`, `format!`, tuples, `let` bindings of the same function
//! and constants of the same file.

use std::net::SocketAddr;

use syn::visit::Visit;
use syn::{Expr, Lit};

use crate::diagnostic::Span;
use crate::facts::bindings::{Bindings, ident_of};
use crate::facts::env::EnvFacts;
use crate::source::rust::{RustFile, is_test_code, item_attrs, method_chain, string_literal};

/// Crates whose `TcpListener::bind` (or salvo's `TcpListener::new`) opens a listening socket.
const LISTENER_CRATES: &[(&str, &str)] = &[
    ("std", "std"),
    ("tokio", "tokio"),
    ("async_std", "async-std"),
    ("smol", "smol"),
    ("async_net", "async-net"),
    ("poem", "poem"),
    ("salvo", "salvo"),
];

/// Functions that bind an address given as their first argument.
const BINDING_FUNCTIONS: &[(&str, &str)] = &[
    ("hyper::Server::bind", "hyper"),
    ("hyper::Server::try_bind", "hyper"),
    ("hyper::server::Server::bind", "hyper"),
    ("hyper::server::Server::try_bind", "hyper"),
    ("axum::Server::bind", "axum"),
    ("axum::Server::try_bind", "axum"),
    ("axum_server::bind", "axum-server"),
    ("axum_server::bind_rustls", "axum-server"),
    ("axum_server::bind_openssl", "axum-server"),
    ("tiny_http::Server::http", "tiny_http"),
    ("tiny_http::Server::https", "tiny_http"),
];

/// Server builders, by the call a method chain starts with, their methods that take an
/// address, and which argument it is.
const SERVER_BUILDERS: &[(&str, &str, &[&str], usize)] = &[
    (
        "actix_web::HttpServer::new",
        "actix-web",
        &[
            "bind",
            "bind_auto_h2c",
            "bind_openssl",
            "bind_rustls",
            "bind_rustls_021",
            "bind_rustls_0_22",
            "bind_rustls_0_23",
        ],
        0,
    ),
    // `Server::build().bind("http", addr, factory)`
    ("actix_server::Server::build", "actix-server", &["bind"], 1),
    (
        "warp::serve",
        "warp",
        &[
            "run",
            "bind",
            "try_bind",
            "bind_with_graceful_shutdown",
            "try_bind_with_graceful_shutdown",
            "bind_ephemeral",
            "try_bind_ephemeral",
        ],
        0,
    ),
    (
        "tonic::transport::Server::builder",
        "tonic",
        &["serve", "serve_with_shutdown"],
        0,
    ),
];

/// Where a part of an address comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written in the code.
    Literal,
    /// Read from the environment; `value` is then the default, if the code gives one.
    Env {
        var: Option<String>,
    },
    /// A field of a configuration value, `config.port`; its source is in another expression.
    Config {
        field: String,
    },
    Unknown,
}

/// The host or the port of a listen address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part<T> {
    pub origin: Origin,
    /// The literal value, or the default of an environment read.
    pub value: Option<T>,
    /// Where that value is written (a literal may sit in a `let` or `const` away from the call).
    pub value_span: Option<Span>,
}

impl<T> Part<T> {
    fn unknown() -> Self {
        Part {
            origin: Origin::Unknown,
            value: None,
            value_span: None,
        }
    }

    fn literal(value: T, span: Span) -> Self {
        Part {
            origin: Origin::Literal,
            value: Some(value),
            value_span: Some(span),
        }
    }

    fn with_origin(origin: Origin) -> Self {
        Part {
            origin,
            value: None,
            value_span: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenAddress {
    pub framework: &'static str,
    /// The call that binds or serves.
    pub span: Span,
    pub host: Part<String>,
    pub port: Part<u16>,
    /// The whole address when it is one literal (`"0.0.0.0:8080"`), as written.
    pub literal: Option<String>,
}

pub fn listen_addresses(file: &RustFile<'_>, env: &EnvFacts) -> Vec<ListenAddress> {
    let bindings = Bindings::collect(file);
    let mut finder = Finder {
        resolver: Resolver {
            file,
            env,
            bindings: &bindings,
        },
        found: Vec::new(),
    };
    finder.visit_file(&file.syntax);
    finder.found
}

/// A struct field given a listen port or host where the struct is built, so a listen call
/// that reads `config.port` can be followed to it: `Config { port: env::var("PORT")…
/// .unwrap_or(8080), .. }`, `Settings { host: "0.0.0.0".into(), .. }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSetting {
    pub field: String,
    pub host: Part<String>,
    pub port: Part<u16>,
}

/// The fields of struct literals (outside test code) named like a port (`port`, `http_port`)
/// or an address (`host`, `addr`, `bind`, `listen`…) whose value is a literal or an
/// environment read.
pub fn field_settings(file: &RustFile<'_>, env: &EnvFacts) -> Vec<FieldSetting> {
    let bindings = Bindings::collect(file);
    let mut finder = FieldFinder {
        resolver: Resolver {
            file,
            env,
            bindings: &bindings,
        },
        found: Vec::new(),
    };
    finder.visit_file(&file.syntax);
    finder.found
}

struct FieldFinder<'a, 'f, 's> {
    resolver: Resolver<'a, 'f, 's>,
    found: Vec<FieldSetting>,
}

impl<'ast> Visit<'ast> for FieldFinder<'_, '_, '_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !item_attrs(item).is_some_and(is_test_code) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test_code(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_field_value(&mut self, field: &'ast syn::FieldValue) {
        if let syn::Member::Named(name) = &field.member {
            let name = name.to_string();
            let lower = name.to_ascii_lowercase();
            let known = |origin: &Origin| matches!(origin, Origin::Literal | Origin::Env { .. });
            let setting = if lower.contains("port") {
                Some(FieldSetting {
                    field: name.clone(),
                    host: Part::unknown(),
                    port: self.resolver.port(&field.expr, &field.expr, 0),
                })
            } else if lower == "host" || lower == "ip" || lower.ends_with("_host") {
                Some(FieldSetting {
                    field: name.clone(),
                    host: self.resolver.host(&field.expr, &field.expr, 0),
                    port: Part::unknown(),
                })
            } else if ["addr", "address", "bind", "listen"]
                .iter()
                .any(|word| lower.contains(word))
            {
                let address = self.resolver.address(&field.expr, &field.expr, 0);
                Some(FieldSetting {
                    field: name.clone(),
                    host: address.host,
                    port: address.port,
                })
            } else {
                None
            };
            if let Some(setting) =
                setting.filter(|s| known(&s.port.origin) || known(&s.host.origin))
            {
                self.found.push(setting);
            }
        }
        syn::visit::visit_field_value(self, field);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(args) = self.resolver.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }

    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
}

struct Finder<'a, 'f, 's> {
    resolver: Resolver<'a, 'f, 's>,
    found: Vec<ListenAddress>,
}

impl<'ast> Visit<'ast> for Finder<'_, '_, '_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !item_attrs(item).is_some_and(is_test_code) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test_code(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        if let Some(found) = self.resolver.listen(expr) {
            self.found.push(found);
        }
        syn::visit::visit_expr(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(args) = self.resolver.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }

    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
}

/// How deep the resolver follows names before giving up.
const MAX_DEPTH: usize = 4;

/// How many links of a method chain are walked to find the call it starts with.
const MAX_CHAIN: usize = 64;

struct Resolver<'a, 'f, 's> {
    file: &'f RustFile<'s>,
    env: &'f EnvFacts,
    bindings: &'a Bindings<'f>,
}

/// An address split into its parts.
struct Address {
    host: Part<String>,
    port: Part<u16>,
    literal: Option<String>,
}

impl Address {
    fn unknown() -> Address {
        Address {
            host: Part::unknown(),
            port: Part::unknown(),
            literal: None,
        }
    }

    fn both(origin: Origin) -> Address {
        Address {
            host: Part::with_origin(origin.clone()),
            port: Part::with_origin(origin),
            literal: None,
        }
    }
}

impl Resolver<'_, '_, '_> {
    /// A listen address, if `expr` binds or serves one.
    fn listen(&self, expr: &Expr) -> Option<ListenAddress> {
        let (framework, address) = match expr {
            Expr::Call(call) => {
                let path = self.file.called_path_where(expr, |p| {
                    listener_crate(p).is_some()
                        || BINDING_FUNCTIONS.iter().any(|(f, _)| *f == p)
                        || is_rocket_start(p)
                })?;
                if is_rocket_start(&path) {
                    return Some(self.rocket(expr, call));
                }
                let framework = listener_crate(&path).or_else(|| {
                    BINDING_FUNCTIONS
                        .iter()
                        .find(|(f, _)| *f == path)
                        .map(|(_, framework)| *framework)
                })?;
                (framework, self.address(call.args.first()?, expr, 0))
            }
            Expr::MethodCall(call) => {
                let method = call.method.to_string();
                let (_, framework, _, argument) = SERVER_BUILDERS
                    .iter()
                    .filter(|(_, _, methods, _)| methods.contains(&method.as_str()))
                    .find(|(root, ..)| self.chain_starts_with(&call.receiver, root, 0))?;
                (
                    *framework,
                    self.address(call.args.iter().nth(*argument)?, expr, 0),
                )
            }
            _ => return None,
        };
        Some(ListenAddress {
            framework,
            span: self.file.span(expr),
            host: address.host,
            port: address.port,
            literal: address.literal,
        })
    }

    /// Whether the method chain of `expr` starts with a call to `root` (following a `let`).
    fn chain_starts_with(&self, expr: &Expr, root: &str, depth: usize) -> bool {
        // Server builder chains are short; a long chain (thousands of `.bind(…)` on a query)
        // is not one, and walking it from every link would be quadratic.
        let Some(innermost) = method_chain(expr).take(MAX_CHAIN).last() else {
            return false;
        };
        if matches!(innermost, Expr::MethodCall(_)) {
            return false;
        }
        if self
            .file
            .called_path_where(innermost, |p| p == root)
            .is_some()
        {
            return true;
        }
        depth < MAX_DEPTH
            && ident_of(innermost)
                .and_then(|name| self.local(&name, innermost))
                .is_some_and(|init| self.chain_starts_with(init, root, depth + 1))
    }

    fn local(&self, name: &str, at: &Expr) -> Option<&Expr> {
        let span = self.file.span(at);
        let function = self.bindings.function_around(self.file, span);
        self.bindings
            .local(name, span, function)
            .or_else(|| self.bindings.constant(name))
    }

    /// The environment variable read inside `expr`, if it contains a read.
    fn env_read_in(&self, expr: &Expr) -> Option<Option<String>> {
        let span = self.file.span(expr);
        self.env
            .reads
            .iter()
            .find(|read| span.start <= read.span.start && read.span.end <= span.end)
            .map(|read| read.name.clone())
    }

    /// The literal a defaulting method in the chain of `expr` supplies:
    /// `.unwrap_or(8080)`, `.unwrap_or_else(|_| "0.0.0.0:8080".into())`.
    fn default_of<'e>(&self, expr: &'e Expr) -> Option<&'e Expr> {
        method_chain(expr).find_map(|link| match link {
            Expr::MethodCall(call)
                if matches!(
                    call.method.to_string().as_str(),
                    "unwrap_or" | "unwrap_or_else" | "or" | "or_else"
                ) =>
            {
                let mut arg = call.args.first()?;
                if let Expr::Closure(closure) = arg {
                    arg = &closure.body;
                }
                Some(strip(arg))
            }
            _ => None,
        })
    }

    fn address(&self, expr: &Expr, at: &Expr, depth: usize) -> Address {
        let expr = strip(expr);
        let structural = matches!(
            expr,
            Expr::Lit(_) | Expr::Tuple(_) | Expr::Macro(_) | Expr::Path(_) | Expr::Field(_)
        ) || matches!(expr, Expr::Call(call) if last_segments(&call.func, 2)
            .is_some_and(|name| name.starts_with("SocketAddr")));
        if let Some(var) = self.env_read_in(expr).filter(|_| !structural) {
            let mut address = Address::both(Origin::Env { var: var.clone() });
            if let Some(default) = self.default_of(expr) {
                let fallback = self.address(default, at, depth);
                address.host.value = fallback.host.value;
                address.host.value_span = fallback.host.value_span;
                address.port.value = fallback.port.value;
                address.port.value_span = fallback.port.value_span;
            }
            return address;
        }
        if depth > MAX_DEPTH {
            return Address::unknown();
        }
        match expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(lit), ..
            }) => split_literal(&lit.value(), self.file.span(expr)),
            Expr::Tuple(tuple) if tuple.elems.len() == 2 => Address {
                host: self.host(&tuple.elems[0], at, depth + 1),
                port: self.port(&tuple.elems[1], at, depth + 1),
                literal: None,
            },
            Expr::Call(call) => {
                let Some(name) = last_segments(&call.func, 2) else {
                    return Address::unknown();
                };
                match (name.as_str(), call.args.len()) {
                    ("SocketAddr::from" | "SocketAddrV4::from" | "SocketAddrV6::from", 1)
                    | ("SocketAddr::from_str" | "SocketAddrV4::from_str", 1) => {
                        self.address(&call.args[0], at, depth + 1)
                    }
                    ("SocketAddr::new" | "SocketAddrV4::new", 2)
                    | ("SocketAddrV6::new", 4)
                    | ("SocketAddr::V4" | "SocketAddr::V6", 1) => {
                        if call.args.len() == 1 {
                            return self.address(&call.args[0], at, depth + 1);
                        }
                        Address {
                            host: self.host(&call.args[0], at, depth + 1),
                            port: self.port(&call.args[1], at, depth + 1),
                            literal: None,
                        }
                    }
                    _ => self.read_in_function(&call.func),
                }
            }
            Expr::Macro(mac)
                if mac
                    .mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "format") =>
            {
                self.format(&mac.mac, at, depth)
            }
            Expr::Path(_) => match ident_of(expr) {
                Some(name) => match self.local(&name, at) {
                    Some(init) => self.address(init, at, depth + 1),
                    None => Address::unknown(),
                },
                None => Address::unknown(),
            },
            Expr::Field(field) => Address::both(Origin::Config {
                field: member_name(&field.member),
            }),
            _ => Address::unknown(),
        }
    }

    /// A call of a function of this file whose body reads the environment.
    fn read_in_function(&self, func: &Expr) -> Address {
        let Expr::Path(path) = func else {
            return Address::unknown();
        };
        let Some(name) = path.path.segments.last().map(|s| s.ident.to_string()) else {
            return Address::unknown();
        };
        for block in self.bindings.functions(&name) {
            let span = self.file.span(*block);
            if let Some(read) = self
                .env
                .reads
                .iter()
                .find(|read| span.start <= read.span.start && read.span.end <= span.end)
            {
                return Address::both(Origin::Env {
                    var: read.name.clone(),
                });
            }
        }
        Address::unknown()
    }

    fn format(&self, mac: &syn::Macro, at: &Expr, depth: usize) -> Address {
        let Some(args) = self.file.macro_args(mac).filter(|a| a.parsed) else {
            return Address::unknown();
        };
        let Some((template, rest)) = args.exprs.split_first() else {
            return Address::unknown();
        };
        let Some(text) = string_literal(template) else {
            return Address::unknown();
        };
        let template_span = self.file.span(template);
        let Some(pieces) = parse_template(&text) else {
            return Address::unknown();
        };
        let positional: Vec<&Expr> = rest
            .iter()
            .filter(|e| !matches!(e, Expr::Assign(_)))
            .collect();
        let argument = |reference: &ArgRef| -> Option<ArgValue<'_>> {
            match reference {
                ArgRef::Index(index) => positional.get(*index).map(|e| ArgValue::Expr(e)),
                ArgRef::Named(name) => rest
                    .iter()
                    .find_map(|e| match e {
                        Expr::Assign(assign) if ident_of(&assign.left).as_deref() == Some(name) => {
                            Some(ArgValue::Expr(&assign.right))
                        }
                        _ => None,
                    })
                    .or(Some(ArgValue::Name(name.clone()))),
            }
        };
        // The port is what follows the last `:` of the text.
        let Some(colon) = pieces
            .iter()
            .rposition(|p| matches!(p, Piece::Text(t) if t.contains(':')))
        else {
            return Address::unknown();
        };
        let Piece::Text(text_with_colon) = &pieces[colon] else {
            unreachable!()
        };
        let (before, after) = text_with_colon.rsplit_once(':').expect("has a colon");
        let port = match (&pieces[colon + 1..], after) {
            ([], digits) => match digits.parse::<u16>() {
                Ok(port) => Part::literal(port, template_span),
                Err(_) => Part::unknown(),
            },
            ([Piece::Arg(reference)], "") => match argument(reference) {
                Some(ArgValue::Expr(e)) => self.port(e, at, depth + 1),
                Some(ArgValue::Name(name)) => self.port_of_name(&name, at, depth + 1),
                None => Part::unknown(),
            },
            _ => Part::unknown(),
        };
        let mut host_pieces: Vec<&Piece> = pieces[..colon].iter().collect();
        let before_piece = Piece::Text(before.to_string());
        if !before.is_empty() {
            host_pieces.push(&before_piece);
        }
        let host = match host_pieces.as_slice() {
            [Piece::Text(host)] => Part::literal(host.clone(), template_span),
            [Piece::Arg(reference)] => match argument(reference) {
                Some(ArgValue::Expr(e)) => self.host(e, at, depth + 1),
                Some(ArgValue::Name(name)) => match self.local(&name, at) {
                    Some(init) => self.host(init, at, depth + 1),
                    None => Part::unknown(),
                },
                None => Part::unknown(),
            },
            _ => Part::unknown(),
        };
        let literal = match (&host.origin, &port.origin) {
            (Origin::Literal, Origin::Literal) => Some(format!(
                "{}:{}",
                host.value.clone().unwrap_or_default(),
                port.value.unwrap_or_default()
            )),
            _ => None,
        };
        Address {
            host,
            port,
            literal,
        }
    }

    fn port_of_name(&self, name: &str, at: &Expr, depth: usize) -> Part<u16> {
        match self.local(name, at) {
            Some(init) => self.port(init, at, depth),
            None => Part::unknown(),
        }
    }

    fn port(&self, expr: &Expr, at: &Expr, depth: usize) -> Part<u16> {
        let expr = strip(expr);
        if let Some(var) = self.env_read_in(expr) {
            let mut part = Part::with_origin(Origin::Env { var });
            if let Some(default) = self.default_of(expr) {
                let fallback = self.port(default, at, depth);
                if fallback.origin == Origin::Literal {
                    part.value = fallback.value;
                    part.value_span = fallback.value_span;
                }
            }
            return part;
        }
        if depth > MAX_DEPTH {
            return Part::unknown();
        }
        match expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(int), ..
            }) => match int.base10_parse::<u16>() {
                Ok(port) => Part::literal(port, self.file.span(expr)),
                Err(_) => Part::unknown(),
            },
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(text),
                ..
            }) => match text.value().parse::<u16>() {
                Ok(port) => Part::literal(port, self.file.span(expr)),
                Err(_) => Part::unknown(),
            },
            Expr::Path(_) => match ident_of(expr) {
                Some(name) => self.port_of_name(&name, at, depth + 1),
                None => Part::unknown(),
            },
            Expr::Field(field) => Part::with_origin(Origin::Config {
                field: member_name(&field.member),
            }),
            Expr::Call(call) => {
                let address = self.read_in_function(&call.func);
                address.port
            }
            _ => Part::unknown(),
        }
    }

    fn host(&self, expr: &Expr, at: &Expr, depth: usize) -> Part<String> {
        let expr = strip(expr);
        if let Some(var) = self.env_read_in(expr) {
            let mut part = Part::with_origin(Origin::Env { var });
            if let Some(default) = self.default_of(expr) {
                let fallback = self.host(default, at, depth);
                if fallback.origin == Origin::Literal {
                    part.value = fallback.value;
                    part.value_span = fallback.value_span;
                }
            }
            return part;
        }
        if depth > MAX_DEPTH {
            return Part::unknown();
        }
        let span = self.file.span(expr);
        match expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(text),
                ..
            }) => Part::literal(text.value(), span),
            Expr::Array(array) => {
                let octets: Option<Vec<u8>> = array
                    .elems
                    .iter()
                    .map(|e| match e {
                        Expr::Lit(syn::ExprLit {
                            lit: Lit::Int(int), ..
                        }) => int.base10_parse::<u8>().ok(),
                        _ => None,
                    })
                    .collect();
                match octets.as_deref() {
                    Some([a, b, c, d]) => Part::literal(format!("{a}.{b}.{c}.{d}"), span),
                    _ => Part::unknown(),
                }
            }
            Expr::Path(path) => {
                let name = last_segments(expr, 2).unwrap_or_default();
                match name.as_str() {
                    "Ipv4Addr::UNSPECIFIED" => Part::literal("0.0.0.0".into(), span),
                    "Ipv4Addr::LOCALHOST" => Part::literal("127.0.0.1".into(), span),
                    "Ipv6Addr::UNSPECIFIED" => Part::literal("::".into(), span),
                    "Ipv6Addr::LOCALHOST" => Part::literal("::1".into(), span),
                    _ if path.path.segments.len() == 1 => {
                        match self.local(&path.path.segments[0].ident.to_string(), at) {
                            Some(init) => self.host(init, at, depth + 1),
                            None => Part::unknown(),
                        }
                    }
                    _ => Part::unknown(),
                }
            }
            Expr::Call(call) => {
                let name = last_segments(&call.func, 2).unwrap_or_default();
                match (name.as_str(), call.args.len()) {
                    ("Ipv4Addr::new", 4) => {
                        let octets: Option<Vec<u8>> = call
                            .args
                            .iter()
                            .map(|e| match e {
                                Expr::Lit(syn::ExprLit {
                                    lit: Lit::Int(int), ..
                                }) => int.base10_parse::<u8>().ok(),
                                _ => None,
                            })
                            .collect();
                        match octets.as_deref() {
                            Some([a, b, c, d]) => Part::literal(format!("{a}.{b}.{c}.{d}"), span),
                            _ => Part::unknown(),
                        }
                    }
                    ("IpAddr::V4" | "IpAddr::V6" | "IpAddr::from" | "Ipv4Addr::from", 1) => {
                        self.host(&call.args[0], at, depth + 1)
                    }
                    _ => self.read_in_function(&call.func).host,
                }
            }
            Expr::Field(field) => Part::with_origin(Origin::Config {
                field: member_name(&field.member),
            }),
            _ => Part::unknown(),
        }
    }

    /// `rocket::build()` listens on `ROCKET_ADDRESS`/`ROCKET_PORT` (127.0.0.1:8000 by default,
    /// `Rocket.toml` may say otherwise); `rocket::custom(config)` on what the config gives.
    fn rocket(&self, expr: &Expr, call: &syn::ExprCall) -> ListenAddress {
        let mut host = Part::with_origin(Origin::Env {
            var: Some("ROCKET_ADDRESS".into()),
        });
        host.value = Some("127.0.0.1".into());
        let mut port = Part::with_origin(Origin::Env {
            var: Some("ROCKET_PORT".into()),
        });
        port.value = Some(8000);
        if let Some(mut config) = call.args.first() {
            if let Some(init) = ident_of(config).and_then(|name| self.local(&name, expr)) {
                config = init;
            }
            let mut settings = RocketSettings::default();
            settings.visit_expr(config);
            if let Some(value) = settings.port {
                port = self.port(value, expr, 1);
            }
            if let Some(value) = settings.address {
                host = self.host(value, expr, 1);
            }
        }
        ListenAddress {
            framework: "rocket",
            span: self.file.span(expr),
            host,
            port,
            literal: None,
        }
    }
}

/// `port`/`address` given in a rocket configuration: `Config { port: 8080, .. }` or
/// `.merge(("port", 8080))`.
#[derive(Default)]
struct RocketSettings<'e> {
    port: Option<&'e Expr>,
    address: Option<&'e Expr>,
}

impl<'e> Visit<'e> for RocketSettings<'e> {
    fn visit_field_value(&mut self, field: &'e syn::FieldValue) {
        if let syn::Member::Named(name) = &field.member {
            if name == "port" {
                self.port = Some(&field.expr);
            } else if name == "address" {
                self.address = Some(&field.expr);
            }
        }
        syn::visit::visit_field_value(self, field);
    }

    fn visit_expr_tuple(&mut self, tuple: &'e syn::ExprTuple) {
        if tuple.elems.len() == 2 {
            match string_literal(&tuple.elems[0]).as_deref() {
                Some("port") => self.port = Some(&tuple.elems[1]),
                Some("address") => self.address = Some(&tuple.elems[1]),
                _ => {}
            }
        }
        syn::visit::visit_expr_tuple(self, tuple);
    }
}

/// What a `Rocket.toml` sets for a rocket server: its `address` and `port`, from the `[release]`
/// profile (how a deployed build runs) over `[default]` and `[global]`. Looks in the package's
/// directory, then the workspace root, as rocket does from the working directory. `ROCKET_PORT`
/// and `ROCKET_ADDRESS` still win over the file at run time.
pub fn rocket_toml(root: &std::path::Path, package_dir: &std::path::Path) -> Option<RocketToml> {
    let text = [root.join(package_dir), root.to_path_buf()]
        .iter()
        .find_map(|dir| std::fs::read_to_string(dir.join("Rocket.toml")).ok())?;
    let table: toml::Table = text.parse().ok()?;
    let mut found = RocketToml::default();
    for profile in ["default", "release", "global"] {
        let Some(settings) = table.get(profile).and_then(|p| p.as_table()) else {
            continue;
        };
        if let Some(port) = settings.get("port").and_then(|p| p.as_integer()) {
            found.port = u16::try_from(port).ok();
        }
        if let Some(address) = settings.get("address").and_then(|a| a.as_str()) {
            found.address = Some(address.to_string());
        }
    }
    Some(found)
}

/// The listen settings of a `Rocket.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RocketToml {
    pub address: Option<String>,
    pub port: Option<u16>,
}

fn is_rocket_start(path: &str) -> bool {
    matches!(path, "rocket::build" | "rocket::custom")
}

/// `tokio::net::TcpListener::bind` → `tokio`; salvo's `TcpListener::new` too.
fn listener_crate(path: &str) -> Option<&'static str> {
    let (krate, rest) = path.split_once("::")?;
    let (_, framework) = LISTENER_CRATES.iter().find(|(c, _)| *c == krate)?;
    let tail = rest.rsplit("::").take(2).collect::<Vec<_>>();
    match tail.as_slice() {
        ["bind", "TcpListener"] => Some(framework),
        ["new", "TcpListener"] if krate == "salvo" => Some(framework),
        _ => None,
    }
}

/// Looks through what does not change the value: references, `?`, `.await`, `.unwrap()`,
/// `.parse()`, conversions.
fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(paren) => strip(&paren.expr),
        Expr::Group(group) => strip(&group.expr),
        Expr::Reference(reference) => strip(&reference.expr),
        Expr::Try(try_expr) => strip(&try_expr.expr),
        Expr::Await(await_expr) => strip(&await_expr.base),
        Expr::Cast(cast) => strip(&cast.expr),
        Expr::MethodCall(call)
            if matches!(
                call.method.to_string().as_str(),
                "unwrap"
                    | "expect"
                    | "parse"
                    | "into"
                    | "to_string"
                    | "to_owned"
                    | "as_str"
                    | "clone"
                    | "context"
                    | "with_context"
                    | "wrap_err"
                    | "map_err"
            ) =>
        {
            strip(&call.receiver)
        }
        _ => expr,
    }
}

fn member_name(member: &syn::Member) -> String {
    match member {
        syn::Member::Named(name) => name.to_string(),
        syn::Member::Unnamed(index) => index.index.to_string(),
    }
}

/// The last `n` segments of a path expression, joined: `SocketAddr::from`.
fn last_segments(expr: &Expr, n: usize) -> Option<String> {
    let Expr::Path(path) = expr else {
        return None;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let start = segments.len().saturating_sub(n);
    Some(segments[start..].join("::"))
}

/// `"0.0.0.0:8080"`, `"[::]:8080"`, `"localhost:8080"`.
fn split_literal(text: &str, span: Span) -> Address {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Address {
            host: Part::literal(address.ip().to_string(), span),
            port: Part::literal(address.port(), span),
            literal: Some(text.to_string()),
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.contains(':') => match port.parse() {
            Ok(port) => Address {
                host: Part::literal(host.to_string(), span),
                port: Part::literal(port, span),
                literal: Some(text.to_string()),
            },
            Err(_) => Address::unknown(),
        },
        _ => Address::unknown(),
    }
}

#[derive(Debug, PartialEq)]
enum ArgRef {
    Index(usize),
    Named(String),
}

enum ArgValue<'e> {
    Expr(&'e Expr),
    /// A name captured from the scope: `format!("{port}")`.
    Name(String),
}

#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Arg(ArgRef),
}

/// The pieces of a `format!` template; `None` when it is not understood.
fn parse_template(template: &str) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut next_index = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        c => inner.push(c),
                    }
                }
                let name = inner.split(':').next().unwrap_or_default().trim();
                let reference = if name.is_empty() {
                    next_index += 1;
                    ArgRef::Index(next_index - 1)
                } else if let Ok(index) = name.parse() {
                    ArgRef::Index(index)
                } else {
                    ArgRef::Named(name.to_string())
                };
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Arg(reference));
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::source::rust::CodeRole;
    use std::path::PathBuf;
    use std::sync::Arc;

    /// (framework, host origin, host, port origin, port, text of the port's span)
    type Summary = (String, Origin, Option<String>, Origin, Option<u16>, String);

    fn listens(text: &str) -> Vec<Summary> {
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/ws/src/main.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        let env = EnvFacts::extract(&file);
        listen_addresses(&file, &env)
            .into_iter()
            .map(|l| {
                let port_text = l
                    .port
                    .value_span
                    .map(|s| text[s.start..s.end].to_string())
                    .unwrap_or_default();
                (
                    l.framework.to_string(),
                    l.host.origin,
                    l.host.value,
                    l.port.origin,
                    l.port.value,
                    port_text,
                )
            })
            .collect()
    }

    fn env(var: &str) -> Origin {
        Origin::Env {
            var: Some(var.to_string()),
        }
    }

    #[test]
    fn literal_addresses_in_every_shape() {
        let found = listens(
            r#"use tokio::net::TcpListener;
use std::net::{SocketAddr, Ipv4Addr};
async fn main() {
    let a = TcpListener::bind("0.0.0.0:8080").await?;
    let b = std::net::TcpListener::bind(("0.0.0.0", 8081))?;
    let addr = SocketAddr::from(([0, 0, 0, 0], 8082));
    let c = TcpListener::bind(addr).await?;
    let d = TcpListener::bind(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 8083)).await?;
    let e = TcpListener::bind("[::]:8084".parse::<SocketAddr>().unwrap()).await?;
}"#,
        );
        let ports: Vec<(Option<String>, Option<u16>, String)> = found
            .iter()
            .map(|f| (f.2.clone(), f.4, f.5.clone()))
            .collect();
        assert_eq!(
            ports,
            [
                (
                    Some("0.0.0.0".into()),
                    Some(8080),
                    "\"0.0.0.0:8080\"".into()
                ),
                (Some("0.0.0.0".into()), Some(8081), "8081".into()),
                (Some("0.0.0.0".into()), Some(8082), "8082".into()),
                (Some("0.0.0.0".into()), Some(8083), "8083".into()),
                (Some("::".into()), Some(8084), "\"[::]:8084\"".into()),
            ]
        );
        assert!(found.iter().all(|f| f.3 == Origin::Literal));
    }

    #[test]
    fn ports_from_the_environment_keep_their_default() {
        let found = listens(
            r#"use std::env;
async fn main() {
    let port: u16 = env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(format!("0.0.0.0:{port}")).await?;
    let addr = env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:9000".to_string());
    let other = tokio::net::TcpListener::bind(&addr).await?;
    let third = tokio::net::TcpListener::bind(("0.0.0.0", config.http.port)).await?;
}"#,
        );
        assert_eq!(found[0].1, Origin::Literal);
        assert_eq!((found[0].3.clone(), found[0].4), (env("PORT"), Some(3000)));
        assert_eq!(found[1].1, env("LISTEN_ADDR"));
        assert_eq!(
            (found[1].3.clone(), found[1].4),
            (env("LISTEN_ADDR"), Some(9000))
        );
        assert_eq!(
            found[2].3,
            Origin::Config {
                field: "port".into()
            }
        );
    }

    #[test]
    fn defaults_survive_bindings_several_levels_deep() {
        let found = listens(
            r#"use std::env;
use std::net::SocketAddr;
async fn main() {
    let port: u16 = env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let addr = SocketAddr::from(([0, 0, 0, 0], port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
}"#,
        );
        assert_eq!((found[0].3.clone(), found[0].4), (env("PORT"), Some(8080)));
    }

    #[test]
    fn struct_fields_given_ports_and_hosts() {
        let text = r#"use std::env;
impl Config {
    fn from_env() -> Config {
        let host = env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
        Config {
            host,
            http_port: env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080),
            database_url: env::var("DATABASE_URL").unwrap(),
            listen_addr: "0.0.0.0:9090".into(),
            timeout: 30,
        }
    }
}
#[cfg(test)]
mod tests { fn t() { let _ = Config { port: 1, ..todo!() }; } }"#;
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/config.rs")),
            PathBuf::from("/ws/src/config.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        let env_facts = EnvFacts::extract(&file);
        let found: Vec<(String, Option<String>, Option<u16>)> = field_settings(&file, &env_facts)
            .into_iter()
            .map(|f| (f.field, f.host.value, f.port.value))
            .collect();
        assert_eq!(
            found,
            [
                ("host".to_string(), Some("127.0.0.1".to_string()), None),
                ("http_port".to_string(), None, Some(8080)),
                (
                    "listen_addr".to_string(),
                    Some("0.0.0.0".to_string()),
                    Some(9090)
                ),
            ]
        );
    }

    #[test]
    fn framework_builders() {
        let found = listens(
            r#"use actix_web::{App, HttpServer};
#[actix_web::main]
async fn main() -> std::io::Result<()> {
    HttpServer::new(|| App::new()).bind(("0.0.0.0", 8080))?.run().await?;
    warp::serve(routes).run(([0, 0, 0, 0], 3030)).await;
    let addr = "[::1]:50051".parse().unwrap();
    tonic::transport::Server::builder().add_service(svc).serve(addr).await?;
    let server = salvo::conn::TcpListener::new(format!("{}:{}", host, 5800)).bind().await;
    rocket::build().mount("/", routes![index]).launch().await;
    let _ = sqlx::query("x").bind("0.0.0.0:1");
}"#,
        );
        let summary: Vec<(String, Option<u16>, Origin)> = found
            .iter()
            .map(|f| (f.0.clone(), f.4, f.3.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                ("actix-web".into(), Some(8080), Origin::Literal),
                ("warp".into(), Some(3030), Origin::Literal),
                ("tonic".into(), Some(50051), Origin::Literal),
                ("salvo".into(), Some(5800), Origin::Literal),
                ("rocket".into(), Some(8000), env("ROCKET_PORT")),
            ]
        );
    }

    #[test]
    fn rocket_toml_release_wins_over_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("api")).unwrap();
        std::fs::write(
            dir.path().join("Rocket.toml"),
            "[default]\naddress = \"127.0.0.1\"\nport = 8000\n\n[release]\naddress = \"0.0.0.0\"\n",
        )
        .unwrap();
        assert_eq!(
            rocket_toml(dir.path(), std::path::Path::new("api")),
            Some(RocketToml {
                address: Some("0.0.0.0".into()),
                port: Some(8000)
            })
        );
        assert_eq!(
            rocket_toml(&dir.path().join("none"), std::path::Path::new("")),
            None
        );
    }

    #[test]
    fn templates_are_split_at_the_last_colon() {
        assert_eq!(
            parse_template("{}:{port:?}x{{"),
            Some(vec![
                Piece::Arg(ArgRef::Index(0)),
                Piece::Text(":".into()),
                Piece::Arg(ArgRef::Named("port".into())),
                Piece::Text("x{".into()),
            ])
        );
    }
}
