//! Shared pieces of the benchmarks (`lag.rs`, `s3.rs`, `ipc.rs`): the marker-writing
//! writer, an inotify watcher of renamed files, finding the newest marker in an LTX file,
//! percentiles, and a process's CPU time.
#![allow(dead_code)]

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use litestream_e2e::decode_ltx;
use rusqlite::Connection;

/// Marker prefix of each row.
pub const MARK: &[u8; 8] = b"LAGMARK!";

/// Open `db` in WAL mode with `synchronous=NORMAL` and the marker table.
pub fn open_writer(db: &Path) -> Connection {
    let c = Connection::open(db).expect("open db");
    c.busy_timeout(Duration::from_secs(5)).unwrap();
    c.query_row("PRAGMA journal_mode=wal", [], |r| r.get::<_, String>(0))
        .unwrap();
    c.execute_batch(
        "PRAGMA synchronous=NORMAL;
         CREATE TABLE IF NOT EXISTS c(k INTEGER PRIMARY KEY, m BLOB, pad BLOB);",
    )
    .unwrap();
    if let Ok(n) = std::env::var("LAG_AUTOCHECKPOINT") {
        c.execute_batch(&format!("PRAGMA wal_autocheckpoint={n}"))
            .unwrap();
    }
    c
}

/// Insert the row of transaction `k`, marked `LAGMARK!`, `k`, `!k`.
pub fn insert(c: &Connection, k: u64) {
    let mut m = MARK.to_vec();
    m.extend_from_slice(&k.to_be_bytes());
    m.extend_from_slice(&(!k).to_be_bytes());
    c.prepare_cached("INSERT INTO c(k, m, pad) VALUES (?1, ?2, zeroblob(64))")
        .unwrap()
        .execute(rusqlite::params![k as i64, m])
        .unwrap();
}

/// inotify watcher on `dir`: sends (instant, file name) for each file renamed into it.
pub fn watch(dir: &Path, tx: mpsc::Sender<(Instant, String)>) {
    let cdir = CString::new(dir.as_os_str().as_bytes()).unwrap();
    // SAFETY: plain syscalls; cdir is a valid C string.
    let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC) };
    assert!(fd >= 0, "inotify_init1");
    let wd = unsafe { libc::inotify_add_watch(fd, cdir.as_ptr(), libc::IN_MOVED_TO) };
    assert!(wd >= 0, "inotify_add_watch {}", dir.display());
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: buf is valid for its length.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            let at = Instant::now();
            if n <= 0 {
                return;
            }
            let n = n as usize;
            let head = std::mem::size_of::<libc::inotify_event>();
            let mut off = 0;
            while off + head <= n {
                // SAFETY: the kernel wrote a whole event at `off`.
                let ev: libc::inotify_event =
                    unsafe { std::ptr::read_unaligned(buf[off..].as_ptr().cast()) };
                let s = off + head;
                let e = (s + ev.len as usize).min(n);
                let name: Vec<u8> = buf[s..e].iter().copied().take_while(|b| *b != 0).collect();
                if tx
                    .send((at, String::from_utf8_lossy(&name).into_owned()))
                    .is_err()
                {
                    return;
                }
                off = e;
            }
        }
    });
}

/// Largest marker counter on the pages of an LTX file.
pub fn max_marker(path: &Path) -> Option<u64> {
    let f = decode_ltx(path);
    let mut best = None;
    for (_, page) in &f.pages {
        let mut i = 0;
        while i + 24 <= page.len() {
            if &page[i..i + 8] == MARK {
                // Stale bytes in free space can hold a marker with a damaged tail: accept
                // only a counter followed by its complement.
                let k = u64::from_be_bytes(page[i + 8..i + 16].try_into().unwrap());
                let not_k = u64::from_be_bytes(page[i + 16..i + 24].try_into().unwrap());
                if not_k == !k {
                    best = best.max(Some(k));
                }
                i += 24;
            } else {
                i += 1;
            }
        }
    }
    best
}

/// The `p`th percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx]
}

/// Median (upper middle).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// User + system CPU seconds of process `pid` (from `/proc/PID/stat`).
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / hz
}
