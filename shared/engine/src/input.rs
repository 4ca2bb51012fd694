//! Reading plan and scenario text (YAML or JSON) into typed values, with errors that name the
//! record and field (`orders[3].lines[0].quantity: must be an integer ≥ 1`).
//!
//! Numbers must be read from their source text as decimals (spec §1), so nothing here ever goes
//! through `f64`: YAML is converted to JSON text with every scalar's source text kept, and JSON is
//! read with `serde_json`'s `RawValue`, which hands over a number's text untouched. Shape errors
//! (types, unknown keys, missing keys) come from serde with their path; value errors (ranges,
//! references) are checked afterwards by code that knows the path it is looking at.

use crate::error::{InputError, InputErrors};
use rust_decimal::Decimal;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt::{self, Write as _};
use std::str::FromStr;
use yaml_rust2::{Yaml, YamlLoader};

/// Which syntax a text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    /// From a file name: `.json` is JSON, anything else YAML (a superset of JSON).
    pub fn from_path(path: &str) -> Format {
        if path.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

/// Parses `text` into `T`, reporting the path of the first shape error.
pub fn parse<T: DeserializeOwned>(text: &str, format: Format, prefix: &str) -> Result<T, InputErrors> {
    let json;
    let source = match format {
        Format::Json => text,
        Format::Yaml => {
            json = yaml_to_json(text).map_err(|m| InputErrors::one(prefix_path(prefix, ""), m))?;
            &json
        }
    };
    let mut de = serde_json::Deserializer::from_str(source);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let mut message = e.inner().to_string();
        if format == Format::Yaml {
            // Positions refer to the intermediate JSON text, not to the user's file.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
        }
        InputErrors::one_at(prefix, &path, message)
    })?;
    de.end().map_err(|e| InputErrors::one(prefix_path(prefix, ""), e.to_string()))?;
    Ok(value)
}

fn prefix_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}.{path}"),
    }
}

impl InputErrors {
    /// A serde error at `path`, rewritten so that the path names the offending key.
    fn one_at(prefix: &str, path: &str, message: String) -> InputErrors {
        if let Some(rest) = message.strip_prefix("missing field `") {
            let key = rest.split('`').next().unwrap_or_default();
            let full = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
            return InputErrors::one(prefix_path(prefix, &full), "is required".into());
        }
        if message.starts_with("unknown field `") {
            // serde_path_to_error already appended the key to the path.
            let detail = message.split_once(", ").map(|x| x.1).unwrap_or("");
            let msg = if detail.is_empty() { "unknown key".to_string() } else { format!("unknown key ({detail})") };
            return InputErrors::one(prefix_path(prefix, path), msg);
        }
        InputErrors::one(prefix_path(prefix, path), message)
    }
}

/// Converts a YAML document to JSON text, keeping every number's source text.
pub fn yaml_to_json(text: &str) -> Result<String, String> {
    yaml_bounded(text)?;
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    if docs.len() > 1 {
        return Err("expected one YAML document".into());
    }
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    match docs.first() {
        None => out.push_str("null"),
        Some(doc) => write_json(doc, &mut out)?,
    }
    Ok(out)
}

/// Nodes a YAML document may expand to, aliases counted at their full size (an alias bomb of a
/// few hundred bytes would otherwise expand to gigabytes when loaded).
pub const MAX_YAML_NODES: u64 = 200_000;
/// How deeply YAML collections may nest.
pub const MAX_YAML_DEPTH: usize = 64;

/// Walks the document's events (no tree is built, aliases are not expanded) and refuses one whose
/// expansion or nesting passes the limits, naming the limit.
fn yaml_bounded(text: &str) -> Result<(), String> {
    use yaml_rust2::parser::{Event, Parser};
    // Open collections: (anchor id, expanded size so far).
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut anchors: std::collections::HashMap<usize, u64> = std::collections::HashMap::new();
    let mut total: u64 = 0;
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, _) = parser.next_token().map_err(|e| format!("invalid YAML: {e}"))?;
        let leaf = match event {
            Event::StreamEnd => return Ok(()),
            Event::Scalar(_, _, anchor, _) => Some((anchor, 1)),
            Event::Alias(id) => Some((0, anchors.get(&id).copied().unwrap_or(1))),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, 1));
                if open.len() > MAX_YAML_DEPTH {
                    return Err(format!("YAML nested deeper than the limit of {MAX_YAML_DEPTH} levels"));
                }
                None
            }
            Event::SequenceEnd | Event::MappingEnd => open.pop(),
            _ => None,
        };
        if let Some((anchor, size)) = leaf {
            if anchor > 0 {
                anchors.insert(anchor, size);
            }
            if let Some(parent) = open.last_mut() {
                parent.1 = parent.1.saturating_add(size);
            }
            total = total.saturating_add(if matches!(event, Event::Alias(_)) { size } else { 1 });
            if total > MAX_YAML_NODES {
                return Err(format!(
                    "YAML expands to more than the limit of {MAX_YAML_NODES} nodes (aliases counted at their full size)"
                ));
            }
        }
    }
}

fn is_json_number(s: &str) -> bool {
    serde_json::from_str::<serde_json::Number>(s).is_ok()
}

fn write_json(y: &Yaml, out: &mut String) -> Result<(), String> {
    match y {
        Yaml::Null => out.push_str("null"),
        Yaml::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Yaml::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        // A YAML float that is not JSON number syntax (`.5`, `.inf`) travels as a string, so
        // the decimal reader still sees its text and can say what is wrong with it.
        Yaml::Real(s) if is_json_number(s) => out.push_str(s),
        Yaml::Real(s) | Yaml::String(s) => out.push_str(&serde_json::to_string(s).expect("string")),
        Yaml::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Yaml::Hash(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let key = match k {
                    Yaml::String(s) | Yaml::Real(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => return Err(format!("unsupported YAML mapping key {other:?}")),
                };
                out.push_str(&serde_json::to_string(&key).expect("string"));
                out.push(':');
                write_json(v, out)?;
            }
            out.push('}');
        }
        Yaml::Alias(_) => return Err("unresolved YAML alias".into()),
        Yaml::BadValue => return Err("invalid YAML value".into()),
    }
    Ok(())
}

/// A number (or a string holding one) exactly as written in the source.
#[derive(Debug)]
pub struct Num(Box<RawValue>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(Num)
    }
}

/// `Some(None)` for a key present as `null`, `None` for an absent key (with `#[serde(default)]`).
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A raw value that is `Some` whenever the key is present, even when it is `null`.
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

/// How a [`Num`] was written.
pub enum NumText {
    /// A JSON/YAML number, by its text.
    Number(String),
    /// A string, by its content.
    Str(String),
    /// Anything else (`true`, `null`, a list…).
    Other,
}

impl Num {
    pub fn text(&self) -> NumText {
        let raw = self.0.get();
        match raw.as_bytes().first() {
            Some(b'"') => NumText::Str(serde_json::from_str(raw).unwrap_or_default()),
            Some(b'-' | b'0'..=b'9') => NumText::Number(raw.to_string()),
            _ => NumText::Other,
        }
    }

    /// The exact decimal value, whether written as a number or a string.
    pub fn decimal(&self) -> Result<Decimal, String> {
        let s = match self.text() {
            NumText::Number(s) | NumText::Str(s) => s,
            NumText::Other => return Err(format!("must be a number, not {}", self.0.get())),
        };
        parse_decimal(&s).ok_or_else(|| format!("{s:?} is not a decimal number"))
    }

    /// An integer value (`2` or `"2"`; `2.5` is not one).
    pub fn integer(&self) -> Result<i64, String> {
        let d = self.decimal()?;
        if d.fract() != Decimal::ZERO {
            return Err(format!("must be an integer, not {}", d.normalize()));
        }
        i64::try_from(d.trunc()).map_err(|_| "integer out of range".to_string())
    }

    /// A JSON integer written as a number (order ids: a string is not accepted).
    pub fn json_integer(&self) -> Result<i64, String> {
        match self.text() {
            NumText::Number(s) if s.bytes().skip(usize::from(s.starts_with('-'))).all(|b| b.is_ascii_digit()) => {
                s.parse().map_err(|_| "integer out of range".to_string())
            }
            _ => Err(format!("must be a JSON integer, not {}", self.0.get())),
        }
    }
}

fn parse_decimal(s: &str) -> Option<Decimal> {
    let plain = s.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
    if plain && !s.is_empty() {
        Decimal::from_str(s).ok()
    } else if s.contains(['e', 'E']) {
        Decimal::from_scientific(s).ok()
    } else {
        None
    }
}

/// A string id; anything else is rejected with a message that says so.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string id")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id(v))
            }
        }
        d.deserialize_string(V)
    }
}

/// Collects value errors with their paths.
#[derive(Default)]
pub struct Checker {
    pub errors: Vec<InputError>,
}

impl Checker {
    pub fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(InputError { path: path.into(), message: message.into() });
    }

    pub fn decimal(&mut self, n: &Num, path: impl FnOnce() -> String) -> Option<Decimal> {
        n.decimal().map_err(|m| self.err(path(), m)).ok()
    }

    /// A decimal in `[lo, hi]` (either bound optional).
    pub fn bounded(
        &mut self,
        n: &Num,
        lo: Option<Decimal>,
        hi: Option<Decimal>,
        path: impl FnOnce() -> String,
    ) -> Option<Decimal> {
        let p = path();
        let v = self.decimal(n, || p.clone())?;
        let ok = lo.is_none_or(|lo| v >= lo) && hi.is_none_or(|hi| v <= hi);
        if ok {
            return Some(v);
        }
        let msg = match (lo, hi) {
            (Some(lo), Some(hi)) => format!("must be between {lo} and {hi}, not {v}"),
            (Some(lo), None) if lo.is_zero() => format!("must not be negative, not {v}"),
            (Some(lo), None) => format!("must be at least {lo}, not {v}"),
            (None, Some(hi)) => format!("must be at most {hi}, not {v}"),
            (None, None) => unreachable!(),
        };
        self.err(p, msg);
        None
    }

    /// An integer ≥ `min`.
    pub fn integer(&mut self, n: &Num, min: i64, path: impl FnOnce() -> String) -> Option<i64> {
        match n.integer() {
            Ok(v) if v >= min => Some(v),
            Ok(_) | Err(_) => {
                self.err(path(), format!("must be an integer ≥ {min}"));
                None
            }
        }
    }

    pub fn finish<T>(self, value: T) -> Result<T, InputErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(InputErrors(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Line {
        #[allow(dead_code)]
        sku: Id,
        price: Num,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        lines: Vec<Line>,
    }

    #[test]
    fn yaml_alias_bombs_and_deep_nesting_are_refused_naming_the_limit() {
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n\
                    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
        let e = yaml_to_json(bomb).unwrap_err();
        assert!(e.contains("limit of 200000 nodes"), "{e}");
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = yaml_to_json(&deep).unwrap_err();
        // The scanner's own recursion limit or ours, whichever comes first: refused either way.
        assert!(e.contains("limit"), "{e}");
        let block: String = (0..100).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert_eq!(yaml_to_json(&block).unwrap_err(), "YAML nested deeper than the limit of 64 levels");
        // A small alias is fine.
        assert_eq!(yaml_to_json("a: &x {k: 1}\nb: *x\n").unwrap(), r#"{"a":{"k":1},"b":{"k":1}}"#);
    }

    #[test]
    fn yaml_numbers_keep_their_text() {
        let d: Doc =
            parse("lines:\n  - { sku: A, price: 0.10 }\n  - { sku: B, price: '3' }\n", Format::Yaml, "").unwrap();
        assert_eq!(d.lines[0].price.decimal().unwrap().to_string(), "0.10");
        assert_eq!(d.lines[1].price.decimal().unwrap().to_string(), "3");
    }

    #[test]
    fn json_numbers_keep_every_digit() {
        let d: Doc = parse(r#"{"lines":[{"sku":"A","price":0.1000000000000000000001}]}"#, Format::Json, "").unwrap();
        assert_eq!(d.lines[0].price.decimal().unwrap().to_string(), "0.1000000000000000000001");
    }

    #[test]
    fn shape_errors_name_the_key() {
        let e = parse::<Doc>("lines:\n  - { sku: A, price: 1, colour: red }\n", Format::Yaml, "").unwrap_err();
        assert_eq!(e.0[0].path, "lines[0].colour");
        assert!(e.0[0].message.starts_with("unknown key"), "{}", e.0[0].message);
        let e = parse::<Doc>("lines:\n  - { sku: A }\n", Format::Yaml, "plan").unwrap_err();
        assert_eq!(e.0[0].path, "plan.lines[0].price");
        assert_eq!(e.0[0].message, "is required");
        let e = parse::<Doc>(r#"{"lines":[{"sku":5,"price":1}]}"#, Format::Json, "").unwrap_err();
        assert_eq!(e.0[0].path, "lines[0].sku");
        assert!(e.0[0].message.contains("a string id"));
    }

    #[test]
    fn integers_and_json_integers() {
        let d: Doc = parse(r#"{"lines":[{"sku":"A","price":"7"}]}"#, Format::Json, "").unwrap();
        assert_eq!(d.lines[0].price.integer().unwrap(), 7);
        assert!(d.lines[0].price.json_integer().is_err());
        let d: Doc = parse(r#"{"lines":[{"sku":"A","price":7}]}"#, Format::Json, "").unwrap();
        assert_eq!(d.lines[0].price.json_integer().unwrap(), 7);
        let d: Doc = parse(r#"{"lines":[{"sku":"A","price":7.5}]}"#, Format::Json, "").unwrap();
        assert!(d.lines[0].price.integer().is_err());
        assert!(d.lines[0].price.json_integer().is_err());
    }
}
