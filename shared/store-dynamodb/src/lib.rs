//! The production adapter of the `Store` port: one on-demand DynamoDB table, single-table
//! design, one GSI (`docs/data-model.md`). Records travel as JSON in a `rec` attribute (decimals
//! as strings, never floats); running totals are DynamoDB numbers (exact decimals) updated with
//! `ADD` inside the order's transaction.
//!
//! Where things are: `keys` (every key of the table), `items` (attributes and records),
//! `requests` (the low-level SDK calls), `store` (the `Store` methods made of them).

mod error;
mod items;
mod keys;
mod requests;
mod store;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use error::{backend, sdk};
use mlm_ledger::port::StoreResult;
use std::sync::atomic::{AtomicU64, Ordering};

/// The table: key attributes, the GSI and billing, as `template.yaml` deploys it (a test holds
/// the two together).
pub mod table {
    pub const PK: &str = "PK";
    pub const SK: &str = "SK";
    pub const GSI: &str = "GSI1";
    pub const GSI_PK: &str = "GSI1PK";
    pub const GSI_SK: &str = "GSI1SK";
    /// Order states and period lines are spread over this many GSI partitions.
    pub const SHARDS: u64 = mlm_ledger::model::SHARDS as u64;
}

pub struct DynamoStore {
    client: Client,
    table: String,
    parked_seq: AtomicU64,
    last_write_items: AtomicU64,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore { client, table: table.into(), parked_seq: AtomicU64::new(0), last_write_items: AtomicU64::new(0) }
    }

    /// A client from the environment (`AWS_ENDPOINT_URL` for DynamoDB Local included).
    pub async fn from_env(table: impl Into<String>) -> DynamoStore {
        let config = mlm_aws::load_config().await;
        DynamoStore::new(Client::new(&config), table)
    }

    /// Creates the table as `template.yaml` defines it (on-demand, one GSI).
    pub async fn create_table(&self) -> StoreResult<()> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(backend)
        };
        let ks = |name: &str, t: KeyType| {
            KeySchemaElement::builder().attribute_name(name).key_type(t).build().map_err(backend)
        };
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(table::GSI)
            .key_schema(ks(table::GSI_PK, KeyType::Hash)?)
            .key_schema(ks(table::GSI_SK, KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(backend)?;
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr(table::PK)?)
            .attribute_definitions(attr(table::SK)?)
            .attribute_definitions(attr(table::GSI_PK)?)
            .attribute_definitions(attr(table::GSI_SK)?)
            .key_schema(ks(table::PK, KeyType::Hash)?)
            .key_schema(ks(table::SK, KeyType::Range)?)
            .global_secondary_indexes(gsi)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    /// How many items the last order transaction wrote (for the cost tests).
    pub fn last_write_items(&self) -> u64 {
        self.last_write_items.load(Ordering::SeqCst)
    }
}
