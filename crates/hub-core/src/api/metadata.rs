//! The file-metadata HEAD (`get_hf_file_metadata`), protocol §2.2–§2.3.
//!
//! Two entry points:
//!
//! * [`file_metadata`] — a plain async function taking the full resolve URL. This is what the
//!   download engine (`hub-cache`) calls: it already built the URL with [`crate::urls::hf_hub_url`]
//!   and it wants to treat every error itself (fall back to the cache). [`probe_file`] is the
//!   same call, returning the `X-Repo-Commit` of an `EntryNotFound` answer (for `.no_exist`).
//! * [`HfApi::get_hf_file_metadata`] — the builder form for API users
//!   (`.revision()`, `.repo_type()`, `.timeout()`, `.send()`).
//!
//! Both send `HEAD` with `Accept-Encoding: identity` through [`HubClient::http_no_redirect`],
//! follow only *relative* redirects themselves (a renamed repository; authorization kept, the
//! path replaced, the original query kept, as Python does), and stop at the first absolute
//! `Location` (a CDN or another host), which becomes [`HfFileMetadata::location`].

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_LENGTH, ETAG, LOCATION};
use reqwest::{Method, Response};

use crate::api::HfApi;
use crate::client::{HubClient, Redirects, SendOptions, check_response};
use crate::error::{Error, Result};
use crate::repo::{RepoId, RepoType};
use crate::types::HfFileMetadata;

/// How many relative redirects are followed before giving up (a loop on the server).
pub const MAX_RELATIVE_REDIRECTS: usize = 10;

/// `HEAD url` and read the file metadata from the final answer.
///
/// `timeout` bounds each request; `None` uses the client's `config.etag_timeout`
/// (`HF_HUB_ETAG_TIMEOUT`, 10 s by default). The implicit token of the client is sent, and kept
/// across relative redirects. Errors:
///
/// * [`Error::OfflineModeIsEnabled`] in offline mode (nothing is sent);
/// * the `X-Error-Code` mapping of [`crate::error::map_status`] for 4xx/5xx answers
///   ([`Error::EntryNotFound`], [`Error::RevisionNotFound`], [`Error::RepositoryNotFound`],
///   [`Error::GatedRepo`], ...). To also get the `X-Repo-Commit` of an `EntryNotFound` answer
///   (for a `.no_exist` marker), use [`probe_file`];
/// * [`Error::Transport`] for timeouts and connection errors (see [`Error::is_timeout`]);
/// * [`Error::FileMetadata`] when `X-Repo-Commit`, the etag or the size is missing.
///
/// Statuses 429/5xx are retried with the client's policy; transport errors are not, so a
/// caller falling back to its cache does so at once.
///
/// ```no_run
/// # async fn run(client: hub_core::HubClient) -> hub_core::Result<()> {
/// use hub_core::{RepoId, RepoType, urls::hf_hub_url};
/// let url = hf_hub_url(client.endpoint(), &RepoId::new("gpt2")?, "config.json", RepoType::Model, "main");
/// let meta = hub_core::api::file_metadata(&client, &url, None).await?;
/// println!("{} {} {}", meta.commit_hash, meta.etag, meta.size);
/// # Ok(()) }
/// ```
pub async fn file_metadata(
    client: &HubClient,
    url: &str,
    timeout: Option<Duration>,
) -> Result<HfFileMetadata> {
    match Box::pin(probe_file(client, url, timeout)).await? {
        FileProbe::Found(m) => Ok(m),
        FileProbe::EntryNotFound { error, .. } => Err(error),
    }
}

/// What [`probe_file`] found.
#[derive(Debug)]
pub enum FileProbe {
    /// The file exists.
    Found(HfFileMetadata),
    /// The repository and revision exist but the file does not (`X-Error-Code: EntryNotFound`).
    EntryNotFound {
        /// The commit the revision resolved to (`X-Repo-Commit` of the 404), when sent: the
        /// cache records the miss under `.no_exist/<commit>/<path>` and updates `refs/<rev>`.
        commit_hash: Option<String>,
        /// The [`Error::EntryNotFound`] itself.
        error: Error,
    },
}

/// [`file_metadata`], but an `EntryNotFound` answer is a value carrying the `X-Repo-Commit` of
/// the 404 instead of an error. Every other failure is an error, as in [`file_metadata`].
pub async fn probe_file(
    client: &HubClient,
    url: &str,
    timeout: Option<Duration>,
) -> Result<FileProbe> {
    let timeout = timeout.unwrap_or(client.config().etag_timeout);
    let mut current = url::Url::parse(url)
        .map_err(|e| Error::invalid_argument(format!("invalid file URL {url:?}: {e}")))?;
    for _ in 0..=MAX_RELATIVE_REDIRECTS {
        let mut rb = client
            .request(Method::HEAD, current.as_str())
            .header(ACCEPT_ENCODING, "identity");
        if !timeout.is_zero() {
            rb = rb.timeout(timeout);
        }
        // Relative redirects only, followed here; the caller falls back to the cache at once
        // on a transport failure, as Python does, instead of waiting through a backoff.
        let options = SendOptions::new()
            .redirects(Redirects::Manual)
            .pass_status(404)
            .no_transport_retry();
        let resp = client.send(rb, options).await?;
        if resp.status().as_u16() == 404 {
            let commit_hash = header(&resp, "x-repo-commit").map(str::to_owned);
            return match check_response(resp).await {
                Err(error @ Error::EntryNotFound(_)) => {
                    Ok(FileProbe::EntryNotFound { commit_hash, error })
                }
                Err(e) => Err(e),
                Ok(r) => Err(Error::decode(r.url().as_str(), "unexpected 404 handling")),
            };
        }
        if resp.status().is_redirection()
            && let Some(next) = relative_target(&resp, &current)
        {
            current = next;
            continue;
        }
        return metadata_from_response(&resp, current.as_str()).map(FileProbe::Found);
    }
    Err(Error::FileMetadata {
        url: crate::error::redact_url(url),
        message: format!("more than {MAX_RELATIVE_REDIRECTS} relative redirects"),
    })
}

/// For a 3xx whose `Location` has no host, the next URL: `current` with its path replaced.
fn relative_target(resp: &Response, current: &url::Url) -> Option<url::Url> {
    let loc = resp.headers().get(LOCATION)?.to_str().ok()?.trim();
    if loc.is_empty() || loc.starts_with("//") || url::Url::parse(loc).is_ok() {
        // Absolute (or scheme-relative): a different place to download from; stop here.
        return None;
    }
    let path = loc.split(['?', '#']).next().unwrap_or(loc);
    let mut next = current.clone();
    if path.starts_with('/') {
        next.set_path(path);
    } else {
        // A path relative to the current one: resolve it like a browser would.
        next = current.join(path).ok()?;
        next.set_query(current.query());
    }
    Some(next)
}

/// Python's `_normalize_etag`: `etag.lstrip("W/").strip('"')`.
pub fn normalize_etag(etag: &str) -> String {
    etag.trim_start_matches(['W', '/'])
        .trim_matches('"')
        .to_owned()
}

fn header(resp: &Response, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Reads [`HfFileMetadata`] from the final HEAD answer; `url` is the URL that answered.
pub fn metadata_from_response(resp: &Response, url: &str) -> Result<HfFileMetadata> {
    let missing = |message: &str| Error::FileMetadata {
        url: crate::error::redact_url(url),
        message: message.to_owned(),
    };
    let commit_hash = header(resp, "x-repo-commit").ok_or_else(|| {
        missing(
            "Distant resource does not seem to be on huggingface.co (no X-Repo-Commit header). \
             A proxy or firewall may be in the way, or the endpoint is not a Hub.",
        )
    })?;
    let etag = header(resp, "x-linked-etag")
        .or_else(|| header(resp, ETAG))
        .map(normalize_etag)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            missing(
                "Distant resource does not have an ETag, we won't be able to reliably ensure reproducibility.",
            )
        })?;
    let size = header(resp, "x-linked-size")
        .or_else(|| header(resp, CONTENT_LENGTH))
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| missing("Distant resource does not have a Content-Length."))?;
    let location = header(resp, LOCATION).unwrap_or(url).to_owned();
    Ok(HfFileMetadata {
        commit_hash: commit_hash.to_owned(),
        etag,
        location,
        size,
    })
}

/// Builder of [`HfApi::get_hf_file_metadata`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct FileMetadataBuilder {
    api: HfApi,
    params: FileMetadataParams,
}

#[derive(Debug, Clone)]
struct FileMetadataParams {
    repo_id: RepoId,
    filename: String,
    repo_type: RepoType,
    revision: Option<String>,
    timeout: Option<Duration>,
}

impl FileMetadataBuilder {
    /// Revision: branch, tag, `refs/pr/N` or commit (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.params.revision = Some(revision.into());
        self
    }
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.params.repo_type = repo_type;
        self
    }
    /// Request timeout (default `config.etag_timeout`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.params.timeout = Some(timeout);
        self
    }
    /// Sends the HEAD.
    pub fn send(self) -> BoxFuture<'static, Result<HfFileMetadata>> {
        Box::pin(file_metadata_impl(self.api, self.params))
    }
}

crate::api::into_future!(FileMetadataBuilder, HfFileMetadata);

async fn file_metadata_impl(api: HfApi, p: FileMetadataParams) -> Result<HfFileMetadata> {
    let url = api.hf_hub_url(&p.repo_id, &p.filename, p.repo_type, p.revision.as_deref());
    file_metadata(api.client(), &url, p.timeout).await
}

impl HfApi {
    /// `HEAD {EP}/{prefix}{repo_id}/resolve/{revision}/{filename}`: commit, etag, size and
    /// download location of a file, without downloading it. See [`file_metadata`] for the
    /// redirect rules and errors.
    ///
    /// ```no_run
    /// # async fn run(api: hub_core::HfApi) -> hub_core::Result<()> {
    /// use hub_core::{RepoId, RepoType};
    /// let meta = api
    ///     .get_hf_file_metadata(&RepoId::new("ns/data")?, "train.csv")
    ///     .repo_type(RepoType::Dataset)
    ///     .revision("v1")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn get_hf_file_metadata(&self, repo_id: &RepoId, filename: &str) -> FileMetadataBuilder {
        FileMetadataBuilder {
            api: self.clone(),
            params: FileMetadataParams {
                repo_id: repo_id.clone(),
                filename: filename.to_owned(),
                repo_type: RepoType::Model,
                revision: None,
                timeout: None,
            },
        }
    }

    /// The resolve URL of a file on this client's endpoint (Python's `hf_hub_url`); `revision`
    /// defaults to `main`.
    pub fn hf_hub_url(
        &self,
        repo_id: &RepoId,
        filename: &str,
        repo_type: RepoType,
        revision: Option<&str>,
    ) -> String {
        crate::urls::hf_hub_url(
            self.client().endpoint(),
            repo_id,
            filename,
            repo_type,
            revision.unwrap_or(crate::config::DEFAULT_REVISION),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn etag_normalisation_matches_python() {
        assert_eq!(normalize_etag("W/\"abc\""), "abc");
        assert_eq!(normalize_etag("\"abc\""), "abc");
        assert_eq!(normalize_etag("abc"), "abc");
        // lstrip("W/") strips any run of W and / characters.
        assert_eq!(normalize_etag("WW//\"x\""), "x");
    }
}
