//! Environment reads and the fallbacks that stand in when a variable is missing.

use std::collections::HashMap;

use syn::visit::Visit;
use syn::{Expr, Pat};

use crate::diagnostic::Span;
use crate::source::rust::{RustFile, is_test_code, item_attrs, string_literal};

/// Functions that read one environment variable.
const ENV_READ_FUNCTIONS: &[&str] = &[
    "std::env::var",
    "std::env::var_os",
    "core::env::var",
    "dotenvy::var",
    "dotenv::var",
];

/// Methods that turn a missing variable into an error or a panic.
const REQUIRING_METHODS: &[&str] = &["unwrap", "expect", "context", "with_context", "wrap_err"];

/// Methods that supply a value when the variable is missing.
const DEFAULTING_METHODS: &[&str] = &[
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "or",
    "or_else",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// `?`, `.unwrap()`, `.expect(..)`: the process fails without it.
    Required,
    /// `.unwrap_or(..)` and friends, or a `match` with an `Err` arm.
    Defaulted,
    /// `.ok()`, `.is_ok()`, or anything the tool cannot follow.
    Optional,
}

#[derive(Clone, Debug)]
pub struct EnvRead {
    /// The variable's name when it is a literal.
    pub name: Option<String>,
    pub span: Span,
    pub requirement: Requirement,
    /// The expression that supplies the value when the variable is missing.
    pub fallback: Option<Span>,
}

/// Where a value stands in for configuration that was not given.
#[derive(Clone, Debug)]
pub struct Fallback {
    pub span: Span,
    /// The environment variable it stands in for, when known.
    pub var: Option<String>,
    pub kind: FallbackKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FallbackKind {
    /// `env::var("X").unwrap_or(..)`, `match env::var("X") { Err(_) => .. }`.
    EnvDefault,
    /// `config::ConfigBuilder::set_default(key, ..)`.
    ConfigDefault,
    /// The body of a function named by `#[serde(default = "…")]`, or of `Default::default`.
    DefaultFunction,
}

#[derive(Debug, Default)]
pub struct EnvFacts {
    pub reads: Vec<EnvRead>,
    pub fallbacks: Vec<Fallback>,
    /// Constants and statics that are used, and used only, inside fallbacks, with the variable.
    pub fallback_only_constants: HashMap<String, Option<String>>,
}

impl EnvFacts {
    pub fn extract(file: &RustFile<'_>) -> EnvFacts {
        let mut collector = Collector {
            file,
            stack: Vec::new(),
            facts: EnvFacts::default(),
            constant_uses: Vec::new(),
            default_functions: Vec::new(),
            functions: Vec::new(),
        };
        collector.visit_file(&file.syntax);
        collector.finish()
    }

    /// The fallback that holds `span`, if any.
    pub fn fallback_around(&self, span: Span) -> Option<&Fallback> {
        self.fallbacks
            .iter()
            .find(|fallback| fallback.span.start <= span.start && span.end <= fallback.span.end)
    }
}

struct Collector<'f, 's> {
    file: &'f RustFile<'s>,
    stack: Vec<&'f Expr>,
    facts: EnvFacts,
    constant_uses: Vec<(String, Span)>,
    /// Names given in `#[serde(default = "…")]`.
    default_functions: Vec<String>,
    /// Every function body: its name, span, and whether it implements `Default`.
    functions: Vec<(String, Span, bool)>,
}

impl Collector<'_, '_> {
    fn finish(mut self) -> EnvFacts {
        for (name, span, implements_default) in std::mem::take(&mut self.functions) {
            if implements_default || self.default_functions.contains(&name) {
                self.facts.fallbacks.push(Fallback {
                    span,
                    var: None,
                    kind: FallbackKind::DefaultFunction,
                });
            }
        }
        let mut uses: HashMap<String, (Option<String>, bool)> = HashMap::new();
        for (name, span) in &self.constant_uses {
            let fallback = self.facts.fallback_around(*span).map(|f| f.var.clone());
            let entry = uses.entry(name.clone()).or_insert((None, true));
            match fallback {
                Some(var) => entry.0 = entry.0.take().or(var),
                None => entry.1 = false,
            }
        }
        self.facts.fallback_only_constants = uses
            .into_iter()
            .filter(|(_, (_, only_fallback))| *only_fallback)
            .map(|(name, (var, _))| (name, var))
            .collect();
        self.facts
    }

    fn record_read(&mut self, call: &syn::ExprCall) {
        let name = call.args.first().and_then(string_literal);
        let (requirement, fallback) = self.consumer();
        if let Some(span) = fallback {
            self.facts.fallbacks.push(Fallback {
                span,
                var: name.clone(),
                kind: FallbackKind::EnvDefault,
            });
        }
        self.facts.reads.push(EnvRead {
            name,
            span: self.file.span(call),
            requirement,
            fallback,
        });
    }

    /// How the read on top of the stack is consumed: follows its method chain outward.
    fn consumer(&self) -> (Requirement, Option<Span>) {
        let mut child = *self.stack.last().expect("the read itself is on the stack");
        for parent in self.stack.iter().rev().skip(1) {
            match parent {
                Expr::MethodCall(call) if std::ptr::eq(&*call.receiver, child) => {
                    let method = call.method.to_string();
                    if REQUIRING_METHODS.contains(&method.as_str()) {
                        return (Requirement::Required, None);
                    }
                    if DEFAULTING_METHODS.contains(&method.as_str()) {
                        let fallback = call.args.first().map(|arg| self.file.span(arg));
                        return (Requirement::Defaulted, fallback);
                    }
                    if method.starts_with("is_") {
                        return (Requirement::Optional, None);
                    }
                }
                Expr::Try(_) => return (Requirement::Required, None),
                Expr::Match(m) if std::ptr::eq(&*m.expr, child) => {
                    let fallback = m
                        .arms
                        .iter()
                        .find(|arm| matches_err(&arm.pat))
                        .map(|arm| self.file.span(&*arm.body));
                    return match fallback {
                        Some(span) => (Requirement::Defaulted, Some(span)),
                        None => (Requirement::Optional, None),
                    };
                }
                Expr::Let(binding) if std::ptr::eq(&*binding.expr, child) => {
                    // `if let Ok(v) = env::var("X") { v } else { fallback }`
                    let position = self.stack.iter().position(|e| std::ptr::eq(*e, *parent));
                    let enclosing = position
                        .and_then(|i| i.checked_sub(1))
                        .map(|i| self.stack[i]);
                    let fallback = match enclosing {
                        Some(Expr::If(branch)) if std::ptr::eq(&*branch.cond, *parent) => branch
                            .else_branch
                            .as_ref()
                            .map(|(_, otherwise)| self.file.span(&**otherwise)),
                        _ => None,
                    };
                    return match fallback {
                        Some(span) => (Requirement::Defaulted, Some(span)),
                        None => (Requirement::Optional, None),
                    };
                }
                Expr::Paren(_) | Expr::Group(_) | Expr::Reference(_) | Expr::Await(_) => {}
                _ => return (Requirement::Optional, None),
            }
            child = parent;
        }
        (Requirement::Optional, None)
    }
}

fn matches_err(pat: &Pat) -> bool {
    match pat {
        Pat::TupleStruct(tuple) => tuple.path.segments.last().is_some_and(|s| s.ident == "Err"),
        Pat::Path(path) => path.path.segments.last().is_some_and(|s| s.ident == "None"),
        Pat::Ident(ident) => ident.ident == "None",
        Pat::Wild(_) => true,
        Pat::Or(or) => or.cases.iter().any(matches_err),
        _ => false,
    }
}

fn is_constant_name(name: &str) -> bool {
    name.len() > 1
        && name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `#[serde(default = "default_url")]` → `default_url`.
fn serde_default_function(attr: &syn::Attribute) -> Option<String> {
    if !attr.path().is_ident("serde") {
        return None;
    }
    let mut found = None;
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("default") && meta.input.peek(syn::Token![=]) {
            let value: syn::LitStr = meta.value()?.parse()?;
            found = Some(
                value
                    .value()
                    .rsplit("::")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
        } else if meta.input.peek(syn::Token![=]) {
            let _: Expr = meta.value()?.parse()?;
        }
        Ok(())
    });
    found
}

impl<'f> Visit<'f> for Collector<'f, '_> {
    /// Test code reads and defaults nothing the deployed service depends on.
    fn visit_item(&mut self, item: &'f syn::Item) {
        if !item_attrs(item).is_some_and(is_test_code) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_expr(&mut self, expr: &'f Expr) {
        self.stack.push(expr);
        match expr {
            Expr::Call(call)
                if self
                    .file
                    .called_path_where(expr, |path| ENV_READ_FUNCTIONS.contains(&path))
                    .is_some() =>
            {
                self.record_read(call);
            }
            Expr::MethodCall(call) if call.method == "set_default" && call.args.len() == 2 => {
                let key = string_literal(&call.args[0]);
                self.facts.fallbacks.push(Fallback {
                    span: self.file.span(&call.args[1]),
                    var: key.map(|k| k.replace('.', "_").to_uppercase()),
                    kind: FallbackKind::ConfigDefault,
                });
            }
            Expr::Path(path) if path.qself.is_none() && path.path.segments.len() == 1 => {
                let name = path.path.segments[0].ident.to_string();
                if is_constant_name(&name) {
                    self.constant_uses.push((name, self.file.span(path)));
                }
            }
            _ => {}
        }
        syn::visit::visit_expr(self, expr);
        self.stack.pop();
    }

    fn visit_macro(&mut self, mac: &'f syn::Macro) {
        if let Some(args) = self.file.macro_args(mac) {
            let saved = std::mem::take(&mut self.stack);
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
            self.stack = saved;
        }
    }

    fn visit_field(&mut self, field: &'f syn::Field) {
        self.default_functions
            .extend(field.attrs.iter().filter_map(serde_default_function));
        syn::visit::visit_field(self, field);
    }

    fn visit_item_fn(&mut self, item: &'f syn::ItemFn) {
        let span = self.file.span(&item.block);
        self.functions
            .push((item.sig.ident.to_string(), span, false));
        syn::visit::visit_item_fn(self, item);
    }

    fn visit_item_impl(&mut self, item: &'f syn::ItemImpl) {
        let implements_default = item
            .trait_
            .as_ref()
            .and_then(|(_, path, _)| path.segments.last())
            .is_some_and(|segment| segment.ident == "Default");
        for impl_item in &item.items {
            if let syn::ImplItem::Fn(function) = impl_item {
                let span = self.file.span(&function.block);
                let name = function.sig.ident.to_string();
                let is_default = implements_default && name == "default";
                self.functions.push((name, span, is_default));
            }
        }
        syn::visit::visit_item_impl(self, item);
    }

    fn visit_attribute(&mut self, _: &'f syn::Attribute) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::source::rust::CodeRole;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn facts(text: &str) -> (EnvFacts, String) {
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/src/main.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        (EnvFacts::extract(&file), text.to_string())
    }

    #[test]
    fn requirement_follows_the_method_chain() {
        let (facts, _) = facts(
            r#"use std::env;
fn f() -> anyhow::Result<()> {
    let a = env::var("A")?;
    let b = env::var("B").unwrap();
    let c = env::var("C").unwrap_or_else(|_| "x".into());
    let d = env::var("D").ok();
    let e = env::var("E").map(|v| v.len()).unwrap_or(3);
    let f = match std::env::var("F") { Ok(v) => v, Err(_) => "y".to_string() };
    let g = env::var("G").is_ok();
    let h = dotenvy::var("H").expect("H is required");
    let i = if let Ok(v) = env::var("I") { v } else { "z".to_string() };
    Ok(())
}"#,
        );
        let summary: Vec<(String, Requirement)> = facts
            .reads
            .iter()
            .map(|r| (r.name.clone().unwrap(), r.requirement))
            .collect();
        use Requirement::*;
        let expected = [
            ("A", Required),
            ("B", Required),
            ("C", Defaulted),
            ("D", Optional),
            ("E", Defaulted),
            ("F", Defaulted),
            ("G", Optional),
            ("H", Required),
            ("I", Defaulted),
        ];
        assert_eq!(summary, expected.map(|(n, r)| (n.to_string(), r)));
    }

    #[test]
    fn fallbacks_cover_the_default_expression() {
        let (facts, text) = facts(
            r#"const DEFAULT_URL: &str = "x";
const OTHER: &str = "y";
fn f() { let u = std::env::var("URL").unwrap_or_else(|_| DEFAULT_URL.to_string()); println!("{}", OTHER); }"#,
        );
        let fallback = &facts.fallbacks[0];
        assert_eq!(
            &text[fallback.span.start..fallback.span.end],
            "|_| DEFAULT_URL.to_string()"
        );
        assert_eq!(fallback.var.as_deref(), Some("URL"));
        assert_eq!(
            facts.fallback_only_constants.get("DEFAULT_URL"),
            Some(&Some("URL".to_string()))
        );
        assert!(!facts.fallback_only_constants.contains_key("OTHER"));
    }

    #[test]
    fn serde_default_functions_are_fallbacks() {
        let (facts, text) = facts(
            r#"#[derive(serde::Deserialize)]
struct Config { #[serde(default = "default_url")] url: String }
fn default_url() -> String { "z".into() }
fn other() -> String { "w".into() }"#,
        );
        assert_eq!(facts.fallbacks.len(), 1);
        let span = facts.fallbacks[0].span;
        assert_eq!(&text[span.start..span.end], r#"{ "z".into() }"#);
    }
}
