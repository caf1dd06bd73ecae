//! The 100-byte LTX header and 16-byte trailer (LTX.md §3, §6), their byte codecs and the
//! validation rules of LTX.md §11.

use super::checksum::CHECKSUM_FLAG;
use super::error::LtxError;

/// Size of the file header.
pub const HEADER_SIZE: usize = 100;
/// Size of the file trailer.
pub const TRAILER_SIZE: usize = 16;
/// Size of a page header (pgno u32 + flags u16).
pub const PAGE_HEADER_SIZE: usize = 6;
/// The four magic bytes every LTX file starts with.
pub const MAGIC: [u8; 4] = *b"LTX1";
/// Header flag: database checksums are not tracked (pre/post-apply must be 0).
pub const HEADER_FLAG_NO_CHECKSUM: u32 = 0x0000_0002;
/// Page-header flag: a 4-byte compressed size and an LZ4 block follow.
pub const PAGE_FLAG_SIZE: u16 = 0x0001;
/// Smallest valid page size.
pub const MIN_PAGE_SIZE: u32 = 512;
/// Largest valid page size.
pub const MAX_PAGE_SIZE: u32 = 65536;

/// The page holding SQLite's pending byte (offset 2^30); never stored in LTX files.
pub fn lock_pgno(page_size: u32) -> u32 {
    // A zero page size is invalid anyway; max(1) keeps this total for any input.
    (0x4000_0000 / page_size.max(1)) + 1
}

/// The LZ4 worst-case block size for `n` input bytes (`LZ4_COMPRESSBOUND`, Go's
/// `CompressBlockBound`): the largest compressed size a block frame may declare.
pub const fn lz4_block_bound(n: usize) -> usize {
    n + n / 255 + 16
}

/// Whether `page_size` is a power of two in 512..=65536.
pub fn is_valid_page_size(page_size: u32) -> bool {
    page_size.is_power_of_two() && (MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&page_size)
}

/// The header of an LTX file. TXIDs are plain `u64`; the timestamp is Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Header flags; only [`HEADER_FLAG_NO_CHECKSUM`] is valid.
    pub flags: u32,
    /// Database page size in bytes.
    pub page_size: u32,
    /// Database size in pages after applying this file.
    pub commit: u32,
    /// First TXID covered.
    pub min_txid: u64,
    /// Last TXID covered.
    pub max_txid: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// Database checksum before applying (0 for snapshots and NoChecksum files).
    pub pre_apply_checksum: u64,
    /// Offset in the source WAL where this segment starts (0 = not from a WAL).
    pub wal_offset: i64,
    /// Bytes of WAL covered.
    pub wal_size: i64,
    /// Salt-1 of the source WAL.
    pub wal_salt1: u32,
    /// Salt-2 of the source WAL.
    pub wal_salt2: u32,
    /// Id of the node that wrote the file (Litestream writes 0).
    pub node_id: u64,
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_be_bytes(a)
}

fn be_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(a)
}

impl Header {
    /// A snapshot holds the whole database: its range starts at TXID 1.
    pub fn is_snapshot(&self) -> bool {
        self.min_txid == 1
    }

    /// Whether database checksums are off (header flag NoChecksum).
    pub fn no_checksum(&self) -> bool {
        self.flags & HEADER_FLAG_NO_CHECKSUM != 0
    }

    /// The lock page number for this header's page size.
    pub fn lock_pgno(&self) -> u32 {
        lock_pgno(self.page_size)
    }

    /// The 100 header bytes (reserved bytes 80..100 zero).
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..4].copy_from_slice(&MAGIC);
        b[4..8].copy_from_slice(&self.flags.to_be_bytes());
        b[8..12].copy_from_slice(&self.page_size.to_be_bytes());
        b[12..16].copy_from_slice(&self.commit.to_be_bytes());
        b[16..24].copy_from_slice(&self.min_txid.to_be_bytes());
        b[24..32].copy_from_slice(&self.max_txid.to_be_bytes());
        b[32..40].copy_from_slice(&self.timestamp.to_be_bytes());
        b[40..48].copy_from_slice(&self.pre_apply_checksum.to_be_bytes());
        b[48..56].copy_from_slice(&self.wal_offset.to_be_bytes());
        b[56..64].copy_from_slice(&self.wal_size.to_be_bytes());
        b[64..68].copy_from_slice(&self.wal_salt1.to_be_bytes());
        b[68..72].copy_from_slice(&self.wal_salt2.to_be_bytes());
        b[72..80].copy_from_slice(&self.node_id.to_be_bytes());
        b
    }

    /// Parse the fields of 100 header bytes, checking only the magic (reserved bytes are
    /// ignored, as Go does). Call [`Header::validate`] for the rest of §11.
    pub fn decode(b: &[u8; HEADER_SIZE]) -> Result<Header, LtxError> {
        if b[0..4] != MAGIC {
            let mut found = [0u8; 4];
            found.copy_from_slice(&b[0..4]);
            return Err(LtxError::BadMagic { found });
        }
        Ok(Header {
            flags: be_u32(b, 4),
            page_size: be_u32(b, 8),
            commit: be_u32(b, 12),
            min_txid: be_u64(b, 16),
            max_txid: be_u64(b, 24),
            timestamp: be_u64(b, 32) as i64,
            pre_apply_checksum: be_u64(b, 40),
            wal_offset: be_u64(b, 48) as i64,
            wal_size: be_u64(b, 56) as i64,
            wal_salt1: be_u32(b, 64),
            wal_salt2: be_u32(b, 68),
            node_id: be_u64(b, 72),
        })
    }

    /// Read and validate just the header from the start of `bytes`.
    pub fn peek(bytes: &[u8]) -> Result<Header, LtxError> {
        let Some(head) = bytes.first_chunk::<HEADER_SIZE>() else {
            return Err(LtxError::UnexpectedEof {
                what: "header",
                offset: 0,
                available: bytes.len(),
            });
        };
        let h = Header::decode(head)?;
        h.validate()?;
        Ok(h)
    }

    /// Check every header rule of LTX.md §11 (messages follow Go's `Header.Validate`).
    pub fn validate(&self) -> Result<(), LtxError> {
        if self.flags & !HEADER_FLAG_NO_CHECKSUM != 0 {
            return Err(LtxError::header(
                "flags",
                format!("invalid flags: 0x{:08x}", self.flags),
            ));
        }
        if !is_valid_page_size(self.page_size) {
            return Err(LtxError::header(
                "page_size",
                format!("invalid page size: {}", self.page_size),
            ));
        }
        if self.min_txid == 0 {
            return Err(LtxError::header(
                "min_txid",
                "minimum transaction id required",
            ));
        }
        if self.max_txid == 0 {
            return Err(LtxError::header(
                "max_txid",
                "maximum transaction id required",
            ));
        }
        if self.min_txid > self.max_txid {
            return Err(LtxError::header(
                "max_txid",
                format!(
                    "transaction ids out of order: ({},{})",
                    self.min_txid, self.max_txid
                ),
            ));
        }
        if self.wal_offset < 0 {
            return Err(LtxError::header(
                "wal_offset",
                format!("wal offset cannot be negative: {}", self.wal_offset),
            ));
        }
        if self.wal_size < 0 {
            return Err(LtxError::header(
                "wal_size",
                format!("wal size cannot be negative: {}", self.wal_size),
            ));
        }
        if (self.wal_salt1 != 0 || self.wal_salt2 != 0) && self.wal_offset == 0 {
            return Err(LtxError::header(
                "wal_offset",
                "wal offset required if salt exists",
            ));
        }
        if self.wal_offset == 0 && self.wal_size != 0 {
            return Err(LtxError::header(
                "wal_offset",
                "wal offset required if wal size exists",
            ));
        }
        let pre = self.pre_apply_checksum;
        if self.is_snapshot() {
            if pre != 0 {
                return Err(LtxError::header(
                    "pre_apply_checksum",
                    "pre-apply checksum must be zero on snapshots",
                ));
            }
        } else if self.no_checksum() {
            if pre != 0 {
                return Err(LtxError::header(
                    "pre_apply_checksum",
                    "pre-apply checksum not allowed",
                ));
            }
        } else if pre == 0 {
            return Err(LtxError::header(
                "pre_apply_checksum",
                "pre-apply checksum required on non-snapshot files",
            ));
        } else if pre & CHECKSUM_FLAG == 0 {
            return Err(LtxError::header(
                "pre_apply_checksum",
                "invalid pre-apply checksum format",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            flags: HEADER_FLAG_NO_CHECKSUM,
            page_size: 4096,
            commit: 7,
            min_txid: 3,
            max_txid: 9,
            timestamp: 1_700_000_000_000,
            pre_apply_checksum: 0,
            wal_offset: 32,
            wal_size: 4120,
            wal_salt1: 0x0102_0304,
            wal_salt2: 0x0506_0708,
            node_id: 0,
        }
    }

    #[test]
    fn header_round_trip() {
        let h = sample();
        let b = h.encode();
        assert_eq!(&b[0..4], b"LTX1");
        assert_eq!(&b[8..12], &[0, 0, 0x10, 0]);
        assert_eq!(Header::decode(&b).unwrap(), h);
        assert_eq!(Header::peek(&b).unwrap(), h);
    }

    #[test]
    fn lock_page_values() {
        let want = [
            (512, 2_097_153),
            (1024, 1_048_577),
            (2048, 524_289),
            (4096, 262_145),
            (8192, 131_073),
            (16384, 65_537),
            (32768, 32_769),
            (65536, 16_385),
        ];
        for (ps, lp) in want {
            assert_eq!(lock_pgno(ps), lp);
        }
    }

    #[test]
    fn validation_rules() {
        let ok = sample();
        ok.validate().unwrap();
        let cases: Vec<(Header, &str)> = vec![
            (Header { flags: 1, ..ok }, "flags"),
            (
                Header {
                    page_size: 1000,
                    ..ok
                },
                "page_size",
            ),
            (
                Header {
                    page_size: 256,
                    ..ok
                },
                "page_size",
            ),
            (
                Header {
                    page_size: 131072,
                    ..ok
                },
                "page_size",
            ),
            (Header { min_txid: 0, ..ok }, "min_txid"),
            (Header { max_txid: 0, ..ok }, "max_txid"),
            (Header { min_txid: 10, ..ok }, "max_txid"),
            (
                Header {
                    wal_offset: -1,
                    ..ok
                },
                "wal_offset",
            ),
            (Header { wal_size: -1, ..ok }, "wal_size"),
            (
                Header {
                    wal_offset: 0,
                    wal_size: 0,
                    ..ok
                },
                "wal_offset",
            ),
            (
                Header {
                    wal_offset: 0,
                    wal_salt1: 0,
                    wal_salt2: 0,
                    ..ok
                },
                "wal_offset",
            ),
            (
                Header {
                    pre_apply_checksum: 5,
                    ..ok
                },
                "pre_apply_checksum",
            ),
            (
                Header {
                    min_txid: 1,
                    flags: 0,
                    pre_apply_checksum: CHECKSUM_FLAG,
                    ..ok
                },
                "pre_apply_checksum",
            ),
            (Header { flags: 0, ..ok }, "pre_apply_checksum"),
            (
                Header {
                    flags: 0,
                    pre_apply_checksum: 5,
                    ..ok
                },
                "pre_apply_checksum",
            ),
        ];
        for (h, field) in cases {
            match h.validate() {
                Err(LtxError::InvalidHeader { field: f, .. }) => assert_eq!(f, field, "{h:?}"),
                other => panic!("{h:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_magic_and_short_peek() {
        let mut b = sample().encode();
        b[3] = b'2';
        assert_eq!(
            Header::decode(&b),
            Err(LtxError::BadMagic { found: *b"LTX2" })
        );
        assert!(matches!(
            Header::peek(&b[..99]),
            Err(LtxError::UnexpectedEof { available: 99, .. })
        ));
    }
}
