//! Salt pairs present in a WAL, for detecting a restart that hid unreplicated frames
//! (REPLICATION.md §5.2, row 8).

use std::collections::BTreeSet;

use super::header::{be32, Salts, WalHeader, FRAME_HEADER_SIZE};
use super::page_map::ScanStatus;

/// Collects the distinct salt pairs of frame headers from offset 32 up to and including the
/// first frame carrying `until`, or to end-of-file. Frames are not checksummed: stale frames
/// count, which is the point. Only the 24 header bytes of each frame are buffered.
#[derive(Debug, Clone)]
pub struct SaltScanner {
    frame_size: u64,
    until: Salts,
    /// Bytes of the current frame consumed so far.
    pos: u64,
    header: [u8; FRAME_HEADER_SIZE],
    salts: BTreeSet<Salts>,
    found: bool,
}

impl SaltScanner {
    /// A scanner over the frames after `header`, looking for `until` (the last LTX file's
    /// salts). Push bytes starting at offset 32.
    pub fn new(header: &WalHeader, until: Salts) -> SaltScanner {
        SaltScanner {
            frame_size: header.frame_size(),
            until,
            pos: 0,
            header: [0; FRAME_HEADER_SIZE],
            salts: BTreeSet::new(),
            found: false,
        }
    }

    /// Feeds the next chunk.
    pub fn push(&mut self, mut chunk: &[u8]) -> ScanStatus {
        while !self.found && !chunk.is_empty() {
            // `pos` < frame_size ≤ 65560, so these conversions are lossless.
            let pos = self.pos as usize;
            let step = if pos < FRAME_HEADER_SIZE {
                let n = (FRAME_HEADER_SIZE - pos).min(chunk.len());
                self.header[pos..pos + n].copy_from_slice(&chunk[..n]);
                if pos + n == FRAME_HEADER_SIZE {
                    let salts = Salts::new(be32(&self.header, 8), be32(&self.header, 12));
                    self.salts.insert(salts);
                    self.found = salts == self.until;
                }
                n
            } else {
                ((self.frame_size - self.pos) as usize).min(chunk.len())
            };
            chunk = &chunk[step..];
            self.pos = (self.pos + step as u64) % self.frame_size;
        }
        if self.found {
            ScanStatus::Finished
        } else {
            ScanStatus::Continue
        }
    }

    /// True once a frame carrying the `until` salts was seen.
    pub fn found(&self) -> bool {
        self.found
    }

    /// The distinct salt pairs seen so far.
    pub fn salts(&self) -> &BTreeSet<Salts> {
        &self.salts
    }

    /// Salt pairs seen other than `current` (the WAL header's) and `last` (the last LTX
    /// file's): non-empty means a generation was overwritten unseen, so snapshot.
    pub fn other_generations(&self, current: Salts, last: Salts) -> Vec<Salts> {
        self.salts
            .iter()
            .copied()
            .filter(|s| *s != current && *s != last)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wal::{FrameHeader, WalEncoder};

    #[test]
    fn collects_until_inclusive_across_any_chunking() {
        let new = Salts::new(5, 6);
        let header = WalHeader::new(false, 512, 1, new).unwrap();
        let mut wal = Vec::new();
        WalEncoder::new(&header)
            .append_frame(&mut wal, 1, 1, &[0; 512])
            .unwrap();
        for salts in [Salts::new(3, 4), Salts::new(4, 9), Salts::new(9, 9)] {
            let h = FrameHeader {
                pgno: 2,
                commit: 0,
                salts,
                checksum: (0, 0),
            };
            wal.extend_from_slice(&h.encode());
            wal.extend_from_slice(&[1; 512]);
        }
        for chunk in [1, 7, 24, 536, 1000, wal.len()] {
            let mut scan = SaltScanner::new(&header, Salts::new(4, 9));
            let mut status = ScanStatus::Continue;
            for c in wal.chunks(chunk) {
                status = scan.push(c);
            }
            assert_eq!(status, ScanStatus::Finished);
            assert!(scan.found());
            let seen: Vec<Salts> = scan.salts().iter().copied().collect();
            assert_eq!(seen, vec![Salts::new(3, 4), Salts::new(4, 9), new]);
            assert_eq!(
                scan.other_generations(new, Salts::new(4, 9)),
                vec![Salts::new(3, 4)]
            );
        }
        let mut scan = SaltScanner::new(&header, Salts::new(1, 1));
        assert_eq!(
            scan.push(&wal[..wal.len() - 536 + 23]),
            ScanStatus::Continue
        );
        assert!(!scan.found());
        assert_eq!(scan.salts().len(), 3);
    }
}
