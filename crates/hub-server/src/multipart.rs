//! Multipart LFS uploads in progress.
//!
//! Every part is written in place into one staging file at its own offset, and the file is
//! hashed in part order as the parts arrive, on a blocking thread of its own. When the client
//! completes the upload, only the tail that arrived last is still to be hashed; the verified file
//! is then handed to the [`BlobStore`](crate::blobstore::BlobStore) as it is, without a second
//! copy. Earlier designs staged every part in its own file and concatenated them on completion:
//! that read, hashed and wrote the whole object again while the client waited.
//!
//! A part's bytes can change only while it is being written. Once a part is complete it is never
//! written again (a repeated PUT of it is read and discarded), so the running hash always covers
//! the bytes that end up stored. Two uploads of the same part at once (two clients uploading the
//! same content) take turns: the second waits for the first and writes only if the first failed.
//!
//! Uploads in progress survive a restart. The staging files live in their own directory (not the
//! temp directory wiped at start-up), named after the upload's key, and next to each a journal
//! (`….parts`) lists the parts stored so far, one number a line, appended once a part's bytes are
//! all written. At start-up every staging file with its journal becomes an upload in progress
//! again, with those parts stored: a client that keeps retrying its part PUTs across the restart
//! sends only the parts that had not arrived, and the hash is rebuilt from the stored bytes. A
//! part is journaled after its bytes are written but before they are fsynced: a `kill -9` keeps
//! them (the kernel has them), and after a power loss the sha256 check at completion refuses
//! whatever the disk lost. Uploads that are never completed are dropped once their signed URLs
//! have expired (by the staging file's age after a restart).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

/// Bytes gathered from the network before one blocking write call.
const WRITE_BATCH: usize = 2 * 1024 * 1024;
/// Read size of the hashing thread. Small enough that the buffer stays in L2 between the copy
/// out of the page cache and the hash (measured on a 2-core VM: 128-256 KiB read+hash at about
/// 1.35 GB/s, 1 MiB at 1.2, 4 MiB at 0.9).
const HASH_BUF: usize = 256 * 1024;
/// Stored bytes that start an early flush to disk. The kernel would otherwise hold them dirty
/// until completion, whose fsync would then write them while the client waits: what is still
/// dirty at completion is at most about this much plus the parts in flight, so it is kept to a
/// couple of parts (an early flush runs on a blocking thread, concurrently with the writes).
const FLUSH_EVERY: u64 = 32 * 1024 * 1024;

/// Errors of a multipart upload step. Messages are sent to the client.
#[derive(Debug, thiserror::Error)]
pub enum MultipartError {
    /// The request does not fit the upload (part number, sizes, missing parts).
    #[error("{0}")]
    Invalid(String),
    /// The assembled content does not hash to the declared oid; the upload is discarded.
    #[error("sha256 mismatch: expected {expected}, got {actual}")]
    HashMismatch {
        /// Declared oid.
        expected: String,
        /// Computed sha256.
        actual: String,
    },
    /// The body stream failed (client gone, body cut).
    #[error("upload interrupted: {0}")]
    Interrupted(String),
    /// Storage failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The multipart uploads in progress on this server.
#[derive(Debug)]
pub struct Multipart {
    tmp: PathBuf,
    ttl: Duration,
    uploads: Mutex<HashMap<Key, Arc<Upload>>>,
}

/// An upload is identified by everything its signed URLs commit to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    oid: String,
    size: u64,
    chunk: u64,
}

#[derive(Debug)]
struct Upload {
    key: Key,
    path: PathBuf,
    parts: u64,
    created: Instant,
    state: Mutex<State>,
    /// Bumped after every state change; waiters re-check the state.
    changed: watch::Sender<u64>,
    /// One completion at a time.
    finishing: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct State {
    parts: Vec<Part>,
    /// Parts `0..hashed` (zero-based) are in `hasher`.
    hashed: u64,
    /// `None` while the hashing thread holds it, or once the upload is finished.
    hasher: Option<Sha256>,
    hashing: bool,
    /// Bytes stored since the last early flush started, and whether one is running.
    unflushed: u64,
    flushing: bool,
    /// The hashing thread failed; the upload cannot complete.
    failed: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Empty,
    Writing,
    Done,
}

/// The outcome of [`Multipart::complete`].
#[derive(Debug)]
pub struct Completed {
    /// The staging file, holding exactly the verified content.
    pub path: PathBuf,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock cannot leave the state inconsistent in a way that matters
    // more than refusing to continue, so the poison is ignored.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Multipart {
    /// Uploads stage their files in `dir` (same filesystem as the blob store, kept across
    /// restarts) and are dropped `ttl` after they started if never completed. The uploads left
    /// in `dir` by a previous run are taken up again.
    pub fn new(dir: PathBuf, ttl: Duration) -> Self {
        let uploads = recover(&dir, ttl);
        Multipart {
            tmp: dir,
            ttl,
            uploads: Mutex::new(uploads),
        }
    }

    /// Parts stored so far (1-based numbers) of the upload of `oid` in progress, if any.
    pub fn stored_parts(&self, oid: &str, size: u64, chunk: u64) -> Option<Vec<u64>> {
        let up = self.upload(oid, size, chunk, false)?;
        let st = lock(&up.state);
        Some(
            (1..=up.parts)
                .filter(|n| st.parts[(*n - 1) as usize] == Part::Done)
                .collect(),
        )
    }

    fn upload(&self, oid: &str, size: u64, chunk: u64, create: bool) -> Option<Arc<Upload>> {
        let key = Key {
            oid: oid.to_ascii_lowercase(),
            size,
            chunk,
        };
        let mut map = self.uploads.lock().unwrap_or_else(|p| p.into_inner());
        let ttl = self.ttl;
        map.retain(|_, u| {
            let keep = u.created.elapsed() < ttl;
            if !keep {
                remove_staged(&u.path);
            }
            keep
        });
        if let Some(u) = map.get(&key) {
            return Some(u.clone());
        }
        if !create {
            return None;
        }
        let parts = size.div_ceil(chunk.max(1)).max(1);
        let path = self.tmp.join(format!(
            "mp-{}-{size}-{chunk}-{}",
            key.oid,
            uuid::Uuid::new_v4()
        ));
        let up = Arc::new(Upload::new(
            key.clone(),
            path,
            parts,
            Instant::now(),
            vec![Part::Empty; parts as usize],
        ));
        map.insert(key, up.clone());
        Some(up)
    }

    fn forget(&self, up: &Upload) {
        let mut map = self.uploads.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(&up.key).is_some_and(|u| std::ptr::eq(&**u, up)) {
            map.remove(&up.key);
        }
    }

    /// Stores part `number` (1-based) of the upload of `oid` from `body`. When the object is
    /// `already_stored` (a part repeated after completion), the body is only checked for size
    /// and discarded, and no new upload starts.
    pub async fn put_part<S, E>(
        &self,
        oid: &str,
        size: u64,
        chunk: u64,
        number: u64,
        already_stored: bool,
        mut body: S,
    ) -> Result<(), MultipartError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let parts = size.div_ceil(chunk.max(1)).max(1);
        if number == 0 || number > parts {
            return Err(MultipartError::Invalid(format!(
                "part number {number} out of range 1..={parts}"
            )));
        }
        let index = (number - 1) as usize;
        let offset = chunk * (number - 1);
        let expected = if number < parts {
            chunk
        } else {
            size - chunk * (parts - 1)
        };
        if already_stored {
            return discard_part(number, expected, &mut body).await;
        }
        let up = self
            .upload(oid, size, chunk, true)
            .ok_or_else(|| MultipartError::Invalid("upload not found".into()))?;
        if !up.claim(index).await {
            return discard_part(number, expected, &mut body).await;
        }
        let mut result = write_part(&up.path, offset, expected, number, &mut body).await;
        if result.is_ok()
            && let Err(e) = journal_part(&up.path, number).await
        {
            result = Err(e.into());
        }
        up.settle(index, result.as_ref().ok().map(|_| expected));
        result
    }

    /// Completes the upload of `oid`: every part must be stored; waits for the hash to catch up
    /// and checks it. On success the caller owns the returned staging file and must move it into
    /// the blob store. `Ok(None)` when there is no such upload in progress.
    pub async fn complete(
        &self,
        oid: &str,
        size: u64,
        chunk: u64,
    ) -> Result<Option<Completed>, MultipartError> {
        let Some(up) = self.upload(oid, size, chunk, false) else {
            return Ok(None);
        };
        let _one = up.finishing.lock().await;
        let mut changed = up.changed.subscribe();
        // An upload taken up after a restart may have every part already: start its hash.
        up.start_hashing_if_ready();
        enum Next {
            Wait,
            Failed(String),
            Hashed(Sha256),
            Gone,
        }
        let hasher = loop {
            let next = {
                let mut st = lock(&up.state);
                if let Some(missing) = st.parts.iter().position(|p| *p != Part::Done) {
                    return Err(MultipartError::Invalid(format!(
                        "Part {} of {} was not uploaded",
                        missing + 1,
                        up.parts
                    )));
                }
                if let Some(err) = st.failed.clone() {
                    Next::Failed(err)
                } else if st.hashed == up.parts && !st.hashing {
                    // `None`: finished by a concurrent completion.
                    st.hasher.take().map_or(Next::Gone, Next::Hashed)
                } else {
                    Next::Wait
                }
            };
            match next {
                Next::Hashed(h) => break h,
                Next::Gone => return Ok(None),
                Next::Failed(err) => {
                    self.forget(&up);
                    remove_staged(&up.path);
                    return Err(MultipartError::Io(std::io::Error::other(err)));
                }
                Next::Wait => {
                    if changed.changed().await.is_err() {
                        return Err(MultipartError::Io(std::io::Error::other(
                            "upload state closed",
                        )));
                    }
                }
            }
        };
        self.forget(&up);
        // From here on the staging file is either discarded or handed over: no journal needed.
        let _ = std::fs::remove_file(journal_path(&up.path));
        let actual = hex::encode(hasher.finalize());
        if !actual.eq_ignore_ascii_case(oid) {
            let _ = tokio::fs::remove_file(&up.path).await;
            return Err(MultipartError::HashMismatch {
                expected: oid.to_string(),
                actual,
            });
        }
        let path = up.path.clone();
        let len = tokio::fs::metadata(&path).await?.len();
        if len != size {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(MultipartError::Invalid(format!(
                "assembled upload has {len} bytes, expected {size}"
            )));
        }
        Ok(Some(Completed { path }))
    }
}

impl Upload {
    fn new(key: Key, path: PathBuf, parts: u64, created: Instant, stored: Vec<Part>) -> Upload {
        Upload {
            key,
            path,
            parts,
            created,
            state: Mutex::new(State {
                parts: stored,
                hashed: 0,
                hasher: Some(Sha256::new()),
                hashing: false,
                unflushed: 0,
                flushing: false,
                failed: None,
            }),
            changed: watch::channel(0).0,
            finishing: tokio::sync::Mutex::new(()),
        }
    }

    /// Starts the hashing thread when the next part to hash is stored and none is running.
    fn start_hashing_if_ready(self: &Arc<Self>) {
        let start = {
            let mut st = lock(&self.state);
            let ready = !st.hashing
                && st.hasher.is_some()
                && st.failed.is_none()
                && st
                    .parts
                    .get(st.hashed as usize)
                    .is_some_and(|p| *p == Part::Done);
            if ready {
                st.hashing = true;
            }
            ready
        };
        if start {
            let up = self.clone();
            tokio::task::spawn_blocking(move || up.hash_ready_parts());
        }
    }

    /// Takes part `index` for writing. `false` when it is already stored; waits while another
    /// request is writing it.
    async fn claim(&self, index: usize) -> bool {
        let mut changed = self.changed.subscribe();
        loop {
            {
                let mut st = lock(&self.state);
                match st.parts[index] {
                    Part::Done => return false,
                    Part::Empty => {
                        st.parts[index] = Part::Writing;
                        return true;
                    }
                    Part::Writing => {}
                }
            }
            if changed.changed().await.is_err() {
                // Cannot happen while `self` is alive; write the part rather than hang.
                return true;
            }
        }
    }

    /// Records the end of a write of part `index` (`stored`: its length, `None` if it failed),
    /// and starts hashing and an early flush when they can progress.
    fn settle(self: &Arc<Self>, index: usize, stored: Option<u64>) {
        let ok = stored.is_some();
        let flush = {
            let mut st = lock(&self.state);
            st.parts[index] = if ok { Part::Done } else { Part::Empty };
            st.unflushed += stored.unwrap_or(0);
            let flush = !st.flushing && st.unflushed >= FLUSH_EVERY;
            if flush {
                st.flushing = true;
                st.unflushed = 0;
            }
            flush
        };
        self.changed.send_modify(|v| *v += 1);
        if ok {
            self.start_hashing_if_ready();
        }
        if flush {
            let up = self.clone();
            tokio::task::spawn_blocking(move || {
                // Best effort: completion fsyncs anyway and reports any error.
                if let Ok(f) = std::fs::File::open(&up.path) {
                    let _ = f.sync_data();
                }
                lock(&up.state).flushing = false;
            });
        }
    }

    /// Hashes stored parts in order until the next one is not stored yet (blocking).
    fn hash_ready_parts(self: Arc<Self>) {
        let Some(mut hasher) = lock(&self.state).hasher.take() else {
            return;
        };
        let mut buf = vec![0u8; HASH_BUF];
        let file = std::fs::File::open(&self.path);
        loop {
            let next = {
                let mut st = lock(&self.state);
                let next = st.hashed;
                if next >= self.parts || st.parts[next as usize] != Part::Done {
                    st.hasher = Some(hasher);
                    st.hashing = false;
                    drop(st);
                    self.changed.send_modify(|v| *v += 1);
                    return;
                }
                next
            };
            let start = self.key.chunk * next;
            let len = (start + self.key.chunk).min(self.key.size) - start;
            let result = match &file {
                Ok(f) => hash_range(f, &mut hasher, &mut buf, start, len),
                Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
            };
            let mut st = lock(&self.state);
            match result {
                Ok(()) => st.hashed += 1,
                Err(e) => {
                    st.failed = Some(format!("reading the staged upload: {e}"));
                    st.hashing = false;
                    drop(st);
                    self.changed.send_modify(|v| *v += 1);
                    return;
                }
            }
            drop(st);
            self.changed.send_modify(|v| *v += 1);
        }
    }
}

/// The journal of stored parts next to a staging file.
fn journal_path(staged: &Path) -> PathBuf {
    let mut name = staged.as_os_str().to_owned();
    name.push(".parts");
    PathBuf::from(name)
}

/// Removes a staging file and its journal.
fn remove_staged(staged: &Path) {
    let _ = std::fs::remove_file(staged);
    let _ = std::fs::remove_file(journal_path(staged));
}

/// Appends part `number` to the journal of `staged` (one small write, so a killed process
/// leaves either the whole line or none of it).
async fn journal_part(staged: &Path, number: u64) -> std::io::Result<()> {
    let journal = journal_path(staged);
    tokio::task::spawn_blocking(move || {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(journal)?;
        f.write_all(format!("{number}\n").as_bytes())
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Parses a staging file name `mp-{oid}-{size}-{chunk}-{uuid}` into its upload key.
fn parse_staged_name(name: &str) -> Option<Key> {
    let rest = name.strip_prefix("mp-")?;
    let mut it = rest.splitn(4, '-');
    let oid = it.next()?;
    let size: u64 = it.next()?.parse().ok()?;
    let chunk: u64 = it.next()?.parse().ok()?;
    let uuid = it.next()?;
    if oid.len() != 64 || !oid.bytes().all(|b| b.is_ascii_hexdigit()) || chunk == 0 {
        return None;
    }
    if uuid.is_empty() || uuid.ends_with(".parts") {
        return None;
    }
    Some(Key {
        oid: oid.to_ascii_lowercase(),
        size,
        chunk,
    })
}

/// Takes up the uploads a previous run left in `dir`: each staging file with the parts its
/// journal lists. Expired uploads, stray files and journals without a staging file go.
fn recover(dir: &Path, ttl: Duration) -> HashMap<Key, Arc<Upload>> {
    let mut out: HashMap<Key, Arc<Upload>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(staged) = name.strip_suffix(".parts") {
            if !dir.join(staged).exists() {
                let _ = std::fs::remove_file(&path);
            }
            continue;
        }
        let age = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .unwrap_or_default();
        let key = match parse_staged_name(&name) {
            Some(k) if age < ttl && !out.contains_key(&k) => k,
            _ => {
                remove_staged(&path);
                continue;
            }
        };
        let parts = key.size.div_ceil(key.chunk).max(1);
        let mut stored = vec![Part::Empty; parts as usize];
        if let Ok(text) = std::fs::read_to_string(journal_path(&path)) {
            for n in text.lines().filter_map(|l| l.trim().parse::<u64>().ok()) {
                if (1..=parts).contains(&n) {
                    stored[(n - 1) as usize] = Part::Done;
                }
            }
        }
        let created = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
        let up = Upload::new(key.clone(), path, parts, created, stored);
        out.insert(key, Arc::new(up));
    }
    out
}

fn hash_range(
    file: &std::fs::File,
    hasher: &mut Sha256,
    buf: &mut [u8],
    mut offset: u64,
    len: u64,
) -> std::io::Result<()> {
    let end = offset + len;
    while offset < end {
        let want = ((end - offset) as usize).min(buf.len());
        let n = crate::positional::read_at(file, &mut buf[..want], offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        hasher.update(&buf[..n]);
        offset += n as u64;
    }
    Ok(())
}

/// Writes one part's body at `offset`, checking it is exactly `expected` bytes long.
async fn write_part<S, E>(
    path: &std::path::Path,
    offset: u64,
    expected: u64,
    number: u64,
    body: &mut S,
) -> Result<(), MultipartError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let file = {
        let path = path.to_path_buf();
        let f = tokio::task::spawn_blocking(move || {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
        })
        .await
        .map_err(std::io::Error::other)??;
        Arc::new(f)
    };
    let mut got = 0u64;
    let mut batch: Vec<Bytes> = Vec::new();
    let mut batched = 0usize;
    loop {
        let next = body.next().await;
        let end = match next {
            Some(Ok(c)) => {
                got += c.len() as u64;
                if got > expected {
                    return Err(MultipartError::Invalid(format!(
                        "part {number} larger than {expected} bytes"
                    )));
                }
                batched += c.len();
                batch.push(c);
                false
            }
            Some(Err(e)) => return Err(MultipartError::Interrupted(e.to_string())),
            None => true,
        };
        if batched >= WRITE_BATCH || (end && batched > 0) {
            let at = offset + got - batched as u64;
            let data = std::mem::take(&mut batch);
            batched = 0;
            let file = file.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let mut at = at;
                for b in &data {
                    crate::positional::write_all_at(&file, b, at)?;
                    at += b.len() as u64;
                }
                Ok(())
            })
            .await
            .map_err(std::io::Error::other)??;
        }
        if end {
            break;
        }
    }
    check_part_len(number, got, expected)
}

/// Reads a repeated part's body (whose bytes are already stored), checking only its size.
async fn discard_part<S, E>(number: u64, expected: u64, body: &mut S) -> Result<(), MultipartError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut got = 0u64;
    while let Some(c) = body.next().await {
        got += c
            .map_err(|e| MultipartError::Interrupted(e.to_string()))?
            .len() as u64;
    }
    check_part_len(number, got, expected)
}

fn check_part_len(number: u64, got: u64, expected: u64) -> Result<(), MultipartError> {
    if got > expected {
        return Err(MultipartError::Invalid(format!(
            "part {number} larger than {expected} bytes"
        )));
    }
    if got != expected {
        return Err(MultipartError::Invalid(format!(
            "part {number} has {got} bytes, expected {expected}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(chunks: Vec<&'static [u8]>) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
        futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))))
    }

    fn oid(data: &[u8]) -> String {
        hex::encode(Sha256::digest(data))
    }

    #[tokio::test]
    async fn parts_in_any_order_assemble_and_verify() {
        let tmp = tempfile::tempdir().unwrap();
        let mp = Multipart::new(tmp.path().to_path_buf(), Duration::from_secs(60));
        let data = b"0123456789abcdefghij"; // 20 bytes, chunks of 8: 8 + 8 + 4
        let oid = oid(data);
        mp.put_part(&oid, 20, 8, 3, false, body(vec![&data[16..]]))
            .await
            .unwrap();
        // Not complete yet.
        assert!(matches!(
            mp.complete(&oid, 20, 8).await,
            Err(MultipartError::Invalid(m)) if m == "Part 1 of 3 was not uploaded"
        ));
        mp.put_part(&oid, 20, 8, 1, false, body(vec![&data[..3], &data[3..8]]))
            .await
            .unwrap();
        // A repeated part is read and discarded, even with other bytes; its size is checked.
        assert!(matches!(
            mp.put_part(&oid, 20, 8, 1, false, body(vec![b"XXX"])).await,
            Err(MultipartError::Invalid(m)) if m.contains("has 3 bytes")
        ));
        mp.put_part(&oid, 20, 8, 1, false, body(vec![b"XXXXXXXX"]))
            .await
            .unwrap();
        mp.put_part(&oid, 20, 8, 2, false, body(vec![&data[8..16]]))
            .await
            .unwrap();
        let done = mp.complete(&oid, 20, 8).await.unwrap().unwrap();
        assert_eq!(std::fs::read(&done.path).unwrap(), data);
        // The upload is gone once completed, and a part repeated afterwards starts none.
        assert!(mp.complete(&oid, 20, 8).await.unwrap().is_none());
        mp.put_part(&oid, 20, 8, 2, true, body(vec![&data[8..16]]))
            .await
            .unwrap();
        assert!(mp.complete(&oid, 20, 8).await.unwrap().is_none());
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "only the result"
        );
    }

    #[tokio::test]
    async fn uploads_in_progress_survive_a_restart() {
        let tmp = tempfile::tempdir().unwrap();
        let data = b"0123456789abcdefghij"; // 20 bytes, chunks of 8: 8 + 8 + 4
        let oid = oid(data);
        {
            let mp = Multipart::new(tmp.path().to_path_buf(), Duration::from_secs(60));
            mp.put_part(&oid, 20, 8, 1, false, body(vec![&data[..8]]))
                .await
                .unwrap();
            mp.put_part(&oid, 20, 8, 3, false, body(vec![&data[16..]]))
                .await
                .unwrap();
            assert_eq!(mp.stored_parts(&oid, 20, 8), Some(vec![1, 3]));
            // Dropped without completing: the process is gone.
        }
        // A stray file and an orphan journal are swept; an expired upload is dropped.
        std::fs::write(tmp.path().join("junk"), b"x").unwrap();
        std::fs::write(tmp.path().join("mp-gone.parts"), b"1\n").unwrap();
        let mp = Multipart::new(tmp.path().to_path_buf(), Duration::from_secs(60));
        assert!(!tmp.path().join("junk").exists());
        assert!(!tmp.path().join("mp-gone.parts").exists());
        assert_eq!(mp.stored_parts(&oid, 20, 8), Some(vec![1, 3]));
        // The stored parts are not taken again; the missing one completes the upload.
        mp.put_part(&oid, 20, 8, 1, false, body(vec![b"XXXXXXXX"]))
            .await
            .unwrap();
        mp.put_part(&oid, 20, 8, 2, false, body(vec![&data[8..16]]))
            .await
            .unwrap();
        let done = mp.complete(&oid, 20, 8).await.unwrap().unwrap();
        assert_eq!(std::fs::read(&done.path).unwrap(), data);
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "only the result, no journal"
        );
        std::fs::remove_file(&done.path).unwrap();

        // Every part stored before the restart: completion alone finishes it.
        {
            let mp = Multipart::new(tmp.path().to_path_buf(), Duration::from_secs(60));
            for (n, range) in [(1, 0..8), (2, 8..16), (3, 16..20)] {
                mp.put_part(&oid, 20, 8, n, false, body(vec![&data[range]]))
                    .await
                    .unwrap();
            }
        }
        let mp = Multipart::new(tmp.path().to_path_buf(), Duration::from_secs(60));
        let done = mp.complete(&oid, 20, 8).await.unwrap().unwrap();
        assert_eq!(std::fs::read(&done.path).unwrap(), data);
        std::fs::remove_file(&done.path).unwrap();

        // Past the time-to-live, a left-over upload is dropped at start-up.
        {
            let mp = Multipart::new(tmp.path().to_path_buf(), Duration::from_secs(60));
            mp.put_part(&oid, 20, 8, 1, false, body(vec![&data[..8]]))
                .await
                .unwrap();
        }
        let mp = Multipart::new(tmp.path().to_path_buf(), Duration::ZERO);
        assert_eq!(mp.stored_parts(&oid, 20, 8), None);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn wrong_sizes_and_content_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let mp = Multipart::new(tmp.path().to_path_buf(), Duration::from_secs(60));
        let data = b"0123456789";
        let oid = oid(data);
        assert!(matches!(
            mp.put_part(&oid, 10, 5, 3, false, body(vec![b"x"])).await,
            Err(MultipartError::Invalid(_))
        ));
        assert!(matches!(
            mp.put_part(&oid, 10, 5, 1, false, body(vec![b"012345"])).await,
            Err(MultipartError::Invalid(m)) if m.contains("larger")
        ));
        assert!(matches!(
            mp.put_part(&oid, 10, 5, 1, false, body(vec![b"0123"])).await,
            Err(MultipartError::Invalid(m)) if m.contains("has 4 bytes")
        ));
        // A failed part can be sent again.
        mp.put_part(&oid, 10, 5, 1, false, body(vec![b"01234"]))
            .await
            .unwrap();
        mp.put_part(&oid, 10, 5, 2, false, body(vec![b"zzzzz"]))
            .await
            .unwrap();
        assert!(matches!(
            mp.complete(&oid, 10, 5).await,
            Err(MultipartError::HashMismatch { .. })
        ));
        // Nothing is left behind.
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn interrupted_body_frees_the_part() {
        let tmp = tempfile::tempdir().unwrap();
        let mp = Multipart::new(tmp.path().to_path_buf(), Duration::from_secs(60));
        let data = b"abcdef";
        let oid = oid(data);
        let cut = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"ab")),
            Err("connection reset".to_string()),
        ]);
        assert!(matches!(
            mp.put_part(&oid, 6, 3, 1, false, cut).await,
            Err(MultipartError::Interrupted(_))
        ));
        mp.put_part(&oid, 6, 3, 1, false, body(vec![b"abc"]))
            .await
            .unwrap();
        mp.put_part(&oid, 6, 3, 2, false, body(vec![b"def"]))
            .await
            .unwrap();
        let done = mp.complete(&oid, 6, 3).await.unwrap().unwrap();
        assert_eq!(std::fs::read(&done.path).unwrap(), data);
    }

    #[tokio::test]
    async fn concurrent_writers_of_one_part_take_turns() {
        let tmp = tempfile::tempdir().unwrap();
        let mp = Arc::new(Multipart::new(
            tmp.path().to_path_buf(),
            Duration::from_secs(60),
        ));
        let data: Vec<u8> = (0..64 * 1024u32).map(|i| (i % 251) as u8).collect();
        let oid = oid(&data);
        let data: &'static [u8] = Box::leak(data.into_boxed_slice());
        let mut tasks = Vec::new();
        for _ in 0..4 {
            for part in 1..=4u64 {
                let mp = mp.clone();
                let oid = oid.clone();
                let start = (part as usize - 1) * 16 * 1024;
                tasks.push(tokio::spawn(async move {
                    let chunks: Vec<&'static [u8]> =
                        data[start..start + 16 * 1024].chunks(1000).collect();
                    mp.put_part(
                        &oid,
                        data.len() as u64,
                        16 * 1024,
                        part,
                        false,
                        body(chunks),
                    )
                    .await
                }));
            }
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let done = mp
            .complete(&oid, data.len() as u64, 16 * 1024)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(std::fs::read(&done.path).unwrap(), data);
    }

    #[tokio::test]
    async fn stale_uploads_are_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let mp = Multipart::new(tmp.path().to_path_buf(), Duration::ZERO);
        let oid = oid(b"abcdef");
        mp.put_part(&oid, 6, 3, 1, false, body(vec![b"abc"]))
            .await
            .unwrap();
        // The next lookup drops the expired upload and its staging file.
        assert!(mp.complete(&oid, 6, 3).await.unwrap().is_none());
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
