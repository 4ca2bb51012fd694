//! The product's handlers, whatever hosts them. Each Lambda function is a thin adapter over one
//! of these, and `mlm serve` hosts all of them in one process:
//! - [`http`]: `POST /webhooks/bigcommerce` (verify, route, enqueue) and `POST /attribution`,
//!   as an axum router (Lambda runs it through `lambda_http`);
//! - [`worker`]: a batch of queue messages through the integration, reporting which failed;
//! - [`schedule`]: the daily tick: close the previous period, queue its payouts, refresh the
//!   open period's ranks and compliance, publishing [`standing`]s for the dashboard;
//! - [`api`]: the dashboard's and admins' API and the page, behind [`auth`].

pub mod adjustments;
pub mod api;
pub mod auth;
pub mod clock;
pub mod console;
pub mod http;
pub mod limits;
pub mod local;
pub mod schedule;
pub mod signin;
pub mod standing;
pub mod whatif;
pub mod worker;

use mlm_ledger::port::Store;
use mlm_sync::commerce::Commerce;
use std::sync::Arc;

/// The integration with its ports as trait objects: one type for every host.
pub type SharedSync = mlm_sync::Sync<Arc<dyn Store>, Arc<dyn Commerce>>;
