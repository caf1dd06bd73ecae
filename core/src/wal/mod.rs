//! SQLite WAL decoding: header, frames, the checksum chain, commit boundaries and WAL
//! restarts, as Litestream reads them (REPLICATION.md §2). Input arrives as byte chunks; no
//! file access.
//!
//! # Reading a WAL range
//!
//! 1. Decode the 32-byte header with [`WalHeader::decode`]. A short or torn header is
//!    [`WalError::TornHeader`]: treat it like end-of-file and retry later.
//! 2. Pick where to start: [`WalCursor::start`] (offset 32, the header's salts and checksum)
//!    or [`WalCursor::resume`] (a frame-aligned offset, checksum taken from the previous
//!    frame; [`WalError::PrevFrameMismatch`] means "restart from 32").
//! 3. Feed consecutive chunks starting at the cursor's offset to a [`PageMapScanner`] (the
//!    page map of the range) or a [`WalDecoder`] (every valid frame). Stop reading when
//!    `push` says [`ScanStatus::Finished`], or at end-of-file.
//! 4. [`PageMapScanner::finish`] yields the [`PageMap`].
//!
//! A torn or stale tail is never an error: the range ends at the last valid frame, and the
//! page map at the last commit frame before it ([`WalEnd`] says why it ended).
//!
//! ```
//! use litestream_core::wal::{PageMapScanner, Salts, WalCursor, WalEncoder, WalHeader};
//!
//! let header = WalHeader::new(false, 512, 0, Salts::new(1, 2)).unwrap();
//! let mut enc = WalEncoder::new(&header);
//! let mut wal = header.encode().to_vec();
//! enc.append_frame(&mut wal, 1, 0, &[1; 512]).unwrap();
//! enc.append_frame(&mut wal, 2, 2, &[2; 512]).unwrap();
//!
//! let decoded = WalHeader::decode(&wal[..32]).unwrap();
//! let mut scanner = PageMapScanner::new(WalCursor::start(&decoded), None);
//! for chunk in wal[32..].chunks(100) {
//!     scanner.push(chunk);
//! }
//! let map = scanner.finish();
//! assert_eq!(map.commit, 2);
//! assert_eq!(map.pages.get(&2), Some(&(32 + 536)));
//! assert_eq!(map.end_offset, 32 + 2 * 536);
//! ```

mod checksum;
mod cursor;
mod decoder;
mod encode;
mod error;
mod frame;
mod header;
mod page_map;
mod salt_scan;

pub use checksum::wal_checksum;
pub use cursor::WalCursor;
pub use decoder::{Frame, WalDecoder, WalEnd};
pub use encode::WalEncoder;
pub use error::{PrevFrameMismatch, TornHeader, WalError};
pub use frame::FrameHeader;
pub use header::{Salts, WalHeader, FRAME_HEADER_SIZE, WAL_HEADER_SIZE, WAL_VERSION};
pub use page_map::{CommitPoint, PageMap, PageMapScanner, ScanStatus};
pub use salt_scan::SaltScanner;
