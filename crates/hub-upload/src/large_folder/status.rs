//! The periodic status snapshot and its rendering as the Python tool's report.

use std::fmt;
use std::time::Duration;

/// A snapshot of a large upload; `Display` renders the report of the Python tool.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeFolderStatus {
    /// Local time of the snapshot.
    pub now: chrono::DateTime<chrono::Local>,
    /// Time since the upload started.
    pub elapsed: Duration,
    /// Files to upload (ignored files excluded).
    pub total_files: usize,
    /// Their total size.
    pub total_size: u64,
    /// Files hashed.
    pub hashed_files: usize,
    /// Bytes hashed.
    pub hashed_size: u64,
    /// Files the server wants through LFS.
    pub lfs_files: usize,
    /// Files whose upload mode is not known yet.
    pub unsure_files: usize,
    /// LFS files uploaded.
    pub preuploaded_files: usize,
    /// Bytes of LFS files uploaded.
    pub preuploaded_size: u64,
    /// Files committed.
    pub committed_files: usize,
    /// Bytes committed.
    pub committed_size: u64,
    /// Files the server ignores (`.gitignore`).
    pub ignored_files: usize,
    /// Workers hashing.
    pub workers_hashing: usize,
    /// Workers asking upload modes.
    pub workers_get_upload_mode: usize,
    /// Workers uploading LFS content.
    pub workers_preuploading: usize,
    /// Workers committing.
    pub workers_committing: usize,
    /// Idle workers.
    pub workers_waiting: usize,
    /// Files hashed by this run (not recovered from metadata).
    pub hashed_this_run: usize,
    /// LFS files uploaded by this run.
    pub uploaded_this_run: usize,
    /// Commits made by this run.
    pub commits_this_run: usize,
}

/// Python's `_format_size` (re-exported from hub-core).
pub use hub_core::units::format_size;

/// Python's `str(timedelta)` without the fraction: `H:MM:SS`, with `N day(s), ` in front.
fn format_elapsed(d: Duration) -> String {
    let s = d.as_secs();
    let (days, rem) = (s / 86400, s % 86400);
    let hms = format!("{}:{:02}:{:02}", rem / 3600, (rem % 3600) / 60, rem % 60);
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        n => format!("{n} days, {hms}"),
    }
}

impl fmt::Display for LargeFolderStatus {
    /// The three report lines framed by dashes (Python starts with an extra empty line; print
    /// one before if you want the same spacing).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = format_size(self.total_size);
        writeln!(
            f,
            "{} {} ({}) {}",
            "-".repeat(10),
            self.now.format("%Y-%m-%d %H:%M:%S"),
            format_elapsed(self.elapsed),
            "-".repeat(10)
        )?;
        write!(
            f,
            "Files:   hashed {}/{} ({}/{total}) | pre-uploaded: {}/{} ({}/{total})",
            self.hashed_files,
            self.total_files,
            format_size(self.hashed_size),
            self.preuploaded_files,
            self.lfs_files,
            format_size(self.preuploaded_size),
        )?;
        if self.unsure_files > 0 {
            write!(f, " (+{} unsure)", self.unsure_files)?;
        }
        writeln!(
            f,
            " | committed: {}/{} ({}/{total}) | ignored: {}",
            self.committed_files,
            self.total_files,
            format_size(self.committed_size),
            self.ignored_files
        )?;
        writeln!(
            f,
            "Workers: hashing: {} | get upload mode: {} | pre-uploading: {} | committing: {} | waiting: {}",
            self.workers_hashing,
            self.workers_get_upload_mode,
            self.workers_preuploading,
            self.workers_committing,
            self.workers_waiting
        )?;
        f.write_str(&"-".repeat(51))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn report_format() {
        assert_eq!(format_size(0), "0.0");
        assert_eq!(format_size(5_000_000_000), "5.0G");
        assert_eq!(format_size(999), "999.0");
        assert_eq!(format_size(1_500), "1.5K");
        assert_eq!(format_elapsed(Duration::from_secs(3725)), "1:02:05");
        assert_eq!(format_elapsed(Duration::from_secs(90000)), "1 day, 1:00:00");
        let s = LargeFolderStatus {
            now: chrono::Local::now(),
            elapsed: Duration::ZERO,
            total_files: 5,
            total_size: 5_000_000_000,
            hashed_files: 5,
            hashed_size: 5_000_000_000,
            lfs_files: 5,
            unsure_files: 0,
            preuploaded_files: 0,
            preuploaded_size: 0,
            committed_files: 0,
            committed_size: 0,
            ignored_files: 0,
            workers_hashing: 0,
            workers_get_upload_mode: 0,
            workers_preuploading: 5,
            workers_committing: 0,
            workers_waiting: 11,
            hashed_this_run: 5,
            uploaded_this_run: 0,
            commits_this_run: 0,
        };
        let text = s.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(
            lines[0].starts_with("---------- ") && lines[0].ends_with(" (0:00:00) ----------"),
            "{}",
            lines[0]
        );
        assert_eq!(
            lines[1],
            "Files:   hashed 5/5 (5.0G/5.0G) | pre-uploaded: 0/5 (0.0/5.0G) | committed: 0/5 (0.0/5.0G) | ignored: 0"
        );
        assert_eq!(
            lines[2],
            "Workers: hashing: 0 | get upload mode: 0 | pre-uploading: 5 | committing: 0 | waiting: 11"
        );
        assert_eq!(lines[3], "-".repeat(51));
    }
}
