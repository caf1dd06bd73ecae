//! The WAL decoder against the four golden samples in `shared/testdata/wal-reader` (facts
//! from its README). Missing samples fail the test rather than skip it.

// Tests may read files; the core itself may not.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;

use litestream_core::wal::{
    CommitPoint, PageMap, PageMapScanner, PrevFrameMismatch, SaltScanner, Salts, ScanStatus,
    WalCursor, WalDecoder, WalEnd, WalError, WalHeader,
};

const FRAME: u64 = 4096 + 24;

fn sample(name: &str) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/testdata/wal-reader/"
    );
    let path = format!("{path}{name}/wal");
    std::fs::read(&path).unwrap_or_else(|e| panic!("golden sample {path} is required: {e}"))
}

fn offset(frame_index: u64) -> u64 {
    32 + frame_index * FRAME
}

/// Scans `wal[cursor.offset()..]` in chunks of `chunk` bytes, stopping when told to.
fn scan(wal: &[u8], cursor: WalCursor, limit: Option<u64>, chunk: usize) -> PageMap {
    let mut scanner = PageMapScanner::new(cursor, limit);
    for c in wal[cursor.offset() as usize..].chunks(chunk) {
        if scanner.push(c) == ScanStatus::Finished {
            break;
        }
    }
    scanner.finish()
}

/// Every chunking gives the same page map; returns it.
fn scan_all_chunkings(wal: &[u8], cursor: WalCursor, limit: Option<u64>) -> PageMap {
    let whole = scan(wal, cursor, limit, wal.len());
    for chunk in [1, 7, 24, 4096, 4119, 4120, 4121, 10_000] {
        assert_eq!(scan(wal, cursor, limit, chunk), whole, "chunk size {chunk}");
    }
    whole
}

/// (offset, pgno, commit) of each frame the decoder yields, and why it ended.
fn frames(wal: &[u8], cursor: WalCursor, chunk: usize) -> (Vec<(u64, u32, u32)>, WalEnd) {
    let mut decoder = WalDecoder::new(cursor);
    let mut out = Vec::new();
    for c in wal[cursor.offset() as usize..].chunks(chunk) {
        let mut input = c;
        while let Some(f) = decoder.next_frame(&mut input) {
            assert_eq!(f.data.len(), 4096);
            assert_eq!(f.header.salts, decoder_salts(cursor));
            out.push((f.offset, f.pgno(), f.commit()));
        }
    }
    (out, decoder.end())
}

fn decoder_salts(cursor: WalCursor) -> Salts {
    cursor.salts()
}

fn header(wal: &[u8]) -> WalHeader {
    WalHeader::decode(wal).expect("sample header is valid")
}

const OK_SALTS: Salts = Salts::new(0x4875_a40b, 0xa38d_e4f5);

#[test]
fn ok_reads_three_frames_and_two_commits() {
    let wal = sample("ok");
    assert_eq!(wal.len() as u64, offset(3));
    let h = header(&wal);
    assert_eq!(h.magic(), 0x377F_0682);
    assert!(!h.big_endian_checksums());
    assert_eq!(h.page_size(), 4096);
    assert_eq!(h.checkpoint_seq(), 0);
    assert_eq!(h.salts(), OK_SALTS);
    assert_eq!(h.checksum(), (0xe08b_785b, 0x8e57_dda3));
    assert_eq!(h.encode(), wal[..32]);

    let start = WalCursor::start(&h);
    for chunk in [1, 100, 4120, wal.len()] {
        let (got, end) = frames(&wal, start, chunk);
        assert_eq!(
            got,
            vec![(offset(0), 1, 0), (offset(1), 2, 2), (offset(2), 2, 2)]
        );
        assert_eq!(end, WalEnd::EndOfInput { offset: offset(3) });
    }

    let map = scan_all_chunkings(&wal, start, None);
    assert_eq!(map.pages, BTreeMap::from([(1, offset(0)), (2, offset(2))]));
    assert_eq!(map.commit, 2);
    assert_eq!(map.end_offset, offset(3));
    assert_eq!(map.size(), offset(3) - 32);
    assert_eq!(map.frames, 3);
    assert!(!map.limited);
    assert_eq!(
        map.commits,
        vec![
            CommitPoint {
                offset: offset(1),
                end: offset(2),
                commit: 2
            },
            CommitPoint {
                offset: offset(2),
                end: offset(3),
                commit: 2
            },
        ]
    );
    assert_eq!(map.end, WalEnd::EndOfInput { offset: offset(3) });
}

#[test]
fn ok_byte_limit_cuts_at_a_commit_frame() {
    let wal = sample("ok");
    let start = WalCursor::start(&header(&wal));
    // Any limit up to the first commit's end stops right after it.
    for limit in [1, offset(2) - 32] {
        let map = scan_all_chunkings(&wal, start, Some(limit));
        assert!(map.limited);
        assert_eq!(map.pages, BTreeMap::from([(1, offset(0)), (2, offset(1))]));
        assert_eq!(map.end_offset, offset(2));
        assert_eq!(map.frames, 2);
        assert_eq!(map.end, WalEnd::Limited { offset: offset(2) });
    }
    let map = scan_all_chunkings(&wal, start, Some(offset(2) - 31));
    assert!(map.limited);
    assert_eq!(map.end_offset, offset(3));
    // Zero means "no limit", as in Litestream.
    let map = scan_all_chunkings(&wal, start, Some(0));
    assert!(!map.limited);
    assert_eq!(map.end_offset, offset(3));
}

#[test]
fn ok_resumes_mid_wal_from_the_previous_frame() {
    let wal = sample("ok");
    let h = header(&wal);
    let resume = |at: u64, salts: Salts| {
        let prev = h.prev_frame_offset(at)?;
        WalCursor::resume(&h, at, salts, &wal[prev as usize..])
    };
    let c = resume(offset(1), OK_SALTS).unwrap();
    assert_eq!(c.checksum(), (0x366b_4d98, 0x34f6_37cf));
    let map = scan_all_chunkings(&wal, c, None);
    assert_eq!(map.pages, BTreeMap::from([(2, offset(2))]));
    assert_eq!((map.commit, map.end_offset, map.frames), (2, offset(3), 2));
    assert_eq!(map.size(), 2 * FRAME);

    let map = scan_all_chunkings(&wal, resume(offset(2), OK_SALTS).unwrap(), None);
    assert_eq!(map.pages, BTreeMap::from([(2, offset(2))]));
    assert_eq!(map.commits.len(), 1);

    let map = scan_all_chunkings(&wal, resume(offset(3), OK_SALTS).unwrap(), None);
    assert!(map.is_empty());
    assert_eq!(
        (map.commit, map.end_offset, map.size(), map.frames),
        (0, 0, 0, 0)
    );
    assert_eq!(map.end, WalEnd::EndOfInput { offset: offset(3) });

    assert_eq!(
        resume(offset(1), Salts::new(1, 2)),
        Err(WalError::PrevFrameMismatch(PrevFrameMismatch::Salts {
            offset: 32,
            expected: Salts::new(1, 2),
            found: OK_SALTS,
        }))
    );
    assert_eq!(
        resume(offset(4), OK_SALTS),
        Err(WalError::PrevFrameMismatch(PrevFrameMismatch::Short {
            offset: offset(3),
            len: 0
        }))
    );
    assert!(matches!(
        resume(offset(1) + 8, OK_SALTS),
        Err(WalError::BadResumeOffset { .. })
    ));
}

#[test]
fn frame_checksum_mismatch_stops_after_frame_one_with_nothing_committed() {
    let wal = sample("frame-checksum-mismatch");
    let h = header(&wal);
    assert_eq!((h.salts(), h.checkpoint_seq()), (OK_SALTS, 0));
    let (got, end) = frames(&wal, WalCursor::start(&h), 333);
    assert_eq!(got, vec![(offset(0), 1, 0)]);
    assert_eq!(end, WalEnd::ChecksumMismatch { offset: offset(1) });

    let map = scan_all_chunkings(&wal, WalCursor::start(&h), None);
    assert!(map.is_empty());
    assert_eq!((map.commit, map.end_offset, map.frames), (0, 0, 1));
    assert!(map.commits.is_empty());
    assert_eq!(map.end, WalEnd::ChecksumMismatch { offset: offset(1) });
}

#[test]
fn salt_mismatch_stops_after_frame_one_with_nothing_committed() {
    let wal = sample("salt-mismatch");
    let h = header(&wal);
    assert_eq!(h.salts(), OK_SALTS);
    let stale = WalEnd::SaltMismatch {
        offset: offset(1),
        found: Salts::new(0, 0xa38d_e4f5),
    };
    let (got, end) = frames(&wal, WalCursor::start(&h), 4096);
    assert_eq!(got, vec![(offset(0), 1, 0)]);
    assert_eq!(end, stale);

    let map = scan_all_chunkings(&wal, WalCursor::start(&h), None);
    assert!(map.is_empty());
    assert_eq!((map.commit, map.end_offset, map.frames), (0, 0, 1));
    assert_eq!(map.end, stale);

    // The stale frame is recognised from its 24-byte header, before its page arrives.
    let mut scanner = PageMapScanner::new(WalCursor::start(&h), None);
    assert_eq!(
        scanner.push(&wal[32..offset(1) as usize + 23]),
        ScanStatus::Continue
    );
    assert_eq!(
        scanner.push(&wal[offset(1) as usize + 23..][..1]),
        ScanStatus::Finished
    );
}

const GEN_NEW: Salts = Salts::new(0x1b9a_294b, 0x37f9_1916);
const GEN_OLD: Salts = Salts::new(0x1b9a_294a, 0x031f_195e);
const GEN_OLDER: Salts = Salts::new(0x1b9a_2949, 0x13b3_dd67);

#[test]
fn frame_salts_reads_two_frames_and_ignores_the_stale_generation() {
    let wal = sample("frame-salts");
    assert_eq!(wal.len() as u64, offset(10));
    let h = header(&wal);
    assert_eq!(
        (h.salts(), h.checkpoint_seq(), h.page_size()),
        (GEN_NEW, 2, 4096)
    );
    let stale = WalEnd::SaltMismatch {
        offset: offset(2),
        found: GEN_OLD,
    };
    let (got, end) = frames(&wal, WalCursor::start(&h), 5000);
    assert_eq!(got, vec![(offset(0), 2, 2), (offset(1), 2, 2)]);
    assert_eq!(end, stale);

    let map = scan_all_chunkings(&wal, WalCursor::start(&h), None);
    assert_eq!(map.pages, BTreeMap::from([(2, offset(1))]));
    assert_eq!((map.commit, map.end_offset, map.frames), (2, offset(2), 2));
    assert_eq!(
        map.commits
            .iter()
            .map(|c| (c.offset, c.commit))
            .collect::<Vec<_>>(),
        vec![(offset(0), 2), (offset(1), 2)]
    );
    assert_eq!(map.end, stale);
}

#[test]
fn frame_salts_resume_inside_an_old_generation_follows_its_own_chain() {
    // What Litestream does when its last LTX file still names an older generation: the
    // frame before the resume offset vouches for the chain that follows it.
    let wal = sample("frame-salts");
    let h = header(&wal);
    let c = WalCursor::resume(&h, offset(3), GEN_OLD, &wal[offset(2) as usize..]).unwrap();
    let map = scan_all_chunkings(&wal, c, None);
    assert_eq!(map.pages, BTreeMap::from([(2, offset(4))]));
    assert_eq!((map.frames, map.end_offset), (2, offset(5)));
    assert_eq!(
        map.end,
        WalEnd::SaltMismatch {
            offset: offset(5),
            found: GEN_OLDER
        }
    );

    let c = WalCursor::resume(&h, offset(6), GEN_OLDER, &wal[offset(5) as usize..]).unwrap();
    let map = scan_all_chunkings(&wal, c, None);
    assert_eq!((map.frames, map.end_offset), (4, offset(10)));
    assert_eq!(map.end, WalEnd::EndOfInput { offset: offset(10) });
}

#[test]
fn frame_salts_salt_scan_for_verify_row_8() {
    let wal = sample("frame-salts");
    let h = header(&wal);
    let run = |until: Salts, chunk: usize| {
        let mut s = SaltScanner::new(&h, until);
        for c in wal[32..].chunks(chunk) {
            if s.push(c) == ScanStatus::Finished {
                break;
            }
        }
        s
    };
    for chunk in [1, 24, 4120, 9000] {
        let s = run(GEN_OLD, chunk);
        assert!(s.found());
        assert_eq!(
            s.salts().iter().copied().collect::<Vec<_>>(),
            vec![GEN_OLD, GEN_NEW]
        );
        assert!(s.other_generations(GEN_NEW, GEN_OLD).is_empty());

        let s = run(Salts::new(7, 7), chunk);
        assert!(!s.found());
        assert_eq!(s.salts().len(), 3);
        assert_eq!(s.other_generations(GEN_NEW, GEN_OLD), vec![GEN_OLDER]);
    }
}

#[test]
fn torn_headers_are_reported_as_such() {
    let wal = sample("ok");
    let err = WalHeader::decode(&wal[..20]).unwrap_err();
    assert!(err.is_torn_header());
    let mut torn = wal[..32].to_vec();
    torn[12] = 9; // checkpoint seq changed without resealing the checksum
    assert!(WalHeader::decode(&torn).unwrap_err().is_torn_header());
}
