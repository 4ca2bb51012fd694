//! Unilevel (spec §7): levels up the sponsor line, with or without compression, limited by each
//! earner's rank depth.

use crate::genealogy::{Network, NONE};
use crate::lines::Upline;
use crate::num::mul_round;
use crate::plan::Unilevel;
use rust_decimal::Decimal;

/// Unilevel for one order of volume `bv`, walking `upline` from the sponsor up.
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

/// With compression only active members matter: for each distributor, itself when active, else
/// its nearest active sponsor ancestor, so a walk costs O(levels) whatever the inactive runs.
/// Empty when the plan does not compress.
pub fn next_active(u: Option<&Unilevel>, net: &Network, active: &[bool]) -> Vec<u32> {
    if !u.is_some_and(|u| u.compression) {
        return Vec::new();
    }
    let mut na = vec![NONE; net.len()];
    for d in 0..net.len() {
        na[d] = if active[d] {
            d as u32
        } else {
            match net.sponsor[d] {
                NONE => NONE,
                s => na[s as usize],
            }
        };
    }
    na
}
