//! `mlm demo`: a whole month of an example company, end to end, on this machine. It seeds the
//! plan (`examples/plan.yaml`: unilevel, binary, matrix, fast-start, matching, rank advancement
//! bonuses and a leadership pool), 50 distributors and their retail
//! customers, starts a BigCommerce stand-in built from the documented examples (catalog with
//! variants and `mlm` metafields, customer accounts, orders), starts `mlm serve`'s host, and
//! sends it signed webhooks over HTTP as a store would: catalog and account events, distributor
//! and retail orders, a guest order through a replicated-site link, a EUR order in the USD
//! store, a partial refund, a cancellation, a duplicate delivery, and a BV change. Then it closes
//! the month and prints what the company would review.

use crate::serve::init_logs;
use anyhow::{bail, Context as _, Result};
use mlm_app::local::Local;
use mlm_app::schedule::{tick, LedgerPayouts};
use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::signature::Verifier;
use mlm_bigcommerce::standin::StandIn;
use mlm_engine::period::Timestamp;
use mlm_ledger::model::DistributorRecord;
use mlm_ledger::port::Store;
use mlm_ledger::service::Ledger;
use mlm_store_sqlite::SqliteStore;
use mlm_sync::commerce::{BigCommerce, Commerce};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

const PLAN: &str = include_str!("../../examples/plan.yaml");
/// The demo app's client secret (signs the demo's webhooks; not a real store's).
const SECRET: &str = "mlm-demo-client-secret";
const NAMES: [&str; 50] = [
    "Anna", "Ben", "Cara", "Dan", "Eve", "Finn", "Gia", "Hugo", "Ines", "Jon", "Kai", "Lena", "Milo", "Nora", "Omar",
    "Pia", "Quin", "Rosa", "Sven", "Tara", "Uma", "Vik", "Wren", "Xia", "Yann", "Zoe", "Abel", "Bea", "Cole", "Dora",
    "Eli", "Faye", "Gus", "Hana", "Ivo", "Jade", "Kurt", "Lila", "Marc", "Nia", "Otto", "Pam", "Ravi", "Sara", "Theo",
    "Ula", "Vera", "Walt", "Yara", "Zack",
];

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Keep the server up afterwards (on `--listen`) to explore it.
    #[arg(long)]
    pub keep_serving: bool,
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Ledger file (default: a fresh temporary file, removed afterwards).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

fn distributor_id(k: usize) -> String {
    format!("D{:02}", k + 1)
}

/// The store: products with variants and volumes, one customer account per distributor, ten
/// retail customers referred by distributors.
fn seed_store(bc: &StandIn) {
    bc.with(|r| {
        r.customer_attributes =
            vec![doc::customer_attribute(1, "mlm_distributor_id"), doc::customer_attribute(2, "mlm_referrer")];
        r.products.insert(1, doc::product(1, "Vita Daily", "VITA", "46.00", &[(11, "VITA-30"), (12, "VITA-90")]));
        r.variant_metafields.insert(
            (1, 11),
            vec![
                doc::metafield(101, "variant", 11, "mlm", "bv", "40"),
                doc::metafield(102, "variant", 11, "mlm", "pv", "40"),
            ],
        );
        r.variant_metafields.insert(
            (1, 12),
            vec![
                doc::metafield(103, "variant", 12, "mlm", "bv_rate", "0.8"),
                doc::metafield(104, "variant", 12, "mlm", "pv", "100"),
            ],
        );
        // Both shake flavours take the product's volumes (the product-level fallback).
        r.products
            .insert(2, doc::product(2, "Protein Shake", "SHAKE", "54.99", &[(21, "SHAKE-VAN"), (22, "SHAKE-CHO")]));
        r.product_metafields.insert(
            2,
            vec![
                doc::metafield(105, "product", 2, "mlm", "bv", "25.5"),
                doc::metafield(106, "product", 2, "mlm", "pv", "30"),
            ],
        );
        r.products.insert(3, doc::product(3, "Starter Kit", "KIT", "49.00", &[(31, "KIT")]));
        r.variant_metafields.insert(
            (3, 31),
            vec![
                doc::metafield(107, "variant", 31, "mlm", "bv", "0"),
                doc::metafield(108, "variant", 31, "mlm", "pv", "0"),
            ],
        );
        for (k, name) in NAMES.iter().enumerate() {
            let id = 100 + k as i64;
            let email = format!("{}@acme.example", name.to_lowercase());
            let d = distributor_id(k);
            r.customers.insert(id, doc::customer(id, &email, name, &[(1, d.as_str())]));
        }
        for k in 0..10 {
            let id = 500 + k as i64;
            let referrer = distributor_id(k * 3);
            r.customers.insert(
                id,
                doc::customer(id, &format!("shopper{k}@mail.example"), "Shopper", &[(2, referrer.as_str())]),
            );
        }
    });
}

/// An order in the stand-in: `lines` are `(variant, quantity, price)`.
fn put_order(bc: &StandIn, id: i64, customer: i64, day: u32, cur: &Currencies, cart: &str, lines: &[(i64, i64, &str)]) {
    let date = format!("{}, {day:02} Nov 2026 10:00:00 +0000", weekday(day));
    let sku = |v: i64| match v {
        11 => "VITA-30",
        12 => "VITA-90",
        21 => "SHAKE-VAN",
        22 => "SHAKE-CHO",
        _ => "KIT",
    };
    let products = lines
        .iter()
        .enumerate()
        .map(|(i, &(v, q, p))| doc::order_product(id * 10 + i as i64, id, v / 10, v, sku(v), q, p, ""))
        .collect();
    bc.with(|r| {
        r.orders.insert(id, doc::order(id, customer, 11, &date, cur, cart));
        r.order_products.insert(id, products);
    });
}

/// November 2026 starts on a Sunday.
fn weekday(day: u32) -> &'static str {
    ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][((day - 1) % 7) as usize]
}

/// Posts signed callbacks to the server, as BigCommerce does.
struct Webhooks {
    http: reqwest::Client,
    base: String,
    signer: Verifier,
    sent: usize,
}

impl Webhooks {
    async fn callback(&mut self, webhook_id: &str, scope: &str, data: Value) -> Result<()> {
        let body = json!({ "scope": scope, "store_id": "1001", "data": data, "hash": "demo", "created_at": 1_793_700_000, "producer": "stores/demo" })
            .to_string();
        let now = crate::serve::unix_now();
        let answer = self
            .http
            .post(format!("{}/webhooks/bigcommerce", self.base))
            .header("webhook-id", webhook_id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", self.signer.sign(webhook_id, now, body.as_bytes()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        if !answer.status().is_success() {
            bail!("{scope} {webhook_id}: HTTP {}: {}", answer.status(), answer.text().await.unwrap_or_default());
        }
        self.sent += 1;
        Ok(())
    }

    async fn order(&mut self, scope: &str, id: i64, extra: Value) -> Result<()> {
        let mut data = json!({ "type": "order", "id": id });
        if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
            d.extend(e.clone());
        }
        let hook = format!("wh-{}-{id}-{}", scope.replace('/', "-"), self.sent);
        self.callback(&hook, scope, data).await
    }
}

pub fn demo(args: DemoArgs) -> Result<()> {
    if std::env::var_os("RUST_LOG").is_some() {
        init_logs();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(args))
}

async fn run(args: DemoArgs) -> Result<()> {
    let temp = args.data.is_none();
    let path =
        args.data.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("mlm-demo-{}.db", std::process::id())));
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?);
    let ledger = Ledger::new(store);
    if ledger.store.plans().await?.is_empty() {
        ledger.set_plan(PLAN, None).await.map_err(|e| anyhow::anyhow!("examples/plan.yaml: {e}"))?;
    } else if ledger.store.order(1001).await?.is_some() {
        bail!("{}: already holds the demo; pass a new --data file", path.display());
    }
    // The company's distributors, imported as `mlm import` would: a three-wide sponsor tree.
    let start = Timestamp::parse("2026-09-01T00:00:00Z").map_err(anyhow::Error::msg)?.0;
    let people: Vec<DistributorRecord> = (0..NAMES.len())
        .map(|k| DistributorRecord {
            id: distributor_id(k),
            sponsor: (k > 0).then(|| distributor_id((k - 1) / 3)),
            joined_at: start + k as i64 * 86_400_000_000_000,
            email: Some(format!("{}@acme.example", NAMES[k].to_lowercase())),
            bigcommerce_customer_id: Some(100 + k as i64),
            placement: None,
            upline: vec![],
            matrix_upline: vec![],
        })
        .collect();
    ledger.enroll(&people).await.map_err(|e| anyhow::anyhow!("distributors: {e}"))?;

    let bc = StandIn::start("demo", "demo-token").await.context("starting the BigCommerce stand-in")?;
    seed_store(&bc);
    let client = mlm_bigcommerce::client::Client::new(&bc.base_url(), "demo", "demo-token", Default::default());
    let commerce: Arc<dyn Commerce> = Arc::new(BigCommerce::new(client));
    let sync = Arc::new(mlm_sync::Sync::new(ledger, commerce));
    let queue = mlm_queue::DurableQueue::open(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let local = Local::start(sync.clone(), Verifier::from_client_secret(SECRET).expect("a secret"), None, queue);
    let listen = if args.keep_serving { args.listen } else { "127.0.0.1:0".parse().expect("an address") };
    let listener =
        tokio::net::TcpListener::bind(listen).await.with_context(|| format!("--listen {listen}: cannot bind"))?;
    let addr = listener.local_addr()?;
    let key_path = PathBuf::from(format!("{}.token-key", path.display()));
    let key = mlm_app::auth::LocalKey::load_or_create(&key_path).with_context(|| key_path.display().to_string())?;
    let router = local.router(key.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let mut store = Webhooks {
        http: reqwest::Client::new(),
        base: format!("http://{addr}"),
        signer: Verifier::from_client_secret(SECRET).expect("a secret"),
        sent: 0,
    };
    println!(
        "mlm demo: Acme Wellness, plan acme-2026@1 (unilevel, binary, matrix, fast-start, matching, rank bonuses, a pool), 50 distributors"
    );
    println!("  BigCommerce stand-in at {}, mlm serve at http://{addr}\n", bc.base_url());

    // 1. Catalog and accounts, as the store announces them.
    for p in 1..=3 {
        store
            .callback(&format!("wh-product-{p}"), "store/product/created", json!({ "type": "product", "id": p }))
            .await?;
    }
    for c in (100..150).chain(500..510) {
        store
            .callback(&format!("wh-customer-{c}"), "store/customer/created", json!({ "type": "customer", "id": c }))
            .await?;
    }
    local.idle().await;

    // 2. November's orders. Every distributor but the last ten buys; retail customers buy.
    let usd = Currencies::single("USD");
    let mut id = 1000;
    for k in 0..40 {
        id += 1;
        let lines: &[(i64, i64, &str)] = match k % 4 {
            0 => &[(12, 1, "119.0000")],
            1 => &[(11, 2, "46.0000")],
            2 => &[(21, 1, "54.9900"), (11, 1, "46.0000")],
            _ => &[(22, 2, "54.9900")],
        };
        put_order(&bc, id, 100 + k as i64, 2 + (k as u32 % 20), &usd, "", lines);
        store.order("store/order/created", id, json!({})).await?;
    }
    for k in 0..10 {
        id += 1;
        put_order(&bc, id, 500 + k, 5 + k as u32, &usd, "", &[(11, 1 + k % 2, "46.0000")]);
        store.order("store/order/created", id, json!({})).await?;
    }
    // A guest through D05's replicated site: the site records the cart, then the order comes.
    id += 1;
    let guest = id;
    let attributed = store
        .http
        .post(format!("{}/attribution", store.base))
        .json(&json!({ "cart_id": "cart-demo-1", "referrer": "D05" }))
        .send()
        .await?;
    if !attributed.status().is_success() {
        bail!("POST /attribution: HTTP {}", attributed.status());
    }
    put_order(&bc, guest, 0, 18, &usd, "cart-demo-1", &[(12, 1, "119.0000")]);
    store.order("store/order/created", guest, json!({})).await?;
    // A EUR order in the USD store: 2 × 42.32 EUR at 0.92 EUR per USD = 92.00 USD.
    id += 1;
    let eur_order = id;
    let eur = Currencies { transactional: "EUR", store_default: "USD", rate: "0.9200000000" };
    put_order(&bc, eur_order, 103, 12, &eur, "", &[(11, 2, "42.3200")]);
    store.order("store/order/created", eur_order, json!({})).await?;
    // The same delivery twice (BigCommerce retries): counted once.
    store.callback("wh-dup-1002", "store/order/updated", json!({ "type": "order", "id": 1002 })).await?;
    store.callback("wh-dup-1002", "store/order/updated", json!({ "type": "order", "id": 1002 })).await?;
    local.idle().await;

    // 3. A partial refund of order 1002 (one of its two units), a cancellation of 1004.
    bc.with(|r| {
        r.refunds.insert(1002, vec![doc::refund(1, 1002, "2026-11-20T12:00:00+00:00", &[(10020, 1)])]);
        let o = r.orders.get_mut(&1002).expect("order 1002");
        o["status_id"] = json!(14);
        o["status"] = json!("Partially Refunded");
    });
    store.order("store/order/refund/created", 1002, json!({ "refund": { "refund_id": 1 } })).await?;
    bc.with(|r| {
        let o = r.orders.get_mut(&1004).expect("order 1004");
        o["status_id"] = json!(5);
        o["status"] = json!("Cancelled");
        o["date_modified"] = json!("Sat, 21 Nov 2026 09:00:00 +0000");
    });
    store
        .order("store/order/statusUpdated", 1004, json!({ "status": { "previous_status_id": 11, "new_status_id": 5 } }))
        .await?;
    // 4. The company raises VITA-30's BV from 40 to 44 in BigCommerce: later orders earn on 44,
    // earlier ones keep the 40 they were paid on.
    bc.with(|r| {
        let m = r.variant_metafields.get_mut(&(1, 11)).expect("VITA-30 metafields");
        m[0]["value"] = json!("44");
    });
    store
        .callback(
            "wh-sku-11",
            "store/sku/updated",
            json!({ "type": "sku", "id": 11, "sku": { "product_id": 1, "variant_id": 11 } }),
        )
        .await?;
    local.idle().await;
    id += 1;
    put_order(&bc, id, 110, 25, &usd, "", &[(11, 1, "46.0000")]);
    store.order("store/order/created", id, json!({})).await?;
    local.idle().await;

    // 5. December 1st: the schedule closes November and queues its payouts.
    let dec1 = Timestamp::parse("2026-12-01T06:05:00Z").map_err(anyhow::Error::msg)?;
    let ledger = &sync.ledger;
    let report = tick(ledger, dec1, &LedgerPayouts(ledger.store.clone())).await?;
    let statement = ledger.statement("2026-11").await?.context("November did not close")?;
    summary(&statement, &report, store.sent, guest, eur_order, &ledger.store.parked().await?)?;

    if args.keep_serving {
        let now = crate::serve::unix_now();
        let token = |d: Option<&str>, admin| key.sign(&mlm_app::auth::dev_claims(d, admin, now, 8 * 3600));
        println!("\nserving on http://{addr} (BigCommerce stand-in at {}); Ctrl-C to stop", bc.base_url());
        println!("dashboard: http://{addr}/ ; sign in with a token (valid 8 hours):");
        println!("  D01 (the top distributor): {}", token(Some("D01"), false));
        println!("  admin:                     {}", token(None, true));
        println!("more: mlm token --data {} --distributor D12", path.display());
        let _ = tokio::signal::ctrl_c().await;
    }
    server.abort();
    local.shutdown().await;
    if temp {
        for suffix in ["", "-wal", "-shm", ".token-key"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    Ok(())
}

fn dec(v: &Value) -> rust_decimal::Decimal {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_default()
}

fn summary(
    statement: &str,
    report: &mlm_app::schedule::TickReport,
    sent: usize,
    guest: i64,
    eur: i64,
    parked: &[mlm_ledger::model::Parked],
) -> Result<()> {
    let doc: Value = serde_json::from_str(statement)?;
    let p = &doc["periods"][0];
    let c = &p["company"];
    println!("{sent} signed webhooks delivered (one of them twice), guest order {guest} via a replicated site, EUR order {eur}");
    println!("closed {:?}; {} payouts queued\n", report.closed, report.payouts);
    println!("November 2026 ({} {})", doc["plan"].as_str().unwrap_or(""), doc["currency"].as_str().unwrap_or(""));
    println!(
        "  sales {}  (distributor {}, retail {}, house {})",
        c["sales"].as_str().unwrap_or(""),
        c["distributor_sales"].as_str().unwrap_or(""),
        c["retail_sales"].as_str().unwrap_or(""),
        c["house_sales"].as_str().unwrap_or("")
    );
    println!(
        "  company retail ratio {}   commissions {}   held {}   payouts {}",
        c["retail_ratio"].as_str().unwrap_or(""),
        c["commissions"].as_str().unwrap_or(""),
        c["held"].as_str().unwrap_or(""),
        c["payouts"].as_str().unwrap_or("")
    );
    let empty = vec![];
    for pool in c["pools"].as_array().unwrap_or(&empty) {
        println!(
            "  {}: {} of company BV {}, {} qualifiers, {} distributed",
            pool["name"].as_str().unwrap_or(""),
            pool["amount"].as_str().unwrap_or(""),
            c["bv"].as_str().unwrap_or(""),
            pool["qualifiers"],
            pool["distributed"].as_str().unwrap_or("")
        );
    }
    let ds = p["distributors"].as_array().unwrap_or(&empty);
    let mut top: Vec<&Value> = ds.iter().collect();
    top.sort_by(|a, b| dec(&b["earnings"]["payable"]).cmp(&dec(&a["earnings"]["payable"])));
    println!("\nTop earners              rank    title     PV      GV       payable   payout");
    for d in top.iter().take(5) {
        println!(
            "  {:4} {:<18} {:<7} {:<7} {:>6} {:>8} {:>10} {:>8}",
            d["id"].as_str().unwrap_or(""),
            d["id"].as_str().and_then(|i| i[1..].parse::<usize>().ok()).map_or("", |k| NAMES[k - 1]),
            d["rank"].as_str().unwrap_or("-"),
            d["title"].as_str().unwrap_or("-"),
            d["pv"].as_str().unwrap_or(""),
            d["gv"].as_str().unwrap_or(""),
            d["earnings"]["payable"].as_str().unwrap_or(""),
            d["payout"].as_str().unwrap_or("")
        );
    }
    // One statement in full: the best earner whose statement fits on a screen.
    let lines_of = |d: &Value| d["lines"].as_array().map_or(0, Vec::len);
    let Some(first) = top.iter().find(|d| (1..=20).contains(&lines_of(d))).or(top.first()) else { return Ok(()) };
    println!(
        "\nStatement of {} ({}), every line explained:",
        first["id"].as_str().unwrap_or(""),
        doc["plan"].as_str().unwrap_or("")
    );
    for l in first["lines"].as_array().unwrap_or(&empty) {
        let kind = l["kind"].as_str().unwrap_or("");
        let r = l["ref"].as_str().unwrap_or("");
        let what = match (kind, l["level"].as_u64(), l["order"].as_i64()) {
            ("binary", _, _) => "binary: the weaker leg's volume".to_string(),
            ("matching", Some(g), _) => format!("matching generation {g} of {r}'s earnings"),
            ("rank_bonus", _, _) => format!("rank bonus: first time {r}"),
            ("pool", _, _) => format!("share of the {r}"),
            ("adjustment", _, _) => format!("adjustment {r}"),
            ("clawback", _, Some(o)) => format!("clawback of {} on refunded order {o}", l["of"].as_str().unwrap_or("")),
            (k, Some(level), Some(o)) => format!("{k} level {level} on order {o}"),
            (k, None, Some(o)) => format!("{k} on order {o}"),
            (k, _, _) => k.to_string(),
        };
        println!(
            "  {:<44} {:>7} × {:<6} = {:>8}  {}",
            what,
            l["base"].as_str().unwrap_or(""),
            l["rate"].as_str().unwrap_or(""),
            l["amount"].as_str().unwrap_or(""),
            l["status"].as_str().unwrap_or("")
        );
    }
    println!(
        "  earnings: payable {}, held {}; balance in {}, payout {}, balance out {}",
        first["earnings"]["payable"].as_str().unwrap_or(""),
        first["earnings"]["held"].as_str().unwrap_or(""),
        first["balance_in"].as_str().unwrap_or(""),
        first["payout"].as_str().unwrap_or(""),
        first["balance_out"].as_str().unwrap_or("")
    );
    if parked.is_empty() {
        println!("\nnothing parked: every event was processed");
    } else {
        println!("\nparked (needs attention):");
        for p in parked {
            println!("  {}: {}", p.key, p.reason);
        }
    }
    Ok(())
}
