//! One finding per line, each the same object as in the `json` format.

use std::io::{self, Write};

use crate::engine::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for finding in &report.findings {
        serde_json::to_writer(&mut *out, &super::json::finding(finding))?;
        writeln!(out)?;
    }
    Ok(())
}
