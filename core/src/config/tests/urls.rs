//! Replica URL tables of CLI_CONFIG.md §5.1–5.3.

use crate::config::url::{ensure_endpoint_scheme, parse_s3_host, S3Host};
use crate::config::*;
use std::path::{Path, PathBuf};

fn no_env(_: &str) -> Option<String> {
    None
}

fn target(
    url: &str,
    dialect: UrlDialect,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ReplicaTarget, ConfigError> {
    let env = UrlEnv {
        lookup_env: env,
        cwd: Path::new("/work"),
        home: Some(Path::new("/home/me")),
    };
    replica_target_from_url(url, dialect, &env)
}

fn s3(url: &str, dialect: UrlDialect, env: &dyn Fn(&str) -> Option<String>) -> S3Target {
    match target(url, dialect, env) {
        Ok(ReplicaTarget::S3(t)) => t,
        other => panic!("{url}: expected s3, got {other:?}"),
    }
}

#[test]
fn general_parsing() {
    let u = parse_replica_url("S3://bkt/a//b/../c/?x=1&y=a+b&y=2#frag").unwrap();
    assert_eq!(
        (u.scheme.as_str(), u.kind, u.host.as_str(), u.path.as_str()),
        ("s3", ReplicaKind::S3, "bkt", "a/c")
    );
    assert_eq!(u.query_get("y"), Some("a b"));
    assert_eq!(parse_replica_url("s3://bkt").unwrap().path, ".");
    assert_eq!(parse_replica_url("s3://bkt/").unwrap().path, "");
    assert_eq!(
        parse_replica_url("s3://bkt/my%20dir").unwrap().path,
        "my dir"
    );
    assert_eq!(
        parse_replica_url("webdavs://u@h:8443/x").unwrap().kind,
        ReplicaKind::Webdav
    );
    assert_eq!(
        parse_replica_url("webdavs://u@h:8443/x")
            .unwrap()
            .user
            .as_deref(),
        Some("u")
    );
    assert_eq!(
        parse_replica_url("file:///abs/path?x=1").unwrap().path,
        "/abs/path"
    );
    assert_eq!(parse_replica_url("file://rel/x").unwrap().path, "/rel/x");
    assert!(is_url("s3://b") && is_url("file:///x") && !is_url("/tmp/db") && !is_url("c:/x"));
}

#[test]
fn url_errors() {
    let e = parse_replica_url("/plain/path").unwrap_err();
    assert!(e
        .message
        .starts_with("replica url scheme required: /plain/path"));
    let e = parse_replica_url("ftp://h/p").unwrap_err();
    assert_eq!(
        e.message,
        "unsupported replica URL scheme: \"ftp\"; use file:///path or s3://bucket/path (known schemes: s3, gs, abs, file, sftp, webdav, webdavs, nats, oss)"
    );
    assert!(parse_replica_url("s3://b/%zz")
        .unwrap_err()
        .message
        .contains("invalid URL escape \"%zz\""));
    assert!(parse_replica_url("://x")
        .unwrap_err()
        .message
        .contains("missing protocol scheme"));
    let e = target("s3://host:9000/p", UrlDialect::Config, &no_env).unwrap_err();
    assert!(
        e.message.starts_with("bucket required for s3 replica"),
        "{}",
        e.message
    );
    let e = target("sftp://h/p", UrlDialect::Config, &no_env).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Unsupported);
}

#[test]
fn file_urls_become_absolute_paths() {
    assert_eq!(
        target("file:///bk/db", UrlDialect::Config, &no_env),
        Ok(ReplicaTarget::File {
            path: PathBuf::from("/bk/db")
        })
    );
    assert_eq!(
        target("file:///bk/../x/", UrlDialect::Register, &no_env),
        Ok(ReplicaTarget::File {
            path: PathBuf::from("/x")
        })
    );
}

#[test]
fn file_urls_without_an_absolute_directory_are_rejected() {
    for url in ["file://host/x", "file://", "file:///", "file:rel/x"] {
        let e = target(url, UrlDialect::Config, &no_env).unwrap_err();
        assert!(
            e.message
                .contains("write file:///absolute/path/to/replica-directory"),
            "{url}: {}",
            e.message
        );
    }
}

#[test]
fn s3_host_forms() {
    let h = |b: &str, r: Option<&str>, e: Option<&str>, s: bool| S3Host {
        bucket: b.into(),
        region: r.map(str::to_string),
        endpoint: e.map(str::to_string),
        force_path_style: s,
    };
    let cases = [
        (
            "bkt.localhost:9000",
            h(
                "bkt",
                Some("us-east-1"),
                Some("http://localhost:9000"),
                true,
            ),
        ),
        (
            "localhost:9000",
            h("", None, Some("http://localhost:9000"), true),
        ),
        ("bkt.s3.amazonaws.com", h("bkt", None, None, false)),
        (
            "bkt.s3.us-west-2.amazonaws.com",
            h("bkt", Some("us-west-2"), None, false),
        ),
        (
            "bkt.nyc3.digitaloceanspaces.com",
            h(
                "bkt",
                Some("nyc3"),
                Some("https://nyc3.digitaloceanspaces.com"),
                false,
            ),
        ),
        (
            "bkt.s3.us-west-002.backblazeb2.com",
            h(
                "bkt",
                Some("us-west-002"),
                Some("https://s3.us-west-002.backblazeb2.com"),
                true,
            ),
        ),
        (
            "bkt.s3.filebase.com",
            h("bkt", None, Some("s3.filebase.com"), false),
        ),
        (
            "bkt.s3.fr-par.scw.cloud",
            h("bkt", Some("fr-par"), Some("s3.fr-par.scw.cloud"), false),
        ),
        (
            "my.bucket.example.com",
            h("my.bucket.example.com", None, None, false),
        ),
        ("bkt", h("bkt", None, None, false)),
    ];
    for (host, want) in cases {
        assert_eq!(parse_s3_host(host), want, "{host}");
    }
}

#[test]
fn endpoint_scheme_defaulting() {
    let cases = [
        ("localhost:9000", "http://localhost:9000"),
        ("127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("10.0.0.5", "http://10.0.0.5"),
        ("192.168.1.2:9000", "http://192.168.1.2:9000"),
        ("172.16.0.1", "http://172.16.0.1"),
        ("172.25.0.1", "http://172.25.0.1"),
        ("172.31.0.1", "http://172.31.0.1"),
        ("minio.local:9000", "http://minio.local:9000"),
        ("s3.dev.localhost", "http://s3.dev.localhost"),
        ("172.32.0.1", "https://172.32.0.1"),
        ("fly.storage.tigris.dev", "https://fly.storage.tigris.dev"),
        (
            "https://x.r2.cloudflarestorage.com",
            "https://x.r2.cloudflarestorage.com",
        ),
        ("http://minio:9000", "http://minio:9000"),
    ];
    for (e, want) in cases {
        assert_eq!(ensure_endpoint_scheme(e), want, "{e}");
    }
}

#[test]
fn config_dialect_query() {
    let t = s3(
        "s3://bkt/db?endpoint=localhost:9000&region=eu-1",
        UrlDialect::Config,
        &no_env,
    );
    assert_eq!((t.bucket.as_str(), t.path.as_str()), ("bkt", "db"));
    assert_eq!(t.endpoint.as_deref(), Some("http://localhost:9000"));
    assert_eq!(t.region.as_deref(), Some("eu-1"));
    assert!(t.force_path_style && !t.skip_verify);
    let t = s3(
        "s3://bkt/db?endpoint=s3.example.com&forcePathStyle=false",
        UrlDialect::Config,
        &no_env,
    );
    assert_eq!(t.endpoint.as_deref(), Some("https://s3.example.com"));
    assert_eq!(t.region.as_deref(), Some("us-east-1")); // default with an endpoint
    assert!(!t.force_path_style);
    // Only camelCase, only exactly "true" in this dialect.
    let t = s3(
        "s3://bkt/db?force-path-style=true&skip-verify=true&skipVerify=1",
        UrlDialect::Config,
        &no_env,
    );
    assert!(!t.force_path_style && !t.skip_verify);
    let t = s3("s3://bkt/db?forcePathStyle=true&skipVerify=true&sign-payload=no&requireContentMD5=0&storageClass=STANDARD_IA&partSize=10485760&concurrency=3", UrlDialect::Config, &no_env);
    assert!(t.force_path_style && t.skip_verify && !t.sign_payload && !t.require_content_md5);
    assert_eq!(
        (t.storage_class.as_deref(), t.part_size, t.concurrency),
        (Some("STANDARD_IA"), 10_485_760, 3)
    );
    // SSE query parameters are ignored; credentials never come from the environment.
    let aws = |k: &str| {
        if k.starts_with("AWS_") {
            Some("x".to_string())
        } else {
            None
        }
    };
    let t = s3("s3://bkt/db?sse-kms-key-id=k", UrlDialect::Config, &aws);
    assert_eq!((t.sse, t.access_key_id), (None, None));
    let t = s3("s3://bkt.localhost:9000/db", UrlDialect::Config, &no_env);
    assert_eq!(
        (t.bucket.as_str(), t.endpoint.as_deref(), t.force_path_style),
        ("bkt", Some("http://localhost:9000"), true)
    );
    assert_eq!(s3("s3://bkt", UrlDialect::Config, &no_env).path, ".");
    let t = s3(
        "s3://arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap/some/prefix?region=x",
        UrlDialect::Config,
        &no_env,
    );
    assert_eq!(
        t.bucket,
        "arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap"
    );
    assert_eq!(
        (t.path.as_str(), t.region.as_deref()),
        ("some/prefix", Some("x"))
    );
    let t = s3(
        "s3://arn:aws:s3:eu-west-1:1:accesspoint/ap",
        UrlDialect::Config,
        &no_env,
    );
    assert_eq!(
        (t.path.as_str(), t.region.as_deref()),
        ("", Some("eu-west-1"))
    );
    // The URL prefix matches case-insensitively, but like Go the S3 resolver only treats
    // a lower-case `arn:` host as an ARN.
    let u = parse_replica_url("s3://ARN:aws:s3:eu-west-1:1:accesspoint/ap/x").unwrap();
    assert_eq!(
        (u.host.as_str(), u.path.as_str()),
        ("ARN:aws:s3:eu-west-1:1:accesspoint/ap", "x")
    );
}

#[test]
fn register_dialect_query_and_env() {
    let env = |k: &str| match k {
        "LITESTREAM_S3_ENDPOINT" => Some("minio:9000".to_string()),
        "LITESTREAM_ACCESS_KEY_ID" => Some("lk".to_string()),
        "LITESTREAM_SECRET_ACCESS_KEY" => Some("ls".to_string()),
        _ => None,
    };
    let t = s3(
        "s3://bkt/db?force-path-style=false&skip-verify=yes&sse-kms-key-id=kms1",
        UrlDialect::Register,
        &env,
    );
    assert_eq!(t.endpoint.as_deref(), Some("https://minio:9000"));
    assert!(!t.force_path_style && t.skip_verify);
    assert_eq!(
        t.sse,
        Some(Sse::Kms {
            key_id: "kms1".into()
        })
    );
    assert_eq!(
        (t.access_key_id.as_deref(), t.secret_access_key.as_deref()),
        (Some("lk"), Some("ls"))
    );
    let aws = |k: &str| match k {
        "AWS_ACCESS_KEY_ID" => Some("ak".to_string()),
        "AWS_SECRET_ACCESS_KEY" => Some("as".to_string()),
        "LITESTREAM_ACCESS_KEY_ID" => Some("lk".to_string()),
        _ => None,
    };
    let t = s3(
        "s3://bkt/db?endpoint=localhost:9000&sse-customer-key=a2V5",
        UrlDialect::Register,
        &aws,
    );
    assert_eq!(t.endpoint.as_deref(), Some("http://localhost:9000"));
    assert!(t.force_path_style);
    assert_eq!(t.access_key_id.as_deref(), Some("ak"));
    assert_eq!(
        t.sse,
        Some(Sse::Customer(SseCustomerKey::Inline("a2V5".into())))
    );
    // The config dialect ignores LITESTREAM_S3_ENDPOINT.
    assert_eq!(s3("s3://bkt/db", UrlDialect::Config, &env).endpoint, None);
}

#[test]
fn provider_defaults() {
    let t = s3(
        "s3://b/p?endpoint=fly.storage.tigris.dev",
        UrlDialect::Config,
        &no_env,
    );
    assert!(!t.require_content_md5 && t.sign_payload);
    let t = s3(
        "s3://b/p?endpoint=acct.r2.cloudflarestorage.com",
        UrlDialect::Config,
        &no_env,
    );
    assert_eq!(t.concurrency, 2);
    let t = s3(
        "s3://b/p?endpoint=minio.internal:9000&forcePathStyle=false",
        UrlDialect::Config,
        &no_env,
    );
    assert!(t.force_path_style); // MinIO needs path style unless YAML sets it
}
