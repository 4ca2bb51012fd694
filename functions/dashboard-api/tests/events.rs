//! The dashboard API's `events/` file through the function as `lambda_http::run` drives it,
//! against DynamoDB Local: a replicated site's attribution of a cart is recorded.

use mlm_lambda_common::testing::{event_text, invoke_http, World, DISTRIBUTOR};
use serde_json::json;

#[tokio::test]
async fn the_attribution_event_records_the_cart() {
    let w = World::new(11).await;
    let file = "dashboard-api.attribution.json";
    let (status, body) = invoke_http(dashboard_api::app(w.sync.clone()), &event_text(file), "req-1").await;
    let cart = "ba4b8e0d-7a9b-4c45-9c7d-6b5a2f1e9c33";
    assert_eq!((status, body), (200, json!({ "cart_id": cart, "referrer": DISTRIBUTOR })));
    let stored = w.sync.ledger.store.doc("carts", cart).await.unwrap().expect("the cart is recorded");
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored, json!({ "referrer": DISTRIBUTOR, "order": null }));

    // The dashboard's routes are not served yet (issue 6): API Gateway's GET / gets a 404.
    let mut get: serde_json::Value = serde_json::from_str(&event_text(file)).unwrap();
    get["rawPath"] = "/".into();
    get["requestContext"]["http"]["method"] = "GET".into();
    get["requestContext"]["http"]["path"] = "/".into();
    get["body"] = serde_json::Value::Null;
    let answer = lambda_status(dashboard_api::app(w.sync.clone()), &get.to_string()).await;
    assert_eq!(answer, 404);
}

/// The status alone, for answers without a JSON body.
async fn lambda_status(router: axum::Router, event: &str) -> u64 {
    use lambda_http::tower::ServiceExt;
    let request: lambda_http::request::LambdaRequest = serde_json::from_str(event).unwrap();
    let answer = lambda_http::Adapter::from(router)
        .oneshot(lambda_http::LambdaEvent::new(request, lambda_http::Context::default()))
        .await
        .unwrap();
    serde_json::to_value(answer).unwrap()["statusCode"].as_u64().unwrap()
}
