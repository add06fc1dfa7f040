//! hub-cache (in progress).
