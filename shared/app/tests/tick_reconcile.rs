//! The tick reconciles before it closes: an order whose webhook never arrived is in the period
//! it closes, at a clock fixed for a staging rehearsal.

use mlm_app::clock::Clock;
use mlm_app::schedule::{tick_reconciled, LedgerPayouts};
use mlm_bigcommerce::client::{Client, RetryPolicy};
use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::standin::StandIn;
use mlm_engine::period::Timestamp;
use mlm_ledger::model::{DistributorRecord, Mapping};
use mlm_ledger::port::Store;
use mlm_ledger::service::Ledger;
use mlm_store_sqlite::SqliteStore;
use mlm_sync::commerce::BigCommerce;
use mlm_sync::reconcile::Options;
use mlm_sync::Sync;

fn distributor(id: &str, sponsor: Option<&str>) -> DistributorRecord {
    DistributorRecord {
        id: id.into(),
        sponsor: sponsor.map(Into::into),
        joined_at: 1,
        email: None,
        bigcommerce_customer_id: None,
        placement: None,
        upline: vec![],
        matrix_upline: vec![],
    }
}

#[tokio::test]
async fn the_tick_reconciles_missed_orders_before_closing_their_period() {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    let usd = Currencies::single("USD");
    bc.with(|r| {
        r.customer_attributes = vec![doc::customer_attribute(1, "mlm_distributor_id")];
        r.customers.insert(1, doc::customer(1, "d2@example.com", "Dee", &[(1, "D2")]));
        r.orders.insert(500, doc::order(500, 1, 11, "Tue, 03 Nov 2026 10:00:00 +0000", &usd, ""));
        r.order_products.insert(500, vec![doc::order_product(5000, 500, 9, 0, "VITA", 1, "100.00", "")]);
    });
    let ledger = Ledger::new(std::sync::Arc::new(SqliteStore::in_memory().unwrap()));
    ledger
        .set_plan("{id: p, version: 1, currency: USD, period: month, unilevel: {rates: ['0.1']}}", None)
        .await
        .unwrap();
    ledger.enroll(&[distributor("D1", None), distributor("D2", Some("D1"))]).await.unwrap();
    ledger
        .set_mapping(&Mapping { sku: "VITA".into(), bv: Some(50.into()), bv_rate: None, pv: Some(50.into()) })
        .await
        .unwrap();
    let client = Client::new(&bc.base_url(), "s1", "t1", RetryPolicy::default());
    let sync = Sync::new(ledger, BigCommerce::new(client));
    let sink = LedgerPayouts(sync.ledger.store.clone());
    // A rehearsal clock: December 1st, whatever the machine says.
    let clock = Clock::resolve(Some("2026-12-01T06:05:00Z"), None).unwrap();

    // Go-live: the watermark is set by a first reconcile of an empty history.
    sync.reconcile(
        &Options { since: Some(Timestamp::parse("2026-11-01T00:00:00Z").unwrap()), ..Options::default() },
        &mut |_| {},
    )
    .await
    .unwrap();
    // Order 501's webhook never arrives.
    bc.with(|r| {
        r.orders.insert(501, doc::order(501, 1, 11, "Fri, 20 Nov 2026 10:00:00 +0000", &usd, ""));
        r.order_products.insert(501, vec![doc::order_product(5010, 501, 9, 0, "VITA", 2, "100.00", "")]);
    });
    let report = tick_reconciled(&sync, clock.now(), &sink, None).await.unwrap();
    assert_eq!(report.closed, ["2026-11"]);
    assert!(sync.ledger.store.order(501).await.unwrap().is_some());
    let statement = sync.ledger.statement("2026-11").await.unwrap().unwrap();
    let v: serde_json::Value = serde_json::from_str(&statement).unwrap();
    let d1 = v["periods"][0]["distributors"].as_array().unwrap().iter().find(|d| d["id"] == "D1").unwrap().clone();
    // 0.1 × BV (50 + 2 × 50): both orders count.
    assert_eq!(d1["earnings"]["unilevel"], "15.00", "{d1}");
}
