//! Hover on a diagnostic: the documentation of its rule.

use lsp_types::{Diagnostic, Hover, HoverContents, MarkupContent, MarkupKind, Position};

use super::convert;
use crate::registry;

/// The documentation of the rules whose diagnostics cover `position`, as Markdown.
pub fn hover(diagnostics: &[Diagnostic], position: Position) -> Option<Hover> {
    let mut rules: Vec<&'static str> = Vec::new();
    let mut range = None;
    for diagnostic in diagnostics {
        let covers = diagnostic.range.start <= position && position <= diagnostic.range.end;
        if !covers {
            continue;
        }
        if let Some(rule) = convert::rule_of(diagnostic)
            && !rules.contains(&rule)
        {
            rules.push(rule);
            range.get_or_insert(diagnostic.range);
        }
    }
    let docs: Vec<&str> = rules
        .iter()
        .filter_map(|rule| Some(registry::find(rule)?.docs.trim()))
        .collect();
    if docs.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: docs.join("\n\n---\n\n"),
        }),
        range,
    })
}
