//! One workspace the server checks: found from a folder of the editor as the command line finds
//! it from a path, with its configuration, rules and the kept state between checks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::Diagnostic as _;

use crate::config::{self, Config, ConfigError};
use crate::diagnostic::Span;
use crate::engine::Report;
use crate::engine::incremental::Incremental;
use crate::registry;
use crate::rule::Rule;
use crate::source::{FileKind, SourceFile};
use crate::workspace::{self, FileFilter, Workspace};

/// A configuration the project cannot be checked with: where, when known, and why.
#[derive(Clone, Debug)]
pub struct ConfigProblem {
    pub message: String,
    /// The file (relative to the root) and the span in it.
    pub place: Option<(PathBuf, Span)>,
}

pub struct Project {
    /// The workspace root, symbolic links resolved.
    pub root: PathBuf,
    /// The root as the editor spells it, for the URIs of files no editor has open.
    pub base: PathBuf,
    scope: Option<PathBuf>,
    is_cargo_workspace: bool,
    /// `None` until a configuration could be read; the last good one after that.
    config: Option<Config>,
    pub problem: Option<ConfigProblem>,
    rules: Vec<Box<dyn Rule>>,
    pub workspace: Workspace,
    state: Option<Incremental>,
    /// Paths the last discovery left out although their kind is checked (ignored, excluded):
    /// saving them does not start another discovery.
    left_out: HashSet<PathBuf>,
}

impl Project {
    /// The workspace of an editor folder, as `cargo fitness <folder>` finds it. Nothing is
    /// checked yet.
    pub fn open(folder: &Path) -> Result<Project, String> {
        let location = workspace::locate(Some(folder), None)?;
        let base = client_spelling(folder, &location.root);
        let (config, rules, problem) = match load(&location.root) {
            Ok((config, rules)) => (Some(config), rules, None),
            Err(problem) => (None, registry::rules(), Some(problem.until(false))),
        };
        let workspace = discover(
            &location.root,
            location.scope.clone(),
            location.is_cargo_workspace,
            config.as_ref(),
        );
        let mut project = Project {
            root: location.root,
            base,
            scope: location.scope,
            is_cargo_workspace: location.is_cargo_workspace,
            config,
            problem,
            rules,
            workspace,
            state: None,
            left_out: HashSet::new(),
        };
        project.validate();
        Ok(project)
    }

    /// Two editor folders of one workspace are one project, checked as a whole.
    pub fn widen_to(&mut self, other_scope: Option<&Path>) {
        if self.scope.as_deref() != other_scope {
            self.scope = None;
            self.discover();
        }
    }

    pub fn scope(&self) -> Option<&Path> {
        self.scope.as_deref()
    }

    /// Reads the configuration again; on failure the last good one stays in force and the
    /// problem is kept for a diagnostic.
    pub fn load_config(&mut self) {
        match load(&self.root) {
            Ok((config, rules)) => {
                self.config = Some(config);
                self.rules = rules;
                self.problem = None;
            }
            Err(problem) => self.problem = Some(problem.until(self.config.is_some())),
        }
        self.state = None;
    }

    /// Walks the workspace again and asks cargo for its packages; the next check is a full one.
    pub fn discover(&mut self) {
        self.workspace = discover(
            &self.root,
            self.scope.clone(),
            self.is_cargo_workspace,
            self.config.as_ref(),
        );
        self.validate();
        self.left_out.clear();
        self.state = None;
    }

    /// A declared architecture whose selectors match nothing is a configuration problem, as
    /// on the command line; the rest is still checked.
    fn validate(&mut self) {
        if self.problem.is_some() {
            return;
        }
        if let Some(config) = &self.config
            && let Err(error) = crate::architecture::validate(&config.architecture, &self.workspace)
        {
            self.problem = Some(ConfigProblem::of(&error));
        }
    }

    /// Whether a full check is due (after discovery or a new configuration).
    pub fn needs_full_check(&self) -> bool {
        self.state.is_none()
    }

    /// Checks every file; `open` are the editor's texts of files of this workspace.
    pub fn check_all(&mut self, open: Vec<(PathBuf, String)>) -> Option<Report> {
        let config = self.config.as_ref()?;
        let open = open
            .into_iter()
            .filter(|(path, _)| self.lists(path))
            .collect();
        let (state, report) = Incremental::new(&self.workspace, config, &self.rules, open);
        self.state = Some(state);
        Some(report)
    }

    /// Checks the changed files again (`None`: as saved on disk) and what depends on them.
    pub fn check_changed(&mut self, changes: Vec<(PathBuf, Option<String>)>) -> Option<Report> {
        let config = self.config.as_ref()?;
        let state = self.state.as_mut()?;
        let changes = changes
            .into_iter()
            .filter(|(path, _)| self.workspace.files.iter().any(|f| *f.path == *path))
            .collect();
        Some(state.update(&self.workspace, config, &self.rules, changes))
    }

    /// The path of a file below the root, relative to it; `None` outside the workspace.
    pub fn relative(&self, absolute: &Path) -> Option<PathBuf> {
        let relative = absolute.strip_prefix(&self.root).ok()?;
        match &self.scope {
            Some(scope) if !relative.starts_with(scope) => None,
            _ => Some(relative.to_path_buf()),
        }
    }

    /// Whether the workspace checks this file (relative path).
    pub fn lists(&self, path: &Path) -> bool {
        self.workspace
            .files
            .iter()
            .any(|f| f.path.as_path() == path)
    }

    /// A file the walk did not list but whose kind is checked, seen for the first time since
    /// the last discovery: it may be new.
    pub fn may_be_new(&mut self, path: &Path) -> bool {
        !self.lists(path)
            && FileKind::of(path).is_some()
            && self.left_out.insert(path.to_path_buf())
    }

    /// Whether saving this file (relative path) changes the configuration.
    pub fn is_config_file(&self, path: &Path) -> bool {
        path == Path::new(config::CONFIG_FILE) || path == Path::new("Cargo.toml")
    }

    /// The text a file was last checked with, for positions of findings in files not open.
    pub fn source(&self, path: &Path) -> Option<Arc<SourceFile>> {
        self.state.as_ref()?.source(path).cloned()
    }

    /// Reads a file of the workspace for its positions (config files are not checked files).
    pub fn read(&self, path: &Path) -> Option<SourceFile> {
        let absolute = self.root.join(path);
        let kind = FileKind::of(path).unwrap_or(FileKind::CargoManifest);
        SourceFile::load(&absolute, Arc::new(path.to_path_buf()), kind).ok()
    }
}

/// The root as the editor's folder spells it: the folder itself, or the ancestor of it that
/// the root is (the folder may be a member directory of the workspace).
fn client_spelling(folder: &Path, root: &Path) -> PathBuf {
    let Ok(canonical) = std::fs::canonicalize(folder) else {
        return root.to_path_buf();
    };
    let Ok(below) = canonical.strip_prefix(root) else {
        return root.to_path_buf();
    };
    let depth = below.components().count();
    folder
        .ancestors()
        .nth(depth)
        .map_or_else(|| root.to_path_buf(), Path::to_path_buf)
}

fn discover(
    root: &Path,
    scope: Option<PathBuf>,
    is_cargo_workspace: bool,
    config: Option<&Config>,
) -> Workspace {
    let filter = FileFilter {
        scope,
        exclude: config.map(Config::exclude).unwrap_or_default(),
    };
    Workspace::discover(root.to_path_buf(), is_cargo_workspace, &filter)
}

impl ConfigProblem {
    /// Says what happens until the problem is fixed.
    fn until(mut self, kept: bool) -> ConfigProblem {
        self.message.push_str(if kept {
            "\nthe last valid configuration stays in force until this is fixed"
        } else {
            "\nnothing is checked until this is fixed"
        });
        self
    }

    fn of(error: &ConfigError) -> ConfigProblem {
        let place = error
            .labels()
            .and_then(|mut labels| labels.next())
            .and_then(|label| {
                let span = Span::new(label.offset(), label.offset() + label.len());
                let contents = error.source_code()?.read_span(label.inner(), 0, 0).ok()?;
                Some((PathBuf::from(contents.name()?), span))
            });
        ConfigProblem {
            message: error.message.clone(),
            place,
        }
    }
}

/// The configuration of the workspace at `root` and its configured rules.
fn load(root: &Path) -> Result<(Config, Vec<Box<dyn Rule>>), ConfigProblem> {
    let config = Config::load(root, None).map_err(|error| ConfigProblem::of(&error))?;
    crate::source::set_max_file_mib(config.max_file_mib());
    let mut rules = registry::rules();
    for rule in &mut rules {
        if let Some(options) = config.options.get(rule.meta().id) {
            rule.configure(options).map_err(|message| ConfigProblem {
                message,
                place: None,
            })?;
        }
    }
    Ok((config, rules))
}
