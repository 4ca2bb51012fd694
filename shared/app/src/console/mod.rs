//! The admin console's routes, one file per resource (the dashboard's other routes are in
//! [`crate::api`], whose authentication and errors these share):
//! - [`overview`]: `GET /api/admin/overview`, a period's company figures beside the previous;
//! - [`directory`]: `GET /api/admin/distributors`, the distributor list with search and filters;
//! - [`whatif`]: `POST /api/admin/plans/what-if`, a candidate plan replayed on the stored periods.

pub(crate) mod directory;
pub(crate) mod overview;
pub(crate) mod whatif;

use crate::api::ApiState;
use axum::Router;

/// Every console route (merged into the API router, behind its authentication).
pub(crate) fn routes() -> Router<ApiState> {
    Router::new().merge(overview::routes()).merge(directory::routes()).merge(whatif::routes())
}
