//! `cargo xtask demo`: the whole loop on one machine, with no internet access.
//!
//! 1. builds `hub-server` and `huggingface-cli`;
//! 2. starts hub-server on 127.0.0.1 with a temp data dir and creates user `demo` with a token;
//! 3. writes a small sample model folder and uploads it with `huggingface-cli upload`;
//! 4. downloads it back into a fresh cache with `huggingface-cli download --cache-dir`;
//! 5. checks every downloaded byte against the sample, and shows `huggingface-cli scan-cache`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::hubserver::ServerProcess;
use crate::util::{cargo, display, repo_root, run};

/// Debug binaries built by the demo (dev profile: quick to build, fine for a demo).
fn debug_bin(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("debug").join(name)
}

/// Files of the sample folder: (path, bytes).
fn sample_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "README.md",
            b"---\nlicense: apache-2.0\n---\n# demo-model\n\nUploaded by `cargo xtask demo`.\n"
                .to_vec(),
        ),
        (
            "config.json",
            br#"{"model_type": "demo", "hidden_size": 16}"#.to_vec(),
        ),
        // *.safetensors is tracked by LFS in a new repo's .gitattributes: exercises the LFS path.
        (
            "model.safetensors",
            crate::bench::pseudo_random_bytes(3 * 1024 * 1024, 7),
        ),
        (
            "tokenizer/vocab.txt",
            b"[PAD]\n[UNK]\nhello\nworld\n".to_vec(),
        ),
    ]
}

fn cli(bin: &Path, server: &ServerProcess, home: &Path) -> Command {
    let mut cmd = Command::new(bin);
    server.client_env(&mut cmd);
    cmd.env("HF_HOME", home).env_remove("HF_HUB_OFFLINE");
    cmd
}

/// Runs the demo.
pub(crate) fn run_demo() -> Result<()> {
    run(cargo().args([
        "build",
        "--quiet",
        "-p",
        "hub-server",
        "-p",
        "hub-cli",
        "--bins",
    ]))?;
    let server_bin = debug_bin("hub-server");
    let cli_bin = debug_bin("huggingface-cli");

    let server = ServerProcess::start(&server_bin, "demo")?;
    println!(
        "\n== hub-server is running at {} (data in {})",
        server.url(),
        server.data_dir().display()
    );
    println!("   user `{}` was created with a write token", server.user());

    let work = tempfile::Builder::new().prefix("hub-rs-demo-").tempdir()?;
    let sample = work.path().join("demo-model");
    for (path, data) in sample_files() {
        let p = sample.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, data)?;
    }
    let home = work.path().join("hf-home");
    let cache = work.path().join("cache");
    let repo = format!("{}/demo-model", server.user());

    println!("\n== upload {} -> {repo}", sample.display());
    let mut up = cli(&cli_bin, &server, &home);
    up.arg("upload").arg(&repo).arg(&sample);
    step(&mut up, &server)?;

    println!("\n== download {repo} into {}", cache.display());
    let mut down = cli(&cli_bin, &server, &home);
    down.args(["download", &repo, "--cache-dir"]).arg(&cache);
    let out = step(&mut down, &server)?;
    let snapshot = PathBuf::from(out.lines().last().unwrap_or_default().trim());
    ensure!(
        snapshot.is_dir(),
        "download did not print a snapshot folder (got {snapshot:?})"
    );

    for (path, data) in sample_files() {
        let got = std::fs::read(snapshot.join(path))
            .with_context(|| format!("{path} is missing from the downloaded snapshot"))?;
        ensure!(
            got == data,
            "{path}: downloaded bytes differ from the uploaded ones"
        );
    }
    println!(
        "   verified: all {} files match the uploaded bytes",
        sample_files().len()
    );

    println!("\n== scan-cache --dir {}", cache.display());
    let mut scan = cli(&cli_bin, &server, &home);
    scan.args(["scan-cache", "--dir"]).arg(&cache);
    step(&mut scan, &server)?;

    println!(
        "\n== done; stopping the server and removing {}",
        work.path().display()
    );
    Ok(())
}

/// Runs one CLI step, echoing its output; on failure shows the server log too.
fn step(cmd: &mut Command, server: &ServerProcess) -> Result<String> {
    println!("$ {}", display(cmd));
    let out = cmd
        .output()
        .with_context(|| format!("running {}", display(cmd)))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        bail!(
            "`{}` failed with {}\n--- server log ---\n{}",
            display(cmd),
            out.status,
            server.log_text()
        );
    }
    Ok(stdout)
}
