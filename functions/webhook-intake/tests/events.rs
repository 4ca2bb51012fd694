//! The intake's `events/` files through the function as `lambda_http::run` drives it, with the
//! queues on moto's SQS: a signed order callback puts exactly one message on the commission
//! queue; a bad signature or a stale timestamp puts nothing anywhere. And `events/sign.py`
//! reproduces the committed signatures.

use mlm_app::http::IntakeState;
use mlm_bigcommerce::events::Work;
use mlm_bigcommerce::signature::Verifier;
use mlm_lambda_common::testing::{drain, emulators, event_text, invoke_http, sqs, unique, CLIENT_SECRET, SQS_ENDPOINT};
use mlm_queue::{create_fifo_queues, QueueUrls, SqsQueue, KINDS};
use std::sync::Arc;

/// The signed time of the committed intake events (2026-11-05T10:00:05Z).
const SIGNED_AT: i64 = 1_793_872_805;

async fn intake(now: i64) -> (IntakeState, QueueUrls) {
    let urls = create_fifo_queues(&sqs(), &unique("intake")).await.unwrap();
    let state = IntakeState {
        verifier: Arc::new(Verifier::from_client_secret(CLIENT_SECRET).unwrap()),
        queue: Arc::new(SqsQueue::new(sqs(), urls.clone())),
        now: Arc::new(move || now),
    };
    (state, urls)
}

fn header(file: &str, name: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&event_text(file)).unwrap();
    v["headers"][name].as_str().unwrap().to_string()
}

async fn queued(urls: &QueueUrls) -> Vec<(mlm_queue::Queue, mlm_lambda_common::testing::Received)> {
    let mut all = Vec::new();
    for q in KINDS {
        all.extend(drain(&sqs(), urls.url(q)).await.into_iter().map(|m| (q, m)));
    }
    all
}

#[tokio::test]
async fn a_signed_order_callback_is_queued_once_on_the_commission_queue() {
    let file = "webhook-intake.order-created.json";
    if !emulators(&[SQS_ENDPOINT]) {
        return;
    }
    let (state, urls) = intake(SIGNED_AT + 2).await;
    let (status, body) = invoke_http(webhook_intake::app(state), &event_text(file), "req-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, serde_json::json!({ "status": "queued", "queue": "commission", "group": "order-250" }));
    let all = queued(&urls).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let (queue, m) = &all[0];
    let webhook_id = header(file, "webhook-id");
    assert_eq!(
        (*queue, m.group.as_str(), m.dedup.as_str()),
        (mlm_queue::Queue::Commission, "order-250", webhook_id.as_str())
    );
    let message = mlm_queue::decode(&m.body).unwrap();
    assert_eq!((message.work, message.scope.as_str()), (Work::Order { id: 250 }, "store/order/created"));
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_nothing_is_queued() {
    if !emulators(&[SQS_ENDPOINT]) {
        return;
    }
    let (state, urls) = intake(SIGNED_AT + 2).await;
    let (status, body) =
        invoke_http(webhook_intake::app(state), &event_text("webhook-intake.bad-signature.json"), "req-2").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "no valid `v1` signature in the `webhook-signature` header");
    assert!(queued(&urls).await.is_empty());
}

#[tokio::test]
async fn the_committed_signature_is_stale_on_a_real_clock() {
    // Why `sam local invoke` needs `events/sign.py` first.
    if !emulators(&[SQS_ENDPOINT]) {
        return;
    }
    let (state, urls) = intake(mlm_app::http::system_now()).await;
    let (status, body) =
        invoke_http(webhook_intake::app(state), &event_text("webhook-intake.order-created.json"), "req-3").await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error"].as_str().unwrap().contains("stale or replayed"), "{body}");
    assert!(queued(&urls).await.is_empty());
}

/// `events/sign.py` with each file's own timestamp and secret gives the file back byte for
/// byte, and with a new timestamp a signature the intake accepts.
#[test]
fn sign_py_reproduces_and_renews_the_signatures() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events");
    let sign = |file: &str, args: &[&str]| {
        let out = std::process::Command::new("python3")
            .arg(format!("{dir}/sign.py"))
            .arg(format!("{dir}/{file}"))
            .args(args)
            .output()
            .expect("python3 runs events/sign.py");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let at = SIGNED_AT.to_string();
    let good = "webhook-intake.order-created.json";
    assert_eq!(sign(good, &["--timestamp", &at]), event_text(good));
    let bad = "webhook-intake.bad-signature.json";
    assert_eq!(sign(bad, &["--timestamp", &at, "--secret", "not-the-app-client-secret"]), event_text(bad));

    let renewed: serde_json::Value = serde_json::from_str(&sign(good, &["--timestamp", "1800000000"])).unwrap();
    let h = |n: &str| renewed["headers"][n].as_str().map(str::to_string);
    let verified = Verifier::from_client_secret(CLIENT_SECRET)
        .unwrap()
        .verify(&h, renewed["body"].as_str().unwrap().as_bytes(), 1_800_000_001)
        .unwrap();
    assert_eq!((verified.id, verified.timestamp), (header(good, "webhook-id"), 1_800_000_000));
}
