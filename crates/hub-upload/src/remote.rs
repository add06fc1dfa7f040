//! The few repository API calls uploads need (repo head, create repo/branch, tree listing,
//! paths-info, raw download, README validation), each retried as a whole (request *and* body),
//! since a connection cut while reading a JSON answer is as transient as a 503.
//!
//! These are small local versions of calls that `hub_core::HfApi` will also offer; they live
//! here so this crate does not wait for them.

use std::future::Future;
use std::time::Instant;

use bytes::Bytes;
use hub_core::client::{decode_json, json_body};
use hub_core::urls::{api_repo_url, hf_hub_url, quote_segment};
use hub_core::{Error, HubClient, RepoId, RepoType, RepoUrl, Result};
use reqwest::Method;
use serde::Deserialize;

/// What every call of one upload needs to know about its target.
#[derive(Debug, Clone)]
pub(crate) struct RepoCtx {
    pub(crate) client: HubClient,
    pub(crate) repo_id: RepoId,
    pub(crate) repo_type: RepoType,
}

impl RepoCtx {
    pub(crate) fn api_url(&self) -> String {
        api_repo_url(self.client.endpoint(), self.repo_type, &self.repo_id)
    }

    /// `{EP}/{prefix}{repo_id}`.
    pub(crate) fn repo_url(&self) -> String {
        format!(
            "{}/{}{}",
            self.client.endpoint(),
            self.repo_type.url_prefix(),
            self.repo_id
        )
    }
}

/// Runs `attempt` until it succeeds, fails with a non-retryable error, or the client's retry
/// policy gives up. Used for idempotent calls only.
pub(crate) async fn retrying<T, F, Fut>(client: &HubClient, what: &str, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let started = Instant::now();
    let mut n: u32 = 0;
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(err) if err.is_retryable() => {
                let hint = err.http_context().and_then(|c| c.retry_after);
                match client.retry_policy().next_delay(n, started.elapsed(), hint) {
                    Some(delay) => {
                        tracing::debug!(what, attempt = n, ?delay, "retrying: {err}");
                        tokio::time::sleep(delay).await;
                        n += 1;
                    }
                    None => return Err(err),
                }
            }
            Err(err) => return Err(err),
        }
    }
}

/// Sends a request built by `make` and decodes its JSON body, retrying the whole exchange.
pub(crate) async fn json_retrying<T, F>(client: &HubClient, what: &str, make: F) -> Result<T>
where
    T: serde::de::DeserializeOwned,
    F: Fn() -> Result<reqwest::RequestBuilder>,
{
    retrying(client, what, || async {
        let resp = client.send_once(make()?).await?;
        json_body::<T>(resp).await
    })
    .await
}

#[derive(Deserialize)]
struct RepoInfoSha {
    #[serde(default)]
    sha: Option<String>,
}

/// The commit a revision points to (`GET /api/{T}/{id}/revision/{rev}` → `sha`).
pub(crate) async fn repo_head(ctx: &RepoCtx, revision: &str) -> Result<String> {
    let url = format!("{}/revision/{}", ctx.api_url(), quote_segment(revision));
    let info: RepoInfoSha = json_retrying(&ctx.client, "repo info", || {
        Ok(ctx.client.request(Method::GET, &url))
    })
    .await?;
    info.sha
        .ok_or_else(|| Error::decode(&url, "repo info has no `sha` for the revision"))
}

/// `POST /api/repos/create`, tolerating "already exists" (409). Returns the repo URL.
pub(crate) async fn create_repo(ctx: &RepoCtx, private: Option<bool>) -> Result<RepoUrl> {
    let url = format!("{}/api/repos/create", ctx.client.endpoint());
    let mut body = serde_json::json!({
        "name": ctx.repo_id.name(),
        "organization": ctx.repo_id.namespace(),
    });
    if ctx.repo_type != RepoType::Model {
        body["type"] = ctx.repo_type.as_str().into();
    }
    if let Some(p) = private {
        body["private"] = p.into();
    }
    let result = retrying(&ctx.client, "create repo", || async {
        let rb = ctx.client.authed_request(Method::POST, &url)?.json(&body);
        let resp = ctx.client.send_once(rb).await?;
        resp.bytes().await.map_err(|e| Error::transport(&url, e))
    })
    .await;
    match result {
        Ok(_) => {}
        Err(e) if e.status() == Some(409) => {}
        Err(e) => return Err(e),
    }
    Ok(RepoUrl::new(
        ctx.client.endpoint(),
        ctx.repo_type,
        ctx.repo_id.clone(),
    ))
}

/// The CLI's missing-branch rule: when `revision` does not exist, create it from `main`.
pub(crate) async fn ensure_branch(ctx: &RepoCtx, revision: &str) -> Result<()> {
    match repo_head(ctx, revision).await {
        Ok(_) => Ok(()),
        Err(Error::RevisionNotFound(_)) => {
            let url = format!("{}/branch/{}", ctx.api_url(), quote_segment(revision));
            let r = retrying(&ctx.client, "create branch", || async {
                let rb = ctx
                    .client
                    .authed_request(Method::POST, &url)?
                    .json(&serde_json::json!({}));
                ctx.client.send_once(rb).await.map(|_| ())
            })
            .await;
            match r {
                Err(e) if e.status() == Some(409) => Ok(()),
                other => other,
            }
        }
        Err(e) => Err(e),
    }
}

/// An LFS pointer description in tree / paths-info entries.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub(crate) struct LfsEntry {
    pub(crate) oid: String,
    pub(crate) size: u64,
}

/// A tree / paths-info entry.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub(crate) struct TreeEntry {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) oid: Option<String>,
    #[serde(default)]
    pub(crate) size: Option<u64>,
    #[serde(default)]
    pub(crate) lfs: Option<LfsEntry>,
}

impl TreeEntry {
    pub(crate) fn is_file(&self) -> bool {
        self.kind == "file"
    }
}

/// Every file path of the repository at `revision` (recursive tree listing, all pages).
pub(crate) async fn list_files(ctx: &RepoCtx, revision: &str) -> Result<Vec<String>> {
    use futures::TryStreamExt as _;
    let url = format!("{}/tree/{}", ctx.api_url(), quote_segment(revision));
    let query = vec![
        ("recursive".to_owned(), "True".to_owned()),
        ("expand".to_owned(), "False".to_owned()),
    ];
    // Pagination is retried page by page inside hub-core's client; a failure restarts the listing.
    retrying(&ctx.client, "tree listing", || async {
        let entries: Vec<TreeEntry> = ctx
            .client
            .paginate::<TreeEntry>(&url, query.clone())
            .try_collect()
            .await?;
        Ok(entries
            .into_iter()
            .filter(TreeEntry::is_file)
            .map(|e| e.path)
            .collect())
    })
    .await
}

/// `POST paths-info` (form-encoded) for `paths` at `revision`, in batches of 500.
pub(crate) async fn paths_info(
    ctx: &RepoCtx,
    revision: &str,
    paths: &[String],
) -> Result<Vec<TreeEntry>> {
    let url = format!("{}/paths-info/{}", ctx.api_url(), quote_segment(revision));
    let mut out = Vec::with_capacity(paths.len());
    for chunk in paths.chunks(500) {
        let mut form: Vec<(&str, &str)> = chunk.iter().map(|p| ("paths", p.as_str())).collect();
        form.push(("expand", "False"));
        let entries: Vec<TreeEntry> = json_retrying(&ctx.client, "paths-info", || {
            Ok(ctx.client.request(Method::POST, &url).form(&form))
        })
        .await?;
        out.extend(entries);
    }
    Ok(out)
}

/// Downloads a (small, regular) file's content at `revision`.
pub(crate) async fn download(ctx: &RepoCtx, revision: &str, path: &str) -> Result<Bytes> {
    let url = hf_hub_url(
        ctx.client.endpoint(),
        &ctx.repo_id,
        path,
        ctx.repo_type,
        revision,
    );
    retrying(&ctx.client, "download", || async {
        let resp = ctx
            .client
            .send_once(ctx.client.request(Method::GET, &url))
            .await?;
        resp.bytes().await.map_err(|e| Error::transport(&url, e))
    })
    .await
}

/// `POST /api/validate-yaml` for a README; a 400 means invalid metadata.
pub(crate) async fn validate_readme(ctx: &RepoCtx, content: &str) -> Result<()> {
    let url = format!("{}/api/validate-yaml", ctx.client.endpoint());
    let body = serde_json::json!({"content": content, "repoType": ctx.repo_type.as_str()});
    let r = retrying(&ctx.client, "validate-yaml", || async {
        let rb = ctx.client.request(Method::POST, &url).json(&body);
        let resp = ctx.client.send_once(rb).await?;
        let bytes = resp.bytes().await.map_err(|e| Error::transport(&url, e))?;
        // The answer is informative only (warnings); a non-JSON body is not an error.
        let _ = decode_json::<serde_json::Value>(&url, &bytes);
        Ok(())
    })
    .await;
    match r {
        Err(Error::BadRequest(ctx_)) => Err(Error::validation(format!(
            "Invalid metadata in README.md.\n{}",
            ctx_.server_message.as_deref().unwrap_or_default()
        ))),
        // Servers without the route must not block uploads.
        Err(e) if e.status() == Some(404) => Ok(()),
        other => other,
    }
}
