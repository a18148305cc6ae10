//! The OpenAPI view of a YAML or JSON file: the paths and operations it documents, and the
//! base paths its servers put in front of them, each with its position.
//!
//! OpenAPI 3 (`openapi: 3.x`, `servers[].url`) and Swagger 2 (`swagger: "2.0"`, `basePath`).
//! JSON documents are loaded by the YAML loader (JSON is YAML 1.2). Like the Kubernetes view,
//! the reading is forgiving: a field of the wrong type reads as absent.

use std::sync::Arc;

use crate::diagnostic::Span;
use crate::source::SourceFile;
use crate::source::kubernetes::span;
use crate::source::yaml::Node;

/// The operations of a path item, as OpenAPI spells them.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An OpenAPI (or Swagger) document.
#[derive(Debug)]
pub struct OpenApiDocument {
    pub source: Arc<SourceFile>,
    /// The `paths` key.
    pub paths_key: Option<Span>,
    pub paths: Vec<PathItem>,
    /// The path parts of `servers[].url` (OpenAPI 3) or `basePath` (Swagger 2) that the
    /// document states: `/api/v1` for `https://api.example.com/api/v1`. Servers whose path
    /// cannot be known (a variable without a default) are left out.
    pub base_paths: Vec<String>,
}

/// One entry of `paths`.
#[derive(Debug)]
pub struct PathItem {
    /// `/orders/{id}`, as written.
    pub template: String,
    /// The path's key.
    pub span: Span,
    /// The operations and their keys; `None` when the item is a `$ref` whose operations are
    /// elsewhere.
    pub operations: Option<Vec<(&'static str, Span)>>,
    /// The item or one of its operations names its own `servers`, so the document's base
    /// paths do not apply to it.
    pub own_servers: bool,
}

impl OpenApiDocument {
    /// The document among a file's documents, when the first has a top-level `openapi` or
    /// `swagger` version.
    pub fn new(source: Arc<SourceFile>, documents: &[Node]) -> Option<OpenApiDocument> {
        let root = documents.first()?;
        let version = root.get("openapi").or_else(|| root.get("swagger"))?;
        if version.as_map().is_some() || version.as_seq().is_some() || version.is_null() {
            return None;
        }
        let paths_entry = root.get_entry("paths");
        let paths = paths_entry
            .and_then(|(_, value)| value.as_map())
            .unwrap_or_default()
            .iter()
            .filter_map(|(key, item)| {
                let template = key.as_str()?;
                template
                    .starts_with('/')
                    .then(|| path_item(template, key, item))
            })
            .collect();
        let mut base_paths = Vec::new();
        if let Some(base) = root.get("basePath").and_then(Node::as_str) {
            base_paths.push(trim_base(base));
        }
        for server in root
            .get("servers")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            if let Some(base) = server_base_path(server) {
                base_paths.push(base);
            }
        }
        base_paths.sort();
        base_paths.dedup();
        Some(OpenApiDocument {
            source,
            paths_key: paths_entry.map(|(key, _)| span(key)),
            paths,
            base_paths,
        })
    }
}

fn path_item(template: &str, key: &Node, item: &Node) -> PathItem {
    let operations = if item.get("$ref").is_some() {
        None
    } else {
        Some(
            item.as_map()
                .unwrap_or_default()
                .iter()
                .filter_map(|(method, _)| {
                    let name = method.as_str()?.to_ascii_lowercase();
                    let method_name = METHODS.iter().find(|m| **m == name)?;
                    Some((*method_name, span(method)))
                })
                .collect(),
        )
    };
    let own_servers = item.get("servers").is_some()
        || METHODS
            .iter()
            .filter_map(|method| item.get(method))
            .any(|operation| operation.get("servers").is_some());
    PathItem {
        template: template.to_string(),
        span: span(key),
        operations,
        own_servers,
    }
}

/// The path part of a server's URL, its variables replaced by their defaults:
/// `https://{host}/api/{version}` with `version: {default: v2}` → `/api/v2`. `None` when a
/// variable of the path has no default, or the URL is relative to the document's own
/// location (`v1`, `.`).
fn server_base_path(server: &Node) -> Option<String> {
    let url = server.get("url")?.as_str()?;
    let after_scheme = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |index| &rest[index..]),
        None if url.starts_with('/') => url,
        None if url.is_empty() => "",
        None => return None,
    };
    let path = after_scheme.split(['?', '#']).next().unwrap_or_default();
    let mut resolved = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}')?;
        let name = &rest[open + 1..close];
        let default = server
            .get("variables")?
            .get(name)?
            .get("default")?
            .as_str()?;
        resolved.push_str(&rest[..open]);
        resolved.push_str(default);
        rest = &rest[close + 1..];
    }
    resolved.push_str(rest);
    Some(trim_base(&resolved))
}

/// `/api/v1/` → `/api/v1`; `/` → ``.
fn trim_base(base: &str) -> String {
    let trimmed = base.trim().trim_end_matches('/');
    if trimmed.is_empty() || trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    }
}

/// A JSON file name that an OpenAPI document goes by: `openapi.json`, `swagger.json`,
/// `orders-openapi.v1.json`. Other JSON files are not read.
pub fn is_document_json_name(lowercase_name: &str) -> bool {
    lowercase_name.ends_with(".json")
        && (lowercase_name.contains("openapi") || lowercase_name.contains("swagger"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileKind, yaml};
    use std::path::PathBuf;

    fn document(name: &str, text: &str) -> Option<OpenApiDocument> {
        let source = Arc::new(SourceFile::new(
            Arc::new(PathBuf::from(name)),
            PathBuf::from("/ws").join(name),
            FileKind::Yaml,
            text.to_string(),
        ));
        let loaded = yaml::load_json(&source.text);
        OpenApiDocument::new(source, &loaded.documents)
    }

    #[test]
    fn reads_paths_operations_and_base_paths() {
        let text = "openapi: 3.0.3\nservers:\n  - url: https://api.example.com/shop/v1/\n  - url: /internal\n  - url: 'https://{host}/{base}'\n    variables: {base: {default: v2}}\n  - url: 'https://{host}/{unknown}'\n  - url: v3\npaths:\n  /orders:\n    get: {}\n    Post: {}\n    parameters: []\n  /orders/{id}:\n    $ref: '#/components/pathItems/order'\n  /legacy:\n    servers: [{url: /old}]\n    get: {}\n  x-extension: {}\n";
        let doc = document("openapi.yaml", text).unwrap();
        assert_eq!(doc.base_paths, ["/internal", "/shop/v1", "/v2"]);
        let templates: Vec<&str> = doc.paths.iter().map(|p| p.template.as_str()).collect();
        assert_eq!(templates, ["/orders", "/orders/{id}", "/legacy"]);
        let orders = &doc.paths[0];
        let methods: Vec<&str> = orders
            .operations
            .as_ref()
            .unwrap()
            .iter()
            .map(|(m, _)| *m)
            .collect();
        assert_eq!(methods, ["get", "post"]);
        let (_, post) = orders.operations.as_ref().unwrap()[1];
        assert_eq!(&text[post.start..post.end], "Post");
        assert_eq!(&text[orders.span.start..orders.span.end], "/orders");
        assert!(doc.paths[1].operations.is_none());
        assert!(doc.paths[2].own_servers && !orders.own_servers);
        let paths_key = doc.paths_key.unwrap();
        assert_eq!(&text[paths_key.start..paths_key.end], "paths");
    }

    #[test]
    fn swagger_two_and_json() {
        let text = "{\n  \"swagger\": \"2.0\",\n  \"basePath\": \"/api/\",\n  \"info\": {\"title\": \"\\ud83d\\ude00\"},\n  \"paths\": {\"/pets\": {\"get\": {}}}\n}\n";
        let doc = document("swagger.json", text).unwrap();
        assert_eq!(doc.base_paths, ["/api"]);
        assert_eq!(
            &text[doc.paths[0].span.start..doc.paths[0].span.end],
            "\"/pets\""
        );
        assert!(document("values.yaml", "image: x\npaths: {}\n").is_none());
        assert!(document("schema.yaml", "openapi: {a: b}\n").is_none());
        assert!(is_document_json_name("orders-openapi.v1.json"));
        assert!(!is_document_json_name("package.json"));
    }
}
