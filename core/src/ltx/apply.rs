//! Applying LTX files to a database, as pure bookkeeping: which bytes to write where, how
//! long the file ends up, and what its checksum will be, so a shell can check a whole chain
//! of files before touching the database (restore, `litestream ltx apply`).

use super::checksum::{page_checksum, DbChecksum};
use super::decoder::DecodeEvent;
use super::error::LtxError;
use super::header::Header;
use super::trailer::Trailer;

/// One change to the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOp<'a> {
    /// Write `data` at byte `offset` (page `pgno`).
    WritePage {
        /// The page number.
        pgno: u32,
        /// `(pgno - 1) * page_size`.
        offset: u64,
        /// The page contents.
        data: &'a [u8],
    },
    /// Set the file length to `len` bytes (`commit * page_size`), after every write.
    Truncate {
        /// The final file length.
        len: u64,
    },
}

/// Turns a decoded LTX stream into database writes: every page where it belongs, then the
/// truncation to `commit` pages.
#[derive(Debug, Clone, Default)]
pub struct Applier {
    header: Option<Header>,
}

impl Applier {
    /// An applier waiting for a header event.
    pub fn new() -> Applier {
        Applier::default()
    }

    /// The operation for one decoder event (`None` for the header).
    pub fn on_event<'a>(&mut self, event: &DecodeEvent<'a>) -> Option<ApplyOp<'a>> {
        match *event {
            DecodeEvent::Header(h) => {
                self.header = Some(h);
                None
            }
            DecodeEvent::Page { pgno, data } => {
                let page_size = self.header.map(|h| h.page_size).unwrap_or_default();
                Some(ApplyOp::WritePage {
                    pgno,
                    offset: page_offset(pgno, page_size),
                    data,
                })
            }
            DecodeEvent::Done(_) => self.header.map(|h| ApplyOp::Truncate {
                len: u64::from(h.commit) * u64::from(h.page_size),
            }),
        }
    }
}

/// Byte offset of page `pgno` in a database of `page_size` pages.
pub fn page_offset(pgno: u32, page_size: u32) -> u64 {
    u64::from(pgno.saturating_sub(1)) * u64::from(page_size)
}

/// A model of a database file as its page checksums: enough to predict the pre- and
/// post-apply checksums of a chain of LTX files without writing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbImage {
    page_size: u32,
    pages: Vec<u64>,
}

impl DbImage {
    /// An empty database with pages of `page_size` bytes.
    pub fn new(page_size: u32) -> DbImage {
        DbImage {
            page_size,
            pages: Vec::new(),
        }
    }

    /// The page size the image counts in.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// Number of pages.
    pub fn page_count(&self) -> u32 {
        self.pages.len() as u32
    }

    /// Record the contents of page `pgno` (pages between the old end and `pgno` become
    /// zero pages, as a write past the end of a file leaves them).
    pub fn set_page(&mut self, pgno: u32, data: &[u8]) {
        if pgno == 0 {
            return;
        }
        let idx = (pgno - 1) as usize;
        if idx >= self.pages.len() {
            self.grow_zeroed(idx);
            self.pages.push(0);
        }
        self.pages[idx] = page_checksum(pgno, data);
    }

    /// Cut or extend (with zero pages) to `commit` pages.
    pub fn truncate(&mut self, commit: u32) {
        let commit = commit as usize;
        if commit <= self.pages.len() {
            self.pages.truncate(commit);
        } else {
            self.grow_zeroed(commit);
        }
    }

    fn grow_zeroed(&mut self, len: usize) {
        let zero = vec![0u8; self.page_size as usize];
        while self.pages.len() < len {
            let pgno = self.pages.len() as u32 + 1;
            self.pages.push(page_checksum(pgno, &zero));
        }
    }

    /// The database checksum (LTX.md §8; lock page excluded).
    pub fn checksum(&self) -> u64 {
        let lock = super::header::lock_pgno(self.page_size);
        let mut ck = DbChecksum::new();
        for (i, &c) in self.pages.iter().enumerate() {
            if i as u32 + 1 != lock {
                ck.add_checksum(c);
            }
        }
        ck.value()
    }

    /// Check `header`'s pre-apply checksum against this image (only incremental files with
    /// checksums carry one).
    pub fn check_pre_apply(&self, header: &Header) -> Result<(), LtxError> {
        if header.is_snapshot() || header.no_checksum() {
            return Ok(());
        }
        let computed = self.checksum();
        if computed != header.pre_apply_checksum {
            return Err(LtxError::PreApplyChecksum {
                stored: header.pre_apply_checksum,
                computed,
            });
        }
        Ok(())
    }

    /// After the file's pages and truncation, check the trailer's post-apply checksum
    /// (skipped for NoChecksum files).
    pub fn check_post_apply(&self, header: &Header, trailer: &Trailer) -> Result<(), LtxError> {
        if header.no_checksum() {
            return Ok(());
        }
        let computed = self.checksum();
        if computed != trailer.post_apply_checksum {
            return Err(LtxError::PostApplyChecksum {
                stored: trailer.post_apply_checksum,
                computed,
            });
        }
        Ok(())
    }
}
