//! What uploads need from the repository API, and the retry helper the upload calls share.
//!
//! Repo head, branch creation, tree listing and paths-info are hub-core's [`hub_core::HfApi`]
//! calls; this module only adapts them to an upload's [`RepoCtx`] (and, for listings, restarts
//! the whole call on a transient failure, request *and* body, since a connection cut while
//! reading a JSON answer is as transient as a 503).
//!
//! Three calls stay local because hub-core has no equivalent with the same semantics:
//! * [`create_repo`]: `HfApi::create_repo` always sends `"private": false` when privacy is not
//!   set (uploads must omit it, as Python does, so the account's default applies), and with
//!   `exist_ok` it needs the 409 answer to carry the repository `url`.
//! * [`download`]: hub-core has no in-memory download of a file's bytes (downloads live in
//!   hub-cache, which this crate does not depend on).
//! * [`validate_readme`]: hub-core has no `validate-yaml` call.

use std::future::Future;

use bytes::Bytes;
use hub_core::SendOptions;
use hub_core::client::decode_json;
use hub_core::types::RepoEntry;
use hub_core::urls::{api_repo_url, hf_hub_url, quote_segment};
use hub_core::{Error, HubClient, RepoId, RepoType, RepoUrl, Result};
use reqwest::Method;

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

/// Runs `attempt` through the client's [`hub_core::RetryPolicy::run`]: until it succeeds,
/// fails with a non-retryable error, or the policy gives up. For calls that are safe to repeat
/// as a whole (a listing of several pages, a PUT whose body must be built anew).
pub(crate) async fn retrying<T, F, Fut>(client: &HubClient, what: &str, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let span = tracing::debug_span!("retrying", what);
    let _entered = span.enter();
    client.retry_policy().run(|_| attempt()).await
}

/// Sends a request that is safe to repeat (a POST that only reads or whose repetition changes
/// nothing) and decodes its JSON body; request and body are retried as a whole.
pub(crate) async fn json_repeatable<T>(client: &HubClient, rb: reqwest::RequestBuilder) -> Result<T>
where
    T: serde::de::DeserializeOwned,
{
    client
        .send_json(rb, SendOptions::new().repeatable(true))
        .await
}

/// The commit a revision points to (`GET /api/{T}/{id}/revision/{rev}` → `sha`), through
/// `HfApi::repo_info` (which retries the whole GET, body included).
pub(crate) async fn repo_head(ctx: &RepoCtx, revision: &str) -> Result<String> {
    let info = ctx
        .client
        .api()
        .repo_info(&ctx.repo_id)
        .repo_type(ctx.repo_type)
        .revision(revision)
        .send()
        .await?;
    info.sha().map(str::to_owned).ok_or_else(|| {
        let url = format!("{}/revision/{}", ctx.api_url(), quote_segment(revision));
        Error::decode(&url, "repo info has no `sha` for the revision")
    })
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
    // A repeated create is detectable: it answers 409, which is what "already exists" means
    // here anyway.
    let rb = ctx.client.authed_request(Method::POST, &url)?.json(&body);
    let options = SendOptions::new().repeatable(true).pass_status(409);
    ctx.client.send_read(rb, options).await?;
    Ok(RepoUrl::new(
        ctx.client.endpoint(),
        ctx.repo_type,
        ctx.repo_id.clone(),
    ))
}

/// The CLI's missing-branch rule: when `revision` does not exist, create it from `main`
/// (`HfApi::create_branch` with `exist_ok`, so a concurrent creation is not an error).
pub(crate) async fn ensure_branch(ctx: &RepoCtx, revision: &str) -> Result<()> {
    match repo_head(ctx, revision).await {
        Ok(_) => Ok(()),
        Err(Error::RevisionNotFound(_)) => {
            ctx.client
                .api()
                .create_branch(&ctx.repo_id, revision)
                .repo_type(ctx.repo_type)
                .exist_ok(true)
                .send()
                .await
        }
        Err(e) => Err(e),
    }
}

/// Every file path of the repository at `revision` (`HfApi::list_repo_files`, all pages).
pub(crate) async fn list_files(ctx: &RepoCtx, revision: &str) -> Result<Vec<String>> {
    // Pagination is retried page by page inside hub-core's client; a failure restarts the listing.
    retrying(&ctx.client, "tree listing", || {
        ctx.client
            .api()
            .list_repo_files(&ctx.repo_id)
            .repo_type(ctx.repo_type)
            .revision(revision)
            .files()
    })
    .await
}

/// `HfApi::get_paths_info` for `paths` at `revision`, in batches of 500 (one request for 10 000
/// paths would be too large), each retried as a whole: hub-core does not retry a POST whose
/// answer was cut, but paths-info changes nothing on the server.
pub(crate) async fn paths_info(
    ctx: &RepoCtx,
    revision: &str,
    paths: &[String],
) -> Result<Vec<RepoEntry>> {
    let mut out = Vec::with_capacity(paths.len());
    for chunk in paths.chunks(500) {
        let entries = retrying(&ctx.client, "paths-info", || {
            ctx.client
                .api()
                .get_paths_info(&ctx.repo_id, chunk.iter().cloned())
                .repo_type(ctx.repo_type)
                .revision(revision)
                .send()
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
    let rb = ctx.client.request(Method::GET, &url);
    let resp = ctx.client.send_read(rb, SendOptions::new()).await?;
    Ok(resp.body)
}

/// `POST /api/validate-yaml` for a README; a 400 means invalid metadata.
pub(crate) async fn validate_readme(ctx: &RepoCtx, content: &str) -> Result<()> {
    let url = format!("{}/api/validate-yaml", ctx.client.endpoint());
    let body = serde_json::json!({"content": content, "repoType": ctx.repo_type.as_str()});
    let rb = ctx.client.request(Method::POST, &url).json(&body);
    // Validation changes nothing on the server: safe to repeat.
    let r = ctx
        .client
        .send_read(rb, SendOptions::new().repeatable(true))
        .await
        .map(|resp| {
            // The answer is informative only (warnings); a non-JSON body is not an error.
            let _ = decode_json::<serde_json::Value>(&resp.url, &resp.body);
        });
    match r {
        Err(Error::BadRequest(ctx_)) => Err(Error::invalid_argument(format!(
            "Invalid metadata in README.md.\n{}",
            ctx_.server_message.as_deref().unwrap_or_default()
        ))),
        // Servers without the route must not block uploads.
        Err(e) if e.status() == Some(404) => Ok(()),
        other => other,
    }
}
