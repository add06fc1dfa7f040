//! hub-core: the base every hub-rs crate stands on.
//!
//! It holds what every job on the Hugging Face Hub needs, and nothing that only one job needs:
//!
//! - [`Config`]: every environment variable of the Python library (`HF_HOME`, `HF_HUB_CACHE`,
//!   `HF_TOKEN`, `HF_HUB_OFFLINE`, ...) read in one place, [`Config::from_env`], or set in code
//!   with [`Config::builder`]. There is no hidden global state.
//! - [`RepoId`], [`RepoType`], [`Revision`], [`RepoUrl`]: validated exactly as Python validates
//!   them, and [`urls`] with the protocol's percent-encoding rules.
//! - [`Token`] (never shown in `Debug`/`Display`), the [`TokenSource`] seam and the token files
//!   shared with Python ([`token`]).
//! - [`HubClient`]: one `Arc`'d client (config, token source, connection pool, retry policy) that
//!   downloads, uploads and inference share. Errors become [`Error`] variants in one place.
//! - [`HfApi`]: the repository surface (whoami, create/delete/move repos, settings, info,
//!   listings as `Stream`s, tree, paths-info, refs, commits, branches, tags, file metadata).
//!   Calls are builders finished with `.send()`; see [`api`] for the conventions.
//! - [`auth`]: `login` / `logout` / `auth_switch` / `auth_list` on the token files shared with
//!   Python, and the git credential helper.
//! - [`types`]: the wire types (serde only), tolerant of unknown and missing fields.
//! - [`ProgressSink`]: how libraries report progress without ever printing.
//! - `blocking` (cargo feature `blocking`): a synchronous `HfApi` that runs the async one on
//!   its own runtime thread, so it never panics when called from async code.
//!
//! # Design: one client, many surfaces
//!
//! The Python library has one `HfApi` object carrying endpoint, token and session. hub-rs keeps
//! that shape but splits the *client* (transport and identity) from the *surfaces* (API calls),
//! so `hub-cache`, `hub-upload` and `hub-inference` each add their methods on top of the same
//! [`HubClient`] without depending on each other.
//!
//! Every request of every hub-rs crate goes through [`HubClient::send`], which takes a small
//! [`SendOptions`] value (redirects, whether the request may be repeated, statuses passed
//! through). That is where offline mode is enforced, the user-agent, proxies, timeouts and
//! the rule that `Authorization` never follows a redirect to another host are applied, errors
//! are mapped to [`Error`] variants once, and the retry policy applies through
//! [`RetryPolicy::run`] — which the transfer engines of hub-cache and hub-upload also use for
//! their multi-request steps.
//!
//! ```no_run
//! # async fn run() -> hub_core::Result<()> {
//! use hub_core::{HubClient, RepoId};
//! let client = HubClient::from_env()?;
//! let info = client.api().model_info(&RepoId::new("openai-community/gpt2")?).send().await?;
//! println!("{} at {:?}", info.id, info.sha);
//! # Ok(()) }
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod api;
pub mod auth;
#[cfg(feature = "blocking")]
pub mod blocking;
pub mod client;
pub mod config;
pub mod error;
pub mod file_lock;
pub mod fnmatch;
pub mod pagination;
pub mod progress;
pub mod repo;
pub mod retry;
pub mod runtime_thread;
pub mod token;
pub mod types;
pub mod types_community;
pub mod units;
pub mod urls;

pub use api::HfApi;
pub use client::{HubClient, HubClientBuilder, Redirects, SendOptions};
pub use config::{Config, ConfigBuilder};
pub use error::{Error, ErrorKind, HttpContext, Result};
pub use progress::{NoProgress, ProgressEvent, ProgressSink};
pub use repo::{RepoId, RepoType, RepoUrl, Revision};
pub use retry::{RetryDecision, RetryPolicy};
pub use token::{Token, TokenSource};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod proptests;
