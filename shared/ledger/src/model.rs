//! What the ledger stores: records as they come from onboarding and BigCommerce, and the state
//! the ledger holds for each order. Timestamps are nanoseconds since the Unix epoch (UTC);
//! decimals serialize as strings, so nothing is ever read back through a float.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributorRecord {
    pub id: String,
    pub sponsor: Option<String>,
    pub joined_at: i64,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub bigcommerce_customer_id: Option<i64>,
    /// Explicit binary placement: `(parent, "left" | "right")`.
    #[serde(default)]
    pub placement: Option<(String, String)>,
    /// Sponsor path, nearest first (filled at enrollment): paying an order never walks the tree.
    #[serde(default)]
    pub upline: Vec<String>,
    /// Matrix parent path, nearest first (filled at enrollment).
    #[serde(default)]
    pub matrix_upline: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRecord {
    pub id: String,
    pub referrer: Option<String>,
}

/// A catalog mapping (spec §3): fixed BV or a BV rate, and PV, per SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub sku: String,
    pub bv: Option<Decimal>,
    pub bv_rate: Option<Decimal>,
    pub pv: Option<Decimal>,
}

/// Where an order stands in its life (BigCommerce status, mapped by the integration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OrderStatus {
    /// Paid: counts.
    Paid,
    /// Not yet paid, or disputed: counts for nothing until it is paid or resolved.
    Pending,
    /// Cancelled, declined or refunded as a whole at `at`: whatever remains is refunded then.
    Cancelled { at: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotLine {
    pub sku: String,
    pub quantity: u32,
    pub unit_price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundSnapshot {
    pub id: i64,
    pub at: i64,
    /// Everything that remains, or these `(sku, quantity)`.
    pub full: bool,
    #[serde(default)]
    pub lines: Vec<(String, u32)>,
}

/// An order as the store (BigCommerce) has it now: the truth a webhook triggers us to
/// reconcile the ledger with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSnapshot {
    pub id: i64,
    pub buyer: Option<String>,
    pub referrer: Option<String>,
    pub placed_at: i64,
    pub currency: Option<String>,
    pub exchange_rate: Option<Decimal>,
    pub lines: Vec<SnapshotLine>,
    pub refunds: Vec<RefundSnapshot>,
    pub status: OrderStatus,
    /// When the store last changed the order (BigCommerce `date_modified`), if it says: a
    /// snapshot older than the one the ledger holds is refused, so an order never goes backwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<i64>,
}

/// A ledger line, spelled out (spec: every line explains itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLine {
    pub earner: String,
    pub period: String,
    pub kind: String,
    pub of: Option<String>,
    pub order: Option<i64>,
    pub level: Option<u16>,
    pub base: Decimal,
    pub rate: Decimal,
    pub amount: Decimal,
    pub status: String,
    pub plan: String,
    /// Written by period close (authoritative) rather than on arrival (provisional).
    pub fin: bool,
    /// Tells apart lines that would otherwise share a key: the clawbacks of two refunds of one
    /// order booked in the same period (0 for the first).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seq: u32,
    /// What the line comes from beyond order and level (spec §16 `ref`): the matched
    /// distributor, the rank, the pool or the adjustment id.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub r#ref: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl StoredLine {
    /// Unique within an earner's period.
    pub fn key(&self) -> String {
        let key = format!(
            "{}#{}#{}#{}",
            self.order.map_or("-".into(), |o| o.to_string()),
            self.kind,
            self.of.as_deref().unwrap_or("-"),
            self.level.unwrap_or(0)
        );
        let key = if self.seq == 0 { key } else { format!("{key}#{}", self.seq) };
        // Matching, rank bonus, pool and adjustment lines share order and level: their ref
        // tells them apart.
        match &self.r#ref {
            Some(r) => format!("{key}#ref:{r}"),
            None => key,
        }
    }
}

/// The order's value in the base currency as its own period counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volumes {
    pub net: Decimal,
    pub bv: Decimal,
    pub pv: Decimal,
}

/// What the ledger holds for one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOrder {
    pub snapshot: OrderSnapshot,
    /// Bumped by every write; writes are conditioned on it.
    pub version: u64,
    pub period: String,
    pub credited: Option<String>,
    /// `distributor`, `retail` or `house`.
    pub category: String,
    pub value: Volumes,
    /// Its provisional lines: retail, unilevel and matrix in its own period, clawbacks of late
    /// refunds in theirs. Lines of a closed period are kept exactly as they were booked.
    pub lines: Vec<StoredLine>,
    /// The mappings that valued it: a later change of a SKU's BV never revalues (or mis-reverses)
    /// an order already paid.
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    /// What late refunds removed, in each later period they were booked in (spec §12): the
    /// credited distributor's running totals of that period are reduced by it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late: Vec<LateVolumes>,
    /// Booked into an open period by an admin after it arrived for a closed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booked: Option<Booking>,
}

/// Volumes a late refund removed, in the period it was booked in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateVolumes {
    pub period: String,
    #[serde(flatten)]
    pub removed: Volumes,
}

/// An admin's decision to count an order that arrived for a closed period in an open one: the
/// order is valued as if placed at `at` (the start of the open period, or later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// When it was really placed.
    pub placed_at: i64,
    /// When the ledger counts it.
    pub at: i64,
    pub by: String,
    /// When the admin decided, RFC 3339.
    pub decided_at: String,
}

/// A change to one distributor's running period totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregateDelta {
    pub earner: String,
    pub period: String,
    pub pv: Decimal,
    pub bv: Decimal,
    pub retail_sales: Decimal,
    pub personal_sales: Decimal,
}

/// A distributor's running totals in an open period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    pub pv: Decimal,
    pub bv: Decimal,
    pub retail_sales: Decimal,
    pub personal_sales: Decimal,
}

/// One conditional write of an order's new state.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderWrite {
    pub order: StoredOrder,
    /// The version read; `None`: the order must not exist yet.
    pub expected_version: Option<u64>,
    pub remove_lines: Vec<StoredLine>,
    pub put_lines: Vec<StoredLine>,
    pub aggregates: Vec<AggregateDelta>,
    /// A parked entry this write resolves (removed in the same transaction).
    pub unpark: Option<String>,
    /// The periods this write changes: none may be closing or closed when it commits (a close
    /// that has started reads the orders once; a write after that would be lost to it).
    pub periods: Vec<String>,
}

/// A plan version: its file text and the period it takes effect from (`None`: from the start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanVersion {
    pub version: i64,
    pub text: String,
    pub effective: Option<String>,
}

/// What reconciling one order needs to read, in one batched read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextQuery {
    pub order: i64,
    /// The buyer and the order's referrer: distributor or customer ids.
    pub parties: Vec<String>,
    pub skus: Vec<String>,
}

/// The answer to a [`ContextQuery`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderContext {
    pub stored: Option<StoredOrder>,
    /// Every plan version, in the order they were set.
    pub plans: Vec<PlanVersion>,
    /// Closed periods, and those whose close has started ([`crate::port::Store::mark_closing`]).
    pub closed: Vec<String>,
    /// The parties that are distributors.
    pub distributors: Vec<DistributorRecord>,
    /// The parties that are customers.
    pub customers: Vec<CustomerRecord>,
    /// Current mappings of the SKUs asked for (absent SKUs are unmapped).
    pub mappings: Vec<Mapping>,
    /// The order has a parked entry ([`order_park_key`]).
    pub parked: bool,
}

/// Collection `bigcommerce-customers`: BigCommerce customer id → the distributor imported with
/// it (`mlm import`'s `bigcommerce_customer_id`), which links that account before anything else.
pub const CUSTOMER_INDEX: &str = "bigcommerce-customers";

/// The key an order is parked under: one entry per order.
pub fn order_park_key(id: i64) -> String {
    format!("order#{id}")
}

/// Earners are spread over this many shards (GSI partitions in DynamoDB, close slices).
pub const SHARDS: u32 = 16;

/// An earner's shard: FNV-1a of its id, stable across processes and releases.
pub fn shard_of(earner: &str) -> u32 {
    (earner.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3)) % SHARDS as u64)
        as u32
}

/// One slice of a period's close: the earners whose `shard_of(earner) % of == slice`. Slices are
/// written independently (by one process or many workers) and each is idempotent.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseSlice {
    pub period: String,
    pub slice: u32,
    /// How many slices the close is cut into (1 to [`SHARDS`]).
    pub of: u32,
    /// The final lines of the slice's earners (replacing their provisional lines).
    pub lines: Vec<StoredLine>,
    /// `(distributor, amount)` queued for payment.
    pub payouts: Vec<(String, Decimal)>,
}

impl CloseSlice {
    pub fn holds(slice: u32, of: u32, earner: &str) -> bool {
        shard_of(earner) % of == slice
    }
}

/// Something that could not be processed, kept with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parked {
    /// What is parked, e.g. `order#250`: parking it again replaces the entry (one entry per
    /// subject, with its latest reason), reprocessing it successfully removes it.
    pub key: String,
    pub source: String,
    pub reason: String,
    pub payload: String,
}
