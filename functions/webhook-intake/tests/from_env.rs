//! The function as it starts in Lambda: its state from the environment (the client secret from
//! its override, the queues from `MLM_QUEUE_*_URL` on moto), the system clock, and a callback
//! signed just now. A binary of its own: it sets process environment variables.

use mlm_app::http::system_now;
use mlm_bigcommerce::signature::Verifier;
use mlm_lambda_common::testing::{
    drain, emulators, event_text, invoke_http, sqs, sqs_endpoint, unique, CLIENT_SECRET, SQS_ENDPOINT,
};
use mlm_queue::{create_fifo_queues, QueueUrls};

#[tokio::test]
async fn from_the_environment_a_fresh_callback_is_queued() {
    if !emulators(&[SQS_ENDPOINT]) {
        return;
    }
    let urls = create_fifo_queues(&sqs(), &unique("intake-env")).await.unwrap();
    for (queue, var) in QueueUrls::VARS {
        std::env::set_var(var, urls.url(queue));
    }
    std::env::set_var("MLM_SQS_ENDPOINT", sqs_endpoint());
    std::env::set_var("AWS_ACCESS_KEY_ID", "local");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "local");
    std::env::set_var("AWS_REGION", "us-east-1");
    std::env::remove_var("MLM_SECRET_ID");
    std::env::set_var("BIGCOMMERCE_CLIENT_SECRET", CLIENT_SECRET);
    let state = webhook_intake::state_from_env().await.unwrap();

    // The committed event, re-signed now (what `events/sign.py` does before `sam local invoke`).
    let mut ev: serde_json::Value = serde_json::from_str(&event_text("webhook-intake.order-created.json")).unwrap();
    let now = system_now();
    let id = ev["headers"]["webhook-id"].as_str().unwrap().to_string();
    let signature =
        Verifier::from_client_secret(CLIENT_SECRET).unwrap().sign(&id, now, ev["body"].as_str().unwrap().as_bytes());
    ev["headers"]["webhook-timestamp"] = now.to_string().into();
    ev["headers"]["webhook-signature"] = signature.into();
    let (status, body) = invoke_http(webhook_intake::app(state), &ev.to_string(), "req-env").await;
    assert_eq!((status, body["queue"].as_str()), (200, Some("commission")), "{body}");
    let got = drain(&sqs(), &urls.commission).await;
    assert_eq!(got.iter().map(|m| m.dedup.as_str()).collect::<Vec<_>>(), [id.as_str()]);

    // Without the override or a secret to read it from, the function refuses to start, saying why.
    std::env::remove_var("BIGCOMMERCE_CLIENT_SECRET");
    let e = webhook_intake::state_from_env().await.err().expect("no client secret");
    assert_eq!(
        e.to_string(),
        "MLM_SECRET_ID: is not set, and neither is BIGCOMMERCE_CLIENT_SECRET (one of them must be)"
    );
}
