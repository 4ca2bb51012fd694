//! webhook-intake on the Lambda runtime (API Gateway HTTP API, payload format 2.0).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    mlm_lambda_common::logging::init();
    let state = webhook_intake::state_from_env()
        .await
        .inspect_err(|e| tracing::error!(error = %e, "configuration refused; the function cannot start"))?;
    lambda_http::run(webhook_intake::app(state)).await
}
