//! dashboard-api on the Lambda runtime (API Gateway HTTP API, payload format 2.0).

use mlm_lambda_common::config::process_env;
use mlm_lambda_common::payouts::SqsPayouts;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    mlm_lambda_common::logging::init();
    let configured = async {
        let sync = mlm_lambda_common::sync_from_env(&process_env).await?;
        Ok::<_, mlm_lambda_common::config::ConfigError>((sync, SqsPayouts::from_env(&process_env).await?))
    };
    let (sync, payouts) = configured
        .await
        .inspect_err(|e| tracing::error!(error = %e, "configuration refused; the function cannot start"))?;
    lambda_http::run(dashboard_api::app(sync, Arc::new(payouts))).await
}
