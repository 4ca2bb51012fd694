//! Every key of the single table, base table and GSI1, in one place (`docs/data-model.md`
//! lists them). Nothing else in the crate spells a key: a format changed here changes it
//! everywhere it is written, read and matched.

use crate::items::{s, Item};
use crate::table;
use std::collections::HashMap;

/// A base-table key: partition (`PK`) and sort (`SK`) values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    fn new(pk: impl Into<String>, sk: impl Into<String>) -> Key {
        Key { pk: pk.into(), sk: sk.into() }
    }

    /// The key as the item (or key attributes) the SDK takes.
    pub fn item(self) -> Item {
        HashMap::from([(table::PK.to_string(), s(self.pk)), (table::SK.to_string(), s(self.sk))])
    }
}

// ---- Ledger-wide items ----

/// Active plan versions, closed and closing periods (read by every order).
pub fn meta() -> Key {
    Key::new("META", "LEDGER")
}

/// The enrollment counter.
pub fn seq() -> Key {
    Key::new("META", "SEQ")
}

/// One plan version (written once; the META list carries the versions readers use).
pub fn plan(version: i64) -> Key {
    Key::new("PLAN", format!("V#{version:010}"))
}

// ---- People and products ----

pub fn distributor(id: &str) -> Key {
    Key::new(format!("D#{id}"), "PROFILE")
}

/// The item that makes an e-mail unique across distributors (normalized: trimmed, lower case).
pub fn email(email: &str) -> Key {
    Key::new(format!("EMAIL#{}", email.trim().to_lowercase()), "UNIQUE")
}

pub fn customer(id: &str) -> Key {
    Key::new(format!("C#{id}"), "PROFILE")
}

/// The current mapping of a SKU.
pub fn mapping(sku: &str) -> Key {
    Key::new(format!("SKU#{sku}"), "CURRENT")
}

// ---- Orders, lines, running totals ----

pub fn order(id: i64) -> Key {
    Key::new(format!("O#{id}"), "STATE")
}

/// The partition of an earner's lines and running totals in a period.
pub fn earner_period(earner: &str, period: &str) -> String {
    format!("E#{earner}#P#{period}")
}

/// Sort-key prefix of the lines in an `earner_period` partition.
pub const LINE_PREFIX: &str = "L#";

/// One ledger line (`line_key` is `StoredLine::key`).
pub fn line(earner: &str, period: &str, line_key: &str) -> Key {
    Key::new(earner_period(earner, period), format!("{LINE_PREFIX}{line_key}"))
}

/// An earner's running totals of a period.
pub fn aggregate(earner: &str, period: &str) -> Key {
    Key::new(earner_period(earner, period), "AGG")
}

// ---- Period close ----

/// The partition of a period's close: payouts, slice markers, statement parts.
pub fn period(period: &str) -> String {
    format!("P#{period}")
}

pub fn payout(p: &str, earner: &str) -> Key {
    Key::new(period(p), format!("PAYOUT#{earner}"))
}

/// Sort-key prefix of the slice markers of a close in `of` slices.
pub fn close_slice_prefix(of: u32) -> String {
    format!("SLICE#{of:02}#")
}

/// The marker of a written close slice.
pub fn close_slice(p: &str, of: u32, slice: u32) -> Key {
    Key::new(period(p), format!("{}{slice:02}", close_slice_prefix(of)))
}

/// Sort-key prefix of a closed period's statement parts.
pub const STATEMENT_PREFIX: &str = "STATEMENT#";

pub fn statement_part(p: &str, i: usize) -> Key {
    Key::new(period(p), format!("{STATEMENT_PREFIX}{i:06}"))
}

// ---- Parked entries ----

/// The partition of parked entries (keyed by subject).
pub const PARKED: &str = "PARKED";

pub fn parked(k: &str) -> Key {
    Key::new(PARKED, k)
}

// ---- Documents ----

const DOC_PREFIX: &str = "DOC#";

/// The partition of a document collection.
pub fn doc_collection(collection: &str) -> String {
    format!("{DOC_PREFIX}{collection}")
}

/// The collection a document head's partition names.
pub fn collection_of(pk: &str) -> Option<&str> {
    pk.strip_prefix(DOC_PREFIX)
}

/// A document's head item (its text inline, or the number of its parts).
pub fn doc(collection: &str, k: &str) -> Key {
    Key::new(doc_collection(collection), k)
}

/// The partition of a large document's parts.
pub fn doc_parts(collection: &str, k: &str) -> String {
    format!("DOCPART#{collection}#{k}")
}

pub fn doc_part(collection: &str, k: &str, i: usize) -> Key {
    Key::new(doc_parts(collection, k), format!("{i:06}"))
}

/// A part of a large document by its sort key as read back.
pub fn doc_part_at(collection: &str, k: &str, sk: &str) -> Key {
    Key::new(doc_parts(collection, k), sk)
}

// ---- GSI1 (`GSI1PK` / `GSI1SK`) ----

/// GSI1 keys: one partition per listing, sorted by the second value.
pub mod gsi {
    /// Distributors in enrollment order: `DIST` / the enrollment sequence number.
    pub const DISTRIBUTORS: &str = "DIST";
    pub fn distributor_sort(seq: u64) -> String {
        format!("{seq:012}")
    }

    /// Customers by id: `CUST` / the id.
    pub const CUSTOMERS: &str = "CUST";

    /// Current mappings by SKU: `SKU` / the SKU.
    pub const MAPPINGS: &str = "SKU";

    /// Parked entries in arrival order: `PARKED` / `<nanoseconds:024>#<seq:06>`.
    pub const PARKED: &str = "PARKED";
    pub fn parked_sort(nanos: u128, seq: u64) -> String {
        format!("{nanos:024}#{seq:06}")
    }

    /// Order states over `SHARDS` partitions by id: `ORDERS#<id mod SHARDS>` / `<id:020>`.
    pub fn orders(shard: impl std::fmt::Display) -> String {
        format!("ORDERS#{shard}")
    }
    pub fn order_sort(id: i64) -> String {
        format!("{id:020}")
    }

    /// A period's lines over `SHARDS` partitions by earner: `PL#<period>#<shard_of(earner)>` /
    /// `<earner>#<line key>`. A close slice's earners are exactly its shards.
    pub fn period_lines(period: &str, shard: impl std::fmt::Display) -> String {
        format!("PL#{period}#{shard}")
    }
    pub fn line_sort(earner: &str, line_key: &str) -> String {
        format!("{earner}#{line_key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spellings stored tables hold: changing one orphans existing items.
    #[test]
    fn keys_are_spelled_as_stored() {
        let k = |k: Key| format!("{} | {}", k.pk, k.sk);
        assert_eq!(k(meta()), "META | LEDGER");
        assert_eq!(k(seq()), "META | SEQ");
        assert_eq!(k(plan(7)), "PLAN | V#0000000007");
        assert_eq!(k(distributor("d1")), "D#d1 | PROFILE");
        assert_eq!(k(email(" A@B.com ")), "EMAIL#a@b.com | UNIQUE");
        assert_eq!(k(customer("42")), "C#42 | PROFILE");
        assert_eq!(k(mapping("SKU-1")), "SKU#SKU-1 | CURRENT");
        assert_eq!(k(order(-3)), "O#-3 | STATE");
        assert_eq!(k(line("d1", "2026-01", "5#retail#0")), "E#d1#P#2026-01 | L#5#retail#0");
        assert_eq!(k(aggregate("d1", "2026-01")), "E#d1#P#2026-01 | AGG");
        assert_eq!(k(payout("2026-01", "d1")), "P#2026-01 | PAYOUT#d1");
        assert_eq!(k(close_slice("2026-01", 4, 3)), "P#2026-01 | SLICE#04#03");
        assert_eq!(k(statement_part("2026-01", 2)), "P#2026-01 | STATEMENT#000002");
        assert_eq!(k(parked("order#5")), "PARKED | order#5");
        assert_eq!(k(doc("holds", "d1")), "DOC#holds | d1");
        assert_eq!(collection_of("DOC#holds"), Some("holds"));
        assert_eq!(k(doc_part("compliance", "2026-01", 1)), "DOCPART#compliance#2026-01 | 000001");
        assert_eq!(gsi::distributor_sort(12), "000000000012");
        assert_eq!(gsi::parked_sort(5, 1), "000000000000000000000005#000001");
        assert_eq!(gsi::orders(3), "ORDERS#3");
        assert_eq!(gsi::order_sort(5), "00000000000000000005");
        assert_eq!(gsi::period_lines("2026-01", 15), "PL#2026-01#15");
        assert_eq!(gsi::line_sort("d1", "5#retail#0"), "d1#5#retail#0");
    }
}
