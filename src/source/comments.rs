//! Comments of every file kind. syn drops comments and the deployment parsers have no
//! reason to keep them, so suppressions are found by this scan instead.

use crate::diagnostic::Span;
use crate::source::FileKind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The whole comment, marker included.
    pub span: Span,
    /// Byte offset of the text after the marker (`//`, `/*`, `#`).
    pub body_start: usize,
    /// Only whitespace stands before the comment on its line.
    pub own_line: bool,
    /// A Rust doc comment (`///`, `//!`, `/** */`, `/*! */`).
    pub doc: bool,
}

impl Comment {
    pub fn body<'t>(&self, text: &'t str) -> &'t str {
        let end = if text[self.span.start..self.span.end].starts_with("/*") {
            self.span.end.saturating_sub(2).max(self.body_start)
        } else {
            self.span.end
        };
        text.get(self.body_start..end).unwrap_or("")
    }
}

pub fn scan(kind: FileKind, text: &str) -> Vec<Comment> {
    match kind {
        FileKind::Rust => rust_comments(text),
        FileKind::Dockerfile => line_start_hash_comments(text),
        FileKind::CargoManifest | FileKind::CargoLock => hash_comments(text, QuoteStyle::Toml),
        FileKind::Yaml => crate::source::yaml::comments(text)
            .into_iter()
            .map(|(range, _)| comment(text, range.start, range.end, 1, false))
            .collect(),
        FileKind::Env | FileKind::Procfile => hash_comments(text, QuoteStyle::Shell),
    }
}

fn own_line(text: &str, offset: usize) -> bool {
    let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
    text[line_start..offset]
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .is_empty()
}

fn comment(text: &str, start: usize, end: usize, marker_len: usize, doc: bool) -> Comment {
    Comment {
        span: Span::new(start, end),
        body_start: (start + marker_len).min(end),
        own_line: own_line(text, start),
        doc,
    }
}

fn rust_comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let end = if text[..end].ends_with('\r') {
                    end - 1
                } else {
                    end
                };
                let rest = &text[i + 2..end];
                let doc =
                    (rest.starts_with('/') && !rest.starts_with("//")) || rest.starts_with('!');
                let marker = if doc { 3 } else { 2 };
                comments.push(comment(text, i, end, marker, doc));
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = block_comment_end(bytes, i);
                let rest = &text[i + 2..end];
                let doc = (rest.starts_with('*') && !rest.starts_with("**") && rest != "*/")
                    || rest.starts_with('!');
                let marker = if doc { 3 } else { 2 };
                comments.push(comment(text, i, end, marker, doc));
                i = end;
            }
            b'"' => i = string_end(bytes, i + 1),
            b'r' | b'b' | b'c' if starts_token(bytes, i) => {
                i = prefixed_literal_end(bytes, i).unwrap_or(i + 1);
            }
            b'\'' => i = char_or_lifetime_end(bytes, i),
            _ => i += 1,
        }
    }
    comments
}

fn starts_token(bytes: &[u8], i: usize) -> bool {
    i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
}

pub(crate) fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < bytes.len() {
        if bytes[i] == b'/' && bytes[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// The offset after the closing quote of a string whose body starts at `i`.
pub(crate) fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// `r"…"`, `r#"…"#`, `b"…"`, `br"…"`, `c"…"`, `b'x'`: the offset after the literal, or
/// `None` when the letters start an identifier.
pub(crate) fn prefixed_literal_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    if matches!(bytes[i], b'b' | b'c') {
        i += 1;
        if bytes[start] == b'b' && bytes.get(i) == Some(&b'\'') {
            return Some(char_or_lifetime_end(bytes, i));
        }
    }
    if bytes.get(i) == Some(&b'"') {
        return Some(string_end(bytes, i + 1));
    }
    if bytes.get(i) != Some(&b'r') {
        return None;
    }
    i += 1;
    let hashes = bytes[i..].iter().take_while(|&&b| b == b'#').count();
    i += hashes;
    if bytes.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    while i < bytes.len() {
        if bytes[i] == b'"'
            && bytes[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&b| b == b'#')
                .count()
                == hashes
        {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(bytes.len())
}

/// `'x'`, `'\n'` and `'\u{1F600}'` are characters; `'a` is a lifetime or label.
pub(crate) fn char_or_lifetime_end(bytes: &[u8], quote: usize) -> usize {
    let i = quote + 1;
    if bytes.get(i) == Some(&b'\\') {
        let mut j = i + 2;
        while j < bytes.len() && bytes[j] != b'\'' && bytes[j] != b'\n' {
            j += 1;
        }
        return (j + 1).min(bytes.len());
    }
    // One character, possibly several bytes long, then the closing quote.
    let char_len = match bytes.get(i) {
        Some(&b) if b >= 0xF0 => 4,
        Some(&b) if b >= 0xE0 => 3,
        Some(&b) if b >= 0xC0 => 2,
        Some(_) => 1,
        None => return bytes.len(),
    };
    if bytes.get(i + char_len) == Some(&b'\'') {
        i + char_len + 1
    } else {
        i
    }
}

#[derive(Clone, Copy)]
enum QuoteStyle {
    /// TOML: basic and literal strings, their multi-line forms; `#` anywhere outside them.
    Toml,
    /// YAML, .env, Procfile: `#` at the start of a line or after whitespace, outside quotes.
    Shell,
}

fn hash_comments(text: &str, style: QuoteStyle) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' if matches!(style, QuoteStyle::Toml)
                || i == 0
                || bytes[i - 1].is_ascii_whitespace() =>
            {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let end = if text[..end].ends_with('\r') {
                    end - 1
                } else {
                    end
                };
                comments.push(comment(text, i, end, 1, false));
                i = end;
            }
            quote @ (b'"' | b'\'') => {
                let triple = [quote; 3];
                if matches!(style, QuoteStyle::Toml) && bytes[i..].starts_with(&triple) {
                    i = find_from(bytes, i + 3, &triple).map_or(bytes.len(), |end| end + 3);
                } else if matches!(style, QuoteStyle::Shell)
                    && i > 0
                    && !bytes[i - 1].is_ascii_whitespace()
                    && !matches!(bytes[i - 1], b'=' | b':' | b'[' | b'{' | b',' | b'-')
                {
                    // An apostrophe inside a word (`it's`) opens nothing.
                    i += 1;
                } else {
                    i = quoted_end_on_line(
                        bytes,
                        i + 1,
                        quote,
                        matches!(style, QuoteStyle::Toml) || quote == b'"',
                    );
                }
            }
            _ => i += 1,
        }
    }
    comments
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// The offset after the closing quote, or the end of the line if it is not closed there.
fn quoted_end_on_line(bytes: &[u8], mut i: usize, quote: u8, escapes: bool) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if escapes && quote == b'"' => i += 2,
            b'\n' => return i,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn line_start_hash_comments(text: &str) -> Vec<Comment> {
    let mut comments = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if trimmed.starts_with('#') {
            let start = offset + (line.len() - trimmed.len());
            let end = offset + line.trim_end_matches(['\n', '\r']).len();
            comments.push(comment(text, start, end, 1, false));
        }
        offset += line.len();
    }
    comments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(kind: FileKind, text: &str) -> Vec<String> {
        scan(kind, text)
            .iter()
            .map(|c| c.body(text).to_string())
            .collect()
    }

    #[test]
    fn rust_comments_skip_strings_chars_and_lifetimes() {
        let text = r###"
let a = "// not a comment"; // one
let b = r##"/* nor this "# */"##; /* two */
fn f<'a>(x: &'a str) -> char { '"' } // three
let c = b'\''; let d = '\u{1F600}'; // four
/* outer /* nested */ still */ let e = 1;
"###;
        assert_eq!(
            bodies(FileKind::Rust, text),
            [
                " one",
                " two ",
                " three",
                " four",
                " outer /* nested */ still "
            ]
        );
    }

    #[test]
    fn rust_doc_comments_are_marked() {
        let text = "/// doc\n//! inner\n//// plain\n/** block doc */\n// plain\n";
        let docs: Vec<bool> = scan(FileKind::Rust, text).iter().map(|c| c.doc).collect();
        assert_eq!(docs, [true, true, false, true, false]);
    }

    #[test]
    fn own_line_is_known() {
        let text = "let x = 1; // trailing\n    // alone\n";
        let own: Vec<bool> = scan(FileKind::Rust, text)
            .iter()
            .map(|c| c.own_line)
            .collect();
        assert_eq!(own, [false, true]);
    }

    #[test]
    fn toml_hash_inside_strings_is_not_a_comment() {
        let text = "a = \"#no\" # yes\nb = '''\n# no\n''' # yes too\n";
        assert_eq!(bodies(FileKind::CargoManifest, text), [" yes", " yes too"]);
    }

    #[test]
    fn yaml_hash_needs_whitespace_before_it() {
        let text = "url: http://x/#frag # real\nname: \"a # b\" # c\nit's: fine # d\n";
        assert_eq!(bodies(FileKind::Yaml, text), [" real", " c", " d"]);
    }

    #[test]
    fn dockerfile_comments_start_a_line() {
        let text = "# top\nRUN echo # not a comment\n  # indented\n";
        assert_eq!(bodies(FileKind::Dockerfile, text), [" top", " indented"]);
    }
}
