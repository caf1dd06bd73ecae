//! Control socket throughput and latency: `GET /txid` and `GET /list` with 1,000
//! registered databases, from this (second) process over the Unix socket.
//!
//! Run: `cargo build --release -p litestream && cargo bench -p litestream-e2e --bench ipc`
//! Knobs (env): `IPC_BENCH_DBS` (1000), `IPC_BENCH_CLIENTS` (4), `IPC_BENCH_SECS` (5),
//! `IPC_BENCH_PROFILE=FILE` (CPU profile of the daemon during the `/txid` run).
//! Each client keeps one HTTP/1.1 keep-alive connection and sends requests back to back.

#[path = "support/benchkit.rs"]
mod benchkit;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use litestream_e2e::ipc::{http, Daemon};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One keep-alive connection.
struct Conn {
    w: UnixStream,
    r: BufReader<UnixStream>,
}

impl Conn {
    fn open(sock: &Path) -> Conn {
        let w = UnixStream::connect(sock).expect("connect");
        let r = BufReader::new(w.try_clone().expect("clone"));
        Conn { w, r }
    }

    /// Send `GET path`, read the whole answer, return (status, body length).
    fn get(&mut self, path: &str) -> (u16, usize) {
        write!(self.w, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("write");
        let mut line = String::new();
        self.r.read_line(&mut line).expect("status line");
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let mut len = 0;
        loop {
            line.clear();
            self.r.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().expect("length");
                }
            }
        }
        let mut body = vec![0; len];
        self.r.read_exact(&mut body).expect("body");
        (status, len)
    }
}

fn run(sock: &Path, path: &str, clients: u64, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (sock, path) = (sock.to_path_buf(), path.to_string());
            std::thread::spawn(move || {
                let mut c = Conn::open(&sock);
                let mut lat = Vec::new();
                let mut bytes = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let (status, len) = c.get(&path);
                    lat.push(t.elapsed());
                    assert_eq!(status, 200);
                    bytes = len;
                }
                (lat, bytes)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut body = 0;
    for t in threads {
        let (lat, b) = t.join().expect("client");
        all.extend(lat);
        body = b;
    }
    all.sort_unstable();
    let pct = |p: f64| {
        let i = ((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1));
        all.get(i).copied().unwrap_or_default()
    };
    println!(
        "{:<22} {:>9.0} req/s   p50 {:>8.1?}   p99 {:>8.1?}   ({} requests, {} clients, body {} bytes)",
        path.split('?').next().unwrap_or(path),
        all.len() as f64 / secs as f64,
        pct(0.50),
        pct(0.99),
        all.len(),
        clients,
        body
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dbs = env("IPC_BENCH_DBS", 1000);
    let clients = env("IPC_BENCH_CLIENTS", 4);
    let secs = env("IPC_BENCH_SECS", 5);
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("ls.sock");
    let daemon = Daemon::start(&sock, &[]);
    let t = Instant::now();
    for i in 0..dbs {
        let db = dir.path().join(format!("db{i}.db"));
        let c = rusqlite::Connection::open(&db).expect("open");
        c.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v);")
            .expect("create");
        drop(c);
        let body = format!(
            r#"{{"path":"{}","replica_url":"file://{}/replica{i}"}}"#,
            db.display(),
            dir.path().display()
        );
        let (code, _, b) =
            http(&sock, "POST", "/register", Some(body.as_bytes())).expect("register");
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&b));
    }
    println!("registered {dbs} databases in {:.1?}", t.elapsed());
    // Let the first sync passes settle, then measure what the idle databases cost.
    std::thread::sleep(Duration::from_secs(3));
    let pid = daemon.child.id();
    let (c0, t0) = (benchkit::cpu_secs(pid), std::time::Instant::now());
    std::thread::sleep(Duration::from_secs(3));
    println!(
        "daemon CPU with {dbs} idle databases: {:.1} % of one core",
        (benchkit::cpu_secs(pid) - c0) / t0.elapsed().as_secs_f64() * 100.0
    );
    let first = dir.path().join("db0.db");
    // IPC_BENCH_PROFILE=FILE: save a CPU profile of the daemon taken during the /txid run.
    let profiler = std::env::var("IPC_BENCH_PROFILE").ok().map(|out| {
        let sock = sock.clone();
        let secs = secs.saturating_sub(1).max(1);
        std::thread::spawn(move || {
            let path = format!("/debug/pprof/profile?seconds={secs}");
            let (code, _, body) = http(&sock, "GET", &path, None).expect("profile");
            assert_eq!(code, 200);
            std::fs::write(&out, body).expect("write profile");
        })
    });
    let txid = format!("/txid?path={}", first.display());
    run(&sock, &txid, clients, secs);
    if let Some(p) = profiler {
        p.join().expect("profiler");
    }
    run(&sock, "/list", clients, secs);
    run(&sock, "/info", clients, secs);
}
