//! The blocking side of the drive loop: the resources commands act on (SQLite
//! connections, replica clients, open database files) and the execution of one core
//! command against them. Runs on the blocking thread pool, never on the loop's task.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use litestream_core::io::{
    Command, Completion, DbId, IoFail, IoFailKind, ReplicaCmd, SqliteCmd, SqliteDone,
};

use crate::fs;
use crate::replica::ReplicaClient;
use crate::sqlite::SqliteDb;

/// Blocking resources the commands act on.
#[derive(Default)]
pub struct Resources {
    pub(crate) sqlite: Mutex<BTreeMap<DbId, Arc<Mutex<Option<SqliteDb>>>>>,
    pub(crate) replicas: RwLock<BTreeMap<DbId, Arc<dyn ReplicaClient>>>,
    pub(crate) busy: RwLock<BTreeMap<DbId, Duration>>,
    /// Database files kept open while replicating (see `fs::read_pages`).
    pub(crate) db_files: Mutex<BTreeMap<std::path::PathBuf, Arc<std::fs::File>>>,
    /// Re-armed when a sync pass looks at a WAL (see `watch`).
    pub(crate) watcher: Option<crate::watch::WalWatcher>,
}

impl Resources {
    fn sqlite(&self, id: DbId) -> Arc<Mutex<Option<SqliteDb>>> {
        self.sqlite
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_default()
            .clone()
    }

    /// A handle for reading `path`: database files are opened once and kept; other files
    /// (WALs, which SQLite may recreate) are opened per call.
    fn reader(&self, path: &std::path::Path) -> Result<Arc<std::fs::File>, IoFail> {
        let open = || {
            std::fs::File::open(path)
                .map(Arc::new)
                .map_err(|e| fs::fail(path, "open", &e))
        };
        if path.as_os_str().to_string_lossy().ends_with("-wal") {
            return open();
        }
        let mut files = self.db_files.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = files.get(path) {
            return Ok(f.clone());
        }
        let f = open()?;
        files.insert(path.to_owned(), f.clone());
        Ok(f)
    }

    /// Close the kept descriptor of database `path`, if any. Only while no SQLite
    /// connection of ours is open on it (see `reader`).
    fn forget_reader(&self, path: &std::path::Path) {
        self.db_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(path);
    }

    fn replica(&self, id: DbId) -> Option<Arc<dyn ReplicaClient>> {
        self.replicas
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }
}

fn no_replica(id: DbId) -> litestream_core::io::StoreFail {
    litestream_core::io::StoreFail::Transient(format!(
        "internal error: no replica for database {id:?}"
    ))
}

/// Execute one command (blocking).
pub(crate) fn execute(res: &Resources, cmd: Command) -> Completion {
    match cmd {
        Command::Stat { path } => {
            if let Some(w) = &res.watcher {
                w.arm(&path);
            }
            Completion::Stated(fs::stat(&path))
        }
        Command::ReadAt { path, offset, len } => Completion::Read(fs::read_at(&path, offset, len)),
        Command::ReadWal { path, offset, len } => {
            Completion::Read(fs::read_wal(&path, offset, len))
        }
        Command::ReadPages { reads, len } => {
            Completion::PagesRead(fs::read_pages(&reads, len, &|p| res.reader(p)))
        }
        Command::ListDir { path } => Completion::Listed(fs::list_dir(&path)),
        Command::CreateDirAll { path } => Completion::Done(fs::create_dir_all(&path)),
        Command::WriteAt {
            path,
            offset,
            bytes,
            truncate,
        } => Completion::Done(fs::write_at(&path, offset, &bytes, truncate)),
        Command::CommitFile { tmp, dest } => Completion::Done(fs::commit_file(&tmp, &dest)),
        Command::Remove { path, recursive } => Completion::Done(fs::remove(&path, recursive)),
        Command::Sqlite { db, cmd } => Completion::Sqlite(run_sqlite(res, db, cmd)),
        Command::Replica { db, cmd } => {
            let Some(client) = res.replica(db) else {
                return match cmd {
                    ReplicaCmd::List { .. } => Completion::ObjectsListed(Err(no_replica(db))),
                    _ => Completion::ObjectDone(Err(no_replica(db))),
                };
            };
            match cmd {
                ReplicaCmd::Put { key, source } => {
                    if !source.exists() {
                        let msg = format!("local ltx file {} does not exist", source.display());
                        return Completion::ObjectDone(Err(
                            litestream_core::io::StoreFail::LocalMissing(msg),
                        ));
                    }
                    Completion::ObjectDone(client.put(key, &source))
                }
                ReplicaCmd::List { level } => Completion::ObjectsListed(client.list(level)),
                ReplicaCmd::Get { key, dest } => Completion::ObjectDone(client.get(key, &dest)),
                ReplicaCmd::Delete { keys } => Completion::ObjectDone(client.delete(&keys)),
                ReplicaCmd::Compact {
                    inputs,
                    output,
                    local_l0,
                } => Completion::ObjectDone(crate::compact::compact(
                    client.as_ref(),
                    &inputs,
                    output,
                    &local_l0,
                )),
            }
        }
    }
}

fn run_sqlite(res: &Resources, id: DbId, cmd: SqliteCmd) -> Result<SqliteDone, IoFail> {
    let slot = res.sqlite(id);
    let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
    let busy = res
        .busy
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .copied()
        .unwrap_or(Duration::from_secs(1));
    let not_open = || IoFail {
        kind: IoFailKind::Other,
        message: "database is not open".into(),
    };
    match cmd {
        SqliteCmd::Open { path, busy_timeout } => {
            if let Some(old) = guard.take() {
                old.close();
            }
            // Keep a descriptor on the database open before SQLite takes its locks. A
            // kept one from an earlier open may be of a file the path no longer names
            // (the application replaced the database): open it afresh.
            res.forget_reader(&path);
            let file = res.reader(&path)?;
            crate::sqlite::check_header_of(&file, &path)?;
            let (db, page_size) = SqliteDb::open(&path, busy_timeout)?;
            *guard = Some(db);
            Ok(SqliteDone::Opened { page_size })
        }
        SqliteCmd::BeginWriteBarrier => guard
            .as_mut()
            .ok_or_else(not_open)?
            .begin_write_barrier(busy)
            .map(|()| SqliteDone::Done),
        SqliteCmd::EndWriteBarrier => guard
            .as_mut()
            .ok_or_else(not_open)?
            .end_write_barrier()
            .map(|()| SqliteDone::Done),
        SqliteCmd::Checkpoint(mode) => guard
            .as_mut()
            .ok_or_else(not_open)?
            .checkpoint(mode)
            .map(|busy| SqliteDone::Checkpointed { busy }),
        SqliteCmd::CheckpointBelowRead => guard
            .as_mut()
            .ok_or_else(not_open)?
            .checkpoint_below_read()
            .map(|busy| SqliteDone::Checkpointed { busy }),
        SqliteCmd::BeginNextRead => guard
            .as_mut()
            .ok_or_else(not_open)?
            .begin_next_read(busy)
            .map(|()| SqliteDone::Done),
        SqliteCmd::EndPrevRead => {
            guard.as_mut().ok_or_else(not_open)?.end_prev_read();
            Ok(SqliteDone::Done)
        }
        SqliteCmd::Close => {
            if let Some(db) = guard.take() {
                let path = db.path().to_owned();
                db.close();
                // Only now: closing any descriptor of a file drops this process's POSIX
                // locks on it, SQLite's included.
                res.forget_reader(&path);
            }
            Ok(SqliteDone::Done)
        }
    }
}
