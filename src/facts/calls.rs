//! Functions and what they call, by name, with the places that matter for start-up: schema
//! migrations, logger set-up and print macros. Across files the names make a call graph that
//! tells which code runs on the way to a server's start ([`Startup`]).
//!
//! Calls are matched by name, not by type: `x.run()` may call any method named `run` of the
//! workspace. The graph is therefore a little larger than the real one; it never follows calls
//! into other crates, trait objects or macros it cannot read.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use syn::visit::Visit;
use syn::{Expr, ImplItem, Item, Pat, TraitItem};

use crate::diagnostic::Span;
use crate::facts::RustFacts;
use crate::facts::{filesystem, logging, migrations, processes};
use crate::source::edges::expr_attrs;
use crate::source::rust::{CodeRole, RustFile, is_test_code};
use crate::workspace::Workspace;

/// The functions of one file and the start-up-relevant places in them. Empty for test code.
#[derive(Debug, Default)]
pub struct FileFunctions {
    pub functions: Vec<Function>,
    /// Schema migration runs; `what` is the migration tool.
    pub migrations: Vec<Site>,
    /// Calls that install a logger; `what` is the logging library.
    pub logger_inits: Vec<Site>,
    /// `println!`, `eprintln!`, `print!`, `eprint!` and `dbg!`; `what` is the macro's name.
    pub prints: Vec<Site>,
    /// External programs started with a literal name.
    pub processes: Vec<(processes::SpawnedProcess, Site)>,
    /// Filesystem writes, with where their path comes from. Files handed to a logger are not
    /// included (`log-to-file` covers them).
    pub writes: Vec<(FileWrite, Site)>,
}

/// A filesystem write and where its path comes from.
#[derive(Clone, Debug)]
pub struct FileWrite {
    /// The call as users write it: `fs::write`, `File::create`, `OpenOptions::open`.
    pub operation: &'static str,
    pub origin: filesystem::PathOrigin,
}

#[derive(Debug)]
pub struct Function {
    pub name: String,
    /// The type of the `impl` (or the trait) the function belongs to.
    pub owner: Option<String>,
    /// Whether it takes `self`.
    pub is_method: bool,
    /// A free function of a module, not nested in another function.
    pub top_level: bool,
    /// Callable from outside the crate or through a trait: `pub`, a trait method or a trait
    /// impl's method.
    pub exported: bool,
    /// The module it is in, by its last name (`db` for `src/db/mod.rs` or `mod db { .. }`);
    /// `None` at a crate's root (`lib.rs`, `main.rs`).
    pub module: Option<String>,
    /// The whole item, attributes included.
    pub span: Span,
    pub name_span: Span,
    /// The statements of its body, in order.
    pub statements: Vec<Span>,
    pub references: Vec<Reference>,
}

/// A function named in a body: called, called as a method, or passed as a value.
#[derive(Debug)]
pub struct Reference {
    pub name: String,
    /// `Type::name(..)` gives `Type`; `Self` is replaced by the enclosing `impl`'s type.
    pub owner: Option<String>,
    /// `db::connect(..)` gives `db` (after the file's `use` items): the module or crate named.
    pub qualifier: Option<String>,
    pub kind: ReferenceKind,
    pub span: Span,
    pub gate: Gate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceKind {
    /// `name(..)`, `module::name(..)`, `Type::name(..)`.
    Call,
    /// `value.name(..)`.
    Method,
    /// A function passed as an argument: `get(handler)`, `.and_then(run_migrations)`.
    Value,
}

/// The branch a place sits in, within its function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gate {
    /// In the arm of a subcommand (`match args.command { Some(Command::Migrate) => .. }`,
    /// `if let Some(Cmd::Migration { .. }) = ..`): a one-off run of the binary, not its start.
    pub subcommand: bool,
    /// In the `then` block of an `if` on a boolean that names migrations
    /// (`if cfg.run_migrations { .. }`): an opt-in.
    pub conditional: bool,
    /// In a branch of an `if` whose other branch logs (`if interactive { println!(..) } else
    /// { info!(..) }`): output chosen over the logger on purpose.
    pub logged_otherwise: bool,
}

impl Gate {
    pub fn is_open(self) -> bool {
        !self.subcommand && !self.conditional
    }
}

/// A place of interest inside (or outside) a function.
#[derive(Clone, Debug)]
pub struct Site {
    pub what: &'static str,
    pub span: Span,
    /// The innermost enclosing function, as an index into `functions`.
    pub function: Option<usize>,
    pub gate: Gate,
}

impl FileFunctions {
    pub fn extract(file: &RustFile<'_>) -> FileFunctions {
        if file.role != CodeRole::Production {
            return FileFunctions::default();
        }
        let mut collector = Collector {
            file,
            migrators: migrations::sqlx_migrators(file),
            out: FileFunctions::default(),
            functions: Vec::new(),
            bodies: Vec::new(),
            exprs: Vec::new(),
            modules: vec![file_module(&file.source.path)],
            qualifier: None,
            owners: Vec::new(),
            gate: Gate::default(),
        };
        collector.visit_file(&file.syntax);
        collector.out
    }
}

struct Collector<'f, 's> {
    file: &'f RustFile<'s>,
    migrators: HashSet<String>,
    out: FileFunctions,
    /// The enclosing functions, innermost last.
    functions: Vec<usize>,
    /// Their bodies.
    bodies: Vec<&'f syn::Block>,
    /// The enclosing expressions, innermost last.
    exprs: Vec<&'f Expr>,
    /// The module of the file, then the inline modules around the current item.
    modules: Vec<Option<String>>,
    /// The qualifier of the path reference being recorded.
    qualifier: Option<String>,
    /// The enclosing `impl` or trait types, innermost last (`None` inside a function body).
    owners: Vec<Option<String>>,
    gate: Gate,
}

impl<'f> Collector<'f, '_> {
    fn function(
        &mut self,
        sig: &syn::Signature,
        block: &'f syn::Block,
        whole: Span,
        top_level: bool,
        exported: bool,
        owner: Option<String>,
    ) {
        let index = self.out.functions.len();
        self.out.functions.push(Function {
            name: sig.ident.to_string(),
            owner,
            is_method: sig.receiver().is_some(),
            top_level,
            exported,
            module: self.modules.last().cloned().flatten(),
            span: whole,
            name_span: self.file.span(&sig.ident),
            statements: block.stmts.iter().map(|s| self.file.span(s)).collect(),
            references: Vec::new(),
        });
        self.functions.push(index);
        self.bodies.push(block);
        self.owners.push(None);
        let gate = std::mem::take(&mut self.gate);
        let exprs = std::mem::take(&mut self.exprs);
        self.visit_block(block);
        self.exprs = exprs;
        self.gate = gate;
        self.owners.pop();
        self.bodies.pop();
        self.functions.pop();
    }

    fn current_owner(&self) -> Option<String> {
        self.owners.last().cloned().flatten()
    }

    fn reference(&mut self, name: String, owner: Option<String>, kind: ReferenceKind, span: Span) {
        let qualifier = self.qualifier.take();
        let Some(&function) = self.functions.last() else {
            return;
        };
        let gate = self.gate;
        self.out.functions[function].references.push(Reference {
            name,
            owner,
            qualifier,
            kind,
            span,
            gate,
        });
    }

    fn site(&self, what: &'static str, span: Span) -> Site {
        Site {
            what,
            span,
            function: self.functions.last().copied(),
            gate: self.gate,
        }
    }

    /// Records a path called or passed as a value.
    fn path_reference(&mut self, path: &syn::Path, kind: ReferenceKind, span: Span) {
        let resolved = self.file.resolve(path);
        let mut parts = resolved.rsplit("::");
        parts.next();
        self.qualifier = parts
            .next()
            .filter(|q| q.starts_with(char::is_lowercase))
            .filter(|q| !matches!(*q, "crate" | "self" | "super"))
            .map(str::to_string);
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let Some(name) = segments.last().cloned() else {
            return;
        };
        let owner = match segments.len() {
            0 | 1 => None,
            n => {
                let qualifier = &segments[n - 2];
                if qualifier == "Self" {
                    self.impl_type()
                } else if qualifier.starts_with(char::is_uppercase) {
                    Some(qualifier.clone())
                } else {
                    None
                }
            }
        };
        self.reference(name, owner, kind, span);
    }

    /// The type of the nearest `impl` around the current function.
    fn impl_type(&self) -> Option<String> {
        self.owners.iter().rev().flatten().next().cloned()
    }

    fn gated(&mut self, gate: Gate, visit: impl FnOnce(&mut Self)) {
        let saved = self.gate;
        self.gate.subcommand |= gate.subcommand;
        self.gate.conditional |= gate.conditional;
        self.gate.logged_otherwise |= gate.logged_otherwise;
        visit(self);
        self.gate = saved;
    }
}

impl<'f> Visit<'f> for Collector<'f, '_> {
    fn visit_stmt(&mut self, stmt: &'f syn::Stmt) {
        let attrs: &[syn::Attribute] = match stmt {
            syn::Stmt::Local(local) => &local.attrs,
            syn::Stmt::Macro(mac) => &mac.attrs,
            syn::Stmt::Expr(expr, _) => expr_attrs(expr),
            syn::Stmt::Item(_) => &[],
        };
        if is_test_code(attrs) {
            return;
        }
        syn::visit::visit_stmt(self, stmt);
    }

    fn visit_item(&mut self, item: &'f Item) {
        if crate::source::rust::item_attrs(item).is_some_and(is_test_code) {
            return;
        }
        match item {
            Item::Fn(function) => {
                let top_level = self.functions.is_empty();
                let whole = self.file.span(item);
                let exported = matches!(function.vis, syn::Visibility::Public(_));
                self.function(
                    &function.sig,
                    &function.block,
                    whole,
                    top_level,
                    exported,
                    None,
                );
            }
            Item::Impl(block) => {
                let owner = match &*block.self_ty {
                    syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                };
                self.owners.push(owner);
                let of_trait = block.trait_.is_some();
                for item in &block.items {
                    match item {
                        ImplItem::Fn(function) if !is_test_code(&function.attrs) => {
                            let owner = self.current_owner();
                            let whole = self.file.span(item);
                            let exported =
                                of_trait || matches!(function.vis, syn::Visibility::Public(_));
                            self.function(
                                &function.sig,
                                &function.block,
                                whole,
                                false,
                                exported,
                                owner,
                            );
                        }
                        ImplItem::Fn(_) => {}
                        _ => syn::visit::visit_impl_item(self, item),
                    }
                }
                self.owners.pop();
            }
            Item::Trait(definition) => {
                self.owners.push(Some(definition.ident.to_string()));
                for item in &definition.items {
                    self.visit_trait_item(item);
                }
                self.owners.pop();
            }
            Item::Macro(mac) if mac.mac.path.is_ident("macro_rules") => {}
            Item::Mod(module) => {
                self.modules.push(Some(module.ident.to_string()));
                syn::visit::visit_item(self, item);
                self.modules.pop();
            }
            _ => syn::visit::visit_item(self, item),
        }
    }

    fn visit_trait_item(&mut self, item: &'f TraitItem) {
        if let TraitItem::Fn(function) = item
            && let Some(block) = &function.default
            && !is_test_code(&function.attrs)
        {
            let owner = self.current_owner();
            let whole = self.file.span(item);
            self.function(&function.sig, block, whole, false, true, owner);
        }
    }

    fn visit_expr(&mut self, expr: &'f Expr) {
        self.effects(expr);
        self.exprs.push(expr);
        self.visit_expr_inner(expr);
        self.exprs.pop();
    }

    fn visit_macro(&mut self, mac: &'f syn::Macro) {
        if let Some(name) = logging::print_macro(mac) {
            let start = self.file.span(&mac.path).start;
            let end = self.file.span_of(mac.bang_token.span).end;
            let site = self.site(name, Span::new(start, end));
            self.out.prints.push(site);
        }
        if let Some(args) = self.file.macro_args(mac) {
            for expr in &args.exprs {
                self.visit_expr(expr);
            }
        }
    }

    fn visit_attribute(&mut self, _: &'f syn::Attribute) {}
}

impl<'f> Collector<'f, '_> {
    /// Records the migrations, logger set-up, processes and writes an expression makes.
    fn effects(&mut self, expr: &'f Expr) {
        if let Some(process) = processes::spawned_process(self.file, expr) {
            let mut process = process;
            if process.arguments.is_empty() {
                process.arguments =
                    processes::literal_arguments(expr, self.exprs.iter().rev().copied());
            }
            let site = self.site(process.via, process.span);
            self.out.processes.push((process, site));
        }
        if let Some(write) = filesystem::filesystem_write(self.file, expr) {
            let in_log_sink = self
                .exprs
                .iter()
                .any(|outer| logging::file_log_sink(self.file, outer).is_some());
            if !in_log_sink {
                let origin =
                    filesystem::path_origin(self.file, write.target, self.bodies.last().copied());
                let span = match expr {
                    Expr::Call(call) => self.file.span(&call.func),
                    Expr::MethodCall(call) => self.file.span_of(call.method.span()),
                    _ => self.file.span(expr),
                };
                let site = self.site(write.operation, span);
                let write = FileWrite {
                    operation: write.operation,
                    origin,
                };
                self.out.writes.push((write, site));
            }
        }
        if let Some(run) = migrations::migration_run(self.file, expr, &self.migrators) {
            let site = self.site(run.tool, run.span);
            self.out.migrations.push(site);
        }
        if let Some(library) = logging::logger_init(self.file, expr) {
            let site = self.site(library, self.file.span(expr));
            self.out.logger_inits.push(site);
        }
    }

    fn visit_expr_inner(&mut self, expr: &'f Expr) {
        match expr {
            Expr::Call(call) => {
                if let Expr::Path(path) = &*call.func {
                    let span = self.file.span(&call.func);
                    self.path_reference(&path.path, ReferenceKind::Call, span);
                }
                self.value_arguments(call.args.iter());
            }
            Expr::MethodCall(call) => {
                let span = self.file.span_of(call.method.span());
                self.reference(call.method.to_string(), None, ReferenceKind::Method, span);
                self.value_arguments(call.args.iter());
            }
            Expr::If(branch) => {
                self.visit_expr(&branch.cond);
                let gate = match &*branch.cond {
                    Expr::Let(binding) => Gate {
                        subcommand: names_subcommand(&binding.pat)
                            || is_subcommand_value(&binding.expr),
                        ..Gate::default()
                    },
                    Expr::Unary(syn::ExprUnary {
                        op: syn::UnOp::Not(_),
                        ..
                    }) => Gate::default(),
                    condition => Gate {
                        conditional: mentions_migrations(condition),
                        ..Gate::default()
                    },
                };
                let otherwise = branch.else_branch.as_ref().map(|(_, e)| &**e);
                let then_gate = Gate {
                    logged_otherwise: otherwise.is_some_and(logs),
                    ..gate
                };
                self.gated(then_gate, |this| this.visit_block(&branch.then_branch));
                if let Some(otherwise) = otherwise {
                    let else_gate = Gate {
                        logged_otherwise: logs_in_block(&branch.then_branch),
                        ..Gate::default()
                    };
                    self.gated(else_gate, |this| this.visit_expr(otherwise));
                }
                return;
            }
            Expr::Match(choice) => {
                self.visit_expr(&choice.expr);
                let on_command = is_subcommand_value(&choice.expr);
                for arm in &choice.arms {
                    let gate = Gate {
                        subcommand: on_command || names_subcommand(&arm.pat),
                        ..Gate::default()
                    };
                    self.gated(gate, |this| {
                        if let Some((_, guard)) = &arm.guard {
                            this.visit_expr(guard);
                        }
                        this.visit_expr(&arm.body);
                    });
                }
                return;
            }
            _ => {}
        }
        syn::visit::visit_expr(self, expr);
    }

    fn value_arguments<'a>(&mut self, args: impl Iterator<Item = &'a Expr>) {
        for arg in args {
            let mut value = arg;
            while let Expr::Reference(reference) = value {
                value = &reference.expr;
            }
            if let Expr::Path(path) = value
                && path.qself.is_none()
                && path
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident.to_string().starts_with(char::is_lowercase))
            {
                let span = self.file.span(value);
                self.path_reference(&path.path, ReferenceKind::Value, span);
            }
        }
    }
}

/// The module a file is, by its last name: `src/db/mod.rs` and `src/db.rs` are `db`; a crate's
/// `lib.rs` and `main.rs` (and `src/bin/*.rs`) are its root.
fn file_module(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str());
    match stem {
        "lib" | "main" => None,
        "mod" => parent.map(str::to_string),
        _ if parent == Some("bin") => None,
        _ => Some(stem.to_string()),
    }
}

/// Whether a condition names migrations: `cfg.run_migrations`, `args.migrate`,
/// `env::var("AUTO_MIGRATE").is_ok()`.
fn mentions_migrations(condition: &Expr) -> bool {
    struct Names(bool);
    impl<'ast> Visit<'ast> for Names {
        fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
            self.0 |= ident.to_string().to_ascii_lowercase().contains("migrat");
        }
        fn visit_lit_str(&mut self, literal: &'ast syn::LitStr) {
            self.0 |= literal.value().to_ascii_lowercase().contains("migrat");
        }
    }
    let mut names = Names(false);
    names.visit_expr(condition);
    names.0
}

/// Logging macros of `tracing` and `log`.
const LOG_MACROS: &[&str] = &["trace", "debug", "info", "warn", "error", "event", "log"];

/// Whether an expression (an `else` branch) calls a logging macro.
fn logs(expr: &Expr) -> bool {
    let mut finder = LogFinder(false);
    finder.visit_expr(expr);
    finder.0
}

fn logs_in_block(block: &syn::Block) -> bool {
    let mut finder = LogFinder(false);
    finder.visit_block(block);
    finder.0
}

struct LogFinder(bool);

impl<'ast> Visit<'ast> for LogFinder {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let segments = &mac.path.segments;
        let by_library = segments.len() == 1
            || segments
                .first()
                .is_some_and(|s| s.ident == "tracing" || s.ident == "log");
        self.0 |= by_library
            && segments
                .last()
                .is_some_and(|s| LOG_MACROS.iter().any(|m| s.ident == m));
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}

/// Type names that hold a binary's subcommands.
const COMMAND_TYPES: &[&str] = &[
    "Command",
    "Commands",
    "Subcommand",
    "Subcommands",
    "SubCommand",
    "SubCommands",
    "Cmd",
    "Cmds",
    "CliCommand",
];

/// Whether a pattern names a subcommand: `Command::Migrate`, `Some(Commands::Serve { .. })`,
/// or anything about migrations (`CmdSubcommand::Migration { .. }`).
fn names_subcommand(pat: &Pat) -> bool {
    struct Paths(bool);
    impl<'ast> Visit<'ast> for Paths {
        fn visit_path(&mut self, path: &'ast syn::Path) {
            let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            let typed = segments.len() >= 2
                && segments[..segments.len() - 1].iter().any(|s| {
                    COMMAND_TYPES.contains(&s.as_str())
                        || s.ends_with("Command")
                        || s.ends_with("Subcommand")
                });
            let migration = segments
                .iter()
                .any(|s| s.to_ascii_lowercase().contains("migrat"));
            self.0 |= typed || migration;
            syn::visit::visit_path(self, path);
        }
    }
    let mut paths = Paths(false);
    paths.visit_pat(pat);
    paths.0
}

/// Whether an expression reads a parsed command line's subcommand: `args.command`,
/// `&cli.subcommand`, `opts.cmd.as_ref()`.
fn is_subcommand_value(expr: &Expr) -> bool {
    match expr {
        Expr::Field(field) => matches!(&field.member, syn::Member::Named(name)
            if matches!(name.to_string().as_str(), "command" | "subcommand" | "cmd" | "commands")),
        Expr::Reference(reference) => is_subcommand_value(&reference.expr),
        Expr::Paren(paren) => is_subcommand_value(&paren.expr),
        Expr::MethodCall(call) if call.args.is_empty() || call.method == "unwrap_or" => {
            is_subcommand_value(&call.receiver)
        }
        _ => false,
    }
}

/// A function of the workspace: (index into the facts list, index into its file's functions).
pub type FnId = (usize, usize);

/// The name-based call graph of the workspace's shipping code.
pub struct CallGraph<'a> {
    files: &'a [(Arc<PathBuf>, Arc<RustFacts>)],
    by_name: HashMap<&'a str, Vec<FnId>>,
    /// For each file, its package: an index into `reach` (`None`: outside every package).
    file_package: Vec<Option<usize>>,
    /// For each package, the packages its functions may call: itself and the workspace
    /// packages it depends on. Kept per package, not per file, so that it stays linear in
    /// the number of files.
    reach: Vec<HashSet<usize>>,
    /// For each file, its package's crate name (`accounts_db`).
    crate_names: Vec<Option<String>>,
}

impl<'a> CallGraph<'a> {
    pub fn new(workspace: &Workspace, files: &'a [(Arc<PathBuf>, Arc<RustFacts>)]) -> Self {
        let mut by_name: HashMap<&'a str, Vec<FnId>> = HashMap::new();
        for (file, (_, facts)) in files.iter().enumerate() {
            for (index, function) in facts.calls.functions.iter().enumerate() {
                by_name
                    .entry(function.name.as_str())
                    .or_default()
                    .push((file, index));
            }
        }
        let package_of: Vec<Option<&str>> = files
            .iter()
            .map(|(path, _)| workspace.package_of(path).map(|p| p.name.as_str()))
            .collect();
        let mut packages: Vec<&str> = Vec::new();
        let mut package_index: HashMap<&str, usize> = HashMap::new();
        let file_package = package_of
            .iter()
            .map(|package| {
                package.map(|name| {
                    *package_index.entry(name).or_insert_with(|| {
                        packages.push(name);
                        packages.len() - 1
                    })
                })
            })
            .collect();
        let reach = packages
            .iter()
            .map(|package| {
                dependency_closure(workspace, package)
                    .into_iter()
                    .filter_map(|name| package_index.get(name).copied())
                    .collect()
            })
            .collect();
        let crate_names = package_of
            .iter()
            .map(|package| package.map(|name| name.replace('-', "_")))
            .collect();
        CallGraph {
            files,
            by_name,
            file_package,
            reach,
            crate_names,
        }
    }

    pub fn function(&self, id: FnId) -> &'a Function {
        &self.files[id.0].1.calls.functions[id.1]
    }

    pub fn path(&self, id: FnId) -> &'a Path {
        &self.files[id.0].0
    }

    pub fn facts(&self, file: usize) -> &'a RustFacts {
        &self.files[file].1
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The functions a reference made in `caller` may name.
    pub fn resolve(&self, caller: FnId, reference: &Reference) -> Vec<FnId> {
        let Some(candidates) = self.by_name.get(reference.name.as_str()) else {
            return Vec::new();
        };
        let reach = self.file_package[caller.0].map(|package| &self.reach[package]);
        let found: Vec<FnId> = candidates
            .iter()
            .copied()
            .filter(|(file, _)| {
                reach.is_none_or(|packages| {
                    self.file_package[*file].is_some_and(|package| packages.contains(&package))
                })
            })
            .filter(|&id| {
                let function = self.function(id);
                match (reference.kind, &reference.owner) {
                    (ReferenceKind::Method, _) => function.is_method,
                    (_, Some(owner)) => function.owner.as_ref() == Some(owner),
                    (_, None) => function.owner.is_none(),
                }
            })
            .collect();
        // `db::connect(..)`: the `connect` of module or crate `db`, when one is known.
        let Some(qualifier) = &reference.qualifier else {
            return found;
        };
        let in_module: Vec<FnId> = found
            .iter()
            .copied()
            .filter(|&id| match &self.function(id).module {
                Some(module) => module == qualifier,
                None => self.crate_names[id.0].as_ref() == Some(qualifier),
            })
            .collect();
        if in_module.is_empty() {
            found
        } else {
            in_module
        }
    }

    /// Every function reachable from `roots` (the roots included), each with the function it
    /// was first reached from. With `open_only`, references in subcommand arms and opt-in
    /// branches are not followed.
    pub fn reachable(&self, roots: &[FnId], open_only: bool) -> HashMap<FnId, Option<FnId>> {
        if open_only {
            self.reachable_through(roots, Gate::is_open)
        } else {
            self.reachable_through(roots, |_| true)
        }
    }

    /// Like [`CallGraph::reachable`], following the references whose gate `follow` accepts.
    pub fn reachable_through(
        &self,
        roots: &[FnId],
        follow: impl Fn(Gate) -> bool,
    ) -> HashMap<FnId, Option<FnId>> {
        let mut parents: HashMap<FnId, Option<FnId>> = HashMap::new();
        let mut queue: VecDeque<FnId> = VecDeque::new();
        // One root at a time, so that what the first roots reach is shown as reached from them.
        for &root in roots {
            if parents.contains_key(&root) {
                continue;
            }
            parents.insert(root, None);
            queue.push_back(root);
            self.search(&mut parents, &mut queue, &follow);
        }
        parents
    }

    fn search(
        &self,
        parents: &mut HashMap<FnId, Option<FnId>>,
        queue: &mut VecDeque<FnId>,
        follow: &impl Fn(Gate) -> bool,
    ) {
        while let Some(id) = queue.pop_front() {
            for reference in &self.function(id).references {
                if !follow(reference.gate) {
                    continue;
                }
                for callee in self.resolve(id, reference) {
                    if let std::collections::hash_map::Entry::Vacant(entry) = parents.entry(callee)
                    {
                        entry.insert(Some(id));
                        queue.push_back(callee);
                    }
                }
            }
        }
    }

    /// Every function from which one of `targets` is reachable (following every reference),
    /// the targets included.
    pub fn reaching(&self, targets: &HashSet<FnId>) -> HashSet<FnId> {
        let mut callers: HashMap<FnId, Vec<FnId>> = HashMap::new();
        for (file, (_, facts)) in self.files.iter().enumerate() {
            for (index, function) in facts.calls.functions.iter().enumerate() {
                let caller = (file, index);
                for reference in &function.references {
                    for callee in self.resolve(caller, reference) {
                        callers.entry(callee).or_default().push(caller);
                    }
                }
            }
        }
        let mut found = targets.clone();
        let mut queue: Vec<FnId> = targets.iter().copied().collect();
        while let Some(id) = queue.pop() {
            for &caller in callers.get(&id).into_iter().flatten() {
                if found.insert(caller) {
                    queue.push(caller);
                }
            }
        }
        found
    }

    /// Whether one of `targets` is reachable from `from` (following every reference).
    pub fn reaches(&self, from: FnId, targets: &HashSet<FnId>) -> bool {
        self.reachable(&[from], false)
            .keys()
            .any(|id| targets.contains(id))
    }

    /// The innermost function of a file that holds a span.
    pub fn enclosing(&self, file: usize, span: Span) -> Option<FnId> {
        self.facts(file)
            .calls
            .functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.span.start <= span.start && span.end <= f.span.end)
            .min_by_key(|(_, f)| f.span.end - f.span.start)
            .map(|(index, _)| (file, index))
    }

    /// The chain of function names from a root to `id`, as `main → build_pool → migrate`.
    pub fn chain(&self, parents: &HashMap<FnId, Option<FnId>>, id: FnId) -> Vec<&'a str> {
        let mut names = vec![self.function(id).name.as_str()];
        let mut current = id;
        while let Some(Some(parent)) = parents.get(&current) {
            if names.len() > 32 {
                break;
            }
            names.push(self.function(*parent).name.as_str());
            current = *parent;
        }
        names.reverse();
        names
    }
}

/// A package and the workspace packages it depends on, directly or not.
fn dependency_closure<'w>(workspace: &'w Workspace, package: &'w str) -> HashSet<&'w str> {
    let mut found: HashSet<&str> = HashSet::from([package]);
    let mut queue = vec![package];
    while let Some(name) = queue.pop() {
        let Some(known) = workspace.packages.iter().find(|p| p.name == name) else {
            continue;
        };
        for dependency in &known.dependencies {
            if let Some(member) = workspace.packages.iter().find(|p| &p.name == dependency)
                && found.insert(member.name.as_str())
            {
                queue.push(member.name.as_str());
            }
        }
    }
    found
}

/// What runs when the workspace's servers start.
pub struct Startup<'a> {
    pub graph: CallGraph<'a>,
    /// Functions that start a server, and the `main` functions that reach one.
    pub roots: Vec<FnId>,
    /// The `main` functions that reach a server start.
    pub mains: Vec<FnId>,
    /// The functions that start a server.
    pub serving: Vec<FnId>,
    /// Every function reachable from a root without passing a subcommand arm or an opt-in
    /// branch, with the function it was reached from.
    pub on_startup: HashMap<FnId, Option<FnId>>,
    /// `main` functions that reach no server start: command-line tools.
    pub tool_mains: HashSet<FnId>,
    /// Files of command-line tools (see [`Startup::is_tool_file`]).
    tool_files: HashSet<usize>,
    /// Every reference of the workspace, by the name it uses, with the function it is in.
    references: HashMap<&'a str, Vec<(FnId, &'a Reference)>>,
}

impl<'a> Startup<'a> {
    pub fn new(workspace: &Workspace, files: &'a [(Arc<PathBuf>, Arc<RustFacts>)]) -> Self {
        let graph = CallGraph::new(workspace, files);
        let mut serving = HashSet::new();
        for file in 0..graph.file_count() {
            for start in &graph.facts(file).servers {
                if let Some(id) = graph.enclosing(file, start.span) {
                    serving.insert(id);
                }
            }
        }
        let mut roots: Vec<FnId> = Vec::new();
        let mut tool_mains = HashSet::new();
        for file in 0..graph.file_count() {
            for (index, function) in graph.facts(file).calls.functions.iter().enumerate() {
                if function.name != "main" || !function.top_level {
                    continue;
                }
                let id = (file, index);
                if serving.contains(&id) || graph.reaches(id, &serving) {
                    roots.push(id);
                } else {
                    tool_mains.insert(id);
                }
            }
        }
        // `main`s first, so that chains start there; then servers started elsewhere.
        roots.sort_unstable();
        let mains = roots.clone();
        let mut serving: Vec<FnId> = serving.into_iter().collect();
        serving.sort_unstable();
        roots.extend(serving.iter().copied());
        let on_startup = graph.reachable(&roots, true);
        let mut tool_files: HashSet<usize> = tool_mains
            .iter()
            .map(|(file, _)| *file)
            .filter(|&file| graph.facts(file).servers.is_empty())
            .collect();
        tool_files.extend(tools_without_packages(workspace, files));
        let mut references: HashMap<&'a str, Vec<(FnId, &'a Reference)>> = HashMap::new();
        for (file, (_, facts)) in files.iter().enumerate() {
            for (index, function) in facts.calls.functions.iter().enumerate() {
                for reference in &function.references {
                    references
                        .entry(reference.name.as_str())
                        .or_default()
                        .push(((file, index), reference));
                }
            }
        }
        Startup {
            graph,
            roots,
            mains,
            serving,
            on_startup,
            tool_mains,
            tool_files,
            references,
        }
    }

    /// Whether a file is part of a command-line tool: it holds a `main` that reaches no server
    /// start (and starts none itself), or — where cargo gave no packages — it lies in a crate
    /// (the nearest directory with a Cargo.toml) none of whose files starts a server.
    pub fn is_tool_file(&self, file: usize) -> bool {
        self.tool_files.contains(&file)
    }

    /// Whether shipping code can run a function: it is `pub`, a trait method, a `main`, or some
    /// shipping code that can run refers to it. A private helper that only tests call
    /// (`#[cfg(test)]` callers are not in the graph) cannot.
    pub fn can_run(&self, id: FnId) -> bool {
        self.can_run_within(id, 0, &mut HashSet::new())
    }

    fn can_run_within(&self, id: FnId, depth: usize, visiting: &mut HashSet<FnId>) -> bool {
        let function = self.graph.function(id);
        if function.exported || (function.name == "main" && function.top_level) || depth > 6 {
            return true;
        }
        if !visiting.insert(id) {
            return false;
        }
        let callers = self.references.get(function.name.as_str());
        let reached = callers.into_iter().flatten().any(|&(caller, reference)| {
            self.graph.resolve(caller, reference).contains(&id)
                && self.can_run_within(caller, depth + 1, visiting)
        });
        visiting.remove(&id);
        reached
    }
}

/// Where cargo gave no packages (a directory of several workspaces), the files of crates that
/// start no server: each file belongs to the nearest directory above it with a Cargo.toml.
fn tools_without_packages(
    workspace: &Workspace,
    files: &[(Arc<PathBuf>, Arc<RustFacts>)],
) -> Vec<usize> {
    let manifests: HashSet<&Path> = workspace
        .files
        .iter()
        .filter(|f| f.kind == crate::source::FileKind::CargoManifest)
        .filter_map(|f| f.path.parent())
        .collect();
    let crate_of = |path: &Path| -> Option<PathBuf> {
        if workspace.package_of(path).is_some() {
            return None;
        }
        path.ancestors()
            .skip(1)
            .find(|dir| manifests.contains(dir))
            .map(Path::to_path_buf)
    };
    let crates: Vec<Option<PathBuf>> = files.iter().map(|(path, _)| crate_of(path)).collect();
    let serving: HashSet<&PathBuf> = crates
        .iter()
        .zip(files)
        .filter(|(_, (_, facts))| !facts.servers.is_empty())
        .filter_map(|(krate, _)| krate.as_ref())
        .collect();
    crates
        .iter()
        .enumerate()
        .filter(|(_, krate)| krate.as_ref().is_some_and(|k| !serving.contains(k)))
        .map(|(file, _)| file)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileKind, SourceFile};

    fn facts(text: &str) -> FileFunctions {
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/ws/src/main.rs"),
            FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        FileFunctions::extract(&file)
    }

    fn startup(texts: &[&str]) -> Vec<(Arc<PathBuf>, Arc<RustFacts>)> {
        texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let path = PathBuf::from(format!("src/file{index}.rs"));
                let source = SourceFile::new(
                    Arc::new(path.clone()),
                    PathBuf::from("/ws").join(&path),
                    FileKind::Rust,
                    text.to_string(),
                );
                let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
                (Arc::new(path), Arc::new(RustFacts::extract(&file)))
            })
            .collect()
    }

    fn empty_workspace() -> Workspace {
        Workspace::empty(PathBuf::new())
    }

    #[test]
    fn subcommand_arms_and_opt_ins_are_gated() {
        let found = facts(
            r#"
            fn main() {
                match args.command {
                    Some(Command::Migrate) => sqlx::migrate!().run(&pool),
                    None => {}
                }
                if let Some(Cmd::Migration { .. }) = sub { embedded_migrations::run(&c); }
                if config.run_migrations { embedded_migrations::run(&c); }
                if !config.skip_migrations { embedded_migrations::run(&c); }
                if let Some(url) = db_url { embedded_migrations::run(&c); }
                if options.run { embedded_migrations::run(&c); }
            }
            "#,
        );
        let gates: Vec<(bool, bool)> = found
            .migrations
            .iter()
            .map(|site| (site.gate.subcommand, site.gate.conditional))
            .collect();
        assert_eq!(
            gates,
            [
                (true, false),
                (true, false),
                (false, true),
                (false, false),
                (false, false),
                (false, false)
            ]
        );
    }

    #[test]
    fn test_code_is_not_extracted() {
        let found = facts(
            r#"
            fn helper() {
                #[cfg(test)]
                println!("only in tests");
                #[cfg(test)]
                let _dump = std::process::Command::new("pg_dump");
            }
            #[cfg(test)]
            mod tests { fn t() { println!("x"); } }
            #[test]
            fn t() { dbg!(1); }
            "#,
        );
        assert!(found.prints.is_empty());
        assert!(found.processes.is_empty());
        assert_eq!(found.functions.len(), 1);
    }

    #[test]
    fn references_resolve_by_kind_and_owner() {
        let files = startup(&[
            r#"
            fn main() { App::build(); run(); tokio::spawn(serve(listener)); }
            async fn serve(l: L) { axum::serve(l, app()).await; }
            "#,
            r#"
            struct App;
            impl App { fn build() { migrate(); } fn run(&self) {} }
            fn migrate() { sqlx::migrate!().run(&pool); }
            fn run() {}
            fn unused() { sqlx::migrate!().run(&pool); }
            "#,
        ]);
        let workspace = empty_workspace();
        let startup = Startup::new(&workspace, &files);
        let graph = &startup.graph;
        let names: Vec<&str> = startup
            .roots
            .iter()
            .map(|&id| graph.function(id).name.as_str())
            .collect();
        assert_eq!(names, ["main", "serve"]);
        let reached: HashSet<&str> = startup
            .on_startup
            .keys()
            .map(|&id| graph.function(id).name.as_str())
            .collect();
        assert!(reached.contains("migrate"));
        assert!(!reached.contains("unused"));
        let migrate = (1, 2);
        assert_eq!(graph.function(migrate).name, "migrate");
        assert_eq!(
            graph.chain(&startup.on_startup, migrate),
            ["main", "build", "migrate"]
        );
        assert!(startup.can_run(migrate));
        assert!(!startup.can_run((1, 4)));
    }

    #[test]
    fn module_paths_pick_the_function_of_that_module() {
        let files = startup(&[
            "mod logging { pub fn init() { tracing_subscriber::fmt().init(); } }\n\
             mod configuration { pub fn init() {} }\n\
             fn main() { configuration::init(); logging::init(); axum::serve(l, a); }",
        ]);
        let workspace = empty_workspace();
        let graph = CallGraph::new(&workspace, &files);
        let main = (0, 2);
        assert_eq!(graph.function(main).name, "main");
        let targets: Vec<Vec<Option<String>>> = graph
            .function(main)
            .references
            .iter()
            .filter(|r| r.name == "init")
            .map(|r| {
                graph
                    .resolve(main, r)
                    .into_iter()
                    .map(|id| graph.function(id).module.clone())
                    .collect()
            })
            .collect();
        assert_eq!(
            targets,
            [
                vec![Some("configuration".to_string())],
                vec![Some("logging".to_string())]
            ]
        );
    }

    #[test]
    fn mains_that_start_no_server_are_tools() {
        let files = startup(&[
            "fn main() { axum::serve(l, app).await; }",
            "fn main() { seed(); println!(\"done\"); } fn seed() {}",
        ]);
        let workspace = empty_workspace();
        let startup = Startup::new(&workspace, &files);
        assert!(!startup.is_tool_file(0));
        assert!(startup.is_tool_file(1));
    }
}
