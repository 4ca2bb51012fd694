//! dashboard-api: the dashboard page (`GET /`), its distributor and admin API (`/api/...`,
//! behind API Gateway's Cognito JWT authorizer), and `POST /attribution` for replicated sites.
//! The routes are `mlm serve`'s; here identity comes from the claims API Gateway verified, and
//! released payouts go to the payout queue.

use axum::extract::Request;
use lambda_http::request::RequestContext;
use mlm_app::api::{api_router, ApiState};
use mlm_app::auth::{Auth, GatewayClaims};
use mlm_app::http::{attribution_router, system_now};
use mlm_app::schedule::PayoutSink;
use mlm_app::SharedSync;
use std::sync::Arc;

/// The function's HTTP service.
pub fn app(sync: Arc<SharedSync>, payouts: Arc<dyn PayoutSink>) -> axum::Router {
    let api = ApiState { sync: sync.clone(), auth: Arc::new(Auth::Gateway), payouts, now: Arc::new(system_now) };
    // The managed login the page signs in through (template.yaml sets both; a bad pair is logged
    // and the page falls back to a pasted token rather than the function failing to start).
    let login = mlm_app::signin::ManagedLogin::from_env(|k| std::env::var(k).ok())
        .inspect_err(|e| tracing::error!(error = %e, "sign-in configuration refused"))
        .ok()
        .flatten();
    attribution_router(sync)
        .merge(api_router(api))
        .merge(mlm_app::signin::signin_router(login))
        .layer(axum::middleware::map_request(gateway_claims))
}

/// The JWT authorizer's verified claims (`requestContext.authorizer.jwt.claims`), where the
/// API's authentication looks for them. Routes without the authorizer carry none.
async fn gateway_claims(mut req: Request) -> Request {
    let claims = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|j| j.claims.clone())
        }
        _ => None,
    };
    if let Some(c) = claims {
        req.extensions_mut().insert(GatewayClaims(c));
    }
    req
}
