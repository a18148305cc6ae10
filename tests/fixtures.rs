//! Runs every fixture workspace and asserts exactly the findings marked in its files.

mod support;

use std::path::{Path, PathBuf};

use cargo_fitness::config::Config;
use cargo_fitness::source::FileKind;
use cargo_fitness::workspace::Workspace;
use cargo_fitness::{engine, registry};

/// `fixtures/<category>/<rule-id>/<case>/` and `fixtures/services/<name>/`.
fn fixture_cases() -> Vec<PathBuf> {
    let root = support::repo().join("fixtures");
    let mut cases = Vec::new();
    for category in read_dirs(&root) {
        let is_services = category.file_name().is_some_and(|n| n == "services");
        for entry in read_dirs(&category) {
            if is_services {
                cases.push(entry);
            } else {
                cases.extend(read_dirs(&entry));
            }
        }
    }
    cases.sort();
    cases
}

fn read_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Every file of the case, with the marker syntax of its kind (`fitness.toml` included).
fn expected(case: &Path) -> support::Expected {
    let mut expected = support::Expected::new();
    for entry in ignore::WalkBuilder::new(case)
        .hidden(false)
        .build()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let kind = match FileKind::of(path) {
            Some(kind) => kind,
            None if path.extension().is_some_and(|e| e == "toml") => FileKind::CargoManifest,
            None => continue,
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let relative = path.strip_prefix(case).unwrap();
        support::markers(relative, kind, &text, &mut expected);
    }
    expected
}

pub fn run_case(case: &Path) -> Vec<cargo_fitness::diagnostic::Finding> {
    let config =
        Config::load(case, None).unwrap_or_else(|error| panic!("{}: {error:?}", case.display()));
    let filter = cargo_fitness::workspace::FileFilter {
        scope: None,
        exclude: config.exclude(),
    };
    let workspace = Workspace::discover(
        case.to_path_buf(),
        case.join("Cargo.toml").is_file(),
        &filter,
    );
    let rules = registry::rules();
    let mut configured = Vec::new();
    for mut rule in rules {
        if let Some(options) = config.options.get(rule.meta().id) {
            rule.configure(options).unwrap();
        }
        configured.push(rule);
    }
    engine::check(&workspace, &config, &configured).findings
}

#[test]
fn every_fixture_reports_exactly_its_markers() {
    let cases = fixture_cases();
    assert!(!cases.is_empty(), "no fixtures found");
    let mut failures = String::new();
    for case in &cases {
        let findings = run_case(case);
        let expected = expected(case);
        let found = support::actual(&findings);
        if let Some(difference) = support::difference(&expected, &found, &findings) {
            let name = case.strip_prefix(support::repo()).unwrap_or(case);
            failures.push_str(&format!("{}:\n{difference}", name.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "fixtures disagree with their markers:\n{failures}"
    );
}

/// Every rule has a fixture folder, and some fixture proves it fires.
#[test]
fn every_rule_has_fixtures_that_make_it_fire() {
    let cases = fixture_cases();
    let fixtures = support::repo().join("fixtures");
    for meta in registry::all() {
        let dir = fixtures.join(meta.category.name()).join(meta.id);
        assert!(
            !read_dirs(&dir).is_empty(),
            "rule `{}` has no fixture case under {}",
            meta.id,
            dir.display()
        );
        let fires = cases
            .iter()
            .any(|case| expected(case).keys().any(|(_, _, rule)| rule == meta.id));
        assert!(fires, "no fixture marks a finding of `{}`", meta.id);
    }
}

/// Every fixture folder belongs to a registered rule of that category.
#[test]
fn every_fixture_folder_belongs_to_a_rule() {
    let fixtures = support::repo().join("fixtures");
    for category in read_dirs(&fixtures) {
        let name = category.file_name().unwrap().to_string_lossy().to_string();
        if name == "services" {
            continue;
        }
        for rule_dir in read_dirs(&category) {
            let id = rule_dir.file_name().unwrap().to_string_lossy().to_string();
            let meta = registry::find(&id)
                .unwrap_or_else(|| panic!("fixtures/{name}/{id}: no rule `{id}`"));
            assert_eq!(
                meta.category.name(),
                name,
                "fixtures/{name}/{id}: `{id}` belongs to `{}`",
                meta.category.name()
            );
        }
    }
}

/// The places a cross-file finding names besides its own: `(path, line)` of each label.
fn label_places(
    findings: &[cargo_fitness::diagnostic::Finding],
    rule: &str,
    path: &str,
    line: usize,
) -> Vec<(String, usize)> {
    let finding = findings
        .iter()
        .find(|f| {
            f.rule == rule
                && f.location.path.as_path() == Path::new(path)
                && f.location.start.line == line
        })
        .unwrap_or_else(|| panic!("no `{rule}` finding at {path}:{line}"));
    finding
        .labels
        .iter()
        .map(|l| (l.location.path.display().to_string(), l.location.start.line))
        .collect()
}

/// A cross-file finding shows every place of its fault: the files, the copy that ships them,
/// the settings that pick one; the image that holds the binaries.
#[test]
fn cross_file_findings_show_every_place() {
    let fixtures = support::repo().join("fixtures");
    let place = |path: &str, line: usize| (path.to_string(), line);

    let shop = run_case(&fixtures.join("services/shop"));
    assert_eq!(
        label_places(
            &shop,
            "per-environment-config-files",
            "crates/notifier/src/config.rs",
            38
        ),
        [
            place("crates/notifier/config/development.toml", 1),
            place("crates/notifier/config/production.toml", 1),
            place("crates/notifier/Dockerfile", 19),
            place("deploy/base/notifier.yaml", 38),
            place(".env.dev", 2),
        ]
    );

    let shipped = run_case(&fixtures.join("config/per-environment-config-files/shipped"));
    assert_eq!(
        label_places(
            &shipped,
            "per-environment-config-files",
            "crates/api/Dockerfile",
            13
        ),
        [
            place("crates/api/config/development.toml", 1),
            place("crates/api/config/production.toml", 1),
            place("compose.yaml", 9),
        ]
    );
    assert_eq!(
        label_places(
            &shipped,
            "per-environment-config-files",
            "crates/worker/Dockerfile",
            11
        ),
        [
            place("crates/worker/.env.production", 1),
            place("compose.yaml", 23)
        ]
    );

    let commands = run_case(&fixtures.join("admin-processes/deployed-binary-missing/commands"));
    assert_eq!(
        label_places(&commands, "deployed-binary-missing", "compose.yaml", 11),
        [place("Dockerfile", 10), place("Dockerfile", 11)]
    );
    assert_eq!(
        label_places(&commands, "deployed-binary-missing", "compose.yaml", 26),
        [place("Dockerfile", 12)]
    );
}
