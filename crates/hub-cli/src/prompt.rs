//! Questions to the user. When stdin is a terminal the answer is typed there (secrets without
//! echo); when it is not, the answer is read as one line of stdin — what Python's `input()` and
//! `getpass` fallback do, and what lets scripts and tests drive every interactive command.

use std::io::{self, BufRead, IsTerminal, Write};

/// Reads one line of stdin after printing `prompt` on stdout; `None` at end of input.
pub(crate) fn input(prompt: &str) -> io::Result<Option<String>> {
    let mut out = io::stdout().lock();
    out.write_all(prompt.as_bytes())?;
    out.flush()?;
    drop(out);
    let mut line = String::new();
    if io::stdin().lock().read_line(&mut line)? == 0 {
        // Python would raise EOFError here; end the prompt line so later output stays readable.
        println!();
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Like [`input`], but fails when stdin is closed before an answer is given.
pub(crate) fn input_required(prompt: &str) -> anyhow::Result<String> {
    input(prompt)?.ok_or_else(|| {
        anyhow::anyhow!(
            "no answer given (stdin was closed); answer the prompt or pass the matching flag"
        )
    })
}

/// Reads a secret. On a terminal the input is not echoed; otherwise it is one line of stdin.
pub(crate) fn secret(prompt: &str) -> anyhow::Result<String> {
    if io::stdin().is_terminal() {
        let term = console::Term::stderr();
        term.write_str(prompt)?;
        let line = term.read_secure_line()?;
        Ok(line.trim().to_owned())
    } else {
        let mut err = io::stderr().lock();
        err.write_all(prompt.as_bytes())?;
        err.write_all(b"\n")?;
        err.flush()?;
        drop(err);
        let mut line = String::new();
        if io::stdin().lock().read_line(&mut line)? == 0 {
            anyhow::bail!("no token given (stdin was closed); pass it with --token or HF_TOKEN");
        }
        Ok(line.trim().to_owned())
    }
}

/// Python's `_ask_for_confirmation_no_tui`: `message (Y/n) ` (or `(y/N)`), accepting
/// y/yes/1, n/no/0 and empty for the default; asks again on anything else.
pub(crate) fn confirm(message: &str, default: bool) -> anyhow::Result<bool> {
    let full = format!("{message}{}", if default { " (Y/n) " } else { " (y/N) " });
    loop {
        let answer = input_required(&full)?.to_lowercase();
        match parse_yes_no(&answer, default) {
            Some(v) => return Ok(v),
            None => println!("Invalid input. Must be one of ('y', 'yes', '1', 'n', 'no', '0', '')"),
        }
    }
}

/// The tag/repo commands' `Proceed? [Y/n] `: empty, `y` or `yes` proceed; anything else aborts.
pub(crate) fn proceed() -> anyhow::Result<bool> {
    let answer = input_required("Proceed? [Y/n] ")?.to_lowercase();
    Ok(matches!(answer.as_str(), "" | "y" | "yes"))
}

fn parse_yes_no(answer: &str, default: bool) -> Option<bool> {
    match answer.trim() {
        "" => Some(default),
        "y" | "yes" | "1" => Some(true),
        "n" | "no" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_no_rules_match_python() {
        assert_eq!(parse_yes_no("", true), Some(true));
        assert_eq!(parse_yes_no("", false), Some(false));
        assert_eq!(parse_yes_no("yes", false), Some(true));
        assert_eq!(parse_yes_no("0", true), Some(false));
        assert_eq!(parse_yes_no("maybe", true), None);
    }
}
