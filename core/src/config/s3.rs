//! S3 target resolution for both URL dialects (§5.3): config `url:` and command-line
//! URLs (YAML fields win; only camelCase `forcePathStyle`/`skipVerify`; SSE query
//! ignored), and the IPC `/register` generic factory (both spellings, SSE honoured,
//! credentials and `LITESTREAM_S3_ENDPOINT` from the environment).

use super::endpoint::{endpoint_host, ensure_endpoint_scheme, parse_s3_host, S3Host};
use super::model::{
    S3Target, Sse, SseCustomerKey, DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE, DEFAULT_REGION,
    MIN_PART_SIZE,
};
use super::url::{region_from_arn, ReplicaUrl};
use std::path::PathBuf;

/// S3 settings from YAML (replica merged with globals); `None`/empty = not set.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct S3Settings {
    pub(crate) bucket: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) force_path_style: Option<bool>,
    pub(crate) skip_verify: bool,
    pub(crate) access_key_id: Option<String>,
    pub(crate) secret_access_key: Option<String>,
    pub(crate) sign_payload: Option<bool>,
    pub(crate) require_content_md5: Option<bool>,
    pub(crate) storage_class: Option<String>,
    pub(crate) part_size: Option<u64>,
    pub(crate) concurrency: Option<i64>,
    pub(crate) sse_customer_algorithm: Option<String>,
    pub(crate) sse_customer_key: Option<String>,
    pub(crate) sse_customer_key_path: Option<PathBuf>,
    pub(crate) sse_kms_key_id: Option<String>,
}

/// Which query dialect a URL is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlDialect {
    /// Config `url:` values and command-line URLs (`restore`, `ltx`, `replicate DB URL`).
    Config,
    /// The IPC `/register` generic factory.
    Register,
}

fn host_of(url: &ReplicaUrl) -> S3Host {
    if url.host.starts_with("arn:") {
        S3Host {
            bucket: url.host.clone(),
            region: region_from_arn(&url.host),
            ..S3Host::default()
        }
    } else {
        parse_s3_host(&url.host)
    }
}

fn positive_int(url: &ReplicaUrl, keys: &[&str]) -> Result<Option<u64>, String> {
    let Some((key, v)) = keys.iter().find_map(|k| url.query_get(k).map(|v| (*k, v))) else {
        return Ok(None);
    };
    match v.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(format!(
            "invalid {key} query parameter {v:?}: must be a positive integer"
        )),
    }
}

/// Resolves an S3 replica from YAML settings and an optional `url:` (config dialect,
/// Litestream's `NewS3ReplicaClientFromConfig`).
pub(crate) fn s3_from_config(c: &S3Settings, url: Option<&ReplicaUrl>) -> Result<S3Target, String> {
    if url.is_some() && c.path.is_some() {
        return Err("cannot specify url & path for s3 replica".into());
    }
    if url.is_some() && c.bucket.is_some() {
        return Err("cannot specify url & bucket for s3 replica (a global `bucket` is copied into every replica; remove it or use bucket+path instead of url)".into());
    }
    let mut bucket = c.bucket.clone().unwrap_or_default();
    let mut path = c.path.clone().unwrap_or_default();
    let mut region = c.region.clone();
    let mut endpoint = c.endpoint.as_deref().map(ensure_endpoint_scheme);
    let mut force_path_style = c.force_path_style.unwrap_or(endpoint.is_some());
    let mut skip_verify = c.skip_verify;
    let mut sign = c.sign_payload;
    let mut md5 = c.require_content_md5;
    let mut storage_class = c.storage_class.clone();
    let mut part_size = c.part_size;
    let mut concurrency = c
        .concurrency
        .and_then(|n| u64::try_from(n).ok())
        .filter(|&n| n > 0);
    if let Some(u) = url {
        let h = host_of(u);
        let (mut uregion, mut uendpoint, mut ustyle) = (h.region, h.endpoint, h.force_path_style);
        if let Some(e) = u.query_get("endpoint") {
            uendpoint = Some(ensure_endpoint_scheme(e));
            if u.query_get("forcePathStyle") != Some("false") {
                ustyle = true;
            }
        }
        if let Some(r) = u.query_get("region") {
            uregion = Some(r.to_string());
        }
        if let Some(v) = u.query_get("forcePathStyle") {
            ustyle = v == "true";
        }
        if let Some(v) = u.query_get("skipVerify") {
            skip_verify = v == "true";
        }
        if path.is_empty() {
            path = u.path.clone();
        }
        if bucket.is_empty() {
            bucket = h.bucket;
        }
        region = region.or(uregion);
        endpoint = endpoint.or(uendpoint);
        force_path_style = force_path_style || ustyle;
        sign = sign.or(u.query_bool(&["signPayload", "sign-payload"]));
        md5 = md5.or(u.query_bool(&["requireContentMD5", "require-content-md5"]));
        storage_class = storage_class.or(u
            .query_get("storage-class")
            .or(u.query_get("storageClass"))
            .map(str::to_string));
        let qpart = positive_int(u, &["part-size", "partSize"])?;
        let qconc = positive_int(u, &["concurrency"])?;
        part_size = part_size.or(qpart);
        concurrency = concurrency.or(qconc);
    }
    if bucket.is_empty() {
        return Err(
            "bucket required for s3 replica (give `bucket:` or a URL such as s3://my-bucket/path)"
                .into(),
        );
    }
    let sse = sse_from(
        c.sse_customer_algorithm.as_deref(),
        c.sse_customer_key_path
            .clone()
            .map(SseCustomerKey::File)
            .or(c.sse_customer_key.clone().map(SseCustomerKey::Inline)),
        c.sse_kms_key_id.clone(),
    )?;
    let mut t = S3Target {
        bucket,
        path,
        region,
        endpoint,
        force_path_style,
        skip_verify,
        access_key_id: c.access_key_id.clone(),
        secret_access_key: c.secret_access_key.clone(),
        part_size: part_size.unwrap_or(DEFAULT_PART_SIZE),
        concurrency: concurrency.unwrap_or(0),
        sign_payload: sign.unwrap_or(true),
        require_content_md5: md5.unwrap_or(true),
        storage_class,
        sse,
    };
    apply_provider_defaults(&mut t, c.force_path_style.is_some(), md5.is_some());
    check_part_size(t.part_size)?;
    Ok(t)
}

/// Resolves an S3 replica the way the IPC `/register` generic factory does.
pub(crate) fn s3_from_register(
    u: &ReplicaUrl,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<S3Target, String> {
    let h = host_of(u);
    let style_query = u.query_bool(&["forcePathStyle", "force-path-style"]);
    let mut endpoint = h.endpoint;
    let mut force_path_style = h.force_path_style;
    let explicit = u
        .query_get("endpoint")
        .map(str::to_string)
        .or_else(|| env("LITESTREAM_S3_ENDPOINT").filter(|e| !e.is_empty()));
    if let Some(e) = explicit {
        endpoint = Some(ensure_endpoint_scheme(&e));
        force_path_style = true;
    }
    if let Some(v) = style_query {
        force_path_style = v;
    }
    let env_pair = |id: &str, secret: &str| match (
        env(id).filter(|v| !v.is_empty()),
        env(secret).filter(|v| !v.is_empty()),
    ) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let creds = env_pair("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        .or_else(|| env_pair("LITESTREAM_ACCESS_KEY_ID", "LITESTREAM_SECRET_ACCESS_KEY"));
    if h.bucket.is_empty() {
        return Err("bucket required for s3 replica (the URL host must name the bucket, e.g. s3://my-bucket/path?endpoint=host:9000)".into());
    }
    let key = u
        .query_get("sse-customer-key")
        .or(u.query_get("sseCustomerKey"))
        .map(|k| SseCustomerKey::Inline(k.to_string()));
    let algorithm = u
        .query_get("sse-customer-algorithm")
        .or(u.query_get("sseCustomerAlgorithm"));
    let kms = u
        .query_get("sse-kms-key-id")
        .or(u.query_get("sseKmsKeyId"))
        .map(str::to_string);
    let md5 = u.query_bool(&["requireContentMD5", "require-content-md5"]);
    let mut t = S3Target {
        bucket: h.bucket,
        path: u.path.clone(),
        region: u.query_get("region").map(str::to_string).or(h.region),
        endpoint,
        force_path_style,
        skip_verify: u
            .query_bool(&["skipVerify", "skip-verify"])
            .unwrap_or(false),
        access_key_id: creds.as_ref().map(|c| c.0.clone()),
        secret_access_key: creds.map(|c| c.1),
        part_size: positive_int(u, &["part-size", "partSize"])?.unwrap_or(DEFAULT_PART_SIZE),
        concurrency: positive_int(u, &["concurrency"])?.unwrap_or(0),
        sign_payload: u
            .query_bool(&["signPayload", "sign-payload"])
            .unwrap_or(true),
        require_content_md5: md5.unwrap_or(true),
        storage_class: u
            .query_get("storage-class")
            .or(u.query_get("storageClass"))
            .map(str::to_string),
        sse: sse_from(algorithm, key, kms)?,
    };
    apply_provider_defaults(&mut t, style_query.is_some(), md5.is_some());
    check_part_size(t.part_size)?;
    Ok(t)
}

/// Provider defaults (§5.4): region `us-east-1` with an endpoint, path style for
/// Filebase/Backblaze/MinIO, no Content-MD5 for Tigris, concurrency 2 for R2.
fn apply_provider_defaults(t: &mut S3Target, style_set: bool, md5_set: bool) {
    let host = t.endpoint.as_deref().map(endpoint_host).unwrap_or_default();
    if t.endpoint.is_some() && t.region.is_none() {
        t.region = Some(DEFAULT_REGION.into());
    }
    let tigris = host == "fly.storage.tigris.dev" || host == "t3.storage.dev";
    if tigris && !md5_set {
        t.require_content_md5 = false;
    }
    let clouds = [
        ".amazonaws.com",
        ".digitaloceanspaces.com",
        ".backblazeb2.com",
        ".filebase.com",
        ".scw.cloud",
        ".r2.cloudflarestorage.com",
        "tigris.dev",
        "t3.storage.dev",
        ".supabase.co",
    ];
    let minio = host.contains(':') && !clouds.iter().any(|c| host.contains(c));
    let path_style_provider =
        host == "s3.filebase.com" || host.ends_with(".backblazeb2.com") || minio;
    if !style_set && path_style_provider {
        t.force_path_style = true;
    }
    if t.concurrency == 0 {
        t.concurrency = if host.ends_with(".r2.cloudflarestorage.com") {
            2
        } else {
            DEFAULT_CONCURRENCY
        };
    }
}

fn sse_from(
    algorithm: Option<&str>,
    key: Option<SseCustomerKey>,
    kms: Option<String>,
) -> Result<Option<Sse>, String> {
    if let Some(a) = algorithm.filter(|a| !a.is_empty() && *a != "AES256") {
        return Err(format!(
            "sse-customer-algorithm: only AES256 is supported (got {a:?})"
        ));
    }
    match (key, kms) {
        (Some(_), Some(_)) => Err(
            "cannot use SSE-C (sse-customer-key) and SSE-KMS (sse-kms-key-id) together; choose one"
                .into(),
        ),
        (Some(k), None) => Ok(Some(Sse::Customer(k))),
        (None, Some(id)) => Ok(Some(Sse::Kms { key_id: id })),
        (None, None) => Ok(None),
    }
}

fn check_part_size(part_size: u64) -> Result<(), String> {
    if part_size < MIN_PART_SIZE {
        return Err(format!(
            "part-size: {part_size} bytes is below the S3 minimum of {MIN_PART_SIZE} bytes (5 MiB); \
             note that \"5MB\" means 5,000,000 bytes: use \"5MiB\" or larger"
        ));
    }
    Ok(())
}
