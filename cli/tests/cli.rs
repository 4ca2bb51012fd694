//! The `mlm` command as a user runs it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mlm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlm")).args(args).output().expect("mlm runs")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn simulates_the_bundled_example_quietly() {
    let example = root().join("examples/acme.yaml");
    let out = mlm(&["simulate", example.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // No progress output when stderr is not a terminal.
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["plan"], "acme-2026@1");
    let periods: Vec<&str> = v["periods"].as_array().unwrap().iter().map(|p| p["period"].as_str().unwrap()).collect();
    assert_eq!(periods, ["2026-11", "2026-12"]);
}

#[test]
fn period_selects_one_period_and_rejects_others() {
    let example = root().join("examples/acme.yaml");
    let ex = example.to_str().unwrap();
    let all: Value = serde_json::from_slice(&mlm(&["simulate", ex]).stdout).unwrap();
    let out = mlm(&["simulate", ex, "--period", "2026-12"]);
    assert!(out.status.success());
    let one: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(one["periods"].as_array().unwrap().len(), 1);
    // December carries November's balances: the same entry as in the full run.
    assert_eq!(one["periods"][0], all["periods"][1]);
    for bad in ["2026-10", "2026-W48", "November"] {
        let out = mlm(&["simulate", ex, "--period", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).contains("--period"), "{bad}");
    }
}

#[test]
fn generated_scenarios_are_seeded_and_simulate() {
    let a = tmp("gen-a.json");
    let b = tmp("gen-b.json");
    for p in [&a, &b] {
        let out = mlm(&[
            "gen",
            "--distributors",
            "300",
            "--orders",
            "1500",
            "--seed",
            "11",
            "--months",
            "2",
            "--out",
            p.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let text = std::fs::read(&a).unwrap();
    assert_eq!(text, std::fs::read(&b).unwrap(), "same seed, same scenario");
    let other = mlm(&["gen", "--distributors", "300", "--orders", "1500", "--seed", "12"]);
    assert_ne!(other.stdout, text);
    let out = mlm(&["simulate", a.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &v["periods"][0];
    assert_eq!(first["distributors"].as_array().unwrap().len(), 300);
    let commissions = first["company"]["commissions"].as_str().unwrap();
    assert!(commissions != "0.00" && !commissions.starts_with('-'), "{commissions}");
}

#[test]
fn invalid_input_names_every_problem_and_prints_nothing() {
    let bad = tmp("bad.yaml");
    std::fs::write(
        &bad,
        "plan: { id: p, version: 1, currency: USD, period: month }\n\
         distributors:\n  - { id: D1, sponsor: D9, joined_at: '2026-10-01T00:00:00Z' }\n\
         orders:\n  - { id: 1, buyer: D1, placed_at: '2026-11-01T00:00:00Z', currency: EUR, lines: [ { sku: A, quantity: 1, unit_price: 5 } ] }\n",
    )
    .unwrap();
    let out = mlm(&["simulate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("distributors[0].sponsor: unknown distributor \"D9\""), "{err}");
    assert!(err.contains("orders[0].exchange_rate: is required for an order in EUR"), "{err}");
    let missing = mlm(&["simulate", "/nonexistent.yaml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent.yaml"));
}

#[test]
fn a_ledger_file_closes_to_the_simulated_statement() {
    let example = root().join("examples/acme.yaml");
    let ex = example.to_str().unwrap();
    let db = tmp("acme-ledger.db");
    let _ = std::fs::remove_file(&db);
    let data = db.to_str().unwrap();
    let out = mlm(&["load", ex, "--data", data]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("12 orders (0 parked)"));
    // Not closed yet.
    let out = mlm(&["statement", "--period", "2026-11", "--data", data]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not closed"));
    // The example's last month ends 2027-01-01: closed with the rehearsal clock after it.
    let out = mlm(&["close-period", "2026-12", "--now", "2027-01-01T06:00:00Z", "--data", data]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("closed 2026-11, 2026-12"));
    let simulated: Value = serde_json::from_slice(&mlm(&["simulate", ex]).stdout).unwrap();
    for (i, period) in ["2026-11", "2026-12"].into_iter().enumerate() {
        let out = mlm(&["statement", "--period", period, "--data", data]);
        assert!(out.status.success());
        let stored: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(stored["plan"], simulated["plan"]);
        assert_eq!(stored["periods"][0], simulated["periods"][i], "{period}");
    }
}

/// The same commands on DynamoDB (Local, started by scripts/test.sh) give the same statement.
#[test]
fn a_dynamodb_ledger_closes_to_the_simulated_statement() {
    let Some(endpoint) = mlm_aws::emulator_endpoint("MLM_DYNAMODB_ENDPOINT") else { return };
    let table = format!("cli-{}", std::process::id());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mlm"))
            .args(args)
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("MLM_LEDGER_TABLE", &table)
            .output()
            .unwrap()
    };
    let example = root().join("examples/acme.yaml");
    let ex = example.to_str().unwrap();
    for args in [
        &["create-table"][..],
        &["load", ex, "--dynamodb"],
        &["close-period", "2026-12", "--now", "2027-01-01T06:00:00Z", "--dynamodb"],
    ] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let simulated: Value = serde_json::from_slice(&mlm(&["simulate", ex]).stdout).unwrap();
    let out = run(&["statement", "--period", "2026-11", "--dynamodb"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stored: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stored["periods"][0], simulated["periods"][0]);
}

#[test]
fn import_checks_the_whole_file_first() {
    let db = tmp("import.db");
    let _ = std::fs::remove_file(&db);
    let data = db.to_str().unwrap();
    let plan_scenario = tmp("plan-only.yaml");
    std::fs::write(
        &plan_scenario,
        "plan: { id: p, version: 1, currency: USD, period: month, binary: { rate: '0.1', placement: extreme_left } }\n",
    )
    .unwrap();
    assert!(mlm(&["load", plan_scenario.to_str().unwrap(), "--data", data]).status.success());
    let bad = tmp("bad.csv");
    std::fs::write(
        &bad,
        "id,sponsor_id,email,joined_at,binary_parent,binary_leg\n\
         A,,a@example.com,2026-01-01T00:00:00Z,,\n\
         B,A,b@example.com,2026-01-02T00:00:00Z,A,left\n\
         C,Z,c@example.com,2026-01-03T00:00:00Z,,\n\
         D,E,d@example.com,2026-01-04T00:00:00Z,,\n\
         E,A, B@Example.com ,2026-01-05T00:00:00Z,,\n\
         B,A,b2@example.com,2026-01-06T00:00:00Z,,\n\
         F,A,f@example.com,2026-01-07T00:00:00Z,A,left\n\
         G,A,g@example.com,yesterday,,\n",
    )
    .unwrap();
    let out = mlm(&["import", bad.to_str().unwrap(), "--data", data]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "line 4: sponsor_id: unknown distributor \"Z\"",
        "line 5: sponsor_id: sponsor \"E\" is listed after its recruit",
        "line 6: email: \"B@Example.com\" already belongs to distributor \"B\"",
        "line 7: id: duplicate distributor id \"B\"",
        "line 8: binary_leg: the left leg of \"A\" is already taken",
        "line 9: joined_at:",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    // Nothing was written: a clean file with the same ids imports.
    let good = tmp("good.csv");
    std::fs::write(
        &good,
        "id,sponsor_id,email,joined_at,bigcommerce_customer_id\n\
         A,,a@example.com,2026-01-01T00:00:00Z,17\n\
         B,A,b@example.com,2026-01-02T00:00:00Z,\n\
         C,B,c@example.com,2026-01-03T00:00:00Z,\n",
    )
    .unwrap();
    let out = mlm(&["import", good.to_str().unwrap(), "--data", data]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported 3 distributors"));
    // Importing it again changes nothing: every row is already there, identical.
    let out = mlm(&["import", good.to_str().unwrap(), "--data", data]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported 0 distributors (3 already enrolled, skipped)"));
}

#[test]
fn the_demo_runs_a_month_end_to_end() {
    let out = mlm(&["demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    // Every event processed, November closed with payouts, a statement spelled out.
    assert!(text.contains("closed [\"2026-11\"]"), "{text}");
    assert!(text.contains("nothing parked: every event was processed"), "{text}");
    assert!(text.contains("company retail ratio 0.1615"), "{text}");
    // The guest order through D05's replicated site is D05's retail sale.
    assert!(text.contains("retail on order 1051"), "{text}");
}

#[test]
fn a_token_lifetime_past_a_year_is_refused_not_overflowed() {
    let data = tmp("ttl.db");
    let d = data.to_str().unwrap();
    let out = mlm(&["token", "--admin", "--ttl-hours", "9223372036854775807", "--data", d]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--ttl-hours must be from 1 to 8784 (a year), not 9223372036854775807"), "{err}");
    assert!(out.stdout.is_empty());
    let out = mlm(&["token", "--admin", "--ttl-hours", "8784", "--data", d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `mlm adjust` records an adjustment in a ledger's open period; the close books it exactly as
/// `mlm simulate` does for the same scenario with that adjustment; a closed period refuses one
/// (naming `at`); `mlm disclosure --data` reads the closed periods. (November 2026 is over by
/// the time this runs; a period closes only once it has ended.)
#[test]
fn a_ledger_adjustment_closes_like_the_simulated_one_and_is_disclosed() {
    let example = root().join("examples/acme.yaml");
    let ex = example.to_str().unwrap();
    let db = tmp("adjust-ledger.db");
    let _ = std::fs::remove_file(&db);
    let data = db.to_str().unwrap();
    assert!(mlm(&["load", ex, "--data", data]).status.success());
    let out = mlm(&[
        "adjust",
        "EVE",
        "--amount",
        "-15.00",
        "--reason",
        "returned starter kit",
        "--at",
        "2026-11-25T00:00:00Z",
        "--data",
        data,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ADJ-000001");
    for (args, field) in [
        (vec!["adjust", "EVE", "--amount", "0", "--reason", "x"], "amount"),
        (vec!["adjust", "NOBODY", "--amount", "1", "--reason", "x"], "distributor"),
        (vec!["adjust", "EVE", "--amount", "1", "--reason", "x", "--at", "2026-12-05T00:00:00"], "--at"),
    ] {
        let mut args = args;
        args.extend(["--data", data]);
        let out = mlm(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{field}:")), "{args:?}");
    }
    let out = mlm(&["close-period", "2026-11", "--data", data]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out =
        mlm(&["adjust", "EVE", "--amount", "5", "--reason", "late", "--at", "2026-11-30T00:00:00Z", "--data", data]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at: 2026-11-30T00:00:00Z falls in 2026-11, which is closed"));

    let with_adjustment = tmp("acme-adjusted.yaml");
    let text = std::fs::read_to_string(&example).unwrap();
    std::fs::write(
        &with_adjustment,
        format!(
            "{text}adjustments:\n  - {{ id: ADJ-000001, distributor: EVE, at: \"2026-11-25T00:00:00Z\", amount: \"-15.00\", reason: \"returned starter kit\" }}\n"
        ),
    )
    .unwrap();
    let adjusted = with_adjustment.to_str().unwrap();
    let simulated: Value = serde_json::from_slice(&mlm(&["simulate", adjusted]).stdout).unwrap();
    let stored: Value =
        serde_json::from_slice(&mlm(&["statement", "--period", "2026-11", "--data", data]).stdout).unwrap();
    assert_eq!(stored["periods"][0], simulated["periods"][0]);
    let eve = simulated["periods"][0]["distributors"].as_array().unwrap().iter().find(|d| d["id"] == "EVE").unwrap();
    assert!(eve["lines"].as_array().unwrap().iter().any(|l| l["kind"] == "adjustment" && l["ref"] == "ADJ-000001"));

    let out = mlm(&["disclosure", "--data", data]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let from_ledger: Value = serde_json::from_slice(&out.stdout).unwrap();
    let from_scenario: Value =
        serde_json::from_slice(&mlm(&["disclosure", adjusted, "--to", "2026-11"]).stdout).unwrap();
    assert_eq!(from_ledger, from_scenario);
    assert_eq!(from_ledger["to"], "2026-11");
    let out = mlm(&["disclosure", "--data", data, "--to", "2026-12"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to: 2026-12 is outside the run"));
}
