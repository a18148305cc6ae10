//! The Kubernetes annotation `fitness.rs/ignore: "rule-id, rule-id"` on an object's metadata,
//! or on a workload's pod template metadata: it suppresses the named rules (or categories) for
//! every finding inside that object. `fitness.rs/ignore-reason` next to it gives the reason.
//!
//! Annotations become [`InlineSuppression`]s covering the object's span, so the engine tracks
//! them like comments: one that suppresses nothing is an `unused-suppression`, one that names
//! no rule an `unknown-rule`, both pointing into the annotation's value.

use crate::diagnostic::Span;
use crate::source::kubernetes::{KubernetesFile, Metadata, Object, content_start, span};
use crate::source::yaml::Node;
use crate::suppress::inline::{InlineSuppression, MalformedSuppression};

/// The annotation that suppresses findings in its object.
pub const IGNORE: &str = "fitness.rs/ignore";
/// The annotation that says why.
pub const REASON: &str = "fitness.rs/ignore-reason";

/// The annotation suppressions of a manifest (complete objects only: an annotation in a
/// kustomize patch lands on an object of another file).
pub fn scan(file: &KubernetesFile) -> (Vec<InlineSuppression>, Vec<MalformedSuppression>) {
    let mut found = Vec::new();
    let mut malformed = Vec::new();
    for object in file.objects() {
        let mut places = vec![object.metadata()];
        if let Some(workload) = object.workload()
            && workload.kind != crate::source::kubernetes::WorkloadKind::Pod
        {
            places.push(workload.pod_metadata());
        }
        for metadata in places {
            scan_metadata(file, &object, metadata, &mut found, &mut malformed);
        }
    }
    (found, malformed)
}

fn scan_metadata(
    file: &KubernetesFile,
    object: &Object<'_>,
    metadata: Metadata<'_>,
    found: &mut Vec<InlineSuppression>,
    malformed: &mut Vec<MalformedSuppression>,
) {
    let Some(value) = metadata.annotation(IGNORE) else {
        return;
    };
    let Some(list) = value.as_str() else {
        malformed.push(MalformedSuppression {
            span: span(value),
            problem: "the `fitness.rs/ignore` annotation takes a string of rule ids separated by commas",
        });
        return;
    };
    let start = content_start(value, list, &file.source.text);
    let mut rules = Vec::new();
    let mut cursor = 0;
    for part in list.split(',') {
        let id = part.trim();
        if !id.is_empty() {
            let offset = cursor + (part.len() - part.trim_start().len());
            let id_span = match start {
                Some(start) => Span::new(start + offset, start + offset + id.len()),
                None => span(value),
            };
            rules.push((id.to_string(), id_span));
        }
        cursor += part.len() + 1;
    }
    if rules.is_empty() {
        malformed.push(MalformedSuppression {
            span: span(value),
            problem: "the `fitness.rs/ignore` annotation names no rule",
        });
        return;
    }
    let reason = metadata
        .annotation(REASON)
        .and_then(Node::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    found.push(InlineSuppression {
        rules,
        line: None,
        within: Some(object.span()),
        comment: span(value),
        reason,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::kubernetes::KubernetesFile;
    use crate::source::{FileKind, SourceFile, yaml};
    use std::path::PathBuf;
    use std::sync::Arc;

    fn scan_text(text: &str) -> (Vec<InlineSuppression>, Vec<MalformedSuppression>) {
        let source = Arc::new(SourceFile::new(
            Arc::new(PathBuf::from("k8s.yaml")),
            PathBuf::from("/k8s.yaml"),
            FileKind::Yaml,
            text.to_string(),
        ));
        let file = KubernetesFile::new(source, yaml::load(text).documents);
        scan(&file)
    }

    #[test]
    fn annotations_on_the_object_and_the_pod_template() {
        let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  annotations:
    fitness.rs/ignore: \"single-replica, missing-probes\"
    fitness.rs/ignore-reason: staging only
spec:
  template:
    metadata:
      annotations:
        fitness.rs/ignore: no-resource-requests
    spec:
      containers: [{name: api}]
---
apiVersion: v1
kind: Service
metadata:
  name: other
";
        let (found, malformed) = scan_text(text);
        assert!(malformed.is_empty());
        assert_eq!(found.len(), 2);
        let (id, id_span) = &found[0].rules[1];
        assert_eq!(id, "missing-probes");
        assert_eq!(&text[id_span.start..id_span.end], "missing-probes");
        assert_eq!(found[0].reason.as_deref(), Some("staging only"));
        let within = found[0].within.unwrap();
        assert!(text[within.start..within.end].starts_with("apiVersion: apps/v1"));
        assert!(!text[within.start..within.end].contains("kind: Service"));
        assert_eq!(found[1].rules[0].0, "no-resource-requests");
        assert_eq!(found[0].reach(), "this object");
    }

    #[test]
    fn empty_annotations_are_malformed() {
        let (found, malformed) = scan_text(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  annotations:\n    fitness.rs/ignore: \" , \"\n",
        );
        assert!(found.is_empty());
        assert_eq!(malformed.len(), 1);
    }
}
