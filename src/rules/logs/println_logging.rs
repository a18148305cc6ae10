use std::collections::HashSet;

use crate::diagnostic::Level;
use crate::facts::calls::{FnId, Site, Startup};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};

pub static META: RuleMeta = RuleMeta {
    id: "println-logging",
    category: Category::Logs,
    default_level: Level::Warn,
    summary: "service code prints with `println!`/`eprintln!`/`dbg!` instead of logging",
    docs: include_str!("../../../rules/logs/println-logging.md"),
    scope: CodeScope::Service,
};

const WHY: &str = "twelve-factor XI: logs are a stream of time-ordered events that the platform \
                   collects, filters and indexes; a logger gives each event a level, a timestamp \
                   and fields, and honours `RUST_LOG`. A printed line has none of these, cannot be \
                   silenced, and breaks the parsing of JSON logs";

#[derive(Default)]
pub struct PrintlnLogging;

impl Rule for PrintlnLogging {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let any_prints = cx
            .rust_facts
            .iter()
            .any(|(path, facts)| !facts.calls.prints.is_empty() && cx.services.contains(path));
        if !any_prints {
            return;
        }
        let startup = Startup::new(cx.workspace, cx.rust_facts);
        let logger_functions: HashSet<FnId> = cx
            .rust_facts
            .iter()
            .enumerate()
            .flat_map(|(file, (_, facts))| {
                facts
                    .calls
                    .logger_inits
                    .iter()
                    .filter_map(move |site| Some((file, site.function?)))
            })
            .collect();
        let any_logger = cx.rust_facts.iter().any(|(path, facts)| {
            !facts.calls.logger_inits.is_empty() && cx.services.contains(path)
        });
        for (file, (path, facts)) in cx.rust_facts.iter().enumerate() {
            if facts.calls.prints.is_empty()
                || !cx.services.contains(path)
                || startup.is_tool_file(file)
            {
                continue;
            }
            // A binary's own file: its `main` decides whether there is a logger. Elsewhere (a
            // library, a module of several binaries), any logger of the services counts.
            let has_logger = startup
                .roots
                .iter()
                .find(|&&id| id.0 == file && is_main(&startup, id))
                .map_or(any_logger, |&main| {
                    sets_up_logger(&startup, main, &logger_functions)
                });
            let mut source = None;
            for site in &facts.calls.prints {
                // Outside any function: a `static`'s initializer, run once as configuration loads.
                let Some(function) = site.function else {
                    continue;
                };
                if site.gate.subcommand
                    || site.gate.logged_otherwise
                    || !startup.can_run((file, function))
                {
                    continue;
                }
                if site.what != "dbg" && is_main(&startup, (file, function)) {
                    match logger_ready(&startup, (file, function), &logger_functions) {
                        Some(ready) if site.span.start >= ready => {}
                        _ => continue,
                    }
                }
                if source.is_none() {
                    source = out.open(cx.workspace, path);
                }
                let Some(source) = &source else {
                    break;
                };
                report(out, source, site, has_logger);
            }
        }
    }
}

/// Whether a `main` installs a logger, itself or through a function it calls.
fn sets_up_logger(startup: &Startup<'_>, main: FnId, logger_functions: &HashSet<FnId>) -> bool {
    logger_functions.contains(&main) || startup.graph.reaches(main, logger_functions)
}

fn is_main(startup: &Startup<'_>, id: FnId) -> bool {
    let function = startup.graph.function(id);
    function.name == "main" && function.top_level
}

/// Where the logger is ready in a `main`: the end of the first statement that installs one,
/// directly or through a function of the workspace. `None` when `main` installs none.
fn logger_ready(
    startup: &Startup<'_>,
    main: FnId,
    logger_functions: &HashSet<FnId>,
) -> Option<usize> {
    let graph = &startup.graph;
    let function = graph.function(main);
    let facts = graph.facts(main.0);
    function.statements.iter().find_map(|statement| {
        let inside = |start: usize| statement.start <= start && start < statement.end;
        let direct = facts
            .calls
            .logger_inits
            .iter()
            .any(|site| site.function == Some(main.1) && inside(site.span.start));
        let through_call = || {
            function
                .references
                .iter()
                .filter(|reference| inside(reference.span.start))
                .flat_map(|reference| graph.resolve(main, reference))
                .any(|callee| graph.reaches(callee, logger_functions))
        };
        (direct || through_call()).then_some(statement.end)
    })
}

fn report(
    out: &mut WorkspaceReporter,
    source: &crate::source::SourceFile,
    site: &Site,
    has_logger: bool,
) {
    let name = site.what;
    if name == "dbg" {
        out.report(&META, source, site.span, "`dbg!` left in service code")
            .label("prints to stderr, outside the logger")
            .note(WHY)
            .help("remove it, or log the value at debug level: `tracing::debug!(?value)`");
        return;
    }
    let stream = if name.starts_with('e') {
        "stderr"
    } else {
        "stdout"
    };
    let message = if has_logger {
        format!("`{name}!` bypasses the service's logger")
    } else {
        format!("`{name}!` used for logging: the service sets up no logger")
    };
    let help = if has_logger {
        "log through the logger instead, e.g. `tracing::info!(..)` or `log::info!(..)`, with \
         the values as fields"
    } else {
        "set up a logger in `main` (e.g. `tracing_subscriber::fmt().json().init()`) and log \
         with `tracing::info!(..)`; printing before the logger exists in `main` is fine"
    };
    out.report(&META, source, site.span, message)
        .label(format!(
            "written straight to {stream}: no level, timestamp or fields"
        ))
        .note(WHY)
        .help(help);
}
