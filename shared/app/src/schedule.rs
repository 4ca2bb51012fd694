//! The daily tick (EventBridge schedule; `mlm serve`'s own timer): close every period before the
//! current one that is not closed yet and queue its payouts, then refresh the open period's
//! ranks and compliance (its statement as it would close now, for the dashboard).

use crate::standing::publish;
use async_trait::async_trait;
use mlm_engine::period::{Period, Timestamp};
use mlm_ledger::port::Store;
use mlm_ledger::service::{Ledger, LedgerError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

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

/// Collection `published`: closed period → its final standings are published.
pub const PUBLISHED: &str = "published";
/// Collection `holds`: distributor → [`Hold`] (an admin's payment hold).
pub const HOLDS: &str = "holds";
/// Collection `withheld`: `period#distributor` → a [`Payout`] kept back by a hold.
pub const WITHHELD: &str = "withheld";

/// An admin's hold on a distributor's payouts: its commissions are still computed and shown;
/// its payouts wait in `withheld` until the hold is released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub reason: String,
    pub since: String,
    pub by: String,
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
    report.payouts = settle(ledger, sink, now).await?;
    let open = current.to_string();
    if let Some(statement) = ledger.preview(&open).await? {
        publish(ledger, &statement, false, &now.to_rfc3339()).await.map_err(publish_error)?;
        report.refreshed = Some(open);
    }
    Ok(report)
}

/// After a close (by the tick or an admin): publishes the final standings of every closed
/// period not published yet and queues its payouts, keeping held distributors' back. A failure
/// midway is caught up by the next call, and the sinks are idempotent per period and
/// distributor, so a payout is neither lost nor paid twice. Returns how many were queued.
pub async fn settle<S: Store>(ledger: &Ledger<S>, sink: &dyn PayoutSink, now: Timestamp) -> Result<usize, TickError> {
    publish_closed(ledger, now).await?;
    let store = &ledger.store;
    let mut queued = 0;
    for period in store.closed_periods().await.map_err(LedgerError::from)? {
        if store.doc(PAYOUTS_QUEUED, &period).await.map_err(LedgerError::from)?.is_some() {
            continue;
        }
        let statement = ledger.statement(&period).await?.unwrap_or_default();
        let holds: std::collections::HashSet<String> =
            store.docs(HOLDS).await.map_err(LedgerError::from)?.into_iter().map(|(k, _)| k).collect();
        let (held, payouts): (Vec<Payout>, Vec<Payout>) = payouts_of(&statement)
            .map_err(TickError::Payouts)?
            .into_iter()
            .partition(|p| holds.contains(&p.distributor));
        let withheld: Vec<(String, String, String)> = held
            .iter()
            .map(|p| {
                (
                    WITHHELD.into(),
                    format!("{}#{}", p.period, p.distributor),
                    serde_json::to_string(p).expect("payouts serialize"),
                )
            })
            .collect();
        store.put_docs(&withheld).await.map_err(LedgerError::from)?;
        sink.queue(&payouts).await.map_err(TickError::Payouts)?;
        let mark = serde_json::json!({ "payouts": payouts.len(), "withheld": held.len() }).to_string();
        store.put_doc(PAYOUTS_QUEUED, &period, &mark).await.map_err(LedgerError::from)?;
        tracing::info!(%period, payouts = payouts.len(), withheld = held.len(), "payouts queued");
        queued += payouts.len();
    }
    Ok(queued)
}

/// Publishes the final standings of every closed period not published yet (what `mlm
/// close-period` does after its close; payouts are left to the schedule's sink).
pub async fn publish_closed<S: Store>(ledger: &Ledger<S>, now: Timestamp) -> Result<Vec<String>, TickError> {
    let store = &ledger.store;
    let mut done = Vec::new();
    for period in store.closed_periods().await.map_err(LedgerError::from)? {
        if store.doc(PUBLISHED, &period).await.map_err(LedgerError::from)?.is_some() {
            continue;
        }
        let statement = ledger.statement(&period).await?.unwrap_or_default();
        publish(ledger, &statement, true, &now.to_rfc3339()).await.map_err(publish_error)?;
        store.put_doc(PUBLISHED, &period, "{}").await.map_err(LedgerError::from)?;
        done.push(period);
    }
    Ok(done)
}

/// Releases a distributor's hold: its withheld payouts are queued, then forgotten. Returns them.
pub async fn release<S: Store>(ledger: &Ledger<S>, sink: &dyn PayoutSink, id: &str) -> Result<Vec<Payout>, TickError> {
    let store = &ledger.store;
    let mut mine = Vec::new();
    for (k, text) in store.docs(WITHHELD).await.map_err(LedgerError::from)? {
        let p: Payout = serde_json::from_str(&text).map_err(|e| TickError::Payouts(format!("withheld {k}: {e}")))?;
        if p.distributor == id {
            mine.push((k, p));
        }
    }
    let payouts: Vec<Payout> = mine.iter().map(|(_, p)| p.clone()).collect();
    sink.queue(&payouts).await.map_err(TickError::Payouts)?;
    for (k, _) in &mine {
        store.delete_doc(WITHHELD, k).await.map_err(LedgerError::from)?;
    }
    store.delete_doc(HOLDS, id).await.map_err(LedgerError::from)?;
    Ok(payouts)
}

fn publish_error(e: crate::standing::PublishError) -> TickError {
    match e {
        crate::standing::PublishError::Ledger(e) => TickError::Ledger(e),
        crate::standing::PublishError::Statement(m) => TickError::Payouts(format!("standings: {m}")),
    }
}

/// The tick with the reconcile first, so that orders whose webhooks were lost are in the ledger
/// before their period closes (`mlm serve`'s timer; in AWS the reconcile function has its own
/// hourly schedule). Until a first `mlm reconcile --since` has set a watermark the step is
/// skipped. A failed reconcile is logged for the alarm and the tick goes on: the next run
/// catches up from its watermark.
pub async fn tick_reconciled<S: Store, C: mlm_sync::commerce::Commerce>(
    sync: &mlm_sync::Sync<S, C>,
    now: Timestamp,
    sink: &dyn PayoutSink,
    destination: Option<&str>,
) -> Result<TickReport, TickError> {
    use mlm_sync::reconcile::Options;
    match sync.watermark().await {
        Ok(None) => tracing::info!("reconcile skipped: no watermark yet (run `mlm reconcile --since` once)"),
        Ok(Some(_)) => {
            let opts = Options { destination: destination.map(str::to_string), ..Options::default() };
            match sync.reconcile(&opts, &mut |_| {}).await {
                Ok(r) => {
                    tracing::info!(reconciled = r.reconciled, missed = r.written.len(), watermark = %r.watermark, "reconcile");
                    for (scope, why) in &r.hooks.failed {
                        tracing::error!(needs_attention = 1, scope = %scope, reason = %why, "webhook not active");
                    }
                }
                Err(e) => tracing::error!(needs_attention = 1, error = %e, "reconcile failed; the tick goes on"),
            }
        }
        Err(e) => tracing::error!(needs_attention = 1, error = %e, "reconcile watermark unreadable"),
    }
    tick(&sync.ledger, now, sink).await
}
