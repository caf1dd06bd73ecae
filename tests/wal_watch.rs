//! WAL change detection without the fallback poll: with `monitor-interval: 1h`, only the
//! watcher can bring a single commit to the replica within seconds. The writers are
//! long-lived `sqlite3` processes, as applications are (a process that exits closes the
//! WAL, which the directory watch reports on its own). Two databases share one directory
//! (their WAL events must not be confused), and the watch must survive the daemon's own
//! checkpoints restarting each WAL. An application's TRUNCATE checkpoint, which empties the
//! WAL, is not an error either.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use litestream_e2e::{
    assert_restore_equals, db_state, file_url, max_l0_txid, sqlite3, tempdir, wait_until, Daemon,
};

/// Far below the one-hour poll: a commit that arrives within this came through the watcher.
const NOTICED_WITHIN: Duration = Duration::from_secs(10);

struct Replicated {
    db: PathBuf,
    replica: PathBuf,
}

/// An interactive `sqlite3` process kept open on a database, fed SQL on its standard input.
struct App {
    child: Child,
    stdin: ChildStdin,
}

impl App {
    fn open(db: &Path) -> App {
        let mut child = Command::new("sqlite3")
            .arg("-batch")
            .arg(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("run sqlite3");
        let stdin = child.stdin.take().expect("sqlite3 stdin");
        let mut app = App { child, stdin };
        app.run(".bail on\n.timeout 10000");
        app
    }

    fn run(&mut self, sql: &str) {
        writeln!(self.stdin, "{sql}").expect("write to sqlite3");
        self.stdin.flush().expect("flush sqlite3 input");
    }

    fn close(mut self) {
        self.run(".quit");
        assert!(self.child.wait().expect("wait for sqlite3").success());
    }
}

/// Insert one row through `app` and wait until the replica holds a newer L0 file than
/// before; panics naming the commit when the watcher missed it.
fn commit_is_noticed(app: &mut App, r: &Replicated, what: &str, d: &Daemon) {
    let before = max_l0_txid(&r.replica);
    app.run("INSERT INTO t(v) VALUES (randomblob(100));");
    let noticed = wait_until(NOTICED_WITHIN, || max_l0_txid(&r.replica) > before);
    assert!(
        noticed,
        "{what}: a commit to {} did not reach the replica within {NOTICED_WITHIN:?} (L0 max still {before}); log tail:\n{}",
        r.db.display(),
        litestream_e2e::tail(&d.log_text(), 30)
    );
}

fn config(path: &Path, dbs: &[&Replicated]) {
    let mut text = String::from("logging:\n  level: debug\ndbs:\n");
    for r in dbs {
        text += &format!(
            "  - path: {}\n    monitor-interval: 1h\n    replica:\n      url: {}\n",
            r.db.display(),
            file_url(&r.replica)
        );
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn single_commits_are_noticed_without_the_poll() {
    let tmp = tempdir("wal-watch");
    let [a, b] = ["a", "b"].map(|n| Replicated {
        db: tmp.path().join(format!("{n}.db")),
        replica: tmp.path().join(format!("replica-{n}")),
    });
    for r in [&a, &b] {
        sqlite3(
            &r.db,
            "PRAGMA journal_mode=wal; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB);",
        );
    }
    let cfg = tmp.path().join("litestream.yml");
    config(&cfg, &[&a, &b]);
    let mut d = Daemon::start_config(&cfg, &a.db, &a.replica, &tmp.path().join("daemon.log"));
    assert!(
        wait_until(Duration::from_secs(20), || max_l0_txid(&a.replica) > 0
            && max_l0_txid(&b.replica) > 0),
        "first sync did not happen; log:\n{}",
        d.log_text()
    );

    let (mut app_a, mut app_b) = (App::open(&a.db), App::open(&b.db));
    for round in 0..5 {
        commit_is_noticed(&mut app_a, &a, &format!("round {round}, a"), &d);
        commit_is_noticed(&mut app_b, &b, &format!("round {round}, b"), &d);
        commit_is_noticed(&mut app_b, &b, &format!("round {round}, b again"), &d);
    }

    // Over 1000 pages of WAL: the daemon checkpoints and the next commit restarts the WAL.
    app_a.run(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
         INSERT INTO t(v) SELECT randomblob(4000) FROM n;",
    );
    let checkpointed = wait_until(Duration::from_secs(20), || {
        d.log_text().contains("checkpoint PASSIVE done")
    });
    assert!(checkpointed, "no checkpoint after 1500 pages of WAL");
    for round in 0..5 {
        let what = format!("after the checkpoint, round {round}");
        commit_is_noticed(&mut app_a, &a, &format!("{what}, a"), &d);
        commit_is_noticed(&mut app_b, &b, &format!("{what}, b"), &d);
    }

    app_a.close();
    app_b.close();

    for (r, name) in [(&a, "a"), (&b, "b")] {
        let want = db_state(&r.db);
        assert_restore_equals(&r.replica, tmp.path(), &format!("restored-{name}"), &want);
    }
    assert!(d.stop(Duration::from_secs(30)).success());
}

#[test]
fn application_truncate_checkpoint_is_not_an_error() {
    let tmp = tempdir("wal-truncate");
    let r = Replicated {
        db: tmp.path().join("app.db"),
        replica: tmp.path().join("replica"),
    };
    sqlite3(
        &r.db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB);",
    );
    let mut d = Daemon::start(&r.db, &r.replica, &tmp.path().join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(20));
    let mut app = App::open(&r.db);
    commit_is_noticed(&mut app, &r, "before the TRUNCATE", &d);

    // Past the checkpoint threshold, then TRUNCATE: it completes once the daemon's own
    // checkpoint cycle has synced the WAL and moved its read mark off it.
    let out = sqlite3(
        &r.db,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
         INSERT INTO t(v) SELECT randomblob(4000) FROM n;
         PRAGMA wal_checkpoint(TRUNCATE);",
    );
    assert_eq!(out, "0|0|0", "the application's TRUNCATE did not complete");
    let wal = std::fs::metadata(tmp.path().join("app.db-wal"))
        .unwrap()
        .len();
    assert_eq!(wal, 0, "the WAL is not empty after TRUNCATE");
    // Idle with an empty WAL for longer than the first retry delays would be.
    std::thread::sleep(Duration::from_millis(2500));
    for round in 0..3 {
        commit_is_noticed(
            &mut app,
            &r,
            &format!("after the TRUNCATE, round {round}"),
            &d,
        );
    }
    app.close();
    let log = d.log_text();
    assert!(
        !log.contains("level=ERROR"),
        "errors logged:\n{}",
        litestream_e2e::tail(&log, 30)
    );
    let want = db_state(&r.db);
    assert_restore_equals(&r.replica, tmp.path(), "restored", &want);
    assert!(d.stop(Duration::from_secs(30)).success());
}
