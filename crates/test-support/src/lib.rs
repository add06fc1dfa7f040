//! Test helpers shared by the hub-rs crates (a dev-dependency only; never published).
//!
//! Every crate's tests need the same few things: an HTTP server on `127.0.0.1:0` whose
//! handlers play the Hub (or an inference server), a log of what the client sent, and the hashes
//! the Hub names files by. This crate has them once:
//!
//! * [`MockServer`]: serves any [`axum::Router`] on an ephemeral port, records every request
//!   (method, path and query, headers, whole body) before the router sees it, and shuts down
//!   when dropped, so a test cannot leak a server into the next one.
//! * [`replay`]: loads the recorded (VCR cassette) interactions of the Python test suite and
//!   serves them in order on a [`MockServer`], answering 418 to any request that was not the
//!   recorded one.
//! * [`hashes`]: sha256 and git blob sha1 in hex, and deterministic pseudo-random content.
//!
//! The crate knows nothing of hub-core: tests build their own `HubClient` pointed at
//! [`MockServer::url`], so the client code under test is exercised from the outside, over real
//! HTTP, and hub-core itself can use this crate for its own tests.
//!
//! Panics are the failure mode here, as in the tests that call it: a cassette that cannot be read
//! or a server that cannot bind fails the test that asked for it, with the reason.

pub mod hashes;
pub mod replay;
mod server;

pub use server::{MockServer, RecordedRequest};
