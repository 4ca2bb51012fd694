//! Every documented callback payload (`bigcommerce/docs`, `docs/webhooks/callbacks/data/`) goes
//! through the intake's routing to the queue its scope belongs to.

use mlm_bigcommerce::events::{route, Intake, Queue, SCOPES};

#[test]
fn every_documented_callback_routes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/callbacks");
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let body = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Intake::Enqueue(r) =
            route("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", &body).unwrap_or_else(|e| panic!("{name}: {e}"))
        else {
            panic!("{name} was ignored");
        };
        let scope = r.message.scope.clone();
        let want = match scope.as_str() {
            "store/order/refund/created" => Queue::Refund,
            "store/order/statusUpdated" => r.queue, // depends on the new status, checked in unit tests
            s if s.starts_with("store/order/") => Queue::Commission,
            s if s.starts_with("store/product/") || s.starts_with("store/sku/") => Queue::Catalog,
            _ => Queue::Accounts,
        };
        assert_eq!(r.queue, want, "{name}");
        assert_eq!(r.dedup, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
        seen.insert(scope);
    }
    // The documented payloads cover every scope the engine subscribes to.
    let subscribed: std::collections::BTreeSet<String> = SCOPES.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen, subscribed);
}
