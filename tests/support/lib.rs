//! Shared helpers for the end-to-end tests and benchmarks: where the golden test data and
//! the built `litestream` binary are.

use std::path::PathBuf;

pub mod ipc;

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
