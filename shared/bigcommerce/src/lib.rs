//! BigCommerce as its public API reference (`bigcommerce/docs`) documents it.
//!
//! - [`signature`]: Standard Webhooks verification of callbacks (and signing, for tests and the
//!   local stand-in);
//! - [`api`]: the REST resources the engine reads and writes, field for field;

pub mod api;
pub mod signature;
