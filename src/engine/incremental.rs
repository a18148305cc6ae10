//! Checking a workspace again after a few files changed, for the language server.
//!
//! The first run checks every file, as [`check`](super::check) does, and keeps each file's
//! outcome (findings before levels and suppressions, suppressions, Rust facts). After an edit
//! only the changed files are read and checked again, plus the files whose own findings depend
//! on them: every YAML file when a YAML file changed, because manifests are linked (Services,
//! autoscalers, kustomize patches). The whole-workspace pass and the last steps (service code,
//! levels, suppressions, sorting) then run again over the kept outcomes: they need no parsing,
//! so they are cheap, and cross-file findings stay exactly those of a full run.
//!
//! Texts given in an update replace the files on disk (open editor buffers) until they are
//! given back with `None`. Other files are read as saved: the whole-workspace rules and a
//! Dockerfile's rules (its build context: `.dockerignore`, `.env` files) read the disk, so
//! Dockerfiles are checked again on every update, and an update after a save brings in what
//! was saved.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::{FileOutcome, POOL, Report, assemble, check_file};
use crate::config::Config;
use crate::rule::Rule;
use crate::source::deployment::{self, Deployment};
use crate::source::{FileKind, SourceFile};
use crate::workspace::{Workspace, WorkspaceFile};

/// The kept state of a workspace between runs.
pub struct Incremental {
    /// The outcome of every file checked, by path relative to the root.
    outcomes: HashMap<Arc<PathBuf>, FileOutcome>,
    deployment: Deployment,
    /// Texts that stand in for files on disk, by path relative to the root.
    overlay: HashMap<PathBuf, Arc<SourceFile>>,
}

impl Incremental {
    /// Checks the whole workspace; `overlay` texts stand in for the files on disk.
    pub fn new(
        workspace: &Workspace,
        config: &Config,
        rules: &[Box<dyn Rule>],
        overlay: Vec<(PathBuf, String)>,
    ) -> (Incremental, Report) {
        let mut state = Incremental {
            outcomes: HashMap::new(),
            deployment: Deployment::default(),
            overlay: HashMap::new(),
        };
        for (path, text) in overlay {
            state.set_text(workspace, &path, Some(text));
        }
        state.deployment = state.load_deployment(workspace);
        let outcomes: Vec<(Arc<PathBuf>, FileOutcome)> = POOL.install(|| {
            workspace
                .files
                .par_iter()
                .map(|file| {
                    (
                        file.path.clone(),
                        state.check_one(workspace, config, rules, file),
                    )
                })
                .collect()
        });
        state.outcomes = outcomes.into_iter().collect();
        let report = state.report(workspace, config, rules);
        (state, report)
    }

    /// Sets the text of each changed file (`None`: read it from disk again) and checks again
    /// what depends on it. Paths are relative to the root; a path the workspace does not list
    /// is not checked.
    pub fn update(
        &mut self,
        workspace: &Workspace,
        config: &Config,
        rules: &[Box<dyn Rule>],
        changes: Vec<(PathBuf, Option<String>)>,
    ) -> Report {
        let mut changed: Vec<&WorkspaceFile> = Vec::new();
        for (path, text) in changes {
            self.set_text(workspace, &path, text);
            if let Some(file) = workspace.files.iter().find(|f| f.path.as_path() == path) {
                changed.push(file);
            }
        }
        let yaml_changed = changed.iter().any(|file| file.kind == FileKind::Yaml);
        if yaml_changed {
            self.deployment = self.load_deployment(workspace);
        }
        // Files listed since the last run (created on disk or in the editor) are read too.
        let to_check: Vec<&WorkspaceFile> = workspace
            .files
            .iter()
            .filter(|file| {
                (yaml_changed && file.kind == FileKind::Yaml)
                    || file.kind == FileKind::Dockerfile
                    || !self.outcomes.contains_key(&file.path)
                    || changed.iter().any(|c| c.path == file.path)
            })
            .collect();
        let this = &*self;
        let checked: Vec<(Arc<PathBuf>, FileOutcome)> = POOL.install(|| {
            to_check
                .par_iter()
                .map(|file| {
                    (
                        file.path.clone(),
                        this.check_one(workspace, config, rules, file),
                    )
                })
                .collect()
        });
        self.outcomes.extend(checked);
        let listed: std::collections::HashSet<&Arc<PathBuf>> =
            workspace.files.iter().map(|file| &file.path).collect();
        self.outcomes.retain(|path, _| listed.contains(path));
        self.report(workspace, config, rules)
    }

    /// The text a file was last checked with.
    pub fn source(&self, path: &Path) -> Option<&Arc<SourceFile>> {
        self.outcomes.get(&path.to_path_buf())?.source.as_ref()
    }

    fn set_text(&mut self, workspace: &Workspace, path: &Path, text: Option<String>) {
        match text {
            Some(text) => {
                let Some(kind) = FileKind::of(path) else {
                    return;
                };
                let source = SourceFile::new(
                    Arc::new(path.to_path_buf()),
                    workspace.root.join(path),
                    kind,
                    text,
                );
                self.overlay.insert(path.to_path_buf(), Arc::new(source));
            }
            None => {
                self.overlay.remove(path);
            }
        }
    }

    /// Parses and links every YAML file, as `deploy_pass::load` does, from the open texts where
    /// there are some.
    fn load_deployment(&self, workspace: &Workspace) -> Deployment {
        let parsed = POOL.install(|| {
            workspace
                .files
                .par_iter()
                .filter(|file| file.kind == FileKind::Yaml)
                .filter_map(|file| {
                    let source = match self.overlay.get(file.path.as_path()) {
                        Some(source) => source.clone(),
                        None => Arc::new(
                            SourceFile::load(&file.absolute, file.path.clone(), file.kind).ok()?,
                        ),
                    };
                    Some(deployment::parse(source))
                })
                .collect()
        });
        Deployment::new(parsed)
    }

    fn check_one(
        &self,
        workspace: &Workspace,
        config: &Config,
        rules: &[Box<dyn Rule>],
        file: &WorkspaceFile,
    ) -> FileOutcome {
        match self.overlay.get(file.path.as_path()) {
            // A YAML file is checked with the text the deployment was linked from.
            Some(source) if file.kind != FileKind::Yaml => super::check_source(
                source.clone(),
                workspace.code_role(&file.path),
                config,
                rules,
                &self.deployment,
            ),
            _ => check_file(workspace, config, rules, file, &self.deployment),
        }
    }

    fn report(&self, workspace: &Workspace, config: &Config, rules: &[Box<dyn Rule>]) -> Report {
        let outcomes: Vec<FileOutcome> = workspace
            .files
            .iter()
            .filter_map(|file| self.outcomes.get(&file.path).cloned())
            .collect();
        assemble(workspace, config, rules, &self.deployment, outcomes)
    }
}
