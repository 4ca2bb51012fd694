//! The configuration as a function reads it at start: the access token from a Secrets Manager
//! secret (on moto) unless its variable overrides it, the ledger table on DynamoDB Local, the
//! stand-in as the API base, the payout queue. A binary of its own: it sets process
//! environment variables.

use aws_lambda_events::sqs::SqsEvent;
use mlm_lambda_common::config::process_env;
use mlm_lambda_common::payouts::SqsPayouts;
use mlm_lambda_common::secrets::{credential, Credential};
use mlm_lambda_common::testing::{
    dynamodb_endpoint, emulators, event, fifo_queue, sqs, sqs_endpoint, unique, World, ACCESS_TOKEN, DISTRIBUTOR,
    DYNAMODB_ENDPOINT, SQS_ENDPOINT, STORE_HASH,
};
use mlm_lambda_common::{batch, store_from_env, sync_from_env};

#[tokio::test]
async fn a_function_configures_itself_from_the_environment() {
    if !emulators(&[DYNAMODB_ENDPOINT, SQS_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", &sqs_endpoint()),
        ("MLM_DYNAMODB_ENDPOINT", &dynamodb_endpoint()),
        ("MLM_SQS_ENDPOINT", &sqs_endpoint()),
        ("MLM_LEDGER_TABLE", &w.table),
        ("BIGCOMMERCE_STORE_HASH", STORE_HASH),
        ("BIGCOMMERCE_API_BASE", &w.bc.base_url()),
    ] {
        std::env::set_var(k, v);
    }
    // moto serves Secrets Manager on the same port as SQS.
    let config = mlm_aws::load_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let id = unique("mlm-bigcommerce");
    let text = format!(r#"{{"client_secret": "cs-from-the-secret", "access_token": "{ACCESS_TOKEN}"}}"#);
    secrets.create_secret().name(&id).secret_string(text).send().await.expect("create the secret on moto");
    std::env::set_var("MLM_SECRET_ID", &id);

    // From the secret: the stand-in accepts the token, so the batch writes the order.
    std::env::remove_var("BIGCOMMERCE_ACCESS_TOKEN");
    let sync = sync_from_env(&process_env).await.unwrap();
    let report = batch::handle(&sync, event::<SqsEvent>("commission-calc.order-created.json")).await;
    assert!(report.batch_item_failures.is_empty(), "{report:?}");
    let stored = store_from_env(&process_env).await.unwrap().order(250).await.unwrap().expect("order 250 written");
    assert_eq!(stored.credited.as_deref(), Some(DISTRIBUTOR));
    assert_eq!(credential(&process_env, Credential::ClientSecret).await.unwrap(), "cs-from-the-secret");

    // The variable wins over the secret: a wrong token makes BigCommerce refuse, so the record is
    // reported for redelivery.
    std::env::set_var("BIGCOMMERCE_ACCESS_TOKEN", "not-the-token");
    let sync = sync_from_env(&process_env).await.unwrap();
    let report = batch::handle(&sync, event::<SqsEvent>("commission-calc.order-created.json")).await;
    assert_eq!(report.batch_item_failures.len(), 1);
    std::env::remove_var("BIGCOMMERCE_ACCESS_TOKEN");

    // A secret that does not exist is named in the error.
    std::env::set_var("MLM_SECRET_ID", "no-such-secret");
    let e = sync_from_env(&process_env).await.err().expect("no such secret").to_string();
    assert!(e.starts_with("secret \"no-such-secret\" (MLM_SECRET_ID): "), "{e}");
    assert!(e.contains("ResourceNotFoundException"), "{e}");

    // The payout queue must be FIFO, and is found from its variable.
    let url = fifo_queue(&sqs(), &unique("payouts")).await;
    std::env::set_var("MLM_PAYOUT_QUEUE_URL", &url);
    assert_eq!(SqsPayouts::from_env(&process_env).await.unwrap().url(), url);
    std::env::remove_var("MLM_LEDGER_TABLE");
    let e = store_from_env(&process_env).await.err().expect("no table");
    assert_eq!(e.to_string(), "MLM_LEDGER_TABLE: is not set");
}
