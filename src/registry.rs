//! Every rule, registered in this one place.

use std::sync::LazyLock;

use crate::rule::{Category, Rule, RuleMeta};
use crate::rules::*;

/// A fresh instance of every rule that checks files, with default options.
pub fn rules() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(config::hardcoded_backing_service::HardcodedBackingService::default()),
        Box::new(config::hardcoded_secret::HardcodedSecret),
        Box::new(config::environment_name_branching::EnvironmentNameBranching),
        Box::new(config::config_baked_at_build::ConfigBakedAtBuild),
        Box::new(config::per_environment_config_files::PerEnvironmentConfigFiles),
        Box::new(dependencies::wildcard_dependency::WildcardDependency),
        Box::new(dependencies::unpinned_git_dependency::UnpinnedGitDependency),
        Box::new(dependencies::lockfile_not_committed::LockfileNotCommitted),
        Box::new(dependencies::unlocked_cargo_build::UnlockedCargoBuild),
        Box::new(dependencies::undeclared_system_tool::UndeclaredSystemTool),
        Box::new(dependencies::unpinned_image::UnpinnedImage),
        Box::new(build_release_run::build_in_runtime_image::BuildInRuntimeImage),
        Box::new(build_release_run::cargo_run_entrypoint::CargoRunEntrypoint),
        Box::new(processes::local_filesystem_state::LocalFilesystemState),
        Box::new(processes::in_memory_session_store::InMemorySessionStore),
        Box::new(processes::sticky_sessions::StickySessions),
        Box::new(processes::node_local_storage::NodeLocalStorage),
        Box::new(concurrency::single_replica::SingleReplica),
        Box::new(concurrency::no_resource_requests::NoResourceRequests),
        Box::new(port_binding::hardcoded_listen_address::HardcodedListenAddress),
        Box::new(port_binding::loopback_bind_in_container::LoopbackBindInContainer),
        Box::new(port_binding::port_mismatch::PortMismatch),
        Box::new(disposability::healthcheck_binary_missing::HealthcheckBinaryMissing),
        Box::new(disposability::missing_probes::MissingProbes),
        Box::new(disposability::no_sigterm_handler::NoSigtermHandler),
        Box::new(disposability::no_health_endpoint::NoHealthEndpoint),
        Box::new(disposability::probe_path_mismatch::ProbePathMismatch),
        Box::new(disposability::shell_form_entrypoint::ShellFormEntrypoint),
        Box::new(dev_prod_parity::parity_drift::ParityDrift),
        Box::new(logs::log_to_file::LogToFile),
        Box::new(logs::println_logging::PrintlnLogging),
        Box::new(admin_processes::migrations_at_startup::MigrationsAtStartup),
        Box::new(admin_processes::deployed_binary_missing::DeployedBinaryMissing),
        Box::new(admin_processes::admin_binary_not_deployed::AdminBinaryNotDeployed),
        Box::new(backing_services::env_var_not_provided::EnvVarNotProvided::default()),
        Box::new(backing_services::env_var_unused::EnvVarUnused::default()),
        Box::new(backing_services::shared_database::SharedDatabase),
        Box::new(resilience::http_client_without_timeout::HttpClientWithoutTimeout),
        Box::new(security::tls_verification_disabled::TlsVerificationDisabled),
        Box::new(security::jwt_validation_disabled::JwtValidationDisabled),
        Box::new(security::secret_in_image::SecretInImage),
        Box::new(security::secret_literal_in_manifest::SecretLiteralInManifest),
        Box::new(security::container_runs_as_root::ContainerRunsAsRoot),
        Box::new(contracts::missing_contract_tests::MissingContractTests),
        Box::new(contracts::openapi_route_drift::OpenapiRouteDrift),
        Box::new(architecture::layer_violation::LayerViolation),
        Box::new(architecture::forbidden_dependency::ForbiddenDependency),
        Box::new(architecture::service_coupling::ServiceCoupling),
        Box::new(architecture::module_cycle::ModuleCycle),
    ]
}

/// Rules the engine reports itself.
const ENGINE_RULES: [&RuleMeta; 3] = [
    &meta::parse_error::META,
    &meta::unused_suppression::META,
    &meta::unknown_rule::META,
];

static ALL: LazyLock<Vec<&'static RuleMeta>> = LazyLock::new(|| {
    let mut all: Vec<&'static RuleMeta> = rules()
        .iter()
        .map(|rule| rule.meta())
        .chain(ENGINE_RULES)
        .collect();
    all.sort_by_key(|meta| (meta.category, meta.id));
    all
});

/// Every rule's metadata, by category then id.
pub fn all() -> &'static [&'static RuleMeta] {
    &ALL
}

pub fn find(id: &str) -> Option<&'static RuleMeta> {
    all().iter().copied().find(|meta| meta.id == id)
}

/// The rules a `-W`/`-D`/config key names: one rule id, or every rule of a category.
pub fn select(name: &str) -> Option<Vec<&'static RuleMeta>> {
    if let Some(meta) = find(name) {
        return Some(vec![meta]);
    }
    let category = Category::from_name(name)?;
    Some(
        all()
            .iter()
            .copied()
            .filter(|meta| meta.category == category)
            .collect(),
    )
}
