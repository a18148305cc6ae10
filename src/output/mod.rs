//! One file per output format, all rendering the same `Report`.

pub mod cargo_json;
mod concise;
mod github;
mod human;
mod json;
mod json_lines;
mod junit;
mod sarif;

use std::io::{self, Write};

use crate::engine::Report;
use crate::workspace::Workspace;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    /// Source snippets with labels, help and notes (miette).
    Human,
    /// One line per finding: `path:line:col: level[rule] message`.
    Concise,
    /// One JSON document; see the README for its schema.
    Json,
    /// One JSON object per finding per line.
    JsonLines,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions annotations (chosen by default when `GITHUB_ACTIONS=true`).
    Github,
    /// JUnit XML: a failing test case per finding.
    Junit,
    /// Cargo's `compiler-message` JSON lines, for rust-analyzer (`--message-format=json`).
    Cargo,
}

pub struct RenderOptions<'w> {
    pub color: bool,
    pub quiet: bool,
    /// The workspace, for formats that name packages and targets.
    pub workspace: Option<&'w Workspace>,
    /// Leave out cargo's final `build-finished` line (another one follows).
    pub skip_build_finished: bool,
}

pub fn render(
    format: Format,
    report: &Report,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, options, out),
        Format::Concise => concise::render(report, options, out),
        Format::Json => json::render(report, out),
        Format::JsonLines => json_lines::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, out),
        Format::Junit => junit::render(report, out),
        Format::Cargo => cargo_json::render(report, options, out),
    }
}

/// `2 errors, 1 warning in 14 files (3 suppressed)`.
pub fn summary(report: &Report) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut text = format!(
        "{}, {} in {}",
        plural(report.count(crate::diagnostic::Level::Deny), "error"),
        plural(report.count(crate::diagnostic::Level::Warn), "warning"),
        plural(report.files_checked, "file"),
    );
    if report.suppressed > 0 {
        text.push_str(&format!(" ({} suppressed)", report.suppressed));
    }
    if let Some(baselined) = report.baselined {
        text.push_str(&format!(" ({baselined} in the baseline)"));
    }
    text
}
