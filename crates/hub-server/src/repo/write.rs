//! Building commits: applying a list of changes to a tree and writing the new objects.

use std::collections::BTreeMap;

use crate::git::{self, Commit, Kind, Oid, TreeEntry};
use crate::util;

use super::read::Reader;

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
                        // Like the Hub, deleting a folder's path deletes the folder, even
                        // without the trailing slash.
                        let prefix = format!("{path}/");
                        let before = files.len();
                        files.retain(|p, _| !p.starts_with(&prefix));
                        if files.len() == before {
                            return Err(ApplyError::Missing(format!(
                                "A file with this name doesn't exist: {path}"
                            )));
                        }
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
