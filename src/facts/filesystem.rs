//! Filesystem writes: calls that create, write or move files, and where the path they write
//! comes from, as far as the code shows it.

use syn::visit::Visit;
use syn::{Block, Expr, Local, Pat};

use crate::source::rust::{RustFile, bool_literal, method_chain, string_literal};

/// A call that writes to the filesystem.
pub struct FsWrite<'e> {
    /// The call as users write it: `fs::write`, `File::create`, `OpenOptions::open`.
    pub operation: &'static str,
    /// The path argument that is written to.
    pub target: &'e Expr,
}

/// Functions that write the file or directory named by one of their arguments:
/// (resolved path, operation, index of the target argument).
const WRITE_FUNCTIONS: &[(&str, &str, usize)] = &[
    ("std::fs::write", "fs::write", 0),
    ("std::fs::File::create", "File::create", 0),
    ("std::fs::File::create_new", "File::create_new", 0),
    ("std::fs::create_dir", "fs::create_dir", 0),
    ("std::fs::create_dir_all", "fs::create_dir_all", 0),
    ("std::fs::rename", "fs::rename", 1),
    ("std::fs::copy", "fs::copy", 1),
    ("std::fs::hard_link", "fs::hard_link", 1),
    ("tokio::fs::write", "tokio::fs::write", 0),
    ("tokio::fs::File::create", "File::create", 0),
    ("tokio::fs::File::create_new", "File::create_new", 0),
    ("tokio::fs::create_dir", "tokio::fs::create_dir", 0),
    ("tokio::fs::create_dir_all", "tokio::fs::create_dir_all", 0),
    ("tokio::fs::rename", "tokio::fs::rename", 1),
    ("tokio::fs::copy", "tokio::fs::copy", 1),
    ("tokio::fs::hard_link", "tokio::fs::hard_link", 1),
    ("async_std::fs::write", "fs::write", 0),
    ("async_std::fs::File::create", "File::create", 0),
    ("async_std::fs::create_dir", "fs::create_dir", 0),
    ("async_std::fs::create_dir_all", "fs::create_dir_all", 0),
    ("async_std::fs::rename", "fs::rename", 1),
    ("async_std::fs::copy", "fs::copy", 1),
];

/// Calls that start an `OpenOptions` builder.
const OPEN_OPTIONS: &[&str] = &[
    "std::fs::OpenOptions::new",
    "std::fs::File::options",
    "tokio::fs::OpenOptions::new",
    "tokio::fs::File::options",
    "async_std::fs::OpenOptions::new",
];

/// `OpenOptions` settings that make `open` write.
const WRITE_MODES: &[&str] = &["write", "append", "create", "create_new", "truncate"];

/// The filesystem write this expression makes, if any.
pub fn filesystem_write<'e>(file: &RustFile<'_>, expr: &'e Expr) -> Option<FsWrite<'e>> {
    match expr {
        Expr::Call(call) => {
            let path = file.called_path_where(expr, |path| {
                WRITE_FUNCTIONS.iter().any(|(known, ..)| *known == path)
            })?;
            let &(_, operation, index) = WRITE_FUNCTIONS.iter().find(|(p, ..)| *p == path)?;
            Some(FsWrite {
                operation,
                target: call.args.iter().nth(index)?,
            })
        }
        Expr::MethodCall(call) if call.method == "open" && call.args.len() == 1 => {
            let mut writes = false;
            let mut options = false;
            for link in method_chain(&call.receiver) {
                match link {
                    Expr::MethodCall(setting)
                        if WRITE_MODES.contains(&setting.method.to_string().as_str()) =>
                    {
                        writes |= setting.args.first().and_then(bool_literal) != Some(false);
                    }
                    Expr::Call(_) => {
                        options |= file
                            .called_path_where(link, |path| OPEN_OPTIONS.contains(&path))
                            .is_some();
                    }
                    _ => {}
                }
            }
            (writes && options).then(|| FsWrite {
                operation: "OpenOptions::open",
                target: &call.args[0],
            })
        }
        _ => None,
    }
}

/// Where a path written to comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathOrigin {
    /// A temporary location: `std::env::temp_dir()`, `tempfile`, `/tmp`, `/run`.
    Temporary,
    /// A cache directory: `dirs::cache_dir()`, `/var/cache`, `~/.cache`.
    Cache,
    /// A device or process file: `/dev/null`, `/dev/stdout`, `/proc/…`.
    Device,
    /// A path written in the code (a literal, or the literal a `format!` or `join` starts from).
    Literal(String),
    /// A parameter, a configuration value, anything the code does not spell out.
    Unknown,
}

/// Calls that give a temporary or cache location, by resolved path.
const LOCATION_FUNCTIONS: &[(&str, PathOrigin)] = &[
    ("std::env::temp_dir", PathOrigin::Temporary),
    ("tempfile::tempdir", PathOrigin::Temporary),
    ("tempfile::tempdir_in", PathOrigin::Temporary),
    ("tempfile::tempfile", PathOrigin::Temporary),
    ("tempfile::TempDir::new", PathOrigin::Temporary),
    ("tempfile::NamedTempFile::new", PathOrigin::Temporary),
    ("tempfile::Builder::new", PathOrigin::Temporary),
    ("dirs::cache_dir", PathOrigin::Cache),
    ("dirs::runtime_dir", PathOrigin::Temporary),
    ("dirs_next::cache_dir", PathOrigin::Cache),
    ("dirs_next::runtime_dir", PathOrigin::Temporary),
    ("dirs2::cache_dir", PathOrigin::Cache),
];

/// Methods that give a temporary or cache location whatever they are called on
/// (`ProjectDirs::cache_dir`, tempfile's `Builder::tempdir`).
const LOCATION_METHODS: &[(&str, PathOrigin)] = &[
    ("cache_dir", PathOrigin::Cache),
    ("runtime_dir", PathOrigin::Temporary),
    ("tempdir", PathOrigin::Temporary),
    ("tempfile", PathOrigin::Temporary),
    ("temp_dir", PathOrigin::Temporary),
];

/// Methods whose result is a path under (or the same as) their receiver.
const PATH_KEEPING_METHODS: &[&str] = &[
    "join",
    "with_file_name",
    "with_extension",
    "as_path",
    "as_ref",
    "as_str",
    "as_os_str",
    "to_path_buf",
    "to_owned",
    "to_string",
    "clone",
    "into",
    "unwrap",
    "expect",
    "path",
    "borrow",
    "into_path",
    "keep",
];

/// Types whose `new`/`from` constructors keep the path they are given.
const PATH_TYPES: &[&str] = &[
    "Path",
    "PathBuf",
    "String",
    "OsStr",
    "OsString",
    "Utf8Path",
    "Utf8PathBuf",
];

impl PathOrigin {
    /// Where a literal path points.
    pub fn of_literal(path: &str) -> PathOrigin {
        let starts = |prefixes: &[&str]| prefixes.iter().any(|p| path.starts_with(p));
        if starts(&["/tmp", "/var/tmp", "/dev/shm", "/run/", "/var/run/"]) {
            PathOrigin::Temporary
        } else if starts(&["/var/cache", "~/.cache", ".cache/"]) || path.contains("/.cache/") {
            PathOrigin::Cache
        } else if starts(&["/dev/", "/proc/"]) {
            PathOrigin::Device
        } else {
            PathOrigin::Literal(path.to_string())
        }
    }

    /// Whether writing there keeps state in the process's filesystem.
    pub fn is_state(&self) -> bool {
        matches!(self, PathOrigin::Literal(_))
    }
}

/// Where the path `expr` comes from. `scope` is the body of the enclosing function: names bound
/// there with `let` are followed to their value; constants of the file are looked up too.
pub fn path_origin(file: &RustFile<'_>, expr: &Expr, scope: Option<&Block>) -> PathOrigin {
    Tracer { file, scope }.origin(expr, 0)
}

struct Tracer<'f, 's, 'b> {
    file: &'f RustFile<'s>,
    scope: Option<&'b Block>,
}

impl Tracer<'_, '_, '_> {
    fn origin(&self, expr: &Expr, depth: usize) -> PathOrigin {
        if depth > 12 {
            return PathOrigin::Unknown;
        }
        let next = |inner: &Expr| self.origin(inner, depth + 1);
        if let Some(literal) = string_literal(expr) {
            return PathOrigin::of_literal(&literal);
        }
        match expr {
            Expr::Reference(reference) => next(&reference.expr),
            Expr::Paren(paren) => next(&paren.expr),
            Expr::Group(group) => next(&group.expr),
            Expr::Try(try_expr) => next(&try_expr.expr),
            Expr::Await(await_expr) => next(&await_expr.base),
            Expr::Binary(binary) if matches!(binary.op, syn::BinOp::Add(_)) => next(&binary.left),
            Expr::MethodCall(call) => {
                let method = call.method.to_string();
                if let Some((_, origin)) = LOCATION_METHODS.iter().find(|(m, _)| *m == method) {
                    return origin.clone();
                }
                if method == "join" {
                    return match next(&call.receiver) {
                        PathOrigin::Literal(base) => {
                            let part = call.args.first().and_then(string_literal);
                            let part = part.as_deref().unwrap_or("…");
                            PathOrigin::Literal(format!("{}/{part}", base.trim_end_matches('/')))
                        }
                        other => other,
                    };
                }
                if PATH_KEEPING_METHODS.contains(&method.as_str()) {
                    return next(&call.receiver);
                }
                PathOrigin::Unknown
            }
            Expr::Call(call) => {
                if let Some(path) = self.file.called_path_where(expr, |path| {
                    LOCATION_FUNCTIONS.iter().any(|(known, _)| *known == path)
                }) && let Some((_, origin)) = LOCATION_FUNCTIONS.iter().find(|(p, _)| *p == path)
                {
                    return origin.clone();
                }
                let Expr::Path(function) = &*call.func else {
                    return PathOrigin::Unknown;
                };
                let segments: Vec<String> = function
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                match segments.as_slice() {
                    [.., ty, constructor]
                        if PATH_TYPES.contains(&ty.as_str())
                            && matches!(constructor.as_str(), "new" | "from")
                            && call.args.len() == 1 =>
                    {
                        next(&call.args[0])
                    }
                    _ => PathOrigin::Unknown,
                }
            }
            Expr::Macro(mac) if mac.mac.path.is_ident("format") => {
                let Some(args) = self.file.macro_args(&mac.mac).filter(|a| a.parsed) else {
                    return PathOrigin::Unknown;
                };
                let Some(template) = args.exprs.first().and_then(string_literal) else {
                    return PathOrigin::Unknown;
                };
                if !template.starts_with('{') || template.starts_with("{{") {
                    return PathOrigin::of_literal(&template);
                }
                let placeholder = template[1..]
                    .split(['}', ':'])
                    .next()
                    .unwrap_or_default()
                    .trim();
                let rest = template.split_once('}').map_or("", |(_, rest)| rest);
                let first = if placeholder.is_empty() {
                    args.exprs.get(1).map_or(PathOrigin::Unknown, next)
                } else if let Ok(index) = placeholder.parse::<usize>() {
                    args.exprs.get(index + 1).map_or(PathOrigin::Unknown, next)
                } else {
                    let named = args.exprs.iter().skip(1).find_map(|arg| match arg {
                        Expr::Assign(assign) if is_name(&assign.left, placeholder) => {
                            Some(&*assign.right)
                        }
                        _ => None,
                    });
                    match named {
                        Some(value) => next(value),
                        None => self.binding(placeholder, self.file.span(expr).start, depth),
                    }
                };
                match first {
                    PathOrigin::Literal(base) => PathOrigin::Literal(format!("{base}{rest}")),
                    other => other,
                }
            }
            Expr::Path(path) if path.path.segments.len() == 1 && path.qself.is_none() => {
                let name = path.path.segments[0].ident.to_string();
                self.binding(&name, self.file.span(expr).start, depth)
            }
            _ => PathOrigin::Unknown,
        }
    }

    /// The origin of the value a name is bound to before `before`: the nearest `let` of the
    /// enclosing function, or a constant or static of the file.
    fn binding(&self, name: &str, before: usize, depth: usize) -> PathOrigin {
        if let Some(scope) = self.scope {
            let mut finder = BindingFinder {
                file: self.file,
                name,
                before,
                found: None,
            };
            finder.visit_block(scope);
            if let Some((_, value)) = finder.found {
                return self.origin(value, depth + 1);
            }
        }
        let constant = self.file.syntax.items.iter().find_map(|item| match item {
            syn::Item::Const(constant) if constant.ident == name => Some(&*constant.expr),
            syn::Item::Static(item) if item.ident == name => Some(&*item.expr),
            _ => None,
        });
        match constant {
            Some(value) => self.origin(value, depth + 1),
            None => PathOrigin::Unknown,
        }
    }
}

fn is_name(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Path(path) if path.path.is_ident(name))
}

/// The last `let name = value` that starts before a position.
struct BindingFinder<'f, 's, 'n, 'b> {
    file: &'f RustFile<'s>,
    name: &'n str,
    before: usize,
    found: Option<(usize, &'b Expr)>,
}

impl<'b> Visit<'b> for BindingFinder<'_, '_, '_, 'b> {
    fn visit_local(&mut self, local: &'b Local) {
        let start = self.file.span(local).start;
        let binds = match &local.pat {
            Pat::Ident(ident) => ident.ident == self.name,
            Pat::Type(typed) => {
                matches!(&*typed.pat, Pat::Ident(ident) if ident.ident == self.name)
            }
            _ => false,
        };
        if binds
            && start < self.before
            && let Some(init) = &local.init
            && self.found.is_none_or(|(known, _)| known < start)
        {
            self.found = Some((start, &init.expr));
        }
        syn::visit::visit_local(self, local);
    }

    fn visit_item(&mut self, _: &'b syn::Item) {}
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::source::rust::CodeRole;
    use crate::source::{FileKind, SourceFile};

    /// The origin of the path written by the first write in `main`.
    fn origin_in(body: &str) -> PathOrigin {
        let text = format!("const DIR: &str = \"exports\";\nfn main() {{ {body} }}");
        let source = SourceFile::new(
            Arc::new(PathBuf::from("src/main.rs")),
            PathBuf::from("/ws/src/main.rs"),
            FileKind::Rust,
            text,
        );
        let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
        let syn::Item::Fn(main) = &file.syntax.items[1] else {
            panic!()
        };
        struct First<'f, 's, 'e>(&'f RustFile<'s>, Option<FsWrite<'e>>);
        impl<'e> Visit<'e> for First<'_, '_, 'e> {
            fn visit_expr(&mut self, expr: &'e Expr) {
                if self.1.is_none() {
                    self.1 = filesystem_write(self.0, expr);
                }
                syn::visit::visit_expr(self, expr);
            }
        }
        let mut first = First(&file, None);
        first.visit_block(&main.block);
        let write = first.1.expect("a write");
        path_origin(&file, write.target, Some(&main.block))
    }

    #[test]
    fn literal_paths_are_traced() {
        let literal = |p: &str| PathOrigin::Literal(p.to_string());
        assert_eq!(
            origin_in(r#"std::fs::write("data/x.json", b"");"#),
            literal("data/x.json")
        );
        assert_eq!(
            origin_in(r#"let p = Path::new("uploads").join(id); tokio::fs::write(&p, b"");"#),
            literal("uploads/…")
        );
        assert_eq!(
            origin_in(r#"std::fs::create_dir_all(format!("{DIR}/daily"));"#),
            literal("exports/daily")
        );
        assert_eq!(
            origin_in(r#"std::fs::File::create(format!("{}/a", DIR));"#),
            literal("exports/a")
        );
        assert_eq!(
            origin_in(r#"std::fs::rename(tmp, PathBuf::from("/srv/data").join("a"));"#),
            literal("/srv/data/a")
        );
        assert_eq!(
            origin_in(r#"std::fs::OpenOptions::new().append(true).open("audit.log");"#),
            literal("audit.log")
        );
    }

    #[test]
    fn temporary_and_unknown_paths_are_not_state() {
        for body in [
            r#"std::fs::write(std::env::temp_dir().join("a"), b"");"#,
            r#"let d = tempfile::tempdir()?; std::fs::write(d.path().join("a"), b"");"#,
            r#"std::fs::write("/tmp/a", b"");"#,
            r#"std::fs::write(dirs::cache_dir().unwrap().join("a"), b"");"#,
            r#"std::fs::write("/dev/null", b"");"#,
            r#"std::fs::write(&config.data_dir, b"");"#,
            r#"std::fs::write(path, b"");"#,
        ] {
            assert!(!origin_in(body).is_state(), "{body}");
        }
    }
}
