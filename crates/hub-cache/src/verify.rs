//! Streaming verification: the content is hashed as it is written, never read twice.
//!
//! The etag says what to check. A 64-hex etag is the sha256 of an LFS file's content; a 40-hex
//! etag is the git blob sha1 of a regular file, `sha1("blob {len}\0" + content)`. Any other etag
//! (a server that is not a Hub) cannot be checked and only the size is verified.

use sha1::Digest as _;

/// What a finished download must hash to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    /// sha256 of the content (LFS files).
    Sha256([u8; 32]),
    /// git blob sha1 of the content (regular files).
    GitSha1([u8; 20]),
    /// Nothing to check but the size.
    SizeOnly,
}

impl Expected {
    /// Reads the expected digest from an etag.
    pub(crate) fn from_etag(etag: &str) -> Self {
        let is_lower_hex = etag
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if is_lower_hex && etag.len() == 64 {
            let mut out = [0u8; 32];
            if hex::decode_to_slice(etag, &mut out).is_ok() {
                return Expected::Sha256(out);
            }
        }
        if is_lower_hex && etag.len() == 40 {
            let mut out = [0u8; 20];
            if hex::decode_to_slice(etag, &mut out).is_ok() {
                return Expected::GitSha1(out);
            }
        }
        Expected::SizeOnly
    }

    /// Name of the algorithm, for messages.
    pub(crate) fn algorithm(&self) -> &'static str {
        match self {
            Expected::Sha256(_) => "sha256",
            Expected::GitSha1(_) => "git-sha1",
            Expected::SizeOnly => "none",
        }
    }

    /// A hasher for a file of `size` bytes.
    pub(crate) fn hasher(&self, size: u64) -> StreamHasher {
        let inner = match self {
            Expected::Sha256(_) => Inner::Sha256(sha2::Sha256::new()),
            Expected::GitSha1(_) => {
                let mut h = sha1::Sha1::new();
                h.update(format!("blob {size}\0").as_bytes());
                Inner::Sha1(h)
            }
            Expected::SizeOnly => Inner::None,
        };
        StreamHasher {
            inner,
            expected: *self,
            size,
        }
    }
}

#[derive(Clone)]
enum Inner {
    Sha256(sha2::Sha256),
    Sha1(sha1::Sha1),
    None,
}

/// An incremental hasher bound to its expected digest.
#[derive(Clone)]
pub(crate) struct StreamHasher {
    inner: Inner,
    expected: Expected,
    size: u64,
}

impl std::fmt::Debug for StreamHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamHasher")
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl StreamHasher {
    /// Feeds the next bytes of the content, in order.
    pub(crate) fn update(&mut self, data: &[u8]) {
        match &mut self.inner {
            Inner::Sha256(h) => h.update(data),
            Inner::Sha1(h) => h.update(data),
            Inner::None => {}
        }
    }

    /// Starts over (the server restarted the body from byte 0).
    pub(crate) fn reset(&mut self) {
        *self = self.expected.hasher(self.size);
    }

    /// `Ok(())` if the content hashed to the expected digest, else `Err((expected, actual))` hex.
    pub(crate) fn finish(self) -> Result<(), (String, String)> {
        let (expected, actual) = match (self.inner, self.expected) {
            (Inner::Sha256(h), Expected::Sha256(e)) => (hex::encode(e), hex::encode(h.finalize())),
            (Inner::Sha1(h), Expected::GitSha1(e)) => (hex::encode(e), hex::encode(h.finalize())),
            _ => return Ok(()),
        };
        if expected == actual {
            Ok(())
        } else {
            Err((expected, actual))
        }
    }
}

/// The git blob sha1 of `content` (`sha1("blob {len}\0" + content)`), hex.
#[cfg(test)]
pub(crate) fn git_blob_sha1(content: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    hex::encode(h.finalize())
}

/// The sha256 of `content`, hex.
#[cfg(test)]
pub(crate) fn sha256_hex(content: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        // `git hash-object` of "hello\n".
        assert_eq!(
            git_blob_sha1(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn streaming_in_pieces_and_reset() {
        let content = b"hello\n";
        let e = Expected::from_etag(&git_blob_sha1(content));
        assert!(matches!(e, Expected::GitSha1(_)));
        let mut h = e.hasher(6);
        h.update(b"junk");
        h.reset();
        h.update(b"hel");
        h.update(b"lo\n");
        assert!(h.finish().is_ok());
        let e = Expected::from_etag(&sha256_hex(content));
        let mut h = e.hasher(6);
        h.update(b"hellO\n");
        let (exp, act) = h.finish().unwrap_err();
        assert_eq!(exp, sha256_hex(content));
        assert_eq!(act, sha256_hex(b"hellO\n"));
        assert_eq!(Expected::from_etag("not-a-hash"), Expected::SizeOnly);
        assert_eq!(Expected::from_etag(&"A".repeat(64)), Expected::SizeOnly);
    }
}
