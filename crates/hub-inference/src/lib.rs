//! hub-inference (in progress).

pub mod sse;
pub mod types;
