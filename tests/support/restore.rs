//! Restoring from a file replica and checking the restore against its source.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::{db_state, file_url, integrity_check, litestream, tmp_files, DbState};

/// `litestream restore -o OUT [EXTRA…] file://REPLICA`.
pub fn restore(replica: &Path, out: &Path, extra: &[&str]) -> Output {
    let out_s = out.display().to_string();
    let url = file_url(replica);
    let mut args = vec!["restore", "-o", &out_s];
    args.extend_from_slice(extra);
    args.push(&url);
    litestream(&args)
}

/// Restore into `out` and panic with the command's output when it fails.
pub fn restore_ok(replica: &Path, out: &Path, extra: &[&str]) {
    let o = restore(replica, out, extra);
    assert!(
        o.status.success(),
        "restore {extra:?} into {} failed ({}):\nstdout: {}\nstderr: {}",
        out.display(),
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Restore the latest state of `replica` into a fresh file under `scratch` named `name`,
/// then check it: `PRAGMA integrity_check` is `ok` and `.sha3sum` and page count equal
/// `want`. Removes the restored file afterwards.
pub fn assert_restore_equals(replica: &Path, scratch: &Path, name: &str, want: &DbState) {
    let out = scratch.join(format!("{name}.db"));
    restore_ok(replica, &out, &[]);
    let got_ic = integrity_check(&out);
    assert_eq!(got_ic, "ok", "{name}: integrity_check of the restore");
    let got = db_state(&out);
    assert_eq!(
        &got, want,
        "{name}: restored database differs from the source"
    );
    // Only the restore's own staging files count: the replica and the meta directory may
    // hold a running daemon's in-flight uploads or a killed daemon's leftovers.
    let left: Vec<PathBuf> = tmp_files(scratch)
        .into_iter()
        .filter(|p| p.components().count() == 1)
        .collect();
    assert!(left.is_empty(), "{name}: restore left .tmp files: {left:?}");
    for p in [out.clone(), PathBuf::from(format!("{}-wal", out.display()))] {
        let _ = fs::remove_file(p);
    }
    let _ = fs::remove_file(format!("{}-shm", out.display()));
}

/// A replica with a few L0 files (snapshot + incremental), daemon stopped.
pub fn small_replica(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let db = root.join("app.db");
    crate::small_db(&db);
    let replica = root.join("replica");
    let mut d = crate::Daemon::start(&db, &replica, &root.join("daemon.log"));
    d.wait_caught_up(std::time::Duration::from_secs(20));
    for i in 0..3 {
        crate::sqlite3(&db, &format!("INSERT INTO t(v) VALUES ('x{i}');"));
        d.wait_caught_up(std::time::Duration::from_secs(20));
    }
    d.stop(std::time::Duration::from_secs(30));
    (db, replica)
}
