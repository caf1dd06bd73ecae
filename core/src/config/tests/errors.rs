//! Every load error: unknown keys, bad values, §3.6 validation, DB and replica rules.

use super::parse_err;
use crate::config::ConfigErrorKind;

const R: &str = "    replica:\n      path: /bk\n";

#[test]
fn unknown_keys_name_key_and_line() {
    let e = parse_err("addr: \":9090\"\nsnapshot:\n  interval: 1h\n  retension: 2h\n");
    assert_eq!(e.kind, ConfigErrorKind::UnknownKey);
    assert_eq!(e.line, Some(4));
    assert_eq!(e.key.as_deref(), Some("snapshot.retension"));
    assert_eq!(
        e.message,
        "unknown key \"retension\" in snapshot; did you mean \"retention\"?"
    );
    assert_eq!(
        e.to_string(),
        "unknown key \"retension\" in snapshot; did you mean \"retention\"? (line 4)"
    );

    let e = parse_err(
        "dbs:\n  - path: /d\n    replica:\n      url: s3://b/p\n      sync_interval: 1s\n",
    );
    assert_eq!((e.kind, e.line), (ConfigErrorKind::UnknownKey, Some(5)));
    assert_eq!(e.key.as_deref(), Some("dbs[0].replica.sync_interval"));
    assert!(
        e.message.contains("did you mean \"sync-interval\"?"),
        "{}",
        e.message
    );

    let e = parse_err("# comment\nbogus:\n  nested: 1\n");
    assert_eq!((e.kind, e.line), (ConfigErrorKind::UnknownKey, Some(2)));
    assert!(
        e.message
            .starts_with("unknown key \"bogus\" at the top level; valid keys here: dbs, addr"),
        "{}",
        e.message
    );

    let e = parse_err("dbs:\n  - path: /d\n    monitor_interval: 1s\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(3), Some("dbs[0].monitor_interval"))
    );
}

#[test]
fn bad_values_name_key_and_line() {
    let e = parse_err("l0-retention: 1d\n");
    assert_eq!((e.kind, e.line), (ConfigErrorKind::InvalidValue, Some(1)));
    assert!(
        e.message
            .starts_with("l0-retention: invalid duration: unknown unit \"d\" in duration \"1d\""),
        "{}",
        e.message
    );
    let e = parse_err("socket:\n  enabled: maybe\n");
    assert_eq!(
        e.message,
        "socket.enabled: expected true or false (yes/no, on/off), got \"maybe\""
    );
    assert_eq!(e.line, Some(2));
    let e = parse_err("dbs:\n  - path: /d\n    min-checkpoint-page-count: lots\n");
    assert_eq!(
        e.message,
        "dbs[0].min-checkpoint-page-count: expected an integer, got \"lots\""
    );
    let e = parse_err("dbs: /d\n");
    assert_eq!(e.message, "dbs: expected a list, got a string");
    let e = parse_err("- a\n- b\n");
    assert!(
        e.message.starts_with("the config file: expected a mapping"),
        "{}",
        e.message
    );
    let e = parse_err("part-size: 5XB\n");
    assert!(e.message.contains("unknown unit \"xb\""), "{}", e.message);
    let e = parse_err("a: [1\n");
    assert_eq!(e.kind, ConfigErrorKind::Syntax);
}

#[test]
fn section_3_6_validation_messages() {
    let cases: &[(&str, &str, Option<usize>)] = &[
        ("snapshot:\n  interval: 0s\n", "snapshot.interval: snapshot interval must be greater than 0 (got 0s)", Some(2)),
        ("snapshot:\n  retention: -1h\n", "snapshot.retention: snapshot retention must be greater than 0 (got -1h0m0s)", Some(2)),
        ("l0-retention: -1s\n", "l0-retention: l0 retention must not be negative (0 keeps L0 files forever) (got -1s)", Some(1)),
        ("l0-retention-check-interval: 0\n", "l0-retention-check-interval: l0 retention check interval must be greater than 0 (got 0s)", Some(1)),
        ("shutdown-sync-timeout: -1s\n", "shutdown-sync-timeout: shutdown-sync-timeout must be >= 0 (got -1s)", Some(1)),
        ("shutdown-sync-interval: 0s\n", "shutdown-sync-interval: shutdown sync interval must be greater than 0 (got 0s)", Some(1)),
        ("heartbeat-url: ftp://x\n", "heartbeat-url: heartbeat URL must start with http:// or https:// (got \"ftp://x\")", Some(1)),
        ("heartbeat-interval: 30s\n", "heartbeat-interval: heartbeat interval must be at least 1m0s (got 30s)", Some(1)),
        ("levels:\n  - interval: 30s\n  - interval: 0s\n", "levels[1].interval: compaction interval must be greater than 0 (got 0s)", Some(3)),
        ("levels:\n  - {}\n", "levels[0].interval: compaction interval must be greater than 0 (got 0s)", None),
        ("logging:\n  type: xml\n", "logging.type: unknown log type \"xml\" (use text, json or pretty)", Some(2)),
        ("addr: localhost\n", "addr: must specify port for bind address: \"localhost\" (e.g. \":9090\" or \"127.0.0.1:9090\")", Some(1)),
    ];
    for &(text, want, line) in cases {
        let e = parse_err(text);
        assert_eq!(e.message, want, "{text}");
        assert_eq!(e.line, line, "{text}");
    }
    let nine = "levels:\n".to_string() + &"  - interval: 1m\n".repeat(9);
    assert!(parse_err(&nine)
        .message
        .contains("compaction level cannot exceed 8"));
}

#[test]
fn db_entry_rules() {
    let cases: &[(&str, &str)] = &[
        ("  - path: /a\n    dir: /b\n", "database config #1: cannot specify both 'path' and 'dir'"),
        ("  - pattern: \"*.db\"\n", "database config #1: must specify either 'path' or 'dir'"),
        ("  - dir: /b\n", "database config #1: 'pattern' is required when using 'dir' (e.g. pattern: \"*.db\")"),
        ("  - path: /a\n    watch: true\n", "database config #1: 'watch' can only be enabled with a directory"),
        ("  - path: /a\n    meta-dir: /m\n", "database config #1: 'meta-dir' can only be used with 'dir' (use 'meta-path' for a single database)"),
        ("  - dir: /b\n    pattern: x\n    meta-dir: /m\n    meta-path: /n\n", "database config #1: cannot specify both 'meta-path' and 'meta-dir'"),
    ];
    for &(db, want) in cases {
        let e = parse_err(&format!("dbs:\n{db}{R}"));
        assert_eq!(e.message, want, "{db}");
        assert_eq!(e.line, Some(2), "{db}");
    }
    let e = parse_err(&format!(
        "dbs:\n  - path: /a\n    min-checkpoint-page-count: 0\n{R}"
    ));
    assert!(
        e.message.contains("minimum checkpoint page count required"),
        "{}",
        e.message
    );
}

#[test]
fn replica_rules() {
    let db = |replica: &str| format!("dbs:\n  - path: /a\n{replica}");
    let cases: &[(&str, &str)] = &[
        ("    restore-if-db-not-exists: true\n", "dbs[0]: database config #1: must specify replica for database"),
        ("    replica:\n      path: /x\n    replicas:\n      - path: /y\n", "dbs[0]: database config #1: cannot specify 'replica' and 'replicas' on a database"),
        ("    replicas:\n      - path: /x\n      - path: /y\n", "dbs[0]: database config #1: multiple replicas on a single database are no longer supported"),
        ("    replica:\n      type: ftp\n", "dbs[0].replica.type: unknown replica type in config: \"ftp\" (use one of: file, s3, gs, abs, sftp, webdav, nats, oss)"),
        ("    replica:\n      path: s3://b/p\n", "dbs[0].replica.path: replica path cannot be a url, please use the 'url' field instead: s3://b/p"),
        ("    replica:\n      sync-interval: 0s\n      path: /x\n", "dbs[0].replica.sync-interval: sync interval must be greater than 0 (got 0s)"),
        ("    replica:\n      type: file\n", "dbs[0].replica: file replica path required (set `path:` or `url: file:///abs/dir`)"),
        ("    replica:\n      url: file:///x\n      path: /y\n", "dbs[0].replica: cannot specify url & path for file replica"),
        ("    replica:\n      url: s3://b/p\n      path: q\n", "dbs[0].replica: cannot specify url & path for s3 replica"),
        ("    replica:\n      type: s3\n      path: q\n", "dbs[0].replica: bucket required for s3 replica (give `bucket:` or a URL such as s3://my-bucket/path)"),
        ("    replica:\n      url: gs://b/p\n", "dbs[0].replica: replica type \"gs\" is not supported by this build (supported: file, s3); use an s3 or file replica"),
        ("    replica:\n      url: /plain/path\n", "dbs[0].replica.url: replica url scheme required: /plain/path (write e.g. s3://bucket/path or file:///abs/path)"),
        ("    replica:\n      age:\n        identities: [x]\n      path: /x\n", "dbs[0].replica: age encryption is not currently supported, if you need encryption please revert back to Litestream v0.3.x"),
        ("    replica:\n      url: s3://b/p\n      sse-customer-key: a2V5\n      sse-kms-key-id: k\n", "dbs[0].replica: cannot use SSE-C (sse-customer-key) and SSE-KMS (sse-kms-key-id) together; choose one"),
        ("    replica:\n      url: s3://b/p\n      sse-customer-algorithm: AES128\n", "dbs[0].replica: sse-customer-algorithm: only AES256 is supported (got \"AES128\")"),
    ];
    for &(r, want) in cases {
        let e = parse_err(&db(r));
        assert_eq!(e.message, want, "{r}");
    }
    let e = parse_err(&db("    replica:\n      url: webdavs://h/p\n"));
    assert_eq!(e.kind, ConfigErrorKind::Unsupported);
    assert!(e
        .message
        .contains("\"webdav\" is not supported by this build"));
    assert_eq!(e.line, Some(3));
}

#[test]
fn global_bucket_with_url_quirk_and_part_size() {
    let e = parse_err("bucket: g\ndbs:\n  - path: /a\n    replica:\n      url: s3://b/p\n");
    assert!(
        e.message
            .starts_with("dbs[0].replica: cannot specify url & bucket for s3 replica"),
        "{}",
        e.message
    );
    let e =
        parse_err("dbs:\n  - path: /a\n    replica:\n      url: s3://b/p\n      part-size: 5MB\n");
    assert_eq!(
        e.message,
        "dbs[0].replica: part-size: 5000000 bytes is below the S3 minimum of 5242880 bytes (5 MiB); \
         note that \"5MB\" means 5,000,000 bytes: use \"5MiB\" or larger"
    );
    let e = parse_err("dbs:\n  - path: /a\n    replica:\n      url: s3://b/p?part-size=abc\n");
    assert!(
        e.message
            .contains("invalid part-size query parameter \"abc\": must be a positive integer"),
        "{}",
        e.message
    );
}

#[test]
fn a_database_or_a_replica_location_used_twice_is_refused() {
    let e = parse_err(
        "dbs:\n  - path: /a.db\n    replica:\n      path: /bk/a\n  - path: /a.db\n    replica:\n      path: /bk/b\n",
    );
    assert_eq!(
        e.message,
        "database /a.db is listed twice (dbs[0] and dbs[1]): keep one entry"
    );
    assert_eq!(e.line, Some(5));
    let e = parse_err(
        "dbs:\n  - path: /a.db\n    replica:\n      url: file:///bk/x\n  - path: /b.db\n    replica:\n      path: /bk/x/\n",
    );
    assert!(
        e.message
            .starts_with("dbs[0] and dbs[1] replicate to the same place (file:///bk/x)"),
        "{}",
        e.message
    );
    let e = parse_err(
        "dbs:\n  - path: /a.db\n    replica:\n      url: s3://bkt/p\n  - path: /b.db\n    replica:\n      url: s3://bkt/p/\n",
    );
    assert!(e.message.contains("s3://bkt/p"), "{}", e.message);
    // Distinct places are fine.
    super::parse_ok(
        "dbs:\n  - path: /a.db\n    replica:\n      url: s3://bkt/a\n  - path: /b.db\n    replica:\n      url: s3://bkt/b\n",
    );
}
