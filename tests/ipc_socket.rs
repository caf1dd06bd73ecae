//! Control socket lifecycle: a stale socket file is replaced, a regular file or a live
//! daemon's socket is refused, the mode bits are 0600, and SIGTERM removes the file.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::time::Duration;

use litestream_e2e::ipc::{curl_json, Daemon};

#[test]
fn stale_socket_file_is_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("ls.sock");
    // A socket file nobody listens on, as a killed daemon leaves it.
    drop(std::os::unix::net::UnixListener::bind(&sock).expect("bind"));
    assert!(std::fs::symlink_metadata(&sock)
        .expect("stat")
        .file_type()
        .is_socket());
    let d = Daemon::start(&sock, &[]);
    curl_json(&sock, "/list", None, 200);
    assert!(
        d.log_text().contains("removed stale control socket"),
        "{}",
        d.log_text()
    );
}

#[test]
fn path_that_is_not_a_socket_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("ls.sock");
    std::fs::write(&sock, b"precious").expect("write");
    let mut d = Daemon::spawn(&sock, &[]);
    let st = d.wait_exit(Duration::from_secs(20));
    assert_eq!(st.code(), Some(1));
    let log = d.log_text();
    assert!(
        log.contains(&format!(
            "socket path exists but is not a socket: {}",
            sock.display()
        )),
        "{log}"
    );
    assert_eq!(std::fs::read(&sock).expect("still there"), b"precious");
}

#[test]
fn live_daemon_is_not_displaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("ls.sock");
    let first = Daemon::start(&sock, &[]);
    let mut second = Daemon::spawn(&sock, &[]);
    let st = second.wait_exit(Duration::from_secs(20));
    assert_eq!(st.code(), Some(1));
    let log = second.log_text();
    assert!(
        log.contains("already listening on the control socket"),
        "{log}"
    );
    assert!(log.contains(&sock.display().to_string()), "{log}");
    // The first daemon still answers on its socket.
    let info = curl_json(&sock, "/info", None, 200);
    assert_eq!(info["pid"], first.child.id());
}

#[test]
fn socket_mode_is_0600_and_sigterm_removes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("ls.sock");
    let mut d = Daemon::start(&sock, &[]);
    let meta = std::fs::symlink_metadata(&sock).expect("stat");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    assert!(d.terminate().success(), "{}", d.log_text());
    assert!(!sock.exists(), "socket left behind after SIGTERM");
}

#[test]
fn missing_parent_directory_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("no/such/dir/ls.sock");
    let mut d = Daemon::spawn(&sock, &[]);
    assert_eq!(d.wait_exit(Duration::from_secs(20)).code(), Some(1));
    assert!(
        d.log_text().contains(&sock.display().to_string()),
        "{}",
        d.log_text()
    );
}
