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

/// `count` copies of `line`: a big file without a slow loop in a debug build.
fn repeated(line: &str, count: usize) -> String {
    line.repeat(count)
}

/// The `help` of the one `parse-error` finding of `path`.
fn parse_error_help(out: &Outcome, path: &str) -> String {
    let json = out.json();
    let found: Vec<&Value> = json["findings"]
        .as_array()
        .expect("`findings` is an array")
        .iter()
        .filter(|f| f["path"] == path && f["rule"] == "parse-error")
        .collect();
    assert_eq!(found.len(), 1, "{}", out.stdout);
    found[0]["help"].as_str().expect("a help text").to_string()
}

#[test]
fn a_50_mib_yaml_file_is_reported_not_read() {
    let ws = Workspace::new();
    // 50 MiB of a valid Kubernetes-looking manifest; past the default limit of 10 MiB it is not
    // read at all (checking it would take seconds and over a GiB of memory).
    let line = "    app.kubernetes.io/part-of: shop\n";
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n{}",
        repeated(line, 50 * 1024 * 1024 / line.len())
    );
    ws.write("deploy/huge.yaml", &big);
    let out = ws.check();
    out.assert_rest_checked();
    let error = out.parse_error("deploy/huge.yaml");
    assert_eq!((error.line, error.column), (1, 1), "{error:?}");
    assert!(
        error.message.contains("50.0 MiB, over the 10 MiB limit"),
        "{}",
        error.message
    );
    // It says how to check it after all, and how to silence it.
    let help = parse_error_help(&out, "deploy/huge.yaml");
    assert!(help.contains("max-file-mib"), "{help}");
    assert!(help.contains("exclude"), "{help}");
    assert_eq!(out.in_file("deploy/huge.yaml").len(), 1, "{}", out.stdout);
}

#[test]
fn the_size_limit_is_configurable() {
    // A file of 1.5 MiB with one finding at its end, and one of 0.5 MiB.
    let padding = "# padding\n";
    let tail = "# fitness: ignore[hardcoded-backing-servise] typo\nname: app\n";
    let big = format!(
        "{}{tail}",
        repeated(padding, 3 * 1024 * 1024 / 2 / padding.len())
    );
    let small = format!(
        "{}{tail}",
        repeated(padding, 1024 * 1024 / 2 / padding.len())
    );
    let big_line = big.lines().count() as u64 - 1;
    let small_line = small.lines().count() as u64 - 1;
    let unknown_rule_at = |out: &Outcome, path: &str| -> Vec<(u64, u64)> {
        out.in_file(path)
            .into_iter()
            .filter(|f| f.rule == "unknown-rule")
            .map(|f| (f.line, f.column))
            .collect()
    };

    let ws = Workspace::new();
    ws.write("deploy/big.yaml", &big)
        .write("deploy/small.yaml", &small)
        .write("fitness.toml", "max-file-mib = 1\n");
    let out = ws.check();
    out.assert_rest_checked();
    let error = out.parse_error("deploy/big.yaml");
    assert!(
        error.message.contains("1.5 MiB, over the 1 MiB limit"),
        "{}",
        error.message
    );
    assert_eq!(out.in_file("deploy/big.yaml").len(), 1, "{}", out.stdout);
    assert_eq!(
        unknown_rule_at(&out, "deploy/small.yaml"),
        [(small_line, 19)]
    );

    // Raised above its size, the big file is checked like any other.
    ws.write("fitness.toml", "max-file-mib = 2\n");
    let out = ws.check();
    out.assert_rest_checked();
    assert_eq!(unknown_rule_at(&out, "deploy/big.yaml"), [(big_line, 19)]);
    assert_eq!(out.in_file("deploy/big.yaml").len(), 1, "{}", out.stdout);

    // A limit that is not a positive whole number is a configuration error.
    for bad in ["0", "-1", "\"10 MiB\"", "1.5"] {
        ws.write("fitness.toml", format!("max-file-mib = {bad}\n"));
        let out = ws.check();
        assert_eq!(out.code, 2, "max-file-mib = {bad}\n{}", out.stderr);
        assert!(out.stderr.contains("max-file-mib"), "{}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

/// The check run by a user whom file permissions apply to. Root reads files whatever their
/// permissions, so as root the binary runs as `nobody` (through `setpriv`); `None` when that
/// cannot be done here.
#[cfg(unix)]
fn check_without_privileges(ws: &Workspace) -> Option<Outcome> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    let is_root = std::fs::metadata("/proc/self").is_ok_and(|proc| proc.uid() == 0);
    if !is_root {
        return Some(ws.check());
    }
    // `nobody` must be able to enter the workspace (a temporary directory is private).
    std::fs::set_permissions(ws.path(), std::fs::Permissions::from_mode(0o755)).ok()?;
    let binary = env!("CARGO_BIN_EXE_cargo-fitness");
    let setpriv = |command: &mut Command| {
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]);
    };
    let mut probe = Command::new("setpriv");
    setpriv(&mut probe);
    let usable = probe
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !usable {
        return None;
    }
    let mut command = Command::new("setpriv");
    setpriv(&mut command);
    command
        .args(["fitness", "check", ".", "--format", "json"])
        .current_dir(ws.path())
        .env("NO_COLOR", "1");
    Some(run(command))
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_reported() {
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
    let out = check_without_privileges(&ws);
    // Restore before asserting, so the directory can be removed whatever happens.
    for path in &locked {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let Some(out) = out else {
        eprintln!(
            "skipped: running as root, where permissions do not stop reading, and `setpriv` \
             cannot run the binary as `nobody` here"
        );
        return;
    };
    out.assert_rest_checked();
    for path in ["src/secret.rs", "deploy/secret.yaml"] {
        let error = out.parse_error(path);
        assert!(
            error.message.contains("file not checked") && error.message.contains("ermission"),
            "{path}: {}",
            error.message
        );
        assert_eq!(out.in_file(path).len(), 1, "{}", out.stdout);
    }
    assert!(
        out.stderr
            .lines()
            .any(|line| line.starts_with("warning:") && line.contains("locked")),
        "an unreadable directory gets a warning:\n{}",
        out.stderr
    );
    assert!(out.in_file("locked/app.yaml").is_empty(), "{}", out.stdout);
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
    // Block style nests as deeply: `- - - … x` on one line, and mappings in flow style.
    ws.write("deploy/block.yaml", format!("{}x\n", "- ".repeat(depth)));
    ws.write(
        "deploy/maps.yaml",
        format!("a: {}x{}\n", "{b: ".repeat(depth), "}".repeat(depth)),
    );
    let out = ws.check();
    out.assert_rest_checked();
    out.parse_error("deploy/deep.yaml");
    out.parse_error("tools/deep/Cargo.toml");
    let error = out.parse_error("deploy/block.yaml");
    assert!(
        error.message.contains("nesting deeper than 256 levels"),
        "{error:?}"
    );
    // At the `-` that opens level 257.
    assert_eq!((error.line, error.column), (1, 2 * 256 + 1), "{error:?}");
    out.parse_error("deploy/maps.yaml");
    for path in ["deploy/deep.yaml", "deploy/block.yaml", "deploy/maps.yaml"] {
        let help = parse_error_help(&out, path);
        assert!(help.contains("nests too deeply"), "{path}: {help}");
    }
}

#[test]
fn a_deeply_nested_fitness_toml_is_a_configuration_error() {
    let ws = Workspace::new();
    let depth = 100_000;
    ws.write(
        "fitness.toml",
        format!("exclude = {}{}\n", "[".repeat(depth), "]".repeat(depth)),
    );
    let out = ws.check();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(out.stderr.contains("fitness.toml"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn a_billion_laughs_yaml_is_a_parse_error_after_the_documents_before_it() {
    // Each anchor holds nine aliases of the one before: 9^13 nodes if expanded. The document
    // before it is checked: its `latest` image is reported.
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..=12 {
        let alias = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![alias; 9].join(", ")));
    }
    let ws = Workspace::new();
    ws.write(
        "deploy/app.yaml",
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:latest\n---\n{bomb}"
        ),
    );
    // Aliases in a compose file go through the same loader.
    ws.write(
        "compose.yaml",
        format!(
            "services:\n  app:\n    image: app:1\nx-bomb:\n{}",
            bomb.lines().map(|l| format!("  {l}\n")).collect::<String>()
        ),
    );
    let out = ws.check();
    out.assert_rest_checked();
    let error = out.parse_error("deploy/app.yaml");
    assert!(
        error.message.contains("expand to more than 1000000 nodes"),
        "{error:?}"
    );
    // At the first alias past the limit: the copies made for `a0` to `a5` (line 18) add up to
    // more than a million nodes.
    assert_eq!((error.line, error.column), (18, 9), "{error:?}");
    let help = parse_error_help(&out, "deploy/app.yaml");
    assert!(help.contains("billion-laughs"), "{help}");
    assert!(
        out.in_file("deploy/app.yaml")
            .iter()
            .any(|f| f.rule == "unpinned-image" && (f.line, f.column) == (11, 20)),
        "the document before the bomb was not checked:\n{}",
        out.stdout
    );
    let error = out.parse_error("compose.yaml");
    assert!(error.message.contains("expand"), "{error:?}");
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

    // A long flat chain of operators, prefixes or `else if`s nests the syntax tree as deeply,
    // without brackets: up to 5,000 levels it is checked, past that it is a parse error at the
    // operator that goes too deep (at 400,000 levels the parser overflowed even a 256 MiB stack).
    let ws = Workspace::new();
    ws.write(
        "src/checked.rs",
        format!("pub fn f() -> i32 {{ 1{} }}\n", " + 1".repeat(4_000)),
    );
    let chains = [
        (
            "src/sum.rs",
            format!("pub fn f() -> i32 {{ 1{} }}\n", " + 1".repeat(400_000)),
        ),
        (
            "src/refs.rs",
            format!("pub fn f(_: {}u8) {{}}\n", "&".repeat(400_000)),
        ),
        (
            "src/returns.rs",
            format!("pub fn f() {{ {}1; }}\n", "return ".repeat(400_000)),
        ),
        (
            "src/branches.rs",
            format!(
                "pub fn f(a: bool) {{ if a {{}} {}}}\n",
                "else if a {} ".repeat(10_000)
            ),
        ),
    ];
    for (path, text) in &chains {
        ws.write(path, text);
    }
    let out = ws.check();
    out.assert_rest_checked();
    assert!(out.in_file("src/checked.rs").is_empty(), "{}", out.stdout);
    for (path, text) in &chains {
        let error = out.parse_error(path);
        assert!(
            error.message.contains("chained deeper than 5000"),
            "{error:?}"
        );
        assert_eq!(error.line, 1);
        let operator = text.as_bytes()[error.column as usize - 1];
        assert!(b"+&re{".contains(&operator), "{path}: {error:?}");
    }
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
fn a_cargo_toml_that_cargo_rejects_is_left_to_cargo() {
    // Valid TOML that cargo refuses: an edition that does not exist, and a member without a
    // name. That is cargo's to report: a warning with cargo's reason, no finding, and the
    // packages guessed from the file tree.
    let ws = Workspace::bare();
    ws.write(
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2099\"\n\n[workspace]\nmembers = [\"crates/*\"]\n",
    )
    .write("src/main.rs", HARDCODED)
    .write(
        "crates/worker/Cargo.toml",
        "[package]\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .write("crates/worker/src/main.rs", HARDCODED)
    .write(
        "tests/it.rs",
        "#[test]\nfn t() {\n    let _ = \"postgres://localhost/test\";\n}\n",
    );
    let out = ws.check();
    out.assert_rest_checked();
    out.assert_rest_checked_at("crates/worker/src/main.rs");
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|line| line.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(
        warnings[0].contains("cargo metadata failed") && warnings[0].contains("2099"),
        "{}",
        warnings[0]
    );
    for path in ["Cargo.toml", "crates/worker/Cargo.toml"] {
        assert!(
            !out.in_file(path).iter().any(|f| f.rule == "parse-error"),
            "{path}:\n{}",
            out.stdout
        );
    }
    // Test code stays test code when packages are guessed.
    assert!(out.in_file("tests/it.rs").is_empty(), "{}", out.stdout);
}

#[test]
fn ten_thousand_empty_files() {
    // Empty Rust files in a module directory, and empty manifests, .env files and Dockerfiles:
    // nothing to report in them, and the run stays linear (before a fix, the call graph kept a
    // set of every file per file: minutes and gigabytes at this size).
    let ws = Workspace::new();
    let mut written = 0;
    for dir in 0..10 {
        for file in 0..700 {
            ws.write(&format!("src/generated/m{dir}/f{file}.rs"), "");
            written += 1;
        }
        for file in 0..250 {
            ws.write(&format!("deploy/d{dir}/f{file}.yaml"), "");
            written += 1;
        }
        for file in 0..25 {
            ws.write(&format!("env/e{dir}/{file}.env"), "");
            ws.write(&format!("docker/d{dir}/{file}.Dockerfile"), "");
            written += 2;
        }
    }
    assert_eq!(written, 10_000);
    let out = ws.check();
    out.assert_rest_checked();
    let json = out.json();
    assert_eq!(json["summary"]["files"], 10_000 + 3, "{}", json["summary"]);
    let elsewhere: Vec<Found> = out
        .findings()
        .into_iter()
        .filter(|f| f.path != "src/main.rs")
        .collect();
    assert!(elsewhere.is_empty(), "{elsewhere:?}");
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
