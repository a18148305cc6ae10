//! `cargo fitness lsp`: a language server over stdin and stdout.
//!
//! The server is synchronous (`lsp-server` with `lsp-types`): the main thread answers the
//! editor (hover, code actions, document sync) from the document store and the diagnostics
//! last published, and a worker thread does all checking. On start the worker finds the
//! workspace of each editor folder as `cargo fitness <folder>` would, checks it fully and
//! publishes a diagnostic for every finding, in any file kind. After that, an edited document
//! is checked again from its text in the editor once typing pauses for 200 ms, with only the
//! files that depend on it (see [`crate::engine::incremental`]); the whole-workspace pass runs
//! again over the kept per-file results, so cross-file findings follow every edit. Saving the configuration or a `Cargo.toml`, or a file appearing or
//! disappearing, starts a full check.

// `Uri` caches its parse in a cell; its `Hash` and `Eq` use only the text, so it is a sound key.
#![allow(clippy::mutable_key_type)]

mod actions;
mod convert;
mod documents;
mod hover;
mod project;
mod server;
mod worker;

use std::collections::HashMap;
use std::sync::Mutex;

use lsp_server::{Connection, Message};
use lsp_types::{Diagnostic, Uri};

pub use server::run_server;

/// Where the worker sends its notifications.
type Outbox = Box<dyn Fn(Message) + Send>;

/// What the main thread and the worker share.
struct Shared {
    documents: Mutex<documents::Documents>,
    /// The diagnostics last published, by document, for hover and code actions.
    diagnostics: Mutex<HashMap<Uri, Vec<Diagnostic>>>,
    encoding: convert::Encoding,
    /// Whether the client shows `relatedInformation`.
    related_information: bool,
}

/// Serves over stdin and stdout until the editor asks the server to exit; the exit code.
pub fn run_stdio() -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let result = run_server(connection);
    let joined = io_threads.join();
    match (result, joined) {
        (Ok(()), Ok(())) => crate::EXIT_CLEAN,
        (Err(message), _) => {
            eprintln!("error: {message}");
            crate::EXIT_FINDINGS
        }
        (Ok(()), Err(error)) => {
            eprintln!("error: the connection to the editor failed: {error}");
            crate::EXIT_ERROR
        }
    }
}
