//! safetensors metadata read from the Hub with range requests (Python's
//! `get_safetensors_metadata` / `parse_safetensors_file_metadata`).
//!
//! A safetensors file starts with an 8-byte little-endian header length and a JSON header.
//! The first request asks for the first 100,000 bytes, which holds the whole header of nearly
//! every file; a larger header costs exactly one more request. The number of requests never
//! depends on the size of the tensors.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{FsError, Result};
use crate::fs::HfFileSystem;

/// What the first request asks for, as Python (`bytes=0-100000`).
const FIRST_READ: u64 = 100_001;
/// Python's `SAFETENSORS_MAX_HEADER_LENGTH`.
pub const MAX_HEADER_LENGTH: u64 = 25_000_000;
/// The single-file name.
pub const SINGLE_FILE: &str = "model.safetensors";
/// The index of a sharded model.
pub const INDEX_FILE: &str = "model.safetensors.index.json";

/// One tensor of a safetensors header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// Data type (`F32`, `BF16`, ...).
    pub dtype: String,
    /// Shape.
    pub shape: Vec<u64>,
    /// Byte range of the data, relative to the end of the header.
    pub data_offsets: (u64, u64),
}

impl TensorInfo {
    /// Number of values (the product of the shape; 1 for a scalar).
    pub fn parameter_count(&self) -> u64 {
        self.shape.iter().product()
    }
}

/// The header of one safetensors file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetensorsFileMetadata {
    /// The `__metadata__` entry (string to string).
    pub metadata: BTreeMap<String, String>,
    /// Tensors by name.
    pub tensors: BTreeMap<String, TensorInfo>,
}

impl SafetensorsFileMetadata {
    /// Number of values per dtype.
    pub fn parameter_count(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for t in self.tensors.values() {
            *out.entry(t.dtype.clone()).or_insert(0) += t.parameter_count();
        }
        out
    }
}

/// The safetensors metadata of a repository.
#[derive(Debug, Clone, PartialEq)]
pub struct SafetensorsRepoMetadata {
    /// The index's `metadata` (sharded models only).
    pub metadata: Option<Value>,
    /// Whether the weights are split in shards with an index.
    pub sharded: bool,
    /// Tensor name to file name.
    pub weight_map: BTreeMap<String, String>,
    /// Header of every file.
    pub files_metadata: BTreeMap<String, SafetensorsFileMetadata>,
}

impl SafetensorsRepoMetadata {
    /// Number of values per dtype over all files.
    pub fn parameter_count(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for f in self.files_metadata.values() {
            for (k, v) in f.parameter_count() {
                *out.entry(k).or_insert(0) += v;
            }
        }
        out
    }
}

fn parsing(path: &str, what: impl std::fmt::Display) -> FsError {
    FsError::Parse(format!(
        "Failed to parse safetensors header of '{path}': {what}. Make sure it is a correctly formatted safetensors file."
    ))
}

/// Reads the header of a file of `size` bytes with `read(start, end)` (bytes `[start, end)`):
/// one call, or two when the header is longer than the first read.
pub async fn read_header<F, Fut>(
    path: &str,
    size: u64,
    mut read: F,
) -> Result<SafetensorsFileMetadata>
where
    F: FnMut(u64, u64) -> Fut,
    Fut: Future<Output = Result<bytes::Bytes>>,
{
    if size < 8 {
        return Err(parsing(path, "the file is shorter than 8 bytes"));
    }
    let first = read(0, FIRST_READ.min(size)).await?;
    let len_bytes: [u8; 8] = first
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| parsing(path, "the server sent fewer than 8 bytes"))?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER_LENGTH {
        return Err(parsing(
            path,
            format!(
                "the header is too big; the maximum supported size is {MAX_HEADER_LENGTH} bytes (got {header_len})"
            ),
        ));
    }
    if 8 + header_len > size {
        return Err(parsing(path, "the header is longer than the file"));
    }
    let header = if 8 + header_len <= first.len() as u64 {
        first.slice(8..8 + header_len as usize)
    } else {
        read(8, 8 + header_len).await?
    };
    parse_header(path, &header)
}

/// Parses a JSON safetensors header.
pub fn parse_header(path: &str, header: &[u8]) -> Result<SafetensorsFileMetadata> {
    let text = String::from_utf8_lossy(header);
    let v: serde_json::Map<String, Value> = serde_json::from_str(&text)
        .map_err(|e| parsing(path, format!("header is not JSON ({e})")))?;
    let mut metadata = BTreeMap::new();
    let mut tensors = BTreeMap::new();
    for (k, t) in v {
        if k == "__metadata__" {
            if let Value::Object(m) = t {
                for (mk, mv) in m {
                    let s = match mv {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    metadata.insert(mk, s);
                }
            }
            continue;
        }
        let dtype = t["dtype"]
            .as_str()
            .ok_or_else(|| parsing(path, format!("tensor '{k}' has no dtype")))?
            .to_owned();
        let shape = t["shape"]
            .as_array()
            .and_then(|a| a.iter().map(Value::as_u64).collect::<Option<Vec<_>>>())
            .ok_or_else(|| parsing(path, format!("tensor '{k}' has no valid shape")))?;
        let offs = t["data_offsets"]
            .as_array()
            .and_then(|a| a.iter().map(Value::as_u64).collect::<Option<Vec<_>>>())
            .filter(|o| o.len() == 2)
            .ok_or_else(|| parsing(path, format!("tensor '{k}' has no valid data_offsets")))?;
        tensors.insert(
            k,
            TensorInfo {
                dtype,
                shape,
                data_offsets: (offs[0], offs[1]),
            },
        );
    }
    Ok(SafetensorsFileMetadata { metadata, tensors })
}

impl HfFileSystem {
    /// The header of one safetensors file (Python's `parse_safetensors_file_metadata`), read
    /// with one range request (two for headers over 100 kB).
    pub async fn safetensors_file_metadata(&self, path: &str) -> Result<SafetensorsFileMetadata> {
        let rp = self.resolve_path(path, None).await?;
        let info = self.info(path, false).await?;
        let client = self.inner.client.clone();
        read_header(path, info.size, |s, e| {
            let (client, rp) = (client.clone(), rp.clone());
            async move { crate::file::get_range(&client, &rp, s, e).await }
        })
        .await
    }

    /// The safetensors metadata of a repository (Python's `get_safetensors_metadata`):
    /// `model.safetensors`, else the shards listed by `model.safetensors.index.json`.
    /// `repo` is the repository path, with type prefix and revision if needed
    /// (`ns/model@refs/pr/1`).
    pub async fn safetensors_metadata(&self, repo: &str) -> Result<SafetensorsRepoMetadata> {
        let rp = self.resolve_path(repo, None).await?;
        let root = rp.root();
        let single = format!("{root}/{SINGLE_FILE}");
        if self.isfile(&single).await? {
            let file = self.safetensors_file_metadata(&single).await?;
            let weight_map = file
                .tensors
                .keys()
                .map(|k| (k.clone(), SINGLE_FILE.to_owned()))
                .collect();
            return Ok(SafetensorsRepoMetadata {
                metadata: None,
                sharded: false,
                weight_map,
                files_metadata: BTreeMap::from([(SINGLE_FILE.to_owned(), file)]),
            });
        }
        let index_path = format!("{root}/{INDEX_FILE}");
        if !self.isfile(&index_path).await? {
            return Err(FsError::NotFound {
                path: format!(
                    "{root}: not a safetensors repo, no '{INDEX_FILE}' or '{SINGLE_FILE}'"
                ),
                reason: crate::NotFoundReason::Path,
            });
        }
        let index: Value = serde_json::from_slice(&self.cat(&index_path).await?)
            .map_err(|e| parsing(&index_path, format!("index is not JSON ({e})")))?;
        let mut weight_map = BTreeMap::new();
        if let Some(m) = index.get("weight_map").and_then(Value::as_object) {
            for (k, v) in m {
                let file = v.as_str().ok_or_else(|| {
                    parsing(&index_path, format!("weight_map['{k}'] is not a file name"))
                })?;
                weight_map.insert(k.clone(), file.to_owned());
            }
        }
        let files: std::collections::BTreeSet<&String> = weight_map.values().collect();
        let reads = files.iter().map(|f| {
            let path = format!("{root}/{f}");
            async move {
                let m = self.safetensors_file_metadata(&path).await?;
                Ok::<_, FsError>(((*f).clone(), m))
            }
        });
        let files_metadata = futures::future::try_join_all(reads)
            .await?
            .into_iter()
            .collect();
        Ok(SafetensorsRepoMetadata {
            metadata: index.get("metadata").cloned().filter(|m| !m.is_null()),
            sharded: true,
            weight_map,
            files_metadata,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn file_with_header(header: &str, data_len: usize) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend(std::iter::repeat_n(0u8, data_len));
        out
    }

    fn count_reads(file: &[u8], pretend_size: u64) -> (Result<SafetensorsFileMetadata>, usize) {
        let calls = Cell::new(0);
        let r = futures::executor::block_on(read_header("f", pretend_size, |s, e| {
            calls.set(calls.get() + 1);
            let end = (e as usize).min(file.len());
            let b = bytes::Bytes::copy_from_slice(&file[s as usize..end]);
            async move { Ok(b) }
        }));
        (r, calls.get())
    }

    #[test]
    fn small_header_one_request_whatever_the_size() {
        let h = r#"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[24,30]}}"#;
        let f = file_with_header(h, 30);
        for size in [f.len() as u64, 1 << 30, 1 << 40] {
            let (m, calls) = count_reads(&f, size);
            let m = m.unwrap();
            assert_eq!(calls, 1);
            assert_eq!(m.metadata["format"], "pt");
            assert_eq!(m.tensors["w"].data_offsets, (0, 24));
            assert_eq!(
                m.parameter_count(),
                BTreeMap::from([("BF16".into(), 3), ("F32".into(), 6)])
            );
        }
    }

    #[test]
    fn big_header_two_requests_and_errors() {
        let mut h = String::from("{");
        for i in 0..4000 {
            h.push_str(&format!(
                r#""layer.{i}.weight":{{"dtype":"F16","shape":[4,4],"data_offsets":[{},{}]}},"#,
                i * 32,
                i * 32 + 32
            ));
        }
        h.pop();
        h.push('}');
        assert!(h.len() > 100_000);
        let f = file_with_header(&h, 0);
        let (m, calls) = count_reads(&f, 1 << 34);
        assert_eq!(calls, 2);
        assert_eq!(m.unwrap().tensors.len(), 4000);
        let (m, _) = count_reads(&file_with_header("not json", 0), 100);
        assert!(m.unwrap_err().to_string().contains("not JSON"));
        let mut huge = (MAX_HEADER_LENGTH + 1).to_le_bytes().to_vec();
        huge.extend([0u8; 8]);
        assert!(
            count_reads(&huge, 1 << 30)
                .0
                .unwrap_err()
                .to_string()
                .contains("too big")
        );
    }
}
