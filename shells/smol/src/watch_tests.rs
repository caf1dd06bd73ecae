//! The WAL watcher against real inotify: one event per arming, creation seen through the
//! directory, databases sharing a directory kept apart.

use std::io::Write;
use std::time::Duration;

use litestream_core::io::DbId;
use litestream_core::replicator::Input;

use super::WalWatcher;
use crate::driver::Event;

/// The databases reported within `wait`, in order.
fn changes(rx: &smol::channel::Receiver<Event>, wait: Duration) -> Vec<DbId> {
    let deadline = std::time::Instant::now() + wait;
    let mut out = Vec::new();
    while std::time::Instant::now() < deadline {
        match rx.try_recv() {
            Ok(Event::Input(Input::WalChanged(id))) => out.push(id),
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
    out
}

/// A WAL kept open, as SQLite keeps it (closing one after writes is an event of its own).
fn open(path: &std::path::Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open wal")
}

fn append(mut f: &std::fs::File, bytes: &[u8]) {
    f.write_all(bytes).expect("write wal");
}

#[test]
fn one_event_per_arming_and_creation_through_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tx, rx) = smol::channel::unbounded();
    let w = WalWatcher::start(tx).expect("inotify");
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let (a_wal, b_wal) = (dir.path().join("a.db-wal"), dir.path().join("b.db-wal"));
    w.add(&a, DbId(1));
    w.add(&b, DbId(2));
    let settle = Duration::from_millis(60);

    // No WAL yet: arming does nothing, the directory reports the creation.
    w.arm(&a_wal);
    let mut fa = open(&a_wal);
    append(&fa, b"x");
    assert_eq!(changes(&rx, settle), [DbId(1)]);

    // Not armed: writes go unreported.
    append(&fa, b"x");
    assert_eq!(changes(&rx, settle), []);

    // Armed: the first write is reported, the ones after it are not, until armed again.
    w.arm(&a_wal);
    for _ in 0..50 {
        append(&fa, b"x");
    }
    let seen = changes(&rx, settle);
    assert_eq!(seen, [DbId(1)], "one event for 50 writes");
    w.arm(&a_wal);
    append(&fa, b"x");
    assert_eq!(changes(&rx, settle), [DbId(1)]);

    // A second database in the same directory is reported as itself.
    let fb = open(&b_wal);
    append(&fb, b"y");
    assert_eq!(changes(&rx, settle), [DbId(2)]);
    w.arm(&b_wal);
    w.arm(&a_wal);
    append(&fb, b"y");
    assert_eq!(changes(&rx, settle), [DbId(2)]);
    append(&fa, b"x");
    assert_eq!(changes(&rx, settle), [DbId(1)]);

    // A WAL deleted and created again: the creation is seen, and arming the new file
    // works as before.
    std::fs::remove_file(&a_wal).expect("remove");
    fa = open(&a_wal);
    append(&fa, b"x");
    assert_eq!(changes(&rx, settle), [DbId(1)]);
    w.arm(&a_wal);
    append(&fa, b"x");
    assert_eq!(changes(&rx, settle), [DbId(1)]);

    // Paths that are not a watched WAL are ignored.
    w.arm(&a);
    w.arm(&dir.path().join("other.db-wal"));
    append(&open(&a), b"z");
    assert_eq!(changes(&rx, settle), []);
}
