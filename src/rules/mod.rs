//! One rule per file, one folder per category.

pub mod config {
    pub mod config_baked_at_build;
    pub mod environment_name_branching;
    pub mod hardcoded_backing_service;
    pub mod hardcoded_secret;
    pub mod per_environment_config_files;
}
pub mod dependencies {
    pub mod lockfile_not_committed;
    pub mod undeclared_system_tool;
    pub mod unlocked_cargo_build;
    pub mod unpinned_git_dependency;
    pub mod unpinned_image;
    pub mod wildcard_dependency;
}
pub mod build_release_run {
    pub mod build_in_runtime_image;
    pub mod cargo_run_entrypoint;
}
pub mod processes {
    pub mod in_memory_session_store;
    pub mod local_filesystem_state;
    pub mod node_local_storage;
    pub mod sticky_sessions;
}
pub mod concurrency {
    pub mod no_resource_requests;
    pub mod single_replica;
}
pub mod port_binding {
    pub mod hardcoded_listen_address;
    pub mod loopback_bind_in_container;
    pub mod port_mismatch;
}
pub mod disposability {
    pub mod healthcheck_binary_missing;
    pub mod missing_probes;
    pub mod no_health_endpoint;
    pub mod no_sigterm_handler;
    pub mod probe_path_mismatch;
    pub mod shell_form_entrypoint;
}
pub mod dev_prod_parity {
    pub mod parity_drift;
}
pub mod logs {
    pub mod log_to_file;
    pub mod println_logging;
}
pub mod admin_processes {
    pub mod admin_binary_not_deployed;
    pub mod deployed_binary_missing;
    pub mod migrations_at_startup;
}
pub mod contracts {
    pub mod missing_contract_tests;
    pub mod openapi_route_drift;
}
pub mod architecture {
    pub mod forbidden_dependency;
    pub mod layer_violation;
    pub mod module_cycle;
    pub mod service_coupling;
}
pub mod meta {
    pub mod parse_error;
    pub mod unknown_rule;
    pub mod unused_suppression;
}
pub mod backing_services {
    pub mod env_var_not_provided;
    pub mod env_var_unused;
    pub mod shared_database;
}
pub mod resilience {
    pub mod http_client_without_timeout;
}
pub mod security {
    pub mod container_runs_as_root;
    pub mod jwt_validation_disabled;
    pub mod secret_in_image;
    pub mod secret_literal_in_manifest;
    pub mod tls_verification_disabled;
}
