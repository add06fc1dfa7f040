//! `hf://` path resolution, rule for rule as Python 0.26.5's `HfFileSystem.resolve_path`.
//!
//! Resolution needs the Hub: whether `a/b/c` means file `c` of repository `a/b` or file `b/c`
//! of the namespace-less repository `a` depends on which repository exists. That question is
//! asked through the [`RepoOracle`] trait, so the rules themselves are unit-tested without a
//! server and the file system plugs in a cached `repo_info` call.

use std::sync::LazyLock;

use hub_core::{RepoId, RepoType};
use regex::Regex;

use crate::error::{FsError, NotFoundReason};

/// Python's `SPECIAL_REFS_REVISION_REGEX`: revisions that contain a `/` yet can be told apart
/// from the path that follows them.
static SPECIAL_REFS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^refs/convert/\w+)|(^refs/pr/\d+)").unwrap_or_else(|_| unreachable!())
});

/// The default revision, as Python's `constants.DEFAULT_REVISION`.
pub const DEFAULT_REVISION: &str = "main";

/// A path resolved to a repository, a revision and a path inside the repository.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolvedPath {
    /// Repository type (from the `datasets/` or `spaces/` prefix; model otherwise).
    pub repo_type: RepoType,
    /// The repository, which exists on the Hub.
    pub repo_id: RepoId,
    /// The revision (unquoted; `main` when none was given).
    pub revision: String,
    /// The path inside the repository (empty for the root), never with a trailing `/`.
    pub path_in_repo: String,
    /// What followed `@` in the path as written (possibly still percent-encoded); kept so
    /// [`ResolvedPath::unresolve`] gives back the user's spelling, as Python does.
    pub raw_revision: Option<String>,
}

impl ResolvedPath {
    /// The path as the file system names it (Python's `unresolve()`): `[datasets/|spaces/]id`,
    /// then `@revision` unless it is the default, then `/path`, without a trailing `/`.
    pub fn unresolve(&self) -> String {
        let repo_path = format!("{}{}", self.repo_type.url_prefix(), self.repo_id);
        let out = if let Some(raw) = self.raw_revision.as_deref().filter(|r| !r.is_empty()) {
            format!("{repo_path}@{raw}/{}", self.path_in_repo)
        } else if self.revision != DEFAULT_REVISION {
            format!(
                "{repo_path}@{}/{}",
                safe_revision(&self.revision),
                self.path_in_repo
            )
        } else {
            format!("{repo_path}/{}", self.path_in_repo)
        };
        out.trim_end_matches('/').to_owned()
    }

    /// The same repository and revision with another path inside it.
    pub fn with_path(&self, path_in_repo: impl Into<String>) -> ResolvedPath {
        ResolvedPath {
            path_in_repo: path_in_repo.into(),
            ..self.clone()
        }
    }

    /// The unresolved name of the repository root (`unresolve()` with an empty path).
    pub fn root(&self) -> String {
        self.with_path("").unresolve()
    }
}

/// Quotes a revision for a path unless it is one of the special `refs/...` revisions.
pub fn safe_revision(revision: &str) -> String {
    if SPECIAL_REFS.is_match(revision) {
        revision.to_owned()
    } else {
        hub_core::urls::quote_segment(revision)
    }
}

/// fsspec's `_strip_protocol`: drops `hf://` (or `hf::`) and trailing slashes.
pub fn strip_protocol(path: &str) -> &str {
    let p = path
        .strip_prefix("hf://")
        .or_else(|| path.strip_prefix("hf::"))
        .unwrap_or(path);
    p.trim_end_matches('/')
}

/// fsspec's `_parent`: everything before the last `/` (empty when there is none).
pub fn parent(path: &str) -> &str {
    let p = strip_protocol(path);
    p.rsplit_once('/').map(|(a, _)| a).unwrap_or("")
}

/// What the Hub said about a repository at a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoAnswer {
    /// The repository (and the revision, when one was asked about) exists.
    Exists,
    /// The repository does not exist or cannot be seen.
    RepoNotFound,
    /// The repository exists but the revision does not.
    RevisionNotFound,
    /// The id is not a valid repository id (Python's `HFValidationError`).
    InvalidRepoId,
}

impl RepoAnswer {
    fn exists(self) -> bool {
        self == RepoAnswer::Exists
    }
    fn reason(self) -> NotFoundReason {
        match self {
            RepoAnswer::Exists => NotFoundReason::Path,
            RepoAnswer::RepoNotFound => NotFoundReason::Repository,
            RepoAnswer::RevisionNotFound => NotFoundReason::Revision,
            RepoAnswer::InvalidRepoId => NotFoundReason::InvalidRepoId,
        }
    }
}

/// Answers "does this repository exist (at this revision)?"; other errors (network, gated
/// repository) are returned as errors and stop the resolution, as in Python.
pub trait RepoOracle {
    /// Asks about `repo_id` of `repo_type` at `revision` (`None`: no revision given).
    fn repo_exists(
        &self,
        repo_type: RepoType,
        repo_id: &str,
        revision: Option<&str>,
    ) -> impl Future<Output = Result<RepoAnswer, FsError>> + Send;
}

fn not_found(path: &str, answer: RepoAnswer) -> FsError {
    FsError::NotFound {
        path: path.to_owned(),
        reason: answer.reason(),
    }
}

/// Checks that the revision in the path and the one given separately agree.
fn align_revision(in_path: Option<String>, given: Option<&str>) -> Result<Option<String>, FsError> {
    match (given, in_path) {
        (Some(g), Some(p)) if p != g => Err(FsError::InvalidArgument(format!(
            "Revision specified in path (\"{p}\") and in `revision` argument (\"{g}\") are not the same. Give the revision in one place only."
        ))),
        (Some(g), _) => Ok(Some(g.to_owned())),
        (None, p) => Ok(p),
    }
}

fn unquote(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn repo_listing(path: &str) -> FsError {
    FsError::RepoListing(path.to_owned())
}

/// Resolves `path` (with or without `hf://`), with an optional separate `revision`.
pub async fn resolve_path<O: RepoOracle>(
    oracle: &O,
    path: &str,
    revision: Option<&str>,
) -> Result<ResolvedPath, FsError> {
    let full = strip_protocol(path);
    if full.is_empty() {
        return Err(repo_listing(path));
    }
    let first = full.split('/').next().unwrap_or("");
    let (repo_type, path) = match first {
        "datasets" | "spaces" => {
            let Some((prefix, rest)) = full.split_once('/') else {
                return Err(repo_listing(full));
            };
            let ty = if prefix == "datasets" {
                RepoType::Dataset
            } else {
                RepoType::Space
            };
            (ty, rest)
        }
        _ => (RepoType::Model, full),
    };

    let (repo_id, out_rev, path_in_repo, raw_revision);
    if path.contains('/') {
        if let Some((id, rev_and_path)) = path.split_once('@') {
            let (rev_in_path, in_repo) = if rev_and_path.contains('/') {
                let special = SPECIAL_REFS
                    .find(rev_and_path)
                    .map(|m| m.as_str().to_owned())
                    .filter(|m| revision.is_none() || revision == Some(m.as_str()));
                match special {
                    Some(m) => {
                        let rest = SPECIAL_REFS.replace_all(rev_and_path, "");
                        (m, rest.trim_start_matches('/').to_owned())
                    }
                    None => {
                        let (r, p) = rev_and_path.split_once('/').unwrap_or((rev_and_path, ""));
                        (r.to_owned(), p.to_owned())
                    }
                }
            } else {
                (rev_and_path.to_owned(), String::new())
            };
            let rev = align_revision(Some(unquote(&rev_in_path)), revision)?;
            let answer = oracle.repo_exists(repo_type, id, rev.as_deref()).await?;
            if !answer.exists() {
                return Err(not_found(path, answer));
            }
            repo_id = id.to_owned();
            out_rev = rev;
            path_in_repo = in_repo;
            raw_revision = Some(rev_in_path);
        } else {
            let parts: Vec<&str> = path.split('/').collect();
            let with_ns = parts[..2.min(parts.len())].join("/");
            let answer = oracle.repo_exists(repo_type, &with_ns, revision).await?;
            if answer.exists() {
                repo_id = with_ns;
                path_in_repo = parts[2.min(parts.len())..].join("/");
            } else if matches!(answer, RepoAnswer::RepoNotFound | RepoAnswer::InvalidRepoId) {
                let without_ns = parts[0].to_owned();
                let second = oracle.repo_exists(repo_type, &without_ns, revision).await?;
                if !second.exists() {
                    // Python reports the first failure, not the second.
                    return Err(not_found(path, answer));
                }
                repo_id = without_ns;
                path_in_repo = parts[1..].join("/");
            } else {
                return Err(not_found(path, answer));
            }
            out_rev = revision_given(revision);
            raw_revision = None;
        }
    } else {
        let (id, rev) = match path.split_once('@') {
            Some((id, r)) => (id, align_revision(Some(unquote(r)), revision)?),
            None => (path, revision_given(revision)),
        };
        raw_revision = path.split_once('@').map(|(_, r)| r.to_owned());
        let answer = oracle.repo_exists(repo_type, id, rev.as_deref()).await?;
        if !answer.exists() {
            return Err(repo_listing(full));
        }
        repo_id = id.to_owned();
        out_rev = rev;
        path_in_repo = String::new();
    }
    let repo_id = RepoId::new(repo_id).map_err(|_| not_found(path, RepoAnswer::InvalidRepoId))?;
    Ok(ResolvedPath {
        repo_type,
        repo_id,
        revision: out_rev.unwrap_or_else(|| DEFAULT_REVISION.to_owned()),
        path_in_repo,
        raw_revision,
    })
}

fn revision_given(revision: Option<&str>) -> Option<String> {
    revision.map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A Hub with a fixed set of repositories and branches.
    struct FakeHub(HashMap<(RepoType, String), Vec<String>>);

    impl FakeHub {
        fn new(repos: &[(RepoType, &str, &[&str])]) -> Self {
            FakeHub(
                repos
                    .iter()
                    .map(|(t, id, revs)| {
                        (
                            (*t, (*id).to_owned()),
                            revs.iter().map(|r| (*r).to_owned()).collect(),
                        )
                    })
                    .collect(),
            )
        }
    }

    impl RepoOracle for FakeHub {
        async fn repo_exists(
            &self,
            repo_type: RepoType,
            repo_id: &str,
            revision: Option<&str>,
        ) -> Result<RepoAnswer, FsError> {
            if RepoId::new(repo_id).is_err() {
                return Ok(RepoAnswer::InvalidRepoId);
            }
            Ok(match self.0.get(&(repo_type, repo_id.to_owned())) {
                None => RepoAnswer::RepoNotFound,
                Some(revs) => match revision {
                    Some(r) if !revs.iter().any(|x| x == r) => RepoAnswer::RevisionNotFound,
                    _ => RepoAnswer::Exists,
                },
            })
        }
    }

    fn hub() -> FakeHub {
        FakeHub::new(&[
            (
                RepoType::Model,
                "ns/model",
                &["main", "refs/pr/1", "dev", "a/b"],
            ),
            (RepoType::Model, "gpt2", &["main"]),
            (
                RepoType::Dataset,
                "ns/data",
                &["main", "refs/convert/parquet"],
            ),
            (RepoType::Space, "ns/space", &["main"]),
        ])
    }

    fn run(
        path: &str,
        rev: Option<&str>,
    ) -> Result<(RepoType, String, String, String, String), String> {
        let h = hub();
        let out = futures::executor::block_on(resolve_path(&h, path, rev));
        out.map(|r| {
            (
                r.repo_type,
                r.repo_id.to_string(),
                r.revision.clone(),
                r.path_in_repo.clone(),
                r.unresolve(),
            )
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn models_datasets_spaces() {
        let r = run("hf://ns/model/dir/file.txt", None).unwrap();
        assert_eq!(r.0, RepoType::Model);
        assert_eq!(
            (r.1.as_str(), r.2.as_str(), r.3.as_str()),
            ("ns/model", "main", "dir/file.txt")
        );
        assert_eq!(r.4, "ns/model/dir/file.txt");
        let r = run("datasets/ns/data/x/", None).unwrap();
        assert_eq!(
            (r.0, r.3.as_str(), r.4.as_str()),
            (RepoType::Dataset, "x", "datasets/ns/data/x")
        );
        let r = run("spaces/ns/space", None).unwrap();
        assert_eq!((r.0, r.3.as_str()), (RepoType::Space, ""));
    }

    #[test]
    fn special_revisions_keep_their_slash() {
        let r = run("ns/model@refs/pr/1/a/b", None).unwrap();
        assert_eq!((r.2.as_str(), r.3.as_str()), ("refs/pr/1", "a/b"));
        assert_eq!(r.4, "ns/model@refs/pr/1/a/b");
        let r = run(
            "datasets/ns/data@refs/convert/parquet/default/train/0.parquet",
            None,
        )
        .unwrap();
        assert_eq!(r.2, "refs/convert/parquet");
        assert_eq!(r.3, "default/train/0.parquet");
        // Quoted revisions are unquoted, and the user's spelling is kept.
        let r = run("ns/model@refs%2Fpr%2F1/f", None).unwrap();
        assert_eq!(
            (r.2.as_str(), r.3.as_str(), r.4.as_str()),
            ("refs/pr/1", "f", "ns/model@refs%2Fpr%2F1/f")
        );
        let r = run("ns/model@a%2Fb/f", None).unwrap();
        assert_eq!((r.2.as_str(), r.3.as_str()), ("a/b", "f"));
        // An ordinary revision with a slash must be quoted: `dev` is followed by the path.
        let r = run("ns/model@dev/x/y", None).unwrap();
        assert_eq!((r.2.as_str(), r.3.as_str()), ("dev", "x/y"));
    }

    #[test]
    fn ids_without_namespace_and_errors() {
        let r = run("gpt2/config.json", None).unwrap();
        assert_eq!((r.1.as_str(), r.3.as_str()), ("gpt2", "config.json"));
        let r = run("gpt2", None).unwrap();
        assert_eq!((r.1.as_str(), r.3.as_str()), ("gpt2", ""));
        assert!(
            run("ns/missing/file", None)
                .unwrap_err()
                .contains("repository not found")
        );
        assert!(
            run("ns/model@nope/file", None)
                .unwrap_err()
                .contains("revision not found")
        );
        assert!(
            run("ns/a..b/file", None)
                .unwrap_err()
                .contains("invalid repository id")
        );
        assert!(run("", None).unwrap_err().contains("repositories lists"));
        assert!(
            run("datasets", None)
                .unwrap_err()
                .contains("repositories lists")
        );
        assert!(
            run("missing", None)
                .unwrap_err()
                .contains("repositories lists")
        );
        assert!(
            run("ns/model@main/f", Some("dev"))
                .unwrap_err()
                .contains("not the same")
        );
        let r = run("ns/model/f", Some("dev")).unwrap();
        assert_eq!((r.2.as_str(), r.4.as_str()), ("dev", "ns/model@dev/f"));
    }

    #[test]
    fn parent_and_strip() {
        assert_eq!(strip_protocol("hf://a/b/"), "a/b");
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(parent("a"), "");
        assert_eq!(safe_revision("refs/pr/1"), "refs/pr/1");
        assert_eq!(safe_revision("a/b"), "a%2Fb");
    }
}
