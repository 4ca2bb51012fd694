//! Retail commission (spec §6): `round2(rate × sales)` on each retail order, paid whether or not
//! the credited distributor is active, never held.

use crate::book::{BookOrder, Category};
use crate::lines::{Kind, Line};
use crate::num::mul_round;
use crate::plan::Plan;
use rust_decimal::Decimal;

/// The retail line of order `oi`, if it has one.
pub fn retail_line(plan: &Plan, o: &BookOrder, oi: u32) -> Option<Line> {
    let r = plan.retail.as_ref()?;
    if o.category != Category::Retail || o.value.net <= Decimal::ZERO {
        return None;
    }
    Some(Line {
        amount: mul_round(r.rate, o.value.net, 2),
        earner: o.credited,
        source: oi,
        kind: Kind::Retail,
        of: None,
        level: 0,
        held: false,
    })
}
