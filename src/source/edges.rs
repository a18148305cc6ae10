//! The first and last tokens of syntax nodes. syn's `Spanned::span()` prints a node to find its
//! span, which costs time in proportion to the node's size; walks that ask for the span of every
//! statement or item would go quadratic. These functions follow a node's left and right edges
//! instead, so they cost time in proportion to its depth.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{AttrStyle, Attribute, Expr, ImplItem, Item, Local, Stmt, TraitItem, Visibility};

/// The first and last token of an item, or `None` for the rare kinds left to `Spanned`.
pub fn item_edges(item: &Item) -> Option<(Span, Span)> {
    let (attrs, vis, keyword, last) = match item {
        Item::Fn(function) => return Some(function_edges(function)),
        Item::Impl(i) => (
            &i.attrs,
            &Visibility::Inherited,
            i.defaultness
                .map(|t| t.span)
                .or(i.unsafety.map(|t| t.span))
                .unwrap_or(i.impl_token.span),
            i.brace_token.span.close(),
        ),
        Item::Mod(i) => (
            &i.attrs,
            &i.vis,
            i.unsafety.map_or(i.mod_token.span, |t| t.span),
            match (&i.content, &i.semi) {
                (Some((brace, _)), _) => brace.span.close(),
                (None, Some(semi)) => semi.span,
                (None, None) => return None,
            },
        ),
        Item::Struct(item) => return struct_edges(item),
        Item::Enum(i) => (
            &i.attrs,
            &i.vis,
            i.enum_token.span,
            i.brace_token.span.close(),
        ),
        Item::Union(i) => (
            &i.attrs,
            &i.vis,
            i.union_token.span,
            i.fields.brace_token.span.close(),
        ),
        Item::Trait(i) => (
            &i.attrs,
            &i.vis,
            i.unsafety
                .map(|t| t.span)
                .or(i.auto_token.map(|t| t.span))
                .unwrap_or(i.trait_token.span),
            i.brace_token.span.close(),
        ),
        Item::Const(i) => (&i.attrs, &i.vis, i.const_token.span, i.semi_token.span),
        Item::Static(i) => (&i.attrs, &i.vis, i.static_token.span, i.semi_token.span),
        Item::Type(i) => (&i.attrs, &i.vis, i.type_token.span, i.semi_token.span),
        Item::Use(i) => (&i.attrs, &i.vis, i.use_token.span, i.semi_token.span),
        Item::ExternCrate(i) => (&i.attrs, &i.vis, i.extern_token.span, i.semi_token.span),
        Item::ForeignMod(i) => (
            &i.attrs,
            &Visibility::Inherited,
            i.unsafety.map_or(i.abi.extern_token.span, |t| t.span),
            i.brace_token.span.close(),
        ),
        Item::Macro(i) => (
            &i.attrs,
            &Visibility::Inherited,
            path_start(&i.mac.path),
            i.semi_token
                .map_or(i.mac.delimiter.span().close(), |t| t.span),
        ),
        _ => return None,
    };
    Some((leading(attrs, vis).unwrap_or(keyword), last))
}

/// The first and last token of a function item.
pub fn function_edges(function: &syn::ItemFn) -> (Span, Span) {
    (
        leading(&function.attrs, &function.vis).unwrap_or(signature_start(&function.sig)),
        function.block.brace_token.span.close(),
    )
}

/// The first and last token of an item in an `impl` block.
pub fn impl_item_edges(item: &ImplItem) -> Option<(Span, Span)> {
    let (attrs, vis, keyword, last) = match item {
        ImplItem::Fn(i) => (
            &i.attrs,
            &i.vis,
            i.defaultness.map_or(signature_start(&i.sig), |t| t.span),
            i.block.brace_token.span.close(),
        ),
        ImplItem::Const(i) => (&i.attrs, &i.vis, i.const_token.span, i.semi_token.span),
        ImplItem::Type(i) => (&i.attrs, &i.vis, i.type_token.span, i.semi_token.span),
        _ => return None,
    };
    Some((leading(attrs, vis).unwrap_or(keyword), last))
}

/// The first and last token of an item in a trait definition.
pub fn trait_item_edges(item: &TraitItem) -> Option<(Span, Span)> {
    let (attrs, keyword, last) = match item {
        TraitItem::Fn(i) => (
            &i.attrs,
            signature_start(&i.sig),
            match (&i.default, &i.semi_token) {
                (Some(block), _) => block.brace_token.span.close(),
                (None, Some(semi)) => semi.span,
                (None, None) => return None,
            },
        ),
        TraitItem::Const(i) => (&i.attrs, i.const_token.span, i.semi_token.span),
        TraitItem::Type(i) => (&i.attrs, i.type_token.span, i.semi_token.span),
        _ => return None,
    };
    Some((
        leading(attrs, &Visibility::Inherited).unwrap_or(keyword),
        last,
    ))
}

/// The first and last token of a statement.
pub fn stmt_edges(stmt: &Stmt) -> Option<(Span, Span)> {
    match stmt {
        Stmt::Local(local) => Some(local_edges(local)),
        Stmt::Item(item) => item_edges(item),
        Stmt::Expr(expr, semi) => Some((
            first_token(expr),
            semi.map_or_else(|| last_token(expr), |t| t.span),
        )),
        Stmt::Macro(mac) => Some((
            leading(&mac.attrs, &Visibility::Inherited).unwrap_or(path_start(&mac.mac.path)),
            mac.semi_token
                .map_or(mac.mac.delimiter.span().close(), |t| t.span),
        )),
    }
}

/// The first and last token of a `let` statement.
pub fn local_edges(local: &Local) -> (Span, Span) {
    (
        leading(&local.attrs, &Visibility::Inherited).unwrap_or(local.let_token.span),
        local.semi_token.span,
    )
}

/// The first and last token of a struct definition.
pub fn struct_edges(item: &syn::ItemStruct) -> Option<(Span, Span)> {
    let last = match (&item.fields, &item.semi_token) {
        (_, Some(semi)) => semi.span,
        (syn::Fields::Named(fields), None) => fields.brace_token.span.close(),
        _ => return None,
    };
    Some((
        leading(&item.attrs, &item.vis).unwrap_or(item.struct_token.span),
        last,
    ))
}

/// The first and last token of a path, generic arguments included.
pub fn path_edges(path: &syn::Path) -> (Span, Span) {
    let last = path.segments.last().map_or_else(
        || path.span(),
        |segment| match &segment.arguments {
            syn::PathArguments::None => segment.ident.span(),
            syn::PathArguments::AngleBracketed(arguments) => arguments.gt_token.span,
            syn::PathArguments::Parenthesized(arguments) => match &arguments.output {
                syn::ReturnType::Default => arguments.paren_token.span.close(),
                syn::ReturnType::Type(..) => segment.span(),
            },
        },
    );
    (path_start(path), last)
}

/// The first and last token of a path expression, `<T as Trait>::` included.
pub fn expr_path_edges(path: &syn::ExprPath) -> (Span, Span) {
    let (start, last) = path_edges(&path.path);
    let start = path
        .qself
        .as_ref()
        .map_or(start, |qself| qself.lt_token.span);
    (
        leading(&path.attrs, &Visibility::Inherited).unwrap_or(start),
        last,
    )
}

/// The first and last token of a `use` tree.
pub fn use_tree_edges(tree: &syn::UseTree) -> (Span, Span) {
    match tree {
        syn::UseTree::Path(path) => (path.ident.span(), use_tree_edges(&path.tree).1),
        syn::UseTree::Name(name) => (name.ident.span(), name.ident.span()),
        syn::UseTree::Rename(rename) => (rename.ident.span(), rename.rename.span()),
        syn::UseTree::Glob(glob) => (glob.star_token.span, glob.star_token.span),
        syn::UseTree::Group(group) => (
            group.brace_token.span.open(),
            group.brace_token.span.close(),
        ),
    }
}

/// The first token of a path: its leading `::` or its first segment's name.
pub fn path_start(path: &syn::Path) -> Span {
    match (&path.leading_colon, path.segments.first()) {
        (Some(colons), _) => colons.spans[0],
        (None, Some(segment)) => segment.ident.span(),
        (None, None) => path.span(),
    }
}

/// Where a declaration starts before its keyword: its first outer attribute, or its `pub`.
fn leading(attrs: &[Attribute], vis: &Visibility) -> Option<Span> {
    attrs
        .iter()
        .find(|attr| matches!(attr.style, AttrStyle::Outer))
        .map(|attr| attr.pound_token.span)
        .or(match vis {
            Visibility::Public(token) => Some(token.span),
            Visibility::Restricted(restricted) => Some(restricted.pub_token.span),
            Visibility::Inherited => None,
        })
}

fn signature_start(sig: &syn::Signature) -> Span {
    sig.constness
        .map(|t| t.span)
        .or(sig.asyncness.map(|t| t.span))
        .or(sig.unsafety.map(|t| t.span))
        .or(sig.abi.as_ref().map(|abi| abi.extern_token.span))
        .unwrap_or(sig.fn_token.span)
}

/// The span of an expression's first token, found down its left edge.
pub fn first_token(expr: &Expr) -> Span {
    if let Some(attr) = expr_attrs(expr).first() {
        return attr.pound_token.span;
    }
    match expr {
        Expr::Array(e) => e.bracket_token.span.open(),
        Expr::Assign(e) => first_token(&e.left),
        Expr::Async(e) => e.async_token.span,
        Expr::Await(e) => first_token(&e.base),
        Expr::Binary(e) => first_token(&e.left),
        Expr::Block(e) => e
            .label
            .as_ref()
            .map_or(e.block.brace_token.span.open(), |l| l.name.apostrophe),
        Expr::Break(e) => e.break_token.span,
        Expr::Call(e) => first_token(&e.func),
        Expr::Cast(e) => first_token(&e.expr),
        Expr::Closure(e) => e
            .lifetimes
            .as_ref()
            .map(|l| l.for_token.span)
            .or(e.constness.map(|t| t.span))
            .or(e.movability.map(|t| t.span))
            .or(e.asyncness.map(|t| t.span))
            .or(e.capture.map(|t| t.span))
            .unwrap_or(e.or1_token.span),
        Expr::Const(e) => e.const_token.span,
        Expr::Continue(e) => e.continue_token.span,
        Expr::Field(e) => first_token(&e.base),
        Expr::ForLoop(e) => e
            .label
            .as_ref()
            .map_or(e.for_token.span, |l| l.name.apostrophe),
        Expr::Group(e) => first_token(&e.expr),
        Expr::If(e) => e.if_token.span,
        Expr::Index(e) => first_token(&e.expr),
        Expr::Let(e) => e.let_token.span,
        Expr::Loop(e) => e
            .label
            .as_ref()
            .map_or(e.loop_token.span, |l| l.name.apostrophe),
        Expr::Match(e) => e.match_token.span,
        Expr::MethodCall(e) => first_token(&e.receiver),
        Expr::Paren(e) => e.paren_token.span.open(),
        Expr::Range(e) => e
            .start
            .as_deref()
            .map_or_else(|| e.limits.span(), first_token),
        Expr::RawAddr(e) => e.and_token.span,
        Expr::Reference(e) => e.and_token.span,
        Expr::Repeat(e) => e.bracket_token.span.open(),
        Expr::Return(e) => e.return_token.span,
        Expr::Try(e) => first_token(&e.expr),
        Expr::TryBlock(e) => e.try_token.span,
        Expr::Tuple(e) => e.paren_token.span.open(),
        Expr::Unary(e) => e.op.span(),
        Expr::Unsafe(e) => e.unsafe_token.span,
        Expr::While(e) => e
            .label
            .as_ref()
            .map_or(e.while_token.span, |l| l.name.apostrophe),
        Expr::Yield(e) => e.yield_token.span,
        // Paths, literals, macros and struct literals start with a small, cheap-to-print head.
        Expr::Lit(e) => e.lit.span(),
        Expr::Path(e) => e
            .qself
            .as_ref()
            .map_or_else(|| path_start(&e.path), |q| q.lt_token.span),
        Expr::Macro(e) => path_start(&e.mac.path),
        Expr::Struct(e) => e
            .qself
            .as_ref()
            .map_or_else(|| path_start(&e.path), |q| q.lt_token.span),
        other => other.span(),
    }
}

/// The span of an expression's last token, found down its right edge.
pub fn last_token(expr: &Expr) -> Span {
    match expr {
        Expr::Array(e) => e.bracket_token.span.close(),
        Expr::Assign(e) => last_token(&e.right),
        Expr::Async(e) => e.block.brace_token.span.close(),
        Expr::Await(e) => e.await_token.span,
        Expr::Binary(e) => last_token(&e.right),
        Expr::Block(e) => e.block.brace_token.span.close(),
        Expr::Break(e) => e.expr.as_deref().map_or_else(
            || {
                e.label
                    .as_ref()
                    .map_or(e.break_token.span, |l| l.ident.span())
            },
            last_token,
        ),
        Expr::Call(e) => e.paren_token.span.close(),
        Expr::Cast(e) => e.ty.span(),
        Expr::Closure(e) => last_token(&e.body),
        Expr::Const(e) => e.block.brace_token.span.close(),
        Expr::Continue(e) => e
            .label
            .as_ref()
            .map_or(e.continue_token.span, |l| l.ident.span()),
        Expr::Field(e) => e.member.span(),
        Expr::ForLoop(e) => e.body.brace_token.span.close(),
        Expr::Group(e) => last_token(&e.expr),
        Expr::If(e) => e
            .else_branch
            .as_ref()
            .map_or(e.then_branch.brace_token.span.close(), |(_, otherwise)| {
                last_token(otherwise)
            }),
        Expr::Index(e) => e.bracket_token.span.close(),
        Expr::Let(e) => last_token(&e.expr),
        Expr::Loop(e) => e.body.brace_token.span.close(),
        Expr::Match(e) => e.brace_token.span.close(),
        Expr::MethodCall(e) => e.paren_token.span.close(),
        Expr::Paren(e) => e.paren_token.span.close(),
        Expr::Range(e) => e.end.as_deref().map_or_else(|| e.limits.span(), last_token),
        Expr::RawAddr(e) => last_token(&e.expr),
        Expr::Reference(e) => last_token(&e.expr),
        Expr::Repeat(e) => e.bracket_token.span.close(),
        Expr::Return(e) => e.expr.as_deref().map_or(e.return_token.span, last_token),
        Expr::Struct(e) => e.brace_token.span.close(),
        Expr::Try(e) => e.question_token.span,
        Expr::TryBlock(e) => e.block.brace_token.span.close(),
        Expr::Tuple(e) => e.paren_token.span.close(),
        Expr::Unary(e) => last_token(&e.expr),
        Expr::Unsafe(e) => e.block.brace_token.span.close(),
        Expr::While(e) => e.body.brace_token.span.close(),
        Expr::Yield(e) => e.expr.as_deref().map_or(e.yield_token.span, last_token),
        Expr::Lit(e) => e.lit.span(),
        Expr::Macro(e) => e.mac.delimiter.span().close(),
        Expr::Path(e) => e
            .path
            .segments
            .last()
            .map_or_else(|| e.path.span(), |s| s.span()),
        other => other.span(),
    }
}

/// The outer attributes an expression carries (`#[cfg(test)] { … }`, `#[allow(x)] call()`).
pub fn expr_attrs(expr: &Expr) -> &[Attribute] {
    match expr {
        Expr::Array(e) => &e.attrs,
        Expr::Assign(e) => &e.attrs,
        Expr::Async(e) => &e.attrs,
        Expr::Await(e) => &e.attrs,
        Expr::Binary(e) => &e.attrs,
        Expr::Block(e) => &e.attrs,
        Expr::Call(e) => &e.attrs,
        Expr::Closure(e) => &e.attrs,
        Expr::If(e) => &e.attrs,
        Expr::Lit(e) => &e.attrs,
        Expr::Match(e) => &e.attrs,
        Expr::MethodCall(e) => &e.attrs,
        Expr::Path(e) => &e.attrs,
        Expr::Struct(e) => &e.attrs,
        Expr::Unary(e) => &e.attrs,
        Expr::Break(e) => &e.attrs,
        Expr::Cast(e) => &e.attrs,
        Expr::Const(e) => &e.attrs,
        Expr::Continue(e) => &e.attrs,
        Expr::Field(e) => &e.attrs,
        Expr::ForLoop(e) => &e.attrs,
        Expr::Group(e) => &e.attrs,
        Expr::Index(e) => &e.attrs,
        Expr::Let(e) => &e.attrs,
        Expr::Loop(e) => &e.attrs,
        Expr::Macro(e) => &e.attrs,
        Expr::Paren(e) => &e.attrs,
        Expr::Range(e) => &e.attrs,
        Expr::RawAddr(e) => &e.attrs,
        Expr::Reference(e) => &e.attrs,
        Expr::Repeat(e) => &e.attrs,
        Expr::Return(e) => &e.attrs,
        Expr::Try(e) => &e.attrs,
        Expr::TryBlock(e) => &e.attrs,
        Expr::Tuple(e) => &e.attrs,
        Expr::Unsafe(e) => &e.attrs,
        Expr::While(e) => &e.attrs,
        Expr::Yield(e) => &e.attrs,
        _ => &[],
    }
}
