//! Upload protocol: preupload, LFS batch (basic + multipart), signed upload routes, verify, and
//! the NDJSON commit endpoint.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::StreamExt;
use serde_json::{Value, json};

use super::{Ctx, internal};
use crate::blobstore::{ByteStream, PutError, is_sha256};
use crate::error::{HubError, HubResult};
use crate::git::{Kind, RefError};
use crate::multipart::MultipartError;
use crate::repo::{self, Change, CommitMeta, Discussion, RepoType};
use crate::util;

/// Largest NDJSON commit body (regular files travel inline, base64-encoded).
const COMMIT_LIMIT: usize = 1024 * 1024 * 1024;
/// Files at least this large are LFS regardless of attributes (the Hub's 10 MB rule).
const LFS_SIZE_THRESHOLD: u64 = 10 * 1000 * 1000;
/// Lifetime of signed upload URLs.
const UPLOAD_TTL_SECS: i64 = 24 * 3600;

/// Validates a path in the repo; returns it normalised (no leading `./`).
pub(crate) fn validate_path(p: &str) -> HubResult<String> {
    let bad = |why: &str| HubError::Unprocessable(format!("Invalid path {p:?}: {why}"));
    if p.is_empty() {
        return Err(bad("empty"));
    }
    if p.starts_with('/') {
        return Err(bad("absolute paths are not allowed"));
    }
    if p.len() > 4096 {
        return Err(bad("too long"));
    }
    if p.chars().any(|c| c.is_control()) {
        return Err(bad("control characters are not allowed"));
    }
    let p = p.strip_prefix("./").unwrap_or(p);
    // Names are Hub paths, not Windows ones: a backslash is an ordinary character
    // (`folder/..\\x` is a legal name) and only `/` separates segments. A path that *starts* by
    // climbing out with a backslash (`..\\ddd`) is refused like the Hub does (422).
    if p.split(['/', '\\']).next() == Some("..") {
        return Err(bad("relative components are not allowed"));
    }
    for comp in p.split('/') {
        match comp {
            "" => return Err(bad("empty path component")),
            "." | ".." => return Err(bad("relative components are not allowed")),
            ".git" => return Err(bad("'.git' components are not allowed")),
            _ => {}
        }
    }
    Ok(p.to_string())
}

/// Refuses a README whose metadata the Hub would refuse (400 with the Hub's text); returns
/// the warnings of an acceptable one (empty metadata).
fn check_readme(content: &[u8]) -> HubResult<Vec<String>> {
    let verdict = crate::card::validate(&String::from_utf8_lossy(content));
    if verdict.errors.is_empty() {
        Ok(verdict.warnings)
    } else {
        Err(bad(verdict.error_text()))
    }
}

fn bad(msg: impl Into<String>) -> HubError {
    HubError::BadRequest(msg.into())
}

/// Resolves the ref a write goes to: `refs/...` as is, else a branch.
fn write_ref(rev: &str) -> String {
    if rev.starts_with("refs/") {
        rev.to_string()
    } else {
        format!("refs/heads/{rev}")
    }
}

/// `POST /api/{T}/{id}/preupload/{rev}`.
pub(super) async fn preupload(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    rev: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_read(ty, ns, name).await?;
    let create_pr = ctx.query.flag("create_pr");
    if create_pr {
        ctx.check_contribute(&repo).await?;
    } else {
        ctx.check_write_rev(&repo, rev).await?;
    }
    let files = body
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("Missing `files` array"))?;
    let mut reqs = Vec::with_capacity(files.len());
    for f in files {
        let path = f
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("Each file needs a `path`"))?;
        let path = validate_path(path)?;
        let size = f.get("size").and_then(Value::as_u64).unwrap_or(0);
        let sample = f.get("sample").and_then(Value::as_str).unwrap_or("");
        let sample = base64::engine::general_purpose::STANDARD
            .decode(sample)
            .map_err(|_| bad(format!("Invalid base64 sample for {path}")))?;
        // A README small enough to fit the sample is judged here already, as on the Hub.
        if path == "README.md" && sample.len() as u64 == size {
            check_readme(&sample)?;
        }
        reqs.push((
            f.get("path")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            path,
            size,
            sample,
        ));
    }
    let extra_ignore = body
        .get("gitIgnore")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let reader = ctx.st.inner.repos.reader(&repo);
    let rev = rev.to_string();
    let out = repo::blocking(&reader, move |r| {
        let res = if create_pr {
            let name = write_ref(&rev);
            match (name.starts_with("refs/heads/"), r.git.read_ref(&name)?) {
                (true, Some(c)) => Some(c),
                _ => None,
            }
        } else {
            r.resolve(&rev)?.map(|x| x.commit)
        };
        let Some(commit) = res else {
            return Ok(Err(HubError::RevisionNotFound(format!(
                "Invalid rev id: {rev}"
            ))));
        };
        let tree = r.commit(&commit)?.tree;
        let attrs = r.file_text(&tree, ".gitattributes")?;
        let ignore = format!("{}\n{extra_ignore}", r.file_text(&tree, ".gitignore")?);
        let mut out = vec![];
        for (orig, path, size, sample) in reqs {
            let lfs = util::gitattributes_lfs(&attrs, &path)
                || size >= LFS_SIZE_THRESHOLD
                || sample.contains(&0);
            let mut v = json!({
                "path": orig,
                "uploadMode": if lfs { "lfs" } else { "regular" },
                "shouldIgnore": util::gitignore_matches(&ignore, &path),
            });
            if let Some(e) = r.entry(&tree, &path)?
                && !e.is_tree
            {
                let info = r.blob_info(&e.oid)?;
                v["oid"] = json!(info.lfs.map(|l| l.oid).unwrap_or(e.oid));
            }
            out.push(v);
        }
        Ok(Ok(out))
    })
    .await
    .map_err(internal)??;
    Ok(super::json(json!({"files": out, "commitOid": null})))
}

fn lfs_json(v: Value, status: StatusCode) -> Response {
    let mut resp = (status, axum::Json(v)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.git-lfs+json"),
    );
    resp
}

/// The signed `kind` of a direct multipart upload's completion URL: binds the staging key and
/// the store's upload id, so a client can complete only the upload it was given.
fn direct_kind(staging: &str, upload_id: &str) -> String {
    format!("s3mp\n{staging}\n{upload_id}")
}

fn upload_sig(secret: &[u8], kind: &str, oid: &str, size: u64, chunk: u64, exp: i64) -> String {
    util::hmac_hex(
        secret,
        format!("{kind}\n{oid}\n{size}\n{chunk}\n{exp}").as_bytes(),
    )
}

/// `POST /{prefix}{id}.git/info/lfs/objects/batch`.
pub(super) async fn lfs_batch(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
) -> HubResult<Response> {
    if ctx.method() != axum::http::Method::POST {
        return Err(HubError::NotFound("Not Found".into()));
    }
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_read(ty, ns, name).await?;
    let op = body
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or("download")
        .to_string();
    if op == "upload" {
        ctx.check_contribute(&repo).await?;
    } else if op == "download" {
        ctx.check_gated(&repo).await?;
    } else {
        return Err(bad(format!("Unknown LFS operation {op:?}")));
    }
    let objects = body
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("Missing `objects` array"))?;
    let st = ctx.st.inner.clone();
    let exp = chrono::Utc::now().timestamp() + UPLOAD_TTL_SECS;
    let verify_href = format!(
        "{}/{}{}.git/info/lfs/objects/verify",
        ctx.public(),
        ty.url_prefix(),
        repo.id()
    );
    let mut out = Vec::with_capacity(objects.len());
    let mut any_multipart = false;
    let mut auth_header = serde_json::Map::new();
    if let Some(a) = ctx
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        auth_header.insert("Authorization".into(), json!(a));
    }
    for o in objects {
        let oid = o
            .get("oid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let size = o.get("size").and_then(Value::as_u64);
        let (true, Some(size)) = (is_sha256(&oid), size) else {
            out.push(json!({"oid": oid, "size": size.unwrap_or(0), "error": {"code": 422, "message": "Invalid oid or size"}}));
            continue;
        };
        let stored = st.blobs.len(&oid).await?;
        if op == "download" {
            match stored {
                Some(len) => {
                    let href = super::files::signed_blob_url(ctx, &oid, "", "");
                    out.push(json!({"oid": oid, "size": len, "authenticated": true,
                        "actions": {"download": {"href": href, "expires_in": 3600}}}));
                }
                None => out.push(json!({"oid": oid, "size": size, "error": {"code": 404, "message": "Object does not exist"}})),
            }
            continue;
        }
        if stored == Some(size) {
            out.push(json!({"oid": oid, "size": size}));
            continue;
        }
        // git-lfs sends only `verify.header` to the verify href (Python sends its own token), so
        // echo the caller's own Authorization back to it.
        let verify = json!({"href": verify_href, "header": auth_header});
        if size >= st.multipart_threshold {
            any_multipart = true;
            let chunk = st.multipart_chunk_size;
            // A store the clients can reach takes the parts itself (its own multipart upload).
            if let Some(direct) = st.blobs.begin_direct_multipart(&oid, size, chunk).await? {
                let kind = direct_kind(&direct.staging, &direct.upload_id);
                let sig = upload_sig(&st.secret, &kind, &oid, size, chunk, exp);
                let q = format!(
                    "size={size}&chunk={chunk}&exp={exp}&staging={}&upload={}&sig={sig}",
                    super::enc(&direct.staging),
                    super::enc(&direct.upload_id)
                );
                let mut header = serde_json::Map::new();
                header.insert("chunk_size".into(), json!(chunk.to_string()));
                for (i, url) in direct.part_urls.iter().enumerate() {
                    header.insert((i + 1).to_string(), json!(url));
                }
                out.push(json!({"oid": oid, "size": size, "authenticated": true, "actions": {
                    "upload": {"href": format!("{}/_upload/{oid}/complete?{q}", st.public_url), "header": header},
                    "verify": verify,
                }}));
                continue;
            }
            let n = size.div_ceil(chunk).max(1);
            let sig = upload_sig(&st.secret, "mp", &oid, size, chunk, exp);
            let q = format!("size={size}&chunk={chunk}&exp={exp}&sig={sig}");
            let mut header = serde_json::Map::new();
            header.insert("chunk_size".into(), json!(chunk.to_string()));
            for i in 1..=n {
                header.insert(
                    i.to_string(),
                    json!(format!("{}/_upload/{oid}/{i}?{q}", st.public_url)),
                );
            }
            out.push(json!({"oid": oid, "size": size, "authenticated": true, "actions": {
                "upload": {"href": format!("{}/_upload/{oid}/complete?{q}", st.public_url), "header": header},
                "verify": verify,
            }}));
        } else {
            let sig = upload_sig(&st.secret, "put", &oid, size, 0, exp);
            let href = format!(
                "{}/_upload/{oid}?size={size}&exp={exp}&sig={sig}",
                st.public_url
            );
            out.push(
                json!({"oid": oid, "size": size, "authenticated": true, "actions": {
                    "upload": {"href": href, "expires_in": UPLOAD_TTL_SECS}, "verify": verify,
                }}),
            );
        }
    }
    let transfer = if any_multipart { "multipart" } else { "basic" };
    Ok(lfs_json(
        json!({"transfer": transfer, "objects": out, "hash_algo": "sha256"}),
        StatusCode::OK,
    ))
}

/// `POST /{prefix}{id}.git/info/lfs/objects/verify` `{"oid", "size"}`.
pub(super) async fn lfs_verify(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_read(ty, ns, name).await?;
    ctx.check_contribute(&repo).await?;
    let oid = body
        .get("oid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let size = body.get("size").and_then(Value::as_u64);
    match ctx.st.inner.blobs.len(&oid).await? {
        Some(len) if size.is_none() || size == Some(len) => {
            Ok(lfs_json(json!({"oid": oid, "size": len}), StatusCode::OK))
        }
        Some(len) => Err(HubError::Unprocessable(format!(
            "Size mismatch for {oid}: stored {len}, declared {}",
            size.unwrap_or(0)
        ))),
        None => Err(HubError::NotFound(format!("Object {oid} was not uploaded"))),
    }
}

fn body_stream(body: Body) -> ByteStream {
    Box::pin(
        body.into_data_stream()
            .map(|r| r.map_err(std::io::Error::other)),
    )
}

fn multipart_err(e: MultipartError) -> HubError {
    match e {
        MultipartError::Io(e) => internal(e),
        other => HubError::BadRequest(other.to_string()),
    }
}

fn put_err(e: PutError) -> HubError {
    match e {
        PutError::Io(e) => HubError::BadRequest(format!("Upload failed: {e}")),
        other => HubError::BadRequest(other.to_string()),
    }
}

/// Signed upload routes: `PUT /_upload/{oid}`, `PUT /_upload/{oid}/{part}`, `POST /_upload/{oid}/complete`.
pub(super) async fn signed_upload(ctx: &mut Ctx, rest: &[&str]) -> HubResult<Response> {
    let st = ctx.st.inner.clone();
    let size: u64 = ctx
        .query
        .get("size")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("missing size"))?;
    let chunk: u64 = ctx
        .query
        .get("chunk")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let exp: i64 = ctx
        .query
        .get("exp")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let sig = ctx.query.get("sig").unwrap_or("").to_string();
    let direct = match (ctx.query.get("staging"), ctx.query.get("upload")) {
        (Some(staging), Some(upload_id)) => Some(crate::blobstore::DirectUpload {
            staging: staging.to_string(),
            upload_id: upload_id.to_string(),
            part_urls: vec![],
        }),
        _ => None,
    };
    let (oid, kind) = match (rest, &direct) {
        ([oid], None) => (*oid, "put".to_string()),
        ([oid, "complete"], Some(d)) => (*oid, direct_kind(&d.staging, &d.upload_id)),
        ([oid, _], None) => (*oid, "mp".to_string()),
        _ => return Err(HubError::NotFound("Not Found".into())),
    };
    if !is_sha256(oid) || !util::ct_eq(&sig, &upload_sig(&st.secret, &kind, oid, size, chunk, exp))
    {
        return Err(HubError::Forbidden("Invalid signature".into()));
    }
    if exp < chrono::Utc::now().timestamp() {
        return Err(HubError::Forbidden("Upload URL expired".into()));
    }
    let body = ctx.take_body();
    let m = ctx.method().clone();
    match rest {
        [_] if m == axum::http::Method::PUT => {
            st.blobs
                .put(oid, size, body_stream(body))
                .await
                .map_err(put_err)?;
            let mut resp = super::json(json!({}));
            resp.headers_mut().insert(
                header::ETAG,
                HeaderValue::from_str(&format!("\"{oid}\"")).map_err(internal)?,
            );
            Ok(resp)
        }
        [_, "complete"] if m == axum::http::Method::POST && direct.is_some() => {
            let n = size.div_ceil(chunk.max(1)).max(1);
            let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
                .await
                .map_err(|e| bad(format!("Unreadable completion body: {e}")))?;
            let body: Value = serde_json::from_slice(&bytes)
                .map_err(|e| bad(format!("Invalid completion body: {e}")))?;
            let mut parts: Vec<(u64, String)> = body
                .get("parts")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|p| {
                            Some((
                                p.get("partNumber")?.as_u64()?,
                                p.get("etag")?.as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            parts.sort();
            parts.dedup_by_key(|p| p.0);
            if parts.len() as u64 != n || parts.iter().zip(1..).any(|(p, i)| p.0 != i) {
                return Err(bad(format!(
                    "Completion must list the ETag of each of the {n} parts"
                )));
            }
            if let Some(d) = &direct {
                st.blobs
                    .finish_direct_multipart(oid, size, d, parts.into_iter().map(|p| p.1).collect())
                    .await
                    .map_err(put_err)?;
            }
            Ok(super::json(json!({})))
        }
        [_, "complete"] if m == axum::http::Method::POST => {
            let n = size.div_ceil(chunk.max(1)).max(1);
            match st.multipart.complete(oid, size, chunk).await {
                Ok(Some(done)) => st
                    .blobs
                    .put_verified_file(oid, size, done.path)
                    .await
                    .map_err(put_err)?,
                // No upload in progress: fine if a concurrent uploader of the same content
                // completed it first.
                Ok(None) if st.blobs.len(oid).await? == Some(size) => {}
                Ok(None) => return Err(bad(format!("Part 1 of {n} was not uploaded"))),
                Err(e) => return Err(multipart_err(e)),
            }
            Ok(super::json(json!({})))
        }
        [_, part] if m == axum::http::Method::PUT => {
            let i: u64 = part.parse().map_err(|_| bad("invalid part number"))?;
            // A part repeated after completion (a retried request) starts no new upload.
            let stored = st.blobs.len(oid).await? == Some(size);
            st.multipart
                .put_part(oid, size, chunk, i, stored, body.into_data_stream())
                .await
                .map_err(multipart_err)?;
            // Clients echo part ETags back on completion; the server does not need them.
            let etag = format!("\"{}-{i}\"", &oid[..16]);
            let mut resp = StatusCode::OK.into_response();
            resp.headers_mut().insert(
                header::ETAG,
                HeaderValue::from_str(&etag).map_err(internal)?,
            );
            Ok(resp)
        }
        _ => Err(HubError::NotFound("Not Found".into())),
    }
}

/// One parsed NDJSON operation before its content is stored.
enum Op {
    File {
        path: String,
        content: Vec<u8>,
    },
    Lfs {
        path: String,
        oid: String,
        size: Option<u64>,
    },
    Delete {
        path: String,
    },
    DeleteFolder {
        path: String,
    },
}

struct Header {
    summary: String,
    description: String,
    parent: Option<String>,
}

fn parse_ndjson(body: &[u8]) -> HubResult<(Header, Vec<Op>)> {
    let text = std::str::from_utf8(body).map_err(|_| bad("Commit body is not valid UTF-8"))?;
    let mut header = None;
    let mut ops = vec![];
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| bad(format!("Invalid JSON on line {}: {e}", i + 1)))?;
        let key = v
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("Missing `key` on line {}", i + 1)))?;
        let val = v
            .get("value")
            .ok_or_else(|| bad(format!("Missing `value` on line {}", i + 1)))?;
        let path = || -> HubResult<String> {
            validate_path(
                val.get("path")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("Missing `path` on line {}", i + 1)))?,
            )
        };
        match key {
            "header" => {
                if header.is_some() {
                    return Err(bad("Duplicate header line"));
                }
                let summary = val
                    .get("summary")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let parent = val
                    .get("parentCommit")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
                if let Some(p) = &parent
                    && (p.len() < 4 || p.len() > 40 || !p.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    return Err(bad(format!("Invalid parentCommit {p:?}")));
                }
                header = Some(Header {
                    summary,
                    description: val
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    parent,
                });
            }
            "file" => {
                let path = path()?;
                let content = val
                    .get("content")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("Missing `content` for {path}")))?;
                let content = match val
                    .get("encoding")
                    .and_then(Value::as_str)
                    .unwrap_or("base64")
                {
                    "base64" => base64::engine::general_purpose::STANDARD
                        .decode(content.trim())
                        .map_err(|e| bad(format!("Invalid base64 content for {path}: {e}")))?,
                    "utf-8" | "utf8" => content.as_bytes().to_vec(),
                    other => return Err(bad(format!("Unknown encoding {other:?} for {path}"))),
                };
                ops.push(Op::File { path, content });
            }
            "lfsFile" => {
                let path = path()?;
                let algo = val.get("algo").and_then(Value::as_str).unwrap_or("sha256");
                if algo != "sha256" {
                    return Err(bad(format!("Unsupported LFS algo {algo:?}")));
                }
                let oid = val
                    .get("oid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if !is_sha256(&oid) {
                    return Err(bad(format!("Invalid LFS oid for {path}")));
                }
                let size = val.get("size").and_then(Value::as_u64);
                ops.push(Op::Lfs { path, oid, size });
            }
            "deletedFile" => ops.push(Op::Delete { path: path()? }),
            "deletedFolder" => {
                let raw = val.get("path").and_then(Value::as_str).unwrap_or("");
                let trimmed = raw.trim_end_matches('/');
                ops.push(Op::DeleteFolder {
                    path: validate_path(trimmed)?,
                });
            }
            other => {
                return Err(bad(format!(
                    "Unknown operation key {other:?} on line {}",
                    i + 1
                )));
            }
        }
    }
    let header = header.ok_or_else(|| bad("Missing commit header line"))?;
    if header.summary.is_empty() {
        return Err(bad("Commit summary (message) must not be empty"));
    }
    Ok((header, ops))
}

/// `POST /api/{T}/{id}/commit/{rev}[?create_pr=1]` (NDJSON).
pub(super) async fn commit(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    rev: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let create_pr = ctx.query.flag("create_pr");
    // A pull request lands on a new `refs/pr/N` (never on a branch), so readers may open one,
    // and its author may add commits to it.
    if create_pr {
        ctx.check_contribute(&repo).await?;
    } else {
        ctx.check_write_rev(&repo, rev).await?;
    }
    let author = ctx.need_caller()?.name.clone();
    let body = ctx.body_bytes(COMMIT_LIMIT).await?;
    let (header, ops) = parse_ndjson(&body)?;
    drop(body);
    let mut warnings = Vec::new();
    for op in &ops {
        if let Op::File { path, content } = op
            && path == "README.md"
        {
            warnings = check_readme(content)?;
        }
    }
    let st = ctx.st.inner.clone();
    // Resolve LFS sizes and check the content is stored before touching anything.
    let mut lfs = Vec::new();
    for op in &ops {
        if let Op::Lfs { path, oid, size } = op {
            let Some(len) = st.blobs.len(oid).await? else {
                return Err(bad(format!("LFS object {oid} for {path} was not uploaded")));
            };
            if size.is_some_and(|s| s != len) {
                return Err(bad(format!(
                    "LFS object {oid} for {path} has size {len}, not {}",
                    size.unwrap_or(0)
                )));
            }
            lfs.push(len);
        }
    }
    let reader = st.repos.reader(&repo);
    // Write blob objects first (outside the lock): unreferenced objects are harmless.
    let changes = repo::blocking(&reader, move |r| {
        let mut lfs = lfs.into_iter();
        let mut changes = Vec::with_capacity(ops.len());
        let mut batch = r.git.batch();
        for op in ops {
            changes.push(match op {
                Op::File { path, content } => Change::Put {
                    path,
                    oid: batch.add(Kind::Blob, content)?,
                },
                Op::Lfs { path, oid, .. } => Change::PutLfs {
                    path,
                    sha256: oid,
                    size: lfs.next().unwrap_or(0),
                },
                Op::Delete { path } => Change::Delete { path },
                Op::DeleteFolder { path } => Change::DeleteFolder { path },
            });
        }
        batch.finish()?;
        Ok(changes)
    })
    .await
    .map_err(internal)?;
    let message = if header.description.trim().is_empty() {
        format!("{}\n", header.summary)
    } else {
        format!("{}\n\n{}\n", header.summary, header.description.trim_end())
    };
    let meta = CommitMeta {
        author: author.clone(),
        message,
    };
    let target = write_ref(rev);
    if create_pr && !target.starts_with("refs/heads/") {
        return Err(HubError::RevisionNotFound(format!(
            "Invalid rev id: {rev} (pull requests start from a branch)"
        )));
    }
    let lock = st.repos.lock(&repo);
    let _g = lock.lock().await;
    let mut discussions = if create_pr || target.starts_with("refs/pr/") {
        st.repos.discussions(&repo).await?
    } else {
        vec![]
    };
    let max_discussion = discussions.iter().map(|d| d.num).max().unwrap_or(0);
    let parent = header.parent.clone();
    let rev_s = rev.to_string();
    let target2 = target.clone();
    let (oid, pr_num) = repo::blocking(&reader, move |r| {
        // Numbering also looks at existing PR refs: a crash between creating the ref and saving
        // discussions.json must not make the next number collide forever.
        let pr_num = if create_pr {
            let max_ref = r
                .git
                .list_refs()?
                .iter()
                .filter_map(|(n, _)| n.strip_prefix("refs/pr/").and_then(|x| x.parse::<u64>().ok()))
                .max()
                .unwrap_or(0);
            Some(max_ref.max(max_discussion) + 1)
        } else {
            None
        };
        let Some(head) = r.git.read_ref(&target2)? else {
            return Ok(Err(HubError::RevisionNotFound(format!("Invalid rev id: {rev_s}"))));
        };
        if let Some(p) = &parent
            && !head.starts_with(&p.to_ascii_lowercase()) {
                return Ok(Err(HubError::PreconditionFailed(format!(
                    "A commit has happened since. Please refresh and try again. (parent commit {p} is not the head {head} of {rev_s})"
                ))));
            }
        let new = match r.build_commit(Some(&head), &changes, &meta) {
            Ok(c) => c,
            Err(repo::ApplyError::Missing(m)) => return Ok(Err(HubError::entry(m, Some(head)))),
            Err(repo::ApplyError::Conflict(m)) => return Ok(Err(HubError::Unprocessable(m))),
            Err(repo::ApplyError::Io(e)) => return Err(e),
        };
        let (refname, expected) = match pr_num {
            Some(n) => (format!("refs/pr/{n}"), None),
            None => (target2.clone(), Some(head.as_str())),
        };
        match r.git.update_ref(&refname, expected, Some(&new)) {
            Ok(()) => Ok(Ok((new, pr_num))),
            Err(RefError::Stale(_)) => Ok(Err(HubError::PreconditionFailed(format!("{refname} moved during the commit, please retry")))),
            Err(RefError::Io(e)) => Err(e),
        }
    })
    .await
    .map_err(internal)??;
    let repo_url = ctx.repo_url(&repo);
    let now = util::now_date();
    let commit_event = json!({"id": hex::encode(rand::random::<[u8; 12]>()), "type": "commit", "createdAt": now,
        "author": {"name": author}, "data": {"subject": header.summary, "oid": oid}});
    let mut resp = json!({"success": true, "commitOid": oid, "commitUrl": format!("{repo_url}/commit/{oid}"), "hookOutput": ""});
    if let Some(n) = pr_num {
        discussions.push(Discussion {
            num: n,
            title: header.summary.clone(),
            status: "open".into(),
            author: author.clone(),
            created_at: now.clone(),
            is_pull_request: true,
            events: vec![
                json!({"id": hex::encode(rand::random::<[u8; 12]>()), "type": "comment", "createdAt": now, "author": {"name": author},
                    "data": {"edited": false, "hidden": false, "latest": {"raw": header.description, "html": header.description,
                        "updatedAt": now, "author": {"name": author}}, "history": []}}),
                commit_event,
            ],
        });
        st.repos.save_discussions(&repo, &discussions).await?;
        resp["pullRequestUrl"] = json!(format!("{repo_url}/discussions/{n}"));
        resp["pullRequestNum"] = json!(n);
    } else if let Some(n) = target
        .strip_prefix("refs/pr/")
        .and_then(|n| n.parse::<u64>().ok())
        && let Some(d) = discussions.iter_mut().find(|d| d.num == n)
    {
        d.events.push(commit_event);
        st.repos.save_discussions(&repo, &discussions).await?;
    }
    let mut resp = super::json(resp);
    // Surfaced by clients that log `X-HF-Warning` (`<topic>; <message>`).
    for w in warnings {
        if let Ok(v) = axum::http::HeaderValue::from_str(&format!("README.md; {w}")) {
            resp.headers_mut().append("x-hf-warning", v);
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(validate_path("a/b.txt").unwrap(), "a/b.txt");
        assert_eq!(validate_path("./a").unwrap(), "a");
        for p in [
            "",
            "/abs",
            "../x",
            "a/../b",
            "a//b",
            ".git/config",
            "x/.git/y",
            "..\\ddd",
            "a/./b",
            "a/",
        ] {
            assert!(validate_path(p).is_err(), "{p}");
        }
        for p in ["folder/..\\..\\..\\file.txt", "a\\b.txt", "x/y..\\z"] {
            assert_eq!(validate_path(p).unwrap(), p);
        }
    }

    #[test]
    fn ndjson() {
        let body = b"{\"key\":\"header\",\"value\":{\"summary\":\"s\",\"description\":\"\"}}\n{\"key\":\"file\",\"value\":{\"path\":\"a\",\"content\":\"aGk=\",\"encoding\":\"base64\"}}\n";
        let (h, ops) = parse_ndjson(body).unwrap();
        assert_eq!(h.summary, "s");
        assert!(matches!(&ops[0], Op::File { content, .. } if content == b"hi"));
        assert!(
            parse_ndjson(b"{\"key\":\"file\",\"value\":{\"path\":\"a\",\"content\":\"!!\"}}\n")
                .is_err()
        );
        assert!(parse_ndjson(b"not json\n").is_err());
        assert!(parse_ndjson(b"{\"key\":\"header\",\"value\":{\"summary\":\"s\"}}\n{\"key\":\"bogus\",\"value\":{}}\n").is_err());
    }
}
