//! hub-upload (in progress).
