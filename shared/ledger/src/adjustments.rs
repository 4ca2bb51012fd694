//! Manual adjustments (spec §21) and the income disclosure over closed periods (spec §22).
//!
//! An adjustment is a document of its own collection ([`COLLECTION`], keyed by its id), written
//! once and never changed: who recorded it and when are kept with it for audit. The ledger's
//! close replays the stored history through the engine, so every adjustment whose `at` falls in
//! the period being closed becomes that period's `adjustment` line. A closed period is never
//! changed: an adjustment whose `at` falls in one is refused (a correction is recorded with an
//! `at` in the open period).

use crate::port::Store;
use crate::service::{versions, Ledger, LedgerError};
use mlm_engine::disclosure::{range, Tally};
use mlm_engine::period::{Period, Timestamp};
use mlm_engine::scenario as sc;
use mlm_engine::simulate::plan_in;
use mlm_engine::{InputError, InputErrors};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The collection adjustments are stored in.
pub const COLLECTION: &str = "adjustments";

/// An adjustment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentRecord {
    pub id: String,
    pub distributor: String,
    /// When it applies (its period), nanoseconds since the epoch, UTC.
    pub at: i64,
    pub amount: Decimal,
    pub reason: String,
    /// Who recorded it (an admin's subject, or `cli:<user>`).
    pub recorded_by: String,
    /// When it was recorded, nanoseconds since the epoch.
    pub recorded_at: i64,
}

/// What a caller asks to record.
#[derive(Debug, Clone)]
pub struct NewAdjustment {
    pub distributor: String,
    pub amount: Decimal,
    pub reason: String,
    /// Defaults to now.
    pub at: Option<i64>,
}

fn invalid(errors: Vec<InputError>) -> LedgerError {
    LedgerError::Invalid(InputErrors(errors))
}

impl<S: Store> Ledger<S> {
    /// Records an adjustment after checking it: a known distributor, a non-zero amount of at
    /// most 2 decimals, a reason, and an `at` in a period that is not closed. Every problem is
    /// reported, each naming its field.
    pub async fn adjust(&self, a: NewAdjustment, who: &str, now: i64) -> Result<AdjustmentRecord, LedgerError> {
        let plan = self.plan().await?;
        let mut errors = Vec::new();
        let mut err = |path: &str, message: String| errors.push(InputError { path: path.into(), message });
        if self.store.distributor(&a.distributor).await?.is_none() {
            err("distributor", format!("unknown distributor {:?}", a.distributor));
        }
        if a.amount.is_zero() {
            err("amount", "must not be zero (a deduction is negative)".into());
        } else if a.amount.normalize().scale() > 2 {
            err("amount", format!("must have at most 2 decimals, not {}", a.amount));
        }
        if a.reason.trim().is_empty() {
            err("reason", "must have a non-blank character".into());
        }
        let at = a.at.unwrap_or(now);
        let period = Period::of(plan.period, Timestamp(at)).to_string();
        if self.store.closed_periods().await?.contains(&period) {
            err(
                "at",
                format!(
                    "{} falls in {period}, which is closed: record the correction with an `at` in the open period",
                    Timestamp(at).to_rfc3339()
                ),
            );
        }
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        let existing = self.store.docs(COLLECTION).await?.len();
        let record = AdjustmentRecord {
            id: format!("ADJ-{:06}", existing + 1),
            distributor: a.distributor,
            at,
            amount: a.amount,
            reason: a.reason.trim().to_string(),
            recorded_by: who.to_string(),
            recorded_at: now,
        };
        if self.store.doc(COLLECTION, &record.id).await?.is_some() {
            return Err(invalid(vec![InputError {
                path: "id".into(),
                message: format!("{} was just recorded by someone else; try again", record.id),
            }]));
        }
        let json = serde_json::to_string(&record).expect("records serialize");
        self.store.put_doc(COLLECTION, &record.id, &json).await?;
        Ok(record)
    }

    /// Every adjustment, in (`at`, recorded) order.
    pub async fn adjustments(&self) -> Result<Vec<AdjustmentRecord>, LedgerError> {
        let mut out: Vec<AdjustmentRecord> = Vec::new();
        for (key, json) in self.store.docs(COLLECTION).await? {
            let r = serde_json::from_str(&json).map_err(|e| {
                invalid(vec![InputError { path: format!("adjustments[{key}]"), message: e.to_string() }])
            })?;
            out.push(r);
        }
        out.sort_by(|a, b| (a.at, a.recorded_at, &a.id).cmp(&(b.at, b.recorded_at, &b.id)));
        Ok(out)
    }

    /// The adjustments as the engine's scenario takes them.
    pub async fn scenario_adjustments(&self) -> Result<Vec<sc::Adjustment>, LedgerError> {
        Ok(self
            .adjustments()
            .await?
            .into_iter()
            .map(|a| sc::Adjustment {
                id: a.id,
                distributor: a.distributor,
                at: Timestamp(a.at),
                amount: a.amount,
                reason: a.reason,
            })
            .collect())
    }

    /// The income disclosure (spec §22) over closed periods `from..=to` (default: every closed
    /// period), from the stored statements.
    pub async fn disclosure(&self, from: Option<&str>, to: Option<&str>) -> Result<serde_json::Value, LedgerError> {
        let (first, later) = versions(&self.store.plans().await?)?;
        let mut closed: Vec<Period> = Vec::new();
        for p in self.store.closed_periods().await? {
            closed.push(
                Period::parse(first.period, &p)
                    .map_err(|m| invalid(vec![InputError { path: "period".into(), message: m }]))?,
            );
        }
        closed.sort();
        let span = range(&first, &closed, from, to).map_err(LedgerError::Invalid)?;
        let ids: Vec<String> = self.store.distributors().await?.into_iter().map(|d| d.id).collect();
        let index: std::collections::HashMap<&str, usize> =
            ids.iter().enumerate().map(|(i, d)| (d.as_str(), i)).collect();
        let mut tally =
            Tally { from: None, to: None, earned: vec![Decimal::ZERO; ids.len()], title: vec![0; ids.len()] };
        let Some((f, t)) = span else { return Ok(tally.to_json(&first)) };
        (tally.from, tally.to) = (Some(f), Some(t));
        let plan = plan_in(&first, &later, t);
        for p in closed.iter().filter(|p| (f..=t).contains(p)) {
            let Some(entry) = self.store.statement(&p.to_string()).await? else { continue };
            let entry: Entry = serde_json::from_str(&entry)
                .map_err(|e| invalid(vec![InputError { path: format!("statement {p}"), message: e.to_string() }]))?;
            for d in entry.distributors {
                let Some(&i) = index.get(d.id.as_str()) else { continue };
                tally.earned[i] += d.earnings.payable;
                if *p == t {
                    let rank = d.title.and_then(|name| plan.ranks.iter().position(|r| r.name == name));
                    tally.title[i] = rank.map_or(0, |k| k as u8 + 1);
                }
            }
        }
        Ok(tally.to_json(plan))
    }
}

#[derive(Deserialize)]
struct Entry {
    distributors: Vec<EntryDistributor>,
}

#[derive(Deserialize)]
struct EntryDistributor {
    id: String,
    #[serde(default)]
    title: Option<String>,
    earnings: EntryEarnings,
}

#[derive(Deserialize)]
struct EntryEarnings {
    payable: Decimal,
}
