//! The scheduled event through reconcile against DynamoDB Local and the BigCommerce stand-in:
//! before go-live's back-fill only the hooks are checked (a missing one fails the invocation,
//! which fires the alarm); afterwards an order whose webhook was lost is reconciled.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use mlm_engine::period::Timestamp;
use mlm_lambda_common::testing::{emulators, event, World, DYNAMODB_ENDPOINT, ORDER};
use mlm_ledger::port::Store;
use mlm_sync::reconcile::Options;
use serde_json::json;

const DEST: &str = "https://abc.execute-api.us-east-1.amazonaws.com/webhooks/bigcommerce";

#[tokio::test]
async fn the_scheduled_run_checks_hooks_and_catches_a_lost_order() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    let file = "reconcile.scheduled.json";
    // No hooks and no destination: nothing can fix them, the invocation fails.
    let e = reconcile::handler(&*w.sync, None, None, event::<EventBridgeEvent>(file)).await.unwrap_err();
    assert!(e.to_string().starts_with("webhooks need attention: store/order/created: no hook"), "{e}");
    // With the destination they are created; no watermark yet, so no order is read.
    let r = reconcile::handler(&*w.sync, Some(DEST), None, event::<EventBridgeEvent>(file)).await.unwrap();
    assert_eq!((r["watermark"].clone(), r["hooks"]["created"].as_array().unwrap().len()), (json!(null), 14));
    assert!(w.sync.ledger.store.order(ORDER).await.unwrap().is_none());

    // Go-live (`mlm reconcile --since`, here with nothing to bring in), then the order changes
    // and its webhook is lost.
    let since = Timestamp::parse("2027-01-01T00:00:00Z").unwrap();
    w.sync.reconcile(&Options { since: Some(since), ..Options::default() }, &mut |_| {}).await.unwrap();
    w.bc.with(|r| r.orders.get_mut(&ORDER).unwrap()["date_modified"] = json!("Sat, 02 Jan 2027 00:00:00 +0000"));
    let r = reconcile::handler(&*w.sync, Some(DEST), None, event::<EventBridgeEvent>(file)).await.unwrap();
    assert_eq!((r["reconciled"].clone(), r["missed"].clone()), (json!(1), json!([ORDER])), "{r}");
    assert_eq!(r["watermark"], "2027-01-02T00:00:00Z");
    assert_eq!(r["hooks"]["active"], 14);
    assert!(w.sync.ledger.store.order(ORDER).await.unwrap().is_some());
}

#[tokio::test]
async fn the_clock_override_is_refused_at_start() {
    let env = |v: &str| (v == "MLM_NOW").then(|| "2026-12-01T00:00:00Z".to_string());
    let e = mlm_lambda_common::store_from_env(&env).await.err().expect("refused").to_string();
    assert!(e.starts_with("MLM_NOW: "), "{e}");
    assert!(e.contains("refused in Lambda"), "{e}");
}
