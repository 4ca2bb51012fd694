//! The daily tick (EventBridge schedule; `mlm serve`'s own timer): close every period before the
//! current one that is not closed yet and queue its payouts, then refresh the open period's
//! ranks and compliance (its statement as it would close now, for the dashboard).

use async_trait::async_trait;
use mlm_engine::period::{Period, Timestamp};
use mlm_ledger::port::Store;
use mlm_ledger::service::{Ledger, LedgerError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Collection `preview`: period → the open period's statement as of the last tick.
pub const PREVIEW: &str = "preview";
/// Collection `payouts-queued`: closed period → how many payouts were handed to the sink.
pub const PAYOUTS_QUEUED: &str = "payouts-queued";

/// One distributor's payout of a closed period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    pub period: String,
    pub distributor: String,
    pub amount: Decimal,
    pub currency: String,
}

/// Where payouts go for payment (an SQS queue in AWS, a ledger collection locally).
#[async_trait]
pub trait PayoutSink: Send + Sync {
    /// Idempotent per `(period, distributor)`: a repeated tick never pays twice.
    async fn queue(&self, payouts: &[Payout]) -> Result<(), String>;
}

/// Payouts kept in the ledger (collection `payouts`, key `period#distributor`).
pub struct LedgerPayouts<S>(pub S);

#[async_trait]
impl<S: Store> PayoutSink for LedgerPayouts<S> {
    async fn queue(&self, payouts: &[Payout]) -> Result<(), String> {
        for p in payouts {
            let key = format!("{}#{}", p.period, p.distributor);
            let text = serde_json::to_string(p).expect("payouts serialize");
            self.0.put_doc("payouts", &key, &text).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TickError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("queueing payouts: {0}")]
    Payouts(String),
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub closed: Vec<String>,
    pub payouts: usize,
    /// The open period refreshed, if it has any activity.
    pub refreshed: Option<String>,
}

/// The payouts a closed period's statement (spec §16, as `Ledger::statement` gives it) queues:
/// every positive `payout`.
pub fn payouts_of(statement: &str) -> Result<Vec<Payout>, String> {
    #[derive(Deserialize)]
    struct Doc {
        currency: String,
        periods: Vec<St>,
    }
    #[derive(Deserialize)]
    struct St {
        period: String,
        distributors: Vec<D>,
    }
    #[derive(Deserialize)]
    struct D {
        id: String,
        payout: String,
    }
    let doc: Doc = serde_json::from_str(statement).map_err(|e| format!("statement: {e}"))?;
    let mut out = Vec::new();
    for st in doc.periods {
        for d in st.distributors {
            let amount: Decimal =
                d.payout.parse().map_err(|_| format!("statement: payout {:?} of {}", d.payout, d.id))?;
            if amount > Decimal::ZERO {
                out.push(Payout {
                    period: st.period.clone(),
                    distributor: d.id,
                    amount,
                    currency: doc.currency.clone(),
                });
            }
        }
    }
    Ok(out)
}

pub async fn tick<S: Store>(
    ledger: &Ledger<S>,
    now: Timestamp,
    sink: &dyn PayoutSink,
) -> Result<TickReport, TickError> {
    let plan = ledger.plan().await?;
    let current = Period::of(plan.period, now);
    let previous = Period { ordinal: current.ordinal - 1, ..current };
    // Closes the previous period and any earlier one still open (a missed tick catches up).
    let closed = ledger.close_period(&previous.to_string()).await?;
    let mut report = TickReport { closed, ..TickReport::default() };
    // Payouts of every closed period not queued yet: a tick that failed after its close queues
    // them on the next run, so a payout is never lost (sinks are idempotent per period and
    // distributor, so a repeat never pays twice).
    for period in ledger.store.closed_periods().await.map_err(LedgerError::from)? {
        if ledger.store.doc(PAYOUTS_QUEUED, &period).await.map_err(LedgerError::from)?.is_some() {
            continue;
        }
        let statement = ledger.statement(&period).await?.unwrap_or_default();
        let payouts = payouts_of(&statement).map_err(TickError::Payouts)?;
        sink.queue(&payouts).await.map_err(TickError::Payouts)?;
        let mark = serde_json::json!({ "payouts": payouts.len() }).to_string();
        ledger.store.put_doc(PAYOUTS_QUEUED, &period, &mark).await.map_err(LedgerError::from)?;
        tracing::info!(%period, payouts = payouts.len(), "payouts queued");
        report.payouts += payouts.len();
    }
    let open = current.to_string();
    if let Some(statement) = ledger.preview(&open).await? {
        ledger.store.put_doc(PREVIEW, &open, &statement).await.map_err(LedgerError::from)?;
        report.refreshed = Some(open);
    }
    Ok(report)
}
