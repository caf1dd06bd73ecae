//! The LTX file format (v3, magic `LTX1`): streaming encoder and decoder, checksums, file names and the compaction merge.
//!
//! Byte layout and rules: `shared/spec/LTX.md`. Everything here is pure: bytes in, bytes
//! or events out.

mod apply;
mod checksum;
mod compactor;
mod decoder;
mod encoder;
mod error;
mod file;
mod header;
mod legacy;
mod name;
mod trailer;
mod varint;

pub use apply::{page_offset, Applier, ApplyOp, DbImage};
pub use checksum::{crc64, page_checksum, Crc64Digest, DbChecksum, CHECKSUM_FLAG};
pub use compactor::{compact, compaction_header, CompactError, PageSource};
pub use decoder::{DecodeEvent, Decoder, Stage};
pub use encoder::Encoder;
pub use error::LtxError;
pub use file::{decode_file, DecodedFile, SliceSource, FEED_CHUNK};
pub use header::{
    is_valid_page_size, lock_pgno, lz4_block_bound, Header, HEADER_FLAG_NO_CHECKSUM, HEADER_SIZE,
    MAGIC, MAX_PAGE_SIZE, MIN_PAGE_SIZE, PAGE_FLAG_SIZE, PAGE_HEADER_SIZE, TRAILER_SIZE,
};
pub use name::{format_filename, format_txid, parse_filename, parse_txid};
pub use trailer::Trailer;
pub use varint::{get_uvarint, put_uvarint, Uvarint};

#[cfg(test)]
mod codec_tests;
#[cfg(test)]
mod compactor_tests;

/// Encode a whole file in memory (test helper).
#[cfg(test)]
pub(crate) fn encode_file(header: Header, pages: &[(u32, Vec<u8>)], post_apply: u64) -> Vec<u8> {
    let mut enc = Encoder::new(header).expect("valid test header");
    for (pgno, data) in pages {
        enc.write_page(*pgno, data).expect("valid test page");
    }
    enc.finish(post_apply).expect("valid test trailer");
    enc.take_output()
}
