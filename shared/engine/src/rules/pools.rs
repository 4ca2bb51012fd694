//! Leadership pools (spec §20): each pool is `round2(share × company BV)`, shared by the
//! distributors whose rank is the pool's rank or higher, equally or by GV, each share cut
//! (not rounded) to the cent so the shares never exceed the pool.

use crate::close::PoolStat;
use crate::lines::{Kind, Line};
use crate::num::{mul_div_trunc2, mul_round};
use crate::plan::{Plan, Split};
use rust_decimal::Decimal;

/// Pushes the pool lines, pool by pool in plan order; returns each pool's figures.
/// `qualifies(d)` says whether `d` may share at all (its `joined_at` is before the period's end).
pub fn pool_lines(
    plan: &Plan,
    company_bv: Decimal,
    rank: &[u8],
    gv: &[Decimal],
    compliant: &[bool],
    qualifies: impl Fn(usize) -> bool,
    lines: &mut Vec<Line>,
) -> Vec<PoolStat> {
    let mut stats = Vec::with_capacity(plan.pools.len());
    for (pi, pool) in plan.pools.iter().enumerate() {
        let amount = if company_bv > Decimal::ZERO { mul_round(pool.share, company_bv, 2) } else { Decimal::ZERO };
        let min = pool.rank as u8 + 1;
        let who: Vec<usize> = (0..rank.len()).filter(|&d| rank[d] >= min && qualifies(d)).collect();
        let mut stat = PoolStat { amount, qualifiers: who.len() as u32, distributed: Decimal::ZERO };
        if amount > Decimal::ZERO && !who.is_empty() {
            let total_gv: Decimal = who.iter().map(|&d| gv[d]).filter(|g| *g > Decimal::ZERO).sum();
            for &d in &who {
                let share = match pool.split {
                    Split::Equal => mul_div_trunc2(amount, Decimal::ONE, Decimal::from(who.len())),
                    Split::Gv if gv[d] > Decimal::ZERO => mul_div_trunc2(amount, gv[d], total_gv),
                    Split::Gv => continue,
                };
                stat.distributed += share;
                lines.push(Line {
                    amount: share,
                    earner: d as u32,
                    source: pi as u32,
                    kind: Kind::Pool,
                    of: None,
                    level: 0,
                    held: !compliant[d],
                });
            }
        }
        stats.push(stat);
    }
    stats
}
