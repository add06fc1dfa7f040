//! Deterministic test data and the hashes the Hub identifies files by.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::{RngCore, SeedableRng};
use sha1::Digest as _;

/// `len` pseudo-random bytes, the same for the same `seed` (incompressible, so sizes are honest).
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut buf = vec![0u8; len];
    rng.fill_bytes(&mut buf);
    buf
}

/// Lower-case hex sha256 (the ETag of LFS files).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

/// Git blob id: sha1 of `"blob {len}\0"` + content (the ETag of regular files).
pub fn git_blob_sha1(data: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    hex::encode(h.finalize())
}

/// Writes `data` to `path`, creating parent directories.
pub fn write_file(path: &Path, data: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
    }
    std::fs::write(path, data).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// A repository name unique within this process and across concurrent test processes,
/// e.g. `unique_name("upload")` → `upload-3f9a1c-2`. Valid as a Hub repo name.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let salt: u32 = rand::random();
    format!("{prefix}-{salt:08x}-{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_blob_sha1_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            git_blob_sha1(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            git_blob_sha1(b""),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
    }

    #[test]
    fn random_bytes_are_deterministic_per_seed() {
        assert_eq!(random_bytes(64, 1), random_bytes(64, 1));
        assert_ne!(random_bytes(64, 1), random_bytes(64, 2));
    }

    #[test]
    fn unique_names_differ() {
        assert_ne!(unique_name("x"), unique_name("x"));
    }
}
