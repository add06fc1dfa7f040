//! The NDJSON commit body, streamed.
//!
//! The body is a list of *pieces*: literal JSON bytes, and base64 content of regular files read
//! from disk chunk by chunk. Its exact length is known in advance (base64 of `n` bytes is
//! `4·⌈n/3⌉` bytes), so it is sent with a `Content-Length` rather than chunked: the Hub has been
//! seen to read only the first line of chunked commit bodies.

use std::io;

use bytes::Bytes;
use futures::StreamExt as _;
use serde::Serialize;

use crate::ops::Source;
use crate::stream::{b64_len, source_stream};

/// One part of the body.
#[derive(Debug, Clone)]
pub(crate) enum Piece {
    /// Literal bytes (JSON text).
    Raw(Bytes),
    /// `size` bytes of `source`, base64-encoded.
    Base64 { source: Source, size: u64 },
}

impl Piece {
    fn len(&self) -> u64 {
        match self {
            Piece::Raw(b) => b.len() as u64,
            Piece::Base64 { size, .. } => b64_len(*size),
        }
    }
}

/// A commit body that can be turned into a request body any number of times (for retries).
#[derive(Debug, Clone, Default)]
pub(crate) struct CommitBody {
    pieces: Vec<Piece>,
}

#[derive(Serialize)]
struct Header<'a> {
    summary: &'a str,
    description: &'a str,
    #[serde(rename = "parentCommit", skip_serializing_if = "Option::is_none")]
    parent_commit: Option<&'a str>,
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    key: &'a str,
    value: T,
}

#[derive(Serialize)]
struct LfsFile<'a> {
    path: &'a str,
    algo: &'static str,
    oid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
}

#[derive(Serialize)]
struct PathOnly<'a> {
    path: &'a str,
}

fn json_line<T: Serialize>(key: &str, value: T) -> Bytes {
    // Serialising these plain structs cannot fail (string keys, no maps with odd keys).
    let mut v = serde_json::to_vec(&Line { key, value }).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

impl CommitBody {
    /// Starts a body with its header line.
    pub(crate) fn new(summary: &str, description: &str, parent_commit: Option<&str>) -> Self {
        let mut body = CommitBody::default();
        body.pieces.push(Piece::Raw(json_line(
            "header",
            Header {
                summary,
                description,
                parent_commit,
            },
        )));
        body
    }

    /// A regular file, content inline (base64).
    pub(crate) fn add_file(&mut self, path: &str, source: Source, size: u64) {
        self.pieces.push(Piece::Raw(Bytes::from_static(
            b"{\"key\":\"file\",\"value\":{\"content\":\"",
        )));
        self.pieces.push(Piece::Base64 { source, size });
        // serde_json escapes the path exactly as in the other lines.
        let path_json = serde_json::to_string(path).unwrap_or_default();
        self.pieces.push(Piece::Raw(Bytes::from(format!(
            "\",\"path\":{path_json},\"encoding\":\"base64\"}}}}\n"
        ))));
    }

    /// An LFS file; `size` is left out for copies (the server looks it up).
    pub(crate) fn add_lfs_file(&mut self, path: &str, sha256: &str, size: Option<u64>) {
        self.pieces.push(Piece::Raw(json_line(
            "lfsFile",
            LfsFile {
                path,
                algo: "sha256",
                oid: sha256,
                size,
            },
        )));
    }

    /// A deletion of a file or a folder.
    pub(crate) fn delete(&mut self, path: &str, is_folder: bool) {
        let key = if is_folder {
            "deletedFolder"
        } else {
            "deletedFile"
        };
        self.pieces
            .push(Piece::Raw(json_line(key, PathOnly { path })));
    }

    /// Exact byte length of the body.
    pub(crate) fn len(&self) -> u64 {
        self.pieces.iter().map(Piece::len).sum()
    }

    /// Number of lines (header included).
    pub(crate) fn lines(&self) -> usize {
        self.pieces
            .iter()
            .filter(|p| matches!(p, Piece::Raw(b) if b.ends_with(b"\n")))
            .count()
    }

    /// The body as a byte stream; regular files are read and encoded as the stream is polled.
    pub(crate) fn stream(&self) -> futures::stream::BoxStream<'static, io::Result<Bytes>> {
        let pieces = self.pieces.clone();
        futures::stream::iter(pieces)
            .flat_map(|p| match p {
                Piece::Raw(b) => futures::stream::once(async move { Ok(b) }).boxed(),
                Piece::Base64 { source, size } => source_stream(&source, 0, size, true),
            })
            .boxed()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use futures::TryStreamExt as _;

    async fn collect(body: &CommitBody) -> Vec<u8> {
        let chunks: Vec<Bytes> = body.stream().try_collect().await.unwrap();
        chunks.concat()
    }

    #[tokio::test]
    async fn lines_are_valid_ndjson_and_length_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.txt");
        let data: Vec<u8> = (0..1_000_001u32).map(|i| (i % 97) as u8 + 32).collect();
        std::fs::write(&p, &data).unwrap();

        let mut body = CommitBody::new("title \"q\"", "", Some("abc123"));
        body.add_file(
            "dir/é \"x\".txt",
            Source::Bytes(Bytes::from_static(b"hello")),
            5,
        );
        body.add_file("big.txt", Source::File(p), data.len() as u64);
        body.add_lfs_file("w.bin", "00ff", Some(12));
        body.add_lfs_file("copy.bin", "00ff", None);
        body.delete("old.txt", false);
        body.delete("logs/", true);
        let bytes = collect(&body).await;
        assert_eq!(bytes.len() as u64, body.len());
        assert_eq!(body.lines(), 7);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.ends_with('\n'));
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 7);
        assert_eq!(
            lines[0],
            serde_json::json!({"key":"header","value":{"summary":"title \"q\"","description":"","parentCommit":"abc123"}})
        );
        assert_eq!(
            lines[1],
            serde_json::json!({"key":"file","value":{"content":"aGVsbG8=","path":"dir/é \"x\".txt","encoding":"base64"}})
        );
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(lines[2]["value"]["content"].as_str().unwrap())
            .unwrap();
        assert_eq!(decoded, data);
        assert_eq!(
            lines[3],
            serde_json::json!({"key":"lfsFile","value":{"path":"w.bin","algo":"sha256","oid":"00ff","size":12}})
        );
        assert!(lines[4]["value"].get("size").is_none());
        assert_eq!(
            lines[5],
            serde_json::json!({"key":"deletedFile","value":{"path":"old.txt"}})
        );
        assert_eq!(
            lines[6],
            serde_json::json!({"key":"deletedFolder","value":{"path":"logs/"}})
        );

        // Without parent commit the key is absent.
        let b = CommitBody::new("t", "d", None);
        let first = String::from_utf8(collect(&b).await).unwrap();
        assert!(!first.contains("parentCommit"));
    }
}
