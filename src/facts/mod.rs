//! What more than one rule needs to know about a file, extracted once, with spans.
//! Framework and library knowledge lives here, not in the rules.

pub mod backing_services;
pub mod binaries;
pub mod bindings;
pub mod calls;
pub mod clients;
pub mod config_files;
pub mod contracts;
pub mod deploy_env;
pub mod deployed;
pub mod docker;
pub mod env;
pub mod filesystem;
pub mod image_contents;
pub mod image_links;
pub mod images;
pub mod jwt;
pub mod kubernetes;
pub mod listen;
pub mod logging;
pub mod migrations;
pub mod modules;
pub mod openapi;
pub mod processes;
pub mod routes;
pub mod secrets;
pub mod service;
pub mod signals;
pub mod start_commands;
pub mod state;
pub mod tls;

use crate::source::rust::RustFile;

/// The facts of one Rust file.
#[derive(Debug, Default)]
pub struct RustFacts {
    pub env: env::EnvFacts,
    /// Where this file starts a server or consumer; empty for most files.
    pub servers: Vec<service::ServerStart>,
    /// The file's functions, what they call, and its migrations, logger set-up and prints.
    pub calls: calls::FileFunctions,
    /// The outbound HTTP and gRPC clients this file builds, judged for timeouts.
    pub clients: Vec<clients::OutboundClient>,
    /// The addresses this file binds or serves on.
    pub listen: Vec<listen::ListenAddress>,
    /// Struct fields given a listen port or host (`Config { port: …, .. }`), to follow
    /// `config.port` in another file.
    pub listen_fields: Vec<listen::FieldSetting>,
    /// The HTTP routes and gRPC services it declares.
    pub routes: routes::RouteFacts,
    /// Where it handles SIGTERM or Ctrl-C, or wires a graceful shutdown.
    pub signals: Vec<signals::SignalUse>,
    /// The modules it declares and its `main`, for grouping files by binary.
    pub krate: binaries::CrateFacts,
    /// The `mod` items and the paths the code refers to, for the module graph.
    pub modules: std::sync::Arc<modules::ModuleFacts>,
    /// Where test code loads an API contract (OpenAPI, `.proto`).
    pub contracts: contracts::ContractFacts,
    /// The migration sets the code embeds (`sqlx::migrate!`, `embed_migrations!`).
    pub migration_sources: Vec<migrations::MigrationSource>,
    /// Files of out-of-line modules this file declares as test code (`#[cfg(test)] mod x;`).
    pub test_module_files: Vec<std::path::PathBuf>,
    /// Where shipping code picks a configuration file for one environment.
    pub config_files: Vec<config_files::ConfigFileChoice>,
}

impl RustFacts {
    pub fn extract(file: &RustFile<'_>) -> RustFacts {
        let env = env::EnvFacts::extract(file);
        RustFacts {
            config_files: config_files::choices(file, &env),
            listen: listen::listen_addresses(file, &env),
            listen_fields: listen::field_settings(file, &env),
            routes: routes::RouteFacts::extract(file),
            signals: signals::signal_uses(file),
            krate: binaries::CrateFacts::extract(file),
            env,
            servers: service::server_starts(file),
            calls: calls::FileFunctions::extract(file),
            clients: clients::outbound_clients(file),
            modules: std::sync::Arc::new(modules::ModuleFacts::extract(file)),
            contracts: contracts::ContractFacts::extract(file),
            migration_sources: migrations::migration_sources(file),
            test_module_files: file.test_module_files(),
        }
    }
}
