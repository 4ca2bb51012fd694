//! The SQS adapter against a real SQS wire protocol: moto's server (`scripts/sqs-local.sh`;
//! `scripts/test.sh` starts it and sets `MLM_SQS_ENDPOINT`).

mod common;

use common::{client, drain, route, unique_prefix, Received};
use mlm_bigcommerce::events::Work;
use mlm_queue::{create_fifo_queues, kind_name, Queue, QueueError, QueueUrls, SqsQueue, WorkQueue, KINDS};
use std::sync::Arc;

async fn fresh() -> Option<(aws_sdk_sqs::Client, QueueUrls)> {
    let client = client()?;
    let urls = create_fifo_queues(&client, &unique_prefix()).await.expect("create queues");
    Some((client, urls))
}

#[tokio::test]
async fn routes_land_on_their_kinds_queue_with_group_and_dedup() {
    let Some((client, urls)) = fresh().await else { return };
    // Through the port as the intake holds it.
    let queue: Arc<dyn WorkQueue> = Arc::new(SqsQueue::new(client.clone(), urls.clone()));
    let routes = [
        route(Queue::Commission, Work::Order { id: 250 }, "order-250", "msg_commission"),
        route(Queue::Refund, Work::Order { id: 251 }, "order-251", "msg_refund"),
        route(
            Queue::Catalog,
            Work::Sku { id: 461, product_id: 206, variant_id: 509, deleted: false },
            "product-206",
            "msg_catalog",
        ),
        route(Queue::Accounts, Work::Customer { id: 32, deleted: true }, "customer-32", "msg_accounts"),
    ];
    for r in &routes {
        queue.send(r).await.unwrap();
    }
    for r in &routes {
        assert!(urls.url(r.queue).ends_with(&format!("-{}.fifo", kind_name(r.queue))), "{}", urls.url(r.queue));
        assert_eq!(drain(&client, urls.url(r.queue)).await, [Received::of(r)], "{:?}", r.queue);
    }
}

#[tokio::test]
async fn a_repeated_dedup_id_is_received_once_and_a_group_keeps_its_order() {
    let Some((client, urls)) = fresh().await else { return };
    let queue = SqsQueue::new(client.clone(), urls.clone());
    let order = |dedup: &str| route(Queue::Commission, Work::Order { id: 250 }, "order-250", dedup);
    let other = route(Queue::Commission, Work::Order { id: 7 }, "order-7", "wh-7");
    for r in [order("wh-1"), order("wh-2"), other.clone(), order("wh-1"), order("wh-3"), order("wh-2")] {
        queue.send(&r).await.unwrap();
    }
    // The dedup scope is the queue: the id alone decides, whatever the group.
    queue.send(&route(Queue::Commission, Work::Order { id: 8 }, "order-8", "wh-3")).await.unwrap();
    let got = drain(&client, &urls.commission).await;
    let of_250: Vec<&str> = got.iter().filter(|r| r.group == "order-250").map(|r| r.dedup.as_str()).collect();
    assert_eq!(of_250, ["wh-1", "wh-2", "wh-3"]);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.contains(&Received::of(&other)));
    assert_eq!(got[0], Received::of(&order("wh-1")));
}

#[tokio::test]
async fn a_send_the_queue_refuses_names_the_queue() {
    let Some(client) = client() else { return };
    let mut urls = create_fifo_queues(&client, &unique_prefix()).await.unwrap();
    urls.refund = urls.refund.replace("-refund.fifo", "-missing.fifo");
    let queue = SqsQueue::new(client.clone(), urls.clone());
    let e = queue.send(&route(Queue::Refund, Work::Order { id: 1 }, "order-1", "wh-1")).await.unwrap_err();
    match &e {
        QueueError::Send { queue: Queue::Refund, reason } => {
            assert!(reason.contains("NonExistentQueue") || reason.contains("QueueDoesNotExist"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().starts_with("refund queue: send failed: "), "{e}");
    for kind in KINDS.into_iter().filter(|k| *k != Queue::Refund) {
        assert_eq!(drain(&client, urls.url(kind)).await, [], "{kind:?}");
    }
}
