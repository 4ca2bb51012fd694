//! `mlm serve` as a user runs it: a signed webhook posted to it turns into commission lines in
//! the ledger file within one second (issue 5), with the store read from the BigCommerce stand-in.

use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::signature::Verifier;
use mlm_bigcommerce::standin::StandIn;
use mlm_ledger::port::Store;
use mlm_store_sqlite::SqliteStore;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "serve-test-client-secret";

mod support;
use support::Killed;

fn tmp(name: &str) -> PathBuf {
    support::tmp_in("cli-serve", name)
}

fn mlm(bc: &StandIn) -> Command {
    support::mlm_for(bc, SECRET)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_webhook_becomes_commission_lines_within_a_second() {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    bc.with(|r| {
        r.products.insert(1, doc::product(1, "Kit", "KIT", "40.00", &[(10, "KIT-1")]));
        r.variant_metafields.insert((1, 10), vec![doc::metafield(1, "variant", 10, "mlm", "bv", "30")]);
        r.orders.insert(501, doc::order(501, 0, 11, "Tue, 03 Nov 2026 10:00:00 +0000", &Currencies::single("USD"), ""));
        r.order_products.insert(501, vec![doc::order_product(1, 501, 1, 10, "KIT-1", 2, "40.0000", "")]);
        r.order_metafields.insert(501, vec![doc::metafield(2, "order", 501, "mlm", "referrer", "D2")]);
    });
    let data = tmp("serve.db");
    let plan = tmp("plan.yaml");
    std::fs::write(
        &plan,
        "{id: p, version: 1, currency: USD, period: month, retail: {rate: '0.25'}, unilevel: {rates: ['0.1']}}",
    )
    .unwrap();
    let people = tmp("people.csv");
    std::fs::write(&people, "id,sponsor_id,email,joined_at\nD1,,d1@example.com,2026-10-01T00:00:00Z\nD2,D1,d2@example.com,2026-10-02T00:00:00Z\n").unwrap();
    let d = data.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = tokio::task::block_in_place(|| mlm(&bc).args(args).output().unwrap());
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["set-plan", plan.to_str().unwrap(), "--data", d]);
    run(&["import", people.to_str().unwrap(), "--data", d]);
    run(&["catalog", "sync", "--data", d]);

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let _server =
        Killed(mlm(&bc).args(["serve", "--listen", &listen, "--data", d]).stderr(Stdio::null()).spawn().unwrap());
    let url = format!("http://{listen}/webhooks/bigcommerce");
    let http = reqwest::Client::new();
    let body = br#"{"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":501},"hash":"x","created_at":1794000000,"producer":"stores/s1"}"#;
    let post = |id: &'static str| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let sig = Verifier::from_client_secret(SECRET).unwrap().sign(id, now, body);
        http.post(&url)
            .header("webhook-id", id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", sig)
            .body(body.to_vec())
            .send()
    };
    // Wait for the server to listen (start-up, not part of the measured second).
    let up = Instant::now();
    let mut answer = loop {
        match post("wh-1").await {
            Ok(r) => break r,
            Err(_) if up.elapsed() < Duration::from_secs(20) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("mlm serve did not start: {e}"),
        }
    };
    let posted = Instant::now();
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
    let ledger = SqliteStore::open(&data).unwrap();
    let lines = loop {
        let lines = ledger.lines("2026-11", "D2").await.unwrap();
        if !lines.is_empty() || posted.elapsed() > Duration::from_secs(5) {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let took = posted.elapsed();
    // Retail 25% of 80.00 for D2, unilevel 10% of BV 60 for D1.
    assert_eq!(
        lines.iter().map(|l| (l.kind.as_str(), l.amount.to_string())).collect::<Vec<_>>(),
        [("retail", "20.00".into())]
    );
    assert_eq!(ledger.lines("2026-11", "D1").await.unwrap()[0].amount.to_string(), "6.00");
    assert!(took < Duration::from_secs(1), "lines appeared after {took:?}");
    // A tampered delivery is refused with the reason.
    answer = http.post(&url).header("webhook-id", "x").body("{}").send().await.unwrap();
    assert_eq!(answer.status(), 401);
    assert!(answer.text().await.unwrap().contains("missing `webhook-timestamp` header"));
}
