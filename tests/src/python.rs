//! Running snippets with the pinned Python `huggingface_hub` clients (the interop referee).
//!
//! The venvs are created by `cargo xtask venv` (also run by `cargo xtask test`) under `.venv/` at
//! the repository root. Scripts run with `PYTHONPATH=tests/python`, so they can
//! `from hubtest import ...` the shared helpers, and with a fresh `HF_HOME` unless the caller sets
//! one. [`Version::V24`] always runs with `HF_HUB_DISABLE_XET=1` (hub-server has no Xet support).

use std::path::PathBuf;
use std::process::{Command, Output};

/// A pinned `huggingface_hub` release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// huggingface_hub 0.26.5 (requests) with hf_transfer, venv `.venv/hf026`.
    V026,
    /// huggingface_hub 2.4.0 (httpx), venv `.venv/hf24`.
    V24,
}

impl Version {
    /// Both versions, for tests that run a scenario against each.
    pub const ALL: [Version; 2] = [Version::V026, Version::V24];

    /// The venv directory name under `.venv/`.
    pub fn venv_name(self) -> &'static str {
        match self {
            Version::V026 => "hf026",
            Version::V24 => "hf24",
        }
    }

    /// The exact `huggingface_hub.__version__`.
    pub fn hub_version(self) -> &'static str {
        match self {
            Version::V026 => "0.26.5",
            Version::V24 => "2.4.0",
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.hub_version())
    }
}

/// The interpreter of the venv for `version`; panics with instructions when it is missing.
pub fn venv(version: Version) -> PathBuf {
    let py = crate::repo_root()
        .join(".venv")
        .join(version.venv_name())
        .join("bin")
        .join("python");
    assert!(
        py.is_file(),
        "Python venv for huggingface_hub {version} not found at {}: run `cargo xtask venv` \
         (`cargo xtask test` does it for you)",
        py.display()
    );
    py
}

/// A `python` command in the venv with a clean environment (inherited `HF_*` removed, telemetry
/// and progress bars off, Xet disabled, `PYTHONPATH=tests/python`). `HF_HOME` is not set.
pub fn command(version: Version) -> Command {
    let mut cmd = Command::new(venv(version));
    crate::scrub_hf_env(&mut cmd);
    cmd.env(
        "PYTHONPATH",
        crate::repo_root().join("tests").join("python"),
    )
    .env("PYTHONUNBUFFERED", "1")
    .env("PYTHONDONTWRITEBYTECODE", "1")
    .env("HF_HUB_DISABLE_TELEMETRY", "1")
    .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    .env("HF_HUB_DISABLE_SYMLINKS_WARNING", "1")
    .env("HF_HUB_DISABLE_EXPERIMENTAL_WARNING", "1")
    .env("HF_HUB_DISABLE_XET", "1");
    cmd
}

/// Runs `script` (Python source) in the venv for `version` with `envs` applied last. Typical envs
/// are `HF_ENDPOINT` and `HF_TOKEN`; `HF_HOME` defaults to a temporary directory removed afterwards.
pub fn run(version: Version, script: &str, envs: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().expect("temp HF_HOME");
    let mut cmd = command(version);
    cmd.env("HF_HOME", home.path()).arg("-c").arg(script);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("running python {version}: {e}"))
}

/// Like [`run`], but panics (showing stdout and stderr) unless the script exits 0, and parses the
/// last non-empty line of stdout as JSON — the convention of every script under `tests/python/`.
pub fn run_json(version: Version, script: &str, envs: &[(&str, &str)]) -> serde_json::Value {
    let out = run(version, script, envs);
    parse_json_output(version, &out)
}

/// Checks a finished Python run and parses its last stdout line as JSON (see [`run_json`]).
pub fn parse_json_output(version: Version, out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python (huggingface_hub {version}) failed with {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_else(|| {
            panic!("python (huggingface_hub {version}) printed nothing\n--- stderr ---\n{stderr}")
        });
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "python (huggingface_hub {version}): last stdout line is not JSON ({e}): {last}\n--- stderr ---\n{stderr}"
        )
    })
}
