//! The SQS handler of commission-calc, refund-reversal and catalog-sync: the same work over
//! different queues (the queue decides the concurrency and the alarms, not the code).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use mlm_app::worker::{process_batch, Record};
use mlm_app::SharedSync;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// SQS's name for the FIFO group among a record's attributes.
const GROUP: &str = "MessageGroupId";

/// The records as the shared worker takes them.
pub fn records(event: &SqsEvent) -> Vec<Record> {
    event
        .records
        .iter()
        .map(|m| Record {
            // Always set by SQS; were it missing, the empty id reported as a failure makes
            // Lambda retry the whole batch, which loses nothing.
            id: m.message_id.clone().unwrap_or_default(),
            body: m.body.clone().unwrap_or_default(),
            group: m.attributes.get(GROUP).cloned(),
        })
        .collect()
}

/// Processes the batch; only the records to redeliver are reported (`batchItemFailures`, with
/// the function's `ReportBatchItemFailures`), so one bad message never replays the others.
pub async fn handle(sync: &SharedSync, event: SqsEvent) -> SqsBatchResponse {
    handle_until(sync, event, None).await
}

/// How much time a record may need at most (the Lambda client's retries included): none is
/// started with less left, so the function answers before its timeout instead of failing the
/// whole batch.
pub const RESERVE: Duration = Duration::from_secs(10);

/// [`handle`], starting no record after `deadline - RESERVE`: those left are reported for
/// redelivery. Records go one at a time through the shared worker; a failed record holds the
/// later records of its FIFO group, as the worker does within a batch.
pub async fn handle_until(sync: &SharedSync, event: SqsEvent, deadline: Option<Instant>) -> SqsBatchResponse {
    let records = records(&event);
    let mut failed: Vec<String> = Vec::new();
    let mut held: Vec<&str> = Vec::new();
    let mut unstarted = 0;
    for r in &records {
        let group_held = r.group.as_deref().is_some_and(|g| held.contains(&g));
        let out_of_time = deadline.is_some_and(|d| Instant::now() + RESERVE > d);
        if group_held || out_of_time {
            unstarted += usize::from(out_of_time && !group_held);
        } else if process_batch(sync, std::slice::from_ref(r)).await.failed.is_empty() {
            continue;
        }
        failed.push(r.id.clone());
        if let Some(g) = r.group.as_deref() {
            held.push(g);
        }
    }
    if unstarted > 0 {
        tracing::warn!(unstarted, "out of time; the rest of the batch is left for redelivery");
    }
    tracing::info!(records = records.len(), failed = failed.len(), "batch done");
    let mut response = SqsBatchResponse::default();
    response.set_failures(failed);
    response
}

/// The invocation's deadline (`Context::deadline`, Unix milliseconds) as an [`Instant`].
pub fn deadline_of(context: &lambda_runtime::Context) -> Option<Instant> {
    // 0: no deadline given (a hand-built context).
    if context.deadline == 0 {
        return None;
    }
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
    Some(Instant::now() + Duration::from_millis(context.deadline.saturating_sub(now_ms)))
}

/// The whole function: configuration from the environment, then the Lambda runtime's loop.
/// commission-calc, refund-reversal and catalog-sync each run this over their own queues.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    crate::logging::init();
    let sync = crate::sync_from_env(&crate::config::process_env)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "configuration refused; the function cannot start"))?;
    lambda_runtime::run(lambda_runtime::service_fn(move |e: lambda_runtime::LambdaEvent<SqsEvent>| {
        let sync = sync.clone();
        let deadline = deadline_of(&e.context);
        async move { Ok::<_, lambda_runtime::Error>(handle_until(&sync, e.payload, deadline).await) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_comes_from_the_invocation_context() {
        let mut c = lambda_runtime::Context::default();
        assert_eq!(deadline_of(&c), None);
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        c.deadline = now_ms + 30_000;
        let left = deadline_of(&c).unwrap() - Instant::now();
        assert!(left > Duration::from_secs(29) && left <= Duration::from_secs(30), "{left:?}");
        // Already past: no time left, not "no deadline".
        c.deadline = now_ms - 1_000;
        assert!(deadline_of(&c).unwrap() <= Instant::now());
    }
}
