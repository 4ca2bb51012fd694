//! The conformance suite of the `Store` port. Every adapter's tests call [`run_all`] with a
//! factory of fresh, empty stores; each check panics with what went wrong.

use async_trait::async_trait;
use mlm_engine::scenario::Scenario;
use mlm_engine::Run;
use mlm_ledger::model::*;
use mlm_ledger::port::StoreResult;
use mlm_ledger::{Applied, Ledger, Store, StoreError};
use mlm_scenario_gen::{generate, Params};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rust_decimal::Decimal;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Runs every check against stores made by `fresh`.
pub async fn run_all<S: Store + 'static, F: Fn() -> Fut, Fut: Future<Output = S>>(fresh: F) {
    plans(fresh().await).await;
    enrollment(fresh().await).await;
    conditional_order_writes(fresh().await).await;
    close_replaces_provisional_lines(fresh().await).await;
    parking(fresh().await).await;
    documents_and_retired_mappings(fresh().await).await;
    duplicates_are_no_ops(fresh().await).await;
    racing_writers_converge(fresh().await).await;
    uplines_are_recorded(fresh().await).await;
    the_mapping_that_paid_an_order_stays_with_it(fresh().await).await;
    plan_versions_take_effect_from_their_period(fresh().await).await;
    let (a, b) = (fresh().await, fresh().await);
    a_close_in_slices_equals_one_close(a, b).await;
    replay_equals_simulate(fresh().await, 7, 60, 400).await;
    lifecycle::lived_months_equal_simulate(fresh().await, 11, 60, 400).await;
    lifecycle::closed_periods_park_new_orders(fresh().await).await;
}

pub mod lifecycle;

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

const PLAN: &str = "{id: conformance, version: 3, currency: USD, period: month, retail: {rate: '0.2'}, unilevel: {rates: ['0.1', '0.05']}}";

pub async fn plans<S: Store>(s: S) {
    assert_eq!(s.plans().await.unwrap(), vec![]);
    let v3 = PlanVersion { version: 3, text: PLAN.into(), effective: None };
    s.put_plan(&v3).await.unwrap();
    let v4 =
        PlanVersion { version: 4, text: PLAN.replace("version: 3", "version: 4"), effective: Some("2026-12".into()) };
    s.put_plan(&v4).await.unwrap();
    assert_eq!(s.plans().await.unwrap(), vec![v3, v4]);
}

fn d(id: &str, sponsor: Option<&str>, t: i64) -> DistributorRecord {
    DistributorRecord {
        id: id.into(),
        sponsor: sponsor.map(Into::into),
        joined_at: t,
        email: Some(format!("{}@example.com", id.to_lowercase())),
        bigcommerce_customer_id: None,
        placement: None,
        upline: vec![],
        matrix_upline: vec![],
    }
}

pub async fn enrollment<S: Store>(s: S) {
    s.enroll(&[d("A", None, 1), d("B", Some("A"), 2)]).await.unwrap();
    s.enroll(&[d("C", Some("B"), 3)]).await.unwrap();
    let all = s.distributors().await.unwrap();
    assert_eq!(all.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["A", "B", "C"]);
    assert_eq!(all[2], d("C", Some("B"), 3));
    assert_eq!(s.distributor_count().await.unwrap(), 3);
    // A duplicate id or e-mail writes nothing, not even the valid records of its batch.
    let dup = s.enroll(&[d("D", Some("A"), 4), d("B", Some("A"), 5)]).await;
    assert!(matches!(dup, Err(StoreError::Exists(_))), "{dup:?}");
    let mut same_mail = d("E", Some("A"), 6);
    same_mail.email = Some("a@example.com".into());
    assert!(matches!(s.enroll(&[same_mail]).await, Err(StoreError::Exists(_))));
    assert_eq!(s.distributor_count().await.unwrap(), 3);
    // Found by e-mail whatever its case and surrounding blanks.
    assert_eq!(s.distributor_by_email(" A@Example.COM ").await.unwrap().map(|d| d.id), Some("A".into()));
    assert_eq!(s.distributor_by_email("nobody@example.com").await.unwrap(), None);
}

fn line(earner: &str, order: i64, level: u16, amount: &str) -> StoredLine {
    StoredLine {
        earner: earner.into(),
        period: "2026-11".into(),
        kind: "unilevel".into(),
        of: None,
        order: Some(order),
        level: Some(level),
        base: dec("100"),
        rate: dec("0.1"),
        amount: dec(amount),
        status: "payable".into(),
        plan: "conformance@3".into(),
        fin: false,
        seq: 0,
        r#ref: None,
    }
}

fn order(id: i64, version: u64, lines: Vec<StoredLine>) -> StoredOrder {
    StoredOrder {
        snapshot: OrderSnapshot {
            id,
            buyer: Some("B".into()),
            referrer: None,
            placed_at: 1_793_700_000_000_000_000,
            currency: None,
            exchange_rate: None,
            lines: vec![SnapshotLine { sku: "K".into(), quantity: version as u32, unit_price: dec("10") }],
            refunds: vec![],
            status: OrderStatus::Paid,
            modified_at: None,
        },
        version,
        period: "2026-11".into(),
        credited: Some("B".into()),
        category: "distributor".into(),
        value: Volumes { net: dec("10"), bv: dec("10"), pv: dec("10") },
        lines,
        mappings: vec![Mapping { sku: "K".into(), bv: Some(dec("10")), bv_rate: None, pv: Some(dec("10")) }],
        late: vec![],
        booked: None,
    }
}

fn agg(earner: &str, pv: &str) -> AggregateDelta {
    AggregateDelta { earner: earner.into(), period: "2026-11".into(), pv: dec(pv), bv: dec(pv), ..Default::default() }
}

pub async fn conditional_order_writes<S: Store>(s: S) {
    let l1 = line("A", 9, 1, "1.00");
    let first = OrderWrite {
        order: order(9, 1, vec![l1.clone()]),
        expected_version: None,
        remove_lines: vec![],
        put_lines: vec![l1.clone()],
        aggregates: vec![agg("B", "10")],
        unpark: None,
        periods: vec!["2026-11".into()],
    };
    s.write_order(&first).await.unwrap();
    assert_eq!(s.order(9).await.unwrap(), Some(first.order.clone()));
    // Creating it again, or updating from a stale version, is a conflict and changes nothing.
    assert!(matches!(s.write_order(&first).await, Err(StoreError::Conflict(9))));
    let l2 = line("A", 9, 1, "2.00");
    let mut second = OrderWrite {
        order: order(9, 2, vec![l2.clone()]),
        expected_version: Some(7),
        remove_lines: vec![l1.clone()],
        put_lines: vec![l2.clone()],
        aggregates: vec![agg("B", "-10"), agg("B", "20")],
        unpark: None,
        periods: vec!["2026-11".into()],
    };
    assert!(matches!(s.write_order(&second).await, Err(StoreError::Conflict(9))));
    assert_eq!(s.order(9).await.unwrap().unwrap().version, 1);
    assert_eq!(s.lines("2026-11", "A").await.unwrap(), vec![l1]);
    second.expected_version = Some(1);
    s.write_order(&second).await.unwrap();
    assert_eq!(s.order(9).await.unwrap().unwrap().version, 2);
    assert_eq!(s.lines("2026-11", "A").await.unwrap(), vec![l2.clone()]);
    let a = s.aggregates("2026-11", &["B".into(), "Z".into()]).await.unwrap();
    assert_eq!(a[0].pv, dec("20"));
    assert_eq!(a[1], Aggregate::default());
    assert_eq!(s.orders().await.unwrap().len(), 1);
    assert_eq!(s.order(10).await.unwrap(), None);
    // Once a period's close has begun, no order write may change it: the context says it is
    // closed and the write conflicts, whatever the context read before.
    s.put_plan(&PlanVersion { version: 3, text: PLAN.into(), effective: None }).await.unwrap();
    let q = ContextQuery { order: 9, parties: vec![], skus: vec![] };
    assert!(s.context(&q).await.unwrap().closed.is_empty());
    s.mark_closing("2026-11").await.unwrap();
    s.mark_closing("2026-11").await.unwrap();
    assert_eq!(s.context(&q).await.unwrap().closed, vec!["2026-11".to_string()]);
    assert_eq!(s.closed_periods().await.unwrap(), Vec::<String>::new(), "closing is not closed");
    let third = OrderWrite {
        order: order(9, 3, vec![]),
        expected_version: Some(2),
        remove_lines: vec![l2.clone()],
        put_lines: vec![],
        aggregates: vec![],
        unpark: None,
        periods: vec!["2026-12".into(), "2026-11".into()],
    };
    assert!(matches!(s.write_order(&third).await, Err(StoreError::Conflict(9))));
    assert_eq!(s.lines("2026-11", "A").await.unwrap(), vec![l2]);
    // A write that changes only other periods goes through.
    s.write_order(&OrderWrite { periods: vec!["2026-12".into()], remove_lines: vec![], ..third }).await.unwrap();
}

pub async fn close_replaces_provisional_lines<S: Store>(s: S) {
    let p = line("A", 9, 1, "1.00");
    s.write_order(&OrderWrite {
        order: order(9, 1, vec![p.clone()]),
        expected_version: None,
        remove_lines: vec![],
        put_lines: vec![p.clone()],
        aggregates: vec![],
        unpark: None,
        periods: vec!["2026-11".into()],
    })
    .await
    .unwrap();
    let mut f = line("A", 9, 1, "0.50");
    f.fin = true;
    let slice = CloseSlice {
        period: "2026-11".into(),
        slice: shard_of("A") % 2,
        of: 2,
        lines: vec![f.clone()],
        payouts: vec![("A".into(), dec("0.50"))],
    };
    assert_eq!(s.statement("2026-11").await.unwrap(), None);
    s.put_close_slice(&slice).await.unwrap();
    s.put_close_slice(&slice).await.unwrap(); // a retried slice changes nothing
    assert_eq!(s.close_progress("2026-11", 2).await.unwrap(), vec![slice.slice]);
    assert_eq!(s.lines("2026-11", "A").await.unwrap(), vec![f.clone()]);
    // Not closed until it is marked so, after every slice.
    assert_eq!(s.statement("2026-11").await.unwrap(), None);
    assert!(s.closed_periods().await.unwrap().is_empty());
    s.mark_closed("2026-11", "{\"period\":\"2026-11\"}").await.unwrap();
    assert_eq!(s.lines("2026-11", "A").await.unwrap(), vec![f]);
    assert_eq!(s.statement("2026-11").await.unwrap().as_deref(), Some("{\"period\":\"2026-11\"}"));
    assert_eq!(s.closed_periods().await.unwrap(), ["2026-11"]);
}

pub async fn parking<S: Store>(s: S) {
    let park = |key: &str, reason: &str| Parked {
        key: key.into(),
        source: key.replace('#', " "),
        reason: reason.into(),
        payload: "{}".into(),
    };
    let (a, b) = (park("order#5", "buyer \"X\" is unknown"), park("order#6", "SKU \"Y\" is unmapped"));
    s.park(&a).await.unwrap();
    s.park(&b).await.unwrap();
    assert_eq!(s.parked().await.unwrap(), vec![a.clone(), b.clone()]);
    // Parking a subject again keeps one entry, with the latest reason, last in arrival order.
    let a2 = park("order#5", "still unknown");
    s.park(&a2).await.unwrap();
    assert_eq!(s.parked().await.unwrap(), vec![b.clone(), a2]);
    s.unpark("order#5").await.unwrap();
    s.unpark("order#404").await.unwrap();
    assert_eq!(s.parked().await.unwrap(), vec![b]);
}

pub async fn documents_and_retired_mappings<S: Store>(s: S) {
    assert_eq!(s.doc("links", "55").await.unwrap(), None);
    s.put_doc("links", "55", r#"{"party":"D1"}"#).await.unwrap();
    s.put_doc("links", "7", r#"{"party":"C7"}"#).await.unwrap();
    s.put_doc("carts", "55", r#"{"referrer":"D2"}"#).await.unwrap();
    s.put_doc("links", "55", r#"{"party":"D9"}"#).await.unwrap();
    assert_eq!(s.doc("links", "55").await.unwrap().as_deref(), Some(r#"{"party":"D9"}"#));
    let keys: Vec<String> = s.docs("links").await.unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["55", "7"]);
    s.delete_doc("links", "55").await.unwrap();
    assert_eq!(s.doc("links", "55").await.unwrap(), None);
    assert_eq!(s.docs("carts").await.unwrap(), vec![("55".to_string(), r#"{"referrer":"D2"}"#.to_string())]);
    let m = |sku: &str| Mapping { sku: sku.into(), bv: Some(dec("10")), bv_rate: None, pv: None };
    s.put_mapping(&m("A")).await.unwrap();
    s.put_mapping(&m("B")).await.unwrap();
    s.delete_mapping("A").await.unwrap();
    assert_eq!(s.mappings().await.unwrap(), vec![m("B")]);
    // Batches, and documents past DynamoDB's 400 KB item limit, replaced by smaller and larger.
    let big = |c: char, n: usize| format!("{{\"text\":\"{}\"}}", c.to_string().repeat(n));
    let batch: Vec<(String, String)> = (0..60)
        .map(|i| (format!("k{i:02}"), if i == 7 { big('a', 1_000_000) } else { format!("{{\"i\":{i}}}") }))
        .collect();
    let mut writes: Vec<(String, String, String)> =
        batch.iter().map(|(k, j)| ("standing".to_string(), k.clone(), j.clone())).collect();
    writes.push(("other".into(), "k00".into(), "{}".into()));
    s.put_docs(&writes).await.unwrap();
    assert_eq!(s.docs("standing").await.unwrap(), batch);
    assert_eq!(s.docs("other").await.unwrap(), vec![("k00".to_string(), "{}".to_string())]);
    // Read back by key in one call, in the order asked, with a repeat, a large one and absences.
    let mut asked: Vec<(String, String)> =
        (0..60).rev().map(|i| ("standing".to_string(), format!("k{i:02}"))).collect();
    asked.extend(
        [("other", "k00"), ("standing", "k07"), ("standing", "nope"), ("nope", "k00")]
            .map(|(c, k)| (c.into(), k.into())),
    );
    let mut expected: Vec<Option<String>> = batch.iter().rev().map(|(_, j)| Some(j.clone())).collect();
    expected.extend([Some("{}".to_string()), Some(big('a', 1_000_000)), None, None]);
    assert_eq!(s.docs_at(&asked).await.unwrap(), expected);
    assert_eq!(s.docs_at(&[]).await.unwrap(), Vec::<Option<String>>::new());
    s.put_doc("standing", "k07", &big('b', 700_000)).await.unwrap();
    assert_eq!(s.doc("standing", "k07").await.unwrap(), Some(big('b', 700_000)));
    s.put_doc("standing", "k07", r#"{"i":7}"#).await.unwrap();
    assert_eq!(s.doc("standing", "k07").await.unwrap().as_deref(), Some(r#"{"i":7}"#));
    s.delete_doc("standing", "k07").await.unwrap();
    assert_eq!(s.doc("standing", "k07").await.unwrap(), None);
    assert_eq!(s.docs("standing").await.unwrap().len(), 59);
}

/// The statement `mlm simulate` prints for one period, as JSON.
pub(crate) fn simulated(sc: Scenario) -> Vec<(String, serde_json::Value)> {
    let run = Run::prepare(sc).expect("generated scenarios are valid");
    let ex = run.explain();
    let mut out = Vec::new();
    run.close_all(|st| {
        let mut buf = Vec::new();
        ex.write_period(&mut buf, st).unwrap();
        out.push((st.period.to_string(), serde_json::from_slice(&buf).unwrap()));
        true
    });
    out
}

/// Every order of a generated scenario applied three times, in shuffled order, with each refund
/// arriving as its own event in between; after closing every period the stored statements equal
/// what `mlm simulate` computes, to the cent.
pub async fn replay_equals_simulate<S: Store>(s: S, seed_: u64, n: usize, orders: usize) {
    let sc = generate(&Params { distributors: n, orders, seed: seed_, months: 2, refund_percent: 15 });
    let ledger = Ledger::new(s);
    ledger.seed(&sc).await.unwrap();
    let full = mlm_ledger::load::snapshots(&sc);
    // Events: each order delivered three times, each refund once; BigCommerce's truth at an
    // event includes the refunds whose own event has already happened.
    #[derive(Clone, Copy)]
    enum Event {
        Order(usize),
        Refund(usize, usize),
    }
    let mut events = Vec::new();
    for (i, o) in full.iter().enumerate() {
        events.extend([Event::Order(i); 3]);
        events.extend((0..o.refunds.len()).map(|r| Event::Refund(i, r)));
    }
    events.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed_));
    let mut happened: Vec<Vec<bool>> = full.iter().map(|o| vec![false; o.refunds.len()]).collect();
    let (mut written, mut unchanged) = (0, 0);
    for e in events {
        let i = match e {
            Event::Order(i) => i,
            Event::Refund(i, r) => {
                happened[i][r] = true;
                i
            }
        };
        let mut truth = full[i].clone();
        truth.refunds = full[i].refunds.iter().zip(&happened[i]).filter(|(_, h)| **h).map(|(r, _)| r.clone()).collect();
        match ledger.apply_order(&truth).await.unwrap() {
            Applied::Written { .. } => written += 1,
            Applied::Unchanged => unchanged += 1,
            Applied::Parked(why) | Applied::Stale(why) => panic!("order {} not taken: {why}", truth.id),
        }
    }
    assert!(written >= full.len() && unchanged > 0, "written {written}, unchanged {unchanged}");
    let expected = simulated(sc);
    let last = &expected.last().expect("periods").0;
    let closed = ledger.close_period(last).await.unwrap();
    assert_eq!(closed, expected.iter().map(|e| e.0.clone()).collect::<Vec<_>>());
    for (period, want) in &expected {
        let got = ledger.store.statement(period).await.unwrap().expect("closed");
        let got: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert!(&got == want, "period {period}: the stored statement differs from mlm simulate");
    }
    // Final lines replaced provisional ones: an earner's stored lines are the statement's.
    let (period, want) = &expected[0];
    let someone =
        want["distributors"].as_array().unwrap().iter().find(|d| !d["lines"].as_array().unwrap().is_empty()).unwrap();
    let stored = ledger.store.lines(period, someone["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(stored.len(), someone["lines"].as_array().unwrap().len());
    assert!(stored.iter().all(|l| l.fin));
}

pub async fn duplicates_are_no_ops<S: Store>(s: S) {
    let sc = generate(&Params { distributors: 10, orders: 20, seed: 3, months: 1, refund_percent: 0 });
    let ledger = Ledger::new(s);
    ledger.seed(&sc).await.unwrap();
    let snap = &mlm_ledger::load::snapshots(&sc)[0];
    assert!(matches!(ledger.apply_order(snap).await.unwrap(), Applied::Written { version: 1, .. }));
    let before = ledger.store.order(snap.id).await.unwrap();
    assert_eq!(ledger.apply_order(snap).await.unwrap(), Applied::Unchanged);
    assert_eq!(ledger.store.order(snap.id).await.unwrap(), before);
    // A status flip to pending removes the order's volume and lines; back to paid restores them.
    let mut pending = snap.clone();
    pending.status = OrderStatus::Pending;
    assert!(matches!(ledger.apply_order(&pending).await.unwrap(), Applied::Written { version: 2, lines: 0 }));
    assert!(matches!(ledger.apply_order(snap).await.unwrap(), Applied::Written { version: 3, .. }));
    let after = ledger.store.order(snap.id).await.unwrap().unwrap();
    assert_eq!(after.lines, before.unwrap().lines);
    // An unknown buyer is parked with its reason, never dropped.
    let mut stranger = snap.clone();
    stranger.id = 999_999;
    stranger.buyer = Some("NOBODY".into());
    let parked = ledger.apply_order(&stranger).await.unwrap();
    assert!(matches!(&parked, Applied::Parked(r) if r.contains("NOBODY")), "{parked:?}");
    assert_eq!(ledger.store.parked().await.unwrap().len(), 1);
    assert_eq!(ledger.store.order(999_999).await.unwrap(), None);
    // Once the buyer is known, the same order is written and its parked entry goes with it.
    ledger.add_customer(&CustomerRecord { id: "NOBODY".into(), referrer: None }).await.unwrap();
    assert!(matches!(ledger.apply_order(&stranger).await.unwrap(), Applied::Written { version: 1, .. }));
    assert_eq!(ledger.store.parked().await.unwrap(), vec![]);
}

/// A store that lets another writer in between the ledger's read and its write, once.
struct Racing<S> {
    inner: Arc<S>,
    armed: AtomicBool,
    rival: OrderSnapshot,
}

#[async_trait]
impl<S: Store> Store for Racing<S> {
    async fn put_plan(&self, p: &PlanVersion) -> StoreResult<()> {
        self.inner.put_plan(p).await
    }
    async fn plans(&self) -> StoreResult<Vec<PlanVersion>> {
        self.inner.plans().await
    }
    async fn enroll(&self, b: &[DistributorRecord]) -> StoreResult<()> {
        self.inner.enroll(b).await
    }
    async fn distributors(&self) -> StoreResult<Vec<DistributorRecord>> {
        self.inner.distributors().await
    }
    async fn distributor_count(&self) -> StoreResult<u64> {
        self.inner.distributor_count().await
    }
    async fn put_customer(&self, c: &CustomerRecord) -> StoreResult<()> {
        self.inner.put_customer(c).await
    }
    async fn customers(&self) -> StoreResult<Vec<CustomerRecord>> {
        self.inner.customers().await
    }
    async fn put_mapping(&self, m: &Mapping) -> StoreResult<()> {
        self.inner.put_mapping(m).await
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
    async fn order(&self, id: i64) -> StoreResult<Option<StoredOrder>> {
        self.inner.order(id).await
    }
    async fn orders(&self) -> StoreResult<Vec<StoredOrder>> {
        self.inner.orders().await
    }
    async fn write_order(&self, w: &OrderWrite) -> StoreResult<()> {
        if self.armed.swap(false, Ordering::SeqCst) {
            // The rival worker applies its (newer) view of the order first.
            let rival = Ledger::new(self.inner.clone());
            assert!(matches!(rival.apply_order(&self.rival).await.unwrap(), Applied::Written { .. }));
        }
        self.inner.write_order(w).await
    }
    async fn aggregates(&self, p: &str, ids: &[String]) -> StoreResult<Vec<Aggregate>> {
        self.inner.aggregates(p, ids).await
    }
    async fn lines(&self, p: &str, e: &str) -> StoreResult<Vec<StoredLine>> {
        self.inner.lines(p, e).await
    }
    async fn put_close_slice(&self, s: &CloseSlice) -> StoreResult<()> {
        self.inner.put_close_slice(s).await
    }
    async fn close_progress(&self, period: &str, of: u32) -> StoreResult<Vec<u32>> {
        self.inner.close_progress(period, of).await
    }
    async fn mark_closing(&self, period: &str) -> StoreResult<()> {
        self.inner.mark_closing(period).await
    }
    async fn mark_closed(&self, period: &str, statement: &str) -> StoreResult<()> {
        self.inner.mark_closed(period, statement).await
    }
    async fn statement(&self, p: &str) -> StoreResult<Option<String>> {
        self.inner.statement(p).await
    }
    async fn closed_periods(&self) -> StoreResult<Vec<String>> {
        self.inner.closed_periods().await
    }
    async fn park(&self, p: &Parked) -> StoreResult<()> {
        self.inner.park(p).await
    }
    async fn parked(&self) -> StoreResult<Vec<Parked>> {
        self.inner.parked().await
    }
    async fn unpark(&self, key: &str) -> StoreResult<()> {
        self.inner.unpark(key).await
    }
    async fn distributor_by_email(&self, email: &str) -> StoreResult<Option<DistributorRecord>> {
        self.inner.distributor_by_email(email).await
    }
    async fn delete_mapping(&self, sku: &str) -> StoreResult<()> {
        self.inner.delete_mapping(sku).await
    }
    async fn put_doc(&self, collection: &str, key: &str, json: &str) -> StoreResult<()> {
        self.inner.put_doc(collection, key, json).await
    }
    async fn doc(&self, collection: &str, key: &str) -> StoreResult<Option<String>> {
        self.inner.doc(collection, key).await
    }
    async fn docs(&self, collection: &str) -> StoreResult<Vec<(String, String)>> {
        self.inner.docs(collection).await
    }
    async fn delete_doc(&self, collection: &str, key: &str) -> StoreResult<()> {
        self.inner.delete_doc(collection, key).await
    }
}

/// Two workers racing on one order: the one whose write loses re-reads and recomputes, and the
/// order ends in one correct state with the volumes counted once.
pub async fn racing_writers_converge<S: Store + 'static>(s: S) {
    let sc = generate(&Params { distributors: 10, orders: 20, seed: 5, months: 1, refund_percent: 0 });
    let inner = Arc::new(s);
    Ledger::new(inner.clone()).seed(&sc).await.unwrap();
    let snap = mlm_ledger::load::snapshots(&sc)
        .into_iter()
        .find(|o| o.buyer.as_deref().is_some_and(|b| b.starts_with('D')))
        .unwrap();
    let racing = Racing { inner: inner.clone(), armed: AtomicBool::new(true), rival: snap.clone() };
    let ledger = Ledger::new(racing);
    // Our worker applies the same order; its first write loses to the rival's.
    assert_eq!(ledger.apply_order(&snap).await.unwrap(), Applied::Unchanged);
    let stored = inner.order(snap.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    let buyer = snap.buyer.clone().unwrap();
    let a = inner.aggregates(&stored.period, std::slice::from_ref(&buyer)).await.unwrap();
    assert_eq!(a[0].pv, stored.value.pv, "volume counted once");
}

/// Enrollment records each distributor's sponsor and matrix paths, nearest first, and the
/// batched context read returns the parties of an order.
pub async fn uplines_are_recorded<S: Store>(s: S) {
    let sc = generate(&Params { distributors: 40, orders: 5, seed: 9, months: 1, refund_percent: 0 });
    let ledger = Ledger::new(s);
    ledger.seed(&sc).await.unwrap();
    let sponsor: std::collections::HashMap<&str, Option<&str>> =
        sc.distributors.iter().map(|d| (d.id.as_str(), d.sponsor.as_deref())).collect();
    for d in &sc.distributors {
        let rec = ledger.store.distributor(&d.id).await.unwrap().expect("enrolled");
        let mut want = Vec::new();
        let mut at = d.sponsor.as_deref();
        while let Some(s) = at {
            want.push(s.to_string());
            at = sponsor[s];
        }
        assert_eq!(rec.upline, want, "{}", d.id);
        assert!(rec.matrix_upline.len() <= want.len().max(1) * 40);
    }
    let last = sc.distributors.last().unwrap();
    let ctx = ledger
        .store
        .context(&ContextQuery {
            order: 1,
            parties: vec![last.id.clone(), sc.customers[0].id.clone(), "NOBODY".into()],
            skus: vec![sc.catalog[0].sku.clone(), "UNMAPPED".into()],
        })
        .await
        .unwrap();
    assert_eq!(ctx.stored, None);
    assert_eq!(ctx.plans.len(), 1);
    assert_eq!(ctx.distributors.len(), 1);
    assert_eq!(ctx.distributors[0].upline, ledger.store.distributor(&last.id).await.unwrap().unwrap().upline);
    assert_eq!(ctx.customers.len(), 1);
    assert_eq!(ctx.mappings.len(), 1);
}

/// A SKU's BV changes after an order was paid: the order keeps its original value, and a later
/// refund reverses exactly what was paid; a new order takes the new mapping.
pub async fn the_mapping_that_paid_an_order_stays_with_it<S: Store>(s: S) {
    let ledger = Ledger::new(s);
    let text = "{id: m, version: 1, currency: USD, period: month, unilevel: {rates: ['0.10']}}";
    ledger.set_plan(text, None).await.unwrap();
    ledger.enroll(&[d("UP", None, 0), d("B", Some("UP"), 0)]).await.unwrap();
    let mapping = |bv: &str| Mapping { sku: "K".into(), bv: Some(dec(bv)), bv_rate: None, pv: Some(dec(bv)) };
    ledger.set_mapping(&mapping("40")).await.unwrap();
    let nov = 1_793_491_200_000_000_000i64; // 2026-11-01T00:00:00Z
    let day = 86_400_000_000_000i64;
    let mut first = OrderSnapshot {
        id: 1,
        buyer: Some("B".into()),
        referrer: None,
        placed_at: nov + day,
        currency: None,
        exchange_rate: None,
        lines: vec![SnapshotLine { sku: "K".into(), quantity: 2, unit_price: dec("50") }],
        refunds: vec![],
        status: OrderStatus::Paid,
        modified_at: None,
    };
    ledger.apply_order(&first).await.unwrap();
    ledger.set_mapping(&mapping("100")).await.unwrap();
    let mut second = first.clone();
    second.id = 2;
    second.placed_at = nov + 2 * day;
    ledger.apply_order(&second).await.unwrap();
    // A late refund of one unit of the first order, after the mapping changed.
    first.refunds.push(RefundSnapshot { id: 7, at: nov + 40 * day, full: false, lines: vec![("K".into(), 1)] });
    ledger.apply_order(&first).await.unwrap();
    assert_eq!(ledger.store.order(1).await.unwrap().unwrap().value.bv, dec("80"));
    assert_eq!(ledger.store.order(2).await.unwrap().unwrap().value.bv, dec("200"));
    ledger.close_period("2026-12").await.unwrap();
    let nov_st: serde_json::Value =
        serde_json::from_str(&ledger.store.statement("2026-11").await.unwrap().unwrap()).unwrap();
    let up = &nov_st["distributors"][0];
    // 10% of 80 BV (order 1 at the old mapping) and of 200 BV (order 2 at the new one).
    assert_eq!(up["earnings"]["unilevel"], "28.00", "{up}");
    let dec_st: serde_json::Value =
        serde_json::from_str(&ledger.store.statement("2026-12").await.unwrap().unwrap()).unwrap();
    let up = &dec_st["distributors"][0];
    // The refunded unit removes 40 BV (what it was paid on), not 100: −4.00.
    assert_eq!(up["earnings"]["clawback"], "-4.00", "{up}");
    assert_eq!(up["lines"][0]["base"], "-40", "{up}");
}

/// A new plan version applies from its period on: the provisional lines of a December order use
/// it, period close uses each period's plan, and closed periods or tree-shaping changes are
/// refused with the key named.
pub async fn plan_versions_take_effect_from_their_period<S: Store>(s: S) {
    let ledger = Ledger::new(s);
    let v1 = "{id: acme, version: 1, currency: USD, period: month, unilevel: {rates: ['0.10']}, matrix: {width: 2, rates: ['0.01']}}";
    ledger.set_plan(v1, None).await.unwrap();
    ledger.enroll(&[d("UP", None, 0), d("B", Some("UP"), 0)]).await.unwrap();
    ledger
        .set_mapping(&Mapping { sku: "K".into(), bv: Some(dec("100")), bv_rate: None, pv: Some(dec("100")) })
        .await
        .unwrap();
    let nov = 1_793_491_200_000_000_000i64; // 2026-11-01T00:00:00Z
    let day = 86_400_000_000_000i64;
    let order = |id: i64, at: i64| OrderSnapshot {
        id,
        buyer: Some("B".into()),
        referrer: None,
        placed_at: at,
        currency: None,
        exchange_rate: None,
        lines: vec![SnapshotLine { sku: "K".into(), quantity: 1, unit_price: dec("100") }],
        refunds: vec![],
        status: OrderStatus::Paid,
        modified_at: None,
    };
    ledger.apply_order(&order(1, nov + day)).await.unwrap();
    // Tree-shaping changes and changes without a period are refused, naming the key.
    let wider = v1.replace("version: 1", "version: 2").replace("width: 2", "width: 3");
    let e = ledger.set_plan(&wider, Some("2026-12")).await.unwrap_err().to_string();
    assert!(e.contains("matrix.width: cannot change from 2 to 3"), "{e}");
    let v2 = v1.replace("version: 1", "version: 2").replace("0.10", "0.20");
    assert!(ledger.set_plan(&v2, None).await.unwrap_err().to_string().contains("effective"));
    ledger.set_plan(&v2, Some("2026-12")).await.unwrap();
    ledger.apply_order(&order(2, nov + 35 * day)).await.unwrap();
    let dec_order = ledger.store.order(2).await.unwrap().unwrap();
    assert_eq!(dec_order.lines.iter().find(|l| l.kind == "unilevel").unwrap().amount, dec("20.00"));
    assert_eq!(dec_order.lines[0].plan, "acme@2");
    ledger.close_period("2026-12").await.unwrap();
    let st = |p: &'static str| {
        let ledger = &ledger;
        async move { serde_json::from_str::<serde_json::Value>(&ledger.statement(p).await.unwrap().unwrap()).unwrap() }
    };
    let (n, d) = (st("2026-11").await, st("2026-12").await);
    assert_eq!(n["plan"], "acme@1");
    assert_eq!(n["periods"][0]["distributors"][0]["earnings"]["unilevel"], "10.00");
    assert_eq!(d["plan"], "acme@2");
    assert_eq!(d["periods"][0]["distributors"][0]["earnings"]["unilevel"], "20.00");
    // December is closed now: a version taking effect then is refused.
    let v3 = v1.replace("version: 1", "version: 3");
    let e = ledger.set_plan(&v3, Some("2026-12")).await.unwrap_err().to_string();
    assert!(e.contains("closed"), "{e}");
}

/// Workers closing a period in slices, in any order and with a slice retried, produce exactly the
/// close of a single process; the period is closed only when the last slice is in.
pub async fn a_close_in_slices_equals_one_close<S: Store>(one: S, sliced: S) {
    let sc = generate(&Params { distributors: 40, orders: 200, seed: 21, months: 1, refund_percent: 10 });
    let (one, sliced) = (Ledger::new(one), Ledger::new(sliced));
    for l in [&one, &sliced] {
        l.load_scenario(&sc).await.unwrap();
    }
    one.close_period("2026-01").await.unwrap();
    let of = 5;
    let order = [3u32, 0, 4, 0, 2, 1];
    for (i, slice) in order.iter().enumerate() {
        let closed = sliced.close_slice("2026-01", *slice, of).await.unwrap();
        assert_eq!(closed, i == order.len() - 1, "after slice {slice}");
        if i < order.len() - 1 {
            assert_eq!(sliced.store.statement("2026-01").await.unwrap(), None);
        }
    }
    assert_eq!(sliced.store.statement("2026-01").await.unwrap(), one.store.statement("2026-01").await.unwrap());
    for d in &sc.distributors {
        assert_eq!(
            sliced.store.lines("2026-01", &d.id).await.unwrap(),
            one.store.lines("2026-01", &d.id).await.unwrap(),
            "{}",
            d.id
        );
    }
    // Quiet periods after the last event still close, carrying balances forward.
    let closed = one.close_period("2026-08").await.unwrap();
    assert_eq!(closed.last().map(String::as_str), Some("2026-08"));
    let st = |p: &'static str| {
        let one = &one;
        async move { serde_json::from_str::<serde_json::Value>(&one.store.statement(p).await.unwrap().unwrap()).unwrap() }
    };
    let (jul, aug) = (st("2026-07").await, st("2026-08").await);
    assert_eq!(aug["company"]["sales"], "0.00");
    for (a, b) in jul["distributors"].as_array().unwrap().iter().zip(aug["distributors"].as_array().unwrap()) {
        assert_eq!(a["balance_out"], b["balance_in"], "{}", a["id"]);
    }
    // A later period cannot be closed in slices before its predecessor.
    let e = sliced.close_slice("2026-03", 0, 2).await.unwrap_err().to_string();
    assert!(e.contains("close 2026-02 first"), "{e}");
}
