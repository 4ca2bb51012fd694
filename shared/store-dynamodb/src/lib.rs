//! The production adapter of the `Store` port: one on-demand DynamoDB table, single-table
//! design, one GSI (`docs/data-model.md`). Records travel as JSON in a `rec` attribute (decimals
//! as strings, never floats); running totals are DynamoDB numbers (exact decimals) updated with
//! `ADD` inside the order's transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, KeysAndAttributes, Projection, ProjectionType, Put, ScalarAttributeType, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use mlm_ledger::model::*;
use mlm_ledger::port::{Store, StoreError, StoreResult};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

type Item = HashMap<String, AttributeValue>;

/// The table: key attributes, the GSI and billing, as `template.yaml` deploys it (a test holds
/// the two together).
pub mod table {
    pub const PK: &str = "PK";
    pub const SK: &str = "SK";
    pub const GSI: &str = "GSI1";
    pub const GSI_PK: &str = "GSI1PK";
    pub const GSI_SK: &str = "GSI1SK";
    /// Order states and period lines are spread over this many GSI partitions.
    pub const SHARDS: u64 = mlm_ledger::model::SHARDS as u64;
}

pub struct DynamoStore {
    client: Client,
    table: String,
    parked_seq: AtomicU64,
    last_write_items: AtomicU64,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn sdk<E: std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> StoreError {
    use std::error::Error;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        msg = format!("{msg}: {x}");
        src = x.source();
    }
    StoreError::Backend(msg)
}

fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(table::PK.to_string(), s(pk)), (table::SK.to_string(), s(sk))])
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("ledger records serialize")
}

fn rec<T: serde::de::DeserializeOwned>(item: &Item) -> StoreResult<T> {
    match item.get("rec") {
        Some(AttributeValue::S(t)) => serde_json::from_str(t).map_err(backend),
        _ => Err(StoreError::Backend("item without a record".into())),
    }
}

fn num(item: &Item, k: &str) -> StoreResult<Decimal> {
    match item.get(k) {
        Some(AttributeValue::N(v)) => v.parse().map_err(backend),
        None => Ok(Decimal::ZERO),
        _ => Err(StoreError::Backend(format!("{k} is not a number"))),
    }
}

fn line_item(l: &StoredLine) -> Item {
    let mut item = key(format!("E#{}#P#{}", l.earner, l.period), format!("L#{}", l.key()));
    item.insert(table::GSI_PK.into(), s(format!("PL#{}#{}", l.period, shard_of(&l.earner))));
    item.insert(table::GSI_SK.into(), s(format!("{}#{}", l.earner, l.key())));
    item.insert("fin".into(), AttributeValue::Bool(l.fin));
    item.insert("rec".into(), s(json(l)));
    item
}

fn put(table: &str, item: Item, condition: Option<&str>) -> StoreResult<TransactWriteItem> {
    let p = Put::builder().table_name(table).set_item(Some(item)).set_condition_expression(condition.map(Into::into));
    Ok(TransactWriteItem::builder().put(p.build().map_err(backend)?).build())
}

fn is_condition_failure(e: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> bool {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
            c.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed"))
        }
        _ => false,
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore { client, table: table.into(), parked_seq: AtomicU64::new(0), last_write_items: AtomicU64::new(0) }
    }

    /// A client from the environment (`AWS_ENDPOINT_URL` for DynamoDB Local included).
    pub async fn from_env(table: impl Into<String>) -> DynamoStore {
        let config = mlm_aws::load_config().await;
        DynamoStore::new(Client::new(&config), table)
    }

    /// Creates the table as `template.yaml` defines it (on-demand, one GSI).
    pub async fn create_table(&self) -> StoreResult<()> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(backend)
        };
        let ks = |name: &str, t: KeyType| {
            KeySchemaElement::builder().attribute_name(name).key_type(t).build().map_err(backend)
        };
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(table::GSI)
            .key_schema(ks(table::GSI_PK, KeyType::Hash)?)
            .key_schema(ks(table::GSI_SK, KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(backend)?;
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr(table::PK)?)
            .attribute_definitions(attr(table::SK)?)
            .attribute_definitions(attr(table::GSI_PK)?)
            .attribute_definitions(attr(table::GSI_SK)?)
            .key_schema(ks(table::PK, KeyType::Hash)?)
            .key_schema(ks(table::SK, KeyType::Range)?)
            .global_secondary_indexes(gsi)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn delete(&self, key: Item) -> StoreResult<()> {
        self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await.map_err(sdk)?;
        Ok(())
    }

    async fn get(&self, pk: String, sk: &str) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk)?;
        Ok(out.item)
    }

    /// Items by key, in one BatchGetItem per 100 keys (unprocessed keys retried).
    async fn batch_get(&self, mut keys: Vec<Item>) -> StoreResult<Vec<Item>> {
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
    async fn query_gsi(&self, pk: String) -> StoreResult<Vec<Item>> {
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
    async fn query_pk(&self, pk: String, prefix: &str) -> StoreResult<Vec<Item>> {
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

    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), SdkError<TransactWriteItemsError, impl std::fmt::Debug>> {
        self.client.transact_write_items().set_transact_items(Some(items)).send().await.map(|_| ())
    }

    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Item>) -> StoreResult<()> {
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

    /// How many items the last order transaction wrote (for the cost tests).
    pub fn last_write_items(&self) -> u64 {
        self.last_write_items.load(Ordering::SeqCst)
    }

    /// A document's text from its head item: inline, or reassembled from its parts.
    async fn doc_text(&self, collection: &str, k: &str, head: &Item) -> StoreResult<Option<String>> {
        if let Some(AttributeValue::S(t)) = head.get("rec") {
            return Ok(Some(t.clone()));
        }
        let Some(AttributeValue::N(n)) = head.get("parts") else { return Ok(None) };
        let mut bytes = Vec::new();
        // Parts beyond `n` are left over from a larger earlier version of the document.
        let n: usize = n.parse().map_err(backend)?;
        let parts = self.query_pk(format!("DOCPART#{collection}#{k}"), "").await?;
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

    async fn meta(&self) -> StoreResult<Option<Item>> {
        self.get("META".into(), "LEDGER").await
    }
}

/// A document larger than this is stored in parts (items are limited to 400 KB).
const DOC_PART: usize = 300_000;

fn closed_of(meta: Option<&Item>) -> Vec<String> {
    set_of(meta, "closed")
}

/// Closed periods and those whose close has started.
fn closing_of(meta: Option<&Item>) -> Vec<String> {
    let mut v = set_of(meta, "closed");
    v.extend(set_of(meta, "closing"));
    v.sort();
    v.dedup();
    v
}

fn set_of(meta: Option<&Item>, name: &str) -> Vec<String> {
    let mut v = match meta.and_then(|m| m.get(name)) {
        Some(AttributeValue::Ss(set)) => set.clone(),
        _ => Vec::new(),
    };
    v.sort();
    v
}

fn plans_of(meta: Option<&Item>) -> StoreResult<Vec<PlanVersion>> {
    match meta.and_then(|m| m.get("plans")) {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| match v {
                AttributeValue::S(t) => serde_json::from_str(t).map_err(backend),
                _ => Err(StoreError::Backend("a plan version that is not a record".into())),
            })
            .collect(),
        _ => Ok(Vec::new()),
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn put_plan(&self, p: &PlanVersion) -> StoreResult<()> {
        // The versions live on the META item, which every order's first read fetches anyway.
        let mut v = key("PLAN", format!("V#{:010}", p.version));
        v.insert("rec".into(), s(json(p)));
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key("META", "LEDGER")))
            .update_expression("SET #plans = list_append(if_not_exists(#plans, :none), :p)")
            .expression_attribute_names("#plans", "plans")
            .expression_attribute_values(":none", AttributeValue::L(vec![]))
            .expression_attribute_values(":p", AttributeValue::L(vec![s(json(p))]))
            .build()
            .map_err(backend)?;
        match self
            .transact(vec![
                put(&self.table, v, Some("attribute_not_exists(PK)"))?,
                TransactWriteItem::builder().update(update).build(),
            ])
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::Exists(format!("plan version {}", p.version))),
            Err(e) => Err(sdk(e)),
        }
    }

    async fn plans(&self) -> StoreResult<Vec<PlanVersion>> {
        plans_of(self.meta().await?.as_ref())
    }

    async fn enroll(&self, batch: &[DistributorRecord]) -> StoreResult<()> {
        // One transaction per chunk: the counter moves only if no id or e-mail exists yet.
        for chunk in batch.chunks(30) {
            let counter = self.get("META".into(), "SEQ").await?;
            let seq = counter.as_ref().map_or(Ok(Decimal::ZERO), |c| num(c, "n"))?;
            let seq = u64::try_from(seq).map_err(backend)?;
            let mut items = Vec::with_capacity(chunk.len() * 2 + 1);
            for (i, d) in chunk.iter().enumerate() {
                let mut it = key(format!("D#{}", d.id), "PROFILE");
                it.insert(table::GSI_PK.into(), s("DIST"));
                it.insert(table::GSI_SK.into(), s(format!("{:012}", seq + i as u64)));
                it.insert("rec".into(), s(json(d)));
                items.push(put(&self.table, it, Some("attribute_not_exists(PK)"))?);
                if let Some(e) = &d.email {
                    let mut u = key(format!("EMAIL#{}", e.trim().to_lowercase()), "UNIQUE");
                    u.insert("distributor".into(), s(d.id.clone()));
                    items.push(put(&self.table, u, Some("attribute_not_exists(PK)"))?);
                }
            }
            let mut c = key("META", "SEQ");
            c.insert("n".into(), n(seq + chunk.len() as u64));
            let cond = if counter.is_some() { "n = :n" } else { "attribute_not_exists(PK)" };
            let mut p = Put::builder().table_name(&self.table).set_item(Some(c)).condition_expression(cond);
            if counter.is_some() {
                p = p.expression_attribute_values(":n", n(seq));
            }
            items.push(TransactWriteItem::builder().put(p.build().map_err(backend)?).build());
            match self.transact(items).await {
                Ok(()) => {}
                Err(e) if is_condition_failure(&e) => {
                    return Err(StoreError::Exists(format!(
                        "a distributor id or e-mail of {:?}",
                        chunk.iter().map(|d| &d.id).collect::<Vec<_>>()
                    )))
                }
                Err(e) => return Err(sdk(e)),
            }
        }
        Ok(())
    }

    async fn distributors(&self) -> StoreResult<Vec<DistributorRecord>> {
        self.query_gsi("DIST".into()).await?.iter().map(rec).collect()
    }

    async fn distributor_count(&self) -> StoreResult<u64> {
        let c = self.get("META".into(), "SEQ").await?;
        c.as_ref().map_or(Ok(0), |c| num(c, "n").and_then(|v| u64::try_from(v).map_err(backend)))
    }

    async fn put_customer(&self, c: &CustomerRecord) -> StoreResult<()> {
        let mut it = key(format!("C#{}", c.id), "PROFILE");
        it.insert(table::GSI_PK.into(), s("CUST"));
        it.insert(table::GSI_SK.into(), s(c.id.clone()));
        it.insert("rec".into(), s(json(c)));
        self.client.put_item().table_name(&self.table).set_item(Some(it)).send().await.map_err(sdk)?;
        Ok(())
    }

    async fn customers(&self) -> StoreResult<Vec<CustomerRecord>> {
        self.query_gsi("CUST".into()).await?.iter().map(rec).collect()
    }

    async fn put_mapping(&self, m: &Mapping) -> StoreResult<()> {
        let mut it = key(format!("SKU#{}", m.sku), "CURRENT");
        it.insert(table::GSI_PK.into(), s("SKU"));
        it.insert(table::GSI_SK.into(), s(m.sku.clone()));
        it.insert("rec".into(), s(json(m)));
        self.client.put_item().table_name(&self.table).set_item(Some(it)).send().await.map_err(sdk)?;
        Ok(())
    }

    async fn mappings(&self) -> StoreResult<Vec<Mapping>> {
        self.query_gsi("SKU".into()).await?.iter().map(rec).collect()
    }

    async fn context(&self, q: &ContextQuery) -> StoreResult<OrderContext> {
        let mut keys =
            vec![key("META", "LEDGER"), key(format!("O#{}", q.order), "STATE"), key("PARKED", order_park_key(q.order))];
        for p in &q.parties {
            keys.push(key(format!("D#{p}"), "PROFILE"));
            keys.push(key(format!("C#{p}"), "PROFILE"));
        }
        let mut skus = q.skus.clone();
        skus.sort();
        skus.dedup();
        keys.extend(skus.iter().map(|sku| key(format!("SKU#{sku}"), "CURRENT")));
        let items = self.batch_get(keys).await?;
        let mut ctx = OrderContext::default();
        let mut by_pk: HashMap<String, &Item> = HashMap::new();
        for it in &items {
            if let Some(AttributeValue::S(pk)) = it.get(table::PK) {
                by_pk.insert(pk.clone(), it);
            }
        }
        let meta = by_pk.get("META").copied();
        ctx.plans = plans_of(meta)?;
        ctx.closed = closing_of(meta);
        ctx.stored = by_pk.get(&format!("O#{}", q.order)).map(|it| rec(it)).transpose()?;
        ctx.parked = by_pk.contains_key("PARKED");
        for p in &q.parties {
            if let Some(it) = by_pk.get(&format!("D#{p}")) {
                ctx.distributors.push(rec(it)?);
            } else if let Some(it) = by_pk.get(&format!("C#{p}")) {
                ctx.customers.push(rec(it)?);
            }
        }
        for sku in &q.skus {
            if let Some(it) = by_pk.get(&format!("SKU#{sku}")) {
                ctx.mappings.push(rec(it)?);
            }
        }
        Ok(ctx)
    }

    async fn distributor(&self, id: &str) -> StoreResult<Option<DistributorRecord>> {
        self.get(format!("D#{id}"), "PROFILE").await?.as_ref().map(rec).transpose()
    }

    async fn distributor_by_email(&self, email: &str) -> StoreResult<Option<DistributorRecord>> {
        let owner = self.get(format!("EMAIL#{}", email.trim().to_lowercase()), "UNIQUE").await?;
        match owner.as_ref().and_then(|it| it.get("distributor")) {
            Some(AttributeValue::S(id)) => self.distributor(id).await,
            _ => Ok(None),
        }
    }

    async fn order(&self, id: i64) -> StoreResult<Option<StoredOrder>> {
        self.get(format!("O#{id}"), "STATE").await?.as_ref().map(rec).transpose()
    }

    async fn orders(&self) -> StoreResult<Vec<StoredOrder>> {
        let mut out = Vec::new();
        for sh in 0..table::SHARDS {
            for it in self.query_gsi(format!("ORDERS#{sh}")).await? {
                out.push(rec(&it)?);
            }
        }
        out.sort_by_key(|o: &StoredOrder| o.snapshot.id);
        Ok(out)
    }

    async fn write_order(&self, w: &OrderWrite) -> StoreResult<()> {
        let o = &w.order;
        let id = o.snapshot.id;
        let mut state = key(format!("O#{id}"), "STATE");
        state.insert(table::GSI_PK.into(), s(format!("ORDERS#{}", id.rem_euclid(table::SHARDS as i64))));
        state.insert(table::GSI_SK.into(), s(format!("{:020}", id)));
        state.insert("ver".into(), n(o.version));
        state.insert("rec".into(), s(json(o)));
        let mut p = Put::builder().table_name(&self.table).set_item(Some(state));
        p = match w.expected_version {
            None => p.condition_expression("attribute_not_exists(PK)"),
            Some(v) => p.condition_expression("ver = :v").expression_attribute_values(":v", n(v)),
        };
        let mut items = vec![TransactWriteItem::builder().put(p.build().map_err(backend)?).build()];
        if !w.periods.is_empty() {
            // None of the periods it changes may have started closing (a closed one has, too).
            let mut check = ConditionCheck::builder().table_name(&self.table).set_key(Some(key("META", "LEDGER")));
            let mut terms = Vec::new();
            for (i, p) in w.periods.iter().enumerate() {
                terms.push(format!("NOT contains(closing, :c{i})"));
                check = check.expression_attribute_values(format!(":c{i}"), s(p.clone()));
            }
            let expr = format!("attribute_not_exists(closing) OR ({})", terms.join(" AND "));
            let check = check.condition_expression(expr).build().map_err(backend)?;
            items.push(TransactWriteItem::builder().condition_check(check).build());
        }
        let put_keys: Vec<Item> = w
            .put_lines
            .iter()
            .map(|l| key(format!("E#{}#P#{}", l.earner, l.period), format!("L#{}", l.key())))
            .collect();
        for l in &w.remove_lines {
            let k = key(format!("E#{}#P#{}", l.earner, l.period), format!("L#{}", l.key()));
            if put_keys.contains(&k) {
                continue; // replaced by a put of the same key below
            }
            let d = Delete::builder().table_name(&self.table).set_key(Some(k)).build().map_err(backend)?;
            items.push(TransactWriteItem::builder().delete(d).build());
        }
        for l in &w.put_lines {
            items.push(put(&self.table, line_item(l), None)?);
        }
        if let Some(k) = &w.unpark {
            let d =
                Delete::builder().table_name(&self.table).set_key(Some(key("PARKED", k))).build().map_err(backend)?;
            items.push(TransactWriteItem::builder().delete(d).build());
        }
        // Running totals: one item per (earner, period), summed with ADD.
        let mut sums: Vec<AggregateDelta> = Vec::new();
        for a in &w.aggregates {
            match sums.iter_mut().find(|x| x.earner == a.earner && x.period == a.period) {
                Some(x) => {
                    x.pv += a.pv;
                    x.bv += a.bv;
                    x.retail_sales += a.retail_sales;
                    x.personal_sales += a.personal_sales;
                }
                None => sums.push(a.clone()),
            }
        }
        for a in sums {
            let u = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(format!("E#{}#P#{}", a.earner, a.period), "AGG")))
                .update_expression("ADD pv :pv, bv :bv, retail :r, personal :p")
                .expression_attribute_values(":pv", n(a.pv))
                .expression_attribute_values(":bv", n(a.bv))
                .expression_attribute_values(":r", n(a.retail_sales))
                .expression_attribute_values(":p", n(a.personal_sales))
                .build()
                .map_err(backend)?;
            items.push(TransactWriteItem::builder().update(u).build());
        }
        self.last_write_items.store(items.len() as u64, Ordering::SeqCst);
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::Conflict(id)),
            Err(e) => Err(sdk(e)),
        }
    }

    async fn aggregates(&self, period: &str, ids: &[String]) -> StoreResult<Vec<Aggregate>> {
        let keys: Vec<Item> = ids.iter().map(|id| key(format!("E#{id}#P#{period}"), "AGG")).collect();
        let found = self.batch_get(keys).await?;
        let mut by: HashMap<String, Aggregate> = HashMap::new();
        for it in &found {
            if let Some(AttributeValue::S(pk)) = it.get(table::PK) {
                by.insert(
                    pk.clone(),
                    Aggregate {
                        pv: num(it, "pv")?,
                        bv: num(it, "bv")?,
                        retail_sales: num(it, "retail")?,
                        personal_sales: num(it, "personal")?,
                    },
                );
            }
        }
        Ok(ids.iter().map(|id| by.get(&format!("E#{id}#P#{period}")).cloned().unwrap_or_default()).collect())
    }

    async fn lines(&self, period: &str, earner: &str) -> StoreResult<Vec<StoredLine>> {
        let mut lines: Vec<StoredLine> =
            self.query_pk(format!("E#{earner}#P#{period}"), "L#").await?.iter().map(rec).collect::<StoreResult<_>>()?;
        // Statement order for final lines; provisional ones by key.
        lines.sort_by_key(|l| (l.order, l.kind != "retail", l.kind.clone(), l.level));
        Ok(lines)
    }

    async fn put_close_slice(&self, c: &CloseSlice) -> StoreResult<()> {
        // The slice's earners are exactly those of its GSI shards: delete their lines, write the
        // final ones. Both steps are idempotent, so a retried slice converges.
        let mut old = Vec::new();
        for sh in (0..SHARDS).filter(|sh| sh % c.of == c.slice) {
            for it in self.query_gsi(format!("PL#{}#{sh}", c.period)).await? {
                let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) = (it.get(table::PK), it.get(table::SK))
                else {
                    return Err(StoreError::Backend("a line without its key".into()));
                };
                old.push(key(pk.clone(), sk.clone()));
            }
        }
        self.batch_write(Vec::new(), old).await?;
        let mut puts: Vec<Item> = c.lines.iter().map(line_item).collect();
        for (earner, amount) in &c.payouts {
            let mut it = key(format!("P#{}", c.period), format!("PAYOUT#{earner}"));
            it.insert("amount".into(), n(amount));
            it.insert("status".into(), s("queued"));
            puts.push(it);
        }
        puts.push(key(format!("P#{}", c.period), format!("SLICE#{:02}#{:02}", c.of, c.slice)));
        self.batch_write(puts, Vec::new()).await
    }

    async fn close_progress(&self, period: &str, of: u32) -> StoreResult<Vec<u32>> {
        let prefix = format!("SLICE#{of:02}#");
        let mut done: Vec<u32> = self
            .query_pk(format!("P#{period}"), &prefix)
            .await?
            .iter()
            .filter_map(|it| match it.get(table::SK) {
                Some(AttributeValue::S(sk)) => sk.strip_prefix(&prefix).and_then(|x| x.parse().ok()),
                _ => None,
            })
            .collect();
        done.sort();
        Ok(done)
    }

    async fn mark_closing(&self, period: &str) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key("META", "LEDGER")))
            .update_expression("ADD closing :p")
            .expression_attribute_values(":p", AttributeValue::Ss(vec![period.to_string()]))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn mark_closed(&self, period: &str, statement: &str) -> StoreResult<()> {
        // The statement in chunks under the 400 KB item limit, then the period marked closed:
        // a statement is never visible half-written.
        let puts = statement
            .as_bytes()
            .chunks(300_000)
            .enumerate()
            .map(|(i, chunk)| {
                let mut it = key(format!("P#{period}"), format!("STATEMENT#{i:06}"));
                it.insert("part".into(), AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(chunk.to_vec())));
                it
            })
            .collect();
        self.batch_write(puts, Vec::new()).await?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key("META", "LEDGER")))
            .update_expression("ADD closed :p")
            .expression_attribute_values(":p", AttributeValue::Ss(vec![period.to_string()]))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn statement(&self, period: &str) -> StoreResult<Option<String>> {
        if !closed_of(self.meta().await?.as_ref()).iter().any(|p| p == period) {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        for it in self.query_pk(format!("P#{period}"), "STATEMENT#").await? {
            if let Some(AttributeValue::B(b)) = it.get("part") {
                bytes.extend_from_slice(b.as_ref());
            }
        }
        String::from_utf8(bytes).map(Some).map_err(backend)
    }

    async fn closed_periods(&self) -> StoreResult<Vec<String>> {
        Ok(closed_of(self.meta().await?.as_ref()))
    }

    async fn park(&self, p: &Parked) -> StoreResult<()> {
        // Keyed by subject (parking again replaces the entry); GSI1 keeps them in arrival order.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(backend)?.as_nanos();
        let seq = self.parked_seq.fetch_add(1, Ordering::SeqCst);
        let mut it = key("PARKED", p.key.clone());
        it.insert(table::GSI_PK.into(), s("PARKED"));
        it.insert(table::GSI_SK.into(), s(format!("{now:024}#{seq:06}")));
        it.insert("rec".into(), s(json(p)));
        self.client.put_item().table_name(&self.table).set_item(Some(it)).send().await.map_err(sdk)?;
        Ok(())
    }

    async fn parked(&self) -> StoreResult<Vec<Parked>> {
        self.query_gsi("PARKED".into()).await?.iter().map(rec).collect()
    }

    async fn unpark(&self, k: &str) -> StoreResult<()> {
        self.delete(key("PARKED", k)).await
    }

    async fn delete_mapping(&self, sku: &str) -> StoreResult<()> {
        self.delete(key(format!("SKU#{sku}"), "CURRENT")).await
    }

    async fn put_doc(&self, collection: &str, k: &str, json: &str) -> StoreResult<()> {
        self.put_docs(&[(collection.to_string(), k.to_string(), json.to_string())]).await
    }

    async fn put_docs(&self, docs: &[(String, String, String)]) -> StoreResult<()> {
        // Small documents in batches of 25. A document over the item limit (a large period's
        // preview) goes in parts first, then its head names how many: never read half-written.
        let mut heads = Vec::with_capacity(docs.len());
        for (collection, k, json) in docs {
            let mut head = key(format!("DOC#{collection}"), k.clone());
            if json.len() <= DOC_PART {
                head.insert("rec".into(), s(json.clone()));
            } else {
                let parts: Vec<Item> = json
                    .as_bytes()
                    .chunks(DOC_PART)
                    .enumerate()
                    .map(|(i, chunk)| {
                        let mut it = key(format!("DOCPART#{collection}#{k}"), format!("{i:06}"));
                        it.insert(
                            "part".into(),
                            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(chunk.to_vec())),
                        );
                        it
                    })
                    .collect();
                head.insert("parts".into(), AttributeValue::N(parts.len().to_string()));
                self.batch_write(parts, Vec::new()).await?;
            }
            heads.push(head);
        }
        self.batch_write(heads, Vec::new()).await
    }

    async fn doc(&self, collection: &str, k: &str) -> StoreResult<Option<String>> {
        match self.get(format!("DOC#{collection}"), k).await? {
            Some(it) => self.doc_text(collection, k, &it).await,
            None => Ok(None),
        }
    }

    async fn docs_at(&self, keys: &[(String, String)]) -> StoreResult<Vec<Option<String>>> {
        // One BatchGetItem per 100 heads; a document in parts then reads its parts.
        let heads = self.batch_get(keys.iter().map(|(c, k)| key(format!("DOC#{c}"), k.clone())).collect()).await?;
        let mut by_key: HashMap<(String, String), Item> = HashMap::with_capacity(heads.len());
        for it in heads {
            if let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) = (it.get(table::PK), it.get(table::SK)) {
                if let Some(c) = pk.strip_prefix("DOC#") {
                    by_key.insert((c.to_string(), sk.clone()), it);
                }
            }
        }
        let mut out = Vec::with_capacity(keys.len());
        for (c, k) in keys {
            out.push(match by_key.get(&(c.clone(), k.clone())) {
                Some(head) => self.doc_text(c, k, head).await?,
                None => None,
            });
        }
        Ok(out)
    }

    async fn docs(&self, collection: &str) -> StoreResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        for it in self.query_pk(format!("DOC#{collection}"), "").await? {
            if let Some(AttributeValue::S(k)) = it.get(table::SK) {
                if let Some(text) = self.doc_text(collection, k, &it).await? {
                    out.push((k.clone(), text));
                }
            }
        }
        Ok(out)
    }

    async fn delete_doc(&self, collection: &str, k: &str) -> StoreResult<()> {
        self.delete(key(format!("DOC#{collection}"), k)).await?;
        let parts: Vec<Item> = self
            .query_pk(format!("DOCPART#{collection}#{k}"), "")
            .await?
            .into_iter()
            .filter_map(|it| Some(key(format!("DOCPART#{collection}#{k}"), it.get(table::SK)?.as_s().ok()?.clone())))
            .collect();
        self.batch_write(Vec::new(), parts).await
    }
}
