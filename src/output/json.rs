//! The stable JSON format: `{"version": 1, "findings": [...], "summary": {...}}`.
//! Fields are only ever added; their meaning never changes within a version.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::{Finding, Level, Location};
use crate::engine::Report;
use crate::registry;

#[derive(Serialize)]
struct Document<'r> {
    version: u32,
    findings: Vec<JsonFinding<'r>>,
    summary: Summary,
}

#[derive(Serialize)]
pub(super) struct JsonFinding<'r> {
    rule: &'static str,
    category: &'static str,
    level: Level,
    message: &'r str,
    #[serde(flatten)]
    location: JsonLocation,
    label: Option<&'r str>,
    labels: Vec<JsonLabel<'r>>,
    help: Option<&'r str>,
    note: Option<&'r str>,
}

#[derive(Serialize)]
struct JsonLocation {
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Serialize)]
struct JsonLabel<'r> {
    #[serde(flatten)]
    location: JsonLocation,
    message: &'r str,
}

#[derive(Serialize)]
struct Summary {
    deny: usize,
    warn: usize,
    files: usize,
    suppressed: usize,
    baselined: usize,
}

impl From<&Location> for JsonLocation {
    fn from(location: &Location) -> Self {
        JsonLocation {
            path: location.path.to_string_lossy().replace('\\', "/"),
            line: location.start.line,
            column: location.start.column,
            end_line: location.end.line,
            end_column: location.end.column,
            byte_start: location.span.start,
            byte_end: location.span.end,
        }
    }
}

pub(super) fn finding(finding: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        rule: finding.rule,
        category: registry::find(finding.rule).map_or("meta", |meta| meta.category.name()),
        level: finding.level,
        message: &finding.message,
        location: (&finding.location).into(),
        label: finding.label.as_deref(),
        labels: finding
            .labels
            .iter()
            .map(|label| JsonLabel {
                location: (&label.location).into(),
                message: &label.message,
            })
            .collect(),
        help: finding.help.as_deref(),
        note: finding.note.as_deref(),
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let document = Document {
        version: 1,
        findings: report.findings.iter().map(finding).collect(),
        summary: Summary {
            deny: report.count(Level::Deny),
            warn: report.count(Level::Warn),
            files: report.files_checked,
            suppressed: report.suppressed,
            baselined: report.baselined.unwrap_or(0),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
