//! git's credential helpers, driven as the Python library does: `git config --list` to find the
//! helpers, `git credential approve` / `reject` to save or erase the Hub token in all of them.
//!
//! This is git tooling, not Hub protocol; if hub-core grows an equivalent, this module goes.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::Context as _;

/// The git user name the Hub uses for token credentials.
const GIT_USERNAME: &str = "hf_user";

/// Configured helpers (`credential.helper=store` → `store`), sorted and deduplicated.
/// An error running git (not installed) means no helper.
pub(crate) fn list_helpers() -> Vec<String> {
    let output = Command::new("git").args(["config", "--list"]).stderr(Stdio::null()).output();
    match output {
        Ok(out) if out.status.success() => parse_helpers(&String::from_utf8_lossy(&out.stdout)),
        _ => Vec::new(),
    }
}

/// Parses `git config --list` output the way Python's `_parse_credential_output` does.
fn parse_helpers(output: &str) -> Vec<String> {
    let mut helpers: Vec<String> = output
        .lines()
        .filter(|l| l.contains("credential.helper"))
        .filter_map(|l| l.rsplit('=').next())
        .filter_map(|v| v.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    helpers.sort();
    helpers.dedup();
    helpers
}

/// `git credential approve` for `endpoint` with the token as password.
pub(crate) fn approve(endpoint: &str, token: &str) -> anyhow::Result<()> {
    let input = format!("url={endpoint}\nusername={GIT_USERNAME}\npassword={token}\n\n");
    run_credential("approve", &input)
}

/// `git credential reject` for `endpoint`: erases the Hub credential from every helper.
pub(crate) fn reject(endpoint: &str) -> anyhow::Result<()> {
    let input = format!("url={endpoint}\nusername={GIT_USERNAME}\n\n");
    run_credential("reject", &input)
}

fn run_credential(action: &str, input: &str) -> anyhow::Result<()> {
    let mut child = Command::new("git")
        .args(["credential", action])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run `git credential {action}` (is git installed?)"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .with_context(|| format!("writing to `git credential {action}`"))?;
    }
    let status = child.wait().with_context(|| format!("waiting for `git credential {action}`"))?;
    anyhow::ensure!(status.success(), "`git credential {action}` failed with {status}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_are_parsed_sorted_and_unique() {
        let out = "user.name=x\ncredential.helper=store\ncredential.helper=cache --timeout=30\ncredential.helper=store\n";
        // Python takes the text after the last '=' then its first word: "30" for the cache line.
        assert_eq!(parse_helpers(out), vec!["30".to_owned(), "store".to_owned()]);
        assert!(parse_helpers("core.editor=vim\n").is_empty());
    }
}
