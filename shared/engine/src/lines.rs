//! What every rule produces: lines (spec §16), compactly. A line's base, rate and `ref` follow
//! from what it points at ([`crate::statement::LineView`] spells everything out).

use rust_decimal::Decimal;
use std::sync::Arc;

/// What a line pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Retail,
    Unilevel,
    Binary,
    Matrix,
    FastStart,
    Matching,
    RankBonus,
    Pool,
    Adjustment,
    Clawback,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Retail => "retail",
            Kind::Unilevel => "unilevel",
            Kind::Binary => "binary",
            Kind::Matrix => "matrix",
            Kind::FastStart => "fast_start",
            Kind::Matching => "matching",
            Kind::RankBonus => "rank_bonus",
            Kind::Pool => "pool",
            Kind::Adjustment => "adjustment",
            Kind::Clawback => "clawback",
        }
    }
}

/// A line of a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub amount: Decimal,
    pub earner: u32,
    /// What the line comes from, by kind: the order (retail, unilevel, matrix, fast_start), the
    /// refund record (clawback), the matched distributor (matching), the rank (rank_bonus), the
    /// pool (pool), the adjustment (adjustment); [`crate::genealogy::NONE`] for binary.
    pub source: u32,
    pub kind: Kind,
    /// The reversed kind, on a clawback.
    pub of: Option<Kind>,
    /// 1-based level (or generation), 0 where none applies.
    pub level: u16,
    pub held: bool,
}

/// A line an order earned in its own period, kept so a late refund can claw it back (§12).
#[derive(Debug, Clone, PartialEq)]
pub struct PaidLine {
    pub earner: u32,
    pub kind: Kind,
    pub level: u16,
    pub rate: Decimal,
    pub amount: Decimal,
    pub held: bool,
    /// Σ of clawbacks already booked against this line.
    pub clawed: Decimal,
    /// The plan (`id@version`) it was paid under: its clawbacks say so too.
    pub plan: Arc<str>,
}

/// An upline member as the per-order rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Upline {
    pub who: u32,
    pub active: bool,
    /// Unilevel depth its rank allows (§7).
    pub depth: u32,
    /// Non-compliant: its lines are held (§13).
    pub held: bool,
}
