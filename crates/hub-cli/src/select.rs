//! A terminal multi-select menu (the Python CLI uses InquirerPy's checkbox for `delete-cache`).
//!
//! On a terminal: arrows (or j/k) move, space toggles, enter validates, `q`, Esc or Ctrl-C quit
//! without selecting anything. The instruction line is recomputed on every toggle, so the user
//! sees how much space the current selection frees. When stdin is not a terminal the same list
//! is printed numbered and the selection is read as one line of numbers from stdin.

use std::io::{self, IsTerminal};

use console::{Key, Term};

/// One line of the menu.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// A heading between groups of choices (not selectable).
    Separator(String),
    /// A selectable entry: the value returned, the label shown, and its initial state.
    Choice {
        /// Value returned when selected.
        value: String,
        /// Text shown.
        label: String,
        /// Initially selected.
        enabled: bool,
    },
}

/// Shows `items` and returns the selected values (empty when the user quits).
pub(crate) fn multiselect(
    message: &str,
    items: &[Item],
    instruction: &dyn Fn(&[String]) -> String,
) -> anyhow::Result<Vec<String>> {
    let term = Term::stderr();
    if io::stdin().is_terminal() && term.is_term() {
        interactive(&term, message, items, instruction)
    } else {
        from_stdin(message, items, instruction)
    }
}

fn selected_values(items: &[Item], state: &[bool]) -> Vec<String> {
    items
        .iter()
        .zip(state)
        .filter_map(|(item, on)| match item {
            Item::Choice { value, .. } if *on => Some(value.clone()),
            _ => None,
        })
        .collect()
}

fn interactive(
    term: &Term,
    message: &str,
    items: &[Item],
    instruction: &dyn Fn(&[String]) -> String,
) -> anyhow::Result<Vec<String>> {
    let mut state: Vec<bool> = items
        .iter()
        .map(|i| matches!(i, Item::Choice { enabled: true, .. }))
        .collect();
    let choices: Vec<usize> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| matches!(it, Item::Choice { .. }).then_some(i))
        .collect();
    if choices.is_empty() {
        return Ok(Vec::new());
    }
    let mut cursor = 0usize;
    let mut drawn = 0usize;
    term.hide_cursor()?;
    let result = loop {
        let mut lines = vec![format!(
            "? {message} {}",
            instruction(&selected_values(items, &state))
        )];
        for (i, item) in items.iter().enumerate() {
            match item {
                Item::Separator(text) => lines.extend(text.split('\n').map(str::to_owned)),
                Item::Choice { label, .. } => {
                    let pointer = if choices[cursor] == i { "❯" } else { " " };
                    let mark = if state[i] { "◉" } else { "○" };
                    lines.push(format!("{pointer} {mark} {label}"));
                }
            }
        }
        lines.push(
            "Press <space> to select, <enter> to validate and <ctrl+c> to quit without modification."
                .to_owned(),
        );
        // Keep the menu within the terminal so clearing it works.
        let (rows, _) = term.size();
        let max = usize::from(rows).saturating_sub(1).max(3);
        if lines.len() > max {
            let keep_from = lines.len() - max;
            lines.drain(1..=keep_from.min(lines.len() - 2));
        }
        term.clear_last_lines(drawn)?;
        for l in &lines {
            term.write_line(l)?;
        }
        drawn = lines.len();
        match term.read_key() {
            Ok(Key::ArrowUp) | Ok(Key::Char('k')) => cursor = cursor.saturating_sub(1),
            Ok(Key::ArrowDown) | Ok(Key::Char('j')) => cursor = (cursor + 1).min(choices.len() - 1),
            Ok(Key::Char(' ')) => state[choices[cursor]] = !state[choices[cursor]],
            Ok(Key::Enter) => break Ok(selected_values(items, &state)),
            Ok(Key::Escape) | Ok(Key::Char('q')) | Ok(Key::CtrlC) => break Ok(Vec::new()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => break Ok(Vec::new()),
            Err(e) => break Err(e.into()),
        }
    };
    term.clear_last_lines(drawn)?;
    term.show_cursor()?;
    if let Ok(values) = &result {
        term.write_line(&format!(
            "? {message} {} revision(s) selected.",
            values.len()
        ))?;
    }
    result
}

fn from_stdin(
    message: &str,
    items: &[Item],
    instruction: &dyn Fn(&[String]) -> String,
) -> anyhow::Result<Vec<String>> {
    let mut numbered = Vec::new();
    let initial: Vec<bool> = items
        .iter()
        .map(|i| matches!(i, Item::Choice { enabled: true, .. }))
        .collect();
    crate::output::say(&format!(
        "? {message} {}",
        instruction(&selected_values(items, &initial))
    ))?;
    for item in items {
        match item {
            Item::Separator(text) => crate::output::say(text)?,
            Item::Choice { value, label, .. } => {
                numbered.push(value.clone());
                crate::output::say(&format!("  {}. {label}", numbered.len()))?;
            }
        }
    }
    let answer = crate::prompt::input("Enter the numbers to select, separated by spaces: ")?;
    let Some(answer) = answer else {
        return Ok(Vec::new());
    };
    let mut picked = Vec::new();
    for word in answer.split([' ', ',']).filter(|w| !w.is_empty()) {
        let n: usize = word
            .parse()
            .map_err(|_| anyhow::anyhow!("'{word}' is not a number from the list"))?;
        let value = numbered
            .get(n.wrapping_sub(1))
            .ok_or_else(|| anyhow::anyhow!("{n} is not in the list (1 to {})", numbered.len()))?;
        if !picked.contains(value) {
            picked.push(value.clone());
        }
    }
    crate::output::say(&format!(
        "? {message} {} revision(s) selected.",
        picked.len()
    ))?;
    Ok(picked)
}
