//! HTTP routes shared by API Gateway (through `lambda_http`) and `mlm serve`. Answers are JSON;
//! every refusal says why (`{"error": ..., "field": ...}`).

use crate::SharedSync;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use mlm_bigcommerce::events::{route, Intake};
use mlm_bigcommerce::signature::Verifier;
use mlm_queue::{kind_name, QueueError, WorkQueue};
use serde_json::json;
use std::sync::Arc;

/// What the intake needs: the verifier (the app's client secret), the queues, and a clock.
#[derive(Clone)]
pub struct IntakeState {
    pub verifier: Arc<Verifier>,
    pub queue: Arc<dyn WorkQueue>,
    /// Unix seconds now (a port, so tests can move time).
    pub now: Arc<dyn Fn() -> i64 + Send + Sync>,
}

pub fn system_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn refuse(status: StatusCode, field: Option<&str>, error: String) -> Response {
    (status, Json(json!({ "error": error, "field": field }))).into_response()
}

/// `POST /webhooks/bigcommerce`.
pub fn intake_router(state: IntakeState) -> Router {
    Router::new().route("/webhooks/bigcommerce", post(receive)).with_state(state)
}

async fn receive(State(s): State<IntakeState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let verified = match s.verifier.verify(&header, &body, (s.now)()) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(reason = %e, "webhook refused");
            return refuse(StatusCode::UNAUTHORIZED, None, e.to_string());
        }
    };
    match route(&verified.id, &body) {
        Err(e) => {
            tracing::warn!(webhook_id = %verified.id, field = %e.field, reason = %e.message, "payload refused");
            refuse(StatusCode::BAD_REQUEST, Some(&e.field), e.to_string())
        }
        // Answered 200: BigCommerce would otherwise retry for 48 hours and disable the hook.
        Ok(Intake::Ignored { scope }) => {
            tracing::info!(webhook_id = %verified.id, %scope, "scope not handled; ignored");
            (StatusCode::OK, Json(json!({ "status": "ignored", "scope": scope }))).into_response()
        }
        Ok(Intake::Enqueue(r)) => match s.queue.send(&r).await {
            Ok(()) => {
                tracing::info!(webhook_id = %verified.id, queue = kind_name(r.queue), group = %r.group, "queued");
                (StatusCode::OK, Json(json!({ "status": "queued", "queue": kind_name(r.queue), "group": r.group })))
                    .into_response()
            }
            // A webhook id reused for another message: refused, and said so in the log.
            Err(e @ QueueError::Conflict { .. }) => {
                tracing::warn!(webhook_id = %verified.id, error = %e, needs_attention = 1, "webhook id reused; refused");
                refuse(StatusCode::CONFLICT, Some("webhook-id"), e.to_string())
            }
            // Not acknowledged: BigCommerce retries, nothing is lost.
            Err(e) => {
                tracing::error!(webhook_id = %verified.id, error = %e, "enqueue failed");
                refuse(StatusCode::SERVICE_UNAVAILABLE, None, e.to_string())
            }
        },
    }
}

/// `POST /attribution {cart_id, referrer}`: a replicated site records who referred a cart.
pub fn attribution_router(sync: Arc<SharedSync>) -> Router {
    Router::new().route("/attribution", post(attribution)).with_state(sync)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributionBody {
    cart_id: String,
    referrer: String,
}

async fn attribution(State(sync): State<Arc<SharedSync>>, body: Bytes) -> Response {
    let b: AttributionBody = match mlm_engine::json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, Some(&e.field), e.to_string()),
    };
    match sync.attribute_cart(&b.cart_id, &b.referrer).await {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({ "cart_id": b.cart_id, "referrer": b.referrer }))).into_response(),
        Ok(Err(e)) => refuse(StatusCode::BAD_REQUEST, Some(&e.field), e.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "attribution failed");
            refuse(StatusCode::SERVICE_UNAVAILABLE, None, e.to_string())
        }
    }
}
