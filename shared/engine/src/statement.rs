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
    /// Null on rank_bonus and adjustment lines.
    pub base: Option<Decimal>,
    /// Null on rank_bonus, pool and adjustment lines.
    pub rate: Option<Decimal>,
    pub amount: Decimal,
    /// What the line comes from beyond its order and level: the matched distributor's id
    /// (matching), the rank's name (rank_bonus), the pool's name (pool), the adjustment's id.
    pub r#ref: Option<String>,
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
        let order_of = |o: u32| Some(self.book.orders[o as usize].id);
        let (order, base, r#ref) = match l.kind {
            Kind::Retail => (order_of(l.source), Some(self.book.orders[l.source as usize].value.net), None),
            Kind::Unilevel | Kind::Matrix | Kind::FastStart => {
                (order_of(l.source), Some(self.book.orders[l.source as usize].value.bv), None)
            }
            Kind::Binary => {
                (None, Some(st.binary.as_ref().map_or(Decimal::ZERO, |b| b.paired[l.earner as usize])), None)
            }
            Kind::Clawback => {
                let r = &self.book.refunds[l.source as usize];
                let removed = if l.of == Some(Kind::Retail) { r.removed.net } else { r.removed.bv };
                (order_of(r.order), Some(-removed), None)
            }
            Kind::Matching => {
                (None, st.matching_base.get(l.source as usize).copied(), Some(self.net.ids[l.source as usize].clone()))
            }
            Kind::RankBonus => (None, None, Some(self.plan.ranks[l.source as usize].name.clone())),
            Kind::Pool => (
                None,
                st.company.pools.get(l.source as usize).map(|p| p.amount),
                Some(self.plan.pools[l.source as usize].name.clone()),
            ),
            Kind::Adjustment => (None, None, Some(self.book.adjustments[l.source as usize].id.clone())),
        };
        let origin = match (l.kind, l.of) {
            (Kind::Clawback, Some(of)) => st.clawback_origin.get(&(l.source, l.earner, of, l.level)),
            _ => None,
        };
        let rate = match l.kind {
            Kind::RankBonus | Kind::Pool | Kind::Adjustment => None,
            _ => Some(origin.map_or_else(|| rate_of(self.plan, l.of.unwrap_or(l.kind), l.level), |o| o.0)),
        };
        LineView {
            earner: self.net.ids[l.earner as usize].clone(),
            kind: l.kind,
            of: l.of,
            order,
            level: (l.level > 0).then_some(l.level),
            base,
            rate,
            amount: l.amount,
            r#ref,
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
            "{{\"period\":\"{}\",\"company\":{{\"sales\":\"{}\",\"retail_sales\":\"{}\",\"distributor_sales\":\"{}\",\"house_sales\":\"{}\",\"retail_ratio\":{},\"bv\":\"{}\",\"commissions\":\"{}\",\"held\":\"{}\",\"payouts\":\"{}\",\"pools\":[{}]}},\"distributors\":[",
            st.period,
            fmt_money(c.sales),
            fmt_money(c.retail_sales),
            fmt_money(c.distributor_sales),
            fmt_money(c.house_sales),
            opt_ratio(company_ratio),
            fmt_volume(c.bv),
            fmt_money(c.commissions),
            fmt_money(c.held),
            fmt_money(c.payouts),
            self.pools_json(c),
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

    fn pools_json(&self, c: &crate::close::Company) -> String {
        let mut out = String::new();
        for (i, (p, stat)) in self.plan.pools.iter().zip(&c.pools).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                "{{\"name\":{},\"amount\":\"{}\",\"qualifiers\":{},\"distributed\":\"{}\"}}",
                js(&p.name),
                fmt_money(stat.amount),
                stat.qualifiers,
                fmt_money(stat.distributed)
            ));
        }
        out
    }

    /// A rank code (0 = none) as JSON.
    fn rank_json(&self, k: u8) -> String {
        match k {
            0 => "null".to_string(),
            k => js(&self.plan.ranks[k as usize - 1].name),
        }
    }

    fn write_distributor<W: Write>(&self, w: &mut W, st: &PeriodStatement, d: usize) -> io::Result<()> {
        let rank = self.rank_json(st.rank[d]);
        let title = self.rank_json(st.title(d));
        write!(
            w,
            "{{\"id\":{},\"pv\":\"{}\",\"bv\":\"{}\",\"gv\":\"{}\",\"active\":{},\"rank\":{},\"title\":{},\"retail_ratio\":{},\"compliant\":{},\"binary\":",
            js(&self.net.ids[d]),
            fmt_volume(st.pv[d]),
            fmt_volume(st.bv[d]),
            fmt_volume(st.gv[d]),
            st.active[d],
            rank,
            title,
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
            ",\"earnings\":{{\"retail\":\"{}\",\"unilevel\":\"{}\",\"binary\":\"{}\",\"matrix\":\"{}\",\"fast_start\":\"{}\",\"matching\":\"{}\",\"rank_bonus\":\"{}\",\"pool\":\"{}\",\"adjustment\":\"{}\",\"clawback\":\"{}\",\"held\":\"{}\",\"payable\":\"{}\"}},\"balance_in\":\"{}\",\"payout\":\"{}\",\"balance_out\":\"{}\",\"lines\":[",
            fmt_money(e.retail),
            fmt_money(e.unilevel),
            fmt_money(e.binary),
            fmt_money(e.matrix),
            fmt_money(e.fast_start),
            fmt_money(e.matching),
            fmt_money(e.rank_bonus),
            fmt_money(e.pool),
            fmt_money(e.adjustment),
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
                "{{\"kind\":\"{}\",\"of\":{},\"order\":{},\"level\":{},\"base\":{},\"rate\":{},\"amount\":\"{}\",\"status\":\"{}\",\"ref\":{}}}",
                v.kind.as_str(),
                v.of.map_or("null".to_string(), |k| format!("\"{}\"", k.as_str())),
                v.order.map_or("null".to_string(), |o| o.to_string()),
                v.level.map_or("null".to_string(), |l| l.to_string()),
                opt_volume(v.base),
                opt_volume(v.rate),
                fmt_money(v.amount),
                v.status(),
                v.r#ref.as_deref().map_or("null".to_string(), js),
            )?;
        }
        w.write_all(b"]}")
    }
}

fn js(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

fn opt_volume(v: Option<Decimal>) -> String {
    v.map_or("null".to_string(), |v| format!("\"{}\"", fmt_volume(v)))
}

fn opt_ratio(r: Option<Decimal>) -> String {
    r.map_or("null".to_string(), |r| format!("\"{}\"", fmt_ratio(r)))
}
