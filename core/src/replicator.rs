//! The top-level machine: every managed database, driven by one input at a time.
//!
//! See the crate documentation for the drive-loop contract. The replicator routes each
//! completion to the database lane that issued it, runs timers, and starts and stops
//! databases. It never blocks and never performs IO itself.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::db::waiters::Waiter;
use crate::db::{steps_open, Db, DbSettings, Lifecycle, Step};
use crate::emit::{Emitter, Level, Output};
use crate::io::{Completion, DbId, OpId};
use crate::time::{Mono, UnixMs};

/// One input to the replicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A deadline from `poll_timeout` passed (spurious ticks are harmless).
    Tick,
    /// The WAL of a database changed.
    WalChanged(DbId),
    /// A command finished.
    Completed {
        /// The command's id.
        op: OpId,
        /// Its result.
        result: Completion,
    },
    /// Stop everything: final sync, wait for the replicas (bounded), close.
    Shutdown,
}

/// Why a sync request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRefused {
    /// No such database.
    NotFound,
    /// The database is stopped or closing.
    NotOpen,
}

/// Daemon-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicatorSettings {
    /// How long shutdown waits for replicas to receive the final files.
    pub shutdown_sync_timeout: Duration,
}

impl Default for ReplicatorSettings {
    fn default() -> Self {
        ReplicatorSettings {
            shutdown_sync_timeout: Duration::from_secs(30),
        }
    }
}

/// Every managed database and the outputs waiting for the shell.
#[derive(Debug)]
pub struct Replicator {
    settings: ReplicatorSettings,
    dbs: BTreeMap<DbId, Db>,
    next_db: u64,
    em: Emitter,
    shutting_down: bool,
}

impl Replicator {
    /// An empty replicator.
    pub fn new(settings: ReplicatorSettings) -> Replicator {
        Replicator {
            settings,
            dbs: BTreeMap::new(),
            next_db: 0,
            em: Emitter::default(),
            shutting_down: false,
        }
    }

    /// Register a database and start replicating it.
    pub fn add_db(&mut self, now: Mono, wall: UnixMs, settings: DbSettings) -> DbId {
        self.next_db += 1;
        let id = DbId(self.next_db);
        self.dbs.insert(id, Db::new(id, settings));
        self.start_db(now, wall, id);
        id
    }

    /// (Re)start a stopped database. Returns false if it is unknown or not stopped.
    pub fn start_db(&mut self, now: Mono, wall: UnixMs, id: DbId) -> bool {
        let Some(db) = self.dbs.get_mut(&id) else {
            return false;
        };
        if db.lifecycle != Lifecycle::Stopped {
            return false;
        }
        db.lifecycle = Lifecycle::Opening;
        db.queue.extend(steps_open());
        db.advance(id, now, wall, &mut self.em);
        true
    }

    /// Stop a database: final sync, wait for the replica (bounded), close.
    pub fn stop_db(&mut self, now: Mono, wall: UnixMs, id: DbId, timeout: Duration) -> bool {
        let Some(db) = self.dbs.get_mut(&id) else {
            return false;
        };
        match db.lifecycle {
            Lifecycle::Stopped | Lifecycle::Closing => return false,
            Lifecycle::Opening => {
                db.queue.clear();
                db.queue.push_back(Step::Close);
            }
            Lifecycle::Open => {
                db.queue.retain(|s| {
                    *s == crate::db::Step::Sqlite(crate::io::SqliteCmd::EndWriteBarrier)
                });
                db.queue.extend([
                    Step::Pass { checkpoint: false },
                    Step::AwaitReplica,
                    Step::Close,
                ]);
            }
        }
        db.lifecycle = Lifecycle::Closing;
        db.shutdown_deadline = Some(now + timeout);
        db.retry_at = None;
        db.advance(id, now, wall, &mut self.em);
        true
    }

    /// Feed one input.
    pub fn handle(&mut self, now: Mono, wall: UnixMs, input: Input) {
        match input {
            Input::Tick => {}
            Input::WalChanged(id) => {
                if let Some(db) = self.dbs.get_mut(&id) {
                    db.sync_wanted = true;
                }
            }
            Input::Completed { op, result } => {
                if let Some((id, lane)) = self.em.ops.remove(&op) {
                    if let Some(db) = self.dbs.get_mut(&id) {
                        db.on_completion(id, lane, op, result, now, wall, &mut self.em);
                    }
                }
            }
            Input::Shutdown => {
                if !self.shutting_down {
                    self.shutting_down = true;
                    self.em.log(
                        Level::Info,
                        None,
                        "shutting down: final sync of every database",
                    );
                    let ids: Vec<DbId> = self.dbs.keys().copied().collect();
                    for id in ids {
                        self.stop_db(now, wall, id, self.settings.shutdown_sync_timeout);
                    }
                }
            }
        }
        for (id, db) in self.dbs.iter_mut() {
            db.advance(*id, now, wall, &mut self.em);
            if db.waiters.any() {
                let local = db.local_txid();
                db.waiters
                    .settle(*id, now, local, db.replica.pos, &mut self.em);
            }
        }
    }

    /// Ask for a sync of database `id`: a WAL → LTX pass that starts after this call, and
    /// with `wait_replica` the upload of its result. Completion arrives as
    /// `Output::SyncDone { ticket, .. }`. Returns `Err` with the reason when the database
    /// is unknown or not open.
    pub fn request_sync(
        &mut self,
        now: Mono,
        wall: UnixMs,
        id: DbId,
        ticket: u64,
        wait_replica: bool,
        timeout: Option<Duration>,
    ) -> Result<(), SyncRefused> {
        let Some(db) = self.dbs.get_mut(&id) else {
            return Err(SyncRefused::NotFound);
        };
        if !matches!(db.lifecycle, Lifecycle::Open | Lifecycle::Opening) {
            return Err(SyncRefused::NotOpen);
        }
        let after_pass = db.waiters.passes_started;
        db.waiters.add(Waiter {
            ticket,
            before: db.local_txid(),
            after_pass,
            wait_replica,
            deadline: timeout.map(|t| now + t),
            local_done: None,
        });
        db.sync_wanted = true;
        db.advance(id, now, wall, &mut self.em);
        Ok(())
    }

    /// The next output, if any.
    pub fn poll(&mut self) -> Option<Output> {
        self.em.out.pop_front()
    }

    /// When to send the next `Tick` if nothing else happens.
    pub fn poll_timeout(&self) -> Option<Mono> {
        self.dbs
            .values()
            .flat_map(|db| {
                let local = if db.active.is_some() {
                    None
                } else if db.retry_at.is_some() {
                    db.retry_at
                } else if db.lifecycle == Lifecycle::Open {
                    db.next_sync_at
                } else {
                    None
                };
                [local, db.replica.deadline(), db.waiters.deadline()]
            })
            .flatten()
            .min()
    }

    /// True once `Shutdown` was handled and every database is closed.
    pub fn is_finished(&self) -> bool {
        self.shutting_down
            && self
                .dbs
                .values()
                .all(|d| d.lifecycle == Lifecycle::Stopped && d.active.is_none())
    }

    /// A managed database.
    pub fn db(&self, id: DbId) -> Option<&Db> {
        self.dbs.get(&id)
    }

    /// Every managed database, in registration order.
    pub fn dbs(&self) -> impl Iterator<Item = (DbId, &Db)> {
        self.dbs.iter().map(|(k, v)| (*k, v))
    }
}
