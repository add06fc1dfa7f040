//! End-to-end tests of `huggingface-cli` (crate hub-cli) against an in-process hub-server.
//!
//! Every test runs the real binary with a fresh `HF_HOME`, drives interactive prompts through
//! stdin (the CLI reads answers from stdin when it is not a terminal, as Python's `input()` and
//! `getpass` fallback do), and checks stdout, stderr, exit codes and the files left behind.
//! Differential tests run the pinned Python CLI (0.26.5) on the same data and compare outputs.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use hub_tests::{ALICE, ORG, TestServer, cli_command, python, unique_name, write_file};

/// Output of one CLI run, as text.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
    fn ok(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "command failed\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
    fn failed(self) -> Run {
        assert_ne!(
            self.code,
            Some(0),
            "command unexpectedly succeeded\n--- stdout ---\n{}",
            self.stdout
        );
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        assert!(
            !self.stderr.contains("RUST_BACKTRACE"),
            "backtrace hint: {}",
            self.stderr
        );
        self
    }
    fn last_line(&self) -> &str {
        self.stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
    }
}

/// A persistent HF_HOME plus the server's endpoint, for tests that run several commands.
struct Home {
    dir: tempfile::TempDir,
    endpoint: String,
    token: Option<String>,
}

impl Home {
    fn new(server: &TestServer) -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            endpoint: server.url().to_owned(),
            token: Some(server.tokens().write.clone()),
        }
    }
    /// Without HF_TOKEN: the CLI must use the token files (login tests).
    fn logged_out(server: &TestServer) -> Home {
        Home {
            token: None,
            ..Home::new(server)
        }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = cli_command(self.path());
        cmd.env("HF_ENDPOINT", &self.endpoint).args(args);
        if let Some(t) = &self.token {
            cmd.env("HF_TOKEN", t);
        }
        cmd
    }
    fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }
    fn run_in(&self, cwd: &Path, args: &[&str]) -> Run {
        Run::from(self.command(args).current_dir(cwd).output().unwrap())
    }
    /// Runs with `stdin` piped in (answers to prompts).
    fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap())
    }
}

// ---------------------------------------------------------------------------------------------
// version, env, completion: no network

#[test]
fn version_prints_one_line_and_needs_no_server() {
    let run = Run::from(hub_tests::cli(&["version"], &[])).ok();
    assert!(
        run.stdout.starts_with("huggingface_hub version: "),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.lines().count(), 1);
}

#[test]
fn env_lists_keys_in_python_order() {
    let home = tempfile::tempdir().unwrap();
    let home_s = home.path().to_str().unwrap();
    let run = Run::from(hub_tests::cli(
        &["env"],
        &[
            ("HF_HOME", home_s),
            ("HF_ENDPOINT", "http://127.0.0.1:9"),
            ("HF_HUB_ETAG_TIMEOUT", "1.5"),
        ],
    ))
    .ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "");
    assert_eq!(
        lines[1],
        "Copy-and-paste the text below in your GitHub issue."
    );
    assert_eq!(lines[2], "");
    let keys: Vec<&str> = lines[3..]
        .iter()
        .filter_map(|l| l.strip_prefix("- "))
        .map(|l| l.split_once(": ").map(|(k, _)| k).unwrap_or(l))
        .collect();
    let order = [
        "huggingface_hub version",
        "Platform",
        "Python version",
        "Running in iPython ?",
        "Running in notebook ?",
        "Running in Google Colab ?",
        "Token path ?",
        "Has saved token ?",
        "Configured git credential helpers",
        "FastAI",
        "Tensorflow",
        "Torch",
        "Jinja2",
        "Graphviz",
        "Pydot",
        "Pillow",
        "hf_transfer",
        "gradio",
        "tensorboard",
        "numpy",
        "pydantic",
        "aiohttp",
        "ENDPOINT",
        "HF_HUB_CACHE",
        "HF_ASSETS_CACHE",
        "HF_TOKEN_PATH",
        "HF_HUB_OFFLINE",
        "HF_HUB_DISABLE_TELEMETRY",
        "HF_HUB_DISABLE_PROGRESS_BARS",
        "HF_HUB_DISABLE_SYMLINKS_WARNING",
        "HF_HUB_DISABLE_EXPERIMENTAL_WARNING",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN",
        "HF_HUB_ENABLE_HF_TRANSFER",
        "HF_HUB_ETAG_TIMEOUT",
        "HF_HUB_DOWNLOAD_TIMEOUT",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| {
            keys.iter()
                .position(|x| x == k)
                .unwrap_or_else(|| panic!("missing {k}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys out of order: {keys:?}"
    );
    assert!(run.stdout.contains(&format!(
        "- HF_HUB_CACHE: {}",
        home.path().join("hub").display()
    )));
    assert!(run.stdout.contains("- ENDPOINT: http://127.0.0.1:9\n"));
    assert!(run.stdout.contains("- Has saved token ?: False\n"));
    assert!(run.stdout.contains("- HF_HUB_ETAG_TIMEOUT: 1.5\n"));
    assert!(run.stdout.contains("- HF_HUB_DOWNLOAD_TIMEOUT: 10\n"));
    assert!(run.stdout.contains("- Torch: N/A\n"));
    // cli_command sets HF_HUB_DISABLE_PROGRESS_BARS=1.
    assert!(
        run.stdout
            .contains("- HF_HUB_DISABLE_PROGRESS_BARS: True\n")
    );
}

#[test]
fn env_reports_who_am_i_when_a_token_is_set() {
    let server = TestServer::start();
    let run = Run::from(server.cli(&["env"])).ok();
    assert!(
        run.stdout.contains("- Has saved token ?: True\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("- Who am I ?: {ALICE}\n")),
        "{}",
        run.stdout
    );
}

#[test]
fn completion_scripts_are_generated() {
    for (shell, needle) in [
        ("bash", "_huggingface__cli()"),
        ("zsh", "#compdef huggingface-cli"),
        ("fish", "complete -c huggingface-cli"),
    ] {
        let run = Run::from(hub_tests::cli(&["completion", shell], &[])).ok();
        assert!(
            run.stdout.contains(needle),
            "{shell}: {}",
            &run.stdout[..run.stdout.len().min(200)]
        );
        assert!(
            run.stdout.contains("scan-cache"),
            "{shell} completion lacks subcommands"
        );
    }
    Run::from(hub_tests::cli(&["completion", "tcsh"], &[])).failed();
}

#[test]
fn help_lists_the_commands() {
    let run = Run::from(hub_tests::cli(&["--help"], &[])).ok();
    for cmd in [
        "env",
        "login",
        "whoami",
        "logout",
        "auth",
        "repo",
        "upload",
        "download",
        "repo-files",
        "scan-cache",
        "delete-cache",
        "tag",
        "version",
        "upload-large-folder",
        "lfs-enable-largefiles",
    ] {
        assert!(run.stdout.contains(cmd), "help lacks {cmd}");
    }
    assert!(
        !run.stdout.contains("lfs-multipart-upload"),
        "the agent command is hidden"
    );
    let run = Run::from(hub_tests::cli(&["no-such-command"], &[]));
    assert_eq!(run.code, Some(2));
}

// ---------------------------------------------------------------------------------------------
// whoami, login, logout, auth

#[test]
fn whoami_prints_name_and_orgs() {
    let server = TestServer::start();
    let run = Run::from(server.cli(&["whoami"])).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], ALICE);
    assert_eq!(lines[1], format!("orgs:  {ORG}"));
    assert_eq!(
        lines[2],
        format!("Authenticated through private endpoint: {}", server.url())
    );
}

#[test]
fn whoami_without_token_fails_with_a_hint() {
    let server = TestServer::start();
    let home = Home::logged_out(&server);
    let run = home.run(&["whoami"]).failed();
    assert!(run.stderr.contains("Not logged in"), "{}", run.stderr);
    assert!(
        run.stderr.contains("huggingface-cli login"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one line: {}",
        run.stderr
    );
}

#[test]
fn whoami_with_bad_token_or_dead_server_fails_cleanly() {
    let server = TestServer::start();
    let run =
        Run::from(server.cli_with(&["whoami"], &[("HF_TOKEN", "hf_not_a_real_token_000000")]))
            .failed();
    assert!(run.stderr.starts_with("Error: "), "{}", run.stderr);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    let run = Run::from(hub_tests::cli(
        &["whoami"],
        &[("HF_ENDPOINT", "http://127.0.0.1:9"), ("HF_TOKEN", "hf_x")],
    ))
    .failed();
    assert!(
        run.stderr.contains("Cannot reach the Hub"),
        "{}",
        run.stderr
    );
}

#[test]
fn login_with_token_saves_files_and_switches() {
    let server = TestServer::start();
    let home = Home::logged_out(&server);
    let write = server.tokens().write.clone();
    let read = server.tokens().read.clone();
    let run = home.run(&["login", "--token", &write]).ok();
    assert!(
        run.stderr.contains("Token is valid (permission: write)."),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Login successful"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(home.path().join("token")).unwrap(),
        write
    );
    let stored = std::fs::read_to_string(home.path().join("stored_tokens")).unwrap();
    assert!(stored.contains(&format!("hf_token = {write}")), "{stored}");
    // whoami now works from the token file.
    assert_eq!(
        home.run(&["whoami"]).ok().stdout.lines().next(),
        Some(ALICE)
    );

    // A second login adds a second named token and makes it active.
    let run = home.run(&["login", "--token", &read]).ok();
    assert!(
        run.stderr.contains("Token is valid (permission: read)."),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("token")).unwrap(),
        read
    );

    // auth list: both names, the active one starred, secrets masked.
    let list = home.run(&["auth", "list"]).ok();
    assert!(
        list.stdout.lines().next().unwrap().starts_with("  name"),
        "{}",
        list.stdout
    );
    assert_eq!(
        list.stdout.lines().filter(|l| l.starts_with("* ")).count(),
        1,
        "{}",
        list.stdout
    );
    assert!(
        !list.stdout.contains(&write) && !list.stdout.contains(&read),
        "tokens leaked: {}",
        list.stdout
    );
    assert!(
        list.stdout
            .contains(&format!("{}****{}", &read[..3], &read[read.len() - 4..]))
    );

    // auth switch through the numbered menu on stdin: pick the line that is not active.
    let names: Vec<String> = list
        .stdout
        .lines()
        .skip(2)
        .map(|l| l[2..].split('|').next().unwrap().trim().to_owned())
        .collect();
    let inactive = list
        .stdout
        .lines()
        .skip(2)
        .position(|l| l.starts_with("  "))
        .unwrap();
    let run = home.run_stdin(&["auth", "switch"], &format!("x\n9\n{}\n", inactive + 1));
    let run = run.ok();
    assert!(
        run.stdout.contains("Available stored tokens:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Invalid input. Please enter a number or 'q' to quit."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Invalid selection. Please try again."),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains(&format!("The current active token is: {}", names[inactive])),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("token")).unwrap(),
        write
    );

    // auth switch --token-name to an unknown name fails.
    home.run(&["auth", "switch", "--token-name", "nope"])
        .failed();

    // logout of one token keeps the other; logout of all removes both files.
    let run = home.run(&["logout", "--token-name", &names[inactive]]).ok();
    assert!(
        run.stderr
            .contains("Successfully logged out from access token"),
        "{}",
        run.stderr
    );
    assert!(
        !home.path().join("token").exists(),
        "the active token was the one removed"
    );
    assert!(home.path().join("stored_tokens").exists());
    home.run(&["logout"]).ok();
    assert!(!home.path().join("stored_tokens").exists());
    let run = home.run(&["logout"]).ok();
    assert!(run.stderr.contains("Not logged in!"), "{}", run.stderr);
}

#[test]
fn login_prompts_for_token_on_stdin() {
    let server = TestServer::start();
    let home = Home::logged_out(&server);
    let token = server.tokens().write.clone();
    // Token, then an invalid and an explicit "n" answer to the git-credential question.
    let run = home
        .run_stdin(&["login"], &format!("{token}\nmaybe\nn\n"))
        .ok();
    assert!(
        run.stdout.contains("_|_|_|_|"),
        "logo missing: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Add token as git credential? (Y/n) "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Invalid input."), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("Enter your token (input will not be visible):"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains(&token) && !run.stderr.contains(&token),
        "token echoed"
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("token")).unwrap(),
        token
    );
}

#[test]
fn login_rejects_bad_tokens() {
    let server = TestServer::start();
    let home = Home::logged_out(&server);
    let run = home
        .run(&["login", "--token", "hf_invalid_0000000000000"])
        .failed();
    assert!(run.stderr.contains("Invalid user token"), "{}", run.stderr);
    assert!(!home.path().join("token").exists());
    let run = home.run(&["login", "--token", "api_org_abc"]).failed();
    assert!(run.stderr.contains("organization token"), "{}", run.stderr);
    // Closed stdin at the prompt: a clear error, not a hang or a panic.
    let run = home.run_stdin(&["login"], "").failed();
    assert!(run.stderr.contains("--token"), "{}", run.stderr);
}

#[test]
fn login_add_to_git_credential_uses_git_helpers() {
    let server = TestServer::start();
    let home = Home::logged_out(&server);
    let token = server.tokens().write.clone();
    // An isolated git config with the `store` helper writing into the temp home.
    let git_home = home.path().join("githome");
    std::fs::create_dir_all(&git_home).unwrap();
    let cred_file = git_home.join("creds");
    std::fs::write(
        git_home.join(".gitconfig"),
        format!(
            "[credential]\n\thelper = store --file {}\n",
            cred_file.display()
        ),
    )
    .unwrap();
    let mut cmd = home.command(&["login", "--token", &token, "--add-to-git-credential"]);
    cmd.env("HOME", &git_home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("XDG_CONFIG_HOME");
    let run = Run::from(cmd.output().unwrap()).ok();
    assert!(
        run.stderr.contains(
            "Your token has been saved in your configured git credential helpers (store)."
        ),
        "{}",
        run.stderr
    );
    let creds = std::fs::read_to_string(&cred_file).unwrap();
    assert!(
        creds.contains(&token) && creds.contains("127.0.0.1"),
        "{creds}"
    );
    // logout erases it again.
    let mut cmd = home.command(&["logout"]);
    cmd.env("HOME", &git_home).env("GIT_CONFIG_NOSYSTEM", "1");
    Run::from(cmd.output().unwrap()).ok();
    assert!(
        !std::fs::read_to_string(&cred_file)
            .unwrap_or_default()
            .contains(&token)
    );
}

#[test]
fn logout_with_env_token_still_logged_in_fails() {
    let server = TestServer::start();
    let home = Home::new(&server);
    let run = home.run(&["logout"]).failed();
    assert!(run.stderr.contains("HF_TOKEN"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// repo create, tag

#[test]
fn repo_create_prompts_and_creates() {
    let server = TestServer::start();
    let home = Home::new(&server);
    let name = unique_name("created");
    // "n" aborts without creating.
    let run = home.run_stdin(&["repo", "create", &name], "n\n").ok();
    assert!(
        run.stdout
            .contains(&format!("You are about to create {ALICE}/{name}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Proceed? [Y/n] Abort"),
        "{}",
        run.stdout
    );
    // Empty answer = yes.
    let run = home.run_stdin(&["repo", "create", &name], "\n").ok();
    let url = format!("{}/{ALICE}/{name}", server.url());
    assert!(
        run.stdout.contains("Your repo now lives at:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("  git clone {url}")),
        "{}",
        run.stdout
    );
    // It exists now: creating it again fails with a one-line error.
    let run = home.run(&["repo", "create", &name, "-y"]).failed();
    assert!(run.stderr.contains("409"), "{}", run.stderr);
    // Dataset in the organisation, no prompt.
    let run = home
        .run(&[
            "repo",
            "create",
            &name,
            "--type",
            "dataset",
            "--organization",
            ORG,
            "-y",
        ])
        .ok();
    assert!(
        run.stdout
            .contains(&format!("You are about to create datasets/{ORG}/{name}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("{}/datasets/{ORG}/{name}", server.url())),
        "{}",
        run.stdout
    );
    home.run(&["repo", "create", &name, "--type", "nonsense", "-y"])
        .failed();
}

#[test]
fn tag_create_list_delete() {
    let server = TestServer::start();
    let home = Home::new(&server);
    let name = unique_name("tagged");
    home.run(&["repo", "create", &name, "-y"]).ok();
    let repo = format!("{ALICE}/{name}");
    let run = home
        .run(&["tag", &repo, "v1.0", "-m", "first release"])
        .ok();
    assert_eq!(
        run.stdout,
        format!("You are about to create tag v1.0 on model {repo}\nTag v1.0 created on {repo}\n")
    );
    home.run(&["tag", &repo, "v2.0", "--revision", "main"]).ok();
    let run = home.run(&["tag", &repo, "v1.0"]).failed();
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    let run = home
        .run(&["tag", &repo, "v3", "--revision", "no-such-branch"])
        .failed();
    assert!(run.stderr.contains("no-such-branch"), "{}", run.stderr);

    let run = home.run(&["tag", &repo, "-l"]).ok();
    let mut lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.remove(0), format!("Tags for model {repo}:"));
    lines.sort();
    assert_eq!(lines, vec!["v1.0", "v2.0"]);

    // Delete: "n" aborts, "y" deletes, -y skips the prompt.
    let run = home.run_stdin(&["tag", "-d", &repo, "v1.0"], "n\n").ok();
    assert!(
        run.stdout.ends_with("Proceed? [Y/n] Abort\n"),
        "{}",
        run.stdout
    );
    let run = home.run_stdin(&["tag", "-d", &repo, "v1.0"], "y\n").ok();
    assert!(
        run.stdout.contains(&format!("Tag v1.0 deleted on {repo}")),
        "{}",
        run.stdout
    );
    home.run(&["tag", "-d", &repo, "v2.0", "-y"]).ok();
    let run = home.run(&["tag", &repo, "--list"]).ok();
    assert_eq!(run.stdout, "No tags found\n");
    let run = home.run(&["tag", "-d", &repo, "v2.0", "-y"]).failed();
    assert!(run.stderr.contains("Tag v2.0 not found"), "{}", run.stderr);
    let run = home
        .run(&[
            "tag",
            &format!("{ALICE}/does-not-exist"),
            "-l",
            "--repo-type",
            "dataset",
        ])
        .failed();
    assert!(
        run.stderr
            .contains("Dataset alice/does-not-exist not found"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// git-lfs custom transfer agent

/// A hub-server with a tiny multipart threshold, so small files take the multipart path.
struct MultipartServer {
    rt: tokio::runtime::Runtime,
    server: Option<hub_server::RunningServer>,
    _data: tempfile::TempDir,
    token: String,
}

impl MultipartServer {
    fn start(threshold: u64, chunk: u64) -> MultipartServer {
        let data = tempfile::tempdir().unwrap();
        let token = format!("hf_lfs_{}", unique_name("t").replace('-', ""));
        hub_server::admin::add_user(data.path(), ALICE, &token, false, None, None).unwrap();
        let mut config = hub_server::ServerConfig::new(data.path());
        config.multipart_threshold = Some(threshold);
        config.multipart_chunk_size = Some(chunk);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(hub_server::start(config)).unwrap();
        MultipartServer {
            rt,
            server: Some(server),
            _data: data,
            token,
        }
    }
    fn url(&self) -> String {
        self.server.as_ref().unwrap().url().to_owned()
    }
    fn home(&self) -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            endpoint: self.url(),
            token: Some(self.token.clone()),
        }
    }
    /// The LFS batch answer for one object, as git-lfs would receive it.
    fn batch(&self, repo: &str, oid: &str, size: usize) -> serde_json::Value {
        let url = format!("{}/{repo}.git/info/lfs/objects/batch", self.url());
        let body = serde_json::json!({
            "operation": "upload", "transfers": ["basic", "multipart"], "hash_algo": "sha256",
            "objects": [{"oid": oid, "size": size}],
        });
        let token = self.token.clone();
        self.rt.block_on(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/vnd.git-lfs+json")
                .header("accept", "application/vnd.git-lfs+json")
                .body(body.to_string())
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        })
    }
}

impl Drop for MultipartServer {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

/// Runs the agent with `lines` on stdin; returns the parsed stdout messages and the run.
fn run_agent(home: &Home, lines: &[serde_json::Value]) -> (Vec<serde_json::Value>, Run) {
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let run = home.run_stdin(&["lfs-multipart-upload"], &input);
    let msgs = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (msgs, run)
}

#[test]
fn lfs_agent_uploads_parts_and_completes() {
    let server = MultipartServer::start(1000, 400);
    let home = server.home();
    let name = unique_name("lfs");
    home.run(&["repo", "create", &name, "-y"]).ok();
    let repo = format!("{ALICE}/{name}");
    let files = tempfile::tempdir().unwrap();
    let data = hub_tests::random_bytes(2500, 7);
    let path = files.path().join("big.bin");
    std::fs::write(&path, &data).unwrap();
    let oid = hub_tests::sha256_hex(&data);
    let batch = server.batch(&repo, &oid, data.len());
    let action = batch["objects"][0]["actions"]["upload"].clone();
    assert!(
        action["header"]["chunk_size"].is_number() || action["header"]["chunk_size"].is_string(),
        "{batch}"
    );

    let (msgs, run) = run_agent(
        &home,
        &[
            serde_json::json!({"event": "init", "operation": "upload", "remote": "origin", "concurrent": true, "concurrenttransfers": 3}),
            serde_json::json!({"event": "upload", "oid": oid, "size": data.len(), "path": path, "action": action}),
            serde_json::json!({"event": "terminate"}),
        ],
    );
    let run = run.ok();
    assert_eq!(msgs[0], serde_json::json!({}), "{}", run.stdout);
    let progress: Vec<&serde_json::Value> =
        msgs.iter().filter(|m| m["event"] == "progress").collect();
    // The initial "started" event, then one per part (2500 bytes in parts of 400 = 7 parts).
    assert_eq!(progress.len(), 1 + 7, "{}", run.stdout);
    assert_eq!(progress.last().unwrap()["bytesSoFar"], 2500);
    let sum: u64 = progress
        .iter()
        .map(|p| p["bytesSinceLast"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 2500);
    assert_eq!(
        msgs.last().unwrap(),
        &serde_json::json!({"event": "complete", "oid": oid})
    );

    // The server now has the object: a new batch asks for no upload.
    let again = server.batch(&repo, &oid, data.len());
    assert!(
        again["objects"][0].get("actions").is_none(),
        "object not stored: {again}"
    );
}

#[test]
fn lfs_agent_reports_errors_per_object_and_rejects_bad_init() {
    let home = Home {
        dir: tempfile::tempdir().unwrap(),
        endpoint: "http://127.0.0.1:9".into(),
        token: None,
    };
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("f.bin");
    std::fs::write(&path, vec![1u8; 10]).unwrap();
    let dead = "http://127.0.0.1:9/part";
    let (msgs, run) = run_agent(
        &home,
        &[
            serde_json::json!({"event": "init", "operation": "upload"}),
            // Unreachable part URL: that object fails, the agent carries on.
            serde_json::json!({"event": "upload", "oid": "a1", "size": 10, "path": path,
            "action": {"href": dead, "header": {"chunk_size": "5", "1": dead, "2": dead}}}),
            // Wrong number of parts for the size.
            serde_json::json!({"event": "upload", "oid": "b2", "size": 10, "path": path,
            "action": {"href": dead, "header": {"chunk_size": 5, "1": dead}}}),
            // Not a multipart action.
            serde_json::json!({"event": "upload", "oid": "c3", "size": 10, "path": path,
            "action": {"href": dead, "header": {}}}),
            serde_json::json!({"event": "download", "oid": "d4"}),
            serde_json::json!({"event": "terminate"}),
        ],
    );
    run.ok();
    let completes: Vec<&serde_json::Value> =
        msgs.iter().filter(|m| m["event"] == "complete").collect();
    assert_eq!(completes.len(), 4);
    for c in &completes {
        assert!(
            c["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{c}"
        );
    }
    assert!(
        completes[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expected 2"),
        "{}",
        completes[1]
    );

    let (msgs, run) = run_agent(
        &home,
        &[serde_json::json!({"event": "init", "operation": "download"})],
    );
    run.failed();
    assert_eq!(
        msgs,
        vec![serde_json::json!({"error": {"code": 32, "message": "Wrong lfs init operation"}})]
    );
}

#[test]
fn git_push_of_large_file_goes_through_the_agent() {
    if Command::new("git-lfs").arg("version").output().is_err() {
        eprintln!("git-lfs not installed; skipping");
        return;
    }
    let server = MultipartServer::start(1000, 300);
    let home = server.home();
    let name = unique_name("push");
    home.run(&["repo", "create", &name, "-y"]).ok();
    let work = tempfile::tempdir().unwrap();
    let git_home = work.path().join("home");
    std::fs::create_dir_all(&git_home).unwrap();
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("HOME", &git_home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(
        work.path(),
        &["config", "--global", "user.email", "alice@example.com"],
    );
    git(work.path(), &["config", "--global", "user.name", "alice"]);
    git(work.path(), &["lfs", "install"]);
    let host = server.url().trim_start_matches("http://").to_owned();
    let remote = format!("http://{ALICE}:{}@{host}/{ALICE}/{name}", server.token);
    git(work.path(), &["clone", "-q", &remote, "clone"]);
    let clone = work.path().join("clone");
    git(&clone, &["lfs", "track", "*.bin"]);
    let data = hub_tests::random_bytes(2000, 3);
    std::fs::write(clone.join("weights.bin"), &data).unwrap();
    git(&clone, &["add", "."]);
    git(&clone, &["commit", "-qm", "add weights"]);
    let run = home.run_in(&clone, &["lfs-enable-largefiles", "."]).ok();
    assert_eq!(run.stdout, "Local repo set up for largefiles\n");
    assert_eq!(
        git(&clone, &["config", "lfs.customtransfer.multipart.args"]).trim(),
        "lfs-multipart-upload"
    );
    let push = || {
        Command::new("git")
            .args(["push", "-q", "origin", "main"])
            .current_dir(&clone)
            .env("HOME", &git_home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .unwrap()
    };
    let first = push();
    if !first.status.success() {
        // hub-server answers the batch with `"authenticated": true` but then wants credentials on
        // the verify href, which git-lfs sends without them (reported to the server's owner).
        // The agent's transfer itself succeeded, so the object is stored and a second push, which
        // has nothing left to upload, completes.
        let err = String::from_utf8_lossy(&first.stderr);
        assert!(
            err.contains("objects/verify"),
            "push failed outside LFS verify: {err}"
        );
        let second = push();
        assert!(
            second.status.success(),
            "{}",
            String::from_utf8_lossy(&second.stderr)
        );
    }
    // The file is on the server, byte for byte.
    let got = server.rt.block_on(async {
        reqwest::Client::new()
            .get(format!(
                "{}/{ALICE}/{name}/resolve/main/weights.bin",
                server.url()
            ))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap()
    });
    assert_eq!(got.as_ref(), data.as_slice());

    let run = home.run(&["lfs-enable-largefiles", "/no/such/dir"]);
    assert_ne!(run.code, Some(0));
    assert_eq!(run.stdout, "This does not look like a valid git repo.\n");
}

// ---------------------------------------------------------------------------------------------
// upload, download, repo-files

/// A local folder to upload: two small files, a nested JSON, and a binary.
fn sample_folder(root: &Path) -> PathBuf {
    let dir = root.join("payload");
    write_file(&dir.join("README.md"), b"# hello\n");
    write_file(&dir.join("config.json"), b"{\"a\": 1}\n");
    write_file(&dir.join("sub/nested.json"), b"[1, 2, 3]\n");
    write_file(&dir.join("logs/run.txt"), b"log line\n");
    write_file(
        &dir.join("weights.bin"),
        &hub_tests::random_bytes(50_000, 11),
    );
    dir
}

/// Relative paths of the regular files under `dir` (following symlinks), sorted, without the
/// local-dir metadata folder.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(
                    p.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    // Local-dir metadata, and the .gitattributes every new repo starts with.
    out.retain(|p| !p.starts_with(".cache/") && p != ".gitattributes");
    out.sort();
    out
}

fn is_snapshot_path(path: &str, cache: &Path, folder: &str) -> bool {
    let prefix = format!("{}/{folder}/snapshots/", cache.display());
    path.strip_prefix(&prefix).is_some_and(|rest| {
        let hash = rest.split('/').next().unwrap();
        hash.len() == 40 && hash.chars().all(|c| c.is_ascii_hexdigit())
    })
}

#[test]
fn upload_folder_then_download_it_back() {
    let server = TestServer::start();
    let home = Home::new(&server);
    let work = tempfile::tempdir().unwrap();
    let folder = sample_folder(work.path());
    let name = unique_name("roundtrip");
    let repo = format!("{ALICE}/{name}");

    // The repo does not exist yet: upload creates it. Only the URL is printed on stdout.
    let run = home
        .run(&["upload", &repo, folder.to_str().unwrap(), "--quiet"])
        .ok();
    assert_eq!(run.stdout, format!("{}/{repo}/tree/main/\n", server.url()));

    // Whole repo into a custom cache: the snapshot folder is printed last.
    let cache = work.path().join("cache");
    let run = home
        .run(&["download", &repo, "--cache-dir", cache.to_str().unwrap()])
        .ok();
    let snapshot = run.last_line().to_owned();
    assert!(
        is_snapshot_path(&snapshot, &cache, &format!("models--{ALICE}--{name}")),
        "{snapshot}"
    );
    assert_eq!(files_under(Path::new(&snapshot)), files_under(&folder));
    assert_eq!(
        std::fs::read(Path::new(&snapshot).join("weights.bin")).unwrap(),
        std::fs::read(folder.join("weights.bin")).unwrap()
    );

    // One file: its path inside the same snapshot.
    let run = home
        .run(&[
            "download",
            &repo,
            "sub/nested.json",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--quiet",
        ])
        .ok();
    assert_eq!(
        run.stdout.lines().count(),
        1,
        "--quiet prints only the path: {}",
        run.stdout
    );
    assert_eq!(run.stdout.trim_end(), format!("{snapshot}/sub/nested.json"));

    // Several files: the snapshot folder, with only those files fetched.
    let cache2 = work.path().join("cache2");
    let run = home
        .run(&[
            "download",
            &repo,
            "config.json",
            "README.md",
            "--cache-dir",
            cache2.to_str().unwrap(),
        ])
        .ok();
    let snap2 = run.last_line().to_owned();
    assert_eq!(
        files_under(Path::new(&snap2)),
        vec!["README.md", "config.json"]
    );

    // --include / --exclude patterns (fnmatch: `*` crosses `/`).
    let cache3 = work.path().join("cache3");
    let run = home
        .run(&[
            "download",
            &repo,
            "--include",
            "*.json",
            "--exclude",
            "sub/*",
            "--cache-dir",
            cache3.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(files_under(Path::new(run.last_line())), vec!["config.json"]);

    // --local-dir: plain files under the folder, its path printed.
    let local = work.path().join("local");
    let run = home
        .run(&[
            "download",
            &repo,
            "--local-dir",
            local.to_str().unwrap(),
            "--exclude",
            "*.bin",
        ])
        .ok();
    assert_eq!(run.last_line(), local.to_str().unwrap());
    assert!(local.join("sub/nested.json").is_file() && !local.join("weights.bin").exists());
    let run = home
        .run(&[
            "download",
            &repo,
            "logs/run.txt",
            "--local-dir",
            local.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(
        run.last_line(),
        local.join("logs/run.txt").to_str().unwrap()
    );

    // Default cache: HF_HOME/hub.
    let run = home.run(&["download", &repo, "config.json"]).ok();
    assert!(
        run.last_line()
            .starts_with(home.path().join("hub").to_str().unwrap()),
        "{}",
        run.last_line()
    );
}

#[test]
fn upload_file_paths_revisions_and_prs() {
    let server = TestServer::start();
    let home = Home::new(&server);
    let work = tempfile::tempdir().unwrap();
    let folder = sample_folder(work.path());
    let name = unique_name("files");
    let repo = format!("{ALICE}/{name}");
    let ep = server.url();
    let file = folder.join("config.json");

    // A file goes to its base name by default; a leading `/` in path_in_repo is dropped.
    let run = home.run(&["upload", &repo, file.to_str().unwrap()]).ok();
    assert_eq!(
        run.last_line(),
        format!("{ep}/{repo}/blob/main/config.json")
    );
    let run = home
        .run(&[
            "upload",
            &repo,
            file.to_str().unwrap(),
            "/vae/config.json",
            "--commit-message",
            "Epoch 34/50",
        ])
        .ok();
    assert_eq!(
        run.last_line(),
        format!("{ep}/{repo}/blob/main/vae/config.json")
    );
    // A folder to a sub-path.
    let run = home
        .run(&[
            "upload",
            &repo,
            folder.join("sub").to_str().unwrap(),
            "/data/train",
        ])
        .ok();
    assert_eq!(run.last_line(), format!("{ep}/{repo}/tree/main/data/train"));

    // A missing branch is created from main.
    let run = home
        .run(&[
            "upload",
            &repo,
            folder.join("README.md").to_str().unwrap(),
            "--revision",
            "dev",
        ])
        .ok();
    assert_eq!(run.last_line(), format!("{ep}/{repo}/blob/dev/README.md"));
    let cache = work.path().join("c");
    let run = home
        .run(&[
            "download",
            &repo,
            "--revision",
            "dev",
            "--cache-dir",
            cache.to_str().unwrap(),
        ])
        .ok();
    let files = files_under(Path::new(run.last_line()));
    assert!(
        files.contains(&"README.md".to_owned()) && files.contains(&"vae/config.json".to_owned()),
        "{files:?}"
    );

    // --create-pr: the URL names the PR ref, percent-encoded.
    let run = home
        .run(&[
            "upload",
            &repo,
            folder.join("logs").to_str().unwrap(),
            "logs",
            "--create-pr",
        ])
        .ok();
    assert_eq!(
        run.last_line(),
        format!("{ep}/{repo}/tree/refs%2Fpr%2F1/logs")
    );

    // Datasets get the `datasets/` prefix; the repo is created private when asked.
    let ds = format!("{ALICE}/{}", unique_name("ds"));
    let run = home
        .run(&[
            "upload",
            &ds,
            folder.to_str().unwrap(),
            ".",
            "--repo-type",
            "dataset",
            "--private",
        ])
        .ok();
    assert_eq!(run.last_line(), format!("{ep}/datasets/{ds}/tree/main/"));
    let bob = Run::from(server.cli_with(
        &["download", &ds, "README.md", "--repo-type", "dataset"],
        &[("HF_TOKEN", server.tokens().bob.as_str())],
    ))
    .failed();
    assert!(
        bob.stderr.contains("Repository not found"),
        "{}",
        bob.stderr
    );

    // Implicit local path: a folder named like the repo in the current directory.
    let implicit = unique_name("implicit");
    write_file(&work.path().join(&implicit).join("x.txt"), b"x");
    let run = home.run_in(work.path(), &["upload", &implicit]).ok();
    assert_eq!(
        run.last_line(),
        format!("{ep}/{ALICE}/{implicit}/tree/main/")
    );
    let run = home
        .run_in(work.path(), &["upload", "nothing-here-by-that-name"])
        .failed();
    assert!(
        run.stderr.contains("is not a local file or folder"),
        "{}",
        run.stderr
    );
    let run = home.run(&["upload", &repo, "/no/such/path"]).failed();
    assert!(
        run.stderr.contains("No such file or directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn upload_with_delete_patterns_and_repo_files_delete() {
    let server = TestServer::start();
    let home = Home::new(&server);
    let work = tempfile::tempdir().unwrap();
    let folder = sample_folder(work.path());
    let name = unique_name("sync");
    let repo = format!("{ALICE}/{name}");
    home.run(&["upload", &repo, folder.to_str().unwrap()]).ok();

    // Sync: upload everything except logs/, deleting remote files that are not re-uploaded.
    std::fs::remove_file(folder.join("README.md")).unwrap();
    home.run(&[
        "upload",
        &repo,
        folder.to_str().unwrap(),
        "--exclude",
        "logs/*",
        "--delete",
        "*",
        "--commit-message",
        "Sync",
    ])
    .ok();
    let cache = work.path().join("c1");
    let run = home
        .run(&["download", &repo, "--cache-dir", cache.to_str().unwrap()])
        .ok();
    assert_eq!(
        files_under(Path::new(run.last_line())),
        vec!["config.json", "sub/nested.json", "weights.bin"]
    );

    // repo-files delete: wildcard and folder patterns, one commit.
    let run = home
        .run(&["repo-files", &repo, "delete", "*.bin", "sub/"])
        .ok();
    let line = run.last_line();
    assert!(
        line.starts_with(&format!(
            "Files correctly deleted from repo. Commit: {}/{repo}/commit/",
            server.url()
        )),
        "{line}"
    );
    assert!(line.ends_with('.'));
    let cache = work.path().join("c2");
    let run = home
        .run(&["download", &repo, "--cache-dir", cache.to_str().unwrap()])
        .ok();
    assert_eq!(files_under(Path::new(run.last_line())), vec!["config.json"]);
    // --token given before the action is accepted too (the Python grammar).
    let token = server.tokens().write.clone();
    let nohome = Home::logged_out(&server);
    nohome
        .run(&[
            "repo-files",
            "--token",
            &token,
            &repo,
            "delete",
            "config.json",
        ])
        .ok();
    nohome.run(&["repo-files", &repo, "delete"]).failed();
}

#[test]
fn upload_and_download_errors_are_one_clear_line() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let folder = sample_folder(work.path());
    let nohome = Home::logged_out(&server);
    let run = nohome
        .run(&["upload", &format!("{ALICE}/x"), folder.to_str().unwrap()])
        .failed();
    assert!(run.stderr.contains("Not logged in"), "{}", run.stderr);

    let home = Home::new(&server);
    let run = home
        .run(&["download", &format!("{ALICE}/does-not-exist")])
        .failed();
    assert!(
        run.stderr.contains("Repository not found"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    let repo = format!("{ALICE}/{}", unique_name("err"));
    home.run(&["upload", &repo, folder.to_str().unwrap()]).ok();
    let run = home.run(&["download", &repo, "missing.txt"]).failed();
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
    let run = home
        .run(&["download", &repo, "README.md", "--revision", "nope"])
        .failed();
    assert!(run.stderr.contains("Revision not found"), "{}", run.stderr);
    let run = home.run(&["download", "bad..id"]).failed();
    assert!(run.stderr.contains("bad..id"), "{}", run.stderr);

    // Offline: cached files are served, anything else is a clear error.
    let cache = work.path().join("c");
    let online = home
        .run(&[
            "download",
            &repo,
            "config.json",
            "--cache-dir",
            cache.to_str().unwrap(),
        ])
        .ok();
    let mut cmd = home.command(&[
        "download",
        &repo,
        "config.json",
        "--cache-dir",
        cache.to_str().unwrap(),
    ]);
    let offline = Run::from(cmd.env("HF_HUB_OFFLINE", "1").output().unwrap()).ok();
    assert_eq!(offline.last_line(), online.last_line());
    let mut cmd = home.command(&[
        "download",
        &repo,
        "README.md",
        "--cache-dir",
        cache.to_str().unwrap(),
    ]);
    let run = Run::from(cmd.env("HF_HUB_OFFLINE", "1").output().unwrap()).failed();
    assert!(run.stderr.contains("HF_HUB_OFFLINE"), "{}", run.stderr);
    let mut cmd = home.command(&["whoami"]);
    let run = Run::from(cmd.env("HF_HUB_OFFLINE", "1").output().unwrap()).failed();
    assert!(run.stderr.contains("Offline mode"), "{}", run.stderr);
}

#[test]
fn upload_every_commits_until_interrupted() {
    let server = TestServer::start();
    let home = Home::new(&server);
    let work = tempfile::tempdir().unwrap();
    let folder = sample_folder(work.path());
    let repo = format!("{ALICE}/{}", unique_name("every"));
    let child = home
        .command(&["upload", &repo, folder.to_str().unwrap(), "--every", "0.01"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let run = Run::from(out).ok();
    assert!(
        run.stdout.starts_with(&format!(
            "Scheduling commits every 0.01 minutes to {repo}.\n"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(run.last_line(), "Stopped scheduled commits.");
    let cache = work.path().join("c");
    let run = home
        .run(&["download", &repo, "--cache-dir", cache.to_str().unwrap()])
        .ok();
    assert!(files_under(Path::new(run.last_line())).contains(&"weights.bin".to_owned()));
    home.run(&["upload", &repo, folder.to_str().unwrap(), "--every", "0"])
        .failed();
}

// ---------------------------------------------------------------------------------------------
// scan-cache, delete-cache

/// A cache with two repos (a model with two revisions, a dataset with one) downloaded by the CLI.
struct CacheFixture {
    server: TestServer,
    home: Home,
    work: tempfile::TempDir,
    cache: PathBuf,
    model: String,
    dataset: String,
    old_rev: String,
    new_rev: String,
}

impl CacheFixture {
    fn new() -> CacheFixture {
        let server = TestServer::start();
        let home = Home::new(&server);
        let work = tempfile::tempdir().unwrap();
        let folder = sample_folder(work.path());
        let cache = work.path().join("cache");
        let c = cache.to_str().unwrap().to_owned();
        let model = format!("{ALICE}/{}", unique_name("model"));
        let dataset = format!("{ORG}/{}", unique_name("data"));
        home.run(&["upload", &model, folder.to_str().unwrap()]).ok();
        let old = home
            .run(&["download", &model, "--cache-dir", &c])
            .ok()
            .last_line()
            .to_owned();
        write_file(&folder.join("config.json"), b"{\"a\": 2}\n");
        home.run(&["upload", &model, folder.to_str().unwrap()]).ok();
        let new = home
            .run(&["download", &model, "--cache-dir", &c])
            .ok()
            .last_line()
            .to_owned();
        home.run(&[
            "upload",
            &dataset,
            folder.join("sub").to_str().unwrap(),
            "--repo-type",
            "dataset",
        ])
        .ok();
        home.run(&[
            "download",
            &dataset,
            "--repo-type",
            "dataset",
            "--cache-dir",
            &c,
        ])
        .ok();
        let rev = |p: &str| p.rsplit('/').next().unwrap().to_owned();
        CacheFixture {
            old_rev: rev(&old),
            new_rev: rev(&new),
            server,
            home,
            work,
            cache,
            model,
            dataset,
        }
    }
    fn c(&self) -> &str {
        self.cache.to_str().unwrap()
    }
}

#[test]
fn scan_cache_prints_the_table_and_footer() {
    let f = CacheFixture::new();
    let run = f.home.run(&["scan-cache", "--dir", f.c()]).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "REPO",
            "ID",
            "REPO",
            "TYPE",
            "SIZE",
            "ON",
            "DISK",
            "NB",
            "FILES",
            "LAST_ACCESSED",
            "LAST_MODIFIED",
            "REFS",
            "LOCAL",
            "PATH"
        ]
    );
    assert!(lines[1].chars().all(|c| c == '-' || c == ' '));
    // Rows sorted by folder: datasets-- before models--.
    assert!(
        lines[2].starts_with(&f.dataset) && lines[2].contains(" dataset "),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with(&f.model) && lines[3].contains(" model "),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains(" a few seconds ago "), "{}", lines[3]);
    assert!(
        lines[3]
            .trim_end()
            .ends_with(&format!("models--{}", f.model.replace('/', "--"))),
        "{}",
        lines[3]
    );
    assert_eq!(lines[4], "");
    assert!(
        lines[5].starts_with("Done in ")
            && lines[5].contains("s. Scanned 2 repo(s) for a total of "),
        "{}",
        lines[5]
    );
    // Column alignment: every line of the table has the same width.
    assert!(lines[..4].iter().all(|l| l.len() == lines[0].len()));

    // -v: one row per revision, with the revision and its refs ("main" only on the newest).
    let run = f.home.run(&["scan-cache", "--dir", f.c(), "-v"]).ok();
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len(), 3, "{}", run.stdout);
    let old = rows.iter().find(|r| r.contains(&f.old_rev)).unwrap();
    let new = rows.iter().find(|r| r.contains(&f.new_rev)).unwrap();
    assert!(new.contains(" main "), "{new}");
    assert!(!old.contains(" main "), "{old}");
    assert!(
        new.trim_end()
            .ends_with(&format!("snapshots/{}", f.new_rev))
    );

    // A stray file in the cache is a warning, detailed with -vvv.
    std::fs::write(f.cache.join("not-a-repo"), b"x").unwrap();
    let run = f.home.run(&["scan-cache", "--dir", f.c()]).ok();
    assert_eq!(
        run.last_line(),
        "Got 1 warning(s) while scanning. Use -vvv to print details."
    );
    let run = f.home.run(&["scan-cache", "--dir", f.c(), "-vvv"]).ok();
    assert!(
        run.stdout.contains("Got 1 warning(s) while scanning.\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("not-a-repo"), "{}", run.stdout);

    let run = f
        .home
        .run(&["scan-cache", "--dir", "/no/such/cache"])
        .failed();
    assert!(
        run.stderr
            .contains("Cache directory not found: /no/such/cache"),
        "{}",
        run.stderr
    );
    let _ = &f.work;
}

/// Spawns the CLI with piped stdin/stdout and a thread collecting stdout.
struct Interactive {
    child: std::process::Child,
    out: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Interactive {
    fn spawn(mut cmd: Command) -> Interactive {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Interactive {
            child,
            out,
            reader: Some(reader),
        }
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }
    fn wait_for(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let t = self.text();
            if t.contains(needle) {
                return t;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {needle:?}; got:\n{t}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    fn send(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    fn finish(mut self) -> Run {
        drop(self.child.stdin.take());
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = self.child.wait().unwrap();
        self.reader.take().unwrap().join().unwrap();
        Run {
            code: status.code(),
            stdout: self.text(),
            stderr,
        }
    }
}

#[test]
fn delete_cache_without_tui_edits_a_temp_file() {
    let f = CacheFixture::new();
    let mut session =
        Interactive::spawn(
            f.home
                .command(&["delete-cache", "--dir", f.c(), "--disable-tui"]),
        );
    let shown = session.wait_for("(y/N) ");
    assert!(
        shown.starts_with(
            "TUI is disabled. In order to select which revisions you want to delete, please edit\n"
        ),
        "{shown}"
    );
    let path = shown
        .lines()
        .find_map(|l| l.strip_prefix("File to edit: "))
        .unwrap()
        .trim()
        .to_owned();
    assert!(path.ends_with(".txt"), "{path}");
    let content = std::fs::read_to_string(&path).unwrap();
    assert!(content.starts_with("# INSTRUCTIONS\n# ------------\n# This is a temporary file created by running `huggingface-cli delete-cache` with the\n"));
    assert!(content.contains("\n# KILL SWITCH\n# ------------\n# Un-comment following line to completely cancel the deletion process\n# CANCEL_DELETION\n# ------------\n\n# REVISIONS\n# ------------\n# Dataset "), "{content}");
    assert!(
        content.contains(&format!("\n# Model {} (", f.model)),
        "{content}"
    );
    assert!(
        content.contains(&format!(
            "\n#    {} # Refs: (detached) # modified a few seconds ago",
            f.old_rev
        )),
        "{content}"
    );
    assert!(
        content.contains(&format!(
            "\n#    {} # Refs: main # modified a few seconds ago",
            f.new_rev
        )),
        "{content}"
    );
    // Nothing selected yet.
    assert!(
        shown.contains("0 revisions selected counting for 0.0. Continue ? (y/N) "),
        "{shown}"
    );

    // Select the detached revision, recompute with <enter>, then confirm twice.
    std::fs::write(
        &path,
        content.replace(
            &format!("#    {}", f.old_rev),
            &format!("    {}", f.old_rev),
        ),
    )
    .unwrap();
    session.send("\n");
    session.wait_for("1 revisions selected counting for ");
    session.send("y\n");
    session.wait_for("Confirm deletion ? (Y/n) ");
    session.send("y\n");
    let run = session.finish().ok();
    assert!(
        run.stdout
            .contains("Start deletion.\nDone. Deleted 0 repo(s) and 1 revision(s) for a total of "),
        "{}",
        run.stdout
    );
    assert!(!Path::new(&path).exists(), "temp file left behind");
    let snapshots = f
        .cache
        .join(format!("models--{}", f.model.replace('/', "--")))
        .join("snapshots");
    assert!(!snapshots.join(&f.old_rev).exists() && snapshots.join(&f.new_rev).exists());
    let _ = &f.server;
}

#[test]
fn delete_cache_kill_switch_and_menu_selection() {
    let f = CacheFixture::new();
    // Un-commenting CANCEL_DELETION cancels everything.
    let mut session =
        Interactive::spawn(
            f.home
                .command(&["delete-cache", "--dir", f.c(), "--disable-tui"]),
        );
    let shown = session.wait_for("(y/N) ");
    let path = shown
        .lines()
        .find_map(|l| l.strip_prefix("File to edit: "))
        .unwrap()
        .trim()
        .to_owned();
    let content = std::fs::read_to_string(&path).unwrap();
    let edited = content
        .replace("# CANCEL_DELETION", "CANCEL_DELETION")
        .replace(
            &format!("#    {}", f.new_rev),
            &format!("    {}", f.new_rev),
        );
    std::fs::write(&path, edited).unwrap();
    session.send("\n");
    session.wait_for("Nothing will be deleted. Continue ?");
    session.send("y\n");
    let run = session.finish().ok();
    assert!(
        run.stdout.ends_with("Deletion is cancelled. Do nothing.\n"),
        "{}",
        run.stdout
    );
    let snapshots = f
        .cache
        .join(format!("models--{}", f.model.replace('/', "--")))
        .join("snapshots");
    assert!(snapshots.join(&f.new_rev).exists() && snapshots.join(&f.old_rev).exists());

    // The menu (stdin is not a terminal: numbered list). 1 = "None of the following".
    let run = f
        .home
        .run_stdin(&["delete-cache", "--dir", f.c()], "1\n")
        .ok();
    assert!(
        run.stdout
            .contains("1. None of the following (if selected, nothing will be deleted)."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("Deletion is cancelled. Do nothing.\n"),
        "{}",
        run.stdout
    );
    // Pick every revision of both repos: both repos go.
    let n = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert_eq!(n, 4, "{}", run.stdout);
    let run = f
        .home
        .run_stdin(&["delete-cache", "--dir", f.c()], "2 3 4\n\n")
        .ok();
    assert!(
        run.stdout
            .contains("? Select revisions to delete: 3 revision(s) selected."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("3 revisions selected counting for "),
        "{}",
        run.stdout
    );
    // As in Python, revisions of wholly deleted repos are counted as repos, not revisions.
    assert!(
        run.stdout
            .contains("Done. Deleted 2 repo(s) and 0 revision(s) for a total of "),
        "{}",
        run.stdout
    );
    let run = f.home.run(&["scan-cache", "--dir", f.c()]).ok();
    assert!(run.stdout.contains("Scanned 0 repo(s)"), "{}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// Differential tests against the Python CLI (huggingface_hub 0.26.5)

fn python_cli(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut cmd = python::command(python::Version::V026);
    cmd.args(["-m", "huggingface_hub.commands.huggingface_cli"])
        .args(args)
        .env("NO_COLOR", "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Run::from(cmd.output().unwrap())
}

#[test]
fn scan_cache_rows_match_python() {
    let f = CacheFixture::new();
    let home = f.home.path().to_str().unwrap().to_owned();
    for verbose in [&[][..], &["-v"][..]] {
        let mut args = vec!["scan-cache", "--dir", f.c()];
        args.extend_from_slice(verbose);
        let ours = f.home.run(&args).ok();
        let theirs = python_cli(&args, &[("HF_HOME", home.as_str())]).ok();
        let rows = |s: &str| -> Vec<String> {
            s.lines()
                .map(|l| l.trim_end().to_owned())
                // The elapsed time may differ by a tenth of a second.
                .map(|l| {
                    if l.starts_with("Done in ") {
                        l.split_once("s. ").unwrap().1.to_owned()
                    } else {
                        l
                    }
                })
                .collect()
        };
        assert_eq!(
            rows(&ours.stdout),
            rows(&theirs.stdout),
            "verbose={verbose:?}\n--- ours ---\n{}\n--- python ---\n{}",
            ours.stdout,
            theirs.stdout
        );
    }
}

#[test]
fn download_prints_the_same_path_as_python() {
    let f = CacheFixture::new();
    let envs = [
        ("HF_HOME", f.home.path().to_str().unwrap()),
        ("HF_ENDPOINT", f.server.url()),
        ("HF_TOKEN", f.server.tokens().write.as_str()),
    ];
    let cases: Vec<Vec<&str>> = vec![
        vec!["download", &f.model, "--cache-dir", f.c()],
        vec!["download", &f.model, "config.json", "--cache-dir", f.c()],
        vec![
            "download",
            &f.model,
            "config.json",
            "sub/nested.json",
            "--cache-dir",
            f.c(),
        ],
        vec![
            "download",
            &f.dataset,
            "--repo-type",
            "dataset",
            "--cache-dir",
            f.c(),
            "--quiet",
        ],
        vec![
            "download",
            &f.model,
            "README.md",
            "--revision",
            &f.old_rev,
            "--cache-dir",
            f.c(),
        ],
    ];
    for args in cases {
        let ours = f.home.run(&args).ok();
        let theirs = python_cli(&args, &envs).ok();
        assert_eq!(ours.last_line(), theirs.last_line(), "{args:?}");
    }
    // A relative --cache-dir is printed as given, by both.
    let args = [
        "download",
        f.model.as_str(),
        "config.json",
        "--cache-dir",
        "rel-cache",
    ];
    let ours = f.home.run_in(f.work.path(), &args).ok();
    let mut cmd = python::command(python::Version::V026);
    cmd.current_dir(f.work.path())
        .args(["-m", "huggingface_hub.commands.huggingface_cli"])
        .args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let theirs = Run::from(cmd.output().unwrap()).ok();
    assert_eq!(ours.last_line(), theirs.last_line());
    assert!(
        ours.last_line().starts_with("rel-cache/"),
        "{}",
        ours.last_line()
    );
}

// ---------------------------------------------------------------------------------------------
// upload-large-folder

#[test]
fn upload_large_folder_uploads_and_resumes() {
    let server = TestServer::start();
    let home = Home::new(&server);
    let work = tempfile::tempdir().unwrap();
    let folder = sample_folder(work.path());
    let repo = format!("{ALICE}/{}", unique_name("large"));
    let f = folder.to_str().unwrap();

    let run = home.run(&["upload-large-folder", &repo, f]).failed();
    assert!(
        run.stderr.contains("`repo_type` is explicitly required"),
        "{}",
        run.stderr
    );
    let run = home
        .run(&[
            "upload-large-folder",
            &repo,
            folder.join("config.json").to_str().unwrap(),
            "--repo-type",
            "model",
        ])
        .failed();
    assert!(
        run.stderr.contains("only supported for folders"),
        "{}",
        run.stderr
    );

    let run = home
        .run(&[
            "upload-large-folder",
            &repo,
            f,
            "--repo-type",
            "model",
            "--num-workers",
            "2",
            "--exclude",
            "logs/*",
        ])
        .ok();
    assert!(run.stdout.starts_with("You are about to upload a large folder to the Hub using `huggingface-cli upload-large-folder`."), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "Some temporary metadata will be stored under `{f}/.cache/huggingface`."
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("| committed: 4/4 "), "{}", run.stdout);
    assert!(
        folder.join(".cache/huggingface").is_dir(),
        "resume metadata missing"
    );

    let cache = work.path().join("c");
    let dl = home
        .run(&["download", &repo, "--cache-dir", cache.to_str().unwrap()])
        .ok();
    assert_eq!(
        files_under(Path::new(dl.last_line())),
        vec!["README.md", "config.json", "sub/nested.json", "weights.bin"]
    );

    // Running again resumes from the metadata: nothing left to do, and no report with --no-report.
    let run = home
        .run(&[
            "upload-large-folder",
            &repo,
            f,
            "--repo-type",
            "model",
            "--exclude",
            "logs/*",
            "--no-report",
            "--no-bars",
        ])
        .ok();
    assert!(!run.stdout.contains("Workers:"), "{}", run.stdout);
}

#[test]
fn verbose_flags_turn_on_library_logs() {
    let server = TestServer::start();
    let home = Home::new(&server);
    let work = tempfile::tempdir().unwrap();
    let folder = sample_folder(work.path());
    let repo = format!("{ALICE}/{}", unique_name("verbose"));
    let quiet = home.run(&["upload", &repo, folder.to_str().unwrap()]).ok();
    assert!(!quiet.stderr.contains("DEBUG"), "{}", quiet.stderr);
    write_file(&folder.join("new.txt"), b"new");
    let loud = home
        .run(&["-vv", "upload", &repo, folder.to_str().unwrap()])
        .ok();
    assert!(
        loud.stderr.contains("DEBUG") && loud.stderr.contains("committing"),
        "{}",
        loud.stderr
    );
    write_file(&folder.join("new2.txt"), b"new");
    let mut cmd = home.command(&["upload", &repo, folder.to_str().unwrap()]);
    let env = Run::from(cmd.env("HF_HUB_VERBOSITY", "debug").output().unwrap()).ok();
    assert!(env.stderr.contains("committing"), "{}", env.stderr);
    // Logs never reach stdout: the URL stays the only line.
    assert_eq!(loud.stdout.lines().count(), 1, "{}", loud.stdout);
}
