//! The rule documentation in `rules/`: one page per rule, in its category folder, with the
//! sections users rely on, and examples that do what they say.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cargo_fitness::config::Config;
use cargo_fitness::diagnostic::Level;
use cargo_fitness::engine;
use cargo_fitness::registry;
use cargo_fitness::rule::Category;
use cargo_fitness::source::rust::CodeRole;
use cargo_fitness::source::{FileKind, SourceFile};

const SECTIONS: &[&str] = &[
    "## Why",
    "## Failing example",
    "## Passing example",
    "## Options",
    "## Suppressing",
    "## References",
];

#[test]
fn every_rule_has_a_complete_page() {
    for meta in registry::all() {
        let path = support::repo()
            .join("rules")
            .join(meta.category.name())
            .join(format!("{}.md", meta.id));
        let on_disk =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}", path.display()));
        assert_eq!(
            on_disk,
            meta.docs,
            "{} is not the text compiled into the binary",
            path.display()
        );
        assert!(
            meta.docs.starts_with(&format!("# {}\n", meta.id)),
            "{}: must start with `# {}`",
            path.display(),
            meta.id
        );
        let header = format!("**Default level:** {}", meta.default_level);
        assert!(
            meta.docs.contains(&header),
            "{}: must state `{header}`",
            path.display()
        );
        for section in SECTIONS {
            assert!(
                meta.docs.contains(section),
                "{}: missing section `{section}`",
                path.display()
            );
        }
    }
}

#[test]
fn every_page_belongs_to_a_rule() {
    let rules = support::repo().join("rules");
    for category in std::fs::read_dir(&rules).unwrap().filter_map(Result::ok) {
        let name = category.file_name().to_string_lossy().to_string();
        assert!(
            Category::from_name(&name).is_some(),
            "rules/{name}: not a category"
        );
        for page in std::fs::read_dir(category.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            let file = page.file_name().to_string_lossy().to_string();
            let id = file
                .strip_suffix(".md")
                .unwrap_or_else(|| panic!("rules/{name}/{file}: not Markdown"));
            let meta =
                registry::find(id).unwrap_or_else(|| panic!("rules/{name}/{file}: no rule `{id}`"));
            assert_eq!(
                meta.category.name(),
                name,
                "rules/{name}/{file}: the rule is in `{}`",
                meta.category.name()
            );
        }
    }
}

/// Fenced blocks: (language, first line number of the body, body).
fn code_blocks(markdown: &str) -> Vec<(String, usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        match (&mut current, line.trim_start().strip_prefix("```")) {
            (None, Some(language)) => {
                current = Some((language.trim().to_string(), index + 2, String::new()))
            }
            (Some(_), Some(_)) => blocks.push(current.take().unwrap()),
            (Some((_, _, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// Every `rust` and `toml` example, checked with only its rule enabled, reports exactly the
/// lines its `~` markers name.
#[test]
fn examples_report_exactly_their_markers() {
    let mut failures = String::new();
    let mut checked = 0;
    for meta in registry::all() {
        let mut config = Config::with_defaults();
        let mut flags: Vec<(Level, String)> = registry::all()
            .iter()
            .map(|m| (Level::Allow, m.id.to_string()))
            .collect();
        flags.push((Level::Warn, meta.id.to_string()));
        config.apply_cli(&flags).unwrap();
        for (language, first_line, body) in code_blocks(meta.docs) {
            let (kind, name) = match language.as_str() {
                "rust" => (FileKind::Rust, "src/main.rs"),
                "toml" => (FileKind::CargoManifest, "Cargo.toml"),
                // Kubernetes manifests and compose files alike: the content tells them apart.
                "yaml" => (FileKind::Yaml, "deploy/app.yaml"),
                _ => continue,
            };
            checked += 1;
            let path = PathBuf::from(name);
            let source = SourceFile::new(
                Arc::new(path.clone()),
                Path::new("/doc").join(name),
                kind,
                body.clone(),
            );
            let findings =
                engine::check_text(source, CodeRole::Production, &config, &registry::rules());
            let mut expected = support::Expected::new();
            support::markers(&path, kind, &body, &mut expected);
            if let Some(difference) =
                support::difference(&expected, &support::actual(&findings), &findings)
            {
                failures.push_str(&format!(
                    "rules/{}/{}.md, {language} example at line {first_line}:\n{difference}",
                    meta.category.name(),
                    meta.id
                ));
            }
        }
    }
    assert!(checked > 0, "no examples were checked");
    assert!(
        failures.is_empty(),
        "documentation examples disagree with their markers:\n{failures}"
    );
}
