//! Locating (and when possible building) the workspace binaries the tests run:
//! `huggingface-cli` (crate hub-cli) and `hub-server`.
//!
//! Cargo only exposes `CARGO_BIN_EXE_*` for binaries of the package under test, so the binaries
//! of other workspace crates are found next to the test executable: a test binary lives in
//! `target/<profile>/deps/`, the binaries in `target/<profile>/`.
//!
//! A binary older than any file under `crates/` (and than the stamp written after the last
//! harness build) is stale. Under nextest (`NEXTEST=1`) or with
//! `HUB_TESTS_BUILD=1` the harness then runs `cargo build -p <crate> --bin <bin>` (once per test
//! process). Under plain `cargo test` it cannot (cargo holds the build lock while the tests run),
//! so the binary must have been built before — `cargo xtask test` does that with
//! `cargo build --workspace --bins`; a missing binary fails the test with that hint, a stale one
//! prints a warning.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Mutex;

/// `target/<profile>` of the running test executable.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe
        .parent()
        .expect("test executable has a parent")
        .to_path_buf();
    if dir.file_name() == Some(OsStr::new("deps")) {
        dir.pop();
    }
    dir
}

fn should_build() -> bool {
    std::env::var_os("NEXTEST").is_some() || std::env::var_os("HUB_TESTS_BUILD").is_some()
}

/// Returns the path of workspace binary `bin` of package `package`, building it first when the
/// harness may (see the module docs).
pub fn workspace_bin(package: &str, bin: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = built.get_or_insert_with(HashMap::new).get(bin) {
        return path.clone();
    }
    let dir = profile_dir();
    let path = dir.join(bin);
    // cargo leaves a binary's mtime alone when a rebuild finds nothing to do (e.g. only another
    // crate's tests changed), so a stamp written after each successful build also counts:
    // without it every test process would run `cargo build` again.
    let stamp = dir.join(format!(".hub-tests-{bin}.stamp"));
    let fresh = path.is_file() && (is_fresh(&path) || is_fresh(&stamp));
    if !fresh && should_build() {
        build(package, bin, &dir);
        let _ = std::fs::write(&stamp, b"");
    } else if !fresh && path.is_file() {
        eprintln!(
            "warning: {} is older than the sources; rebuild it with `cargo build -p {package} --bin {bin}`",
            path.display()
        );
    }
    assert!(
        path.is_file(),
        "binary {} not found; build it first with `cargo build -p {package} --bin {bin}` \
         (or run the suite with `cargo xtask test` / `cargo nextest run`)",
        path.display()
    );
    built
        .get_or_insert_with(HashMap::new)
        .insert(bin.to_string(), path.clone());
    path
}

/// True when `bin` exists and is newer than every file under `crates/` and the root manifests,
/// so the (slow, lock-taking) `cargo build` can be skipped.
fn is_fresh(bin: &std::path::Path) -> bool {
    // (Also used for the build stamp next to the binary.)
    let Ok(built) = bin.metadata().and_then(|m| m.modified()) else {
        return false;
    };
    let root = crate::repo_root();
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    let mut stack = vec![root.join("crates")];
    for f in ["Cargo.toml", "Cargo.lock"] {
        if let Ok(t) = root.join(f).metadata().and_then(|m| m.modified()) {
            newest = newest.max(t);
        }
    }
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if let Ok(t) = meta.modified() {
                newest = newest.max(t);
            }
        }
    }
    built >= newest
}

fn build(package: &str, bin: &str, profile_dir: &std::path::Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(crate::repo_root())
        .args(["build", "--quiet", "-p", package, "--bin", bin]);
    let profile = profile_dir
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or("debug");
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    // target/<profile> → target (keeps a custom CARGO_TARGET_DIR or --target-dir working).
    if let Some(target) = profile_dir.parent() {
        cmd.arg("--target-dir").arg(target);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("running cargo build: {e}"));
    assert!(
        status.success(),
        "`cargo build -p {package} --bin {bin}` failed"
    );
}

/// Path of the `huggingface-cli` binary.
pub fn cli_bin() -> PathBuf {
    workspace_bin("hub-cli", "huggingface-cli")
}

/// Path of the `hub-server` binary.
pub fn server_bin() -> PathBuf {
    workspace_bin("hub-server", "hub-server")
}

/// A `huggingface-cli` command with a clean environment: inherited `HF_*` variables removed,
/// `HF_HOME` pointing at `hf_home`, progress bars and telemetry off.
pub fn cli_command(hf_home: &std::path::Path) -> Command {
    let mut cmd = Command::new(cli_bin());
    crate::scrub_hf_env(&mut cmd);
    cmd.env("HF_HOME", hf_home)
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("NO_COLOR", "1");
    cmd
}

/// Runs `huggingface-cli ARGS` with `envs` (applied after the defaults of [`cli_command`]; pass
/// `HF_HOME` to keep the cache, otherwise a temporary one is used and removed).
pub fn cli(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().expect("temp HF_HOME");
    let mut cmd = cli_command(home.path());
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("running {}: {e}", cli_bin().display()))
}
