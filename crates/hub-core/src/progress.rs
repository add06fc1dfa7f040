//! The [`ProgressSink`] seam: libraries report transfer progress through it and never draw.
//!
//! The contract, as grep-searcher's `Sink`: for each file, `Started` comes first, then any number
//! of `Advanced` (byte deltas, not totals), then exactly one of `Finished` or `Failed`. Events of
//! different files interleave when transfers run concurrently, so a sink must be `Send + Sync`
//! and cheap: it is called on the transfer path.

use std::fmt;

/// One progress event. New kinds of events may be added: sinks ignore the ones they do not
/// know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent<'a> {
    /// A transfer starts; `total` is its size in bytes when known.
    Started {
        /// File path in the repository.
        file: &'a str,
        /// Total bytes, if known.
        total: Option<u64>,
    },
    /// `bytes` more bytes were transferred (a delta).
    Advanced {
        /// File path in the repository.
        file: &'a str,
        /// Bytes since the previous event for this file.
        bytes: u64,
    },
    /// The transfer completed.
    Finished {
        /// File path in the repository.
        file: &'a str,
    },
    /// The transfer now reads the file over this many parallel connections. Sent when a large
    /// download starts its ranged requests and whenever the engine adds or retires one (it adds
    /// connections only while they raise throughput), so the last one seen is the settled count.
    Connections {
        /// File path in the repository.
        file: &'a str,
        /// Connections in use from now on.
        connections: usize,
    },
    /// The transfer failed.
    Failed {
        /// File path in the repository.
        file: &'a str,
        /// Why, for display.
        error: &'a str,
    },
}

/// Receives progress events. Implemented by the CLI (progress bars) or by services (logs, metrics).
pub trait ProgressSink: Send + Sync + fmt::Debug {
    /// Called for each event.
    fn event(&self, event: ProgressEvent<'_>);
}

/// A sink that ignores everything (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn event(&self, _event: ProgressEvent<'_>) {}
}
