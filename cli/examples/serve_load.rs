//! Load benchmark for `mlm serve` (issue 13): signed order webhooks at a fixed rate into the real
//! binary, with the BigCommerce stand-in answering the order reads; measures the intake's answer
//! time, the time from a webhook's answer to its order in the ledger file, and the server's peak
//! memory (VmHWM).
//!
//! cargo build --release -p mlm-cli --bin mlm --example serve_load
//! target/release/examples/serve_load [RATE_PER_S] [SECONDS]      (defaults: 1000 20)

use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::signature::Verifier;
use mlm_bigcommerce::standin::StandIn;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "load-bench-client-secret";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mlm_bin() -> PathBuf {
    let me = std::env::current_exe().unwrap();
    // target/release/examples/serve_load -> target/release/mlm
    me.parent().unwrap().parent().unwrap().join("mlm")
}

fn mlm(bc: &StandIn) -> Command {
    let mut c = Command::new(mlm_bin());
    c.env("BIGCOMMERCE_API_BASE", bc.base_url())
        .env("BIGCOMMERCE_STORE_HASH", "s1")
        .env("BIGCOMMERCE_ACCESS_TOKEN", "t1")
        .env("BIGCOMMERCE_CLIENT_SECRET", SECRET)
        .env("RUST_LOG", "warn");
    c
}

fn unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Today (midnight UTC) as BigCommerce writes dates: in the open period.
fn today() -> String {
    let secs = unix();
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
    format!("{wd}, {d:02} {} {y} 00:00:00 +0000", MONTHS[m as usize - 1])
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rate: u64 = args.get(1).map_or(1000, |a| a.parse().expect("RATE_PER_S"));
    let seconds: u64 = args.get(2).map_or(20, |a| a.parse().expect("SECONDS"));
    let total = (rate * seconds) as i64;

    let bc = StandIn::start("s1", "t1").await.unwrap();
    let date = today();
    bc.with(|r| {
        r.products.insert(1, doc::product(1, "Kit", "KIT", "40.00", &[(10, "KIT-1")]));
        r.variant_metafields.insert((1, 10), vec![doc::metafield(1, "variant", 10, "mlm", "bv", "30")]);
        let usd = Currencies::single("USD");
        for id in 1..=total {
            r.orders.insert(id, doc::order(id, 0, 11, &date, &usd, ""));
            r.order_products.insert(id, vec![doc::order_product(id, id, 1, 10, "KIT-1", 2, "40.0000", "")]);
            r.order_metafields.insert(id, vec![doc::metafield(id, "order", id, "mlm", "referrer", "D2")]);
        }
    });
    let dir = std::env::temp_dir().join(format!("mlm-serve-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("ledger.db");
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        "{id: p, version: 1, currency: USD, period: month, retail: {rate: '0.25'}, unilevel: {rates: ['0.1']}}",
    )
    .unwrap();
    let people = dir.join("people.csv");
    std::fs::write(&people, "id,sponsor_id,email,joined_at\nD1,,d1@example.com,2026-01-01T00:00:00Z\nD2,D1,d2@example.com,2026-01-02T00:00:00Z\n").unwrap();
    let d = data.to_str().unwrap();
    for a in [
        vec!["set-plan", plan.to_str().unwrap(), "--data", d],
        vec!["import", people.to_str().unwrap(), "--data", d],
        vec!["catalog", "sync", "--data", d],
    ] {
        let out = mlm(&bc).args(&a).output().unwrap();
        assert!(out.status.success(), "{a:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server(
        mlm(&bc)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data", d])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = server.0.id();
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    while http.get(format!("{base}/openapi.yaml")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("mlm serve (pid {pid}) up; {rate} order webhooks/s for {seconds} s ({total} orders)");

    // The ledger watcher: when each order first appears in the file.
    let seen: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let watcher = {
        let (seen, data) = (seen.clone(), data.clone());
        std::thread::spawn(move || watch(&data, total, &seen))
    };

    let answered: Arc<Mutex<HashMap<i64, (Instant, f64)>>> = Arc::default();
    let refused = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let signer = Arc::new(Verifier::from_client_secret(SECRET).unwrap());
    let url = format!("{base}/webhooks/bigcommerce");
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for order in 1..=total {
        // Open loop: each webhook leaves at its time, whatever the answers before it.
        let due = start + Duration::from_secs_f64((order - 1) as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let (http, url, signer, answered, refused) =
            (http.clone(), url.clone(), signer.clone(), answered.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            let id = format!("wh-{order}");
            let body = format!(r#"{{"scope":"store/order/created","store_id":"1","data":{{"type":"order","id":{order}}},"hash":"x","created_at":1794000000,"producer":"stores/s1"}}"#);
            let now = unix();
            let sig = signer.sign(&id, now, body.as_bytes());
            let sent = Instant::now();
            let r = http
                .post(&url)
                .header("webhook-id", &id)
                .header("webhook-timestamp", now.to_string())
                .header("webhook-signature", sig)
                .body(body)
                .send()
                .await;
            match r {
                Ok(r) if r.status().is_success() => {
                    answered.lock().unwrap().insert(order, (Instant::now(), sent.elapsed().as_secs_f64() * 1000.0));
                }
                _ => {
                    refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let sending = start.elapsed();
    watcher.join().unwrap();
    let drained = start.elapsed();
    let answered = answered.lock().unwrap();
    let seen = seen.lock().unwrap();
    let mut intake: Vec<f64> = answered.values().map(|(_, ms)| *ms).collect();
    let mut e2e: Vec<f64> = answered
        .iter()
        .filter_map(|(o, (at, _))| seen.get(o).map(|s| s.saturating_duration_since(*at).as_secs_f64() * 1000.0))
        .collect();
    let missing = answered.keys().filter(|o| !seen.contains_key(o)).count();
    println!(
        "sent {total} in {:.1} s ({:.0}/s); answered 2xx {}, refused/failed {}",
        sending.as_secs_f64(),
        total as f64 / sending.as_secs_f64(),
        answered.len(),
        refused.load(std::sync::atomic::Ordering::SeqCst)
    );
    println!(
        "intake answer ms: p50 {:.1}  p99 {:.1}  max {:.1}",
        pct(&mut intake, 0.5),
        pct(&mut intake, 0.99),
        pct(&mut intake, 1.0)
    );
    println!(
        "webhook answered -> order in ledger ms: p50 {:.0}  p99 {:.0}  max {:.0}  (not in ledger: {missing})",
        pct(&mut e2e, 0.5),
        pct(&mut e2e, 0.99),
        pct(&mut e2e, 1.0)
    );
    println!(
        "all in the ledger after {:.1} s; mlm serve peak RSS {} MiB",
        drained.as_secs_f64(),
        peak_rss_kib(pid).unwrap_or(0) / 1024
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Polls the ledger's orders every 10 ms until all `total` are there (or 60 s pass with none new).
fn watch(data: &Path, total: i64, seen: &Mutex<HashMap<i64, Instant>>) {
    let conn = rusqlite::Connection::open_with_flags(data, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut last_new = Instant::now();
    let mut have = 0i64;
    while have < total && last_new.elapsed() < Duration::from_secs(60) {
        let mut st = conn.prepare_cached("SELECT id FROM orders").unwrap();
        let ids: Vec<i64> = st.query_map([], |r| r.get(0)).unwrap().filter_map(Result::ok).collect();
        let now = Instant::now();
        let mut s = seen.lock().unwrap();
        for id in ids {
            s.entry(id).or_insert_with(|| {
                last_new = now;
                now
            });
        }
        have = s.len() as i64;
        drop(s);
        std::thread::sleep(Duration::from_millis(10));
    }
}
