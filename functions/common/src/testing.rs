//! For the functions' tests (feature `testing`): the `events/` files, DynamoDB Local and moto's
//! SQS (both started by `scripts/test.sh`, which sets `MLM_DYNAMODB_ENDPOINT` and
//! `MLM_SQS_ENDPOINT`), and a BigCommerce stand-in seeded, from the documented examples, with
//! the resources the events name: order 250, product 206 with variant 509, customer 32.

use crate::sync_over;
use aws_sdk_sqs::types::QueueAttributeName;
use mlm_app::SharedSync;
use mlm_bigcommerce::client::{Client, RetryPolicy};
use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::standin::StandIn;
use mlm_ledger::model::{DistributorRecord, StoredOrder};
use mlm_ledger::port::Store;
use mlm_store_dynamodb::DynamoStore;
use mlm_sync::commerce::BigCommerce;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The app client secret the intake events are signed with (events/README.md).
pub const CLIENT_SECRET: &str = "mlm-events-test-client-secret";
/// The store the events come from, and the stand-in's access token.
pub const STORE_HASH: &str = "abc123";
pub const ACCESS_TOKEN: &str = "mlm-events-test-access-token";
/// The resources the events name: the documented callbacks' ids.
pub const ORDER: i64 = 250;
pub const PRODUCT: i64 = 206;
pub const VARIANT: i64 = 509;
pub const SKU: &str = "KIT-509";
pub const CUSTOMER: i64 = 32;
/// The one distributor; order 250 is a guest's, referred by D1 (order metafield `mlm/referrer`).
pub const DISTRIBUTOR: &str = "D1";
/// Order 250's one line: 2 × 40.00 USD, 10 BV each; D1 earns 25% retail on 80.00, 20.00.
pub const LINE: i64 = 1;
pub const PLAN: &str = "{id: events, version: 1, currency: USD, period: month, retail: {rate: '0.25'}}";
pub const PLACED: &str = "Thu, 05 Nov 2026 10:00:00 +0000";

/// An `events/` file's text.
pub fn event_text(name: &str) -> String {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An `events/` file as the runtime deserializes it.
pub fn event<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&event_text(name)).unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

pub use crate::config::{DYNAMODB_ENDPOINT, SQS_ENDPOINT};

/// Whether every emulator a test needs (by variable: [`DYNAMODB_ENDPOINT`], [`SQS_ENDPOINT`]) is
/// configured. If not, one line on stderr per missing one and the test returns: `cargo test`
/// without the emulators skips what needs them.
pub fn emulators(vars: &[&str]) -> bool {
    vars.iter().map(|v| mlm_aws::emulator_endpoint(v).is_some()).fold(true, |all, set| all & set)
}

fn endpoint(var: &str, how: &str) -> String {
    std::env::var(var).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!("{var} is not set: run scripts/test.sh, which starts the emulators, or export {var}=$({how})")
    })
}

pub fn dynamodb_endpoint() -> String {
    endpoint("MLM_DYNAMODB_ENDPOINT", "scripts/dynamodb-local.sh")
}

pub fn sqs_endpoint() -> String {
    endpoint("MLM_SQS_ENDPOINT", "scripts/sqs-local.sh")
}

static UNIQUE: AtomicUsize = AtomicUsize::new(0);

/// A name no earlier run used: the emulators may outlive a run.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{}-{nanos}-{}", std::process::id(), UNIQUE.fetch_add(1, Ordering::SeqCst))
}

fn credentials() -> aws_sdk_dynamodb::config::Credentials {
    aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "test")
}

/// A fresh ledger table on DynamoDB Local, and its name.
pub async fn fresh_store() -> (String, Arc<DynamoStore>) {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .endpoint_url(dynamodb_endpoint())
        .credentials_provider(credentials())
        .http_client(mlm_aws::http_client())
        .build();
    let table = unique("ledger");
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(conf), &table);
    store.create_table().await.expect("create the ledger table on DynamoDB Local");
    (table, Arc::new(store))
}

/// A client of moto's SQS.
pub fn sqs() -> aws_sdk_sqs::Client {
    let conf = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .endpoint_url(sqs_endpoint())
        .credentials_provider(credentials())
        .http_client(mlm_aws::http_client())
        .build();
    aws_sdk_sqs::Client::from_conf(conf)
}

/// A new FIFO queue `{name}.fifo` (explicit deduplication ids only, as in the template).
pub async fn fifo_queue(client: &aws_sdk_sqs::Client, name: &str) -> String {
    let out = client
        .create_queue()
        .queue_name(format!("{name}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
        .send()
        .await
        .expect("create queue");
    out.queue_url().expect("a queue URL").to_string()
}

pub use mlm_queue::testing::{drain, Received};

/// The ledger on DynamoDB Local and a stand-in store holding what the events name.
pub struct World {
    pub bc: StandIn,
    pub sync: Arc<SharedSync>,
    /// The ledger's table on DynamoDB Local.
    pub table: String,
}

impl World {
    /// Order 250 with BigCommerce status `status` (11: Awaiting Fulfillment, paid), the catalog
    /// synced, D1 enrolled.
    pub async fn new(status: i64) -> World {
        let bc = StandIn::start(STORE_HASH, ACCESS_TOKEN).await.expect("start the stand-in");
        // Few, quick retries: a transient failure is reported in milliseconds.
        let policy = RetryPolicy { attempts: 2, backoff: Duration::from_millis(1), ..Default::default() };
        let client = Client::new(&bc.base_url(), STORE_HASH, ACCESS_TOKEN, policy);
        let (table, store) = fresh_store().await;
        let sync = sync_over(store, Arc::new(BigCommerce::new(client)));
        sync.ledger.set_plan(PLAN, None).await.unwrap();
        sync.ledger
            .enroll(&[DistributorRecord {
                id: DISTRIBUTOR.into(),
                sponsor: None,
                joined_at: 1,
                email: Some("d1@example.com".into()),
                bigcommerce_customer_id: None,
                placement: None,
                upline: vec![],
                matrix_upline: vec![],
            }])
            .await
            .unwrap();
        bc.with(|r| {
            r.products.insert(PRODUCT, doc::product(PRODUCT, "Starter kit", "KIT", "40.00", &[(VARIANT, SKU)]));
            r.variant_metafields
                .insert((PRODUCT, VARIANT), vec![doc::metafield(1, "variant", VARIANT, "mlm", "bv", "10")]);
            r.orders.insert(ORDER, doc::order(ORDER, 0, status, PLACED, &Currencies::single("USD"), ""));
            r.order_products
                .insert(ORDER, vec![doc::order_product(LINE, ORDER, PRODUCT, VARIANT, SKU, 2, "40.0000", "")]);
            r.order_metafields.insert(ORDER, vec![doc::metafield(2, "order", ORDER, "mlm", "referrer", DISTRIBUTOR)]);
            r.customer_attributes =
                vec![doc::customer_attribute(1, "mlm_distributor_id"), doc::customer_attribute(2, "mlm_referrer")];
            r.customers.insert(CUSTOMER, doc::customer(CUSTOMER, "d1@example.com", "Dee", &[(1, DISTRIBUTOR)]));
        });
        sync.resync_catalog().await.unwrap();
        World { bc, sync, table }
    }

    /// Changes order 250's status in the store.
    pub fn set_status(&self, status: i64, modified: &str) {
        self.bc.with(|r| {
            let o = r.orders.get_mut(&ORDER).unwrap();
            o["status_id"] = json!(status);
            o["date_modified"] = json!(modified);
        });
    }

    /// What the ledger holds for order 250.
    pub async fn stored(&self) -> Option<StoredOrder> {
        self.sync.ledger.store.order(ORDER).await.unwrap()
    }
}

/// An API Gateway event through an HTTP function's router exactly as `lambda_http::run` does
/// it (its `Adapter`: event → request, router, response → API Gateway's answer). Returns the
/// answer's status and JSON body.
pub async fn invoke_http(router: axum::Router, event: &str, request_id: &str) -> (u16, serde_json::Value) {
    use lambda_http::tower::ServiceExt;
    let request: lambda_http::request::LambdaRequest = serde_json::from_str(event).expect("an API Gateway event");
    let mut context = lambda_http::Context::default();
    context.request_id = request_id.into();
    let answer = lambda_http::Adapter::from(router)
        .oneshot(lambda_http::LambdaEvent::new(request, context))
        .await
        .expect("the router is infallible");
    let answer = serde_json::to_value(answer).expect("answers serialize");
    let status = answer["statusCode"].as_u64().expect("a statusCode") as u16;
    let body = answer["body"].as_str().unwrap_or("null");
    (status, serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}")))
}
