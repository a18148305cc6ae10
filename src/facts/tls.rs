//! TLS libraries: settings and trait implementations that switch certificate checks off.

use syn::visit::Visit;
use syn::{Expr, ImplItem, Item, Stmt};

use crate::source::rust::{bool_literal, method_chain};

/// Builder methods that, given `true`, stop checking certificates or host names
/// (reqwest, native-tls, tokio-native-tls, hyper-tls, ureq).
pub const DANGEROUS_BUILDER_METHODS: &[(&str, &str)] = &[
    (
        "danger_accept_invalid_certs",
        "accepts any certificate, including self-signed and expired ones",
    ),
    (
        "tls_danger_accept_invalid_certs",
        "accepts any certificate, including self-signed and expired ones",
    ),
    (
        "danger_accept_invalid_hostnames",
        "accepts certificates issued for any host name",
    ),
    (
        "tls_danger_accept_invalid_hostnames",
        "accepts certificates issued for any host name",
    ),
];

/// rustls verifier traits and the method that decides, with the type its `assertion()` builds.
const VERIFIERS: &[(&str, &str, &str)] = &[
    (
        "ServerCertVerifier",
        "verify_server_cert",
        "ServerCertVerified",
    ),
    (
        "ClientCertVerifier",
        "verify_client_cert",
        "ClientCertVerified",
    ),
];

/// What a builder call disables, if it disables verification with a literal `true`.
pub fn dangerous_builder_call(expr: &Expr) -> Option<(&'static str, &'static str)> {
    let Expr::MethodCall(call) = expr else {
        return None;
    };
    let method = call.method.to_string();
    let &(name, effect) = DANGEROUS_BUILDER_METHODS
        .iter()
        .find(|(m, _)| *m == method)?;
    (call.args.len() == 1 && bool_literal(&call.args[0]) == Some(true)).then_some((name, effect))
}

/// `builder.set_verify(SslVerifyMode::NONE)` (openssl).
pub fn disables_openssl_verification(expr: &Expr) -> bool {
    let Expr::MethodCall(call) = expr else {
        return false;
    };
    call.method == "set_verify"
        && call.args.first().is_some_and(|arg| match arg {
            Expr::Path(path) => {
                let segments: Vec<String> = path
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                segments.ends_with(&["SslVerifyMode".into(), "NONE".into()])
            }
            _ => false,
        })
}

/// A rustls verifier implementation whose decision is always "valid": the trait name, and
/// the method that accepts everything.
pub fn accept_all_verifier(item: &Item) -> Option<(&'static str, &syn::ImplItemFn)> {
    let Item::Impl(implementation) = item else {
        return None;
    };
    let (_, trait_path, _) = implementation.trait_.as_ref()?;
    let trait_name = trait_path.segments.last()?.ident.to_string();
    let &(trait_name, method, verified) = VERIFIERS.iter().find(|(t, ..)| *t == trait_name)?;
    implementation
        .items
        .iter()
        .find_map(|impl_item| match impl_item {
            ImplItem::Fn(function)
                if function.sig.ident == method && always_asserts(&function.block, verified) =>
            {
                Some((trait_name, function))
            }
            _ => None,
        })
}

/// The body ends in `Ok(Verified::assertion())` and nothing before it can decide otherwise: no
/// `if`, `match`, `?`, `Err(..)` or early `return` (logging and `let` statements are fine).
fn always_asserts(block: &syn::Block, verified: &str) -> bool {
    let Some((last, before)) = block.stmts.split_last() else {
        return false;
    };
    let result = match last {
        Stmt::Expr(Expr::Return(ret), _) => ret.expr.as_deref(),
        Stmt::Expr(expr, None) => Some(expr),
        _ => None,
    };
    let Some(Expr::Call(ok)) = result else {
        return false;
    };
    let is_ok = matches!(&*ok.func, Expr::Path(p) if p.path.is_ident("Ok"));
    let asserts = is_ok
        && ok.args.len() == 1
        && method_chain(&ok.args[0]).any(|link| match link {
            Expr::Call(call) => matches!(&*call.func, Expr::Path(p)
                if p.path.segments.iter().rev().take(2).map(|s| s.ident.to_string()).eq(["assertion".to_string(), verified.to_string()])),
            _ => false,
        });
    let mut decisions = Decisions(false);
    for stmt in before {
        decisions.visit_stmt(stmt);
    }
    asserts && !decisions.0
}

/// Finds code that can reject: branches, `?`, `Err(..)`, early returns.
struct Decisions(bool);

impl<'ast> Visit<'ast> for Decisions {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::If(_) | Expr::Match(_) | Expr::Try(_) | Expr::Return(_) => self.0 = true,
            Expr::Call(call) if matches!(&*call.func, Expr::Path(p) if p.path.is_ident("Err")) => {
                self.0 = true
            }
            _ => syn::visit::visit_expr(self, expr),
        }
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if local
            .init
            .as_ref()
            .is_some_and(|init| init.diverge.is_some())
        {
            self.0 = true;
        }
        syn::visit::visit_local(self, local);
    }
}
