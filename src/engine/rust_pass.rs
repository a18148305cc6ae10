//! The one walk over a Rust file that every Rust rule shares. It tracks the context rules
//! need (test code, the enclosing items and expressions) and calls each rule in scope.

use syn::visit::Visit;
use syn::{Expr, ImplItem, Item, Local, Macro, TraitItem};

use crate::diagnostic::Span;
use crate::facts::RustFacts;
use crate::rule::{CodeScope, Reporter, Rule};
use crate::source::rust::{CodeRole, RustFile, is_test_code, item_attrs};

/// A syntax node that encloses the one being checked.
#[derive(Clone, Copy)]
pub enum Node<'a> {
    Expr(&'a Expr),
    Item(&'a Item),
    ImplItem(&'a ImplItem),
    TraitItem(&'a TraitItem),
    Local(&'a Local),
    Macro(&'a Macro),
}

/// What a rule knows while it looks at one node.
pub struct RustContext<'f, 's> {
    pub file: &'f RustFile<'s>,
    pub facts: &'f RustFacts,
    ancestors: Vec<Node<'f>>,
    test_depth: usize,
}

impl<'f> RustContext<'f, '_> {
    /// The enclosing nodes, nearest first.
    pub fn ancestors(&self) -> impl Iterator<Item = Node<'f>> + '_ {
        self.ancestors.iter().rev().copied()
    }

    pub fn parent(&self) -> Option<Node<'f>> {
        self.ancestors.last().copied()
    }

    /// Whether the node is test code: in a test file, or under `#[test]`/`#[cfg(test)]`.
    pub fn in_test_code(&self) -> bool {
        self.test_depth > 0 || self.file.role != CodeRole::Production
    }

    /// The nearest enclosing `const` or `static` item, with its name.
    pub fn enclosing_constant(&self) -> Option<String> {
        self.ancestors().find_map(|node| match node {
            Node::Item(Item::Const(item)) => Some(item.ident.to_string()),
            Node::Item(Item::Static(item)) => Some(item.ident.to_string()),
            Node::ImplItem(ImplItem::Const(item)) => Some(item.ident.to_string()),
            _ => None,
        })
    }

    /// The name of the macro whose arguments hold the node, if any.
    pub fn enclosing_macro(&self) -> Option<&'f Macro> {
        self.ancestors().find_map(|node| match node {
            Node::Macro(mac) => Some(mac),
            _ => None,
        })
    }
}

/// Runs the rules over one Rust file.
pub fn check(file: &RustFile<'_>, facts: &RustFacts, rules: &[&dyn Rule], out: &mut Reporter<'_>) {
    let (everywhere, production): (Vec<&dyn Rule>, Vec<&dyn Rule>) = rules
        .iter()
        .partition(|rule| rule.meta().scope == CodeScope::All);
    let mut walker = Walker {
        cx: RustContext {
            file,
            facts,
            ancestors: Vec::new(),
            test_depth: 0,
        },
        everywhere: &everywhere,
        production: &production,
        out,
    };
    walker.visit_file(&file.syntax);
}

struct Walker<'f, 's, 'r, 'o, 'p> {
    cx: RustContext<'f, 's>,
    everywhere: &'r [&'r dyn Rule],
    production: &'r [&'r dyn Rule],
    out: &'o mut Reporter<'p>,
}

impl<'f, 'r> Walker<'f, '_, 'r, '_, '_> {
    /// The rules that look at the current node.
    fn rules(&self) -> impl Iterator<Item = &'r dyn Rule> + use<'r> {
        let production: &'r [&'r dyn Rule] = if self.cx.in_test_code() {
            &[]
        } else {
            self.production
        };
        self.everywhere.iter().chain(production).copied()
    }

    fn within(&mut self, node: Node<'f>, test: bool, visit: impl FnOnce(&mut Self)) {
        self.cx.ancestors.push(node);
        self.cx.test_depth += usize::from(test);
        visit(self);
        self.cx.test_depth -= usize::from(test);
        self.cx.ancestors.pop();
    }
}

impl<'f> Visit<'f> for Walker<'f, '_, '_, '_, '_> {
    fn visit_item(&mut self, item: &'f Item) {
        let test = item_attrs(item).is_some_and(is_test_code);
        if let Item::Macro(item_macro) = item
            && item_macro.mac.path.is_ident("macro_rules")
        {
            return;
        }
        self.cx.test_depth += usize::from(test);
        for rule in self.rules() {
            rule.check_item(item, &self.cx, self.out);
        }
        self.cx.test_depth -= usize::from(test);
        self.within(Node::Item(item), test, |walker| {
            syn::visit::visit_item(walker, item)
        });
    }

    fn visit_impl_item(&mut self, item: &'f ImplItem) {
        let test = match item {
            ImplItem::Fn(function) => is_test_code(&function.attrs),
            ImplItem::Const(constant) => is_test_code(&constant.attrs),
            _ => false,
        };
        self.within(Node::ImplItem(item), test, |walker| {
            syn::visit::visit_impl_item(walker, item)
        });
    }

    fn visit_trait_item(&mut self, item: &'f TraitItem) {
        let test = matches!(item, TraitItem::Fn(function) if is_test_code(&function.attrs));
        self.within(Node::TraitItem(item), test, |walker| {
            syn::visit::visit_trait_item(walker, item)
        });
    }

    fn visit_local(&mut self, local: &'f Local) {
        self.within(Node::Local(local), false, |walker| {
            syn::visit::visit_local(walker, local)
        });
    }

    fn visit_expr(&mut self, expr: &'f Expr) {
        for rule in self.rules() {
            rule.check_expr(expr, &self.cx, self.out);
        }
        self.within(Node::Expr(expr), false, |walker| {
            syn::visit::visit_expr(walker, expr)
        });
    }

    fn visit_macro(&mut self, mac: &'f Macro) {
        let Some(args) = self.cx.file.macro_args(mac) else {
            return;
        };
        self.within(Node::Macro(mac), false, |walker| {
            for expr in &args.exprs {
                walker.visit_expr(expr);
            }
        });
    }

    /// Attributes hold doc comments and derive options, not code that runs.
    fn visit_attribute(&mut self, _: &'f syn::Attribute) {}
}

impl RustContext<'_, '_> {
    /// The names the value at `span` is given, nearest first: the binding, constant, struct
    /// field or assignment it is stored in, and the functions and methods it is passed to on
    /// the way (`allow_origin`, `from_static`…). Looks through conversions and `format!`.
    pub fn value_names(&self, span: Span) -> Vec<String> {
        let mut names = Vec::new();
        let contains = |outer: Span| outer.start <= span.start && span.end <= outer.end;
        for node in self.ancestors() {
            match node {
                Node::Expr(Expr::MethodCall(call)) => {
                    if contains(self.file.span(&*call.receiver)) {
                        continue;
                    }
                    names.push(call.method.to_string());
                }
                Node::Expr(Expr::Call(call)) => {
                    if let Expr::Path(path) = &*call.func {
                        let segments = &path.path.segments;
                        names.extend(segments.iter().rev().take(2).map(|s| s.ident.to_string()));
                    }
                }
                Node::Expr(Expr::Struct(literal)) => {
                    let field = literal
                        .fields
                        .iter()
                        .find(|field| contains(self.file.span(&field.expr)));
                    if let Some(syn::Member::Named(name)) = field.map(|f| &f.member) {
                        names.push(name.to_string());
                    }
                    break;
                }
                Node::Expr(Expr::Assign(assign)) => {
                    if let Some(name) = last_name(&assign.left) {
                        names.push(name);
                    }
                    break;
                }
                Node::Local(local) => {
                    if let Some(name) = pattern_name(&local.pat) {
                        names.push(name);
                    }
                    break;
                }
                Node::Item(Item::Const(item)) => {
                    names.push(item.ident.to_string());
                    break;
                }
                Node::Item(Item::Static(item)) => {
                    names.push(item.ident.to_string());
                    break;
                }
                Node::ImplItem(ImplItem::Const(item)) => {
                    names.push(item.ident.to_string());
                    break;
                }
                Node::Item(Item::Fn(function)) => {
                    names.push(function.sig.ident.to_string());
                    break;
                }
                Node::ImplItem(ImplItem::Fn(function)) => {
                    names.push(function.sig.ident.to_string());
                    break;
                }

                Node::Expr(
                    Expr::Paren(_)
                    | Expr::Group(_)
                    | Expr::Reference(_)
                    | Expr::Try(_)
                    | Expr::Closure(_)
                    | Expr::Block(_)
                    | Expr::Array(_)
                    | Expr::Tuple(_),
                )
                | Node::Macro(_) => {}
                _ => break,
            }
        }
        names
    }
}

/// The name an assignment target ends in: `x`, `self.config.token`.
pub fn last_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        Expr::Field(field) => match &field.member {
            syn::Member::Named(name) => Some(name.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        _ => None,
    }
}

/// The name a `let` pattern binds: `x`, `x: T`.
pub fn pattern_name(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(ident) => Some(ident.ident.to_string()),
        syn::Pat::Type(typed) => pattern_name(&typed.pat),
        _ => None,
    }
}
