//! A database image as the checker sees it: pages shared by reference between the many
//! states the simulation remembers, with a cheap content hash.

use std::rc::Rc;

/// FNV-1a 64 over `bytes`, continuing from `h`.
pub fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    h
}

/// FNV-1a 64 offset basis.
pub const FNV_START: u64 = 0xCBF2_9CE4_8422_2325;

/// One page's bytes and their hash.
#[derive(Debug, PartialEq, Eq)]
pub struct PageData {
    /// The page contents.
    pub bytes: Vec<u8>,
    /// `fnv` of the contents.
    pub hash: u64,
}

/// A shared page.
pub type Page = Rc<PageData>;

/// A page holding `bytes`.
pub fn page(bytes: Vec<u8>) -> Page {
    let hash = fnv(FNV_START, &bytes);
    Rc::new(PageData { bytes, hash })
}

/// A whole database: pages 1..=len, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    page_size: u32,
    pages: Vec<Page>,
}

impl Image {
    /// An empty database.
    pub fn new(page_size: u32) -> Image {
        Image {
            page_size,
            pages: Vec::new(),
        }
    }

    /// Bytes per page.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// Number of pages.
    pub fn len(&self) -> u32 {
        self.pages.len() as u32
    }

    /// True when the database has no pages.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Page `pgno` (1-based).
    pub fn get(&self, pgno: u32) -> Option<&Page> {
        self.pages.get(pgno.checked_sub(1)? as usize)
    }

    /// Set page `pgno`, extending with zero pages if needed.
    pub fn set(&mut self, pgno: u32, p: Page) {
        let idx = (pgno - 1) as usize;
        if idx >= self.pages.len() {
            let zero = page(vec![0; self.page_size as usize]);
            self.pages.resize(idx + 1, zero);
        }
        self.pages[idx] = p;
    }

    /// Cut or extend (with zero pages) to `commit` pages.
    pub fn truncate(&mut self, commit: u32) {
        let zero = page(vec![0; self.page_size as usize]);
        self.pages.resize(commit as usize, zero);
    }

    /// Content hash of the whole image (page count and every page).
    pub fn hash(&self) -> u64 {
        let mut h = fnv(FNV_START, &(self.pages.len() as u64).to_be_bytes());
        for p in &self.pages {
            h = fnv(h, &p.hash.to_be_bytes());
        }
        h
    }

    /// The first page number where `self` and `other` differ (for failure messages).
    pub fn first_difference(&self, other: &Image) -> Option<u32> {
        let n = self.pages.len().max(other.pages.len());
        (0..n)
            .find(|&i| self.pages.get(i).map(|p| p.hash) != other.pages.get(i).map(|p| p.hash))
            .map(|i| i as u32 + 1)
    }

    /// Apply a decoded LTX file: its pages, then truncation to its commit.
    pub fn apply(&mut self, file: &litestream_core::ltx::DecodedFile) {
        for (pgno, data) in &file.pages {
            self.set(*pgno, page(data.clone()));
        }
        self.truncate(file.header.commit);
    }

    /// True when `file` rewrites every page 1..=commit (a full snapshot of the database).
    pub fn is_full(file: &litestream_core::ltx::DecodedFile) -> bool {
        let commit = file.header.commit as usize;
        let lock = litestream_core::ltx::lock_pgno(file.header.page_size);
        let expected = if (lock as usize) <= commit {
            commit - 1
        } else {
            commit
        };
        file.pages.len() == expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_tracks_content_and_length() {
        let mut a = Image::new(512);
        a.set(2, page(vec![1; 512]));
        assert_eq!(a.len(), 2);
        let mut b = a.clone();
        assert_eq!(a.hash(), b.hash());
        b.set(1, page(vec![3; 512]));
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.first_difference(&b), Some(1));
        b.truncate(1);
        assert_eq!(b.len(), 1);
    }
}
