use syn::Expr;

use crate::diagnostic::{Level, Span};
use crate::engine::rust_pass::RustContext;
use crate::facts::jwt::{
    TokenFunctions, disables_expiry_check, disables_signature_validation, unverified_decode,
};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    id: "jwt-validation-disabled",
    category: Category::Security,
    default_level: Level::Deny,
    summary: "JSON Web Tokens are accepted without checking their signature or expiry",
    docs: include_str!("../../../rules/security/jwt-validation-disabled.md"),
    scope: CodeScope::Service,
};

const SIGNATURE_WHY: &str = "microservices: token-based security rests on the signature. A token whose \
                             signature is not checked is a note anyone can write: a caller puts any \
                             user, role or tenant into it and is believed";
const EXPIRY_WHY: &str = "microservices: token-based security limits the damage of a leaked token by its \
                          expiry; without the check a token copied from a log, a browser or a proxy \
                          works forever";

#[derive(Default)]
pub struct JwtValidationDisabled;

impl Rule for JwtValidationDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        match expr {
            Expr::Call(_) => {
                let Some(decode) = unverified_decode(cx.file, expr) else {
                    return;
                };
                let functions = TokenFunctions::of(cx.file);
                if functions.verified_around(decode.span) || functions.read_before(decode.span) {
                    // Verified afterwards, or a second read of a token already reported.
                    return;
                }
                out.report(
                    &META,
                    decode.span,
                    format!(
                        "`{}` reads a token without checking its signature ({})",
                        decode.function, decode.library
                    ),
                )
                .label("the claims of any token, forged or not, come back as valid")
                .note(SIGNATURE_WHY)
                .help(format!(
                    "check the signature with the issuer's key: {}; to read a claim before choosing the \
                     key, verify the token afterwards in the same function",
                    decode.verified_alternative
                ));
            }
            Expr::MethodCall(call) => {
                if disables_signature_validation(expr).is_none() {
                    return;
                }
                let span = Span::new(
                    cx.file.span_of(call.method.span()).start,
                    cx.file.span(expr).end,
                );
                if TokenFunctions::of(cx.file).verified_around(span) {
                    return;
                }
                out.report(
                    &META,
                    span,
                    "`insecure_disable_signature_validation()` accepts tokens with any signature",
                )
                .label("tokens decoded with this `Validation` are not checked against a key")
                .note(SIGNATURE_WHY)
                .help(
                    "decode with the issuer's key and a `Validation` that checks the signature (the \
                     default); pick the key by the header's `kid` with `jsonwebtoken::decode_header`, \
                     or, to read a claim first, verify the token afterwards in the same function",
                );
            }
            Expr::Assign(_) | Expr::Struct(_) => {
                let Some((span, variable)) = disables_expiry_check(cx.file, expr) else {
                    return;
                };
                let functions = TokenFunctions::of(cx.file);
                // A `Validation` that skips the signature is reported (or judged) there; code
                // that compares `exp` itself has taken the check over.
                if variable.is_some_and(|name| functions.signature_off_for(span, &name))
                    || functions.expiry_checked_around(span)
                {
                    return;
                }
                out.report(&META, span, "`validate_exp = false` accepts expired tokens")
                    .label("the `exp` claim is not checked")
                    .note(EXPIRY_WHY)
                    .help(
                        "keep `validate_exp = true` (the default) and allow for clock skew with \
                         `validation.leeway = 60`; if some tokens have no `exp`, remove it from \
                         `required_spec_claims` instead",
                    );
            }
            _ => {}
        }
    }
}
