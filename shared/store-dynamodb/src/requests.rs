//! The low-level requests every `Store` method is made of: get, batch get, queries of a
//! partition (base table or GSI1), transactions and batch writes, with their paging, chunking
//! and retries of unprocessed items.

use crate::error::{backend, sdk};
use crate::items::{s, Item};
use crate::{keys, table, DynamoStore};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem};
use mlm_ledger::port::{StoreError, StoreResult};

/// A transaction's put, optionally conditioned.
pub fn put(table: &str, item: Item, condition: Option<&str>) -> StoreResult<TransactWriteItem> {
    let p = Put::builder().table_name(table).set_item(Some(item)).set_condition_expression(condition.map(Into::into));
    Ok(TransactWriteItem::builder().put(p.build().map_err(backend)?).build())
}

impl DynamoStore {
    pub(crate) async fn delete(&self, key: Item) -> StoreResult<()> {
        self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await.map_err(sdk)?;
        Ok(())
    }

    pub(crate) async fn get(&self, k: keys::Key) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(k.item()))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk)?;
        Ok(out.item)
    }

    /// Items by key, in one BatchGetItem per 100 keys (unprocessed keys retried).
    pub(crate) async fn batch_get(&self, mut keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        // BatchGetItem rejects a request that names one key twice.
        let mut seen = std::collections::HashSet::new();
        keys.retain(|k| {
            seen.insert((
                k.get(table::PK).cloned().map(|v| format!("{v:?}")),
                k.get(table::SK).cloned().map(|v| format!("{v:?}")),
            ))
        });
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(backend)?,
            );
            while let Some(req) = pending.take() {
                let out = self.client.batch_get_item().request_items(&self.table, req).send().await.map_err(sdk)?;
                if let Some(mut r) = out.responses {
                    found.extend(r.remove(&self.table).unwrap_or_default());
                }
                pending = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).filter(|k| !k.keys().is_empty());
            }
        }
        Ok(found)
    }

    /// Every item of a GSI partition, in sort-key order.
    pub(crate) async fn query_gsi(&self, pk: String) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(table::GSI)
                .key_condition_expression("#p = :p")
                .expression_attribute_names("#p", table::GSI_PK)
                .expression_attribute_values(":p", s(pk.clone()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every item of a base-table partition whose sort key starts with `prefix` (all of the
    /// partition when `prefix` is empty).
    pub(crate) async fn query_pk(&self, pk: String, prefix: &str) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_names("#p", table::PK)
                .expression_attribute_values(":p", s(pk.clone()));
            q = if prefix.is_empty() {
                q.key_condition_expression("#p = :p")
            } else {
                q.key_condition_expression("#p = :p AND begins_with(#s, :s)")
                    .expression_attribute_names("#s", table::SK)
                    .expression_attribute_values(":s", s(prefix))
            };
            let out = q.consistent_read(true).set_exclusive_start_key(start).send().await.map_err(sdk)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    pub(crate) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), SdkError<TransactWriteItemsError, impl std::fmt::Debug>> {
        self.client.transact_write_items().set_transact_items(Some(items)).send().await.map(|_| ())
    }

    pub(crate) async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Item>) -> StoreResult<()> {
        use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
        let mut reqs: Vec<WriteRequest> = Vec::with_capacity(puts.len() + deletes.len());
        for k in deletes {
            reqs.push(
                WriteRequest::builder()
                    .delete_request(DeleteRequest::builder().set_key(Some(k)).build().map_err(backend)?)
                    .build(),
            );
        }
        for it in puts {
            reqs.push(
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(it)).build().map_err(backend)?)
                    .build(),
            );
        }
        for chunk in reqs.chunks(25) {
            let mut pending = chunk.to_vec();
            while !pending.is_empty() {
                let out =
                    self.client.batch_write_item().request_items(&self.table, pending).send().await.map_err(sdk)?;
                pending = out.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
            }
        }
        Ok(())
    }

    /// A document's text from its head item: inline, or reassembled from its parts.
    pub(crate) async fn doc_text(&self, collection: &str, k: &str, head: &Item) -> StoreResult<Option<String>> {
        if let Some(AttributeValue::S(t)) = head.get("rec") {
            return Ok(Some(t.clone()));
        }
        let Some(AttributeValue::N(n)) = head.get("parts") else { return Ok(None) };
        let mut bytes = Vec::new();
        // Parts beyond `n` are left over from a larger earlier version of the document.
        let n: usize = n.parse().map_err(backend)?;
        let parts = self.query_pk(keys::doc_parts(collection, k), "").await?;
        if parts.len() < n {
            return Err(StoreError::Backend(format!("document {collection}/{k}: {} of {n} parts", parts.len())));
        }
        for it in parts.into_iter().take(n) {
            if let Some(AttributeValue::B(b)) = it.get("part") {
                bytes.extend_from_slice(b.as_ref());
            }
        }
        String::from_utf8(bytes).map(Some).map_err(backend)
    }

    pub(crate) async fn meta(&self) -> StoreResult<Option<Item>> {
        self.get(keys::meta()).await
    }
}
