//! What more than one rule needs to know about a file, extracted once, with spans.
//! Framework and library knowledge lives here, not in the rules.

pub mod backing_services;
pub mod env;
pub mod logging;
pub mod service;
pub mod tls;

use crate::source::rust::RustFile;

/// The facts of one Rust file.
#[derive(Debug, Default)]
pub struct RustFacts {
    pub env: env::EnvFacts,
    /// Where this file starts a server or consumer; empty for most files.
    pub servers: Vec<service::ServerStart>,
}

impl RustFacts {
    pub fn extract(file: &RustFile<'_>) -> RustFacts {
        RustFacts {
            env: env::EnvFacts::extract(file),
            servers: service::server_starts(file),
        }
    }
}
