//! [`HfObjectStore`]: one repository revision as an `object_store::ObjectStore`, so tools built
//! on that trait (DataFusion, Polars, arrow-rs readers) can read and write `hf://` data.
//!
//! It is a thin layer over [`HfFileSystem`]: reads are the same ranged `GET`s, listings the same
//! cached tree listings, writes the same single commits. Object paths are paths inside the
//! repository. `last_modified` is the date of the last commit touching the object (listings ask
//! the Hub for it), and the ETag is the LFS sha256 or the git blob id.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    Attributes, CopyMode, CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult,
    MultipartUpload, ObjectMeta, ObjectStore, PutMode, PutMultipartOptions, PutOptions, PutPayload,
    PutResult, UploadPart,
};

use crate::error::FsError;
use crate::fs::{FsEntry, HfFileSystem};

const STORE: &str = "HuggingFace";

/// One repository revision of the Hub as an object store.
#[derive(Debug, Clone)]
pub struct HfObjectStore {
    fs: HfFileSystem,
    /// The unresolved root, `[datasets/|spaces/]ns/name[@rev]`.
    root: String,
}

impl fmt::Display for HfObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HfObjectStore(hf://{})", self.root)
    }
}

impl HfObjectStore {
    /// The store of repository `repo` (`datasets/ns/name`, optionally `@revision`).
    pub async fn new(fs: HfFileSystem, repo: &str) -> Result<HfObjectStore, FsError> {
        let rp = fs.resolve_path(repo, None).await?;
        if !rp.path_in_repo.is_empty() {
            return Err(FsError::InvalidArgument(format!(
                "'{repo}' is a path inside a repository; give the repository itself (e.g. 'datasets/ns/name@revision')"
            )));
        }
        Ok(HfObjectStore {
            fs,
            root: rp.root(),
        })
    }

    fn full(&self, p: &Path) -> String {
        if p.as_ref().is_empty() {
            self.root.clone()
        } else {
            format!("{}/{}", self.root, p.as_ref())
        }
    }

    fn meta(&self, e: &FsEntry) -> ObjectMeta {
        let rel = e
            .name
            .strip_prefix(&self.root)
            .map(|s| s.trim_start_matches('/'))
            .unwrap_or(&e.name);
        ObjectMeta {
            location: Path::parse(rel).unwrap_or_else(|_| Path::from(rel)),
            last_modified: e
                .last_commit
                .as_ref()
                .and_then(|c| c.date)
                .unwrap_or_default(),
            size: e.size,
            e_tag: e
                .lfs
                .as_ref()
                .map(|l| l.sha256.clone())
                .or_else(|| e.blob_id.clone()),
            version: None,
        }
    }

    async fn head_entry(&self, location: &Path) -> object_store::Result<FsEntry> {
        let name = self.full(location);
        let e = self
            .fs
            .info(&name, true)
            .await
            .map_err(|e| convert(e, &name))?;
        if !e.is_file() {
            return Err(object_store::Error::NotFound {
                path: name,
                source: "a directory, not an object".into(),
            });
        }
        Ok(e)
    }
}

fn convert(e: FsError, path: &str) -> object_store::Error {
    if e.is_not_found() {
        object_store::Error::NotFound {
            path: path.to_owned(),
            source: Box::new(e),
        }
    } else {
        object_store::Error::Generic {
            store: STORE,
            source: Box::new(e),
        }
    }
}

fn put_result(c: hub_core::types::CommitInfo) -> PutResult {
    PutResult {
        e_tag: None,
        version: Some(c.oid),
        extensions: Default::default(),
    }
}

#[async_trait]
impl ObjectStore for HfObjectStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let name = self.full(location);
        match opts.mode {
            PutMode::Overwrite => {}
            PutMode::Create => {
                if self.fs.exists(&name).await.map_err(|e| convert(e, &name))? {
                    return Err(object_store::Error::AlreadyExists {
                        path: name,
                        source: "the object exists".into(),
                    });
                }
            }
            PutMode::Update(_) => {
                return Err(object_store::Error::NotImplemented {
                    operation: "put with PutMode::Update".into(),
                    implementer: self.to_string(),
                });
            }
        }
        let data: Bytes = payload.into();
        let c = self
            .fs
            .pipe(name.clone(), data)
            .send()
            .await
            .map_err(|e| convert(e, &name))?;
        Ok(put_result(c))
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        _opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        Ok(Box::new(HfMultipart {
            store: self.clone(),
            location: location.clone(),
            parts: Arc::new(Mutex::new(Vec::new())),
        }))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        let e = self.head_entry(location).await?;
        let meta = self.meta(&e);
        options.check_preconditions(&meta)?;
        let range: Range<u64> = match &options.range {
            Some(r) => r
                .as_range(e.size)
                .map_err(|err| object_store::Error::Generic {
                    store: STORE,
                    source: Box::new(err),
                })?,
            None => 0..e.size,
        };
        let payload = if options.head || range.is_empty() {
            futures::stream::empty().boxed()
        } else {
            let name = self.full(location);
            let fs = self.fs.clone();
            let (s, t) = (range.start as i64, range.end as i64);
            futures::stream::once(async move {
                fs.cat_file(&name, Some(s), Some(t))
                    .await
                    .map_err(|e| convert(e, &name))
            })
            .boxed()
        };
        Ok(GetResult {
            payload: GetResultPayload::Stream(payload),
            meta,
            range,
            attributes: Attributes::default(),
            extensions: Default::default(),
        })
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let store = self.clone();
        locations
            .and_then(move |p| {
                let store = store.clone();
                async move {
                    let name = store.full(&p);
                    store
                        .fs
                        .rm(name.clone())
                        .send()
                        .await
                        .map_err(|e| convert(e, &name))?;
                    Ok(p)
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let store = self.clone();
        let prefix = prefix.cloned().unwrap_or_default();
        futures::stream::once(async move {
            let name = store.full(&prefix);
            let found = match store.fs.find(name.clone()).detail(true).send().await {
                Ok(f) => f,
                Err(e) if e.is_not_found() => Default::default(),
                Err(e) => return Err(convert(e, &name)),
            };
            let metas: Vec<object_store::Result<ObjectMeta>> = found
                .values()
                // `find` of a file path gives the file; an object store lists under a prefix.
                .filter(|e| e.is_file() && e.name != name)
                .map(|e| Ok(store.meta(e)))
                .collect();
            Ok(futures::stream::iter(metas))
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        let prefix = prefix.cloned().unwrap_or_default();
        let name = self.full(&prefix);
        let entries = match self.fs.ls(name.clone()).send().await {
            Ok(v) => v,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(convert(e, &name)),
        };
        let mut out = ListResult {
            common_prefixes: Vec::new(),
            objects: Vec::new(),
            extensions: Default::default(),
        };
        for e in entries.iter().filter(|e| e.name != name) {
            let m = self.meta(e);
            if e.is_dir() {
                out.common_prefixes.push(m.location);
            } else {
                out.objects.push(m);
            }
        }
        Ok(out)
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        let (src, dst) = (self.full(from), self.full(to));
        if matches!(options.mode, CopyMode::Create)
            && self.fs.exists(&dst).await.map_err(|e| convert(e, &dst))?
        {
            return Err(object_store::Error::AlreadyExists {
                path: dst,
                source: "the destination exists".into(),
            });
        }
        self.fs
            .cp_file(src.clone(), dst)
            .send()
            .await
            .map_err(|e| convert(e, &src))?;
        Ok(())
    }
}

/// A multipart upload: parts are kept in memory in order and committed as one file by
/// `complete` (the Hub has no partial objects; hub-upload uses LFS multipart on the wire).
#[derive(Debug)]
struct HfMultipart {
    store: HfObjectStore,
    location: Path,
    parts: Arc<Mutex<Vec<Bytes>>>,
}

#[async_trait]
impl MultipartUpload for HfMultipart {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.parts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(data.into());
        Box::pin(async { Ok(()) })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let parts = std::mem::take(&mut *self.parts.lock().unwrap_or_else(|p| p.into_inner()));
        let mut all = Vec::with_capacity(parts.iter().map(Bytes::len).sum());
        for p in parts {
            all.extend_from_slice(&p);
        }
        let name = self.store.full(&self.location);
        let c = self
            .store
            .fs
            .pipe(name.clone(), all)
            .send()
            .await
            .map_err(|e| convert(e, &name))?;
        Ok(put_result(c))
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.parts.lock().unwrap_or_else(|p| p.into_inner()).clear();
        Ok(())
    }
}
