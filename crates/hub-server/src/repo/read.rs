//! Cached reads of a repository's git content: revisions, trees, blobs and history.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::git::{self, Commit, GitRepo, Kind, LfsPointer, Oid, TreeEntry};

use super::store::io_join;

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
    pub(super) cache: Arc<ObjCache>,
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
    /// Resolves a revision: 40-hex commit, full ref name, branch, tag, `refs/convert/x`, or an
    /// abbreviated commit id.
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
        // Like git, an abbreviated commit id (7+ hex digits) names the one commit it starts;
        // refs of the same spelling win, and an ambiguous prefix names nothing.
        if (7..40).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut commits = Vec::new();
            for oid in self.git.ids_with_prefix(rev)? {
                if let Some(c) = self.git.peel_to_commit(&oid)?
                    && !commits.contains(&c)
                {
                    commits.push(c);
                }
            }
            if let [only] = &commits[..] {
                return Ok(Some(Resolved {
                    commit: only.clone(),
                    refname: None,
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
    /// in depth-first order with each folder's subfolders before its files.
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
        // Folders before files, each group in git order, as the Hub lists them.
        let (dirs, files): (Vec<&TreeEntry>, Vec<&TreeEntry>) =
            tree.iter().partition(|e| e.is_tree());
        for e in dirs.into_iter().chain(files) {
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

/// Runs a closure over a reader on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    reader: &Reader,
    f: impl FnOnce(&Reader) -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    let r = reader.clone();
    io_join(tokio::task::spawn_blocking(move || f(&r)).await)
}
