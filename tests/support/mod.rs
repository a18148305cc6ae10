//! Shared by the test files: expected findings written in fixture files as `~` markers.
#![allow(dead_code)]

pub mod process;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cargo_fitness::diagnostic::Finding;
use cargo_fitness::source::FileKind;
use cargo_fitness::source::comments;

/// (path, line, rule) → how many findings are expected there.
pub type Expected = BTreeMap<(PathBuf, usize, String), usize>;

/// Markers in one file's comments: `~ rule-id[, rule-id]` at the end of a comment means
/// findings on that comment's line; `~^ rule-id` the line above (one `^` per line).
pub fn markers(path: &Path, kind: FileKind, text: &str, out: &mut Expected) {
    let lines = cargo_fitness::source::line_index::LineIndex::new(text);
    for comment in comments::scan(kind, text) {
        let body = comment.body(text);
        let Some(index) = marker_start(body) else {
            continue;
        };
        let marker = &body[index + 1..];
        let up = marker.chars().take_while(|&c| c == '^').count();
        let line = lines.line_of(comment.span.start) + 1 - up;
        for rule in marker[up..]
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            *out.entry((path.to_path_buf(), line, rule.to_string()))
                .or_default() += 1;
        }
    }
}

/// Where `~` starts a marker: at the start of the comment or after whitespace, followed only by
/// `^`s and rule ids.
fn marker_start(body: &str) -> Option<usize> {
    let index = body.rfind('~')?;
    if index > 0 && !body[..index].ends_with(char::is_whitespace) {
        return None;
    }
    let rest = body[index + 1..].trim_start_matches('^');
    let is_rule_list = rest.starts_with(char::is_whitespace)
        && rest.split(',').all(|id| {
            let id = id.trim();
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    is_rule_list.then_some(index)
}

pub fn actual(findings: &[Finding]) -> Expected {
    let mut found = Expected::new();
    for finding in findings {
        let key = (
            finding.location.path.to_path_buf(),
            finding.location.start.line,
            finding.rule.to_string(),
        );
        *found.entry(key).or_default() += 1;
    }
    found
}

/// A readable difference between expected and found, or `None` when they agree.
pub fn difference(expected: &Expected, found: &Expected, findings: &[Finding]) -> Option<String> {
    let mut report = String::new();
    for (key, &count) in expected {
        let got = found.get(key).copied().unwrap_or(0);
        if got < count {
            report.push_str(&format!(
                "  missing    {}:{} {} (expected {count}, found {got})\n",
                key.0.display(),
                key.1,
                key.2
            ));
        }
    }
    for (key, &count) in found {
        let want = expected.get(key).copied().unwrap_or(0);
        if count > want {
            let messages: Vec<&str> = findings
                .iter()
                .filter(|f| {
                    f.location.path.as_path() == key.0
                        && f.location.start.line == key.1
                        && f.rule == key.2
                })
                .map(|f| f.message.as_str())
                .collect();
            report.push_str(&format!(
                "  unexpected {}:{} {} ({count} found, {want} marked): {}\n",
                key.0.display(),
                key.1,
                key.2,
                messages.join(" | ")
            ));
        }
    }
    (!report.is_empty()).then_some(report)
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
