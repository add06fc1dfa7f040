//! Cache look-ups without the network: [`try_to_load_from_cache`] and [`cached_assets_path`].
//!
//! Both are synchronous (a handful of `stat` calls), as in Python; from async code, call them
//! inside `spawn_blocking` if the file system may be slow.

use std::path::{Path, PathBuf};

use hub_core::{RepoId, RepoType};

use crate::error::{Error, Result};
use crate::layout::{RepoCache, validate_repo_path, validate_revision_path};

/// What the cache knows about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheLookup {
    /// The file is cached here (a snapshot pointer).
    Found(PathBuf),
    /// The cache recorded that the file does not exist at this revision (`.no_exist`).
    KnownMissing,
    /// Nothing is known locally.
    Unknown,
}

/// Python's `try_to_load_from_cache`: resolves `revision` (default `main`) through `refs/`, then
/// checks `.no_exist/` and `snapshots/`. Never touches the network.
///
/// ```
/// use hub_cache::lookup::{try_to_load_from_cache, CacheLookup};
/// use hub_core::{RepoId, RepoType};
/// let dir = std::env::temp_dir().join("hub-cache-doc-empty");
/// let r = try_to_load_from_cache(&dir, &RepoId::new("a/b")?, "config.json", None, RepoType::Model);
/// assert_eq!(r, CacheLookup::Unknown);
/// # Ok::<(), hub_core::Error>(())
/// ```
pub fn try_to_load_from_cache(
    cache_dir: &Path,
    repo_id: &RepoId,
    filename: &str,
    revision: Option<&str>,
    repo_type: RepoType,
) -> CacheLookup {
    let revision = revision.unwrap_or(hub_core::config::DEFAULT_REVISION);
    if validate_repo_path(filename).is_err() || validate_revision_path(revision).is_err() {
        return CacheLookup::Unknown;
    }
    let repo = RepoCache::new(cache_dir, repo_id, repo_type);
    if !repo.repo_dir().is_dir() {
        return CacheLookup::Unknown;
    }
    let mut commit = revision.to_owned();
    let ref_file = repo.ref_path(revision);
    if ref_file.is_file()
        && let Ok(c) = std::fs::read_to_string(&ref_file)
    {
        commit = c;
    }
    // Snapshot folders are named by commits, which never contain '/'.
    if validate_revision_path(&commit).is_err() || commit.contains('/') {
        return CacheLookup::Unknown;
    }
    if repo.no_exist_path(&commit, filename).is_file() {
        return CacheLookup::KnownMissing;
    }
    if !repo.snapshot_dir(&commit).is_dir() {
        return CacheLookup::Unknown;
    }
    let pointer = repo.pointer_path(&commit, filename);
    if pointer.is_file() {
        CacheLookup::Found(pointer)
    } else {
        CacheLookup::Unknown
    }
}

/// Python's `cached_assets_path`: `<assets_dir>/<library>/<namespace>/<subfolder>`, created if
/// missing. Spaces, `/` and `\` in the names become `--`; `namespace` and `subfolder` default to
/// `default`.
pub fn cached_assets_path(
    assets_dir: &Path,
    library_name: &str,
    namespace: Option<&str>,
    subfolder: Option<&str>,
) -> Result<PathBuf> {
    let clean = |s: &str| s.replace([' ', '/', '\\'], "--");
    let library = clean(library_name);
    let namespace = clean(namespace.unwrap_or("default"));
    let subfolder = clean(subfolder.unwrap_or("default"));
    for part in [&library, &namespace, &subfolder] {
        if part.is_empty() || part == "." || part == ".." {
            return Err(Error::UnsafePath {
                path: part.clone(),
                reason: "invalid assets folder name",
            });
        }
    }
    let path = assets_dir.join(library).join(namespace).join(subfolder);
    std::fs::create_dir_all(&path).map_err(|e| {
        hub_core::Error::InvalidArgument(format!(
            "Corrupted assets folder: cannot create directory because of an existing file ({}): {e}",
            path.display()
        ))
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_states() {
        let dir = tempfile::tempdir().unwrap();
        let id = RepoId::new("ns/m").unwrap();
        let commit = "a".repeat(40);
        let repo = dir.path().join("models--ns--m");
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::write(repo.join("refs/main"), &commit).unwrap();
        let look = |f: &str, r: Option<&str>| {
            try_to_load_from_cache(dir.path(), &id, f, r, RepoType::Model)
        };
        assert_eq!(look("x.json", None), CacheLookup::Unknown);
        std::fs::create_dir_all(repo.join(".no_exist").join(&commit)).unwrap();
        std::fs::write(
            repo.join(".no_exist").join(&commit).join("missing.txt"),
            b"",
        )
        .unwrap();
        assert_eq!(look("missing.txt", None), CacheLookup::KnownMissing);
        let snap = repo.join("snapshots").join(&commit).join("sub");
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::write(snap.join("f.txt"), b"x").unwrap();
        assert_eq!(
            look("sub/f.txt", None),
            CacheLookup::Found(snap.join("f.txt"))
        );
        assert_eq!(
            look("sub/f.txt", Some(&commit)),
            CacheLookup::Found(snap.join("f.txt"))
        );
        assert_eq!(look("sub/f.txt", Some("other")), CacheLookup::Unknown);
        assert_eq!(look("../../x", None), CacheLookup::Unknown);
        assert_eq!(
            try_to_load_from_cache(dir.path(), &id, "sub/f.txt", None, RepoType::Dataset),
            CacheLookup::Unknown
        );
    }

    #[test]
    fn assets() {
        let dir = tempfile::tempdir().unwrap();
        let p = cached_assets_path(
            dir.path(),
            "datasets",
            Some("Helsinki-NLP/tatoeba mt"),
            None,
        )
        .unwrap();
        assert_eq!(
            p,
            dir.path()
                .join("datasets/Helsinki-NLP--tatoeba--mt/default")
        );
        assert!(p.is_dir());
        std::fs::write(dir.path().join("blocker"), b"").unwrap();
        assert!(cached_assets_path(dir.path(), "blocker", None, None).is_err());
    }
}
