//! The command line. Works both as `cargo fitness …` and `cargo-fitness …`.

use std::path::PathBuf;

use clap::{ArgMatches, Args, Parser, Subcommand, ValueEnum};

use crate::diagnostic::Level;
use crate::output::Format;

#[derive(Parser, Debug)]
#[command(
    name = "cargo-fitness",
    bin_name = "cargo fitness",
    version,
    about = "Architecture fitness functions for Rust services and the files that deploy them",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check the workspace (the default).
    Check(Box<CheckArgs>),
    /// List every rule: id, category, default level, summary.
    Rules(RulesArgs),
    /// Show a rule's full documentation.
    Explain {
        /// The rule id, e.g. `hardcoded-backing-service`.
        rule: String,
    },
    /// Accept today's findings: write them to a baseline file that `check --baseline` skips.
    Baseline(BaselineArgs),
    /// Write a commented fitness.toml listing every rule at its default level.
    Init {
        /// The workspace to write it in (default: the current one).
        path: Option<PathBuf>,
    },
    /// Run the language server on stdin and stdout, for editors (see the README's editor set-up).
    Lsp,
    /// Show the service card of each binary: what builds and runs it, the port it listens
    /// on, its routes, the env vars it reads and who sets them, its backing services.
    Inventory(InventoryArgs),
    /// Draw the architecture: services, crates, backing services and what connects them.
    Graph(GraphArgs),
}

/// The workspace `inventory` and `graph` describe.
#[derive(Args, Debug, Default)]
pub struct DescribeTarget {
    /// The workspace or directory (default: the current directory).
    pub path: Option<PathBuf>,
    /// Path to the workspace's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Configuration file to use instead of `<root>/fitness.toml` (for `[[services]]`).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub target: DescribeTarget,
    /// `human` (aligned tables), `json` (for tools) or `markdown` (for pull-request comments).
    #[arg(long, value_enum, default_value_t = InventoryFormat::Human)]
    pub format: InventoryFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    #[command(flatten)]
    pub target: DescribeTarget,
    /// `mermaid` (renders in GitHub Markdown) or `dot` (Graphviz).
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Args, Debug, Default)]
pub struct CheckArgs {
    /// The workspace or directory to check (default: the current directory).
    pub path: Option<PathBuf>,
    /// Path to the workspace's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Configuration file to use instead of `<root>/fitness.toml`.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Output format (default: `human`, or `github` when `GITHUB_ACTIONS=true`).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Cargo-style message format: any `json…` value prints cargo `compiler-message` lines for
    /// rust-analyzer (the same as `--format cargo`).
    #[arg(long, value_name = "FMT")]
    pub message_format: Option<String>,
    /// Report only findings that are not in this baseline file (see `cargo fitness baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Report only findings in files changed since this git revision (and untracked files).
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
    /// With cargo JSON output: run `cargo check` first and pass its messages through, so the
    /// editor keeps the compiler's diagnostics.
    #[arg(long)]
    pub also_run_check: bool,
    #[command(flatten)]
    pub cargo: CargoFlags,
    /// Set a rule or category to `allow` (may repeat; later flags win).
    #[arg(short = 'A', long = "allow", value_name = "RULE|CATEGORY")]
    pub allow: Vec<String>,
    /// Set a rule or category to `warn`.
    #[arg(short = 'W', long = "warn", value_name = "RULE|CATEGORY")]
    pub warn: Vec<String>,
    /// Set a rule or category to `deny`; `-D warnings` makes every warning an error.
    #[arg(short = 'D', long = "deny", value_name = "RULE|CATEGORY|warnings")]
    pub deny: Vec<String>,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print findings only: no summary line, no warnings about skipped files.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Flags cargo and rust-analyzer pass to a check command. They are accepted so that
/// `cargo fitness` can stand in for `cargo check`; they do not change what is checked, and are
/// passed on to `cargo check` with `--also-run-check`.
#[derive(Args, Debug, Default, Clone)]
pub struct CargoFlags {
    #[arg(long, hide = true)]
    pub workspace: bool,
    #[arg(long, hide = true)]
    pub all: bool,
    #[arg(long, hide = true)]
    pub all_targets: bool,
    #[arg(long, hide = true)]
    pub keep_going: bool,
    #[arg(long, hide = true)]
    pub all_features: bool,
    #[arg(long, hide = true)]
    pub no_default_features: bool,
    #[arg(long, hide = true)]
    pub lib: bool,
    #[arg(long, hide = true)]
    pub bins: bool,
    #[arg(long, hide = true)]
    pub tests: bool,
    #[arg(long, hide = true)]
    pub benches: bool,
    #[arg(long, hide = true)]
    pub examples: bool,
    #[arg(long, hide = true)]
    pub release: bool,
    #[arg(long, hide = true)]
    pub locked: bool,
    #[arg(long, hide = true)]
    pub frozen: bool,
    #[arg(long, hide = true)]
    pub offline: bool,
    #[arg(long, short = 'p', hide = true, value_name = "SPEC")]
    pub package: Vec<String>,
    #[arg(long, hide = true, value_name = "NAME")]
    pub bin: Vec<String>,
    #[arg(long, hide = true, value_name = "NAME")]
    pub test: Vec<String>,
    #[arg(long, hide = true, value_name = "NAME")]
    pub bench: Vec<String>,
    #[arg(long, hide = true, value_name = "NAME")]
    pub example: Vec<String>,
    #[arg(long, short = 'F', hide = true, value_name = "FEATURES")]
    pub features: Vec<String>,
    #[arg(long, hide = true, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    #[arg(long, hide = true, value_name = "TRIPLE")]
    pub target: Vec<String>,
    #[arg(long, hide = true, value_name = "NAME")]
    pub profile: Option<String>,
    #[arg(short = 'Z', hide = true, value_name = "FLAG")]
    pub unstable: Vec<String>,
}

impl CargoFlags {
    /// The flags as `cargo check` takes them.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (set, flag) in [
            (self.workspace, "--workspace"),
            (self.all, "--workspace"),
            (self.all_targets, "--all-targets"),
            (self.keep_going, "--keep-going"),
            (self.all_features, "--all-features"),
            (self.no_default_features, "--no-default-features"),
            (self.lib, "--lib"),
            (self.bins, "--bins"),
            (self.tests, "--tests"),
            (self.benches, "--benches"),
            (self.examples, "--examples"),
            (self.release, "--release"),
            (self.locked, "--locked"),
            (self.frozen, "--frozen"),
        ] {
            if set {
                args.push(flag.to_string());
            }
        }
        for (values, flag) in [
            (&self.package, "--package"),
            (&self.bin, "--bin"),
            (&self.test, "--test"),
            (&self.bench, "--bench"),
            (&self.example, "--example"),
            (&self.features, "--features"),
            (&self.target, "--target"),
            (&self.unstable, "-Z"),
        ] {
            for value in values {
                args.push(flag.to_string());
                args.push(value.clone());
            }
        }
        if let Some(dir) = &self.target_dir {
            args.push("--target-dir".into());
            args.push(dir.display().to_string());
        }
        if let Some(profile) = &self.profile {
            args.push("--profile".into());
            args.push(profile.clone());
        }
        args
    }
}

#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// The workspace (default: the current one).
    pub path: Option<PathBuf>,
    /// Where to write it (default: `<root>/fitness-baseline.json`).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only remove the entries that no longer match a finding; add none.
    #[arg(long)]
    pub prune: bool,
    /// Configuration file to use instead of `<root>/fitness.toml`.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// `table` for people, `json` for tools.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Drops the `fitness` that cargo passes when run as `cargo fitness`.
pub fn normalize_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).is_some_and(|arg| arg == "fitness") {
        args.remove(1);
    }
    args
}

/// The `-A/-W/-D` flags in the order they were given, so later ones win as in rustc.
pub fn level_flags(matches: &ArgMatches) -> Vec<(Level, String)> {
    let matches = match matches.subcommand() {
        Some(("check", sub)) => sub,
        _ => matches,
    };
    let mut flags = Vec::new();
    for (id, level) in [
        ("allow", Level::Allow),
        ("warn", Level::Warn),
        ("deny", Level::Deny),
    ] {
        let (Some(values), Some(indices)) =
            (matches.get_many::<String>(id), matches.indices_of(id))
        else {
            continue;
        };
        flags.extend(
            indices
                .zip(values)
                .map(|(index, value)| (index, level, value.clone())),
        );
    }
    flags.sort_by_key(|(index, ..)| *index);
    flags
        .into_iter()
        .map(|(_, level, value)| (level, value))
        .collect()
}
