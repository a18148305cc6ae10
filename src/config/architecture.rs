//! The declared architecture: `[components]`, `[[layers]]`, `[[forbid]]` and `[[only]]`, as
//! written (with spans, for errors) and as the architecture rules read it.
//!
//! A selector names part of the workspace: a component (a key of `[components]`), or written
//! inline: a member path (`crates/domain`, `services/*`), a crate name or glob (`billing-*`; a
//! workspace package, else an external crate), a tag (`tag:layer:domain`) or a module path
//! (`orders::domain`). Whether a selector matches anything is checked against the workspace
//! (`crate::architecture::validate`), once the packages are known.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use super::error::ConfigError;
use crate::diagnostic::Span;
use crate::source::SourceFile;
use crate::source::manifest::DependencyKind;

// ---------------------------------------------------------------------------------------------
// As written

/// `name = { paths = […], crates = […], tags = […], external = […], modules = […] }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawComponent {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    crates: Vec<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    #[serde(default)]
    external: Vec<Spanned<String>>,
    #[serde(default)]
    modules: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayers {
    id: Option<Spanned<String>>,
    order: Option<Spanned<Selectors>>,
    relaxed: Option<bool>,
    because: Option<Spanned<String>>,
    kinds: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawForbid {
    id: Option<Spanned<String>>,
    from: Option<Spanned<Selectors>>,
    to: Option<Spanned<Selectors>>,
    calls: Option<Spanned<Selectors>>,
    except: Option<Spanned<Selectors>>,
    kinds: Option<Vec<Spanned<String>>>,
    transitive: Option<bool>,
    because: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOnly {
    id: Option<Spanned<String>>,
    from: Option<Spanned<Selectors>>,
    to: Option<Spanned<Selectors>>,
    except: Option<Spanned<Selectors>>,
    kinds: Option<Vec<Spanned<String>>>,
    because: Option<Spanned<String>>,
}

pub type RawComponents = BTreeMap<Spanned<String>, Spanned<RawComponent>>;

/// One string or a list of strings, each with its span. A lone string gets the span of its
/// `Spanned` wrapper (see `Selectors::spanned`).
pub struct Selectors(Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for Selectors {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrMany;
        impl<'de> Visitor<'de> for OneOrMany {
            type Value = Selectors;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Selectors, E> {
                Ok(Selectors(vec![Spanned::new(0..0, text.to_string())]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Selectors, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<String>>()? {
                    items.push(item);
                }
                Ok(Selectors(items))
            }
        }
        deserializer.deserialize_any(OneOrMany)
    }
}

/// The strings of a `Spanned<Selectors>`, each with its own span.
fn spanned(value: &Spanned<Selectors>) -> Vec<(String, Span)> {
    value
        .get_ref()
        .0
        .iter()
        .map(|item| {
            let span = if item.span().is_empty() {
                value.span()
            } else {
                item.span()
            };
            (item.get_ref().clone(), span.into())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// As the rules read it

/// The declared architecture of every config file, merged.
#[derive(Default)]
pub struct Architecture {
    pub components: Vec<Component>,
    pub layers: Vec<Layers>,
    pub forbids: Vec<Forbid>,
    pub onlys: Vec<Only>,
}

/// A place in a config file.
#[derive(Clone)]
pub struct ConfigSpan {
    pub file: Arc<SourceFile>,
    pub span: Span,
}

impl ConfigSpan {
    pub fn error(&self, message: impl Into<String>, label: &str) -> Box<ConfigError> {
        Box::new(ConfigError::at(
            &self.file,
            self.span,
            message.into(),
            label,
        ))
    }
}

/// A named selector from `[components]`.
pub struct Component {
    pub name: String,
    pub at: ConfigSpan,
    pub patterns: Vec<Pattern>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternKind {
    /// A member directory glob, relative to the root.
    Path,
    /// A workspace package name glob.
    Crate,
    /// A tag a package sets in `[package.metadata.fitness] tags`.
    Tag,
    /// An external crate name glob.
    External,
    /// `crate::module::path`, with `*` for one segment.
    Module,
    /// A bare name: a workspace package if one matches, else an external crate.
    Name,
}

impl PatternKind {
    pub fn key(self) -> &'static str {
        match self {
            PatternKind::Path => "paths",
            PatternKind::Crate => "crates",
            PatternKind::Tag => "tags",
            PatternKind::External => "external",
            PatternKind::Module => "modules",
            PatternKind::Name => "name",
        }
    }
}

#[derive(Clone)]
pub struct Pattern {
    pub kind: PatternKind,
    pub text: String,
    pub at: ConfigSpan,
}

/// A selector as written in `order`, `from`, `to` or `except`: a component's name or an
/// inline pattern.
#[derive(Clone)]
pub struct Selector {
    pub text: String,
    pub at: ConfigSpan,
}

impl Selector {
    /// The pattern this selector stands for when it names no component.
    pub fn inline_pattern(&self) -> Pattern {
        let text = self.text.trim();
        let (kind, text) = if let Some(tag) = text.strip_prefix("tag:") {
            (PatternKind::Tag, tag)
        } else if text.contains("::") {
            (PatternKind::Module, text)
        } else if text.contains('/') {
            (PatternKind::Path, text)
        } else {
            (PatternKind::Name, text)
        };
        Pattern {
            kind,
            text: text.to_string(),
            at: self.at.clone(),
        }
    }
}

/// Which dependency kinds an entry looks at. Dev-dependencies and test code are exempt unless
/// `kinds` names `dev`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kinds {
    pub normal: bool,
    pub build: bool,
    pub dev: bool,
}

impl Default for Kinds {
    fn default() -> Self {
        Kinds {
            normal: true,
            build: true,
            dev: false,
        }
    }
}

impl Kinds {
    pub fn contains(self, kind: DependencyKind) -> bool {
        match kind {
            DependencyKind::Normal => self.normal,
            DependencyKind::Build => self.build,
            DependencyKind::Dev => self.dev,
        }
    }
}

/// What every entry has: an id, an optional reason, the kinds it checks.
pub struct Entry {
    /// `layers`, `forbid` or `only`.
    pub table: &'static str,
    pub id: String,
    pub at: ConfigSpan,
    pub because: Option<String>,
    pub kinds: Kinds,
}

impl Entry {
    /// `[[forbid]] domain-is-pure in fitness.toml`.
    pub fn describe(&self) -> String {
        format!(
            "`[[{}]]` entry `{}` in {}",
            self.table,
            self.id,
            self.at.file.path.display()
        )
    }

    /// The note of a finding: the reason given, and where the entry is.
    pub fn note(&self) -> String {
        match &self.because {
            Some(because) => format!(
                "the architecture the team declared: {because} ({})",
                self.describe()
            ),
            None => format!("the architecture the team declared ({})", self.describe()),
        }
    }
}

/// `[[layers]]`: top to bottom; a layer may use the layers below it (only the next one when
/// `relaxed = false`).
pub struct Layers {
    pub entry: Entry,
    pub order: Vec<Selector>,
    pub relaxed: bool,
}

/// `[[forbid]]`: dependencies from `from` on `to`, and calls of `calls` outside `except`.
pub struct Forbid {
    pub entry: Entry,
    /// Empty: every crate of the workspace (only with `calls`).
    pub from: Vec<Selector>,
    pub to: Vec<Selector>,
    pub calls: Vec<(String, ConfigSpan)>,
    pub except: Vec<Selector>,
    pub transitive: bool,
}

/// `[[only]]`: `from` may depend on `to` and nothing else (the standard library aside).
pub struct Only {
    pub entry: Entry,
    pub from: Vec<Selector>,
    pub to: Vec<Selector>,
    pub except: Vec<Selector>,
}

/// The sections of one config file that declare the architecture.
#[derive(Default)]
pub struct RawArchitecture<'r> {
    pub components: Option<&'r RawComponents>,
    pub layers: &'r [Spanned<RawLayers>],
    pub forbid: &'r [Spanned<RawForbid>],
    pub only: &'r [Spanned<RawOnly>],
}

impl Architecture {
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty() && self.forbids.is_empty() && self.onlys.is_empty()
    }

    pub fn component(&self, name: &str) -> Option<&Component> {
        self.components.iter().rev().find(|c| c.name == name)
    }

    /// The patterns a selector stands for: its component's, or its own.
    pub fn patterns(&self, selector: &Selector) -> Vec<Pattern> {
        match self.component(selector.text.trim()) {
            Some(component) => component.patterns.clone(),
            None => vec![selector.inline_pattern()],
        }
    }

    /// Every selector written in an entry that must match something. An `[[only]]` allow-list
    /// may name what is not used yet: it allows, it does not check.
    pub fn selectors(&self) -> impl Iterator<Item = &Selector> {
        let layers = self.layers.iter().flat_map(|l| l.order.iter());
        let forbids = self
            .forbids
            .iter()
            .flat_map(|f| f.from.iter().chain(&f.to).chain(&f.except));
        let onlys = self
            .onlys
            .iter()
            .flat_map(|o| o.from.iter().chain(&o.except));
        layers.chain(forbids).chain(onlys)
    }

    /// Adds the sections of one config file; later files add to earlier ones, a component of
    /// the same name replaces the earlier one.
    pub fn add(
        &mut self,
        raw: RawArchitecture<'_>,
        file: &Arc<SourceFile>,
    ) -> Result<(), Box<ConfigError>> {
        let at = |span: std::ops::Range<usize>| ConfigSpan {
            file: file.clone(),
            span: span.into(),
        };
        if let Some(components) = raw.components {
            for (name, component) in components {
                let name_at = at(name.span());
                if name.get_ref().trim().is_empty() || name.get_ref().contains(char::is_whitespace)
                {
                    return Err(name_at.error(
                        format!("`{}` is not a component name", name.get_ref()),
                        "use letters, digits, `-` and `_`",
                    ));
                }
                let raw = component.get_ref();
                let mut patterns = Vec::new();
                for (kind, list) in [
                    (PatternKind::Path, &raw.paths),
                    (PatternKind::Crate, &raw.crates),
                    (PatternKind::Tag, &raw.tags),
                    (PatternKind::External, &raw.external),
                    (PatternKind::Module, &raw.modules),
                ] {
                    for text in list {
                        let pattern = Pattern {
                            kind,
                            text: text.get_ref().trim().to_string(),
                            at: at(text.span()),
                        };
                        check_pattern(&pattern)?;
                        patterns.push(pattern);
                    }
                }
                if patterns.is_empty() {
                    return Err(at(component.span()).error(
                        format!("component `{}` selects nothing", name.get_ref()),
                        "give `paths`, `crates`, `tags`, `external` or `modules`",
                    ));
                }
                self.components.push(Component {
                    name: name.get_ref().trim().to_string(),
                    at: name_at,
                    patterns,
                });
            }
        }
        for layers in raw.layers {
            let span = at(layers.span());
            let raw = layers.get_ref();
            let entry = self.entry("layers", &raw.id, &raw.because, &raw.kinds, &span)?;
            let order = selectors(&raw.order, file)?;
            if order.len() < 2 {
                let place = raw.order.as_ref().map_or(span.clone(), |o| at(o.span()));
                return Err(place.error(
                    format!(
                        "`[[layers]]` entry `{}` needs an `order` of at least two layers",
                        entry.id
                    ),
                    "top to bottom, e.g. [\"services\", \"adapters\", \"app\", \"domain\"]",
                ));
            }
            self.layers.push(Layers {
                entry,
                order,
                relaxed: raw.relaxed.unwrap_or(true),
            });
        }
        for forbid in raw.forbid {
            let span = at(forbid.span());
            let raw = forbid.get_ref();
            let entry = self.entry("forbid", &raw.id, &raw.because, &raw.kinds, &span)?;
            let from = selectors(&raw.from, file)?;
            let to = selectors(&raw.to, file)?;
            let except = selectors(&raw.except, file)?;
            let calls: Vec<(String, ConfigSpan)> = raw
                .calls
                .as_ref()
                .map(|calls| {
                    spanned(calls)
                        .into_iter()
                        .map(|(text, span)| {
                            (
                                text.trim().trim_end_matches("()").to_string(),
                                ConfigSpan {
                                    file: file.clone(),
                                    span,
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            for (path, place) in &calls {
                let segments: Vec<&str> = path.split("::").collect();
                if segments.len() < 2 || segments.iter().any(|s| s.trim().is_empty()) {
                    return Err(place.error(
                        format!("`{path}` is not a path to a function"),
                        "write the full path, e.g. \"std::env::var\"",
                    ));
                }
            }
            if to.is_empty() && calls.is_empty() {
                return Err(span.error(
                    format!(
                        "`[[forbid]]` entry `{}` forbids nothing: give `to` or `calls`",
                        entry.id
                    ),
                    "this entry",
                ));
            }
            if !to.is_empty() && from.is_empty() {
                return Err(span.error(
                    format!(
                        "`[[forbid]]` entry `{}` needs `from`: what may not depend on {}",
                        entry.id,
                        quoted(&to)
                    ),
                    "this entry",
                ));
            }
            self.forbids.push(Forbid {
                entry,
                from,
                to,
                calls,
                except,
                transitive: raw.transitive.unwrap_or(true),
            });
        }
        for only in raw.only {
            let span = at(only.span());
            let raw = only.get_ref();
            let entry = self.entry("only", &raw.id, &raw.because, &raw.kinds, &span)?;
            let from = selectors(&raw.from, file)?;
            let to = selectors(&raw.to, file)?;
            let except = selectors(&raw.except, file)?;
            if from.is_empty() || raw.to.is_none() {
                return Err(span.error(
                    format!(
                        "`[[only]]` entry `{}` needs `from` and `to`: what may depend on nothing but `to`",
                        entry.id
                    ),
                    "this entry",
                ));
            }
            self.onlys.push(Only {
                entry,
                from,
                to,
                except,
            });
        }
        Ok(())
    }

    fn entry(
        &self,
        table: &'static str,
        id: &Option<Spanned<String>>,
        because: &Option<Spanned<String>>,
        kinds: &Option<Vec<Spanned<String>>>,
        span: &ConfigSpan,
    ) -> Result<Entry, Box<ConfigError>> {
        let Some(id) = id else {
            return Err(span.error(
                format!("a `[[{table}]]` entry needs an `id`"),
                "add `id = \"…\"`: findings name it",
            ));
        };
        let at = ConfigSpan {
            file: span.file.clone(),
            span: id.span().into(),
        };
        let text = id.get_ref().trim();
        if text.is_empty() {
            return Err(at.error("an `id` may not be empty", "empty"));
        }
        let taken = self
            .layers
            .iter()
            .map(|l| &l.entry)
            .chain(self.forbids.iter().map(|f| &f.entry))
            .chain(self.onlys.iter().map(|o| &o.entry))
            .find(|entry| entry.id == text);
        if let Some(taken) = taken {
            return Err(at.error(
                format!(
                    "the id `{text}` is taken by another entry ({})",
                    taken.describe()
                ),
                "ids must be unique",
            ));
        }
        let kinds = match kinds {
            None => Kinds::default(),
            Some(list) => {
                let mut kinds = Kinds {
                    normal: false,
                    build: false,
                    dev: false,
                };
                for kind in list {
                    match kind.get_ref().as_str() {
                        "normal" => kinds.normal = true,
                        "build" => kinds.build = true,
                        "dev" => kinds.dev = true,
                        other => {
                            return Err(ConfigSpan {
                                file: span.file.clone(),
                                span: kind.span().into(),
                            }
                            .error(
                                format!("unknown dependency kind `{other}`"),
                                "use \"normal\", \"build\" or \"dev\"",
                            ));
                        }
                    }
                }
                kinds
            }
        };
        Ok(Entry {
            table,
            id: text.to_string(),
            at,
            because: because
                .as_ref()
                .map(|b| b.get_ref().trim().to_string())
                .filter(|b| !b.is_empty()),
            kinds,
        })
    }
}

fn selectors(
    value: &Option<Spanned<Selectors>>,
    file: &Arc<SourceFile>,
) -> Result<Vec<Selector>, Box<ConfigError>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (text, span) in spanned(value) {
        let selector = Selector {
            text: text.trim().to_string(),
            at: ConfigSpan {
                file: file.clone(),
                span,
            },
        };
        if selector.text.is_empty() {
            return Err(selector.at.error("an empty selector", "empty"));
        }
        check_pattern(&selector.inline_pattern())?;
        out.push(selector);
    }
    Ok(out)
}

/// Refuses patterns that can never be valid: bad globs, module paths without a module.
fn check_pattern(pattern: &Pattern) -> Result<(), Box<ConfigError>> {
    let text = pattern.text.as_str();
    if text.is_empty() {
        return Err(pattern.at.error("an empty pattern", "empty"));
    }
    match pattern.kind {
        PatternKind::Module => {
            let segments: Vec<&str> = text.split("::").collect();
            if segments.len() < 2 || segments.iter().any(|s| s.trim().is_empty()) {
                return Err(pattern.at.error(
                    format!("`{text}` is not a module path"),
                    "write `crate_name::module`, e.g. \"orders::domain\"",
                ));
            }
            if segments
                .iter()
                .any(|s| s.contains('*') && *s != "*" && *s != "**")
            {
                return Err(pattern.at.error(
                    format!("`{text}`: `*` stands for a whole path segment"),
                    "write `orders::*::domain`, not `orders::dom*`",
                ));
            }
        }
        PatternKind::Tag => {}
        PatternKind::Path | PatternKind::Crate | PatternKind::External | PatternKind::Name => {
            if let Err(error) = globset::Glob::new(text.trim_start_matches("./")) {
                return Err(pattern.at.error(error.to_string(), "bad pattern"));
            }
        }
    }
    Ok(())
}

fn quoted(selectors: &[Selector]) -> String {
    selectors
        .iter()
        .map(|s| format!("`{}`", s.text))
        .collect::<Vec<_>>()
        .join(", ")
}
