//! Every SQS event in `events/` through the handler commission-calc, refund-reversal and
//! catalog-sync share, against DynamoDB Local and the BigCommerce stand-in: what each writes to
//! the ledger, and which records the answer asks SQS to redeliver.

use aws_lambda_events::sqs::SqsEvent;
use mlm_bigcommerce::documented as doc;
use mlm_bigcommerce::standin::Fault;
use mlm_lambda_common::batch::handle;
use mlm_lambda_common::testing::{
    emulators, event, World, DISTRIBUTOR, DYNAMODB_ENDPOINT, LINE, ORDER, PRODUCT, SKU, VARIANT,
};
use mlm_ledger::model::{Mapping, OrderStatus};
use mlm_sync::accounts::{Link, Role};
use serde_json::{json, Value};

/// The answer as Lambda sends it back to SQS.
async fn run(w: &World, file: &str) -> Value {
    let ev: SqsEvent = event(file);
    serde_json::to_value(handle(&w.sync, ev).await).unwrap()
}

fn ids(file: &str) -> Vec<String> {
    event::<SqsEvent>(file).records.iter().map(|r| r.message_id.clone().unwrap()).collect()
}

const NONE_FAILED: fn() -> Value = || json!({ "batchItemFailures": [] });

/// D1's lines of November, as (kind, amount) with amounts summed per kind.
async fn earned(w: &World) -> Vec<(String, String)> {
    let mut by_kind: Vec<(String, rust_decimal::Decimal)> = Vec::new();
    for l in w.sync.ledger.store.lines("2026-11", DISTRIBUTOR).await.unwrap() {
        match by_kind.iter_mut().find(|(k, _)| *k == l.kind) {
            Some((_, a)) => *a += l.amount,
            None => by_kind.push((l.kind, l.amount)),
        }
    }
    by_kind.into_iter().map(|(k, a)| (k, a.normalize().to_string())).collect()
}

#[tokio::test]
async fn commission_calc_order_created_writes_the_order_and_its_commission() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    assert_eq!(run(&w, "commission-calc.order-created.json").await, NONE_FAILED());
    let o = w.stored().await.expect("order 250 in DynamoDB");
    assert_eq!((o.credited.as_deref(), o.category.as_str()), (Some(DISTRIBUTOR), "retail"));
    assert_eq!((o.value.net.to_string(), o.value.bv.to_string()), ("80.00".into(), "20".into()));
    assert_eq!(earned(&w).await, [("retail".to_string(), "20".to_string())]);
    // SQS delivers at least once: the same batch again changes nothing.
    assert_eq!(run(&w, "commission-calc.order-created.json").await, NONE_FAILED());
    assert_eq!(w.stored().await.unwrap().version, o.version);
}

#[tokio::test]
async fn commission_calc_status_paid_makes_a_pending_order_count() {
    // Created while awaiting payment (status 7): recorded, counting for nothing.
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(7).await;
    assert_eq!(run(&w, "commission-calc.order-created.json").await, NONE_FAILED());
    assert_eq!(w.stored().await.unwrap().snapshot.status, OrderStatus::Pending);
    assert_eq!(earned(&w).await, []);
    // Paid (Awaiting Fulfillment): the commission appears.
    w.set_status(11, "Thu, 05 Nov 2026 10:19:58 +0000");
    assert_eq!(run(&w, "commission-calc.status-paid.json").await, NONE_FAILED());
    assert_eq!(w.stored().await.unwrap().snapshot.status, OrderStatus::Paid);
    assert_eq!(earned(&w).await, [("retail".to_string(), "20".to_string())]);
}

#[tokio::test]
async fn commission_calc_customer_created_links_the_account() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    assert_eq!(run(&w, "commission-calc.customer-created.json").await, NONE_FAILED());
    let link = w.sync.ledger.store.doc("accounts", "32").await.unwrap().expect("customer 32 linked");
    let link: Link = serde_json::from_str(&link).unwrap();
    assert_eq!((link.party.as_str(), link.role), (DISTRIBUTOR, Role::Distributor));
}

#[tokio::test]
async fn an_unparseable_record_is_parked_and_the_good_one_goes_through() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    let [good, bad] = <[String; 2]>::try_from(ids("commission-calc.unparseable.json")).unwrap();
    // Not reported: it would never read better on a retry.
    assert_eq!(run(&w, "commission-calc.unparseable.json").await, NONE_FAILED());
    assert!(w.stored().await.is_some(), "record {good} wrote order 250");
    let parked = w.sync.ledger.store.parked().await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].key, format!("message#{bad}"));
    assert!(parked[0].reason.contains("not JSON"), "{}", parked[0].reason);
    assert_eq!(
        parked[0].payload,
        event::<SqsEvent>("commission-calc.unparseable.json").records[1].body.clone().unwrap()
    );
}

#[tokio::test]
async fn a_transient_failure_is_reported_for_redelivery() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    // BigCommerce answers 503 as often as the client tries.
    w.bc.with(|r| r.faults.extend([Fault::Status(503), Fault::Status(503)]));
    let id = ids("commission-calc.order-created.json").remove(0);
    assert_eq!(
        run(&w, "commission-calc.order-created.json").await,
        json!({ "batchItemFailures": [{ "itemIdentifier": id }] })
    );
    assert!(w.stored().await.is_none());
    assert!(w.sync.ledger.store.parked().await.unwrap().is_empty());
    // SQS redelivers it; BigCommerce is back.
    assert_eq!(run(&w, "commission-calc.order-created.json").await, NONE_FAILED());
    assert!(w.stored().await.is_some());
}

#[tokio::test]
async fn refund_reversal_refund_created_reverses_the_refunded_unit() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    assert_eq!(run(&w, "commission-calc.order-created.json").await, NONE_FAILED());
    // One of the two units refunded; the order is Partially Refunded (14).
    w.bc.with(|r| r.refunds.insert(ORDER, vec![doc::refund(3, ORDER, "2026-11-09T09:59:00+00:00", &[(LINE, 1)])]));
    w.set_status(14, "Mon, 09 Nov 2026 09:59:00 +0000");
    assert_eq!(run(&w, "refund-reversal.refund-created.json").await, NONE_FAILED());
    let o = w.stored().await.unwrap();
    assert_eq!((o.snapshot.refunds.len(), o.value.bv.to_string()), (1, "10".into()));
    assert_eq!(earned(&w).await, [("retail".to_string(), "10".to_string())]);
}

#[tokio::test]
async fn refund_reversal_cancelled_reverses_the_whole_order() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    assert_eq!(run(&w, "commission-calc.order-created.json").await, NONE_FAILED());
    w.set_status(5, "Tue, 10 Nov 2026 09:59:00 +0000");
    assert_eq!(run(&w, "refund-reversal.cancelled.json").await, NONE_FAILED());
    let o = w.stored().await.unwrap();
    assert!(matches!(o.snapshot.status, OrderStatus::Cancelled { .. }), "{:?}", o.snapshot.status);
    assert!(o.value.net.is_zero() && o.value.bv.is_zero(), "{:?}", o.value);
    // An open period's provisional lines of a cancelled order are gone, not netted.
    assert_eq!(earned(&w).await, []);
}

#[tokio::test]
async fn catalog_sync_sku_updated_rewrites_the_mapping() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    let mapping = |bv: &str| Mapping { sku: SKU.into(), bv: Some(bv.parse().unwrap()), bv_rate: None, pv: None };
    assert_eq!(w.sync.ledger.store.mappings().await.unwrap(), [mapping("10")]);
    w.bc.with(|r| {
        r.variant_metafields.insert((PRODUCT, VARIANT), vec![doc::metafield(1, "variant", VARIANT, "mlm", "bv", "12")])
    });
    assert_eq!(run(&w, "catalog-sync.sku-updated.json").await, NONE_FAILED());
    assert_eq!(w.sync.ledger.store.mappings().await.unwrap(), [mapping("12")]);
}

#[tokio::test]
async fn out_of_time_no_record_is_started_and_all_are_reported() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    let soon = std::time::Instant::now() + mlm_lambda_common::batch::RESERVE / 2;
    let answer =
        mlm_lambda_common::batch::handle_until(&w.sync, event("commission-calc.unparseable.json"), Some(soon)).await;
    let reported: Vec<_> = answer.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(reported, ids("commission-calc.unparseable.json"));
    assert!(w.stored().await.is_none());
    assert!(w.sync.ledger.store.parked().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_record_holds_the_rest_of_its_group() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    // Both records are group order-250: the first fails on BigCommerce, so the second (which
    // would have been parked) waits for the redelivery instead of overtaking it.
    w.bc.with(|r| r.faults.extend([Fault::Status(503), Fault::Status(503)]));
    assert_eq!(run(&w, "commission-calc.unparseable.json").await["batchItemFailures"].as_array().unwrap().len(), 2);
    assert!(w.sync.ledger.store.parked().await.unwrap().is_empty());
}
