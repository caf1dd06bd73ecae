//! Property tests: chunking never changes what the WAL decoder sees, the page map matches a
//! plain whole-buffer model of REPLICATION.md §2, and arbitrary bytes never panic.

use std::collections::BTreeMap;

use litestream_core::wal::{
    wal_checksum, FrameHeader, PageMap, PageMapScanner, SaltScanner, Salts, ScanStatus, WalCursor,
    WalDecoder, WalEncoder, WalHeader,
};
use proptest::prelude::*;

/// The spec's page map, computed over the whole buffer with indices: the reference the
/// streaming scanner must match.
#[derive(Debug, PartialEq)]
struct Model {
    pages: BTreeMap<u32, u64>,
    commit: u32,
    end_offset: u64,
    limited: bool,
    frames: u64,
    commits: Vec<(u64, u32)>,
}

fn model(wal: &[u8], cursor: &WalCursor, limit: u64) -> Model {
    let fs = cursor.frame_size() as usize;
    let (mut at, mut sum) = (cursor.offset() as usize, cursor.checksum());
    let (mut pending, mut pages) = (BTreeMap::new(), BTreeMap::new());
    let (mut commits, mut frames, mut limited) = (Vec::new(), 0, false);
    while at + fs <= wal.len() {
        let frame = &wal[at..at + fs];
        let h = FrameHeader::decode(frame).unwrap();
        let next = wal_checksum(cursor.big_endian_checksums(), &frame[..8], sum);
        let next = wal_checksum(cursor.big_endian_checksums(), &frame[24..], next);
        if h.salts != cursor.salts() || h.pgno == 0 || next != h.checksum {
            break;
        }
        sum = next;
        frames += 1;
        pending.insert(h.pgno, at as u64);
        if h.commit != 0 {
            pages.extend(std::mem::take(&mut pending));
            commits.push((at as u64, h.commit));
            if limit > 0 && (at + fs) as u64 - cursor.offset() >= limit {
                limited = true;
                break;
            }
        }
        at += fs;
    }
    let commit = commits.last().map_or(0, |c| c.1);
    pages.retain(|&p, _| p <= commit);
    let end_offset = pages.values().max().map_or(0, |&m| m + fs as u64);
    Model {
        commit: if pages.is_empty() { 0 } else { commit },
        pages,
        end_offset,
        limited,
        frames,
        commits,
    }
}

fn as_model(m: &PageMap) -> Model {
    Model {
        pages: m.pages.clone(),
        commit: m.commit,
        end_offset: m.end_offset,
        limited: m.limited,
        frames: m.frames,
        commits: m.commits.iter().map(|c| (c.offset, c.commit)).collect(),
    }
}

/// Splits `bytes` at the given sizes (cycled), feeding each piece to `push`.
fn chunked(bytes: &[u8], sizes: &[usize], mut push: impl FnMut(&[u8]) -> bool) {
    let mut rest = bytes;
    for &n in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (a, b) = rest.split_at(n.clamp(1, rest.len()));
        rest = b;
        if push(a) {
            break;
        }
    }
}

fn scan(wal: &[u8], cursor: WalCursor, limit: Option<u64>, sizes: &[usize]) -> PageMap {
    let mut s = PageMapScanner::new(cursor, limit);
    chunked(&wal[cursor.offset() as usize..], sizes, |c| {
        s.push(c) == ScanStatus::Finished
    });
    s.finish()
}

fn frames(wal: &[u8], cursor: WalCursor, sizes: &[usize]) -> Vec<(u64, FrameHeader, Vec<u8>)> {
    let mut dec = WalDecoder::new(cursor);
    let mut out = Vec::new();
    chunked(&wal[cursor.offset() as usize..], sizes, |mut c| {
        while let Some(f) = dec.next_frame(&mut c) {
            out.push((f.offset, f.header, f.data.to_vec()));
        }
        dec.stopped().is_some()
    });
    out
}

#[derive(Debug, Clone)]
struct Case {
    page_size: u32,
    big_endian: bool,
    salts: Salts,
    /// (pgno, commit) per frame; pgno may repeat within a transaction.
    frames: Vec<(u32, u32)>,
    /// Bytes flipped after encoding: (position, xor mask).
    damage: Vec<(usize, u8)>,
    /// Keep this fraction (per mille) of the bytes.
    keep: u16,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(512u32), Just(1024)],
        any::<bool>(),
        any::<(u32, u32)>(),
        prop::collection::vec(
            (1u32..12, prop_oneof![3 => Just(0u32), 2 => 1u32..12]),
            0..24,
        ),
        prop::collection::vec((any::<usize>(), 1u8..=255), 0..2),
        prop_oneof![3 => Just(1000u16), 1 => 0u16..1000],
    )
        .prop_map(
            |(page_size, big_endian, (a, b), frames, damage, keep)| Case {
                page_size,
                big_endian,
                salts: Salts::new(a, b),
                frames,
                damage,
                keep,
            },
        )
}

fn encode(c: &Case) -> (WalHeader, Vec<u8>) {
    let header = WalHeader::new(c.big_endian, c.page_size, 0, c.salts).unwrap();
    let mut wal = header.encode().to_vec();
    let mut enc = WalEncoder::new(&header);
    for (i, &(pgno, commit)) in c.frames.iter().enumerate() {
        let page: Vec<u8> = (0..c.page_size)
            .map(|j| (j as usize * 7 + i) as u8)
            .collect();
        enc.append_frame(&mut wal, pgno, commit, &page).unwrap();
    }
    let body = wal.len() - 32;
    for &(pos, mask) in &c.damage {
        if body > 0 {
            wal[32 + pos % body] ^= mask;
        }
    }
    wal.truncate(32 + body * usize::from(c.keep) / 1000);
    (header, wal)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn chunking_never_changes_the_result(
        c in case(),
        sizes in prop::collection::vec(1usize..1500, 1..8),
        limit in prop_oneof![Just(None), (0u64..20_000).prop_map(Some)],
    ) {
        let (header, wal) = encode(&c);
        let start = WalCursor::start(&header);
        let whole = scan(&wal, start, limit, &[wal.len()]);
        prop_assert_eq!(&scan(&wal, start, limit, &sizes), &whole);
        prop_assert_eq!(as_model(&whole), model(&wal, &start, limit.unwrap_or(0)));
        prop_assert_eq!(frames(&wal, start, &sizes), frames(&wal, start, &[wal.len()]));
        if c.damage.is_empty() && c.keep == 1000 && limit.is_none() {
            prop_assert_eq!(whole.frames, c.frames.len() as u64);
        }
    }

    #[test]
    fn resuming_at_any_frame_matches_the_model(c in case(), k in 1usize..24, chunk in 1usize..2000) {
        let (header, wal) = encode(&c);
        let at = 32 + k as u64 * header.frame_size();
        let prev = header.prev_frame_offset(at).unwrap() as usize;
        match WalCursor::resume(&header, at, c.salts, wal.get(prev..).unwrap_or(&[])) {
            Ok(cursor) => {
                let got = scan(&wal, cursor, None, &[chunk]);
                prop_assert_eq!(as_model(&got), model(&wal, &cursor, 0));
            }
            Err(e) => prop_assert!(wal.len() < prev + header.frame_size() as usize || !c.damage.is_empty(), "{}", e),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..3000),
        sizes in prop::collection::vec(1usize..700, 1..5),
        be in any::<bool>(),
    ) {
        let _ = WalHeader::decode(&bytes);
        let _ = FrameHeader::decode(&bytes);
        let salts = Salts::new(
            u32::from_be_bytes([0, 0, 0, bytes.first().copied().unwrap_or(0)]),
            0,
        );
        let cursor = WalCursor::new(512, be, salts, 32, (1, 2)).unwrap();
        let padded: Vec<u8> = [&[0u8; 32][..], &bytes].concat();
        let map = scan(&padded, cursor, Some(600), &sizes);
        prop_assert!(map.pages.keys().all(|&p| p >= 1 && p <= map.commit));
        prop_assert_eq!(as_model(&map), model(&padded, &cursor, 600));
        let header = WalHeader::new(be, 512, 0, salts).unwrap();
        let mut salt_scan = SaltScanner::new(&header, Salts::new(0, 0));
        chunked(&bytes, &sizes, |c| salt_scan.push(c) == ScanStatus::Finished);
        let _ = WalCursor::resume(&header, 32 + 536, salts, &bytes);
    }
}

#[test]
fn later_frames_of_a_transaction_override_earlier_ones() {
    let header = WalHeader::new(false, 512, 0, Salts::new(1, 2)).unwrap();
    let mut wal = header.encode().to_vec();
    let mut enc = WalEncoder::new(&header);
    for (pgno, commit) in [(3, 0), (1, 0), (3, 0), (1, 4), (2, 0), (3, 0)] {
        enc.append_frame(&mut wal, pgno, commit, &[pgno as u8; 512])
            .unwrap();
    }
    let map = scan(&wal, WalCursor::start(&header), None, &[700]);
    let at = |i: u64| 32 + i * 536;
    assert_eq!(map.pages, BTreeMap::from([(1, at(3)), (3, at(2))]));
    assert_eq!((map.commit, map.end_offset, map.frames), (4, at(4), 6));
}
