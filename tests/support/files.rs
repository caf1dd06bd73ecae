//! Hashing files and directory trees, and finding leftover `.tmp` files.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// sha256 of a file's bytes.
pub fn sha256_file(path: &Path) -> [u8; 32] {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    Sha256::digest(&bytes).into()
}

/// sha256 of every regular file under `dir`, by path relative to `dir`.
pub fn hash_tree(dir: &Path) -> BTreeMap<PathBuf, [u8; 32]> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, [u8; 32]>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(mut f) = fs::File::open(&p) {
                let mut h = Sha256::new();
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    match f.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => h.update(&buf[..n]),
                    }
                }
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    h.finalize().into(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Every file under `dir` whose name ends in `.tmp`.
pub fn tmp_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = hash_tree(dir)
        .into_keys()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    v.sort();
    v
}
