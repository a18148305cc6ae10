//! `// fitness: ignore[rule-id, …] reason` on a line or the line above it, and
//! `// fitness: ignore-file[rule-id] reason` for the whole file; `#` in other file kinds.

use crate::diagnostic::Span;
use crate::source::SourceFile;
use crate::source::comments;

const MARKER: &str = "fitness:";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineSuppression {
    /// The rule ids named, each with its span in the comment.
    pub rules: Vec<(String, Span)>,
    /// The 1-based line whose findings it suppresses; `None` for a file-wide suppression.
    pub line: Option<usize>,
    /// For a Kubernetes `fitness.rs/ignore` annotation: the object it covers; findings that
    /// start inside it are suppressed (`line` is then `None`).
    pub within: Option<Span>,
    pub comment: Span,
    pub reason: Option<String>,
}

impl InlineSuppression {
    /// Whether a finding whose primary span is `span`, starting on `line`, is in reach.
    pub fn covers(&self, line: usize, span: Span) -> bool {
        if let Some(within) = self.within {
            return within.start <= span.start && span.start < within.end.max(within.start + 1);
        }
        self.line.is_none_or(|own| own == line)
    }

    /// What it covers, for messages: `this line`, `this object`, `this file`.
    pub fn reach(&self) -> &'static str {
        if self.within.is_some() {
            "this object"
        } else if self.line.is_some() {
            "this line"
        } else {
            "this file"
        }
    }
}

/// A comment that starts with `fitness:` but is not a well-formed suppression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedSuppression {
    pub span: Span,
    pub problem: &'static str,
}

pub fn scan(file: &SourceFile) -> (Vec<InlineSuppression>, Vec<MalformedSuppression>) {
    let text = file.text.as_str();
    let mut found = Vec::new();
    let mut malformed = Vec::new();
    for comment in comments::scan(file.kind, text) {
        if comment.doc {
            continue;
        }
        let body = comment.body(text);
        let trimmed = body.trim_start();
        let Some(rest) = trimmed.strip_prefix(MARKER) else {
            continue;
        };
        let body_offset = comment.body_start + (body.len() - trimmed.len()) + MARKER.len();
        let rest_trimmed = rest.trim_start();
        let offset = body_offset + (rest.len() - rest_trimmed.len());
        let (file_wide, after_keyword) =
            if let Some(after) = rest_trimmed.strip_prefix("ignore-file") {
                (true, after)
            } else if let Some(after) = rest_trimmed.strip_prefix("ignore") {
                (false, after)
            } else {
                malformed.push(MalformedSuppression {
                span: comment.span,
                problem: "expected `ignore[rule-id]` or `ignore-file[rule-id]` after `fitness:`",
            });
                continue;
            };
        let keyword_len = rest_trimmed.len() - after_keyword.len();
        let Some(list) = after_keyword.strip_prefix('[') else {
            malformed.push(MalformedSuppression {
                span: comment.span,
                problem: "expected a rule list in brackets, e.g. `ignore[log-to-file]`",
            });
            continue;
        };
        let Some(close) = list.find(']') else {
            malformed.push(MalformedSuppression {
                span: comment.span,
                problem: "the rule list has no closing `]`",
            });
            continue;
        };
        let list_start = offset + keyword_len + 1;
        let mut rules = Vec::new();
        let mut cursor = 0;
        for part in list[..close].split(',') {
            let id = part.trim();
            if !id.is_empty() {
                let start = list_start + cursor + (part.len() - part.trim_start().len());
                rules.push((id.to_string(), Span::new(start, start + id.len())));
            }
            cursor += part.len() + 1;
        }
        if rules.is_empty() {
            malformed.push(MalformedSuppression {
                span: comment.span,
                problem: "the rule list is empty",
            });
            continue;
        }
        let reason = list[close + 1..].trim();
        let line = (!file_wide).then(|| target_line(file, &comment));
        found.push(InlineSuppression {
            rules,
            line,
            within: None,
            comment: comment.span,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
        });
    }
    (found, malformed)
}

/// A trailing comment covers its own line; a comment on a line of its own covers the next line
/// that holds something other than comments.
fn target_line(file: &SourceFile, comment: &comments::Comment) -> usize {
    let line = file.lines.line_of(comment.span.start);
    if !comment.own_line {
        return line + 1;
    }
    let marker = file.kind.comment_marker();
    (line + 1..file.lines.line_count())
        .find(|&next| {
            let text = file.lines.line_text(next, &file.text).trim();
            !text.is_empty() && !text.starts_with(marker) && !text.starts_with("/*")
        })
        .map_or(line + 1, |next| next + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn scan_text(
        kind: FileKind,
        text: &str,
    ) -> (Vec<InlineSuppression>, Vec<MalformedSuppression>) {
        let file = SourceFile::new(
            Arc::new(PathBuf::from("f")),
            PathBuf::from("/f"),
            kind,
            text.to_string(),
        );
        scan(&file)
    }

    #[test]
    fn trailing_and_preceding_comments_cover_the_right_line() {
        let text = "let a = 1; // fitness: ignore[log-to-file] reason here\n\
                    // fitness: ignore[tls-verification-disabled, log-to-file]\n\
                    // more words\n\
                    \n\
                    let b = 2;\n";
        let (found, malformed) = scan_text(FileKind::Rust, text);
        assert!(malformed.is_empty());
        assert_eq!(found[0].line, Some(1));
        assert_eq!(found[0].reason.as_deref(), Some("reason here"));
        assert_eq!(found[1].line, Some(5));
        let (id, span) = &found[1].rules[1];
        assert_eq!(id, "log-to-file");
        assert_eq!(&text[span.start..span.end], "log-to-file");
    }

    #[test]
    fn file_wide_form_and_hash_comments() {
        let (found, _) = scan_text(
            FileKind::Yaml,
            "# fitness: ignore-file[single-replica] staging only\nkind: Deployment\n",
        );
        assert_eq!(found[0].line, None);
        assert_eq!(found[0].rules[0].0, "single-replica");
    }

    #[test]
    fn doc_comments_and_prose_are_not_suppressions() {
        let (found, malformed) = scan_text(
            FileKind::Rust,
            "/// fitness: ignore[x]\n// see fitness docs\nfn f() {}\n",
        );
        assert!(found.is_empty() && malformed.is_empty());
    }

    #[test]
    fn malformed_suppressions_are_reported() {
        let (found, malformed) = scan_text(
            FileKind::Rust,
            "// fitness: ignore log-to-file\n// fitness: ignore[]\n// fitness: allow[x]\n",
        );
        assert!(found.is_empty());
        assert_eq!(malformed.len(), 3);
    }
}
