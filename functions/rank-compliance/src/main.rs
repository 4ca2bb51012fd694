//! rank-compliance on the Lambda runtime (EventBridge scheduled events).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use mlm_lambda_common::config::process_env;
use mlm_lambda_common::payouts::SqsPayouts;
use mlm_ledger::service::Ledger;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    mlm_lambda_common::logging::init();
    let configured = async {
        let ledger = Ledger::new(mlm_lambda_common::store_from_env(&process_env).await?);
        Ok::<_, mlm_lambda_common::config::ConfigError>((ledger, SqsPayouts::from_env(&process_env).await?))
    };
    let (ledger, sink) = configured
        .await
        .inspect_err(|e| tracing::error!(error = %e, "configuration refused; the function cannot start"))?;
    let shared = Arc::new((ledger, sink));
    lambda_runtime::run(service_fn(move |e: LambdaEvent<EventBridgeEvent>| {
        let shared = shared.clone();
        async move {
            // Failed: the invocation errors, EventBridge retries it, and the errors alarm fires.
            rank_compliance::handler(&shared.0, &shared.1, e.payload)
                .await
                .inspect_err(|e| tracing::error!(error = %e, "tick failed"))
                .map_err(Error::from)
        }
    }))
    .await
}
