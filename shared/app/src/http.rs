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
/// Anonymous, so it reveals nothing: a well-formed request is answered the same (200, echoing
/// what was sent) whether the referrer exists and whether the cart was already attributed (the
/// reason is logged); and each client address is held to [`ATTRIBUTION_RATE`] requests a second.
pub fn attribution_router(sync: Arc<SharedSync>) -> Router {
    let state = AttributionState { sync, limiter: Arc::new(RateLimiter::default()) };
    Router::new().route("/attribution", post(attribution)).with_state(state)
}

/// Requests a second one client address may make to `/attribution` (bursts of twice that).
pub const ATTRIBUTION_RATE: f64 = 5.0;
/// Client addresses remembered by the limiter at most (the oldest are forgotten first).
const LIMITER_CLIENTS: usize = 10_000;

#[derive(Clone)]
struct AttributionState {
    sync: Arc<SharedSync>,
    limiter: Arc<RateLimiter>,
}

/// A token bucket per client address.
#[derive(Default)]
struct RateLimiter(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (f64, std::time::Instant)>>);

impl RateLimiter {
    fn allow(&self, ip: std::net::IpAddr) -> bool {
        let now = std::time::Instant::now();
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= LIMITER_CLIENTS && !m.contains_key(&ip) {
            // Full buckets carry no state worth keeping.
            m.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * ATTRIBUTION_RATE < 2.0 * ATTRIBUTION_RATE
            });
            if m.len() >= LIMITER_CLIENTS {
                return false;
            }
        }
        let (tokens, at) = m.entry(ip).or_insert((2.0 * ATTRIBUTION_RATE, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * ATTRIBUTION_RATE).min(2.0 * ATTRIBUTION_RATE);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributionBody {
    cart_id: String,
    referrer: String,
}

async fn attribution(
    State(s): State<AttributionState>,
    client: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: Bytes,
) -> Response {
    // Lambda has no peer address here: API Gateway throttles there (template.yaml).
    if let Some(axum::Extension(axum::extract::ConnectInfo(peer))) = client {
        if !s.limiter.allow(peer.ip()) {
            let mut r = refuse(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                format!("more than {ATTRIBUTION_RATE} attributions a second from this address; retry shortly"),
            );
            r.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("1"));
            return r;
        }
    }
    let b: AttributionBody = match mlm_engine::json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, Some(&e.field), e.to_string()),
    };
    if b.referrer.is_empty() || b.referrer.len() > 64 {
        return refuse(StatusCode::BAD_REQUEST, Some("referrer"), "referrer: must be 1 to 64 characters".into());
    }
    let accepted = || (StatusCode::OK, Json(json!({ "cart_id": b.cart_id, "referrer": b.referrer }))).into_response();
    match s.sync.attribute_cart(&b.cart_id, &b.referrer).await {
        Ok(Ok(_)) => accepted(),
        // The shape of the cart id is public knowledge; whether a referrer exists or who
        // referred a cart is not: answered as accepted, logged for the operator.
        Ok(Err(e)) if e.field == "cart_id" && e.message.starts_with("must be") => {
            refuse(StatusCode::BAD_REQUEST, Some(&e.field), e.to_string())
        }
        Ok(Err(e)) => {
            tracing::info!(cart_id = %b.cart_id, field = %e.field, reason = %e.message, "attribution not recorded");
            accepted()
        }
        Err(e) => {
            tracing::error!(error = %e, "attribution failed");
            refuse(StatusCode::SERVICE_UNAVAILABLE, None, e.to_string())
        }
    }
}
