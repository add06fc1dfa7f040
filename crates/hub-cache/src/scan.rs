//! `scan_cache_dir` and cache deletion, with Python's figures, conditions and messages.
//!
//! The walk uses `walkdir` inside `spawn_blocking`, reads each snapshot entry's type from the
//! directory listing, resolves symlinks lexically (`readlink` + join, no `realpath` per file)
//! and stats each blob once however many revisions share it, so a 100k-file cache scans quickly.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use hub_core::RepoType;

use crate::error::{Error, Result};

/// A problem found while scanning one cache entry; the entry is skipped (Python's
/// `CorruptedCacheException`, with the same messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptedCache {
    /// The path the problem is about.
    pub path: PathBuf,
    /// Python's message.
    pub message: String,
}

impl fmt::Display for CorruptedCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CorruptedCache {}

/// One file of a cached revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedFileInfo {
    /// File name (last component).
    pub file_name: String,
    /// Path in the snapshot (`snapshots/<commit>/<path>`).
    pub file_path: PathBuf,
    /// The blob the file points to.
    pub blob_path: PathBuf,
    /// Blob size in bytes.
    pub size_on_disk: u64,
    /// Blob access time.
    pub blob_last_accessed: SystemTime,
    /// Blob modification time.
    pub blob_last_modified: SystemTime,
}

impl CachedFileInfo {
    /// Size formatted as Python does (`13.5M`).
    pub fn size_on_disk_str(&self) -> String {
        format_size(self.size_on_disk)
    }
}

/// One cached revision (snapshot) of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedRevisionInfo {
    /// The commit (snapshot folder name).
    pub commit_hash: String,
    /// `snapshots/<commit>`.
    pub snapshot_path: PathBuf,
    /// Sum of the sizes of the distinct blobs of this revision.
    pub size_on_disk: u64,
    /// Files of the snapshot.
    pub files: Vec<CachedFileInfo>,
    /// Refs pointing at this commit (`main`, `refs/pr/1`).
    pub refs: BTreeSet<String>,
    /// Latest blob mtime, or the snapshot folder's mtime when empty.
    pub last_modified: SystemTime,
}

impl CachedRevisionInfo {
    /// Number of files.
    pub fn nb_files(&self) -> usize {
        self.files.len()
    }
    /// Size formatted as Python does.
    pub fn size_on_disk_str(&self) -> String {
        format_size(self.size_on_disk)
    }
}

/// One cached repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedRepoInfo {
    /// `namespace/name`.
    pub repo_id: String,
    /// Model, dataset or Space.
    pub repo_type: RepoType,
    /// `<cache>/<repo_folder>`.
    pub repo_path: PathBuf,
    /// Sum of the sizes of the distinct blobs referenced by snapshots.
    pub size_on_disk: u64,
    /// Number of distinct blobs referenced by snapshots.
    pub nb_files: usize,
    /// Latest blob atime (or the repo folder's).
    pub last_accessed: SystemTime,
    /// Latest blob mtime (or the repo folder's).
    pub last_modified: SystemTime,
    /// Cached revisions, sorted by commit.
    pub revisions: Vec<CachedRevisionInfo>,
}

impl CachedRepoInfo {
    /// Size formatted as Python does.
    pub fn size_on_disk_str(&self) -> String {
        format_size(self.size_on_disk)
    }
    /// Ref name → revision.
    pub fn refs(&self) -> BTreeMap<&str, &CachedRevisionInfo> {
        self.revisions
            .iter()
            .flat_map(|r| r.refs.iter().map(move |name| (name.as_str(), r)))
            .collect()
    }
}

/// The result of [`scan_cache_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HFCacheInfo {
    /// Sum of the repository sizes.
    pub size_on_disk: u64,
    /// Valid repositories, sorted by path.
    pub repos: Vec<CachedRepoInfo>,
    /// Entries that were skipped, with why.
    pub warnings: Vec<CorruptedCache>,
}

/// Python's `_format_size` (re-exported from hub-core, shared with hub-upload's report).
pub use hub_core::units::format_size;

/// Scans `cache_dir` (off the executor). Fails if it does not exist or is a file.
pub async fn scan_cache_dir(cache_dir: impl Into<PathBuf>) -> Result<HFCacheInfo> {
    let dir = cache_dir.into();
    tokio::task::spawn_blocking(move || scan_cache_dir_blocking(&dir))
        .await
        .map_err(|e| Error::io("scan task", std::io::Error::other(e)))?
}

/// Synchronous [`scan_cache_dir`].
pub fn scan_cache_dir_blocking(cache_dir: &Path) -> Result<HFCacheInfo> {
    let cache_dir = match std::fs::canonicalize(cache_dir) {
        Ok(p) => p,
        Err(_) => return Err(Error::CacheNotFound(cache_dir.to_path_buf())),
    };
    if cache_dir.is_file() {
        return Err(hub_core::Error::InvalidArgument(format!(
            "Scan cache expects a directory but found a file: {}. Please use `cache_dir` argument or set `HF_HUB_CACHE` environment variable.",
            cache_dir.display()
        )));
    }
    let entries = std::fs::read_dir(&cache_dir)
        .map_err(|e| Error::io(format!("listing {}", cache_dir.display()), e))?;
    let mut repos = Vec::new();
    let mut warnings = Vec::new();
    for entry in entries.flatten() {
        // `.locks` holds lock files; `CACHEDIR.TAG` and OS helper files are written by newer
        // Python clients and other tools (skipped as huggingface_hub 1.x/2.x does).
        let name = entry.file_name();
        if name == ".locks" || name == "CACHEDIR.TAG" || is_os_helper(&name) {
            continue;
        }
        match scan_repo(&entry.path()) {
            Ok(r) => repos.push(r),
            Err(w) => warnings.push(w),
        }
    }
    repos.sort_by(|a, b| a.repo_path.cmp(&b.repo_path));
    Ok(HFCacheInfo {
        size_on_disk: repos.iter().map(|r| r.size_on_disk).sum(),
        repos,
        warnings,
    })
}

/// Files created by operating systems that the scan ignores (Python's `FILES_TO_IGNORE`).
fn is_os_helper(name: &std::ffi::OsStr) -> bool {
    name == ".DS_Store" || name == "Thumbs.db" || name == "desktop.ini"
}

fn corrupted(path: &Path, message: String) -> CorruptedCache {
    CorruptedCache {
        path: path.to_path_buf(),
        message,
    }
}

/// Lexical normalisation of `a/b/../c` (the cache's links are relative and the cache dir is
/// already canonical).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

struct BlobStat {
    size: u64,
    atime: SystemTime,
    mtime: SystemTime,
    /// The last revision (numbered from 1) whose size already counts this blob, so a revision's
    /// size sums its distinct blobs without a per-revision set of paths.
    counted_in: usize,
}

fn scan_repo(repo_path: &Path) -> std::result::Result<CachedRepoInfo, CorruptedCache> {
    let shown = repo_path.display();
    if !repo_path.is_dir() {
        return Err(corrupted(
            repo_path,
            format!("Repo path is not a directory: {shown}"),
        ));
    }
    let name = repo_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((repo_type, repo_id)) = crate::layout::parse_folder_name(&name) else {
        return Err(corrupted(
            repo_path,
            format!("Repo path is not a valid HuggingFace cache directory: {shown}"),
        ));
    };
    let repo_type = match repo_type.as_str() {
        "model" => RepoType::Model,
        "dataset" => RepoType::Dataset,
        "space" => RepoType::Space,
        other => {
            return Err(corrupted(
                repo_path,
                format!(
                    "Repo type must be `dataset`, `model` or `space`, found `{other}` ({shown})."
                ),
            ));
        }
    };
    let snapshots_path = repo_path.join("snapshots");
    let refs_path = repo_path.join("refs");
    if !snapshots_path.is_dir() {
        return Err(corrupted(
            &snapshots_path,
            format!(
                "Snapshots dir doesn't exist in cached repo: {}",
                snapshots_path.display()
            ),
        ));
    }
    let mut refs_by_hash: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if refs_path.exists() {
        if refs_path.is_file() {
            return Err(corrupted(
                &refs_path,
                format!("Refs directory cannot be a file: {}", refs_path.display()),
            ));
        }
        for entry in walkdir::WalkDir::new(&refs_path)
            .min_depth(1)
            .follow_links(true)
            .into_iter()
            .flatten()
        {
            if entry.file_type().is_dir() || is_os_helper(entry.file_name()) {
                continue;
            }
            let ref_name = entry
                .path()
                .strip_prefix(&refs_path)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let commit = std::fs::read_to_string(entry.path()).unwrap_or_default();
            refs_by_hash.entry(commit).or_default().insert(ref_name);
        }
    }

    // Each blob is stat'ed once, however many revisions share it: path -> index in `blob_stats`.
    let mut blob_index: HashMap<PathBuf, usize> = HashMap::new();
    let mut blob_stats: Vec<BlobStat> = Vec::new();
    let mut revisions = Vec::new();
    let mut rev_number = 0usize;
    let snap_entries = std::fs::read_dir(&snapshots_path).map_err(|e| {
        corrupted(
            &snapshots_path,
            format!("Cannot list {}: {e}", snapshots_path.display()),
        )
    })?;
    for rev in snap_entries.flatten() {
        if is_os_helper(&rev.file_name()) {
            continue;
        }
        let revision_path = rev.path();
        if revision_path.is_file() {
            return Err(corrupted(
                &revision_path,
                format!(
                    "Snapshots folder corrupted. Found a file: {}",
                    revision_path.display()
                ),
            ));
        }
        rev_number += 1;
        let mut files = Vec::new();
        let mut rev_size = 0u64;
        for entry in walkdir::WalkDir::new(&revision_path)
            .min_depth(1)
            .into_iter()
            .flatten()
        {
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            let file_path = entry.path().to_path_buf();
            let blob_path = if ft.is_symlink() {
                match std::fs::read_link(&file_path) {
                    Ok(target) if target.is_relative() => {
                        normalize(&file_path.parent().unwrap_or(Path::new("/")).join(target))
                    }
                    Ok(target) => normalize(&target),
                    Err(_) => file_path.clone(),
                }
            } else {
                file_path.clone()
            };
            let index = match blob_index.get(&blob_path) {
                Some(&i) => i,
                None => {
                    let meta = match std::fs::metadata(&blob_path) {
                        Ok(m) => m,
                        Err(_) => {
                            return Err(corrupted(
                                &blob_path,
                                format!("Blob missing (broken symlink): {}", blob_path.display()),
                            ));
                        }
                    };
                    if meta.is_dir() {
                        // A link to a folder: Python's glob skips it as a directory.
                        continue;
                    }
                    blob_stats.push(BlobStat {
                        size: meta.len(),
                        atime: meta.accessed().unwrap_or(SystemTime::UNIX_EPOCH),
                        mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                        counted_in: 0,
                    });
                    blob_index.insert(blob_path.clone(), blob_stats.len() - 1);
                    blob_stats.len() - 1
                }
            };
            let Some(st) = blob_stats.get_mut(index) else {
                continue;
            };
            if st.counted_in != rev_number {
                st.counted_in = rev_number;
                rev_size += st.size;
            }
            files.push(CachedFileInfo {
                file_name: entry.file_name().to_string_lossy().into_owned(),
                file_path,
                size_on_disk: st.size,
                blob_last_accessed: st.atime,
                blob_last_modified: st.mtime,
                blob_path,
            });
        }
        let last_modified = match files.iter().map(|f| f.blob_last_modified).max() {
            Some(t) => t,
            None => std::fs::metadata(&revision_path)
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH),
        };
        let commit_hash = rev.file_name().to_string_lossy().into_owned();
        files.sort_by(|a, b| a.file_path.cmp(&b.file_path));
        revisions.push(CachedRevisionInfo {
            refs: refs_by_hash.remove(&commit_hash).unwrap_or_default(),
            size_on_disk: rev_size,
            commit_hash,
            snapshot_path: revision_path,
            files,
            last_modified,
        });
    }
    if !refs_by_hash.is_empty() {
        let dict: Vec<String> = refs_by_hash
            .iter()
            .map(|(h, refs)| {
                let set: Vec<String> = refs.iter().map(|r| format!("'{r}'")).collect();
                format!("'{h}': {{{}}}", set.join(", "))
            })
            .collect();
        return Err(corrupted(
            repo_path,
            format!(
                "Reference(s) refer to missing commit hashes: {{{}}} ({shown}).",
                dict.join(", ")
            ),
        ));
    }
    let (last_accessed, last_modified) = if blob_stats.is_empty() {
        let m = std::fs::metadata(repo_path).ok();
        (
            m.as_ref()
                .and_then(|m| m.accessed().ok())
                .unwrap_or(SystemTime::UNIX_EPOCH),
            m.as_ref()
                .and_then(|m| m.modified().ok())
                .unwrap_or(SystemTime::UNIX_EPOCH),
        )
    } else {
        (
            blob_stats
                .iter()
                .map(|s| s.atime)
                .max()
                .unwrap_or(SystemTime::UNIX_EPOCH),
            blob_stats
                .iter()
                .map(|s| s.mtime)
                .max()
                .unwrap_or(SystemTime::UNIX_EPOCH),
        )
    };
    revisions.sort_by(|a, b| a.commit_hash.cmp(&b.commit_hash));
    Ok(CachedRepoInfo {
        repo_id,
        repo_type,
        repo_path: repo_path.to_path_buf(),
        size_on_disk: blob_stats.iter().map(|s| s.size).sum(),
        nb_files: blob_stats.len(),
        last_accessed,
        last_modified,
        revisions,
    })
}

/// What [`HFCacheInfo::delete_revisions`] will delete; run it with [`Self::execute`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteCacheStrategy {
    /// Bytes freed by the deletion.
    pub expected_freed_size: u64,
    /// Blob files no remaining revision uses.
    pub blobs: BTreeSet<PathBuf>,
    /// Ref files pointing at deleted revisions.
    pub refs: BTreeSet<PathBuf>,
    /// Whole repository folders (all their revisions are deleted).
    pub repos: BTreeSet<PathBuf>,
    /// Snapshot folders.
    pub snapshots: BTreeSet<PathBuf>,
    /// Requested revisions not found in the cache (ignored, as in Python).
    pub not_found: Vec<String>,
}

/// What [`DeleteCacheStrategy::execute`] could not delete (it keeps going, as Python does).
#[derive(Debug, Default)]
pub struct DeleteReport {
    /// Paths that could not be deleted, with why.
    pub failures: Vec<(PathBuf, std::io::Error)>,
}

impl DeleteCacheStrategy {
    /// [`Self::expected_freed_size`] formatted (`8.6G`).
    pub fn expected_freed_size_str(&self) -> String {
        format_size(self.expected_freed_size)
    }

    /// Deletes, in Python's order: repos, snapshots, refs, then blobs (so no ref or link ever
    /// points at a missing blob). Runs off the executor.
    pub async fn execute(&self) -> DeleteReport {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.execute_blocking())
            .await
            .unwrap_or_default()
    }

    /// Synchronous [`Self::execute`].
    pub fn execute_blocking(&self) -> DeleteReport {
        let mut report = DeleteReport::default();
        let mut del = |p: &Path, dir: bool| {
            let r = if dir {
                std::fs::remove_dir_all(p)
            } else {
                std::fs::remove_file(p)
            };
            if let Err(e) = r {
                report.failures.push((p.to_path_buf(), e));
            }
        };
        self.repos.iter().for_each(|p| del(p, true));
        self.snapshots.iter().for_each(|p| del(p, true));
        self.refs.iter().for_each(|p| del(p, false));
        self.blobs.iter().for_each(|p| del(p, false));
        report
    }
}

impl HFCacheInfo {
    /// Plans the deletion of `revisions` (commit hashes, from any repositories).
    pub fn delete_revisions<S: AsRef<str>>(&self, revisions: &[S]) -> DeleteCacheStrategy {
        let mut wanted: BTreeSet<&str> = revisions.iter().map(|r| r.as_ref()).collect();
        let mut s = DeleteCacheStrategy::default();
        for repo in &self.repos {
            let (del, keep): (Vec<&CachedRevisionInfo>, Vec<&CachedRevisionInfo>) = repo
                .revisions
                .iter()
                .partition(|r| wanted.contains(r.commit_hash.as_str()));
            if del.is_empty() {
                continue;
            }
            for r in &del {
                wanted.remove(r.commit_hash.as_str());
            }
            if keep.is_empty() {
                s.repos.insert(repo.repo_path.clone());
                s.expected_freed_size += repo.size_on_disk;
                continue;
            }
            let kept_blobs: BTreeSet<&Path> = keep
                .iter()
                .flat_map(|r| r.files.iter().map(|f| f.blob_path.as_path()))
                .collect();
            for r in del {
                s.snapshots.insert(r.snapshot_path.clone());
                for name in &r.refs {
                    s.refs.insert(crate::layout::join_repo_path(
                        &repo.repo_path.join("refs"),
                        name,
                    ));
                }
                for f in &r.files {
                    if !kept_blobs.contains(f.blob_path.as_path())
                        && s.blobs.insert(f.blob_path.clone())
                    {
                        s.expected_freed_size += f.size_on_disk;
                    }
                }
            }
        }
        s.not_found = wanted.into_iter().map(str::to_owned).collect();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_python() {
        for (n, s) in [
            (0, "0.0"),
            (999, "999.0"),
            (1000, "1.0K"),
            (1234, "1.2K"),
            (13_500_000, "13.5M"),
            (3_100_000_000, "3.1G"),
            (1_250, "1.2K"),
            (1_350, "1.4K"),
            (999_950, "1000.0K"),
            (8_600_000_000, "8.6G"),
            (u64::MAX, "18.4E"),
        ] {
            assert_eq!(format_size(n), s, "{n}");
        }
    }
}
