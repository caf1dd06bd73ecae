//! The daemon process in the simulation: starting it, crashing it (alone or with the
//! machine), and the inputs the application sends it (WAL change notifications, sync
//! requests).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use litestream_core::replicator::{Replicator, ReplicatorSettings};

use super::{Daemon, Failure, Sim, SyncWait};
use crate::events::Event;

impl Sim {
    /// Start a daemon process: a new `Replicator` with the database added.
    pub fn start_daemon(&mut self) -> Result<(), Failure> {
        self.line = self.prefix();
        self.start_daemon_inner();
        self.after_input()
    }

    pub(crate) fn start_daemon_inner(&mut self) {
        if self.daemon.is_some() {
            return;
        }
        self.gen += 1;
        let mut r = Replicator::new(ReplicatorSettings::default());
        let id = r.add_db(self.clock.mono(), self.clock.wall(), self.settings.clone());
        self.daemon = Some(Daemon {
            r,
            id,
            gen: self.gen,
            inflight: BTreeMap::new(),
            ticks: BTreeSet::new(),
        });
        self.line.push_str(&format!(" daemon-start g{}", self.gen));
    }

    /// Kill the daemon process. In-flight operations either happened (their effects stay,
    /// the answer is lost) or did not, at random. With `machine`, power is lost too: the
    /// application dies and unsynced file data is dropped or torn.
    pub fn crash_daemon(&mut self, machine: bool) -> Result<(), Failure> {
        self.line = self.prefix();
        self.crash_daemon_inner(machine);
        self.after_input()
    }

    pub(crate) fn crash_daemon_inner(&mut self, machine: bool) {
        let Some(d) = self.daemon.take() else {
            return;
        };
        let mut landed = 0;
        for (_, cmd) in d.inflight {
            if self.rng.chance(500) {
                let _ = self.execute(&cmd);
                landed += 1;
            }
        }
        self.writer.daemon_gone();
        if machine {
            let wall = self.clock.wall();
            self.writer.app_crash(&mut self.fs, &mut self.rng, wall);
            self.writer.machine_crash();
            self.fs.crash(&mut self.rng);
            self.queue
                .remove_if(|e| matches!(e, Event::AppFinish { .. }));
        }
        let gen = d.gen;
        self.queue.remove_if(|e| {
            matches!(e, Event::Complete { gen: g, .. } | Event::Tick { gen: g } | Event::WalChanged { gen: g } if *g == gen)
        });
        self.line.push_str(&format!(
            " daemon-crash g{gen} machine={machine} inflight-executed={landed}"
        ));
    }

    /// Tell the daemon the WAL changed (after a commit), unless the notification is lost.
    pub fn notify_wal(&mut self) {
        let Some(d) = &self.daemon else { return };
        if self.rng.chance(self.drop_wal_changed) {
            return;
        }
        let at = self.clock.mono() + Duration::from_micros(self.rng.range(100, 3000));
        self.queue.push(at, Event::WalChanged { gen: d.gen });
    }

    /// Ask the daemon for a sync; returns the ticket, or `None` if it is not running/open.
    pub fn request_sync(&mut self, wait_replica: bool) -> Result<Option<u64>, Failure> {
        self.line = self.prefix();
        let t = self.request_sync_inner(wait_replica);
        self.after_input()?;
        Ok(t)
    }

    pub(crate) fn request_sync_inner(&mut self, wait_replica: bool) -> Option<u64> {
        let d = self.daemon.as_mut()?;
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        let (now, wall) = (self.clock.mono(), self.clock.wall());
        let timeout = Some(Duration::from_secs(30));
        if d.r
            .request_sync(now, wall, d.id, ticket, wait_replica, timeout)
            .is_err()
        {
            return None;
        }
        self.syncs.insert(
            ticket,
            SyncWait {
                requested_seq: self.writer.head().seq,
                wait_replica,
            },
        );
        self.line
            .push_str(&format!(" sync-request #{ticket} wait={wait_replica}"));
        Some(ticket)
    }
}
