//! The `Queue` port: where the webhook intake puts a callback's work (a [`Route`]) and where the
//! workers take it from. Two adapters: [`SqsQueue`] (one SQS FIFO queue per kind of work, in
//! production) and [`LocalQueue`] (in-process channels, for `mlm serve` and `mlm demo`). Both
//! keep one group's messages in send order and drop a repeated deduplication id, so a webhook
//! delivered twice is worked once.
//!
//! The port trait is named [`WorkQueue`]: `Queue` is the kind of queue (`events::Queue`).

pub mod durable;
mod local;
mod sqs;
#[cfg(feature = "testing")]
pub mod testing;

pub use durable::{pool, Delivery, Disposition, DurableQueue, Stop};
pub use local::{LocalQueue, LocalReceivers, DEDUP_WINDOW};
pub use mlm_bigcommerce::events::{Message, Queue, Route};
pub use sqs::{create_fifo_queues, QueueUrls, SqsQueue};

use async_trait::async_trait;
use std::sync::Arc;

/// Sends work to the queue of its kind.
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Enqueues `route.message` on `route.queue`, in FIFO group `route.group`, deduplicated on
    /// `route.dedup`. A duplicate is accepted (`Ok`) and not delivered again.
    async fn send(&self, route: &Route) -> Result<(), QueueError>;
}

#[async_trait]
impl<T: WorkQueue + ?Sized> WorkQueue for Arc<T> {
    async fn send(&self, route: &Route) -> Result<(), QueueError> {
        (**self).send(route).await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// A configuration variable is missing or unusable.
    #[error("{var}: {reason}")]
    Config { var: &'static str, reason: String },
    /// The queue did not accept the message.
    #[error("{} queue: send failed: {reason}", kind_name(*queue))]
    Send { queue: Queue, reason: String },
    /// The queue's consumer is gone (in-process adapter only).
    #[error("{} queue: the receiver is closed", kind_name(*queue))]
    Closed { queue: Queue },
    /// The deduplication id was seen within the window with another message (durable adapter).
    #[error("{} queue: webhook id {dedup:?} was already used for another message", kind_name(*queue))]
    Conflict { queue: Queue, dedup: String },
    /// The stored backlog is at its bound (durable adapter); the sender retries later.
    #[error("{} queue: the backlog is at its bound of {backlog} messages; try again later", kind_name(*queue))]
    Full { queue: Queue, backlog: u64 },
    /// Creating a queue failed.
    #[error("{} queue: cannot create {name}: {reason}", kind_name(*queue))]
    Create { queue: Queue, name: String, reason: String },
    /// A message body that is not a [`Message`]; `field` is its path (`work.id`), `body` if the
    /// body is not JSON at all.
    #[error("message body: {field}: {reason}")]
    Decode { field: String, reason: String },
}

/// The kind's name, as in queue names and errors.
pub fn kind_name(queue: Queue) -> &'static str {
    match queue {
        Queue::Commission => "commission",
        Queue::Refund => "refund",
        Queue::Catalog => "catalog",
        Queue::Accounts => "accounts",
    }
}

/// Every kind of queue.
pub const KINDS: [Queue; 4] = [Queue::Commission, Queue::Refund, Queue::Catalog, Queue::Accounts];

/// The body a message travels as: its JSON.
pub fn encode(message: &Message) -> String {
    serde_json::to_string(message).expect("a Message always serializes: plain strings and integers")
}

/// A message body back into its [`Message`], naming the field that is wrong.
pub fn decode(body: &str) -> Result<Message, QueueError> {
    mlm_engine::json::from_slice(body.as_bytes()).map_err(|e| QueueError::Decode { field: e.field, reason: e.message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlm_bigcommerce::events::Work;

    fn decode_err(body: &str) -> (String, String) {
        match decode(body) {
            Err(QueueError::Decode { field, reason }) => (field, reason),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn decode_reverses_encode() {
        let m = Message {
            work: Work::Sku { id: 461, product_id: 206, variant_id: 509, deleted: true },
            scope: "store/sku/deleted".into(),
            webhook_id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W".into(),
            created_at: Some(1_561_479_335),
        };
        assert_eq!(decode(&encode(&m)).unwrap(), m);
    }

    #[test]
    fn decode_errors_name_the_field() {
        let ok = r#"{"work":{"resource":"order","id":250},"scope":"store/order/created","webhook_id":"w","created_at":null}"#;
        assert!(decode(ok).is_ok());
        assert_eq!(decode_err("{not json").0, "body");
        assert_eq!(decode_err(&format!("{ok} trailing")).0, "body");
        assert_eq!(
            decode_err("\"text\""),
            ("body".into(), "invalid type: string \"text\", expected struct Message".into())
        );
        let (field, reason) = decode_err(&ok.replace(r#","webhook_id":"w""#, ""));
        assert_eq!((field.as_str(), reason.as_str()), ("webhook_id", "is required"));
        assert_eq!(decode_err(&ok.replace(r#""scope":"store/order/created""#, r#""scope":7"#)).0, "scope");
        assert_eq!(decode_err(&ok.replace(r#","id":250"#, "")), ("work.id".into(), "is required".into()));
        let (field, reason) = decode_err(&ok.replace(r#""resource":"order""#, r#""resource":"cart""#));
        assert_eq!(field, "work.resource");
        assert!(reason.contains("unknown variant `cart`"), "{reason}");
        let (field, reason) = decode_err(&ok.replace(r#""id":250"#, r#""id":"250""#));
        // The tagged `work` is buffered before it is read, so serde knows the path only to it.
        assert_eq!(field, "work");
        assert!(reason.starts_with("invalid type: string \"250\""), "{reason}");
    }
}
