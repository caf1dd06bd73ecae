//! The S3 client through the fault-injecting proxy: injected 500/503 answers, answers cut
//! mid-body and stalls. Uploads eventually land, `open` returns exactly the object's
//! bytes (the resuming reader re-requests ranges), and every failure is `Transient`.

use std::io::Read;
use std::sync::atomic::Ordering;
use std::time::Duration;

use litestream_core::io::StoreFail;

use super::testproxy::{FaultProxy, Faults};
use super::tests::{k, ltx_file};
use super::testserver::TestServer;
use super::S3Replica;
use crate::replica::ReplicaClient;

const NO_FAULTS: Faults = Faults {
    error: 0.0,
    drop: 0.0,
    stall: 0.0,
    stall_for: Duration::ZERO,
    seed: 1,
};

/// Retry like the core's lane would (transient only), counting failures.
fn until_ok<T>(what: &str, mut f: impl FnMut() -> Result<T, StoreFail>) -> (T, u32) {
    let mut failures = 0;
    for _ in 0..60 {
        match f() {
            Ok(v) => return (v, failures),
            Err(StoreFail::Transient(_)) => failures += 1,
            Err(e) => panic!("{what}: a fault was not classified transient: {e:?}"),
        }
    }
    panic!("{what}: still failing after 60 attempts");
}

#[test]
fn resuming_reader_survives_cut_streams() {
    let srv = TestServer::start(&["rrr"]);
    let direct = S3Replica::new(srv.options("rrr", "db")).expect("replica");
    let tmp = tempfile::tempdir().expect("tmp");
    let key = k(9, 1, 42);
    let (src, data) = ltx_file(tmp.path(), key, 3 * 1024 * 1024 + 5, 7);
    direct.put(key, &src).expect("put directly");

    // Every answer is cut: the first GET and every ranged re-request deliver a part.
    let proxy = FaultProxy::start(
        srv.addr,
        Faults {
            drop: 1.0,
            ..NO_FAULTS
        },
    );
    let mut opts = srv.options("rrr", "db");
    opts.endpoint = Some(proxy.endpoint());
    let r = S3Replica::new(opts).expect("replica via proxy");
    let (mut reader, _) = until_ok("open", || r.open_resuming(key));
    let mut got = Vec::new();
    // Each response is cut inside its first 2 MiB, so progress is guaranteed but slow;
    // turn faults off after a few cuts to bound the test's time.
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if reader.resumes >= 6 {
            proxy.set_faults(NO_FAULTS);
        }
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("resuming reader failed: {e}"),
        }
    }
    assert!(reader.resumes >= 1, "the stream was never cut");
    assert_eq!(got.len(), data.len());
    assert!(got == data, "resumed bytes differ");
}

#[test]
fn uploads_and_downloads_through_random_faults() {
    let srv = TestServer::start(&["fff"]);
    let proxy = FaultProxy::start(
        srv.addr,
        Faults {
            error: 0.2,
            drop: 0.15,
            stall: 0.1,
            stall_for: Duration::from_millis(1500),
            seed: 0x5eed,
        },
    );
    let mut opts = srv.options("fff", "db");
    opts.endpoint = Some(proxy.endpoint());
    opts.io_timeout = Duration::from_millis(700);
    opts.concurrency = 3;
    let r = S3Replica::new(opts).expect("replica via proxy");
    let tmp = tempfile::tempdir().expect("tmp");

    let mut files = Vec::new();
    for t in 1..=12u64 {
        let len = if t == 12 {
            11 * 1024 * 1024
        } else {
            20_000 * t as usize
        };
        let key = if t == 12 { k(9, 1, 11) } else { k(0, t, t) };
        let (src, data) = ltx_file(tmp.path(), key, len, t as i64);
        until_ok("put", || r.put(key, &src));
        files.push((key, data));
    }
    let (l0, _) = until_ok("list", || r.list(0));
    assert_eq!(l0.len(), 11);
    for (key, data) in &files {
        let got = until_ok("read", || {
            let mut out = Vec::new();
            let mut rd = r.open(*key)?;
            rd.read_to_end(&mut out)
                .map_err(|e| StoreFail::Transient(e.to_string()))?;
            Ok(out)
        })
        .0;
        assert!(&got == data, "object {key:?} differs after faults");
    }
    let keys: Vec<_> = files.iter().map(|(k, _)| *k).collect();
    until_ok("delete", || r.delete(&keys));
    proxy.set_faults(NO_FAULTS);
    assert!(r.list(0).expect("list").is_empty());
    assert!(r.list(9).expect("list").is_empty());

    let s = &proxy.stats;
    let (errors, drops, stalls) = (
        s.errors.load(Ordering::SeqCst),
        s.drops.load(Ordering::SeqCst),
        s.stalls.load(Ordering::SeqCst),
    );
    assert!(
        errors > 0 && drops > 0 && stalls > 0,
        "faults injected: {errors}/{drops}/{stalls}"
    );
}
