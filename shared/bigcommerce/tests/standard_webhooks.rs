//! Interoperability with the reference implementation, PyPI `standardwebhooks` 1.1.0, used the way
//! BigCommerce's docs use it: `Webhook(base64(client_secret))`.
//!
//! `MLM_PYTHON` names a python with the package installed; `scripts/test.sh` sets it up, and
//! without it every test here is skipped with a note on stderr.

use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use mlm_bigcommerce::signature::{
    SignatureError, Verified, Verifier, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, TOLERANCE_SECS,
};

const CLIENT_SECRET: &str = "bc-client-secret-0123456789abcdef";
const MSG_ID: &str = "d1b4f1a2-7c1e-4f0e-9d6b-2a1c3e5f7a90";
const TS: i64 = 1_700_000_000;
/// Non-ASCII on purpose: both sides must sign the UTF-8 bytes.
const BODY: &str = r#"{"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":250},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1700000000,"producer":"stores/café"}"#;

/// `argv`: secret (raw client secret), msg_id, Unix timestamp, payload. Prints the header value.
const PY_SIGN: &str = r#"
import base64, sys
from datetime import datetime, timezone
from standardwebhooks import Webhook
secret, msg_id, ts, payload = sys.argv[1:]
wh = Webhook(base64.b64encode(secret.encode()).decode())
print(wh.sign(msg_id, datetime.fromtimestamp(int(ts), tz=timezone.utc), payload))
"#;

/// Same as `PY_SIGN`, but the secret is passed as is (e.g. `whsec_...`).
const PY_SIGN_WHSEC: &str = r#"
import sys
from datetime import datetime, timezone
from standardwebhooks import Webhook
secret, msg_id, ts, payload = sys.argv[1:]
print(Webhook(secret).sign(msg_id, datetime.fromtimestamp(int(ts), tz=timezone.utc), payload))
"#;

/// `argv`: secret (raw client secret), payload, msg_id, timestamp, signature header. The library
/// checks the timestamp against its own clock. Exits 0 printing `verified`, or 3 printing why not.
const PY_VERIFY: &str = r#"
import base64, sys
from standardwebhooks import Webhook, WebhookVerificationError
secret, payload, msg_id, ts, sig = sys.argv[1:]
wh = Webhook(base64.b64encode(secret.encode()).decode())
headers = {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig}
try:
    wh.verify(payload.encode(), headers, json_parse=False)
except WebhookVerificationError as e:
    print(f"rejected: {e}")
    sys.exit(3)
print("verified")
"#;

/// `MLM_PYTHON`, or `None` after one line on stderr: `cargo test` without it skips these tests.
fn reference_python() -> Option<String> {
    let python = std::env::var("MLM_PYTHON").ok().filter(|p| !p.is_empty());
    if python.is_none() {
        let test = std::thread::current().name().unwrap_or("a test").to_string();
        eprintln!(
            "skipped {test}: MLM_PYTHON is not set (scripts/test.sh installs PyPI standardwebhooks and sets it; \
             or export MLM_PYTHON=$(scripts/python-tools.sh))"
        );
    }
    python
}

/// Checked by each test first (`reference_python`).
fn python(script: &str, args: &[&str]) -> Output {
    let python = std::env::var("MLM_PYTHON").expect("MLM_PYTHON, checked by the test");
    Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run MLM_PYTHON={python}: {e}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap().trim().to_owned()
}

/// The signature header standardwebhooks produces for `(MSG_ID, ts, BODY)`.
fn python_sign(ts: i64) -> String {
    let output = python(PY_SIGN, &[CLIENT_SECRET, MSG_ID, &ts.to_string(), BODY]);
    assert!(output.status.success(), "python sign failed: {}", String::from_utf8_lossy(&output.stderr));
    stdout(&output)
}

/// Whether standardwebhooks accepts the message, and its output.
fn python_verify(secret: &str, body: &str, ts: i64, signature: &str) -> (bool, String) {
    let output = python(PY_VERIFY, &[secret, body, MSG_ID, &ts.to_string(), signature]);
    let text = format!("{}{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
    match output.status.code() {
        Some(0) => (true, text),
        Some(3) => (false, text),
        _ => panic!("python verify failed: {text}"),
    }
}

fn verifier() -> Verifier {
    Verifier::from_client_secret(CLIENT_SECRET).unwrap()
}

fn headers(id: Option<&str>, ts: Option<i64>, sig: Option<&str>) -> impl Fn(&str) -> Option<String> {
    let (id, ts, sig) = (id.map(str::to_owned), ts.map(|t| t.to_string()), sig.map(str::to_owned));
    move |name| match name {
        HEADER_ID => id.clone(),
        HEADER_TIMESTAMP => ts.clone(),
        HEADER_SIGNATURE => sig.clone(),
        _ => None,
    }
}

fn rust_verify(verifier: &Verifier, sig: &str, body: &str, now: i64) -> Result<Verified, SignatureError> {
    verifier.verify(&headers(Some(MSG_ID), Some(TS), Some(sig)), body.as_bytes(), now)
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn python_signs_rust_verifies() {
    if reference_python().is_none() {
        return;
    }
    let sig = python_sign(TS);
    assert_eq!(sig, verifier().sign(MSG_ID, TS, BODY.as_bytes()), "both sides sign the same bytes");
    assert_eq!(rust_verify(&verifier(), &sig, BODY, TS + 10), Ok(Verified { id: MSG_ID.to_owned(), timestamp: TS }));
}

#[test]
fn python_whsec_secret_rust_from_whsec_verifies() {
    if reference_python().is_none() {
        return;
    }
    let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let output = python(PY_SIGN_WHSEC, &[whsec, MSG_ID, &TS.to_string(), BODY]);
    assert!(output.status.success(), "python sign failed: {}", String::from_utf8_lossy(&output.stderr));
    let verifier = Verifier::from_whsec(whsec).unwrap();
    assert!(rust_verify(&verifier, &stdout(&output), BODY, TS).is_ok());
}

#[test]
fn rust_signs_python_verifies() {
    if reference_python().is_none() {
        return;
    }
    let now = unix_now();
    let sig = verifier().sign(MSG_ID, now, BODY.as_bytes());
    let (accepted, out) = python_verify(CLIENT_SECRET, BODY, now, &sig);
    assert!(accepted, "standardwebhooks rejected a Rust signature: {out}");
}

/// Guards the harness itself: the Python side must be able to say no.
#[test]
fn python_rejects_rust_signature_under_another_secret() {
    if reference_python().is_none() {
        return;
    }
    let now = unix_now();
    let sig = verifier().sign(MSG_ID, now, BODY.as_bytes());
    let (accepted, out) = python_verify("another-client-secret", BODY, now, &sig);
    assert!(!accepted && out.contains("No matching signature"), "{out}");
}

/// Both sides draw the replay window in the same place (Python reads its own clock; 10 s margin).
#[test]
fn python_and_rust_agree_on_the_tolerance_window() {
    if reference_python().is_none() {
        return;
    }
    let now = unix_now();
    for (offset, fresh) in [
        (-(TOLERANCE_SECS - 10), true),
        (TOLERANCE_SECS - 10, true),
        (-(TOLERANCE_SECS + 10), false),
        (TOLERANCE_SECS + 10, false),
    ] {
        let ts = now + offset;
        let sig = verifier().sign(MSG_ID, ts, BODY.as_bytes());
        let (accepted, out) = python_verify(CLIENT_SECRET, BODY, ts, &sig);
        assert_eq!(accepted, fresh, "python, offset {offset}: {out}");
        let rust = verifier().verify(&headers(Some(MSG_ID), Some(ts), Some(&sig)), BODY.as_bytes(), now);
        assert_eq!(rust.is_ok(), fresh, "rust, offset {offset}: {rust:?}");
    }
}

#[test]
fn rust_rejects_a_tampered_body() {
    if reference_python().is_none() {
        return;
    }
    let sig = python_sign(TS);
    let tampered = BODY.replace(r#""id":250"#, r#""id":251"#);
    assert_eq!(rust_verify(&verifier(), &sig, &tampered, TS), Err(SignatureError::NoValidSignature));
}

#[test]
fn rust_rejects_a_wrong_secret() {
    if reference_python().is_none() {
        return;
    }
    let sig = python_sign(TS);
    let wrong = Verifier::from_client_secret("another-client-secret").unwrap();
    assert_eq!(rust_verify(&wrong, &sig, BODY, TS), Err(SignatureError::NoValidSignature));
}

#[test]
fn rust_rejects_a_stale_timestamp() {
    if reference_python().is_none() {
        return;
    }
    let sig = python_sign(TS);
    let now = TS + TOLERANCE_SECS + 1;
    assert_eq!(rust_verify(&verifier(), &sig, BODY, now), Err(SignatureError::TimestampTooOld { timestamp: TS, now }));
}

#[test]
fn rust_rejects_a_future_timestamp() {
    if reference_python().is_none() {
        return;
    }
    let sig = python_sign(TS);
    let now = TS - TOLERANCE_SECS - 1;
    assert_eq!(
        rust_verify(&verifier(), &sig, BODY, now),
        Err(SignatureError::TimestampInFuture { timestamp: TS, now })
    );
}

#[test]
fn rust_rejects_each_missing_header() {
    if reference_python().is_none() {
        return;
    }
    let sig = python_sign(TS);
    let cases = [
        (headers(None, Some(TS), Some(&sig)), HEADER_ID),
        (headers(Some(MSG_ID), None, Some(&sig)), HEADER_TIMESTAMP),
        (headers(Some(MSG_ID), Some(TS), None), HEADER_SIGNATURE),
    ];
    for (lookup, missing) in cases {
        let err = verifier().verify(&lookup, BODY.as_bytes(), TS).unwrap_err();
        assert_eq!(err, SignatureError::MissingHeader(missing));
        assert!(err.to_string().contains(missing), "{err}");
    }
}

#[test]
fn several_signatures_only_the_second_valid_is_accepted() {
    if reference_python().is_none() {
        return;
    }
    let valid = python_sign(TS);
    let wrong = {
        let output = python(PY_SIGN, &["another-client-secret", MSG_ID, &TS.to_string(), BODY]);
        assert!(output.status.success(), "python sign failed: {}", String::from_utf8_lossy(&output.stderr));
        stdout(&output)
    };
    assert_ne!(wrong, valid);
    let header = format!("{wrong} {valid}");
    assert!(rust_verify(&verifier(), &header, BODY, TS).is_ok());
    assert_eq!(rust_verify(&verifier(), &wrong, BODY, TS), Err(SignatureError::NoValidSignature));
    // The reference agrees on the same header (it checks against its own clock, so re-sign now).
    let now = unix_now();
    let header = format!(
        "{} {}",
        Verifier::from_client_secret("x").unwrap().sign(MSG_ID, now, BODY.as_bytes()),
        verifier().sign(MSG_ID, now, BODY.as_bytes())
    );
    let (accepted, out) = python_verify(CLIENT_SECRET, BODY, now, &header);
    assert!(accepted, "{out}");
}
