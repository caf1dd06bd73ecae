//! Callers waiting for a database to sync: `/sync`, `replicate -once`, tests.
//!
//! A waiter first needs one sync pass that *started after* its request to finish at the
//! WAL's end (everything committed before the request is then in a local LTX file); with
//! `wait_replica` it then needs the replica to hold that TXID. Waiters on one database
//! coalesce naturally: one pass and one upload satisfy all of them, and each gets the
//! truthful positions at the moment it completes.

use crate::api::{Response, StatusBody};
use crate::emit::{Emitter, Output, SyncReport};
use crate::io::DbId;
use crate::io::ReqId;
use crate::time::Mono;

/// One caller waiting for a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiter {
    /// Who gets the answer.
    pub reply: Reply,
    /// Local TXID when the request arrived.
    pub before: u64,
    /// Passes must have started after this count.
    pub after_pass: u64,
    /// Also wait for the replica.
    pub wait_replica: bool,
    /// Give up at this time.
    pub deadline: Option<Mono>,
    /// Set once the local pass is done: the TXID the replica must reach.
    pub local_done: Option<u64>,
}

/// Where a waiter's answer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// [`Output::SyncDone`] with this ticket (shell callers such as `replicate -once`).
    Ticket(u64),
    /// An HTTP response to the control request (`/sync`).
    Control {
        /// The request.
        req: ReqId,
        /// Database path as echoed in the response.
        path: String,
    },
}

/// The waiters of one database and the pass counters they key on.
#[derive(Debug, Default)]
pub struct Waiters {
    list: Vec<Waiter>,
    /// Passes started so far.
    pub passes_started: u64,
    /// Passes finished successfully at the WAL's end, by start number.
    pub last_full_pass: u64,
}

impl Waiters {
    /// Add a waiter.
    pub fn add(&mut self, w: Waiter) {
        self.list.push(w);
    }

    /// True when someone waits.
    pub fn any(&self) -> bool {
        !self.list.is_empty()
    }

    /// Earliest deadline.
    pub fn deadline(&self) -> Option<Mono> {
        self.list.iter().filter_map(|w| w.deadline).min()
    }

    /// Complete whatever can be completed.
    pub fn settle(
        &mut self,
        db: DbId,
        now: Mono,
        local: u64,
        replica: Option<u64>,
        em: &mut Emitter,
    ) {
        let full = self.last_full_pass;
        let mut keep = Vec::new();
        for mut w in std::mem::take(&mut self.list) {
            if w.local_done.is_none() && full > w.after_pass {
                w.local_done = Some(local);
            }
            let done = match w.local_done {
                Some(t) => !w.wait_replica || replica.is_some_and(|r| r >= t),
                None => false,
            };
            if done {
                answer(em, db, &w, Ok(report(&w, local, replica)));
            } else if w.deadline.is_some_and(|d| now >= d) {
                let what = if w.local_done.is_some() {
                    "replica sync"
                } else {
                    "db sync"
                };
                let msg = format!("sync database: {what}: the sync did not complete within the timeout and keeps running (context deadline exceeded)");
                answer(em, db, &w, Err(msg));
            } else {
                keep.push(w);
            }
        }
        self.list = keep;
    }

    /// Local state was reset (TXIDs renumbered): everyone waits for a new full pass.
    pub fn restart(&mut self) {
        for w in &mut self.list {
            w.local_done = None;
            w.after_pass = self.passes_started;
        }
    }

    /// Fail every waiter still waiting for a local pass (a pass failed).
    pub fn fail_local(&mut self, db: DbId, msg: &str, em: &mut Emitter) {
        self.list.retain(|w| {
            if w.local_done.is_some() {
                return true;
            }
            answer(em, db, w, Err(format!("sync database: db sync: {msg}")));
            false
        });
    }

    /// Fail every waiter whose local pass is done and who waits for the replica: an
    /// upload failed (as Litestream's `/sync` with `wait` does; the caller may retry).
    pub fn fail_replica(&mut self, db: DbId, msg: &str, em: &mut Emitter) {
        self.list.retain(|w| {
            if !w.wait_replica || w.local_done.is_none() {
                return true;
            }
            answer(em, db, w, Err(format!("sync replica: {msg}")));
            false
        });
    }

    /// Fail every waiter (database stopped or removed).
    pub fn fail_all(&mut self, db: DbId, msg: &str, em: &mut Emitter) {
        for w in std::mem::take(&mut self.list) {
            answer(em, db, &w, Err(msg.to_string()));
        }
    }
}

fn answer(em: &mut Emitter, db: DbId, w: &Waiter, result: Result<SyncReport, String>) {
    match &w.reply {
        Reply::Ticket(ticket) => em.out.push_back(Output::SyncDone {
            ticket: *ticket,
            db,
            result,
        }),
        Reply::Control { req, path } => {
            let response = match result {
                Ok(r) => {
                    let status = match (r.after > r.before, w.wait_replica) {
                        (false, _) => "no_change",
                        (true, true) => "synced",
                        (true, false) => "synced_local",
                    };
                    Response::json(
                        200,
                        &StatusBody {
                            status,
                            path: path.clone(),
                            txid: Some(r.after),
                            replicated_txid: Some(r.replicated),
                        },
                    )
                }
                Err(e) => Response::error(500, e),
            };
            em.out.push_back(Output::Respond {
                req: *req,
                response,
            });
        }
    }
}

fn report(w: &Waiter, local: u64, replica: Option<u64>) -> SyncReport {
    SyncReport {
        before: w.before,
        after: local,
        replicated: replica.unwrap_or(0),
    }
}
