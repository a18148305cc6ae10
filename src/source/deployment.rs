//! What the YAML files of a workspace deploy: which are Kubernetes manifests, which are compose
//! files, which are OpenAPI documents (YAML or JSON), which are none of these (CI workflows,
//! Helm values, kustomizations), and the [`Cluster`] index over every manifest, with the
//! kustomize patches that change them.
//!
//! Each YAML file is parsed once ([`parse`]); [`Deployment::new`] then links the files: a file
//! a `kustomization.yaml` names as a patch is partial, and what the patches set (replicas,
//! resources, probes) counts for the objects they patch.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::source::SourceFile;
use crate::source::compose::{self, ComposeFile};
use crate::source::kubernetes::{self, Cluster, JsonPatch, KubernetesFile, Overlays};
use crate::source::openapi::OpenApiDocument;
use crate::source::yaml::{self, Node, Value, YamlError};

/// What one YAML file is.
#[derive(Debug, Clone)]
pub enum YamlView {
    Kubernetes(Arc<KubernetesFile>),
    Compose(Arc<ComposeFile>),
    /// An OpenAPI or Swagger document.
    OpenApi(Arc<OpenApiDocument>),
    /// Anything else: CI workflows, Helm values, kustomizations, application config.
    Other,
}

/// A YAML file parsed and classified on its own, before files are linked.
#[derive(Debug)]
pub struct ParsedYaml {
    pub source: Arc<SourceFile>,
    pub errors: Vec<YamlError>,
    kind: Parsed,
}

#[derive(Debug)]
enum Parsed {
    Kubernetes(KubernetesFile),
    Compose(ComposeFile),
    OpenApi(OpenApiDocument),
    Kustomization(Vec<Node>),
    /// Other documents, kept in case a kustomization names the file as a JSON 6902 patch.
    Other(Vec<Node>),
}

/// Parses one YAML file and classifies it by its name and content:
/// - a kustomization (`kustomization.yaml`, or `kind: Kustomization`/`Component`);
/// - Helm values (`values*.yaml` next to a `Chart.yaml`, or under a chart): data;
/// - a compose file: a compose name (`compose.yaml`, `docker-compose*.yml`), or a top-level
///   `services:` map that looks like compose;
/// - Kubernetes: any document with a string `apiVersion` and `kind`;
/// - an OpenAPI document: a top-level `openapi` or `swagger` version (JSON files too);
/// - otherwise nothing this linter reads.
pub fn parse(source: Arc<SourceFile>) -> ParsedYaml {
    let loaded = if crate::source::is_json(&source.path) {
        yaml::load_json(&source.text)
    } else {
        yaml::load(&source.text)
    };
    let errors = loaded.errors;
    let documents = loaded.documents;
    let path = source.path.as_path();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let kind = if matches!(
        name.as_str(),
        "kustomization.yaml" | "kustomization.yml" | "kustomization"
    ) || documents.iter().any(kubernetes::is_kustomize_config)
    {
        Parsed::Kustomization(documents)
    } else if is_helm_values(&source.absolute_path, &name) || is_test_location(path) {
        Parsed::Other(documents)
    } else if compose::is_compose_name(path) && !documents.iter().any(has_api_version_and_kind)
        || documents.len() == 1 && compose::looks_like_compose(&documents[0])
    {
        let mut documents = documents;
        let root = if documents.is_empty() {
            Node::new(Value::Null, 0..0)
        } else {
            documents.swap_remove(0)
        };
        Parsed::Compose(ComposeFile::new(source.clone(), root))
    } else if documents.iter().any(has_api_version_and_kind) {
        Parsed::Kubernetes(KubernetesFile::new(source.clone(), documents))
    } else if let Some(document) = OpenApiDocument::new(source.clone(), &documents) {
        Parsed::OpenApi(document)
    } else {
        Parsed::Other(documents)
    };
    ParsedYaml {
        source,
        errors,
        kind,
    }
}

fn has_api_version_and_kind(node: &Node) -> bool {
    node.get("apiVersion").and_then(Node::as_str).is_some()
        && node.get("kind").and_then(Node::as_str).is_some()
}

/// Deployment files only tests, CI and examples use: under a `tests/`, `test/`, `testdata/`,
/// `fixtures/`, `e2e/`, `*-tests/`, `test_*/`, `ci/` (`.github/`, `.gitlab/`…) or
/// `examples/`/`samples/` directory, or named for tests, CI or as a sample
/// (`docker-compose.test.yml`, `testing-docker-compose.yml`, `compose.ci.yaml`,
/// `minio-sample.yaml`). They stand up throwaway dependencies or show how something could be
/// run; they are not how the service is deployed.
pub fn is_test_location(path: &Path) -> bool {
    let in_test_dir = path.parent().is_some_and(|dir| {
        dir.components().any(|component| {
            let name = component.as_os_str().to_string_lossy().to_ascii_lowercase();
            matches!(
                name.as_str(),
                "tests"
                    | "test"
                    | "testing"
                    | "testdata"
                    | "test-data"
                    | "fixtures"
                    | "e2e"
                    | "ci"
                    | ".ci"
                    | ".github"
                    | ".gitlab"
                    | ".circleci"
                    | ".buildkite"
                    | "examples"
                    | "example"
                    | "samples"
                    | "sample"
            ) || ["-tests", "_tests", "-test", "_test", "-e2e"]
                .iter()
                .any(|suffix| name.ends_with(suffix))
                || ["test-", "test_", "tests-", "tests_"]
                    .iter()
                    .any(|prefix| name.starts_with(prefix))
        })
    });
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let named_for_tests = file
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| {
            matches!(
                word,
                "test"
                    | "tests"
                    | "testing"
                    | "e2e"
                    | "ci"
                    | "example"
                    | "examples"
                    | "sample"
                    | "samples"
            )
        });
    in_test_dir || named_for_tests
}

/// `values.yaml`, `values-prod.yaml`, `values.prod.yaml` of a Helm chart.
fn is_helm_values(absolute: &Path, name: &str) -> bool {
    if !(name.starts_with("values") && (name.ends_with(".yaml") || name.ends_with(".yml"))) {
        return false;
    }
    absolute
        .ancestors()
        .skip(1)
        .take(3)
        .any(|dir| dir.join("Chart.yaml").is_file())
}

/// The YAML files of a run, linked.
#[derive(Debug, Default)]
pub struct Deployment {
    views: HashMap<PathBuf, (Arc<ParsedYamlShared>, YamlView)>,
    pub cluster: Cluster,
    compose: Vec<Arc<ComposeFile>>,
    openapi: Vec<Arc<OpenApiDocument>>,
}

/// What the engine needs of a parsed file after linking.
#[derive(Debug)]
pub struct ParsedYamlShared {
    pub source: Arc<SourceFile>,
    pub errors: Vec<YamlError>,
}

impl Deployment {
    /// Links parsed files: marks the files kustomizations name as patches, gathers what the
    /// kustomizations change, and indexes every manifest.
    pub fn new(files: Vec<ParsedYaml>) -> Deployment {
        let mut overlays = Overlays::default();
        let mut patch_files: HashSet<PathBuf> = HashSet::new();
        let mut json_patch_files: Vec<(PathBuf, Option<String>, Option<String>)> = Vec::new();
        for file in &files {
            if let Parsed::Kustomization(documents) = &file.kind {
                let dir = file.source.path.parent().unwrap_or(Path::new(""));
                for document in documents {
                    read_kustomization(
                        document,
                        dir,
                        &mut overlays,
                        &mut patch_files,
                        &mut json_patch_files,
                    );
                }
            }
        }
        let mut documents_of: HashMap<PathBuf, &[Node]> = HashMap::new();
        for file in &files {
            match &file.kind {
                Parsed::Other(documents) | Parsed::Kustomization(documents) => {
                    documents_of.insert(file.source.path.to_path_buf(), documents);
                }
                _ => {}
            }
        }
        for (path, kind, name) in json_patch_files {
            if let Some(documents) = documents_of.get(&path) {
                for document in documents.iter() {
                    if let Some(patch) = json_patch(document, kind.clone(), name.clone()) {
                        overlays.json_patches.push(patch);
                    }
                }
            }
        }

        let mut views = HashMap::new();
        let mut manifests = Vec::new();
        let mut compose_files = Vec::new();
        let mut openapi = Vec::new();
        for file in files {
            let path = file.source.path.to_path_buf();
            let view = match file.kind {
                Parsed::Kubernetes(manifest) => {
                    let manifest = if patch_files.contains(&path) {
                        manifest.into_patch_file()
                    } else {
                        manifest
                    };
                    let manifest = Arc::new(manifest);
                    manifests.push(manifest.clone());
                    YamlView::Kubernetes(manifest)
                }
                Parsed::Compose(compose) => {
                    let compose = Arc::new(compose);
                    compose_files.push(compose.clone());
                    YamlView::Compose(compose)
                }
                Parsed::OpenApi(document) => {
                    let document = Arc::new(document);
                    openapi.push(document.clone());
                    YamlView::OpenApi(document)
                }
                Parsed::Kustomization(_) | Parsed::Other(_) => YamlView::Other,
            };
            let shared = Arc::new(ParsedYamlShared {
                source: file.source,
                errors: file.errors,
            });
            views.insert(path, (shared, view));
        }
        manifests.sort_by(|a, b| a.path().cmp(b.path()));
        compose_files.sort_by(|a, b| a.path().cmp(b.path()));
        openapi.sort_by(|a: &Arc<OpenApiDocument>, b| a.source.path.cmp(&b.source.path));
        Deployment {
            views,
            cluster: Cluster::new(manifests, overlays),
            compose: compose_files,
            openapi,
        }
    }

    /// A run over one file, as the editor and the documentation tests check it.
    pub fn single(source: Arc<SourceFile>) -> Deployment {
        Deployment::new(vec![parse(source)])
    }

    /// The parsed file and its view, by path relative to the root.
    pub fn get(&self, path: &Path) -> Option<(&Arc<ParsedYamlShared>, &YamlView)> {
        self.views.get(path).map(|(parsed, view)| (parsed, view))
    }

    pub fn compose_files(&self) -> &[Arc<ComposeFile>] {
        &self.compose
    }

    /// The OpenAPI documents of the run, by path.
    pub fn openapi_documents(&self) -> &[Arc<OpenApiDocument>] {
        &self.openapi
    }
}

/// Reads what a kustomization changes: patches (files, inline, JSON 6902), replicas and images.
fn read_kustomization(
    document: &Node,
    dir: &Path,
    overlays: &mut Overlays,
    patch_files: &mut HashSet<PathBuf>,
    json_patch_files: &mut Vec<(PathBuf, Option<String>, Option<String>)>,
) {
    let list = |key| document.get(key).and_then(Node::as_seq).unwrap_or_default();
    for entry in list("patchesStrategicMerge") {
        if let Some(text) = entry.as_str() {
            if text.contains('\n') || text.contains("kind:") {
                inline_patches(text, None, None, overlays);
            } else {
                patch_files.insert(join(dir, text));
            }
        }
    }
    for entry in list("patches").iter().chain(list("patchesJson6902")) {
        let target = entry.get("target");
        let field = |key: &str| {
            target
                .and_then(|t| t.get(key))
                .and_then(Node::as_str)
                .map(str::to_string)
        };
        let (kind, name) = (field("kind"), field("name"));
        if let Some(path) = entry.get("path").and_then(Node::as_str) {
            let path = join(dir, path);
            patch_files.insert(path.clone());
            json_patch_files.push((path, kind.clone(), name.clone()));
        }
        if let Some(text) = entry.get("patch").and_then(Node::as_str) {
            inline_patches(text, kind, name, overlays);
        }
    }
    for entry in list("replicas") {
        if let (Some(name), Some(count)) = (
            entry.get("name").and_then(Node::as_str),
            entry.get("count").and_then(Node::as_i64),
        ) {
            overlays.replicas.push((name.to_string(), count));
        }
    }
    for entry in list("images") {
        let field = |key| {
            entry
                .get(key)
                .and_then(kubernetes::scalar_text)
                .filter(|value| !value.is_empty())
        };
        if let Some(name) = field("name") {
            overlays.images.push(kubernetes::ImageOverride {
                name,
                new_name: field("newName"),
                new_tag: field("newTag"),
                digest: field("digest"),
            });
        }
    }
}

/// An inline patch: strategic-merge documents, or a list of JSON 6902 operations.
fn inline_patches(text: &str, kind: Option<String>, name: Option<String>, overlays: &mut Overlays) {
    for mut document in yaml::load(text).documents {
        if let Some(patch) = json_patch(&document, kind.clone(), name.clone()) {
            overlays.json_patches.push(patch);
        } else if document.as_map().is_some() {
            retarget(&mut document, kind.as_deref(), name.as_deref());
            overlays.inline_patches.push(document);
        }
    }
}

/// A patch selected by `target` applies to the target, whatever name the patch carries.
fn retarget(document: &mut Node, kind: Option<&str>, name: Option<&str>) {
    let Value::Map(entries) = &mut document.value else {
        return;
    };
    for (key, value) in entries.iter_mut() {
        match (key.as_str(), kind, name) {
            (Some("kind"), Some(kind), _) => value.value = Value::String(kind.to_string()),
            (Some("metadata"), _, Some(name)) => {
                if let Value::Map(metadata) = &mut value.value {
                    for (key, value) in metadata.iter_mut() {
                        if key.as_str() == Some("name") {
                            value.value = Value::String(name.to_string());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn json_patch(document: &Node, kind: Option<String>, name: Option<String>) -> Option<JsonPatch> {
    let operations: Vec<(String, String, Option<Node>)> = document
        .as_seq()?
        .iter()
        .filter_map(|op| {
            Some((
                op.get("op")?.as_str()?.to_string(),
                op.get("path")?.as_str()?.to_string(),
                op.get("value").cloned(),
            ))
        })
        .collect();
    (!operations.is_empty()).then_some(JsonPatch {
        kind,
        name,
        operations,
    })
}

/// `dir/relative`, with `.` and `..` resolved without touching the file system.
fn join(dir: &Path, relative: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for component in dir.join(relative).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    fn source(path: &str, text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile::new(
            Arc::new(PathBuf::from(path)),
            PathBuf::from("/nonexistent").join(path),
            FileKind::Yaml,
            text.to_string(),
        ))
    }

    fn view(deployment: &Deployment, path: &str) -> &'static str {
        match deployment.get(Path::new(path)).unwrap().1 {
            YamlView::Kubernetes(_) => "kubernetes",
            YamlView::Compose(_) => "compose",
            YamlView::OpenApi(_) => "openapi",
            YamlView::Other => "other",
        }
    }

    #[test]
    fn classifies_files() {
        let deployment = Deployment::new(vec![
            parse(source(
                "k8s/api.yaml",
                "apiVersion: v1\nkind: Service\nmetadata: {name: api}\n",
            )),
            parse(source(
                "docker-compose.yml",
                "services:\n  api:\n    build: .\n",
            )),
            parse(source(
                "deploy/dev.yaml",
                "services:\n  api:\n    image: api:1\n",
            )),
            parse(source(
                ".github/workflows/ci.yml",
                "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    services:\n      db:\n        image: postgres\n",
            )),
            parse(source("k8s/kustomization.yaml", "resources: [api.yaml]\n")),
            parse(source("api/openapi.yaml", "openapi: 3.0.3\npaths: {}\n")),
            parse(source(
                "swagger.json",
                "{\"swagger\": \"2.0\", \"paths\": {}}",
            )),
            parse(source("tests/openapi.yaml", "openapi: 3.0.3\npaths: {}\n")),
        ]);
        assert_eq!(view(&deployment, "k8s/api.yaml"), "kubernetes");
        assert_eq!(view(&deployment, "docker-compose.yml"), "compose");
        assert_eq!(view(&deployment, "deploy/dev.yaml"), "compose");
        assert_eq!(view(&deployment, ".github/workflows/ci.yml"), "other");
        assert_eq!(view(&deployment, "k8s/kustomization.yaml"), "other");
        assert_eq!(view(&deployment, "api/openapi.yaml"), "openapi");
        assert_eq!(view(&deployment, "swagger.json"), "openapi");
        assert_eq!(view(&deployment, "tests/openapi.yaml"), "other");
        assert_eq!(deployment.openapi_documents().len(), 2);
    }

    #[test]
    fn test_stacks_are_not_deployments() {
        for path in [
            "tests/integration/kafka/config/compose.yaml",
            "server/testing-docker-compose.yml",
            "client-integration-tests/docker-compose.yml",
            "docker-compose.test.yml",
            "e2e/manifests/app.yaml",
            "ci/docker-compose.yml",
            "scripts/kubernetes/minio-sample.yaml",
            "examples/k8s/deployment.yaml",
            "ui/fixtures/docker-compose.e2e.yml",
            "test_runner/pg_clients/python/asyncpg/Dockerfile",
        ] {
            assert!(is_test_location(Path::new(path)), "{path}");
        }
        for path in [
            "docker-compose.yml",
            "deploy/k8s/app.yaml",
            "contest/compose.yaml",
        ] {
            assert!(!is_test_location(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn kustomize_patches_are_linked() {
        let deployment = Deployment::new(vec![
            parse(source(
                "base/api.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers: [{name: api, image: 'api:1'}]\n",
            )),
            parse(source(
                "overlays/prod/kustomization.yaml",
                "resources: [../../base]\nreplicas: [{name: api, count: 4}]\npatches:\n  - path: resources.yaml\n  - target: {kind: Deployment, name: api}\n    patch: |-\n      - op: add\n        path: /spec/template/spec/containers/0/livenessProbe\n        value: {tcpSocket: {port: 80}}\n",
            )),
            parse(source(
                "overlays/prod/resources.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: api\n          resources: {requests: {cpu: 1}}\n",
            )),
        ]);
        let cluster = &deployment.cluster;
        assert_eq!(cluster.objects().count(), 1, "the patch is not an object");
        let api = cluster.objects().next().unwrap();
        let mut replicas = cluster.patched_replicas(&api);
        replicas.sort();
        assert_eq!(replicas, [3, 4]);
        let container = api.workload().unwrap().containers()[0];
        assert!(cluster.container_sets(&container, "resources"));
        assert!(cluster.container_sets(&container, "livenessProbe"));
        assert!(!cluster.container_sets(&container, "readinessProbe"));
    }
}
