//! Typed LTX errors: every rejected byte sequence names the field and, where one exists,
//! the byte offset in the file.

use std::fmt;

/// Everything that can be wrong with an LTX file, or with a request to write or merge one.
///
/// Offsets are absolute byte offsets from the start of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LtxError {
    /// The input ended inside `what`, which starts at `offset`; `available` bytes of it were
    /// present (0 means the input ended exactly where `what` should begin).
    UnexpectedEof {
        /// The item being read ("header", "page header", "compressed data", ...).
        what: &'static str,
        /// Where the item starts.
        offset: u64,
        /// How many bytes of it were there.
        available: usize,
    },
    /// The first four bytes are not `LTX1`.
    BadMagic {
        /// The bytes found.
        found: [u8; 4],
    },
    /// A header field breaks a rule of LTX.md §11 (`reason` says which).
    InvalidHeader {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A page header at `offset` breaks a rule (pgno 0 with flags, unknown flag bits).
    InvalidPageHeader {
        /// Where the page header starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A block frame declares a compressed size larger than the LZ4 bound of the page size.
    CompressedSizeTooLarge {
        /// Page number of the frame.
        pgno: u32,
        /// Where the size prefix starts.
        offset: u64,
        /// The declared size.
        size: u32,
        /// The largest size accepted.
        max: usize,
    },
    /// An LZ4 payload (block or legacy frame) does not decompress.
    Decompress {
        /// Page number of the frame.
        pgno: u32,
        /// Where the payload starts.
        offset: u64,
        /// A legacy LZ4 frame (flags 0) rather than a block.
        legacy: bool,
        /// What the LZ4 decoder said.
        reason: String,
    },
    /// LZ4 compression of a page failed (an output buffer too small: a bug, not bad input).
    Compress {
        /// Page number of the page.
        pgno: u32,
        /// What the LZ4 encoder said.
        reason: String,
    },
    /// A payload decompressed to a length other than the page size.
    PageSizeMismatch {
        /// Page number of the frame.
        pgno: u32,
        /// Decompressed length.
        len: usize,
        /// The header's page size.
        page_size: u32,
    },
    /// Page numbers are not strictly ascending.
    PageOrder {
        /// The page that came too late.
        pgno: u32,
        /// The page before it.
        prev: u32,
    },
    /// A page lies beyond the header's commit.
    PageBeyondCommit {
        /// The page number.
        pgno: u32,
        /// The header's commit.
        commit: u32,
    },
    /// The SQLite lock page was stored.
    LockPage {
        /// The lock page number for this page size.
        pgno: u32,
    },
    /// A snapshot file does not hold every page 1..=commit (except the lock page).
    SnapshotIncomplete {
        /// The page that should have come next.
        expected: u32,
        /// The page found instead, or `None` when the page block ended.
        found: Option<u32>,
    },
    /// The page index is malformed or disagrees with the frames read.
    Index {
        /// Where the offending index bytes start.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The stored index size does not match the index.
    IndexSize {
        /// The stored value.
        stored: u64,
        /// The byte length of the index actually read.
        actual: u64,
    },
    /// Bytes follow the 16-byte trailer.
    TrailingBytes {
        /// Where the extra bytes start.
        offset: u64,
    },
    /// The recomputed file checksum differs from the trailer's.
    FileChecksum {
        /// The stored value.
        stored: u64,
        /// The recomputed value.
        computed: u64,
    },
    /// A trailer field breaks a rule (NoChecksum ⇒ 0, flag bit 63 set, ...).
    InvalidTrailer {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A snapshot's recomputed database checksum differs from the trailer's post-apply checksum.
    PostApplyChecksum {
        /// The trailer's value.
        stored: u64,
        /// The value computed from the pages.
        computed: u64,
    },
    /// The database checksum before applying differs from the header's pre-apply checksum.
    PreApplyChecksum {
        /// The header's value.
        stored: u64,
        /// The database's current checksum.
        computed: u64,
    },
    /// A page passed to the encoder has the wrong length.
    PageLength {
        /// The page number.
        pgno: u32,
        /// The length passed.
        len: usize,
        /// The header's page size.
        page_size: u32,
    },
    /// Page number 0 passed to the encoder.
    ZeroPgno,
    /// The encoder or decoder was used after it finished or failed.
    Closed,
    /// Compaction inputs do not follow each other (`next.min ≤ prev.max+1 && next.max > prev.max`).
    NonContiguous {
        /// TXID range of the earlier file.
        prev: (u64, u64),
        /// TXID range of the later file.
        next: (u64, u64),
    },
    /// Compaction inputs have different page sizes.
    PageSizeDiffers {
        /// Page size of the first input.
        first: u32,
        /// The different page size.
        other: u32,
    },
    /// Compaction was given no inputs.
    NoInputs,
}

impl LtxError {
    /// Shorthand for [`LtxError::InvalidHeader`].
    pub(crate) fn header(field: &'static str, reason: impl Into<String>) -> Self {
        LtxError::InvalidHeader {
            field,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`LtxError::InvalidTrailer`].
    pub(crate) fn trailer(field: &'static str, reason: impl Into<String>) -> Self {
        LtxError::InvalidTrailer {
            field,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for LtxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LtxError::UnexpectedEof {
                what,
                offset,
                available,
            } => write!(
                f,
                "unexpected EOF: {what} at offset {offset} ({available} bytes present)"
            ),
            LtxError::BadMagic { found } => {
                write!(f, "invalid LTX file: bad magic {found:02x?}, expected \"LTX1\"")
            }
            LtxError::InvalidHeader { field, reason } => {
                write!(f, "invalid header field {field}: {reason}")
            }
            LtxError::InvalidPageHeader { offset, reason } => {
                write!(f, "invalid page header at offset {offset}: {reason}")
            }
            LtxError::CompressedSizeTooLarge {
                pgno,
                offset,
                size,
                max,
            } => write!(
                f,
                "page {pgno}: compressed size {size} at offset {offset} exceeds the LZ4 bound {max}"
            ),
            LtxError::Decompress {
                pgno,
                offset,
                legacy,
                reason,
            } => write!(
                f,
                "page {pgno}: lz4 {} at offset {offset} does not decompress: {reason}",
                if *legacy { "frame" } else { "block" }
            ),
            LtxError::Compress { pgno, reason } => {
                write!(f, "page {pgno}: lz4 compress failed: {reason}")
            }
            LtxError::PageSizeMismatch {
                pgno,
                len,
                page_size,
            } => write!(
                f,
                "page {pgno}: decompressed to {len} bytes, expected page size {page_size}"
            ),
            LtxError::PageOrder { pgno, prev } => {
                write!(f, "page {pgno} out of order: follows page {prev}")
            }
            LtxError::PageBeyondCommit { pgno, commit } => {
                write!(f, "page {pgno} beyond commit {commit}")
            }
            LtxError::LockPage { pgno } => write!(f, "lock page {pgno} must not be stored"),
            LtxError::SnapshotIncomplete { expected, found } => match found {
                Some(p) => write!(f, "snapshot incomplete: expected page {expected}, found {p}"),
                None => write!(f, "snapshot incomplete: page block ended before page {expected}"),
            },
            LtxError::Index { offset, reason } => {
                write!(f, "invalid page index at offset {offset}: {reason}")
            }
            LtxError::IndexSize { stored, actual } => write!(
                f,
                "page index size mismatch: stored {stored}, index is {actual} bytes"
            ),
            LtxError::TrailingBytes { offset } => {
                write!(f, "unexpected bytes after the trailer at offset {offset}")
            }
            LtxError::FileChecksum { stored, computed } => write!(
                f,
                "file checksum mismatch: stored {stored:016x}, computed {computed:016x}"
            ),
            LtxError::InvalidTrailer { field, reason } => {
                write!(f, "invalid trailer field {field}: {reason}")
            }
            LtxError::PostApplyChecksum { stored, computed } => write!(
                f,
                "post-apply checksum in trailer ({stored:016x}) does not match calculated checksum ({computed:016x})"
            ),
            LtxError::PreApplyChecksum { stored, computed } => write!(
                f,
                "pre-apply checksum mismatch: {computed:016x} <> {stored:016x}"
            ),
            LtxError::PageLength {
                pgno,
                len,
                page_size,
            } => write!(
                f,
                "page {pgno}: data is {len} bytes, expected page size {page_size}"
            ),
            LtxError::ZeroPgno => write!(f, "page number required"),
            LtxError::Closed => write!(f, "ltx codec already finished or failed"),
            LtxError::NonContiguous { prev, next } => write!(
                f,
                "non-contiguous transaction ids: {:016x}-{:016x} then {:016x}-{:016x}",
                prev.0, prev.1, next.0, next.1
            ),
            LtxError::PageSizeDiffers { first, other } => write!(
                f,
                "input files have different page sizes: {first} and {other}"
            ),
            LtxError::NoInputs => write!(f, "at least one input file is required"),
        }
    }
}

impl std::error::Error for LtxError {}
