//! Signal handling: where a file handles SIGTERM, handles only Ctrl-C (SIGINT), wires a
//! graceful shutdown into a server, or runs a framework that handles SIGTERM itself.
//!
//! SIGTERM: `signal(SignalKind::terminate())` (tokio, actix-rt), signal-hook and libc/nix
//! `SIGTERM`/`TERM_SIGNALS`, async-signal `Signal::Term`, tokio-graceful-shutdown
//! `catch_signals()`, ctrlc with its `termination` feature. Frameworks: actix-web's
//! `HttpServer` and actix-server's `Server::build()` (unless `.disable_signals()`), rocket,
//! shuttle.

use syn::visit::Visit;
use syn::{Expr, Item};

use crate::diagnostic::Span;
use crate::source::manifest::Manifest;
use crate::source::rust::{RustFile, is_test_code, item_attrs};
use crate::workspace::{Package, Workspace};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalKind {
    /// A handler that receives SIGTERM.
    Sigterm,
    /// `tokio::signal::ctrl_c()` and the like: SIGINT only.
    CtrlC,
    /// `ctrlc::set_handler`: SIGINT, and SIGTERM only with the crate's `termination` feature.
    CtrlcCrate,
    /// A graceful shutdown wired into a server (`with_graceful_shutdown(…)`); what triggers it
    /// is another fact.
    GracefulShutdown,
    /// A framework that installs its own SIGTERM handler.
    FrameworkHandlesSigterm(&'static str),
    /// actix's `.disable_signals()`: the framework's handler is off.
    FrameworkSignalsDisabled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalUse {
    pub kind: SignalKind,
    pub span: Span,
}

/// Methods that take a shutdown signal for a server.
const GRACEFUL_METHODS: &[&str] = &[
    "with_graceful_shutdown",
    "serve_with_shutdown",
    "serve_with_incoming_shutdown",
    "bind_with_graceful_shutdown",
    "try_bind_with_graceful_shutdown",
    "run_with_graceful_shutdown",
    "graceful_shutdown",
    "graceful",
    "stop_graceful",
];

/// Calls that start a framework which handles SIGTERM by itself.
const SELF_HANDLING: &[(&str, &str)] = &[
    ("actix_web::HttpServer::new", "actix-web"),
    ("actix_server::Server::build", "actix-server"),
    ("rocket::build", "rocket"),
    ("rocket::custom", "rocket"),
];

/// Attributes that hand `main` to a runtime which handles SIGTERM.
const SELF_HANDLING_ATTRIBUTES: &[(&str, &str)] = &[
    ("launch", "rocket"),
    ("rocket::launch", "rocket"),
    ("rocket::main", "rocket"),
    ("shuttle_runtime::main", "shuttle"),
];

/// Functions that send a signal rather than handle one.
const SENDERS: &[&str] = &["kill", "killpg", "raise", "send_signal", "signal_process"];

pub fn signal_uses(file: &RustFile<'_>) -> Vec<SignalUse> {
    let mut finder = Finder {
        file,
        sending: 0,
        uses: Vec::new(),
    };
    finder.visit_file(&file.syntax);
    finder.uses
}

struct Finder<'f, 's> {
    file: &'f RustFile<'s>,
    /// Inside the arguments of `kill(pid, SIGTERM)`: a signal sent, not handled.
    sending: usize,
    uses: Vec<SignalUse>,
}

impl Finder<'_, '_> {
    fn push(&mut self, kind: SignalKind, span: Span) {
        self.uses.push(SignalUse { kind, span });
    }
}

/// Whether the path's last two segments are `parent::name` (`signal::SignalKind::terminate`).
fn ends_with(path: &syn::Path, parent: &str, name: &str) -> bool {
    let mut segments = path.segments.iter().rev();
    segments.next().is_some_and(|last| last.ident == name)
        && segments.next().is_some_and(|before| before.ident == parent)
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
            if let Some(&(_, framework)) = SELF_HANDLING_ATTRIBUTES.iter().find(|(p, _)| *p == path)
            {
                self.push(
                    SignalKind::FrameworkHandlesSigterm(framework),
                    self.file.span(attr),
                );
            }
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test_code(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        // A node's span costs a walk over the node: take it only for what is kept.
        let span = || self.file.span(expr);
        match expr {
            Expr::Call(call) => {
                if let Expr::Path(func) = &*call.func {
                    let resolved = self.file.resolve(&func.path);
                    if ends_with(&func.path, "SignalKind", "terminate") {
                        self.push(SignalKind::Sigterm, span());
                    } else if resolved.ends_with("signal::ctrl_c") {
                        self.push(SignalKind::CtrlC, span());
                    } else if matches!(
                        resolved.as_str(),
                        "ctrlc::set_handler" | "ctrlc::try_set_handler"
                    ) {
                        self.push(SignalKind::CtrlcCrate, span());
                    } else if let Some(&(_, framework)) =
                        SELF_HANDLING.iter().find(|(p, _)| *p == resolved)
                    {
                        self.push(SignalKind::FrameworkHandlesSigterm(framework), span());
                    }
                    let last = func.path.segments.last().map(|s| &s.ident);
                    if last.is_some_and(|last| SENDERS.iter().any(|sender| last == sender)) {
                        self.sending += 1;
                        syn::visit::visit_expr(self, expr);
                        self.sending -= 1;
                        return;
                    }
                }
            }
            Expr::MethodCall(call) => {
                let method = call.method.to_string();
                if GRACEFUL_METHODS.contains(&method.as_str()) && !call.args.is_empty()
                    || method == "graceful_shutdown"
                    || method == "stop_graceful"
                {
                    self.push(SignalKind::GracefulShutdown, span());
                } else if method == "catch_signals" {
                    self.push(SignalKind::Sigterm, span());
                } else if method == "disable_signals" {
                    self.push(SignalKind::FrameworkSignalsDisabled, span());
                } else if SENDERS.contains(&method.as_str()) {
                    self.sending += 1;
                    syn::visit::visit_expr(self, expr);
                    self.sending -= 1;
                    return;
                }
            }
            Expr::Path(path) if self.sending == 0 => {
                let last = path.path.segments.last().map(|s| &s.ident);
                if last.is_some_and(|last| last == "SIGTERM" || last == "TERM_SIGNALS")
                    || ends_with(&path.path, "Signal", "Term")
                {
                    self.push(SignalKind::Sigterm, span());
                }
            }
            _ => {}
        }
        syn::visit::visit_expr(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        match self.file.macro_args(mac) {
            Some(args) if args.parsed => {
                for expr in &args.exprs {
                    self.visit_expr(expr);
                }
            }
            // `tokio::select! { _ = signal::ctrl_c() => {}, … }` is not a list of expressions:
            // look for the signal idioms in its tokens.
            _ => self.scan_tokens(mac.tokens.clone()),
        }
    }

    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
}

impl Finder<'_, '_> {
    fn scan_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        use proc_macro2::TokenTree;
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (index, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    let previous = |back: usize| {
                        index
                            .checked_sub(back)
                            .and_then(|i| trees.get(i))
                            .map(|t| t.to_string())
                    };
                    let called = matches!(
                        trees.get(index + 1),
                        Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis
                    );
                    let kind = match name.as_str() {
                        "terminate" if called && previous(3).as_deref() == Some("SignalKind") => {
                            Some(SignalKind::Sigterm)
                        }
                        "SIGTERM" | "TERM_SIGNALS" if self.sending == 0 => {
                            Some(SignalKind::Sigterm)
                        }
                        "ctrl_c" if called => Some(SignalKind::CtrlC),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        self.push(kind, self.file.span_of(ident.span()));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Whether the package enables ctrlc's `termination` feature (in its own dependency table, or
/// in `[workspace.dependencies]` when it inherits the dependency).
pub fn ctrlc_handles_sigterm(workspace: &Workspace, package: &Package) -> bool {
    let read = |dir: &std::path::Path| {
        std::fs::read_to_string(workspace.root.join(dir).join("Cargo.toml")).ok()
    };
    let Some(text) = read(&package.dir) else {
        return false;
    };
    let Ok(manifest) = Manifest::parse(&text) else {
        return false;
    };
    let mut inherits = false;
    for dependency in manifest.dependencies() {
        if dependency.name != "ctrlc" || dependency.in_workspace_table {
            continue;
        }
        if has_feature(dependency.field("features"), "termination") {
            return true;
        }
        inherits |= dependency
            .field("workspace")
            .is_some_and(|v| matches!(v.get_ref(), toml::de::DeValue::Boolean(true)));
    }
    if !inherits {
        return false;
    }
    let Some(root_text) = read(std::path::Path::new("")) else {
        return false;
    };
    let Ok(root) = Manifest::parse(&root_text) else {
        return false;
    };
    root.dependencies()
        .iter()
        .filter(|d| d.name == "ctrlc" && d.in_workspace_table)
        .any(|d| has_feature(d.field("features"), "termination"))
}

fn has_feature(features: Option<&toml::Spanned<toml::de::DeValue<'_>>>, wanted: &str) -> bool {
    match features.map(|f| f.get_ref()) {
        Some(toml::de::DeValue::Array(items)) => items
            .iter()
            .any(|item| matches!(item.get_ref(), toml::de::DeValue::String(s) if s == wanted)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::source::rust::CodeRole;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn kinds(text: &str) -> Vec<SignalKind> {
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/ws/src/main.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        signal_uses(&file).into_iter().map(|u| u.kind).collect()
    }

    #[test]
    fn recognises_the_common_idioms() {
        use SignalKind::*;
        assert_eq!(
            kinds(
                r#"use tokio::signal::{self, unix::{signal, SignalKind}};
async fn shutdown() {
    let mut term = signal(SignalKind::terminate()).unwrap();
    tokio::select! { _ = term.recv() => {}, _ = signal::ctrl_c() => {} }
}"#
            ),
            [Sigterm, CtrlC]
        );
        assert_eq!(
            kinds(
                r#"use signal_hook::consts::{SIGINT, SIGTERM};
fn main() { let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).unwrap(); }"#
            ),
            [Sigterm]
        );
        assert_eq!(
            kinds("fn main() { ctrlc::set_handler(move || {}).unwrap(); }"),
            [CtrlcCrate]
        );
        assert_eq!(
            kinds(
                "async fn main() { axum::serve(l, app).with_graceful_shutdown(token.cancelled()).await; }"
            ),
            [GracefulShutdown]
        );
        assert_eq!(
            kinds(
                "use actix_web::HttpServer; fn main() { HttpServer::new(app).disable_signals().bind(a); }"
            ),
            [
                FrameworkSignalsDisabled,
                FrameworkHandlesSigterm("actix-web")
            ]
        );
    }

    #[test]
    fn sending_a_signal_is_not_handling_it() {
        assert_eq!(
            kinds(
                "fn stop(pid: Pid) { nix::sys::signal::kill(pid, Signal::SIGTERM).unwrap(); unsafe { libc::kill(1, libc::SIGTERM) }; }"
            ),
            []
        );
    }

    #[test]
    fn test_code_handles_nothing() {
        assert_eq!(
            kinds(
                "#[cfg(test)] mod tests { fn t() { let _ = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()); } }"
            ),
            []
        );
    }
}
