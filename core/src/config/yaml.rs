//! YAML loading on top of `serde_yaml`: the document becomes an ordered [`Node`] tree
//! (merge keys `<<` applied, later duplicate keys win like go-yaml v2), and [`locate`]
//! re-reads the text to find the line of a key path for error messages.
//!
//! Scalars keep `serde_yaml`'s resolution, which leaves the YAML 1.1 forms it does not
//! know (`yes`/`on`, leading-zero octal `0600`, `1_000`) as strings; the typed readers
//! in `read.rs` apply go-yaml v2's meaning to those.

use super::error::{ConfigError, ConfigErrorKind};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One YAML value, without positions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The text of a scalar key or value (`None` for collections and null).
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match self {
            Node::Bool(b) => Some(b.to_string()),
            Node::Int(i) => Some(i.to_string()),
            Node::Float(f) => Some(f.to_string()),
            Node::Str(s) => Some(s.clone()),
            Node::Null | Node::Seq(_) | Node::Map(_) => None,
        }
    }

    /// What kind of value this is, for "expected X, got Y" messages.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Node::Null => "an empty value",
            Node::Bool(_) => "a boolean",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Renders a key path as `dbs[0].replica.url`.
pub(crate) fn path_string(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Parses `text` into a [`Node`] tree; an empty document is [`Node::Null`].
pub(crate) fn load(text: &str) -> Result<Node, ConfigError> {
    NodeSeed
        .deserialize(serde_yaml::Deserializer::from_str(text))
        .map_err(|e| {
            let line = e.location().map(|l| l.line());
            ConfigError::new(ConfigErrorKind::Syntax, format!("invalid YAML: {e}")).with_line(line)
        })
}

/// Finds the 1-based line of the value at `path`, or of its key when `at_key`.
///
/// `serde_yaml` reports errors raised on a value at the value's position (errors on a
/// key get the mapping's start), so a key's line is found from its value's line by
/// scanning back to the line that holds `key:`.
pub(crate) fn locate(text: &str, path: &[Seg], at_key: bool) -> Option<usize> {
    if path.is_empty() {
        return None;
    }
    let value_line = match (Find { path }).deserialize(serde_yaml::Deserializer::from_str(text)) {
        Err(e) if e.to_string().contains(FOUND) => e.location().map(|l| l.line())?,
        _ => return None,
    };
    match (at_key, path.last()) {
        (true, Some(Seg::Key(key))) => Some(key_line(text, value_line, key)),
        _ => Some(value_line),
    }
}

/// The nearest line at or above `value_line` that starts (after indentation and list
/// dashes) with `key:` in plain or quoted form.
fn key_line(text: &str, value_line: usize, key: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let forms = [key.to_string(), format!("\"{key}\""), format!("'{key}'")];
    for l in (1..=value_line.min(lines.len())).rev() {
        let mut t = lines[l - 1].trim_start();
        while let Some(rest) = t.strip_prefix('-') {
            t = rest.trim_start();
        }
        if forms.iter().any(|f| {
            t.strip_prefix(f.as_str())
                .is_some_and(|r| r.trim_start().starts_with(':'))
        }) {
            return l;
        }
    }
    value_line
}

const FOUND: &str = "\u{0}litestream-config-locate\u{0}";

#[derive(Clone, Copy)]
struct NodeSeed;

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        NodeSeed.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed)? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut merges = Vec::new();
        while let Some(key) = map.next_key_seed(NodeSeed)? {
            let value = map.next_value_seed(NodeSeed)?;
            if key == Node::Str("<<".into()) {
                merges.push(value);
                continue;
            }
            // go-yaml v2 (non-strict): a repeated key overwrites the earlier value.
            entries.retain(|(k, _)| *k != key);
            entries.push((key, value));
        }
        for merge in merges {
            let sources = match merge {
                Node::Map(m) => vec![m],
                Node::Seq(items) => items
                    .into_iter()
                    .filter_map(|n| if let Node::Map(m) = n { Some(m) } else { None })
                    .collect(),
                _ => {
                    return Err(de::Error::custom(
                        "merge key `<<` needs a mapping or a list of mappings",
                    ))
                }
            };
            for (k, v) in sources.into_iter().flatten() {
                if !entries.iter().any(|(e, _)| *e == k) {
                    entries.push((k, v));
                }
            }
        }
        Ok(Node::Map(entries))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Node, A::Error> {
        Err(de::Error::custom(
            "YAML tags (`!name value`) are not supported here; remove the tag",
        ))
    }
}

/// Walks to `path` and fails on its value so that `serde_yaml` reports the position.
#[derive(Clone, Copy)]
struct Find<'p> {
    path: &'p [Seg],
}

impl<'de> DeserializeSeed<'de> for Find<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            return d.deserialize_any(Fail);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Find<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            let found = matches!(self.path[0], Seg::Index(n) if n == i);
            let more = if found {
                seq.next_element_seed(Find {
                    path: &self.path[1..],
                })?
            } else {
                seq.next_element_seed(NodeSeed)?.map(|_| ())
            };
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let target = match &self.path[0] {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        };
        while let Some(key) = map.next_key_seed(NodeSeed)? {
            if target.is_some() && key.scalar_text().as_deref() == target {
                map.next_value_seed(Find {
                    path: &self.path[1..],
                })?;
            } else {
                map.next_value_seed(NodeSeed)?;
            }
        }
        Ok(())
    }
}

/// Fails on whatever value comes next.
struct Fail;

impl<'de> Visitor<'de> for Fail {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(FOUND)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "a: 1\nb:\n  c: x\n  d:\n    - p: 1\n    - q: 2\n      r: yes\ne: 0600\n";

    #[test]
    fn loads_scalars_as_serde_yaml_resolves_them() {
        let Node::Map(m) = load(DOC).unwrap() else {
            panic!("not a map")
        };
        assert_eq!(m[0], (Node::Str("a".into()), Node::Int(1)));
        assert_eq!(m[2], (Node::Str("e".into()), Node::Str("0600".into())));
        assert_eq!(load("").unwrap(), Node::Null);
    }

    #[test]
    fn finds_lines_of_keys_and_values() {
        let k = |s: &str| Seg::Key(s.into());
        assert_eq!(locate(DOC, &[k("a")], true), Some(1));
        assert_eq!(locate(DOC, &[k("b"), k("c")], true), Some(3));
        assert_eq!(
            locate(DOC, &[k("b"), k("d"), Seg::Index(1), k("r")], true),
            Some(7)
        );
        assert_eq!(
            locate(DOC, &[k("b"), k("d"), Seg::Index(1), k("r")], false),
            Some(7)
        );
        assert_eq!(locate(DOC, &[k("e")], false), Some(8));
        assert_eq!(locate(DOC, &[k("zz")], true), None);
        assert_eq!(locate(DOC, &[k("b")], true), Some(2));
        assert_eq!(locate(DOC, &[k("b"), k("d")], true), Some(4));
        assert_eq!(
            locate(DOC, &[k("b"), k("d"), Seg::Index(0)], false),
            Some(5)
        );
    }

    #[test]
    fn merge_keys_and_duplicates() {
        let doc = "base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\nk: 1\nk: 2\n";
        let Node::Map(m) = load(doc).unwrap() else {
            panic!("not a map")
        };
        let Node::Map(used) = &m[1].1 else {
            panic!("not a map")
        };
        assert!(used.contains(&(Node::Str("x".into()), Node::Int(1))));
        assert!(used.contains(&(Node::Str("y".into()), Node::Int(3))));
        assert_eq!(m[2], (Node::Str("k".into()), Node::Int(2)));
    }

    #[test]
    fn syntax_errors_carry_lines() {
        let e = load("a: [1\nb: 2\n").unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::Syntax);
        assert_eq!(e.line, Some(2));
        assert_eq!(
            path_string(&[Seg::Key("dbs".into()), Seg::Index(0), Seg::Key("x".into())]),
            "dbs[0].x"
        );
    }
}
