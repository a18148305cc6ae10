//! The documents the editor has open: their text (full sync), version and file path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::Uri;

use super::convert;

pub struct Document {
    pub text: String,
    pub version: i32,
    /// The file's absolute path with symbolic links resolved; `None` for a URI that is not a
    /// local file (an unsaved buffer, a diff view).
    pub path: Option<PathBuf>,
}

#[derive(Default)]
pub struct Documents {
    open: HashMap<Uri, Document>,
}

impl Documents {
    pub fn open(&mut self, uri: Uri, version: i32, text: String) {
        let path = convert::uri_to_path(&uri).map(|path| canonical(&path));
        self.open.insert(
            uri,
            Document {
                text,
                version,
                path,
            },
        );
    }

    /// Replaces the text of an open document; `false` when it is not open.
    pub fn change(&mut self, uri: &Uri, version: i32, text: String) -> bool {
        match self.open.get_mut(uri) {
            Some(document) => {
                document.text = text;
                document.version = version;
                true
            }
            None => false,
        }
    }

    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.open.remove(uri)
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.open.get(uri)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Uri, &Document)> {
        self.open.iter()
    }
}

/// The path with symbolic links resolved, as the workspace root is; for a file that does not
/// exist (yet), its directory's.
pub fn canonical(path: &Path) -> PathBuf {
    if let Ok(path) = std::fs::canonicalize(path) {
        return path;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => canonical(parent).join(name),
        _ => path.to_path_buf(),
    }
}
