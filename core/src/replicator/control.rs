//! Control requests (the IPC socket's endpoints) handled by the replicator: each request
//! either answers at once or parks until the database work it needs is done. Status codes
//! and messages follow IPC.md, except that an unknown database is a 404 everywhere.

use std::path::PathBuf;
use std::time::Duration;

use super::deferred::{CloseReply, Parked};
use super::Replicator;
use crate::api::{
    self, InfoBody, ListBody, ListEntry, Request, Response, StatusBody, SyncStatusBody,
    SyncStatusEntry, TxidBody,
};
use crate::db::waiters::{Reply, Waiter};
use crate::db::Lifecycle;
use crate::emit::{Lane, Output};
use crate::io::{Command, DbId, ReqId};
use crate::time::{rfc3339, Mono, UnixMs};

/// Default timeout of `/stop` and `/unregister`, and of `/sync` with `wait`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

fn timeout(secs: Option<i64>, default: Duration) -> Duration {
    match secs {
        Some(s) if s > 0 => Duration::from_secs(s.unsigned_abs()),
        _ => default,
    }
}

impl Replicator {
    pub(super) fn respond(&mut self, req: ReqId, response: Response) {
        self.em.out.push_back(Output::Respond { req, response });
    }

    /// Two databases replicating to one place would overwrite each other's LTX files.
    pub(super) fn refuse_shared_replica(&self, location: &str) -> Result<(), Response> {
        match self
            .dbs
            .values()
            .find(|d| !location.is_empty() && d.settings.replica_location == location)
        {
            Some(other) => Err(Response::error(
                409,
                format!(
                    "replica {location} is already used by {}: give each database its own replica path",
                    other.settings.paths.db.display()
                ),
            )),
            None => Ok(()),
        }
    }

    fn lookup(&self, raw: &str) -> Result<(PathBuf, Option<DbId>), Response> {
        let path = api::paths::expand(raw, self.settings.home.as_deref())
            .map_err(|e| Response::error(400, e))?;
        let id = self.by_path.get(&path).copied();
        Ok((path, id))
    }

    pub(super) fn not_found(path: &std::path::Path) -> Response {
        Response::error(404, format!("database not found: {}", path.display()))
    }

    /// Handle one control request.
    pub(crate) fn control(&mut self, now: Mono, wall: UnixMs, req: ReqId, request: Request) {
        match self.control_inner(now, wall, req, request) {
            Ok(Some(resp)) | Err(resp) => self.respond(req, resp),
            Ok(None) => {}
        }
    }

    fn control_inner(
        &mut self,
        now: Mono,
        wall: UnixMs,
        req: ReqId,
        request: Request,
    ) -> Result<Option<Response>, Response> {
        match request {
            Request::List => {
                let databases = self
                    .visible()
                    .map(|(_, db)| ListEntry {
                        path: db.settings.paths.db.display().to_string(),
                        status: match db.lifecycle {
                            Lifecycle::Stopped => "stopped",
                            _ if db.settings.monitor_interval.is_none() => "open",
                            _ => "replicating",
                        },
                        last_sync_at: db.replica.last_sync_at.map(|t| rfc3339(t, 9)),
                    })
                    .collect();
                Ok(Some(Response::json(200, &ListBody { databases })))
            }
            Request::Info => {
                let i = &self.settings;
                Ok(Some(Response::json(
                    200,
                    &InfoBody {
                        version: i.version.clone(),
                        pid: i.pid,
                        uptime_seconds: now.since(i.started_mono).as_secs(),
                        started_at: rfc3339(i.started_at, 9),
                        database_count: self.visible().count(),
                    },
                )))
            }
            Request::Txid { path } => {
                if path.is_empty() {
                    return Err(Response::error(400, "path required"));
                }
                let (_, id) = self.lookup(&path)?;
                // IPC.md: this endpoint's 404 does not repeat the path.
                let db = id
                    .and_then(|id| self.dbs.get(&id))
                    .ok_or_else(|| Response::error(404, "database not found"))?;
                Ok(Some(Response::json(
                    200,
                    &TxidBody {
                        txid: db.local_txid(),
                    },
                )))
            }
            Request::Start { path, .. } => {
                let (path, id) = self.lookup(&path)?;
                let id = id.ok_or_else(|| Self::not_found(&path))?;
                // Starting forgets the last LTX position until the open steps re-read
                // it, but the local files are unchanged: report the position held
                // before starting (the max covers `already_running`).
                let before = self.dbs.get(&id).map_or(0, |d| d.local_txid());
                let started = self.start_db(now, wall, id);
                let txid = self.dbs.get(&id).map_or(0, |d| d.local_txid()).max(before);
                let status = if started {
                    "started"
                } else {
                    "already_running"
                };
                Ok(Some(Response::json(
                    200,
                    &StatusBody {
                        status,
                        path: path.display().to_string(),
                        txid: Some(txid),
                        replicated_txid: None,
                    },
                )))
            }
            Request::Stop { path, timeout: t } => {
                let (path, id) = self.lookup(&path)?;
                let id = id.ok_or_else(|| Self::not_found(&path))?;
                self.close_with_reply(
                    now,
                    wall,
                    id,
                    CloseReply::Stop(req),
                    timeout(t, DEFAULT_TIMEOUT),
                    &path,
                )
            }
            Request::Unregister { path, timeout: t } => {
                let (path, id) = self.lookup(&path)?;
                let Some(id) = id else {
                    let body = StatusBody {
                        status: "already_unregistered",
                        path: path.display().to_string(),
                        txid: Some(0),
                        replicated_txid: None,
                    };
                    return Ok(Some(Response::json(200, &body)));
                };
                self.by_path.remove(&path);
                self.close_with_reply(
                    now,
                    wall,
                    id,
                    CloseReply::Unregister(req),
                    timeout(t, DEFAULT_TIMEOUT),
                    &path,
                )
            }
            Request::Sync {
                path,
                wait,
                timeout: t,
            } => {
                let (path, id) = self.lookup(&path)?;
                let id = id.ok_or_else(|| Self::not_found(&path))?;
                let db = self
                    .dbs
                    .get_mut(&id)
                    .ok_or_else(|| Self::not_found(&path))?;
                if !matches!(db.lifecycle, Lifecycle::Open | Lifecycle::Opening) {
                    return Err(Response::error(
                        409,
                        format!("database not open: {}", path.display()),
                    ));
                }
                let deadline = match (wait, t) {
                    (_, Some(s)) if s > 0 => Some(Duration::from_secs(s.unsigned_abs())),
                    (true, _) => Some(DEFAULT_TIMEOUT),
                    _ => None,
                };
                let w = Waiter {
                    reply: Reply::Control {
                        req,
                        path: path.display().to_string(),
                    },
                    before: db.local_txid(),
                    after_pass: db.waiters.passes_started,
                    wait_replica: wait,
                    deadline: deadline.map(|d| now + d),
                    local_done: None,
                };
                db.waiters.add(w);
                db.sync_wanted = true;
                Ok(None)
            }
            Request::Register { path, replica_url } => {
                if replica_url.is_empty() {
                    return Err(Response::error(400, "replica_url required"));
                }
                let (path, id) = self.lookup(&path)?;
                if id.is_some() {
                    let body = StatusBody {
                        status: "already_registered",
                        path: path.display().to_string(),
                        txid: None,
                        replicated_txid: None,
                    };
                    return Ok(Some(Response::json(200, &body)));
                }
                let location = (self.settings.validate_replica_url)(&replica_url)
                    .map_err(|e| Response::error(400, format!("invalid replica url: {e}")))?;
                self.refuse_shared_replica(&location)?;
                let op = self.em.issue(
                    DbId(0),
                    Lane::Control(req),
                    Command::ReadAt {
                        path: path.clone().into(),
                        offset: 0,
                        len: 16,
                    },
                );
                let _ = op;
                self.parked.insert(
                    req,
                    Parked::Register {
                        path,
                        replica_url,
                        location,
                    },
                );
                Ok(None)
            }
            Request::SyncStatus { path } => {
                let only = match path.as_deref() {
                    Some(p) if !p.is_empty() => {
                        let (_, id) = self.lookup(p)?;
                        Some(id.ok_or_else(|| Response::error(404, "database not found"))?)
                    }
                    _ => None,
                };
                let databases = self
                    .visible()
                    .filter(|(id, _)| only.is_none_or(|o| o == *id))
                    .map(|(_, db)| status_entry(db))
                    .collect();
                Ok(Some(Response::json(200, &SyncStatusBody { databases })))
            }
            Request::Pprof { .. } => Err(Response::error(
                501,
                "profiles are served by the daemon shell, not the core",
            )),
        }
    }
}

fn status_entry(db: &crate::db::Db) -> SyncStatusEntry {
    let txid = db.local_txid();
    SyncStatusEntry {
        path: db.settings.paths.db.display().to_string(),
        active: db.active.is_some(),
        state: match db.lifecycle {
            Lifecycle::Stopped => "stopped",
            Lifecycle::Opening if db.waiting_for_file => "waiting_for_file",
            Lifecycle::Opening => "opening",
            Lifecycle::Open => "replicating",
            Lifecycle::Closing => "closing",
        },
        txid,
        replica_txid: db.replica.pos,
        pending_files: db.replica.pos.map_or(txid, |p| txid.saturating_sub(p)),
        last_synced_wal_offset: db.synced_offset,
        error: db.last_error.clone(),
        replica_error: db.replica.last_error.clone(),
        last_sync_at: db.last_pass_at.map(|t| rfc3339(t, 9)),
        last_replica_sync_at: db.replica.last_sync_at.map(|t| rfc3339(t, 9)),
    }
}
