//! The CI and editor formats: SARIF against the official schema, cargo JSON through
//! `cargo_metadata`, GitHub annotations, JUnit, JSON lines; baselines and `--changed-since`.

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn fitness(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-fitness"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn orders() -> std::path::PathBuf {
    support::repo().join("fixtures/services/orders")
}

/// Absolute paths differ between machines; snapshots show them relative to `[ROOT]`.
fn redacted(text: &str) -> String {
    text.replace(&support::repo().display().to_string(), "[ROOT]")
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).expect("the schema parses");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let output = fitness(&orders(), &["fitness", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );

    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        cargo_fitness::registry::all().len(),
        "one driver rule per rule"
    );
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(
            result["partialFingerprints"]["fitnessFingerprint/v1"]
                .as_str()
                .unwrap()
                .len()
                == 32
        );
    }
    // The rule table grows with every rule; the results are what this snapshot pins.
    let mut sarif = sarif;
    sarif["runs"][0]["tool"]["driver"]["rules"] = serde_json::json!("[one entry per rule]");
    insta::assert_json_snapshot!("sarif", sarif);
}

#[test]
fn cargo_json_is_what_rust_analyzer_parses() {
    let output = fitness(
        &orders(),
        &[
            "fitness",
            "--message-format=json",
            "--workspace",
            "--all-targets",
            "--keep-going",
            "-p",
            "orders-api",
        ],
    );
    let text = stdout(&output);
    let messages: Vec<cargo_metadata::Message> =
        cargo_metadata::Message::parse_stream(text.as_bytes())
            .collect::<Result<_, _>>()
            .expect("every line parses");
    let mut compiler_messages = 0;
    for message in &messages[..messages.len() - 1] {
        let cargo_metadata::Message::CompilerMessage(message) = message else {
            panic!("not a compiler message: {message:?}");
        };
        compiler_messages += 1;
        let code = message.message.code.as_ref().expect("a code").code.clone();
        assert!(code.starts_with("fitness::"), "{code}");
        let primary = message
            .message
            .spans
            .iter()
            .find(|s| s.is_primary)
            .expect("a primary span");
        assert!(primary.line_start >= 1 && primary.column_start >= 1);
        assert!(
            !primary.text.is_empty(),
            "the line text is given for column conversion"
        );
    }
    assert_eq!(
        compiler_messages,
        finding_count(),
        "one compiler message per finding"
    );
    assert!(
        matches!(messages.last(), Some(cargo_metadata::Message::BuildFinished(finished)) if !finished.success),
        "ends with build-finished: {:?}",
        messages.last()
    );
    insta::assert_snapshot!("cargo_json", redacted(&text));
}

#[test]
fn a_clean_workspace_still_ends_with_build_finished() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"clean\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    let output = fitness(dir.path(), &["fitness", "--message-format=json"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "{\"reason\":\"build-finished\",\"success\":true}\n"
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn also_run_check_passes_cargo_check_through() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"checked\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "fn main() {\n    let unused = 1;\n    let _ = std::net::TcpListener::bind(\"0.0.0.0:80\");\n    let _ = \"redis://cache:6379\";\n}\n",
    )
    .unwrap();
    let target = dir.path().join("target");
    let output = fitness(
        dir.path(),
        &[
            "fitness",
            "--message-format=json",
            "--also-run-check",
            "--target-dir",
            target.to_str().unwrap(),
        ],
    );
    let text = stdout(&output);
    let messages: Vec<cargo_metadata::Message> =
        cargo_metadata::Message::parse_stream(text.as_bytes())
            .collect::<Result<_, _>>()
            .expect("every line parses");
    let codes: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            cargo_metadata::Message::CompilerMessage(m) => {
                m.message.code.as_ref().map(|c| c.code.clone())
            }
            _ => None,
        })
        .collect();
    assert!(
        codes.iter().any(|c| c == "unused_variables"),
        "the compiler's warning comes through: {codes:?}"
    );
    assert!(
        codes
            .iter()
            .any(|c| c == "fitness::hardcoded-backing-service"),
        "{codes:?}"
    );
    let finished: Vec<_> = messages
        .iter()
        .filter(|m| matches!(m, cargo_metadata::Message::BuildFinished(_)))
        .collect();
    assert_eq!(finished.len(), 1, "one build-finished line, at the end");
    assert!(
        matches!(messages.last(), Some(cargo_metadata::Message::BuildFinished(f)) if !f.success)
    );
}

#[test]
fn github_annotations_are_chosen_in_github_actions() {
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-fitness"))
        .arg(orders())
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(
        text.lines()
            .all(|line| line.starts_with("::error ") || line.starts_with("::warning ")),
        "{text}"
    );
    insta::assert_snapshot!("github", text);
}

#[test]
fn junit_and_json_lines() {
    let junit = stdout(&fitness(&orders(), &["fitness", "--format", "junit"]));
    insta::assert_snapshot!("junit", junit);
    let lines = stdout(&fitness(&orders(), &["fitness", "--format", "json-lines"]));
    let parsed: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(parsed.len(), finding_count());
    assert!(
        parsed
            .iter()
            .all(|f| f["rule"].is_string() && f["line"].is_u64())
    );
}

/// How many findings the `json` format reports on the orders service.
fn finding_count() -> usize {
    let output = fitness(&orders(), &["fitness", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    json["findings"].as_array().expect("findings").len()
}

/// A `fitness.toml` that switches off every rule but `hardcoded-backing-service`: these tests
/// count its findings only.
fn only_backing_service() -> String {
    let mut config = String::from("[rules]\n");
    for meta in cargo_fitness::registry::all() {
        if meta.id != "hardcoded-backing-service" && meta.category.name() != "meta" {
            config.push_str(&format!("{} = \"allow\"\n", meta.id));
        }
    }
    config
}

fn service(dir: &Path, body: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("fitness.toml"), only_backing_service()).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), body).unwrap();
}

const SERVER: &str = "    let _ = std::net::TcpListener::bind(\"0.0.0.0:8080\");\n";

#[test]
fn a_baseline_hides_known_findings_even_when_lines_move() {
    let dir = tempfile::tempdir().unwrap();
    let known = format!("fn main() {{\n    let _ = \"redis://cache:6379\";\n{SERVER}}}\n");
    service(dir.path(), &known);
    let written = fitness(dir.path(), &["fitness", "baseline"]);
    assert_eq!(
        written.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let baseline = dir.path().join("fitness-baseline.json");
    assert!(baseline.is_file());
    let check = |args: &[&str]| {
        fitness(
            dir.path(),
            &[
                &[
                    "fitness",
                    "--format",
                    "concise",
                    "--baseline",
                    "fitness-baseline.json",
                ],
                args,
            ]
            .concat(),
        )
    };

    let clean = check(&[]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    assert!(stdout(&clean).contains("(1 in the baseline)"));

    // Code added above the known finding moves it; it stays accepted.
    let moved = format!("use std::env;\n\n/// docs\n{known}");
    service(dir.path(), &moved);
    assert_eq!(check(&[]).status.code(), Some(0));

    // A new finding is reported; the known one is not.
    let grown = moved.replace(
        "fn main() {\n",
        "fn main() {\n    let _ = \"postgres://db.internal/app\";\n",
    );
    service(dir.path(), &grown);
    let output = check(&[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output)
            .lines()
            .filter(|l| l.contains("deny["))
            .count(),
        1,
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("db.internal"));

    // Fixing the known finding makes its entry stale; pruning removes it.
    service(dir.path(), &format!("fn main() {{\n{SERVER}}}\n"));
    let stale = check(&[]);
    assert_eq!(stale.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&stale.stderr).contains("1 baseline entry no longer match"),
        "{}",
        String::from_utf8_lossy(&stale.stderr)
    );
    let pruned = fitness(dir.path(), &["fitness", "baseline", "--prune"]);
    assert_eq!(pruned.status.code(), Some(0));
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(kept["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn a_broken_baseline_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    service(dir.path(), &format!("fn main() {{\n{SERVER}}}\n"));
    std::fs::write(dir.path().join("fitness-baseline.json"), "{ not json").unwrap();
    let output = fitness(
        dir.path(),
        &["fitness", "--baseline", "fitness-baseline.json"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not valid"));
}

#[test]
fn changed_since_reports_only_changed_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    service(
        root,
        &format!("mod old;\nmod new;\nfn main() {{\n{SERVER}}}\n"),
    );
    std::fs::write(
        root.join("src/old.rs"),
        "pub const A: &str = \"redis://cache:6379\";\n",
    )
    .unwrap();
    std::fs::write(root.join("src/new.rs"), "pub const B: &str = \"\";\n").unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(root)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "start"]);
    std::fs::write(
        root.join("src/new.rs"),
        "pub const B: &str = \"postgres://db.internal/app\";\n",
    )
    .unwrap();
    std::fs::write(
        root.join("src/untracked.rs"),
        "pub const C: &str = \"amqp://rabbit:5672\";\n",
    )
    .unwrap();
    std::fs::write(
        root.join("src/main.rs"),
        format!("mod old;\nmod new;\nmod untracked;\nfn main() {{\n{SERVER}}}\n"),
    )
    .unwrap();
    let output = fitness(
        root,
        &["fitness", "--format", "concise", "--changed-since", "HEAD"],
    );
    let text = stdout(&output);
    assert!(text.contains("src/new.rs:1:"), "{text}");
    assert!(text.contains("src/untracked.rs:1:"), "{text}");
    assert!(!text.contains("src/old.rs"), "{text}");
    let all = stdout(&fitness(root, &["fitness", "--format", "concise"]));
    assert!(all.contains("src/old.rs"), "{all}");
    let bad = fitness(root, &["fitness", "--changed-since", "no-such-revision"]);
    assert_eq!(bad.status.code(), Some(2));
}
