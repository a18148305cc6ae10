//! The one finding type every rule produces and every output format renders.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

/// How much a finding matters. `Allow` switches a rule off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(range: std::ops::Range<usize>) -> Span {
        Span::new(range.start, range.end)
    }
}

/// A line and column, both 1-based; the column counts characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A resolved place in a file: the path relative to the workspace root, the byte span
/// and its start and end positions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub path: Arc<PathBuf>,
    pub span: Span,
    pub start: Position,
    pub end: Position,
}

/// A secondary place that explains the finding, possibly in another file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// One problem found by one rule. Rules leave `level` at the rule default; the engine sets
/// the level the configuration asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub level: Level,
    pub message: String,
    pub location: Location,
    /// What the primary span points at, shown under the snippet.
    pub label: Option<String>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub note: Option<String>,
}

impl Finding {
    pub fn sort_key(&self) -> (&PathBuf, usize, usize, &'static str, &str) {
        (
            &self.location.path,
            self.location.start.line,
            self.location.start.column,
            self.rule,
            &self.message,
        )
    }
}
