//! Listing (ListObjectsV2 with prefix `<path>/<LLLL>/`, following continuation tokens)
//! and deleting (DeleteObjects in batches of 1000, with `Content-MD5`).

use litestream_core::io::{ObjectInfo, ObjectKey, StoreFail};
use litestream_core::ltx;
use litestream_core::time::UnixMs;
use rusty_s3::actions::{DeleteObjectsResponse, ListObjectsV2};
use ureq::http::Method;

use super::http::{self, Payload};
use super::{level_prefix, Inner, DELETE_BATCH};

/// Pages a listing may take before it is considered runaway (a server repeating a token).
const MAX_PAGES: usize = 1_000_000;

/// LastModified (`2024-05-01T10:00:00.000Z`) as Unix milliseconds; 0 when unparsable.
fn parse_time(s: &str) -> UnixMs {
    s.parse::<jiff::Timestamp>()
        .map(|t| UnixMs(t.as_millisecond()))
        .unwrap_or(UnixMs(0))
}

/// Every object of `level`, sorted by (min, max), and the number of pages it took.
/// `max_keys` asks for smaller pages (tests).
pub(crate) fn list_level(
    inner: &Inner,
    level: u8,
    max_keys: Option<usize>,
) -> Result<(Vec<ObjectInfo>, usize), StoreFail> {
    let location = inner.opts.location();
    let ctx = inner.ctx("list", &location, None);
    let prefix = level_prefix(inner.opts.key_prefix(), level);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let xml = http::retry(|| {
            let url = inner.signer.list(&prefix, token.as_deref(), max_keys);
            let resp = inner
                .http
                .send(&ctx, Method::GET, &url, &[], Payload::Empty)?;
            let resp = http::check(&ctx, resp)?;
            http::read_xml(&ctx, resp)
        })?;
        let page = ListObjectsV2::parse_response(&xml).map_err(|e| {
            StoreFail::Transient(format!("s3 list {location}: unreadable listing: {e}"))
        })?;
        pages += 1;
        for c in page.contents {
            // Litestream uses path.Base(key): anything that is not an LTX name is skipped.
            let base = c.key.rsplit('/').next().unwrap_or_default();
            let Some((min, max)) = ltx::parse_filename(base) else {
                continue;
            };
            out.push(ObjectInfo {
                key: ObjectKey {
                    level,
                    min_txid: min,
                    max_txid: max,
                },
                size: c.size.unwrap_or(0),
                created: c.last_modified.as_deref().map_or(UnixMs(0), parse_time),
            });
        }
        match page.next_continuation_token {
            Some(t) if pages < MAX_PAGES => token = Some(t),
            Some(_) => {
                return Err(StoreFail::Transient(format!(
                    "s3 list {location}: more than {MAX_PAGES} pages: the server keeps \
                     returning continuation tokens"
                )))
            }
            None => break,
        }
    }
    out.sort_by_key(|o| (o.key.min_txid, o.key.max_txid));
    Ok((out, pages))
}

/// Delete `names` in batches of [`DELETE_BATCH`]; missing keys are fine.
pub(crate) fn delete_keys(inner: &Inner, names: &[String]) -> Result<(), StoreFail> {
    let location = inner.opts.location();
    let ctx = inner.ctx("delete", &location, None);
    for batch in names.chunks(DELETE_BATCH) {
        let xml = http::retry(|| {
            // Signed before the body is built, as rusty-s3 requires.
            let (url, body, md5) = inner.signer.delete_objects(batch);
            let mut headers = vec![("content-type", "application/xml".to_string())];
            if inner.opts.require_content_md5 {
                headers.push(("content-md5", md5));
            }
            let resp = inner.http.send(
                &ctx,
                Method::POST,
                &url,
                &headers,
                Payload::Bytes(body.as_bytes()),
            )?;
            let resp = http::check(&ctx, resp)?;
            http::read_xml(&ctx, resp)
        })?;
        let Ok(answer) = DeleteObjectsResponse::parse(&xml) else {
            // An unreadable 200 answer: the keys were accepted.
            continue;
        };
        if let Some(e) = answer.errors.iter().find(|e| e.code != "NoSuchKey") {
            let failed = answer.errors.len();
            let ectx = inner.ctx("delete", &location, Some(&e.key));
            let doc = format!(
                "<Error><Code>{}</Code><Message>{}</Message></Error>",
                e.code, e.message
            );
            let status = if super::errors::is_transient(0, &e.code) {
                503
            } else {
                403
            };
            let fail = super::errors::classify(&ectx, status, &doc, None);
            return Err(match fail {
                StoreFail::Transient(m) => {
                    StoreFail::Transient(format!("{m} ({failed} keys not deleted)"))
                }
                StoreFail::Forbidden(m) => {
                    StoreFail::Forbidden(format!("{m} ({failed} keys not deleted)"))
                }
                other => other,
            });
        }
    }
    Ok(())
}
