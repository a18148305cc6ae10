//! Finds the workspace root, asks cargo for its packages and walks its files.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::FileKind;
use crate::source::rust::CodeRole;

pub struct Workspace {
    pub root: PathBuf,
    /// The part of the workspace that was read, when not all of it.
    pub scope: Option<PathBuf>,
    /// Whether a Cargo.toml was found; a directory of deployment files is checked too.
    pub is_cargo_workspace: bool,
    pub packages: Vec<Package>,
    pub files: Vec<WorkspaceFile>,
    /// Problems that did not stop the run, for stderr.
    pub warnings: Vec<String>,
    /// Each package's directory and its index in `packages`, built on first use: every file of
    /// a large workspace asks which package holds it.
    pub(crate) package_dirs: std::sync::OnceLock<HashMap<PathBuf, usize>>,
}

pub struct Package {
    pub name: String,
    pub version: String,
    /// The package directory, relative to the root (empty for a root package).
    pub dir: PathBuf,
    pub targets: Vec<Target>,
    /// Names of the packages it depends on (normal dependencies).
    pub dependencies: Vec<String>,
    /// Every dependency as declared, of every kind (the architecture rules' crate graph).
    pub declared: Vec<DeclaredDependency>,
    /// `[package.metadata.fitness] tags = […]`.
    pub tags: Vec<String>,
}

/// A dependency as cargo metadata gives it.
pub struct DeclaredDependency {
    /// The package depended on.
    pub name: String,
    /// `alias = { package = "name", … }`: the alias, which is also its key in Cargo.toml.
    pub rename: Option<String>,
    pub kind: crate::source::manifest::DependencyKind,
    /// `cfg(unix)` for `[target.'cfg(unix)'.dependencies]`.
    pub target: Option<String>,
    /// A path dependency's directory, relative to the root.
    pub path: Option<PathBuf>,
}

impl DeclaredDependency {
    /// Its key in the `Cargo.toml` dependency table.
    pub fn key(&self) -> &str {
        self.rename.as_deref().unwrap_or(&self.name)
    }
}

impl Package {
    /// A package that exists to show how something is used, not to ship: it sits in an
    /// `examples/` (or `example/`) directory, or is named `examples`, `example-…` or
    /// `example_…` (tonic's `examples` package, axum's `example-hello-world`).
    pub fn is_example(&self) -> bool {
        let in_examples = self
            .dir
            .components()
            .any(|c| matches!(c.as_os_str().to_str(), Some("examples" | "example")));
        in_examples
            || self.name == "examples"
            || self.name.starts_with("example-")
            || self.name.starts_with("example_")
    }
}

pub struct Target {
    pub name: String,
    pub kinds: Vec<String>,
    pub src_path: PathBuf,
}

pub struct WorkspaceFile {
    pub absolute: PathBuf,
    /// Relative to the root, as users see it.
    pub path: Arc<PathBuf>,
    pub kind: FileKind,
}

/// Where a run looks: the workspace root, and the part of it the user asked about.
pub struct Location {
    pub root: PathBuf,
    pub is_cargo_workspace: bool,
    /// A directory or file below the root given on the command line; only it is reported on.
    pub scope: Option<PathBuf>,
}

/// Which files of the workspace a run reads.
#[derive(Clone, Default)]
pub struct FileFilter {
    /// Only files below this path (relative to the root).
    pub scope: Option<PathBuf>,
    /// Files and directories matching these globs (relative to the root) are skipped.
    pub exclude: globset::GlobSet,
}

impl FileFilter {
    fn admits(&self, relative: &Path, is_dir: bool) -> bool {
        if self.exclude.is_match(relative) {
            return false;
        }
        match &self.scope {
            None => true,
            // A directory on the way down to the scope is walked; files must lie below it.
            Some(scope) => relative.starts_with(scope) || (is_dir && scope.starts_with(relative)),
        }
    }
}

/// Where to look: a path given on the command line, or `--manifest-path`.
pub fn locate(path: Option<&Path>, manifest_path: Option<&Path>) -> Result<Location, String> {
    let (root, is_cargo_workspace) = find_root(path, manifest_path)?;
    let scope = match path {
        Some(path) if manifest_path.is_none() => {
            let path = absolute(path)?;
            path.strip_prefix(&root)
                .ok()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
        }
        _ => None,
    };
    Ok(Location {
        root,
        is_cargo_workspace,
        scope,
    })
}

fn find_root(path: Option<&Path>, manifest_path: Option<&Path>) -> Result<(PathBuf, bool), String> {
    if let Some(manifest) = manifest_path {
        if !manifest.is_file() {
            return Err(format!("manifest `{}` does not exist", manifest.display()));
        }
        let dir = manifest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return Ok((workspace_root_of(&absolute(dir)?), true));
    }
    let start = match path {
        Some(path) if !path.exists() => return Err(format!("`{}` does not exist", path.display())),
        Some(path) if path.is_file() => path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        Some(path) => path.to_path_buf(),
        None => PathBuf::from("."),
    };
    let start = absolute(&start)?;
    let nearest = start
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file());
    match nearest {
        Some(dir) => Ok((workspace_root_of(dir), true)),
        None => Ok((start, false)),
    }
}

/// A package's workspace root: the nearest ancestor (itself included) whose Cargo.toml has
/// `[workspace]`, or the package itself.
fn workspace_root_of(package_dir: &Path) -> PathBuf {
    package_dir
        .ancestors()
        .find(|candidate| declares_workspace(&candidate.join("Cargo.toml")))
        .unwrap_or(package_dir)
        .to_path_buf()
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::fs::canonicalize(path)
        .map_err(|error| format!("cannot open `{}`: {error}", path.display()))
}

fn declares_workspace(manifest: &Path) -> bool {
    std::fs::read_to_string(manifest)
        .is_ok_and(|text| text.lines().any(|line| line.trim() == "[workspace]"))
}

impl Workspace {
    pub fn discover(root: PathBuf, is_cargo_workspace: bool, filter: &FileFilter) -> Workspace {
        let mut warnings = Vec::new();
        let (files, walk_warnings) = walk(&root, filter);
        warnings.extend(walk_warnings);
        let packages = if is_cargo_workspace {
            match cargo_packages(&root) {
                Ok(packages) => packages,
                Err(error) => {
                    warnings.push(format!(
                        "cargo metadata failed, packages are guessed from the file tree: {error}"
                    ));
                    packages_from_files(&files)
                }
            }
        } else {
            // No Cargo workspace at the root: the packages below it still have their own
            // tests, examples and binaries.
            packages_from_files(&files)
        };
        Workspace {
            root,
            scope: filter.scope.clone(),
            is_cargo_workspace,
            packages,
            files,
            warnings,
            package_dirs: Default::default(),
        }
    }

    /// A workspace of no packages and no files: a single file checked on its own.
    pub fn empty(root: PathBuf) -> Workspace {
        Workspace {
            root,
            scope: None,
            is_cargo_workspace: false,
            packages: Vec::new(),
            files: Vec::new(),
            warnings: Vec::new(),
            package_dirs: Default::default(),
        }
    }

    /// The package a file belongs to: the deepest package directory that holds it.
    pub fn package_of(&self, path: &Path) -> Option<&Package> {
        self.package_index_of(path)
            .map(|index| &self.packages[index])
    }

    /// The index in `packages` of the package a file belongs to.
    pub fn package_index_of(&self, path: &Path) -> Option<usize> {
        let dirs = self.package_dirs.get_or_init(|| {
            self.packages
                .iter()
                .enumerate()
                .map(|(index, package)| (package.dir.clone(), index))
                .collect()
        });
        path.ancestors().find_map(|dir| dirs.get(dir)).copied()
    }

    /// What a Rust file is for: shipping code, tests, benches, examples or a build script.
    pub fn code_role(&self, path: &Path) -> CodeRole {
        match self.package_of(path) {
            Some(package) => {
                let in_package = path.strip_prefix(&package.dir).unwrap_or(path);
                let is_build_script = package.targets.iter().any(|t| {
                    t.kinds.iter().any(|k| k == "custom-build")
                        && self.root.join(path) == t.src_path
                });
                if is_build_script {
                    CodeRole::BuildScript
                } else if package.is_example() {
                    CodeRole::Example
                } else {
                    CodeRole::of_package_path(in_package)
                }
            }
            // Outside every package cargo knows (a vendored path dependency): the nearest
            // directory with a Cargo.toml is its package.
            None => {
                let package_dir = path.ancestors().skip(1).find(|dir| {
                    self.files
                        .iter()
                        .any(|f| f.kind == FileKind::CargoManifest && f.path.parent() == Some(*dir))
                });
                match package_dir {
                    Some(dir) => CodeRole::of_package_path(path.strip_prefix(dir).unwrap_or(path)),
                    None => CodeRole::of_package_path(path),
                }
            }
        }
    }
}

fn cargo_packages(root: &Path) -> Result<Vec<Package>, String> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        .other_options(vec!["--offline".to_string()])
        .exec()
        .map_err(|error| one_line(&error.to_string()))?;
    Ok(metadata
        .workspace_packages()
        .into_iter()
        .map(|package| {
            let dir = package
                .manifest_path
                .parent()
                .map(|p| p.as_std_path())
                .unwrap_or(root);
            Package {
                name: package.name.to_string(),
                version: package.version.to_string(),
                dir: dir
                    .strip_prefix(root)
                    .unwrap_or(Path::new(""))
                    .to_path_buf(),
                targets: package
                    .targets
                    .iter()
                    .map(|target| Target {
                        name: target.name.clone(),
                        kinds: target.kind.iter().map(|k| k.to_string()).collect(),
                        src_path: target.src_path.clone().into_std_path_buf(),
                    })
                    .collect(),
                dependencies: package
                    .dependencies
                    .iter()
                    .filter(|dep| dep.kind == cargo_metadata::DependencyKind::Normal)
                    .map(|dep| dep.name.clone())
                    .collect(),
                declared: package
                    .dependencies
                    .iter()
                    .map(|dep| declared_dependency(dep, root))
                    .collect(),
                tags: package.metadata["fitness"]["tags"]
                    .as_array()
                    .map(|tags| {
                        tags.iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect())
}

fn declared_dependency(dep: &cargo_metadata::Dependency, root: &Path) -> DeclaredDependency {
    use crate::source::manifest::DependencyKind;
    DeclaredDependency {
        name: dep.name.clone(),
        rename: dep.rename.clone(),
        kind: match dep.kind {
            cargo_metadata::DependencyKind::Development => DependencyKind::Dev,
            cargo_metadata::DependencyKind::Build => DependencyKind::Build,
            _ => DependencyKind::Normal,
        },
        target: dep.target.as_ref().map(|t| t.to_string()),
        path: dep.path.as_ref().map(|path| {
            path.as_std_path()
                .strip_prefix(root)
                .unwrap_or(path.as_std_path())
                .to_path_buf()
        }),
    }
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Without cargo: every directory with a Cargo.toml that has `[package]` is a package.
fn packages_from_files(files: &[WorkspaceFile]) -> Vec<Package> {
    files
        .iter()
        .filter(|file| file.kind == FileKind::CargoManifest)
        .filter(|file| {
            std::fs::read_to_string(&file.absolute).is_ok_and(|t| t.contains("[package]"))
        })
        .map(|file| Package {
            name: file
                .path
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            version: "0.0.0".to_string(),
            dir: file.path.parent().unwrap_or(Path::new("")).to_path_buf(),
            targets: Vec::new(),
            dependencies: Vec::new(),
            declared: Vec::new(),
            tags: Vec::new(),
        })
        .collect()
}

/// Directories never worth reading.
const SKIPPED_DIRECTORIES: &[&str] = &["target", ".git", "node_modules", ".hg", ".svn"];

/// The files of the workspace that some rule reads, honouring .gitignore. Directories holding
/// another Cargo workspace are left to that workspace.
fn walk(root: &Path, filter: &FileFilter) -> (Vec<WorkspaceFile>, Vec<String>) {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let mut helm_templates = 0;
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry({
            let root = root.to_path_buf();
            let filter = filter.clone();
            move |entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                if entry.path() == root {
                    return true;
                }
                let relative = entry.path().strip_prefix(&root).unwrap_or(entry.path());
                if !filter.admits(relative, is_dir) {
                    return false;
                }
                if !is_dir {
                    return true;
                }
                let name = entry.file_name().to_string_lossy();
                !SKIPPED_DIRECTORIES.contains(&name.as_ref())
                    && !declares_workspace(&entry.path().join("Cargo.toml"))
            }
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                warnings.push(format!("skipped: {}", one_line(&error.to_string())));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(kind) = FileKind::of(entry.path()) else {
            continue;
        };
        if kind == FileKind::Yaml && is_helm_template(entry.path()) {
            helm_templates += 1;
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_path_buf();
        files.push(WorkspaceFile {
            absolute: entry.path().to_path_buf(),
            path: Arc::new(relative),
            kind,
        });
    }
    if helm_templates > 0 {
        warnings.push(format!(
            "skipped {helm_templates} Helm template file(s): templates are not YAML until rendered; \
             render them (`helm template … > rendered.yaml`) to check the manifests"
        ));
    }
    (files, warnings)
}

/// A file under `templates/` of a Helm chart (a directory with `Chart.yaml`).
fn is_helm_template(path: &Path) -> bool {
    path.ancestors()
        .skip(1)
        .take_while(|dir| dir.file_name().is_some())
        .any(|dir| {
            dir.file_name().is_some_and(|n| n == "templates")
                && dir
                    .parent()
                    .is_some_and(|chart| chart.join("Chart.yaml").is_file())
        })
}

/// Which code is service code: the shipping code of a binary that runs a server or consumer,
/// and of the workspace libraries such a binary depends on. CLI tools, admin binaries and
/// load generators are not.
pub struct ServiceCode<'w> {
    workspace: &'w Workspace,
    /// Indices of the packages all of whose code is service code.
    packages: HashSet<usize>,
    /// In a package whose binaries are servers and clients side by side, the binaries that are not.
    non_service_binaries: HashSet<PathBuf>,
}

impl<'w> ServiceCode<'w> {
    /// From the files that start a server or consumer (paths relative to the root).
    pub fn new<'p>(workspace: &'w Workspace, serving: impl IntoIterator<Item = &'p Path>) -> Self {
        let mut serving_in: HashMap<usize, Vec<&Path>> = HashMap::new();
        for path in serving {
            if let Some(index) = workspace.package_index_of(path) {
                serving_in.entry(index).or_default().push(path);
            }
        }
        let mut found = Vec::new();
        let mut non_service_binaries = HashSet::new();
        for (index, package) in workspace.packages.iter().enumerate() {
            let Some(serving_here) = serving_in.get(&index) else {
                continue;
            };
            let binaries: Vec<PathBuf> = package
                .targets
                .iter()
                .filter(|t| t.kinds.iter().any(|k| k == "bin"))
                .map(|t| {
                    t.src_path
                        .strip_prefix(&workspace.root)
                        .unwrap_or(&t.src_path)
                        .to_path_buf()
                })
                .collect();
            // A library serves no one by itself; it is service code when a service uses it.
            let is_library = binaries.is_empty() && !package.targets.is_empty();
            if is_library {
                continue;
            }
            found.push(index);
            let only_in_binaries = serving_here
                .iter()
                .all(|path| binaries.iter().any(|b| b == path));
            if only_in_binaries {
                non_service_binaries.extend(
                    binaries
                        .into_iter()
                        .filter(|b| !serving_here.contains(&b.as_path())),
                );
            }
        }
        let by_name: HashMap<&str, usize> = workspace
            .packages
            .iter()
            .enumerate()
            .map(|(index, package)| (package.name.as_str(), index))
            .collect();
        let mut packages: HashSet<usize> = found.iter().copied().collect();
        while let Some(index) = found.pop() {
            for dependency in &workspace.packages[index].dependencies {
                if let Some(&member) = by_name.get(dependency.as_str())
                    && packages.insert(member)
                {
                    found.push(member);
                }
            }
        }
        ServiceCode {
            workspace,
            packages,
            non_service_binaries,
        }
    }

    pub fn contains(&self, path: &Path) -> bool {
        match self.workspace.package_index_of(path) {
            Some(index) => {
                self.packages.contains(&index) && !self.non_service_binaries.contains(path)
            }
            None => true,
        }
    }
}
