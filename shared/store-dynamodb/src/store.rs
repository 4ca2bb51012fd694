//! `Store` on the single table: each method as the requests it makes (`docs/data-model.md`,
//! access patterns and their cost).

use crate::error::{backend, is_condition_failure, sdk};
use crate::items::*;
use crate::requests::put;
use crate::{keys, table, DynamoStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};
use mlm_ledger::model::*;
use mlm_ledger::port::{Store, StoreError, StoreResult};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

#[async_trait]
impl Store for DynamoStore {
    async fn put_plan(&self, p: &PlanVersion) -> StoreResult<()> {
        // The versions live on the META item, which every order's first read fetches anyway.
        let mut v = keys::plan(p.version).item();
        v.insert("rec".into(), s(json(p)));
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::meta().item()))
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
            let counter = self.get(keys::seq()).await?;
            let seq = counter.as_ref().map_or(Ok(Decimal::ZERO), |c| num(c, "n"))?;
            let seq = u64::try_from(seq).map_err(backend)?;
            let mut items = Vec::with_capacity(chunk.len() * 2 + 1);
            for (i, d) in chunk.iter().enumerate() {
                let mut it = keys::distributor(&d.id).item();
                it.insert(table::GSI_PK.into(), s(keys::gsi::DISTRIBUTORS));
                it.insert(table::GSI_SK.into(), s(keys::gsi::distributor_sort(seq + i as u64)));
                it.insert("rec".into(), s(json(d)));
                items.push(put(&self.table, it, Some("attribute_not_exists(PK)"))?);
                if let Some(e) = &d.email {
                    let mut u = keys::email(e).item();
                    u.insert("distributor".into(), s(d.id.clone()));
                    items.push(put(&self.table, u, Some("attribute_not_exists(PK)"))?);
                }
            }
            let mut c = keys::seq().item();
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
        self.query_gsi(keys::gsi::DISTRIBUTORS.into()).await?.iter().map(rec).collect()
    }

    async fn distributor_count(&self) -> StoreResult<u64> {
        let c = self.get(keys::seq()).await?;
        c.as_ref().map_or(Ok(0), |c| num(c, "n").and_then(|v| u64::try_from(v).map_err(backend)))
    }

    async fn put_customer(&self, c: &CustomerRecord) -> StoreResult<()> {
        let mut it = keys::customer(&c.id).item();
        it.insert(table::GSI_PK.into(), s(keys::gsi::CUSTOMERS));
        it.insert(table::GSI_SK.into(), s(c.id.clone()));
        it.insert("rec".into(), s(json(c)));
        self.client.put_item().table_name(&self.table).set_item(Some(it)).send().await.map_err(sdk)?;
        Ok(())
    }

    async fn customers(&self) -> StoreResult<Vec<CustomerRecord>> {
        self.query_gsi(keys::gsi::CUSTOMERS.into()).await?.iter().map(rec).collect()
    }

    async fn put_mapping(&self, m: &Mapping) -> StoreResult<()> {
        let mut it = keys::mapping(&m.sku).item();
        it.insert(table::GSI_PK.into(), s(keys::gsi::MAPPINGS));
        it.insert(table::GSI_SK.into(), s(m.sku.clone()));
        it.insert("rec".into(), s(json(m)));
        self.client.put_item().table_name(&self.table).set_item(Some(it)).send().await.map_err(sdk)?;
        Ok(())
    }

    async fn mappings(&self) -> StoreResult<Vec<Mapping>> {
        self.query_gsi(keys::gsi::MAPPINGS.into()).await?.iter().map(rec).collect()
    }

    async fn context(&self, q: &ContextQuery) -> StoreResult<OrderContext> {
        let mut wanted =
            vec![keys::meta().item(), keys::order(q.order).item(), keys::parked(&order_park_key(q.order)).item()];
        for p in &q.parties {
            wanted.push(keys::distributor(p).item());
            wanted.push(keys::customer(p).item());
        }
        let mut skus = q.skus.clone();
        skus.sort();
        skus.dedup();
        wanted.extend(skus.iter().map(|sku| keys::mapping(sku).item()));
        let items = self.batch_get(wanted).await?;
        let mut ctx = OrderContext::default();
        let mut by_pk: HashMap<String, &Item> = HashMap::new();
        for it in &items {
            if let Some(AttributeValue::S(pk)) = it.get(table::PK) {
                by_pk.insert(pk.clone(), it);
            }
        }
        let meta = by_pk.get(&keys::meta().pk).copied();
        ctx.plans = plans_of(meta)?;
        ctx.closed = closing_of(meta);
        ctx.stored = by_pk.get(&keys::order(q.order).pk).map(|it| rec(it)).transpose()?;
        ctx.parked = by_pk.contains_key(keys::PARKED);
        for p in &q.parties {
            if let Some(it) = by_pk.get(&keys::distributor(p).pk) {
                ctx.distributors.push(rec(it)?);
            } else if let Some(it) = by_pk.get(&keys::customer(p).pk) {
                ctx.customers.push(rec(it)?);
            }
        }
        for sku in &q.skus {
            if let Some(it) = by_pk.get(&keys::mapping(sku).pk) {
                ctx.mappings.push(rec(it)?);
            }
        }
        Ok(ctx)
    }

    async fn distributor(&self, id: &str) -> StoreResult<Option<DistributorRecord>> {
        self.get(keys::distributor(id)).await?.as_ref().map(rec).transpose()
    }

    async fn distributor_by_email(&self, email: &str) -> StoreResult<Option<DistributorRecord>> {
        let owner = self.get(keys::email(email)).await?;
        match owner.as_ref().and_then(|it| it.get("distributor")) {
            Some(AttributeValue::S(id)) => self.distributor(id).await,
            _ => Ok(None),
        }
    }

    async fn order(&self, id: i64) -> StoreResult<Option<StoredOrder>> {
        self.get(keys::order(id)).await?.as_ref().map(rec).transpose()
    }

    async fn orders(&self) -> StoreResult<Vec<StoredOrder>> {
        let mut out = Vec::new();
        for sh in 0..table::SHARDS {
            for it in self.query_gsi(keys::gsi::orders(sh)).await? {
                out.push(rec(&it)?);
            }
        }
        out.sort_by_key(|o: &StoredOrder| o.snapshot.id);
        Ok(out)
    }

    async fn write_order(&self, w: &OrderWrite) -> StoreResult<()> {
        let o = &w.order;
        let id = o.snapshot.id;
        let mut state = keys::order(id).item();
        state.insert(table::GSI_PK.into(), s(keys::gsi::orders(id.rem_euclid(table::SHARDS as i64))));
        state.insert(table::GSI_SK.into(), s(keys::gsi::order_sort(id)));
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
            let mut check = ConditionCheck::builder().table_name(&self.table).set_key(Some(keys::meta().item()));
            let mut terms = Vec::new();
            for (i, p) in w.periods.iter().enumerate() {
                terms.push(format!("NOT contains(closing, :c{i})"));
                check = check.expression_attribute_values(format!(":c{i}"), s(p.clone()));
            }
            let expr = format!("attribute_not_exists(closing) OR ({})", terms.join(" AND "));
            let check = check.condition_expression(expr).build().map_err(backend)?;
            items.push(TransactWriteItem::builder().condition_check(check).build());
        }
        let put_keys: Vec<Item> =
            w.put_lines.iter().map(|l| keys::line(&l.earner, &l.period, &l.key()).item()).collect();
        for l in &w.remove_lines {
            let k = keys::line(&l.earner, &l.period, &l.key()).item();
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
            let d = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(keys::parked(k).item()))
                .build()
                .map_err(backend)?;
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
                .set_key(Some(keys::aggregate(&a.earner, &a.period).item()))
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
        let wanted: Vec<Item> = ids.iter().map(|id| keys::aggregate(id, period).item()).collect();
        let found = self.batch_get(wanted).await?;
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
        Ok(ids.iter().map(|id| by.get(&keys::aggregate(id, period).pk).cloned().unwrap_or_default()).collect())
    }

    async fn lines(&self, period: &str, earner: &str) -> StoreResult<Vec<StoredLine>> {
        let mut lines: Vec<StoredLine> = self
            .query_pk(keys::earner_period(earner, period), keys::LINE_PREFIX)
            .await?
            .iter()
            .map(rec)
            .collect::<StoreResult<_>>()?;
        // Statement order for final lines; provisional ones by key.
        lines.sort_by_key(|l| (l.order, l.kind != "retail", l.kind.clone(), l.level));
        Ok(lines)
    }

    async fn put_close_slice(&self, c: &CloseSlice) -> StoreResult<()> {
        // The slice's earners are exactly those of its GSI shards: delete their lines, write the
        // final ones. Both steps are idempotent, so a retried slice converges.
        let mut old = Vec::new();
        for sh in (0..SHARDS).filter(|sh| sh % c.of == c.slice) {
            for it in self.query_gsi(keys::gsi::period_lines(&c.period, sh)).await? {
                let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) = (it.get(table::PK), it.get(table::SK))
                else {
                    return Err(StoreError::Backend("a line without its key".into()));
                };
                old.push(keys::Key { pk: pk.clone(), sk: sk.clone() }.item());
            }
        }
        self.batch_write(Vec::new(), old).await?;
        let mut puts: Vec<Item> = c.lines.iter().map(line_item).collect();
        for (earner, amount) in &c.payouts {
            let mut it = keys::payout(&c.period, earner).item();
            it.insert("amount".into(), n(amount));
            it.insert("status".into(), s("queued"));
            puts.push(it);
        }
        puts.push(keys::close_slice(&c.period, c.of, c.slice).item());
        self.batch_write(puts, Vec::new()).await
    }

    async fn close_progress(&self, period: &str, of: u32) -> StoreResult<Vec<u32>> {
        let prefix = keys::close_slice_prefix(of);
        let mut done: Vec<u32> = self
            .query_pk(keys::period(period), &prefix)
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
            .set_key(Some(keys::meta().item()))
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
                let mut it = keys::statement_part(period, i).item();
                it.insert("part".into(), AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(chunk.to_vec())));
                it
            })
            .collect();
        self.batch_write(puts, Vec::new()).await?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::meta().item()))
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
        for it in self.query_pk(keys::period(period), keys::STATEMENT_PREFIX).await? {
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
        let mut it = keys::parked(&p.key).item();
        it.insert(table::GSI_PK.into(), s(keys::gsi::PARKED));
        it.insert(table::GSI_SK.into(), s(keys::gsi::parked_sort(now, seq)));
        it.insert("rec".into(), s(json(p)));
        self.client.put_item().table_name(&self.table).set_item(Some(it)).send().await.map_err(sdk)?;
        Ok(())
    }

    async fn parked(&self) -> StoreResult<Vec<Parked>> {
        self.query_gsi(keys::gsi::PARKED.into()).await?.iter().map(rec).collect()
    }

    async fn unpark(&self, k: &str) -> StoreResult<()> {
        self.delete(keys::parked(k).item()).await
    }

    async fn delete_mapping(&self, sku: &str) -> StoreResult<()> {
        self.delete(keys::mapping(sku).item()).await
    }

    async fn put_doc(&self, collection: &str, k: &str, json: &str) -> StoreResult<()> {
        self.put_docs(&[(collection.to_string(), k.to_string(), json.to_string())]).await
    }

    async fn put_docs(&self, docs: &[(String, String, String)]) -> StoreResult<()> {
        // Small documents in batches of 25. A document over the item limit (a large period's
        // preview) goes in parts first, then its head names how many: never read half-written.
        let mut heads = Vec::with_capacity(docs.len());
        for (collection, k, json) in docs {
            let mut head = keys::doc(collection, k).item();
            if json.len() <= DOC_PART {
                head.insert("rec".into(), s(json.clone()));
            } else {
                let parts: Vec<Item> = json
                    .as_bytes()
                    .chunks(DOC_PART)
                    .enumerate()
                    .map(|(i, chunk)| {
                        let mut it = keys::doc_part(collection, k, i).item();
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
        match self.get(keys::doc(collection, k)).await? {
            Some(it) => self.doc_text(collection, k, &it).await,
            None => Ok(None),
        }
    }

    async fn docs_at(&self, keys: &[(String, String)]) -> StoreResult<Vec<Option<String>>> {
        // One BatchGetItem per 100 heads; a document in parts then reads its parts.
        let heads = self.batch_get(keys.iter().map(|(c, k)| keys::doc(c, k).item()).collect()).await?;
        let mut by_key: HashMap<(String, String), Item> = HashMap::with_capacity(heads.len());
        for it in heads {
            if let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) = (it.get(table::PK), it.get(table::SK)) {
                if let Some(c) = keys::collection_of(pk) {
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
        for it in self.query_pk(keys::doc_collection(collection), "").await? {
            if let Some(AttributeValue::S(k)) = it.get(table::SK) {
                if let Some(text) = self.doc_text(collection, k, &it).await? {
                    out.push((k.clone(), text));
                }
            }
        }
        Ok(out)
    }

    async fn delete_doc(&self, collection: &str, k: &str) -> StoreResult<()> {
        self.delete(keys::doc(collection, k).item()).await?;
        let parts: Vec<Item> = self
            .query_pk(keys::doc_parts(collection, k), "")
            .await?
            .into_iter()
            .filter_map(|it| Some(keys::doc_part_at(collection, k, it.get(table::SK)?.as_s().ok()?).item()))
            .collect();
        self.batch_write(Vec::new(), parts).await
    }
}
