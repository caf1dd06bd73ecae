//! One replica's upload position and retry state (REPLICATION.md §7).
//!
//! The position lives in memory only: when unknown (start-up, or after any upload error)
//! it is recomputed from the replica's level-0 listing. Files are uploaded in TXID order,
//! one at a time, so the replica never has a gap; names are deterministic and content is
//! identical, so a retried (or ambiguous) upload is harmless.

use std::path::Path;
use std::time::Duration;

use crate::io::{Completion, ObjectKey, ReplicaCmd, StoreFail};
use crate::ltx;
use crate::time::{Mono, UnixMs};

/// Exponential back-off with a cap; jitter is added by the caller's seeded RNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First delay.
    pub initial: Duration,
    /// Largest delay.
    pub max: Duration,
    current: Option<Duration>,
}

impl Backoff {
    /// A back-off starting at `initial`, doubling up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max,
            current: None,
        }
    }

    /// The next delay (doubles each call).
    pub fn next_delay(&mut self) -> Duration {
        let d = match self.current {
            None => self.initial,
            Some(c) => (c * 2).min(self.max),
        };
        self.current = Some(d);
        d
    }

    /// Back to the initial delay after a success.
    pub fn reset(&mut self) {
        self.current = None;
    }
}

/// Shortest wait after a failure retrying cannot fix (refused credentials, no bucket).
pub const PERMANENT_RETRY: Duration = Duration::from_secs(30);

/// What the replica lane is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Inflight {
    Listing,
    Uploading(u64),
}

/// Upload state of one database's replica.
#[derive(Debug, Clone)]
pub struct ReplicaLane {
    /// Highest TXID known to be in the replica's level 0 (`None` = must list).
    pub pos: Option<u64>,
    inflight: Option<Inflight>,
    retry_at: Option<Mono>,
    backoff: Backoff,
    /// End of the last successful upload pass.
    pub last_sync_at: Option<UnixMs>,
    /// The last error, cleared by a success.
    pub last_error: Option<String>,
    /// Consecutive failures (for log rate limiting and diagnostics).
    pub failures: u32,
}

/// What the lane reports after a completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaneEvent {
    /// Nothing worth logging.
    Quiet,
    /// A file reached the replica.
    Uploaded(u64),
    /// The local file the replica needs next is gone: local state must be reset.
    LocalMissing(String),
    /// An operation failed; retry at the given time.
    Failed {
        /// Message naming the problem.
        message: String,
        /// Whether retrying can help.
        permanent: bool,
        /// When the next attempt is made (the back-off doubles on each failure).
        retry_in: Duration,
    },
}

impl ReplicaLane {
    /// A lane with an unknown position.
    pub fn new(retry_initial: Duration) -> ReplicaLane {
        ReplicaLane {
            pos: None,
            inflight: None,
            retry_at: None,
            backoff: Backoff::new(retry_initial, Duration::from_secs(300)),
            last_sync_at: None,
            last_error: None,
            failures: 0,
        }
    }

    /// True while a replica command is outstanding.
    pub fn busy(&self) -> bool {
        self.inflight.is_some()
    }

    /// When the lane wants to be woken for a retry.
    pub fn deadline(&self) -> Option<Mono> {
        if self.inflight.is_some() {
            return None;
        }
        self.retry_at
    }

    /// The next command to issue given the local position, if any.
    pub fn next_command(&mut self, now: Mono, local_pos: u64, ltx0: &Path) -> Option<ReplicaCmd> {
        if self.inflight.is_some() || self.retry_at.is_some_and(|t| now < t) {
            return None;
        }
        self.retry_at = None;
        match self.pos {
            None => {
                self.inflight = Some(Inflight::Listing);
                Some(ReplicaCmd::List { level: 0 })
            }
            Some(p) if p < local_pos => {
                let t = p + 1;
                self.inflight = Some(Inflight::Uploading(t));
                Some(ReplicaCmd::Put {
                    key: ObjectKey {
                        level: 0,
                        min_txid: t,
                        max_txid: t,
                    },
                    source: ltx0.join(ltx::format_filename(t, t)),
                })
            }
            Some(_) => None,
        }
    }

    /// Feed the completion of the outstanding command.
    pub fn on_completion(
        &mut self,
        now: Mono,
        wall: UnixMs,
        local_pos: u64,
        c: Completion,
    ) -> LaneEvent {
        let what = self.inflight.take();
        let result: Result<Option<u64>, StoreFail> = match (what, c) {
            (Some(Inflight::Listing), Completion::ObjectsListed(r)) => {
                r.map(|files| Some(files.iter().map(|f| f.key.max_txid).max().unwrap_or(0)))
            }
            (Some(Inflight::Uploading(t)), Completion::ObjectDone(r)) => r.map(|()| Some(t)),
            (w, c) => Err(StoreFail::Transient(format!(
                "internal error: replica lane {w:?} got {c:?}"
            ))),
        };
        match result {
            Ok(Some(p)) => {
                let uploaded = self.pos.is_some();
                self.pos = Some(p);
                // A listing that still leaves files to upload proves nothing about uploads:
                // only an upload, or a replica found up to date, ends a run of failures (or
                // a replica that lists but refuses writes would retry every second and
                // "recover" after each attempt).
                if uploaded || p >= local_pos {
                    self.backoff.reset();
                    self.failures = 0;
                    self.last_error = None;
                }
                if p >= local_pos {
                    self.last_sync_at = Some(wall);
                }
                if uploaded {
                    LaneEvent::Uploaded(p)
                } else {
                    LaneEvent::Quiet
                }
            }
            Ok(None) => LaneEvent::Quiet,
            Err(StoreFail::LocalMissing(m)) => {
                self.pos = None;
                LaneEvent::LocalMissing(m)
            }
            Err(e) => {
                self.pos = None;
                self.failures += 1;
                let permanent = matches!(e, StoreFail::Forbidden(_));
                let delay = self.backoff.next_delay();
                // Refused credentials or a bad bucket will not fix themselves in a second:
                // retry slowly, so the log and the store see one attempt per half minute.
                let delay = if permanent {
                    delay.max(PERMANENT_RETRY)
                } else {
                    delay
                };
                self.retry_at = Some(now + delay);
                let message = e.message().to_string();
                self.last_error = Some(message.clone());
                LaneEvent::Failed {
                    message,
                    permanent,
                    retry_in: delay,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::ObjectInfo;

    fn listed(max: &[u64]) -> Completion {
        Completion::ObjectsListed(Ok(max
            .iter()
            .map(|&t| ObjectInfo {
                key: ObjectKey {
                    level: 0,
                    min_txid: t,
                    max_txid: t,
                },
                size: 1,
                created: UnixMs(0),
            })
            .collect()))
    }

    #[test]
    fn lists_then_uploads_in_order() {
        let mut lane = ReplicaLane::new(Duration::from_secs(1));
        let dir = Path::new("/m/ltx/0");
        assert_eq!(
            lane.next_command(Mono(0), 3, dir),
            Some(ReplicaCmd::List { level: 0 })
        );
        assert_eq!(
            lane.next_command(Mono(0), 3, dir),
            None,
            "one command at a time"
        );
        assert_eq!(
            lane.on_completion(Mono(0), UnixMs(0), 3, listed(&[1])),
            LaneEvent::Quiet
        );
        let Some(ReplicaCmd::Put { key, source }) = lane.next_command(Mono(0), 3, dir) else {
            panic!("expected an upload")
        };
        assert_eq!((key.min_txid, key.max_txid), (2, 2));
        assert_eq!(source, dir.join("0000000000000002-0000000000000002.ltx"));
        assert_eq!(
            lane.on_completion(Mono(0), UnixMs(5), 3, Completion::ObjectDone(Ok(()))),
            LaneEvent::Uploaded(2)
        );
        assert_eq!(lane.last_sync_at, None, "not caught up yet");
        lane.next_command(Mono(0), 3, dir);
        lane.on_completion(Mono(0), UnixMs(6), 3, Completion::ObjectDone(Ok(())));
        assert_eq!(lane.pos, Some(3));
        assert_eq!(lane.last_sync_at, Some(UnixMs(6)));
        assert_eq!(lane.next_command(Mono(0), 3, dir), None);
    }

    #[test]
    fn failure_forgets_the_position_and_backs_off() {
        let mut lane = ReplicaLane::new(Duration::from_secs(1));
        let dir = Path::new("/m");
        lane.next_command(Mono(0), 1, dir);
        let ev = lane.on_completion(
            Mono(0),
            UnixMs(0),
            1,
            Completion::ObjectsListed(Err(StoreFail::Transient("503".into()))),
        );
        assert!(matches!(
            ev,
            LaneEvent::Failed {
                permanent: false,
                ..
            }
        ));
        assert_eq!(lane.deadline(), Some(Mono(1_000_000_000)));
        assert_eq!(lane.next_command(Mono(500), 1, dir), None);
        assert_eq!(
            lane.next_command(Mono(1_000_000_000), 1, dir),
            Some(ReplicaCmd::List { level: 0 })
        );
        lane.on_completion(
            Mono(1_000_000_000),
            UnixMs(0),
            1,
            Completion::ObjectsListed(Err(StoreFail::Forbidden("denied".into()))),
        );
        assert_eq!(
            lane.deadline(),
            Some(Mono(1_000_000_000) + PERMANENT_RETRY),
            "a refusal waits the permanent-failure delay"
        );
    }
}
