use syn::Expr;

use crate::diagnostic::{Level, Span};
use crate::engine::rust_pass::{Node, RustContext, last_name, pattern_name};
use crate::facts::env::{ReadKind, strip_conversions};
use crate::facts::secrets::{
    authorization_credential, is_secret_name, is_secret_value, is_secret_variable, key_format,
    url_password,
};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::env_file::{self, EnvFile};
use crate::source::rust::{RustFile, string_literal};

pub static META: RuleMeta = RuleMeta {
    id: "hardcoded-secret",
    category: Category::Config,
    default_level: Level::Deny,
    summary: "a password, token, API key or signing key is written in the code or a committed .env file",
    docs: include_str!("../../../rules/config/hardcoded-secret.md"),
    scope: CodeScope::Production,
};

const PRINCIPLE: &str = "twelve-factor III: credentials differ per deploy and must never be in the \
                         code; everyone who can read the repository, its history or the binary has this one";

pub struct HardcodedSecret;

impl Rule for HardcodedSecret {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, expr: &Expr, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        let Expr::Lit(literal) = expr else {
            return;
        };
        let value = match &literal.lit {
            syn::Lit::Str(s) => s.value(),
            syn::Lit::ByteStr(b) => String::from_utf8_lossy(&b.value()).into_owned(),
            _ => return,
        };
        let span = cx.file.span(expr);
        if let Some(found) = key_format(&value) {
            let at = literal_subspan(cx.file, span, &value, found.range);
            out.report(&META, at, format!("{} is written in the code", found.what))
                .label(format!("looks like {}", found.what))
                .note(PRINCIPLE)
                .help(
                    "revoke and rotate it (it stays in the git history), then read it at run time \
                     from the environment or a secret store",
                );
            return;
        }
        if let Some(range) = url_password(&value) {
            let at = literal_subspan(cx.file, span, &value, range);
            out.report(&META, at, "a URL carries a literal password")
                .label("password")
                .note(PRINCIPLE)
                .help(
                    "take the whole URL from the environment (`std::env::var(\"DATABASE_URL\")?`), \
                     or only the password, and rotate this one",
                );
            return;
        }
        if let Some(range) = authorization_credential(&value) {
            let at = literal_subspan(cx.file, span, &value, range);
            out.report(&META, at, "an `Authorization` value holds a literal credential")
                .label("credential")
                .note(PRINCIPLE)
                .help("read the token at run time from the environment or a secret store, and rotate this one");
            return;
        }
        // A list of strings (`const SECRET_WORDS: &[&str] = &["password", …]`) is vocabulary,
        // not one credential: only the key formats above are judged inside it.
        if matches!(
            cx.parent(),
            Some(crate::engine::rust_pass::Node::Expr(Expr::Array(_)))
        ) {
            return;
        }
        let Some(place) = place(span, cx) else {
            return;
        };
        match place {
            Place::Key(function) => {
                // A placeholder verification key is the dummy of a decode that does not verify
                // (`jwt-validation-disabled` reports that); any signing key literal is a leak.
                let dummy = function.starts_with("DecodingKey") && !is_secret_value(&value);
                if value.is_empty() || dummy {
                    return;
                }
                out.report(&META, span, format!("`{function}` is given a literal key"))
                    .label("the key is in the code")
                    .note(format!(
                        "{PRINCIPLE}; whoever reads it can forge what this key signs, whatever the \
                         literal says"
                    ))
                    .help(format!(
                        "load the key at start-up from the environment or a secret store, e.g. \
                         `{function}(std::env::var(\"SIGNING_KEY\")?.as_bytes())`"
                    ));
            }
            Place::Compared(name) if is_secret_value(&value) => {
                out.report(
                    &META,
                    span,
                    format!("`{name}` is checked against a literal"),
                )
                .label("a credential built into the code")
                .note(PRINCIPLE)
                .help(
                    "check against a value the service loads at run time (a hash in the \
                         database, a secret from the environment or a secret store)",
                );
            }
            Place::Password(function) if is_secret_value(&value) => {
                out.report(
                    &META,
                    span,
                    format!("the password given to `{function}` is a literal"),
                )
                .label("written in the code")
                .note(PRINCIPLE)
                .help(
                    "read it at run time from the environment or a secret store, and rotate this \
                     value: it stays in the git history",
                );
            }
            Place::Compared(_) | Place::Password(_) => {}
            Place::Named { name, fallback } => {
                if !is_secret_value(&value) {
                    return;
                }
                match fallback {
                    Some(var) => {
                        out.report(
                            &META,
                            span,
                            format!("literal fallback for the secret `{var}`"),
                        )
                        .label(format!("used when `{var}` is not set"))
                        .note(PRINCIPLE)
                        .help(format!(
                            "require the variable (`std::env::var(\"{var}\")?`) so a deploy \
                                 without it fails at start-up instead of running with a secret \
                                 anyone can read"
                        ));
                    }
                    None => {
                        out.report(&META, span, format!("`{name}` is given a literal secret"))
                            .label("written in the code")
                            .note(PRINCIPLE)
                            .help(format!(
                                "read it at run time, e.g. `std::env::var(\"{}\")?`, or from a \
                                 secret store, and rotate this value: it stays in the git history",
                                variable_name(&name)
                            ));
                    }
                }
            }
        }
    }

    /// clap arguments of a secret whose default is a literal secret:
    /// `#[arg(long, env = "API_TOKEN", default_value = "…")]`.
    fn check_item(&self, item: &syn::Item, cx: &RustContext<'_, '_>, out: &mut Reporter<'_>) {
        let syn::Item::Struct(item) = item else {
            return;
        };
        let within = cx.file.span(item);
        for read in &cx.facts.env.reads {
            let (Some(field), Some(default), Some(span)) =
                (&read.field, &read.default, read.fallback)
            else {
                continue;
            };
            let secret =
                is_secret_name(field) || read.name.as_deref().is_some_and(is_secret_variable);
            let in_item = within.start <= span.start && span.end <= within.end;
            if !(read.kind == ReadKind::Clap && in_item && secret && is_secret_value(default)) {
                continue;
            }
            let name = read.name.clone().unwrap_or_else(|| field.clone());
            out.report(
                &META,
                span,
                format!("the argument `{field}` has a literal secret as its default"),
            )
            .label("used when the argument and its variable are missing")
            .note(PRINCIPLE)
            .help(format!(
                "drop the default so the secret must be given (`--{}` or `{}`)",
                field.replace('_', "-"),
                variable_name(&name)
            ));
        }
    }

    fn check_env_file(&self, env: &EnvFile, out: &mut Reporter<'_>) {
        let file = out.file();
        let text = file.text.as_str();
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let template = env_file::is_template(&name);
        for entry in &env.entries {
            let (span, what) = if let Some(found) = key_format(&entry.value) {
                (
                    entry.value_subspan(text, found.range),
                    found.what.to_string(),
                )
            } else if let Some(range) = url_password(&entry.value) {
                (
                    entry.value_subspan(text, range),
                    "a password in a URL".to_string(),
                )
            } else if is_secret_variable(&entry.key) && is_secret_value(&entry.value) {
                (entry.value_span, "a secret".to_string())
            } else {
                continue;
            };
            let key = &entry.key;
            if template {
                out.report(
                    &META,
                    span,
                    format!("`{key}` in the template `{name}` holds {what}, not a placeholder"),
                )
                .label("a real value?")
                .note(PRINCIPLE)
                .help(format!(
                    "write a placeholder (`{key}=changeme`) and rotate this value: it stays in the \
                     git history"
                ));
            } else {
                out.report(
                    &META,
                    span,
                    format!("`{key}` holds {what} in `{name}`, which git does not ignore"),
                )
                .label("committed with the code")
                .note(PRINCIPLE)
                .help(format!(
                    "remove `{name}` from git and add it to `.gitignore`; commit a `.env.example` \
                     with placeholders instead, let each deploy provide `{key}` from its secret \
                     store, and rotate this value"
                ));
            }
        }
    }
}

/// Where a literal ends up.
enum Place {
    /// A secret-named binding, constant, field, function, argument or key; `fallback` is the
    /// environment variable it stands in for when it is the default of an env read.
    Named {
        name: String,
        fallback: Option<String>,
    },
    /// Compared with a secret-named value: a credential built into the code.
    Compared(String),
    /// The password argument of `basic_auth` or lettre's `Credentials::new`.
    Password(String),
    /// The key argument of a signing, MAC or cipher constructor.
    Key(String),
}

/// Methods that give the same value in another form.
const TRANSPARENT_METHODS: &[&str] = &[
    "to_string",
    "to_owned",
    "into",
    "as_bytes",
    "as_ref",
    "as_str",
    "to_vec",
    "into_bytes",
    "clone",
    "into_boxed_str",
    "to_os_string",
];

/// Methods whose argument is used when a value is missing.
const FALLBACK_METHODS: &[&str] = &["unwrap_or", "unwrap_or_else", "or", "or_else", "map_or"];

/// Constructors that wrap a value without changing what it is.
const WRAPPERS: &[&str] = &[
    "String",
    "Box",
    "Arc",
    "Rc",
    "Cow",
    "Vec",
    "OsString",
    "PathBuf",
    "Zeroizing",
];

/// Functions whose argument is key material, by the end of their resolved path, with the
/// argument's position.
const KEY_FUNCTIONS: &[(&str, usize)] = &[
    ("EncodingKey::from_secret", 0),
    ("DecodingKey::from_secret", 0),
    ("EncodingKey::from_base64_secret", 0),
    ("DecodingKey::from_base64_secret", 0),
    ("::new_from_slice", 0),
    ("::new_varkey", 0),
    ("cookie::Key::from", 0),
    ("cookie::Key::derive_from", 0),
    ("cookie::Key::try_from", 0),
    ("tower_cookies::Key::from", 0),
    ("ring::hmac::Key::new", 1),
];

/// Follows a literal outward to the name or function that receives it.
fn place(span: Span, cx: &RustContext<'_, '_>) -> Option<Place> {
    let mut child = span;
    let mut fallback: Option<String> = None;
    let contains = |outer: Span, inner: Span| outer.start <= inner.start && inner.end <= outer.end;
    let named = |name: String, fallback: Option<String>| {
        is_secret_name(&name).then_some(Place::Named { name, fallback })
    };
    let found = 'walk: {
        for node in cx.ancestors() {
            match node {
                Node::Expr(expr) => {
                    let here = cx.file.span(expr);
                    match expr {
                        Expr::Paren(_)
                        | Expr::Group(_)
                        | Expr::Reference(_)
                        | Expr::Cast(_)
                        | Expr::Array(_)
                        | Expr::Block(_)
                        | Expr::Closure(_)
                        | Expr::Return(_) => {}
                        Expr::If(branch) if !contains(cx.file.span(&*branch.cond), child) => {}
                        Expr::Match(m) if !contains(cx.file.span(&*m.expr), child) => {}
                        Expr::MethodCall(call) => {
                            let method = call.method.to_string();
                            if contains(cx.file.span(&*call.receiver), child) {
                                if !TRANSPARENT_METHODS.contains(&method.as_str()) {
                                    break 'walk None;
                                }
                            } else if FALLBACK_METHODS.contains(&method.as_str()) {
                                fallback = cx
                                    .facts
                                    .env
                                    .fallback_around(child)
                                    .and_then(|f| f.var.clone());
                            } else {
                                let args: Vec<&Expr> = call.args.iter().collect();
                                break 'walk argument_place(cx, &method, None, &args, child);
                            }
                        }
                        Expr::Call(call) => {
                            let Expr::Path(func) = &*call.func else {
                                break 'walk None;
                            };
                            let resolved = cx.file.resolve(&func.path);
                            let args: Vec<&Expr> = call.args.iter().collect();
                            let index = args.iter().position(|a| contains(cx.file.span(*a), child));
                            let Some(index) = index else {
                                break 'walk None;
                            };
                            if let Some(function) = key_function(&resolved, index) {
                                break 'walk Some(Place::Key(function));
                            }
                            let mut segments = resolved.rsplit("::");
                            let function = segments.next().unwrap_or_default().to_string();
                            let ty = segments.next().map(str::to_string);
                            let wraps = matches!(function.as_str(), "Some" | "Ok")
                                || (matches!(function.as_str(), "from" | "new")
                                    && ty.as_deref().is_some_and(|t| WRAPPERS.contains(&t)));
                            if !wraps {
                                break 'walk argument_place(cx, &function, ty, &args, child);
                            }
                        }
                        Expr::Struct(literal) => {
                            let field = literal
                                .fields
                                .iter()
                                .find(|field| contains(cx.file.span(&field.expr), child));
                            break 'walk match field.map(|f| &f.member) {
                                Some(syn::Member::Named(name)) => {
                                    named(name.to_string(), fallback.clone())
                                }
                                _ => None,
                            };
                        }
                        Expr::Assign(assign) if contains(cx.file.span(&*assign.right), child) => {
                            break 'walk last_name(&assign.left)
                                .and_then(|n| named(n, fallback.clone()));
                        }
                        Expr::Binary(binary)
                            if matches!(binary.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_)) =>
                        {
                            // `if password == "…"`: a built-in credential.
                            let other = if contains(cx.file.span(&*binary.left), child) {
                                &binary.right
                            } else {
                                &binary.left
                            };
                            // A `token` compared with a word is more often a parser's token.
                            break 'walk last_name(strip_conversions(other))
                                .filter(|n| is_secret_name(n) && n.to_lowercase() != "token")
                                .map(Place::Compared);
                        }
                        Expr::Tuple(tuple) => {
                            // `("api_key", "…")` in a list of pairs.
                            let elems: Vec<&Expr> = tuple.elems.iter().collect();
                            break 'walk pair_key(cx, &elems, child).and_then(|n| named(n, None));
                        }
                        _ => break 'walk None,
                    }
                    child = here;
                }
                Node::Local(local) => {
                    break 'walk pattern_name(&local.pat).and_then(|n| named(n, fallback.clone()));
                }
                Node::Item(syn::Item::Const(item)) => {
                    break 'walk named(item.ident.to_string(), fallback.clone());
                }
                Node::Item(syn::Item::Static(item)) => {
                    break 'walk named(item.ident.to_string(), fallback.clone());
                }
                Node::ImplItem(syn::ImplItem::Const(item)) => {
                    break 'walk named(item.ident.to_string(), fallback.clone());
                }
                Node::Item(syn::Item::Fn(item)) => {
                    break 'walk named(item.sig.ident.to_string(), fallback.clone());
                }
                Node::ImplItem(syn::ImplItem::Fn(item)) => {
                    break 'walk named(item.sig.ident.to_string(), fallback.clone());
                }
                _ => break 'walk None,
            }
        }
        None
    };
    match (found, fallback) {
        (Some(place), _) => Some(place),
        (None, Some(var)) if is_secret_name(&var) => Some(Place::Named {
            name: var.clone(),
            fallback: Some(var),
        }),
        _ => None,
    }
}

/// A literal passed to a function or method: its name (`.password("…")`, `ApiKey::new("…")`),
/// the key before it (`.header("X-Api-Key", "…")`, `set_var("API_TOKEN", "…")`), or the password
/// position of `basic_auth` and lettre's `Credentials::new`.
fn argument_place(
    cx: &RustContext<'_, '_>,
    function: &str,
    ty: Option<String>,
    args: &[&Expr],
    child: Span,
) -> Option<Place> {
    let index = args.iter().position(|a| {
        let span = cx.file.span(*a);
        span.start <= child.start && child.end <= span.end
    })?;
    let named = |name: String| Place::Named {
        name,
        fallback: None,
    };
    let last = index + 1 == args.len();
    if function.contains("basic_auth") {
        return (index == 1).then(|| Place::Password(function.to_string()));
    }
    if ty.as_deref() == Some("Credentials") {
        return (index == 1).then(|| Place::Password(format!("Credentials::{function}")));
    }
    if index > 0 {
        return pair_key(cx, args, child)
            .filter(|key| is_secret_name(key) || key.eq_ignore_ascii_case("authorization"))
            .map(named);
    }
    if last && is_secret_name(function) {
        return Some(named(function.to_string()));
    }
    if last && ty.as_deref().is_some_and(is_secret_name) {
        return ty.map(named);
    }
    None
}

/// The key written just before the element holding `child`: a string literal or a constant's
/// name (`AUTHORIZATION`).
fn pair_key(cx: &RustContext<'_, '_>, elems: &[&Expr], child: Span) -> Option<String> {
    let index = elems.iter().position(|e| {
        let span = cx.file.span(*e);
        span.start <= child.start && child.end <= span.end
    })?;
    let key = elems.get(index.checked_sub(1)?)?;
    string_literal(key).or_else(|| match key {
        Expr::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    })
}

fn key_function(resolved: &str, index: usize) -> Option<String> {
    KEY_FUNCTIONS
        .iter()
        .find(|(suffix, position)| {
            *position == index
                && (resolved.ends_with(suffix)
                    || (!suffix.starts_with("::") && resolved == suffix.trim_start_matches("::")))
        })
        .map(|_| {
            let mut segments: Vec<&str> = resolved.rsplit("::").take(2).collect();
            segments.reverse();
            segments.join("::")
        })
}

/// `jwt_secret` → `JWT_SECRET`, `with_password` → `PASSWORD`, `ApiKey` → `API_KEY`.
fn variable_name(name: &str) -> String {
    let words = crate::facts::secrets::words(name);
    let words: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .skip_while(|w| matches!(*w, "with" | "set" | "get" | "default"))
        .collect();
    words.join("_").to_uppercase()
}

/// The span of `range` (offsets in the literal's value) when the literal is written plainly,
/// else the whole literal.
fn literal_subspan(
    file: &RustFile<'_>,
    span: Span,
    value: &str,
    range: std::ops::Range<usize>,
) -> Span {
    let written = &file.text()[span.start..span.end];
    let prefix = if written.starts_with("b\"") { 2 } else { 1 };
    if written.len() == value.len() + prefix + 1 && &written[prefix..prefix + value.len()] == value
    {
        Span::new(
            span.start + prefix + range.start,
            span.start + prefix + range.end,
        )
    } else {
        span
    }
}
