//! [`HfFileSystem`]: the read side (listings, info, glob, find, walk, du, ranged reads) and the
//! per-revision listing cache.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use futures::StreamExt;
use futures::TryStreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use hub_core::types::{BlobLfsInfo, LastCommitInfo, RepoEntry};
use hub_core::{ErrorKind, HfApi, HubClient, RepoId, RepoType};

use crate::error::{FsError, Result};
use crate::glob::{Glob, has_magic};
use crate::path::{self, RepoAnswer, RepoOracle, ResolvedPath};

/// Whether an entry is a file or a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A file.
    File,
    /// A directory (a git tree, or the repository root).
    Directory,
}

impl EntryKind {
    /// `file` or `directory`, as fsspec's `type` field.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Directory => "directory",
        }
    }
}

/// One entry of a listing: fsspec's info dictionary as a struct.
#[derive(Debug, Clone, PartialEq)]
pub struct FsEntry {
    /// Full path as the file system names it (`ns/repo[@rev]/dir/file`).
    pub name: String,
    /// Size in bytes (0 for directories; the real size for LFS files).
    pub size: u64,
    /// File or directory.
    pub kind: EntryKind,
    /// Git blob id (files only).
    pub blob_id: Option<String>,
    /// Git tree id (directories only; `None` for the root).
    pub tree_id: Option<String>,
    /// LFS details (LFS files only).
    pub lfs: Option<BlobLfsInfo>,
    /// Last commit touching the entry; only filled by calls that ask for details.
    pub last_commit: Option<LastCommitInfo>,
}

impl FsEntry {
    fn from_repo_entry(root: &str, e: &RepoEntry) -> FsEntry {
        match e {
            RepoEntry::File(f) => FsEntry {
                name: format!("{root}/{}", f.path),
                size: f.size,
                kind: EntryKind::File,
                blob_id: Some(f.blob_id.clone()),
                tree_id: None,
                lfs: f.lfs.clone(),
                last_commit: f.last_commit.clone(),
            },
            RepoEntry::Folder(d) => FsEntry {
                name: format!("{root}/{}", d.path),
                size: 0,
                kind: EntryKind::Directory,
                blob_id: None,
                tree_id: Some(d.tree_id.clone()),
                lfs: None,
                last_commit: d.last_commit.clone(),
            },
        }
    }

    /// Whether this is a file.
    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::File
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Directory
    }
}

fn last_commit_of(e: &RepoEntry) -> Option<&LastCommitInfo> {
    match e {
        RepoEntry::File(f) => f.last_commit.as_ref(),
        RepoEntry::Folder(d) => d.last_commit.as_ref(),
    }
}

/// A cached directory: repository type, id, revision, then the folder's path in the repo.
type DirKey = (RepoType, String, String, String);
type RepoKey = (RepoType, String, Option<String>);

#[derive(Debug, Default)]
struct State {
    repos: HashMap<RepoKey, RepoAnswer>,
    dirs: HashMap<DirKey, Vec<RepoEntry>>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: HubClient,
    pub(crate) api: HfApi,
    state: Mutex<State>,
}

/// The Hub as a file system of `hf://` paths, Python's `HfFileSystem` for Rust.
///
/// Cheap to clone: clones share the client and the caches. See the [crate docs](crate) for
/// the path syntax and the caching rules.
#[derive(Debug, Clone)]
pub struct HfFileSystem {
    pub(crate) inner: Arc<Inner>,
}

fn dir_key(rp: &ResolvedPath, dir: &str) -> DirKey {
    (
        rp.repo_type,
        rp.repo_id.to_string(),
        rp.revision.clone(),
        dir.to_owned(),
    )
}

fn parent_in_repo(p: &str) -> &str {
    p.rsplit_once('/').map(|(a, _)| a).unwrap_or("")
}

impl RepoOracle for Inner {
    async fn repo_exists(
        &self,
        repo_type: RepoType,
        repo_id: &str,
        revision: Option<&str>,
    ) -> Result<RepoAnswer> {
        let key = (repo_type, repo_id.to_owned(), revision.map(str::to_owned));
        if let Some(a) = self.lock().repos.get(&key) {
            return Ok(*a);
        }
        let answer = match RepoId::new(repo_id) {
            Err(_) => RepoAnswer::InvalidRepoId,
            Ok(id) => {
                let mut b = self.api.repo_info(&id).repo_type(repo_type);
                if let Some(r) = revision {
                    b = b.revision(r);
                }
                match b.send().await {
                    Ok(_) => RepoAnswer::Exists,
                    // Python's GatedRepoError is a RepositoryNotFoundError.
                    Err(e)
                        if matches!(
                            e.kind(),
                            ErrorKind::RepositoryNotFound | ErrorKind::GatedRepo
                        ) =>
                    {
                        RepoAnswer::RepoNotFound
                    }
                    Err(e) if e.kind() == ErrorKind::RevisionNotFound => {
                        RepoAnswer::RevisionNotFound
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        // As Python, an answer about a revision also says whether the repository exists.
        let mut st = self.lock();
        st.repos.insert(key, answer);
        let repo_level = match answer {
            RepoAnswer::RevisionNotFound => RepoAnswer::Exists,
            a => a,
        };
        st.repos
            .insert((repo_type, repo_id.to_owned(), None), repo_level);
        Ok(answer)
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind; keep using them.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl HfFileSystem {
    /// A file system over `client` (its endpoint and token).
    pub fn new(client: HubClient) -> HfFileSystem {
        let api = client.api();
        HfFileSystem {
            inner: Arc::new(Inner {
                client,
                api,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The client requests go through.
    pub fn client(&self) -> &HubClient {
        &self.inner.client
    }

    /// Resolves `path` to repository, revision and path in repository (Python's
    /// `resolve_path`); `revision` must agree with an `@revision` in the path if both are given.
    pub async fn resolve_path(&self, path: &str, revision: Option<&str>) -> Result<ResolvedPath> {
        path::resolve_path(&*self.inner, path, revision).await
    }

    /// Forgets every cached listing and repository answer.
    pub fn invalidate_cache(&self) {
        let mut st = self.inner.lock();
        st.dirs.clear();
        st.repos.clear();
    }

    /// Forgets the cached listings of one repository revision (done after each of our writes).
    pub(crate) fn invalidate_revision(
        &self,
        repo_type: RepoType,
        repo_id: &RepoId,
        revision: &str,
    ) {
        let id = repo_id.to_string();
        self.inner
            .lock()
            .dirs
            .retain(|(t, i, r, _), _| !(*t == repo_type && *i == id && r == revision));
    }

    /// Direct children of a folder, from the cache unless `refresh` or details are missing.
    async fn ls_tree(
        &self,
        rp: &ResolvedPath,
        expand: bool,
        refresh: bool,
    ) -> Result<Vec<RepoEntry>> {
        let key = dir_key(rp, &rp.path_in_repo);
        let cached = self.inner.lock().dirs.get(&key).cloned();
        if let Some(v) = cached
            && !refresh
            && (!expand || v.iter().all(|e| last_commit_of(e).is_some()))
        {
            return Ok(v);
        }
        let entries: Vec<RepoEntry> = self.tree_builder(rp, expand).send().try_collect().await?;
        self.inner.lock().dirs.insert(key, entries.clone());
        Ok(entries)
    }

    fn tree_builder(&self, rp: &ResolvedPath, expand: bool) -> hub_core::api::tree::TreeBuilder {
        self.inner
            .api
            .list_repo_tree(&rp.repo_id)
            .repo_type(rp.repo_type)
            .revision(rp.revision.clone())
            .path_in_repo(rp.path_in_repo.clone())
            .expand(expand)
    }

    /// Every descendant of a folder: assembled from cached folders when all are there, else
    /// one recursive listing whose answer fills the cache for every folder below.
    async fn ls_tree_recursive(
        &self,
        rp: &ResolvedPath,
        expand: bool,
        refresh: bool,
    ) -> Result<Vec<RepoEntry>> {
        if !refresh {
            let st = self.inner.lock();
            let mut out = Vec::new();
            let mut queue = vec![rp.path_in_repo.clone()];
            let mut complete = true;
            while let Some(dir) = queue.pop() {
                match st.dirs.get(&dir_key(rp, &dir)) {
                    Some(v) if !expand || v.iter().all(|e| last_commit_of(e).is_some()) => {
                        for e in v {
                            if let RepoEntry::Folder(f) = e {
                                queue.push(f.path.clone());
                            }
                            out.push(e.clone());
                        }
                    }
                    _ => {
                        complete = false;
                        break;
                    }
                }
            }
            if complete {
                return Ok(out);
            }
        }
        let entries: Vec<RepoEntry> = self
            .tree_builder(rp, expand)
            .recursive(true)
            .send()
            .try_collect()
            .await?;
        let mut by_dir: HashMap<String, Vec<RepoEntry>> = HashMap::new();
        by_dir.insert(rp.path_in_repo.clone(), Vec::new());
        for e in &entries {
            if let RepoEntry::Folder(f) = e {
                by_dir.entry(f.path.clone()).or_default();
            }
            by_dir
                .entry(parent_in_repo(e.path()).to_owned())
                .or_default()
                .push(e.clone());
        }
        let mut st = self.inner.lock();
        for (dir, v) in by_dir {
            st.dirs.insert(dir_key(rp, &dir), v);
        }
        Ok(entries)
    }

    /// Lists a directory (or gives the one entry of a file), as Python's `ls`.
    pub fn ls(&self, path: impl Into<String>) -> LsBuilder {
        LsBuilder {
            fs: self.clone(),
            path: path.into(),
            detail: true,
            refresh: false,
            revision: None,
        }
    }

    async fn ls_impl(
        &self,
        path: &str,
        revision: Option<&str>,
        expand: bool,
        refresh: bool,
    ) -> Result<Vec<FsEntry>> {
        let rp = self.resolve_path(path, revision).await?;
        let name = rp.unresolve();
        let root = rp.root();
        match self.ls_tree(&rp, expand, refresh).await {
            Ok(v) => Ok(v
                .iter()
                .map(|e| FsEntry::from_repo_entry(&root, e))
                .collect()),
            Err(FsError::Hub(e)) if e.kind() == ErrorKind::EntryNotFound => {
                if rp.path_in_repo.is_empty() {
                    return Err(FsError::path_not_found(&name));
                }
                let parent = rp.with_path(parent_in_repo(&rp.path_in_repo));
                let v = match self.ls_tree(&parent, expand, refresh).await {
                    Err(FsError::Hub(e)) if e.kind() == ErrorKind::EntryNotFound => {
                        return Err(FsError::path_not_found(&name));
                    }
                    other => other?,
                };
                let out: Vec<FsEntry> = v
                    .iter()
                    .map(|e| FsEntry::from_repo_entry(&root, e))
                    .filter(|e| e.name == name)
                    .collect();
                if out.is_empty() {
                    return Err(FsError::path_not_found(&name));
                }
                Ok(out)
            }
            Err(e) => Err(e),
        }
    }

    /// Details of one path (Python's `info`); `expand` adds `last_commit` (slower).
    pub async fn info(&self, path: &str, expand: bool) -> Result<FsEntry> {
        self.info_impl(path, None, expand, false).await
    }

    async fn info_impl(
        &self,
        path: &str,
        revision: Option<&str>,
        expand: bool,
        refresh: bool,
    ) -> Result<FsEntry> {
        let rp = self.resolve_path(path, revision).await?;
        let name = rp.unresolve();
        if rp.path_in_repo.is_empty() {
            let mut out = FsEntry {
                name,
                size: 0,
                kind: EntryKind::Directory,
                blob_id: None,
                tree_id: None,
                lfs: None,
                last_commit: None,
            };
            if expand {
                // Python takes the *last* item of the history (the first commit), kept as is.
                let commits: Vec<_> = self
                    .inner
                    .api
                    .list_repo_commits(&rp.repo_id)
                    .repo_type(rp.repo_type)
                    .revision(rp.revision.clone())
                    .send()
                    .try_collect()
                    .await?;
                out.last_commit = commits.last().map(|c| LastCommitInfo {
                    oid: c.commit_id.clone(),
                    title: c.title.clone(),
                    date: c.created_at,
                });
            }
            return Ok(out);
        }
        let root = rp.root();
        let parent = rp.with_path(parent_in_repo(&rp.path_in_repo));
        let parent_key = dir_key(&rp, &parent.path_in_repo);
        let cached = self.inner.lock().dirs.contains_key(&parent_key);
        if !expand && !cached {
            // One cheap listing of the parent answers this and the sibling questions to come.
            self.ls_impl(&parent.unresolve(), None, false, false)
                .await?;
        }
        let mut out = None;
        if let Some(v) = self.inner.lock().dirs.get(&parent_key) {
            let found = v.iter().find(|e| e.path() == rp.path_in_repo);
            match found {
                Some(e) => out = Some(FsEntry::from_repo_entry(&root, e)),
                None => return Err(FsError::path_not_found(&name)),
            }
        }
        let need_fetch = refresh
            || match &out {
                None => true,
                Some(e) => expand && e.last_commit.is_none(),
            };
        if need_fetch {
            let infos = self
                .inner
                .api
                .get_paths_info(&rp.repo_id, [rp.path_in_repo.clone()])
                .repo_type(rp.repo_type)
                .revision(rp.revision.clone())
                .expand(expand)
                .send()
                .await?;
            let Some(first) = infos.first() else {
                return Err(FsError::path_not_found(&name));
            };
            out = Some(FsEntry::from_repo_entry(&root, first));
        }
        let mut out = out.ok_or_else(|| FsError::path_not_found(&name))?;
        if !expand {
            out.last_commit = None;
        }
        Ok(out)
    }

    /// Whether `path` exists. Unlike Python, errors other than "not found" (network, auth)
    /// are returned rather than read as `false`.
    pub async fn exists(&self, path: &str) -> Result<bool> {
        match self.info(path, false).await {
            Ok(_) => Ok(true),
            Err(e) if absent(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `path` is a directory (see [`HfFileSystem::exists`] for errors).
    pub async fn isdir(&self, path: &str) -> Result<bool> {
        match self.info(path, false).await {
            Ok(e) => Ok(e.is_dir()),
            Err(e) if absent(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `path` is a file (see [`HfFileSystem::exists`] for errors).
    pub async fn isfile(&self, path: &str) -> Result<bool> {
        match self.info(path, false).await {
            Ok(e) => Ok(e.is_file()),
            Err(e) if absent(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Date of the last commit touching `path` (Python's `modified`).
    pub async fn modified(&self, path: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        Ok(self
            .info(path, true)
            .await?
            .last_commit
            .and_then(|c| c.date))
    }

    /// Every file below `path` (Python's `find`), sorted by name.
    pub fn find(&self, path: impl Into<String>) -> FindBuilder {
        FindBuilder {
            fs: self.clone(),
            path: path.into(),
            maxdepth: None,
            withdirs: false,
            detail: false,
        }
    }

    fn find_impl<'a>(
        &'a self,
        path: &'a str,
        maxdepth: Option<usize>,
        withdirs: bool,
        expand: bool,
    ) -> BoxFuture<'a, Result<BTreeMap<String, FsEntry>>> {
        Box::pin(async move {
            // Python tests `if maxdepth:`, so 0 means "no limit" there too.
            if let Some(d) = maxdepth.filter(|d| *d > 0) {
                return self.find_walking(path, d, withdirs, expand).await;
            }
            let rp = self.resolve_path(path, None).await?;
            let name = rp.unresolve();
            let root = rp.root();
            let mut out = BTreeMap::new();
            match self.ls_tree_recursive(&rp, expand, false).await {
                Err(FsError::Hub(e)) if e.kind() == ErrorKind::EntryNotFound => {
                    let info = self.info_impl(&name, None, expand, false).await?;
                    if info.is_file() {
                        out.insert(name, info);
                    }
                }
                Err(e) => return Err(e),
                Ok(v) => {
                    if withdirs {
                        let info = self.info_impl(&name, None, expand, false).await?;
                        if info.is_dir() {
                            out.insert(info.name.clone(), info);
                        }
                    }
                    for e in &v {
                        let entry = FsEntry::from_repo_entry(&root, e);
                        if withdirs || entry.is_file() {
                            out.insert(entry.name.clone(), entry);
                        }
                    }
                }
            }
            Ok(out)
        })
    }

    /// fsspec's generic `find`, used when a depth limit is given: a walk.
    async fn find_walking(
        &self,
        path: &str,
        maxdepth: usize,
        withdirs: bool,
        expand: bool,
    ) -> Result<BTreeMap<String, FsEntry>> {
        let path = path::strip_protocol(path);
        let mut out = BTreeMap::new();
        if withdirs && !path.is_empty() && self.isdir(path).await? {
            out.insert(path.to_owned(), self.info(path, expand).await?);
        }
        for level in self.walk_impl(path, Some(maxdepth), expand).await? {
            for e in level
                .files
                .into_iter()
                .chain(if withdirs { level.dirs } else { Vec::new() })
            {
                out.insert(e.name.clone(), e);
            }
        }
        if out.is_empty() && self.isfile(path).await? {
            let info = self.info(path, expand).await?;
            out.insert(path.to_owned(), info);
        }
        Ok(out)
    }

    /// Walks the tree below `path` top-down (Python's `walk`).
    pub fn walk(&self, path: impl Into<String>) -> WalkBuilder {
        WalkBuilder {
            fs: self.clone(),
            path: path.into(),
            maxdepth: None,
        }
    }

    async fn walk_impl(
        &self,
        path: &str,
        maxdepth: Option<usize>,
        expand: bool,
    ) -> Result<Vec<WalkLevel>> {
        self.walk_stream(path.to_owned(), maxdepth, expand)
            .try_collect()
            .await
    }

    /// The walk as a lazy stream: one folder listing per level, fetched when polled.
    fn walk_stream(
        &self,
        path: String,
        maxdepth: Option<usize>,
        expand: bool,
    ) -> BoxStream<'static, Result<WalkLevel>> {
        type Stack = Vec<(String, Option<usize>)>;
        let fs = self.clone();
        // State: None before the start path is resolved, then the stack of folders to visit
        // (depth-first, parents before children, children in listing order, as fsspec).
        let init: Option<Stack> = None;
        futures::stream::try_unfold(init, move |state| {
            let fs = fs.clone();
            let path = path.clone();
            async move {
                let mut stack = match state {
                    Some(s) => s,
                    None => {
                        if maxdepth == Some(0) {
                            return Err(FsError::InvalidArgument(
                                "maxdepth must be at least 1".to_owned(),
                            ));
                        }
                        let start = fs.resolve_path(&path, None).await?.unresolve();
                        vec![(start, maxdepth)]
                    }
                };
                while let Some((dir, depth)) = stack.pop() {
                    let listing = match fs.ls_impl(&dir, None, expand, false).await {
                        Ok(v) => v,
                        // fsspec's on_error="omit": an unlistable folder yields nothing.
                        Err(e) if absent(&e) => continue,
                        Err(e) => return Err(e),
                    };
                    let (dirs, files): (Vec<FsEntry>, Vec<FsEntry>) = listing
                        .into_iter()
                        .partition(|i| i.is_dir() && i.name.trim_end_matches('/') != dir);
                    let next = depth.map(|d| d - 1);
                    if next != Some(0) {
                        for d in dirs.iter().rev() {
                            stack.push((d.name.clone(), next));
                        }
                    }
                    let level = WalkLevel {
                        path: dir,
                        dirs,
                        files,
                    };
                    return Ok(Some((level, Some(stack))));
                }
                Ok(None)
            }
        })
        .boxed()
    }

    /// Total size of the files below `path` (Python's `du`).
    pub fn du(&self, path: impl Into<String>) -> DuBuilder {
        DuBuilder {
            fs: self.clone(),
            path: path.into(),
            maxdepth: None,
            withdirs: false,
        }
    }

    /// Paths matching an fsspec glob pattern (`*`, `?`, `[...]`, `**`), sorted.
    pub fn glob(&self, pattern: impl Into<String>) -> GlobBuilder {
        GlobBuilder {
            fs: self.clone(),
            pattern: pattern.into(),
            maxdepth: None,
            detail: false,
        }
    }

    async fn glob_impl(
        &self,
        pattern: &str,
        maxdepth: Option<usize>,
        expand: bool,
    ) -> Result<BTreeMap<String, FsEntry>> {
        if maxdepth == Some(0) {
            return Err(FsError::InvalidArgument(
                "maxdepth must be at least 1".to_owned(),
            ));
        }
        // Python resolves first, which also drops a trailing `/`.
        let path = self.resolve_path(pattern, None).await?.unresolve();
        let append_slash = path.ends_with("/**");
        let mut out = BTreeMap::new();
        if !has_magic(&path) {
            if self.exists(&path).await? {
                let info = self.info(&path, expand).await?;
                out.insert(path.clone(), info);
            }
            return Ok(out);
        }
        let min_idx = path.find(['*', '?', '[']).unwrap_or(path.len());
        let (root, mut depth) = match path[..min_idx].rfind('/') {
            Some(i) => (&path[..=i], path[i + 1..].matches('/').count() + 1),
            None => ("", path[min_idx + 1..].matches('/').count() + 1),
        };
        let depth = if let Some(i) = path.find("**") {
            match maxdepth {
                Some(m) => {
                    let ds = path[i..].matches('/').count() + 1;
                    depth = depth - ds + m;
                    Some(depth)
                }
                None => None,
            }
        } else {
            Some(depth)
        };
        let glob = Glob::new(&path).map_err(FsError::InvalidArgument)?;
        let all = self.find_impl(root, depth, true, expand).await?;
        for (p, info) in all {
            let candidate = if append_slash && info.is_dir() {
                format!("{p}/")
            } else {
                p.clone()
            };
            if glob.matches(&candidate) {
                out.insert(p, info);
            }
        }
        Ok(out)
    }

    /// The bytes of a file, or of `[start, end)` of it (Python's `cat_file`): negative
    /// offsets count from the end, as Python slices do.
    pub async fn cat_file(
        &self,
        path: &str,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Bytes> {
        let rp = self.resolve_path(path, None).await?;
        let info = self.info(path, false).await?;
        if !info.is_file() {
            return Err(FsError::WrongKind {
                path: path.to_owned(),
                message: "is a directory; give a file path (use `find` to list the files in it)"
                    .to_owned(),
            });
        }
        let size = i64::try_from(info.size).unwrap_or(i64::MAX);
        let loc = match start {
            None => 0,
            Some(s) if s >= 0 => s,
            Some(s) => (size + s).max(0),
        };
        let length = match end {
            None => size - loc,
            Some(e) => {
                let e = if e < 0 { size + e } else { e };
                // fsspec reads to the end when asked for a negative length.
                if e - loc < 0 { size - loc } else { e - loc }
            }
        };
        let to = (loc + length).min(size);
        if to <= loc {
            return Ok(Bytes::new());
        }
        crate::file::get_range(&self.inner.client, &rp, loc as u64, to as u64).await
    }

    /// The whole content of a file.
    pub async fn cat(&self, path: &str) -> Result<Bytes> {
        self.cat_file(path, None, None).await
    }
}

/// A missing path or a path naming no repository: what `exists` reads as `false`.
fn absent(e: &FsError) -> bool {
    matches!(e, FsError::NotFound { .. } | FsError::RepoListing(_))
}

/// One level of [`HfFileSystem::walk`].
#[derive(Debug, Clone, PartialEq)]
pub struct WalkLevel {
    /// The folder.
    pub path: String,
    /// Its sub-folders.
    pub dirs: Vec<FsEntry>,
    /// Its files.
    pub files: Vec<FsEntry>,
}

macro_rules! into_future {
    ($builder:ty => $out:ty) => {
        impl std::future::IntoFuture for $builder {
            type Output = Result<$out>;
            type IntoFuture = BoxFuture<'static, Result<$out>>;
            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    };
}
pub(crate) use into_future;

/// Builder of [`HfFileSystem::ls`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct LsBuilder {
    fs: HfFileSystem,
    path: String,
    detail: bool,
    refresh: bool,
    revision: Option<String>,
}

impl LsBuilder {
    /// Ask for `last_commit` of every entry (default true, as Python's `detail=True`).
    pub fn detail(mut self, yes: bool) -> Self {
        self.detail = yes;
        self
    }
    /// Ignore the cache (default false).
    pub fn refresh(mut self, yes: bool) -> Self {
        self.refresh = yes;
        self
    }
    /// Revision, if not given with `@` in the path.
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }
    /// The entries.
    pub fn send(self) -> BoxFuture<'static, Result<Vec<FsEntry>>> {
        Box::pin(async move {
            self.fs
                .ls_impl(
                    &self.path,
                    self.revision.as_deref(),
                    self.detail,
                    self.refresh,
                )
                .await
        })
    }
    /// Only the names (Python's `detail=False`; no details are fetched).
    pub fn names(self) -> BoxFuture<'static, Result<Vec<String>>> {
        let b = self.detail(false);
        Box::pin(async move { Ok(b.send().await?.into_iter().map(|e| e.name).collect()) })
    }
}
into_future!(LsBuilder => Vec<FsEntry>);

/// Builder of [`HfFileSystem::find`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct FindBuilder {
    fs: HfFileSystem,
    path: String,
    maxdepth: Option<usize>,
    withdirs: bool,
    detail: bool,
}

impl FindBuilder {
    /// Levels to descend (default unlimited).
    pub fn maxdepth(mut self, depth: usize) -> Self {
        self.maxdepth = Some(depth);
        self
    }
    /// Include directories, and the folder itself (default false).
    pub fn withdirs(mut self, yes: bool) -> Self {
        self.withdirs = yes;
        self
    }
    /// Fetch `last_commit` of each entry (default false).
    pub fn detail(mut self, yes: bool) -> Self {
        self.detail = yes;
        self
    }
    /// Entries by name, sorted.
    pub fn send(self) -> BoxFuture<'static, Result<BTreeMap<String, FsEntry>>> {
        Box::pin(async move {
            self.fs
                .find_impl(&self.path, self.maxdepth, self.withdirs, self.detail)
                .await
        })
    }
    /// Only the names, sorted.
    pub fn names(self) -> BoxFuture<'static, Result<Vec<String>>> {
        Box::pin(async move { Ok(self.send().await?.into_keys().collect()) })
    }
}
into_future!(FindBuilder => BTreeMap<String, FsEntry>);

/// Builder of [`HfFileSystem::glob`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct GlobBuilder {
    fs: HfFileSystem,
    pattern: String,
    maxdepth: Option<usize>,
    detail: bool,
}

impl GlobBuilder {
    /// Depth limit for `**` (at least 1).
    pub fn maxdepth(mut self, depth: usize) -> Self {
        self.maxdepth = Some(depth);
        self
    }
    /// Fetch `last_commit` of each entry (default false).
    pub fn detail(mut self, yes: bool) -> Self {
        self.detail = yes;
        self
    }
    /// Matching entries by name, sorted.
    pub fn send(self) -> BoxFuture<'static, Result<BTreeMap<String, FsEntry>>> {
        Box::pin(async move {
            self.fs
                .glob_impl(&self.pattern, self.maxdepth, self.detail)
                .await
        })
    }
    /// Only the names, sorted.
    pub fn names(self) -> BoxFuture<'static, Result<Vec<String>>> {
        Box::pin(async move { Ok(self.send().await?.into_keys().collect()) })
    }
}
into_future!(GlobBuilder => BTreeMap<String, FsEntry>);

/// Builder of [`HfFileSystem::walk`].
#[must_use = "a builder does nothing until `.send()` is polled"]
#[derive(Debug, Clone)]
pub struct WalkBuilder {
    fs: HfFileSystem,
    path: String,
    maxdepth: Option<usize>,
}

impl WalkBuilder {
    /// Levels to descend (at least 1; default unlimited).
    pub fn maxdepth(mut self, depth: usize) -> Self {
        self.maxdepth = Some(depth);
        self
    }
    /// The levels, parents first, as a lazy stream (one folder listing per level).
    pub fn send(self) -> BoxStream<'static, Result<WalkLevel>> {
        self.fs.walk_stream(self.path, self.maxdepth, false)
    }
    /// All levels, collected.
    pub fn collect(self) -> BoxFuture<'static, Result<Vec<WalkLevel>>> {
        Box::pin(self.send().try_collect())
    }
}

/// Builder of [`HfFileSystem::du`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct DuBuilder {
    fs: HfFileSystem,
    path: String,
    maxdepth: Option<usize>,
    withdirs: bool,
}

impl DuBuilder {
    /// Levels to descend (default unlimited).
    pub fn maxdepth(mut self, depth: usize) -> Self {
        self.maxdepth = Some(depth);
        self
    }
    /// Count directories too (they weigh 0).
    pub fn withdirs(mut self, yes: bool) -> Self {
        self.withdirs = yes;
        self
    }
    /// Size of every path (Python's `total=False`).
    pub fn sizes(self) -> BoxFuture<'static, Result<BTreeMap<String, u64>>> {
        Box::pin(async move {
            let mut out = BTreeMap::new();
            if self.withdirs && self.fs.isdir(&self.path).await? {
                let info = self.fs.info(&self.path, false).await?;
                out.insert(info.name, info.size);
            }
            let found = self
                .fs
                .find_impl(&self.path, self.maxdepth, self.withdirs, false)
                .await?;
            for (_, e) in found {
                out.insert(e.name, e.size);
            }
            Ok(out)
        })
    }
    /// The total (Python's default `total=True`).
    pub fn send(self) -> BoxFuture<'static, Result<u64>> {
        Box::pin(async move { Ok(self.sizes().await?.values().sum()) })
    }
}
into_future!(DuBuilder => u64);
