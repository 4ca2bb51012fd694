//! rank-compliance: the daily EventBridge schedule. Each tick closes every period before the
//! event's own (the first tick of a month closes the previous month; a missed tick catches up),
//! queues the closed periods' payouts, and refreshes the open period's ranks and compliance
//! for the dashboard. The work is mlm-app's `tick`; the clock is the event's `time`, so a
//! replayed event does what the original did.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use mlm_app::schedule::{tick, PayoutSink, TickError};
use mlm_engine::period::Timestamp;
use mlm_ledger::port::Store;
use mlm_ledger::service::Ledger;
use serde_json::{json, Value};

/// One tick at the event's time; answers what it did.
pub async fn handler<S: Store>(
    ledger: &Ledger<S>,
    sink: &dyn PayoutSink,
    event: EventBridgeEvent,
) -> Result<Value, TickError> {
    // Schedules always send `time`; a hand-made invocation without it ticks now.
    let nanos = event.time.and_then(|t| t.timestamp_nanos_opt()).unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        now.as_nanos() as i64
    });
    let at = Timestamp(nanos);
    let r = tick(ledger, at, sink).await?;
    tracing::info!(at = %at.to_rfc3339(), closed = ?r.closed, payouts = r.payouts, refreshed = ?r.refreshed, "tick done");
    Ok(json!({ "at": at.to_rfc3339(), "closed": r.closed, "payouts": r.payouts, "refreshed": r.refreshed }))
}
