//! Shared helpers for the end-to-end tests and benchmarks: where the golden test data and
//! the built `litestream` binary are, running the real `sqlite3` command, starting and
//! stopping the daemon, reading the local meta directory and the file replica, waiting
//! until the replica has caught up with the database, and comparing a restore with its
//! source (`.sha3sum`, `PRAGMA integrity_check`, `PRAGMA page_count`).
//!
//! Each group of helpers lives in its own module; everything is re-exported here so tests
//! import it from the crate root.

use std::path::{Path, PathBuf};

pub use tempfile::TempDir;

mod clock;
mod commands;
mod daemon;
#[path = "../../shells/smol/src/replica/s3/testproxy.rs"]
pub mod faultproxy;
mod files;
pub mod ipc;
mod ltx_dir;
mod restore;
mod rng;
pub mod seaweedfs;
mod sqlite;
mod wal;

pub use clock::{rfc3339, rfc3339_now, wait_until};
pub use commands::{list_l0_url, litestream, one_error_line};
pub use daemon::{limit_open_files, Daemon};
pub use files::{hash_tree, sha256_file, tmp_files};
pub use ltx_dir::{
    assert_l0_contiguous, decode_ltx, l0_path, ltx_files, ltx_header, max_l0_txid, meta_dir,
};
pub use restore::{assert_restore_equals, restore, restore_ok, small_replica};
pub use rng::Rng;
pub use sqlite::{
    db_state, integrity_check, page_count, sha3sum, small_db, sqlite3, sqlite3_output, DbState,
};
pub use wal::{wal_covered, wal_generation_frames, MIN_CHECKPOINT_PAGES};

/// The shared golden test data folder (`../shared/testdata` next to the checkout).
///
/// Panics when it is missing: a test that needs golden data must fail, not skip.
pub fn testdata_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata");
    assert!(
        dir.is_dir(),
        "golden test data not found at {}: check out the shared folder beside the repository",
        dir.display()
    );
    dir
}

/// The `litestream` binary built by this cargo invocation (`target/<profile>/litestream`).
pub fn litestream_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/litestream
    let dir = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("test executable lives in target/<profile>/deps");
    let bin = dir.join("litestream");
    assert!(
        bin.is_file(),
        "{} not built: run the tests with `cargo test --workspace` (it builds the binary)",
        bin.display()
    );
    bin
}

/// A fresh temporary directory (removed when dropped; kept with `LITESTREAM_E2E_KEEP=1`).
pub fn tempdir(prefix: &str) -> TempDir {
    let mut dir = tempfile::Builder::new()
        .prefix(&format!("ls-e2e-{prefix}-"))
        .tempdir()
        .expect("create temp dir");
    if std::env::var_os("LITESTREAM_E2E_KEEP").is_some() {
        eprintln!("keeping {}", dir.path().display());
        dir.disable_cleanup(true);
    }
    dir
}

/// `file://` URL of a directory.
pub fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

/// The last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
