//! [`Moto`]: a real S3-compatible service for the S3 blob store tests — moto's server mode from
//! the `.venv/moto` venv that `cargo xtask venv` installs (MinIO is not in the registries this
//! project can reach). Each instance is its own process on a free port, with an empty bucket.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Access key every test uses (moto accepts any).
pub const ACCESS_KEY: &str = "hubtest";
/// Secret key every test uses.
pub const SECRET_KEY: &str = "hubtest-secret";

/// A running `moto_server`, stopped on drop.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    addr: SocketAddr,
}

/// The `moto_server` program: `HUB_TEST_MOTO_SERVER`, else `.venv/moto/bin/moto_server`.
pub fn moto_server_bin() -> PathBuf {
    std::env::var_os("HUB_TEST_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            crate::repo_root()
                .join(".venv")
                .join("moto")
                .join("bin")
                .join("moto_server")
        })
}

impl Moto {
    /// Starts moto on a free port and creates `bucket`. Panics (with the fix) when moto is not
    /// installed.
    pub fn start(bucket: &str) -> Moto {
        let bin = moto_server_bin();
        assert!(
            bin.is_file(),
            "{} not found: run `cargo xtask venv` (installs moto[server] into .venv/moto)",
            bin.display()
        );
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port");
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &addr.port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let moto = Moto { child, addr };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not listen on {addr} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto.create_bucket(bucket);
        moto
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Creates a bucket (moto does not check signatures, so a bare request does).
    fn create_bucket(&self, bucket: &str) {
        let mut s = TcpStream::connect(self.addr).expect("connect to moto");
        write!(
            s,
            "PUT /{bucket} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("send");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "create bucket: {answer}"
        );
    }

    /// Number of objects under `prefix` in `bucket`, and their keys (one ListObjectsV2 page).
    pub fn list(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut s = TcpStream::connect(self.addr).expect("connect to moto");
        write!(
            s,
            "GET /{bucket}?list-type=2&prefix={prefix} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("send");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        answer
            .split("<Key>")
            .skip(1)
            .filter_map(|p| p.split_once("</Key>").map(|(k, _)| k.to_string()))
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
