//! `litestream restore`: rebuild a database from a replica as of the latest state, a TXID
//! or a point in time (REPLICATION.md §14).
//!
//! The plan comes from the core's planner. Files are streamed one after another through
//! the LTX decoder and their pages written in place into `<output>.tmp`, which is then
//! cut to the final page count, fsynced and renamed; on any error the staging file is
//! removed, so a failed restore leaves nothing behind.

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use litestream_core::io::{ObjectInfo, ObjectKey};
use litestream_core::ltx::{self, DecodeEvent, Decoder};
use litestream_core::plan::restore::{self, RestoreTarget};

use crate::progress::Progress;
use crate::replica::ReplicaClient;

/// Options of one restore.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Output database path.
    pub output: PathBuf,
    /// `quick`, `full` or none.
    pub integrity_check: Option<String>,
}

/// What a successful restore did.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    /// TXID restored to.
    pub txid: u64,
    /// Files applied.
    pub files: usize,
}

/// Why a restore failed (message for the user).
pub type RestoreError = String;

/// Why applying the planned files failed.
#[derive(Debug)]
pub struct ApplyFailure {
    /// Message for the user, naming the file and the problem.
    pub message: String,
    /// The replica file that could not be used (corrupt, truncated, unreadable), when
    /// the failure was that file's: a plan without it may still reach the target.
    pub bad_file: Option<ObjectKey>,
}

impl From<String> for ApplyFailure {
    fn from(message: String) -> Self {
        ApplyFailure {
            message,
            bad_file: None,
        }
    }
}

/// Why no restore plan could be made.
#[derive(Debug)]
pub enum PlanFailure {
    /// The replica could not be listed (refused credentials, unknown bucket, server
    /// down): reported as such, never as an empty replica.
    List(String),
    /// The listing holds no usable chain for the target.
    Plan(restore::PlanError),
}

/// Listings taken while a live daemon renames new L0 files into place and compacts old
/// ones can miss a file that appeared or see one level before and another after a
/// compaction, which looks like a gap. A real gap stays; a race does not: list again.
const GAP_RELISTS: u32 = 4;
/// Pause before listing again after an apparent gap.
const GAP_RELIST_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

/// The files to fetch for `target`, oldest first, never using the `excluded` ones.
pub fn plan(
    client: &dyn ReplicaClient,
    target: RestoreTarget,
    excluded: &[ObjectKey],
) -> Result<Vec<ObjectInfo>, PlanFailure> {
    let mut tries = 0;
    loop {
        match plan_once(client, target, excluded) {
            Err(PlanFailure::Plan(restore::PlanError::NonContiguous { .. }))
                if tries < GAP_RELISTS =>
            {
                tries += 1;
                std::thread::sleep(GAP_RELIST_PAUSE);
            }
            r => return r,
        }
    }
}

fn plan_once(
    client: &dyn ReplicaClient,
    target: RestoreTarget,
    excluded: &[ObjectKey],
) -> Result<Vec<ObjectInfo>, PlanFailure> {
    let mut levels: Vec<Vec<ObjectInfo>> = Vec::new();
    for level in 0..=9u8 {
        let files = client.list(level).map_err(|e| {
            PlanFailure::List(format!(
                "cannot list level {level} of the replica: {}",
                e.message()
            ))
        })?;
        levels.push(
            files
                .into_iter()
                .filter(|f| !excluded.contains(&f.key))
                .collect(),
        );
    }
    if let Some(t) = target.timestamp {
        // A listing's time is when the object was stored, which is never before its
        // transaction was written: only objects stored at or after the target can hold
        // earlier transactions, and only their metadata needs reading.
        for f in levels.iter_mut().flatten().filter(|f| f.created >= t) {
            let created = client.created_at(f.key).map_err(|e| {
                PlanFailure::List(format!(
                    "cannot read the timestamp of {}: {}",
                    ltx::format_filename(f.key.min_txid, f.key.max_txid),
                    e.message()
                ))
            })?;
            if let Some(c) = created {
                f.created = c;
            }
        }
    }
    restore::plan(&levels, target).map_err(PlanFailure::Plan)
}

/// Sidecar files SQLite keeps next to a database.
pub fn sidecars(db: &Path) -> [PathBuf; 3] {
    ["-wal", "-shm", "-journal"].map(|s| {
        let mut p = db.as_os_str().to_owned();
        p.push(s);
        PathBuf::from(p)
    })
}

/// Check the output path: refuse to overwrite without `force`; with it, remove the
/// output and its sidecars.
pub fn prepare_output(output: &Path, force: bool) -> Result<(), RestoreError> {
    if output.is_dir() {
        return Err(format!(
            "cannot restore to {}: it is a directory",
            output.display()
        ));
    }
    let non_empty = fs::metadata(output).map(|m| m.len() > 0).unwrap_or(false);
    let existing_sidecars: Vec<PathBuf> = sidecars(output)
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    if !force {
        if non_empty {
            return Err(format!(
                "cannot restore, output path already exists and is not empty: {}. Use -force to overwrite",
                output.display()
            ));
        }
        if let Some(s) = existing_sidecars.first() {
            return Err(format!(
                "cannot restore, {} exists next to the output. Use -force to overwrite",
                s.display()
            ));
        }
    }
    for p in std::iter::once(output.to_path_buf()).chain(existing_sidecars) {
        match fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("remove {}: {e}", p.display())),
        }
    }
    Ok(())
}

/// Fetch and apply `files` into `opts.output`.
pub fn restore(
    client: &dyn ReplicaClient,
    files: &[ObjectInfo],
    opts: &RestoreOptions,
) -> Result<RestoreSummary, ApplyFailure> {
    // Like Litestream, create the output's directory when it is missing.
    if let Some(parent) = opts.output.parent() {
        if !parent.as_os_str().is_empty() && !parent.is_dir() {
            fs::create_dir_all(parent).map_err(|e| {
                format!(
                    "cannot restore to {}: cannot create directory {}: {e}",
                    opts.output.display(),
                    parent.display()
                )
            })?;
        }
    }
    let tmp = crate::fs::tmp_path(&opts.output);
    let interrupt_guard = crate::restore_interrupt::remove_on_interrupt(&tmp);
    let result = apply_all(client, files, &tmp);
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    fs::rename(&tmp, &opts.output)
        .map_err(|e| format!("rename {} into place: {e}", opts.output.display()))?;
    drop(interrupt_guard);
    crate::fs::sync_dir(&opts.output).map_err(|e| e.message)?;
    if let Some(mode) = &opts.integrity_check {
        if let Err(e) = integrity_check(&opts.output, mode) {
            let _ = fs::remove_file(&opts.output);
            for s in sidecars(&opts.output) {
                let _ = fs::remove_file(s);
            }
            return Err(e.into());
        }
    }
    Ok(summary)
}

fn apply_all(
    client: &dyn ReplicaClient,
    files: &[ObjectInfo],
    tmp: &Path,
) -> Result<RestoreSummary, ApplyFailure> {
    let out = File::create(tmp).map_err(|e| format!("create {}: {e}", tmp.display()))?;
    let total: u64 = files.iter().map(|f| f.size).sum();
    let mut progress = Progress::new("restore", total, files.len());
    let mut commit = 0u32;
    let mut page_size = 0u32;
    let mut bytes = 0u64;
    let started = Instant::now();
    for (i, f) in files.iter().enumerate() {
        let name = format!(
            "level {} {}",
            f.key.level,
            ltx::format_filename(f.key.min_txid, f.key.max_txid)
        );
        // Failures of this file rather than of the output.
        let bad = |message: String| ApplyFailure {
            message,
            bad_file: Some(f.key),
        };
        if f.size < 100 {
            return Err(bad(format!(
                "ltx file {name} is too small ({} bytes) to be valid",
                f.size
            )));
        }
        let mut reader = client
            .open(f.key)
            .map_err(|e| bad(format!("open {name}: {}", e.message())))?;
        let mut dec = Decoder::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut done = false;
        while !done {
            let n = reader
                .read(&mut buf)
                .map_err(|e| bad(format!("read {name}: {e}")))?;
            bytes += n as u64;
            progress.update(bytes, i);
            if n == 0 {
                dec.end_of_input();
            } else {
                dec.push(&buf[..n]);
            }
            loop {
                match dec
                    .next()
                    .map_err(|e| bad(format!("ltx file {name} is corrupt: {e}")))?
                {
                    None => break,
                    Some(DecodeEvent::Header(h)) => {
                        if (h.min_txid, h.max_txid) != (f.key.min_txid, f.key.max_txid) {
                            return Err(bad(format!(
                                "ltx file {name} holds TXIDs {} to {}, not what its name says",
                                ltx::format_txid(h.min_txid),
                                ltx::format_txid(h.max_txid)
                            )));
                        }
                        if page_size != 0 && h.page_size != page_size {
                            return Err(bad(format!("ltx file {name} has page size {} but earlier files have {page_size}", h.page_size)));
                        }
                        page_size = h.page_size;
                        commit = h.commit;
                    }
                    Some(DecodeEvent::Page { pgno, data }) => {
                        out.write_all_at(data, u64::from(pgno - 1) * u64::from(page_size))
                            .map_err(|e| format!("write {}: {e}", tmp.display()))?;
                    }
                    Some(DecodeEvent::Done(_)) => {
                        done = true;
                        break;
                    }
                }
            }
            if n == 0 && !done {
                return Err(bad(format!("ltx file {name} is truncated")));
            }
        }
        out.set_len(u64::from(commit) * u64::from(page_size))
            .map_err(|e| format!("truncate {}: {e}", tmp.display()))?;
    }
    out.sync_all()
        .map_err(|e| format!("fsync {}: {e}", tmp.display()))?;
    progress.finish(bytes, files.len(), started.elapsed());
    Ok(RestoreSummary {
        txid: files.last().map_or(0, |f| f.key.max_txid),
        files: files.len(),
    })
}

fn integrity_check(db: &Path, mode: &str) -> Result<(), RestoreError> {
    let pragma = if mode == "full" {
        "PRAGMA integrity_check"
    } else {
        "PRAGMA quick_check"
    };
    let existed: Vec<bool> = sidecars(db).iter().map(|p| p.exists()).collect();
    let conn = rusqlite::Connection::open(db)
        .map_err(|e| format!("integrity check: open {}: {e}", db.display()))?;
    let result: String = conn
        .query_row(pragma, [], |r| r.get(0))
        .map_err(|e| format!("integrity check of {}: {e}", db.display()))?;
    drop(conn);
    for (p, had) in sidecars(db).iter().zip(existed) {
        if !had {
            let _ = fs::remove_file(p);
        }
    }
    if result != "ok" {
        return Err(format!(
            "integrity check failed for {}: {result}",
            db.display()
        ));
    }
    Ok(())
}
