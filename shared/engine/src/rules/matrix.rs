//! Matrix (spec §11): levels up the matrix parent chain; inactive members consume their level.

use crate::lines::Upline;
use crate::num::mul_round;
use crate::plan::Matrix;
use rust_decimal::Decimal;

/// Matrix for one order: `upline` is the matrix parent chain.
pub fn matrix_lines(
    m: &Matrix,
    bv: Decimal,
    upline: impl Iterator<Item = Upline>,
    mut emit: impl FnMut(Upline, u16, Decimal, Decimal),
) {
    for (i, a) in upline.take(m.rates.len()).enumerate() {
        if a.active {
            let rate = m.rates[i];
            emit(a, i as u16 + 1, rate, mul_round(rate, bv, 2));
        }
    }
}
