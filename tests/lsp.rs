//! The language server, driven in-process over `lsp_server::Connection::memory()`: a client
//! initializes it on a throwaway workspace and sees diagnostics published, cleared after an
//! edit, suppressed by a code action's comment, hover documentation, bad input survived, and
//! a clean shutdown.
//!
//! The workspaces switch every rule off but the ones a test is about, so rules added later do
//! not change what these tests see.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cargo_fitness::rule::Category;
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeAction, CodeActionOrCommand, Diagnostic, DiagnosticSeverity, Hover, HoverContents,
    InitializeResult, NumberOrString, Position, PublishDiagnosticsParams, Range, TextEdit, Uri,
};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);

const TLS: &str = "tls-verification-disabled";
const WILDCARD: &str = "wildcard-dependency";
const BACKING: &str = "hardcoded-backing-service";

/// `fitness.toml`: every category off, then the rules the tests look at on.
fn config(rules: &[&str]) -> String {
    let mut text = String::from("[rules]\n");
    for category in Category::ALL {
        if category != Category::Meta {
            text.push_str(&format!("{} = \"allow\"\n", category.name()));
        }
    }
    for rule in rules {
        text.push_str(&format!("{rule} = \"deny\"\n"));
    }
    text
}

const MANIFEST: &str = "[workspace]\n\n[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nanything = \"*\"\n";

/// A service whose line 3 disables certificate checks after a non-ASCII string: the crab is 4
/// bytes, 2 UTF-16 code units and 1 character, so each encoding gives another column.
const MAIN: &str = "fn main() {\n    let _server = std::net::TcpListener::bind(\"0.0.0.0:8080\");\n    let _c = (\"é🦀\", reqwest::Client::builder().danger_accept_invalid_certs(true));\n}\n";
const FIXED: &str = "fn main() {\n    let _server = std::net::TcpListener::bind(\"0.0.0.0:8080\");\n    let _c = (\"é🦀\", reqwest::Client::builder());\n}\n";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(files: &[(&str, &str)]) -> Workspace {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Workspace { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    fn uri(&self, path: &str) -> Uri {
        uri(&self.root().join(path))
    }
}

fn uri(path: &Path) -> Uri {
    Uri::from_str(&format!("file://{}", path.display())).unwrap()
}

/// The editor's side of the connection.
struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<(), String>>>,
    next_id: i32,
    /// Notifications received while waiting for something else.
    pending: Vec<Notification>,
    /// The server's log messages, for the timings they report.
    log: Vec<String>,
    /// Methods of the requests the server sent.
    requests: Vec<String>,
}

impl Client {
    /// Starts a server and initializes it with the workspace folder `root`.
    fn start(root: &Path, capabilities: Value) -> (Client, InitializeResult) {
        let (server, client) = Connection::memory();
        let handle = std::thread::spawn(move || cargo_fitness::lsp::run_server(server));
        let mut client = Client {
            connection: client,
            server: Some(handle),
            next_id: 0,
            pending: Vec::new(),
            log: Vec::new(),
            requests: Vec::new(),
        };
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "capabilities": capabilities,
                "workspaceFolders": [{ "uri": uri(root).as_str(), "name": "test" }],
            }),
        );
        let result: InitializeResult =
            serde_json::from_value(result.response_result.expect("an initialize result")).unwrap();
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn receive(&mut self, deadline: Instant) -> Message {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = self
            .connection
            .receiver
            .recv_timeout(left)
            .expect("the server answers in time");
        if let Message::Request(request) = &message {
            // Registrations and the like: accept them.
            let response = Response::new_ok(request.id.clone(), Value::Null);
            self.connection.sender.send(response.into()).unwrap();
            self.requests.push(request.method.clone());
        }
        if let Message::Notification(n) = &message
            && n.method == "window/logMessage"
        {
            self.log
                .push(n.params["message"].as_str().unwrap_or("").to_string());
        }
        message
    }

    fn request(&mut self, method: &str, params: Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let request = Request::new(id.clone(), method.to_string(), params);
        self.connection.sender.send(request.into()).unwrap();
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.receive(deadline) {
                Message::Response(response) if response.id == id => return response,
                Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                    self.pending.push(n)
                }
                _ => {}
            }
        }
    }

    fn notify(&self, method: &str, params: Value) {
        let notification = Notification::new(method.to_string(), params);
        self.connection.sender.send(notification.into()).unwrap();
    }

    /// Waits for diagnostics published for `uri` that satisfy `wanted`; earlier ones for it
    /// are dropped.
    fn diagnostics(
        &mut self,
        uri: &Uri,
        wanted: impl Fn(&PublishDiagnosticsParams) -> bool,
    ) -> PublishDiagnosticsParams {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(index) = self
                .pending
                .iter()
                .position(|n| n.params["uri"].as_str() == Some(uri.as_str()))
            {
                let params: PublishDiagnosticsParams =
                    serde_json::from_value(self.pending.remove(index).params).unwrap();
                if wanted(&params) {
                    return params;
                }
                continue;
            }
            if let Message::Notification(n) = self.receive(deadline)
                && n.method == "textDocument/publishDiagnostics"
            {
                self.pending.push(n);
            }
        }
    }

    fn open(&self, uri: &Uri, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri.as_str(), "languageId": "rust", "version": 1, "text": text } }),
        );
    }

    fn change(&self, uri: &Uri, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri.as_str(), "version": version },
                "contentChanges": [{ "text": text }],
            }),
        );
    }

    fn code_actions(&mut self, uri: &Uri, diagnostic: &Diagnostic) -> Vec<CodeAction> {
        let response = self.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri.as_str() },
                "range": diagnostic.range,
                "context": { "diagnostics": [diagnostic] },
            }),
        );
        let actions: Vec<CodeActionOrCommand> =
            serde_json::from_value(response.response_result.expect("code actions")).unwrap();
        actions
            .into_iter()
            .map(|action| match action {
                CodeActionOrCommand::CodeAction(action) => action,
                CodeActionOrCommand::Command(_) => panic!("a command instead of an action"),
            })
            .collect()
    }

    fn hover(&mut self, uri: &Uri, position: Position) -> Option<Hover> {
        let response = self.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri.as_str() }, "position": position }),
        );
        serde_json::from_value(response.response_result.expect("a hover result")).unwrap()
    }

    fn shutdown(mut self) {
        let response = self.request("shutdown", Value::Null);
        assert!(response.response_result.is_ok(), "{response:?}");
        self.notify("exit", Value::Null);
        let outcome = self
            .server
            .take()
            .unwrap()
            .join()
            .expect("the server does not panic");
        assert_eq!(outcome, Ok(()));
    }
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| match &d.code {
            Some(NumberOrString::String(code)) => code.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn has(rule: &'static str) -> impl Fn(&PublishDiagnosticsParams) -> bool {
    move |published| codes(&published.diagnostics).iter().any(|c| c == rule)
}

fn none(published: &PublishDiagnosticsParams) -> bool {
    published.diagnostics.is_empty()
}

/// Applies one action's edits to `text` (UTF-16 positions, as negotiated by default).
fn apply(text: &str, action: &CodeAction, uri: &Uri) -> String {
    let edits: &Vec<TextEdit> = action
        .edit
        .as_ref()
        .and_then(|e| e.changes.as_ref())
        .and_then(|c| c.get(uri))
        .expect("edits for the document");
    let mut edits = edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    let mut text = text.to_string();
    for edit in edits {
        let start = utf16_offset(&text, edit.range.start);
        let end = utf16_offset(&text, edit.range.end);
        text.replace_range(start..end, &edit.new_text);
    }
    text
}

fn utf16_offset(text: &str, position: Position) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(position.line as usize)
        .map(str::len)
        .sum();
    let mut units = 0;
    for (index, ch) in text[line_start..].char_indices() {
        if units >= position.character as usize || ch == '\n' {
            return line_start + index;
        }
        units += ch.len_utf16();
    }
    text.len()
}

/// The text a range covers, the range's columns counted with `width`.
fn covered(text: &str, range: Range, width: fn(char) -> usize) -> String {
    let line = text.lines().nth(range.start.line as usize).unwrap();
    let mut units = 0;
    let mut out = String::new();
    for ch in line.chars() {
        if units >= range.start.character as usize && units < range.end.character as usize {
            out.push(ch);
        }
        units += width(ch);
    }
    out
}

#[test]
fn diagnostics_edits_code_actions_hover_and_shutdown() {
    let workspace = Workspace::new(&[
        ("Cargo.toml", MANIFEST),
        ("fitness.toml", &config(&[TLS, WILDCARD])),
        ("src/main.rs", MAIN),
    ]);
    let capabilities = json!({
        "textDocument": { "publishDiagnostics": { "relatedInformation": true } },
    });
    let (mut client, initialized) = Client::start(&workspace.root(), capabilities);
    let capabilities = serde_json::to_value(&initialized.capabilities).unwrap();
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["hoverProvider"], true);
    assert!(capabilities["codeActionProvider"].is_object());

    // The first full check publishes the planted findings of both files.
    let main = workspace.uri("src/main.rs");
    let published = client.diagnostics(&main, has(TLS));
    assert_eq!(codes(&published.diagnostics), [TLS]);
    let diagnostic = published.diagnostics[0].clone();
    assert_eq!(diagnostic.severity, Some(DiagnosticSeverity::ERROR));
    assert_eq!(diagnostic.source.as_deref(), Some("fitness"));
    assert!(
        diagnostic.message.contains("\nhelp: "),
        "{}",
        diagnostic.message
    );
    let href = diagnostic.code_description.as_ref().unwrap().href.as_str();
    assert!(
        href.ends_with("/rules/security/tls-verification-disabled.md"),
        "{href}"
    );
    // UTF-16 columns: the range covers the call, after a two-unit crab.
    assert_eq!(diagnostic.range.start.line, 2);
    let line = MAIN.lines().nth(2).unwrap();
    let call = line.find("danger_accept_invalid_certs").unwrap();
    assert_eq!(
        diagnostic.range.start.character as usize,
        line[..call].encode_utf16().count()
    );
    assert_eq!(
        covered(MAIN, diagnostic.range, char::len_utf16),
        "danger_accept_invalid_certs(true)"
    );
    let manifest = workspace.uri("Cargo.toml");
    let published = client.diagnostics(&manifest, has(WILDCARD));
    let wildcard = published.diagnostics[0].clone();
    assert_eq!(wildcard.range.start.line, 8);

    // Fixing the code in the editor clears the diagnostic, without saving.
    client.open(&main, MAIN);
    let started = Instant::now();
    client.change(&main, 2, FIXED);
    let published = client.diagnostics(&main, none);
    println!(
        "didChange → diagnostics cleared in {} ms (200 ms of it is the debounce)",
        started.elapsed().as_millis()
    );
    assert_eq!(published.version, Some(2));
    client.change(&main, 3, MAIN);
    let diagnostic = client.diagnostics(&main, has(TLS)).diagnostics[0].clone();

    // Hover on the diagnostic shows the rule's documentation; elsewhere nothing.
    let hover = client
        .hover(&main, diagnostic.range.start)
        .expect("a hover");
    let HoverContents::Markup(markup) = hover.contents else {
        panic!("markdown expected");
    };
    assert!(
        markup.value.starts_with("# tls-verification-disabled"),
        "{}",
        markup.value
    );
    assert_eq!(hover.range, Some(diagnostic.range));
    assert!(client.hover(&main, Position::new(0, 0)).is_none());

    // The line suppression goes above, indented; with it the finding is gone and the
    // suppression is used (no `unused-suppression`).
    let actions = client.code_actions(&main, &diagnostic);
    let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Suppress `tls-verification-disabled` on this line",
            "Suppress `tls-verification-disabled` in this file"
        ]
    );
    let suppressed = apply(MAIN, &actions[0], &main);
    assert!(
        suppressed.contains("\n    // fitness: ignore[tls-verification-disabled] "),
        "{suppressed}"
    );
    client.change(&main, 4, &suppressed);
    let published = client.diagnostics(&main, |p| !has(TLS)(p));
    assert_eq!(codes(&published.diagnostics), Vec::<String>::new());

    // The file-wide form, too.
    client.change(&main, 5, MAIN);
    client.diagnostics(&main, has(TLS));
    let whole_file = apply(MAIN, &actions[1], &main);
    assert!(whole_file.starts_with("// fitness: ignore-file[tls-verification-disabled] "));
    client.change(&main, 6, &whole_file);
    client.diagnostics(&main, none);

    // A suppression that suppresses nothing is offered for removal.
    let stale = format!("// fitness: ignore[{TLS}] kept by mistake\n{FIXED}");
    client.change(&main, 7, &stale);
    let published = client.diagnostics(&main, has("unused-suppression"));
    let unused = published.diagnostics[0].clone();
    let actions = client.code_actions(&main, &unused);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(apply(&stale, &actions[0], &main), FIXED);

    // `#` comments in Cargo.toml, at the top for the whole file.
    client.open(&manifest, MANIFEST);
    let actions = client.code_actions(&manifest, &wildcard);
    let whole_file = apply(MANIFEST, &actions[1], &manifest);
    assert!(
        whole_file.starts_with("# fitness: ignore-file[wildcard-dependency] "),
        "{whole_file}"
    );
    client.change(&manifest, 2, &whole_file);
    client.diagnostics(&manifest, none);

    // Closing a document goes back to the file on disk, which still has the finding.
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": main.as_str() } }),
    );
    client.diagnostics(&main, has(TLS));

    let timings: Vec<&String> = client
        .log
        .iter()
        .filter(|l| l.starts_with("checked"))
        .collect();
    for line in timings {
        println!("server: {line}");
    }
    client.shutdown();
}

#[test]
fn bad_input_does_not_stop_the_server() {
    let workspace = Workspace::new(&[
        ("Cargo.toml", MANIFEST),
        ("fitness.toml", &config(&[TLS])),
        ("src/main.rs", MAIN),
    ]);
    let (mut client, _) = Client::start(&workspace.root(), json!({}));
    let main = workspace.uri("src/main.rs");
    client.diagnostics(&main, has(TLS));

    // Documents that are not files, files outside the workspace, documents never opened.
    let untitled = Uri::from_str("untitled:Untitled-1").unwrap();
    client.open(&untitled, MAIN);
    let outside = uri(Path::new("/nonexistent/elsewhere/src/main.rs"));
    client.open(&outside, MAIN);
    client.change(&uri(Path::new("/never/opened.rs")), 2, "fn main() {}");
    client.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": "file:///nowhere/x.rs" } }),
    );
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": "not a uri" } }),
    );
    client.notify("textDocument/didOpen", json!({ "nonsense": true }));
    client.notify("workspace/unknownNotification", json!(42));

    // Requests: unknown methods, malformed parameters, unknown documents.
    let response = client.request("textDocument/definition", json!({}));
    assert_eq!(
        response.response_result.unwrap_err().code,
        lsp_server::ErrorCode::MethodNotFound as i32
    );
    let response = client.request("textDocument/hover", json!({ "position": "here" }));
    assert_eq!(
        response.response_result.unwrap_err().code,
        lsp_server::ErrorCode::InvalidParams as i32
    );
    assert!(client.hover(&untitled, Position::new(0, 0)).is_none());
    assert!(client.hover(&outside, Position::new(2, 40)).is_none());
    let response = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": untitled.as_str() },
            "range": Range::default(),
            "context": { "diagnostics": [] },
        }),
    );
    assert_eq!(response.response_result.unwrap(), json!([]));

    // Positions past the end of the text are clamped, not a crash.
    client.open(&main, MAIN);
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": main.as_str(), "version": 2 },
            "contentChanges": [{ "range": { "start": { "line": 99, "character": 0 }, "end": { "line": 99, "character": 5 } }, "text": "\n// end\n" }],
        }),
    );
    let published = client.diagnostics(&main, |p| p.version == Some(2));
    assert_eq!(codes(&published.diagnostics), [TLS]);
    client.shutdown();
}

#[test]
fn positions_in_utf8_when_the_client_offers_it() {
    let workspace = Workspace::new(&[
        ("Cargo.toml", MANIFEST),
        ("fitness.toml", &config(&[TLS])),
        ("src/main.rs", MAIN),
    ]);
    let capabilities = json!({ "general": { "positionEncodings": ["utf-16", "utf-8"] } });
    let (mut client, initialized) = Client::start(&workspace.root(), capabilities);
    assert_eq!(
        serde_json::to_value(&initialized.capabilities).unwrap()["positionEncoding"],
        "utf-8"
    );
    let main = workspace.uri("src/main.rs");
    let diagnostic = client.diagnostics(&main, has(TLS)).diagnostics[0].clone();
    let line = MAIN.lines().nth(2).unwrap();
    let call = line.find("danger_accept_invalid_certs").unwrap();
    assert_eq!(diagnostic.range.start.character as usize, call);
    assert_eq!(
        covered(MAIN, diagnostic.range, char::len_utf8),
        "danger_accept_invalid_certs(true)"
    );
    client.shutdown();
}

#[test]
fn an_edit_in_one_file_updates_findings_in_another() {
    // `hardcoded-backing-service` reports in service code only: the address in `db.rs` counts
    // while `main.rs` starts a server, and stops counting when the editor removes it.
    let workspace = Workspace::new(&[
        ("Cargo.toml", MANIFEST),
        ("fitness.toml", &config(&[BACKING])),
        (
            "src/main.rs",
            "mod db;\n\nfn main() {\n    let _server = std::net::TcpListener::bind(\"0.0.0.0:8080\");\n    db::connect();\n}\n",
        ),
        (
            "src/db.rs",
            "pub fn connect() {\n    let _url = \"postgres://orders@db.internal:5432/orders\";\n}\n",
        ),
    ]);
    let (mut client, _) = Client::start(&workspace.root(), json!({}));
    let db = workspace.uri("src/db.rs");
    let main = workspace.uri("src/main.rs");
    client.diagnostics(&db, has(BACKING));
    client.open(&main, "mod db;\n\nfn main() {\n    let _server = std::net::TcpListener::bind(\"0.0.0.0:8080\");\n    db::connect();\n}\n");
    client.change(&main, 2, "mod db;\n\nfn main() {\n    db::connect();\n}\n");
    client.diagnostics(&db, none);
    client.change(&main, 3, "mod db;\n\nfn main() {\n    let _server = std::net::TcpListener::bind(\"0.0.0.0:8080\");\n    db::connect();\n}\n");
    client.diagnostics(&db, has(BACKING));
    client.shutdown();
}

#[test]
fn configuration_changes_apply_on_save() {
    let workspace = Workspace::new(&[
        ("Cargo.toml", MANIFEST),
        ("fitness.toml", &config(&[TLS])),
        ("src/main.rs", MAIN),
    ]);
    let (mut client, _) = Client::start(&workspace.root(), json!({}));
    let main = workspace.uri("src/main.rs");
    let settings = workspace.uri("fitness.toml");
    let path = workspace.root().join("fitness.toml");
    client.diagnostics(&main, has(TLS));
    let save = |client: &Client, text: &str| {
        std::fs::write(&path, text).unwrap();
        client.notify(
            "textDocument/didSave",
            json!({ "textDocument": { "uri": settings.as_str() } }),
        );
    };

    // The rule switched off: its diagnostic goes.
    save(&client, &config(&[]));
    client.diagnostics(&main, none);

    // A broken configuration is a diagnostic on the offending key; the last good one stays.
    let broken = format!("{}no-such-rule = \"deny\"\n", config(&[TLS]));
    save(&client, &broken);
    let published = client.diagnostics(&settings, |p| !p.diagnostics.is_empty());
    let problem = &published.diagnostics[0];
    assert!(
        problem.message.contains("no-such-rule"),
        "{}",
        problem.message
    );
    let line = broken
        .lines()
        .nth(problem.range.start.line as usize)
        .unwrap();
    assert!(line.starts_with("no-such-rule"), "{line}");

    // Fixed: the problem goes and the new levels apply.
    save(&client, &config(&[TLS]));
    client.diagnostics(&settings, none);
    client.diagnostics(&main, has(TLS));
    client.shutdown();
}

#[test]
fn files_created_and_deleted_on_disk_are_picked_up() {
    let workspace = Workspace::new(&[
        ("Cargo.toml", MANIFEST),
        ("fitness.toml", &config(&[TLS])),
        ("src/main.rs", MAIN),
    ]);
    let capabilities = json!({
        "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } },
    });
    let (mut client, _) = Client::start(&workspace.root(), capabilities);
    let main = workspace.uri("src/main.rs");
    client.diagnostics(&main, has(TLS));
    assert!(
        client
            .requests
            .iter()
            .any(|m| m == "client/registerCapability")
    );

    let extra = workspace.root().join("src/extra.rs");
    let extra_uri = workspace.uri("src/extra.rs");
    let watched = |client: &Client, kind: u32| {
        client.notify(
            "workspace/didChangeWatchedFiles",
            json!({ "changes": [{ "uri": extra_uri.as_str(), "type": kind }] }),
        );
    };
    std::fs::write(&extra, MAIN).unwrap();
    watched(&client, 1);
    client.diagnostics(&extra_uri, has(TLS));
    std::fs::write(&extra, FIXED).unwrap();
    watched(&client, 2);
    client.diagnostics(&extra_uri, none);
    std::fs::write(&extra, MAIN).unwrap();
    watched(&client, 2);
    client.diagnostics(&extra_uri, has(TLS));
    std::fs::remove_file(&extra).unwrap();
    watched(&client, 3);
    client.diagnostics(&extra_uri, none);
    client.shutdown();
}

// ---------------------------------------------------------------------------------------------
// The incremental engine behind the server: an edit checked from the editor's text gives the
// findings a full check gives with the edit saved, on every fixture. (Rules that read other
// files from disk see them as saved, so the edit is saved before the update here.)

fn fixture_cases() -> Vec<PathBuf> {
    let dirs = |dir: &Path| -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_dir())
            .collect();
        dirs.sort();
        dirs
    };
    let mut cases = Vec::new();
    for category in dirs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")) {
        for entry in dirs(&category) {
            if category.ends_with("services") {
                cases.push(entry);
            } else {
                cases.extend(dirs(&entry));
            }
        }
    }
    cases
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().filter_map(Result::ok) {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// An edit that changes findings: the first line with an expected-finding marker goes.
fn edit(text: &str) -> String {
    let index = text.lines().position(|line| line.contains(" ~ "));
    text.split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| Some(*i) != index)
        .map(|(_, line)| line)
        .collect()
}

#[test]
fn incremental_checks_agree_with_full_checks_on_every_fixture() {
    use cargo_fitness::config::Config;
    use cargo_fitness::engine::{self, incremental::Incremental};
    use cargo_fitness::workspace::{FileFilter, Workspace as Discovered};

    let started = Instant::now();
    let mut edits = 0;
    for case in fixture_cases() {
        let copy = tempfile::tempdir().unwrap();
        let root = copy.path().canonicalize().unwrap();
        copy_dir(&case, &root);
        let Ok(config) = Config::load(&root, None) else {
            continue;
        };
        let mut rules = cargo_fitness::registry::rules();
        for rule in &mut rules {
            if let Some(options) = config.options.get(rule.meta().id) {
                rule.configure(options).unwrap();
            }
        }
        let filter = FileFilter {
            scope: None,
            exclude: config.exclude(),
        };
        let workspace =
            Discovered::discover(root.clone(), root.join("Cargo.toml").is_file(), &filter);
        let full = engine::check(&workspace, &config, &rules).findings;
        let (mut state, first) = Incremental::new(&workspace, &config, &rules, Vec::new());
        assert_eq!(first.findings, full, "{}: first run", case.display());
        let files: Vec<(PathBuf, PathBuf)> = workspace
            .files
            .iter()
            .map(|f| (f.path.to_path_buf(), f.absolute.clone()))
            .collect();
        // Two files with expected findings per case (a full check per edit is slow in debug).
        let mut edited_here = 0;
        for (path, absolute) in files {
            let Ok(original) = std::fs::read_to_string(&absolute) else {
                continue;
            };
            if edited_here == 2 || !original.contains(" ~ ") {
                continue;
            }
            edited_here += 1;
            // Typed and saved (rules that read other files read the disk), against a full run.
            let edited = edit(&original);
            std::fs::write(&absolute, &edited).unwrap();
            let saved = engine::check(&workspace, &config, &rules).findings;
            let typed = state
                .update(
                    &workspace,
                    &config,
                    &rules,
                    vec![(path.clone(), Some(edited))],
                )
                .findings;
            assert_eq!(
                typed,
                saved,
                "{}: editing {}",
                case.display(),
                path.display()
            );
            std::fs::write(&absolute, &original).unwrap();
            let back = state
                .update(&workspace, &config, &rules, vec![(path.clone(), None)])
                .findings;
            assert_eq!(back, full, "{}: closing {}", case.display(), path.display());
            edits += 1;
        }
    }
    println!(
        "{edits} edits checked both ways in {} ms",
        started.elapsed().as_millis()
    );
}
