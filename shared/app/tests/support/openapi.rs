//! The API's contract (`shared/app/openapi.yaml`) as the integration tests hold responses to it:
//! [`check`] panics, naming what is wrong, unless a response's method, concrete path, status and
//! JSON body are what the contract documents; [`check_text`] does the same for CSV, HTML and YAML
//! answers (path, status and content type; the body is not checked).
//!
//! The spec is parsed once; schemas are JSON Schema 2020-12 (OpenAPI 3.1) with `$ref`s into
//! `#/components`, validated with formats (`date-time`) checked.
#![allow(dead_code)] // Each test binary uses what it needs.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The contract's text, as the binary serves it at `GET /openapi.yaml`.
pub const SPEC_TEXT: &str = include_str!("../../openapi.yaml");

/// The methods an OpenAPI path item may hold.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The parsed contract.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let docs = yaml_rust2::YamlLoader::load_from_str(SPEC_TEXT)
            .unwrap_or_else(|e| panic!("shared/app/openapi.yaml is not YAML: {e}"));
        let [doc] = docs.as_slice() else { panic!("shared/app/openapi.yaml holds {} documents, not one", docs.len()) };
        yaml_to_json(doc, "")
    })
}

/// A YAML document as JSON: mapping keys become strings (`200:` is `"200"`), and anything JSON
/// cannot say (aliases, non-finite floats) is refused.
pub fn yaml_to_json(y: &yaml_rust2::Yaml, at: &str) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| panic!("openapi.yaml {at}: {r} is not a JSON number")),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(items) => {
            Value::Array(items.iter().enumerate().map(|(i, v)| yaml_to_json(v, &format!("{at}/{i}"))).collect())
        }
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) | Yaml::Real(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => panic!("openapi.yaml {at}: unsupported mapping key {other:?}"),
                };
                let v = yaml_to_json(v, &format!("{at}/{key}"));
                if m.insert(key.clone(), v).is_some() {
                    panic!("openapi.yaml {at}: duplicate key {key:?}");
                }
            }
            Value::Object(m)
        }
        Yaml::Alias(_) | Yaml::BadValue => panic!("openapi.yaml {at}: aliases are not supported"),
    }
}

/// The value `reference` (`#/components/...`) points at in the spec.
pub fn resolve_ref(reference: &str) -> &'static Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("openapi.yaml: only local $refs are supported, not {reference:?}"));
    spec().pointer(pointer).unwrap_or_else(|| panic!("openapi.yaml: $ref {reference:?} points at nothing"))
}

/// `v`, or what its `$ref` (followed transitively) points at.
fn deref(mut v: &'static Value) -> &'static Value {
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => v = resolve_ref(r),
            None => return v,
        }
    }
    panic!("openapi.yaml: $ref chain too long (a cycle?)")
}

/// Every documented operation: `(METHOD, path template)`.
pub fn operations() -> Vec<(String, String)> {
    let paths = spec()["paths"].as_object().expect("openapi.yaml has `paths`");
    let mut out = Vec::new();
    for (template, item) in paths {
        for m in METHODS {
            if item.get(m).is_some() {
                out.push((m.to_uppercase(), template.clone()));
            }
        }
    }
    out
}

/// Does concrete `path` fit `template`? Returns how many segments matched literally.
fn fits(template: &str, path: &str) -> Option<usize> {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut literal = 0;
    for (t, p) in t.iter().zip(&p) {
        if t.starts_with('{') && t.ends_with('}') {
            if p.is_empty() {
                return None;
            }
        } else if t == p {
            literal += 1;
        } else {
            return None;
        }
    }
    Some(literal)
}

/// The operation of `method` on concrete `path` (query and fragment ignored), and its template.
/// Literal segments win over templated ones, as OpenAPI says.
pub fn operation(method: &str, path: &str) -> (&'static str, &'static Value) {
    let bare = path.split(['?', '#']).next().unwrap_or_default();
    let paths = spec()["paths"].as_object().expect("openapi.yaml has `paths`");
    let mut matches: Vec<(usize, &'static str, &'static Value)> =
        paths.iter().filter_map(|(t, item)| fits(t, bare).map(|n| (n, t.as_str(), item))).collect();
    matches.sort_by_key(|m| std::cmp::Reverse(m.0));
    let Some(&(_, template, item)) = matches.first() else {
        panic!("OpenAPI: {method} {path}: the path matches no path of openapi.yaml")
    };
    let m = method.to_lowercase();
    let op = item.get(&m).unwrap_or_else(|| {
        let documented: Vec<String> =
            METHODS.iter().filter(|x| item.get(**x).is_some()).map(|x| x.to_uppercase()).collect();
        panic!("OpenAPI: {method} {path}: {template} documents {documented:?}, not {}", m.to_uppercase())
    });
    (template, op)
}

/// The documented response of `status` (exact, else `4XX`-style, else `default`), `$ref`s resolved.
fn response(method: &str, path: &str, status: u16) -> (&'static str, &'static Value) {
    let (template, op) = operation(method, path);
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("OpenAPI: {method} {template} documents no responses"));
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    let r = responses.get(&exact).or_else(|| responses.get(&range)).or_else(|| responses.get("default"));
    let Some(r) = r else {
        let documented: Vec<&String> = responses.keys().collect();
        panic!("OpenAPI: {method} {path} answered {status}, which {template} does not document (it documents {documented:?})")
    };
    (template, deref(r))
}

fn media_type(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// The documented content of `media` in `response`, matching `type/*` and `*/*` keys too.
fn content<'a>(response: &'a Value, media: &str) -> Option<&'a Value> {
    let content = response.get("content")?.as_object()?;
    let wildcard = format!("{}/*", media.split('/').next().unwrap_or_default());
    content
        .iter()
        .find(|(k, _)| media_type(k) == media)
        .or_else(|| content.iter().find(|(k, _)| k.as_str() == wildcard || k.as_str() == "*/*"))
        .map(|(_, v)| v)
}

fn documented_types(response: &Value) -> Vec<String> {
    response.get("content").and_then(Value::as_object).map(|c| c.keys().cloned().collect()).unwrap_or_default()
}

/// A validator of `schema` (a schema of the spec, compiled once, with `#/components/...`
/// resolvable from it).
fn validator(key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(key) {
        return v.clone();
    }
    let v = Arc::new(compile(schema).unwrap_or_else(|e| panic!("OpenAPI: the schema of {key} does not compile: {e}")));
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key.to_string(), v.clone());
    v
}

/// Compiles a schema of the spec: the spec's `components` ride along, so local `$ref`s resolve.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    let root = match schema {
        Value::Object(m) => {
            let mut m = m.clone();
            if let Some(c) = spec().get("components") {
                m.entry("components").or_insert_with(|| c.clone());
            }
            Value::Object(m)
        }
        other => other.clone(),
    };
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| e.to_string())
}

/// Panics unless `method path` answering `status` with JSON `body` is what openapi.yaml says:
/// the path fits a documented path template for that method, the status is documented for that
/// operation, and `body` validates against the response's `application/json` schema.
pub fn check(method: &str, path: &str, status: u16, body: &Value) {
    let (template, r) = response(method, path, status);
    let Some(schema) = content(r, "application/json").and_then(|c| c.get("schema")) else {
        panic!(
            "OpenAPI: {method} {path} answered {status} with JSON, but {template} documents {:?} for it",
            documented_types(r)
        )
    };
    let key = format!("{} {template} {status} application/json", method.to_uppercase());
    let v = validator(&key, schema);
    let errors: Vec<String> =
        v.iter_errors(body).map(|e| format!("  at {:?}: {e}", e.instance_path().to_string())).collect();
    if !errors.is_empty() {
        let mut shown = serde_json::to_string_pretty(body).unwrap_or_default();
        if shown.len() > 4000 {
            let mut cut = 4000;
            while !shown.is_char_boundary(cut) {
                cut -= 1;
            }
            shown.truncate(cut);
            shown.push_str("\n…");
        }
        panic!(
            "OpenAPI: {method} {path} answered {status} with a body that does not match {key}:\n{}\nbody: {shown}",
            errors.join("\n")
        );
    }
}

/// Panics unless `method path` answering `status` with `content_type` (parameters such as
/// `charset` ignored) is documented; for CSV, HTML, YAML and plain-text answers.
pub fn check_text(method: &str, path: &str, status: u16, content_type: &str) {
    let (template, r) = response(method, path, status);
    let media = media_type(content_type);
    if content(r, &media).is_none() {
        panic!(
            "OpenAPI: {method} {path} answered {status} as {content_type:?}, but {template} documents {:?} for it",
            documented_types(r)
        );
    }
}

/// [`check`] or [`check_text`] by the answer's `Content-Type`: a JSON answer's body is parsed
/// and validated.
pub fn check_bytes(method: &str, path: &str, status: u16, content_type: &str, body: &[u8]) {
    let media = media_type(content_type);
    if media == "application/json" || media.ends_with("+json") {
        let v: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
            panic!("OpenAPI: {method} {path} answered {status} as {content_type:?} with a body that is not JSON: {e}")
        });
        check(method, path, status, &v);
    } else {
        check_text(method, path, status, content_type);
    }
}
