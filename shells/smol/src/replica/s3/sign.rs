//! Presigned SigV4 URLs with rusty-s3: one method per S3 action the replica uses. Each URL
//! is signed right before it is sent (time from the system clock) and carries
//! `UNSIGNED-PAYLOAD`, so bodies stream without being hashed first. Headers listed in an
//! action's signed headers (`x-amz-meta-*`, `x-amz-storage-class`) must be sent as given.

use std::net::IpAddr;
use std::time::Duration;

use rusty_s3::actions::{CompleteMultipartUpload, CreateMultipartUpload, ObjectIdentifier};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use url::Url;

use super::config::S3Options;
use super::sign_raw::{self, has_dot_segment, Raw};

/// How long a presigned URL stays valid (it is used within moments of signing).
const EXPIRES: Duration = Duration::from_secs(3600);

/// Signed headers sent with uploads: (lowercase name, value).
pub(crate) type Headers = Vec<(&'static str, String)>;

/// The bucket and credentials, able to sign every request of the replica.
pub(crate) struct Signer {
    bucket: Bucket,
    creds: Credentials,
}

/// An object action for keys with dot segments (see [`sign_raw`]).
struct RawAction<'a> {
    method: &'a str,
    key: &'a str,
    query: Vec<(&'a str, String)>,
    headers: &'a [(&'static str, String)],
}

/// The endpoint URL: the configured one (`https://` added when it has no scheme), or AWS's
/// regional endpoint.
pub(crate) fn endpoint_url(opts: &S3Options) -> Result<Url, String> {
    let raw = match opts.endpoint.as_deref() {
        Some(e) if !e.is_empty() => {
            if e.contains("://") {
                e.to_string()
            } else {
                format!("https://{e}")
            }
        }
        _ => format!("https://s3.{}.amazonaws.com", opts.region_or_default()),
    };
    let url = Url::parse(&raw).map_err(|e| {
        format!(
            "s3 replica {}: bad endpoint {raw:?}: {e}: use a URL like https://host:port",
            opts.location()
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "s3 replica {}: bad endpoint {raw:?}: the scheme must be http or https: use a URL like https://host:port",
            opts.location()
        ));
    }
    Ok(url)
}

/// Path style when forced, or when the endpoint host is an IP address (virtual-host names
/// cannot be built on an IP).
pub(crate) fn url_style(opts: &S3Options, endpoint: &Url) -> UrlStyle {
    let host = endpoint.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if opts.force_path_style || host.parse::<IpAddr>().is_ok() || host == "localhost" {
        UrlStyle::Path
    } else {
        UrlStyle::VirtualHost
    }
}

impl Signer {
    /// A signer for `opts` (validated).
    pub(crate) fn new(opts: &S3Options) -> Result<Signer, String> {
        let endpoint = endpoint_url(opts)?;
        let style = url_style(opts, &endpoint);
        let bucket = Bucket::new(
            endpoint,
            style,
            opts.bucket.clone(),
            opts.region_or_default().to_string(),
        )
        .map_err(|e| {
            format!(
                "s3 replica {}: cannot build URLs for bucket \"{}\": {e:?}: check the bucket \
                 name and endpoint, or set force-path-style: true",
                opts.location(),
                opts.bucket
            )
        })?;
        let creds = match &opts.session_token {
            Some(t) if !t.is_empty() => Credentials::new_with_token(
                opts.access_key_id.clone(),
                opts.secret_access_key.clone(),
                t.clone(),
            ),
            _ => Credentials::new(opts.access_key_id.clone(), opts.secret_access_key.clone()),
        };
        Ok(Signer { bucket, creds })
    }

    /// Presign an object action with [`sign_raw`] (keys with `.`/`..` segments).
    fn raw(&self, a: RawAction<'_>) -> String {
        sign_raw::presign(
            &Raw {
                method: a.method,
                base: self.bucket.base_url(),
                key: a.key,
                query: a.query,
                headers: a.headers.to_vec(),
                key_id: self.creds.key(),
                secret: self.creds.secret(),
                token: self.creds.token(),
                region: self.bucket.region(),
                expires: EXPIRES.as_secs(),
            },
            jiff::Timestamp::now(),
        )
    }

    /// The unsigned URL of an object (tests and messages).
    pub(crate) fn object_url(&self, key: &str) -> Url {
        self.bucket.object_url(key)
    }

    /// The bucket (tests compare against rusty-s3's own output).
    #[cfg(test)]
    pub(crate) fn bucket(&self) -> &Bucket {
        &self.bucket
    }

    /// PutObject with signed `headers`.
    pub(crate) fn put(&self, key: &str, headers: &Headers) -> String {
        if has_dot_segment(key) {
            return self.raw(RawAction {
                method: "PUT",
                key,
                query: vec![],
                headers,
            });
        }
        let mut a = self.bucket.put_object(Some(&self.creds), key);
        for (k, v) in headers {
            a.headers_mut().insert(*k, v.clone());
        }
        a.sign(EXPIRES).into()
    }

    /// GetObject (a `Range` header may be added: it is not signed).
    pub(crate) fn get(&self, key: &str) -> String {
        if has_dot_segment(key) {
            return self.raw(RawAction {
                method: "GET",
                key,
                query: vec![],
                headers: &[],
            });
        }
        self.bucket
            .get_object(Some(&self.creds), key)
            .sign(EXPIRES)
            .into()
    }

    /// HeadObject.
    pub(crate) fn head(&self, key: &str) -> String {
        if has_dot_segment(key) {
            return self.raw(RawAction {
                method: "HEAD",
                key,
                query: vec![],
                headers: &[],
            });
        }
        self.bucket
            .head_object(Some(&self.creds), key)
            .sign(EXPIRES)
            .into()
    }

    /// ListObjectsV2 of `prefix`, continuing from `token`.
    pub(crate) fn list(
        &self,
        prefix: &str,
        token: Option<&str>,
        max_keys: Option<usize>,
    ) -> String {
        let mut a = self.bucket.list_objects_v2(Some(&self.creds));
        a.with_prefix(prefix);
        if let Some(t) = token {
            a.with_continuation_token(t);
        }
        if let Some(m) = max_keys {
            a.with_max_keys(m);
        }
        a.sign(EXPIRES).into()
    }

    /// DeleteObjects of `keys` (quiet): the URL, the XML body and its base64 MD5.
    pub(crate) fn delete_objects(&self, keys: &[String]) -> (String, String, String) {
        let ids: Vec<ObjectIdentifier> = keys
            .iter()
            .map(|k| ObjectIdentifier::new(k.clone()))
            .collect();
        let mut a = self.bucket.delete_objects(Some(&self.creds), ids.iter());
        a.set_quiet(true);
        let url = a.sign(EXPIRES);
        let (body, md5) = a.body_with_md5();
        (url.into(), body, md5)
    }

    /// CreateMultipartUpload with signed `headers`.
    pub(crate) fn create_multipart(&self, key: &str, headers: &Headers) -> String {
        if has_dot_segment(key) {
            let query = vec![("uploads", "1".to_string())];
            return self.raw(RawAction {
                method: "POST",
                key,
                query,
                headers,
            });
        }
        let mut a: CreateMultipartUpload<'_> =
            self.bucket.create_multipart_upload(Some(&self.creds), key);
        for (k, v) in headers {
            a.headers_mut().insert(*k, v.clone());
        }
        a.sign(EXPIRES).into()
    }

    /// UploadPart number `part` (from 1).
    pub(crate) fn upload_part(&self, key: &str, part: u16, upload_id: &str) -> String {
        if has_dot_segment(key) {
            let query = vec![
                ("partNumber", part.to_string()),
                ("uploadId", upload_id.to_string()),
            ];
            return self.raw(RawAction {
                method: "PUT",
                key,
                query,
                headers: &[],
            });
        }
        self.bucket
            .upload_part(Some(&self.creds), key, part, upload_id)
            .sign(EXPIRES)
            .into()
    }

    /// CompleteMultipartUpload: the URL and the XML body listing the parts' ETags.
    pub(crate) fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        etags: &[String],
    ) -> (String, String) {
        let a: CompleteMultipartUpload<'_, _> = self.bucket.complete_multipart_upload(
            Some(&self.creds),
            key,
            upload_id,
            etags.iter().map(String::as_str),
        );
        if has_dot_segment(key) {
            let query = vec![("uploadId", upload_id.to_string())];
            let url = self.raw(RawAction {
                method: "POST",
                key,
                query,
                headers: &[],
            });
            return (url, a.body());
        }
        let url = a.sign(EXPIRES);
        (url.into(), a.body())
    }

    /// AbortMultipartUpload.
    pub(crate) fn abort_multipart(&self, key: &str, upload_id: &str) -> String {
        if has_dot_segment(key) {
            let query = vec![("uploadId", upload_id.to_string())];
            return self.raw(RawAction {
                method: "DELETE",
                key,
                query,
                headers: &[],
            });
        }
        self.bucket
            .abort_multipart_upload(Some(&self.creds), key, upload_id)
            .sign(EXPIRES)
            .into()
    }
}
