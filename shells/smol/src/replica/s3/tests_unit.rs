//! Unit tests of the S3 replica that need no server: keys, URLs against rusty-s3's own
//! output, timestamps, option validation, credential precedence, error classification.

use std::time::Duration;

use litestream_core::io::StoreFail;
use rusty_s3::{Bucket, S3Action, UrlStyle};

use super::config::S3Options;
use super::tests::k;
use super::*;

#[test]
fn empty_path_uses_dot_like_litestream() {
    assert_eq!(
        object_key(".", k(0, 1, 2)),
        "./0000/0000000000000001-0000000000000002.ltx"
    );
    let o = S3Options::default();
    assert_eq!(o.key_prefix(), ".");
    assert_eq!(
        object_key("db", k(9, 1, 0x4d2)),
        "db/0009/0000000000000001-00000000000004d2.ltx"
    );
    assert_eq!(level_prefix("db", 10), "db/000a/");
}

fn opts_for(endpoint: Option<&str>, path_style: bool) -> S3Options {
    S3Options {
        bucket: "my-bucket".into(),
        path: "db".into(),
        region: Some("eu-west-1".into()),
        endpoint: endpoint.map(str::to_string),
        force_path_style: path_style,
        access_key_id: "AKID".into(),
        secret_access_key: "SECRET".into(),
        ..S3Options::default()
    }
}

#[test]
fn urls_match_rusty_s3_for_both_styles() {
    let key = "db/0000/0000000000000001-0000000000000001.ltx";
    // AWS, virtual-host style.
    let s = sign::Signer::new(&opts_for(None, false)).expect("signer");
    let want = Bucket::new(
        "https://s3.eu-west-1.amazonaws.com".parse().expect("url"),
        UrlStyle::VirtualHost,
        "my-bucket",
        "eu-west-1",
    )
    .expect("bucket");
    assert_eq!(s.object_url(key), want.object_url(key));
    assert_eq!(
        s.object_url(key).as_str(),
        "https://my-bucket.s3.eu-west-1.amazonaws.com/db/0000/0000000000000001-0000000000000001.ltx"
    );
    // Forced path style on a named endpoint.
    let s = sign::Signer::new(&opts_for(Some("https://minio.example:9000"), true)).expect("s");
    assert_eq!(
        s.object_url("a b+c/x").as_str(),
        "https://minio.example:9000/my-bucket/a%20b%2Bc/x"
    );
    // An IP endpoint is always path style (virtual host cannot work on an IP).
    let s = sign::Signer::new(&opts_for(Some("http://127.0.0.1:9000"), false)).expect("s");
    let want = Bucket::new(
        "http://127.0.0.1:9000".parse().expect("url"),
        UrlStyle::Path,
        "my-bucket",
        "eu-west-1",
    )
    .expect("bucket");
    assert_eq!(s.object_url(key), want.object_url(key));
    // A presigned GET carries the signature in the query and UNSIGNED-PAYLOAD semantics.
    let signed = s.get(key);
    assert!(signed.as_str().contains("X-Amz-Signature="), "{signed}");
    assert!(!signed.as_str().contains("SECRET"), "{signed}");
    let creds = rusty_s3::Credentials::new("AKID", "SECRET");
    let now = jiff::Timestamp::from_second(1_700_000_000).expect("ts");
    let a = want
        .get_object(Some(&creds), key)
        .sign_with_time(Duration::from_secs(60), &now);
    assert!(
        a.as_str()
            .starts_with("http://127.0.0.1:9000/my-bucket/db/0000/"),
        "{a}"
    );
    // No scheme → https; AWS endpoint from the region.
    let o = opts_for(Some("storage.example.com"), false);
    assert_eq!(
        sign::endpoint_url(&o).expect("url").as_str(),
        "https://storage.example.com/"
    );
    // Another scheme is refused, naming the endpoint.
    let o = opts_for(Some("ftp://127.0.0.1:9"), true);
    let e = sign::endpoint_url(&o).expect_err("ftp endpoint");
    assert!(
        e.contains("\"ftp://127.0.0.1:9\"") && e.contains("http or https"),
        "{e}"
    );
}

#[test]
fn timestamps_are_rfc3339_nano_utc() {
    assert_eq!(rfc3339_nano(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339_nano(1_500), "1970-01-01T00:00:01.5Z");
    assert_eq!(rfc3339_nano(1_714_557_600_123), "2024-05-01T10:00:00.123Z");
    assert_eq!(rfc3339_nano(1_714_557_600_100), "2024-05-01T10:00:00.1Z");
}

#[test]
fn part_size_below_5mib_is_rejected_with_a_hint() {
    let mut o = opts_for(None, false);
    o.part_size = 5_000_000;
    let e = S3Replica::new(o).expect_err("5MB < 5MiB");
    assert!(
        e.contains("`5MB` means 5,000,000 bytes") && e.contains("5MiB"),
        "{e}"
    );
    let mut o = opts_for(None, false);
    o.concurrency = 0;
    assert!(S3Replica::new(o).is_err());
    let mut o = opts_for(None, false);
    o.secret_access_key.clear();
    o.access_key_id.clear();
    let e = S3Replica::new(o).expect_err("no credentials");
    assert!(e.contains("AWS_ACCESS_KEY_ID"), "{e}");
    assert_eq!(
        multipart::effective_part_size(5 << 20, 100 << 30),
        10_737_419
    );
}

#[test]
fn credentials_follow_litestream_precedence() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |n: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        }
    };
    let all: &'static [(&str, &str)] = &[
        ("LITESTREAM_ACCESS_KEY_ID", "ls-id"),
        ("LITESTREAM_SECRET_ACCESS_KEY", "ls-secret"),
        ("AWS_ACCESS_KEY_ID", "aws-id"),
        ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
        ("AWS_SESSION_TOKEN", "tok"),
        ("AWS_REGION", "eu-north-1"),
        ("AWS_DEFAULT_REGION", "ap-south-1"),
    ];
    // Config keys win.
    let mut o = opts_for(None, false);
    o.region = None;
    o.resolve_env(env(all));
    assert_eq!(
        (o.access_key_id.as_str(), o.session_token.as_deref()),
        ("AKID", None)
    );
    assert_eq!(o.region.as_deref(), Some("eu-north-1"));
    // Then AWS_*.
    let mut o = S3Options::default();
    o.resolve_env(env(all));
    assert_eq!(
        (
            o.access_key_id.as_str(),
            o.secret_access_key.as_str(),
            o.session_token.as_deref()
        ),
        ("aws-id", "aws-secret", Some("tok"))
    );
    // Then LITESTREAM_*.
    let mut o = S3Options::default();
    o.resolve_env(env(&[
        ("LITESTREAM_ACCESS_KEY_ID", "ls-id"),
        ("LITESTREAM_SECRET_ACCESS_KEY", "ls-secret"),
        ("AWS_DEFAULT_REGION", "ap-south-1"),
    ]));
    assert_eq!(
        (o.access_key_id.as_str(), o.secret_access_key.as_str()),
        ("ls-id", "ls-secret")
    );
    assert_eq!(o.region.as_deref(), Some("ap-south-1"));
    assert!(!format!("{o:?}").contains("ls-secret"));
}

#[test]
fn error_documents_are_classified() {
    let ctx = errors::Ctx {
        op: "GET",
        bucket: "b",
        location: "s3://b/db",
        key: Some("db/0000/x.ltx"),
        endpoint: "",
    };
    let doc = |code: &str| {
        format!(
            "<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>m &amp; n</Message></Error>"
        )
    };
    let c = |status, code: &str| errors::classify(&ctx, status, &doc(code), None);
    assert!(matches!(c(503, "SlowDown"), StoreFail::Transient(_)));
    assert!(matches!(c(500, "InternalError"), StoreFail::Transient(_)));
    assert!(matches!(c(502, ""), StoreFail::Transient(_)));
    assert!(matches!(c(504, ""), StoreFail::Transient(_)));
    assert!(matches!(c(400, "RequestTimeout"), StoreFail::Transient(_)));
    assert!(matches!(c(404, "NoSuchKey"), StoreFail::NotFound(_)));
    assert!(matches!(
        c(412, "PreconditionFailed"),
        StoreFail::Precondition(_)
    ));
    assert!(matches!(c(400, "InvalidArgument"), StoreFail::Forbidden(_)));
    let e = c(403, "SignatureDoesNotMatch");
    assert!(
        e.message()
            .contains("access denied for s3://b/db: check the access key"),
        "{e:?}"
    );
    assert!(e.message().contains("m & n"), "{e:?}");
    let e = c(404, "NoSuchBucket");
    assert_eq!(
        e,
        StoreFail::NotFound(
            "bucket \"b\" does not exist (s3://b/db): create it or fix the bucket name".into()
        )
    );
    let e = errors::classify(&ctx, 301, "", Some("eu-west-3"));
    assert!(e.message().contains("set region: eu-west-3"), "{e:?}");
    assert_eq!(errors::parse_error("<ListBucketResult/>"), None);
}

#[test]
fn raw_presign_matches_rusty_s3_and_keeps_dot_segments() {
    let now = jiff::Timestamp::from_second(1_700_000_000).expect("ts");
    for (endpoint, style) in [
        ("http://127.0.0.1:9000", UrlStyle::Path),
        ("https://s3.eu-west-1.amazonaws.com", UrlStyle::VirtualHost),
    ] {
        let bucket =
            Bucket::new(endpoint.parse().expect("url"), style, "bkt", "eu-west-1").expect("bucket");
        for token in [None, Some("tok/en+=")] {
            let creds = match token {
                Some(t) => rusty_s3::Credentials::new_with_token("AKID", "SECRET", t),
                None => rusty_s3::Credentials::new("AKID", "SECRET"),
            };
            let key = "my db/a+b/0000/0000000000000001-0000000000000002.ltx";
            let raw = |method, query: Vec<(&'static str, String)>, headers| {
                sign_raw::presign(
                    &sign_raw::Raw {
                        method,
                        base: bucket.base_url(),
                        key,
                        query,
                        headers,
                        key_id: "AKID",
                        secret: "SECRET",
                        token,
                        region: "eu-west-1",
                        expires: 3600,
                    },
                    now,
                )
            };
            let hour = Duration::from_secs(3600);
            let mut put = bucket.put_object(Some(&creds), key);
            put.headers_mut()
                .insert(TIMESTAMP_HEADER, "2024-05-01T10:00:00Z");
            assert_eq!(
                raw(
                    "PUT",
                    vec![],
                    vec![(TIMESTAMP_HEADER, "2024-05-01T10:00:00Z".into())]
                ),
                put.sign_with_time(hour, &now).as_str()
            );
            let get = bucket.get_object(Some(&creds), key);
            assert_eq!(
                raw("GET", vec![], vec![]),
                get.sign_with_time(hour, &now).as_str()
            );
            let part = bucket.upload_part(Some(&creds), key, 3, "up/id+1");
            let q = vec![
                ("partNumber", "3".to_string()),
                ("uploadId", "up/id+1".to_string()),
            ];
            assert_eq!(
                raw("PUT", q, vec![]),
                part.sign_with_time(hour, &now).as_str()
            );
            let create = bucket.create_multipart_upload(Some(&creds), key);
            assert_eq!(
                raw("POST", vec![("uploads", "1".to_string())], vec![]),
                create.sign_with_time(hour, &now).as_str()
            );
        }
    }
    // url::Url drops dot segments; the raw signer keeps them.
    assert!(sign_raw::has_dot_segment("./0000/x.ltx"));
    assert!(!sign_raw::has_dot_segment("db.x/.hidden/0000"));
    let s = sign::Signer::new(&opts_for(Some("http://127.0.0.1:9000"), true)).expect("signer");
    let dotted = s.get("./0000/0000000000000001-0000000000000001.ltx");
    assert!(
        dotted.starts_with("http://127.0.0.1:9000/my-bucket/./0000/0000000000000001-"),
        "{dotted}"
    );
    assert!(!s.object_url("./0000/x").as_str().contains("/./"));
}
