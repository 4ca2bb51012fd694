//! `mlm serve`'s HTTP server under hostile clients (issue 13): body limits and timeouts,
//! header-read timeout, connection limits, the security headers, and the intake's refusals of
//! ids that are not positive and of a webhook id reused for another body.

use mlm_app::auth::LocalKey;
use mlm_app::limits::{serve_with, Limits};
use mlm_app::local::Local;
use mlm_bigcommerce::client::{Client, RetryPolicy};
use mlm_bigcommerce::signature::Verifier;
use mlm_bigcommerce::standin::StandIn;
use mlm_ledger::port::Store;
use mlm_ledger::service::Ledger;
use mlm_queue::DurableQueue;
use mlm_store_sqlite::SqliteStore;
use mlm_sync::commerce::{BigCommerce, Commerce};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "client-secret-of-the-app";

struct Host {
    base: String,
    addr: std::net::SocketAddr,
    _local: Local,
    _bc: StandIn,
    _stop: tokio::sync::watch::Sender<bool>,
}

async fn host(limits: Limits) -> Host {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    let policy = RetryPolicy { attempts: 1, backoff: Duration::from_millis(1), ..Default::default() };
    let commerce: Arc<dyn Commerce> = Arc::new(BigCommerce::new(Client::new(&bc.base_url(), "s1", "t1", policy)));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let ledger = Ledger::new(store);
    ledger.set_plan("{id: p, version: 1, currency: USD, period: month, retail: {rate: '0.25'}}", None).await.unwrap();
    let sync = Arc::new(mlm_sync::Sync::new(ledger, commerce));
    let queue = DurableQueue::in_memory(Duration::from_secs(300), 1000).unwrap();
    let local = Local::start(sync, Verifier::from_client_secret(SECRET).unwrap(), None, queue);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(serve_with(listener, local.router(LocalKey::new(b"k")), stopped, limits));
    Host { base: format!("http://{addr}"), addr, _local: local, _bc: bc, _stop: stop }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn webhook(h: &Host, id: &str, order: i64) -> (u16, serde_json::Value) {
    let body = format!(
        r#"{{"scope":"store/order/created","store_id":"1","data":{{"type":"order","id":{order}}},"hash":"x","created_at":1,"producer":"stores/s1"}}"#
    );
    let ts = now();
    let sig = Verifier::from_client_secret(SECRET).unwrap().sign(id, ts, body.as_bytes());
    let r = reqwest::Client::new()
        .post(format!("{}/webhooks/bigcommerce", h.base))
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_must_be_positive_and_a_reused_webhook_id_needs_the_same_body() {
    let h = host(Limits::default()).await;
    for bad in [0, -7102] {
        let (status, v) = webhook(&h, &format!("wh-bad{bad}"), bad).await;
        assert_eq!((status, v["field"].as_str()), (400, Some("data.id")), "{v}");
        assert!(v["error"].as_str().unwrap().contains("must be a positive integer"), "{v}");
    }
    assert_eq!(webhook(&h, "wh-1", 501).await.0, 200);
    assert_eq!(webhook(&h, "wh-1", 501).await.0, 200, "the same delivery again: idempotent");
    let (status, v) = webhook(&h, "wh-1", 502).await;
    assert_eq!((status, v["field"].as_str()), (409, Some("webhook-id")), "{v}");
    assert!(v["error"].as_str().unwrap().contains("already used for another message"), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let h = host(Limits::default()).await;
    let http = reqwest::Client::new();
    for path in ["/", "/api/session", "/openapi.yaml", "/no/such/route"] {
        let r = http.get(format!("{}{path}", h.base)).send().await.unwrap();
        let hd = r.headers();
        let get = |n: &str| hd.get(n).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let csp = get("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"), "{path}: {csp}");
        let script = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert!(!script.contains("unsafe-inline"), "{path}: {script}");
        assert_eq!(get("x-frame-options"), "DENY", "{path}");
        assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(get("cache-control"), "no-store", "{path}");
    }
    // The page's own inline script is allowed by its hash, and only it.
    let r = http.get(&h.base).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    let page = r.text().await.unwrap();
    let scripts = page.matches("<script>").count();
    assert_eq!(csp.matches("'sha256-").count(), scripts, "{csp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_bounded_in_size_and_time_with_json_refusals() {
    let limits = Limits { body_timeout: Duration::from_millis(300), ..Limits::default() };
    let h = host(limits).await;
    let http = reqwest::Client::new();
    let r = http.post(format!("{}/webhooks/bigcommerce", h.base)).body(vec![b' '; 100_000]).send().await.unwrap();
    assert_eq!(r.status(), 413);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], "the body is larger than this route's limit of 65536 bytes");
    let r = http.post(format!("{}/attribution", h.base)).body(vec![b' '; 5000]).send().await.unwrap();
    assert_eq!(r.status(), 413);
    // A body that never finishes: 408 after the body timeout.
    let mut s = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    s.write_all(b"POST /attribution HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"cart").await.unwrap();
    let t = Instant::now();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut answer)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("the body did not arrive within 300 ms"), "{text}");
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_heads_are_cut_and_connections_are_limited_per_client() {
    let limits =
        Limits { header_read_timeout: Duration::from_millis(300), max_connections_per_client: 4, ..Limits::default() };
    let h = host(limits).await;
    // A head that never ends is cut after the header-read timeout.
    let mut slow = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let t = Instant::now();
    let mut buf = vec![0u8; 1024];
    let _ = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf)).await.expect("closed in time");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    drop(slow);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Four idle connections from one address are its share; the fifth is refused at once, in JSON.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(tokio::net::TcpStream::connect(h.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut fifth = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let n = tokio::time::timeout(Duration::from_secs(2), fifth.read(&mut buf)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("too many connections"), "{text}");
    // Once the idle ones are cut by the header-read timeout, the client is served again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = reqwest::get(format!("{}/openapi.yaml", h.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attribution_is_rate_limited_per_client() {
    let h = host(Limits::default()).await;
    let http = reqwest::Client::new();
    let mut codes = Vec::new();
    for i in 0..30 {
        let r = http
            .post(format!("{}/attribution", h.base))
            .body(format!(r#"{{"cart_id":"c-{i}","referrer":"D404"}}"#))
            .send()
            .await
            .unwrap();
        codes.push(r.status().as_u16());
    }
    let ok = codes.iter().filter(|c| **c == 200).count();
    assert!((10..=12).contains(&ok), "a burst of 10 then 5 a second: {codes:?}");
    assert_eq!(codes.last(), Some(&429), "{codes:?}");
}
