//! The daemon's own SQLite connections to one database (rusqlite, bundled SQLite): the
//! long-lived read transaction that pins the WAL, the write barrier, and checkpoints.
//!
//! SQLite must be 3.51.3 or newer: older versions have a WAL-reset corruption bug that a
//! daemon running beside an application triggers. `litestream version -verbose` prints it.

use std::path::Path;
use std::time::Duration;

use litestream_core::io::{CheckpointMode, IoFail, IoFailKind};
use rusqlite::{Connection, OpenFlags};

/// Longest wait for the write lock when opening the write barrier. A busy application
/// takes the lock back between its transactions faster than SQLite's sleeping busy
/// handler notices it is free, so a long wait mostly stalls replication (no pass runs
/// while the barrier is pending): give up soon and let the core retry after a pass.
const BARRIER_WAIT: Duration = Duration::from_millis(5);
/// Pause between attempts to open the write barrier.
const BARRIER_RETRY: Duration = Duration::from_micros(50);

/// The write that makes SQLite restart a fully checkpointed WAL.
const BUMP_SEQ: &str =
    "INSERT INTO _litestream_seq (id, seq) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET seq = seq + 1";

/// Connections held for one replicated database.
pub struct SqliteDb {
    /// Writes (`_litestream_seq`) and checkpoints.
    conn: Connection,
    /// Holds the long-lived read transaction.
    reader: Connection,
    /// The read transaction that replaces `reader` (between `BeginNextRead` and
    /// `EndPrevRead`).
    next_reader: Option<Connection>,
    /// A connection kept for the next `BeginNextRead`.
    spare: Option<Connection>,
    /// Holds the write barrier while a PASSIVE checkpoint runs.
    barrier: Option<Connection>,
    path: std::path::PathBuf,
    /// The database file, `flock`ed for as long as we replicate it (see [`claim`]).
    _claim: std::fs::File,
}

/// Take the database file's `flock` (independent of SQLite's `fcntl` locks, which the
/// application shares): a second litestream process on the same database would write
/// the same meta directory and replica and overwrite each other's LTX files. The kernel
/// drops the lock when the process dies, `kill -9` included.
pub fn claim(path: &Path) -> Result<std::fs::File, IoFail> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path).map_err(|e| IoFail {
        kind: IoFailKind::Other,
        message: format!("open {}: {e}", path.display()),
    })?;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = std::io::Error::last_os_error();
        let message = if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            format!(
                "{} is already replicated by another litestream process: stop that one first (two would overwrite each other's replica files)",
                path.display()
            )
        } else {
            format!("lock {}: {e}", path.display())
        };
        return Err(IoFail {
            kind: IoFailKind::Other,
            message,
        });
    }
    Ok(f)
}

fn sql_fail(path: &Path, what: &str, e: &rusqlite::Error) -> IoFail {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    IoFail {
        kind: if busy {
            IoFailKind::Busy
        } else {
            IoFailKind::Other
        },
        message: format!("{what} {}: {e}", path.display()),
    }
}

fn connect(path: &Path, busy: Duration) -> Result<Connection, IoFail> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| sql_fail(path, "open", &e))?;
    conn.busy_timeout(busy)
        .map_err(|e| sql_fail(path, "set busy timeout on", &e))?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(|e| sql_fail(path, "disable autocheckpoint on", &e))?;
    // Our only commits are `_litestream_seq` bumps, whose durability does not matter:
    // no WAL fsync per commit. Checkpoints still sync the WAL and the database (as they
    // do at NORMAL), so the application's data is as safe as with its own checkpoints.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| sql_fail(path, "set synchronous on", &e))?;
    // Closing the last connection must not checkpoint and reset the WAL: the next start
    // then continues incrementally instead of writing a full snapshot.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )
    .map_err(|e| sql_fail(path, "disable checkpoint on close on", &e))?;
    persist_wal(&conn);
    Ok(conn)
}

/// SQLite must not delete the WAL when our connections close: the next daemon start
/// needs it to continue where this one stopped.
fn persist_wal(conn: &Connection) {
    let mut on: std::os::raw::c_int = 1;
    // SAFETY: the handle is valid for the connection's lifetime, "main" is a valid
    // NUL-terminated schema name, and PERSIST_WAL takes a pointer to an int.
    unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&mut on as *mut std::os::raw::c_int).cast(),
        );
    }
}

impl SqliteDb {
    /// Open the database for replication; returns the connections and the page size.
    pub fn open(path: &Path, busy: Duration) -> Result<(SqliteDb, u32), IoFail> {
        let claimed = claim(path)?;
        let conn = connect(path, busy)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = wal", [], |r| r.get(0))
            .map_err(|e| sql_fail(path, "enable WAL mode on", &e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(IoFail {
                kind: IoFailKind::Other,
                message: format!("{}: journal_mode is {mode}, not wal: litestream replicates WAL-mode databases only; run `PRAGMA journal_mode=wal`", path.display()),
            });
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER);
             CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER);",
        )
        .map_err(|e| sql_fail(path, "create litestream tables in", &e))?;
        let page_size: u32 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(|e| sql_fail(path, "read page size of", &e))?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        let db = SqliteDb {
            reader: connect(path, busy)?,
            next_reader: None,
            spare: None,
            conn,
            barrier: None,
            path: path.to_owned(),
            _claim: claimed,
        };
        if wal_len < 32 {
            db.bump_seq()?;
        }
        db.begin_read()?;
        Ok((db, page_size))
    }

    fn bump_seq(&self) -> Result<(), IoFail> {
        self.conn
            .execute(BUMP_SEQ, [])
            .map(|_| ())
            .map_err(|e| sql_fail(&self.path, "write _litestream_seq in", &e))
    }

    fn begin_read(&self) -> Result<(), IoFail> {
        begin_read_on(&self.reader, &self.path)
    }

    fn end_read(&mut self) {
        let _ = self.reader.execute_batch("ROLLBACK");
        if let Some(next) = self.next_reader.take() {
            let _ = next.execute_batch("ROLLBACK");
            self.spare = Some(next);
        }
    }

    /// Start the read transaction that will replace the current one. The current one
    /// stays held, so no checkpoint can restart the WAL in between.
    ///
    /// Why move it at all: right after our own checkpoint the read transaction starts on
    /// a fully backfilled WAL, where SQLite gives it the "database file only" mark. That
    /// mark lets the application restart the WAL, but then forbids every later
    /// checkpoint from copying anything, and the application's autocheckpoint retries at
    /// each commit, each time sorting the whole WAL index for nothing. A read
    /// transaction started once the new WAL has frames holds a frame mark instead: the
    /// application's checkpoints copy up to it and then cost almost nothing.
    pub fn begin_next_read(&mut self, busy: Duration) -> Result<(), IoFail> {
        let c = match (self.next_reader.take(), self.spare.take()) {
            (Some(c), _) | (None, Some(c)) => {
                let _ = c.execute_batch("ROLLBACK");
                c
            }
            (None, None) => connect(&self.path, busy)?,
        };
        let r = begin_read_on(&c, &self.path);
        if r.is_ok() {
            self.next_reader = Some(c);
        } else {
            self.spare = Some(c);
        }
        r
    }

    /// End the older read transaction; the next one takes its place.
    pub fn end_prev_read(&mut self) {
        if let Some(next) = self.next_reader.take() {
            let old = std::mem::replace(&mut self.reader, next);
            let _ = old.execute_batch("ROLLBACK");
            self.spare = Some(old);
        }
    }

    /// Block writers until [`SqliteDb::end_write_barrier`].
    pub fn begin_write_barrier(&mut self, busy: Duration) -> Result<(), IoFail> {
        self.presync_wal();
        let c = match self.barrier.take() {
            Some(c) => c,
            // No SQLite busy handler: it sleeps whole milliseconds between attempts,
            // and a busy writer never leaves the lock free that long. Retry here.
            None => connect(&self.path, Duration::ZERO)?,
        };
        let deadline = std::time::Instant::now() + busy.min(BARRIER_WAIT);
        let r = loop {
            let r = c
                .execute_batch("BEGIN IMMEDIATE; INSERT INTO _litestream_lock (id) VALUES (1);")
                .map_err(|e| sql_fail(&self.path, "begin write barrier on", &e));
            if r.is_ok() {
                break r;
            }
            let _ = c.execute_batch("ROLLBACK");
            if r.as_ref().is_err_and(|e| e.kind != IoFailKind::Busy)
                || std::time::Instant::now() >= deadline
            {
                break r;
            }
            std::thread::sleep(BARRIER_RETRY);
        };
        self.barrier = Some(c);
        r
    }

    /// Flush the WAL to disk before the barrier blocks the application. The checkpoint
    /// run under the barrier syncs the WAL before it copies pages; with the bulk already
    /// on disk that sync is short, and so is the time the application waits. Best effort:
    /// on failure the checkpoint's own sync does the work.
    fn presync_wal(&self) {
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        if let Ok(f) = std::fs::File::open(&wal) {
            let _ = f.sync_data();
        }
    }

    /// Release the write barrier and force a WAL write (restarts the WAL after a
    /// complete checkpoint). The write goes through the barrier's connection, which
    /// waits only briefly: if the application takes the lock first, its own write
    /// restarts the WAL just the same.
    pub fn end_write_barrier(&mut self) -> Result<(), IoFail> {
        let Some(c) = &self.barrier else {
            return self.bump_seq();
        };
        let _ = c.execute_batch("ROLLBACK");
        // Retried briefly when the application got the lock first: once our write is in,
        // the WAL has certainly restarted (by it or by us), and the read transaction the
        // core moves next lands on the new generation.
        let deadline = std::time::Instant::now() + BARRIER_WAIT;
        loop {
            match c.execute(BUMP_SEQ, []) {
                Ok(_) => return Ok(()),
                Err(e) if sql_fail(&self.path, "", &e).kind == IoFailKind::Busy => {
                    if std::time::Instant::now() >= deadline {
                        return Ok(());
                    }
                    std::thread::sleep(BARRIER_RETRY);
                }
                Err(e) => return Err(sql_fail(&self.path, "write _litestream_seq in", &e)),
            }
        }
    }

    fn barrier_held(&self) -> bool {
        self.barrier.as_ref().is_some_and(|c| !c.is_autocommit())
    }

    /// Release the read transaction, checkpoint, take the read transaction again.
    /// Returns whether SQLite reported the checkpoint as blocked.
    pub fn checkpoint(&mut self, mode: CheckpointMode) -> Result<bool, IoFail> {
        self.end_read();
        let sql = format!("PRAGMA wal_checkpoint({})", mode.as_str());
        let deadline = std::time::Instant::now() + BARRIER_WAIT;
        let mut r = self.conn.query_row(&sql, [], |row| row.get::<_, i64>(0));
        // Under the write barrier a PASSIVE checkpoint is busy only while the
        // application's own autocheckpoint, begun before the barrier, still runs: it
        // cannot start another, so wait for it rather than lose this cycle.
        while mode == CheckpointMode::Passive
            && matches!(r, Ok(1))
            && self.barrier_held()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(BARRIER_RETRY);
            r = self.conn.query_row(&sql, [], |row| row.get::<_, i64>(0));
        }
        let again = self.begin_read();
        let busy =
            r.map_err(|e| sql_fail(&self.path, &format!("checkpoint {} of", mode.as_str()), &e))?;
        again?;
        Ok(busy != 0)
    }

    /// PASSIVE checkpoint with the read transaction kept: SQLite copies the frames below
    /// its mark only, and the WAL cannot restart under it. Returns whether SQLite
    /// reported the checkpoint as blocked.
    pub fn checkpoint_below_read(&mut self) -> Result<bool, IoFail> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|busy| busy != 0)
            .map_err(|e| sql_fail(&self.path, "checkpoint PASSIVE of", &e))
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Release everything.
    pub fn close(mut self) {
        self.end_read();
        if let Some(c) = &self.barrier {
            let _ = c.execute_batch("ROLLBACK");
        }
    }
}

fn begin_read_on(c: &Connection, path: &Path) -> Result<(), IoFail> {
    c.execute_batch("BEGIN; SELECT COUNT(1) FROM _litestream_seq;")
        .map_err(|e| sql_fail(path, "start read transaction on", &e))
}

/// Refuse files that are not SQLite databases before SQLite touches them.
pub fn check_header(path: &Path) -> Result<(), IoFail> {
    let f = std::fs::File::open(path).map_err(|e| crate::fs::fail(path, "open", &e))?;
    check_header_of(&f, path)
}

/// [`check_header`] on an open descriptor (which the caller keeps open).
pub fn check_header_of(f: &std::fs::File, path: &Path) -> Result<(), IoFail> {
    use std::os::unix::fs::FileExt;
    let mut head = [0u8; 16];
    let n = f
        .read_at(&mut head, 0)
        .map_err(|e| crate::fs::fail(path, "read", &e))?;
    if n == 0 {
        return Ok(()); // an empty file becomes a database on first write
    }
    if n < 16 || &head != b"SQLite format 3\0" {
        return Err(IoFail {
            kind: IoFailKind::Other,
            message: format!(
                "{} is not a SQLite database (bad header); point litestream at the database file",
                path.display()
            ),
        });
    }
    Ok(())
}

/// The bundled SQLite library version.
pub fn sqlite_version() -> &'static str {
    rusqlite::version()
}
