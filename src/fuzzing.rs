//! Entry points for the fuzz targets in `fuzz/` and for replaying the inputs they found
//! (`tests/fuzz_regressions.rs`). Each takes arbitrary bytes and must never panic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::source::rust::CodeRole;
use crate::source::{FileKind, SourceFile, comments, dockerfile, yaml};
use crate::{engine, registry, suppress};

/// The targets, by name: the name of the fuzz target and of its regression folder.
/// A fuzz target: takes any bytes, never panics.
pub type Target = fn(&[u8]);

pub const TARGETS: &[(&str, Target)] = &[
    ("dockerfile", dockerfile_parser),
    ("yaml", yaml_loader),
    ("suppressions", suppression_scanner),
    ("config", config_loader),
    ("pipeline", single_file_pipeline),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

pub fn dockerfile_parser(data: &[u8]) {
    if let Some(text) = text(data) {
        let parsed = dockerfile::parse(text);
        for stage in &parsed.stages {
            let _ = parsed.resolve_image(stage);
        }
        let _ = parsed.final_stage();
    }
}

pub fn yaml_loader(data: &[u8]) {
    if let Some(text) = text(data) {
        let _ = yaml::load(text);
        let _ = yaml::comments(text);
    }
}

pub fn suppression_scanner(data: &[u8]) {
    let Some(text) = text(data) else { return };
    for kind in KINDS {
        let _ = comments::scan(kind, text);
        let file = source(kind, text);
        let _ = suppress::inline::scan(&file);
    }
}

pub fn config_loader(data: &[u8]) {
    if let Some(text) = text(data) {
        let _ = Config::from_text(Path::new("fitness.toml"), text);
        let _ = Config::from_text(Path::new("Cargo.toml"), text);
    }
}

/// The whole check of one file, of every kind, with every rule on.
pub fn single_file_pipeline(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let config = Config::with_defaults();
    let rules = registry::rules();
    for kind in KINDS {
        let _ = engine::check_text(source(kind, text), CodeRole::Production, &config, &rules);
    }
}

const KINDS: [FileKind; 6] = [
    FileKind::Rust,
    FileKind::CargoManifest,
    FileKind::Dockerfile,
    FileKind::Yaml,
    FileKind::Env,
    FileKind::Procfile,
];

fn source(kind: FileKind, text: &str) -> SourceFile {
    let name = match kind {
        FileKind::Rust => "src/main.rs",
        FileKind::CargoManifest => "Cargo.toml",
        FileKind::CargoLock => "Cargo.lock",
        FileKind::Dockerfile => "Dockerfile",
        FileKind::Yaml => "deploy/app.yaml",
        FileKind::Env => ".env",
        FileKind::Procfile => "Procfile",
    };
    SourceFile::new(
        Arc::new(PathBuf::from(name)),
        PathBuf::from("/fuzz").join(name),
        kind,
        text.to_string(),
    )
}
