//! Running the `hub-server` binary for the demo and the benchmarks: a temp data directory, a
//! user with a write token, loopback only. Every flag of the server's command line is spelled in
//! this one file.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::util::output;

/// A hub-server child process with its own temp data dir; killed on Drop.
pub(crate) struct ServerProcess {
    child: Child,
    url: String,
    token: String,
    user: String,
    log: PathBuf,
    // Declared last: removed after the child is gone.
    data: tempfile::TempDir,
}

/// A free loopback port (the server needs its port up front: its URLs embed it).
fn free_addr() -> Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(l.local_addr()?)
}

impl ServerProcess {
    /// Creates a data dir with user `user` (write token generated here) and starts `bin` on it.
    pub(crate) fn start(bin: &Path, user: &str) -> Result<ServerProcess> {
        ServerProcess::start_with(bin, user, &[])
    }

    /// [`ServerProcess::start`] with extra `serve` flags, e.g. `["--chaos", "throttle=8388608"]`.
    pub(crate) fn start_with(bin: &Path, user: &str, extra: &[&str]) -> Result<ServerProcess> {
        let data = tempfile::Builder::new()
            .prefix("hub-rs-server-")
            .tempdir()?;
        let token = format!(
            "hf_{user}_{:016x}{:016x}",
            seed_from_time(),
            std::process::id()
        );
        output(
            Command::new(bin)
                .args(["user", "add", user, "--token"])
                .arg(&token)
                .arg("--data-dir")
                .arg(data.path()),
        )
        .context("creating the user with `hub-server user add`")?;
        let addr = free_addr()?;
        let log = data.path().join("server.log");
        let log_file = std::fs::File::create(&log)?;
        let child = Command::new(bin)
            .arg("serve")
            .arg("--data-dir")
            .arg(data.path())
            .arg("--listen")
            .arg(addr.to_string())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut server = ServerProcess {
            child,
            url: format!("http://{addr}"),
            token,
            user: user.to_string(),
            log,
            data,
        };
        server.wait_ready(addr)?;
        Ok(server)
    }

    fn wait_ready(&mut self, addr: SocketAddr) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("hub-server exited with {status}:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "hub-server did not listen on {addr} within 30 s:\n{}",
            self.log_text()
        )
    }

    /// The server log so far.
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Base URL (`HF_ENDPOINT`).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The write token of [`ServerProcess::user`] (for requests the benchmarks make themselves).
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// The user created at start.
    pub(crate) fn user(&self) -> &str {
        &self.user
    }

    /// The data directory.
    pub(crate) fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Peak resident memory of the server process so far (`VmHWM`, KiB), from /proc.
    pub(crate) fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// CPU time (user + system) the server process has used so far, from /proc; benchmarks
    /// take the difference around a run, as the server shares the machine with the client.
    pub(crate) fn cpu_time(&self) -> Option<std::time::Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields after the command name (which may hold spaces) start with the state (3rd).
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let per_second = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
            .ok()
            .flatten()
            .and_then(|t| u64::try_from(t).ok())
            .filter(|&t| t > 0)?;
        Some(std::time::Duration::from_secs_f64(
            ticks as f64 / per_second as f64,
        ))
    }

    /// `HF_ENDPOINT` and `HF_TOKEN` for clients of this server.
    pub(crate) fn client_env(&self, cmd: &mut Command) {
        cmd.env("HF_ENDPOINT", &self.url)
            .env("HF_TOKEN", &self.token);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clock-derived bits for tokens that only have to differ between runs, not be secret.
fn seed_from_time() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
