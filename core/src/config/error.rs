//! The one error type of config loading and replica URL parsing.

use std::fmt;

/// What kind of problem a [`ConfigError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The text is not valid YAML.
    Syntax,
    /// A key this program does not know (a typo, or a setting of another version).
    UnknownKey,
    /// A value of the wrong type or format (not a duration, not a boolean …).
    InvalidValue,
    /// A semantic rule is broken (CLI_CONFIG.md §3.6 and the replica rules).
    Invalid,
    /// A replica backend recognised but not built into this program.
    Unsupported,
}

/// A config or replica URL error: what is wrong, where (key path and YAML line), and
/// usually what to do about it.
///
/// `message` holds the text without the line; where the Go daemon has a fixed message
/// (e.g. `snapshot.interval: snapshot interval must be greater than 0 (got 0s)`) that
/// text is contained verbatim. `Display` appends ` (line N)` when the line is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The category, for callers that branch on it.
    pub kind: ConfigErrorKind,
    /// The human-readable message (without the line suffix).
    pub message: String,
    /// Dotted key path of the offending setting, e.g. `dbs[0].replica.sync-interval`.
    pub key: Option<String>,
    /// 1-based line in the (expanded) config text, when known.
    pub line: Option<usize>,
}

impl ConfigError {
    /// A new error without key or line.
    pub fn new(kind: ConfigErrorKind, message: impl Into<String>) -> Self {
        ConfigError {
            kind,
            message: message.into(),
            key: None,
            line: None,
        }
    }

    /// Shorthand for a [`ConfigErrorKind::Invalid`] error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ConfigErrorKind::Invalid, message)
    }

    /// Attaches the key path (kept if already set).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        if self.key.is_none() {
            self.key = Some(key.into());
        }
        self
    }

    /// Attaches the line (kept if already set).
    pub fn with_line(mut self, line: Option<usize>) -> Self {
        if self.line.is_none() {
            self.line = line;
        }
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
