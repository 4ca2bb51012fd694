//! Who is asking. In AWS, API Gateway's JWT authorizer has verified the Cognito ID token before
//! the function runs and hands over its claims; locally, `mlm serve` verifies development tokens
//! signed with its own key (HS256). Either way the API then enforces what the identity may see:
//! a distributor its own records, an admin everything.
//!
//! With `mlm serve --oidc-issuer` the local host also accepts RS256 ID tokens of an OpenID
//! Connect issuer (a stand-in for Cognito's managed login), checked against the issuer's JWKS.
//!
//! HS256 and RS256 are written out here (HMAC-SHA256, compared in constant time; RSA PKCS#1
//! v1.5 with SHA-256 through `ring`, which rustls already brings) rather than pulled from a JWT
//! crate: no second crypto stack, and the few claims checks are in plain sight.

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
    /// RS256 ID tokens of an OpenID Connect issuer checked against its keys (`mlm serve
    /// --oidc-issuer`: a local stand-in for Cognito), and this host's development tokens.
    Oidc { issuer: Box<OidcKeys>, local: LocalKey },
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
            Auth::Local(key) => key.verify(bearer(authorization)?)?,
            Auth::Oidc { issuer, local } => {
                let token = bearer(authorization)?;
                if alg_of(token).as_deref() == Some("RS256") {
                    issuer.verify(token)?
                } else {
                    local.verify(token)?
                }
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

fn bearer(authorization: Option<&str>) -> Result<&str, Denied> {
    let header = authorization.ok_or_else(|| Denied::Unauthenticated("no bearer token: sign in".into()))?;
    let token = header
        .strip_prefix("Bearer ")
        .ok_or_else(|| Denied::Unauthenticated("Authorization must be `Bearer <token>`".into()))?;
    Ok(token.trim())
}

#[derive(Deserialize)]
struct JwsHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

fn header_of(token: &str) -> Option<JwsHeader> {
    let h = token.split('.').next()?;
    B64.decode(h).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

fn alg_of(token: &str) -> Option<String> {
    header_of(token).map(|h| h.alg)
}

/// An OpenID Connect issuer's signing keys (its JWKS, RSA only) and the ID tokens it may sign
/// for this application: RS256, `iss` the issuer, `aud` the app client, `token_use` "id".
/// API Gateway's JWT authorizer does the same in AWS; this is for hosts without it.
pub struct OidcKeys {
    pub issuer: String,
    pub client_id: String,
    keys: Vec<(Option<String>, Vec<u8>, Vec<u8>)>,
}

impl OidcKeys {
    /// From the issuer's `/.well-known/jwks.json` document.
    pub fn from_jwks(issuer: &str, client_id: &str, jwks: &str) -> Result<OidcKeys, String> {
        #[derive(Deserialize)]
        struct Jwks {
            keys: Vec<Jwk>,
        }
        #[derive(Deserialize)]
        struct Jwk {
            kty: String,
            #[serde(default)]
            kid: Option<String>,
            #[serde(default)]
            n: Option<String>,
            #[serde(default)]
            e: Option<String>,
        }
        let doc: Jwks = serde_json::from_str(jwks).map_err(|e| format!("JWKS: not a key set: {e}"))?;
        let mut keys = Vec::new();
        for (i, k) in doc.keys.into_iter().enumerate() {
            if k.kty != "RSA" {
                continue;
            }
            let part = |v: Option<String>, f: &str| {
                v.and_then(|v| B64.decode(v.trim_end_matches('=')).ok())
                    .ok_or_else(|| format!("JWKS: keys[{i}].{f}: missing or not base64url"))
            };
            keys.push((k.kid, part(k.n, "n")?, part(k.e, "e")?));
        }
        if keys.is_empty() {
            return Err("JWKS: no RSA key".into());
        }
        Ok(OidcKeys { issuer: issuer.trim_end_matches('/').to_string(), client_id: client_id.to_string(), keys })
    }

    /// The claims of an ID token one of these keys signed for this client (expiry and
    /// `token_use` are checked by the caller, as for every host).
    pub fn verify(&self, token: &str) -> Result<Claims, Denied> {
        let bad = |m: &str| Denied::Unauthenticated(format!("invalid token: {m}"));
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad("not a JWT (three dot-separated parts)"));
        };
        let header = header_of(token).ok_or_else(|| bad("unreadable header"))?;
        if header.alg != "RS256" {
            return Err(bad("only RS256 tokens of the issuer are accepted"));
        }
        let sig = B64.decode(s).map_err(|_| bad("unreadable signature"))?;
        let signed = format!("{h}.{p}");
        let candidates = self.keys.iter().filter(|(kid, _, _)| header.kid.is_none() || *kid == header.kid);
        let verified = candidates.into_iter().any(|(_, n, e)| {
            ring::signature::RsaPublicKeyComponents { n, e }
                .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &sig)
                .is_ok()
        });
        if !verified {
            return Err(bad("the signature does not match the issuer's keys"));
        }
        let claims: Claims =
            B64.decode(p).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(|| bad("unreadable claims"))?;
        if claims.iss.as_deref().map(|i| i.trim_end_matches('/')) != Some(self.issuer.as_str()) {
            return Err(bad(&format!("the issuer is not {}", self.issuer)));
        }
        if claims.aud.as_deref() != Some(self.client_id.as_str()) {
            return Err(bad(&format!("the audience is not the app client {}", self.client_id)));
        }
        if claims.token_use.as_deref() != Some("id") {
            return Err(bad("an ID token is required (token_use must be \"id\")"));
        }
        Ok(claims)
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
    /// The app client an ID token was issued to (Cognito's `aud`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
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
            aud: c.get("aud").cloned(),
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
        aud: None,
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

    /// A 2048-bit RSA key made for this test only (PKCS#1 RSAPrivateKey, DER, base64).
    const TEST_RSA: &str = "MIIEpAIBAAKCAQEAvkJzYvsLL2knEH9do6xdhZbw3Z/M1u9Aglo0RJJpGHnfQwVfqUH4Qrl6mk2AWlVEUc1QTCFVQlmIi5wG8dAdNHIT0SzA6Fr2efsPXm9KDVmGfE7hjYYcplRvsBO3reWBhB9xwmMQPbFDetNbcCjEajI7cvN6grzHNdrs2cUIiylXa1sH1uA+r+cMOHRZNYWRwQ1kEB4wzPX5RPgKARgalC6NVl0wA50Y/qa+v1xjwm8wFH8FqUMu8XgIsalSfS1IT0q8erJMLkZa20gj/78j613CZCJ1m85TTHcDa1m5H4w7GIPlC4RSJao7qpRHtrpiqaCbj8Z1/wBe34IdxMAZ/wIDAQABAoIBABxQVU2goIyAsJCS88N8zjooOVYyBtDhsA72D5s40q0SzffyX8cXizOa2LUH3ZcT42PtEwsRVtfV7S0hniL0XrREWdCiQV8S0mVayHG8TB/qd8oeDxD5qV/TZv+kH4yggALCjzJnfa5AqBMqSwxI9Nn8+b3koBG+uEK6fs71tIzI64pvjo07ShOfSrfHRSL7uj8ZNGUqnvIAge8myvLWjeT0AYw1IKml2pWMdG41mRBNFOZwZwi5OpNtBSjJZY+OPKkBskTauJRHQR3cELz8tngeZW42wLbMvzssTmxmwx1CKT2g4EIW9AfHDcn7qrabqXymI6Sx6D1LnWVEqJcyiHkCgYEA3auX/EkpPvwYHQGv/Dkcq+/5EieGlg38amUY9Ybdct7JX83wwsSf4SAsvIrI+PVbItM51DKzpQch0MmJwhp7HMPVdg/QwypZkL2oTBYHuCrV2vJdXO5hG9fbDgJQ7F2pScTgxMRI9LQE3o3geHGdwPtCVDMXl/6P+QlpPBAQEfsCgYEA27mJ2a/yZAactmJrGEmVWzrmm9BqxPaVSohkk44qJuUJ332yTZ9pddSvWITKPifDM53Jp/iWigeJGTo9X3xzblBqjvrNBh1qnRjKOAG4zNKlUGU+oMlr50TZcVzS83JmOUdnBTeVFCOvqhj2kS95LkJQTpWuFNr8i7c6TKvq3M0CgYA/7GLY0vQ9AI+nlbv9PS8CeiJWVOWf0gqvV9YZv7mOjaZ+pTG/yNneHtwnxtHr0T1lzonHopNhjKv4vJWoTuCfy+17rVXjYgwQDFFDF7tEJb4j9G5uBSQl1lqKMKrLbrsJ1eeHdp8fSeZ5k2pe8UyvwQVAqLcuEq/L/iXFt1AbDwKBgQDDNAd6xOxz3sf05GS+lAjDnwVnIfbo+yRQrfGkgWWDXnGyAqqYeWooy4Xn/zjplUu/HIwd1SRwhhdPuUTzAs5OD9VLJxdkOlgQLwjgTu9N0EobrYbBM5DQSoNfShcDPvwAISYuJV4lITsbw8ex3lorNbDA0Aty7cX1nheGLCmgdQKBgQCVL/yXFI7FRA7bkwuTyRZUmEBrPwy7qI4DWUGDJQaGv3gIfw9FypNzdHewzQQhYDdSZ6Oo/lPLCHErZpmO1wxyqk4IMS76HG+F/b+7YmNA1PPk14US3fnLJdTP2lXe2RDj2dXQdE/iwNbmoP0tCiA0Mgv3UnjVzFFgdgJ2W6VIpA==";

    fn rs256(claims: &serde_json::Value, kid: &str) -> (String, String) {
        use base64::engine::general_purpose::STANDARD;
        use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
        let pair = RsaKeyPair::from_der(&STANDARD.decode(TEST_RSA).unwrap()).unwrap();
        let header = B64.encode(format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#));
        let signing = format!("{header}.{}", B64.encode(serde_json::to_vec(claims).unwrap()));
        let mut sig = vec![0; pair.public().modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), signing.as_bytes(), &mut sig).unwrap();
        let public = ring::signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
        let jwks = serde_json::json!({ "keys": [{ "kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
            "n": B64.encode(&public.n), "e": B64.encode(&public.e) }] });
        (format!("{signing}.{}", B64.encode(sig)), jwks.to_string())
    }

    #[test]
    fn oidc_id_tokens_verify_against_the_issuers_keys_for_this_client_only() {
        let iss = "http://127.0.0.1:9/pool";
        let claims = |aud: &str, token_use: &str, exp: i64| {
            serde_json::json!({ "sub": "u-1", "aud": aud, "iss": iss, "token_use": token_use, "exp": exp, "iat": 1,
                "cognito:groups": ["admin"], "custom:distributor_id": "D7" })
        };
        let (token, jwks) = rs256(&claims("app", "id", 2000), "k1");
        let keys = OidcKeys::from_jwks(iss, "app", &jwks).unwrap();
        let auth = Auth::Oidc { issuer: Box::new(keys), local: LocalKey::new(b"dev") };
        let id = auth.identify(Some(&format!("Bearer {token}")), None, 1000).unwrap();
        assert_eq!((id.distributor.as_deref(), id.admin, id.expires_at), (Some("D7"), true, 2000));
        // Expired; another client's; an access token; a claim edited after signing; a key the
        // issuer does not list: each refused with the reason.
        let refuse = |t: &str| auth.identify(Some(&format!("Bearer {t}")), None, 1000).unwrap_err().to_string();
        assert!(refuse(&rs256(&claims("app", "id", 999), "k1").0).contains("expired"));
        assert!(refuse(&rs256(&claims("other", "id", 2000), "k1").0).contains("audience"));
        assert!(refuse(&rs256(&claims("app", "access", 2000), "k1").0).contains("ID token"));
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], B64.encode(claims("app", "id", 9999).to_string()), parts[2]);
        assert!(refuse(&forged).contains("signature"));
        assert!(refuse(&rs256(&claims("app", "id", 2000), "k2").0).contains("signature"));
        // Development tokens of this host still work beside them.
        let dev = LocalKey::new(b"dev").sign(&dev_claims(Some("D1"), false, 1000, 60));
        assert_eq!(
            auth.identify(Some(&format!("Bearer {dev}")), None, 1001).unwrap().distributor.as_deref(),
            Some("D1")
        );
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
