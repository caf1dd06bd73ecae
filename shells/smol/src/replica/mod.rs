//! Replica backends: where LTX files go. Each backend implements [`ReplicaClient`]; the
//! driver runs its blocking calls inside `smol::unblock`.

pub mod file;
#[allow(dead_code)] // Wired into the daemon by the config work; until then only tests use it.
pub mod s3;

use std::io::Read;
use std::path::Path;

use litestream_core::io::{ObjectInfo, ObjectKey, StoreFail};
use litestream_core::time::UnixMs;

/// The operations the core's replica commands need.
pub trait ReplicaClient: Send + Sync {
    /// Backend name as Litestream prints it (`file`, `s3`).
    fn kind(&self) -> &'static str;
    /// Human-readable location (`file:///backups/db`).
    fn location(&self) -> String;
    /// Upload a local LTX file as `key`.
    fn put(&self, key: ObjectKey, source: &Path) -> Result<(), StoreFail>;
    /// Every object of `level`, sorted by (min, max).
    fn list(&self, level: u8) -> Result<Vec<ObjectInfo>, StoreFail>;
    /// A reader over an object's bytes.
    fn open(&self, key: ObjectKey) -> Result<Box<dyn Read + Send>, StoreFail>;
    /// Delete objects (missing ones are fine).
    fn delete(&self, keys: &[ObjectKey]) -> Result<(), StoreFail>;

    /// When the object's transaction was written, from its stored metadata, if the
    /// backend's listing does not already report it (S3 lists upload times, which a
    /// backlog after an outage pushes later than the data). `None`: the listing's time
    /// is the creation time.
    fn created_at(&self, _key: ObjectKey) -> Result<Option<UnixMs>, StoreFail> {
        Ok(None)
    }

    /// Download an object into a local file atomically.
    fn get(&self, key: ObjectKey, dest: &Path) -> Result<(), StoreFail> {
        let mut r = self.open(key)?;
        crate::fs::copy_atomic(&mut r, dest).map_err(|e| StoreFail::Transient(e.message))?;
        Ok(())
    }
}
