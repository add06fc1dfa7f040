//! Random ranged reads of one remote file, each checked against a local copy (the hub-rs side
//! of `cargo xtask bench fs`).
//!
//! ```text
//! cargo run --release -p hub-fs --example ranges -- (open|open-block|cat) HF_PATH LOCAL_FILE OFFSETS_FILE LENGTH
//! ```
//!
//! `OFFSETS_FILE` holds one byte offset per line; every range `[offset, offset + LENGTH)` is
//! read from `HF_PATH` (`open`: one `HfFile` with the default read-ahead, seek + read;
//! `open-block`: the same with a read-ahead block of `LENGTH`; `cat`: one `cat_file` per range) and
//! compared with the same bytes of `LOCAL_FILE`. Any difference is an error (exit status 1),
//! so a fast but wrong reader cannot pass the benchmark. `HF_ENDPOINT` and `HF_TOKEN` are read
//! from the environment. Prints the number of ranges and bytes checked.

use std::io::{Read, Seek, SeekFrom};

use hub_core::HubClient;
use hub_fs::HfFileSystem;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

type BoxError = Box<dyn std::error::Error>;

fn usage() -> BoxError {
    "usage: ranges (open|open-block|cat) HF_PATH LOCAL_FILE OFFSETS_FILE LENGTH".into()
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, path, local, offsets, length] = args.as_slice() else {
        return Err(usage());
    };
    let length: usize = length.parse().map_err(|_| usage())?;
    let offsets: Vec<u64> = std::fs::read_to_string(offsets)?
        .lines()
        .map(|l| l.trim().parse::<u64>())
        .collect::<Result<_, _>>()?;
    let mut local = std::fs::File::open(local)?;
    let fs = HfFileSystem::new(HubClient::from_env()?);
    let mut expected = vec![0u8; length];
    let mut got = vec![0u8; length];
    let mut file = match mode.as_str() {
        "open" => Some(fs.open(path).await?),
        "open-block" => Some(fs.open_with_block_size(path, length).await?),
        "cat" => None,
        _ => return Err(usage()),
    };
    let mut checked = 0u64;
    for (i, &offset) in offsets.iter().enumerate() {
        local.seek(SeekFrom::Start(offset))?;
        let want = read_full(&mut local, &mut expected)?;
        let n = match file.as_mut() {
            Some(f) => {
                f.seek(SeekFrom::Start(offset)).await?;
                let mut n = 0;
                while n < length {
                    let k = f.read(&mut got[n..]).await?;
                    if k == 0 {
                        break;
                    }
                    n += k;
                }
                n
            }
            None => {
                let end = offset + length as u64;
                let bytes = fs
                    .cat_file(
                        path,
                        Some(i64::try_from(offset)?),
                        Some(i64::try_from(end)?),
                    )
                    .await?;
                got[..bytes.len().min(length)].copy_from_slice(&bytes[..bytes.len().min(length)]);
                bytes.len()
            }
        };
        if n != want || got[..n] != expected[..want] {
            return Err(format!(
                "range {i} at offset {offset}: got {n} bytes, expected {want}, content {}",
                if got[..n.min(want)] == expected[..n.min(want)] {
                    "equal on the common prefix"
                } else {
                    "differs"
                }
            )
            .into());
        }
        checked += n as u64;
    }
    println!("{} ranges, {checked} bytes checked", offsets.len());
    Ok(())
}

/// Reads until `buf` is full or the file ends; the number of bytes read.
fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}
