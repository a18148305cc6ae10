//! Selectors of the configuration, compiled and matched on packages, modules and external
//! crates.

use globset::{Glob, GlobBuilder, GlobMatcher};

use super::graph::{Model, Unit};
use crate::config::architecture::{Architecture, Pattern, PatternKind, Selector};
use crate::workspace::{Package, Workspace};

/// A list of selectors, compiled.
pub struct Matcher {
    patterns: Vec<Compiled>,
    /// The selectors as written, for messages.
    pub text: String,
}

enum Compiled {
    /// Package directories; a literal path also takes the packages below it.
    Path {
        glob: GlobMatcher,
        literal: Option<String>,
    },
    /// Package names, `-` and `_` alike.
    Crate(GlobMatcher),
    Tag(String),
    /// External crate names, `-` and `_` alike.
    External(GlobMatcher),
    /// `krate::a::b`: the crate (by crate or package name) and the module segments, `*` for
    /// any one, `**` for any number.
    Module {
        krate: GlobMatcher,
        segments: Vec<String>,
    },
    /// A glob that could not be compiled: matches nothing (the config loader refuses them).
    Nothing,
}

/// `billing-api` and `billing_api` are the same crate to cargo.
pub fn crate_key(name: &str) -> String {
    name.replace('-', "_")
}

fn glob(text: &str) -> Option<GlobMatcher> {
    Glob::new(text).ok().map(|g| g.compile_matcher())
}

fn path_glob(text: &str) -> Option<GlobMatcher> {
    GlobBuilder::new(text)
        .literal_separator(true)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

impl Matcher {
    pub fn new(architecture: &Architecture, selectors: &[Selector], workspace: &Workspace) -> Self {
        let patterns = selectors
            .iter()
            .flat_map(|selector| architecture.patterns(selector))
            .map(|pattern| compile(&pattern, workspace))
            .collect();
        Matcher {
            patterns,
            text: selectors
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    pub fn of_pattern(pattern: &Pattern, workspace: &Workspace) -> Self {
        Matcher {
            patterns: vec![compile(pattern, workspace)],
            text: pattern.text.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether some pattern names modules.
    pub fn has_modules(&self) -> bool {
        self.patterns
            .iter()
            .any(|p| matches!(p, Compiled::Module { .. }))
    }

    pub fn package(&self, package: &Package) -> bool {
        self.patterns.iter().any(|pattern| match pattern {
            Compiled::Path { glob, literal } => {
                let dir = package.dir.to_string_lossy().replace('\\', "/");
                glob.is_match(&dir)
                    || literal.as_ref().is_some_and(|literal| {
                        dir == *literal
                            || literal.is_empty()
                            || dir.starts_with(&format!("{literal}/"))
                    })
            }
            Compiled::Crate(glob) => glob.is_match(crate_key(&package.name)),
            Compiled::Tag(tag) => package.tags.iter().any(|t| t == tag),
            _ => false,
        })
    }

    pub fn external(&self, name: &str) -> bool {
        self.patterns.iter().any(
            |pattern| matches!(pattern, Compiled::External(glob) if glob.is_match(crate_key(name))),
        )
    }

    /// How specifically a module is matched: `Some(0)` through its package, `Some(n + 1)` by a
    /// module pattern of `n` segments, `None` not at all.
    pub fn module(&self, model: &Model<'_>, krate: usize, module: usize) -> Option<usize> {
        let tree = &model.crates[krate];
        let mut best = tree
            .package
            .filter(|p| self.package(&model.workspace.packages[*p]))
            .map(|_| 0);
        for pattern in &self.patterns {
            let Compiled::Module {
                krate: crate_glob,
                segments,
            } = pattern
            else {
                continue;
            };
            let crate_matches = crate_glob.is_match(&tree.name)
                || tree.package.is_some_and(|p| {
                    crate_glob.is_match(crate_key(&model.workspace.packages[p].name))
                });
            if crate_matches && module_matches(segments, &tree.modules[module].path) {
                let specificity = segments.len() + 1;
                best = Some(best.map_or(specificity, |b: usize| b.max(specificity)));
            }
        }
        best
    }

    /// A unit: packages and external crates at crate level, modules as `module` does.
    pub fn unit(&self, model: &Model<'_>, unit: &Unit) -> Option<usize> {
        match unit {
            Unit::Package(package) => self
                .package(&model.workspace.packages[*package])
                .then_some(0),
            Unit::External(name) => self.external(name).then_some(0),
            Unit::Module { krate, module } => self.module(model, *krate, *module),
        }
    }

    /// A unit at crate level: a module by its package only.
    pub fn crate_level(&self, model: &Model<'_>, unit: &Unit) -> bool {
        match model.crate_level(unit) {
            Some(unit) => self.unit(model, &unit).is_some(),
            None => false,
        }
    }

    /// Whether the module patterns could match a module of this crate (by its name).
    pub fn names_modules_of(&self, model: &Model<'_>, package: usize) -> bool {
        let name = crate_key(&model.workspace.packages[package].name);
        self.patterns.iter().any(|pattern| match pattern {
            Compiled::Module { krate, .. } => {
                krate.is_match(&name)
                    || model
                        .crates
                        .iter()
                        .any(|c| c.package == Some(package) && krate.is_match(&c.name))
            }
            _ => false,
        })
    }
}

/// Module pattern segments against a module path: the pattern matches the module it names and
/// every module inside it.
pub fn module_matches(pattern: &[String], path: &[String]) -> bool {
    match pattern.split_first() {
        None => true,
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| module_matches(rest, &path[skip..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((segment, below)) => {
                (first == "*" || first == segment) && module_matches(rest, below)
            }
            None => false,
        },
    }
}

fn compile(pattern: &Pattern, workspace: &Workspace) -> Compiled {
    let text = pattern.text.trim().trim_start_matches("./");
    let compiled = match pattern.kind {
        PatternKind::Path => {
            let text = text.trim_end_matches('/');
            path_glob(text).map(|glob| Compiled::Path {
                glob,
                literal: (!text.contains(['*', '?', '[', '{'])).then(|| text.to_string()),
            })
        }
        PatternKind::Crate => glob(&crate_key(text)).map(Compiled::Crate),
        PatternKind::Tag => Some(Compiled::Tag(text.to_string())),
        PatternKind::External => glob(&crate_key(text)).map(Compiled::External),
        PatternKind::Name => glob(&crate_key(text)).map(|glob| {
            let is_member = workspace
                .packages
                .iter()
                .any(|p| glob.is_match(crate_key(&p.name)));
            if is_member {
                Compiled::Crate(glob)
            } else {
                Compiled::External(glob)
            }
        }),
        PatternKind::Module => {
            let mut segments: Vec<String> =
                text.split("::").map(|s| s.trim().to_string()).collect();
            let krate = crate_key(&segments.remove(0));
            while segments.last().is_some_and(|s| s == "*" || s == "**") {
                segments.pop();
            }
            glob(&krate).map(|krate| Compiled::Module { krate, segments })
        }
    };
    compiled.unwrap_or(Compiled::Nothing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(text: &str) -> Vec<String> {
        if text.is_empty() {
            return Vec::new();
        }
        text.split("::").map(str::to_string).collect()
    }

    #[test]
    fn module_patterns_match_the_module_and_everything_inside() {
        let matches =
            |pattern: &str, path: &str| module_matches(&segments(pattern), &segments(path));
        assert!(matches("domain", "domain"));
        assert!(matches("domain", "domain::order"));
        assert!(!matches("domain", "app"));
        assert!(!matches("domain", ""));
        assert!(matches("*::model", "orders::model::line"));
        assert!(!matches("*::model", "model"));
        assert!(matches("**::model", "model"));
        assert!(matches("**::model", "a::b::model"));
        assert!(matches("", "anything"));
    }
}
