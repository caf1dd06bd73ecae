//! The 32-byte WAL header and the salt pair that names a WAL generation.

use std::fmt;

use super::checksum::wal_checksum;
use super::error::{TornHeader, WalError};

/// Size of the WAL header.
pub const WAL_HEADER_SIZE: usize = 32;
/// Size of a frame header; the page follows it.
pub const FRAME_HEADER_SIZE: usize = 24;
/// The only WAL format version SQLite writes.
pub const WAL_VERSION: u32 = 3_007_000;

const MAGIC_LE: u32 = 0x377F_0682;
const MAGIC_BE: u32 = 0x377F_0683;

/// The salt pair of a WAL generation; every valid frame repeats its header's salts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Salts {
    /// Salt-1 (SQLite increments it at each WAL restart).
    pub salt1: u32,
    /// Salt-2 (random at each WAL restart).
    pub salt2: u32,
}

impl Salts {
    /// The pair `(salt1, salt2)`.
    pub const fn new(salt1: u32, salt2: u32) -> Salts {
        Salts { salt1, salt2 }
    }
}

impl fmt::Display for Salts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x},{:08x}", self.salt1, self.salt2)
    }
}

/// A decoded, valid WAL header; fields are read-only so the page size is always sane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalHeader {
    big_endian: bool,
    page_size: u32,
    checkpoint_seq: u32,
    salts: Salts,
    checksum: (u32, u32),
}

impl WalHeader {
    /// A header as SQLite would write it, with its checksum computed (for tests and the
    /// simulated writer).
    pub fn new(
        big_endian: bool,
        page_size: u32,
        checkpoint_seq: u32,
        salts: Salts,
    ) -> Result<WalHeader, WalError> {
        check_page_size(page_size)?;
        let mut header = WalHeader {
            big_endian,
            page_size,
            checkpoint_seq,
            salts,
            checksum: (0, 0),
        };
        let bytes = header.encode();
        header.checksum = wal_checksum(big_endian, &bytes[..24], (0, 0));
        Ok(header)
    }

    /// Decodes the first 32 bytes of `bytes` (more are ignored).
    ///
    /// Checks run in Litestream's order: length and checksum failures are
    /// [`WalError::TornHeader`]; a bad magic is reported before the checksum is tried, a bad
    /// version or page size only for a header whose checksum holds. The page size is the
    /// literal u32 SQLite writes (65536 is stored as 65536); like SQLite's `wal.c` anything
    /// that is not a power of two in 512..=65536 (including the database header's "1 means
    /// 65536" encoding) is rejected.
    pub fn decode(bytes: &[u8]) -> Result<WalHeader, WalError> {
        let Some(bytes) = bytes.first_chunk::<WAL_HEADER_SIZE>() else {
            return Err(WalError::TornHeader(TornHeader::Short { len: bytes.len() }));
        };
        let big_endian = match be32(bytes, 0) {
            MAGIC_LE => false,
            MAGIC_BE => true,
            magic => return Err(WalError::BadMagic { magic }),
        };
        let stored = (be32(bytes, 24), be32(bytes, 28));
        let computed = wal_checksum(big_endian, &bytes[..24], (0, 0));
        if stored != computed {
            return Err(WalError::TornHeader(TornHeader::ChecksumMismatch {
                stored,
                computed,
            }));
        }
        let version = be32(bytes, 4);
        if version != WAL_VERSION {
            return Err(WalError::BadVersion { version });
        }
        let page_size = be32(bytes, 8);
        check_page_size(page_size)?;
        Ok(WalHeader {
            big_endian,
            page_size,
            checkpoint_seq: be32(bytes, 12),
            salts: Salts::new(be32(bytes, 16), be32(bytes, 20)),
            checksum: stored,
        })
    }

    /// The 32 header bytes, checksum as stored.
    pub fn encode(&self) -> [u8; WAL_HEADER_SIZE] {
        let magic = if self.big_endian { MAGIC_BE } else { MAGIC_LE };
        let words = [
            magic,
            WAL_VERSION,
            self.page_size,
            self.checkpoint_seq,
            self.salts.salt1,
            self.salts.salt2,
            self.checksum.0,
            self.checksum.1,
        ];
        let mut out = [0u8; WAL_HEADER_SIZE];
        for (slot, word) in out.chunks_exact_mut(4).zip(words) {
            slot.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// True when checksum words are big-endian (magic `0x377F0683`).
    pub fn big_endian_checksums(&self) -> bool {
        self.big_endian
    }

    /// The magic this header carries.
    pub fn magic(&self) -> u32 {
        if self.big_endian {
            MAGIC_BE
        } else {
            MAGIC_LE
        }
    }

    /// Database page size in bytes (512..=65536, a power of two).
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// Checkpoint sequence number (SQLite increments it at each WAL restart).
    pub fn checkpoint_seq(&self) -> u32 {
        self.checkpoint_seq
    }

    /// The salts every frame of this generation carries.
    pub fn salts(&self) -> Salts {
        self.salts
    }

    /// The header checksum: the running checksum before the first frame.
    pub fn checksum(&self) -> (u32, u32) {
        self.checksum
    }

    /// Bytes per frame: 24-byte frame header plus one page.
    pub fn frame_size(&self) -> u64 {
        frame_size(self.page_size)
    }

    /// Offset of the frame before resume offset `offset`, checking that `offset` is a frame
    /// boundary after the first frame.
    pub fn prev_frame_offset(&self, offset: u64) -> Result<u64, WalError> {
        prev_frame_offset(self.page_size, offset)
    }
}

pub(crate) fn check_page_size(page_size: u32) -> Result<(), WalError> {
    if page_size.is_power_of_two() && (512..=65536).contains(&page_size) {
        Ok(())
    } else {
        Err(WalError::BadPageSize { page_size })
    }
}

pub(crate) fn frame_size(page_size: u32) -> u64 {
    FRAME_HEADER_SIZE as u64 + u64::from(page_size)
}

pub(crate) fn prev_frame_offset(page_size: u32, offset: u64) -> Result<u64, WalError> {
    let size = frame_size(page_size);
    let first = WAL_HEADER_SIZE as u64;
    match offset.checked_sub(first + size) {
        Some(rel) if rel % size == 0 => Ok(offset - size),
        _ => Err(WalError::BadResumeOffset { offset, page_size }),
    }
}

pub(crate) fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(be: bool, page_size: u32) -> WalHeader {
        WalHeader::new(be, page_size, 0, Salts::new(0x0102_0304, 0x0506_0708)).unwrap()
    }

    #[test]
    fn roundtrip_both_byte_orders_and_64k_pages() {
        for be in [false, true] {
            for ps in [512, 4096, 65536] {
                let h = header(be, ps);
                let bytes = h.encode();
                assert_eq!(&bytes[8..12], &ps.to_be_bytes());
                assert_eq!(WalHeader::decode(&bytes), Ok(h));
                assert_eq!(h.frame_size(), 24 + u64::from(ps));
            }
        }
        let h = header(true, 4096);
        assert_eq!(h.magic(), 0x377F_0683);
        assert!(h.big_endian_checksums());
        assert_eq!(h.checksum(), (0x1706_E9DB, 0xC2E5_D89C));
        assert_eq!(header(false, 4096).checksum(), (0xD8EA_0514, 0x98D8_E2BE));
    }

    fn resealed(mut bytes: [u8; 32], be: bool) -> [u8; 32] {
        let (a, b) = wal_checksum(be, &bytes[..24], (0, 0));
        bytes[24..28].copy_from_slice(&a.to_be_bytes());
        bytes[28..32].copy_from_slice(&b.to_be_bytes());
        bytes
    }

    #[test]
    fn rejects_each_bad_field() {
        let good = header(false, 4096).encode();
        assert_eq!(
            WalHeader::decode(&good[..31]),
            Err(WalError::TornHeader(TornHeader::Short { len: 31 }))
        );
        let mut magic = good;
        magic[3] = 0x84;
        assert_eq!(
            WalHeader::decode(&magic),
            Err(WalError::BadMagic { magic: 0x377F_0684 })
        );
        let mut torn = good;
        torn[20] ^= 1;
        let err = WalHeader::decode(&torn).unwrap_err();
        assert!(err.is_torn_header());
        assert!(matches!(
            err,
            WalError::TornHeader(TornHeader::ChecksumMismatch { stored, .. })
                if stored == (0xD8EA_0514, 0x98D8_E2BE)
        ));
        let mut version = good;
        version[7] = 0;
        assert_eq!(
            WalHeader::decode(&resealed(version, false)),
            Err(WalError::BadVersion {
                version: 3_007_000 & !0xFF
            })
        );
        for ps in [0u32, 1, 256, 3000, 131072] {
            let mut bad = good;
            bad[8..12].copy_from_slice(&ps.to_be_bytes());
            assert_eq!(
                WalHeader::decode(&resealed(bad, false)),
                Err(WalError::BadPageSize { page_size: ps })
            );
            assert!(WalHeader::new(false, ps, 0, Salts::default()).is_err());
        }
    }

    #[test]
    fn prev_frame_offset_needs_a_boundary_after_frame_one() {
        let h = header(false, 512);
        assert_eq!(h.prev_frame_offset(32 + 536), Ok(32));
        assert_eq!(h.prev_frame_offset(32 + 3 * 536), Ok(32 + 2 * 536));
        for bad in [0, 32, 33, 32 + 535, 32 + 537] {
            assert_eq!(
                h.prev_frame_offset(bad),
                Err(WalError::BadResumeOffset {
                    offset: bad,
                    page_size: 512
                })
            );
        }
    }
}
