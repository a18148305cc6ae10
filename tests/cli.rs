//! The command line end to end: the real binary run as a subprocess on throwaway workspaces.
//!
//! Covers exit codes, both invocation styles, `-A/-W/-D`, the three output formats, every
//! configuration layer and its errors, inline suppressions, `rules`, `explain`, `init` and
//! workspace discovery.

mod support;

use std::path::Path;

use support::process::{LOCKFILE, MANIFEST, Outcome, Workspace};

use cargo_fitness::registry;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers (the process and workspace ones are in tests/support/process.rs).

/// `src/main.rs` with one hard-coded PostgreSQL address at 2:15.
const HARDCODED: &str =
    "fn main() {\n    let url = \"postgres://db.internal/app\";\n    println!(\"{url}\");\n}\n";

/// `src/main.rs` that reads its address from the environment.
const CLEAN: &str = "fn main() {\n    let url = std::env::var(\"DATABASE_URL\").unwrap();\n    println!(\"{url}\");\n}\n";

const RULE: &str = "hardcoded-backing-service";

/// A line that starts a server: `hardcoded-backing-service` reports only in service code,
/// the packages that serve (and what they depend on).
const SERVE: &str = "    let _server = std::net::TcpListener::bind(\"0.0.0.0:8080\");\n";

/// `main_rs` with `SERVE` added before its last closing brace (after every line a test
/// points at).
fn serving(main_rs: &str) -> String {
    let end = main_rs.rfind('}').expect("a closing brace");
    format!("{}{SERVE}{}", &main_rs[..end], &main_rs[end..])
}

impl Outcome {
    /// `(path, line, column, rule, level)` of every finding, in output order (JSON only).
    fn findings(&self) -> Vec<(String, u64, u64, String, String)> {
        self.json()["findings"]
            .as_array()
            .expect("`findings` is an array")
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().expect("path").to_string(),
                    f["line"].as_u64().expect("line"),
                    f["column"].as_u64().expect("column"),
                    f["rule"].as_str().expect("rule").to_string(),
                    f["level"].as_str().expect("level").to_string(),
                )
            })
            .collect()
    }

    /// The finding objects of one rule (JSON only).
    fn of_rule(&self, rule: &str) -> Vec<Value> {
        self.json()["findings"]
            .as_array()
            .expect("`findings` is an array")
            .iter()
            .filter(|f| f["rule"] == rule)
            .cloned()
            .collect()
    }

    #[track_caller]
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit code {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Workspace {
    /// A one-package service with `src/main.rs` (`SERVE` added to it).
    fn with_main(main_rs: &str) -> Workspace {
        let workspace = Workspace::bare();
        workspace
            .write("Cargo.toml", MANIFEST)
            .write("Cargo.lock", LOCKFILE)
            .write("src/main.rs", serving(main_rs));
        workspace
    }

    /// `cargo-fitness fitness check . ARGS` from the workspace root.
    fn check(&self, args: &[&str]) -> Outcome {
        let mut all = vec!["fitness", "check", "."];
        all.extend_from_slice(args);
        cli(self.path(), &all)
    }

    fn json(&self, args: &[&str]) -> Outcome {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        self.check(&all)
    }
}

/// The text without whitespace, box-drawing characters and `|`, so that assertions do not
/// depend on how miette wraps and frames a message.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !('\u{2500}'..='\u{257f}').contains(c) && *c != '|')
        .collect()
}

#[track_caller]
fn assert_mentions(text: &str, needle: &str) {
    assert!(
        squash(text).contains(&squash(needle)),
        "expected the output to mention {needle:?}:\n{text}"
    );
}

fn finding(
    path: &str,
    line: u64,
    column: u64,
    rule: &str,
    level: &str,
) -> (String, u64, u64, String, String) {
    (
        path.to_string(),
        line,
        column,
        rule.to_string(),
        level.to_string(),
    )
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn clean_workspace_exits_0() {
    let ws = Workspace::with_main(CLEAN);
    let out = ws.check(&[]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("0 errors, 0 warnings in 3 files"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.trim().is_empty(), "stderr: {}", out.stderr);
}

#[test]
fn a_deny_finding_exits_1() {
    let ws = Workspace::with_main(HARDCODED);
    let out = ws.json(&[]);
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "deny")]
    );
}

#[test]
fn only_warnings_exit_0() {
    let ws = Workspace::with_main(HARDCODED);
    let out = ws.json(&["-W", RULE]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );
    assert_eq!(out.json()["summary"]["warn"], 1);
    assert_eq!(out.json()["summary"]["deny"], 0);
}

#[test]
fn deny_warnings_makes_warnings_fail() {
    let ws = Workspace::with_main(HARDCODED);
    for deny in [["-D", "warnings"], ["--deny", "warnings"]] {
        let out = ws.json(&["-W", RULE, deny[0], deny[1]]);
        out.expect_code(1);
        assert_eq!(
            out.findings(),
            [finding("src/main.rs", 2, 15, RULE, "deny")]
        );
    }
    // Warnings set by the configuration, too.
    ws.write("fitness.toml", format!("[rules]\n{RULE} = \"warn\"\n"));
    ws.check(&["-D", "warnings"]).expect_code(1);
    ws.check(&[]).expect_code(0);
    // Nothing to turn into an error: still clean.
    let clean = Workspace::with_main(CLEAN);
    clean.check(&["-D", "warnings"]).expect_code(0);
}

#[test]
fn unknown_rule_on_the_command_line_exits_2() {
    let ws = Workspace::with_main(HARDCODED);
    for flag in ["-D", "-W", "-A", "--deny", "--allow", "--warn"] {
        let out = ws.check(&[flag, "no-such-rule"]);
        out.expect_code(2);
        assert!(
            out.stderr.contains("no-such-rule"),
            "{flag}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{flag}: {}", out.stdout);
    }
    // `warnings` is special only for deny.
    ws.check(&["-W", "warnings"]).expect_code(2);
}

#[test]
fn unknown_flag_exits_2() {
    let ws = Workspace::with_main(CLEAN);
    for args in [
        &["--no-such-flag"][..],
        &["fitness", "--no-such-flag"],
        &["fitness", "check", "--no-such-flag", "."],
        &["--format", "xml", "."],
        &["fitness", "frobnicate", "extra"],
    ] {
        let out = cli(ws.path(), args);
        out.expect_code(2);
        assert!(out.stderr.contains("error"), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
}

#[test]
fn help_and_version_exit_0() {
    let ws = Workspace::with_main(CLEAN);
    let help = cli(ws.path(), &["fitness", "--help"]);
    help.expect_code(0);
    assert!(help.stdout.contains("Usage"), "{}", help.stdout);
    let version = cli(ws.path(), &["--version"]);
    version.expect_code(0);
    assert!(
        version.stdout.contains(env!("CARGO_PKG_VERSION")),
        "{}",
        version.stdout
    );
}

#[test]
fn nonexistent_path_exits_2() {
    let ws = Workspace::with_main(HARDCODED);
    let missing = ws.join("no/such/dir");
    let missing = missing.to_str().unwrap();
    for args in [
        &["fitness", "check", missing][..],
        &[missing],
        &["fitness", "--manifest-path", "no/such/Cargo.toml"],
        &["fitness", "init", missing],
    ] {
        let out = cli(ws.path(), args);
        out.expect_code(2);
        assert!(
            out.stderr.contains("does not exist"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
}

#[test]
fn bad_config_exits_2() {
    let ws = Workspace::with_main(HARDCODED);
    ws.write("fitness.toml", "[rulez]\n");
    let out = ws.check(&[]);
    out.expect_code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // Even when the check would be clean otherwise.
    let clean = Workspace::with_main(CLEAN);
    clean.write("fitness.toml", "[rules]\nnope = \"warn\"\n");
    clean.check(&[]).expect_code(2);
}

// ---------------------------------------------------------------------------------------------
// Invocation styles

#[test]
fn every_invocation_style_checks_the_same() {
    let ws = Workspace::with_main(HARDCODED);
    let root = ws.path().to_str().unwrap();
    let elsewhere = Workspace::bare();
    let expected = "src/main.rs:2:15: deny[hardcoded-backing-service] ";
    let styles: [(&Path, &[&str]); 8] = [
        // As cargo runs it: `cargo fitness …` becomes `cargo-fitness fitness …`.
        (elsewhere.path(), &["fitness", "check", root]),
        (elsewhere.path(), &["fitness", root]),
        (ws.path(), &["fitness"]),
        (ws.path(), &["fitness", "check"]),
        // Run directly.
        (elsewhere.path(), &[root]),
        (elsewhere.path(), &["check", root]),
        (ws.path(), &[]),
        (ws.path(), &["check"]),
    ];
    for (cwd, args) in styles {
        let mut all = args.to_vec();
        all.extend(["--format", "concise"]);
        let out = cli(cwd, &all);
        out.expect_code(1);
        assert!(
            out.stdout.starts_with(expected),
            "{args:?} in {}:\n{}",
            cwd.display(),
            out.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------------
// -A / -W / -D

#[test]
fn later_level_flags_win() {
    let ws = Workspace::with_main(HARDCODED);
    let out = ws.json(&["-A", "config", "-D", RULE]);
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "deny")]
    );

    let out = ws.json(&["-D", RULE, "-A", "config"]);
    out.expect_code(0);
    assert!(out.findings().is_empty(), "{}", out.stdout);

    let out = ws.json(&["-D", RULE, "-W", RULE]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );

    // Long and short forms mix, in order, wherever the path is.
    let out = cli(
        ws.path(),
        &[
            "check", "--allow", RULE, ".", "--warn", "config", "--format", "json",
        ],
    );
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );
}

#[test]
fn a_category_name_selects_its_rules() {
    let ws = Workspace::with_main(HARDCODED);
    let out = ws.json(&["-A", "config"]);
    out.expect_code(0);
    assert!(out.findings().is_empty(), "{}", out.stdout);

    let out = ws.json(&["-W", "config"]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );

    // `meta` holds unused-suppression, a warning by default.
    let ws = Workspace::with_main(&format!("// fitness: ignore[{RULE}] nothing here\n{CLEAN}"));
    ws.check(&[]).expect_code(0);
    let out = ws.json(&["-D", "meta"]);
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 1, 20, "unused-suppression", "deny")]
    );
}

// ---------------------------------------------------------------------------------------------
// Output formats

#[test]
fn concise_format_is_one_line_per_finding() {
    let main = "fn main() {\n    let url = \"postgres://db.internal/app\";\n    let café = \"redis://cache.internal:6379\";\n    println!(\"{url}{café}\");\n}\n";
    let ws = Workspace::with_main(main);
    let out = ws.check(&["--format", "concise"]);
    out.expect_code(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert!(
        lines[0].starts_with("src/main.rs:2:15: deny[hardcoded-backing-service] "),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("db.internal"), "{}", lines[0]);
    // Columns count characters: `é` is two bytes but one column.
    assert!(
        lines[1].starts_with("src/main.rs:3:16: deny[hardcoded-backing-service] "),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("cache.internal"), "{}", lines[1]);
    assert_eq!(lines[2], "2 errors, 0 warnings in 3 files");

    let quiet = ws.check(&["--format", "concise", "--quiet"]);
    quiet.expect_code(1);
    assert_eq!(quiet.stdout.lines().collect::<Vec<_>>(), lines[..2]);
}

#[test]
fn json_format_is_complete() {
    let ws = Workspace::with_main(HARDCODED);
    let out = ws.json(&[]);
    out.expect_code(1);
    let doc = out.json();
    assert_eq!(doc["version"], 1);
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{}", out.stdout);
    let f = &findings[0];
    assert_eq!(f["rule"], RULE);
    assert_eq!(f["level"], "deny");
    assert_eq!(f["path"], "src/main.rs");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 15);
    assert_eq!(f["end_line"], 2);
    // The literal `"postgres://db.internal/app"` is 28 characters long.
    assert_eq!(f["end_column"], 15 + 28);
    let message = f["message"].as_str().expect("message is a string");
    assert!(message.contains("db.internal"), "{message}");
    assert!(
        f["help"].as_str().is_some_and(|help| !help.is_empty()),
        "help: {}",
        f["help"]
    );
    assert_eq!(doc["summary"]["deny"], 1);
    assert_eq!(doc["summary"]["warn"], 0);
    assert_eq!(doc["summary"]["files"], 3);
    assert_eq!(doc["summary"]["suppressed"], 0);

    // A clean run is a document too.
    let clean = Workspace::with_main(CLEAN).json(&[]);
    clean.expect_code(0);
    assert_eq!(clean.json()["findings"], Value::Array(Vec::new()));
    assert_eq!(clean.json()["summary"]["files"], 3);
}

#[test]
fn findings_are_sorted_by_path_line_column_rule() {
    let ws = Workspace::with_main(HARDCODED);
    // Written in an order that is not the sorted one; several findings on one line.
    ws.write(
        "src/zeta.rs",
        "pub fn f() {\n    let _ = (\"redis://b.internal:6379\", \"postgres://a.internal/x\"); // fitness: ignore[hardcoded-backing-servic] typo\n}\n",
    );
    ws.write(
        "src/alpha.rs",
        "pub fn g() {\n    let _ = 1;\n}\npub const X: &str = \"amqp://mq.internal:5672\";\n",
    );
    ws.write(
        "src/beta/mod.rs",
        "pub const Y: &str = \"mongodb://mongo.internal/db\";\n",
    );
    let out = ws.json(&[]);
    out.expect_code(1);
    let found: Vec<(String, u64, u64, String)> = out
        .findings()
        .into_iter()
        .map(|(path, line, column, rule, _)| (path, line, column, rule))
        .collect();
    let expected: Vec<(String, u64, u64, String)> = [
        ("src/alpha.rs", 4, 21, RULE),
        ("src/beta/mod.rs", 1, 21, RULE),
        ("src/main.rs", 2, 15, RULE),
        ("src/zeta.rs", 2, 14, RULE),
        ("src/zeta.rs", 2, 41, RULE),
        ("src/zeta.rs", 2, 88, "unknown-rule"),
    ]
    .into_iter()
    .map(|(p, l, c, r)| (p.to_string(), l, c, r.to_string()))
    .collect();
    assert_eq!(found, expected);
    let mut sorted = found.clone();
    sorted.sort();
    assert_eq!(found, sorted);

    // Concise output is in the same order.
    let concise = ws.check(&["--format", "concise", "--quiet"]);
    let prefixes: Vec<String> = concise
        .stdout
        .lines()
        .map(|line| line.split(": ").next().unwrap().to_string())
        .collect();
    let expected_prefixes: Vec<String> = expected
        .iter()
        .map(|(p, l, c, _)| format!("{p}:{l}:{c}"))
        .collect();
    assert_eq!(prefixes, expected_prefixes);
}

#[test]
fn human_format_shows_code_location_and_summary() {
    let ws = Workspace::with_main(HARDCODED);
    let out = ws.check(&["--color", "never"]);
    out.expect_code(1);
    assert!(
        out.stdout.contains("fitness::hardcoded-backing-service"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("src/main.rs:2:15"), "{}", out.stdout);
    assert!(
        out.stdout.contains("postgres://db.internal/app"),
        "snippet: {}",
        out.stdout
    );
    assert!(
        !out.stdout.contains('\u{1b}'),
        "colour with --color never: {}",
        out.stdout
    );
    assert_eq!(
        out.stdout.trim_end().lines().last(),
        Some("1 error, 0 warnings in 3 files"),
        "{}",
        out.stdout
    );

    let quiet = ws.check(&["--color", "never", "--quiet"]);
    quiet.expect_code(1);
    assert!(
        quiet.stdout.contains("fitness::hardcoded-backing-service"),
        "{}",
        quiet.stdout
    );
    assert!(!quiet.stdout.contains("in 3 files"), "{}", quiet.stdout);

    let clean = Workspace::with_main(CLEAN).check(&["--color", "never"]);
    clean.expect_code(0);
    assert_eq!(clean.stdout.trim(), "0 errors, 0 warnings in 3 files");
}

#[test]
fn realistic_fixture_fails_with_sorted_production_findings() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/config/hardcoded-backing-service/direct");
    let fixture = fixture.to_str().unwrap();
    let elsewhere = Workspace::bare();
    let out = cli(
        elsewhere.path(),
        &["fitness", "check", fixture, "--format", "json"],
    );
    out.expect_code(1);
    let found = out.findings();
    assert!(found.len() >= 3, "{}", out.stdout);
    let mut sorted = found.clone();
    sorted.sort_by(|a, b| (&a.0, a.1, a.2, &a.3).cmp(&(&b.0, b.1, b.2, &b.3)));
    assert_eq!(found, sorted);
    for (path, _, _, rule, level) in &found {
        assert_eq!((rule.as_str(), level.as_str()), (RULE, "deny"), "{path}");
        assert!(
            path.starts_with("src/") && path != "src/db/tests.rs",
            "test, bench, example or build code reported: {path}"
        );
    }
    assert!(found.iter().any(|f| f.0 == "src/main.rs"));
    assert!(found.iter().any(|f| f.0 == "src/db/mod.rs"));

    let human = cli(elsewhere.path(), &["fitness", fixture, "--color", "never"]);
    human.expect_code(1);
    assert!(human.stdout.contains("fitness::hardcoded-backing-service"));
    assert!(
        human
            .stdout
            .contains(&format!("{} errors, 0 warnings", found.len()))
    );
}

// ---------------------------------------------------------------------------------------------
// Configuration layers

#[test]
fn fitness_toml_sets_a_level() {
    let ws = Workspace::with_main(HARDCODED);
    ws.write("fitness.toml", format!("[rules]\n{RULE} = \"warn\"\n"));
    let out = ws.json(&[]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );

    // The table form with `level`.
    ws.write(
        "fitness.toml",
        format!("[rules.{RULE}]\nlevel = \"allow\"\n"),
    );
    let out = ws.json(&[]);
    out.expect_code(0);
    assert!(out.findings().is_empty(), "{}", out.stdout);
}

#[test]
fn cargo_toml_metadata_sets_a_level() {
    let ws = Workspace::with_main(HARDCODED);
    ws.append(
        "Cargo.toml",
        &format!("\n[workspace.metadata.fitness.rules]\n{RULE} = \"warn\"\n"),
    );
    let out = ws.json(&[]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );
}

#[test]
fn fitness_toml_wins_over_cargo_toml_metadata() {
    let ws = Workspace::with_main(HARDCODED);
    ws.append(
        "Cargo.toml",
        &format!("\n[workspace.metadata.fitness.rules]\n{RULE} = \"allow\"\n"),
    );
    ws.write("fitness.toml", format!("[rules]\n{RULE} = \"deny\"\n"));
    ws.check(&[]).expect_code(1);

    ws.write("Cargo.toml", MANIFEST)
        .write("Cargo.lock", LOCKFILE);
    ws.append(
        "Cargo.toml",
        &format!("\n[workspace.metadata.fitness.rules]\n{RULE} = \"deny\"\n"),
    );
    ws.write("fitness.toml", format!("[rules]\n{RULE} = \"warn\"\n"));
    let out = ws.json(&[]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );

    // A category in fitness.toml is still the later layer.
    ws.write("fitness.toml", "[rules]\nconfig = \"allow\"\n");
    let out = ws.json(&[]);
    out.expect_code(0);
    assert!(out.findings().is_empty(), "{}", out.stdout);
}

#[test]
fn command_line_wins_over_fitness_toml() {
    let ws = Workspace::with_main(HARDCODED);
    ws.write("fitness.toml", format!("[rules]\n{RULE} = \"warn\"\n"));
    let out = ws.json(&["-D", RULE]);
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "deny")]
    );

    ws.write("fitness.toml", format!("[rules]\n{RULE} = \"deny\"\n"));
    let out = ws.json(&["-A", RULE]);
    out.expect_code(0);
    assert!(out.findings().is_empty(), "{}", out.stdout);

    // A category on the command line beats a rule id in the file.
    ws.write("fitness.toml", format!("[rules]\n{RULE} = \"allow\"\n"));
    ws.check(&["-D", "config"]).expect_code(1);
}

#[test]
fn a_category_key_sets_its_rules() {
    let ws = Workspace::with_main(HARDCODED);
    ws.write("fitness.toml", "[rules]\nconfig = \"allow\"\n");
    let out = ws.json(&[]);
    out.expect_code(0);
    assert!(out.findings().is_empty(), "{}", out.stdout);

    ws.write("fitness.toml", "[rules]\nconfig = \"warn\"\n");
    let out = ws.json(&[]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );
}

#[test]
fn a_rule_id_beats_its_category_in_one_file_whatever_the_order() {
    let ws = Workspace::with_main(HARDCODED);
    for text in [
        format!("[rules]\n{RULE} = \"warn\"\nconfig = \"deny\"\n"),
        format!("[rules]\nconfig = \"deny\"\n{RULE} = \"warn\"\n"),
    ] {
        ws.write("fitness.toml", &text);
        let out = ws.json(&[]);
        out.expect_code(0);
        assert_eq!(
            out.findings(),
            [finding("src/main.rs", 2, 15, RULE, "warn")],
            "{text}"
        );
    }
    for text in [
        format!("[rules]\nconfig = \"allow\"\n{RULE} = \"deny\"\n"),
        format!("[rules]\n{RULE} = \"deny\"\nconfig = \"allow\"\n"),
    ] {
        ws.write("fitness.toml", &text);
        ws.check(&[]).expect_code(1);
    }
    // The same in Cargo.toml metadata.
    ws.write("fitness.toml", "");
    ws.append(
        "Cargo.toml",
        &format!("\n[workspace.metadata.fitness.rules]\nconfig = \"allow\"\n{RULE} = \"warn\"\n"),
    );
    let out = ws.json(&[]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );
}

#[test]
fn overrides_apply_only_to_their_paths() {
    let ws = Workspace::with_main(HARDCODED);
    ws.write(
        "src/legacy/mod.rs",
        "pub const URL: &str = \"redis://cache.internal:6379\";\n",
    );
    ws.write(
        "src/legacy_not.rs",
        "pub const URL: &str = \"redis://cache.internal:6379\";\n",
    );
    ws.write(
        "fitness.toml",
        format!("[[overrides]]\npaths = [\"src/legacy/**\"]\nrules = {{ {RULE} = \"allow\" }}\n"),
    );
    let out = ws.json(&[]);
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [
            finding("src/legacy_not.rs", 1, 23, RULE, "deny"),
            finding("src/main.rs", 2, 15, RULE, "deny"),
        ]
    );

    ws.write(
        "fitness.toml",
        format!("[[overrides]]\npaths = [\"src/legacy/**\"]\nrules = {{ {RULE} = \"warn\" }}\n"),
    );
    let out = ws.json(&[]);
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [
            finding("src/legacy/mod.rs", 1, 23, RULE, "warn"),
            finding("src/legacy_not.rs", 1, 23, RULE, "deny"),
            finding("src/main.rs", 2, 15, RULE, "deny"),
        ]
    );
}

#[test]
fn ignore_entries_suppress_with_a_reason() {
    let ws = Workspace::with_main(HARDCODED);
    ws.write(
        "fitness.toml",
        "[[ignore]]\npaths = [\"src/**\"]\nreason = \"moves to the environment next sprint\"\n",
    );
    let out = ws.check(&["--color", "never"]);
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("0 errors, 0 warnings in 3 files (1 suppressed)"),
        "{}",
        out.stdout
    );
    let json = ws.json(&[]);
    json.expect_code(0);
    assert_eq!(json.json()["summary"]["suppressed"], 1);
    assert!(json.findings().is_empty(), "{}", json.stdout);

    // Restricted to rules, with an expiry in the future.
    ws.write(
        "fitness.toml",
        format!(
            "[[ignore]]\nrules = [\"{RULE}\"]\npaths = [\"src/main.rs\"]\nreason = \"legacy\"\nexpires = \"2999-12-31\"\n"
        ),
    );
    let out = ws.check(&["--format", "concise"]);
    out.expect_code(0);
    assert!(out.stdout.contains("(1 suppressed)"), "{}", out.stdout);

    // Other rules and paths are not covered.
    ws.write(
        "fitness.toml",
        "[[ignore]]\nrules = [\"log-to-file\"]\npaths = [\"src/**\"]\nreason = \"legacy\"\n",
    );
    let out = ws.json(&[]);
    out.expect_code(1);
    assert_eq!(out.of_rule(RULE).len(), 1, "{}", out.stdout);
}

#[test]
fn an_ignore_entry_that_matches_nothing_is_reported() {
    let ws = Workspace::with_main(CLEAN);
    ws.write(
        "fitness.toml",
        "[[ignore]]\npaths = [\"src/**\"]\nreason = \"legacy\"\n",
    );
    let out = ws.json(&[]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("fitness.toml", 1, 1, "unused-suppression", "warn")]
    );
}

#[test]
fn ignore_without_a_reason_is_a_config_error() {
    let ws = Workspace::with_main(HARDCODED);
    for text in [
        "[[ignore]]\npaths = [\"src/**\"]\n",
        "[[ignore]]\npaths = [\"src/**\"]\nreason = \"  \"\n",
    ] {
        ws.write("fitness.toml", text);
        let out = ws.check(&[]);
        out.expect_code(2);
        assert_mentions(&out.stderr, "an `[[ignore]]` entry needs a `reason`");
        assert_mentions(&out.stderr, "fitness.toml:1:1");
    }
}

#[test]
fn an_expired_ignore_entry_stops_suppressing_and_says_so() {
    let ws = Workspace::with_main(HARDCODED);
    ws.write(
        "fitness.toml",
        "# accepted for now\n[[ignore]]\npaths = [\"src/main.rs\"]\nreason = \"legacy\"\nexpires = \"2020-01-31\"\n",
    );
    let out = ws.json(&[]);
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [
            finding("fitness.toml", 2, 1, "unused-suppression", "warn"),
            finding("src/main.rs", 2, 15, RULE, "deny"),
        ]
    );
    let expired = &out.of_rule("unused-suppression")[0];
    let message = expired["message"].as_str().unwrap();
    assert!(message.contains("expired"), "{message}");
    assert!(message.contains("2020-01-31"), "{message}");
    assert_eq!(out.json()["summary"]["suppressed"], 0);

    // Not a date: a config error.
    ws.write(
        "fitness.toml",
        "[[ignore]]\npaths = [\"src/main.rs\"]\nreason = \"legacy\"\nexpires = \"soon\"\n",
    );
    let out = ws.check(&[]);
    out.expect_code(2);
    assert_mentions(&out.stderr, "`soon` is not a date");
    assert_mentions(&out.stderr, "fitness.toml:4:11");
}

#[test]
fn config_flag_reads_another_file() {
    let ws = Workspace::with_main(HARDCODED);
    // fitness.toml is not read when --config names another file.
    ws.write("fitness.toml", "[rules]\nconfig = \"allow\"\n");
    ws.write("other.toml", format!("[rules]\n{RULE} = \"warn\"\n"));
    let out = ws.json(&["--config", "other.toml"]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "warn")]
    );

    // Outside the workspace, by absolute path.
    let elsewhere = Workspace::bare();
    elsewhere.write("strict.toml", format!("[rules]\n{RULE} = \"deny\"\n"));
    let strict = elsewhere.join("strict.toml");
    let out = ws.json(&["--config", strict.to_str().unwrap()]);
    out.expect_code(1);

    let out = ws.check(&["--config", "missing.toml"]);
    out.expect_code(2);
    assert_mentions(&out.stderr, "missing.toml");
}

// ---------------------------------------------------------------------------------------------
// Configuration errors: exit 2, a miette report naming the file and pointing at the key

/// Checks a workspace with `fitness.toml` set to `text`; expects a configuration error.
fn config_error(text: &str) -> Outcome {
    let ws = Workspace::with_main(HARDCODED);
    ws.write("fitness.toml", text);
    let out = ws.check(&[]);
    out.expect_code(2);
    assert!(out.stdout.is_empty(), "nothing is checked: {}", out.stdout);
    assert_mentions(&out.stderr, "fitness::config");
    assert_mentions(&out.stderr, "fitness.toml");
    out
}

#[test]
fn config_error_unknown_top_level_key() {
    let out = config_error("[rulez]\nx = 1\n");
    assert_mentions(&out.stderr, "unknown key `rulez`");
    assert_mentions(&out.stderr, "fitness.toml:1:2");
}

#[test]
fn config_error_unknown_key_in_an_ignore_entry() {
    let out = config_error("[[ignore]]\npaths = [\"src/**\"]\nreasn = \"legacy\"\n");
    assert_mentions(&out.stderr, "unknown key `reasn`");
    assert_mentions(&out.stderr, "fitness.toml:3:1");
}

#[test]
fn config_error_unknown_key_in_an_override() {
    let out = config_error("[[overrides]]\npath = [\"src/**\"]\n");
    assert_mentions(&out.stderr, "unknown key `path`");
    assert_mentions(&out.stderr, "fitness.toml:2:1");
}

#[test]
fn config_error_unknown_rule_id() {
    let out = config_error("[rules]\nhardcoded-backing-servic = \"warn\"\n");
    assert_mentions(
        &out.stderr,
        "unknown rule or category `hardcoded-backing-servic`",
    );
    assert_mentions(&out.stderr, "fitness.toml:2:1");
    assert_mentions(&out.stderr, "not a rule id or category");
}

#[test]
fn config_error_unknown_rule_id_in_overrides_and_ignore() {
    let out = config_error("[[overrides]]\npaths = [\"src/**\"]\nrules = { nope = \"warn\" }\n");
    assert_mentions(&out.stderr, "unknown rule or category `nope`");
    assert_mentions(&out.stderr, "fitness.toml:3:11");
    let out =
        config_error("[[ignore]]\nrules = [\"nope\"]\npaths = [\"src/**\"]\nreason = \"x\"\n");
    assert_mentions(&out.stderr, "unknown rule or category `nope`");
    assert_mentions(&out.stderr, "fitness.toml:2:10");
}

#[test]
fn config_error_bad_level() {
    let out = config_error(&format!("[rules]\n{RULE} = \"error\"\n"));
    assert_mentions(&out.stderr, "unknown level `error`");
    assert_mentions(&out.stderr, "fitness.toml:2:29");
    let out = config_error(&format!("[rules]\n{RULE} = {{ level = \"error\" }}\n"));
    assert_mentions(&out.stderr, "unknown level `error`");
    assert_mentions(&out.stderr, "fitness.toml:2:");
    let out = config_error(&format!("[rules]\n{RULE} = 3\n"));
    assert_mentions(&out.stderr, "fitness.toml:2:29");
}

#[test]
fn config_error_unknown_rule_option() {
    let out = config_error(&format!("[rules]\n{RULE} = {{ bogus = 1 }}\n"));
    assert_mentions(
        &out.stderr,
        "rule `hardcoded-backing-service` has no option `bogus`",
    );
    assert_mentions(&out.stderr, "fitness.toml:2:29");
    // Options belong to rules, not categories.
    let out = config_error("[rules]\nconfig = { report-fallback = false }\n");
    assert_mentions(&out.stderr, "options belong to one rule");
}

#[test]
#[ignore = "bug: an option error in a `[rules.<id>]` table points at the table header, not at the option key"]
fn config_error_unknown_rule_option_in_a_table_points_at_the_key() {
    let out = config_error(&format!(
        "# options\n[rules.{RULE}]\nlevel = \"warn\"\nbogus = 1\n"
    ));
    assert_mentions(&out.stderr, "has no option `bogus`");
    assert_mentions(&out.stderr, "fitness.toml:4:1");
}

#[test]
fn config_error_wrong_option_type() {
    let out = config_error(&format!(
        "[rules]\n{RULE} = {{ report-fallback = \"yes\" }}\n"
    ));
    assert_mentions(
        &out.stderr,
        "option `report-fallback` of rule `hardcoded-backing-service` takes true or false",
    );
    assert_mentions(&out.stderr, "fitness.toml:2:");
}

#[test]
fn config_error_in_cargo_toml_metadata_names_cargo_toml() {
    let ws = Workspace::with_main(HARDCODED);
    ws.append("Cargo.toml", "\n[workspace.metadata.fitness]\nrulez = 1\n");
    let out = ws.check(&[]);
    out.expect_code(2);
    assert_mentions(&out.stderr, "unknown key `rulez`");
    assert_mentions(&out.stderr, "Cargo.toml:9:1");
}

#[test]
fn config_error_in_a_config_flag_file_names_that_file() {
    let ws = Workspace::with_main(HARDCODED);
    ws.write("ci-fitness.toml", "[rules]\nnope = \"deny\"\n");
    let out = ws.check(&["--config", "ci-fitness.toml"]);
    out.expect_code(2);
    assert_mentions(&out.stderr, "ci-fitness.toml:2:1");
    assert_mentions(&out.stderr, "unknown rule or category `nope`");
}

// ---------------------------------------------------------------------------------------------
// Inline suppressions

#[test]
fn inline_suppressions_on_the_line_and_the_line_above() {
    let main = format!(
        "fn main() {{\n    let a = \"postgres://db.internal/app\"; // fitness: ignore[{RULE}] migrating\n    // fitness: ignore[{RULE}] migrating\n    let b = \"redis://cache.internal:6379\";\n    let c = \"amqp://mq.internal:5672\";\n    println!(\"{{a}}{{b}}{{c}}\");\n}}\n"
    );
    let ws = Workspace::with_main(&main);
    let out = ws.json(&[]);
    out.expect_code(1);
    // Only the unsuppressed one on line 5 is left.
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 5, 13, RULE, "deny")]
    );
    assert_eq!(out.json()["summary"]["suppressed"], 2);

    // File-wide.
    ws.write(
        "src/main.rs",
        format!("// fitness: ignore-file[{RULE}] legacy\n{}", serving(&main)),
    );
    let out = ws.json(&[]);
    out.expect_code(0);
    assert!(out.findings().is_empty(), "{}", out.stdout);
}

#[test]
fn an_unused_inline_suppression_is_reported() {
    let main = format!(
        "fn main() {{\n    // fitness: ignore[{RULE}] nothing here any more\n    let port = 8080;\n    println!(\"{{port}}\");\n}}\n"
    );
    let ws = Workspace::with_main(&main);
    let out = ws.json(&[]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 24, "unused-suppression", "warn")]
    );
    let message = out.of_rule("unused-suppression")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains(RULE), "{message}");
}

#[test]
fn an_unknown_rule_in_a_suppression_fails_with_a_suggestion() {
    let main = "fn main() {\n    // fitness: ignore[hardcoded-backing-servise] typo\n    let a = 1;\n    // fitness: ignore[completely-made-up] nonsense\n    let b = 2;\n    println!(\"{a}{b}\");\n}\n";
    let ws = Workspace::with_main(main);
    let out = ws.json(&[]);
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [
            finding("src/main.rs", 2, 24, "unknown-rule", "deny"),
            finding("src/main.rs", 4, 24, "unknown-rule", "deny"),
        ]
    );
    let unknown = out.of_rule("unknown-rule");
    let near = unknown[0]["help"].as_str().unwrap();
    assert!(
        near.contains("did you mean `hardcoded-backing-service`"),
        "{near}"
    );
    let far = unknown[1]["help"].as_str().unwrap();
    assert!(!far.contains("did you mean"), "{far}");

    let human = ws.check(&["--color", "never"]);
    human.expect_code(1);
    assert!(
        human.stdout.contains("fitness::unknown-rule"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("did you mean"), "{}", human.stdout);
}

// ---------------------------------------------------------------------------------------------
// rules and explain

#[test]
fn rules_lists_every_rule_with_category_and_level() {
    let ws = Workspace::bare();
    let out = cli(ws.path(), &["fitness", "rules"]);
    out.expect_code(0);
    for meta in registry::all() {
        let line = out
            .stdout
            .lines()
            .find(|line| line.split_whitespace().next() == Some(meta.id))
            .unwrap_or_else(|| panic!("`{}` is not listed:\n{}", meta.id, out.stdout));
        let columns: Vec<&str> = line.split_whitespace().take(3).collect();
        assert_eq!(
            columns,
            [meta.id, meta.category.name(), meta.default_level.as_str()],
            "{line}"
        );
    }
    assert!(registry::all().iter().any(|meta| meta.id == RULE));
    // Directly, too.
    let direct = cli(ws.path(), &["rules"]);
    direct.expect_code(0);
    assert_eq!(direct.stdout, out.stdout);
}

#[test]
fn rules_as_json_lists_every_rule() {
    let ws = Workspace::bare();
    let out = cli(ws.path(), &["fitness", "rules", "--format", "json"]);
    out.expect_code(0);
    let list = out.json();
    let list = list.as_array().expect("a JSON array");
    let mut ids: Vec<&str> = list
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected: Vec<&str> = registry::all().iter().map(|meta| meta.id).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    for rule in list {
        let meta = registry::find(rule["id"].as_str().unwrap()).unwrap();
        assert_eq!(rule["category"], meta.category.name());
        assert_eq!(rule["default_level"], meta.default_level.as_str());
        assert!(rule["summary"].as_str().is_some_and(|s| !s.is_empty()));
    }
}

#[test]
fn explain_prints_the_rule_documentation() {
    let ws = Workspace::bare();
    let out = cli(ws.path(), &["fitness", "explain", RULE]);
    out.expect_code(0);
    assert!(
        out.stdout.starts_with("# hardcoded-backing-service"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.lines().count() > 5, "{}", out.stdout);
    for meta in registry::all() {
        let out = cli(ws.path(), &["explain", meta.id]);
        out.expect_code(0);
        assert!(
            out.stdout.starts_with(&format!("# {}", meta.id)),
            "{}:\n{}",
            meta.id,
            out.stdout
        );
    }
}

#[test]
fn explain_an_unknown_rule_exits_2() {
    let ws = Workspace::bare();
    let out = cli(ws.path(), &["fitness", "explain", "nope"]);
    out.expect_code(2);
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    cli(ws.path(), &["fitness", "explain"]).expect_code(2);
}

// ---------------------------------------------------------------------------------------------
// init

#[test]
fn init_writes_every_rule_at_its_default_level() {
    let ws = Workspace::with_main(HARDCODED);
    ws.write(
        "src/other.rs",
        "// fitness: ignore[log-to-file] nothing\npub fn f() {}\n",
    );
    let before = ws.json(&[]);
    let elsewhere = Workspace::bare();
    let out = cli(
        elsewhere.path(),
        &["fitness", "init", ws.path().to_str().unwrap()],
    );
    out.expect_code(0);
    assert!(!elsewhere.join("fitness.toml").exists());
    let text = ws.read("fitness.toml");
    let config: toml::Table = toml::from_str(&text)
        .unwrap_or_else(|error| panic!("fitness.toml does not parse: {error}\n{text}"));
    let rules = config["rules"].as_table().expect("a [rules] table");
    for meta in registry::all() {
        assert_eq!(
            rules.get(meta.id).and_then(|level| level.as_str()),
            Some(meta.default_level.as_str()),
            "{}:\n{text}",
            meta.id
        );
    }
    assert_eq!(rules.len(), registry::all().len(), "{text}");
    assert!(
        text.lines().any(|line| line.starts_with('#')),
        "commented: {text}"
    );

    let after = ws.json(&[]);
    assert_eq!(after.code, before.code);
    assert_eq!(after.json(), before.json());
    assert_eq!(after.code, 1);
}

#[test]
fn init_refuses_to_overwrite() {
    let ws = Workspace::with_main(CLEAN);
    cli(ws.path(), &["fitness", "init"]).expect_code(0);
    ws.append("fitness.toml", "# edited by hand\n");
    let edited = ws.read("fitness.toml");
    for args in [&["fitness", "init"][..], &["init", "."]] {
        let out = cli(ws.path(), args);
        out.expect_code(2);
        assert!(out.stderr.contains("already exists"), "{}", out.stderr);
        assert_eq!(ws.read("fitness.toml"), edited);
    }
}

#[test]
fn init_from_a_member_writes_at_the_workspace_root() {
    let ws = Workspace::bare();
    ws.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n",
    )
    .write(
        "crates/api/Cargo.toml",
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .write("crates/api/src/main.rs", serving(CLEAN));
    cli(&ws.join("crates/api/src"), &["fitness", "init"]).expect_code(0);
    assert!(ws.join("fitness.toml").is_file());
    assert!(!ws.join("crates/api/fitness.toml").exists());
}

// ---------------------------------------------------------------------------------------------
// Workspace discovery

/// A workspace of two members, each with one finding.
fn two_members() -> Workspace {
    let ws = Workspace::bare();
    ws.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n",
    )
    .write(
        "crates/api/Cargo.toml",
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .write("crates/api/src/main.rs", serving(HARDCODED))
    .write(
        "crates/worker/Cargo.toml",
        "[package]\nname = \"worker\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .write("crates/worker/src/main.rs", serving(HARDCODED));
    ws
}

#[test]
fn manifest_path_selects_the_workspace() {
    let ws = Workspace::with_main(HARDCODED);
    let elsewhere = Workspace::bare();
    let manifest = ws.join("Cargo.toml");
    let out = cli(
        elsewhere.path(),
        &[
            "fitness",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [finding("src/main.rs", 2, 15, RULE, "deny")]
    );

    // Relative to the current directory, with the check subcommand.
    let members = two_members();
    let out = cli(
        &members.join("crates"),
        &[
            "check",
            "--manifest-path",
            "../Cargo.toml",
            "--format",
            "json",
        ],
    );
    out.expect_code(1);
    assert_eq!(
        out.findings(),
        [
            finding("crates/api/src/main.rs", 2, 15, RULE, "deny"),
            finding("crates/worker/src/main.rs", 2, 15, RULE, "deny"),
        ]
    );
}

#[test]
fn current_directory_inside_a_member_finds_the_workspace_root() {
    let ws = two_members();
    ws.write("fitness.toml", format!("[rules]\n{RULE} = \"warn\"\n"));
    for cwd in ["crates/api", "crates/api/src", "crates/worker"] {
        let out = cli(&ws.join(cwd), &["fitness", "--format", "json"]);
        out.expect_code(0);
        // The whole workspace, paths from its root, its fitness.toml applied.
        assert_eq!(
            out.findings(),
            [
                finding("crates/api/src/main.rs", 2, 15, RULE, "warn"),
                finding("crates/worker/src/main.rs", 2, 15, RULE, "warn"),
            ],
            "from {cwd}"
        );
    }
    // A path inside a member finds the same root (its fitness.toml applies, paths are from the
    // root) and limits the run to that path.
    let out = cli(ws.path(), &["crates/api/src", "--format", "json"]);
    out.expect_code(0);
    assert_eq!(
        out.findings(),
        [finding("crates/api/src/main.rs", 2, 15, RULE, "warn")]
    );
}

#[test]
fn a_directory_that_is_not_a_cargo_workspace_is_checked() {
    let ws = Workspace::bare();
    assert!(
        !ws.path()
            .ancestors()
            .any(|dir| dir.join("Cargo.toml").is_file()),
        "the temporary directory {} is inside a Cargo workspace; set TMPDIR elsewhere",
        ws.path().display()
    );
    ws.write(
        "Dockerfile",
        "FROM rust:1.85\n# fitness: ignore[hardcoded-backing-service] nothing to suppress\nCMD [\"/app\"]\n",
    )
    .write("deploy/app.yaml", "apiVersion: v1\nkind: Service\n")
    .write(".env", "PORT=8080\n");
    let out = cli(ws.path(), &["fitness", "--format", "json"]);
    out.expect_code(0);
    assert_eq!(out.json()["summary"]["files"], 3, "{}", out.stdout);
    // The Dockerfile was read: its stale suppression is reported.
    assert_eq!(
        out.findings(),
        [finding("Dockerfile", 2, 19, "unused-suppression", "warn")]
    );
    assert!(
        !out.stderr.contains("cargo metadata"),
        "no cargo without a Cargo.toml: {}",
        out.stderr
    );
    // By path, from elsewhere.
    let elsewhere = Workspace::bare();
    let out = cli(
        elsewhere.path(),
        &["fitness", "check", ws.path().to_str().unwrap()],
    );
    out.expect_code(0);
}

/// `-A <rule>` for every rule these tests do not probe: the tests are about the command line
/// and configuration, with `RULE` and the meta rules as the probes.
fn other_rules_off() -> Vec<&'static str> {
    registry::all()
        .iter()
        .filter(|meta| meta.id != RULE && meta.category.name() != "meta")
        .flat_map(|meta| ["-A", meta.id])
        .collect()
}

/// Runs the binary in `cwd` with `args`; a check runs with only `RULE` and the meta rules on.
fn cli(cwd: &Path, args: &[&str]) -> Outcome {
    const OTHER_COMMANDS: &[&str] = &[
        "rules",
        "explain",
        "init",
        "baseline",
        "lsp",
        "--help",
        "-h",
        "--version",
        "-V",
    ];
    let mut all = args.to_vec();
    if !args.iter().any(|arg| OTHER_COMMANDS.contains(arg)) {
        all.extend(other_rules_off());
    }
    support::process::cli(cwd, &all)
}
