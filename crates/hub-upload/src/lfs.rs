//! LFS uploads: the git-lfs batch API, then `basic` (one PUT) or the Hub's `multipart`
//! transfer (numbered part URLs uploaded concurrently, then a completion POST), then verify.
//!
//! Upload PUTs and the completion POST go to pre-signed URLs and carry **no** Hub token (a
//! plain request on the shared connection pool); the batch and verify calls carry it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt as _, TryStreamExt as _};
use hub_core::{Error, HubClient, ProgressSink, Result, SendOptions};
use reqwest::{Method, header};
use serde::{Deserialize, Serialize};

use crate::ops::Source;
use crate::remote::{RepoCtx, json_repeatable, retrying};
use crate::stream::{FileProgress, source_stream};

/// Objects per batch request.
pub const LFS_BATCH: usize = 256;
/// Files uploaded at the same time by default (Python's `num_threads`).
pub const DEFAULT_LFS_CONCURRENCY: usize = 5;
/// Parts of one multipart file uploaded at the same time.
pub const PART_CONCURRENCY: usize = 4;

const LFS_JSON: &str = "application/vnd.git-lfs+json";

/// One LFS object to upload.
#[derive(Debug, Clone)]
pub(crate) struct LfsJob {
    pub(crate) path_in_repo: String,
    pub(crate) sha256: String,
    pub(crate) size: u64,
    pub(crate) source: Source,
}

#[derive(Serialize)]
struct BatchObject<'a> {
    oid: &'a str,
    size: u64,
}

#[derive(Serialize)]
struct BatchRef<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    operation: &'static str,
    transfers: [&'static str; 2],
    objects: Vec<BatchObject<'a>>,
    hash_algo: &'static str,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    git_ref: Option<BatchRef<'a>>,
}

/// An action of a batch answer (`upload` or `verify`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub(crate) struct Action {
    pub(crate) href: String,
    #[serde(default)]
    pub(crate) header: Option<HashMap<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub(crate) struct Actions {
    #[serde(default)]
    pub(crate) upload: Option<Action>,
    #[serde(default)]
    pub(crate) verify: Option<Action>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub(crate) struct ObjectError {
    pub(crate) code: i64,
    pub(crate) message: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub(crate) struct BatchObjectAnswer {
    pub(crate) oid: String,
    pub(crate) size: u64,
    #[serde(default)]
    pub(crate) actions: Option<Actions>,
    #[serde(default)]
    pub(crate) error: Option<ObjectError>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BatchAnswer {
    pub(crate) objects: Vec<BatchObjectAnswer>,
}

/// How one object must be transferred, derived from its `upload` action.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Transfer {
    /// A single PUT to `href`.
    Basic { href: String },
    /// PUT each part to its URL, then POST the ETags to `completion`.
    Multipart {
        completion: String,
        chunk_size: u64,
        parts: Vec<String>,
    },
}

/// Reads the transfer of an upload action. Multipart is recognised by `header.chunk_size`; the
/// part URLs are the numeric keys, and there must be exactly `ceil(size / chunk_size)` of them.
pub(crate) fn transfer_for(action: &Action, size: u64, endpoint: &str) -> Result<Transfer> {
    let href = rewrite_href(&action.href, endpoint);
    let Some(header) = &action.header else {
        return Ok(Transfer::Basic { href });
    };
    let Some(chunk) = header.get("chunk_size") else {
        return Ok(Transfer::Basic { href });
    };
    let chunk_size = match chunk {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .filter(|c| *c > 0)
    .ok_or_else(|| Error::decode(&href, format!("invalid LFS multipart chunk_size {chunk}")))?;
    let mut numbered: Vec<(u64, String)> = header
        .iter()
        .filter(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|(k, v)| Some((k.parse::<u64>().ok()?, v.as_str()?.to_owned())))
        .collect();
    numbered.sort_by_key(|(n, _)| *n);
    let expected = part_count(size, chunk_size);
    let contiguous = numbered
        .iter()
        .enumerate()
        .all(|(i, (n, _))| *n == i as u64 + 1);
    if numbered.len() as u64 != expected || !contiguous {
        return Err(Error::decode(
            &href,
            format!(
                "LFS multipart answer has {} part URLs, expected {expected} (size {size}, chunk {chunk_size})",
                numbered.len()
            ),
        ));
    }
    Ok(Transfer::Multipart {
        completion: href,
        chunk_size,
        parts: numbered
            .into_iter()
            .map(|(_, u)| rewrite_href(&u, endpoint))
            .collect(),
    })
}

/// `ceil(size / chunk_size)`.
pub(crate) fn part_count(size: u64, chunk_size: u64) -> u64 {
    size.div_ceil(chunk_size)
}

/// Byte range `[start, end)` of part `n` (1-based).
pub(crate) fn part_range(n: u64, chunk_size: u64, size: u64) -> (u64, u64) {
    let start = (n - 1) * chunk_size;
    (start, (start + chunk_size).min(size))
}

/// Hrefs on the canonical Hub host are rewritten to a custom endpoint, as Python does.
pub(crate) fn rewrite_href(href: &str, endpoint: &str) -> String {
    for canonical in ["https://huggingface.co", "https://hub-ci.huggingface.co"] {
        if endpoint != canonical
            && let Some(rest) = href.strip_prefix(canonical)
        {
            return format!("{endpoint}{rest}");
        }
    }
    href.to_owned()
}

/// Uploads every job whose content the server does not have yet: batch requests of 256, then
/// `concurrency` transfers at a time.
pub(crate) async fn upload_lfs(
    ctx: &RepoCtx,
    revision: &str,
    create_pr: bool,
    jobs: Vec<LfsJob>,
    concurrency: usize,
    progress: Arc<dyn ProgressSink>,
) -> Result<()> {
    // Two paths with the same content are one object.
    let mut unique: Vec<LfsJob> = Vec::with_capacity(jobs.len());
    for job in jobs {
        if !unique.iter().any(|j| j.sha256 == job.sha256) {
            unique.push(job);
        }
    }
    let url = format!("{}.git/info/lfs/objects/batch", ctx.repo_url());
    let mut work: Vec<(LfsJob, Actions)> = Vec::new();
    for chunk in unique.chunks(LFS_BATCH) {
        let body = BatchRequest {
            operation: "upload",
            transfers: ["basic", "multipart"],
            objects: chunk
                .iter()
                .map(|j| BatchObject {
                    oid: &j.sha256,
                    size: j.size,
                })
                .collect(),
            hash_algo: "sha256",
            git_ref: (!create_pr).then_some(BatchRef { name: revision }),
        };
        let rb = ctx
            .client
            .authed_request(Method::POST, &url)?
            .header(header::ACCEPT, LFS_JSON)
            .header(header::CONTENT_TYPE, LFS_JSON)
            .body(serde_json::to_vec(&body).map_err(|e| Error::invalid_argument(e.to_string()))?);
        // The batch call only negotiates transfers: safe to repeat.
        let answer: BatchAnswer = json_repeatable(&ctx.client, rb).await?;
        let errors: Vec<String> = answer
            .objects
            .iter()
            .filter_map(|o| {
                o.error
                    .as_ref()
                    .map(|e| format!("{}: {} ({})", o.oid, e.message, e.code))
            })
            .collect();
        if !errors.is_empty() {
            return Err(Error::invalid_argument(format!(
                "LFS batch endpoint returned errors:\n{}",
                errors.join("\n")
            )));
        }
        for obj in answer.objects {
            let Some(actions) = obj.actions.filter(|a| a.upload.is_some()) else {
                continue; // the server already has this content
            };
            if let Some(job) = chunk.iter().find(|j| j.sha256 == obj.oid) {
                work.push((job.clone(), actions));
            }
        }
    }
    futures::stream::iter(work.into_iter().map(|(job, actions)| {
        let progress = progress.clone();
        async move { upload_one(&ctx.client, &job, &actions, progress).await }
    }))
    .buffer_unordered(concurrency.max(1))
    .try_collect::<Vec<()>>()
    .await?;
    Ok(())
}

async fn upload_one(
    client: &HubClient,
    job: &LfsJob,
    actions: &Actions,
    progress: Arc<dyn ProgressSink>,
) -> Result<()> {
    let fp = FileProgress::new(progress, &job.path_in_repo);
    tracked(
        &fp,
        job.size,
        transfer_and_verify(client, job, actions, &fp),
    )
    .await
}

/// Reports `Started`, runs the transfer, then reports `Finished` or `Failed` for one file.
async fn tracked(
    fp: &FileProgress,
    size: u64,
    transfer: impl std::future::Future<Output = Result<()>>,
) -> Result<()> {
    fp.started(size);
    let r = transfer.await;
    match &r {
        Ok(()) => fp.finished(),
        Err(e) => fp.failed(&e.to_string()),
    }
    r
}

async fn transfer_and_verify(
    client: &HubClient,
    job: &LfsJob,
    actions: &Actions,
    fp: &FileProgress,
) -> Result<()> {
    let Some(upload) = &actions.upload else {
        return Ok(());
    };
    let transfer = transfer_for(upload, job.size, client.endpoint())?;
    let transferred = match transfer {
        Transfer::Basic { href } => put_range(client, &href, &job.source, 0, job.size, fp)
            .await
            .map(|_| ()),
        Transfer::Multipart {
            completion,
            chunk_size,
            parts,
        } => upload_multipart(client, job, &completion, chunk_size, parts, fp).await,
    };
    match (&actions.verify, transferred) {
        (None, r) => r,
        (Some(verify), r) => {
            let verified = verify_object(client, verify, job).await;
            match (r, verified) {
                (Ok(()), v) => v,
                // An answer lost after the server stored the object (a cut connection on a
                // completion) is harmless when verify confirms the object; otherwise the
                // transfer's own error is the one worth showing.
                (Err(e), Ok(())) => {
                    tracing::debug!(path = %job.path_in_repo, "transfer reported {e} but verify succeeded");
                    Ok(())
                }
                (Err(e), Err(_)) => Err(e),
            }
        }
    }
}

/// PUTs `[start, end)` of the source to a pre-signed URL (no Hub token), retrying; returns the
/// response ETag (quotes kept, as the completion expects them verbatim).
async fn put_range(
    client: &HubClient,
    href: &str,
    source: &Source,
    start: u64,
    end: u64,
    fp: &FileProgress,
) -> Result<Option<String>> {
    let part = fp.part();
    // The body is a stream read from the source, so each attempt builds the request anew and
    // sends it once.
    retrying(client, "LFS upload", || async {
        let body = part.wrap(source_stream(source, start, end - start, false));
        let rb = client
            .request_without_token(Method::PUT, href)
            .header(header::CONTENT_LENGTH, end - start)
            .body(reqwest::Body::wrap_stream(body));
        let resp = client.send(rb, SendOptions::new().once()).await?;
        let etag = resp
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Drain the (small) body so the connection goes back to the pool.
        let _ = resp.bytes().await;
        Ok(etag)
    })
    .await
}

#[derive(Serialize)]
struct CompletionPart {
    #[serde(rename = "partNumber")]
    part_number: u64,
    etag: String,
}

#[derive(Serialize)]
struct Completion<'a> {
    oid: &'a str,
    parts: Vec<CompletionPart>,
}

async fn upload_multipart(
    client: &HubClient,
    job: &LfsJob,
    completion: &str,
    chunk_size: u64,
    parts: Vec<String>,
    fp: &FileProgress,
) -> Result<()> {
    let mut etags: Vec<CompletionPart> =
        futures::stream::iter(parts.into_iter().enumerate().map(|(i, url)| async move {
            let n = i as u64 + 1;
            let (start, end) = part_range(n, chunk_size, job.size);
            let etag = put_range(client, &url, &job.source, start, end, fp).await?;
            let etag = etag
                .filter(|e| !e.is_empty())
                .ok_or_else(|| Error::FileMetadata {
                    url: hub_core::error::redact_url(&url),
                    message: format!("no ETag in the answer to part {n}"),
                })?;
            Ok::<_, Error>(CompletionPart {
                part_number: n,
                etag,
            })
        }))
        .buffer_unordered(PART_CONCURRENCY)
        .try_collect()
        .await?;
    etags.sort_by_key(|p| p.part_number);
    let body = serde_json::to_vec(&Completion {
        oid: &job.sha256,
        parts: etags,
    })
    .map_err(|e| Error::invalid_argument(e.to_string()))?;
    let rb = client
        .request_without_token(Method::POST, completion)
        .header(header::ACCEPT, LFS_JSON)
        .header(header::CONTENT_TYPE, LFS_JSON)
        .body(body);
    // Completing the same parts twice completes the same object: safe to repeat.
    client
        .send_read(rb, SendOptions::new().repeatable(true))
        .await
        .map(drop)
}

/// Uploads the file at `path` (`size` bytes, sha256 `oid`) by the Hub's LFS `multipart`
/// transfer, as the `upload` action of a git-lfs batch answer describes it: `href` is the
/// completion URL, and `header` holds `chunk_size` and one pre-signed part URL per numeric key
/// (`"1"`, `"2"`, ...). Parts are PUT [`PART_CONCURRENCY`] at a time without the Hub token, each
/// retried with the client's retry policy; then their ETags are POSTed to `href`. URLs on the
/// canonical Hub host are rewritten to the client's endpoint, as for commits.
///
/// Progress goes to `progress` for the file name `path.display()`: `Started`, `Advanced` byte
/// deltas as parts are sent (a retried part is not counted twice), then `Finished` or `Failed`.
///
/// This is the transfer [`crate::UploadExt::create_commit`] makes for a multipart object, without
/// the batch request before it and the verify call after it; a git-lfs custom transfer agent,
/// which gets the batch answer from git-lfs, needs only this.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when the action is not a multipart one (no `chunk_size` in `header`),
/// [`Error::Decode`] when `chunk_size` is invalid or the part URLs do not match `size`,
/// [`Error::FileMetadata`] when a part is accepted without an ETag, and the HTTP errors of the
/// PUTs and the completion POST.
pub async fn upload_multipart_file(
    client: &HubClient,
    oid: &str,
    path: &Path,
    size: u64,
    href: &str,
    header: HashMap<String, serde_json::Value>,
    progress: Arc<dyn ProgressSink>,
) -> Result<()> {
    let action = Action {
        href: href.to_owned(),
        header: Some(header),
    };
    let Transfer::Multipart {
        completion,
        chunk_size,
        parts,
    } = transfer_for(&action, size, client.endpoint())?
    else {
        return Err(Error::invalid_argument(
            "the upload action has no chunk_size header: not a multipart upload",
        ));
    };
    let job = LfsJob {
        path_in_repo: path.display().to_string(),
        sha256: oid.to_owned(),
        size,
        source: Source::File(path.to_owned()),
    };
    let fp = FileProgress::new(progress, &job.path_in_repo);
    tracked(
        &fp,
        size,
        upload_multipart(client, &job, &completion, chunk_size, parts, &fp),
    )
    .await
}

async fn verify_object(client: &HubClient, verify: &Action, job: &LfsJob) -> Result<()> {
    let href = rewrite_href(&verify.href, client.endpoint());
    let body = serde_json::json!({"oid": job.sha256, "size": job.size});
    let rb = client
        .authed_request(Method::POST, &href)?
        .header(header::ACCEPT, LFS_JSON)
        .json(&body)
        .timeout(Duration::from_secs(300));
    // Verification only reads: safe to repeat.
    client
        .send_read(rb, SendOptions::new().repeatable(true))
        .await
        .map(drop)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn action(header: serde_json::Value) -> Action {
        serde_json::from_value(serde_json::json!({"href": "http://h/complete", "header": header}))
            .unwrap()
    }

    #[test]
    fn part_math() {
        assert_eq!(part_count(0, 10), 0);
        assert_eq!(part_count(1, 10), 1);
        assert_eq!(part_count(10, 10), 1);
        assert_eq!(part_count(11, 10), 2);
        assert_eq!(part_range(1, 10, 25), (0, 10));
        assert_eq!(part_range(3, 10, 25), (20, 25));
        // Ranges tile the file exactly.
        let (size, chunk) = (1_000_003u64, 4096u64);
        let total: u64 = (1..=part_count(size, chunk))
            .map(|n| {
                let (a, b) = part_range(n, chunk, size);
                b - a
            })
            .sum();
        assert_eq!(total, size);
    }

    #[test]
    fn basic_vs_multipart() {
        let basic = action(serde_json::json!({"x-amz": "1"}));
        assert_eq!(
            transfer_for(&basic, 5, "http://h").unwrap(),
            Transfer::Basic {
                href: "http://h/complete".into()
            }
        );
        let mp = action(
            serde_json::json!({"chunk_size": "10", "2": "http://h/p2", "1": "http://h/p1", "x": "y"}),
        );
        assert_eq!(
            transfer_for(&mp, 15, "http://h").unwrap(),
            Transfer::Multipart {
                completion: "http://h/complete".into(),
                chunk_size: 10,
                parts: vec!["http://h/p1".into(), "http://h/p2".into()],
            }
        );
        let mp_int = action(serde_json::json!({"chunk_size": 10, "1": "http://h/p1"}));
        assert!(matches!(
            transfer_for(&mp_int, 10, "http://h").unwrap(),
            Transfer::Multipart { .. }
        ));
        // Wrong number of part URLs is refused.
        assert!(transfer_for(&mp_int, 11, "http://h").is_err());
        let bad = action(serde_json::json!({"chunk_size": "zero", "1": "u"}));
        assert!(transfer_for(&bad, 1, "http://h").is_err());
    }

    #[test]
    fn hrefs_are_rewritten_for_custom_endpoints() {
        assert_eq!(
            rewrite_href("https://huggingface.co/x/lfs", "http://127.0.0.1:1"),
            "http://127.0.0.1:1/x/lfs"
        );
        assert_eq!(
            rewrite_href("https://huggingface.co/x", "https://huggingface.co"),
            "https://huggingface.co/x"
        );
        assert_eq!(
            rewrite_href("https://s3.aws/x", "http://h"),
            "https://s3.aws/x"
        );
    }

    #[test]
    fn batch_answer_parsing() {
        let a: BatchAnswer = serde_json::from_str(
            r#"{"transfer":"basic","objects":[{"oid":"a","size":1},
                {"oid":"b","size":2,"actions":{"upload":{"href":"http://u"},"verify":{"href":"http://v","header":{}}}},
                {"oid":"c","size":3,"error":{"code":404,"message":"nope"}}]}"#,
        )
        .unwrap();
        assert!(a.objects[0].actions.is_none());
        assert_eq!(
            a.objects[1]
                .actions
                .as_ref()
                .unwrap()
                .upload
                .as_ref()
                .unwrap()
                .href,
            "http://u"
        );
        assert_eq!(a.objects[2].error.as_ref().unwrap().code, 404);
        assert!(serde_json::from_str::<BatchAnswer>(r#"{"objects":[{"oid":"a"}]}"#).is_err());
    }

    /// Records the byte deltas reported for a file.
    #[derive(Debug, Default)]
    struct Deltas(std::sync::Mutex<Vec<u64>>);

    impl ProgressSink for Deltas {
        fn event(&self, event: hub_core::ProgressEvent<'_>) {
            if let hub_core::ProgressEvent::Advanced { bytes, .. } = event {
                self.0.lock().unwrap().push(bytes);
            }
        }
    }

    /// The (lower-cased head, body) of every request the fake server saw.
    /// PUTs of part N answer `ETag: "eN"`; the completion POST answers `{}`.
    fn lfs_storage() -> axum::Router {
        axum::Router::new().fallback(|uri: axum::http::Uri| async move {
            let mut resp = axum::response::Response::new(axum::body::Body::from("{}"));
            if let Some(n) = uri.path().strip_prefix("/part")
                && let Ok(v) = axum::http::HeaderValue::from_str(&format!("\"e{n}\""))
            {
                resp.headers_mut().insert(axum::http::header::ETAG, v);
            }
            resp
        })
    }

    /// The public multipart uploader PUTs each slice to its part URL without the Hub token,
    /// then POSTs the ETags in part order to the completion URL, and reports every byte once.
    #[tokio::test]
    async fn multipart_file_upload_puts_parts_then_completes() {
        let server = test_support::MockServer::start(lfs_storage())
            .await
            .unwrap();
        let ep = server.url();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let data: Vec<u8> = (0..25u8).collect();
        std::fs::write(&path, &data).unwrap();
        let client = HubClient::builder()
            .config(hub_core::Config::builder().endpoint(ep.clone()).build())
            .token("hf_secret")
            .build()
            .unwrap();
        let header: HashMap<String, serde_json::Value> =
            serde_json::from_value(serde_json::json!({
                "chunk_size": "10", "1": format!("{ep}/part1"), "2": format!("{ep}/part2"),
                "3": format!("{ep}/part3"),
            }))
            .unwrap();
        let deltas = Arc::new(Deltas::default());
        upload_multipart_file(
            &client,
            "abc",
            &path,
            25,
            &format!("{ep}/complete"),
            header,
            deltas.clone(),
        )
        .await
        .unwrap();
        assert_eq!(deltas.0.lock().unwrap().iter().sum::<u64>(), 25);
        let seen = server.requests();
        assert_eq!(seen.len(), 4);
        let mut parts = seen[..3].to_vec();
        parts.sort_by(|a, b| a.path.cmp(&b.path));
        for (i, part) in parts.iter().enumerate() {
            assert_eq!(part.method, axum::http::Method::PUT);
            assert_eq!(part.path, format!("/part{}", i + 1));
            assert_eq!(
                part.header("authorization"),
                None,
                "token sent to a part URL"
            );
            assert_eq!(part.body.as_ref(), &data[i * 10..(i * 10 + 10).min(25)]);
        }
        let complete = &seen[3];
        assert_eq!(complete.method, axum::http::Method::POST);
        assert_eq!(complete.path, "/complete");
        assert_eq!(complete.header("authorization"), None);
        let body = &complete.body;
        let body: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"oid": "abc", "parts": [
                {"partNumber": 1, "etag": "\"e1\""},
                {"partNumber": 2, "etag": "\"e2\""},
                {"partNumber": 3, "etag": "\"e3\""},
            ]})
        );
    }

    /// An action without `chunk_size` is a basic transfer: refused before anything is sent.
    #[tokio::test]
    async fn multipart_file_upload_refuses_a_basic_action() {
        let client = HubClient::builder()
            .config(
                hub_core::Config::builder()
                    .endpoint("http://127.0.0.1:9")
                    .build(),
            )
            .build()
            .unwrap();
        let deltas = Arc::new(Deltas::default());
        let err = upload_multipart_file(
            &client,
            "abc",
            Path::new("/nonexistent"),
            5,
            "http://127.0.0.1:9/complete",
            HashMap::new(),
            deltas.clone(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(deltas.0.lock().unwrap().is_empty());
    }
}
