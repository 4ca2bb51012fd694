//! Ranks (spec §9), career titles and rank advancement bonuses (spec §19).

use crate::genealogy::{Network, NONE};
use crate::lines::{Kind, Line};
use crate::plan::Plan;
use rust_decimal::Decimal;

/// GV of every distributor and its rank in the period (0 = none, k = `plan.ranks[k − 1]`),
/// bottom-up: every sponsor has a smaller index than its recruits.
pub fn gv_and_ranks(plan: &Plan, net: &Network, pv: &[Decimal]) -> (Vec<Decimal>, Vec<u8>) {
    let n = net.len();
    let mut gv = pv.to_vec();
    let mut rank = vec![0u8; n];
    let ranks = &plan.ranks;
    let needs_legs = ranks.iter().any(|r| r.min_legs.is_some());
    // legs[d × R + k]: personally sponsored lines of d holding a rank ≥ ranks[k].
    let mut legs = if needs_legs { vec![0u32; n * ranks.len()] } else { Vec::new() };
    let mut best = vec![0u8; if ranks.is_empty() { 0 } else { n }];
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
    (gv, rank)
}

/// Titles after the period and the rank_bonus lines it pays: for each rank above the title
/// held before (`title_in`) up to the period's rank, that rank's `advancement_bonus` once.
/// A distributor whose `joined_at` is not before the period's end (`not_yet`) neither rises
/// nor earns.
pub fn titles_and_bonuses(
    plan: &Plan,
    rank: &[u8],
    title_in: &[u8],
    not_yet: impl Fn(usize) -> bool,
    compliant: &[bool],
    lines: &mut Vec<Line>,
) -> Vec<u8> {
    let mut title = title_in.to_vec();
    if plan.ranks.is_empty() {
        return title;
    }
    let pays = plan.ranks.iter().any(|r| r.advancement_bonus.is_some_and(|b| b > Decimal::ZERO));
    for d in 0..rank.len() {
        let (t, k) = (title_in[d], rank[d]);
        if k <= t || not_yet(d) {
            continue;
        }
        title[d] = k;
        if !pays {
            continue;
        }
        for j in t + 1..=k {
            let Some(bonus) = plan.ranks[j as usize - 1].advancement_bonus.filter(|b| *b > Decimal::ZERO) else {
                continue;
            };
            lines.push(Line {
                amount: bonus,
                earner: d as u32,
                source: j as u32 - 1,
                kind: Kind::RankBonus,
                of: None,
                level: 0,
                held: !compliant[d],
            });
        }
    }
    title
}
