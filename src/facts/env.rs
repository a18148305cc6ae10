//! Environment reads and the fallbacks that stand in when a variable is missing.
//!
//! A read is any way a Rust service takes configuration from its environment: a call that reads
//! one variable (`std::env::var`, `dotenvy::var`, figment's `Env::var`), a clap argument with
//! `env = "X"`, the fields of a struct filled by `envy`, or a whole prefix layered in by
//! `config::Environment` or figment's `Env::prefixed`. Each read knows whether the process needs
//! it (*required*), has a fallback (*defaulted*) or can do without (*optional*).

use std::collections::HashMap;

use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::{Expr, Pat};

use crate::diagnostic::Span;
use crate::source::edges::expr_attrs;
use crate::source::rust::{RustFile, is_test_code, item_attrs, string_literal};

/// Functions that read one environment variable.
const ENV_READ_FUNCTIONS: &[&str] = &[
    "std::env::var",
    "std::env::var_os",
    "core::env::var",
    "dotenvy::var",
    "dotenv::var",
    "figment::providers::Env::var",
];

/// Functions that hand out every variable of the environment: whatever the code does with them,
/// any variable may be read.
const ENV_ITERATION_FUNCTIONS: &[&str] = &["std::env::vars", "std::env::vars_os"];

/// Functions that read one variable with a default given as their second argument.
const ENV_READ_OR_FUNCTIONS: &[&str] = &["figment::providers::Env::var_or"];

/// `config` crate sources that layer in environment variables, by resolved path.
const CONFIG_ENVIRONMENT_CONSTRUCTORS: &[&str] = &[
    "config::Environment::with_prefix",
    "config::Environment::default",
    "config::Environment::new",
];

/// figment providers over environment variables: `Env::prefixed("APP_")`, `Env::raw()`.
const FIGMENT_ENV_CONSTRUCTORS: &[&str] = &[
    "figment::providers::Env::prefixed",
    "figment::providers::Env::raw",
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
    /// `?`, `.unwrap()`, `.expect(..)`, a clap argument without default, an envy field that is
    /// not an `Option` and has no `#[serde(default)]`: the process fails without it.
    Required,
    /// `.unwrap_or(..)` and friends, a `match` with an `Err` arm, clap `default_value`,
    /// `#[serde(default)]`.
    Defaulted,
    /// `.ok()`, `.is_ok()`, an `Option` field, a prefix, or anything the tool cannot follow.
    Optional,
}

/// How a read reaches the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadKind {
    /// A call that reads one variable: `std::env::var("X")`, `dotenvy::var`, figment `Env::var`.
    Call,
    /// A clap argument: `#[arg(env = "X")]`, `#[clap(env)]`.
    Clap,
    /// A field of the struct `envy::from_env::<T>()` or `envy::prefixed("P_").from_env::<T>()`
    /// fills; a read with only a prefix when the struct is not in the same file.
    Envy,
    /// `config::Environment::with_prefix("APP")`: every variable under the prefix.
    ConfigEnvironment,
    /// figment `Env::prefixed("APP_")` or `Env::raw()`: every variable under the prefix.
    Figment,
    /// `std::env::vars()`: every variable (the prefix is empty).
    All,
}

#[derive(Clone, Debug)]
pub struct EnvRead {
    /// The variable's name when it is known: a literal argument, clap's `env = "X"` (or the
    /// field's name for a bare `env`), an envy field with its prefix.
    pub name: Option<String>,
    /// For reads of many variables at once (`config::Environment`, figment `Env`, envy with a
    /// struct the tool cannot see): the prefix they share, as written (`"APP"`, `"APP_"`);
    /// empty for every variable.
    pub prefix: Option<String>,
    /// The separator of nested keys (`config::Environment::separator("__")`, figment `split`).
    pub separator: Option<String>,
    /// The call, the clap `env` argument, or the envy field.
    pub span: Span,
    pub requirement: Requirement,
    /// The expression that supplies the value when the variable is missing (for clap, the
    /// value of `default_value…`).
    pub fallback: Option<Span>,
    /// The default as written, when it is a literal: `unwrap_or("8080")`, clap
    /// `default_value = "8080"` or `default_value_t = 8080`.
    pub default: Option<String>,
    pub kind: ReadKind,
    /// The struct field a clap or envy read fills.
    pub field: Option<String>,
    /// The read happens only on some paths of its function: inside a branch of an `if` or a
    /// `match` arm, or in a closure. Whether it is required depends on what the code decided.
    pub conditional: bool,
    /// The read takes a parameter of a private helper (`fn setting(name: &str) { env::var(name) }`)
    /// and every call of the helper in the file passes a literal: each call is a read of its
    /// own, and this one names no other variable.
    pub expanded: bool,
}

impl EnvRead {
    fn call(name: Option<String>, span: Span, requirement: Requirement) -> EnvRead {
        EnvRead {
            name,
            prefix: None,
            separator: None,
            span,
            requirement,
            fallback: None,
            default: None,
            kind: ReadKind::Call,
            field: None,
            conditional: false,
            expanded: false,
        }
    }

    /// Whether the tool knows which variables this read takes: a name, or a prefix. A call
    /// with a name it cannot resolve (`env::var(key)`) may read any variable.
    pub fn is_resolved(&self) -> bool {
        self.name.is_some() || self.prefix.is_some() || self.expanded
    }

    /// Whether this read takes the variable `var`: by name, or under its prefix.
    pub fn covers(&self, var: &str) -> bool {
        match (&self.name, &self.prefix) {
            (Some(name), _) => name == var,
            (None, Some(prefix)) => var.starts_with(prefix.as_str()),
            (None, None) => false,
        }
    }
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

/// A name given to the value of a read: `let env = std::env::var("APP_ENV")?` binds `env`;
/// `Config { environment: std::env::var("APP_ENV")? }` and clap/envy fields bind the field.
#[derive(Clone, Debug)]
pub struct ReadBinding {
    pub name: String,
    /// Where the binding is made; uses before it cannot see it.
    pub at: usize,
    /// Index into [`EnvFacts::reads`].
    pub read: usize,
}

#[derive(Debug, Default)]
pub struct EnvFacts {
    pub reads: Vec<EnvRead>,
    pub fallbacks: Vec<Fallback>,
    /// Constants and statics that are used, and used only, inside fallbacks, with the variable.
    pub fallback_only_constants: HashMap<String, Option<String>>,
    /// Names the values of reads are bound to.
    pub bindings: Vec<ReadBinding>,
}

impl EnvFacts {
    pub fn extract(file: &RustFile<'_>) -> EnvFacts {
        let mut structs = StructCollector::default();
        structs.visit_file(&file.syntax);
        let mut collector = Collector {
            file,
            stack: Vec::new(),
            facts: EnvFacts::default(),
            constant_uses: Vec::new(),
            default_functions: Vec::new(),
            functions: Vec::new(),
            structs: structs.structs,
            constants: structs.constants,
            let_types: Vec::new(),
            return_types: Vec::new(),
            cfg_gated: usize::from(is_cfg_gated(&file.syntax.attrs)),
            enclosing: Vec::new(),
            helper_reads: Vec::new(),
            calls: Vec::new(),
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

    /// The reads whose value a name bound before `at` holds.
    pub fn reads_bound_to(&self, name: &str, at: usize) -> impl Iterator<Item = &EnvRead> {
        self.bindings
            .iter()
            .filter(move |binding| binding.name == name && binding.at <= at)
            .map(|binding| &self.reads[binding.read])
    }

    /// The read whose call is exactly `span`.
    pub fn read_at(&self, span: Span) -> Option<&EnvRead> {
        self.reads.iter().find(|read| read.span == span)
    }

    /// Whether `expr` holds the name of the deployment environment (`production`, `staging`…):
    /// a read of `APP_ENV`, `ENVIRONMENT`, `RUN_MODE` and the like, a name bound to one, or a
    /// binding, field or method named `env`, `environment`, `app_env`, `run_mode`, `stage`…
    /// Looks through `.as_str()`, `.to_lowercase()`, `&`, `?` and similar. Returns how to name it
    /// in a message: the variable (`APP_ENV`) when known, else the expression's name.
    pub fn environment_value(&self, file: &RustFile<'_>, expr: &Expr) -> Option<EnvironmentValue> {
        let expr = strip_conversions(expr);
        let at = file.span(expr).start;
        let named = |name: String| self.environment_name(name, at);
        match expr {
            Expr::Path(path) if path.qself.is_none() => {
                named(path.path.segments.last()?.ident.to_string())
            }
            Expr::Field(field) => match &field.member {
                syn::Member::Named(name) => named(name.to_string()),
                syn::Member::Unnamed(_) => None,
            },
            Expr::MethodCall(call) if call.args.is_empty() => named(call.method.to_string()),
            Expr::MethodCall(call) if call.args.len() == 1 => {
                // `settings.get_string("environment")`
                let key = string_literal(&call.args[0])?;
                (call.method.to_string().starts_with("get") && names_deployment_environment(&key))
                    .then_some(EnvironmentValue {
                        var: None,
                        name: key,
                    })
            }
            Expr::Call(_) => {
                let read = self.read_at(file.span(expr))?;
                let var = read.name.clone()?;
                names_deployment_environment(&var).then(|| EnvironmentValue {
                    name: var.clone(),
                    var: Some(var),
                })
            }
            _ => None,
        }
    }

    /// Whether the binding, field or method `name`, used at `at`, holds the deployment
    /// environment's name: it was bound to a read of such a variable, or it is named so.
    pub fn environment_name(&self, name: String, at: usize) -> Option<EnvironmentValue> {
        let bound = self.reads_bound_to(&name, at).find(|read| {
            read.name
                .as_deref()
                .is_some_and(names_deployment_environment)
        });
        if let Some(read) = bound {
            let var = read.name.clone();
            return Some(EnvironmentValue { var, name });
        }
        if !names_deployment_environment(&name) {
            return None;
        }
        let var = self
            .reads_bound_to(&name, at)
            .find_map(|read| read.name.clone());
        Some(EnvironmentValue { var, name })
    }
}

/// An expression known to hold the deployment environment's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentValue {
    /// The binding, field or variable as written.
    pub name: String,
    /// The environment variable it was read from, when the tool can tell.
    pub var: Option<String>,
}

impl EnvironmentValue {
    /// `` `APP_ENV` `` or `` `environment` ``, for messages.
    pub fn describe(&self) -> String {
        format!("`{}`", self.var.as_deref().unwrap_or(&self.name))
    }
}

/// Names of the environments that run the deployed service.
const DEPLOYED_ENVIRONMENT_NAMES: &[&str] = &[
    "production",
    "prod",
    "prd",
    "live",
    "staging",
    "stage",
    "stg",
    "preprod",
    "pre-prod",
    "preproduction",
    "pre-production",
    "uat",
    "qa",
    "sandbox",
];

/// Names of the environments of developers' machines, tests and CI.
const DEVELOPMENT_ENVIRONMENT_NAMES: &[&str] = &[
    "test",
    "testing",
    "development",
    "develop",
    "dev",
    "local",
    "ci",
];

/// Whether a string names a deployment environment: `production`, `Prod`, `staging`, `dev`,
/// `development`, `test`, `qa`, `local`…
pub fn is_environment_name(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    DEPLOYED_ENVIRONMENT_NAMES.contains(&lower.as_str())
        || DEVELOPMENT_ENVIRONMENT_NAMES.contains(&lower.as_str())
}

/// Whether an environment runs the deployed service (`production`, `staging`, `qa`…), rather
/// than a developer's machine, tests or CI (`development`, `local`, `test`, `ci`).
pub fn is_deployed_environment(value: &str) -> bool {
    DEPLOYED_ENVIRONMENT_NAMES.contains(&value.to_ascii_lowercase().as_str())
}

/// Whether a variable, binding, field or method name holds the deployment environment's name:
/// `APP_ENV`, `APP_ENVIRONMENT`, `ENVIRONMENT`, `RUST_ENV`, `RUN_MODE`, `DEPLOY_STAGE`,
/// `environment`, `current_env`, `app_profile`. Not `ENV_FILE`, `env_filter`, `storage_mode`.
pub fn names_deployment_environment(name: &str) -> bool {
    const WHOLE: &[&str] = &[
        "runmode",
        "appmode",
        "deploymode",
        "deploymentmode",
        "runtimemode",
        "stage",
        "appstage",
        "deploystage",
        "deploymentstage",
        "envstage",
        "appprofile",
        "activeprofile",
        "runprofile",
        "deployprofile",
        "rocketprofile",
        "springprofilesactive",
        "envname",
        "environmentname",
        "envtype",
        "environmenttype",
        "environmentkind",
        "tier",
        "apptier",
    ];
    let words = crate::facts::secrets::words(name);
    let joined: String = words.concat();
    if WHOLE.contains(&joined.as_str()) {
        return true;
    }
    words
        .last()
        .is_some_and(|last| matches!(last.as_str(), "env" | "environment" | "environ"))
}

/// `env.as_str()`, `&env`, `env.to_lowercase()`, `env?`, `password.expose_secret()` all stand
/// for the value they convert.
pub fn strip_conversions(mut expr: &Expr) -> &Expr {
    loop {
        expr = match expr {
            Expr::MethodCall(call)
                if matches!(
                    call.method.to_string().as_str(),
                    "as_str"
                        | "as_ref"
                        | "as_deref"
                        | "to_lowercase"
                        | "to_ascii_lowercase"
                        | "to_uppercase"
                        | "to_ascii_uppercase"
                        | "trim"
                        | "to_string"
                        | "to_owned"
                        | "clone"
                        | "unwrap"
                        | "unwrap_or_default"
                        | "expect"
                        | "borrow"
                        | "deref"
                        | "as_bytes"
                        | "expose_secret"
                ) =>
            {
                &call.receiver
            }
            Expr::Try(inner) => &inner.expr,
            Expr::Paren(inner) => &inner.expr,
            Expr::Group(inner) => &inner.expr,
            Expr::Reference(inner) => &inner.expr,
            Expr::Unary(syn::ExprUnary {
                op: syn::UnOp::Deref(_),
                expr,
                ..
            }) => expr,
            Expr::Await(inner) => &inner.base,
            _ => return expr,
        };
    }
}

/// The structs of a file by name, for the fields envy fills, and its string constants, for
/// reads that name their variable through one (`const DB_DSN: &str = "APP_DB_DSN"`).
#[derive(Default)]
struct StructCollector<'f> {
    structs: HashMap<String, &'f syn::ItemStruct>,
    /// `None` when two constants of the name disagree.
    constants: HashMap<String, Option<String>>,
}

impl<'f> Visit<'f> for StructCollector<'f> {
    fn visit_item(&mut self, item: &'f syn::Item) {
        if !item_attrs(item).is_some_and(is_test_code) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_struct(&mut self, item: &'f syn::ItemStruct) {
        self.structs.insert(item.ident.to_string(), item);
    }

    fn visit_item_const(&mut self, item: &'f syn::ItemConst) {
        self.constant(&item.ident, &item.expr);
    }

    fn visit_item_static(&mut self, item: &'f syn::ItemStatic) {
        self.constant(&item.ident, &item.expr);
    }
}

impl StructCollector<'_> {
    fn constant(&mut self, ident: &syn::Ident, value: &Expr) {
        let Some(value) = string_literal(value) else {
            return;
        };
        self.constants
            .entry(ident.to_string())
            .and_modify(|known| {
                if known.as_deref() != Some(value.as_str()) {
                    *known = None;
                }
            })
            .or_insert(Some(value));
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
    structs: HashMap<String, &'f syn::ItemStruct>,
    constants: HashMap<String, Option<String>>,
    /// The types of the enclosing `let` statements that declare one, with their initialisers.
    let_types: Vec<(&'f Expr, &'f syn::Type)>,
    /// The return types of the enclosing functions.
    return_types: Vec<Option<&'f syn::Type>>,
    /// How many enclosing items or statements are compiled only with a feature or in debug
    /// builds (`#[cfg(feature = "otel")]`).
    cfg_gated: usize,
    /// The enclosing functions: name, whether other modules can call it, parameter names.
    enclosing: Vec<(String, bool, Vec<String>)>,
    /// Reads of a parameter of a private function: (function, parameter index, read index).
    helper_reads: Vec<(String, usize, usize)>,
    /// Calls of functions by name (`setting("X")`, `Self::setting("X")`, `self.setting("X")`):
    /// name, literal arguments, span, whether the call is conditional.
    calls: Vec<(String, Vec<Option<String>>, Span, bool)>,
}

impl<'f> Collector<'f, '_> {
    fn finish(mut self) -> EnvFacts {
        self.expand_helpers();
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

    /// A private helper that reads the variable its caller names: when every call in the file
    /// passes a literal, each call becomes a read (at the call, with the helper's requirement).
    fn expand_helpers(&mut self) {
        for (function, param, index) in std::mem::take(&mut self.helper_reads) {
            let calls: Vec<&(String, Vec<Option<String>>, Span, bool)> = self
                .calls
                .iter()
                .filter(|(name, ..)| *name == function)
                .collect();
            let names: Option<Vec<(String, Span, bool)>> = calls
                .iter()
                .map(|(_, args, span, conditional)| {
                    args.get(param)
                        .cloned()
                        .flatten()
                        .map(|name| (name, *span, *conditional))
                })
                .collect();
            let Some(names) = names.filter(|names| !names.is_empty()) else {
                continue;
            };
            let template = self.facts.reads[index].clone();
            self.facts.reads[index].expanded = true;
            for (name, span, conditional) in names {
                self.facts.reads.push(EnvRead {
                    name: Some(name),
                    span,
                    conditional: template.conditional || conditional,
                    fallback: None,
                    ..template.clone()
                });
            }
        }
    }

    fn push_read(&mut self, read: EnvRead) {
        if let Some(field) = read.field.clone() {
            self.facts.bindings.push(ReadBinding {
                name: field,
                at: 0,
                read: self.facts.reads.len(),
            });
        }
        self.facts.reads.push(read);
    }

    fn record_read(&mut self, call: &syn::ExprCall, with_default: bool) {
        let name = call.args.first().and_then(|arg| self.name_of(arg));
        let span = self.file.span(call);
        let mut read = EnvRead::call(name.clone(), span, Requirement::Optional);
        read.conditional = self.conditional();
        if name.is_none()
            && let Some(Expr::Path(path)) = call.args.first().map(strip_references)
            && let Some(ident) = path.path.get_ident()
            && let Some((function, false, params)) = self.enclosing.last()
            && let Some(param) = params.iter().position(|p| ident == p)
        {
            self.helper_reads
                .push((function.clone(), param, self.facts.reads.len()));
        }
        if with_default {
            // `Env::var_or("PORT", 8080)`
            read.requirement = Requirement::Defaulted;
            read.fallback = call.args.iter().nth(1).map(|arg| self.file.span(arg));
            read.default = call.args.iter().nth(1).and_then(literal_text);
        } else {
            let (requirement, fallback) = self.consumer();
            read.requirement = requirement;
            if let Some((span, default)) = fallback {
                read.fallback = Some(span);
                read.default = default;
            }
        }
        if let Some(span) = read.fallback {
            self.facts.fallbacks.push(Fallback {
                span,
                var: name,
                kind: FallbackKind::EnvDefault,
            });
        }
        self.push_read(read);
    }

    /// A variable's name as the code gives it: a literal, or a string constant of this file.
    fn name_of(&self, arg: &Expr) -> Option<String> {
        if let Some(name) = string_literal(arg) {
            return Some(name);
        }
        let mut arg = arg;
        while let Expr::Reference(inner) = arg {
            arg = &inner.expr;
        }
        match arg {
            Expr::Path(path) if path.qself.is_none() => {
                let ident = path.path.get_ident()?.to_string();
                is_constant_name(&ident)
                    .then(|| self.constants.get(&ident).cloned().flatten())
                    .flatten()
            }
            _ => None,
        }
    }

    /// Whether the expression on top of the stack runs only on some paths of its function:
    /// it sits in a branch of an `if`, an arm of a `match`, or a closure.
    fn conditional(&self) -> bool {
        self.cfg_gated > 0
            || self.stack.windows(2).any(|pair| {
                let (parent, child) = (pair[0], pair[1]);
                match parent {
                    Expr::If(branch) => !std::ptr::eq(&*branch.cond, child),
                    Expr::Match(m) => !std::ptr::eq(&*m.expr, child),
                    Expr::Closure(_) => true,
                    Expr::Binary(binary) => {
                        matches!(binary.op, syn::BinOp::And(_) | syn::BinOp::Or(_))
                            && std::ptr::eq(&*binary.right, child)
                    }
                    _ => false,
                }
            })
    }

    /// How the read on top of the stack is consumed: follows its method chain outward.
    /// Gives the fallback's span and its literal, if any.
    #[allow(clippy::type_complexity)]
    fn consumer(&self) -> (Requirement, Option<(Span, Option<String>)>) {
        let mut child = *self.stack.last().expect("the read itself is on the stack");
        // After `.ok()` the value is an `Option`: `?` then returns `None` from the enclosing
        // function instead of failing.
        let mut as_option = false;
        for parent in self.stack.iter().rev().skip(1) {
            match parent {
                Expr::MethodCall(call) if std::ptr::eq(&*call.receiver, child) => {
                    let method = call.method.to_string();
                    if method == "ok" {
                        as_option = true;
                    }
                    if REQUIRING_METHODS.contains(&method.as_str()) {
                        return (Requirement::Required, None);
                    }
                    if method == "unwrap_or_default" {
                        return (Requirement::Defaulted, None);
                    }
                    if DEFAULTING_METHODS.contains(&method.as_str()) {
                        let fallback = call
                            .args
                            .first()
                            .map(|arg| (self.file.span(arg), literal_text(arg)));
                        return (Requirement::Defaulted, fallback);
                    }
                    if method.starts_with("is_") {
                        return (Requirement::Optional, None);
                    }
                }
                Expr::Try(_) if as_option => return (Requirement::Optional, None),
                Expr::Try(_) => return (Requirement::Required, None),
                Expr::Match(m) if std::ptr::eq(&*m.expr, child) => {
                    let fallback = m
                        .arms
                        .iter()
                        .find(|arm| matches_err(&arm.pat))
                        .map(|arm| (self.file.span(&*arm.body), literal_text(&arm.body)));
                    return match fallback {
                        Some(fallback) => (Requirement::Defaulted, Some(fallback)),
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
                        Some(Expr::If(branch)) if std::ptr::eq(&*branch.cond, *parent) => {
                            branch.else_branch.as_ref().map(|(_, otherwise)| {
                                (self.file.span(&**otherwise), literal_text(otherwise))
                            })
                        }
                        _ => None,
                    };
                    return match fallback {
                        Some(fallback) => (Requirement::Defaulted, Some(fallback)),
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

    /// `config::Environment::with_prefix("APP").separator("__")`, figment `Env::prefixed("APP_")`.
    fn record_prefix_read(&mut self, call: &syn::ExprCall, kind: ReadKind) {
        let prefix = call
            .args
            .first()
            .and_then(string_literal)
            .unwrap_or_default();
        let mut separator = None;
        let mut child = *self.stack.last().expect("the call is on the stack");
        for parent in self.stack.iter().rev().skip(1) {
            let Expr::MethodCall(method) = parent else {
                break;
            };
            if !std::ptr::eq(&*method.receiver, child) {
                break;
            }
            if matches!(method.method.to_string().as_str(), "separator" | "split") {
                separator = method.args.first().and_then(string_literal);
            }
            child = parent;
        }
        self.push_read(EnvRead {
            prefix: Some(prefix),
            separator,
            kind,
            ..EnvRead::call(None, self.file.span(call), Requirement::Optional)
        });
    }

    /// `envy::from_env::<Config>()`, `envy::prefixed("APP_").from_env::<Config>()`, or either
    /// with the type given by the `let` or the function's return type.
    fn record_envy(&mut self, expr: &'f Expr, prefix: String, turbofish: Option<&'f syn::Type>) {
        self.record_struct_fields(expr, prefix, turbofish, ReadKind::Envy);
    }

    /// The fields of the struct a read of the whole environment fills (envy, or config/figment
    /// with the environment as their only source), each a read of `prefix` + the field's name.
    /// Without the struct in view, envy gets one read of the whole prefix; config and figment
    /// have theirs already.
    fn record_struct_fields(
        &mut self,
        expr: &'f Expr,
        prefix: String,
        turbofish: Option<&'f syn::Type>,
        kind: ReadKind,
    ) {
        let target = turbofish
            .or_else(|| {
                self.let_types
                    .iter()
                    .rev()
                    .find(|(init, _)| {
                        let init = self.file.span(*init);
                        let span = self.file.span(expr);
                        init.start <= span.start && span.end <= init.end
                    })
                    .map(|(_, ty)| *ty)
            })
            .or_else(|| self.return_types.last().copied().flatten())
            .and_then(struct_name);
        let span = self.file.span(expr);
        let conditional = self.conditional();
        let Some(item) = target.and_then(|name| self.structs.get(&name).copied()) else {
            if kind == ReadKind::Envy {
                self.push_read(EnvRead {
                    prefix: Some(prefix),
                    kind: ReadKind::Envy,
                    ..EnvRead::call(None, span, Requirement::Optional)
                });
            }
            return;
        };
        let container_default = item.attrs.iter().any(|attr| serde_flag(attr, "default"));
        for field in &item.fields {
            let Some(ident) = &field.ident else {
                continue;
            };
            if field.attrs.iter().any(|attr| serde_flag(attr, "flatten")) {
                continue;
            }
            // A nested section (`database: DatabaseSettings`) takes variables with a separator
            // (`APP_DATABASE__URL`); only envy's flat structs are followed.
            if kind != ReadKind::Envy
                && struct_name(&field.ty).is_some_and(|name| self.structs.contains_key(&name))
            {
                continue;
            }
            let serde_name = field
                .attrs
                .iter()
                .find_map(serde_rename)
                .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_string());
            let defaulted = container_default
                || field.attrs.iter().any(|attr| {
                    serde_flag(attr, "default") || serde_default_function(attr).is_some()
                });
            let requirement = if defaulted {
                Requirement::Defaulted
            } else if type_is(&field.ty, "Option") {
                Requirement::Optional
            } else {
                Requirement::Required
            };
            self.push_read(EnvRead {
                kind,
                field: Some(ident.to_string()),
                conditional,
                ..EnvRead::call(
                    Some(format!("{prefix}{}", serde_name.to_uppercase())),
                    self.file.span(ident),
                    requirement,
                )
            });
        }
    }

    /// The prefix of the variables a figment or config builder chain reads, when the environment
    /// is its only source: `Figment::new().merge(Env::prefixed("APP_"))`,
    /// `Figment::from(Env::prefixed("APP_"))`, `Config::builder().add_source(Environment::
    /// with_prefix("APP")).build()?`. A file, a defaults provider or `set_default` in the chain
    /// may fill any field, and makes it `None`. config joins prefix and key with `_`.
    fn sole_environment_source(&self, receiver: &'f Expr) -> Option<(String, ReadKind)> {
        let mut sources: Vec<&Expr> = Vec::new();
        let mut root = None;
        for link in crate::source::rust::method_chain(receiver) {
            match link {
                Expr::MethodCall(call) => match call.method.to_string().as_str() {
                    "merge" | "join" | "adjoin" | "admerge" | "add_source" => {
                        sources.extend(call.args.first());
                    }
                    "build" | "select" | "profile" => {}
                    _ => return None,
                },
                Expr::Call(_) => root = Some(link),
                Expr::Try(_) | Expr::Await(_) | Expr::Paren(_) | Expr::Group(_) => {}
                _ => return None,
            }
        }
        let root = root?;
        let Expr::Call(root_call) = root else {
            return None;
        };
        let root_path = self.file.called_path(root)?;
        match root_path.as_str() {
            "figment::Figment::new" | "config::Config::builder" => {}
            "figment::Figment::from" => sources.extend(root_call.args.first()),
            _ => return None,
        }
        let mut found: Option<(String, ReadKind)> = None;
        for source in sources {
            // `Env::prefixed("APP_").split("__")`: the constructor is at the root of the chain.
            let constructor = crate::source::rust::method_chain(source).last()?;
            let path = self.file.called_path(constructor)?;
            let Expr::Call(call) = constructor else {
                return None;
            };
            let prefix = call
                .args
                .first()
                .and_then(string_literal)
                .unwrap_or_default();
            // config: the prefix separator, else the separator, else `_`.
            let setting = |method: &str| {
                crate::source::rust::method_chain(source).find_map(|link| match link {
                    Expr::MethodCall(m) if m.method == method => {
                        m.args.first().and_then(string_literal)
                    }
                    _ => None,
                })
            };
            let (prefix, kind) = match path.as_str() {
                "figment::providers::Env::prefixed" => (prefix, ReadKind::Figment),
                "config::Environment::with_prefix" => {
                    let joint = setting("prefix_separator")
                        .or_else(|| setting("separator"))
                        .unwrap_or_else(|| "_".to_string());
                    (format!("{prefix}{joint}"), ReadKind::ConfigEnvironment)
                }
                _ => return None,
            };
            if found.is_some() {
                return None;
            }
            found = Some((prefix, kind));
        }
        found
    }

    /// clap arguments with `env`: `#[arg(long, env = "PORT", default_value_t = 8080)]`.
    fn record_clap_fields(&mut self, item: &'f syn::ItemStruct) {
        // A struct that derives `Args` but not `Parser` is flattened into another or is the
        // arguments of a subcommand: whether its arguments are read depends on the command.
        let derives = |name: &str| {
            item.attrs.iter().any(|attr| {
                attr.path().is_ident("derive")
                    && attr
                        .parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                        .is_ok_and(|paths| {
                            paths
                                .iter()
                                .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
                        })
            })
        };
        let subcommand_arguments = derives("Args") && !derives("Parser") && !derives("StructOpt");
        for field in &item.fields {
            let Some(ident) = &field.ident else {
                continue;
            };
            for attr in &field.attrs {
                if !["arg", "clap", "structopt"]
                    .iter()
                    .any(|name| attr.path().is_ident(name))
                {
                    continue;
                }
                let Ok(metas) =
                    attr.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
                else {
                    continue;
                };
                let Some(mut read) = self.clap_read(ident, &field.ty, &metas) else {
                    continue;
                };
                read.conditional = subcommand_arguments || self.cfg_gated > 0;
                self.push_read(read);
            }
        }
    }

    fn clap_read(
        &self,
        ident: &syn::Ident,
        ty: &syn::Type,
        metas: &Punctuated<syn::Meta, syn::Token![,]>,
    ) -> Option<EnvRead> {
        let mut env = None;
        let mut default = None;
        let mut fallback = None;
        let mut has_default = false;
        let mut required = None;
        for meta in metas {
            let path = meta.path();
            let key = path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            match (key.as_str(), meta) {
                ("env", syn::Meta::Path(_)) => {
                    let name = ident.to_string().trim_start_matches("r#").to_uppercase();
                    env = Some((name, self.file.span(meta)));
                }
                ("env", syn::Meta::NameValue(value)) => {
                    env = Some((string_literal(&value.value)?, self.file.span(meta)));
                }
                (key, _) if key.starts_with("default_value") => {
                    has_default = true;
                    if let syn::Meta::NameValue(value) = meta {
                        default = literal_text(&value.value);
                        fallback = Some(self.file.span(&value.value));
                    }
                }
                ("required", syn::Meta::NameValue(value)) => {
                    required = crate::source::rust::bool_literal(&value.value);
                }
                _ => {}
            }
        }
        let (name, span) = env?;
        let optional_type = ["Option", "Vec", "bool"]
            .iter()
            .any(|name| type_is(ty, name));
        let requirement = if has_default {
            Requirement::Defaulted
        } else if required == Some(true) {
            Requirement::Required
        } else if optional_type || required == Some(false) {
            Requirement::Optional
        } else {
            Requirement::Required
        };
        Some(EnvRead {
            default,
            fallback,
            kind: ReadKind::Clap,
            field: Some(ident.to_string()),
            ..EnvRead::call(Some(name), span, requirement)
        })
    }

    /// Names the reads inside `init` are bound to by a `let` or a struct literal's field.
    fn bind_reads_in(&mut self, name: String, init: Span, at: usize) {
        for (index, read) in self.facts.reads.iter().enumerate() {
            if init.start <= read.span.start && read.span.end <= init.end {
                self.facts.bindings.push(ReadBinding {
                    name: name.clone(),
                    at,
                    read: index,
                });
            }
        }
    }
}

/// The text of a literal default, seen through closures and conversions:
/// `"8080"`, `8080`, `|_| "x".to_string()`, `String::from("x")`, `"x".into()`.
fn literal_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            syn::Lit::Str(s) => Some(s.value()),
            syn::Lit::Int(i) => Some(i.base10_digits().to_string()),
            syn::Lit::Float(f) => Some(f.base10_digits().to_string()),
            syn::Lit::Bool(b) => Some(b.value.to_string()),
            _ => None,
        },
        Expr::Closure(closure) => literal_text(&closure.body),
        Expr::Paren(inner) => literal_text(&inner.expr),
        Expr::Group(inner) => literal_text(&inner.expr),
        Expr::Reference(inner) => literal_text(&inner.expr),
        Expr::Block(block) => match block.block.stmts.as_slice() {
            [syn::Stmt::Expr(expr, None)] => literal_text(expr),
            _ => None,
        },
        Expr::MethodCall(call)
            if call.args.is_empty()
                && matches!(
                    call.method.to_string().as_str(),
                    "to_string" | "into" | "to_owned" | "to_os_string"
                ) =>
        {
            literal_text(&call.receiver)
        }
        Expr::Call(call) if call.args.len() == 1 => {
            let Expr::Path(path) = &*call.func else {
                return None;
            };
            let last = path.path.segments.last()?.ident.to_string();
            matches!(last.as_str(), "from" | "Ok" | "Some" | "new")
                .then(|| literal_text(&call.args[0]))
                .flatten()
        }
        _ => None,
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

/// Whether a type's outermost name is `name`: `Option<String>`, `std::option::Option<u16>`.
fn type_is(ty: &syn::Type, name: &str) -> bool {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().is_some_and(|s| s.ident == name),
        syn::Type::Group(group) => type_is(&group.elem, name),
        syn::Type::Paren(paren) => type_is(&paren.elem, name),
        _ => false,
    }
}

/// The struct a type names, looking into `Result<T, _>` and `anyhow::Result<T>`.
fn struct_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident == "Result" || last.ident == "Option" {
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        return args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::Type(inner) => struct_name(inner),
            _ => None,
        });
    }
    Some(last.ident.to_string())
}

/// The value of `#[serde(default = "default_url")]`: `default_url`.
fn serde_default_function(attr: &syn::Attribute) -> Option<String> {
    serde_value(attr, "default")
        .map(|value| value.rsplit("::").next().unwrap_or_default().to_string())
}

/// `#[serde(rename = "db_url")]`.
fn serde_rename(attr: &syn::Attribute) -> Option<String> {
    serde_value(attr, "rename")
}

/// The string value of `key` in a `#[serde(…)]` attribute.
fn serde_value(attr: &syn::Attribute, key: &str) -> Option<String> {
    serde_entries(attr)
        .into_iter()
        .find(|(name, _)| name == key)
        .and_then(|(_, value)| value)
}

/// Whether a `#[serde(…)]` attribute holds the bare flag `key` (`default`, `flatten`).
fn serde_flag(attr: &syn::Attribute, key: &str) -> bool {
    serde_entries(attr)
        .iter()
        .any(|(name, value)| name == key && value.is_none())
}

/// The top-level entries of a `#[serde(…)]` attribute: `default` gives (`default`, `None`),
/// `rename = "x"` gives (`rename`, `Some("x")`); nested lists (`rename(deserialize = …)`) are
/// skipped.
fn serde_entries(attr: &syn::Attribute) -> Vec<(String, Option<String>)> {
    let mut entries = Vec::new();
    if !attr.path().is_ident("serde") {
        return entries;
    }
    let _ = attr.parse_nested_meta(|meta| {
        let key = meta
            .path
            .get_ident()
            .map(|ident| ident.to_string())
            .unwrap_or_default();
        if meta.input.peek(syn::Token![=]) {
            let value: Expr = meta.value()?.parse()?;
            entries.push((key, string_literal(&value)));
        } else if meta.input.peek(syn::token::Paren) {
            meta.parse_nested_meta(|nested| {
                if nested.input.peek(syn::Token![=]) {
                    let _: Expr = nested.value()?.parse()?;
                }
                Ok(())
            })?;
        } else {
            entries.push((key, None));
        }
        Ok(())
    });
    entries
}

impl<'f> Visit<'f> for Collector<'f, '_> {
    /// Test code reads and defaults nothing the deployed service depends on.
    fn visit_item(&mut self, item: &'f syn::Item) {
        let attrs = item_attrs(item).unwrap_or_default();
        if is_test_code(attrs) {
            return;
        }
        let gated = is_cfg_gated(attrs);
        self.cfg_gated += usize::from(gated);
        syn::visit::visit_item(self, item);
        self.cfg_gated -= usize::from(gated);
    }

    fn visit_impl_item(&mut self, item: &'f syn::ImplItem) {
        let attrs: &[syn::Attribute] = match item {
            syn::ImplItem::Fn(f) => &f.attrs,
            syn::ImplItem::Const(c) => &c.attrs,
            _ => &[],
        };
        let gated = is_cfg_gated(attrs);
        self.cfg_gated += usize::from(gated);
        syn::visit::visit_impl_item(self, item);
        self.cfg_gated -= usize::from(gated);
    }

    fn visit_stmt(&mut self, stmt: &'f syn::Stmt) {
        let attrs: &[syn::Attribute] = match stmt {
            syn::Stmt::Local(local) => &local.attrs,
            syn::Stmt::Macro(mac) => &mac.attrs,
            syn::Stmt::Expr(expr, _) => expr_attrs(expr),
            syn::Stmt::Item(_) => &[],
        };
        let gated = is_cfg_gated(attrs);
        self.cfg_gated += usize::from(gated);
        syn::visit::visit_stmt(self, stmt);
        self.cfg_gated -= usize::from(gated);
    }

    fn visit_item_struct(&mut self, item: &'f syn::ItemStruct) {
        self.record_clap_fields(item);
        syn::visit::visit_item_struct(self, item);
    }

    fn visit_expr(&mut self, expr: &'f Expr) {
        self.stack.push(expr);
        let called = match expr {
            Expr::Call(call) => match &*call.func {
                // `setting("X")`, `Self::setting("X")`.
                Expr::Path(path)
                    if path.path.segments.len() == 1
                        || path.path.segments.len() == 2
                            && path.path.segments[0].ident == "Self" =>
                {
                    path.path
                        .segments
                        .last()
                        .map(|s| (s.ident.to_string(), &call.args))
                }
                _ => None,
            },
            // `self.setting("X")`: the receiver is an argument of the method.
            Expr::MethodCall(call) if matches!(&*call.receiver, Expr::Path(p) if p.path.is_ident("self")) => {
                Some((call.method.to_string(), &call.args))
            }
            _ => None,
        };
        if let Some((name, args)) = called {
            let mut literals: Vec<Option<String>> = args.iter().map(|a| self.name_of(a)).collect();
            if matches!(expr, Expr::MethodCall(_)) {
                literals.insert(0, None);
            }
            self.calls
                .push((name, literals, self.file.span(expr), self.conditional()));
        }
        match expr {
            Expr::Call(call) => {
                let path = self.file.called_path_where(expr, |path| {
                    ENV_READ_FUNCTIONS.contains(&path)
                        || ENV_READ_OR_FUNCTIONS.contains(&path)
                        || CONFIG_ENVIRONMENT_CONSTRUCTORS.contains(&path)
                        || FIGMENT_ENV_CONSTRUCTORS.contains(&path)
                        || ENV_ITERATION_FUNCTIONS.contains(&path)
                        || path == "envy::from_env"
                });
                match path.as_deref() {
                    Some(path) if ENV_READ_FUNCTIONS.contains(&path) => {
                        self.record_read(call, false)
                    }
                    Some(path) if ENV_READ_OR_FUNCTIONS.contains(&path) => {
                        self.record_read(call, true)
                    }
                    Some(path) if CONFIG_ENVIRONMENT_CONSTRUCTORS.contains(&path) => {
                        self.record_prefix_read(call, ReadKind::ConfigEnvironment)
                    }
                    Some(path) if FIGMENT_ENV_CONSTRUCTORS.contains(&path) => {
                        self.record_prefix_read(call, ReadKind::Figment)
                    }
                    Some(path) if ENV_ITERATION_FUNCTIONS.contains(&path) => {
                        self.push_read(EnvRead {
                            prefix: Some(String::new()),
                            kind: ReadKind::All,
                            ..EnvRead::call(None, self.file.span(call), Requirement::Optional)
                        });
                    }
                    Some("envy::from_env") => {
                        let turbofish = match &*call.func {
                            Expr::Path(path) => turbofish_type(&path.path),
                            _ => None,
                        };
                        self.record_envy(expr, String::new(), turbofish);
                    }
                    _ => {}
                }
            }
            Expr::MethodCall(call) if call.method == "from_env" => {
                if let Expr::Call(receiver) = &*call.receiver
                    && self
                        .file
                        .called_path_where(&call.receiver, |path| path == "envy::prefixed")
                        .is_some()
                {
                    let prefix = receiver
                        .args
                        .first()
                        .and_then(string_literal)
                        .unwrap_or_default();
                    let turbofish = call.turbofish.as_ref().and_then(|args| {
                        args.args.iter().find_map(|arg| match arg {
                            syn::GenericArgument::Type(ty) => Some(ty),
                            _ => None,
                        })
                    });
                    self.record_envy(expr, prefix, turbofish);
                }
            }
            Expr::MethodCall(call)
                if matches!(
                    call.method.to_string().as_str(),
                    "extract" | "try_deserialize"
                ) =>
            {
                if let Some((prefix, kind)) = self.sole_environment_source(&call.receiver) {
                    let turbofish = call.turbofish.as_ref().and_then(|args| {
                        args.args.iter().find_map(|arg| match arg {
                            syn::GenericArgument::Type(ty) => Some(ty),
                            _ => None,
                        })
                    });
                    self.record_struct_fields(expr, prefix, turbofish, kind);
                }
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
        if let Expr::Struct(literal) = expr {
            for field in &literal.fields {
                if let syn::Member::Named(name) = &field.member {
                    let init = self.file.span(&field.expr);
                    self.bind_reads_in(name.to_string(), init, init.start);
                }
            }
        }
        self.stack.pop();
    }

    fn visit_local(&mut self, local: &'f syn::Local) {
        let typed = match (&local.pat, &local.init) {
            (Pat::Type(typed), Some(init)) => Some((&*init.expr, &*typed.ty)),
            _ => None,
        };
        if let Some(typed) = typed {
            self.let_types.push(typed);
        }
        syn::visit::visit_local(self, local);
        if typed.is_some() {
            self.let_types.pop();
        }
        if let (Some(name), Some(init)) = (pattern_name(&local.pat), &local.init) {
            let end = self.file.span(local).end;
            self.bind_reads_in(name, self.file.span(&*init.expr), end);
        }
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
        self.return_types.push(return_type(&item.sig));
        self.enclosing
            .push(function_context(&item.sig, Some(&item.vis)));
        syn::visit::visit_item_fn(self, item);
        self.enclosing.pop();
        self.return_types.pop();
    }

    fn visit_impl_item_fn(&mut self, item: &'f syn::ImplItemFn) {
        self.return_types.push(return_type(&item.sig));
        self.enclosing
            .push(function_context(&item.sig, Some(&item.vis)));
        syn::visit::visit_impl_item_fn(self, item);
        self.enclosing.pop();
        self.return_types.pop();
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

fn strip_references(mut expr: &Expr) -> &Expr {
    while let Expr::Reference(inner) = expr {
        expr = &inner.expr;
    }
    expr
}

/// A function's name, whether another module may call it, and its parameters' names.
fn function_context(
    sig: &syn::Signature,
    vis: Option<&syn::Visibility>,
) -> (String, bool, Vec<String>) {
    let params = sig
        .inputs
        .iter()
        .map(|input| match input {
            syn::FnArg::Typed(typed) => pattern_name(&typed.pat).unwrap_or_default(),
            syn::FnArg::Receiver(_) => String::new(),
        })
        .collect();
    let public = vis.is_some_and(|v| !matches!(v, syn::Visibility::Inherited));
    (sig.ident.to_string(), public, params)
}

/// `#[cfg(feature = "…")]`, `#[cfg(debug_assertions)]` and combinations naming them: code a
/// default release build may not contain. `#[cfg(unix)]` and the like are compiled for the
/// containers services run in.
fn is_cfg_gated(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && matches!(&attr.meta, syn::Meta::List(list) if {
                let tokens = list.tokens.to_string();
                tokens.contains("feature") || tokens.contains("debug_assertions")
            })
    })
}

fn return_type(sig: &syn::Signature) -> Option<&syn::Type> {
    match &sig.output {
        syn::ReturnType::Type(_, ty) => Some(ty),
        syn::ReturnType::Default => None,
    }
}

/// `from_env::<Config>` → `Config`.
fn turbofish_type(path: &syn::Path) -> Option<&syn::Type> {
    let syn::PathArguments::AngleBracketed(args) = &path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

fn pattern_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(ident) => Some(ident.ident.to_string()),
        Pat::Type(typed) => pattern_name(&typed.pat),
        _ => None,
    }
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
    let j = (|| Some(env::var("J").ok()?.len()))();
    Ok(())
}
fn setting(name: &str) -> String {
    env::var(name).expect("required")
}
fn load() {
    let a = setting("HELPER_A");
    if true { setting("HELPER_B"); }
}"#,
        );
        let summary: Vec<(String, Requirement)> = facts
            .reads
            .iter()
            .filter(|r| !r.expanded)
            .map(|r| (r.name.clone().unwrap(), r.requirement))
            .collect();
        let helper: Vec<(&str, bool)> = facts
            .reads
            .iter()
            .filter(|r| r.name.as_deref().is_some_and(|n| n.starts_with("HELPER")))
            .map(|r| (r.name.as_deref().unwrap(), r.conditional))
            .collect();
        assert_eq!(helper, [("HELPER_A", false), ("HELPER_B", true)]);
        assert!(facts.reads.iter().all(EnvRead::is_resolved));
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
            ("J", Optional),
            ("HELPER_A", Required),
            ("HELPER_B", Required),
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

    fn reads(text: &str) -> Vec<EnvRead> {
        facts(text).0.reads
    }

    fn summary(reads: &[EnvRead]) -> Vec<(Option<&str>, Requirement, Option<&str>)> {
        reads
            .iter()
            .map(|r| (r.name.as_deref(), r.requirement, r.default.as_deref()))
            .collect()
    }

    #[test]
    fn default_literals_are_kept() {
        let reads = reads(
            r#"fn f() {
    let a = std::env::var("A").unwrap_or_else(|_| "0.0.0.0".to_string());
    let b: u16 = std::env::var("B").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let c = std::env::var("C").unwrap_or_default();
    let d = figment::providers::Env::var_or("D", "x");
}"#,
        );
        use Requirement::*;
        assert_eq!(
            summary(&reads),
            [
                (Some("A"), Defaulted, Some("0.0.0.0")),
                (Some("B"), Defaulted, Some("8080")),
                (Some("C"), Defaulted, None),
                (Some("D"), Defaulted, Some("x")),
            ]
        );
    }

    #[test]
    fn clap_arguments_with_env() {
        let reads = reads(
            r#"use clap::Parser;
#[derive(Parser)]
struct Args {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    host: String,
    #[clap(long, env)]
    api_token: Option<String>,
    #[arg(long, env = "VERBOSE")]
    verbose: bool,
    #[arg(long)]
    no_env: String,
    #[arg(long, env = "FORCED", required = true)]
    forced: Option<String>,
}"#,
        );
        use Requirement::*;
        assert_eq!(
            summary(&reads),
            [
                (Some("DATABASE_URL"), Required, None),
                (Some("PORT"), Defaulted, Some("8080")),
                (Some("HOST"), Defaulted, Some("0.0.0.0")),
                (Some("API_TOKEN"), Optional, None),
                (Some("VERBOSE"), Optional, None),
                (Some("FORCED"), Required, None),
            ]
        );
        assert!(reads.iter().all(|r| r.kind == ReadKind::Clap));
        assert_eq!(reads[0].field.as_deref(), Some("database_url"));
    }

    #[test]
    fn envy_fills_the_fields_of_a_struct_in_the_same_file() {
        let (facts, text) = facts(
            r#"#[derive(serde::Deserialize)]
struct Config {
    database_url: String,
    port: Option<u16>,
    #[serde(default)]
    workers: usize,
    #[serde(default = "default_host")]
    host: String,
    #[serde(rename = "redis")]
    cache_url: String,
}
#[derive(serde::Deserialize)]
#[serde(default)]
struct Tuning { pool_size: u32 }
fn load() -> anyhow::Result<()> {
    let config = envy::from_env::<Config>()?;
    let tuning: Tuning = envy::prefixed("TUNING_").from_env()?;
    let other = envy::from_env::<Elsewhere>()?;
    Ok(())
}
fn load_config() -> Result<Config, envy::Error> { envy::prefixed("APP_").from_env() }"#,
        );
        use Requirement::*;
        assert_eq!(
            summary(&facts.reads),
            [
                (Some("DATABASE_URL"), Required, None),
                (Some("PORT"), Optional, None),
                (Some("WORKERS"), Defaulted, None),
                (Some("HOST"), Defaulted, None),
                (Some("REDIS"), Required, None),
                (Some("TUNING_POOL_SIZE"), Defaulted, None),
                (None, Optional, None),
                (Some("APP_DATABASE_URL"), Required, None),
                (Some("APP_PORT"), Optional, None),
                (Some("APP_WORKERS"), Defaulted, None),
                (Some("APP_HOST"), Defaulted, None),
                (Some("APP_REDIS"), Required, None),
            ]
        );
        assert!(facts.reads.iter().all(|r| r.kind == ReadKind::Envy));
        assert_eq!(facts.reads[6].prefix.as_deref(), Some(""));
        let span = facts.reads[0].span;
        assert_eq!(&text[span.start..span.end], "database_url");
    }

    #[test]
    fn constants_name_variables_and_iteration_reads_everything() {
        let reads = reads(
            r#"const DB_DSN: &str = "APP_DB_DSN";
fn load(key: &str) -> anyhow::Result<()> {
    const LOCAL: &str = "LOCAL_VAR";
    let a = std::env::var(DB_DSN)?;
    let b = std::env::var_os(LOCAL);
    let c = std::env::var(key)?;
    for (name, value) in std::env::vars() {}
    Ok(())
}"#,
        );
        let names: Vec<Option<&str>> = reads.iter().map(|r| r.name.as_deref()).collect();
        assert_eq!(names, [Some("APP_DB_DSN"), Some("LOCAL_VAR"), None, None]);
        assert!(reads[..2].iter().all(EnvRead::is_resolved));
        assert!(!reads[2].is_resolved());
        assert_eq!(reads[3].kind, ReadKind::All);
        assert!(reads[3].is_resolved() && reads[3].covers("ANYTHING"));
    }

    #[test]
    fn reads_on_some_paths_only_are_conditional() {
        let reads = reads(
            r#"fn f(s3: bool, backend: &str) -> anyhow::Result<()> {
    let always = std::env::var("ALWAYS")?;
    if s3 { let bucket = std::env::var("BUCKET")?; }
    let key = match backend { "kms" => std::env::var("KMS_KEY")?, _ => String::new() };
    let lazy = std::env::var("X").or_else(|_| std::env::var("Y"));
    let cond = if std::env::var("FLAG").is_ok() { 1 } else { 2 };
    Ok(())
}"#,
        );
        let conditional: Vec<(&str, bool)> = reads
            .iter()
            .map(|r| (r.name.as_deref().unwrap(), r.conditional))
            .collect();
        assert_eq!(
            conditional,
            [
                ("ALWAYS", false),
                ("BUCKET", true),
                ("KMS_KEY", true),
                ("X", false),
                ("Y", true),
                ("FLAG", false),
            ]
        );
    }

    #[test]
    fn feature_gated_code_and_subcommand_arguments_are_conditional() {
        let reads = reads(
            r#"#[derive(clap::Parser)]
struct Cli {
    #[arg(long, env = "TOP")]
    top: String,
}
#[derive(clap::Args)]
struct MigrateArgs {
    #[arg(long, env = "MIGRATIONS_DIR")]
    dir: String,
}
#[cfg(feature = "telemetry")]
fn tracer() -> String { std::env::var("OTLP_ENDPOINT").expect("needs a collector") }
#[cfg(unix)]
fn socket() -> String { std::env::var("SOCKET").unwrap() }
fn main() {
    #[cfg(debug_assertions)]
    let dev = std::env::var("DEV_ONLY").unwrap();
    let always = std::env::var("ALWAYS").unwrap();
}"#,
        );
        let conditional: Vec<(&str, bool)> = reads
            .iter()
            .map(|r| (r.name.as_deref().unwrap(), r.conditional))
            .collect();
        assert_eq!(
            conditional,
            [
                ("TOP", false),
                ("MIGRATIONS_DIR", true),
                ("OTLP_ENDPOINT", true),
                ("SOCKET", false),
                ("DEV_ONLY", true),
                ("ALWAYS", false),
            ]
        );
    }

    #[test]
    fn config_and_figment_with_only_the_environment_fill_their_structs() {
        let reads = reads(
            r#"use figment::{Figment, providers::{Env, Format, Toml}};
#[derive(serde::Deserialize)]
struct Settings {
    database_url: String,
    port: Option<u16>,
    #[serde(default)]
    workers: usize,
    cache: CacheSettings,
}
#[derive(serde::Deserialize)]
struct CacheSettings { url: String }
fn load() -> anyhow::Result<()> {
    let a: Settings = Figment::new().merge(Env::prefixed("APP_")).extract()?;
    let b = config::Config::builder()
        .add_source(config::Environment::with_prefix("SVC").separator("__"))
        .build()?
        .try_deserialize::<Settings>()?;
    // A file may fill any field.
    let c: Settings = Figment::new().merge(Toml::file("App.toml")).merge(Env::prefixed("F_")).extract()?;
    Ok(())
}"#,
        );
        let named: Vec<(&str, Requirement)> = reads
            .iter()
            .filter_map(|r| Some((r.name.as_deref()?, r.requirement)))
            .collect();
        use Requirement::*;
        assert_eq!(
            named,
            [
                ("APP_DATABASE_URL", Required),
                ("APP_PORT", Optional),
                ("APP_WORKERS", Defaulted),
                ("SVC__DATABASE_URL", Required),
                ("SVC__PORT", Optional),
                ("SVC__WORKERS", Defaulted),
            ]
        );
    }

    #[test]
    fn prefixes_of_config_and_figment() {
        let reads = reads(
            r#"use figment::providers::{Env, Format, Toml};
fn load() {
    let settings = config::Config::builder()
        .add_source(config::Environment::with_prefix("APP").prefix_separator("_").separator("__"))
        .build();
    let figment = figment::Figment::new().merge(Toml::file("App.toml")).merge(Env::prefixed("APP_").split("__"));
    let all = figment::Figment::new().merge(Env::raw());
}"#,
        );
        let prefixes: Vec<(ReadKind, Option<&str>, Option<&str>)> = reads
            .iter()
            .map(|r| (r.kind, r.prefix.as_deref(), r.separator.as_deref()))
            .collect();
        assert_eq!(
            prefixes,
            [
                (ReadKind::ConfigEnvironment, Some("APP"), Some("__")),
                (ReadKind::Figment, Some("APP_"), Some("__")),
                (ReadKind::Figment, Some(""), None),
            ]
        );
        assert!(reads.iter().all(|r| r.requirement == Requirement::Optional));
        assert!(reads[1].covers("APP_PORT"));
        assert!(!reads[1].covers("PORT"));
    }

    #[test]
    fn names_bound_to_reads_hold_the_environment() {
        let (facts, text) = facts(
            r#"fn f() -> anyhow::Result<()> {
    let mode = std::env::var("RUN_MODE").unwrap_or_else(|_| "development".into());
    let e = Settings { environment: std::env::var("APP_ENVIRONMENT")? };
    let port = std::env::var("PORT")?;
    if mode == "production" {}
    if port == "80" {}
    Ok(())
}"#,
        );
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/src/main.rs"),
            crate::source::FileKind::Rust,
            text.clone(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        let value = |code: &str| {
            let expr: Expr = syn::parse_str(code).unwrap();
            facts.environment_value(&file, &expr)
        };
        // Names alone: the spans of parsed snippets start at 0, before every binding.
        assert_eq!(value("environment").unwrap().describe(), "`environment`");
        assert_eq!(
            value("self.settings.app_env.as_str()").unwrap().name,
            "app_env"
        );
        assert_eq!(value("config.run_mode()").unwrap().name, "run_mode");
        assert!(value("mode").is_none());
        assert!(value("env_filter").is_none());
        assert!(value("storage_mode").is_none());
        assert_eq!(
            facts
                .reads_bound_to("mode", text.len())
                .next()
                .unwrap()
                .name
                .as_deref(),
            Some("RUN_MODE")
        );
        assert_eq!(
            facts
                .reads_bound_to("environment", text.len())
                .next()
                .unwrap()
                .name
                .as_deref(),
            Some("APP_ENVIRONMENT")
        );
        assert!(facts.reads_bound_to("mode", 0).next().is_none());
    }

    #[test]
    fn environment_names() {
        for name in [
            "production",
            "Prod",
            "staging",
            "dev",
            "development",
            "test",
            "qa",
            "local",
        ] {
            assert!(is_environment_name(name), "{name}");
        }
        for name in ["debug", "json", "postgres", "info"] {
            assert!(!is_environment_name(name), "{name}");
        }
        assert!(is_deployed_environment("production"));
        assert!(is_deployed_environment("Staging"));
        for name in ["development", "local", "test", "ci", "json"] {
            assert!(!is_deployed_environment(name), "{name}");
        }
        for name in [
            "APP_ENV",
            "APP_ENVIRONMENT",
            "ENVIRONMENT",
            "RUST_ENV",
            "RUN_MODE",
            "DEPLOY_STAGE",
            "environment",
            "current_env",
            "appEnv",
            "env",
        ] {
            assert!(names_deployment_environment(name), "{name}");
        }
        for name in [
            "ENV_FILE",
            "env_filter",
            "storage_mode",
            "mode",
            "RUST_LOG",
            "envs",
        ] {
            assert!(!names_deployment_environment(name), "{name}");
        }
    }
}
