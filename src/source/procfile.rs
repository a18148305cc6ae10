//! Procfiles (Heroku, Dokku, foreman, honcho): one `name: command` line per process type.
//!
//! [`parse`] never fails: blank lines and `#` comments are skipped, and a line that is not
//! `name: command` becomes a [`ParseError`] while the other lines are still read. Spans are
//! byte ranges into the text.

use std::ops::Range;

/// A parsed Procfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Procfile {
    pub processes: Vec<Process>,
    pub errors: Vec<ParseError>,
}

/// One process type: `web: ./target/release/api --port $PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// `web`, `worker`, `release`.
    pub name: String,
    pub name_span: Range<usize>,
    /// The command, trimmed.
    pub command: String,
    /// Where the command is: `&text[command_span] == command`.
    pub command_span: Range<usize>,
}

/// A line that is not `name: command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Range<usize>,
}

/// Parses a Procfile. Process names are letters, digits, `-` and `_`, as Heroku requires.
pub fn parse(text: &str) -> Procfile {
    let mut procfile = Procfile::default();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim_start_matches('\u{feff}');
        let lead = line.len() - content.len() + (content.len() - content.trim_start().len());
        let content = content.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let line_start = start + lead;
        let line_span = line_start..line_start + content.len();
        let Some((name, command)) = content.split_once(':') else {
            procfile.errors.push(ParseError {
                message: "expected `name: command`".into(),
                span: line_span,
            });
            continue;
        };
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            procfile.errors.push(ParseError {
                message: format!(
                    "`{}` is not a process type name (letters, digits, `-` and `_`)",
                    name.trim()
                ),
                span: line_start..line_start + name.len(),
            });
            continue;
        }
        let command_offset = name.len() + 1 + (command.len() - command.trim_start().len());
        let command = command.trim();
        if command.is_empty() {
            procfile.errors.push(ParseError {
                message: format!("process type `{name}` has no command"),
                span: line_span,
            });
            continue;
        }
        let command_start = line_start + command_offset;
        procfile.processes.push(Process {
            name: name.to_string(),
            name_span: line_start..line_start + name.len(),
            command: command.to_string(),
            command_span: command_start..command_start + command.len(),
        });
    }
    procfile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_processes_with_spans() {
        let text = "# processes\nweb: ./target/release/api --port $PORT\r\n\n  worker:cargo run --bin worker  \nrelease: ./migrate\n";
        let procfile = parse(text);
        assert!(procfile.errors.is_empty(), "{:?}", procfile.errors);
        let names: Vec<&str> = procfile.processes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["web", "worker", "release"]);
        for process in &procfile.processes {
            assert_eq!(&text[process.command_span.clone()], process.command);
            assert_eq!(&text[process.name_span.clone()], process.name);
        }
        assert_eq!(procfile.processes[1].command, "cargo run --bin worker");
    }

    #[test]
    fn malformed_lines_are_errors_and_the_rest_is_read() {
        let text = "web ./server\nmy web: x\nworker:\n\u{feff}ok: run\n";
        let procfile = parse(text);
        assert_eq!(procfile.errors.len(), 3);
        assert_eq!(procfile.processes.len(), 1);
        for error in &procfile.errors {
            assert!(text.get(error.span.clone()).is_some());
        }
        assert!(parse("").processes.is_empty());
        assert!(parse("\u{feff}").errors.is_empty());
    }

    /// Any text: no panic, and every span is a slice of it.
    #[test]
    fn survives_any_text() {
        let pieces = [
            "web",
            ":",
            " ",
            "\n",
            "\r\n",
            "#",
            "é",
            "\u{feff}",
            "-",
            "cargo run",
            "\t",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let procfile = parse(&text);
            for process in &procfile.processes {
                assert_eq!(
                    text.get(process.command_span.clone()),
                    Some(process.command.as_str())
                );
                assert_eq!(
                    text.get(process.name_span.clone()),
                    Some(process.name.as_str())
                );
            }
            for error in &procfile.errors {
                assert!(text.get(error.span.clone()).is_some(), "{text:?}");
            }
        }
    }
}
