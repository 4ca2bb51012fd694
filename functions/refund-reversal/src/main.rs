//! refund-reversal: SQS batches from the refund queue (refunds created; orders cancelled,
//! declined or refunded). Each order is re-read from BigCommerce and reconciled, so whatever it
//! no longer pays for is reversed. The handler is shared (`mlm_lambda_common::batch`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mlm_lambda_common::batch::run().await
}
