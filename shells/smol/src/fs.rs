//! Local file operations for the core's commands: stat, positioned reads, page batches,
//! directory listings, and atomic file commits (write `.tmp`, fsync, rename, fsync dir).
//! Every function blocks; the driver runs them inside `smol::unblock`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use litestream_core::io::{FileStat, IoFail, IoFailKind, PageRead};
use litestream_core::time::UnixMs;

/// Map an `io::Error` on `path` to the core's failure type.
pub fn fail(path: &Path, what: &str, e: &io::Error) -> IoFail {
    let kind = match e.kind() {
        ErrorKind::NotFound => IoFailKind::NotFound,
        ErrorKind::PermissionDenied => IoFailKind::PermissionDenied,
        _ if e.raw_os_error() == Some(libc::ENOSPC) || e.raw_os_error() == Some(libc::EDQUOT) => {
            IoFailKind::DiskFull
        }
        _ => IoFailKind::Other,
    };
    IoFail {
        kind,
        message: format!("{what} {}: {e}", path.display()),
    }
}

/// Size and mtime, `None` when missing.
pub fn stat(path: &Path) -> Result<Option<FileStat>, IoFail> {
    match fs::metadata(path) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            Ok(Some(FileStat {
                size: m.len(),
                mtime: UnixMs(mtime),
                id: std::os::unix::fs::MetadataExt::ino(&m)
                    ^ std::os::unix::fs::MetadataExt::dev(&m).rotate_left(32),
            }))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(path, "stat", &e)),
    }
}

/// Read up to `len` bytes at `offset` (fewer at end of file; empty if missing).
pub fn read_at(path: &Path, offset: u64, len: u32) -> Result<Vec<u8>, IoFail> {
    let Some(f) = open_existing(path)? else {
        return Ok(Vec::new());
    };
    read_own(&f, offset, len).map_err(|e| fail(path, "read", &e))
}

fn open_existing(path: &Path) -> Result<Option<File>, IoFail> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(path, "open", &e)),
    }
}

/// [`read_at`] of a WAL, then start writing back the bytes read (see
/// `Command::ReadWal`). The hint is best effort: an error from it changes nothing.
pub fn read_wal(path: &Path, offset: u64, len: u32) -> Result<Vec<u8>, IoFail> {
    let Some(f) = open_existing(path)? else {
        return Ok(Vec::new());
    };
    let buf = read_own(&f, offset, len).map_err(|e| fail(path, "read", &e))?;
    start_writeback(&f, offset, buf.len());
    Ok(buf)
}

/// Ask the kernel to start writing `len` dirty bytes at `offset` to disk, without
/// waiting for them or for the filesystem journal.
fn start_writeback(f: &File, offset: u64, len: usize) {
    use std::os::fd::AsRawFd;
    let (Ok(off), Ok(n)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: the descriptor is open for the whole call; the call reads no memory of ours.
    unsafe {
        libc::sync_file_range(f.as_raw_fd(), off, n, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Up to `len` bytes at `offset` of a descriptor nobody else uses (it moves the file
/// position). Reads straight into fresh memory: zeroing it first would cost as much as
/// a quarter of the copy, for every WAL byte the daemon reads.
fn read_own(mut f: &File, offset: u64, len: u32) -> io::Result<Vec<u8>> {
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(len as usize);
    f.take(u64::from(len)).read_to_end(&mut buf)?;
    Ok(buf)
}

fn read_full_at(f: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let mut n = 0;
    while n < len {
        match f.read_at(&mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(n);
    Ok(buf)
}

/// Read `len` bytes at each position. `open` supplies the file handles: database files
/// must come from a handle kept open for the daemon's lifetime, because closing any
/// descriptor of a file drops every POSIX lock this process (i.e. SQLite) holds on it.
pub fn read_pages(
    reads: &[PageRead],
    len: u32,
    open: &dyn Fn(&Path) -> Result<Arc<File>, IoFail>,
) -> Result<Vec<Vec<u8>>, IoFail> {
    let mut out = Vec::with_capacity(reads.len());
    let mut files: Vec<(&Path, Arc<File>)> = Vec::new();
    for r in reads {
        let idx = match files.iter().position(|(p, _)| *p == &*r.path) {
            Some(i) => i,
            None => {
                files.push((&r.path, open(&r.path)?));
                files.len() - 1
            }
        };
        out.push(
            read_full_at(&files[idx].1, r.offset, len as usize)
                .map_err(|e| fail(&r.path, "read", &e))?,
        );
    }
    Ok(out)
}

/// File names in a directory; a missing directory lists as empty.
pub fn list_dir(path: &Path) -> Result<Vec<String>, IoFail> {
    let rd = match fs::read_dir(path) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(fail(path, "list", &e)),
    };
    let mut names = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| fail(path, "list", &e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Create a directory and its parents.
pub fn create_dir_all(path: &Path) -> Result<(), IoFail> {
    fs::create_dir_all(path).map_err(|e| fail(path, "create directory", &e))
}

/// Write `bytes` at `offset`; `truncate` creates or empties the file first.
pub fn write_at(path: &Path, offset: u64, bytes: &[u8], truncate: bool) -> Result<(), IoFail> {
    let f = OpenOptions::new()
        .write(true)
        .create(truncate)
        .truncate(truncate)
        .open(path)
        .map_err(|e| fail(path, "open for writing", &e))?;
    f.write_all_at(bytes, offset)
        .map_err(|e| fail(path, "write", &e))
}

/// fsync `tmp`, rename it to `dest`, fsync the directory.
pub fn commit_file(tmp: &Path, dest: &Path) -> Result<(), IoFail> {
    let f = File::open(tmp).map_err(|e| fail(tmp, "open", &e))?;
    f.sync_all().map_err(|e| fail(tmp, "fsync", &e))?;
    drop(f);
    fs::rename(tmp, dest).map_err(|e| fail(dest, "rename into place", &e))?;
    sync_dir(dest)
}

/// fsync the directory holding `path` so a rename in it is durable.
pub fn sync_dir(path: &Path) -> Result<(), IoFail> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let d = File::open(dir).map_err(|e| fail(dir, "open directory", &e))?;
    d.sync_all().map_err(|e| fail(dir, "fsync directory", &e))
}

/// Remove a file or (recursively) a directory; missing is fine.
pub fn remove(path: &Path, recursive: bool) -> Result<(), IoFail> {
    let r = if recursive {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(fail(path, "remove", &e)),
    }
}

/// Copy `src` to `dest` atomically: stream into `dest.tmp`, fsync, rename, fsync dir.
/// The staging file is removed on failure.
pub fn copy_atomic(src: &mut dyn Read, dest: &Path) -> Result<u64, IoFail> {
    let tmp = tmp_path(dest);
    let result = (|| {
        let mut f = File::create(&tmp).map_err(|e| fail(&tmp, "create", &e))?;
        let n = io::copy(src, &mut f).map_err(|e| fail(&tmp, "write", &e))?;
        f.flush().map_err(|e| fail(&tmp, "write", &e))?;
        f.sync_all().map_err(|e| fail(&tmp, "fsync", &e))?;
        drop(f);
        fs::rename(&tmp, dest).map_err(|e| fail(dest, "rename into place", &e))?;
        sync_dir(dest)?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `<path>.tmp`.
pub fn tmp_path(path: &Path) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    s.into()
}

/// Where `path` points when it is a symbolic link (`?` when the target cannot be
/// resolved); `None` for anything else.
pub fn symlink_target(path: &Path) -> Option<String> {
    if !fs::symlink_metadata(path).ok()?.file_type().is_symlink() {
        return None;
    }
    Some(fs::canonicalize(path).map_or_else(|_| "?".into(), |t| t.display().to_string()))
}

/// `path` with every symbolic link in its existing part resolved (the part that does
/// not exist yet is appended as given): two spellings of one place compare equal.
pub fn real_path(path: &Path) -> std::path::PathBuf {
    let mut rest = Vec::new();
    let mut cur = path;
    loop {
        if let Ok(real) = fs::canonicalize(cur) {
            return rest.iter().rev().fold(real, |p, c| p.join(c));
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                cur = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}
