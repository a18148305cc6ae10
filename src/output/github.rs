//! GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

use std::io::{self, Write};

use crate::diagnostic::Level;
use crate::engine::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for finding in &report.findings {
        let command = match finding.level {
            Level::Deny => "error",
            Level::Warn | Level::Allow => "warning",
        };
        let location = &finding.location;
        let mut message = finding.message.clone();
        if let Some(help) = &finding.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&location.path.to_string_lossy().replace('\\', "/")),
            location.start.line,
            location.start.column,
            location.end.line,
            location.end.column,
            property(&format!("fitness::{}", finding.rule)),
            data(&message),
        )?;
    }
    Ok(())
}

/// Escapes a command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_the_runner_would_split_on() {
        assert_eq!(data("50% of\nlines"), "50%25 of%0Alines");
        assert_eq!(property("fitness::a,b"), "fitness%3A%3Aa%2Cb");
    }
}
