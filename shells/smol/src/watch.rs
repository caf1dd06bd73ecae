//! WAL change detection with inotify: a write to a database's `-wal` file is noticed in
//! milliseconds and reported as `Input::WalChanged`. The core's monitor interval remains
//! the fallback when inotify is unavailable.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use litestream_core::io::DbId;
use litestream_core::replicator::Input;

use crate::driver::Event;

/// Watch descriptor → (WAL file name → database).
type WatchMap = BTreeMap<i32, BTreeMap<Vec<u8>, DbId>>;

/// Watches database directories; cheap to clone.
#[derive(Clone)]
pub struct WalWatcher {
    fd: i32,
    watches: Arc<Mutex<WatchMap>>,
}

impl WalWatcher {
    /// Start the watcher thread; changes are sent on `tx`. `None` if inotify is unavailable.
    pub fn start(tx: smol::channel::Sender<Event>) -> Option<WalWatcher> {
        // SAFETY: plain syscall with no pointers.
        let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC) };
        if fd < 0 {
            return None;
        }
        let w = WalWatcher {
            fd,
            watches: Arc::default(),
        };
        let reader = w.clone();
        std::thread::Builder::new()
            .name("wal-watch".into())
            .spawn(move || reader.run(tx))
            .ok()?;
        Some(w)
    }

    /// Watch `db`'s WAL (its directory, filtered by name).
    pub fn add(&self, db: &Path, id: DbId) {
        let (Some(dir), Some(name)) = (db.parent(), db.file_name()) else {
            return;
        };
        let Ok(cdir) = CString::new(dir.as_os_str().as_bytes()) else {
            return;
        };
        let mask = libc::IN_MODIFY | libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_CLOSE_WRITE;
        // SAFETY: fd is an inotify descriptor and cdir a valid C string.
        let wd = unsafe { libc::inotify_add_watch(self.fd, cdir.as_ptr(), mask) };
        if wd < 0 {
            return;
        }
        let mut wal = name.as_bytes().to_vec();
        wal.extend_from_slice(b"-wal");
        let mut watches = self.watches.lock().unwrap_or_else(|e| e.into_inner());
        watches.entry(wd).or_default().insert(wal, id);
    }

    fn run(self, tx: smol::channel::Sender<Event>) {
        const COALESCE: std::time::Duration = std::time::Duration::from_millis(1);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: buf is valid for buf.len() bytes.
            let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                if n < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                return;
            }
            let n = n as usize;
            let mut changed: Vec<DbId> = Vec::new();
            let mut off = 0;
            let head = std::mem::size_of::<libc::inotify_event>();
            while off + head <= n {
                // SAFETY: the kernel wrote a whole event at `off`; read_unaligned copes with
                // the byte buffer's alignment.
                let ev: libc::inotify_event =
                    unsafe { std::ptr::read_unaligned(buf[off..].as_ptr().cast()) };
                let name_start = off + head;
                let name_end = (name_start + ev.len as usize).min(n);
                let raw = &buf[name_start..name_end];
                let name: Vec<u8> = raw.iter().copied().take_while(|b| *b != 0).collect();
                let watches = self.watches.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(id) = watches.get(&ev.wd).and_then(|m| m.get(&name)) {
                    if !changed.contains(id) {
                        changed.push(*id);
                    }
                }
                off = name_end;
            }
            for id in changed {
                if tx
                    .send_blocking(Event::Input(Input::WalChanged(id)))
                    .is_err()
                {
                    return;
                }
            }
            // A busy writer makes an event per write(): let the next ones gather for a
            // moment so the daemon is woken about a thousand times a second at most, not
            // once per frame. The first change after a quiet spell still goes out at once.
            std::thread::sleep(COALESCE);
        }
    }
}
