//! Period close (spec §5–§14): volumes, activity, ranks, compliance, the lines of every order,
//! binary pairing, clawbacks of late refunds, earnings and payouts of one period.
//!
//! Each step is a linear pass over dense arrays (or over the period's orders), so closing a
//! period costs O(distributors + orders × levels) whatever the shape of the genealogy.
//! The per-order rules ([`unilevel_lines`], [`matrix_lines`], [`clawback_lines`]) take the upline
//! as an iterator, so the online path evaluates one order with exactly the same code.

use crate::book::{Book, Category, Value};
use crate::genealogy::{chain, Network, NONE};
use crate::num::mul_round;
use crate::period::Period;
use crate::plan::{Matrix, Plan, Unilevel};
use crate::scenario::Leg;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// What a line pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Retail,
    Unilevel,
    Binary,
    Matrix,
    Clawback,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Retail => "retail",
            Kind::Unilevel => "unilevel",
            Kind::Binary => "binary",
            Kind::Matrix => "matrix",
            Kind::Clawback => "clawback",
        }
    }
}

/// A ledger line of a period, compact: its base and rate follow from what it points at
/// ([`crate::statement::LineView`] spells everything out).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub amount: Decimal,
    pub earner: u32,
    /// The order (retail, unilevel, matrix) or the refund record (clawback); [`NONE`] for binary.
    pub source: u32,
    pub kind: Kind,
    /// The reversed kind, on a clawback.
    pub of: Option<Kind>,
    /// 1-based level, 0 where none applies.
    pub level: u16,
    pub held: bool,
}

/// A line an order earned in its own period, kept so a late refund can claw it back (§12).
#[derive(Debug, Clone, PartialEq)]
pub struct PaidLine {
    pub earner: u32,
    pub kind: Kind,
    pub level: u16,
    pub rate: Decimal,
    pub amount: Decimal,
    pub held: bool,
    /// Σ of clawbacks already booked against this line.
    pub clawed: Decimal,
    /// The plan (`id@version`) it was paid under: its clawbacks say so too.
    pub plan: Arc<str>,
}

/// An upline member as the per-order rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Upline {
    pub who: u32,
    pub active: bool,
    /// Unilevel depth its rank allows (§7).
    pub depth: u32,
    /// Non-compliant: its lines are held (§13).
    pub held: bool,
}

/// Unilevel (§7) for one order of volume `bv`, walking `upline` from the sponsor up.
pub fn unilevel_lines(
    u: &Unilevel,
    bv: Decimal,
    upline: impl Iterator<Item = Upline>,
    mut emit: impl FnMut(Upline, u16, Decimal, Decimal),
) {
    let mut level = 1usize;
    for a in upline {
        if level > u.rates.len() {
            break;
        }
        if a.active {
            if level as u32 <= a.depth {
                let rate = u.rates[level - 1];
                emit(a, level as u16, rate, mul_round(rate, bv, 2));
            }
            level += 1;
        } else if !u.compression {
            level += 1; // breakage: the level is consumed and nobody earns it
        }
    }
}

/// Matrix (§11) for one order: `upline` is the matrix parent chain; inactive members consume
/// their level.
pub fn matrix_lines(
    m: &Matrix,
    bv: Decimal,
    upline: impl Iterator<Item = Upline>,
    mut emit: impl FnMut(Upline, u16, Decimal, Decimal),
) {
    for (i, a) in upline.take(m.rates.len()).enumerate() {
        if a.active {
            let rate = m.rates[i];
            emit(a, i as u16 + 1, rate, mul_round(rate, bv, 2));
        }
    }
}

/// Clawbacks (§12) of one late refund record against the lines its order earned. `emit` gets
/// each clawback's base and amount; `paid` keeps the running total clawed per line.
pub fn clawback_lines(
    paid: &mut [PaidLine],
    removed: Value,
    leaves_none: bool,
    mut emit: impl FnMut(&PaidLine, Decimal, Decimal),
) {
    for l in paid.iter_mut() {
        let dv = if l.kind == Kind::Retail { removed.net } else { removed.bv };
        let base = -dv;
        let (amount, emitted) = if leaves_none {
            let rest = -(l.amount + l.clawed);
            (rest, base < Decimal::ZERO || !rest.is_zero())
        } else {
            (-mul_round(l.rate, dv, 2), base < Decimal::ZERO)
        };
        if emitted {
            l.clawed += amount;
            emit(l, base, amount);
        }
    }
}

/// Everything about a run that does not change from period to period.
pub struct Context<'a> {
    pub plan: &'a Plan,
    pub net: &'a Network,
    /// The leg of its sponsor's binary subtree each distributor sits in.
    pub sides: Vec<Option<Leg>>,
    /// Unilevel depth by rank code (0 = no rank, k = `plan.ranks[k − 1]`).
    depth_by_rank: Vec<u32>,
    /// Orders that have a late refund: their lines are kept for clawbacks.
    pub late_orders: FxHashSet<u32>,
    label: Arc<str>,
}

impl<'a> Context<'a> {
    pub fn new(plan: &'a Plan, net: &'a Network, book: &Book) -> Context<'a> {
        let depths = plan.unilevel_depths();
        let mut depth_by_rank = vec![*depths.last().expect("unranked depth")];
        depth_by_rank.extend_from_slice(&depths[..plan.ranks.len()]);
        Context {
            plan,
            net,
            sides: net.side_under_sponsor(),
            depth_by_rank,
            late_orders: book.refunds.iter().filter(|r| r.late).map(|r| r.order).collect(),
            label: plan.label().into(),
        }
    }

    pub fn depth(&self, rank: u8) -> u32 {
        self.depth_by_rank[rank as usize]
    }
}

/// What flows from one period into the next (§10, §14).
#[derive(Debug, Clone, PartialEq)]
pub struct Carry {
    pub left: Vec<Decimal>,
    pub right: Vec<Decimal>,
    pub balance: Vec<Decimal>,
}

impl Carry {
    pub fn new(n: usize) -> Carry {
        Carry { left: vec![Decimal::ZERO; n], right: vec![Decimal::ZERO; n], balance: vec![Decimal::ZERO; n] }
    }
}

/// Lines earned by orders with late refunds, by order.
pub type Paid = FxHashMap<u32, Vec<PaidLine>>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Company {
    pub sales: Decimal,
    pub retail_sales: Decimal,
    pub distributor_sales: Decimal,
    pub house_sales: Decimal,
    pub commissions: Decimal,
    pub held: Decimal,
    pub payouts: Decimal,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Earnings {
    pub retail: Decimal,
    pub unilevel: Decimal,
    pub binary: Decimal,
    pub matrix: Decimal,
    pub clawback: Decimal,
    pub held: Decimal,
    pub payable: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BinaryStats {
    pub left: Vec<Decimal>,
    pub right: Vec<Decimal>,
    pub paired: Vec<Decimal>,
    pub qualified: Vec<bool>,
}

/// A clawback line: (refund, earner, reversed kind, level).
pub type ClawbackKey = (u32, u32, Kind, u16);

/// A closed period, as arrays over distributors (index = enrollment order).
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodStatement {
    pub period: Period,
    pub company: Company,
    pub pv: Vec<Decimal>,
    pub bv: Vec<Decimal>,
    pub gv: Vec<Decimal>,
    pub active: Vec<bool>,
    /// 0 = no rank, k = `plan.ranks[k − 1]`.
    pub rank: Vec<u8>,
    pub retail_sales: Vec<Decimal>,
    pub personal_sales: Vec<Decimal>,
    pub compliant: Vec<bool>,
    pub binary: Option<BinaryStats>,
    pub carry_out: Carry,
    pub earnings: Vec<Earnings>,
    pub balance_in: Vec<Decimal>,
    pub payout: Vec<Decimal>,
    /// Every line of the period in statement order (orders, binary, clawbacks).
    pub lines: Vec<Line>,
    /// Lines grouped by earner: `by_earner[line_start[d]..line_start[d + 1]]` index `lines`.
    pub line_start: Vec<u32>,
    pub by_earner: Vec<u32>,
    /// Rate and plan of each clawback's original line, by (refund, earner, reversed kind,
    /// level): the plan may have changed since the order was paid.
    pub clawback_origin: FxHashMap<ClawbackKey, (Decimal, Arc<str>)>,
}

impl PeriodStatement {
    /// The lines of distributor `d`, in statement order.
    pub fn lines_of(&self, d: u32) -> impl Iterator<Item = &Line> + '_ {
        let r = self.line_start[d as usize] as usize..self.line_start[d as usize + 1] as usize;
        self.by_earner[r].iter().map(move |&i| &self.lines[i as usize])
    }
}

/// Closes `period`: `orders` are the period's orders sorted by (`placed_at`, tie), `late` the
/// late refunds booked in it sorted by (`at`, tie).
pub fn close_period(
    cx: &Context,
    book: &Book,
    period: Period,
    orders: &[u32],
    late: &[u32],
    carry: &Carry,
    paid: &mut Paid,
) -> PeriodStatement {
    let plan = cx.plan;
    let net = cx.net;
    let n = net.len();
    let zero = || vec![Decimal::ZERO; n];

    // §5 volumes and §13 sales, net of in-period refunds (already in the order's value) and of
    // late refunds booked now.
    let (mut pv, mut bv, mut retail_sales, mut personal_sales) = (zero(), zero(), zero(), zero());
    let mut company = Company::default();
    let mut book_sales = |c: Category, credited: u32, v: Value, sign: Decimal, company: &mut Company| {
        let net_base = v.net * sign;
        company.sales += net_base;
        match c {
            Category::Distributor => company.distributor_sales += net_base,
            Category::Retail => company.retail_sales += net_base,
            Category::House => company.house_sales += net_base,
        }
        if credited != NONE {
            let d = credited as usize;
            pv[d] += v.pv * sign;
            bv[d] += v.bv * sign;
            match c {
                Category::Retail => retail_sales[d] += net_base,
                Category::Distributor => personal_sales[d] += net_base,
                Category::House => {}
            }
        }
    };
    for &o in orders {
        let o = &book.orders[o as usize];
        book_sales(o.category, o.credited, o.value, Decimal::ONE, &mut company);
    }
    for &r in late {
        let r = &book.refunds[r as usize];
        let o = &book.orders[r.order as usize];
        book_sales(o.category, o.credited, r.removed, Decimal::NEGATIVE_ONE, &mut company);
    }

    let active: Vec<bool> = pv.iter().map(|&v| plan.is_active(v)).collect();

    // GV and ranks, bottom-up: every sponsor has a smaller index than its recruits.
    let mut gv = pv.clone();
    let mut rank = vec![0u8; n];
    let ranks = &plan.ranks;
    let needs_legs = ranks.iter().any(|r| r.min_legs.is_some());
    // legs[d × R + k]: personally sponsored lines of d holding a rank ≥ ranks[k].
    let mut legs = if needs_legs { vec![0u32; n * ranks.len()] } else { Vec::new() };
    let mut best = vec![0u8; n];
    for d in (0..n).rev() {
        if !ranks.is_empty() {
            let meets = |k: usize| {
                let r = &ranks[k];
                r.min_pv.is_none_or(|m| pv[d] >= m)
                    && r.min_gv.is_none_or(|m| gv[d] >= m)
                    && r.min_legs.as_ref().is_none_or(|l| legs[d * ranks.len() + l.rank] >= l.count)
            };
            rank[d] = (0..ranks.len()).rev().find(|&k| meets(k)).map_or(0, |k| k as u8 + 1);
            best[d] = best[d].max(rank[d]);
        }
        let s = net.sponsor[d];
        if s != NONE {
            let s = s as usize;
            let g = gv[d];
            gv[s] += g;
            if !ranks.is_empty() {
                best[s] = best[s].max(best[d]);
                if needs_legs {
                    for k in 0..best[d] as usize {
                        legs[s * ranks.len() + k] += 1;
                    }
                }
            }
        }
    }
    drop(legs);

    // §13 compliance: retail < min × (retail + personal), compared exactly; null is compliant.
    let compliant: Vec<bool> = (0..n).map(|d| plan.is_compliant(retail_sales[d], personal_sales[d])).collect();

    let upline = |d: u32| Upline {
        who: d,
        active: active[d as usize],
        depth: cx.depth(rank[d as usize]),
        held: !compliant[d as usize],
    };
    // Reserve the most lines the period can have: untouched capacity costs address space, not
    // memory, and the vector never reallocates (copying a billion bytes) on a large close.
    let per_order =
        1 + plan.unilevel.as_ref().map_or(0, |u| u.rates.len()) + plan.matrix.as_ref().map_or(0, |m| m.rates.len());
    let clawbacks: usize = late.iter().map(|r| paid.get(&book.refunds[*r as usize].order).map_or(0, Vec::len)).sum();
    let mut lines: Vec<Line> = Vec::with_capacity(orders.len() * per_order + n + clawbacks);

    // §6, §7, §11: the lines of each order, in order.
    // With compression only active members matter, so the walk follows "next active
    // ancestor" links and costs O(levels) per order whatever the depth of inactive runs.
    let compressing = plan.unilevel.as_ref().is_some_and(|u| u.compression);
    let next_active: Vec<u32> = if compressing {
        let mut na = vec![NONE; n];
        for d in 0..n {
            na[d] = if active[d] {
                d as u32
            } else {
                let s = net.sponsor[d];
                if s == NONE {
                    NONE
                } else {
                    na[s as usize]
                }
            };
        }
        na
    } else {
        Vec::new()
    };
    let above = |d: u32| -> u32 {
        let s = net.sponsor[d as usize];
        if s == NONE || !compressing {
            s
        } else {
            next_active[s as usize]
        }
    };
    for &oi in orders {
        let o = &book.orders[oi as usize];
        let start = lines.len();
        if let (Some(r), Category::Retail) = (&plan.retail, o.category) {
            if o.value.net > Decimal::ZERO {
                let amount = mul_round(r.rate, o.value.net, 2);
                lines.push(Line {
                    amount,
                    earner: o.credited,
                    source: oi,
                    kind: Kind::Retail,
                    of: None,
                    level: 0,
                    held: false,
                });
            }
        }
        if o.credited != NONE && o.value.bv > Decimal::ZERO {
            let c = o.credited;
            if let Some(u) = &plan.unilevel {
                let chain = chain(above(c), above).map(upline);
                unilevel_lines(u, o.value.bv, chain, |a, level, _, amount| {
                    lines.push(Line {
                        amount,
                        earner: a.who,
                        source: oi,
                        kind: Kind::Unilevel,
                        of: None,
                        level,
                        held: a.held,
                    });
                });
            }
            if let (Some(m), Some(tree)) = (&plan.matrix, &net.matrix) {
                let chain = chain(tree.parent[c as usize], |x| tree.parent[x as usize]).map(upline);
                matrix_lines(m, o.value.bv, chain, |a, level, _, amount| {
                    lines.push(Line {
                        amount,
                        earner: a.who,
                        source: oi,
                        kind: Kind::Matrix,
                        of: None,
                        level,
                        held: a.held,
                    });
                });
            }
        }
        if cx.late_orders.contains(&oi) {
            let kept = lines[start..]
                .iter()
                .map(|l| PaidLine {
                    earner: l.earner,
                    kind: l.kind,
                    level: l.level,
                    rate: rate_of(plan, l.kind, l.level),
                    amount: l.amount,
                    held: l.held,
                    clawed: Decimal::ZERO,
                    plan: cx.label.clone(),
                })
                .collect();
            paid.insert(oi, kept);
        }
    }

    // §10 binary: leg volumes are Σ BV over placement subtrees (late refunds already netted).
    let mut carry_out = Carry::new(n);
    let binary = match (&plan.binary, &net.binary) {
        (Some(b), Some(tree)) => {
            let mut sub = bv.clone();
            for d in (0..n).rev() {
                let p = tree.parent[d];
                if p != NONE {
                    let v = sub[d];
                    sub[p as usize] += v;
                }
            }
            let (mut ql, mut qr) = (vec![0u32; n], vec![0u32; n]);
            if b.qualify_left > 0 || b.qualify_right > 0 {
                for d in 0..n {
                    if active[d] {
                        match cx.sides[d] {
                            Some(Leg::Left) => ql[net.sponsor[d] as usize] += 1,
                            Some(Leg::Right) => qr[net.sponsor[d] as usize] += 1,
                            None => {}
                        }
                    }
                }
            }
            let leg = |c: u32| if c == NONE { Decimal::ZERO } else { sub[c as usize] };
            let mut stats = BinaryStats { left: zero(), right: zero(), paired: zero(), qualified: vec![false; n] };
            for d in 0..n {
                let (l, r) = (leg(tree.left[d]), leg(tree.right[d]));
                stats.left[d] = l;
                stats.right[d] = r;
                if !active[d] {
                    continue; // inactive: carries flushed
                }
                let a = (l + carry.left[d]).max(Decimal::ZERO);
                let bb = (r + carry.right[d]).max(Decimal::ZERO);
                let qualified = ql[d] >= b.qualify_left && qr[d] >= b.qualify_right;
                stats.qualified[d] = qualified;
                let paired = if qualified { a.min(bb) } else { Decimal::ZERO };
                stats.paired[d] = paired;
                if paired > Decimal::ZERO {
                    let mut amount = mul_round(b.rate, paired, 2);
                    if let Some(cap) = b.cap {
                        amount = amount.min(cap);
                    }
                    lines.push(Line {
                        amount,
                        earner: d as u32,
                        source: NONE,
                        kind: Kind::Binary,
                        of: None,
                        level: 0,
                        held: !compliant[d],
                    });
                }
                if b.carry_forward {
                    carry_out.left[d] = a - paired;
                    carry_out.right[d] = bb - paired;
                }
            }
            Some(stats)
        }
        _ => None,
    };

    // §12 clawbacks, by refund in (at, tie) order.
    let mut clawback_origin = FxHashMap::default();
    for &ri in late {
        let r = &book.refunds[ri as usize];
        if let Some(kept) = paid.get_mut(&r.order) {
            clawback_lines(kept, r.removed, r.leaves_none, |l, _, amount| {
                clawback_origin.insert((ri, l.earner, l.kind, l.level), (l.rate, l.plan.clone()));
                lines.push(Line {
                    amount,
                    earner: l.earner,
                    source: ri,
                    kind: Kind::Clawback,
                    of: Some(l.kind),
                    level: l.level,
                    held: l.held,
                });
            });
            if r.leaves_none {
                paid.remove(&r.order);
            }
        }
    }

    // Group lines by earner, keeping statement order (a stable counting sort).
    let mut line_start = vec![0u32; n + 1];
    for l in &lines {
        line_start[l.earner as usize + 1] += 1;
    }
    for d in 0..n {
        line_start[d + 1] += line_start[d];
    }
    let mut fill = line_start.clone();
    let mut by_earner = vec![0u32; lines.len()];
    let mut earnings = vec![Earnings::default(); n];
    for (i, l) in lines.iter().enumerate() {
        let e = l.earner as usize;
        by_earner[fill[e] as usize] = i as u32;
        fill[e] += 1;
        let x = &mut earnings[e];
        match l.kind {
            Kind::Retail => x.retail += l.amount,
            Kind::Unilevel => x.unilevel += l.amount,
            Kind::Binary => x.binary += l.amount,
            Kind::Matrix => x.matrix += l.amount,
            Kind::Clawback => x.clawback += l.amount,
        }
        if l.held {
            x.held += l.amount;
            company.held += l.amount;
        } else {
            x.payable += l.amount;
        }
        company.commissions += l.amount;
    }

    // §14 payouts.
    let mut payout = zero();
    for d in 0..n {
        let balance = carry.balance[d] + earnings[d].payable;
        if balance >= plan.payout.min_amount && balance > Decimal::ZERO {
            payout[d] = balance;
            company.payouts += balance;
        } else {
            carry_out.balance[d] = balance;
        }
    }

    PeriodStatement {
        period,
        company,
        pv,
        bv,
        gv,
        active,
        rank,
        retail_sales,
        personal_sales,
        compliant,
        binary,
        carry_out,
        earnings,
        balance_in: carry.balance.clone(),
        payout,
        lines,
        line_start,
        by_earner,
        clawback_origin,
    }
}

/// The plan rate of a line of `kind` at `level`.
pub fn rate_of(plan: &Plan, kind: Kind, level: u16) -> Decimal {
    let at = |rates: &[Decimal]| rates[level as usize - 1];
    match kind {
        Kind::Retail => plan.retail.as_ref().map_or(Decimal::ZERO, |r| r.rate),
        Kind::Unilevel => plan.unilevel.as_ref().map_or(Decimal::ZERO, |u| at(&u.rates)),
        Kind::Matrix => plan.matrix.as_ref().map_or(Decimal::ZERO, |m| at(&m.rates)),
        Kind::Binary => plan.binary.as_ref().map_or(Decimal::ZERO, |b| b.rate),
        Kind::Clawback => Decimal::ZERO,
    }
}
