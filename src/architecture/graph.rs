//! The crate graph (workspace packages and what they depend on, as cargo metadata declares it)
//! and the module graph of every crate (its `mod` tree from the target's root file, and the
//! modules, crates and external crates its code refers to).

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Span;
use crate::facts::modules::{ModuleFacts, PathRef, RefKind};
use crate::source::manifest::DependencyKind;
use crate::workspace::Workspace;

/// Gives the module facts of a file (path relative to the root), if it was read and parsed.
pub type FactsSource<'a> = dyn Fn(&Path) -> Option<Arc<ModuleFacts>> + 'a;

/// Something code or a manifest depends on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// A workspace package as a whole (its manifest's dependencies).
    Package(usize),
    /// A module of a crate (a lib or bin target): `Model::crates[krate].modules[module]`.
    Module { krate: usize, module: usize },
    /// A crate from outside the workspace, by package name.
    External(String),
}

/// One dependency of a package.
pub struct CrateEdge {
    /// Index into the package's `declared` dependencies.
    pub dep: usize,
    /// `Unit::Package` or `Unit::External`.
    pub to: Unit,
    pub kind: DependencyKind,
}

/// One crate: a library or binary target and its modules.
pub struct CrateModules {
    /// The package, when the workspace has packages.
    pub package: Option<usize>,
    /// The crate name as code writes it (`orders_api`).
    pub name: String,
    pub is_lib: bool,
    pub modules: Vec<ModuleNode>,
    /// References between modules and to other crates, from shipping and test code.
    pub edges: Vec<ModuleEdge>,
    /// Files already used by a module of this crate (guards `#[path]` loops).
    seen: HashSet<(PathBuf, Vec<String>)>,
}

pub struct ModuleNode {
    /// Below the crate root: `["orders", "domain"]`; empty for the root.
    pub path: Vec<String>,
    pub parent: Option<usize>,
    pub children: Vec<(String, usize)>,
    /// The file holding the module's items, when it was found and parsed.
    pub file: Option<Arc<PathBuf>>,
    pub facts: Option<Arc<ModuleFacts>>,
    /// The inline scope in `facts` that is this module.
    pub scope: Option<usize>,
    /// Test-only: under `#[cfg(test)]`.
    pub test: bool,
    /// Where out-of-line child modules live.
    dir: PathBuf,
    /// What `#[path]` on a child declared here is relative to.
    path_base: PathBuf,
    /// The inline scope names within `file`.
    scope_names: Vec<String>,
    expanded: bool,
}

/// A reference from a module's code to another module or crate.
pub struct ModuleEdge {
    pub from: usize,
    pub to: Unit,
    /// `Dev` for test code.
    pub kind: DependencyKind,
    pub file: Arc<PathBuf>,
    pub span: Span,
    pub ref_kind: RefKind,
    /// A `pub use`: a re-export.
    pub reexport: bool,
}

/// The crate and module graphs of a workspace.
pub struct Model<'w> {
    pub workspace: &'w Workspace,
    /// Per package, its dependencies.
    pub edges: Vec<Vec<CrateEdge>>,
    pub crates: Vec<CrateModules>,
    /// Per package, its library crate.
    lib_of: Vec<Option<usize>>,
    /// Per crate: the names its code can use for other crates.
    externs: Vec<HashMap<String, Unit>>,
}

const LIB_KINDS: &[&str] = &["lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro"];
const MAX_MODULE_DEPTH: usize = 64;

impl<'w> Model<'w> {
    /// The crate graph and every crate's module tree (roots only; `expand_all` reads the rest).
    pub fn new(workspace: &'w Workspace, facts: &FactsSource<'_>) -> Model<'w> {
        let mut model = Model {
            workspace,
            edges: workspace
                .packages
                .iter()
                .map(|package| {
                    package
                        .declared
                        .iter()
                        .enumerate()
                        .map(|(index, dep)| CrateEdge {
                            dep: index,
                            to: member_at(workspace, dep.path.as_deref())
                                .map_or_else(|| Unit::External(dep.name.clone()), Unit::Package),
                            kind: dep.kind,
                        })
                        .collect()
                })
                .collect(),
            crates: Vec::new(),
            lib_of: vec![None; workspace.packages.len()],
            externs: Vec::new(),
        };
        for (index, package) in workspace.packages.iter().enumerate() {
            let mut roots: Vec<(String, bool, PathBuf)> = package
                .targets
                .iter()
                .filter_map(|target| {
                    let is_lib = target.kinds.iter().any(|k| LIB_KINDS.contains(&k.as_str()));
                    let is_bin = target.kinds.iter().any(|k| k == "bin");
                    (is_lib || is_bin).then(|| {
                        let root = target
                            .src_path
                            .strip_prefix(&workspace.root)
                            .unwrap_or(&target.src_path)
                            .to_path_buf();
                        (target.name.replace('-', "_"), is_lib, root)
                    })
                })
                .collect();
            if package.targets.is_empty() {
                // Packages guessed without cargo: the conventional roots.
                let name = match package.name.replace('-', "_") {
                    name if name.is_empty() => "crate".to_string(),
                    name => name,
                };
                for (file, is_lib) in [("src/lib.rs", true), ("src/main.rs", false)] {
                    let root = package.dir.join(file);
                    if workspace.root.join(&root).is_file() {
                        roots.push((name.clone(), is_lib, root));
                    }
                }
            }
            // Libraries first, so binaries can refer to them.
            roots.sort_by_key(|(name, is_lib, _)| (!*is_lib, name.clone()));
            for (name, is_lib, root) in roots {
                if is_lib {
                    model.lib_of[index] = Some(model.crates.len());
                }
                model
                    .crates
                    .push(CrateModules::new(Some(index), name, is_lib, root, facts));
            }
        }
        if workspace.packages.is_empty() {
            // A workspace of loose files (a documentation example): `main.rs`/`lib.rs` are roots.
            let mut roots: Vec<PathBuf> = Vec::new();
            for name in ["lib.rs", "main.rs"] {
                let path = PathBuf::from("src").join(name);
                if facts(&path).is_some() {
                    roots.push(path);
                }
            }
            for root in roots {
                let is_lib = root.ends_with("lib.rs");
                model
                    .crates
                    .push(CrateModules::new(None, "crate".into(), is_lib, root, facts));
            }
        }
        model.externs = (0..model.crates.len())
            .map(|krate| model.extern_names(krate))
            .collect();
        model
    }

    /// Reads every module of every crate and resolves what its code refers to.
    pub fn expand_all(&mut self, facts: &FactsSource<'_>) {
        for krate in 0..self.crates.len() {
            let mut index = 0;
            while index < self.crates[krate].modules.len() {
                self.crates[krate].expand(index, facts);
                index += 1;
            }
        }
        for krate in 0..self.crates.len() {
            let mut edges = Vec::new();
            for (index, node) in self.crates[krate].modules.iter().enumerate() {
                let (Some(facts), Some(scope), Some(file)) = (&node.facts, node.scope, &node.file)
                else {
                    continue;
                };
                for reference in facts.refs_in(scope) {
                    if reference.via_import {
                        continue;
                    }
                    let Some(to) = self.resolve(krate, index, reference) else {
                        continue;
                    };
                    if to
                        == (Unit::Module {
                            krate,
                            module: index,
                        })
                    {
                        continue;
                    }
                    edges.push(ModuleEdge {
                        from: index,
                        to,
                        kind: if reference.test || node.test {
                            DependencyKind::Dev
                        } else {
                            DependencyKind::Normal
                        },
                        file: file.clone(),
                        span: reference.span,
                        ref_kind: reference.kind,
                        reexport: reference.reexport,
                    });
                }
            }
            self.crates[krate].edges = edges;
        }
    }

    /// The names a crate's code can give other crates: its package's dependencies (renames
    /// included), its package's library (from a binary), and the standard library.
    fn extern_names(&self, krate: usize) -> HashMap<String, Unit> {
        let mut names = HashMap::new();
        for std in ["std", "core", "alloc", "proc_macro", "test"] {
            names.insert(std.to_string(), Unit::External(std.to_string()));
        }
        let Some(package) = self.crates[krate].package else {
            return names;
        };
        for edge in &self.edges[package] {
            let dep = &self.workspace.packages[package].declared[edge.dep];
            let name = match (&dep.rename, &edge.to) {
                (Some(rename), _) => rename.clone(),
                (None, Unit::Package(member)) => self.lib_of[*member]
                    .map(|lib| self.crates[lib].name.clone())
                    .unwrap_or_else(|| dep.name.clone()),
                (None, _) => dep.name.clone(),
            };
            let name = name.replace('-', "_");
            // A normal dependency wins over a dev-dependency of the same name.
            if edge.kind != DependencyKind::Dev || !names.contains_key(&name) {
                names.insert(name, edge.to.clone());
            }
        }
        if !self.crates[krate].is_lib
            && let Some(lib) = self.lib_of[package]
        {
            names.insert(self.crates[lib].name.clone(), Unit::Package(package));
        }
        names
    }

    /// What a path written in a module refers to: a module of this or another workspace
    /// crate, or an external crate. `None` for local items, prelude names and the unknown.
    pub fn resolve(&self, krate: usize, module: usize, reference: &PathRef) -> Option<Unit> {
        let segments = &reference.segments;
        let first = segments.first()?.as_str();
        let tree = &self.crates[krate];
        if reference.leading_colon {
            return self.extern_unit(krate, first, &segments[1..]);
        }
        let here = |module: usize, rest: &[String]| {
            Some(Unit::Module {
                krate,
                module: tree.walk(module, rest),
            })
        };
        match first {
            "crate" => here(0, &segments[1..]),
            "self" => here(module, &segments[1..]),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let mut at = module;
                for _ in 0..ups {
                    at = tree.modules[at].parent?;
                }
                here(at, &segments[ups..])
            }
            "Self" => None,
            name if tree.child(module, name).is_some() => here(module, segments),
            name => self.extern_unit(krate, name, &segments[1..]),
        }
    }

    fn extern_unit(&self, krate: usize, name: &str, rest: &[String]) -> Option<Unit> {
        match self.externs.get(krate)?.get(name)? {
            Unit::Package(package) => match self.lib_of[*package] {
                Some(lib) => Some(Unit::Module {
                    krate: lib,
                    module: self.crates[lib].walk(0, rest),
                }),
                None => Some(Unit::Package(*package)),
            },
            other => Some(other.clone()),
        }
    }

    /// The package a unit belongs to, for a module or a package.
    pub fn package_of(&self, unit: &Unit) -> Option<usize> {
        match unit {
            Unit::Package(package) => Some(*package),
            Unit::Module { krate, .. } => self.crates[*krate].package,
            Unit::External(_) => None,
        }
    }

    /// The unit at crate level: a module's package, or the unit itself.
    pub fn crate_level(&self, unit: &Unit) -> Option<Unit> {
        match unit {
            Unit::Module { krate, .. } => self.crates[*krate].package.map(Unit::Package),
            other => Some(other.clone()),
        }
    }

    /// How users see a unit: `orders-api`, `orders_api::domain`, `sqlx`.
    pub fn name(&self, unit: &Unit) -> String {
        match unit {
            Unit::Package(package) => self.workspace.packages[*package].name.clone(),
            Unit::Module { krate, module } => self.crates[*krate].module_name(*module),
            Unit::External(name) => name.clone(),
        }
    }

    /// The shortest chain of normal dependencies from `start` (a package) to every package
    /// and external crate it reaches, not going past units for which `stop` is true.
    /// Gives each reached unit with its path, `start` excluded, in breadth-first order.
    pub fn reach(&self, start: &Unit, stop: &dyn Fn(&Unit) -> bool) -> Vec<(Unit, Vec<Unit>)> {
        let mut out = Vec::new();
        let mut seen: HashSet<Unit> = HashSet::from([start.clone()]);
        let mut queue: VecDeque<(Unit, Vec<Unit>)> = VecDeque::from([(start.clone(), vec![])]);
        while let Some((unit, path)) = queue.pop_front() {
            let Unit::Package(package) = unit else {
                continue;
            };
            if !path.is_empty() && stop(&unit) {
                continue;
            }
            for edge in &self.edges[package] {
                if edge.kind != DependencyKind::Normal || !seen.insert(edge.to.clone()) {
                    continue;
                }
                let mut next = path.clone();
                next.push(edge.to.clone());
                out.push((edge.to.clone(), next.clone()));
                queue.push_back((edge.to.clone(), next));
            }
        }
        out
    }
}

/// The workspace package whose directory a path dependency points at.
fn member_at(workspace: &Workspace, path: Option<&Path>) -> Option<usize> {
    let path = normalize(path?);
    workspace
        .packages
        .iter()
        .position(|package| normalize(&package.dir) == path)
}

/// `a/./b/../c` → `a/c`, lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

impl CrateModules {
    fn new(
        package: Option<usize>,
        name: String,
        is_lib: bool,
        root: PathBuf,
        facts: &FactsSource<'_>,
    ) -> CrateModules {
        let dir = root.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut krate = CrateModules {
            package,
            name,
            is_lib,
            modules: Vec::new(),
            edges: Vec::new(),
            seen: HashSet::new(),
        };
        krate.modules.push(ModuleNode {
            path: Vec::new(),
            parent: None,
            children: Vec::new(),
            file: None,
            facts: None,
            scope: None,
            test: false,
            dir: dir.clone(),
            path_base: dir,
            scope_names: Vec::new(),
            expanded: false,
        });
        krate.load(0, root, facts);
        krate
    }

    /// Points a module at its file.
    fn load(&mut self, module: usize, file: PathBuf, facts: &FactsSource<'_>) {
        let node = &self.modules[module];
        if !self.seen.insert((file.clone(), node.scope_names.clone())) {
            return;
        }
        let found = facts(&file);
        let scope = found
            .as_ref()
            .and_then(|f| f.scope_index(&self.modules[module].scope_names));
        let node = &mut self.modules[module];
        node.file = Some(Arc::new(file));
        node.facts = found;
        node.scope = scope;
    }

    /// `orders_api::domain::order`.
    pub fn module_name(&self, module: usize) -> String {
        let mut name = self.name.clone();
        for segment in &self.modules[module].path {
            name.push_str("::");
            name.push_str(segment);
        }
        name
    }

    pub fn child(&self, module: usize, name: &str) -> Option<usize> {
        self.modules[module]
            .children
            .iter()
            .find(|(child, _)| child == name)
            .map(|(_, index)| *index)
    }

    /// The deepest module a path leads to from `module`.
    pub fn walk(&self, module: usize, path: &[String]) -> usize {
        let mut at = module;
        for segment in path {
            match self.child(at, segment) {
                Some(child) => at = child,
                None => break,
            }
        }
        at
    }

    /// Whether `ancestor` is `module` or one of its parents.
    pub fn is_within(&self, module: usize, ancestor: usize) -> bool {
        let mut at = Some(module);
        while let Some(index) = at {
            if index == ancestor {
                return true;
            }
            at = self.modules[index].parent;
        }
        false
    }

    /// Reads the `mod` items of a module and adds its children (once).
    pub fn expand(&mut self, module: usize, facts: &FactsSource<'_>) {
        if self.modules[module].expanded {
            return;
        }
        self.modules[module].expanded = true;
        let node = &self.modules[module];
        if node.path.len() >= MAX_MODULE_DEPTH {
            return;
        }
        let (Some(found), Some(scope)) = (node.facts.clone(), node.scope) else {
            return;
        };
        let file = node.file.clone().expect("a module with facts has a file");
        for decl in found.mods.iter().filter(|decl| decl.scope == scope) {
            if self.child(module, &decl.name).is_some() {
                continue;
            }
            let parent = &self.modules[module];
            let mut path = parent.path.clone();
            path.push(decl.name.clone());
            let child_dir = parent.dir.join(&decl.name);
            let test = parent.test || decl.test;
            let index = self.modules.len();
            let (dir, path_base, scope_names, target) = if decl.inline {
                let mut names = parent.scope_names.clone();
                names.push(decl.name.clone());
                (
                    child_dir.clone(),
                    child_dir,
                    names,
                    Some(file.as_path().to_path_buf()),
                )
            } else if let Some(attr) = &decl.path_attr {
                let target = normalize(&parent.path_base.join(attr));
                let dir = target.parent().unwrap_or(Path::new("")).to_path_buf();
                (dir.clone(), dir, Vec::new(), Some(target))
            } else {
                let flat = normalize(&parent.dir.join(format!("{}.rs", decl.name)));
                let nested = normalize(&child_dir.join("mod.rs"));
                if facts(&nested).is_some() && facts(&flat).is_none() {
                    (child_dir.clone(), child_dir, Vec::new(), Some(nested))
                } else {
                    (child_dir, parent.dir.clone(), Vec::new(), Some(flat))
                }
            };
            self.modules.push(ModuleNode {
                path,
                parent: Some(module),
                children: Vec::new(),
                file: None,
                facts: None,
                scope: None,
                test,
                dir,
                path_base,
                scope_names,
                expanded: false,
            });
            self.modules[module]
                .children
                .push((decl.name.clone(), index));
            if let Some(target) = target {
                self.load(index, target, facts);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::rust::{CodeRole, RustFile};
    use crate::source::{FileKind, SourceFile};

    fn facts_of(files: &[(&str, &str)]) -> HashMap<PathBuf, Arc<ModuleFacts>> {
        files
            .iter()
            .map(|(path, text)| {
                let source = SourceFile::new(
                    Arc::new(PathBuf::from(path)),
                    PathBuf::from("/ws").join(path),
                    FileKind::Rust,
                    text.to_string(),
                );
                let file = RustFile::parse(&source, CodeRole::Production).ok().unwrap();
                (PathBuf::from(path), Arc::new(ModuleFacts::extract(&file)))
            })
            .collect()
    }

    fn loose_workspace() -> Workspace {
        Workspace::empty(PathBuf::from("/nowhere"))
    }

    #[test]
    fn module_tree_follows_files_inline_modules_and_path_attributes() {
        let files = facts_of(&[
            (
                "src/lib.rs",
                "mod a;\nmod b;\nmod c { mod d; }\n#[path = \"gen/e.rs\"] mod e;\n",
            ),
            ("src/a.rs", "mod x;\n"),
            ("src/a/x.rs", "use crate::b::Y;\nuse super::super::e::Z;\n"),
            ("src/b/mod.rs", "pub struct Y;\nmod inner;\n"),
            ("src/b/inner.rs", ""),
            ("src/c/d.rs", "use crate::a::x;\n"),
            ("src/gen/e.rs", "mod f;\n"),
            ("src/gen/f.rs", ""),
        ]);
        let source = |path: &Path| files.get(path).cloned();
        let workspace = loose_workspace();
        let mut model = Model::new(&workspace, &source);
        model.expand_all(&source);
        let krate = &model.crates[0];
        let names: Vec<(String, String)> = krate
            .modules
            .iter()
            .enumerate()
            .map(|(index, node)| {
                (
                    krate.module_name(index),
                    node.file
                        .as_ref()
                        .map(|f| f.display().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = [
            ("crate", "src/lib.rs"),
            ("crate::a", "src/a.rs"),
            ("crate::b", "src/b/mod.rs"),
            ("crate::c", "src/lib.rs"),
            ("crate::e", "src/gen/e.rs"),
            ("crate::a::x", "src/a/x.rs"),
            ("crate::b::inner", "src/b/inner.rs"),
            ("crate::c::d", "src/c/d.rs"),
            ("crate::e::f", "src/gen/f.rs"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(names, expected);
        let edges: Vec<(String, String)> = krate
            .edges
            .iter()
            .map(|e| (krate.module_name(e.from), model.name(&e.to)))
            .collect();
        assert_eq!(
            edges,
            [
                ("crate::a::x".to_string(), "crate::b".to_string()),
                ("crate::a::x".to_string(), "crate::e".to_string()),
                ("crate::c::d".to_string(), "crate::a::x".to_string()),
            ]
        );
    }
}
