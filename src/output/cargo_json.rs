//! Cargo's `--message-format=json` lines (`compiler-message`, then `build-finished`), so
//! rust-analyzer shows findings in the editor when it runs `cargo fitness` as its check command.
//! The field names follow `cargo_metadata::Message`; a test parses the output back with it.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::RenderOptions;
use crate::diagnostic::{Finding, Level, Location};
use crate::engine::Report;
use crate::workspace::{Package, Workspace};

#[derive(Serialize)]
struct CompilerMessage<'a> {
    reason: &'static str,
    package_id: String,
    manifest_path: String,
    target: Target,
    message: Diagnostic<'a>,
}

#[derive(Serialize)]
struct Target {
    name: String,
    kind: Vec<String>,
    crate_types: Vec<String>,
    src_path: String,
    edition: &'static str,
    doc: bool,
    doctest: bool,
    test: bool,
}

#[derive(Serialize)]
struct Diagnostic<'a> {
    #[serde(rename = "$message_type")]
    message_type: &'static str,
    message: &'a str,
    code: Option<Code>,
    level: &'static str,
    spans: Vec<Span>,
    children: Vec<Diagnostic<'a>>,
    rendered: Option<String>,
}

#[derive(Serialize)]
struct Code {
    code: String,
    explanation: Option<String>,
}

#[derive(Serialize)]
struct Span {
    file_name: String,
    byte_start: usize,
    byte_end: usize,
    line_start: usize,
    line_end: usize,
    column_start: usize,
    column_end: usize,
    is_primary: bool,
    text: Vec<SpanLine>,
    label: Option<String>,
    suggested_replacement: Option<String>,
    suggestion_applicability: Option<String>,
    expansion: Option<()>,
}

#[derive(Serialize)]
struct SpanLine {
    text: String,
    highlight_start: usize,
    highlight_end: usize,
}

#[derive(Serialize)]
struct BuildFinished {
    reason: &'static str,
    success: bool,
}

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    for finding in &report.findings {
        let (package_id, manifest_path, target) = owner(&finding.location.path, options.workspace);
        let message = CompilerMessage {
            reason: "compiler-message",
            package_id,
            manifest_path,
            target,
            message: diagnostic(finding, report),
        };
        serde_json::to_writer(&mut *out, &message)?;
        writeln!(out)?;
    }
    if !options.skip_build_finished {
        finished(report.count(Level::Deny) == 0, out)?;
    }
    Ok(())
}

/// The line that ends a cargo build; rust-analyzer accepts the run once it sees valid JSON.
pub fn finished(success: bool, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(
        &mut *out,
        &BuildFinished {
            reason: "build-finished",
            success,
        },
    )?;
    writeln!(out)
}

fn diagnostic<'a>(finding: &'a Finding, report: &Report) -> Diagnostic<'a> {
    let mut spans = vec![span(&finding.location, finding.label.clone(), true, report)];
    spans.extend(
        finding
            .labels
            .iter()
            .map(|label| span(&label.location, Some(label.message.clone()), false, report)),
    );
    let child = |level: &'static str, text: &'a String| Diagnostic {
        message_type: "diagnostic",
        message: text,
        code: None,
        level,
        spans: Vec::new(),
        children: Vec::new(),
        rendered: None,
    };
    let mut children = Vec::new();
    if let Some(help) = &finding.help {
        children.push(child("help", help));
    }
    if let Some(note) = &finding.note {
        children.push(child("note", note));
    }
    let level = match finding.level {
        Level::Deny => "error",
        Level::Warn | Level::Allow => "warning",
    };
    let location = &finding.location;
    let rendered = format!(
        "{level}[fitness::{}]: {}\n  --> {}:{}:{}\n",
        finding.rule,
        finding.message,
        location.path.display(),
        location.start.line,
        location.start.column
    );
    Diagnostic {
        message_type: "diagnostic",
        message: &finding.message,
        code: Some(Code {
            code: format!("fitness::{}", finding.rule),
            explanation: None,
        }),
        level,
        spans,
        children,
        rendered: Some(rendered),
    }
}

fn span(location: &Location, label: Option<String>, is_primary: bool, report: &Report) -> Span {
    let text = report
        .sources
        .get(&location.path)
        .map(|source| {
            (location.start.line..=location.end.line)
                .map(|line| {
                    let text = source.lines.line_text(line - 1, &source.text).to_string();
                    let width = text.chars().count() + 1;
                    let highlight_start = if line == location.start.line {
                        location.start.column
                    } else {
                        1
                    };
                    let highlight_end = if line == location.end.line {
                        location.end.column
                    } else {
                        width
                    };
                    SpanLine {
                        text,
                        highlight_start,
                        highlight_end,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Span {
        file_name: location.path.to_string_lossy().replace('\\', "/"),
        byte_start: location.span.start,
        byte_end: location.span.end,
        line_start: location.start.line,
        line_end: location.end.line,
        column_start: location.start.column,
        column_end: location.end.column,
        is_primary,
        text,
        label,
        suggested_replacement: None,
        suggestion_applicability: None,
        expansion: None,
    }
}

/// The package and target a file belongs to, as cargo would name them.
fn owner(path: &Path, workspace: Option<&Workspace>) -> (String, String, Target) {
    let package = workspace.and_then(|ws| ws.package_of(path).or_else(|| ws.packages.first()));
    let root = workspace
        .map(|ws| ws.root.as_path())
        .unwrap_or(Path::new("."));
    match package {
        Some(package) => {
            let dir = root.join(&package.dir);
            let target = target_of(package, &root.join(path));
            (
                format!(
                    "path+file://{}#{}@{}",
                    dir.display(),
                    package.name,
                    package.version
                ),
                dir.join("Cargo.toml").display().to_string(),
                target,
            )
        }
        None => (
            format!("path+file://{}#fitness@0.0.0", root.display()),
            root.join("Cargo.toml").display().to_string(),
            Target {
                name: "fitness".into(),
                kind: vec!["bin".into()],
                crate_types: vec!["bin".into()],
                src_path: root.join(path).display().to_string(),
                edition: "2021",
                doc: false,
                doctest: false,
                test: false,
            },
        ),
    }
}

fn target_of(package: &Package, file: &Path) -> Target {
    let target = package
        .targets
        .iter()
        .filter(|t| t.src_path.parent().is_some_and(|dir| file.starts_with(dir)))
        .max_by_key(|t| t.src_path.components().count())
        .or_else(|| package.targets.first());
    match target {
        Some(target) => Target {
            name: target.name.clone(),
            kind: target.kinds.clone(),
            crate_types: target.kinds.clone(),
            src_path: target.src_path.display().to_string(),
            edition: "2021",
            doc: true,
            doctest: false,
            test: true,
        },
        None => Target {
            name: package.name.clone(),
            kind: vec!["lib".into()],
            crate_types: vec!["lib".into()],
            src_path: file.display().to_string(),
            edition: "2021",
            doc: true,
            doctest: false,
            test: true,
        },
    }
}
