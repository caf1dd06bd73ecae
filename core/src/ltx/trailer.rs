//! The 16-byte LTX trailer (LTX.md §6) and the post-apply checksum rule.

use super::checksum::CHECKSUM_FLAG;
use super::error::LtxError;
use super::header::{Header, TRAILER_SIZE};

fn be_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(a)
}

/// The trailer of an LTX file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trailer {
    /// Database checksum after applying (0 for NoChecksum files).
    pub post_apply_checksum: u64,
    /// CRC-64/GO-ISO of the file up to here, with bit 63 set.
    pub file_checksum: u64,
}

impl Trailer {
    /// The 16 trailer bytes.
    pub fn encode(&self) -> [u8; TRAILER_SIZE] {
        let mut b = [0u8; TRAILER_SIZE];
        b[0..8].copy_from_slice(&self.post_apply_checksum.to_be_bytes());
        b[8..16].copy_from_slice(&self.file_checksum.to_be_bytes());
        b
    }

    /// Parse 16 trailer bytes.
    pub fn decode(b: &[u8; TRAILER_SIZE]) -> Trailer {
        Trailer {
            post_apply_checksum: be_u64(b, 0),
            file_checksum: be_u64(b, 8),
        }
    }

    /// The post-apply rule: NoChecksum ⇒ 0, otherwise non-zero with bit 63 set.
    pub fn validate_post_apply(header: &Header, post_apply: u64) -> Result<(), LtxError> {
        if header.no_checksum() {
            if post_apply != 0 {
                return Err(LtxError::trailer(
                    "post_apply_checksum",
                    "post-apply checksum not allowed",
                ));
            }
        } else if post_apply == 0 {
            return Err(LtxError::trailer(
                "post_apply_checksum",
                "post-apply checksum required",
            ));
        } else if post_apply & CHECKSUM_FLAG == 0 {
            return Err(LtxError::trailer(
                "post_apply_checksum",
                "invalid post-apply checksum format",
            ));
        }
        Ok(())
    }
}
