//! `.env` files (dotenv, docker `--env-file`, compose `env_file:`): `KEY=value` lines with
//! `export`, comments, single- and double-quoted values (which may span lines), and spans for
//! every key and value.

use crate::diagnostic::Span;

/// A parsed `.env` file.
#[derive(Debug, Default)]
pub struct EnvFile {
    pub entries: Vec<EnvEntry>,
    /// Lines that are not `KEY=value`, and quotes that never close.
    pub errors: Vec<EnvError>,
}

/// One `KEY=value` assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvEntry {
    pub key: String,
    pub key_span: Span,
    /// The value after quotes and escapes are resolved.
    pub value: String,
    /// The value as written, inside its quotes (empty at the end of `KEY=`).
    pub value_span: Span,
    /// `'` or `"` when the value is quoted.
    pub quote: Option<char>,
    /// Written `export KEY=value`.
    pub exported: bool,
}

impl EnvEntry {
    /// The span of `range` (byte offsets in [`EnvEntry::value`]) in the file; the whole value
    /// when escapes make the written text differ from the value.
    pub fn value_subspan(&self, text: &str, range: std::ops::Range<usize>) -> Span {
        let written = &text[self.value_span.start..self.value_span.end];
        if written == self.value && range.end <= written.len() {
            Span::new(
                self.value_span.start + range.start,
                self.value_span.start + range.end,
            )
        } else {
            self.value_span
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvError {
    pub span: Span,
    pub message: String,
}

/// Parses a `.env` text. Never fails: what it cannot read becomes an error with a span, and
/// parsing goes on at the next line.
pub fn parse(text: &str) -> EnvFile {
    let mut file = EnvFile::default();
    let mut offset = 0;
    while offset < text.len() {
        let line_end = line_end(text, offset);
        let line = &text[offset..line_end];
        let indent = line.len() - line.trim_start().len();
        let start = offset + indent;
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            offset = next_line(text, line_end);
            continue;
        }
        match parse_assignment(text, start, line_end) {
            Ok((entry, end)) => {
                file.entries.push(entry);
                offset = next_line(text, line_end_after(text, end));
            }
            Err(error) => {
                let skip_to = error.resume.unwrap_or(line_end);
                file.errors.push(EnvError {
                    span: error.span,
                    message: error.message,
                });
                offset = next_line(text, line_end_after(text, skip_to));
            }
        }
    }
    file
}

struct Failure {
    span: Span,
    message: String,
    /// Where to go on when the failure spans more than its line.
    resume: Option<usize>,
}

fn failure(span: Span, message: impl Into<String>) -> Failure {
    Failure {
        span,
        message: message.into(),
        resume: None,
    }
}

/// `[export ]KEY[ ]=[ ]value[ # comment]` starting at `start`; gives the entry and the offset
/// after it (a quoted value may end on a later line).
fn parse_assignment(
    text: &str,
    start: usize,
    line_end: usize,
) -> Result<(EnvEntry, usize), Failure> {
    let mut at = start;
    let mut exported = false;
    if let Some(rest) = text[at..line_end].strip_prefix("export")
        && rest.starts_with([' ', '\t'])
    {
        exported = true;
        at += "export".len();
        at += text[at..line_end].len() - text[at..line_end].trim_start().len();
    }
    let key_len = text[at..line_end]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
        .unwrap_or(line_end - at);
    let key_span = Span::new(at, at + key_len);
    let key = &text[key_span.start..key_span.end];
    if key.is_empty() || key.starts_with(|c: char| c.is_ascii_digit()) {
        let word_end = text[at..line_end]
            .find(char::is_whitespace)
            .map_or(line_end, |i| at + i);
        let first_char = text[at..].chars().next().map_or(0, char::len_utf8);
        return Err(failure(
            Span::new(at, word_end.max(at + first_char)),
            "expected `KEY=value`: a key starts with a letter or `_`",
        ));
    }
    at = key_span.end;
    at += text[at..line_end].len() - text[at..line_end].trim_start().len();
    let entry = |value: String, value_span: Span, quote: Option<char>| EnvEntry {
        key: key.to_string(),
        key_span,
        value,
        value_span,
        quote,
        exported,
    };
    if at == line_end || text[at..].starts_with('#') {
        // `KEY` alone: passed through from the environment (docker `--env-file`).
        return Ok((entry(String::new(), Span::new(at, at), None), at));
    }
    if !text[at..].starts_with('=') {
        return Err(failure(
            Span::new(key_span.start, line_end),
            format!("expected `=` after `{key}`"),
        ));
    }
    at += 1;
    at += text[at..line_end].len() - text[at..line_end].trim_start().len();
    match text[at..].chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let (value, close) = quoted(text, at + 1, quote).ok_or_else(|| Failure {
                span: Span::new(at, line_end),
                message: format!("the value of `{key}` opens a {quote} quote that never closes"),
                resume: Some(text.len()),
            })?;
            let after = close + 1;
            let rest_end = line_end_after(text, after);
            let rest = text[after..rest_end].trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(failure(
                    Span::new(
                        after + (text[after..].len() - text[after..].trim_start().len()),
                        rest_end,
                    ),
                    format!("unexpected text after the quoted value of `{key}`"),
                ));
            }
            Ok((entry(value, Span::new(at + 1, close), Some(quote)), after))
        }
        _ => {
            let raw = &text[at..line_end];
            let end = raw
                .char_indices()
                .find(|&(i, c)| c == '#' && i > 0 && raw[..i].ends_with([' ', '\t']))
                .map_or(raw.len(), |(i, _)| i);
            let value = raw[..end].trim_end();
            let span = Span::new(at, at + value.len());
            Ok((entry(value.to_string(), span, None), at + end))
        }
    }
}

/// The value of a quoted string whose text starts at `from`, and the offset of its closing
/// quote. Double quotes resolve `\n`, `\t`, `\"`, `\\` and `\$`; single quotes nothing.
fn quoted(text: &str, from: usize, quote: char) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = text[from..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some((value, from + i));
        }
        if c == '\\' && quote == '"' {
            match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, escaped @ ('"' | '\\' | '$' | '\''))) => value.push(escaped),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => return None,
            }
            continue;
        }
        value.push(c);
    }
    None
}

/// The end of the line holding `offset`, before `\r\n` or `\n`.
fn line_end(text: &str, offset: usize) -> usize {
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    if text[..end].ends_with('\r') && end > offset {
        end - 1
    } else {
        end
    }
}

fn line_end_after(text: &str, offset: usize) -> usize {
    line_end(text, offset.min(text.len()))
}

fn next_line(text: &str, line_end: usize) -> usize {
    text[line_end..]
        .find('\n')
        .map_or(text.len(), |i| line_end + i + 1)
}

/// Whether a file name is a template meant to be copied and filled in, not a file with values:
/// `.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `example.env`.
pub fn is_template(file_name: &str) -> bool {
    const MARKERS: &[&str] = &[
        "example", "sample", "template", "tmpl", "dist", "defaults", "default", "skel",
    ];
    let lower = file_name.to_ascii_lowercase();
    lower
        .split(['.', '-', '_'])
        .any(|part| MARKERS.contains(&part))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String, String, Option<char>, bool)> {
        let file = parse(text);
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        file.entries
            .iter()
            .map(|e| {
                (
                    text[e.key_span.start..e.key_span.end].to_string(),
                    e.value.clone(),
                    text[e.value_span.start..e.value_span.end].to_string(),
                    e.quote,
                    e.exported,
                )
            })
            .collect()
    }

    fn row(
        key: &str,
        value: &str,
        written: &str,
        quote: Option<char>,
        exported: bool,
    ) -> (String, String, String, Option<char>, bool) {
        (key.into(), value.into(), written.into(), quote, exported)
    }

    #[test]
    fn keys_values_quotes_export_and_comments() {
        let text = "# settings\n\nPORT=8080\nexport HOST = 0.0.0.0   # bind everywhere\nURL=\"postgres://a:b@db/x\" # db\nRAW='it''s'\nNAME='single # not a comment'\nHASH=abc#def\nEMPTY=\nBARE\r\nESC=\"a\\nb \\\"q\\\"\"\n";
        let file = parse(text);
        let raw_error = file.errors.first().map(|e| e.message.clone());
        assert_eq!(
            raw_error.as_deref(),
            Some("unexpected text after the quoted value of `RAW`")
        );
        let text = text.replace("RAW='it''s'\n", "");
        assert_eq!(
            entries(&text),
            [
                row("PORT", "8080", "8080", None, false),
                row("HOST", "0.0.0.0", "0.0.0.0", None, true),
                row(
                    "URL",
                    "postgres://a:b@db/x",
                    "postgres://a:b@db/x",
                    Some('"'),
                    false
                ),
                row(
                    "NAME",
                    "single # not a comment",
                    "single # not a comment",
                    Some('\''),
                    false
                ),
                row("HASH", "abc#def", "abc#def", None, false),
                row("EMPTY", "", "", None, false),
                row("BARE", "", "", None, false),
                row("ESC", "a\nb \"q\"", "a\\nb \\\"q\\\"", Some('"'), false),
            ]
        );
    }

    #[test]
    fn quoted_values_may_span_lines() {
        let text = "KEY=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\nNEXT=1\n";
        let file = parse(text);
        assert!(file.errors.is_empty());
        assert_eq!(file.entries.len(), 2);
        assert_eq!(
            file.entries[0].value,
            "-----BEGIN KEY-----\nabc\n-----END KEY-----"
        );
        assert_eq!(file.entries[1].key, "NEXT");
    }

    #[test]
    fn errors_have_spans_and_parsing_goes_on() {
        let text = "GOOD=1\nthis is not a line\n1BAD=2\nOPEN=\"never closed\nLATER=3\n";
        let file = parse(text);
        let errors: Vec<(&str, &str)> = file
            .errors
            .iter()
            .map(|e| (&text[e.span.start..e.span.end], e.message.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                ("this is not a line", "expected `=` after `this`"),
                (
                    "1BAD=2",
                    "expected `KEY=value`: a key starts with a letter or `_`"
                ),
                (
                    "\"never closed",
                    "the value of `OPEN` opens a \" quote that never closes"
                ),
            ]
        );
        assert_eq!(file.entries.len(), 1);
    }

    #[test]
    fn subspans_point_into_plain_values() {
        let text = "A=\"xx AKIA yy\"\nB=\"a\\tAKIA\"\n";
        let file = parse(text);
        let a = &file.entries[0];
        let span = a.value_subspan(text, 3..7);
        assert_eq!(&text[span.start..span.end], "AKIA");
        let b = &file.entries[1];
        assert_eq!(b.value_subspan(text, 2..6), b.value_span);
    }

    /// Hostile text never panics, and every span lies on character boundaries.
    #[test]
    fn survives_any_text() {
        const PIECES: &[&str] = &[
            "A",
            "_b",
            "1",
            "=",
            " ",
            "\t",
            "\n",
            "\r\n",
            "#",
            "\"",
            "'",
            "\\",
            "export ",
            "é",
            "日本",
            "💥",
            "$",
            "{",
            "}",
            "-----BEGIN ",
            "PRIVATE KEY-----",
            "AKIA",
            "://u:p@h",
            "\u{0}",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..4000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for step in 0..(seed % 24) {
                let index = (seed.rotate_left(step as u32 * 5) % PIECES.len() as u64) as usize;
                text.push_str(PIECES[index]);
            }
            let file = parse(&text);
            for entry in &file.entries {
                for span in [entry.key_span, entry.value_span] {
                    assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
                }
                let _ = entry.value_subspan(&text, 0..entry.value.len());
            }
            for error in &file.errors {
                assert!(text.is_char_boundary(error.span.start), "{text:?}");
                assert!(text.is_char_boundary(error.span.end), "{text:?}");
            }
        }
    }

    #[test]
    fn templates_by_name() {
        for name in [
            ".env.example",
            ".env.sample",
            ".env.template",
            "example.env",
            ".env.dist",
            ".env-example",
        ] {
            assert!(is_template(name), "{name}");
        }
        for name in [".env", ".env.production", ".env.local", "prod.env"] {
            assert!(!is_template(name), "{name}");
        }
    }
}
