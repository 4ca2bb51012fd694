//! Closed periods' payouts onto an SQS FIFO queue, for whatever pays them. One message per
//! distributor and period: the group is the distributor (one distributor's payouts stay in
//! period order), the deduplication id `{period}#{distributor}`, so a tick retried within SQS's
//! five-minute window never queues a payout twice.

use crate::config::{fifo_url, ConfigError, Lookup, PAYOUT_QUEUE_URL};
use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use mlm_app::schedule::{Payout, PayoutSink};

/// SQS sends at most 10 messages per batch.
const BATCH: usize = 10;

pub struct SqsPayouts {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsPayouts {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> SqsPayouts {
        SqsPayouts { client, url: url.into() }
    }

    /// The queue from `MLM_PAYOUT_QUEUE_URL`, SQS at `MLM_SQS_ENDPOINT` when set.
    pub async fn from_env(lookup: Lookup<'_>) -> Result<SqsPayouts, ConfigError> {
        let url = fifo_url(lookup, PAYOUT_QUEUE_URL)?;
        Ok(SqsPayouts::new(crate::sqs_client(lookup).await?, url))
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

#[async_trait]
impl PayoutSink for SqsPayouts {
    async fn queue(&self, payouts: &[Payout]) -> Result<(), String> {
        for chunk in payouts.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(serde_json::to_string(p).expect("payouts serialize"))
                        .message_group_id(&p.distributor)
                        .message_deduplication_id(format!("{}#{}", p.period, p.distributor))
                        .build()
                        .expect("id and body are set")
                })
                .collect::<Vec<_>>();
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| format!("payout queue: {}", DisplayErrorContext(e)))?;
            // A batch can succeed in part; the failed entries are named so the tick fails loudly.
            if let Some(f) = out.failed().first() {
                let p = &chunk[f.id().parse::<usize>().unwrap_or(0)];
                return Err(format!(
                    "payout queue: {} of {} failed: {} ({})",
                    p.period,
                    p.distributor,
                    f.message().unwrap_or("no message"),
                    f.code()
                ));
            }
            for p in chunk {
                tracing::info!(period = %p.period, distributor = %p.distributor, amount = %p.amount, "payout queued");
            }
        }
        Ok(())
    }
}
