//! `mlm reconcile` as a user runs it, against the local BigCommerce stand-in.

use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::standin::StandIn;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-reconcile");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_back_fills_then_resumes_and_reports_hooks() {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    let usd = Currencies::single("USD");
    bc.with(|r| {
        r.customer_attributes = vec![doc::customer_attribute(1, "mlm_distributor_id")];
        r.customers.insert(1, doc::customer(1, "d2@example.com", "Dee", &[(1, "D2")]));
        for (id, when) in [(500, "Tue, 03"), (501, "Wed, 04"), (502, "Thu, 05")] {
            let when = format!("{when} Nov 2026 10:00:00 +0000");
            r.orders.insert(id, doc::order(id, 1, 11, &when, &usd, ""));
            r.order_products.insert(id, vec![doc::order_product(id * 10, id, 9, 0, "VITA", 1, "100.00", "")]);
        }
    });
    let db = tmp("ledger.db");
    let data = db.to_str().unwrap();
    let plan = tmp("plan.yaml");
    std::fs::write(&plan, "{id: p, version: 1, currency: USD, period: month, unilevel: {rates: ['0.1']}}").unwrap();
    let csv = tmp("d.csv");
    std::fs::write(&csv, "id,sponsor_id,email,joined_at\nD1,,d1@example.com,2026-10-01T00:00:00Z\nD2,D1,d2@example.com,2026-10-02T00:00:00Z\n")
        .unwrap();
    let mlm = |args: &[&str]| -> Output {
        tokio::task::block_in_place(|| {
            Command::new(env!("CARGO_BIN_EXE_mlm"))
                .args(args)
                .env("BIGCOMMERCE_API_BASE", bc.base_url())
                .env("BIGCOMMERCE_STORE_HASH", "s1")
                .env("BIGCOMMERCE_ACCESS_TOKEN", "t1")
                .env_remove("MLM_WEBHOOK_DESTINATION")
                .output()
                .unwrap()
        })
    };
    for args in [vec!["set-plan", plan.to_str().unwrap()], vec!["import", csv.to_str().unwrap()]] {
        let out = mlm(&[args, vec!["--data", data]].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = mlm(&["catalog", "sync", "--data", data]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Without a watermark or --since: the error says what to run.
    let out = mlm(&["reconcile", "--data", data]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("mlm reconcile --since"), "{}", text(&out.stderr));

    // The back-fill: every order in, and the hooks (none registered) reported: exit 1.
    let dest = "https://mlm.example.com/webhooks/bigcommerce";
    let out = mlm(&["reconcile", "--since", "2026-11-01T00:00:00Z", "--page-size", "2", "--data", data]);
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("reconciled 3 orders modified since 2026-11-01T00:00:00Z: 0 changed"), "{stdout}");
    assert!(stdout.contains("3 parked"), "the SKU has no mapping yet: {stdout}");
    assert!(stdout.contains("watermark: 2026-11-05T10:00:00Z"), "{stdout}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("needs attention: webhook store/order/created: no hook"),
        "{}",
        text(&out.stderr)
    );

    // The catalog gets its volumes (the parked orders are reprocessed); one order changes; the
    // next run starts at the watermark and creates the hooks.
    bc.with(|r| {
        r.products.insert(9, doc::product(9, "Vita", "VITA", "100.00", &[(90, "VITA")]));
        r.variant_metafields.insert((9, 90), vec![doc::metafield(1, "variant", 90, "mlm", "bv", "50")]);
        r.orders.get_mut(&502).unwrap()["date_modified"] = json!("Fri, 06 Nov 2026 09:00:00 +0000");
    });
    let out = mlm(&["catalog", "sync", "--data", data]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = mlm(&["reconcile", "--destination", dest, "--data", data]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{}", stdout, text(&out.stderr));
    assert!(stdout.starts_with("reconciled 1 orders modified since 2026-11-05T10:00:00Z"), "{stdout}");
    assert!(stdout.contains("watermark: 2026-11-06T09:00:00Z"), "{stdout}");
    assert!(stdout.contains("webhooks: 0 active, 0 re-enabled, 14 created, 0 failing"), "{stdout}");
    let out = mlm(&["reconcile", "--destination", dest, "--data", data]);
    assert!(text(&out.stdout).contains("webhooks: 14 active"), "{}", text(&out.stdout));
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Staging rehearsal: `mlm serve --now` on December 1st closes November at its first tick,
/// after reconciling an order whose webhook never came; a bad clock is refused at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_a_rehearsal_clock_reconciles_then_closes_the_month() {
    use mlm_ledger::port::Store;
    let bc = StandIn::start("s1", "t1").await.unwrap();
    let usd = Currencies::single("USD");
    bc.with(|r| {
        r.customer_attributes = vec![doc::customer_attribute(1, "mlm_distributor_id")];
        r.customers.insert(1, doc::customer(1, "d2@example.com", "Dee", &[(1, "D2")]));
        r.products.insert(9, doc::product(9, "Vita", "VITA", "100.00", &[(90, "VITA")]));
        r.variant_metafields.insert((9, 90), vec![doc::metafield(1, "variant", 90, "mlm", "bv", "50")]);
    });
    let db = tmp("rehearsal.db");
    let data = db.to_str().unwrap();
    let plan = tmp("rehearsal-plan.yaml");
    std::fs::write(&plan, "{id: p, version: 1, currency: USD, period: month, unilevel: {rates: ['0.1']}}").unwrap();
    let csv = tmp("rehearsal.csv");
    std::fs::write(&csv, "id,sponsor_id,email,joined_at\nD1,,d1@example.com,2026-10-01T00:00:00Z\nD2,D1,d2@example.com,2026-10-02T00:00:00Z\n")
        .unwrap();
    let cmd = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mlm"));
        c.args(args)
            .env("BIGCOMMERCE_API_BASE", bc.base_url())
            .env("BIGCOMMERCE_STORE_HASH", "s1")
            .env("BIGCOMMERCE_ACCESS_TOKEN", "t1")
            .env("BIGCOMMERCE_CLIENT_SECRET", "rehearsal-secret")
            .env_remove("MLM_NOW");
        c
    };
    let run = |args: &[&str]| tokio::task::block_in_place(|| cmd(args).output().unwrap());
    for args in [
        vec!["set-plan", plan.to_str().unwrap()],
        vec!["import", csv.to_str().unwrap()],
        vec!["catalog", "sync"],
        vec!["reconcile", "--since", "2026-11-01T00:00:00Z"],
    ] {
        let out = run(&[args.clone(), vec!["--data", data]].concat());
        assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}: {}", text(&out.stderr));
    }
    // An order placed in November whose webhook is lost.
    bc.with(|r| {
        r.orders.insert(700, doc::order(700, 1, 11, "Fri, 20 Nov 2026 10:00:00 +0000", &usd, ""));
        r.order_products.insert(700, vec![doc::order_product(7000, 700, 9, 90, "VITA", 1, "100.00", "")]);
    });

    let out = run(&["serve", "--now", "tomorrow", "--data", data]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--now: \"tomorrow\" is not an RFC 3339 timestamp"), "{}", text(&out.stderr));
    let out = tokio::task::block_in_place(|| {
        cmd(&["close-period", "2026-11", "--data", data]).env("MLM_NOW", "12/01").output().unwrap()
    });
    assert!(text(&out.stderr).contains("MLM_NOW: "), "{}", text(&out.stderr));

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let args = ["serve", "--listen", &listen, "--now", "2026-12-01T06:05:00Z", "--data", data];
    let _server = Killed(cmd(&args).stderr(std::process::Stdio::null()).spawn().unwrap());
    let ledger = mlm_store_sqlite::SqliteStore::open(&db).unwrap();
    let start = std::time::Instant::now();
    while ledger.closed_periods().await.unwrap().is_empty() {
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "November was not closed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ledger.closed_periods().await.unwrap(), ["2026-11"]);
    assert!(ledger.order(700).await.unwrap().is_some(), "the lost order was reconciled before the close");
    let lines = ledger.lines("2026-11", "D1").await.unwrap();
    // 10% of BV 50.
    assert_eq!(lines.iter().map(|l| l.amount.normalize().to_string()).collect::<Vec<_>>(), ["5"]);
}
