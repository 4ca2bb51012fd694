//! Items and their attributes: records travel as JSON in `rec` (decimals as strings, never
//! floats), running totals as DynamoDB numbers, the META item's sets and plan list.

use crate::error::backend;
use crate::{keys, table};
use aws_sdk_dynamodb::types::AttributeValue;
use mlm_ledger::model::{shard_of, PlanVersion, StoredLine};
use mlm_ledger::port::{StoreError, StoreResult};
use rust_decimal::Decimal;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// A document larger than this is stored in parts (items are limited to 400 KB).
pub const DOC_PART: usize = 300_000;

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("ledger records serialize")
}

/// The record an item carries in `rec`.
pub fn rec<T: serde::de::DeserializeOwned>(item: &Item) -> StoreResult<T> {
    match item.get("rec") {
        Some(AttributeValue::S(t)) => serde_json::from_str(t).map_err(backend),
        _ => Err(StoreError::Backend("item without a record".into())),
    }
}

/// A number attribute; absent is zero (an `ADD` never ran).
pub fn num(item: &Item, k: &str) -> StoreResult<Decimal> {
    match item.get(k) {
        Some(AttributeValue::N(v)) => v.parse().map_err(backend),
        None => Ok(Decimal::ZERO),
        _ => Err(StoreError::Backend(format!("{k} is not a number"))),
    }
}

/// A ledger line's item, listed on GSI1 under its period and its earner's shard.
pub fn line_item(l: &StoredLine) -> Item {
    let mut item = keys::line(&l.earner, &l.period, &l.key()).item();
    item.insert(table::GSI_PK.into(), s(keys::gsi::period_lines(&l.period, shard_of(&l.earner))));
    item.insert(table::GSI_SK.into(), s(keys::gsi::line_sort(&l.earner, &l.key())));
    item.insert("fin".into(), AttributeValue::Bool(l.fin));
    item.insert("rec".into(), s(json(l)));
    item
}

/// Closed periods, from the META item.
pub fn closed_of(meta: Option<&Item>) -> Vec<String> {
    set_of(meta, "closed")
}

/// Closed periods and those whose close has started.
pub fn closing_of(meta: Option<&Item>) -> Vec<String> {
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

/// Plan versions, from the META item's list.
pub fn plans_of(meta: Option<&Item>) -> StoreResult<Vec<PlanVersion>> {
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
