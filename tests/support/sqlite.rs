//! The real `sqlite3` command: running SQL on a database, and what the checks compare
//! (`.sha3sum`, `PRAGMA integrity_check`, `PRAGMA page_count`).

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Run the `sqlite3` command on `db` with `sql` on standard input.
pub fn sqlite3_output(db: &Path, sql: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new("sqlite3")
        .arg("-batch")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sqlite3 (is it installed? apt-get install sqlite3)");
    let mut stdin = child.stdin.take().expect("sqlite3 stdin");
    stdin.write_all(sql.as_bytes()).expect("write sql");
    drop(stdin);
    child.wait_with_output().expect("wait for sqlite3")
}

/// Run `sql` with the `sqlite3` command and return its standard output (trimmed); panics
/// when sqlite3 fails or prints an error. Like any application beside the daemon (which
/// briefly takes the write lock for its own bookkeeping), it sets a busy timeout: 10 s.
pub fn sqlite3(db: &Path, sql: &str) -> String {
    let out = sqlite3_output(db, &format!(".bail on\n.timeout 10000\n{sql}\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "sqlite3 {} failed ({}): {stderr}\nSQL: {}",
        db.display(),
        out.status,
        abbreviate(sql)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn abbreviate(s: &str) -> String {
    if s.len() > 400 {
        format!("{}…", &s[..400])
    } else {
        s.to_string()
    }
}

/// `sqlite3 DB .sha3sum`: a hash of the schema and every row (independent of page layout).
pub fn sha3sum(db: &Path) -> String {
    let s = sqlite3(db, ".sha3sum");
    assert_eq!(s.len(), 56, "unexpected .sha3sum output {s:?}");
    s
}

/// `PRAGMA integrity_check` output.
pub fn integrity_check(db: &Path) -> String {
    sqlite3(db, "PRAGMA integrity_check;")
}

/// `PRAGMA page_count`.
pub fn page_count(db: &Path) -> u64 {
    sqlite3(db, "PRAGMA page_count;")
        .parse()
        .expect("page_count is a number")
}

/// What a database looks like to the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbState {
    /// `.sha3sum`.
    pub sha3: String,
    /// `PRAGMA page_count`.
    pub pages: u64,
}

/// `.sha3sum` and page count of a database.
pub fn db_state(db: &Path) -> DbState {
    DbState {
        sha3: sha3sum(db),
        pages: page_count(db),
    }
}

/// A small WAL-mode database with a few rows.
pub fn small_db(db: &Path) {
    sqlite3(
        db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO t(v) VALUES ('a'), ('b'), ('c');",
    );
}
