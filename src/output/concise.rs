use std::io::{self, Write};

use super::RenderOptions;
use crate::engine::Report;

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    for finding in &report.findings {
        let location = &finding.location;
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            location.path.display(),
            location.start.line,
            location.start.column,
            finding.level,
            finding.rule,
            finding.message
        )?;
    }
    if !options.quiet {
        writeln!(out, "{}", super::summary(report))?;
    }
    Ok(())
}
