//! The values a name stands for within one file: `let` bindings (in the function that uses
//! them), constants and statics, and functions by name. Used to follow `let addr = …; bind(addr)`
//! one or two steps; anything further is left unknown.

use std::collections::HashMap;

use syn::visit::Visit;
use syn::{Expr, Pat};

use crate::diagnostic::Span;
use crate::source::rust::{RustFile, is_test_code, item_attrs};

pub struct Bindings<'a> {
    lets: HashMap<String, Vec<LetBinding<'a>>>,
    constants: HashMap<String, &'a Expr>,
    functions: HashMap<String, Vec<&'a syn::Block>>,
}

struct LetBinding<'a> {
    /// The body of the function the `let` is in.
    function: Span,
    /// Where the `let` statement ends: uses after it see it.
    end: usize,
    init: &'a Expr,
}

impl<'a> Bindings<'a> {
    pub fn collect(file: &'a RustFile<'_>) -> Bindings<'a> {
        let mut collector = Collector {
            file,
            functions_stack: Vec::new(),
            bindings: Bindings {
                lets: HashMap::new(),
                constants: HashMap::new(),
                functions: HashMap::new(),
            },
        };
        collector.visit_file(&file.syntax);
        collector.bindings
    }

    /// The expression `name` was last bound to before `at`, in the same function.
    pub fn local(&self, name: &str, at: Span, function: Option<Span>) -> Option<&'a Expr> {
        let function = function?;
        self.lets
            .get(name)?
            .iter()
            .filter(|binding| binding.function == function && binding.end <= at.start)
            .max_by_key(|binding| binding.end)
            .map(|binding| binding.init)
    }

    /// The value of a constant or static of this file.
    pub fn constant(&self, name: &str) -> Option<&'a Expr> {
        self.constants.get(name).copied()
    }

    /// The bodies of the functions (and methods) of this file with this name.
    pub fn functions(&self, name: &str) -> &[&'a syn::Block] {
        self.functions.get(name).map_or(&[], Vec::as_slice)
    }

    /// The body of the innermost function around `span`.
    pub fn function_around(&self, file: &RustFile<'_>, span: Span) -> Option<Span> {
        self.functions
            .values()
            .flatten()
            .map(|block| file.span(*block))
            .filter(|body| body.start <= span.start && span.end <= body.end)
            .min_by_key(|body| body.end - body.start)
    }
}

struct Collector<'a, 'f> {
    file: &'a RustFile<'f>,
    functions_stack: Vec<Span>,
    bindings: Bindings<'a>,
}

impl<'a> Collector<'a, '_> {
    fn function(&mut self, name: String, block: &'a syn::Block, visit: impl FnOnce(&mut Self)) {
        self.bindings.functions.entry(name).or_default().push(block);
        self.functions_stack.push(self.file.span(block));
        visit(self);
        self.functions_stack.pop();
    }
}

impl<'a> Visit<'a> for Collector<'a, '_> {
    fn visit_item(&mut self, item: &'a syn::Item) {
        if item_attrs(item).is_some_and(is_test_code) {
            return;
        }
        match item {
            syn::Item::Const(constant) => {
                self.bindings
                    .constants
                    .insert(constant.ident.to_string(), &constant.expr);
            }
            syn::Item::Static(statik) => {
                self.bindings
                    .constants
                    .insert(statik.ident.to_string(), &statik.expr);
            }
            _ => {}
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_fn(&mut self, item: &'a syn::ItemFn) {
        self.function(item.sig.ident.to_string(), &item.block, |this| {
            syn::visit::visit_item_fn(this, item)
        });
    }

    fn visit_impl_item_fn(&mut self, item: &'a syn::ImplItemFn) {
        if is_test_code(&item.attrs) {
            return;
        }
        self.function(item.sig.ident.to_string(), &item.block, |this| {
            syn::visit::visit_impl_item_fn(this, item)
        });
    }

    fn visit_impl_item_const(&mut self, item: &'a syn::ImplItemConst) {
        self.bindings
            .constants
            .insert(item.ident.to_string(), &item.expr);
    }

    fn visit_local(&mut self, local: &'a syn::Local) {
        if let (Some(name), Some(init), Some(&function)) = (
            pattern_name(&local.pat),
            &local.init,
            self.functions_stack.last(),
        ) {
            self.bindings
                .lets
                .entry(name)
                .or_default()
                .push(LetBinding {
                    function,
                    end: self.file.span(local).end,
                    init: &init.expr,
                });
        }
        syn::visit::visit_local(self, local);
    }

    fn visit_macro(&mut self, mac: &'a syn::Macro) {
        if let Some(args) = self.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }

    fn visit_attribute(&mut self, _: &'a syn::Attribute) {}
}

fn pattern_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(ident) if ident.subpat.is_none() => Some(ident.ident.to_string()),
        Pat::Type(typed) => pattern_name(&typed.pat),
        _ => None,
    }
}

/// The single identifier of a path expression (`addr`), if that is what it is.
pub fn ident_of(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(path) if path.qself.is_none() && path.path.segments.len() == 1 => {
            Some(path.path.segments[0].ident.to_string())
        }
        Expr::Paren(paren) => ident_of(&paren.expr),
        Expr::Group(group) => ident_of(&group.expr),
        Expr::Reference(reference) => ident_of(&reference.expr),
        _ => None,
    }
}
