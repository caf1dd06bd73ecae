//! LTX directories: the daemon's local meta directory and the `ltx/<level>/` files of a
//! replica or meta directory, their names, headers and contents.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use litestream_core::ltx::{self, Header, HEADER_SIZE};

/// The daemon's local meta directory of `db`: `<dir>/.<name>-litestream`.
pub fn meta_dir(db: &Path) -> PathBuf {
    let name = db.file_name().expect("db file name").to_string_lossy();
    db.with_file_name(format!(".{name}-litestream"))
}

/// `(min, max)` TXIDs of the `ltx/<level>/` files under `root` (a replica root or a meta
/// directory), sorted; names that do not parse are ignored.
pub fn ltx_files(root: &Path, level: u8) -> Vec<(u64, u64)> {
    let dir = root.join("ltx").join(level.to_string());
    let mut v: Vec<(u64, u64)> = fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| ltx::parse_filename(&e.file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Highest MaxTXID among `root/ltx/0/` files (0 if none).
pub fn max_l0_txid(root: &Path) -> u64 {
    ltx_files(root, 0).last().map_or(0, |f| f.1)
}

/// Path of an L0 file.
pub fn l0_path(root: &Path, txid: u64) -> PathBuf {
    root.join("ltx/0").join(ltx::format_filename(txid, txid))
}

/// Decode and verify a whole LTX file.
pub fn decode_ltx(path: &Path) -> ltx::DecodedFile {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    ltx::decode_file(&bytes).unwrap_or_else(|e| panic!("decode {}: {e}", path.display()))
}

/// Header of an LTX file.
pub fn ltx_header(path: &Path) -> Option<Header> {
    let mut f = fs::File::open(path).ok()?;
    let mut head = [0u8; HEADER_SIZE];
    f.read_exact(&mut head).ok()?;
    Header::peek(&head).ok()
}

/// Assert the replica's L0 names are exactly `1-1, 2-2, …, max-max`; returns max.
pub fn assert_l0_contiguous(replica: &Path) -> u64 {
    let files = ltx_files(replica, 0);
    for (i, (min, max)) in files.iter().enumerate() {
        let want = i as u64 + 1;
        assert!(
            *min == want && *max == want,
            "replica L0 is not contiguous: file #{i} is {min}-{max}, expected {want}-{want}; all: {:?}",
            files
        );
    }
    files.len() as u64
}
