//! The docker-compose view of a YAML file: its services with their image, build, command,
//! ports, environment, env files, healthcheck, profiles and dependencies.
//!
//! Like the Kubernetes view, it borrows the loaded YAML and hands out [`Node`]s, so findings
//! point at the exact key or value. Anchors and merge keys (`<<: *defaults`) are already
//! resolved by the loader; entries merged in keep the spans of the anchored text, so the same
//! node can appear in several services.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Span;
use crate::source::SourceFile;
use crate::source::kubernetes::{content_start, span};
use crate::source::yaml::{Node, Value};

/// Top-level keys of the compose specification.
const TOP_LEVEL_KEYS: &[&str] = &[
    "version", "name", "services", "networks", "volumes", "secrets", "configs", "include", "models",
];

/// Whether a file of this name is a compose file: `compose.yaml`, `compose.*.yaml`,
/// `docker-compose.yml`, `docker-compose.override.yml`, `testing-docker-compose.yml`…
pub fn is_compose_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    let Some(stem) = lower
        .strip_suffix(".yaml")
        .or_else(|| lower.strip_suffix(".yml"))
    else {
        return false;
    };
    stem == "compose"
        || stem.starts_with("compose.")
        || stem.starts_with("docker-compose")
        || stem.contains("-docker-compose")
        || stem.ends_with(".compose")
}

/// Whether a document looks like a compose file whatever its name: a top-level `services:`
/// mapping whose services are mappings and at least one has an `image` or `build`, and no
/// top-level key outside the compose specification (Helm values and CI files have others).
pub fn looks_like_compose(document: &Node) -> bool {
    let Some(entries) = document.as_map() else {
        return false;
    };
    let keys_fit = entries.iter().all(|(key, _)| {
        key.as_str()
            .is_some_and(|k| TOP_LEVEL_KEYS.contains(&k) || k.starts_with("x-"))
    });
    let Some(services) = document.get("services").and_then(Node::as_map) else {
        return false;
    };
    keys_fit
        && services
            .iter()
            .all(|(_, service)| service.as_map().is_some() || service.is_null())
        && services
            .iter()
            .any(|(_, service)| service.get("image").is_some() || service.get("build").is_some())
}

/// A compose file.
#[derive(Debug)]
pub struct ComposeFile {
    pub source: Arc<SourceFile>,
    /// The (first) document.
    pub root: Node,
}

impl ComposeFile {
    pub fn new(source: Arc<SourceFile>, root: Node) -> ComposeFile {
        ComposeFile { source, root }
    }

    pub fn path(&self) -> &Path {
        &self.source.path
    }

    /// The text a node was read from.
    pub fn text(&self, node: &Node) -> &str {
        node.text(&self.source.text)
    }

    pub fn services(&self) -> impl Iterator<Item = ComposeService<'_>> {
        self.root
            .get("services")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(move |(key, node)| {
                Some(ComposeService {
                    file: self,
                    name: key.as_str()?,
                    key,
                    node,
                })
            })
    }

    pub fn service(&self, name: &str) -> Option<ComposeService<'_>> {
        self.services().find(|s| s.name == name)
    }
}

/// One service of a compose file.
#[derive(Clone, Copy, Debug)]
pub struct ComposeService<'a> {
    pub file: &'a ComposeFile,
    pub name: &'a str,
    /// The service's key, where absence findings anchor.
    pub key: &'a Node,
    pub node: &'a Node,
}

/// `build:` as a context string or a mapping.
#[derive(Clone, Copy, Debug)]
pub struct Build<'a> {
    pub node: &'a Node,
    pub context: Option<&'a Node>,
    pub dockerfile: Option<&'a Node>,
    pub target: Option<&'a Node>,
}

/// `command:` or `entrypoint:`.
#[derive(Clone, Copy, Debug)]
pub enum Command<'a> {
    /// A string, run by a shell (`command: ./server --port 80`).
    Shell(&'a Node),
    /// A list, run as is.
    Exec(&'a [Node]),
}

/// One `ports:` entry, short (`"8080:80/tcp"`) or long (`{target: 80, published: 8080}`).
#[derive(Clone, Debug)]
pub struct ComposePort<'a> {
    pub node: &'a Node,
    pub host_ip: Option<String>,
    /// The host port or range, as written.
    pub published: Option<String>,
    /// The container port or range, as written.
    pub target: Option<String>,
    pub protocol: Option<String>,
}

/// One `environment:` entry, from the map or the list form.
#[derive(Clone, Debug)]
pub struct EnvEntry<'a> {
    pub name: String,
    pub name_span: Span,
    /// `None` when the variable is passed through from the shell (`KEY:` or `- KEY`).
    pub value: Option<String>,
    /// The value's text (inside its quotes when it has no escapes; else the whole scalar).
    pub value_span: Option<Span>,
    /// The map value or the list item.
    pub node: &'a Node,
}

/// `healthcheck:`.
#[derive(Clone, Copy, Debug)]
pub struct Healthcheck<'a> {
    pub node: &'a Node,
    pub test: Option<&'a Node>,
    pub disabled: bool,
}

impl<'a> ComposeService<'a> {
    /// `service api`, as messages name it.
    pub fn logical(&self) -> String {
        format!("compose service {}", self.name)
    }

    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key)
    }

    pub fn image(&self) -> Option<&'a Node> {
        self.node.get("image")
    }

    pub fn build(&self) -> Option<Build<'a>> {
        let node = self.node.get("build")?;
        match &node.value {
            Value::String(_) => Some(Build {
                node,
                context: Some(node),
                dockerfile: None,
                target: None,
            }),
            Value::Map(_) => Some(Build {
                node,
                context: node.get("context"),
                dockerfile: node.get("dockerfile"),
                target: node.get("target"),
            }),
            _ => None,
        }
    }

    /// The Dockerfile its `build:` builds, relative to the workspace root: the `dockerfile`
    /// (`Dockerfile` by default) in the `context`, both from the compose file's directory.
    /// `None` without `build:`, or for a remote context (a Git URL).
    pub fn dockerfile_path(&self) -> Option<PathBuf> {
        let build = self.build()?;
        let context = build.context.and_then(Node::as_str).unwrap_or(".");
        if context.contains("://") {
            return None;
        }
        let dockerfile = build
            .dockerfile
            .and_then(Node::as_str)
            .unwrap_or("Dockerfile");
        let directory = self.file.path().parent().unwrap_or(Path::new(""));
        Some(crate::source::normalize_path(
            &directory.join(context).join(dockerfile),
        ))
    }

    pub fn command(&self) -> Option<Command<'a>> {
        command(self.node.get("command")?)
    }

    pub fn entrypoint(&self) -> Option<Command<'a>> {
        command(self.node.get("entrypoint")?)
    }

    pub fn ports(&self) -> Vec<ComposePort<'a>> {
        self.node
            .get("ports")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(port)
            .collect()
    }

    /// The `environment:` entries, map form (`KEY: value`) or list form (`- KEY=value`).
    pub fn environment(&self) -> Vec<EnvEntry<'a>> {
        let Some(node) = self.node.get("environment") else {
            return Vec::new();
        };
        let text = &self.file.source.text;
        match &node.value {
            Value::Map(entries) => entries
                .iter()
                .filter_map(|(key, value)| {
                    let name = scalar(key)?;
                    let text_value = scalar(value);
                    let value_span =
                        text_value
                            .as_ref()
                            .map(|v| match content_start(value, v, text) {
                                Some(start) => Span::new(start, start + v.len()),
                                None => span(value),
                            });
                    Some(EnvEntry {
                        name,
                        name_span: span(key),
                        value: text_value,
                        value_span,
                        node: value,
                    })
                })
                .collect(),
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| list_entry(item, text))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `env_file:` paths (a string, a list of strings, or a list of `{path, required}`).
    pub fn env_files(&self) -> Vec<&'a Node> {
        let Some(node) = self.node.get("env_file") else {
            return Vec::new();
        };
        match &node.value {
            Value::String(_) => vec![node],
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| match &item.value {
                    Value::String(_) => Some(item),
                    Value::Map(_) => item.get("path"),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn healthcheck(&self) -> Option<Healthcheck<'a>> {
        let node = self.node.get("healthcheck")?;
        node.as_map()?;
        let test = node.get("test");
        let disabled = node.get("disable").and_then(Node::as_bool) == Some(true)
            || test.is_some_and(|t| {
                t.as_str() == Some("NONE")
                    || t.as_seq()
                        .is_some_and(|items| items.first().and_then(Node::as_str) == Some("NONE"))
            });
        Some(Healthcheck {
            node,
            test,
            disabled,
        })
    }

    pub fn profiles(&self) -> Vec<&'a str> {
        self.node
            .get("profiles")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect()
    }

    /// The services this one depends on, with the node naming each (list item or map key).
    pub fn depends_on(&self) -> Vec<(&'a str, &'a Node)> {
        let Some(node) = self.node.get("depends_on") else {
            return Vec::new();
        };
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| Some((item.as_str()?, item)))
                .collect(),
            Value::Map(entries) => entries
                .iter()
                .filter_map(|(key, _)| Some((key.as_str()?, key)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `secrets:` the service mounts (short names or `{source: …}`).
    pub fn secrets(&self) -> Vec<&'a Node> {
        self.node
            .get("secrets")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|item| match &item.value {
                Value::String(_) => Some(item),
                Value::Map(_) => item.get("source"),
                _ => None,
            })
            .collect()
    }
}

fn command(node: &Node) -> Option<Command<'_>> {
    match &node.value {
        Value::String(_) => Some(Command::Shell(node)),
        Value::Seq(items) => Some(Command::Exec(items)),
        _ => None,
    }
}

/// A scalar as text: strings, numbers and booleans (`MAX_CONN: 500`, `DEBUG: true`).
fn scalar(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn port(node: &Node) -> Option<ComposePort<'_>> {
    match &node.value {
        Value::Map(_) => Some(ComposePort {
            node,
            host_ip: node.get("host_ip").and_then(scalar),
            published: node.get("published").and_then(scalar),
            target: node.get("target").and_then(scalar),
            protocol: node.get("protocol").and_then(scalar),
        }),
        Value::Int(i) => Some(ComposePort {
            node,
            host_ip: None,
            published: None,
            target: Some(i.to_string()),
            protocol: None,
        }),
        Value::String(text) => {
            let (rest, protocol) = match text.rsplit_once('/') {
                Some((rest, protocol)) => (rest, Some(protocol.to_string())),
                None => (text.as_str(), None),
            };
            // `[::1]:8080:80`, `127.0.0.1:8080:80`, `8080:80`, `80`.
            let (host_ip, ports) = match rest.strip_prefix('[') {
                Some(bracketed) => {
                    let (ip, after) = bracketed.split_once("]:")?;
                    (Some(ip.to_string()), after)
                }
                None => {
                    let parts: Vec<&str> = rest.split(':').collect();
                    if parts.len() == 3 {
                        (Some(parts[0].to_string()), &rest[parts[0].len() + 1..])
                    } else {
                        (None, rest)
                    }
                }
            };
            let (published, target) = match ports.split_once(':') {
                Some((published, target)) => (
                    (!published.is_empty()).then(|| published.to_string()),
                    target.to_string(),
                ),
                None => (None, ports.to_string()),
            };
            Some(ComposePort {
                node,
                host_ip,
                published,
                target: Some(target),
                protocol,
            })
        }
        _ => None,
    }
}

/// `- KEY=value` or `- KEY`, with spans inside the scalar when its text maps one to one.
fn list_entry<'a>(item: &'a Node, text: &str) -> Option<EnvEntry<'a>> {
    let value = scalar(item)?;
    let content_start = content_start(item, &value, text);
    let at = |offset: usize, len: usize| match content_start {
        Some(start) => Span::new(start + offset, start + offset + len),
        None => span(item),
    };
    let (name, assigned) = match value.split_once('=') {
        Some((name, assigned)) => (name.to_string(), Some(assigned.to_string())),
        None => (value.clone(), None),
    };
    let name_span = at(0, name.len());
    let value_span = assigned
        .as_ref()
        .map(|assigned| at(name.len() + 1, assigned.len()));
    Some(EnvEntry {
        name,
        name_span,
        value: assigned,
        value_span,
        node: item,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;
    use crate::source::yaml;
    use std::path::PathBuf;

    fn file(text: &str) -> ComposeFile {
        let source = Arc::new(SourceFile::new(
            Arc::new(PathBuf::from("compose.yaml")),
            PathBuf::from("/compose.yaml"),
            FileKind::Yaml,
            text.to_string(),
        ));
        let mut loaded = yaml::load(text);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        ComposeFile::new(source, loaded.documents.remove(0))
    }

    #[test]
    fn the_dockerfile_a_build_names() {
        let compose = file(
            "services:\n  api:\n    build:\n      context: ./services/../services/api\n      dockerfile: docker/Dockerfile\n  web:\n    build: .\n  remote:\n    build: https://github.com/acme/app.git\n  db:\n    image: postgres:16\n",
        );
        let path = |name: &str| compose.service(name).unwrap().dockerfile_path();
        assert_eq!(
            path("api"),
            Some(PathBuf::from("services/api/docker/Dockerfile"))
        );
        assert_eq!(path("web"), Some(PathBuf::from("Dockerfile")));
        assert_eq!(path("remote"), None);
        assert_eq!(path("db"), None);
        assert_eq!(
            crate::source::normalize_path(Path::new("deploy/../services/./orders/Dockerfile")),
            PathBuf::from("services/orders/Dockerfile")
        );
    }

    #[test]
    fn names_of_compose_files() {
        for name in [
            "compose.yaml",
            "compose.prod.yml",
            "docker-compose.yml",
            "docker/docker-compose.override.yml",
            "server/testing-docker-compose.yml",
        ] {
            assert!(is_compose_name(Path::new(name)), "{name}");
        }
        for name in ["composer.json", "values.yaml", ".github/workflows/ci.yml"] {
            assert!(!is_compose_name(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn compose_by_content() {
        let yes = yaml::load("services:\n  api:\n    image: api:1\nvolumes:\n  data:\n");
        assert!(looks_like_compose(&yes.documents[0]));
        let helm = yaml::load("replicaCount: 1\nservices:\n  api:\n    image: api:1\n");
        assert!(!looks_like_compose(&helm.documents[0]));
        let gitlab = yaml::load("services:\n  - postgres:16\n");
        assert!(!looks_like_compose(&gitlab.documents[0]));
    }

    #[test]
    fn services_and_their_fields() {
        let text = "\
x-env: &env
  RUST_LOG: info
services:
  api:
    build:
      context: .
      dockerfile: docker/Dockerfile
      target: runtime
    command: [\"/app/api\", \"--port\", \"8080\"]
    ports:
      - \"127.0.0.1:8080:80/tcp\"
      - 9000
      - target: 81
        published: \"8081\"
    environment:
      <<: *env
      DB_PASSWORD: hunter2
      PASS_THROUGH:
    env_file: [.env, {path: .env.local, required: false}]
    profiles: [dev]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
    entrypoint: docker-entrypoint.sh postgres
    environment:
      - POSTGRES_PASSWORD=secret
      - \"POSTGRES_USER=app\"
      - PGDATA
    healthcheck:
      test: [\"CMD\", \"pg_isready\"]
";
        let file = file(text);
        let api = file.service("api").unwrap();
        assert_eq!(api.logical(), "compose service api");
        let build = api.build().unwrap();
        assert_eq!(build.target.unwrap().as_str(), Some("runtime"));
        assert!(matches!(api.command(), Some(Command::Exec(items)) if items.len() == 3));
        let ports = api.ports();
        assert_eq!(ports[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(ports[0].published.as_deref(), Some("8080"));
        assert_eq!(ports[0].target.as_deref(), Some("80"));
        assert_eq!(ports[0].protocol.as_deref(), Some("tcp"));
        assert_eq!(ports[1].target.as_deref(), Some("9000"));
        assert_eq!(ports[2].published.as_deref(), Some("8081"));
        let env = api.environment();
        let names: Vec<&str> = env.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["RUST_LOG", "DB_PASSWORD", "PASS_THROUGH"]);
        assert_eq!(env[2].value, None);
        let password = env[1].value_span.unwrap();
        assert_eq!(&text[password.start..password.end], "hunter2");
        assert_eq!(api.env_files().len(), 2);
        assert_eq!(api.profiles(), ["dev"]);
        assert_eq!(api.depends_on()[0].0, "db");

        let db = file.service("db").unwrap();
        assert!(matches!(db.entrypoint(), Some(Command::Shell(_))));
        let env = db.environment();
        let value = env[0].value_span.unwrap();
        assert_eq!(&text[value.start..value.end], "secret");
        let name = env[1].name_span;
        assert_eq!(&text[name.start..name.end], "POSTGRES_USER");
        assert_eq!(env[2].value, None);
        assert!(!db.healthcheck().unwrap().disabled);
    }
}
