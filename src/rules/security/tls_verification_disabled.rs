use syn::{Expr, Item};

use crate::diagnostic::{Level, Span};
use crate::engine::rust_pass::RustContext;
use crate::facts::tls::{
    accept_all_verifier, dangerous_builder_call, disables_openssl_verification,
};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    id: "tls-verification-disabled",
    category: Category::Security,
    default_level: Level::Deny,
    summary: "TLS certificate or host-name verification is switched off",
    docs: include_str!("../../../rules/security/tls-verification-disabled.md"),
    scope: CodeScope::Production,
};

const WHY: &str = "token-based security rests on TLS: without verification anyone on the network path \
                   can pose as the server and read or change the traffic, tokens included";
const FIX: &str = "trust the private CA instead of trusting everyone: `add_root_certificate(..)` \
                   (reqwest), or a `RootCertStore` with that CA (rustls)";

#[derive(Default)]
pub struct TlsVerificationDisabled;

impl Rule for TlsVerificationDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        let Expr::MethodCall(call) = expr else {
            return;
        };
        let span = Span::new(
            cx.file.span_of(call.method.span()).start,
            cx.file.span(expr).end,
        );
        if let Some((method, effect)) = dangerous_builder_call(expr) {
            out.report(
                &META,
                span,
                format!("`{method}(true)` switches TLS verification off"),
            )
            .label(format!("the client {effect}"))
            .note(WHY)
            .help(FIX);
        } else if disables_openssl_verification(expr) {
            out.report(
                &META,
                span,
                "`set_verify(SslVerifyMode::NONE)` switches TLS verification off",
            )
            .label("no certificate is checked")
            .note(WHY)
            .help("use `SslVerifyMode::PEER` and add the private CA to the trust store");
        }
    }

    fn check_item(&self, item: &Item, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        let Some((trait_name, method)) = accept_all_verifier(item) else {
            return;
        };
        out.report(
            &META,
            cx.file.span(&method.sig.ident),
            format!("this `{trait_name}` accepts every certificate"),
        )
        .label(format!(
            "`{}` always returns `Ok(..::assertion())`",
            method.sig.ident
        ))
        .note(WHY)
        .help(FIX);
    }
}
