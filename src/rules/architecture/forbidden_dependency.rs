//! `[[forbid]]` and `[[only]]`: dependencies the team ruled out — a crate, component, external
//! crate or module that `from` may not reach (directly or, by default, through other crates),
//! calls of banned functions outside `except`, and anything outside an `[[only]]` allow-list.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::architecture::graph::{Model, Unit};
use crate::architecture::select::Matcher;
use crate::architecture::{self, DependencyLines, chain};
use crate::config::architecture::{Architecture, Entry, Forbid, Only, Selector};
use crate::diagnostic::{Finding, Label, Level, Span};
use crate::facts::modules::RefKind;
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::manifest::DependencyKind;

pub static META: RuleMeta = RuleMeta {
    id: "forbidden-dependency",
    category: Category::Architecture,
    default_level: Level::Deny,
    summary: "a dependency or call that a `[[forbid]]` or `[[only]]` entry rules out",
    docs: include_str!("../../../rules/architecture/forbidden-dependency.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct ForbiddenDependency;

impl Rule for ForbiddenDependency {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let architecture = cx.architecture;
        if architecture.forbids.is_empty() && architecture.onlys.is_empty() {
            return;
        }
        let model = architecture::model(cx);
        let mut lines = DependencyLines::default();
        for forbid in &architecture.forbids {
            let check = Check::new(
                architecture,
                &model,
                &forbid.entry,
                &forbid.from,
                &forbid.except,
            );
            if !forbid.to.is_empty() {
                check.forbidden_edges(forbid, architecture, &mut lines, out);
            }
            if !forbid.calls.is_empty() {
                check.forbidden_calls(forbid, out);
            }
        }
        for only in &architecture.onlys {
            let check = Check::new(architecture, &model, &only.entry, &only.from, &only.except);
            check.allow_list(only, architecture, &mut lines, out);
        }
    }
}

/// One entry's `from` and `except`, compiled.
struct Check<'a, 'w> {
    model: &'a Model<'w>,
    entry: &'a Entry,
    /// `None`: every crate (a `calls` ban without `from`).
    from: Option<Matcher>,
    except: Matcher,
}

impl<'a, 'w> Check<'a, 'w> {
    fn new(
        architecture: &Architecture,
        model: &'a Model<'w>,
        entry: &'a Entry,
        from: &[Selector],
        except: &[Selector],
    ) -> Self {
        let workspace = model.workspace;
        Check {
            model,
            entry,
            from: (!from.is_empty()).then(|| Matcher::new(architecture, from, workspace)),
            except: Matcher::new(architecture, except, workspace),
        }
    }

    /// Whether a package as a whole is a source of the entry.
    fn package_is_source(&self, package: usize) -> bool {
        let member = &self.model.workspace.packages[package];
        self.from.as_ref().is_none_or(|from| from.package(member)) && !self.except.package(member)
    }

    fn unit_is_source(&self, unit: &Unit) -> bool {
        self.from
            .as_ref()
            .is_none_or(|from| from.unit(self.model, unit).is_some())
            && self.except.unit(self.model, unit).is_none()
    }

    /// The crate-level package of a unit, when it is a source as a whole.
    fn covered_by_crate_level(&self, unit: &Unit) -> bool {
        self.model
            .package_of(unit)
            .is_some_and(|package| self.package_is_source(package))
    }

    fn config_label(&self) -> Label {
        Label {
            location: self.entry.at.file.location(self.entry.at.span),
            message: format!("`{}` is declared here", self.entry.id),
        }
    }

    fn decorate(&self, finding: &mut Finding, label: String, help: String) {
        finding.label(label).note(self.entry.note()).help(help);
        finding.labels.push(self.config_label());
    }

    /// `[[forbid]] from → to`: crate edges (direct and through other crates) and module edges.
    fn forbidden_edges(
        &self,
        forbid: &Forbid,
        architecture: &Architecture,
        lines: &mut DependencyLines,
        out: &mut WorkspaceReporter,
    ) {
        let model = self.model;
        let targets: Vec<(&str, Matcher)> = forbid
            .to
            .iter()
            .map(|s| {
                (
                    s.text.as_str(),
                    Matcher::new(architecture, std::slice::from_ref(s), model.workspace),
                )
            })
            .collect();
        let target_of = |unit: &Unit| {
            targets
                .iter()
                .find(|(_, m)| m.unit(model, unit).is_some())
                .map(|(name, _)| *name)
        };
        let crate_target_of = |unit: &Unit| {
            targets
                .iter()
                .find(|(_, m)| m.crate_level(model, unit))
                .map(|(name, _)| *name)
        };
        let kinds = self.entry.kinds;
        // Crate level: the Cargo.toml lines of every source package.
        for (package, edges) in model.edges.iter().enumerate() {
            if !self.package_is_source(package) {
                continue;
            }
            let start = Unit::Package(package);
            for edge in edges.iter().filter(|e| kinds.contains(e.kind)) {
                let mut hits: Vec<(Vec<Unit>, &str)> = Vec::new();
                if let Some(name) = crate_target_of(&edge.to) {
                    hits.push((vec![start.clone(), edge.to.clone()], name));
                } else if forbid.transitive
                    && let Unit::Package(next) = edge.to
                    && !self.package_is_source(next)
                {
                    // Other sources report their own lines; the walk stops at them and at targets.
                    let stop = |unit: &Unit| {
                        crate_target_of(unit).is_some()
                            || model
                                .package_of(unit)
                                .is_some_and(|p| self.package_is_source(p))
                    };
                    for (unit, path) in model.reach(&edge.to, &stop) {
                        if let Some(name) = crate_target_of(&unit) {
                            let mut full = vec![start.clone(), edge.to.clone()];
                            full.extend(path);
                            hits.push((full, name));
                        }
                    }
                }
                for (path, name) in hits {
                    let Some((file, span)) = lines.locate(model.workspace, out, package, edge.dep)
                    else {
                        continue;
                    };
                    let (message, label, help) = self.edge_texts(&path, name, edge.kind);
                    let finding = out.report(&META, &file, span, message);
                    self.decorate(finding, label, help);
                }
            }
        }
        // Module level: references the crate level does not cover.
        let mut reported: HashSet<(PathBuf, usize, String)> = HashSet::new();
        let mut followed: HashSet<(usize, usize, usize)> = HashSet::new();
        for (krate, tree) in model.crates.iter().enumerate() {
            for edge in tree.edges.iter().filter(|e| kinds.contains(e.kind)) {
                let start = Unit::Module {
                    krate,
                    module: edge.from,
                };
                if !self.unit_is_source(&start) {
                    continue;
                }
                let crate_level_source = self.covered_by_crate_level(&start);
                let to_package = model.package_of(&edge.to);
                let crosses = to_package.is_none() || to_package != tree.package;
                let mut hits: Vec<(Vec<Unit>, &str)> = Vec::new();
                if let Some(name) = target_of(&edge.to) {
                    // Covered by the Cargo.toml line when both ends match at crate level.
                    if crate_level_source && crosses && crate_target_of(&edge.to).is_some() {
                        continue;
                    }
                    hits.push((vec![start.clone(), edge.to.clone()], name));
                } else if forbid.transitive
                    && !crate_level_source
                    && crosses
                    && let Some(next) = to_package
                    && !self.package_is_source(next)
                    && followed.insert((krate, edge.from, next))
                {
                    let stop = |unit: &Unit| crate_target_of(unit).is_some();
                    for (unit, path) in model.reach(&Unit::Package(next), &stop) {
                        if let Some(name) = crate_target_of(&unit) {
                            let mut full = vec![start.clone(), Unit::Package(next)];
                            full.extend(path);
                            hits.push((full, name));
                        }
                    }
                }
                for (path, name) in hits {
                    let Some(file) = out.open(model.workspace, &edge.file) else {
                        continue;
                    };
                    // One finding per line and target: `use a::{B, C};` is one use of `a`.
                    let line = file.location(edge.span).start.line;
                    let target = model.name(&path[path.len() - 1]);
                    if !reported.insert((edge.file.to_path_buf(), line, target)) {
                        continue;
                    }
                    let (message, label, help) = self.edge_texts(&path, name, edge.kind);
                    let finding = out.report(&META, &file, edge.span, message);
                    self.decorate(finding, label, help);
                }
            }
        }
    }

    fn edge_texts(
        &self,
        path: &[Unit],
        target: &str,
        kind: DependencyKind,
    ) -> (String, String, String) {
        let model = self.model;
        let first = model.name(&path[0]);
        let last = model.name(&path[path.len() - 1]);
        let named = if last == target {
            format!("`{last}`")
        } else {
            format!("`{last}` (in `{target}`)")
        };
        let kind = match kind {
            DependencyKind::Normal => "",
            DependencyKind::Dev => " as a dev-dependency",
            DependencyKind::Build => " as a build-dependency",
        };
        if path.len() > 2 {
            let via = model.name(&path[1]);
            (
                format!(
                    "`{first}` reaches {named} through `{via}`{kind}, which `{}` forbids: {}",
                    self.entry.id,
                    chain(model, path)
                ),
                format!(
                    "`{}` depends on `{last}`",
                    model.name(&path[path.len() - 2])
                ),
                format!(
                    "`{first}` gets `{last}` with `{via}`: move what `{first}` uses from `{via}` into \
                     a crate without `{last}`, or drop the dependency"
                ),
            )
        } else {
            (
                format!(
                    "`{first}` depends on {named}{kind}, which `{}` forbids",
                    self.entry.id
                ),
                format!("{named} may not be used here"),
                format!(
                    "remove the dependency, or move the code that needs `{last}` out of `{first}`; \
                     if the edge is intended, change `{}`",
                    self.entry.id
                ),
            )
        }
    }

    /// `[[forbid]] calls = […]`: calls and uses of banned functions in source modules.
    fn forbidden_calls(&self, forbid: &Forbid, out: &mut WorkspaceReporter) {
        let model = self.model;
        let mut reported: HashSet<(PathBuf, Span)> = HashSet::new();
        for (krate, tree) in model.crates.iter().enumerate() {
            for (index, node) in tree.modules.iter().enumerate() {
                let (Some(facts), Some(scope), Some(path)) = (&node.facts, node.scope, &node.file)
                else {
                    continue;
                };
                let unit = Unit::Module {
                    krate,
                    module: index,
                };
                if !self.unit_is_source(&unit) {
                    continue;
                }
                for reference in facts.refs_in(scope) {
                    if !matches!(reference.kind, RefKind::Expr | RefKind::Macro) {
                        continue;
                    }
                    let kind = if reference.test || node.test {
                        DependencyKind::Dev
                    } else {
                        DependencyKind::Normal
                    };
                    if !self.entry.kinds.contains(kind) {
                        continue;
                    }
                    let written = reference.joined();
                    let Some((banned, _)) = forbid.calls.iter().find(|(banned, _)| {
                        let banned = banned.trim_end_matches("::*");
                        written == banned
                            || written
                                .strip_prefix(banned)
                                .is_some_and(|rest| rest.starts_with("::"))
                    }) else {
                        continue;
                    };
                    if !reported.insert((path.to_path_buf(), reference.span)) {
                        continue;
                    }
                    let Some(file) = out.open(model.workspace, path) else {
                        continue;
                    };
                    let place = model.name(&unit);
                    let help = if forbid.except.is_empty() {
                        format!("remove the call to `{written}`")
                    } else {
                        format!(
                            "only {} may call `{banned}`: get the value from there instead",
                            forbid
                                .except
                                .iter()
                                .map(|s| format!("`{}`", s.text))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    let finding = out.report(
                        &META,
                        &file,
                        reference.span,
                        format!(
                            "`{place}` uses `{written}`, which `{}` forbids",
                            self.entry.id
                        ),
                    );
                    self.decorate(finding, format!("`{written}` is used here"), help);
                }
            }
        }
    }

    /// `[[only]] from → to`: every dependency outside the allow-list.
    fn allow_list(
        &self,
        only: &Only,
        architecture: &Architecture,
        lines: &mut DependencyLines,
        out: &mut WorkspaceReporter,
    ) {
        let model = self.model;
        let allowed = Matcher::new(architecture, &only.to, model.workspace);
        let Some(from) = &self.from else {
            return;
        };
        let list = only
            .to
            .iter()
            .map(|s| format!("`{}`", s.text))
            .collect::<Vec<_>>()
            .join(", ");
        let kinds = self.entry.kinds;
        let is_std = |unit: &Unit| matches!(unit, Unit::External(name) if matches!(name.as_str(), "std" | "core" | "alloc"));
        // Packages whose modules `to` names: checked reference by reference below.
        let mut deferred: HashSet<(usize, usize)> = HashSet::new();
        for (package, edges) in model.edges.iter().enumerate() {
            if !self.package_is_source(package) {
                continue;
            }
            for edge in edges.iter().filter(|e| kinds.contains(e.kind)) {
                if allowed.unit(model, &edge.to).is_some() || from.unit(model, &edge.to).is_some() {
                    continue;
                }
                if let Unit::Package(target) = edge.to
                    && allowed.names_modules_of(model, target)
                {
                    deferred.insert((package, target));
                    continue;
                }
                let Some((file, span)) = lines.locate(model.workspace, out, package, edge.dep)
                else {
                    continue;
                };
                let first = model.name(&Unit::Package(package));
                let last = model.name(&edge.to);
                let finding = out.report(
                    &META,
                    &file,
                    span,
                    format!(
                        "`{first}` depends on `{last}`, which the allow-list `{}` does not name",
                        self.entry.id
                    ),
                );
                self.decorate(
                    finding,
                    format!("`{last}` is not allowed here"),
                    format!(
                        "`{first}` may depend only on {list}: remove `{last}`, or add it to `to` of `{}` \
                         if the team agrees",
                        self.entry.id
                    ),
                );
            }
        }
        let mut reported: HashSet<(PathBuf, usize, String)> = HashSet::new();
        for (krate, tree) in model.crates.iter().enumerate() {
            for edge in tree.edges.iter().filter(|e| kinds.contains(e.kind)) {
                let start = Unit::Module {
                    krate,
                    module: edge.from,
                };
                let by_module = from.module(model, krate, edge.from).is_some_and(|s| s > 0)
                    && self.except.unit(model, &start).is_none();
                let to_package = model.package_of(&edge.to);
                let is_deferred = tree
                    .package
                    .zip(to_package)
                    .is_some_and(|pair| deferred.contains(&pair));
                if !by_module && !is_deferred {
                    continue;
                }
                let within = match &edge.to {
                    Unit::Module { krate: k, module } => {
                        *k == krate && tree.is_within(edge.from, *module)
                    }
                    _ => false,
                };
                if within
                    || is_std(&edge.to)
                    || allowed.unit(model, &edge.to).is_some()
                    || from.unit(model, &edge.to).is_some()
                {
                    continue;
                }
                // A module source outside the crate: the Cargo.toml check covers crate edges.
                if !is_deferred
                    && tree.package.is_some()
                    && to_package != tree.package
                    && self.package_is_source(tree.package.unwrap_or(0))
                {
                    continue;
                }
                let Some(file) = out.open(model.workspace, &edge.file) else {
                    continue;
                };
                // One finding per line and target: `use a::{B, C};` is one use of `a`.
                let line = file.location(edge.span).start.line;
                if !reported.insert((edge.file.to_path_buf(), line, model.name(&edge.to))) {
                    continue;
                }
                let first = model.name(&start);
                let last = model.name(&edge.to);
                let finding = out.report(
                    &META,
                    &file,
                    edge.span,
                    format!(
                        "`{first}` uses `{last}`, which the allow-list `{}` does not name",
                        self.entry.id
                    ),
                );
                self.decorate(
                    finding,
                    format!("`{last}` is not allowed here"),
                    format!(
                        "`{first}` may use only {list} (and the standard library): remove the \
                         reference, or add `{last}` to `to` of `{}` if the team agrees",
                        self.entry.id
                    ),
                );
            }
        }
    }
}
