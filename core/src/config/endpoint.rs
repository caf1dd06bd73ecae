//! S3 URL host forms (CLI_CONFIG.md §5.2) and endpoint helpers: scheme defaulting for
//! local endpoints and the endpoint host used for provider detection.

/// What an S3 URL host says (§5.2): bucket, region, endpoint, path style.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct S3Host {
    /// Bucket ("" when the host names only a server).
    pub bucket: String,
    /// Region, if the host names one.
    pub region: Option<String>,
    /// Endpoint, if the host implies one.
    pub endpoint: Option<String>,
    /// Path style implied by the host form.
    pub force_path_style: bool,
}

/// Litestream's `s3.ParseHost`.
pub fn parse_s3_host(host: &str) -> S3Host {
    let some = |s: &str| Some(s.to_string());
    if host.contains(':') && !host.contains(".com") {
        return match host.split_once('.') {
            Some((b, rest)) => S3Host {
                bucket: b.into(),
                region: some(super::model::DEFAULT_REGION),
                endpoint: Some(format!("http://{rest}")),
                force_path_style: true,
            },
            None => S3Host {
                bucket: String::new(),
                region: None,
                endpoint: Some(format!("http://{host}")),
                force_path_style: true,
            },
        };
    }
    if let Some(b) = host.strip_suffix(".s3.amazonaws.com") {
        return S3Host {
            bucket: b.into(),
            ..S3Host::default()
        };
    }
    if let Some((b, r)) = host
        .strip_suffix(".amazonaws.com")
        .and_then(|h| h.rsplit_once('.'))
    {
        if let Some(b) = b.strip_suffix(".s3") {
            return S3Host {
                bucket: b.into(),
                region: some(r),
                ..S3Host::default()
            };
        }
    }
    // `^(?:(.+)\.)?<label>.<suffix>$` with the optional bucket before the last label.
    let split = |rest: &str| -> (String, String) {
        match rest.rsplit_once('.') {
            Some((b, r)) => (b.to_string(), r.to_string()),
            None => (String::new(), rest.to_string()),
        }
    };
    if let Some(rest) = host.strip_suffix(".digitaloceanspaces.com") {
        let (b, r) = split(rest);
        let endpoint = Some(format!("https://{r}.digitaloceanspaces.com"));
        return S3Host {
            bucket: b,
            region: Some(r),
            endpoint,
            force_path_style: false,
        };
    }
    if let Some((b, r)) = host.strip_suffix(".backblazeb2.com").map(split) {
        if let Some(b) = b
            .strip_suffix(".s3")
            .or(if b == "s3" { Some("") } else { None })
        {
            let endpoint = Some(format!("https://s3.{r}.backblazeb2.com"));
            return S3Host {
                bucket: b.into(),
                region: Some(r),
                endpoint,
                force_path_style: true,
            };
        }
    }
    if let Some(b) = host.strip_suffix("s3.filebase.com") {
        if b.is_empty() || b.ends_with('.') {
            return S3Host {
                bucket: b.trim_end_matches('.').into(),
                region: None,
                endpoint: some("s3.filebase.com"),
                force_path_style: false,
            };
        }
    }
    if let Some((b, r)) = host.strip_suffix(".scw.cloud").map(split) {
        if let Some(b) = b
            .strip_suffix(".s3")
            .or(if b == "s3" { Some("") } else { None })
        {
            let endpoint = Some(format!("s3.{r}.scw.cloud"));
            return S3Host {
                bucket: b.into(),
                region: Some(r),
                endpoint,
                force_path_style: false,
            };
        }
    }
    S3Host {
        bucket: host.into(),
        ..S3Host::default()
    }
}

/// The host of an endpoint, lower-cased (`http://h:1/x` → `h:1`; no scheme → as is).
pub(crate) fn endpoint_host(endpoint: &str) -> String {
    let e = endpoint.trim().to_ascii_lowercase();
    match e
        .strip_prefix("http://")
        .or_else(|| e.strip_prefix("https://"))
    {
        Some(rest) => rest.split(['/', '?', '#']).next().unwrap_or("").to_string(),
        None => e,
    }
}

/// Litestream's `IsLocalEndpoint`: localhost, 127.0.0.1, private ranges, `.local`.
pub fn is_local_endpoint(endpoint: &str) -> bool {
    let mut host = endpoint_host(endpoint);
    if let Some(i) = host.rfind(':') {
        host.truncate(i);
    }
    host == "localhost"
        || host == "127.0.0.1"
        || [
            "192.168.", "10.", "172.16.", "172.17.", "172.18.", "172.19.", "172.2", "172.30.",
            "172.31.",
        ]
        .iter()
        .any(|p| host.starts_with(p))
        || host.ends_with(".local")
        || host.ends_with(".localhost")
}

/// Adds `http://` (local endpoints) or `https://` (others) when the endpoint has no scheme.
pub fn ensure_endpoint_scheme(endpoint: &str) -> String {
    if endpoint.is_empty() || endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        endpoint.to_string()
    } else if is_local_endpoint(endpoint) {
        format!("http://{endpoint}")
    } else {
        format!("https://{endpoint}")
    }
}
