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
use std::collections::HashMap;

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
    index: HashMap<String, u32>,
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
    pub sku: String,
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
    pub lines: Vec<BookLine>,
    /// The order as its own period counts it (spec §3: in-period refunds already removed).
    pub value: Value,
    /// Refunds of this order, in application order (indices into [`Book::refunds`]).
    pub refunds: Vec<u32>,
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
    pub ask: RefundAsk,
    /// The value this record removes (spec §3), once applied.
    pub removed: Value,
    /// In a later period than the order's: booked as clawbacks (spec §12).
    pub late: bool,
    /// Leaves none of the order's quantity: books remainders.
    pub leaves_none: bool,
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
    pub index: HashMap<i64, u32>,
    pub refunds: Vec<RefundRecord>,
}

/// An order as it arrives, before attribution.
pub struct NewOrder<'a> {
    pub id: i64,
    pub buyer: u32,
    pub category: Category,
    pub placed_at: Timestamp,
    pub tie: u64,
    pub exchange_rate: Decimal,
    pub lines: Vec<(&'a str, u32, Decimal)>,
}

impl Book {
    pub fn new(kind: PeriodKind, currency: &str, catalog: Catalog) -> Book {
        Book {
            kind,
            currency: currency.to_string(),
            catalog,
            orders: Vec::new(),
            index: HashMap::new(),
            refunds: Vec::new(),
        }
    }

    /// Adds an order; `Err` when its id is taken.
    pub fn add_order(&mut self, o: NewOrder) -> Result<u32, String> {
        if self.index.contains_key(&o.id) {
            return Err(format!("duplicate order id {}", o.id));
        }
        let lines: Vec<BookLine> = o
            .lines
            .into_iter()
            .map(|(sku, quantity, unit_price)| BookLine {
                item: self.catalog.get(sku).unwrap_or(UNKNOWN_SKU),
                sku: sku.to_string(),
                quantity,
                unit_price,
                remaining: quantity,
                counted: quantity,
            })
            .collect();
        let idx = self.orders.len() as u32;
        let mut order = BookOrder {
            id: o.id,
            placed_at: o.placed_at,
            tie: o.tie,
            period: Period::of(self.kind, o.placed_at),
            credited: o.buyer,
            category: o.category,
            exchange_rate: o.exchange_rate,
            lines,
            value: Value::default(),
            refunds: Vec::new(),
        };
        order.value = value_at(&self.catalog, &order, |l| l.counted);
        self.orders.push(order);
        self.index.insert(o.id, idx);
        Ok(idx)
    }

    /// Adds a refund of order `order` and re-applies that order's refunds in (`at`, tie) order.
    /// On error nothing changes.
    pub fn add_refund(&mut self, order: u32, at: Timestamp, tie: u64, ask: RefundAsk) -> Result<u32, RefundError> {
        let r = self.refunds.len() as u32;
        self.refunds.push(RefundRecord {
            order,
            at,
            tie,
            period: Period::of(self.kind, at),
            ask,
            removed: Value::default(),
            late: false,
            leaves_none: false,
        });
        let o = &mut self.orders[order as usize];
        let pos = o.refunds.partition_point(|&x| {
            let x = &self.refunds[x as usize];
            (x.at, x.tie) <= (at, tie)
        });
        o.refunds.insert(pos, r);
        if let Err(e) = self.settle(order) {
            self.orders[order as usize].refunds.retain(|&x| x != r);
            self.refunds.pop();
            self.settle(order).expect("the order settled before this refund");
            return Err(e);
        }
        Ok(r)
    }

    /// Applies an order's refunds from scratch, in order.
    fn settle(&mut self, oi: u32) -> Result<(), RefundError> {
        settle_order(&self.catalog, &mut self.refunds, &mut self.orders[oi as usize])
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

    /// The periods of the run (spec §2): from the earliest event's to the latest's.
    pub fn periods(&self) -> Vec<Period> {
        let all = self.orders.iter().map(|o| o.period).chain(self.refunds.iter().map(|r| r.period));
        let (Some(first), Some(last)) = (all.clone().min(), all.max()) else { return Vec::new() };
        (first.ordinal..=last.ordinal).map(|ordinal| Period { ordinal, ..first }).collect()
    }
}

fn settle_order(catalog: &Catalog, refunds: &mut [RefundRecord], o: &mut BookOrder) -> Result<(), RefundError> {
    for l in &mut o.lines {
        l.remaining = l.quantity;
        l.counted = l.quantity;
    }
    for ri in o.refunds.clone() {
        let r = &refunds[ri as usize];
        let err = |field: String, message: String| RefundError { refund: ri, field, message };
        if r.at < o.placed_at {
            return Err(err("at".into(), format!("is before order {}'s placed_at", o.id)));
        }
        let before: Vec<u32> = o.lines.iter().map(|l| l.remaining).collect();
        match &r.ask {
            RefundAsk::Full => {
                if o.lines.iter().all(|l| l.remaining == 0) {
                    return Err(err("full".into(), format!("nothing is left to refund on order {}", o.id)));
                }
                for l in &mut o.lines {
                    l.remaining = 0;
                }
            }
            RefundAsk::Lines(asks) => {
                for (j, (sku, q)) in asks.iter().enumerate() {
                    let left: u64 = o.lines.iter().filter(|l| &l.sku == sku).map(|l| l.remaining as u64).sum();
                    if !o.lines.iter().any(|l| &l.sku == sku) {
                        return Err(err(
                            format!("lines[{j}].sku"),
                            format!("order {} has no line with SKU {sku:?}", o.id),
                        ));
                    }
                    if (*q as u64) > left {
                        return Err(err(
                            format!("lines[{j}].quantity"),
                            if left == 0 {
                                format!("nothing is left to refund of {sku:?} on order {}", o.id)
                            } else {
                                format!("refunds {q} of {sku:?} but only {left} remain on order {}", o.id)
                            },
                        ));
                    }
                    let mut want = *q;
                    for l in o.lines.iter_mut().filter(|l| &l.sku == sku) {
                        let take = want.min(l.remaining);
                        l.remaining -= take;
                        want -= take;
                    }
                }
            }
        }
        let mut removed = Value::default();
        for (l, &q0) in o.lines.iter().zip(&before) {
            if q0 != l.remaining {
                let v0 = catalog.line_value(l.item, q0, l.unit_price, o.exchange_rate);
                let v1 = catalog.line_value(l.item, l.remaining, l.unit_price, o.exchange_rate);
                removed.add(v0.sub(v1));
            }
        }
        let late = r.period > o.period;
        if !late {
            for l in &mut o.lines {
                l.counted = l.remaining;
            }
        }
        let leaves_none = o.lines.iter().all(|l| l.remaining == 0);
        let r = &mut refunds[ri as usize];
        r.removed = removed;
        r.late = late;
        r.leaves_none = leaves_none;
    }
    o.value = value_at(catalog, o, |l| l.counted);
    Ok(())
}

fn value_at(catalog: &Catalog, o: &BookOrder, q: impl Fn(&BookLine) -> u32) -> Value {
    let mut v = Value::default();
    for l in &o.lines {
        v.add(catalog.line_value(l.item, q(l), l.unit_price, o.exchange_rate));
    }
    v
}

/// Attribution (spec §4): the credited distributor and the category of an order.
pub fn attribute(
    buyer_distributor: Option<u32>,
    is_customer: bool,
    customer_referrer: Option<u32>,
    order_referrer: Option<u32>,
) -> (u32, Category) {
    if let Some(d) = buyer_distributor {
        return (d, Category::Distributor);
    }
    let referrer = if is_customer { customer_referrer.or(order_referrer) } else { order_referrer };
    match referrer {
        Some(r) => (r, Category::Retail),
        None => (NONE, Category::House),
    }
}
