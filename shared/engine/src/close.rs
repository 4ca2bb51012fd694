//! Period close (spec §5–§22): the orchestrator. Each pay rule lives in its own file under
//! [`crate::rules`]; [`close_period`] runs them in the spec's order over dense arrays (or over
//! the period's orders), so closing a period costs O(distributors + orders × levels) whatever
//! the shape of the genealogy. The per-order rules take the upline as an iterator, so the
//! online path evaluates one order with exactly the same code.

use crate::book::Book;
use crate::genealogy::{chain, Network, NONE};
use crate::period::{Period, Timestamp};
use crate::plan::Plan;
use crate::rules::{
    adjustments, binary, clawbacks, compliance, fast_start, matching, payouts, pools, ranks_titles, retail, unilevel,
    volumes,
};
use crate::scenario::Leg;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

pub use crate::lines::{Kind, Line, PaidLine, Upline};
pub use crate::rules::clawbacks::clawback_lines;
pub use crate::rules::fast_start::fast_start_lines;
pub use crate::rules::matrix::matrix_lines;
pub use crate::rules::unilevel::unilevel_lines;

/// Everything about a run that does not change from period to period.
pub struct Context<'a> {
    pub plan: &'a Plan,
    pub net: &'a Network,
    /// The leg of its sponsor's binary subtree each distributor sits in.
    pub sides: Vec<Option<Leg>>,
    /// Unilevel and matching depth by rank code (0 = no rank, k = `plan.ranks[k − 1]`).
    depth_by_rank: Vec<u32>,
    matching_by_rank: Vec<u32>,
    /// Orders that have a late refund: their lines are kept for clawbacks.
    pub late_orders: FxHashSet<u32>,
    label: Arc<str>,
}

fn by_rank(depths: Vec<u32>, ranks: usize) -> Vec<u32> {
    let mut out = vec![*depths.last().expect("unranked depth")];
    out.extend_from_slice(&depths[..ranks]);
    out
}

impl<'a> Context<'a> {
    pub fn new(plan: &'a Plan, net: &'a Network, book: &Book) -> Context<'a> {
        Context {
            plan,
            net,
            sides: net.side_under_sponsor(),
            depth_by_rank: by_rank(plan.unilevel_depths(), plan.ranks.len()),
            matching_by_rank: by_rank(plan.matching_depths(), plan.ranks.len()),
            late_orders: book.refunds.iter().filter(|r| r.late).map(|r| r.order).collect(),
            label: plan.label().into(),
        }
    }

    pub fn depth(&self, rank: u8) -> u32 {
        self.depth_by_rank[rank as usize]
    }

    pub fn matching_depth(&self, rank: u8) -> u32 {
        self.matching_by_rank[rank as usize]
    }

    /// Whether `d` joins only after a period that ends at `end` (spec §19: no title rise, bonus
    /// or pool).
    pub fn not_yet(&self, end: Timestamp, d: usize) -> bool {
        self.net.joined_at(d as u32).is_some_and(|j| end <= j)
    }
}

/// What flows from one period into the next (§10, §14, §19).
#[derive(Debug, Clone, PartialEq)]
pub struct Carry {
    pub left: Vec<Decimal>,
    pub right: Vec<Decimal>,
    pub balance: Vec<Decimal>,
    /// Career title (0 = none, k = `plan.ranks[k − 1]`): it never falls.
    pub title: Vec<u8>,
}

impl Carry {
    pub fn new(n: usize) -> Carry {
        let zero = vec![Decimal::ZERO; n];
        Carry { left: zero.clone(), right: zero.clone(), balance: zero, title: vec![0; n] }
    }
}

/// Lines earned by orders with late refunds, by order.
pub type Paid = FxHashMap<u32, Vec<PaidLine>>;

/// One pool of a period (spec §16 `company.pools`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolStat {
    pub amount: Decimal,
    pub qualifiers: u32,
    pub distributed: Decimal,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Company {
    pub sales: Decimal,
    pub retail_sales: Decimal,
    pub distributor_sales: Decimal,
    pub house_sales: Decimal,
    /// Company BV (§20).
    pub bv: Decimal,
    pub commissions: Decimal,
    pub held: Decimal,
    pub payouts: Decimal,
    pub pools: Vec<PoolStat>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Earnings {
    pub retail: Decimal,
    pub unilevel: Decimal,
    pub binary: Decimal,
    pub matrix: Decimal,
    pub fast_start: Decimal,
    pub matching: Decimal,
    pub rank_bonus: Decimal,
    pub pool: Decimal,
    pub adjustment: Decimal,
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
    /// Carries out, the title after the period included.
    pub carry_out: Carry,
    pub earnings: Vec<Earnings>,
    pub balance_in: Vec<Decimal>,
    pub payout: Vec<Decimal>,
    /// Every line of the period in statement order (§16).
    pub lines: Vec<Line>,
    /// Lines grouped by earner: `by_earner[line_start[d]..line_start[d + 1]]` index `lines`.
    pub line_start: Vec<u32>,
    pub by_earner: Vec<u32>,
    /// Rate and plan of each clawback's original line, by (refund, earner, reversed kind,
    /// level): the plan may have changed since the order was paid.
    pub clawback_origin: FxHashMap<ClawbackKey, (Decimal, Arc<str>)>,
    /// Each distributor's matched base (§18); empty without a matching section.
    pub matching_base: Vec<Decimal>,
}

impl PeriodStatement {
    /// The lines of distributor `d`, in statement order.
    pub fn lines_of(&self, d: u32) -> impl Iterator<Item = &Line> + '_ {
        let r = self.line_start[d as usize] as usize..self.line_start[d as usize + 1] as usize;
        self.by_earner[r].iter().map(move |&i| &self.lines[i as usize])
    }

    /// `d`'s career title after the period (0 = none).
    pub fn title(&self, d: usize) -> u8 {
        self.carry_out.title[d]
    }
}

/// What a period closes over: its orders sorted by (`placed_at`, tie), the late refunds booked
/// in it and its adjustments, each sorted by (`at`, tie).
pub struct PeriodEvents<'e> {
    pub orders: &'e [u32],
    pub late: &'e [u32],
    pub adjustments: &'e [u32],
}

/// Closes `period`, running the rules in the spec's order.
pub fn close_period(
    cx: &Context,
    book: &Book,
    period: Period,
    ev: &PeriodEvents,
    carry: &Carry,
    paid: &mut Paid,
) -> PeriodStatement {
    let plan = cx.plan;
    let n = cx.net.len();
    let (v, mut company) = volumes::tally(book, n, ev.orders, ev.late);
    let active: Vec<bool> = v.pv.iter().map(|&x| plan.is_active(x)).collect();
    let (gv, rank) = ranks_titles::gv_and_ranks(plan, cx.net, &v.pv);
    let compliant = compliance::compliant(plan, &v);

    let mut lines = Vec::with_capacity(line_capacity(cx, book, ev, paid, n));
    order_lines(cx, book, ev.orders, &active, &rank, &compliant, paid, &mut lines);
    let mut carry_out = Carry::new(n);
    let binary = binary::close(cx, &v.bv, &active, &compliant, carry, &mut carry_out, &mut lines);
    let clawback_origin = clawbacks::book_clawbacks(book, ev.late, paid, &mut lines);
    let matching_base = matching::matching_lines(cx, &active, &rank, &compliant, &mut lines);
    let end = period.next().start();
    let not_yet = |d: usize| cx.not_yet(end, d);
    carry_out.title = ranks_titles::titles_and_bonuses(plan, &rank, &carry.title, not_yet, &compliant, &mut lines);
    company.pools = pools::pool_lines(plan, company.bv, &rank, &gv, &compliant, |d| !not_yet(d), &mut lines);
    adjustments::adjustment_lines(book, ev.adjustments, &mut lines);

    let g = payouts::group(n, &lines, &mut company);
    let payout = payouts::payouts(plan, &g.earnings, carry, &mut carry_out, &mut company);
    PeriodStatement {
        period,
        company,
        pv: v.pv,
        bv: v.bv,
        gv,
        active,
        rank,
        retail_sales: v.retail_sales,
        personal_sales: v.personal_sales,
        compliant,
        binary,
        carry_out,
        earnings: g.earnings,
        balance_in: carry.balance.clone(),
        payout,
        lines,
        line_start: g.line_start,
        by_earner: g.by_earner,
        clawback_origin,
        matching_base,
    }
}

/// The most lines the period's orders, binary and clawbacks can have: untouched capacity costs
/// address space, not memory, and the vector never reallocates on a large close.
fn line_capacity(cx: &Context, book: &Book, ev: &PeriodEvents, paid: &Paid, n: usize) -> usize {
    let p = cx.plan;
    let per_order = 1
        + p.unilevel.as_ref().map_or(0, |u| u.rates.len())
        + p.matrix.as_ref().map_or(0, |m| m.rates.len())
        + p.fast_start.as_ref().map_or(0, |f| f.rates.len());
    let clawbacks: usize = ev.late.iter().map(|r| paid.get(&book.refunds[*r as usize].order).map_or(0, Vec::len)).sum();
    ev.orders.len() * per_order + n + clawbacks + ev.adjustments.len()
}

/// §6, §7, §11, §17: the lines of each order, in order (retail, unilevel, matrix, fast_start).
/// Orders with a late refund keep their lines for the clawbacks.
#[allow(clippy::too_many_arguments)]
fn order_lines(
    cx: &Context,
    book: &Book,
    orders: &[u32],
    active: &[bool],
    rank: &[u8],
    compliant: &[bool],
    paid: &mut Paid,
    lines: &mut Vec<Line>,
) {
    let (plan, net) = (cx.plan, cx.net);
    let upline = |d: u32| Upline {
        who: d,
        active: active[d as usize],
        depth: cx.depth(rank[d as usize]),
        held: !compliant[d as usize],
    };
    let next_active = unilevel::next_active(plan.unilevel.as_ref(), net, active);
    let above = |d: u32| match net.sponsor[d as usize] {
        s if s == NONE || next_active.is_empty() => s,
        s => next_active[s as usize],
    };
    for &oi in orders {
        let o = &book.orders[oi as usize];
        let start = lines.len();
        lines.extend(retail::retail_line(plan, o, oi));
        if o.credited != NONE && o.value.bv > Decimal::ZERO {
            let c = o.credited;
            let push = |kind: Kind| {
                move |a: Upline, level: u16, _rate: Decimal, amount: Decimal| Line {
                    amount,
                    earner: a.who,
                    source: oi,
                    kind,
                    of: None,
                    level,
                    held: a.held,
                }
            };
            if let Some(u) = &plan.unilevel {
                let f = push(Kind::Unilevel);
                unilevel_lines(u, o.value.bv, chain(above(c), above).map(upline), |a, l, r, x| {
                    lines.push(f(a, l, r, x))
                });
            }
            if let (Some(m), Some(tree)) = (&plan.matrix, &net.matrix) {
                let f = push(Kind::Matrix);
                let up = chain(tree.parent[c as usize], |x| tree.parent[x as usize]).map(upline);
                matrix_lines(m, o.value.bv, up, |a, l, r, x| lines.push(f(a, l, r, x)));
            }
            if let Some(fs) = &plan.fast_start {
                if net.joined_at(c).is_some_and(|j| fast_start::in_window(fs, j, o.placed_at)) {
                    let f = push(Kind::FastStart);
                    let up = chain(net.sponsor[c as usize], |x| net.sponsor[x as usize]).map(upline);
                    fast_start_lines(fs, o.value.bv, up, |a, l, r, x| lines.push(f(a, l, r, x)));
                }
            }
        }
        if cx.late_orders.contains(&oi) {
            let kept = lines[start..].iter().map(|l| keep(cx, l)).collect();
            paid.insert(oi, kept);
        }
    }
}

fn keep(cx: &Context, l: &Line) -> PaidLine {
    PaidLine {
        earner: l.earner,
        kind: l.kind,
        level: l.level,
        rate: rate_of(cx.plan, l.kind, l.level),
        amount: l.amount,
        held: l.held,
        clawed: Decimal::ZERO,
        plan: cx.label.clone(),
    }
}

/// The plan rate of a line of `kind` at `level` (zero where a kind has no rate).
pub fn rate_of(plan: &Plan, kind: Kind, level: u16) -> Decimal {
    let at =
        |rates: &[Decimal]| (level as usize).checked_sub(1).and_then(|i| rates.get(i)).copied().unwrap_or_default();
    match kind {
        Kind::Retail => plan.retail.as_ref().map_or(Decimal::ZERO, |r| r.rate),
        Kind::Unilevel => plan.unilevel.as_ref().map_or(Decimal::ZERO, |u| at(&u.rates)),
        Kind::Matrix => plan.matrix.as_ref().map_or(Decimal::ZERO, |m| at(&m.rates)),
        Kind::FastStart => plan.fast_start.as_ref().map_or(Decimal::ZERO, |f| at(&f.rates)),
        Kind::Matching => plan.matching.as_ref().map_or(Decimal::ZERO, |m| at(&m.rates)),
        Kind::Binary => plan.binary.as_ref().map_or(Decimal::ZERO, |b| b.rate),
        Kind::RankBonus | Kind::Pool | Kind::Adjustment | Kind::Clawback => Decimal::ZERO,
    }
}
