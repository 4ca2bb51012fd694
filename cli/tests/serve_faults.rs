//! `mlm serve` killed mid-stream (issue 13): the real binary takes signed order webhooks from
//! several senders at once and is killed with SIGKILL, round after round, then stopped with
//! SIGTERM; after the last restart every webhook it answered 2xx has reached the ledger, and
//! each order exactly once.

use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::signature::Verifier;
use mlm_bigcommerce::standin::StandIn;
use mlm_ledger::port::Store;
use mlm_store_sqlite::SqliteStore;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "faults-test-client-secret";
/// Orders in the store; every round sends the next ones.
const ORDERS: i64 = 3000;

mod support;
use support::Killed as Server;

fn tmp(name: &str) -> PathBuf {
    support::tmp_in("cli-serve-faults", name)
}

fn mlm(bc: &StandIn) -> Command {
    let mut c = support::mlm_for(bc, SECRET);
    c.env("RUST_LOG", "warn");
    c
}

/// Today's date as BigCommerce writes it (RFC 2822) and its period: the open period, which the
/// server's start-up tick does not close.
fn today() -> (String, String) {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let wd = DAYS[secs.div_euclid(86_400).rem_euclid(7) as usize];
    // Midnight UTC today: never in the future, always in the open period.
    (format!("{wd}, {d:02} {} {y} 00:00:00 +0000", MONTHS[m as usize - 1]), format!("{y}-{m:02}"))
}

async fn stand_in() -> StandIn {
    let (date, _) = today();
    let bc = StandIn::start("s1", "t1").await.unwrap();
    bc.with(|r| {
        r.products.insert(1, doc::product(1, "Kit", "KIT", "40.00", &[(10, "KIT-1")]));
        r.variant_metafields.insert((1, 10), vec![doc::metafield(1, "variant", 10, "mlm", "bv", "30")]);
        for id in 1..=ORDERS {
            let usd = Currencies::single("USD");
            r.orders.insert(id, doc::order(id, 0, 11, &date, &usd, ""));
            r.order_products.insert(id, vec![doc::order_product(id, id, 1, 10, "KIT-1", 2, "40.0000", "")]);
            r.order_metafields.insert(id, vec![doc::metafield(id, "order", id, "mlm", "referrer", "D2")]);
        }
    });
    bc
}

fn setup(bc: &StandIn, data: &Path) {
    let plan = tmp("plan.yaml");
    std::fs::write(
        &plan,
        "{id: p, version: 1, currency: USD, period: month, retail: {rate: '0.25'}, unilevel: {rates: ['0.1']}}",
    )
    .unwrap();
    let people = tmp("people.csv");
    std::fs::write(&people, "id,sponsor_id,email,joined_at\nD1,,d1@example.com,2026-10-01T00:00:00Z\nD2,D1,d2@example.com,2026-10-02T00:00:00Z\n").unwrap();
    let d = data.to_str().unwrap();
    for args in [
        vec!["set-plan", plan.to_str().unwrap(), "--data", d],
        vec!["import", people.to_str().unwrap(), "--data", d],
        vec!["catalog", "sync", "--data", d],
    ] {
        let out = mlm(bc).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn start(bc: &StandIn, data: &Path, listen: &str) -> Server {
    Server(
        mlm(bc)
            .args(["serve", "--listen", listen, "--data", data.to_str().unwrap()])
            .stderr(
                std::fs::OpenOptions::new().create(true).append(true).open(format!("{}.log", data.display())).unwrap(),
            )
            .spawn()
            .unwrap(),
    )
}

fn body(order: i64) -> Vec<u8> {
    format!(r#"{{"scope":"store/order/created","store_id":"1","data":{{"type":"order","id":{order}}},"hash":"x","created_at":1794000000,"producer":"stores/s1"}}"#).into_bytes()
}

async fn post(http: &reqwest::Client, url: &str, order: i64) -> Result<reqwest::StatusCode, reqwest::Error> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let id = format!("wh-{order}");
    let b = body(order);
    let sig = Verifier::from_client_secret(SECRET).unwrap().sign(&id, now, &b);
    let r = http
        .post(url)
        .header("webhook-id", &id)
        .header("webhook-timestamp", now.to_string())
        .header("webhook-signature", sig)
        .body(b)
        .send()
        .await?;
    Ok(r.status())
}

async fn wait_up(http: &reqwest::Client, base: &str) {
    let up = Instant::now();
    while http.get(format!("{base}/openapi.yaml")).send().await.is_err() {
        assert!(up.elapsed() < Duration::from_secs(20), "mlm serve did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Streams the next orders from 8 senders until the server stops answering; returns the orders
/// answered 2xx.
async fn stream(url: String, next: Arc<AtomicI64>, acked: Arc<Mutex<BTreeSet<i64>>>) {
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (http, url, next, acked) = (http.clone(), url.clone(), next.clone(), acked.clone());
            tokio::spawn(async move {
                loop {
                    let order = next.fetch_add(1, Ordering::SeqCst);
                    if order > ORDERS {
                        return;
                    }
                    match post(&http, &url, order).await {
                        Ok(s) if s.is_success() => {
                            acked.lock().unwrap().insert(order);
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// Waits until the queue in the ledger file is empty.
async fn drained(data: &Path) {
    let conn = rusqlite::Connection::open(data).unwrap();
    let t = Instant::now();
    loop {
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM queue_messages", [], |r| r.get(0)).unwrap();
        if n == 0 {
            return;
        }
        assert!(t.elapsed() < Duration::from_secs(120), "{n} messages still queued after 2 minutes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_answered_2xx_survive_kill_9_and_sigterm() {
    let bc = stand_in().await;
    let data = tmp("faults.db");
    tokio::task::block_in_place(|| setup(&bc, &data));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");
    let url = format!("{base}/webhooks/bigcommerce");
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicI64::new(1));
    let acked = Arc::new(Mutex::new(BTreeSet::new()));

    // Five kill -9 rounds at different moments, then one SIGTERM round.
    for (round, after_ms) in [150u64, 400, 250, 600, 350, 500].into_iter().enumerate() {
        let mut server = start(&bc, &data, &listen);
        wait_up(&http, &base).await;
        let sending = tokio::spawn(stream(url.clone(), next.clone(), acked.clone()));
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        if round < 5 {
            server.0.kill().unwrap(); // SIGKILL
            server.0.wait().unwrap();
        } else {
            let pid = server.0.id().to_string();
            assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
            let t = Instant::now();
            let status = tokio::task::block_in_place(|| server.0.wait().unwrap());
            assert!(status.success(), "SIGTERM: {status:?}");
            eprintln!("SIGTERM: stopped in {:?}", t.elapsed());
        }
        sending.await.unwrap();
        eprintln!("round {round}: {} answered 2xx so far", acked.lock().unwrap().len());
    }

    // Restart; everything stored is worked; nothing is re-sent.
    let _server = start(&bc, &data, &listen);
    wait_up(&http, &base).await;
    drained(&data).await;
    let ledger = SqliteStore::open(&data).unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 100, "too few webhooks were acknowledged to test anything: {}", acked.len());
    let lines = ledger.lines(&today().1, "D2").await.unwrap();
    let mut in_ledger: Vec<String> = lines.iter().map(|l| l.key()).collect();
    let all = in_ledger.len();
    in_ledger.sort();
    in_ledger.dedup();
    assert_eq!(in_ledger.len(), all, "an order's line appears twice");
    let orders: BTreeSet<i64> = lines.iter().filter_map(|l| l.order).collect();
    assert_eq!(orders.len(), lines.len(), "one retail line per order");
    for p in ledger.parked().await.unwrap().iter().take(3) {
        eprintln!("parked: {p:?}");
    }
    let lost: Vec<i64> = acked.difference(&orders).copied().collect();
    eprintln!("{} webhooks answered 2xx over 5 kill -9 rounds and a SIGTERM; lost: {}", acked.len(), lost.len());
    assert!(lost.is_empty(), "answered 2xx but not in the ledger: {lost:?}");
    // Exactly once: one 20.00 retail line per order in the ledger, no more.
    for l in &lines {
        assert_eq!(l.amount.to_string(), "20.00", "{l:?}");
    }
}
