//! Minimal git object database and ref store, compatible with real git (`git fsck` clean).
//!
//! All functions here are synchronous (std::fs); the async layer calls them inside
//! `spawn_blocking`. Objects are written as loose objects (zlib, sha1 name) with temp + fsync +
//! rename, or, when a commit creates many at once, through an [`ObjectBatch`] into one pack
//! ([`crate::pack`]); refs are updated with git's own `.lock` protocol and a compare-and-swap.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use sha1::{Digest, Sha1};

/// A git object id (40 lowercase hex chars).
pub type Oid = String;

/// Kind of a git object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// File content.
    Blob,
    /// Directory listing.
    Tree,
    /// Commit.
    Commit,
    /// Annotated tag.
    Tag,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Blob => "blob",
            Kind::Tree => "tree",
            Kind::Commit => "commit",
            Kind::Tag => "tag",
        }
    }
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "blob" => Kind::Blob,
            "tree" => Kind::Tree,
            "commit" => Kind::Commit,
            "tag" => Kind::Tag,
            _ => return None,
        })
    }
}

/// Errors of ref updates.
#[derive(Debug, thiserror::Error)]
pub enum RefError {
    /// The ref did not hold the expected old value.
    #[error("ref {0} changed concurrently")]
    Stale(String),
    /// Disk I/O failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Whether `s` is a full 40-hex object id.
pub fn is_oid(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Git blob id of `data` (sha1 of `blob <len>\0<data>`).
pub fn blob_oid(data: &[u8]) -> Oid {
    hash_object(Kind::Blob, data)
}

/// Object id of `data` as an object of `kind`.
pub fn hash_object(kind: Kind, data: &[u8]) -> Oid {
    let mut h = Sha1::new();
    h.update(format!("{} {}\0", kind.as_str(), data.len()).as_bytes());
    h.update(data);
    hex::encode(h.finalize())
}

/// A bare git repository on disk.
#[derive(Debug, Clone)]
pub struct GitRepo {
    dir: PathBuf,
}

/// Git config written into every repository: keep pushed objects loose (so this module can read
/// them without a pack reader), never auto-gc behind the server's back, allow pushes over HTTP.
const REPO_CONFIG: &str = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n\
[receive]\n\tunpackLimit = 1000000\n\tautogc = false\n[transfer]\n\tunpackLimit = 1000000\n\
[gc]\n\tauto = 0\n[http]\n\treceivepack = true\n\tuploadpack = true\n";

impl GitRepo {
    /// Opens an existing repository directory (no check).
    pub fn open(dir: impl Into<PathBuf>) -> Self {
        GitRepo { dir: dir.into() }
    }

    /// Creates the skeleton of a bare repository at `dir` (which must not exist or be empty).
    pub fn init(dir: &Path) -> std::io::Result<GitRepo> {
        std::fs::create_dir_all(dir.join("objects/info"))?;
        std::fs::create_dir_all(dir.join("objects/pack"))?;
        std::fs::create_dir_all(dir.join("refs/heads"))?;
        std::fs::create_dir_all(dir.join("refs/tags"))?;
        std::fs::create_dir_all(dir.join("info"))?;
        write_synced(&dir.join("HEAD"), b"ref: refs/heads/main\n")?;
        write_synced(&dir.join("config"), REPO_CONFIG.as_bytes())?;
        write_synced(&dir.join("description"), b"Hub repository\n")?;
        Ok(GitRepo {
            dir: dir.to_path_buf(),
        })
    }

    /// The repository directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn loose_path(&self, oid: &str) -> PathBuf {
        self.dir.join("objects").join(&oid[..2]).join(&oid[2..])
    }

    /// Writes an object (no-op when present) and returns its id. Durable when this returns.
    pub fn write(&self, kind: Kind, data: &[u8]) -> std::io::Result<Oid> {
        let oid = hash_object(kind, data);
        let path = self.loose_path(&oid);
        if path.exists() {
            return Ok(oid);
        }
        let dir = path
            .parent()
            .ok_or_else(|| std::io::Error::other("bad object path"))?;
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            // The new fan-out directory entry must be durable before objects inside it count.
            crate::util::sync_dir(&self.dir.join("objects"));
        }
        // Temp names start with `.tmp`; leftovers of a killed writer are swept at start-up.
        let tmp = tempfile::Builder::new().prefix(".tmp").tempfile_in(dir)?;
        {
            let mut enc = ZlibEncoder::new(tmp.as_file(), Compression::fast());
            enc.write_all(format!("{} {}\0", kind.as_str(), data.len()).as_bytes())?;
            enc.write_all(data)?;
            enc.finish()?;
        }
        tmp.as_file().sync_all()?;
        match tmp.persist_noclobber(&path) {
            Ok(_) => {}
            // Another writer stored the same content first: identical by construction.
            Err(e) if path.exists() => drop(e),
            Err(e) => return Err(e.error),
        }
        crate::util::sync_dir(dir);
        Ok(oid)
    }

    /// Starts a batch of new objects that become durable together.
    pub fn batch(&self) -> ObjectBatch<'_> {
        ObjectBatch {
            repo: self,
            packs: None,
            objects: Vec::new(),
            ids: std::collections::HashSet::new(),
        }
    }

    /// Reads an object (loose, else from a pack; delta objects via `git cat-file`). `None` if
    /// absent.
    pub fn read(&self, oid: &str) -> std::io::Result<Option<(Kind, Vec<u8>)>> {
        if !is_oid(oid) {
            return Ok(None);
        }
        let path = self.loose_path(oid);
        match std::fs::File::open(&path) {
            Ok(f) => {
                let mut raw = Vec::new();
                ZlibDecoder::new(std::io::BufReader::new(f)).read_to_end(&mut raw)?;
                let nul = raw
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or_else(|| corrupt(oid))?;
                let header = std::str::from_utf8(&raw[..nul]).map_err(|_| corrupt(oid))?;
                let kind = header
                    .split(' ')
                    .next()
                    .and_then(Kind::parse)
                    .ok_or_else(|| corrupt(oid))?;
                raw.drain(..=nul);
                Ok(Some((kind, raw)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.read_packed(oid),
            Err(e) => Err(e),
        }
    }

    /// Kind and size of an object without reading all of it (loose objects inflate only the header).
    pub fn header(&self, oid: &str) -> std::io::Result<Option<(Kind, u64)>> {
        if !is_oid(oid) {
            return Ok(None);
        }
        match std::fs::File::open(self.loose_path(oid)) {
            Ok(f) => {
                let mut dec = ZlibDecoder::new(f);
                let mut buf = [0u8; 64];
                let mut n = 0;
                while n < buf.len() {
                    let r = dec.read(&mut buf[n..])?;
                    if r == 0 {
                        break;
                    }
                    n += r;
                    if buf[..n].contains(&0) {
                        break;
                    }
                }
                let nul = buf[..n]
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or_else(|| corrupt(oid))?;
                let header = std::str::from_utf8(&buf[..nul]).map_err(|_| corrupt(oid))?;
                let mut it = header.split(' ');
                let kind = it
                    .next()
                    .and_then(Kind::parse)
                    .ok_or_else(|| corrupt(oid))?;
                let size = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| corrupt(oid))?;
                Ok(Some((kind, size)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(self.read_packed(oid)?.map(|(k, d)| (k, d.len() as u64)))
            }
            Err(e) => Err(e),
        }
    }

    /// Opens a streaming reader over a blob's content (skipping the object header). Packed objects
    /// are read fully into memory first (they only come from git pushes).
    pub fn blob_reader(&self, oid: &str) -> std::io::Result<Option<Box<dyn Read + Send>>> {
        if !is_oid(oid) {
            return Ok(None);
        }
        match std::fs::File::open(self.loose_path(oid)) {
            Ok(f) => {
                let mut dec = ZlibDecoder::new(std::io::BufReader::with_capacity(256 * 1024, f));
                // Skip "blob <size>\0".
                let mut b = [0u8; 1];
                loop {
                    if dec.read(&mut b)? == 0 {
                        return Err(corrupt(oid));
                    }
                    if b[0] == 0 {
                        break;
                    }
                }
                Ok(Some(Box::new(dec)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(self
                .read_packed(oid)?
                .map(|(_, d)| Box::new(std::io::Cursor::new(d)) as Box<dyn Read + Send>)),
            Err(e) => Err(e),
        }
    }

    /// Every object id (loose or packed) starting with `prefix` (4 to 40 hex digits, any case),
    /// for resolving abbreviated ids as git does.
    pub fn ids_with_prefix(&self, prefix: &str) -> std::io::Result<Vec<Oid>> {
        if !(4..=40).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(vec![]);
        }
        let prefix = prefix.to_ascii_lowercase();
        let mut out = crate::pack::Packs::open(&self.dir.join("objects"))?.with_prefix(&prefix);
        let (fan, rest) = prefix.split_at(2);
        match std::fs::read_dir(self.dir.join("objects").join(fan)) {
            Ok(rd) => {
                for e in rd.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.len() == 38 && name.starts_with(rest) && is_oid(&format!("{fan}{name}"))
                    {
                        out.push(format!("{fan}{name}"));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn read_packed(&self, oid: &str) -> std::io::Result<Option<(Kind, Vec<u8>)>> {
        match crate::pack::Packs::open(&self.dir.join("objects"))?.find(oid)? {
            Some(crate::pack::Found::Object(kind, data)) => return Ok(Some((kind, data))),
            // A delta, or a pack whose index this module cannot parse: git resolves it.
            Some(crate::pack::Found::Delta) => {}
            // Every index was read and none lists it: no pack holds it, so no process spawn.
            None => return Ok(None),
        }
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&self.dir)
            .args(["cat-file", "-t", oid])
            .output()?;
        if !out.status.success() {
            return Ok(None);
        }
        let kind_s = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let Some(kind) = Kind::parse(&kind_s) else {
            return Ok(None);
        };
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&self.dir)
            .args(["cat-file", &kind_s, oid])
            .output()?;
        if !out.status.success() {
            return Ok(None);
        }
        Ok(Some((kind, out.stdout)))
    }

    fn ref_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reads a full ref name (`refs/heads/main`), loose first, then `packed-refs`.
    pub fn read_ref(&self, name: &str) -> std::io::Result<Option<Oid>> {
        if !valid_full_ref(name) {
            return Ok(None);
        }
        match std::fs::read_to_string(self.ref_path(name)) {
            Ok(s) => {
                let s = s.trim();
                if let Some(target) = s.strip_prefix("ref: ") {
                    return self.read_ref(target.trim());
                }
                return Ok(if is_oid(s) {
                    Some(s.to_ascii_lowercase())
                } else {
                    None
                });
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    || e.kind() == std::io::ErrorKind::IsADirectory => {}
            Err(e) if e.raw_os_error() == Some(21) || e.raw_os_error() == Some(20) => {}
            Err(e) => return Err(e),
        }
        Ok(self
            .packed_refs()?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, o)| o))
    }

    fn packed_refs(&self) -> std::io::Result<Vec<(String, Oid)>> {
        match std::fs::read_to_string(self.dir.join("packed-refs")) {
            Ok(s) => Ok(s
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
                .filter_map(|l| {
                    let (oid, name) = l.split_once(' ')?;
                    is_oid(oid).then(|| (name.trim().to_string(), oid.to_string()))
                })
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
            Err(e) => Err(e),
        }
    }

    /// All refs under `refs/` (loose override packed), sorted by name.
    pub fn list_refs(&self) -> std::io::Result<Vec<(String, Oid)>> {
        let mut map: std::collections::BTreeMap<String, Oid> =
            self.packed_refs()?.into_iter().collect();
        let mut stack = vec![("refs".to_string(), self.dir.join("refs"))];
        while let Some((name, path)) = stack.pop() {
            let rd = match std::fs::read_dir(&path) {
                Ok(rd) => rd,
                Err(_) => continue,
            };
            for e in rd.flatten() {
                let fname = e.file_name().to_string_lossy().to_string();
                let child = format!("{name}/{fname}");
                let ft = e.file_type()?;
                if ft.is_dir() {
                    stack.push((child, e.path()));
                } else if !fname.ends_with(".lock")
                    && let Ok(s) = std::fs::read_to_string(e.path())
                {
                    let s = s.trim();
                    if is_oid(s) {
                        map.insert(child, s.to_string());
                    }
                }
            }
        }
        Ok(map.into_iter().collect())
    }

    /// Compare-and-swap a ref: `expected` is the required current value (`None` = must not exist),
    /// `new` is the value to store (`None` = delete). Uses git's `.lock` file protocol.
    pub fn update_ref(
        &self,
        name: &str,
        expected: Option<&str>,
        new: Option<&str>,
    ) -> Result<(), RefError> {
        if !valid_full_ref(name) {
            return Err(RefError::Io(std::io::Error::other(format!(
                "invalid ref name {name}"
            ))));
        }
        let path = self.ref_path(name);
        let dir = path
            .parent()
            .ok_or_else(|| std::io::Error::other("bad ref path"))?
            .to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let lock_path = PathBuf::from(format!("{}.lock", path.display()));
        let lock = acquire_lock(&lock_path)?;
        let result = (|| {
            let current = self.read_ref(name)?;
            if current.as_deref() != expected {
                return Err(RefError::Stale(name.to_string()));
            }
            match new {
                Some(new) => {
                    let mut f = &lock.file;
                    f.write_all(format!("{new}\n").as_bytes())?;
                    f.sync_all()?;
                    std::fs::rename(&lock_path, &path)?;
                    crate::util::sync_dir(&dir);
                }
                None => {
                    match std::fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e.into()),
                    }
                    self.remove_packed(name)?;
                    let _ = std::fs::remove_file(&lock_path);
                    crate::util::sync_dir(&dir);
                }
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&lock_path);
        }
        result
    }

    fn remove_packed(&self, name: &str) -> std::io::Result<()> {
        let path = self.dir.join("packed-refs");
        let Ok(content) = std::fs::read_to_string(&path) else {
            return Ok(());
        };
        if !content.lines().any(|l| {
            l.split_once(' ')
                .map(|(_, n)| n.trim() == name)
                .unwrap_or(false)
        }) {
            return Ok(());
        }
        let lock_path = self.dir.join("packed-refs.lock");
        let lock = acquire_lock(&lock_path)?;
        let mut out = String::new();
        let mut skip_peel = false;
        for l in content.lines() {
            if l.starts_with('^') {
                if !skip_peel {
                    out.push_str(l);
                    out.push('\n');
                }
                continue;
            }
            skip_peel = l
                .split_once(' ')
                .map(|(_, n)| n.trim() == name)
                .unwrap_or(false);
            if !skip_peel {
                out.push_str(l);
                out.push('\n');
            }
        }
        let mut f = &lock.file;
        f.write_all(out.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&lock_path, &path)?;
        Ok(())
    }

    /// Follows annotated tags down to a commit id.
    pub fn peel_to_commit(&self, oid: &str) -> std::io::Result<Option<Oid>> {
        let mut cur = oid.to_string();
        for _ in 0..10 {
            match self.header(&cur)? {
                Some((Kind::Commit, _)) => return Ok(Some(cur)),
                Some((Kind::Tag, _)) => {
                    let Some((_, data)) = self.read(&cur)? else {
                        return Ok(None);
                    };
                    let text = String::from_utf8_lossy(&data);
                    let Some(target) = text.lines().next().and_then(|l| l.strip_prefix("object "))
                    else {
                        return Ok(None);
                    };
                    cur = target.trim().to_string();
                }
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Reads and parses a commit.
    pub fn commit(&self, oid: &str) -> std::io::Result<Option<Commit>> {
        match self.read(oid)? {
            Some((Kind::Commit, data)) => Ok(Commit::parse(&data)),
            _ => Ok(None),
        }
    }

    /// Reads and parses a tree.
    pub fn tree(&self, oid: &str) -> std::io::Result<Option<Vec<TreeEntry>>> {
        match self.read(oid)? {
            Some((Kind::Tree, data)) => Ok(Some(parse_tree(&data).ok_or_else(|| corrupt(oid))?)),
            _ => Ok(None),
        }
    }
}

struct LockFile {
    file: std::fs::File,
}

/// Objects at least this large are written loose right away: a pack batch keeps its objects in
/// memory until it is written.
const BATCH_LOOSE_SIZE: usize = 1024 * 1024;
/// Batches with fewer objects are written as loose objects: a pack per small commit would
/// multiply the packs to search.
const BATCH_PACK_MIN: usize = 16;

/// New objects collected by [`GitRepo::batch`]: ids are known at once, and [`ObjectBatch::finish`]
/// makes them all durable with a single pack file (or as loose objects when there are few).
/// Nothing written by an unfinished batch may be referenced by a ref.
#[derive(Debug)]
pub struct ObjectBatch<'a> {
    repo: &'a GitRepo,
    /// The repository's packs, listed on the first lookup and reused for every object.
    packs: Option<crate::pack::Packs>,
    objects: Vec<(Oid, Kind, Vec<u8>)>,
    ids: std::collections::HashSet<Oid>,
}

impl ObjectBatch<'_> {
    /// Adds an object (skipped when already stored) and returns its id.
    pub fn add(&mut self, kind: Kind, data: Vec<u8>) -> std::io::Result<Oid> {
        let oid = hash_object(kind, &data);
        if self.ids.contains(&oid) || self.stored(&oid)? {
            return Ok(oid);
        }
        if data.len() >= BATCH_LOOSE_SIZE {
            return self.repo.write(kind, &data);
        }
        self.ids.insert(oid.clone());
        self.objects.push((oid.clone(), kind, data));
        Ok(oid)
    }

    /// Whether the repository already holds `oid`, loose or in a pack.
    fn stored(&mut self, oid: &str) -> std::io::Result<bool> {
        if self.repo.loose_path(oid).exists() {
            return Ok(true);
        }
        if self.packs.is_none() {
            self.packs = Some(crate::pack::Packs::open(&self.repo.dir.join("objects"))?);
        }
        Ok(self.packs.as_ref().is_some_and(|p| p.contains(oid)))
    }

    /// Writes the collected objects; they are durable when this returns.
    pub fn finish(self) -> std::io::Result<()> {
        if self.objects.len() < BATCH_PACK_MIN {
            for (_, kind, data) in &self.objects {
                self.repo.write(*kind, data)?;
            }
            return Ok(());
        }
        let mut objects = Vec::with_capacity(self.objects.len());
        for (oid, kind, data) in &self.objects {
            let mut id = [0u8; 20];
            hex::decode_to_slice(oid, &mut id).map_err(std::io::Error::other)?;
            objects.push(crate::pack::PackObject {
                id,
                kind: *kind,
                data,
            });
        }
        crate::pack::write(&self.repo.dir.join("objects").join("pack"), &objects)?;
        Ok(())
    }
}

fn acquire_lock(path: &Path) -> std::io::Result<LockFile> {
    // Up to ~10 s: longer than the stale-lock age below, so a stale lock is always reclaimed.
    for attempt in 0..500 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(file) => return Ok(LockFile { file }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // A lock left behind by a killed process never goes away by itself; no live
                // writer holds a ref lock for more than a moment.
                if let Ok(meta) = std::fs::metadata(path)
                    && let Ok(age) = meta.modified().map(|m| m.elapsed().unwrap_or_default())
                    && age > Duration::from_secs(5)
                {
                    let _ = std::fs::remove_file(path);
                    continue;
                }
                std::thread::sleep(Duration::from_millis(10 + attempt % 20));
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "could not lock {}",
        path.display()
    )))
}

fn write_synced(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(data)?;
    f.sync_all()
}

fn corrupt(oid: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("corrupt object {oid}"),
    )
}

/// Loose validity check of a full ref name (`refs/...`), following `git check-ref-format` rules.
pub fn valid_full_ref(name: &str) -> bool {
    name.starts_with("refs/") && valid_ref_suffix(&name[5..])
}

/// Validity of a branch/tag name (the part after `refs/heads/` or `refs/tags/`).
pub fn valid_ref_suffix(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.ends_with('.')
        && !name.ends_with(".lock")
        && name != "@"
        && name
            .split('/')
            .all(|c| !c.is_empty() && !c.starts_with('.') && !c.ends_with(".lock"))
        && name.chars().all(|c| {
            !c.is_control() && !matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\')
        })
}

/// One tree entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Mode as written by git (`100644`, `100755`, `120000`, `40000`, `160000`).
    pub mode: String,
    /// Entry name (one path component).
    pub name: String,
    /// Object id.
    pub oid: Oid,
}

impl TreeEntry {
    /// Whether the entry is a sub-tree.
    pub fn is_tree(&self) -> bool {
        self.mode == "40000" || self.mode == "040000"
    }
}

/// Parses a raw tree object.
pub fn parse_tree(data: &[u8]) -> Option<Vec<TreeEntry>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let sp = data[i..].iter().position(|&b| b == b' ')? + i;
        let nul = data[sp..].iter().position(|&b| b == 0)? + sp;
        if nul + 21 > data.len() {
            return None;
        }
        let mode = std::str::from_utf8(&data[i..sp]).ok()?.to_string();
        let name = String::from_utf8_lossy(&data[sp + 1..nul]).to_string();
        let oid = hex::encode(&data[nul + 1..nul + 21]);
        out.push(TreeEntry { mode, name, oid });
        i = nul + 21;
    }
    Some(out)
}

/// Serializes entries into a tree object, in git's canonical order (trees sort as `name/`).
pub fn serialize_tree(entries: &mut [TreeEntry]) -> Option<Vec<u8>> {
    entries.sort_by(|a, b| {
        let ka = if a.is_tree() {
            format!("{}/", a.name)
        } else {
            a.name.clone()
        };
        let kb = if b.is_tree() {
            format!("{}/", b.name)
        } else {
            b.name.clone()
        };
        ka.as_bytes().cmp(kb.as_bytes())
    });
    let mut out = Vec::new();
    for e in entries.iter() {
        out.extend_from_slice(e.mode.as_bytes());
        out.push(b' ');
        out.extend_from_slice(e.name.as_bytes());
        out.push(0);
        out.extend_from_slice(&hex::decode(&e.oid).ok()?);
    }
    Some(out)
}

/// A parsed commit.
#[derive(Debug, Clone)]
pub struct Commit {
    /// Root tree.
    pub tree: Oid,
    /// Parents (first parent first).
    pub parents: Vec<Oid>,
    /// Author name (Hub user name).
    pub author: String,
    /// Author e-mail.
    pub author_email: String,
    /// Committer time, unix seconds.
    pub time: i64,
    /// Full message.
    pub message: String,
}

impl Commit {
    /// Parses a raw commit object.
    pub fn parse(data: &[u8]) -> Option<Commit> {
        let text = String::from_utf8_lossy(data);
        let (head, message) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut c = Commit {
            tree: String::new(),
            parents: vec![],
            author: String::new(),
            author_email: String::new(),
            time: 0,
            message: message.to_string(),
        };
        for line in head.lines() {
            if let Some(t) = line.strip_prefix("tree ") {
                c.tree = t.trim().to_string();
            } else if let Some(p) = line.strip_prefix("parent ") {
                c.parents.push(p.trim().to_string());
            } else if let Some(a) = line.strip_prefix("author ") {
                if let Some((name, rest)) = a.split_once(" <") {
                    c.author = name.to_string();
                    if let Some((email, rest)) = rest.split_once("> ") {
                        c.author_email = email.to_string();
                        if c.time == 0 {
                            c.time = rest
                                .split(' ')
                                .next()
                                .and_then(|t| t.parse().ok())
                                .unwrap_or(0);
                        }
                    }
                }
            } else if let Some(cm) = line.strip_prefix("committer ")
                && let Some((_, rest)) = cm.rsplit_once("> ")
                && let Some(t) = rest.split(' ').next().and_then(|t| t.parse().ok())
            {
                c.time = t;
            }
        }
        (!c.tree.is_empty()).then_some(c)
    }

    /// Serializes a commit object.
    pub fn serialize(&self) -> Vec<u8> {
        let mut s = format!("tree {}\n", self.tree);
        for p in &self.parents {
            s.push_str(&format!("parent {p}\n"));
        }
        let ident = format!(
            "{} <{}> {} +0000",
            sanitize_ident(&self.author),
            sanitize_ident(&self.author_email),
            self.time
        );
        s.push_str(&format!("author {ident}\ncommitter {ident}\n\n"));
        s.push_str(&self.message);
        if !self.message.ends_with('\n') {
            s.push('\n');
        }
        s.into_bytes()
    }

    /// First line of the message.
    pub fn title(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

fn sanitize_ident(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '<' | '>' | '\n'))
        .collect()
}

/// Builds an annotated tag object.
pub fn tag_object(target: &str, name: &str, tagger: &str, time: i64, message: &str) -> Vec<u8> {
    let mut s = format!(
        "object {target}\ntype commit\ntag {name}\ntagger {} <{}@users.noreply> {time} +0000\n\n{message}",
        sanitize_ident(tagger),
        sanitize_ident(tagger)
    );
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.into_bytes()
}

/// Parsed LFS pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfsPointer {
    /// sha256 hex of the content.
    pub oid: String,
    /// Content size.
    pub size: u64,
}

/// Builds the canonical LFS pointer text.
pub fn lfs_pointer(oid: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n")
}

/// Parses an LFS pointer (returns `None` for ordinary content).
pub fn parse_lfs_pointer(data: &[u8]) -> Option<LfsPointer> {
    if data.len() > 1024 || !data.starts_with(b"version https://git-lfs.github.com/spec/") {
        return None;
    }
    let text = std::str::from_utf8(data).ok()?;
    let mut oid = None;
    let mut size = None;
    for line in text.lines() {
        if let Some(o) = line.strip_prefix("oid sha256:") {
            let o = o.trim();
            if o.len() == 64 && o.bytes().all(|b| b.is_ascii_hexdigit()) {
                oid = Some(o.to_ascii_lowercase());
            }
        } else if let Some(s) = line.strip_prefix("size ") {
            size = s.trim().parse().ok();
        }
    }
    Some(LfsPointer {
        oid: oid?,
        size: size?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_oid(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(blob_oid(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn objects_refs_roundtrip_and_fsck() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = GitRepo::init(&tmp.path().join("r.git")).unwrap();
        let b = repo.write(Kind::Blob, b"hello\n").unwrap();
        let mut entries = vec![TreeEntry {
            mode: "100644".into(),
            name: "a.txt".into(),
            oid: b.clone(),
        }];
        let sub = repo
            .write(Kind::Tree, &serialize_tree(&mut entries.clone()).unwrap())
            .unwrap();
        entries.push(TreeEntry {
            mode: "40000".into(),
            name: "a".into(),
            oid: sub,
        });
        let tree = repo
            .write(Kind::Tree, &serialize_tree(&mut entries).unwrap())
            .unwrap();
        let c = Commit {
            tree: tree.clone(),
            parents: vec![],
            author: "alice".into(),
            author_email: "alice@x".into(),
            time: 1_700_000_000,
            message: "init\n\nbody".into(),
        };
        let coid = repo.write(Kind::Commit, &c.serialize()).unwrap();
        repo.update_ref("refs/heads/main", None, Some(&coid))
            .unwrap();
        assert!(matches!(
            repo.update_ref("refs/heads/main", None, Some(&coid)),
            Err(RefError::Stale(_))
        ));
        assert_eq!(
            repo.read_ref("refs/heads/main").unwrap(),
            Some(coid.clone())
        );
        let parsed = repo.commit(&coid).unwrap().unwrap();
        assert_eq!(parsed.tree, tree);
        assert_eq!(parsed.title(), "init");
        assert_eq!(repo.header(&b).unwrap(), Some((Kind::Blob, 6)));
        let t = repo.tree(&tree).unwrap().unwrap();
        assert_eq!(
            t.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            vec!["a.txt", "a"]
        ); // git order: "a.txt" < "a/"
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(repo.dir())
            .args(["fsck", "--strict"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(repo.dir())
            .args(["rev-parse", "main"])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), coid);
        repo.update_ref("refs/heads/main", Some(&coid), None)
            .unwrap();
        assert_eq!(repo.read_ref("refs/heads/main").unwrap(), None);
    }

    #[test]
    fn lfs_pointer_roundtrip() {
        let oid = "a".repeat(64);
        let p = lfs_pointer(&oid, 42);
        assert_eq!(
            parse_lfs_pointer(p.as_bytes()),
            Some(LfsPointer { oid, size: 42 })
        );
        assert_eq!(parse_lfs_pointer(b"hello"), None);
    }

    #[test]
    fn ref_names() {
        assert!(valid_ref_suffix("feature/x"));
        assert!(!valid_ref_suffix("a b"));
        assert!(!valid_ref_suffix("../x"));
        assert!(!valid_ref_suffix("x.lock"));
    }
}
