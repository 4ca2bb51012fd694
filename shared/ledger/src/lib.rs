//! The ledger: the `Store` port and the service that keeps a store's ledger in step with
//! BigCommerce orders and closes periods with the compensation engine.
//!
//! - [`model`]: what is stored (records, order snapshots, lines, aggregates);
//! - [`port`]: the [`Store`] trait every adapter implements;
//! - [`service`]: [`Ledger`]: reconcile an order, close a period, read a statement;
//! - [`adjustments`]: manual adjustments (spec §21) and the income disclosure (§22);
//! - [`conformance`]: the suite every adapter must pass.

pub mod adjustments;
pub mod model;
pub mod port;
pub mod service;

pub use port::{Store, StoreError};
pub use service::{Applied, Ledger, LedgerError};
