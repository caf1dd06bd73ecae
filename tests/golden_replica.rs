//! A replica directory laid out by hand from the golden LTX files of `c-rows-1024`
//! (`1-1`, `2-2`, `3-3` in `<dir>/ltx/0/`) restores byte for byte to the golden
//! databases: the latest state to `txid3.db`, `-txid 0000000000000002` to `txid2.db`
//! (and `-txid 0000000000000001`, the snapshot, to `input.db`, in an output directory
//! that does not exist yet).

use std::fs;

use litestream_e2e::{restore_ok, tempdir, testdata_dir, tmp_files};

#[test]
fn hand_made_replica_restores_golden_databases() {
    let golden = testdata_dir().join("ltx-golden/c-rows-1024");
    let tmp = tempdir("golden");
    let replica = tmp.path().join("replica");
    let l0 = replica.join("ltx/0");
    fs::create_dir_all(&l0).unwrap();
    for t in 1..=3u64 {
        let name = litestream_core::ltx::format_filename(t, t);
        fs::copy(golden.join(&name), l0.join(&name)).unwrap();
    }

    let out3 = tmp.path().join("latest.db");
    restore_ok(&replica, &out3, &[]);
    assert!(
        fs::read(&out3).unwrap() == fs::read(golden.join("txid3.db")).unwrap(),
        "latest restore differs from txid3.db"
    );

    let out2 = tmp.path().join("txid2.db");
    restore_ok(&replica, &out2, &["-txid", "0000000000000002"]);
    assert!(
        fs::read(&out2).unwrap() == fs::read(golden.join("txid2.db")).unwrap(),
        "-txid 2 restore differs from txid2.db"
    );

    // A missing output directory is created, as Litestream does.
    let out1 = tmp.path().join("new/dir/txid1.db");
    restore_ok(&replica, &out1, &["-txid", "0000000000000001"]);
    assert!(
        fs::read(&out1).unwrap() == fs::read(golden.join("input.db")).unwrap(),
        "-txid 1 restore (the snapshot) differs from input.db"
    );

    // The copies have fresh mtimes: a point-in-time restore goes by the LTX headers'
    // timestamps. The golden files' newest header time is TXID 1's (the snapshot was
    // re-encoded later): one millisecond after it, every file counts, giving TXID 3.
    let header_ts = |t: u64| {
        let name = litestream_core::ltx::format_filename(t, t);
        litestream_e2e::ltx_header(&l0.join(name))
            .unwrap()
            .timestamp
    };
    let newest = (1..=3).map(header_ts).max().unwrap();
    let at = litestream_e2e::rfc3339(
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(newest as u64 + 1),
    );
    let out_ts = tmp.path().join("at-ts.db");
    restore_ok(&replica, &out_ts, &["-timestamp", &at]);
    assert!(
        fs::read(&out_ts).unwrap() == fs::read(golden.join("txid3.db")).unwrap(),
        "-timestamp {at} restore differs from txid3.db"
    );

    assert!(tmp_files(tmp.path()).is_empty(), "restore left .tmp files");
    // The replica itself is untouched.
    for t in 1..=3u64 {
        let name = litestream_core::ltx::format_filename(t, t);
        assert_eq!(
            fs::read(l0.join(&name)).unwrap(),
            fs::read(golden.join(&name)).unwrap()
        );
    }
}
