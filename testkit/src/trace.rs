//! The run's trace: one line per step, a running hash of every line (the determinism
//! check), the recent tail kept for failure reports, and optional echo to stderr.

use std::collections::VecDeque;

use crate::image::{fnv, FNV_START};

/// Lines kept for a failure report.
const TAIL: usize = 60;

/// The trace of one run.
#[derive(Debug, Clone)]
pub struct Trace {
    hash: u64,
    lines: u64,
    tail: VecDeque<String>,
    echo: bool,
}

impl Trace {
    /// An empty trace; `echo` prints every line to stderr.
    pub fn new(echo: bool) -> Trace {
        Trace {
            hash: FNV_START,
            lines: 0,
            tail: VecDeque::new(),
            echo,
        }
    }

    /// Append one line.
    pub fn line(&mut self, s: String) {
        self.hash = fnv(self.hash, s.as_bytes());
        self.hash = fnv(self.hash, b"\n");
        self.lines += 1;
        if self.echo {
            eprintln!("{s}");
        }
        if self.tail.len() == TAIL {
            self.tail.pop_front();
        }
        self.tail.push_back(s);
    }

    /// Hash of every line so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Number of lines.
    pub fn len(&self) -> u64 {
        self.lines
    }

    /// True when nothing was traced.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// The most recent lines, oldest first.
    pub fn tail(&self) -> Vec<String> {
        self.tail.iter().cloned().collect()
    }
}
