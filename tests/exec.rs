//! `replicate -exec CMD`: the application runs as the daemon's child; when it exits the
//! daemon syncs everything it wrote and exits with it (an error naming the child's exit
//! status when it failed); SIGTERM reaches the child. The daemon raises its own soft
//! open-file limit, as Go's runtime does, and the child gets the limit it was given.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use litestream_e2e::ipc::signal;
use litestream_e2e::limit_open_files;
use litestream_e2e::{
    assert_restore_equals, db_state, file_url, litestream_bin, sqlite3, tempdir, wait_until,
};

const SOFT_LIMIT: u64 = 256;
const HARD_LIMIT: u64 = 4096;

/// `litestream replicate -exec CMD DB REPLICA` started with `ulimit -Sn 256 -Hn 4096`.
fn replicate_exec(cmd: &str, db: &Path, replica: &Path) -> Command {
    let mut c = Command::new(litestream_bin());
    c.args(["replicate", "-exec", cmd])
        .arg(db)
        .arg(file_url(replica));
    limit_open_files(&mut c, SOFT_LIMIT, HARD_LIMIT);
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn child_writes_and_exits_then_everything_is_replicated() {
    let tmp = tempdir("exec");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    let limits = tmp.path().join("limits.txt");
    sqlite3(&db, "PRAGMA journal_mode=wal; CREATE TABLE t(x);");
    let script = tmp.path().join("app.sh");
    std::fs::write(
        &script,
        format!(
            "ulimit -Sn > {limits}\n\
             for i in $(seq 50); do sqlite3 {db} '.timeout 10000' \"INSERT INTO t VALUES ($i);\"; done\n\
             grep 'open files' /proc/$PPID/limits >> {limits}\n",
            limits = limits.display(),
            db = db.display()
        ),
    )
    .unwrap();
    let o = replicate_exec(&format!("sh {}", script.display()), &db, &replica)
        .output()
        .expect("run litestream");
    assert!(o.status.success(), "replicate -exec: {}", text(&o));
    assert_eq!(sqlite3(&db, "SELECT count(*) FROM t;"), "50");
    assert_restore_equals(&replica, tmp.path(), "restored", &db_state(&db));

    // The child saw the limit it was started with; the daemon (its parent) had raised its own.
    let seen = std::fs::read_to_string(&limits).unwrap();
    let mut lines = seen.lines();
    assert_eq!(
        lines.next(),
        Some(SOFT_LIMIT.to_string().as_str()),
        "{seen}"
    );
    let daemon: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        daemon.get(3..5),
        Some(
            &[
                HARD_LIMIT.to_string().as_str(),
                HARD_LIMIT.to_string().as_str()
            ][..]
        ),
        "daemon limits: {seen}"
    );
}

#[test]
fn failing_child_makes_the_daemon_fail() {
    let tmp = tempdir("exec-fail");
    let db = tmp.path().join("app.db");
    sqlite3(&db, "PRAGMA journal_mode=wal; CREATE TABLE t(x);");
    let o = replicate_exec("sh -c 'exit 3'", &db, &tmp.path().join("replica"))
        .output()
        .expect("run litestream");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("exit status 3"), "{}", text(&o));
}

#[test]
fn sigterm_is_forwarded_to_the_child() {
    let tmp = tempdir("exec-term");
    let db = tmp.path().join("app.db");
    let marker = tmp.path().join("child-got-term");
    sqlite3(&db, "PRAGMA journal_mode=wal; CREATE TABLE t(x);");
    let script = format!(
        "trap 'touch {}; exit 0' TERM; while true; do sleep 0.05; done",
        marker.display()
    );
    let mut child = replicate_exec(
        &format!("sh -c \"{script}\""),
        &db,
        &tmp.path().join("replica"),
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("run litestream");
    std::thread::sleep(Duration::from_millis(500));
    signal(child.id(), "TERM");
    let start = Instant::now();
    let exited = wait_until(Duration::from_secs(20), || {
        child.try_wait().ok().flatten().is_some()
    });
    assert!(exited, "daemon still running 20 s after SIGTERM");
    assert!(marker.exists(), "the child did not get SIGTERM");
    assert!(start.elapsed() < Duration::from_secs(20));
}

/// The child commits and exits within milliseconds, before the daemon's first pass (often
/// before it has opened the database): the final sync must still carry the commit.
#[test]
fn child_that_exits_at_once_is_replicated() {
    let tmp = tempdir("exec-quick");
    let db = tmp.path().join("app.db");
    let replica = tmp.path().join("replica");
    sqlite3(&db, "PRAGMA journal_mode=wal; CREATE TABLE t(x);");
    for i in 0..6 {
        let cmd = format!(
            "sqlite3 {} '.timeout 10000' 'INSERT INTO t VALUES ({i});'",
            db.display()
        );
        let o = replicate_exec(&cmd, &db, &replica)
            .output()
            .expect("run litestream");
        assert!(o.status.success(), "run {i}: {}", text(&o));
        assert_restore_equals(
            &replica,
            tmp.path(),
            &format!("restored-{i}"),
            &db_state(&db),
        );
    }
}
