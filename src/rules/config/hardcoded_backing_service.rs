use syn::Expr;

use crate::diagnostic::Level;
use crate::engine::rust_pass::RustContext;
use crate::facts::backing_services::{self, BackingTarget};
use crate::facts::env::FallbackKind;
use crate::rule::{
    Category, CodeScope, Reporter, Rule, RuleMeta, bool_option, reject_unknown_options,
};

pub static META: RuleMeta = RuleMeta {
    id: "hardcoded-backing-service",
    category: Category::Config,
    default_level: Level::Deny,
    summary: "a backing service's connection string or internal URL is written in the code",
    docs: include_str!("../../../rules/config/hardcoded-backing-service.md"),
    scope: CodeScope::Service,
};

pub struct HardcodedBackingService {
    report_fallback: bool,
}

impl Default for HardcodedBackingService {
    fn default() -> Self {
        HardcodedBackingService {
            report_fallback: true,
        }
    }
}

impl Rule for HardcodedBackingService {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn configure(&mut self, options: &toml::Table) -> Result<(), String> {
        reject_unknown_options(options, META.id, &["report-fallback"])?;
        if let Some(report) = bool_option(options, META.id, "report-fallback")? {
            self.report_fallback = report;
        }
        Ok(())
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        let Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(literal),
            ..
        }) = expr
        else {
            return;
        };
        let Some(target) = backing_services::classify(&literal.value()) else {
            return;
        };
        let span = cx.file.span(expr);
        let env = &cx.facts.env;
        if target.is_http() {
            let names = cx.value_names(span);
            let var = env.fallback_around(span).and_then(|f| f.var.as_deref());
            if backing_services::names_own_address(names.iter().map(String::as_str).chain(var)) {
                return;
            }
        }
        let fallback = match env.fallback_around(span) {
            Some(fallback) => Some((fallback.kind, fallback.var.clone())),
            None => cx
                .enclosing_constant()
                .and_then(|name| env.fallback_only_constants.get(&name))
                .map(|var| (FallbackKind::EnvDefault, var.clone())),
        };
        match fallback {
            None => report_direct(&target, span, out),
            Some(_) if !self.report_fallback => {}
            Some((kind, var)) => report_fallback(&target, kind, var, span, out),
        }
    }
}

fn report_direct(target: &BackingTarget, span: crate::diagnostic::Span, out: &mut Reporter<'_>) {
    let BackingTarget {
        service,
        conventional_var,
        host,
    } = target;
    out.report(&META, span, format!("hard-coded {service} address `{host}`"))
        .label(format!("{service} at `{host}` is fixed at build time"))
        .note(format!(
            "twelve-factor III: the address of a backing service differs between deploys, so it belongs in \
             the environment; written here, every environment talks to `{host}`"
        ))
        .help(format!(
            "read it from the environment, e.g. `std::env::var(\"{conventional_var}\")?`, and set it per deploy"
        ));
}

fn report_fallback(
    target: &BackingTarget,
    kind: FallbackKind,
    var: Option<String>,
    span: crate::diagnostic::Span,
    out: &mut Reporter<'_>,
) {
    let BackingTarget {
        service,
        conventional_var,
        host,
    } = target;
    let setting = match &var {
        Some(var) => format!("`{var}`"),
        None => "its setting".to_string(),
    };
    let message = match kind {
        FallbackKind::DefaultFunction => {
            format!("{service} address `{host}` hard-coded as a configuration default")
        }
        FallbackKind::EnvDefault | FallbackKind::ConfigDefault => {
            format!("{service} address `{host}` hard-coded as the fallback for {setting}")
        }
    };
    let var = var.unwrap_or_else(|| conventional_var.to_string());
    out.report(&META, span, message)
        .label(format!("used when {setting} is missing"))
        .note(format!(
            "twelve-factor III: a deploy that forgets {setting} quietly connects to `{host}` instead of \
             failing at start-up"
        ))
        .help(format!(
            "require the setting so a missing value fails fast (`std::env::var(\"{var}\")?`); \
             to accept such defaults, set `report-fallback = false` for this rule"
        ));
}
