//! Properties that hold for any input: spans lie inside their file on character boundaries,
//! output does not depend on runs or thread counts, and suppressing a finding by its printed
//! rule id at its printed line removes it.

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use cargo_fitness::config::Config;
use cargo_fitness::diagnostic::Finding;
use cargo_fitness::source::rust::CodeRole;
use cargo_fitness::source::{FileKind, SourceFile};
use cargo_fitness::{engine, registry};
use proptest::prelude::*;

/// Lines a service's `main` might hold: findings of several rules, and code that looks like
/// them but is fine.
const LINES: &[&str] = &[
    "let db = \"postgres://orders:pw@db.internal/orders\";",
    "let cache = redis::Client::open(\"redis://cache:6379\");",
    "let url = std::env::var(\"DATABASE_URL\").unwrap_or_else(|_| \"postgres://localhost/dev\".into());",
    "let required = std::env::var(\"INVENTORY_URL\").expect(\"INVENTORY_URL\");",
    "let client = reqwest::Client::builder().danger_accept_invalid_certs(true).build();",
    "let appender = tracing_appender::rolling::daily(\"/var/log\", \"app.log\");",
    "println!(\"started {}\", \"ok\");",
    "let public = \"https://api.github.com/repos\";",
    "let greeting = \"héllo wörld — ✓\";",
    "let listener = std::net::TcpListener::bind(\"0.0.0.0:8080\");",
    "let token = \"ghp_0123456789abcdefghijABCDEFGHIJ012345\";",
    "if std::env::var(\"APP_ENV\").as_deref() == Ok(\"production\") { tracing::info!(\"prod\"); }",
    "let timeout = std::time::Duration::from_secs(5);",
    "/* a block comment with \"postgres://x\" in it */ let n = 1;",
    "let s = r#\"raw \"string\" with // slashes\"#;",
];

fn main_rs(lines: &[usize], crlf: bool, indent: usize) -> String {
    let newline = if crlf { "\r\n" } else { "\n" };
    let pad = " ".repeat(indent);
    let mut text = format!("fn main() {{{newline}");
    for &index in lines {
        text.push_str(&pad);
        text.push_str(LINES[index % LINES.len()]);
        text.push_str(newline);
    }
    text.push_str(&format!(
        "    let _server = axum::serve(listener, app);{newline}}}{newline}"
    ));
    text
}

fn check(text: &str) -> Vec<Finding> {
    let source = SourceFile::new(
        Arc::new(PathBuf::from("src/main.rs")),
        PathBuf::from("/p/src/main.rs"),
        FileKind::Rust,
        text.to_string(),
    );
    engine::check_text(
        source,
        CodeRole::Production,
        &Config::with_defaults(),
        &registry::rules(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn spans_lie_inside_their_file_on_character_boundaries(
        lines in prop::collection::vec(0..LINES.len(), 0..12),
        crlf in any::<bool>(),
        indent in 0usize..8,
    ) {
        let text = main_rs(&lines, crlf, indent);
        let index = cargo_fitness::source::line_index::LineIndex::new(&text);
        for finding in check(&text) {
            let span = finding.location.span;
            prop_assert!(span.start <= span.end && span.end <= text.len(), "{finding:?}");
            prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{finding:?}");
            prop_assert_eq!(index.position(span.start, &text), finding.location.start);
            prop_assert_eq!(index.position(span.end, &text), finding.location.end);
        }
    }

    #[test]
    fn the_same_input_gives_the_same_findings(lines in prop::collection::vec(0..LINES.len(), 0..12)) {
        let text = main_rs(&lines, false, 4);
        prop_assert_eq!(check(&text), check(&text));
    }

    #[test]
    fn suppressing_a_printed_finding_at_its_printed_line_removes_it(
        lines in prop::collection::vec(0..LINES.len(), 1..10),
        pick in any::<prop::sample::Index>(),
    ) {
        let text = main_rs(&lines, false, 4);
        let findings: Vec<Finding> = check(&text).into_iter().filter(|f| f.rule != "unused-suppression").collect();
        prop_assume!(!findings.is_empty());
        let finding = &findings[pick.index(findings.len())];
        let line = finding.location.start.line;
        let suppressed: String = text
            .lines()
            .enumerate()
            .map(|(number, content)| {
                if number + 1 == line {
                    format!("{content} // fitness: ignore[{}] property test\n", finding.rule)
                } else {
                    format!("{content}\n")
                }
            })
            .collect();
        let after = check(&suppressed);
        let same = |f: &Finding| f.rule == finding.rule && f.location.start.line == line;
        prop_assert!(!after.iter().any(same), "still reported after suppressing: {finding:?}");
        prop_assert!(!after.iter().any(|f| f.rule == "unused-suppression" && f.location.start.line == line));
    }
}

/// The whole pipeline gives byte-identical output with one worker thread or several.
#[test]
fn output_is_identical_across_runs_and_thread_counts() {
    let fixture = support::repo().join("fixtures/services/orders");
    let run = |threads: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-fitness"))
            .args(["fitness", "--format", "json"])
            .arg(&fixture)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("the binary runs");
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let one = run("1");
    assert!(one.contains("\"findings\""));
    for threads in ["1", "2", "4", "8"] {
        assert_eq!(run(threads), one, "{threads} threads");
    }
}
