//! The file replica: `<root>/ltx/<level>/<min>-<max>.ltx`, written atomically (tmp, fsync,
//! rename, fsync dir) with the file's mtime set to the LTX header timestamp, as Litestream
//! does, so listings report when each file was created.

use std::fs::{self, File};
use std::io::{self, ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use litestream_core::io::{ObjectInfo, ObjectKey, StoreFail};
use litestream_core::ltx::{self, Header, HEADER_SIZE};
use litestream_core::time::UnixMs;

use super::ReplicaClient;

/// A replica in a local (or mounted) directory.
#[derive(Debug, Clone)]
pub struct FileReplica {
    root: PathBuf,
}

impl FileReplica {
    /// A replica rooted at `root` (absolute).
    pub fn new(root: PathBuf) -> FileReplica {
        FileReplica { root }
    }

    fn level_dir(&self, level: u8) -> PathBuf {
        self.root.join("ltx").join(level.to_string())
    }

    fn path(&self, key: ObjectKey) -> PathBuf {
        self.level_dir(key.level)
            .join(ltx::format_filename(key.min_txid, key.max_txid))
    }
}

fn store_fail(path: &Path, what: &str, e: &io::Error) -> StoreFail {
    let msg = format!("{what} {}: {e}", path.display());
    match e.kind() {
        ErrorKind::NotFound => StoreFail::NotFound(msg),
        ErrorKind::PermissionDenied => StoreFail::Forbidden(msg),
        _ => StoreFail::Transient(msg),
    }
}

/// Most single-TXID files probed in one gap of a level 0 listing.
const GAP_PROBES: u64 = 256;

fn info(level: u8, min: u64, max: u64, meta: &fs::Metadata) -> ObjectInfo {
    let created = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    ObjectInfo {
        key: ObjectKey {
            level,
            min_txid: min,
            max_txid: max,
        },
        size: meta.len(),
        created: UnixMs(created),
    }
}

impl FileReplica {
    /// Reading a directory while files are renamed into it may return a newer file and
    /// miss an older one (readdir gives no promise about entries added meanwhile), which
    /// looks like a gap in the history. Level 0 files are uploaded in TXID order, so look
    /// up the missing names directly: a real gap stays, a race fills in.
    fn fill_listing_gaps(&self, out: &mut Vec<ObjectInfo>) -> Result<(), StoreFail> {
        let mut found = Vec::new();
        for pair in out.windows(2) {
            let (end, next) = (pair[0].key.max_txid, pair[1].key.min_txid);
            if next <= end + 1 || next - end - 1 > GAP_PROBES {
                continue;
            }
            for t in end + 1..next {
                let key = ObjectKey {
                    level: 0,
                    min_txid: t,
                    max_txid: t,
                };
                match fs::metadata(self.path(key)) {
                    Ok(meta) => found.push(info(0, t, t, &meta)),
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(store_fail(&self.path(key), "stat", &e)),
                }
            }
        }
        if !found.is_empty() {
            out.extend(found);
            out.sort_by_key(|o| (o.key.min_txid, o.key.max_txid));
        }
        Ok(())
    }
}

impl ReplicaClient for FileReplica {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn location(&self) -> String {
        format!("file://{}", self.root.display())
    }

    /// The header's timestamp: the mtime we set on upload is lost when a replica is
    /// copied without preserving times, and point-in-time restores would find nothing.
    fn created_at(&self, key: ObjectKey) -> Result<Option<UnixMs>, StoreFail> {
        let p = self.path(key);
        let mut head = [0u8; HEADER_SIZE];
        let read = File::open(&p).and_then(|mut f| f.read_exact(&mut head));
        match read {
            Ok(()) => Ok(Header::peek(&head).ok().map(|h| UnixMs(h.timestamp))),
            // Gone or too short: the listing's time stands; the restore reports the file.
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::UnexpectedEof) => {
                Ok(None)
            }
            Err(e) => Err(store_fail(&p, "read header of", &e)),
        }
    }

    fn put(&self, key: ObjectKey, source: &Path) -> Result<(), StoreFail> {
        let mut src = File::open(source).map_err(|e| store_fail(source, "open", &e))?;
        let mut head = [0u8; HEADER_SIZE];
        src.read_exact(&mut head)
            .map_err(|e| store_fail(source, "read header of", &e))?;
        let header = Header::peek(&head)
            .map_err(|e| StoreFail::Transient(format!("{}: {e}", source.display())))?;
        let dir = self.level_dir(key.level);
        fs::create_dir_all(&dir).map_err(|e| store_fail(&dir, "create directory", &e))?;
        let dest = self.path(key);
        let mut reader = io::Cursor::new(head).chain(src);
        crate::fs::copy_atomic(&mut reader, &dest).map_err(|e| StoreFail::Transient(e.message))?;
        let mtime =
            UNIX_EPOCH + Duration::from_millis(u64::try_from(header.timestamp).unwrap_or(0));
        let f = File::options()
            .write(true)
            .open(&dest)
            .map_err(|e| store_fail(&dest, "open", &e))?;
        f.set_modified(mtime)
            .map_err(|e| store_fail(&dest, "set mtime of", &e))?;
        Ok(())
    }

    fn list(&self, level: u8) -> Result<Vec<ObjectInfo>, StoreFail> {
        let dir = self.level_dir(level);
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(store_fail(&dir, "list", &e)),
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| store_fail(&dir, "list", &e))?;
            let name = entry.file_name();
            let Some((min, max)) = ltx::parse_filename(&name.to_string_lossy()) else {
                continue;
            };
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if min > max || !is_file {
                continue; // not a file we could have written
            }
            let meta = entry
                .metadata()
                .map_err(|e| store_fail(&entry.path(), "stat", &e))?;
            out.push(info(level, min, max, &meta));
        }
        out.sort_by_key(|o| (o.key.min_txid, o.key.max_txid));
        if level == 0 {
            self.fill_listing_gaps(&mut out)?;
        }
        Ok(out)
    }

    fn open(&self, key: ObjectKey) -> Result<Box<dyn Read + Send>, StoreFail> {
        let p = self.path(key);
        let f = File::open(&p).map_err(|e| store_fail(&p, "open", &e))?;
        Ok(Box::new(io::BufReader::with_capacity(1 << 20, f)))
    }

    fn delete(&self, keys: &[ObjectKey]) -> Result<(), StoreFail> {
        for k in keys {
            let p = self.path(*k);
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(store_fail(&p, "remove", &e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_skips_impossible_names_and_keeps_real_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let r = FileReplica::new(dir.path().to_path_buf());
        let l0 = dir.path().join("ltx/0");
        fs::create_dir_all(&l0).unwrap();
        for (min, max) in [(1, 1), (2, 2), (5, 5), (9, 2)] {
            fs::write(l0.join(ltx::format_filename(min, max)), b"x").unwrap();
        }
        fs::write(l0.join("notes.txt"), b"x").unwrap();
        let keys: Vec<(u64, u64)> = r
            .list(0)
            .unwrap()
            .iter()
            .map(|o| (o.key.min_txid, o.key.max_txid))
            .collect();
        // 9-2 cannot be an LTX file; 3 and 4 are really missing, so the gap stays.
        assert_eq!(keys, vec![(1, 1), (2, 2), (5, 5)]);
    }
}
