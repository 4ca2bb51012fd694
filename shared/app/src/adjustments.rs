//! Admin routes of plan v2: recording a manual adjustment (spec §21) and the income disclosure
//! over closed periods (spec §22), as JSON or CSV. Documented in `openapi.yaml`.

use crate::api::{json_body, ApiError, ApiResult, ApiState, Caller};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use mlm_engine::period::Timestamp;
use mlm_ledger::adjustments::NewAdjustment;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use std::str::FromStr;

pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/admin/adjustments", post(adjust).get(list))
        .route("/api/admin/disclosure", get(disclosure))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustBody {
    distributor: String,
    /// A decimal string (`"-15.00"`) or a JSON number.
    amount: Value,
    reason: String,
    /// RFC 3339 with offset; default now.
    at: Option<String>,
}

fn record_json(r: &mlm_ledger::adjustments::AdjustmentRecord) -> Value {
    json!({
        "id": r.id,
        "distributor": r.distributor,
        "at": Timestamp(r.at).to_rfc3339(),
        "amount": format!("{:.2}", r.amount),
        "reason": r.reason,
        "recorded_by": r.recorded_by,
        "recorded_at": Timestamp(r.recorded_at).to_rfc3339(),
    })
}

async fn adjust(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let who = c.admin()?.who();
    let b: AdjustBody = json_body(&body)?;
    let amount = match &b.amount {
        Value::String(t) => Decimal::from_str(t.trim()).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
    .ok_or_else(|| ApiError::field(StatusCode::BAD_REQUEST, "amount", "a decimal amount, like \"-15.00\""))?;
    let at = match &b.at {
        Some(t) => Some(Timestamp::parse(t).map_err(|m| ApiError::field(StatusCode::BAD_REQUEST, "at", m))?.0),
        None => None,
    };
    let a = NewAdjustment { distributor: b.distributor, amount, reason: b.reason, at };
    let r = s.ledger().adjust(a, &who, s.now().0).await?;
    tracing::info!(id = %r.id, distributor = %r.distributor, amount = %r.amount, by = %who, "adjustment recorded");
    Ok((StatusCode::CREATED, Json(record_json(&r))))
}

async fn list(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    c.admin()?;
    let all: Vec<Value> = s.ledger().adjustments().await?.iter().map(record_json).collect();
    Ok(Json(json!({ "adjustments": all })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisclosureQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

async fn disclosure(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<DisclosureQuery>,
) -> ApiResult<Response> {
    c.admin()?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::field(StatusCode::BAD_REQUEST, "format", format!("json or csv, not {other:?}")))
        }
    };
    let doc = s.ledger().disclosure(q.from.as_deref(), q.to.as_deref()).await.map_err(|e| match e {
        // The engine names the CLI options (`--from`); here they are query parameters.
        mlm_ledger::LedgerError::Invalid(mut errors) => {
            for e in &mut errors.0 {
                e.path = e.path.trim_start_matches("--").to_string();
            }
            ApiError::from(mlm_ledger::LedgerError::Invalid(errors))
        }
        e => ApiError::from(e),
    })?;
    if !csv {
        return Ok(Json(doc).into_response());
    }
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], to_csv(&doc)?).into_response())
}

/// One row per group, then `all`: title, count, share, earned_nothing, total, mean, median,
/// min, max (empty cells for nulls), in the plan's currency.
fn to_csv(doc: &Value) -> ApiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    let cols = ["title", "count", "share", "earned_nothing", "total", "mean", "median", "min", "max"];
    w.write_record(cols.iter().copied().chain(["currency", "from", "to"])).map_err(err)?;
    let cell = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let groups = doc["groups"].as_array().cloned().unwrap_or_default();
    for g in groups.iter().chain(std::iter::once(&doc["all"])) {
        let mut row: Vec<String> = cols.iter().map(|k| cell(&g[*k])).collect();
        row.extend([cell(&doc["currency"]), cell(&doc["from"]), cell(&doc["to"])]);
        w.write_record(&row).map_err(err)?;
    }
    w.into_inner().map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}
