//! Orders and refunds (spec §3, §4): valuation in the base currency, attribution to the credited
//! distributor, and refund records with the exact value each one removes.
//!
//! The book is keyed, not sequenced: orders and refunds may be added in any order and each
//! order's refunds are (re)applied in (`at`, tie key) order, so the result does not depend on
//! arrival order. `mlm simulate` uses the input position as the tie key; the online path uses
//! the order or refund id.

use crate::genealogy::NONE;
use crate::num::{div_round, mul_round};
use crate::period::{Period, PeriodKind, Timestamp};
use crate::scenario::CatalogItem;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

/// Who an order's volume belongs to (spec §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Bought by a distributor: personal sales.
    Distributor,
    /// Bought by a retail customer or a guest through a referrer.
    Retail,
    /// Nobody to credit: company sales only.
    House,
}

/// Net sales in the base currency, BV and PV.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Value {
    pub net: Decimal,
    pub bv: Decimal,
    pub pv: Decimal,
}

impl Value {
    fn add(&mut self, o: Value) {
        self.net += o.net;
        self.bv += o.bv;
        self.pv += o.pv;
    }
    fn sub(self, o: Value) -> Value {
        Value { net: self.net - o.net, bv: self.bv - o.bv, pv: self.pv - o.pv }
    }
}

/// The catalog: SKU → BV/PV mapping.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    items: Vec<CatalogItem>,
    index: FxHashMap<String, u32>,
}

impl Catalog {
    /// Adds a mapping; `Err` on a duplicate SKU.
    pub fn add(&mut self, item: CatalogItem) -> Result<(), String> {
        if self.index.contains_key(&item.sku) {
            return Err(format!("duplicate SKU {:?}", item.sku));
        }
        self.index.insert(item.sku.clone(), self.items.len() as u32);
        self.items.push(item);
        Ok(())
    }

    pub fn get(&self, sku: &str) -> Option<u32> {
        self.index.get(sku).copied()
    }

    /// The value of `q` units at net unit price `p` (order currency) and exchange rate `x`.
    pub fn line_value(&self, item: u32, q: u32, p: Decimal, x: Decimal) -> Value {
        let q = Decimal::from(q);
        let net = div_round(q * p, x, 2).expect("exchange rates are positive");
        let Some(it) = self.items.get(item as usize) else {
            return Value { net, ..Value::default() }; // unknown SKU: sales only
        };
        let bv = match (it.bv, it.bv_rate) {
            (Some(bv), _) => bv * q,
            (None, Some(rate)) => mul_round(rate, net, 2),
            (None, None) => Decimal::ZERO,
        };
        Value { net, bv, pv: it.pv.map_or(Decimal::ZERO, |pv| pv * q) }
    }
}

/// An unknown SKU in an order line.
pub const UNKNOWN_SKU: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub struct BookLine {
    /// Interned SKU.
    pub sku: u32,
    pub item: u32,
    pub quantity: u32,
    pub unit_price: Decimal,
    /// Quantity left after every refund applied so far.
    remaining: u32,
    /// Quantity the order's own period counts (after in-period refunds).
    counted: u32,
}

#[derive(Debug, Clone)]
pub struct BookOrder {
    pub id: i64,
    pub placed_at: Timestamp,
    /// Orders tied on `placed_at` are taken in this key's order.
    pub tie: u64,
    pub period: Period,
    /// The credited distributor, or [`NONE`] for a house order.
    pub credited: u32,
    pub category: Category,
    pub exchange_rate: Decimal,
    /// Its lines: `Book::lines[lines.0 .. lines.0 + lines.1]`. One flat array for all orders
    /// keeps a five-million-order book compact.
    lines: (u32, u32),
    /// The order as its own period counts it (spec §3: in-period refunds already removed).
    pub value: Value,
}

/// What a refund asks for.
#[derive(Debug, Clone)]
pub enum RefundAsk {
    Full,
    Lines(Vec<(String, u32)>),
}

#[derive(Debug, Clone)]
pub struct RefundRecord {
    pub order: u32,
    pub at: Timestamp,
    pub tie: u64,
    pub period: Period,
    /// The value this record removes (spec §3), once applied.
    pub removed: Value,
    /// In a later period than the order's: booked as clawbacks (spec §12).
    pub late: bool,
    /// Leaves none of the order's quantity: books remainders.
    pub leaves_none: bool,
}

/// A manual adjustment (spec §21): one payable line in the period of its `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct BookAdjustment {
    pub id: String,
    pub distributor: u32,
    pub at: Timestamp,
    /// Adjustments tied on `at` are taken in this key's order.
    pub tie: u64,
    pub period: Period,
    pub amount: Decimal,
    pub reason: String,
}

/// A refund that cannot be applied: `field` is relative to the refund record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundError {
    pub refund: u32,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Book {
    pub kind: PeriodKind,
    pub currency: String,
    pub catalog: Catalog,
    pub orders: Vec<BookOrder>,
    pub index: FxHashMap<i64, u32>,
    lines: Vec<BookLine>,
    /// Interned SKUs: refund lines match order lines by these ids.
    sku_index: FxHashMap<String, u32>,
    pub refunds: Vec<RefundRecord>,
    /// What each refund asks for (parallel to `refunds`).
    asks: Vec<Ask>,
    /// Refunds of each refunded order, in application order.
    refunds_of: FxHashMap<u32, Vec<u32>>,
    /// Manual adjustments (spec §21), in input order.
    pub adjustments: Vec<BookAdjustment>,
}

/// An order as it arrives, before attribution.
pub struct NewOrder<'a> {
    pub id: i64,
    pub buyer: u32,
    pub category: Category,
    pub placed_at: Timestamp,
    pub tie: u64,
    pub exchange_rate: Decimal,
    /// `(sku, quantity, net unit price)`.
    pub lines: &'a mut dyn Iterator<Item = (&'a str, u32, Decimal)>,
}

impl Book {
    pub fn new(kind: PeriodKind, currency: &str, catalog: Catalog) -> Book {
        Book {
            kind,
            currency: currency.to_string(),
            catalog,
            orders: Vec::new(),
            index: FxHashMap::default(),
            lines: Vec::new(),
            sku_index: FxHashMap::default(),
            refunds: Vec::new(),
            asks: Vec::new(),
            refunds_of: FxHashMap::default(),
            adjustments: Vec::new(),
        }
    }

    /// Room for `orders` more orders of about `lines` lines in all.
    pub fn reserve(&mut self, orders: usize, lines: usize) {
        self.orders.reserve(orders);
        self.index.reserve(orders);
        self.lines.reserve(lines);
    }

    fn intern(&mut self, sku: &str) -> u32 {
        if let Some(&i) = self.sku_index.get(sku) {
            return i;
        }
        let i = self.sku_index.len() as u32;
        self.sku_index.insert(sku.to_string(), i);
        i
    }

    /// Refunds of `order`, in application order.
    pub fn refunds_of(&self, order: u32) -> &[u32] {
        self.refunds_of.get(&order).map_or(&[], Vec::as_slice)
    }

    /// Adds an order; `Err` when its id is taken.
    pub fn add_order(&mut self, o: NewOrder) -> Result<u32, String> {
        if self.index.contains_key(&o.id) {
            return Err(format!("duplicate order id {}", o.id));
        }
        let start = self.lines.len();
        let mut value = Value::default();
        for (sku, quantity, unit_price) in o.lines {
            let item = self.catalog.get(sku).unwrap_or(UNKNOWN_SKU);
            value.add(self.catalog.line_value(item, quantity, unit_price, o.exchange_rate));
            let sku = self.intern(sku);
            self.lines.push(BookLine { sku, item, quantity, unit_price, remaining: quantity, counted: quantity });
        }
        let idx = self.orders.len() as u32;
        self.orders.push(BookOrder {
            id: o.id,
            placed_at: o.placed_at,
            tie: o.tie,
            period: Period::of(self.kind, o.placed_at),
            credited: o.buyer,
            category: o.category,
            exchange_rate: o.exchange_rate,
            lines: (start as u32, (self.lines.len() - start) as u32),
            value,
        });
        self.index.insert(o.id, idx);
        Ok(idx)
    }

    /// Adds a refund of order `order` and re-applies that order's refunds in (`at`, tie) order.
    /// On error nothing changes.
    pub fn add_refund(&mut self, order: u32, at: Timestamp, tie: u64, ask: RefundAsk) -> Result<u32, RefundError> {
        // SKUs are matched by interned id; a SKU the book has never seen matches no line.
        let ask = match ask {
            RefundAsk::Full => Ask::Full,
            RefundAsk::Lines(lines) => Ask::Lines(
                lines
                    .into_iter()
                    .map(|(sku, q)| (self.sku_index.get(&sku).copied().unwrap_or(u32::MAX), sku, q))
                    .collect(),
            ),
        };
        let r = self.refunds.len() as u32;
        self.refunds.push(RefundRecord {
            order,
            at,
            tie,
            period: Period::of(self.kind, at),
            removed: Value::default(),
            late: false,
            leaves_none: false,
        });
        let list = self.refunds_of.entry(order).or_default();
        let refunds = &self.refunds;
        let pos = list.partition_point(|&x| (refunds[x as usize].at, refunds[x as usize].tie) <= (at, tie));
        list.insert(pos, r);
        self.asks.push(ask);
        if let Err(e) = self.settle(order) {
            self.refunds_of.get_mut(&order).expect("just added").retain(|&x| x != r);
            self.refunds.pop();
            self.asks.pop();
            self.settle(order).expect("the order settled before this refund");
            return Err(e);
        }
        Ok(r)
    }

    /// Applies an order's refunds from scratch, in order.
    fn settle(&mut self, oi: u32) -> Result<(), RefundError> {
        let o = &mut self.orders[oi as usize];
        let (start, len) = o.lines;
        let lines = &mut self.lines[start as usize..(start + len) as usize];
        let ids = self.refunds_of.get(&oi).map_or(&[][..], Vec::as_slice);
        settle_order(&self.catalog, &mut self.refunds, &self.asks, ids, o, lines)
    }

    /// Orders of the run sorted by (`placed_at`, tie).
    pub fn orders_by_time(&self) -> Vec<u32> {
        let mut v: Vec<u32> = (0..self.orders.len() as u32).collect();
        v.sort_by_key(|&i| (self.orders[i as usize].placed_at, self.orders[i as usize].tie));
        v
    }

    /// Late refunds sorted by (`at`, tie).
    pub fn late_refunds_by_time(&self) -> Vec<u32> {
        let mut v: Vec<u32> = (0..self.refunds.len() as u32).filter(|&r| self.refunds[r as usize].late).collect();
        v.sort_by_key(|&i| (self.refunds[i as usize].at, self.refunds[i as usize].tie));
        v
    }

    /// Records an adjustment of distributor `distributor` (spec §21).
    pub fn add_adjustment(
        &mut self,
        id: &str,
        distributor: u32,
        at: Timestamp,
        tie: u64,
        amount: Decimal,
        reason: &str,
    ) {
        let period = Period::of(self.kind, at);
        self.adjustments.push(BookAdjustment {
            id: id.to_string(),
            distributor,
            at,
            tie,
            period,
            amount,
            reason: reason.to_string(),
        });
    }

    /// Adjustments sorted by (`at`, tie).
    pub fn adjustments_by_time(&self) -> Vec<u32> {
        let mut v: Vec<u32> = (0..self.adjustments.len() as u32).collect();
        v.sort_by_key(|&i| (self.adjustments[i as usize].at, self.adjustments[i as usize].tie));
        v
    }

    /// The periods of the run (spec §2): from the earliest event's to the latest's (orders,
    /// refunds and adjustments).
    pub fn periods(&self) -> Vec<Period> {
        let all = self
            .orders
            .iter()
            .map(|o| o.period)
            .chain(self.refunds.iter().map(|r| r.period))
            .chain(self.adjustments.iter().map(|a| a.period));
        let (Some(first), Some(last)) = (all.clone().min(), all.max()) else { return Vec::new() };
        (first.ordinal..=last.ordinal).map(|ordinal| Period { ordinal, ..first }).collect()
    }
}

/// What a refund asks for, with SKUs interned: `(interned, sku, quantity)`.
#[derive(Debug, Clone)]
enum Ask {
    Full,
    Lines(Vec<(u32, String, u32)>),
}

fn settle_order(
    catalog: &Catalog,
    refunds: &mut [RefundRecord],
    asks: &[Ask],
    ids: &[u32],
    o: &mut BookOrder,
    lines: &mut [BookLine],
) -> Result<(), RefundError> {
    for l in lines.iter_mut() {
        l.remaining = l.quantity;
        l.counted = l.quantity;
    }
    let mut before: Vec<u32> = Vec::with_capacity(lines.len());
    for &ri in ids {
        let r = &refunds[ri as usize];
        let err = |field: String, message: String| RefundError { refund: ri, field, message };
        if r.at < o.placed_at {
            return Err(err("at".into(), format!("is before order {}'s placed_at", o.id)));
        }
        before.clear();
        before.extend(lines.iter().map(|l| l.remaining));
        match &asks[ri as usize] {
            Ask::Full => {
                if lines.iter().all(|l| l.remaining == 0) {
                    return Err(err("full".into(), format!("nothing is left to refund on order {}", o.id)));
                }
                for l in lines.iter_mut() {
                    l.remaining = 0;
                }
            }
            Ask::Lines(asked) => {
                for (j, (sku, name, q)) in asked.iter().enumerate() {
                    if !lines.iter().any(|l| l.sku == *sku) {
                        return Err(err(
                            format!("lines[{j}].sku"),
                            format!("order {} has no line with SKU {name:?}", o.id),
                        ));
                    }
                    let left: u64 = lines.iter().filter(|l| l.sku == *sku).map(|l| l.remaining as u64).sum();
                    if (*q as u64) > left {
                        return Err(err(
                            format!("lines[{j}].quantity"),
                            if left == 0 {
                                format!("nothing is left to refund of {name:?} on order {}", o.id)
                            } else {
                                format!("refunds {q} of {name:?} but only {left} remain on order {}", o.id)
                            },
                        ));
                    }
                    let mut want = *q;
                    for l in lines.iter_mut().filter(|l| l.sku == *sku) {
                        let take = want.min(l.remaining);
                        l.remaining -= take;
                        want -= take;
                    }
                }
            }
        }
        let mut removed = Value::default();
        for (l, &q0) in lines.iter().zip(&before) {
            if q0 != l.remaining {
                let v0 = catalog.line_value(l.item, q0, l.unit_price, o.exchange_rate);
                let v1 = catalog.line_value(l.item, l.remaining, l.unit_price, o.exchange_rate);
                removed.add(v0.sub(v1));
            }
        }
        let late = r.period > o.period;
        if !late {
            for l in lines.iter_mut() {
                l.counted = l.remaining;
            }
        }
        let leaves_none = lines.iter().all(|l| l.remaining == 0);
        let r = &mut refunds[ri as usize];
        r.removed = removed;
        r.late = late;
        r.leaves_none = leaves_none;
    }
    o.value = value_at(catalog, o.exchange_rate, lines, |l| l.counted);
    Ok(())
}

fn value_at(catalog: &Catalog, x: Decimal, lines: &[BookLine], q: impl Fn(&BookLine) -> u32) -> Value {
    let mut v = Value::default();
    for l in lines {
        v.add(catalog.line_value(l.item, q(l), l.unit_price, x));
    }
    v
}

/// Who bought an order, as the network knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buyer {
    Distributor(u32),
    /// A known retail customer, with its referrer if it has one.
    Customer(Option<u32>),
    /// No buyer account (a guest checkout).
    Guest,
}

/// Attribution (spec §4): the credited distributor (or [`NONE`]) and the category of an order.
pub fn attribute(buyer: Buyer, order_referrer: Option<u32>) -> (u32, Category) {
    let referrer = match buyer {
        Buyer::Distributor(d) => return (d, Category::Distributor),
        Buyer::Customer(r) => r.or(order_referrer),
        Buyer::Guest => order_referrer,
    };
    match referrer {
        Some(r) => (r, Category::Retail),
        None => (NONE, Category::House),
    }
}

/// The exchange rate an order is valued at (spec §3): 1 in the plan's currency or without a
/// currency; otherwise the order's own rate, which must then be given and positive.
pub fn exchange_rate(plan_currency: &str, currency: Option<&str>, rate: Option<Decimal>) -> Result<Decimal, String> {
    match (currency, rate) {
        (None, _) => Ok(Decimal::ONE),
        (Some(c), _) if c == plan_currency => Ok(Decimal::ONE),
        (Some(_), Some(x)) if x > Decimal::ZERO => Ok(x),
        (Some(_), Some(x)) => Err(format!("must be positive, not {x}")),
        (Some(c), None) => Err(format!("is required for an order in {c} (the plan's currency is {plan_currency})")),
    }
}
