//! The code's side of an OpenAPI contract: which crates generate the document from the code,
//! which routes serve the service's operation rather than its API, and how a documented path
//! template lines up with a route's path (`/orders/{id}` and `/orders/:id`, behind a base
//! path).

use std::path::Path;

use crate::facts::routes::{is_health_path, is_parameter, join, segments};
use crate::source::manifest::DependencyKind;
use crate::workspace::Package;

/// Crates that generate an OpenAPI document from the code (annotations, typed routers). A
/// committed document is then their output: a route it lacks was left out on purpose.
const GENERATOR_CRATES: &[&str] = &[
    "utoipa",
    "utoipa_axum",
    "utoipa_actix_web",
    "aide",
    "poem_openapi",
    "okapi",
    "rocket_okapi",
    "paperclip",
    "apistos",
    "salvo_oapi",
    "oasgen",
    "dropshot",
];

/// Crates whose routers serve the paths of `#[utoipa::path]` annotations
/// (`OpenApiRouter::routes(routes!(handler))`): there the annotations are the routes.
const ANNOTATION_ROUTERS: &[&str] = &["utoipa_axum", "utoipa_actix_web"];

/// Whether the package generates an OpenAPI document from its code.
pub fn generates_openapi(package: &Package) -> bool {
    depends_on(package, GENERATOR_CRATES)
}

/// Whether the package routes requests by its `#[utoipa::path]` annotations.
pub fn routes_from_annotations(package: &Package) -> bool {
    depends_on(package, ANNOTATION_ROUTERS)
}

fn depends_on(package: &Package, crates: &[&str]) -> bool {
    package.declared.iter().any(|dependency| {
        dependency.kind == DependencyKind::Normal
            && crates.contains(&dependency.name.replace('-', "_").as_str())
    })
}

/// Whether a document is an archived copy of an earlier version of the API: it sits in a
/// directory named for a release (`docs/redoc/v1.2.3/`, `api/1.13.x/`) or for an archive
/// (`archive/`, `old/`, `legacy/`, `previous/`). Such a document describes what was served.
pub fn is_archived(path: &Path) -> bool {
    let Some(directory) = path.parent() else {
        return false;
    };
    directory.components().any(|component| {
        let name = component.as_os_str().to_string_lossy().to_ascii_lowercase();
        let release = name.strip_prefix('v').unwrap_or(&name);
        let parts: Vec<&str> = release.split('.').collect();
        let is_release = parts.len() >= 2
            && parts.iter().enumerate().all(|(index, part)| {
                !part.is_empty()
                    && (part.chars().all(|c| c.is_ascii_digit()) || index >= 1 && *part == "x")
            });
        is_release
            || matches!(
                name.as_str(),
                "archive" | "archived" | "old" | "legacy" | "previous"
            )
    })
}

/// First segments of areas kept out of a public contract on purpose.
const PRIVATE_AREAS: &[&str] = &["internal", "admin", "debug", "private"];

/// Segments of routes that serve the API's documentation or the service's operation.
const OPERATIONAL_SEGMENTS: &[&str] = &[
    "metrics",
    "prometheus",
    "docs",
    "redoc",
    "rapidoc",
    "scalar",
    "api-docs",
    "api-doc",
    "favicon.ico",
    "robots.txt",
    "debugger",
    "stacktrace",
    "profiler",
    "pprof",
    "logger",
    "log-level",
    "log_level",
    "loglevel",
];

/// Whether a route serves the service's operation rather than its API: the root, health
/// checks and probes, metrics, the API's documentation (`/docs`, `/swagger-ui`,
/// `/openapi.json`), and private areas (`/internal/…`, `/admin/…`, `/debug/…`, `/_…`).
pub fn is_operational_path(path: &str) -> bool {
    let parts: Vec<String> = segments(path)
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let Some(first) = parts.first() else {
        return true;
    };
    is_health_path(path)
        || PRIVATE_AREAS.contains(&first.as_str())
        || first.starts_with('_')
        || parts.iter().any(|segment| {
            OPERATIONAL_SEGMENTS.contains(&segment.as_str())
                || segment.contains("openapi")
                || segment.contains("swagger")
        })
}

/// A segment that stands for any value: `{id}`, `:id`, `<id>`, `*rest`, `{*rest}`, and
/// OpenAPI's partial templates (`{name}.json`).
pub fn is_variable(segment: &str) -> bool {
    is_parameter(segment) || segment.starts_with('*') || segment.contains('{')
}

/// Whether two path segments can name the same thing.
pub fn same_segment(a: &str, b: &str) -> bool {
    a == b || is_variable(a) || is_variable(b)
}

/// Whether a route's path and a documented template name the same requests, whatever the
/// spelling of their parameters and trailing slashes: `/orders/:id` and `/orders/{id}/`.
pub fn same_template(route: &str, template: &str) -> bool {
    let (route, template) = (segments(route), segments(template));
    route.len() == template.len() && route.iter().zip(&template).all(|(a, b)| same_segment(a, b))
}

/// The prefix a route puts in front of a documented template: `/api/v1` for the route
/// `/api/v1/orders/:id` and the template `/orders/{id}`. `None` when the route does not end
/// with the template segment for segment (a parameter only for a parameter: the route
/// `/shipments/:id` does not end with `/quotes`), or is the template itself.
pub fn prefix_before(route: &str, template: &str) -> Option<String> {
    let (route, template) = (segments(route), segments(template));
    let head = route.len().checked_sub(template.len()).filter(|&n| n > 0)?;
    route[head..]
        .iter()
        .zip(&template)
        .all(|(a, b)| a == b || is_variable(a) && is_variable(b))
        .then(|| join(&route[..head]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_line_up_whatever_their_spelling() {
        assert!(same_template("/orders/:id", "/orders/{id}"));
        assert!(same_template("/orders/{order_id}/", "/orders/{id}"));
        assert!(same_template("/files/*rest", "/files/{path}"));
        assert!(same_template("/files/{*rest}", "/files/{name}.json"));
        assert!(!same_template("/orders/:id/cancel", "/orders/{id}"));
        assert!(!same_template("/orders/latest", "/orders/search"));
        assert_eq!(
            prefix_before("/api/v1/orders/:id", "/orders/{id}").as_deref(),
            Some("/api/v1")
        );
        assert_eq!(prefix_before("/orders/:id", "/orders/{id}"), None);
        assert_eq!(prefix_before("/api/items", "/orders"), None);
        assert_eq!(prefix_before("/shipments/:id", "/quotes"), None);
    }

    #[test]
    fn archived_documents() {
        for path in [
            "docs/redoc/v0.4.2/openapi.json",
            "docs/redoc/v1.13.x/openapi.json",
            "api/2.1/openapi.yaml",
            "docs/archive/openapi.yaml",
        ] {
            assert!(is_archived(Path::new(path)), "{path}");
        }
        for path in [
            "docs/redoc/master/openapi.json",
            "api/v1/openapi.yaml",
            "openapi.yaml",
            "v1.x.y/openapi.yaml",
        ] {
            assert!(!is_archived(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn operational_paths() {
        for path in [
            "/",
            "/healthz",
            "/metrics",
            "/docs",
            "/api/v1/openapi.json",
            "/swagger-ui/{*rest}",
            "/internal/cache/flush",
            "/_status",
        ] {
            assert!(is_operational_path(path), "{path}");
        }
        for path in [
            "/orders",
            "/api/v1/orders/{id}",
            "/documents",
            "/administrators",
        ] {
            assert!(!is_operational_path(path), "{path}");
        }
    }
}
