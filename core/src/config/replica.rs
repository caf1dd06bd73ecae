//! Replica settings (§3.4): reading them (per replica and global), global → replica
//! inheritance, and resolution to a [`ReplicaConfig`] with a concrete target.

use super::duration::{format_go_duration, to_std};
use super::error::ConfigError;
use super::model::{ReplicaConfig, ReplicaTarget, DEFAULT_MAX_SYNC_LTX_FILES};
use super::paths::expand_path;
use super::read::Obj;
use super::s3::{s3_from_config, S3Settings};
use super::url::{is_url, parse_replica_url, ReplicaKind};
use std::path::Path;

/// Keys only a replica may have (not global).
pub(crate) const REPLICA_ONLY_KEYS: &[&str] = &["type", "name", "path", "url"];

/// Replica settings that may also be global.
pub(crate) const SHARED_KEYS: &[&str] = &[
    "sync-interval",
    "max-sync-ltx-files",
    "auto-recover",
    "validation-interval",
    "access-key-id",
    "secret-access-key",
    "region",
    "bucket",
    "endpoint",
    "force-path-style",
    "sign-payload",
    "require-content-md5",
    "skip-verify",
    "storage-class",
    "part-size",
    "concurrency",
    "sse-customer-algorithm",
    "sse-customer-key",
    "sse-customer-key-path",
    "sse-kms-key-id",
    "account-name",
    "account-key",
    "sas-token",
    "host",
    "user",
    "password",
    "key-path",
    "host-key",
    "concurrent-writes",
    "webdav-url",
    "webdav-username",
    "webdav-password",
    "jwt",
    "seed",
    "creds",
    "nkey",
    "username",
    "token",
    "tls",
    "root-cas",
    "client-cert",
    "client-key",
    "max-reconnects",
    "reconnect-wait",
    "timeout",
    "age",
];

/// Settings of other backends: accepted (checked to be scalars) but unused by this build.
const OTHER_BACKEND_SCALARS: &[&str] = &[
    "account-name",
    "account-key",
    "sas-token",
    "host",
    "user",
    "password",
    "key-path",
    "host-key",
    "webdav-url",
    "webdav-username",
    "webdav-password",
    "jwt",
    "seed",
    "creds",
    "nkey",
    "username",
    "token",
    "client-cert",
    "client-key",
];

/// One replica block (or the global settings), as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawReplica {
    pub(crate) typ: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) sync_interval: Option<i64>,
    pub(crate) max_sync_ltx_files: Option<i64>,
    pub(crate) auto_recover: Option<bool>,
    pub(crate) s3: S3Settings,
    pub(crate) age: bool,
}

/// Reads replica settings from `obj` (keys already checked by the caller).
pub(crate) fn read_replica(
    obj: &Obj<'_, '_>,
    cwd: &Path,
    home: Option<&Path>,
) -> Result<RawReplica, ConfigError> {
    let mut age = false;
    if let Some(a) = obj.obj("age", &["identities", "recipients"])? {
        age = !a.strings("identities")?.is_empty() || !a.strings("recipients")?.is_empty();
    }
    for key in OTHER_BACKEND_SCALARS {
        obj.string(key)?;
    }
    obj.bool("concurrent-writes")?;
    obj.bool("tls")?;
    obj.strings("root-cas")?;
    obj.int("max-reconnects")?;
    obj.duration("reconnect-wait")?;
    obj.duration("timeout")?;
    obj.duration("validation-interval")?;
    let key_path = match obj.string("sse-customer-key-path")? {
        Some(p) => {
            Some(expand_path(&p, cwd, home).map_err(|e| obj.err("sse-customer-key-path", e))?)
        }
        None => None,
    };
    Ok(RawReplica {
        typ: obj.string("type")?,
        path: obj.string("path")?,
        url: obj.string("url")?,
        sync_interval: obj.duration("sync-interval")?,
        max_sync_ltx_files: obj.int("max-sync-ltx-files")?,
        auto_recover: obj.bool("auto-recover")?,
        age,
        s3: S3Settings {
            bucket: obj.string("bucket")?,
            path: None,
            region: obj.string("region")?,
            endpoint: obj.string("endpoint")?,
            force_path_style: obj.bool("force-path-style")?,
            skip_verify: obj.bool("skip-verify")?.unwrap_or(false),
            access_key_id: obj.string("access-key-id")?,
            secret_access_key: obj.string("secret-access-key")?,
            sign_payload: obj.bool("sign-payload")?,
            require_content_md5: obj.bool("require-content-md5")?,
            storage_class: obj.string("storage-class")?,
            part_size: obj.size("part-size")?,
            concurrency: obj.int("concurrency")?,
            sse_customer_algorithm: obj.string("sse-customer-algorithm")?,
            sse_customer_key: obj.string("sse-customer-key")?,
            sse_customer_key_path: key_path,
            sse_kms_key_id: obj.string("sse-kms-key-id")?,
        },
    })
}

/// Fills unset replica settings from the global ones (Litestream's `SetDefaults`): a
/// replica value wins when set; a global `skip-verify: true` forces it on.
pub(crate) fn inherit(r: &mut RawReplica, g: &RawReplica) {
    r.sync_interval = r.sync_interval.or(g.sync_interval);
    r.max_sync_ltx_files = r.max_sync_ltx_files.or(g.max_sync_ltx_files);
    r.auto_recover = r.auto_recover.or(g.auto_recover);
    r.age |= g.age;
    let (s, gs) = (&mut r.s3, &g.s3);
    macro_rules! or_global {
        ($($f:ident),*) => { $( if s.$f.is_none() { s.$f = gs.$f.clone(); } )* };
    }
    or_global!(
        bucket,
        region,
        endpoint,
        force_path_style,
        access_key_id,
        secret_access_key,
        sign_payload,
        require_content_md5,
        storage_class,
        part_size,
        concurrency,
        sse_customer_algorithm,
        sse_customer_key,
        sse_customer_key_path,
        sse_kms_key_id
    );
    s.skip_verify |= gs.skip_verify;
}

/// Resolves a (merged) replica block. Errors name the replica's key path.
pub(crate) fn resolve_replica(
    r: &RawReplica,
    obj: &Obj<'_, '_>,
    cwd: &Path,
    home: Option<&Path>,
) -> Result<ReplicaConfig, ConfigError> {
    let at = |key: &str, msg: String| obj.err(key, msg);
    let whole = |e: ConfigError| obj.block_error(e);
    if let Some(p) = r.path.as_deref().filter(|p| is_url(p)) {
        return Err(at(
            "path",
            format!("replica path cannot be a url, please use the 'url' field instead: {p}"),
        ));
    }
    if r.age {
        return Err(whole(ConfigError::invalid(
            "age encryption is not currently supported, if you need encryption please revert back to Litestream v0.3.x",
        )));
    }
    let sync_ns = r.sync_interval.unwrap_or(1_000_000_000);
    if sync_ns <= 0 {
        let msg = format!(
            "sync interval must be greater than 0 (got {})",
            format_go_duration(sync_ns)
        );
        return Err(at("sync-interval", msg));
    }
    let url = match r.url.as_deref() {
        Some(u) => Some(parse_replica_url(u).map_err(|e| at("url", e.message))?),
        None => None,
    };
    let kind = match (&url, r.typ.as_deref()) {
        (Some(u), _) => u.kind,
        (None, Some(t)) => ReplicaKind::from_type(t).ok_or_else(|| {
            at("type", format!("unknown replica type in config: {t:?} (use one of: file, s3, gs, abs, sftp, webdav, nats, oss)"))
        })?,
        (None, None) => ReplicaKind::File,
    };
    let target = match kind {
        ReplicaKind::File => {
            if url.is_some() && r.path.is_some() {
                return Err(whole(ConfigError::invalid(
                    "cannot specify url & path for file replica",
                )));
            }
            let p = url
                .as_ref()
                .map(|u| u.path.clone())
                .or(r.path.clone())
                .filter(|p| !p.is_empty());
            let p = p.ok_or_else(|| {
                whole(ConfigError::invalid(
                    "file replica path required (set `path:` or `url: file:///abs/dir`)",
                ))
            })?;
            let path = expand_path(&p, cwd, home).map_err(|e| whole(ConfigError::invalid(e)))?;
            ReplicaTarget::File { path }
        }
        ReplicaKind::S3 => {
            let settings = S3Settings {
                path: r.path.clone(),
                ..r.s3.clone()
            };
            ReplicaTarget::S3(
                s3_from_config(&settings, url.as_ref())
                    .map_err(|m| whole(ConfigError::invalid(m)))?,
            )
        }
        other => return Err(whole(other.unsupported_error())),
    };
    let max_files = r
        .max_sync_ltx_files
        .map_or(Some(DEFAULT_MAX_SYNC_LTX_FILES), |n| {
            u64::try_from(n).ok().filter(|&n| n > 0)
        });
    Ok(ReplicaConfig {
        target,
        sync_interval: to_std(sync_ns),
        max_sync_ltx_files: max_files,
        auto_recover: r.auto_recover.unwrap_or(false),
    })
}
