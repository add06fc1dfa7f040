//! Positional file reads and writes (`pread`/`pwrite`) on every platform.
//!
//! Multipart parts are written concurrently into one file through a shared handle, and pack
//! entries are read at an offset, so neither may depend on a shared cursor. Unix has
//! `FileExt::{read_at, write_all_at}`; Windows offers the same through `seek_read`/`seek_write`
//! (which also move the cursor, harmless here since every call names its offset).

use std::fs::File;
use std::io;

/// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at the end).
#[cfg(unix)]
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

/// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at the end).
#[cfg(windows)]
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// Writes all of `data` at `offset`.
#[cfg(unix)]
pub(crate) fn write_all_at(file: &File, data: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

/// Writes all of `data` at `offset`.
#[cfg(windows)]
pub(crate) fn write_all_at(file: &File, mut data: &[u8], mut offset: u64) -> io::Result<()> {
    while !data.is_empty() {
        match std::os::windows::fs::FileExt::seek_write(file, data, offset) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                data = &data[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_at_offsets_out_of_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        write_all_at(&file, b"world", 6).unwrap();
        write_all_at(&file, b"hello ", 0).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello world");
        let mut buf = [0u8; 5];
        assert_eq!(read_at(&file, &mut buf, 6).unwrap(), 5);
        assert_eq!(&buf, b"world");
        assert_eq!(read_at(&file, &mut buf, 11).unwrap(), 0);
    }
}
