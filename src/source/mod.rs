//! One parser per file kind. Every parsed document keeps byte spans into its text.

pub mod comments;
pub mod compose;
pub mod deployment;
pub mod dockerfile;
pub mod edges;
pub mod env_file;
pub mod kubernetes;
pub mod line_index;
pub mod manifest;
pub mod openapi;
pub mod procfile;
pub mod rust;
pub mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::diagnostic::{Location, Position, Span};
use line_index::LineIndex;

/// Files larger than this many MiB are not read, but reported, unless the configuration's
/// `max-file-mib` says otherwise. A 10 MiB Kubernetes manifest already takes about 3 s and
/// 300 MiB of memory to check (README: "Performance and robustness").
pub const DEFAULT_MAX_FILE_MIB: u64 = 10;

const MIB: u64 = 1024 * 1024;

/// The size limit of this run, in MiB.
static MAX_FILE_MIB: AtomicU64 = AtomicU64::new(DEFAULT_MAX_FILE_MIB);

/// Sets the size limit for the files read from now on (the configuration's `max-file-mib`).
pub fn set_max_file_mib(mib: u64) {
    MAX_FILE_MIB.store(mib, Ordering::Relaxed);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Rust,
    CargoManifest,
    CargoLock,
    Dockerfile,
    Yaml,
    Env,
    Procfile,
}

impl FileKind {
    /// Classifies a file by its name alone.
    pub fn of(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?;
        let lower = name.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "cargo.toml" => FileKind::CargoManifest,
            "cargo.lock" => FileKind::CargoLock,
            "dockerfile" | "containerfile" => FileKind::Dockerfile,
            "procfile" => FileKind::Procfile,
            ".env" => FileKind::Env,
            _ if lower.ends_with(".rs") => FileKind::Rust,
            _ if lower.ends_with(".dockerfile") || lower.ends_with(".containerfile") => {
                FileKind::Dockerfile
            }
            _ if lower.starts_with("dockerfile.") || lower.starts_with("containerfile.") => {
                FileKind::Dockerfile
            }
            _ if lower.ends_with(".yaml") || lower.ends_with(".yml") => FileKind::Yaml,
            // JSON is YAML 1.2: an OpenAPI document in JSON is read by the YAML loader.
            _ if openapi::is_document_json_name(&lower) => FileKind::Yaml,
            _ if lower.starts_with(".env.") || lower.ends_with(".env") => FileKind::Env,
            _ => return None,
        };
        Some(kind)
    }

    /// The line-comment marker suppressions are written with in this kind of file.
    pub fn comment_marker(self) -> &'static str {
        match self {
            FileKind::Rust => "//",
            _ => "#",
        }
    }
}

/// Whether a file is JSON (read as YAML, but without comments to suppress findings with).
pub fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("json"))
}

/// A file read into memory: its text and where it lives.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the workspace root, as shown to users.
    pub path: Arc<PathBuf>,
    pub absolute_path: PathBuf,
    pub kind: FileKind,
    pub text: String,
    pub lines: LineIndex,
}

/// Why a file could not be read as text.
#[derive(Debug)]
pub enum LoadError {
    TooLarge { bytes: u64, limit_mib: u64 },
    Binary,
    NotUtf8 { valid_up_to: usize, prefix: String },
    Io(std::io::Error),
}

impl LoadError {
    pub fn message(&self) -> String {
        match self {
            LoadError::TooLarge { bytes, limit_mib } => format!(
                "file not checked: it is {:.1} MiB, over the {limit_mib} MiB limit",
                *bytes as f64 / MIB as f64,
            ),
            LoadError::Binary => "file not checked: it looks binary (it holds NUL bytes)".into(),
            LoadError::NotUtf8 { .. } => "file not checked: it is not valid UTF-8".into(),
            LoadError::Io(error) => format!("file not checked: {error}"),
        }
    }
}

impl SourceFile {
    pub fn new(path: Arc<PathBuf>, absolute_path: PathBuf, kind: FileKind, text: String) -> Self {
        let lines = LineIndex::new(&text);
        SourceFile {
            path,
            absolute_path,
            kind,
            text,
            lines,
        }
    }

    pub fn load(
        absolute_path: &Path,
        path: Arc<PathBuf>,
        kind: FileKind,
    ) -> Result<Self, LoadError> {
        let metadata = std::fs::metadata(absolute_path).map_err(LoadError::Io)?;
        let limit_mib = MAX_FILE_MIB.load(Ordering::Relaxed);
        if metadata.len() > limit_mib.saturating_mul(MIB) {
            return Err(LoadError::TooLarge {
                bytes: metadata.len(),
                limit_mib,
            });
        }
        let bytes = std::fs::read(absolute_path).map_err(LoadError::Io)?;
        if bytes.contains(&0) {
            return Err(LoadError::Binary);
        }
        let text = String::from_utf8(bytes).map_err(|error| {
            let valid_up_to = error.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&error.as_bytes()[..valid_up_to]).into_owned();
            LoadError::NotUtf8 {
                valid_up_to,
                prefix,
            }
        })?;
        Ok(SourceFile::new(
            path,
            absolute_path.to_path_buf(),
            kind,
            text,
        ))
    }

    pub fn location(&self, span: Span) -> Location {
        let start = floor(&self.text, span.start);
        let end = floor(&self.text, span.end).max(start);
        Location {
            path: self.path.clone(),
            span: Span::new(start, end),
            start: self.lines.position(start, &self.text),
            end: self.lines.position(end, &self.text),
        }
    }

    /// The span of the 1-based `line`, without its line ending.
    pub fn line_span(&self, line: usize) -> Span {
        let index = line.saturating_sub(1);
        let start = self.lines.line_start(index, &self.text);
        let text = self.lines.line_text(index, &self.text);
        Span::new(start, start + text.len())
    }
}

fn floor(text: &str, offset: usize) -> usize {
    line_index::floor_char_boundary(text, offset.min(text.len()))
}

/// `a/./b/../c` → `a/c`, without touching the file system.
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A location in a file whose text is not available (unreadable, binary, too large).
pub fn location_without_text(path: Arc<PathBuf>, position: Position) -> Location {
    Location {
        path,
        span: Span::default(),
        start: position,
        end: position,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_deployment_files_by_name() {
        let kind = |name: &str| FileKind::of(Path::new(name));
        assert_eq!(kind("svc/Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(kind("api.Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(kind("Dockerfile.prod"), Some(FileKind::Dockerfile));
        assert_eq!(kind("Containerfile"), Some(FileKind::Dockerfile));
        assert_eq!(kind("deploy/app.yml"), Some(FileKind::Yaml));
        assert_eq!(kind(".env"), Some(FileKind::Env));
        assert_eq!(kind(".env.production"), Some(FileKind::Env));
        assert_eq!(kind("Cargo.toml"), Some(FileKind::CargoManifest));
        assert_eq!(kind("Cargo.lock"), Some(FileKind::CargoLock));
        assert_eq!(kind("src/main.rs"), Some(FileKind::Rust));
        assert_eq!(kind("README.md"), None);
        assert_eq!(kind("rustfmt.toml"), None);
        assert_eq!(kind("api/openapi.json"), Some(FileKind::Yaml));
        assert_eq!(kind("Swagger.JSON"), Some(FileKind::Yaml));
        assert_eq!(kind("package.json"), None);
    }
}
