//! Exact decimal arithmetic and the output formats of spec §1 and §16.
//!
//! `rust_decimal` keeps 28 significant digits, so a quotient such as `q × p / x` is itself
//! rounded before `round2` would see it, and a value just below a tie could be rounded the wrong
//! way. The spec rounds the *exact* value, so products and quotients that feed a rounding go
//! through integer arithmetic on the mantissas (i128), which is exact for every realistic input;
//! only values whose mantissas overflow i128 fall back to `rust_decimal`'s own arithmetic.

use rust_decimal::{Decimal, RoundingStrategy};

/// `round_dp(x)`: `dp` places, half to even.
pub fn round_dp(x: Decimal, dp: u32) -> Decimal {
    x.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven)
}

/// `round2(x)`, half to even.
pub fn round2(x: Decimal) -> Decimal {
    round_dp(x, 2)
}

fn pow10(e: u32) -> Option<i128> {
    10i128.checked_pow(e)
}

/// `n / d` rounded half to even to an integer (d ≠ 0).
fn div_half_even(n: i128, d: i128) -> i128 {
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    let q = n / d;
    let r = (n % d).abs();
    let sign = if n < 0 { -1 } else { 1 };
    match (2 * r).cmp(&d) {
        std::cmp::Ordering::Greater => q + sign,
        std::cmp::Ordering::Equal if q % 2 != 0 => q + sign,
        _ => q,
    }
}

fn from_scaled(m: i128, scale: u32) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(m, scale).ok()
}

/// `round_dp(a × b)` computed on the exact product.
pub fn mul_round(a: Decimal, b: Decimal, dp: u32) -> Decimal {
    let exact = || -> Option<Decimal> {
        let p = a.mantissa().checked_mul(b.mantissa())?;
        let s = a.scale() + b.scale();
        if s <= dp {
            from_scaled(p, s)
        } else {
            from_scaled(div_half_even(p, pow10(s - dp)?), dp)
        }
    };
    exact().unwrap_or_else(|| round_dp(a * b, dp))
}

/// `round_dp(n / d)` computed on the exact quotient. `None` when `d` is zero.
pub fn div_round(n: Decimal, d: Decimal, dp: u32) -> Option<Decimal> {
    if d.is_zero() {
        return None;
    }
    // n/d × 10^dp = n_m × 10^(d_s + dp) / (d_m × 10^n_s)
    let exact = || -> Option<Decimal> {
        let num = n.mantissa().checked_mul(pow10(d.scale() + dp)?)?;
        let den = d.mantissa().checked_mul(pow10(n.scale())?)?;
        from_scaled(div_half_even(num, den), dp)
    };
    Some(exact().unwrap_or_else(|| round_dp(n / d, dp)))
}

/// `trunc2(a × b / c)`: the exact value cut to 2 decimals toward zero (spec §20). `c` > 0.
pub fn mul_div_trunc2(a: Decimal, b: Decimal, c: Decimal) -> Decimal {
    // a × b / c × 100 = a_m × b_m × 10^(c_s + 2) / (c_m × 10^(a_s + b_s))
    let exact = || -> Option<Decimal> {
        let num = a.mantissa().checked_mul(b.mantissa())?.checked_mul(pow10(c.scale() + 2)?)?;
        let den = c.mantissa().checked_mul(pow10(a.scale() + b.scale())?)?;
        from_scaled(num / den, 2)
    };
    exact().unwrap_or_else(|| (a * b / c).trunc_with_scale(2))
}

/// A ratio `a / b` as spec §1 reports it: `round4`, or null when `b ≤ 0`.
pub fn ratio(a: Decimal, b: Decimal) -> Option<Decimal> {
    if b <= Decimal::ZERO {
        None
    } else {
        div_round(a, b, 4)
    }
}

fn positive_zero(mut x: Decimal) -> Decimal {
    if x.is_zero() {
        x.set_sign_positive(true);
    }
    x
}

/// Money: exactly two decimals, never `-0.00`.
pub fn fmt_money(x: Decimal) -> String {
    let mut v = positive_zero(round2(x));
    v.rescale(2);
    v.to_string()
}

/// Ratios: exactly four decimals.
pub fn fmt_ratio(x: Decimal) -> String {
    let mut v = positive_zero(round_dp(x, 4));
    v.rescale(4);
    v.to_string()
}

/// Volumes, bases and rates: the fewest decimals that represent the exact value.
pub fn fmt_volume(x: Decimal) -> String {
    positive_zero(x.normalize()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn round2_is_half_to_even() {
        assert_eq!(round2(d("0.625")), d("0.62"));
        assert_eq!(round2(d("0.635")), d("0.64"));
        assert_eq!(round2(d("-0.625")), d("-0.62"));
        assert_eq!(round2(d("2.675")), d("2.68"));
    }

    #[test]
    fn products_round_on_the_exact_value() {
        assert_eq!(mul_round(d("0.05"), d("12.50"), 2), d("0.62"));
        assert_eq!(mul_round(d("0.05"), d("12.70"), 2), d("0.64"));
        assert_eq!(mul_round(d("0.1"), d("-0.25"), 2), d("-0.02"));
        assert_eq!(mul_round(d("3"), d("2.5"), 2), d("7.5"));
    }

    #[test]
    fn quotients_round_on_the_exact_value() {
        // 46.00 × 2 / 0.92 = 100 exactly.
        assert_eq!(div_round(d("92.00"), d("0.92"), 2), Some(d("100.00")));
        // 10 / 3 = 3.333…
        assert_eq!(div_round(d("10"), d("3"), 2), Some(d("3.33")));
        // 1.005 / 1 is a tie at 2 places → even.
        assert_eq!(div_round(d("1.005"), d("1"), 2), Some(d("1.00")));
        // 0.1349999…(40 nines)… is below the tie: a 28-digit quotient would round it up to
        // 0.135 and then to 0.14; the exact quotient gives 0.13.
        let n = d("1349999999999999999999999999");
        let den = d("10000000000000000000000000000");
        assert_eq!(div_round(n, den, 2), Some(d("0.13")));
        assert_eq!(div_round(d("1"), d("0"), 2), None);
    }

    #[test]
    fn truncation_cuts_toward_zero() {
        assert_eq!(mul_div_trunc2(d("10.00"), d("1"), d("3")), d("3.33"));
        assert_eq!(mul_div_trunc2(d("0.05"), d("1"), d("3")), d("0.01"));
        assert_eq!(mul_div_trunc2(d("0.02"), d("1"), d("3")), d("0.00"));
        assert_eq!(mul_div_trunc2(d("7.99"), d("2"), d("3")), d("5.32"));
        assert_eq!(mul_div_trunc2(d("12.00"), d("600"), d("900")), d("8.00"));
    }

    #[test]
    fn ratios_are_null_on_non_positive_denominators() {
        assert_eq!(ratio(d("1"), d("3")), Some(d("0.3333")));
        assert_eq!(ratio(d("1"), d("0")), None);
        assert_eq!(ratio(d("1"), d("-2")), None);
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_money(d("12.3")), "12.30");
        assert_eq!(fmt_money(d("-0")), "0.00");
        assert_eq!(fmt_money(d("-0.001")), "0.00");
        assert_eq!(fmt_ratio(d("0.25")), "0.2500");
        assert_eq!(fmt_volume(d("80.00")), "80");
        assert_eq!(fmt_volume(d("79.20")), "79.2");
        assert_eq!(fmt_volume(d("0.10")), "0.1");
        assert_eq!(fmt_volume(d("-0.0")), "0");
        assert_eq!(fmt_volume(d("0.0000001")), "0.0000001");
    }
}
