//! The architecture the team declared, held against the workspace: the crate and module
//! graphs (`graph`), the selectors of `fitness.toml` matched on them (`select`), where a
//! dependency is written (`DependencyLines`), and the check that every selector matches
//! something (`validate`).

pub mod graph;
pub mod select;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::ConfigError;
use crate::config::architecture::{Architecture, Pattern, PatternKind};
use crate::diagnostic::Span;
use crate::facts::modules::ModuleFacts;
use crate::rule::{WorkspaceContext, WorkspaceReporter};
use crate::source::SourceFile;
use crate::source::manifest::Manifest;
use crate::source::rust::{CodeRole, RustFile};
use crate::workspace::Workspace;
use graph::{Model, Unit};
use select::{Matcher, crate_key};

/// The crate graph and the module graph of every crate, from the facts of a run.
pub fn model<'w>(cx: &WorkspaceContext<'w>) -> Model<'w> {
    let facts: HashMap<&Path, Arc<ModuleFacts>> = cx
        .rust_facts
        .iter()
        .map(|(path, facts)| (path.as_path(), facts.modules.clone()))
        .collect();
    let source = |path: &Path| facts.get(path).cloned();
    let mut model = Model::new(cx.workspace, &source);
    model.expand_all(&source);
    model
}

/// A path of units as users read it: `domain → app-support → sqlx`.
pub fn chain(model: &Model<'_>, units: &[Unit]) -> String {
    units
        .iter()
        .map(|unit| model.name(unit))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// A package's manifest and, per declared dependency, the span of its key there.
type ManifestSpans = Option<(Arc<SourceFile>, Vec<Option<Span>>)>;

/// Where each dependency of a package is written in its Cargo.toml.
#[derive(Default)]
pub struct DependencyLines {
    packages: HashMap<usize, ManifestSpans>,
}

impl DependencyLines {
    /// The manifest and the span of the dependency's key (`sqlx` in `sqlx = "0.8"`).
    pub fn locate(
        &mut self,
        workspace: &Workspace,
        out: &mut WorkspaceReporter,
        package: usize,
        dep: usize,
    ) -> Option<(Arc<SourceFile>, Span)> {
        let entry = self.packages.entry(package).or_insert_with(|| {
            let member = &workspace.packages[package];
            let source = out.open(workspace, &member.dir.join("Cargo.toml"))?;
            let manifest = Manifest::parse(&source.text).ok()?;
            let written = manifest.dependencies();
            let spans = member
                .declared
                .iter()
                .map(|declared| {
                    let candidates = written.iter().filter(|d| {
                        !d.in_workspace_table && d.name == declared.key() && d.kind == declared.kind
                    });
                    let mut fallback = None;
                    for candidate in candidates {
                        if candidate.target.map(|t| t.trim_matches(['\'', '"']))
                            == declared.target.as_deref()
                        {
                            return Some(candidate.name_span);
                        }
                        fallback.get_or_insert(candidate.name_span);
                    }
                    fallback
                })
                .collect();
            drop(written);
            Some((source, spans))
        });
        let (source, spans) = entry.as_ref()?;
        let span = (*spans.get(dep)?)?;
        Some((source.clone(), span))
    }
}

/// Checks that every selector of the declared architecture matches something in the workspace:
/// a rule that silently checks nothing is worse than an error.
pub fn validate(
    architecture: &Architecture,
    workspace: &Workspace,
) -> Result<(), Box<ConfigError>> {
    if architecture.components.is_empty() && architecture.is_empty() {
        return Ok(());
    }
    let mut modules = ModuleLookup::new(workspace);
    // Without cargo metadata the dependencies are unknown: external crates cannot be checked.
    let dependencies_known = workspace.packages.iter().all(|p| !p.targets.is_empty());
    let mut checked: Vec<&str> = Vec::new();
    for component in architecture.components.iter().rev() {
        if checked.contains(&component.name.as_str()) {
            continue;
        }
        checked.push(&component.name);
        let mut external = Vec::new();
        for pattern in &component.patterns {
            if pattern.kind == PatternKind::External {
                external.push(pattern);
                continue;
            }
            check_matches(pattern, workspace, &mut modules, dependencies_known).map_err(
                |detail| {
                    pattern.at.error(
                        format!(
                            "component `{}`: `{}` matches nothing: {detail}",
                            component.name, pattern.text
                        ),
                        "matches nothing",
                    )
                },
            )?;
        }
        if let Some(first) = external.first()
            && dependencies_known
            && !external.iter().any(|p| external_exists(p, workspace))
        {
            let names = external
                .iter()
                .map(|p| format!("`{}`", p.text))
                .collect::<Vec<_>>()
                .join(" or ");
            return Err(first.at.error(
                format!(
                    "component `{}` matches nothing: no package of the workspace depends on {names}",
                    component.name
                ),
                "no such dependency",
            ));
        }
    }
    for selector in architecture.selectors() {
        if architecture.component(&selector.text).is_some() {
            continue;
        }
        let pattern = selector.inline_pattern();
        check_matches(&pattern, workspace, &mut modules, dependencies_known).map_err(|detail| {
            let hint = closest_component(architecture, &selector.text)
                .map(|name| format!(" (did you mean the component `{name}`?)"))
                .unwrap_or_default();
            selector.at.error(
                format!("`{}` matches nothing: {detail}{hint}", selector.text),
                "matches nothing",
            )
        })?;
    }
    Ok(())
}

fn closest_component<'a>(architecture: &'a Architecture, text: &str) -> Option<&'a str> {
    architecture
        .components
        .iter()
        .map(|c| (strsim::levenshtein(text, &c.name), c.name.as_str()))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, name)| name)
}

/// `Err` with the reason when a pattern matches nothing.
fn check_matches(
    pattern: &Pattern,
    workspace: &Workspace,
    modules: &mut ModuleLookup<'_>,
    dependencies_known: bool,
) -> Result<(), String> {
    let matcher = Matcher::of_pattern(pattern, workspace);
    match pattern.kind {
        PatternKind::Path | PatternKind::Crate | PatternKind::Tag => {
            if workspace.packages.iter().any(|p| matcher.package(p)) {
                return Ok(());
            }
            Err(match pattern.kind {
                PatternKind::Path => "no workspace member lives there".to_string(),
                PatternKind::Crate => "no workspace package has that name".to_string(),
                _ => format!(
                    "no package sets it in `[package.metadata.fitness] tags`{}",
                    tags_in_use(workspace)
                ),
            })
        }
        PatternKind::External => {
            if !dependencies_known || external_exists(pattern, workspace) {
                Ok(())
            } else {
                Err("no package of the workspace depends on it".into())
            }
        }
        PatternKind::Name => {
            if workspace.packages.iter().any(|p| matcher.package(p))
                || !dependencies_known
                || external_exists(pattern, workspace)
            {
                Ok(())
            } else {
                Err("it is neither a component, a workspace package nor a dependency".into())
            }
        }
        PatternKind::Module => modules.exists(pattern),
    }
}

fn tags_in_use(workspace: &Workspace) -> String {
    let mut tags: Vec<&str> = workspace
        .packages
        .iter()
        .flat_map(|p| p.tags.iter().map(String::as_str))
        .collect();
    tags.sort();
    tags.dedup();
    if tags.is_empty() {
        String::new()
    } else {
        format!(
            " (tags in use: {})",
            tags.iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn external_exists(pattern: &Pattern, workspace: &Workspace) -> bool {
    let matcher = Matcher::of_pattern(
        &Pattern {
            kind: PatternKind::External,
            ..pattern.clone()
        },
        workspace,
    );
    let members: Vec<String> = workspace
        .packages
        .iter()
        .map(|p| crate_key(&p.name))
        .collect();
    workspace.packages.iter().any(|package| {
        package.declared.iter().any(|dep| {
            let is_member = dep.path.is_some() && members.contains(&crate_key(&dep.name));
            !is_member && matcher.external(&dep.name)
        })
    })
}

/// Finds modules for validation, reading only the files on the way (the rules read them all
/// later, from the run's facts).
struct ModuleLookup<'w> {
    workspace: &'w Workspace,
    cache: RefCell<HashMap<PathBuf, Option<Arc<ModuleFacts>>>>,
    model: Option<Model<'w>>,
}

impl<'w> ModuleLookup<'w> {
    fn new(workspace: &'w Workspace) -> Self {
        ModuleLookup {
            workspace,
            cache: RefCell::new(HashMap::new()),
            model: None,
        }
    }

    fn facts(&self, path: &Path) -> Option<Arc<ModuleFacts>> {
        if let Some(known) = self.cache.borrow().get(path) {
            return known.clone();
        }
        let parsed = (|| {
            let absolute = self.workspace.root.join(path);
            let source = SourceFile::load(
                &absolute,
                Arc::new(path.to_path_buf()),
                crate::source::FileKind::Rust,
            )
            .ok()?;
            let file = RustFile::parse(&source, CodeRole::Production).ok()?;
            Some(Arc::new(ModuleFacts::extract(&file)))
        })();
        self.cache
            .borrow_mut()
            .insert(path.to_path_buf(), parsed.clone());
        parsed
    }

    fn exists(&mut self, pattern: &Pattern) -> Result<(), String> {
        let mut segments: Vec<String> = pattern
            .text
            .split("::")
            .map(|s| s.trim().to_string())
            .collect();
        let krate = crate_key(&segments.remove(0));
        while segments.last().is_some_and(|s| s == "*" || s == "**") {
            segments.pop();
        }
        let Ok(crate_glob) = globset::Glob::new(&krate).map(|g| g.compile_matcher()) else {
            return Err("not a valid pattern".into());
        };
        let mut model = match self.model.take() {
            Some(model) => model,
            None => Model::new(self.workspace, &|path: &Path| self.facts(path)),
        };
        let crates: Vec<usize> = (0..model.crates.len())
            .filter(|&index| {
                let c = &model.crates[index];
                crate_glob.is_match(&c.name)
                    || c.package.is_some_and(|p| {
                        crate_glob.is_match(crate_key(&self.workspace.packages[p].name))
                    })
            })
            .collect();
        let found = crates
            .iter()
            .any(|&index| find_module(&mut model, index, 0, &segments, &|path| self.facts(path)));
        self.model = Some(model);
        if crates.is_empty() {
            return Err(format!("no crate of the workspace is named `{krate}`"));
        }
        if found {
            return Ok(());
        }
        Err(format!(
            "no module `{}` in crate `{krate}`",
            segments.join("::")
        ))
    }
}

/// Whether a module matching `pattern` exists at or below `module`, reading modules as needed.
fn find_module(
    model: &mut Model<'_>,
    krate: usize,
    module: usize,
    pattern: &[String],
    facts: &graph::FactsSource<'_>,
) -> bool {
    let Some((first, rest)) = pattern.split_first() else {
        return true;
    };
    model.crates[krate].expand(module, facts);
    if first == "**" {
        if find_module(model, krate, module, rest, facts) {
            return true;
        }
        let children: Vec<usize> = model.crates[krate].modules[module]
            .children
            .iter()
            .map(|(_, index)| *index)
            .collect();
        return children
            .into_iter()
            .any(|child| find_module(model, krate, child, pattern, facts));
    }
    let children: Vec<usize> = model.crates[krate].modules[module]
        .children
        .iter()
        .filter(|(name, _)| first == "*" || name == first)
        .map(|(_, index)| *index)
        .collect();
    children
        .into_iter()
        .any(|child| find_module(model, krate, child, rest, facts))
}
