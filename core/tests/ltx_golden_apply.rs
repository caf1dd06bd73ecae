//! Golden tests of applying and compacting the reference's c-rows-1024 chain.

// The test harness reads the golden files; the crate under test stays free of IO.
#![allow(clippy::disallowed_methods)]

mod common;

use common::*;
use litestream_core::ltx::{
    compact, decode_file, Applier, ApplyOp, DbImage, DecodeEvent, LtxError, SliceSource,
};

/// Apply one LTX file to an in-memory database through [`Applier`], checking pre/post-apply
/// checksums through [`DbImage`] first (the two-pass order `ltx apply` uses).
fn apply(db: &mut Vec<u8>, ltx: &[u8]) -> Result<(), LtxError> {
    let f = decode_file(ltx)?;
    let ps = f.header.page_size;
    let mut image = DbImage::new(ps);
    for (pgno, page) in db_pages(db, ps as usize) {
        image.set_page(pgno, &page);
    }
    image.check_pre_apply(&f.header)?;
    let mut applier = Applier::new();
    applier.on_event(&DecodeEvent::Header(f.header));
    for (pgno, data) in &f.pages {
        image.set_page(*pgno, data);
        match applier.on_event(&DecodeEvent::Page { pgno: *pgno, data }) {
            Some(ApplyOp::WritePage { offset, data, .. }) => {
                let end = offset as usize + data.len();
                if db.len() < end {
                    db.resize(end, 0);
                }
                db[offset as usize..end].copy_from_slice(data);
            }
            other => panic!("expected a page write, got {other:?}"),
        }
    }
    match applier.on_event(&DecodeEvent::Done(f.trailer)) {
        Some(ApplyOp::Truncate { len }) => db.resize(len as usize, 0),
        other => panic!("expected a truncation, got {other:?}"),
    }
    image.truncate(f.header.commit);
    image.check_post_apply(&f.header, &f.trailer)
}

#[test]
fn applying_the_chain_reproduces_txid3() {
    let txid2 = read("c-rows-1024/txid2.db");
    let txid3 = read("c-rows-1024/txid3.db");
    for chain in [
        &[C11, C22][..],
        &[C11, C22, C33],
        &[C13],
        &[C11, C22_NOCK, C33],
    ] {
        let mut db = Vec::new();
        for rel in chain {
            apply(&mut db, &read(rel)).unwrap_or_else(|e| panic!("{chain:?} at {rel}: {e}"));
        }
        let want = if chain.len() == 2 { &txid2 } else { &txid3 };
        assert!(db == *want, "{chain:?} gave a different database");
    }
}

#[test]
fn applying_on_the_wrong_base_fails_the_pre_apply_check() {
    let mut db = Vec::new();
    apply(&mut db, &read(C11)).unwrap();
    let before = db.clone();
    let err = apply(&mut db, &read(C33)).unwrap_err();
    assert_eq!(
        err,
        LtxError::PreApplyChecksum {
            stored: 0xdeef2f8cadd0547b,
            computed: 0xacc620725448c169
        }
    );
    assert_eq!(
        err.to_string(),
        read_text("c-rows-1024/apply-wrong-base.txt")
            .trim_end()
            .split_once(": ")
            .unwrap()
            .1
    );
    assert_eq!(db, before);
}

#[test]
fn compacting_the_c_chain_gives_the_golden_compaction() {
    let (a, b, c) = (read(C11), read(C22), read(C33));
    let mut inputs = vec![
        SliceSource::new(&a).unwrap(),
        SliceSource::new(&b).unwrap(),
        SliceSource::new(&c).unwrap(),
    ];
    let mut out = Vec::new();
    let trailer = compact(&mut inputs, 0, false, &mut |b: &[u8]| -> Result<(), ()> {
        out.extend_from_slice(b);
        Ok(())
    })
    .unwrap();
    let ours = decode_file(&out).unwrap();
    let golden = decode(C13);
    assert_eq!(ours.header, golden.header);
    assert_eq!(ours.pages, golden.pages);
    assert_eq!(
        ours.trailer.post_apply_checksum,
        golden.trailer.post_apply_checksum
    );
    assert_eq!(trailer, ours.trailer);
}
