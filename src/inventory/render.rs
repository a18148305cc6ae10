//! The inventory as aligned text tables (for terminals), Markdown (for pull-request comments
//! and docs) or JSON (for tools; see [`super::Inventory`] for the shape).

use std::fmt::Write as _;

use super::{Card, EnvCard, Inventory, ListenCard, Place};
use crate::cli::InventoryFormat;

/// The inventory in the format asked for.
pub fn render(format: InventoryFormat, inventory: &Inventory) -> String {
    match format {
        InventoryFormat::Human => human(inventory),
        InventoryFormat::Json => json(inventory),
        InventoryFormat::Markdown => markdown(inventory),
    }
}

/// Aligned plain text: one block per service, tables for routes, environment and backing
/// services, then the notes.
pub fn human(inventory: &Inventory) -> String {
    let mut out = String::new();
    if inventory.services.is_empty() {
        out.push_str("no binaries found in this workspace\n");
    }
    for (index, card) in inventory.services.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", heading(card));
        out.push_str(&fields(&summary(card, false), "  "));
        let routes = route_rows(card, false);
        if !routes.is_empty() {
            let _ = writeln!(out, "\n  ROUTES");
            out.push_str(&table(
                &["PROTOCOL", "PATH", "FRAMEWORK", "AT"],
                &routes,
                "  ",
            ));
        }
        let env = env_rows(card, false);
        if !env.is_empty() {
            let _ = writeln!(out, "\n  ENVIRONMENT");
            out.push_str(&table(
                &["VARIABLE", "NEED", "DEFAULT", "PROVIDED BY", "READ AT"],
                &env,
                "  ",
            ));
        }
        if !card.unread_env.is_empty() {
            let _ = writeln!(out, "\n  SET BUT NEVER READ");
            let rows: Vec<Vec<String>> = card
                .unread_env
                .iter()
                .map(|u| vec![u.name.clone(), u.by.clone(), u.at.to_string()])
                .collect();
            out.push_str(&table(&["VARIABLE", "SET BY", "AT"], &rows, "  "));
        }
        let backing = backing_rows(card, false);
        if !backing.is_empty() {
            let _ = writeln!(out, "\n  BACKING SERVICES");
            out.push_str(&table(&["KIND", "VIA", "WHERE"], &backing, "  "));
        }
    }
    if !inventory.notes.is_empty() {
        out.push_str("\nNOTES\n");
        for note in &inventory.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out
}

/// Markdown: a heading and a table per service, for pull-request comments and docs.
pub fn markdown(inventory: &Inventory) -> String {
    let mut out = String::from("# Service inventory\n");
    if inventory.services.is_empty() {
        out.push_str("\nNo binaries found in this workspace.\n");
    }
    for card in &inventory.services {
        let _ = writeln!(out, "\n## {}\n", md_escape(&heading(card)));
        let rows: Vec<Vec<String>> = summary(card, true)
            .into_iter()
            .map(|(k, v)| vec![k.to_string(), v])
            .collect();
        out.push_str(&md_table(&["Field", "Value"], &rows));
        let routes = route_rows(card, true);
        if !routes.is_empty() {
            out.push_str("\n### Routes\n\n");
            out.push_str(&md_table(&["Protocol", "Path", "Framework", "At"], &routes));
        }
        let env = env_rows(card, true);
        if !env.is_empty() {
            out.push_str("\n### Environment\n\n");
            out.push_str(&md_table(
                &["Variable", "Need", "Default", "Provided by", "Read at"],
                &env,
            ));
        }
        if !card.unread_env.is_empty() {
            out.push_str("\n### Set but never read\n\n");
            let rows: Vec<Vec<String>> = card
                .unread_env
                .iter()
                .map(|u| vec![code(&u.name), u.by.clone(), code(&u.at.to_string())])
                .collect();
            out.push_str(&md_table(&["Variable", "Set by", "At"], &rows));
        }
        let backing = backing_rows(card, true);
        if !backing.is_empty() {
            out.push_str("\n### Backing services\n\n");
            out.push_str(&md_table(&["Kind", "Via", "Where"], &backing));
        }
    }
    if !inventory.notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for note in &inventory.notes {
            let _ = writeln!(out, "- {}", md_escape(note));
        }
    }
    out
}

/// Pretty-printed JSON of [`Inventory`], with a final newline.
pub fn json(inventory: &Inventory) -> String {
    let mut text = serde_json::to_string_pretty(inventory).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

fn heading(card: &Card) -> String {
    match &card.binary {
        Some(binary) if binary.package == binary.name => format!("{} — {}", card.name, card.kind),
        Some(binary) => format!("{} — {} (package {})", card.name, card.kind, binary.package),
        None => format!(
            "{} — {} (no binary of this workspace)",
            card.name, card.kind
        ),
    }
}

/// The key facts of a card, one `(label, value)` per line; a value may span lines.
fn summary(card: &Card, markdown: bool) -> Vec<(&'static str, String)> {
    let sep = if markdown { "<br>" } else { "\n" };
    let at = |place: &Place| {
        if markdown {
            code(&place.to_string())
        } else {
            place.to_string()
        }
    };
    let mut rows = Vec::new();
    if let Some(binary) = &card.binary {
        rows.push((
            "binary",
            format!(
                "{} ({})",
                quote(&binary.name, markdown),
                quote(&binary.root, markdown)
            ),
        ));
        if !binary.libraries.is_empty() {
            rows.push(("libraries", binary.libraries.join(", ")));
        }
    }
    let built: Vec<String> = card
        .dockerfiles
        .iter()
        .map(|d| {
            let mut text = format!(
                "{} — {}",
                if markdown {
                    code(&d.path)
                } else {
                    d.path.clone()
                },
                d.reason
            );
            let mut details = Vec::new();
            if let Some(base) = &d.base_image {
                details.push(format!("from {}", quote(base, markdown)));
            }
            if !d.exposes.is_empty() {
                details.push(format!("EXPOSE {}", d.exposes.join(" ")));
            }
            if let Some(entrypoint) = &d.entrypoint {
                details.push(quote(entrypoint, markdown));
            }
            if !details.is_empty() {
                text.push_str(&format!("; {}", details.join(", ")));
            }
            text
        })
        .collect();
    rows.push(("built by", or_none(built, sep, "no Dockerfile found")));
    let images: Vec<String> = card
        .images
        .iter()
        .map(|i| {
            let mut text = format!(
                "{} in {} ({})",
                quote(&i.image, markdown),
                i.used_by,
                at(&i.at)
            );
            if !i.overrides.is_empty() {
                text.push_str(&format!(", kustomize {}", i.overrides.join("; ")));
            }
            text
        })
        .collect();
    if !images.is_empty() {
        rows.push(("images", images.join(sep)));
    }
    let mut runs: Vec<String> = Vec::new();
    for w in &card.workloads {
        let mut text = format!("{}/{}", w.kind, w.name);
        if w.init_container {
            text.push_str(&format!(" › init container {}", w.container));
        } else if w.container != w.name {
            text.push_str(&format!(" › container {}", w.container));
        }
        if let Some(replicas) = w.replicas {
            text.push_str(&format!(", replicas {replicas}"));
        }
        if !w.ports.is_empty() {
            text.push_str(&format!(
                ", containerPort {}",
                w.ports
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        text.push_str(&format!(" ({})", at(&w.at)));
        runs.push(text);
        for s in &w.services {
            runs.push(format!(
                "{}Service/{} {} ({})",
                if markdown { "↳ " } else { "  ↳ " },
                s.name,
                s.ports
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                at(&s.at)
            ));
        }
    }
    for c in &card.compose {
        let mut text = format!("compose:{}", c.name);
        if !c.ports.is_empty() {
            text.push_str(&format!(", ports {}", c.ports.join(", ")));
        }
        if !c.profiles.is_empty() {
            text.push_str(&format!(", profiles {}", c.profiles.join(", ")));
        }
        text.push_str(&format!(" ({})", at(&c.at)));
        runs.push(text);
    }
    rows.push(("runs in", or_none(runs, sep, "nothing the tool can tell")));
    if card.kind == "server" || !card.listen.is_empty() {
        let listen: Vec<String> = card
            .listen
            .iter()
            .map(|l| {
                format!(
                    "{} — {} ({})",
                    quote(&l.address, markdown),
                    listen_origin(l),
                    at(&l.at)
                )
            })
            .collect();
        rows.push(("listens on", or_none(listen, sep, "not found in the code")));
    }
    if card.kind == "server" || !card.signals.is_empty() {
        let signals: Vec<String> = card
            .signals
            .iter()
            .map(|s| format!("{} ({})", s.kind, at(&s.at)))
            .collect();
        rows.push(("signals", or_none(signals, sep, "none handled")));
    }
    let mut health: Vec<String> = Vec::new();
    if !card.health.routes.is_empty() {
        health.push(format!(
            "routes {}",
            card.health
                .routes
                .iter()
                .map(|r| quote(r, markdown))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if card.health.grpc_health {
        health.push("gRPC health service".into());
    }
    for probe in &card.health.probes {
        health.push(format!(
            "{} {}: {} ({})",
            probe.by,
            probe.kind,
            quote(&probe.action, markdown),
            at(&probe.at)
        ));
    }
    if card.kind == "server" || !health.is_empty() {
        rows.push(("health", or_none(health, sep, "no health route or probe")));
    }
    rows
}

fn or_none(items: Vec<String>, sep: &str, none: &str) -> String {
    if items.is_empty() {
        format!("({none})")
    } else {
        items.join(sep)
    }
}

/// `host: literal; port: env PORT, default 8080`.
fn listen_origin(listen: &ListenCard) -> String {
    let part = |name: &str, part: &super::AddressPart| -> String {
        let mut text = match (part.origin, &part.var, &part.field) {
            ("env", Some(var), _) => format!("{name} from env {var}"),
            ("env", None, _) => format!("{name} from the environment"),
            ("config", Some(var), Some(field)) => {
                format!("{name} from env {var} (field `{field}`)")
            }
            ("config", None, Some(field)) => format!("{name} from config field `{field}`"),
            ("literal", ..) => format!("{name} literal"),
            _ => format!("{name} unknown"),
        };
        if part.origin != "literal"
            && let Some(value) = &part.value
        {
            text.push_str(&format!(", default {value}"));
        }
        text
    };
    format!(
        "{}; {}",
        part("host", &listen.host),
        part("port", &listen.port)
    )
}

fn route_rows(card: &Card, markdown: bool) -> Vec<Vec<String>> {
    card.routes
        .iter()
        .map(|r| {
            let path = if r.health {
                format!("{} (health)", quote(&r.path, markdown))
            } else {
                quote(&r.path, markdown)
            };
            let mut at = place(&r.at, markdown);
            if r.also > 0 {
                at.push_str(&format!(" (+{} more)", r.also));
            }
            vec![r.protocol.to_string(), path, r.framework.clone(), at]
        })
        .collect()
}

fn env_rows(card: &Card, markdown: bool) -> Vec<Vec<String>> {
    let sep = if markdown { "<br>" } else { "\n" };
    card.env
        .iter()
        .map(|e| {
            vec![
                quote(&e.name, markdown),
                e.requirement.to_string(),
                e.default
                    .as_ref()
                    .map(|d| quote(d, markdown))
                    .unwrap_or_else(|| "-".into()),
                provided(e, markdown).join(sep),
                place(&e.read_at, markdown),
            ]
        })
        .collect()
}

fn provided(env: &EnvCard, markdown: bool) -> Vec<String> {
    let mut lines: Vec<String> = env
        .provided
        .iter()
        .map(|p| match &p.value {
            Some(value) => format!("{}: {} = {}", p.by, p.how, quote(value, markdown)),
            None => format!("{}: {}", p.by, p.how),
        })
        .collect();
    let unset = &env.not_provided_by;
    let fallback = if env.requirement == "defaulted" {
        ", default applies"
    } else {
        ""
    };
    if env.requirement == "required" {
        // Each deployment that forgets a required variable is a crash to come: list them all.
        for by in unset {
            lines.push(if markdown {
                format!("**not set** by {by}")
            } else {
                format!("NOT SET by {by}")
            });
        }
    } else if !unset.is_empty() && lines.is_empty() {
        lines.push(format!("unset{fallback}"));
    } else if unset.len() > 2 {
        lines.push(format!("unset in {} others{fallback}", unset.len()));
    } else {
        lines.extend(unset.iter().map(|by| format!("{by}: unset{fallback}")));
    }
    if lines.is_empty() {
        lines.push("(nothing deploys it)".into());
    }
    // Kubernetes first, then compose, then Dockerfiles; each deployment's lines together.
    let class = |line: &str| {
        let line = line
            .trim_start_matches("**not set** by ")
            .trim_start_matches("NOT SET by ");
        if line.starts_with("unset") {
            3
        } else if line.starts_with("compose:") {
            1
        } else if line
            .split(':')
            .next()
            .is_some_and(|by| by.contains('/') && by.contains('.') && !by.contains(' '))
        {
            2
        } else {
            0
        }
    };
    lines.sort_by_key(|line| class(line));
    lines
}

fn backing_rows(card: &Card, markdown: bool) -> Vec<Vec<String>> {
    let sep = if markdown { "<br>" } else { "\n" };
    card.backing_services
        .iter()
        .map(|b| {
            let kind = match &b.service {
                Some(service) => format!("{} (service {service})", b.kind),
                None => b.kind.clone(),
            };
            let via: Vec<String> = b.via.iter().map(|v| quote(v, markdown)).collect();
            let targets = if b.targets.is_empty() {
                "-".to_string()
            } else {
                b.targets.join(sep)
            };
            vec![kind, via.join(", "), targets]
        })
        .collect()
}

fn place(place: &Place, markdown: bool) -> String {
    if markdown {
        code(&place.to_string())
    } else {
        place.to_string()
    }
}

fn quote(text: &str, markdown: bool) -> String {
    if markdown {
        code(text)
    } else {
        text.to_string()
    }
}

/// Inline code that survives a table cell.
fn code(text: &str) -> String {
    let text = text.replace('|', "\\|");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|").replace('<', "&lt;")
}

fn md_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        headers.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('\n', "<br>")).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// `label  value` lines, labels padded; a multi-line value continues under the first line.
fn fields(rows: &[(&str, String)], indent: &str) -> String {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (key, value) in rows {
        for (index, line) in value.lines().enumerate() {
            let label = if index == 0 { *key } else { "" };
            let _ = writeln!(out, "{indent}{label:width$}  {line}");
        }
    }
    out
}

/// An aligned table; a cell may hold several lines.
fn table(headers: &[&str], rows: &[Vec<String>], indent: &str) -> String {
    let columns = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (column, cell) in row.iter().enumerate().take(columns) {
            for line in cell.lines() {
                widths[column] = widths[column].max(line.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut text = String::from(indent);
        for (column, cell) in cells.iter().enumerate() {
            if column + 1 == columns {
                text.push_str(cell);
            } else {
                let pad = widths[column] - cell.chars().count();
                text.push_str(cell);
                text.push_str(&" ".repeat(pad + 2));
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(headers.to_vec(), &mut out);
    for row in rows {
        let split: Vec<Vec<&str>> = row.iter().map(|cell| cell.lines().collect()).collect();
        let height = split
            .iter()
            .map(|lines| lines.len())
            .max()
            .unwrap_or(1)
            .max(1);
        for index in 0..height {
            let cells: Vec<&str> = (0..columns)
                .map(|c| {
                    split
                        .get(c)
                        .and_then(|l| l.get(index))
                        .copied()
                        .unwrap_or("")
                })
                .collect();
            line(cells, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_and_continue_multi_line_cells() {
        let rows = vec![
            vec!["A".to_string(), "one\ntwo".to_string(), "x".to_string()],
            vec!["LONGER".to_string(), "three".to_string(), "y".to_string()],
        ];
        let text = table(&["K", "V", "AT"], &rows, "");
        assert_eq!(
            text,
            "K       V      AT\nA       one    x\n        two\nLONGER  three  y\n"
        );
    }

    #[test]
    fn markdown_cells_escape_pipes_and_break_lines() {
        let text = md_table(&["a", "b"], &[vec![code("x|y"), "1\n2".to_string()]]);
        assert_eq!(text, "| a | b |\n|---|---|\n| `x\\|y` | 1<br>2 |\n");
    }
}
