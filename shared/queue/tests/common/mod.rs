//! Shared by the tests against moto's SQS server (`scripts/sqs-local.sh`, started by
//! `scripts/test.sh`, which sets `MLM_SQS_ENDPOINT`).

use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::Client;
use mlm_bigcommerce::events::Work;
use mlm_queue::{Message, Queue, Route};
use std::sync::atomic::{AtomicUsize, Ordering};

/// moto's endpoint, or `None` (after a note on stderr): the test is skipped.
pub fn endpoint() -> Option<String> {
    mlm_aws::emulator_endpoint("MLM_SQS_ENDPOINT")
}

/// A client of moto's SQS server, or `None` (after a note on stderr): the test is skipped.
pub fn client() -> Option<Client> {
    let endpoint = endpoint()?;
    let conf = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "test"))
        .http_client(mlm_aws::http_client())
        .build();
    Some(Client::from_conf(conf))
}

static PREFIXES: AtomicUsize = AtomicUsize::new(0);

/// A prefix no earlier run used: the server may outlive a run (`sqs-local.sh` reuses it), and
/// CreateQueue on an existing name returns the old queue with its old messages.
pub fn unique_prefix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("mlm-{}-{nanos}-{}", std::process::id(), PREFIXES.fetch_add(1, Ordering::SeqCst))
}

/// A message as received, with the FIFO attributes SQS returns when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub message: Message,
    pub group: String,
    pub dedup: String,
}

/// Every message of the queue, decoded, with its FIFO attributes (the queue is left empty).
pub async fn drain(client: &Client, url: &str) -> Vec<Received> {
    let raw = mlm_queue::testing::drain(client, url).await;
    raw.into_iter()
        .map(|r| Received {
            message: mlm_queue::decode(&r.body).expect("the body decodes"),
            group: r.group,
            dedup: r.dedup,
        })
        .collect()
}

/// An order's route as the intake makes it.
pub fn route(queue: Queue, work: Work, group: &str, dedup: &str) -> Route {
    Route {
        queue,
        group: group.into(),
        dedup: dedup.into(),
        message: Message {
            work,
            scope: "store/order/updated".into(),
            webhook_id: dedup.into(),
            created_at: Some(1_561_479_335),
        },
    }
}

impl Received {
    pub fn of(route: &Route) -> Received {
        Received { message: route.message.clone(), group: route.group.clone(), dedup: route.dedup.clone() }
    }
}
