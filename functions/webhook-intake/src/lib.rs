//! webhook-intake: `POST /webhooks/bigcommerce` behind the HTTP API. The route is mlm-app's
//! (verify the Standard Webhooks signature, reject stale timestamps, route, enqueue, answer);
//! this crate builds its state from the environment: the app's client secret, the four SQS
//! FIFO queues, and the clock.

use mlm_app::http::{intake_router, system_now, IntakeState};
use mlm_bigcommerce::signature::Verifier;
use mlm_lambda_common::config::{process_env, ConfigError};
use mlm_lambda_common::secrets::{credential, Credential};
use mlm_queue::SqsQueue;
use std::sync::Arc;

/// The function's HTTP service.
pub fn app(state: IntakeState) -> axum::Router {
    intake_router(state)
}

/// The client secret (`MLM_SECRET_ID`, or `BIGCOMMERCE_CLIENT_SECRET`), the queues
/// (`MLM_QUEUE_*_URL`, `MLM_SQS_ENDPOINT`) and the system clock.
pub async fn state_from_env() -> Result<IntakeState, ConfigError> {
    mlm_lambda_common::config::refuse_clock_override(&process_env)?;
    let secret = credential(&process_env, Credential::ClientSecret).await?;
    let verifier = Verifier::from_client_secret(&secret)
        .map_err(|e| ConfigError::Invalid { var: Credential::ClientSecret.var(), reason: e.to_string() })?;
    let queue = SqsQueue::from_env().await?;
    Ok(IntakeState { verifier: Arc::new(verifier), queue: Arc::new(queue), now: Arc::new(system_now) })
}
