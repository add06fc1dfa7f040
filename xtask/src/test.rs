//! `cargo xtask test`: everything CI checks, in the order that fails fastest.
//!
//! 1. `cargo fmt --all -- --check`
//! 2. `cargo clippy --workspace --all-targets -- -D warnings`
//! 3. the Python venvs of the interop suite (`cargo xtask venv`, idempotent)
//! 4. `cargo build --workspace --bins` — end-to-end tests run `huggingface-cli` and `hub-server`
//!    binaries of other crates, which cargo does not build for a test target on its own
//! 5. `cargo nextest run --workspace` (falls back to `cargo test --workspace` without nextest);
//!    tests named `*_slow` are run too, with a longer timeout (`.config/nextest.toml`)
//! 6. `cargo test --workspace --doc` (nextest does not run doctests)
//! 7. `cargo xtask demo`, so the README's offline demo keeps working

use anyhow::Result;

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
    if !args.no_lint {
        run(cargo().args(["fmt", "--all", "--", "--check"]))?;
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    crate::venv::ensure_all()?;
    run(cargo().args(["build", "--workspace", "--bins"]))?;
    if nextest_available() {
        let mut cmd = cargo();
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        if std::env::var_os("CI").is_some() {
            cmd.args(["--profile", "ci"]);
        }
        cmd.args(&args.runner_args);
        run(&mut cmd)?;
    } else {
        eprintln!("cargo-nextest not found; falling back to `cargo test`");
        let mut cmd = cargo();
        cmd.args(["test", "--workspace", "--no-fail-fast"]);
        if !args.runner_args.is_empty() {
            cmd.arg("--").args(&args.runner_args);
        }
        run(&mut cmd)?;
    }
    // Doctests are compiled per crate; they only depend on the libraries, not on the venvs.
    run(cargo().args(["test", "--workspace", "--doc"]))?;
    if !args.no_demo {
        crate::demo::run_demo()?;
    }
    Ok(())
}
