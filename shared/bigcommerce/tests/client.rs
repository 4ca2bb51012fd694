//! The REST client against the local stand-in: pagination, rate limits, retries, errors.

use mlm_bigcommerce::client::{ApiError, Client, RetryPolicy};
use mlm_bigcommerce::standin::{Fault, StandIn};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn quick() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        backoff: Duration::from_millis(10),
        rate_limited: 3,
        max_wait: Duration::from_secs(2),
        timeout: Duration::from_millis(500),
    }
}

async fn setup() -> (StandIn, Client) {
    let s = StandIn::start("abc123", "token-1").await.unwrap();
    let c = Client::new(&s.base_url(), "abc123", "token-1", quick());
    s.with(|r| {
        r.orders.insert(100, json!({ "id": 100, "status_id": 11 }));
        r.order_products.insert(100, (1..=7).map(|i| json!({ "id": i, "order_id": 100 })).collect());
        for i in 1..=5 {
            r.hooks.insert(i, json!({ "id": i, "scope": format!("store/order/{i}") }));
        }
    });
    (s, c)
}

#[tokio::test]
async fn pages_through_v2_and_v3_lists() {
    let (s, c) = setup().await;
    let products: Vec<Value> = c.get_all_v2("v2/orders/100/products", 3).await.unwrap();
    assert_eq!(products.len(), 7);
    let hooks: Vec<Value> = c.get_all_v3("v3/hooks", 2).await.unwrap();
    assert_eq!(hooks.iter().map(|h| h["id"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    let reqs = s.requests();
    assert!(reqs.contains(&"GET /stores/abc123/v2/orders/100/products?page=3&limit=3".to_string()), "{reqs:?}");
    assert!(reqs.contains(&"GET /stores/abc123/v3/hooks?page=3&limit=2".to_string()), "{reqs:?}");
}

#[tokio::test]
async fn waits_out_rate_limits_as_told() {
    let (s, c) = setup().await;
    s.with(|r| r.faults.extend([Fault::RateLimited { reset_ms: 150 }, Fault::RateLimited { reset_ms: 150 }]));
    let t = Instant::now();
    let o: Value = c.get("v2/orders/100").await.unwrap();
    assert_eq!(o["status_id"], 11);
    assert!(t.elapsed() >= Duration::from_millis(300), "waited only {:?}", t.elapsed());
    assert_eq!(s.requests().len(), 3);
    // More 429s than the policy allows: a typed error naming the call.
    s.with(|r| r.faults.extend(std::iter::repeat_n(Fault::RateLimited { reset_ms: 1 }, 4)));
    let e = c.get::<Value>("v2/orders/100").await.unwrap_err();
    assert!(matches!(e, ApiError::RateLimited { waits: 3, .. }), "{e}");
    assert!(e.to_string().starts_with("GET v2/orders/100: still rate-limited"), "{e}");
}

#[tokio::test]
async fn retries_server_errors_with_backoff_then_gives_up() {
    let (s, c) = setup().await;
    s.with(|r| r.faults.extend([Fault::Status(502), Fault::Status(503)]));
    let o: Value = c.get("v2/orders/100").await.unwrap();
    assert_eq!(o["id"], 100);
    s.with(|r| r.faults.extend([Fault::Status(500), Fault::Status(500), Fault::Status(500)]));
    let e = c.get::<Value>("v2/orders/100").await.unwrap_err();
    assert!(matches!(e, ApiError::Status { status: 500, .. }), "{e}");
    assert!(e.to_string().contains("GET v2/orders/100: BigCommerce answered HTTP 500"), "{e}");
}

#[tokio::test]
async fn times_out_and_reports_the_call() {
    let (s, c) = setup().await;
    s.with(|r| r.faults.extend(std::iter::repeat_n(Fault::Delay(Duration::from_secs(2)), 3)));
    let e = c.get::<Value>("v2/orders/100").await.unwrap_err();
    assert!(matches!(e, ApiError::Transport { .. }), "{e}");
    assert!(e.to_string().contains("GET v2/orders/100: timed out"), "{e}");
}

#[tokio::test]
async fn client_errors_are_not_retried_and_say_what_failed() {
    let (s, c) = setup().await;
    let e = c.get::<Value>("v2/orders/999").await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(s.requests().len(), 1);
    let wrong = Client::new(&s.base_url(), "abc123", "wrong", quick());
    let e = wrong.get::<Value>("v2/orders/100").await.unwrap_err();
    assert!(matches!(e, ApiError::Status { status: 401, .. }), "{e}");
    // A document that does not match the expected type names the field.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Order {
        id: i64,
        status_id: String,
    }
    let e = c.get::<Order>("v2/orders/100").await.unwrap_err();
    assert!(e.to_string().contains("GET v2/orders/100: unexpected response: status_id: invalid type"), "{e}");
}
