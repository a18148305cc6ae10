//! Cargo.toml with spans: every dependency of every kind and target, where it is written.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::Span;

pub struct Manifest<'t> {
    pub table: DeTable<'t>,
}

pub struct ManifestParseError {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DependencyKind {
    Normal,
    Dev,
    Build,
}

impl DependencyKind {
    pub fn table_name(self) -> &'static str {
        match self {
            DependencyKind::Normal => "dependencies",
            DependencyKind::Dev => "dev-dependencies",
            DependencyKind::Build => "build-dependencies",
        }
    }
}

/// One dependency entry, in `[dependencies]`, `[target.'…'.dev-dependencies]`,
/// `[workspace.dependencies]` or any other dependency table.
pub struct Dependency<'m> {
    pub name: &'m str,
    pub name_span: Span,
    pub kind: DependencyKind,
    /// `Some("cfg(unix)")` for `[target.'cfg(unix)'.dependencies]`.
    pub target: Option<&'m str>,
    pub in_workspace_table: bool,
    /// The whole value: `"1.0"` or `{ version = "1.0", … }`.
    pub value_span: Span,
    /// The version requirement and the span of its string.
    pub version: Option<(&'m str, Span)>,
    pub fields: Option<&'m DeTable<'m>>,
}

impl Dependency<'_> {
    pub fn field(&self, key: &str) -> Option<&Spanned<DeValue<'_>>> {
        self.fields?.get(key)
    }

    /// The section header a user would look for: `[target.'cfg(unix)'.dev-dependencies]`.
    pub fn section(&self) -> String {
        match (self.in_workspace_table, self.target) {
            (true, _) => "[workspace.dependencies]".to_string(),
            (false, Some(target)) => format!("[target.'{target}'.{}]", self.kind.table_name()),
            (false, None) => format!("[{}]", self.kind.table_name()),
        }
    }
}

impl<'t> Manifest<'t> {
    pub fn parse(text: &'t str) -> Result<Manifest<'t>, ManifestParseError> {
        match DeTable::parse(text) {
            Ok(table) => Ok(Manifest {
                table: table.into_inner(),
            }),
            Err(error) => Err(ManifestParseError {
                span: error.span().map(Span::from).unwrap_or_default(),
                message: error.message().to_string(),
            }),
        }
    }

    pub fn get(&self, key: &str) -> Option<&DeValue<'t>> {
        self.table.get(key).map(|value| value.get_ref())
    }

    pub fn package_name(&self) -> Option<&str> {
        match self.get("package")?.get("name")?.get_ref() {
            DeValue::String(name) => Some(name),
            _ => None,
        }
    }

    pub fn dependencies(&self) -> Vec<Dependency<'_>> {
        let mut out = Vec::new();
        for kind in [
            DependencyKind::Normal,
            DependencyKind::Dev,
            DependencyKind::Build,
        ] {
            collect(self.get(kind.table_name()), kind, None, false, &mut out);
            // Cargo also reads the old underscore spellings.
            let underscored = kind.table_name().replace('-', "_");
            if underscored != kind.table_name() {
                collect(self.get(&underscored), kind, None, false, &mut out);
            }
        }
        if let Some(DeValue::Table(targets)) = self.get("target") {
            for (target, table) in targets {
                for kind in [
                    DependencyKind::Normal,
                    DependencyKind::Dev,
                    DependencyKind::Build,
                ] {
                    let deps = table.get_ref().get(kind.table_name()).map(|v| v.get_ref());
                    collect(deps, kind, Some(target.get_ref()), false, &mut out);
                }
            }
        }
        if let Some(workspace) = self.get("workspace") {
            let deps = workspace.get("dependencies").map(|v| v.get_ref());
            collect(deps, DependencyKind::Normal, None, true, &mut out);
        }
        out
    }
}

fn collect<'m>(
    table: Option<&'m DeValue<'m>>,
    kind: DependencyKind,
    target: Option<&'m str>,
    in_workspace_table: bool,
    out: &mut Vec<Dependency<'m>>,
) {
    let Some(DeValue::Table(table)) = table else {
        return;
    };
    for (name, value) in table {
        let (version, fields) = match value.get_ref() {
            DeValue::String(version) => (Some((version.as_ref(), Span::from(value.span()))), None),
            DeValue::Table(fields) => {
                let version = fields.get("version").and_then(|v| match v.get_ref() {
                    DeValue::String(version) => Some((version.as_ref(), Span::from(v.span()))),
                    _ => None,
                });
                (version, Some(fields))
            }
            _ => (None, None),
        };
        out.push(Dependency {
            name: name.get_ref(),
            name_span: name.span().into(),
            kind,
            target,
            in_workspace_table,
            value_span: value.span().into(),
            version,
            fields,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_dependencies_of_every_table_with_spans() {
        let text = r#"
[package]
name = "svc"

[dependencies]
serde = "*"
tokio = { version = "1", features = ["full"] }

[dev-dependencies]
insta = "1"

[target.'cfg(unix)'.build-dependencies]
cc = { version = "*" }

[workspace.dependencies]
anyhow = "1"
"#;
        let manifest = Manifest::parse(text).ok().unwrap();
        assert_eq!(manifest.package_name(), Some("svc"));
        let deps = manifest.dependencies();
        let summary: Vec<(&str, DependencyKind, Option<&str>, &str)> = deps
            .iter()
            .map(|d| {
                (
                    d.name,
                    d.kind,
                    d.target,
                    &text[d.version.unwrap().1.start..d.version.unwrap().1.end],
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("serde", DependencyKind::Normal, None, "\"*\""),
                ("tokio", DependencyKind::Normal, None, "\"1\""),
                ("insta", DependencyKind::Dev, None, "\"1\""),
                ("cc", DependencyKind::Build, Some("cfg(unix)"), "\"*\""),
                ("anyhow", DependencyKind::Normal, None, "\"1\""),
            ]
        );
        assert_eq!(deps[3].section(), "[target.'cfg(unix)'.build-dependencies]");
        assert!(deps[4].in_workspace_table);
    }

    #[test]
    fn syntax_errors_have_a_span() {
        let Err(error) = Manifest::parse("[package]\nname = \n") else {
            panic!()
        };
        assert!(error.span.start >= 10, "{:?}", error.span);
    }
}
