//! Which files make up each binary of the workspace, and which binaries are long-running
//! servers. Per file: the out-of-line modules it declares, its `main` function, and the names
//! each function calls. Per workspace: each binary target's own files (its root and the
//! modules under it) and the workspace libraries it links (its package's library and the
//! workspace packages it depends on).
//!
//! A binary is a server when its own files start a server or consumer, or its `main` reaches
//! one through the workspace's call graph (by name, see [`crate::facts::calls`]). So a
//! `migrate` binary next to a server in one package is not a server, even when both link the
//! library that holds the server.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use syn::Item;

use crate::diagnostic::Span;
use crate::facts::RustFacts;
use crate::facts::calls::{CallGraph, FnId};
use crate::source::rust::{RustFile, is_test_code};
use crate::workspace::Workspace;

/// What a file says about the crate it belongs to.
#[derive(Clone, Debug, Default)]
pub struct CrateFacts {
    /// Out-of-line modules: the enclosing inline modules, the name, and a `#[path]` if any.
    pub modules: Vec<ModuleDecl>,
    /// The name of the top-level `fn main` (or of rocket's `#[launch]` function).
    pub entry: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct ModuleDecl {
    pub parents: Vec<String>,
    pub name: String,
    pub path: Option<String>,
}

impl CrateFacts {
    pub fn extract(file: &RustFile<'_>) -> CrateFacts {
        let mut facts = CrateFacts::default();
        collect_modules(&file.syntax.items, &mut Vec::new(), &mut facts.modules);
        for item in &file.syntax.items {
            if let Item::Fn(function) = item {
                let launch = function.attrs.iter().any(|attr| {
                    attr.path()
                        .segments
                        .last()
                        .is_some_and(|segment| segment.ident == "launch")
                });
                if function.sig.ident == "main" || launch && facts.entry.is_none() {
                    facts.entry = Some(file.span(&function.sig.ident));
                }
            }
        }
        facts
    }

    /// The files of the modules this file declares, relative to the workspace root.
    /// `is_root`: the file is a crate root (its modules sit next to it).
    pub fn module_files(&self, file: &Path, is_root: bool) -> Vec<PathBuf> {
        let dir = file.parent().unwrap_or(Path::new(""));
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let base = if is_root || matches!(stem, "mod" | "lib" | "main") {
            dir.to_path_buf()
        } else {
            dir.join(stem)
        };
        let mut files = Vec::new();
        for module in &self.modules {
            let mut inner = base.clone();
            inner.extend(&module.parents);
            match &module.path {
                Some(path) if module.parents.is_empty() => files.push(dir.join(path)),
                Some(path) => files.push(inner.join(path)),
                None => {
                    files.push(inner.join(format!("{}.rs", module.name)));
                    files.push(inner.join(&module.name).join("mod.rs"));
                }
            }
        }
        files
    }
}

fn collect_modules(items: &[Item], parents: &mut Vec<String>, out: &mut Vec<ModuleDecl>) {
    for item in items {
        let Item::Mod(module) = item else {
            continue;
        };
        if is_test_code(&module.attrs) {
            continue;
        }
        let name = module.ident.to_string();
        match &module.content {
            Some((_, inner)) => {
                parents.push(name);
                collect_modules(inner, parents, out);
                parents.pop();
            }
            None => {
                let path = module.attrs.iter().find_map(|attr| match &attr.meta {
                    syn::Meta::NameValue(nv) if nv.path.is_ident("path") => {
                        crate::source::rust::string_literal(&nv.value)
                    }
                    _ => None,
                });
                out.push(ModuleDecl {
                    parents: parents.clone(),
                    name,
                    path,
                });
            }
        }
    }
}

/// One binary target and the files it is built from (indices into the facts list).
#[derive(Debug)]
pub struct Binary {
    /// The binary's name (its target name, or the file stem when cargo was not asked).
    pub name: String,
    /// Its package's directory, relative to the root.
    pub package_dir: PathBuf,
    /// The index of the package in `Workspace::packages`, when cargo described it.
    pub package: Option<usize>,
    /// The root file (`src/main.rs`), relative to the workspace root.
    pub root: PathBuf,
    /// Index of the root file in the facts, when it parsed.
    pub root_facts: Option<usize>,
    /// The root file and the modules under it.
    pub own: Vec<usize>,
    /// The workspace libraries it links: its package's library and the workspace packages it
    /// depends on, with their modules.
    pub libraries: Vec<usize>,
    /// Whether it runs as a long-lived server or consumer.
    pub is_server: bool,
    /// The server and consumer starts it runs: those of its own files, and those of library
    /// functions its `main` reaches (file index, index into that file's `servers`).
    pub starts: Vec<(usize, usize)>,
    /// An example rather than a deliverable: a package in an `examples/` directory, or named
    /// `examples` or `example-…`.
    pub is_example: bool,
}

impl Binary {
    /// Every file of the binary: its own and its libraries'.
    pub fn files(&self) -> impl Iterator<Item = usize> + '_ {
        self.own.iter().chain(&self.libraries).copied()
    }
}

struct PackageView {
    index: Option<usize>,
    is_example: bool,
    dir: PathBuf,
    bins: Vec<(String, PathBuf)>,
    lib: Option<PathBuf>,
    dependencies: Vec<String>,
    name: String,
}

/// Every binary of the workspace, with its files and whether it is a server.
pub fn binaries(workspace: &Workspace, facts: &[(Arc<PathBuf>, Arc<RustFacts>)]) -> Vec<Binary> {
    let index: HashMap<&Path, usize> = facts
        .iter()
        .enumerate()
        .map(|(i, (path, _))| (path.as_path(), i))
        .collect();
    let packages = package_views(workspace, &index);
    let graph = CallGraph::new(workspace, facts);
    let mut starts_in: HashMap<FnId, Vec<(usize, usize)>> = HashMap::new();
    for (file, (_, file_facts)) in facts.iter().enumerate() {
        for (index, start) in file_facts.servers.iter().enumerate() {
            if let Some(function) = graph.enclosing(file, start.span) {
                starts_in.entry(function).or_default().push((file, index));
            }
        }
    }
    let closure = |root: &Path| -> Vec<usize> {
        let mut seen = Vec::new();
        let Some(&start) = index.get(root) else {
            return seen;
        };
        let mut queue = vec![(start, true)];
        while let Some((file, is_root)) = queue.pop() {
            if seen.contains(&file) {
                continue;
            }
            seen.push(file);
            let (path, file_facts) = &facts[file];
            for module in file_facts.krate.module_files(path, is_root) {
                if let Some(&found) = index.get(module.as_path()) {
                    queue.push((found, false));
                }
            }
        }
        seen.sort_unstable();
        seen
    };
    let mut binaries = Vec::new();
    for package in &packages {
        // The package's library, then the workspace packages it depends on, transitively.
        let mut libraries: Vec<usize> = Vec::new();
        let mut visited: Vec<&str> = vec![package.name.as_str()];
        let mut pending: Vec<&PackageView> = vec![package];
        while let Some(current) = pending.pop() {
            if let Some(lib) = &current.lib {
                libraries.extend(closure(lib));
            }
            for dependency in &current.dependencies {
                if visited.contains(&dependency.as_str()) {
                    continue;
                }
                visited.push(dependency);
                if let Some(found) = packages.iter().find(|p| &p.name == dependency) {
                    pending.push(found);
                }
            }
        }
        libraries.sort_unstable();
        libraries.dedup();
        for (name, root) in &package.bins {
            let own = closure(root);
            let libraries: Vec<usize> = libraries
                .iter()
                .copied()
                .filter(|i| !own.contains(i))
                .collect();
            let root_facts = index.get(root.as_path()).copied();
            let mut starts: Vec<(usize, usize)> = own
                .iter()
                .flat_map(|&file| (0..facts[file].1.servers.len()).map(move |i| (file, i)))
                .collect();
            if let Some(main) = root_facts.and_then(|root| main_function(facts, root)) {
                let reached = graph.reachable(&[main], false);
                let mut from_libraries: Vec<(usize, usize)> = reached
                    .keys()
                    .filter(|(file, _)| !own.contains(file))
                    .filter_map(|function| starts_in.get(function))
                    .flatten()
                    .copied()
                    .collect();
                from_libraries.sort_unstable();
                starts.extend(from_libraries);
            }
            binaries.push(Binary {
                name: name.clone(),
                package_dir: package.dir.clone(),
                package: package.index,
                root: root.clone(),
                root_facts,
                own,
                libraries,
                is_server: !starts.is_empty(),
                starts,
                is_example: package.is_example,
            });
        }
    }
    binaries
}

/// The call graph's node for the entry function of a binary's root file.
fn main_function(facts: &[(Arc<PathBuf>, Arc<RustFacts>)], root: usize) -> Option<FnId> {
    let entry = facts[root].1.krate.entry?;
    let index = facts[root]
        .1
        .calls
        .functions
        .iter()
        .position(|f| f.name_span == entry)?;
    Some((root, index))
}

/// The packages with their binary and library roots; guessed from the usual layout when cargo
/// did not describe them (or there is no Cargo workspace, as for a single file).
fn package_views(workspace: &Workspace, index: &HashMap<&Path, usize>) -> Vec<PackageView> {
    let relative = |path: &Path| -> PathBuf {
        path.strip_prefix(&workspace.root)
            .unwrap_or(path)
            .to_path_buf()
    };
    let guess = |dir: &Path| -> (Vec<(String, PathBuf)>, Option<PathBuf>) {
        let mut bins = Vec::new();
        let main = dir.join("src/main.rs");
        if index.contains_key(main.as_path()) {
            bins.push((guessed_name(&workspace.root, dir), main));
        }
        let bin_dir = dir.join("src/bin");
        let mut extra: Vec<(String, PathBuf)> = index
            .keys()
            .filter_map(|path| {
                let rest = path.strip_prefix(&bin_dir).ok()?;
                let parts: Vec<&str> = rest.iter().filter_map(|c| c.to_str()).collect();
                match parts.as_slice() {
                    [file] => Some((file.strip_suffix(".rs")?.to_string(), path.to_path_buf())),
                    [name, "main.rs"] => Some((name.to_string(), path.to_path_buf())),
                    _ => None,
                }
            })
            .collect();
        extra.sort();
        bins.extend(extra);
        let lib = dir.join("src/lib.rs");
        let lib = index.contains_key(lib.as_path()).then_some(lib);
        (bins, lib)
    };
    if workspace.packages.is_empty() {
        let (bins, lib) = guess(Path::new(""));
        return vec![PackageView {
            index: None,
            is_example: false,
            dir: PathBuf::new(),
            bins,
            lib,
            dependencies: Vec::new(),
            name: String::new(),
        }];
    }
    workspace
        .packages
        .iter()
        .enumerate()
        .map(|(i, package)| {
            let (bins, lib) = if package.targets.is_empty() {
                guess(&package.dir)
            } else {
                let bins = package
                    .targets
                    .iter()
                    .filter(|t| t.kinds.iter().any(|k| k == "bin"))
                    .map(|t| (t.name.clone(), relative(&t.src_path)))
                    .collect();
                let lib = package
                    .targets
                    .iter()
                    .find(|t| {
                        t.kinds.iter().any(|k| {
                            matches!(
                                k.as_str(),
                                "lib" | "rlib" | "dylib" | "cdylib" | "staticlib"
                            )
                        })
                    })
                    .map(|t| relative(&t.src_path));
                (bins, lib)
            };
            PackageView {
                index: Some(i),
                is_example: package.is_example(),
                dir: package.dir.clone(),
                bins,
                lib,
                dependencies: package.dependencies.clone(),
                name: package.name.clone(),
            }
        })
        .collect()
}

/// A package's name when cargo did not give it: `[package] name` of its manifest, else its
/// directory's name.
fn guessed_name(root: &Path, dir: &Path) -> String {
    // A file checked on its own (the editor, the documentation) has no workspace on disk.
    if root.as_os_str().is_empty() {
        return "main".to_string();
    }
    let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml")).ok();
    let named = manifest.as_deref().and_then(|text| {
        let manifest = crate::source::manifest::Manifest::parse(text).ok()?;
        manifest.package_name().map(str::to_string)
    });
    named
        .or_else(|| {
            root.join(dir)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "main".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_files_follow_the_crate_layout() {
        let text =
            "mod routes; mod api { mod v1; } #[path = \"gen/x.rs\"] mod x; #[cfg(test)] mod tests;";
        let source = crate::source::SourceFile::new(
            Arc::new(PathBuf::from("svc/src/bin/admin.rs")),
            PathBuf::from("/ws/svc/src/bin/admin.rs"),
            crate::source::FileKind::Rust,
            text.to_string(),
        );
        let file = RustFile::parse(&source, crate::source::rust::CodeRole::Production)
            .ok()
            .unwrap();
        let facts = CrateFacts::extract(&file);
        let as_root: Vec<String> = facts
            .module_files(Path::new("svc/src/bin/admin.rs"), true)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            as_root,
            [
                "svc/src/bin/routes.rs",
                "svc/src/bin/routes/mod.rs",
                "svc/src/bin/api/v1.rs",
                "svc/src/bin/api/v1/mod.rs",
                "svc/src/bin/gen/x.rs"
            ]
        );
        let as_module = facts.module_files(Path::new("svc/src/orders.rs"), false);
        assert_eq!(as_module[0], Path::new("svc/src/orders/routes.rs"));
    }
}
