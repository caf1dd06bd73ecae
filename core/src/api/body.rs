//! JSON request bodies decoded the way Litestream's handlers do it with Go's
//! `json.NewDecoder(r.Body).Decode(&req)`: only the first JSON value is read (trailing
//! bytes are ignored), `null` is an empty request, keys match field names
//! case-insensitively with the last occurrence winning, unknown keys are ignored, and a
//! JSON `null` leaves a field unset. Every failure is a 400
//! `{"error":"invalid request body","details":…}` with Go's decoder wording where
//! practical (`EOF` for an empty body).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::Response;

/// The top-level JSON value of a body.
enum Top {
    /// An object: its members in document order.
    Object(Vec<(String, Value)>),
    /// `null`.
    Null,
    /// Anything else, by Go's kind name (`array`, `string`, `number`, `bool`).
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Top, D::Error> {
        d.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            members.push((k, v));
        }
        Ok(Top::Object(members))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Top::Other("array"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Top, E> {
        Ok(Top::Other("string"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Top, E> {
        Ok(Top::Other("bool"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Top, E> {
        Ok(Top::Other("number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Top, E> {
        Ok(Top::Other("number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Top, E> {
        Ok(Top::Other("number"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Top, E> {
        Ok(Top::Null)
    }
}

/// The members of a decoded request object, with typed getters that fail like Go.
#[derive(Debug)]
pub struct Fields {
    ty: &'static str,
    members: Vec<(String, Value)>,
}

fn invalid(details: impl Into<String>) -> Response {
    Response::error_details(400, "invalid request body", details)
}

/// Decode a body into its members. `ty` is the Go request type named in type errors.
pub fn decode(body: &[u8], ty: &'static str) -> Result<Fields, Response> {
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<Top>();
    let members = match values.next() {
        None => return Err(invalid("EOF")),
        Some(Err(e)) => return Err(invalid(go_syntax_error(&e, body))),
        Some(Ok(Top::Null)) => Vec::new(),
        Some(Ok(Top::Other(kind))) => {
            return Err(invalid(format!(
                "json: cannot unmarshal {kind} into Go value of type litestream.{ty}"
            )))
        }
        Some(Ok(Top::Object(m))) => m,
    };
    Ok(Fields { ty, members })
}

impl Fields {
    /// The value of field `name` (case-insensitive, last wins); `null` counts as absent.
    fn get(&self, name: &str) -> Option<&Value> {
        self.members
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    fn type_error(&self, name: &str, value: &Value, go_type: &str) -> Response {
        let kind = match value {
            Value::Bool(_) => "bool".to_string(),
            Value::Number(n) if go_type == "int" => format!("number {n}"),
            Value::Number(_) => "number".to_string(),
            Value::String(_) => "string".to_string(),
            Value::Array(_) => "array".to_string(),
            Value::Object(_) => "object".to_string(),
            Value::Null => "null".to_string(),
        };
        invalid(format!(
            "json: cannot unmarshal {kind} into Go struct field {}.{name} of type {go_type}",
            self.ty
        ))
    }

    /// A string field.
    pub fn string(&self, name: &str) -> Result<Option<String>, Response> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.type_error(name, v, "string")),
        }
    }

    /// A bool field.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, Response> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.type_error(name, v, "bool")),
        }
    }

    /// An integer field (Go `int`: 64-bit, may be negative).
    pub fn int(&self, name: &str) -> Result<Option<i64>, Response> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                None => Err(self.type_error(name, &Value::Number(n.clone()), "int")),
            },
            Some(v) => Err(self.type_error(name, v, "int")),
        }
    }
}

/// Go's wording for a syntax error, as far as serde_json's error allows.
fn go_syntax_error(e: &serde_json::Error, body: &[u8]) -> String {
    if e.is_eof() {
        return "unexpected EOF".into();
    }
    let msg = e.to_string();
    let what = msg.split(" at line ").next().unwrap_or(&msg);
    let context = match what {
        "expected value" | "expected ident" => "looking for beginning of value",
        "key must be a string" => "looking for beginning of object key string",
        "expected `:`" => "after object key",
        "expected `,` or `}`" => "after object key:value pair",
        "expected `,` or `]`" => "after array element",
        "invalid number" | "invalid escape" | "trailing comma" => what,
        "control character (\\u0000-\\u001F) found while parsing a string" => "in string literal",
        _ => return format!("{what} (offset {})", offset(e, body)),
    };
    let at = offset(e, body);
    match body.get(at.saturating_sub(1)) {
        Some(&c) if c.is_ascii_graphic() || c == b' ' => {
            format!("invalid character '{}' {context}", c as char)
        }
        Some(&c) => format!("invalid character {c:#04x} {context}"),
        None => format!("invalid character {context}"),
    }
}

/// Byte offset just after the error position (serde_json counts 1-based columns).
fn offset(e: &serde_json::Error, body: &[u8]) -> usize {
    let mut line = 1;
    let mut start = 0;
    for (i, b) in body.iter().enumerate() {
        if line == e.line() {
            break;
        }
        if *b == b'\n' {
            line += 1;
            start = i + 1;
        }
    }
    (start + e.column()).min(body.len())
}
