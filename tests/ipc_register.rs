//! `/register` refuses what would put two replicators on one file or one replica: a
//! database path that is a symbolic link or is reached through one, and a replica
//! location another database already uses (also spelled differently or through a link).

use litestream_e2e::ipc::{create_db, curl_json, curl_post, sqlite3, Daemon};

#[test]
fn registering_a_symlink_to_a_database_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("app.db");
    create_db(&db);
    let alias = dir.path().join("alias.db");
    std::os::unix::fs::symlink(&db, &alias).expect("symlink");
    let url = format!("file://{}/replica", dir.path().display());
    let sock = dir.path().join("ls.sock");
    let _d = Daemon::start(&sock, &[db.to_str().unwrap(), &url]);
    let body = format!(r#"{{"path":"{}","replica_url":"{url}2"}}"#, alias.display());
    let (code, text) = curl_post(&sock, "/register", &body);
    assert_eq!(code, 400, "{text}");
    assert!(
        text.contains("symbolic link") && text.contains(&db.display().to_string()),
        "{text}"
    );
    // Reached through a symbolic link to its directory: the same file, also refused.
    let dir_link = dir.path().join("dirlink");
    std::os::unix::fs::symlink(dir.path(), &dir_link).expect("symlink");
    let via = dir_link.join("app.db");
    let body = format!(r#"{{"path":"{}","replica_url":"{url}3"}}"#, via.display());
    let (code, text) = curl_post(&sock, "/register", &body);
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("reached through a symbolic link"), "{text}");
    // The real database still replicates.
    sqlite3(&db, "INSERT INTO t(v) VALUES ('after');");
    let sync = format!(r#"{{"path":"{}","wait":true,"timeout":10}}"#, db.display());
    let v = curl_json(&sock, "/sync", Some(&sync), 200);
    assert!(v["txid"].as_u64() >= Some(2), "{v}");
    assert_eq!(v["replicated_txid"], v["txid"], "{v}");
}

#[test]
fn registering_a_second_database_on_a_used_replica_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("app.db");
    create_db(&db);
    let other = dir.path().join("other.db");
    create_db(&other);
    let url = format!("file://{}/replica", dir.path().display());
    let sock = dir.path().join("ls.sock");
    let _d = Daemon::start(&sock, &[db.to_str().unwrap(), &url]);
    // The same place, also spelled with a trailing slash.
    for same in [url.clone(), format!("{url}/")] {
        let body = format!(r#"{{"path":"{}","replica_url":"{same}"}}"#, other.display());
        let (code, text) = curl_post(&sock, "/register", &body);
        assert_eq!(code, 409, "{text}");
        assert!(
            text.contains("already used by") && text.contains(&db.display().to_string()),
            "{text}"
        );
    }
    // The same directory through a symbolic link.
    std::fs::create_dir_all(dir.path().join("replica")).unwrap();
    let link = dir.path().join("replica-link");
    std::os::unix::fs::symlink(dir.path().join("replica"), &link).unwrap();
    let body = format!(
        r#"{{"path":"{}","replica_url":"file://{}"}}"#,
        other.display(),
        link.display()
    );
    let (code, text) = curl_post(&sock, "/register", &body);
    assert_eq!(code, 409, "{text}");
    let body = format!(
        r#"{{"path":"{}","replica_url":"{url}-other"}}"#,
        other.display()
    );
    let (code, text) = curl_post(&sock, "/register", &body);
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("\"registered\""), "{text}");
    // Now taken by `other` too.
    let third = dir.path().join("third.db");
    create_db(&third);
    let body = format!(
        r#"{{"path":"{}","replica_url":"{url}-other"}}"#,
        third.display()
    );
    let (code, text) = curl_post(&sock, "/register", &body);
    assert_eq!(code, 409, "{text}");
    assert!(text.contains(&other.display().to_string()), "{text}");
}
