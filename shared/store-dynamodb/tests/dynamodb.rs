//! The DynamoDB adapter against DynamoDB Local (started by `scripts/test.sh`, which sets
//! `MLM_DYNAMODB_ENDPOINT`): the conformance suite, the cost of one order with a 1,000-deep
//! upline counted in SDK calls, and the table matching `template.yaml`.

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{BehaviorVersion, ConfigBag, Credentials, Intercept, Region};
use aws_sdk_dynamodb::error::BoxError;
use mlm_ledger::model::*;
use mlm_ledger::{Applied, Ledger, Store};
use mlm_store_dynamodb::{table, DynamoStore};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts every request the SDK sends.
#[derive(Debug, Clone, Default)]
struct Calls(Arc<AtomicUsize>);

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "count-calls"
    }
    fn read_before_execution(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// DynamoDB Local's endpoint, or `None` (after a note on stderr): the test is skipped.
fn endpoint() -> Option<String> {
    mlm_aws::emulator_endpoint("MLM_DYNAMODB_ENDPOINT")
}

static TABLES: AtomicUsize = AtomicUsize::new(0);

async fn fresh(calls: &Calls, endpoint: &str) -> DynamoStore {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "test"))
        .interceptor(calls.clone())
        .http_client(mlm_aws::http_client())
        .build();
    let name = format!("ledger-{}-{}", std::process::id(), TABLES.fetch_add(1, Ordering::SeqCst));
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(conf), name);
    store.create_table().await.expect("create table");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_suite() {
    let Some(endpoint) = endpoint() else { return };
    let calls = Calls::default();
    mlm_store_conformance::run_all(|| fresh(&calls, &endpoint)).await;
}

fn rec(id: String, sponsor: Option<String>, t: i64) -> DistributorRecord {
    DistributorRecord {
        id,
        sponsor,
        joined_at: t,
        email: None,
        bigcommerce_customer_id: None,
        placement: None,
        upline: vec![],
        matrix_upline: vec![],
    }
}

fn order(id: i64, buyer: &str) -> OrderSnapshot {
    OrderSnapshot {
        id,
        buyer: Some(buyer.into()),
        referrer: None,
        placed_at: 1_794_000_000_000_000_000, // 2026-11-05
        currency: None,
        exchange_rate: None,
        lines: vec![SnapshotLine { sku: "K".into(), quantity: 1, unit_price: "100".parse().unwrap() }],
        refunds: vec![],
        status: OrderStatus::Paid,
        modified_at: None,
    }
}

/// One order at the bottom of a 1,000-deep upline costs at most 4 round trips and at most
/// (lines + 3) written items (spec: architecture, "Cost per order is bounded").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_costs_a_bounded_number_of_round_trips() {
    let Some(endpoint) = endpoint() else { return };
    let calls = Calls::default();
    let store = fresh(&calls, &endpoint).await;
    let ledger = Ledger::new(store);
    ledger
        .set_plan("{id: deep, version: 1, currency: USD, period: month, activity: {min_pv: 50}, retail: {rate: '0.1'}, unilevel: {rates: ['0.05', '0.04', '0.03']}, matrix: {width: 2, rates: ['0.02', '0.02']}}", None)
        .await
        .unwrap();
    ledger
        .set_mapping(&Mapping {
            sku: "K".into(),
            bv: Some("100".parse().unwrap()),
            bv_rate: None,
            pv: Some("100".parse().unwrap()),
        })
        .await
        .unwrap();
    let chain: Vec<DistributorRecord> =
        (0..1000).map(|i| rec(format!("D{i}"), (i > 0).then(|| format!("D{}", i - 1)), i)).collect();
    ledger.enroll(&chain).await.unwrap();
    assert_eq!(ledger.store.distributor("D999").await.unwrap().unwrap().upline.len(), 999);
    ledger.add_customer(&CustomerRecord { id: "C1".into(), referrer: Some("D999".into()) }).await.unwrap();
    // D998 and D990 become active (PV 100 ≥ 50); everyone else above stays inactive.
    for (i, who) in ["D998", "D990"].iter().enumerate() {
        assert!(matches!(ledger.apply_order(&order(1 + i as i64, who)).await.unwrap(), Applied::Written { .. }));
    }

    let mut report = Vec::new();
    for (label, snap, max_calls) in [
        ("distributor order, new", order(10, "D999"), 3),
        ("same order again (duplicate)", order(10, "D999"), 1),
        ("retail customer's order, new", order(11, "C1"), 4),
    ] {
        let before = calls.0.load(Ordering::SeqCst);
        let applied = ledger.apply_order(&snap).await.unwrap();
        let used = calls.0.load(Ordering::SeqCst) - before;
        let written = if matches!(applied, Applied::Unchanged) { 0 } else { ledger.store.last_write_items() };
        let lines = match applied {
            Applied::Written { lines, .. } => lines as u64,
            _ => 0,
        };
        report.push(format!("{label}: {used} round trips, {written} items written, {lines} lines"));
        assert!(used <= max_calls, "{label}: {used} round trips");
        assert!(written <= lines + 3, "{label}: {written} items for {lines} lines");
    }
    // Compression skipped the inactive D997..D991: D998 earns level 1 and D990 level 2.
    let d990 = ledger.store.lines("2026-11", "D990").await.unwrap();
    assert!(d990.iter().any(|l| l.order == Some(10) && l.kind == "unilevel" && l.level == Some(2)), "{d990:?}");
    eprintln!("{}", report.join("\n"));
}

/// The table the adapter creates is the one `template.yaml` deploys.
#[test]
fn template_defines_the_same_table() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml")).unwrap();
    let doc = &yaml_rust2::YamlLoader::load_from_str(&text).unwrap()[0];
    let t = &doc["Resources"]["LedgerTable"]["Properties"];
    assert_eq!(t["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(t["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(), Some(true));
    let pairs = |y: &yaml_rust2::Yaml, a: &str, b: &str| -> Vec<(String, String)> {
        y.as_vec()
            .unwrap()
            .iter()
            .map(|e| (e[a].as_str().unwrap().to_string(), e[b].as_str().unwrap().to_string()))
            .collect()
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        pairs(&t["KeySchema"], "AttributeName", "KeyType"),
        [(s(table::PK), s("HASH")), (s(table::SK), s("RANGE"))]
    );
    let attrs = pairs(&t["AttributeDefinitions"], "AttributeName", "AttributeType");
    assert_eq!(attrs, [table::PK, table::SK, table::GSI_PK, table::GSI_SK].map(|a| (s(a), s("S"))));
    let gsi = &t["GlobalSecondaryIndexes"][0];
    assert_eq!(gsi["IndexName"].as_str(), Some(table::GSI));
    assert_eq!(
        pairs(&gsi["KeySchema"], "AttributeName", "KeyType"),
        [(s(table::GSI_PK), s("HASH")), (s(table::GSI_SK), s("RANGE"))]
    );
    assert_eq!(gsi["Projection"]["ProjectionType"].as_str(), Some("ALL"));
}

/// A downline page reads a level of standings with `docs_at`: one BatchGetItem per 100 keys, not
/// one GetItem per member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_by_key_are_read_in_batches() {
    let Some(endpoint) = endpoint() else { return };
    let calls = Calls::default();
    let store = fresh(&calls, &endpoint).await;
    let docs: Vec<(String, String, String)> =
        (0..250).map(|i| (format!("standing#D{i}"), "2026-11".to_string(), format!("{{\"i\":{i}}}"))).collect();
    store.put_docs(&docs).await.unwrap();
    let keys: Vec<(String, String)> = docs.iter().map(|(c, k, _)| (c.clone(), k.clone())).collect();
    let before = calls.0.load(Ordering::SeqCst);
    let got = store.docs_at(&keys).await.unwrap();
    assert_eq!(calls.0.load(Ordering::SeqCst) - before, 3);
    assert_eq!(got, docs.iter().map(|(_, _, j)| Some(j.clone())).collect::<Vec<_>>());
}
