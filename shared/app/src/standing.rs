//! Standings: each distributor's figures of a period (spec §16's entry, plus what a dashboard
//! needs and the statement does not say: progress to the next rank, tree positions, who it
//! sponsored), published as one small document per distributor and period when a period closes
//! and on every daily refresh of the open one. A dashboard request then reads a few documents,
//! never a statement of the whole network.

use mlm_engine::genealogy::{Network, NONE};
use mlm_engine::scenario::Leg;
use mlm_engine::Plan;
use mlm_ledger::model::DistributorRecord;
use mlm_ledger::port::Store;
use mlm_ledger::service::{Ledger, LedgerError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Collection `standing#{id}`: period → [`Standing`].
pub fn collection(id: &str) -> String {
    format!("standing#{id}")
}
/// Collection `compliance`: period → [`Compliance`].
pub const COMPLIANCE: &str = "compliance";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    pub period: String,
    /// Closed (the figures are final) or a refresh of the open period.
    #[serde(rename = "final")]
    pub closed: bool,
    /// When the figures were computed (RFC 3339, UTC).
    pub as_of: String,
    pub id: String,
    pub sponsor: Option<String>,
    pub pv: Decimal,
    pub bv: Decimal,
    pub gv: Decimal,
    pub active: bool,
    pub rank: Option<String>,
    /// Career title (spec §19): the highest rank held so far; it never falls.
    #[serde(default)]
    pub title: Option<String>,
    /// The next rank up and each of its requirements (none at the top rank or without ranks).
    pub next_rank: Option<NextRank>,
    pub retail_ratio: Option<Decimal>,
    pub compliant: bool,
    pub binary: Option<BinaryStanding>,
    pub matrix: Option<MatrixPosition>,
    pub earnings: Earnings,
    pub balance_in: Decimal,
    pub payout: Decimal,
    pub balance_out: Decimal,
    /// Personally sponsored distributors, in enrollment order (the downline's next level).
    pub sponsored: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextRank {
    pub rank: String,
    pub requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// `min_pv`, `min_gv` or `min_legs`.
    pub requirement: String,
    pub description: String,
    pub needed: Decimal,
    pub reached: Decimal,
    pub missing: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryStanding {
    pub parent: Option<String>,
    pub leg: Option<String>,
    pub left: Decimal,
    pub right: Decimal,
    pub carry_left: Decimal,
    pub carry_right: Decimal,
    pub paired: Decimal,
    pub qualified: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixPosition {
    pub parent: Option<String>,
    /// Depth below the matrix root (the root is level 0).
    pub level: u32,
    /// 1-based slot under `parent`.
    pub position: u32,
    pub children: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Earnings {
    pub retail: Decimal,
    pub unilevel: Decimal,
    pub binary: Decimal,
    pub matrix: Decimal,
    // Plan v2 kinds (spec §17–§21); absent in statements written before them.
    #[serde(default)]
    pub fast_start: Decimal,
    #[serde(default)]
    pub matching: Decimal,
    #[serde(default)]
    pub rank_bonus: Decimal,
    #[serde(default)]
    pub pool: Decimal,
    #[serde(default)]
    pub adjustment: Decimal,
    pub clawback: Decimal,
    pub held: Decimal,
    pub payable: Decimal,
}

/// The company's compliance report of a period (spec §13).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compliance {
    pub period: String,
    #[serde(rename = "final")]
    pub closed: bool,
    pub as_of: String,
    pub currency: String,
    pub min_retail_ratio: Option<Decimal>,
    pub company: serde_json::Value,
    pub distributors: Vec<ComplianceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceRow {
    pub id: String,
    pub retail_ratio: Option<Decimal>,
    pub compliant: bool,
    pub held: Decimal,
}

/// A §16 statement (`Ledger::statement`), or one period's entry alone (`Ledger::preview`).
#[derive(Deserialize)]
#[serde(untagged)]
enum StatementDoc {
    Whole { periods: Vec<PeriodEntry> },
    Entry(PeriodEntry),
}

#[derive(Deserialize)]
struct PeriodEntry {
    period: String,
    company: serde_json::Value,
    distributors: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    id: String,
    pv: Decimal,
    bv: Decimal,
    gv: Decimal,
    active: bool,
    rank: Option<String>,
    #[serde(default)]
    title: Option<String>,
    retail_ratio: Option<Decimal>,
    compliant: bool,
    binary: Option<BinaryFigures>,
    earnings: Earnings,
    balance_in: Decimal,
    payout: Decimal,
    balance_out: Decimal,
}

#[derive(Deserialize)]
struct BinaryFigures {
    left: Decimal,
    right: Decimal,
    carry_left: Decimal,
    carry_right: Decimal,
    paired: Decimal,
    qualified: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("statement: {0}")]
    Statement(String),
}

/// The standings and the compliance report of every period in `statement` (§16 JSON), pure:
/// `distributors` in enrollment order, `plan` the plan in force.
pub fn standings(
    statement: &str,
    distributors: &[DistributorRecord],
    plan: &Plan,
    closed: bool,
    as_of: &str,
) -> Result<Vec<(Vec<Standing>, Compliance)>, String> {
    let periods = match serde_json::from_str(statement).map_err(|e| e.to_string())? {
        StatementDoc::Whole { periods } => periods,
        StatementDoc::Entry(p) => vec![p],
    };
    let mut net = Network::new(plan);
    for d in distributors {
        let placement =
            d.placement.as_ref().map(|(p, l)| (p.as_str(), if l == "right" { Leg::Right } else { Leg::Left }));
        net.add(&d.id, d.sponsor.as_deref(), placement).map_err(|e| format!("distributor {}: {}", d.id, e.message))?;
    }
    let n = net.len();
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (d, &s) in net.sponsor.iter().enumerate() {
        if s != NONE {
            children[s as usize].push(d as u32);
        }
    }
    let name = |i: u32| (i != NONE).then(|| net.ids[i as usize].clone());
    let mut out = Vec::new();
    for p in periods {
        if p.distributors.len() != n {
            return Err(format!("period {}: {} distributors, the ledger has {n}", p.period, p.distributors.len()));
        }
        // Rank index per distributor (1-based, 0 none) and the highest in each sponsor subtree:
        // a child's index is always above its sponsor's, so one reverse pass suffices.
        let rank_index = |r: &Option<String>| {
            r.as_ref().and_then(|r| plan.ranks.iter().position(|k| &k.name == r)).map_or(0, |k| k + 1)
        };
        let rank: Vec<usize> = p.distributors.iter().map(|e| rank_index(&e.rank)).collect();
        let mut best = rank.clone();
        for d in (0..n).rev() {
            let s = net.sponsor[d];
            if s != NONE {
                best[s as usize] = best[s as usize].max(best[d]);
            }
        }
        let mut list = Vec::with_capacity(n);
        let mut rows = Vec::with_capacity(n);
        for (d, e) in p.distributors.into_iter().enumerate() {
            if e.id != net.ids[d] {
                return Err(format!("period {}: distributor {} is {}, expected {}", p.period, d, e.id, net.ids[d]));
            }
            let next_rank = plan.ranks.get(rank[d]).map(|next| {
                let mut requirements = Vec::new();
                let mut req = |requirement: &str, description: String, needed: Decimal, reached: Decimal| {
                    requirements.push(Requirement {
                        requirement: requirement.into(),
                        description,
                        needed,
                        reached,
                        missing: (needed - reached).max(Decimal::ZERO),
                    })
                };
                if let Some(v) = next.min_pv {
                    req("min_pv", format!("personal volume of at least {v}"), v, e.pv);
                }
                if let Some(v) = next.min_gv {
                    req("min_gv", format!("group volume of at least {v}"), v, e.gv);
                }
                if let Some(l) = &next.min_legs {
                    let legs = children[d].iter().filter(|&&f| best[f as usize] > l.rank).count();
                    req(
                        "min_legs",
                        format!(
                            "{} personally sponsored legs with a {} or higher in them",
                            l.count, plan.ranks[l.rank].name
                        ),
                        Decimal::from(l.count),
                        Decimal::from(legs),
                    );
                }
                NextRank { rank: next.name.clone(), requirements }
            });
            let binary = e.binary.map(|b| {
                let tree = net.binary.as_ref();
                let parent = tree.map_or(NONE, |t| t.parent[d]);
                let leg = tree
                    .filter(|_| parent != NONE)
                    .map(|t| if t.left[parent as usize] == d as u32 { "left" } else { "right" }.to_string());
                BinaryStanding {
                    parent: name(parent),
                    leg,
                    left: b.left,
                    right: b.right,
                    carry_left: b.carry_left,
                    carry_right: b.carry_right,
                    paired: b.paired,
                    qualified: b.qualified,
                }
            });
            let matrix = net.matrix.as_ref().map(|m| {
                let parent = m.parent[d];
                let level = mlm_engine::genealogy::chain(parent, |x| m.parent[x as usize]).count() as u32;
                let position = if parent == NONE {
                    1
                } else {
                    m.children[parent as usize].iter().position(|&c| c == d as u32).map_or(0, |i| i as u32 + 1)
                };
                MatrixPosition { parent: name(parent), level, position, children: m.children[d].len() as u32 }
            });
            rows.push(ComplianceRow {
                id: e.id.clone(),
                retail_ratio: e.retail_ratio,
                compliant: e.compliant,
                held: e.earnings.held,
            });
            list.push(Standing {
                period: p.period.clone(),
                closed,
                as_of: as_of.to_string(),
                sponsor: name(net.sponsor[d]),
                id: e.id,
                pv: e.pv,
                bv: e.bv,
                gv: e.gv,
                active: e.active,
                rank: e.rank,
                title: e.title,
                next_rank,
                retail_ratio: e.retail_ratio,
                compliant: e.compliant,
                binary,
                matrix,
                earnings: e.earnings,
                balance_in: e.balance_in,
                payout: e.payout,
                balance_out: e.balance_out,
                sponsored: children[d].iter().map(|&c| net.ids[c as usize].clone()).collect(),
            });
        }
        let compliance = Compliance {
            period: p.period,
            closed,
            as_of: as_of.to_string(),
            currency: plan.currency.clone(),
            min_retail_ratio: plan.compliance.as_ref().map(|c| c.min_retail_ratio),
            company: p.company,
            distributors: rows,
        };
        out.push((list, compliance));
    }
    Ok(out)
}

/// Publishes the standings of every period in `statement`. Returns how many were written.
pub async fn publish<S: Store>(
    ledger: &Ledger<S>,
    statement: &str,
    closed: bool,
    as_of: &str,
) -> Result<usize, PublishError> {
    let plan = ledger.plan().await?;
    let distributors = ledger.store.distributors().await.map_err(LedgerError::from)?;
    let periods = standings(statement, &distributors, &plan, closed, as_of).map_err(PublishError::Statement)?;
    let mut written = 0;
    for (list, compliance) in periods {
        let mut docs: Vec<(String, String, String)> = list
            .iter()
            .map(|s| (collection(&s.id), s.period.clone(), serde_json::to_string(s).expect("standings serialize")))
            .collect();
        docs.push((
            COMPLIANCE.into(),
            compliance.period.clone(),
            serde_json::to_string(&compliance).expect("reports serialize"),
        ));
        ledger.store.put_docs(&docs).await.map_err(LedgerError::from)?;
        written += list.len();
    }
    Ok(written)
}
