//! `create_commit` and `preupload_lfs_files`: the whole upload pipeline for one commit.
//!
//! Plan, then execute, each step a function of its own:
//!
//! 1. validate (message, parent commit, paths were validated when the operations were built);
//! 2. hash additions (one streaming read each; readers are spooled first);
//! 3. preupload in batches of 256: the server picks `regular` or `lfs`, flags ignored paths and
//!    gives the remote oid of each path;
//! 4. upload LFS content the server does not have (batch API → basic / multipart → verify);
//! 5. drop no-ops (remote oid equals local oid) and ignored files; if nothing is left, no commit
//!    is made and the current head is returned, as Python does;
//! 6. resolve copies (paths-info, 500 per request; LFS copies reference the same sha256);
//! 7. stream the NDJSON commit with an exact `Content-Length`.
//!
//! The commit POST is not idempotent, so it is retried only when it is safe: after a refused
//! connection or an error status (the server did not apply it), or, after a connection cut
//! mid-answer, once the branch head shows that the commit did *not* land. If it did land, its
//! head is returned instead of committing twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt as _;
use futures::future::BoxFuture;
use hub_core::SendOptions;
use hub_core::urls::quote_segment;
use hub_core::{Error, HttpContext, HubClient, NoProgress, ProgressSink, RepoId, RepoType, Result};
use reqwest::{Method, header};

use crate::hash::{hash_bytes, hash_file, spool_reader};
use crate::lfs::{DEFAULT_LFS_CONCURRENCY, LfsJob, upload_lfs};
use crate::ndjson::CommitBody;
use crate::ops::{CommitOperation, CommitOperationAdd, Content, Source, UploadMode};
use crate::preupload::fetch_upload_modes;
use crate::remote::{self, RepoCtx};
use hub_core::types::RepoEntry;

/// Files up to this size get their git sha1 computed while hashing (regular files on the Hub
/// are smaller than 10 MB; bigger ones are hashed again only if the server calls them regular).
pub const GIT_SHA1_INLINE_LIMIT: u64 = 10 * 1024 * 1024;

/// What a commit produced: hub-core's [`hub_core::types::CommitInfo`], re-exported so
/// `hub_upload::CommitInfo` keeps working.
pub use hub_core::types::CommitInfo;
use hub_core::types::CommitResponse;

/// Settings shared by every commit-making call.
#[derive(Debug, Clone)]
pub(crate) struct CommitSettings {
    pub(crate) repo_type: RepoType,
    pub(crate) revision: Option<String>,
    pub(crate) commit_message: Option<String>,
    pub(crate) commit_description: Option<String>,
    pub(crate) parent_commit: Option<String>,
    pub(crate) create_pr: bool,
    pub(crate) create_missing_branch: bool,
    pub(crate) lfs_concurrency: usize,
    pub(crate) progress: Arc<dyn ProgressSink>,
}

impl Default for CommitSettings {
    fn default() -> Self {
        CommitSettings {
            repo_type: RepoType::Model,
            revision: None,
            commit_message: None,
            commit_description: None,
            parent_commit: None,
            create_pr: false,
            create_missing_branch: false,
            lfs_concurrency: DEFAULT_LFS_CONCURRENCY,
            progress: Arc::new(NoProgress),
        }
    }
}

impl CommitSettings {
    pub(crate) fn revision(&self) -> &str {
        self.revision.as_deref().unwrap_or("main")
    }
}

/// Generates the setters every commit builder shares (they all hold `settings: CommitSettings`).
macro_rules! commit_setters {
    () => {
        /// Repository type (default: model).
        pub fn repo_type(mut self, repo_type: hub_core::RepoType) -> Self {
            self.settings.repo_type = repo_type;
            self
        }
        /// Branch or `refs/pr/N` to commit to (default `main`).
        pub fn revision(mut self, revision: impl Into<String>) -> Self {
            self.settings.revision = Some(revision.into());
            self
        }
        /// Commit title (each call has a Python-compatible default).
        pub fn commit_message(mut self, message: impl Into<String>) -> Self {
            self.settings.commit_message = Some(message.into());
            self
        }
        /// Commit description (default empty).
        pub fn commit_description(mut self, description: impl Into<String>) -> Self {
            self.settings.commit_description = Some(description.into());
            self
        }
        /// Commit only if the branch head is still this commit (the server answers 412
        /// otherwise).
        pub fn parent_commit(mut self, oid: impl Into<String>) -> Self {
            self.settings.parent_commit = Some(oid.into());
            self
        }
        /// Open a pull request with the commit instead of committing to the branch.
        pub fn create_pr(mut self, yes: bool) -> Self {
            self.settings.create_pr = yes;
            self
        }
        /// When the revision does not exist, create it as a branch from `main` first (the rule
        /// of `huggingface-cli upload`). Default: off, a missing revision is an error.
        pub fn create_missing_branch(mut self, yes: bool) -> Self {
            self.settings.create_missing_branch = yes;
            self
        }
        /// How many LFS files are uploaded at once (default 5).
        pub fn lfs_concurrency(mut self, n: usize) -> Self {
            self.settings.lfs_concurrency = n.max(1);
            self
        }
        /// Receives progress events of LFS transfers.
        pub fn progress(mut self, sink: std::sync::Arc<dyn hub_core::ProgressSink>) -> Self {
            self.settings.progress = sink;
            self
        }
    };
}
pub(crate) use commit_setters;

/// Builder of one commit; see [`crate::UploadExt::create_commit`].
#[must_use = "call .send() to make the commit"]
#[derive(Debug)]
pub struct CreateCommit {
    pub(crate) client: HubClient,
    pub(crate) repo_id: RepoId,
    pub(crate) operations: Vec<CommitOperation>,
    pub(crate) settings: CommitSettings,
}

impl CreateCommit {
    commit_setters!();

    /// Runs the commit. The future is boxed (it is large) and `'static`, so it can be spawned.
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            let ctx = RepoCtx {
                client: self.client,
                repo_id: self.repo_id,
                repo_type: self.settings.repo_type,
            };
            let message = self.settings.commit_message.clone().ok_or_else(|| {
                Error::invalid_argument("`commit_message` can't be empty, please pass a value.")
            })?;
            create_commit_impl(&ctx, self.operations, &message, &self.settings).await
        })
    }
}

/// Builder of [`crate::UploadExt::preupload_lfs_files`].
#[must_use = "call .send() to upload"]
#[derive(Debug)]
pub struct PreuploadLfsFiles<'a> {
    pub(crate) client: HubClient,
    pub(crate) repo_id: RepoId,
    pub(crate) additions: &'a mut [CommitOperationAdd],
    pub(crate) settings: CommitSettings,
    pub(crate) free_memory: bool,
}

impl<'a> PreuploadLfsFiles<'a> {
    commit_setters!();

    /// Whether uploaded LFS content is released from the operations (default true): the
    /// commit only needs their hashes.
    pub fn free_memory(mut self, yes: bool) -> Self {
        self.free_memory = yes;
        self
    }

    /// Hashes, asks the upload mode of, and uploads the LFS content of every addition not
    /// uploaded yet. Regular files are left for the commit.
    pub fn send(self) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let ctx = RepoCtx {
                client: self.client,
                repo_id: self.repo_id,
                repo_type: self.settings.repo_type,
            };
            let mut refs: Vec<&mut CommitOperationAdd> = self.additions.iter_mut().collect();
            let git_ignore = gitignore_content(&refs).await?;
            prepare_additions(&ctx, &self.settings, &mut refs, git_ignore.as_deref()).await?;
            if self.free_memory {
                for op in refs {
                    if op.is_uploaded {
                        op.content = Content::Dropped;
                    }
                }
            }
            Ok(())
        })
    }
}

/// The content of an added root `.gitignore`, sent with preupload so the server applies it.
async fn gitignore_content(additions: &[&mut CommitOperationAdd]) -> Result<Option<String>> {
    let Some(op) = additions.iter().find(|a| a.path_in_repo == ".gitignore") else {
        return Ok(None);
    };
    read_small(op).await.map(Some)
}

/// Reads a small text addition (README, .gitignore) whole.
async fn read_small(op: &CommitOperationAdd) -> Result<String> {
    let bytes = match &op.content {
        Content::Bytes(b) => b.to_vec(),
        Content::Path(p) => tokio::fs::read(p)
            .await
            .map_err(|e| Error::io(format!("reading {}", p.display()), e))?,
        Content::Spooled(p) => tokio::fs::read(&**p)
            .await
            .map_err(|e| Error::io("reading spooled content", e))?,
        Content::Reader(..) | Content::Dropped => return Ok(String::new()),
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Steps 2–4 for `ops`: spool, hash, preupload, upload LFS. Idempotent: finished steps are
/// skipped, so it can run again on the same operations.
pub(crate) async fn prepare_additions(
    ctx: &RepoCtx,
    settings: &CommitSettings,
    ops: &mut [&mut CommitOperationAdd],
    git_ignore: Option<&str>,
) -> Result<()> {
    // Spool one-shot readers to temp files so they can be read twice.
    for op in ops.iter_mut() {
        if matches!(op.content, Content::Reader(..))
            && let Content::Reader(reader, size) =
                std::mem::replace(&mut op.content, Content::Dropped)
        {
            let reader = reader
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let tmp = spool_reader(reader, size, &op.path_in_repo).await?;
            op.content = Content::Spooled(Arc::new(tmp));
        }
    }
    hash_missing(ops).await?;
    let revision = settings.revision().to_owned();
    let mut new: Vec<&mut CommitOperationAdd> = ops
        .iter_mut()
        .filter(|op| !op.is_uploaded)
        .map(|op| &mut **op)
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    fetch_upload_modes(ctx, &revision, settings.create_pr, &mut new, git_ignore).await?;
    // Regular files bigger than the inline limit need their git sha1 for no-op detection.
    for op in new.iter_mut() {
        let needs_sha1 = op.upload_mode == Some(UploadMode::Regular)
            && op.remote_oid.is_some()
            && op.info.as_ref().is_some_and(|i| i.git_sha1.is_none());
        if needs_sha1 {
            op.info = Some(hash_source(op, true).await?);
        }
    }
    let jobs: Vec<LfsJob> = new
        .iter()
        .filter(|op| op.upload_mode == Some(UploadMode::Lfs) && !op.should_ignore)
        .map(|op| {
            let info = op
                .info
                .as_ref()
                .ok_or_else(|| Error::invalid_argument("unhashed addition"))?;
            let source = op.source().ok_or_else(|| {
                Error::invalid_argument(format!("content of {} is not available", op.path_in_repo))
            })?;
            Ok(LfsJob {
                path_in_repo: op.path_in_repo.clone(),
                sha256: info.sha256.clone(),
                size: info.size,
                source,
            })
        })
        .collect::<Result<_>>()?;
    upload_lfs(
        ctx,
        &revision,
        settings.create_pr,
        jobs,
        settings.lfs_concurrency,
        settings.progress.clone(),
    )
    .await?;
    for op in new {
        if op.upload_mode == Some(UploadMode::Lfs) && !op.should_ignore {
            op.is_uploaded = true;
        }
    }
    Ok(())
}

async fn hash_source(op: &CommitOperationAdd, force_sha1: bool) -> Result<crate::ops::UploadInfo> {
    hash_owned(op.source(), op.path_in_repo.clone(), force_sha1).await
}

async fn hash_owned(
    source: Option<Source>,
    path_in_repo: String,
    force_sha1: bool,
) -> Result<crate::ops::UploadInfo> {
    match source {
        Some(Source::Bytes(b)) => {
            let sha1 = force_sha1 || b.len() as u64 <= GIT_SHA1_INLINE_LIMIT;
            tokio::task::spawn_blocking(move || hash_bytes(&b, sha1))
                .await
                .map_err(|e| Error::io("hashing task failed", std::io::Error::other(e)))
        }
        Some(Source::File(p)) => {
            let size = tokio::fs::metadata(&p)
                .await
                .map_err(|e| Error::io(format!("reading {}", p.display()), e))?
                .len();
            hash_file(&p, force_sha1 || size <= GIT_SHA1_INLINE_LIMIT).await
        }
        None => Err(Error::invalid_argument(format!(
            "content of {path_in_repo} is not available for hashing"
        ))),
    }
}

/// Hashes every addition that has no hashes yet, a few files at a time (one per core).
async fn hash_missing(ops: &mut [&mut CommitOperationAdd]) -> Result<()> {
    let parallel = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let todo: Vec<(usize, Option<Source>, String)> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.info.is_none())
        .map(|(i, op)| (i, op.source(), op.path_in_repo.clone()))
        .collect();
    let results: Vec<(usize, Result<crate::ops::UploadInfo>)> = futures::stream::iter(todo)
        .map(|(i, source, path)| async move { (i, hash_owned(source, path, false).await) })
        .buffer_unordered(parallel)
        .collect()
        .await;
    for (i, r) in results {
        ops[i].info = Some(r?);
    }
    Ok(())
}

/// What the commit must have done to a path, for checking whether an ambiguous attempt landed.
#[derive(Debug, Clone)]
enum Expect {
    File {
        lfs_sha256: Option<String>,
        git_sha1: Option<String>,
        size: u64,
    },
    Exists,
    Absent,
}

/// Steps 1–7. `message` is the commit title.
pub(crate) async fn create_commit_impl(
    ctx: &RepoCtx,
    mut operations: Vec<CommitOperation>,
    message: &str,
    settings: &CommitSettings,
) -> Result<CommitInfo> {
    if message.is_empty() {
        return Err(Error::invalid_argument(
            "`commit_message` can't be empty, please pass a value.",
        ));
    }
    if let Some(parent) = &settings.parent_commit {
        let ok = (5..=40).contains(&parent.len()) && parent.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(Error::invalid_argument(format!(
                "`parent_commit` is not a valid commit OID. It must match the following regex: ^[0-9a-f]{{5,40}}$ (got {parent:?})"
            )));
        }
    }
    let revision = settings.revision().to_owned();
    if settings.create_missing_branch && !settings.create_pr && settings.revision.is_some() {
        remote::ensure_branch(ctx, &revision).await?;
    }

    let mut additions: Vec<&mut CommitOperationAdd> = operations
        .iter_mut()
        .filter_map(|op| match op {
            CommitOperation::Add(a) => Some(a),
            _ => None,
        })
        .collect();
    if let Some(readme) = additions.iter().find(|a| a.path_in_repo == "README.md") {
        let text = read_small(readme).await?;
        remote::validate_readme(ctx, &text).await?;
    }
    let git_ignore = gitignore_content(&additions).await?;
    prepare_additions(ctx, settings, &mut additions, git_ignore.as_deref())
        .await
        .map_err(with_no_repo_hint)?;
    finish_commit(ctx, operations, message, settings).await
}

/// Steps 5–7, for operations whose additions are hashed, have an upload mode, and whose LFS
/// content is uploaded.
pub(crate) async fn finish_commit(
    ctx: &RepoCtx,
    mut operations: Vec<CommitOperation>,
    message: &str,
    settings: &CommitSettings,
) -> Result<CommitInfo> {
    let revision = settings.revision().to_owned();
    let description = settings.commit_description.clone().unwrap_or_default();
    // Keep what changes something.
    let before = operations.len();
    operations.retain(|op| match op {
        CommitOperation::Add(a) => !a.should_ignore && !a.is_noop(),
        _ => true,
    });
    if operations.len() != before {
        tracing::info!(
            skipped = before - operations.len(),
            "skipping unchanged or ignored files"
        );
    }
    if operations.is_empty() {
        tracing::warn!(
            "No files have been modified since last commit. Skipping to prevent empty commit."
        );
        let sha = remote::repo_head(ctx, &revision)
            .await
            .map_err(with_no_repo_hint)?;
        let url = format!("{}/commit/{sha}", commit_url_prefix(ctx));
        return Ok(CommitInfo::new(url, sha, message, description, None));
    }

    let copies = resolve_copies(ctx, &revision, &operations).await?;
    let mut body = CommitBody::new(message, &description, settings.parent_commit.as_deref());
    let mut expect: Vec<(String, Expect)> = Vec::new();
    for op in &operations {
        match op {
            CommitOperation::Add(a) => {
                let info = a
                    .info
                    .as_ref()
                    .ok_or_else(|| Error::invalid_argument("addition was not hashed"))?;
                match a.upload_mode {
                    Some(UploadMode::Lfs) => {
                        body.add_lfs_file(&a.path_in_repo, &info.sha256, Some(info.size))
                    }
                    _ => {
                        let source = a.source().ok_or_else(|| {
                            Error::invalid_argument(format!(
                                "content of {} was released before the commit",
                                a.path_in_repo
                            ))
                        })?;
                        body.add_file(&a.path_in_repo, source, info.size)
                    }
                }
                expect.push((
                    a.path_in_repo.clone(),
                    Expect::File {
                        lfs_sha256: (a.upload_mode == Some(UploadMode::Lfs))
                            .then(|| info.sha256.clone()),
                        git_sha1: info.git_sha1.clone(),
                        size: info.size,
                    },
                ));
            }
            CommitOperation::Delete(d) => {
                body.delete(&d.path_in_repo, d.is_folder);
                expect.push((
                    d.path_in_repo.trim_end_matches('/').to_owned(),
                    Expect::Absent,
                ));
            }
            CommitOperation::Copy(c) => {
                let src_rev = c.src_revision.as_deref().unwrap_or(&revision);
                match copies.get(&(src_rev.to_owned(), c.src_path_in_repo.clone())) {
                    Some(CopySource::Lfs(sha)) => body.add_lfs_file(&c.path_in_repo, sha, None),
                    Some(CopySource::Inline(bytes)) => body.add_file(
                        &c.path_in_repo,
                        Source::Bytes(bytes.clone()),
                        bytes.len() as u64,
                    ),
                    None => return Err(Error::invalid_argument("copy source was not resolved")),
                }
                expect.push((c.path_in_repo.clone(), Expect::Exists));
            }
        }
    }
    tracing::debug!(lines = body.lines(), bytes = body.len(), "committing");
    let answer = post_commit(ctx, &revision, settings, &body, &expect).await?;
    Ok(CommitInfo::from_response(answer, message, description))
}

fn commit_url_prefix(ctx: &RepoCtx) -> String {
    ctx.repo_url()
}

fn with_no_repo_hint(mut e: Error) -> Error {
    if let Error::RepositoryNotFound(c) = &mut e {
        let msg = c.server_message.take().unwrap_or_default();
        c.server_message = Some(
            format!("{msg}\nNote: Creating a commit assumes that the repo already exists on the Huggingface Hub. Please use `create_repo` if it's not the case.")
                .trim_start()
                .to_owned(),
        );
    }
    e
}

#[derive(Debug, Clone)]
enum CopySource {
    Lfs(String),
    Inline(bytes::Bytes),
}

/// Looks up every copy source (paths-info per source revision) and fetches regular ones.
async fn resolve_copies(
    ctx: &RepoCtx,
    revision: &str,
    operations: &[CommitOperation],
) -> Result<HashMap<(String, String), CopySource>> {
    let mut by_rev: HashMap<String, Vec<String>> = HashMap::new();
    for op in operations {
        if let CommitOperation::Copy(c) = op {
            let rev = c
                .src_revision
                .clone()
                .unwrap_or_else(|| revision.to_owned());
            let paths = by_rev.entry(rev).or_default();
            if !paths.contains(&c.src_path_in_repo) {
                paths.push(c.src_path_in_repo.clone());
            }
        }
    }
    let mut out = HashMap::new();
    for (rev, paths) in by_rev {
        let entries: HashMap<String, RepoEntry> = remote::paths_info(ctx, &rev, &paths)
            .await?
            .into_iter()
            .map(|e| (e.path().to_owned(), e))
            .collect();
        for path in paths {
            let entry = entries
                .get(&path)
                .and_then(RepoEntry::as_file)
                .ok_or_else(|| {
                    let url = format!("{}/paths-info/{}", ctx.api_url(), quote_segment(&rev));
                    Error::EntryNotFound(Box::new(
                        HttpContext::new(404, &url)
                            .with_error_code("EntryNotFound")
                            .with_message(format!(
                                "Cannot copy {path} at revision {rev}: file is missing on repo."
                            )),
                    ))
                })?;
            let src = match &entry.lfs {
                Some(lfs) => CopySource::Lfs(lfs.sha256.clone()),
                None => CopySource::Inline(remote::download(ctx, &rev, &path).await?),
            };
            out.insert((rev.clone(), path), src);
        }
    }
    Ok(out)
}

/// POSTs the commit, retrying only when that cannot commit twice (see the module doc).
async fn post_commit(
    ctx: &RepoCtx,
    revision: &str,
    settings: &CommitSettings,
    body: &CommitBody,
    expect: &[(String, Expect)],
) -> Result<CommitResponse> {
    let url = format!("{}/commit/{}", ctx.api_url(), quote_segment(revision));
    let create_pr = settings.create_pr;
    // The head before committing tells an ambiguous failure apart from a landed commit.
    let head_before = if create_pr {
        None
    } else {
        remote::repo_head(ctx, revision).await.ok()
    };
    let started = Instant::now();
    let mut attempt: u32 = 0;
    loop {
        let mut rb = ctx
            .client
            .authed_request(Method::POST, &url)?
            .header(header::CONTENT_TYPE, "application/x-ndjson")
            .header(header::CONTENT_LENGTH, body.len())
            .body(reqwest::Body::wrap_stream(body.stream()));
        if create_pr {
            rb = rb.query(&[("create_pr", "1")]);
        }
        // Sent once per round: whether a failed round may be repeated is decided below, by
        // the branch head.
        let result = ctx
            .client
            .send_json::<CommitResponse>(rb, SendOptions::new().once())
            .await;
        let err = match result {
            Ok(answer) => return Ok(answer),
            Err(e) => e,
        };
        if !err.is_retryable() {
            return Err(delete_hint(err));
        }
        // A status answer or a refused connection means the commit was not applied.
        let ambiguous = match &err {
            Error::Transport { source, .. } => !source.is_connect(),
            _ => false,
        };
        if ambiguous {
            let Some(before) = &head_before else {
                return Err(err);
            };
            let now = remote::repo_head(ctx, revision).await?;
            if &now != before && landed(ctx, &now, expect).await? {
                tracing::debug!("commit answer was lost but the commit landed as {now}");
                return Ok(CommitResponse {
                    commit_url: format!("{}/commit/{now}", commit_url_prefix(ctx)),
                    commit_oid: now,
                    pull_request_url: None,
                });
            }
        }
        let hint = err.http_context().and_then(|c| c.retry_after);
        match ctx
            .client
            .retry_policy()
            .next_delay(attempt, started.elapsed(), hint)
        {
            Some(delay) => {
                tracing::debug!(attempt, ?delay, "retrying commit: {err}");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            None => return Err(err),
        }
    }
}

fn delete_hint(mut e: Error) -> Error {
    if let Error::EntryNotFound(c) = &mut e {
        let msg = c.server_message.take().unwrap_or_default();
        c.server_message = Some(format!(
            "{msg}\nMake sure to differentiate file and folder paths in delete operations with a trailing '/' or using `CommitOperationDelete::folder`."
        ));
    }
    e
}

/// Whether the tree at `head` shows every effect of our commit.
async fn landed(ctx: &RepoCtx, head: &str, expect: &[(String, Expect)]) -> Result<bool> {
    let paths: Vec<String> = expect.iter().map(|(p, _)| p.clone()).collect();
    let entries: HashMap<String, RepoEntry> = remote::paths_info(ctx, head, &paths)
        .await?
        .into_iter()
        .map(|e| (e.path().to_owned(), e))
        .collect();
    Ok(expect.iter().all(|(path, exp)| {
        let entry = entries.get(path);
        match exp {
            Expect::Absent => entry.is_none(),
            Expect::Exists => entry.is_some(),
            Expect::File {
                lfs_sha256,
                git_sha1,
                size,
            } => match (entry, lfs_sha256, git_sha1) {
                (None, ..) => false,
                (Some(e), Some(sha), _) => e
                    .as_file()
                    .and_then(|f| f.lfs.as_ref())
                    .is_some_and(|l| &l.sha256 == sha),
                (Some(e), None, Some(sha1)) => e.as_file().is_some_and(|f| &f.blob_id == sha1),
                (Some(e), None, None) => e.as_file().is_some_and(|f| f.size == *size),
            },
        }
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Answers the repo head (GET) and the commit (POST).
    fn hub() -> axum::Router {
        axum::Router::new().fallback(|method: axum::http::Method| async move {
            let body = if method == axum::http::Method::GET {
                format!("{{\"id\":\"a/b\",\"sha\":\"{}\"}}", "a".repeat(40))
            } else {
                r#"{"commitOid":"bbbb","commitUrl":"http://h/a/b/commit/bbbb"}"#.to_owned()
            };
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
        })
    }

    /// The commit body is streamed from disk but announced with an exact Content-Length (the
    /// Hub mis-reads chunked NDJSON), and parses as NDJSON on the other side.
    #[tokio::test]
    async fn commit_body_is_streamed_with_content_length() {
        let server = test_support::MockServer::start(hub()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        let data = vec![b'x'; 3_000_001];
        std::fs::write(&p, &data).unwrap();
        let client = HubClient::builder()
            .config(hub_core::Config::builder().endpoint(server.url()).build())
            .token("hf_test")
            .build()
            .unwrap();
        let ctx = RepoCtx {
            client,
            repo_id: RepoId::new("a/b").unwrap(),
            repo_type: RepoType::Model,
        };
        let mut op = CommitOperationAdd::from_path("f.txt", &p).unwrap();
        op.info = Some(crate::hash::hash_file(&p, true).await.unwrap());
        op.upload_mode = Some(UploadMode::Regular);
        let info = finish_commit(
            &ctx,
            vec![
                CommitOperation::Add(op),
                CommitOperation::delete("old/").unwrap(),
            ],
            "msg",
            &CommitSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!(info.oid, "bbbb");
        let seen = server.requests();
        let commit = &seen[1];
        assert_eq!(commit.method, axum::http::Method::POST);
        assert_eq!(commit.path, "/api/models/a/b/commit/main");
        assert_eq!(commit.header("content-type"), Some("application/x-ndjson"));
        assert_eq!(commit.header("authorization"), Some("Bearer hf_test"));
        assert_eq!(commit.header("transfer-encoding"), None);
        let announced = commit.header("content-length").map(str::to_owned);
        assert_eq!(announced, Some(commit.body.len().to_string()));
        let body = &commit.body;
        let text = std::str::from_utf8(body).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["value"]["summary"], "msg");
        use base64::Engine as _;
        let content = base64::engine::general_purpose::STANDARD
            .decode(lines[1]["value"]["content"].as_str().unwrap())
            .unwrap();
        assert_eq!(content, data);
        assert_eq!(lines[2]["key"], "deletedFolder");
    }

    /// Only a `.gitignore` at the repository root is sent with preupload; nested ones are files.
    #[tokio::test]
    async fn gitignore_content_is_taken_from_the_root_only() {
        let mut nested = CommitOperationAdd::from_bytes("sub/.gitignore", &b"*.txt\n"[..]).unwrap();
        let mut other = CommitOperationAdd::from_bytes("a.txt", &b"a"[..]).unwrap();
        assert_eq!(
            gitignore_content(&[&mut nested, &mut other]).await.unwrap(),
            None
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".gitignore");
        std::fs::write(&p, "*.log\nbuild/\n").unwrap();
        let mut root = CommitOperationAdd::from_path("/.gitignore", &p).unwrap();
        assert_eq!(
            gitignore_content(&[&mut nested, &mut root])
                .await
                .unwrap()
                .as_deref(),
            Some("*.log\nbuild/\n")
        );
    }

    #[test]
    fn commit_info_derives_pr_fields() {
        // hub-core's argument order: url, oid, message, description, PR URL.
        let c = CommitInfo::new(
            "http://h/datasets/a/b/commit/abc",
            "abc",
            "m",
            "",
            Some("http://h/datasets/a/b/discussions/7".into()),
        );
        assert_eq!(c.repo_url, "http://h/datasets/a/b");
        assert_eq!(c.pr_num, Some(7));
        assert_eq!(c.pr_revision.as_deref(), Some("refs/pr/7"));
        // `url()` is the PR page when there is one; `Display` is always the commit URL.
        assert_eq!(c.url(), "http://h/datasets/a/b/discussions/7");
        let c = CommitInfo::new("http://h/a/b/commit/abc", "abc", "m", "", None);
        assert_eq!(c.pr_num, None);
        assert_eq!(c.to_string(), "http://h/a/b/commit/abc");
    }
}
