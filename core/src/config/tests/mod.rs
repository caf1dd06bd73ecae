//! Tests of [`super::parse`] and the replica URL functions on whole documents.

mod dir;
mod errors;
mod full;
mod urls;

use super::{parse, Config, ConfigError, ParseEnv};
use std::path::Path;

/// The environment every test document sees.
pub(super) fn env_var(name: &str) -> Option<String> {
    match name {
        "BUCKET" => Some("env-bucket".into()),
        "SECRET" => Some("s3cr3t".into()),
        _ => None,
    }
}

/// Parses `text` with cwd `/work`, home `/home/me`, pid 4242, expansion on.
pub(super) fn parse_ok(text: &str) -> Config {
    match try_parse(text) {
        Ok(c) => c,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// Parses `text`, expecting an error.
pub(super) fn parse_err(text: &str) -> ConfigError {
    match try_parse(text) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e,
    }
}

/// Parses `text` with the test environment.
pub(super) fn try_parse(text: &str) -> Result<Config, ConfigError> {
    let env = ParseEnv {
        lookup_env: &env_var,
        cwd: Path::new("/work"),
        home: Some(Path::new("/home/me")),
        expand_env: true,
        pid: 4242,
    };
    parse(text, &env)
}
