//! The admin console's routes over HTTP, on Acme (examples/acme.yaml: orders in November and
//! December 2026) served as of 20 December: September to November closed by the daily tick,
//! December open. Every figure of `GET /api/admin/overview` is recomputed here from the ledger's
//! own statement (`Ledger::statement` for a closed period, `Ledger::preview` for the open one),
//! and every answer is held to `openapi.yaml`.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use mlm_app::api::{api_router, ApiState};
use mlm_app::auth::{dev_claims, Auth, LocalKey};
use mlm_app::schedule::{tick, LedgerPayouts};
use mlm_app::SharedSync;
use mlm_bigcommerce::client::{Client, RetryPolicy};
use mlm_bigcommerce::standin::StandIn;
use mlm_engine::period::Timestamp;
use mlm_engine::scenario::Scenario;
use mlm_engine::Format;
use mlm_ledger::model::DistributorRecord;
use mlm_ledger::port::Store;
use mlm_ledger::service::Ledger;
use mlm_store_sqlite::SqliteStore;
use mlm_sync::commerce::{BigCommerce, Commerce};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use support::openapi;
use tower::ServiceExt;

const NOW: &str = "2026-12-20T12:00:00Z";

struct Console {
    app: Router,
    admin: String,
    user: String,
    sync: Arc<SharedSync>,
    _bc: StandIn,
}

impl Console {
    async fn new() -> Console {
        let bc = StandIn::start("s1", "t1").await.unwrap();
        let policy = RetryPolicy { attempts: 1, backoff: Duration::from_millis(1), ..Default::default() };
        let commerce: Arc<dyn Commerce> = Arc::new(BigCommerce::new(Client::new(&bc.base_url(), "s1", "t1", policy)));
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
        let ledger = Ledger::new(store);
        let text = include_str!("../../../examples/acme.yaml");
        let sc = Scenario::from_text(text, Format::Yaml, &mut |_| Err("no files".into())).unwrap();
        ledger.load_scenario(&sc).await.unwrap();
        // One distributor with an e-mail, joined in December: names come from e-mails.
        ledger
            .enroll(&[DistributorRecord {
                id: "ZOE".into(),
                sponsor: Some("ANNA".into()),
                joined_at: Timestamp::parse("2026-12-01T00:00:00Z").unwrap().0,
                email: Some("zoe@acme.example".into()),
                bigcommerce_customer_id: None,
                placement: None,
                upline: vec![],
                matrix_upline: vec![],
            }])
            .await
            .unwrap();
        let now = Timestamp::parse(NOW).unwrap();
        tick(&ledger, now, &LedgerPayouts(ledger.store.clone())).await.unwrap();
        let sync: Arc<SharedSync> = Arc::new(mlm_sync::Sync::new(ledger, commerce));
        let key = LocalKey::new(b"console key");
        let secs = now.0 / 1_000_000_000;
        let app = api_router(ApiState {
            sync: sync.clone(),
            auth: Arc::new(Auth::Local(key.clone())),
            payouts: Arc::new(LedgerPayouts(sync.ledger.store.clone())),
            now: Arc::new(move || secs),
        });
        Console {
            app,
            admin: key.sign(&dev_claims(None, true, secs, 3600)),
            user: key.sign(&dev_claims(Some("ANNA"), false, secs, 3600)),
            sync,
            _bc: bc,
        }
    }

    async fn call(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.send("GET", path, token, None).await
    }

    async fn send(&self, method: &str, path: &str, token: &str, body: Option<String>) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .body(body.map_or_else(Body::empty, Body::from))
            .unwrap();
        let r = self.app.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 24).await.unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        openapi::check(method, path.split('?').next().unwrap(), status.as_u16(), &body);
        (status, body)
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(path, &self.admin).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// The ledger's own figures for `period`: the stored statement's entry, else the preview.
    async fn entry(&self, period: &str) -> (Value, &'static str) {
        let ledger = &self.sync.ledger;
        if let Some(text) = ledger.statement(period).await.unwrap() {
            let v: Value = serde_json::from_str(&text).unwrap();
            return (v["periods"][0].clone(), "closed");
        }
        let text = ledger.preview(period).await.unwrap().expect("an open period with figures");
        (serde_json::from_str(&text).unwrap(), "open")
    }
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

/// Every figure of one period's overview against the statement, computed here independently.
fn assert_matches(o: &Value, entry: &Value, status: &str) {
    let period = entry["period"].as_str().unwrap();
    assert_eq!(o["period"], period);
    assert_eq!(o["status"], status, "{period}");
    assert_eq!(o["as_of"].is_null(), status == "closed", "{period}: as_of only on an open period");
    assert_eq!(o["currency"], "USD");
    // The company object is the statement's, field for field.
    assert_eq!(o["company"], entry["company"], "{period}: company");
    let (sales, commissions) = (dec(&entry["company"]["sales"]), dec(&entry["company"]["commissions"]));
    let expected_ratio = if sales > Decimal::ZERO {
        let r = (commissions / sales).round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointNearestEven);
        json!(format!("{r:.4}"))
    } else {
        Value::Null
    };
    assert_eq!(o["payout_ratio"], expected_ratio, "{period}: payout_ratio");
    let ds = entry["distributors"].as_array().unwrap();
    assert_eq!(o["distributors"], json!(ds.len()), "{period}");
    assert_eq!(o["active"], json!(ds.iter().filter(|d| d["active"] == json!(true)).count()), "{period}");
    // Ranks in plan order, zero counts included, then no rank.
    let count = |r: &Value| ds.iter().filter(|d| d["rank"] == *r).count();
    let by_rank: Vec<Value> = [json!("Bronze"), json!("Silver"), Value::Null]
        .iter()
        .map(|r| json!({ "rank": r, "count": count(r) }))
        .collect();
    assert_eq!(o["by_rank"], json!(by_rank), "{period}: by_rank");
    let total: u64 = o["by_rank"].as_array().unwrap().iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, ds.len());
    // Top earners: payable (never held) descending, ties by id, ten at most.
    let mut earners: Vec<(Decimal, String)> =
        ds.iter().map(|d| (dec(&d["earnings"]["payable"]), d["id"].as_str().unwrap().to_string())).collect();
    earners.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let top = o["top_earners"].as_array().unwrap();
    assert_eq!(top.len(), ds.len().min(10));
    for (row, (payable, id)) in top.iter().zip(&earners) {
        assert_eq!(row["id"], json!(id), "{period}: top earners order");
        assert_eq!(dec(&row["payable"]), *payable);
        assert_eq!(row["payable"].as_str().unwrap().split('.').nth(1).map(str::len), Some(2), "money: 2 decimals");
        let name = if id == "ZOE" { json!("zoe@acme.example") } else { Value::Null };
        assert_eq!(row["name"], name);
    }
}

#[tokio::test]
async fn the_overview_of_open_and_closed_periods_is_the_ledgers_statement() {
    let c = Console::new().await;
    // The open period (the default) as it would close now, beside November as closed.
    let dec_ = c.get("/api/admin/overview").await;
    let (entry, status) = c.entry("2026-12").await;
    assert_eq!(status, "open");
    assert_matches(&dec_, &entry, "open");
    assert_eq!(dec_["as_of"], NOW);
    let (nov, status) = c.entry("2026-11").await;
    assert_eq!(status, "closed");
    assert_matches(&dec_["previous"], &nov, "closed");
    // November has sales and commissions: the ratio is a real one, not a null.
    assert!(dec(&nov["company"]["sales"]) > Decimal::ZERO && !dec_["previous"]["payout_ratio"].is_null());
    // Every enrolled distributor is in every period's statement (Acme's seven and ZOE).
    assert_eq!(dec_["distributors"], json!(8));

    // A closed period asked for by name. The ledger's periods start with the first order's
    // (November): October has no figures, so nothing stands beside November, and asking for
    // October itself is a 404 naming the period.
    let o = c.get("/api/admin/overview?period=2026-11").await;
    assert_matches(&o, &nov, "closed");
    assert!(c.sync.ledger.statement("2026-10").await.unwrap().is_none());
    assert!(c.sync.ledger.preview("2026-10").await.unwrap().is_none());
    assert_eq!(o["previous"], Value::Null);
    let (status, body) = c.call("/api/admin/overview?period=2026-10", &c.admin).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::NOT_FOUND, Some("period")));

    // Refusals: a period not started, a malformed one, a distributor's token.
    let (status, body) = c.call("/api/admin/overview?period=2027-01", &c.admin).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("period")));
    assert!(body["error"].as_str().unwrap().contains("not started"), "{body}");
    let (status, _) = c.call("/api/admin/overview?period=2026-13", &c.admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = c.call("/api/admin/overview", &c.user).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_distributor_list_searches_filters_and_pages() {
    let c = Console::new().await;
    let all = c.get("/api/admin/distributors?period=2026-11&limit=200").await;
    let rows = all["distributors"].as_array().unwrap();
    assert_eq!(all["total"], json!(rows.len()));
    assert_eq!(rows.len(), 8, "seven of Acme and ZOE");
    assert!(all["next_cursor"].is_null());
    // Each row's figures are its published standing of the period.
    let (nov, _) = c.entry("2026-11").await;
    for d in nov["distributors"].as_array().unwrap() {
        let row = rows.iter().find(|r| r["id"] == d["id"]).unwrap();
        assert_eq!((&row["rank"], &row["active"]), (&d["rank"], &d["active"]), "{}", d["id"]);
        assert_eq!(dec(&row["payable"]), dec(&d["earnings"]["payable"]));
        assert_eq!(dec(&row["held"]), dec(&d["earnings"]["held"]));
    }

    // Pages of three cover the list once, in enrollment order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = format!(
            "/api/admin/distributors?period=2026-11&limit=3{}",
            cursor.as_ref().map_or(String::new(), |c| format!("&cursor={c}"))
        );
        let page = c.get(&path).await;
        seen.extend(page["distributors"].as_array().unwrap().iter().map(|r| r["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, rows.iter().map(|r| r["id"].clone()).collect::<Vec<_>>());

    // Search by part of an id or an e-mail, any case.
    let ids = |v: &Value| v["distributors"].as_array().unwrap().iter().map(|r| r["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&c.get("/api/admin/distributors?q=ann").await), vec![json!("ANNA")]);
    assert_eq!(ids(&c.get("/api/admin/distributors?q=ACME.EXAMPLE").await), vec![json!("ZOE")]);
    // Filters, each checked against the rows they keep and leave out.
    let nov = |f: &str| format!("/api/admin/distributors?period=2026-11&{f}");
    let inactive = c.get(&nov("inactive=true")).await;
    let expect: Vec<Value> = rows.iter().filter(|r| r["active"] == json!(false)).map(|r| r["id"].clone()).collect();
    assert!(!expect.is_empty() && expect.len() < rows.len());
    assert_eq!(ids(&inactive), expect);
    let held = c.get(&nov("held=true")).await;
    let expect: Vec<Value> = rows
        .iter()
        .filter(|r| dec(&r["held"]) > Decimal::ZERO || !r["hold"].is_null())
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids(&held), expect);
    for rank in ["Bronze", "Silver", "none"] {
        let got = c.get(&nov(&format!("rank={rank}"))).await;
        let want = if rank == "none" { Value::Null } else { json!(rank) };
        let expect: Vec<Value> = rows.iter().filter(|r| r["rank"] == want).map(|r| r["id"].clone()).collect();
        assert_eq!(ids(&got), expect, "rank={rank}");
    }
    let (status, body) = c.call("/api/admin/distributors?held=maybe", &c.admin).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("held")));
    let (status, _) = c.call("/api/admin/distributors", &c.user).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_what_if_replays_history_under_a_candidate_plan_and_writes_nothing() {
    let c = Console::new().await;
    let stored = c.sync.ledger.store.plans().await.unwrap().pop().unwrap().text;
    let c = &c;
    let what_if = |plan: String| async move {
        let (status, body) =
            c.send("POST", "/api/admin/plans/what-if?from=2026-11&to=2026-12", &c.admin, Some(plan)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    };
    let closed_before = c.sync.ledger.store.closed_periods().await.unwrap();

    // The plan in force, replayed: the same engine pays exactly what was paid.
    let same = what_if(stored.clone()).await;
    assert_eq!(same["periods"], json!(["2026-11", "2026-12"]));
    for k in ["sales", "commissions", "held", "payouts", "payout_ratio", "by_kind", "ranks_reached"] {
        assert_eq!(same["candidate"][k], same["paid"][k], "{k}");
    }
    assert_eq!(same["most_changed"], json!([]));
    // "Paid" is the stored statements: November's and December's (open, as it would close now).
    let (nov, _) = c.entry("2026-11").await;
    let (dec_, _) = c.entry("2026-12").await;
    assert_eq!(
        dec(&same["paid"]["commissions"]),
        dec(&nov["company"]["commissions"]) + dec(&dec_["company"]["commissions"])
    );

    // Retail at 40 % instead of 20 %: retail doubles (to the cent per line), the rest of the
    // pay moves only where compliance or balances depend on it.
    let mut plan: Value = serde_json::from_str(&stored).unwrap();
    plan["retail"]["rate"] = json!("0.40");
    plan["version"] = json!(2);
    let more = what_if(plan.to_string()).await;
    let (paid_retail, new_retail) =
        (dec(&more["paid"]["by_kind"]["retail"]), dec(&more["candidate"]["by_kind"]["retail"]));
    assert!(paid_retail > Decimal::ZERO);
    let retail_lines: usize = [&nov, &dec_]
        .iter()
        .flat_map(|e| e["distributors"].as_array().unwrap())
        .flat_map(|d| d["lines"].as_array().unwrap())
        .filter(|l| l["kind"] == "retail")
        .count();
    assert!(
        (new_retail - paid_retail * Decimal::TWO).abs() <= Decimal::new(retail_lines as i64, 2),
        "{paid_retail} -> {new_retail}"
    );
    assert_eq!(more["candidate"]["plan"], "acme-2026@2");
    // The most changed: each change is candidate − paid, largest first, at most twenty.
    let changed = more["most_changed"].as_array().unwrap();
    assert!(!changed.is_empty() && changed.len() <= 20);
    let sizes: Vec<Decimal> = changed.iter().map(|r| dec(&r["change"]).abs()).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    for r in changed {
        assert_eq!(dec(&r["change"]), dec(&r["candidate"]) - dec(&r["paid"]));
    }
    // Nothing written: the same periods closed, the same stored statement.
    assert_eq!(c.sync.ledger.store.closed_periods().await.unwrap(), closed_before);
    assert_eq!(c.entry("2026-11").await.0, nov);

    // Refusals name the field.
    let (status, body) = c.send("POST", "/api/admin/plans/what-if?from=2026-11", &c.admin, Some(stored.clone())).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("to")));
    let (status, body) =
        c.send("POST", "/api/admin/plans/what-if?from=2026-12&to=2026-11", &c.admin, Some(stored.clone())).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("to")));
    let (status, _) = c.send("POST", "/api/admin/plans/what-if?from=2026-11&to=2026-11", &c.user, Some(stored)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_signin_configuration_is_public_and_documented() {
    for login in [
        None,
        Some(mlm_app::signin::ManagedLogin {
            domain: "https://acme.auth.us-east-1.amazoncognito.com".into(),
            client_id: "abc123".into(),
        }),
    ] {
        let app = mlm_app::signin::signin_router(login.clone());
        let r = app.oneshot(Request::builder().uri("/signin/config").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = serde_json::from_slice(&axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap()).unwrap();
        openapi::check("GET", "/signin/config", 200, &body);
        match login {
            None => assert_eq!(body, json!({ "managed_login": null })),
            Some(_) => {
                let m = &body["managed_login"];
                assert_eq!(m["authorize"], "https://acme.auth.us-east-1.amazoncognito.com/oauth2/authorize");
                assert_eq!(m["token"], "https://acme.auth.us-east-1.amazoncognito.com/oauth2/token");
                assert_eq!(m["logout"], "https://acme.auth.us-east-1.amazoncognito.com/logout");
                assert_eq!(m["client_id"], "abc123");
            }
        }
    }
}
