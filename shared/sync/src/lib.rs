//! Reconciles the ledger with BigCommerce. A webhook only says what changed; the worker reads
//! the resource from the store (the truth) and writes the difference, so duplicates, late and
//! reordered deliveries converge. What cannot be processed is parked with its reason and
//! reprocessed when what it was missing arrives (a mapping, an account).

pub mod accounts;
pub mod catalog;
pub mod commerce;
pub mod migrate;
pub mod orders;
pub mod reconcile;
pub mod snapshot;

use commerce::Commerce;
use mlm_bigcommerce::client::ApiError;
use mlm_bigcommerce::events::{Message, Work};
use mlm_ledger::model::Parked;
use mlm_ledger::port::{Store, StoreError};
use mlm_ledger::service::{Applied, Ledger, LedgerError};
use serde::{de::DeserializeOwned, Serialize};

/// A failure worth retrying (the queue redelivers, then dead-letters): BigCommerce or the store
/// could not be reached. Bad data is never an error here: it is parked.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<StoreError> for SyncError {
    fn from(e: StoreError) -> SyncError {
        SyncError::Ledger(e.into())
    }
}

/// What handling a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An order reconciled (or parked by the ledger).
    Order(Applied),
    /// Parked here with this reason, to be reprocessed.
    Parked(String),
    /// A customer account linked to this ledger party.
    Linked { customer: i64, party: String, duplicate: bool },
    /// Catalog mappings written and retired; parked orders then reprocessed.
    Catalog { mapped: usize, retired: usize, reprocessed: usize },
    /// Nothing to do, and why.
    Skipped(String),
}

/// The integration: a ledger and a store front.
pub struct Sync<S, C> {
    pub ledger: Ledger<S>,
    pub commerce: C,
}

impl<S: Store, C: Commerce> Sync<S, C> {
    pub fn new(ledger: Ledger<S>, commerce: C) -> Sync<S, C> {
        Sync { ledger, commerce }
    }

    /// Handles one queue message.
    pub async fn handle(&self, m: &Message) -> Result<Outcome, SyncError> {
        match m.work {
            Work::Order { id } => self.order(id).await,
            Work::Product { id, deleted } => self.product(id, deleted).await,
            // A SKU event re-reads its whole product: variants come and go with it.
            Work::Sku { product_id, .. } => self.product(product_id, false).await,
            Work::Customer { id, deleted } => self.customer(id, deleted).await,
        }
    }

    /// Parks `key` with its reason; the payload says what to retry.
    async fn park(&self, key: String, source: String, reason: String, payload: String) -> Result<Outcome, SyncError> {
        tracing::warn!(needs_attention = 1, parked = %key, %reason, "parked");
        self.ledger.store.park(&Parked { key, source, reason: reason.clone(), payload }).await?;
        Ok(Outcome::Parked(reason))
    }

    async fn get_doc<T: DeserializeOwned>(&self, collection: &str, key: &str) -> Result<Option<T>, SyncError> {
        match self.ledger.store.doc(collection, key).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StoreError::Backend(format!("{collection}/{key}: {e}")).into()),
        }
    }

    async fn put_doc<T: Serialize>(&self, collection: &str, key: &str, value: &T) -> Result<(), SyncError> {
        let text = serde_json::to_string(value).expect("documents serialize");
        Ok(self.ledger.store.put_doc(collection, key, &text).await?)
    }

    async fn all_docs<T: DeserializeOwned>(&self, collection: &str) -> Result<Vec<(String, T)>, SyncError> {
        let mut out = Vec::new();
        for (k, text) in self.ledger.store.docs(collection).await? {
            let v = serde_json::from_str(&text).map_err(|e| StoreError::Backend(format!("{collection}/{k}: {e}")))?;
            out.push((k, v));
        }
        Ok(out)
    }
}
