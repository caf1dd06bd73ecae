//! `replicate -restore-if-db-not-exists` (or the per-database key of that name): before
//! the daemon opens anything, rebuild each missing database from its replica with the
//! plain restore (latest state, no integrity check; CLI_CONFIG.md §2.1).
//!
//! Without it, an application whose database was lost creates an empty one, the daemon
//! replicates that as the newest state, and the next restore gives the empty database.

use std::path::Path;

use litestream_core::emit::Level;
use litestream_core::ltx;
use litestream_core::plan::restore::{PlanError, RestoreTarget};

use crate::log;
use crate::replica::ReplicaClient;
use crate::restore::{self, PlanFailure, RestoreOptions};
use crate::restore_cmd::restore_around_bad_files;

/// Restore `db` from `client` when no file exists at that path. A replica without
/// backups is not an error (a new database starts empty); every other failure is, with a
/// message naming the database and the replica, and leaves no database behind.
pub fn restore_if_missing(db: &Path, client: &dyn ReplicaClient) -> Result<(), String> {
    // `symlink_metadata`: a dangling link is not a missing database; the start-up checks
    // refuse links with their own message.
    if std::fs::symlink_metadata(db).is_ok() {
        return Ok(());
    }
    let name = db.display().to_string();
    let replica = client.location();
    let fail = |why: String| {
        format!("cannot restore missing database {name} from replica {replica}: {why}")
    };
    // SQLite would replay a WAL or roll back a journal left by the lost database onto
    // the restored one, so refuse rather than guess which of the two the user wants.
    if let Some(left) = restore::sidecars(db).iter().find(|p| p.exists()) {
        return Err(fail(format!(
            "{} is left from the lost database; move it away first",
            left.display()
        )));
    }
    let target = RestoreTarget::default();
    let files = match restore::plan(client, target, &[]) {
        Ok(files) => files,
        Err(PlanFailure::Plan(PlanError::NoBackups)) => {
            log::log(
                Level::Info,
                "no backups found, skipping restore",
                &[("db", &name), ("replica", &replica)],
            );
            return Ok(());
        }
        Err(PlanFailure::Plan(e)) => return Err(fail(e.to_string())),
        Err(PlanFailure::List(m)) => return Err(fail(m)),
    };
    log::log(
        Level::Info,
        "database does not exist, restoring from replica",
        &[("db", &name), ("replica", &replica)],
    );
    let opts = RestoreOptions {
        output: db.to_path_buf(),
        integrity_check: None,
    };
    let summary = restore_around_bad_files(client, target, files, &opts).map_err(fail)?;
    log::log(
        Level::Info,
        "database restored from replica",
        &[
            ("db", &name),
            ("replica", &replica),
            ("txid", &ltx::format_txid(summary.txid)),
            ("files", &summary.files.to_string()),
        ],
    );
    Ok(())
}
