use proc_macro2::{TokenStream, TokenTree};
use syn::{Expr, Item, Stmt};

use crate::diagnostic::{Level, Span};
use crate::engine::rust_pass::{Node, RustContext};
use crate::facts::env::{EnvironmentValue, is_environment_name};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::edges::expr_attrs;
use crate::source::rust::string_literal;

pub static META: RuleMeta = RuleMeta {
    id: "environment-name-branching",
    category: Category::Config,
    default_level: Level::Warn,
    summary: "behaviour chosen by the deployment environment's name or by the build profile",
    docs: include_str!("../../../rules/config/environment-name-branching.md"),
    scope: CodeScope::Service,
};

const NAME_NOTE: &str = "twelve-factor III and X: code that asks which environment it runs in \
                         behaves differently in each, so staging no longer tests what production \
                         runs, and a new environment needs a code change";

const NAME_HELP: &str = "give the behaviour its own setting read from the environment (a feature \
                         flag, `LOG_FORMAT`, `DATABASE_URL`…), so every environment runs the same \
                         code with different configuration";

const PROFILE_NOTE: &str = "twelve-factor X: a debug build and a release build behave differently \
                            here, so what runs locally and in tests is not what ships";

const PROFILE_HELP: &str = "make it a setting read at run time (with the production value as the \
                            default), so the binary you test is the binary you ship";

/// Macros that only log or assert.
const INERT_MACROS: &[&str] = &[
    "println",
    "eprintln",
    "print",
    "eprint",
    "dbg",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "log",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "panic",
    "unreachable",
    "unimplemented",
    "todo",
    "bail",
    "ensure",
];

/// Builder methods that only change how log lines look.
const LOG_FORMAT_METHODS: &[&str] = &[
    "with_ansi",
    "with_file",
    "with_line_number",
    "with_target",
    "with_thread_ids",
    "with_thread_names",
    "with_level",
    "with_span_events",
    "with_source_location",
    "log_internal_errors",
    "with_max_level",
    "pretty",
    "compact",
];

pub struct EnvironmentNameBranching;

impl Rule for EnvironmentNameBranching {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        if let Some(attr) = expr_attrs(expr)
            .iter()
            .find(|a| mentions_debug_assertions(a))
        {
            if !inert_expr(expr) {
                report_profile(cx.file.span(attr), "`#[cfg(debug_assertions)]`", out);
            }
            return;
        }
        if let Some(Node::Local(local)) = cx.parent()
            && local
                .init
                .as_ref()
                .is_some_and(|init| std::ptr::eq(&*init.expr, expr))
            && let Some(attr) = local.attrs.iter().find(|a| mentions_debug_assertions(a))
            && !log_level_value(expr)
        {
            report_profile(cx.file.span(attr), "`#[cfg(debug_assertions)]`", out);
        }
        match expr {
            Expr::Binary(binary) if matches!(binary.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_)) => {
                let compared = environment_literal(&binary.right)
                    .zip(cx.facts.env.environment_value(cx.file, &binary.left))
                    .or_else(|| {
                        environment_literal(&binary.left)
                            .zip(cx.facts.env.environment_value(cx.file, &binary.right))
                    });
                if let Some((name, value)) = compared {
                    check_comparison(cx, expr, &value, &[name], out);
                }
            }
            Expr::MethodCall(call)
                if call.args.len() == 1
                    && matches!(
                        call.method.to_string().as_str(),
                        "eq" | "eq_ignore_ascii_case" | "starts_with" | "contains" | "ends_with"
                    ) =>
            {
                if let Some(name) = environment_literal(&call.args[0])
                    && let Some(value) = cx.facts.env.environment_value(cx.file, &call.receiver)
                {
                    check_comparison(cx, expr, &value, &[name], out);
                }
            }
            Expr::Match(m) => check_match(cx, m, out),
            Expr::Macro(mac) => {
                let name = mac.mac.path.segments.last().map(|s| s.ident.to_string());
                match name.as_deref() {
                    Some("matches") => check_matches_macro(cx, expr, &mac.mac, out),
                    Some("cfg") if tokens_mention_debug_assertions(mac.mac.tokens.clone()) => {
                        check_cfg_macro(cx, expr, out)
                    }
                    _ => {}
                }
            }
            Expr::Struct(literal) => {
                for field in &literal.fields {
                    if let Some(attr) = field.attrs.iter().find(|a| mentions_debug_assertions(a)) {
                        report_profile(cx.file.span(attr), "`#[cfg(debug_assertions)]`", out);
                    }
                }
            }
            _ => {}
        }
    }

    fn check_item(&self, item: &Item, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        let Some((name, attrs)) = switchable_item(item) else {
            return;
        };
        let Some(attr) = attrs.iter().find(|a| mentions_debug_assertions(a)) else {
            return;
        };
        let span = cx.file.span(item);
        let twin_later = siblings(cx).into_iter().any(|other| {
            switchable_item(other).is_some_and(|(other_name, other_attrs)| {
                other_name == name
                    && std::mem::discriminant(other) == std::mem::discriminant(item)
                    && cx.file.span(other).start > span.start
                    && other_attrs.iter().any(|a| a.path().is_ident("cfg"))
            })
        });
        if !twin_later {
            return;
        }
        out.report(
            &META,
            cx.file.span(attr),
            format!("`{name}` is defined one way in debug builds and another in release builds"),
        )
        .label("switched by the build profile")
        .note(PROFILE_NOTE)
        .help(PROFILE_HELP);
    }
}

fn report_profile(span: Span, what: &str, out: &mut Reporter<'_>) {
    out.report(
        &META,
        span,
        format!("configuration switched by the build profile ({what})"),
    )
    .label("debug and release builds differ here")
    .note(PROFILE_NOTE)
    .help(PROFILE_HELP);
}

fn check_comparison(
    cx: &RustContext<'_, '_>,
    expr: &Expr,
    value: &EnvironmentValue,
    names: &[String],
    out: &mut Reporter<'_>,
) {
    if in_inert_context(cx, cx.file.span(expr)) {
        return;
    }
    let names = names
        .iter()
        .map(|n| format!("`\"{n}\"`"))
        .collect::<Vec<_>>()
        .join(", ");
    out.report(
        &META,
        cx.file.span(expr),
        format!(
            "behaviour chosen by comparing the environment name {} with {names}",
            value.describe()
        ),
    )
    .label("the environment's name decides here")
    .note(NAME_NOTE)
    .help(NAME_HELP);
}

/// `match env.as_str() { "production" => …, _ => … }`, unless the match only turns the name
/// into a value of the program's own type (`"prod" => Ok(Env::Production)`).
fn check_match(cx: &RustContext<'_, '_>, m: &syn::ExprMatch, out: &mut Reporter<'_>) {
    let Some(value) = cx.facts.env.environment_value(cx.file, &m.expr) else {
        return;
    };
    let mut names = Vec::new();
    let mut first = None;
    for arm in &m.arms {
        for lit in pattern_literals(&arm.pat) {
            if is_environment_name(&lit.value()) {
                names.push(lit.value());
                first.get_or_insert(cx.file.span(lit));
            }
        }
    }
    let Some(first) = first else {
        return;
    };
    if m.arms
        .iter()
        .all(|arm| parses(&arm.body) || inert_expr(&arm.body))
    {
        return;
    }
    if in_inert_context(cx, cx.file.span(&*m.expr)) {
        return;
    }
    out.report(
        &META,
        first,
        format!(
            "behaviour chosen by matching the environment name {} against {}",
            value.describe(),
            names
                .iter()
                .map(|n| format!("`\"{n}\"`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .label("one arm per environment")
    .note(NAME_NOTE)
    .help(NAME_HELP);
}

/// `matches!(env.as_str(), "production" | "staging")`.
fn check_matches_macro(
    cx: &RustContext<'_, '_>,
    expr: &Expr,
    mac: &syn::Macro,
    out: &mut Reporter<'_>,
) {
    let Some(args) = cx.file.macro_args(mac).filter(|a| a.parsed) else {
        return;
    };
    let [scrutinee, pattern, ..] = args.exprs.as_slice() else {
        return;
    };
    let Some(value) = cx.facts.env.environment_value(cx.file, scrutinee) else {
        return;
    };
    let mut names = Vec::new();
    collect_or_literals(pattern, &mut names);
    names.retain(|n| is_environment_name(n));
    if !names.is_empty() {
        check_comparison(cx, expr, &value, &names, out);
    }
}

fn collect_or_literals(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Binary(binary) if matches!(binary.op, syn::BinOp::BitOr(_)) => {
            collect_or_literals(&binary.left, out);
            collect_or_literals(&binary.right, out);
        }
        other => out.extend(string_literal(other)),
    }
}

/// `cfg!(debug_assertions)` in an expression: a switch unless it only gates logging or
/// assertions, picks a log level, or sets how log lines look.
fn check_cfg_macro(cx: &RustContext<'_, '_>, expr: &Expr, out: &mut Reporter<'_>) {
    let span = cx.file.span(expr);
    if in_inert_context(cx, span) || gated_by_attribute(cx) {
        return;
    }
    if let Some(Node::Expr(Expr::MethodCall(call))) = cx.parent()
        && LOG_FORMAT_METHODS.contains(&call.method.to_string().as_str())
    {
        return;
    }
    report_profile(span, "`cfg!(debug_assertions)`", out);
}

/// Whether the node at `span` is in a logging or assertion macro, or is (part of) the condition
/// of an `if` whose branches only log, assert or pick a log level.
fn in_inert_context(cx: &RustContext<'_, '_>, span: Span) -> bool {
    if cx.enclosing_macro().is_some_and(|mac| {
        mac.path
            .segments
            .last()
            .is_some_and(|s| INERT_MACROS.contains(&s.ident.to_string().as_str()))
    }) {
        return true;
    }
    let mut child = span;
    for node in cx.ancestors() {
        let Node::Expr(expr) = node else {
            return false;
        };
        match expr {
            Expr::Binary(binary) if matches!(binary.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
            }
            Expr::Unary(_) | Expr::Paren(_) | Expr::Group(_) => {}
            Expr::If(branch) => {
                let cond = cx.file.span(&*branch.cond);
                return cond.start <= child.start && child.end <= cond.end && inert_expr(expr);
            }
            _ => return false,
        }
        child = cx.file.span(expr);
    }
    false
}

/// Whether an enclosing expression or `let` already carries `#[cfg(debug_assertions)]` (that
/// attribute is reported, or is inert).
fn gated_by_attribute(cx: &RustContext<'_, '_>) -> bool {
    cx.ancestors().any(|node| match node {
        Node::Expr(expr) => expr_attrs(expr).iter().any(mentions_debug_assertions),
        Node::Local(local) => local.attrs.iter().any(mentions_debug_assertions),
        _ => false,
    })
}

/// Code that only logs, asserts, fails, or yields a log level: an `if` is inert when all its
/// branches are.
fn inert_expr(expr: &Expr) -> bool {
    match expr {
        Expr::If(branch) => {
            inert_block(&branch.then_branch)
                && branch
                    .else_branch
                    .as_ref()
                    .is_none_or(|(_, otherwise)| inert_expr(otherwise))
        }
        Expr::Block(block) => inert_block(&block.block),
        Expr::Macro(mac) => inert_macro(&mac.mac),
        Expr::Return(ret) => ret.expr.as_deref().is_some_and(is_err),
        Expr::Paren(inner) => inert_expr(&inner.expr),
        other => log_level_value(other) || is_err(other),
    }
}

fn inert_block(block: &syn::Block) -> bool {
    block.stmts.iter().all(|stmt| match stmt {
        Stmt::Macro(mac) => inert_macro(&mac.mac),
        Stmt::Expr(expr, _) => inert_expr(expr),
        Stmt::Local(_) | Stmt::Item(_) => false,
    })
}

fn inert_macro(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| INERT_MACROS.contains(&s.ident.to_string().as_str()))
}

fn is_err(expr: &Expr) -> bool {
    match expr {
        Expr::Call(call) => matches!(&*call.func, Expr::Path(p) if p.path.is_ident("Err")),
        Expr::Try(inner) => is_err(&inner.expr),
        _ => false,
    }
}

/// A log level or filter: `"debug"`, `"app=debug,tower_http=info"`, `Level::DEBUG`,
/// `LevelFilter::Info`, `EnvFilter::new("debug")`.
fn log_level_value(expr: &Expr) -> bool {
    const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "warning", "error", "off"];
    match expr {
        Expr::Lit(_) => string_literal(expr).is_some_and(|value| {
            !value.is_empty()
                && value.split(',').all(|directive| {
                    let level = directive.rsplit('=').next().unwrap_or_default().trim();
                    LEVELS.contains(&level.to_ascii_lowercase().as_str())
                })
        }),
        Expr::Path(path) => {
            path.path.segments.last().is_some_and(|s| {
                LEVELS.contains(&s.ident.to_string().to_ascii_lowercase().as_str())
            })
        }
        Expr::Call(call) => call.args.iter().any(log_level_value),
        Expr::MethodCall(call) => {
            log_level_value(&call.receiver) || call.args.iter().any(log_level_value)
        }
        Expr::Block(block) => matches!(
            block.block.stmts.as_slice(),
            [Stmt::Expr(inner, None)] if log_level_value(inner)
        ),
        Expr::If(branch) => inert_expr(expr) && branch.else_branch.is_some(),
        Expr::Paren(inner) => log_level_value(&inner.expr),
        Expr::Reference(inner) => log_level_value(&inner.expr),
        _ => false,
    }
}

/// An arm that turns the name into the program's own value: `Env::Production`,
/// `Ok(Self::Local)`, `Err(…)`, `return Err(…)`.
fn parses(expr: &Expr) -> bool {
    match expr {
        Expr::Path(path) => path.path.segments.len() > 1 || path.path.is_ident("None"),
        Expr::Call(call) => match &*call.func {
            Expr::Path(func) => {
                let last = func.path.segments.last().map(|s| s.ident.to_string());
                match last.as_deref() {
                    Some("Ok" | "Some") => call.args.iter().all(parses),
                    Some("Err") => true,
                    _ => false,
                }
            }
            _ => false,
        },
        Expr::Block(block) => matches!(
            block.block.stmts.as_slice(),
            [Stmt::Expr(inner, None)] if parses(inner)
        ),
        Expr::Return(ret) => ret.expr.as_deref().is_some_and(parses),
        _ => false,
    }
}

/// The environment name a comparison's literal side holds: `"production"`, `Ok("prod")`,
/// `Some("dev")`.
fn environment_literal(expr: &Expr) -> Option<String> {
    let value = string_literal(expr).or_else(|| match expr {
        Expr::Call(call) if call.args.len() == 1 => match &*call.func {
            Expr::Path(func) if func.path.is_ident("Ok") || func.path.is_ident("Some") => {
                string_literal(&call.args[0])
            }
            _ => None,
        },
        Expr::Reference(inner) => string_literal(&inner.expr),
        _ => None,
    })?;
    is_environment_name(&value).then_some(value)
}

fn pattern_literals(pat: &syn::Pat) -> Vec<&syn::LitStr> {
    match pat {
        syn::Pat::Lit(lit) => match &lit.lit {
            syn::Lit::Str(s) => vec![s],
            _ => Vec::new(),
        },
        syn::Pat::Or(or) => or.cases.iter().flat_map(pattern_literals).collect(),
        syn::Pat::Paren(inner) => pattern_literals(&inner.pat),
        syn::Pat::Tuple(tuple) => tuple.elems.iter().flat_map(pattern_literals).collect(),
        _ => Vec::new(),
    }
}

fn mentions_debug_assertions(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("cfg")
        && matches!(&attr.meta, syn::Meta::List(list) if tokens_mention_debug_assertions(list.tokens.clone()))
}

fn tokens_mention_debug_assertions(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "debug_assertions",
        TokenTree::Group(group) => tokens_mention_debug_assertions(group.stream()),
        _ => false,
    })
}

/// Items that can have a debug and a release twin: constants, statics, functions, type aliases.
fn switchable_item(item: &Item) -> Option<(String, &[syn::Attribute])> {
    match item {
        Item::Const(i) => Some((i.ident.to_string(), &i.attrs)),
        Item::Static(i) => Some((i.ident.to_string(), &i.attrs)),
        Item::Fn(i) => Some((i.sig.ident.to_string(), &i.attrs)),
        Item::Type(i) => Some((i.ident.to_string(), &i.attrs)),
        _ => None,
    }
}

/// The items next to the one being checked: the module's, the file's, or the function body's.
fn siblings<'f>(cx: &RustContext<'f, '_>) -> Vec<&'f Item> {
    let from_stmts = |stmts: &'f [Stmt]| -> Vec<&'f Item> {
        stmts
            .iter()
            .filter_map(|stmt| match stmt {
                Stmt::Item(item) => Some(item),
                _ => None,
            })
            .collect()
    };
    match cx.parent() {
        None => cx.file.syntax.items.iter().collect(),
        Some(Node::Item(Item::Mod(module))) => module
            .content
            .as_ref()
            .map(|(_, items)| items.iter().collect())
            .unwrap_or_default(),
        Some(Node::Item(Item::Fn(function))) => from_stmts(&function.block.stmts),
        Some(Node::ImplItem(syn::ImplItem::Fn(function))) => from_stmts(&function.block.stmts),
        Some(Node::Expr(Expr::Block(block))) => from_stmts(&block.block.stmts),
        _ => Vec::new(),
    }
}
