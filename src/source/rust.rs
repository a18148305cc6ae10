//! Rust source: a syn tree with byte spans, the file's `use` map, parsed macro arguments and
//! the context helpers every rule needs (test code, build scripts, doc comments).

use std::collections::HashMap;

use proc_macro2::{LineColumn, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Attribute, Expr, Item, Macro, Meta};

use crate::diagnostic::Span;
use crate::source::edges::{self, first_token, last_token};
use crate::source::{SourceFile, comments};

/// What a file is for, judged from where it sits in its package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeRole {
    /// `src/` of a library or binary: the code that ships.
    Production,
    Test,
    Bench,
    Example,
    BuildScript,
}

impl CodeRole {
    /// The role of a file from its path relative to its package root.
    pub fn of_package_path(path_in_package: &std::path::Path) -> CodeRole {
        let mut components = path_in_package.components().map(|c| c.as_os_str());
        match components.next().and_then(|c| c.to_str()) {
            Some("tests") => CodeRole::Test,
            Some("benches") => CodeRole::Bench,
            Some("examples") => CodeRole::Example,
            Some("build.rs") if components.next().is_none() => CodeRole::BuildScript,
            _ => CodeRole::Production,
        }
    }
}

pub struct RustFile<'s> {
    pub source: &'s SourceFile,
    pub syntax: syn::File,
    pub role: CodeRole,
    imports: HashMap<String, String>,
    /// `use a::b::*;` gives `a::b`.
    glob_imports: Vec<String>,
    macro_args: HashMap<LineColumn, MacroArgs>,
    lines: ParsedLines,
}

/// Where each line of the parsed text starts, to turn proc-macro2's line and character column
/// into a byte offset. proc-macro2's own `byte_range` counts characters through a shared cache
/// on every call; a walk that asks for thousands of spans spends a tenth of its time there.
struct ParsedLines {
    /// The first starts past a byte-order mark and a shebang line, which are not parsed.
    starts: Vec<usize>,
    ascii: Vec<bool>,
}

impl ParsedLines {
    fn new(text: &str, base: usize) -> ParsedLines {
        let mut starts = vec![base];
        let mut ascii = Vec::new();
        let mut line_start = base;
        for (index, _) in text[base..].match_indices('\n') {
            let end = base + index + 1;
            ascii.push(text[line_start..end].is_ascii());
            starts.push(end);
            line_start = end;
        }
        ascii.push(text[line_start..].is_ascii());
        ParsedLines { starts, ascii }
    }

    fn offset(&self, text: &str, at: LineColumn) -> usize {
        let line = at.line.saturating_sub(1).min(self.starts.len() - 1);
        let start = self.starts[line];
        if self.ascii[line] {
            return (start + at.column).min(text.len());
        }
        text[start..]
            .char_indices()
            .nth(at.column)
            .map_or(text.len(), |(index, _)| start + index)
    }
}

/// The arguments of a macro call, parsed where the tool can see them.
pub struct MacroArgs {
    /// `Exprs` when the arguments parse as comma-separated expressions (`format!`, `info!`…);
    /// otherwise the string literals found in the tokens, each as an `Expr::Lit`.
    pub exprs: Vec<Expr>,
    pub parsed: bool,
}

pub struct RustParseError {
    pub span: Span,
    pub message: String,
}

impl<'s> RustFile<'s> {
    pub fn parse(source: &'s SourceFile, role: CodeRole) -> Result<RustFile<'s>, RustParseError> {
        let text = source.text.as_str();
        let mut base = if text.starts_with('\u{feff}') { 3 } else { 0 };
        if text[base..].starts_with("#!") && !text[base + 2..].trim_start().starts_with('[') {
            base += text[base..].find('\n').unwrap_or(text.len() - base);
        }
        if let Some(offset) = too_deep(&text[base..]) {
            return Err(RustParseError {
                span: Span::new(base + offset, base + offset + 1),
                message: format!("nesting deeper than {MAX_NESTING} levels is not checked"),
            });
        }
        if let Some(offset) = too_long_chain(&text[base..]) {
            return Err(RustParseError {
                span: Span::new(base + offset, base + offset + 1),
                message: format!(
                    "an expression or type chained deeper than {MAX_CHAIN} levels is not checked"
                ),
            });
        }
        let syntax = syn::parse_str::<syn::File>(&text[base..]).map_err(|error| {
            let range = error.span().byte_range();
            RustParseError {
                span: Span::new(base + range.start, base + range.end),
                message: error.to_string(),
            }
        })?;
        let (imports, glob_imports) = collect_imports(&syntax);
        let mut expander = MacroExpander::default();
        expander.visit_file(&syntax);
        Ok(RustFile {
            source,
            syntax,
            role,
            imports,
            glob_imports,
            macro_args: expander.args,
            lines: ParsedLines::new(text, base),
        })
    }

    pub fn text(&self) -> &'s str {
        &self.source.text
    }

    /// The byte span of any syntax node. syn finds a span by printing the whole node, which
    /// costs time in proportion to its size; expressions, calls and blocks are measured from
    /// their first and last tokens instead, so a walk may ask it of every node.
    pub fn span<T: Spanned + 'static>(&self, node: &T) -> Span {
        let any = node as &dyn std::any::Any;
        if let Some(expr) = any.downcast_ref::<Expr>() {
            return self.expr_span(expr);
        }
        if let Some(expr) = any.downcast_ref::<Box<Expr>>() {
            return self.expr_span(expr);
        }
        if let Some(call) = any.downcast_ref::<syn::ExprCall>() {
            return self.between(first_token(&call.func), call.paren_token.span.close());
        }
        if let Some(call) = any.downcast_ref::<syn::ExprMethodCall>() {
            return self.between(first_token(&call.receiver), call.paren_token.span.close());
        }
        let block = any
            .downcast_ref::<syn::Block>()
            .or_else(|| any.downcast_ref::<Box<syn::Block>>().map(|block| &**block));
        if let Some(block) = block {
            return self.between(
                block.brace_token.span.open(),
                block.brace_token.span.close(),
            );
        }
        if let Some(ident) = any.downcast_ref::<proc_macro2::Ident>() {
            return self.span_of(ident.span());
        }
        let edges = if let Some(path) = any.downcast_ref::<syn::Path>() {
            Some(edges::path_edges(path))
        } else if let Some(path) = any.downcast_ref::<syn::ExprPath>() {
            Some(edges::expr_path_edges(path))
        } else if let Some(tree) = any.downcast_ref::<syn::UseTree>() {
            Some(edges::use_tree_edges(tree))
        } else if let Some(name) = any.downcast_ref::<syn::UseName>() {
            Some((name.ident.span(), name.ident.span()))
        } else if let Some(rename) = any.downcast_ref::<syn::UseRename>() {
            Some((rename.ident.span(), rename.rename.span()))
        } else if let Some(glob) = any.downcast_ref::<syn::UseGlob>() {
            Some((glob.star_token.span, glob.star_token.span))
        } else if let Some(item) = any.downcast_ref::<syn::ItemStruct>() {
            edges::struct_edges(item)
        } else if let Some(stmt) = any.downcast_ref::<syn::Stmt>() {
            edges::stmt_edges(stmt)
        } else if let Some(local) = any.downcast_ref::<syn::Local>() {
            Some(edges::local_edges(local))
        } else if let Some(item) = any.downcast_ref::<Item>() {
            edges::item_edges(item)
        } else if let Some(function) = any.downcast_ref::<syn::ItemFn>() {
            Some(edges::function_edges(function))
        } else if let Some(item) = any.downcast_ref::<syn::ImplItem>() {
            edges::impl_item_edges(item)
        } else if let Some(item) = any.downcast_ref::<syn::TraitItem>() {
            edges::trait_item_edges(item)
        } else {
            None
        };
        match edges {
            Some((first, last)) => self.between(first, last),
            None => self.span_of(node.span()),
        }
    }

    fn between(&self, first: proc_macro2::Span, last: proc_macro2::Span) -> Span {
        Span::new(self.span_of(first).start, self.span_of(last).end)
    }

    /// The byte span of an expression, from its first and last tokens: costs time in proportion
    /// to the expression's depth, not its size, so a walk may ask it of every node.
    pub fn expr_span(&self, expr: &Expr) -> Span {
        self.between(first_token(expr), last_token(expr))
    }

    pub fn span_of(&self, span: proc_macro2::Span) -> Span {
        let text = self.text();
        Span::new(
            self.lines.offset(text, span.start()),
            self.lines.offset(text, span.end()),
        )
    }

    /// The parsed arguments of a macro call, if the tool could read them.
    pub fn macro_args(&self, mac: &Macro) -> Option<&MacroArgs> {
        self.macro_args.get(&macro_key(mac))
    }

    /// A path with its first segment resolved through the file's `use` items:
    /// after `use std::env;`, `env::var` becomes `std::env::var`.
    pub fn resolve(&self, path: &syn::Path) -> String {
        use std::fmt::Write;
        let mut segments = path.segments.iter();
        let Some(first) = segments.next() else {
            return String::new();
        };
        let first = first.ident.to_string();
        let mut joined = if path.leading_colon.is_some() {
            first
        } else {
            self.imports.get(&first).cloned().unwrap_or(first)
        };
        for segment in segments {
            let _ = write!(joined, "::{}", segment.ident);
        }
        joined
    }

    /// The path a call expression calls, as `resolve` gives it or, when its first segment is
    /// not imported by name, under any glob import of the file (`use simplelog::*;`), whichever
    /// `accept` takes.
    pub fn called_path_where(&self, expr: &Expr, accept: impl Fn(&str) -> bool) -> Option<String> {
        let Expr::Call(call) = expr else {
            return None;
        };
        let Expr::Path(path) = &*call.func else {
            return None;
        };
        let resolved = self.resolve(&path.path);
        if accept(&resolved) {
            return Some(resolved);
        }
        let first = path.path.segments.first()?.ident.to_string();
        if path.path.leading_colon.is_some() || self.imports.contains_key(&first) {
            return None;
        }
        self.glob_imports
            .iter()
            .map(|prefix| format!("{prefix}::{resolved}"))
            .find(|candidate| accept(candidate))
    }

    /// The resolved path of the function a call expression calls, if it calls a path.
    pub fn called_path(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Call(call) => match &*call.func {
                Expr::Path(path) => Some(self.resolve(&path.path)),
                _ => None,
            },
            _ => None,
        }
    }
}

impl RustFile<'_> {
    /// Files of out-of-line modules declared as test code here (`#[cfg(test)] mod tests;`),
    /// as paths relative to the workspace root. Both `name.rs` and `name/mod.rs` are given.
    pub fn test_module_files(&self) -> Vec<std::path::PathBuf> {
        let path = self.source.path.as_path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let dir = path.parent().unwrap_or(std::path::Path::new(""));
        let module_dir =
            if matches!(stem, "lib" | "main" | "mod") || self.role == CodeRole::BuildScript {
                dir.to_path_buf()
            } else {
                dir.join(stem)
            };
        let mut files = Vec::new();
        collect_test_modules(&self.syntax.items, &module_dir, false, &mut files);
        files
    }
}

fn collect_test_modules(
    items: &[syn::Item],
    dir: &std::path::Path,
    in_test: bool,
    files: &mut Vec<std::path::PathBuf>,
) {
    for item in items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        let test = in_test || is_test_code(&module.attrs);
        let explicit_path = module.attrs.iter().find_map(|attr| match &attr.meta {
            Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(path),
                    ..
                }) => Some(path.value()),
                _ => None,
            },
            _ => None,
        });
        let name = module.ident.to_string();
        match &module.content {
            Some((_, inner)) => collect_test_modules(inner, &dir.join(&name), test, files),
            None if test => match explicit_path {
                Some(path) => files.push(dir.join(path)),
                None => {
                    files.push(dir.join(format!("{name}.rs")));
                    files.push(dir.join(&name).join("mod.rs"));
                }
            },
            None => {}
        }
    }
}

/// The attributes of an item, for the kinds that can be test code.
pub fn item_attrs(item: &Item) -> Option<&[syn::Attribute]> {
    Some(match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        _ => return None,
    })
}

/// Brackets nested deeper than this are not parsed: no real code comes near it, and the parser
/// and every walk over the tree recurse once per level.
pub const MAX_NESTING: usize = 1_000;

/// Where the bracket nesting first goes past `MAX_NESTING`, counting every bracket (also in
/// strings and comments, which only makes the guard stricter).
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, byte) in text.bytes().enumerate() {
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(offset);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Operators, `as`, `else` and prefixes such as `return`, `&` or `*const` chained in one
/// expression or type nest the syntax tree one level each, with no bracket to show it
/// (`a + b + …`, `if … else if …`, `&&&&T`). Past this many levels, brackets included, a file
/// is not parsed: the parser and every walk recurse once per level.
pub const MAX_CHAIN: usize = 5_000;

/// Keywords that nest the syntax tree when chained.
const CHAIN_KEYWORDS: &[&[u8]] = &[
    b"as", b"else", b"return", b"break", b"yield", b"move", b"box", b"dyn", b"impl",
];

/// Where the syntax tree may first nest deeper than `MAX_CHAIN`. Each open bracket is a level,
/// and so is each operator character or chaining keyword since the last `,`, `;` or `=>` of its
/// bracket, or since a block that `else` does not follow. Comments, strings and character
/// literals are skipped.
fn too_long_chain(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    // For each open bracket (the file first): the operators since its last separator, and
    // whether it is a block.
    let mut levels: Vec<(usize, bool)> = vec![(0, false)];
    let mut depth = 0usize;
    let mut after_block = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let mut chains = false;
        let mut separates = false;
        let start = i;
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |end| i + end);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = comments::block_comment_end(bytes, i);
                continue;
            }
            b'"' => i = comments::string_end(bytes, i + 1),
            b'\'' => i = comments::char_or_lifetime_end(bytes, i),
            b'0'..=b'9' => {
                i += 1;
                while i < bytes.len()
                    && (is_word(bytes[i])
                        || bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
                {
                    i += 1;
                }
            }
            _ if is_word(byte) => {
                let literal = matches!(byte, b'r' | b'b' | b'c')
                    .then(|| comments::prefixed_literal_end(bytes, i))
                    .flatten();
                if let Some(end) = literal {
                    i = end;
                } else {
                    while i < bytes.len() && is_word(bytes[i]) {
                        i += 1;
                    }
                    let word = &bytes[start..i];
                    chains = CHAIN_KEYWORDS.contains(&word);
                    if after_block && word == b"else" {
                        after_block = false;
                    }
                }
            }
            b'(' | b'[' | b'{' => {
                i += 1;
                if after_block {
                    let run = std::mem::take(&mut levels.last_mut().expect("the file level").0);
                    depth -= run;
                    after_block = false;
                }
                levels.push((0, byte == b'{'));
                depth += 1;
                if depth > MAX_CHAIN {
                    return Some(start);
                }
                continue;
            }
            b')' | b']' | b'}' => {
                i += 1;
                if levels.len() > 1 {
                    let (run, block) = levels.pop().expect("an open bracket");
                    depth -= run + 1;
                    after_block = block;
                }
                continue;
            }
            b',' | b';' => {
                i += 1;
                separates = true;
            }
            b'=' if bytes.get(i + 1) == Some(&b'>') => {
                i += 2;
                separates = true;
            }
            b':' | b'#' | b'$' | b'@' | b'\\' => i += 1,
            _ => {
                i += 1;
                chains = true;
            }
        }
        let level = levels.last_mut().expect("the file level");
        if separates || after_block {
            depth -= std::mem::take(&mut level.0);
            after_block = false;
        }
        if chains {
            level.0 += 1;
            depth += 1;
            if depth > MAX_CHAIN {
                return Some(start);
            }
        }
    }
    None
}

/// Test code by attribute: `#[test]`, `#[tokio::test]`, `#[rstest]`, `#[cfg(test)]`…
pub fn is_test_code(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let path = attr.path();
        let last = path.segments.last().map(|s| s.ident.to_string());
        match last.as_deref() {
            Some("test" | "bench" | "rstest" | "test_case" | "quickcheck" | "proptest") => true,
            Some("cfg") if path.segments.len() == 1 => match &attr.meta {
                Meta::List(list) => cfg_requires_test(list.tokens.clone()),
                _ => false,
            },
            _ => false,
        }
    })
}

/// `test`, `all(test, …)` and nested `all`s require the test harness; `any` and `not` do not.
fn cfg_requires_test(tokens: TokenStream) -> bool {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    match trees.as_slice() {
        [TokenTree::Ident(ident)] => ident == "test",
        [TokenTree::Ident(ident), TokenTree::Group(group)] if ident == "all" => group
            .stream()
            .into_iter()
            .collect::<Vec<_>>()
            .split(|tree| matches!(tree, TokenTree::Punct(p) if p.as_char() == ','))
            .any(|predicate| cfg_requires_test(predicate.iter().cloned().collect())),
        _ => false,
    }
}

/// The value of a plain string literal expression (`"…"`, `r"…"`).
pub fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Some(lit.value()),
        Expr::Group(group) => string_literal(&group.expr),
        Expr::Paren(paren) => string_literal(&paren.expr),
        _ => None,
    }
}

pub fn bool_literal(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(lit),
            ..
        }) => Some(lit.value),
        Expr::Group(group) => bool_literal(&group.expr),
        Expr::Paren(paren) => bool_literal(&paren.expr),
        _ => None,
    }
}

/// The receivers of a method chain, innermost last: for `a.b().c()` starting at `.c()`, yields
/// `.c()`, `.b()`, then `a`.
pub fn method_chain(expr: &Expr) -> impl Iterator<Item = &Expr> {
    std::iter::successors(Some(expr), |expr| match expr {
        Expr::MethodCall(call) => Some(&*call.receiver),
        Expr::Try(try_expr) => Some(&*try_expr.expr),
        Expr::Await(await_expr) => Some(&*await_expr.base),
        Expr::Paren(paren) => Some(&*paren.expr),
        Expr::Group(group) => Some(&*group.expr),
        _ => None,
    })
}

fn macro_key(mac: &Macro) -> LineColumn {
    mac.bang_token.span.start()
}

fn macro_name(mac: &Macro) -> String {
    mac.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// Parses the arguments of every macro call once, so the rule pass can walk into them.
#[derive(Default)]
struct MacroExpander {
    args: HashMap<LineColumn, MacroArgs>,
}

impl MacroExpander {
    fn expand(&mut self, mac: &Macro) {
        if macro_name(mac) == "macro_rules" {
            return;
        }
        let parser = Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        let args = match syn::parse::Parser::parse2(parser, mac.tokens.clone()) {
            Ok(exprs) => MacroArgs {
                exprs: exprs.into_iter().collect(),
                parsed: true,
            },
            Err(_) => {
                let mut exprs = Vec::new();
                collect_string_literals(mac.tokens.clone(), &mut exprs);
                MacroArgs {
                    exprs,
                    parsed: false,
                }
            }
        };
        for expr in &args.exprs {
            self.visit_expr(expr);
        }
        self.args.insert(macro_key(mac), args);
    }
}

impl<'ast> Visit<'ast> for MacroExpander {
    fn visit_macro(&mut self, mac: &'ast Macro) {
        self.expand(mac);
    }

    fn visit_attribute(&mut self, _: &'ast Attribute) {}
}

fn collect_string_literals(tokens: TokenStream, out: &mut Vec<Expr>) {
    for tree in tokens {
        match tree {
            TokenTree::Group(group) => collect_string_literals(group.stream(), out),
            TokenTree::Literal(literal) => {
                let tokens = TokenStream::from(TokenTree::Literal(literal));
                if let Ok(lit) = syn::parse2::<syn::LitStr>(tokens) {
                    out.push(Expr::Lit(syn::ExprLit {
                        attrs: Vec::new(),
                        lit: syn::Lit::Str(lit),
                    }));
                }
            }
            _ => {}
        }
    }
}

/// Maps each name a `use` item brings into scope to the full path it stands for, and lists the
/// paths of glob imports. One map per file: a name imported differently in two modules of one
/// file keeps the last.
fn collect_imports(file: &syn::File) -> (HashMap<String, String>, Vec<String>) {
    #[derive(Default)]
    struct Collector {
        imports: HashMap<String, String>,
        globs: Vec<String>,
    }
    impl<'ast> Visit<'ast> for Collector {
        fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
            add_use_tree(&item.tree, String::new(), self);
        }
        fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
            if let Some((_, alias)) = &item.rename {
                self.imports
                    .insert(alias.to_string(), item.ident.to_string());
            }
        }
    }
    fn add_use_tree(tree: &syn::UseTree, prefix: String, out: &mut Collector) {
        let join = |name: &syn::Ident| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}::{name}")
            }
        };
        match tree {
            syn::UseTree::Path(path) => add_use_tree(&path.tree, join(&path.ident), out),
            syn::UseTree::Name(name) if name.ident == "self" => {
                if let Some(last) = prefix.rsplit("::").next() {
                    out.imports.insert(last.to_string(), prefix.clone());
                }
            }
            syn::UseTree::Name(name) => {
                out.imports
                    .insert(name.ident.to_string(), join(&name.ident));
            }
            syn::UseTree::Rename(rename) => {
                let full = if rename.ident == "self" {
                    prefix.clone()
                } else {
                    join(&rename.ident)
                };
                out.imports.insert(rename.rename.to_string(), full);
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    add_use_tree(tree, prefix.clone(), out);
                }
            }
            syn::UseTree::Glob(_) => out.globs.push(prefix),
        }
    }
    let mut collector = Collector::default();
    collector.visit_file(file);
    (collector.imports, collector.globs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    fn source(text: &str) -> SourceFile {
        SourceFile::new(
            Arc::new(PathBuf::from("src/lib.rs")),
            PathBuf::from("/ws/src/lib.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        )
    }

    fn first_call_path(file: &RustFile) -> String {
        struct Find<'f, 's>(&'f RustFile<'s>, Vec<String>);
        impl<'ast> Visit<'ast> for Find<'_, '_> {
            fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
                if let Expr::Path(path) = &*call.func {
                    self.1.push(self.0.resolve(&path.path));
                }
                syn::visit::visit_expr_call(self, call);
            }
        }
        let mut find = Find(file, Vec::new());
        find.visit_file(&file.syntax);
        find.1.remove(0)
    }

    #[test]
    fn long_chains_are_refused_before_parsing() {
        let over = MAX_CHAIN + 1;
        let sum = format!("fn f() -> u8 {{ 1{} }}\n", " + 1".repeat(over));
        // At the operator that goes one level too deep.
        let at = too_long_chain(&sum).expect("a chain of sums");
        assert_eq!(&sum[at..at + 1], "+");
        // `->` and the body's brace are three levels.
        assert_eq!(sum[..at].matches('+').count(), MAX_CHAIN - 3);
        let cases = [
            format!("fn f() {{ if a {{}} {} }}", "else if a {} ".repeat(over)),
            format!("type T = {}u8;", "*const ".repeat(over)),
            format!("fn f(x: {}u8) {{}}", "&".repeat(over)),
            format!("fn f() {{ {}1; }}", "return ".repeat(over)),
            format!("fn f() {{ let _ = vec![a{}]; }}", ".b()".repeat(over)),
            format!("fn f() {{ x{} }}", " as u8".repeat(over)),
        ];
        for text in &cases {
            assert!(too_long_chain(text).is_some(), "{}", &text[..40]);
        }
        let file = source(&sum);
        let error = RustFile::parse(&file, CodeRole::Production)
            .err()
            .expect("a parse error");
        assert!(
            error.message.contains("chained deeper than"),
            "{}",
            error.message
        );
    }

    #[test]
    fn long_flat_code_is_not_a_chain() {
        let many = MAX_CHAIN * 3;
        let cases = [
            // Separated by commas and semicolons.
            format!("const A: [u8; {many}] = [{}];", "1 + 1, ".repeat(many)),
            format!("fn f() {{ {} }}", "x.f(a + b);".repeat(many)),
            // Items and statements that end in a block.
            "fn f() -> Result<Vec<u8>, E> { a + b }\n".repeat(many),
            format!(
                "fn f() {{ {} }}",
                "if a + b {} else {} for x in y.z() {}".repeat(many)
            ),
            format!(
                "fn f() {{ match x {{ {} }} }}",
                "A => a + b, B => { c } ".repeat(many)
            ),
            // Operators inside comments, strings and character literals.
            format!("// {}\nfn f() {{}}", "a + ".repeat(many)),
            format!("/* /* {} */ */ fn f() {{}}", "a + ".repeat(many)),
            format!("const S: &str = \"{}\\\" + \";", "a + ".repeat(many)),
            format!("const S: &str = r#\"\"{}\"#;", "a + ".repeat(many)),
            format!(
                "fn f<'a>() {{ {} }}",
                "let _ = '\\'' ; let _ = '+';".repeat(many)
            ),
        ];
        for text in &cases {
            assert_eq!(too_long_chain(text), None, "{}", &text[..60]);
        }
    }

    #[test]
    fn use_items_resolve_paths() {
        for (text, expected) in [
            ("use std::env; fn f() { env::var(\"A\"); }", "std::env::var"),
            ("use std::env::var; fn f() { var(\"A\"); }", "std::env::var"),
            (
                "use std::env::{self, var_os}; fn f() { env::var(\"A\"); }",
                "std::env::var",
            ),
            (
                "use std::env::var as getenv; fn f() { getenv(\"A\"); }",
                "std::env::var",
            ),
            ("fn f() { std::env::var(\"A\"); }", "std::env::var"),
            (
                "use std::{env as e}; fn f() { e::var(\"A\"); }",
                "std::env::var",
            ),
        ] {
            let source = source(text);
            let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
            assert_eq!(first_call_path(&file), expected, "{text}");
        }
    }

    #[test]
    fn spans_survive_a_byte_order_mark_and_shebang() {
        let text = "\u{feff}#!/usr/bin/env run\nfn main() { let x = \"hi\"; }\n";
        let source = source(text);
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        let syn::Item::Fn(main) = &file.syntax.items[0] else {
            panic!()
        };
        let span = file.span(&main.sig.ident);
        assert_eq!(&text[span.start..span.end], "main");
    }

    #[test]
    fn expression_spans_from_first_and_last_tokens_match_syn() {
        let text = r#"fn f() {
    let a = x.y(1).z? + w[2] as u8;
    let b = |v| async move { v.await };
    let c = if k { 1 } else if j { 2 } else { 3 };
    let d = Config { a: 1, ..Default::default() };
    let e = &mut *p..=q;
    let f = match v { _ => {} };
    let g = -m!(x) * (p, q).0;
    let h = #[allow(x)] 'l: loop { break 'l 5; };
}"#;
        let source = source(text);
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        struct All<'f, 's>(&'f RustFile<'s>, usize);
        impl<'ast> Visit<'ast> for All<'_, '_> {
            fn visit_expr(&mut self, expr: &'ast Expr) {
                let printed = self.0.span_of(syn::spanned::Spanned::span(expr));
                assert_eq!(
                    self.0.expr_span(expr),
                    printed,
                    "{}",
                    quote::ToTokens::to_token_stream(expr)
                );
                self.1 += 1;
                syn::visit::visit_expr(self, expr);
            }
        }
        let mut all = All(&file, 0);
        all.visit_file(&file.syntax);
        assert!(all.1 > 40, "{}", all.1);
    }

    #[test]
    fn statement_and_item_spans_from_first_and_last_tokens_match_syn() {
        let text = r#"//! crate docs
#![allow(dead_code)]
use std::{env, fmt::Write as _};
extern crate alloc;
/// A struct.
#[derive(Debug)]
pub struct Named { a: u8 }
pub(crate) struct Tuple(u8);
struct Unit;
enum E { A, B(u8) }
union U { a: u8 }
pub trait T: Sized { const C: u8; type X; fn f(&self) -> u8 { 1 } fn g(&self); }
unsafe impl Send for Named {}
impl Named { pub const D: u8 = 1; type Y = u8; #[inline] pub async fn h(&self) {} }
const K: u8 = 1;
static mut S: u8 = 2;
type A = u8;
mod outer { #![allow(unused)] pub mod inner; }
macro_rules! m { () => {} }
m!();
extern "C" { fn c(); }
#[cfg(test)]
pub(super) const unsafe extern "C" fn f() {
    #[allow(unused)]
    let a = 1;
    let b: u8 = 2 else { return };
    println!("{}", a);
    vec![1];
    fn nested() {}
    let v = Vec::<u8>::new();
    let w: Box<dyn Fn(u8)> = ::std::boxed::Box::new(|_| {});
    let q = <u8 as Default>::default();
    use a::{b::*, c as d, e::{f, g}};
    a + b
}"#;
        let source = source(text);
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        struct All<'f, 's>(&'f RustFile<'s>, usize);
        impl All<'_, '_> {
            fn check<T: Spanned + quote::ToTokens + 'static>(&mut self, node: &T) {
                let printed = self.0.span_of(Spanned::span(node));
                assert_eq!(self.0.span(node), printed, "{}", node.to_token_stream());
                self.1 += 1;
            }
        }
        impl<'ast> Visit<'ast> for All<'_, '_> {
            fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
                self.check(stmt);
                syn::visit::visit_stmt(self, stmt);
            }
            fn visit_local(&mut self, local: &'ast syn::Local) {
                self.check(local);
                syn::visit::visit_local(self, local);
            }
            fn visit_item(&mut self, item: &'ast Item) {
                self.check(item);
                syn::visit::visit_item(self, item);
            }
            fn visit_path(&mut self, path: &'ast syn::Path) {
                self.check(path);
                syn::visit::visit_path(self, path);
            }
            fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
                self.check(path);
                syn::visit::visit_expr_path(self, path);
            }
            fn visit_use_tree(&mut self, tree: &'ast syn::UseTree) {
                self.check(tree);
                syn::visit::visit_use_tree(self, tree);
            }
            fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
                self.check(ident);
            }
            fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
                self.check(item);
                syn::visit::visit_item_struct(self, item);
            }
            fn visit_item_fn(&mut self, function: &'ast syn::ItemFn) {
                self.check(function);
                self.check(&function.block);
                syn::visit::visit_item_fn(self, function);
            }
            fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
                self.check(item);
                syn::visit::visit_impl_item(self, item);
            }
            fn visit_trait_item(&mut self, item: &'ast syn::TraitItem) {
                self.check(item);
                syn::visit::visit_trait_item(self, item);
            }
        }
        let mut all = All(&file, 0);
        all.visit_file(&file.syntax);
        assert!(all.1 > 150, "{}", all.1);
    }

    #[test]
    fn token_offsets_match_proc_macro2_byte_ranges() {
        let text = "\u{feff}#!/usr/bin/env run-cargo-script\r\nfn é() {\r\n    let ß = \"a\nçé\";  let z = 'ü'; /* ✓ */ f(ß, z)\n}\n";
        let source = source(text);
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        fn walk(file: &RustFile<'_>, tokens: TokenStream, seen: &mut usize) {
            for token in tokens {
                let range = token.span().byte_range();
                let expected = Span::new(
                    file.lines.starts[0] + range.start,
                    file.lines.starts[0] + range.end,
                );
                assert_eq!(file.span_of(token.span()), expected, "{token}");
                *seen += 1;
                if let TokenTree::Group(group) = token {
                    walk(file, group.stream(), seen);
                }
            }
        }
        let mut seen = 0;
        walk(
            &file,
            quote::ToTokens::to_token_stream(&file.syntax),
            &mut seen,
        );
        assert!(seen > 15, "{seen}");
    }

    #[test]
    fn parse_errors_carry_their_position() {
        let source = source("fn main() {\n    let = 1;\n}\n");
        let Err(error) = RustFile::parse(&source, CodeRole::Production) else {
            panic!()
        };
        assert_eq!(source.location(error.span).start.line, 2);
    }

    #[test]
    fn macro_arguments_are_parsed_or_scanned_for_literals() {
        let text = r#"fn f() { println!("{}", "a"); json!({"k": "b"}); }"#;
        let source = source(text);
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        let mut parsed: Vec<(bool, Vec<String>)> = file
            .macro_args
            .values()
            .map(|a| {
                (
                    a.parsed,
                    a.exprs.iter().filter_map(string_literal).collect(),
                )
            })
            .collect();
        parsed.sort();
        assert_eq!(
            parsed,
            [
                (false, vec!["k".into(), "b".into()]),
                (true, vec!["{}".into(), "a".into()])
            ]
        );
    }

    #[test]
    fn test_attributes_are_recognised() {
        let attrs = |text: &str| syn::parse_str::<syn::ItemFn>(text).unwrap().attrs;
        assert!(is_test_code(&attrs("#[test] fn t() {}")));
        assert!(is_test_code(&attrs("#[tokio::test] async fn t() {}")));
        assert!(is_test_code(&attrs("#[cfg(test)] fn t() {}")));
        assert!(is_test_code(&attrs("#[cfg(all(test, unix))] fn t() {}")));
        assert!(!is_test_code(&attrs(
            "#[cfg(any(test, feature = \"x\"))] fn t() {}"
        )));
        assert!(!is_test_code(&attrs("#[cfg(not(test))] fn t() {}")));
        assert!(!is_test_code(&attrs("#[inline] fn t() {}")));
    }

    #[test]
    fn out_of_line_test_modules_are_found() {
        let text = "#[cfg(test)] mod tests; mod api { #[cfg(test)] mod checks; } mod real;";
        let source = SourceFile::new(
            Arc::new(PathBuf::from("svc/src/orders.rs")),
            PathBuf::from("/ws/svc/src/orders.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        let files: Vec<String> = file
            .test_module_files()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            files,
            [
                "svc/src/orders/tests.rs",
                "svc/src/orders/tests/mod.rs",
                "svc/src/orders/api/checks.rs",
                "svc/src/orders/api/checks/mod.rs"
            ]
        );
    }

    #[test]
    fn roles_follow_the_package_layout() {
        assert_eq!(
            CodeRole::of_package_path(Path::new("src/main.rs")),
            CodeRole::Production
        );
        assert_eq!(
            CodeRole::of_package_path(Path::new("tests/api.rs")),
            CodeRole::Test
        );
        assert_eq!(
            CodeRole::of_package_path(Path::new("examples/x.rs")),
            CodeRole::Example
        );
        assert_eq!(
            CodeRole::of_package_path(Path::new("benches/b.rs")),
            CodeRole::Bench
        );
        assert_eq!(
            CodeRole::of_package_path(Path::new("build.rs")),
            CodeRole::BuildScript
        );
    }
}
