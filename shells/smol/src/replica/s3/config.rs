//! S3 replica options: what the config/URL parser hands over, their defaults, their
//! validation, and the credential/region precedence of Litestream (environment lookup).
//!
//! Secrets never leave this module in text form: [`S3Options`] has a hand-written
//! `Debug` that prints `<redacted>` for the secret key and session token.

use std::fmt;
use std::time::Duration;

/// The smallest multipart part size S3 accepts: 5 MiB = 5,242,880 bytes.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Litestream's default part size (5 MiB).
pub const DEFAULT_PART_SIZE: u64 = MIN_PART_SIZE;
/// Litestream's default multipart concurrency.
pub const DEFAULT_CONCURRENCY: usize = 5;
/// Region used when none is configured and none is in the environment.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Default maximum time a single read or write on a connection may stall.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Everything an S3 replica needs. Build it from the config, then call
/// [`S3Options::resolve_env`] (or [`S3Options::with_env_credentials`]) to apply the
/// environment, then [`crate::replica::s3::S3Replica::new`].
#[derive(Clone, PartialEq, Eq)]
pub struct S3Options {
    /// Bucket name (`s3://<bucket>/…`).
    pub bucket: String,
    /// Key prefix, used verbatim; empty means `"."` as in Litestream (`./0000/…`).
    pub path: String,
    /// Region; `None` = environment (`AWS_REGION`, `AWS_DEFAULT_REGION`) or `us-east-1`.
    pub region: Option<String>,
    /// S3-compatible endpoint (`http://127.0.0.1:9000`); `None` = AWS.
    pub endpoint: Option<String>,
    /// Path-style URLs (`endpoint/bucket/key`) instead of virtual-host ones.
    pub force_path_style: bool,
    /// Disable TLS certificate verification.
    pub skip_verify: bool,
    /// Access key id (config value; the environment may fill it).
    pub access_key_id: String,
    /// Secret access key (config value; the environment may fill it). Never printed.
    pub secret_access_key: String,
    /// Session token for temporary credentials. Never printed.
    pub session_token: Option<String>,
    /// Multipart part size in bytes (≥ 5 MiB); objects of this size or more use multipart.
    pub part_size: u64,
    /// Parts uploaded at once.
    pub concurrency: usize,
    /// `x-amz-storage-class` of uploaded objects (`STANDARD_IA` …).
    pub storage_class: Option<String>,
    /// Accepted for compatibility: presigned URLs always carry `UNSIGNED-PAYLOAD`.
    pub sign_payload: bool,
    /// Send `Content-MD5` with DeleteObjects.
    pub require_content_md5: bool,
    /// Longest stall of one read or write on a connection before it counts as failed.
    pub io_timeout: Duration,
}

impl Default for S3Options {
    fn default() -> S3Options {
        S3Options {
            bucket: String::new(),
            path: String::new(),
            region: None,
            endpoint: None,
            force_path_style: false,
            skip_verify: false,
            access_key_id: String::new(),
            secret_access_key: String::new(),
            session_token: None,
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            storage_class: None,
            sign_payload: true,
            require_content_md5: true,
            io_timeout: DEFAULT_IO_TIMEOUT,
        }
    }
}

impl fmt::Debug for S3Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Options")
            .field("bucket", &self.bucket)
            .field("path", &self.path)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("force_path_style", &self.force_path_style)
            .field("skip_verify", &self.skip_verify)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("storage_class", &self.storage_class)
            .field("sign_payload", &self.sign_payload)
            .field("require_content_md5", &self.require_content_md5)
            .field("io_timeout", &self.io_timeout)
            .finish()
    }
}

impl S3Options {
    /// The path used in keys: the configured one, or `"."` when empty.
    pub fn key_prefix(&self) -> &str {
        if self.path.is_empty() {
            "."
        } else {
            &self.path
        }
    }

    /// `s3://bucket/path`, for messages.
    pub fn location(&self) -> String {
        if self.path.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.path)
        }
    }

    /// The region to sign with (configured value, else `us-east-1`).
    pub fn region_or_default(&self) -> &str {
        match &self.region {
            Some(r) if !r.is_empty() => r,
            _ => DEFAULT_REGION,
        }
    }

    /// Check the values a user can get wrong; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        if self.bucket.is_empty() {
            return Err(format!(
                "s3 replica {}: bucket required: set `bucket` or use a URL like s3://bucket/path",
                self.location()
            ));
        }
        if self.part_size < MIN_PART_SIZE {
            return Err(format!(
                "s3 replica {}: part-size {} is below the S3 minimum of 5 MiB (5,242,880 bytes); \
                 note that `5MB` means 5,000,000 bytes: use `5MiB` or more",
                self.location(),
                self.part_size
            ));
        }
        if self.concurrency == 0 {
            return Err(format!(
                "s3 replica {}: concurrency must be at least 1",
                self.location()
            ));
        }
        if self.access_key_id.is_empty() != self.secret_access_key.is_empty() {
            return Err(format!(
                "s3 replica {}: access-key-id and secret-access-key must be set together",
                self.location()
            ));
        }
        if self.access_key_id.is_empty() {
            return Err(format!(
                "s3 replica {}: no credentials: set access-key-id and secret-access-key, \
                 or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or LITESTREAM_ACCESS_KEY_ID/\
                 LITESTREAM_SECRET_ACCESS_KEY) in the environment",
                self.location()
            ));
        }
        Ok(())
    }

    /// Apply the process environment: see [`S3Options::resolve_env`].
    pub fn with_env_credentials(mut self) -> S3Options {
        self.resolve_env(|name| std::env::var(name).ok());
        self
    }

    /// Fill credentials and region from an environment lookup, as Litestream does:
    /// static keys from the config win when both are set; otherwise `AWS_ACCESS_KEY_ID`/
    /// `AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`; otherwise `LITESTREAM_ACCESS_KEY_ID`/
    /// `LITESTREAM_SECRET_ACCESS_KEY` (Litestream copies those into the unset `AWS_*`).
    /// The region, when not configured, comes from `AWS_REGION`, then `AWS_DEFAULT_REGION`.
    pub fn resolve_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        let get = |name: &str| env(name).filter(|v| !v.is_empty());
        if self.access_key_id.is_empty() || self.secret_access_key.is_empty() {
            let aws = (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"));
            let ls = (
                get("LITESTREAM_ACCESS_KEY_ID"),
                get("LITESTREAM_SECRET_ACCESS_KEY"),
            );
            // Litestream copies each LITESTREAM_* variable into its unset AWS_* twin.
            let id = aws.0.or(ls.0);
            let secret = aws.1.or(ls.1);
            if let (Some(id), Some(secret)) = (id, secret) {
                self.access_key_id = id;
                self.secret_access_key = secret;
                self.session_token = get("AWS_SESSION_TOKEN");
            }
        }
        if self.region.as_deref().is_none_or(str::is_empty) {
            self.region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
        }
    }
}
