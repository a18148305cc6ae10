//! SARIF 2.1.0, as GitHub code scanning and other CI dashboards read it.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::diagnostic::{Finding, Level, Location};
use crate::engine::Report;
use crate::registry;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rules = registry::all();
    let driver_rules: Vec<Value> = rules
        .iter()
        .map(|meta| {
            json!({
                "id": meta.id,
                "name": pascal_case(meta.id),
                "shortDescription": { "text": meta.summary },
                "fullDescription": { "text": first_paragraph(meta.docs) },
                "help": { "text": meta.docs, "markdown": meta.docs },
                "helpUri": format!("{INFORMATION_URI}/blob/main/rules/{}/{}.md", meta.category.name(), meta.id),
                "defaultConfiguration": { "level": sarif_level(meta.default_level) },
                "properties": { "category": meta.category.name(), "tags": [meta.category.name(), "fitness"] },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let index = rules.iter().position(|meta| meta.id == finding.rule);
            result(finding, index, report)
        })
        .collect();
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cargo-fitness",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": driver_rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn result(finding: &Finding, rule_index: Option<usize>, report: &Report) -> Value {
    let mut text = finding.message.clone();
    if let Some(help) = &finding.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    if let Some(note) = &finding.note {
        text.push_str("\nwhy: ");
        text.push_str(note);
    }
    let mut location = json!({ "physicalLocation": physical(&finding.location) });
    if let Some(label) = &finding.label {
        location["message"] = json!({ "text": label });
    }
    let related: Vec<Value> = finding
        .labels
        .iter()
        .enumerate()
        .map(|(index, label)| {
            json!({
                "id": index + 1,
                "physicalLocation": physical(&label.location),
                "message": { "text": label.message },
            })
        })
        .collect();
    let mut result = json!({
        "ruleId": finding.rule,
        "level": sarif_level(finding.level),
        "message": { "text": text },
        "locations": [location],
        "partialFingerprints": { "fitnessFingerprint/v1": report.fingerprint(finding) },
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    result
}

fn physical(location: &Location) -> Value {
    json!({
        "artifactLocation": {
            "uri": location.path.to_string_lossy().replace('\\', "/"),
            "uriBaseId": "%SRCROOT%",
        },
        "region": {
            "startLine": location.start.line,
            "startColumn": location.start.column,
            "endLine": location.end.line,
            "endColumn": location.end.column,
        },
    })
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

/// `hardcoded-backing-service` → `HardcodedBackingService`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The summary paragraph of a rule page: the first paragraph after the title and header line.
fn first_paragraph(docs: &str) -> String {
    docs.split("\n\n")
        .map(str::trim)
        .find(|paragraph| {
            !paragraph.starts_with('#')
                && !paragraph.starts_with("**Category:**")
                && !paragraph.is_empty()
        })
        .unwrap_or("")
        .to_string()
}
