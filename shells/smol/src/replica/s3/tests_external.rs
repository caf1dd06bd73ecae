//! The same checks against an external S3 server, e.g. SeaweedFS started by
//! `tests/s3/seaweedfs.sh start DIR` (then `. DIR/seaweedfs.env`). Ignored by default:
//!
//! ```text
//! S3_ENDPOINT=… S3_BUCKET=… AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… \
//!     cargo test -p litestream s3::tests_external -- --ignored
//! ```

use litestream_core::io::StoreFail;

use super::config::S3Options;
use super::tests::{k, ltx_file, read_all};
use super::S3Replica;
use crate::replica::ReplicaClient;

/// Options from the environment; panics with the command to run when it is not set.
fn env_options(path: &str) -> S3Options {
    let var = |n: &str| {
        std::env::var(n).unwrap_or_else(|_| {
            panic!("{n} is not set: run `tests/s3/seaweedfs.sh start DIR` and source DIR/seaweedfs.env")
        })
    };
    S3Options {
        bucket: var("S3_BUCKET"),
        path: path.to_string(),
        endpoint: Some(var("S3_ENDPOINT")),
        force_path_style: true,
        ..S3Options::default()
    }
    .with_env_credentials()
}

#[test]
#[ignore = "needs an external S3 server: tests/s3/seaweedfs.sh"]
fn external_round_trip_dot_path_odd_keys_multipart() {
    let tmp = tempfile::tempdir().expect("tmp");
    // (SeaweedFS rejects `./` keys with 400 InvalidRequest, so the empty path, `./0000/…`,
    // is covered by the signing unit tests and the check below instead.)
    let r = S3Replica::new(env_options("")).expect("replica");
    let (small, _) = ltx_file(tmp.path(), k(0, 1, 1), 3_000, 1_500);
    match r.put(k(0, 1, 1), &small) {
        Ok(()) => assert_eq!(read_all(&r, k(0, 1, 1)).len(), 3_000),
        Err(e) => assert!(e.message().contains("add a path"), "{e:?}"),
    }
    let _ = r.delete(&[k(0, 1, 1)]);
    for path in ["ext db/a+b", "db"] {
        let r = S3Replica::new(env_options(path)).expect("replica");
        let _ = r.delete(&[k(0, 1, 1), k(9, 1, 5)]);
        let (small, small_data) = ltx_file(tmp.path(), k(0, 1, 1), 3_000, 1_500);
        r.put(k(0, 1, 1), &small).expect("put");
        let (big, big_data) = ltx_file(tmp.path(), k(9, 1, 5), 12 * 1024 * 1024 + 3, 0);
        r.put(k(9, 1, 5), &big).expect("multipart put");
        if path.is_empty() {
            assert_eq!(
                r.key_of(k(0, 1, 1)),
                "./0000/0000000000000001-0000000000000001.ltx"
            );
        }
        let l0 = r.list(0).expect("list 0");
        assert_eq!(
            l0.iter().map(|o| o.key).collect::<Vec<_>>(),
            vec![k(0, 1, 1)],
            "{path:?}"
        );
        assert_eq!(r.list(9).expect("list 9")[0].size, big_data.len() as u64);
        assert_eq!(read_all(&r, k(0, 1, 1)), small_data);
        assert!(
            read_all(&r, k(9, 1, 5)) == big_data,
            "multipart object differs"
        );
        r.delete(&[k(0, 1, 1), k(9, 1, 5)]).expect("delete");
        assert!(r.list(0).expect("list").is_empty());
        assert!(r.list(9).expect("list").is_empty());
    }
}

#[test]
#[ignore = "needs an external S3 server: tests/s3/seaweedfs.sh"]
fn external_listing_and_deleting_over_1000() {
    let r = S3Replica::new(env_options("ext-many")).expect("replica");
    let tmp = tempfile::tempdir().expect("tmp");
    let (src, _) = ltx_file(tmp.path(), k(0, 1, 1), 200, 0);
    let keys: Vec<_> = (1..=1_050).map(|t| k(0, t, t)).collect();
    for key in &keys {
        r.put(*key, &src).expect("put");
    }
    let (all, pages) = super::list::list_level(&r.inner, 0, None).expect("list");
    assert_eq!(all.iter().map(|o| o.key).collect::<Vec<_>>(), keys);
    assert!(pages >= 2, "{pages} page(s)");
    r.delete(&keys).expect("delete in batches");
    assert!(r.list(0).expect("list").is_empty());
}

#[test]
#[ignore = "needs an external S3 server: tests/s3/seaweedfs.sh"]
fn external_wrong_secret_and_unknown_bucket() {
    let mut o = env_options("db");
    let wrong = "Wrong/Secret+For=External0123";
    o.secret_access_key = wrong.to_string();
    let r = S3Replica::new(o).expect("replica");
    let e = r.list(0).expect_err("wrong secret");
    assert!(matches!(e, StoreFail::Forbidden(_)), "{e:?}");
    assert!(e.message().contains("access denied for s3://"), "{e:?}");
    assert!(!format!("{e:?}{r:?}").contains(wrong));

    let mut o = env_options("db");
    o.bucket = "no-such-bucket-litestream".to_string();
    let r = S3Replica::new(o).expect("replica");
    let e = r.list(0).expect_err("unknown bucket");
    assert!(matches!(e, StoreFail::NotFound(_)), "{e:?}");
    assert!(
        e.message()
            .contains("bucket \"no-such-bucket-litestream\" does not exist"),
        "{e:?}"
    );
}
