//! `local_dir` mode (protocol §12.2): real files in a folder, with per-file metadata so Python
//! and this crate agree on what is up to date.
//!
//! ```text
//! <local_dir>/<path>
//! <local_dir>/.cache/huggingface/.gitignore                      "*"
//! <local_dir>/.cache/huggingface/download/<path>.metadata        "<commit>\n<etag>\n<ts float>\n"
//! <local_dir>/.cache/huggingface/download/<path>.lock
//! <local_dir>/.cache/huggingface/download/<path>.<etag>.incomplete
//! ```

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use hub_core::HubClient;

use crate::download::{DownloadOutcome, Params, check_server_names, resolve};
use crate::error::{Error, Result};
use crate::layout::{RepoCache, join_repo_path};
use crate::lock::FileLock;
use crate::plan::{self, HeadFailure, LocalDecision, LocalState};
use crate::transfer;

/// The paths of one file in a local directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPaths {
    /// `<local_dir>/<path>`.
    pub file: PathBuf,
    /// `.cache/huggingface/download/<path>.metadata`.
    pub metadata: PathBuf,
    /// `.cache/huggingface/download/<path>.lock`.
    pub lock: PathBuf,
}

impl LocalPaths {
    /// Paths for repository file `path` (already validated) under `local_dir`.
    pub fn new(local_dir: &Path, path: &str) -> Self {
        let file = join_repo_path(local_dir, path);
        let download = local_dir
            .join(".cache")
            .join("huggingface")
            .join("download");
        let metadata = join_repo_path(&download, &format!("{path}.metadata"));
        let lock = join_repo_path(&download, &format!("{path}.lock"));
        LocalPaths {
            file,
            metadata,
            lock,
        }
    }

    /// `.cache/huggingface/download/<path>.<etag>.incomplete` (0.26's resumable partial file).
    pub fn incomplete(&self, etag: &str) -> PathBuf {
        let mut name = self.metadata.clone();
        name.set_extension(format!("{etag}.incomplete"));
        name
    }
}

/// A parsed `.metadata` file.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalMetadata {
    /// Commit the file was downloaded from.
    pub commit_hash: String,
    /// Etag of the file.
    pub etag: String,
    /// Unix time the metadata was written.
    pub timestamp: f64,
}

/// Parses the three lines; `None` if malformed.
pub fn parse_metadata(text: &str) -> Option<LocalMetadata> {
    let mut lines = text.lines();
    let commit_hash = lines.next()?.trim().to_owned();
    let etag = lines.next()?.trim().to_owned();
    let timestamp = lines.next()?.trim().parse::<f64>().ok()?;
    Some(LocalMetadata {
        commit_hash,
        etag,
        timestamp,
    })
}

/// Formats the metadata as Python writes it (`f"{commit}\n{etag}\n{time.time()}\n"`).
pub fn format_metadata(commit: &str, etag: &str, timestamp: f64) -> String {
    format!("{commit}\n{etag}\n{}\n", python_float(timestamp))
}

/// Python's `repr(float)` for positive timestamps: always a decimal point.
fn python_float(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Creates `.cache/huggingface/.gitignore` (content `*`) if missing.
pub async fn ensure_gitignore(local_dir: &Path) -> Result<()> {
    let dir = local_dir.join(".cache").join("huggingface");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let gi = dir.join(".gitignore");
    if tokio::fs::metadata(&gi).await.is_err() {
        // Best effort, as in Python: a concurrent writer writes the same content.
        let _ = crate::refs::write_atomic(&gi, b"*").await;
    }
    Ok(())
}

/// Reads the metadata of `paths` and trusts it only if the file was not modified after it was
/// written (mtime − 1 s ≤ timestamp). A malformed metadata file is removed.
pub async fn read_metadata(paths: &LocalPaths) -> Option<LocalMetadata> {
    let text = tokio::fs::read_to_string(&paths.metadata).await.ok()?;
    let Some(meta) = parse_metadata(&text) else {
        let _ = tokio::fs::remove_file(&paths.metadata).await;
        return None;
    };
    let mtime = tokio::fs::metadata(&paths.file)
        .await
        .ok()?
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    (mtime - 1.0 <= meta.timestamp).then_some(meta)
}

/// Writes the metadata with the current time.
pub async fn write_metadata(paths: &LocalPaths, commit: &str, etag: &str) -> Result<()> {
    crate::refs::write_atomic(
        &paths.metadata,
        format_metadata(commit, etag, now()).as_bytes(),
    )
    .await
}

async fn sha256_file(path: &Path) -> Result<String> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        use sha2::Digest as _;
        use std::io::Read as _;
        let mut f = std::fs::File::open(&path)?;
        let mut h = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(hex::encode(h.finalize()))
    })
    .await
    .map_err(|e| Error::io("hashing task", std::io::Error::other(e)))?
    .map_err(|e| Error::io("hashing local file", e))
}

async fn is_file(path: &Path) -> bool {
    tokio::fs::metadata(path)
        .await
        .map(|m| m.is_file())
        .unwrap_or(false)
}

pub(crate) async fn run(
    client: &HubClient,
    p: &Params,
    repo: &RepoCache,
    local_dir: &Path,
    filename: &str,
    revision: &str,
) -> Result<DownloadOutcome> {
    ensure_gitignore(local_dir).await?;
    let paths = LocalPaths::new(local_dir, filename);
    let metadata = read_metadata(&paths).await;
    let state = LocalState {
        file_exists: is_file(&paths.file).await,
        metadata: metadata
            .as_ref()
            .map(|m| (m.commit_hash.clone(), m.etag.clone())),
    };
    let done = |commit: Option<String>, transfer| DownloadOutcome {
        path: paths.file.clone(),
        commit,
        transfer,
    };
    if plan::local_dir_skip_network(p.force_download, revision, &state) {
        return Ok(done(Some(revision.to_owned()), None));
    }
    let resolved = match resolve(client, p, repo, filename, revision).await {
        Ok(r) => r,
        Err(err) => {
            if plan::classify_head_error(&err) == HeadFailure::Raise {
                return Err(err);
            }
            if !p.force_download && state.file_exists {
                return Ok(done(state.metadata.map(|m| m.0), None));
            }
            let what = format!("{} {filename} at {revision}", p.repo_id);
            return Err(plan::error_after_head_failure(
                err,
                p.force_download,
                p.local_files_only,
                &what,
            ));
        }
    };
    check_server_names(&resolved)?;
    match plan::decide_local_dir(p.force_download, &state, &resolved.etag) {
        LocalDecision::RefreshMetadata => {
            write_metadata(&paths, &resolved.commit, &resolved.etag).await?;
            return Ok(done(Some(resolved.commit), None));
        }
        LocalDecision::HashLocalFile => {
            if sha256_file(&paths.file).await? == resolved.etag {
                write_metadata(&paths, &resolved.commit, &resolved.etag).await?;
                return Ok(done(Some(resolved.commit), None));
            }
        }
        LocalDecision::CopyOrDownload => {}
    }
    if !p.force_download {
        let cached = repo.pointer_path(&resolved.commit, filename);
        if is_file(&cached).await {
            let _lock = FileLock::acquire(&paths.lock)
                .await
                .map_err(|e| Error::io("taking the local_dir lock", e))?;
            copy_into(&cached, &paths.file).await?;
            write_metadata(&paths, &resolved.commit, &resolved.etag).await?;
            return Ok(done(Some(resolved.commit), None));
        }
    }
    let _lock = FileLock::acquire(&paths.lock)
        .await
        .map_err(|e| Error::io("taking the local_dir lock", e))?;
    match tokio::fs::remove_file(&paths.file).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Error::io(
                format!("removing outdated {}", paths.file.display()),
                e,
            ));
        }
    }
    let incomplete = paths.incomplete(&resolved.etag);
    let stats = transfer::download(
        client,
        transfer::Job {
            url: resolved.url.clone(),
            send_auth: resolved.send_auth,
            headers: p.headers.clone(),
            size: resolved.size,
            etag: resolved.etag.clone(),
            incomplete: incomplete.clone(),
            file: filename.to_owned(),
            progress: p.progress.clone(),
            tuning: p.tuning.clone(),
            restart: p.force_download,
        },
        crate::commit::Finish::Move {
            dest: paths.file.clone(),
        },
    )
    .await?;
    write_metadata(&paths, &resolved.commit, &resolved.etag).await?;
    Ok(done(Some(resolved.commit), Some(stats)))
}

/// Copies `src` (following symlinks) to `dest` through a temporary sibling.
async fn copy_into(src: &Path, dest: &Path) -> Result<()> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let tmp = parent.join(format!(".{:016x}.tmpcopy", rand::random::<u64>()));
    tokio::fs::copy(src, &tmp)
        .await
        .map_err(|e| Error::io(format!("copying {}", src.display()), e))?;
    tokio::fs::rename(&tmp, dest)
        .await
        .map_err(|e| Error::io(format!("moving into {}", dest.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_python() {
        let p = LocalPaths::new(Path::new("/ld"), "a/b.bin");
        assert_eq!(p.file, PathBuf::from("/ld/a/b.bin"));
        assert_eq!(
            p.metadata,
            PathBuf::from("/ld/.cache/huggingface/download/a/b.bin.metadata")
        );
        assert_eq!(
            p.lock,
            PathBuf::from("/ld/.cache/huggingface/download/a/b.bin.lock")
        );
        assert_eq!(
            p.incomplete("e1"),
            PathBuf::from("/ld/.cache/huggingface/download/a/b.bin.e1.incomplete")
        );
    }

    #[test]
    fn metadata_format_roundtrip() {
        let text = format_metadata("c0ffee", "e1", 1700000000.25);
        assert_eq!(text, "c0ffee\ne1\n1700000000.25\n");
        assert_eq!(format_metadata("c", "e", 5.0), "c\ne\n5.0\n");
        let m = parse_metadata(&text).unwrap();
        assert_eq!(
            (m.commit_hash.as_str(), m.etag.as_str(), m.timestamp),
            ("c0ffee", "e1", 1700000000.25)
        );
        assert!(parse_metadata("only\ntwo\n").is_none());
        assert!(parse_metadata("a\nb\nnot-a-float\n").is_none());
    }

    #[tokio::test]
    async fn metadata_trusted_only_if_file_not_newer() {
        let dir = tempfile::tempdir().unwrap();
        let paths = LocalPaths::new(dir.path(), "f.txt");
        std::fs::write(&paths.file, b"x").unwrap();
        write_metadata(&paths, "c", "e").await.unwrap();
        assert_eq!(read_metadata(&paths).await.unwrap().etag, "e");
        // Metadata older than the file by more than 1 s: ignored.
        std::fs::write(&paths.metadata, format_metadata("c", "e", now() - 10.0)).unwrap();
        assert!(read_metadata(&paths).await.is_none());
        // Malformed: removed.
        std::fs::write(&paths.metadata, "garbage").unwrap();
        assert!(read_metadata(&paths).await.is_none());
        assert!(!paths.metadata.exists());
        ensure_gitignore(dir.path()).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".cache/huggingface/.gitignore")).unwrap(),
            "*"
        );
    }
}
