//! Go `flag`-style argument parsing: flags (`-x`, `--x`, `-x=v`, `-x v`) come before the
//! positional arguments; `--` or the first non-flag word ends them.

/// The flags a command accepts: names of string flags and of boolean flags.
pub(crate) struct FlagSpec {
    pub(crate) strings: &'static [&'static str],
    pub(crate) bools: &'static [&'static str],
}

/// Parsed flags and the remaining positional arguments.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) strings: Vec<(&'static str, String)>,
    pub(crate) bools: Vec<&'static str>,
    pub(crate) args: Vec<String>,
}

impl Parsed {
    /// The value of string flag `name` (the last one given), or "".
    pub(crate) fn string(&self, name: &str) -> String {
        self.strings
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Whether boolean flag `name` was set.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.bools.contains(&name)
    }
}

/// Parse `args` against `spec`, with Go's error texts.
pub(crate) fn parse(args: &[String], spec: &FlagSpec) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        let body = a.trim_start_matches('-');
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if let Some(&n) = spec.strings.iter().find(|&&n| n == name) {
            let v = match value {
                Some(v) => v,
                None => {
                    i += 1;
                    args.get(i)
                        .cloned()
                        .ok_or_else(|| format!("flag needs an argument: -{name}"))?
                }
            };
            p.strings.push((n, v));
        } else if let Some(&n) = spec.bools.iter().find(|&&n| n == name) {
            match value.as_deref() {
                None | Some("true") | Some("1") => p.bools.push(n),
                Some("false") | Some("0") => p.bools.retain(|&b| b != n),
                Some(v) => {
                    return Err(format!(
                        "invalid boolean value {v:?} for -{name}: parse error"
                    ))
                }
            }
        } else {
            return Err(format!("flag provided but not defined: -{name}"));
        }
        i += 1;
    }
    p.args = args[i..].to_vec();
    Ok(p)
}
