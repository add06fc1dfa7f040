//! hub-inference (in progress).

pub mod sse;
