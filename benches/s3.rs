//! The daemon against a real S3 server (SeaweedFS on 127.0.0.1, started here).
//!
//! ```sh
//! cargo build --release -p litestream && cargo bench -p litestream-e2e --bench s3
//! S3_SNAPSHOT_MB=200 LAG_SECONDS=20 cargo bench -p litestream-e2e --bench s3
//! ```
//!
//! **Snapshot upload throughput**: a database of incompressible rows (100 MB by default)
//! is replicated from scratch, so its first L0 file is a whole-database snapshot. The
//! upload time is the span between the daemon's log lines "wrote ltx 1" and "uploaded
//! txid 1" (millisecond timestamps); throughput = that file's size / span. Compared with
//! `curl -T` of the same file to the same server (SigV4-signed, `time_total`). Three runs
//! each, medians. Target: ≥ 80 % of curl.
//!
//! **Lag via S3** at 100 transactions/s: the writer of `lag.rs` (one marked row per
//! transaction, commit wall-clock times recorded); an inotify watcher on the daemon's
//! local `ltx/0/` decodes each new L0 file to learn the newest transaction it holds; the
//! daemon's "uploaded txid N" log line gives the moment that file was in S3. lag(k) =
//! upload time of the first file holding k − commit time of k. Target: p99 ≤ 100 ms.
//!
//! Figures are printed; the bench never fails on a missed target.

#[path = "support/benchkit.rs"]
mod benchkit;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use benchkit::{insert, max_marker, median, open_writer, percentile, watch};
use litestream_core::ltx;
use litestream_e2e::seaweedfs::SeaweedFs;
use litestream_e2e::{meta_dir, sqlite3, tempdir, Daemon};

/// Unix milliseconds of a log line's `time=YYYY-MM-DDTHH:MM:SS.fffZ`.
fn log_time_ms(line: &str) -> Option<f64> {
    let t = line.strip_prefix("time=")?.split_whitespace().next()?;
    let t = t.strip_suffix('Z')?;
    let (date, clock) = t.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut c = clock.split(':');
    let (hh, mm) = (
        c.next()?.parse::<f64>().ok()?,
        c.next()?.parse::<f64>().ok()?,
    );
    let ss = c.next()?.parse::<f64>().ok()?;
    // Days from 1970-01-01 (proleptic Gregorian; Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days as f64 * 86_400.0) + hh * 3600.0 + mm * 60.0 + ss) * 1e3)
}

/// Unix milliseconds of the first log line containing `needle`.
fn first_line_time(log: &str, needle: &str) -> Option<f64> {
    log.lines()
        .find(|l| l.contains(needle))
        .and_then(log_time_ms)
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1e3
}

/// One from-scratch replication of `db`: (snapshot bytes, upload seconds).
fn snapshot_upload(s3: &SeaweedFs, db: &Path, prefix: &str, log: &Path) -> (u64, f64) {
    let mut d = Daemon::start_url(db, &s3.url(prefix), &s3.env(), log);
    d.wait_caught_up(Duration::from_secs(300));
    let _ = d.stop_within(Duration::from_secs(30));
    let text = d.log_text();
    let one = ltx::format_txid(1);
    let wrote = first_line_time(&text, &format!("wrote ltx {one}")).expect("wrote ltx 1 line");
    let up = first_line_time(&text, &format!("uploaded txid {one}")).expect("uploaded line");
    let size = std::fs::metadata(meta_dir(db).join("ltx/0").join(ltx::format_filename(1, 1)))
        .map(|m| m.len())
        .expect("local snapshot file");
    (size, (up - wrote) / 1e3)
}

/// `curl -T file` to `key`; seconds (`time_total`).
fn curl_upload(s3: &SeaweedFs, file: &Path, key: &str) -> f64 {
    let out = Command::new("curl")
        .args(["-sS", "--fail", "-o", "/dev/null", "-w", "%{time_total}"])
        .args(["--aws-sigv4", "aws:amz:us-east-1:s3", "--user"])
        .arg(format!("{}:{}", s3.access_key, s3.secret_key))
        .arg("-T")
        .arg(file)
        .arg(format!("{}/{}/{key}", s3.endpoint, s3.bucket))
        .output()
        .expect("run curl");
    assert!(out.status.success(), "curl -T failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn throughput_run(s3: &SeaweedFs, root: &Path, mb: u64) {
    let rows = mb * 1_000_000 / 4_096;
    let base = root.join("base.db");
    sqlite3(
        &base,
        &format!(
            "PRAGMA journal_mode=wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
             INSERT INTO t(v) SELECT randomblob(4000) FROM n;"
        ),
    );
    let (mut ours, mut curls) = (Vec::new(), Vec::new());
    let mut snapshot_bytes = 0;
    for run in 0..3 {
        let db = root.join(format!("snap{run}.db"));
        std::fs::copy(&base, &db).unwrap();
        let (size, secs) = snapshot_upload(
            s3,
            &db,
            &format!("snap{run}"),
            &root.join(format!("d{run}.log")),
        );
        snapshot_bytes = size;
        ours.push(size as f64 / 1e6 / secs);
        let file = meta_dir(&db).join("ltx/0").join(ltx::format_filename(1, 1));
        let secs = curl_upload(s3, &file, &format!("curl/{run}.ltx"));
        curls.push(size as f64 / 1e6 / secs);
        let _ = std::fs::remove_file(&db);
    }
    let (a, b) = (median(ours.clone()), median(curls.clone()));
    println!(
        "snapshot upload ({:.1} MB LTX): litestream {a:.0} MB/s {ours:.0?}, curl -T {b:.0} MB/s {curls:.0?}: {:.0} % of curl → target ≥ 80 %: {}",
        snapshot_bytes as f64 / 1e6,
        a / b * 100.0,
        if a >= 0.8 * b { "met" } else { "MISSED" }
    );
}

fn lag_run(s3: &SeaweedFs, root: &Path, rate: u64, seconds: u64) {
    let db = root.join("lag.db");
    let conn = open_writer(&db);
    let mut daemon = Daemon::start_url(&db, &s3.url("lag"), &s3.env(), &root.join("lag.log"));
    daemon.wait_caught_up(Duration::from_secs(30));
    let l0 = meta_dir(&db).join("ltx/0");
    let (etx, erx) = mpsc::channel();
    watch(&l0, etx);
    // For each local L0 file: (txid, newest transaction on its pages).
    let (ftx, frx) = mpsc::channel::<(u64, u64)>();
    let consumer = thread::spawn(move || {
        for (_, name) in erx {
            let Some((_, max)) = ltx::parse_filename(&name) else {
                continue;
            };
            if let Some(k) = max_marker(&l0.join(&name)) {
                if ftx.send((max, k)).is_err() {
                    return;
                }
            }
        }
    });
    let period = Duration::from_nanos(1_000_000_000 / rate);
    let n = rate * seconds;
    let mut commit_ms = Vec::with_capacity(n as usize);
    let start = Instant::now();
    for k in 0..n {
        let due = start + period * (k as u32);
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        insert(&conn, k);
        commit_ms.push(now_ms());
    }
    daemon.wait_caught_up(Duration::from_secs(60));
    let _ = daemon.stop_within(Duration::from_secs(30));
    let log = daemon.log_text();
    let uploaded: BTreeMap<u64, f64> = log
        .lines()
        .filter_map(|l| {
            let hex = l.split("uploaded txid ").nth(1)?.get(..16)?;
            Some((u64::from_str_radix(hex, 16).ok()?, log_time_ms(l)?))
        })
        .collect();
    let mut files: BTreeMap<u64, u64> = BTreeMap::new();
    while let Ok((txid, k)) = frx.try_recv() {
        files.insert(txid, k);
    }
    drop(frx);
    let _ = consumer;
    let mut durable: BTreeMap<u64, f64> = BTreeMap::new();
    let mut next = 0;
    for (txid, k) in &files {
        let Some(at) = uploaded.get(txid) else {
            continue;
        };
        while next <= *k {
            durable.insert(next, *at);
            next += 1;
        }
    }
    let warmup = rate;
    let mut lags: Vec<f64> = (warmup..n)
        .filter_map(|k| durable.get(&k).map(|at| at - commit_ms[k as usize]))
        .collect();
    let missing = (n - warmup) as usize - lags.len();
    lags.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "lag via S3 @ {rate} tx/s for {seconds}s ({} tx measured, {missing} not seen, {} L0 files): p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms → target p99 ≤ 100 ms: {}",
        lags.len(),
        files.len(),
        percentile(&lags, 50.0),
        percentile(&lags, 90.0),
        percentile(&lags, 99.0),
        lags.last().copied().unwrap_or(f64::NAN),
        if missing == 0 && percentile(&lags, 99.0) <= 100.0 { "met" } else { "MISSED" }
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("s3: run with `cargo bench -p litestream-e2e --bench s3`");
        return;
    }
    let env_u64 = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let tmp = tempdir("bench-s3");
    let s3 = SeaweedFs::start(&tmp.path().join("weed"), "litestream");
    println!("litestream: {}", litestream_e2e::litestream_bin().display());
    throughput_run(&s3, tmp.path(), env_u64("S3_SNAPSHOT_MB", 100));
    lag_run(&s3, tmp.path(), 100, env_u64("LAG_SECONDS", 10));
}
