//! Helpers shared by the SeaweedFS tests: restoring through S3 and comparing, checking
//! that no log line holds the secret key, and the deterministic write batches with the
//! table they write into.

use std::path::Path;
use std::process::{Command, Output};

use litestream_e2e::{db_state, integrity_check, litestream_bin, sqlite3, DbState, Rng};

/// `litestream restore -o OUT [extra…] URL` with `env`.
pub fn restore_url(url: &str, env: &[(String, String)], out: &Path, extra: &[&str]) -> Output {
    Command::new(litestream_bin())
        .arg("restore")
        .arg("-o")
        .arg(out)
        .args(extra)
        .arg(url)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run litestream restore")
}

/// Restore the latest state from `url` into `out` and assert it equals `want`.
pub fn assert_s3_restore_equals(url: &str, env: &[(String, String)], out: &Path, want: &DbState) {
    let o = restore_url(url, env, out, &[]);
    assert!(
        o.status.success(),
        "restore from {url} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(integrity_check(out), "ok", "integrity_check of the restore");
    assert_eq!(
        &db_state(out),
        want,
        "restored database differs from the source"
    );
}

/// The log must never contain the secret key, at any level.
pub fn assert_no_secret(log: &str, secret: &str) {
    let hits: Vec<&str> = log.lines().filter(|l| l.contains(secret)).collect();
    assert!(
        hits.is_empty(),
        "the secret key appears in the log: {hits:?}"
    );
}

/// One transaction of deterministic rows (the same SQL gives the same pages in two
/// databases that started equal).
pub fn batch(rng: &mut Rng, n: u64, rows: u64, width: u64) -> String {
    let mut sql = String::from("BEGIN;");
    for _ in 0..rows {
        let len = rng.range(width / 2, width);
        sql.push_str(&format!(
            "INSERT INTO t(batch, v) VALUES ({n}, printf('%.{len}c', '{}'));",
            (b'a' + (rng.next_u64() % 26) as u8) as char
        ));
    }
    if n.is_multiple_of(3) {
        sql.push_str(&format!("DELETE FROM t WHERE id % 7 = {};", n % 7));
    }
    sql.push_str("COMMIT;");
    sql
}

/// Create `db` in WAL mode with the table [`batch`] writes into.
pub fn create_batch_db(db: &Path) {
    sqlite3(
        db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, batch INT, v TEXT);",
    );
}
