//! Who is asking. In AWS, API Gateway's JWT authorizer has verified the Cognito ID token before
//! the function runs and hands over its claims; locally, `mlm serve` verifies development tokens
//! signed with its own key (HS256). Either way the API then enforces what the identity may see:
//! a distributor its own records, an admin everything.
//!
//! HS256 is written out here (HMAC-SHA256 over `header.payload`, compared in constant time)
//! rather than pulled from a JWT crate: it is the only algorithm the local host accepts, and the
//! Lambda binaries stay free of a second crypto stack.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::path::Path;
use subtle::ConstantTimeEq;

/// The claim naming the distributor (a Cognito custom attribute on the ID token).
pub const DISTRIBUTOR_CLAIM: &str = "custom:distributor_id";
/// The claim listing the user's Cognito groups.
pub const GROUPS_CLAIM: &str = "cognito:groups";
/// The group whose members may use the admin routes.
pub const ADMIN_GROUP: &str = "admin";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub subject: String,
    pub distributor: Option<String>,
    pub admin: bool,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Why a request is refused: 401 (who are you?) or 403 (not yours).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
}

/// The claims API Gateway's JWT authorizer passes on (`requestContext.authorizer.jwt.claims`),
/// placed in the request's extensions by the Lambda adapter.
#[derive(Debug, Clone, Default)]
pub struct GatewayClaims(pub HashMap<String, String>);

/// How a host authenticates requests.
pub enum Auth {
    /// Tokens signed with this host's key (`mlm serve`, `mlm token`).
    Local(LocalKey),
    /// Claims verified by API Gateway (the Lambda function).
    Gateway,
}

impl Auth {
    /// The identity of a request from its `Authorization` header or gateway claims.
    pub fn identify(
        &self,
        authorization: Option<&str>,
        gateway: Option<&GatewayClaims>,
        now: i64,
    ) -> Result<Identity, Denied> {
        let claims = match self {
            Auth::Local(key) => {
                let header = authorization.ok_or_else(|| Denied::Unauthenticated("no bearer token: sign in".into()))?;
                let token = header
                    .strip_prefix("Bearer ")
                    .ok_or_else(|| Denied::Unauthenticated("Authorization must be `Bearer <token>`".into()))?;
                key.verify(token.trim())?
            }
            Auth::Gateway => {
                let claims = gateway.ok_or_else(|| {
                    Denied::Unauthenticated("no verified token claims (the route must use the JWT authorizer)".into())
                })?;
                Claims::from_gateway(&claims.0)?
            }
        };
        if claims.exp <= now {
            return Err(Denied::Unauthenticated("the token has expired: sign in again".into()));
        }
        if claims.token_use.as_deref().is_some_and(|u| u != "id") {
            return Err(Denied::Unauthenticated("an ID token is required (token_use must be \"id\")".into()));
        }
        Ok(Identity {
            admin: claims.groups.iter().any(|g| g == ADMIN_GROUP),
            distributor: claims.distributor_id.filter(|d| !d.is_empty()),
            subject: claims.sub,
            expires_at: claims.exp,
        })
    }
}

impl Identity {
    /// May this identity read distributor `id`'s records?
    pub fn may_read(&self, id: &str) -> Result<(), Denied> {
        if self.admin || self.distributor.as_deref() == Some(id) {
            Ok(())
        } else {
            Err(Denied::Forbidden(format!("{} may not read distributor {id}'s records", self.who())))
        }
    }

    pub fn must_be_admin(&self) -> Result<(), Denied> {
        if self.admin {
            Ok(())
        } else {
            Err(Denied::Forbidden(format!("{} is not in the {ADMIN_GROUP} group", self.who())))
        }
    }

    pub fn who(&self) -> String {
        match &self.distributor {
            Some(d) => format!("distributor {d}"),
            None => format!("user {}", self.subject),
        }
    }
}

/// The claims of a token, as both hosts read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(rename = "custom:distributor_id", default, skip_serializing_if = "Option::is_none")]
    pub distributor_id: Option<String>,
    #[serde(rename = "cognito:groups", default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_use: Option<String>,
}

impl Claims {
    /// API Gateway flattens claims to strings: numbers as text, arrays as `[a b]`.
    fn from_gateway(c: &HashMap<String, String>) -> Result<Claims, Denied> {
        let bad = |m: String| Denied::Unauthenticated(m);
        let exp = c
            .get("exp")
            .ok_or_else(|| bad("the token has no exp claim".into()))?
            .parse::<f64>()
            .map_err(|_| bad("the token's exp claim is not a number".into()))? as i64;
        let groups = c
            .get(GROUPS_CLAIM)
            .map(|g| {
                g.trim_matches(|ch| ch == '[' || ch == ']')
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Claims {
            sub: c.get("sub").cloned().unwrap_or_default(),
            distributor_id: c.get(DISTRIBUTOR_CLAIM).cloned(),
            groups,
            exp,
            iat: c.get("iat").and_then(|v| v.parse::<f64>().ok()).map_or(0, |v| v as i64),
            iss: c.get("iss").cloned(),
            token_use: c.get("token_use").cloned(),
        })
    }
}

/// The local host's signing key.
#[derive(Clone)]
pub struct LocalKey(Vec<u8>);

impl LocalKey {
    pub fn new(secret: &[u8]) -> LocalKey {
        LocalKey(secret.to_vec())
    }

    /// The key in `path` (hex), created with 32 random bytes if absent, readable by its owner only.
    pub fn load_or_create(path: &Path) -> std::io::Result<LocalKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = decode_hex(text.trim()).ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: not a hex key", path.display()))
                })?;
                Ok(LocalKey(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                getrandom(&mut bytes)?;
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut f) => std::io::Write::write_all(&mut f, format!("{hex}\n").as_bytes())?,
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return LocalKey::load_or_create(path),
                    Err(e) => return Err(e),
                }
                Ok(LocalKey(bytes.to_vec()))
            }
            Err(e) => Err(e),
        }
    }

    /// A signed token (JWS compact, HS256).
    pub fn sign(&self, claims: &Claims) -> String {
        let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signing = format!("{header}.{payload}");
        let sig = B64.encode(self.mac(signing.as_bytes()));
        format!("{signing}.{sig}")
    }

    /// The claims of a token this key signed (expiry is checked by the caller).
    pub fn verify(&self, token: &str) -> Result<Claims, Denied> {
        let bad = |m: &str| Denied::Unauthenticated(format!("invalid token: {m}"));
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad("not a JWT (three dot-separated parts)"));
        };
        #[derive(Deserialize)]
        struct Header {
            alg: String,
        }
        let header: Header =
            B64.decode(h).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(|| bad("unreadable header"))?;
        if header.alg != "HS256" {
            return Err(bad("only HS256 tokens from this host are accepted"));
        }
        let sig = B64.decode(s).map_err(|_| bad("unreadable signature"))?;
        let expected = self.mac(format!("{h}.{p}").as_bytes());
        if !bool::from(expected.as_slice().ct_eq(&sig)) {
            return Err(bad("the signature does not match this host's key"));
        }
        B64.decode(p).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(|| bad("unreadable claims"))
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }
}

/// Claims for a development token: a distributor's, or an admin's.
pub fn dev_claims(distributor: Option<&str>, admin: bool, now: i64, ttl_seconds: i64) -> Claims {
    Claims {
        sub: match distributor {
            Some(d) => format!("dev-{d}"),
            None => "dev-admin".into(),
        },
        distributor_id: distributor.map(str::to_string),
        groups: if admin { vec![ADMIN_GROUP.to_string()] } else { Vec::new() },
        exp: now + ttl_seconds,
        iat: now,
        iss: Some("mlm-serve".into()),
        token_use: Some("id".into()),
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.is_empty() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

fn getrandom(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_their_key_and_until_they_expire() {
        let key = LocalKey::new(b"k1");
        let t = key.sign(&dev_claims(Some("D12"), false, 1000, 60));
        let id = Auth::Local(key.clone()).identify(Some(&format!("Bearer {t}")), None, 1001).unwrap();
        assert_eq!((id.distributor.as_deref(), id.admin), (Some("D12"), false));
        let late = Auth::Local(key.clone()).identify(Some(&format!("Bearer {t}")), None, 1060).unwrap_err();
        assert!(late.to_string().contains("expired"), "{late}");
        let other = Auth::Local(LocalKey::new(b"k2")).identify(Some(&format!("Bearer {t}")), None, 1001).unwrap_err();
        assert!(other.to_string().contains("signature"), "{other}");
        // A token re-signed as `none`, or with its claims edited, is refused.
        let (_, rest) = t.split_once('.').unwrap();
        let none = format!("{}.{rest}", B64.encode(br#"{"alg":"none"}"#));
        assert!(key.verify(&none).unwrap_err().to_string().contains("HS256"));
        let parts: Vec<&str> = t.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            B64.encode(br#"{"sub":"x","custom:distributor_id":"D1","exp":9999,"iat":0}"#),
            parts[2]
        );
        assert!(key.verify(&forged).is_err());
    }

    #[test]
    fn gateway_claims_read_groups_and_expiry_as_api_gateway_flattens_them() {
        let claims = |exp: &str, groups: &str| {
            GatewayClaims(HashMap::from([
                ("sub".to_string(), "abc".to_string()),
                ("exp".to_string(), exp.to_string()),
                ("token_use".to_string(), "id".to_string()),
                (GROUPS_CLAIM.to_string(), groups.to_string()),
            ]))
        };
        let id = Auth::Gateway.identify(None, Some(&claims("2000", "[admin staff]")), 1000).unwrap();
        assert!(id.admin);
        let id = Auth::Gateway.identify(None, Some(&claims("2000", "[staff]")), 1000).unwrap();
        assert!(!id.admin && id.must_be_admin().is_err());
        assert!(Auth::Gateway.identify(None, Some(&claims("999", "[admin]")), 1000).is_err());
        assert!(Auth::Gateway.identify(None, None, 1000).is_err());
    }
}
