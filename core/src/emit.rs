//! What the core hands to its shell: commands with operation ids, and log events.

use std::collections::{BTreeMap, VecDeque};

use crate::io::{Command, DbId, OpId, SharedPath};

/// Which lane of a database issued an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Local work: opening, sync passes, checkpoints.
    Local,
    /// Replica uploads.
    Replica,
    /// Compaction, snapshots and retention.
    Maintenance,
    /// A control request's own operation (e.g. the `/register` header check).
    Control(crate::io::ReqId),
}

/// Log severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Detail for debugging.
    Debug,
    /// Normal operation.
    Info,
    /// Something unusual that the daemon handles.
    Warn,
    /// Something failed.
    Error,
}

/// A log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// Severity.
    pub level: Level,
    /// Database it concerns, if any.
    pub db: Option<SharedPath>,
    /// Message.
    pub message: String,
}

/// One output of the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Execute a command and answer with `Input::Completed { op, .. }`.
    Execute {
        /// Echo this id in the completion.
        op: OpId,
        /// What to do.
        cmd: Command,
    },
    /// Write a log line.
    Log(Log),
    /// Answer a control request.
    Respond {
        /// The request.
        req: crate::io::ReqId,
        /// The answer.
        response: crate::api::Response,
    },
    /// Build the replica client of a database registered at run time, before executing
    /// any of its commands.
    AttachReplica {
        /// The new database.
        db: DbId,
        /// Its path.
        path: SharedPath,
        /// Replica URL (already validated by the core).
        url: String,
    },
    /// Drop the replica client of a database that was unregistered.
    DetachReplica {
        /// The database.
        db: DbId,
    },
    /// A sync requested with `Replicator::request_sync` finished (or failed).
    SyncDone {
        /// The request's ticket.
        ticket: u64,
        /// The database.
        db: DbId,
        /// Positions, or an error message.
        result: Result<SyncReport, String>,
    },
}

/// Positions reported when a requested sync completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    /// Local TXID when the request arrived.
    pub before: u64,
    /// Local TXID now.
    pub after: u64,
    /// TXID the replica is known to hold (0 if unknown).
    pub replicated: u64,
}

/// Collects outputs and remembers which database lane issued each operation.
#[derive(Debug, Default)]
pub struct Emitter {
    next_op: u64,
    pub(crate) out: VecDeque<Output>,
    pub(crate) ops: BTreeMap<OpId, (DbId, Lane)>,
}

impl Emitter {
    /// Queue `cmd` for database `db`'s `lane`; returns its id.
    pub fn issue(&mut self, db: DbId, lane: Lane, cmd: Command) -> OpId {
        self.next_op += 1;
        let op = OpId(self.next_op);
        self.ops.insert(op, (db, lane));
        self.out.push_back(Output::Execute { op, cmd });
        op
    }

    /// Queue a log event.
    pub fn log(&mut self, level: Level, db: Option<&SharedPath>, message: impl Into<String>) {
        self.out.push_back(Output::Log(Log {
            level,
            db: db.cloned(),
            message: message.into(),
        }));
    }
}
