//! The top-level machine: every managed database, driven by one input at a time.
//!
//! See the crate documentation for the drive-loop contract. The replicator routes each
//! completion to the database lane that issued it, runs timers, and starts and stops
//! databases. It never blocks and never performs IO itself.

mod control;
mod deadlines;
mod deferred;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use deadlines::Deadlines;
pub use deferred::CloseReply;

use crate::api::Request;
use crate::db::waiters::{Reply, Waiter};
use crate::db::{steps_open, Db, DbSettings, Lifecycle, Step};
use crate::emit::{Emitter, Lane, Level, Output};
use crate::io::{Completion, DbId, OpId, ReqId};
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
    /// A control request (answered by `Output::Respond` with the same id).
    Control {
        /// Echoed in the response.
        req: ReqId,
        /// The request.
        request: Request,
    },
}

/// Which databases an input makes the replicator advance.
enum Scope {
    /// None (queries, unknown completions).
    None,
    /// The one the input concerns.
    One(DbId),
    /// Those whose deadline has passed (ticks).
    Due,
    /// All of them (shutdown, control requests that change state).
    All,
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
#[derive(Debug, Clone)]
pub struct ReplicatorSettings {
    /// How long shutdown waits for replicas to receive the final files.
    pub shutdown_sync_timeout: Duration,
    /// Version string reported by `/info`.
    pub version: String,
    /// Process id reported by `/info`.
    pub pid: u32,
    /// Wall time the daemon started.
    pub started_at: UnixMs,
    /// Monotonic time the daemon started.
    pub started_mono: Mono,
    /// Home directory for `~` in control paths.
    pub home: Option<PathBuf>,
    /// Validates a replica URL given to `/register` (pure; the shell builds the client)
    /// and gives its location (see [`crate::db::DbSettings::replica_location`]).
    pub validate_replica_url: fn(&str) -> Result<String, String>,
}

impl Default for ReplicatorSettings {
    fn default() -> Self {
        ReplicatorSettings {
            shutdown_sync_timeout: Duration::from_secs(30),
            version: String::new(),
            pid: 0,
            started_at: UnixMs(0),
            started_mono: Mono(0),
            home: None,
            validate_replica_url: |url| Ok(url.to_string()),
        }
    }
}

/// Every managed database and the outputs waiting for the shell.
#[derive(Debug)]
pub struct Replicator {
    settings: ReplicatorSettings,
    dbs: BTreeMap<DbId, Db>,
    by_path: BTreeMap<PathBuf, DbId>,
    parked: BTreeMap<ReqId, deferred::Parked>,
    next_db: u64,
    em: Emitter,
    shutting_down: bool,
    /// Every database's next deadline, ordered. Kept in step by [`Replicator::reindex`]
    /// after each change to a database.
    deadlines: Deadlines,
}

impl Replicator {
    /// An empty replicator.
    pub fn new(settings: ReplicatorSettings) -> Replicator {
        Replicator {
            settings,
            dbs: BTreeMap::new(),
            by_path: BTreeMap::new(),
            parked: BTreeMap::new(),
            next_db: 0,
            em: Emitter::default(),
            shutting_down: false,
            deadlines: Deadlines::default(),
        }
    }

    /// Register a database and start replicating it.
    pub fn add_db(&mut self, now: Mono, wall: UnixMs, settings: DbSettings) -> DbId {
        let id = self.alloc_id();
        self.insert_db(now, wall, id, settings);
        id
    }

    fn alloc_id(&mut self) -> DbId {
        self.next_db += 1;
        DbId(self.next_db)
    }

    fn insert_db(&mut self, now: Mono, wall: UnixMs, id: DbId, settings: DbSettings) {
        self.by_path.insert(settings.paths.db.to_path_buf(), id);
        self.dbs.insert(id, Db::new(id, settings));
        self.start_db(now, wall, id);
    }

    /// The id of the database at `path` (absolute, cleaned).
    pub fn find(&self, path: &std::path::Path) -> Option<DbId> {
        self.by_path.get(path).copied()
    }

    /// Databases still registered (not being unregistered), in registration order.
    fn visible(&self) -> impl Iterator<Item = (DbId, &Db)> {
        self.dbs
            .iter()
            .filter(|(_, d)| !d.unregistered)
            .map(|(k, v)| (*k, v))
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
        db.last = None;
        db.queue.extend(steps_open());
        db.advance(id, now, wall, &mut self.em);
        self.reindex(id);
        true
    }

    /// Stop a database: final sync, wait for the replica (bounded), close.
    pub fn stop_db(&mut self, now: Mono, wall: UnixMs, id: DbId, timeout: Duration) -> bool {
        let Some(db) = self.dbs.get_mut(&id) else {
            return false;
        };
        match db.lifecycle {
            Lifecycle::Stopped | Lifecycle::Closing => return false,
            // Finish opening, then the final sync: an `-exec` child may write and exit
            // before the first pass, and its commits must still reach the replica. A
            // database still awaited is looked for once more (now, not at the next poll);
            // if it is not there, there is nothing to sync and it just closes.
            Lifecycle::Opening => db.queue.extend([
                Step::Pass { checkpoint: false },
                Step::AwaitReplica,
                Step::Close,
            ]),
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
        self.reindex(id);
        true
    }

    /// Feed one input.
    pub fn handle(&mut self, now: Mono, wall: UnixMs, input: Input) {
        // Only the databases an input concerns are advanced: with thousands of databases a
        // sweep over all of them per input would dominate the daemon's CPU.
        // Queries change no database.
        let query = matches!(
            &input,
            Input::Control {
                request: Request::List
                    | Request::Info
                    | Request::Txid { .. }
                    | Request::SyncStatus { .. }
                    | Request::Pprof { .. },
                ..
            }
        );
        let scope = match input {
            Input::Tick => Scope::Due,
            Input::WalChanged(id) => {
                if let Some(db) = self.dbs.get_mut(&id) {
                    db.sync_wanted = true;
                }
                Scope::One(id)
            }
            Input::Completed { op, result } => match self.em.ops.remove(&op) {
                Some((_, Lane::Control(req))) => {
                    // Registration and removal complete here: any database may change.
                    self.control_completed(now, wall, req, result);
                    self.reindex_all();
                    Scope::None
                }
                Some((id, lane)) => {
                    if let Some(db) = self.dbs.get_mut(&id) {
                        db.on_completion(id, lane, op, result, now, wall, &mut self.em);
                    }
                    Scope::One(id)
                }
                None => Scope::None,
            },
            Input::Control { req, request } => {
                self.control(now, wall, req, request);
                if query {
                    Scope::None
                } else {
                    Scope::All
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
                Scope::All
            }
        };
        let all = matches!(scope, Scope::All);
        let ids: Vec<DbId> = match scope {
            Scope::None => return,
            Scope::One(id) => vec![id],
            Scope::All => self.dbs.keys().copied().collect(),
            Scope::Due => self.deadlines.due(now).collect(),
        };
        let mut closed = Vec::new();
        let ids_advanced = ids.clone();
        for id in ids {
            let Some(db) = self.dbs.get_mut(&id) else {
                continue;
            };
            db.advance(id, now, wall, &mut self.em);
            if db.waiters.any() {
                let local = db.local_txid();
                db.waiters
                    .settle(id, now, local, db.replica.pos, &mut self.em);
            }
            if std::mem::take(&mut db.just_closed) {
                closed.push(id);
            }
        }
        for id in closed {
            self.closed(id);
        }
        if all {
            self.reindex_all();
        } else {
            for id in ids_advanced {
                self.reindex(id);
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
            reply: Reply::Ticket(ticket),
            before: db.local_txid(),
            after_pass,
            wait_replica,
            deadline: timeout.map(|t| now + t),
            local_done: None,
        });
        db.sync_wanted = true;
        db.advance(id, now, wall, &mut self.em);
        self.reindex(id);
        Ok(())
    }

    /// The next output, if any.
    pub fn poll(&mut self) -> Option<Output> {
        self.em.out.pop_front()
    }

    /// When to send the next `Tick` if nothing else happens.
    pub fn poll_timeout(&self) -> Option<Mono> {
        self.deadlines.earliest()
    }

    /// Write a snapshot of database `id` now; answered with `Output::SyncDone { ticket }`.
    pub fn force_snapshot(
        &mut self,
        now: Mono,
        wall: UnixMs,
        id: DbId,
        ticket: u64,
    ) -> Result<(), SyncRefused> {
        let db = self.dbs.get_mut(&id).ok_or(SyncRefused::NotFound)?;
        if db.lifecycle != Lifecycle::Open {
            return Err(SyncRefused::NotOpen);
        }
        db.maintenance.force_snapshot(ticket);
        db.advance(id, now, wall, &mut self.em);
        self.reindex(id);
        Ok(())
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
