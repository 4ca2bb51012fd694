//! The in-process adapter for `mlm serve` and `mlm demo`: one unbounded channel per kind of work,
//! deduplicating like an SQS FIFO queue. One channel per kind keeps every group's messages in
//! send order (stricter than SQS, which orders only within a group).

use crate::{Message, Queue, QueueError, Route, WorkQueue};
use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// How long SQS FIFO remembers a deduplication id.
pub const DEDUP_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The sending side; share it behind an `Arc` (the port is implemented for `Arc<T>`).
#[derive(Debug)]
pub struct LocalQueue {
    senders: Senders,
    window: Duration,
    seen: Mutex<Seen>,
    /// Messages delivered to a channel so far (duplicates not counted): a host compares it with
    /// the messages its workers finished to know when everything sent has been processed.
    delivered: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct Senders {
    commission: UnboundedSender<Message>,
    refund: UnboundedSender<Message>,
    catalog: UnboundedSender<Message>,
    accounts: UnboundedSender<Message>,
}

/// Deduplication ids accepted within the window, per queue (SQS's default scope), with the time
/// each was first accepted; `order` holds them oldest first, so expiry pops from the front.
#[derive(Debug, Default)]
struct Seen {
    at: HashMap<(&'static str, String), Instant>,
    order: VecDeque<(Instant, (&'static str, String))>,
}

/// The receiving side: one receiver per kind, for the workers.
#[derive(Debug)]
pub struct LocalReceivers {
    pub commission: UnboundedReceiver<Message>,
    pub refund: UnboundedReceiver<Message>,
    pub catalog: UnboundedReceiver<Message>,
    pub accounts: UnboundedReceiver<Message>,
}

impl LocalReceivers {
    pub fn get_mut(&mut self, queue: Queue) -> &mut UnboundedReceiver<Message> {
        match queue {
            Queue::Commission => &mut self.commission,
            Queue::Refund => &mut self.refund,
            Queue::Catalog => &mut self.catalog,
            Queue::Accounts => &mut self.accounts,
        }
    }
}

impl LocalQueue {
    /// Deduplicating over SQS's 5 minutes.
    pub fn new() -> (LocalQueue, LocalReceivers) {
        LocalQueue::with_window(DEDUP_WINDOW)
    }

    /// Deduplicating over `window`.
    pub fn with_window(window: Duration) -> (LocalQueue, LocalReceivers) {
        let (commission, commission_rx) = unbounded_channel();
        let (refund, refund_rx) = unbounded_channel();
        let (catalog, catalog_rx) = unbounded_channel();
        let (accounts, accounts_rx) = unbounded_channel();
        let queue = LocalQueue {
            senders: Senders { commission, refund, catalog, accounts },
            window,
            seen: Mutex::default(),
            delivered: Arc::default(),
        };
        let receivers =
            LocalReceivers { commission: commission_rx, refund: refund_rx, catalog: catalog_rx, accounts: accounts_rx };
        (queue, receivers)
    }

    /// The count of messages delivered so far (shared, live).
    pub fn delivered(&self) -> Arc<AtomicUsize> {
        self.delivered.clone()
    }

    fn sender(&self, queue: Queue) -> &UnboundedSender<Message> {
        match queue {
            Queue::Commission => &self.senders.commission,
            Queue::Refund => &self.senders.refund,
            Queue::Catalog => &self.senders.catalog,
            Queue::Accounts => &self.senders.accounts,
        }
    }
}

#[async_trait]
impl WorkQueue for LocalQueue {
    async fn send(&self, route: &Route) -> Result<(), QueueError> {
        let now = Instant::now();
        // Held across the channel send (which never blocks) so that the dedup decision and the
        // delivery order agree between concurrent senders.
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((at, _)) = seen.order.front() {
            if now.duration_since(*at) < self.window {
                break;
            }
            let (_, key) = seen.order.pop_front().expect("front exists");
            seen.at.remove(&key);
        }
        let key = (crate::kind_name(route.queue), route.dedup.clone());
        if seen.at.contains_key(&key) {
            tracing::debug!(queue = crate::kind_name(route.queue), dedup = %route.dedup, "duplicate dropped");
            return Ok(());
        }
        self.sender(route.queue).send(route.message.clone()).map_err(|_| QueueError::Closed { queue: route.queue })?;
        self.delivered.fetch_add(1, Ordering::SeqCst);
        seen.at.insert(key.clone(), now);
        seen.order.push_back((now, key));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KINDS;
    use mlm_bigcommerce::events::Work;

    fn route(queue: Queue, order: i64, dedup: &str) -> Route {
        Route {
            queue,
            group: format!("order-{order}"),
            dedup: dedup.into(),
            message: Message {
                work: Work::Order { id: order },
                scope: "store/order/updated".into(),
                webhook_id: dedup.into(),
                created_at: None,
            },
        }
    }

    fn drain(rx: &mut UnboundedReceiver<Message>) -> Vec<String> {
        std::iter::from_fn(|| rx.try_recv().ok()).map(|m| m.webhook_id).collect()
    }

    #[tokio::test]
    async fn routes_go_to_their_kind_in_send_order() {
        let (q, mut rx) = LocalQueue::new();
        for (i, kind) in KINDS.into_iter().enumerate() {
            q.send(&route(kind, 1, &format!("{i}-a"))).await.unwrap();
            q.send(&route(kind, 2, &format!("{i}-b"))).await.unwrap();
            q.send(&route(kind, 1, &format!("{i}-c"))).await.unwrap();
        }
        for (i, kind) in KINDS.into_iter().enumerate() {
            assert_eq!(drain(rx.get_mut(kind)), [format!("{i}-a"), format!("{i}-b"), format!("{i}-c")], "{kind:?}");
        }
    }

    #[tokio::test]
    async fn a_repeated_dedup_id_is_delivered_once_per_queue() {
        let (q, mut rx) = LocalQueue::new();
        let delivered = q.delivered();
        let shared = std::sync::Arc::new(q);
        shared.send(&route(Queue::Commission, 1, "wh-1")).await.unwrap();
        shared.send(&route(Queue::Commission, 1, "wh-2")).await.unwrap();
        // Through the Arc impl, and with another group: the id alone decides, as in SQS.
        shared.send(&route(Queue::Commission, 9, "wh-1")).await.unwrap();
        // The scope is per queue: the same id elsewhere is new there.
        shared.send(&route(Queue::Refund, 1, "wh-1")).await.unwrap();
        assert_eq!(drain(&mut rx.commission), ["wh-1", "wh-2"]);
        assert_eq!(drain(&mut rx.refund), ["wh-1"]);
        assert_eq!(delivered.load(Ordering::SeqCst), 3, "duplicates are not counted as delivered");
    }

    #[tokio::test]
    async fn ids_are_forgotten_after_the_window() {
        let (q, mut rx) = LocalQueue::with_window(Duration::ZERO);
        q.send(&route(Queue::Catalog, 1, "wh-1")).await.unwrap();
        q.send(&route(Queue::Catalog, 1, "wh-1")).await.unwrap();
        assert_eq!(drain(&mut rx.catalog), ["wh-1", "wh-1"]);
        assert!(q.seen.lock().unwrap().at.len() <= 1, "expired ids are pruned");
    }

    #[tokio::test]
    async fn a_closed_receiver_is_an_error_and_the_id_stays_unseen() {
        let (q, rx) = LocalQueue::new();
        let LocalReceivers { commission, accounts, .. } = rx;
        drop(accounts);
        let e = q.send(&route(Queue::Accounts, 1, "wh-1")).await.unwrap_err();
        assert_eq!(e.to_string(), "accounts queue: the receiver is closed");
        assert!(q.seen.lock().unwrap().at.is_empty());
        drop(commission);
    }
}
