//! Locating (and when possible building) the workspace binaries the tests run:
//! `huggingface-cli` (crate hub-cli) and `hub-server`.
//!
//! Cargo only exposes `CARGO_BIN_EXE_*` for binaries of the package under test, so the binaries
//! of other workspace crates are found next to the test executable: a test binary lives in
//! `target/<profile>/deps/`, the binaries in `target/<profile>/`.
//!
//! A binary older than a source file of the crates it is built from (and than the stamp written
//! after the last harness build) is stale. Under nextest (`NEXTEST=1`) or with
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
    let crates = crate_closure(package);
    let fresh = path.is_file() && (is_fresh(&path, &crates) || is_fresh(&stamp, &crates));
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

/// The workspace crates `package` is built from: itself and its `hub-*` dependencies,
/// transitively (read from the `crates/<name>/Cargo.toml` manifests).
fn crate_closure(package: &str) -> Vec<String> {
    let root = crate::repo_root().join("crates");
    let mut seen: Vec<String> = vec![];
    let mut todo = vec![package.to_string()];
    while let Some(name) = todo.pop() {
        if seen.contains(&name) {
            continue;
        }
        let manifest =
            std::fs::read_to_string(root.join(&name).join("Cargo.toml")).unwrap_or_default();
        // Only the normal dependencies: dev-dependencies do not go into the binary.
        let deps = manifest.split("\n[dependencies]").nth(1).unwrap_or("");
        let deps = deps.split("\n[").next().unwrap_or("");
        for line in deps.lines() {
            let dep: String = line
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if dep.starts_with("hub-") && root.join(&dep).is_dir() {
                todo.push(dep);
            }
        }
        seen.push(name);
    }
    seen
}

/// True when `stamp` (the binary, or the stamp written after a harness build) exists and is newer
/// than every source of the crates in `crates` (their `src/`, manifests and build scripts) and
/// than the root `Cargo.toml`/`Cargo.lock`, so the (slow, lock-taking) `cargo build` can be
/// skipped. Edits to tests or to crates the binary does not use do not count.
fn is_fresh(stamp: &std::path::Path, crates: &[String]) -> bool {
    let Ok(built) = stamp.metadata().and_then(|m| m.modified()) else {
        return false;
    };
    let root = crate::repo_root();
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    let mut stack = vec![];
    let mut files = vec![root.join("Cargo.toml"), root.join("Cargo.lock")];
    for c in crates {
        let dir = root.join("crates").join(c);
        stack.push(dir.join("src"));
        files.push(dir.join("Cargo.toml"));
        files.push(dir.join("build.rs"));
    }
    for f in files {
        if let Ok(t) = f.metadata().and_then(|m| m.modified()) {
            newest = newest.max(t);
        }
    }
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_built_from_its_library_crates() {
        let crates = crate_closure("hub-cli");
        for c in ["hub-cli", "hub-core"] {
            assert!(
                crates.contains(&c.to_string()),
                "{c} missing from {crates:?}"
            );
        }
        assert!(!crates.contains(&"hub-server".to_string()), "{crates:?}");
        assert_eq!(crate_closure("hub-server"), ["hub-server"]);
    }

    #[test]
    fn a_missing_file_is_never_fresh() {
        assert!(!is_fresh(
            std::path::Path::new("/nonexistent/hub-tests-stamp"),
            &["hub-core".to_string()]
        ));
    }
}
