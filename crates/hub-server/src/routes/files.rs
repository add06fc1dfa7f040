//! File downloads: `resolve` (HEAD/GET, ranges, LFS redirects) and the signed LFS blob route.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::{Ctx, enc, internal};
use crate::error::{HubError, HubResult};
use crate::repo::{self, RepoType};
use crate::util;

/// Lifetime of signed LFS download URLs.
const SIGNED_URL_TTL_SECS: i64 = 6 * 3600;
/// Chunk size when streaming regular (git) blobs.
const GIT_CHUNK: usize = 256 * 1024;
/// Bodies up to this size are read into memory and sent as one buffer. A streamed body makes
/// hyper write the headers first and the body in a later write; without `TCP_NODELAY` that
/// second, sub-MSS write waits for the ACK of the first, which the client delays by up to 40 ms
/// on Linux: a snapshot of 1000 small files spent ~90% of its time there. One buffer is
/// written together with the headers in a single `writev`.
const SMALL_BODY: u64 = 1024 * 1024;

/// Reads a (small) body stream of `len` bytes into one buffer.
async fn collect_small(mut stream: crate::blobstore::ByteStream, len: u64) -> HubResult<Bytes> {
    use futures::StreamExt;
    let mut buf = bytes::BytesMut::with_capacity(len as usize);
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk.map_err(internal)?);
    }
    Ok(buf.freeze())
}

/// Parses a single `Range: bytes=...` header against `size`; returns `[start, end)`.
/// Malformed headers are ignored (full response), unsatisfiable ones are 416.
pub(crate) fn parse_range(headers: &HeaderMap, size: u64) -> HubResult<Option<(u64, u64)>> {
    let Some(raw) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = raw.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    let first = spec.split(',').next().unwrap_or("").trim();
    let Some((a, b)) = first.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return Ok(None);
        };
        if n == 0 {
            return Err(HubError::RangeNotSatisfiable { size });
        }
        (size.saturating_sub(n), size)
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return Ok(None);
        };
        let end = if b.is_empty() {
            size
        } else {
            let Ok(e) = b.parse::<u64>() else {
                return Ok(None);
            };
            if e < start {
                return Ok(None);
            }
            (e + 1).min(size)
        };
        (start, end)
    };
    if range.0 >= size {
        return Err(HubError::RangeNotSatisfiable { size });
    }
    Ok(Some(range))
}

fn hv(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

fn content_disposition(path: &str) -> HeaderValue {
    let fname = path.rsplit('/').next().unwrap_or(path);
    let ascii: String = fname
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    hv(&format!(
        "inline; filename*=UTF-8''{}; filename=\"{ascii}\";",
        enc(fname)
    ))
}

/// Builds a 200/206 response (headers + body) for content of `size` bytes.
fn content_response(
    method: &Method,
    range: Option<(u64, u64)>,
    size: u64,
    mut headers: HeaderMap,
    body: Option<Body>,
) -> Response {
    let (status, len) = match range {
        Some((s, e)) => {
            headers.insert(
                header::CONTENT_RANGE,
                hv(&format!("bytes {s}-{}/{size}", e - 1)),
            );
            (StatusCode::PARTIAL_CONTENT, e - s)
        }
        None => (StatusCode::OK, size),
    };
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CONTENT_LENGTH, hv(&len.to_string()));
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        body.unwrap_or_else(Body::empty)
    };
    let mut resp = (status, body).into_response();
    resp.headers_mut().extend(headers);
    resp
}

/// Streams `[start, start+len)` of a git blob from a blocking reader thread.
fn git_blob_stream(
    reader: repo::Reader,
    oid: String,
    start: u64,
    len: u64,
) -> crate::blobstore::ByteStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut src = match reader.git.blob_reader(&oid) {
            Ok(Some(r)) => r,
            Ok(None) => {
                let _ = tx.blocking_send(Err(std::io::Error::other("blob vanished")));
                return;
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        if start > 0
            && let Err(e) = std::io::copy(&mut (&mut src).take(start), &mut std::io::sink())
        {
            let _ = tx.blocking_send(Err(e));
            return;
        }
        let mut src = src.take(len);
        loop {
            let mut buf = vec![0u8; GIT_CHUNK];
            match src.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        return; // client went away
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Box::pin(stream)
}

/// Signs the parameters of a blob download URL.
fn blob_sig(secret: &[u8], oid: &str, commit: &str, exp: i64, name: &str) -> String {
    util::hmac_hex(
        secret,
        format!("get\n{oid}\n{commit}\n{exp}\n{name}").as_bytes(),
    )
}

/// Absolute signed URL of an LFS object on the blob base URL.
pub(crate) fn signed_blob_url(ctx: &Ctx, oid: &str, commit: &str, name: &str) -> String {
    let exp = chrono::Utc::now().timestamp() + SIGNED_URL_TTL_SECS;
    let sig = blob_sig(&ctx.st.inner.secret, oid, commit, exp, name);
    format!(
        "{}/_lfs/{oid}?commit={commit}&name={}&exp={exp}&sig={sig}",
        ctx.st.inner.blob_url,
        enc(name)
    )
}

/// `HEAD|GET /{prefix}{id}/resolve/{rev}/{path}`.
pub(super) async fn resolve(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    rest: &[&str],
) -> HubResult<Response> {
    let m = ctx.method().clone();
    if m != Method::GET && m != Method::HEAD {
        return Err(HubError::NotFound("Not Found".into()));
    }
    let repo = ctx.repo_read(ty, ns, name).await?;
    ctx.check_gated(&repo).await?;
    let reader = ctx.st.inner.repos.reader(&repo);
    let parts: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    // Revisions may contain raw slashes: the longest prefix naming an existing revision wins.
    let found = repo::blocking(&reader, move |r| {
        for k in (1..parts.len()).rev() {
            let rev = parts[..k].join("/");
            if let Some(res) = r.resolve(&rev)? {
                let path = parts[k..].join("/");
                let commit = r.commit(&res.commit)?;
                let entry = r.entry(&commit.tree, &path)?;
                let info = match &entry {
                    Some(e) if !e.is_tree => Some(r.blob_info(&e.oid)?),
                    _ => None,
                };
                return Ok(Some((res.commit, path, entry, info)));
            }
        }
        Ok(None)
    })
    .await
    .map_err(internal)?;
    let Some((commit, path, entry, info)) = found else {
        return Err(HubError::RevisionNotFound(format!(
            "Invalid rev id: {}",
            rest[0]
        )));
    };
    let (Some(entry), Some(info)) = (entry, info) else {
        return Err(HubError::entry("Entry not found", Some(commit)));
    };
    let mut headers = HeaderMap::new();
    headers.insert("x-repo-commit", hv(&commit));
    headers.insert(header::CONTENT_DISPOSITION, content_disposition(&path));
    if let Some(lfs) = &info.lfs {
        let loc = signed_blob_url(ctx, &lfs.oid, &commit, &path);
        headers.insert("x-linked-etag", hv(&format!("\"{}\"", lfs.oid)));
        headers.insert("x-linked-size", hv(&lfs.size.to_string()));
        headers.insert(header::ETAG, hv(&format!("\"{}\"", lfs.oid)));
        headers.insert(header::LOCATION, hv(&loc));
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        let mut resp = StatusCode::FOUND.into_response();
        resp.headers_mut().extend(headers);
        return Ok(resp);
    }
    headers.insert(header::ETAG, hv(&format!("\"{}\"", entry.oid)));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let range = parse_range(ctx.headers(), info.size)?;
    let body = if m == Method::GET {
        let (s, e) = range.unwrap_or((0, info.size));
        let stream = git_blob_stream(reader.clone(), entry.oid.clone(), s, e - s);
        if e - s <= SMALL_BODY {
            Some(Body::from(collect_small(stream, e - s).await?))
        } else {
            Some(Body::from_stream(stream))
        }
    } else {
        None
    };
    Ok(content_response(&m, range, info.size, headers, body))
}

/// `HEAD|GET /_lfs/{oid}?commit=..&name=..&exp=..&sig=..` — signed, no auth header needed.
pub(super) async fn signed_blob(ctx: &mut Ctx, oid: &str) -> HubResult<Response> {
    let m = ctx.method().clone();
    if m != Method::GET && m != Method::HEAD {
        return Err(HubError::NotFound("Not Found".into()));
    }
    let commit = ctx.query.get("commit").unwrap_or("").to_string();
    let name = ctx.query.get("name").unwrap_or("").to_string();
    let exp: i64 = ctx
        .query
        .get("exp")
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let sig = ctx.query.get("sig").unwrap_or("");
    if !util::ct_eq(
        sig,
        &blob_sig(&ctx.st.inner.secret, oid, &commit, exp, &name),
    ) {
        return Err(HubError::Forbidden("Invalid signature".into()));
    }
    if exp < chrono::Utc::now().timestamp() {
        return Err(HubError::Forbidden("Signed URL expired".into()));
    }
    let blobs = ctx.st.inner.blobs.clone();
    // A store the clients can reach serves the bytes itself (the client follows the redirect
    // and, as for the Hub's CDN, sends no Authorization to the other host).
    if ctx.method() == axum::http::Method::GET
        && let Some(url) = blobs.presigned_get(oid).await?
        && let Ok(loc) = axum::http::HeaderValue::from_str(&url)
    {
        let mut resp = StatusCode::FOUND.into_response();
        resp.headers_mut().insert(axum::http::header::LOCATION, loc);
        return Ok(resp);
    }
    let Some(size) = blobs.len(oid).await? else {
        return Err(HubError::entry(
            "LFS object not found",
            (!commit.is_empty()).then(|| commit.clone()),
        ));
    };
    let mut headers = HeaderMap::new();
    if !commit.is_empty() {
        headers.insert("x-repo-commit", hv(&commit));
    }
    headers.insert(header::ETAG, hv(&format!("\"{oid}\"")));
    headers.insert("x-linked-etag", hv(&format!("\"{oid}\"")));
    headers.insert("x-linked-size", hv(&size.to_string()));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if !name.is_empty() {
        headers.insert(header::CONTENT_DISPOSITION, content_disposition(&name));
    }
    let range = parse_range(ctx.headers(), size)?;
    let body = if m == Method::GET {
        let stream = blobs
            .get(oid, range)
            .await?
            .ok_or_else(|| HubError::entry("LFS object not found", None))?;
        let (s, e) = range.unwrap_or((0, size));
        if e - s <= SMALL_BODY {
            Some(Body::from(collect_small(stream, e - s).await?))
        } else {
            Some(Body::from_stream(stream))
        }
    } else {
        None
    };
    Ok(content_response(&m, range, size, headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range(&HeaderMap::new(), 10).unwrap(), None);
        assert_eq!(parse_range(&h("bytes=2-4"), 10).unwrap(), Some((2, 5)));
        assert_eq!(parse_range(&h("bytes=2-"), 10).unwrap(), Some((2, 10)));
        assert_eq!(parse_range(&h("bytes=-3"), 10).unwrap(), Some((7, 10)));
        assert_eq!(parse_range(&h("bytes=5-100"), 10).unwrap(), Some((5, 10)));
        assert!(matches!(
            parse_range(&h("bytes=10-"), 10),
            Err(HubError::RangeNotSatisfiable { size: 10 })
        ));
        assert_eq!(parse_range(&h("items=1-2"), 10).unwrap(), None);
    }
}
