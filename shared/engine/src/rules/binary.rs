//! Binary (spec §10): leg volumes are Σ BV over placement subtrees (late refunds already netted
//! out); qualified distributors pair the weaker side, capped; carries flow to the next period.

use crate::close::{BinaryStats, Carry, Context};
use crate::genealogy::NONE;
use crate::lines::{Kind, Line};
use crate::num::mul_round;
use crate::scenario::Leg;
use rust_decimal::Decimal;

/// Pairs every distributor; pushes the binary lines and fills the binary carries of `out`.
/// `None` when the plan has no binary section.
pub fn close(
    cx: &Context,
    bv: &[Decimal],
    active: &[bool],
    compliant: &[bool],
    carry: &Carry,
    out: &mut Carry,
    lines: &mut Vec<Line>,
) -> Option<BinaryStats> {
    let (Some(b), Some(tree)) = (&cx.plan.binary, &cx.net.binary) else { return None };
    let n = bv.len();
    let mut sub = bv.to_vec();
    for d in (0..n).rev() {
        let p = tree.parent[d];
        if p != NONE {
            let v = sub[d];
            sub[p as usize] += v;
        }
    }
    let (ql, qr) = qualifying_legs(cx, active, b.qualify_left > 0 || b.qualify_right > 0);
    let leg = |c: u32| if c == NONE { Decimal::ZERO } else { sub[c as usize] };
    let zero = || vec![Decimal::ZERO; n];
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
            out.left[d] = a - paired;
            out.right[d] = bb - paired;
        }
    }
    Some(stats)
}

/// Active personally sponsored distributors in each sponsor's left and right subtrees.
fn qualifying_legs(cx: &Context, active: &[bool], needed: bool) -> (Vec<u32>, Vec<u32>) {
    let n = active.len();
    let (mut ql, mut qr) = (vec![0u32; n], vec![0u32; n]);
    if needed {
        for d in 0..n {
            if active[d] {
                match cx.sides[d] {
                    Some(Leg::Left) => ql[cx.net.sponsor[d] as usize] += 1,
                    Some(Leg::Right) => qr[cx.net.sponsor[d] as usize] += 1,
                    None => {}
                }
            }
        }
    }
    (ql, qr)
}
