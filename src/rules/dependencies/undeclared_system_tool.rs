use crate::diagnostic::Level;
use crate::facts::processes::{SHELLS, program_name};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};

pub static META: RuleMeta = RuleMeta {
    id: "undeclared-system-tool",
    category: Category::Dependencies,
    default_level: Level::Warn,
    summary: "service code runs an external program the container image must ship",
    docs: include_str!("../../../rules/dependencies/undeclared-system-tool.md"),
    scope: CodeScope::Service,
};

#[derive(Default)]
pub struct UndeclaredSystemTool;

impl Rule for UndeclaredSystemTool {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let any = cx
            .rust_facts
            .iter()
            .any(|(path, facts)| !facts.calls.processes.is_empty() && cx.services.contains(path));
        if !any {
            return;
        }
        let startup = cx.startup();
        for (file, (path, facts)) in cx.rust_facts.iter().enumerate() {
            if facts.calls.processes.is_empty()
                || !cx.services.contains(path)
                || startup.is_tool_file(file)
            {
                continue;
            }
            for (process, site) in &facts.calls.processes {
                if site.function.is_some_and(|f| !startup.can_run((file, f))) {
                    continue;
                }
                let Some(source) = out.open(cx.workspace, path) else {
                    break;
                };
                report(out, &source, process);
            }
        }
    }
}

fn report(
    out: &mut WorkspaceReporter,
    source: &crate::source::SourceFile,
    process: &crate::facts::processes::SpawnedProcess,
) {
    let arguments = &process.arguments;
    // `sh -c "curl …"`: the shell and the program it runs are both needed.
    let through_shell = if SHELLS.contains(&process.program.as_str())
        && arguments.first().is_some_and(|a| a == "-c" || a == "/C")
        && let Some(line) = arguments.get(1)
    {
        line.split_whitespace()
            .find(|word| !word.contains('=') && *word != "exec")
            .and_then(program_name)
            .filter(|inner| *inner != process.program)
    } else {
        None
    };
    let (message, label) = match &through_shell {
        Some(inner) => (
            format!(
                "service code runs `{inner}` through `{} -c`: the container image must ship both",
                process.program
            ),
            format!(
                "`{}` and `{inner}` must be installed where the service runs",
                process.program
            ),
        ),
        None => (
            format!(
                "service code runs `{}`: the container image must ship it",
                process.program
            ),
            format!(
                "`{}` must be installed where the service runs",
                process.program
            ),
        ),
    };
    let program = through_shell.as_deref().unwrap_or(&process.program);
    out.report(&META, source, process.span, message)
        .label(label)
        .note(format!(
            "twelve-factor II: a service declares every dependency and never relies on \
             system-wide tools; `{program}` is an implicit dependency that no Cargo.toml \
             records, so a slim or distroless image fails at run time, not at build time"
        ))
        .help(alternative(program));
}

/// What to do instead of running a program, by program.
fn alternative(program: &str) -> String {
    let library = match program {
        "curl" | "wget" | "http" | "httpie" => Some("an HTTP client such as `reqwest`"),
        "psql" | "mysql" | "sqlite3" | "redis-cli" => {
            Some("the database's client library (`sqlx`, `tokio-postgres`, `redis`)")
        }
        "git" => Some("`gix` or `git2`"),
        "convert" | "magick" | "identify" => Some("the `image` crate"),
        "openssl" => Some("`rustls`, `rcgen` or the `openssl` crate"),
        "tar" | "gzip" | "gunzip" | "unzip" | "zip" => Some("the `tar`, `flate2` or `zip` crates"),
        "jq" => Some("`serde_json`"),
        "date" | "hostname" | "whoami" | "uname" => Some("the standard library or `nix`"),
        "kubectl" => Some("`kube`"),
        "aws" | "gsutil" | "az" => Some("the cloud provider's SDK crate"),
        "docker" => Some("`bollard`"),
        _ => None,
    };
    match library {
        Some(library) => format!(
            "use {library} instead; if the program must stay, install it explicitly in the \
             Dockerfile's final stage and fail at start-up when it is missing"
        ),
        None => format!(
            "install `{program}` explicitly in the Dockerfile's final stage (pinned) and check for \
             it at start-up, or use a library instead of the program"
        ),
    }
}
