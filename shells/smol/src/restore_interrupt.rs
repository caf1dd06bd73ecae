//! A restore's staging file and signals: Ctrl-C, SIGTERM or SIGHUP during a restore
//! remove the partial `<output>.tmp`, then end the process as the signal would have.

use std::path::Path;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The staging file to remove if the restore is interrupted; null outside a restore.
static STAGING: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn remove_staging_then_die(sig: libc::c_int) {
    // SAFETY: unlink, signal and raise are async-signal-safe; a non-null path points to
    // a NUL-terminated string that is never freed.
    unsafe {
        let p = STAGING.load(Ordering::SeqCst);
        if !p.is_null() {
            libc::unlink(p);
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Signals that would otherwise end the process with the staging file still on disk.
const INTERRUPTS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// While alive, Ctrl-C, SIGTERM or SIGHUP remove the staging file and then kill the
/// process as before. Dropping it puts the previous handlers back: `replicate
/// -restore-if-db-not-exists` restores before it installs its own graceful-shutdown
/// handlers, which would otherwise chain to this one and die instead of shutting down.
pub struct InterruptGuard {
    previous: [libc::sighandler_t; INTERRUPTS.len()],
}

impl Drop for InterruptGuard {
    fn drop(&mut self) {
        for (sig, handler) in INTERRUPTS.into_iter().zip(self.previous) {
            // SAFETY: reinstalling the handler that was in place before the restore.
            unsafe {
                libc::signal(sig, handler);
            }
        }
        // The path itself is leaked: a handler already running may still be reading it.
        STAGING.store(std::ptr::null_mut(), Ordering::SeqCst);
    }
}

/// Ctrl-C, SIGTERM or SIGHUP during a restore must not leave a partial `<output>.tmp`
/// behind: remove it, then die of the signal as before.
pub fn remove_on_interrupt(tmp: &Path) -> Option<InterruptGuard> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(tmp.as_os_str().as_bytes()).ok()?;
    STAGING.store(path.into_raw(), Ordering::SeqCst);
    let previous = INTERRUPTS.map(|sig| {
        // SAFETY: installing a handler that only calls async-signal-safe functions.
        unsafe {
            libc::signal(
                sig,
                remove_staging_then_die as *const () as libc::sighandler_t,
            )
        }
    });
    Some(InterruptGuard { previous })
}
