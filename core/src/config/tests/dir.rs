//! Directory (`dir:`) entries and the deprecated `replicas:` list.

use super::parse_ok;
use crate::config::*;
use std::path::{Path, PathBuf};

#[test]
fn directory_entries() {
    let c = parse_ok(
        "dbs:\n  - dir: ~/tenants\n    pattern: \"*.db\"\n    recursive: true\n    watch: true\n    meta-dir: /meta\n    replica:\n      url: s3://b/tenants\n",
    );
    let DbSource::Dir(d) = &c.dbs[0].source else {
        panic!("not a dir entry")
    };
    assert_eq!(d.dir, PathBuf::from("/home/me/tenants"));
    assert_eq!(
        (d.pattern.as_str(), d.recursive, d.watch),
        ("*.db", true, true)
    );
    assert_eq!(d.meta_dir.as_deref(), Some(Path::new("/meta")));
    let one = c.dbs[0].for_discovered("acme/data.db").unwrap();
    assert_eq!(
        one.source,
        DbSource::Path {
            path: PathBuf::from("/home/me/tenants/acme/data.db"),
            meta_path: PathBuf::from("/meta/acme/data.db-litestream")
        }
    );
    let ReplicaTarget::S3(s3) = &one.replica.target else {
        panic!("not s3")
    };
    assert_eq!(
        (s3.bucket.as_str(), s3.path.as_str()),
        ("b", "tenants/acme/data.db")
    );

    let c = parse_ok("dbs:\n  - dir: /t\n    pattern: \"*.db\"\n    meta-path: /m\n    replica:\n      path: /bk\n");
    let one = c.dbs[0].for_discovered("x/y.db").unwrap();
    assert_eq!(
        one.replica.target,
        ReplicaTarget::File {
            path: PathBuf::from("/bk/x/y.db")
        }
    );
    assert_eq!(
        one.source,
        DbSource::Path {
            path: PathBuf::from("/t/x/y.db"),
            meta_path: PathBuf::from("/m/x/.y.db-litestream")
        }
    );
    let c = parse_ok("dbs:\n  - dir: /t\n    pattern: \"*.db\"\n    replica:\n      url: s3://b\n");
    let ReplicaTarget::S3(s3) = c.dbs[0].for_discovered("a.db").unwrap().replica.target else {
        panic!("not s3")
    };
    assert_eq!(s3.path, "a.db");
}

#[test]
fn deprecated_replicas_list_with_one_entry() {
    let c = parse_ok("dbs:\n  - path: /d\n    replicas:\n      - url: file:///bk/d\n");
    assert_eq!(
        c.dbs[0].replica.target,
        ReplicaTarget::File {
            path: PathBuf::from("/bk/d")
        }
    );
}
