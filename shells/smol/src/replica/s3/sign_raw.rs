//! Presigning for object keys with `.` or `..` path segments (`./0000/…`, the keys
//! Litestream writes for a replica URL without a path). rusty-s3 signs through
//! `url::Url`, which removes such segments (WHATWG URL rules), so the request would go to
//! another key. This signer builds the same SigV4 query signature (UNSIGNED-PAYLOAD,
//! rusty-s3's canonical request), but over the path exactly as sent. A unit test checks
//! that it produces rusty-s3's URL byte for byte on ordinary keys.

use std::fmt::Write as _;

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use sha2::{Digest, Sha256};
use url::Url;

/// rusty-s3's path encoding set (reserved and unsafe characters; `/` kept).
const PATH: &AsciiSet = &CONTROLS
    .add(b':')
    .add(b'?')
    .add(b'#')
    .add(b'[')
    .add(b']')
    .add(b'@')
    .add(b'!')
    .add(b'$')
    .add(b'&')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*')
    .add(b'+')
    .add(b',')
    .add(b';')
    .add(b'=')
    .add(b'"')
    .add(b' ')
    .add(b'<')
    .add(b'>')
    .add(b'%')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'`');
/// The query encoding set: the path set plus `/`.
const QUERY: &AsciiSet = &PATH.add(b'/');

/// Whether `key` has a `.` or `..` segment that `url::Url` would remove.
pub(crate) fn has_dot_segment(key: &str) -> bool {
    key.split('/').any(|s| s == "." || s == "..")
}

/// What one presigned request needs.
pub(crate) struct Raw<'a> {
    /// `GET`, `PUT` …
    pub method: &'a str,
    /// The bucket's base URL (rusty-s3 `Bucket::base_url`).
    pub base: &'a Url,
    /// Object key (not encoded).
    pub key: &'a str,
    /// Action query parameters, e.g. `("uploadId", id)`.
    pub query: Vec<(&'a str, String)>,
    /// Signed headers (lowercase names) besides `host`.
    pub headers: Vec<(&'a str, String)>,
    /// Access key id, secret, session token, region.
    pub key_id: &'a str,
    /// Secret access key.
    pub secret: &'a str,
    /// Session token.
    pub token: Option<&'a str>,
    /// Region.
    pub region: &'a str,
    /// Validity in seconds.
    pub expires: u64,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The presigned URL as text, signed at `now`.
pub(crate) fn presign(r: &Raw<'_>, now: jiff::Timestamp) -> String {
    let date = now.strftime("%Y%m%d").to_string();
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let host = match r.base.port() {
        Some(p) => format!("{}:{p}", r.base.host_str().unwrap_or_default()),
        None => r.base.host_str().unwrap_or_default().to_string(),
    };
    let path = format!("{}{}", r.base.path(), utf8_percent_encode(r.key, PATH));

    let mut headers: Vec<(&str, String)> = r.headers.clone();
    if !headers.iter().any(|(k, _)| *k == "host") {
        headers.push(("host", host));
    }
    headers.sort();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    let signed = signed.join(";");

    let credential = format!("{}/{date}/{}/s3/aws4_request", r.key_id, r.region);
    let mut query: Vec<(&str, String)> = r.query.clone();
    query.push(("X-Amz-Algorithm", "AWS4-HMAC-SHA256".into()));
    query.push(("X-Amz-Credential", credential));
    query.push(("X-Amz-Date", stamp.clone()));
    query.push(("X-Amz-Expires", r.expires.to_string()));
    if let Some(t) = r.token.filter(|t| !t.is_empty()) {
        query.push(("X-Amz-Security-Token", t.to_string()));
    }
    query.push(("X-Amz-SignedHeaders", signed.clone()));
    query.sort();
    let qs: Vec<String> = query
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY),
                utf8_percent_encode(v, QUERY)
            )
        })
        .collect();
    let qs = qs.join("&");

    let mut canonical = format!("{}\n{path}\n{qs}\n", r.method);
    for (k, v) in &headers {
        let v: Vec<&str> = v.split_whitespace().collect();
        let _ = writeln!(canonical, "{k}:{}", v.join(" "));
    }
    let _ = write!(canonical, "\n{signed}\nUNSIGNED-PAYLOAD");

    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{date}/{}/s3/aws4_request\n{}",
        r.region,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut k = hmac(format!("AWS4{}", r.secret).as_bytes(), date.as_bytes());
    for part in [r.region.as_bytes(), b"s3", b"aws4_request"] {
        k = hmac(&k, part);
    }
    let signature = hex(&hmac(&k, to_sign.as_bytes()));

    let origin = r.base.origin().ascii_serialization();
    format!("{origin}{path}?{qs}&X-Amz-Signature={signature}")
}
