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

/// A migration set compiled into the code: `sqlx::migrate!("./migrations")`, diesel's or
/// refinery's `embed_migrations!(..)`. Two services built from one set share a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationSource {
    /// `sqlx`, `diesel` or `refinery` (`embed_migrations` when the macro's crate is unknown).
    pub tool: &'static str,
    /// The directory as written, relative to the package; `None` for the tool's default
    /// (`migrations`: sqlx reads it in the package, diesel looks for it upward from there).
    pub dir: Option<String>,
    /// The macro call.
    pub span: Span,
}

/// The migration sets the file's non-test code embeds.
pub fn migration_sources(file: &RustFile<'_>) -> Vec<MigrationSource> {
    let mut collector = SourceCollector {
        file,
        out: Vec::new(),
    };
    syn::visit::Visit::visit_file(&mut collector, &file.syntax);
    collector.out
}

struct SourceCollector<'f, 's> {
    file: &'f RustFile<'s>,
    out: Vec<MigrationSource>,
}

impl<'ast> syn::visit::Visit<'ast> for SourceCollector<'_, '_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if !crate::source::rust::item_attrs(item).is_some_and(crate::source::rust::is_test_code) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let path = self.file.resolve(&mac.path);
        let tool = match path.as_str() {
            "sqlx::migrate" => "sqlx",
            _ if path.ends_with("embed_migrations") => {
                if path.starts_with("diesel") {
                    "diesel"
                } else if path.starts_with("refinery") {
                    "refinery"
                } else if mac.path.segments.len() == 1 {
                    "embed_migrations"
                } else {
                    return;
                }
            }
            _ => return,
        };
        let dir = syn::parse2::<syn::LitStr>(mac.tokens.clone())
            .ok()
            .map(|literal| literal.value());
        self.out.push(MigrationSource {
            tool,
            dir,
            span: self.file.span(mac),
        });
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::source::rust::CodeRole;
    use std::path::PathBuf;
    use std::sync::Arc;

    #[test]
    fn embedded_migration_sets_and_their_directories() {
        let text = r#"use diesel_migrations::{embed_migrations, EmbeddedMigrations};
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../db/migrations");
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();
async fn run(pool: &sqlx::PgPool) { sqlx::migrate!("./schema").run(pool).await.unwrap(); }
#[cfg(test)]
mod tests { static M: sqlx::migrate::Migrator = sqlx::migrate!("test-migrations"); }
"#;
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/src/main.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        let sources = migration_sources(&file);
        let summary: Vec<(&str, Option<&str>)> =
            sources.iter().map(|s| (s.tool, s.dir.as_deref())).collect();
        assert_eq!(
            summary,
            [
                ("diesel", Some("../db/migrations")),
                ("sqlx", None),
                ("sqlx", Some("./schema")),
            ]
        );
        let span = sources[1].span;
        assert_eq!(&text[span.start..span.end], "sqlx::migrate!()");
    }
}
