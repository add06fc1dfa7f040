//! Turning an error chain into the one line the user reads: what went wrong and how to fix it.

use hub_core::{Error as HubError, ErrorKind};

/// Whether the chain ends in a broken pipe (stdout closed by the reader).
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints `Error: <message>` on stderr, once, with no backtrace.
pub(crate) fn print_error(err: &anyhow::Error) {
    eprintln!("Error: {}", one_line(err));
}

/// The whole chain on one line: the outer contexts, then the Hub error explained with a hint.
pub(crate) fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        // Every library error keeps the shared error in its source chain.
        if let Some(hub) = cause.downcast_ref::<HubError>() {
            parts.push(explain(hub));
            break;
        }
        let text = flatten(&cause.to_string());
        // anyhow's `{}` of a wrapped error repeats the source; keep each message once.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// One sentence for a Hub error, naming the cause and the fix, chosen by its kind.
pub(crate) fn explain(err: &HubError) -> String {
    let server = err
        .server_message()
        .map(|m| format!(" (server said: {})", flatten(m)))
        .unwrap_or_default();
    let url = err
        .http_context()
        .map(|c| c.url.clone())
        .unwrap_or_default();
    let status = err.status();
    match err.kind() {
        ErrorKind::Auth if matches!(err, HubError::TokenRequired(_)) => {
            "Not logged in. Run `huggingface-cli login`, set HF_TOKEN, or pass --token.".to_owned()
        }
        ErrorKind::Auth if status == Some(401) => format!(
            "HTTP 401 from the Hub ({url}){server}. Your token is invalid or expired: run `huggingface-cli login` again."
        ),
        ErrorKind::Auth if status == Some(403) => format!(
            "HTTP 403 from the Hub ({url}){server}. Your token lacks permission: use a token with write access, or --create-pr."
        ),
        // A token was given but the Hub refused it.
        ErrorKind::Auth => format!(
            "{}. Check the token (https://huggingface.co/settings/tokens) and HF_ENDPOINT.",
            flatten(&err.to_string()).trim_end_matches('.')
        ),
        ErrorKind::RepositoryNotFound => format!(
            "Repository not found ({url}){server}. Check the repo id and --repo-type; for a private \
             repo, log in with `huggingface-cli login` or pass --token."
        ),
        ErrorKind::GatedRepo => format!(
            "Access to this gated repo is restricted ({url}){server}. Request access on the repo \
             page, then use a token of an account that was granted access."
        ),
        ErrorKind::RevisionNotFound => format!(
            "Revision not found ({url}){server}. Check the branch, tag or commit passed to --revision."
        ),
        ErrorKind::EntryNotFound => {
            format!(
                "File not found in the repo ({url}){server}. Check the file name and --revision."
            )
        }
        ErrorKind::Offline => match err {
            HubError::OfflineModeIsEnabled(what) => format!(
                "Offline mode is enabled (HF_HUB_OFFLINE=1), {what}. Unset HF_HUB_OFFLINE to reach the Hub."
            ),
            other => flatten(&other.to_string()),
        },
        ErrorKind::LocalEntryNotFound => format!(
            "{}. Check your connection (or unset HF_HUB_OFFLINE) so the file can be downloaded.",
            flatten(&err.to_string()).trim_end_matches('.')
        ),
        ErrorKind::Connection | ErrorKind::Timeout => {
            let (url, mut cause) = match err {
                HubError::Transport { url, source } => (url.clone(), source.to_string()),
                HubError::Timeout { url, .. } => (url.clone(), err.to_string()),
                other => (String::new(), other.to_string()),
            };
            let mut inner = std::error::Error::source(err).and_then(|e| e.source());
            while let Some(e) = inner {
                cause = format!("{cause}: {e}");
                inner = e.source();
            }
            format!(
                "Cannot reach the Hub at {url}: {}. Check your network connection and HF_ENDPOINT.",
                flatten(&cause)
            )
        }
        ErrorKind::RateLimited => {
            format!("Rate limited by the Hub ({url}){server}. Wait a moment and retry, or log in.")
        }
        ErrorKind::BadRequest => format!("The Hub refused the request ({url}){server}."),
        ErrorKind::Conflict => format!("HTTP 409 from the Hub ({url}){server}. It already exists."),
        ErrorKind::Http => format!(
            "HTTP {} from the Hub ({url}){server}.",
            status.unwrap_or_default()
        ),
        _ => flatten(&err.to_string()),
    }
}

/// Joins a multi-line message into one line.
fn flatten(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_is_one_line_without_repeats() {
        let err = anyhow::Error::new(HubError::TokenRequired(
            "Token is required but no token was found.".into(),
        ))
        .context("upload failed");
        let line = one_line(&err);
        assert_eq!(
            line,
            "upload failed: Not logged in. Run `huggingface-cli login`, set HF_TOKEN, or pass --token."
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn broken_pipe_is_detected_through_context() {
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe");
        let err = anyhow::Error::new(io).context("writing table");
        assert!(is_broken_pipe(&err));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
