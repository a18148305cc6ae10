//! Byte offsets to 1-based line and character columns, and back.

use crate::diagnostic::Position;

#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        LineIndex { line_starts }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 0-based line that holds `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// Byte offset where the 0-based `line` starts (the end of the text past the last line).
    pub fn line_start(&self, line: usize, text: &str) -> usize {
        self.line_starts.get(line).copied().unwrap_or(text.len())
    }

    /// The text of the 0-based `line`, without its line ending.
    pub fn line_text<'t>(&self, line: usize, text: &'t str) -> &'t str {
        let start = self.line_start(line, text);
        let end = self.line_start(line + 1, text).min(text.len());
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches('\n')
            .trim_end_matches('\r')
    }

    pub fn position(&self, offset: usize, text: &str) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let mut start = self.line_starts[line];
        // A byte-order mark is not a column.
        if start == 0 && text.starts_with('\u{feff}') && offset >= 3 {
            start = 3;
        }
        Position {
            line: line + 1,
            column: text[start..offset].chars().count() + 1,
        }
    }
}

/// The largest char boundary at or below `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let text = "ab\nçé x\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0, text), Position { line: 1, column: 1 });
        let x = text.find('x').unwrap();
        assert_eq!(index.position(x, text), Position { line: 2, column: 4 });
        assert_eq!(index.line_text(1, text), "çé x");
        assert_eq!(index.position(text.len(), text).line, 3);
    }

    #[test]
    fn offsets_inside_a_character_round_down() {
        let text = "é";
        let index = LineIndex::new(text);
        assert_eq!(index.position(1, text), Position { line: 1, column: 1 });
    }
}
