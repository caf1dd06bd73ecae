//! Control requests answered once database work is done: `/register` parks until the
//! header check of the file completes, `/stop` and `/unregister` wait until the database
//! has closed.

use std::path::PathBuf;
use std::time::Duration;

use super::Replicator;
use crate::api::{Response, StatusBody};
use crate::db::{DbSettings, Lifecycle};
use crate::emit::Output;
use crate::io::{Completion, DbId, ReqId};
use crate::time::{Mono, UnixMs};

/// A control request waiting for work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parked {
    /// `/register`: the header check of the file is running.
    Register {
        path: PathBuf,
        replica_url: String,
        location: String,
    },
}

/// What a stopping database owes its callers once closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReply {
    /// `/stop` answers `stopped`.
    Stop(ReqId),
    /// `/unregister` answers `unregistered` and the database is forgotten.
    Unregister(ReqId),
}

impl Replicator {
    pub(super) fn close_with_reply(
        &mut self,
        now: Mono,
        wall: UnixMs,
        id: DbId,
        reply: CloseReply,
        t: Duration,
        path: &std::path::Path,
    ) -> Result<Option<Response>, Response> {
        let db = self.dbs.get_mut(&id).ok_or_else(|| Self::not_found(path))?;
        if let CloseReply::Unregister(_) = reply {
            db.unregistered = true;
        }
        match db.lifecycle {
            Lifecycle::Stopped => {
                let txid = db.local_txid();
                if let CloseReply::Unregister(_) = reply {
                    self.dbs.remove(&id);
                    let body = StatusBody {
                        status: "unregistered",
                        path: path.display().to_string(),
                        txid: Some(txid),
                        replicated_txid: None,
                    };
                    return Ok(Some(Response::json(200, &body)));
                }
                let body = StatusBody {
                    status: "already_stopped",
                    path: path.display().to_string(),
                    txid: Some(txid),
                    replicated_txid: None,
                };
                Ok(Some(Response::json(200, &body)))
            }
            _ => {
                db.close_replies.push(reply);
                self.stop_db(now, wall, id, t);
                Ok(None)
            }
        }
    }

    /// A database finished closing: answer `/stop` and `/unregister` callers.
    pub(crate) fn closed(&mut self, id: DbId) {
        let Some(db) = self.dbs.get_mut(&id) else {
            return;
        };
        let replies = std::mem::take(&mut db.close_replies);
        let txid = db.local_txid();
        let path = db.settings.paths.db.display().to_string();
        let forget = db.unregistered;
        for r in replies {
            let (req, status) = match r {
                CloseReply::Stop(req) => (req, "stopped"),
                CloseReply::Unregister(req) => (req, "unregistered"),
            };
            let body = StatusBody {
                status,
                path: path.clone(),
                txid: Some(txid),
                replicated_txid: None,
            };
            self.respond(req, Response::json(200, &body));
        }
        if forget {
            self.dbs.remove(&id);
            self.em.out.push_back(Output::DetachReplica { db: id });
        }
    }

    /// Completion of a control operation (the `/register` header check).
    pub(crate) fn control_completed(
        &mut self,
        now: Mono,
        wall: UnixMs,
        req: ReqId,
        result: Completion,
    ) {
        let Some(Parked::Register {
            path,
            replica_url,
            location,
        }) = self.parked.remove(&req)
        else {
            return;
        };
        let header = match result {
            Completion::Read(Ok(bytes)) => bytes,
            Completion::Read(Err(e)) => {
                return self.respond(
                    req,
                    Response::error(500, format!("failed to register database: {}", e.message)),
                );
            }
            _ => {
                return self.respond(
                    req,
                    Response::error(500, "failed to register database: internal error"),
                )
            }
        };
        if !header.is_empty() && header.as_slice() != b"SQLite format 3\0" {
            let msg = format!(
                "{} is not a SQLite database (bad header): register the database file itself",
                path.display()
            );
            return self.respond(req, Response::error(400, msg));
        }
        if self.by_path.contains_key(&path) {
            let body = StatusBody {
                status: "already_registered",
                path: path.display().to_string(),
                txid: None,
                replicated_txid: None,
            };
            return self.respond(req, Response::json(200, &body));
        }
        if let Err(r) = self.refuse_shared_replica(&location) {
            return self.respond(req, r);
        }
        let id = self.alloc_id();
        self.em.out.push_back(Output::AttachReplica {
            db: id,
            path: path.clone().into(),
            url: replica_url,
        });
        let mut settings = DbSettings::with_defaults(path.clone());
        settings.replica_location = location;
        self.insert_db(now, wall, id, settings);
        let body = StatusBody {
            status: "registered",
            path: path.display().to_string(),
            txid: None,
            replicated_txid: None,
        };
        self.respond(req, Response::json(200, &body));
    }
}
