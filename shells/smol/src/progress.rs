//! A progress line for long work (bytes, files, rate, ETA), shown only on a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Progress of one long operation, redrawn at most 10 times a second on stderr.
pub struct Progress {
    what: &'static str,
    total: u64,
    files: usize,
    started: Instant,
    last: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// Progress over `total` bytes in `files` files.
    pub fn new(what: &'static str, total: u64, files: usize) -> Progress {
        Progress {
            what,
            total,
            files,
            started: Instant::now(),
            last: None,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// `done` bytes so far, working on file index `file`.
    pub fn update(&mut self, done: u64, file: usize) {
        if !self.enabled
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let eta = if rate > 0.0 {
            (self.total.saturating_sub(done)) as f64 / rate
        } else {
            0.0
        };
        let _ = write!(
            std::io::stderr(),
            "\r{}: {:.1}/{:.1} MB, file {}/{}, {:.1} MB/s, ETA {:.0}s   ",
            self.what,
            done as f64 / 1e6,
            self.total as f64 / 1e6,
            (file + 1).min(self.files),
            self.files,
            rate / 1e6,
            eta
        );
    }

    /// Clear the line.
    pub fn finish(&mut self, _done: u64, _files: usize, _elapsed: Duration) {
        if self.enabled && self.last.is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
