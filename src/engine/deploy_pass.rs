//! YAML files: parsed together before the per-file pass (a manifest's rules need the Services,
//! autoscalers and kustomize patches of other files), then checked one by one with the
//! Kubernetes and compose hooks.

use std::sync::Arc;

use rayon::prelude::*;

use crate::rule::{Reporter, Rule};
use crate::rules::meta::parse_error;
use crate::source::deployment::{self, Deployment, YamlView};
use crate::source::{FileKind, SourceFile};
use crate::suppress::annotation;
use crate::suppress::inline::{InlineSuppression, MalformedSuppression};
use crate::workspace::Workspace;

/// Reads and parses every YAML file of the workspace, and links them. Files that cannot be
/// read are left out; the per-file pass reports them.
pub fn load(workspace: &Workspace) -> Deployment {
    let parsed = workspace
        .files
        .par_iter()
        .filter(|file| file.kind == FileKind::Yaml)
        .filter_map(|file| {
            let source = SourceFile::load(&file.absolute, file.path.clone(), file.kind).ok()?;
            Some(deployment::parse(Arc::new(source)))
        })
        .collect();
    Deployment::new(parsed)
}

/// Checks one YAML file: parse errors, the Kubernetes or compose hooks of the enabled rules,
/// and the `fitness.rs/ignore` annotations of its objects.
pub fn check(
    source: &Arc<SourceFile>,
    deployment: &Deployment,
    rules: &[&dyn Rule],
    out: &mut Reporter<'_>,
) -> (Vec<InlineSuppression>, Vec<MalformedSuppression>) {
    let single;
    let deployment = match deployment.get(&source.path) {
        Some((parsed, _)) if Arc::ptr_eq(&parsed.source, source) => deployment,
        _ => {
            single = Deployment::single(source.clone());
            &single
        }
    };
    let Some((parsed, view)) = deployment.get(&source.path) else {
        return Default::default();
    };
    let language = if crate::source::is_json(&source.path) {
        "JSON"
    } else {
        "YAML"
    };
    for error in &parsed.errors {
        out.report(
            &parse_error::META,
            error.span.clone().into(),
            format!("{language} does not parse: {}", error.message),
        )
        .label("here")
        .help(if error.limit {
            "the document nests too deeply or its aliases expand too far to load safely (a guard \
             against billion-laughs input); flatten it, or list the file in `exclude` if it is \
             generated; the documents before this point are still checked"
        } else {
            "fix the syntax; the documents before this point are still checked"
        });
    }
    match view {
        YamlView::Kubernetes(file) => {
            for rule in rules {
                rule.check_kubernetes(file, &deployment.cluster, out);
            }
            annotation::scan(file)
        }
        YamlView::Compose(file) => {
            for rule in rules {
                rule.check_compose(file, out);
            }
            Default::default()
        }
        YamlView::OpenApi(_) | YamlView::Other => Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use crate::config::Config;
    use crate::source::rust::CodeRole;
    use crate::source::{FileKind, SourceFile};
    use crate::{engine, registry};

    fn check(name: &str, text: &str) -> Vec<String> {
        let source = SourceFile::new(
            Arc::new(PathBuf::from(name)),
            PathBuf::from("/ws").join(name),
            FileKind::Yaml,
            text.to_string(),
        );
        engine::check_text(
            source,
            CodeRole::Production,
            &Config::with_defaults(),
            &registry::rules(),
        )
        .into_iter()
        .map(|f| format!("{}:{}", f.location.start.line, f.rule))
        .collect()
    }

    /// Fields of the wrong type read as absent: no rule panics, and what is understood is
    /// still checked.
    #[test]
    fn malformed_shapes_are_survived() {
        let shapes = [
            "apiVersion: apps/v1\nkind: Deployment\nspec: 3\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: [a]\nspec:\n  replicas: many\n  template: x\n",
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers: {name: a}\n      volumes: [1, {hostPath: 2}, {name: v, persistentVolumeClaim: {claimName: [x]}}]\n",
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - 7\n        - name: [x]\n          env: {A: b}\n          ports: [80, {containerPort: x}]\n          resources: [cpu]\n          livenessProbe: true\n",
            "apiVersion: v1\nkind: List\nitems: [1, {apiVersion: v1, kind: Service, spec: {selector: [a], ports: 3, sessionAffinity: 1}}]\n",
            "apiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    fitness.rs/ignore: [single-replica]\n",
            "services: [a]\n",
            "services:\n  api:\n    image: [x]\n    build: 3\n    environment: 5\n    ports: [{}, \"a:b:c:d\", \"[::1]:80\", true]\n    env_file: {path: x}\n    healthcheck: [x]\n    depends_on: 3\n",
            "services:\n  api:\n    image: a:1\n    environment:\n      - \"=\"\n      - \"\"\n      - DB_PASSWORD=\n      - 5\n",
        ];
        for shape in shapes {
            let _ = check("deploy/app.yaml", shape);
            let _ = check("docker-compose.yml", shape);
        }
    }

    #[test]
    fn an_openapi_json_document_is_read_as_json() {
        let source = SourceFile::new(
            Arc::new(PathBuf::from("api/openapi.json")),
            PathBuf::from("/ws/api/openapi.json"),
            FileKind::Yaml,
            "{\"openapi\": \"3.0.0\", \"paths\": {\"/a\": {\"get\": {}}}\n".to_string(),
        );
        let findings = engine::check_text(
            source,
            CodeRole::Production,
            &Config::with_defaults(),
            &registry::rules(),
        );
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].starts_with("JSON does not parse"),
            "{messages:?}"
        );
        assert_eq!(findings[0].location.start.line, 2);
    }

    #[test]
    fn manifests_and_compose_files_reach_their_hooks() {
        let manifest =
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n";
        assert!(check("deploy/app.yaml", manifest).contains(&"6:single-replica".to_string()));
        let compose = "services:\n  api:\n    image: api:1.0\n    environment:\n      - JWT_SECRET=3f9a1c7e5b2d48e6a0c4f8b1d7e3a9c5\n";
        assert!(
            check("compose.yaml", compose).contains(&"5:secret-literal-in-manifest".to_string())
        );
        // The same file in a test stack is not a deployment.
        assert!(check("tests/stack/compose.yaml", compose).is_empty());
    }
}
