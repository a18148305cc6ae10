use std::sync::Arc;

use crate::diagnostic::{Label, Level, Span};
use crate::facts::image_links::{self, ImageNames};
use crate::facts::{docker, images, start_commands};
use crate::rule::{Category, CodeScope, Rule, RuleMeta, WorkspaceContext, WorkspaceReporter};
use crate::source::SourceFile;
use crate::source::dockerfile::{Args, Dockerfile, ImageSource, Stage};
use crate::source::kubernetes::{Cluster, Container, KubernetesFile, Object, WorkloadKind, span};
use crate::source::yaml::Node;

pub static META: RuleMeta = RuleMeta {
    id: "container-runs-as-root",
    category: Category::Security,
    default_level: Level::Warn,
    summary: "a container runs as root: no non-root `USER` in the image and no `runAsNonRoot`/`runAsUser` in the workload, or `privileged: true`",
    docs: include_str!("../../../rules/security/container-runs-as-root.md"),
    scope: CodeScope::All,
};

pub struct ContainerRunsAsRoot;

const NOTE: &str = "microservices: hardened containers; a process running as root inside the \
                    container is root on the node's kernel: one remote-code-execution bug plus \
                    one container escape, or one writable host mount, and the node is the \
                    attacker's";

const DOCKERFILE_HELP: &str = "switch to an unprivileged user in the final stage: `RUN useradd \
                               --system --uid 10001 app` then `USER 10001` (in `scratch` or \
                               distroless, `USER 65532:65532` or a `:nonroot` tag), or set \
                               `runAsNonRoot: true` and `runAsUser` in the Kubernetes workload \
                               that runs the image";

const MANIFEST_HELP: &str = "set `securityContext: {runAsNonRoot: true, runAsUser: 10001}` on the \
                             pod or the container (and `USER 10001` in the image's Dockerfile)";

impl Rule for ContainerRunsAsRoot {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_workspace(&self, cx: &WorkspaceContext<'_>, out: &mut WorkspaceReporter) {
        let compose: Vec<&crate::source::compose::ComposeFile> = cx
            .deployment
            .compose_files()
            .iter()
            .map(Arc::as_ref)
            .collect();
        let images: Vec<ShippedImage<'_>> = cx
            .dockerfiles
            .iter()
            .filter_map(|(source, dockerfile)| ShippedImage::judge(source, dockerfile, &compose))
            .collect();
        let cluster = &cx.deployment.cluster;
        let mut linked = vec![false; images.len()];
        for file in cluster.files() {
            check_privileged(file, out);
            for object in file.objects() {
                let Some(workload) = object.workload() else {
                    continue;
                };
                for container in workload.all_containers() {
                    if container.init && !container.is_sidecar() {
                        continue;
                    }
                    let image = container
                        .image()
                        .and_then(Node::as_str)
                        .and_then(images::literal_reference);
                    let links = dockerfiles_of(cx, &container, image.as_ref(), &images);
                    for (index, _) in &links {
                        linked[*index] = true;
                    }
                    check_container(
                        file, cluster, &object, &container, image, &links, &images, out,
                    );
                }
            }
        }
        for (shipped, linked) in images.iter().zip(linked) {
            // A Dockerfile whose image a workload runs is judged there, with both in view.
            if linked {
                continue;
            }
            if let Verdict::Root {
                anchor,
                message,
                label,
            } = &shipped.verdict
            {
                out.report(&META, shipped.source, *anchor, message.clone())
                    .label(label.clone())
                    .note(NOTE)
                    .help(DOCKERFILE_HELP);
            }
        }
    }
}

/// What user a Dockerfile's shipping stage runs its process as.
enum Verdict {
    NonRoot,
    Root {
        anchor: Span,
        message: String,
        label: String,
    },
}

/// A Dockerfile that builds an image to ship, with its verdict and the names its image may
/// carry.
struct ShippedImage<'a> {
    source: &'a SourceFile,
    verdict: Verdict,
    names: ImageNames,
}

impl<'a> ShippedImage<'a> {
    fn judge(
        source: &'a Arc<SourceFile>,
        dockerfile: &Dockerfile,
        compose: &[&crate::source::compose::ComposeFile],
    ) -> Option<ShippedImage<'a>> {
        if !dockerfile.errors.is_empty() || start_commands::is_development_dockerfile(&source.path)
        {
            return None;
        }
        let stage = docker::shipping_stage(dockerfile)?;
        let chain = docker::stage_chain(dockerfile, stage);
        let user = docker::chain_instructions(dockerfile, &chain)
            .into_iter()
            .rev()
            .find_map(|(index, instruction)| Some((index, instruction.user()?, instruction)));
        let base = docker::base_image(dockerfile, stage);
        let verdict = match user {
            Some((index, user, instruction)) => {
                let written = match &instruction.args {
                    Args::Shell(text) => text.text.trim().to_string(),
                    Args::Exec(_) => user.user.text.clone(),
                };
                let unquoted = written.trim_matches(|c| c == '"' || c == '\'');
                let resolved = if unquoted.contains('$') {
                    start_commands::expand_at(dockerfile, stage, index, unquoted)
                } else {
                    Some(unquoted.to_string())
                };
                match resolved {
                    Some(name) if images::is_root_user(&name) => Verdict::Root {
                        anchor: Span::from(user.user.span.clone()),
                        message: if name == unquoted {
                            format!(
                                "the final stage switches to `USER {written}`: the container runs as root"
                            )
                        } else {
                            format!(
                                "the final stage's `USER {written}` is `{name}` with the build arguments' defaults: the container runs as root"
                            )
                        },
                        label: "the last `USER` of the image".to_string(),
                    },
                    // A user this file cannot resolve is taken at its word.
                    _ => Verdict::NonRoot,
                }
            }
            None if images::non_root_by_default(&base).is_some() => Verdict::NonRoot,
            None => {
                let image = match &base {
                    ImageSource::Scratch => "scratch".to_string(),
                    ImageSource::Image(image) => docker::display(image),
                    ImageSource::Unresolved(raw) => raw.clone(),
                    ImageSource::Stage(_) => stage.image.text.clone(),
                };
                if matches!(base, ImageSource::Unresolved(_)) {
                    // `FROM $BASE` without a default: the base may set a user.
                    Verdict::NonRoot
                } else {
                    Verdict::Root {
                        anchor: Span::from(stage.image.span.clone()),
                        message: format!(
                            "the final stage sets no `USER`: the container runs as root (`{image}` starts as root)"
                        ),
                        label: "no `USER` in the stage that ships or the stages it builds on"
                            .to_string(),
                    }
                }
            }
        };
        // An entry point that drops privileges (the convention of the official postgres and
        // redis images) starts as root but runs the service as another user.
        let verdict = if drops_privileges(dockerfile, &chain) {
            Verdict::NonRoot
        } else {
            verdict
        };
        Some(ShippedImage {
            source,
            verdict,
            names: image_links::image_names(&source.path, dockerfile, compose),
        })
    }
}

/// The Dockerfiles (indices into `images`) that build what `container` runs, each with the
/// evidence: the service model's links (a binary of the workspace, `[[services]]` entries),
/// then the names a Dockerfile gives its image (directory, file name, compose `image:`), which
/// also link images of services written in other languages.
fn dockerfiles_of<'m>(
    cx: &'m WorkspaceContext<'_>,
    container: &Container<'_>,
    image: Option<&crate::source::dockerfile::ImageRef>,
    images: &'m [ShippedImage<'_>],
) -> Vec<(usize, &'m str)> {
    let mut found: Vec<(usize, &'m str)> = Vec::new();
    for service in &cx.model().services {
        if !service
            .containers
            .iter()
            .any(|linked| std::ptr::eq(linked.node, container.node))
        {
            continue;
        }
        for built in &service.dockerfiles {
            if let Some(index) = images
                .iter()
                .position(|shipped| shipped.source.path == built.source.path)
                && !found.iter().any(|(known, _)| *known == index)
            {
                found.push((index, built.reason.as_str()));
            }
        }
    }
    if let Some(image) = image {
        for (index, shipped) in images.iter().enumerate() {
            if let Some(why) = shipped.names.matches(image)
                && !found.iter().any(|(known, _)| *known == index)
            {
                found.push((index, why));
            }
        }
    }
    found
}

/// Tools an entry-point script uses to switch from root to the service's user.
const PRIVILEGE_DROPPERS: &[&str] = &["gosu", "su-exec", "setpriv"];

/// Whether the image that ships brings a privilege-dropping tool (installed by a `RUN`, or
/// copied in) for its entry point to start the service as another user.
fn drops_privileges(dockerfile: &Dockerfile, chain: &[&Stage]) -> bool {
    docker::chain_instructions(dockerfile, chain)
        .into_iter()
        .any(|(_, instruction)| {
            let words: Vec<String> = match instruction.keyword.as_str() {
                "RUN" => docker::run_commands(instruction)
                    .into_iter()
                    .flatten()
                    .map(|word| word.text)
                    .collect(),
                "COPY" | "ADD" => instruction
                    .copy_args()
                    .map(|copy| {
                        copy.sources
                            .into_iter()
                            .chain(std::iter::once(copy.dest))
                            .map(|word| word.text)
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            words.iter().any(|word| {
                PRIVILEGE_DROPPERS.contains(&docker::basename(word))
                    || PRIVILEGE_DROPPERS.iter().any(|tool| {
                        word.ends_with(&format!("/{tool}")) || word.contains(&format!("/{tool}-"))
                    })
            })
        })
}

/// `privileged: true` on any container, kustomize patches included.
fn check_privileged(file: &KubernetesFile, out: &mut WorkspaceReporter) {
    let mut reported: Vec<Span> = Vec::new();
    for object in file.all_objects() {
        let Some(workload) = object.workload() else {
            continue;
        };
        for container in workload.all_containers() {
            let Some(value) = container
                .security_context()
                .and_then(|sc| sc.get("privileged"))
                .filter(|v| v.as_bool() == Some(true))
            else {
                continue;
            };
            let at = span(value);
            if reported.contains(&at) {
                continue;
            }
            reported.push(at);
            out.report(
                &META,
                &file.source,
                at,
                format!("{} runs privileged", container.logical()),
            )
            .label("root on the node: every device, every capability, no isolation")
            .note(NOTE)
            .help(
                "remove `privileged: true`; add only the capability the process needs \
                 (`capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}`), or move node setup \
                 (sysctls, kernel modules) to the node's own configuration",
            );
        }
    }
}

/// What a container's security contexts say about its user.
enum RunAs<'a> {
    /// `runAsNonRoot: true` or a non-zero `runAsUser` (or a JSON patch sets a security
    /// context this rule cannot read).
    NonRoot,
    /// `runAsUser: 0`.
    Root(&'a Node),
    Unset,
}

#[allow(clippy::too_many_arguments)]
fn check_container(
    file: &KubernetesFile,
    cluster: &Cluster,
    object: &Object<'_>,
    container: &Container<'_>,
    image: Option<crate::source::dockerfile::ImageRef>,
    links: &[(usize, &str)],
    images_built: &[ShippedImage<'_>],
    out: &mut WorkspaceReporter,
) {
    match run_as(cluster, object, container) {
        RunAs::NonRoot => {}
        RunAs::Root(node) => {
            out.report(
                &META,
                &file.source,
                span(node),
                format!("{} runs as root (`runAsUser: 0`)", container.logical()),
            )
            .label("user 0 is root")
            .note(NOTE)
            .help(MANIFEST_HELP);
        }
        RunAs::Unset => {
            let Some(image) = image else {
                return;
            };
            if images::non_root_by_default(&ImageSource::Image(image.clone())).is_some() {
                return;
            }
            let root_images: Vec<&(usize, &str)> = links
                .iter()
                .filter(|(index, _)| matches!(images_built[*index].verdict, Verdict::Root { .. }))
                .collect();
            // One linked Dockerfile that sets a non-root user is enough.
            if !links.is_empty() && root_images.len() < links.len() {
                return;
            }
            let shown = images::display(&image);
            let message = if links.is_empty() {
                format!(
                    "{} sets no non-root user (`runAsNonRoot`, `runAsUser`): it starts as whatever user `{shown}` defaults to, root for most images",
                    container.logical()
                )
            } else {
                format!(
                    "{} runs as root: neither its `securityContext` nor its image's Dockerfile sets a non-root user",
                    container.logical()
                )
            };
            let finding = out
                .report(&META, &file.source, span(container.anchor()), message)
                .label("no non-root user for this container")
                .note(NOTE)
                .help(MANIFEST_HELP);
            let labels: Vec<Label> = root_images
                .iter()
                .filter_map(|(index, why)| {
                    let shipped = &images_built[*index];
                    let Verdict::Root { anchor, .. } = &shipped.verdict else {
                        return None;
                    };
                    Some(Label {
                        location: shipped.source.location(*anchor),
                        message: format!("builds `{shown}` ({why}) and leaves the user root"),
                    })
                })
                .collect();
            finding.labels.extend(labels);
        }
    }
}

/// The user settings that apply to a container: its own `securityContext`, then the pod's,
/// each as written or as a kustomize patch of the workload sets it.
fn run_as<'a>(cluster: &'a Cluster, object: &Object<'a>, container: &Container<'a>) -> RunAs<'a> {
    let mut contexts: Vec<&'a Node> = container.security_context().into_iter().collect();
    contexts.extend(
        cluster
            .patched_containers(container)
            .into_iter()
            .filter_map(|c| c.get("securityContext")),
    );
    let container_level = contexts.len();
    contexts.extend(container.pod.security_context());
    let pod_spec_path: &[&str] = match container.workload().kind {
        WorkloadKind::Pod => &["spec"],
        WorkloadKind::CronJob => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &["spec", "template", "spec"],
    };
    contexts.extend(
        cluster
            .patches_of(object)
            .into_iter()
            .filter_map(|patch| patch.path(pod_spec_path)?.get("securityContext")),
    );
    // The container's own settings win over the pod's.
    let first = |key: &str| {
        let (own, pod) = contexts.split_at(container_level);
        own.iter()
            .chain(pod)
            .find_map(|context| context.get(key).filter(|v| !v.is_null()))
    };
    // A value this rule cannot read (a template) is taken as set.
    if let Some(user) = first("runAsUser") {
        return if user.as_i64() == Some(0) {
            RunAs::Root(user)
        } else {
            RunAs::NonRoot
        };
    }
    if first("runAsNonRoot").and_then(Node::as_bool) == Some(true)
        || cluster.json_patched(object, "/securityContext")
    {
        return RunAs::NonRoot;
    }
    RunAs::Unset
}
