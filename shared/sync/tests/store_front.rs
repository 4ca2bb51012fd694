//! The integration end to end against the local BigCommerce stand-in (resources built from the
//! documented examples) and the embedded ledger: catalog sync both ways, accounts and
//! duplicates, attribution (customer, order metafield, cart, late cart), multi-currency,
//! refunds, cancellations, unmapped lines parked and reprocessed, webhook registration.

use mlm_bigcommerce::client::{Client, RetryPolicy};
use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::events::{Message, Work};
use mlm_bigcommerce::standin::{Fault, StandIn};
use mlm_ledger::model::{DistributorRecord, Mapping, OrderStatus, StoredOrder};
use mlm_ledger::port::Store;
use mlm_ledger::service::{Applied, Ledger};
use mlm_store_sqlite::SqliteStore;
use mlm_sync::catalog::Volumes;
use mlm_sync::commerce::{register_webhooks, BigCommerce};
use mlm_sync::{Outcome, Sync};
use rust_decimal::Decimal;
use serde_json::json;
use std::time::Duration;

const PLAN: &str =
    "{id: acme, version: 1, currency: USD, period: month, retail: {rate: '0.2'}, unilevel: {rates: ['0.1', '0.05']}}";
const NOV3: &str = "Tue, 03 Nov 2026 10:00:00 +0000";
const USD: Currencies = Currencies { transactional: "USD", store_default: "USD", rate: "1.0000000000" };

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn distributor(id: &str, sponsor: Option<&str>, t: i64, email: &str) -> DistributorRecord {
    DistributorRecord {
        id: id.into(),
        sponsor: sponsor.map(Into::into),
        joined_at: t,
        email: Some(email.into()),
        bigcommerce_customer_id: None,
        placement: None,
        upline: vec![],
        matrix_upline: vec![],
    }
}

struct World {
    bc: StandIn,
    sync: Sync<SqliteStore, BigCommerce>,
}

impl World {
    async fn new() -> World {
        let bc = StandIn::start("store1", "tok").await.unwrap();
        let policy =
            RetryPolicy { backoff: Duration::from_millis(5), timeout: Duration::from_secs(5), ..Default::default() };
        let client = Client::new(&bc.base_url(), "store1", "tok", policy);
        let ledger = Ledger::new(SqliteStore::in_memory().unwrap());
        ledger.set_plan(PLAN, None).await.unwrap();
        ledger
            .enroll(&[
                distributor("D1", None, 1, "d1@example.com"),
                distributor("D2", Some("D1"), 2, "Dee.Two@Example.com"),
            ])
            .await
            .unwrap();
        bc.with(|r| {
            r.customer_attributes =
                vec![doc::customer_attribute(1, "mlm_distributor_id"), doc::customer_attribute(2, "mlm_referrer")];
            r.customers.insert(10, doc::customer(10, "dee.two@example.com", "Dee", &[(1, "D2")]));
            r.customers.insert(11, doc::customer(11, "rita@example.com", "Rita", &[(2, "D1")]));
            r.customers.insert(12, doc::customer(12, "  DEE.TWO@example.COM ", "Dee again", &[]));
            r.customers.insert(13, doc::customer(13, "sam@example.com", "Sam", &[]));
            r.products.insert(100, doc::product(100, "Vita", "VITA", "46.00", &[(1000, "VITA-30"), (1001, "VITA-90")]));
            r.variant_metafields.insert(
                (100, 1000),
                vec![
                    doc::metafield(1, "variant", 1000, "mlm", "bv", "20"),
                    doc::metafield(2, "variant", 1000, "mlm", "pv", "25"),
                ],
            );
            r.product_metafields.insert(
                100,
                vec![
                    doc::metafield(3, "product", 100, "mlm", "bv_rate", "0.5"),
                    doc::metafield(4, "product", 100, "mlm", "pv", "10"),
                ],
            );
        });
        World { bc, sync: Sync::new(ledger, BigCommerce::new(client)) }
    }

    /// Puts order `id` into the store: `lines` are `(line id, variant, SKU, quantity, price)`.
    fn order(
        &self,
        id: i64,
        customer: i64,
        status: i64,
        cur: &Currencies,
        cart: &str,
        lines: &[(i64, i64, &str, i64, &str)],
    ) {
        let o = doc::order(id, customer, status, NOV3, cur, cart);
        let products = lines
            .iter()
            .map(|&(line, variant, sku, q, price)| {
                doc::order_product(line, id, variant / 10, variant, sku, q, price, "")
            })
            .collect();
        self.bc.with(|r| {
            r.orders.insert(id, o);
            r.order_products.insert(id, products);
        });
    }

    fn set_status(&self, id: i64, status: i64, modified: &str) {
        self.bc.with(|r| {
            let o = r.orders.get_mut(&id).unwrap();
            o["status_id"] = json!(status);
            o["date_modified"] = json!(modified);
        });
    }

    async fn deliver(&self, work: Work) -> Outcome {
        let m = Message { work, scope: "test".into(), webhook_id: "wh".into(), created_at: None };
        self.sync.handle(&m).await.unwrap()
    }

    async fn stored(&self, id: i64) -> StoredOrder {
        self.sync.ledger.store.order(id).await.unwrap().unwrap()
    }

    async fn earned(&self, earner: &str) -> Vec<(Option<i64>, String, Decimal)> {
        let mut l: Vec<_> = self
            .sync
            .ledger
            .store
            .lines("2026-11", earner)
            .await
            .unwrap()
            .into_iter()
            .map(|l| (l.order, l.kind, l.amount))
            .collect();
        l.sort();
        l
    }
}

fn written(o: &Outcome) -> bool {
    matches!(o, Outcome::Order(Applied::Written { .. }))
}

#[tokio::test]
async fn catalog_sync_reads_variant_volumes_with_the_product_fallback() {
    let w = World::new().await;
    let r = w.sync.resync_catalog().await.unwrap();
    assert_eq!((r.products, r.mapped, r.retired), (1, 3, 0));
    let m = w.sync.ledger.store.mappings().await.unwrap();
    let want = |sku: &str, bv: Option<&str>, rate: Option<&str>, pv: &str| Mapping {
        sku: sku.into(),
        bv: bv.map(dec),
        bv_rate: rate.map(dec),
        pv: Some(dec(pv)),
    };
    assert_eq!(
        m,
        vec![
            want("VITA", None, Some("0.5"), "10"),
            want("VITA-30", Some("20"), None, "25"),
            want("VITA-90", None, Some("0.5"), "10"),
        ]
    );
    // A resync of an unchanged store writes nothing new.
    let again = w.sync.resync_catalog().await.unwrap();
    assert_eq!((again.mapped, again.retired), (0, 0));
    // Volumes that break the catalog's rules park the product with the key named.
    w.bc.with(|r| {
        r.variant_metafields.insert(
            (100, 1001),
            vec![
                doc::metafield(9, "variant", 1001, "mlm", "bv", "5"),
                doc::metafield(8, "variant", 1001, "mlm", "bv_rate", "0.1"),
            ],
        )
    });
    let parked = w.deliver(Work::Sku { id: 1, product_id: 100, variant_id: 1001, deleted: false }).await;
    assert_eq!(
        parked,
        Outcome::Parked("product 100 variant 1001 metafields mlm/bv, bv_rate: give one of them, not both".into())
    );
    assert_eq!(w.sync.ledger.store.parked().await.unwrap()[0].key, "product#100");
}

#[tokio::test]
async fn orders_are_attributed_valued_and_reversed() {
    let w = World::new().await;
    w.sync.resync_catalog().await.unwrap();

    // A distributor's own order (customer 10 carries mlm_distributor_id D2).
    w.order(500, 10, 11, &USD, "", &[(1, 1000, "VITA-30", 2, "46.0000")]);
    assert!(written(&w.deliver(Work::Order { id: 500 }).await));
    let o = w.stored(500).await;
    assert_eq!(
        (o.credited.as_deref(), o.category.as_str(), o.value.bv, o.value.pv),
        (Some("D2"), "distributor", dec("40"), dec("50"))
    );
    assert_eq!(w.earned("D1").await, vec![(Some(500), "unilevel".into(), dec("4.00"))]);
    // The same webhook again: nothing written.
    assert_eq!(w.deliver(Work::Order { id: 500 }).await, Outcome::Order(Applied::Unchanged));

    // A EUR order in the USD store by a retail customer referred by D1: 2 × 46.00 EUR at 0.92
    // EUR per USD is 100.00 USD, BV rate 0.5 on VITA-90 → 50.00, retail 20% → 20.00.
    let eur = Currencies { transactional: "EUR", store_default: "USD", rate: "0.9200000000" };
    w.order(501, 11, 11, &eur, "", &[(1, 1001, "VITA-90", 2, "46.0000")]);
    assert!(written(&w.deliver(Work::Order { id: 501 }).await));
    let o = w.stored(501).await;
    assert_eq!((o.credited.as_deref(), o.category.as_str()), (Some("D1"), "retail"));
    assert_eq!((o.value.net, o.value.bv, o.value.pv), (dec("100.00"), dec("50.00"), dec("20")));
    assert!(w.earned("D1").await.contains(&(Some(501), "retail".into(), dec("20.00"))));

    // A partial refund of one unit of order 500 (status Partially Refunded).
    w.bc.with(|r| r.refunds.insert(500, vec![doc::refund(7, 500, "2026-11-10T00:00:00+00:00", &[(1, 1)])]));
    w.set_status(500, 14, "Tue, 10 Nov 2026 00:00:00 +0000");
    assert!(written(&w.deliver(Work::Order { id: 500 }).await));
    assert_eq!(w.stored(500).await.value.bv, dec("20"));
    assert_eq!(w.earned("D1").await[0], (Some(500), "unilevel".into(), dec("2.00")));

    // Cancelled: everything left is reversed.
    w.set_status(501, 5, "Wed, 11 Nov 2026 00:00:00 +0000");
    assert!(written(&w.deliver(Work::Order { id: 501 }).await));
    let o = w.stored(501).await;
    assert!(matches!(o.snapshot.status, OrderStatus::Cancelled { .. }));
    assert_eq!(o.value.net, Decimal::ZERO);
    assert!(!w.earned("D1").await.iter().any(|l| l.0 == Some(501)));

    // Disputed: counts for nothing until resolved; paid again: counts again.
    w.set_status(500, 13, "Thu, 12 Nov 2026 00:00:00 +0000");
    w.deliver(Work::Order { id: 500 }).await;
    assert!(w.earned("D1").await.is_empty());
    w.set_status(500, 14, "Fri, 13 Nov 2026 00:00:00 +0000");
    w.deliver(Work::Order { id: 500 }).await;
    assert_eq!(w.earned("D1").await, vec![(Some(500), "unilevel".into(), dec("2.00"))]);
}

#[tokio::test]
async fn guests_are_attributed_by_metafield_or_cart_even_when_the_cart_is_late() {
    let w = World::new().await;
    w.sync.resync_catalog().await.unwrap();
    // The order's mlm/referrer metafield.
    w.order(600, 0, 11, &USD, "", &[(1, 1000, "VITA-30", 1, "50.0000")]);
    w.bc.with(|r| r.order_metafields.insert(600, vec![doc::metafield(5, "order", 600, "mlm", "referrer", "D2")]));
    w.deliver(Work::Order { id: 600 }).await;
    assert_eq!(
        (w.stored(600).await.credited.as_deref(), w.stored(600).await.category.as_str()),
        (Some("D2"), "retail")
    );

    // The replicated site attributes the cart before checkout.
    assert!(w.sync.attribute_cart("cart-9", "D1").await.unwrap().is_ok());
    w.order(601, 0, 11, &USD, "cart-9", &[(1, 1000, "VITA-30", 1, "50.0000")]);
    w.deliver(Work::Order { id: 601 }).await;
    assert_eq!(w.stored(601).await.credited.as_deref(), Some("D1"));

    // The order first (a house order), the attribution late: the order is reconciled again.
    w.order(602, 0, 11, &USD, "cart-10", &[(1, 1000, "VITA-30", 1, "50.0000")]);
    w.deliver(Work::Order { id: 602 }).await;
    assert_eq!(w.stored(602).await.category, "house");
    let late = w.sync.attribute_cart("cart-10", "D2").await.unwrap().unwrap();
    assert!(written(&late), "{late:?}");
    assert_eq!(
        (w.stored(602).await.credited.as_deref(), w.stored(602).await.category.as_str()),
        (Some("D2"), "retail")
    );

    // Bad attributions are refused with the field named; a cart keeps its first referrer.
    let e = w.sync.attribute_cart("cart-11", "NOBODY").await.unwrap().unwrap_err();
    assert_eq!(e.to_string(), "referrer: \"NOBODY\" is not an enrolled distributor");
    let e = w.sync.attribute_cart("cart-9", "D2").await.unwrap().unwrap_err();
    assert_eq!(e.to_string(), "cart_id: is already attributed to \"D1\"");
    assert_eq!(w.sync.attribute_cart("", "D2").await.unwrap().unwrap_err().field, "cart_id");
}

#[tokio::test]
async fn one_person_never_becomes_two_parties() {
    let w = World::new().await;
    w.sync.resync_catalog().await.unwrap();
    assert_eq!(
        w.deliver(Work::Customer { id: 10, deleted: false }).await,
        Outcome::Linked { customer: 10, party: "D2".into(), duplicate: false }
    );
    // Customer 12 has D2's e-mail (other case, blanks): a duplicate, credited to D2.
    assert_eq!(
        w.deliver(Work::Customer { id: 12, deleted: false }).await,
        Outcome::Linked { customer: 12, party: "D2".into(), duplicate: true }
    );
    w.order(700, 12, 11, &USD, "", &[(1, 1000, "VITA-30", 1, "50.0000")]);
    w.deliver(Work::Order { id: 700 }).await;
    assert_eq!(
        (w.stored(700).await.credited.as_deref(), w.stored(700).await.category.as_str()),
        (Some("D2"), "distributor")
    );
    let dups = w.sync.duplicates().await.unwrap();
    assert_eq!(
        (dups.len(), dups[0].customer, dups[0].existing_customer, dups[0].credited_to.as_str()),
        (1, 12, 10, "D2")
    );

    // A retail customer without a referrer buys (a house order), then enrolls as D3: its past
    // order keeps its history, its new orders are a distributor's.
    w.order(701, 13, 11, &USD, "", &[(1, 1000, "VITA-30", 1, "50.0000")]);
    w.deliver(Work::Order { id: 701 }).await;
    assert_eq!(
        (w.stored(701).await.snapshot.buyer.as_deref(), w.stored(701).await.category.as_str()),
        (Some("bc-13"), "house")
    );
    w.sync.ledger.enroll(&[distributor("D3", Some("D1"), 3, "sam@example.com")]).await.unwrap();
    assert_eq!(
        w.deliver(Work::Customer { id: 13, deleted: false }).await,
        Outcome::Linked { customer: 13, party: "D3".into(), duplicate: false }
    );
    w.set_status(701, 10, "Mon, 16 Nov 2026 00:00:00 +0000");
    w.deliver(Work::Order { id: 701 }).await;
    assert_eq!(w.stored(701).await.category, "house");
    w.order(702, 13, 11, &USD, "", &[(1, 1000, "VITA-30", 1, "50.0000")]);
    w.deliver(Work::Order { id: 702 }).await;
    assert_eq!(
        (w.stored(702).await.credited.as_deref(), w.stored(702).await.category.as_str()),
        (Some("D3"), "distributor")
    );

    // An attribute naming no distributor parks the account with the reason.
    w.bc.with(|r| r.customers.insert(14, doc::customer(14, "x@example.com", "X", &[(1, "D99")])));
    assert_eq!(
        w.deliver(Work::Customer { id: 14, deleted: false }).await,
        Outcome::Parked("customer 14: mlm_distributor_id \"D99\" is not an enrolled distributor".into())
    );
    // ... and so does an order of that account, reprocessed once the account is fixed.
    w.order(703, 14, 11, &USD, "", &[(1, 1000, "VITA-30", 1, "50.0000")]);
    assert!(matches!(w.deliver(Work::Order { id: 703 }).await, Outcome::Parked(_)));
    w.bc.with(|r| r.customers.insert(14, doc::customer(14, "x@example.com", "X", &[(1, "D1")])));
    w.deliver(Work::Customer { id: 14, deleted: false }).await;
    assert_eq!(w.stored(703).await.credited.as_deref(), Some("D1"));
    let left: Vec<String> = w.sync.ledger.store.parked().await.unwrap().into_iter().map(|p| p.key).collect();
    assert_eq!(left, ["customer#14"], "the order's entry is resolved");
}

#[tokio::test]
async fn unmapped_lines_park_the_order_until_the_mapping_arrives() {
    let w = World::new().await;
    w.sync.resync_catalog().await.unwrap();
    w.order(800, 10, 11, &USD, "", &[(1, 1000, "VITA-30", 1, "50.0000"), (2, 2000, "NEW-1", 1, "10.0000")]);
    let Outcome::Parked(reason) = w.deliver(Work::Order { id: 800 }).await else { panic!("not parked") };
    assert_eq!(
        reason,
        "order 800: needs attention: no BV/PV mapping for line 2 (product 200, variant 2000, SKU \"NEW-1\"); set \
         the variant's mlm metafields or run `mlm catalog set`, and the order is reprocessed"
    );
    assert!(w.sync.ledger.store.order(800).await.unwrap().is_none());
    // The product gets its volumes in BigCommerce: its webhook maps it and reprocesses the order.
    w.bc.with(|r| {
        r.products.insert(200, doc::product(200, "New", "NEW", "10.00", &[(2000, "NEW-1")]));
        r.variant_metafields.insert((200, 2000), vec![doc::metafield(6, "variant", 2000, "mlm", "bv", "5")]);
    });
    assert_eq!(
        w.deliver(Work::Product { id: 200, deleted: false }).await,
        Outcome::Catalog { mapped: 1, retired: 0, reprocessed: 1 }
    );
    assert_eq!(w.stored(800).await.value.bv, dec("25"));
    assert!(w.sync.ledger.store.parked().await.unwrap().is_empty());
}

#[tokio::test]
async fn volumes_written_back_and_deleted_products_retired() {
    let w = World::new().await;
    w.sync.resync_catalog().await.unwrap();
    w.order(900, 10, 11, &USD, "", &[(1, 1000, "VITA-30", 1, "50.0000")]);
    w.deliver(Work::Order { id: 900 }).await;

    let v = Volumes { bv: Some(dec("30")), bv_rate: None, pv: Some(dec("35")) };
    assert_eq!(
        w.sync.set_volumes("VITA-30", &v).await.unwrap().unwrap(),
        Outcome::Catalog { mapped: 1, retired: 0, reprocessed: 0 }
    );
    // Written to the variant's metafields in BigCommerce (updated in place, bv_rate cleared).
    let mf = w.bc.with(|r| r.variant_metafields[&(100, 1000)].clone());
    let value = |k: &str| mf.iter().find(|m| m["key"] == k).map(|m| m["value"].as_str().unwrap().to_string());
    assert_eq!(
        (value("bv"), value("pv"), value("bv_rate")),
        (Some("30".into()), Some("35".into()), Some("none".into()))
    );
    assert_eq!(mf.iter().filter(|m| m["key"] == "bv").count(), 1);
    let m = w.sync.ledger.store.mappings().await.unwrap();
    assert!(m.contains(&Mapping { sku: "VITA-30".into(), bv: Some(dec("30")), bv_rate: None, pv: Some(dec("35")) }));
    // The order already paid keeps the mapping that valued it.
    w.set_status(900, 10, "Mon, 16 Nov 2026 00:00:00 +0000");
    w.deliver(Work::Order { id: 900 }).await;
    assert_eq!(w.stored(900).await.value.bv, dec("20"));
    // Errors name the problem.
    let bad = w.sync.set_volumes("VITA-30", &Volumes { bv: Some(dec("-1")), ..Default::default() }).await.unwrap();
    assert_eq!(bad.unwrap_err(), "bv: must not be negative");
    let unknown = w.sync.set_volumes("NOPE", &Volumes::default()).await.unwrap().unwrap_err();
    assert!(unknown.starts_with("SKU \"NOPE\" is not a variant of the synced catalog"), "{unknown}");

    // A variant's SKU renamed in BigCommerce: the old SKU retires and no longer leads to the
    // variant, so setting its volumes cannot change the renamed one's.
    w.bc.with(|r| r.products.get_mut(&100).unwrap()["variants"][0]["sku"] = json!("VITA-30B"));
    assert_eq!(
        w.deliver(Work::Product { id: 100, deleted: false }).await,
        Outcome::Catalog { mapped: 1, retired: 1, reprocessed: 0 }
    );
    let renamed = w.sync.set_volumes("VITA-30", &Volumes { bv: Some(dec("1")), ..Default::default() }).await;
    assert!(renamed.unwrap().unwrap_err().starts_with("SKU \"VITA-30\" is not a variant"));
    let m = w.sync.ledger.store.mappings().await.unwrap();
    assert!(m.contains(&Mapping { sku: "VITA-30B".into(), bv: Some(dec("30")), bv_rate: None, pv: Some(dec("35")) }));
    assert!(!m.iter().any(|m| m.sku == "VITA-30"), "{m:?}");
    // A SKU moved to another product, whose event is processed first (products are separate
    // FIFO groups): the old product's update neither retires its mapping nor its index entry.
    w.bc.with(|r| {
        r.products.insert(300, doc::product(300, "Vita big", "VITA-BIG", "80.00", &[(3001, "VITA-90")]));
        r.variant_metafields.insert((300, 3001), vec![doc::metafield(9, "variant", 3001, "mlm", "bv", "7")]);
        r.products.get_mut(&100).unwrap()["variants"].as_array_mut().unwrap().retain(|v| v["id"] != 1001);
    });
    assert_eq!(
        w.deliver(Work::Product { id: 300, deleted: false }).await,
        Outcome::Catalog { mapped: 1, retired: 0, reprocessed: 0 }
    );
    assert_eq!(
        w.deliver(Work::Product { id: 100, deleted: false }).await,
        Outcome::Catalog { mapped: 0, retired: 0, reprocessed: 0 }
    );
    let moved = Mapping { sku: "VITA-90".into(), bv: Some(dec("7")), bv_rate: None, pv: None };
    assert!(w.sync.ledger.store.mappings().await.unwrap().contains(&moved));
    let v90 = Volumes { bv: Some(dec("8")), bv_rate: None, pv: None };
    assert!(w.sync.set_volumes("VITA-90", &v90).await.unwrap().is_ok());
    let mf = w.bc.with(|r| r.variant_metafields[&(300, 3001)].clone());
    assert!(mf.iter().any(|m| m["key"] == "bv" && m["value"] == "8"), "{mf:?}");

    // Deleted in BigCommerce: its mappings retire; a refund of the old order still reverses
    // exactly what it paid.
    w.bc.with(|r| r.products.remove(&100));
    assert_eq!(
        w.deliver(Work::Product { id: 100, deleted: true }).await,
        Outcome::Catalog { mapped: 0, retired: 2, reprocessed: 0 }
    );
    let left = w.sync.ledger.store.mappings().await.unwrap();
    assert!(left.iter().all(|m| m.sku == "VITA-90"), "only product 300's mapping is left: {left:?}");
    assert!(w.sync.ledger.store.doc("retired", "VITA-30").await.unwrap().is_some());
    w.set_status(900, 4, "Tue, 17 Nov 2026 00:00:00 +0000");
    assert!(written(&w.deliver(Work::Order { id: 900 }).await));
    assert_eq!(w.stored(900).await.value.bv, Decimal::ZERO);
}

#[tokio::test]
async fn webhooks_are_registered_idempotently() {
    let w = World::new().await;
    w.bc.with(|r| {
        r.hooks.insert(1, json!({ "id": 1, "client_id": "c", "store_hash": "store1", "scope": "store/order/created",
            "destination": "https://old.example.com/hook", "is_active": true, "created_at": 1, "updated_at": 1, "headers": null }));
    });
    let first = register_webhooks(&w.sync.commerce, "https://mlm.example.com/webhooks/bigcommerce").await.unwrap();
    assert_eq!(
        (first.created.len(), first.updated, first.unchanged.len()),
        (13, vec!["store/order/created".to_string()], 0)
    );
    let again = register_webhooks(&w.sync.commerce, "https://mlm.example.com/webhooks/bigcommerce").await.unwrap();
    assert_eq!((again.created.len(), again.updated.len(), again.unchanged.len()), (0, 0, 14));
    let hooks = w.bc.with(|r| r.hooks.values().cloned().collect::<Vec<_>>());
    assert_eq!(hooks.len(), 14);
    assert!(hooks
        .iter()
        .all(|h| h["destination"] == "https://mlm.example.com/webhooks/bigcommerce" && h["is_active"] == true));
}

#[tokio::test]
async fn transient_store_front_errors_are_retried_then_reported() {
    let w = World::new().await;
    w.sync.resync_catalog().await.unwrap();
    w.order(950, 10, 11, &USD, "", &[(1, 1000, "VITA-30", 1, "50.0000")]);
    w.bc.with(|r| r.faults.extend([Fault::Status(503), Fault::RateLimited { reset_ms: 10 }]));
    assert!(written(&w.deliver(Work::Order { id: 950 }).await));
    // Still failing after the retries: an error for the queue to redeliver, nothing parked.
    let attempts = RetryPolicy::default().attempts as usize;
    w.bc.with(|r| r.faults.extend(std::iter::repeat_n(Fault::Status(500), attempts)));
    let m = Message { work: Work::Order { id: 950 }, scope: "t".into(), webhook_id: "w".into(), created_at: None };
    let e = w.sync.handle(&m).await.unwrap_err();
    assert!(e.to_string().contains("HTTP 500"), "{e}");
    assert!(w.sync.ledger.store.parked().await.unwrap().is_empty());
    // An order BigCommerce does not have is parked with the reason.
    assert_eq!(
        w.deliver(Work::Order { id: 404 }).await,
        Outcome::Parked("order 404: BigCommerce has no such order".into())
    );
}
