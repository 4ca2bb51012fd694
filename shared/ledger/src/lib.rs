//! The ledger: the `Store` port and the service that keeps a store's ledger in step with
//! BigCommerce orders and closes periods with the compensation engine.
//!
//! - [`model`]: what is stored (records, order snapshots, lines, aggregates);
//! - [`port`]: the [`Store`] trait every adapter implements;
//! - [`service`]: [`Ledger`]: plans, enrollment, close a period, read a statement;
//! - [`load`]: a scenario loaded through the online path;
//! - [`parked`]: booking or dismissing a parked entry;
//! - [`reconcile`]: reconcile one order (late refunds, closed periods);
//! - [`freshness`]: which snapshot is newer, and the times late events are booked at;
//! - [`adjustments`]: manual adjustments (spec §21) and the income disclosure (§22).

pub mod adjustments;
pub mod freshness;
pub mod load;
pub mod model;
pub mod parked;
pub mod port;
pub mod reconcile;
pub mod service;

pub use port::{Store, StoreError};
pub use service::{Applied, Ledger, LedgerError};
