//! Content hashes the Hub names files by, and reproducible test content.

use sha1::Digest as _;

/// sha256 of `data`, lowercase hex (the oid of an LFS file).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

/// git's blob id of `data`: sha1 of `blob <len>\0` followed by the content, lowercase hex.
pub fn git_blob_sha1(data: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    hex::encode(h.finalize())
}

/// `len` bytes of xorshift output seeded by `seed`: the same for a seed, incompressible, and
/// cheap enough for files of hundreds of MiB.
pub fn pseudo_random(len: usize, seed: u64) -> bytes::Bytes {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    bytes::Bytes::from(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // `printf hello | git hash-object --stdin`, `printf hello | sha256sum` and
        // `git hash-object /dev/null`.
        assert_eq!(
            git_blob_sha1(b"hello"),
            "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0"
        );
        assert_eq!(
            sha256_hex(b"hello"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(
            git_blob_sha1(b""),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
    }

    #[test]
    fn pseudo_random_is_sized_and_reproducible() {
        for len in [0, 1, 7, 8, 9, 1000] {
            assert_eq!(pseudo_random(len, 1).len(), len);
        }
        assert_eq!(pseudo_random(64, 3), pseudo_random(64, 3));
        assert_ne!(pseudo_random(64, 3), pseudo_random(64, 4));
        assert_eq!(pseudo_random(10, 5)[..], pseudo_random(64, 5)[..10]);
    }
}
