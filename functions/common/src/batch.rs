//! The SQS handler of commission-calc, refund-reversal and catalog-sync: the same work over
//! different queues (the queue decides the concurrency and the alarms, not the code).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use mlm_app::worker::{process_batch, Record};
use mlm_app::SharedSync;

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
    let records = records(&event);
    let report = process_batch(sync, &records).await;
    tracing::info!(records = records.len(), failed = report.failed.len(), "batch done");
    let mut response = SqsBatchResponse::default();
    response.set_failures(report.failed);
    response
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
        async move { Ok::<_, lambda_runtime::Error>(handle(&sync, e.payload).await) }
    }))
    .await
}
