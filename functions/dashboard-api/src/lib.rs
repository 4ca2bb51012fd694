//! dashboard-api: the HTTP API of the dashboard and its admins, behind the HTTP API. Today it
//! serves `POST /attribution` (a replicated site records who referred a cart); the dashboard's
//! read and admin routes (`GET /`, `/api/...`) join this router with issue 6, and until then
//! API Gateway's routes to it answer 404 rather than a placeholder.

use mlm_app::http::attribution_router;
use mlm_app::SharedSync;
use std::sync::Arc;

/// The function's HTTP service.
pub fn app(sync: Arc<SharedSync>) -> axum::Router {
    attribution_router(sync)
}
