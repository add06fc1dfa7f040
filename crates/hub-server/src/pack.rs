//! Git pack files: writing the objects of one commit as a single pack, and reading whole
//! (non-delta) objects back out of packs.
//!
//! A commit of a thousand files creates a thousand blobs plus trees. As loose objects that is a
//! thousand files to create, fsync and rename, which costs far more than the bytes on most
//! filesystems. [`write`] puts them all in one pack (version 2) with its index (version 2), so
//! the whole commit takes two files and one round of fsyncs. Real git reads these packs like its
//! own (`git fsck --strict` and clones see them).
//!
//! [`Packs`] looks objects up in a repository's packs. Index files are parsed once and cached
//! for the life of the process (packs are immutable; a name identifies its content). Packs
//! written by [`write`] hold whole objects only; a delta object (from a pack git wrote) is
//! reported as [`Found::Delta`] and the caller asks git to resolve it.
//!
//! Crash safety: the pack and its index are each written to a `.tmp` file in `objects/pack`,
//! fsynced, and renamed, the index last; git and [`Packs`] only consider a pack whose index exists,
//! so a killed writer leaves either nothing visible or a complete pack. Leftover `.tmp` files are
//! swept at start-up with the loose-object temp files.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use sha1::{Digest, Sha1};

use crate::git::Kind;

/// One object to pack: its id (20 raw bytes), kind and content.
#[derive(Debug)]
pub struct PackObject<'a> {
    /// Object id.
    pub id: [u8; 20],
    /// Object kind.
    pub kind: Kind,
    /// Content (without the loose-object header).
    pub data: &'a [u8],
}

fn type_code(kind: Kind) -> u8 {
    match kind {
        Kind::Commit => 1,
        Kind::Tree => 2,
        Kind::Blob => 3,
        Kind::Tag => 4,
    }
}

fn kind_of(code: u8) -> Option<Kind> {
    match code {
        1 => Some(Kind::Commit),
        2 => Some(Kind::Tree),
        3 => Some(Kind::Blob),
        4 => Some(Kind::Tag),
        _ => None,
    }
}

/// The pack entry header: type and size, 4 bits then 7 bits per byte, little-endian groups.
fn entry_header(kind: Kind, size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(10);
    let mut b = (type_code(kind) << 4) | (size & 0x0f) as u8;
    let mut rest = size >> 4;
    while rest > 0 {
        out.push(b | 0x80);
        b = (rest & 0x7f) as u8;
        rest >>= 7;
    }
    out.push(b);
    out
}

/// A writer that keeps the running SHA-1 and offset of what it wrote.
struct Summed<W: Write> {
    out: W,
    sum: Sha1,
    offset: u64,
}

impl<W: Write> Summed<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.sum.update(bytes);
        self.offset += bytes.len() as u64;
        self.out.write_all(bytes)
    }
}

/// Writes `objects` (distinct ids) as one pack plus index into `pack_dir` and makes both
/// durable. Returns the pack's name (`pack-<sha1>`).
pub fn write(pack_dir: &Path, objects: &[PackObject<'_>]) -> std::io::Result<String> {
    std::fs::create_dir_all(pack_dir)?;
    let count = u32::try_from(objects.len())
        .map_err(|_| std::io::Error::other("too many objects for one pack"))?;
    let tmp_pack = tempfile::Builder::new()
        .prefix(".tmp-pack-")
        .tempfile_in(pack_dir)?;
    let mut out = Summed {
        out: std::io::BufWriter::with_capacity(1 << 20, tmp_pack.as_file().try_clone()?),
        sum: Sha1::new(),
        offset: 0,
    };
    let mut header = Vec::with_capacity(12);
    header.extend_from_slice(b"PACK");
    header.extend_from_slice(&2u32.to_be_bytes());
    header.extend_from_slice(&count.to_be_bytes());
    out.put(&header)?;
    // (id, offset, crc32) per object.
    let mut entries: Vec<([u8; 20], u64, u32)> = Vec::with_capacity(objects.len());
    for o in objects {
        let start = out.offset;
        let head = entry_header(o.kind, o.data.len() as u64);
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(o.data)?;
        let body = enc.finish()?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&head);
        crc.update(&body);
        out.put(&head)?;
        out.put(&body)?;
        entries.push((o.id, start, crc.finalize()));
    }
    let Summed { mut out, sum, .. } = out;
    let pack_sum: [u8; 20] = sum.finalize().into();
    out.write_all(&pack_sum)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;

    entries.sort_unstable_by_key(|e| e.0);
    let mut idx = Vec::with_capacity(8 + 1024 + entries.len() * 28 + 40);
    idx.extend_from_slice(&[0xff, b't', b'O', b'c']);
    idx.extend_from_slice(&2u32.to_be_bytes());
    let mut fanout = [0u32; 256];
    for (id, _, _) in &entries {
        fanout[id[0] as usize] += 1;
    }
    let mut total = 0u32;
    for f in &mut fanout {
        total += *f;
        *f = total;
    }
    for f in fanout {
        idx.extend_from_slice(&f.to_be_bytes());
    }
    for (id, _, _) in &entries {
        idx.extend_from_slice(id);
    }
    for (_, _, crc) in &entries {
        idx.extend_from_slice(&crc.to_be_bytes());
    }
    let mut large: Vec<u64> = Vec::new();
    for (_, off, _) in &entries {
        match u32::try_from(*off) {
            Ok(small) if small < 0x8000_0000 => idx.extend_from_slice(&small.to_be_bytes()),
            _ => {
                let at = u32::try_from(large.len())
                    .map_err(|_| std::io::Error::other("pack too large"))?;
                idx.extend_from_slice(&(0x8000_0000 | at).to_be_bytes());
                large.push(*off);
            }
        }
    }
    for off in large {
        idx.extend_from_slice(&off.to_be_bytes());
    }
    idx.extend_from_slice(&pack_sum);
    let idx_sum: [u8; 20] = Sha1::digest(&idx).into();
    idx.extend_from_slice(&idx_sum);

    let name = format!("pack-{}", hex::encode(pack_sum));
    let pack_path = pack_dir.join(format!("{name}.pack"));
    let idx_path = pack_dir.join(format!("{name}.idx"));
    if idx_path.exists() {
        // The same objects in the same order were packed before: identical by construction.
        return Ok(name);
    }
    tmp_pack.persist(&pack_path).map_err(|e| e.error)?;
    let mut tmp_idx = tempfile::Builder::new()
        .prefix(".tmp-idx-")
        .tempfile_in(pack_dir)?;
    tmp_idx.write_all(&idx)?;
    tmp_idx.as_file().sync_all()?;
    tmp_idx.persist(&idx_path).map_err(|e| e.error)?;
    crate::util::sync_dir(pack_dir);
    Ok(name)
}

/// A parsed pack index (version 2).
#[derive(Debug)]
struct Index {
    ids: Vec<[u8; 20]>,
    offsets: Vec<u64>,
}

impl Index {
    fn parse(data: &[u8]) -> Option<Index> {
        let be32 = |at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
        };
        if data.get(..4)? != [0xff, b't', b'O', b'c'] || be32(4)? != 2 {
            return None;
        }
        let n = be32(8 + 255 * 4)? as usize;
        let ids_at: usize = 8 + 256 * 4;
        let crc_at = ids_at.checked_add(n.checked_mul(20)?)?;
        let off_at = crc_at.checked_add(n.checked_mul(4)?)?;
        let large_at = off_at.checked_add(n.checked_mul(4)?)?;
        // The tables plus two checksums must fit before anything is allocated for them.
        if data.len() < large_at.checked_add(40)? {
            return None;
        }
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            ids.push(
                data.get(ids_at + i * 20..ids_at + i * 20 + 20)?
                    .try_into()
                    .ok()?,
            );
        }
        let mut offsets = Vec::with_capacity(n);
        for i in 0..n {
            let o = be32(off_at + i * 4)?;
            if o & 0x8000_0000 == 0 {
                offsets.push(u64::from(o));
            } else {
                let at = large_at + (o & 0x7fff_ffff) as usize * 8;
                offsets.push(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?));
            }
        }
        Some(Index { ids, offsets })
    }

    fn offset_of(&self, id: &[u8; 20]) -> Option<u64> {
        self.ids
            .binary_search(id)
            .ok()
            .and_then(|i| self.offsets.get(i).copied())
    }
}

/// Parsed indexes by path. Packs never change under a name, so entries never go stale; a
/// deleted repository leaves a few unused entries behind, which the size cap bounds.
fn cache() -> &'static Mutex<HashMap<PathBuf, Arc<Index>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Index>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

const CACHE_MAX: usize = 4096;

fn index(idx_path: &Path) -> std::io::Result<Option<Arc<Index>>> {
    if let Some(i) = cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(idx_path)
    {
        return Ok(Some(i.clone()));
    }
    let data = match std::fs::read(idx_path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(parsed) = Index::parse(&data) else {
        // Not a version-2 index we understand: let git handle the pack.
        return Ok(None);
    };
    let parsed = Arc::new(parsed);
    let mut c = cache().lock().unwrap_or_else(|p| p.into_inner());
    if c.len() >= CACHE_MAX {
        c.clear();
    }
    c.insert(idx_path.to_path_buf(), parsed.clone());
    Ok(Some(parsed))
}

/// The result of looking an object up in the packs.
#[derive(Debug)]
pub enum Found {
    /// A whole object.
    Object(Kind, Vec<u8>),
    /// The object is stored as a delta (or in a pack this module cannot read): ask git.
    Delta,
}

/// The packs of one repository as listed once: callers that look up many objects (a commit
/// checking which of its objects already exist) read the directory a single time.
#[derive(Debug)]
pub struct Packs {
    /// Each readable pack with its parsed index.
    indexes: Vec<(PathBuf, Arc<Index>)>,
    /// Some index could not be parsed here (git may still read its pack).
    unreadable: bool,
}

impl Packs {
    /// Lists the packs of `objects_dir/pack` (none when the directory does not exist).
    pub fn open(objects_dir: &Path) -> std::io::Result<Packs> {
        let pack_dir = objects_dir.join("pack");
        let mut packs = Packs {
            indexes: Vec::new(),
            unreadable: false,
        };
        let entries = match std::fs::read_dir(&pack_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(packs),
            Err(e) => return Err(e),
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(stem) = name
                .to_string_lossy()
                .strip_suffix(".idx")
                .map(str::to_owned)
            else {
                continue;
            };
            match index(&e.path())? {
                Some(idx) => packs
                    .indexes
                    .push((pack_dir.join(format!("{stem}.pack")), idx)),
                None => packs.unreadable = true,
            }
        }
        Ok(packs)
    }

    fn locate(&self, oid: &str) -> Option<(&Path, u64)> {
        let mut id = [0u8; 20];
        hex::decode_to_slice(oid, &mut id).ok()?;
        self.indexes
            .iter()
            .find_map(|(pack, idx)| idx.offset_of(&id).map(|off| (pack.as_path(), off)))
    }

    /// Ids (40 hex) listed by the readable indexes that start with `prefix` (lowercase hex).
    pub fn with_prefix(&self, prefix: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (_, idx) in &self.indexes {
            // Ids are sorted, so the matches are one run starting at the first id not below it.
            let start = idx
                .ids
                .partition_point(|id| hex::encode(id).as_str() < prefix);
            for id in &idx.ids[start..] {
                let h = hex::encode(id);
                if !h.starts_with(prefix) {
                    break;
                }
                out.push(h);
            }
        }
        out
    }

    /// Whether a readable index lists `oid` (40 hex).
    pub fn contains(&self, oid: &str) -> bool {
        self.locate(oid).is_some()
    }

    /// Looks `oid` (40 hex) up. `None` when no readable index has it.
    pub fn find(&self, oid: &str) -> std::io::Result<Option<Found>> {
        match self.locate(oid) {
            Some((pack, offset)) => read_entry(pack, offset).map(Some),
            None => Ok(self.unreadable.then_some(Found::Delta)),
        }
    }
}

fn read_entry(pack: &Path, offset: u64) -> std::io::Result<Found> {
    let mut file = std::fs::File::open(pack)?;
    let mut head = [0u8; 16];
    let n = crate::positional::read_at(&file, &mut head, offset)?;
    let bad = || std::io::Error::other(format!("corrupt pack entry in {}", pack.display()));
    let first = *head.first().filter(|_| n > 0).ok_or_else(bad)?;
    let Some(kind) = kind_of((first >> 4) & 7) else {
        return Ok(Found::Delta);
    };
    let mut size = u64::from(first & 0x0f);
    let mut shift = 4;
    let mut used = 1;
    let mut b = first;
    while b & 0x80 != 0 {
        b = *head.get(used).filter(|_| used < n).ok_or_else(bad)?;
        if shift > 57 {
            return Err(bad());
        }
        size |= u64::from(b & 0x7f) << shift;
        shift += 7;
        used += 1;
    }
    file.seek(SeekFrom::Start(offset + used as u64))?;
    let cap = usize::try_from(size).map_err(|_| bad())?;
    let mut data = Vec::with_capacity(cap.min(64 << 20));
    ZlibDecoder::new(std::io::BufReader::new(file))
        .take(size)
        .read_to_end(&mut data)?;
    if data.len() as u64 != size {
        return Err(bad());
    }
    Ok(Found::Object(kind, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: Kind, data: &[u8]) -> [u8; 20] {
        let mut out = [0u8; 20];
        hex::decode_to_slice(crate::git::hash_object(kind, data), &mut out).unwrap();
        out
    }

    #[test]
    fn entry_header_matches_git_varint() {
        assert_eq!(entry_header(Kind::Blob, 5), vec![0x35]);
        // 300 = 0b1_0010_1100: low nibble 0xc, then 300 >> 4 = 18.
        assert_eq!(entry_header(Kind::Tree, 300), vec![0xac, 18]);
    }

    #[test]
    fn packs_round_trip_and_git_reads_them() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = crate::git::GitRepo::init(&tmp.path().join("r.git")).unwrap();
        let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let blobs: Vec<&[u8]> = vec![b"hello\n", b"", &big];
        let objects: Vec<PackObject<'_>> = blobs
            .iter()
            .map(|d| PackObject {
                id: id(Kind::Blob, d),
                kind: Kind::Blob,
                data: d,
            })
            .collect();
        let objects_dir = repo.dir().join("objects");
        write(&objects_dir.join("pack"), &objects).unwrap();
        for d in &blobs {
            let oid = crate::git::hash_object(Kind::Blob, d);
            match Packs::open(&objects_dir).unwrap().find(&oid).unwrap() {
                Some(Found::Object(Kind::Blob, got)) => assert_eq!(&got, d),
                other => panic!("unexpected {other:?}"),
            }
            // git itself agrees.
            let out = std::process::Command::new("git")
                .arg("--git-dir")
                .arg(repo.dir())
                .args(["cat-file", "-p", &oid])
                .output()
                .unwrap();
            assert!(out.status.success());
            assert_eq!(&out.stdout, d);
        }
        let verify = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(repo.dir())
            .args(["verify-pack", "-v"])
            .arg(
                std::fs::read_dir(objects_dir.join("pack"))
                    .unwrap()
                    .flatten()
                    .find(|e| e.file_name().to_string_lossy().ends_with(".idx"))
                    .unwrap()
                    .path(),
            )
            .output()
            .unwrap();
        assert!(
            verify.status.success(),
            "{}",
            String::from_utf8_lossy(&verify.stderr)
        );
        let packs = Packs::open(&objects_dir).unwrap();
        assert!(
            packs.find(&"0".repeat(40)).unwrap().is_none(),
            "absent object"
        );
        assert!(packs.contains(&crate::git::hash_object(Kind::Blob, b"hello\n")));
        // No temp files left.
        assert!(
            std::fs::read_dir(objects_dir.join("pack"))
                .unwrap()
                .flatten()
                .all(|e| !e.file_name().to_string_lossy().starts_with(".tmp"))
        );
    }

    #[test]
    fn index_parser_rejects_garbage() {
        assert!(Index::parse(b"").is_none());
        assert!(Index::parse(&[0xff, b't', b'O', b'c', 0, 0, 0, 2]).is_none());
        let mut fake = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
        fake.extend(std::iter::repeat_n(0xff, 1024));
        assert!(Index::parse(&fake).is_none());
    }
}
