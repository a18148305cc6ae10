//! The checking thread: it owns the projects, gathers the editor's changes into batches
//! (typing is debounced), checks what changed and publishes the diagnostics that changed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use lsp_server::{Message, Notification};
use lsp_types::notification::{LogMessage, Notification as _, PublishDiagnostics, ShowMessage};
use lsp_types::{
    Diagnostic, DiagnosticSeverity, FileChangeType, LogMessageParams, MessageType,
    PublishDiagnosticsParams, ShowMessageParams, Uri,
};

use super::convert::{self, Text};
use super::project::Project;
use super::{Outbox, Shared};
use crate::engine::Report;

/// How long typing must pause before a changed document is checked.
pub const DEBOUNCE: Duration = Duration::from_millis(200);
/// The longest a change waits while typing goes on.
pub const MAX_DELAY: Duration = Duration::from_millis(1000);

/// What the editor did, for the worker to act on.
#[derive(Debug)]
pub enum Job {
    /// An open document's text changed: check it once typing pauses.
    Changed(Uri),
    /// A document was opened: check its text now.
    Opened(Uri),
    /// A document was closed: check the file as saved (the path, as the store forgot it).
    Closed(PathBuf),
    /// A document was saved.
    Saved(Uri),
    /// Files changed on disk outside the editor.
    Watched(Vec<(PathBuf, FileChangeType)>),
}

/// The jobs of one run, merged.
#[derive(Default)]
struct Batch {
    /// Files whose editor text changed, was opened or closed (canonical paths).
    texts: HashSet<PathBuf>,
    saved: HashSet<PathBuf>,
    created_or_deleted: HashSet<PathBuf>,
    changed_on_disk: HashSet<PathBuf>,
    /// Something other than typing: check without waiting for a pause.
    urgent: bool,
}

impl Batch {
    fn add(&mut self, job: Job, shared: &Shared) {
        let path_of = |uri: &Uri| {
            shared
                .documents
                .lock()
                .ok()
                .and_then(|documents| documents.get(uri)?.path.clone())
        };
        match job {
            Job::Changed(uri) => self.texts.extend(path_of(&uri)),
            Job::Opened(uri) => {
                self.texts.extend(path_of(&uri));
                self.urgent = true;
            }
            Job::Closed(path) => {
                self.texts.insert(path);
                self.urgent = true;
            }
            Job::Saved(uri) => {
                let path = path_of(&uri).or_else(|| {
                    convert::uri_to_path(&uri).map(|p| super::documents::canonical(&p))
                });
                self.saved.extend(path);
                self.urgent = true;
            }
            Job::Watched(events) => {
                for (path, change) in events {
                    let path = super::documents::canonical(&path);
                    if change == FileChangeType::CHANGED {
                        self.changed_on_disk.insert(path);
                    } else {
                        self.created_or_deleted.insert(path);
                    }
                }
                self.urgent = true;
            }
        }
    }
}

/// What one file of a project was checked with: the editor's text or the disk.
struct Open {
    uri: Uri,
    text: String,
    version: i32,
}

pub struct Worker {
    outbox: Outbox,
    shared: Arc<Shared>,
    projects: Vec<Project>,
    /// What each project published last, by document.
    published: Vec<HashMap<Uri, Vec<Diagnostic>>>,
    /// Configuration problems already shown in a message.
    shown: HashSet<String>,
}

impl Worker {
    pub fn new(outbox: Outbox, shared: Arc<Shared>) -> Worker {
        Worker {
            outbox,
            shared,
            projects: Vec::new(),
            published: Vec::new(),
            shown: HashSet::new(),
        }
    }

    /// Opens the projects of the editor's folders, checks them, then works through the jobs
    /// until the server stops.
    pub fn run(mut self, folders: Vec<PathBuf>, jobs: Receiver<Job>) {
        self.guarded("the first check", |worker| worker.start(&folders));
        while let Ok(first) = jobs.recv() {
            let mut batch = Batch::default();
            let started = Instant::now();
            let mut last = started;
            batch.add(first, &self.shared);
            let mut disconnected = false;
            loop {
                let deadline = if batch.urgent {
                    Instant::now()
                } else {
                    (last + DEBOUNCE).min(started + MAX_DELAY)
                };
                match jobs.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(job) => {
                        last = Instant::now();
                        batch.add(job, &self.shared);
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        disconnected = true;
                        break;
                    }
                }
            }
            if disconnected {
                return;
            }
            self.guarded("a check", |worker| worker.process(batch));
        }
    }

    /// Runs `work`; a panic in a rule is reported to the editor instead of ending the server.
    fn guarded(&mut self, what: &str, work: impl FnOnce(&mut Worker)) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(self)));
        if let Err(panic) = result {
            let detail = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            self.log(
                MessageType::ERROR,
                format!("cargo-fitness failed during {what}: {detail}; please report it"),
            );
        }
    }

    fn start(&mut self, folders: &[PathBuf]) {
        for folder in folders {
            match Project::open(folder) {
                Ok(project) => {
                    if let Some(known) = self.projects.iter_mut().find(|p| p.root == project.root) {
                        known.widen_to(project.scope());
                    } else {
                        self.projects.push(project);
                        self.published.push(HashMap::new());
                    }
                }
                Err(error) => self.log(
                    MessageType::WARNING,
                    format!("cannot check `{}`: {error}", folder.display()),
                ),
            }
        }
        for index in 0..self.projects.len() {
            for warning in std::mem::take(&mut self.projects[index].workspace.warnings) {
                self.log(MessageType::INFO, format!("warning: {warning}"));
            }
            self.full_check(index);
        }
    }

    fn full_check(&mut self, index: usize) {
        let started = Instant::now();
        let open = self.open_documents(index);
        let project = &mut self.projects[index];
        let overlay = open
            .iter()
            .map(|(path, open)| (path.clone(), open.text.clone()))
            .collect();
        let report = project.check_all(overlay);
        let files = project.workspace.files.len();
        let root = project.root.display().to_string();
        self.log(
            MessageType::LOG,
            format!(
                "checked {files} files of {root} in {} ms",
                started.elapsed().as_millis()
            ),
        );
        let fresh: HashSet<PathBuf> = open.keys().cloned().collect();
        self.publish(index, report.as_ref(), &open, &fresh);
    }

    /// The open documents of a project's files, by path relative to its root.
    fn open_documents(&self, index: usize) -> HashMap<PathBuf, Open> {
        let project = &self.projects[index];
        let Ok(documents) = self.shared.documents.lock() else {
            return HashMap::new();
        };
        documents
            .iter()
            .filter_map(|(uri, document)| {
                let relative = project.relative(document.path.as_deref()?)?;
                Some((
                    relative,
                    Open {
                        uri: uri.clone(),
                        text: document.text.clone(),
                        version: document.version,
                    },
                ))
            })
            .collect()
    }

    fn process(&mut self, batch: Batch) {
        for index in 0..self.projects.len() {
            let started = Instant::now();
            let open = self.open_documents(index);
            let project = &mut self.projects[index];
            let mut reload = false;
            let mut rediscover = false;
            for path in batch.saved.iter().chain(&batch.created_or_deleted) {
                let Some(relative) = project.relative(path) else {
                    continue;
                };
                if project.is_config_file(&relative) {
                    reload = true;
                } else if relative.file_name().is_some_and(|n| n == "Cargo.toml") {
                    // Packages and targets may have changed: ask cargo again.
                    rediscover = true;
                } else if batch.created_or_deleted.contains(path) && project.lists(&relative)
                    || project.may_be_new(&relative)
                {
                    rediscover = true;
                }
            }
            // Saved files count too: rules that read other files from disk see the save.
            let mut changes = Vec::new();
            for path in batch
                .texts
                .iter()
                .chain(&batch.changed_on_disk)
                .chain(&batch.saved)
            {
                let Some(relative) = project.relative(path) else {
                    continue;
                };
                if project.lists(&relative) && !changes.iter().any(|(p, _)| *p == relative) {
                    let text = open.get(&relative).map(|open| open.text.clone());
                    changes.push((relative, text));
                }
            }
            if reload {
                project.load_config();
                project.discover();
            } else if rediscover {
                project.discover();
            }
            if project.needs_full_check() {
                for warning in std::mem::take(&mut project.workspace.warnings) {
                    self.log(MessageType::INFO, format!("warning: {warning}"));
                }
                self.full_check(index);
                continue;
            }
            if changes.is_empty() {
                continue;
            }
            let names: Vec<String> = changes
                .iter()
                .map(|(path, _)| path.display().to_string())
                .collect();
            let fresh: HashSet<PathBuf> = changes.iter().map(|(path, _)| path.clone()).collect();
            let report = project.check_changed(changes);
            self.log(
                MessageType::LOG,
                format!(
                    "checked {} again in {} ms",
                    names.join(", "),
                    started.elapsed().as_millis()
                ),
            );
            self.publish(index, report.as_ref(), &open, &fresh);
        }
    }

    /// The URI of a project file: the editor's, when it has the file open.
    fn uri_of(project: &Project, relative: &Path, open: &HashMap<PathBuf, Open>) -> Option<Uri> {
        match open.get(relative) {
            Some(open) => Some(open.uri.clone()),
            None => convert::path_to_uri(&project.base.join(relative)),
        }
    }

    /// Publishes the diagnostics of every file whose diagnostics changed, and of the open
    /// documents just checked (`fresh`, so the editor learns which version they are for), and
    /// clears them for files that have none any more.
    fn publish(
        &mut self,
        index: usize,
        report: Option<&Report>,
        open: &HashMap<PathBuf, Open>,
        fresh: &HashSet<PathBuf>,
    ) {
        let project = &self.projects[index];
        let encoding = self.shared.encoding;
        let mut by_uri: HashMap<Uri, Vec<Diagnostic>> = HashMap::new();
        let mut message = None;
        for finding in report.iter().flat_map(|report| &report.findings) {
            let path = finding.location.path.as_path();
            let Some(uri) = Self::uri_of(project, path, open) else {
                continue;
            };
            let source = report
                .and_then(|report| report.sources.get(&finding.location.path).cloned())
                .or_else(|| project.source(path));
            let related = |location: &crate::diagnostic::Location| {
                let path = location.path.as_path();
                let source = report
                    .and_then(|report| report.sources.get(&location.path).cloned())
                    .or_else(|| project.source(path));
                Some(lsp_types::Location {
                    uri: Self::uri_of(project, path, open)?,
                    range: convert::range(location, source.as_deref(), encoding),
                })
            };
            let diagnostic = convert::diagnostic(
                finding,
                source.as_deref(),
                encoding,
                self.shared.related_information,
                &related,
            );
            by_uri.entry(uri).or_default().push(diagnostic);
        }
        if let Some(problem) = &project.problem {
            let placed = problem.place.as_ref().and_then(|(path, span)| {
                let uri = Self::uri_of(project, path, open)?;
                let range = match open.get(path) {
                    Some(open) => Text::new(&open.text).range(*span, encoding),
                    None => Text::of(&project.read(path)?).range(*span, encoding),
                };
                Some((uri, range))
            });
            match placed {
                Some((uri, range)) => by_uri.entry(uri).or_default().push(Diagnostic {
                    range,
                    severity: Some(DiagnosticSeverity::ERROR),
                    code: None,
                    source: Some(convert::SOURCE.to_string()),
                    message: problem.message.clone(),
                    ..Diagnostic::default()
                }),
                None => message = Some(problem.message.clone()),
            }
        }
        if let Some(message) = message
            && self.shown.insert(message.clone())
        {
            self.send(Notification::new(
                ShowMessage::METHOD.to_string(),
                ShowMessageParams {
                    typ: MessageType::ERROR,
                    message: format!("cargo-fitness configuration: {message}"),
                },
            ));
        }
        let versions: HashMap<&Uri, i32> = open.values().map(|o| (&o.uri, o.version)).collect();
        let fresh: HashSet<&Uri> = fresh
            .iter()
            .filter_map(|path| Some(&open.get(path)?.uri))
            .collect();
        for uri in &fresh {
            by_uri.entry((*uri).clone()).or_default();
        }
        let previous = std::mem::take(&mut self.published[index]);
        let mut notifications = Vec::new();
        for (uri, diagnostics) in &by_uri {
            if previous.get(uri) != Some(diagnostics) || fresh.contains(uri) {
                notifications.push(PublishDiagnosticsParams {
                    uri: uri.clone(),
                    diagnostics: diagnostics.clone(),
                    version: versions.get(uri).copied(),
                });
            }
        }
        for uri in previous.keys().filter(|uri| !by_uri.contains_key(*uri)) {
            notifications.push(PublishDiagnosticsParams {
                uri: uri.clone(),
                diagnostics: Vec::new(),
                version: versions.get(uri).copied(),
            });
        }
        by_uri.retain(|_, diagnostics| !diagnostics.is_empty());
        if let Ok(mut shared) = self.shared.diagnostics.lock() {
            for uri in previous.keys() {
                shared.remove(uri);
            }
            shared.extend(by_uri.iter().map(|(u, d)| (u.clone(), d.clone())));
        }
        self.published[index] = by_uri;
        for params in notifications {
            self.send(Notification::new(
                PublishDiagnostics::METHOD.to_string(),
                params,
            ));
        }
    }

    fn log(&self, typ: MessageType, message: String) {
        self.send(Notification::new(
            LogMessage::METHOD.to_string(),
            LogMessageParams { typ, message },
        ));
    }

    fn send(&self, notification: Notification) {
        (self.outbox)(Message::Notification(notification));
    }
}
