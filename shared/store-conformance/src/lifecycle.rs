//! The ledger lived the way a store lives: events period by period, each delivered several
//! times, shuffled, with slow reads arriving after newer ones; the period closed when it ends;
//! then the next period's events, including refunds and cancellations of orders of periods
//! already closed. Every stored statement must equal `mlm simulate` of the whole run.

use crate::simulated;
use mlm_engine::period::{Period, Timestamp};
use mlm_ledger::model::*;
use mlm_ledger::{Applied, Ledger, Store};
use mlm_scenario_gen::{generate, Params};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rust_decimal::Decimal;

/// What one delivery did, counted.
#[derive(Debug, Default)]
struct Tally {
    written: usize,
    unchanged: usize,
    stale: usize,
}

impl Tally {
    fn add(&mut self, a: Applied, what: &str) {
        match a {
            Applied::Written { .. } => self.written += 1,
            Applied::Unchanged => self.unchanged += 1,
            Applied::Stale(_) => self.stale += 1,
            Applied::Parked(why) => panic!("{what} parked: {why}"),
        }
    }
}

/// The store's truth of an order at a moment: the refunds that have happened by then. The
/// last refund of every third order that takes everything arrives as a cancellation instead
/// (BigCommerce status Cancelled), which the ledger reads as a full refund of what remains.
fn truth_at(full: &OrderSnapshot, happened: &[bool]) -> OrderSnapshot {
    let mut t = full.clone();
    t.refunds.clear();
    for (r, h) in full.refunds.iter().zip(happened) {
        if !*h {
            continue;
        }
        if r.full && full.id % 3 == 0 {
            t.status = OrderStatus::Cancelled { at: r.at };
        } else {
            t.refunds.push(r.clone());
        }
    }
    t
}

pub async fn lived_months_equal_simulate<S: Store>(s: S, seed: u64, n: usize, orders: usize) {
    let sc = generate(&Params { distributors: n, orders, seed, months: 3, refund_percent: 25 });
    let kind = sc.plan.period;
    let ledger = Ledger::new(s);
    ledger.seed(&sc).await.unwrap();
    let full = mlm_ledger::load::snapshots(&sc);
    let expected = simulated(sc);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut happened: Vec<Vec<bool>> = full.iter().map(|o| vec![false; o.refunds.len()]).collect();
    let period = |t: i64| Period::of(kind, Timestamp(t)).to_string();
    let mut tally = Tally::default();
    let mut late_refunds = 0;
    for (p, _) in &expected {
        // This period's events: every order placed in it three times, every refund dated in it
        // once, and for each refund a slow read of the order from before it, delivered after.
        #[derive(Clone, Copy)]
        enum Event {
            Order(usize),
            Refund(usize, usize),
        }
        let mut events = Vec::new();
        for (i, o) in full.iter().enumerate() {
            if &period(o.placed_at) == p {
                events.extend([Event::Order(i); 3]);
            }
            for (r, refund) in o.refunds.iter().enumerate() {
                if &period(refund.at) == p {
                    events.push(Event::Refund(i, r));
                    late_refunds += usize::from(&period(o.placed_at) != p);
                }
            }
        }
        events.shuffle(&mut rng);
        for e in events {
            match e {
                Event::Order(i) => {
                    let t = truth_at(&full[i], &happened[i]);
                    tally.add(ledger.apply_order(&t).await.unwrap(), &format!("order {}", t.id));
                }
                Event::Refund(i, r) => {
                    let before = truth_at(&full[i], &happened[i]);
                    happened[i][r] = true;
                    let after = truth_at(&full[i], &happened[i]);
                    tally.add(ledger.apply_order(&after).await.unwrap(), &format!("order {}", after.id));
                    tally.add(ledger.apply_order(&after).await.unwrap(), &format!("order {}", after.id));
                    // The slow read lands last and must not undo the refund.
                    let slow = ledger.apply_order(&before).await.unwrap();
                    assert!(
                        matches!(slow, Applied::Stale(_)),
                        "order {}: a stale snapshot was taken: {slow:?}",
                        before.id
                    );
                    tally.stale += 1;
                }
            }
        }
        assert_eq!(ledger.close_period(p).await.unwrap(), vec![p.clone()], "closing {p}");
    }
    assert!(late_refunds > 0, "the generated run must refund orders of closed periods");
    assert!(tally.written >= full.len() && tally.unchanged > 0 && tally.stale > 0, "{tally:?}");
    for (p, want) in &expected {
        let got = ledger.store.statement(p).await.unwrap().expect("closed");
        let got: serde_json::Value = serde_json::from_str(&got).unwrap();
        if &got != want {
            let (g, w) = (&got["company"], &want["company"]);
            panic!("period {p}: the stored statement differs from mlm simulate; company {g} vs {w}");
        }
    }
}

/// A late refund books provisional clawbacks in its own open period at once (the distributor
/// sees them before the next close) and leaves the closed period as it was; a new order placed
/// in a closed period is parked with its reason, and an admin books it into the open period or
/// dismisses it, recorded with who and when.
pub async fn closed_periods_park_new_orders<S: Store>(s: S) {
    let ledger = Ledger::new(s);
    let plan =
        "{id: late, version: 1, currency: USD, period: month, retail: {rate: '0.2'}, unilevel: {rates: ['0.10']}}";
    ledger.set_plan(plan, None).await.unwrap();
    let d = |id: &str, sponsor: Option<&str>| DistributorRecord {
        id: id.into(),
        sponsor: sponsor.map(Into::into),
        joined_at: 0,
        email: None,
        bigcommerce_customer_id: None,
        placement: None,
        upline: vec![],
        matrix_upline: vec![],
    };
    ledger.enroll(&[d("UP", None), d("B", Some("UP"))]).await.unwrap();
    ledger
        .set_mapping(&Mapping { sku: "K".into(), bv: Some("40".parse().unwrap()), bv_rate: None, pv: None })
        .await
        .unwrap();
    let nov = Timestamp::parse("2026-11-10T00:00:00Z").unwrap().0;
    let dec1 = Timestamp::parse("2026-12-01T00:00:00Z").unwrap().0;
    let dec5 = Timestamp::parse("2026-12-05T00:00:00Z").unwrap().0;
    let order = |id: i64, at: i64| OrderSnapshot {
        id,
        buyer: Some("B".into()),
        referrer: None,
        placed_at: at,
        currency: None,
        exchange_rate: None,
        lines: vec![mlm_ledger::model::SnapshotLine {
            sku: "K".into(),
            quantity: 2,
            unit_price: "50".parse().unwrap(),
        }],
        refunds: vec![],
        status: OrderStatus::Paid,
        modified_at: None,
    };
    // Closing before anything happened closes nothing and refuses nothing later.
    assert!(ledger.close_period("2026-11").await.unwrap().is_empty());
    assert!(ledger
        .store
        .context(&ContextQuery { order: 1, parties: vec![], skus: vec![] })
        .await
        .unwrap()
        .closed
        .is_empty());
    ledger.apply_order(&order(1, nov)).await.unwrap();
    assert_eq!(ledger.close_period("2026-11").await.unwrap(), vec!["2026-11".to_string()]);
    let nov_statement = ledger.store.statement("2026-11").await.unwrap().unwrap();
    let nov_lines = ledger.store.lines("2026-11", "UP").await.unwrap();

    // December: one unit refunded, dated on the last day of November (a refund that reached us
    // after the close): it is booked at the start of December, as a clawback there.
    let mut refunded = order(1, nov);
    let nov30 = Timestamp::parse("2026-11-30T23:00:00Z").unwrap().0;
    refunded.refunds.push(RefundSnapshot { id: 9, at: nov30, full: false, lines: vec![("K".into(), 1)] });
    assert!(matches!(ledger.apply_order(&refunded).await.unwrap(), Applied::Written { .. }));
    let up = ledger.store.lines("2026-12", "UP").await.unwrap();
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!((up[0].kind.as_str(), up[0].of.as_deref()), ("clawback", Some("unilevel")));
    assert_eq!((up[0].base, up[0].amount), ("-40".parse().unwrap(), "-4.00".parse::<Decimal>().unwrap()));
    let stored = ledger.store.order(1).await.unwrap().unwrap();
    assert_eq!(stored.snapshot.refunds[0].at, dec1, "booked at the start of the first open period");
    assert_eq!(ledger.store.aggregates("2026-12", &["B".into()]).await.unwrap()[0].bv, "-40".parse().unwrap());
    // November is untouched.
    assert_eq!(ledger.store.statement("2026-11").await.unwrap().unwrap(), nov_statement);
    assert_eq!(ledger.store.lines("2026-11", "UP").await.unwrap(), nov_lines);
    // The same refund again changes nothing; the cancellation of the rest claws back the remainder.
    assert_eq!(ledger.apply_order(&refunded).await.unwrap(), Applied::Unchanged);
    let mut cancelled = refunded.clone();
    cancelled.status = OrderStatus::Cancelled { at: dec5 };
    assert!(matches!(ledger.apply_order(&cancelled).await.unwrap(), Applied::Written { .. }));
    let up = ledger.store.lines("2026-12", "UP").await.unwrap();
    let total: Decimal = up.iter().map(|l| l.amount).sum();
    assert_eq!((up.len(), total), (2, "-8.00".parse().unwrap()), "{up:?}");

    // A new order placed in November, arriving now: parked with its reason.
    let late = order(2, nov + 1);
    let parked = ledger.apply_order(&late).await.unwrap();
    assert!(matches!(&parked, Applied::Parked(r) if r.contains("2026-11, which is already closed")), "{parked:?}");
    // A November order that changes other than by a refund: parked too.
    let mut edited = cancelled.clone();
    edited.lines[0].quantity = 3;
    assert!(matches!(ledger.apply_order(&edited).await.unwrap(), Applied::Parked(r) if r.contains("lines changed")));
    let refused = ledger.book_parked("order#1", "admin@example.com", "2026-12-06T10:00:00Z").await.unwrap();
    assert!(refused.unwrap_err().contains("already counts in its own, closed period"));
    ledger.dismiss_parked("order#1", "admin@example.com", "2026-12-06T10:00:00Z").await.unwrap().unwrap();

    // The admin books order 2 into December: it counts there, recorded with who and when.
    let booked = ledger.book_parked("order#2", "admin@example.com", "2026-12-06T10:00:00Z").await.unwrap();
    assert!(matches!(booked, Ok(Applied::Written { .. })), "{booked:?}");
    let o2 = ledger.store.order(2).await.unwrap().unwrap();
    assert_eq!((o2.period.as_str(), o2.booked.as_ref().map(|b| b.by.as_str())), ("2026-12", Some("admin@example.com")));
    assert!(ledger.store.parked().await.unwrap().is_empty());
    ledger.close_period("2026-12").await.unwrap();
    let dec: serde_json::Value =
        serde_json::from_str(&ledger.store.statement("2026-12").await.unwrap().unwrap()).unwrap();
    let up = &dec["distributors"][0];
    // Order 2's 80 BV at 10 % in December, and order 1's clawbacks: 8.00 − 8.00.
    assert_eq!(
        (up["earnings"]["unilevel"].as_str(), up["earnings"]["clawback"].as_str()),
        (Some("8.00"), Some("-8.00"))
    );

    // Dismissed: gone from the parked list, kept with who and when.
    ledger.apply_order(&order(3, nov + 2)).await.unwrap();
    ledger.dismiss_parked("order#3", "admin@example.com", "2026-12-06T11:00:00Z").await.unwrap().unwrap();
    assert!(ledger.store.parked().await.unwrap().is_empty());
    assert!(ledger.dismiss_parked("order#3", "x", "y").await.unwrap().is_err(), "nothing left to dismiss");
}
