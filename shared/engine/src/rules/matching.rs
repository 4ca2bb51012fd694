//! Matching bonus (spec §18): sponsors earn, by generation, a share of what each distributor
//! earned in the period in the matched kinds. Only payable lines are matched (held ones never),
//! clawbacks of matched kinds lower the base; a base ≤ 0 pays nothing and does not carry.

use crate::close::Context;
use crate::genealogy::NONE;
use crate::lines::{Kind, Line};
use crate::num::mul_round;
use rust_decimal::Decimal;

/// Pushes the period's matching lines, by generation then by matched distributor's input
/// order, and returns each distributor's matched base (empty without a matching section).
pub fn matching_lines(
    cx: &Context,
    active: &[bool],
    rank: &[u8],
    compliant: &[bool],
    lines: &mut Vec<Line>,
) -> Vec<Decimal> {
    let Some(m) = &cx.plan.matching else { return Vec::new() };
    let n = active.len();
    let mut base = vec![Decimal::ZERO; n];
    for l in lines.iter().filter(|l| !l.held) {
        let kind = if l.kind == Kind::Clawback { l.of.unwrap_or(Kind::Clawback) } else { l.kind };
        if m.matches(kind) {
            base[l.earner as usize] += l.amount;
        }
    }
    let mut by_generation: Vec<Vec<Line>> = vec![Vec::new(); m.rates.len()];
    for (who, &b) in base.iter().enumerate() {
        if b <= Decimal::ZERO {
            continue;
        }
        let mut u = cx.net.sponsor[who];
        for (g, &rate) in m.rates.iter().enumerate() {
            if u == NONE {
                break;
            }
            let ui = u as usize;
            if active[ui] && (g as u32) < cx.matching_depth(rank[ui]) {
                by_generation[g].push(Line {
                    amount: mul_round(rate, b, 2),
                    earner: u,
                    source: who as u32,
                    kind: Kind::Matching,
                    of: None,
                    level: g as u16 + 1,
                    held: !compliant[ui],
                });
            }
            u = cx.net.sponsor[ui];
        }
    }
    for g in by_generation {
        lines.extend(g);
    }
    base
}
