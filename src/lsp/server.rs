//! The protocol: initialization, the message loop, requests and notifications, shutdown.
//! Bad input (unknown methods, malformed parameters, URIs that are not files or lie outside
//! every workspace) gets an error response or is ignored; it never stops the server.

use std::path::PathBuf;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Exit, Initialized, Notification as _,
};
use lsp_types::request::{
    CodeActionRequest, HoverRequest, Initialize, RegisterCapability, Request as _, Shutdown,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, FileSystemWatcher, GlobPattern,
    HoverParams, HoverProviderCapability, InitializeParams, InitializeResult, Registration,
    RegistrationParams, SaveOptions, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions,
};
use serde::de::DeserializeOwned;

use super::convert::{self, Encoding, Text};
use super::documents::Documents;
use super::worker::{Job, Worker};
use super::{Outbox, Shared, actions, hover};

/// Files whose changes on disk matter, for clients that watch files for the server.
const WATCHED: &[&str] = &[
    "**/*.rs",
    "**/Cargo.toml",
    "**/Cargo.lock",
    "**/fitness.toml",
    "**/*.{yaml,yml}",
    "**/{Dockerfile,Containerfile,Dockerfile.*,Containerfile.*,*.Dockerfile,*.Containerfile,*.dockerfile,*.containerfile}",
    "**/{.env,.env.*,*.env}",
    "**/Procfile",
];

/// Runs the server on `connection` until the editor sends `exit` or goes away. An error when
/// initialization fails, or the editor asks to exit without shutting the server down first.
pub fn run_server(connection: Connection) -> Result<(), String> {
    let Some((id, params)) = wait_for_initialize(&connection)? else {
        return Ok(());
    };
    let params: InitializeParams = match serde_json::from_value(params) {
        Ok(params) => params,
        Err(error) => {
            let message = format!("invalid initialize parameters: {error}");
            let response = Response::new_err(id, ErrorCode::InvalidParams as i32, message.clone());
            let _ = connection.sender.send(response.into());
            return Err(message);
        }
    };
    let capabilities = &params.capabilities;
    let encoding = Encoding::negotiate(
        capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_deref()),
    );
    let related_information = capabilities
        .text_document
        .as_ref()
        .and_then(|t| t.publish_diagnostics.as_ref())
        .and_then(|p| p.related_information)
        .unwrap_or(false);
    let watch = capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|w| w.dynamic_registration)
        .unwrap_or(false);
    let folders = roots(&params);
    let result = InitializeResult {
        capabilities: server_capabilities(encoding),
        server_info: Some(ServerInfo {
            name: "cargo-fitness".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    send(&connection, Response::new_ok(id, result).into());

    let shared = Arc::new(Shared {
        documents: Mutex::new(Documents::default()),
        diagnostics: Mutex::new(Default::default()),
        encoding,
        related_information,
    });
    let (jobs, receiver) = mpsc::channel();
    let outbox_sender = connection.sender.clone();
    let outbox: Outbox = Box::new(move |message| {
        let _ = outbox_sender.send(message);
    });
    let worker = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("fitness-lsp-worker".to_string())
            .stack_size(16 * 1024 * 1024)
            .spawn(move || Worker::new(outbox, shared).run(folders, receiver))
            .map_err(|error| format!("cannot start the worker thread: {error}"))?
    };
    let mut server = Server {
        connection: &connection,
        shared,
        jobs,
        watch,
        shutdown: false,
    };
    let outcome = server.main_loop();
    drop(server);
    let _ = worker.join();
    outcome
}

/// Waits for `initialize`: other requests get an error, notifications are dropped, `exit`
/// ends the server (`None`).
fn wait_for_initialize(
    connection: &Connection,
) -> Result<Option<(RequestId, serde_json::Value)>, String> {
    for message in &connection.receiver {
        match message {
            Message::Request(request) if request.method == Initialize::METHOD => {
                return Ok(Some((request.id, request.params)));
            }
            Message::Request(request) => send(
                connection,
                Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized".to_string(),
                )
                .into(),
            ),
            Message::Notification(notification) if notification.method == Exit::METHOD => {
                return Ok(None);
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
    Err("the editor closed the connection before initializing".to_string())
}

fn send(connection: &Connection, message: Message) {
    let _ = connection.sender.send(message);
}

/// The editor's folders: workspace folders, else the root URI or path, else the directory the
/// server runs in (as the command line checks the current directory).
#[allow(deprecated)] // `root_uri` and `root_path` are what older clients send.
fn roots(params: &InitializeParams) -> Vec<PathBuf> {
    if let Some(folders) = params.workspace_folders.as_ref().filter(|f| !f.is_empty()) {
        return folders
            .iter()
            .filter_map(|folder| convert::uri_to_path(&folder.uri))
            .collect();
    }
    if let Some(uri) = &params.root_uri {
        return convert::uri_to_path(uri).into_iter().collect();
    }
    if let Some(path) = &params.root_path {
        return vec![PathBuf::from(path)];
    }
    std::env::current_dir().into_iter().collect()
}

fn server_capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

struct Server<'c> {
    connection: &'c Connection,
    shared: Arc<Shared>,
    jobs: Sender<Job>,
    /// Whether to ask the client to watch files for us.
    watch: bool,
    shutdown: bool,
}

impl Server<'_> {
    fn main_loop(&mut self) -> Result<(), String> {
        for message in &self.connection.receiver {
            match message {
                Message::Request(request) => {
                    let id = request.id.clone();
                    let response = if self.shutdown {
                        Response::new_err(
                            id,
                            ErrorCode::InvalidRequest as i32,
                            "the server is shutting down".to_string(),
                        )
                    } else if request.method == Shutdown::METHOD {
                        self.shutdown = true;
                        Response::new_ok(id, ())
                    } else {
                        let handled =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                self.request(request)
                            }));
                        handled.unwrap_or_else(|_| {
                            Response::new_err(
                                id,
                                ErrorCode::InternalError as i32,
                                "cargo-fitness failed on this request; please report it"
                                    .to_string(),
                            )
                        })
                    };
                    send(self.connection, response.into());
                }
                Message::Notification(notification) => {
                    if notification.method == Exit::METHOD {
                        return if self.shutdown {
                            Ok(())
                        } else {
                            Err("the editor asked to exit without shutting down".to_string())
                        };
                    }
                    if !self.shutdown {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            self.notification(notification)
                        }));
                    }
                }
                Message::Response(_) => {}
            }
        }
        Ok(())
    }

    fn request(&self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            HoverRequest::METHOD => params(request).map(|p| self.hover(p)),
            CodeActionRequest::METHOD => params(request).map(|p| self.code_actions(p)),
            _ => {
                return Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("cargo-fitness does not handle `{}`", request.method),
                );
            }
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(message) => Response::new_err(id, ErrorCode::InvalidParams as i32, message),
        }
    }

    fn notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            Initialized::METHOD if self.watch => self.register_watchers(),
            DidOpenTextDocument::METHOD => {
                let Ok(params) = notification_params::<DidOpenTextDocumentParams>(notification)
                else {
                    return;
                };
                let document = params.text_document;
                if let Ok(mut documents) = self.shared.documents.lock() {
                    documents.open(document.uri.clone(), document.version, document.text);
                }
                let _ = self.jobs.send(Job::Opened(document.uri));
            }
            DidChangeTextDocument::METHOD => {
                let Ok(params) = notification_params::<DidChangeTextDocumentParams>(notification)
                else {
                    return;
                };
                let uri = params.text_document.uri;
                let changed = self.shared.documents.lock().is_ok_and(|mut documents| {
                    let Some(document) = documents.get(&uri) else {
                        return false;
                    };
                    let mut text = document.text.clone();
                    for change in params.content_changes {
                        match change.range {
                            // Full sync sends the whole text; a client that sends ranges anyway
                            // is served too.
                            None => text = change.text,
                            Some(range) => {
                                let at = Text::new(&text);
                                let start = at.offset(range.start, self.shared.encoding);
                                let end = at.offset(range.end, self.shared.encoding).max(start);
                                text.replace_range(start..end, &change.text);
                            }
                        }
                    }
                    documents.change(&uri, params.text_document.version, text)
                });
                if changed {
                    let _ = self.jobs.send(Job::Changed(uri));
                }
            }
            DidSaveTextDocument::METHOD => {
                if let Ok(params) = notification_params::<DidSaveTextDocumentParams>(notification) {
                    let _ = self.jobs.send(Job::Saved(params.text_document.uri));
                }
            }
            DidCloseTextDocument::METHOD => {
                let Ok(params) = notification_params::<DidCloseTextDocumentParams>(notification)
                else {
                    return;
                };
                let closed = self
                    .shared
                    .documents
                    .lock()
                    .ok()
                    .and_then(|mut documents| documents.close(&params.text_document.uri));
                if let Some(path) = closed.and_then(|document| document.path) {
                    let _ = self.jobs.send(Job::Closed(path));
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Ok(params) = notification_params::<DidChangeWatchedFilesParams>(notification)
                {
                    let events = params
                        .changes
                        .into_iter()
                        .filter_map(|event| Some((convert::uri_to_path(&event.uri)?, event.typ)))
                        .collect();
                    let _ = self.jobs.send(Job::Watched(events));
                }
            }
            _ => {}
        }
    }

    fn register_watchers(&self) {
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: WATCHED
                .iter()
                .map(|glob| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(glob.to_string()),
                    kind: None,
                })
                .collect(),
        };
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "cargo-fitness/watched-files".to_string(),
                method: DidChangeWatchedFiles::METHOD.to_string(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        let request = Request::new(
            RequestId::from("cargo-fitness/register-watchers".to_string()),
            RegisterCapability::METHOD.to_string(),
            params,
        );
        send(self.connection, request.into());
    }

    fn hover(&self, params: HoverParams) -> serde_json::Value {
        let at = params.text_document_position_params;
        let hover =
            self.shared.diagnostics.lock().ok().and_then(|published| {
                hover::hover(published.get(&at.text_document.uri)?, at.position)
            });
        serde_json::to_value(hover).unwrap_or_default()
    }

    fn code_actions(&self, params: CodeActionParams) -> serde_json::Value {
        let wanted = params.context.only.as_ref().is_none_or(|only| {
            only.iter().any(|kind| {
                let kind = kind.as_str();
                kind.is_empty() || CodeActionKind::QUICKFIX.as_str().starts_with(kind)
            })
        });
        let uri = params.text_document.uri;
        let mut diagnostics: Vec<_> = params
            .context
            .diagnostics
            .into_iter()
            .filter(|d| convert::rule_of(d).is_some())
            .collect();
        if diagnostics.is_empty()
            && let Ok(published) = self.shared.diagnostics.lock()
        {
            // Some clients send no diagnostics with the request: use ours on the range.
            let range = params.range;
            diagnostics = published
                .get(&uri)
                .into_iter()
                .flatten()
                .filter(|d| d.range.start <= range.end && range.start <= d.range.end)
                .cloned()
                .collect();
        }
        let mut found: Vec<CodeActionOrCommand> = Vec::new();
        if let (true, Ok(documents)) = (wanted, self.shared.documents.lock())
            && let Some(document) = documents.get(&uri)
            && let Some(path) = &document.path
        {
            let document = actions::Document {
                uri: &uri,
                path,
                text: &document.text,
                encoding: self.shared.encoding,
            };
            for diagnostic in &diagnostics {
                let Some(rule) = convert::rule_of(diagnostic) else {
                    continue;
                };
                for action in actions::for_diagnostic(&document, diagnostic, rule) {
                    let known = found.iter().any(|f| {
                        matches!(f, CodeActionOrCommand::CodeAction(a) if a.title == action.title && a.edit == action.edit)
                    });
                    if !known {
                        found.push(CodeActionOrCommand::CodeAction(action));
                    }
                }
            }
        }
        serde_json::to_value(found).unwrap_or_default()
    }
}

fn params<P: DeserializeOwned>(request: Request) -> Result<P, String> {
    serde_json::from_value(request.params)
        .map_err(|error| format!("invalid parameters for `{}`: {error}", request.method))
}

fn notification_params<P: DeserializeOwned>(notification: Notification) -> Result<P, String> {
    serde_json::from_value(notification.params).map_err(|error| error.to_string())
}
