//! Late refunds and clawbacks (spec §12): each late refund record reverses, in its own period,
//! its share of every line the order earned (retail, unilevel, matrix, fast_start); the record
//! that leaves nothing books the exact remainders, so a fully refunded order nets to zero.

use crate::book::{Book, Value};
use crate::close::{ClawbackKey, Paid};
use crate::lines::{Kind, Line, PaidLine};
use crate::num::mul_round;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Clawbacks of one late refund record against the lines its order earned. `emit` gets each
/// clawback's base and amount; `paid` keeps the running total clawed per line.
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

/// Books the clawbacks of the period's `late` refunds, by refund in (`at`, tie) order. Returns
/// the rate and plan of each clawback's original line (the plan may have changed since).
pub fn book_clawbacks(
    book: &Book,
    late: &[u32],
    paid: &mut Paid,
    lines: &mut Vec<Line>,
) -> FxHashMap<ClawbackKey, (Decimal, Arc<str>)> {
    let mut origin = FxHashMap::default();
    for &ri in late {
        let r = &book.refunds[ri as usize];
        let Some(kept) = paid.get_mut(&r.order) else { continue };
        clawback_lines(kept, r.removed, r.leaves_none, |l, _, amount| {
            origin.insert((ri, l.earner, l.kind, l.level), (l.rate, l.plan.clone()));
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
    origin
}
