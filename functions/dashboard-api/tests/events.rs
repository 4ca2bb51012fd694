//! The dashboard API's `events/` files through the function as `lambda_http::run` drives it,
//! against DynamoDB Local and the BigCommerce stand-in: a replicated site's cart attribution,
//! the page, and a distributor's lines read with the claims API Gateway's JWT authorizer passes
//! on, including the function's own refusals (no claims, someone else's id, expired).

use mlm_app::schedule::LedgerPayouts;
use mlm_lambda_common::testing::{emulators, event_text, invoke_http, World, DISTRIBUTOR, DYNAMODB_ENDPOINT, ORDER};
use serde_json::{json, Value};
use std::sync::Arc;

fn app(w: &World) -> axum::Router {
    dashboard_api::app(w.sync.clone(), Arc::new(LedgerPayouts(w.sync.ledger.store.clone())))
}

#[tokio::test]
async fn the_attribution_event_records_the_cart() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    let file = "dashboard-api.attribution.json";
    let (status, body) = invoke_http(app(&w), &event_text(file), "req-1").await;
    let cart = "ba4b8e0d-7a9b-4c45-9c7d-6b5a2f1e9c33";
    assert_eq!((status, body), (200, json!({ "cart_id": cart, "referrer": DISTRIBUTOR })));
    let stored = w.sync.ledger.store.doc("carts", cart).await.unwrap().expect("the cart is recorded");
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored, json!({ "referrer": DISTRIBUTOR, "order": null }));
}

#[tokio::test]
async fn the_page_is_served_without_a_token() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    let answer = lambda_answer(app(&w), &event_text("dashboard-api.page.json")).await;
    assert_eq!(answer["statusCode"], 200);
    assert!(answer["headers"]["content-type"].as_str().unwrap().starts_with("text/html"), "{answer}");
    assert!(answer["body"].as_str().unwrap().contains("</html>"));
}

#[tokio::test]
async fn a_distributor_reads_its_lines_with_the_authorizers_claims_and_nothing_else() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    // Order 250 (a guest's, referred by D1): D1 earns 25% retail on 80.00.
    w.sync.order(ORDER).await.unwrap();
    let file = "dashboard-api.lines.json";
    let (status, body) = invoke_http(app(&w), &event_text(file), "req-2").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["period"].as_str(), body["total"].as_str()), (Some("2026-11"), Some("20.00")));
    assert_eq!(body["lines"][0]["order"], json!(ORDER));

    let event: Value = serde_json::from_str(&event_text(file)).unwrap();
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut e = event.clone();
        edit(&mut e);
        e.to_string()
    };
    // Another distributor's token: 403, none of D1's figures.
    let other = with(&|e| e["requestContext"]["authorizer"]["jwt"]["claims"]["custom:distributor_id"] = "D9".into());
    let (status, body) = invoke_http(app(&w), &other, "req-3").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("distributor D9 may not read distributor D1's records")));
    // No authorizer claims (a misconfigured route): 401.
    let bare = with(&|e| {
        e["requestContext"].as_object_mut().unwrap().remove("authorizer");
    });
    let (status, _) = invoke_http(app(&w), &bare, "req-4").await;
    assert_eq!(status, 401);
    // An expired token the gateway let through (clock skew): 401.
    let expired = with(&|e| e["requestContext"]["authorizer"]["jwt"]["claims"]["exp"] = "1795168800".into());
    let (status, body) = invoke_http(app(&w), &expired, "req-5").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("the token has expired: sign in again")));
    // Not an admin: the admin routes refuse.
    let admin_route = with(&|e| {
        e["rawPath"] = "/api/admin/parked".into();
        e["requestContext"]["http"]["path"] = "/api/admin/parked".into();
    });
    let (status, _) = invoke_http(app(&w), &admin_route, "req-6").await;
    assert_eq!(status, 403);
    let admin = with(&|e| {
        e["rawPath"] = "/api/admin/parked".into();
        e["requestContext"]["http"]["path"] = "/api/admin/parked".into();
        e["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = "[admin distributors]".into();
    });
    let (status, body) = invoke_http(app(&w), &admin, "req-7").await;
    assert_eq!((status, body["parked"].as_array().map(Vec::len)), (200, Some(0)));
}

/// The whole API Gateway answer, for bodies that are not JSON.
async fn lambda_answer(router: axum::Router, event: &str) -> Value {
    use lambda_http::tower::ServiceExt;
    let request: lambda_http::request::LambdaRequest = serde_json::from_str(event).unwrap();
    let answer = lambda_http::Adapter::from(router)
        .oneshot(lambda_http::LambdaEvent::new(request, lambda_http::Context::default()))
        .await
        .unwrap();
    serde_json::to_value(answer).unwrap()
}
