//! Typed, key-checked reading of a YAML mapping with go-yaml v2 scalar meanings:
//! YAML 1.1 booleans (`yes/no/on/off/y/n`), Go integer literals (`0600` octal, `0x`,
//! `0b`, `1_000`), Go durations (a bare integer is nanoseconds), humanize sizes.
//!
//! Every key of a mapping must be known: an unknown key is an error naming the key, its
//! line, and the closest valid key.

use super::duration::parse_go_duration;
use super::error::{ConfigError, ConfigErrorKind};
use super::size::parse_bytes;
use super::yaml::{locate, path_string, Node, Seg};

/// The config text, for finding lines of key paths.
pub(crate) struct Ctx<'t> {
    pub(crate) text: &'t str,
}

impl Ctx<'_> {
    /// The line of the value at `path`.
    pub(crate) fn line(&self, path: &[Seg]) -> Option<usize> {
        locate(self.text, path, false)
    }

    /// An [`ConfigErrorKind::Invalid`] error at `path` (message used as given).
    pub(crate) fn invalid(&self, path: &[Seg], message: impl Into<String>) -> ConfigError {
        ConfigError::invalid(message)
            .with_key(path_string(path))
            .with_line(self.line(path))
    }
}

/// A checked mapping at a key path.
pub(crate) struct Obj<'a, 't> {
    ctx: &'a Ctx<'t>,
    pub(crate) path: Vec<Seg>,
    entries: &'a [(Node, Node)],
}

impl<'a, 't> Obj<'a, 't> {
    /// Checks that `node` is a mapping whose keys are all in `known`. A null node (an
    /// empty block) is `None`.
    pub(crate) fn new(
        ctx: &'a Ctx<'t>,
        path: Vec<Seg>,
        node: &'a Node,
        known: &[&str],
    ) -> Result<Option<Self>, ConfigError> {
        let entries = match node {
            Node::Null => return Ok(None),
            Node::Map(entries) => entries,
            other => {
                let what = if path.is_empty() {
                    "the config file".to_string()
                } else {
                    path_string(&path)
                };
                return Err(value_error(
                    ctx,
                    &path,
                    format!(
                        "{what}: expected a mapping of settings, got {}",
                        other.describe()
                    ),
                ));
            }
        };
        for (key, _) in entries {
            let name = key
                .scalar_text()
                .unwrap_or_else(|| format!("<{}>", key.describe()));
            if !known.contains(&name.as_str()) {
                return Err(unknown_key(ctx, &path, &name, known));
            }
        }
        Ok(Some(Obj { ctx, path, entries }))
    }

    /// A checked mapping elsewhere in the same document.
    pub(crate) fn sub(
        &self,
        path: Vec<Seg>,
        node: &'a Node,
        known: &[&str],
    ) -> Result<Option<Obj<'a, 't>>, ConfigError> {
        Obj::new(self.ctx, path, node, known)
    }

    /// An [`ConfigErrorKind::Invalid`] error at any `path` of the document.
    pub(crate) fn ctx_invalid(&self, path: &[Seg], message: impl Into<String>) -> ConfigError {
        self.ctx.invalid(path, message)
    }

    /// The path of child `key`.
    pub(crate) fn child(&self, key: &str) -> Vec<Seg> {
        let mut p = self.path.clone();
        p.push(Seg::Key(key.to_string()));
        p
    }

    /// The raw node of `key`, null included.
    pub(crate) fn raw(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k.scalar_text().as_deref() == Some(key))
            .map(|(_, v)| v)
    }

    /// The node of `key`; a null value counts as absent (Go leaves the field unset).
    pub(crate) fn get(&self, key: &str) -> Option<&'a Node> {
        self.raw(key).filter(|n| **n != Node::Null)
    }

    /// Prefixes `e` with this block's key path and places it at the block's key line.
    pub(crate) fn block_error(&self, e: ConfigError) -> ConfigError {
        let key = path_string(&self.path);
        let line = locate(self.ctx.text, &self.path, true);
        ConfigError {
            message: format!("{key}: {}", e.message),
            ..e
        }
        .with_key(key)
        .with_line(line)
    }

    /// An error about the value of `key`.
    pub(crate) fn err(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let path = self.child(key);
        let full = format!("{}: {}", path_string(&path), message.into());
        value_error(self.ctx, &path, full)
    }

    /// A string setting; numbers and booleans are taken as their text, `""` is absent.
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(n) => match n.scalar_text() {
                Some(s) if s.is_empty() => Ok(None),
                Some(s) => Ok(Some(s)),
                None => Err(self.err(key, format!("expected a string, got {}", n.describe()))),
            },
        }
    }

    /// A boolean setting (`true/false`, `yes/no`, `on/off`, `y/n`, any case form go-yaml knows).
    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        let Some(n) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match n {
            Node::Bool(b) => Some(*b),
            Node::Str(s) => yaml11_bool(s),
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| {
            self.err(
                key,
                format!("expected true or false (yes/no, on/off), got {}", shown(n)),
            )
        })
    }

    /// A Go integer setting.
    pub(crate) fn int(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        let Some(n) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match n {
            Node::Int(i) => i64::try_from(*i).ok(),
            Node::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
            Node::Str(s) => go_int(s),
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| self.err(key, format!("expected an integer, got {}", shown(n))))
    }

    /// A Go duration setting, as signed nanoseconds.
    pub(crate) fn duration(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        let Some(n) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match n {
            Node::Int(i) => i64::try_from(*i).map_err(|_| "out of range".to_string()),
            Node::Float(f) if f.abs() < 9.2e18 => Ok(*f as i64),
            Node::Str(s) => parse_go_duration(s).or_else(|e| go_int(s).ok_or(e)),
            _ => Err(format!("got {}", n.describe())),
        };
        parsed.map(Some).map_err(|e| {
            self.err(key, format!("invalid duration: {e} (use Go syntax such as 500ms, 30s, 5m, 1h30m; units ns, us, ms, s, m, h)"))
        })
    }

    /// A humanized byte-size setting (`5MiB`, `16MB`, `5242880`).
    pub(crate) fn size(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        let Some(n) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match n {
            Node::Int(i) => {
                u64::try_from(*i).map_err(|_| format!("invalid size {i}: must not be negative"))
            }
            other => match other.scalar_text() {
                Some(s) => parse_bytes(&s),
                None => Err(format!(
                    "expected a size such as 16MiB, got {}",
                    other.describe()
                )),
            },
        };
        parsed.map(Some).map_err(|e| self.err(key, e))
    }

    /// A nested mapping setting.
    pub(crate) fn obj(
        &self,
        key: &str,
        known: &[&str],
    ) -> Result<Option<Obj<'a, 't>>, ConfigError> {
        match self.raw(key) {
            None => Ok(None),
            Some(n) => Obj::new(self.ctx, self.child(key), n, known),
        }
    }

    /// A list setting; null is absent.
    pub(crate) fn list(&self, key: &str) -> Result<Option<&'a [Node]>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Node::Seq(items)) => Ok(Some(items)),
            Some(n) => Err(self.err(key, format!("expected a list, got {}", n.describe()))),
        }
    }

    /// A list of strings; null is absent.
    pub(crate) fn strings(&self, key: &str) -> Result<Vec<String>, ConfigError> {
        let mut out = Vec::new();
        for (i, item) in self.list(key)?.unwrap_or_default().iter().enumerate() {
            match item.scalar_text() {
                Some(s) => out.push(s),
                None => {
                    return Err(self.err(
                        key,
                        format!("entry {i}: expected a string, got {}", item.describe()),
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// go-yaml v2's YAML 1.1 boolean words.
pub(crate) fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` after go-yaml removed `_`: sign, then `0x`, `0o`,
/// `0b` prefixes or a leading `0` for octal.
pub(crate) fn go_int(s: &str) -> Option<i64> {
    let s = s.replace('_', "");
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, &s[..]),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if neg { -magnitude } else { magnitude }).ok()
}

/// A value for an error message.
fn shown(n: &Node) -> String {
    match n.scalar_text() {
        Some(s) => format!("{s:?}"),
        None => n.describe().to_string(),
    }
}

fn value_error(ctx: &Ctx<'_>, path: &[Seg], message: String) -> ConfigError {
    ConfigError::new(ConfigErrorKind::InvalidValue, message)
        .with_key(path_string(path))
        .with_line(ctx.line(path))
}

fn unknown_key(ctx: &Ctx<'_>, parent: &[Seg], name: &str, known: &[&str]) -> ConfigError {
    let mut path = parent.to_vec();
    path.push(Seg::Key(name.to_string()));
    let place = if parent.is_empty() {
        "at the top level".to_string()
    } else {
        format!("in {}", path_string(parent))
    };
    let hint = match closest(name, known) {
        Some(best) => format!("did you mean \"{best}\"?"),
        None => format!("valid keys here: {}", known.join(", ")),
    };
    ConfigError::new(
        ConfigErrorKind::UnknownKey,
        format!("unknown key \"{name}\" {place}; {hint}"),
    )
    .with_key(path_string(&path))
    .with_line(locate(ctx.text, &path, true))
}

/// The known key closest to `name` by edit distance, if close enough to be a typo.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let lower = name.to_ascii_lowercase().replace('_', "-");
    known
        .iter()
        .map(|k| (edit_distance(&lower, k), *k))
        .filter(|&(d, k)| d <= 2.max(k.len() / 4))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_integer_literals() {
        assert_eq!(go_int("0600"), Some(0o600));
        assert_eq!(go_int("600"), Some(600));
        assert_eq!(go_int("0o600"), Some(0o600));
        assert_eq!(go_int("0x1F"), Some(31));
        assert_eq!(go_int("0b101"), Some(5));
        assert_eq!(go_int("1_000"), Some(1000));
        assert_eq!(go_int("-010"), Some(-8));
        assert_eq!(go_int("08"), None);
        assert_eq!(go_int("abc"), None);
        assert_eq!(go_int(""), None);
    }

    #[test]
    fn typo_suggestions() {
        assert_eq!(
            closest("sync-intervl", &["sync-interval", "path"]),
            Some("sync-interval")
        );
        assert_eq!(
            closest("sync_interval", &["sync-interval", "path"]),
            Some("sync-interval")
        );
        assert_eq!(closest("zzzzzz", &["sync-interval", "path"]), None);
    }
}
