//! Baselines: accept the findings a codebase has today, report only new ones. Entries are keyed
//! by rule, file and a fingerprint of the finding's content, not its line, so editing code above
//! a known finding does not bring it back.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::Report;

pub const DEFAULT_FILE: &str = "fitness-baseline.json";

#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
    /// For people reading the file; not used to match.
    pub message: String,
    /// For people reading the file; not used to match.
    pub line: usize,
}

/// What applying a baseline did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Findings the baseline accepted (left out of the report).
    pub matched: usize,
    /// Entries that matched no finding.
    pub stale: usize,
}

pub(crate) fn path_key(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

impl Baseline {
    pub fn of(report: &Report) -> Baseline {
        let findings = report
            .findings
            .iter()
            .map(|finding| Entry {
                rule: finding.rule.to_string(),
                path: path_key(&finding.location.path),
                fingerprint: report.fingerprint(finding),
                message: finding.message.clone(),
                line: finding.location.start.line,
            })
            .collect();
        Baseline {
            version: 1,
            findings,
        }
    }

    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read baseline `{}`: {error}", path.display()))?;
        let baseline: Baseline = serde_json::from_str(&text)
            .map_err(|error| format!("baseline `{}` is not valid: {error}", path.display()))?;
        if baseline.version != 1 {
            return Err(format!(
                "baseline `{}` has version {}; this tool reads version 1",
                path.display(),
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// Writes the baseline next to its final place and renames it there, so a reader never
    /// sees half a file.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        let directory = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut temporary = tempfile::NamedTempFile::new_in(directory)?;
        temporary.write_all(text.as_bytes())?;
        temporary.as_file().sync_all()?;
        temporary.persist(path).map_err(|error| error.error)?;
        Ok(())
    }

    /// Removes from the report every finding the baseline holds, counting each entry once.
    pub fn apply(&self, report: &mut Report) -> Applied {
        let mut remaining: HashMap<(String, String, String), usize> = HashMap::new();
        for entry in &self.findings {
            let key = (
                entry.rule.clone(),
                entry.path.clone(),
                entry.fingerprint.clone(),
            );
            *remaining.entry(key).or_default() += 1;
        }
        let fingerprints: Vec<String> = report
            .findings
            .iter()
            .map(|f| report.fingerprint(f))
            .collect();
        let mut matched = 0;
        let mut keep = Vec::with_capacity(report.findings.len());
        for (finding, print) in report.findings.iter().zip(&fingerprints) {
            let key = (
                finding.rule.to_string(),
                path_key(&finding.location.path),
                print.clone(),
            );
            let left = remaining.get_mut(&key);
            match left {
                Some(count) if *count > 0 => {
                    *count -= 1;
                    matched += 1;
                    keep.push(false);
                }
                _ => keep.push(true),
            }
        }
        let mut keep = keep.into_iter();
        report.findings.retain(|_| keep.next().unwrap_or(true));
        Applied {
            matched,
            stale: remaining.values().sum(),
        }
    }

    /// The entries that still match a finding of the report.
    pub fn pruned(&self, report: &Report) -> Baseline {
        let mut available: HashMap<(String, String, String), usize> = HashMap::new();
        for finding in &report.findings {
            let key = (
                finding.rule.to_string(),
                path_key(&finding.location.path),
                report.fingerprint(finding),
            );
            *available.entry(key).or_default() += 1;
        }
        let findings = self
            .findings
            .iter()
            .filter(|entry| {
                let key = (
                    entry.rule.clone(),
                    entry.path.clone(),
                    entry.fingerprint.clone(),
                );
                match available.get_mut(&key) {
                    Some(count) if *count > 0 => {
                        *count -= 1;
                        true
                    }
                    _ => false,
                }
            })
            .cloned()
            .collect();
        Baseline {
            version: 1,
            findings,
        }
    }
}
