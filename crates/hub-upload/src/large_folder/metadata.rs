//! The per-file state saved under `<folder>/.cache/huggingface/upload/`, in Python's format.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use hub_core::file_lock::FileLock;
use hub_core::{Error, Result};

use super::UPLOAD_EXPIRY;
use crate::ops::UploadMode;

/// The state of one file, as saved in `.cache/huggingface/upload/<path>.metadata`.
///
/// The file has exactly 7 lines: timestamp (float seconds), size, should-ignore (`0`/`1`/empty),
/// sha256 (hex or empty), upload mode (`lfs`/`regular`/empty), is-uploaded (`0`/`1`),
/// is-committed (`0`/`1`).
///
/// ```
/// use hub_upload::large_folder::UploadMetadata;
/// let m = UploadMetadata::parse("1700000000.5\n12\n\nabc\nlfs\n1\n0\n")?;
/// assert_eq!(m.size, 12);
/// assert_eq!(m.render(1700000000.5), "1700000000.5\n12\n\nabc\nlfs\n1\n0\n");
/// # Ok::<(), hub_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UploadMetadata {
    /// When the metadata was saved (unix seconds); `None` for fresh state.
    pub timestamp: Option<f64>,
    /// File size in bytes.
    pub size: u64,
    /// Whether the server ignores the file (`None`: not asked yet).
    pub should_ignore: Option<bool>,
    /// sha256 hex, once hashed.
    pub sha256: Option<String>,
    /// Upload mode, once asked.
    pub upload_mode: Option<UploadMode>,
    /// Whether the LFS content is uploaded.
    pub is_uploaded: bool,
    /// Whether the file is committed.
    pub is_committed: bool,
}

impl UploadMetadata {
    /// Fresh state of a file of `size` bytes.
    pub fn new(size: u64) -> Self {
        UploadMetadata {
            timestamp: None,
            size,
            should_ignore: None,
            sha256: None,
            upload_mode: None,
            is_uploaded: false,
            is_committed: false,
        }
    }

    /// Parses the 7-line format.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |what: &str| Error::Corrupted(format!("invalid upload metadata: {what}"));
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        if lines.len() < 7 {
            return Err(bad("fewer than 7 lines"));
        }
        let flag = |s: &str| match s {
            "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(bad("flag is not 0 or 1")),
        };
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(UploadMetadata {
            timestamp: Some(lines[0].parse::<f64>().map_err(|_| bad("timestamp"))?),
            size: lines[1].parse::<u64>().map_err(|_| bad("size"))?,
            should_ignore: if lines[2].is_empty() {
                None
            } else {
                Some(flag(lines[2])?)
            },
            sha256: opt(lines[3]),
            upload_mode: match lines[4] {
                "" => None,
                "lfs" => Some(UploadMode::Lfs),
                "regular" => Some(UploadMode::Regular),
                _ => return Err(bad("upload mode")),
            },
            is_uploaded: flag(lines[5])?,
            is_committed: flag(lines[6])?,
        })
    }

    /// Renders the 7-line format with `timestamp`.
    pub fn render(&self, timestamp: f64) -> String {
        let b = |v: bool| if v { "1" } else { "0" };
        format!(
            "{timestamp}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.size,
            self.should_ignore.map(b).unwrap_or(""),
            self.sha256.as_deref().unwrap_or(""),
            self.upload_mode.map(UploadMode::as_str).unwrap_or(""),
            b(self.is_uploaded),
            b(self.is_committed),
        )
    }
}

/// `<folder>/.cache/huggingface/upload/<rel><suffix>`.
fn upload_state_path(folder: &Path, rel: &str, suffix: &str) -> PathBuf {
    let mut p = folder.join(".cache").join("huggingface").join("upload");
    for part in rel.split('/') {
        p.push(part);
    }
    let mut name = p.into_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// `<folder>/.cache/huggingface/upload/<rel>.metadata`.
pub fn metadata_path(folder: &Path, rel: &str) -> PathBuf {
    upload_state_path(folder, rel, ".metadata")
}

/// `<folder>/.cache/huggingface/upload/<rel>.lock`: the lock file held (`flock`, exclusive)
/// while the metadata of `rel` is read or written.
///
/// Python's `get_local_upload_paths` derives it with `metadata_path.with_suffix(".lock")`, which
/// replaces the final `.metadata`: `sub/a.bin` → `sub/a.bin.lock`. The file is empty and stays
/// behind after the upload (filelock never deletes it on POSIX), as with Python.
pub fn lock_path(folder: &Path, rel: &str) -> PathBuf {
    upload_state_path(folder, rel, ".lock")
}

/// Holds the metadata lock of `rel` (blocking; called off the executor only). Within one run a
/// file's metadata is only touched by the one worker that holds its item, and never with another
/// lock held, so waiting here only ever waits for another process (Python or hub-rs).
fn lock_metadata(folder: &Path, rel: &str) -> Result<FileLock> {
    let path = lock_path(folder, rel);
    FileLock::acquire_blocking(&path)
        .map_err(|e| Error::io(format!("locking {}", path.display()), e))
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Whether metadata saved at `timestamp` says "uploaded, not committed" for longer than
/// [`UPLOAD_EXPIRY`] at `now` (unix seconds): the pre-signed upload may have been collected, so
/// the content must be uploaded again (Python's 20-hour rule in `read_upload_metadata`).
fn upload_expired(m: &UploadMetadata, now: f64) -> bool {
    let ts = m.timestamp.unwrap_or(0.0);
    m.is_uploaded && !m.is_committed && now - ts > UPLOAD_EXPIRY.as_secs_f64()
}

/// Reads the saved state of `rel`, as Python does: under the lock of `<rel>.lock` (created, with
/// its directories, if missing), unreadable metadata is deleted; metadata older than the file's
/// mtime is ignored; an upload older than 20 h is forgotten.
pub(super) fn read_metadata(folder: &Path, rel: &str, abs: &Path) -> Result<UploadMetadata> {
    let _lock = lock_metadata(folder, rel)?;
    let file_md =
        std::fs::metadata(abs).map_err(|e| Error::io(format!("reading {}", abs.display()), e))?;
    let path = metadata_path(folder, rel);
    if let Ok(text) = std::fs::read_to_string(&path) {
        match UploadMetadata::parse(&text) {
            Ok(mut m) => {
                let ts = m.timestamp.unwrap_or(0.0);
                if upload_expired(&m, unix_now()) {
                    tracing::info!("upload of '{rel}' is older than 20 h; will upload it again");
                    m.is_uploaded = false;
                }
                let mtime = file_md
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_secs_f64())
                    .unwrap_or(f64::MAX);
                if mtime <= ts && m.size == file_md.len() {
                    return Ok(m);
                }
                tracing::info!("ignored metadata for '{rel}' (outdated); will hash again");
            }
            Err(e) => {
                tracing::warn!("invalid metadata for '{rel}' ({e}); removing it");
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    Ok(UploadMetadata::new(file_md.len()))
}

/// Saves `m` under the lock of `<rel>.lock`, as Python's `LocalUploadFileMetadata.save` does, and
/// atomically (temp file + rename), so a kill never leaves a torn file.
pub(super) fn save_metadata(folder: &Path, rel: &str, m: &mut UploadMetadata) -> Result<()> {
    let path = metadata_path(folder, rel);
    let ctx = || format!("writing {}", path.display());
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(ctx(), e))?;
    }
    let _lock = lock_metadata(folder, rel)?;
    let ts = unix_now();
    let tmp = {
        let mut n = path.clone().into_os_string();
        n.push(format!(".{}.tmp", std::process::id()));
        PathBuf::from(n)
    };
    std::fs::write(&tmp, m.render(ts)).map_err(|e| Error::io(ctx(), e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(ctx(), e))?;
    m.timestamp = Some(ts);
    Ok(())
}

/// Creates `.cache/huggingface/.gitignore` (`*`), so git users never commit the state. As in
/// Python's `_huggingface_dir`, it is written under the lock of `.gitignore.lock`, which is then
/// deleted (unlike the per-file `.lock` files, which stay).
pub(super) fn ensure_cache_gitignore(folder: &Path) -> Result<()> {
    let dir = folder.join(".cache").join("huggingface");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let gi = dir.join(".gitignore");
    if !gi.exists() {
        let lock_file = dir.join(".gitignore.lock");
        let lock = FileLock::acquire_blocking(&lock_file)
            .map_err(|e| Error::io(format!("locking {}", lock_file.display()), e))?;
        std::fs::write(&gi, "*").map_err(|e| Error::io(format!("writing {}", gi.display()), e))?;
        drop(lock);
        // Python ignores a failure here too (another process may have removed it already).
        let _ = std::fs::remove_file(&lock_file);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    use std::time::Duration;

    #[test]
    fn metadata_round_trip() {
        let m = UploadMetadata {
            timestamp: Some(1.5),
            size: 42,
            should_ignore: Some(false),
            sha256: Some("ab".repeat(32)),
            upload_mode: Some(UploadMode::Regular),
            is_uploaded: false,
            is_committed: true,
        };
        let text = m.render(1732623456.123456);
        assert_eq!(text.lines().count(), 7);
        assert!(text.ends_with('\n'));
        let back = UploadMetadata::parse(&text).unwrap();
        assert_eq!(
            back,
            UploadMetadata {
                timestamp: Some(1732623456.123456),
                ..m
            }
        );
        // Fresh state renders empty optional lines.
        assert_eq!(UploadMetadata::new(3).render(2.0), "2\n3\n\n\n\n0\n0\n");
        // Python writes e.g. `1721661797.3453724`: accepted.
        let py = "1721661797.3453724\n5\n0\n\nlfs\n1\n0\n";
        let m = UploadMetadata::parse(py).unwrap();
        assert_eq!(m.upload_mode, Some(UploadMode::Lfs));
        assert_eq!(m.should_ignore, Some(false));
        assert!(m.sha256.is_none());
        for bad in [
            "",
            "x\n1\n\n\n\n0\n0\n",
            "1\n1\n\n\n\nmaybe\n0\n",
            "1\n1\n\n\nxet\n0\n0\n",
            "1\n2\n",
        ] {
            assert!(UploadMetadata::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metadata_files_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.bin"), b"hello").unwrap();
        assert_eq!(
            metadata_path(root, "sub/a.bin"),
            root.join(".cache/huggingface/upload/sub/a.bin.metadata")
        );
        // No metadata: fresh state with the size.
        let m = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert_eq!(m, UploadMetadata::new(5));
        let mut m = m;
        m.sha256 = Some("00".into());
        save_metadata(root, "sub/a.bin", &mut m).unwrap();
        let back = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert_eq!(back.sha256.as_deref(), Some("00"));
        // A modified file makes the metadata outdated.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(root.join("sub/a.bin"), b"hello!").unwrap();
        let fresh = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert_eq!(fresh, UploadMetadata::new(6));
        // Garbage is removed.
        std::fs::write(metadata_path(root, "sub/a.bin"), "garbage").unwrap();
        let _ = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert!(!metadata_path(root, "sub/a.bin").exists());
    }

    #[test]
    fn lock_files_next_to_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(
            lock_path(root, "sub/a.bin"),
            root.join(".cache/huggingface/upload/sub/a.bin.lock")
        );
        // Python's `Path("noext.metadata").with_suffix(".lock")`.
        assert_eq!(
            lock_path(root, "noext"),
            root.join(".cache/huggingface/upload/noext.lock")
        );
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.bin"), b"hello").unwrap();
        // Reading creates the (empty) lock file, as Python's read does; it stays afterwards.
        let mut m = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        let lock = lock_path(root, "sub/a.bin");
        assert_eq!(std::fs::read(&lock).unwrap(), b"");
        save_metadata(root, "sub/a.bin", &mut m).unwrap();
        assert!(lock.exists());
        // Held by someone else: a save waits for it.
        let held = FileLock::acquire_blocking(&lock).unwrap();
        let r = root.to_path_buf();
        let saver = std::thread::spawn(move || {
            let mut m = UploadMetadata::new(5);
            m.sha256 = Some("11".into());
            save_metadata(&r, "sub/a.bin", &mut m)
        });
        std::thread::sleep(Duration::from_millis(150));
        assert!(!saver.is_finished(), "save must wait for the lock");
        let saved = std::fs::read_to_string(metadata_path(root, "sub/a.bin")).unwrap();
        assert_eq!(
            saved.lines().nth(3),
            Some(""),
            "nothing written while locked"
        );
        drop(held);
        saver.join().unwrap().unwrap();
        let back = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert_eq!(back.sha256.as_deref(), Some("11"));
        // The `.gitignore.lock` is removed after use, as Python removes it.
        ensure_cache_gitignore(root).unwrap();
        let hf = root.join(".cache/huggingface");
        assert_eq!(std::fs::read_to_string(hf.join(".gitignore")).unwrap(), "*");
        assert!(!hf.join(".gitignore.lock").exists());
    }

    #[test]
    fn uploads_expire_after_20_hours() {
        let now = 1_800_000_000.0;
        let mut m = UploadMetadata::new(1);
        m.upload_mode = Some(UploadMode::Lfs);
        m.is_uploaded = true;
        m.timestamp = Some(now - 21.0 * 3600.0);
        assert!(upload_expired(&m, now));
        m.timestamp = Some(now - 19.0 * 3600.0);
        assert!(!upload_expired(&m, now));
        // Committed files, or files never uploaded, are not concerned.
        m.timestamp = Some(now - 21.0 * 3600.0);
        m.is_committed = true;
        assert!(!upload_expired(&m, now));
        m.is_committed = false;
        m.is_uploaded = false;
        assert!(!upload_expired(&m, now));

        // Through the reader: metadata in Python's format, consistent with the file.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (name, age_h) in [("old.bin", 21.0), ("new.bin", 1.0)] {
            std::fs::write(root.join(name), b"abc").unwrap();
            let ts = unix_now() - age_h * 3600.0;
            let f = std::fs::File::options()
                .write(true)
                .open(root.join(name))
                .unwrap();
            f.set_modified(UNIX_EPOCH + Duration::from_secs_f64(ts - 3600.0))
                .unwrap();
            let text = format!("{ts}\n3\n0\n{}\nlfs\n1\n0\n", "ab".repeat(32));
            let p = metadata_path(root, name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let old = read_metadata(root, "old.bin", &root.join("old.bin")).unwrap();
        assert!(!old.is_uploaded, "21 h old upload must be redone");
        assert_eq!(old.sha256, Some("ab".repeat(32)), "but not re-hashed");
        let new = read_metadata(root, "new.bin", &root.join("new.bin")).unwrap();
        assert!(new.is_uploaded);
    }
}
