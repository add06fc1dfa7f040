//! URL building with the protocol's percent-encoding rules.
//!
//! Python's `urllib.parse.quote` leaves `A-Z a-z 0-9 _ . - ~` alone and encodes every other byte
//! of the UTF-8 form; with `safe="/"` it also keeps `/`. Revisions are encoded with `safe=""`
//! (`refs/pr/1` → `refs%2Fpr%2F1`), file paths in resolve URLs with `safe="/"`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::repo::{RepoId, RepoType};

/// Bytes `quote(s, safe="")` encodes: everything but alphanumerics and `_.-~`.
const QUOTE_ALL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// Bytes `quote(s, safe="/")` encodes.
const QUOTE_PATH: &AsciiSet = &QUOTE_ALL.remove(b'/');

/// `quote(s, safe="")`: encodes `/` too. Used for revisions, branch and tag names, tree paths.
pub fn quote_segment(s: &str) -> String {
    utf8_percent_encode(s, QUOTE_ALL).to_string()
}

/// `quote(s, safe="/")`: keeps `/`. Used for file paths in resolve URLs.
pub fn quote_path(s: &str) -> String {
    utf8_percent_encode(s, QUOTE_PATH).to_string()
}

/// `{endpoint}/api/{type}s/{repo_id}`: the base of every repository API route.
pub fn api_repo_url(endpoint: &str, repo_type: RepoType, repo_id: &RepoId) -> String {
    format!("{endpoint}/api/{}/{}", repo_type.plural(), repo_id)
}

/// The download URL of a file, as Python's `hf_hub_url`:
/// `{endpoint}/{prefix}{repo_id}/resolve/{quote(revision, safe="")}/{quote(path, safe="/")}`.
///
/// ```
/// use hub_core::{RepoId, RepoType, urls::hf_hub_url};
/// let id = RepoId::new("ns/m")?;
/// assert_eq!(
///     hf_hub_url("https://huggingface.co", &id, "dir/my file.txt", RepoType::Dataset, "refs/pr/1"),
///     "https://huggingface.co/datasets/ns/m/resolve/refs%2Fpr%2F1/dir/my%20file.txt"
/// );
/// # Ok::<(), hub_core::Error>(())
/// ```
pub fn hf_hub_url(
    endpoint: &str,
    repo_id: &RepoId,
    filename: &str,
    repo_type: RepoType,
    revision: &str,
) -> String {
    format!(
        "{endpoint}/{}{}/resolve/{}/{}",
        repo_type.url_prefix(),
        repo_id,
        quote_segment(revision),
        quote_path(filename)
    )
}

/// Joins a `subfolder` and a `filename` the way `hf_hub_download` does (`subfolder/filename`,
/// with an empty subfolder meaning none).
pub fn join_subfolder(subfolder: Option<&str>, filename: &str) -> String {
    match subfolder
        .map(|s| s.trim_matches('/'))
        .filter(|s| !s.is_empty())
    {
        Some(sub) => format!("{sub}/{filename}"),
        None => filename.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn encoding_rules() {
        assert_eq!(quote_segment("refs/pr/1"), "refs%2Fpr%2F1");
        assert_eq!(quote_segment("my branch"), "my%20branch");
        assert_eq!(quote_segment("v1.0-rc_1~x"), "v1.0-rc_1~x");
        assert_eq!(
            quote_path("dir/my file+x#?.txt"),
            "dir/my%20file%2Bx%23%3F.txt"
        );
        assert_eq!(quote_path("é/ü.bin"), "%C3%A9/%C3%BC.bin");
        assert_eq!(quote_segment("dir/sub"), "dir%2Fsub");
    }

    #[test]
    fn urls() {
        let id = RepoId::new("ns/name").unwrap();
        assert_eq!(
            hf_hub_url("http://h", &id, "a/b.bin", RepoType::Model, "main"),
            "http://h/ns/name/resolve/main/a/b.bin"
        );
        assert_eq!(
            api_repo_url("http://h", RepoType::Space, &id),
            "http://h/api/spaces/ns/name"
        );
        assert_eq!(join_subfolder(Some("sub/"), "f"), "sub/f");
        assert_eq!(join_subfolder(Some(""), "f"), "f");
    }
}
