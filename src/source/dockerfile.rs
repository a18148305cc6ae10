// Hand-rolled Dockerfile parser: no crate does this well, so it is written by hand.
//! Dockerfile parsing for cargo-fitness.
//!
//! [`parse`] never panics and never fails: problems land in [`Dockerfile::errors`]
//! and parsing resumes on the next line. Every span is a byte range into the
//! original text, so `&text[span.clone()]` is always valid.

use std::fmt;
use std::ops::Range;

/// Instruction keywords Docker knows.
const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];
/// Instructions whose arguments may be a JSON string array (exec form).
const JSON_FORMS: &[&str] = &["ADD", "CMD", "COPY", "ENTRYPOINT", "RUN", "SHELL", "VOLUME"];
/// Limit on nested `${A:-${B:-...}}` expansion.
const MAX_DEPTH: usize = 16;

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// Parser directives (`# syntax=`, `# escape=`, `# check=`) from the top of the file.
    pub directives: Vec<Directive>,
    /// Comment lines (not directives), including those dropped from continuation lines.
    pub comments: Vec<Comment>,
    /// Instructions in file order; lines with an unknown keyword are left out.
    pub instructions: Vec<Instruction>,
    /// Build stages, one per `FROM`.
    pub stages: Vec<Stage>,
    /// Problems found; parsing went on after each one.
    pub errors: Vec<ParseError>,
    /// Escape character in effect: `\` (default) or `` ` ``.
    pub escape: char,
}

/// A parser directive such as `# syntax=docker/dockerfile:1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lowercased name (`syntax`, `escape` or `check`).
    pub name: String,
    /// Value with surrounding whitespace removed.
    pub value: String,
    /// The whole directive line.
    pub span: Range<usize>,
}

/// A comment line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Text after the `#`, trimmed.
    pub text: String,
    /// From the `#` to the end of the line (line break excluded).
    pub span: Range<usize>,
}

/// A hard problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong, for humans.
    pub message: String,
    /// Where: usually the keyword, flag, word or heredoc marker at fault.
    pub span: Range<usize>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {:?}", self.message, self.span)
    }
}

/// A piece of text with its source span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Processed text (quotes/escapes removed where the context does so).
    pub text: String,
    /// Span of the raw text; for JSON strings, the content between the quotes.
    pub span: Range<usize>,
}

/// A `--name[=value]` flag before an instruction's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Name without the leading `--`.
    pub name: String,
    /// Value after the first `=`, quotes removed; `None` for bare flags like `--link`.
    pub value: Option<String>,
    /// The whole raw flag.
    pub span: Range<usize>,
}

impl Flag {
    /// For comma-separated values (`--mount=type=cache,target=/x`): the value of `key`
    /// (`""` for a bare key).
    pub fn option(&self, key: &str) -> Option<&str> {
        self.value.as_deref()?.split(',').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.trim() == key).then_some(v.trim())
        })
    }
}

/// Instruction arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// A JSON string array: `CMD ["app", "--port", "8080"]`.
    Exec(Vec<Word>),
    /// Anything else, as text.
    Shell(ShellText),
}

/// Text assembled from one or more source pieces (continuation lines joined, or
/// heredoc lines), which remembers where every byte came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellText {
    /// The joined text (escape + line break removed, comment lines dropped).
    pub text: String,
    /// From the first to the last source byte that made up `text`.
    pub span: Range<usize>,
    /// (offset in `text`, offset in source) at the start of each piece.
    map: Vec<(usize, usize)>,
    escape: char,
}

/// A heredoc attached to a `RUN`, `COPY` or `ADD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// Delimiter with quotes removed (`EOF`).
    pub delimiter: String,
    /// Span of the marker word (`<<-"EOF"`).
    pub marker: Range<usize>,
    /// `<<-`: leading tabs are stripped from body lines and the terminator.
    pub strip_tabs: bool,
    /// The delimiter was quoted, so the body is not variable-expanded.
    pub quoted: bool,
    /// Body lines as written (each ending in `\n`, `\r` removed), terminator excluded.
    pub body: ShellText,
}

impl Heredoc {
    /// The body as Docker delivers it (leading tabs removed for `<<-`).
    pub fn content(&self) -> String {
        if !self.strip_tabs {
            return self.body.text.clone();
        }
        let lines = self.body.text.split_inclusive('\n');
        lines.map(|l| l.trim_start_matches('\t')).collect()
    }
}

/// One instruction, possibly spanning several physical lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Uppercased keyword (`RUN`).
    pub keyword: String,
    /// From the keyword to the end of the last line (heredoc terminators included).
    pub span: Range<usize>,
    /// Span of the keyword as written.
    pub keyword_span: Range<usize>,
    /// Leading `--name[=value]` flags.
    pub flags: Vec<Flag>,
    /// Arguments after the flags (for ONBUILD: the raw inner instruction).
    pub args: Args,
    /// Heredoc bodies, in marker order (on the inner instruction for ONBUILD).
    pub heredocs: Vec<Heredoc>,
    /// For `ONBUILD <instr>`: the inner instruction.
    pub onbuild: Option<Box<Instruction>>,
}

/// `ENV`/`LABEL` pair or `ARG` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// Unquoted key.
    pub key: String,
    /// Raw key text.
    pub key_span: Range<usize>,
    /// Unquoted value; `None` for `ARG NAME` (or a malformed `ENV`).
    pub value: Option<String>,
    /// Raw value text (quotes included); empty at the key's end when there is no value.
    pub value_span: Range<usize>,
}

/// One `EXPOSE` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The port (or range, or variable) as written: `8080`.
    pub port: String,
    /// `tcp`/`udp` when given.
    pub protocol: Option<String>,
    /// The whole entry (`53/udp`).
    pub span: Range<usize>,
}

/// `USER name[:group]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User name or UID.
    pub user: Word,
    /// Group after the `:`.
    pub group: Option<Word>,
}

/// `HEALTHCHECK` forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`.
    Disabled,
    /// `HEALTHCHECK [flags] CMD ...`; flags are on the instruction.
    Cmd(Args),
}

/// `COPY`/`ADD` paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyArgs {
    /// Sources (heredoc markers like `<<EOF` included as written).
    pub sources: Vec<Word>,
    /// The last path.
    pub dest: Word,
}

/// A build stage (`FROM ... [AS name]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Position among the stages (what `--from=0` refers to).
    pub index: usize,
    /// Image reference as written (`rust:${V}-slim`); empty text if missing.
    pub image: Word,
    /// Stage name as written (Docker compares names case-insensitively).
    pub name: Option<Word>,
    /// The `--platform` flag, if any.
    pub platform: Option<Flag>,
    /// Span of the FROM instruction.
    pub span: Range<usize>,
    /// Indices into [`Dockerfile::instructions`]; the first is the FROM itself.
    pub instructions: Range<usize>,
}

/// An image reference split into parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port) when the first component looks like one.
    pub registry: Option<String>,
    /// Name without tag and digest, registry included: `ghcr.io/org/app`.
    pub name: String,
    /// Tag after the last `:` of the last path component.
    pub tag: Option<String>,
    /// `sha256:...`.
    pub digest: Option<String>,
}

/// What a `FROM` or `--from=` refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// `scratch`.
    Scratch,
    /// Another stage of this file, by index.
    Stage(usize),
    /// An external image (after global ARG substitution).
    Image(ImageRef),
    /// Empty, or uses a variable without a value; raw text kept.
    Unresolved(String),
}

/// Parses a Dockerfile. Never panics; see [`Dockerfile::errors`].
pub fn parse(text: &str) -> Dockerfile {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut p = Parser {
        src: text,
        lines: split_lines(text, start),
        i: 0,
        df: Dockerfile {
            directives: Vec::new(),
            comments: Vec::new(),
            instructions: Vec::new(),
            stages: Vec::new(),
            errors: Vec::new(),
            escape: '\\',
        },
    };
    p.directives();
    p.body();
    p.df
}

/// Substitutes `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}` and
/// `${VAR+alt}`; `\$` is a literal `$`. `None` if a needed variable has no value.
pub fn substitute(text: &str, vars: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    expand_vars(text, '\\', vars, 0)
}

impl Dockerfile {
    /// The last stage (what a build without `--target` produces).
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The stage named `target` (case-insensitive).
    pub fn stage_by_target(&self, target: &str) -> Option<&Stage> {
        let named = |s: &&Stage| {
            s.name
                .as_ref()
                .is_some_and(|n| n.text.eq_ignore_ascii_case(target))
        };
        self.stages.iter().find(named)
    }

    /// The instructions of `stage`, starting with its FROM.
    pub fn stage_instructions(&self, stage: &Stage) -> &[Instruction] {
        self.instructions
            .get(stage.instructions.clone())
            .unwrap_or(&[])
    }

    /// The stage containing instruction number `index`.
    pub fn stage_of(&self, index: usize) -> Option<&Stage> {
        self.stages.iter().find(|s| s.instructions.contains(&index))
    }

    /// Value of a global ARG (declared before the first FROM), defaults expanded.
    pub fn global_arg(&self, name: &str) -> Option<String> {
        lookup(&self.global_vars(), name)
    }

    /// Substitutes global ARG values into `text`; `None` if a variable has no value.
    pub fn expand(&self, text: &str) -> Option<String> {
        let vars = self.global_vars();
        expand_vars(text, self.escape, &|n| lookup(&vars, n), 0)
    }

    /// What the stage's `FROM` names: scratch, an earlier stage, or an image.
    pub fn resolve_image(&self, stage: &Stage) -> ImageSource {
        self.resolve(&stage.image.text, stage.index, true)
    }

    /// What a `--from=<reference>` inside `stage` names: another stage or an image.
    /// Only global ARGs are substituted (stage-level ARGs are not tracked).
    pub fn resolve_from(&self, stage: &Stage, reference: &str) -> ImageSource {
        self.resolve(reference, stage.index, false)
    }

    fn resolve(&self, raw: &str, current: usize, base: bool) -> ImageSource {
        let text = match self.expand(raw) {
            Some(t) if !t.is_empty() => t,
            _ => return ImageSource::Unresolved(raw.to_string()),
        };
        if text.eq_ignore_ascii_case("scratch") {
            return ImageSource::Scratch;
        }
        // FROM may only name earlier stages; --from may name any other stage.
        let allowed = |i: usize| if base { i < current } else { i != current };
        let index = text
            .parse::<usize>()
            .ok()
            .filter(|_| text.bytes().all(|c| c.is_ascii_digit()));
        if let Some(n) = index.filter(|&n| n < self.stages.len() && allowed(n)) {
            return ImageSource::Stage(n);
        }
        let named = |s: &&Stage| {
            allowed(s.index)
                && s.name
                    .as_ref()
                    .is_some_and(|n| n.text.eq_ignore_ascii_case(&text))
        };
        match self.stages.iter().find(named) {
            Some(s) => ImageSource::Stage(s.index),
            None => ImageSource::Image(ImageRef::parse(&text)),
        }
    }

    fn global_vars(&self) -> Vec<(String, Option<String>)> {
        let mut vars: Vec<(String, Option<String>)> = Vec::new();
        let globals = self.instructions.iter().take_while(|i| i.keyword != "FROM");
        for inst in globals.filter(|i| i.keyword == "ARG") {
            for kv in inst.key_values() {
                let value = kv
                    .value
                    .and_then(|v| expand_vars(&v, self.escape, &|n| lookup(&vars, n), 0));
                vars.retain(|(k, _)| *k != kv.key);
                vars.push((kv.key, value));
            }
        }
        vars
    }
}

fn lookup(vars: &[(String, Option<String>)], name: &str) -> Option<String> {
    vars.iter()
        .rev()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.clone())
}

impl ImageRef {
    /// Splits `registry:5000/ns/name:tag@sha256:...` (a port colon is not a tag).
    pub fn parse(reference: &str) -> ImageRef {
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (reference, None),
        };
        let slash = rest.rfind('/');
        let (name, tag) = match rest.rfind(':') {
            Some(c) if slash.is_none_or(|s| c > s) => (&rest[..c], Some(rest[c + 1..].to_string())),
            _ => (rest, None),
        };
        let registry = name
            .split_once('/')
            .map(|(host, _)| host)
            .filter(|h| h.contains(['.', ':']) || *h == "localhost")
            .map(str::to_string);
        ImageRef {
            registry,
            name: name.to_string(),
            tag,
            digest,
        }
    }

    /// The name without the registry: `org/app` for `ghcr.io/org/app`.
    pub fn repository(&self) -> &str {
        match &self.registry {
            Some(r) => self.name.get(r.len() + 1..).unwrap_or(""),
            None => &self.name,
        }
    }
}

impl Instruction {
    /// The flag `--name`, if present.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// `ENV`/`LABEL` pairs (both `K=v K2="v 2"` and legacy `K value`) and `ARG` declarations.
    pub fn key_values(&self) -> Vec<KeyValue> {
        let Args::Shell(st) = &self.args else {
            return Vec::new();
        };
        let words = docker_words(&st.text, st.escape);
        let legacy = match self.keyword.as_str() {
            "ARG" => false,
            "ENV" | "LABEL" => words
                .first()
                .is_some_and(|w| !st.text[w.clone()].contains('=')),
            _ => return Vec::new(),
        };
        if legacy {
            let b = st.text.as_bytes();
            let key_end = b.iter().position(|&c| is_ws(c)).unwrap_or(b.len());
            let vstart = skip_ws(b, key_end);
            return vec![KeyValue {
                key: unquote(&st.text[..key_end], st.escape),
                key_span: st.source_span(0..key_end),
                value: (vstart < b.len()).then(|| unquote(&st.text[vstart..], st.escape)),
                value_span: st.source_span(vstart..b.len()),
            }];
        }
        let pair = |r: Range<usize>| {
            let w = &st.text[r.clone()];
            match w.find('=') {
                Some(eq) => KeyValue {
                    key: unquote(&w[..eq], st.escape),
                    key_span: st.source_span(r.start..r.start + eq),
                    value: Some(unquote(&w[eq + 1..], st.escape)),
                    value_span: st.source_span(r.start + eq + 1..r.end),
                },
                None => KeyValue {
                    key: unquote(w, st.escape),
                    key_span: st.source_span(r.clone()),
                    value: None,
                    value_span: st.source_span(r.end..r.end),
                },
            }
        };
        words.into_iter().map(pair).collect()
    }

    /// `EXPOSE` entries.
    pub fn ports(&self) -> Vec<Port> {
        let Args::Shell(st) = &self.args else {
            return Vec::new();
        };
        if self.keyword != "EXPOSE" {
            return Vec::new();
        }
        let port = |w: Word| {
            let (port, protocol) = match w.text.split_once('/') {
                Some((p, proto)) => (p.to_string(), Some(proto.to_string())),
                None => (w.text.clone(), None),
            };
            Port {
                port,
                protocol,
                span: w.span,
            }
        };
        st.fields().into_iter().map(port).collect()
    }

    /// `USER name[:group]`.
    pub fn user(&self) -> Option<User> {
        let Args::Shell(st) = &self.args else {
            return None;
        };
        if self.keyword != "USER" || st.text.is_empty() {
            return None;
        }
        let t = &st.text;
        let word = |r: Range<usize>| Word {
            text: t[r.clone()].to_string(),
            span: st.source_span(r),
        };
        Some(match t.find(':') {
            Some(c) => User {
                user: word(0..c),
                group: Some(word(c + 1..t.len())),
            },
            None => User {
                user: word(0..t.len()),
                group: None,
            },
        })
    }

    /// `HEALTHCHECK NONE` or `HEALTHCHECK [flags] CMD ...` (exec or shell form).
    pub fn healthcheck(&self) -> Option<Healthcheck> {
        let Args::Shell(st) = &self.args else {
            return None;
        };
        if self.keyword != "HEALTHCHECK" {
            return None;
        }
        let b = st.text.as_bytes();
        let end = b.iter().position(|&c| is_ws(c)).unwrap_or(b.len());
        let kind = &st.text[..end];
        if kind.eq_ignore_ascii_case("NONE") {
            Some(Healthcheck::Disabled)
        } else if kind.eq_ignore_ascii_case("CMD") {
            Some(Healthcheck::Cmd(maybe_json(
                st.sub(skip_ws(b, end)..b.len()),
            )))
        } else {
            None
        }
    }

    /// `COPY`/`ADD` sources and destination (needs at least two paths).
    pub fn copy_args(&self) -> Option<CopyArgs> {
        if !matches!(self.keyword.as_str(), "COPY" | "ADD") {
            return None;
        }
        let mut words = match &self.args {
            Args::Exec(w) => w.clone(),
            Args::Shell(st) => st.fields(),
        };
        let dest = words.pop()?;
        (!words.is_empty()).then_some(CopyArgs {
            sources: words,
            dest,
        })
    }
}

impl ShellText {
    fn empty(at: usize, escape: char) -> ShellText {
        ShellText {
            text: String::new(),
            span: at..at,
            map: Vec::new(),
            escape,
        }
    }

    fn push(&mut self, src: &str, r: Range<usize>) {
        let Some(piece) = src.get(r.clone()).filter(|p| !p.is_empty()) else {
            return;
        };
        if self.map.is_empty() {
            self.span.start = r.start;
        }
        self.span.end = r.end;
        self.map.push((self.text.len(), r.start));
        self.text.push_str(piece);
    }

    fn pos(&self, i: usize) -> usize {
        match self.map.partition_point(|&(t, _)| t <= i) {
            0 => self.span.start,
            k => self.map[k - 1].1 + (i - self.map[k - 1].0),
        }
    }

    /// Maps a byte range of [`ShellText::text`] to a source span.
    pub fn source_span(&self, r: Range<usize>) -> Range<usize> {
        let start = self.pos(r.start);
        let end = if r.end > r.start {
            self.pos(r.end - 1) + 1
        } else {
            start
        };
        start..end
    }

    fn sub(&self, r: Range<usize>) -> ShellText {
        let mut map = vec![(0, self.pos(r.start))];
        let inside = self.map.iter().filter(|(t, _)| *t > r.start && *t < r.end);
        map.extend(inside.map(|&(t, s)| (t - r.start, s)));
        let text = self.text.get(r.clone()).unwrap_or("").to_string();
        ShellText {
            text,
            span: self.source_span(r),
            map,
            escape: self.escape,
        }
    }

    /// Splits on whitespace only (Docker's rule for FROM, EXPOSE, COPY shell form).
    pub fn fields(&self) -> Vec<Word> {
        let b = self.text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if is_ws(b[i]) {
                i += 1;
                continue;
            }
            let s = i;
            while i < b.len() && !is_ws(b[i]) {
                i += 1;
            }
            out.push(Word {
                text: self.text[s..i].to_string(),
                span: self.source_span(s..i),
            });
        }
        out
    }

    /// Splits like a POSIX shell, roughly: quotes and `\` are honoured and removed,
    /// `#` comments skipped, and `&&`, `||`, `|`, `;`, `&` and line breaks (`"\n"`)
    /// come out as words of their own. Spans cover the raw word.
    pub fn words(&self) -> Vec<Word> {
        let w = |(text, r): (String, Range<usize>)| Word {
            text,
            span: self.source_span(r),
        };
        shell_words(&self.text).into_iter().map(w).collect()
    }
}

#[derive(Clone, Copy)]
struct Line {
    start: usize,
    /// End of content (line break and a trailing `\r` excluded).
    end: usize,
    /// Start of the next line.
    next: usize,
}

struct Parser<'a> {
    src: &'a str,
    lines: Vec<Line>,
    i: usize,
    df: Dockerfile,
}

impl Parser<'_> {
    fn error(&mut self, message: impl Into<String>, span: Range<usize>) {
        self.df.errors.push(ParseError {
            message: message.into(),
            span,
        });
    }

    fn directives(&mut self) {
        while let Some(&l) = self.lines.get(self.i) {
            let line = &self.src[l.start..l.end];
            let Some((name, value)) = directive(line) else {
                break;
            };
            let name = line[name].to_ascii_lowercase();
            if !matches!(name.as_str(), "syntax" | "escape" | "check") {
                break; // an unknown directive is a comment and ends the directive block
            }
            self.i += 1;
            let b = self.src.as_bytes();
            let span = skip_ws(&b[..l.end], l.start)..trim_end(b, l.start, l.end);
            let value = line[value].to_string();
            if self.df.directives.iter().any(|d| d.name == name) {
                self.error(
                    format!("only one `{name}` parser directive can be used"),
                    span,
                );
                continue;
            }
            if name == "escape" {
                match value.as_str() {
                    "\\" => self.df.escape = '\\',
                    "`" => self.df.escape = '`',
                    _ => self.error(
                        format!("invalid escape `{}` (must be \\ or `)", clip(&value)),
                        span.clone(),
                    ),
                }
            }
            self.df.directives.push(Directive { name, value, span });
        }
    }

    fn body(&mut self) {
        let src = self.src;
        let b = src.as_bytes();
        while let Some(&l) = self.lines.get(self.i) {
            self.i += 1;
            let start = skip_ws(&b[..l.end], l.start);
            if start == l.end {
                continue;
            }
            if b[start] == b'#' {
                self.comment(start, l.end);
                continue;
            }
            let mut line = ShellText::empty(start, self.df.escape);
            let (end, mut cont) = self.strip_continuation(start, l.end);
            line.push(src, start..end);
            let mut last = trim_end(b, start, l.end);
            while cont {
                let Some(&n) = self.lines.get(self.i) else {
                    break;
                };
                self.i += 1;
                let s = skip_ws(&b[..n.end], n.start);
                if s == n.end {
                    continue; // Docker skips empty continuation lines
                }
                if b[s] == b'#' {
                    self.comment(s, n.end);
                    continue;
                }
                let end;
                (end, cont) = self.strip_continuation(n.start, n.end);
                line.push(src, n.start..end);
                last = trim_end(b, n.start, n.end);
            }
            let from = skip_ws(line.text.as_bytes(), 0);
            if from == line.text.len() {
                continue;
            }
            let Some(mut inst) = self.instruction(&line, from, false, last) else {
                continue;
            };
            let end = match inst.onbuild.as_deref_mut() {
                Some(inner) => self.heredocs(inner),
                None => self.heredocs(&mut inst),
            };
            if let Some(end) = end {
                inst.span.end = end;
            }
            self.place(inst);
        }
    }

    fn comment(&mut self, start: usize, end: usize) {
        let end = trim_end(self.src.as_bytes(), start, end);
        let text = self.src[start + 1..end].trim().to_string();
        self.df.comments.push(Comment {
            text,
            span: start..end,
        });
    }

    /// If the line ends in the escape character (plus blanks), returns its offset and `true`.
    fn strip_continuation(&self, start: usize, end: usize) -> (usize, bool) {
        let b = self.src.as_bytes();
        let mut e = end;
        while e > start && matches!(b[e - 1], b' ' | b'\t') {
            e -= 1;
        }
        if e > start && b[e - 1] == self.df.escape as u8 {
            (e - 1, true)
        } else {
            (end, false)
        }
    }

    fn instruction(
        &mut self,
        line: &ShellText,
        from: usize,
        nested: bool,
        end: usize,
    ) -> Option<Instruction> {
        let t = &line.text;
        let b = t.as_bytes();
        let kw_end = b[from..]
            .iter()
            .position(|&c| is_ws(c))
            .map_or(b.len(), |k| from + k);
        let keyword = t[from..kw_end].to_ascii_uppercase();
        let keyword_span = line.source_span(from..kw_end);
        if !KEYWORDS.contains(&keyword.as_str()) {
            self.error(
                format!("unknown instruction `{}`", clip(&t[from..kw_end])),
                keyword_span,
            );
            return None;
        }
        if nested && matches!(keyword.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
            self.error(
                format!("{keyword} is not allowed inside ONBUILD"),
                keyword_span,
            );
            return None;
        }
        let mut pos = skip_ws(b, kw_end);
        let mut flags = Vec::new();
        if keyword != "ONBUILD" {
            (flags, pos) = parse_flags(line, pos);
        }
        let rest = line.sub(pos..trim_end(b, pos, b.len()));
        let mut onbuild = None;
        if keyword == "ONBUILD" {
            if rest.text.is_empty() {
                self.error("ONBUILD needs an instruction", keyword_span.clone());
            } else {
                onbuild = self.instruction(line, pos, true, end).map(Box::new);
            }
        }
        let args = if JSON_FORMS.contains(&keyword.as_str()) {
            maybe_json(rest)
        } else {
            Args::Shell(rest)
        };
        Some(Instruction {
            span: keyword_span.start..end,
            keyword,
            keyword_span,
            flags,
            args,
            heredocs: Vec::new(),
            onbuild,
        })
    }

    /// Reads the bodies of `inst`'s heredocs; returns the new end of the instruction.
    fn heredocs(&mut self, inst: &mut Instruction) -> Option<usize> {
        let src = self.src;
        let mut end = None;
        for (marker, delimiter, strip_tabs, quoted) in heredoc_markers(inst) {
            let at = self.lines.get(self.i).map_or(src.len(), |l| l.start);
            let mut body = ShellText::empty(at, '\\');
            let mut terminated = false;
            while let Some(&l) = self.lines.get(self.i) {
                self.i += 1;
                end = Some(l.end);
                let line = &src[l.start..l.end];
                let candidate = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if candidate == delimiter {
                    terminated = true;
                    break;
                }
                body.push(src, l.start..l.end);
                if l.next > l.end && src.as_bytes()[l.next - 1] == b'\n' {
                    body.push(src, l.next - 1..l.next);
                }
            }
            if !terminated {
                self.error(
                    format!("unterminated heredoc `{}`", clip(&delimiter)),
                    marker.clone(),
                );
            }
            inst.heredocs.push(Heredoc {
                delimiter,
                marker,
                strip_tabs,
                quoted,
                body,
            });
            if !terminated {
                break;
            }
        }
        if let Some(e) = end {
            inst.span.end = e;
        }
        end
    }

    /// Adds `inst` to the file and its stage.
    fn place(&mut self, inst: Instruction) {
        let idx = self.df.instructions.len();
        if inst.keyword == "FROM" {
            self.stage(&inst, idx);
        } else if let Some(stage) = self.df.stages.last_mut() {
            stage.instructions.end = idx + 1;
        } else if inst.keyword != "ARG" {
            let msg = format!(
                "{} before the first FROM (only ARG may come first)",
                inst.keyword
            );
            self.error(msg, inst.keyword_span.clone());
        }
        self.validate(&inst);
        if let Some(inner) = &inst.onbuild {
            self.validate(inner);
        }
        self.df.instructions.push(inst);
    }

    fn stage(&mut self, inst: &Instruction, idx: usize) {
        let words = match &inst.args {
            Args::Shell(st) => st.fields(),
            Args::Exec(w) => w.clone(),
        };
        let kw_end = inst.keyword_span.end;
        let image = words.first().cloned().unwrap_or_else(|| {
            self.error("FROM requires an image", inst.keyword_span.clone());
            Word {
                text: String::new(),
                span: kw_end..kw_end,
            }
        });
        let mut name = None;
        match words.as_slice() {
            [] | [_] => {}
            [_, as_, n] if as_.text.eq_ignore_ascii_case("as") => name = Some(n.clone()),
            [_, rest @ ..] => {
                if let (Some(a), Some(z)) = (rest.first(), rest.last()) {
                    self.error("FROM expects `image [AS name]`", a.span.start..z.span.end);
                }
            }
        }
        if let Some(n) = &name {
            let same = |s: &Stage| {
                s.name
                    .as_ref()
                    .is_some_and(|m| m.text.eq_ignore_ascii_case(&n.text))
            };
            if self.df.stages.iter().any(same) {
                self.error(
                    format!("duplicate stage name `{}`", clip(&n.text)),
                    n.span.clone(),
                );
            }
        }
        self.df.stages.push(Stage {
            index: self.df.stages.len(),
            image,
            name,
            platform: inst.flag("platform").cloned(),
            span: inst.span.clone(),
            instructions: idx..idx + 1,
        });
    }

    /// Instruction-specific hard errors.
    fn validate(&mut self, inst: &Instruction) {
        let kw = inst.keyword.as_str();
        let span = inst.keyword_span.clone();
        match kw {
            "COPY" | "ADD" if inst.copy_args().is_none() => {
                self.error(format!("{kw} requires a source and a destination"), span);
            }
            "ENV" | "LABEL" => {
                let kvs = inst.key_values();
                if kvs.is_empty() {
                    self.error(format!("{kw} requires at least one key=value"), span);
                }
                for kv in kvs.iter().filter(|kv| kv.value.is_none()) {
                    self.error(
                        format!("{kw} `{}` has no value", clip(&kv.key)),
                        kv.key_span.clone(),
                    );
                }
            }
            "HEALTHCHECK" if inst.healthcheck().is_none() => {
                self.error("HEALTHCHECK expects NONE or CMD", span);
            }
            _ => {}
        }
    }
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ws(b[i]) {
        i += 1;
    }
    i
}

fn trim_end(b: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && is_ws(b[end - 1]) {
        end -= 1;
    }
    end
}

/// Shortens text quoted in error messages.
fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn split_lines(text: &str, mut pos: usize) -> Vec<Line> {
    let b = text.as_bytes();
    let mut lines = Vec::new();
    while pos < b.len() {
        let nl = b[pos..].iter().position(|&c| c == b'\n').map(|k| pos + k);
        let next = nl.map_or(b.len(), |n| n + 1);
        let mut end = nl.unwrap_or(b.len());
        if end > pos && b[end - 1] == b'\r' {
            end -= 1;
        }
        lines.push(Line {
            start: pos,
            end,
            next,
        });
        pos = next;
    }
    lines
}

/// `#\s*name\s*=\s*value` → (name, value) ranges within `line`.
fn directive(line: &str) -> Option<(Range<usize>, Range<usize>)> {
    let b = line.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'#') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let name_start = i;
    if !b.get(i).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    while b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
        i += 1;
    }
    let name_end = i;
    i = skip_ws(b, i);
    if b.get(i) != Some(&b'=') {
        return None;
    }
    let vs = skip_ws(b, i + 1);
    let ve = trim_end(b, vs, b.len());
    (ve > vs).then_some((name_start..name_end, vs..ve))
}

/// Leading `--name[=value]` words (Docker's `extractBuilderFlags`); returns the
/// flags and where the arguments start.
fn parse_flags(line: &ShellText, mut pos: usize) -> (Vec<Flag>, usize) {
    let b = line.text.as_bytes();
    let mut flags = Vec::new();
    loop {
        pos = skip_ws(b, pos);
        if !b[pos..].starts_with(b"--") {
            return (flags, pos);
        }
        let start = pos;
        let mut word = Vec::new();
        let mut quote = None;
        while pos < b.len() {
            let c = b[pos];
            match quote {
                None if is_ws(c) => break,
                None if c == b'\'' || c == b'"' => quote = Some(c),
                Some(q) if c == q => quote = None,
                _ if c == b'\\' => {
                    pos += 1;
                    if let Some(&n) = b.get(pos) {
                        word.push(n);
                    }
                }
                _ => word.push(c),
            }
            pos += 1;
        }
        pos = pos.min(b.len());
        if word == b"--" {
            return (flags, skip_ws(b, pos));
        }
        let word = String::from_utf8_lossy(&word[2..]).into_owned();
        let (name, value) = match word.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (word, None),
        };
        flags.push(Flag {
            name,
            value,
            span: line.source_span(start..pos),
        });
    }
}

/// Exec form if `st` is a JSON string array, else shell form (as Docker does).
fn maybe_json(st: ShellText) -> Args {
    match st.text.starts_with('[').then(|| json_array(&st)).flatten() {
        Some(words) => Args::Exec(words),
        None => Args::Shell(st),
    }
}

fn json_array(st: &ShellText) -> Option<Vec<Word>> {
    let t = st.text.as_str();
    let b = t.as_bytes();
    let ws = |mut i: usize| {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            i += 1;
        }
        i
    };
    let mut p = ws(0);
    if b.get(p) != Some(&b'[') {
        return None;
    }
    p = ws(p + 1);
    let mut out = Vec::new();
    if b.get(p) == Some(&b']') {
        p += 1;
    } else {
        loop {
            let (text, content) = json_string(t, p)?;
            p = ws(content.end + 1);
            out.push(Word {
                text,
                span: st.source_span(content),
            });
            match b.get(p) {
                Some(b',') => p = ws(p + 1),
                Some(b']') => {
                    p += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (ws(p) == b.len()).then_some(out)
}

/// A JSON string starting at `p`: decoded text and the range between the quotes.
fn json_string(t: &str, p: usize) -> Option<(String, Range<usize>)> {
    let body = t.get(p..)?.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, p + 1..p + 1 + i)),
            '\\' => {
                let decoded = match chars.next()?.1 {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let hi = hex4(&mut chars)?;
                        let mut look = chars.clone();
                        let pair = (0xD800..0xDC00).contains(&hi)
                            && look.next().map(|x| x.1) == Some('\\')
                            && look.next().map(|x| x.1) == Some('u');
                        match pair.then(|| hex4(&mut look)).flatten() {
                            Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                chars = look;
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            }
                            _ => char::from_u32(hi),
                        }
                        .unwrap_or('\u{fffd}')
                    }
                    _ => return None,
                };
                out.push(decoded);
            }
            c if (c as u32) < 0x20 => return None,
            c => out.push(c),
        }
    }
    None
}

fn hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.1.to_digit(16)?;
    }
    Some(v)
}

/// Raw word ranges, split on whitespace outside quotes (Docker's `parseWords`).
fn docker_words(text: &str, escape: char) -> Vec<Range<usize>> {
    let esc = escape as u8;
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if is_ws(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut quote = None;
        while i < b.len() {
            let c = b[i];
            match quote {
                None if is_ws(c) => break,
                None if c == esc => i += 1,
                None if c == b'\'' || c == b'"' => quote = Some(c),
                Some(q) if c == q => quote = None,
                Some(q) if c == esc && q != b'\'' => i += 1,
                _ => {}
            }
            i += 1;
        }
        i = i.min(b.len());
        out.push(start..i);
    }
    out
}

/// Removes quotes and escapes like Docker's word processing, without expanding variables.
fn unquote(raw: &str, escape: char) -> String {
    let mut out = String::new();
    let mut it = raw.chars().peekable();
    let mut quote = None;
    while let Some(c) = it.next() {
        match quote {
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == escape => out.extend(it.next()),
            Some(q) if c == q => quote = None,
            Some('"') if c == escape => match it.peek() {
                Some(&n) if n == '"' || n == '$' || n == escape => {
                    out.push(n);
                    it.next();
                }
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out
}

fn operator_at(b: &[u8], i: usize) -> Option<&'static str> {
    let ops = ["&&", "||", ";", "|", "&"];
    ops.into_iter().find(|op| b[i..].starts_with(op.as_bytes()))
}

/// POSIX-ish word splitting with ranges into `text`; see [`ShellText::words`].
pub fn shell_words(text: &str) -> Vec<(String, Range<usize>)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            out.push(("\n".to_string(), i..i + 1));
            i += 1;
            continue;
        }
        if is_ws(c) {
            i += 1;
            continue;
        }
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if let Some(op) = operator_at(b, i) {
            out.push((op.to_string(), i..i + op.len()));
            i += op.len();
            continue;
        }
        let start = i;
        let mut word = Vec::new();
        let mut quote = None;
        let mut quoted = false;
        while i < b.len() {
            let c = b[i];
            match quote {
                None if is_ws(c) || operator_at(b, i).is_some() => break,
                None if c == b'\'' || c == b'"' => {
                    quote = Some(c);
                    quoted = true;
                }
                None if c == b'\\' => {
                    i += 1;
                    if let Some(&n) = b.get(i).filter(|&&n| n != b'\n') {
                        word.push(n);
                    }
                }
                Some(q) if c == q => quote = None,
                Some(b'"')
                    if c == b'\\' && matches!(b.get(i + 1), Some(b'"' | b'\\' | b'$' | b'`')) =>
                {
                    i += 1;
                    word.push(b[i]);
                }
                _ => word.push(c),
            }
            i += 1;
        }
        i = i.min(b.len());
        if !word.is_empty() || quoted {
            out.push((String::from_utf8_lossy(&word).into_owned(), start..i));
        }
    }
    out
}

/// Heredoc markers in a RUN/COPY/ADD shell form: (marker span, delimiter, strip tabs, quoted).
fn heredoc_markers(inst: &Instruction) -> Vec<(Range<usize>, String, bool, bool)> {
    let Args::Shell(st) = &inst.args else {
        return Vec::new();
    };
    if !matches!(inst.keyword.as_str(), "RUN" | "COPY" | "ADD") || !st.text.contains("<<") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for r in docker_words(&st.text, '\\') {
        let word = st.text[r.clone()].trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(rest) = word.strip_prefix("<<") else {
            continue;
        };
        let (strip, name) = match rest.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, rest),
        };
        if name.contains('<') {
            continue; // `<<<` is a here-string
        }
        let delimiter = unquote(name, '\\');
        if !delimiter.is_empty() {
            out.push((
                st.source_span(r),
                delimiter,
                strip,
                name.contains(['"', '\'']),
            ));
        }
    }
    out
}

fn expand_vars(
    text: &str,
    escape: char,
    vars: &dyn Fn(&str) -> Option<String>,
    depth: usize,
) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    let is_name = |c: char| c == '_' || c.is_ascii_alphanumeric();
    let mut out = String::new();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c == escape && it.peek().map(|x| x.1) == Some('$') {
            out.push('$');
            it.next();
            continue;
        }
        if c != '$' {
            out.push(c);
            continue;
        }
        match it.peek().map(|x| x.1) {
            Some('{') => {
                it.next();
                let mut level = 1;
                let mut close = None;
                for (j, ch) in it.by_ref() {
                    match ch {
                        '{' => level += 1,
                        '}' => {
                            level -= 1;
                            if level == 0 {
                                close = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let body = &text[i + 2..close?];
                let (name, op) = body.split_at(body.find(|c| !is_name(c)).unwrap_or(body.len()));
                if name.is_empty() {
                    return None;
                }
                let value = vars(name);
                let sub = |w: &str| expand_vars(w, escape, vars, depth + 1);
                let set = value.as_deref().is_some_and(|v| !v.is_empty());
                let result = if op.is_empty() {
                    value?
                } else if let Some(w) = op.strip_prefix(":-") {
                    if set { value? } else { sub(w)? }
                } else if let Some(w) = op.strip_prefix(":+") {
                    if set { sub(w)? } else { String::new() }
                } else if let Some(w) = op.strip_prefix('-') {
                    match value {
                        Some(v) => v,
                        None => sub(w)?,
                    }
                } else if let Some(w) = op.strip_prefix('+') {
                    if value.is_some() {
                        sub(w)?
                    } else {
                        String::new()
                    }
                } else {
                    return None;
                };
                out.push_str(&result);
            }
            Some(n) if is_name(n) => {
                let mut end = i + 1;
                while let Some(&(j, ch)) = it.peek() {
                    if !is_name(ch) {
                        break;
                    }
                    end = j + ch.len_utf8();
                    it.next();
                }
                out.push_str(&vars(&text[i + 1..end])?);
            }
            _ => out.push('$'),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every span must slice the text; returns the parse for further checks.
    fn check(text: &str) -> Dockerfile {
        let df = parse(text);
        let ok = |r: &Range<usize>| r.start <= r.end && text.get(r.clone()).is_some();
        fn inst_spans(i: &Instruction, out: &mut Vec<Range<usize>>) {
            out.extend([i.span.clone(), i.keyword_span.clone()]);
            out.extend(i.flags.iter().map(|f| f.span.clone()));
            match &i.args {
                Args::Exec(w) => out.extend(w.iter().map(|w| w.span.clone())),
                Args::Shell(st) => {
                    out.push(st.span.clone());
                    out.extend(st.words().into_iter().map(|w| w.span));
                    out.extend(st.fields().into_iter().map(|w| w.span));
                }
            }
            for h in &i.heredocs {
                out.extend([h.marker.clone(), h.body.span.clone()]);
                out.extend(h.body.words().into_iter().map(|w| w.span));
            }
            for kv in i.key_values() {
                out.extend([kv.key_span, kv.value_span]);
            }
            if let Some(c) = &i.onbuild {
                inst_spans(c, out);
            }
        }
        let mut spans = Vec::new();
        df.instructions
            .iter()
            .for_each(|i| inst_spans(i, &mut spans));
        spans.extend(df.errors.iter().map(|e| e.span.clone()));
        spans.extend(df.comments.iter().map(|c| c.span.clone()));
        spans.extend(df.directives.iter().map(|d| d.span.clone()));
        for s in &df.stages {
            spans.extend([s.span.clone(), s.image.span.clone()]);
            let _ = df.resolve_image(s);
            let _ = df.stage_instructions(s);
        }
        for s in spans {
            assert!(ok(&s), "bad span {s:?} in {text:?}");
        }
        df
    }

    fn slice<'a>(text: &'a str, span: &Range<usize>) -> &'a str {
        &text[span.clone()]
    }

    fn shell(i: &Instruction) -> &ShellText {
        match &i.args {
            Args::Shell(st) => st,
            Args::Exec(_) => panic!("expected shell form in {i:?}"),
        }
    }

    fn exec(i: &Instruction) -> Vec<&str> {
        match &i.args {
            Args::Exec(w) => w.iter().map(|w| w.text.as_str()).collect(),
            Args::Shell(_) => panic!("expected exec form in {i:?}"),
        }
    }

    const CHEF: &str = r#"# syntax=docker/dockerfile:1.7
ARG RUST_VERSION=1.80
FROM lukemathwalker/cargo-chef:latest-rust-${RUST_VERSION} AS chef
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
# fitness: ignore[no-cache-mount]
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo chef cook --release --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin app && strip target/release/app

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=builder /app/target/release/app /usr/local/bin/app
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/app"]
"#;

    #[test]
    fn cargo_chef_multi_stage() {
        let df = check(CHEF);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        assert_eq!(df.directives.len(), 1);
        assert_eq!(df.directives[0].name, "syntax");
        assert_eq!(df.directives[0].value, "docker/dockerfile:1.7");
        assert_eq!(df.comments.len(), 1);
        assert_eq!(df.comments[0].text, "fitness: ignore[no-cache-mount]");
        assert_eq!(
            slice(CHEF, &df.comments[0].span),
            "# fitness: ignore[no-cache-mount]"
        );

        let names: Vec<_> = df
            .stages
            .iter()
            .map(|s| s.name.as_ref().unwrap().text.as_str())
            .collect();
        assert_eq!(names, ["chef", "planner", "builder", "runtime"]);
        let ImageSource::Image(chef) = df.resolve_image(&df.stages[0]) else {
            panic!()
        };
        assert_eq!(chef.name, "lukemathwalker/cargo-chef");
        assert_eq!(chef.tag.as_deref(), Some("latest-rust-1.80"));
        assert_eq!(df.resolve_image(&df.stages[1]), ImageSource::Stage(0));
        assert_eq!(df.resolve_image(&df.stages[2]), ImageSource::Stage(0));

        let last = df.final_stage().unwrap();
        assert_eq!(last.index, 3);
        let ImageSource::Image(rt) = df.resolve_image(last) else {
            panic!()
        };
        assert_eq!(rt.registry.as_deref(), Some("gcr.io"));
        assert_eq!(rt.repository(), "distroless/cc-debian12");
        assert_eq!(rt.tag.as_deref(), Some("nonroot"));
        assert_eq!(df.stage_by_target("BUILDER").unwrap().index, 2);

        let builder = &df.stages[2];
        let insts = df.stage_instructions(builder);
        assert_eq!(
            insts.iter().map(|i| i.keyword.as_str()).collect::<Vec<_>>(),
            ["FROM", "COPY", "RUN", "COPY", "RUN"]
        );
        let from = insts[1].flag("from").unwrap();
        assert_eq!(from.value.as_deref(), Some("planner"));
        assert_eq!(slice(CHEF, &from.span), "--from=planner");
        assert_eq!(df.resolve_from(builder, "planner"), ImageSource::Stage(1));
        let copy = insts[1].copy_args().unwrap();
        assert_eq!(slice(CHEF, &copy.sources[0].span), "/app/recipe.json");
        assert_eq!(slice(CHEF, &copy.dest.span), "recipe.json");

        let cook = &insts[2];
        let mount = cook.flag("mount").unwrap();
        assert_eq!(mount.option("type"), Some("cache"));
        assert_eq!(mount.option("target"), Some("/usr/local/cargo/registry"));
        let st = shell(cook);
        assert_eq!(
            st.text,
            "cargo chef cook --release --recipe-path recipe.json"
        );
        assert!(slice(CHEF, &cook.span).starts_with("RUN --mount"));
        assert!(slice(CHEF, &cook.span).ends_with("recipe.json"));

        let build = &insts[4];
        let words = shell(build).words();
        let texts: Vec<_> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(&texts[..4], ["cargo", "build", "--release", "--locked"]);
        assert_eq!(texts[6], "&&");
        assert_eq!(slice(CHEF, &words[3].span), "--locked");

        let rt_insts = df.stage_instructions(last);
        let user = rt_insts[2].user().unwrap();
        assert_eq!(user.user.text, "nonroot");
        assert_eq!(slice(CHEF, &user.group.unwrap().span), "nonroot");
        let ports = rt_insts[3].ports();
        assert_eq!(slice(CHEF, &ports[0].span), "8080");
        assert_eq!(exec(&rt_insts[4]), ["/usr/local/bin/app"]);
        let Args::Exec(ep) = &rt_insts[4].args else {
            panic!()
        };
        assert_eq!(slice(CHEF, &ep[0].span), "/usr/local/bin/app");
        assert_eq!(df.resolve_from(last, "builder"), ImageSource::Stage(2));
        assert_eq!(df.stage_of(df.instructions.len() - 1).unwrap().index, 3);
    }

    #[test]
    fn scratch_final_image_and_index_refs() {
        let text = "FROM rust:1.80 AS build\nRUN cargo build --release\nFROM scratch\nCOPY --from=0 /t/app /app\nCMD [\"/app\"]\n";
        let df = check(text);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        let last = df.final_stage().unwrap();
        assert_eq!(df.resolve_image(last), ImageSource::Scratch);
        assert!(last.name.is_none());
        assert_eq!(df.resolve_from(last, "0"), ImageSource::Stage(0));
        assert_eq!(df.resolve_from(last, "build"), ImageSource::Stage(0));
        let ImageSource::Image(ext) = df.resolve_from(last, "nginx:1.27") else {
            panic!()
        };
        assert_eq!(ext.tag.as_deref(), Some("1.27"));
        assert_eq!(slice(text, &last.span), "FROM scratch");
        // FROM <index> naming an earlier stage.
        let df = check("FROM alpine\nFROM 0\nFROM 5\n");
        assert_eq!(df.resolve_image(&df.stages[1]), ImageSource::Stage(0));
        assert!(matches!(
            df.resolve_image(&df.stages[2]),
            ImageSource::Image(_)
        ));
    }

    #[test]
    fn backtick_escape_directive() {
        let text = "# Escape=`\n# syntax=docker/dockerfile:1\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir c:\\ `\n    # dropped\n\n    && echo done\nCOPY app.exe c:\\app\\\n";
        let df = check(text);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        assert_eq!(df.escape, '`');
        assert_eq!(df.directives.len(), 2);
        assert_eq!(df.directives[0].name, "escape");
        let run = &df.instructions[1];
        assert_eq!(shell(run).text, "dir c:\\     && echo done");
        assert_eq!(df.comments.len(), 1);
        assert_eq!(df.comments[0].text, "dropped");
        assert_eq!(slice(text, &df.comments[0].span), "# dropped");
        let words = shell(run).words();
        let echo = words.iter().find(|w| w.text == "echo").unwrap();
        assert_eq!(slice(text, &echo.span), "echo");
        assert!(slice(text, &run.span).ends_with("echo done"));
        let copy = df.instructions[2].copy_args().unwrap();
        assert_eq!(copy.dest.text, "c:\\app\\");
    }

    #[test]
    fn directive_rules() {
        // A plain comment ends the directive block.
        let df = check("# hello\n# escape=`\nFROM a\n");
        assert!(df.directives.is_empty());
        assert_eq!(df.escape, '\\');
        assert_eq!(df.comments.len(), 2);
        // Unknown directive ends it too; duplicates and bad escapes are errors.
        let df = check("# foo=bar\n# escape=`\nFROM a\n");
        assert!(df.directives.is_empty());
        let text = "#escape = `\n# ESCAPE=\\\n# escape=x\nFROM a\n";
        let df = check(text);
        assert_eq!(df.directives.len(), 1);
        assert_eq!(df.errors.len(), 2);
        assert_eq!(slice(text, &df.errors[0].span), "# ESCAPE=\\");
        let df = check("#check=skip=all;error=true\nFROM a\n");
        assert_eq!(df.directives[0].value, "skip=all;error=true");
    }

    #[test]
    fn heredocs() {
        let text = "FROM debian\nRUN <<EOF\napt-get update\nFROM not-an-instruction\nEOF\nRUN <<-\"EOT\" bash -e\n\techo $HOME\n\tEOT\nCOPY <<a.txt <<'b.txt' /dst/\nalpha\na.txt\nbeta\nb.txt\nUSER app\n";
        let df = check(text);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        let kws: Vec<_> = df.instructions.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(kws, ["FROM", "RUN", "RUN", "COPY", "USER"]);
        let run = &df.instructions[1];
        assert_eq!(run.heredocs.len(), 1);
        let h = &run.heredocs[0];
        assert_eq!(h.delimiter, "EOF");
        assert_eq!(h.body.text, "apt-get update\nFROM not-an-instruction\n");
        assert_eq!(
            slice(text, &h.body.span),
            "apt-get update\nFROM not-an-instruction\n"
        );
        assert_eq!(slice(text, &h.marker), "<<EOF");
        assert_eq!(
            slice(text, &run.span),
            "RUN <<EOF\napt-get update\nFROM not-an-instruction\nEOF"
        );
        let w = h.body.words();
        assert_eq!(slice(text, &w[1].span), "update");
        assert_eq!(w[2].text, "\n");

        let run2 = &df.instructions[2];
        let h = &run2.heredocs[0];
        assert!(h.strip_tabs && h.quoted);
        assert_eq!(h.delimiter, "EOT");
        assert_eq!(h.content(), "echo $HOME\n");
        assert_eq!(shell(run2).text, "<<-\"EOT\" bash -e");

        let copy = &df.instructions[3];
        let d: Vec<_> = copy
            .heredocs
            .iter()
            .map(|h| (h.delimiter.as_str(), h.body.text.as_str()))
            .collect();
        assert_eq!(d, [("a.txt", "alpha\n"), ("b.txt", "beta\n")]);
        assert_eq!(copy.copy_args().unwrap().dest.text, "/dst/");
        // Quoted `<<` and here-strings are not heredocs; exec form never is.
        let df =
            check("FROM a\nRUN echo \"<<EOF\" && cat <<< hi\nRUN [\"cat\", \"<<EOF\"]\nUSER x\n");
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        assert!(df.instructions.iter().all(|i| i.heredocs.is_empty()));
    }

    #[test]
    fn exec_vs_shell_forms() {
        let text = "FROM a\nCMD [\"app\", \"--port\", \"8080\"]\nCMD app --port 8080\nCMD [app]\nCMD [\"a\\\"b\", \"\\u00e9\\n\", \"\\ud83d\\ude00\"]\nCMD [ ]\nCMD [\"a\"] trailing\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n";
        let df = check(text);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        let i = &df.instructions;
        assert_eq!(exec(&i[1]), ["app", "--port", "8080"]);
        let Args::Exec(w) = &i[1].args else { panic!() };
        assert_eq!(slice(text, &w[2].span), "8080");
        assert_eq!(shell(&i[2]).text, "app --port 8080");
        assert_eq!(slice(text, &shell(&i[2]).span), "app --port 8080");
        assert_eq!(shell(&i[3]).text, "[app]");
        assert_eq!(exec(&i[4]), ["a\"b", "é\n", "😀"]);
        let Args::Exec(w) = &i[4].args else { panic!() };
        assert_eq!(slice(text, &w[0].span), "a\\\"b");
        assert!(exec(&i[5]).is_empty());
        assert_eq!(shell(&i[6]).text, "[\"a\"] trailing");
        assert_eq!(exec(&i[7]).len(), 4);
    }

    #[test]
    fn entrypoint_sh_c_and_json_continuation() {
        let text = "FROM a\nENTRYPOINT [\"sh\", \"-c\", \\\n  \"exec app --port $PORT\"]\nENTRYPOINT sh -c 'exec app \"$@\"' --\n";
        let df = check(text);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        assert_eq!(
            exec(&df.instructions[1]),
            ["sh", "-c", "exec app --port $PORT"]
        );
        let Args::Exec(w) = &df.instructions[1].args else {
            panic!()
        };
        assert_eq!(slice(text, &w[2].span), "exec app --port $PORT");
        let words = shell(&df.instructions[2]).words();
        let texts: Vec<_> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["sh", "-c", "exec app \"$@\"", "--"]);
        assert_eq!(slice(text, &words[2].span), "'exec app \"$@\"'");
    }

    #[test]
    fn arg_substituted_from() {
        let text = "ARG RUST_VERSION=1.80\nARG DEBIAN=\"bookworm\"\nARG BASE\nARG FULL=rust:${RUST_VERSION}\nFROM rust:${RUST_VERSION}-slim AS builder\nFROM ${BASE}\nFROM ${BASE:-debian}:$DEBIAN\nFROM $FULL\nFROM ${NOPE-x}${BASE:+y}\nFROM ${BROKEN\n";
        let df = check(text);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        assert_eq!(df.global_arg("DEBIAN").as_deref(), Some("bookworm"));
        assert_eq!(df.global_arg("BASE"), None);
        let s = &df.stages;
        assert_eq!(slice(text, &s[0].image.span), "rust:${RUST_VERSION}-slim");
        let ImageSource::Image(img) = df.resolve_image(&s[0]) else {
            panic!()
        };
        assert_eq!(
            (img.name.as_str(), img.tag.as_deref()),
            ("rust", Some("1.80-slim"))
        );
        assert_eq!(
            df.resolve_image(&s[1]),
            ImageSource::Unresolved("${BASE}".into())
        );
        let ImageSource::Image(img) = df.resolve_image(&s[2]) else {
            panic!()
        };
        assert_eq!(
            (img.name.as_str(), img.tag.as_deref()),
            ("debian", Some("bookworm"))
        );
        assert_eq!(df.expand("$FULL").as_deref(), Some("rust:1.80"));
        assert_eq!(df.expand("${NOPE-x}${BASE:+y}").as_deref(), Some("x"));
        assert!(matches!(
            df.resolve_image(&s[5]),
            ImageSource::Unresolved(_)
        ));
        let vars = |n: &str| (n == "A").then(|| "1".to_string());
        assert_eq!(substitute("\\$A-$A-${A}", &vars).as_deref(), Some("$A-1-1"));
        let deep = "${A:-".repeat(100) + &"}".repeat(100);
        assert_eq!(substitute(&deep, &vars).as_deref(), Some("1"));
        assert_eq!(
            substitute(&("${X:-".repeat(100) + &"}".repeat(100)), &vars),
            None
        );
    }

    #[test]
    fn image_references() {
        let r = ImageRef::parse("registry.example.com:5000/ns/app:1.2@sha256:abcd");
        assert_eq!(r.registry.as_deref(), Some("registry.example.com:5000"));
        assert_eq!(r.name, "registry.example.com:5000/ns/app");
        assert_eq!(r.repository(), "ns/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abcd"));
        let r = ImageRef::parse("localhost:5000/app");
        assert_eq!(
            (r.registry.as_deref(), r.tag),
            (Some("localhost:5000"), None)
        );
        let r = ImageRef::parse("rust@sha256:1234");
        assert_eq!(
            (r.name.as_str(), r.tag, r.digest.as_deref()),
            ("rust", None, Some("sha256:1234"))
        );
        let r = ImageRef::parse("library/rust");
        assert_eq!(
            (r.registry.as_deref(), r.repository()),
            (None, "library/rust")
        );

        let text = "FROM --platform=$BUILDPLATFORM registry:5000/team/base:2@sha256:ff AS base\n";
        let df = check(text);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        let st = &df.stages[0];
        assert_eq!(
            st.platform.as_ref().unwrap().value.as_deref(),
            Some("$BUILDPLATFORM")
        );
        assert_eq!(
            slice(text, &st.image.span),
            "registry:5000/team/base:2@sha256:ff"
        );
        assert_eq!(slice(text, &st.name.as_ref().unwrap().span), "base");
        let ImageSource::Image(img) = df.resolve_image(st) else {
            panic!()
        };
        assert_eq!(img.registry.as_deref(), Some("registry:5000"));
        assert_eq!(img.tag.as_deref(), Some("2"));
    }

    #[test]
    fn onbuild() {
        let text = "FROM rust\nONBUILD COPY --chown=app:app . /src\nonbuild run cargo build --locked\nONBUILD ONBUILD RUN x\nONBUILD\nONBUILD RUN <<EOF\necho hi\nEOF\n";
        let df = check(text);
        let inner = df.instructions[1].onbuild.as_ref().unwrap();
        assert_eq!(inner.keyword, "COPY");
        assert_eq!(
            inner.flag("chown").unwrap().value.as_deref(),
            Some("app:app")
        );
        assert_eq!(slice(text, &inner.span), "COPY --chown=app:app . /src");
        let inner = df.instructions[2].onbuild.as_ref().unwrap();
        assert_eq!(df.instructions[2].keyword, "ONBUILD");
        assert_eq!(inner.keyword, "RUN");
        assert_eq!(slice(text, &inner.keyword_span), "run");
        let msgs: Vec<_> = df
            .errors
            .iter()
            .map(|e| (e.message.as_str(), slice(text, &e.span)))
            .collect();
        assert_eq!(
            msgs[0],
            ("ONBUILD is not allowed inside ONBUILD", "ONBUILD")
        );
        assert_eq!(
            df.errors[0].span.start,
            text.find("ONBUILD ONBUILD").unwrap() + 8
        );
        assert_eq!(msgs[1].0, "ONBUILD needs an instruction");
        assert_eq!(msgs.len(), 2);
        let heredoc = &df.instructions[5].onbuild.as_ref().unwrap().heredocs[0];
        assert_eq!(heredoc.body.text, "echo hi\n");
        assert!(slice(text, &df.instructions[5].span).ends_with("EOF"));
    }

    #[test]
    fn env_label_arg_expose_user() {
        let text = "ARG A B=2 C=\"x y\"\nFROM a\nENV KEY=value K2=\"v 2\" K3=a\\ b\nENV PATH /usr/local/bin:$PATH\nLABEL \"org.opencontainers.image.source\"=\"https://x\" maintainer=me\nEXPOSE 8080 8443/tcp 53/udp\nUSER 1000\n";
        let df = check(text);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        let args = df.instructions[0].key_values();
        assert_eq!(
            args.iter()
                .map(|k| (k.key.as_str(), k.value.as_deref()))
                .collect::<Vec<_>>(),
            [("A", None), ("B", Some("2")), ("C", Some("x y"))]
        );
        let env = df.instructions[2].key_values();
        assert_eq!(env[1].key, "K2");
        assert_eq!(env[1].value.as_deref(), Some("v 2"));
        assert_eq!(slice(text, &env[1].key_span), "K2");
        assert_eq!(slice(text, &env[1].value_span), "\"v 2\"");
        assert_eq!(env[2].value.as_deref(), Some("a b"));
        let legacy = df.instructions[3].key_values();
        assert_eq!(legacy.len(), 1);
        assert_eq!(legacy[0].key, "PATH");
        assert_eq!(legacy[0].value.as_deref(), Some("/usr/local/bin:$PATH"));
        assert_eq!(slice(text, &legacy[0].value_span), "/usr/local/bin:$PATH");
        let label = df.instructions[4].key_values();
        assert_eq!(label[0].key, "org.opencontainers.image.source");
        assert_eq!(label[0].value.as_deref(), Some("https://x"));
        let ports = df.instructions[5].ports();
        let p: Vec<_> = ports
            .iter()
            .map(|p| (p.port.as_str(), p.protocol.as_deref(), slice(text, &p.span)))
            .collect();
        assert_eq!(
            p,
            [
                ("8080", None, "8080"),
                ("8443", Some("tcp"), "8443/tcp"),
                ("53", Some("udp"), "53/udp")
            ]
        );
        let user = df.instructions[6].user().unwrap();
        assert_eq!((user.user.text.as_str(), user.group), ("1000", None));
        let df = check("FROM a\nENV ONLYKEY\nENV A=1 B\n");
        let bad: Vec<_> = df
            .errors
            .iter()
            .map(|e| slice("FROM a\nENV ONLYKEY\nENV A=1 B\n", &e.span))
            .collect();
        assert_eq!(bad, ["ONLYKEY", "B"]);
    }

    #[test]
    fn healthcheck_forms() {
        let text = "FROM a\nHEALTHCHECK NONE\nHEALTHCHECK --interval=30s --timeout=3s \\\n  CMD [\"curl\", \"-f\", \"http://localhost:8080/health\"]\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\nHEALTHCHECK curl\n";
        let df = check(text);
        assert_eq!(
            df.instructions[1].healthcheck(),
            Some(Healthcheck::Disabled)
        );
        let hc = &df.instructions[2];
        assert_eq!(hc.flag("interval").unwrap().value.as_deref(), Some("30s"));
        let Some(Healthcheck::Cmd(Args::Exec(w))) = hc.healthcheck() else {
            panic!()
        };
        assert_eq!(slice(text, &w[2].span), "http://localhost:8080/health");
        let Some(Healthcheck::Cmd(Args::Shell(st))) = df.instructions[3].healthcheck() else {
            panic!()
        };
        assert_eq!(st.text, "curl -f http://localhost/ || exit 1");
        assert_eq!(slice(text, &st.span), st.text);
        assert_eq!(df.errors.len(), 1);
        assert_eq!(slice(text, &df.errors[0].span), "HEALTHCHECK");
        assert_eq!(df.errors[0].span.start, text.rfind("HEALTHCHECK").unwrap());
    }

    #[test]
    fn crlf_and_bom() {
        let text = "\u{feff}# syntax=docker/dockerfile:1\r\nFROM rust:1.80 AS b\r\nRUN cargo build \\\r\n  --locked\r\n# note\r\nRUN <<EOF\r\necho hi\r\nEOF\r\nEXPOSE 8080\r\n";
        let df = check(text);
        assert!(df.errors.is_empty(), "{:?}", df.errors);
        assert_eq!(df.directives[0].value, "docker/dockerfile:1");
        assert_eq!(df.directives[0].span.start, 3);
        assert_eq!(df.stages[0].name.as_ref().unwrap().text, "b");
        let run = &df.instructions[1];
        assert_eq!(shell(run).text, "cargo build   --locked");
        assert_eq!(slice(text, &run.span), "RUN cargo build \\\r\n  --locked");
        let locked = shell(run).words().pop().unwrap();
        assert_eq!(slice(text, &locked.span), "--locked");
        assert_eq!(slice(text, &df.comments[0].span), "# note");
        assert_eq!(df.instructions[2].heredocs[0].body.text, "echo hi\n");
        let port = &df.instructions[3].ports()[0];
        assert_eq!(slice(text, &port.span), "8080");
        // A BOM before a plain instruction.
        let df = check("\u{feff}FROM a\n");
        assert!(df.errors.is_empty());
        assert_eq!(df.instructions[0].keyword_span, 3..7);
    }

    #[test]
    fn malformed_inputs() {
        let df = check("");
        assert!(df.instructions.is_empty() && df.errors.is_empty());

        let text = "FROM a\nRUN <<EOF\necho never ends\n";
        let df = check(text);
        assert_eq!(df.errors.len(), 1);
        assert!(df.errors[0].message.contains("unterminated heredoc"));
        assert_eq!(slice(text, &df.errors[0].span), "<<EOF");
        assert_eq!(
            df.instructions[1].heredocs[0].body.text,
            "echo never ends\n"
        );

        let text = "FROM a\nCMD [\"a\", \n";
        let df = check(text);
        assert!(df.errors.is_empty());
        assert_eq!(shell(&df.instructions[1]).text, "[\"a\",");

        let text = "FROM a\nRUN echo \\";
        let df = check(text);
        assert!(df.errors.is_empty());
        assert_eq!(shell(&df.instructions[1]).text, "echo");
        assert_eq!(slice(text, &df.instructions[1].span), "RUN echo \\");

        let text = "RUN early\nFROM\nFROOM x\nFROM a b\nCOPY onlyone\nFROM c AS x\nFROM d AS X\n";
        let df = check(text);
        let errs: Vec<_> = df.errors.iter().map(|e| slice(text, &e.span)).collect();
        assert_eq!(errs, ["RUN", "FROM", "FROOM", "b", "COPY", "X"]);
        assert!(df.errors[2].message.contains("unknown instruction"));
        assert_eq!(df.stages.len(), 4);
        assert_eq!(
            df.resolve_image(&df.stages[0]),
            ImageSource::Unresolved(String::new())
        );

        let df = check("\\\n");
        assert!(df.instructions.is_empty() && df.errors.is_empty());
        let df = check("\0\u{1}\u{7f}\u{fffd}garbage ÿ\n\u{2028}\r\r\n{[\"");
        assert!(!df.errors.is_empty());
        let long = format!(
            "FROM a\nRUN {}\n{}",
            "x".repeat(1 << 20),
            "é".repeat(1 << 18)
        );
        let df = check(&long);
        assert_eq!(df.errors.len(), 1);
        assert!(df.errors[0].message.len() < 200);
    }

    #[test]
    fn no_panic_on_any_prefix_or_noise() {
        let samples = [
            CHEF,
            "# escape=`\nFROM a\nRUN x `\n\n y\nCOPY <<-\"E\" /d\n\tbody\n\tE\nCMD [\"\\ud800\", \"\\u12\"]\nONBUILD HEALTHCHECK --x=\"a b CMD [\"c\"]\nENV A=\"b\\\nLABEL 'k'=v\r\nFROM ${A:-${B}} AS é\n",
        ];
        for text in samples {
            for (i, _) in text.char_indices() {
                check(&text[..i]);
                check(&text[i..]);
            }
        }
        // Pseudo-random bytes drawn from a Dockerfile-ish alphabet.
        let alphabet: Vec<char> = "FROM RUN COPY ONBUILD <<EOF\n\r\\`\"'[]{}$#=-:,/ \té\u{feff}"
            .chars()
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            let mut s = String::new();
            for _ in 0..200 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            check(&s);
        }
    }

    #[test]
    fn shell_words_quotes_and_operators() {
        let st = ShellText {
            text: "a 'b c' \"d\\\"e\" f\\ g x&&y;z|w # comment".to_string(),
            span: 10..10,
            map: vec![(0, 10)],
            escape: '\\',
        };
        let w = st.words();
        let texts: Vec<_> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "a", "b c", "d\"e", "f g", "x", "&&", "y", ";", "z", "|", "w"
            ]
        );
        assert_eq!(w[1].span, 12..17);
        assert_eq!(w[5].span, 31..33);
    }
}
