//! Earnings (spec §16) and payouts (spec §14): lines grouped by earner in statement order, sums
//! by kind, then each balance paid out when it reaches the minimum.

use crate::close::{Carry, Company, Earnings};
use crate::lines::{Kind, Line};
use crate::plan::Plan;
use rust_decimal::Decimal;

/// Lines grouped by earner, keeping statement order (a stable counting sort):
/// `by_earner[line_start[d]..line_start[d + 1]]` index `lines`.
pub struct Grouped {
    pub line_start: Vec<u32>,
    pub by_earner: Vec<u32>,
    pub earnings: Vec<Earnings>,
}

/// Groups the period's lines by earner and sums them into earnings and company totals.
pub fn group(n: usize, lines: &[Line], company: &mut Company) -> Grouped {
    let mut line_start = vec![0u32; n + 1];
    for l in lines {
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
        *x.of_kind(l.kind) += l.amount;
        if l.held {
            x.held += l.amount;
            company.held += l.amount;
        } else {
            x.payable += l.amount;
        }
        company.commissions += l.amount;
    }
    Grouped { line_start, by_earner, earnings }
}

impl Earnings {
    fn of_kind(&mut self, kind: Kind) -> &mut Decimal {
        match kind {
            Kind::Retail => &mut self.retail,
            Kind::Unilevel => &mut self.unilevel,
            Kind::Binary => &mut self.binary,
            Kind::Matrix => &mut self.matrix,
            Kind::FastStart => &mut self.fast_start,
            Kind::Matching => &mut self.matching,
            Kind::RankBonus => &mut self.rank_bonus,
            Kind::Pool => &mut self.pool,
            Kind::Adjustment => &mut self.adjustment,
            Kind::Clawback => &mut self.clawback,
        }
    }
}

/// Pays each balance (`balance_in + payable`) that reaches the minimum and is positive; the
/// rest, negative included, carries forward into `out`.
pub fn payouts(
    plan: &Plan,
    earnings: &[Earnings],
    carry: &Carry,
    out: &mut Carry,
    company: &mut Company,
) -> Vec<Decimal> {
    let mut payout = vec![Decimal::ZERO; earnings.len()];
    for (d, e) in earnings.iter().enumerate() {
        let balance = carry.balance[d] + e.payable;
        if balance >= plan.payout.min_amount && balance > Decimal::ZERO {
            payout[d] = balance;
            company.payouts += balance;
        } else {
            out.balance[d] = balance;
        }
    }
    payout
}
