//! The income disclosure statement (spec §22): what participants were actually paid over a
//! range of periods, grouped by career title, so prospects can see it. Built from closed
//! statements: `earned(d)` is Σ `earnings.payable` over the range (clawbacks and adjustments
//! included, held lines excluded), and each distributor belongs to the group of its title at
//! the end of the range.

use crate::error::InputErrors;
use crate::num::{div_round, fmt_money, fmt_ratio, round2};
use crate::period::Period;
use crate::plan::Plan;
use crate::simulate::Run;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// The range `from..=to` of a disclosure, checked against the periods that exist.
/// `None` bounds: every period (`None` both when there are no periods at all).
pub fn range(
    plan: &Plan,
    periods: &[Period],
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Option<(Period, Period)>, InputErrors> {
    let parse = |opt: &str, text: Option<&str>| -> Result<Option<Period>, InputErrors> {
        let Some(text) = text else { return Ok(None) };
        let p = Period::parse(plan.period, text).map_err(|m| InputErrors::one(opt.into(), m))?;
        if !periods.contains(&p) {
            let span = match (periods.first(), periods.last()) {
                (Some(a), Some(b)) => format!("the periods are {a} to {b}"),
                _ => "there are no periods".to_string(),
            };
            return Err(InputErrors::one(opt.into(), format!("{text} is outside the run ({span})")));
        }
        Ok(Some(p))
    };
    let (f, t) = (parse("--from", from)?, parse("--to", to)?);
    let (Some(&first), Some(&last)) = (periods.first(), periods.last()) else { return Ok(None) };
    let (f, t) = (f.unwrap_or(first), t.unwrap_or(last));
    if f > t {
        return Err(InputErrors::one("--from".into(), format!("{f} is after --to {t}")));
    }
    Ok(Some((f, t)))
}

/// What a disclosure is computed from: each distributor's earned total and title (0 = none,
/// k = `plan.ranks[k − 1]`) at the end of the range.
pub struct Tally {
    pub from: Option<Period>,
    pub to: Option<Period>,
    pub earned: Vec<Decimal>,
    pub title: Vec<u8>,
}

impl Tally {
    /// Closes the run's periods up to the range's end (titles count from the first period).
    pub fn of_run(run: &Run, from: Option<&str>, to: Option<&str>) -> Result<Tally, InputErrors> {
        let periods = run.periods();
        let span = range(run.plan_in(periods.last().copied().unwrap_or_else(|| never(run))), &periods, from, to)?;
        let n = run.net.len();
        let mut tally = Tally { from: None, to: None, earned: vec![Decimal::ZERO; n], title: vec![0; n] };
        let Some((f, t)) = span else { return Ok(tally) };
        (tally.from, tally.to) = (Some(f), Some(t));
        run.close_all(|st| {
            if st.period >= f {
                for (e, x) in tally.earned.iter_mut().zip(&st.earnings) {
                    *e += x.payable;
                }
            }
            if st.period == t {
                tally.title.copy_from_slice(&st.carry_out.title);
            }
            st.period < t
        });
        Ok(tally)
    }

    /// The statement of §22 under `plan` (its ranks name the groups).
    pub fn to_json(&self, plan: &Plan) -> Value {
        let all = self.earned.len();
        let mut groups = Vec::with_capacity(plan.ranks.len() + 1);
        for k in 0..=plan.ranks.len() {
            let title = if k == 0 { Value::Null } else { json!(plan.ranks[k - 1].name) };
            let earned: Vec<Decimal> =
                self.earned.iter().zip(&self.title).filter(|(_, &t)| t as usize == k).map(|(e, _)| *e).collect();
            groups.push(group(title, earned, all));
        }
        json!({
            "plan": plan.label(),
            "currency": plan.currency,
            "from": self.from.map(|p| p.to_string()),
            "to": self.to.map(|p| p.to_string()),
            "distributors": all,
            "groups": groups,
            "all": group(json!("all"), self.earned.clone(), all),
        })
    }
}

fn never(run: &Run) -> Period {
    Period::of(run.plan.period, crate::period::Timestamp(0))
}

/// One group's figures: count, share of all distributors, how many earned nothing, and the
/// total, mean, median, min and max of what they earned.
fn group(title: Value, mut earned: Vec<Decimal>, all: usize) -> Value {
    earned.sort();
    let count = earned.len();
    let total: Decimal = earned.iter().sum();
    let share = if all == 0 {
        Decimal::ZERO
    } else {
        div_round(Decimal::from(count), Decimal::from(all), 4).unwrap_or_default()
    };
    let money = |x: Decimal| json!(fmt_money(x));
    let (mean, median, min, max) = if count == 0 {
        (Value::Null, Value::Null, Value::Null, Value::Null)
    } else {
        let median = if count % 2 == 1 {
            earned[count / 2]
        } else {
            round2((earned[count / 2 - 1] + earned[count / 2]) / Decimal::TWO)
        };
        (
            money(div_round(total, Decimal::from(count), 2).unwrap_or_default()),
            money(median),
            money(earned[0]),
            money(earned[count - 1]),
        )
    };
    json!({
        "title": title,
        "count": count,
        "share": fmt_ratio(share),
        "earned_nothing": earned.iter().filter(|e| **e <= Decimal::ZERO).count(),
        "total": fmt_money(total),
        "mean": mean,
        "median": median,
        "min": min,
        "max": max,
    })
}
