//! Inter-process file locks compatible with Python's `filelock`: [`hub_core::file_lock`],
//! re-exported here where the cache has always offered it.

pub use hub_core::file_lock::FileLock;
