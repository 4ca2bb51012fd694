//! Fault injection at the ports (issue 13): a Store and a Queue that fail at chosen calls, before
//! or after the write commits, under `mlm serve`'s intake and workers. Whatever fails, nothing
//! answered 2xx is lost, nothing is counted twice, and every order converges.

use mlm_app::http::{intake_router, IntakeState};
use mlm_app::local::Local;
use mlm_bigcommerce::client::{Client, RetryPolicy};
use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::events::Route;
use mlm_bigcommerce::signature::Verifier;
use mlm_bigcommerce::standin::StandIn;
use mlm_ledger::model::*;
use mlm_ledger::port::{Store, StoreError, StoreResult};
use mlm_ledger::service::Ledger;
use mlm_queue::{DurableQueue, QueueError, WorkQueue};
use mlm_store_sqlite::SqliteStore;
use mlm_sync::commerce::{BigCommerce, Commerce};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const SECRET: &str = "client-secret-of-the-app";
const ORDERS: i64 = 40;

/// When an injected failure strikes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    /// The call fails without reaching the inner port.
    Before,
    /// The inner port does the write; the caller still sees a failure (a lost answer).
    After,
    /// The call hangs past the caller's patience, then fails (a timeout), without writing.
    Timeout,
}

/// Which call (counted from 1 per method) fails, and how.
type Plan = Arc<dyn Fn(&str, u64) -> Option<When> + Send + Sync>;

/// A Store whose writes fail as `plan` says.
struct FaultyStore {
    inner: Arc<dyn Store>,
    plan: Plan,
    calls: std::sync::Mutex<std::collections::HashMap<&'static str, u64>>,
    injected: AtomicU64,
}

impl FaultyStore {
    async fn fault<T>(&self, method: &'static str, call: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let n = {
            let mut c = self.calls.lock().unwrap();
            let n = c.entry(method).or_default();
            *n += 1;
            *n
        };
        match (self.plan)(method, n) {
            None => call.await,
            Some(w) => {
                self.injected.fetch_add(1, Ordering::SeqCst);
                match w {
                    When::Before => {
                        Err(StoreError::Backend(format!("injected: {method} call {n} failed before writing")))
                    }
                    When::Timeout => {
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        Err(StoreError::Backend(format!("injected: {method} call {n} timed out")))
                    }
                    When::After => {
                        call.await?;
                        Err(StoreError::Backend(format!(
                            "injected: {method} call {n} lost its answer after the commit"
                        )))
                    }
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl Store for FaultyStore {
    async fn put_plan(&self, p: &PlanVersion) -> StoreResult<()> {
        self.fault("put_plan", self.inner.put_plan(p)).await
    }
    async fn plans(&self) -> StoreResult<Vec<PlanVersion>> {
        self.inner.plans().await
    }
    async fn enroll(&self, batch: &[DistributorRecord]) -> StoreResult<()> {
        self.fault("enroll", self.inner.enroll(batch)).await
    }
    async fn distributors(&self) -> StoreResult<Vec<DistributorRecord>> {
        self.inner.distributors().await
    }
    async fn distributor_count(&self) -> StoreResult<u64> {
        self.inner.distributor_count().await
    }
    async fn put_customer(&self, c: &CustomerRecord) -> StoreResult<()> {
        self.fault("put_customer", self.inner.put_customer(c)).await
    }
    async fn customers(&self) -> StoreResult<Vec<CustomerRecord>> {
        self.inner.customers().await
    }
    async fn put_mapping(&self, m: &Mapping) -> StoreResult<()> {
        self.fault("put_mapping", self.inner.put_mapping(m)).await
    }
    async fn mappings(&self) -> StoreResult<Vec<Mapping>> {
        self.inner.mappings().await
    }
    async fn context(&self, q: &ContextQuery) -> StoreResult<OrderContext> {
        self.inner.context(q).await
    }
    async fn distributor(&self, id: &str) -> StoreResult<Option<DistributorRecord>> {
        self.inner.distributor(id).await
    }
    async fn distributor_by_email(&self, email: &str) -> StoreResult<Option<DistributorRecord>> {
        self.inner.distributor_by_email(email).await
    }
    async fn order(&self, id: i64) -> StoreResult<Option<StoredOrder>> {
        self.inner.order(id).await
    }
    async fn orders(&self) -> StoreResult<Vec<StoredOrder>> {
        self.inner.orders().await
    }
    async fn write_order(&self, w: &OrderWrite) -> StoreResult<()> {
        self.fault("write_order", self.inner.write_order(w)).await
    }
    async fn aggregates(&self, period: &str, ids: &[String]) -> StoreResult<Vec<Aggregate>> {
        self.inner.aggregates(period, ids).await
    }
    async fn lines(&self, period: &str, earner: &str) -> StoreResult<Vec<StoredLine>> {
        self.inner.lines(period, earner).await
    }
    async fn put_close_slice(&self, s: &CloseSlice) -> StoreResult<()> {
        self.fault("put_close_slice", self.inner.put_close_slice(s)).await
    }
    async fn close_progress(&self, period: &str, of: u32) -> StoreResult<Vec<u32>> {
        self.inner.close_progress(period, of).await
    }
    async fn mark_closing(&self, period: &str) -> StoreResult<()> {
        self.fault("mark_closing", self.inner.mark_closing(period)).await
    }
    async fn mark_closed(&self, period: &str, statement: &str) -> StoreResult<()> {
        self.fault("mark_closed", self.inner.mark_closed(period, statement)).await
    }
    async fn statement(&self, period: &str) -> StoreResult<Option<String>> {
        self.inner.statement(period).await
    }
    async fn closed_periods(&self) -> StoreResult<Vec<String>> {
        self.inner.closed_periods().await
    }
    async fn park(&self, p: &Parked) -> StoreResult<()> {
        self.fault("park", self.inner.park(p)).await
    }
    async fn parked(&self) -> StoreResult<Vec<Parked>> {
        self.inner.parked().await
    }
    async fn unpark(&self, key: &str) -> StoreResult<()> {
        self.fault("unpark", self.inner.unpark(key)).await
    }
    async fn delete_mapping(&self, sku: &str) -> StoreResult<()> {
        self.fault("delete_mapping", self.inner.delete_mapping(sku)).await
    }
    async fn put_doc(&self, collection: &str, key: &str, json: &str) -> StoreResult<()> {
        self.fault("put_doc", self.inner.put_doc(collection, key, json)).await
    }
    async fn doc(&self, collection: &str, key: &str) -> StoreResult<Option<String>> {
        self.inner.doc(collection, key).await
    }
    async fn docs(&self, collection: &str) -> StoreResult<Vec<(String, String)>> {
        self.inner.docs(collection).await
    }
    async fn delete_doc(&self, collection: &str, key: &str) -> StoreResult<()> {
        self.fault("delete_doc", self.inner.delete_doc(collection, key)).await
    }
    async fn put_docs(&self, docs: &[(String, String, String)]) -> StoreResult<()> {
        self.fault("put_docs", self.inner.put_docs(docs)).await
    }
    async fn docs_at(&self, keys: &[(String, String)]) -> StoreResult<Vec<Option<String>>> {
        self.inner.docs_at(keys).await
    }
}

/// A queue whose sends fail as `plan` says (counted per send).
struct FaultyQueue {
    inner: Arc<DurableQueue>,
    plan: Plan,
    sends: AtomicU64,
}

#[async_trait::async_trait]
impl WorkQueue for FaultyQueue {
    async fn send(&self, route: &Route) -> Result<(), QueueError> {
        let n = self.sends.fetch_add(1, Ordering::SeqCst) + 1;
        let fail = |w: &str| Err(QueueError::Send { queue: route.queue, reason: format!("injected: send {n} {w}") });
        match (self.plan)("send", n) {
            None => self.inner.send(route).await,
            Some(When::Before) => fail("failed before storing"),
            Some(When::Timeout) => {
                tokio::time::sleep(Duration::from_millis(30)).await;
                fail("timed out")
            }
            Some(When::After) => {
                self.inner.send(route).await?;
                fail("lost its answer after the commit")
            }
        }
    }
}

fn every(k: u64) -> impl Fn(u64) -> Option<When> {
    move |n| {
        if n % k != 0 {
            return None;
        }
        Some(match (n / k) % 3 {
            0 => When::Before,
            1 => When::After,
            _ => When::Timeout,
        })
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn signed(id: &str, order: i64) -> axum::http::Request<axum::body::Body> {
    let body = format!(
        r#"{{"scope":"store/order/created","store_id":"1","data":{{"type":"order","id":{order}}},"hash":"x","created_at":1,"producer":"stores/s1"}}"#
    );
    let ts = now();
    let sig = Verifier::from_client_secret(SECRET).unwrap().sign(id, ts, body.as_bytes());
    axum::http::Request::post("/webhooks/bigcommerce")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(axum::body::Body::from(body))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_stores_and_queues_lose_nothing_and_double_nothing() {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    let policy = RetryPolicy { attempts: 2, backoff: Duration::from_millis(1), ..Default::default() };
    let commerce: Arc<dyn Commerce> = Arc::new(BigCommerce::new(Client::new(&bc.base_url(), "s1", "t1", policy)));
    // Every 3rd order write and every 4th parking or document write fails, in turn before the
    // commit, after it, and by timing out.
    let plan: Plan = Arc::new(|method, n| match method {
        "write_order" => every(3)(n),
        "park" | "put_doc" | "put_docs" => every(4)(n),
        _ => None,
    });
    let faulty = Arc::new(FaultyStore {
        inner: Arc::new(SqliteStore::in_memory().unwrap()),
        plan,
        calls: Default::default(),
        injected: AtomicU64::new(0),
    });
    let store: Arc<dyn Store> = faulty.clone();
    let ledger = Ledger::new(store);
    ledger.set_plan("{id: p, version: 1, currency: USD, period: month, retail: {rate: '0.25'}}", None).await.unwrap();
    let d = DistributorRecord {
        id: "D1".into(),
        sponsor: None,
        joined_at: 1,
        email: None,
        bigcommerce_customer_id: None,
        placement: None,
        upline: vec![],
        matrix_upline: vec![],
    };
    ledger.enroll(&[d]).await.unwrap();
    let date = httpdate_today();
    bc.with(|r| {
        r.products.insert(1, doc::product(1, "Kit", "KIT", "40.00", &[(10, "KIT-1")]));
        r.variant_metafields.insert((1, 10), vec![doc::metafield(1, "variant", 10, "mlm", "bv", "10")]);
        for id in 1..=ORDERS {
            r.orders.insert(id, doc::order(id, 0, 11, &date.0, &Currencies::single("USD"), ""));
            r.order_products.insert(id, vec![doc::order_product(id, id, 1, 10, "KIT-1", 1, "40.0000", "")]);
            r.order_metafields.insert(id, vec![doc::metafield(id, "order", id, "mlm", "referrer", "D1")]);
        }
    });
    let sync = Arc::new(mlm_sync::Sync::new(ledger, commerce));
    sync.resync_catalog().await.unwrap();
    let queue = DurableQueue::in_memory(Duration::from_secs(300), 10_000).unwrap();
    let local = Local::start(sync.clone(), Verifier::from_client_secret(SECRET).unwrap(), None, queue);
    // The intake over a queue whose every 5th send fails.
    let faulty_queue = Arc::new(FaultyQueue {
        inner: local.queue.clone(),
        plan: Arc::new(|_, n| every(5)(n)),
        sends: AtomicU64::new(0),
    });
    let intake = intake_router(IntakeState {
        verifier: Arc::new(Verifier::from_client_secret(SECRET).unwrap()),
        queue: faulty_queue.clone(),
        now: Arc::new(now),
    });
    // BigCommerce's behaviour: a delivery not answered 2xx is sent again, until it is.
    let mut refused = 0;
    for order in 1..=ORDERS {
        let mut tries = 0;
        loop {
            tries += 1;
            let r = intake.clone().oneshot(signed(&format!("wh-{order}"), order)).await.unwrap();
            if r.status().is_success() {
                break;
            }
            assert_eq!(r.status(), 503);
            refused += 1;
            assert!(tries < 5, "order {order} never accepted");
        }
    }
    assert!(refused >= 6, "the queue's faults were exercised: {refused}");
    let t = Instant::now();
    while local.queue.backlog() > 0 {
        assert!(t.elapsed() < Duration::from_secs(60), "backlog {}", local.queue.backlog());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(faulty.injected.load(Ordering::SeqCst) >= 10, "the store's faults were exercised");
    // Every order converged: stored once, one retail line each, nothing parked.
    let store = &sync.ledger.store;
    let lines = store.lines(&date.1, "D1").await.unwrap();
    let mut orders: Vec<i64> = lines.iter().filter_map(|l| l.order).collect();
    orders.sort();
    assert_eq!(orders, (1..=ORDERS).collect::<Vec<_>>(), "one line per order, each order once");
    assert!(lines.iter().all(|l| l.amount.to_string() == "10.00"), "{lines:?}");
    assert_eq!(store.orders().await.unwrap().len() as i64, ORDERS);
    assert_eq!(store.parked().await.unwrap(), vec![]);
    local.shutdown().await;
}

/// Today's date as BigCommerce writes it, and its period (the open one).
fn httpdate_today() -> (String, String) {
    let secs = now();
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let wd = DAYS[secs.div_euclid(86_400).rem_euclid(7) as usize];
    (format!("{wd}, {d:02} {} {y} 00:00:00 +0000", MONTHS[m as usize - 1]), format!("{y}-{m:02}"))
}
