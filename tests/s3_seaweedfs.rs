//! The daemon against a real S3 server (SeaweedFS, started by each test on 127.0.0.1):
//! replicate with `sqlite3` writing, restore through S3 and compare; a 200 MB database
//! (multipart uploads); the same writes to an S3 and a file replica give the same LTX
//! content per TXID; a wrong secret and an unknown bucket fail clearly; the server
//! stopped and restarted mid-replication; 60 s of writes through a fault-injecting proxy.
//! No log line may contain the secret key.

#[path = "s3_seaweedfs/helpers.rs"]
mod helpers;

use std::fs;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use helpers::{assert_no_secret, assert_s3_restore_equals, batch, create_batch_db, restore_url};
use litestream_core::ltx;
use litestream_e2e::faultproxy::{FaultProxy, Faults};
use litestream_e2e::seaweedfs::SeaweedFs;
use litestream_e2e::{
    db_state, decode_ltx, list_l0_url, ltx_files, rfc3339_now, sqlite3, tempdir, Daemon, DbState,
    Rng,
};

#[test]
fn s3_replica_round_trips_and_matches_a_file_replica() {
    let tmp = tempdir("s3-small");
    let s3 = SeaweedFs::start(&tmp.path().join("weed"), "litestream");
    let url = s3.url("small");
    let (db_s3, db_file) = (tmp.path().join("s3.db"), tmp.path().join("file.db"));
    create_batch_db(&db_s3);
    fs::copy(&db_s3, &db_file).unwrap();
    let file_replica = tmp.path().join("replica");
    let mut ds = Daemon::start_url(&db_s3, &url, &s3.env(), &tmp.path().join("s3.log"));
    let mut df = Daemon::start(&db_file, &file_replica, &tmp.path().join("file.log"));
    assert_eq!(
        ds.wait_caught_up(Duration::from_secs(30)),
        df.wait_caught_up(Duration::from_secs(30))
    );

    let mut rng = Rng::from_env("s3 small");
    for n in 1..=8 {
        let rows = rng.range(1, 40);
        let sql = batch(&mut rng, n, rows, 3000);
        sqlite3(&db_s3, &sql);
        sqlite3(&db_file, &sql);
        let (ts, tf) = (
            ds.wait_caught_up(Duration::from_secs(30)),
            df.wait_caught_up(Duration::from_secs(30)),
        );
        assert_eq!(ts, tf, "batch {n}: S3 and file replicas at different TXIDs");
    }
    assert!(ds.stop(Duration::from_secs(30)).success());
    assert!(df.stop(Duration::from_secs(30)).success());
    let want = db_state(&db_s3);
    assert_eq!(want, db_state(&db_file), "the two sources diverged");

    assert_s3_restore_equals(&url, &s3.env(), &tmp.path().join("restored.db"), &want);

    // Same L0 files on both sides; same header fields (timestamps and WAL salts aside),
    // pages and post-apply checksum per TXID.
    let files = ltx_files(&file_replica, 0);
    assert!(files.len() >= 9, "expected at least 9 L0 files: {files:?}");
    let s3_dir = tmp.path().join("s3-l0");
    fs::create_dir_all(&s3_dir).unwrap();
    for &(min, max) in &files {
        let name = ltx::format_filename(min, max);
        let local = s3_dir.join(&name);
        fs::write(&local, s3.get(&format!("small/0000/{name}"))).unwrap();
        let (a, b) = (
            decode_ltx(&local),
            decode_ltx(&file_replica.join("ltx/0").join(&name)),
        );
        let fields = |f: &ltx::DecodedFile| {
            let h = &f.header;
            (
                h.flags,
                h.page_size,
                h.commit,
                h.min_txid,
                h.max_txid,
                h.pre_apply_checksum,
                f.trailer.post_apply_checksum,
            )
        };
        assert_eq!(fields(&a), fields(&b), "{name}: header/trailer differ");
        assert!(a.pages == b.pages, "{name}: pages differ");
    }
    assert_no_secret(&ds.log_text(), &s3.secret_key);
}

#[test]
fn large_database_round_trips_with_multipart_uploads() {
    let tmp = tempdir("s3-large");
    let s3 = SeaweedFs::start(&tmp.path().join("weed"), "litestream");
    let url = s3.url("large");
    let db = tmp.path().join("big.db");
    // ~200 MB before the daemon starts: its first L0 file is a whole-database snapshot.
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
         INSERT INTO t(v) SELECT randomblob(4000) FROM n;",
    );
    let size = fs::metadata(&db).unwrap().len();
    assert!(size > 200_000_000, "database is only {size} bytes");
    let mut d = Daemon::start_url(&db, &url, &s3.env(), &tmp.path().join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(180));
    // A 20 MB incremental transaction: a second multipart upload.
    sqlite3(&db, "UPDATE t SET v = randomblob(4000) WHERE id % 10 = 0;");
    d.wait_caught_up(Duration::from_secs(180));
    assert!(d.stop(Duration::from_secs(60)).success());
    let log = d.log_text();
    assert_no_secret(&log, &s3.secret_key);
    let want = db_state(&db);
    assert_s3_restore_equals(&url, &s3.env(), &tmp.path().join("restored.db"), &want);
}

#[test]
fn wrong_secret_and_unknown_bucket_fail_clearly() {
    let tmp = tempdir("s3-auth");
    let s3 = SeaweedFs::start(&tmp.path().join("weed"), "litestream");
    let db = tmp.path().join("app.db");
    sqlite3(
        &db,
        "PRAGMA journal_mode=wal; CREATE TABLE t(v); INSERT INTO t VALUES (1);",
    );
    let bad_secret = "definitely-not-the-secret";
    let mut env = s3.env();
    env[1].1 = bad_secret.to_string();

    // restore: one error line, exit 1.
    let out = tmp.path().join("out.db");
    let o = restore_url(&s3.url("app"), &env, &out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "restore with a wrong secret: {stderr}"
    );
    let err = stderr
        .lines()
        .find(|l| l.starts_with("Error:"))
        .unwrap_or("");
    assert!(
        err.contains("access denied for s3://litestream/app") && err.contains("access key"),
        "error does not say access was refused: {stderr}"
    );
    assert!(!out.exists());
    assert!(!stderr.contains(bad_secret), "secret printed: {stderr}");

    // replicate: the daemon keeps running, says what is wrong, and does not hammer.
    let mut d = Daemon::start_url(&db, &s3.url("app"), &env, &tmp.path().join("daemon.log"));
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        d.running(),
        "daemon exited on a wrong secret:\n{}",
        d.log_text()
    );
    let log = d.log_text();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("level=ERROR")).collect();
    assert!(
        errors
            .iter()
            .any(|l| l.contains("access denied for s3://litestream/app")),
        "no access-denied error logged for a wrong secret:\n{log}"
    );
    assert!(
        errors.len() <= 4,
        "retry storm: {} error lines in 4 s:\n{log}",
        errors.len()
    );
    assert_no_secret(&log, bad_secret);
    d.kill9();

    // Unknown bucket: the error names it.
    let url = format!(
        "s3://no-such-bucket-here/app?endpoint={}&forcePathStyle=true",
        s3.endpoint
    );
    let o = restore_url(&url, &s3.env(), &out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no-such-bucket-here"),
        "error does not name the bucket: {stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn server_restart_mid_replication_is_survived() {
    let tmp = tempdir("s3-restart");
    let mut s3 = SeaweedFs::start(&tmp.path().join("weed"), "litestream");
    let url = s3.url("app");
    let env = s3.env();
    let db = tmp.path().join("app.db");
    create_batch_db(&db);
    let mut d = Daemon::start_url(&db, &url, &env, &tmp.path().join("daemon.log"));
    let mut rng = Rng::from_env("s3 restart");
    let mut n = 0;
    let mut write = |rng: &mut Rng| {
        n += 1;
        sqlite3(&db, &batch(rng, n, 5, 500));
    };
    write(&mut rng);
    d.wait_caught_up(Duration::from_secs(30));

    s3.stop();
    let down = Instant::now();
    let mut mark: Option<(String, DbState)> = None;
    while down.elapsed() < Duration::from_secs(5) {
        write(&mut rng);
        std::thread::sleep(Duration::from_millis(200));
        if mark.is_none() && down.elapsed() > Duration::from_millis(2500) {
            // A point in time inside the outage: its files reach S3 only afterwards, so
            // only their stored timestamps can place them before it.
            std::thread::sleep(Duration::from_millis(400));
            mark = Some((rfc3339_now(), db_state(&db)));
            std::thread::sleep(Duration::from_millis(400));
        }
    }
    assert!(d.running(), "daemon exited while the server was down");
    s3.restart();
    write(&mut rng);
    d.wait_caught_up(Duration::from_secs(120));
    assert!(d.stop(Duration::from_secs(30)).success());
    let log = d.log_text();
    // Each failed attempt is logged (the first at ERROR, the rest at DEBUG) with its
    // back-off, which must grow.
    let delays: Vec<f64> = log
        .lines()
        .filter(|l| l.contains("replica sync failed"))
        .filter_map(|l| l.split("retrying in ").nth(1))
        .filter_map(|r| r.split('s').next()?.parse().ok())
        .collect();
    assert!(
        delays.len() >= 2,
        "expected several failed attempts while the server was down:\n{log}"
    );
    assert!(
        delays.windows(2).all(|w| w[1] > w[0]),
        "retry delays do not grow: {delays:?}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("level=INFO") && l.contains("replica sync recovered after")),
        "the recovery is not logged:\n{log}"
    );
    assert_no_secret(&log, &s3.secret_key);
    let want = db_state(&db);
    assert_s3_restore_equals(&url, &env, &tmp.path().join("restored.db"), &want);
    let (at, then) = mark.expect("a point in time was recorded");
    let out = tmp.path().join("at-time.db");
    let o = restore_url(&url, &env, &out, &["-timestamp", &at]);
    assert!(o.status.success(), "restore -timestamp {at}: {o:?}");
    assert_eq!(
        db_state(&out),
        then,
        "restore -timestamp {at} (inside the outage)"
    );
}

#[test]
fn writes_through_a_faulty_proxy_lose_nothing() {
    let secs: u64 = std::env::var("LITESTREAM_S3_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let tmp = tempdir("s3-faults");
    let s3 = SeaweedFs::start(&tmp.path().join("weed"), "litestream");
    let upstream: SocketAddr = s3
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("endpoint address");
    let mut rng = Rng::from_env("s3 faults");
    let proxy = FaultProxy::start(
        upstream,
        Faults {
            error: 0.1,
            drop: 0.1,
            stall: 0.05,
            stall_for: Duration::from_secs(2),
            seed: rng.next_u64(),
        },
    );
    let url = format!(
        "s3://{}/app?endpoint=http://{}&forcePathStyle=true",
        s3.bucket, proxy.addr
    );
    let db = tmp.path().join("app.db");
    create_batch_db(&db);
    let mut d = Daemon::start_url(&db, &url, &s3.env(), &tmp.path().join("daemon.log"));
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(secs) {
        n += 1;
        let rows = rng.range(1, 20);
        sqlite3(&db, &batch(&mut rng, n, rows, 2000));
        std::thread::sleep(Duration::from_millis(rng.range(10, 150)));
    }
    let txid = d.wait_caught_up(Duration::from_secs(180));
    assert!(d.stop(Duration::from_secs(60)).success());
    let stats = &proxy.stats;
    eprintln!("{n} batches in {secs}s, final txid {txid}; proxy: {stats:?}");
    use std::sync::atomic::Ordering::Relaxed;
    assert!(
        stats.errors.load(Relaxed) > 0 && stats.drops.load(Relaxed) > 0,
        "the proxy injected no faults: {stats:?}"
    );
    // The L0 chain in S3 is contiguous from 1 to the final TXID (no duplicate, no gap),
    // read directly from the server, not through the proxy.
    let ranges = list_l0_url(&s3.url("app"), &s3.env()).expect("list the replica");
    assert_eq!(ranges.last().map(|r| r.1), Some(txid));
    for w in ranges.windows(2) {
        assert_eq!(
            w[0].1 + 1,
            w[1].0,
            "L0 gap or overlap: {:?} then {:?}",
            w[0],
            w[1]
        );
    }
    assert_no_secret(&d.log_text(), &s3.secret_key);
    let want = db_state(&db);
    assert_s3_restore_equals(
        &s3.url("app"),
        &s3.env(),
        &tmp.path().join("restored.db"),
        &want,
    );
}

#[test]
fn replica_of_over_1000_objects_lists_and_restores() {
    let tmp = tempdir("s3-many");
    let s3 = SeaweedFs::start(&tmp.path().join("weed"), "litestream");
    let url = s3.url("many");
    let db = tmp.path().join("app.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);")
        .unwrap();
    let mut d = Daemon::start_url(&db, &url, &s3.env(), &tmp.path().join("daemon.log"));
    d.wait_caught_up(Duration::from_secs(30));
    // One small transaction at a time, each given the time to become its own L0 file,
    // until the replica's level 0 holds more than 1,000 objects (a listing page is 1,000).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut n = 0u64;
    while d.remote_max_l0() <= 1_050 {
        assert!(
            Instant::now() < deadline,
            "only {n} transactions replicated"
        );
        for _ in 0..100 {
            n += 1;
            conn.execute("INSERT INTO t(v) VALUES (?1)", [format!("row {n}")])
                .unwrap();
            std::thread::sleep(Duration::from_millis(4));
        }
    }
    drop(conn);
    let txid = d.wait_caught_up(Duration::from_secs(60));
    assert!(d.stop(Duration::from_secs(30)).success());
    let count = list_l0_url(&url, &s3.env())
        .expect("list the replica")
        .len();
    assert!(count > 1_000, "level 0 lists {count} objects, want > 1,000");
    assert_eq!(
        count as u64, txid,
        "one L0 object per TXID from 1 to {txid}"
    );
    let want = db_state(&db);
    assert_s3_restore_equals(&url, &s3.env(), &tmp.path().join("restored.db"), &want);
}
