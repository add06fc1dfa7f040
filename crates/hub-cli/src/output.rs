//! Rendering: every line a command prints on stdout goes through here.
//!
//! Commands return data ([`Render`] implementors); this module turns it into the exact lines of
//! the Python CLI. ANSI styling is applied only when stdout is a terminal and `NO_COLOR` is unset.
//! Write errors are returned, not ignored, so a closed pipe ends the command (and exits 0, see
//! `main`).

use std::io::{self, Write};

/// ANSI styling, on or off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    ansi: bool,
}

impl Style {
    /// Styling enabled or not.
    pub(crate) fn new(ansi: bool) -> Self {
        Style { ansi }
    }
    fn wrap(self, code: &str, s: &str) -> String {
        if self.ansi {
            format!("{code}{s}\u{1b}[0m")
        } else {
            s.to_owned()
        }
    }
    /// Bold.
    pub(crate) fn bold(self, s: &str) -> String {
        self.wrap("\u{1b}[1m", s)
    }
    /// Gray (hints, warnings).
    pub(crate) fn gray(self, s: &str) -> String {
        self.wrap("\u{1b}[90m", s)
    }
    /// Bold red (errors, totals).
    pub(crate) fn red(self, s: &str) -> String {
        self.wrap("\u{1b}[1m\u{1b}[31m", s)
    }
    /// Yellow (notices).
    pub(crate) fn yellow(self, s: &str) -> String {
        self.wrap("\u{1b}[33m", s)
    }
}

/// Something a command produced, rendered as lines of stdout.
pub(crate) trait Render {
    /// Writes the lines.
    fn render(&self, out: &mut dyn Write, style: Style) -> io::Result<()>;
}

/// Plain lines (most commands' results).
#[derive(Debug, Default)]
pub(crate) struct Lines(pub(crate) Vec<String>);

impl Lines {
    /// One line.
    pub(crate) fn one(line: impl Into<String>) -> Self {
        Lines(vec![line.into()])
    }
}

impl Render for Lines {
    fn render(&self, out: &mut dyn Write, _style: Style) -> io::Result<()> {
        for l in &self.0 {
            writeln!(out, "{l}")?;
        }
        Ok(())
    }
}

/// Renders `value` on stdout and flushes.
pub(crate) fn emit(value: &dyn Render, style: Style) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    value.render(&mut out, style)?;
    out.flush()
}

/// Prints one line on stdout right away (messages of interactive commands, between prompts).
pub(crate) fn say(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

/// Prints one line on stderr (what Python sends through its `logging` module).
pub(crate) fn info(line: &str) {
    eprintln!("{line}");
}

/// One table cell: text and alignment (Python's `format` right-aligns numbers only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    /// Left-aligned text.
    Text(String),
    /// Right-aligned number.
    Num(u64),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(n) => n.to_string(),
        }
    }
}

/// The Python CLI's `tabulate`: header, a dashes line, rows; each column as wide as its widest
/// cell, each cell followed by one space (so lines end with a space, as upstream prints them).
pub(crate) fn tabulate(headers: &[&str], rows: &[Vec<Cell>]) -> Vec<String> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.text().chars().count());
            }
        }
    }
    let fmt_row = |cells: Vec<Cell>| -> String {
        let mut line = String::new();
        for (cell, w) in cells.iter().zip(&widths) {
            match cell {
                Cell::Text(s) => line.push_str(&format!("{s:<w$} ")),
                Cell::Num(n) => line.push_str(&format!("{n:>w$} ")),
            }
        }
        line
    };
    let mut lines = Vec::with_capacity(rows.len() + 2);
    lines.push(fmt_row(
        headers
            .iter()
            .map(|h| Cell::Text((*h).to_owned()))
            .collect(),
    ));
    lines.push(fmt_row(
        widths.iter().map(|w| Cell::Text("-".repeat(*w))).collect(),
    ));
    for row in rows {
        lines.push(fmt_row(row.clone()));
    }
    lines
}

/// Python's `_format_timesince`: `a few seconds ago`, `1 minute ago`, `4 days ago`, ...
pub(crate) fn format_timesince(ts: std::time::SystemTime) -> String {
    let delta = std::time::SystemTime::now()
        .duration_since(ts)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    timesince(delta)
}

fn timesince(delta: f64) -> String {
    if delta < 20.0 {
        return "a few seconds ago".to_owned();
    }
    const CHUNKS: [(&str, f64, Option<f64>); 7] = [
        ("second", 1.0, Some(60.0)),
        ("minute", 60.0, Some(60.0)),
        ("hour", 3600.0, Some(24.0)),
        ("day", 86400.0, Some(6.0)),
        ("week", 604800.0, Some(6.0)),
        ("month", 2592000.0, Some(11.0)),
        ("year", 31536000.0, None),
    ];
    let mut out = (0.0, "year");
    for (label, divider, max) in CHUNKS {
        // Python's round() rounds halves to even; keep it so outputs match exactly.
        let value = (delta / divider).round_ties_even();
        out = (value, label);
        if max.is_some_and(|m| value <= m) {
            break;
        }
    }
    let (value, label) = out;
    format!("{value} {label}{} ago", if value > 1.0 { "s" } else { "" })
}

#[cfg(test)]
mod tests {
    #[test]
    fn timesince_matches_python() {
        assert_eq!(super::timesince(5.0), "a few seconds ago");
        assert_eq!(super::timesince(30.0), "30 seconds ago");
        assert_eq!(super::timesince(90.0), "2 minutes ago");
        // Python keeps a unit while the rounded value is within its maximum: 60 minutes.
        assert_eq!(super::timesince(3600.0), "60 minutes ago");
        assert_eq!(super::timesince(2.0 * 3600.0), "2 hours ago");
        assert_eq!(super::timesince(16.0 * 3600.0), "16 hours ago");
        assert_eq!(super::timesince(4.0 * 86400.0), "4 days ago");
        assert_eq!(super::timesince(7.0 * 86400.0), "1 week ago");
        assert_eq!(super::timesince(90.0 * 86400.0), "3 months ago");
        assert_eq!(super::timesince(2.0 * 365.0 * 86400.0), "2 years ago");
        // 2.5 minutes rounds to even: 2.
        assert_eq!(super::timesince(150.0), "2 minutes ago");
    }

    use super::*;

    #[test]
    fn tabulate_matches_python_layout() {
        let rows = vec![
            vec![Cell::Text("glue".into()), Cell::Num(15)],
            vec![Cell::Text("t5-base".into()), Cell::Num(3)],
        ];
        let lines = tabulate(&["REPO ID", "NB FILES"], &rows);
        assert_eq!(lines[0], "REPO ID NB FILES ");
        assert_eq!(lines[1], "------- -------- ");
        assert_eq!(lines[2], "glue          15 ");
        assert_eq!(lines[3], "t5-base        3 ");
    }

    #[test]
    fn style_off_is_plain() {
        assert_eq!(Style::new(false).bold("x"), "x");
        assert_eq!(Style::new(true).bold("x"), "\u{1b}[1mx\u{1b}[0m");
    }
}
