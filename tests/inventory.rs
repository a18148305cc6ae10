//! `cargo fitness inventory` and `cargo fitness graph` on the multi-service fixture
//! (fixtures/services/shop): every format snapshot-tested, and the links that matter asserted.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shop() -> PathBuf {
    support::repo().join("fixtures/services/shop")
}

fn fitness(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-fitness"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("the binary runs")
}

/// The command's standard output; it must succeed and say nothing on stderr.
fn run(args: &[&str]) -> String {
    let output = fitness(&shop(), args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{args:?} failed: {stderr}");
    assert!(stderr.is_empty(), "{args:?} warned: {stderr}");
    redacted(&String::from_utf8(output.stdout).expect("UTF-8 output"))
}

/// Absolute paths differ between machines; snapshots show them relative to `[ROOT]`.
fn redacted(text: &str) -> String {
    text.replace(&support::repo().display().to_string(), "[ROOT]")
}

#[test]
fn inventory_human() {
    insta::assert_snapshot!("inventory_human", run(&["fitness", "inventory"]));
}

#[test]
fn inventory_markdown() {
    insta::assert_snapshot!(
        "inventory_markdown",
        run(&["fitness", "inventory", "--format", "markdown"])
    );
}

#[test]
fn inventory_json() {
    insta::assert_snapshot!(
        "inventory_json",
        run(&["fitness", "inventory", "--format", "json"])
    );
}

#[test]
fn graph_mermaid() {
    insta::assert_snapshot!("graph_mermaid", run(&["fitness", "graph"]));
}

#[test]
fn graph_dot() {
    insta::assert_snapshot!("graph_dot", run(&["fitness", "graph", "--format", "dot"]));
}

/// The path argument works from anywhere, as for `check`.
#[test]
fn a_path_argument_names_the_workspace() {
    let output = fitness(
        &support::repo(),
        &[
            "fitness",
            "inventory",
            "fixtures/services/shop",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let here: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let there: serde_json::Value =
        serde_json::from_str(&run(&["fitness", "inventory", "--format", "json"])).unwrap();
    assert_eq!(here, there);
}

fn card<'j>(inventory: &'j serde_json::Value, name: &str) -> &'j serde_json::Value {
    inventory["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|card| card["name"] == name)
        .unwrap_or_else(|| panic!("no card for {name}"))
}

fn env<'j>(card: &'j serde_json::Value, name: &str) -> &'j serde_json::Value {
    card["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|env| env["name"] == name)
        .unwrap_or_else(|| panic!("{} reads no {name}", card["name"]))
}

#[test]
fn the_cards_link_code_and_deployment() {
    let inventory: serde_json::Value =
        serde_json::from_str(&run(&["fitness", "inventory", "--format", "json"])).unwrap();
    assert_eq!(inventory["version"], 1);

    let orders = card(&inventory, "orders");
    assert_eq!(orders["kind"], "server");
    assert_eq!(orders["dockerfiles"][0]["path"], "crates/orders/Dockerfile");
    assert_eq!(orders["workloads"][0]["ports"][0]["port"], "3000");
    assert_eq!(orders["listen"][0]["port"]["var"], "PORT");
    assert_eq!(orders["listen"][0]["port"]["value"], "8080");
    // Required, set by compose, forgotten by the Deployment.
    let inventory_url = env(orders, "INVENTORY_URL");
    assert_eq!(inventory_url["requirement"], "required");
    assert_eq!(inventory_url["provided"][0]["by"], "compose:orders");
    assert_eq!(
        inventory_url["not_provided_by"],
        serde_json::json!(["Deployment/orders"])
    );
    // From the ConfigMap through envFrom.
    let redis = env(orders, "REDIS_URL");
    assert!(
        redis["provided"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["how"] == "envFrom ConfigMap shop-config"
                && p["value"] == "redis://redis:6379")
    );
    // Read through the shared library.
    assert_eq!(
        env(orders, "LOG_FORMAT")["read_at"]["path"],
        "crates/shop-common/src/telemetry.rs"
    );
    let unread: Vec<&str> = orders["unread_env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(unread, ["LOG_FORMATT"]);
    let called = orders["backing_services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["service"] == "inventory");
    assert!(
        called.is_some(),
        "orders calls inventory through INVENTORY_URL"
    );

    // The port inventory listens on comes from PORT, which every deployment sets to 8081.
    let inventory_card = card(&inventory, "inventory");
    assert_eq!(inventory_card["listen"][0]["host"]["value"], "127.0.0.1");
    let port = env(inventory_card, "PORT");
    assert_eq!(port["not_provided_by"], serde_json::json!([]));

    // notifier links the orders library, but runs none of its routes or env reads.
    let notifier = card(&inventory, "notifier");
    let routes: Vec<&str> = notifier["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert!(!routes.contains(&"/orders"), "{routes:?}");
    let vars: Vec<&str> = notifier["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        !vars.contains(&"INVENTORY_URL") && !vars.contains(&"PORT"),
        "{vars:?}"
    );
    assert_eq!(notifier["listen"][0]["port"]["var"], "GRPC_PORT");
    assert_eq!(notifier["listen"][0]["port"]["value"], "50051");

    // Admin tools: migrate runs as a Job, seed nowhere.
    assert_eq!(card(&inventory, "migrate")["workloads"][0]["kind"], "Job");
    assert_eq!(card(&inventory, "seed")["kind"], "tool");
    assert!(
        card(&inventory, "seed")["workloads"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let notes = inventory["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("notifier-worker")),
        "{notes:?}"
    );
}

#[test]
fn the_graph_draws_broken_edges_in_red() {
    let mermaid = run(&["fitness", "graph"]);
    let edges: Vec<&str> = mermaid
        .lines()
        .filter(|l| l.contains("-->") || l.contains("-.->"))
        .collect();
    let style = mermaid
        .lines()
        .find(|l| l.trim_start().starts_with("linkStyle"))
        .expect("red edges");
    let red: Vec<usize> = style
        .split_whitespace()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|i| i.parse().unwrap())
        .collect();
    let red_edges: Vec<&str> = red.iter().map(|&i| edges[i].trim()).collect();
    assert_eq!(
        red_edges,
        [
            "crate_notifier -->|\"service-coupling\"| crate_orders",
            "svc_inventory -->|\"DATABASE_URL (shared-database)\"| backing_1",
            "svc_orders -->|\"DATABASE_URL (shared-database)\"| backing_1",
        ]
    );
    // The migration Job uses the same database without sharing it: it is not a service.
    assert!(
        edges
            .iter()
            .any(|e| e.trim() == "svc_migrate -->|\"DATABASE_URL\"| backing_1")
    );

    let dot = run(&["fitness", "graph", "--format", "dot"]);
    assert_eq!(dot.lines().filter(|l| l.contains(" color=red")).count(), 3);
}
