//! One file per output format, all rendering the same `Report`.

mod concise;
mod human;
mod json;

use std::io::{self, Write};

use crate::engine::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    /// Source snippets with labels, help and notes (miette).
    Human,
    /// One line per finding: `path:line:col: level[rule] message`.
    Concise,
    /// One JSON document; see the README for its schema.
    Json,
}

pub struct RenderOptions {
    pub color: bool,
    pub quiet: bool,
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
    text
}
