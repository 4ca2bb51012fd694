//! commission-calc: SQS batches from the commission queue (orders created, updated, paid) and
//! the accounts queue (customers linked to a distributor or as retail), each record reconciled
//! through the shared worker, only the records to redeliver reported. The handler is the one
//! refund-reversal and catalog-sync run too (`mlm_lambda_common::batch`): their queues differ
//! (concurrency, alarms, dead letters), their work does not.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mlm_lambda_common::batch::run().await
}
