//! A dependency against the declared `[[layers]]` order: a crate (Cargo.toml) or a module
//! (`use`, qualified path) that uses a layer above it, directly or through crates in no layer.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::architecture::graph::{Model, Unit};
use crate::architecture::select::Matcher;
use crate::architecture::{self, DependencyLines, chain};
use crate::config::architecture::Layers;
use crate::diagnostic::{Label, Level};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};

pub static META: RuleMeta = RuleMeta {
    id: "layer-violation",
    category: Category::Architecture,
    default_level: Level::Deny,
    summary: "a crate or module depends on a layer above it in the declared `[[layers]]` order",
    docs: include_str!("../../../rules/architecture/layer-violation.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct LayerViolation;

impl Rule for LayerViolation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        if cx.architecture.layers.is_empty() {
            return;
        }
        let model = architecture::model(cx);
        let mut lines = DependencyLines::default();
        for layers in &cx.architecture.layers {
            let layering = Layering {
                layers,
                matchers: layers
                    .order
                    .iter()
                    .map(|selector| {
                        Matcher::new(
                            cx.architecture,
                            std::slice::from_ref(selector),
                            cx.workspace,
                        )
                    })
                    .collect(),
            };
            layering.check_crates(&model, &mut lines, out);
            layering.check_modules(&model, out);
        }
    }
}

struct Layering<'a> {
    layers: &'a Layers,
    matchers: Vec<Matcher>,
}

/// How a dependency breaks the order.
enum Breach {
    /// It points at a layer above.
    Up,
    /// Strict layers: it skips the layer directly below.
    Skips(usize),
}

impl Layering<'_> {
    fn name(&self, layer: usize) -> &str {
        &self.layers.order[layer].text
    }

    /// The layer of a package or external crate (a module: its package's).
    fn crate_layer(&self, model: &Model<'_>, unit: &Unit) -> Option<usize> {
        let unit = model.crate_level(unit)?;
        self.matchers
            .iter()
            .position(|m| m.unit(model, &unit).is_some())
    }

    /// The layer of a unit, the most specific selector winning (a module pattern over its
    /// crate's path), then the first in `order`.
    fn layer(&self, model: &Model<'_>, unit: &Unit) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (index, matcher) in self.matchers.iter().enumerate() {
            if let Some(specificity) = matcher.unit(model, unit)
                && best.is_none_or(|(known, _)| specificity > known)
            {
                best = Some((specificity, index));
            }
        }
        best.map(|(_, index)| index)
    }

    fn breach(&self, from: usize, to: usize) -> Option<Breach> {
        if to < from {
            Some(Breach::Up)
        } else if !self.layers.relaxed && to > from + 1 {
            Some(Breach::Skips(from + 1))
        } else {
            None
        }
    }

    fn order(&self) -> String {
        self.layers
            .order
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" → ")
    }

    /// `unit (layer x)`, or just `unit` when the layer has its name.
    fn described(&self, model: &Model<'_>, unit: &Unit, layer: usize) -> String {
        let name = model.name(unit);
        if name == self.name(layer) {
            format!("`{name}`")
        } else {
            format!("`{name}` (layer `{}`)", self.name(layer))
        }
    }

    fn message(
        &self,
        path: &[Unit],
        model: &Model<'_>,
        from: usize,
        to: usize,
        breach: &Breach,
    ) -> String {
        let subject = self.described(model, &path[0], from);
        let object = self.described(model, &path[path.len() - 1], to);
        let through = if path.len() > 2 {
            format!(
                " through {}: {}",
                path[1..path.len() - 1]
                    .iter()
                    .map(|u| format!("`{}`", model.name(u)))
                    .collect::<Vec<_>>()
                    .join(", "),
                chain(model, path)
            )
        } else {
            String::new()
        };
        match breach {
            Breach::Up => format!("{subject} depends on {object}, a layer above it{through}"),
            Breach::Skips(next) => format!(
                "{subject} depends on {object}, skipping layer `{}`{through}",
                self.name(*next)
            ),
        }
    }

    fn help(&self, model: &Model<'_>, path: &[Unit], to: usize, breach: &Breach) -> String {
        let first = model.name(&path[0]);
        let last = model.name(&path[path.len() - 1]);
        match breach {
            Breach::Up => format!(
                "each layer may use only the layers below it ({}): move what `{first}` needs from \
                 `{last}` down into a lower layer, or invert the dependency — declare a trait in \
                 `{first}` and implement it in layer `{}`",
                self.order(),
                self.name(to)
            ),
            Breach::Skips(next) => format!(
                "layers of `{}` are strict: each uses only the one directly below it; reach `{last}` \
                 through layer `{}`, or set `relaxed = true` on the entry",
                self.layers.entry.id,
                self.name(*next)
            ),
        }
    }

    fn config_label(&self) -> Label {
        let at = &self.layers.entry.at;
        Label {
            location: at.file.location(at.span),
            message: format!("the layers of `{}` are declared here", self.layers.entry.id),
        }
    }

    /// Crate edges, from the Cargo.toml dependency tables; through crates in no layer.
    fn check_crates(
        &self,
        model: &Model<'_>,
        lines: &mut DependencyLines,
        out: &mut WorkspaceReporter,
    ) {
        let kinds = self.layers.entry.kinds;
        for (package, edges) in model.edges.iter().enumerate() {
            let start = Unit::Package(package);
            let Some(from) = self.crate_layer(model, &start) else {
                continue;
            };
            for edge in edges.iter().filter(|e| kinds.contains(e.kind)) {
                let mut hits: Vec<(Vec<Unit>, usize)> = Vec::new();
                match self.crate_layer(model, &edge.to) {
                    Some(to) => hits.push((vec![start.clone(), edge.to.clone()], to)),
                    None if matches!(edge.to, Unit::Package(_)) => {
                        let layered = |unit: &Unit| self.crate_layer(model, unit).is_some();
                        for (unit, path) in model.reach(&edge.to, &layered) {
                            if let Some(to) = self.crate_layer(model, &unit) {
                                let mut full = vec![start.clone(), edge.to.clone()];
                                full.extend(path);
                                hits.push((full, to));
                            }
                        }
                    }
                    None => {}
                }
                for (path, to) in hits {
                    let Some(breach) = self.breach(from, to) else {
                        continue;
                    };
                    let Some((file, span)) = lines.locate(model.workspace, out, package, edge.dep)
                    else {
                        continue;
                    };
                    let last = &path[path.len() - 1];
                    let label = if path.len() > 2 {
                        format!(
                            "`{}` depends on {}",
                            model.name(&path[path.len() - 2]),
                            self.described(model, last, to)
                        )
                    } else {
                        format!("{} is in a layer above", self.described(model, last, to))
                    };
                    let label = match breach {
                        Breach::Up => label,
                        Breach::Skips(_) => format!(
                            "{} is more than one layer below",
                            self.described(model, last, to)
                        ),
                    };
                    let finding = out.report(
                        &META,
                        &file,
                        span,
                        self.message(&path, model, from, to, &breach),
                    );
                    finding
                        .label(label)
                        .note(self.layers.entry.note())
                        .help(self.help(model, &path, to, &breach));
                    finding.labels.push(self.config_label());
                }
            }
        }
    }

    /// Module edges (`use` items, qualified paths) the crate level does not already cover.
    fn check_modules(&self, model: &Model<'_>, out: &mut WorkspaceReporter) {
        let kinds = self.layers.entry.kinds;
        let mut reported: HashSet<(PathBuf, usize, String)> = HashSet::new();
        for (krate, tree) in model.crates.iter().enumerate() {
            for edge in tree.edges.iter().filter(|e| kinds.contains(e.kind)) {
                let start = Unit::Module {
                    krate,
                    module: edge.from,
                };
                let (Some(from), Some(to)) =
                    (self.layer(model, &start), self.layer(model, &edge.to))
                else {
                    continue;
                };
                let Some(breach) = self.breach(from, to) else {
                    continue;
                };
                // A dependency between packages whose own layers break the order is reported
                // once, on its Cargo.toml line.
                let from_crate = model.crate_level(&start);
                let to_crate = model.crate_level(&edge.to);
                if from_crate.is_some() && from_crate != to_crate {
                    let layers = (
                        from_crate.as_ref().and_then(|u| self.crate_layer(model, u)),
                        to_crate.as_ref().and_then(|u| self.crate_layer(model, u)),
                    );
                    if let (Some(a), Some(b)) = layers
                        && self.breach(a, b).is_some()
                    {
                        continue;
                    }
                }
                let Some(file) = out.open(model.workspace, &edge.file) else {
                    continue;
                };
                // One finding per line and target: `use a::{B, C};` is one use of `a`.
                let line = file.location(edge.span).start.line;
                if !reported.insert((edge.file.to_path_buf(), line, model.name(&edge.to))) {
                    continue;
                }
                let path = [start, edge.to.clone()];
                let label = match breach {
                    Breach::Up => format!(
                        "uses {}, a layer above",
                        self.described(model, &edge.to, to)
                    ),
                    Breach::Skips(_) => format!(
                        "uses {}, more than one layer below",
                        self.described(model, &edge.to, to)
                    ),
                };
                let finding = out.report(
                    &META,
                    &file,
                    edge.span,
                    self.message(&path, model, from, to, &breach),
                );
                finding
                    .label(label)
                    .note(self.layers.entry.note())
                    .help(self.help(model, &path, to, &breach));
                finding.labels.push(self.config_label());
            }
        }
    }
}
