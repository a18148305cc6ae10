//! Schema migrations: calls that apply a migration set to a database (sqlx, diesel, refinery,
//! sea-orm).

use std::collections::HashSet;

use syn::{Expr, Item};

use crate::diagnostic::Span;
use crate::source::rust::{RustFile, method_chain};

/// A call that runs schema migrations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationRun {
    /// The migration library, as users know it: `sqlx`, `diesel`, `refinery`, `sea-orm`.
    pub tool: &'static str,
    /// The call's path or method name and arguments.
    pub span: Span,
}

/// Functions that run migrations, by the end of their resolved path (diesel 1's
/// `embed_migrations!()` generates a local `embedded_migrations` module).
const MIGRATION_FUNCTIONS: &[(&str, &str)] = &[
    ("embedded_migrations::run", "diesel"),
    ("embedded_migrations::run_with_output", "diesel"),
    ("diesel_migrations::run_pending_migrations", "diesel"),
    (
        "diesel_migrations::run_pending_migrations_in_directory",
        "diesel",
    ),
    ("MigrationHarness::run_pending_migrations", "diesel"),
    ("Migrator::up", "sea-orm"),
    ("Migrator::fresh", "sea-orm"),
    ("Migrator::refresh", "sea-orm"),
    ("MigratorTrait::up", "sea-orm"),
];

/// The names of the file's statics and constants that hold a sqlx `Migrator`
/// (`static MIGRATOR: Migrator = sqlx::migrate!();`).
pub fn sqlx_migrators(file: &RustFile<'_>) -> HashSet<String> {
    let mut names = HashSet::new();
    collect_migrators(file, &file.syntax.items, &mut names);
    names
}

fn collect_migrators(file: &RustFile<'_>, items: &[Item], names: &mut HashSet<String>) {
    for item in items {
        let (ident, ty, value) = match item {
            Item::Static(item) => (&item.ident, &*item.ty, &*item.expr),
            Item::Const(item) => (&item.ident, &*item.ty, &*item.expr),
            Item::Mod(module) => {
                if let Some((_, inner)) = &module.content {
                    collect_migrators(file, inner, names);
                }
                continue;
            }
            _ => continue,
        };
        let typed = match ty {
            syn::Type::Path(path) => file.resolve(&path.path) == "sqlx::migrate::Migrator",
            _ => false,
        };
        if typed || is_sqlx_migrate_macro(file, value) {
            names.insert(ident.to_string());
        }
    }
}

fn is_sqlx_migrate_macro(file: &RustFile<'_>, expr: &Expr) -> bool {
    matches!(expr, Expr::Macro(mac) if file.resolve(&mac.mac.path) == "sqlx::migrate")
}

/// The migration run this expression is, if any. `migrators` are the file's sqlx `Migrator`
/// statics ([`sqlx_migrators`]).
pub fn migration_run(
    file: &RustFile<'_>,
    expr: &Expr,
    migrators: &HashSet<String>,
) -> Option<MigrationRun> {
    match expr {
        Expr::MethodCall(call) => {
            let method = call.method.to_string();
            let tool = match method.as_str() {
                "run_pending_migrations" if call.args.len() == 1 => "diesel",
                "run" | "run_async" => {
                    let chain: Vec<&Expr> = method_chain(&call.receiver).collect();
                    let sqlx = chain.iter().any(|link| match link {
                        Expr::Macro(_) => is_sqlx_migrate_macro(file, link),
                        Expr::Call(_) => file
                            .called_path(link)
                            .is_some_and(|p| p == "sqlx::migrate::Migrator::new"),
                        Expr::Path(path) => path
                            .path
                            .get_ident()
                            .is_some_and(|ident| migrators.contains(&ident.to_string())),
                        _ => false,
                    });
                    let refinery = chain.iter().any(|link| {
                        file.called_path(link).is_some_and(|p| {
                            p.ends_with("migrations::runner") || p == "refinery::Runner::new"
                        })
                    });
                    if sqlx && method == "run" {
                        "sqlx"
                    } else if refinery {
                        "refinery"
                    } else {
                        return None;
                    }
                }
                _ => return None,
            };
            let start = file.span_of(call.method.span()).start;
            Some(MigrationRun {
                tool,
                span: Span::new(start, file.span(expr).end),
            })
        }
        Expr::Call(call) if !call.args.is_empty() => {
            let path = file.called_path(expr)?;
            let &(_, tool) = MIGRATION_FUNCTIONS
                .iter()
                .find(|(known, _)| path == *known || path.ends_with(&format!("::{known}")))?;
            Some(MigrationRun {
                tool,
                span: file.span(&call.func),
            })
        }
        _ => None,
    }
}
