use crate::diagnostic::{Label, Level, Span};
use crate::facts::images::{self, Unpinned};
use crate::rule::{Category, CodeScope, Reporter, Rule, RuleMeta};
use crate::source::compose::ComposeFile;
use crate::source::deployment::is_test_location;
use crate::source::dockerfile::{Dockerfile, ImageRef, ImageSource, Stage};
use crate::source::kubernetes::{Cluster, KubernetesFile, span, span_within};
use crate::source::yaml::Node;

pub static META: RuleMeta = RuleMeta {
    id: "unpinned-image",
    category: Category::Dependencies,
    default_level: Level::Deny,
    summary: "an image without a tag, or with `latest`, in a Dockerfile, manifest or compose file",
    docs: include_str!("../../../rules/dependencies/unpinned-image.md"),
    scope: CodeScope::All,
};

pub struct UnpinnedImage;

const NOTE: &str = "twelve-factor II: a deploy declares its dependencies exactly; an image without \
                    a tag (or with `latest`) is whatever the registry serves at pull time, so two \
                    builds or two nodes of the same release can run different software, and a \
                    rollback does not bring the old image back";

const HELP: &str = "pin a version tag (`debian:bookworm-20240701-slim`, `postgres:16.4`) or a \
                    digest (`image@sha256:…`), and let Renovate or Dependabot propose updates";

impl Rule for UnpinnedImage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_dockerfile(&self, dockerfile: &Dockerfile, out: &mut Reporter<'_>) {
        if !dockerfile.errors.is_empty() || is_test_location(&out.file().path) {
            return;
        }
        for stage in &dockerfile.stages {
            if let ImageSource::Image(image) = dockerfile.resolve_image(stage)
                && let Some(problem) = images::unpinned(&image)
            {
                report_dockerfile(
                    dockerfile,
                    out,
                    &image,
                    problem,
                    &stage.image.text,
                    Span::from(stage.image.span.clone()),
                    "FROM",
                );
            }
            report_copy_from(dockerfile, stage, out);
        }
    }

    fn check_kubernetes(&self, file: &KubernetesFile, cluster: &Cluster, out: &mut Reporter<'_>) {
        let built = tool_built_images(cluster);
        let mut reported: Vec<Span> = Vec::new();
        for object in file.all_objects() {
            let Some(workload) = object.workload() else {
                continue;
            };
            for container in workload.all_containers() {
                let Some(node) = container.image() else {
                    continue;
                };
                let Some(text) = node.as_str() else {
                    continue;
                };
                let Some(image) = images::literal_reference(text) else {
                    continue;
                };
                let Some(problem) = images::unpinned(&image) else {
                    continue;
                };
                if built.contains(&image.name) || kustomize_pins(cluster, &image) {
                    continue;
                }
                let at = yaml_span(node, text, &image, problem, &file.source.text);
                if reported.contains(&at) {
                    continue;
                }
                reported.push(at);
                let message = match problem {
                    Unpinned::NoTag => format!(
                        "{} runs `{}` without a tag or digest",
                        container.logical(),
                        image.name
                    ),
                    Unpinned::Latest => format!(
                        "{} runs `{}` with the moving `latest` tag",
                        container.logical(),
                        image.name
                    ),
                };
                out.report(&META, at, message)
                    .label(label(problem))
                    .note(format!(
                        "{NOTE}; Kubernetes also pulls an untagged or `latest` image on every pod \
                         start (`imagePullPolicy: Always`), so a restart can change the software"
                    ))
                    .help(format!(
                        "{HELP}; with kustomize, an `images:` entry with `newTag` or `digest` \
                         pins it for every manifest"
                    ));
            }
        }
    }

    fn check_compose(&self, file: &ComposeFile, out: &mut Reporter<'_>) {
        // An image merged from an anchor (`<<: *defaults`) keeps the anchor's span: each place
        // is reported once, naming every service that gets it.
        let mut found: Vec<(Span, Vec<&str>, String, ImageRef, Unpinned)> = Vec::new();
        for service in file.services() {
            // `image:` next to `build:` names the image compose builds, not one it pulls.
            if service.build().is_some() {
                continue;
            }
            let Some(node) = service.image() else {
                continue;
            };
            let Some(text) = node.as_str() else {
                continue;
            };
            let Some(image) = images::compose_interpolated(text)
                .as_deref()
                .and_then(images::literal_reference)
            else {
                continue;
            };
            let Some(problem) = images::unpinned(&image) else {
                continue;
            };
            let at = if text.contains('$') {
                span(node)
            } else {
                yaml_span(node, text, &image, problem, &file.source.text)
            };
            match found.iter_mut().find(|(known, ..)| *known == at) {
                Some((_, services, ..)) => services.push(service.name),
                None => found.push((at, vec![service.name], text.to_string(), image, problem)),
            }
        }
        for (at, services, text, image, problem) in found {
            let (place, verb) = match services.as_slice() {
                [one] => (format!("compose service {one}"), "pulls"),
                many => (format!("compose services {}", many.join(", ")), "pull"),
            };
            let shown = if text.contains('$') {
                format!("`{}` (by its variables' defaults)", images::display(&image))
            } else {
                format!("`{}`", image.name)
            };
            let message = match problem {
                Unpinned::NoTag => format!("{place} {verb} {shown} without a tag"),
                Unpinned::Latest => format!("{place} {verb} {shown} with the moving `latest` tag"),
            };
            out.report(&META, at, message)
                .label(label(problem))
                .note(format!(
                    "{NOTE}; in development, every machine runs whatever version it pulled last \
                     (a database image can even change major version under its data volume)"
                ))
                .help(format!(
                    "{HELP}; a variable with a pinned default works too: \
                     `image: postgres:${{POSTGRES_VERSION:-16.4}}`"
                ));
        }
    }
}

fn label(problem: Unpinned) -> &'static str {
    match problem {
        Unpinned::NoTag => "no tag: this means `latest`, whatever it is at pull time",
        Unpinned::Latest => "`latest` moves with every release of the image",
    }
}

/// The tag `latest` inside the value when the value is its own text, else the whole value.
fn yaml_span(node: &Node, text: &str, image: &ImageRef, problem: Unpinned, source: &str) -> Span {
    match problem {
        Unpinned::Latest => {
            let start = image.name.len() + 1;
            if text.get(start..start + "latest".len()) == Some("latest") {
                span_within(node, text, start..start + "latest".len(), source)
            } else {
                span(node)
            }
        }
        Unpinned::NoTag => span(node),
    }
}

fn report_dockerfile(
    dockerfile: &Dockerfile,
    out: &mut Reporter<'_>,
    image: &ImageRef,
    problem: Unpinned,
    raw: &str,
    at: Span,
    instruction: &str,
) {
    let resolved = images::display(image);
    let separator = if instruction == "FROM" { " " } else { "=" };
    let message = match (raw.contains('$'), problem) {
        (false, Unpinned::NoTag) => {
            format!("`{instruction}{separator}{resolved}` has no tag or digest")
        }
        (false, Unpinned::Latest) => {
            format!("`{instruction}{separator}{resolved}` follows the moving `latest` tag")
        }
        (true, Unpinned::NoTag) => format!(
            "`{instruction}{separator}{raw}` resolves to `{resolved}`, which has no tag or digest"
        ),
        (true, Unpinned::Latest) => format!(
            "`{instruction}{separator}{raw}` resolves to `{resolved}`, which follows the moving `latest` tag"
        ),
    };
    let labels = argument_labels(dockerfile, raw, out);
    let finding = out
        .report(&META, at, message)
        .label(label(problem))
        .note(NOTE)
        .help(if raw.contains('$') {
            format!("{HELP}; give the build argument a pinned default")
        } else {
            HELP.to_string()
        });
    finding.labels.extend(labels);
}

/// Labels on the global `ARG`s whose defaults an image reference uses.
fn argument_labels(dockerfile: &Dockerfile, raw: &str, out: &Reporter<'_>) -> Vec<Label> {
    if !raw.contains('$') {
        return Vec::new();
    }
    let globals = dockerfile
        .instructions
        .iter()
        .take_while(|i| i.keyword != "FROM")
        .filter(|i| i.keyword == "ARG");
    let mut labels = Vec::new();
    for instruction in globals {
        for argument in instruction.key_values() {
            let used = raw.contains(&format!("${{{}", argument.key))
                || raw
                    .match_indices(&format!("${}", argument.key))
                    .any(|(index, found)| {
                        !raw[index + found.len()..]
                            .starts_with(|c: char| c == '_' || c.is_ascii_alphanumeric())
                    });
            if let (true, Some(value)) = (used, &argument.value) {
                labels.retain(|l: &Label| {
                    l.message != format!("`{}` defaults to `{value}`", argument.key)
                });
                labels.push(Label {
                    location: out.file().location(Span::from(argument.value_span.clone())),
                    message: format!("`{}` defaults to `{value}`", argument.key),
                });
            }
        }
    }
    labels
}

/// `COPY --from=<image>` pulls an image too.
fn report_copy_from(dockerfile: &Dockerfile, stage: &Stage, out: &mut Reporter<'_>) {
    for instruction in dockerfile.stage_instructions(stage) {
        if !matches!(instruction.keyword.as_str(), "COPY" | "ADD") {
            continue;
        }
        let Some(flag) = instruction.flag("from") else {
            continue;
        };
        let Some(reference) = flag.value.as_deref() else {
            continue;
        };
        if let ImageSource::Image(image) = dockerfile.resolve_from(stage, reference)
            && let Some(problem) = images::unpinned(&image)
        {
            report_dockerfile(
                dockerfile,
                out,
                &image,
                problem,
                reference,
                Span::from(flag.span.clone()),
                "COPY --from",
            );
        }
    }
}

/// Images a deploy tool builds and substitutes with a tag and digest at deploy time: the
/// `build.artifacts` (and profiles' artifacts) of a `skaffold.yaml`.
fn tool_built_images(cluster: &Cluster) -> Vec<String> {
    let mut names = Vec::new();
    for object in cluster.objects() {
        if !(object.api_version().starts_with("skaffold/") && object.is("Config")) {
            continue;
        }
        let builds = std::iter::once(object.node.get("build")).chain(
            object
                .node
                .get("profiles")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .map(|profile| profile.get("build")),
        );
        for build in builds.flatten() {
            for artifact in build
                .get("artifacts")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                if let Some(image) = artifact.get("image").and_then(Node::as_str) {
                    names.push(image.to_string());
                }
            }
        }
    }
    names
}

/// A kustomization `images:` entry for this image that sets a tag other than `latest`, or a
/// digest: kustomize rewrites the reference when it renders the manifests.
fn kustomize_pins(cluster: &Cluster, image: &ImageRef) -> bool {
    cluster.image_overrides().iter().any(|entry| {
        entry.name == image.name
            && (entry.digest.is_some() || entry.new_tag.as_deref().is_some_and(|t| t != "latest"))
    })
}
