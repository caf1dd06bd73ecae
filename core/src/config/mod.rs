//! `litestream.yml`: the configuration model, parsing and validation, and replica URLs.
//!
//! Pure: the file text, the environment (a lookup closure), the working directory and
//! the home directory are passed in ([`ParseEnv`]). [`parse`] follows CLI_CONFIG.md §3:
//! `os.Expand`-style variable expansion of the raw text, YAML with go-yaml v2 scalar
//! meanings, Go durations, humanize byte sizes, path expansion, defaults, snapshot
//! promotion, global → replica inheritance and validation. Unlike the Go daemon, an
//! unknown key is an error naming the key and its line.
//!
//! Replica URLs ([`parse_replica_url`], [`replica_target_from_url`]) follow §5.

mod db;
pub mod duration;
mod endpoint;
mod error;
pub mod expand;
mod model;
pub mod paths;
mod read;
mod replica;
mod s3;
pub mod size;
mod top;
pub mod url;
mod yaml;

#[cfg(test)]
mod tests;

pub use error::{ConfigError, ConfigErrorKind};
pub use model::*;
pub use paths::expand_path;
pub use s3::UrlDialect;
pub use url::{is_url, parse_replica_url, ReplicaKind, ReplicaUrl};

use std::path::Path;

/// Everything [`parse`] needs from the outside world.
pub struct ParseEnv<'a> {
    /// Environment lookup (`None` = unset). Also used for `LOG_LEVEL`.
    pub lookup_env: &'a dyn Fn(&str) -> Option<String>,
    /// Working directory relative paths are resolved against.
    pub cwd: &'a Path,
    /// Home directory for `~` (`None` = unknown: `~` paths are an error).
    pub home: Option<&'a Path>,
    /// Expand `$VAR` in the text (false for `-no-expand-env`).
    pub expand_env: bool,
    /// Process id substituted for `$PID` / `${PID}`.
    pub pid: u32,
}

/// Parses and validates a `litestream.yml` text.
pub fn parse(text: &str, env: &ParseEnv<'_>) -> Result<Config, ConfigError> {
    let expanded;
    let text = if env.expand_env {
        let pid = env.pid.to_string();
        let lookup = |name: &str| {
            if name == "PID" {
                Some(pid.clone())
            } else {
                (env.lookup_env)(name)
            }
        };
        expanded = expand::expand_env(text, &lookup);
        expanded.as_str()
    } else {
        text
    };
    let root = yaml::load(text)?;
    let ctx = read::Ctx { text };
    let paths = db::PathEnv {
        cwd: env.cwd,
        home: env.home,
    };
    top::build(&ctx, &root, &paths, (env.lookup_env)("LOG_LEVEL"))
}

/// Environment for resolving a replica URL given outside the config file.
pub struct UrlEnv<'a> {
    /// Environment lookup (the `/register` dialect reads credentials and
    /// `LITESTREAM_S3_ENDPOINT`).
    pub lookup_env: &'a dyn Fn(&str) -> Option<String>,
    /// Working directory for relative `file://` paths.
    pub cwd: &'a Path,
    /// Home directory for `~`.
    pub home: Option<&'a Path>,
}

/// Resolves a command-line (`UrlDialect::Config`) or IPC `/register`
/// (`UrlDialect::Register`) replica URL to a target (§5.3). Backends other than `file`
/// and `s3` give a [`ConfigErrorKind::Unsupported`] error.
pub fn replica_target_from_url(
    url: &str,
    dialect: UrlDialect,
    env: &UrlEnv<'_>,
) -> Result<ReplicaTarget, ConfigError> {
    let u = parse_replica_url(url)?;
    match u.kind {
        ReplicaKind::File => {
            // `file://host/x`, `file:rel` and `file://` would silently write somewhere
            // surprising (a directory named after the host, the working directory).
            let lower = url.to_ascii_lowercase();
            if !lower.starts_with("file:///") || u.path == "/" || u.path.is_empty() {
                return Err(ConfigError::invalid(format!(
                    "invalid file replica URL {url:?}: write file:///absolute/path/to/replica-directory"
                )));
            }
            let path = expand_path(&u.path, env.cwd, env.home).map_err(ConfigError::invalid)?;
            Ok(ReplicaTarget::File { path })
        }
        ReplicaKind::S3 => {
            let t = match dialect {
                UrlDialect::Config => s3::s3_from_config(&s3::S3Settings::default(), Some(&u)),
                UrlDialect::Register => s3::s3_from_register(&u, env.lookup_env),
            };
            t.map(ReplicaTarget::S3).map_err(ConfigError::invalid)
        }
        other => Err(other.unsupported_error()),
    }
}
