//! Compaction (LTX.md §12): a k-way merge of consecutive LTX files into one, streamed.
//!
//! Inputs are pulled page by page through [`PageSource`], so the merge holds one page per
//! input, never whole files, and does no IO: a shell implements `PageSource` over a file or
//! network reader feeding a [`super::Decoder`]; [`super::SliceSource`] does it for memory.

use super::encoder::Encoder;
use super::error::LtxError;
use super::header::{Header, HEADER_FLAG_NO_CHECKSUM};
use super::trailer::Trailer;

/// A decoded LTX file read one page at a time.
pub trait PageSource {
    /// The file's header.
    fn header(&self) -> &Header;
    /// The next page in ascending order, or `None` once the trailer has been read and
    /// verified (after which [`PageSource::trailer`] is `Some`).
    fn next_page(&mut self) -> Result<Option<(u32, &[u8])>, LtxError>;
    /// The trailer, once the last page has been read.
    fn trailer(&self) -> Option<&Trailer>;
}

/// Why a compaction failed: a bad input, or the output sink refused bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompactError<E> {
    /// An input was invalid, or the inputs do not fit together.
    Ltx(LtxError),
    /// The output callback failed.
    Sink(E),
}

impl<E> From<LtxError> for CompactError<E> {
    fn from(e: LtxError) -> Self {
        CompactError::Ltx(e)
    }
}

/// Check the inputs fit together and build the output header (LTX.md §12 step 2).
pub fn compaction_header(inputs: &[&Header], flags: u32) -> Result<Header, LtxError> {
    let (Some(first), Some(last)) = (inputs.first(), inputs.last()) else {
        return Err(LtxError::NoInputs);
    };
    for pair in inputs.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        if next.page_size != first.page_size {
            return Err(LtxError::PageSizeDiffers {
                first: first.page_size,
                other: next.page_size,
            });
        }
        let contiguous =
            next.min_txid <= prev.max_txid.saturating_add(1) && next.max_txid > prev.max_txid;
        if !contiguous {
            return Err(LtxError::NonContiguous {
                prev: (prev.min_txid, prev.max_txid),
                next: (next.min_txid, next.max_txid),
            });
        }
    }
    let no_checksum = flags & HEADER_FLAG_NO_CHECKSUM != 0;
    Ok(Header {
        flags,
        page_size: first.page_size,
        commit: last.commit,
        min_txid: first.min_txid,
        max_txid: last.max_txid,
        timestamp: last.timestamp,
        // A NoChecksum output carries no database checksums, whatever the inputs had.
        pre_apply_checksum: if no_checksum {
            0
        } else {
            first.pre_apply_checksum
        },
        wal_offset: 0,
        wal_size: 0,
        wal_salt1: 0,
        wal_salt2: 0,
        node_id: 0,
    })
}

/// Merge `inputs` (oldest first) into one LTX file with header `flags` (Litestream uses
/// [`HEADER_FLAG_NO_CHECKSUM`]), streaming the encoded bytes to `out`.
///
/// For each page number the newest input's version wins; pages beyond the last input's
/// commit are dropped. Every input is read to its end, so its checksums are verified.
/// Returns the output trailer.
///
/// `as_snapshot` writes the output as a snapshot (MinTXID 1, no pre-apply checksum) even
/// when the first input starts later: for rebasing a replica that lost its older files
/// onto a full image of the database. The encoder then requires every page.
pub fn compact<S, E, F>(
    inputs: &mut [S],
    flags: u32,
    as_snapshot: bool,
    out: &mut F,
) -> Result<Trailer, CompactError<E>>
where
    S: PageSource,
    F: FnMut(&[u8]) -> Result<(), E>,
{
    let mut header = {
        let headers: Vec<&Header> = inputs.iter().map(|s| s.header()).collect();
        compaction_header(&headers, flags)?
    };
    if as_snapshot {
        header.min_txid = 1;
        header.pre_apply_checksum = 0;
    }
    let mut enc = Encoder::new(header)?;
    let mut buf = Vec::new();
    enc.drain_into(&mut buf);
    out(&buf).map_err(CompactError::Sink)?;

    // One head page per input, in reused buffers.
    let mut heads: Vec<Option<u32>> = vec![None; inputs.len()];
    let mut data: Vec<Vec<u8>> = vec![Vec::new(); inputs.len()];
    for (i, src) in inputs.iter_mut().enumerate() {
        heads[i] = pull(src, &mut data[i])?;
    }
    while let Some(pgno) = heads.iter().flatten().min().copied() {
        // The newest input holding this page wins.
        let winner = heads
            .iter()
            .rposition(|h| *h == Some(pgno))
            .unwrap_or_default();
        if pgno <= header.commit {
            enc.write_page(pgno, &data[winner])?;
            buf.clear();
            enc.drain_into(&mut buf);
            out(&buf).map_err(CompactError::Sink)?;
        }
        for (i, src) in inputs.iter_mut().enumerate() {
            if heads[i] == Some(pgno) {
                heads[i] = pull(src, &mut data[i])?;
            }
        }
    }

    let post_apply = if flags & HEADER_FLAG_NO_CHECKSUM != 0 {
        0
    } else {
        inputs
            .last()
            .and_then(|s| s.trailer())
            .map(|t| t.post_apply_checksum)
            .unwrap_or_default()
    };
    let trailer = enc.finish(post_apply)?;
    buf.clear();
    enc.drain_into(&mut buf);
    out(&buf).map_err(CompactError::Sink)?;
    Ok(trailer)
}

/// Advance one input, copying its page into `buf`.
fn pull<S: PageSource>(src: &mut S, buf: &mut Vec<u8>) -> Result<Option<u32>, LtxError> {
    match src.next_page()? {
        Some((pgno, page)) => {
            buf.clear();
            buf.extend_from_slice(page);
            Ok(Some(pgno))
        }
        None => Ok(None),
    }
}
