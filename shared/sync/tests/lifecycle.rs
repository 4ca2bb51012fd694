//! The integration the way a store lives: a slow BigCommerce read that lands after a newer
//! one, a queue message parked during an outage and reprocessed, a distributor's account linked
//! by the customer id it was imported with, and a retail account nobody is credited for.

use async_trait::async_trait;
use mlm_bigcommerce::api::{Webhook, WebhookCreate, WebhookUpdate};
use mlm_bigcommerce::client::{ApiError, Client, RetryPolicy};
use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::events::{Message, Work};
use mlm_bigcommerce::standin::StandIn;
use mlm_ledger::model::{DistributorRecord, Parked};
use mlm_ledger::port::Store;
use mlm_ledger::service::{Applied, Ledger};
use mlm_store_sqlite::SqliteStore;
use mlm_sync::commerce::{BigCommerce, Commerce, CustomerFacts, OrderFacts, ProductFacts};
use mlm_sync::orders::Reprocess;
use mlm_sync::{Outcome, Sync};
use rust_decimal::Decimal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const PLAN: &str = "{id: acme, version: 1, currency: USD, period: month, unilevel: {rates: ['0.1']}}";
const NOV3: &str = "Tue, 03 Nov 2026 10:00:00 +0000";

/// The store front, with reads of orders that can be made slow: the order is read at once and
/// handed back 400 ms later, as a slow BigCommerce answer would be.
struct Slow {
    inner: BigCommerce,
    slow: AtomicBool,
}

#[async_trait]
impl Commerce for Slow {
    async fn order(&self, id: i64) -> Result<Option<OrderFacts>, ApiError> {
        let facts = self.inner.order(id).await?;
        if self.slow.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        Ok(facts)
    }
    async fn customer(&self, id: i64) -> Result<Option<CustomerFacts>, ApiError> {
        self.inner.customer(id).await
    }
    async fn product(&self, id: i64) -> Result<Option<ProductFacts>, ApiError> {
        self.inner.product(id).await
    }
    async fn products(&self) -> Result<Vec<ProductFacts>, ApiError> {
        self.inner.products().await
    }
    async fn set_variant_metafields(&self, p: i64, v: i64, values: &[(&str, String)]) -> Result<(), ApiError> {
        self.inner.set_variant_metafields(p, v, values).await
    }
    async fn hooks(&self) -> Result<Vec<Webhook>, ApiError> {
        self.inner.hooks().await
    }
    async fn create_hook(&self, h: &WebhookCreate) -> Result<Webhook, ApiError> {
        self.inner.create_hook(h).await
    }
    async fn update_hook(&self, id: i64, h: &WebhookUpdate) -> Result<Webhook, ApiError> {
        self.inner.update_hook(id, h).await
    }
}

type Shared = Arc<SqliteStore>;

struct World {
    bc: StandIn,
    store: Shared,
}

impl World {
    async fn new(people: &[DistributorRecord]) -> World {
        let bc = StandIn::start("store1", "tok").await.unwrap();
        let store = Arc::new(SqliteStore::in_memory().unwrap());
        let ledger = Ledger::new(store.clone());
        ledger.set_plan(PLAN, None).await.unwrap();
        ledger.enroll(people).await.unwrap();
        bc.with(|r| {
            r.customer_attributes =
                vec![doc::customer_attribute(1, "mlm_distributor_id"), doc::customer_attribute(2, "mlm_referrer")];
            r.products.insert(100, doc::product(100, "Vita", "VITA", "46.00", &[(1000, "VITA-30")]));
            r.variant_metafields.insert((100, 1000), vec![doc::metafield(1, "variant", 1000, "mlm", "bv", "21")]);
            r.customers.insert(2, doc::customer(2, "d@example.com", "Dee", &[]));
        });
        let w = World { bc, store };
        w.sync(false).resync_catalog().await.unwrap();
        w
    }

    fn sync(&self, slow: bool) -> Sync<Shared, Slow> {
        let policy =
            RetryPolicy { backoff: Duration::from_millis(5), timeout: Duration::from_secs(5), ..Default::default() };
        let client = Client::new(&self.bc.base_url(), "store1", "tok", policy);
        let commerce = Slow { inner: BigCommerce::new(client), slow: AtomicBool::new(slow) };
        Sync::new(Ledger::new(self.store.clone()), commerce)
    }

    /// Order `id` by `customer`, `quantity` units of VITA-30 at 46.00 (21 BV each).
    fn order(&self, id: i64, customer: i64, quantity: i64) {
        self.bc.with(|r| {
            r.orders.insert(id, doc::order(id, customer, 11, NOV3, &Currencies::single("USD"), ""));
            r.order_products.insert(id, vec![doc::order_product(1, id, 100, 1000, "VITA-30", quantity, "46.0000", "")]);
        });
    }
}

fn person(id: &str, sponsor: Option<&str>, email: &str, customer: Option<i64>) -> DistributorRecord {
    DistributorRecord {
        id: id.into(),
        sponsor: sponsor.map(Into::into),
        joined_at: 0,
        email: Some(email.into()),
        bigcommerce_customer_id: customer,
        placement: None,
        upline: vec![],
        matrix_upline: vec![],
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Ten orders, each read slowly before a refund and processed after the refund's own (fast)
/// read was written: every order ends refunded, none keeps commission on the refunded unit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_read_never_overwrites_a_newer_refund() {
    let w =
        World::new(&[person("UP", None, "up@example.com", Some(1)), person("D", Some("UP"), "d@example.com", Some(2))])
            .await;
    let (slow, fast) = (Arc::new(w.sync(true)), w.sync(false));
    let mut stale = 0;
    for id in 800..810 {
        w.order(id, 2, 2);
        // The order as first delivered (fast).
        assert!(matches!(fast.order(id).await.unwrap(), Outcome::Order(Applied::Written { .. })));
        // A second delivery starts reading, slowly; meanwhile a unit is refunded and the refund's
        // webhook is processed at once.
        let slow_read = tokio::spawn({
            let slow = slow.clone();
            async move { slow.order(id).await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        w.bc.with(|r| {
            r.refunds.insert(id, vec![doc::refund(id, id, "2026-11-10T00:00:00+00:00", &[(1, 1)])]);
            let o = r.orders.get_mut(&id).unwrap();
            o["status_id"] = 14.into();
            o["date_modified"] = "Tue, 10 Nov 2026 00:00:00 +0000".into();
        });
        assert!(matches!(fast.order(id).await.unwrap(), Outcome::Order(Applied::Written { .. })));
        match slow_read.await.unwrap() {
            Outcome::Order(Applied::Stale(_)) => stale += 1,
            other => panic!("order {id}: the slow, older read was taken: {other:?}"),
        }
        let o = w.store.order(id).await.unwrap().unwrap();
        assert_eq!(o.value.bv, dec("21"), "order {id} must keep its refund");
    }
    assert_eq!(stale, 10);
    // 10 orders × 21 BV × 10 % for UP, nothing on the refunded units.
    let up: Decimal = w.store.lines("2026-11", "UP").await.unwrap().iter().map(|l| l.amount).sum();
    assert_eq!(up, dec("21.00"));
}

/// An acknowledged webhook whose processing failed every attempt (BigCommerce down) is parked
/// as `message#<webhook-id>` and is retried by reprocessing, like any other entry.
#[tokio::test]
async fn a_parked_message_is_reprocessed() {
    let w =
        World::new(&[person("UP", None, "up@example.com", None), person("D", Some("UP"), "d@example.com", Some(2))])
            .await;
    w.order(900, 2, 1);
    let sync = w.sync(false);
    let m = Message {
        work: Work::Order { id: 900 },
        scope: "store/order/created".into(),
        webhook_id: "wh-9".into(),
        created_at: None,
    };
    let parked = Parked {
        key: "message#wh-9".into(),
        source: "commission queue".into(),
        reason: "failed 5 times: BigCommerce: HTTP 500".into(),
        payload: serde_json::to_string(&m).unwrap(),
    };
    w.store.park(&parked).await.unwrap();
    // An unreadable message stays parked (nothing to retry) until dismissed.
    w.store.park(&Parked { key: "message#wh-x".into(), payload: "{not json".into(), ..parked.clone() }).await.unwrap();
    assert_eq!(sync.reprocess_parked(Reprocess::All).await.unwrap(), 1);
    assert!(w.store.order(900).await.unwrap().is_some());
    let left: Vec<String> = w.store.parked().await.unwrap().into_iter().map(|p| p.key).collect();
    assert_eq!(left, ["message#wh-x"]);
    sync.ledger.dismiss_parked("message#wh-x", "admin", "2026-12-06T00:00:00Z").await.unwrap().unwrap();
    assert!(w.store.parked().await.unwrap().is_empty());
}

/// A distributor imported with its BigCommerce customer id is linked by it, though its account
/// has neither the attribute nor the e-mail; a retail account with no referrer whose order names
/// none either is flagged for an admin.
#[tokio::test]
async fn accounts_link_by_the_imported_customer_id_and_unattributed_ones_are_flagged() {
    let w =
        World::new(&[person("UP", None, "up@example.com", None), person("D", Some("UP"), "d@example.com", Some(31))])
            .await;
    w.bc.with(|r| {
        r.customers.insert(31, doc::customer(31, "another.address@example.com", "Dee", &[]));
        r.customers.insert(32, doc::customer(32, "walk.in@example.com", "Walk-in", &[]));
    });
    w.order(950, 31, 1);
    w.order(951, 32, 1);
    let sync = w.sync(false);
    sync.order(950).await.unwrap();
    sync.order(951).await.unwrap();
    let o = w.store.order(950).await.unwrap().unwrap();
    assert_eq!((o.credited.as_deref(), o.category.as_str()), (Some("D"), "distributor"));
    let flagged = sync.unattributed().await.unwrap();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!((flagged[0].customer, flagged[0].orders.as_slice()), (32, &[951][..]));
    assert!(flagged[0].reason.contains("links to no distributor"), "{}", flagged[0].reason);
    // The house order is still recorded; it pays nobody.
    assert_eq!(w.store.order(951).await.unwrap().unwrap().category, "house");
}
