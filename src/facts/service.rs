//! Long-running servers: where a file starts an HTTP/gRPC server, binds a listener or runs a
//! message consumer. A package that does so holds service code.

use syn::visit::Visit;
use syn::{Expr, Item};

use crate::diagnostic::Span;
use crate::source::rust::{RustFile, is_test_code, item_attrs};

/// Calls that start serving, by resolved path, with the framework they belong to.
const SERVER_STARTS: &[(&str, &str)] = &[
    ("axum::serve", "axum"),
    ("axum::Server::bind", "axum"),
    ("hyper::Server::bind", "hyper"),
    ("hyper::server::Server::bind", "hyper"),
    ("actix_web::HttpServer::new", "actix-web"),
    ("warp::serve", "warp"),
    ("tonic::transport::Server::builder", "tonic"),
    ("poem::Server::new", "poem"),
    ("salvo::Server::new", "salvo"),
    ("rocket::build", "rocket"),
    ("rocket::custom", "rocket"),
    ("tokio::net::TcpListener::bind", "tokio"),
    ("std::net::TcpListener::bind", "std"),
    ("async_std::net::TcpListener::bind", "async-std"),
    ("tiny_http::Server::http", "tiny_http"),
];

/// Methods that run a message consumer (lapin, rdkafka streams).
const CONSUMER_METHODS: &[(&str, &str)] = &[("basic_consume", "lapin")];

/// Attributes that turn a function into a server's entry point.
const SERVER_ATTRIBUTES: &[(&str, &str)] =
    &[("launch", "rocket"), ("shuttle_runtime::main", "shuttle")];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerStart {
    pub framework: &'static str,
    pub span: Span,
}

pub fn server_starts(file: &RustFile<'_>) -> Vec<ServerStart> {
    let mut finder = Finder {
        file,
        starts: Vec::new(),
    };
    finder.visit_file(&file.syntax);
    finder.starts
}

struct Finder<'f, 's> {
    file: &'f RustFile<'s>,
    starts: Vec<ServerStart>,
}

impl<'ast> Visit<'ast> for Finder<'_, '_> {
    fn visit_item(&mut self, item: &'ast Item) {
        let Some(attrs) = item_attrs(item) else {
            return syn::visit::visit_item(self, item);
        };
        if is_test_code(attrs) {
            return;
        }
        for attr in attrs {
            let path = self.file.resolve(attr.path());
            if let Some(&(_, framework)) = SERVER_ATTRIBUTES.iter().find(|(p, _)| *p == path) {
                self.starts.push(ServerStart {
                    framework,
                    span: self.file.span(attr),
                });
            }
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        let start = match expr {
            Expr::Call(_) => self
                .file
                .called_path_where(expr, |path| SERVER_STARTS.iter().any(|(p, _)| *p == path))
                .and_then(|path| SERVER_STARTS.iter().find(|(p, _)| *p == path))
                .map(|&(_, framework)| framework),
            Expr::MethodCall(call) => CONSUMER_METHODS
                .iter()
                .find(|(method, _)| call.method == method)
                .map(|&(_, framework)| framework),
            _ => None,
        };
        if let Some(framework) = start {
            self.starts.push(ServerStart {
                framework,
                span: self.file.span(expr),
            });
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
}
