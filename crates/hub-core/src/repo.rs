//! Repository identifiers: [`RepoId`], [`RepoType`], [`Revision`] and [`RepoUrl`], validated
//! exactly as the Python library validates them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Python's `\w` on `str`: letters, digits and `_` (Unicode-aware, as `re` is by default).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// One segment of Python's `REPO_ID_REGEX` (`\b[\w\-.]+\b`): word chars, `-` or `.`, starting
/// and ending with a word char (the `\b`s next to the string's ends or the `/`).
fn is_id_segment(segment: &str) -> bool {
    let (Some(first), Some(last)) = (segment.chars().next(), segment.chars().next_back()) else {
        return false;
    };
    is_word_char(first)
        && is_word_char(last)
        && segment
            .chars()
            .all(|c| is_word_char(c) || c == '-' || c == '.')
}

/// Python's `REPO_ID_REGEX` (`^(\b[\w\-.]+\b/)?\b[\w\-.]{1,96}\b$`), checked by hand: the
/// compiled Unicode regex cost about 13 ms at every process start (perf, on a release upload
/// run).
fn matches_repo_id_pattern(id: &str) -> bool {
    let (namespace, name) = match id.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, id),
    };
    namespace.is_none_or(is_id_segment) && is_id_segment(name) && name.chars().count() <= 96
}

/// The kind of a repository on the Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoType {
    /// A model repository (the default).
    #[default]
    Model,
    /// A dataset repository.
    Dataset,
    /// A Space.
    Space,
}

impl RepoType {
    /// All repository types.
    pub const ALL: [RepoType; 3] = [RepoType::Model, RepoType::Dataset, RepoType::Space];

    /// The singular name used in arguments: `model`, `dataset`, `space`.
    pub fn as_str(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
        }
    }

    /// The plural name used in API paths and cache folders: `models`, `datasets`, `spaces`.
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
        }
    }

    /// The prefix of git-style URLs: empty for models, `datasets/`, `spaces/`.
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
        }
    }
}

impl fmt::Display for RepoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RepoType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "model" | "models" => Ok(RepoType::Model),
            "dataset" | "datasets" => Ok(RepoType::Dataset),
            "space" | "spaces" => Ok(RepoType::Space),
            other => Err(Error::invalid_argument(format!(
                "Invalid repo type: '{other}'. Accepted repo types are: model, dataset, space."
            ))),
        }
    }
}

/// A validated repository id: `name` or `namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RepoId(String);

impl RepoId {
    /// Validates `id` with the rules (and messages) of Python's `validate_repo_id`.
    ///
    /// ```
    /// use hub_core::RepoId;
    /// let id = RepoId::new("openai-community/gpt2")?;
    /// assert_eq!(id.namespace(), Some("openai-community"));
    /// assert!(RepoId::new("other..repo..id").is_err());
    /// # Ok::<(), hub_core::Error>(())
    /// ```
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        validate_repo_id(&id)?;
        Ok(RepoId(id))
    }

    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The namespace (user or organisation), if the id has one.
    pub fn namespace(&self) -> Option<&str> {
        self.0.split_once('/').map(|(ns, _)| ns)
    }

    /// The repository name without namespace.
    pub fn name(&self) -> &str {
        self.0.split_once('/').map(|(_, n)| n).unwrap_or(&self.0)
    }

    /// The cache folder name: `models--ns--name`, `datasets--ns--name`, `spaces--ns--name`.
    pub fn cache_folder_name(&self, repo_type: RepoType) -> String {
        let mut out = String::from(repo_type.plural());
        for part in self.0.split('/') {
            out.push_str("--");
            out.push_str(part);
        }
        out
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RepoId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        RepoId::new(s)
    }
}

impl AsRef<str> for RepoId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for RepoId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RepoId::new(s).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<&str> for RepoId {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        RepoId::new(s)
    }
}

impl TryFrom<String> for RepoId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        RepoId::new(s)
    }
}

/// Python's `validate_repo_id`, same checks in the same order with the same messages.
pub fn validate_repo_id(repo_id: &str) -> Result<()> {
    if repo_id.matches('/').count() > 1 {
        return Err(Error::invalid_argument(format!(
            "Repo id must be in the form 'repo_name' or 'namespace/repo_name': '{repo_id}'. Use `repo_type` argument if needed."
        )));
    }
    // Python's `$` also matches just before one trailing newline.
    let subject = repo_id.strip_suffix('\n').unwrap_or(repo_id);
    if !matches_repo_id_pattern(subject) {
        return Err(Error::invalid_argument(format!(
            "Repo id must use alphanumeric chars or '-', '_', '.', '--' and '..' are forbidden, '-' and '.' cannot start or end the name, max length is 96: '{repo_id}'."
        )));
    }
    if repo_id.contains("--") || repo_id.contains("..") {
        return Err(Error::invalid_argument(format!(
            "Cannot have -- or .. in repo_id: '{repo_id}'."
        )));
    }
    if repo_id.ends_with(".git") {
        return Err(Error::invalid_argument(format!(
            "Repo_id cannot end by '.git': '{repo_id}'."
        )));
    }
    Ok(())
}

/// A git revision: a branch, a tag, `refs/pr/N`, `refs/convert/...` or a 40-hex commit id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Revision(String);

impl Revision {
    /// The default revision, `main`.
    pub fn main() -> Self {
        Revision(crate::config::DEFAULT_REVISION.to_owned())
    }

    /// Wraps a revision name. Empty names are refused.
    pub fn new(rev: impl Into<String>) -> Result<Self> {
        let rev = rev.into();
        if rev.is_empty() {
            return Err(Error::invalid_argument("Revision cannot be empty."));
        }
        Ok(Revision(rev))
    }

    /// The pull-request revision `refs/pr/{num}`.
    pub fn pr(num: u64) -> Self {
        Revision(format!("refs/pr/{num}"))
    }

    /// Whether this revision is a full 40-hex commit id (short hashes are not accepted, as in
    /// Python).
    pub fn is_commit_hash(&self) -> bool {
        is_commit_hash(&self.0)
    }

    /// The revision as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `s` is a full 40-hex lower-case commit id.
pub fn is_commit_hash(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Default for Revision {
    fn default() -> Self {
        Revision::main()
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Revision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Revision::new(s)
    }
}

/// Lets every `.revision(..)` setter, which takes `impl Into<String>`, take a [`Revision`].
impl From<Revision> for String {
    fn from(r: Revision) -> String {
        r.0
    }
}

impl From<&Revision> for Revision {
    fn from(r: &Revision) -> Self {
        r.clone()
    }
}

/// The URL of a repository as returned by `create_repo`: `{endpoint}/{prefix}{repo_id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoUrl {
    url: String,
    endpoint: String,
    repo_type: RepoType,
    repo_id: RepoId,
}

impl RepoUrl {
    /// Builds the URL of `repo_id` on `endpoint`.
    pub fn new(endpoint: &str, repo_type: RepoType, repo_id: RepoId) -> Self {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let url = format!("{endpoint}/{}{}", repo_type.url_prefix(), repo_id);
        RepoUrl {
            url,
            endpoint,
            repo_type,
            repo_id,
        }
    }

    /// Parses a repo URL (or a bare `[type/]ns/name` id) relative to `endpoint`, as Python's
    /// `RepoUrl(url, endpoint=...)` does.
    pub fn parse(url: &str, endpoint: &str) -> Result<Self> {
        let endpoint = endpoint.trim_end_matches('/');
        let rest = url
            .strip_prefix(endpoint)
            .or_else(|| url.strip_prefix(crate::config::DEFAULT_ENDPOINT))
            .unwrap_or(url)
            .trim_start_matches('/')
            .trim_end_matches('/');
        let rest = rest.strip_suffix(".git").unwrap_or(rest);
        let mut parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        let mut repo_type = RepoType::Model;
        if parts.len() >= 2
            && let Ok(t) = parts[0].parse::<RepoType>()
            && parts[0].ends_with('s')
        {
            repo_type = t;
            parts.remove(0);
        }
        if parts.is_empty() || parts.len() > 2 {
            return Err(Error::invalid_argument(format!(
                "Unable to retrieve user and repo ID from the passed HF ID: {url}"
            )));
        }
        let repo_id = RepoId::new(parts.join("/"))?;
        let (url_endpoint, _) = if url.starts_with("http://") || url.starts_with("https://") {
            let base = url
                .find(&format!("/{}{}", repo_type.url_prefix(), repo_id))
                .map(|i| &url[..i])
                .unwrap_or(endpoint);
            (base.to_owned(), ())
        } else {
            (endpoint.to_owned(), ())
        };
        Ok(RepoUrl::new(&url_endpoint, repo_type, repo_id))
    }

    /// The full URL.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The endpoint part.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
    /// The repository type.
    pub fn repo_type(&self) -> RepoType {
        self.repo_type
    }
    /// The repository id.
    pub fn repo_id(&self) -> &RepoId {
        &self.repo_id
    }
    /// The namespace, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.repo_id.namespace()
    }
    /// The repository name.
    pub fn repo_name(&self) -> &str {
        self.repo_id.name()
    }
}

impl fmt::Display for RepoUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn msg(id: &str) -> String {
        RepoId::new(id).unwrap_err().to_string()
    }

    /// The hand-written check agrees with Python's pattern (run through the regex crate) on
    /// every string of up to 4 chars over an alphabet of word chars, separators and a non-ASCII
    /// letter, plus length edges.
    #[test]
    fn pattern_check_agrees_with_the_regex() {
        let re = regex::Regex::new(r"^(\b[\w\-.]+\b/)?\b[\w\-.]{1,96}\b$").unwrap();
        let alphabet = ['a', 'Z', '0', '_', '-', '.', '/', ' ', 'é', '\n'];
        let mut cases = vec![String::new()];
        let mut layer = vec![String::new()];
        for _ in 0..4 {
            layer = layer
                .iter()
                .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
                .collect();
            cases.extend(layer.iter().cloned());
        }
        for n in [95, 96, 97] {
            cases.push("x".repeat(n));
            cases.push(format!("ns/{}", "é".repeat(n)));
        }
        for case in &cases {
            assert_eq!(matches_repo_id_pattern(case), re.is_match(case), "{case:?}");
        }
        assert!(cases.len() > 10_000);
    }

    #[test]
    fn valid_ids() {
        for id in [
            "gpt2",
            "openai-community/gpt2",
            "a/b",
            "user_1/model.v2",
            "Org/Name-With-Dash",
            "x/é",
        ] {
            RepoId::new(id).unwrap();
        }
        let max = "a".repeat(96);
        RepoId::new(format!("ns/{max}")).unwrap();
    }

    #[test]
    fn validator_messages_match_python() {
        assert_eq!(
            msg("a/b/c"),
            "Repo id must be in the form 'repo_name' or 'namespace/repo_name': 'a/b/c'. Use `repo_type` argument if needed."
        );
        assert_eq!(
            msg("other..repo..id"),
            "Cannot have -- or .. in repo_id: 'other..repo..id'."
        );
        assert_eq!(msg("a--b"), "Cannot have -- or .. in repo_id: 'a--b'.");
        assert_eq!(
            msg("ns/repo.git"),
            "Repo_id cannot end by '.git': 'ns/repo.git'."
        );
        let bad = "Repo id must use alphanumeric chars or '-', '_', '.', '--' and '..' are forbidden, '-' and '.' cannot start or end the name, max length is 96:";
        for id in ["", "-a", "a-", ".a", "ns/a b", "ns/", "/a", "a/.b", "ns/a!"] {
            assert_eq!(msg(id), format!("{bad} '{id}'."), "{id:?}");
        }
        let long = "a".repeat(97);
        assert_eq!(msg(&long), format!("{bad} '{long}'."));
    }

    #[test]
    fn cache_folder_names() {
        let id = RepoId::new("ns/name").unwrap();
        assert_eq!(id.cache_folder_name(RepoType::Model), "models--ns--name");
        assert_eq!(
            id.cache_folder_name(RepoType::Dataset),
            "datasets--ns--name"
        );
        assert_eq!(
            RepoId::new("gpt2")
                .unwrap()
                .cache_folder_name(RepoType::Space),
            "spaces--gpt2"
        );
    }

    #[test]
    fn commit_hash_rule() {
        assert!(Revision::new("a".repeat(40)).unwrap().is_commit_hash());
        assert!(!Revision::new("a".repeat(7)).unwrap().is_commit_hash());
        assert!(!Revision::new("A".repeat(40)).unwrap().is_commit_hash());
        assert!(!Revision::main().is_commit_hash());
        assert_eq!(Revision::pr(3).as_str(), "refs/pr/3");
    }

    #[test]
    fn repo_urls() {
        let u = RepoUrl::new(
            "https://huggingface.co/",
            RepoType::Space,
            RepoId::new("a/b").unwrap(),
        );
        assert_eq!(u.url(), "https://huggingface.co/spaces/a/b");
        let p = RepoUrl::parse(
            "https://huggingface.co/datasets/ns/data",
            "https://huggingface.co",
        )
        .unwrap();
        assert_eq!(p.repo_type(), RepoType::Dataset);
        assert_eq!(p.repo_id().as_str(), "ns/data");
        let p = RepoUrl::parse("http://127.0.0.1:9/ns/m", "http://127.0.0.1:9").unwrap();
        assert_eq!(p.repo_type(), RepoType::Model);
        assert_eq!(p.endpoint(), "http://127.0.0.1:9");
        let p = RepoUrl::parse("spaces/ns/app", "https://huggingface.co").unwrap();
        assert_eq!(p.url(), "https://huggingface.co/spaces/ns/app");
    }

    #[test]
    fn repo_type_parsing() {
        assert_eq!("dataset".parse::<RepoType>().unwrap(), RepoType::Dataset);
        assert!("bucket".parse::<RepoType>().is_err());
    }
}
