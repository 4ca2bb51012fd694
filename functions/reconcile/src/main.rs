//! reconcile on the Lambda runtime (EventBridge scheduled events).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use mlm_lambda_common::config::{optional, process_env};
use std::time::{Duration, Instant, SystemTime};

#[tokio::main]
async fn main() -> Result<(), Error> {
    mlm_lambda_common::logging::init();
    let sync = mlm_lambda_common::sync_from_env(&process_env)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "configuration refused; the function cannot start"))?;
    let destination = optional(&process_env, "MLM_WEBHOOK_DESTINATION");
    lambda_runtime::run(service_fn(move |e: LambdaEvent<EventBridgeEvent>| {
        let (sync, destination) = (sync.clone(), destination.clone());
        async move {
            // Stop starting pages a minute before the invocation's deadline; the next run
            // continues from the watermark.
            let left = e.context.deadline().duration_since(SystemTime::now()).unwrap_or_default();
            let deadline = Instant::now() + left.saturating_sub(Duration::from_secs(60));
            reconcile::handler(&sync, destination.as_deref(), Some(deadline), e.payload)
                .await
                .inspect_err(|e| tracing::error!(error = %e, needs_attention = 1, "reconcile failed"))
                .map_err(Error::from)
        }
    }))
    .await
}
