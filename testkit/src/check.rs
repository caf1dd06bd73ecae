//! Invariants. Each returns `Err(message)` naming what went wrong.
//!
//! * every object that lands in the store decodes and its checksums verify; no key is
//!   ever overwritten with different bytes; level 0 holds TXIDs 1..=max with no gap;
//! * every TXID (local or remote) restores to a state the database really had, and one
//!   TXID never names two different states;
//! * WAL frames discarded (restart, truncate) while the daemon's read transaction
//!   protected them were already in a durable local L0 file;
//! * an acknowledged sync's TXID restores to a state at least as new as the database was
//!   when the sync was requested;
//! * at the end, the newest restore equals the newest committed state.

use std::collections::BTreeMap;
use std::path::Path;

use litestream_core::io::ObjectKey;
use litestream_core::ltx::{self, decode_file, DecodedFile};
use litestream_core::plan::restore::{plan, RestoreTarget};

use crate::fs::SimFs;
use crate::image::{fnv, Image, FNV_START};
use crate::store::{Landed, SimStore};
use crate::writer::{Discard, SimWriter};

/// Counters reported at the end of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Objects that landed in the store.
    pub puts: u64,
    /// Local L0 files committed.
    pub local_files: u64,
    /// Local L0 files that rewrote every page (snapshots).
    pub snapshots: u64,
    /// WAL generations discarded while the daemon protected them (checked).
    pub protected_discards: u64,
    /// Discards by the daemon's own TRUNCATE (allowed to skip history).
    pub daemon_truncates: u64,
    /// Acknowledged syncs verified against a restore.
    pub acks_checked: u64,
    /// States that could not be computed (no base file known).
    pub unverified: u64,
}

/// The checker's memory of what every TXID means.
#[derive(Debug, Default)]
pub struct Checker {
    first_hash: BTreeMap<ObjectKey, u64>,
    states: BTreeMap<u64, Image>,
    /// Counters.
    pub stats: Stats,
}

fn describe(w: &SimWriter, img: &Image) -> String {
    match w.find(img.hash()) {
        Some(c) => format!("commit #{} ({:?})", c.seq, c.origin),
        None => format!(
            "no committed state ({} pages, hash {:016x})",
            img.len(),
            img.hash()
        ),
    }
}

impl Checker {
    /// A checker with no history.
    pub fn new() -> Checker {
        Checker::default()
    }

    /// The state TXID `txid` restores to, when known.
    pub fn state(&self, txid: u64) -> Option<&Image> {
        self.states.get(&txid)
    }

    /// Record the state an L0 file (local or remote) produces; it must be a real state
    /// and agree with any earlier file of the same TXID.
    fn learn(&mut self, what: &str, f: &DecodedFile, w: &SimWriter) -> Result<(), String> {
        let txid = f.header.max_txid;
        let img = if Image::is_full(f) {
            self.stats.snapshots += u64::from(what == "local");
            let mut i = Image::new(f.header.page_size);
            i.apply(f);
            i
        } else if let Some(base) = self.states.get(&(txid - 1)) {
            let mut i = base.clone();
            i.apply(f);
            i
        } else {
            self.stats.unverified += 1;
            return Ok(());
        };
        if w.find(img.hash()).is_none() {
            let near = self
                .states
                .get(&(txid - 1))
                .map_or("unknown".into(), |b| describe(w, b));
            return Err(format!(
                "{what} txid {txid} restores to a state the database never had ({} pages, {} pages in the file, commit {}, wal offset {} size {}); txid {} was {near}; newest commit is #{}",
                img.len(),
                f.pages.len(),
                f.header.commit,
                f.header.wal_offset,
                f.header.wal_size,
                txid - 1,
                w.head().seq
            ));
        }
        if let Some(old) = self.states.get(&txid) {
            if old.hash() != img.hash() {
                return Err(format!(
                    "txid {txid} names two states: {} before, {} now ({what} file)",
                    describe(w, old),
                    describe(w, &img)
                ));
            }
        }
        self.states.insert(txid, img);
        Ok(())
    }

    /// An object landed in the store.
    pub fn on_landed(&mut self, l: &Landed, w: &SimWriter) -> Result<(), String> {
        self.stats.puts += 1;
        let f = decode_file(&l.bytes)
            .map_err(|e| format!("object {:?} does not decode: {e}", l.key))?;
        if (f.header.min_txid, f.header.max_txid) != (l.key.min_txid, l.key.max_txid) {
            return Err(format!(
                "object {:?} holds txids {}-{}",
                l.key, f.header.min_txid, f.header.max_txid
            ));
        }
        let h = fnv(FNV_START, &l.bytes);
        if let Some(first) = self.first_hash.get(&l.key) {
            if *first != h {
                return Err(format!(
                    "object {:?} overwritten with different content",
                    l.key
                ));
            }
        }
        self.first_hash.insert(l.key, h);
        self.learn("remote", &f, w)
    }

    /// A local L0 file was committed (or downloaded) at `path`.
    pub fn on_local_file(&mut self, fs: &SimFs, path: &Path, w: &SimWriter) -> Result<(), String> {
        self.stats.local_files += 1;
        let bytes = fs.read(path).ok_or("committed file vanished")?;
        let f = decode_file(bytes)
            .map_err(|e| format!("local file {} does not decode: {e}", path.display()))?;
        self.learn("local", &f, w)
    }

    /// Level 0 of the store holds exactly TXIDs 1..=max.
    pub fn check_no_gap(&self, store: &SimStore) -> Result<(), String> {
        for (i, o) in store.list(0).iter().enumerate() {
            let want = i as u64 + 1;
            if o.key.min_txid != want || o.key.max_txid != want {
                return Err(format!(
                    "level 0 gap: expected txid {want}, found {}-{}",
                    o.key.min_txid, o.key.max_txid
                ));
            }
        }
        Ok(())
    }

    /// A WAL generation was discarded: if the daemon protected it, its last commit must be
    /// the state of the newest durable local L0 file.
    pub fn on_discard(
        &mut self,
        d: &Discard,
        fs: &SimFs,
        ltx0: &Path,
        w: &SimWriter,
    ) -> Result<(), String> {
        if d.by_daemon {
            self.stats.daemon_truncates += 1;
            return Ok(());
        }
        if !d.protected {
            return Ok(());
        }
        self.stats.protected_discards += 1;
        let newest = fs
            .list_dir(ltx0)
            .iter()
            .filter_map(|n| ltx::parse_filename(n))
            .map(|(_, max)| max)
            .max();
        let want = &w.history()[d.last_seq as usize];
        let Some(txid) = newest else {
            return Err(format!(
                "WAL {:?} discarded commit #{} while the daemon held its read transaction, and no local L0 file exists",
                d.kind, d.last_seq
            ));
        };
        let Some(img) = self.states.get(&txid) else {
            self.stats.unverified += 1;
            return Ok(());
        };
        if img.hash() != want.hash {
            return Err(format!(
                "WAL {:?} discarded frames up to commit #{} while the daemon held its read transaction, but the newest local L0 file (txid {txid}) holds {}",
                d.kind,
                d.last_seq,
                describe(w, img)
            ));
        }
        Ok(())
    }

    /// Restore from the store up to `txid` (newest when `None`).
    pub fn restore(store: &SimStore, txid: Option<u64>) -> Result<Image, String> {
        let files = plan(
            &store.levels(),
            RestoreTarget {
                txid,
                timestamp: None,
            },
        )
        .map_err(|e| format!("restore plan: {e}"))?;
        let mut img: Option<Image> = None;
        for info in files {
            let o = &store.objects()[&info.key];
            let f = decode_file(&o.bytes).map_err(|e| format!("restore {:?}: {e}", info.key))?;
            img.get_or_insert_with(|| Image::new(f.header.page_size))
                .apply(&f);
        }
        img.ok_or_else(|| "restore: empty plan".into())
    }

    /// An acknowledged sync: restoring `txid` must give commit `requested_seq` or newer.
    pub fn check_ack(
        &mut self,
        store: &SimStore,
        txid: u64,
        requested_seq: u64,
        w: &SimWriter,
    ) -> Result<(), String> {
        self.stats.acks_checked += 1;
        let img = Self::restore(store, Some(txid))
            .map_err(|e| format!("acknowledged txid {txid} cannot be restored: {e}"))?;
        match w.find(img.hash()) {
            Some(c) if c.seq >= requested_seq => Ok(()),
            Some(c) => Err(format!(
                "sync acknowledged at txid {txid} but restoring it gives commit #{}, older than commit #{requested_seq} current when the sync was requested",
                c.seq
            )),
            None => Err(format!(
                "sync acknowledged at txid {txid} restores to a state the database never had"
            )),
        }
    }

    /// The newest restore equals the newest committed state.
    pub fn check_final(&self, store: &SimStore, w: &SimWriter) -> Result<(), String> {
        let img = Self::restore(store, None)?;
        let head = w.head();
        if img.hash() != head.hash {
            return Err(format!(
                "final restore gives {} but the database is at commit #{} ({} pages); first differing page {:?}",
                describe(w, &img),
                head.seq,
                head.image.len(),
                img.first_difference(&head.image)
            ));
        }
        Ok(())
    }
}
