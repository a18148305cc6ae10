//! cargo-fitness: architecture fitness functions for Rust services and their deployment.

pub mod architecture;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod facts;
#[doc(hidden)]
pub mod fuzzing;
pub mod inventory;
pub mod lsp;
pub mod model;
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
use output::{Format, RenderOptions};
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
        Some(Command::Baseline(args)) => write_baseline(&args),
        Some(Command::Init { path }) => init(path.as_deref()),
        Some(Command::Lsp) => lsp::run_stdio(),
        Some(Command::Inventory(args)) => describe(&args.target, |cx| {
            inventory::render::render(args.format, &inventory::collect(cx))
        }),
        Some(Command::Graph(args)) => describe(&args.target, |cx| {
            let graph = inventory::graph::build(cx, &inventory::collect(cx));
            inventory::graph::render(args.format, &graph)
        }),
    };
    ExitCode::from(code)
}

fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_ERROR
}

/// A workspace with its configuration and configured rules, ready to check.
struct Prepared {
    workspace: Workspace,
    config: Config,
    rules: Vec<Box<dyn rule::Rule>>,
}

/// Finds the workspace, reads its configuration and configures the rules; on failure, prints
/// why and gives the exit code.
fn prepare(
    path: Option<&std::path::Path>,
    manifest_path: Option<&std::path::Path>,
    config_path: Option<&std::path::Path>,
    level_flags: &[(Level, String)],
    quiet: bool,
) -> Result<Prepared, u8> {
    let location = workspace::locate(path, manifest_path).map_err(fail)?;
    let mut config = Config::load(&location.root, config_path).map_err(|error| {
        eprintln!("{:?}", miette::Report::new(*error));
        EXIT_ERROR
    })?;
    config.apply_cli(level_flags).map_err(fail)?;
    source::set_max_file_mib(config.max_file_mib());
    let mut rules = registry::rules();
    for rule in &mut rules {
        if let Some(options) = config.options.get(rule.meta().id) {
            rule.configure(options).map_err(fail)?;
        }
    }
    let filter = workspace::FileFilter {
        scope: location.scope,
        exclude: config.exclude(),
    };
    let workspace = Workspace::discover(location.root, location.is_cargo_workspace, &filter);
    if !quiet {
        for warning in &workspace.warnings {
            eprintln!("warning: {warning}");
        }
    }
    // A selector of the declared architecture that matches nothing is a configuration error.
    architecture::validate(&config.architecture, &workspace).map_err(|error| {
        eprintln!("{:?}", miette::Report::new(*error));
        EXIT_ERROR
    })?;
    Ok(Prepared {
        workspace,
        config,
        rules,
    })
}

fn check(args: &CheckArgs, level_flags: &[(Level, String)]) -> u8 {
    let format = match (&args.format, &args.message_format) {
        (Some(format), _) => *format,
        (None, Some(message_format)) if message_format.starts_with("json") => Format::Cargo,
        (None, _) if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") => {
            Format::Github
        }
        (None, _) => Format::Human,
    };
    // rust-analyzer reads stdout as JSON lines: keep stderr quiet and every line parseable.
    let quiet = args.quiet || format == Format::Cargo;
    let check_passed = if args.also_run_check && format == Format::Cargo {
        match run_cargo_check(args) {
            Ok(passed) => passed,
            Err(message) => return fail(message),
        }
    } else {
        true
    };
    let prepared = match prepare(
        args.path.as_deref(),
        args.manifest_path.as_deref(),
        args.config.as_deref(),
        level_flags,
        quiet,
    ) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let Prepared {
        workspace,
        config,
        rules,
    } = &prepared;
    let mut report = engine::check(workspace, config, rules);
    if let Some(revision) = &args.changed_since {
        match changed_files(&workspace.root, revision) {
            Ok(changed) => report.keep_touching(&changed),
            Err(message) => return fail(message),
        }
    }
    let mut stale_baseline = 0;
    if let Some(path) = &args.baseline {
        match baseline::Baseline::read(path) {
            Ok(accepted) => {
                let applied = accepted.apply(&mut report);
                report.baselined = Some(applied.matched);
                stale_baseline = applied.stale;
            }
            Err(message) => return fail(message),
        }
    }
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
        workspace: Some(workspace),
        skip_build_finished: args.also_run_check,
    };
    let mut stdout = std::io::stdout().lock();
    let mut written = output::render(format, &report, &options, &mut stdout);
    if args.also_run_check && format == Format::Cargo {
        let success = check_passed && report.count(Level::Deny) == 0;
        written = written.and_then(|()| output::cargo_json::finished(success, &mut stdout));
    }
    if let Err(error) = written.and_then(|()| stdout.flush())
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        return fail(format!("cannot write the report: {error}"));
    }
    if stale_baseline > 0 && !quiet {
        eprintln!(
            "warning: {} baseline entr{} no longer match a finding; `cargo fitness baseline --prune` removes them",
            stale_baseline,
            if stale_baseline == 1 { "y" } else { "ies" }
        );
    }
    if report.count(Level::Deny) > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Runs `cargo check` with the flags rust-analyzer gave us and streams its JSON messages to
/// stdout, all but its `build-finished` line. Offline, as everything this tool runs.
fn run_cargo_check(args: &CheckArgs) -> Result<bool, String> {
    use std::io::BufRead;
    let message_format = args
        .message_format
        .clone()
        .unwrap_or_else(|| "json".to_string());
    let mut command =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .arg("check")
        .arg(format!("--message-format={message_format}"))
        .arg("--offline");
    if let Some(manifest) = &args.manifest_path {
        command.arg("--manifest-path").arg(manifest);
    }
    if let Some(path) = &args.path {
        command.current_dir(path);
    }
    command.args(args.cargo.to_args());
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    let mut child = command
        .spawn()
        .map_err(|error| format!("cannot run cargo check: {error}"))?;
    let mut stdout = std::io::stdout().lock();
    if let Some(output) = child.stdout.take() {
        for line in std::io::BufReader::new(output).lines() {
            let line =
                line.map_err(|error| format!("cannot read cargo check's output: {error}"))?;
            if line.contains("\"reason\":\"build-finished\"") {
                continue;
            }
            writeln!(stdout, "{line}").map_err(|error| format!("cannot write: {error}"))?;
        }
    }
    let status = child
        .wait()
        .map_err(|error| format!("cargo check failed: {error}"))?;
    Ok(status.success())
}

/// Files changed since `revision`, and untracked ones, relative to the workspace root.
fn changed_files(
    root: &std::path::Path,
    revision: &str,
) -> Result<Vec<std::path::PathBuf>, String> {
    let git = |args: &[&str]| -> Result<String, String> {
        let output = std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .map_err(|error| format!("--changed-since needs git: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let changed = git(&["diff", "--name-only", "--relative", revision, "--"])?;
    let untracked = git(&["ls-files", "--others", "--exclude-standard"])?;
    Ok(changed
        .lines()
        .chain(untracked.lines())
        .filter(|l| !l.is_empty())
        .map(std::path::PathBuf::from)
        .collect())
}

fn write_baseline(args: &cli::BaselineArgs) -> u8 {
    let prepared = match prepare(
        args.path.as_deref(),
        None,
        args.config.as_deref(),
        &[],
        false,
    ) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let report = engine::check(&prepared.workspace, &prepared.config, &prepared.rules);
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| prepared.workspace.root.join(baseline::DEFAULT_FILE));
    let (written, verb) = if args.prune {
        match baseline::Baseline::read(&target) {
            Ok(existing) => (existing.pruned(&report), "kept"),
            Err(message) => return fail(message),
        }
    } else {
        (baseline::Baseline::of(&report), "wrote")
    };
    match written.write(&target) {
        Ok(()) => {
            eprintln!(
                "{verb} {} finding(s) in {}",
                written.findings.len(),
                target.display()
            );
            EXIT_CLEAN
        }
        Err(error) => fail(format!("cannot write {}: {error}", target.display())),
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

/// `inventory` and `graph`: reads the workspace without running rules and prints what
/// `write` makes of it.
fn describe(
    target: &cli::DescribeTarget,
    write: impl FnOnce(&rule::WorkspaceContext<'_>) -> String,
) -> u8 {
    let prepared = match prepare(
        target.path.as_deref(),
        target.manifest_path.as_deref(),
        target.config.as_deref(),
        &[],
        false,
    ) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let text = engine::inspect(&prepared.workspace, &prepared.config, write);
    finish_output(std::io::stdout().lock().write_all(text.as_bytes()))
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
