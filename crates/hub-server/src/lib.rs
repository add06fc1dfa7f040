//! A local, durable server speaking the Hugging Face Hub HTTP API.
//!
//! `hub-server` implements the subset of the Hub API that the Python `huggingface_hub` client (0.26
//! and 2.x with `HF_HUB_DISABLE_XET=1`) and the hub-rs crates use: accounts and tokens, repository
//! CRUD, file resolve/download with ranges and signed LFS redirects, tree / paths-info, refs,
//! commits, branches, tags, the preupload + LFS batch (basic and multipart) + NDJSON commit upload
//! protocol, pull requests as `refs/pr/N`, and git smart HTTP (via `git http-backend`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), hub_server::ServerError> {
//! let dir = std::path::Path::new("/tmp/hub-data");
//! hub_server::admin::add_user(dir, "alice", "hf_alice_token", false, None, None)?;
//! let server = hub_server::start(hub_server::ServerConfig::new(dir)).await?;
//! println!("{}", server.url()); // e.g. http://127.0.0.1:41234
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # HTTP surface
//!
//! | Area | Routes |
//! |---|---|
//! | accounts | `GET /api/whoami-v2`, `/api/users/{u}/overview`, `/api/organizations/{o}/members\|overview` |
//! | repos | `POST /api/repos/create`, `DELETE /api/repos/delete`, `POST /api/repos/move`, `PUT /api/{T}/{id}/settings`, `POST /api/spaces/{id}/duplicate` |
//! | info | `GET /api/{T}/{id}[/revision/{rev}]`, `GET /api/{models,datasets,spaces}` (cursor pages), `GET /api/{T}/{id}/auth-check` |
//! | files | `HEAD\|GET /{prefix}{id}/resolve/{rev}/{path}`, signed `GET /_lfs/{sha256}` |
//! | tree | `GET /api/{T}/{id}/tree/{rev}[/{path}]`, `POST /api/{T}/{id}/paths-info/{rev}` |
//! | history | `/refs`, `/commits/{rev}`, `/branch/{name}`, `/tag/{rev}`, `/super-squash/{branch}` under `/api/{T}/{id}` |
//! | upload | `/api/{T}/{id}/preupload/{rev}`, `/{prefix}{id}.git/info/lfs/objects/{batch,verify}`, signed `PUT /_upload/…`, NDJSON `POST /api/{T}/{id}/commit/{rev}` |
//! | PRs | `/api/{T}/{id}/discussions[/{num}[/{comment,status,title,merge}]]` |
//! | git | `/{prefix}{id}[.git]/info/refs`, `/git-upload-pack`, `/git-receive-pack` (via [`git_http`]) |
//! | commit page | `GET /{prefix}{id}/commit/{sha}` (HTML) |
//! | misc | `POST /api/validate-yaml`, `GET /api/metrics`, `HEAD /api/telemetry/…` |
//!
//! `{id}` is `namespace/name`, or just `name` for the canonical repositories an administrator
//! creates ([`admin::create_canonical_repo`]); revisions may be abbreviated commit ids (7+ hex).
//!
//! Errors carry `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`,
//! `GatedRepo`), `X-Error-Message` and a JSON body `{"error": …}` with the Hub's statuses and
//! texts (a missing or invisible repository is a 401 without a token, a 404 with one); every response has an
//! `x-request-id`. Revisions and paths may use raw or `%2F`-encoded slashes; where a revision and
//! a path share the URL, the longest prefix naming an existing revision wins.
//!
//! # Storage layout
//!
//! ```text
//! DATA/
//!   auth.json                      users, orgs, token hashes (atomic JSON)
//!   secret                         HMAC key for signed LFS URLs (survives restarts)
//!   redirects.json                 renamed repos: old id -> new id
//!   repos/{models|datasets|spaces}/{ns}/{name}.git/
//!       HEAD, config, objects/, refs/    a genuine bare git repository
//!       hub.json                   repo settings (private, gated, sdk, createdAt)
//!       discussions.json           discussions / pull requests (numbering of refs/pr/N)
//!   lfs/objects/{aa}/{sha256}      LFS contents (LocalBlobStore)
//!   multipart/mp-…, mp-….parts     multipart uploads in progress and their stored parts
//!   hooks/pre-receive              the push checks (rewritten at every start)
//!   tmp/                           staging area (same filesystem, so renames are atomic)
//! ```
//!
//! Every Hub repository is a real bare git repository: commit/tree/blob ids are real git ids, and
//! `git clone`/`git push` through the smart-HTTP routes see the same state as the API. The server
//! writes loose objects itself (zlib + sha1) and reads loose objects itself; objects that only exist
//! in pack files (after a `git push` of many objects) are read with `git cat-file`. Refs are read
//! from disk on every request, never cached, so git pushes are visible immediately.
//!
//! Regular files are git blobs. LFS files are git blobs holding an LFS pointer
//! (`version https://git-lfs.github.com/spec/v1` / `oid sha256:…` / `size N`); their content lives
//! in a content-addressed [`blobstore::BlobStore`].
//!
//! # Crash safety
//!
//! * Objects (git objects and LFS blobs) are written to a temp file, fsynced and renamed into their
//!   content-addressed name; a name is therefore either absent or complete. Incoming LFS uploads
//!   are hashed while streaming and only renamed into place when sha256 and size match. Multipart
//!   parts are written in place into one staging file that is hashed in part order as parts
//!   arrive ([`multipart`]), then fsynced and renamed into the store on completion.
//! * A ref is updated only after every object it (transitively) references is durable, using git's
//!   own lock protocol (`refs/heads/x.lock` created with `O_EXCL`, fsync, rename) plus a per-repo
//!   tokio mutex, and compare-and-swap against the expected old value; so a `kill -9` at any moment
//!   leaves each ref at either its old or its new commit, both complete. Concurrent commits to a
//!   branch therefore apply one at a time; a stale `parentCommit` is answered with 412.
//! * JSON metadata (`auth.json`, `hub.json`, `discussions.json`) is written with temp + fsync +
//!   rename. A new repository is assembled in `tmp/` and renamed into place in one step; a deleted
//!   one is first renamed into `tmp/`.
//! * What a killed process leaves behind is garbage by construction and is swept at start-up:
//!   `tmp/`, ref `.lock` files, `.tmp*` files in object directories. Multipart uploads in
//!   progress are the exception: they are kept with the list of their stored parts and taken up
//!   again ([`multipart`]). (While running, a ref lock
//!   older than 5 s is also reclaimed: no live writer holds one that long.)
//! * Pull-request numbers are the maximum of existing `refs/pr/N` and recorded discussions plus
//!   one, so a crash between creating the ref and recording the discussion cannot wedge numbering.
//!
//! # Configuration knobs for tests
//!
//! [`ServerConfig`] (and the matching `serve` flags) sets the listing page size (`--page-size`),
//! the multipart threshold and part size (`--multipart-threshold`, `--multipart-chunk-size`), a
//! separate base URL for signed LFS downloads (`--blob-url`) and fault injection (`--chaos`).
//!
//! # The `BlobStore` seam
//!
//! [`blobstore::BlobStore`] is an async trait (put from a byte stream with verification, put of an
//! already verified staged file, get as a stream with an optional range, exists, len, presigned
//! download URL). [`blobstore::LocalBlobStore`] implements it over a directory and moves staged
//! files into place; [`s3::S3BlobStore`] (`--blob-store s3://BUCKET/PREFIX`) keeps objects in an
//! S3-compatible bucket, verifying each upload in a staging key before copying it to its
//! content address, and inherits the default `put_verified_file`, which streams the staged
//! multipart file through `put`.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod auth;
pub mod blobstore;
pub mod card;
pub mod chaos;
pub mod error;
pub mod git;
pub mod git_http;
pub mod multipart;
pub mod pack;
mod positional;
pub mod repo;
mod routes;
pub mod s3;
pub mod util;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use error::{HubError, HubResult};

/// Administrative operations used by the `hub-server user|org` commands and by test harnesses.
pub mod admin {
    pub use crate::auth::{AdminError, add_org, add_user};

    use std::path::Path;

    use crate::repo::{RepoMeta, RepoStore, RepoType, StoreError};

    /// Creates a canonical repository, one whose id has no namespace (`gpt2`, `squad`), like the
    /// Hub's oldest models and datasets. Users cannot create these through the API (a name
    /// without a namespace lands in the caller's namespace there, as on the Hub); members of
    /// `owner` (a user or organization) may write to it. Safe to run next to a live server.
    pub async fn create_canonical_repo(
        data_dir: &Path,
        ty: RepoType,
        name: &str,
        owner: Option<&str>,
    ) -> Result<(), AdminError> {
        if !crate::auth::valid_name(name) {
            return Err(AdminError::Invalid(format!("invalid repo name {name:?}")));
        }
        let io = |source| AdminError::Io {
            path: data_dir.to_path_buf(),
            source,
        };
        let store = RepoStore::open_shared(data_dir).map_err(io)?;
        let meta = RepoMeta {
            id: hex::encode(rand::random::<[u8; 12]>()),
            private: false,
            gated: serde_json::Value::Bool(false),
            sdk: (ty == RepoType::Space).then(|| "static".to_string()),
            created_at: crate::util::now_date(),
            access: Default::default(),
            likers: vec![],
            owner: owner.map(str::to_string),
            space: None,
            discussions_disabled: false,
        };
        match store
            .create(ty, "", name, meta, owner.unwrap_or("hub-server"))
            .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::Exists) => Err(AdminError::Invalid(format!(
                "a {} called {name} already exists",
                ty.singular()
            ))),
            Err(StoreError::NotFound) => Err(AdminError::Invalid(format!("{name} not found"))),
            Err(StoreError::Io(e)) => Err(io(e)),
        }
    }
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// I/O error (bind, data dir).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Invalid configuration value.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Admin operation failed.
    #[error(transparent)]
    Admin(#[from] auth::AdminError),
}

/// Configuration of a server instance. Build it with [`ServerConfig::new`] and set fields
/// (new fields may be added, hence `non_exhaustive`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Root of all persistent state.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Base URL used in every URL the server returns (default `http://HOST:PORT`).
    pub public_url: Option<String>,
    /// Base URL of the signed LFS blob route (default: `public_url`). Use e.g. `http://localhost:PORT`
    /// while the API is on `127.0.0.1` to make clients see a cross-host redirect.
    pub blob_url: Option<String>,
    /// Fault injection spec (`drop=P,error=P,ratelimit=P,throttle=BYTES_PER_SEC,seed=N`).
    pub chaos: Option<String>,
    /// Page size for paginated listings (repos, tree, commits); default 1000.
    pub page_size: Option<usize>,
    /// LFS uploads of at least this many bytes use the multipart transfer; default 64 MiB.
    pub multipart_threshold: Option<u64>,
    /// Part size of multipart LFS uploads; default 16 MiB.
    pub multipart_chunk_size: Option<u64>,
    /// Where LFS contents live: `None` for `DATA/lfs`, or `s3://BUCKET[/PREFIX]` for an
    /// S3-compatible service (credentials from the `AWS_*` environment variables).
    pub blob_store: Option<String>,
    /// Endpoint URL of the S3-compatible service (default: AWS, or `AWS_ENDPOINT_URL`).
    pub s3_endpoint: Option<String>,
    /// Region of the S3 bucket (default: `AWS_REGION`, else `us-east-1`).
    pub s3_region: Option<String>,
    /// Answer LFS downloads with presigned redirects to the S3 store, for clients that can
    /// reach it; otherwise the server streams them.
    pub s3_presign: bool,
    /// PEM file of extra CA certificates trusted when delivering webhooks to `https://` URLs,
    /// on top of Mozilla's root set from webpki-roots (e.g. a private CA, or a receiver's self-signed cert).
    pub webhook_ca_file: Option<PathBuf>,
}

impl ServerConfig {
    /// A config with defaults: listen on `127.0.0.1:0`, no chaos.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        ServerConfig {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            blob_url: None,
            chaos: None,
            page_size: None,
            multipart_threshold: None,
            multipart_chunk_size: None,
            blob_store: None,
            s3_endpoint: None,
            s3_region: None,
            s3_presign: false,
            webhook_ca_file: None,
        }
    }
}

/// The client delivering webhooks: rustls with Mozilla's roots (webpki-roots), plus every certificate of
/// the PEM file `ca_file`. Redirects are not followed (a receiver answers where it was
/// registered) and each attempt is bounded, so a stuck receiver only delays its own queue.
fn webhook_client(ca_file: Option<&Path>) -> Result<reqwest::Client, ServerError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(30))
        .user_agent("hub-server-webhooks");
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            ServerError::Config(format!(
                "--webhook-ca-file {}: cannot read it: {e}",
                path.display()
            ))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            ServerError::Config(format!(
                "--webhook-ca-file {}: not a PEM certificate bundle: {e}",
                path.display()
            ))
        })?;
        if certs.is_empty() {
            return Err(ServerError::Config(format!(
                "--webhook-ca-file {}: no certificate in it; give a PEM file with at least one \
                 CERTIFICATE block",
                path.display()
            )));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| ServerError::Config(format!("webhook HTTP client: {e}")))
}

/// Shared state of all handlers (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

struct StateInner {
    data_dir: PathBuf,
    public_url: String,
    blob_url: String,
    page_size: usize,
    multipart_threshold: u64,
    multipart_chunk_size: u64,
    secret: Vec<u8>,
    auth: auth::AuthCache,
    repos: repo::RepoStore,
    blobs: Arc<dyn blobstore::BlobStore>,
    multipart: multipart::Multipart,
    /// The server's git hooks (the push checks of [`git_http::PushChecks`]).
    hooks_dir: PathBuf,
    /// The local LFS store's `objects` directory, for the push checks (`None` for S3).
    lfs_objects: Option<PathBuf>,
    /// HTTP(S) client delivering webhooks (rustls; webpki roots plus `webhook_ca_file`).
    webhook_client: reqwest::Client,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("data_dir", &self.inner.data_dir)
            .field("public_url", &self.inner.public_url)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens (creating if needed) the data dir and builds the state. `public_url` has no trailing `/`.
    pub fn open(data_dir: &Path, public_url: &str) -> Result<AppState, ServerError> {
        Self::open_with(&ServerConfig::new(data_dir), public_url)
    }

    /// Like [`AppState::open`], taking blob URL, page size and multipart settings from `config`
    /// (its `listen`, `public_url` and `chaos` are ignored).
    pub fn open_with(config: &ServerConfig, public_url: &str) -> Result<AppState, ServerError> {
        let data_dir = config.data_dir.as_path();
        let blob_url = config.blob_url.as_deref();
        let page_size = config.page_size;
        std::fs::create_dir_all(data_dir)?;
        let tmp = data_dir.join("tmp");
        // Temp files from a previous (possibly killed) run are garbage by construction.
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        // Multipart uploads in progress are kept across restarts (see `multipart`).
        let multipart_dir = data_dir.join("multipart");
        std::fs::create_dir_all(&multipart_dir)?;
        let hooks_dir = git_http::install_push_checks(data_dir)?;
        let secret_path = data_dir.join("secret");
        let secret = match std::fs::read(&secret_path) {
            Ok(s) if s.len() >= 32 => s,
            _ => {
                let s = hex::encode(rand::random::<[u8; 32]>()).into_bytes();
                util::atomic_write(&secret_path, &s)?;
                s
            }
        };
        let public_url = public_url.trim_end_matches('/').to_string();
        let blob_url = blob_url
            .map(|b| b.trim_end_matches('/').to_string())
            .unwrap_or_else(|| public_url.clone());
        let page_size = page_size.unwrap_or(1000).max(1);
        let (blobs, lfs_objects): (Arc<dyn blobstore::BlobStore>, Option<PathBuf>) =
            match config.blob_store.as_deref() {
                None => (
                    Arc::new(blobstore::LocalBlobStore::new(data_dir.join("lfs"))?),
                    Some(data_dir.join("lfs").join("objects")),
                ),
                Some(url) => {
                    let mut s3 = s3::S3Config::parse(url).ok_or_else(|| {
                        ServerError::Config(format!(
                            "--blob-store {url:?}: expected s3://BUCKET[/PREFIX]"
                        ))
                    })?;
                    s3.endpoint = config.s3_endpoint.clone();
                    s3.region = config.s3_region.clone();
                    s3.presign = config.s3_presign;
                    let store = s3::S3BlobStore::open(&s3)
                        .map_err(|e| ServerError::Config(e.to_string()))?;
                    // The push checks read a local store only.
                    (Arc::new(store), None)
                }
            };
        let webhook_client = webhook_client(config.webhook_ca_file.as_deref())?;
        Ok(AppState {
            inner: Arc::new(StateInner {
                data_dir: data_dir.to_path_buf(),
                public_url,
                blob_url,
                page_size,
                multipart_threshold: config
                    .multipart_threshold
                    .unwrap_or(64 * 1024 * 1024)
                    .max(1),
                multipart_chunk_size: config
                    .multipart_chunk_size
                    .unwrap_or(16 * 1024 * 1024)
                    .max(1),
                secret,
                auth: auth::AuthCache::new(data_dir),
                repos: repo::RepoStore::new(data_dir)?,
                blobs,
                // Signed upload URLs live a day; an upload never completed goes a little later.
                multipart: multipart::Multipart::new(
                    multipart_dir,
                    std::time::Duration::from_secs(25 * 3600),
                ),
                hooks_dir,
                lfs_objects,
                webhook_client,
            }),
        })
    }

    /// Base URL of returned links.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }
}

/// Builds the router (all routes, no chaos layer) for a state; usable with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> axum::Router {
    routes::router(state)
}

/// A running server; dropping it stops the server.
#[derive(Debug)]
pub struct RunningServer {
    url: String,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// Base URL (`public_url`, or `http://HOST:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }
    /// Bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// Stops accepting, lets in-flight requests finish (for at most 10 s), and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take() {
            // Long downloads or idle keep-alive clients must not block shutdown forever.
            if tokio::time::timeout(std::time::Duration::from_secs(10), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Binds, builds the app (with the chaos layer when configured) and serves in a background task.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_string();
    let cfg = config.clone();
    let url2 = url.clone();
    let state = tokio::task::spawn_blocking(move || AppState::open_with(&cfg, &url2))
        .await
        .map_err(|e| ServerError::Config(e.to_string()))??;
    let router = app(state);
    let router = apply_chaos(router, config.chaos.as_deref())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // Responses often go out as a header write followed by a body write; with Nagle's algorithm
    // the second write waits for the client's delayed ACK (~40 ms per small file), so turn it off.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let task = tokio::spawn(async move {
        let serve =
            axum::serve(listener, router.into_make_service()).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "server stopped with error");
        }
    });
    Ok(RunningServer {
        url,
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

fn apply_chaos(router: axum::Router, spec: Option<&str>) -> Result<axum::Router, ServerError> {
    match spec {
        None => Ok(router),
        Some(s) => {
            let spec: chaos::ChaosSpec = s
                .parse()
                .map_err(|e| ServerError::Config(format!("--chaos: {e}")))?;
            // Injected faults carry a request id too, like every other response.
            Ok(chaos::layer(router, spec).layer(axum::middleware::from_fn(routes::request_id)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn start_serves_on_a_free_port_and_shuts_down() {
        let dir = tempfile::tempdir().unwrap();
        admin::add_user(dir.path(), "alice", "hf_a", false, None, None).unwrap();
        let server = start(ServerConfig::new(dir.path())).await.unwrap();
        assert_ne!(server.addr().port(), 0);
        assert_eq!(server.url(), format!("http://{}", server.addr()));
        let client = reqwest::Client::new();
        let r = client
            .get(format!("{}/api/whoami-v2", server.url()))
            .bearer_auth("hf_a")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("x-request-id"));
        let url = server.url().to_string();
        server.shutdown().await;
        assert!(
            client
                .get(format!("{url}/api/whoami-v2"))
                .send()
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn public_url_and_chaos_config() {
        let dir = tempfile::tempdir().unwrap();
        admin::add_user(dir.path(), "alice", "hf_a", false, None, None).unwrap();
        let mut cfg = ServerConfig::new(dir.path());
        cfg.public_url = Some("http://example.test/".into());
        cfg.chaos = Some("error=1,seed=1".into());
        let server = start(cfg).await.unwrap();
        assert_eq!(server.url(), "http://example.test");
        let r = reqwest::get(format!("http://{}/api/models", server.addr()))
            .await
            .unwrap();
        assert!(r.status().is_server_error());
        assert!(r.headers().contains_key("x-request-id"));
        let mut bad = ServerConfig::new(dir.path());
        bad.chaos = Some("explode=1".into());
        assert!(matches!(start(bad).await, Err(ServerError::Config(_))));
    }
}
