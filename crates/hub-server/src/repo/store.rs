//! The on-disk namespace of repositories under `DATA/repos`: find, create, duplicate, rename,
//! delete, list, and the per-repo settings and discussion files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::git::{Commit, GitRepo, Kind};
use crate::util;

use super::gitattributes::{DATASET_GITATTRIBUTES, DEFAULT_GITATTRIBUTES};
use super::read::{ObjCache, Reader};
use super::types::{Discussion, Repo, RepoMeta, RepoType};

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

/// Directory holding the repositories whose id has no namespace (`gpt2`). Its name is not a
/// valid user or organization name, so it can never collide with a namespace directory.
const CANONICAL_DIR: &str = ".canonical";

/// Directory name of a namespace (`""` is the namespace of canonical repositories).
fn ns_dir(ns: &str) -> &str {
    if ns.is_empty() { CANONICAL_DIR } else { ns }
}

pub(super) fn io_join<T>(
    r: Result<std::io::Result<T>, tokio::task::JoinError>,
) -> std::io::Result<T> {
    r.map_err(std::io::Error::other)?
}

impl RepoStore {
    /// Opens the store under `data_dir` for the server: sweeps what killed writers left behind.
    pub fn new(data_dir: &Path) -> std::io::Result<Self> {
        let store = Self::open_shared(data_dir)?;
        for t in ["models", "datasets", "spaces"] {
            // No writer survives a restart, so every lock or temp file left belongs to a killed one.
            sweep_locks(&store.root.join(t));
        }
        Ok(store)
    }

    /// Opens the store under `data_dir` without sweeping locks, for administration tools that
    /// may run next to a live server (whose lock files must stay).
    pub fn open_shared(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join("repos");
        for t in ["models", "datasets", "spaces"] {
            std::fs::create_dir_all(root.join(t))?;
        }
        std::fs::create_dir_all(data_dir.join("tmp"))?;
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
            .join(ns_dir(ns))
            .join(format!("{name}.git"))
    }

    /// Finds a repo (case-insensitively). Names must already be valid components.
    pub async fn find(&self, ty: RepoType, ns: &str, name: &str) -> std::io::Result<Option<Repo>> {
        if !(ns.is_empty() || crate::auth::valid_name(ns)) || !crate::auth::valid_name(name) {
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
                    let cns = if ns.is_empty() {
                        String::new()
                    } else {
                        match find_ci(&root, &ns)? {
                            Some(cns) => cns,
                            None => return Ok(None),
                        }
                    };
                    let nsdir = root.join(ns_dir(&cns));
                    let Some(cdir) = find_ci(&nsdir, &format!("{name}.git"))? else {
                        return Ok(None);
                    };
                    let cname = cdir.trim_end_matches(".git").to_string();
                    let dir = nsdir.join(&cdir);
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
                install_staged(&staging, &meta2, &fd)
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
                install_staged(&staging, &meta2, &fd)
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
        let target = if ns.is_empty() {
            name.to_string()
        } else {
            format!("{ns}/{name}")
        };
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
        let id = if ns.is_empty() {
            name.to_string()
        } else {
            format!("{ns}/{name}")
        };
        let mut key = format!("{}/{id}", ty.plural()).to_ascii_lowercase();
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
                    let mut nsname = ns.file_name().to_string_lossy().to_string();
                    if nsname == CANONICAL_DIR {
                        nsname.clear();
                    }
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

/// Writes `meta` as the staged repository's `hub.json`, then moves `staging` to `final_dir` in
/// one rename: a repository appears complete (settings, objects and `main`) or not at all.
fn install_staged(staging: &Path, meta: &RepoMeta, final_dir: &Path) -> std::io::Result<()> {
    util::atomic_write(
        &staging.join("hub.json"),
        &serde_json::to_vec_pretty(meta).map_err(std::io::Error::other)?,
    )?;
    let parent = final_dir
        .parent()
        .ok_or_else(|| std::io::Error::other("bad repo path"))?;
    std::fs::create_dir_all(parent)?;
    std::fs::rename(staging, final_dir)?;
    util::sync_dir(parent);
    Ok(())
}
