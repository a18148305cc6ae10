//! Spawned processes: calls that run an external program, with the program's name when the
//! code writes it down.

use syn::Expr;

use crate::diagnostic::Span;
use crate::source::rust::{RustFile, string_literal};

/// A call that starts an external program named in the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpawnedProcess {
    /// The program's name: the file name of the path given (`/usr/bin/curl` gives `curl`).
    pub program: String,
    /// The library that runs it, as users know it (`std::process::Command`, `duct`).
    pub via: &'static str,
    /// The literal that names the program.
    pub span: Span,
    /// Literal arguments given in the same call (`cmd!("sh", "-c", "…")`); the arguments of a
    /// `Command` builder come from the calls around it, see [`literal_arguments`].
    pub arguments: Vec<String>,
}

/// Functions whose first argument is the program to run, by resolved path.
const COMMAND_CONSTRUCTORS: &[(&str, &str)] = &[
    ("std::process::Command::new", "std::process::Command"),
    ("tokio::process::Command::new", "tokio::process::Command"),
    ("async_process::Command::new", "async-process"),
    ("async_std::process::Command::new", "async-std"),
    ("smol::process::Command::new", "smol"),
    ("duct::cmd", "duct"),
];

/// Macros whose first argument is the program to run.
const COMMAND_MACROS: &[(&str, &str)] = &[("duct::cmd", "duct"), ("duct_sh::sh_dangerous", "duct")];

/// The program this expression starts, when it is a known process call given a literal name.
/// A program given in a variable is not reported: the tool cannot tell what it is.
pub fn spawned_process(file: &RustFile<'_>, expr: &Expr) -> Option<SpawnedProcess> {
    let (via, program, arguments) = match expr {
        Expr::Call(call) => {
            let path = file.called_path_where(expr, |path| {
                COMMAND_CONSTRUCTORS.iter().any(|(known, _)| *known == path)
            })?;
            let &(_, via) = COMMAND_CONSTRUCTORS.iter().find(|(p, _)| *p == path)?;
            let mut list = call.args.iter().nth(1);
            while let Some(Expr::Reference(reference)) = list {
                list = Some(&*reference.expr);
            }
            let arguments = match list {
                Some(Expr::Array(array)) => array.elems.iter().filter_map(string_literal).collect(),
                _ => Vec::new(),
            };
            (via, call.args.first()?, arguments)
        }
        Expr::Macro(mac) => {
            let path = file.resolve(&mac.mac.path);
            let &(_, via) = COMMAND_MACROS.iter().find(|(known, _)| *known == path)?;
            let args = file.macro_args(&mac.mac).filter(|args| args.parsed)?;
            let arguments = args
                .exprs
                .iter()
                .skip(1)
                .filter_map(string_literal)
                .collect();
            (via, args.exprs.first()?, arguments)
        }
        _ => return None,
    };
    let literal = string_literal(program)?;
    let name = program_name(&literal)?;
    Some(SpawnedProcess {
        program: name,
        via,
        span: file.span(program),
        arguments,
    })
}

/// `/usr/bin/curl` → `curl`; `C:\\tools\\git.exe` → `git`. `None` for an empty name.
pub fn program_name(path: &str) -> Option<String> {
    let trimmed = path.trim();
    let base = trimmed
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(trimmed)
        .trim_end_matches(".exe");
    (!base.is_empty()).then(|| base.to_string())
}

/// Shells that run a command line given with `-c`.
pub const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ash",
    "fish",
    "cmd",
    "powershell",
    "pwsh",
];

/// The arguments a builder chain passes to the command `start` creates, read from the method
/// calls wrapped around it: `Command::new("sh").arg("-c").arg("curl …")` gives
/// `["-c", "curl …"]`. Only literals are collected; `outer` lists the enclosing expressions,
/// nearest first, as the rule pass gives them.
pub fn literal_arguments<'e>(
    start: &'e Expr,
    outer: impl Iterator<Item = &'e Expr>,
) -> Vec<String> {
    let mut arguments = Vec::new();
    let mut inner = start;
    for expr in outer {
        match expr {
            Expr::MethodCall(call) if std::ptr::eq(&*call.receiver, inner) => {
                match call.method.to_string().as_str() {
                    "arg" => arguments.extend(call.args.first().and_then(string_literal)),
                    "args" => {
                        let mut list = call.args.first();
                        while let Some(Expr::Reference(reference)) = list {
                            list = Some(&*reference.expr);
                        }
                        if let Some(Expr::Array(array)) = list {
                            arguments.extend(array.elems.iter().filter_map(string_literal));
                        }
                    }
                    _ => {}
                }
            }
            Expr::Paren(paren) if std::ptr::eq(&*paren.expr, inner) => {}
            _ => break,
        }
        inner = expr;
    }
    arguments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names_are_file_names() {
        assert_eq!(program_name("/usr/bin/curl").as_deref(), Some("curl"));
        assert_eq!(program_name("C:\\tools\\git.exe").as_deref(), Some("git"));
        assert_eq!(program_name("  "), None);
    }

    #[test]
    fn builder_arguments_are_read_from_the_chain() {
        let expr: Expr =
            syn::parse_str(r#"Command::new("sh").arg("-c").args(&["curl x"]).env("A", "b")"#)
                .unwrap();
        let mut chain: Vec<&Expr> = Vec::new();
        let mut current = &expr;
        while let Expr::MethodCall(call) = current {
            chain.push(current);
            current = &call.receiver;
        }
        chain.reverse();
        assert_eq!(
            literal_arguments(current, chain.into_iter()),
            ["-c", "curl x"]
        );
    }
}
