//! The statement of spec §16: every line spelled out, and the JSON output, written as a stream
//! so that a period over a million distributors never exists as one JSON tree.

use crate::book::Book;
use crate::close::{rate_of, Kind, Line, PeriodStatement};
use crate::genealogy::Network;
use crate::num::{fmt_money, fmt_ratio, fmt_volume, ratio};
use crate::plan::Plan;
use rust_decimal::Decimal;
use std::io::{self, Write};

/// A line with everything that explains it: who earns, on what, at which level, base × rate,
/// under which plan.
#[derive(Debug, Clone, PartialEq)]
pub struct LineView {
    pub earner: String,
    pub kind: Kind,
    pub of: Option<Kind>,
    pub order: Option<i64>,
    pub level: Option<u16>,
    pub base: Decimal,
    pub rate: Decimal,
    pub amount: Decimal,
    pub held: bool,
    pub plan: String,
}

impl LineView {
    pub fn status(&self) -> &'static str {
        if self.held {
            "held"
        } else {
            "payable"
        }
    }
}

/// What a statement needs to spell out its lines.
pub struct Explain<'a> {
    pub plan: &'a Plan,
    pub net: &'a Network,
    pub book: &'a Book,
}

impl Explain<'_> {
    pub fn line(&self, st: &PeriodStatement, l: &Line) -> LineView {
        let (order, base) = match l.kind {
            Kind::Retail => {
                let o = &self.book.orders[l.source as usize];
                (Some(o.id), o.value.net)
            }
            Kind::Unilevel | Kind::Matrix => {
                let o = &self.book.orders[l.source as usize];
                (Some(o.id), o.value.bv)
            }
            Kind::Binary => (None, st.binary.as_ref().map_or(Decimal::ZERO, |b| b.paired[l.earner as usize])),
            Kind::Clawback => {
                let r = &self.book.refunds[l.source as usize];
                let removed = if l.of == Some(Kind::Retail) { r.removed.net } else { r.removed.bv };
                (Some(self.book.orders[r.order as usize].id), -removed)
            }
        };
        let origin = match (l.kind, l.of) {
            (Kind::Clawback, Some(of)) => st.clawback_origin.get(&(l.source, l.earner, of, l.level)),
            _ => None,
        };
        LineView {
            earner: self.net.ids[l.earner as usize].clone(),
            kind: l.kind,
            of: l.of,
            order,
            level: (l.level > 0).then_some(l.level),
            base,
            rate: origin.map_or_else(|| rate_of(self.plan, l.of.unwrap_or(l.kind), l.level), |o| o.0),
            amount: l.amount,
            held: l.held,
            plan: origin.map_or_else(|| self.plan.label(), |o| o.1.to_string()),
        }
    }

    /// The header of the simulate output; periods follow through [`Explain::write_period`].
    pub fn write_header<W: Write>(&self, w: &mut W, warnings: &[String]) -> io::Result<()> {
        write!(w, "{{\"plan\":{},\"currency\":{},\"warnings\":[", js(&self.plan.label()), js(&self.plan.currency))?;
        for (i, warning) in warnings.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(js(warning).as_bytes())?;
        }
        w.write_all(b"],\"periods\":[")
    }

    pub fn write_footer<W: Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"]}\n")
    }

    /// One period entry of §16.
    pub fn write_period<W: Write>(&self, w: &mut W, st: &PeriodStatement) -> io::Result<()> {
        let c = &st.company;
        let company_ratio = ratio(c.retail_sales + c.house_sales, c.sales);
        write!(
            w,
            "{{\"period\":\"{}\",\"company\":{{\"sales\":\"{}\",\"retail_sales\":\"{}\",\"distributor_sales\":\"{}\",\"house_sales\":\"{}\",\"retail_ratio\":{},\"commissions\":\"{}\",\"held\":\"{}\",\"payouts\":\"{}\"}},\"distributors\":[",
            st.period,
            fmt_money(c.sales),
            fmt_money(c.retail_sales),
            fmt_money(c.distributor_sales),
            fmt_money(c.house_sales),
            opt_ratio(company_ratio),
            fmt_money(c.commissions),
            fmt_money(c.held),
            fmt_money(c.payouts),
        )?;
        for d in 0..self.net.len() {
            if d > 0 {
                w.write_all(b",")?;
            }
            w.write_all(b"\n")?;
            self.write_distributor(w, st, d)?;
        }
        w.write_all(b"]}")
    }

    fn write_distributor<W: Write>(&self, w: &mut W, st: &PeriodStatement, d: usize) -> io::Result<()> {
        let rank = match st.rank[d] {
            0 => "null".to_string(),
            k => js(&self.plan.ranks[k as usize - 1].name),
        };
        write!(
            w,
            "{{\"id\":{},\"pv\":\"{}\",\"bv\":\"{}\",\"gv\":\"{}\",\"active\":{},\"rank\":{},\"retail_ratio\":{},\"compliant\":{},\"binary\":",
            js(&self.net.ids[d]),
            fmt_volume(st.pv[d]),
            fmt_volume(st.bv[d]),
            fmt_volume(st.gv[d]),
            st.active[d],
            rank,
            opt_ratio(ratio(st.retail_sales[d], st.retail_sales[d] + st.personal_sales[d])),
            st.compliant[d],
        )?;
        match &st.binary {
            None => w.write_all(b"null")?,
            Some(b) => write!(
                w,
                "{{\"left\":\"{}\",\"right\":\"{}\",\"carry_left\":\"{}\",\"carry_right\":\"{}\",\"paired\":\"{}\",\"qualified\":{}}}",
                fmt_volume(b.left[d]),
                fmt_volume(b.right[d]),
                fmt_volume(st.carry_out.left[d]),
                fmt_volume(st.carry_out.right[d]),
                fmt_volume(b.paired[d]),
                b.qualified[d],
            )?,
        }
        let e = &st.earnings[d];
        write!(
            w,
            ",\"earnings\":{{\"retail\":\"{}\",\"unilevel\":\"{}\",\"binary\":\"{}\",\"matrix\":\"{}\",\"clawback\":\"{}\",\"held\":\"{}\",\"payable\":\"{}\"}},\"balance_in\":\"{}\",\"payout\":\"{}\",\"balance_out\":\"{}\",\"lines\":[",
            fmt_money(e.retail),
            fmt_money(e.unilevel),
            fmt_money(e.binary),
            fmt_money(e.matrix),
            fmt_money(e.clawback),
            fmt_money(e.held),
            fmt_money(e.payable),
            fmt_money(st.balance_in[d]),
            fmt_money(st.payout[d]),
            fmt_money(st.carry_out.balance[d]),
        )?;
        for (i, l) in st.lines_of(d as u32).enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            let v = self.line(st, l);
            write!(
                w,
                "{{\"kind\":\"{}\",\"of\":{},\"order\":{},\"level\":{},\"base\":\"{}\",\"rate\":\"{}\",\"amount\":\"{}\",\"status\":\"{}\"}}",
                v.kind.as_str(),
                v.of.map_or("null".to_string(), |k| format!("\"{}\"", k.as_str())),
                v.order.map_or("null".to_string(), |o| o.to_string()),
                v.level.map_or("null".to_string(), |l| l.to_string()),
                fmt_volume(v.base),
                fmt_volume(v.rate),
                fmt_money(v.amount),
                v.status(),
            )?;
        }
        w.write_all(b"]}")
    }
}

fn js(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

fn opt_ratio(r: Option<Decimal>) -> String {
    r.map_or("null".to_string(), |r| format!("\"{}\"", fmt_ratio(r)))
}
