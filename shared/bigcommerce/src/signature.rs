//! Verification (and signing) of BigCommerce webhook callbacks, which follow the
//! [Standard Webhooks](https://www.standardwebhooks.com) scheme.
//!
//! BigCommerce's docs (`docs/integrations/webhooks/https-webhook-overview.mdx` in `bigcommerce/docs`)
//! verify callbacks with the `standardwebhooks` libraries given `base64(client_secret)`; those
//! libraries base64-decode the secret, so the HMAC key is the app's client secret as raw bytes.
//!
//! - `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256>` entries; a callback is
//!   genuine when any `v1` entry matches (several allow key rotation; other versions are ignored);
//! - the signed content is `{webhook-id}.{webhook-timestamp}.{raw body}`;
//! - timestamps more than [`TOLERANCE_SECS`] away from now either way are rejected, which bounds
//!   replays of captured callbacks.
//!
//! The module never reads the clock: callers pass `now`, so it is deterministic under test.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Header carrying the message id (stable across BigCommerce's retries, so usable to deduplicate).
pub const HEADER_ID: &str = "webhook-id";
/// Header carrying the send time in Unix seconds.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Header carrying the space-separated `v1,<base64>` signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// How far (seconds) a timestamp may be from now, either way, as in the reference libraries.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// `whsec_` secrets are base64 with or without padding: the reference libraries accept both.
const WHSEC_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

type HmacSha256 = Hmac<Sha256>;

/// Checks (and produces) Standard Webhooks signatures for one secret.
#[derive(Clone)]
pub struct Verifier {
    /// Keyed once; cloned per message so the key schedule is not redone.
    mac: HmacSha256,
}

/// What a successful [`Verifier::verify`] vouches for, taken from the headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `webhook-id`: the same across retries of one event, so callers can deduplicate on it.
    pub id: String,
    /// `webhook-timestamp`, Unix seconds.
    pub timestamp: i64,
}

/// Why a callback was refused; the HTTP layer answers 401 with the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required header is absent or empty (the reference libraries treat empty as absent).
    #[error("missing `{0}` header")]
    MissingHeader(&'static str),
    #[error("`webhook-timestamp` header is not an integer number of Unix seconds")]
    MalformedTimestamp,
    #[error("webhook timestamp {timestamp} is more than 5 minutes older than now ({now}): stale or replayed")]
    TimestampTooOld { timestamp: i64, now: i64 },
    #[error("webhook timestamp {timestamp} is more than 5 minutes ahead of now ({now})")]
    TimestampInFuture { timestamp: i64, now: i64 },
    /// No `v1` entry, or none matched: one variant, as the sender needs to know nothing more.
    #[error("no valid `v1` signature in the `webhook-signature` header")]
    NoValidSignature,
}

/// A secret that cannot key a [`Verifier`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Refused because anyone could sign with an empty key (the reference libraries refuse it too).
    #[error("webhook secret is empty")]
    Empty,
    #[error("webhook secret is not base64 after the optional `whsec_` prefix: {0}")]
    NotBase64(base64::DecodeError),
}

impl Verifier {
    /// Keys with the app's client secret as raw bytes: what BigCommerce signs with.
    pub fn from_client_secret(client_secret: &str) -> Result<Self, SecretError> {
        Self::from_key(client_secret.as_bytes())
    }

    /// Keys with a secret as the standardwebhooks libraries take it: base64, optionally prefixed
    /// `whsec_` (for BigCommerce, `base64(client_secret)`).
    pub fn from_whsec(secret: &str) -> Result<Self, SecretError> {
        let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
        Self::from_key(&WHSEC_BASE64.decode(encoded).map_err(SecretError::NotBase64)?)
    }

    fn from_key(key: &[u8]) -> Result<Self, SecretError> {
        if key.is_empty() {
            return Err(SecretError::Empty);
        }
        // HMAC takes keys of any length, so this cannot fail.
        Ok(Self { mac: HmacSha256::new_from_slice(key).expect("HMAC accepts any key length") })
    }

    /// Checks a callback. `headers` looks a header up by its lower-case name, so any HTTP library
    /// fits; `body` must be the raw bytes as received (re-serialised JSON would not match); `now`
    /// is the current Unix time in seconds.
    ///
    /// Checks run in the reference libraries' order: headers present, timestamp fresh, signature.
    pub fn verify(
        &self,
        headers: &impl Fn(&str) -> Option<String>,
        body: &[u8],
        now: i64,
    ) -> Result<Verified, SignatureError> {
        let header =
            |name: &'static str| headers(name).filter(|v| !v.is_empty()).ok_or(SignatureError::MissingHeader(name));
        let id = header(HEADER_ID)?;
        let timestamp = header(HEADER_TIMESTAMP)?;
        let signatures = header(HEADER_SIGNATURE)?;

        let timestamp: i64 = timestamp.parse().map_err(|_| SignatureError::MalformedTimestamp)?;
        // Saturating: absurd timestamps must be rejected, not overflow.
        if now.saturating_sub(timestamp) > TOLERANCE_SECS {
            return Err(SignatureError::TimestampTooOld { timestamp, now });
        }
        if timestamp.saturating_sub(now) > TOLERANCE_SECS {
            return Err(SignatureError::TimestampInFuture { timestamp, now });
        }

        // The parsed timestamp is what gets signed, as in the reference libraries.
        let expected = self.tag(&id, timestamp, body);
        let matched = signatures
            .split(' ')
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            // Undecodable entries cannot match; skipping them keeps a later valid one usable.
            .filter_map(|(_, signature)| STANDARD.decode(signature).ok())
            // Constant time, so response timing reveals nothing about the expected tag.
            .any(|signature| bool::from(expected.as_slice().ct_eq(&signature)));
        if matched {
            Ok(Verified { id, timestamp })
        } else {
            Err(SignatureError::NoValidSignature)
        }
    }

    /// The `webhook-signature` value (`v1,<base64>`) for a message, as BigCommerce would send it.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.tag(id, timestamp, body)))
    }

    /// HMAC-SHA256 of `{id}.{timestamp}.{body}`.
    fn tag(&self, id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

/// Keeps the key out of logs.
impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors computed independently with Python's standard library:
    //   base64.b64encode(hmac.new(key, f"{id}.{ts}.{body}".encode(), hashlib.sha256).digest())

    /// The Standard Webhooks libraries' own test vector (whsec secret).
    const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SW_TS: i64 = 1614265330;
    const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SW_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    /// A BigCommerce-shaped callback keyed with a raw client secret.
    const BC_SECRET: &str = "bc-client-secret-0123456789abcdef";
    /// `base64(BC_SECRET)`, what BigCommerce's sample hands the standardwebhooks library.
    const BC_SECRET_B64: &str = "YmMtY2xpZW50LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm";
    const BC_ID: &str = "d1b4f1a2-7c1e-4f0e-9d6b-2a1c3e5f7a90";
    const BC_TS: i64 = 1700000000;
    const BC_BODY: &[u8] = br#"{"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":250},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1700000000,"producer":"stores/abc123"}"#;
    const BC_SIG: &str = "v1,AytNpLpwbZTxHFSYhMhpaduQGEDTRZwk7jyjX/byNjM=";

    fn bc() -> Verifier {
        Verifier::from_client_secret(BC_SECRET).unwrap()
    }

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| match name {
            HEADER_ID => Some(id.to_owned()),
            HEADER_TIMESTAMP => Some(ts.to_owned()),
            HEADER_SIGNATURE => Some(sig.to_owned()),
            _ => None,
        }
    }

    fn bc_verify(sig: &str, body: &[u8], now: i64) -> Result<Verified, SignatureError> {
        bc().verify(&headers(BC_ID, &BC_TS.to_string(), sig), body, now)
    }

    #[test]
    fn signs_the_standard_webhooks_vector() {
        assert_eq!(Verifier::from_whsec(SW_SECRET).unwrap().sign(SW_ID, SW_TS, SW_BODY), SW_SIG);
    }

    #[test]
    fn signs_the_bigcommerce_vector_with_the_raw_client_secret() {
        assert_eq!(bc().sign(BC_ID, BC_TS, BC_BODY), BC_SIG);
    }

    #[test]
    fn whsec_form_of_the_client_secret_is_the_same_key() {
        for secret in [BC_SECRET_B64.to_owned(), format!("whsec_{BC_SECRET_B64}")] {
            assert_eq!(Verifier::from_whsec(&secret).unwrap().sign(BC_ID, BC_TS, BC_BODY), BC_SIG);
        }
    }

    #[test]
    fn whsec_accepts_unpadded_base64() {
        // base64("ab") is "YWI=".
        let padded = Verifier::from_whsec("whsec_YWI=").unwrap().sign("m", 1, b"x");
        assert_eq!(Verifier::from_whsec("whsec_YWI").unwrap().sign("m", 1, b"x"), padded);
        assert_eq!(Verifier::from_client_secret("ab").unwrap().sign("m", 1, b"x"), padded);
    }

    #[test]
    fn rejects_unusable_secrets() {
        assert_eq!(Verifier::from_client_secret("").unwrap_err(), SecretError::Empty);
        assert_eq!(Verifier::from_whsec("whsec_").unwrap_err(), SecretError::Empty);
        assert!(matches!(Verifier::from_whsec("whsec_not base64!"), Err(SecretError::NotBase64(_))));
    }

    #[test]
    fn debug_does_not_print_the_key() {
        assert!(!format!("{:?}", bc()).contains(BC_SECRET));
    }

    #[test]
    fn verifies_the_vectors() {
        let sw = Verifier::from_whsec(SW_SECRET).unwrap();
        let verified = sw.verify(&headers(SW_ID, &SW_TS.to_string(), SW_SIG), SW_BODY, SW_TS).unwrap();
        assert_eq!(verified, Verified { id: SW_ID.to_owned(), timestamp: SW_TS });
        assert_eq!(bc_verify(BC_SIG, BC_BODY, BC_TS).unwrap(), Verified { id: BC_ID.to_owned(), timestamp: BC_TS });
    }

    #[test]
    fn tolerance_is_five_minutes_inclusive_either_way() {
        assert!(bc_verify(BC_SIG, BC_BODY, BC_TS + TOLERANCE_SECS).is_ok());
        assert!(bc_verify(BC_SIG, BC_BODY, BC_TS - TOLERANCE_SECS).is_ok());
        assert_eq!(
            bc_verify(BC_SIG, BC_BODY, BC_TS + TOLERANCE_SECS + 1),
            Err(SignatureError::TimestampTooOld { timestamp: BC_TS, now: BC_TS + 301 })
        );
        assert_eq!(
            bc_verify(BC_SIG, BC_BODY, BC_TS - TOLERANCE_SECS - 1),
            Err(SignatureError::TimestampInFuture { timestamp: BC_TS, now: BC_TS - 301 })
        );
    }

    #[test]
    fn extreme_timestamps_are_rejected_without_overflow() {
        let v = bc();
        let max = i64::MAX.to_string();
        let min = i64::MIN.to_string();
        assert!(matches!(
            v.verify(&headers("m", &max, BC_SIG), b"", i64::MIN),
            Err(SignatureError::TimestampInFuture { .. })
        ));
        assert!(matches!(
            v.verify(&headers("m", &min, BC_SIG), b"", i64::MAX),
            Err(SignatureError::TimestampTooOld { .. })
        ));
    }

    #[test]
    fn rejects_a_tampered_body_or_id_or_timestamp() {
        let mut body = BC_BODY.to_vec();
        let at = body.len() - 2;
        body[at] ^= 1;
        assert_eq!(bc_verify(BC_SIG, &body, BC_TS), Err(SignatureError::NoValidSignature));
        let other_id = bc().verify(&headers("other", &BC_TS.to_string(), BC_SIG), BC_BODY, BC_TS);
        assert_eq!(other_id, Err(SignatureError::NoValidSignature));
        let other_ts = bc().verify(&headers(BC_ID, &(BC_TS + 1).to_string(), BC_SIG), BC_BODY, BC_TS);
        assert_eq!(other_ts, Err(SignatureError::NoValidSignature));
    }

    #[test]
    fn rejects_a_wrong_secret() {
        let wrong = Verifier::from_client_secret("another-client-secret").unwrap();
        let result = wrong.verify(&headers(BC_ID, &BC_TS.to_string(), BC_SIG), BC_BODY, BC_TS);
        assert_eq!(result, Err(SignatureError::NoValidSignature));
    }

    #[test]
    fn any_matching_v1_entry_is_enough() {
        let wrong = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let header = format!("v1a,abc {wrong} v1,%%%notbase64 nocomma  {BC_SIG}");
        assert!(bc_verify(&header, BC_BODY, BC_TS).is_ok());
    }

    #[test]
    fn only_v1_entries_count() {
        let (_, b64) = BC_SIG.split_once(',').unwrap();
        for header in [format!("v1a,{b64}"), format!("v2,{b64}"), b64.to_owned(), format!("V1,{b64}")] {
            assert_eq!(bc_verify(&header, BC_BODY, BC_TS), Err(SignatureError::NoValidSignature), "{header}");
        }
    }

    #[test]
    fn each_missing_or_empty_header_is_named() {
        let ts = BC_TS.to_string();
        for missing in [HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE] {
            for value in [None, Some(String::new())] {
                let all = headers(BC_ID, &ts, BC_SIG);
                let lookup = |name: &str| if name == missing { value.clone() } else { all(name) };
                let err = bc().verify(&lookup, BC_BODY, BC_TS).unwrap_err();
                assert_eq!(err, SignatureError::MissingHeader(missing));
                assert_eq!(err.to_string(), format!("missing `{missing}` header"));
            }
        }
    }

    #[test]
    fn rejects_malformed_timestamps() {
        for ts in ["soon", "1700000000.0", "1700000000 ", "0x10", "99999999999999999999"] {
            let result = bc().verify(&headers(BC_ID, ts, BC_SIG), BC_BODY, BC_TS);
            assert_eq!(result, Err(SignatureError::MalformedTimestamp), "{ts:?}");
        }
    }

    #[test]
    fn messages_say_what_went_wrong() {
        let old = SignatureError::TimestampTooOld { timestamp: 1, now: 400 }.to_string();
        assert!(old.contains("older") && old.contains("5 minutes"), "{old}");
        let new = SignatureError::TimestampInFuture { timestamp: 400, now: 1 }.to_string();
        assert!(new.contains("ahead"), "{new}");
        assert!(SignatureError::NoValidSignature.to_string().contains("signature"));
        assert!(SignatureError::MalformedTimestamp.to_string().contains("webhook-timestamp"));
    }
}
