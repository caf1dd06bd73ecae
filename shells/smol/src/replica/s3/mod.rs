//! The S3 (and S3-compatible) replica, with Litestream 0.5's exact layout:
//! `<path>/<level as 4 lowercase hex digits>/<min>-<max>.ltx` (`./0000/…` when the path is
//! empty), metadata `x-amz-meta-litestream-timestamp` (the LTX header timestamp, RFC 3339
//! with nanoseconds, UTC), ListObjectsV2 with continuation tokens, DeleteObjects in batches
//! of 1000 with `Content-MD5`, and multipart uploads from the part size on.
//!
//! Requests are presigned with rusty-s3 ([`sign`]) and sent with one ureq agent per
//! replica ([`http`]); bodies stream both ways (uploads from the file with a sized body,
//! downloads through a reader that resumes with range requests, [`reader`]). Failures are
//! classified into the core's [`StoreFail`] ([`errors`]); the core decides the retries,
//! the client only retries a transient failure a couple of times within one call.

pub mod config;
pub(crate) mod errors;
pub(crate) mod http;
mod list;
mod multipart;
pub(crate) mod reader;
pub(crate) mod sign;
mod sign_raw;

#[cfg(test)]
mod testproxy;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_external;
#[cfg(test)]
mod tests_faults;
#[cfg(test)]
mod tests_unit;
#[cfg(test)]
mod testserver;

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use litestream_core::io::{ObjectInfo, ObjectKey, StoreFail};
use litestream_core::ltx::{self, Header, HEADER_SIZE};
use litestream_core::time::UnixMs;
use ureq::http::Method;

pub use config::S3Options;

use errors::Ctx;
use http::{Http, Payload};
use sign::{Headers, Signer};

use super::ReplicaClient;

/// Metadata header holding the LTX header timestamp.
pub const TIMESTAMP_HEADER: &str = "x-amz-meta-litestream-timestamp";
/// Keys per DeleteObjects request (the S3 maximum).
pub const DELETE_BATCH: usize = 1000;

/// What the requests of one replica share (also held by open readers).
pub(crate) struct Inner {
    pub(crate) opts: S3Options,
    pub(crate) signer: Signer,
    pub(crate) http: Http,
}

/// A replica in an S3 bucket. Cheap to share: all calls take `&self`.
pub struct S3Replica {
    inner: Arc<Inner>,
}

impl fmt::Debug for S3Replica {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Replica")
            .field("opts", &self.inner.opts)
            .finish_non_exhaustive()
    }
}

/// The object key of `key` under `prefix`: `<prefix>/<LLLL>/<min>-<max>.ltx`.
pub fn object_key(prefix: &str, key: ObjectKey) -> String {
    format!(
        "{}{}",
        level_prefix(prefix, key.level),
        ltx::format_filename(key.min_txid, key.max_txid)
    )
}

/// The listing prefix of a level: `<prefix>/<LLLL>/`.
pub fn level_prefix(prefix: &str, level: u8) -> String {
    format!("{prefix}/{level:04x}/")
}

/// Unix milliseconds as RFC 3339 in UTC with up to nine fraction digits, trailing zeros
/// dropped (Go's `time.RFC3339Nano`): `2024-05-01T10:00:00.5Z`.
pub fn rfc3339_nano(unix_ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(unix_ms) {
        Ok(t) => t.to_string(),
        Err(_) => "1970-01-01T00:00:00Z".to_string(),
    }
}

impl S3Replica {
    /// A replica for validated `opts` (credentials already resolved, see
    /// [`S3Options::resolve_env`]). Fails with a message naming the setting to fix.
    pub fn new(opts: S3Options) -> Result<S3Replica, String> {
        opts.validate()?;
        let signer = Signer::new(&opts)?;
        let http = Http::new(opts.skip_verify, opts.io_timeout);
        Ok(S3Replica {
            inner: Arc::new(Inner { opts, signer, http }),
        })
    }

    /// The options in use.
    pub fn options(&self) -> &S3Options {
        &self.inner.opts
    }

    /// The full object key of `key`.
    pub fn key_of(&self, key: ObjectKey) -> String {
        object_key(self.inner.opts.key_prefix(), key)
    }

    /// A resuming reader over `key`, with its resume counter visible to tests.
    pub(crate) fn open_resuming(
        &self,
        key: ObjectKey,
    ) -> Result<reader::ResumingReader, StoreFail> {
        reader::ResumingReader::open(Arc::clone(&self.inner), self.key_of(key))
    }
}

impl Inner {
    pub(crate) fn ctx<'a>(
        &'a self,
        op: &'a str,
        location: &'a str,
        key: Option<&'a str>,
    ) -> Ctx<'a> {
        Ctx {
            op,
            bucket: &self.opts.bucket,
            location,
            key,
            endpoint: self.opts.endpoint.as_deref().unwrap_or(""),
        }
    }

    /// Signed headers of an upload: timestamp metadata and storage class.
    fn upload_headers(&self, header: &Header) -> Headers {
        let mut h = vec![(TIMESTAMP_HEADER, rfc3339_nano(header.timestamp))];
        if let Some(class) = self.opts.storage_class.as_ref().filter(|c| !c.is_empty()) {
            h.push(("x-amz-storage-class", class.clone()));
        }
        h
    }

    /// One PutObject of the whole file, streamed with its length.
    fn put_single(
        &self,
        key: &str,
        file: &mut File,
        len: u64,
        headers: &Headers,
    ) -> Result<(), StoreFail> {
        let location = self.opts.location();
        let ctx = self.ctx("PUT", &location, Some(key));
        http::retry(|| {
            file.seek(SeekFrom::Start(0))
                .map_err(|e| StoreFail::Transient(format!("s3 PUT {key}: rewind source: {e}")))?;
            let mut body = Read::by_ref(file).take(len);
            let url = self.signer.put(key, headers);
            let resp = self.http.send(
                &ctx,
                Method::PUT,
                &url,
                headers,
                Payload::Reader(&mut body, len),
            )?;
            http::check(&ctx, resp).map(drop)
        })
    }
}

impl ReplicaClient for S3Replica {
    fn kind(&self) -> &'static str {
        "s3"
    }

    fn location(&self) -> String {
        self.inner.opts.location()
    }

    fn put(&self, key: ObjectKey, source: &Path) -> Result<(), StoreFail> {
        let mut file = File::open(source).map_err(|e| errors::local(source, "open", &e))?;
        let len = file
            .metadata()
            .map_err(|e| errors::local(source, "stat", &e))?
            .len();
        let mut head = [0u8; HEADER_SIZE];
        file.read_exact(&mut head)
            .map_err(|e| errors::local(source, "read LTX header of", &e))?;
        let header = Header::peek(&head)
            .map_err(|e| StoreFail::Transient(format!("{}: {e}", source.display())))?;
        let headers = self.inner.upload_headers(&header);
        let name = self.key_of(key);
        if len < self.inner.opts.part_size {
            self.inner.put_single(&name, &mut file, len, &headers)
        } else {
            multipart::upload(&self.inner, &name, &file, len, &headers)
        }
    }

    fn list(&self, level: u8) -> Result<Vec<ObjectInfo>, StoreFail> {
        list::list_level(&self.inner, level, None).map(|(objects, _pages)| objects)
    }

    fn open(&self, key: ObjectKey) -> Result<Box<dyn Read + Send>, StoreFail> {
        let r = self.open_resuming(key)?;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, r)))
    }

    fn delete(&self, keys: &[ObjectKey]) -> Result<(), StoreFail> {
        let names: Vec<String> = keys.iter().map(|k| self.key_of(*k)).collect();
        list::delete_keys(&self.inner, &names)
    }

    fn created_at(&self, key: ObjectKey) -> Result<Option<UnixMs>, StoreFail> {
        let name = self.key_of(key);
        let location = self.inner.opts.location();
        let ctx = self.inner.ctx("HEAD", &location, Some(&name));
        let resp = http::retry(|| {
            let url = self.inner.signer.head(&name);
            let resp = self
                .inner
                .http
                .send(&ctx, Method::HEAD, &url, &[], Payload::Empty)?;
            http::check(&ctx, resp)
        })?;
        Ok(http::header(&resp, TIMESTAMP_HEADER)
            .and_then(|v| v.parse::<jiff::Timestamp>().ok())
            .map(|t| UnixMs(t.as_millisecond())))
    }
}
