//! Multipart upload for files of the part size or more: CreateMultipartUpload, then the
//! parts (each streamed from its slice of the file with a sized body, `concurrency` at
//! once on scoped threads), then CompleteMultipartUpload. Any failure aborts the upload
//! so no orphaned parts are billed.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use litestream_core::io::StoreFail;
use rusty_s3::actions::CreateMultipartUpload;
use ureq::http::Method;

use super::http::{self, Payload};
use super::sign::Headers;
use super::Inner;

/// S3's limit on parts per upload.
const MAX_PARTS: u64 = 10_000;

/// Reads `[pos, end)` of a shared file with positioned reads (no shared cursor).
struct Slice<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for Slice<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        if left == 0 {
            return Ok(0);
        }
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "source file shrank during upload",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// The part size actually used: the configured one, grown so that no upload needs more
/// than 10,000 parts.
pub(crate) fn effective_part_size(part_size: u64, len: u64) -> u64 {
    part_size.max(len.div_ceil(MAX_PARTS))
}

/// Upload `len` bytes of `file` as `key` in parts.
pub(crate) fn upload(
    inner: &Inner,
    key: &str,
    file: &File,
    len: u64,
    headers: &Headers,
) -> Result<(), StoreFail> {
    let location = inner.opts.location();
    let ctx = inner.ctx("multipart upload", &location, Some(key));
    let xml = http::retry(|| {
        let url = inner.signer.create_multipart(key, headers);
        let resp = inner
            .http
            .send(&ctx, Method::POST, &url, headers, Payload::Empty)?;
        let resp = http::check(&ctx, resp)?;
        http::read_xml(&ctx, resp)
    })?;
    let created = CreateMultipartUpload::parse_response(&xml).map_err(|e| {
        StoreFail::Transient(format!(
            "s3 multipart upload s3://{}/{key}: bad answer: {e}",
            inner.opts.bucket
        ))
    })?;
    let upload_id = created.upload_id().to_string();
    let result = upload_parts(inner, key, file, len, &upload_id)
        .and_then(|etags| complete(inner, key, &upload_id, &etags));
    if result.is_err() {
        // Best effort: the lane retries the whole upload later under a new id.
        let url = inner.signer.abort_multipart(key, &upload_id);
        let actx = inner.ctx("abort multipart upload", &location, Some(key));
        let _ = inner
            .http
            .send(&actx, Method::DELETE, &url, &[], Payload::Empty);
    }
    result
}

/// Upload every part; the ETags in part order.
fn upload_parts(
    inner: &Inner,
    key: &str,
    file: &File,
    len: u64,
    upload_id: &str,
) -> Result<Vec<String>, StoreFail> {
    let part_size = effective_part_size(inner.opts.part_size, len);
    let count = usize::try_from(len.div_ceil(part_size)).unwrap_or(usize::MAX);
    let etags: Mutex<Vec<Option<String>>> = Mutex::new(vec![None; count]);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<StoreFail>> = Mutex::new(None);
    let workers = inner.opts.concurrency.clamp(1, count.max(1));
    thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count || failed.load(Ordering::SeqCst) {
                    return;
                }
                let start = i as u64 * part_size;
                let end = (start + part_size).min(len);
                match upload_part(inner, key, file, upload_id, i, start, end) {
                    Ok(etag) => {
                        if let Ok(mut e) = etags.lock() {
                            e[i] = Some(etag);
                        }
                    }
                    Err(e) => {
                        failed.store(true, Ordering::SeqCst);
                        if let Ok(mut f) = first_error.lock() {
                            f.get_or_insert(e);
                        }
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let etags = etags.into_inner().unwrap_or_default();
    etags
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            e.ok_or_else(|| {
                StoreFail::Transient(format!(
                    "s3 multipart upload s3://{}/{key}: part {} missing",
                    inner.opts.bucket,
                    i + 1
                ))
            })
        })
        .collect()
}

/// Upload part `i` (bytes `[start, end)`); its ETag.
fn upload_part(
    inner: &Inner,
    key: &str,
    file: &File,
    upload_id: &str,
    i: usize,
    start: u64,
    end: u64,
) -> Result<String, StoreFail> {
    let location = inner.opts.location();
    let ctx = inner.ctx("upload part", &location, Some(key));
    let number = u16::try_from(i + 1).map_err(|_| {
        StoreFail::Forbidden(format!(
            "s3 upload s3://{}/{key}: too many parts",
            inner.opts.bucket
        ))
    })?;
    http::retry(|| {
        let mut body = Slice {
            file,
            pos: start,
            end,
        };
        let url = inner.signer.upload_part(key, number, upload_id);
        let resp = inner.http.send(
            &ctx,
            Method::PUT,
            &url,
            &[],
            Payload::Reader(&mut body, end - start),
        )?;
        let resp = http::check(&ctx, resp)?;
        http::header(&resp, "etag").ok_or_else(|| {
            StoreFail::Transient(format!(
                "s3 upload part {number} of s3://{}/{key}: answer without an ETag",
                inner.opts.bucket
            ))
        })
    })
}

/// CompleteMultipartUpload. S3 may answer 200 with an `<Error>` document: that is a failure.
fn complete(inner: &Inner, key: &str, upload_id: &str, etags: &[String]) -> Result<(), StoreFail> {
    let location = inner.opts.location();
    let ctx = inner.ctx("complete multipart upload", &location, Some(key));
    http::retry(|| {
        let (url, body) = inner.signer.complete_multipart(key, upload_id, etags);
        let headers = [("content-type", "application/xml".to_string())];
        let resp = inner.http.send(
            &ctx,
            Method::POST,
            &url,
            &headers,
            Payload::Bytes(body.as_bytes()),
        )?;
        let resp = http::check(&ctx, resp)?;
        let xml = http::read_xml(&ctx, resp)?;
        if super::errors::parse_error(&xml).is_some() {
            return Err(super::errors::classify(&ctx, 500, &xml, None));
        }
        Ok(())
    })
}
