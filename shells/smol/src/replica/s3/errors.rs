//! S3 failures → [`StoreFail`]: the XML error body (`<Error><Code>…</Code>`) and the HTTP
//! status decide the class; transport errors from ureq are always transient.
//!
//! Messages name the bucket, the key or location, and what to do. They never contain
//! credentials: only the status, the S3 error code and S3's own message are quoted.

use litestream_core::io::StoreFail;

/// What a request was doing, for messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// `PUT`, `GET`, `list`, `delete` …
    pub op: &'a str,
    /// Bucket name.
    pub bucket: &'a str,
    /// `s3://bucket/path` of the replica.
    pub location: &'a str,
    /// Object key, when the request is about one object.
    pub key: Option<&'a str>,
    /// The configured endpoint (empty for AWS), named when it cannot be reached.
    pub endpoint: &'a str,
}

impl Ctx<'_> {
    fn target(&self) -> String {
        match self.key {
            Some(k) => format!("s3://{}/{}", self.bucket, k),
            None => self.location.to_string(),
        }
    }
}

/// The parts of an S3 error document the client uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct S3Error {
    /// `<Code>`: `NoSuchKey`, `AccessDenied`, `SlowDown` …
    pub code: String,
    /// `<Message>`.
    pub message: String,
    /// `<Region>` (wrong-region answers), when present.
    pub region: String,
}

/// Text of the first `<tag>…</tag>` in `xml`, with the five XML entities decoded.
fn element(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    let raw = &xml[start..start + len];
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Parse an S3 error body; `None` when it is not an `<Error>` document.
pub(crate) fn parse_error(body: &str) -> Option<S3Error> {
    if !body.contains("<Error>") && !body.contains("<Error ") {
        return None;
    }
    Some(S3Error {
        code: element(body, "Code").unwrap_or_default(),
        message: element(body, "Message").unwrap_or_default(),
        region: element(body, "Region").unwrap_or_default(),
    })
}

/// Whether a status/code pair is worth retrying.
pub(crate) fn is_transient(status: u16, code: &str) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
        || matches!(
            code,
            "SlowDown"
                | "InternalError"
                | "ServiceUnavailable"
                | "RequestTimeout"
                | "RequestTimeTooSkewed"
                | "OperationAborted"
                | "Throttling"
                | "ThrottlingException"
        )
}

/// Classify an HTTP answer that was not a success. `region_header` is the
/// `x-amz-bucket-region` response header, when present.
pub(crate) fn classify(
    ctx: &Ctx<'_>,
    status: u16,
    body: &str,
    region_header: Option<&str>,
) -> StoreFail {
    let e = parse_error(body).unwrap_or_default();
    let said = if e.code.is_empty() {
        format!("HTTP {status}")
    } else if e.message.is_empty() {
        format!("HTTP {status} {}", e.code)
    } else {
        format!("HTTP {status} {}: {}", e.code, e.message)
    };
    let target = ctx.target();
    if is_transient(status, &e.code) {
        return StoreFail::Transient(format!("s3 {} {target}: {said}", ctx.op));
    }
    let region = if e.region.is_empty() {
        region_header.unwrap_or_default().to_string()
    } else {
        e.region.clone()
    };
    match (status, e.code.as_str()) {
        (_, "NoSuchBucket") => StoreFail::NotFound(format!(
            "bucket \"{}\" does not exist ({}): create it or fix the bucket name",
            ctx.bucket, ctx.location
        )),
        (_, "NoSuchKey") => StoreFail::NotFound(format!("s3 {} {target}: no such object", ctx.op)),
        (_, "PreconditionFailed") | (412, _) => {
            StoreFail::Precondition(format!("s3 {} {target}: {said}", ctx.op))
        }
        (301 | 400, _) if !region.is_empty() => StoreFail::Forbidden(format!(
            "s3 {} {}: bucket \"{}\" is in region \"{region}\": set region: {region}",
            ctx.op, ctx.location, ctx.bucket
        )),
        (403, _)
        | (
            _,
            "AccessDenied"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "InvalidToken",
        ) => StoreFail::Forbidden(format!(
            "access denied for {}: check the access key, the secret key and the bucket \
             permissions ({said})",
            ctx.location
        )),
        (404, _) if ctx.key.is_none() => StoreFail::NotFound(format!(
            "bucket \"{}\" does not exist ({}): create it or fix the bucket name ({said})",
            ctx.bucket, ctx.location
        )),
        (404, _) => StoreFail::NotFound(format!("s3 {} {target}: no such object", ctx.op)),
        // Any other client error is a configuration or protocol problem: retrying the same
        // request will not help.
        (400..=499, _) if ctx.key.is_some_and(|k| k.starts_with("./")) => {
            StoreFail::Forbidden(format!(
                "s3 {} {target}: {said}: this store rejects keys starting with `./` (what a \
                 replica URL without a path gives, as in Litestream): add a path, e.g. \
                 s3://{}/db",
                ctx.op, ctx.bucket
            ))
        }
        (400..=499, _) => StoreFail::Forbidden(format!("s3 {} {target}: {said}", ctx.op)),
        _ => StoreFail::Transient(format!("s3 {} {target}: {said}", ctx.op)),
    }
}

/// Classify a transport failure (connect, DNS, TLS, timeout, reset): always transient.
pub(crate) fn transport(ctx: &Ctx<'_>, err: &ureq::Error) -> StoreFail {
    let what = match err {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::HostNotFound => "host not found".to_string(),
        other => other.to_string(),
    };
    let via = if ctx.endpoint.is_empty() {
        String::new()
    } else {
        format!(" (endpoint {})", ctx.endpoint)
    };
    StoreFail::Transient(format!("s3 {} {}{via}: {what}", ctx.op, ctx.target()))
}

/// Classify a local file problem while uploading (not a store failure, but the core only
/// knows store failures here): missing source → `NotFound`, anything else transient.
pub(crate) fn local(path: &std::path::Path, what: &str, e: &std::io::Error) -> StoreFail {
    let msg = format!("{what} {}: {e}", path.display());
    if e.kind() == std::io::ErrorKind::NotFound {
        StoreFail::NotFound(msg)
    } else {
        StoreFail::Transient(msg)
    }
}

/// Whether a failure is worth retrying inside one client call.
pub(crate) fn retryable(f: &StoreFail) -> bool {
    matches!(f, StoreFail::Transient(_))
}
