//! `GET /signin/config`: where the page signs in. In AWS, Cognito's managed login (the user pool
//! domain and the app client of `template.yaml`): the page runs the authorization code flow with
//! PKCE against it, refreshes the ID token with the refresh token, and signs out through its
//! `/logout`. The managed login itself asks a new user for a new password in place of the
//! temporary one. Without a managed login (`mlm serve` by default) the page takes a pasted
//! development token (`mlm token`).

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// A managed login: its base URL (`https://<prefix>.auth.<region>.amazoncognito.com`, or a
/// local stand-in) and the app client the page signs in as (public: no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedLogin {
    pub domain: String,
    pub client_id: String,
}

impl ManagedLogin {
    /// From `MLM_SIGNIN_DOMAIN` and `MLM_SIGNIN_CLIENT_ID` (both, or neither).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<ManagedLogin>, String> {
        let set = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        match (set("MLM_SIGNIN_DOMAIN"), set("MLM_SIGNIN_CLIENT_ID")) {
            (Some(domain), Some(client_id)) => {
                Ok(Some(ManagedLogin { domain: domain.trim_end_matches('/').to_string(), client_id }))
            }
            (None, None) => Ok(None),
            _ => Err("MLM_SIGNIN_DOMAIN and MLM_SIGNIN_CLIENT_ID go together: set both or neither".into()),
        }
    }

    fn config(&self) -> Value {
        json!({
            "authorize": format!("{}/oauth2/authorize", self.domain),
            "token": format!("{}/oauth2/token", self.domain),
            "logout": format!("{}/logout", self.domain),
            "client_id": self.client_id,
            "scope": "openid email profile",
        })
    }
}

/// The public route telling the page how to sign in.
pub fn signin_router(login: Option<ManagedLogin>) -> Router {
    let config = json!({ "managed_login": login.as_ref().map(ManagedLogin::config) });
    Router::new().route("/signin/config", get(move || async move { Json(config) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_and_client_come_together() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(ManagedLogin::from_env(env(&[])).unwrap(), None);
        let l = ManagedLogin::from_env(env(&[
            ("MLM_SIGNIN_DOMAIN", "https://x.auth.us-east-1.amazoncognito.com/"),
            ("MLM_SIGNIN_CLIENT_ID", "abc"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(l.config()["token"], "https://x.auth.us-east-1.amazoncognito.com/oauth2/token");
        assert!(ManagedLogin::from_env(env(&[("MLM_SIGNIN_CLIENT_ID", "abc")])).unwrap_err().contains("both"));
    }
}
