//! The shared handlers as their hosts call them: the intake and attribution routes, a queue
//! batch with partial failures, and the daily tick.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use mlm_app::http::{attribution_router, intake_router, IntakeState};
use mlm_app::schedule::{tick, LedgerPayouts, Payout, PayoutSink};
use mlm_app::worker::{process_batch, Record};
use mlm_app::SharedSync;
use mlm_bigcommerce::client::{Client, RetryPolicy};
use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::events::{Message, Queue, Work};
use mlm_bigcommerce::signature::Verifier;
use mlm_bigcommerce::standin::{Fault, StandIn};
use mlm_engine::period::Timestamp;
use mlm_ledger::model::DistributorRecord;
use mlm_ledger::port::Store;
use mlm_ledger::service::Ledger;
use mlm_queue::LocalQueue;
use mlm_store_sqlite::SqliteStore;
use mlm_sync::commerce::{BigCommerce, Commerce};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

const SECRET: &str = "client-secret-of-the-app";
const NOW: i64 = 1_794_000_000;

fn callback(scope: &str, data: &str) -> Vec<u8> {
    format!(r#"{{"scope":"{scope}","store_id":"1025646","data":{data},"hash":"x","created_at":{NOW},"producer":"stores/s1"}}"#)
        .into_bytes()
}

fn signed(id: &str, body: &[u8], ts: i64) -> Request<Body> {
    let sig = Verifier::from_client_secret(SECRET).unwrap().sign(id, ts, body);
    Request::post("/webhooks/bigcommerce")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .header("content-type", "application/json")
        .body(Body::from(body.to_vec()))
        .unwrap()
}

async fn json_of(r: axum::response::Response) -> (StatusCode, serde_json::Value) {
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn the_intake_verifies_routes_and_enqueues() {
    let (queue, mut rx) = LocalQueue::new();
    let state = IntakeState {
        verifier: Arc::new(Verifier::from_client_secret(SECRET).unwrap()),
        queue: Arc::new(queue),
        now: Arc::new(|| NOW),
    };
    let app = intake_router(state);
    let body = callback(
        "store/order/statusUpdated",
        r#"{"type":"order","id":250,"status":{"previous_status_id":11,"new_status_id":5}}"#,
    );
    let (status, v) = json_of(app.clone().oneshot(signed("wh-1", &body, NOW)).await.unwrap()).await;
    assert_eq!((status, v["queue"].as_str()), (StatusCode::OK, Some("refund")));
    let m = rx.get_mut(Queue::Refund).try_recv().unwrap();
    assert_eq!((m.work, m.webhook_id.as_str()), (Work::Order { id: 250 }, "wh-1"));
    // The same delivery again: acknowledged, deduplicated on webhook-id.
    let (status, _) = json_of(app.clone().oneshot(signed("wh-1", &body, NOW)).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(rx.get_mut(Queue::Refund).try_recv().is_err());

    // Refusals say why; nothing is enqueued.
    let mut tampered = signed("wh-2", &body, NOW);
    *tampered.body_mut() = Body::from(callback("store/order/created", r#"{"type":"order","id":999}"#));
    let (status, v) = json_of(app.clone().oneshot(tampered).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(v["error"].as_str().unwrap().contains("signature"), "{v}");
    let (status, v) = json_of(app.clone().oneshot(signed("wh-3", &body, NOW - 301)).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");
    let bad = callback("store/order/created", r#"{"type":"order"}"#);
    let (status, v) = json_of(app.clone().oneshot(signed("wh-4", &bad, NOW)).await.unwrap()).await;
    assert_eq!((status, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("data.id")));
    let other = callback("store/cart/created", r#"{"type":"cart","id":"c"}"#);
    let (status, v) = json_of(app.oneshot(signed("wh-5", &other, NOW)).await.unwrap()).await;
    assert_eq!((status, v["status"].as_str()), (StatusCode::OK, Some("ignored")));
    for q in [Queue::Commission, Queue::Refund, Queue::Catalog, Queue::Accounts] {
        assert!(rx.get_mut(q).try_recv().is_err(), "{q:?}");
    }
}

async fn world() -> (StandIn, Arc<SharedSync>) {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    let policy = RetryPolicy { attempts: 2, backoff: Duration::from_millis(1), ..Default::default() };
    let commerce: Arc<dyn Commerce> = Arc::new(BigCommerce::new(Client::new(&bc.base_url(), "s1", "t1", policy)));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let ledger = Ledger::new(store);
    ledger.set_plan("{id: p, version: 1, currency: USD, period: month, retail: {rate: '0.25'}}", None).await.unwrap();
    let d = |id: &str, t| DistributorRecord {
        id: id.into(),
        sponsor: None,
        joined_at: t,
        email: None,
        bigcommerce_customer_id: None,
        placement: None,
        upline: vec![],
        matrix_upline: vec![],
    };
    ledger.enroll(&[d("D1", 1)]).await.unwrap();
    bc.with(|r| {
        r.products.insert(1, doc::product(1, "Kit", "KIT", "40.00", &[(10, "KIT-1")]));
        r.variant_metafields.insert((1, 10), vec![doc::metafield(1, "variant", 10, "mlm", "bv", "10")]);
        for id in [501, 502] {
            r.orders
                .insert(id, doc::order(id, 0, 11, "Tue, 03 Nov 2026 10:00:00 +0000", &Currencies::single("USD"), ""));
            r.order_products.insert(id, vec![doc::order_product(1, id, 1, 10, "KIT-1", 1, "40.0000", "")]);
            r.order_metafields.insert(id, vec![doc::metafield(id, "order", id, "mlm", "referrer", "D1")]);
        }
    });
    let sync = Arc::new(mlm_sync::Sync::new(ledger, commerce));
    sync.resync_catalog().await.unwrap();
    (bc, sync)
}

fn record(id: &str, work: Work, group: &str) -> Record {
    let m = Message { work, scope: "store/order/created".into(), webhook_id: format!("wh-{id}"), created_at: None };
    Record { id: id.into(), body: mlm_queue::encode(&m), group: Some(group.into()) }
}

#[tokio::test]
async fn a_batch_reports_only_what_must_be_redelivered() {
    let (bc, sync) = world().await;
    // Order 502's reads fail (twice, as many as the policy tries); 501 goes through; a record
    // behind 502 in its group waits with it; an unreadable body is parked, not retried.
    bc.with(|r| r.faults.extend([Fault::Status(503), Fault::Status(503)]));
    let batch = vec![
        record("m1", Work::Order { id: 502 }, "order-502"),
        record("m2", Work::Order { id: 501 }, "order-501"),
        record("m3", Work::Order { id: 502 }, "order-502"),
        Record { id: "m4".into(), body: "{\"work\":{\"resource\":\"order\"}}".into(), group: Some("x".into()) },
    ];
    let report = process_batch(&sync, &batch).await;
    assert_eq!(report.failed, ["m1", "m3"]);
    assert!(sync.ledger.store.order(501).await.unwrap().is_some());
    assert!(sync.ledger.store.order(502).await.unwrap().is_none());
    let parked = sync.ledger.store.parked().await.unwrap();
    assert_eq!((parked.len(), parked[0].key.as_str()), (1, "message#m4"));
    assert!(parked[0].reason.contains("work.id"), "{}", parked[0].reason);
    // Redelivered: done.
    let again = process_batch(&sync, &batch[..1]).await;
    assert!(again.failed.is_empty(), "{again:?}");
    assert_eq!(sync.ledger.store.order(502).await.unwrap().unwrap().credited.as_deref(), Some("D1"));
}

#[tokio::test]
async fn attribution_route_names_the_field() {
    let (_bc, sync) = world().await;
    let app = attribution_router(sync.clone());
    let post = |body: &str| Request::post("/attribution").body(Body::from(body.to_string())).unwrap();
    let (status, v) = json_of(app.clone().oneshot(post(r#"{"cart_id":"c-1","referrer":"D1"}"#)).await.unwrap()).await;
    assert_eq!((status, v["referrer"].as_str()), (StatusCode::OK, Some("D1")));
    let (status, v) = json_of(app.clone().oneshot(post(r#"{"cart_id":"c-2"}"#)).await.unwrap()).await;
    assert_eq!((status, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("referrer")));
    // An unknown referrer, or a cart already attributed, is answered as a known one is (the
    // anonymous route reveals neither), and nothing is recorded.
    let (status, v) = json_of(app.clone().oneshot(post(r#"{"cart_id":"c-2","referrer":"D9"}"#)).await.unwrap()).await;
    assert_eq!((status, v), (StatusCode::OK, serde_json::json!({ "cart_id": "c-2", "referrer": "D9" })));
    assert_eq!(sync.ledger.store.doc("carts", "c-2").await.unwrap(), None);
    let (status, _) = json_of(app.clone().oneshot(post(r#"{"cart_id":"c-1","referrer":"D9"}"#)).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = json_of(app.oneshot(post(r#"{"cart_id":"","referrer":"D1"}"#)).await.unwrap()).await;
    assert_eq!((status, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("cart_id")));
}

/// A sink that remembers what it was given, or fails while `down`.
#[derive(Default)]
struct Seen(Mutex<Vec<Payout>>, std::sync::atomic::AtomicBool);

#[async_trait::async_trait]
impl PayoutSink for Seen {
    async fn queue(&self, p: &[Payout]) -> Result<(), String> {
        if self.1.load(std::sync::atomic::Ordering::SeqCst) {
            return Err("payout queue unreachable".into());
        }
        self.0.lock().unwrap().extend_from_slice(p);
        Ok(())
    }
}

#[tokio::test]
async fn the_daily_tick_closes_the_previous_period_once_and_refreshes_the_open_one() {
    let (_bc, sync) = world().await;
    sync.order(501).await.unwrap();
    let ledger = &sync.ledger;
    // Still November: nothing to close; November's figures are refreshed.
    let nov = Timestamp::parse("2026-11-20T06:05:00Z").unwrap();
    let seen = Seen::default();
    let r = tick(ledger, nov, &seen).await.unwrap();
    assert_eq!((r.closed.len(), r.refreshed.as_deref()), (0, Some("2026-11")));
    // Published as D1's standing of the open period (not final), with its retail commission.
    let st: mlm_app::standing::Standing =
        serde_json::from_str(&ledger.store.doc("standing#D1", "2026-11").await.unwrap().unwrap()).unwrap();
    assert_eq!((st.closed, st.earnings.retail.to_string().as_str()), (false, "10.00"));
    // December 1st: November closes, but the payout queue is down: the tick fails...
    let dec1 = Timestamp::parse("2026-12-01T06:05:00Z").unwrap();
    seen.1.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(tick(ledger, dec1, &seen).await.unwrap_err().to_string().contains("unreachable"));
    assert_eq!(ledger.store.closed_periods().await.unwrap(), ["2026-11"]);
    // ... and its retry queues D1's retail commission (25% of 40.00), closing nothing twice.
    seen.1.store(false, std::sync::atomic::Ordering::SeqCst);
    let r = tick(ledger, dec1, &seen).await.unwrap();
    assert_eq!((r.closed.len(), r.payouts), (0, 1));
    let p = seen.0.lock().unwrap().clone();
    assert_eq!(
        p,
        vec![Payout {
            period: "2026-11".into(),
            distributor: "D1".into(),
            amount: "10.00".parse().unwrap(),
            currency: "USD".into()
        }]
    );
    // The next day's tick closes nothing again and queues nothing again.
    let r = tick(ledger, Timestamp::parse("2026-12-02T06:05:00Z").unwrap(), &seen).await.unwrap();
    assert_eq!((r.closed.len(), r.payouts), (0, 0));
    // The ledger's own sink keeps payouts by period and distributor.
    let sink = LedgerPayouts(ledger.store.clone());
    sink.queue(&p).await.unwrap();
    assert!(ledger.store.doc("payouts", "2026-11#D1").await.unwrap().is_some());
}
