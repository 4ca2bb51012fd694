//! A plan version taking effect from a period: each period closes under the plan in force, and
//! a clawback reverses at the rate (and under the plan) its original line was paid.

use mlm_engine::period::Period;
use mlm_engine::{Format, Plan, Run, Scenario};

const SCENARIO: &str = r#"
plan: { id: acme, version: 1, currency: USD, period: month, unilevel: { rates: ["0.10"] }, matrix: { width: 2, rates: ["0.01"] } }
distributors:
  - { id: UP, sponsor: null, joined_at: "2026-10-01T00:00:00Z" }
  - { id: B, sponsor: UP, joined_at: "2026-10-02T00:00:00Z" }
catalog:
  - { sku: K, bv: 100, pv: 100 }
orders:
  - { id: 1, buyer: B, placed_at: "2026-11-05T00:00:00Z", lines: [ { sku: K, quantity: 2, unit_price: 100 } ] }
  - { id: 2, buyer: B, placed_at: "2026-12-05T00:00:00Z", lines: [ { sku: K, quantity: 1, unit_price: 100 } ] }
refunds:
  - { order: 1, at: "2026-12-10T00:00:00Z", lines: [ { sku: K, quantity: 1 } ] }
"#;

fn plan(text: &str) -> Plan {
    Plan::from_text(text, Format::Yaml, "").unwrap()
}

#[test]
fn each_period_closes_under_its_plan_and_clawbacks_keep_the_paid_rate() {
    let s = Scenario::from_text(SCENARIO, Format::Yaml, &mut |_| Err("no files".into())).unwrap();
    let mut run = Run::prepare(s).unwrap();
    let v2 = plan("{ id: acme, version: 2, currency: USD, period: month, unilevel: { rates: ['0.20'] }, matrix: { width: 2, rates: ['0.01'] } }");
    run.plan.check_successor(&v2).unwrap();
    let dec = Period::parse(run.plan.period, "2026-12").unwrap();
    run.later.push((dec, v2));
    let mut seen = Vec::new();
    run.close_all(|st| {
        let ex = run.explain_in(st.period);
        let up: Vec<_> = st.lines_of(0).map(|l| ex.line(st, l)).collect();
        seen.push((st.period.to_string(), up));
        true
    });
    let (nov, dec) = (&seen[0].1, &seen[1].1);
    // November under v1: 10% of 200 BV.
    assert_eq!(
        (nov[0].rate.unwrap().to_string(), nov[0].amount.to_string(), nov[0].plan.as_str()),
        ("0.10".into(), "20.00".into(), "acme@1")
    );
    // December under v2: order 2 at 20%; the clawback of order 1 at the 10% it was paid at.
    let order2 = dec.iter().find(|l| l.order == Some(2) && l.kind.as_str() == "unilevel").unwrap();
    assert_eq!(
        (order2.rate.unwrap().to_string(), order2.amount.to_string(), order2.plan.as_str()),
        ("0.20".into(), "20.00".into(), "acme@2")
    );
    let claw = dec.iter().find(|l| l.kind.as_str() == "clawback").unwrap();
    assert_eq!(
        (claw.rate.unwrap().to_string(), claw.amount.to_string(), claw.plan.as_str()),
        ("0.10".into(), "-10.00".into(), "acme@1")
    );
}

#[test]
fn versions_cannot_change_what_is_already_built() {
    let v1 = plan("{ id: acme, version: 1, currency: USD, period: month, matrix: { width: 2, rates: ['0.01'] } }");
    let bad = plan("{ id: acme, version: 1, currency: EUR, period: week, matrix: { width: 3, rates: ['0.01'] } }");
    let errors = v1.check_successor(&bad).unwrap_err().to_string();
    for key in [
        "currency: cannot change from USD to EUR",
        "period: cannot change from month to week",
        "matrix.width: cannot change from 2 to 3",
        "version: must be greater than 1",
    ] {
        assert!(errors.contains(key), "{errors}");
    }
}
