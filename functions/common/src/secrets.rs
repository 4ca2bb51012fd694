//! The BigCommerce app's credentials: from the Secrets Manager secret named by `MLM_SECRET_ID`
//! (JSON `{"client_secret": ..., "access_token": ...}`), each overridden by its environment
//! variable when set, so local runs and tests need no secret at all.

use crate::config::{optional, ConfigError, Lookup, ACCESS_TOKEN, CLIENT_SECRET, SECRET_ID};
use aws_sdk_secretsmanager::error::DisplayErrorContext;

/// One of the secret's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// Keys the webhook signatures (the intake).
    ClientSecret,
    /// `X-Auth-Token` for the REST API (the workers, the dashboard API).
    AccessToken,
}

impl Credential {
    /// The variable that overrides it.
    pub fn var(self) -> &'static str {
        match self {
            Credential::ClientSecret => CLIENT_SECRET,
            Credential::AccessToken => ACCESS_TOKEN,
        }
    }

    /// Its key in the secret's JSON.
    pub fn key(self) -> &'static str {
        match self {
            Credential::ClientSecret => "client_secret",
            Credential::AccessToken => "access_token",
        }
    }
}

/// The credential: its override, else the secret's field (read from Secrets Manager with the
/// usual AWS configuration; `AWS_ENDPOINT_URL_SECRETS_MANAGER` points it at an emulator).
pub async fn credential(lookup: Lookup<'_>, c: Credential) -> Result<String, ConfigError> {
    if let Some(v) = optional(lookup, c.var()) {
        return Ok(v);
    }
    let id = optional(lookup, SECRET_ID).ok_or_else(|| ConfigError::Invalid {
        var: SECRET_ID,
        reason: format!("is not set, and neither is {} (one of them must be)", c.var()),
    })?;
    let config = crate::aws().await;
    let out = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(&id)
        .send()
        .await
        .map_err(|e| ConfigError::Secret { id: id.clone(), reason: DisplayErrorContext(e).to_string() })?;
    let text = out.secret_string().ok_or_else(|| ConfigError::Secret {
        id: id.clone(),
        reason: "has no SecretString (binary secrets are not supported)".into(),
    })?;
    field(&id, text, c)
}

/// A field of the secret's JSON. Errors never quote the secret.
pub fn field(id: &str, text: &str, c: Credential) -> Result<String, ConfigError> {
    let err = |reason: String| ConfigError::Secret { id: id.to_string(), reason };
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| err(r#"is not JSON; expected {"client_secret": "...", "access_token": "..."}"#.into()))?;
    match v.get(c.key()).and_then(|f| f.as_str()).map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(err(format!("has no {:?} string (set it there, or set {})", c.key(), c.var()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_the_secret_and_errors_that_do_not_leak_it() {
        let text = r#"{"client_secret": "cs-1", "access_token": " tok-1 "}"#;
        assert_eq!(field("mlm/bc", text, Credential::ClientSecret).unwrap(), "cs-1");
        assert_eq!(field("mlm/bc", text, Credential::AccessToken).unwrap(), "tok-1");
        let e = field("mlm/bc", r#"{"client_secret": "cs-1", "access_token": ""}"#, Credential::AccessToken);
        assert_eq!(
            e.unwrap_err().to_string(),
            "secret \"mlm/bc\" (MLM_SECRET_ID): has no \"access_token\" string (set it there, or set \
             BIGCOMMERCE_ACCESS_TOKEN)"
        );
        let e = field("mlm/bc", "cs-1-not-json", Credential::ClientSecret).unwrap_err().to_string();
        assert!(e.contains("is not JSON") && !e.contains("cs-1"), "{e}");
    }

    #[tokio::test]
    async fn an_override_needs_no_secret_and_neither_is_an_error_naming_both() {
        let env = |k: &str| (k == ACCESS_TOKEN).then(|| "tok-env".to_string());
        assert_eq!(credential(&env, Credential::AccessToken).await.unwrap(), "tok-env");
        let e = credential(&env, Credential::ClientSecret).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "MLM_SECRET_ID: is not set, and neither is BIGCOMMERCE_CLIENT_SECRET (one of them must be)"
        );
    }
}
