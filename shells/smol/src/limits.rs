//! The process's open-file limit: raised at start, as Go's runtime does for Litestream, and
//! put back for the `-exec` child.

use std::sync::atomic::{AtomicU64, Ordering};

/// The soft limit found at start, when it was raised (0: left as it was).
static ORIGINAL_SOFT: AtomicU64 = AtomicU64::new(0);

/// Raise the soft limit on open files to the hard limit. A daemon of many databases holds
/// several files per database, and compaction and uploads open more; a service manager's
/// soft limit (often 1024) is meant to be raised by programs that need it.
pub fn raise_open_file_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 || lim.rlim_cur >= lim.rlim_max {
            return;
        }
        let original = lim.rlim_cur;
        lim.rlim_cur = lim.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0 {
            ORIGINAL_SOFT.store(original, Ordering::SeqCst);
        }
    }
}

/// In a child between fork and exec: put the soft limit back to what the daemon was
/// started with, so an application run by `-exec` sees the limit its service gave it
/// (programs using `select` break on descriptors above 1024). Async-signal-safe.
pub fn restore_in_child() -> std::io::Result<()> {
    let original = ORIGINAL_SOFT.load(Ordering::SeqCst);
    if original == 0 {
        return Ok(());
    }
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit are async-signal-safe syscalls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = original;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
    Ok(())
}
