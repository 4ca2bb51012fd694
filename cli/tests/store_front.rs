//! `mlm catalog`, `mlm register-webhooks` and `mlm reprocess` against the local BigCommerce
//! stand-in, as a user runs them.

use mlm_bigcommerce::documented as doc;
use mlm_bigcommerce::standin::StandIn;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-store-front");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

fn mlm(bc: Option<&StandIn>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlm"));
    c.args(args).env_remove("BIGCOMMERCE_STORE_HASH").env_remove("BIGCOMMERCE_ACCESS_TOKEN");
    if let Some(bc) = bc {
        c.env("BIGCOMMERCE_API_BASE", bc.base_url())
            .env("BIGCOMMERCE_STORE_HASH", "s1")
            .env("BIGCOMMERCE_ACCESS_TOKEN", "t1");
    }
    c.output().expect("mlm runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_and_webhooks_through_the_command() {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    bc.with(|r| {
        r.products.insert(100, doc::product(100, "Vita", "VITA", "46.00", &[(1000, "VITA-30")]));
        r.variant_metafields.insert((100, 1000), vec![doc::metafield(1, "variant", 1000, "mlm", "bv", "20")]);
    });
    let db = tmp("catalog.db");
    let data = db.to_str().unwrap();
    let plan = tmp("plan.yaml");
    std::fs::write(&plan, "{id: p, version: 1, currency: USD, period: month, unilevel: {rates: ['0.1']}}").unwrap();
    // The blocking child processes run on this worker; the stand-in serves on the other.
    let run = |args: Vec<String>, with_store: bool| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        mlm(with_store.then_some(&bc), &args)
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let out = tokio::task::block_in_place(|| run(s(&["set-plan", plan.to_str().unwrap(), "--data", data]), false));
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = tokio::task::block_in_place(|| run(s(&["catalog", "sync", "--data", data]), true));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1 products: 1 mappings written, 0 retired, 0 parked orders reprocessed\n");

    let out = tokio::task::block_in_place(|| {
        run(s(&["catalog", "set", "VITA-30", "--bv", "30", "--pv", "35", "--data", data]), true)
    });
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "VITA-30: bv 30 bv_rate none pv 35\n");
    let written = bc.with(|r| r.variant_metafields[&(100, 1000)].clone());
    assert!(written.iter().any(|m| m["key"] == "pv" && m["value"] == "35"), "{written:?}");

    // Errors name the record and the field.
    let out = tokio::task::block_in_place(|| run(s(&["catalog", "set", "NOPE", "--bv", "1", "--data", data]), true));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("error: NOPE: SKU \"NOPE\" is not a variant of the synced catalog"),
        "{}",
        text(&out.stderr)
    );
    let out = tokio::task::block_in_place(|| run(s(&["catalog", "sync", "--data", data]), false));
    assert!(text(&out.stderr).contains("BIGCOMMERCE_STORE_HASH is not set"), "{}", text(&out.stderr));

    let dest = "https://mlm.example.com/webhooks/bigcommerce";
    let out = tokio::task::block_in_place(|| run(s(&["register-webhooks", "--destination", dest]), true));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().filter(|l| l.starts_with("created")).count(), 14);
    let out = tokio::task::block_in_place(|| run(s(&["register-webhooks", "--destination", dest]), true));
    assert_eq!(text(&out.stdout).lines().filter(|l| l.starts_with("unchanged")).count(), 14);
    let out = tokio::task::block_in_place(|| run(s(&["register-webhooks", "--destination", "http://insecure"]), true));
    assert!(text(&out.stderr).contains("only to https:// URLs"), "{}", text(&out.stderr));

    let out = tokio::task::block_in_place(|| run(s(&["reprocess", "--data", data]), true));
    assert_eq!(text(&out.stdout), "0 reprocessed, 0 still parked\n");
}
