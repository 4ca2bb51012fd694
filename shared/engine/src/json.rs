//! JSON bodies read with the first error named by its field, the one rule every entry point
//! (webhook intake, queue messages, the attribution and admin APIs) answers bad input with.

use serde::de::DeserializeOwned;

/// What is wrong with a JSON body: the field (a dotted path such as `data.id` or `items[2].sku`,
/// or `body` for the document itself) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Deserializes a whole JSON document, naming the field of the first error:
/// - a missing key is named itself (`data.id`), not its parent object, with "is required";
/// - an unknown key (types with `deny_unknown_fields`) is named itself;
/// - a wrong type or value keeps serde's reason without its text position (the field says where);
/// - text that is not JSON, or has anything after the document, is `body`, with its position.
pub fn from_slice<T: DeserializeOwned>(text: &[u8]) -> Result<T, FieldError> {
    let de = &mut serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return FieldError { field: "body".into(), message: format!("not JSON: {inner}") };
        }
        let reason = inner.to_string();
        let reason = reason.split(" at line ").next().unwrap_or_default();
        let at = |key: &str| if path == "." { key.to_string() } else { format!("{path}.{key}") };
        // serde reports a missing key at its parent's path.
        if let Some(key) = reason.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            return FieldError { field: at(key), message: "is required".into() };
        }
        let field = if path == "." { "body".to_string() } else { path };
        if let Some(rest) = reason.strip_prefix("unknown field `") {
            // serde_path_to_error has already put the key on the path.
            let expected = rest.split_once("`, ").map_or("", |x| x.1);
            let message = if expected.is_empty() {
                "is not a known key".into()
            } else {
                format!("is not a known key ({expected})")
            };
            return FieldError { field, message };
        }
        FieldError { field, message: reason.into() }
    })?;
    de.end().map_err(|e| FieldError { field: "body".into(), message: format!("not JSON: {e}") })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        id: u64,
        data: Inner,
        #[serde(default)]
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        sku: String,
    }

    fn err(text: &str) -> (String, String) {
        let e = from_slice::<Outer>(text.as_bytes()).unwrap_err();
        (e.field, e.message)
    }

    #[test]
    fn names_the_field_of_the_first_error() {
        assert!(from_slice::<Outer>(br#"{"id":1,"data":{"sku":"A"}}"#).is_ok());
        assert_eq!(err(r#"{"data":{"sku":"A"}}"#), ("id".into(), "is required".into()));
        assert_eq!(err(r#"{"id":1,"data":{}}"#), ("data.sku".into(), "is required".into()));
        let (field, message) = err(r#"{"id":"1","data":{"sku":"A"}}"#);
        assert_eq!(field, "id");
        assert!(message.starts_with("invalid type: string \"1\", expected u64"), "{message}");
        assert!(!message.contains("line"), "{message}");
        let (field, message) = err(r#"{"id":1,"data":{"sku":"A"},"items":[{"sku":"B"},{"sku":2}]}"#);
        assert_eq!(field, "items[1].sku");
        assert!(message.starts_with("invalid type: integer"), "{message}");
        let (field, message) = err(r#"{"id":1,"data":{"sku":"A","skew":1}}"#);
        assert_eq!(field, "data.skew");
        assert!(message.starts_with("is not a known key (expected `sku`"), "{message}");
        assert_eq!(err(r#""text""#).0, "body");
    }

    #[test]
    fn text_that_is_not_one_json_document_is_the_body() {
        let (field, message) = err("{not json");
        assert_eq!(field, "body");
        assert!(message.starts_with("not JSON: key must be a string at line 1 column 2"), "{message}");
        assert_eq!(err(r#"{"id":1,"data":{"sku":"A"}} trailing"#).0, "body");
        assert_eq!(err("").0, "body");
    }
}
