//! The declared architecture end to end: `[components]`, `[[layers]]`, `[[forbid]]` and
//! `[[only]]` in fitness.toml and `[workspace.metadata.fitness]`, run as the real binary on
//! throwaway workspaces. Configuration errors exit 2 with a miette report that points at the
//! offending place; the README's worked example works as written.

mod support;

use support::process::{Outcome, Workspace, cli};

/// A workspace of `crates/domain`, `crates/app`, `crates/adapters/pg` and `services/api`,
/// layered as the README's example, with sqlx only in the adapter.
fn hexagonal() -> Workspace {
    let ws = Workspace::bare();
    ws.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/domain\", \"crates/app\", \"crates/adapters/pg\", \"services/api\"]\nresolver = \"2\"\n",
    )
    .write("Cargo.lock", "version = 4\n");
    package(&ws, "crates/domain", "domain", "");
    package(
        &ws,
        "crates/app",
        "app",
        "domain = { path = \"../domain\" }\n",
    );
    package(
        &ws,
        "crates/adapters/pg",
        "pg",
        "app = { path = \"../../app\" }\nsqlx = \"0.8\"\n",
    );
    package(
        &ws,
        "services/api",
        "api",
        "app = { path = \"../../crates/app\" }\npg = { path = \"../../crates/adapters/pg\" }\n",
    );
    ws
}

fn package(ws: &Workspace, dir: &str, name: &str, dependencies: &str) {
    ws.write(
        &format!("{dir}/Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{dependencies}"
        ),
    )
    .write(&format!("{dir}/src/lib.rs"), "pub fn f() {}\n");
}

/// The README's example, as written there.
const README_EXAMPLE: &str = r#"[components]
domain   = { paths = ["crates/domain"] }
app      = { paths = ["crates/app"] }
adapters = { paths = ["crates/adapters/*"] }
services = { paths = ["services/*"] }
db       = { external = ["sqlx*", "diesel*"] }

[[layers]]
id = "hexagonal"
order = ["services", "adapters", "app", "domain"]   # top to bottom; a layer may use any layer below it
because = "dependencies point inward"

[[forbid]]
id = "domain-is-pure"
from = "domain"
to = ["db"]
because = "the domain knows no database"
"#;

fn check(ws: &Workspace) -> Outcome {
    cli(ws.path(), &["fitness", "check", ".", "--format", "json"])
}

/// `(path, line, column, rule)` of every finding of the architecture rules.
fn architecture_findings(out: &Outcome) -> Vec<(String, u64, u64, String)> {
    out.json()["findings"]
        .as_array()
        .expect("`findings` is an array")
        .iter()
        .filter(|f| {
            matches!(
                f["rule"].as_str(),
                Some("layer-violation" | "forbidden-dependency" | "service-coupling")
            )
        })
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn messages(out: &Outcome, rule: &str) -> Vec<String> {
    out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            format!(
                "{} | {} | {}",
                f["message"].as_str().unwrap_or_default(),
                f["label"].as_str().unwrap_or_default(),
                f["note"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn finding(path: &str, line: u64, column: u64, rule: &str) -> (String, u64, u64, String) {
    (path.to_string(), line, column, rule.to_string())
}

/// The text without whitespace and box-drawing characters, so that assertions do not depend
/// on how miette wraps and frames a message.
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

/// Runs with `fitness.toml` set to `text`; expects a configuration error naming the file.
#[track_caller]
fn config_error(ws: &Workspace, text: &str) -> Outcome {
    ws.write("fitness.toml", text);
    let out = cli(ws.path(), &["fitness", "check", "."]);
    assert_eq!(
        out.code, 2,
        "expected exit 2\nstdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.is_empty(), "nothing is checked: {}", out.stdout);
    assert_mentions(&out.stderr, "fitness::config");
    assert_mentions(&out.stderr, "fitness.toml");
    out
}

// ---------------------------------------------------------------------------------------------
// The worked example

#[test]
fn the_readme_example_is_the_one_in_the_readme() {
    let readme = std::fs::read_to_string(support::repo().join("README.md")).unwrap();
    assert!(
        readme.contains(README_EXAMPLE),
        "README.md no longer holds the worked example this test checks:\n{README_EXAMPLE}"
    );
}

#[test]
fn the_readme_example_works_as_written() {
    let ws = hexagonal();
    ws.write("fitness.toml", README_EXAMPLE);
    // A clean hexagon: nothing to report.
    let out = check(&ws);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(architecture_findings(&out), []);
    // The domain reaches for the database, the application for an adapter.
    ws.append("crates/domain/Cargo.toml", "sqlx = \"0.8\"\n");
    package(
        &ws,
        "crates/app",
        "app",
        "domain = { path = \"../domain\" }\npg = { path = \"../adapters/pg\" }\n",
    );
    package(&ws, "crates/adapters/pg", "pg", "sqlx = \"0.8\"\n");
    let out = check(&ws);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        architecture_findings(&out),
        [
            finding("crates/app/Cargo.toml", 8, 1, "layer-violation"),
            finding("crates/domain/Cargo.toml", 7, 1, "forbidden-dependency"),
        ]
    );
    let layer = &messages(&out, "layer-violation")[0];
    assert!(
        layer.contains("`app` depends on `pg` (layer `adapters`), a layer above it"),
        "{layer}"
    );
    assert!(layer.contains("dependencies point inward"), "{layer}");
    let forbid = &messages(&out, "forbidden-dependency")[0];
    assert!(
        forbid.contains("`domain` depends on `sqlx` (in `db`)"),
        "{forbid}"
    );
    assert!(forbid.contains("the domain knows no database"), "{forbid}");
}

#[test]
fn transitive_edges_show_their_path_and_dev_dependencies_are_exempt() {
    let ws = hexagonal();
    ws.write("fitness.toml", README_EXAMPLE);
    package(&ws, "crates/support", "support", "sqlx = \"0.8\"\n");
    ws.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/domain\", \"crates/app\", \"crates/adapters/pg\", \"services/api\", \"crates/support\"]\n",
    );
    package(
        &ws,
        "crates/domain",
        "domain",
        "support = { path = \"../support\" }\n\n[dev-dependencies]\napp = { path = \"../app\" }\nsqlx = \"0.8\"\n",
    );
    let out = check(&ws);
    assert_eq!(
        architecture_findings(&out),
        [finding(
            "crates/domain/Cargo.toml",
            7,
            1,
            "forbidden-dependency"
        )]
    );
    let message = &messages(&out, "forbidden-dependency")[0];
    assert!(message.contains("domain → support → sqlx"), "{message}");
    // With `kinds` naming dev, the dev-dependencies count too.
    ws.write(
        "fitness.toml",
        README_EXAMPLE.replace(
            "because = \"the domain knows no database\"",
            "because = \"the domain knows no database\"\nkinds = [\"normal\", \"dev\"]\ntransitive = false",
        ),
    );
    let out = check(&ws);
    assert_eq!(
        architecture_findings(&out),
        [finding(
            "crates/domain/Cargo.toml",
            11,
            1,
            "forbidden-dependency"
        )]
    );
}

#[test]
fn strict_layers_flag_a_skipped_layer() {
    let ws = hexagonal();
    ws.write(
        "fitness.toml",
        README_EXAMPLE.replace(
            "because = \"dependencies point inward\"",
            "because = \"dependencies point inward\"\nrelaxed = false",
        ),
    );
    let out = check(&ws);
    // services → app skips adapters.
    assert_eq!(
        architecture_findings(&out),
        [finding("services/api/Cargo.toml", 7, 1, "layer-violation")]
    );
    assert!(messages(&out, "layer-violation")[0].contains("skipping layer `adapters`"));
}

#[test]
fn tags_and_cargo_toml_metadata_declare_the_architecture() {
    let ws = hexagonal();
    ws.append(
        "crates/domain/Cargo.toml",
        "serde = \"1\"\n\n[package.metadata.fitness]\ntags = [\"layer:core\"]\n",
    );
    ws.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/domain\", \"crates/app\", \"crates/adapters/pg\", \"services/api\"]\n\n\
         [[workspace.metadata.fitness.only]]\nid = \"core-deps\"\nfrom = \"tag:layer:core\"\nto = [\"thiserror\"]\n",
    );
    let out = check(&ws);
    assert_eq!(
        architecture_findings(&out),
        [finding(
            "crates/domain/Cargo.toml",
            7,
            1,
            "forbidden-dependency"
        )]
    );
    assert!(messages(&out, "forbidden-dependency")[0].contains("the allow-list `core-deps`"));
}

#[test]
fn a_finding_is_suppressed_on_its_cargo_toml_line() {
    let ws = hexagonal();
    ws.write("fitness.toml", README_EXAMPLE);
    package(
        &ws,
        "crates/app",
        "app",
        "# fitness: ignore[layer-violation] moves to services/api with the next release\npg = { path = \"../adapters/pg\" }\n",
    );
    let out = check(&ws);
    assert_eq!(architecture_findings(&out), []);
    assert_eq!(out.json()["summary"]["suppressed"], 1);
}

#[test]
fn one_selector_may_be_written_as_a_string() {
    let ws = hexagonal();
    ws.write(
        "fitness.toml",
        "[[forbid]]\nid = \"no-db\"\nfrom = \"crates/app\"\nto = \"sqlx\"\n",
    );
    package(&ws, "crates/app", "app", "sqlx = \"0.8\"\n");
    let out = check(&ws);
    assert_eq!(
        architecture_findings(&out),
        [finding(
            "crates/app/Cargo.toml",
            7,
            1,
            "forbidden-dependency"
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// Selectors that match nothing

#[test]
fn a_component_path_that_matches_nothing_is_an_error() {
    let ws = hexagonal();
    let out = config_error(
        &ws,
        &README_EXAMPLE.replace("\"crates/domain\"", "\"crates/domian\""),
    );
    assert_mentions(
        &out.stderr,
        "component `domain`: `crates/domian` matches nothing: no workspace member lives there",
    );
    assert_mentions(&out.stderr, "fitness.toml:2:23");
    assert_mentions(&out.stderr, "matches nothing");
}

#[test]
fn an_inline_selector_that_matches_nothing_names_the_closest_component() {
    let ws = hexagonal();
    let out = config_error(
        &ws,
        &README_EXAMPLE.replace("\"services\", \"adapters\"", "\"services\", \"adaptrs\""),
    );
    assert_mentions(
        &out.stderr,
        "`adaptrs` matches nothing: it is neither a component, a workspace package nor a dependency (did you mean the component `adapters`?)",
    );
    assert_mentions(&out.stderr, "fitness.toml:10:22");
}

#[test]
fn an_external_component_that_matches_nothing_is_an_error() {
    let ws = hexagonal();
    package(
        &ws,
        "crates/adapters/pg",
        "pg",
        "app = { path = \"../../app\" }\n",
    );
    let out = config_error(&ws, README_EXAMPLE);
    assert_mentions(
        &out.stderr,
        "component `db` matches nothing: no package of the workspace depends on `sqlx*` or `diesel*`",
    );
    assert_mentions(&out.stderr, "fitness.toml:6:26");
}

#[test]
fn a_module_selector_that_matches_nothing_is_an_error() {
    let ws = hexagonal();
    ws.write(
        "crates/domain/src/lib.rs",
        "pub mod order;\nmod pricing { }\n",
    )
    .write("crates/domain/src/order.rs", "pub struct Order;\n");
    // Both modules exist: fine.
    ws.write(
        "fitness.toml",
        "[[layers]]\nid = \"inside\"\norder = [\"domain::order\", \"domain::pricing\"]\n",
    );
    let out = check(&ws);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = config_error(
        &ws,
        "[[layers]]\nid = \"inside\"\norder = [\"domain::order\", \"domain::billing\"]\n",
    );
    assert_mentions(
        &out.stderr,
        "`domain::billing` matches nothing: no module `billing` in crate `domain`",
    );
    assert_mentions(&out.stderr, "fitness.toml:3:27");
    let out = config_error(
        &ws,
        "[components]\ncore = { modules = [\"domian::order\"] }\n",
    );
    assert_mentions(&out.stderr, "no crate of the workspace is named `domian`");
}

#[test]
fn a_tag_nobody_sets_is_an_error() {
    let ws = hexagonal();
    let out = config_error(&ws, "[components]\ncore = { tags = [\"layer:core\"] }\n");
    assert_mentions(
        &out.stderr,
        "component `core`: `layer:core` matches nothing: no package sets it in `[package.metadata.fitness] tags`",
    );
}

#[test]
fn an_allow_list_may_name_what_is_not_used_yet() {
    let ws = hexagonal();
    ws.write(
        "fitness.toml",
        "[[only]]\nid = \"domain-deps\"\nfrom = \"domain\"\nto = [\"serde\", \"thiserror\"]\n",
    );
    let out = check(&ws);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_selector_in_cargo_toml_metadata_points_into_cargo_toml() {
    let ws = hexagonal();
    ws.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/domain\", \"crates/app\", \"crates/adapters/pg\", \"services/api\"]\n\n\
         [[workspace.metadata.fitness.forbid]]\nid = \"x\"\nfrom = \"crates/nowhere\"\nto = [\"sqlx\"]\n",
    );
    let out = cli(ws.path(), &["fitness", "check", "."]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_mentions(&out.stderr, "`crates/nowhere` matches nothing");
    assert_mentions(&out.stderr, "Cargo.toml:6:8");
}

// ---------------------------------------------------------------------------------------------
// Entries that cannot be right

#[test]
fn unknown_keys_are_errors() {
    let ws = hexagonal();
    let out = config_error(
        &ws,
        "[[forbid]]\nid = \"x\"\nform = \"domain\"\nto = [\"sqlx\"]\n",
    );
    assert_mentions(&out.stderr, "unknown key `form`");
    assert_mentions(&out.stderr, "fitness.toml:3:1");
    let out = config_error(
        &ws,
        "[components]\ndomain = { path = [\"crates/domain\"] }\n",
    );
    assert_mentions(&out.stderr, "unknown key `path`");
}

#[test]
fn every_entry_needs_a_unique_id() {
    let ws = hexagonal();
    let out = config_error(&ws, "[[layers]]\norder = [\"app\", \"domain\"]\n");
    assert_mentions(&out.stderr, "a `[[layers]]` entry needs an `id`");
    let out = config_error(
        &ws,
        "[[forbid]]\nid = \"x\"\nfrom = \"app\"\nto = [\"sqlx\"]\n\n[[only]]\nid = \"x\"\nfrom = \"app\"\nto = [\"domain\"]\n",
    );
    assert_mentions(&out.stderr, "the id `x` is taken by another entry");
    assert_mentions(&out.stderr, "fitness.toml:7:6");
}

#[test]
fn entries_that_check_nothing_are_errors() {
    let ws = hexagonal();
    let out = config_error(&ws, "[[forbid]]\nid = \"x\"\nfrom = \"app\"\n");
    assert_mentions(
        &out.stderr,
        "`[[forbid]]` entry `x` forbids nothing: give `to` or `calls`",
    );
    let out = config_error(&ws, "[[forbid]]\nid = \"x\"\nto = [\"sqlx\"]\n");
    assert_mentions(&out.stderr, "`[[forbid]]` entry `x` needs `from`");
    let out = config_error(&ws, "[[layers]]\nid = \"x\"\norder = [\"app\"]\n");
    assert_mentions(&out.stderr, "needs an `order` of at least two layers");
    assert_mentions(&out.stderr, "fitness.toml:3:9");
    let out = config_error(&ws, "[[only]]\nid = \"x\"\nfrom = \"app\"\n");
    assert_mentions(&out.stderr, "`[[only]]` entry `x` needs `from` and `to`");
    let out = config_error(&ws, "[components]\nempty = {}\n");
    assert_mentions(&out.stderr, "component `empty` selects nothing");
}

#[test]
fn malformed_values_are_errors() {
    let ws = hexagonal();
    let out = config_error(
        &ws,
        "[[forbid]]\nid = \"x\"\nfrom = \"app\"\nto = [\"sqlx\"]\nkinds = [\"test\"]\n",
    );
    assert_mentions(&out.stderr, "unknown dependency kind `test`");
    assert_mentions(&out.stderr, "fitness.toml:5:10");
    let out = config_error(&ws, "[components]\ncore = { modules = [\"domain\"] }\n");
    assert_mentions(&out.stderr, "`domain` is not a module path");
    let out = config_error(
        &ws,
        "[components]\ncore = { paths = [\"crates/[domain\"] }\n",
    );
    assert_mentions(&out.stderr, "bad pattern");
    let out = config_error(&ws, "[[forbid]]\nid = \"x\"\ncalls = [\"var\"]\n");
    assert_mentions(&out.stderr, "`var` is not a path to a function");
    let out = config_error(&ws, "[[forbid]]\nid = \"x\"\nfrom = 3\nto = [\"sqlx\"]\n");
    assert_mentions(&out.stderr, "a string or a list of strings");
}

// ---------------------------------------------------------------------------------------------
// Module level

#[test]
fn an_allow_list_of_modules_checks_each_reference() {
    let ws = hexagonal();
    ws.write(
        "crates/domain/src/lib.rs",
        "pub mod order {\n    pub struct Order;\n}\npub mod internal {\n    pub struct Secret;\n}\n",
    )
    .write(
        "crates/app/src/lib.rs",
        "use domain::order::Order;\nuse domain::internal::Secret;\n\npub fn f(_: Order, _: Secret) {}\n",
    )
    .write(
        "fitness.toml",
        "[[only]]\nid = \"app-uses-the-domain-api\"\nfrom = \"app\"\nto = [\"domain::order\"]\n",
    );
    let out = check(&ws);
    assert_eq!(
        architecture_findings(&out),
        [finding(
            "crates/app/src/lib.rs",
            2,
            5,
            "forbidden-dependency"
        )]
    );
    let message = &messages(&out, "forbidden-dependency")[0];
    assert!(
        message.contains("`app` uses `domain::internal`, which the allow-list `app-uses-the-domain-api` does not name"),
        "{message}"
    );
}

#[test]
fn a_module_reaches_a_forbidden_crate_through_another_crate() {
    let ws = hexagonal();
    package(
        &ws,
        "crates/app",
        "app",
        "pg = { path = \"../adapters/pg\" }\n",
    );
    package(&ws, "crates/adapters/pg", "pg", "sqlx = \"0.8\"\n");
    ws.write(
        "crates/app/src/lib.rs",
        "pub mod handlers {\n    pub fn list(_: &pg::Repo) {}\n}\npub mod model {}\n",
    )
    .write("crates/adapters/pg/src/lib.rs", "pub struct Repo;\n")
    .write(
        "fitness.toml",
        "[[forbid]]\nid = \"handlers-know-no-sql\"\nfrom = \"app::handlers\"\nto = [\"sqlx\"]\n",
    );
    let out = check(&ws);
    assert_eq!(
        architecture_findings(&out),
        [finding(
            "crates/app/src/lib.rs",
            2,
            21,
            "forbidden-dependency"
        )]
    );
    let message = &messages(&out, "forbidden-dependency")[0];
    assert!(message.contains("app::handlers → pg → sqlx"), "{message}");
}
