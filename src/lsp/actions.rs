//! Code actions on our diagnostics: suppress a rule on the line or in the file with a
//! `fitness: ignore[…]` comment (added to an existing suppression when there is one), and
//! remove a suppression that suppresses nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::{
    CodeAction, CodeActionKind, Diagnostic, Position, Range, TextEdit, Uri, WorkspaceEdit,
};

use super::convert::{Encoding, Text};
use crate::rules::meta::{unknown_rule, unused_suppression};
use crate::source::{FileKind, SourceFile};
use crate::suppress::inline::{self, InlineSuppression};

/// What the inserted comment gives as its reason, for the author to replace.
pub const REASON: &str = "TODO: why this is acceptable here";

/// A document as the actions see it.
pub struct Document<'d> {
    pub uri: &'d Uri,
    pub path: &'d Path,
    pub text: &'d str,
    pub encoding: Encoding,
}

/// The actions for one of our diagnostics (`rule` is its code).
pub fn for_diagnostic(
    document: &Document<'_>,
    diagnostic: &Diagnostic,
    rule: &'static str,
) -> Vec<CodeAction> {
    let Some(kind) = FileKind::of(document.path) else {
        return Vec::new();
    };
    let source = SourceFile::new(
        Arc::new(PathBuf::from(document.path.file_name().unwrap_or_default())),
        document.path.to_path_buf(),
        kind,
        document.text.to_string(),
    );
    let (suppressions, _) = inline::scan(&source);
    let text = Text::of(&source);
    let action = |title: String, edit: TextEdit| CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(document.uri.clone(), vec![edit])])),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    };
    if rule == unused_suppression::META.id {
        return remove_unused(&text, &suppressions, diagnostic.range, document.encoding)
            .map(|edit| vec![action("Remove the unused suppression".to_string(), edit)])
            .unwrap_or_default();
    }
    // JSON has no comments to suppress with (an `[[ignore]]` entry in fitness.toml does).
    if rule == unknown_rule::META.id || crate::source::is_json(document.path) {
        return Vec::new();
    }
    let mut actions = Vec::new();
    if let Some(edit) = suppress_line(
        &text,
        kind,
        &suppressions,
        diagnostic.range.start.line,
        rule,
        document.encoding,
    ) {
        actions.push(action(format!("Suppress `{rule}` on this line"), edit));
    }
    if let Some(edit) = suppress_file(&text, kind, &suppressions, rule, document.encoding) {
        actions.push(action(format!("Suppress `{rule}` in this file"), edit));
    }
    actions
}

fn line_ending(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// Adds `rule` to the list of an existing suppression.
fn extend(
    text: &Text<'_>,
    suppression: &InlineSuppression,
    rule: &str,
    encoding: Encoding,
) -> Option<TextEdit> {
    if suppression.rules.iter().any(|(name, _)| name == rule) {
        return None;
    }
    let (_, last) = suppression.rules.last()?;
    let at = text.position(last.end, encoding);
    Some(TextEdit {
        range: Range { start: at, end: at },
        new_text: format!(", {rule}"),
    })
}

/// `// fitness: ignore[rule] reason` on a line of its own above the 0-based `line`, indented
/// as it is; or `rule` added to the suppression that already covers that line.
pub fn suppress_line(
    text: &Text<'_>,
    kind: FileKind,
    suppressions: &[InlineSuppression],
    line: u32,
    rule: &str,
    encoding: Encoding,
) -> Option<TextEdit> {
    let index = line as usize;
    if index >= text.line_count() {
        return None;
    }
    if let Some(existing) = suppressions.iter().find(|s| s.line == Some(index + 1)) {
        return extend(text, existing, rule, encoding);
    }
    let content = text.line(index);
    let indent = &content[..content.len() - content.trim_start().len()];
    let at = Position { line, character: 0 };
    Some(TextEdit {
        range: Range { start: at, end: at },
        new_text: format!(
            "{indent}{} fitness: ignore[{rule}] {REASON}{}",
            kind.comment_marker(),
            line_ending(text.text)
        ),
    })
}

/// `// fitness: ignore-file[rule] reason` at the top of the file (below a shebang or a
/// Dockerfile's parser directives, which must stay first); or `rule` added to the file-wide
/// suppression the file has.
pub fn suppress_file(
    text: &Text<'_>,
    kind: FileKind,
    suppressions: &[InlineSuppression],
    rule: &str,
    encoding: Encoding,
) -> Option<TextEdit> {
    if let Some(existing) = suppressions.iter().find(|s| s.line.is_none()) {
        return extend(text, existing, rule, encoding);
    }
    let mut line = 0;
    while line < text.line_count() && must_stay_first(kind, text.line(line), line) {
        line += 1;
    }
    let ending = line_ending(text.text);
    // Past a last line with no line ending, a line ending comes first.
    let (at, before) = if line < text.line_count() {
        let at = Position {
            line: line as u32,
            character: 0,
        };
        (at, "")
    } else {
        (text.position(text.text.len(), encoding), ending)
    };
    Some(TextEdit {
        range: Range { start: at, end: at },
        new_text: format!(
            "{before}{} fitness: ignore-file[{rule}] {REASON}{ending}",
            kind.comment_marker()
        ),
    })
}

/// A shebang (Rust) or parser directive (Dockerfile) at the top of a file.
fn must_stay_first(kind: FileKind, line: &str, index: usize) -> bool {
    match kind {
        FileKind::Rust => index == 0 && line.starts_with("#!") && !line.starts_with("#!["),
        FileKind::Dockerfile => {
            let Some(directive) = line.trim_start().strip_prefix('#') else {
                return false;
            };
            directive.split_once('=').is_some_and(|(name, _)| {
                let name = name.trim();
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic())
            })
        }
        _ => false,
    }
}

/// Removes the rule id at `range` from its suppression, or the whole comment when it is the
/// only one (with its line, when the comment stands on a line of its own).
fn remove_unused(
    text: &Text<'_>,
    suppressions: &[InlineSuppression],
    range: Range,
    encoding: Encoding,
) -> Option<TextEdit> {
    let start = text.offset(range.start, encoding);
    let end = text.offset(range.end, encoding);
    let suppression = suppressions.iter().find(|s| {
        s.rules
            .iter()
            .any(|(_, span)| span.start == start && span.end == end)
    })?;
    let position = suppression
        .rules
        .iter()
        .position(|(_, span)| span.start == start)?;
    let (from, to) = if suppression.rules.len() > 1 {
        // `a, b`: remove `a, ` for the first, `, b` for any other.
        if position == 0 {
            (start, suppression.rules[1].1.start)
        } else {
            (suppression.rules[position - 1].1.end, end)
        }
    } else {
        let comment = suppression.comment;
        let line = text.position(comment.start, encoding).line as usize;
        let line_start = text.offset(
            Position {
                line: line as u32,
                character: 0,
            },
            encoding,
        );
        let before = &text.text[line_start..comment.start];
        if before.trim().is_empty() {
            // The whole line, with its line ending.
            let next = text.offset(
                Position {
                    line: line as u32 + 1,
                    character: 0,
                },
                encoding,
            );
            let next = if line + 1 >= text.line_count() {
                text.text.len()
            } else {
                next
            };
            (line_start, next)
        } else {
            let code_end = line_start + before.trim_end().len();
            (code_end, comment.end)
        }
    };
    Some(TextEdit {
        range: Range {
            start: text.position(from, encoding),
            end: text.position(to, encoding),
        },
        new_text: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, edit: &TextEdit) -> String {
        let t = Text::new(text);
        let start = t.offset(edit.range.start, Encoding::Utf16);
        let end = t.offset(edit.range.end, Encoding::Utf16);
        format!("{}{}{}", &text[..start], edit.new_text, &text[end..])
    }

    fn scan(kind: FileKind, text: &str) -> Vec<InlineSuppression> {
        let source = SourceFile::new(
            Arc::new(PathBuf::from("f")),
            PathBuf::from("/f"),
            kind,
            text.to_string(),
        );
        inline::scan(&source).0
    }

    #[test]
    fn a_line_suppression_goes_above_with_the_line_indentation() {
        let text = "fn main() {\n    let x = 1;\n}\n";
        let t = Text::new(text);
        let edit =
            suppress_line(&t, FileKind::Rust, &[], 1, "log-to-file", Encoding::Utf16).unwrap();
        assert_eq!(
            apply(text, &edit),
            format!(
                "fn main() {{\n    // fitness: ignore[log-to-file] {REASON}\n    let x = 1;\n}}\n"
            )
        );
        let text = "a:\r\n  b: 1\r\n";
        let t = Text::new(text);
        let edit = suppress_line(&t, FileKind::Yaml, &[], 1, "x", Encoding::Utf16).unwrap();
        assert_eq!(
            apply(text, &edit),
            format!("a:\r\n  # fitness: ignore[x] {REASON}\r\n  b: 1\r\n")
        );
    }

    #[test]
    fn an_existing_suppression_is_extended() {
        let text =
            "fn main() {\n    // fitness: ignore[a] why\n    let x = 1; // fitness: ignore[b]\n}\n";
        let t = Text::new(text);
        let suppressions = scan(FileKind::Rust, text);
        let edit =
            suppress_line(&t, FileKind::Rust, &suppressions, 2, "c", Encoding::Utf16).unwrap();
        assert_eq!(
            apply(text, &edit),
            "fn main() {\n    // fitness: ignore[a, c] why\n    let x = 1; // fitness: ignore[b]\n}\n"
        );
    }

    #[test]
    fn a_file_suppression_stays_below_what_must_come_first() {
        let text = "# syntax=docker/dockerfile:1\n# escape=`\nFROM rust\n";
        let t = Text::new(text);
        let edit = suppress_file(&t, FileKind::Dockerfile, &[], "x", Encoding::Utf16).unwrap();
        assert_eq!(
            apply(text, &edit),
            format!(
                "# syntax=docker/dockerfile:1\n# escape=`\n# fitness: ignore-file[x] {REASON}\nFROM rust\n"
            )
        );
        let text = "#!/usr/bin/env rust-script\nfn main() {}\n";
        let t = Text::new(text);
        let edit = suppress_file(&t, FileKind::Rust, &[], "x", Encoding::Utf16).unwrap();
        assert!(
            apply(text, &edit)
                .starts_with("#!/usr/bin/env rust-script\n// fitness: ignore-file[x]")
        );
        let text = "#![forbid(unsafe_code)]\n";
        let t = Text::new(text);
        let edit = suppress_file(&t, FileKind::Rust, &[], "x", Encoding::Utf16).unwrap();
        assert!(apply(text, &edit).starts_with("// fitness: ignore-file[x]"));
    }

    #[test]
    fn unused_suppressions_are_removed() {
        let text =
            "fn f() {\n    // fitness: ignore[a, b] why\n    let x = 1; // fitness: ignore[c]\n}\n";
        let t = Text::new(text);
        let suppressions = scan(FileKind::Rust, text);
        let range_of = |needle: &str| {
            let start = text.find(needle).unwrap();
            t.range(
                crate::diagnostic::Span::new(start, start + needle.len()),
                Encoding::Utf16,
            )
        };
        let edit = remove_unused(&t, &suppressions, range_of("a,"), Encoding::Utf16);
        // `a,` is not a rule span: nothing.
        assert!(edit.is_none());
        let start = text.find("[a").unwrap() + 1;
        let a = t.range(
            crate::diagnostic::Span::new(start, start + 1),
            Encoding::Utf16,
        );
        let edit = remove_unused(&t, &suppressions, a, Encoding::Utf16).unwrap();
        assert_eq!(apply(text, &edit), text.replace("[a, b]", "[b]"));
        let b = range_of("b]");
        let b = Range {
            start: b.start,
            end: Position {
                character: b.start.character + 1,
                ..b.start
            },
        };
        let edit = remove_unused(&t, &suppressions, b, Encoding::Utf16).unwrap();
        assert_eq!(apply(text, &edit), text.replace("[a, b]", "[a]"));
        let c = range_of("c]");
        let c = Range {
            start: c.start,
            end: Position {
                character: c.start.character + 1,
                ..c.start
            },
        };
        let edit = remove_unused(&t, &suppressions, c, Encoding::Utf16).unwrap();
        assert_eq!(
            apply(text, &edit),
            text.replace(" // fitness: ignore[c]", "")
        );
        let only = "// fitness: ignore[d] why\nfn f() {}\n";
        let t = Text::new(only);
        let suppressions = scan(FileKind::Rust, only);
        let d = range_of_in(only, &t, "d]");
        let edit = remove_unused(&t, &suppressions, d, Encoding::Utf16).unwrap();
        assert_eq!(apply(only, &edit), "fn f() {}\n");
    }

    fn range_of_in(text: &str, t: &Text<'_>, needle: &str) -> Range {
        let start = text.find(needle).unwrap();
        t.range(
            crate::diagnostic::Span::new(start, start + 1),
            Encoding::Utf16,
        )
    }
}
