//! hub-cache returns the one error type of the family, [`hub_core::Error`]: downloads and the
//! cache add no kinds of their own. Hash and size mismatches, unsafe server paths, partial
//! snapshot failures and a missing cache directory are variants of it, so callers match and
//! ask `kind()` the same way for every crate.

pub use hub_core::error::{Error, Result};
