//! Human output: each finding rendered by miette with its source snippet.

use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, Severity, SourceCode, SpanContents,
};

use super::RenderOptions;
use crate::diagnostic::{Finding, Level, Location};
use crate::engine::Report;
use crate::source::SourceFile;

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1);
    for finding in &report.findings {
        let diagnostic = HumanFinding {
            finding,
            source: report.sources.get(&finding.location.path).map(|s| named(s)),
            related: finding
                .labels
                .iter()
                .filter(|label| label.location.path != finding.location.path)
                .map(|label| RelatedLabel {
                    message: label.message.clone(),
                    location: label.location.clone(),
                    source: report.sources.get(&label.location.path).map(|s| named(s)),
                })
                .collect(),
        };
        let mut rendered = String::new();
        if handler.render_report(&mut rendered, &diagnostic).is_err() {
            rendered = format!("{}: {}\n", finding.rule, finding.message);
        }
        write!(out, "{rendered}")?;
        writeln!(out)?;
    }
    if !options.quiet {
        writeln!(out, "{}", super::summary(report))?;
    }
    Ok(())
}

fn named(source: &SourceFile) -> Named<'_> {
    Named {
        name: source.path.display().to_string(),
        text: &source.text,
    }
}

/// A file's text under its path, without copying the text.
struct Named<'t> {
    name: String,
    text: &'t str,
}

impl SourceCode for Named<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}

fn span(location: &Location) -> miette::SourceSpan {
    (location.span.start, location.span.end - location.span.start).into()
}

struct HumanFinding<'r> {
    finding: &'r Finding,
    source: Option<Named<'r>>,
    related: Vec<RelatedLabel<'r>>,
}

impl std::fmt::Debug for HumanFinding<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::fmt::Display for HumanFinding<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.source {
            Some(_) => f.write_str(&self.finding.message),
            None => {
                let location = &self.finding.location;
                write!(
                    f,
                    "{} ({}:{}:{})",
                    self.finding.message,
                    location.path.display(),
                    location.start.line,
                    location.start.column
                )
            }
        }
    }
}

impl std::error::Error for HumanFinding<'_> {}

impl Diagnostic for HumanFinding<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(format!("fitness::{}", self.finding.rule)))
    }

    fn severity(&self) -> Option<Severity> {
        Some(match self.finding.level {
            Level::Deny => Severity::Error,
            Level::Warn | Level::Allow => Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let finding = self.finding;
        match (&finding.help, &finding.note) {
            (None, None) => None,
            (Some(help), None) => Some(Box::new(help)),
            (None, Some(note)) => Some(Box::new(format!("why: {note}"))),
            (Some(help), Some(note)) => Some(Box::new(format!("{help}\nwhy: {note}"))),
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let finding = self.finding;
        let primary =
            LabeledSpan::new_primary_with_span(finding.label.clone(), span(&finding.location));
        let same_file = finding
            .labels
            .iter()
            .filter(|label| label.location.path == finding.location.path)
            .map(|label| {
                LabeledSpan::new_with_span(Some(label.message.clone()), span(&label.location))
            });
        Some(Box::new(std::iter::once(primary).chain(same_file)))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

/// A label in another file, shown as a related note with its own snippet.
struct RelatedLabel<'r> {
    message: String,
    location: Location,
    source: Option<Named<'r>>,
}

impl std::fmt::Debug for RelatedLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Display for RelatedLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let start = self.location.start;
        write!(
            f,
            "{} ({}:{}:{})",
            self.message,
            self.location.path.display(),
            start.line,
            start.column
        )
    }
}

impl std::error::Error for RelatedLabel<'_> {}

impl Diagnostic for RelatedLabel<'_> {
    fn severity(&self) -> Option<Severity> {
        Some(Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.message.clone()), span(&self.location)),
        )))
    }
}
