//! A store's months lived through `mlm serve`, on the embedded file and on DynamoDB Local: the
//! September orders arrive as signed webhooks (twice, out of order), September closes, then
//! October brings a partial refund and a cancellation of September orders and an order of its
//! own; October closes. Both stored statements must equal `mlm simulate` of the whole run, and
//! the refund's clawback must show as a provisional line before October closes.

use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::signature::Verifier;
use mlm_bigcommerce::standin::StandIn;
use mlm_ledger::port::Store;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "lifecycle-test-client-secret";

mod support;
use support::Killed;

fn tmp(name: &str) -> PathBuf {
    support::tmp_in("cli-lifecycle", name)
}

/// Where the ledger lives: the arguments every command takes, the environment, and a store the
/// test reads directly.
struct Ledger {
    args: Vec<String>,
    env: Vec<(String, String)>,
    store: Arc<dyn Store>,
}

fn mlm(bc: &StandIn, ledger: &Ledger) -> Command {
    let mut c = support::mlm_for(bc, SECRET);
    c.envs(ledger.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    c
}

fn run(bc: &StandIn, ledger: &Ledger, args: &[&str]) -> String {
    let out = tokio::task::block_in_place(|| mlm(bc, ledger).args(args).args(&ledger.args).output().unwrap());
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const PLAN: &str =
    "{id: life, version: 1, currency: USD, period: month, retail: {rate: '0.25'}, unilevel: {rates: ['0.1', '0.05']}}";

/// The same run as a scenario for `mlm simulate`.
const SCENARIO: &str = r#"
plan: {id: life, version: 1, currency: USD, period: month, retail: {rate: '0.25'}, unilevel: {rates: ['0.1', '0.05']}}
distributors:
  - {id: D1, sponsor: null, joined_at: "2026-08-01T00:00:00Z"}
  - {id: D2, sponsor: D1, joined_at: "2026-08-02T00:00:00Z"}
  - {id: D3, sponsor: D2, joined_at: "2026-08-03T00:00:00Z"}
catalog:
  - {sku: KIT-1, bv: "30", pv: "30"}
orders:
  - {id: 601, buyer: null, referrer: D3, placed_at: "2026-09-03T10:00:00Z", lines: [{sku: KIT-1, quantity: 2, unit_price: "40"}]}
  - {id: 602, buyer: null, referrer: D3, placed_at: "2026-09-04T10:00:00Z", lines: [{sku: KIT-1, quantity: 3, unit_price: "40"}]}
  - {id: 603, buyer: null, referrer: D2, placed_at: "2026-09-05T10:00:00Z", lines: [{sku: KIT-1, quantity: 1, unit_price: "40"}]}
  - {id: 604, buyer: null, referrer: D3, placed_at: "2026-10-07T10:00:00Z", lines: [{sku: KIT-1, quantity: 1, unit_price: "40"}]}
refunds:
  - {order: 601, at: "2026-10-05T00:00:00Z", lines: [{sku: KIT-1, quantity: 1}]}
  - {order: 602, at: "2026-10-06T09:00:00Z", full: true}
"#;

fn rfc2822(day: &str) -> String {
    format!("{day} 10:00:00 +0000")
}

async fn live(mode: &str, ledger: Ledger) {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    bc.with(|r| {
        r.products.insert(1, doc::product(1, "Kit", "KIT", "40.00", &[(10, "KIT-1")]));
        r.variant_metafields.insert(
            (1, 10),
            vec![
                doc::metafield(1, "variant", 10, "mlm", "bv", "30"),
                doc::metafield(3, "variant", 10, "mlm", "pv", "30"),
            ],
        );
        for (id, day, q, referrer) in
            [(601, "Thu, 03 Sep 2026", 2, "D3"), (602, "Fri, 04 Sep 2026", 3, "D3"), (603, "Sat, 05 Sep 2026", 1, "D2")]
        {
            r.orders.insert(id, doc::order(id, 0, 11, &rfc2822(day), &Currencies::single("USD"), ""));
            r.order_products.insert(id, vec![doc::order_product(1, id, 1, 10, "KIT-1", q, "40.0000", "")]);
            r.order_metafields.insert(id, vec![doc::metafield(2, "order", id, "mlm", "referrer", referrer)]);
        }
    });
    let plan = tmp(&format!("{mode}-plan.yaml"));
    std::fs::write(&plan, PLAN).unwrap();
    let people = tmp(&format!("{mode}-people.csv"));
    std::fs::write(
        &people,
        "id,sponsor_id,email,joined_at\nD1,,d1@example.com,2026-08-01T00:00:00Z\nD2,D1,d2@example.com,2026-08-02T00:00:00Z\nD3,D2,d3@example.com,2026-08-03T00:00:00Z\n",
    )
    .unwrap();
    run(&bc, &ledger, &["set-plan", plan.to_str().unwrap()]);
    run(&bc, &ledger, &["import", people.to_str().unwrap()]);
    run(&bc, &ledger, &["catalog", "sync"]);

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let _server = Killed(
        mlm(&bc, &ledger)
            .args(["serve", "--no-schedule", "--listen", &listen])
            .args(&ledger.args)
            .stderr(std::fs::File::create(tmp(&format!("{mode}-serve.log"))).map_or(Stdio::null(), Stdio::from))
            .spawn()
            .unwrap(),
    );
    let url = format!("http://{listen}/webhooks/bigcommerce");
    let http = reqwest::Client::new();
    let post = |id: String, scope: &str, order: i64| {
        let body = format!(
            r#"{{"scope":"{scope}","store_id":"1025646","data":{{"type":"order","id":{order}}},"hash":"x","created_at":1794000000,"producer":"stores/s1"}}"#
        );
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let sig = Verifier::from_client_secret(SECRET).unwrap().sign(&id, now, body.as_bytes());
        let req = http
            .post(&url)
            .header("webhook-id", id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", sig)
            .body(body);
        async move {
            let up = Instant::now();
            loop {
                match req.try_clone().unwrap().send().await {
                    Ok(r) => {
                        assert_eq!(r.status(), 200, "{:?}", r.text().await);
                        return;
                    }
                    Err(_) if up.elapsed() < Duration::from_secs(30) => {
                        tokio::time::sleep(Duration::from_millis(50)).await
                    }
                    Err(e) => panic!("mlm serve did not answer: {e}"),
                }
            }
        }
    };
    let wait_for =
        |what: &'static str,
         ok: Box<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send>| async move {
            let t = Instant::now();
            while !ok().await {
                assert!(t.elapsed() < Duration::from_secs(30), "{mode}: timed out waiting for {what}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
    // September: every order twice, newest first.
    for (n, id) in [603, 601, 602, 601, 603, 602].into_iter().enumerate() {
        post(format!("sep-{n}"), "store/order/created", id).await;
    }
    let store = ledger.store.clone();
    wait_for(
        "September's orders",
        Box::new(move || {
            let store = store.clone();
            Box::pin(async move {
                let mut n = 0;
                for id in [601, 602, 603] {
                    n += usize::from(store.order(id).await.unwrap().is_some());
                }
                n == 3
            })
        }),
    )
    .await;
    run(&bc, &ledger, &["close-period", "2026-09"]);

    // October: one unit of 601 refunded, 602 cancelled, a new order.
    bc.with(|r| {
        r.refunds.insert(601, vec![doc::refund(1, 601, "2026-10-05T00:00:00+00:00", &[(1, 1)])]);
        let mut o = r.orders[&601].clone();
        o["status_id"] = 14.into();
        o["date_modified"] = rfc2822("Mon, 05 Oct 2026").into();
        r.orders.insert(601, o);
        let mut o = r.orders[&602].clone();
        o["status_id"] = 5.into();
        o["status"] = "Cancelled".into();
        o["date_modified"] = "Tue, 06 Oct 2026 09:00:00 +0000".into();
        r.orders.insert(602, o);
        r.orders.insert(604, doc::order(604, 0, 11, &rfc2822("Wed, 07 Oct 2026"), &Currencies::single("USD"), ""));
        r.order_products.insert(604, vec![doc::order_product(1, 604, 1, 10, "KIT-1", 1, "40.0000", "")]);
        r.order_metafields.insert(604, vec![doc::metafield(2, "order", 604, "mlm", "referrer", "D3")]);
    });
    post("oct-1".into(), "store/order/refund/created", 601).await;
    post("oct-2".into(), "store/order/statusUpdated", 602).await;
    post("oct-3".into(), "store/order/created", 604).await;
    post("oct-4".into(), "store/order/updated", 601).await;
    let store = ledger.store.clone();
    wait_for(
        "October's provisional clawbacks",
        Box::new(move || {
            let store = store.clone();
            Box::pin(async move {
                let lines = store.lines("2026-10", "D2").await.unwrap();
                let clawbacks = lines.iter().filter(|l| l.kind == "clawback").count();
                clawbacks == 2 && store.order(604).await.unwrap().is_some()
            })
        }),
    )
    .await;
    // September stays as closed; its refund shows in October as a clawback of D2's unilevel.
    let d2 = ledger.store.lines("2026-10", "D2").await.unwrap();
    let refund = d2.iter().find(|l| l.kind == "clawback" && l.order == Some(601)).unwrap();
    assert_eq!((refund.of.as_deref(), refund.amount.to_string()), (Some("unilevel"), "-3.00".to_string()));
    run(&bc, &ledger, &["close-period", "2026-10"]);

    let scenario = tmp(&format!("{mode}-scenario.yaml"));
    std::fs::write(&scenario, SCENARIO).unwrap();
    let out = tokio::task::block_in_place(|| {
        Command::new(env!("CARGO_BIN_EXE_mlm")).arg("simulate").arg(&scenario).output().unwrap()
    });
    assert!(out.status.success(), "simulate: {}", String::from_utf8_lossy(&out.stderr));
    let simulated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (i, period) in ["2026-09", "2026-10"].into_iter().enumerate() {
        let stored: serde_json::Value =
            serde_json::from_str(&run(&bc, &ledger, &["statement", "--period", period])).unwrap();
        assert_eq!(stored["periods"][0], simulated["periods"][i], "{mode}: {period} differs from mlm simulate");
    }
    // A close of a period that has not ended is refused, naming when it ends.
    let out = tokio::task::block_in_place(|| {
        mlm(&bc, &ledger).args(["close-period", "2099-01"]).args(&ledger.args).output().unwrap()
    });
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("2099-01 has not ended: it ends at 2099-02-01T00:00:00Z"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn months_lived_through_serve_on_the_embedded_file() {
    let data = tmp("lifecycle.db");
    let store = Arc::new(mlm_store_sqlite::SqliteStore::open(&data).unwrap());
    live("file", Ledger { args: vec!["--data".into(), data.to_str().unwrap().into()], env: vec![], store }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn months_lived_through_serve_on_dynamodb_local() {
    let Some(endpoint) = mlm_aws::emulator_endpoint("MLM_DYNAMODB_ENDPOINT") else { return };
    let table = format!("lifecycle-{}", std::process::id());
    // serve keeps its durable queue under the data directory: a fresh one per run, or the
    // last run's webhook ids would be taken for redeliveries.
    let home = tmp("dynamodb-home");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let env: Vec<(String, String)> = [
        ("MLM_LEDGER_TABLE", table.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("XDG_DATA_HOME", home.to_str().unwrap()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in &env {
        std::env::set_var(k, v);
    }
    let out = tokio::task::block_in_place(|| {
        Command::new(env!("CARGO_BIN_EXE_mlm")).arg("create-table").envs(env.clone()).output().unwrap()
    });
    assert!(out.status.success(), "create-table: {}", String::from_utf8_lossy(&out.stderr));
    let store = Arc::new(mlm_store_dynamodb::DynamoStore::from_env(table.clone()).await);
    live("dynamodb", Ledger { args: vec!["--dynamodb".into()], env, store }).await;
}
