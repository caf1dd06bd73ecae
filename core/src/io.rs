//! The core's IO vocabulary: the commands it emits (`Output`) and the completions it
//! receives back (`Input`). Shells execute commands literally and make no decisions.
//!
//! Every command that expects an answer carries an [`OpId`]; the shell answers with
//! [`Input::Completed`] echoing that id. Commands for one database are issued one at a
//! time; commands for different databases (and a database's replica) may run at once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::time::UnixMs;

/// Identifies one issued operation; echoed back in its completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub u64);

/// Identifies a managed database for the lifetime of the process (never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DbId(pub u64);

/// Identifies a control request so its response can be routed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReqId(pub u64);

/// A shared, cheaply cloned path.
pub type SharedPath = Arc<std::path::Path>;

/// One read of a page-sized block from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRead {
    /// File to read (the WAL or the database file).
    pub path: SharedPath,
    /// Byte offset of the first byte.
    pub offset: u64,
}

/// SQLite operations the shell performs on its own connections to a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteCmd {
    /// Open the database (WAL mode, `PERSIST_WAL`, autocheckpoint off, busy timeout),
    /// create `_litestream_seq`/`_litestream_lock`, start the long-lived read transaction,
    /// and make sure the WAL has a header. Answers [`SqliteDone::Opened`].
    Open {
        /// Database file.
        path: SharedPath,
        /// SQLite busy timeout.
        busy_timeout: Duration,
    },
    /// `BEGIN; INSERT INTO _litestream_lock` on a dedicated connection: blocks writers
    /// until [`SqliteCmd::EndWriteBarrier`].
    BeginWriteBarrier,
    /// Roll the write barrier back and bump `_litestream_seq` (forces a WAL write, which
    /// restarts the WAL after a complete checkpoint). A bump that keeps finding the
    /// database busy is given up: the application's own write restarts the WAL then.
    EndWriteBarrier,
    /// Release the read transaction, run `PRAGMA wal_checkpoint(MODE)`, take the read
    /// transaction again. Answers [`SqliteDone::Checkpointed`].
    Checkpoint(CheckpointMode),
    /// `PRAGMA wal_checkpoint(PASSIVE)` on the write connection while the read transaction
    /// stays held: copies the frames below our read mark into the database without
    /// blocking the application, so the checkpoint under the write barrier that follows
    /// has little left to copy. Answers [`SqliteDone::Checkpointed`].
    CheckpointBelowRead,
    /// Start a second read transaction while the first is still held (first half of
    /// moving the read transaction forward without ever releasing the WAL).
    BeginNextRead,
    /// End the older read transaction; the one from [`SqliteCmd::BeginNextRead`] takes
    /// its place. Nothing to do without one.
    EndPrevRead,
    /// Release the read transaction and close every connection.
    Close,
}

/// SQLite checkpoint modes used by the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckpointMode {
    /// Copy what it can without blocking writers.
    Passive,
    /// Copy everything, then truncate the WAL to zero bytes.
    Truncate,
    /// Copy everything and make the next writer restart the WAL.
    Restart,
}

impl CheckpointMode {
    /// The SQL keyword (`PASSIVE`, `TRUNCATE`, `RESTART`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointMode::Passive => "PASSIVE",
            CheckpointMode::Truncate => "TRUNCATE",
            CheckpointMode::Restart => "RESTART",
        }
    }
}

/// What a successful SQLite command reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteDone {
    /// The database is open; its page size.
    Opened {
        /// `PRAGMA page_size`.
        page_size: u32,
    },
    /// A checkpoint ran: `busy` is SQLite's first result column (1 = could not finish).
    Checkpointed {
        /// 1 when the checkpoint could not complete (SQLITE_BUSY).
        busy: bool,
    },
    /// Any other command completed.
    Done,
}

/// Object key in a replica: level and TXID range (the backend maps it to a path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// Compaction level (0 = raw sync files, 9 = snapshots).
    pub level: u8,
    /// First TXID covered.
    pub min_txid: u64,
    /// Last TXID covered.
    pub max_txid: u64,
}

/// One object found by a replica listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Where it is.
    pub key: ObjectKey,
    /// Size in bytes.
    pub size: u64,
    /// Creation time (file mtime / S3 LastModified).
    pub created: UnixMs,
}

/// Replica operations, executed by the shell's backend for that database's replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicaCmd {
    /// Upload a local LTX file as the object `key` (the backend takes the file time /
    /// object metadata from the LTX header timestamp).
    Put {
        /// Destination.
        key: ObjectKey,
        /// Local file to stream from.
        source: PathBuf,
    },
    /// List every object of one level, sorted by (min, max).
    List {
        /// Level to list.
        level: u8,
    },
    /// Download an object into a local file atomically (tmp, fsync, rename).
    Get {
        /// Object to fetch.
        key: ObjectKey,
        /// Local destination.
        dest: PathBuf,
    },
    /// Merge `inputs` (oldest first, read from the replica, or for level 0 from
    /// `local_l0` when the file is still there) with the LTX compactor and upload the
    /// result as `output`.
    Compact {
        /// Files to merge.
        inputs: Vec<ObjectKey>,
        /// Destination.
        output: ObjectKey,
        /// The database's local L0 directory.
        local_l0: PathBuf,
    },
    /// Delete objects.
    Delete {
        /// Objects to delete.
        keys: Vec<ObjectKey>,
    },
}

/// A command from the core to its shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Size and modification time of a file; `None` if it does not exist.
    Stat {
        /// File to stat.
        path: SharedPath,
    },
    /// Read up to `len` bytes at `offset` (fewer at end of file).
    ReadAt {
        /// File to read.
        path: SharedPath,
        /// First byte.
        offset: u64,
        /// Maximum bytes.
        len: u32,
    },
    /// [`Command::ReadAt`] of the database's WAL, and a hint that the bytes read will be
    /// synced soon: the shell starts their writeback at once (`sync_file_range`). The
    /// application never syncs its WAL between checkpoints (`synchronous=NORMAL`), so
    /// otherwise the checkpoint's fsync writes a whole cycle's WAL while the filesystem
    /// journal holds the application's next writes back. Answers [`Completion::Read`].
    ReadWal {
        /// The WAL file.
        path: SharedPath,
        /// First byte.
        offset: u64,
        /// Maximum bytes.
        len: u32,
    },
    /// Read `len` bytes at each position, in order (pages for an LTX file).
    ReadPages {
        /// The reads.
        reads: Vec<PageRead>,
        /// Bytes per read.
        len: u32,
    },
    /// File names in a directory (a missing directory lists as empty).
    ListDir {
        /// Directory.
        path: PathBuf,
    },
    /// Create the directory and its parents.
    CreateDirAll {
        /// Directory.
        path: PathBuf,
    },
    /// Write bytes at `offset`; `truncate` creates/empties the file first.
    WriteAt {
        /// File (a `.tmp` staging file).
        path: PathBuf,
        /// Byte offset.
        offset: u64,
        /// Data.
        bytes: Vec<u8>,
        /// Create or truncate before writing.
        truncate: bool,
    },
    /// fsync `tmp`, rename it to `dest`, fsync the directory.
    CommitFile {
        /// Staging file.
        tmp: PathBuf,
        /// Final name.
        dest: PathBuf,
    },
    /// Remove a file, or a directory tree when `recursive`; missing is fine.
    Remove {
        /// What to remove.
        path: PathBuf,
        /// Remove a whole tree.
        recursive: bool,
    },
    /// A SQLite operation on database `db`'s connections.
    Sqlite {
        /// Database.
        db: DbId,
        /// What to do.
        cmd: SqliteCmd,
    },
    /// A replica operation for database `db`.
    Replica {
        /// Database whose replica this is.
        db: DbId,
        /// What to do.
        cmd: ReplicaCmd,
    },
}

/// Stat result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Size in bytes.
    pub size: u64,
    /// Modification time.
    pub mtime: UnixMs,
    /// Which file this is (the inode): another value means the path now names a
    /// different file, e.g. a database the application deleted and created again.
    pub id: u64,
}

/// An environment failure, as small as the core needs to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoFail {
    /// What kind of failure.
    pub kind: IoFailKind,
    /// Human-readable detail (already names the path).
    pub message: String,
}

/// Kinds of local IO failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoFailKind {
    /// The file does not exist.
    NotFound,
    /// Disk full (ENOSPC / EDQUOT).
    DiskFull,
    /// Permission denied.
    PermissionDenied,
    /// The database is busy/locked.
    Busy,
    /// Anything else.
    Other,
}

/// A replica (object store) failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreFail {
    /// Worth retrying (timeouts, resets, 5xx, SlowDown).
    Transient(String),
    /// The object or bucket does not exist.
    NotFound(String),
    /// Credentials or permissions are wrong: retrying will not help.
    Forbidden(String),
    /// A conditional request failed.
    Precondition(String),
    /// The local file to upload does not exist (removed by retention or by hand).
    LocalMissing(String),
}

impl StoreFail {
    /// The message inside.
    pub fn message(&self) -> &str {
        match self {
            StoreFail::Transient(m)
            | StoreFail::NotFound(m)
            | StoreFail::Forbidden(m)
            | StoreFail::Precondition(m)
            | StoreFail::LocalMissing(m) => m,
        }
    }
}

/// The result of a command, echoed back with its [`OpId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// Answer to [`Command::Stat`].
    Stated(Result<Option<FileStat>, IoFail>),
    /// Answer to [`Command::ReadAt`] and [`Command::ReadWal`].
    Read(Result<Vec<u8>, IoFail>),
    /// Answer to [`Command::ReadPages`]: one buffer per read (short at end of file).
    PagesRead(Result<Vec<Vec<u8>>, IoFail>),
    /// Answer to [`Command::ListDir`].
    Listed(Result<Vec<String>, IoFail>),
    /// Answer to `CreateDirAll`, `WriteAt`, `CommitFile`, `Remove`.
    Done(Result<(), IoFail>),
    /// Answer to [`Command::Sqlite`].
    Sqlite(Result<SqliteDone, IoFail>),
    /// Answer to [`ReplicaCmd::Put`] and [`ReplicaCmd::Get`] and [`ReplicaCmd::Delete`].
    ObjectDone(Result<(), StoreFail>),
    /// Answer to [`ReplicaCmd::List`].
    ObjectsListed(Result<Vec<ObjectInfo>, StoreFail>),
}
