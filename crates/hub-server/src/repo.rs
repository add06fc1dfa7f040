//! Repository store: locating, creating, renaming and deleting Hub repositories (bare git repos),
//! their settings, discussions, and the read/write operations on their git content.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::git::{self, Commit, GitRepo, Kind, LfsPointer, Oid, TreeEntry};
use crate::util;

/// Kind of Hub repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoType {
    /// Model repo (no URL prefix).
    Model,
    /// Dataset repo (`datasets/`).
    Dataset,
    /// Space repo (`spaces/`).
    Space,
}

impl RepoType {
    /// Plural API form (`models`).
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
        }
    }
    /// Singular form (`model`).
    pub fn singular(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
        }
    }
    /// URL prefix for non-API URLs (`""`, `datasets/`, `spaces/`).
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
        }
    }
    /// Parses the plural form.
    pub fn from_plural(s: &str) -> Option<Self> {
        Some(match s {
            "models" => RepoType::Model,
            "datasets" => RepoType::Dataset,
            "spaces" => RepoType::Space,
            _ => return None,
        })
    }
    /// Parses the singular form (as sent in create/delete/move bodies).
    pub fn from_singular(s: &str) -> Option<Self> {
        Some(match s {
            "model" => RepoType::Model,
            "dataset" => RepoType::Dataset,
            "space" => RepoType::Space,
            _ => return None,
        })
    }
}

/// Persistent per-repo settings (`hub.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoMeta {
    /// Object id (24 hex), like the Hub's `_id`.
    pub id: String,
    /// Private repos are invisible to non-members.
    #[serde(default)]
    pub private: bool,
    /// `false`, `"auto"` or `"manual"`.
    #[serde(default = "gated_false")]
    pub gated: serde_json::Value,
    /// Space SDK.
    #[serde(default)]
    pub sdk: Option<String>,
    /// Creation date.
    pub created_at: String,
    /// Gated-repo access requests by user name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub access: BTreeMap<String, AccessRequest>,
    /// Users who liked the repo.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub likers: Vec<String>,
    /// Space runtime settings (spaces only; nothing actually runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space: Option<SpaceState>,
}

/// Simulated Space runtime state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceState {
    /// `RUNNING`, `PAUSED`, ...
    #[serde(default)]
    pub stage: Option<String>,
    /// Requested hardware flavor.
    #[serde(default)]
    pub hardware: Option<String>,
    /// Sleep time in seconds.
    #[serde(default)]
    pub sleep_time: Option<i64>,
    /// Persistent storage tier.
    #[serde(default)]
    pub storage: Option<String>,
    /// Variables: key → `{"value", "description"?, "updatedAt"}`.
    #[serde(default)]
    pub variables: BTreeMap<String, serde_json::Value>,
    /// Secret keys (values are write-only and not kept): key → `{"description"?, "updatedAt"}`.
    #[serde(default)]
    pub secrets: BTreeMap<String, serde_json::Value>,
}

/// One user's access request to a gated repo.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessRequest {
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    /// Last change.
    pub timestamp: String,
}

fn gated_false() -> serde_json::Value {
    serde_json::Value::Bool(false)
}

/// A located repository.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Type.
    pub ty: RepoType,
    /// Canonical namespace.
    pub ns: String,
    /// Canonical name.
    pub name: String,
    /// Settings.
    pub meta: RepoMeta,
    /// The bare git repo.
    pub git: GitRepo,
}

impl Repo {
    /// `ns/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.ns, self.name)
    }
    /// Key for per-repo locks.
    pub fn lock_key(&self) -> String {
        self.git.dir().display().to_string()
    }
}

/// The default `.gitattributes` of a new repository (the Hub's default LFS patterns).
pub const DEFAULT_GITATTRIBUTES: &str = "*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.bz2 filter=lfs diff=lfs merge=lfs -text
*.ckpt filter=lfs diff=lfs merge=lfs -text
*.ftz filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.joblib filter=lfs diff=lfs merge=lfs -text
*.lfs.* filter=lfs diff=lfs merge=lfs -text
*.mlmodel filter=lfs diff=lfs merge=lfs -text
*.model filter=lfs diff=lfs merge=lfs -text
*.msgpack filter=lfs diff=lfs merge=lfs -text
*.npy filter=lfs diff=lfs merge=lfs -text
*.npz filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.ot filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pb filter=lfs diff=lfs merge=lfs -text
*.pickle filter=lfs diff=lfs merge=lfs -text
*.pkl filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.rar filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
saved_model/**/* filter=lfs diff=lfs merge=lfs -text
*.tar.* filter=lfs diff=lfs merge=lfs -text
*.tar filter=lfs diff=lfs merge=lfs -text
*.tflite filter=lfs diff=lfs merge=lfs -text
*.tgz filter=lfs diff=lfs merge=lfs -text
*.wasm filter=lfs diff=lfs merge=lfs -text
*.xz filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
*tfevents* filter=lfs diff=lfs merge=lfs -text
";

/// Extra default patterns of dataset repos (audio/image/text data formats).
const DATASET_GITATTRIBUTES: &str = "# Audio files - uncompressed
*.pcm filter=lfs diff=lfs merge=lfs -text
*.sam filter=lfs diff=lfs merge=lfs -text
*.raw filter=lfs diff=lfs merge=lfs -text
# Audio files - compressed
*.aac filter=lfs diff=lfs merge=lfs -text
*.flac filter=lfs diff=lfs merge=lfs -text
*.mp3 filter=lfs diff=lfs merge=lfs -text
*.ogg filter=lfs diff=lfs merge=lfs -text
*.wav filter=lfs diff=lfs merge=lfs -text
# Image files - uncompressed
*.bmp filter=lfs diff=lfs merge=lfs -text
*.gif filter=lfs diff=lfs merge=lfs -text
*.png filter=lfs diff=lfs merge=lfs -text
*.tiff filter=lfs diff=lfs merge=lfs -text
# Image files - compressed
*.jpg filter=lfs diff=lfs merge=lfs -text
*.jpeg filter=lfs diff=lfs merge=lfs -text
*.webp filter=lfs diff=lfs merge=lfs -text
";

/// Size and LFS pointer of a blob.
#[derive(Debug, Clone)]
pub struct BlobInfo {
    /// Size of the git blob (the pointer size for LFS files).
    pub size: u64,
    /// LFS pointer when the blob is one.
    pub lfs: Option<LfsPointer>,
}

/// Caches of immutable, content-addressed data (trees and blob infos).
#[derive(Debug, Default)]
pub struct ObjCache {
    trees: Mutex<HashMap<Oid, Arc<Vec<TreeEntry>>>>,
    blobs: Mutex<HashMap<Oid, BlobInfo>>,
}

const CACHE_MAX: usize = 200_000;

/// Read access to one repo's git content, with caching.
#[derive(Debug, Clone)]
pub struct Reader {
    /// The git repo.
    pub git: GitRepo,
    cache: Arc<ObjCache>,
}

/// A resolved revision.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Commit id.
    pub commit: Oid,
    /// Full ref name when the revision named a ref.
    pub refname: Option<String>,
}

/// One entry found at a path.
#[derive(Debug, Clone)]
pub struct PathEntry {
    /// Path in repo.
    pub path: String,
    /// Git mode.
    pub mode: String,
    /// Object id.
    pub oid: Oid,
    /// Directory or file.
    pub is_tree: bool,
}

impl Reader {
    /// Resolves a revision: 40-hex commit, full ref name, branch, tag, or `refs/convert/x`.
    pub fn resolve(&self, rev: &str) -> std::io::Result<Option<Resolved>> {
        if git::is_oid(rev) {
            let lower = rev.to_ascii_lowercase();
            if let Some(c) = self.git.peel_to_commit(&lower)? {
                return Ok(Some(Resolved {
                    commit: c,
                    refname: None,
                }));
            }
        }
        let candidates: Vec<String> = if rev.starts_with("refs/") {
            vec![rev.to_string()]
        } else {
            vec![
                format!("refs/heads/{rev}"),
                format!("refs/tags/{rev}"),
                format!("refs/convert/{rev}"),
            ]
        };
        for name in candidates {
            if let Some(oid) = self.git.read_ref(&name)?
                && let Some(c) = self.git.peel_to_commit(&oid)?
            {
                return Ok(Some(Resolved {
                    commit: c,
                    refname: Some(name),
                }));
            }
        }
        Ok(None)
    }

    /// Entries of a tree (cached).
    pub fn tree(&self, oid: &str) -> std::io::Result<Arc<Vec<TreeEntry>>> {
        if let Ok(c) = self.cache.trees.lock()
            && let Some(t) = c.get(oid)
        {
            return Ok(t.clone());
        }
        let t = Arc::new(self.git.tree(oid)?.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, format!("missing tree {oid}"))
        })?);
        if let Ok(mut c) = self.cache.trees.lock() {
            if c.len() > CACHE_MAX {
                c.clear();
            }
            c.insert(oid.to_string(), t.clone());
        }
        Ok(t)
    }

    /// Commit object.
    pub fn commit(&self, oid: &str) -> std::io::Result<Commit> {
        self.git.commit(oid)?.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("missing commit {oid}"),
            )
        })
    }

    /// Looks a path up in a root tree; empty path = root.
    pub fn entry(&self, root_tree: &str, path: &str) -> std::io::Result<Option<PathEntry>> {
        let path = path.trim_matches('/');
        if path.is_empty() {
            return Ok(Some(PathEntry {
                path: String::new(),
                mode: "40000".into(),
                oid: root_tree.into(),
                is_tree: true,
            }));
        }
        let mut cur = root_tree.to_string();
        let comps: Vec<&str> = path.split('/').collect();
        for (i, comp) in comps.iter().enumerate() {
            let tree = self.tree(&cur)?;
            let Some(e) = tree.iter().find(|e| e.name == *comp) else {
                return Ok(None);
            };
            if i + 1 == comps.len() {
                return Ok(Some(PathEntry {
                    path: path.to_string(),
                    mode: e.mode.clone(),
                    oid: e.oid.clone(),
                    is_tree: e.is_tree(),
                }));
            }
            if !e.is_tree() {
                return Ok(None);
            }
            cur = e.oid.clone();
        }
        Ok(None)
    }

    /// Size and LFS pointer of a blob (cached).
    pub fn blob_info(&self, oid: &str) -> std::io::Result<BlobInfo> {
        if let Ok(c) = self.cache.blobs.lock()
            && let Some(b) = c.get(oid)
        {
            return Ok(b.clone());
        }
        let (_, size) = self.git.header(oid)?.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, format!("missing blob {oid}"))
        })?;
        let lfs = if size <= 1024 {
            match self.git.read(oid)? {
                Some((Kind::Blob, data)) => git::parse_lfs_pointer(&data),
                _ => None,
            }
        } else {
            None
        };
        let info = BlobInfo { size, lfs };
        if let Ok(mut c) = self.cache.blobs.lock() {
            if c.len() > CACHE_MAX {
                c.clear();
            }
            c.insert(oid.to_string(), info.clone());
        }
        Ok(info)
    }

    /// Reads a whole (small) blob.
    pub fn blob(&self, oid: &str) -> std::io::Result<Option<Vec<u8>>> {
        Ok(match self.git.read(oid)? {
            Some((Kind::Blob, d)) => Some(d),
            _ => None,
        })
    }

    /// Text content of a file at a commit tree (empty string when absent).
    pub fn file_text(&self, root_tree: &str, path: &str) -> std::io::Result<String> {
        match self.entry(root_tree, path)? {
            Some(e) if !e.is_tree => Ok(self
                .blob(&e.oid)?
                .map(|d| String::from_utf8_lossy(&d).into_owned())
                .unwrap_or_default()),
            _ => Ok(String::new()),
        }
    }

    /// Lists a folder: direct children, or all descendants (dirs included) when `recursive`,
    /// in depth-first order with each folder's entries in git order.
    pub fn list(
        &self,
        tree_oid: &str,
        base: &str,
        recursive: bool,
    ) -> std::io::Result<Vec<PathEntry>> {
        let mut out = Vec::new();
        self.list_into(tree_oid, base, recursive, &mut out)?;
        Ok(out)
    }

    fn list_into(
        &self,
        tree_oid: &str,
        base: &str,
        recursive: bool,
        out: &mut Vec<PathEntry>,
    ) -> std::io::Result<()> {
        let tree = self.tree(tree_oid)?;
        for e in tree.iter() {
            let path = if base.is_empty() {
                e.name.clone()
            } else {
                format!("{base}/{}", e.name)
            };
            out.push(PathEntry {
                path: path.clone(),
                mode: e.mode.clone(),
                oid: e.oid.clone(),
                is_tree: e.is_tree(),
            });
            if recursive && e.is_tree() {
                self.list_into(&e.oid, &path, true, out)?;
            }
        }
        Ok(())
    }

    /// Flat map of all files (path → (mode, oid)) of a tree.
    pub fn flatten(&self, tree_oid: &str) -> std::io::Result<BTreeMap<String, (String, Oid)>> {
        Ok(self
            .list(tree_oid, "", true)?
            .into_iter()
            .filter(|e| !e.is_tree)
            .map(|e| (e.path, (e.mode, e.oid)))
            .collect())
    }

    /// Commits reachable from `head`, newest first (by commit time, parents after children),
    /// skipping `skip` and returning at most `limit`. Also returns whether more exist.
    pub fn log(
        &self,
        head: &str,
        skip: usize,
        limit: usize,
    ) -> std::io::Result<(Vec<(Oid, Commit)>, bool)> {
        let mut seen: HashSet<Oid> = HashSet::new();
        let mut heap: std::collections::BinaryHeap<(i64, u64, Oid)> =
            std::collections::BinaryHeap::new();
        let mut seq: u64 = u64::MAX;
        heap.push((i64::MAX, seq, head.to_string()));
        seen.insert(head.to_string());
        let mut out = Vec::new();
        let mut index = 0usize;
        while let Some((_, _, oid)) = heap.pop() {
            let c = self.commit(&oid)?;
            for p in &c.parents {
                if seen.insert(p.clone())
                    && let Ok(pc) = self.commit(p)
                {
                    seq -= 1;
                    heap.push((pc.time, seq, p.clone()));
                }
            }
            if index >= skip {
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push((oid, c));
            }
            index += 1;
        }
        Ok((out, false))
    }

    /// For each path, the newest commit (first-parent walk from `head`) that changed it.
    pub fn last_commits(
        &self,
        head: &str,
        paths: &[String],
    ) -> std::io::Result<HashMap<String, (Oid, Commit)>> {
        let mut result = HashMap::new();
        let mut pending: Vec<String> = paths.to_vec();
        let mut cur = head.to_string();
        let mut commit = self.commit(&cur)?;
        // Bounded walk: a path unchanged for longer than this is attributed to the oldest commit seen.
        for _ in 0..5000 {
            if pending.is_empty() {
                break;
            }
            let parent = commit.parents.first().cloned();
            let parent_commit = match &parent {
                Some(p) => Some(self.commit(p)?),
                None => None,
            };
            let mut still = Vec::new();
            for p in pending {
                let here = self.entry(&commit.tree, &p)?.map(|e| e.oid);
                let before = match &parent_commit {
                    Some(pc) => self.entry(&pc.tree, &p)?.map(|e| e.oid),
                    None => None,
                };
                if here != before || parent_commit.is_none() {
                    result.insert(p, (cur.clone(), commit.clone()));
                } else {
                    still.push(p);
                }
            }
            pending = still;
            match (parent, parent_commit) {
                (Some(p), Some(pc)) => {
                    cur = p;
                    commit = pc;
                }
                _ => break,
            }
        }
        for p in pending {
            result.insert(p, (cur.clone(), commit.clone()));
        }
        Ok(result)
    }
}

/// One change of a commit, with content already stored as git objects.
#[derive(Debug, Clone)]
pub enum Change {
    /// Add or replace a file with an existing blob.
    Put {
        /// Path.
        path: String,
        /// Git blob id.
        oid: Oid,
    },
    /// Add or replace an LFS file (a pointer blob is written).
    PutLfs {
        /// Path.
        path: String,
        /// sha256.
        sha256: String,
        /// Content size.
        size: u64,
    },
    /// Delete one file.
    Delete {
        /// Path.
        path: String,
    },
    /// Delete a folder and everything under it.
    DeleteFolder {
        /// Path (no trailing slash).
        path: String,
    },
}

/// Errors of building a commit.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Deleting something that does not exist.
    #[error("{0}")]
    Missing(String),
    /// A file and a folder with the same path.
    #[error("{0}")]
    Conflict(String),
    /// Disk failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Author and message of a new commit.
#[derive(Debug, Clone)]
pub struct CommitMeta {
    /// User name.
    pub author: String,
    /// Full message (title, blank line, description).
    pub message: String,
}

impl Reader {
    /// Writes the tree and commit object for `changes` applied on top of `base` (None = empty
    /// repo). Does not move any ref. Returns the new commit id.
    pub fn build_commit(
        &self,
        base: Option<&str>,
        changes: &[Change],
        meta: &CommitMeta,
    ) -> Result<Oid, ApplyError> {
        let mut files = match base {
            Some(b) => {
                let c = self.commit(b)?;
                self.flatten(&c.tree)?
            }
            None => BTreeMap::new(),
        };
        let mut lfs_paths: Vec<String> = Vec::new();
        let mut batch = self.git.batch();
        for ch in changes {
            match ch {
                Change::Put { path, oid } => {
                    files.insert(path.clone(), ("100644".into(), oid.clone()));
                }
                Change::PutLfs { path, sha256, size } => {
                    let pointer = git::lfs_pointer(sha256, *size);
                    let oid = batch.add(Kind::Blob, pointer.into_bytes())?;
                    files.insert(path.clone(), ("100644".into(), oid));
                    lfs_paths.push(path.clone());
                }
                Change::Delete { path } => {
                    if files.remove(path).is_none() {
                        return Err(ApplyError::Missing(format!(
                            "A file with this name doesn't exist: {path}"
                        )));
                    }
                }
                Change::DeleteFolder { path } => {
                    let prefix = format!("{path}/");
                    let before = files.len();
                    files.retain(|p, _| !p.starts_with(&prefix));
                    if files.len() == before {
                        return Err(ApplyError::Missing(format!(
                            "A folder with this name doesn't exist: {path}"
                        )));
                    }
                }
            }
        }
        // Like the Hub: LFS files not covered by .gitattributes get their own rule appended.
        if !lfs_paths.is_empty() {
            let mut attrs = match files.get(".gitattributes") {
                Some((_, oid)) => self
                    .blob(oid)?
                    .map(|d| String::from_utf8_lossy(&d).into_owned())
                    .unwrap_or_default(),
                None => String::new(),
            };
            let mut changed = false;
            for p in &lfs_paths {
                if !util::gitattributes_lfs(&attrs, p) {
                    if !attrs.is_empty() && !attrs.ends_with('\n') {
                        attrs.push('\n');
                    }
                    attrs.push_str(&format!(
                        "{} filter=lfs diff=lfs merge=lfs -text\n",
                        util::gitattributes_escape(p)
                    ));
                    changed = true;
                }
            }
            if changed {
                let oid = batch.add(Kind::Blob, attrs.into_bytes())?;
                files.insert(".gitattributes".into(), ("100644".into(), oid));
            }
        }
        for p in files.keys() {
            let mut idx = 0;
            while let Some(i) = p[idx..].find('/') {
                let dir = &p[..idx + i];
                if files.contains_key(dir) {
                    return Err(ApplyError::Conflict(format!(
                        "{dir} is a file, cannot create {p}"
                    )));
                }
                idx += i + 1;
            }
        }
        let tree = self.write_tree_into(&mut batch, &files)?;
        let commit = Commit {
            tree,
            parents: base.map(|b| vec![b.to_string()]).unwrap_or_default(),
            author: meta.author.clone(),
            author_email: format!("{}@users.noreply.huggingface.co", meta.author),
            time: chrono::Utc::now().timestamp(),
            message: meta.message.clone(),
        };
        let oid = batch.add(Kind::Commit, commit.serialize())?;
        batch.finish()?;
        Ok(oid)
    }

    /// Writes the trees for a flat file map and returns the root tree id.
    pub fn write_tree(&self, files: &BTreeMap<String, (String, Oid)>) -> std::io::Result<Oid> {
        let mut batch = self.git.batch();
        let oid = self.write_tree_into(&mut batch, files)?;
        batch.finish()?;
        Ok(oid)
    }

    /// Adds the trees for a flat file map to `batch` and returns the root tree id.
    fn write_tree_into(
        &self,
        batch: &mut git::ObjectBatch<'_>,
        files: &BTreeMap<String, (String, Oid)>,
    ) -> std::io::Result<Oid> {
        #[derive(Default)]
        struct Dir {
            files: Vec<TreeEntry>,
            dirs: BTreeMap<String, Dir>,
        }
        let mut root = Dir::default();
        for (path, (mode, oid)) in files {
            let mut cur = &mut root;
            let comps: Vec<&str> = path.split('/').collect();
            for c in &comps[..comps.len() - 1] {
                cur = cur.dirs.entry((*c).to_string()).or_default();
            }
            cur.files.push(TreeEntry {
                mode: mode.clone(),
                name: comps[comps.len() - 1].to_string(),
                oid: oid.clone(),
            });
        }
        fn write(batch: &mut git::ObjectBatch<'_>, d: Dir) -> std::io::Result<Oid> {
            let mut entries = d.files;
            for (name, sub) in d.dirs {
                let oid = write(batch, sub)?;
                entries.push(TreeEntry {
                    mode: "40000".into(),
                    name,
                    oid,
                });
            }
            let data = git::serialize_tree(&mut entries)
                .ok_or_else(|| std::io::Error::other("bad oid in tree"))?;
            batch.add(Kind::Tree, data)
        }
        write(batch, root)
    }
}

/// A discussion or pull request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discussion {
    /// Number (also the `refs/pr/N` number).
    pub num: u64,
    /// Title.
    pub title: String,
    /// `open`, `closed`, `merged`, `draft`.
    pub status: String,
    /// Author user name.
    pub author: String,
    /// Creation date.
    pub created_at: String,
    /// Whether this is a PR.
    pub is_pull_request: bool,
    /// Events (comments, commits, status changes) in Hub JSON shape.
    #[serde(default)]
    pub events: Vec<serde_json::Value>,
}

/// Errors of namespace-level operations.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Target already exists.
    #[error("already exists")]
    Exists,
    /// Source does not exist.
    #[error("not found")]
    NotFound,
    /// Disk failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// All repositories under `DATA/repos`.
#[derive(Debug)]
pub struct RepoStore {
    root: PathBuf,
    tmp: PathBuf,
    redirects_path: PathBuf,
    cache: Arc<ObjCache>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Serialises create / delete / move (namespace changes).
    pub ns_lock: tokio::sync::Mutex<()>,
}

fn io_join<T>(r: Result<std::io::Result<T>, tokio::task::JoinError>) -> std::io::Result<T> {
    r.map_err(std::io::Error::other)?
}

impl RepoStore {
    /// Opens the store under `data_dir`.
    pub fn new(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join("repos");
        for t in ["models", "datasets", "spaces"] {
            std::fs::create_dir_all(root.join(t))?;
            // No writer survives a restart, so every lock or temp file left belongs to a killed one.
            sweep_locks(&root.join(t));
        }
        Ok(RepoStore {
            root,
            tmp: data_dir.join("tmp"),
            redirects_path: data_dir.join("redirects.json"),
            cache: Arc::new(ObjCache::default()),
            locks: Mutex::new(HashMap::new()),
            ns_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Reader for a repo.
    pub fn reader(&self, repo: &Repo) -> Reader {
        Reader {
            git: repo.git.clone(),
            cache: self.cache.clone(),
        }
    }

    /// The per-repo write lock.
    pub fn lock(&self, repo: &Repo) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = match self.locks.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        map.entry(repo.lock_key()).or_default().clone()
    }

    fn dir_of(&self, ty: RepoType, ns: &str, name: &str) -> PathBuf {
        self.root
            .join(ty.plural())
            .join(ns)
            .join(format!("{name}.git"))
    }

    /// Finds a repo (case-insensitively). Names must already be valid components.
    pub async fn find(&self, ty: RepoType, ns: &str, name: &str) -> std::io::Result<Option<Repo>> {
        if !crate::auth::valid_name(ns) || !crate::auth::valid_name(name) {
            return Ok(None);
        }
        let root = self.root.join(ty.plural());
        let (ns, name) = (ns.to_string(), name.to_string());
        let exact = self.dir_of(ty, &ns, &name);
        io_join(
            tokio::task::spawn_blocking(move || -> std::io::Result<Option<Repo>> {
                let (cns, cname, dir) = if exact.join("hub.json").exists() {
                    (ns, name, exact)
                } else {
                    let Some(cns) = find_ci(&root, &ns)? else {
                        return Ok(None);
                    };
                    let Some(cdir) = find_ci(&root.join(&cns), &format!("{name}.git"))? else {
                        return Ok(None);
                    };
                    let cname = cdir.trim_end_matches(".git").to_string();
                    let dir = root.join(&cns).join(&cdir);
                    (cns, cname, dir)
                };
                let meta_bytes = match std::fs::read(dir.join("hub.json")) {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e),
                };
                let meta: RepoMeta =
                    serde_json::from_slice(&meta_bytes).map_err(std::io::Error::other)?;
                Ok(Some(Repo {
                    ty,
                    ns: cns,
                    name: cname,
                    meta,
                    git: GitRepo::open(dir),
                }))
            })
            .await,
        )
    }

    /// Creates a repo with an initial commit holding the default `.gitattributes`.
    pub async fn create(
        &self,
        ty: RepoType,
        ns: &str,
        name: &str,
        meta: RepoMeta,
        author: &str,
    ) -> Result<Repo, StoreError> {
        let _g = self.ns_lock.lock().await;
        if self.find(ty, ns, name).await?.is_some() {
            return Err(StoreError::Exists);
        }
        let final_dir = self.dir_of(ty, ns, name);
        let staging = self.tmp.join(format!("create-{}", uuid::Uuid::new_v4()));
        let cache = self.cache.clone();
        let author = author.to_string();
        let meta2 = meta.clone();
        let fd = final_dir.clone();
        io_join(
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let git = GitRepo::init(&staging)?;
                let reader = Reader {
                    git: git.clone(),
                    cache,
                };
                let mut attrs = DEFAULT_GITATTRIBUTES.to_string();
                if ty == RepoType::Dataset {
                    attrs.push_str(DATASET_GITATTRIBUTES);
                }
                let blob = git.write(Kind::Blob, attrs.as_bytes())?;
                let mut files = BTreeMap::new();
                files.insert(".gitattributes".to_string(), ("100644".to_string(), blob));
                let tree = reader.write_tree(&files)?;
                let commit = Commit {
                    tree,
                    parents: vec![],
                    author: author.clone(),
                    author_email: format!("{author}@users.noreply.huggingface.co"),
                    time: chrono::Utc::now().timestamp(),
                    message: "initial commit\n".into(),
                };
                let c = git.write(Kind::Commit, &commit.serialize())?;
                git.update_ref("refs/heads/main", None, Some(&c))
                    .map_err(std::io::Error::other)?;
                util::atomic_write(
                    &staging.join("hub.json"),
                    &serde_json::to_vec_pretty(&meta2).map_err(std::io::Error::other)?,
                )?;
                let parent = fd
                    .parent()
                    .ok_or_else(|| std::io::Error::other("bad repo path"))?;
                std::fs::create_dir_all(parent)?;
                // The repo appears atomically, complete with its first commit.
                std::fs::rename(&staging, &fd)?;
                util::sync_dir(parent);
                Ok(())
            })
            .await,
        )?;
        Ok(Repo {
            ty,
            ns: ns.into(),
            name: name.into(),
            meta,
            git: GitRepo::open(final_dir),
        })
    }

    /// Creates `ns/name` as a copy of `src`'s `main` branch (all objects, one branch).
    pub async fn duplicate(
        &self,
        src: &Repo,
        ns: &str,
        name: &str,
        meta: RepoMeta,
    ) -> Result<Repo, StoreError> {
        let _g = self.ns_lock.lock().await;
        if self.find(src.ty, ns, name).await?.is_some() {
            return Err(StoreError::Exists);
        }
        let final_dir = self.dir_of(src.ty, ns, name);
        let staging = self.tmp.join(format!("dup-{}", uuid::Uuid::new_v4()));
        let src_dir = src.git.dir().to_path_buf();
        let fd = final_dir.clone();
        let meta2 = meta.clone();
        io_join(
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let git = GitRepo::init(&staging)?;
                copy_tree(&src_dir.join("objects"), &staging.join("objects"))?;
                let head = GitRepo::open(&src_dir)
                    .read_ref("refs/heads/main")?
                    .ok_or_else(|| std::io::Error::other("source has no main branch"))?;
                git.update_ref("refs/heads/main", None, Some(&head))
                    .map_err(std::io::Error::other)?;
                util::atomic_write(
                    &staging.join("hub.json"),
                    &serde_json::to_vec_pretty(&meta2).map_err(std::io::Error::other)?,
                )?;
                let parent = fd
                    .parent()
                    .ok_or_else(|| std::io::Error::other("bad repo path"))?;
                std::fs::create_dir_all(parent)?;
                std::fs::rename(&staging, &fd)?;
                util::sync_dir(parent);
                Ok(())
            })
            .await,
        )?;
        Ok(Repo {
            ty: src.ty,
            ns: ns.into(),
            name: name.into(),
            meta,
            git: GitRepo::open(final_dir),
        })
    }

    /// Deletes a repo (rename out of sight first, then remove).
    pub async fn delete(&self, repo: &Repo) -> Result<(), StoreError> {
        let _g = self.ns_lock.lock().await;
        let dir = repo.git.dir().to_path_buf();
        let trash = self.tmp.join(format!("trash-{}", uuid::Uuid::new_v4()));
        io_join(
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::rename(&dir, &trash)?;
                if let Some(p) = dir.parent() {
                    util::sync_dir(p);
                }
                std::fs::remove_dir_all(&trash)
            })
            .await,
        )?;
        Ok(())
    }

    /// Renames a repo and records a redirect from the old id.
    pub async fn rename(&self, repo: &Repo, ns: &str, name: &str) -> Result<(), StoreError> {
        let _g = self.ns_lock.lock().await;
        if let Some(existing) = self.find(repo.ty, ns, name).await?
            && existing.git.dir() != repo.git.dir()
        {
            return Err(StoreError::Exists);
        }
        let from = repo.git.dir().to_path_buf();
        let to = self.dir_of(repo.ty, ns, name);
        let redirects = self.redirects_path.clone();
        let key = format!("{}/{}", repo.ty.plural(), repo.id().to_ascii_lowercase());
        let target = format!("{ns}/{name}");
        io_join(
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let parent = to
                    .parent()
                    .ok_or_else(|| std::io::Error::other("bad path"))?;
                std::fs::create_dir_all(parent)?;
                std::fs::rename(&from, &to)?;
                util::sync_dir(parent);
                let mut map: BTreeMap<String, String> = std::fs::read(&redirects)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or_default();
                map.insert(key, target);
                util::atomic_write(
                    &redirects,
                    &serde_json::to_vec_pretty(&map).map_err(std::io::Error::other)?,
                )
            })
            .await,
        )?;
        Ok(())
    }

    /// Where a renamed repo went (`ns/name`), if it was renamed.
    pub async fn redirect(&self, ty: RepoType, ns: &str, name: &str) -> Option<String> {
        let bytes = tokio::fs::read(&self.redirects_path).await.ok()?;
        let map: BTreeMap<String, String> = serde_json::from_slice(&bytes).ok()?;
        let mut key = format!("{}/{}/{}", ty.plural(), ns, name).to_ascii_lowercase();
        // Follow chains of renames (bounded).
        let mut result = None;
        for _ in 0..10 {
            match map.get(&key) {
                Some(t) => {
                    result = Some(t.clone());
                    key = format!("{}/{}", ty.plural(), t).to_ascii_lowercase();
                }
                None => break,
            }
        }
        result
    }

    /// Persists changed settings.
    pub async fn save_meta(&self, repo: &Repo) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(&repo.meta).map_err(std::io::Error::other)?;
        util::atomic_write_async(repo.git.dir().join("hub.json"), bytes).await
    }

    /// All repos of a type.
    pub async fn list(&self, ty: RepoType) -> std::io::Result<Vec<Repo>> {
        let root = self.root.join(ty.plural());
        io_join(
            tokio::task::spawn_blocking(move || -> std::io::Result<Vec<Repo>> {
                let mut out = Vec::new();
                for ns in std::fs::read_dir(&root)?.flatten() {
                    let Ok(rd) = std::fs::read_dir(ns.path()) else {
                        continue;
                    };
                    let nsname = ns.file_name().to_string_lossy().to_string();
                    for r in rd.flatten() {
                        let fname = r.file_name().to_string_lossy().to_string();
                        let Some(name) = fname.strip_suffix(".git") else {
                            continue;
                        };
                        let Ok(bytes) = std::fs::read(r.path().join("hub.json")) else {
                            continue;
                        };
                        let Ok(meta) = serde_json::from_slice::<RepoMeta>(&bytes) else {
                            continue;
                        };
                        out.push(Repo {
                            ty,
                            ns: nsname.clone(),
                            name: name.to_string(),
                            meta,
                            git: GitRepo::open(r.path()),
                        });
                    }
                }
                out.sort_by_key(|a| a.id());
                Ok(out)
            })
            .await,
        )
    }

    /// Discussions of a repo.
    pub async fn discussions(&self, repo: &Repo) -> std::io::Result<Vec<Discussion>> {
        match tokio::fs::read(repo.git.dir().join("discussions.json")).await {
            Ok(b) => serde_json::from_slice(&b).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
            Err(e) => Err(e),
        }
    }

    /// Saves discussions (call under the repo lock).
    pub async fn save_discussions(&self, repo: &Repo, list: &[Discussion]) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(list).map_err(std::io::Error::other)?;
        util::atomic_write_async(repo.git.dir().join("discussions.json"), bytes).await
    }
}

/// Removes `*.lock` files under each repo's `refs/` (and `packed-refs.lock`) below `type_dir`,
/// plus temp files of interrupted object writes.
fn sweep_locks(type_dir: &Path) {
    let Ok(namespaces) = std::fs::read_dir(type_dir) else {
        return;
    };
    for ns in namespaces.flatten() {
        let Ok(repos) = std::fs::read_dir(ns.path()) else {
            continue;
        };
        for r in repos.flatten() {
            let _ = std::fs::remove_file(r.path().join("packed-refs.lock"));
            // Half-written loose objects of a killed writer (never visible under an object name).
            if let Ok(fanout) = std::fs::read_dir(r.path().join("objects")) {
                for d in fanout.flatten() {
                    let Ok(files) = std::fs::read_dir(d.path()) else {
                        continue;
                    };
                    for f in files.flatten() {
                        if f.file_name().to_string_lossy().starts_with(".tmp") {
                            let _ = std::fs::remove_file(f.path());
                        }
                    }
                }
            }
            let mut stack = vec![r.path().join("refs")];
            while let Some(dir) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in rd.flatten() {
                    let path = e.path();
                    if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                        stack.push(path);
                    } else if path.extension().is_some_and(|x| x == "lock") {
                        let _ = std::fs::remove_file(&path);
                    }
                }
            }
        }
    }
}

/// Recursively copies files (objects are immutable, so a plain copy is consistent), fsyncing each.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)?.flatten() {
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_tree(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), &target)?;
            std::fs::File::open(&target)?.sync_all()?;
        }
    }
    Ok(())
}

/// Case-insensitive lookup of a directory entry name.
fn find_ci(dir: &Path, name: &str) -> std::io::Result<Option<String>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        if n.eq_ignore_ascii_case(name) {
            return Ok(Some(n));
        }
    }
    Ok(None)
}

/// Runs a closure over a reader on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    reader: &Reader,
    f: impl FnOnce(&Reader) -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    let r = reader.clone();
    io_join(tokio::task::spawn_blocking(move || f(&r)).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs real git on the bare repository `dir`.
    fn git(dir: &Path, args: &[&str]) -> std::process::Output {
        std::process::Command::new("git")
            .arg("--git-dir")
            .arg(dir)
            .args(args)
            .output()
            .unwrap()
    }

    fn meta() -> RepoMeta {
        RepoMeta {
            id: "x".into(),
            private: false,
            gated: gated_false(),
            sdk: None,
            created_at: util::now_date(),
            access: BTreeMap::new(),
            likers: vec![],
            space: None,
        }
    }

    #[tokio::test]
    async fn large_commits_go_into_one_pack_that_git_accepts() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("tmp")).unwrap();
        let store = RepoStore::new(tmp.path()).unwrap();
        let repo = store
            .create(RepoType::Model, "alice", "many", meta(), "alice")
            .await
            .unwrap();
        let reader = store.reader(&repo);
        let head = reader.resolve("main").unwrap().unwrap().commit;
        let changes: Vec<Change> = (0..200)
            .map(|i| Change::PutLfs {
                path: format!("d{}/f{i}.bin", i % 7),
                sha256: format!("{i:064x}"),
                size: i,
            })
            .collect();
        let meta = CommitMeta {
            author: "alice".into(),
            message: "many\n".into(),
        };
        let c = reader.build_commit(Some(&head), &changes, &meta).unwrap();
        repo.git
            .update_ref("refs/heads/main", Some(&head), Some(&c))
            .unwrap();
        let objects = repo.git.dir().join("objects");
        let packs: Vec<String> = std::fs::read_dir(objects.join("pack"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(packs.len(), 2, "{packs:?}"); // one .pack, one .idx
        // Everything reads back through the pack reader.
        let commit = reader.commit(&c).unwrap();
        let files = reader.flatten(&commit.tree).unwrap();
        assert_eq!(files.len(), 201); // + .gitattributes
        let e = reader.entry(&commit.tree, "d3/f10.bin").unwrap().unwrap();
        assert_eq!(reader.blob_info(&e.oid).unwrap().lfs.unwrap().size, 10);
        // A second commit reusing the trees writes nothing new for them.
        let again = reader.build_commit(Some(&c), &changes, &meta).unwrap();
        assert_ne!(again, c);
        let out = git(repo.git.dir(), &["fsck", "--strict", "--no-dangling"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ls = git(repo.git.dir(), &["ls-tree", "-r", "--name-only", &c]);
        assert_eq!(String::from_utf8_lossy(&ls.stdout).lines().count(), 201);
    }

    #[tokio::test]
    async fn create_commit_log_and_fsck() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("tmp")).unwrap();
        let store = RepoStore::new(tmp.path()).unwrap();
        let repo = store
            .create(RepoType::Model, "alice", "r", meta(), "alice")
            .await
            .unwrap();
        assert!(matches!(
            store
                .create(RepoType::Model, "Alice", "R", meta(), "alice")
                .await,
            Err(StoreError::Exists)
        ));
        let found = store
            .find(RepoType::Model, "ALICE", "r")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id(), "alice/r");
        let reader = store.reader(&repo);
        let head = reader.resolve("main").unwrap().unwrap().commit;
        let blob = repo.git.write(Kind::Blob, b"hello").unwrap();
        let changes = vec![
            Change::Put {
                path: "dir/a.txt".into(),
                oid: blob.clone(),
            },
            Change::PutLfs {
                path: "big.dat".into(),
                sha256: "b".repeat(64),
                size: 10,
            },
        ];
        let meta = CommitMeta {
            author: "alice".into(),
            message: "add\n\nbody".into(),
        };
        let c = reader.build_commit(Some(&head), &changes, &meta).unwrap();
        repo.git
            .update_ref("refs/heads/main", Some(&head), Some(&c))
            .unwrap();
        let commit = reader.commit(&c).unwrap();
        let attrs = reader.file_text(&commit.tree, ".gitattributes").unwrap();
        assert!(attrs.ends_with("big.dat filter=lfs diff=lfs merge=lfs -text\n"));
        let e = reader.entry(&commit.tree, "dir/a.txt").unwrap().unwrap();
        assert_eq!(e.oid, blob);
        let info = reader
            .blob_info(&reader.entry(&commit.tree, "big.dat").unwrap().unwrap().oid)
            .unwrap();
        assert_eq!(info.lfs.unwrap().size, 10);
        let (log, more) = reader.log(&c, 0, 10).unwrap();
        assert_eq!(log.len(), 2);
        assert!(!more);
        assert_eq!(log[0].0, c);
        let lc = reader
            .last_commits(&c, &[".gitattributes".into(), "dir".into()])
            .unwrap();
        assert_eq!(lc["dir"].0, c);
        // Deleting a missing file fails and changes nothing.
        let err = reader.build_commit(
            Some(&c),
            &[Change::Delete {
                path: "nope".into(),
            }],
            &meta,
        );
        assert!(matches!(err, Err(ApplyError::Missing(_))));
        let err = reader.build_commit(
            Some(&c),
            &[Change::Put {
                path: "dir/a.txt/x".into(),
                oid: blob,
            }],
            &meta,
        );
        assert!(matches!(err, Err(ApplyError::Conflict(_))));
        let out = git(repo.git.dir(), &["fsck", "--strict"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
