//! Configuration from environment variables. Every error names the variable to fix, so a
//! function that cannot start says why in its init failure.

use mlm_queue::QueueError;

/// The DynamoDB table of the ledger.
pub const LEDGER_TABLE: &str = "MLM_LEDGER_TABLE";
/// The Secrets Manager secret (name or ARN) holding `{"client_secret", "access_token"}`.
pub const SECRET_ID: &str = "MLM_SECRET_ID";
/// Overrides the secret's `client_secret` (local runs and tests).
pub const CLIENT_SECRET: &str = "BIGCOMMERCE_CLIENT_SECRET";
/// Overrides the secret's `access_token` (local runs and tests).
pub const ACCESS_TOKEN: &str = "BIGCOMMERCE_ACCESS_TOKEN";
pub const STORE_HASH: &str = "BIGCOMMERCE_STORE_HASH";
/// The BigCommerce API base; the real API when unset.
pub const API_BASE: &str = "BIGCOMMERCE_API_BASE";
/// The FIFO queue closed periods' payouts go to (rank-compliance).
pub const PAYOUT_QUEUE_URL: &str = "MLM_PAYOUT_QUEUE_URL";
/// DynamoDB's endpoint (DynamoDB Local); AWS's when unset.
pub const DYNAMODB_ENDPOINT: &str = "MLM_DYNAMODB_ENDPOINT";
/// SQS's endpoint (moto); AWS's when unset. Also read by `mlm_queue::SqsQueue::from_env`.
pub const SQS_ENDPOINT: &str = "MLM_SQS_ENDPOINT";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: is not set")]
    Missing { var: &'static str },
    #[error("{var}: {reason}")]
    Invalid { var: &'static str, reason: String },
    /// The secret could not be read or lacks a field; never carries the secret's content.
    #[error("secret {id:?} (MLM_SECRET_ID): {reason}")]
    Secret { id: String, reason: String },
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Looks a variable up: the process environment in production, a map in tests.
pub type Lookup<'a> = &'a (dyn Fn(&str) -> Option<String> + Send + Sync);

/// Refuses `MLM_NOW` (the clock override of local rehearsals): a deployed function only ever
/// runs on real time. Checked at start by every function.
pub fn refuse_clock_override(lookup: Lookup) -> Result<(), ConfigError> {
    mlm_app::clock::refuse_override(&|v| lookup(v)).map_err(|reason| ConfigError::Invalid { var: "MLM_NOW", reason })
}

/// The process environment.
pub fn process_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

/// A variable's value; unset and blank are the same (SAM writes empty strings for unset parameters).
pub fn optional(lookup: Lookup, var: &str) -> Option<String> {
    lookup(var).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

pub fn required(lookup: Lookup, var: &'static str) -> Result<String, ConfigError> {
    optional(lookup, var).ok_or(ConfigError::Missing { var })
}

/// An endpoint or API base: must be an http(s) URL.
pub fn url(lookup: Lookup, var: &'static str) -> Result<Option<String>, ConfigError> {
    match optional(lookup, var) {
        Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
            Err(ConfigError::Invalid { var, reason: format!("{u:?} is not an http(s) URL") })
        }
        other => Ok(other),
    }
}

/// A FIFO queue URL: a standard queue would refuse the group and deduplication ids on every send.
pub fn fifo_url(lookup: Lookup, var: &'static str) -> Result<String, ConfigError> {
    let u = url(lookup, var)?.ok_or(ConfigError::Missing { var })?;
    if !u.trim_end_matches('/').ends_with(".fifo") {
        return Err(ConfigError::Invalid { var, reason: format!("{u} is not a FIFO queue (name must end in .fifo)") });
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn errors_name_the_variable() {
        let e = env(&[(LEDGER_TABLE, "  "), (API_BASE, "api.bigcommerce.com"), (PAYOUT_QUEUE_URL, "https://q/x")]);
        assert_eq!(required(&e, LEDGER_TABLE).unwrap_err().to_string(), "MLM_LEDGER_TABLE: is not set");
        assert_eq!(
            url(&e, API_BASE).unwrap_err().to_string(),
            "BIGCOMMERCE_API_BASE: \"api.bigcommerce.com\" is not an http(s) URL"
        );
        assert_eq!(
            fifo_url(&e, PAYOUT_QUEUE_URL).unwrap_err().to_string(),
            "MLM_PAYOUT_QUEUE_URL: https://q/x is not a FIFO queue (name must end in .fifo)"
        );
        assert_eq!(fifo_url(&e, SQS_ENDPOINT).unwrap_err().to_string(), "MLM_SQS_ENDPOINT: is not set");
        let ok = env(&[(LEDGER_TABLE, " ledger "), (PAYOUT_QUEUE_URL, "https://q/payouts.fifo")]);
        assert_eq!(required(&ok, LEDGER_TABLE).unwrap(), "ledger");
        assert_eq!(fifo_url(&ok, PAYOUT_QUEUE_URL).unwrap(), "https://q/payouts.fifo");
        assert_eq!(url(&ok, API_BASE).unwrap(), None);
    }
}
