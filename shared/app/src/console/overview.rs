//! `GET /api/admin/overview?period=P`: what a period pays the company over, open or closed,
//! beside the period before it. A closed period's figures are its stored statement
//! ([`Ledger::statement`](mlm_ledger::service::Ledger::statement)); an open one's are the
//! statement it would have if it closed now ([`Ledger::preview`](mlm_ledger::service::Ledger::preview)),
//! computed by the same engine and not stored.
//!
//! The ledger stores no personal names: a distributor's `name` here is its e-mail address (the
//! only personal identifier it keeps), null when it has none.

use crate::api::{period_param, ApiError, ApiResult, ApiState, Caller};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Json, Router};
use mlm_engine::num::{fmt_ratio, ratio};
use mlm_engine::period::Period;
use mlm_engine::Plan;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;

/// How many top earners the overview lists.
pub const TOP_EARNERS: usize = 10;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/api/admin/overview", get(overview))
}

#[derive(Deserialize)]
pub(crate) struct OverviewQuery {
    period: Option<String>,
}

async fn overview(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<OverviewQuery>,
) -> ApiResult<Json<Value>> {
    c.admin()?;
    let plan = s.ledger().plan().await?;
    let open = Period::of(plan.period, s.now());
    let period = match period_param(&s, q.period.as_deref()).await? {
        Some(p) => Period::parse(plan.period, &p).expect("checked by period_param"),
        None => open,
    };
    if period > open {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "period",
            format!("{period} has not started (the open period is {open})"),
        ));
    }
    let emails: HashMap<String, Option<String>> =
        s.ledger().store.distributors().await?.into_iter().map(|d| (d.id, d.email)).collect();
    let Some(mut out) = period_overview(&s, &plan, period, &emails).await? else {
        return Err(ApiError::field(
            StatusCode::NOT_FOUND,
            "period",
            format!("{period} has no figures: it is before the company's first activity"),
        ));
    };
    let previous = Period { ordinal: period.ordinal - 1, ..period };
    out["previous"] = period_overview(&s, &plan, previous, &emails).await?.unwrap_or(Value::Null);
    Ok(Json(out))
}

/// One period's overview, or `None` when it has no statement and nothing to preview.
async fn period_overview(
    s: &ApiState,
    plan: &Plan,
    period: Period,
    emails: &HashMap<String, Option<String>>,
) -> ApiResult<Option<Value>> {
    let name = period.to_string();
    let closed = s.ledger().store.closed_periods().await?.contains(&name);
    let (entry, as_of) = if closed {
        match s.ledger().statement(&name).await? {
            Some(text) => (first_period(&text)?, None),
            None => return Ok(None),
        }
    } else {
        match s.ledger().preview(&name).await? {
            Some(text) => (parse(&text)?, Some(s.now().to_rfc3339())),
            None => return Ok(None),
        }
    };
    let mut out = summarize(&entry, plan, emails).map_err(|m| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, m))?;
    out["status"] = json!(if closed { "closed" } else { "open" });
    out["as_of"] = json!(as_of);
    out["currency"] = json!(plan.currency);
    Ok(Some(out))
}

fn parse(text: &str) -> ApiResult<Value> {
    serde_json::from_str(text).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// The one period of a stored §16 statement.
fn first_period(text: &str) -> ApiResult<Value> {
    let mut v = parse(text)?;
    match v.get_mut("periods").and_then(Value::as_array_mut).and_then(|p| p.pop()) {
        Some(entry) => Ok(entry),
        None => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "a stored statement has no period")),
    }
}

fn decimal(v: &Value, what: &str) -> Result<Decimal, String> {
    v.as_str().and_then(|t| Decimal::from_str(t).ok()).ok_or_else(|| format!("statement: {what} is not a decimal"))
}

/// The overview of one period's §16 entry: its `company` object as is (every field the engine
/// writes, new ones included), the payout ratio, head counts, counts by rank in the plan's rank
/// order (ranks no longer in the plan after them, then `null` for no rank), and the top earners
/// by payable (held money is not earned until released), ties by id.
pub fn summarize(entry: &Value, plan: &Plan, emails: &HashMap<String, Option<String>>) -> Result<Value, String> {
    let company = entry.get("company").cloned().ok_or("statement: no company")?;
    let sales = decimal(&company["sales"], "company.sales")?;
    let commissions = decimal(&company["commissions"], "company.commissions")?;
    let rows = entry.get("distributors").and_then(Value::as_array).ok_or("statement: no distributors")?;
    let mut ranks: Vec<(Option<String>, u64)> = plan.ranks.iter().map(|r| (Some(r.name.clone()), 0)).collect();
    ranks.push((None, 0));
    let mut active = 0u64;
    let mut earners: Vec<(Decimal, &str)> = Vec::with_capacity(rows.len());
    for d in rows {
        let id = d["id"].as_str().ok_or("statement: a distributor without id")?;
        if d["active"].as_bool() == Some(true) {
            active += 1;
        }
        let rank = d["rank"].as_str().map(str::to_string);
        match ranks.iter_mut().find(|(r, _)| *r == rank) {
            Some((_, n)) => *n += 1,
            // A rank the plan in force no longer has: before "no rank".
            None => ranks.insert(ranks.len() - 1, (rank, 1)),
        }
        earners.push((decimal(&d["earnings"]["payable"], &format!("{id}.earnings.payable"))?, id));
    }
    earners.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let top: Vec<Value> = earners
        .iter()
        .take(TOP_EARNERS)
        .map(|(payable, id)| {
            json!({ "id": id, "name": emails.get(*id).cloned().flatten(), "payable": mlm_engine::num::fmt_money(*payable) })
        })
        .collect();
    Ok(json!({
        "period": entry["period"],
        "company": company,
        "payout_ratio": ratio(commissions, sales).map(fmt_ratio),
        "distributors": rows.len(),
        "active": active,
        "by_rank": ranks.into_iter().map(|(rank, count)| json!({ "rank": rank, "count": count })).collect::<Vec<_>>(),
        "top_earners": top,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_sales_the_payout_ratio_is_null_and_unknown_ranks_come_before_no_rank() {
        let plan = Plan::from_text(
            "{id: p, version: 1, currency: USD, period: month, ranks: [{name: Bronze, min_pv: 1}], payout: {min_amount: '0'}}",
            mlm_engine::Format::Yaml,
            "",
        )
        .unwrap();
        let entry = json!({ "period": "2026-11",
            "company": { "sales": "0.00", "commissions": "5.00" },
            "distributors": [
                { "id": "B", "active": true, "rank": "Gold", "earnings": { "payable": "5.00" } },
                { "id": "A", "active": false, "rank": null, "earnings": { "payable": "5.00" } } ] });
        let o = summarize(&entry, &plan, &HashMap::new()).unwrap();
        assert_eq!(o["payout_ratio"], Value::Null);
        assert_eq!(
            o["by_rank"],
            json!([{ "rank": "Bronze", "count": 0 }, { "rank": "Gold", "count": 1 }, { "rank": null, "count": 1 }])
        );
        // Equal payable: by id.
        assert_eq!(o["top_earners"][0]["id"], "A");
        assert_eq!((o["distributors"].as_u64(), o["active"].as_u64()), (Some(2), Some(1)));
    }
}
