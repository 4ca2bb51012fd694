//! Fast-start bonus (spec §17): the sponsor line of a newcomer earns on what it sells in its
//! first `days` days. No compression and no rank depth: every active member at a level ≤ N earns.

use crate::lines::Upline;
use crate::num::mul_round;
use crate::period::Timestamp;
use crate::plan::FastStart;
use rust_decimal::Decimal;

const DAY_NS: i64 = 86_400 * 1_000_000_000;

/// Whether an order placed at `placed_at` falls in the window of a distributor who joined at
/// `joined`: `joined ≤ placed_at < joined + days × 24 h`, exactly.
pub fn in_window(f: &FastStart, joined: Timestamp, placed_at: Timestamp) -> bool {
    let end = joined.0.saturating_add((f.days as i64).saturating_mul(DAY_NS));
    joined <= placed_at && placed_at.0 < end
}

/// Fast-start lines of one qualifying order of volume `bv`, walking `upline` from the sponsor up.
pub fn fast_start_lines(
    f: &FastStart,
    bv: Decimal,
    upline: impl Iterator<Item = Upline>,
    mut emit: impl FnMut(Upline, u16, Decimal, Decimal),
) {
    for (i, a) in upline.take(f.rates.len()).enumerate() {
        if a.active {
            let rate = f.rates[i];
            emit(a, i as u16 + 1, rate, mul_round(rate, bv, 2));
        }
    }
}
