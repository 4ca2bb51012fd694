//! SDK and codec failures as the port's `StoreError`.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use mlm_ledger::port::StoreError;

pub fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// An SDK error with its whole chain of causes (the top one alone says "service error").
pub fn sdk<E: std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> StoreError {
    use std::error::Error;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        msg = format!("{msg}: {x}");
        src = x.source();
    }
    StoreError::Backend(msg)
}

/// Whether a transaction was cancelled by a failed condition (a conflict, not an outage).
pub fn is_condition_failure(e: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> bool {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
            c.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed"))
        }
        _ => false,
    }
}
