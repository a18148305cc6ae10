//! Between the linter's places and the protocol's: file URIs and paths, byte offsets and LSP
//! positions (0-based lines; columns in the negotiated encoding, UTF-16 code units unless the
//! client agreed to UTF-8 bytes or UTF-32 characters), findings and diagnostics.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    NumberOrString, PositionEncodingKind, Range, Uri,
};

use crate::diagnostic::{Finding, Level, Location, Span};
use crate::registry;
use crate::rules::meta::unused_suppression;
use crate::source::SourceFile;
use crate::source::line_index::{LineIndex, floor_char_boundary};

/// What the `source` of every diagnostic says.
pub const SOURCE: &str = "fitness";

/// How columns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// The encoding to use with a client that offers `offered` (in its order of preference is
    /// not required: UTF-8 is exact for our byte spans and cheapest, so it wins when offered).
    /// Without an offer the protocol says UTF-16.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        let offered = offered.unwrap_or(&[]);
        if offered.contains(&PositionEncodingKind::UTF8) {
            Encoding::Utf8
        } else if offered.contains(&PositionEncodingKind::UTF32) {
            Encoding::Utf32
        } else {
            Encoding::Utf16
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    /// The length of `text` in this encoding's units.
    pub fn width(self, text: &str) -> u32 {
        let units = match self {
            Encoding::Utf8 => text.len(),
            Encoding::Utf16 => text.chars().map(char::len_utf16).sum(),
            Encoding::Utf32 => text.chars().count(),
        };
        u32::try_from(units).unwrap_or(u32::MAX)
    }
}

/// A text with its line index, for conversions in both directions.
pub struct Text<'t> {
    pub text: &'t str,
    lines: Cow<'t, LineIndex>,
}

impl<'t> Text<'t> {
    pub fn new(text: &'t str) -> Text<'t> {
        Text {
            text,
            lines: Cow::Owned(LineIndex::new(text)),
        }
    }

    /// The text of a file, with the line index it already has.
    pub fn of(source: &'t SourceFile) -> Text<'t> {
        Text {
            text: &source.text,
            lines: Cow::Borrowed(&source.lines),
        }
    }

    /// Where the 0-based `line` starts, past a byte-order mark (editors do not show it).
    fn line_start(&self, line: usize) -> usize {
        let start = self.lines.line_start(line, self.text);
        if start == 0 && self.text.starts_with('\u{feff}') {
            3
        } else {
            start
        }
    }

    /// The text of the 0-based `line`, without its line ending (and without a byte-order mark).
    pub fn line(&self, line: usize) -> &'t str {
        let text = self.lines.line_text(line, self.text);
        if line == 0 {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        }
    }

    pub fn line_count(&self) -> usize {
        self.lines.line_count()
    }

    /// The position of byte `offset`.
    pub fn position(&self, offset: usize, encoding: Encoding) -> lsp_types::Position {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.lines.line_of(offset);
        let start = self.line_start(line).min(offset);
        lsp_types::Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            character: encoding.width(&self.text[start..offset]),
        }
    }

    /// The byte offset of `position`: a column past the end of its line is the line's end, a
    /// line past the last is the end of the text, a column inside a character is its start.
    pub fn offset(&self, position: lsp_types::Position, encoding: Encoding) -> usize {
        let line = position.line as usize;
        if line >= self.lines.line_count() {
            return self.text.len();
        }
        let start = self.line_start(line);
        let text = self.line(line);
        let mut units = 0u32;
        for (index, ch) in text.char_indices() {
            if units >= position.character {
                return start + index;
            }
            units += match encoding {
                Encoding::Utf8 => ch.len_utf8() as u32,
                Encoding::Utf16 => ch.len_utf16() as u32,
                Encoding::Utf32 => 1,
            };
            if units > position.character {
                return start + index;
            }
        }
        start + text.len()
    }

    pub fn range(&self, span: Span, encoding: Encoding) -> Range {
        Range {
            start: self.position(span.start, encoding),
            end: self.position(span.end, encoding),
        }
    }
}

/// The range of a location: from its byte span in `source` when the text is known, otherwise
/// from its 1-based character positions (exact for every encoding on ASCII lines).
pub fn range(location: &Location, source: Option<&SourceFile>, encoding: Encoding) -> Range {
    if let Some(source) = source {
        return Text::of(source).range(location.span, encoding);
    }
    let position = |p: crate::diagnostic::Position| lsp_types::Position {
        line: u32::try_from(p.line.saturating_sub(1)).unwrap_or(u32::MAX),
        character: u32::try_from(p.column.saturating_sub(1)).unwrap_or(u32::MAX),
    };
    Range {
        start: position(location.start),
        end: position(location.end),
    }
}

/// The path of a `file:` URI; `None` for any other scheme or a URI that is not a local path.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let scheme_end = text.find(':')?;
    if !text[..scheme_end].eq_ignore_ascii_case("file") {
        return None;
    }
    let rest = &text[scheme_end + 1..];
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let slash = after.find('/').unwrap_or(after.len());
            let host = &after[..slash];
            if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
                return None;
            }
            &after[slash..]
        }
        None => rest,
    };
    if !path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(path)?;
    if cfg!(windows) {
        // `/C:/dir/file` is `C:\dir\file`.
        let bytes = decoded.as_bytes();
        if bytes.len() >= 3
            && bytes[0] == b'/'
            && bytes[1].is_ascii_alphabetic()
            && bytes[2] == b':'
        {
            return Some(PathBuf::from(decoded[1..].replace('/', "\\")));
        }
    }
    Some(PathBuf::from(decoded))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `file:` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    let text = if cfg!(windows) {
        format!("/{}", text.replace('\\', "/"))
    } else {
        text.to_string()
    };
    if !text.starts_with('/') {
        return None;
    }
    let mut uri = String::from("file://");
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    Uri::from_str(&uri).ok()
}

/// Where a rule's documentation is published.
pub fn rule_url(rule: &str) -> Option<Uri> {
    let meta = registry::find(rule)?;
    let repository = env!("CARGO_PKG_REPOSITORY");
    if repository.is_empty() {
        return None;
    }
    Uri::from_str(&format!(
        "{repository}/blob/main/rules/{}/{}.md",
        meta.category.name(),
        meta.id
    ))
    .ok()
}

/// A finding as a diagnostic. `related` turns a label's location into a protocol location (it
/// may be in another file); labels go to `relatedInformation` when the client shows it, and
/// into the message otherwise.
pub fn diagnostic(
    finding: &Finding,
    source: Option<&SourceFile>,
    encoding: Encoding,
    related_information: bool,
    related: &dyn Fn(&Location) -> Option<lsp_types::Location>,
) -> Diagnostic {
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    if let Some(note) = &finding.note {
        message.push_str("\nwhy: ");
        message.push_str(note);
    }
    let mut information = Vec::new();
    for label in &finding.labels {
        match related(&label.location) {
            Some(location) if related_information => {
                information.push(DiagnosticRelatedInformation {
                    location,
                    message: label.message.clone(),
                })
            }
            _ => message.push_str(&format!(
                "\n{}:{}:{}: {}",
                label.location.path.display(),
                label.location.start.line,
                label.location.start.column,
                label.message
            )),
        }
    }
    Diagnostic {
        range: range(&finding.location, source, encoding),
        severity: Some(match finding.level {
            Level::Deny => DiagnosticSeverity::ERROR,
            Level::Warn | Level::Allow => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(finding.rule.to_string())),
        code_description: rule_url(finding.rule).map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!information.is_empty()).then_some(information),
        tags: (finding.rule == unused_suppression::META.id)
            .then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: None,
    }
}

/// The rule id of one of our diagnostics.
pub fn rule_of(diagnostic: &Diagnostic) -> Option<&'static str> {
    if diagnostic.source.as_deref() != Some(SOURCE) {
        return None;
    }
    match &diagnostic.code {
        Some(NumberOrString::String(code)) => registry::find(code).map(|meta| meta.id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;

    #[test]
    fn columns_follow_the_encoding() {
        // "é" is 2 bytes, 1 UTF-16 unit; "🦀" is 4 bytes, 2 UTF-16 units, 1 character.
        let text = Text::new("ab\n é🦀 x\n");
        let x = text.text.find('x').unwrap();
        assert_eq!(text.position(x, Encoding::Utf8), Position::new(1, 8));
        assert_eq!(text.position(x, Encoding::Utf16), Position::new(1, 5));
        assert_eq!(text.position(x, Encoding::Utf32), Position::new(1, 4));
        for encoding in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            assert_eq!(text.offset(text.position(x, encoding), encoding), x);
        }
        // Inside the crab (UTF-16) and past the end of the line.
        assert_eq!(
            text.offset(Position::new(1, 3), Encoding::Utf16),
            text.text.find('🦀').unwrap()
        );
        assert_eq!(text.offset(Position::new(1, 99), Encoding::Utf16), x + 1);
        assert_eq!(
            text.offset(Position::new(9, 0), Encoding::Utf16),
            text.text.len()
        );
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let text = Text::new("\u{feff}ab\r\ncd");
        assert_eq!(text.position(4, Encoding::Utf16), Position::new(0, 1));
        assert_eq!(text.offset(Position::new(0, 1), Encoding::Utf16), 4);
        assert_eq!(text.line(0), "ab");
        assert_eq!(
            text.position(text.text.len(), Encoding::Utf8),
            Position::new(1, 2)
        );
    }

    #[test]
    fn file_uris_and_paths() {
        let uri = |s: &str| Uri::from_str(s).unwrap();
        if cfg!(windows) {
            return;
        }
        assert_eq!(
            uri_to_path(&uri("file:///w/a%20b/%C3%A9.rs")),
            Some(PathBuf::from("/w/a b/é.rs"))
        );
        assert_eq!(
            uri_to_path(&uri("file://localhost/w/x.rs")),
            Some(PathBuf::from("/w/x.rs"))
        );
        assert_eq!(uri_to_path(&uri("untitled:Untitled-1")), None);
        assert_eq!(uri_to_path(&uri("file://server/share/x.rs")), None);
        assert_eq!(uri_to_path(&uri("file:relative/x.rs")), None);
        assert_eq!(percent_decode("/w/%ZZ"), None);
        assert_eq!(percent_decode("/w/%C3"), None);
        let path = Path::new("/w/a b/é#1.rs");
        let there = path_to_uri(path).unwrap();
        assert_eq!(there.as_str(), "file:///w/a%20b/%C3%A9%231.rs");
        assert_eq!(uri_to_path(&there).as_deref(), Some(path));
    }
}
