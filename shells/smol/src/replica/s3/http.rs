//! Sending presigned requests with ureq 3: one [`ureq::Agent`] per client (its connection
//! pool is reused by every request), HTTP statuses returned rather than raised (so S3's
//! error XML can be read), no body size limit on downloads, sized uploads only (never
//! chunked, never `aws-chunked`, no checksum headers), and short in-call retries of
//! transient failures.

use std::io::Read;
use std::thread;
use std::time::Duration;

use litestream_core::io::StoreFail;
use ureq::http::{Method, Request, Response};
use ureq::{Agent, Body, SendBody};

use super::errors::{self, Ctx};

/// Attempts of one request before a transient failure is handed to the core.
pub(crate) const ATTEMPTS: u32 = 3;
/// First in-call retry delay; each next one is four times longer.
const FIRST_DELAY: Duration = Duration::from_millis(50);
/// Longest error body read into memory.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// A request body.
pub(crate) enum Payload<'a> {
    /// No body.
    Empty,
    /// Bytes in memory (small XML documents).
    Bytes(&'a [u8]),
    /// `len` bytes streamed from a reader, sent with `Content-Length: len`.
    Reader(&'a mut dyn Read, u64),
}

/// The HTTP side of one S3 client.
pub(crate) struct Http {
    agent: Agent,
}

impl Http {
    /// An agent with the replica's timeouts and TLS settings.
    pub(crate) fn new(skip_verify: bool, io_timeout: Duration) -> Http {
        let tls = ureq::tls::TlsConfig::builder()
            .disable_verification(skip_verify)
            .build();
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls)
            .user_agent(concat!("litestream/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_per_read(Some(io_timeout))
            .timeout_per_write(Some(io_timeout))
            .max_redirects(0)
            .max_idle_connections_per_host(16)
            .max_idle_age(Duration::from_secs(90))
            .build()
            .into();
        Http { agent }
    }

    /// Send one request and return the response whatever its status; only transport
    /// failures are errors.
    pub(crate) fn send(
        &self,
        ctx: &Ctx<'_>,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        payload: Payload<'_>,
    ) -> Result<Response<Body>, StoreFail> {
        let mut b = Request::builder().method(method).uri(url);
        for (k, v) in headers {
            b = b.header(*k, v.as_str());
        }
        let result = match payload {
            Payload::Empty => {
                let req = b.body(()).map_err(|e| bad_request(ctx, &e))?;
                self.agent.run(req)
            }
            Payload::Bytes(bytes) => {
                let req = b
                    .header("content-length", bytes.len().to_string())
                    .body(bytes)
                    .map_err(|e| bad_request(ctx, &e))?;
                self.agent.run(req)
            }
            Payload::Reader(reader, len) => {
                let req = b
                    .header("content-length", len.to_string())
                    .body(SendBody::from_reader(reader))
                    .map_err(|e| bad_request(ctx, &e))?;
                self.agent.run(req)
            }
        };
        result.map_err(|e| errors::transport(ctx, &e))
    }
}

fn bad_request(ctx: &Ctx<'_>, e: &ureq::http::Error) -> StoreFail {
    StoreFail::Forbidden(format!("s3 {}: cannot build request: {e}", ctx.op))
}

/// The response as a failure when its status is not 2xx; `Ok` passes it through.
pub(crate) fn check(ctx: &Ctx<'_>, resp: Response<Body>) -> Result<Response<Body>, StoreFail> {
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(resp);
    }
    Err(failure(ctx, resp))
}

/// Classify a non-2xx response (reads at most 64 KiB of its body).
pub(crate) fn failure(ctx: &Ctx<'_>, resp: Response<Body>) -> StoreFail {
    let status = resp.status().as_u16();
    let region = header(&resp, "x-amz-bucket-region");
    let body = read_text(resp, ERROR_BODY_LIMIT).unwrap_or_default();
    errors::classify(ctx, status, &body, region.as_deref())
}

/// A response header as text.
pub(crate) fn header(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Read a (small) body as text, up to `limit` bytes.
pub(crate) fn read_text(resp: Response<Body>, limit: u64) -> Result<String, ureq::Error> {
    resp.into_body()
        .into_with_config()
        .limit(limit)
        .lossy_utf8(true)
        .read_to_string()
}

/// Read a 2xx XML answer (listings, multipart answers: at most a few MiB).
pub(crate) fn read_xml(ctx: &Ctx<'_>, resp: Response<Body>) -> Result<String, StoreFail> {
    read_text(resp, 64 << 20).map_err(|e| errors::transport(ctx, &e))
}

/// Run `attempt` up to [`ATTEMPTS`] times while it fails transiently, sleeping 50 ms,
/// then 200 ms between attempts. Non-transient failures return at once.
pub(crate) fn retry<T>(mut attempt: impl FnMut() -> Result<T, StoreFail>) -> Result<T, StoreFail> {
    let mut delay = FIRST_DELAY;
    let mut n = 1;
    loop {
        match attempt() {
            Err(e) if errors::retryable(&e) && n < ATTEMPTS => {
                thread::sleep(delay);
                delay *= 4;
                n += 1;
            }
            other => return other,
        }
    }
}
