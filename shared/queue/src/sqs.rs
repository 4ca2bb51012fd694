//! The production adapter: one SQS FIFO queue per kind of work. The group is the resource
//! (`order-250`), so one order's events are worked in order and different orders in parallel;
//! the deduplication id is the `webhook-id`, so SQS drops a redelivered webhook for 5 minutes.

use crate::{encode, kind_name, Queue, QueueError, Route, WorkQueue, KINDS};
use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;

/// The queue URL of each kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueUrls {
    pub commission: String,
    pub refund: String,
    pub catalog: String,
    pub accounts: String,
}

impl QueueUrls {
    /// The variable naming each kind's queue URL.
    pub const VARS: [(Queue, &'static str); 4] = [
        (Queue::Commission, "MLM_QUEUE_COMMISSION_URL"),
        (Queue::Refund, "MLM_QUEUE_REFUND_URL"),
        (Queue::Catalog, "MLM_QUEUE_CATALOG_URL"),
        (Queue::Accounts, "MLM_QUEUE_ACCOUNTS_URL"),
    ];

    pub fn url(&self, queue: Queue) -> &str {
        match queue {
            Queue::Commission => &self.commission,
            Queue::Refund => &self.refund,
            Queue::Catalog => &self.catalog,
            Queue::Accounts => &self.accounts,
        }
    }

    /// From `MLM_QUEUE_{COMMISSION,REFUND,CATALOG,ACCOUNTS}_URL`.
    pub fn from_env() -> Result<QueueUrls, QueueError> {
        QueueUrls::from_lookup(|var| std::env::var(var).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<QueueUrls, QueueError> {
        let get = |i: usize| {
            let var = QueueUrls::VARS[i].1;
            let url = lookup(var).filter(|u| !u.trim().is_empty());
            let url = url.ok_or(QueueError::Config { var, reason: "is not set".into() })?;
            // A standard queue would reject the deduplication id on every send: fail at start.
            if !url.trim_end_matches('/').ends_with(".fifo") {
                return Err(QueueError::Config {
                    var,
                    reason: format!("{url} is not a FIFO queue (name must end in .fifo)"),
                });
            }
            Ok(url)
        };
        Ok(QueueUrls { commission: get(0)?, refund: get(1)?, catalog: get(2)?, accounts: get(3)? })
    }
}

/// Sends each route to its kind's FIFO queue.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    urls: QueueUrls,
}

impl SqsQueue {
    pub fn new(client: Client, urls: QueueUrls) -> SqsQueue {
        SqsQueue { client, urls }
    }

    /// The queue URLs from `MLM_QUEUE_*_URL`, a client from the usual AWS configuration, and its
    /// endpoint from `MLM_SQS_ENDPOINT` when set (moto locally). The override is SQS's own so that
    /// a global `AWS_ENDPOINT_URL` (DynamoDB Local) does not capture the queues too.
    pub async fn from_env() -> Result<SqsQueue, QueueError> {
        let urls = QueueUrls::from_env()?;
        let config = mlm_aws::load_config().await;
        let mut builder = aws_sdk_sqs::config::Builder::from(&config);
        if let Some(endpoint) = std::env::var("MLM_SQS_ENDPOINT").ok().filter(|e| !e.is_empty()) {
            builder = builder.endpoint_url(endpoint);
        }
        Ok(SqsQueue::new(Client::from_conf(builder.build()), urls))
    }

    pub fn urls(&self) -> &QueueUrls {
        &self.urls
    }
}

#[async_trait]
impl WorkQueue for SqsQueue {
    async fn send(&self, route: &Route) -> Result<(), QueueError> {
        let out = self
            .client
            .send_message()
            .queue_url(self.urls.url(route.queue))
            .message_group_id(&route.group)
            .message_deduplication_id(&route.dedup)
            .message_body(encode(&route.message))
            .send()
            .await
            .map_err(|e| QueueError::Send { queue: route.queue, reason: DisplayErrorContext(e).to_string() })?;
        tracing::debug!(
            queue = kind_name(route.queue),
            group = %route.group,
            dedup = %route.dedup,
            message_id = out.message_id().unwrap_or_default(),
            "enqueued"
        );
        Ok(())
    }
}

/// Creates (or finds, if they exist with the same attributes) the four FIFO queues
/// `{prefix}-{kind}.fifo`, deduplicating on the explicit id only, for tests and local setup.
/// Production queues (with their DLQs) come from `template.yaml`.
pub async fn create_fifo_queues(client: &Client, prefix: &str) -> Result<QueueUrls, QueueError> {
    let mut urls = Vec::with_capacity(KINDS.len());
    for queue in KINDS {
        let name = format!("{prefix}-{}.fifo", kind_name(queue));
        let out = client
            .create_queue()
            .queue_name(&name)
            .attributes(QueueAttributeName::FifoQueue, "true")
            .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
            .send()
            .await
            .map_err(|e| QueueError::Create {
                queue,
                name: name.clone(),
                reason: DisplayErrorContext(e).to_string(),
            })?;
        let url = out.queue_url().ok_or_else(|| QueueError::Create {
            queue,
            name: name.clone(),
            reason: "the response has no queue URL".into(),
        })?;
        urls.push(url.to_string());
    }
    let [commission, refund, catalog, accounts] = <[String; 4]>::try_from(urls).expect("one URL per kind");
    Ok(QueueUrls { commission, refund, catalog, accounts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn urls(vars: &[(&str, &str)]) -> Result<QueueUrls, QueueError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        QueueUrls::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn urls_come_from_one_variable_per_kind() {
        let base = "https://sqs.us-east-1.amazonaws.com/123456789012";
        let all: Vec<(&str, String)> =
            QueueUrls::VARS.iter().map(|(q, var)| (*var, format!("{base}/mlm-{}.fifo", kind_name(*q)))).collect();
        let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let got = urls(&all).unwrap();
        for queue in KINDS {
            assert_eq!(got.url(queue), format!("{base}/mlm-{}.fifo", kind_name(queue)));
        }

        let missing: Vec<_> = all.iter().filter(|(k, _)| *k != "MLM_QUEUE_CATALOG_URL").copied().collect();
        assert_eq!(urls(&missing).unwrap_err().to_string(), "MLM_QUEUE_CATALOG_URL: is not set");
        let mut standard = all.clone();
        standard[1].1 = "https://sqs.us-east-1.amazonaws.com/123456789012/mlm-refund";
        let e = urls(&standard).unwrap_err();
        assert!(
            matches!(&e, QueueError::Config { var: "MLM_QUEUE_REFUND_URL", reason } if reason.contains("not a FIFO queue")),
            "{e}"
        );
    }
}
