//! `POST /api/{T}/{id}/preupload/{rev}`: the server decides, per file, whether it goes inline
//! (`regular`) or through LFS, whether its `.gitignore` ignores it, and tells the oid of the file
//! currently at that path (which makes unchanged files no-ops).

use std::collections::HashMap;

use base64::Engine as _;
use hub_core::urls::quote_segment;
use hub_core::{Error, Result};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::ops::{CommitOperationAdd, UploadMode};
use crate::remote::{RepoCtx, json_repeatable};

/// Files per preupload request.
pub const PREUPLOAD_BATCH: usize = 256;

#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct PreuploadFile {
    pub(crate) path: String,
    pub(crate) sample: String,
    pub(crate) size: u64,
}

#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct PreuploadRequest<'a> {
    pub(crate) files: Vec<PreuploadFile>,
    #[serde(rename = "gitIgnore", skip_serializing_if = "Option::is_none")]
    pub(crate) git_ignore: Option<&'a str>,
}

/// One answer entry; `shouldIgnore` is required as Python requires it.
#[derive(Debug, Deserialize, PartialEq, Eq, Clone)]
pub(crate) struct PreuploadEntry {
    pub(crate) path: String,
    #[serde(rename = "uploadMode")]
    pub(crate) upload_mode: UploadMode,
    #[serde(rename = "shouldIgnore")]
    pub(crate) should_ignore: bool,
    #[serde(default)]
    pub(crate) oid: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PreuploadResponse {
    pub(crate) files: Vec<PreuploadEntry>,
}

/// Builds the request body for a batch of hashed additions.
pub(crate) fn request_for<'a>(
    batch: &[&mut CommitOperationAdd],
    git_ignore: Option<&'a str>,
) -> Result<PreuploadRequest<'a>> {
    let files = batch
        .iter()
        .map(|op| {
            let info = op.info.as_ref().ok_or_else(|| {
                Error::invalid_argument(format!(
                    "{} was not hashed before preupload",
                    op.path_in_repo
                ))
            })?;
            Ok(PreuploadFile {
                path: op.path_in_repo.clone(),
                sample: base64::engine::general_purpose::STANDARD.encode(&info.sample),
                size: info.size,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PreuploadRequest { files, git_ignore })
}

/// Applies an answer to its batch. Every requested path must be answered; empty files are
/// always regular (S3 refuses empty LFS objects), as in Python.
pub(crate) fn apply_response(
    batch: &mut [&mut CommitOperationAdd],
    response: PreuploadResponse,
    url: &str,
) -> Result<()> {
    let by_path: HashMap<String, PreuploadEntry> = response
        .files
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect();
    for op in batch.iter_mut() {
        let entry = by_path.get(&op.path_in_repo).ok_or_else(|| {
            Error::decode(
                url,
                format!("preupload answer does not mention {}", op.path_in_repo),
            )
        })?;
        let empty = op.info.as_ref().map(|i| i.size == 0).unwrap_or(false);
        op.upload_mode = Some(if empty {
            UploadMode::Regular
        } else {
            entry.upload_mode
        });
        op.should_ignore = entry.should_ignore;
        op.remote_oid = entry.oid.clone();
    }
    Ok(())
}

/// Asks the server for the upload mode of every addition in `ops` (batches of 256).
pub(crate) async fn fetch_upload_modes(
    ctx: &RepoCtx,
    revision: &str,
    create_pr: bool,
    ops: &mut [&mut CommitOperationAdd],
    git_ignore: Option<&str>,
) -> Result<()> {
    let url = format!("{}/preupload/{}", ctx.api_url(), quote_segment(revision));
    for batch in ops.chunks_mut(PREUPLOAD_BATCH) {
        let body = request_for(batch, git_ignore)?;
        let mut rb = ctx.client.authed_request(Method::POST, &url)?.json(&body);
        if create_pr {
            rb = rb.query(&[("create_pr", "1")]);
        }
        // Preupload only asks how to upload: safe to repeat.
        let resp: PreuploadResponse = json_repeatable(&ctx.client, rb).await?;
        apply_response(batch, resp, &url)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::hash::hash_bytes;

    fn hashed(path: &str, data: &'static [u8]) -> CommitOperationAdd {
        let mut op = CommitOperationAdd::from_bytes(path, data).unwrap();
        op.info = Some(hash_bytes(data, true));
        op
    }

    #[test]
    fn request_shape() {
        let big: &'static [u8] = Box::leak(vec![7u8; 600].into_boxed_slice());
        let mut a = hashed("a.txt", b"hi");
        let mut b = hashed("dir/b.bin", big);
        let batch = [&mut a, &mut b];
        let req = request_for(&batch, Some("*.log\n")).unwrap();
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(
            json["files"][0],
            serde_json::json!({"path": "a.txt", "sample": "aGk=", "size": 2})
        );
        assert_eq!(json["files"][1]["size"], 600);
        // The sample is the first 512 bytes only.
        let sample = base64::engine::general_purpose::STANDARD
            .decode(json["files"][1]["sample"].as_str().unwrap())
            .unwrap();
        assert_eq!(sample.len(), 512);
        assert_eq!(json["gitIgnore"], "*.log\n");
        let req = request_for(&batch, None).unwrap();
        assert!(
            serde_json::to_value(&req)
                .unwrap()
                .get("gitIgnore")
                .is_none()
        );
    }

    #[test]
    fn response_parsing_is_strict() {
        let ok = r#"{"files":[{"path":"a.txt","uploadMode":"regular","shouldIgnore":false,"oid":"abc"},
                               {"path":"e","uploadMode":"lfs","shouldIgnore":true}]}"#;
        let r: PreuploadResponse = serde_json::from_str(ok).unwrap();
        let mut a = hashed("a.txt", b"hi");
        let mut e = hashed("e", b"");
        let mut batch = [&mut a, &mut e];
        apply_response(&mut batch, r, "u").unwrap();
        assert_eq!(a.upload_mode, Some(UploadMode::Regular));
        assert_eq!(a.remote_oid.as_deref(), Some("abc"));
        // Empty files are forced to regular.
        assert_eq!(e.upload_mode, Some(UploadMode::Regular));
        assert!(e.should_ignore);

        // shouldIgnore missing → error; unknown mode → error.
        assert!(
            serde_json::from_str::<PreuploadResponse>(
                r#"{"files":[{"path":"a","uploadMode":"lfs"}]}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<PreuploadResponse>(
                r#"{"files":[{"path":"a","uploadMode":"xet","shouldIgnore":false}]}"#
            )
            .is_err()
        );

        // A path left unanswered is an error.
        let r: PreuploadResponse = serde_json::from_str(r#"{"files":[]}"#).unwrap();
        let mut a = hashed("a.txt", b"hi");
        let mut batch = [&mut a];
        assert!(apply_response(&mut batch, r, "u").is_err());
    }
}
