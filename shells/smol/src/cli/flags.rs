//! A command-line flag parser with Go `flag` package semantics (CLI_CONFIG.md §1):
//! one or two dashes, `-f value` / `-f=value`, bool flags only as `-f` or `-f=bool`,
//! parsing stops at the first non-flag argument or `--`, Go's error messages, and a
//! `PrintDefaults`-style usage listing.

use litestream_core::config::duration::{format_go_duration, parse_go_duration};
use std::fmt;
use std::time::Duration;

/// A flag's current value (and type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagValue {
    /// `-name` or `-name=true|false`.
    Bool(bool),
    /// Any text.
    String(String),
    /// Go `strconv.ParseInt(s, 0, 64)`.
    Int(i64),
    /// Go `strconv.ParseUint(s, 0, 64)`.
    Uint(u64),
    /// Go duration, signed nanoseconds.
    Duration(i64),
}

impl FlagValue {
    /// Go's text of the value (`DefValue`).
    fn text(&self) -> String {
        match self {
            FlagValue::Bool(b) => b.to_string(),
            FlagValue::String(s) => s.clone(),
            FlagValue::Int(i) => i.to_string(),
            FlagValue::Uint(u) => u.to_string(),
            FlagValue::Duration(d) => format_go_duration(*d),
        }
    }

    /// Go's `UnquoteUsage` type word.
    fn type_word(&self) -> &'static str {
        match self {
            FlagValue::Bool(_) => "",
            FlagValue::String(_) => "string",
            FlagValue::Int(_) => "int",
            FlagValue::Uint(_) => "uint",
            FlagValue::Duration(_) => "duration",
        }
    }

    /// Parses `s` into a value of the same type.
    fn parse_like(&self, s: &str) -> Result<FlagValue, &'static str> {
        Ok(match self {
            FlagValue::Bool(_) => FlagValue::Bool(parse_bool(s).ok_or("parse error")?),
            FlagValue::String(_) => FlagValue::String(s.to_string()),
            FlagValue::Int(_) => FlagValue::Int(parse_int(s)?),
            FlagValue::Uint(_) => {
                if s.starts_with(['-', '+']) {
                    return Err("parse error");
                }
                let v = parse_int_wide(s)?;
                FlagValue::Uint(u64::try_from(v).map_err(|_| "value out of range")?)
            }
            FlagValue::Duration(_) => {
                FlagValue::Duration(parse_go_duration(s).map_err(|_| "parse error")?)
            }
        })
    }
}

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagError {
    /// `-h`, `-help` or `--help` (not defined as flags): print usage to stdout, exit 0.
    Help,
    /// `flag provided but not defined: -x`
    Undefined(String),
    /// `bad flag syntax: ---x` (also `-=x`).
    BadSyntax(String),
    /// `flag needs an argument: -x`
    MissingArgument(String),
    /// `invalid value "x" for flag -n: parse error` (bool: `invalid boolean value …`).
    InvalidValue {
        /// Flag name.
        name: String,
        /// The value given.
        value: String,
        /// `parse error` or `value out of range`.
        reason: &'static str,
        /// Whether the flag is a bool flag (Go words it differently).
        boolean: bool,
    },
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagError::Help => f.write_str("flag: help requested"),
            FlagError::Undefined(n) => write!(f, "flag provided but not defined: -{n}"),
            FlagError::BadSyntax(a) => write!(f, "bad flag syntax: {a}"),
            FlagError::MissingArgument(n) => write!(f, "flag needs an argument: -{n}"),
            FlagError::InvalidValue {
                name,
                value,
                reason,
                boolean: true,
            } => {
                write!(f, "invalid boolean value {value:?} for -{name}: {reason}")
            }
            FlagError::InvalidValue {
                name,
                value,
                reason,
                boolean: false,
            } => {
                write!(f, "invalid value {value:?} for flag -{name}: {reason}")
            }
        }
    }
}

impl std::error::Error for FlagError {}

#[derive(Debug, Clone)]
struct Flag {
    name: String,
    usage: String,
    default: FlagValue,
    value: FlagValue,
    set: bool,
}

/// A set of flags for one command, parsed like Go's `flag.FlagSet` (ContinueOnError).
#[derive(Debug, Clone, Default)]
pub struct FlagSet {
    flags: Vec<Flag>,
}

impl FlagSet {
    /// An empty flag set.
    pub fn new() -> FlagSet {
        FlagSet::default()
    }

    fn define(&mut self, name: &str, default: FlagValue, usage: &str) -> &mut Self {
        debug_assert!(self.find(name).is_none(), "flag redefined: {name}");
        self.flags.push(Flag {
            name: name.into(),
            usage: usage.into(),
            value: default.clone(),
            default,
            set: false,
        });
        self
    }

    /// Defines a bool flag.
    pub fn bool(&mut self, name: &str, default: bool, usage: &str) -> &mut Self {
        self.define(name, FlagValue::Bool(default), usage)
    }

    /// Defines a string flag.
    pub fn string(&mut self, name: &str, default: &str, usage: &str) -> &mut Self {
        self.define(name, FlagValue::String(default.into()), usage)
    }

    /// Defines a signed integer flag.
    pub fn int(&mut self, name: &str, default: i64, usage: &str) -> &mut Self {
        self.define(name, FlagValue::Int(default), usage)
    }

    /// Defines an unsigned integer flag.
    pub fn uint(&mut self, name: &str, default: u64, usage: &str) -> &mut Self {
        self.define(name, FlagValue::Uint(default), usage)
    }

    /// Defines a duration flag.
    pub fn duration(&mut self, name: &str, default: Duration, usage: &str) -> &mut Self {
        let ns = i64::try_from(default.as_nanos()).unwrap_or(i64::MAX);
        self.define(name, FlagValue::Duration(ns), usage)
    }

    fn find(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// Parses `args` (without the command name); returns the positionals that remain.
    pub fn parse<S: AsRef<str>>(&mut self, args: &[S]) -> Result<Vec<String>, FlagError> {
        let mut i = 0;
        while i < args.len() {
            let s = args[i].as_ref();
            if s.len() < 2 || !s.starts_with('-') {
                break; // first non-flag argument ("-" alone is one)
            }
            let dashes = if s.as_bytes()[1] == b'-' { 2 } else { 1 };
            if dashes == 2 && s.len() == 2 {
                i += 1; // "--" ends the flags and is consumed
                break;
            }
            let body = &s[dashes..];
            if body.is_empty() || body.starts_with(['-', '=']) {
                return Err(FlagError::BadSyntax(s.to_string()));
            }
            i += 1;
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let Some(idx) = self.flags.iter().position(|f| f.name == name) else {
                if name == "help" || name == "h" {
                    return Err(FlagError::Help);
                }
                return Err(FlagError::Undefined(name.to_string()));
            };
            let flag = &mut self.flags[idx];
            let boolean = matches!(flag.default, FlagValue::Bool(_));
            let text = match (inline, boolean) {
                (Some(v), _) => v.to_string(),
                (None, true) => "true".to_string(),
                (None, false) if i < args.len() => {
                    i += 1;
                    args[i - 1].as_ref().to_string()
                }
                (None, false) => return Err(FlagError::MissingArgument(name.to_string())),
            };
            flag.value =
                flag.default
                    .parse_like(&text)
                    .map_err(|reason| FlagError::InvalidValue {
                        name: name.to_string(),
                        value: text.clone(),
                        reason,
                        boolean,
                    })?;
            flag.set = true;
        }
        Ok(args[i..].iter().map(|a| a.as_ref().to_string()).collect())
    }

    /// Whether the flag was given on the command line (Go's `Visit`).
    pub fn is_set(&self, name: &str) -> bool {
        self.find(name).is_some_and(|f| f.set)
    }

    /// The value of a flag; `None` if it is not defined.
    pub fn value(&self, name: &str) -> Option<&FlagValue> {
        self.find(name).map(|f| &f.value)
    }

    /// A bool flag's value (false if undefined or not a bool).
    pub fn get_bool(&self, name: &str) -> bool {
        matches!(self.value(name), Some(FlagValue::Bool(true)))
    }

    /// A string flag's value ("" if undefined or not a string).
    pub fn get_string(&self, name: &str) -> &str {
        match self.value(name) {
            Some(FlagValue::String(s)) => s,
            _ => "",
        }
    }

    /// An int flag's value (0 if undefined or not an int).
    pub fn get_int(&self, name: &str) -> i64 {
        match self.value(name) {
            Some(FlagValue::Int(v)) => *v,
            _ => 0,
        }
    }

    /// A uint flag's value (0 if undefined or not a uint).
    pub fn get_uint(&self, name: &str) -> u64 {
        match self.value(name) {
            Some(FlagValue::Uint(v)) => *v,
            _ => 0,
        }
    }

    /// A duration flag's value; negative values read as zero (see [`Self::value`]).
    pub fn get_duration(&self, name: &str) -> Duration {
        match self.value(name) {
            Some(FlagValue::Duration(ns)) => Duration::from_nanos(u64::try_from(*ns).unwrap_or(0)),
            _ => Duration::ZERO,
        }
    }

    /// The flag listing of Go's `PrintDefaults`, sorted by name:
    /// `  -name type` then a newline and `    \t` + usage (one-letter bool flags stay on
    /// one line), plus ` (default x)` for non-zero defaults (`%q` for strings).
    pub fn defaults_text(&self) -> String {
        let mut flags: Vec<&Flag> = self.flags.iter().collect();
        flags.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out = String::new();
        for f in flags {
            let (word, usage) = unquote_usage(&f.usage, f.default.type_word());
            let mut line = format!("  -{}", f.name);
            if !word.is_empty() {
                line.push(' ');
                line.push_str(&word);
            }
            line.push_str(if line.len() <= 4 { "\t" } else { "\n    \t" });
            line.push_str(&usage.replace('\n', "\n    \t"));
            let zero = matches!(
                &f.default,
                FlagValue::Bool(false)
                    | FlagValue::Int(0)
                    | FlagValue::Uint(0)
                    | FlagValue::Duration(0)
            ) || matches!(&f.default, FlagValue::String(s) if s.is_empty());
            if !zero {
                match &f.default {
                    FlagValue::String(s) => line.push_str(&format!(" (default {s:?})")),
                    other => line.push_str(&format!(" (default {})", other.text())),
                }
            }
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

/// Go's `UnquoteUsage`: a back-quoted word in the usage names the value.
fn unquote_usage(usage: &str, type_word: &str) -> (String, String) {
    if let Some(start) = usage.find('`') {
        if let Some(len) = usage[start + 1..].find('`') {
            let name = &usage[start + 1..start + 1 + len];
            let plain = format!("{}{}{}", &usage[..start], name, &usage[start + 2 + len..]);
            return (name.to_string(), plain);
        }
    }
    (type_word.to_string(), usage.to_string())
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` with its error kinds.
fn parse_int(s: &str) -> Result<i64, &'static str> {
    i64::try_from(parse_int_wide(s)?).map_err(|_| "value out of range")
}

/// Base-0 integer syntax (`0x`, `0o`, `0b`, leading-0 octal, `_` between digits).
fn parse_int_wide(s: &str) -> Result<i128, &'static str> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d, true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d, true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    // Underscores only between digits, and only with base prefixes (Go's underscoreOK).
    if digits.is_empty() || digits.ends_with('_') || digits.contains("__") {
        return Err("parse error");
    }
    if digits.contains('_') && !prefixed {
        return Err("parse error");
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() || !clean.chars().all(|c| c.is_digit(radix)) {
        return Err("parse error");
    }
    let v = i128::from_str_radix(&clean, radix).map_err(|_| "value out of range")?;
    if v > i128::from(u64::MAX) {
        return Err("value out of range");
    }
    Ok(if neg { -v } else { v })
}

#[cfg(test)]
mod tests;
