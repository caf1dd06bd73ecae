//! Golden tests: the LTX files and tool outputs made by the reference Go implementation
//! (`shared/testdata/ltx-golden`) against this crate's codec, plus the LTX.md §13 vectors.

// The test harness reads the golden files; the crate under test stays free of IO.
#![allow(clippy::disallowed_methods)]

mod common;

use common::*;

use litestream_core::ltx::{
    decode_file, DbChecksum, DecodeEvent, Decoder, Encoder, Header, LtxError, Stage,
};

/// What the golden README's "LTX files" table records for each file.
struct Expect {
    path: &'static str,
    bytes: usize,
    flags: u32,
    commit: u32,
    pgnos: &'static [u32],
    timestamp: i64,
    pre: u64,
    post: u64,
    file_ck: u64,
}

const C2_PAGES: &[u32] = &[
    1, 2, 3, 5, 10, 12, 16, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31,
];
const C3_PAGES: &[u32] = &[1, 2, 3, 6, 7, 8, 9, 10];

fn range(n: u32) -> &'static [u32] {
    const ALL: [u32; 36] = {
        let mut a = [0u32; 36];
        let mut i = 0;
        while i < 36 {
            a[i] = i as u32 + 1;
            i += 1;
        }
        a
    };
    &ALL[..n as usize]
}

fn expectations() -> Vec<Expect> {
    let f1 = "0000000000000001-0000000000000001.ltx";
    let leak = |dir: &str| -> &'static str { Box::leak(format!("{dir}/{f1}").into_boxed_str()) };
    vec![
        Expect {
            path: leak("a-onepage-4096"),
            bytes: 241,
            flags: 0,
            commit: 1,
            pgnos: range(1),
            timestamp: 1796314927421,
            pre: 0,
            post: 0x8d1d23a721c22b0d,
            file_ck: 0xa94a0843cbd4aca3,
        },
        Expect {
            path: leak("b-emptytable-4096"),
            bytes: 360,
            flags: 0,
            commit: 2,
            pgnos: range(2),
            timestamp: 1796314927467,
            pre: 0,
            post: 0x8e59b0f9c947193f,
            file_ck: 0xa576082cbf988476,
        },
        Expect {
            path: leak("c-rows-1024"),
            bytes: 14779,
            flags: 0,
            commit: 24,
            pgnos: range(24),
            timestamp: 1796314927549,
            pre: 0,
            post: 0xacc620725448c169,
            file_ck: 0xedf0b55423ad9f2f,
        },
        Expect {
            path: "c-rows-1024/0000000000000002-0000000000000002.ltx",
            bytes: 11409,
            flags: 0,
            commit: 31,
            pgnos: C2_PAGES,
            timestamp: 1700000000000,
            pre: 0xacc620725448c169,
            post: 0xdeef2f8cadd0547b,
            file_ck: 0xce1984011c7ea52c,
        },
        Expect {
            path: "c-rows-1024/0000000000000003-0000000000000003.ltx",
            bytes: 3533,
            flags: 0,
            commit: 10,
            pgnos: C3_PAGES,
            timestamp: 1700000001000,
            pre: 0xdeef2f8cadd0547b,
            post: 0x9fa0cd5c7fd94fb1,
            file_ck: 0xd4b149473a9c89cd,
        },
        Expect {
            path: "c-rows-1024/0000000000000001-0000000000000003.ltx",
            bytes: 5040,
            flags: 0,
            commit: 10,
            pgnos: range(10),
            timestamp: 1700000001000,
            pre: 0,
            post: 0x9fa0cd5c7fd94fb1,
            file_ck: 0xa1188b6d9a99e6ee,
        },
        Expect {
            path: "c-rows-1024/nochecksum/0000000000000002-0000000000000002.ltx",
            bytes: 11409,
            flags: 2,
            commit: 31,
            pgnos: C2_PAGES,
            timestamp: 1700000000000,
            pre: 0,
            post: 0,
            file_ck: 0xf0e3997f0f27a62a,
        },
        Expect {
            path: leak("d-blobs-65536"),
            bytes: 2071338,
            flags: 0,
            commit: 36,
            pgnos: range(36),
            timestamp: 1796314927770,
            pre: 0,
            post: 0xfd3630eb63faf980,
            file_ck: 0xd000b0099cf140c7,
        },
    ]
}

#[test]
fn every_golden_file_decodes_with_the_recorded_fields() {
    for e in expectations() {
        let bytes = read(e.path);
        assert_eq!(bytes.len(), e.bytes, "{}", e.path);
        let f = decode_file(&bytes).unwrap_or_else(|err| panic!("{}: {err}", e.path));
        let name = e.path.rsplit('/').next().unwrap();
        let (min, max) = litestream_core::ltx::parse_filename(name).unwrap();
        let h = f.header;
        assert_eq!(
            (h.flags, h.commit, h.min_txid, h.max_txid, h.timestamp),
            (e.flags, e.commit, min, max, e.timestamp),
            "{}",
            e.path
        );
        assert_eq!(
            (
                h.wal_offset,
                h.wal_size,
                h.wal_salt1,
                h.wal_salt2,
                h.node_id
            ),
            (0, 0, 0, 0, 0)
        );
        assert_eq!(h.pre_apply_checksum, e.pre, "{}", e.path);
        assert_eq!(f.trailer.post_apply_checksum, e.post, "{}", e.path);
        assert_eq!(f.trailer.file_checksum, e.file_ck, "{}", e.path);
        let pgnos: Vec<u32> = f.pages.iter().map(|p| p.0).collect();
        assert_eq!(pgnos, e.pgnos, "{}", e.path);
        assert!(f.pages.iter().all(|p| p.1.len() == h.page_size as usize));
    }
}

#[test]
fn byte_at_a_time_streaming_matches_whole_file() {
    let bytes = read("c-rows-1024/0000000000000002-0000000000000002.ltx");
    let whole = decode_file(&bytes).unwrap();
    let mut dec = Decoder::new();
    let mut pages = Vec::new();
    let mut done = None;
    for b in &bytes {
        dec.push(std::slice::from_ref(b));
        while let Some(ev) = dec.next().unwrap() {
            match ev {
                DecodeEvent::Header(h) => assert_eq!(h, whole.header),
                DecodeEvent::Page { pgno, data } => pages.push((pgno, data.to_vec())),
                DecodeEvent::Done(t) => done = Some(t),
            }
        }
        assert!(dec.buffered() < 2048, "buffer grew to {}", dec.buffered());
    }
    dec.end_of_input();
    assert_eq!(dec.next().unwrap(), None);
    assert_eq!(dec.stage(), Stage::Done);
    assert_eq!(pages, whole.pages);
    assert_eq!(done, Some(whole.trailer));
}

#[test]
fn snapshots_hold_exactly_the_input_databases() {
    for dir in [
        "a-onepage-4096",
        "b-emptytable-4096",
        "c-rows-1024",
        "d-blobs-65536",
    ] {
        let f = decode(&format!("{dir}/0000000000000001-0000000000000001.ltx"));
        let db = read(&format!("{dir}/input.db"));
        assert_eq!(f.pages, db_pages(&db, f.header.page_size as usize), "{dir}");
    }
    let f = decode(C13);
    assert_eq!(f.pages, db_pages(&read("c-rows-1024/txid3.db"), 1024));
}

#[test]
fn incrementals_hold_the_changed_pages() {
    let input = read("c-rows-1024/input.db");
    let txid2 = read("c-rows-1024/txid2.db");
    let txid3 = read("c-rows-1024/txid3.db");
    for (rel, before, after) in [
        (C22, &input, &txid2),
        (C22_NOCK, &input, &txid2),
        (C33, &txid2, &txid3),
    ] {
        let f = decode(rel);
        let after_pages = db_pages(after, 1024);
        let before_pages = db_pages(before, 1024);
        let changed: Vec<(u32, Vec<u8>)> = after_pages
            .into_iter()
            .filter(|(pgno, page)| before_pages.get(*pgno as usize - 1).map(|p| &p.1) != Some(page))
            .collect();
        assert_eq!(f.pages, changed, "{rel}");
    }
}

#[test]
fn database_checksums_match_ltx_checksum_outputs() {
    for (db, out) in [
        ("a-onepage-4096/input.db", "a-onepage-4096/checksum.txt"),
        (
            "b-emptytable-4096/input.db",
            "b-emptytable-4096/checksum.txt",
        ),
        ("c-rows-1024/input.db", "c-rows-1024/checksum.txt"),
        ("c-rows-1024/txid2.db", "c-rows-1024/checksum-txid2.txt"),
        ("c-rows-1024/txid3.db", "c-rows-1024/checksum-txid3.txt"),
        ("d-blobs-65536/input.db", "d-blobs-65536/checksum.txt"),
    ] {
        let bytes = read(db);
        let ps = match u16::from_be_bytes([bytes[16], bytes[17]]) {
            1 => 65536,
            n => n as usize,
        };
        let mut ck = DbChecksum::new();
        for (pgno, page) in db_pages(&bytes, ps) {
            ck.add_page(pgno, &page);
        }
        assert_eq!(format!("{:016x}\n", ck.value()), read_text(out), "{db}");
    }
}

/// `list -tsv` rows: min, max, commit, pages, pre, post (timestamps are checked by the tools).
#[test]
fn list_tsv_rows_match_decoded_files() {
    let files = [C11, C22, C33, C13, C22_NOCK];
    let tsv = read_text("c-rows-1024/list-all.tsv");
    let mut rows = tsv.lines();
    assert!(rows
        .next()
        .unwrap()
        .starts_with("min_txid\tmax_txid\tcommit\tpages"));
    for (rel, row) in files.iter().zip(rows) {
        let f = decode(rel);
        let cols: Vec<&str> = row.split('\t').collect();
        let got = [
            format!("{:016x}", f.header.min_txid),
            format!("{:016x}", f.header.max_txid),
            f.header.commit.to_string(),
            f.pages.len().to_string(),
            format!("{:016x}", f.header.pre_apply_checksum),
            format!("{:016x}", f.trailer.post_apply_checksum),
        ];
        assert_eq!(cols[..6], got, "{rel}");
    }
    for dir in ["a-onepage-4096", "b-emptytable-4096", "d-blobs-65536"] {
        let f = decode(&format!("{dir}/0000000000000001-0000000000000001.ltx"));
        let tsv = read_text(&format!("{dir}/list.tsv"));
        let cols: Vec<&str> = tsv.lines().nth(1).unwrap().split('\t').collect();
        assert_eq!(cols[3], f.pages.len().to_string(), "{dir}");
        assert_eq!(cols[5], format!("{:016x}", f.trailer.post_apply_checksum));
    }
}

/// The kind of error the reference's `verify` output names.
fn reference_kind_matches(text: &str, err: &LtxError) -> bool {
    match err {
        LtxError::FileChecksum { .. } => text.contains("file checksum mismatch"),
        LtxError::Decompress { .. } => text.contains("decompress block"),
        LtxError::UnexpectedEof { .. } => text.contains("unexpected EOF"),
        LtxError::BadMagic { .. } => text.contains("invalid LTX file"),
        LtxError::PostApplyChecksum { stored, computed } => text.contains(&format!(
            "post-apply checksum in trailer ({stored:016x}) does not match calculated checksum ({computed:016x})"
        )),
        _ => false,
    }
}

#[test]
fn every_damaged_file_is_rejected_like_the_reference() {
    let dir = golden().join("e-damaged");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("ltx") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let err = decode_file(&std::fs::read(&path).unwrap()).expect_err(&stem);
        let verify = read_text(&format!("e-damaged/verify-{stem}.txt"));
        assert!(
            reference_kind_matches(&verify, &err),
            "{stem}: ours {err:?}, reference {verify}"
        );
        n += 1;
    }
    assert_eq!(n, 7);
}

#[test]
fn encoding_the_golden_databases_matches_the_golden_snapshots() {
    for dir in [
        "a-onepage-4096",
        "b-emptytable-4096",
        "c-rows-1024",
        "d-blobs-65536",
    ] {
        let golden = decode(&format!("{dir}/0000000000000001-0000000000000001.ltx"));
        let db = read(&format!("{dir}/input.db"));
        let ps = golden.header.page_size as usize;
        let commit = u32::from_be_bytes([db[28], db[29], db[30], db[31]]);
        let header = Header {
            page_size: ps as u32,
            commit,
            min_txid: 1,
            max_txid: 1,
            timestamp: 1,
            ..Header::default()
        };
        let mut enc = Encoder::new(header).unwrap();
        let mut ck = DbChecksum::new();
        let mut out = Vec::new();
        for (pgno, page) in db_pages(&db, ps) {
            enc.write_page(pgno, &page).unwrap();
            ck.add_page(pgno, &page);
            enc.drain_into(&mut out);
        }
        let trailer = enc.finish(ck.value()).unwrap();
        enc.drain_into(&mut out);
        let ours = decode_file(&out).unwrap();
        assert_eq!(ours.trailer, trailer);
        assert_eq!(
            Header {
                timestamp: golden.header.timestamp,
                ..ours.header
            },
            golden.header,
            "{dir}"
        );
        assert_eq!(ours.pages, golden.pages, "{dir}");
        assert_eq!(
            ours.trailer.post_apply_checksum,
            golden.trailer.post_apply_checksum
        );
    }
}
