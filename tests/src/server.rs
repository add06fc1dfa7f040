//! [`TestServer`]: a hub-server on `127.0.0.1` with a temporary data directory and test accounts.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::python::Version;
use crate::{ALICE, BOB, ORG};

/// The tokens created on every [`TestServer`]. Each is a fresh random `hf_…` string.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    /// Write token of [`ALICE`] (member of [`ORG`]).
    pub write: String,
    /// Read-only token of [`ALICE`].
    pub read: String,
    /// Write token of [`BOB`] (not a member of [`ORG`]).
    pub bob: String,
}

impl std::fmt::Debug for Tokens {
    // Tokens stay out of test logs, as everywhere else in hub-rs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { .. }")
    }
}

fn new_token(label: &str) -> String {
    format!("hf_{label}_{}", hex::encode(rand::random::<[u8; 12]>()))
}

/// Builder for [`TestServer`]: `TestServer::builder().chaos("drop=0.1,seed=1").start()`.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct TestServerBuilder {
    chaos: Option<String>,
    blob_host: Option<String>,
    page_size: Option<usize>,
    multipart: Option<(u64, u64)>,
    s3: Option<S3Store>,
    webhook_ca_file: Option<std::path::PathBuf>,
}

/// An S3-compatible store for LFS contents (see [`TestServerBuilder::s3`]); the server gets the
/// credentials of [`crate::moto`].
#[derive(Debug, Clone)]
pub struct S3Store {
    /// `s3://BUCKET[/PREFIX]`.
    pub url: String,
    /// Endpoint URL of the service.
    pub endpoint: String,
    /// Redirect downloads to presigned store URLs.
    pub presign: bool,
}

impl TestServerBuilder {
    /// Fault injection spec passed to the server (`drop=P,error=P,ratelimit=P,throttle=BPS,seed=N`).
    pub fn chaos(mut self, spec: &str) -> Self {
        self.chaos = Some(spec.to_string());
        self
    }

    /// Serve signed LFS blob URLs under another host name for the same server, e.g.
    /// `blob_host_alias("localhost")` while the API is on `127.0.0.1`: clients then see a
    /// cross-host redirect (and must drop `Authorization`, as they do for the real CDN).
    pub fn blob_host_alias(mut self, host: &str) -> Self {
        self.blob_host = Some(host.to_string());
        self
    }

    /// Page size of paginated listings (repos, tree, commits); small values exercise `Link` paging.
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = Some(n);
        self
    }

    /// LFS uploads of at least `threshold` bytes are offered as multipart uploads with parts of
    /// `chunk_size` bytes (small values exercise multipart with small files).
    pub fn multipart(mut self, threshold: u64, chunk_size: u64) -> Self {
        self.multipart = Some((threshold, chunk_size));
        self
    }

    /// Keeps LFS contents in an S3-compatible store instead of the data directory. Process
    /// servers only ([`TestServerBuilder::spawn_process`]): the credentials are passed in the
    /// child's environment.
    pub fn s3(mut self, store: S3Store) -> Self {
        self.s3 = Some(store);
        self
    }

    /// Trusts the CA certificates of this PEM file (on top of the system's roots) when
    /// delivering webhooks to `https://` URLs.
    pub fn webhook_ca_file(mut self, pem: impl Into<std::path::PathBuf>) -> Self {
        self.webhook_ca_file = Some(pem.into());
        self
    }

    /// Starts the server in this process, on its own thread and tokio runtime (so it works the
    /// same from sync tests and from `#[tokio::test]`, and blocking calls in the test cannot
    /// starve it).
    pub fn start(self) -> TestServer {
        let (data, tokens) = prepare_data_dir();
        // The reserved port can be taken by another process before the server binds it; a
        // fresh port is then tried.
        let mut attempt = 0;
        let (addr, server) = loop {
            attempt += 1;
            let addr = free_addr();
            match InProcess::try_start(self.config(data.path(), addr)) {
                Ok(server) => break (addr, server),
                Err(e) if attempt < 3 => eprintln!("test server start failed ({e}); retrying"),
                Err(e) => panic!("test server failed to start: {e}"),
            }
        };
        let backend = Backend::InProcess(server);
        TestServer {
            url: format!("http://{addr}"),
            addr,
            tokens,
            data,
            backend,
            builder: self,
        }
    }

    /// Starts the real `hub-server` binary as a child process (see [`TestServer::kill`]).
    pub fn spawn_process(self) -> TestServer {
        let (data, tokens) = prepare_data_dir();
        let addr = free_addr();
        let child = spawn_child(&self, data.path(), addr);
        TestServer {
            url: format!("http://{addr}"),
            addr,
            tokens,
            data,
            backend: Backend::Process(Some(child)),
            builder: self,
        }
    }

    fn blob_url(&self, addr: SocketAddr) -> Option<String> {
        self.blob_host
            .as_ref()
            .map(|h| format!("http://{h}:{}", addr.port()))
    }

    fn config(&self, data_dir: &Path, addr: SocketAddr) -> hub_server::ServerConfig {
        let mut config = hub_server::ServerConfig::new(data_dir);
        config.listen = addr;
        config.public_url = Some(format!("http://{addr}"));
        config.blob_url = self.blob_url(addr);
        config.chaos = self.chaos.clone();
        config.page_size = self.page_size;
        config.multipart_threshold = self.multipart.map(|m| m.0);
        config.multipart_chunk_size = self.multipart.map(|m| m.1);
        config.webhook_ca_file = self.webhook_ca_file.clone();
        if let Some(s3) = &self.s3 {
            config.blob_store = Some(s3.url.clone());
            config.s3_endpoint = Some(s3.endpoint.clone());
            config.s3_presign = s3.presign;
        }
        config
    }
}

/// Creates the temp data dir with the standard accounts.
fn prepare_data_dir() -> (tempfile::TempDir, Tokens) {
    let data = tempfile::Builder::new()
        .prefix("hub-test-data-")
        .tempdir()
        .expect("temp data dir");
    let tokens = Tokens {
        write: new_token("alice"),
        read: new_token("aliceread"),
        bob: new_token("bob"),
    };
    let dir = data.path();
    hub_server::admin::add_user(dir, ALICE, &tokens.write, false, Some("Alice Tester"), None)
        .expect("add user alice");
    hub_server::admin::add_user(dir, ALICE, &tokens.read, true, None, None)
        .expect("add read token for alice");
    hub_server::admin::add_user(dir, BOB, &tokens.bob, false, Some("Bob Tester"), None)
        .expect("add user bob");
    hub_server::admin::add_org(dir, ORG, &[ALICE.to_string()], Some("Acme Corp")).expect("add org");
    (data, tokens)
}

/// A free loopback port. The server needs its port before it starts (its public and blob URLs
/// embed it), so the port is reserved by binding and released just before the server binds it.
fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr")
}

struct InProcess {
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl InProcess {
    fn start(config: hub_server::ServerConfig) -> InProcess {
        Self::try_start(config).unwrap_or_else(|e| panic!("test server failed to start: {e}"))
    }

    fn try_start(config: hub_server::ServerConfig) -> Result<InProcess, String> {
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hub-server".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("tokio runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    let server = match hub_server::start(config).await {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("hub_server::start: {e}")));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let _ = stop_rx.await;
                    // In-flight requests get a moment to finish; a hung client must not hang the test.
                    let _ = tokio::time::timeout(Duration::from_secs(5), server.shutdown()).await;
                });
            })
            .expect("spawn server thread");
        let ready = ready_rx
            .recv()
            .unwrap_or_else(|_| Err("server thread died during start-up".into()));
        if let Err(e) = ready {
            let _ = thread.join();
            return Err(e);
        }
        Ok(InProcess {
            shutdown: Some(stop_tx),
            thread: Some(thread),
        })
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

enum Backend {
    InProcess(InProcess),
    Process(Option<Child>),
}

/// A hub-server for one test: loopback only, temporary data directory, accounts from [`Tokens`].
/// Stopped (and its data removed) on Drop.
pub struct TestServer {
    url: String,
    addr: SocketAddr,
    tokens: Tokens,
    data: tempfile::TempDir,
    backend: Backend,
    builder: TestServerBuilder,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("url", &self.url)
            .field("data_dir", &self.data.path())
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// An in-process server with default settings.
    pub fn start() -> TestServer {
        TestServerBuilder::default().start()
    }

    /// A builder for chaos, blob host alias and page size.
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder::default()
    }

    /// The real `hub-server` binary as a child process, default settings.
    pub fn spawn_process() -> TestServer {
        TestServerBuilder::default().spawn_process()
    }

    /// Base URL, `http://127.0.0.1:PORT` (no trailing slash); use it as `HF_ENDPOINT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's data directory (deleted when the server is dropped).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// The pre-created tokens.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// Adds a user (or a token for an existing user) while the server runs; returns the token.
    pub fn add_user(&self, name: &str, read_only: bool) -> String {
        let token = new_token(name);
        hub_server::admin::add_user(self.data_dir(), name, &token, read_only, None, None)
            .unwrap_or_else(|e| panic!("add user {name}: {e}"));
        token
    }

    /// Creates an organization (or adds members to it) while the server runs.
    pub fn add_org(&self, org: &str, members: &[&str]) {
        let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        hub_server::admin::add_org(self.data_dir(), org, &members, None)
            .unwrap_or_else(|e| panic!("add org {org}: {e}"));
    }

    /// Creates a repository whose id has no namespace (`gpt2`) while the server runs; members of
    /// `owner` may write to it.
    pub fn add_canonical_repo(&self, ty: hub_server::repo::RepoType, name: &str, owner: &str) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(hub_server::admin::create_canonical_repo(
            self.data_dir(),
            ty,
            name,
            Some(owner),
        ))
        .unwrap_or_else(|e| panic!("create canonical repo {name}: {e}"));
    }

    /// `HF_ENDPOINT` and `HF_TOKEN` (alice's write token) for a child process.
    pub fn envs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HF_ENDPOINT", self.url.clone()),
            ("HF_TOKEN", self.tokens.write.clone()),
        ]
    }

    /// Runs a Python snippet against this server as alice (write token), see [`crate::python::run`].
    pub fn python(&self, version: Version, script: &str) -> Output {
        crate::python::run(version, script, &self.env_pairs(&[]))
    }

    /// Runs a Python snippet with extra `envs` (e.g. `HF_TOKEN` of another user, `HF_HOME`).
    pub fn python_with(&self, version: Version, script: &str, envs: &[(&str, &str)]) -> Output {
        crate::python::run(version, script, &self.env_pairs(envs))
    }

    /// Runs a Python snippet and parses its last stdout line as JSON (panics on failure).
    pub fn python_json(&self, version: Version, script: &str) -> serde_json::Value {
        crate::python::run_json(version, script, &self.env_pairs(&[]))
    }

    /// [`TestServer::python_json`] with extra `envs`.
    pub fn python_json_with(
        &self,
        version: Version,
        script: &str,
        envs: &[(&str, &str)],
    ) -> serde_json::Value {
        crate::python::run_json(version, script, &self.env_pairs(envs))
    }

    fn env_pairs<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut v = vec![
            ("HF_ENDPOINT", self.url.as_str()),
            ("HF_TOKEN", self.tokens.write.as_str()),
        ];
        v.extend_from_slice(extra);
        v
    }

    /// Runs `huggingface-cli ARGS` against this server as alice (write token).
    pub fn cli(&self, args: &[&str]) -> Output {
        crate::bins::cli(args, &self.env_pairs(&[]))
    }

    /// Runs `huggingface-cli ARGS` with extra `envs` (applied last).
    pub fn cli_with(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        crate::bins::cli(args, &self.env_pairs(envs))
    }

    /// A blocking reqwest-free readiness probe: true when the port accepts connections.
    pub fn is_listening(&self) -> bool {
        TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok()
    }

    /// Process servers only: `kill -9` the server (no graceful shutdown, no flush).
    pub fn kill(&mut self) {
        match &mut self.backend {
            Backend::Process(child) => {
                if let Some(mut c) = child.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
            Backend::InProcess(_) => panic!("kill() needs TestServer::spawn_process()"),
        }
    }

    /// Starts the server again on the same address and data directory (after [`TestServer::kill`]
    /// for process servers; in-process servers are stopped gracefully first).
    pub fn restart(&mut self) {
        match &mut self.backend {
            Backend::Process(child) => {
                if let Some(mut c) = child.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                *child = Some(spawn_child(&self.builder, self.data.path(), self.addr));
            }
            Backend::InProcess(p) => {
                p.stop();
                *p = InProcess::start(self.builder.config(self.data.path(), self.addr));
            }
        }
    }

    /// Restarts the server on the same address and data with another chaos spec (`None`: no
    /// faults), e.g. to set a repository up reliably and then download it under faults.
    pub fn restart_with_chaos(&mut self, spec: Option<&str>) {
        self.builder.chaos = spec.map(str::to_string);
        self.restart();
    }

    /// The process id of a process server.
    pub fn pid(&self) -> Option<u32> {
        match &self.backend {
            Backend::Process(Some(c)) => Some(c.id()),
            _ => None,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        match &mut self.backend {
            Backend::InProcess(p) => p.stop(),
            Backend::Process(child) => {
                if let Some(mut c) = child.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
        }
    }
}

/// Command line of the server binary for this configuration.
fn server_command(b: &TestServerBuilder, data_dir: &Path, addr: SocketAddr) -> Command {
    let mut cmd = Command::new(crate::bins::server_bin());
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--public-url")
        .arg(format!("http://{addr}"));
    if let Some(u) = b.blob_url(addr) {
        cmd.arg("--blob-url").arg(u);
    }
    if let Some(c) = &b.chaos {
        cmd.arg("--chaos").arg(c);
    }
    if let Some(n) = b.page_size {
        cmd.arg("--page-size").arg(n.to_string());
    }
    if let Some((threshold, chunk)) = b.multipart {
        cmd.arg("--multipart-threshold").arg(threshold.to_string());
        cmd.arg("--multipart-chunk-size").arg(chunk.to_string());
    }
    if let Some(pem) = &b.webhook_ca_file {
        cmd.arg("--webhook-ca-file").arg(pem);
    }
    if let Some(s3) = &b.s3 {
        cmd.env("AWS_ACCESS_KEY_ID", crate::moto::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", crate::moto::SECRET_KEY);
        cmd.arg("--blob-store").arg(&s3.url);
        cmd.arg("--s3-endpoint").arg(&s3.endpoint);
        if s3.presign {
            cmd.arg("--s3-presign");
        }
    }
    cmd
}

fn spawn_once(b: &TestServerBuilder, data_dir: &Path, addr: SocketAddr, log: &Path) -> Child {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|e| panic!("opening {}: {e}", log.display()));
    let mut cmd = server_command(b, data_dir, addr);
    cmd.stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("dup log file"))
        .stderr(log_file);
    cmd.spawn()
        .unwrap_or_else(|e| panic!("spawning hub-server: {e}"))
}

fn spawn_child(b: &TestServerBuilder, data_dir: &Path, addr: SocketAddr) -> Child {
    let log = log_path(data_dir);
    let mut child = spawn_once(b, data_dir, addr, &log);
    // A restart right after kill -9 may find the port briefly unavailable; the server's bind
    // error then shows up as an early exit, and we retry until the deadline.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            if Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(200));
                child = spawn_once(b, data_dir, addr, &log);
                continue;
            }
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("hub-server exited with {status} during start-up:\n{text}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("hub-server did not listen on {addr} within 30 s:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The log of a process server; kept in its data dir so it goes away with it.
fn log_path(data_dir: &Path) -> PathBuf {
    data_dir.join("server.log")
}
