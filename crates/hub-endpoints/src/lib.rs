//! hub-endpoints (in progress).
