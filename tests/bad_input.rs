//! Bad input never crashes the tool: each case gives a `parse-error` finding or a warning on
//! stderr, the exit code is 0 or 1 (never 101, never a signal), and the rest of the workspace
//! is still checked — proven by the finding in `src/main.rs` that every case also has.

mod support;

use std::process::Command;

use support::process::{LOCKFILE, MANIFEST, Outcome, Workspace, fitness, run};

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers (the same ones live in tests/cli.rs; each test file is its own crate).

/// `src/main.rs` of a service (it binds a listener; `hardcoded-backing-service` reports only
/// in service code) with one hard-coded PostgreSQL address at 2:15: the proof that the rest of
/// the workspace was checked.
const HARDCODED: &str = "fn main() {\n    let url = \"postgres://db.internal/app\";\n    let _server = std::net::TcpListener::bind(\"0.0.0.0:8080\");\n    println!(\"{url}\");\n}\n";

const RULE: &str = "hardcoded-backing-service";

/// One finding of the JSON output.
#[derive(Debug, Clone, PartialEq)]
struct Found {
    path: String,
    line: u64,
    column: u64,
    rule: String,
    message: String,
}

impl Outcome {
    fn findings(&self) -> Vec<Found> {
        self.json()["findings"]
            .as_array()
            .expect("`findings` is an array")
            .iter()
            .map(|f| Found {
                path: f["path"].as_str().expect("path").to_string(),
                line: f["line"].as_u64().expect("line"),
                column: f["column"].as_u64().expect("column"),
                rule: f["rule"].as_str().expect("rule").to_string(),
                message: f["message"].as_str().expect("message").to_string(),
            })
            .collect()
    }

    /// The findings in one file.
    fn in_file(&self, path: &str) -> Vec<Found> {
        self.findings()
            .into_iter()
            .filter(|f| f.path == path)
            .collect()
    }

    /// The one `parse-error` finding of `path`.
    #[track_caller]
    fn parse_error(&self, path: &str) -> Found {
        let found: Vec<Found> = self
            .in_file(path)
            .into_iter()
            .filter(|f| f.rule == "parse-error")
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one parse-error in {path}:\n{}",
            self.stdout
        );
        found[0].clone()
    }

    /// No crash: exit 0 or 1, no panic message.
    #[track_caller]
    fn assert_survived(&self) -> &Self {
        assert!(
            matches!(self.code, 0 | 1),
            "exit code {} (expected 0 or 1)\nstdout:\n{}\nstderr:\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "a panic:\n{}",
            self.stderr
        );
        self
    }

    /// The finding in `src/main.rs` is there, so the run went on past the bad file.
    #[track_caller]
    fn assert_rest_checked(&self) -> &Self {
        self.assert_rest_checked_at("src/main.rs")
    }

    #[track_caller]
    fn assert_rest_checked_at(&self, main: &str) -> &Self {
        self.assert_survived();
        assert!(
            self.findings()
                .iter()
                .any(|f| f.path == main && f.rule == RULE && (f.line, f.column) == (2, 15)),
            "the finding in {main} is missing:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert_eq!(self.code, 1, "the finding in {main} is a deny");
        self
    }
}

impl Workspace {
    /// A one-package workspace whose `src/main.rs` has one finding.
    fn new() -> Workspace {
        let workspace = Workspace::bare();
        workspace
            .write("Cargo.toml", MANIFEST)
            .write("Cargo.lock", LOCKFILE)
            .write("src/main.rs", HARDCODED);
        workspace
    }

    /// `cargo-fitness fitness check . --format json` from the root.
    fn check(&self) -> Outcome {
        let mut command = fitness(self.path());
        command.args(["fitness", "check", ".", "--format", "json"]);
        run(command)
    }
}

// ---------------------------------------------------------------------------------------------
// Unreadable content

#[test]
fn non_utf8_rust_file_is_a_parse_error_at_the_first_invalid_byte() {
    let ws = Workspace::new();
    ws.write(
        "src/latin1.rs",
        b"fn a() {}\n\n// caf\xe9 au lait\nfn b() {}\n",
    );
    ws.write("deploy/app.yaml", b"name: app\nlabel: \xff\xfe\n");
    let out = ws.check();
    out.assert_rest_checked();
    let error = out.parse_error("src/latin1.rs");
    assert_eq!((error.line, error.column), (3, 7), "{error:?}");
    assert!(error.message.contains("UTF-8"), "{}", error.message);
    let error = out.parse_error("deploy/app.yaml");
    assert_eq!((error.line, error.column), (2, 8), "{error:?}");
    // Nothing else is reported about these files.
    assert_eq!(out.in_file("src/latin1.rs").len(), 1);
}

#[test]
fn binary_files_are_a_parse_error() {
    let ws = Workspace::new();
    ws.write("Dockerfile", b"FROM rust:1.85\n\0\0\x01\x02ELF\0");
    ws.write("deploy/x.yaml", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    ws.write("src/blob.rs", b"fn main() {}\0\0\0");
    let out = ws.check();
    out.assert_rest_checked();
    for path in ["Dockerfile", "deploy/x.yaml", "src/blob.rs"] {
        let error = out.parse_error(path);
        assert!(
            error.message.contains("looks binary"),
            "{path}: {}",
            error.message
        );
        assert_eq!((error.line, error.column), (1, 1), "{path}");
    }
}

#[test]
fn a_file_over_10_mib_is_a_parse_error() {
    let ws = Workspace::new();
    let line = b"key: value\n";
    let size = 10 * 1024 * 1024 + 1;
    let big: Vec<u8> = line.iter().copied().cycle().take(size).collect();
    ws.write("big.yaml", &big);
    let out = ws.check();
    out.assert_rest_checked();
    let error = out.parse_error("big.yaml");
    assert!(error.message.contains("10 MiB"), "{}", error.message);
    assert!(error.message.contains("limit"), "{}", error.message);
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_a_parse_error() {
    use std::os::unix::fs::PermissionsExt;

    let ws = Workspace::new();
    ws.write("src/secret.rs", "pub const X: u8 = 1;\n");
    ws.write("deploy/secret.yaml", "password: x\n");
    ws.write("locked/app.yaml", "name: app\n");
    let locked = [
        ws.join("src/secret.rs"),
        ws.join("deploy/secret.yaml"),
        ws.join("locked"),
    ];
    for path in &locked {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let out = ws.check();
    // Restore before asserting, so the directory can be removed whatever happens.
    let still_readable = std::fs::read(ws.join("src/secret.rs")).is_ok();
    for path in &locked {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    out.assert_rest_checked();
    if still_readable {
        // Running as root: permissions do not stop reading; only the no-crash part applies.
        eprintln!("files stay readable (running as root?): skipping the parse-error assertions");
        return;
    }
    for path in ["src/secret.rs", "deploy/secret.yaml"] {
        let error = out.parse_error(path);
        assert!(
            error.message.contains("file not checked"),
            "{path}: {}",
            error.message
        );
    }
    assert!(
        out.stderr.contains("locked"),
        "an unreadable directory gets a warning:\n{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// The file tree

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang_or_crash() {
    let ws = Workspace::new();
    ws.symlink("a.yaml", "b.yaml")
        .symlink("b.yaml", "a.yaml")
        .symlink("src/self.rs", "self.rs")
        .symlink("deploy/Dockerfile", "../deploy/Dockerfile");
    let out = ws.check();
    out.assert_rest_checked();
}

#[cfg(unix)]
#[test]
fn symlinks_to_a_directory_cycle_do_not_hang_or_crash() {
    let ws = Workspace::new();
    ws.write("deploy/app.yaml", "name: app\n")
        .symlink("deploy/up", "..")
        .symlink("deploy/here", ".")
        .symlink("src/nested/root", "../../")
        .symlink("ring/a/to-b", "../b")
        .symlink("ring/b/to-a", "../a");
    let out = ws.check();
    out.assert_rest_checked();
    // Each real file once, under its real path.
    assert_eq!(
        out.findings().iter().filter(|f| f.rule == RULE).count(),
        1,
        "{}",
        out.stdout
    );
}

#[cfg(unix)]
#[test]
fn a_named_pipe_does_not_block_the_run() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.join("deploy")).unwrap();
    let made = Command::new("mkfifo")
        .arg(ws.join("deploy/pipe.yaml"))
        .status()
        .is_ok_and(|status| status.success());
    if !made {
        eprintln!("mkfifo is not available: skipping");
        return;
    }
    let out = ws.check();
    out.assert_rest_checked();
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_does_not_crash() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let ws = Workspace::new();
    let name = OsStr::from_bytes(b"caf\xe9.rs");
    if std::fs::write(ws.join("src").join(name), "pub fn f() {}\n").is_err() {
        eprintln!("the file system refuses non-UTF-8 names: skipping");
        return;
    }
    let dir = OsStr::from_bytes(b"d\xe9ploy");
    std::fs::create_dir_all(ws.path().join(dir)).unwrap();
    std::fs::write(ws.path().join(dir).join("app.yaml"), "name: app\n").unwrap();
    let out = ws.check();
    out.assert_rest_checked();
}

// ---------------------------------------------------------------------------------------------
// Files that do not parse

#[test]
fn a_rust_syntax_error_is_a_parse_error_at_its_line() {
    let ws = Workspace::new();
    ws.write(
        "src/broken.rs",
        "pub fn ok() {}\n\npub fn broken() {\n    let x = ;\n}\n",
    );
    ws.write("src/unclosed.rs", "pub fn f() {\n    let _ = (1, 2;\n");
    let out = ws.check();
    out.assert_rest_checked();
    let error = out.parse_error("src/broken.rs");
    assert_eq!((error.line, error.column), (4, 13), "{error:?}");
    assert!(error.message.contains("syntax error"), "{}", error.message);
    let error = out.parse_error("src/unclosed.rs");
    assert!((1..=3).contains(&error.line), "{error:?}");
}

#[test]
fn deeply_nested_yaml_and_toml_are_parse_errors() {
    let depth = 100_000;
    let ws = Workspace::new();
    ws.write(
        "deploy/deep.yaml",
        format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
    );
    ws.write(
        "tools/deep/Cargo.toml",
        format!(
            "[package]\nname = \"deep\"\nversion = \"0.1.0\"\n\n[package.metadata]\nx = {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    );
    let out = ws.check();
    out.assert_rest_checked();
    out.parse_error("deploy/deep.yaml");
    out.parse_error("tools/deep/Cargo.toml");
}

#[test]
fn a_deeply_nested_rust_expression_does_not_crash() {
    let depth = 5_000;
    let ws = Workspace::new();
    ws.write(
        "src/generated.rs",
        format!(
            "pub fn f() -> i32 {{ {}1{} }}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        ),
    );
    let out = ws.check();
    out.assert_rest_checked();

    // Past the nesting limit: a parse error at the bracket that goes too deep.
    let ws = Workspace::new();
    ws.write(
        "src/generated.rs",
        format!(
            "pub fn f() -> i32 {{ {}1{} }}\n",
            "(".repeat(100_000),
            ")".repeat(100_000)
        ),
    );
    let out = ws.check();
    out.assert_rest_checked();
    let error = out.parse_error("src/generated.rs");
    assert!(error.message.contains("nesting deeper than"), "{error:?}");

    // A long flat chain of operators nests the syntax tree as deeply.
    let ws = Workspace::new();
    ws.write(
        "src/generated.rs",
        format!("pub fn f() -> i32 {{ 1{} }}\n", " + 1".repeat(20_000)),
    );
    ws.check().assert_rest_checked();
}

#[test]
fn a_broken_member_cargo_toml_is_a_parse_error() {
    let ws = Workspace::bare();
    ws.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n",
    )
    .write(
        "crates/api/Cargo.toml",
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .write("crates/api/src/main.rs", HARDCODED)
    // Test code stays test code when packages are guessed from the file tree.
    .write(
        "crates/api/tests/it.rs",
        "#[test]\nfn t() {\n    let _ = \"postgres://localhost/test\";\n}\n",
    )
    .write(
        "crates/bad/Cargo.toml",
        "[package]\nname = \"bad\"\nversion = \"0.1.0\nedition = \"2021\"\n",
    )
    .write("crates/bad/src/main.rs", "fn main() {}\n");
    let out = ws.check();
    out.assert_rest_checked_at("crates/api/src/main.rs");
    let error = out.parse_error("crates/bad/Cargo.toml");
    assert_eq!(error.line, 3, "{error:?}");
    for line in out.stderr.lines() {
        assert!(
            !line.starts_with("warning:") || line.contains("cargo metadata"),
            "unexpected warning: {line}"
        );
    }
    assert!(
        out.in_file("crates/api/tests/it.rs").is_empty(),
        "test code reported:\n{}",
        out.stdout
    );
}

#[test]
fn a_broken_root_cargo_toml_is_a_parse_error() {
    let ws = Workspace::bare();
    ws.write(
        "Cargo.toml",
        "[package]\nname = \"svc\nversion = \"0.1.0\"\n\n[workspace]\n",
    )
    .write("src/main.rs", HARDCODED);
    let out = ws.check();
    out.assert_rest_checked();
    assert_eq!(out.parse_error("Cargo.toml").line, 2);
}

#[test]
fn a_binary_root_cargo_toml_is_a_parse_error() {
    let ws = Workspace::bare();
    ws.write(
        "Cargo.toml",
        b"[package]\nname = \"svc\"\0\n\n[workspace]\n",
    )
    .write("src/main.rs", HARDCODED);
    let out = ws.check();
    out.assert_rest_checked();
    out.parse_error("Cargo.toml");
}

#[test]
fn a_non_utf8_root_cargo_toml_is_a_parse_error() {
    let ws = Workspace::bare();
    ws.write(
        "Cargo.toml",
        b"[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n# caf\xe9\n\n[workspace]\n",
    )
    .write("src/main.rs", HARDCODED);
    let out = ws.check();
    out.assert_rest_checked();
    assert_eq!(out.parse_error("Cargo.toml").line, 5);
}

#[test]
fn cargo_missing_from_path_is_a_warning() {
    let ws = Workspace::new();
    ws.write(
        "tests/it.rs",
        "#[test]\nfn t() {\n    let _ = \"postgres://localhost/test\";\n}\n",
    );
    let mut command = fitness(ws.path());
    command
        .args(["fitness", "check", ".", "--format", "json"])
        .env("PATH", "")
        .env_remove("CARGO");
    let out = run(command);
    out.assert_rest_checked();
    assert!(
        out.stderr
            .lines()
            .any(|line| line.starts_with("warning:") && line.contains("cargo metadata failed")),
        "no warning about cargo metadata:\n{}",
        out.stderr
    );
    assert!(
        out.in_file("tests/it.rs").is_empty(),
        "test code reported:\n{}",
        out.stdout
    );
    // The warning goes to stderr only; stdout stays one JSON document.
    assert!(!out.stdout.contains("cargo metadata"));
}

// ---------------------------------------------------------------------------------------------
// Positions in unusual text

#[test]
fn empty_files_are_fine() {
    let ws = Workspace::new();
    for path in [
        "src/empty.rs",
        "Dockerfile",
        "deploy/empty.yaml",
        ".env",
        "Procfile",
    ] {
        ws.write(path, "");
    }
    ws.write("src/bom_only.rs", "\u{feff}");
    ws.write("crates/empty/Cargo.toml", "");
    let out = ws.check();
    out.assert_rest_checked();
    let others: Vec<Found> = out
        .findings()
        .into_iter()
        .filter(|f| f.path != "src/main.rs" && f.path != "crates/empty/Cargo.toml")
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

#[test]
fn crlf_files_report_the_right_lines_and_columns() {
    let ws = Workspace::new();
    ws.write(
        "src/crlf.rs",
        "pub fn f() {\r\n    let a = \"amqp://mq.internal:5672\";\r\n    // fitness: ignore[hardcoded-backing-service] legacy\r\n    let b = \"amqp://mq.internal:5672\";\r\n\r\n    let c = \"redis://cache.internal:6379\";\r\n    let _ = (a, b, c);\r\n}\r\n",
    );
    ws.write(
        "src/crlf_broken.rs",
        "pub fn f() {\r\n\r\n    let x = ;\r\n}\r\n",
    );
    ws.write(
        "deploy/app.yaml",
        "name: app\r\n\r\n# fitness: ignore[hardcoded-backing-servise] typo\r\nport: 8080\r\n",
    );
    let out = ws.check();
    out.assert_rest_checked();
    let json = out.json();
    let crlf: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "src/crlf.rs")
        .collect();
    let positions: Vec<(u64, u64, u64, u64)> = crlf
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["end_line"].as_u64().unwrap(),
                f["end_column"].as_u64().unwrap(),
            )
        })
        .collect();
    // `"amqp://mq.internal:5672"` is 25 characters, `"redis://cache.internal:6379"` 29;
    // the one on line 4 is suppressed by the comment above it.
    assert_eq!(
        positions,
        [(2, 13, 2, 38), (6, 13, 6, 42)],
        "{}",
        out.stdout
    );
    assert_eq!(json["summary"]["suppressed"], 1);
    let error = out.parse_error("src/crlf_broken.rs");
    assert_eq!((error.line, error.column), (3, 13), "{error:?}");
    let unknown: Vec<Found> = out
        .in_file("deploy/app.yaml")
        .into_iter()
        .filter(|f| f.rule == "unknown-rule")
        .collect();
    assert_eq!(unknown.len(), 1, "{}", out.stdout);
    assert_eq!((unknown[0].line, unknown[0].column), (3, 19));
}

#[test]
fn a_bom_does_not_shift_later_lines() {
    let ws = Workspace::new();
    ws.write(
        "src/bom.rs",
        "\u{feff}// generated\npub const URL: &str = \"postgres://db.internal/app\";\n",
    );
    ws.write(
        "src/bom_crlf.rs",
        "\u{feff}pub fn f() {}\r\npub const URL: &str = \"postgres://db.internal/app\";\r\n",
    );
    let out = ws.check();
    out.assert_rest_checked();
    for path in ["src/bom.rs", "src/bom_crlf.rs"] {
        let found = out.in_file(path);
        assert_eq!(found.len(), 1, "{path}: {}", out.stdout);
        assert_eq!((found[0].line, found[0].column), (2, 23), "{path}");
    }
}

#[test]
fn a_bom_does_not_shift_columns_on_line_1() {
    let ws = Workspace::new();
    ws.write(
        "src/bom.rs",
        "\u{feff}pub const URL: &str = \"postgres://db.internal/app\";\n",
    );
    ws.write("src/bom_broken.rs", "\u{feff}pub fn f() { let x = ; }\n");
    ws.write(
        "deploy/app.yaml",
        "\u{feff}# fitness: ignore[hardcoded-backing-servise] typo\nname: app\n",
    );
    let out = ws.check();
    out.assert_rest_checked();
    let found = out.in_file("src/bom.rs");
    assert_eq!(found.len(), 1, "{}", out.stdout);
    assert_eq!((found[0].line, found[0].column), (1, 23));
    let error = out.parse_error("src/bom_broken.rs");
    assert_eq!((error.line, error.column), (1, 22));
    let unknown = out.in_file("deploy/app.yaml");
    assert_eq!(unknown.len(), 1, "{}", out.stdout);
    assert_eq!((unknown[0].line, unknown[0].column), (1, 19));
}

#[test]
fn a_bom_does_not_break_a_suppression_on_line_1() {
    let ws = Workspace::new();
    ws.write(
        "src/bom.rs",
        "\u{feff}// fitness: ignore[hardcoded-backing-service] legacy\npub const URL: &str = \"postgres://db.internal/app\";\n",
    );
    ws.write(
        "Dockerfile",
        "\u{feff}# fitness: ignore[hardcoded-backing-servise] typo\nFROM rust:1.85\n",
    );
    let out = ws.check();
    out.assert_rest_checked();
    assert!(
        out.in_file("src/bom.rs").is_empty(),
        "the suppression above line 2 did not apply:\n{}",
        out.stdout
    );
    let unknown: Vec<_> = out
        .in_file("Dockerfile")
        .into_iter()
        .filter(|f| f.rule == "unknown-rule")
        .collect();
    assert_eq!(unknown.len(), 1, "{}", out.stdout);
    assert_eq!((unknown[0].line, unknown[0].column), (1, 19));
}
