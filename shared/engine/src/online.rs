//! The online path: one order at a time, as it arrives. Its lines are provisional (spec
//! preamble): they use what is known now (PV so far in the open period for activity, the ranks
//! of the last closed period). Period close recomputes everything from the full period and is
//! authoritative; the rules themselves are the same functions close uses.

use crate::book::{Book, Category};
use crate::close::{fast_start_lines, matrix_lines, unilevel_lines, Context, Kind, Line, Upline};
use crate::genealogy::{chain, NONE};
use crate::num::mul_round;
use crate::period::Period;
use crate::rules::fast_start::in_window;
use rust_decimal::Decimal;

/// What the online path knows about the open period.
#[derive(Debug, Clone)]
pub struct OpenPeriod {
    pub period: Period,
    pv: Vec<Decimal>,
    retail: Vec<Decimal>,
    personal: Vec<Decimal>,
    rank: Vec<u8>,
}

impl OpenPeriod {
    /// An open period over `n` distributors; `ranks` are those of the last closed period.
    pub fn new(period: Period, n: usize, ranks: Option<&[u8]>) -> OpenPeriod {
        OpenPeriod {
            period,
            pv: vec![Decimal::ZERO; n],
            retail: vec![Decimal::ZERO; n],
            personal: vec![Decimal::ZERO; n],
            rank: ranks.map_or_else(|| vec![0; n], <[u8]>::to_vec),
        }
    }

    /// Adds an order of the period to what is known.
    pub fn record(&mut self, book: &Book, order: u32) {
        let o = &book.orders[order as usize];
        if o.credited == NONE {
            return;
        }
        let d = o.credited as usize;
        self.pv[d] += o.value.pv;
        match o.category {
            Category::Retail => self.retail[d] += o.value.net,
            Category::Distributor => self.personal[d] += o.value.net,
            Category::House => {}
        }
    }

    fn upline(&self, cx: &Context, d: u32) -> Upline {
        let i = d as usize;
        let held = !cx.plan.is_compliant(self.retail[i], self.personal[i]);
        Upline { who: d, active: cx.plan.is_active(self.pv[i]), depth: cx.depth(self.rank[i]), held }
    }

    /// The provisional retail, unilevel, matrix and fast_start lines of `order` from the state
    /// known now.
    pub fn provisional_lines(&self, cx: &Context, book: &Book, order: u32) -> Vec<Line> {
        let plan = cx.plan;
        let o = &book.orders[order as usize];
        let mut lines = Vec::new();
        if let (Some(r), Category::Retail) = (&plan.retail, o.category) {
            if o.value.net > Decimal::ZERO {
                let amount = mul_round(r.rate, o.value.net, 2);
                lines.push(Line {
                    amount,
                    earner: o.credited,
                    source: order,
                    kind: Kind::Retail,
                    of: None,
                    level: 0,
                    held: false,
                });
            }
        }
        if o.credited == NONE || o.value.bv <= Decimal::ZERO {
            return lines;
        }
        fn up(parent: &[u32], from: u32) -> impl Iterator<Item = u32> + '_ {
            chain(parent[from as usize], move |x| parent[x as usize])
        }
        if let Some(u) = &plan.unilevel {
            unilevel_lines(
                u,
                o.value.bv,
                up(&cx.net.sponsor, o.credited).map(|x| self.upline(cx, x)),
                |a, level, _, amount| {
                    lines.push(Line {
                        amount,
                        earner: a.who,
                        source: order,
                        kind: Kind::Unilevel,
                        of: None,
                        level,
                        held: a.held,
                    });
                },
            );
        }
        if let (Some(m), Some(tree)) = (&plan.matrix, &cx.net.matrix) {
            matrix_lines(
                m,
                o.value.bv,
                up(&tree.parent, o.credited).map(|x| self.upline(cx, x)),
                |a, level, _, amount| {
                    lines.push(Line {
                        amount,
                        earner: a.who,
                        source: order,
                        kind: Kind::Matrix,
                        of: None,
                        level,
                        held: a.held,
                    });
                },
            );
        }
        if let Some(f) = &plan.fast_start {
            if cx.net.joined_at(o.credited).is_some_and(|j| in_window(f, j, o.placed_at)) {
                let up = up(&cx.net.sponsor, o.credited).map(|x| self.upline(cx, x));
                fast_start_lines(f, o.value.bv, up, |a, level, _, amount| {
                    lines.push(Line {
                        amount,
                        earner: a.who,
                        source: order,
                        kind: Kind::FastStart,
                        of: None,
                        level,
                        held: a.held,
                    });
                });
            }
        }
        lines
    }
}
