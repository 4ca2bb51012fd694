//! `SqsQueue::from_env` end to end, against moto's server. A binary of its own: it sets process
//! environment variables, which no other test must race with.

mod common;

use common::{client, drain, endpoint, route, unique_prefix, Received};
use mlm_bigcommerce::events::Work;
use mlm_queue::{create_fifo_queues, Queue, QueueUrls, SqsQueue, WorkQueue};

#[tokio::test]
async fn from_env_reads_the_urls_and_the_sqs_endpoint() {
    let Some(sqs) = client() else { return };
    let endpoint = endpoint().expect("set: the client has it");
    let urls = create_fifo_queues(&sqs, &unique_prefix()).await.unwrap();
    for (queue, var) in QueueUrls::VARS {
        std::env::set_var(var, urls.url(queue));
    }
    std::env::set_var("AWS_ACCESS_KEY_ID", "local");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "local");
    std::env::set_var("AWS_REGION", "us-east-1");
    // A global endpoint (as DynamoDB Local sets it) that nothing answers: SQS must not use it.
    std::env::set_var("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    std::env::set_var("MLM_SQS_ENDPOINT", &endpoint);

    let queue = SqsQueue::from_env().await.unwrap();
    assert_eq!(queue.urls(), &urls);
    let r = route(Queue::Catalog, Work::Product { id: 205, deleted: false }, "product-205", "wh-env");
    queue.send(&r).await.unwrap();
    assert_eq!(drain(&sqs, &urls.catalog).await, [Received::of(&r)]);

    std::env::remove_var("MLM_QUEUE_ACCOUNTS_URL");
    let e = SqsQueue::from_env().await.unwrap_err();
    assert_eq!(e.to_string(), "MLM_QUEUE_ACCOUNTS_URL: is not set");
}
