//! The scenario file of `mlm simulate` (spec §16): a plan, a network, a catalog, orders and
//! refunds. This module reads it and checks each field on its own; references between records
//! (sponsors, buyers, refunded quantities) are checked when the run is prepared
//! ([`crate::book`], [`crate::genealogy`]).

use crate::error::InputErrors;
use crate::input::{self, Checker, Format, Id, Num};
use crate::num::fmt_volume;
use crate::period::Timestamp;
use crate::plan::{Plan, RawPlan};
use rust_decimal::Decimal;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A whole scenario, every field checked; references not yet resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub plan: Plan,
    pub distributors: Vec<Distributor>,
    pub customers: Vec<Customer>,
    pub catalog: Vec<CatalogItem>,
    pub orders: Vec<Order>,
    pub refunds: Vec<Refund>,
    /// Manual adjustments (spec §21).
    pub adjustments: Vec<Adjustment>,
}

/// A manual bonus (positive) or deduction (negative) with its reason (spec §21).
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub id: String,
    pub distributor: String,
    pub at: Timestamp,
    pub amount: Decimal,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Distributor {
    pub id: String,
    pub sponsor: Option<String>,
    pub joined_at: Timestamp,
    pub placement: Option<Placement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Leg {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    pub parent: String,
    pub leg: Leg,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: String,
    pub referrer: Option<String>,
}

/// A catalog mapping: fixed `bv` per unit, or `bv_rate` of the net price; `pv` per unit.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogItem {
    pub sku: String,
    pub bv: Option<Decimal>,
    pub bv_rate: Option<Decimal>,
    pub pv: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: i64,
    pub buyer: Option<String>,
    pub referrer: Option<String>,
    pub placed_at: Timestamp,
    pub currency: Option<String>,
    pub exchange_rate: Option<Decimal>,
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderLine {
    pub sku: String,
    pub quantity: u32,
    pub unit_price: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    pub order: i64,
    pub at: Timestamp,
    pub what: RefundWhat,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RefundWhat {
    /// Everything that remains of the order.
    Full,
    /// These quantities, by SKU.
    Lines(Vec<RefundLine>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RefundLine {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    plan: Option<RawPlan>,
    plan_file: Option<String>,
    #[serde(default)]
    distributors: Vec<RawDistributor>,
    #[serde(default)]
    customers: Vec<RawCustomer>,
    #[serde(default)]
    catalog: Vec<RawCatalogItem>,
    #[serde(default)]
    orders: Vec<RawOrder>,
    #[serde(default)]
    refunds: Vec<RawRefund>,
    #[serde(default)]
    adjustments: Vec<RawAdjustment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdjustment {
    id: Id,
    distributor: Id,
    at: String,
    amount: Num,
    reason: Id,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDistributor {
    id: Id,
    #[serde(default)]
    sponsor: Option<Id>,
    joined_at: String,
    placement: Option<RawPlacement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlacement {
    parent: Id,
    leg: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomer {
    id: Id,
    #[serde(default)]
    referrer: Option<Id>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogItem {
    sku: Id,
    bv: Option<Num>,
    bv_rate: Option<Num>,
    pv: Option<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrder {
    id: Num,
    #[serde(default)]
    buyer: Option<Id>,
    #[serde(default)]
    referrer: Option<Id>,
    placed_at: String,
    currency: Option<String>,
    exchange_rate: Option<Num>,
    lines: Vec<RawOrderLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrderLine {
    sku: Id,
    quantity: Num,
    unit_price: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefund {
    order: Num,
    at: String,
    #[serde(default, deserialize_with = "input::present")]
    full: Option<Box<RawValue>>,
    lines: Option<Vec<RawRefundLine>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefundLine {
    sku: Id,
    quantity: Num,
}

/// Reads the text of a `plan_file` named by a scenario: `(text, format)` or a message.
pub type PlanFileLoader<'a> = dyn FnMut(&str) -> Result<(String, Format), String> + 'a;

fn timestamp(c: &mut Checker, text: &str, at: impl FnOnce() -> String) -> Timestamp {
    Timestamp::parse(text).map_err(|m| c.err(at(), m)).unwrap_or(Timestamp(0))
}

fn quantity(c: &mut Checker, n: &Num, at: impl FnOnce() -> String) -> u32 {
    match n.integer() {
        Ok(q) if (1..=u32::MAX as i64).contains(&q) => q as u32,
        Ok(_) => {
            c.err(at(), "must be an integer ≥ 1");
            1
        }
        Err(_) => {
            c.err(at(), "must be an integer ≥ 1");
            1
        }
    }
}

const ZERO: Option<Decimal> = Some(Decimal::ZERO);

/// Checks adjustments field by field (spec §16, §21): a non-zero amount of at most 2 decimals,
/// a reason with a non-blank character, a timestamp with offset, unique ids. Whether the
/// distributor exists is checked when the run is prepared.
fn check_adjustments(c: &mut Checker, raw: Vec<RawAdjustment>) -> Vec<Adjustment> {
    let mut seen = std::collections::HashSet::new();
    raw.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let at = |k: &str| format!("adjustments[{i}].{k}");
            if a.id.0.trim().is_empty() {
                c.err(at("id"), "must have a non-blank character");
            } else if !seen.insert(a.id.0.clone()) {
                c.err(at("id"), format!("duplicate adjustment id {:?}", a.id.0));
            }
            let amount = c.decimal(&a.amount, || at("amount")).unwrap_or(Decimal::ONE);
            if amount.is_zero() {
                c.err(at("amount"), "must not be zero (a deduction is negative)");
            } else if amount.normalize().scale() > 2 {
                c.err(at("amount"), format!("must have at most 2 decimals, not {amount}"));
            }
            if a.reason.0.trim().is_empty() {
                c.err(at("reason"), "must have a non-blank character");
            }
            Adjustment {
                at: timestamp(c, &a.at, || at("at")),
                id: a.id.0,
                distributor: a.distributor.0,
                amount,
                reason: a.reason.0,
            }
        })
        .collect()
}

impl Scenario {
    /// Reads a scenario. `plan_file` (relative to the scenario) is read through `load_plan`.
    pub fn from_text(text: &str, format: Format, load_plan: &mut PlanFileLoader) -> Result<Scenario, InputErrors> {
        let raw: RawScenario = input::parse(text, format, "")?;
        let plan = match (raw.plan, raw.plan_file) {
            (Some(p), None) => p.check("plan")?,
            (None, Some(file)) => {
                let (text, fmt) = load_plan(&file).map_err(|m| InputErrors::one("plan_file".into(), m))?;
                Plan::from_text(&text, fmt, &format!("plan_file({file})"))?
            }
            (Some(_), Some(_)) => {
                return Err(InputErrors::one("plan_file".into(), "give either plan or plan_file, not both".into()))
            }
            (None, None) => return Err(InputErrors::one("plan".into(), "is required (or plan_file)".into())),
        };
        let mut c = Checker::default();
        let distributors = raw
            .distributors
            .into_iter()
            .enumerate()
            .map(|(i, d)| Distributor {
                joined_at: timestamp(&mut c, &d.joined_at, || format!("distributors[{i}].joined_at")),
                placement: d.placement.map(|p| Placement {
                    parent: p.parent.0,
                    leg: match p.leg.as_str() {
                        "left" => Leg::Left,
                        "right" => Leg::Right,
                        other => {
                            c.err(
                                format!("distributors[{i}].placement.leg"),
                                format!("must be left or right, not {other:?}"),
                            );
                            Leg::Left
                        }
                    },
                }),
                id: d.id.0,
                sponsor: d.sponsor.map(|s| s.0),
            })
            .collect();
        let customers =
            raw.customers.into_iter().map(|x| Customer { id: x.id.0, referrer: x.referrer.map(|r| r.0) }).collect();
        let catalog = raw
            .catalog
            .into_iter()
            .enumerate()
            .map(|(i, x)| {
                let at = |k: &str| format!("catalog[{i}].{k}");
                if x.bv.is_some() && x.bv_rate.is_some() {
                    c.err(at("bv_rate"), "give bv or bv_rate, not both");
                }
                CatalogItem {
                    bv: x.bv.and_then(|n| c.bounded(&n, ZERO, None, || at("bv"))),
                    bv_rate: x.bv_rate.and_then(|n| c.bounded(&n, ZERO, Some(Decimal::ONE), || at("bv_rate"))),
                    pv: x.pv.and_then(|n| c.bounded(&n, ZERO, None, || at("pv"))),
                    sku: x.sku.0,
                }
            })
            .collect();
        let orders = raw
            .orders
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                let at = |k: &str| format!("orders[{i}].{k}");
                let id = o.id.json_integer().map_err(|m| c.err(at("id"), m)).unwrap_or_default();
                if o.lines.is_empty() {
                    c.err(at("lines"), "must not be empty");
                }
                let exchange_rate = o.exchange_rate.and_then(|n| {
                    let v = c.decimal(&n, || at("exchange_rate"))?;
                    if v <= Decimal::ZERO {
                        c.err(at("exchange_rate"), format!("must be positive, not {v}"));
                        return None;
                    }
                    Some(v)
                });
                let lines = o
                    .lines
                    .into_iter()
                    .enumerate()
                    .map(|(j, l)| OrderLine {
                        quantity: quantity(&mut c, &l.quantity, || format!("orders[{i}].lines[{j}].quantity")),
                        unit_price: c
                            .bounded(&l.unit_price, ZERO, None, || format!("orders[{i}].lines[{j}].unit_price"))
                            .unwrap_or_default(),
                        sku: l.sku.0,
                    })
                    .collect();
                Order {
                    id,
                    placed_at: timestamp(&mut c, &o.placed_at, || at("placed_at")),
                    buyer: o.buyer.map(|b| b.0),
                    referrer: o.referrer.map(|r| r.0),
                    currency: o.currency,
                    exchange_rate,
                    lines,
                }
            })
            .collect();
        let refunds = raw
            .refunds
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let at = |k: &str| format!("refunds[{i}].{k}");
                let order = r.order.json_integer().map_err(|m| c.err(at("order"), m)).unwrap_or_default();
                if let Some(full) = &r.full {
                    if full.get() != "true" {
                        c.err(at("full"), format!("must be true when present, not {}", full.get()));
                    }
                }
                let what = match (r.full.is_some(), r.lines) {
                    (true, None) => RefundWhat::Full,
                    (false, Some(lines)) => {
                        if lines.is_empty() {
                            c.err(at("lines"), "must not be empty");
                        }
                        RefundWhat::Lines(
                            lines
                                .into_iter()
                                .enumerate()
                                .map(|(j, l)| RefundLine {
                                    quantity: quantity(&mut c, &l.quantity, || {
                                        format!("refunds[{i}].lines[{j}].quantity")
                                    }),
                                    sku: l.sku.0,
                                })
                                .collect(),
                        )
                    }
                    (true, Some(_)) => {
                        c.err(at("full"), "give full or lines, not both");
                        RefundWhat::Full
                    }
                    (false, None) => {
                        c.err(at("lines"), "give full: true or lines");
                        RefundWhat::Full
                    }
                };
                Refund { order, at: timestamp(&mut c, &r.at, || at("at")), what }
            })
            .collect();
        let adjustments = check_adjustments(&mut c, raw.adjustments);
        c.finish(Scenario { plan, distributors, customers, catalog, orders, refunds, adjustments })
    }
}

// Writing scenarios back (for `mlm gen`): decimals as strings, so they read back exactly.

struct Dec(Decimal);

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fmt_volume(self.0))
    }
}

impl Serialize for Distributor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("sponsor", &self.sponsor)?;
        m.serialize_entry("joined_at", &self.joined_at.to_rfc3339())?;
        if let Some(p) = &self.placement {
            m.serialize_entry("placement", p)?;
        }
        m.end()
    }
}

impl Serialize for Customer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("referrer", &self.referrer)?;
        m.end()
    }
}

impl Serialize for CatalogItem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("sku", &self.sku)?;
        for (k, v) in [("bv", self.bv), ("bv_rate", self.bv_rate), ("pv", self.pv)] {
            if let Some(v) = v {
                m.serialize_entry(k, &Dec(v))?;
            }
        }
        m.end()
    }
}

impl Serialize for Order {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Line<'a>(&'a OrderLine);
        impl Serialize for Line<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("sku", &self.0.sku)?;
                m.serialize_entry("quantity", &self.0.quantity)?;
                m.serialize_entry("unit_price", &Dec(self.0.unit_price))?;
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("buyer", &self.buyer)?;
        if self.referrer.is_some() {
            m.serialize_entry("referrer", &self.referrer)?;
        }
        m.serialize_entry("placed_at", &self.placed_at.to_rfc3339())?;
        if let Some(c) = &self.currency {
            m.serialize_entry("currency", c)?;
        }
        if let Some(x) = self.exchange_rate {
            m.serialize_entry("exchange_rate", &Dec(x))?;
        }
        m.serialize_entry("lines", &self.lines.iter().map(Line).collect::<Vec<_>>())?;
        m.end()
    }
}

impl Serialize for Adjustment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("distributor", &self.distributor)?;
        m.serialize_entry("at", &self.at.to_rfc3339())?;
        m.serialize_entry("amount", &Dec(self.amount))?;
        m.serialize_entry("reason", &self.reason)?;
        m.end()
    }
}

impl Serialize for Refund {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Line<'a> {
            sku: &'a str,
            quantity: u32,
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("order", &self.order)?;
        m.serialize_entry("at", &self.at.to_rfc3339())?;
        match &self.what {
            RefundWhat::Full => m.serialize_entry("full", &true)?,
            RefundWhat::Lines(lines) => m.serialize_entry(
                "lines",
                &lines.iter().map(|l| Line { sku: &l.sku, quantity: l.quantity }).collect::<Vec<_>>(),
            )?,
        }
        m.end()
    }
}

impl Plan {
    /// The plan as a JSON value in the file format of spec §15 (decimals as strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let d = |x: Decimal| Value::String(fmt_volume(x));
        let rates = |v: &[Decimal]| Value::Array(v.iter().map(|x| d(*x)).collect());
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("version".into(), json!(self.version));
        m.insert("currency".into(), json!(self.currency));
        m.insert("period".into(), json!(self.period.as_str()));
        if let Some(a) = &self.activity {
            m.insert("activity".into(), json!({ "min_pv": d(a.min_pv) }));
        }
        if let Some(r) = &self.retail {
            m.insert("retail".into(), json!({ "rate": d(r.rate) }));
        }
        if let Some(u) = &self.unilevel {
            m.insert(
                "unilevel".into(),
                json!({ "rates": rates(&u.rates), "compression": u.compression, "unranked_depth": u.unranked_depth }),
            );
        }
        if let Some(b) = &self.binary {
            let mut o = json!({ "rate": d(b.rate), "carry_forward": b.carry_forward,
                "placement": b.placement.as_str(),
                "qualification": { "left": b.qualify_left, "right": b.qualify_right } });
            if let Some(cap) = b.cap {
                o["cap"] = d(cap);
            }
            m.insert("binary".into(), o);
        }
        if let Some(x) = &self.matrix {
            m.insert("matrix".into(), json!({ "width": x.width, "rates": rates(&x.rates) }));
        }
        if !self.ranks.is_empty() {
            let ranks = self
                .ranks
                .iter()
                .map(|r| {
                    let mut o = Map::new();
                    o.insert("name".into(), json!(r.name));
                    if let Some(v) = r.min_pv {
                        o.insert("min_pv".into(), d(v));
                    }
                    if let Some(v) = r.min_gv {
                        o.insert("min_gv".into(), d(v));
                    }
                    if let Some(l) = &r.min_legs {
                        o.insert("min_legs".into(), json!({ "count": l.count, "rank": self.ranks[l.rank].name }));
                    }
                    if let Some(v) = r.unilevel_depth {
                        o.insert("unilevel_depth".into(), json!(v));
                    }
                    if let Some(v) = r.matching_depth {
                        o.insert("matching_depth".into(), json!(v));
                    }
                    if let Some(v) = r.advancement_bonus {
                        o.insert("advancement_bonus".into(), d(v));
                    }
                    Value::Object(o)
                })
                .collect();
            m.insert("ranks".into(), Value::Array(ranks));
        }
        if let Some(c) = &self.compliance {
            m.insert("compliance".into(), json!({ "min_retail_ratio": d(c.min_retail_ratio) }));
        }
        m.insert("payout".into(), json!({ "min_amount": d(self.payout.min_amount) }));
        if let Some(f) = &self.fast_start {
            m.insert("fast_start".into(), json!({ "rates": rates(&f.rates), "days": f.days }));
        }
        if let Some(x) = &self.matching {
            let of: Vec<&str> = x.of.iter().map(|k| k.as_str()).collect();
            m.insert(
                "matching".into(),
                json!({ "rates": rates(&x.rates), "of": of, "unranked_depth": x.unranked_depth }),
            );
        }
        if !self.pools.is_empty() {
            let pools: Vec<Value> = self
                .pools
                .iter()
                .map(|p| {
                    let split = match p.split {
                        crate::plan::Split::Equal => "equal",
                        crate::plan::Split::Gv => "gv",
                    };
                    json!({ "name": p.name, "share": d(p.share), "rank": self.ranks[p.rank].name, "split": split })
                })
                .collect();
            m.insert("pools".into(), Value::Array(pools));
        }
        Value::Object(m)
    }
}

impl Scenario {
    /// Writes the scenario as JSON (spec §16), streaming: large generated scenarios never exist
    /// as one JSON tree in memory.
    pub fn write_json<W: std::io::Write>(&self, mut w: W) -> std::io::Result<()> {
        fn list<W: std::io::Write, T: Serialize>(w: &mut W, key: &str, items: &[T], last: bool) -> std::io::Result<()> {
            write!(w, "\"{key}\":[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(b"\n  ")?;
                serde_json::to_writer(&mut *w, item)?;
            }
            w.write_all(if last { b"\n]\n" } else { b"\n],\n" })
        }
        w.write_all(b"{\"plan\":")?;
        serde_json::to_writer(&mut w, &self.plan.to_json())?;
        w.write_all(b",\n")?;
        list(&mut w, "distributors", &self.distributors, false)?;
        list(&mut w, "customers", &self.customers, false)?;
        list(&mut w, "catalog", &self.catalog, false)?;
        list(&mut w, "orders", &self.orders, false)?;
        list(&mut w, "refunds", &self.refunds, self.adjustments.is_empty())?;
        if !self.adjustments.is_empty() {
            list(&mut w, "adjustments", &self.adjustments, true)?;
        }
        w.write_all(b"}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_files(_: &str) -> Result<(String, Format), String> {
        Err("no files here".into())
    }

    fn parse(text: &str) -> Result<Scenario, InputErrors> {
        Scenario::from_text(text, Format::Yaml, &mut no_files)
    }

    const PLAN: &str = "plan: { id: p, version: 1, currency: USD, period: month }\n";

    #[test]
    fn field_errors_name_record_and_field() {
        let e = parse(&format!(
            "{PLAN}orders:\n  - {{ id: 1, buyer: null, placed_at: '2026-11-03T10:00:00Z', lines: [ {{ sku: A, quantity: 0, unit_price: 1 }} ] }}\n"
        ))
        .unwrap_err();
        assert_eq!(e.to_string(), "orders[0].lines[0].quantity: must be an integer ≥ 1");
        let e = parse(&format!("{PLAN}orders:\n  - {{ id: '1', placed_at: '2026-11-03T10:00:00', lines: [] }}\n"))
            .unwrap_err();
        let s = e.to_string();
        assert!(s.contains("orders[0].id: must be a JSON integer"), "{s}");
        assert!(s.contains("orders[0].lines: must not be empty"), "{s}");
        assert!(s.contains("orders[0].placed_at: timestamp \"2026-11-03T10:00:00\" must carry Z or an offset"), "{s}");
        let e = parse(&format!("{PLAN}refunds:\n  - {{ order: 1, at: '2026-11-03T10:00:00Z', full: false }}\n"))
            .unwrap_err();
        assert_eq!(e.to_string(), "refunds[0].full: must be true when present, not false");
        let e =
            parse(&format!("{PLAN}catalog:\n  - {{ sku: A, bv: 1, bv_rate: 0.5 }}\n  - {{ sku: B, bv_rate: 2 }}\n"))
                .unwrap_err();
        assert_eq!(
            e.to_string(),
            "catalog[0].bv_rate: give bv or bv_rate, not both\ncatalog[1].bv_rate: must be between 0 and 1, not 2"
        );
        let e = parse(&format!("{PLAN}customers:\n  - {{ id: C1, colour: red }}\n")).unwrap_err();
        assert!(e.to_string().starts_with("customers[0].colour: unknown key"), "{e}");
        let e = parse("plan_file: p.yaml\n").unwrap_err();
        assert_eq!(e.to_string(), "plan_file: no files here");
    }

    #[test]
    fn round_trips_through_json() {
        let text = format!(
            "{PLAN}distributors:\n  - {{ id: D1, sponsor: null, joined_at: '2026-10-01T00:00:00Z' }}\n\
             catalog:\n  - {{ sku: A, bv: '40', pv: 40 }}\n\
             orders:\n  - {{ id: 7, buyer: D1, placed_at: '2026-11-03T10:00:00Z', currency: EUR, exchange_rate: 0.92, lines: [ {{ sku: A, quantity: 2, unit_price: 46.00 }} ] }}\n\
             refunds:\n  - {{ order: 7, at: '2026-11-04T00:00:00Z', lines: [ {{ sku: A, quantity: 1 }} ] }}\n"
        );
        let s = parse(&text).unwrap();
        let mut out = Vec::new();
        s.write_json(&mut out).unwrap();
        let back = Scenario::from_text(std::str::from_utf8(&out).unwrap(), Format::Json, &mut no_files).unwrap();
        assert_eq!(back, s);
    }
}
