//! BigCommerce as its public API reference (`bigcommerce/docs`) documents it.
//!
//! - [`signature`]: Standard Webhooks verification of callbacks (and signing, for tests and the
//!   local stand-in);
//! - [`api`]: the REST resources the engine reads and writes, field for field;
//! - [`client`]: the REST client (rate limits, retries, typed errors);
//! - [`events`]: webhook callbacks and the queue each one's work goes to;
//! - [`standin`]: a local server that answers like BigCommerce, for tests and the demo.

pub mod api;
pub mod client;
pub mod documented;
pub mod events;
pub mod signature;
pub mod standin;
