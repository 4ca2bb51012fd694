//! The embedded adapter against the `Store` conformance suite, plus durability.

use mlm_ledger::model::*;
use mlm_ledger::{Ledger, Store};
use mlm_store_sqlite::SqliteStore;

#[tokio::test]
async fn passes_the_conformance_suite_in_memory() {
    mlm_store_conformance::run_all(|| async { SqliteStore::in_memory().unwrap() }).await;
}

#[tokio::test]
async fn passes_the_conformance_suite_on_files() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sqlite-conformance");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    mlm_store_conformance::run_all(|| {
        let path = dir.join(format!("ledger-{}.db", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
        async move { SqliteStore::open(path).unwrap() }
    })
    .await;
}

/// Everything acknowledged survives the process: a child process writes and is killed, the file
/// is reopened and holds what it wrote.
#[tokio::test]
async fn survives_a_killed_process() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("durable.db");
    let _ = std::fs::remove_file(&path);
    // Write through a child process running this very test binary's writer, then kill it.
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .args(["--exact", "writer_child", "--nocapture", "--include-ignored"])
        .env("MLM_DURABILITY_PATH", &path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the child says its writes are committed, then kill it without warning.
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    assert!(lines.any(|l| l.unwrap().contains("COMMITTED")), "the child never committed");
    child.kill().unwrap();
    child.wait().unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.distributor_count().await.unwrap(), 2);
    assert_eq!(store.plans().await.unwrap()[0].text, PLAN);
    let ledger = Ledger::new(store);
    assert_eq!(ledger.plan().await.unwrap().label(), "durable@1");
}

const PLAN: &str = "{id: durable, version: 1, currency: USD, period: month}";

/// The child side of `survives_a_killed_process` (run only by it).
#[tokio::test]
#[ignore = "run by survives_a_killed_process"]
async fn writer_child() {
    let Ok(path) = std::env::var("MLM_DURABILITY_PATH") else { return };
    let store = SqliteStore::open(&path).unwrap();
    store.put_plan(&PlanVersion { version: 1, text: PLAN.into(), effective: None }).await.unwrap();
    let d = |id: &str, s: Option<&str>| DistributorRecord {
        id: id.into(),
        sponsor: s.map(Into::into),
        joined_at: 1,
        email: None,
        bigcommerce_customer_id: None,
        placement: None,
        upline: vec![],
        matrix_upline: vec![],
    };
    store.enroll(&[d("A", None), d("B", Some("A"))]).await.unwrap();
    println!("COMMITTED");
    // Stay alive until killed: nothing after the commit may be needed for durability.
    std::thread::sleep(std::time::Duration::from_secs(60));
}
