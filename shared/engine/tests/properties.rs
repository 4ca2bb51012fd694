//! Properties that must hold for every plan and every network, checked on generated scenarios.

use mlm_engine::close::{Context, Kind};
use mlm_engine::online::OpenPeriod;
use mlm_engine::period::{Period, Timestamp};
use mlm_engine::plan::BinaryPlacement;
use mlm_engine::plan::{FastStart, Matching, Pool, Split};
use mlm_engine::scenario::{Adjustment, Refund, RefundLine, RefundWhat, Scenario};
use mlm_engine::Run;
use mlm_scenario_gen::{generate, Params};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// A generated scenario with plan switches varied.
fn scenario(seed: u64, n: usize, orders: usize, months: u32, refunds: u32, variant: u8) -> Scenario {
    let mut s = generate(&Params { distributors: n, orders, seed, months, refund_percent: refunds });
    let b = s.plan.binary.as_mut().expect("the generated plan has binary");
    b.placement = [
        BinaryPlacement::WeakerLeg,
        BinaryPlacement::ExtremeLeft,
        BinaryPlacement::ExtremeRight,
        BinaryPlacement::Alternate,
    ][variant as usize % 4];
    b.carry_forward = variant & 4 == 0;
    s.plan.unilevel.as_mut().expect("unilevel").compression = variant & 8 == 0;
    if variant & 16 != 0 {
        s.plan.activity = None;
    }
    if variant & 32 == 0 {
        with_v2(&mut s, seed, variant);
    }
    s
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

/// Turns every section of plan v2 on (spec §17–§21): fast_start over a window that covers the
/// generated orders, matching of every matchable kind, advancement bonuses, an equal and a GV
/// pool, and a few adjustments of either sign.
fn with_v2(s: &mut Scenario, seed: u64, variant: u8) {
    let p = &mut s.plan;
    p.fast_start = Some(FastStart { rates: vec![dec("0.125"), dec("0.05")], days: 400 });
    p.matching = Some(Matching {
        rates: vec![dec("0.2"), dec("0.1"), dec("0.05")],
        of: vec![Kind::Unilevel, Kind::Binary, Kind::Matrix, Kind::FastStart],
        unranked_depth: 1,
    });
    for (i, r) in p.ranks.iter_mut().enumerate() {
        r.advancement_bonus = (i != 1).then(|| Decimal::new(2501 * (i as i64 + 1), 2));
        r.matching_depth = Some(i as u32 + 2);
    }
    p.pools = vec![
        Pool { name: "all ranks".into(), share: dec("0.013"), rank: 0, split: Split::Equal },
        Pool { name: "leaders".into(), share: dec("0.007"), rank: 1, split: Split::Gv },
    ];
    let n = s.distributors.len();
    let Some(first) = s.orders.iter().map(|o| o.placed_at.0).min() else { return };
    for k in 0..(seed % 4) as usize {
        let who = (seed as usize / 7 + k * 13) % n;
        let cents = ((seed >> (k * 8)) % 9_000) as i64 + 1;
        let sign = if (variant as usize + k) % 3 == 0 { -1 } else { 1 };
        s.adjustments.push(Adjustment {
            id: format!("ADJ-{k}"),
            distributor: s.distributors[who].id.clone(),
            at: Timestamp(first + k as i64 * 20 * 86_400 * 1_000_000_000),
            amount: Decimal::new(sign * cents, 2),
            reason: "test".into(),
        });
    }
}

fn render(s: Scenario) -> Vec<u8> {
    let run = Run::prepare(s).expect("valid scenario");
    let ex = run.explain();
    let mut out = Vec::new();
    ex.write_header(&mut out, &run.warnings).unwrap();
    let mut first = true;
    run.close_all(|st| {
        if !first {
            out.push(b',');
        }
        first = false;
        ex.write_period(&mut out, st).unwrap();
        true
    });
    ex.write_footer(&mut out).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Σ lines = Σ earnings = company commissions, and payable + held = commissions.
    #[test]
    fn sums_agree(seed in any::<u64>(), n in 2usize..60, orders in 1usize..250, months in 1u32..4, refunds in 0u32..25, variant in any::<u8>()) {
        let run = Run::prepare(scenario(seed, n, orders, months, refunds, variant)).unwrap();
        let mut periods = 0;
        run.close_all(|st| {
            periods += 1;
            let lines: Decimal = st.lines.iter().map(|l| l.amount).sum();
            let mut kinds = Decimal::ZERO;
            let mut split = Decimal::ZERO;
            for (d, e) in st.earnings.iter().enumerate() {
                let by_kind = e.retail
                    + e.unilevel
                    + e.binary
                    + e.matrix
                    + e.fast_start
                    + e.matching
                    + e.rank_bonus
                    + e.pool
                    + e.adjustment
                    + e.clawback;
                assert_eq!(by_kind, e.payable + e.held, "distributor {d}");
                let own: Decimal = st.lines_of(d as u32).map(|l| l.amount).sum();
                assert_eq!(own, by_kind, "distributor {d}");
                kinds += by_kind;
                split += e.payable + e.held;
            }
            assert_eq!(lines, st.company.commissions);
            assert_eq!(kinds, st.company.commissions);
            assert_eq!(split, st.company.commissions);
            let payouts: Decimal = st.payout.iter().sum();
            assert_eq!(payouts, st.company.payouts);
            true
        });
        prop_assert_eq!(periods, run.periods().len());
    }

    /// An order refunded in full, however many late refunds it takes, nets to zero for every
    /// earner, to the cent.
    #[test]
    fn full_refunds_net_to_zero(seed in any::<u64>(), n in 3usize..40, orders in 5usize..120, pick in any::<prop::sample::Index>(), steps in 0usize..3, variant in any::<u8>()) {
        let mut s = scenario(seed, n, orders, 1, 0, variant);
        let o = pick.get(&s.orders).clone();
        let month = 31 * 86_400 * 1_000_000_000i64;
        let mut at = o.placed_at.0 + month;
        let mut left = o.lines[0].quantity;
        for _ in 0..steps {
            if left > 1 {
                s.refunds.push(Refund { order: o.id, at: Timestamp(at), what: RefundWhat::Lines(vec![RefundLine { sku: o.lines[0].sku.clone(), quantity: 1 }]) });
                left -= 1;
                at += month;
            }
        }
        s.refunds.push(Refund { order: o.id, at: Timestamp(at), what: RefundWhat::Full });
        let run = Run::prepare(s).unwrap();
        let ex = run.explain();
        let mut net: HashMap<String, Decimal> = HashMap::new();
        let mut clawbacks = 0;
        run.close_all(|st| {
            for l in &st.lines {
                let v = ex.line(st, l);
                if v.order == Some(o.id) {
                    *net.entry(v.earner.clone()).or_default() += v.amount;
                    clawbacks += usize::from(v.kind == Kind::Clawback);
                }
            }
            true
        });
        for (earner, total) in &net {
            prop_assert_eq!(*total, Decimal::ZERO, "{} keeps {} of order {}", earner, total, o.id);
        }
        if !net.is_empty() {
            prop_assert!(clawbacks > 0);
        }
    }

    /// The statement does not depend on the order records arrive in.
    #[test]
    fn arrival_order_does_not_matter(seed in any::<u64>(), n in 2usize..50, orders in 1usize..200, months in 1u32..3, variant in any::<u8>(), shuffle in any::<u64>()) {
        let s = scenario(seed, n, orders, months, 10, variant);
        let mut t = s.clone();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(shuffle);
        t.orders.shuffle(&mut rng);
        t.refunds.shuffle(&mut rng);
        t.customers.shuffle(&mut rng);
        t.catalog.shuffle(&mut rng);
        prop_assert!(render(s) == render(t));
    }

    /// Pool shares never add up to more than the pool (§20); a title never falls and is at
    /// least the period's rank (§19); adjustments are never held (§21); held lines are never
    /// matched (§18).
    #[test]
    fn v2_invariants(seed in any::<u64>(), n in 2usize..60, orders in 1usize..250, months in 1u32..4, refunds in 0u32..25, variant in 0u8..32) {
        let run = Run::prepare(scenario(seed, n, orders, months, refunds, variant)).unwrap();
        let mut title = vec![0u8; run.net.len()];
        run.close_all(|st| {
            for (i, pool) in st.company.pools.iter().enumerate() {
                let shares: Vec<Decimal> = st.lines.iter().filter(|l| l.kind == Kind::Pool && l.source == i as u32).map(|l| l.amount).collect();
                let total: Decimal = shares.iter().sum();
                assert!(total <= pool.amount, "pool {i}: {total} > {}", pool.amount);
                assert_eq!(total, pool.distributed);
                assert!(shares.iter().all(|s| *s >= Decimal::ZERO));
                assert!(shares.len() as u32 <= pool.qualifiers);
            }
            for (d, t) in title.iter_mut().enumerate() {
                assert!(st.title(d) >= *t, "title of {d} fell");
                let joined = run.net.joined_at(d as u32).is_none_or(|j| j < st.period.next().start());
                assert!(!joined || st.title(d) >= st.rank[d], "title of {d} below its rank");
                *t = st.title(d);
            }
            for l in &st.lines {
                if l.kind == Kind::Adjustment {
                    assert!(!l.held, "an adjustment is held");
                }
            }
            for (m, base) in st.matching_base.iter().enumerate() {
                let payable: Decimal = st.lines_of(m as u32).filter(|l| !l.held && matches!(l.kind, Kind::Unilevel | Kind::Binary | Kind::Matrix | Kind::FastStart) || (!l.held && l.kind == Kind::Clawback && l.of != Some(Kind::Retail))).map(|l| l.amount).sum();
                assert_eq!(*base, payable, "matched base of {m}");
            }
            true
        });
    }

    /// Same input, same bytes out.
    #[test]
    fn deterministic(seed in any::<u64>(), n in 2usize..40, orders in 1usize..150) {
        let a = render(scenario(seed, n, orders, 2, 10, 0));
        let b = render(scenario(seed, n, orders, 2, 10, 0));
        prop_assert!(a == b);
    }
}

/// Without activity thresholds, compliance or rank-limited depth nothing is provisional: the
/// online evaluation of each order, in any arrival order, equals the lines close gives it.
#[test]
fn online_lines_equal_close_when_nothing_is_provisional() {
    let mut s = scenario(7, 80, 600, 1, 0, 0);
    s.plan.activity = None;
    s.plan.compliance = None;
    s.plan.ranks.clear();
    s.plan.pools.clear();
    s.plan.matching = None;
    s.adjustments.clear();
    s.plan.unilevel.as_mut().unwrap().unranked_depth = 5;
    let run = Run::prepare(s).unwrap();
    let cx = Context::new(&run.plan, &run.net, &run.book);
    let mut arrival: Vec<u32> = (0..run.book.orders.len() as u32).collect();
    arrival.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
    let period: Period = run.book.orders[0].period;
    let mut open = OpenPeriod::new(period, run.net.len(), None);
    let mut online: HashMap<u32, Vec<_>> = HashMap::new();
    for &o in &arrival {
        open.record(&run.book, o);
        online.insert(o, open.provisional_lines(&cx, &run.book, o));
    }
    let mut compared = 0;
    run.close_all(|st| {
        if st.period == period {
            for (&o, lines) in &online {
                let closed: Vec<_> =
                    st.lines.iter().filter(|l| l.kind != Kind::Binary && l.source == o).copied().collect();
                assert!(closed
                    .iter()
                    .all(|l| matches!(l.kind, Kind::Retail | Kind::Unilevel | Kind::Matrix | Kind::FastStart)));
                assert_eq!(&closed, lines, "order index {o}");
                compared += closed.len();
            }
        }
        true
    });
    assert!(compared > 1000, "only {compared} lines compared");
}

/// With an activity threshold, an order's provisional lines use the PV known when it arrives,
/// and close corrects them: an upline that becomes active later in the period is paid at close.
#[test]
fn close_corrects_provisional_activity() {
    let text = r#"
plan: { id: p, version: 1, currency: USD, period: month, activity: { min_pv: 50 }, unilevel: { rates: ["0.10"] } }
distributors:
  - { id: A, sponsor: null, joined_at: "2026-10-01T00:00:00Z" }
  - { id: B, sponsor: A, joined_at: "2026-10-02T00:00:00Z" }
catalog:
  - { sku: K, bv: 100, pv: 100 }
orders:
  - { id: 1, buyer: B, placed_at: "2026-11-02T00:00:00Z", lines: [ { sku: K, quantity: 1, unit_price: 100 } ] }
  - { id: 2, buyer: A, placed_at: "2026-11-20T00:00:00Z", lines: [ { sku: K, quantity: 1, unit_price: 100 } ] }
"#;
    let s = Scenario::from_text(text, mlm_engine::Format::Yaml, &mut |_| Err("no files".into())).unwrap();
    let run = Run::prepare(s).unwrap();
    let cx = Context::new(&run.plan, &run.net, &run.book);
    let mut open = OpenPeriod::new(run.book.orders[0].period, run.net.len(), None);
    open.record(&run.book, 0);
    // When order 1 arrives A has no PV yet: inactive, so nothing is paid provisionally.
    assert!(open.provisional_lines(&cx, &run.book, 0).is_empty());
    let mut paid = Decimal::ZERO;
    run.close_all(|st| {
        paid = st.lines.iter().filter(|l| l.source == 0).map(|l| l.amount).sum();
        true
    });
    // At close A is active (PV 100 ≥ 50) and earns 10% of order 1's 100 BV.
    assert_eq!(paid, Decimal::new(1000, 2));
}
