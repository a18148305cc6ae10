//! `cargo fitness graph`: the architecture as a picture. Services (deployable binaries), the
//! workspace crates they are built from with their dependency edges, and the backing services
//! and other services they reach through their environment variables. Edges that break a rule
//! are red: a service crate depending on another service crate (`service-coupling`), two
//! services on one database (`shared-database`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Inventory;
use crate::facts::binaries::binaries;
use crate::rule::WorkspaceContext;
use crate::rules::architecture::service_coupling::service_packages;
use crate::source::manifest::DependencyKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    Service,
    Tool,
    Crate,
    Backing,
}

#[derive(Clone, Debug)]
pub struct GraphNode {
    pub id: String,
    /// Lines of the label.
    pub label: Vec<String>,
    pub kind: NodeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// A binary and the crate it is built from.
    Builds,
    /// A crate depending on another crate of the workspace.
    Depends,
    /// A service reaching a backing service or another service through an env var.
    Connects,
}

#[derive(Clone, Debug)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    pub kind: EdgeKind,
    /// The rule the edge breaks, if any: drawn red.
    pub breaks: Option<&'static str>,
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

/// Kinds of backing service that hold one service's data: shared by two services, they couple
/// their schemas.
const DATABASES: &[&str] = &[
    "PostgreSQL",
    "MySQL",
    "SQL Server",
    "MongoDB",
    "database",
    "ClickHouse",
    "Cassandra",
];

/// Builds the graph from the workspace's crates and the inventory's cards.
pub fn build(cx: &WorkspaceContext<'_>, inventory: &Inventory) -> Graph {
    let mut graph = Graph::default();
    // Services and tools.
    for card in &inventory.services {
        let Some(binary) = &card.binary else { continue };
        let mut label = vec![card.name.clone()];
        let mut ports: Vec<String> = card
            .listen
            .iter()
            .map(|l| port_label(card, &l.port))
            .filter(|p| p != ":?")
            .collect();
        ports.dedup();
        if !ports.is_empty() {
            label.push(ports.join(" "));
        } else if card.kind == "tool" {
            label.push("(tool)".into());
        }
        graph.nodes.push(GraphNode {
            id: service_id(&card.name),
            label,
            kind: if card.kind == "server" {
                NodeKind::Service
            } else {
                NodeKind::Tool
            },
        });
        graph.edges.push(GraphEdge {
            from: service_id(&card.name),
            to: crate_id(&binary.package),
            label: None,
            kind: EdgeKind::Builds,
            breaks: None,
        });
    }
    // Crates and their workspace dependency edges; service → service crate edges are red, as
    // `service-coupling` sees them.
    let linked = binaries(cx.workspace, cx.rust_facts);
    let services: Vec<usize> = service_packages(&linked)
        .into_iter()
        .map(|(package, _)| package)
        .collect();
    let mut packages: Vec<(usize, &crate::workspace::Package)> =
        cx.workspace.packages.iter().enumerate().collect();
    packages.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    for (index, package) in &packages {
        graph.nodes.push(GraphNode {
            id: crate_id(&package.name),
            label: vec![package.name.clone()],
            kind: NodeKind::Crate,
        });
        let mut targets: Vec<(usize, &str)> = package
            .declared
            .iter()
            .filter(|d| d.kind == DependencyKind::Normal)
            .filter_map(|d| {
                cx.workspace
                    .packages
                    .iter()
                    .position(|p| p.name == d.name)
                    .map(|i| (i, d.name.as_str()))
            })
            .filter(|(i, _)| i != index)
            .collect();
        targets.sort_by(|a, b| a.1.cmp(b.1));
        targets.dedup();
        for (target, name) in targets {
            let coupled = services.contains(index) && services.contains(&target);
            graph.edges.push(GraphEdge {
                from: crate_id(&package.name),
                to: crate_id(name),
                label: coupled.then(|| "service-coupling".to_string()),
                kind: EdgeKind::Depends,
                breaks: coupled.then_some("service-coupling"),
            });
        }
    }
    backing_nodes(inventory, &mut graph);
    graph
}

/// Backing services, one node per place (a database is one node however many URLs and Secret
/// keys name it), and the edges from the services that use them.
fn backing_nodes(inventory: &Inventory, graph: &mut Graph) {
    // Places that name the same backing service are joined when one variable of one service
    // names both (`postgres:5432/shop` in compose, `Secret shop-db, key url` in Kubernetes).
    // A key is `kind|place`; a variable whose place is unknown gets a key of its own.
    let mut union = Union::default();
    let mut uses: Vec<(String, String, String, bool)> = Vec::new(); // (service, vars, key, server)
    let mut kinds: BTreeMap<String, String> = BTreeMap::new();
    for card in inventory.services.iter().filter(|c| c.binary.is_some()) {
        for backing in &card.backing_services {
            let via = backing.via.join(", ");
            if let Some(service) = &backing.service {
                let port = backing.targets.iter().find_map(|t| {
                    t.split(' ')
                        .next()?
                        .split_once(':')
                        .map(|(_, p)| p.split('/').next().unwrap_or(p).to_string())
                });
                let label = match port {
                    Some(port) => format!("{via} :{port}"),
                    None => via.clone(),
                };
                graph.edges.push(GraphEdge {
                    from: service_id(&card.name),
                    to: service_id(service),
                    label: Some(label),
                    kind: EdgeKind::Connects,
                    breaks: None,
                });
                continue;
            }
            let keys: Vec<String> = if backing.targets.is_empty() {
                vec![format!("{}|{UNKNOWN}{}:{via}", backing.kind, card.name)]
            } else {
                backing
                    .targets
                    .iter()
                    .map(|t| {
                        let place = t.rsplit_once(" (").map(|(place, _)| place).unwrap_or(t);
                        format!("{}|{place}", backing.kind)
                    })
                    .collect()
            };
            for key in &keys {
                union.find(key);
                kinds
                    .entry(key.clone())
                    .or_insert_with(|| backing.kind.clone());
            }
            for pair in keys.windows(2) {
                union.join(&pair[0], &pair[1]);
            }
            uses.push((
                card.name.clone(),
                via,
                keys[0].clone(),
                card.kind == "server",
            ));
        }
    }
    // One node per group, labelled by its kind and the places that name it.
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for key in kinds.keys() {
        groups.entry(union.find(key)).or_default().push(key.clone());
    }
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for (number, (root, keys)) in groups.iter().enumerate() {
        let mut places: Vec<String> = keys
            .iter()
            .filter_map(|k| k.split_once('|').map(|(_, p)| p.to_string()))
            .filter(|p| !p.starts_with(UNKNOWN))
            .collect();
        places.sort_by_key(|p| (p.starts_with("Secret "), p.clone()));
        places.dedup();
        let mut label = vec![kinds[&keys[0]].clone()];
        if places.is_empty() {
            label.push("(location unknown)".into());
        }
        label.extend(places.into_iter().take(3));
        let id = format!("backing_{number}");
        graph.nodes.push(GraphNode {
            id: id.clone(),
            label,
            kind: NodeKind::Backing,
        });
        ids.insert(root.clone(), id);
    }
    uses.sort();
    uses.dedup();
    for (service, via, key, server) in &uses {
        let root = union.find(key);
        let others = uses
            .iter()
            .filter(|(other, _, k, is_server)| {
                *is_server && other != service && union.find(k) == root
            })
            .count();
        let shared = *server && DATABASES.contains(&kinds[key].as_str()) && others > 0;
        graph.edges.push(GraphEdge {
            from: service_id(service),
            to: ids[&root].clone(),
            label: Some(if shared {
                format!("{via} (shared-database)")
            } else {
                via.clone()
            }),
            kind: EdgeKind::Connects,
            breaks: shared.then_some("shared-database"),
        });
    }
}

/// Marks the place of a key whose backing service's location is not known.
const UNKNOWN: &str = "?";

#[derive(Default)]
struct Union {
    parent: BTreeMap<String, String>,
}

impl Union {
    fn find(&mut self, key: &str) -> String {
        let parent = self
            .parent
            .entry(key.to_string())
            .or_insert_with(|| key.to_string())
            .clone();
        if parent == key {
            return parent;
        }
        let root = self.find(&parent);
        self.parent.insert(key.to_string(), root.clone());
        root
    }

    fn join(&mut self, a: &str, b: &str) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            self.parent.insert(high, low);
        }
    }
}

/// `:8080`, or `:8081 (PORT)` for a port read from `PORT`: the values the deployments give it,
/// and the default where one leaves it unset.
fn port_label(card: &super::Card, port: &super::AddressPart) -> String {
    let Some(var) = &port.var else {
        return format!(":{}", port.value.clone().unwrap_or_else(|| "?".into()));
    };
    let mut values: Vec<String> = Vec::new();
    if let Some(env) = card.env.iter().find(|e| &e.name == var) {
        values.extend(env.provided.iter().filter_map(|p| p.value.clone()));
        if env.provided.is_empty() || !env.not_provided_by.is_empty() {
            values.extend(port.value.clone());
        }
    } else {
        values.extend(port.value.clone());
    }
    values.sort();
    values.dedup();
    if values.is_empty() {
        return format!(":${var}");
    }
    format!(":{} ({var})", values.join("|"))
}

fn service_id(name: &str) -> String {
    format!("svc_{}", sanitize(name))
}

fn crate_id(name: &str) -> String {
    format!("crate_{}", sanitize(name))
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The graph in the format asked for.
pub fn render(format: crate::cli::GraphFormat, graph: &Graph) -> String {
    match format {
        crate::cli::GraphFormat::Mermaid => mermaid(graph),
        crate::cli::GraphFormat::Dot => dot(graph),
    }
}

/// Mermaid `flowchart`, which GitHub renders in Markdown; broken edges get a red `linkStyle`.
pub fn mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    let label = |lines: &[String]| {
        lines
            .iter()
            .map(|l| l.replace('"', "#quot;"))
            .collect::<Vec<_>>()
            .join("<br/>")
    };
    for (kind, title, group) in [
        (NodeKind::Service, "Services", "group_services"),
        (NodeKind::Tool, "Tools", "group_tools"),
        (NodeKind::Crate, "Crates", "group_crates"),
        (NodeKind::Backing, "Backing services", "group_backing"),
    ] {
        let nodes: Vec<&GraphNode> = graph.nodes.iter().filter(|n| n.kind == kind).collect();
        if nodes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  subgraph {group} [{title}]");
        for node in nodes {
            let text = label(&node.label);
            let shape = match node.kind {
                NodeKind::Service => format!("[\"{text}\"]"),
                NodeKind::Tool => format!("([\"{text}\"])"),
                NodeKind::Crate => format!("[[\"{text}\"]]"),
                NodeKind::Backing => format!("[(\"{text}\")]"),
            };
            let _ = writeln!(out, "    {}{shape}", node.id);
        }
        out.push_str("  end\n");
    }
    let mut red = Vec::new();
    for (index, edge) in graph.edges.iter().enumerate() {
        let arrow = match edge.kind {
            EdgeKind::Builds => "-.->",
            EdgeKind::Depends | EdgeKind::Connects => "-->",
        };
        match &edge.label {
            Some(text) => {
                let _ = writeln!(
                    out,
                    "  {} {arrow}|\"{}\"| {}",
                    edge.from,
                    text.replace('"', "#quot;"),
                    edge.to
                );
            }
            None => {
                let _ = writeln!(out, "  {} {arrow} {}", edge.from, edge.to);
            }
        }
        if edge.breaks.is_some() {
            red.push(index.to_string());
        }
    }
    if !red.is_empty() {
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:red,stroke-width:2px",
            red.join(",")
        );
    }
    out
}

/// Graphviz `dot`; broken edges are `color=red`.
pub fn dot(graph: &Graph) -> String {
    let quote = |text: &str| {
        format!(
            "\"{}\"",
            text.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        )
    };
    let mut out = String::from(
        "digraph architecture {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for (kind, title, cluster, shape) in [
        (NodeKind::Service, "Services", "cluster_services", "box"),
        (NodeKind::Tool, "Tools", "cluster_tools", "box"),
        (NodeKind::Crate, "Crates", "cluster_crates", "component"),
        (
            NodeKind::Backing,
            "Backing services",
            "cluster_backing",
            "cylinder",
        ),
    ] {
        let nodes: Vec<&GraphNode> = graph.nodes.iter().filter(|n| n.kind == kind).collect();
        if nodes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  subgraph {cluster} {{\n    label={};", quote(title));
        for node in nodes {
            let style = match node.kind {
                NodeKind::Tool => ", style=rounded",
                _ => "",
            };
            let _ = writeln!(
                out,
                "    {} [label={}, shape={shape}{style}];",
                quote(&node.id),
                quote(&node.label.join("\n"))
            );
        }
        out.push_str("  }\n");
    }
    for edge in &graph.edges {
        let mut attributes = Vec::new();
        if let Some(text) = &edge.label {
            attributes.push(format!("label={}", quote(text)));
        }
        if edge.kind == EdgeKind::Builds {
            attributes.push("style=dashed".into());
        }
        if edge.breaks.is_some() {
            attributes.push("color=red".into());
            attributes.push("fontcolor=red".into());
            attributes.push("penwidth=2".into());
        }
        let attributes = if attributes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attributes.join(", "))
        };
        let _ = writeln!(
            out,
            "  {} -> {}{attributes};",
            quote(&edge.from),
            quote(&edge.to)
        );
    }
    out.push_str("}\n");
    out
}
