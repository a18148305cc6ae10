//! What an image reference says about what runs: whether it pins one image or follows a moving
//! tag, and which user the image starts its process as when nothing else says so.
//!
//! Image references come from Dockerfile `FROM`/`COPY --from=`, Kubernetes `image:` and compose
//! `image:`. References built by tools at deploy time (Helm and envsubst templates, `ko://`
//! import paths) are not judged: what they become is not in the file.

use crate::facts::docker;
use crate::source::dockerfile::{ImageRef, ImageSource};

/// Why an image reference does not pin an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unpinned {
    /// No tag and no digest: Docker pulls `:latest`.
    NoTag,
    /// The `latest` tag, without a digest.
    Latest,
}

/// Whether `image` follows a moving reference. A digest always pins, whatever the tag says
/// (`app:latest@sha256:…` is the image with that digest); any tag other than `latest` is taken
/// as a choice the team made (`1.82-slim`, `bookworm`, `nonroot`).
pub fn unpinned(image: &ImageRef) -> Option<Unpinned> {
    if image.digest.is_some() {
        return None;
    }
    match image.tag.as_deref() {
        None => Some(Unpinned::NoTag),
        Some("latest") => Some(Unpinned::Latest),
        Some(_) => None,
    }
}

/// An image reference written in a manifest or compose file, when it names an image as written:
/// not when it is built at deploy time (`ko://…`), a template (`{{ .Values.image }}`, `$IMAGE`,
/// `${TAG}`), a placeholder a script replaces (`IMAGE`, `REGISTRY/app`: repository names are
/// lowercase, so these cannot be pulled as written), or empty.
pub fn literal_reference(text: &str) -> Option<ImageRef> {
    let text = text.trim();
    if text.is_empty()
        || text.contains("://")
        || text.contains(['$', '{', '}', '<', '>', ' '])
        || text.ends_with(':')
        || text.ends_with('@')
    {
        return None;
    }
    let image = ImageRef::parse(text);
    if image.repository().chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Some(image)
}

/// A compose value with its variables interpolated from their defaults (`${TAG:-1.4}`,
/// `${TAG-1.4}`); `None` when a variable has no default (`${TAG}`, `$TAG`, `${TAG:?…}`): its
/// value comes from the environment of whoever runs compose.
pub fn compose_interpolated(text: &str) -> Option<String> {
    if !text.contains('$') {
        return Some(text.to_string());
    }
    if text.contains("$$") {
        return None;
    }
    crate::source::dockerfile::substitute(text, &|_| None)
}

/// The image as users write it, digest included: `rust:1.82-slim`, `app@sha256:…`.
pub fn display(image: &ImageRef) -> String {
    let mut text = docker::display(image);
    if let Some(digest) = &image.digest {
        text.push('@');
        text.push_str(digest);
    }
    text
}

/// The repository's last path segment: `orders-api` for `ghcr.io/acme/orders-api:1.2`.
pub fn last_segment(image: &ImageRef) -> &str {
    image.name.rsplit('/').next().unwrap_or(&image.name)
}

/// Why an image starts its process as a non-root user when neither the Dockerfile (`USER`) nor
/// the manifest (`runAsUser`) says otherwise; `None` when it starts as root or that is not
/// known (Docker's default is root).
///
/// - distroless `:nonroot` tags (`gcr.io/distroless/cc-debian12:nonroot`, `:debug-nonroot`);
/// - Chainguard images (`cgr.dev/chainguard/*`), except `wolfi-base` and the `-dev` tags, which
///   start as root;
/// - Bitnami application images (`bitnami/*`, not `bitnami/minideb`), which run as 1001.
pub fn non_root_by_default(source: &ImageSource) -> Option<String> {
    let ImageSource::Image(image) = source else {
        return None;
    };
    let tag = image.tag.as_deref().unwrap_or("").to_ascii_lowercase();
    let repository = image.repository();
    let registry = image.registry.as_deref().unwrap_or("docker.io");
    let distroless = registry.ends_with("gcr.io")
        && repository.starts_with("distroless/")
        && tag.contains("nonroot");
    if distroless {
        return Some(format!(
            "`{}` runs as `nonroot` (65532)",
            docker::display(image)
        ));
    }
    let chainguard = registry == "cgr.dev"
        && repository.starts_with("chainguard/")
        && repository != "chainguard/wolfi-base"
        && !tag.contains("dev");
    if chainguard {
        return Some(format!(
            "Chainguard's `{}` runs as a non-root user",
            docker::display(image)
        ));
    }
    let repository = repository.strip_prefix("library/").unwrap_or(repository);
    let bitnami = matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    ) && repository.starts_with("bitnami/")
        && repository != "bitnami/minideb";
    bitnami.then(|| format!("Bitnami's `{}` runs as user 1001", docker::display(image)))
}

/// Whether a `USER` value names root: `root`, `0`, with any group (`0:0`, `root:root`).
pub fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || (!name.is_empty() && name.bytes().all(|b| b == b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(text: &str) -> ImageRef {
        ImageRef::parse(text)
    }

    #[test]
    fn digests_and_tags_pin_latest_and_nothing_do_not() {
        assert_eq!(unpinned(&image("debian")), Some(Unpinned::NoTag));
        assert_eq!(unpinned(&image("debian:latest")), Some(Unpinned::Latest));
        assert_eq!(
            unpinned(&image("localhost:5000/app")),
            Some(Unpinned::NoTag)
        );
        assert_eq!(unpinned(&image("debian:bookworm-slim")), None);
        assert_eq!(unpinned(&image("app:latest@sha256:abc")), None);
        assert_eq!(unpinned(&image("ghcr.io/acme/app@sha256:abc")), None);
        assert_eq!(unpinned(&image("localhost:5000/app:1.2")), None);
    }

    #[test]
    fn templates_are_not_literal_references() {
        for text in [
            "{{ .Values.image }}",
            "${IMAGE}",
            "app:$TAG",
            "ko://github.com/acme/app",
            "",
            "app:",
            "IMAGE",
            "gcr.io/PROJECT_ID/app",
        ] {
            assert!(literal_reference(text).is_none(), "{text}");
        }
        assert!(literal_reference("ghcr.io/acme/app:1.0").is_some());
    }

    #[test]
    fn compose_defaults_are_interpolated() {
        assert_eq!(
            compose_interpolated("postgres:${PG:-16}").as_deref(),
            Some("postgres:16")
        );
        assert_eq!(
            compose_interpolated("app:${TAG-latest}").as_deref(),
            Some("app:latest")
        );
        assert_eq!(compose_interpolated("app:${TAG}"), None);
        assert_eq!(compose_interpolated("app:${TAG:?set TAG}"), None);
        assert_eq!(compose_interpolated("redis:7").as_deref(), Some("redis:7"));
    }

    #[test]
    fn knows_images_that_run_as_non_root() {
        let of = |text: &str| non_root_by_default(&ImageSource::Image(image(text)));
        assert!(of("gcr.io/distroless/cc-debian12:nonroot").is_some());
        assert!(of("gcr.io/distroless/static:debug-nonroot").is_some());
        assert!(of("cgr.dev/chainguard/static:latest").is_some());
        assert!(of("bitnami/redis:7.2").is_some());
        assert!(of("gcr.io/distroless/cc-debian12").is_none());
        assert!(of("cgr.dev/chainguard/wolfi-base").is_none());
        assert!(of("cgr.dev/chainguard/python:latest-dev").is_none());
        assert!(of("debian:bookworm-slim").is_none());
        assert!(non_root_by_default(&ImageSource::Scratch).is_none());
    }

    #[test]
    fn root_users() {
        for user in ["root", "0", "0:0", "root:root", "000"] {
            assert!(is_root_user(user), "{user}");
        }
        for user in ["nonroot", "10001", "app:app", "1000:0", ""] {
            assert!(!is_root_user(user), "{user}");
        }
    }
}
