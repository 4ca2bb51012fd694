//! `POST /api/admin/plans/what-if?from=P&to=P`: the stored periods replayed under the plan in
//! the body, beside what was paid ([`crate::whatif`]). Nothing is stored.

use crate::api::{ApiError, ApiResult, ApiState, Caller};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::Value;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/api/admin/plans/what-if", post(what_if))
}

#[derive(Deserialize)]
pub(crate) struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn what_if(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<RangeQuery>,
    body: String,
) -> ApiResult<Json<Value>> {
    let who = c.admin()?;
    let need = |v: Option<String>, f: &str| {
        v.filter(|v| !v.trim().is_empty())
            .ok_or_else(|| ApiError::field(StatusCode::BAD_REQUEST, f, "required: a period such as 2026-11"))
    };
    let (from, to) = (need(q.from, "from")?, need(q.to, "to")?);
    let out = crate::whatif::what_if(s.ledger(), &body, &from, &to).await?;
    tracing::info!(%from, %to, by = %who.who(), "plan what-if");
    Ok(Json(out))
}
