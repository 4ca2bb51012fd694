//! The `Store` port: everything the ledger needs from storage, shaped by its access patterns
//! (`docs/data-model.md`). The embedded file and DynamoDB both implement it and both pass the
//! same conformance suite.

use crate::model::*;
use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The order's stored version is not the one the write was based on: re-read and retry.
    #[error("order {0} changed since it was read")]
    Conflict(i64),
    #[error("{0} already exists")]
    Exists(String),
    #[error("storage: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync {
    /// Adds a plan version (checked by the ledger: a successor of the last one).
    async fn put_plan(&self, p: &PlanVersion) -> StoreResult<()>;
    /// Every plan version, in the order they were set.
    async fn plans(&self) -> StoreResult<Vec<PlanVersion>>;

    /// Appends distributors in enrollment order (ids and e-mails must be new).
    async fn enroll(&self, batch: &[DistributorRecord]) -> StoreResult<()>;
    /// Every distributor, in enrollment order.
    async fn distributors(&self) -> StoreResult<Vec<DistributorRecord>>;
    async fn distributor_count(&self) -> StoreResult<u64>;

    async fn put_customer(&self, c: &CustomerRecord) -> StoreResult<()>;
    async fn customers(&self) -> StoreResult<Vec<CustomerRecord>>;

    async fn put_mapping(&self, m: &Mapping) -> StoreResult<()>;
    /// Current mappings, by SKU.
    async fn mappings(&self) -> StoreResult<Vec<Mapping>>;

    /// Everything reconciling one order reads first, in one round trip.
    async fn context(&self, q: &ContextQuery) -> StoreResult<OrderContext>;
    async fn distributor(&self, id: &str) -> StoreResult<Option<DistributorRecord>>;
    /// The distributor whose e-mail, normalized (trimmed, lower-cased), is `email`.
    async fn distributor_by_email(&self, email: &str) -> StoreResult<Option<DistributorRecord>>;

    async fn order(&self, id: i64) -> StoreResult<Option<StoredOrder>>;
    /// Every stored order (period close reads them all).
    async fn orders(&self) -> StoreResult<Vec<StoredOrder>>;
    /// Writes an order's new state, its line changes and aggregate deltas in one transaction,
    /// if and only if the order's version is still `expected_version`.
    async fn write_order(&self, w: &OrderWrite) -> StoreResult<()>;

    /// Running totals of these distributors in `period` (zero when none).
    async fn aggregates(&self, period: &str, ids: &[String]) -> StoreResult<Vec<Aggregate>>;
    /// Lines of one earner in one period, provisional and final.
    async fn lines(&self, period: &str, earner: &str) -> StoreResult<Vec<StoredLine>>;

    /// Writes one slice of a period's close (its earners' final lines, replacing their
    /// provisional ones, and payouts) and records that the slice is done. Idempotent.
    async fn put_close_slice(&self, s: &CloseSlice) -> StoreResult<()>;
    /// The slices of `period`'s close cut into `of` that are done.
    async fn close_progress(&self, period: &str, of: u32) -> StoreResult<Vec<u32>>;
    /// Marks `period` as closing before its close reads anything: from then on an order write
    /// that changes the period fails with [`StoreError::Conflict`], and the order's context lists
    /// the period as closed. Idempotent.
    async fn mark_closing(&self, period: &str) -> StoreResult<()>;
    /// Marks `period` closed with its statement: only after every slice is written.
    async fn mark_closed(&self, period: &str, statement: &str) -> StoreResult<()>;
    /// The statement entry of a closed period.
    async fn statement(&self, period: &str) -> StoreResult<Option<String>>;
    async fn closed_periods(&self) -> StoreResult<Vec<String>>;

    async fn park(&self, p: &Parked) -> StoreResult<()>;
    async fn parked(&self) -> StoreResult<Vec<Parked>>;
    async fn unpark(&self, key: &str) -> StoreResult<()>;
    /// Retires a SKU's current mapping (orders keep the mapping that valued them).
    async fn delete_mapping(&self, sku: &str) -> StoreResult<()>;
    /// Small keyed JSON documents of the integration (account links, duplicate flags, cart
    /// attributions), by collection.
    async fn put_doc(&self, collection: &str, key: &str, json: &str) -> StoreResult<()>;
    async fn doc(&self, collection: &str, key: &str) -> StoreResult<Option<String>>;
    /// Several documents at once, as `(collection, key, json)` (distinct), batched where the
    /// backend can. A document may be large (a period's compliance report): a store splits it
    /// as it must.
    async fn put_docs(&self, docs: &[(String, String, String)]) -> StoreResult<()> {
        for (collection, k, json) in docs {
            self.put_doc(collection, k, json).await?;
        }
        Ok(())
    }
    /// Several documents by `(collection, key)`, in the order asked (`None`: absent), batched
    /// where the backend can: a downline page reads one level of standings in one round trip.
    async fn docs_at(&self, keys: &[(String, String)]) -> StoreResult<Vec<Option<String>>> {
        let mut out = Vec::with_capacity(keys.len());
        for (collection, k) in keys {
            out.push(self.doc(collection, k).await?);
        }
        Ok(out)
    }
    /// Every document of a collection, by key.
    async fn docs(&self, collection: &str) -> StoreResult<Vec<(String, String)>>;
    async fn delete_doc(&self, collection: &str, key: &str) -> StoreResult<()>;
}

/// A shared store is a store (workers in one process share one connection).
#[async_trait]
impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    async fn put_plan(&self, p: &PlanVersion) -> StoreResult<()> {
        (**self).put_plan(p).await
    }
    async fn plans(&self) -> StoreResult<Vec<PlanVersion>> {
        (**self).plans().await
    }
    async fn enroll(&self, batch: &[DistributorRecord]) -> StoreResult<()> {
        (**self).enroll(batch).await
    }
    async fn distributors(&self) -> StoreResult<Vec<DistributorRecord>> {
        (**self).distributors().await
    }
    async fn distributor_count(&self) -> StoreResult<u64> {
        (**self).distributor_count().await
    }
    async fn put_customer(&self, c: &CustomerRecord) -> StoreResult<()> {
        (**self).put_customer(c).await
    }
    async fn customers(&self) -> StoreResult<Vec<CustomerRecord>> {
        (**self).customers().await
    }
    async fn put_mapping(&self, m: &Mapping) -> StoreResult<()> {
        (**self).put_mapping(m).await
    }
    async fn mappings(&self) -> StoreResult<Vec<Mapping>> {
        (**self).mappings().await
    }
    async fn context(&self, q: &ContextQuery) -> StoreResult<OrderContext> {
        (**self).context(q).await
    }
    async fn distributor(&self, id: &str) -> StoreResult<Option<DistributorRecord>> {
        (**self).distributor(id).await
    }
    async fn distributor_by_email(&self, email: &str) -> StoreResult<Option<DistributorRecord>> {
        (**self).distributor_by_email(email).await
    }
    async fn order(&self, id: i64) -> StoreResult<Option<StoredOrder>> {
        (**self).order(id).await
    }
    async fn orders(&self) -> StoreResult<Vec<StoredOrder>> {
        (**self).orders().await
    }
    async fn write_order(&self, w: &OrderWrite) -> StoreResult<()> {
        (**self).write_order(w).await
    }
    async fn aggregates(&self, period: &str, ids: &[String]) -> StoreResult<Vec<Aggregate>> {
        (**self).aggregates(period, ids).await
    }
    async fn lines(&self, period: &str, earner: &str) -> StoreResult<Vec<StoredLine>> {
        (**self).lines(period, earner).await
    }
    async fn put_close_slice(&self, s: &CloseSlice) -> StoreResult<()> {
        (**self).put_close_slice(s).await
    }
    async fn close_progress(&self, period: &str, of: u32) -> StoreResult<Vec<u32>> {
        (**self).close_progress(period, of).await
    }
    async fn mark_closing(&self, period: &str) -> StoreResult<()> {
        (**self).mark_closing(period).await
    }
    async fn mark_closed(&self, period: &str, statement: &str) -> StoreResult<()> {
        (**self).mark_closed(period, statement).await
    }
    async fn statement(&self, period: &str) -> StoreResult<Option<String>> {
        (**self).statement(period).await
    }
    async fn closed_periods(&self) -> StoreResult<Vec<String>> {
        (**self).closed_periods().await
    }
    async fn park(&self, p: &Parked) -> StoreResult<()> {
        (**self).park(p).await
    }
    async fn parked(&self) -> StoreResult<Vec<Parked>> {
        (**self).parked().await
    }
    async fn unpark(&self, key: &str) -> StoreResult<()> {
        (**self).unpark(key).await
    }
    async fn delete_mapping(&self, sku: &str) -> StoreResult<()> {
        (**self).delete_mapping(sku).await
    }
    async fn put_doc(&self, collection: &str, key: &str, json: &str) -> StoreResult<()> {
        (**self).put_doc(collection, key, json).await
    }
    async fn doc(&self, collection: &str, key: &str) -> StoreResult<Option<String>> {
        (**self).doc(collection, key).await
    }
    async fn put_docs(&self, docs: &[(String, String, String)]) -> StoreResult<()> {
        (**self).put_docs(docs).await
    }
    async fn docs_at(&self, keys: &[(String, String)]) -> StoreResult<Vec<Option<String>>> {
        (**self).docs_at(keys).await
    }
    async fn docs(&self, collection: &str) -> StoreResult<Vec<(String, String)>> {
        (**self).docs(collection).await
    }
    async fn delete_doc(&self, collection: &str, key: &str) -> StoreResult<()> {
        (**self).delete_doc(collection, key).await
    }
}
