//! `SimFs`: files as byte vectors with pending and durable state.
//!
//! Writes change a file's visible bytes at once but become durable only when the file is
//! fsynced. Directory entries (creations, renames, removals) become durable only when
//! their directory is fsynced. A crash keeps durable state and, per file and per entry,
//! randomly keeps, drops or tears what was pending, as a real disk after power loss.
//! Directories themselves are durable as soon as they exist.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use litestream_core::io::{FileStat, IoFail, IoFailKind, PageRead};
use litestream_core::time::UnixMs;

use crate::rng::Rng;

#[derive(Debug, Clone)]
struct Inode {
    data: Vec<u8>,
    synced: Vec<u8>,
    mtime: UnixMs,
}

/// The simulated filesystem.
#[derive(Debug, Clone, Default)]
pub struct SimFs {
    inodes: BTreeMap<u64, Inode>,
    names: BTreeMap<PathBuf, u64>,
    durable: BTreeMap<PathBuf, u64>,
    dirs: BTreeSet<PathBuf>,
    next_ino: u64,
}

fn fail(kind: IoFailKind, what: &str, path: &Path) -> IoFail {
    IoFail {
        kind,
        message: format!("{what} {}", path.display()),
    }
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

impl SimFs {
    /// An empty filesystem with only `/`.
    pub fn new() -> SimFs {
        let mut fs = SimFs::default();
        fs.dirs.insert(PathBuf::from("/"));
        fs
    }

    fn inode(&self, path: &Path) -> Option<&Inode> {
        self.names.get(path).and_then(|i| self.inodes.get(i))
    }

    fn inode_mut(&mut self, path: &Path) -> Option<&mut Inode> {
        let ino = *self.names.get(path)?;
        self.inodes.get_mut(&ino)
    }

    /// True when `path` names a file.
    pub fn exists(&self, path: &Path) -> bool {
        self.names.contains_key(path)
    }

    /// The visible bytes of a file.
    pub fn read(&self, path: &Path) -> Option<&[u8]> {
        self.inode(path).map(|i| i.data.as_slice())
    }

    /// Size of a file.
    pub fn len(&self, path: &Path) -> Option<u64> {
        self.inode(path).map(|i| i.data.len() as u64)
    }

    /// True when no file exists.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Create `dir` and its parents.
    pub fn create_dir_all(&mut self, dir: &Path) {
        for a in dir.ancestors() {
            if !a.as_os_str().is_empty() {
                self.dirs.insert(a.to_path_buf());
            }
        }
    }

    /// Write `bytes` at `offset` (pending until fsync), creating the file if needed.
    pub fn write(
        &mut self,
        path: &Path,
        offset: u64,
        bytes: &[u8],
        truncate: bool,
        now: UnixMs,
    ) -> Result<(), IoFail> {
        if !self.dirs.contains(&parent(path)) {
            return Err(fail(IoFailKind::NotFound, "open for writing", path));
        }
        if !self.names.contains_key(path) {
            if !truncate {
                return Err(fail(IoFailKind::NotFound, "open for writing", path));
            }
            self.next_ino += 1;
            let ino = self.next_ino;
            self.inodes.insert(
                ino,
                Inode {
                    data: Vec::new(),
                    synced: Vec::new(),
                    mtime: now,
                },
            );
            self.names.insert(path.to_path_buf(), ino);
        }
        let f = self.inode_mut(path).expect("created above");
        if truncate {
            f.data.clear();
        }
        let end = offset as usize + bytes.len();
        if f.data.len() < end {
            f.data.resize(end, 0);
        }
        f.data[offset as usize..end].copy_from_slice(bytes);
        f.mtime = now;
        Ok(())
    }

    /// Cut or extend a file to `len` bytes (pending until fsync).
    pub fn set_len(&mut self, path: &Path, len: u64, now: UnixMs) {
        if let Some(f) = self.inode_mut(path) {
            f.data.resize(len as usize, 0);
            f.mtime = now;
        }
    }

    /// Make a file's bytes durable.
    pub fn fsync(&mut self, path: &Path) {
        if let Some(f) = self.inode_mut(path) {
            f.synced = f.data.clone();
        }
    }

    /// Make every entry change in `dir` durable.
    pub fn fsync_dir(&mut self, dir: &Path) {
        self.durable.retain(|p, _| parent(p) != dir);
        for (p, ino) in &self.names {
            if parent(p) == dir {
                self.durable.insert(p.clone(), *ino);
            }
        }
    }

    /// Write a whole file durably (its data and its directory entry): what a careful
    /// writer (tmp, fsync, rename, fsync dir) or SQLite creating its files leaves behind.
    pub fn write_durable(&mut self, path: &Path, bytes: &[u8], now: UnixMs) -> Result<(), IoFail> {
        self.write(path, 0, bytes, true, now)?;
        self.fsync(path);
        self.fsync_dir(&parent(path));
        Ok(())
    }

    /// fsync `tmp`, rename it to `dest`, fsync the directory (the core's `CommitFile`).
    pub fn commit_file(&mut self, tmp: &Path, dest: &Path) -> Result<(), IoFail> {
        let Some(&ino) = self.names.get(tmp) else {
            return Err(fail(IoFailKind::NotFound, "open", tmp));
        };
        if !self.dirs.contains(&parent(dest)) {
            return Err(fail(IoFailKind::NotFound, "rename into place", dest));
        }
        self.fsync(tmp);
        self.names.remove(tmp);
        self.names.insert(dest.to_path_buf(), ino);
        self.fsync_dir(&parent(dest));
        if parent(tmp) != parent(dest) {
            self.fsync_dir(&parent(tmp));
        }
        Ok(())
    }

    /// Remove a file, or a directory tree when `recursive`; missing is fine.
    pub fn remove(&mut self, path: &Path, recursive: bool) -> Result<(), IoFail> {
        if recursive {
            self.names.retain(|p, _| !p.starts_with(path));
            self.dirs.retain(|d| !d.starts_with(path));
        } else {
            if self.dirs.contains(path) {
                return Err(fail(IoFailKind::Other, "remove (is a directory)", path));
            }
            self.names.remove(path);
        }
        Ok(())
    }

    /// Stat a file.
    pub fn stat(&self, path: &Path) -> Option<FileStat> {
        let ino = *self.names.get(path)?;
        self.inodes.get(&ino).map(|i| FileStat {
            size: i.data.len() as u64,
            mtime: i.mtime,
            id: ino,
        })
    }

    /// Up to `len` bytes at `offset` (empty for a missing file, like the real shell).
    pub fn read_at(&self, path: &Path, offset: u64, len: u32) -> Vec<u8> {
        let Some(f) = self.inode(path) else {
            return Vec::new();
        };
        let start = (offset as usize).min(f.data.len());
        let end = (start + len as usize).min(f.data.len());
        f.data[start..end].to_vec()
    }

    /// The core's `ReadPages`: a missing file is an error, short reads at the end are not.
    pub fn read_pages(&self, reads: &[PageRead], len: u32) -> Result<Vec<Vec<u8>>, IoFail> {
        reads
            .iter()
            .map(|r| {
                if !self.exists(&r.path) {
                    return Err(fail(IoFailKind::NotFound, "open", &r.path));
                }
                Ok(self.read_at(&r.path, r.offset, len))
            })
            .collect()
    }

    /// Sorted names of the files in `dir` (missing directory = empty).
    pub fn list_dir(&self, dir: &Path) -> Vec<String> {
        let mut out: Vec<String> = self
            .names
            .keys()
            .filter(|p| parent(p) == dir)
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        // Subdirectories are listed too, as `read_dir` would.
        for d in &self.dirs {
            if parent(d) == dir && d != dir {
                if let Some(n) = d.file_name() {
                    out.push(n.to_string_lossy().into_owned());
                }
            }
        }
        out.sort();
        out
    }

    /// Power loss: durable state survives; each pending entry change and each file's
    /// pending bytes survive, vanish or tear at random.
    pub fn crash(&mut self, rng: &mut Rng) {
        let mut names = self.durable.clone();
        let keys: BTreeSet<PathBuf> = self
            .names
            .keys()
            .chain(self.durable.keys())
            .cloned()
            .collect();
        for p in keys {
            let now = self.names.get(&p).copied();
            let dur = self.durable.get(&p).copied();
            if now != dur && rng.chance(400) {
                match now {
                    Some(ino) => names.insert(p, ino),
                    None => names.remove(&p),
                };
            }
        }
        let live: BTreeSet<u64> = names.values().copied().collect();
        self.inodes.retain(|ino, _| live.contains(ino));
        for f in self.inodes.values_mut() {
            if f.data == f.synced {
                continue;
            }
            match rng.below(3) {
                0 => f.data = f.synced.clone(),
                1 => {}
                _ => {
                    // Torn: a random prefix of the pending bytes reached the disk.
                    let len = rng.range(
                        f.synced.len().min(f.data.len()) as u64,
                        f.data.len().max(f.synced.len()) as u64,
                    ) as usize;
                    let mut torn = f.synced.clone();
                    torn.resize(len, 0);
                    let cut = rng.below(len as u64 + 1) as usize;
                    let avail = cut.min(f.data.len());
                    torn[..avail].copy_from_slice(&f.data[..avail]);
                    f.data = torn;
                }
            }
            f.synced = f.data.clone();
        }
        self.names = names.clone();
        self.durable = names;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn committed_files_survive_a_crash_and_pending_ones_may_not() {
        let mut fs = SimFs::new();
        fs.create_dir_all(&p("/m/ltx/0"));
        fs.write(&p("/m/ltx/0/a.tmp"), 0, b"hello", true, UnixMs(0))
            .unwrap();
        fs.commit_file(&p("/m/ltx/0/a.tmp"), &p("/m/ltx/0/a"))
            .unwrap();
        fs.write(&p("/m/ltx/0/b.tmp"), 0, b"pending", true, UnixMs(0))
            .unwrap();
        for seed in 0..20 {
            let mut c = fs.clone();
            c.crash(&mut Rng::new(seed));
            assert_eq!(c.read(&p("/m/ltx/0/a")), Some(&b"hello"[..]));
            if let Some(b) = c.read(&p("/m/ltx/0/b.tmp")) {
                assert!(b.len() <= 7);
            }
        }
        assert_eq!(fs.list_dir(&p("/m/ltx/0")), vec!["a", "b.tmp"]);
        assert_eq!(fs.list_dir(&p("/m/ltx")), vec!["0"]);
    }

    #[test]
    fn writes_need_a_directory_and_reads_are_short_at_the_end() {
        let mut fs = SimFs::new();
        assert!(fs.write(&p("/x/y"), 0, b"a", true, UnixMs(0)).is_err());
        fs.create_dir_all(&p("/x"));
        fs.write(&p("/x/y"), 2, b"ab", true, UnixMs(0)).unwrap();
        assert_eq!(fs.read_at(&p("/x/y"), 1, 10), vec![0, b'a', b'b']);
        assert_eq!(fs.read_at(&p("/x/nope"), 0, 10), Vec::<u8>::new());
        fs.remove(&p("/x"), true).unwrap();
        assert!(!fs.exists(&p("/x/y")));
    }
}
