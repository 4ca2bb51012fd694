//! The dashboard and admin API over HTTP as a host serves it (the router of `mlm serve` and the
//! dashboard-api function), on a small company: every route, every denial, and each response
//! held to `openapi.yaml`.
//!
//! The company (plan below, November 2026): D1 sponsors D2 and D3 (D3 placed on D1's right),
//! D2 sponsors D4. Each of D1, D2, D3 buys one kit (100.00, BV 50, PV 50) and D2's retail
//! customer buys one. D1 sells no retail, so its ratio is 0 and its team commissions are held.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use mlm_app::api::{api_router, ApiState};
use mlm_app::auth::{dev_claims, Auth, LocalKey};
use mlm_app::schedule::{tick, LedgerPayouts};
use mlm_app::SharedSync;
use mlm_bigcommerce::client::{Client, RetryPolicy};
use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::standin::StandIn;
use mlm_engine::period::Timestamp;
use mlm_ledger::model::DistributorRecord;
use mlm_ledger::port::Store;
use mlm_ledger::service::Ledger;
use mlm_store_sqlite::SqliteStore;
use mlm_sync::commerce::{BigCommerce, Commerce};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::openapi;
use tower::ServiceExt;

const PLAN: &str = r#"
id: acme
version: 1
currency: USD
period: month
activity: { min_pv: 20 }
retail: { rate: "0.20" }
unilevel: { rates: ["0.10", "0.05"] }
binary: { rate: "0.10", placement: extreme_left }
matrix: { width: 2, rates: ["0.03"] }
ranks:
  - { name: Bronze, min_pv: 50 }
  - { name: Silver, min_pv: 50, min_gv: 300, min_legs: { count: 2, rank: Bronze } }
compliance: { min_retail_ratio: "0.10" }
payout: { min_amount: "5" }
"#;
const NOV: &str = "Tue, 10 Nov 2026 10:00:00 +0000";

fn at(t: &str) -> i64 {
    Timestamp::parse(t).unwrap().0 / 1_000_000_000
}

struct Api {
    app: Router,
    key: LocalKey,
    now: Arc<AtomicI64>,
    sync: Arc<SharedSync>,
    bc: StandIn,
}

struct Reply {
    status: StatusCode,
    body: Value,
}

impl Api {
    async fn new() -> Api {
        let bc = StandIn::start("s1", "t1").await.unwrap();
        let policy = RetryPolicy { attempts: 2, backoff: Duration::from_millis(1), ..Default::default() };
        let commerce: Arc<dyn Commerce> = Arc::new(BigCommerce::new(Client::new(&bc.base_url(), "s1", "t1", policy)));
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
        let ledger = Ledger::new(store);
        ledger.set_plan(PLAN, None).await.unwrap();
        let d = |id: &str, sponsor: Option<&str>, t, placement: Option<(&str, &str)>| DistributorRecord {
            id: id.into(),
            sponsor: sponsor.map(Into::into),
            joined_at: t,
            email: Some(format!("{}@acme.example", id.to_lowercase())),
            bigcommerce_customer_id: None,
            placement: placement.map(|(p, l)| (p.into(), l.into())),
            upline: vec![],
            matrix_upline: vec![],
        };
        ledger
            .enroll(&[
                d("D1", None, 1, None),
                d("D2", Some("D1"), 2, None),
                d("D3", Some("D1"), 3, Some(("D1", "right"))),
                d("D4", Some("D2"), 4, None),
            ])
            .await
            .unwrap();
        bc.with(|r| {
            r.customer_attributes =
                vec![doc::customer_attribute(1, "mlm_distributor_id"), doc::customer_attribute(2, "mlm_referrer")];
            for (id, who) in [(10, "D2"), (11, "D1"), (13, "D3")] {
                r.customers
                    .insert(id, doc::customer(id, &format!("{}@acme.example", who.to_lowercase()), who, &[(1, who)]));
            }
            r.customers.insert(20, doc::customer(20, "rita@example.com", "Rita", &[(2, "D2")]));
            // A second account with D2's e-mail: flagged, credited to D2.
            r.customers.insert(12, doc::customer(12, "D2@acme.example", "Dee again", &[]));
            r.products.insert(1, doc::product(1, "Kit", "KIT", "100.00", &[(10, "KIT-1")]));
            r.variant_metafields.insert(
                (1, 10),
                vec![
                    doc::metafield(1, "variant", 10, "mlm", "bv", "50"),
                    doc::metafield(2, "variant", 10, "mlm", "pv", "50"),
                ],
            );
            // A gift with no volumes yet: its order parks until an admin maps it.
            r.products.insert(2, doc::product(2, "Gift", "GIFT", "30.00", &[(20, "GIFT-1")]));
            for (id, customer, variant, sku, price) in [
                (501, 10, 10, "KIT-1", "100.0000"),
                (502, 11, 10, "KIT-1", "100.0000"),
                (503, 20, 10, "KIT-1", "100.0000"),
                (504, 13, 10, "KIT-1", "100.0000"),
                (505, 13, 20, "GIFT-1", "30.0000"),
            ] {
                r.orders.insert(id, doc::order(id, customer, 11, NOV, &Currencies::single("USD"), ""));
                r.order_products.insert(id, vec![doc::order_product(1, id, variant / 10, variant, sku, 1, price, "")]);
            }
        });
        let sync: Arc<SharedSync> = Arc::new(mlm_sync::Sync::new(ledger, commerce));
        sync.resync_catalog().await.unwrap();
        for id in [10, 11, 12, 13, 20] {
            sync.customer(id, false).await.unwrap();
        }
        for id in 501..=505 {
            sync.order(id).await.unwrap();
        }
        let now = Arc::new(AtomicI64::new(at("2026-11-20T12:00:00Z")));
        let key = LocalKey::new(b"test key");
        let clock = now.clone();
        let app = api_router(ApiState {
            sync: sync.clone(),
            auth: Arc::new(Auth::Local(key.clone())),
            payouts: Arc::new(LedgerPayouts(sync.ledger.store.clone())),
            now: Arc::new(move || clock.load(Ordering::SeqCst)),
        });
        Api { app, key, now, sync, bc }
    }

    fn token(&self, distributor: Option<&str>, admin: bool) -> String {
        self.key.sign(&dev_claims(distributor, admin, self.now.load(Ordering::SeqCst), 3600))
    }

    fn d(&self, id: &str) -> String {
        self.token(Some(id), false)
    }

    fn admin(&self) -> String {
        self.token(None, true)
    }

    /// The daily tick as of `t` (publishes standings; closes the previous month).
    async fn tick(&self, t: &str) {
        self.now.store(at(t), Ordering::SeqCst);
        tick(&self.sync.ledger, Timestamp::parse(t).unwrap(), &LedgerPayouts(self.sync.ledger.store.clone()))
            .await
            .unwrap();
    }

    async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, String, String) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap();
        let r = self.app.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 24).await.unwrap();
        (status, ct, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// A JSON call, its answer held to the OpenAPI contract.
    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Reply {
        let (status, ct, text) = self.raw(method, path, token, body).await;
        assert!(ct.starts_with("application/json"), "{method} {path}: {status} {ct}: {text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        openapi::check(method, path.split('?').next().unwrap(), status.as_u16(), &body);
        Reply { status, body }
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        let r = self.call("GET", path, Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        r.body
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

#[tokio::test]
async fn every_denial_says_why() {
    let api = Api::new().await;
    // No token, a malformed header, another host's key, an expired token: 401.
    for (token, why) in [(None, "no bearer token"), (Some("not-a-jwt"), "invalid token")] {
        let r = api.call("GET", "/api/distributors/D2", token, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(s(&r.body["error"]).contains(why), "{}", r.body);
    }
    let foreign = LocalKey::new(b"another host").sign(&dev_claims(Some("D2"), true, at("2026-11-20T12:00:00Z"), 3600));
    let r = api.call("GET", "/api/distributors/D2", Some(&foreign), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(s(&r.body["error"]).contains("signature"), "{}", r.body);
    let expired = api.key.sign(&dev_claims(Some("D2"), false, at("2026-11-20T10:00:00Z"), 3600));
    let r = api.call("GET", "/api/distributors/D2", Some(&expired), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(s(&r.body["error"]).contains("expired"), "{}", r.body);
    // Someone else's records, on every distributor route: 403, and nothing of theirs.
    for route in ["", "/periods", "/lines", "/payouts", "/customers", "/downline"] {
        let r = api.call("GET", &format!("/api/distributors/D1{route}"), Some(&api.d("D2")), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{route}");
        assert_eq!(s(&r.body["error"]), "distributor D2 may not read distributor D1's records");
        assert!(!r.body.to_string().contains("\"pv\""));
    }
    // A distributor on the admin routes: 403.
    let d2 = api.d("D2");
    for (method, path, body) in [
        ("GET", "/api/admin/plans", None),
        ("POST", "/api/admin/plans/validate", Some(PLAN)),
        ("POST", "/api/admin/plans?effective=2026-12", Some(PLAN)),
        ("GET", "/api/admin/mappings", None),
        ("PUT", "/api/admin/mappings/KIT-1", Some(r#"{"bv":"1"}"#)),
        ("POST", "/api/admin/distributors", Some(r#"{"id":"D9","sponsor":"D2"}"#)),
        ("PUT", "/api/admin/distributors/D2/hold", Some(r#"{"reason":"mine"}"#)),
        ("DELETE", "/api/admin/distributors/D2/hold", None),
        ("GET", "/api/admin/compliance", None),
        ("POST", "/api/admin/periods/2026-10/close", None),
        ("GET", "/api/admin/parked", None),
        ("POST", "/api/admin/parked/reprocess", None),
        ("POST", "/api/admin/parked/book", Some(r#"{"key":"order#1"}"#)),
        ("POST", "/api/admin/parked/dismiss", Some(r#"{"key":"order#1"}"#)),
        ("GET", "/api/admin/unattributed", None),
        ("GET", "/api/admin/duplicates", None),
        ("POST", "/api/admin/duplicates/12/merge", None),
        ("GET", "/api/admin/payouts.csv", None),
    ] {
        let r = api.call(method, path, Some(&d2), body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}: {}", r.body);
        assert_eq!(s(&r.body["error"]), "distributor D2 is not in the admin group");
    }
    // Nothing changed behind the refusals.
    assert!(api.sync.ledger.store.doc("holds", "D2").await.unwrap().is_none());
    assert_eq!(api.sync.ledger.store.distributors().await.unwrap().len(), 4);
    // The page and the contract are public; unknown API routes are 404 with a reason.
    let (status, ct, page) = api.raw("GET", "/", None, None).await;
    assert_eq!((status, ct.starts_with("text/html")), (StatusCode::OK, true));
    assert!(page.contains("<html") || page.contains("<!doctype") || page.contains("<!DOCTYPE"));
    openapi::check_text("GET", "/", 200, &ct);
    let (status, ct, spec) = api.raw("GET", "/openapi.yaml", None, None).await;
    assert_eq!((status, spec.starts_with("openapi: 3.1")), (StatusCode::OK, true));
    openapi::check_text("GET", "/openapi.yaml", 200, &ct);
    let (status, _, _) = api.raw("GET", "/api/nothing", Some(&d2), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_distributor_sees_its_figures_lines_customers_and_downline() {
    let api = Api::new().await;
    let (d1, d2) = (api.d("D1"), api.d("D2"));
    let me = api.get("/api/session", &d2).await;
    assert_eq!((me["distributor"].as_str(), me["admin"].as_bool()), (Some("D2"), Some(false)));

    // Before any refresh: the open month's volumes are live, standings not published yet.
    let sum = api.get("/api/distributors/D2", &d2).await;
    assert_eq!((s(&sum["current"]["period"]), s(&sum["current"]["pv"])), ("2026-11", "100"));
    assert!(sum["standing"].is_null());
    // Lines appear as orders arrive, each explained, provisional until the close.
    let lines = api.get("/api/distributors/D2/lines", &d2).await;
    assert_eq!(lines["lines"].as_array().unwrap().len(), 1, "{lines}");
    let l = &lines["lines"][0];
    assert_eq!((s(&l["kind"]), l["order"].as_i64(), s(&l["amount"])), ("retail", Some(503), "20.00"));
    assert_eq!(
        s(&l["explanation"]),
        "Retail commission on order 503: 20% of net sales 100.00 = 20.00 USD (acme@1); provisional until the period closes"
    );

    api.tick("2026-11-20T06:05:00Z").await;
    let sum = api.get("/api/distributors/D1", &d1).await;
    let st = &sum["standing"];
    assert_eq!(
        (s(&st["period"]), st["final"].as_bool(), s(&st["pv"]), s(&st["gv"]), s(&st["rank"])),
        ("2026-11", Some(false), "50", "200", "Bronze")
    );
    // Progress to Silver: PV met, 100 GV missing, both legs have a Bronze.
    let reqs: Vec<(String, String, String, String)> = st["next_rank"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (s(&r["requirement"]).into(), s(&r["needed"]).into(), s(&r["reached"]).into(), s(&r["missing"]).into())
        })
        .collect();
    assert_eq!(s(&st["next_rank"]["rank"]), "Silver");
    let t = |a: &str, b: &str, c: &str, d: &str| (a.to_string(), b.to_string(), c.to_string(), d.to_string());
    assert_eq!(reqs, [t("min_pv", "50", "50", "0"), t("min_gv", "300", "200", "100"), t("min_legs", "2", "2", "0")]);
    // Binary legs: D2's team (100 BV) left, D3 (50) right; 50 paired, 50 carried left.
    let b = &st["binary"];
    assert_eq!(
        (s(&b["left"]), s(&b["right"]), s(&b["paired"]), s(&b["carry_left"]), s(&b["carry_right"])),
        ("100", "50", "50", "50", "0")
    );
    assert_eq!((st["compliant"].as_bool(), s(&st["retail_ratio"])), (Some(false), "0.0000"));
    // D1's team commissions are held: 3 × 5.00 unilevel, 3 × 1.50 matrix, 5.00 binary.
    assert_eq!((s(&st["earnings"]["held"]), s(&st["earnings"]["payable"])), ("24.50", "0.00"));
    let d4 = api.get("/api/distributors/D4", &api.d("D4")).await;
    let (b4, m4) = (&d4["standing"]["binary"], &d4["standing"]["matrix"]);
    assert_eq!((s(&b4["parent"]), s(&b4["leg"])), ("D2", "left"));
    assert_eq!((s(&m4["parent"]), m4["level"].as_u64(), m4["position"].as_u64()), ("D2", Some(2), Some(1)));

    // Held lines say so. (Provisional lines are paid as each order arrives: D1 was not active
    // yet when order 501 came, so it has none for it until the close recomputes the month.)
    let lines = api.get("/api/distributors/D1/lines?period=2026-11", &d1).await;
    let held: Vec<&Value> = lines["lines"].as_array().unwrap().iter().filter(|l| l["status"] == "held").collect();
    assert!(held.iter().any(|l| s(&l["explanation"])
        == "Unilevel level 1 commission on order 503: 10% of BV 50 = 5.00 USD (acme@1); held: the retail sales ratio is below the plan's minimum; provisional until the period closes"), "{lines}");
    let r = api.call("GET", "/api/distributors/D1/lines?period=2026-13", Some(&d1), None).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "period"));

    // Retail customers: D2's.
    let c = api.get("/api/distributors/D2/customers", &d2).await;
    assert_eq!(c["customers"], json!([{ "id": "bc-20" }]));
    // The downline, breadth first, one level or two, paged.
    let ids = |v: &Value| v["members"].as_array().unwrap().iter().map(|m| s(&m["id"]).to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&api.get("/api/distributors/D1/downline", &d1).await), ["D2", "D3"]);
    let page = api.get("/api/distributors/D1/downline?depth=2&limit=2", &d1).await;
    assert_eq!((ids(&page), s(&page["next_cursor"])), (vec!["D2".to_string(), "D3".into()], "2"));
    let rest = api.get("/api/distributors/D1/downline?depth=2&limit=2&cursor=2", &d1).await;
    assert_eq!((ids(&rest), rest["next_cursor"].is_null()), (vec!["D4".to_string()], true));
    assert_eq!((s(&rest["members"][0]["sponsor"]), rest["members"][0]["level"].as_u64()), ("D2", Some(2)));
    // Pages of any size, starting anywhere, add up to the whole walk; depth 1 stops at the level.
    let mut walked = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let p = api.get(&format!("/api/distributors/D1/downline?depth=2&limit=1&cursor={cursor}"), &d1).await;
        walked.extend(ids(&p));
        match p["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(walked, ["D2", "D3", "D4"]);
    let mid = api.get("/api/distributors/D1/downline?depth=2&limit=2&cursor=1", &d1).await;
    assert_eq!((ids(&mid), mid["next_cursor"].is_null()), (vec!["D3".to_string(), "D4".into()], true));
    let one = api.get("/api/distributors/D1/downline?depth=1&limit=2", &d1).await;
    assert_eq!((ids(&one), one["next_cursor"].is_null()), (vec!["D2".to_string(), "D3".into()], true));
    let past = api.get("/api/distributors/D1/downline?depth=2&cursor=9", &d1).await;
    assert_eq!((ids(&past), past["next_cursor"].is_null()), (Vec::<String>::new(), true));
    // A summary only: no one's pay in the downline.
    assert!(!page.to_string().contains("earnings"));
    let huge = format!("cursor={}", usize::MAX);
    for bad in ["depth=0", "depth=11", "depth=x", "limit=0", "limit=-1", "cursor=x", &huge, "period=2026-13"] {
        let r = api.call("GET", &format!("/api/distributors/D1/downline?{bad}"), Some(&d1), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // December 1st: November closes; figures are final, D2's 20.00 is queued, D1's held pay is not.
    api.tick("2026-12-01T06:05:00Z").await;
    let (d1, d2) = (api.d("D1"), api.d("D2"));
    let periods = api.get("/api/distributors/D2/periods", &d2).await;
    let nov = &periods["periods"][0];
    assert_eq!((s(&nov["period"]), nov["final"].as_bool(), s(&nov["payout"])), ("2026-11", Some(true), "20.00"));
    let pay = api.get("/api/distributors/D2/payouts", &d2).await;
    assert_eq!(pay["payouts"], json!([{ "period": "2026-11", "amount": "20.00", "status": "queued" }]));
    assert_eq!(s(&pay["balance"]), "0.00");
    let lines = api.get("/api/distributors/D2/lines?period=2026-11", &d2).await;
    assert_eq!(lines["lines"][0]["final"], json!(true));
    assert!(!s(&lines["lines"][0]["explanation"]).contains("provisional"));
    let pay1 = api.get("/api/distributors/D1/payouts", &d1).await;
    assert_eq!(pay1["payouts"], json!([]));
    // A distributor unknown to the ledger (an admin asking): 404.
    let r = api.call("GET", "/api/distributors/D77", Some(&api.admin()), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_run_plans_mappings_and_placement() {
    let api = Api::new().await;
    let admin = api.admin();
    let v = api.get("/api/admin/plans", &admin).await;
    assert_eq!((v["versions"].as_array().unwrap().len(), s(&v["versions"][0]["label"])), (1, "acme@1"));
    // Validation names the key; a change of what shapes the trees is refused too.
    let bad = PLAN.replace("rate: \"0.20\"", "rate: \"twenty\"");
    let r = api.call("POST", "/api/admin/plans/validate", Some(&admin), Some(&bad)).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::UNPROCESSABLE_ENTITY, "retail.rate"));
    let reshaped = PLAN.replace("version: 1", "version: 2").replace("width: 2", "width: 3");
    let r = api.call("POST", "/api/admin/plans/validate", Some(&admin), Some(&reshaped)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let v2 = PLAN.replace("version: 1", "version: 2").replace("rate: \"0.20\"", "rate: \"0.25\"");
    let r = api.call("POST", "/api/admin/plans/validate", Some(&admin), Some(&v2)).await;
    assert_eq!((r.status, s(&r.body["label"])), (StatusCode::OK, "acme@2"));
    // Activated from December; a version without a date is refused, naming `effective`.
    let r = api.call("POST", "/api/admin/plans", Some(&admin), Some(&v2)).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::UNPROCESSABLE_ENTITY, "effective"));
    let r = api.call("POST", "/api/admin/plans?effective=2026-12", Some(&admin), Some(&v2)).await;
    assert_eq!((r.status, s(&r.body["effective"])), (StatusCode::CREATED, "2026-12"));
    assert_eq!(api.get("/api/admin/plans", &admin).await["versions"].as_array().unwrap().len(), 2);

    // Mappings: the gift has none, so order 505 is parked; an admin maps it (written to the
    // store's metafields) and reprocesses.
    let m = api.get("/api/admin/mappings", &admin).await;
    assert!(m["mappings"].as_array().unwrap().iter().all(|m| m["sku"] != "GIFT-1"), "{m}");
    let parked = api.get("/api/admin/parked", &admin).await;
    assert_eq!(s(&parked["parked"][0]["key"]), "order#505");
    assert!(s(&parked["parked"][0]["reason"]).contains("GIFT-1"), "{parked}");
    let r = api.call("PUT", "/api/admin/mappings/GIFT-1", Some(&admin), Some(r#"{"bv":"-1"}"#)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(s(&r.body["error"]).contains("bv"), "{}", r.body);
    let r = api.call("PUT", "/api/admin/mappings/GIFT-1", Some(&admin), Some(r#"{"bv":"10","pw":"3"}"#)).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "pw"), "{}", r.body);
    let r = api.call("PUT", "/api/admin/mappings/NOPE", Some(&admin), Some(r#"{"bv":"10"}"#)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.call("PUT", "/api/admin/mappings/GIFT-1", Some(&admin), Some(r#"{"bv":"10","pv":"12"}"#)).await;
    assert_eq!((r.status, s(&r.body["bv"]), s(&r.body["pv"])), (StatusCode::OK, "10", "12"));
    let written = api.bc.with(|r| r.variant_metafields.get(&(2, 20)).cloned().unwrap_or_default());
    let values: Vec<(&str, &str)> = written.iter().map(|m| (s(&m["key"]), s(&m["value"]))).collect();
    assert!(values.contains(&("bv", "10")) && values.contains(&("pv", "12")), "{values:?}");
    // The mapping's write-back reprocessed the order it parked.
    assert_eq!(api.get("/api/admin/parked", &admin).await["parked"], json!([]));
    assert!(api.sync.ledger.store.order(505).await.unwrap().is_some());
    // An account naming an unknown distributor parks; fixed in the store, it is reprocessed.
    api.bc.with(|r| r.customers.insert(14, doc::customer(14, "x@example.com", "X", &[(1, "D99")])));
    api.sync.customer(14, false).await.unwrap();
    let parked = api.get("/api/admin/parked", &admin).await;
    assert!(s(&parked["parked"][0]["reason"]).contains("\"D99\" is not an enrolled distributor"), "{parked}");
    api.bc.with(|r| r.customers.insert(14, doc::customer(14, "x@example.com", "X", &[(2, "D3")])));
    let r = api.call("POST", "/api/admin/parked/reprocess", Some(&admin), Some(r#"{"key":"customer#14"}"#)).await;
    assert_eq!(
        (r.status, r.body["reprocessed"].as_u64(), r.body["still_parked"].as_u64()),
        (StatusCode::OK, Some(1), Some(0))
    );
    let r = api.call("POST", "/api/admin/parked/reprocess", Some(&admin), Some(r#"{"key":1}"#)).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "key"));
    // Any entry can be dismissed (kept with who and when); only a parked order can be booked.
    api.call("POST", "/api/admin/parked/dismiss", Some(&admin), Some(r#"{"key":"message#gone"}"#)).await;
    let entry = mlm_ledger::model::Parked {
        key: "message#wh-77".into(),
        source: "commission queue".into(),
        reason: "unreadable".into(),
        payload: "{".into(),
    };
    api.sync.ledger.store.park(&entry).await.unwrap();
    let r = api.call("POST", "/api/admin/parked/book", Some(&admin), Some(r#"{"key":"message#wh-77"}"#)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(s(&r.body["error"]).contains("not an order the ledger parked"), "{}", r.body);
    let r = api.call("POST", "/api/admin/parked/dismiss", Some(&admin), Some(r#"{"key":"message#wh-77"}"#)).await;
    assert_eq!((r.status, s(&r.body["key"]), s(&r.body["reason"])), (StatusCode::OK, "message#wh-77", "unreadable"));
    assert_eq!(api.get("/api/admin/parked", &admin).await["parked"], json!([]));
    let r = api.call("POST", "/api/admin/parked/dismiss", Some(&admin), Some(r#"{"key":""}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let u = api.get("/api/admin/unattributed", &admin).await;
    assert!(u["unattributed"].is_array(), "{u}");

    // Placement in an open position; an occupied leg names the field.
    let body = r#"{"id":"D5","sponsor":"D3","email":"d5@acme.example","placement":{"parent":"D3","leg":"left"}}"#;
    let r = api.call("POST", "/api/admin/distributors", Some(&admin), Some(body)).await;
    assert_eq!(
        (r.status, s(&r.body["id"]), r.body["upline"].clone()),
        (StatusCode::CREATED, "D5", json!(["D3", "D1"]))
    );
    let r = api
        .call("POST", "/api/admin/distributors", Some(&admin), Some(&body.replace("D5", "D6").replace("d5@", "d6@")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(s(&r.body["errors"][0]["field"]).starts_with("placement"), "{}", r.body);
    let r = api.call("POST", "/api/admin/distributors", Some(&admin), Some(r#"{"id":"D7","sponsor":"D99"}"#)).await;
    assert_eq!(
        (r.status, s(&r.body["errors"][0]["field"])),
        (StatusCode::UNPROCESSABLE_ENTITY, "sponsor"),
        "{}",
        r.body
    );
    // A missing key is named itself, and so is one the body may not have.
    let r = api.call("POST", "/api/admin/distributors", Some(&admin), Some(r#"{"id":"D7"}"#)).await;
    assert_eq!(
        (r.status, s(&r.body["errors"][0]["field"]), s(&r.body["errors"][0]["message"])),
        (StatusCode::BAD_REQUEST, "sponsor", "is required"),
        "{}",
        r.body
    );
    let r = api
        .call(
            "POST",
            "/api/admin/distributors",
            Some(&admin),
            Some(r#"{"id":"D7","sponsor":"D1","placement":{"parent":"D1","leg":"left","slot":1}}"#),
        )
        .await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "placement.slot"), "{}", r.body);
    let r = api
        .call(
            "POST",
            "/api/admin/distributors",
            Some(&admin),
            Some(r#"{"id":"D8","sponsor":"D1","placement":{"parent":"D1","leg":"up"}}"#),
        )
        .await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::UNPROCESSABLE_ENTITY, "placement.leg"));
    // Ids: non-empty, bounded, of a documented character set; a mapping update must set something.
    let long = "D".repeat(100_000);
    for (body, field) in [
        (r#"{"id":"","sponsor":"D1"}"#.to_string(), "id"),
        (format!(r#"{{"id":"{long}","sponsor":"D1"}}"#), "id"),
        (r#"{"id":"D 9","sponsor":"D1"}"#.to_string(), "id"),
        (r#"{"id":"D9","sponsor":""}"#.to_string(), "sponsor"),
        (r#"{"id":"D9","sponsor":"D1","placement":{"parent":"<x>","leg":"left"}}"#.to_string(), "placement.parent"),
    ] {
        let r = api.call("POST", "/api/admin/distributors", Some(&admin), Some(&body)).await;
        assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, field), "{}", r.body);
    }
    let r = api.call("PUT", "/api/admin/mappings/GIFT-1", Some(&admin), Some("{}")).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "body"), "{}", r.body);
    let m = api.get("/api/admin/mappings", &admin).await;
    let gift = m["mappings"].as_array().unwrap().iter().find(|m| m["sku"] == "GIFT-1").cloned().unwrap();
    assert_eq!((s(&gift["bv"]), s(&gift["pv"])), ("10", "12"), "an empty update cleared nothing");
}

#[tokio::test]
async fn admins_hold_close_export_and_merge() {
    let api = Api::new().await;
    let admin = api.admin();
    api.tick("2026-11-20T06:05:00Z").await;
    // Compliance of the open month: D1 below the 10% minimum, the company at 25% retail.
    let c = api.get("/api/admin/compliance", &admin).await;
    assert_eq!((s(&c["period"]), c["final"].as_bool(), s(&c["min_retail_ratio"])), ("2026-11", Some(false), "0.10"));
    let d1 = c["distributors"].as_array().unwrap().iter().find(|r| r["id"] == "D1").unwrap();
    assert_eq!((d1["compliant"].as_bool(), s(&d1["held"])), (Some(false), "24.50"));
    assert_eq!(s(&c["company"]["retail_ratio"]), "0.2500");
    let r = api.call("GET", "/api/admin/compliance?period=2026-01", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for path in [
        "/api/admin/compliance?period=11-2026",
        "/api/admin/payouts.csv?period=x",
        "/api/distributors/D1?period=2026-00",
    ] {
        let r = api.call("GET", path, Some(&admin), None).await;
        assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "period"), "{path}");
    }

    // A hold on D2 keeps its November payout back at the close.
    let r = api
        .call("PUT", "/api/admin/distributors/D2/hold", Some(&admin), Some(r#"{"reason":"KYC documents missing"}"#))
        .await;
    assert_eq!(
        (r.status, s(&r.body["reason"]), s(&r.body["by"])),
        (StatusCode::OK, "KYC documents missing", "user dev-admin")
    );
    let r = api.call("PUT", "/api/admin/distributors/D2/hold", Some(&admin), Some(r#"{"reason":" "}"#)).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::UNPROCESSABLE_ENTITY, "reason"));
    let r = api.call("PUT", "/api/admin/distributors/D99/hold", Some(&admin), Some(r#"{"reason":"x"}"#)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let hold = api.get("/api/distributors/D2", &api.d("D2")).await["hold"].clone();
    assert_eq!(s(&hold["reason"]), "KYC documents missing");

    // An open month cannot close; an ended one closes once.
    api.now.store(at("2026-12-02T09:00:00Z"), Ordering::SeqCst);
    let admin = api.admin();
    let r = api.call("POST", "/api/admin/periods/2026-12/close", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = api.call("POST", "/api/admin/periods/2026-13/close", Some(&admin), None).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "period"));
    let r = api.call("POST", "/api/admin/periods/2026-11/close", Some(&admin), None).await;
    assert_eq!(
        (r.status, r.body["closed"].clone(), r.body["payouts"].as_u64()),
        (StatusCode::OK, json!(["2026-11"]), Some(0))
    );
    let r = api.call("POST", "/api/admin/periods/2026-11/close", Some(&admin), None).await;
    assert_eq!((r.status, r.body["closed"].clone()), (StatusCode::OK, json!([])));
    let c = api.get("/api/admin/compliance?period=2026-11", &admin).await;
    assert_eq!(c["final"].as_bool(), Some(true));
    let pay = api.get("/api/distributors/D2/payouts", &api.d("D2")).await;
    assert_eq!(pay["payouts"], json!([{ "period": "2026-11", "amount": "20.00", "status": "withheld" }]));
    assert!(api.sync.ledger.store.doc("payouts", "2026-11#D2").await.unwrap().is_none());

    // The payouts file says which are withheld.
    let (status, ct, csv) = api.raw("GET", "/api/admin/payouts.csv?period=2026-11", Some(&admin), None).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"));
    openapi::check_text("GET", "/api/admin/payouts.csv", 200, &ct);
    assert_eq!(csv, "period,distributor,amount,currency,status\n2026-11,D2,20.00,USD,withheld\n");
    let r = api.call("GET", "/api/admin/payouts.csv?period=2026-12", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Released: the withheld payout is queued, once.
    let r = api.call("DELETE", "/api/admin/distributors/D2/hold", Some(&admin), None).await;
    assert_eq!((r.status, r.body["released"].as_array().unwrap().len()), (StatusCode::OK, 1));
    assert!(api.sync.ledger.store.doc("payouts", "2026-11#D2").await.unwrap().is_some());
    let r = api.call("DELETE", "/api/admin/distributors/D2/hold", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let (_, _, csv) = api.raw("GET", "/api/admin/payouts.csv", Some(&admin), None).await;
    assert_eq!(csv, "period,distributor,amount,currency,status\n2026-11,D2,20.00,USD,queued\n");

    // Duplicates: customer 12 has D2's e-mail; merged, the flag is resolved and the link stays
    // with D2 even when the account's e-mail changes later.
    let d = api.get("/api/admin/duplicates", &admin).await;
    assert_eq!((d["duplicates"][0]["customer"].as_i64(), s(&d["duplicates"][0]["credited_to"])), (Some(12), "D2"));
    let r = api.call("POST", "/api/admin/duplicates/12/merge", Some(&admin), None).await;
    assert_eq!((r.status, s(&r.body["credited_to"]), s(&r.body["by"])), (StatusCode::OK, "D2", "user dev-admin"));
    assert_eq!(api.get("/api/admin/duplicates", &admin).await["duplicates"], json!([]));
    let r = api.call("POST", "/api/admin/duplicates/12/merge", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.call("POST", "/api/admin/duplicates/abc/merge", Some(&admin), None).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "customer"));
    api.bc.with(|r| r.customers.insert(12, doc::customer(12, "someone.else@example.com", "Dee again", &[])));
    api.sync.customer(12, false).await.unwrap();
    let link: Value =
        serde_json::from_str(&api.sync.ledger.store.doc("accounts", "12").await.unwrap().unwrap()).unwrap();
    assert_eq!(s(&link["party"]), "D2");
    // The gift's order is still unmapped: tried again, it stays parked with its reason.
    let r = api.call("POST", "/api/admin/parked/reprocess", Some(&admin), Some(r#"{"unmapped_only":true}"#)).await;
    assert_eq!(
        (r.status, r.body["reprocessed"].as_u64(), r.body["still_parked"].as_u64()),
        (StatusCode::OK, Some(1), Some(1))
    );
}

/// Plan v2's admin routes: an adjustment is recorded with who and when, refused in a closed
/// period (naming `at`), and lands in the close as an `adjustment` line; the income disclosure
/// reads closed periods, as JSON and CSV.
#[tokio::test]
async fn admins_adjust_and_read_the_disclosure() {
    let api = Api::new().await;
    let admin = api.admin();
    let r = api
        .call(
            "POST",
            "/api/admin/adjustments",
            Some(&admin),
            Some(r#"{"distributor":"D3","amount":"-3.00","reason":"kit not returned"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        (s(&r.body["id"]), s(&r.body["amount"]), s(&r.body["recorded_by"]), s(&r.body["at"])),
        ("ADJ-000001", "-3.00", "user dev-admin", "2026-11-20T12:00:00Z")
    );
    for (body, field) in [
        (r#"{"distributor":"D3","amount":"0","reason":"x"}"#, "amount"),
        (r#"{"distributor":"D3","amount":"1.005","reason":"x"}"#, "amount"),
        (r#"{"distributor":"D9","amount":"1","reason":"x"}"#, "distributor"),
        (r#"{"distributor":"D3","amount":"1","reason":"  "}"#, "reason"),
    ] {
        let r = api.call("POST", "/api/admin/adjustments", Some(&admin), Some(body)).await;
        assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::UNPROCESSABLE_ENTITY, field), "{body}");
    }
    let r = api
        .call("POST", "/api/admin/adjustments", Some(&admin), Some(r#"{"distributor":"D3","amount":"x","reason":"y"}"#))
        .await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "amount"));
    let r = api
        .call(
            "POST",
            "/api/admin/adjustments",
            Some(&api.d("D3")),
            Some(r#"{"distributor":"D3","amount":"9","reason":"me"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // No closed period yet: the disclosure has no range.
    let d = api.get("/api/admin/disclosure", &admin).await;
    assert_eq!((d["from"].clone(), d["distributors"].as_u64()), (Value::Null, Some(4)));

    api.now.store(at("2026-12-02T09:00:00Z"), Ordering::SeqCst);
    let admin = api.admin();
    let r = api.call("POST", "/api/admin/periods/2026-11/close", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::OK);
    // November is closed now: an adjustment dated in it is refused, naming `at`.
    let r = api
        .call(
            "POST",
            "/api/admin/adjustments",
            Some(&admin),
            Some(r#"{"distributor":"D3","amount":"2","reason":"late fix","at":"2026-11-30T00:00:00Z"}"#),
        )
        .await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::UNPROCESSABLE_ENTITY, "at"));
    let listed = api.get("/api/admin/adjustments", &admin).await;
    assert_eq!(listed["adjustments"].as_array().unwrap().len(), 1);
    // The close booked it: D3's November lines hold the adjustment with its id.
    let lines = api.get("/api/distributors/D3/lines?period=2026-11", &admin).await;
    let adj =
        lines["lines"].as_array().unwrap().iter().find(|l| l["kind"] == "adjustment").expect("an adjustment line");
    assert_eq!((s(&adj["amount"]), s(&adj["ref"]), adj["final"].as_bool()), ("-3.00", "ADJ-000001", Some(true)));

    let d = api.get("/api/admin/disclosure?from=2026-11&to=2026-11", &admin).await;
    assert_eq!((s(&d["from"]), d["distributors"].as_u64(), d["all"]["count"].as_u64()), ("2026-11", Some(4), Some(4)));
    let statement: Value = serde_json::from_str(&api.sync.ledger.statement("2026-11").await.unwrap().unwrap()).unwrap();
    let payable: rust_decimal::Decimal = statement["periods"][0]["distributors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| s(&x["earnings"]["payable"]).parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(s(&d["all"]["total"]), format!("{payable:.2}"));
    let r = api.call("GET", "/api/admin/disclosure?from=2026-12", Some(&admin), None).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::UNPROCESSABLE_ENTITY, "from"));
    let r = api.call("GET", "/api/admin/disclosure?format=xml", Some(&admin), None).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "format"));
    let (status, ct, csv) = api.raw("GET", "/api/admin/disclosure?format=csv", Some(&admin), None).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"));
    openapi::check_text("GET", "/api/admin/disclosure", 200, &ct);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "title,count,share,earned_nothing,total,mean,median,min,max,currency,from,to");
    assert_eq!(rows.len(), 1 + 3 + 1, "{csv}");
    assert!(rows[4].starts_with("all,4,1.0000,"), "{csv}");
}
