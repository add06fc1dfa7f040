//! `cargo xtask venv`: the pinned Python clients used by the interop suite and the benchmarks.
//!
//! Two virtual environments live under the repository root (gitignored as `/.venv*`):
//! `.venv/hf026` (huggingface_hub 0.26.5 + hf_transfer, and Jinja2 for the repo-card template
//! comparison, the requests-based client) and
//! `.venv/hf24` (huggingface_hub 2.4.0, the httpx-based client; run it with
//! `HF_HUB_DISABLE_XET=1` because hub-server does not speak Xet). The step is idempotent: a venv
//! whose interpreter already reports the pinned versions is left alone, so CI and developers can
//! call it before every test run.

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
    /// The version `huggingface_hub.__version__` must report.
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
        hub_version: "0.26.5",
        extra_imports: &["hf_transfer", "jinja2"],
    },
    VenvSpec {
        name: "hf24",
        requirements: &["huggingface_hub==2.4.0"],
        hub_version: "2.4.0",
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
    let mut script = String::from("import huggingface_hub\n");
    for m in spec.extra_imports {
        script.push_str(&format!("import {m}\n"));
    }
    script.push_str("print(huggingface_hub.__version__)\n");
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
            "{} was installed but does not report huggingface_hub {}",
            dir.display(),
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
                "venv {} ok (huggingface_hub {})",
                dir.display(),
                spec.hub_version
            );
            continue;
        }
        eprintln!("creating venv {} ...", dir.display());
        create(spec, &dir)?;
    }
    Ok(())
}
