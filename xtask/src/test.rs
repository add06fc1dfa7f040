//! `cargo xtask test`: everything CI checks.
//!
//! 1. `cargo fmt --all -- --check`
//! 2. `cargo clippy --workspace --all-targets -- -D warnings`
//! 3. `cargo check --target x86_64-pc-windows-gnu` of the library crates and the two binaries:
//!    Unix-only code (`std::os::unix`, libc, `O_DIRECT`) must stay behind `cfg`, and a
//!    platform-specific dependency table must not hold dependencies every platform needs
//!    ([`cross_check`]; needs the rustup target and the MinGW C compiler, which `.ci/run`
//!    installs)
//!    and `cargo check -p hub-core --no-default-features --features native-tls` (the TLS backend
//!    that is not the default)
//! 4. the Python venvs of the interop suite (`cargo xtask venv`, idempotent)
//! 5. `cargo build --workspace --bins` — end-to-end tests run `huggingface-cli` and `hub-server`
//!    binaries of other crates, which cargo does not build for a test target on its own
//! 6. `cargo xtask demo`, so the README's offline demo keeps working
//! 7. `cargo test --workspace --doc` (nextest does not run doctests; this includes the README
//!    and `docs/*.md` snippets, compiled through the hub-tests crate)
//! 8. `cargo nextest run --workspace` (falls back to `cargo test --workspace` without nextest);
//!    tests named `*_slow` are run too, with a longer timeout (`.config/nextest.toml`)
//!
//! Every step runs even when an earlier one failed (one CI run then shows every problem), and
//! the command fails at the end listing the failed steps. The test runner goes last so that its
//! summary closes the output.

use anyhow::{Result, bail};

use std::process::Command;

use crate::util::{cargo, on_path, output, run};

/// The non-host target CI type-checks. Windows lacks `std::os::unix` and libc, so it catches
/// both Unix-only code outside `cfg` and dependencies stuck in a Linux-only table; macOS cannot be
/// checked from Linux (ring's build script needs the macOS SDK headers).
const CROSS_TARGET: &str = "x86_64-pc-windows-gnu";

/// The C compiler ring's build script uses for [`CROSS_TARGET`] (Debian: `gcc-mingw-w64-x86-64`).
const CROSS_CC: &str = "x86_64-w64-mingw32-gcc";

/// Crates users build on every platform: the libraries and the two binaries.
const PORTABLE_CRATES: &[&str] = &[
    "hub-core",
    "hub-cache",
    "hub-upload",
    "hub-inference",
    "hub-endpoints",
    "hub-server",
    "hub-cli",
    "hub-fs",
    "hub-cards",
    "hub-webhooks",
];

/// Options of `cargo xtask test`.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct TestArgs {
    /// Skip `cargo fmt --check` and clippy (tests only).
    #[arg(long)]
    no_lint: bool,
    /// Skip running `cargo xtask demo` at the end.
    #[arg(long)]
    no_demo: bool,
    /// Extra arguments passed to the test runner (e.g. a filter: `-- interop`).
    #[arg(last = true)]
    runner_args: Vec<String>,
}

fn nextest_available() -> bool {
    // `cargo nextest` is a cargo subcommand binary; ask cargo rather than guessing paths.
    on_path("cargo-nextest") || output(cargo().args(["nextest", "--version"])).is_ok()
}

/// Runs the whole check.
pub(crate) fn run_all(args: &TestArgs) -> Result<()> {
    let mut failed: Vec<&str> = vec![];
    let mut step = |name: &'static str, result: Result<()>| {
        if let Err(e) = result {
            eprintln!("\n!!! step `{name}` failed: {e:#}\n");
            failed.push(name);
        }
    };
    if !args.no_lint {
        step("fmt", run(cargo().args(["fmt", "--all", "--", "--check"])));
        step(
            "clippy",
            run(cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                // Report every crate's problems, not only the first crate that fails.
                "--keep-going",
                "--",
                "-D",
                "warnings",
            ])),
        );
        step("cross-check", cross_check());
        // The other TLS backend must keep building (it needs OpenSSL's headers on Linux:
        // Debian's libssl-dev, which `.ci/run` installs).
        step(
            "native-tls",
            run(cargo().args([
                "check",
                "-p",
                "hub-core",
                "--no-default-features",
                "--features",
                "native-tls,blocking",
            ])),
        );
    }
    step("venv", crate::venv::ensure_all());
    step(
        "build",
        run(cargo().args(["build", "--workspace", "--bins", "--keep-going"])),
    );
    if !args.no_demo {
        step("demo", crate::demo::run_demo());
    }
    step(
        "doctests",
        run(cargo().args(["test", "--workspace", "--doc"])),
    );
    step("tests", run_tests(&args.runner_args));
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("failed steps: {}", failed.join(", "))
    }
}

/// Type-checks [`PORTABLE_CRATES`] (all features) for [`CROSS_TARGET`]. Outside CI a missing
/// target or C compiler skips the step with a hint; in CI it fails, since `.ci/run` installs both.
fn cross_check() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))
        .map(|out| out.lines().any(|l| l.trim() == CROSS_TARGET))
        .unwrap_or(false);
    let missing = match (installed, on_path(CROSS_CC)) {
        (true, true) => None,
        (false, _) => Some(format!(
            "the {CROSS_TARGET} target (`rustup target add {CROSS_TARGET}`)"
        )),
        (true, false) => Some(format!(
            "the {CROSS_CC} C compiler (Debian: gcc-mingw-w64-x86-64)"
        )),
    };
    if let Some(missing) = missing {
        if std::env::var_os("CI").is_some() {
            bail!("{missing} is not installed; `.ci/run` installs it");
        }
        eprintln!("skipping the {CROSS_TARGET} check: install {missing} to run it");
        return Ok(());
    }
    let mut cmd = cargo();
    cmd.args([
        "check",
        "--target",
        CROSS_TARGET,
        "--all-features",
        "--lib",
        "--bins",
    ]);
    cmd.arg("--keep-going");
    for krate in PORTABLE_CRATES {
        cmd.args(["-p", krate]);
    }
    run(&mut cmd)
}

fn run_tests(runner_args: &[String]) -> Result<()> {
    if nextest_available() {
        let mut cmd = cargo();
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        if std::env::var_os("CI").is_some() {
            cmd.args(["--profile", "ci"]);
        }
        cmd.args(runner_args);
        run(&mut cmd)
    } else {
        eprintln!("cargo-nextest not found; falling back to `cargo test`");
        let mut cmd = cargo();
        cmd.args(["test", "--workspace", "--no-fail-fast"]);
        if !runner_args.is_empty() {
            cmd.arg("--").args(runner_args);
        }
        run(&mut cmd)
    }
}
