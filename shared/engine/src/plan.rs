//! The compensation plan (spec §15): typed, versioned, validated at load.

use crate::error::InputErrors;
use crate::input::{self, Checker, Format, Id, Num};
use crate::lines::Kind;
use crate::period::PeriodKind;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;

/// A validated plan. Absent sections are `None` (off).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub id: String,
    pub version: i64,
    pub currency: String,
    pub period: PeriodKind,
    pub activity: Option<Activity>,
    pub retail: Option<Retail>,
    pub unilevel: Option<Unilevel>,
    pub binary: Option<Binary>,
    pub matrix: Option<Matrix>,
    /// Ascending: index 0 is the lowest rank.
    pub ranks: Vec<Rank>,
    pub compliance: Option<Compliance>,
    pub payout: Payout,
    /// §17.
    pub fast_start: Option<FastStart>,
    /// §18.
    pub matching: Option<Matching>,
    /// §20, in plan order (empty: no pools).
    pub pools: Vec<Pool>,
}

/// Fast-start bonus (spec §17): `rates` by sponsor level, on orders placed within `days` of the
/// credited distributor's `joined_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct FastStart {
    pub rates: Vec<Decimal>,
    pub days: u32,
}

/// Matching bonus (spec §18): `rates` by generation, of the kinds in `of`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matching {
    pub rates: Vec<Decimal>,
    pub of: Vec<Kind>,
    pub unranked_depth: u32,
}

impl Matching {
    /// Whether lines of `kind` count in the matched base.
    pub fn matches(&self, kind: Kind) -> bool {
        self.of.contains(&kind)
    }
}

/// How a pool is shared among its qualifiers (spec §20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Equal,
    Gv,
}

/// A leadership pool (spec §20): `share` of company BV, shared by the distributors of `rank` or
/// higher.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub name: String,
    pub share: Decimal,
    /// Index into [`Plan::ranks`].
    pub rank: usize,
    pub split: Split,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub min_pv: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Retail {
    pub rate: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unilevel {
    pub rates: Vec<Decimal>,
    pub compression: bool,
    pub unranked_depth: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryPlacement {
    ExtremeLeft,
    ExtremeRight,
    WeakerLeg,
    Alternate,
}

impl BinaryPlacement {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryPlacement::ExtremeLeft => "extreme_left",
            BinaryPlacement::ExtremeRight => "extreme_right",
            BinaryPlacement::WeakerLeg => "weaker_leg",
            BinaryPlacement::Alternate => "alternate",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binary {
    pub rate: Decimal,
    pub cap: Option<Decimal>,
    pub carry_forward: bool,
    pub placement: BinaryPlacement,
    pub qualify_left: u32,
    pub qualify_right: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub width: u32,
    pub rates: Vec<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rank {
    pub name: String,
    pub min_pv: Option<Decimal>,
    pub min_gv: Option<Decimal>,
    pub min_legs: Option<MinLegs>,
    pub unilevel_depth: Option<u32>,
    /// Matching generations this rank allows (spec §18).
    pub matching_depth: Option<u32>,
    /// Paid once when the title first reaches this rank (spec §19).
    pub advancement_bonus: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MinLegs {
    pub count: u32,
    /// Index of the required rank in [`Plan::ranks`]; always lower than the rank it belongs to.
    pub rank: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Compliance {
    pub min_retail_ratio: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Payout {
    pub min_amount: Decimal,
}

impl Plan {
    /// `id@version`, the label every line and statement carries.
    pub fn label(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// Loads a plan file. Errors name the offending key, under `prefix` (e.g. `plan`).
    pub fn from_text(text: &str, format: Format, prefix: &str) -> Result<Plan, InputErrors> {
        let raw: RawPlan = input::parse(text, format, prefix)?;
        raw.check(prefix)
    }

    /// Checks that `next` may follow this plan in a running company: rates, thresholds, ranks,
    /// compliance and payouts may change from a period on, but not what shapes the trees and
    /// the books already built (currency, period, binary placement, matrix width, plan id).
    pub fn check_successor(&self, next: &Plan) -> Result<(), InputErrors> {
        let mut c = Checker::default();
        let mut same = |key: &str, a: String, b: String| {
            if a != b {
                c.err(key, format!("cannot change from {a} to {b} in a new version: it shapes what is already built"));
            }
        };
        same("id", self.id.clone(), next.id.clone());
        same("currency", self.currency.clone(), next.currency.clone());
        same("period", self.period.as_str().into(), next.period.as_str().into());
        let placement = |p: &Plan| p.binary.as_ref().map_or("none".to_string(), |b| b.placement.as_str().to_string());
        same("binary.placement", placement(self), placement(next));
        let width = |p: &Plan| p.matrix.as_ref().map_or("none".to_string(), |m| m.width.to_string());
        same("matrix.width", width(self), width(next));
        if next.version <= self.version {
            c.err("version", format!("must be greater than {}, the current version", self.version));
        }
        c.finish(())
    }

    /// Whether retail and personal sales meet `min_retail_ratio` (spec §13): compared exactly,
    /// and a ratio whose denominator is not positive (null) is compliant.
    pub fn is_compliant(&self, retail: Decimal, personal: Decimal) -> bool {
        let Some(c) = &self.compliance else { return true };
        let denom = retail + personal;
        denom <= Decimal::ZERO || retail >= c.min_retail_ratio * denom
    }

    /// Whether `d` with `pv` is active (spec §5).
    pub fn is_active(&self, pv: Decimal) -> bool {
        match &self.activity {
            Some(a) if !a.min_pv.is_zero() => pv >= a.min_pv,
            _ => true,
        }
    }

    /// The unilevel depth of each rank (spec §7), then of "no rank" last.
    pub fn unilevel_depths(&self) -> Vec<u32> {
        let unranked = self.unilevel.as_ref().map_or(0, |u| u.unranked_depth);
        self.depths(unranked, |r| r.unilevel_depth)
    }

    /// The matching depth of each rank (spec §18), then of "no rank" last.
    pub fn matching_depths(&self) -> Vec<u32> {
        let unranked = self.matching.as_ref().map_or(0, |m| m.unranked_depth);
        self.depths(unranked, |r| r.matching_depth)
    }

    /// A rank's own depth, else that of the nearest lower rank that sets one, else `unranked`.
    fn depths(&self, unranked: u32, field: impl Fn(&Rank) -> Option<u32>) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.ranks.len() + 1);
        let mut current = unranked;
        for r in &self.ranks {
            if let Some(d) = field(r) {
                current = d;
            }
            out.push(current);
        }
        out.push(unranked);
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlan {
    id: input::Id,
    version: Num,
    currency: String,
    period: String,
    activity: Option<RawActivity>,
    retail: Option<RawRetail>,
    unilevel: Option<RawUnilevel>,
    binary: Option<RawBinary>,
    matrix: Option<RawMatrix>,
    ranks: Option<Vec<RawRank>>,
    compliance: Option<RawCompliance>,
    payout: Option<RawPayout>,
    fast_start: Option<RawFastStart>,
    matching: Option<RawMatching>,
    #[serde(default, deserialize_with = "input::nullable")]
    pools: Option<Option<Vec<RawPool>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFastStart {
    rates: Vec<Num>,
    days: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatching {
    rates: Vec<Num>,
    #[serde(default, deserialize_with = "input::nullable")]
    of: Option<Option<Vec<String>>>,
    unranked_depth: Option<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPool {
    name: Id,
    share: Num,
    rank: String,
    #[serde(default, deserialize_with = "input::nullable")]
    split: Option<Option<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActivity {
    min_pv: Option<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetail {
    rate: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnilevel {
    rates: Vec<Num>,
    compression: Option<bool>,
    unranked_depth: Option<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinary {
    rate: Num,
    cap: Option<Num>,
    carry_forward: Option<bool>,
    placement: Option<String>,
    qualification: Option<RawQualification>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQualification {
    left: Option<Num>,
    right: Option<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix {
    width: Num,
    rates: Vec<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRank {
    name: String,
    min_pv: Option<Num>,
    min_gv: Option<Num>,
    min_legs: Option<RawMinLegs>,
    unilevel_depth: Option<Num>,
    matching_depth: Option<Num>,
    advancement_bonus: Option<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMinLegs {
    count: Num,
    rank: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompliance {
    min_retail_ratio: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayout {
    min_amount: Option<Num>,
}

const ZERO: Option<Decimal> = Some(Decimal::ZERO);
const ONE: Option<Decimal> = Some(Decimal::ONE);

fn rates(c: &mut Checker, list: &[Num], at: &str) -> Vec<Decimal> {
    if list.is_empty() {
        c.err(at, "must not be empty");
    }
    if list.len() > u16::MAX as usize {
        c.err(at, "has too many levels");
    }
    list.iter().enumerate().map(|(i, r)| c.bounded(r, ZERO, ONE, || format!("{at}[{i}]")).unwrap_or_default()).collect()
}

/// Money settings (`cap`, `min_amount`): not negative, at most 2 decimals.
fn money(c: &mut Checker, n: &Num, at: &str) -> Decimal {
    let v = c.bounded(n, ZERO, None, || at.to_string()).unwrap_or_default();
    if v.normalize().scale() > 2 {
        c.err(at, format!("must have at most 2 decimals, not {v}"));
    }
    v
}

fn count(c: &mut Checker, n: &Num, min: i64, at: &str) -> u32 {
    c.integer(n, min, || at.to_string()).and_then(|v| u32::try_from(v).ok()).unwrap_or_default()
}

fn check_matching(c: &mut Checker, m: RawMatching, p: &dyn Fn(&str) -> String) -> Matching {
    let rates = rates(c, &m.rates, &p("matching.rates"));
    let mut of = Vec::new();
    match m.of {
        None => of.push(Kind::Unilevel),
        Some(None) => c.err(p("matching.of"), "must be a list of kinds, not null"),
        Some(Some(list)) => {
            if list.is_empty() {
                c.err(p("matching.of"), "must not be empty");
            }
            for (i, k) in list.iter().enumerate() {
                let kind = match k.as_str() {
                    "unilevel" => Kind::Unilevel,
                    "binary" => Kind::Binary,
                    "matrix" => Kind::Matrix,
                    "fast_start" => Kind::FastStart,
                    other => {
                        c.err(
                            p(&format!("matching.of[{i}]")),
                            format!("must be unilevel, binary, matrix or fast_start, not {other:?}"),
                        );
                        continue;
                    }
                };
                if of.contains(&kind) {
                    c.err(p(&format!("matching.of[{i}]")), format!("duplicate kind {k:?}"));
                }
                of.push(kind);
            }
        }
    }
    let unranked_depth = match m.unranked_depth {
        Some(n) => count(c, &n, 0, &p("matching.unranked_depth")),
        None => rates.len() as u32,
    };
    Matching { rates, of, unranked_depth }
}

fn check_pools(c: &mut Checker, raw: Vec<RawPool>, ranks: &[Rank], p: &dyn Fn(&str) -> String) -> Vec<Pool> {
    let mut pools: Vec<Pool> = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let at = |k: &str| p(&format!("pools[{i}].{k}"));
        if r.name.0.trim().is_empty() {
            c.err(at("name"), "must have a non-blank character");
        } else if pools.iter().any(|x| x.name == r.name.0) {
            c.err(at("name"), format!("duplicate pool name {:?}", r.name.0));
        }
        let rank = ranks.iter().position(|k| k.name == r.rank).unwrap_or_else(|| {
            c.err(at("rank"), format!("{:?} is not a rank of the plan", r.rank));
            0
        });
        let split = match r.split.as_ref().map(Option::as_deref) {
            None | Some(Some("equal")) => Split::Equal,
            Some(Some("gv")) => Split::Gv,
            Some(None) => {
                c.err(at("split"), "must be equal or gv, not null");
                Split::Equal
            }
            Some(Some(other)) => {
                c.err(at("split"), format!("must be equal or gv, not {other:?}"));
                Split::Equal
            }
        };
        let share = c.bounded(&r.share, ZERO, ONE, || at("share")).unwrap_or_default();
        pools.push(Pool { name: r.name.0, share, rank, split });
    }
    pools
}

impl RawPlan {
    pub(crate) fn check(self, prefix: &str) -> Result<Plan, InputErrors> {
        let p = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
        let mut c = Checker::default();
        if self.id.0.is_empty() {
            c.err(p("id"), "must not be empty");
        }
        let version = c.integer(&self.version, 1, || p("version")).unwrap_or(1);
        if self.currency.trim().is_empty() {
            c.err(p("currency"), "must not be empty");
        }
        let period = match self.period.as_str() {
            "month" => PeriodKind::Month,
            "week" => PeriodKind::Week,
            other => {
                c.err(p("period"), format!("must be month or week, not {other:?}"));
                PeriodKind::Month
            }
        };
        let activity = self.activity.map(|a| Activity {
            min_pv: a.min_pv.and_then(|m| c.bounded(&m, ZERO, None, || p("activity.min_pv"))).unwrap_or_default(),
        });
        let retail = self
            .retail
            .map(|r| Retail { rate: c.bounded(&r.rate, ZERO, ONE, || p("retail.rate")).unwrap_or_default() });
        let unilevel = self.unilevel.map(|u| {
            let rates = rates(&mut c, &u.rates, &p("unilevel.rates"));
            let unranked_depth = match u.unranked_depth {
                Some(n) => count(&mut c, &n, 0, &p("unilevel.unranked_depth")),
                None => rates.len() as u32,
            };
            Unilevel { rates, compression: u.compression.unwrap_or(true), unranked_depth }
        });
        let binary = self.binary.map(|b| {
            let placement = match b.placement.as_deref() {
                Some("extreme_left") => BinaryPlacement::ExtremeLeft,
                Some("extreme_right") => BinaryPlacement::ExtremeRight,
                Some("weaker_leg") => BinaryPlacement::WeakerLeg,
                Some("alternate") => BinaryPlacement::Alternate,
                Some(other) => {
                    c.err(
                        p("binary.placement"),
                        format!("must be extreme_left, extreme_right, weaker_leg or alternate, not {other:?}"),
                    );
                    BinaryPlacement::ExtremeLeft
                }
                None => {
                    c.err(p("binary.placement"), "is required when binary is on");
                    BinaryPlacement::ExtremeLeft
                }
            };
            let (mut ql, mut qr) = (0, 0);
            if let Some(q) = &b.qualification {
                if let Some(n) = &q.left {
                    ql = count(&mut c, n, 0, &p("binary.qualification.left"));
                }
                if let Some(n) = &q.right {
                    qr = count(&mut c, n, 0, &p("binary.qualification.right"));
                }
            }
            Binary {
                rate: c.bounded(&b.rate, ZERO, ONE, || p("binary.rate")).unwrap_or_default(),
                cap: b.cap.map(|n| money(&mut c, &n, &p("binary.cap"))),
                carry_forward: b.carry_forward.unwrap_or(true),
                placement,
                qualify_left: ql,
                qualify_right: qr,
            }
        });
        let matrix = self.matrix.map(|m| Matrix {
            width: count(&mut c, &m.width, 1, &p("matrix.width")),
            rates: rates(&mut c, &m.rates, &p("matrix.rates")),
        });
        let mut ranks = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, r) in self.ranks.unwrap_or_default().into_iter().enumerate() {
            let at = |k: &str| p(&format!("ranks[{i}].{k}"));
            if r.name.is_empty() {
                c.err(at("name"), "must not be empty");
            }
            if seen.contains_key(&r.name) {
                c.err(at("name"), format!("duplicate rank name {:?}", r.name));
            }
            let min_legs = r.min_legs.map(|l| MinLegs {
                count: count(&mut c, &l.count, 1, &at("min_legs.count")),
                rank: match seen.get(&l.rank) {
                    Some(&j) => j,
                    None => {
                        c.err(at("min_legs.rank"), format!("{:?} is not a lower rank", l.rank));
                        0
                    }
                },
            });
            let rank = Rank {
                min_pv: r.min_pv.and_then(|n| c.bounded(&n, ZERO, None, || at("min_pv"))),
                min_gv: r.min_gv.and_then(|n| c.bounded(&n, ZERO, None, || at("min_gv"))),
                min_legs,
                unilevel_depth: r.unilevel_depth.map(|n| count(&mut c, &n, 0, &at("unilevel_depth"))),
                matching_depth: r.matching_depth.map(|n| count(&mut c, &n, 0, &at("matching_depth"))),
                advancement_bonus: r.advancement_bonus.map(|n| money(&mut c, &n, &at("advancement_bonus"))),
                name: r.name,
            };
            seen.entry(rank.name.clone()).or_insert(i);
            ranks.push(rank);
        }
        let compliance = self.compliance.map(|k| Compliance {
            min_retail_ratio: c
                .bounded(&k.min_retail_ratio, ZERO, ONE, || p("compliance.min_retail_ratio"))
                .unwrap_or_default(),
        });
        let payout = Payout {
            min_amount: self
                .payout
                .and_then(|po| po.min_amount)
                .map(|n| money(&mut c, &n, &p("payout.min_amount")))
                .unwrap_or_default(),
        };
        let fast_start = self.fast_start.map(|f| FastStart {
            rates: rates(&mut c, &f.rates, &p("fast_start.rates")),
            days: count(&mut c, &f.days, 1, &p("fast_start.days")),
        });
        let matching = self.matching.map(|m| check_matching(&mut c, m, &p));
        if matches!(self.pools, Some(None)) {
            c.err(p("pools"), "must be a list of pools, not null");
        }
        let pools = check_pools(&mut c, self.pools.flatten().unwrap_or_default(), &ranks, &p);
        let plan = Plan {
            fast_start,
            matching,
            pools,
            id: self.id.0,
            version,
            currency: self.currency,
            period,
            activity,
            retail,
            unilevel,
            binary,
            matrix,
            ranks,
            compliance,
            payout,
        };
        c.finish(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
id: acme-2026
version: 1
currency: USD
period: month
activity: { min_pv: 50 }
retail: { rate: "0.20" }
unilevel: { rates: ["0.05", "0.04", "0.03"], compression: true, unranked_depth: 2 }
binary: { rate: "0.10", cap: "500", carry_forward: true, placement: weaker_leg, qualification: { left: 1, right: 1 } }
matrix: { width: 3, rates: ["0.02", "0.02", "0.02"] }
ranks:
  - { name: Bronze, min_pv: 50, min_gv: 500 }
  - { name: Silver, min_pv: 100, min_gv: 2000, min_legs: { count: 2, rank: Bronze }, unilevel_depth: 3 }
compliance: { min_retail_ratio: "0.30" }
payout: { min_amount: "25" }
"#;

    fn errors(text: &str) -> Vec<String> {
        Plan::from_text(text, Format::Yaml, "plan").unwrap_err().0.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn loads_the_spec_example() {
        let plan = Plan::from_text(FULL, Format::Yaml, "").unwrap();
        assert_eq!(plan.label(), "acme-2026@1");
        assert_eq!(plan.retail.as_ref().unwrap().rate.to_string(), "0.20");
        assert_eq!(plan.ranks[1].min_legs, Some(MinLegs { count: 2, rank: 0 }));
        assert_eq!(plan.binary.as_ref().unwrap().placement, BinaryPlacement::WeakerLeg);
        assert_eq!(plan.unilevel_depths(), vec![2, 3, 2]);
        assert_eq!(plan.payout.min_amount.to_string(), "25");
    }

    #[test]
    fn errors_name_the_key() {
        let e = errors(&FULL.replace("\"0.05\", \"0.04\"", "\"1.5\", \"0.04\""));
        assert_eq!(e, vec!["plan.unilevel.rates[0]: must be between 0 and 1, not 1.5"]);
        let e = errors(&FULL.replace("rank: Bronze", "rank: Gold"));
        assert_eq!(e, vec!["plan.ranks[1].min_legs.rank: \"Gold\" is not a lower rank"]);
        let e = errors(&FULL.replace("name: Silver", "name: Bronze"));
        assert!(e[0].starts_with("plan.ranks[1].name: duplicate rank name"), "{e:?}");
        let e = errors(&FULL.replace("width: 3", "width: 0"));
        assert_eq!(e, vec!["plan.matrix.width: must be an integer ≥ 1"]);
        let e = errors(&FULL.replace("cap: \"500\"", "cap: \"500.125\""));
        assert_eq!(e, vec!["plan.binary.cap: must have at most 2 decimals, not 500.125"]);
        let e = errors(&FULL.replace("cap: \"500\"", "cap: -1"));
        assert_eq!(e, vec!["plan.binary.cap: must not be negative, not -1"]);
        let e = errors(&FULL.replace("period: month", "period: month\nbonus: 1"));
        assert!(e[0].starts_with("plan.bonus: unknown key"), "{e:?}");
        let e = errors(&FULL.replace("rates: [\"0.02\", \"0.02\", \"0.02\"]", "rates: []"));
        assert_eq!(e, vec!["plan.matrix.rates: must not be empty"]);
        let e = errors(&FULL.replace("min_retail_ratio: \"0.30\"", "min_retail_ratio: 2"));
        assert_eq!(e, vec!["plan.compliance.min_retail_ratio: must be between 0 and 1, not 2"]);
        let e = errors(&FULL.replace(", placement: weaker_leg", ""));
        assert_eq!(e, vec!["plan.binary.placement: is required when binary is on"]);
        let e = errors(&FULL.replace("min_amount: \"25\"", "min_amount: -25"));
        assert_eq!(e, vec!["plan.payout.min_amount: must not be negative, not -25"]);
        let e = errors(&FULL.replace("activity: { min_pv: 50 }", "activity: { min_pv: -5 }"));
        assert_eq!(e, vec!["plan.activity.min_pv: must not be negative, not -5"]);
        let e = errors(&FULL.replace("unranked_depth: 2", "unranked_depth: 1.5"));
        assert_eq!(e, vec!["plan.unilevel.unranked_depth: must be an integer ≥ 0"]);
        let e = errors("id: x\nversion: 1\ncurrency: USD\n");
        assert_eq!(e, vec!["plan.period: is required"]);
    }
}
