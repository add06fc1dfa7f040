//! The physical floor of a transfer on this machine, measured rather than assumed, for
//! `cargo xtask bench transfer`.
//!
//! * [`sha256_rate`]: single-core SHA-256 bytes/s, parsed from
//!   `openssl speed -evp sha256 -bytes 16384 -seconds 2`, or measured with the `sha2` crate when
//!   openssl is missing (the result says which);
//! * [`dd_write`]: bytes/s of `dd if=/dev/zero of=FILE bs=4M` in a given directory, with and
//!   without `conv=fdatasync`;
//! * [`lfs_intake`]: how long hub-server takes to accept the bytes of one LFS object: an LFS
//!   batch call, then raw PUTs of the bytes (one part after the other on fresh connections, the
//!   way Python 0.26 sends them by default), the multipart completion and the verify call.
//!
//! The intake needs nothing but loopback HTTP/1.1, so it speaks it over `std::net::TcpStream`
//! ([`http`]: one request per connection, `Connection: close`): xtask stays free of an HTTP
//! client stack, and no client library's own overhead ends up inside a number that is meant to
//! be the server's alone.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sha2::Digest;

use crate::util::on_path;

/// Single-core SHA-256 throughput and how it was obtained.
#[derive(Debug, Clone)]
pub(crate) struct ShaRate {
    /// Bytes per second.
    pub(crate) bytes_per_sec: f64,
    /// The command or method, for the report.
    pub(crate) source: String,
}

/// Single-core SHA-256 throughput: `openssl speed` when installed, else a `sha2` loop.
pub(crate) fn sha256_rate() -> Result<ShaRate> {
    if on_path("openssl") {
        let args = [
            "speed", "-evp", "sha256", "-bytes", "16384", "-seconds", "2",
        ];
        let out = Command::new("openssl")
            .args(args)
            .output()
            .context("running openssl speed")?;
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            return Ok(ShaRate {
                bytes_per_sec: parse_openssl_speed(&text)?,
                source: format!("openssl {}", args.join(" ")),
            });
        }
        eprintln!(
            "warning: openssl speed failed ({}); measuring SHA-256 with the sha2 crate instead",
            out.status
        );
    }
    Ok(ShaRate {
        bytes_per_sec: sha2_loop_rate(Duration::from_secs(2)),
        source: "sha2 crate loop in xtask, 16 KiB blocks, 2 s (openssl not available)".into(),
    })
}

/// Bytes/s from the last line of `openssl speed -bytes N` output, e.g.
/// `sha256          2043520.68k` (the figure is in thousands of bytes per second).
pub(crate) fn parse_openssl_speed(text: &str) -> Result<f64> {
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .context("openssl speed printed nothing")?;
    let k = last
        .split_whitespace()
        .last()
        .and_then(|v| v.strip_suffix('k'))
        .and_then(|v| v.parse::<f64>().ok())
        .with_context(|| format!("cannot parse the openssl speed line {last:?}"))?;
    Ok(k * 1000.0)
}

/// SHA-256 of 16 KiB blocks in a loop on this thread for about `span`; bytes/s.
fn sha2_loop_rate(span: Duration) -> f64 {
    let block = vec![0x5au8; 16 * 1024];
    let mut hasher = sha2::Sha256::new();
    let start = Instant::now();
    let mut bytes = 0u64;
    while start.elapsed() < span {
        for _ in 0..64 {
            hasher.update(&block);
        }
        bytes += 64 * block.len() as u64;
    }
    // The digest is consumed so the loop cannot be optimised away.
    std::hint::black_box(hasher.finalize());
    bytes as f64 / start.elapsed().as_secs_f64().max(1e-9)
}

/// SHA-256 of a byte slice, lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

/// SHA-256 of a file, lowercase hex (streamed, 1 MiB at a time).
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One `dd` write: how many bytes in how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DdWrite {
    /// Bytes written.
    pub(crate) bytes: u64,
    /// Seconds dd reported.
    pub(crate) secs: f64,
}

impl DdWrite {
    /// Bytes per second.
    pub(crate) fn rate(&self) -> f64 {
        self.bytes as f64 / self.secs.max(1e-9)
    }
}

/// `dd if=/dev/zero of=DIR/dd-floor.bin bs=4M count=MIB/4 [conv=fdatasync]`, then removes the
/// file. dd's own report (bytes and seconds) is parsed, so process start-up is not counted.
pub(crate) fn dd_write(dir: &Path, mib: usize, fdatasync: bool) -> Result<DdWrite> {
    let file = dir.join("dd-floor.bin");
    let mut cmd = Command::new("dd");
    cmd.arg("if=/dev/zero")
        .arg(format!("of={}", file.display()))
        .arg("bs=4M")
        .arg(format!("count={}", mib.div_ceil(4).max(1)));
    if fdatasync {
        cmd.arg("conv=fdatasync");
    }
    let out = cmd.output().context("running dd")?;
    let _ = std::fs::remove_file(&file);
    if !out.status.success() {
        bail!(
            "dd failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_dd(&String::from_utf8_lossy(&out.stderr))
}

/// Parses dd's summary line, e.g.
/// `268435456 bytes (268 MB, 256 MiB) copied, 0.312 s, 860 MB/s` (GNU coreutils; the decimal
/// separator of the seconds may be a comma in some locales).
pub(crate) fn parse_dd(stderr: &str) -> Result<DdWrite> {
    let line = stderr
        .lines()
        .find(|l| l.contains(" bytes") && l.contains("copied"))
        .with_context(|| format!("no summary line in dd's output: {stderr:?}"))?;
    let bytes = line
        .split_whitespace()
        .next()
        .and_then(|b| b.parse::<u64>().ok())
        .with_context(|| format!("cannot read the byte count in {line:?}"))?;
    let secs = line
        .split("copied,")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|s| s.replace(',', ".").parse::<f64>().ok())
        .with_context(|| format!("cannot read the seconds in {line:?}"))?;
    Ok(DdWrite { bytes, secs })
}

/// A response of [`http`].
#[derive(Debug)]
pub(crate) struct HttpResponse {
    /// Status code.
    pub(crate) status: u16,
    /// Header names lowercased.
    pub(crate) headers: Vec<(String, String)>,
    /// Body (chunked transfer encoding decoded).
    pub(crate) body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (lowercase).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "expected JSON, got {:?}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }
}

/// One HTTP/1.1 request to a plain `http://` URL on its own connection. `headers` are sent as
/// given; `Content-Length` is added for the body.
pub(crate) fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<HttpResponse> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url} is not an http:// URL (the bench server is plain HTTP)"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream =
        TcpStream::connect(host).with_context(|| format!("connecting to {host} for {url}"))?;
    stream.set_nodelay(true)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream
        .write_all(body)
        .with_context(|| format!("sending the body of {method} {url}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .with_context(|| format!("reading the answer to {method} {url}"))?;
    parse_response(&raw, method == "HEAD").with_context(|| format!("answer to {method} {url}"))
}

/// Parses a whole HTTP/1.1 response (the server closed the connection after it).
fn parse_response(raw: &[u8], head_only: bool) -> Result<HttpResponse> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("the response has no end of headers")?;
    let head = std::str::from_utf8(&raw[..end]).context("response headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .context("no status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let payload = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if head_only {
        Vec::new()
    } else if chunked {
        decode_chunked(payload)?
    } else {
        payload.to_vec()
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Decodes a chunked body (`SIZE-HEX\r\nDATA\r\n ... 0\r\n\r\n`).
fn decode_chunked(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("truncated chunk header")?;
        let size_text = std::str::from_utf8(&data[..eol])?;
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            bail!("truncated chunk: {} of {size} bytes", data.len());
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

/// Fails with the status and body of a non-2xx answer.
fn ensure_ok(what: &str, resp: &HttpResponse) -> Result<()> {
    if !(200..300).contains(&resp.status) {
        bail!(
            "{what}: HTTP {} {}",
            resp.status,
            String::from_utf8_lossy(&resp.body[..resp.body.len().min(500)])
        );
    }
    Ok(())
}

/// Creates model repo `name` of `user` on the server at `endpoint` (exist-ok).
pub(crate) fn create_repo(endpoint: &str, token: &str, user: &str, name: &str) -> Result<()> {
    let auth = format!("Bearer {token}");
    let body = serde_json::json!({"name": name, "organization": user, "private": false});
    let resp = http(
        "POST",
        &format!("{endpoint}/api/repos/create"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )?;
    if resp.status != 409 {
        ensure_ok("creating the intake repo", &resp)?;
    }
    Ok(())
}

/// Time for the server to take in `bytes` as an LFS object of `repo` (which must exist): the LFS
/// batch call, the PUT(s) of the bytes, the multipart completion when the server asked for
/// parts, and the verify call. The bytes are in memory, so no client disk read is counted.
pub(crate) fn lfs_intake(
    endpoint: &str,
    token: &str,
    repo: &str,
    bytes: &[u8],
) -> Result<Duration> {
    let oid = sha256_hex(bytes);
    let size = bytes.len();
    let auth = format!("Bearer {token}");
    let lfs_json = "application/vnd.git-lfs+json";
    let start = Instant::now();
    let batch = serde_json::json!({
        "operation": "upload",
        "transfers": ["basic", "multipart"],
        "objects": [{"oid": oid, "size": size}],
        "hash_algo": "sha256",
        "ref": {"name": "main"},
    });
    let resp = http(
        "POST",
        &format!("{endpoint}/{repo}.git/info/lfs/objects/batch"),
        &[
            ("Authorization", &auth),
            ("Accept", lfs_json),
            ("Content-Type", lfs_json),
        ],
        batch.to_string().as_bytes(),
    )?;
    ensure_ok("LFS batch", &resp)?;
    let answer = resp.json()?;
    let object = &answer["objects"][0];
    if let Some(err) = object.get("error") {
        bail!("LFS batch refused the object: {err}");
    }
    let Some(actions) = object.get("actions") else {
        bail!("the server already had the object; the intake needs a fresh server or repo");
    };
    let upload = &actions["upload"];
    let href = upload["href"]
        .as_str()
        .context("LFS batch answer without actions.upload.href")?;
    let header = &upload["header"];
    let chunk = header
        .get("chunk_size")
        .and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()));
    match chunk {
        None => {
            let resp = http("PUT", href, &[], bytes)?;
            ensure_ok("LFS PUT", &resp)?;
        }
        Some(chunk) => {
            let chunk = usize::try_from(chunk.max(1)).unwrap_or(usize::MAX);
            let mut parts = Vec::new();
            for (i, part) in bytes.chunks(chunk).enumerate() {
                let n = i + 1;
                let url = header[n.to_string()]
                    .as_str()
                    .with_context(|| format!("LFS batch answer without a URL for part {n}"))?;
                let resp = http("PUT", url, &[], part)?;
                ensure_ok(&format!("LFS PUT of part {n}"), &resp)?;
                let etag = resp
                    .header("etag")
                    .with_context(|| format!("no ETag on the answer to part {n}"))?;
                parts.push(serde_json::json!({"partNumber": n, "etag": etag}));
            }
            let done = serde_json::json!({"oid": oid, "parts": parts});
            let resp = http(
                "POST",
                href,
                &[("Accept", lfs_json), ("Content-Type", lfs_json)],
                done.to_string().as_bytes(),
            )?;
            ensure_ok("LFS multipart completion", &resp)?;
        }
    }
    if let Some(verify) = actions.get("verify").and_then(|v| v["href"].as_str()) {
        let body = serde_json::json!({"oid": oid, "size": size});
        let resp = http(
            "POST",
            verify,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )?;
        ensure_ok("LFS verify", &resp)?;
    }
    Ok(start.elapsed())
}

/// The LFS sha256 and size the server reports for `file` of model `repo` at `main` (from the
/// `X-Linked-Etag`/`X-Linked-Size` headers of a HEAD on its resolve URL), to check an upload.
pub(crate) fn remote_lfs_file(
    endpoint: &str,
    token: &str,
    repo: &str,
    file: &str,
) -> Result<(String, u64)> {
    let auth = format!("Bearer {token}");
    let resp = http(
        "HEAD",
        &format!("{endpoint}/{repo}/resolve/main/{file}"),
        &[("Authorization", &auth)],
        &[],
    )?;
    if !(200..400).contains(&resp.status) {
        bail!("HEAD of {repo}/{file}: HTTP {}", resp.status);
    }
    let etag = resp
        .header("x-linked-etag")
        .with_context(|| format!("{repo}/{file} is not an LFS file (no X-Linked-Etag)"))?
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_string();
    let size = resp
        .header("x-linked-size")
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("{repo}/{file}: no X-Linked-Size"))?;
    Ok((etag, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_speed_line_is_parsed() -> Result<()> {
        let text = "version: 3.0.11\nbuilt on: ...\ntype          16384 bytes\nsha256        2043520.68k\n";
        let rate = parse_openssl_speed(text)?;
        assert!((rate - 2_043_520_680.0).abs() < 1.0, "{rate}");
        assert!(parse_openssl_speed("sha256 fast\n").is_err());
        assert!(parse_openssl_speed("").is_err());
        Ok(())
    }

    #[test]
    fn dd_summary_is_parsed() -> Result<()> {
        let err = "64+0 records in\n64+0 records out\n268435456 bytes (268 MB, 256 MiB) copied, 0.312 s, 860 MB/s\n";
        let w = parse_dd(err)?;
        assert_eq!(w.bytes, 268_435_456);
        assert!((w.secs - 0.312).abs() < 1e-9);
        let comma = "1048576 bytes (1,0 MB, 1,0 MiB) copied, 0,5 s, 2,1 MB/s";
        assert!((parse_dd(comma)?.secs - 0.5).abs() < 1e-9);
        assert!(parse_dd("dd: error writing\n").is_err());
        Ok(())
    }

    #[test]
    fn responses_and_chunked_bodies_are_parsed() -> Result<()> {
        let raw = b"HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nfoo\r\n4;x=1\r\nbarz\r\n0\r\n\r\n";
        let r = parse_response(raw, false)?;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("etag"), Some("\"abc\""));
        assert_eq!(r.body, b"foobarz");
        let r = parse_response(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
            false,
        )?;
        assert_eq!((r.status, r.body.as_slice()), (404, b"no".as_slice()));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n", false).is_err());
        assert!(decode_chunked(b"5\r\nab").is_err());
        Ok(())
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(sha2_loop_rate(Duration::from_millis(20)) > 0.0);
    }
}
