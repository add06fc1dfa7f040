//! [`BlobStore`] on an S3-compatible object store (AWS S3, MinIO, moto, …) via the
//! `object_store` crate.
//!
//! Objects live at `PREFIX/objects/aa/<sha256>`, the local store's layout. An upload streams
//! into an S3 multipart upload under `PREFIX/staging/<uuid>` while it is hashed; only when the
//! sha256 and the size match is it copied (server side) to its content-addressed key and the
//! staging object deleted, so a key under `objects/` always holds exactly its content.
//!
//! Multipart LFS uploads: when clients can reach the store (`presign`), each client part goes
//! straight to a presigned `UploadPart` URL of one S3 multipart upload under a staging key; the
//! completion carries the part ETags, and the assembled object is read back and checked before
//! it is copied to its address. Otherwise the parts are assembled and verified on local disk
//! ([`crate::multipart`], which survives restarts) and streamed into the store like any upload.
//!
//! Several hub-server processes can share one bucket: the keys are content addressed, a put of
//! an object that already exists is a no-op, and staging keys are unique per upload.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as StorePath;
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::blobstore::{BlobStore, ByteStream, DirectUpload, PutError, is_sha256};

/// Part size of the multipart uploads into the store (S3 needs at least 5 MiB but the last).
const PART_SIZE: usize = 16 * 1024 * 1024;

/// Smallest part S3 accepts (all parts but the last).
const MIN_PART: u64 = 5 * 1024 * 1024;

/// Lifetime of presigned download URLs.
const PRESIGN_TTL: Duration = Duration::from_secs(3600);

/// Where and how to reach the store.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix (no leading or trailing `/`; may be empty).
    pub prefix: String,
    /// Endpoint URL of an S3-compatible service (default: AWS, or `AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    /// Region (default: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`).
    pub region: Option<String>,
    /// Answer downloads with presigned redirects to the store (clients can reach it) instead
    /// of streaming them through the server.
    pub presign: bool,
}

impl S3Config {
    /// Parses `s3://BUCKET[/PREFIX]`.
    pub fn parse(url: &str) -> Option<S3Config> {
        let rest = url.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return None;
        }
        Some(S3Config {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            ..S3Config::default()
        })
    }
}

/// Errors of opening the store.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot open the S3 blob store: {0} (check --s3-endpoint, --s3-region and the AWS_* credentials)"
)]
pub struct S3OpenError(String);

/// [`BlobStore`] on an S3-compatible service.
#[derive(Debug)]
pub struct S3BlobStore {
    store: AmazonS3,
    prefix: String,
    presign: bool,
}

fn io(e: object_store::Error) -> std::io::Error {
    match e {
        object_store::Error::NotFound { .. } => {
            std::io::Error::new(std::io::ErrorKind::NotFound, e)
        }
        other => std::io::Error::other(other),
    }
}

impl S3BlobStore {
    /// Connects (lazily: nothing is sent until the first request) with credentials from the
    /// usual `AWS_*` environment variables.
    pub fn open(config: &S3Config) -> Result<S3BlobStore, S3OpenError> {
        let mut b = AmazonS3Builder::from_env().with_bucket_name(&config.bucket);
        if let Some(e) = &config.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        } else if let Ok(e) = std::env::var("AWS_ENDPOINT_URL") {
            b = b
                .with_endpoint(&e)
                .with_allow_http(e.starts_with("http://"));
        }
        let region = config
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .unwrap_or_else(|| "us-east-1".into());
        let store = b
            .with_region(region)
            .build()
            .map_err(|e| S3OpenError(e.to_string()))?;
        Ok(S3BlobStore {
            store,
            prefix: config.prefix.clone(),
            presign: config.presign,
        })
    }

    fn key(&self, rest: &str) -> StorePath {
        if self.prefix.is_empty() {
            StorePath::from(rest)
        } else {
            StorePath::from(format!("{}/{rest}", self.prefix))
        }
    }

    fn object(&self, oid: &str) -> Option<StorePath> {
        is_sha256(oid).then(|| {
            let oid = oid.to_ascii_lowercase();
            self.key(&format!("objects/{}/{oid}", &oid[..2]))
        })
    }

    /// Checks a complete staging object (sha256 and size) and, when it matches, copies it to
    /// its content address; the staging object goes either way.
    async fn promote(&self, staging: &StorePath, oid: &str, size: u64) -> Result<(), PutError> {
        let verdict = self.verify(staging, oid, size).await;
        let verdict = match verdict {
            Ok(()) => match self.object(oid) {
                Some(key) => self
                    .store
                    .copy(staging, &key)
                    .await
                    .map_err(|e| PutError::Io(io(e))),
                None => Err(PutError::Io(std::io::Error::other("not a sha256"))),
            },
            Err(e) => Err(e),
        };
        let _ = self.store.delete(staging).await;
        verdict
    }

    /// Reads a staging object back and checks its sha256 and size.
    async fn verify(&self, staging: &StorePath, oid: &str, size: u64) -> Result<(), PutError> {
        let mut stream = self.store.get(staging).await.map_err(io)?.into_stream();
        let mut hasher = Sha256::new();
        let mut got = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(io)?;
            got += chunk.len() as u64;
            hasher.update(&chunk);
        }
        if got != size {
            return Err(PutError::SizeMismatch {
                expected: size,
                actual: got,
            });
        }
        let actual = hex::encode(hasher.finalize());
        if !actual.eq_ignore_ascii_case(oid) {
            return Err(PutError::HashMismatch {
                expected: oid.to_string(),
                actual,
            });
        }
        Ok(())
    }

    /// Streams `body` into a new staging object, returning its sha256 and size.
    async fn stage(
        &self,
        staging: &StorePath,
        size: u64,
        mut body: ByteStream,
    ) -> Result<(String, u64), PutError> {
        let upload = self.store.put_multipart(staging).await.map_err(io)?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut hasher = Sha256::new();
        let mut got = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk: Bytes = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(e.into());
                }
            };
            got += chunk.len() as u64;
            if got > size {
                let _ = w.abort().await;
                return Err(PutError::SizeMismatch {
                    expected: size,
                    actual: got,
                });
            }
            hasher.update(&chunk);
            // Bounds the parts in flight, so memory stays a few parts whatever the object size.
            if let Err(e) = w.wait_for_capacity(4).await {
                let _ = w.abort().await;
                return Err(io(e).into());
            }
            w.put(chunk);
        }
        w.finish().await.map_err(io)?;
        Ok((hex::encode(hasher.finalize()), got))
    }
}

#[async_trait::async_trait]
impl BlobStore for S3BlobStore {
    async fn len(&self, oid: &str) -> std::io::Result<Option<u64>> {
        let Some(key) = self.object(oid) else {
            return Ok(None);
        };
        match self.store.head(&key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn put(&self, oid: &str, size: u64, body: ByteStream) -> Result<(), PutError> {
        let Some(key) = self.object(oid) else {
            return Err(PutError::HashMismatch {
                expected: oid.to_string(),
                actual: "(not a sha256)".into(),
            });
        };
        if self.len(oid).await? == Some(size) {
            return Ok(());
        }
        let staging = self.key(&format!("staging/{}", uuid::Uuid::new_v4()));
        let (actual, got) = self.stage(&staging, size, body).await?;
        let verdict = if got != size {
            Err(PutError::SizeMismatch {
                expected: size,
                actual: got,
            })
        } else if !actual.eq_ignore_ascii_case(oid) {
            Err(PutError::HashMismatch {
                expected: oid.to_string(),
                actual,
            })
        } else {
            // Verified: only now does the content appear under its name.
            self.store
                .copy(&staging, &key)
                .await
                .map_err(|e| PutError::Io(io(e)))
        };
        let _ = self.store.delete(&staging).await;
        verdict
    }

    async fn get(
        &self,
        oid: &str,
        range: Option<(u64, u64)>,
    ) -> std::io::Result<Option<ByteStream>> {
        let Some(key) = self.object(oid) else {
            return Ok(None);
        };
        let options = GetOptions {
            range: range.map(|(s, e)| GetRange::Bounded(s..e)),
            ..GetOptions::default()
        };
        match self.store.get_opts(&key, options).await {
            Ok(r) => Ok(Some(Box::pin(r.into_stream().map(|c| c.map_err(io))))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn begin_direct_multipart(
        &self,
        oid: &str,
        size: u64,
        chunk: u64,
    ) -> std::io::Result<Option<DirectUpload>> {
        let parts = size.div_ceil(chunk.max(1)).max(1);
        // Clients must reach the store, and the parts must be large enough for S3.
        if !self.presign || !is_sha256(oid) || (parts > 1 && chunk < MIN_PART) {
            return Ok(None);
        }
        let staging = format!(
            "staging/{}.{}",
            oid.to_ascii_lowercase(),
            uuid::Uuid::new_v4()
        );
        let path = self.key(&staging);
        let upload_id = self.store.create_multipart(&path).await.map_err(io)?;
        let mut part_urls = Vec::with_capacity(parts as usize);
        for n in 1..=parts {
            let mut options = SignedUrlOptions::new();
            options.extra_query = vec![
                ("partNumber".into(), n.to_string()),
                ("uploadId".into(), upload_id.clone()),
            ];
            let url = self
                .store
                .signed_url_opts(http::Method::PUT, &path, PRESIGN_TTL, &options)
                .await
                .map_err(io)?;
            part_urls.push(url.to_string());
        }
        Ok(Some(DirectUpload {
            staging,
            upload_id,
            part_urls,
        }))
    }

    async fn finish_direct_multipart(
        &self,
        oid: &str,
        size: u64,
        upload: &DirectUpload,
        etags: Vec<String>,
    ) -> Result<(), PutError> {
        if !upload.staging.starts_with("staging/") || upload.staging.contains("..") {
            return Err(PutError::Io(std::io::Error::other("bad staging key")));
        }
        if self.len(oid).await? == Some(size) {
            return Ok(());
        }
        let path = self.key(&upload.staging);
        let parts = etags
            .into_iter()
            .map(|content_id| PartId { content_id })
            .collect();
        self.store
            .complete_multipart(&path, &upload.upload_id, parts)
            .await
            .map_err(io)?;
        // The client wrote the bytes: they are read back and checked before they count.
        self.promote(&path, oid, size).await
    }

    async fn presigned_get(&self, oid: &str) -> std::io::Result<Option<String>> {
        if !self.presign {
            return Ok(None);
        }
        let Some(key) = self.object(oid) else {
            return Ok(None);
        };
        let url = self
            .store
            .signed_url(http::Method::GET, &key, PRESIGN_TTL)
            .await
            .map_err(io)?;
        Ok(Some(url.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_urls() {
        let c = S3Config::parse("s3://bucket/some/prefix/").unwrap();
        assert_eq!(
            (c.bucket.as_str(), c.prefix.as_str()),
            ("bucket", "some/prefix")
        );
        let c = S3Config::parse("s3://bucket").unwrap();
        assert_eq!((c.bucket.as_str(), c.prefix.as_str()), ("bucket", ""));
        assert!(S3Config::parse("s3://").is_none());
        assert!(S3Config::parse("/local/dir").is_none());
    }
}
