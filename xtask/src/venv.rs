//! `cargo xtask venv`: the pinned Python clients used by the interop suite and the benchmarks.
//!
//! Three virtual environments live under the repository root (gitignored as `/.venv*`):
//! `.venv/hf026` (huggingface_hub 0.26.5 + hf_transfer, the requests-based client, and Jinja2 for
//! the repo-card template comparison),
//! `.venv/hf24` (huggingface_hub 2.4.0, the httpx-based client; run it with
//! `HF_HUB_DISABLE_XET=1` because hub-server does not speak Xet) and `.venv/moto` (moto 5.2.5,
//! whose `moto_server` is the S3-compatible service of hub-server's S3 blob store tests). The
//! step is idempotent: a venv whose interpreter already reports the pinned versions is left
//! alone, so CI and developers can call it before every test run.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{output, repo_root, run};

/// One pinned Python environment.
pub(crate) struct VenvSpec {
    /// Directory name under `.venv/`.
    pub(crate) name: &'static str,
    /// Requirements handed to pip.
    pub(crate) requirements: &'static [&'static str],
    /// The module whose `__version__` identifies the venv.
    pub(crate) module: &'static str,
    /// The version that module must report.
    pub(crate) hub_version: &'static str,
    /// Extra modules that must import (e.g. `hf_transfer`).
    pub(crate) extra_imports: &'static [&'static str],
}

/// The environments the test-suite expects (kept in sync with `hub_tests::python::Version`).
pub(crate) const VENVS: &[VenvSpec] = &[
    VenvSpec {
        name: "hf026",
        // Jinja2 is an optional dependency of huggingface_hub that `ModelCard.from_template`
        // needs; the hub-cards template tests compare against it.
        requirements: &["huggingface_hub==0.26.5", "hf_transfer", "jinja2"],
        module: "huggingface_hub",
        hub_version: "0.26.5",
        extra_imports: &["hf_transfer", "jinja2"],
    },
    VenvSpec {
        name: "hf24",
        requirements: &["huggingface_hub==2.4.0"],
        module: "huggingface_hub",
        hub_version: "2.4.0",
        extra_imports: &[],
    },
    // A real S3-compatible server (moto's server mode) for hub-server's S3 blob store tests.
    VenvSpec {
        name: "moto",
        requirements: &["moto[server]==5.2.5"],
        module: "moto",
        hub_version: "5.2.5",
        extra_imports: &[],
    },
];

/// Directory of a venv.
pub(crate) fn venv_dir(name: &str) -> PathBuf {
    repo_root().join(".venv").join(name)
}

/// The interpreter of a venv.
pub(crate) fn python(name: &str) -> PathBuf {
    venv_dir(name).join("bin").join("python")
}

/// Checks whether the venv exists with the right versions.
fn is_ready(spec: &VenvSpec) -> bool {
    let py = python(spec.name);
    if !py.is_file() {
        return false;
    }
    let mut script = format!("import {}\n", spec.module);
    for m in spec.extra_imports {
        script.push_str(&format!("import {m}\n"));
    }
    script.push_str(&format!("print({}.__version__)\n", spec.module));
    match output(
        Command::new(&py)
            .arg("-c")
            .arg(&script)
            .env("HF_HUB_DISABLE_XET", "1"),
    ) {
        Ok(v) => v.trim() == spec.hub_version,
        Err(_) => false,
    }
}

fn create(spec: &VenvSpec, dir: &Path) -> Result<()> {
    if dir.exists() {
        // A half-built or outdated venv: rebuild from scratch rather than patching it.
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    run(Command::new("python3").args(["-m", "venv"]).arg(dir))
        .context("creating a venv needs python3 with the venv module (Debian: python3-venv)")?;
    let py = python(spec.name);
    run(Command::new(&py)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(spec.requirements))?;
    if !is_ready(spec) {
        bail!(
            "{} was installed but does not report {} {}",
            dir.display(),
            spec.module,
            spec.hub_version
        );
    }
    Ok(())
}

/// Creates every missing or outdated venv.
pub(crate) fn ensure_all() -> Result<()> {
    for spec in VENVS {
        let dir = venv_dir(spec.name);
        if is_ready(spec) {
            eprintln!(
                "venv {} ok ({} {})",
                dir.display(),
                spec.module,
                spec.hub_version
            );
            continue;
        }
        eprintln!("creating venv {} ...", dir.display());
        create(spec, &dir)?;
    }
    Ok(())
}
