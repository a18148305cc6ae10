//! YAML loading with exact source positions.
//!
//! [`load`] turns a (possibly multi-document) YAML text into a tree of [`Node`]s. Every node,
//! including every mapping key, carries the **byte** range of its text in the source, so a
//! finding can point at an exact line and column.
//!
//! * Plain scalars are resolved with the YAML 1.2 core schema (`true`, `8080`, `1.5`, `null`,
//!   `~`, `0x1F`, `.inf`, ...). Quoted and block scalars are strings. [`Node::style`] keeps how a
//!   scalar was written, so `"8080"` and `8080` can be told apart.
//! * Aliases resolve to a copy of the anchored node; the copy's top node gets the alias's span,
//!   the nodes below it keep the spans of the anchored text. Merge keys (`<<: *base`,
//!   `<<: [*a, *b]`) are merged into their mapping, explicit keys win.
//! * Alias expansion is capped ([`LoadOptions::max_alias_nodes`]) and so is nesting
//!   ([`LoadOptions::max_depth`]): past either, loading stops with an error instead of exhausting
//!   memory or the stack.
//! * On malformed input, the documents completed before the problem are returned together with
//!   an error pointing at it. Loading never panics.
//!
//! Comments are not part of the tree; [`comments`] lists them for suppression scanning.
//!
//! The event parser is `saphyr-parser`; the tree is built here, iteratively, from its events.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

/// Default for [`LoadOptions::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 256;
/// Default for [`LoadOptions::max_alias_nodes`].
pub const DEFAULT_MAX_ALIAS_NODES: usize = 1_000_000;

/// Limits applied while loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Deepest nesting of collections allowed (a top-level mapping is depth 1). Deeper input,
    /// directly or through aliases, stops loading with an error. Keep this modest: the derived
    /// `Clone`, `Drop`, `PartialEq` and `Debug` of [`Node`] recurse once per level.
    pub max_depth: usize,
    /// Most nodes that may be copied for anchors and aliases in one file (billion-laughs guard).
    pub max_alias_nodes: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_depth: DEFAULT_MAX_DEPTH,
            max_alias_nodes: DEFAULT_MAX_ALIAS_NODES,
        }
    }
}

/// A loaded YAML file: one node per non-empty document, and any errors.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct YamlFile {
    /// The documents, in order. Documents without content (an empty file, a file of comments, a
    /// trailing `---`) are left out.
    pub documents: Vec<Node>,
    /// Problems found. Loading stops at the first one, so this holds at most one error today.
    pub errors: Vec<YamlError>,
}

/// A problem found while loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// What went wrong.
    pub message: String,
    /// Byte range of the problem in the source (often one character, empty at end of input).
    pub span: Range<usize>,
    /// A safety limit stopped loading (nesting, alias expansion): the text may be valid YAML.
    pub limit: bool,
}

/// How a node was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// Plain (unquoted) scalar.
    #[default]
    Plain,
    /// `'single quoted'` scalar.
    SingleQuoted,
    /// `"double quoted"` scalar.
    DoubleQuoted,
    /// `|` literal block scalar.
    Literal,
    /// `>` folded block scalar.
    Folded,
    /// Block (indentation based) mapping or sequence.
    Block,
    /// Flow (`{...}` / `[...]`) mapping or sequence.
    Flow,
}

/// A YAML node with its position in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The resolved value.
    pub value: Value,
    /// Byte range in the source text. For scalars, the scalar's text (quotes included; for block
    /// scalars from the `|`/`>` indicator to the last content character). For collections, from
    /// the first `-`, key, `[` or `{` to the end of the last entry (or the closing bracket).
    /// Anchors and tags are not part of the span. Empty values (`key:`) have an empty span.
    /// A node copied from an alias has the span of the `*alias` text; the nodes below it, and
    /// entries merged in by `<<`, keep the spans of the anchored text.
    pub span: Range<usize>,
    /// How the node was written.
    pub style: Style,
    /// The node's explicit tag, if any: `tag:yaml.org,2002:str` for `!!str`, `!Ref` for `!Ref`,
    /// `!` for the non-specific tag.
    pub tag: Option<String>,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~`, or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A float (also integers too large for `i64`).
    Float(f64),
    /// A string.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, entries in source order (merged entries where the merge key stood).
    /// Duplicate keys are kept.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A plain node with the given value and span.
    pub fn new(value: Value, span: Range<usize>) -> Node {
        Node {
            value,
            span,
            style: Style::Plain,
            tag: None,
        }
    }

    /// The value for a string `key` of a mapping (the last one if the key is duplicated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The key node and value node for a string `key` of a mapping (the last one if the key is
    /// duplicated). Only string keys match: `get("80")` does not find a plain `80:` key.
    pub fn get_entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// Follows `path` through mappings (by string key) and sequences (by decimal index).
    /// An empty path returns `self`.
    pub fn path(&self, path: &[&str]) -> Option<&Node> {
        let mut node = self;
        for segment in path {
            node = match &node.value {
                Value::Map(_) => node.get(segment)?,
                Value::Seq(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The number as a float, if this is a float or an integer.
    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Whether this is a single- or double-quoted scalar.
    pub fn is_quoted(&self) -> bool {
        matches!(self.style, Style::SingleQuoted | Style::DoubleQuoted)
    }

    /// The node's source text (`source` must be the text it was loaded from).
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        source.get(self.span.clone()).unwrap_or("")
    }

    /// A short name of the value's type, for messages: `null`, `bool`, `int`, `float`,
    /// `string`, `sequence` or `mapping`.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }
}

/// Loads `text` with the default [`LoadOptions`].
pub fn load(text: &str) -> YamlFile {
    load_with(text, LoadOptions::default())
}

/// Loads `text` with the given limits.
pub fn load_with(text: &str, options: LoadOptions) -> YamlFile {
    let mut builder = Builder::new(text, options);
    // The parser is not expected to panic, but a linter must survive any input: if it does,
    // keep what was loaded and report an error instead.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.run()));
    if outcome.is_err() {
        builder.errors.push(YamlError {
            message: "internal error in the YAML parser".to_string(),
            span: 0..0,
            limit: false,
        });
    }
    YamlFile {
        documents: builder.documents,
        errors: builder.errors,
    }
}

/// Loads a JSON text. JSON is YAML 1.2 but for one thing: it may escape a character outside the
/// Basic Multilingual Plane as a UTF-16 surrogate pair (`"\ud83d\ude00"`), which YAML refuses.
/// Each surrogate escape is read as U+FFFD instead; the text keeps its length, so spans hold.
pub fn load_json(text: &str) -> YamlFile {
    load(&without_surrogate_escapes(text))
}

fn without_surrogate_escapes(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut replaced: Option<Vec<u8>> = None;
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'\\' {
            index += 1;
            continue;
        }
        let digits = bytes
            .get(index + 2..index + 6)
            .filter(|digits| bytes[index + 1] == b'u' && digits.iter().all(u8::is_ascii_hexdigit));
        let is_surrogate = digits.is_some_and(|digits| {
            let code = digits.iter().fold(0u32, |code, digit| {
                code * 16 + char::from(*digit).to_digit(16).unwrap_or(0)
            });
            (0xD800..=0xDFFF).contains(&code)
        });
        if is_surrogate {
            replaced.get_or_insert_with(|| bytes.to_vec())[index + 2..index + 6]
                .copy_from_slice(b"FFFD");
            index += 6;
        } else {
            index += 2;
        }
    }
    match replaced {
        Some(bytes) => std::borrow::Cow::Owned(
            String::from_utf8(bytes).expect("ASCII digits replaced by ASCII digits"),
        ),
        None => std::borrow::Cow::Borrowed(text),
    }
}

// ---------------------------------------------------------------------------------------------
// Character index -> byte offset.

/// Converts the parser's character indices to byte offsets.
struct Offsets {
    ascii: bool,
    /// Byte offset of every `STEP`-th character.
    checkpoints: Vec<usize>,
}

const STEP: usize = 64;

impl Offsets {
    fn new(text: &str) -> Offsets {
        if text.is_ascii() {
            return Offsets {
                ascii: true,
                checkpoints: Vec::new(),
            };
        }
        let checkpoints = text
            .char_indices()
            .step_by(STEP)
            .map(|(byte, _)| byte)
            .collect();
        Offsets {
            ascii: false,
            checkpoints,
        }
    }

    fn byte(&self, text: &str, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(text.len());
        }
        let Some(&base) = self.checkpoints.get(char_index / STEP) else {
            return text.len();
        };
        text[base..]
            .char_indices()
            .nth(char_index % STEP)
            .map_or(text.len(), |(i, _)| base + i)
    }
}

// ---------------------------------------------------------------------------------------------
// Tree building.

/// An anchored node, kept for aliases.
struct Anchored {
    node: Node,
    /// Number of nodes in the subtree.
    size: usize,
    /// Height of the subtree (a scalar is 1).
    height: usize,
}

enum Items {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        /// Indices of `<<` entries in `entries`.
        merges: Vec<usize>,
    },
}

/// A collection being built.
struct Frame {
    items: Items,
    start: usize,
    flow: bool,
    anchor: usize,
    tag: Option<String>,
    /// Nodes below this one.
    size: usize,
    /// Height of the tallest child.
    height: usize,
    /// End of the last child.
    last_end: usize,
}

struct Builder<'t> {
    text: &'t str,
    offsets: Offsets,
    options: LoadOptions,
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Anchored>,
    /// Nodes copied so far for anchors and aliases.
    copied: usize,
    /// Byte offset where the previous event ended (to find block scalar indicators).
    prev_end: usize,
    documents: Vec<Node>,
    errors: Vec<YamlError>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, options: LoadOptions) -> Self {
        Builder {
            text,
            offsets: Offsets::new(text),
            options,
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            copied: 0,
            prev_end: 0,
            documents: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn run(&mut self) {
        let text = self.text;
        let mut parser = Parser::new_from_str(text);
        while let Some(next) = parser.next_event() {
            let result = match next {
                Ok((event, span)) => self.on_event(event, span),
                Err(error) => Err(self.scan_error(&error)),
            };
            if let Err(error) = result {
                self.errors.push(error);
                return;
            }
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.offsets.byte(self.text, char_index)
    }

    fn scan_error(&self, error: &ScanError) -> YamlError {
        let start = self.byte(error.marker().index());
        let end = self.text[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
        YamlError {
            message: error.info().to_string(),
            span: start..end,
            // The parser's own nesting limit.
            limit: error.info().contains("recursion limit"),
        }
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index()).max(start);
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(_) => {
                self.stack.clear();
                self.root = None;
                self.anchors.clear();
                self.prev_end = end;
            }
            Event::DocumentEnd => {
                if let Some(root) = self.root.take() {
                    let empty = root.is_null()
                        && root.span.is_empty()
                        && root.tag.is_none()
                        && root.style == Style::Plain;
                    if !empty {
                        self.documents.push(root);
                    }
                }
                self.stack.clear();
                self.anchors.clear();
                self.prev_end = end;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| tag_name(&t));
                let node = self.scalar(&value, style, tag, start, end);
                self.prev_end = node.span.end;
                self.complete(node, 1, 1, anchor)?;
            }
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id) else {
                    return Err(error_at(
                        "alias to an anchor that encloses it".to_string(),
                        start..end,
                    ));
                };
                if self.stack.len() + anchored.height > self.options.max_depth {
                    return Err(limit_at(
                        format!(
                            "alias expands deeper than {} levels of nesting",
                            self.options.max_depth
                        ),
                        start..end,
                    ));
                }
                let (size, height) = (anchored.size, anchored.height);
                if self.copied.saturating_add(size) > self.options.max_alias_nodes {
                    return Err(limit_at(
                        format!(
                            "aliases expand to more than {} nodes",
                            self.options.max_alias_nodes
                        ),
                        start..end,
                    ));
                }
                self.copied += size;
                let mut node = anchored.node.clone();
                node.span = start..end;
                self.prev_end = end;
                self.complete(node, size, height, 0)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(true, anchor, tag.map(|t| tag_name(&t)), start, end)?;
            }
            Event::MappingStart(anchor, tag) => {
                self.open(false, anchor, tag.map(|t| tag_name(&t)), start, end)?;
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(start, end)?,
        }
        Ok(())
    }

    fn open(
        &mut self,
        seq: bool,
        anchor: usize,
        tag: Option<String>,
        start: usize,
        end: usize,
    ) -> Result<(), YamlError> {
        if self.stack.len() >= self.options.max_depth {
            return Err(limit_at(
                format!("nesting deeper than {} levels", self.options.max_depth),
                start..end,
            ));
        }
        let bytes = self.text.as_bytes();
        let mut begin = skip_properties(self.text, start, end);
        // A flow collection's event covers its `[`/`{`; a block collection's event is empty (or
        // covers only properties), even when its first item is a flow collection.
        let flow = begin < end && matches!(bytes.get(begin), Some(b'[' | b'{'));
        if seq && !flow && bytes.get(begin) != Some(&b'-') {
            // An indentless sequence (`key:\n- a`) is reported after its first `- `.
            let mut j = begin;
            while j > self.prev_end && bytes[j - 1] == b' ' {
                j -= 1;
            }
            if j > self.prev_end && bytes[j - 1] == b'-' {
                begin = j - 1;
            }
        }
        self.prev_end = if flow { begin + 1 } else { begin };
        let items = if seq {
            Items::Seq(Vec::new())
        } else {
            Items::Map {
                entries: Vec::new(),
                key: None,
                merges: Vec::new(),
            }
        };
        self.stack.push(Frame {
            items,
            start: begin,
            flow,
            anchor,
            tag,
            size: 0,
            height: 0,
            last_end: begin,
        });
        Ok(())
    }

    fn close(&mut self, start: usize, end: usize) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let span_end = if frame.flow {
            // The event covers the closing bracket and the blanks after it.
            let close = if matches!(self.text.as_bytes().get(start), Some(b']' | b'}')) {
                start + 1
            } else {
                end
            };
            self.prev_end = close.max(frame.start);
            close.max(frame.start)
        } else {
            frame.last_end.max(frame.start)
        };
        let value = match frame.items {
            Items::Seq(items) => Value::Seq(items),
            Items::Map {
                mut entries,
                key,
                merges,
            } => {
                if let Some(key) = key {
                    // The parser always sends key/value pairs; be defensive anyway.
                    let at = key.span.end;
                    entries.push((key, Node::new(Value::Null, at..at)));
                }
                Value::Map(if merges.is_empty() {
                    entries
                } else {
                    merge_entries(entries, &merges)
                })
            }
        };
        let node = Node {
            value,
            span: frame.start..span_end,
            style: if frame.flow {
                Style::Flow
            } else {
                Style::Block
            },
            tag: frame.tag,
        };
        self.complete(node, frame.size + 1, frame.height + 1, frame.anchor)
    }

    /// Adds a finished node to the collection being built (or makes it the document's root).
    fn complete(
        &mut self,
        node: Node,
        size: usize,
        height: usize,
        anchor: usize,
    ) -> Result<(), YamlError> {
        if anchor != 0 {
            if self.copied.saturating_add(size) > self.options.max_alias_nodes {
                return Err(limit_at(
                    format!(
                        "anchors and aliases expand to more than {} nodes",
                        self.options.max_alias_nodes
                    ),
                    node.span.clone(),
                ));
            }
            self.copied += size;
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    size,
                    height,
                },
            );
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        frame.size += size;
        frame.height = frame.height.max(height);
        frame.last_end = frame.last_end.max(node.span.end);
        match &mut frame.items {
            Items::Seq(items) => items.push(node),
            Items::Map {
                entries,
                key,
                merges,
            } => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if k.style == Style::Plain && k.tag.is_none() && k.as_str() == Some("<<") {
                        merges.push(entries.len());
                    }
                    entries.push((k, node));
                }
            },
        }
        Ok(())
    }

    fn scalar(
        &self,
        value: &str,
        style: ScalarStyle,
        tag: Option<String>,
        start: usize,
        end: usize,
    ) -> Node {
        let bytes = self.text.as_bytes();
        let mut begin = skip_properties(self.text, start, end);
        let mut finish = end;
        let style = match style {
            ScalarStyle::Plain => Style::Plain,
            ScalarStyle::SingleQuoted => Style::SingleQuoted,
            ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            ScalarStyle::Literal => Style::Literal,
            ScalarStyle::Folded => Style::Folded,
        };
        match style {
            Style::Literal | Style::Folded => {
                // The parser's span starts at the content; start at the `|`/`>` indicator.
                if !matches!(bytes.get(begin), Some(b'|' | b'>'))
                    && let Some(at) =
                        find_block_indicator(self.text, self.prev_end.min(begin), begin)
                {
                    begin = at;
                }
                // ... and end at the last content character, not at the next line.
                while finish > begin + 1
                    && matches!(bytes[finish - 1], b' ' | b'\t' | b'\r' | b'\n')
                {
                    finish -= 1;
                }
            }
            Style::SingleQuoted | Style::DoubleQuoted => {
                // The parser's span runs on over trailing blanks and a comment; stop at the
                // closing quote.
                if let Some(close) = closing_quote(self.text, begin, end) {
                    finish = close + 1;
                }
            }
            Style::Plain if value.is_empty() => finish = begin,
            _ => {}
        }
        let plain = style == Style::Plain;
        Node {
            value: resolve(value, plain, tag.as_deref()),
            span: begin..finish.max(begin),
            style,
            tag,
        }
    }
}

fn error_at(message: String, span: Range<usize>) -> YamlError {
    YamlError {
        message,
        span,
        limit: false,
    }
}

fn limit_at(message: String, span: Range<usize>) -> YamlError {
    YamlError {
        message,
        span,
        limit: true,
    }
}

/// The tag as written, with the `!!` shorthand expanded: `tag:yaml.org,2002:str`, `!Ref`, `!`.
fn tag_name(tag: &Tag) -> String {
    if tag.handle == "!" {
        format!("!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Skips anchors (`&a`), tags (`!t`), and the whitespace and comments after them, from `start`
/// but not past `end`.
fn skip_properties(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let mut i = start.min(end);
    while i < end && matches!(bytes[i], b'&' | b'!') {
        while i < end && !is_space(bytes[i]) {
            i += 1;
        }
        while i < end {
            if is_space(bytes[i]) {
                i += 1;
            } else if bytes[i] == b'#' {
                while i < end && bytes[i] != b'\n' {
                    i += 1;
                }
            } else {
                break;
            }
        }
    }
    i
}

/// Finds the closing quote of the quoted scalar whose opening quote is at `open`.
fn closing_quote(text: &str, open: usize, end: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let quote = *bytes.get(open)?;
    if !matches!(quote, b'\'' | b'"') {
        return None;
    }
    let mut i = open + 1;
    while i < end {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Finds the `|` or `>` of a block scalar header in `from..to`, skipping comments and
/// properties.
fn find_block_indicator(text: &str, from: usize, to: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let to = to.min(bytes.len());
    let mut i = from;
    while i < to {
        match bytes[i] {
            b'|' | b'>' => return Some(i),
            b'#' if i == 0 || is_space(bytes[i - 1]) => {
                while i < to && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'&' | b'!' => {
                while i < to && !is_space(bytes[i]) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// A scalar key, comparable and hashable, for merge-key resolution.
#[derive(PartialEq, Eq, Hash)]
enum KeyRepr {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
}

fn key_repr(node: &Node) -> Option<KeyRepr> {
    Some(match &node.value {
        Value::Null => KeyRepr::Null,
        Value::Bool(b) => KeyRepr::Bool(*b),
        Value::Int(i) => KeyRepr::Int(*i),
        Value::Float(f) => KeyRepr::Float(f.to_bits()),
        Value::String(s) => KeyRepr::Str(s.clone()),
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

/// Replaces the `<<` entries at `merges` by the entries of the mapping(s) they name.
/// Explicit keys win over merged ones; among merged mappings, the first one wins.
fn merge_entries(entries: Vec<(Node, Node)>, merges: &[usize]) -> Vec<(Node, Node)> {
    let mergeable = |value: &Node| match &value.value {
        Value::Map(_) => true,
        Value::Seq(items) => items.iter().all(|item| item.as_map().is_some()),
        _ => false,
    };
    let is_merge: Vec<bool> = {
        let mut flags = vec![false; entries.len()];
        for &i in merges {
            if let Some((_, value)) = entries.get(i) {
                flags[i] = mergeable(value);
            }
        }
        flags
    };
    let mut seen: HashSet<KeyRepr> = entries
        .iter()
        .zip(&is_merge)
        .filter(|(_, merge)| !**merge)
        .filter_map(|((key, _), _)| key_repr(key))
        .collect();
    let mut out = Vec::with_capacity(entries.len());
    for ((key, value), merge) in entries.into_iter().zip(is_merge) {
        if !merge {
            out.push((key, value));
            continue;
        }
        let sources = match value.value {
            Value::Seq(items) => items,
            other => vec![Node {
                value: other,
                ..value
            }],
        };
        for source in sources {
            if let Value::Map(source_entries) = source.value {
                for (k, v) in source_entries {
                    let keep = key_repr(&k).is_none_or(|repr| seen.insert(repr));
                    if keep {
                        out.push((k, v));
                    }
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Scalar resolution (YAML 1.2 core schema).

const CORE_TAG: &str = "tag:yaml.org,2002:";

fn resolve(text: &str, plain: bool, tag: Option<&str>) -> Value {
    let string = || Value::String(text.to_string());
    let Some(tag) = tag else {
        return if plain { resolve_plain(text) } else { string() };
    };
    match tag.strip_prefix(CORE_TAG) {
        Some("null") => Value::Null,
        Some("bool") => parse_bool(text).map_or_else(string, Value::Bool),
        Some("int") => parse_int(text).map_or_else(string, Value::Int),
        Some("float") => parse_float(text)
            .or_else(|| parse_int(text).map(|i| i as f64))
            .map_or_else(string, Value::Float),
        // `!!str`, other core tags, local tags (`!Ref`), the non-specific `!`: strings.
        _ => string(),
    }
}

fn resolve_plain(text: &str) -> Value {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = parse_bool(text) {
        return Value::Bool(b);
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    if let Some(f) = parse_float(text) {
        return Value::Float(f);
    }
    Value::String(text.to_string())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`, when it fits in `i64`.
fn parse_int(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return i64::from_str_radix(hex, 16).ok();
        }
        return None;
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| matches!(b, b'0'..=b'7')) {
            return i64::from_str_radix(oct, 8).ok();
        }
        return None;
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    None
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.inf`, `\.nan` (and case
/// variants).
fn parse_float(text: &str) -> Option<f64> {
    let negative = text.starts_with('-');
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let from = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - from
    };
    let whole = digits(&mut i);
    let mut fraction = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        fraction = digits(&mut i);
    }
    if whole == 0 && fraction == 0 {
        return None;
    }
    if i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
        i += 1;
        if i < bytes.len() && matches!(bytes[i], b'-' | b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    text.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Comments.

/// Every `#` comment in `text`, as (byte range, text) with the text running from the `#` to the
/// end of its line (without the line break).
///
/// A `#` starts a comment at the start of a line or after a space or tab, outside quoted
/// scalars and block scalar content, as far as a line-by-line scan can tell: quotes only open
/// where a scalar may start (line start, after `- `, `: `, `? `, `[`, `{`, `,`), and block
/// scalar content is every following line indented more than the key (or `-`) that owns the
/// `|`/`>` header, plus blank lines.
pub fn comments(text: &str) -> Vec<(Range<usize>, &str)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Normal,
        Single,
        Double,
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut mode = Mode::Normal;
    let mut flow_depth = 0usize;
    // Inside block scalar content: lines indented more than this are content.
    let mut block_parent: Option<isize> = None;
    let mut i = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    while i < bytes.len() {
        let line_start = i;
        let line_end = bytes[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| i + p);
        let next = line_end + 1;
        let content_end = if line_end > line_start && bytes[line_end - 1] == b'\r' {
            line_end - 1
        } else {
            line_end
        };
        let line = &bytes[line_start..content_end];
        let indent = line.iter().take_while(|&&b| b == b' ').count();

        if let Some(parent) = block_parent {
            let blank = line.iter().all(|&b| matches!(b, b' ' | b'\t'));
            let marker = (line.starts_with(b"---") || line.starts_with(b"..."))
                && line.get(3).is_none_or(|&b| matches!(b, b' ' | b'\t'));
            if blank || (!marker && indent as isize > parent) {
                i = next;
                continue;
            }
            block_parent = None;
        }

        // Column of the node that owns a block scalar header on this line.
        let owner = {
            let mut col = indent;
            let mut last_dash = None;
            while col + 1 < line.len()
                && matches!(line[col], b'-' | b'?' | b':')
                && matches!(line[col + 1], b' ' | b'\t')
            {
                if line[col] == b'-' {
                    last_dash = Some(col);
                }
                col += 1;
                while col < line.len() && matches!(line[col], b' ' | b'\t') {
                    col += 1;
                }
            }
            (col, last_dash)
        };

        let mut scalar_may_start = true; // at line start or after an indicator
        let mut j = line_start;
        while j < content_end {
            let b = bytes[j];
            match mode {
                Mode::Single => {
                    if b == b'\'' {
                        if j + 1 < content_end && bytes[j + 1] == b'\'' {
                            j += 2;
                            continue;
                        }
                        mode = Mode::Normal;
                        scalar_may_start = false;
                    }
                    j += 1;
                }
                Mode::Double => {
                    if b == b'\\' {
                        j += 2;
                        continue;
                    }
                    if b == b'"' {
                        mode = Mode::Normal;
                        scalar_may_start = false;
                    }
                    j += 1;
                }
                Mode::Normal => {
                    let next_is_space =
                        j + 1 >= content_end || matches!(bytes[j + 1], b' ' | b'\t');
                    match b {
                        b' ' | b'\t' => j += 1,
                        b'#' if j == line_start || matches!(bytes[j - 1], b' ' | b'\t') => {
                            out.push((j..content_end, &text[j..content_end]));
                            break;
                        }
                        b'\'' | b'"' if scalar_may_start => {
                            mode = if b == b'\'' {
                                Mode::Single
                            } else {
                                Mode::Double
                            };
                            j += 1;
                        }
                        b'|' | b'>' if scalar_may_start && flow_depth == 0 => {
                            let mut k = j + 1;
                            while k < content_end && matches!(bytes[k], b'-' | b'+' | b'0'..=b'9') {
                                k += 1;
                            }
                            if k == content_end || matches!(bytes[k], b' ' | b'\t') {
                                let (col, last_dash) = owner;
                                let header_col = j - line_start;
                                let parent = if line.starts_with(b"---") {
                                    -1
                                } else if col == header_col {
                                    last_dash.map_or(indent as isize - 1, |d| d as isize)
                                } else {
                                    col as isize
                                };
                                block_parent = Some(parent);
                            }
                            scalar_may_start = false;
                            j = k;
                        }
                        b'-' | b'?' | b':' if next_is_space => {
                            scalar_may_start = true;
                            j += 1;
                        }
                        b'[' | b'{' if scalar_may_start => {
                            flow_depth += 1;
                            j += 1;
                        }
                        b',' if flow_depth > 0 => {
                            scalar_may_start = true;
                            j += 1;
                        }
                        b']' | b'}' if flow_depth > 0 => {
                            flow_depth -= 1;
                            scalar_may_start = false;
                            j += 1;
                        }
                        b'&' | b'!' if scalar_may_start => {
                            // Properties: a scalar may still follow.
                            while j < content_end && !matches!(bytes[j], b' ' | b'\t') {
                                j += 1;
                            }
                        }
                        _ => {
                            scalar_may_start = false;
                            j += 1;
                        }
                    }
                }
            }
        }
        i = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1-based (line, column in chars) of a byte offset.
    fn line_col(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before[before.rfind('\n').map_or(0, |p| p + 1)..]
            .chars()
            .count()
            + 1;
        (line, col)
    }

    fn src<'a>(text: &'a str, node: &Node) -> &'a str {
        &text[node.span.clone()]
    }

    /// Every span of every node lies on char boundaries inside `text`; returns the node count.
    fn check_spans(text: &str, file: &YamlFile) -> usize {
        let mut count = 0;
        let mut stack: Vec<&Node> = file.documents.iter().collect();
        while let Some(node) = stack.pop() {
            count += 1;
            assert!(
                text.get(node.span.clone()).is_some(),
                "bad span {:?} in {text:?}",
                node.span
            );
            match &node.value {
                Value::Seq(items) => stack.extend(items),
                Value::Map(entries) => {
                    for (k, v) in entries {
                        stack.push(k);
                        stack.push(v);
                    }
                }
                _ => {}
            }
        }
        for error in &file.errors {
            assert!(text.get(error.span.clone()).is_some(), "bad error span");
            assert!(
                !error.message.contains("internal"),
                "parser panicked on {text:?}"
            );
        }
        count
    }

    fn load_ok(text: &str) -> YamlFile {
        let file = load(text);
        assert!(
            file.errors.is_empty(),
            "unexpected errors: {:?}",
            file.errors
        );
        check_spans(text, &file);
        file
    }

    const K8S: &str = "\
# fitness: ignore[image-tag]
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: \"frontend\"}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25  # pinned
          ports:
            - containerPort: 8080
              name: http
          resources:
            limits:
              memory: 256Mi
              cpu: \"0.5\"
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
    targetPort: \"8080\"
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cfg}
  data:
    config.yaml: |
      debug: false
      # not a comment
- apiVersion: v1
  kind: Secret
  metadata:
    name: s
...
";

    #[test]
    fn kubernetes_multi_document() {
        let file = load_ok(K8S);
        assert_eq!(file.documents.len(), 3);
        let kinds: Vec<_> = file
            .documents
            .iter()
            .map(|d| d.get("kind").and_then(Node::as_str).unwrap())
            .collect();
        assert_eq!(kinds, ["Deployment", "Service", "List"]);

        let deploy = &file.documents[0];
        assert_eq!(
            deploy.path(&["spec", "replicas"]).unwrap().as_i64(),
            Some(3)
        );
        let container = deploy
            .path(&["spec", "template", "spec", "containers", "0"])
            .unwrap();
        assert_eq!(container.get("image").unwrap().as_str(), Some("nginx:1.25"));
        assert_eq!(src(K8S, container.get("image").unwrap()), "nginx:1.25");
        let port = container.path(&["ports", "0"]).unwrap();
        let (key, value) = port.get_entry("containerPort").unwrap();
        assert_eq!(src(K8S, key), "containerPort");
        assert_eq!(src(K8S, value), "8080");
        assert_eq!(value.as_i64(), Some(8080));
        assert_eq!(line_col(K8S, key.span.start), (15, 15));
        assert_eq!(line_col(K8S, value.span.start), (15, 30));
        let cpu = container.path(&["resources", "limits", "cpu"]).unwrap();
        assert_eq!(cpu.as_str(), Some("0.5"));
        assert!(cpu.is_quoted());
        assert_eq!(src(K8S, cpu), "\"0.5\"");
        let labels = deploy.path(&["metadata", "labels"]).unwrap();
        assert_eq!(labels.style, Style::Flow);
        assert_eq!(src(K8S, labels), "{app: web, tier: \"frontend\"}");
        // A block mapping spans from its first key to the end of its last value.
        let limits = container.path(&["resources", "limits"]).unwrap();
        assert_eq!(
            src(K8S, limits),
            "memory: 256Mi\n              cpu: \"0.5\""
        );
        assert_eq!(src(K8S, deploy).lines().next(), Some("apiVersion: apps/v1"));
        assert!(src(K8S, deploy).ends_with("cpu: \"0.5\""));
        // Sequences start at their first `-`.
        let containers = deploy.path(&["spec", "template", "spec", "containers"]);
        assert!(src(K8S, containers.unwrap()).starts_with("- name: web"));

        let service = &file.documents[1];
        let target = service.path(&["spec", "ports", "0", "targetPort"]).unwrap();
        assert_eq!(target.as_str(), Some("8080"));
        assert_eq!(target.style, Style::DoubleQuoted);
        let ports = service.path(&["spec", "ports"]).unwrap();
        assert!(src(K8S, ports).starts_with("- port: 80"));
        assert!(src(K8S, ports).ends_with("targetPort: \"8080\""));

        let list = &file.documents[2];
        let items = list.get("items").unwrap().as_seq().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].get("kind").unwrap().as_str(), Some("Secret"));
        let config = items[0].path(&["data", "config.yaml"]).unwrap();
        assert_eq!(config.as_str(), Some("debug: false\n# not a comment\n"));
        assert_eq!(config.style, Style::Literal);
        assert_eq!(
            src(K8S, config),
            "|\n      debug: false\n      # not a comment"
        );
        assert_eq!(
            items[0].path(&["metadata", "name"]).unwrap().as_str(),
            Some("cfg")
        );
        assert!(list.path(&["items", "2"]).is_none());
        assert!(list.path(&["items", "x"]).is_none());
        assert!(list.path(&["kind", "x"]).is_none());
        assert_eq!(list.path(&[]), Some(list));
    }

    const COMPOSE: &str = "\
x-common: &common
  restart: always
  environment: &env
    LOG_LEVEL: info
    TZ: UTC
  logging:
    driver: json-file
x-limits: &limits
  mem_limit: 512m
  restart: on-failure
services:
  web:
    <<: *common
    image: app:1.0
    restart: \"no\"
    ports:
      - \"8080:80\"
  worker:
    <<: [*limits, *common]
    environment: *env
  db:
    <<: *common
    <<: {extra: 1}
";

    #[test]
    fn compose_anchors_and_merge_keys() {
        let file = load_ok(COMPOSE);
        assert_eq!(file.documents.len(), 1);
        let doc = &file.documents[0];

        let web = doc.path(&["services", "web"]).unwrap();
        let keys: Vec<_> = web
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str().unwrap())
            .collect();
        // Merged keys stand where `<<` stood; the explicit `restart` wins.
        assert_eq!(
            keys,
            ["environment", "logging", "image", "restart", "ports"]
        );
        assert_eq!(web.get("restart").unwrap().as_str(), Some("no"));
        assert!(web.get("<<").is_none());
        // Merged entries keep the spans of the anchored text.
        let (env_key, env) = web.get_entry("environment").unwrap();
        assert_eq!(line_col(COMPOSE, env_key.span.start), (3, 3));
        assert_eq!(env.get("TZ").unwrap().as_str(), Some("UTC"));
        assert_eq!(
            src(COMPOSE, web.path(&["logging", "driver"]).unwrap()),
            "json-file"
        );

        // In a merge list, the first mapping wins.
        let worker = doc.path(&["services", "worker"]).unwrap();
        assert_eq!(worker.get("restart").unwrap().as_str(), Some("on-failure"));
        assert_eq!(worker.get("mem_limit").unwrap().as_str(), Some("512m"));
        // A plain alias: the copy's top node points at the alias.
        let env = worker.get("environment").unwrap();
        assert_eq!(src(COMPOSE, env), "*env");
        assert_eq!(env.get("LOG_LEVEL").unwrap().as_str(), Some("info"));
        assert_eq!(env.as_map().unwrap().len(), 2);
        // mem_limit and restart from limits, logging from common; the explicit environment.
        assert_eq!(worker.as_map().unwrap().len(), 4);

        // Two merge keys in one mapping (duplicate `<<`) both apply.
        let db = doc.path(&["services", "db"]).unwrap();
        assert_eq!(db.get("restart").unwrap().as_str(), Some("always"));
        assert_eq!(db.get("extra").unwrap().as_i64(), Some(1));

        // The anchored originals are untouched.
        assert_eq!(
            doc.path(&["x-common", "restart"]).unwrap().as_str(),
            Some("always")
        );
    }

    #[test]
    fn merge_key_edge_cases() {
        // A quoted `<<` is an ordinary key; a merge of a non-mapping stays an ordinary entry.
        let text = "a: &a {x: 1}\nb:\n  \"<<\": *a\nc:\n  <<: 5\nd:\n  <<: *a\n  x: 2\n";
        let doc = &load_ok(text).documents[0];
        assert_eq!(doc.path(&["b", "<<", "x"]).unwrap().as_i64(), Some(1));
        assert_eq!(doc.path(&["c", "<<"]).unwrap().as_i64(), Some(5));
        // The explicit key wins even when it comes after the merge.
        let d = doc.get("d").unwrap().as_map().unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].1.as_i64(), Some(2));
    }

    #[test]
    fn exact_spans_of_keys_and_values() {
        let text =
            "spec:\n  'quoted key': \"v\\\"x\"\n  &k anchored: !!str 42\n  empty:\n  last: end\n";
        let doc = &load_ok(text).documents[0];
        let spec = doc.get("spec").unwrap();
        let (k, v) = spec.get_entry("quoted key").unwrap();
        assert_eq!(src(text, k), "'quoted key'");
        assert_eq!(src(text, v), "\"v\\\"x\"");
        assert_eq!(v.as_str(), Some("v\"x"));
        let (k, v) = spec.get_entry("anchored").unwrap();
        assert_eq!(src(text, k), "anchored");
        assert_eq!(src(text, v), "42");
        assert_eq!(v.as_str(), Some("42"));
        assert_eq!(v.tag.as_deref(), Some("tag:yaml.org,2002:str"));
        let (k, v) = spec.get_entry("empty").unwrap();
        assert_eq!(src(text, k), "empty");
        assert!(v.is_null());
        assert!(v.span.is_empty());
        assert_eq!(line_col(text, v.span.start).0, 4);
        assert_eq!(src(text, spec.get("last").unwrap()), "end");
        assert_eq!(src(text, doc), text.trim_end());
    }

    #[test]
    fn multibyte_text_before_keys() {
        let text = "# ünïcödé ✓ 日本語\nnäme: \"日本語\" # 🎉\nbeschreibung: grüße 👋\nport: 80\nliste: [ä, 🚀]\n";
        let doc = &load_ok(text).documents[0];
        let (k, v) = doc.get_entry("näme").unwrap();
        assert_eq!(src(text, k), "näme");
        assert_eq!(src(text, v), "\"日本語\"");
        let (k, v) = doc.get_entry("port").unwrap();
        assert_eq!(src(text, k), "port");
        assert_eq!(src(text, v), "80");
        assert_eq!(line_col(text, k.span.start), (4, 1));
        assert_eq!(src(text, doc.get("beschreibung").unwrap()), "grüße 👋");
        let liste = doc.get("liste").unwrap();
        assert_eq!(src(text, liste), "[ä, 🚀]");
        assert_eq!(src(text, &liste.as_seq().unwrap()[1]), "🚀");

        // More than one checkpoint's worth of multibyte characters.
        let long = format!("a: {}\nkey: value\n", "é".repeat(500));
        let doc = &load_ok(&long).documents[0];
        let (k, v) = doc.get_entry("key").unwrap();
        assert_eq!(src(&long, k), "key");
        assert_eq!(src(&long, v), "value");
    }

    #[test]
    fn byte_order_mark() {
        let text = "\u{FEFF}a: 1\nb: x\n";
        let doc = &load_ok(text).documents[0];
        let (k, v) = doc.get_entry("b").unwrap();
        assert_eq!(src(text, k), "b");
        assert_eq!(src(text, v), "x");
        assert_eq!(src(text, doc.get_entry("a").unwrap().0), "a");
    }

    #[test]
    fn crlf_line_endings() {
        let text = "a: 1\r\nb: |\r\n  x\r\n  y\r\nc: \"q\" # note\r\nd:\r\n  - e\r\n";
        let doc = &load_ok(text).documents[0];
        assert_eq!(doc.get("a").unwrap().as_i64(), Some(1));
        let b = doc.get("b").unwrap();
        assert_eq!(b.as_str(), Some("x\ny\n"));
        assert_eq!(src(text, b), "|\r\n  x\r\n  y");
        let (k, v) = doc.get_entry("c").unwrap();
        assert_eq!(src(text, k), "c");
        assert_eq!(src(text, v), "\"q\"");
        assert_eq!(line_col(text, k.span.start), (5, 1));
        let d = doc.get("d").unwrap();
        assert_eq!(src(text, d), "- e");
        let at = text.find("# note").unwrap();
        assert_eq!(comments(text), vec![(at..at + 6, "# note")]);
    }

    #[test]
    fn flow_style() {
        let text = "{a: 1, b: [x, y], c: {}, d: [], 'e': [f: g]}";
        let doc = &load_ok(text).documents[0];
        assert_eq!(doc.style, Style::Flow);
        assert_eq!(src(text, doc), text);
        assert_eq!(doc.get("a").unwrap().as_i64(), Some(1));
        let b = doc.get("b").unwrap();
        assert_eq!(src(text, b), "[x, y]");
        let items: Vec<_> = b.as_seq().unwrap().iter().map(|n| src(text, n)).collect();
        assert_eq!(items, ["x", "y"]);
        assert_eq!(src(text, doc.get("c").unwrap()), "{}");
        assert_eq!(doc.get("d").unwrap().as_seq().unwrap().len(), 0);
        let pair = doc.path(&["e", "0"]).unwrap();
        assert_eq!(pair.get("f").unwrap().as_str(), Some("g"));
        assert_eq!(src(text, pair), "f: g");
        // Blanks and comments after brackets are not part of the span; a block sequence whose
        // first item is a flow collection is still a block sequence.
        let text = "a: [ x ]  # c\nb: { y: 1 } # d\nc:\n- {z: 2}\n- [w]\n";
        let doc = &load_ok(text).documents[0];
        assert_eq!(src(text, doc.get("a").unwrap()), "[ x ]");
        assert_eq!(src(text, doc.get("b").unwrap()), "{ y: 1 }");
        let c = doc.get("c").unwrap();
        assert_eq!(c.style, Style::Block);
        assert_eq!(src(text, c), "- {z: 2}\n- [w]");
        assert_eq!(src(text, &c.as_seq().unwrap()[0]), "{z: 2}");
        assert_eq!(c.as_seq().unwrap()[0].style, Style::Flow);
        // Flow collections spanning lines.
        let text = "args: [\n  --a,\n  \"--b\"\n]\n";
        let args = load_ok(text).documents[0].get("args").unwrap().clone();
        assert_eq!(src(text, &args), "[\n  --a,\n  \"--b\"\n]");
    }

    #[test]
    fn block_scalars() {
        let text = "\
lit: |
  line 1
  line 2
fold: >
  folded
  text
strip: |-
  no newline
keep: >+ # header comment
  kept

anchored: &blk |
  a
tagged: !!str >-
  t
indent: |2
   x
seq:
  - |
    in seq
  - >-

    after blank
end: 1
";
        let doc = &load_ok(text).documents[0];
        let check = |key: &str, value: &str, span: &str, style: Style| {
            let node = doc.get(key).unwrap();
            assert_eq!(node.as_str(), Some(value), "{key}");
            assert_eq!(src(text, node), span, "{key}");
            assert_eq!(node.style, style, "{key}");
        };
        check(
            "lit",
            "line 1\nline 2\n",
            "|\n  line 1\n  line 2",
            Style::Literal,
        );
        check(
            "fold",
            "folded text\n",
            ">\n  folded\n  text",
            Style::Folded,
        );
        check("strip", "no newline", "|-\n  no newline", Style::Literal);
        check(
            "keep",
            "kept\n\n",
            ">+ # header comment\n  kept",
            Style::Folded,
        );
        check("anchored", "a\n", "|\n  a", Style::Literal);
        check("tagged", "t", ">-\n  t", Style::Folded);
        check("indent", " x\n", "|2\n   x", Style::Literal);
        let seq = doc.get("seq").unwrap().as_seq().unwrap();
        assert_eq!(src(text, &seq[0]), "|\n    in seq");
        assert_eq!(seq[1].as_str(), Some("\nafter blank"));
        assert_eq!(src(text, &seq[1]), ">-\n\n    after blank");
        assert_eq!(doc.get("end").unwrap().as_i64(), Some(1));
        // A block scalar as a whole document.
        let text = "--- |\n  doc\n";
        let doc = &load_ok(text).documents[0];
        assert_eq!(doc.as_str(), Some("doc\n"));
        assert_eq!(src(text, doc), "|\n  doc");
    }

    #[test]
    fn scalar_resolution_quoted_vs_plain() {
        let text = "\
plain_int: 8080
quoted_int: \"8080\"
single_int: '8080'
bool: true
bool_caps: FALSE
quoted_bool: 'true'
yaml11_bool: yes
on: off
float: 1.5
exp: 1e3
neg: -2.5E-3
dot: .5
trailing: 1.
inf: .inf
ninf: -.Inf
nan: .NaN
hex: 0x1F
oct: 0o17
neg_int: -42
plus_int: +7
huge: 99999999999999999999
huge_hex: 0xFFFFFFFFFFFFFFFFFF
null1: null
null2: ~
null3:
quoted_null: \"null\"
version: 1.2.3
time: 12:30
str_tag: !!str 80
int_tag: !!int \"80\"
float_tag: !!float 3
bad_int_tag: !!int abc
null_tag: !!null ''
local: !Ref MyBucket
nonspecific: ! 12
words: hello world
";
        let doc = &load_ok(text).documents[0];
        let v = |k: &str| doc.get(k).unwrap_or_else(|| panic!("{k}")).value.clone();
        assert_eq!(v("plain_int"), Value::Int(8080));
        assert_eq!(v("quoted_int"), Value::String("8080".into()));
        assert_eq!(doc.get("quoted_int").unwrap().style, Style::DoubleQuoted);
        assert_eq!(v("single_int"), Value::String("8080".into()));
        assert_eq!(doc.get("single_int").unwrap().style, Style::SingleQuoted);
        assert_eq!(v("bool"), Value::Bool(true));
        assert_eq!(v("bool_caps"), Value::Bool(false));
        assert_eq!(v("quoted_bool"), Value::String("true".into()));
        assert_eq!(v("yaml11_bool"), Value::String("yes".into()));
        assert_eq!(v("on"), Value::String("off".into()));
        assert_eq!(v("float"), Value::Float(1.5));
        assert_eq!(v("exp"), Value::Float(1000.0));
        assert_eq!(v("neg"), Value::Float(-0.0025));
        assert_eq!(v("dot"), Value::Float(0.5));
        assert_eq!(v("trailing"), Value::Float(1.0));
        assert_eq!(v("inf"), Value::Float(f64::INFINITY));
        assert_eq!(v("ninf"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(v("nan"), Value::Float(f) if f.is_nan()));
        assert_eq!(v("hex"), Value::Int(31));
        assert_eq!(v("oct"), Value::Int(15));
        assert_eq!(v("neg_int"), Value::Int(-42));
        assert_eq!(v("plus_int"), Value::Int(7));
        assert_eq!(v("huge"), Value::Float(1e20));
        assert_eq!(v("huge_hex"), Value::String("0xFFFFFFFFFFFFFFFFFF".into()));
        assert_eq!(v("null1"), Value::Null);
        assert_eq!(v("null2"), Value::Null);
        assert_eq!(v("null3"), Value::Null);
        assert_eq!(v("quoted_null"), Value::String("null".into()));
        assert_eq!(v("version"), Value::String("1.2.3".into()));
        assert_eq!(v("time"), Value::String("12:30".into()));
        assert_eq!(v("str_tag"), Value::String("80".into()));
        assert_eq!(v("int_tag"), Value::Int(80));
        assert_eq!(v("float_tag"), Value::Float(3.0));
        assert_eq!(v("bad_int_tag"), Value::String("abc".into()));
        assert_eq!(v("null_tag"), Value::Null);
        assert_eq!(v("local"), Value::String("MyBucket".into()));
        assert_eq!(doc.get("local").unwrap().tag.as_deref(), Some("!Ref"));
        assert_eq!(src(text, doc.get("local").unwrap()), "MyBucket");
        assert_eq!(v("nonspecific"), Value::String("12".into()));
        assert_eq!(doc.get("nonspecific").unwrap().tag.as_deref(), Some("!"));
        assert_eq!(v("words"), Value::String("hello world".into()));

        for (s, expected) in [
            ("", None),
            (".", None),
            ("-", None),
            ("1e", None),
            ("e5", None),
            ("1.2.3", None),
            ("+.5e+2", Some(50.0)),
            ("inf", None),
            ("nan", None),
            ("1_000", None),
        ] {
            assert_eq!(parse_float(s), expected, "{s:?}");
        }
        assert_eq!(parse_int("0x"), None);
        assert_eq!(parse_int("-0x1"), None);
        assert_eq!(parse_int("0o8"), None);
        assert_eq!(parse_int("012"), Some(12));
    }

    #[test]
    fn node_helpers() {
        let text = "m:\n  k: v\n  n: 1\n  b: false\n  f: 2.5\n  k: again\ns: [1, 2]\n";
        let doc = &load_ok(text).documents[0];
        let m = doc.get("m").unwrap();
        // Duplicate keys are kept; lookups see the last one.
        assert_eq!(m.as_map().unwrap().len(), 5);
        assert_eq!(m.get("k").unwrap().as_str(), Some("again"));
        assert_eq!(m.get("n").unwrap().as_i64(), Some(1));
        assert_eq!(m.get("n").unwrap().as_f64(), Some(1.0));
        assert_eq!(m.get("f").unwrap().as_f64(), Some(2.5));
        assert_eq!(m.get("b").unwrap().as_bool(), Some(false));
        assert_eq!(m.get("n").unwrap().as_str(), None);
        assert_eq!(m.get("n").unwrap().type_name(), "int");
        assert_eq!(m.type_name(), "mapping");
        assert!(m.get("missing").is_none());
        assert!(doc.get("s").unwrap().get("k").is_none());
        assert_eq!(doc.get("s").unwrap().as_seq().unwrap().len(), 2);
        assert_eq!(doc.path(&["s", "1"]).unwrap().as_i64(), Some(2));
        assert_eq!(doc.get("s").unwrap().text(text), "[1, 2]");
        assert!(m.as_seq().is_none());
        let built = Node::new(Value::Bool(true), 0..4);
        assert_eq!(built.as_bool(), Some(true));
        assert_eq!(built.style, Style::Plain);
    }

    #[test]
    fn non_string_keys() {
        let text = "80: http\ntrue: yes\n? [a, b]\n: complex\n~: nothing\n";
        let doc = &load_ok(text).documents[0];
        let entries = doc.as_map().unwrap();
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].0.as_i64(), Some(80));
        assert!(doc.get("80").is_none());
        assert_eq!(entries[1].0.as_bool(), Some(true));
        assert_eq!(src(text, &entries[2].0), "[a, b]");
        assert_eq!(entries[2].1.as_str(), Some("complex"));
        assert!(entries[3].0.is_null());
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..=12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let started = std::time::Instant::now();
        let file = load(&text);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert!(file.documents.is_empty());
        assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
        assert!(file.errors[0].message.contains("expand"));
        assert!(file.errors[0].limit);
        assert!(text[file.errors[0].span.clone()].contains("*a"));
        check_spans(&text, &file);

        // A smaller limit trips earlier; a harmless document stays within the default.
        let options = LoadOptions {
            max_alias_nodes: 100,
            ..LoadOptions::default()
        };
        assert_eq!(load_with(&text, options).errors.len(), 1);
        assert!(load_with(COMPOSE, options).errors.is_empty());
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let depth = 10_000;
        let flow = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let file = load(&flow);
        assert!(file.documents.is_empty());
        assert_eq!(file.errors.len(), 1);
        // The parser itself allows at most 255 levels of flow nesting.
        assert!(file.errors[0].span.start <= DEFAULT_MAX_DEPTH);
        assert!(file.errors[0].limit, "{:?}", file.errors);

        let maps = format!("{}1{}", "{a: ".repeat(depth), "}".repeat(depth));
        let file = load(&maps);
        assert!(file.documents.is_empty());
        assert_eq!(file.errors.len(), 1);

        let mut block = String::new();
        for i in 0..1000 {
            block.push_str(&" ".repeat(i));
            block.push_str("- \n");
        }
        let file = load(&block);
        assert_eq!(file.errors.len(), 1);
        assert!(
            file.errors[0].message.contains("nesting"),
            "{:?}",
            file.errors
        );
        assert_eq!(
            line_col(&block, file.errors[0].span.start).0,
            DEFAULT_MAX_DEPTH + 1
        );
        assert!(file.errors[0].limit);

        let options = LoadOptions {
            max_depth: 3,
            ..LoadOptions::default()
        };
        assert!(load_with("a: {b: [1]}", options).errors.is_empty());
        assert_eq!(load_with("a: {b: [[1]]}", options).errors.len(), 1);

        // Within the limit, deep documents load.
        let ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let file = load_ok(&ok);
        let mut node = &file.documents[0];
        let mut levels = 1;
        while let Some([child]) = node.as_seq() {
            node = child;
            levels += 1;
        }
        assert_eq!(levels, 200);
    }

    #[test]
    fn aliases_cannot_exceed_depth() {
        // Each alias nests the previous anchor one level deeper than its own definition.
        let mut text = String::from("a0: &a0 [[[[[[[[[[x]]]]]]]]]]\n");
        for i in 1..100 {
            text.push_str(&format!("a{i}: &a{i} [[[[[[[[[[*a{}]]]]]]]]]]\n", i - 1));
        }
        let file = load(&text);
        assert_eq!(file.errors.len(), 1);
        assert!(
            file.errors[0].message.contains("deeper"),
            "{:?}",
            file.errors
        );
    }

    #[test]
    fn malformed_input_reports_position() {
        let text = "kind: Service\n---\nkind: Deployment\nmetadata:\n  name: \"unterminated\n";
        let file = load(text);
        assert_eq!(file.documents.len(), 1);
        assert_eq!(
            file.documents[0].get("kind").unwrap().as_str(),
            Some("Service")
        );
        assert_eq!(file.errors.len(), 1);
        let error = &file.errors[0];
        assert!(!error.message.is_empty());
        assert!(!error.limit, "a syntax error, not a limit");
        assert!(error.span.start >= text.find("name").unwrap());
        check_spans(text, &file);

        let text = "a: 1\nb: [x, y\nc: 2\n";
        let file = load(text);
        assert!(file.documents.is_empty());
        assert_eq!(file.errors.len(), 1);

        let text = "a: 1\n  b: 2\n";
        let file = load(text);
        assert_eq!(file.errors.len(), 1);
        assert_eq!(line_col(text, file.errors[0].span.start).0, 2);

        let text = "a:\n\t- b\n";
        let file = load(text);
        assert_eq!(file.errors.len(), 1);
        assert_eq!(line_col(text, file.errors[0].span.start).0, 2);

        // An alias inside its own anchor would be infinite.
        let text = "a: &a [1, *a]\n";
        let file = load(text);
        assert!(file.documents.is_empty());
        assert_eq!(file.errors.len(), 1);
        assert_eq!(&text[file.errors[0].span.clone()], "*a");

        let file = load("a: *unknown\n");
        assert_eq!(file.errors.len(), 1);
        assert_eq!(file.errors[0].span.start, 3);
    }

    #[test]
    fn empty_and_comment_only_files() {
        for text in [
            "",
            "\n\n",
            "# just a comment\n# another\n",
            "---\n",
            "--- # c\n...\n",
            "\u{FEFF}",
        ] {
            let file = load(text);
            assert!(file.documents.is_empty(), "{text:?}: {:?}", file.documents);
            assert!(file.errors.is_empty(), "{text:?}: {:?}", file.errors);
        }
        // A trailing `---` adds no document; an explicit null does.
        assert_eq!(load_ok("a: 1\n---\n").documents.len(), 1);
        let file = load_ok("--- ~\n--- null\n---\nx\n");
        assert_eq!(file.documents.len(), 3);
        assert!(file.documents[0].is_null());
    }

    /// Tiny deterministic generator for the robustness tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        let fixed = [
            "\t",
            "a:\tb",
            "\ta: b",
            "\"unterminated",
            "'unterminated",
            "a: 'x\n",
            "\u{FEFF}\u{FEFF}a: 1",
            "a: 1\u{FEFF}",
            "\r\n\r\n- a\r\n-\r\n",
            "\r",
            "- [a, {b: c}\n",
            "{a: [}",
            "? ? ? ?",
            ": : :",
            "&a &b *c",
            "!<> x",
            "!!!x y",
            "%YAML 1.2\n%YAML 1.2\n---\n",
            "%TAG ! !\n",
            "a: |9\n x",
            "a: >-+\n x",
            "*a",
            "[*a]",
            "- &a\n- *a\n- *a",
            "a: &x\n  <<: *x",
            "\0\u{1}\u{7f}",
            "---\n...\n...\n---",
            "a: b: c",
            "- - - - - -",
            "a:\n  - b\n c: d",
        ];
        for text in fixed {
            let file = load(text);
            check_spans(text, &file);
            let _ = comments(text);
        }

        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        // Random bytes, made valid UTF-8.
        for _ in 0..300 {
            let len = rng.below(80);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let text = String::from_utf8_lossy(&bytes);
            check_spans(&text, &load(&text));
            let _ = comments(&text);
        }
        // Random YAML-ish tokens.
        let pieces = [
            "a",
            ": ",
            "- ",
            "\n",
            "  ",
            "\t",
            "[",
            "]",
            "{",
            "}",
            ", ",
            "\"",
            "'",
            "|",
            ">",
            "#",
            " # c",
            "&x ",
            "*x",
            "!t ",
            "!!str ",
            "? ",
            "---\n",
            "...\n",
            "\r\n",
            "é",
            "🚀",
            "<<: ",
            "\u{FEFF}",
            "\\",
            "%YAML 1.2\n",
            "~",
            "1",
        ];
        for _ in 0..2000 {
            let n = rng.below(30);
            let text: String = (0..n).map(|_| pieces[rng.below(pieces.len())]).collect();
            let file = load(&text);
            check_spans(&text, &file);
            for (range, comment) in comments(&text) {
                assert_eq!(&text[range], comment);
                assert!(comment.starts_with('#'));
            }
        }
        // Mutations of a real manifest.
        let chars: Vec<char> = K8S.chars().collect();
        for _ in 0..300 {
            let mut mutated = chars.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(mutated.len());
                match rng.below(3) {
                    0 => {
                        mutated.remove(at);
                    }
                    1 => {
                        mutated.insert(at, pieces[rng.below(pieces.len())].chars().next().unwrap())
                    }
                    _ => {
                        let other = rng.below(mutated.len());
                        mutated.swap(at, other);
                    }
                }
            }
            let text: String = mutated.into_iter().collect();
            check_spans(&text, &load(&text));
        }
    }

    #[test]
    fn comments_are_found_outside_scalars() {
        let text = "\
# fitness: ignore[a]
key: value # fitness: ignore[b]
url: http://x/#frag
quoted: \"not # a comment\" # real
single: 'it''s # not' #real2
plain: it's # yes
  # indented
block: | # header
  # inside block
  text # inside
after: 1 # after block
list:
  - |
    # in seq block
  - x # item
flow: [a, '#no', b] # flow
multi: \"line one
  # still quoted\" # closed
hash#inside: v
#tight
";
        let found: Vec<&str> = comments(text).into_iter().map(|(_, c)| c).collect();
        assert_eq!(
            found,
            [
                "# fitness: ignore[a]",
                "# fitness: ignore[b]",
                "# real",
                "#real2",
                "# yes",
                "# indented",
                "# header",
                "# after block",
                "# item",
                "# flow",
                "# closed",
                "#tight",
            ]
        );
        for (range, comment) in comments(text) {
            assert_eq!(&text[range], comment);
        }
        // Spans are byte offsets, also after multibyte text and with CRLF.
        let text = "ä: ö # ü\r\n";
        assert_eq!(comments(text), vec![(7..11, "# ü")]);
        assert!(comments("").is_empty());
        assert_eq!(comments("\u{FEFF}# bom\n"), vec![(3..8, "# bom")]);
        // A top-level block scalar runs until a document marker.
        let text = "--- |\n# text\n--- # c\n";
        let found: Vec<&str> = comments(text).into_iter().map(|(_, c)| c).collect();
        assert_eq!(found, ["# c"]);
        // The loader agrees that block content is not a comment.
        let doc = &load_ok("block: | # header\n  # inside block\n").documents[0];
        assert_eq!(doc.get("block").unwrap().as_str(), Some("# inside block\n"));
    }
}
