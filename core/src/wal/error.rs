//! Typed errors for WAL headers, resume positions and the test encoder.

use std::fmt;

use super::header::Salts;

/// Why a WAL header or a resume position was rejected.
///
/// A torn or stale frame in the body is never an error (see [`super::WalEnd`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalError {
    /// The header is not (yet) fully written: treat it like end-of-file and retry later.
    TornHeader(TornHeader),
    /// The magic is neither `0x377F0682` nor `0x377F0683`.
    BadMagic {
        /// The magic found at offset 0.
        magic: u32,
    },
    /// The format version is not 3007000.
    BadVersion {
        /// The version found at offset 4.
        version: u32,
    },
    /// The page size is not a power of two in 512..=65536.
    BadPageSize {
        /// The page size found (or given).
        page_size: u32,
    },
    /// A resume offset is not the start of a frame after the first one.
    BadResumeOffset {
        /// The offset asked for.
        offset: u64,
        /// The WAL's page size.
        page_size: u32,
    },
    /// The frame before a resume offset cannot vouch for it: restart from offset 32.
    PrevFrameMismatch(PrevFrameMismatch),
    /// The encoder was given a page whose length is not the WAL's page size.
    PageLength {
        /// The WAL's page size.
        expected: usize,
        /// The length given.
        actual: usize,
    },
}

/// How a WAL header is torn; Litestream reports both as end-of-file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TornHeader {
    /// Fewer than 32 bytes.
    Short {
        /// Bytes available.
        len: usize,
    },
    /// The stored header checksum does not match bytes 0..24.
    ChecksumMismatch {
        /// The checksum stored at offset 24.
        stored: (u32, u32),
        /// The checksum of bytes 0..24.
        computed: (u32, u32),
    },
}

/// Why the frame before a resume offset was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrevFrameMismatch {
    /// The frame is not fully present.
    Short {
        /// Offset of the previous frame.
        offset: u64,
        /// Bytes available of it.
        len: usize,
    },
    /// The frame belongs to another WAL generation.
    Salts {
        /// Offset of the previous frame.
        offset: u64,
        /// Salts the caller expected (from the last LTX file).
        expected: Salts,
        /// Salts the frame carries.
        found: Salts,
    },
}

impl WalError {
    /// True when the header is short or its checksum fails: "not written yet", not corrupt.
    pub fn is_torn_header(&self) -> bool {
        matches!(self, WalError::TornHeader(_))
    }
}

impl fmt::Display for WalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalError::TornHeader(TornHeader::Short { len }) => {
                write!(f, "torn wal header: {len} of 32 bytes")
            }
            WalError::TornHeader(TornHeader::ChecksumMismatch { stored, computed }) => write!(
                f,
                "torn wal header: stored checksum {:08x}{:08x}, computed {:08x}{:08x}",
                stored.0, stored.1, computed.0, computed.1
            ),
            WalError::BadMagic { magic } => write!(f, "invalid wal header magic: {magic:08x}"),
            WalError::BadVersion { version } => write!(f, "unsupported wal version: {version}"),
            WalError::BadPageSize { page_size } => write!(f, "invalid wal page size: {page_size}"),
            WalError::BadResumeOffset { offset, page_size } => write!(
                f,
                "wal offset {offset} is not a frame boundary after the first frame (page size {page_size})"
            ),
            WalError::PrevFrameMismatch(PrevFrameMismatch::Short { offset, len }) => write!(
                f,
                "prev frame mismatch: frame at offset {offset} is short ({len} bytes)"
            ),
            WalError::PrevFrameMismatch(PrevFrameMismatch::Salts {
                offset,
                expected,
                found,
            }) => write!(
                f,
                "prev frame mismatch: frame at offset {offset} has salts {found}, expected {expected}"
            ),
            WalError::PageLength { expected, actual } => {
                write!(f, "page of {actual} bytes in a wal of {expected}-byte pages")
            }
        }
    }
}

impl std::error::Error for WalError {}
