//! Progress bars: an indicatif rendering of the libraries' [`ProgressSink`] events.
//!
//! One bar per file in flight (bytes) and one overall bar (files done / files started), drawn on
//! stderr so stdout keeps only the result line. The libraries never draw; they only report.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use hub_core::{ProgressEvent, ProgressSink};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bars on stderr for concurrent transfers.
pub(crate) struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    files: Mutex<HashMap<String, ProgressBar>>,
}

impl std::fmt::Debug for Bars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bars").finish_non_exhaustive()
    }
}

impl Bars {
    /// Creates the overall bar; file bars appear as transfers start.
    pub(crate) fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        let overall = multi.add(ProgressBar::new(0));
        overall.set_style(
            ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} [{elapsed_precise}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        overall.set_message("Files");
        overall.enable_steady_tick(Duration::from_millis(200));
        Bars {
            multi,
            overall,
            files: Mutex::new(HashMap::new()),
        }
    }

    fn file_style(known_total: bool) -> ProgressStyle {
        let template = if known_total {
            "{msg:40!} {percent:>3}% {wide_bar} {bytes}/{total_bytes} [{elapsed_precise}<{eta_precise}, {bytes_per_sec}]"
        } else {
            "{msg:40!} {bytes} [{elapsed_precise}, {bytes_per_sec}]"
        };
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
    }
}

impl ProgressSink for Bars {
    fn event(&self, event: ProgressEvent<'_>) {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            ProgressEvent::Started { file, total } => {
                let bar = self.multi.add(ProgressBar::new(total.unwrap_or(0)));
                bar.set_style(Self::file_style(total.is_some()));
                bar.set_message(short_name(file));
                self.overall.inc_length(1);
                if let Some(old) = files.insert(file.to_owned(), bar) {
                    old.finish_and_clear();
                }
            }
            ProgressEvent::Advanced { file, bytes } => {
                if let Some(bar) = files.get(file) {
                    bar.inc(bytes);
                }
            }
            ProgressEvent::Finished { file } => {
                if let Some(bar) = files.remove(file) {
                    bar.finish_and_clear();
                }
                self.overall.inc(1);
            }
            ProgressEvent::Failed { file, error } => {
                if let Some(bar) = files.remove(file) {
                    bar.abandon_with_message(format!("{} failed: {error}", short_name(file)));
                }
                self.overall.inc(1);
            }
            // Events added later draw nothing.
            _ => {}
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

/// The file name shortened to 40 characters from the left, as tqdm's `(…)suffix`.
fn short_name(file: &str) -> String {
    let n = file.chars().count();
    if n <= 40 {
        file.to_owned()
    } else {
        let tail: String = file.chars().skip(n - 37).collect();
        format!("(…){tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_drive_bars_without_panicking() {
        let bars = Bars::new();
        bars.event(ProgressEvent::Started {
            file: "a.bin",
            total: Some(10),
        });
        bars.event(ProgressEvent::Advanced {
            file: "a.bin",
            bytes: 4,
        });
        assert_eq!(bars.files.lock().unwrap()["a.bin"].position(), 4);
        bars.event(ProgressEvent::Finished { file: "a.bin" });
        bars.event(ProgressEvent::Advanced {
            file: "unknown",
            bytes: 1,
        });
        assert!(bars.files.lock().unwrap().is_empty());
        assert_eq!(bars.overall.position(), 1);
        assert_eq!(short_name(&"x".repeat(50)).chars().count(), 40);
    }
}
