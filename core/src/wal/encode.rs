//! A WAL frame encoder, for tests and the simulated SQLite writer.

use super::checksum::wal_checksum;
use super::cursor::WalCursor;
use super::error::WalError;
use super::frame::FrameHeader;
use super::header::{Salts, WalHeader};

/// Appends frames that chain checksums exactly as SQLite does.
#[derive(Debug, Clone)]
pub struct WalEncoder {
    big_endian: bool,
    page_size: u32,
    salts: Salts,
    checksum: (u32, u32),
}

impl WalEncoder {
    /// An encoder for the frames right after `header`.
    pub fn new(header: &WalHeader) -> WalEncoder {
        WalEncoder::at(&WalCursor::start(header))
    }

    /// An encoder continuing at `cursor` (its salts and running checksum).
    pub fn at(cursor: &WalCursor) -> WalEncoder {
        WalEncoder {
            big_endian: cursor.big_endian_checksums(),
            page_size: cursor.page_size(),
            salts: cursor.salts(),
            checksum: cursor.checksum(),
        }
    }

    /// Appends one frame (header + `page`) to `out` and returns its header.
    pub fn append_frame(
        &mut self,
        out: &mut Vec<u8>,
        pgno: u32,
        commit: u32,
        page: &[u8],
    ) -> Result<FrameHeader, WalError> {
        let expected = self.page_size as usize;
        if page.len() != expected {
            return Err(WalError::PageLength {
                expected,
                actual: page.len(),
            });
        }
        let mut header = FrameHeader {
            pgno,
            commit,
            salts: self.salts,
            checksum: (0, 0),
        };
        let prefix = header.encode();
        let sum = wal_checksum(self.big_endian, &prefix[..8], self.checksum);
        header.checksum = wal_checksum(self.big_endian, page, sum);
        self.checksum = header.checksum;
        out.extend_from_slice(&header.encode());
        out.extend_from_slice(page);
        Ok(header)
    }

    /// Running checksum after the last frame appended.
    pub fn checksum(&self) -> (u32, u32) {
        self.checksum
    }
}
