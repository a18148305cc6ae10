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
    Check(CheckArgs),
    /// List every rule: id, category, default level, summary.
    Rules(RulesArgs),
    /// Show a rule's full documentation.
    Explain {
        /// The rule id, e.g. `hardcoded-backing-service`.
        rule: String,
    },
    /// Write a commented fitness.toml listing every rule at its default level.
    Init {
        /// The workspace to write it in (default: the current one).
        path: Option<PathBuf>,
    },
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
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
