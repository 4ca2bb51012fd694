//! Seeded synthetic scenarios: the same seed always gives the same scenario.
//!
//! Shapes chosen to look like a real direct-selling company rather than a uniform random tree:
//! - sponsor fan-out is skewed (preferential attachment: people who recruit keep recruiting), with
//!   runs of single-line recruiting that make deep legs;
//! - about a third of the orders are retail customers', a tenth guests' through a replicated site
//!   (some with no referrer: house orders), the rest distributors' own;
//! - orders come in USD, EUR, GBP and CAD at per-order exchange rates, from a catalog with fixed
//!   BV, BV as a rate of the price, and items without BV;
//! - a few percent of orders are refunded, in their own period or later, partly or fully.

use mlm_engine::period::{Period, PeriodKind, Timestamp};
use mlm_engine::plan::Plan;
use mlm_engine::scenario::{
    CatalogItem, Customer, Distributor, Order, OrderLine, Refund, RefundLine, RefundWhat, Scenario,
};
use mlm_engine::Format;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Params {
    pub distributors: usize,
    pub orders: usize,
    pub seed: u64,
    /// How many calendar months the orders span (refunds may reach one month further).
    pub months: u32,
    /// Share of orders refunded, in percent.
    pub refund_percent: u32,
}

impl Default for Params {
    fn default() -> Params {
        Params { distributors: 100, orders: 500, seed: 1, months: 2, refund_percent: 4 }
    }
}

/// The plan generated scenarios use: every section of spec §15 on.
pub const FULL_PLAN: &str = r#"
id: synthetic
version: 1
currency: USD
period: month
activity: { min_pv: 50 }
retail: { rate: "0.20" }
unilevel: { rates: ["0.05", "0.04", "0.03", "0.02", "0.01"], compression: true, unranked_depth: 2 }
binary: { rate: "0.10", cap: "500", carry_forward: true, placement: weaker_leg, qualification: { left: 1, right: 1 } }
matrix: { width: 3, rates: ["0.02", "0.02", "0.02", "0.01"] }
ranks:
  - { name: Bronze, min_pv: 50, min_gv: 500 }
  - { name: Silver, min_pv: 100, min_gv: 2000, min_legs: { count: 2, rank: Bronze }, unilevel_depth: 4 }
  - { name: Gold, min_pv: 100, min_gv: 10000, min_legs: { count: 3, rank: Silver }, unilevel_depth: 5 }
compliance: { min_retail_ratio: "0.25" }
payout: { min_amount: "25" }
"#;

pub fn full_plan() -> Plan {
    Plan::from_text(FULL_PLAN, Format::Yaml, "plan").expect("the built-in plan is valid")
}

const DAY_NS: i64 = 86_400 * 1_000_000_000;

fn d(units: i64, scale: u32) -> Decimal {
    Decimal::new(units, scale)
}

/// The catalog: `(sku, bv, bv_rate, pv, list price in USD cents)`.
fn catalog() -> Vec<(CatalogItem, i64)> {
    let fixed = |sku: &str, bv: i64, pv: i64, price: i64| {
        (CatalogItem { sku: sku.into(), bv: Some(d(bv, 0)), bv_rate: None, pv: Some(d(pv, 0)) }, price)
    };
    let rated = |sku: &str, rate: i64, pv: i64, price: i64| {
        (CatalogItem { sku: sku.into(), bv: None, bv_rate: Some(d(rate, 2)), pv: Some(d(pv, 0)) }, price)
    };
    vec![
        fixed("VITA-30", 40, 40, 4600),
        fixed("VITA-90", 100, 100, 11900),
        rated("SHAKE-VAN", 80, 35, 5499),
        rated("SHAKE-CHOC", 80, 35, 5499),
        fixed("OMEGA-60", 25, 25, 2995),
        rated("SKIN-SET", 70, 60, 8950),
        fixed("TEA-20", 12, 10, 1475),
        (CatalogItem { sku: "STARTER-KIT".into(), bv: None, bv_rate: None, pv: None }, 4900),
    ]
}

/// `(currency, units per USD)`.
const CURRENCIES: [(&str, i64, u32); 3] = [("EUR", 92, 2), ("GBP", 79, 2), ("CAD", 136, 2)];

/// The `i`-th of `n` instants spread evenly over `span` nanoseconds (i128: no overflow).
fn spread(i: usize, n: usize, span: i64) -> i64 {
    (i as i128 * span as i128 / n.max(1) as i128) as i64
}

pub fn generate(p: &Params) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let plan = full_plan();
    let start = Timestamp::parse("2026-01-01T00:00:00Z").expect("valid").0;
    let n = p.distributors.max(1);

    // Distributors joined over the year before the first order.
    let mut distributors = Vec::with_capacity(n);
    let mut attach: Vec<u32> = Vec::with_capacity(2 * n); // one entry per distributor + per recruit
    for i in 0..n {
        let sponsor = if i == 0 {
            None
        } else if i > 1 && rng.gen_ratio(15, 100) {
            Some(i - 1) // a single-line run: deep legs
        } else {
            Some(attach[rng.gen_range(0..attach.len())] as usize)
        };
        if let Some(s) = sponsor {
            attach.push(s as u32);
        }
        attach.push(i as u32);
        distributors.push(Distributor {
            id: format!("D{}", i + 1),
            sponsor: sponsor.map(|s| format!("D{}", s + 1)),
            joined_at: Timestamp(start - 365 * DAY_NS + spread(i, n, 300 * DAY_NS)),
            placement: None,
        });
    }

    let customers: Vec<Customer> = (0..n.div_ceil(2))
        .map(|i| Customer {
            id: format!("C{}", i + 1),
            referrer: (!rng.gen_ratio(1, 10)).then(|| format!("D{}", rng.gen_range(1..=n))),
        })
        .collect();

    let items = catalog();
    let span = p.months.max(1) as i64 * 28 * DAY_NS;
    let mut orders = Vec::with_capacity(p.orders);
    for i in 0..p.orders {
        let roll = rng.gen_range(0..100);
        let (buyer, referrer) = if roll < 58 {
            (Some(format!("D{}", rng.gen_range(1..=n))), None)
        } else if roll < 90 && !customers.is_empty() {
            (Some(customers[rng.gen_range(0..customers.len())].id.clone()), None)
        } else if roll < 97 {
            (None, Some(format!("D{}", rng.gen_range(1..=n))))
        } else {
            (None, None)
        };
        let (currency, rate) = match rng.gen_range(0..100) {
            0..=79 => (None, None),
            k => {
                let (c, units, scale) = CURRENCIES[k as usize % 3];
                // Exchange rates drift by up to ±3% from order to order.
                let drift = rng.gen_range(-3i64..=3);
                (Some(c.to_string()), Some(d(units * 100 + units * drift, scale + 2)))
            }
        };
        let lines = (0..rng.gen_range(1..=3))
            .map(|_| {
                let (item, price) = &items[rng.gen_range(0..items.len())];
                let local = match rate {
                    // Price in the order currency, rounded to cents.
                    Some(x) => mlm_engine::num::round2(d(*price, 2) * x),
                    None => d(*price, 2),
                };
                OrderLine { sku: item.sku.clone(), quantity: rng.gen_range(1..=3), unit_price: local }
            })
            .collect();
        orders.push(Order {
            id: 100_000 + i as i64,
            buyer,
            referrer,
            // Strictly increasing: input order is time order, and no two orders tie.
            placed_at: Timestamp(start + spread(i, p.orders, span) + i as i64 % 1000),
            currency,
            exchange_rate: rate,
            lines,
        });
    }

    let mut refunds = Vec::new();
    for o in &orders {
        if !rng.gen_ratio(p.refund_percent.min(100), 100) {
            continue;
        }
        let late = rng.gen_bool(0.5);
        let days = if late { rng.gen_range(29..45) } else { rng.gen_range(0..2) };
        let mut at = Timestamp(o.placed_at.0 + days * DAY_NS + 1);
        if !late && Period::of(PeriodKind::Month, at) != Period::of(PeriodKind::Month, o.placed_at) {
            at = o.placed_at; // keep an in-period refund in its period
        }
        let what = if rng.gen_ratio(1, 3) {
            RefundWhat::Full
        } else {
            let l = &o.lines[0];
            RefundWhat::Lines(vec![RefundLine { sku: l.sku.clone(), quantity: rng.gen_range(1..=l.quantity) }])
        };
        refunds.push(Refund { order: o.id, at, what });
    }
    refunds.sort_by_key(|r| r.at);

    Scenario {
        plan,
        distributors,
        customers,
        catalog: items.into_iter().map(|(c, _)| c).collect(),
        orders,
        refunds,
        adjustments: Vec::new(),
    }
}
