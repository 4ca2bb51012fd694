//! Compliance (spec §13): a distributor whose retail ratio is below the plan's minimum has its
//! unilevel, binary, matrix, fast_start, matching, rank_bonus and pool lines held. Retail and
//! adjustment lines are never held; a clawback keeps the status of the line it reverses.

use crate::plan::Plan;
use crate::rules::volumes::Volumes;

/// Whether each distributor is compliant in the period.
pub fn compliant(plan: &Plan, v: &Volumes) -> Vec<bool> {
    v.retail_sales.iter().zip(&v.personal_sales).map(|(&r, &p)| plan.is_compliant(r, p)).collect()
}
