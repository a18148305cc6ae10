//! cargo-fitness: architecture fitness functions for Rust services and their deployment.

pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod facts;
pub mod output;
pub mod registry;
pub mod rule;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod workspace;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use cli::{CheckArgs, Cli, ColorChoice, Command, RulesFormat};
use config::Config;
use diagnostic::Level;
use output::RenderOptions;
use workspace::Workspace;

/// Nothing at `deny`.
pub const EXIT_CLEAN: u8 = 0;
/// Findings at `deny`.
pub const EXIT_FINDINGS: u8 = 1;
/// The tool could not run: bad arguments, bad configuration.
pub const EXIT_ERROR: u8 = 2;

/// Runs the command line `args` (program name first) and returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = cli::normalize_args(args.into_iter().collect());
    let matches = match Cli::command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            });
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let level_flags = cli::level_flags(&matches);
    let code = match cli.command {
        None => check(&cli.check, &level_flags),
        Some(Command::Check(args)) => check(&args, &level_flags),
        Some(Command::Rules(args)) => list_rules(args.format),
        Some(Command::Explain { rule }) => explain(&rule),
        Some(Command::Init { path }) => init(path.as_deref()),
    };
    ExitCode::from(code)
}

fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_ERROR
}

fn check(args: &CheckArgs, level_flags: &[(Level, String)]) -> u8 {
    let location = match workspace::locate(args.path.as_deref(), args.manifest_path.as_deref()) {
        Ok(location) => location,
        Err(message) => return fail(message),
    };
    let mut config = match Config::load(&location.root, args.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{:?}", miette::Report::new(*error));
            return EXIT_ERROR;
        }
    };
    if let Err(message) = config.apply_cli(level_flags) {
        return fail(message);
    }
    let mut rules = registry::rules();
    for rule in &mut rules {
        if let Some(options) = config.options.get(rule.meta().id)
            && let Err(message) = rule.configure(options)
        {
            return fail(message);
        }
    }
    let filter = workspace::FileFilter {
        scope: location.scope,
        exclude: config.exclude(),
    };
    let workspace = Workspace::discover(location.root, location.is_cargo_workspace, &filter);
    if !args.quiet {
        for warning in &workspace.warnings {
            eprintln!("warning: {warning}");
        }
    }
    let report = engine::check(&workspace, &config, &rules);
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let options = RenderOptions {
        color,
        quiet: args.quiet,
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(error) =
        output::render(args.format, &report, &options, &mut stdout).and_then(|()| stdout.flush())
    {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(format!("cannot write the report: {error}"));
        }
    }
    if report.count(Level::Deny) > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

fn list_rules(format: RulesFormat) -> u8 {
    let rules = registry::all();
    let mut out = std::io::stdout().lock();
    let result = match format {
        RulesFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .iter()
                .map(|meta| {
                    serde_json::json!({
                        "id": meta.id,
                        "category": meta.category.name(),
                        "default_level": meta.default_level,
                        "summary": meta.summary,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        RulesFormat::Table => {
            let id_width = rules.iter().map(|meta| meta.id.len()).max().unwrap_or(0);
            let category_width = rules
                .iter()
                .map(|meta| meta.category.name().len())
                .max()
                .unwrap_or(0);
            let mut text = format!(
                "{:id_width$}  {:category_width$}  {:5}  SUMMARY\n",
                "RULE", "CATEGORY", "LEVEL"
            );
            for meta in rules {
                text.push_str(&format!(
                    "{:id_width$}  {:category_width$}  {:5}  {}\n",
                    meta.id,
                    meta.category.name(),
                    meta.default_level.as_str(),
                    meta.summary
                ));
            }
            out.write_all(text.as_bytes())
        }
    };
    finish_output(result)
}

/// A closed pipe (`cargo fitness rules | head`) is not an error.
fn finish_output(result: std::io::Result<()>) -> u8 {
    match result {
        Ok(()) => EXIT_CLEAN,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => EXIT_CLEAN,
        Err(error) => fail(error),
    }
}

fn explain(rule: &str) -> u8 {
    match registry::find(rule) {
        Some(meta) => finish_output(std::io::stdout().lock().write_all(meta.docs.as_bytes())),
        None => fail(format!(
            "unknown rule `{rule}`; `cargo fitness rules` lists every rule"
        )),
    }
}

fn init(path: Option<&std::path::Path>) -> u8 {
    let location = match workspace::locate(path, None) {
        Ok(location) => location,
        Err(message) => return fail(message),
    };
    let target = config::config_path(&location.root);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target);
    match file {
        Ok(mut file) => match file.write_all(config::template().as_bytes()) {
            Ok(()) => {
                eprintln!("wrote {}", target.display());
                EXIT_CLEAN
            }
            Err(error) => fail(format!("cannot write {}: {error}", target.display())),
        },
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => fail(format!(
            "{} already exists; not overwriting it",
            target.display()
        )),
        Err(error) => fail(format!("cannot create {}: {error}", target.display())),
    }
}
