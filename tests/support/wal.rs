//! Reading a database's WAL directly: whether the newest local L0 file covers every
//! committed frame, and how many frames the current generation holds.

use std::fs;
use std::path::{Path, PathBuf};

use litestream_core::ltx::Header;

fn wal_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    s.into()
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Whether the newest local L0 file (header `h`) covers every committed frame of `db`'s
/// WAL: the WAL is absent or empty, or `h` was read from the current WAL generation (same
/// salts) and no frame of that generation after `h`'s range is a commit frame (frames
/// after it are missing, of another generation, or an uncommitted tail).
pub fn wal_covered(db: &Path, h: &Header) -> bool {
    use std::os::unix::fs::FileExt;
    let Ok(f) = fs::File::open(wal_path(db)) else {
        return true;
    };
    let mut whdr = [0u8; 32];
    if f.read_exact_at(&mut whdr, 0).is_err() {
        return true;
    }
    let page_size = u64::from(be32(&whdr[8..]));
    let (salt1, salt2) = (be32(&whdr[16..]), be32(&whdr[20..]));
    if (h.wal_salt1, h.wal_salt2) != (salt1, salt2) {
        return false;
    }
    let mut off = u64::try_from(h.wal_offset + h.wal_size)
        .unwrap_or(0)
        .max(32);
    let mut fh = [0u8; 24];
    while f.read_exact_at(&mut fh, off).is_ok() {
        if (be32(&fh[8..]), be32(&fh[12..])) != (salt1, salt2) {
            return true;
        }
        if be32(&fh[4..]) != 0 {
            return false; // a commit frame the L0 files do not cover yet
        }
        off += 24 + page_size;
    }
    true
}

/// Number of frames in the WAL's current generation (frames from offset 32 on whose
/// salts equal the header's; stale frames of an older generation end the count). 0 when
/// the WAL is missing or empty.
pub fn wal_generation_frames(db: &Path) -> u64 {
    use std::os::unix::fs::FileExt;
    let Ok(f) = fs::File::open(wal_path(db)) else {
        return 0;
    };
    let mut whdr = [0u8; 32];
    if f.read_exact_at(&mut whdr, 0).is_err() {
        return 0;
    }
    let page_size = u64::from(be32(&whdr[8..]));
    let salts = (be32(&whdr[16..]), be32(&whdr[20..]));
    let (mut n, mut off, mut fh) = (0u64, 32u64, [0u8; 24]);
    while f.read_exact_at(&mut fh, off).is_ok() && (be32(&fh[8..]), be32(&fh[12..])) == salts {
        n += 1;
        off += 24 + page_size;
    }
    n
}

/// The daemon's default `min-checkpoint-page-count`: at or above this many WAL frames
/// it still has a PASSIVE checkpoint to run.
pub const MIN_CHECKPOINT_PAGES: u64 = 1000;
