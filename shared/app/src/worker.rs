//! A batch of queue messages through the integration. Each message is handled on its own: an
//! unreadable one is parked with the reason (it would never read better on a retry), a transient
//! failure is reported so the queue redelivers it (and dead-letters it after its retries),
//! and on a FIFO queue the later messages of a failed message's group are reported too, so a
//! group is never processed out of order.

use crate::SharedSync;
use mlm_bigcommerce::events::Work;
use mlm_ledger::model::Parked;
use mlm_sync::Outcome;
use tracing::Instrument;

/// A queue record as the host delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub body: String,
    /// The FIFO message group, when the queue has one.
    pub group: Option<String>,
}

/// What a batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchReport {
    /// Ids of the records to redeliver (`batchItemFailures`).
    pub failed: Vec<String>,
    pub outcomes: Vec<(String, String)>,
}

/// The resource a message is about, for the log lines.
fn subject(w: &Work) -> (&'static str, i64) {
    match w {
        Work::Order { id } => ("order", *id),
        Work::Product { id, .. } => ("product", *id),
        Work::Sku { product_id, .. } => ("product", *product_id),
        Work::Customer { id, .. } => ("customer", *id),
    }
}

pub async fn process_batch(sync: &SharedSync, records: &[Record]) -> BatchReport {
    let mut report = BatchReport::default();
    let mut failed_groups: Vec<&str> = Vec::new();
    for r in records {
        if let Some(g) = r.group.as_deref() {
            if failed_groups.contains(&g) {
                report.failed.push(r.id.clone());
                continue;
            }
        }
        let message = match mlm_queue::decode(&r.body) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(message_id = %r.id, error = %e, needs_attention = 1, "unreadable message parked");
                let parked = Parked {
                    key: format!("message#{}", r.id),
                    source: format!("queue message {}", r.id),
                    reason: e.to_string(),
                    payload: r.body.clone(),
                };
                match sync.ledger.store.park(&parked).await {
                    Ok(()) => report.outcomes.push((r.id.clone(), format!("parked: {e}"))),
                    Err(e) => {
                        tracing::error!(message_id = %r.id, error = %e, "parking failed");
                        report.failed.push(r.id.clone());
                    }
                }
                continue;
            }
        };
        let (resource, id) = subject(&message.work);
        let span = tracing::info_span!("message", message_id = %r.id, webhook_id = %message.webhook_id, resource, id);
        let result = sync.handle(&message).instrument(span.clone()).await;
        let _in = span.enter();
        match result {
            Ok(outcome) => {
                let text = describe(&outcome);
                if matches!(outcome, Outcome::Parked(_)) {
                    tracing::warn!(needs_attention = 1, outcome = %text, "handled");
                } else {
                    tracing::info!(outcome = %text, "handled");
                }
                report.outcomes.push((r.id.clone(), text));
            }
            Err(e) => {
                tracing::error!(error = %e, "failed; the queue will redeliver it");
                report.failed.push(r.id.clone());
                if let Some(g) = r.group.as_deref() {
                    failed_groups.push(g);
                }
            }
        }
    }
    report
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Order(a) => format!("order: {a:?}"),
        Outcome::Parked(r) => format!("parked: {r}"),
        Outcome::Linked { customer, party, duplicate } => {
            format!("customer {customer} linked to {party}{}", if *duplicate { " (duplicate flagged)" } else { "" })
        }
        Outcome::Catalog { mapped, retired, reprocessed } => {
            format!("catalog: {mapped} mapped, {retired} retired, {reprocessed} reprocessed")
        }
        Outcome::Skipped(why) => format!("skipped: {why}"),
    }
}
