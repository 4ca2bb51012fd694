//! JSON logs through `tracing`, one object per line. The Lambda runtime wraps every invocation
//! in a span carrying `requestId`, and the workers open a span per message carrying the order
//! (or product, customer) id; every span on the stack is written into each line (`spans`), so
//! every line of an invocation carries the request id and, inside a message, the order id.

use crate::config::{optional, Lookup};
use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The filter: `AWS_LAMBDA_LOG_LEVEL` (the function's log-level setting) first, as the Lambda
/// runtime's own subscriber does, then `RUST_LOG`, else `info`.
pub fn filter(lookup: Lookup) -> EnvFilter {
    let wanted = optional(lookup, "AWS_LAMBDA_LOG_LEVEL")
        // Lambda's level names; FATAL has no tracing counterpart.
        .map(|l| if l.eq_ignore_ascii_case("fatal") { "error".to_string() } else { l.to_ascii_lowercase() })
        .or_else(|| optional(lookup, "RUST_LOG"))
        .unwrap_or_else(|| "info".into());
    EnvFilter::try_new(&wanted).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The subscriber, writing to `writer`.
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
        .with_writer(writer)
        .finish()
}

/// Installs the subscriber on stdout (CloudWatch Logs) for the whole process.
pub fn init() {
    let lookup = crate::config::process_env;
    // Already set (a test installed one): keep it.
    let _ = tracing::subscriber::set_global_default(subscriber(filter(&lookup), std::io::stdout));
}
