//! The step's first half: take the earliest event, advance the clock to it (a busy loop
//! at one instant fails the run) and apply it; `drive` handles the core's outputs.

use litestream_core::replicator::Input;

use super::{Failure, Sim};
use crate::events::Event;
use crate::summary::{cmd_summary, completion_summary};

/// Steps at one instant after which the run counts as a busy loop.
const SAME_INSTANT_LIMIT: u32 = 5_000;

impl Sim {
    /// Run the earliest event. `Ok(false)` when nothing is queued.
    pub fn step(&mut self) -> Result<bool, Failure> {
        let Some((t, ev)) = self.queue.pop() else {
            return Ok(false);
        };
        self.clock.advance_to(t);
        if self.same_instant.0 == t {
            self.same_instant.1 += 1;
            if self.same_instant.1 > SAME_INSTANT_LIMIT {
                return Err(self.fail(format!(
                    "busy loop: {SAME_INSTANT_LIMIT} steps at the same instant without time passing"
                )));
            }
        } else {
            self.same_instant = (t, 0);
        }
        self.line = format!("{} {}", self.prefix(), ev.name());
        self.apply(ev)?;
        self.after_input()?;
        Ok(true)
    }

    fn apply(&mut self, ev: Event) -> Result<(), Failure> {
        let gen_now = self.daemon.as_ref().map(|d| d.gen);
        let (now, wall) = (self.clock.mono(), self.clock.wall());
        match ev {
            Event::Complete { gen, op } => {
                if gen_now != Some(gen) {
                    return Ok(());
                }
                let cmd = self
                    .daemon
                    .as_mut()
                    .and_then(|d| d.inflight.remove(&op))
                    .ok_or_else(|| self.fail(format!("completion for unknown op {op:?}")))?;
                let result = self.execute(&cmd);
                self.line.push_str(&format!(
                    " {} => {}",
                    cmd_summary(&cmd),
                    completion_summary(&result)
                ));
                let d = self.daemon.as_mut().expect("checked above");
                d.r.handle(now, wall, Input::Completed { op, result });
            }
            Event::Tick { gen } => {
                if let Some(d) = self.daemon.as_mut().filter(|d| d.gen == gen) {
                    d.ticks.remove(&now);
                    d.r.handle(now, wall, Input::Tick);
                }
            }
            Event::WalChanged { gen } => {
                if let Some(d) = self.daemon.as_mut().filter(|d| d.gen == gen) {
                    let id = d.id;
                    d.r.handle(now, wall, Input::WalChanged(id));
                }
            }
            Event::AppFinish { commit } => {
                if let Some(seq) = self.writer.app_finish(&mut self.fs, commit, wall) {
                    self.line.push_str(&format!(" commit #{seq}"));
                    self.notify_wal();
                }
            }
            Event::DaemonStart => self.start_daemon_inner(),
            Event::AppCheckpoint(mode) => {
                let r = self
                    .writer
                    .app_checkpoint(&mut self.fs, &mut self.rng, mode, wall);
                self.line.push_str(&format!(" => {r:?}"));
            }
            Event::Workload => self.workload_event()?,
            Event::Chaos => self.chaos_event()?,
        }
        Ok(())
    }
}
