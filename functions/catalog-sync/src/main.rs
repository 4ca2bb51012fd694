//! catalog-sync: SQS batches from the catalog queue (products and SKUs created, updated,
//! deleted). Each product's `mlm` BV/PV metafields become the ledger's mappings, and orders
//! parked for a missing mapping are reprocessed. The handler is shared
//! (`mlm_lambda_common::batch`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mlm_lambda_common::batch::run().await
}
