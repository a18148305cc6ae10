//! The module structure of one Rust file, for the module graph of its crate: the `mod` items it
//! declares (inline or out of line, with `#[path]`), and the paths its code refers to (`use`
//! items, qualified paths in expressions, types, patterns and macro calls), each in the inline
//! module it is written in. Paths are resolved through the `use` items of their module, so
//! `env::var` after `use std::env;` is `std::env::var`.

use std::collections::HashMap;

use syn::visit::Visit;
use syn::{Expr, Item, Meta, UseTree};

use crate::diagnostic::Span;
use crate::source::rust::{CodeRole, RustFile, is_test_code, item_attrs};

#[derive(Debug, Default)]
pub struct ModuleFacts {
    /// The inline-module scopes of the file: `scopes[0]` is the file itself, then each inline
    /// module as its path of names below the file.
    pub scopes: Vec<Vec<String>>,
    pub mods: Vec<ModDecl>,
    pub refs: Vec<PathRef>,
    /// The name of a top-level `fn main`.
    pub main_fn: Option<Span>,
}

/// `mod name;` or `mod name { … }`.
#[derive(Debug)]
pub struct ModDecl {
    /// Index into `ModuleFacts::scopes`: the module the declaration is written in.
    pub scope: usize,
    pub name: String,
    pub inline: bool,
    /// `#[path = "…"]`.
    pub path_attr: Option<String>,
    /// Under `#[cfg(test)]` (or in test code).
    pub test: bool,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// A leaf of a `use` tree (or `extern crate`).
    Use,
    /// `use path::*`.
    Glob,
    /// A path in an expression: a call, a function or constant, a struct literal.
    Expr,
    /// A path in a type, a trait bound, an `impl … for`, a pattern.
    Type,
    /// The path of a macro call (`sqlx::query!`).
    Macro,
}

/// A path the code refers to.
#[derive(Debug)]
pub struct PathRef {
    pub scope: usize,
    /// The path: as written for `use` items; for other paths with their first segment replaced
    /// by what the module's `use` items import under that name (see `via_import`).
    pub segments: Vec<String>,
    pub leading_colon: bool,
    pub kind: RefKind,
    /// The path starts with a name a `use` item imported; the `use` item is the reference to
    /// the module, this one is only its use.
    pub via_import: bool,
    /// In test code: a test file, `#[cfg(test)]`, `#[test]`.
    pub test: bool,
    /// A `pub use` (any visibility but private): a re-export, a facade over other modules.
    pub reexport: bool,
    pub span: Span,
}

impl PathRef {
    /// `a::b::c`.
    pub fn joined(&self) -> String {
        self.segments.join("::")
    }
}

impl ModuleFacts {
    pub fn extract(file: &RustFile<'_>) -> ModuleFacts {
        let mut collector = Collector {
            file,
            facts: ModuleFacts {
                scopes: vec![Vec::new()],
                ..ModuleFacts::default()
            },
            scope: 0,
            test_depth: usize::from(file.role != CodeRole::Production),
            imports: vec![HashMap::new()],
            single_names: Vec::new(),
        };
        collector.visit_file(&file.syntax);
        collector.finish()
    }

    /// The references written in one scope.
    pub fn refs_in(&self, scope: usize) -> impl Iterator<Item = &PathRef> {
        self.refs.iter().filter(move |r| r.scope == scope)
    }

    /// The index of an inline scope by its names, if the file has it.
    pub fn scope_index(&self, names: &[String]) -> Option<usize> {
        self.scopes.iter().position(|scope| scope == names)
    }
}

struct Collector<'f, 's> {
    file: &'f RustFile<'s>,
    facts: ModuleFacts,
    scope: usize,
    test_depth: usize,
    /// Per scope: name → the path a `use` item imports under it.
    imports: Vec<HashMap<String, Vec<String>>>,
    /// One-segment paths (`x`, `String`, `var`): most name locals and prelude items and are
    /// dropped; `finish` keeps those a `use` item gave, so they are kept unresolved until then.
    single_names: Vec<SingleName<'f>>,
}

struct SingleName<'f> {
    path: &'f syn::Path,
    scope: usize,
    kind: RefKind,
    test: bool,
}

impl<'f> Collector<'f, '_> {
    fn finish(mut self) -> ModuleFacts {
        let imports = std::mem::take(&mut self.imports);
        self.facts.refs.retain_mut(|r| {
            if matches!(r.kind, RefKind::Use | RefKind::Glob) {
                return true;
            }
            if !r.leading_colon
                && let Some(path) = imports[r.scope].get(&r.segments[0])
            {
                let mut full = path.clone();
                full.extend(r.segments.drain(1..));
                r.segments = full;
                r.via_import = true;
            }
            r.segments.len() >= 2
        });
        for single in std::mem::take(&mut self.single_names) {
            let name = &single.path.segments[0].ident;
            if let Some((_, path)) = imports[single.scope]
                .iter()
                .find(|(imported, _)| name == imported)
                && path.len() >= 2
            {
                self.facts.refs.push(PathRef {
                    scope: single.scope,
                    segments: path.clone(),
                    leading_colon: false,
                    kind: single.kind,
                    via_import: true,
                    test: single.test,
                    reexport: false,
                    span: self.file.span(single.path),
                });
            }
        }
        self.facts.refs.sort_by_key(|r| r.span.start);
        self.facts
    }

    fn record(&mut self, path: &'f syn::Path, kind: RefKind) {
        let Some(first) = path.segments.first() else {
            return;
        };
        if first.ident == "Self" {
            return;
        }
        if path.segments.len() == 1 && path.leading_colon.is_none() {
            self.single_names.push(SingleName {
                path,
                scope: self.scope,
                kind,
                test: self.test_depth > 0,
            });
            return;
        }
        self.facts.refs.push(PathRef {
            scope: self.scope,
            segments: path.segments.iter().map(|s| s.ident.to_string()).collect(),
            leading_colon: path.leading_colon.is_some(),
            kind,
            via_import: false,
            test: self.test_depth > 0,
            reexport: false,
            span: self.file.span(path),
        });
    }

    fn use_tree(&mut self, tree: &UseTree, prefix: &mut Vec<String>, chain_start: Option<usize>) {
        let start = chain_start.unwrap_or_else(|| self.file.span(tree).start);
        match tree {
            UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(&path.tree, prefix, Some(start));
                prefix.pop();
            }
            UseTree::Name(name) => {
                let ident = name.ident.to_string();
                let (segments, alias) = if ident == "self" {
                    let alias = prefix.last().cloned();
                    (prefix.clone(), alias)
                } else {
                    let mut segments = prefix.clone();
                    segments.push(ident.clone());
                    (segments, Some(ident))
                };
                self.push_use(
                    segments,
                    alias,
                    RefKind::Use,
                    start,
                    self.file.span(name).end,
                );
            }
            UseTree::Rename(rename) => {
                let ident = rename.ident.to_string();
                let segments = if ident == "self" {
                    prefix.clone()
                } else {
                    let mut segments = prefix.clone();
                    segments.push(ident);
                    segments
                };
                let alias = Some(rename.rename.to_string()).filter(|a| a != "_");
                self.push_use(
                    segments,
                    alias,
                    RefKind::Use,
                    start,
                    self.file.span(rename).end,
                );
            }
            UseTree::Glob(glob) => {
                let end = self.file.span(glob).end;
                self.push_use(prefix.clone(), None, RefKind::Glob, start, end);
            }
            UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(tree, prefix, None);
                }
            }
        }
    }

    fn push_use(
        &mut self,
        segments: Vec<String>,
        alias: Option<String>,
        kind: RefKind,
        start: usize,
        end: usize,
    ) {
        if segments.is_empty() {
            return;
        }
        if let Some(alias) = alias {
            self.imports[self.scope].insert(alias, segments.clone());
        }
        self.facts.refs.push(PathRef {
            scope: self.scope,
            segments,
            leading_colon: false,
            kind,
            via_import: false,
            test: self.test_depth > 0,
            reexport: false,
            span: Span::new(start, end),
        });
    }
}

impl<'f> Visit<'f> for Collector<'f, '_> {
    fn visit_item(&mut self, item: &'f Item) {
        let test = item_attrs(item).is_some_and(is_test_code);
        self.test_depth += usize::from(test);
        match item {
            Item::Mod(module) => {
                let path_attr = module.attrs.iter().find_map(|attr| match &attr.meta {
                    Meta::NameValue(nv) if nv.path.is_ident("path") => {
                        crate::source::rust::string_literal(&nv.value)
                    }
                    _ => None,
                });
                let name = module.ident.to_string();
                self.facts.mods.push(ModDecl {
                    scope: self.scope,
                    name: name.clone(),
                    inline: module.content.is_some(),
                    path_attr,
                    test: self.test_depth > 0,
                    span: self.file.span(&module.ident),
                });
                if let Some((_, items)) = &module.content {
                    let mut names = self.facts.scopes[self.scope].clone();
                    names.push(name);
                    let outer = self.scope;
                    self.scope = self.facts.scopes.len();
                    self.facts.scopes.push(names);
                    self.imports.push(HashMap::new());
                    for item in items {
                        self.visit_item(item);
                    }
                    self.scope = outer;
                }
            }
            Item::Use(item_use) => {
                let before = self.facts.refs.len();
                self.use_tree(&item_use.tree, &mut Vec::new(), None);
                let reexport = !matches!(item_use.vis, syn::Visibility::Inherited);
                for r in &mut self.facts.refs[before..] {
                    // `use ::serde::Serialize;`: an external crate, written with a leading `::`.
                    r.leading_colon |= item_use.leading_colon.is_some();
                    r.reexport = reexport;
                }
            }
            Item::ExternCrate(extern_crate) => {
                let name = extern_crate.ident.to_string();
                if name != "self" {
                    let alias = extern_crate
                        .rename
                        .as_ref()
                        .map(|(_, alias)| alias.to_string())
                        .filter(|a| a != "_")
                        .or(Some(name.clone()));
                    let span = self.file.span(&extern_crate.ident);
                    self.push_use(vec![name], alias, RefKind::Use, span.start, span.end);
                }
            }
            Item::Macro(item_macro) if item_macro.mac.path.is_ident("macro_rules") => {}
            Item::Fn(function) => {
                if self.scope == 0 && function.sig.ident == "main" && self.facts.main_fn.is_none() {
                    self.facts.main_fn = Some(self.file.span(&function.sig.ident));
                }
                syn::visit::visit_item_fn(self, function);
            }
            Item::Impl(item_impl) => {
                if let Some((_, path, _)) = &item_impl.trait_ {
                    self.record(path, RefKind::Type);
                }
                syn::visit::visit_item_impl(self, item_impl);
            }
            _ => syn::visit::visit_item(self, item),
        }
        self.test_depth -= usize::from(test);
    }

    fn visit_impl_item_fn(&mut self, function: &'f syn::ImplItemFn) {
        let test = is_test_code(&function.attrs);
        self.test_depth += usize::from(test);
        syn::visit::visit_impl_item_fn(self, function);
        self.test_depth -= usize::from(test);
    }

    fn visit_expr_path(&mut self, expr: &'f syn::ExprPath) {
        if expr.qself.is_none() {
            self.record(&expr.path, RefKind::Expr);
        }
        syn::visit::visit_expr_path(self, expr);
    }

    fn visit_expr_struct(&mut self, expr: &'f syn::ExprStruct) {
        if expr.qself.is_none() {
            self.record(&expr.path, RefKind::Expr);
        }
        syn::visit::visit_expr_struct(self, expr);
    }

    fn visit_type_path(&mut self, ty: &'f syn::TypePath) {
        if ty.qself.is_none() {
            self.record(&ty.path, RefKind::Type);
        }
        syn::visit::visit_type_path(self, ty);
    }

    fn visit_trait_bound(&mut self, bound: &'f syn::TraitBound) {
        self.record(&bound.path, RefKind::Type);
        syn::visit::visit_trait_bound(self, bound);
    }

    fn visit_pat_tuple_struct(&mut self, pat: &'f syn::PatTupleStruct) {
        if pat.qself.is_none() {
            self.record(&pat.path, RefKind::Type);
        }
        syn::visit::visit_pat_tuple_struct(self, pat);
    }

    fn visit_pat_struct(&mut self, pat: &'f syn::PatStruct) {
        if pat.qself.is_none() {
            self.record(&pat.path, RefKind::Type);
        }
        syn::visit::visit_pat_struct(self, pat);
    }

    fn visit_macro(&mut self, mac: &'f syn::Macro) {
        self.record(&mac.path, RefKind::Macro);
        if let Some(args) = self.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }

    fn visit_expr(&mut self, expr: &'f Expr) {
        syn::visit::visit_expr(self, expr);
    }

    /// Attributes hold doc comments and derive lists, not references the code makes.
    fn visit_attribute(&mut self, _: &'f syn::Attribute) {}
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::source::SourceFile;

    fn facts(text: &str) -> ModuleFacts {
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/lib.rs")),
            PathBuf::from("/ws/src/lib.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        ModuleFacts::extract(&file)
    }

    fn refs(facts: &ModuleFacts) -> Vec<(usize, String, RefKind, bool)> {
        facts
            .refs
            .iter()
            .map(|r| (r.scope, r.joined(), r.kind, r.test))
            .collect()
    }

    #[test]
    fn use_trees_become_one_reference_per_leaf_with_its_own_span() {
        let text = "use crate::{app::Service, infra::{self, Db as Database}};\nuse super::*;\n";
        let facts = facts(text);
        let found: Vec<(String, &str)> = facts
            .refs
            .iter()
            .map(|r| (r.joined(), &text[r.span.start..r.span.end]))
            .collect();
        assert_eq!(
            found,
            [
                ("crate::app::Service".to_string(), "app::Service"),
                ("crate::infra".to_string(), "self"),
                ("crate::infra::Db".to_string(), "Db as Database"),
                ("super".to_string(), "super::*"),
            ]
        );
        assert_eq!(facts.refs[3].kind, RefKind::Glob);
    }

    #[test]
    fn paths_resolve_through_the_imports_of_their_own_module() {
        let text = "use std::env;\nfn f() { env::var(\"A\"); crate::db::connect(); }\n\
                    mod inner { use std::env::var_os as get; fn g() { get(\"B\"); env::var(\"C\"); } }\n";
        let facts = facts(text);
        let expr: Vec<(usize, String, bool)> = facts
            .refs
            .iter()
            .filter(|r| r.kind == RefKind::Expr)
            .map(|r| (r.scope, r.joined(), r.via_import))
            .collect();
        assert_eq!(
            expr,
            [
                (0, "std::env::var".to_string(), true),
                (0, "crate::db::connect".to_string(), false),
                (1, "std::env::var_os".to_string(), true),
                // `env` is not imported in `inner`: the path stays as written.
                (1, "env::var".to_string(), false),
            ]
        );
        assert_eq!(facts.scopes, [vec![], vec!["inner".to_string()]]);
    }

    #[test]
    fn module_declarations_with_path_attributes_and_test_modules() {
        let text =
            "mod a;\n#[path = \"other.rs\"] mod b;\nmod c { mod d; }\n#[cfg(test)]\nmod tests;\n";
        let facts = facts(text);
        let mods: Vec<(usize, &str, bool, Option<&str>, bool)> = facts
            .mods
            .iter()
            .map(|m| {
                (
                    m.scope,
                    m.name.as_str(),
                    m.inline,
                    m.path_attr.as_deref(),
                    m.test,
                )
            })
            .collect();
        assert_eq!(
            mods,
            [
                (0, "a", false, None, false),
                (0, "b", false, Some("other.rs"), false),
                (0, "c", true, None, false),
                (1, "d", false, None, false),
                (0, "tests", false, None, true),
            ]
        );
    }

    #[test]
    fn test_code_types_macros_and_main() {
        let text = "fn main() { sqlx::query!(\"x\"); }\nfn f(p: sqlx::PgPool) {}\n\
                    #[cfg(test)] mod tests { use crate::x::Y; }\n";
        let facts = facts(text);
        assert_eq!(
            refs(&facts),
            [
                (0, "sqlx::query".to_string(), RefKind::Macro, false),
                (0, "sqlx::PgPool".to_string(), RefKind::Type, false),
                (1, "crate::x::Y".to_string(), RefKind::Use, true),
            ]
        );
        let main = facts.main_fn.unwrap();
        assert_eq!(&text[main.start..main.end], "main");
    }
}
