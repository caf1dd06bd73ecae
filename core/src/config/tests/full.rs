//! Whole documents: defaults, a realistic config, inheritance, YAML 1.1 scalars.

use super::{parse_ok, try_parse};
use crate::config::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

const REALISTIC: &str = r#"
# Global replica defaults ($BUCKET in a comment is expanded too)
access-key-id: AKIA-GLOBAL
secret-access-key: ${SECRET}
region: eu-west-1
sync-interval: 10s
part-size: 16MiB

addr: ":9090"
socket:
  enabled: yes
  path: /run/ls.sock
  permissions: 0660
levels:
  - interval: 1m
  - interval: 10m
snapshot:
  interval: 12h
l0-retention: 0
verify-compaction: on
retention:
  enabled: false
heartbeat-url: https://hc.example/ping
logging:
  level: DEBUG
  type: json
  stderr: true

dbs:
  - path: ~/data/app.db
    monitor-interval: 0
    checkpoint-interval: 30s
    truncate-page-n: -1
    max-sync-wal-bytes: 0
    replica:
      type: file
      path: ./backups/app

  - path: sqlite3:///var/lib/other.db
    meta-path: /var/lib/meta/other
    replica:
      url: s3://${BUCKET}/prod/other?skipVerify=true
      sync-interval: 2s

  - path: /srv/minio.db
    busy-timeout: 5s
    min-checkpoint-page-count: 500
    truncate-page-n: 0
    replica:
      type: s3
      bucket: minio-bucket
      path: /dbs/minio
      endpoint: localhost:9000
      access-key-id: minio
      secret-access-key: minio123
      region: ""
"#;

#[test]
fn realistic_config() {
    let c = parse_ok(REALISTIC);
    assert_eq!(c.addr.as_deref(), Some(":9090"));
    assert_eq!(
        c.socket,
        SocketConfig {
            enabled: true,
            path: PathBuf::from("/run/ls.sock"),
            permissions: 0o660
        }
    );
    assert_eq!(
        c.levels,
        vec![Duration::from_secs(60), Duration::from_secs(600)]
    );
    assert_eq!(c.snapshot.interval, Duration::from_secs(12 * 3600));
    assert_eq!(c.snapshot.retention, Duration::from_secs(24 * 3600));
    assert_eq!(c.l0_retention, Duration::ZERO);
    assert!(c.verify_compaction);
    assert!(!c.retention_enabled);
    assert_eq!(c.heartbeat_url.as_deref(), Some("https://hc.example/ping"));
    assert_eq!(
        c.logging,
        LoggingConfig {
            level: LogLevel::Debug,
            format: LogFormat::Json,
            stderr: true,
            source: false
        }
    );
    assert_eq!(c.dbs.len(), 3);

    // 1: file replica by path, relative to cwd; global S3 settings are irrelevant.
    let db = &c.dbs[0];
    assert_eq!(
        db.source,
        DbSource::Path {
            path: PathBuf::from("/home/me/data/app.db"),
            meta_path: PathBuf::from("/home/me/data/.app.db-litestream")
        }
    );
    assert_eq!(db.monitor_interval, None);
    assert_eq!(db.checkpoint_interval, Some(Duration::from_secs(30)));
    assert_eq!(db.truncate_page_n, None);
    assert_eq!(db.max_sync_wal_bytes, None);
    assert_eq!(
        db.replica.target,
        ReplicaTarget::File {
            path: PathBuf::from("/work/backups/app")
        }
    );
    assert_eq!(db.replica.sync_interval, Duration::from_secs(10)); // inherited

    // 2: s3 by url, env expanded, global credentials/region/part size inherited.
    let db = &c.dbs[1];
    assert_eq!(db.path(), Some(Path::new("/var/lib/other.db")));
    assert_eq!(
        db.source,
        DbSource::Path {
            path: PathBuf::from("/var/lib/other.db"),
            meta_path: PathBuf::from("/var/lib/meta/other")
        }
    );
    assert_eq!(db.replica.sync_interval, Duration::from_secs(2));
    let ReplicaTarget::S3(s3) = &db.replica.target else {
        panic!("not s3: {:?}", db.replica.target)
    };
    assert_eq!(s3.bucket, "env-bucket");
    assert_eq!(s3.path, "prod/other");
    assert_eq!(s3.region.as_deref(), Some("eu-west-1"));
    assert_eq!(s3.endpoint, None);
    assert!(!s3.force_path_style);
    assert!(s3.skip_verify);
    assert_eq!(s3.access_key_id.as_deref(), Some("AKIA-GLOBAL"));
    assert_eq!(s3.secret_access_key.as_deref(), Some("s3cr3t"));
    assert_eq!(s3.part_size, 16 * 1024 * 1024);
    assert_eq!(s3.concurrency, 5);
    assert!(s3.sign_payload && s3.require_content_md5);

    // 3: s3 by bucket + path + endpoint; replica keys win over globals.
    let db = &c.dbs[2];
    assert_eq!(db.busy_timeout, Duration::from_secs(5));
    assert_eq!(db.min_checkpoint_page_count, 500);
    assert_eq!(db.truncate_page_n, Some(DEFAULT_TRUNCATE_PAGE_N));
    let ReplicaTarget::S3(s3) = &db.replica.target else {
        panic!("not s3")
    };
    assert_eq!(s3.bucket, "minio-bucket");
    assert_eq!(s3.path, "/dbs/minio");
    assert_eq!(s3.endpoint.as_deref(), Some("http://localhost:9000"));
    assert!(s3.force_path_style);
    assert_eq!(s3.region.as_deref(), Some("eu-west-1")); // empty replica value inherits
    assert_eq!(s3.access_key_id.as_deref(), Some("minio"));
    assert_eq!(
        c.db_by_path(Path::new("/srv/minio.db"))
            .map(|d| d.busy_timeout),
        Some(Duration::from_secs(5))
    );
}

#[test]
fn defaults_of_an_empty_file() {
    for text in ["", "# nothing\n", "dbs: []\n"] {
        let c = parse_ok(text);
        assert!(c.dbs.is_empty());
        assert_eq!(
            c.socket,
            SocketConfig {
                enabled: false,
                path: PathBuf::from("/var/run/litestream.sock"),
                permissions: 0o600
            }
        );
        assert_eq!(
            c.levels,
            vec![
                Duration::from_secs(30),
                Duration::from_secs(300),
                Duration::from_secs(3600)
            ]
        );
        assert_eq!(
            c.snapshot,
            SnapshotConfig {
                interval: Duration::from_secs(86400),
                retention: Duration::from_secs(86400)
            }
        );
        assert_eq!(c.validation_interval, None);
        assert_eq!(c.l0_retention, Duration::from_secs(300));
        assert_eq!(c.l0_retention_check_interval, Duration::from_secs(15));
        assert!(!c.verify_compaction);
        assert!(c.retention_enabled);
        assert_eq!(c.heartbeat_interval, Duration::from_secs(300));
        assert_eq!(c.shutdown_sync_timeout, Duration::from_secs(30));
        assert_eq!(c.shutdown_sync_interval, Duration::from_millis(500));
        assert_eq!(c.exec, "");
        assert_eq!(
            c.logging,
            LoggingConfig {
                level: LogLevel::Info,
                format: LogFormat::Text,
                stderr: false,
                source: false
            }
        );
        assert_eq!((c.addr, c.mcp_addr), (None, None));
    }
}

#[test]
fn db_defaults() {
    let c = parse_ok("dbs:\n  - path: db\n    replica:\n      path: /bk\n");
    let db = &c.dbs[0];
    assert_eq!(db.monitor_interval, Some(Duration::from_secs(1)));
    assert_eq!(db.checkpoint_interval, Some(Duration::from_secs(60)));
    assert_eq!(db.busy_timeout, Duration::from_secs(1));
    assert_eq!(db.min_checkpoint_page_count, 1000);
    assert_eq!(db.truncate_page_n, Some(121_359));
    assert_eq!(db.max_sync_wal_bytes, Some(67_108_864));
    assert!(!db.restore_if_db_not_exists);
    assert_eq!(db.replica.sync_interval, Duration::from_secs(1));
    assert_eq!(db.replica.max_sync_ltx_files, Some(256));
    assert!(!db.replica.auto_recover);
    assert_eq!(
        db.replica.target,
        ReplicaTarget::File {
            path: PathBuf::from("/bk")
        }
    );
}

#[test]
fn octal_permissions_like_go_yaml() {
    let perm = |v: &str| {
        parse_ok(&format!("socket:\n  permissions: {v}\n"))
            .socket
            .permissions
    };
    assert_eq!(perm("0600"), 0o600);
    assert_eq!(perm("600"), 600);
    assert_eq!(perm("0o644"), 0o644);
    assert_eq!(perm("0777"), 0o777);
}

#[test]
fn yaml11_booleans_and_empty_blocks() {
    let c = parse_ok("socket:\n  enabled: on\nverify-compaction: YES\nretention:\n  enabled: off\nsnapshot:\nl0-retention:\nlogging:\n");
    assert!(c.socket.enabled && c.verify_compaction && !c.retention_enabled);
    assert_eq!(c.snapshot.interval, Duration::from_secs(86400));
    assert_eq!(c.l0_retention, Duration::from_secs(300));
    assert!(parse_ok("levels:\n").levels.is_empty());
    assert!(parse_ok("levels: []\n").levels.is_empty());
}

#[test]
fn snapshot_promotion() {
    let db = |p: &str, s: &str| {
        format!("  - path: {p}\n    snapshot:\n      {s}\n    replica:\n      path: /bk/{p}\n")
    };
    let c = parse_ok(&format!(
        "dbs:\n{}{}",
        db("a", "interval: 1h"),
        db("b", "interval: 1h")
    ));
    assert_eq!(c.snapshot.interval, Duration::from_secs(3600));
    let c = parse_ok(&format!(
        "snapshot:\n  interval: 2h\ndbs:\n{}",
        db("a", "interval: 1h")
    ));
    assert_eq!(c.snapshot.interval, Duration::from_secs(7200));
    let c = parse_ok(&format!("dbs:\n{}", db("a", "retention: 72h")));
    assert_eq!(c.snapshot.retention, Duration::from_secs(72 * 3600));
    let e = try_parse(&format!(
        "dbs:\n{}{}",
        db("a", "interval: 1h"),
        db("b", "interval: 2h")
    ))
    .unwrap_err();
    assert_eq!(
        e.message,
        "conflicting database snapshot intervals: /work/a has 1h0m0s, /work/b has 2h0m0s"
    );
    let e = try_parse(&format!(
        "dbs:\n{}{}",
        db("a", "retention: 1h"),
        db("b", "retention: 2h")
    ))
    .unwrap_err();
    assert_eq!(
        e.message,
        "conflicting database snapshot retentions: /work/a has 1h0m0s, /work/b has 2h0m0s"
    );
}

#[test]
fn env_expansion_and_its_switch() {
    let text = "exec: run $BUCKET ${PID} $$ ${NOPE}x\n";
    assert_eq!(parse_ok(text).exec, "run env-bucket 4242  x");
    let env = ParseEnv {
        lookup_env: &super::env_var,
        cwd: Path::new("/work"),
        home: None,
        expand_env: false,
        pid: 1,
    };
    assert_eq!(
        parse(text, &env).unwrap().exec,
        "run $BUCKET ${PID} $$ ${NOPE}x"
    );
    let log = |name: &str| {
        if name == "LOG_LEVEL" {
            Some("warn".to_string())
        } else {
            None
        }
    };
    let env = ParseEnv {
        lookup_env: &log,
        cwd: Path::new("/"),
        home: None,
        expand_env: true,
        pid: 1,
    };
    assert_eq!(
        parse("logging:\n  level: debug\n", &env)
            .unwrap()
            .logging
            .level,
        LogLevel::Warn
    );
}

#[test]
fn durations_sizes_and_misc_values() {
    let c = parse_ok("shutdown-sync-timeout: 0\nshutdown-sync-interval: 250ms\nheartbeat-interval: 1h30m\nvalidation:\n  interval: 1000000000\nmcp-addr: 127.0.0.1:3001\n");
    assert_eq!(c.shutdown_sync_timeout, Duration::ZERO);
    assert_eq!(c.shutdown_sync_interval, Duration::from_millis(250));
    assert_eq!(c.heartbeat_interval, Duration::from_secs(5400));
    assert_eq!(c.validation_interval, Some(Duration::from_secs(1))); // bare integer = ns
    assert_eq!(c.mcp_addr.as_deref(), Some("127.0.0.1:3001"));
    let part = |v: &str| {
        let c = parse_ok(&format!(
            "part-size: {v}\ndbs:\n  - path: /d\n    replica:\n      url: s3://b/p\n"
        ));
        let ReplicaTarget::S3(s3) = &c.dbs[0].replica.target else {
            panic!("not s3")
        };
        s3.part_size
    };
    assert_eq!(part("5MiB"), 5_242_880);
    assert_eq!(part("10MB"), 10_000_000);
    assert_eq!(part("5242880"), 5_242_880);
}
