//! Modules of one crate that depend on each other in a cycle, through `use` items and
//! qualified paths. A reference from a module into its own parent or child is not a
//! dependency between modules; a reference between two modules counts as one between the
//! sibling subtrees that hold them (`a::x → b::y` is `a → b`), so the cycle is reported at
//! the level it tangles. Re-exports (`pub use`) are facades, not uses, and do not count.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::PathBuf;

use crate::architecture;
use crate::architecture::graph::{CrateModules, ModuleEdge, Unit};
use crate::diagnostic::{Label, Level, Span};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::manifest::DependencyKind;

pub static META: RuleMeta = RuleMeta {
    id: "module-cycle",
    category: Category::Architecture,
    default_level: Level::Warn,
    summary: "modules of one crate depend on each other in a cycle",
    docs: include_str!("../../../rules/architecture/module-cycle.md"),
    scope: CodeScope::All,
};

#[derive(Default)]
pub struct ModuleCycle;

impl Rule for ModuleCycle {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let model = architecture::model(cx);
        let mut reported: HashSet<(PathBuf, Span)> = HashSet::new();
        for (krate, tree) in model.crates.iter().enumerate() {
            // Example packages show an API; their module structure is not the product's.
            if tree
                .package
                .is_some_and(|p| cx.workspace.packages[p].is_example())
            {
                continue;
            }
            for cycle in cycles(krate, tree) {
                let cut = &cycle.edges[cycle.cut];
                let first = cut.first;
                let edge = &tree.edges[first];
                if !reported.insert((edge.file.to_path_buf(), edge.span)) {
                    continue;
                }
                let Some(file) = out.open(cx.workspace, &edge.file) else {
                    continue;
                };
                let name = |module: usize| tree.module_name(module);
                let path = cycle
                    .nodes
                    .iter()
                    .chain(cycle.nodes.first())
                    .map(|&m| name(m))
                    .collect::<Vec<_>>()
                    .join(" → ");
                let (from, to) = (name(cut.from), name(cut.to));
                let references = |count: usize| {
                    if count == 1 {
                        "1 reference".to_string()
                    } else {
                        format!("{count} references")
                    }
                };
                let mut labels = Vec::new();
                for (index, step) in cycle.edges.iter().enumerate() {
                    if index == cycle.cut {
                        continue;
                    }
                    let at = &tree.edges[step.first];
                    if let Some(source) = out.open(cx.workspace, &at.file) {
                        labels.push(Label {
                            location: source.location(at.span),
                            message: format!(
                                "`{}` uses `{}` here ({})",
                                name(step.from),
                                name(step.to),
                                references(step.count)
                            ),
                        });
                    }
                }
                let tangle = if cycle.tangle > cycle.nodes.len() {
                    format!(
                        "; the cycle is part of a tangle of {} modules under `{}`",
                        cycle.tangle,
                        name(tree.modules[cycle.nodes[0]].parent.unwrap_or(0))
                    )
                } else {
                    String::new()
                };
                let finding = out.report(
                    &META,
                    &file,
                    edge.span,
                    format!("module cycle: {path}{tangle}"),
                );
                finding
                    .label(format!(
                        "`{from}` uses `{to}` here: the edge with the fewest references ({})",
                        references(cut.count)
                    ))
                    .note(
                        "architecture: acyclic dependencies — modules in a cycle can only be \
                         understood, tested and split out together, and the layering between them \
                         erodes",
                    )
                    .help(format!(
                        "cut `{from} → {to}` ({}): move what `{from}` needs from `{to}` into \
                         `{from}` or into a module both can use, or invert it with a trait that \
                         `{from}` declares",
                        references(cut.count)
                    ));
                finding.labels.extend(labels);
            }
        }
    }
}

/// A lifted edge `(from, to)` with its reference count and first reference.
type Weighted<'a> = (&'a (usize, usize), &'a (usize, usize));

/// An edge between two sibling modules, standing for the references below them.
struct Step {
    from: usize,
    to: usize,
    count: usize,
    /// The first reference (index into the crate's edges).
    first: usize,
}

struct Cycle {
    /// The modules in order; the cycle closes back to the first.
    nodes: Vec<usize>,
    /// `nodes[i] → nodes[i + 1]`, the last one closing the cycle.
    edges: Vec<Step>,
    /// The step to cut: the one with the fewest references.
    cut: usize,
    /// How many modules the strongly connected component holds.
    tangle: usize,
}

/// `from` and `to` raised to the children of their nearest common ancestor; `None` when one
/// holds the other.
fn lift(tree: &CrateModules, from: usize, to: usize) -> Option<(usize, usize)> {
    let chain = |mut at: usize| {
        let mut chain = vec![at];
        while let Some(parent) = tree.modules[at].parent {
            chain.push(parent);
            at = parent;
        }
        chain
    };
    let from_chain = chain(from);
    let to_chain = chain(to);
    let common = to_chain.iter().position(|m| from_chain.contains(m))?;
    let ancestor = to_chain[common];
    let from_index = from_chain.iter().position(|&m| m == ancestor)?;
    if common == 0 || from_index == 0 {
        return None;
    }
    Some((from_chain[from_index - 1], to_chain[common - 1]))
}

fn cycles(krate: usize, tree: &CrateModules) -> Vec<Cycle> {
    // Lifted edges with their reference counts and first reference.
    let mut steps: BTreeMap<(usize, usize), (usize, usize)> = BTreeMap::new();
    for (index, edge) in tree.edges.iter().enumerate() {
        let Some(to) = internal_target(krate, edge) else {
            continue;
        };
        // A re-export (`pub use`) builds a facade, such as a prelude, over other modules; it is
        // not a use of them.
        if edge.kind != DependencyKind::Normal
            || edge.reexport
            || tree.modules[edge.from].test
            || tree.modules[to].test
        {
            continue;
        }
        let Some(key) = lift(tree, edge.from, to) else {
            continue;
        };
        let entry = steps.entry(key).or_insert((0, index));
        entry.0 += 1;
        let known = &tree.edges[entry.1];
        if (edge.file.as_path(), edge.span) < (known.file.as_path(), known.span) {
            entry.1 = index;
        }
    }
    let mut cycles = Vec::new();
    for component in components(&steps) {
        if component.len() < 2 {
            continue;
        }
        let inside = |m: usize| component.contains(&m);
        let within: Vec<Weighted<'_>> = steps
            .iter()
            .filter(|((a, b), _)| inside(*a) && inside(*b))
            .collect();
        let name = |m: usize| tree.module_name(m);
        let Some(&(&(cut_from, cut_to), _)) = within
            .iter()
            .min_by_key(|((a, b), (count, _))| (*count, name(*a), name(*b)))
        else {
            continue;
        };
        // The shortest way back from the cut edge's target to its source closes the cycle.
        let Some(back) = shortest_path(&within, cut_to, cut_from) else {
            continue;
        };
        let mut nodes = vec![cut_from];
        nodes.extend(back.iter().take(back.len() - 1));
        let edges: Vec<Step> = nodes
            .iter()
            .zip(nodes.iter().cycle().skip(1))
            .map(|(&from, &to)| {
                let (count, first) = steps[&(from, to)];
                Step {
                    from,
                    to,
                    count,
                    first,
                }
            })
            .collect();
        cycles.push(Cycle {
            nodes,
            edges,
            cut: 0,
            tangle: component.len(),
        });
    }
    cycles
}

fn internal_target(krate: usize, edge: &ModuleEdge) -> Option<usize> {
    match edge.to {
        Unit::Module { krate: k, module } if k == krate => Some(module),
        _ => None,
    }
}

/// Breadth-first: the nodes from `start` to `goal`, both included.
fn shortest_path(edges: &[Weighted<'_>], start: usize, goal: usize) -> Option<Vec<usize>> {
    let mut previous: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    let mut seen = HashSet::from([start]);
    while let Some(node) = queue.pop_front() {
        if node == goal {
            let mut path = vec![goal];
            let mut at = goal;
            while let Some(&before) = previous.get(&at) {
                path.push(before);
                at = before;
            }
            path.reverse();
            return Some(path);
        }
        for ((from, to), _) in edges {
            if *from == node && seen.insert(*to) {
                previous.insert(*to, node);
                queue.push_back(*to);
            }
        }
    }
    None
}

/// Strongly connected components (Tarjan), each sorted, in a stable order.
fn components(steps: &BTreeMap<(usize, usize), (usize, usize)>) -> Vec<Vec<usize>> {
    let mut nodes: Vec<usize> = steps.keys().flat_map(|(a, b)| [*a, *b]).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let successors = |node: usize| {
        steps
            .range((node, 0)..=(node, usize::MAX))
            .map(|((_, to), _)| *to)
            .collect::<Vec<_>>()
    };
    struct State {
        index: BTreeMap<usize, usize>,
        low: BTreeMap<usize, usize>,
        stack: Vec<usize>,
        on_stack: HashSet<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: HashSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for &root in &nodes {
        if state.index.contains_key(&root) {
            continue;
        }
        // Iterative Tarjan: (node, its successors, the next one to look at).
        let mut work: Vec<(usize, Vec<usize>, usize)> = Vec::new();
        state.index.insert(root, state.next);
        state.low.insert(root, state.next);
        state.next += 1;
        state.stack.push(root);
        state.on_stack.insert(root);
        work.push((root, successors(root), 0));
        while let Some((node, next_nodes, position)) = work.last_mut() {
            let node = *node;
            if *position < next_nodes.len() {
                let to = next_nodes[*position];
                *position += 1;
                if !state.index.contains_key(&to) {
                    state.index.insert(to, state.next);
                    state.low.insert(to, state.next);
                    state.next += 1;
                    state.stack.push(to);
                    state.on_stack.insert(to);
                    work.push((to, successors(to), 0));
                } else if state.on_stack.contains(&to) {
                    let low = state.low[&node].min(state.index[&to]);
                    state.low.insert(node, low);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _, _)) = work.last() {
                let low = state.low[parent].min(state.low[&node]);
                state.low.insert(*parent, low);
            }
            if state.low[&node] == state.index[&node] {
                let mut component = Vec::new();
                while let Some(member) = state.stack.pop() {
                    state.on_stack.remove(&member);
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort_unstable();
                state.out.push(component);
            }
        }
    }
    state.out.sort();
    state.out
}
