//! The service model: each deployable binary linked to what builds and runs it — the
//! Dockerfiles that build it, the image they produce, the Kubernetes containers and compose
//! services that run it. Cross-file rules, `inventory` and `graph` read it.
//!
//! Links are guessed from what the files say: a Dockerfile builds binary X when it runs
//! `cargo build --bin X` (or `-p X` of a one-binary package), copies `target/…/X` out of a stage,
//! or starts `X`; a Dockerfile inside a package builds that package's only binary. A compose
//! service runs what its `build:` builds, and its `image:` names the image; a Kubernetes
//! container runs a service when its image's name (the last path segment, without tag) is the
//! binary's name or an image a compose service builds. `[[services]]` in the configuration
//! settles what the guess cannot.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::facts::RustFacts;
use crate::facts::calls::{CallGraph, FnId};
use crate::facts::docker::{basename, cargo_command, run_commands, shipping_stage};
use crate::rule::WorkspaceContext;
use crate::source::SourceFile;
use crate::source::compose::ComposeService;
use crate::source::dockerfile::{Args, Dockerfile};
use crate::source::kubernetes::Container;
use crate::workspace::Package;

/// A `[[services]]` entry: what the guess should take as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceOverride {
    pub name: String,
    pub bin: Option<String>,
    pub dockerfile: Option<PathBuf>,
    pub manifests: Vec<String>,
    pub compose_service: Option<String>,
}

pub struct ServiceModel<'a> {
    pub services: Vec<Service<'a>>,
    /// What could not be linked, for `inventory` (not findings).
    pub notes: Vec<String>,
}

/// One deployable binary and everything that builds and runs it.
pub struct Service<'a> {
    pub name: String,
    pub binary: Option<Binary<'a>>,
    pub dockerfiles: Vec<Built<'a>>,
    pub containers: Vec<Container<'a>>,
    pub compose: Vec<ComposeService<'a>>,
}

pub struct Binary<'a> {
    pub name: String,
    pub package: &'a Package,
    /// The binary's root file, relative to the workspace root.
    pub root: PathBuf,
    /// It starts a server or consumer (it is service code).
    pub serves: bool,
    /// Its Rust files, as indices into `WorkspaceContext::rust_facts`: its own module tree and
    /// the libraries it links (its package's library, the workspace packages it depends on).
    /// Other binaries of those packages, and tests, are not its code.
    pub files: Vec<usize>,
    /// Its own files (the module tree under its root), as indices like `files`.
    pub own_files: Vec<usize>,
    /// The functions its `main` reaches through the name-based call graph, when the tool can
    /// follow them: library code runs in this binary only if reached.
    pub reached: Option<HashSet<FnId>>,
}

/// A Dockerfile that builds the service, and why the model thinks so.
pub struct Built<'a> {
    pub source: &'a Arc<SourceFile>,
    pub dockerfile: &'a Dockerfile,
    pub reason: String,
}

impl<'a> ServiceModel<'a> {
    pub fn build(cx: &WorkspaceContext<'a>, overrides: &[ServiceOverride]) -> ServiceModel<'a> {
        let mut model = ServiceModel {
            services: Vec::new(),
            notes: Vec::new(),
        };
        let linked = cx.binaries();
        let calls = CallGraph::new(cx.workspace, cx.rust_facts);
        for package in &cx.workspace.packages {
            for target in package
                .targets
                .iter()
                .filter(|t| t.kinds.iter().any(|k| k == "bin"))
            {
                let root = target
                    .src_path
                    .strip_prefix(&cx.workspace.root)
                    .unwrap_or(&target.src_path)
                    .to_path_buf();
                let found = linked.iter().find(|b| b.root == root);
                let serves = match found {
                    Some(binary) => binary.is_server && cx.services.contains(&root),
                    None => cx.services.contains(&root) && package_serves(cx, package),
                };
                let files = found.map(|b| b.files().collect()).unwrap_or_default();
                let own_files = found.map(|b| b.own.clone()).unwrap_or_default();
                let reached = found
                    .and_then(|b| b.root_facts)
                    .and_then(|root| entry_function(cx, root))
                    .map(|main| calls.reachable(&[main], false).into_keys().collect());
                model.services.push(Service {
                    name: target.name.clone(),
                    binary: Some(Binary {
                        name: target.name.clone(),
                        package,
                        root,
                        serves,
                        files,
                        own_files,
                        reached,
                    }),
                    dockerfiles: Vec::new(),
                    containers: Vec::new(),
                    compose: Vec::new(),
                });
            }
        }
        for entry in overrides {
            let exists = model.services.iter().any(|s| {
                Some(entry.bin.as_deref().unwrap_or(&entry.name))
                    == s.binary.as_ref().map(|b| b.name.as_str())
            });
            if !exists {
                model.services.push(Service {
                    name: entry.name.clone(),
                    binary: None,
                    dockerfiles: Vec::new(),
                    containers: Vec::new(),
                    compose: Vec::new(),
                });
            }
        }
        model.link_dockerfiles(cx, overrides);
        model.link_compose(cx, overrides);
        model.link_containers(cx, overrides);
        model
    }

    /// The service a binary name belongs to.
    pub fn by_binary(&self, name: &str) -> Option<&Service<'a>> {
        self.services
            .iter()
            .find(|s| s.binary.as_ref().is_some_and(|b| b.name == name))
    }

    fn index_for(&self, binary_or_name: &str, overrides: &[ServiceOverride]) -> Option<usize> {
        let wanted = overrides
            .iter()
            .find(|o| o.name == binary_or_name || o.bin.as_deref() == Some(binary_or_name))
            .map(|o| o.bin.clone().unwrap_or_else(|| o.name.clone()))
            .unwrap_or_else(|| binary_or_name.to_string());
        self.services.iter().position(|s| {
            s.binary.as_ref().is_some_and(|b| b.name == wanted)
                || (s.binary.is_none() && s.name == binary_or_name)
        })
    }

    fn link_dockerfiles(&mut self, cx: &WorkspaceContext<'a>, overrides: &[ServiceOverride]) {
        for (source, dockerfile) in cx.dockerfiles {
            let forced = overrides
                .iter()
                .find(|o| o.dockerfile.as_deref() == Some(source.path.as_path()));
            let built: Vec<(String, String)> = match forced {
                Some(entry) => vec![(
                    entry.bin.clone().unwrap_or_else(|| entry.name.clone()),
                    "named by `[[services]]`".into(),
                )],
                None => built_binaries(dockerfile, source, cx),
            };
            // A Dockerfile of another language's service is not expected to build a Rust binary.
            if built.is_empty() && builds_rust(dockerfile) {
                self.notes.push(format!(
                    "{}: builds no binary of this workspace that the tool can tell",
                    source.path.display()
                ));
            }
            for (binary, reason) in built {
                match self.index_for(&binary, overrides) {
                    Some(index) => self.services[index].dockerfiles.push(Built {
                        source,
                        dockerfile,
                        reason,
                    }),
                    None => self.notes.push(format!(
                        "{}: builds `{binary}`, which no `[[bin]]` of the workspace is",
                        source.path.display()
                    )),
                }
            }
        }
    }

    fn link_compose(&mut self, cx: &WorkspaceContext<'a>, overrides: &[ServiceOverride]) {
        for file in cx.deployment.compose_files() {
            for service in file.services() {
                let forced = overrides
                    .iter()
                    .find(|o| o.compose_service.as_deref() == Some(service.name));
                let index = match forced {
                    Some(entry) => self.index_for(&entry.name, overrides),
                    None => self.compose_target(&service).or_else(|| {
                        let image = service.image().and_then(|n| n.as_str()).map(image_name);
                        image
                            .and_then(|image| self.index_for(image, overrides))
                            .or_else(|| self.index_for(service.name, overrides))
                    }),
                };
                if let Some(index) = index {
                    self.services[index].compose.push(service);
                }
            }
        }
    }

    /// The service whose Dockerfile a compose `build:` names.
    fn compose_target(&self, service: &ComposeService<'a>) -> Option<usize> {
        let path = service.dockerfile_path()?;
        self.services.iter().position(|s| {
            s.dockerfiles
                .iter()
                .any(|built| built.source.path.as_path() == path)
        })
    }

    fn link_containers(&mut self, cx: &WorkspaceContext<'a>, overrides: &[ServiceOverride]) {
        for object in cx.deployment.cluster.objects() {
            let Some(workload) = object.workload() else {
                continue;
            };
            for container in workload.all_containers() {
                let forced = overrides.iter().find(|o| {
                    o.manifests.iter().any(|pattern| {
                        globset::Glob::new(pattern).is_ok_and(|g| {
                            g.compile_matcher()
                                .is_match(object.file.source.path.as_path())
                        })
                    })
                });
                let index = match forced {
                    Some(entry) => self.index_for(&entry.name, overrides),
                    None => {
                        let Some(image) =
                            container.image().and_then(|n| n.as_str()).map(image_name)
                        else {
                            continue;
                        };
                        self.index_for(image, overrides).or_else(|| {
                            self.services.iter().position(|s| {
                                s.compose.iter().any(|c| {
                                    c.image().and_then(|n| n.as_str()).map(image_name)
                                        == Some(image)
                                })
                            })
                        })
                    }
                };
                if let Some(index) = index {
                    self.services[index].containers.push(container);
                }
            }
        }
    }
}

impl<'a> Service<'a> {
    /// The Rust files of the service's binary (its module tree and the workspace libraries it
    /// links), with their facts, sorted by path.
    pub fn rust_facts<'c>(&self, cx: &'c WorkspaceContext<'a>) -> Vec<(&'c Path, &'c RustFacts)> {
        let Some(binary) = &self.binary else {
            return Vec::new();
        };
        if !binary.files.is_empty() {
            let mut files: Vec<(&'c Path, &'c RustFacts)> = binary
                .files
                .iter()
                .filter_map(|&index| cx.rust_facts.get(index))
                .map(|(path, facts)| (path.as_path(), facts.as_ref()))
                .collect();
            files.sort_by_key(|(path, _)| *path);
            return files;
        }
        let mut dirs = vec![binary.package.dir.as_path()];
        for dependency in &binary.package.dependencies {
            if let Some(package) = cx.workspace.packages.iter().find(|p| &p.name == dependency) {
                dirs.push(package.dir.as_path());
            }
        }
        let other_roots: Vec<PathBuf> = binary
            .package
            .targets
            .iter()
            .filter(|t| t.kinds.iter().any(|k| k == "bin"))
            .map(|t| {
                t.src_path
                    .strip_prefix(&cx.workspace.root)
                    .unwrap_or(&t.src_path)
                    .to_path_buf()
            })
            .filter(|root| root != &binary.root)
            .collect();
        cx.rust_facts
            .iter()
            .filter(|(path, _)| {
                cx.workspace
                    .package_of(path)
                    .is_some_and(|p| dirs.contains(&p.dir.as_path()))
                    && !other_roots.iter().any(|r| r == path.as_path())
            })
            .map(|(path, facts)| (path.as_path(), facts.as_ref()))
            .collect()
    }

    /// Whether the code at `span` of the Rust file `path` runs in this binary: it is in the
    /// binary's own files, or in a library function its `main` reaches. Code outside any
    /// function, and code the call graph cannot place, counts as running. A library's route,
    /// env read or listen address that no path from `main` reaches is not this service's.
    pub fn runs(
        &self,
        cx: &WorkspaceContext<'_>,
        path: &Path,
        span: crate::diagnostic::Span,
    ) -> bool {
        let Some(binary) = &self.binary else {
            return true;
        };
        let Some(file) = cx.rust_facts.iter().position(|(p, _)| p.as_path() == path) else {
            return true;
        };
        if binary.own_files.contains(&file) {
            return true;
        }
        let Some(reached) = &binary.reached else {
            return true;
        };
        let enclosing = cx.rust_facts[file]
            .1
            .calls
            .functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.span.start <= span.start && span.end <= f.span.end)
            .min_by_key(|(_, f)| f.span.end - f.span.start)
            .map(|(index, _)| (file, index));
        enclosing.is_none_or(|function| reached.contains(&function))
    }

    /// Whether anything deploys it: a Dockerfile, a Kubernetes container or a compose service.
    pub fn is_deployed(&self) -> bool {
        !self.dockerfiles.is_empty() || !self.containers.is_empty() || !self.compose.is_empty()
    }
}

/// Whether a Dockerfile builds Rust: it runs cargo, or a stage starts from a Rust toolchain.
fn builds_rust(dockerfile: &Dockerfile) -> bool {
    dockerfile.instructions.iter().any(|i| run_commands(i).iter().any(|c| cargo_command(c).is_some()))
        || dockerfile.stages.iter().any(|stage| {
            matches!(dockerfile.resolve_image(stage), crate::source::dockerfile::ImageSource::Image(image) if crate::facts::docker::is_rust_toolchain(&image))
        })
}

/// The function a binary's root file starts in (`main`, or the function under `#[tokio::main]`).
fn entry_function(cx: &WorkspaceContext<'_>, root: usize) -> Option<FnId> {
    let facts = &cx.rust_facts.get(root)?.1;
    let entry = facts.krate.entry?;
    let index = facts
        .calls
        .functions
        .iter()
        .position(|f| f.name_span == entry)?;
    Some((root, index))
}

fn package_serves(cx: &WorkspaceContext<'_>, package: &Package) -> bool {
    cx.rust_facts.iter().any(|(path, facts)| {
        !facts.servers.is_empty()
            && cx
                .workspace
                .package_of(path)
                .is_some_and(|p| std::ptr::eq(p, package))
    })
}

/// `registry.example.com:5000/team/orders-api:1.2@sha256:…` → `orders-api`.
pub fn image_name(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// The binaries a Dockerfile builds or starts, each with the evidence.
fn built_binaries(
    dockerfile: &Dockerfile,
    source: &SourceFile,
    cx: &WorkspaceContext<'_>,
) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for instruction in &dockerfile.instructions {
        for command in run_commands(instruction) {
            let Some(cargo) = cargo_command(&command) else {
                continue;
            };
            let mut words = cargo
                .arguments
                .iter()
                .map(|w| w.text.as_str())
                .take_while(|w| *w != "--");
            while let Some(word) = words.next() {
                let value = match word {
                    "--bin" | "-p" | "--package" => words.next().map(str::to_string),
                    _ => word
                        .strip_prefix("--bin=")
                        .or_else(|| word.strip_prefix("--package="))
                        .map(str::to_string),
                };
                if let Some(value) = value {
                    let package_bins = cx
                        .workspace
                        .packages
                        .iter()
                        .find(|p| p.name == value)
                        .map(bin_names)
                        .unwrap_or_default();
                    let names = if (word.starts_with("-p") || word.starts_with("--package"))
                        && package_bins.len() == 1
                    {
                        package_bins
                    } else {
                        vec![value]
                    };
                    for name in names {
                        add(&mut found, name, format!("`{}` builds it", cargo.text));
                    }
                }
            }
        }
        if let Some(copy) = instruction.copy_args()
            && instruction.flag("from").is_some()
        {
            for source_word in &copy.sources {
                if source_word.text.contains("target/") {
                    add(
                        &mut found,
                        basename(&source_word.text).to_string(),
                        format!("`COPY --from` takes `{}`", source_word.text),
                    );
                }
            }
        }
    }
    if let Some(stage) = shipping_stage(dockerfile) {
        for instruction in dockerfile.stage_instructions(stage) {
            if matches!(instruction.keyword.as_str(), "ENTRYPOINT" | "CMD")
                && let Args::Exec(words) = &instruction.args
                && let Some(program) = words.first()
            {
                let name = basename(&program.text).to_string();
                if cx
                    .workspace
                    .packages
                    .iter()
                    .any(|p| bin_names(p).contains(&name))
                {
                    add(
                        &mut found,
                        name,
                        format!("`{}` starts it", instruction.keyword),
                    );
                }
            }
        }
    }
    if found.is_empty() {
        // A Dockerfile inside a package builds that package's only binary.
        let dir = source.path.parent().unwrap_or(Path::new(""));
        let package = cx
            .workspace
            .packages
            .iter()
            .filter(|p| dir.starts_with(&p.dir))
            .max_by_key(|p| p.dir.components().count());
        let bins: Vec<String> = package.map(bin_names).unwrap_or_default();
        if bins.len() == 1
            && package.is_some_and(|p| {
                (!p.dir.as_os_str().is_empty() || workspace_bins(cx) == 1)
                    && beside_package(dir, &p.dir)
            })
        {
            add(
                &mut found,
                bins[0].clone(),
                "it sits in the package of the only binary".into(),
            );
        }
    }
    found
}

/// Directories that hold a package's own container files (`docker/Dockerfile`).
const PACKAGE_BUILD_DIRS: &[&str] = &[
    "docker",
    "dockerfiles",
    ".docker",
    "deploy",
    "deployment",
    "build",
    "ci",
    "container",
    "containers",
    "image",
    "images",
    "ops",
    "infra",
];

/// Whether a Dockerfile in `dir` is the package's own: in the package's directory, or in a
/// build directory of it (`docker/`). One deeper in another folder
/// (`e2e/compose/keycloak/Dockerfile`) builds something else.
fn beside_package(dir: &Path, package_dir: &Path) -> bool {
    dir.strip_prefix(package_dir).is_ok_and(|rest| {
        rest.components().all(|c| {
            c.as_os_str().to_str().is_some_and(|name| {
                PACKAGE_BUILD_DIRS.contains(&name.to_ascii_lowercase().as_str())
            })
        })
    })
}

fn add(found: &mut Vec<(String, String)>, name: String, reason: String) {
    if name.is_empty() {
        return;
    }
    match found.iter_mut().find(|(known, _)| *known == name) {
        // `cargo chef cook --bin X` builds X's dependencies; the `cargo build` after it is the
        // better evidence.
        Some((_, known)) if known.contains("`cargo chef") && !reason.contains("`cargo chef") => {
            *known = reason
        }
        Some(_) => {}
        None => found.push((name, reason)),
    }
}

fn bin_names(package: &Package) -> Vec<String> {
    package
        .targets
        .iter()
        .filter(|t| t.kinds.iter().any(|k| k == "bin"))
        .map(|t| t.name.clone())
        .collect()
}

fn workspace_bins(cx: &WorkspaceContext<'_>) -> usize {
    cx.workspace
        .packages
        .iter()
        .map(|p| bin_names(p).len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_drop_registry_namespace_tag_and_digest() {
        assert_eq!(
            image_name("registry.example.com:5000/team/orders-api:1.2"),
            "orders-api"
        );
        assert_eq!(image_name("orders-api"), "orders-api");
        assert_eq!(image_name("ghcr.io/acme/billing@sha256:abc"), "billing");
    }

    #[test]
    fn a_package_owns_the_dockerfiles_beside_it() {
        assert!(beside_package(Path::new(""), Path::new("")));
        assert!(beside_package(Path::new("docker"), Path::new("")));
        assert!(beside_package(
            Path::new("services/orders"),
            Path::new("services/orders")
        ));
        assert!(beside_package(
            Path::new("services/orders/deploy/docker"),
            Path::new("services/orders")
        ));
        assert!(!beside_package(
            Path::new("playwright/compose/keycloak"),
            Path::new("")
        ));
        assert!(!beside_package(Path::new("tools/bench"), Path::new("")));
    }

    #[test]
    fn cargo_build_is_better_evidence_than_cargo_chef() {
        let mut found = Vec::new();
        add(
            &mut found,
            "orders".into(),
            "`cargo chef cook` builds it".into(),
        );
        add(
            &mut found,
            "orders".into(),
            "`cargo build` builds it".into(),
        );
        add(&mut found, "orders".into(), "`ENTRYPOINT` starts it".into());
        assert_eq!(
            found,
            vec![("orders".to_string(), "`cargo build` builds it".to_string())]
        );
    }
}
