//! What the Lambda functions share. Each function is a thin host over `mlm-app`; this crate
//! builds what they need from the environment and holds the one handler three of them share:
//! - [`config`]: variables, with errors naming the variable;
//! - [`secrets`]: the BigCommerce credentials (Secrets Manager, overridable from the environment);
//! - [`logging`]: JSON logs with the request id and the order id on every line;
//! - [`payouts`]: the SQS payout sink of rank-compliance;
//! - [`batch`]: the SQS batch handler of commission-calc, refund-reversal and catalog-sync;
//! - [`store_from_env`], [`sync_from_env`]: the ledger on DynamoDB, and the integration over it.

pub mod batch;
pub mod config;
pub mod logging;
pub mod payouts;
pub mod secrets;
#[cfg(feature = "testing")]
pub mod testing;

use config::{required, url, ConfigError, Lookup, API_BASE, DYNAMODB_ENDPOINT, LEDGER_TABLE, STORE_HASH};
use mlm_app::SharedSync;
use mlm_bigcommerce::client::{Client, RetryPolicy, DEFAULT_BASE};
use mlm_ledger::port::Store;
use mlm_ledger::service::Ledger;
use mlm_store_dynamodb::DynamoStore;
use mlm_sync::commerce::{BigCommerce, Commerce};
use secrets::{credential, Credential};
use std::sync::Arc;
use std::time::Duration;

/// The AWS configuration every client starts from (region, credentials, `AWS_ENDPOINT_URL_*`,
/// the rustls-over-ring HTTP client).
pub(crate) async fn aws() -> mlm_aws::SdkConfig {
    mlm_aws::load_config().await
}

/// An SQS client, at `MLM_SQS_ENDPOINT` when set (moto locally). SQS's own override, so that a
/// global `AWS_ENDPOINT_URL` (DynamoDB Local) does not capture the queues too.
pub async fn sqs_client(lookup: Lookup<'_>) -> Result<aws_sdk_sqs::Client, ConfigError> {
    let mut b = aws_sdk_sqs::config::Builder::from(&aws().await);
    if let Some(e) = url(lookup, config::SQS_ENDPOINT)? {
        b = b.endpoint_url(e);
    }
    Ok(aws_sdk_sqs::Client::from_conf(b.build()))
}

/// The ledger store: the table `MLM_LEDGER_TABLE`, at `MLM_DYNAMODB_ENDPOINT` when set.
pub async fn store_from_env(lookup: Lookup<'_>) -> Result<Arc<dyn Store>, ConfigError> {
    config::refuse_clock_override(lookup)?;
    let table = required(lookup, LEDGER_TABLE)?;
    let mut b = aws_sdk_dynamodb::config::Builder::from(&aws().await);
    if let Some(e) = url(lookup, DYNAMODB_ENDPOINT)? {
        b = b.endpoint_url(e);
    }
    Ok(Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(b.build()), table)))
}

/// How hard a function tries BigCommerce: briefly. A failed record goes back to its queue, and
/// SQS's redelivery after the visibility timeout outwaits any rate-limit window, where retrying
/// in the function would only run it into its own timeout (30 s) and fail the whole batch.
pub fn lambda_retry_policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        backoff: Duration::from_millis(250),
        rate_limited: 1,
        max_wait: Duration::from_secs(2),
        timeout: Duration::from_secs(4),
    }
}

/// The store front: `BIGCOMMERCE_STORE_HASH` at `BIGCOMMERCE_API_BASE` (the real API when unset).
pub fn commerce(base: &str, store_hash: &str, access_token: &str) -> Arc<dyn Commerce> {
    Arc::new(BigCommerce::new(Client::new(base, store_hash, access_token, lambda_retry_policy())))
}

/// The integration over the ledger store and the store front.
pub fn sync_over(store: Arc<dyn Store>, commerce: Arc<dyn Commerce>) -> Arc<SharedSync> {
    Arc::new(mlm_sync::Sync::new(Ledger::new(store), commerce))
}

/// Everything a worker or the dashboard API needs, from the environment.
pub async fn sync_from_env(lookup: Lookup<'_>) -> Result<Arc<SharedSync>, ConfigError> {
    let store_hash = required(lookup, STORE_HASH)?;
    let base = url(lookup, API_BASE)?.unwrap_or_else(|| DEFAULT_BASE.to_string());
    let store = store_from_env(lookup).await?;
    let token = credential(lookup, Credential::AccessToken).await?;
    Ok(sync_over(store, commerce(&base, &store_hash, &token)))
}
