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
    ("hyper::server::conn::http1::Builder::new", "hyper"),
    ("hyper::server::conn::http2::Builder::new", "hyper"),
    ("hyper_util::server::conn::auto::Builder::new", "hyper"),
    ("actix_web::HttpServer::new", "actix-web"),
    ("actix_server::Server::build", "actix-server"),
    ("warp::serve", "warp"),
    ("tonic::transport::Server::builder", "tonic"),
    ("poem::Server::new", "poem"),
    ("salvo::Server::new", "salvo"),
    ("salvo::prelude::Server::new", "salvo"),
    ("salvo::server::Server::new", "salvo"),
    ("rocket::build", "rocket"),
    ("rocket::custom", "rocket"),
    ("tokio::net::TcpListener::bind", "tokio"),
    ("std::net::TcpListener::bind", "std"),
    ("async_std::net::TcpListener::bind", "async-std"),
    ("tiny_http::Server::http", "tiny_http"),
];

/// Methods that run a message consumer whatever the file imports (their names are the
/// library's own).
const CONSUMER_METHODS: &[(&str, &str)] = &[("basic_consume", "lapin")];

/// Consumers recognised only in files that use their library: (the library's path prefix,
/// the method, whether it must run inside a loop, the framework).
///
/// - async-nats `client.subscribe("subject")`/`queue_subscribe`, a JetStream consumer's
///   `.messages()`;
/// - rdkafka `consumer.recv()` in a loop, or `consumer.stream()`;
/// - AWS SQS `receive_message()` in a loop.
///
/// A bare `loop { rx.recv().await }` is an internal channel as often as a queue: not counted.
const LIBRARY_CONSUMERS: &[(&str, &str, bool, &str)] = &[
    ("async_nats", "subscribe", false, "async-nats"),
    ("async_nats", "queue_subscribe", false, "async-nats"),
    ("async_nats::jetstream", "messages", false, "async-nats"),
    ("rdkafka::consumer", "recv", true, "rdkafka"),
    ("rdkafka::consumer", "stream", false, "rdkafka"),
    ("aws_sdk_sqs", "receive_message", true, "aws-sdk-sqs"),
];

/// Attributes that turn a function into a server's entry point.
const SERVER_ATTRIBUTES: &[(&str, &str)] =
    &[("launch", "rocket"), ("shuttle_runtime::main", "shuttle")];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerStart {
    pub framework: &'static str,
    pub span: Span,
}

pub fn server_starts(file: &RustFile<'_>) -> Vec<ServerStart> {
    let mut libraries = LibraryUse {
        file,
        prefixes: LIBRARY_CONSUMERS
            .iter()
            .map(|(prefix, ..)| *prefix)
            .collect(),
        used: Vec::new(),
    };
    libraries.visit_file(&file.syntax);
    let consumers = LIBRARY_CONSUMERS
        .iter()
        .filter(|(prefix, ..)| libraries.used.contains(prefix))
        .copied()
        .collect();
    let mut finder = Finder {
        file,
        consumers,
        loops: 0,
        starts: Vec::new(),
    };
    finder.visit_file(&file.syntax);
    finder.starts
}

struct Finder<'f, 's> {
    file: &'f RustFile<'s>,
    /// The consumers of the libraries this file uses.
    consumers: Vec<(&'static str, &'static str, bool, &'static str)>,
    /// How many loops enclose the current expression.
    loops: usize,
    starts: Vec<ServerStart>,
}

/// Which library prefixes a file's paths (in code, types and `use` items) resolve under.
struct LibraryUse<'f, 's> {
    file: &'f RustFile<'s>,
    prefixes: Vec<&'static str>,
    used: Vec<&'static str>,
}

impl<'ast> Visit<'ast> for LibraryUse<'_, '_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let resolved = self.file.resolve(path);
        self.note(&resolved);
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        fn flatten(tree: &syn::UseTree, prefix: String, out: &mut Vec<String>) {
            match tree {
                syn::UseTree::Path(path) => {
                    flatten(&path.tree, format!("{prefix}{}::", path.ident), out)
                }
                syn::UseTree::Name(name) => out.push(format!("{prefix}{}", name.ident)),
                syn::UseTree::Rename(rename) => out.push(format!("{prefix}{}", rename.ident)),
                syn::UseTree::Glob(_) => out.push(prefix.trim_end_matches(':').to_string()),
                syn::UseTree::Group(group) => {
                    for tree in &group.items {
                        flatten(tree, prefix.clone(), out);
                    }
                }
            }
        }
        let mut paths = Vec::new();
        flatten(&item.tree, String::new(), &mut paths);
        for path in paths {
            self.note(&path);
        }
    }
}

impl LibraryUse<'_, '_> {
    fn note(&mut self, path: &str) {
        for prefix in &self.prefixes {
            let under = path == *prefix
                || path.starts_with(prefix) && path[prefix.len()..].starts_with("::");
            if under && !self.used.contains(prefix) {
                self.used.push(prefix);
            }
        }
    }
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
                .map(|&(_, framework)| framework)
                .or_else(|| {
                    self.consumers
                        .iter()
                        .find(|(_, method, in_loop, _)| {
                            call.method == method
                                && (!in_loop || self.loops > 0)
                                && (*method != "subscribe" || !call.args.is_empty())
                        })
                        .map(|&(.., framework)| framework)
                }),
            _ => None,
        };
        if let Some(framework) = start {
            self.starts.push(ServerStart {
                framework,
                span: self.file.span(expr),
            });
        }
        let is_loop = matches!(expr, Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_));
        self.loops += usize::from(is_loop);
        syn::visit::visit_expr(self, expr);
        self.loops -= usize::from(is_loop);
    }

    /// A closure's body runs when it is called, not on each turn of the loop it is written in.
    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        let loops = std::mem::take(&mut self.loops);
        syn::visit::visit_expr_closure(self, closure);
        self.loops = loops;
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(args) = self.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::source::rust::CodeRole;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn frameworks(text: &str) -> Vec<&'static str> {
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/ws/src/main.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        server_starts(&file)
            .into_iter()
            .map(|s| s.framework)
            .collect()
    }

    #[test]
    fn consumers_of_the_libraries_a_file_uses() {
        assert_eq!(
            frameworks(
                r#"use rdkafka::consumer::{Consumer, StreamConsumer};
async fn run(consumer: StreamConsumer) {
    while !stopping() {
        let message = consumer.recv().await;
    }
}"#
            ),
            ["rdkafka"]
        );
        assert_eq!(
            frameworks(
                r#"async fn run() {
    let client = async_nats::connect("nats://localhost").await?;
    let mut sub = client.subscribe("orders.*").await?;
}"#
            ),
            ["async-nats"]
        );
        assert_eq!(
            frameworks(
                r#"use aws_sdk_sqs::Client;
async fn poll(client: Client) { loop { let out = client.receive_message().queue_url(q).send().await; } }"#
            ),
            ["aws-sdk-sqs"]
        );
    }

    #[test]
    fn channels_and_broadcasts_are_not_consumers() {
        assert!(
            frameworks(
                r#"async fn run(mut rx: tokio::sync::mpsc::Receiver<Job>, tx: tokio::sync::broadcast::Sender<u8>) {
    let mut events = tx.subscribe();
    loop { let job = rx.recv().await; }
}"#
            )
            .is_empty()
        );
        // rdkafka's `recv` outside a loop is a one-off read, not a consumer loop.
        assert!(
            frameworks(
                "use rdkafka::consumer::StreamConsumer; async fn one(c: StreamConsumer) { c.recv().await; }"
            )
            .is_empty()
        );
    }

    #[test]
    fn salvo_through_its_prelude() {
        assert_eq!(
            frameworks(
                "use salvo::prelude::*; async fn main() { Server::new(acceptor).serve(router).await; }"
            ),
            ["salvo"]
        );
    }
}
