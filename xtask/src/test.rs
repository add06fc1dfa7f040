//! `cargo xtask test`: everything CI checks.
//!
//! 1. `cargo fmt --all -- --check`
//! 2. `cargo clippy --workspace --all-targets -- -D warnings`
//! 3. the Python venvs of the interop suite (`cargo xtask venv`, idempotent)
//! 4. `cargo build --workspace --bins` — end-to-end tests run `huggingface-cli` and `hub-server`
//!    binaries of other crates, which cargo does not build for a test target on its own
//! 5. `cargo xtask demo`, so the README's offline demo keeps working
//! 6. `cargo test --workspace --doc` (nextest does not run doctests; this includes the README
//!    and `docs/*.md` snippets, compiled through the hub-tests crate)
//! 7. `cargo nextest run --workspace` (falls back to `cargo test --workspace` without nextest);
//!    tests named `*_slow` are run too, with a longer timeout (`.config/nextest.toml`)
//!
//! Every step runs even when an earlier one failed (one CI run then shows every problem), and
//! the command fails at the end listing the failed steps. The test runner goes last so that its
//! summary closes the output.

use anyhow::{Result, bail};

use crate::util::{cargo, on_path, output, run};

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
