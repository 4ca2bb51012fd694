//! `GET /api/admin/distributors`: the distributor list, searched by id or e-mail (the ledger
//! keeps no personal names) and filtered by rank, held money and inactivity, a page at a time.
//!
//! Ranks, activity and earnings are the period's published standings (each close and daily
//! refresh), read in one batch for the whole network so the filters see everyone; a network too
//! large for that read would want an index of standings by rank.

use crate::api::{number, period_param, ApiResult, ApiState, Caller};
use crate::schedule::{Hold, HOLDS};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use mlm_engine::period::{Period, Timestamp};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Most rows one page returns.
pub const MAX_LIMIT: usize = 200;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/api/admin/distributors", get(list))
}

/// Numbers and flags arrive as text and are checked here, so a bad one gets an error naming it.
#[derive(Deserialize)]
pub(crate) struct ListQuery {
    q: Option<String>,
    period: Option<String>,
    rank: Option<String>,
    held: Option<String>,
    inactive: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn flag(field: &str, v: Option<&str>) -> ApiResult<bool> {
    match v {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => {
            Err(crate::api::ApiError::field(axum::http::StatusCode::BAD_REQUEST, field, "must be true or false"))
        }
    }
}

async fn list(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    c.admin()?;
    let limit = number("limit", q.limit.as_deref(), 50, 1..=MAX_LIMIT)?;
    let skip = number("cursor", q.cursor.as_deref(), 0, 0..=usize::MAX - MAX_LIMIT)?;
    let (held_only, inactive_only) = (flag("held", q.held.as_deref())?, flag("inactive", q.inactive.as_deref())?);
    let plan = s.ledger().plan().await?;
    let period = match period_param(&s, q.period.as_deref()).await? {
        Some(p) => p,
        None => Period::of(plan.period, s.now()).to_string(),
    };
    let needle = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
    // "none" asks for distributors without a rank.
    let rank = q.rank.as_deref().map(str::trim).filter(|r| !r.is_empty());

    let all = s.ledger().store.distributors().await?;
    let ids: Vec<String> = all.iter().map(|d| d.id.clone()).collect();
    let standings = s.standings(&ids, &period).await?;
    let holds: HashMap<String, Hold> = s
        .ledger()
        .store
        .docs(HOLDS)
        .await?
        .into_iter()
        .filter_map(|(k, t)| serde_json::from_str(&t).ok().map(|h| (k, h)))
        .collect();
    let mut rows = Vec::new();
    let mut total = 0usize;
    for (d, st) in all.iter().zip(&standings) {
        if let Some(n) = &needle {
            let email = d.email.as_deref().unwrap_or("").to_lowercase();
            if !d.id.to_lowercase().contains(n.as_str()) && !email.contains(n.as_str()) {
                continue;
            }
        }
        let st_rank = st.as_ref().and_then(|st| st.rank.as_deref());
        match rank {
            Some("none") if st_rank.is_some() => continue,
            Some(r) if r != "none" && st_rank != Some(r) => continue,
            _ => {}
        }
        let active = st.as_ref().is_some_and(|st| st.active);
        if inactive_only && active {
            continue;
        }
        let held = st.as_ref().map_or(Decimal::ZERO, |st| st.earnings.held);
        let hold = holds.get(&d.id);
        if held_only && hold.is_none() && held <= Decimal::ZERO {
            continue;
        }
        total += 1;
        if total <= skip || rows.len() >= limit {
            continue;
        }
        rows.push(json!({
            "id": d.id,
            "name": d.email,
            "email": d.email,
            "sponsor": d.sponsor,
            "joined_at": Timestamp(d.joined_at).to_rfc3339(),
            "published": st.is_some(),
            "rank": st_rank,
            "active": active,
            "pv": st.as_ref().map_or(Decimal::ZERO, |st| st.pv),
            "gv": st.as_ref().map_or(Decimal::ZERO, |st| st.gv),
            "payable": st.as_ref().map_or(Decimal::ZERO, |st| st.earnings.payable),
            "held": held,
            "hold": hold,
        }));
    }
    let next_cursor = (skip + rows.len() < total).then(|| (skip + rows.len()).to_string());
    Ok(Json(json!({ "period": period, "total": total, "distributors": rows, "next_cursor": next_cursor })))
}
