//! Shared harness for the hub-rs end-to-end tests.
//!
//! Every end-to-end test talks to a real [`hub_server`] on `127.0.0.1:0` with its own temporary
//! data directory, so tests never touch the network, the user's cache or each other:
//!
//! ```no_run
//! use hub_tests::{TestServer, python::Version};
//!
//! let server = TestServer::start(); // in-process, stopped on Drop
//! println!("{} {}", server.url(), server.tokens().write);
//!
//! // The same server through the pinned Python client (venvs from `cargo xtask venv`):
//! let out = server.python_json(Version::V026, "import json; from huggingface_hub import whoami; print(json.dumps(whoami()))");
//! assert_eq!(out["name"], "alice");
//!
//! // Or through our own CLI binary (HF_ENDPOINT and HF_TOKEN are set for you):
//! let out = server.cli(&["whoami"]);
//! assert!(out.status.success());
//! ```
//!
//! Accounts created on every server (see [`Tokens`]): user [`ALICE`] with a write and a read-only
//! token, user [`BOB`] with a write token, and organization [`ORG`] with alice as its member.
//!
//! * [`TestServer::builder`] configures chaos (fault injection), a second host name for signed LFS
//!   URLs, and the listing page size.
//! * [`TestServer::spawn_process`] runs the real `hub-server` binary instead, so a test can
//!   `kill -9` it ([`TestServer::kill`]) and start it again on the same data ([`TestServer::restart`]).
//! * [`python`] runs snippets in the pinned `huggingface_hub` venvs; [`cli()`] runs `huggingface-cli`.
//! * [`fixtures`] makes deterministic file contents and computes the hashes the Hub uses.

#![allow(clippy::unwrap_used)]

pub mod bins;
pub mod fixtures;
pub mod moto;
pub mod python;
mod server;

pub use bins::{cli, cli_bin, cli_command, server_bin};
pub use fixtures::{git_blob_sha1, random_bytes, sha256_hex, unique_name, write_file};
pub use server::{S3Store, TestServer, TestServerBuilder, Tokens};

/// The main test user; owns the write and read-only tokens of [`Tokens`].
pub const ALICE: &str = "alice";
/// A second user, for visibility and permission tests.
pub const BOB: &str = "bob";
/// An organization whose only member is [`ALICE`].
pub const ORG: &str = "acme";

/// Root of the hub-rs repository (where `.venv/`, `target/` and `tests/python/` live).
pub fn repo_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Removes every `HF_*` / `HUGGING_FACE_*` variable inherited from the developer's shell so a
/// child process only sees what the test sets (a stray `HF_TOKEN` or `HF_HUB_OFFLINE` would
/// otherwise change what is being tested).
pub fn scrub_hf_env(cmd: &mut std::process::Command) {
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k.starts_with("HF_") || k.starts_with("HUGGING_FACE") || k.starts_with("HUGGINGFACE") {
            cmd.env_remove(&key);
        }
    }
}

// The README and the user guide are compiled as doctests (`cargo test -p hub-tests --doc`), so
// their snippets stay true to the crates' APIs.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/download.md")]
mod guide_download {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/upload.md")]
mod guide_upload {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/cache.md")]
mod guide_cache {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/repository.md")]
mod guide_repository {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/inference.md")]
mod guide_inference {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/endpoints.md")]
mod guide_endpoints {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/cli.md")]
mod guide_cli {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/server.md")]
mod guide_server {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/cards.md")]
mod guide_cards {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/filesystem.md")]
mod guide_filesystem {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/community.md")]
mod guide_community {}
