//! Rendered output of every format on the realistic `orders` service, pinned with insta.

mod support;

use std::process::Command;

fn run(format: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-fitness"))
        .args(["fitness", "check", "--color", "never", "--format", format])
        .arg(support::repo().join("fixtures/services/orders"))
        .output()
        .expect("the binary runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("output is UTF-8")
}

#[test]
fn human_output() {
    insta::assert_snapshot!(run("human"));
}

#[test]
fn concise_output() {
    insta::assert_snapshot!(run("concise"));
}

#[test]
fn json_output() {
    let output = run("json");
    let document: serde_json::Value = serde_json::from_str(&output).expect("valid JSON");
    insta::assert_json_snapshot!(document);
}
