//! `SimStore`: the replica, as objects keyed by `ObjectKey`, with seeded faults: transient
//! failures, outages, and ambiguous PUTs (the object lands but the answer is `Transient`).

use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

use litestream_core::io::{Completion, ObjectInfo, ObjectKey, ReplicaCmd, StoreFail};
use litestream_core::ltx::{self, Header};
use litestream_core::time::{Mono, UnixMs};

use crate::fs::SimFs;
use crate::rng::Rng;

/// One stored object.
#[derive(Debug, Clone)]
pub struct Object {
    /// Its bytes.
    pub bytes: Rc<Vec<u8>>,
    /// Creation time (the LTX header timestamp, as the file backend sets the mtime).
    pub created: UnixMs,
}

/// Fault rates, in per mille of operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreFaults {
    /// Operations failing with `Transient` (nothing happens).
    pub fail: u32,
    /// PUTs that land but report `Transient`.
    pub ambiguous: u32,
}

/// What a PUT did, for the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    /// The key written.
    pub key: ObjectKey,
    /// The bytes written.
    pub bytes: Rc<Vec<u8>>,
}

/// The simulated replica.
#[derive(Debug, Clone, Default)]
pub struct SimStore {
    objects: BTreeMap<ObjectKey, Object>,
    /// Fault rates.
    pub faults: StoreFaults,
    /// Every operation fails until this time.
    pub outage_until: Option<Mono>,
    /// Objects written since the checker last looked.
    pub landed: Vec<Landed>,
}

fn transient(what: &str) -> StoreFail {
    StoreFail::Transient(format!("{what}: 503 Service Unavailable (simulated)"))
}

impl SimStore {
    /// An empty store without faults.
    pub fn new() -> SimStore {
        SimStore::default()
    }

    /// Every object.
    pub fn objects(&self) -> &BTreeMap<ObjectKey, Object> {
        &self.objects
    }

    /// The listing of one level, sorted by (min, max).
    pub fn list(&self, level: u8) -> Vec<ObjectInfo> {
        self.objects
            .iter()
            .filter(|(k, _)| k.level == level)
            .map(|(k, o)| ObjectInfo {
                key: *k,
                size: o.bytes.len() as u64,
                created: o.created,
            })
            .collect()
    }

    /// Every level 0..=9, as the restore planner wants them.
    pub fn levels(&self) -> Vec<Vec<ObjectInfo>> {
        (0..=9).map(|l| self.list(l)).collect()
    }

    /// Store `bytes` under `key` directly (scenario set-up and in-flight uploads at a crash).
    pub fn put_bytes(&mut self, key: ObjectKey, bytes: Vec<u8>) {
        let created = Header::peek(&bytes).map_or(UnixMs(0), |h| UnixMs(h.timestamp));
        let bytes = Rc::new(bytes);
        self.landed.push(Landed {
            key,
            bytes: bytes.clone(),
        });
        self.objects.insert(key, Object { bytes, created });
    }

    /// Merge `inputs` into `output` as the shell does (a level 9 `1-N` output is written
    /// as a snapshot), created at the output header's timestamp. Not reported in
    /// `landed`: the checker learns states from uploads; restores read the result.
    fn compact(&mut self, inputs: &[ObjectKey], output: ObjectKey) -> Result<(), StoreFail> {
        let fail = |e: String| StoreFail::Transient(format!("compact into {output:?}: {e}"));
        let mut sources = Vec::new();
        for k in inputs {
            let o = self
                .objects
                .get(k)
                .ok_or_else(|| StoreFail::NotFound(format!("get {k:?}: no such key")))?;
            sources.push(ltx::SliceSource::new(&o.bytes).map_err(|e| fail(e.to_string()))?);
        }
        let mut bytes = Vec::new();
        ltx::compact(
            &mut sources,
            ltx::HEADER_FLAG_NO_CHECKSUM,
            output.min_txid == 1,
            &mut |b: &[u8]| -> Result<(), ()> {
                bytes.extend_from_slice(b);
                Ok(())
            },
        )
        .map_err(|e| fail(format!("{e:?}")))?;
        let created = Header::peek(&bytes).map_or(UnixMs(0), |h| UnixMs(h.timestamp));
        self.objects.insert(
            output,
            Object {
                bytes: Rc::new(bytes),
                created,
            },
        );
        Ok(())
    }

    fn down(&self, now: Mono, rng: &mut Rng) -> bool {
        self.outage_until.is_some_and(|t| now < t) || rng.chance(self.faults.fail)
    }

    /// Upload `source` as `key` (no fault injection): `Err` when the source is unreadable.
    pub fn put_from(&mut self, fs: &SimFs, key: ObjectKey, source: &Path) -> Result<(), StoreFail> {
        let Some(bytes) = fs.read(source) else {
            return Err(StoreFail::NotFound(format!(
                "open {}: No such file or directory",
                source.display()
            )));
        };
        if let Err(e) = Header::peek(bytes) {
            return Err(StoreFail::Transient(format!("{}: {e}", source.display())));
        }
        self.put_bytes(key, bytes.to_vec());
        Ok(())
    }

    /// Execute a replica command at `now`.
    pub fn execute(
        &mut self,
        cmd: &ReplicaCmd,
        fs: &mut SimFs,
        now: Mono,
        wall: UnixMs,
        rng: &mut Rng,
    ) -> Completion {
        let down = self.down(now, rng);
        match cmd {
            ReplicaCmd::Put { key, source } => {
                if down {
                    return Completion::ObjectDone(Err(transient("put")));
                }
                let r = self.put_from(fs, *key, source);
                if r.is_ok() && rng.chance(self.faults.ambiguous) {
                    return Completion::ObjectDone(Err(transient("put (response lost)")));
                }
                Completion::ObjectDone(r)
            }
            ReplicaCmd::List { level } => {
                if down {
                    return Completion::ObjectsListed(Err(transient("list")));
                }
                Completion::ObjectsListed(Ok(self.list(*level)))
            }
            ReplicaCmd::Get { key, dest } => {
                if down {
                    return Completion::ObjectDone(Err(transient("get")));
                }
                let Some(o) = self.objects.get(key) else {
                    return Completion::ObjectDone(Err(StoreFail::NotFound(format!(
                        "get {key:?}: no such key"
                    ))));
                };
                let bytes = o.bytes.clone();
                let r = fs
                    .write_durable(dest, &bytes, wall)
                    .map_err(|e| StoreFail::Transient(e.message));
                Completion::ObjectDone(r)
            }
            ReplicaCmd::Compact { inputs, output, .. } => {
                if down {
                    return Completion::ObjectDone(Err(transient("compact")));
                }
                Completion::ObjectDone(self.compact(inputs, *output))
            }
            ReplicaCmd::Delete { keys } => {
                if down {
                    return Completion::ObjectDone(Err(transient("delete")));
                }
                for k in keys {
                    self.objects.remove(k);
                }
                Completion::ObjectDone(Ok(()))
            }
        }
    }
}
