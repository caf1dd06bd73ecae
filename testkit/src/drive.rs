//! The step's second half: drain the core's outputs into scheduled completions, schedule
//! the next tick, run the invariant checks; and the run helpers built on `step`.

use std::time::Duration;

use litestream_core::emit::{Level, Output, SyncReport};
use litestream_core::io::Command;

use crate::events::Event;
use crate::sim::{Failure, Sim};
use crate::summary::cmd_summary;

impl Sim {
    /// Drain the daemon's outputs, schedule its next tick, run the checks, trace the step.
    pub(crate) fn after_input(&mut self) -> Result<(), Failure> {
        self.step += 1;
        self.drain()?;
        let r = self.check_step();
        let line = std::mem::take(&mut self.line);
        self.trace.line(line);
        r
    }

    fn latency(&mut self, cmd: &Command) -> Duration {
        let us = match cmd {
            Command::Replica { .. } => {
                if self.rng.chance(30) {
                    self.rng.range(500_000, 3_000_000)
                } else {
                    self.rng.range(2_000, 150_000)
                }
            }
            Command::Sqlite { .. } => self.rng.range(100, 5_000),
            _ => self.rng.range(10, 2_000),
        };
        Duration::from_micros(us)
    }

    fn drain(&mut self) -> Result<(), Failure> {
        let now = self.clock.mono();
        let Some(mut d) = self.daemon.take() else {
            return Ok(());
        };
        let mut err = None;
        while let Some(out) = d.r.poll() {
            match out {
                Output::Execute { op, cmd } => {
                    if let Command::WriteAt { path, .. } = &cmd {
                        if !path.to_string_lossy().ends_with(".tmp") {
                            err.get_or_insert(format!(
                                "WriteAt to a non-staging file {}",
                                path.display()
                            ));
                        }
                    }
                    self.line
                        .push_str(&format!(" | exec op{} {}", op.0, cmd_summary(&cmd)));
                    let at = now + self.latency(&cmd);
                    d.inflight.insert(op, cmd);
                    self.queue.push(at, Event::Complete { gen: d.gen, op });
                }
                Output::Log(l) => {
                    if let Some(rest) = l.message.strip_prefix("wrote ltx ") {
                        let txid = rest.get(..16).and_then(litestream_core::ltx::parse_txid);
                        let reason = rest
                            .split_once("(snapshot: ")
                            .map(|(_, r)| r.trim_end_matches(')').to_string());
                        if let Some(t) = txid {
                            self.line.push_str(&format!(" | wrote {t} {reason:?}"));
                            self.written.insert(t, reason);
                        }
                    }
                    if l.level >= Level::Warn {
                        self.error_logs += 1;
                        self.line
                            .push_str(&format!(" | log {:?}: {}", l.level, l.message));
                    }
                }
                Output::SyncDone { ticket, result, .. } => {
                    self.line
                        .push_str(&format!(" | sync-done #{ticket} {result:?}"));
                    if self.sync_results.insert(ticket, result).is_some() {
                        err.get_or_insert(format!("sync #{ticket} answered twice"));
                    }
                    self.done_syncs.push(ticket);
                }
                Output::Respond { .. }
                | Output::AttachReplica { .. }
                | Output::DetachReplica { .. } => {
                    err.get_or_insert("control output without a control request".to_string());
                }
            }
        }
        if d.inflight.len() > 3 {
            err.get_or_insert(format!(
                "{} operations in flight for one database (one local, one replica, one maintenance expected)",
                d.inflight.len()
            ));
        }
        if d.r.poll_timeout() != d.r.poll_timeout_by_scan() {
            err.get_or_insert(format!(
                "deadline index says {:?}, a scan of the databases {:?}",
                d.r.poll_timeout(),
                d.r.poll_timeout_by_scan()
            ));
        }
        if let Some(t) = d.r.poll_timeout() {
            let t = t.max(now);
            if d.ticks.insert(t) {
                self.queue.push(t, Event::Tick { gen: d.gen });
            }
        }
        self.daemon = Some(d);
        match err {
            Some(e) => Err(self.fail(e)),
            None => Ok(()),
        }
    }

    fn check_step(&mut self) -> Result<(), Failure> {
        let r = self.check_step_inner();
        r.map_err(|m| self.fail(m))
    }

    fn check_step_inner(&mut self) -> Result<(), String> {
        for l in std::mem::take(&mut self.store.landed) {
            self.checker.on_landed(&l, &self.writer)?;
        }
        let ltx0 = self.settings.paths.ltx0.clone();
        for p in std::mem::take(&mut self.committed_files) {
            if p.parent() == Some(ltx0.as_path()) && self.fs.exists(&p) {
                self.checker.on_local_file(&self.fs, &p, &self.writer)?;
            }
        }
        for d in std::mem::take(&mut self.writer.discards) {
            self.checker.on_discard(&d, &self.fs, &ltx0, &self.writer)?;
        }
        self.checker.check_no_gap(&self.store)?;
        for ticket in std::mem::take(&mut self.done_syncs) {
            let (Some(w), Some(Ok(rep))) = (
                self.syncs.get(&ticket).copied(),
                self.sync_results.get(&ticket),
            ) else {
                continue;
            };
            let rep = *rep;
            if w.wait_replica {
                self.checker
                    .check_ack(&self.store, rep.replicated, w.requested_seq, &self.writer)
                    .map_err(|e| format!("sync #{ticket} ({rep:?}): {e}"))?;
            } else if let Some(img) = self.checker.state(rep.after) {
                match self.writer.find(img.hash()) {
                    Some(c) if c.seq >= w.requested_seq => {}
                    other => {
                        return Err(format!(
                            "sync #{ticket} ({rep:?}) done locally at txid {} which holds {:?}, older than commit #{} at the request",
                            rep.after,
                            other.map(|c| c.seq),
                            w.requested_seq
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    /// Run events until simulated time reaches `now + d` (or nothing is left).
    pub fn run_for(&mut self, d: Duration) -> Result<(), Failure> {
        let until = self.clock.mono() + d;
        while self.queue.peek_time().is_some_and(|t| t <= until) {
            self.step()?;
        }
        self.clock.advance_to(until);
        Ok(())
    }

    /// Run until `ticket` is answered, for at most `max` of simulated time.
    pub fn wait_sync(
        &mut self,
        ticket: u64,
        max: Duration,
    ) -> Result<Option<Result<SyncReport, String>>, Failure> {
        let until = self.clock.mono() + max;
        while !self.sync_results.contains_key(&ticket) {
            match self.queue.peek_time() {
                Some(t) if t <= until => {
                    self.step()?;
                }
                _ => break,
            }
        }
        Ok(self.sync_results.get(&ticket).cloned())
    }

    /// Request a sync and wait for its answer (scenario helper).
    pub fn sync(
        &mut self,
        wait_replica: bool,
        max: Duration,
    ) -> Result<Result<SyncReport, String>, Failure> {
        let Some(t) = self.request_sync(wait_replica)? else {
            return Ok(Err("daemon not running or database not open".into()));
        };
        Ok(self
            .wait_sync(t, max)?
            .unwrap_or_else(|| Err("no answer in time".into())))
    }
}
