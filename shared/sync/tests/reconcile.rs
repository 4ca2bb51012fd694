//! `reconcile` against the local BigCommerce stand-in: a store whose webhooks were partly lost
//! ends with exactly the ledger a complete delivery gives; months of history before go-live,
//! back-filled, close to the statements of `mlm simulate` of the same business; a deactivated
//! hook is re-enabled and a missing one reported; an interrupted run resumes from its watermark.

use async_trait::async_trait;
use mlm_bigcommerce::api::{Order, Webhook, WebhookCreate, WebhookUpdate};
use mlm_bigcommerce::client::{ApiError, Client, RetryPolicy};
use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::events::SCOPES;
use mlm_bigcommerce::standin::StandIn;
use mlm_engine::period::Timestamp;
use mlm_engine::scenario::{RefundWhat, Scenario};
use mlm_engine::Run;
use mlm_ledger::port::Store;
use mlm_ledger::service::Ledger;
use mlm_store_sqlite::SqliteStore;
use mlm_sync::commerce::{BigCommerce, Commerce, CustomerFacts, OrderFacts, ProductFacts};
use mlm_sync::reconcile::{Options, ReconcileError};
use mlm_sync::Sync;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const SEC: i64 = 1_000_000_000;

/// A generated business (every plan section on), its timestamps whole seconds as BigCommerce
/// dates carry them.
fn business(orders: usize) -> Scenario {
    let p = mlm_scenario_gen::Params { distributors: 30, orders, seed: 11, months: 3, refund_percent: 15 };
    let mut sc = mlm_scenario_gen::generate(&p);
    for o in &mut sc.orders {
        o.placed_at = Timestamp(o.placed_at.0.div_euclid(SEC) * SEC);
    }
    for r in &mut sc.refunds {
        r.at = Timestamp((r.at.0 + SEC - 1).div_euclid(SEC) * SEC);
    }
    sc
}

fn rfc2822(t: i64) -> String {
    chrono::DateTime::from_timestamp(t / SEC, 0).unwrap().to_rfc2822()
}

/// BigCommerce customer ids: distributor `D7` is 7, retail customer `C7` is 10 007.
fn customer_id(party: &str) -> i64 {
    match party.split_at(1) {
        ("D", n) => n.parse().unwrap(),
        ("C", n) => 10_000 + n.parse::<i64>().unwrap(),
        _ => panic!("{party}"),
    }
}

/// The store the business runs on; `event(i)` makes the i-th change (an order placed, then a
/// refund) happen in it, in time order, and names the order it touched.
struct Shop {
    bc: StandIn,
    sc: Scenario,
    events: Vec<(i64, Event)>,
    refunded: std::sync::Mutex<HashMap<i64, Vec<i64>>>,
}

#[derive(Clone, Copy)]
enum Event {
    Placed(usize),
    Refund(usize),
}

impl Shop {
    async fn new(sc: Scenario) -> Shop {
        let bc = StandIn::start("s1", "t1").await.unwrap();
        bc.with(|r| {
            r.customer_attributes =
                vec![doc::customer_attribute(1, "mlm_distributor_id"), doc::customer_attribute(2, "mlm_referrer")];
            for d in &sc.distributors {
                let id = customer_id(&d.id);
                let email = format!("{}@example.com", d.id.to_lowercase());
                r.customers.insert(id, doc::customer(id, &email, &d.id, &[(1, &d.id)]));
            }
            for c in &sc.customers {
                let id = customer_id(&c.id);
                let email = format!("{}@example.com", c.id.to_lowercase());
                let attrs: Vec<(i64, &str)> = c.referrer.iter().map(|r| (2, r.as_str())).collect();
                r.customers.insert(id, doc::customer(id, &email, &c.id, &attrs));
            }
        });
        let mut events: Vec<(i64, Event)> =
            sc.orders.iter().enumerate().map(|(i, o)| (o.placed_at.0, Event::Placed(i))).collect();
        events.extend(sc.refunds.iter().enumerate().map(|(i, r)| (r.at.0, Event::Refund(i))));
        events.sort_by_key(|(t, e)| (*t, matches!(e, Event::Refund(_))));
        Shop { bc, sc, events, refunded: Default::default() }
    }

    fn client(&self) -> BigCommerce {
        let policy =
            RetryPolicy { backoff: Duration::from_millis(5), timeout: Duration::from_secs(5), ..Default::default() };
        BigCommerce::new(Client::new(&self.bc.base_url(), "s1", "t1", policy))
    }

    /// A ledger with the business's plan, network and catalog (what go-live imports).
    async fn ledger(&self) -> Ledger<SqliteStore> {
        let ledger = Ledger::new(SqliteStore::in_memory().unwrap());
        let mut seed = self.sc.clone();
        seed.customers.clear(); // retail customers come from the store's accounts
        ledger.seed(&seed).await.unwrap();
        ledger
    }

    fn event(&self, i: usize) -> i64 {
        match self.events[i].1 {
            Event::Placed(k) => {
                let o = &self.sc.orders[k];
                let cur = match (&o.currency, &o.exchange_rate) {
                    (Some(c), Some(x)) => (c.clone(), x.to_string()),
                    _ => ("USD".to_string(), "1.0000000000".to_string()),
                };
                let cur = Currencies { transactional: &cur.0, store_default: "USD", rate: &cur.1 };
                let customer = o.buyer.as_deref().map_or(0, customer_id);
                let order = doc::order(o.id, customer, 10, &rfc2822(o.placed_at.0), &cur, "");
                let lines: Vec<Value> = o
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(j, l)| {
                        let line = o.id * 10 + j as i64;
                        let q = i64::from(l.quantity);
                        doc::order_product(line, o.id, 1, 0, &l.sku, q, &l.unit_price.to_string(), "")
                    })
                    .collect();
                self.bc.with(|r| {
                    r.orders.insert(o.id, order);
                    r.order_products.insert(o.id, lines);
                    if let (None, Some(referrer)) = (&o.buyer, &o.referrer) {
                        r.order_metafields
                            .insert(o.id, vec![doc::metafield(o.id, "order", o.id, "mlm", "referrer", referrer)]);
                    }
                });
                o.id
            }
            Event::Refund(k) => {
                let rf = &self.sc.refunds[k];
                let o = self.sc.orders.iter().find(|o| o.id == rf.order).unwrap();
                let modified = rfc2822(rf.at.0);
                match &rf.what {
                    // Refunded in full: BigCommerce's status Refunded, as of the change.
                    RefundWhat::Full => self.bc.with(|r| {
                        let doc = r.orders.get_mut(&o.id).unwrap();
                        doc["status_id"] = json!(4);
                        doc["status"] = json!("Refunded");
                        doc["date_modified"] = json!(modified);
                    }),
                    // By quantity: taken from the SKU's lines in line order.
                    RefundWhat::Lines(want) => {
                        let mut done = self.refunded.lock().unwrap();
                        let done = done.entry(o.id).or_insert_with(|| vec![0; o.lines.len()]);
                        let mut items = Vec::new();
                        for w in want {
                            let mut q = i64::from(w.quantity);
                            for (j, l) in o.lines.iter().enumerate().filter(|(_, l)| l.sku == w.sku) {
                                let take = q.min(i64::from(l.quantity) - done[j]);
                                if take > 0 {
                                    items.push((o.id * 10 + j as i64, take));
                                    done[j] += take;
                                    q -= take;
                                }
                            }
                        }
                        let at = Timestamp(rf.at.0).to_rfc3339();
                        self.bc.with(|r| {
                            r.refunds.entry(o.id).or_default().push(doc::refund(k as i64 + 1, o.id, &at, &items));
                            let doc = r.orders.get_mut(&o.id).unwrap();
                            doc["status_id"] = json!(14);
                            doc["status"] = json!("Partially Refunded");
                            doc["date_modified"] = json!(modified);
                        });
                    }
                }
                o.id
            }
        }
    }
}

/// Closes every period of the run and answers each period's statement entry.
async fn close_all<S: Store>(ledger: &Ledger<S>, last: &str) -> Vec<Value> {
    ledger.close_period(last).await.unwrap();
    let mut out = Vec::new();
    for p in ledger.store.closed_periods().await.unwrap() {
        let doc: Value = serde_json::from_str(&ledger.statement(&p).await.unwrap().unwrap()).unwrap();
        out.push(doc["periods"][0].clone());
    }
    out
}

/// `mlm simulate`'s statements of the same business.
fn simulated(sc: &Scenario) -> (Vec<Value>, String) {
    let run = Run::prepare(sc.clone()).unwrap();
    let explain = run.explain();
    let mut out = Vec::new();
    run.close_all(|st| {
        let mut buf = Vec::new();
        explain.write_period(&mut buf, st).unwrap();
        out.push(serde_json::from_slice(&buf).unwrap());
        true
    });
    let last = run.periods().last().unwrap().to_string();
    (out, last)
}

/// How many of `ids` the two ledgers hold differently.
async fn differing(a: &SqliteStore, b: &SqliteStore, ids: &[i64]) -> usize {
    let mut n = 0;
    for &id in ids {
        if a.order(id).await.unwrap().map(|o| o.snapshot) != b.order(id).await.unwrap().map(|o| o.snapshot) {
            n += 1;
        }
    }
    n
}

fn since(t: &str) -> Options {
    Options { since: Some(Timestamp::parse(t).unwrap()), page_size: 50, ..Options::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_with_a_third_of_its_webhooks_lost_ends_with_the_complete_ledger() {
    let shop = Shop::new(business(150)).await;
    let complete = Sync::new(shop.ledger().await, shop.client());
    let lossy = Sync::new(shop.ledger().await, shop.client());
    let mut lost = 0;
    for i in 0..shop.events.len() {
        let id = shop.event(i);
        complete.order(id).await.unwrap();
        if i % 3 == 2 {
            lost += 1;
        } else {
            lossy.order(id).await.unwrap();
        }
    }
    assert!(lost > 50, "{lost} deliveries lost");
    let ids: Vec<i64> = shop.sc.orders.iter().map(|o| o.id).collect();
    assert!(
        differing(&complete.ledger.store, &lossy.ledger.store, &ids).await > 30,
        "the lost deliveries show in the ledger"
    );

    let mut seen = 0;
    let r = lossy.reconcile(&since("2025-12-01T00:00:00Z"), &mut |p| seen = p.reconciled).await.unwrap();
    assert_eq!((r.reconciled, seen), (ids.len(), ids.len()));
    assert!(r.parked.is_empty(), "{:?}", r.parked);
    assert_eq!(r.written.len() + r.unchanged, ids.len());
    assert!(r.written.len() >= 40, "{} written", r.written.len());
    assert_eq!(differing(&complete.ledger.store, &lossy.ledger.store, &ids).await, 0);
    let last = shop.sc.refunds.iter().map(|r| r.at.0).chain(shop.sc.orders.iter().map(|o| o.placed_at.0)).max();
    assert_eq!(r.watermark, Timestamp(last.unwrap()).to_rfc3339(), "the newest modification, not the clock");

    // Again, from the watermark: nothing left to write.
    let again = lossy.reconcile(&Options { page_size: 50, ..Options::default() }, &mut |_| {}).await.unwrap();
    assert!(again.written.is_empty(), "{:?}", again.written);
    assert_eq!(again.from, r.watermark);

    let (_, last) = simulated(&shop.sc);
    assert_eq!(close_all(&lossy.ledger, &last).await, close_all(&complete.ledger, &last).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn months_of_history_back_filled_close_to_the_simulated_statements() {
    let shop = Shop::new(business(200)).await;
    for i in 0..shop.events.len() {
        shop.event(i);
    }
    let sync = Sync::new(shop.ledger().await, shop.client());
    // Before any reconcile, there is no watermark to start from: the error says what to run.
    let e = sync.reconcile(&Options::default(), &mut |_| {}).await.unwrap_err();
    assert!(matches!(e, ReconcileError::NoWatermark), "{e}");
    assert!(e.to_string().contains("mlm reconcile --since"), "{e}");

    let r = sync.reconcile(&since("2026-01-01T00:00:00Z"), &mut |_| {}).await.unwrap();
    assert_eq!((r.written.len(), r.parked.len()), (200, 0), "{:?}", r.parked);
    // Listed page by page (50 a page), oldest modification first, from the watermark only.
    let lists: Vec<String> = shop.bc.requests().into_iter().filter(|q| q.contains("/v2/orders?")).collect();
    assert!(lists.len() >= 4, "{lists:?}");
    assert!(lists.iter().all(|q| q.contains("sort=date_modified:asc") && !q.contains("max_date")), "{lists:?}");

    let (want, last) = simulated(&shop.sc);
    assert!(want.len() >= 3, "months of history: {} periods", want.len());
    let got = close_all(&sync.ledger, &last).await;
    assert_eq!(got.len(), want.len());
    // A business worth comparing: sales, commissions and clawbacks of late refunds.
    let sum = |field: &str| -> f64 {
        want.iter().map(|p| p["company"][field].as_str().unwrap().parse::<f64>().unwrap()).sum()
    };
    assert!(sum("sales") > 10_000.0 && sum("commissions") > 500.0, "{} {}", sum("sales"), sum("commissions"));
    let clawbacks =
        want.iter().flat_map(|p| p["distributors"].as_array().unwrap()).filter(|d| d["earnings"]["clawback"] != "0.00");
    assert!(clawbacks.count() > 0);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "period {}", w["period"]);
    }
}

#[tokio::test]
async fn a_deactivated_hook_is_re_enabled_and_a_missing_one_reported() {
    let shop = Shop::new(business(1)).await;
    let sync = Sync::new(shop.ledger().await, shop.client());
    let dest = "https://mlm.example.com/webhooks/bigcommerce";
    mlm_sync::commerce::register_webhooks(&sync.commerce, dest).await.unwrap();
    // BigCommerce deactivated one hook after failed deliveries; another was deleted.
    let (off, gone) = shop.bc.with(|r| {
        let off = *r.hooks.iter().find(|(_, h)| h["scope"] == "store/order/created").unwrap().0;
        r.hooks.get_mut(&off).unwrap()["is_active"] = json!(false);
        let gone = *r.hooks.iter().find(|(_, h)| h["scope"] == "store/customer/updated").unwrap().0;
        r.hooks.remove(&gone);
        (off, gone)
    });
    let inactive: Vec<Webhook> = shop.client_hooks(false).await;
    assert_eq!(inactive.iter().map(|h| h.id).collect::<Vec<_>>(), [off]);

    // Without the destination, the missing hook can only be reported.
    let c = sync.check_hooks(None).await.unwrap();
    assert_eq!(c.reenabled, ["store/order/created"]);
    assert_eq!(c.failed.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["store/customer/updated"]);
    assert!(c.failed[0].1.contains("mlm register-webhooks --destination"), "{:?}", c.failed);
    assert_eq!(c.active.len(), SCOPES.len() - 2);
    assert_eq!(shop.bc.with(|r| r.hooks[&off]["is_active"].clone()), json!(true));
    assert!(shop.client_hooks(false).await.is_empty());

    // With it, reconcile creates the missing one; then everything is active.
    let opts = Options { destination: Some(dest.into()), ..since("2026-01-01T00:00:00Z") };
    let r = sync.reconcile(&opts, &mut |_| {}).await.unwrap();
    assert_eq!(r.hooks.created, ["store/customer/updated"]);
    assert!(!r.needs_attention());
    assert!(shop.bc.with(|r| !r.hooks.contains_key(&gone)));
    let r = sync.reconcile(&opts, &mut |_| {}).await.unwrap();
    assert_eq!(r.hooks.active.len(), SCOPES.len());
}

impl Shop {
    async fn client_hooks(&self, active: bool) -> Vec<Webhook> {
        let c = Client::new(&self.bc.base_url(), "s1", "t1", RetryPolicy::default());
        c.get_all_v3(&format!("v3/hooks?is_active={active}"), 250).await.unwrap()
    }
}

/// The store front, failing once on one order (the store unreachable mid-run).
struct Flaky {
    inner: BigCommerce,
    fail_on: i64,
    calls: AtomicUsize,
    failed: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Commerce for Flaky {
    async fn order(&self, id: i64) -> Result<Option<OrderFacts>, ApiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if id == self.fail_on && !self.failed.swap(true, Ordering::SeqCst) {
            return Err(ApiError::Transport {
                call: format!("GET v2/orders/{id}"),
                message: "connection reset".into(),
            });
        }
        self.inner.order(id).await
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
    async fn orders_modified_since(&self, since: &str, page: u32, limit: u32) -> Result<Vec<Order>, ApiError> {
        self.inner.orders_modified_since(since, page, limit).await
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_reconcile_resumes_from_the_last_complete_page() {
    let shop = Shop::new(business(60)).await;
    for i in 0..shop.events.len() {
        shop.event(i);
    }
    // The 35th order (by modification) fails: pages 1-3 of 10 are done.
    let mut by_modified: Vec<(i64, i64)> = shop.bc.with(|r| {
        r.orders
            .values()
            .map(|o| {
                let t = mlm_bigcommerce::api::rfc2822_to_unix_nanos(o["date_modified"].as_str().unwrap()).unwrap();
                (t, o["id"].as_i64().unwrap())
            })
            .collect()
    });
    by_modified.sort();
    let flaky = Arc::new(Flaky {
        inner: shop.client(),
        fail_on: by_modified[34].1,
        calls: AtomicUsize::new(0),
        failed: Default::default(),
    });
    let sync = Sync::new(shop.ledger().await, flaky.clone());
    let opts = Options { page_size: 10, ..since("2026-01-01T00:00:00Z") };
    let e = sync.reconcile(&opts, &mut |_| {}).await.unwrap_err();
    assert!(e.to_string().contains("connection reset"), "{e}");
    // The watermark is the last order of the last complete page (pages overlap by a second).
    let mark = sync.watermark().await.unwrap().unwrap().0;
    let done = by_modified.iter().position(|(t, _)| *t == mark).expect("an order's own date_modified");
    assert!((20..34).contains(&done), "watermark at order {done}");

    // The next run starts there (no --since): only the rest is read again.
    let before = flaky.calls.load(Ordering::SeqCst);
    let r = sync.reconcile(&Options { page_size: 10, ..Options::default() }, &mut |_| {}).await.unwrap();
    let read = flaky.calls.load(Ordering::SeqCst) - before;
    assert_eq!(read, 60 - done, "{read} orders read again");
    assert_eq!(r.written.len(), 60 - 34, "the orders from the failed one on are written");
    let (_, last) = simulated(&shop.sc);
    let fresh = Sync::new(shop.ledger().await, shop.client());
    fresh.reconcile(&since("2026-01-01T00:00:00Z"), &mut |_| {}).await.unwrap();
    assert_eq!(close_all(&sync.ledger, &last).await, close_all(&fresh.ledger, &last).await);
}
