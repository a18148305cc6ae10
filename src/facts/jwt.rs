//! JSON Web Token libraries (jsonwebtoken, jwt, josekit): the calls and settings that accept a
//! token without checking its signature or its expiry.

use std::collections::HashSet;

use syn::visit::Visit;
use syn::{Expr, Member};

use crate::diagnostic::Span;
use crate::source::rust::{RustFile, bool_literal};

/// Functions that decode a token without checking its signature, by resolved path, with the
/// library and the call that checks it instead.
const UNVERIFIED_DECODERS: &[(&str, &str, &str)] = &[
    (
        "jsonwebtoken::dangerous_insecure_decode",
        "jsonwebtoken",
        "`jsonwebtoken::decode(token, &key, &validation)`",
    ),
    (
        "jsonwebtoken::dangerous_insecure_decode_with_validation",
        "jsonwebtoken",
        "`jsonwebtoken::decode(token, &key, &validation)`",
    ),
    (
        "jsonwebtoken::dangerous_unsafe_decode",
        "jsonwebtoken",
        "`jsonwebtoken::decode(token, &key, &validation)`",
    ),
    (
        "jsonwebtoken::insecure_decode",
        "jsonwebtoken",
        "`jsonwebtoken::decode(token, &key, &validation)`",
    ),
    (
        "jsonwebtoken::dangerous::insecure_decode",
        "jsonwebtoken",
        "`jsonwebtoken::decode(token, &key, &validation)`",
    ),
    (
        "jwt::Token::parse_unverified",
        "jwt",
        "`.verify_with_key(&key)` on the parsed token",
    ),
    (
        "jwt::token::Token::parse_unverified",
        "jwt",
        "`.verify_with_key(&key)` on the parsed token",
    ),
    (
        "josekit::jwt::decode_unsecured",
        "josekit",
        "`josekit::jwt::decode_with_verifier(token, &verifier)`",
    ),
];

/// Functions that check a token's signature: a function that calls one of these after an
/// unverified decode is reading a claim to choose the key, then verifying.
const VERIFYING_FUNCTIONS: &[&str] = &[
    "jsonwebtoken::decode",
    "josekit::jwt::decode_with_verifier",
    "josekit::jwt::decode_with_verifier_selector",
];

/// Methods that check a token's signature (the `jwt` crate's traits).
const VERIFYING_METHODS: &[&str] = &["verify_with_key", "verify_with_store"];

/// A call that decodes a token without checking its signature.
pub struct UnverifiedDecode {
    pub library: &'static str,
    /// The function as written.
    pub function: String,
    /// How to check the signature instead.
    pub verified_alternative: &'static str,
    pub span: Span,
}

pub fn unverified_decode(file: &RustFile<'_>, expr: &Expr) -> Option<UnverifiedDecode> {
    let Expr::Call(call) = expr else {
        return None;
    };
    let Expr::Path(callee) = &*call.func else {
        return None;
    };
    let last = &callee.path.segments.last()?.ident;
    if !UNVERIFIED_DECODERS
        .iter()
        .any(|(path, ..)| path.rsplit("::").next().is_some_and(|name| last == name))
    {
        return None;
    }
    let path = file.called_path_where(expr, |path| {
        UNVERIFIED_DECODERS.iter().any(|(known, ..)| *known == path)
    })?;
    let &(_, library, verified_alternative) =
        UNVERIFIED_DECODERS.iter().find(|(p, ..)| *p == path)?;
    let span = file.span(callee);
    let function = path_text(&callee.path);
    Some(UnverifiedDecode {
        library,
        function,
        verified_alternative,
        span,
    })
}

/// A path as written, without generic arguments: `jsonwebtoken::dangerous_insecure_decode`.
fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let joined = segments.join("::");
    if path.leading_colon.is_some() {
        format!("::{joined}")
    } else {
        joined
    }
}

/// `validation.insecure_disable_signature_validation()` (jsonwebtoken 8.2 and later): the
/// receiver's name when it is a plain variable.
pub fn disables_signature_validation(expr: &Expr) -> Option<Option<String>> {
    let Expr::MethodCall(call) = expr else {
        return None;
    };
    (call.method == "insecure_disable_signature_validation" && call.args.is_empty())
        .then(|| variable_name(&call.receiver))
}

/// Where the code switches jsonwebtoken's expiry check off: `validation.validate_exp = false`
/// or `Validation { validate_exp: false, .. }`. Gives the setting's span and, for an
/// assignment to a variable's field, the variable's name.
pub fn disables_expiry_check(file: &RustFile<'_>, expr: &Expr) -> Option<(Span, Option<String>)> {
    match expr {
        Expr::Assign(assign) => {
            let Expr::Field(field) = &*assign.left else {
                return None;
            };
            let is_exp = matches!(&field.member, Member::Named(name) if name == "validate_exp");
            (is_exp && bool_literal(&assign.right) == Some(false)).then(|| {
                let start = file.span(&field.member).start;
                (
                    Span::new(start, file.span(expr).end),
                    variable_name(&field.base),
                )
            })
        }
        Expr::Struct(literal) => {
            let type_name = literal.path.segments.last()?.ident.to_string();
            if type_name != "Validation" {
                return None;
            }
            literal.fields.iter().find_map(|field| {
                let is_exp = matches!(&field.member, Member::Named(name) if name == "validate_exp");
                (is_exp && bool_literal(&field.expr) == Some(false))
                    .then(|| (file.span(field), None))
            })
        }
        _ => None,
    }
}

/// Whether the expression calls `insecure_disable_signature_validation()` anywhere inside.
fn switches_signature_off(expr: &Expr) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            self.0 |= call.method == "insecure_disable_signature_validation";
            syn::visit::visit_expr_method_call(self, call);
        }
    }
    let mut find = Find(false);
    find.visit_expr(expr);
    find.0
}

fn variable_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident().map(|i| i.to_string()),
        Expr::Paren(paren) => variable_name(&paren.expr),
        Expr::Reference(reference) => variable_name(&reference.expr),
        _ => None,
    }
}

/// What each function of a file does with tokens, for judging an unverified read or a
/// switched-off check in one of them: does the function (or every caller of it in the file)
/// verify the token afterwards, or check its expiry itself?
pub struct TokenFunctions {
    functions: Vec<TokenFunction>,
}

struct TokenFunction {
    name: String,
    body: Span,
    /// Variables whose signature check is switched off (`None`: not a plain variable).
    unsigned: Vec<Option<String>>,
    /// The validation of each `jsonwebtoken::decode` call.
    decodes: Vec<DecodeValidation>,
    /// `verify_with_key`, `decode_with_verifier`…
    verifier_calls: bool,
    unverified: Vec<Span>,
    /// Compares an `exp` value: `if now > claims.exp`.
    checks_expiry: bool,
    /// The last segment of every function and method it calls.
    callees: HashSet<String>,
}

enum DecodeValidation {
    /// `&validation`.
    Variable(String),
    /// An expression that switches the signature check off itself.
    Unsigned,
    /// `&helper()`: judged by what that function of the file does.
    Helper(String),
    /// Anything else: `&Validation::new(Algorithm::RS256)`, `&self.validation`.
    Other,
}

impl TokenFunctions {
    pub fn of(file: &RustFile<'_>) -> TokenFunctions {
        let mut collector = Functions {
            file,
            functions: Vec::new(),
        };
        collector.visit_file(&file.syntax);
        TokenFunctions {
            functions: collector.functions,
        }
    }

    /// The innermost function whose body holds the span.
    fn enclosing(&self, span: Span) -> Option<&TokenFunction> {
        self.functions
            .iter()
            .filter(|f| f.body.start <= span.start && span.end <= f.body.end)
            .min_by_key(|f| f.body.end - f.body.start)
    }

    /// The functions of the file that call this one, by name.
    fn callers<'t>(
        &'t self,
        function: &'t TokenFunction,
    ) -> impl Iterator<Item = &'t TokenFunction> {
        self.functions
            .iter()
            .filter(move |f| !std::ptr::eq(*f, function) && f.callees.contains(&function.name))
    }

    fn disables_signature(&self, name: &str) -> bool {
        self.functions
            .iter()
            .any(|f| f.name == name && !f.unsigned.is_empty())
    }

    fn verifies(&self, function: &TokenFunction) -> bool {
        function.verifier_calls
            || function.decodes.iter().any(|validation| match validation {
                DecodeValidation::Variable(name) => {
                    !function.unsigned.contains(&Some(name.clone()))
                }
                DecodeValidation::Unsigned => false,
                DecodeValidation::Helper(name) => !self.disables_signature(name),
                DecodeValidation::Other => true,
            })
    }

    /// Whether the token read at `span` is verified afterwards: by the function that reads
    /// it, or by every caller of that function in the file.
    pub fn verified_around(&self, span: Span) -> bool {
        let Some(function) = self.enclosing(span) else {
            return false;
        };
        self.verifies(function) || {
            let mut callers = self.callers(function).peekable();
            callers.peek().is_some() && callers.all(|caller| self.verifies(caller))
        }
    }

    /// Whether the code checks `exp` itself where `validate_exp = false` is set: in that
    /// function, or in every caller of it in the file.
    pub fn expiry_checked_around(&self, span: Span) -> bool {
        let Some(function) = self.enclosing(span) else {
            return false;
        };
        function.checks_expiry || {
            let mut callers = self.callers(function).peekable();
            callers.peek().is_some() && callers.all(|caller| caller.checks_expiry)
        }
    }

    /// Whether the function holding `span` switches off the signature check of `variable`.
    pub fn signature_off_for(&self, span: Span, variable: &str) -> bool {
        self.enclosing(span).is_some_and(|function| {
            function
                .unsigned
                .iter()
                .any(|name| name.as_deref() == Some(variable))
        })
    }

    /// Whether an unverified decode comes before this one in its function.
    pub fn read_before(&self, span: Span) -> bool {
        self.enclosing(span).is_some_and(|function| {
            function
                .unverified
                .iter()
                .any(|other| other.start < span.start)
        })
    }
}

/// Finds every function body of the file.
struct Functions<'f, 's> {
    file: &'f RustFile<'s>,
    functions: Vec<TokenFunction>,
}

impl Functions<'_, '_> {
    fn add(&mut self, name: &syn::Ident, body: &syn::Block) {
        let mut scan = Scan {
            file: self.file,
            function: TokenFunction {
                name: name.to_string(),
                body: self.file.span(body),
                unsigned: Vec::new(),
                decodes: Vec::new(),
                verifier_calls: false,
                unverified: Vec::new(),
                checks_expiry: false,
                callees: HashSet::new(),
            },
        };
        scan.visit_block(body);
        self.functions.push(scan.function);
    }
}

impl<'ast> Visit<'ast> for Functions<'_, '_> {
    fn visit_item_fn(&mut self, function: &'ast syn::ItemFn) {
        self.add(&function.sig.ident, &function.block);
        syn::visit::visit_item_fn(self, function);
    }

    fn visit_impl_item_fn(&mut self, function: &'ast syn::ImplItemFn) {
        self.add(&function.sig.ident, &function.block);
        syn::visit::visit_impl_item_fn(self, function);
    }

    fn visit_trait_item_fn(&mut self, function: &'ast syn::TraitItemFn) {
        if let Some(body) = &function.default {
            self.add(&function.sig.ident, body);
        }
        syn::visit::visit_trait_item_fn(self, function);
    }
}

/// Scans one function body (nested items are functions of their own).
struct Scan<'f, 's> {
    file: &'f RustFile<'s>,
    function: TokenFunction,
}

impl<'ast> Visit<'ast> for Scan<'_, '_> {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        let function = &mut self.function;
        if let Some(receiver) = disables_signature_validation(expr) {
            function.unsigned.push(receiver);
        }
        if let Some(decode) = unverified_decode(self.file, expr) {
            function.unverified.push(decode.span);
        }
        match expr {
            Expr::Call(call) => {
                if let Expr::Path(path) = &*call.func
                    && let Some(last) = path.path.segments.last()
                {
                    function.callees.insert(last.ident.to_string());
                }
                if let Some(path) = self
                    .file
                    .called_path_where(expr, |path| VERIFYING_FUNCTIONS.contains(&path))
                {
                    if path == "jsonwebtoken::decode" {
                        let validation = call.args.iter().nth(2);
                        function.decodes.push(decode_validation(validation));
                    } else {
                        function.verifier_calls = true;
                    }
                }
            }
            Expr::MethodCall(call) => {
                let method = call.method.to_string();
                if VERIFYING_METHODS.contains(&method.as_str()) {
                    function.verifier_calls = true;
                }
                function.callees.insert(method);
            }
            Expr::Binary(binary)
                if matches!(
                    binary.op,
                    syn::BinOp::Lt(_) | syn::BinOp::Le(_) | syn::BinOp::Gt(_) | syn::BinOp::Ge(_)
                ) && (mentions_exp(&binary.left) || mentions_exp(&binary.right)) =>
            {
                function.checks_expiry = true;
            }
            _ => {}
        }
        syn::visit::visit_expr(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(args) = self.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn decode_validation(validation: Option<&Expr>) -> DecodeValidation {
    let Some(validation) = validation else {
        return DecodeValidation::Other;
    };
    if let Some(name) = variable_name(validation) {
        return DecodeValidation::Variable(name);
    }
    if switches_signature_off(validation) {
        return DecodeValidation::Unsigned;
    }
    let mut inner = validation;
    while let Expr::Reference(reference) = inner {
        inner = &reference.expr;
    }
    if let Expr::Call(call) = inner
        && call.args.is_empty()
        && let Expr::Path(path) = &*call.func
        && let Some(last) = path.path.segments.last()
    {
        return DecodeValidation::Helper(last.ident.to_string());
    }
    DecodeValidation::Other
}

/// Whether an expression reads something named `exp`: `claims.exp`, `exp`, `data.claims.exp.unwrap_or(0)`.
fn mentions_exp(expr: &Expr) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_field(&mut self, field: &'ast syn::ExprField) {
            self.0 |= matches!(&field.member, Member::Named(name) if name == "exp");
            syn::visit::visit_expr_field(self, field);
        }
        fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
            self.0 |= path.path.is_ident("exp");
        }
    }
    let mut find = Find(false);
    find.visit_expr(expr);
    find.0
}
