//! A GetObject body that survives dropped connections: when the stream fails or ends
//! before the object's length, it asks again with `Range: bytes=<offset>-` and carries on,
//! so restores of large objects do not start over (and never see a short object).

use std::io::{self, Read};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use litestream_core::io::StoreFail;
use ureq::http::Method;
use ureq::BodyReader;

use super::errors::Ctx;
use super::http::{self, Payload};
use super::Inner;

/// Failed re-requests in a row (without a byte of progress) before the read fails.
const MAX_RESUMES: u32 = 8;

/// Reader over one object, resuming with ranged GETs.
pub(crate) struct ResumingReader {
    inner: Arc<Inner>,
    key: String,
    /// Bytes delivered so far.
    offset: u64,
    /// Object length, from the first response.
    total: u64,
    body: Option<BodyReader<'static>>,
    /// Consecutive failures without progress.
    failures: u32,
    /// Re-requests made so far (for tests and logs).
    pub(crate) resumes: u32,
}

/// Object length from `Content-Range: bytes a-b/total`, else `Content-Length` + offset.
fn total_len(resp: &ureq::http::Response<ureq::Body>, offset: u64) -> Option<u64> {
    if let Some(cr) = http::header(resp, "content-range") {
        return cr.rsplit('/').next().and_then(|t| t.trim().parse().ok());
    }
    http::header(resp, "content-length")
        .and_then(|l| l.trim().parse::<u64>().ok())
        .map(|l| l + offset)
}

impl ResumingReader {
    /// Send the first GET (retrying transient failures): missing objects and access errors
    /// surface here, before any byte is read.
    pub(crate) fn open(inner: Arc<Inner>, key: String) -> Result<ResumingReader, StoreFail> {
        let mut r = ResumingReader {
            inner,
            key,
            offset: 0,
            total: 0,
            body: None,
            failures: 0,
            resumes: 0,
        };
        http::retry(|| r.request())?;
        Ok(r)
    }

    /// GET from the current offset; on success the body is ready to read.
    fn request(&mut self) -> Result<(), StoreFail> {
        let location = self.inner.opts.location();
        let ctx = Ctx {
            op: "GET",
            bucket: &self.inner.opts.bucket,
            location: &location,
            key: Some(&self.key),
            endpoint: self.inner.opts.endpoint.as_deref().unwrap_or(""),
        };
        let url = self.inner.signer.get(&self.key);
        let mut headers = Vec::new();
        if self.offset > 0 {
            headers.push(("range", format!("bytes={}-", self.offset)));
        }
        let resp = self
            .inner
            .http
            .send(&ctx, Method::GET, &url, &headers, Payload::Empty)?;
        let status = resp.status().as_u16();
        if status == 416 && self.offset > 0 && self.offset == self.total {
            // Nothing left: the previous stream ended exactly at the end.
            self.body = None;
            return Ok(());
        }
        let resp = http::check(&ctx, resp)?;
        let Some(total) = total_len(&resp, if status == 206 { self.offset } else { 0 }) else {
            return Err(StoreFail::Transient(format!(
                "s3 GET s3://{}/{}: response without a length",
                self.inner.opts.bucket, self.key
            )));
        };
        if self.offset > 0 && total != self.total {
            return Err(StoreFail::Transient(format!(
                "s3 GET s3://{}/{}: object changed size while reading ({} → {total} bytes)",
                self.inner.opts.bucket, self.key, self.total
            )));
        }
        self.total = total;
        let mut body = resp.into_body().into_with_config().limit(u64::MAX).reader();
        if status == 200 && self.offset > 0 {
            // The server ignored the range: skip what was already delivered.
            let skipped = io::copy(&mut (&mut body).take(self.offset), &mut io::sink())
                .map_err(|e| StoreFail::Transient(format!("s3 GET {}: {e}", self.key)))?;
            if skipped != self.offset {
                return Err(StoreFail::Transient(format!(
                    "s3 GET s3://{}/{}: stream ended while skipping to byte {}",
                    self.inner.opts.bucket, self.key, self.offset
                )));
            }
        }
        self.body = Some(body);
        Ok(())
    }

    /// The stream broke: wait a little, then ask for the rest.
    fn resume(&mut self, why: String) -> io::Result<()> {
        self.body = None;
        loop {
            self.failures += 1;
            if self.failures > MAX_RESUMES {
                return Err(io::Error::other(format!(
                    "s3 GET s3://{}/{}: stream broke at byte {} of {} and {MAX_RESUMES} \
                     ranged re-requests failed: {why}",
                    self.inner.opts.bucket, self.key, self.offset, self.total
                )));
            }
            thread::sleep(Duration::from_millis(25 << self.failures.min(6)));
            self.resumes += 1;
            match self.request() {
                Ok(()) => return Ok(()),
                Err(StoreFail::Transient(_)) => {}
                Err(e) => return Err(io::Error::other(e.message().to_string())),
            }
        }
    }
}

impl Read for ResumingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.offset >= self.total {
                return Ok(0);
            }
            let Some(body) = self.body.as_mut() else {
                self.resume("no stream".to_string())?;
                continue;
            };
            match body.read(buf) {
                Ok(0) => self.resume("connection closed early".to_string())?,
                Ok(n) => {
                    let n = n.min(usize::try_from(self.total - self.offset).unwrap_or(n));
                    self.offset += n as u64;
                    self.failures = 0;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.resume(e.to_string())?,
            }
        }
    }
}
