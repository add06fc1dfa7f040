//! Git smart-HTTP bridge: serves `git clone` / `git fetch` / `git push` by running git's own
//! `git http-backend` as a CGI program.
//!
//! Both directions are streamed (request body → backend stdin, backend stdout → response body), so
//! memory stays bounded whatever the size of the pack. The backend runs with an isolated
//! configuration (no system/global config, repository hooks replaced by the server's own push
//! checks, automatic gc off) so that a push can only change what the server itself would change:
//! objects (fsck-checked on receipt, files over 10 MiB only as LFS pointers to stored objects) and
//! refs under `refs/heads/`, `refs/tags/` and existing `refs/pr/` refs. Deleting the default branch
//! is refused.
//!
//! Authentication is the caller's job; this module only enforces `can_write` for pushes and answers
//! anonymous push attempts with `401` + `WWW-Authenticate: Basic` so that git retries with the
//! credentials of the remote URL (`http://user:token@host/...`).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use axum::body::{Body, BodyDataStream};
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{ChildStdin, Command};

/// Largest upload-pack negotiation request http-backend will buffer in memory.
const MAX_REQUEST_BUFFER: &str = "32M";
/// Largest CGI header block accepted from the backend.
const MAX_CGI_HEADER: usize = 64 * 1024;
/// Largest ref-update command section of a push (before the pack data).
const MAX_PUSH_COMMANDS: usize = 1024 * 1024;
/// Longest pause accepted between two pieces of a request body. Generous because git may compute
/// deltas for minutes between sending its ref commands and the first pack byte; finite so that a
/// stalled client cannot hold a push (and the caller's write guard) forever.
const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
/// How much of the backend's stderr is kept for the log.
const MAX_STDERR: usize = 16 * 1024;

/// Errors answered by the bridge itself (the backend's own errors pass through as it sends them).
#[derive(Debug, thiserror::Error)]
enum GitHttpError {
    #[error("not a git smart-HTTP path")]
    NotFound,
    #[error("authentication required to push")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("push command list larger than {MAX_PUSH_COMMANDS} bytes")]
    TooLarge,
    #[error("compressed push requests are not supported")]
    UnsupportedEncoding,
    #[error("git http-backend failed: {0}")]
    Backend(String),
}

impl IntoResponse for GitHttpError {
    fn into_response(self) -> Response {
        let status = match &self {
            GitHttpError::NotFound => StatusCode::NOT_FOUND,
            GitHttpError::Unauthorized => StatusCode::UNAUTHORIZED,
            GitHttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            GitHttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            GitHttpError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            GitHttpError::UnsupportedEncoding => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            GitHttpError::Backend(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::warn!(error = %self, "git http bridge error");
        }
        let mut resp = (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{self}\n"),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Hugging Face Hub\""),
            );
        }
        resp
    }
}

/// Which git service a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    UploadPack,
    ReceivePack,
    /// Dumb-protocol files (`HEAD`, `objects/...`, plain `info/refs`): read-only.
    Dumb,
}

/// Splits the request path into the git-specific suffix (`/info/refs`, `/git-upload-pack`, ...)
/// and the service it addresses. The repository part of the path is the caller's business.
fn git_suffix(path: &str, query: &str) -> Option<(String, Service)> {
    let service_param = || {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("service="))
            .map(|s| match s {
                "git-upload-pack" => Service::UploadPack,
                "git-receive-pack" => Service::ReceivePack,
                _ => Service::Dumb,
            })
    };
    for (suffix, service) in [
        ("/info/refs", None),
        ("/git-upload-pack", Some(Service::UploadPack)),
        ("/git-receive-pack", Some(Service::ReceivePack)),
        ("/HEAD", Some(Service::Dumb)),
    ] {
        if path.ends_with(suffix) {
            let service = service.or_else(service_param).unwrap_or(Service::Dumb);
            return Some((suffix.to_owned(), service));
        }
    }
    // The object path after `/objects/` never contains `/objects/` itself, so the last occurrence
    // is the right one even for a repository called `objects`. http-backend validates the rest.
    path.rfind("/objects/")
        .map(|i| (path[i..].to_owned(), Service::Dumb))
}

/// Serves one git smart-HTTP request for the bare repository `git_dir`.
///
/// `req` is the full request as received; only the end of its path is used (`.../info/refs`,
/// `.../git-upload-pack`, `.../git-receive-pack`, plus the read-only dumb-protocol files), so the
/// caller may route any URL form (`/ns/name.git/...`, `/datasets/ns/name/...`) here. `user` is the
/// authenticated user (passed to git as `REMOTE_USER`), `can_write` whether that user may push.
///
/// The caller must have checked read access already. A push attempt without `can_write` gets
/// `401` + `WWW-Authenticate: Basic` when `user` is `None` (so git retries with credentials) and
/// `403` otherwise.
pub async fn serve_git(
    git_dir: PathBuf,
    req: Request,
    user: Option<String>,
    can_write: bool,
) -> Response {
    serve_git_guarded(git_dir, req, user, can_write, None, ()).await
}

/// The Hub's rules for pushed content, checked by a `pre-receive` hook the server installs
/// (see [`install_push_checks`]) while the pushed objects are still in git's quarantine: a
/// rejected push changes nothing.
#[derive(Debug, Clone)]
pub struct PushChecks {
    /// Directory holding the server's `pre-receive` hook.
    pub hooks_dir: PathBuf,
    /// `objects` directory of the local LFS store (`aa/<sha256>` files), used to check that
    /// pushed LFS pointers name stored objects; `None` skips that check.
    pub lfs_objects: Option<PathBuf>,
}

/// Largest blob a push may carry outside LFS (the Hub's limit).
pub const MAX_NON_LFS_BLOB: u64 = 10 * 1024 * 1024;

/// The `pre-receive` hook. For every pushed ref it lists the new objects (those not reachable
/// from any existing ref) and refuses blobs over [`MAX_NON_LFS_BLOB`] (they must go through LFS)
/// and LFS pointers whose object is not in the LFS store, with the Hub's messages. Only blobs
/// of pointer size are read, so a push of many small files stays cheap.
const PRE_RECEIVE: &str = r#"#!/bin/sh
# Installed by hub-server (rewritten at every start): the Hub's LFS rules for pushed content.
limit=__LIMIT__
zero=0000000000000000000000000000000000000000
big=$(mktemp) || exit 1
missing=$(mktemp) || exit 1
trap 'rm -f "$big" "$missing"' EXIT
while read -r old new ref; do
    [ "$new" = "$zero" ] && continue
    if [ "$old" = "$zero" ]; then
        git rev-list --objects "$new" --not --all
    else
        git rev-list --objects "$new" "^$old"
    fi | git cat-file --batch-check='%(objecttype) %(objectsize) %(objectname) %(rest)' |
    while read -r type size oid path; do
        [ "$type" = blob ] || continue
        if [ "$size" -gt "$limit" ]; then
            echo "  - $path (ref: $ref)" >> "$big"
            continue
        fi
        [ "$size" -ge 100 ] && [ "$size" -le 200 ] && [ -n "$HUB_LFS_OBJECTS" ] || continue
        sha=$(git cat-file blob "$oid" | sed -n -e '1{/^version https:\/\/git-lfs\.github\.com\/spec\/v1$/!q;}' -e 's/^oid sha256:\([0-9a-f]\{64\}\)$/\1/p')
        [ -n "$sha" ] || continue
        prefix=$(printf %s "$sha" | cut -c1-2)
        [ -f "$HUB_LFS_OBJECTS/$prefix/$sha" ] || echo "  - $path (ref: $ref)" >> "$missing"
    done
done
status=0
if [ -s "$big" ]; then
    echo "-------------------------------------------------------------------------" >&2
    echo "Your push was rejected because it contains files larger than 10 MiB." >&2
    echo "Please use https://git-lfs.github.com/ to store large files." >&2
    echo "See also: https://hf.co/docs/hub/repositories-getting-started#terminal" >&2
    echo "" >&2
    echo "Offending files:" >&2
    cat "$big" >&2
    echo "-------------------------------------------------------------------------" >&2
    status=1
fi
if [ -s "$missing" ]; then
    echo "-------------------------------------------------------------------------" >&2
    echo "Your push was rejected because an LFS pointer pointed to a file that does not exist." >&2
    echo "For instance, this can happen if you used git push --no-verify to push your changes." >&2
    echo "Offending files:" >&2
    cat "$missing" >&2
    echo "-------------------------------------------------------------------------" >&2
    status=1
fi
exit $status
"#;

/// Writes the server's `pre-receive` hook into `data_dir/hooks` (replacing an older one) and
/// returns that directory, for [`PushChecks::hooks_dir`].
pub fn install_push_checks(data_dir: &Path) -> std::io::Result<PathBuf> {
    let dir = data_dir.join("hooks");
    std::fs::create_dir_all(&dir)?;
    let script = PRE_RECEIVE.replace("__LIMIT__", &MAX_NON_LFS_BLOB.to_string());
    let tmp = dir.join(format!(".pre-receive.{}", uuid::Uuid::new_v4()));
    std::fs::write(&tmp, script)?;
    make_executable(&tmp)?;
    std::fs::rename(&tmp, dir.join("pre-receive"))?;
    Ok(dir)
}

/// Git runs a hook only if it is executable (on Unix; Git for Windows runs it through its shell).
#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Like [`serve_git`], but keeps `guard` alive until the backend process has exited.
///
/// The response headers are returned as soon as the backend has written them, which for a push is
/// *before* the refs are updated; pass a per-repository write lock guard here to keep other
/// writers out until `git receive-pack` is completely done.
pub async fn serve_git_guarded<G: Send + 'static>(
    git_dir: PathBuf,
    req: Request,
    user: Option<String>,
    can_write: bool,
    checks: Option<PushChecks>,
    guard: G,
) -> Response {
    match run_backend(git_dir, req, user, can_write, checks, guard).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn run_backend<G: Send + 'static>(
    git_dir: PathBuf,
    req: Request,
    user: Option<String>,
    can_write: bool,
    checks: Option<PushChecks>,
    guard: G,
) -> Result<Response, GitHttpError> {
    let (parts, body) = req.into_parts();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let (suffix, service) = git_suffix(parts.uri.path(), &query).ok_or(GitHttpError::NotFound)?;
    if service == Service::ReceivePack && !can_write {
        return Err(match user {
            None => GitHttpError::Unauthorized,
            Some(_) => {
                GitHttpError::Forbidden("you do not have write access to this repository".into())
            }
        });
    }
    let (root, name) = match (
        git_dir.parent(),
        git_dir.file_name().and_then(|n| n.to_str()),
    ) {
        (Some(root), Some(name)) => (root.to_path_buf(), name.to_owned()),
        _ => {
            return Err(GitHttpError::Backend(format!(
                "bad repository path {}",
                git_dir.display()
            )));
        }
    };

    let mut body = body.into_data_stream();
    // For a push, read and check the ref-update commands before git sees anything.
    let mut prefix = Bytes::new();
    let is_push_post = service == Service::ReceivePack && parts.method == http::Method::POST;
    if is_push_post {
        if header_str(&parts.headers, header::CONTENT_ENCODING)
            .is_some_and(|e| !e.eq_ignore_ascii_case("identity"))
        {
            // git never compresses push requests; decoding here would need a second inflater.
            return Err(GitHttpError::UnsupportedEncoding);
        }
        let (head, commands) = read_push_commands(&mut body).await?;
        let head_ref = read_head_ref(&git_dir).await;
        for cmd in &commands {
            check_ref_update(cmd, head_ref.as_deref()).map_err(GitHttpError::Forbidden)?;
        }
        prefix = head;
    }

    let mut cmd = Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("GIT_PROJECT_ROOT", &root)
        .env("PATH_INFO", format!("/{name}{suffix}"))
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_HTTP_MAX_REQUEST_BUFFER", MAX_REQUEST_BUFFER)
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("QUERY_STRING", &query)
        // Only the server's own settings apply: no system or user config (hooks, aliases, ...).
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ["PATH", "LD_LIBRARY_PATH", "TMPDIR"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    // Repository hooks never run: the server, not the repo content, decides what happens; its
    // own hook directory holds only the push checks.
    let hooks_path = checks
        .as_ref()
        .and_then(|c| c.hooks_dir.to_str())
        .unwrap_or("/dev/null")
        .to_owned();
    if let Some(lfs) = checks.as_ref().and_then(|c| c.lfs_objects.as_ref()) {
        cmd.env("HUB_LFS_OBJECTS", lfs);
    }
    let config: [(&str, &str); 10] = [
        ("http.uploadpack", "true"),
        ("http.receivepack", if can_write { "true" } else { "false" }),
        ("core.hooksPath", &hooks_path),
        // Reject malformed objects instead of storing them.
        ("receive.fsckObjects", "true"),
        // No background repacking / ref packing behind the server's back.
        ("receive.autogc", "false"),
        ("gc.auto", "0"),
        // Pushed objects and ref updates reach the disk before the push is acknowledged.
        ("core.fsync", "committed"),
        ("safe.directory", "*"),
        ("uploadpack.allowFilter", "true"),
        ("receive.denyNonFastForwards", "false"),
    ];
    cmd.env("GIT_CONFIG_COUNT", config.len().to_string());
    for (i, (key, value)) in config.iter().enumerate() {
        cmd.env(format!("GIT_CONFIG_KEY_{i}"), key)
            .env(format!("GIT_CONFIG_VALUE_{i}"), value);
    }
    for (name, var) in [
        (header::CONTENT_TYPE, "CONTENT_TYPE"),
        (header::CONTENT_LENGTH, "CONTENT_LENGTH"),
        // http-backend inflates gzip request bodies (git compresses large fetch negotiations).
        (header::CONTENT_ENCODING, "HTTP_CONTENT_ENCODING"),
        // Protocol v2 negotiation.
        (HeaderName::from_static("git-protocol"), "HTTP_GIT_PROTOCOL"),
    ] {
        if let Some(value) = header_str(&parts.headers, name) {
            cmd.env(var, value);
        }
    }
    if let Some(user) = &user {
        cmd.env("REMOTE_USER", user)
            .env("GIT_COMMITTER_NAME", user)
            .env("GIT_COMMITTER_EMAIL", format!("{user}@users.noreply.hub"));
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| GitHttpError::Backend(format!("cannot start git: {e}")))?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(GitHttpError::Backend("missing pipe to git".into()));
    };

    // Request body → stdin, concurrently with reading the answer (a large push would otherwise
    // deadlock once the pipes fill).
    tokio::spawn(feed_stdin(stdin, prefix, body));
    let stderr_task = tokio::spawn(collect_stderr(stderr));
    let repo = git_dir.clone();
    let mut stdout = BufReader::new(stdout);
    let head = read_cgi_headers(&mut stdout).await;
    // Reap the child (and release the guard) whenever it ends, whatever happens to the response.
    tokio::spawn(async move {
        let status = child.wait().await;
        let stderr = stderr_task.await.unwrap_or_default();
        drop(guard);
        match status {
            Ok(s) if s.success() => {}
            other => {
                tracing::info!(repo = %repo.display(), status = ?other, stderr = %stderr, "git http-backend failed")
            }
        }
    });
    let (status, headers) = head?;
    let mut resp = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(stdout)));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    Ok(resp)
}

fn header_str(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Copies the request body to the backend's stdin, then closes it.
///
/// On a client error mid-body stdin is simply closed: git then sees a truncated pack and updates
/// nothing (refs are only touched after the whole pack was received and checked).
async fn feed_stdin(mut stdin: ChildStdin, prefix: Bytes, mut body: BodyDataStream) {
    if !prefix.is_empty() && stdin.write_all(&prefix).await.is_err() {
        return;
    }
    loop {
        // A client that stops sending must not keep git (and the caller's guard) alive forever.
        let chunk = match tokio::time::timeout(BODY_IDLE_TIMEOUT, body.next()).await {
            Ok(Some(Ok(chunk))) => chunk,
            Ok(None) => break,
            Ok(Some(Err(_))) | Err(_) => return,
        };
        // A write error means git stopped reading (it refused the request): stop quietly, its
        // answer says why.
        if stdin.write_all(&chunk).await.is_err() {
            return;
        }
    }
    let _ = stdin.shutdown().await;
}

async fn collect_stderr(mut stderr: impl AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    // Keep draining after the cap so git never blocks on a full stderr pipe.
    while let Ok(n) = stderr.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = MAX_STDERR.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// Reads the CGI header block (`Name: value` lines up to an empty line) from the backend.
async fn read_cgi_headers(
    stdout: &mut BufReader<impl AsyncRead + Unpin>,
) -> Result<(StatusCode, HeaderMap), GitHttpError> {
    let mut status = StatusCode::OK;
    let mut headers = HeaderMap::new();
    let mut total = 0usize;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = stdout
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| GitHttpError::Backend(format!("reading CGI headers: {e}")))?;
        if n == 0 {
            return Err(GitHttpError::Backend(
                "backend exited without an answer".into(),
            ));
        }
        total += n;
        if total > MAX_CGI_HEADER {
            return Err(GitHttpError::Backend("CGI header block too large".into()));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            return Ok((status, headers));
        }
        let Some((name, value)) = text.split_once(':') else {
            return Err(GitHttpError::Backend(format!(
                "bad CGI header line {text:?}"
            )));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok());
            status = code
                .and_then(|c| StatusCode::from_u16(c).ok())
                .ok_or_else(|| GitHttpError::Backend(format!("bad CGI status {value:?}")))?;
        } else if let (Ok(name), Ok(value)) =
            (HeaderName::try_from(name), HeaderValue::try_from(value))
        {
            headers.append(name, value);
        }
    }
}

/// One ref update of a push: `old new refname`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RefUpdate {
    old: String,
    new: String,
    name: String,
}

fn is_zero_oid(oid: &str) -> bool {
    oid.bytes().all(|b| b == b'0')
}

/// Reads the pkt-line command section of a receive-pack request (up to its flush packet).
///
/// Returns all raw bytes read (to be replayed to git, followed by the rest of the body) and the
/// parsed commands.
async fn read_push_commands(
    body: &mut BodyDataStream,
) -> Result<(Bytes, Vec<RefUpdate>), GitHttpError> {
    let mut buf = BytesMut::new();
    let mut pos = 0usize;
    let mut commands = Vec::new();
    loop {
        // Make sure the 4-byte length (and then the payload) is buffered.
        let need = |buf: &BytesMut, n: usize| buf.len() >= pos + n;
        while !need(&buf, 4) {
            pull(body, &mut buf).await?;
        }
        let len_hex = std::str::from_utf8(&buf[pos..pos + 4]).ok();
        let len = len_hex
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .ok_or_else(|| GitHttpError::BadRequest("malformed pkt-line in push".into()))?;
        if len == 0 {
            // Everything read so far (commands and possibly the start of the pack) is replayed.
            return Ok((buf.freeze(), commands));
        }
        if len < 4 {
            return Err(GitHttpError::BadRequest(
                "unexpected special pkt-line in push".into(),
            ));
        }
        while !need(&buf, len) {
            pull(body, &mut buf).await?;
        }
        let payload = &buf[pos + 4..pos + len];
        // Capabilities follow the first command after a NUL.
        let line = payload.split(|b| *b == 0).next().unwrap_or_default();
        let line = std::str::from_utf8(line)
            .map_err(|_| GitHttpError::BadRequest("push command is not UTF-8".into()))?
            .trim_end_matches('\n');
        if line.starts_with("push-cert") {
            return Err(GitHttpError::Forbidden(
                "signed pushes are not supported".into(),
            ));
        }
        // Shallow clones announce their shallow commits first; they are not ref updates.
        if !line.starts_with("shallow ") {
            let mut it = line.splitn(3, ' ');
            match (it.next(), it.next(), it.next()) {
                (Some(old), Some(new), Some(name)) => commands.push(RefUpdate {
                    old: old.to_owned(),
                    new: new.to_owned(),
                    name: name.to_owned(),
                }),
                _ => {
                    return Err(GitHttpError::BadRequest(format!(
                        "malformed push command {line:?}"
                    )));
                }
            }
        }
        pos += len;
    }
}

async fn pull(body: &mut BodyDataStream, buf: &mut BytesMut) -> Result<(), GitHttpError> {
    if buf.len() > MAX_PUSH_COMMANDS {
        return Err(GitHttpError::TooLarge);
    }
    let next = tokio::time::timeout(BODY_IDLE_TIMEOUT, body.next())
        .await
        .map_err(|_| GitHttpError::BadRequest("push request stalled".into()))?;
    match next {
        Some(Ok(chunk)) => {
            buf.extend_from_slice(&chunk);
            Ok(())
        }
        Some(Err(e)) => Err(GitHttpError::BadRequest(format!(
            "reading push request: {e}"
        ))),
        None => Err(GitHttpError::BadRequest(
            "push request ended inside the command list".into(),
        )),
    }
}

/// The branch `HEAD` points at (`refs/heads/main`), if it is a symbolic ref.
async fn read_head_ref(git_dir: &Path) -> Option<String> {
    let head = tokio::fs::read_to_string(git_dir.join("HEAD")).await.ok()?;
    head.trim()
        .strip_prefix("ref: ")
        .map(|r| r.trim().to_owned())
}

/// The server's rules for refs a push may touch.
fn check_ref_update(cmd: &RefUpdate, head_ref: Option<&str>) -> Result<(), String> {
    let name = cmd.name.as_str();
    let deleting = is_zero_oid(&cmd.new);
    if name.starts_with("refs/heads/") || name.starts_with("refs/tags/") {
        if deleting && Some(name) == head_ref {
            return Err(format!("refusing to delete the default branch {name}"));
        }
        return Ok(());
    }
    if name.starts_with("refs/pr/") {
        // Pull-request refs belong to discussions: a push may move an existing one, never
        // create or delete it.
        if is_zero_oid(&cmd.old) || deleting {
            return Err(format!(
                "{name}: pull request refs can only be updated, not created or deleted"
            ));
        }
        return Ok(());
    }
    Err(format!(
        "{name}: only refs/heads/*, refs/tags/* and existing refs/pr/* can be pushed"
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::io::Write;
    use std::process::Command as StdCommand;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = StdCommand::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn git_fails(dir: &Path, args: &[&str]) -> String {
        let out = StdCommand::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .unwrap();
        assert!(!out.status.success(), "git {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// A bare repo `repo.git` with one commit on main; returns (tempdir, bare path, head oid).
    fn bare_repo() -> (tempfile::TempDir, PathBuf, String) {
        let tmp = tempfile::tempdir().unwrap();
        let bare = tmp.path().join("repo.git");
        git(
            tmp.path(),
            &["init", "--bare", "-q", "-b", "main", bare.to_str().unwrap()],
        );
        let work = tmp.path().join("seed");
        git(
            tmp.path(),
            &["init", "-q", "-b", "main", work.to_str().unwrap()],
        );
        std::fs::write(work.join("README.md"), "hello\n").unwrap();
        git(&work, &["add", "."]);
        git(&work, &["commit", "-q", "-m", "init"]);
        git(&work, &["push", "-q", bare.to_str().unwrap(), "main"]);
        let head = git(&bare, &["rev-parse", "main"]).trim().to_owned();
        (tmp, bare, head)
    }

    /// Serves `bare` over HTTP for any path; `x-test-write: 1` grants write access, `x-test-user`
    /// sets the user. Returns the base URL.
    async fn serve(bare: PathBuf, default_write: bool) -> String {
        let app = axum::Router::new().fallback(move |req: Request| {
            let bare = bare.clone();
            async move {
                let user = req
                    .headers()
                    .get("x-test-user")
                    .map(|v| v.to_str().unwrap().to_owned());
                serve_git(bare, req, user.or(Some("alice".into())), default_write).await
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/ns/repo.git")
    }

    async fn call(bare: &Path, req: Request, can_write: bool) -> (StatusCode, HeaderMap, Bytes) {
        let resp = serve_git(bare.to_path_buf(), req, Some("alice".into()), can_write).await;
        let (parts, body) = resp.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes(),
        )
    }

    #[test]
    fn suffix_detection() {
        assert_eq!(
            git_suffix("/ns/r.git/info/refs", "service=git-upload-pack"),
            Some(("/info/refs".into(), Service::UploadPack))
        );
        assert_eq!(
            git_suffix("/datasets/ns/r/info/refs", "x=1&service=git-receive-pack"),
            Some(("/info/refs".into(), Service::ReceivePack))
        );
        assert_eq!(
            git_suffix("/ns/r/info/refs", ""),
            Some(("/info/refs".into(), Service::Dumb))
        );
        assert_eq!(
            git_suffix("/ns/r/git-receive-pack", ""),
            Some(("/git-receive-pack".into(), Service::ReceivePack))
        );
        assert_eq!(
            git_suffix("/ns/objects/objects/pack/p.idx", ""),
            Some(("/objects/pack/p.idx".into(), Service::Dumb))
        );
        assert_eq!(git_suffix("/ns/r/resolve/main/x", ""), None);
    }

    #[tokio::test]
    async fn parses_cgi_headers() {
        let raw: &[u8] = b"Status: 403 Forbidden\r\nContent-Type: text/plain\r\nX-A: 1\r\n\r\nrest";
        let mut reader = BufReader::new(raw);
        let (status, headers) = read_cgi_headers(&mut reader).await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers[header::CONTENT_TYPE], "text/plain");
        assert_eq!(headers["x-a"], "1");
        let mut rest = String::new();
        reader.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "rest", "the body starts right after the blank line");
        // No status line means 200; an answer without the blank line is an error.
        let mut ok = BufReader::new(&b"Content-Type: a/b\n\n"[..]);
        assert_eq!(read_cgi_headers(&mut ok).await.unwrap().0, StatusCode::OK);
        let mut cut = BufReader::new(&b"Content-Type: a/b\r\n"[..]);
        assert!(read_cgi_headers(&mut cut).await.is_err());
        let mut bad = BufReader::new(&b"Status: soon\r\n\r\n"[..]);
        assert!(read_cgi_headers(&mut bad).await.is_err());
    }

    #[tokio::test]
    async fn parses_push_commands_across_chunks() {
        let (a, b, z) = ("a".repeat(40), "b".repeat(40), "0".repeat(40));
        let first = format!("{z} {a} refs/heads/new\0report-status side-band-64k\n");
        let second = format!("{a} {b} refs/tags/v1\n");
        let mut raw = Vec::new();
        for line in [&first, &second] {
            raw.extend_from_slice(format!("{:04x}{line}", line.len() + 4).as_bytes());
        }
        raw.extend_from_slice(b"0000PACK\x00\x00\x00\x02rest-of-pack");
        // Deliver one byte at a time: the parser must buffer across chunks.
        let chunks: Vec<Result<Bytes, std::io::Error>> = raw
            .iter()
            .map(|b| Ok(Bytes::copy_from_slice(&[*b])))
            .collect();
        let mut body = Body::from_stream(futures::stream::iter(chunks)).into_data_stream();
        let (prefix, cmds) = read_push_commands(&mut body).await.unwrap();
        assert_eq!(
            cmds,
            vec![
                RefUpdate {
                    old: z.clone(),
                    new: a.clone(),
                    name: "refs/heads/new".into()
                },
                RefUpdate {
                    old: a.clone(),
                    new: b.clone(),
                    name: "refs/tags/v1".into()
                },
            ]
        );
        // Everything read is replayed, then the rest follows: together, the original body.
        let mut replay = prefix.to_vec();
        while let Some(chunk) = body.next().await {
            replay.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(replay, raw);
        // A body that ends inside the command list is rejected.
        let mut short = Body::from(raw[..30].to_vec()).into_data_stream();
        assert!(read_push_commands(&mut short).await.is_err());
    }

    #[test]
    fn ref_rules() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let upd = |old: &str, new: &str, name: &str| RefUpdate {
            old: old.into(),
            new: new.into(),
            name: name.into(),
        };
        let head = Some("refs/heads/main");
        assert!(check_ref_update(&upd(&a, &a, "refs/heads/main"), head).is_ok());
        assert!(check_ref_update(&upd(&z, &a, "refs/heads/feature/x"), head).is_ok());
        assert!(check_ref_update(&upd(&a, &z, "refs/heads/feature/x"), head).is_ok());
        assert!(check_ref_update(&upd(&a, &z, "refs/heads/main"), head).is_err());
        assert!(check_ref_update(&upd(&z, &a, "refs/tags/v1"), head).is_ok());
        assert!(check_ref_update(&upd(&a, &a, "refs/pr/1"), head).is_ok());
        assert!(check_ref_update(&upd(&z, &a, "refs/pr/1"), head).is_err());
        assert!(check_ref_update(&upd(&a, &z, "refs/pr/1"), head).is_err());
        assert!(check_ref_update(&upd(&z, &a, "refs/convert/parquet"), head).is_err());
        assert!(check_ref_update(&upd(&z, &a, "refs/notes/x"), head).is_err());
    }

    #[tokio::test]
    async fn advertises_refs() {
        let (_tmp, bare, head) = bare_repo();
        let req = Request::get("/ns/repo.git/info/refs?service=git-upload-pack")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = call(&bare, req, false).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/x-git-upload-pack-advertisement"
        );
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("# service=git-upload-pack"), "{text}");
        assert!(text.contains(&format!("{head} refs/heads/main")), "{text}");
    }

    #[tokio::test]
    async fn read_only_push_is_refused() {
        let (_tmp, bare, _) = bare_repo();
        let req = Request::get("/ns/repo.git/info/refs?service=git-receive-pack")
            .body(Body::empty())
            .unwrap();
        let (status, _, _) = call(&bare, req, false).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let req = Request::post("/ns/repo.git/git-receive-pack")
            .body(Body::from("0000"))
            .unwrap();
        let anon = serve_git(bare.clone(), req, None, false).await;
        assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
        assert!(
            anon.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
        let req = Request::get("/ns/repo.git/resolve/main/x")
            .body(Body::empty())
            .unwrap();
        assert_eq!(call(&bare, req, true).await.0, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn gzipped_upload_pack_request() {
        let (_tmp, bare, head) = bare_repo();
        // Protocol v0 fetch of main: one want, then done.
        let want = format!("want {head} ofs-delta\n");
        let mut raw = format!("{:04x}{want}0000", want.len() + 4).into_bytes();
        raw.extend_from_slice(b"0009done\n");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&raw).unwrap();
        let gz = enc.finish().unwrap();
        let req = Request::post("/ns/repo.git/git-upload-pack")
            .header(
                header::CONTENT_TYPE,
                "application/x-git-upload-pack-request",
            )
            .header(header::CONTENT_ENCODING, "gzip")
            .body(Body::from(gz))
            .unwrap();
        let (status, headers, body) = call(&bare, req, false).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/x-git-upload-pack-result"
        );
        assert!(body.windows(4).any(|w| w == b"PACK"), "no pack in answer");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn clone_push_and_ref_rules_with_real_git() {
        let (tmp, bare, head) = bare_repo();
        let url = serve(bare.clone(), true).await;
        let work = tmp.path().join("work");
        let w = work.to_str().unwrap().to_owned();
        let t = tmp.path().to_path_buf();
        let bare2 = bare.clone();
        let url2 = url.clone();
        tokio::task::spawn_blocking(move || {
            git(&t, &["clone", "-q", &url2, &w]);
            assert_eq!(git(&work, &["rev-parse", "HEAD"]).trim(), head);
            // A big incompressible file exercises streaming of a multi-MiB pack both ways.
            let mut data = vec![0u8; 8 << 20];
            let mut x = 0x2545F4914F6CDD1Du64;
            for b in data.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            std::fs::write(work.join("big.bin"), &data).unwrap();
            std::fs::write(work.join("a.txt"), "a\n").unwrap();
            git(&work, &["add", "."]);
            git(&work, &["commit", "-q", "-m", "add files"]);
            git(&work, &["push", "-q", "origin", "main"]);
            let pushed = git(&work, &["rev-parse", "HEAD"]).trim().to_owned();
            assert_eq!(git(&bare2, &["rev-parse", "main"]).trim(), pushed);
            git(&bare2, &["fsck", "--strict"]);
            // Branches and tags may be created and deleted.
            git(
                &work,
                &[
                    "push",
                    "-q",
                    "origin",
                    "main:refs/heads/feature/x",
                    "main:refs/tags/v1",
                ],
            );
            git(&work, &["push", "-q", "origin", ":refs/heads/feature/x"]);
            assert!(git(&bare2, &["for-each-ref", "--format=%(refname)"]).contains("refs/tags/v1"));
            // Refs outside the allowed namespaces, and deleting main, are refused.
            git_fails(&work, &["push", "origin", "main:refs/notes/evil"]);
            git_fails(&work, &["push", "origin", "main:refs/pr/7"]);
            git_fails(&work, &["push", "origin", ":main"]);
            let refs = git(&bare2, &["for-each-ref", "--format=%(refname)"]);
            assert!(
                !refs.contains("refs/notes") && !refs.contains("refs/pr/"),
                "{refs}"
            );
            assert_eq!(git(&bare2, &["rev-parse", "main"]).trim(), pushed);
            // A fresh clone sees everything (fetch negotiation + large pack download).
            let again = t.join("again");
            git(&t, &["clone", "-q", &url2, again.to_str().unwrap()]);
            assert_eq!(std::fs::read(again.join("big.bin")).unwrap(), data);
        })
        .await
        .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn read_only_server_refuses_real_push() {
        let (tmp, bare, head) = bare_repo();
        let url = serve(bare.clone(), false).await;
        let t = tmp.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let work = t.join("work");
            git(&t, &["clone", "-q", &url, work.to_str().unwrap()]);
            std::fs::write(work.join("b.txt"), "b\n").unwrap();
            git(&work, &["add", "."]);
            git(&work, &["commit", "-q", "-m", "b"]);
            let err = git_fails(&work, &["push", "origin", "main"]);
            assert!(err.contains("403"), "{err}");
            assert_eq!(git(&bare, &["rev-parse", "main"]).trim(), head);
        })
        .await
        .unwrap();
    }
}
