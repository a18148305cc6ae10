use std::collections::{HashMap, HashSet};

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
        let startup = cx.startup();
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
        let quiet = Quiet::new(startup, &logger_functions);
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
                .mains
                .iter()
                .find(|&&id| id.0 == file)
                .map_or(any_logger, |main| quiet.reaching_logger.contains(main));
            let mut source = None;
            for site in &facts.calls.prints {
                // Outside any function: a `static`'s initializer, run once as configuration loads.
                let Some(function) = site.function else {
                    continue;
                };
                let id = (file, function);
                if site.gate.subcommand || site.gate.logged_otherwise || !startup.can_run(id) {
                    continue;
                }
                if site.what != "dbg" && quiet.covers(startup, id, site) {
                    continue;
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

/// Where printing is not logging: start-up output before the logger exists, and the output of
/// subcommands.
struct Quiet {
    /// Functions from which a logger is installed, the installers included.
    reaching_logger: HashSet<FnId>,
    /// For each function that installs the logger (itself or through a call), where it is ready:
    /// the end of the statement that installs it.
    ready: HashMap<FnId, usize>,
    /// Functions that only run before a logger is installed.
    before_logger: HashSet<FnId>,
    /// Functions that only run in a subcommand that starts no server.
    command_only: HashSet<FnId>,
}

impl Quiet {
    fn new(startup: &Startup<'_>, logger_functions: &HashSet<FnId>) -> Quiet {
        let graph = &startup.graph;
        let reaching_logger = if logger_functions.is_empty() {
            HashSet::new()
        } else {
            graph.reaching(logger_functions)
        };
        let mut ready = HashMap::new();
        let mut before = Vec::new();
        let mut after = startup.serving.clone();
        for &id in &reaching_logger {
            let function = graph.function(id);
            let facts = graph.facts(id.0);
            let installs = |start: usize, end: usize| {
                facts.calls.logger_inits.iter().any(|site| {
                    site.function == Some(id.1) && start <= site.span.start && site.span.start < end
                }) || function.references.iter().any(|reference| {
                    start <= reference.span.start
                        && reference.span.start < end
                        && graph
                            .resolve(id, reference)
                            .iter()
                            .any(|callee| reaching_logger.contains(callee))
                })
            };
            let Some(statement) = function
                .statements
                .iter()
                .find(|statement| installs(statement.start, statement.end))
            else {
                continue;
            };
            ready.insert(id, statement.end);
            for reference in &function.references {
                let callees = graph.resolve(id, reference);
                if reference.span.start >= statement.end {
                    after.extend(callees);
                } else if !callees
                    .iter()
                    .any(|callee| reaching_logger.contains(callee))
                {
                    before.extend(callees);
                }
            }
        }
        let after = graph.reachable(&after, false);
        let before_logger = graph
            .reachable(&before, false)
            .into_keys()
            .filter(|id| !after.contains_key(id) && !reaching_logger.contains(id))
            .collect();

        let everywhere = graph.reachable(&startup.mains, false);
        let outside_commands = graph.reachable_through(&startup.mains, |gate| !gate.subcommand);
        let serving: HashSet<FnId> = startup.serving.iter().copied().collect();
        let serving_path = graph.reaching(&serving);
        let served = graph.reachable(&startup.serving, false);
        let command_only = everywhere
            .into_keys()
            .filter(|id| {
                !outside_commands.contains_key(id)
                    && !serving_path.contains(id)
                    && !served.contains_key(id)
            })
            .collect();
        Quiet {
            reaching_logger,
            ready,
            before_logger,
            command_only,
        }
    }

    /// Whether a print in `id` is start-up or command output rather than a log line.
    fn covers(&self, startup: &Startup<'_>, id: FnId, site: &Site) -> bool {
        if let Some(&ready) = self.ready.get(&id) {
            return site.span.start < ready;
        }
        let function = startup.graph.function(id);
        // A `main` that installs no logger prints only start-up and shutdown output.
        let main_without_logger = function.name == "main" && function.top_level;
        main_without_logger || self.before_logger.contains(&id) || self.command_only.contains(&id)
    }
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
