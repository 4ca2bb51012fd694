//! A plan what-if on real history: the stored periods replayed under a candidate plan by the
//! same engine (`Run`, as a close computes them), beside what the stored statements paid.
//! Nothing is written. Used by `mlm what-if` and `POST /api/admin/plans/what-if`.
//!
//! "Paid" is each closed period's stored statement; a period of the range that is not closed is
//! compared with the statement it would have if it closed now under the plans in force.

use mlm_engine::num::{fmt_money, fmt_ratio, ratio};
use mlm_engine::period::Period;
use mlm_engine::simulate::Run;
use mlm_engine::{Format, InputErrors, Plan};
use mlm_ledger::port::Store;
use mlm_ledger::service::{Ledger, LedgerError};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

/// How many distributors the comparison lists, by the size of the change in their pay.
pub const MOST_CHANGED: usize = 20;
/// Most periods one what-if replays.
pub const MAX_PERIODS: i64 = 120;

fn invalid(field: &str, message: impl Into<String>) -> LedgerError {
    LedgerError::Invalid(InputErrors::one(field.into(), message.into()))
}

/// Replays periods `from..=to` under `candidate` (plan YAML or JSON text) and compares.
pub async fn what_if<S: Store>(
    ledger: &Ledger<S>,
    candidate: &str,
    from: &str,
    to: &str,
) -> Result<Value, LedgerError> {
    let format = if candidate.trim_start().starts_with('{') { Format::Json } else { Format::Yaml };
    let plan = Plan::from_text(candidate, format, "").map_err(LedgerError::Invalid)?;
    let mut scenario = ledger.scenario().await?;
    if plan.period != scenario.plan.period {
        return Err(invalid(
            "period",
            format!(
                "the candidate counts {}s; the ledger's periods are {}s",
                plan.period.as_str(),
                scenario.plan.period.as_str()
            ),
        ));
    }
    let parse = |field: &str, p: &str| Period::parse(plan.period, p).map_err(|m| invalid(field, m));
    let (first, last) = (parse("from", from)?, parse("to", to)?);
    if last < first {
        return Err(invalid("to", format!("{to} is before {from}")));
    }
    if last.ordinal - first.ordinal >= MAX_PERIODS {
        return Err(invalid("to", format!("at most {MAX_PERIODS} periods at a time")));
    }
    let label = plan.label();
    scenario.plan = plan;
    let run = Run::prepare(scenario).map_err(LedgerError::Invalid)?;
    let mut replayed: Vec<Value> = Vec::new();
    run.close_until(Some(last), |st| {
        if st.period >= first && st.period <= last {
            let mut text = Vec::new();
            run.explain_in(st.period).write_period(&mut text, st).expect("writing to memory");
            replayed.push(serde_json::from_slice(&text).expect("the engine writes JSON"));
        }
        st.period < last
    });
    let closed = ledger.store.closed_periods().await?;
    let mut paid: Vec<Value> = Vec::new();
    let mut paid_plans = BTreeSet::new();
    for entry in &replayed {
        let p = entry["period"].as_str().unwrap_or_default().to_string();
        let text = if closed.contains(&p) { ledger.statement(&p).await? } else { ledger.preview(&p).await? };
        let Some(text) = text else { continue };
        let v: Value = serde_json::from_str(&text).map_err(|e| invalid("statement", e.to_string()))?;
        if let Some(pl) = v["plan"].as_str() {
            paid_plans.insert(pl.to_string());
        }
        paid.push(if v.get("periods").is_some() { v["periods"][0].clone() } else { v });
    }
    let names: Vec<&str> = run.plan.ranks.iter().map(|r| r.name.as_str()).collect();
    let (before, after) = (side(&paid, &names), side(&replayed, &names));
    let mut ids: BTreeSet<&String> = before.payable.keys().collect();
    ids.extend(after.payable.keys());
    let mut changes: Vec<(Decimal, &String, Decimal, Decimal)> = ids
        .into_iter()
        .map(|id| {
            let (b, a) = (
                before.payable.get(id).copied().unwrap_or_default(),
                after.payable.get(id).copied().unwrap_or_default(),
            );
            (a - b, id, b, a)
        })
        .filter(|c| !c.0.is_zero())
        .collect();
    changes.sort_by(|x, y| y.0.abs().cmp(&x.0.abs()).then_with(|| x.1.cmp(y.1)));
    Ok(json!({
        "from": first.to_string(),
        "to": last.to_string(),
        "periods": replayed.iter().map(|e| e["period"].clone()).collect::<Vec<_>>(),
        "paid": before.to_json(paid_plans.into_iter().collect::<Vec<_>>().join(", ")),
        "candidate": after.to_json(label),
        "most_changed": changes.iter().take(MOST_CHANGED).map(|(d, id, b, a)| json!({
            "id": id, "paid": fmt_money(*b), "candidate": fmt_money(*a), "change": fmt_money(*d),
        })).collect::<Vec<_>>(),
    }))
}

/// One side of the comparison, summed over the periods.
struct Side {
    periods: usize,
    sales: Decimal,
    commissions: Decimal,
    held: Decimal,
    payouts: Decimal,
    /// Σ each `earnings` field, every kind the engine writes.
    by_kind: BTreeMap<String, Decimal>,
    /// Distributors who held each rank in at least one period, in plan order.
    ranks: Vec<(String, usize)>,
    payable: HashMap<String, Decimal>,
}

fn dec(v: &Value) -> Decimal {
    v.as_str().and_then(|s| Decimal::from_str(s).ok()).unwrap_or_default()
}

fn side(entries: &[Value], rank_names: &[&str]) -> Side {
    let mut s = Side {
        periods: entries.len(),
        sales: Decimal::ZERO,
        commissions: Decimal::ZERO,
        held: Decimal::ZERO,
        payouts: Decimal::ZERO,
        by_kind: BTreeMap::new(),
        ranks: Vec::new(),
        payable: HashMap::new(),
    };
    let mut reached: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in entries {
        let c = &e["company"];
        s.sales += dec(&c["sales"]);
        s.commissions += dec(&c["commissions"]);
        s.held += dec(&c["held"]);
        s.payouts += dec(&c["payouts"]);
        for d in e["distributors"].as_array().into_iter().flatten() {
            let id = d["id"].as_str().unwrap_or_default().to_string();
            if let Some(earnings) = d["earnings"].as_object() {
                for (k, v) in earnings {
                    *s.by_kind.entry(k.clone()).or_default() += dec(v);
                }
            }
            *s.payable.entry(id.clone()).or_default() += dec(&d["earnings"]["payable"]);
            if let Some(r) = d["rank"].as_str() {
                reached.entry(r.to_string()).or_default().insert(id);
            }
        }
    }
    let mut names: Vec<String> = rank_names.iter().map(|r| r.to_string()).collect();
    names.extend(reached.keys().filter(|r| !rank_names.contains(&r.as_str())).cloned());
    s.ranks = names.into_iter().map(|r| (r.clone(), reached.get(&r).map_or(0, BTreeSet::len))).collect();
    s
}

impl Side {
    fn to_json(&self, plan: String) -> Value {
        json!({
            "plan": plan,
            "periods": self.periods,
            "sales": fmt_money(self.sales),
            "commissions": fmt_money(self.commissions),
            "held": fmt_money(self.held),
            "payouts": fmt_money(self.payouts),
            "payout_ratio": ratio(self.commissions, self.sales).map(fmt_ratio),
            "by_kind": self.by_kind.iter().map(|(k, v)| (k.clone(), json!(fmt_money(*v)))).collect::<serde_json::Map<_, _>>(),
            "ranks_reached": self.ranks.iter().map(|(r, n)| json!({ "rank": r, "distributors": n })).collect::<Vec<_>>(),
        })
    }
}
