//! Human-readable sizes, as the Python library prints them.

/// Python's `_format_size`: `1.2K`, `13.5M`, `3.1G` (powers of 1000, one decimal). Used by
/// `scan-cache` and by the `upload_large_folder` report.
///
/// ```
/// assert_eq!(hub_core::units::format_size(1234), "1.2K");
/// assert_eq!(hub_core::units::format_size(13_500_000), "13.5M");
/// assert_eq!(hub_core::units::format_size(999), "999.0");
/// ```
pub fn format_size(num: u64) -> String {
    let mut n = num as f64;
    for unit in ["", "K", "M", "G", "T", "P", "E", "Z"] {
        if n.abs() < 1000.0 {
            return format!("{n:.1}{unit}");
        }
        n /= 1000.0;
    }
    format!("{n:.1}Y")
}
