//! `mlm import` for a migration: distributors and retail customers, re-imported idempotently,
//! and an imported customer's BigCommerce account credited under its old id.

use mlm_bigcommerce::documented::{self as doc, Currencies};
use mlm_bigcommerce::standin::StandIn;
use mlm_ledger::port::Store;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-migrate");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn file(name: &str, content: &str) -> String {
    let p = tmp(name);
    std::fs::write(&p, content).unwrap();
    p.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributors_and_customers_import_idempotently_and_link_accounts() {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    let db = tmp("ledger.db");
    let data = db.to_str().unwrap().to_string();
    let mlm = |args: &[&str]| -> Output {
        tokio::task::block_in_place(|| {
            Command::new(env!("CARGO_BIN_EXE_mlm"))
                .args(args)
                .args(["--data", &data])
                .env("BIGCOMMERCE_API_BASE", bc.base_url())
                .env("BIGCOMMERCE_STORE_HASH", "s1")
                .env("BIGCOMMERCE_ACCESS_TOKEN", "t1")
                .output()
                .unwrap()
        })
    };
    let people = file(
        "people.csv",
        "id,sponsor_id,email,joined_at\nD1,,d1@example.com,2026-10-01T00:00:00Z\nD2,D1,d2@example.com,2026-10-02T00:00:00Z\n",
    );
    // No plan yet: the error says what to run first.
    let out = mlm(&["import", &people]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("run `mlm set-plan PLAN.yaml`"), "{}", text(&out.stderr));

    let plan = file(
        "plan.yaml",
        "{id: p, version: 1, currency: USD, period: month, retail: {rate: '0.2'}, unilevel: {rates: ['0.1']}}",
    );
    assert!(mlm(&["set-plan", &plan]).status.success());
    let out = mlm(&["import", &people]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The same file again, with one more row: the two already there are skipped.
    let more = file(
        "more.csv",
        &format!("{}D3,D2,d3@example.com,2026-10-03T00:00:00Z\n", std::fs::read_to_string(&people).unwrap()),
    );
    let out = mlm(&["import", &more]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("imported 1 distributors (2 already enrolled, skipped)"),
        "{}",
        text(&out.stderr)
    );
    // A row that would change an enrollment is refused with its line.
    let changed = file("changed.csv", "id,sponsor_id,email,joined_at\nD1,,d1@example.com,2026-10-01T00:00:00Z\nD3,D1,d3@example.com,2026-10-03T00:00:00Z\n");
    let out = mlm(&["import", &changed]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 3: sponsor_id: D3 is already enrolled with sponsor_id Some(\"D2\")"),
        "{}",
        text(&out.stderr)
    );

    let customers = file(
        "customers.csv",
        "id,email,referrer,bigcommerce_customer_id\nC1,rita@example.com,D2,55\nC2,,D1,\nC3,sam@example.com,,\n",
    );
    let out = mlm(&["import", &customers]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("imported 3 retail customers (0 already there, skipped)"),
        "{}",
        text(&out.stderr)
    );
    let out = mlm(&["import", &customers]);
    assert!(
        text(&out.stderr).contains("imported 0 retail customers (3 already there, skipped)"),
        "{}",
        text(&out.stderr)
    );
    let bad = file(
        "bad.csv",
        "id,email,referrer,bigcommerce_customer_id\nC1,rita@example.com,D1,55\nC4,d1@example.com,D1,\nC5,,NOBODY,\nD1,,,\nC6,,D1,55\n",
    );
    let out = mlm(&["import", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for want in [
        "line 2: referrer: \"C1\" was imported with referrer D2, not D1",
        "line 3: email: \"d1@example.com\" belongs to distributor \"D1\"",
        "line 4: referrer: \"NOBODY\" is not an enrolled distributor",
        "line 5: id: \"D1\" is a distributor's id",
        "line 6: bigcommerce_customer_id: 55 is already linked to \"C1\"",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }

    // C1's BigCommerce account places an order: credited to C1, its referrer D2 earns retail.
    bc.with(|r| {
        r.customers.insert(55, doc::customer(55, "rita@example.com", "Rita", &[]));
        r.products.insert(9, doc::product(9, "Vita", "VITA", "100.00", &[(90, "VITA")]));
        r.variant_metafields.insert((9, 90), vec![doc::metafield(1, "variant", 90, "mlm", "bv", "50")]);
        r.orders
            .insert(900, doc::order(900, 55, 11, "Tue, 03 Nov 2026 10:00:00 +0000", &Currencies::single("USD"), ""));
        r.order_products.insert(900, vec![doc::order_product(9000, 900, 9, 90, "VITA", 1, "100.00", "")]);
    });
    assert!(mlm(&["catalog", "sync"]).status.success());
    let out = mlm(&["reconcile", "--since", "2026-11-01T00:00:00Z"]);
    assert!(text(&out.stdout).contains("1 changed"), "{}", text(&out.stdout));
    let ledger = mlm_store_sqlite::SqliteStore::open(&db).unwrap();
    let o = ledger.order(900).await.unwrap().unwrap();
    assert_eq!((o.snapshot.buyer.as_deref(), o.credited.as_deref()), (Some("C1"), Some("D2")));
    drop(ledger);

    // One distributor's statement, in each format; tokens only for enrolled ids.
    let out = mlm(&["close-period", "2026-11", "--now", "2026-12-01T06:00:00Z"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = mlm(&["statement", "--period", "2026-11", "--distributor", "D2", "--format", "csv"]);
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,rank,pv,gv,retail,unilevel,binary,matrix,clawback,held,balance_in,payout,balance_out");
    // Retail 20% of C1's 100.00.
    assert!(lines[1].starts_with("D2,,") && lines[1].contains(",20.00,"), "{csv}");
    assert_eq!(lines.len(), 2);
    let out = mlm(&["statement", "--period", "2026-11", "--format", "table"]);
    let table = text(&out.stdout);
    assert!(table.starts_with("2026-11 (p@1, USD)\nid "), "{table}");
    assert_eq!(table.lines().count(), 2 + 3, "{table}");
    let out = mlm(&["statement", "--period", "2026-11", "--distributor", "D2"]);
    let d2: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d2["earnings"]["retail"], "20.00");
    let out = mlm(&["statement", "--period", "2026-11", "--distributor", "NOBODY"]);
    assert!(text(&out.stderr).contains("--distributor NOBODY: not in 2026-11's statement"), "{}", text(&out.stderr));
    let out = mlm(&["token", "--distributor", "NOBODY"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no such distributor in this ledger"), "{}", text(&out.stderr));
    assert!(mlm(&["token", "--distributor", "D2"]).status.success());
}
