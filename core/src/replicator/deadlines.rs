//! The deadline index: every database's next due time, ordered, so that neither the drive
//! loop's `poll_timeout` nor a tick's choice of due databases scans every database.

use std::collections::{BTreeMap, BTreeSet};

use super::Replicator;
use crate::db::{Db, Lifecycle};
use crate::io::DbId;
use crate::time::Mono;

/// The earliest time database `db` wants to be advanced without any input.
fn db_deadline(db: &Db) -> Option<Mono> {
    let local = if db.active.is_some() {
        None
    } else if db.retry_at.is_some() {
        db.retry_at
    } else if db.lifecycle == Lifecycle::Open {
        db.next_sync_at
    } else {
        None
    };
    let maintenance = db
        .maintenance
        .deadline()
        .filter(|_| db.lifecycle == Lifecycle::Open);
    [
        local,
        db.replica.deadline(),
        db.waiters.deadline(),
        maintenance,
    ]
    .into_iter()
    .flatten()
    .min()
}

/// Every database's next deadline, ordered: the drive loop asks for the earliest after
/// every input and a tick advances only the due ones, so with thousands of databases
/// neither may scan them all.
#[derive(Debug, Default)]
pub(super) struct Deadlines {
    /// `(deadline, database)`, earliest first.
    due: BTreeSet<(Mono, DbId)>,
    /// The entry of each database in `due`.
    of: BTreeMap<DbId, Mono>,
}

impl Deadlines {
    /// Replace `id`'s entry with `at` (removing it when `None`).
    fn set(&mut self, id: DbId, at: Option<Mono>) {
        if let Some(old) = self.of.remove(&id) {
            self.due.remove(&(old, id));
        }
        if let Some(t) = at {
            self.insert(id, t);
        }
    }

    /// Add an entry for `id`, which has none.
    fn insert(&mut self, id: DbId, t: Mono) {
        self.due.insert((t, id));
        self.of.insert(id, t);
    }

    /// Remove every entry.
    fn clear(&mut self) {
        self.due.clear();
        self.of.clear();
    }

    /// The earliest deadline of any database.
    pub(super) fn earliest(&self) -> Option<Mono> {
        self.due.first().map(|(t, _)| *t)
    }

    /// The databases whose deadline is at or before `now`, earliest first.
    pub(super) fn due(&self, now: Mono) -> impl Iterator<Item = DbId> + '_ {
        self.due.range(..=(now, DbId(u64::MAX))).map(|(_, id)| *id)
    }
}

impl Replicator {
    /// Bring `id`'s entry in the deadline index up to date (removing it when the database
    /// is gone or has nothing scheduled).
    pub(super) fn reindex(&mut self, id: DbId) {
        let at = self.dbs.get(&id).and_then(db_deadline);
        self.deadlines.set(id, at);
    }

    /// Rebuild the deadline index (after changes that may have touched any database).
    pub(super) fn reindex_all(&mut self) {
        self.deadlines.clear();
        for (id, db) in &self.dbs {
            if let Some(t) = db_deadline(db) {
                self.deadlines.insert(*id, t);
            }
        }
    }

    /// [`Replicator::poll_timeout`] computed by scanning every database: the deadline
    /// index must always agree with it (the testkit checks after every step).
    #[doc(hidden)]
    pub fn poll_timeout_by_scan(&self) -> Option<Mono> {
        self.dbs.values().filter_map(db_deadline).min()
    }
}
