//! S3 replica tests against the in-process `s3s` server (which verifies SigV4), and the
//! helpers the other test modules share (LTX-headed files, keys).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use litestream_core::io::{ObjectKey, StoreFail};
use litestream_core::ltx::{Header, HEADER_FLAG_NO_CHECKSUM};

use super::config::S3Options;
use super::testserver::{TestServer, ACCESS_KEY, SECRET_KEY};
use super::*;
use crate::replica::ReplicaClient;

/// Pseudo-random bytes (deterministic, incompressible enough).
pub(super) fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// An LTX-headed file of `len` bytes (header + pseudo-random rest) in `dir`.
pub(super) fn ltx_file(dir: &Path, key: ObjectKey, len: usize, ts_ms: i64) -> (PathBuf, Vec<u8>) {
    let h = Header {
        flags: HEADER_FLAG_NO_CHECKSUM,
        page_size: 4096,
        commit: 1,
        min_txid: key.min_txid,
        max_txid: key.max_txid,
        timestamp: ts_ms,
        ..Header::default()
    };
    let mut data = h.encode().to_vec();
    data.extend(bytes(
        len.saturating_sub(data.len()),
        key.max_txid ^ len as u64,
    ));
    let p = dir.join(format!(
        "{}-{}-{}.ltx",
        key.level, key.min_txid, key.max_txid
    ));
    std::fs::write(&p, &data).expect("write test file");
    (p, data)
}

pub(super) fn k(level: u8, min: u64, max: u64) -> ObjectKey {
    ObjectKey {
        level,
        min_txid: min,
        max_txid: max,
    }
}

pub(super) fn read_all(r: &S3Replica, key: ObjectKey) -> Vec<u8> {
    let mut out = Vec::new();
    r.open(key)
        .expect("open")
        .read_to_end(&mut out)
        .expect("read");
    out
}

/// HEAD an object with a raw signed request: its headers.
fn head(r: &S3Replica, key: &str) -> ureq::http::HeaderMap {
    let url = r.inner.signer.head(key);
    let resp = ureq::Agent::new_with_defaults()
        .head(url.as_str())
        .call()
        .expect("HEAD");
    resp.headers().clone()
}

#[test]
fn put_list_open_get_delete_round_trip() {
    let srv = TestServer::start(&["bkt"]);
    let r = S3Replica::new(srv.options("bkt", "db")).expect("replica");
    let tmp = tempfile::tempdir().expect("tmp");
    let key = k(0, 1, 1);
    let (src, data) = ltx_file(tmp.path(), key, 10_000, 1_714_557_600_123);
    r.put(key, &src).expect("put");
    let (src2, _) = ltx_file(tmp.path(), k(0, 2, 3), 500, 0);
    r.put(k(0, 2, 3), &src2).expect("put 2");
    let (src9, _) = ltx_file(tmp.path(), k(9, 1, 3), 700, 0);
    r.put(k(9, 1, 3), &src9).expect("put snapshot");

    assert!(srv
        .root
        .join("bkt/db/0000/0000000000000001-0000000000000001.ltx")
        .exists());
    assert!(srv
        .root
        .join("bkt/db/0009/0000000000000001-0000000000000003.ltx")
        .exists());

    let l0 = r.list(0).expect("list");
    assert_eq!(
        l0.iter().map(|o| o.key).collect::<Vec<_>>(),
        vec![key, k(0, 2, 3)]
    );
    assert_eq!(l0[0].size, 10_000);
    assert!(
        l0[0].created.0 > 1_600_000_000_000,
        "LastModified parsed: {:?}",
        l0[0]
    );
    assert_eq!(r.list(9).expect("list 9").len(), 1);
    assert!(r.list(1).expect("empty level").is_empty());

    let h = head(&r, &r.key_of(key));
    assert_eq!(
        h.get(TIMESTAMP_HEADER).and_then(|v| v.to_str().ok()),
        Some("2024-05-01T10:00:00.123Z")
    );

    assert_eq!(read_all(&r, key), data);
    let dest = tmp.path().join("got.ltx");
    r.get(key, &dest).expect("get");
    assert_eq!(std::fs::read(&dest).expect("read dest"), data);

    r.delete(&[key, k(0, 7, 7)])
        .expect("delete (a missing key is fine)");
    assert_eq!(r.list(0).expect("list").len(), 1);
    match r.open(key) {
        Err(StoreFail::NotFound(m)) => assert!(m.contains("db/0000/"), "{m}"),
        Err(e) => panic!("want NotFound, got {e:?}"),
        Ok(_) => panic!("deleted object still opens"),
    }
}

#[test]
fn listing_over_1000_continues_and_deletes_in_batches() {
    let srv = TestServer::start(&["many"]);
    let r = S3Replica::new(srv.options("many", "big")).expect("replica");
    let tmp = tempfile::tempdir().expect("tmp");
    let n = 1_050u64;
    let (src, _) = ltx_file(tmp.path(), k(0, 1, 1), 120, 0);
    let keys: Vec<ObjectKey> = (1..=n).map(|t| k(0, t, t)).collect();
    for key in &keys {
        // The header TXIDs do not matter for the store; one source file serves all.
        r.put(*key, &src).expect("put");
    }
    // A junk key in the level is skipped.
    std::fs::write(srv.root.join("many/big/0000/README"), b"x").expect("junk");
    let (all, pages) = list::list_level(&r.inner, 0, None).expect("list");
    assert_eq!(all.len() as u64, n);
    assert!(
        pages >= 2,
        "1,050 keys need a continuation: {pages} page(s)"
    );
    assert_eq!(all.iter().map(|o| o.key).collect::<Vec<_>>(), keys);
    let (small, pages) = list::list_level(&r.inner, 0, Some(100)).expect("list by 100");
    assert_eq!((small.len() as u64, pages), (n, 11));

    r.delete(&keys).expect("delete 1,050 in two batches");
    assert!(r.list(0).expect("list").is_empty());
}

#[test]
fn multipart_upload_above_part_size() {
    let srv = TestServer::start(&["mpu"]);
    let mut opts = srv.options("mpu", "db");
    opts.concurrency = 2;
    let r = S3Replica::new(opts).expect("replica");
    let tmp = tempfile::tempdir().expect("tmp");
    let key = k(9, 1, 1000);
    let (src, data) = ltx_file(tmp.path(), key, 12 * 1024 * 1024 + 17, 1_000);
    r.put(key, &src).expect("multipart put");
    let l = r.list(9).expect("list");
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].size, data.len() as u64);
    let got = read_all(&r, key);
    assert!(
        got == data,
        "multipart object differs ({} vs {} bytes)",
        got.len(),
        data.len()
    );
    let h = head(&r, &r.key_of(key));
    assert_eq!(
        h.get(TIMESTAMP_HEADER).and_then(|v| v.to_str().ok()),
        Some("1970-01-01T00:00:01Z")
    );
    // Exactly one part size is single PUT's upper bound: part_size bytes go multipart.
    let (edge, edge_data) = ltx_file(tmp.path(), k(9, 1, 1001), 5 * 1024 * 1024, 0);
    r.put(k(9, 1, 1001), &edge).expect("one-part multipart");
    assert!(read_all(&r, k(9, 1, 1001)) == edge_data);
}

#[test]
fn wrong_secret_is_forbidden_and_never_printed() {
    let srv = TestServer::start(&["sec"]);
    let mut opts = srv.options("sec", "db");
    let wrong = "WrongSecret/For+This=Test0123456789";
    opts.secret_access_key = wrong.to_string();
    opts.session_token = Some("SeSsIoNtOkEnValue".to_string());
    let r = S3Replica::new(opts).expect("replica");
    let tmp = tempfile::tempdir().expect("tmp");
    let (src, _) = ltx_file(tmp.path(), k(0, 1, 1), 300, 0);
    let mut texts = vec![format!("{r:?}"), format!("{:?}", r.options())];
    let results = [
        r.put(k(0, 1, 1), &src).err(),
        r.list(0).err(),
        r.open(k(0, 1, 1)).err(),
        r.delete(&[k(0, 1, 1)]).err(),
    ];
    for e in results {
        let e = e.expect("a wrong secret must fail");
        assert!(matches!(e, StoreFail::Forbidden(_)), "{e:?}");
        assert!(
            e.message()
                .contains("access denied for s3://sec/db: check the access key"),
            "{e:?}"
        );
        texts.push(format!("{e:?}"));
        texts.push(e.message().to_string());
    }
    for t in &texts {
        for secret in [wrong, SECRET_KEY, "SeSsIoNtOkEnValue"] {
            assert!(!t.contains(secret), "secret printed: {t}");
        }
    }
}

#[test]
fn unknown_bucket_is_not_found_naming_it() {
    let srv = TestServer::start(&["exists"]);
    let r = S3Replica::new(srv.options("nosuchbkt", "db")).expect("replica");
    let e = r.list(0).expect_err("no bucket");
    assert!(matches!(e, StoreFail::NotFound(_)), "{e:?}");
    assert!(
        e.message().contains("bucket \"nosuchbkt\" does not exist"),
        "{e:?}"
    );
    let e = r.open(k(0, 1, 1)).err().expect("no bucket");
    assert!(e.message().contains("nosuchbkt"), "{e:?}");
    // (s3s-fs creates a missing bucket directory on PUT, so PUT is not checked here.)
}

#[test]
fn unreachable_endpoint_is_transient() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let opts = S3Options {
        bucket: "b".into(),
        path: "db".into(),
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET_KEY.into(),
        ..S3Options::default()
    };
    let r = S3Replica::new(opts).expect("replica");
    let t0 = std::time::Instant::now();
    let e = r.list(0).expect_err("nobody listens");
    assert!(matches!(e, StoreFail::Transient(_)), "{e:?}");
    assert!(e.message().contains("s3://b/db"), "{e:?}");
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "in-call retries are short"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let (src, _) = ltx_file(tmp.path(), k(0, 1, 1), 300, 0);
    assert!(matches!(
        r.put(k(0, 1, 1), &src),
        Err(StoreFail::Transient(_))
    ));
    assert!(matches!(r.open(k(0, 1, 1)), Err(StoreFail::Transient(_))));
}

#[test]
fn keys_with_spaces_and_plus() {
    let srv = TestServer::start(&["odd"]);
    let r = S3Replica::new(srv.options("odd", "my db/a+b c")).expect("replica");
    let tmp = tempfile::tempdir().expect("tmp");
    let (src, data) = ltx_file(tmp.path(), k(0, 5, 9), 2_000, 0);
    r.put(k(0, 5, 9), &src).expect("put");
    assert!(srv
        .root
        .join("odd/my db/a+b c/0000/0000000000000005-0000000000000009.ltx")
        .exists());
    let l = r.list(0).expect("list");
    assert_eq!(
        l.iter().map(|o| o.key).collect::<Vec<_>>(),
        vec![k(0, 5, 9)]
    );
    assert_eq!(read_all(&r, k(0, 5, 9)), data);
    r.delete(&[k(0, 5, 9)]).expect("delete");
    assert!(r.list(0).expect("list").is_empty());
}
