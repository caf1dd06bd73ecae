//! WAL change detection with inotify: a write to a database's `-wal` file is noticed in
//! milliseconds and reported as `Input::WalChanged`. The core's monitor interval remains
//! the fallback when inotify is unavailable.
//!
//! Each WAL has a one-shot watch: its first write after [`WalWatcher::arm`] raises one
//! event and ends the watch, and the next sync pass arms it again before it looks at the
//! WAL's size. A permanent watch would make the kernel queue (allocate, then merge) an
//! event for every write the application makes, several percent of a busy writer's time.
//! Each database's directory is watched too, for a WAL being created or renamed in.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use litestream_core::io::DbId;
use litestream_core::replicator::Input;

use crate::driver::Event;

/// Watch descriptor → (WAL file name → database).
type WatchMap = BTreeMap<i32, BTreeMap<Vec<u8>, DbId>>;

/// Events a directory watch reports: a WAL created or renamed in, or closed after writes.
const DIR_MASK: u32 = libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_CLOSE_WRITE;

#[derive(Default)]
struct Watches {
    /// Directory watches.
    dirs: WatchMap,
    /// Armed one-shot WAL watches.
    wals: BTreeMap<i32, DbId>,
    /// Every watched WAL: its database and its directory's watch descriptor.
    paths: BTreeMap<PathBuf, (DbId, i32)>,
}

/// Watches database directories and WAL files; cheap to clone.
#[derive(Clone)]
pub struct WalWatcher {
    fd: i32,
    watches: Arc<Mutex<Watches>>,
}

fn add_watch(fd: i32, path: &Path, mask: u32) -> Result<i32, std::io::Error> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: fd is an inotify descriptor and c a valid C string.
    let wd = unsafe { libc::inotify_add_watch(fd, c.as_ptr(), mask) };
    if wd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(wd)
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

    /// Watch `db`'s WAL: its directory now, the file itself from the first
    /// [`WalWatcher::arm`].
    pub fn add(&self, db: &Path, id: DbId) {
        let (Some(dir), Some(name)) = (db.parent(), db.file_name()) else {
            return;
        };
        let Ok(wd) = add_watch(self.fd, dir, DIR_MASK) else {
            return;
        };
        let mut wal = name.as_bytes().to_vec();
        wal.extend_from_slice(b"-wal");
        let mut w = self.watches.lock().unwrap_or_else(|e| e.into_inner());
        w.dirs.entry(wd).or_default().insert(wal.clone(), id);
        w.paths
            .insert(dir.join(std::ffi::OsStr::from_bytes(&wal)), (id, wd));
    }

    /// If `path` is a watched WAL, watch it for its next write. Called before a sync pass
    /// reads the WAL's size, so a write that pass does not see raises an event.
    pub fn arm(&self, path: &Path) {
        let mut w = self.watches.lock().unwrap_or_else(|e| e.into_inner());
        let Some(&(id, dir_wd)) = w.paths.get(path) else {
            return;
        };
        match add_watch(self.fd, path, libc::IN_MODIFY | libc::IN_ONESHOT) {
            Ok(wd) => {
                w.wals.insert(wd, id);
            }
            // Not created yet: the directory watch reports its creation.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // Out of watches (fs.inotify.max_user_watches): watch every write through the
            // directory instead, which costs the application more but misses nothing.
            Err(_) => {
                if let (Some(dir), Some(names)) = (path.parent(), w.dirs.get(&dir_wd)) {
                    if names.values().any(|d| *d == id) {
                        let _ = add_watch(self.fd, dir, DIR_MASK | libc::IN_MODIFY);
                    }
                }
            }
        }
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
                let mut w = self.watches.lock().unwrap_or_else(|e| e.into_inner());
                let id = if ev.mask & libc::IN_IGNORED != 0 {
                    // A one-shot watch that fired, or a WAL that was deleted.
                    w.wals.remove(&ev.wd);
                    None
                } else if ev.len == 0 {
                    w.wals.get(&ev.wd).copied()
                } else {
                    w.dirs.get(&ev.wd).and_then(|m| m.get(&name)).copied()
                };
                if let Some(id) = id.filter(|id| !changed.contains(id)) {
                    changed.push(id);
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
            // Directory events come in bursts (and every write raises one when WAL watches
            // ran out): let the next ones gather for a moment so the daemon is woken about a
            // thousand times a second at most. The first change after a quiet spell still
            // goes out at once.
            std::thread::sleep(COALESCE);
        }
    }
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
