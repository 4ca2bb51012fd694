//! `mlm setup-store` against the stand-in: attributes and hooks created once, variants without
//! volumes listed, what is left printed; a second run changes nothing.

use mlm_bigcommerce::documented as doc;
use mlm_bigcommerce::standin::StandIn;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_store_is_idempotent_and_lists_what_is_left() {
    let bc = StandIn::start("s1", "t1").await.unwrap();
    bc.with(|r| {
        r.customer_attributes = vec![doc::customer_attribute(1, "mlm_referrer")];
        r.products.insert(1, doc::product(1, "Vita", "VITA", "46.00", &[(10, "VITA-30"), (11, "VITA-90")]));
        r.variant_metafields.insert((1, 10), vec![doc::metafield(1, "variant", 10, "mlm", "bv", "20")]);
        r.products.insert(2, doc::product(2, "Shake", "SHAKE", "54.99", &[(20, "SHAKE-VAN")]));
        r.product_metafields.insert(2, vec![doc::metafield(2, "product", 2, "mlm", "bv_rate", "0.8")]);
    });
    let run = |args: &[&str]| {
        tokio::task::block_in_place(|| {
            Command::new(env!("CARGO_BIN_EXE_mlm"))
                .args(args)
                .env("BIGCOMMERCE_API_BASE", bc.base_url())
                .env("BIGCOMMERCE_STORE_HASH", "s1")
                .env("BIGCOMMERCE_ACCESS_TOKEN", "t1")
                .output()
                .unwrap()
        })
    };
    let dest = "https://mlm.example.com/webhooks/bigcommerce";
    let out = run(&["setup-store", "--destination", dest]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("customer attribute created: mlm_distributor_id"), "{text}");
    assert!(!text.contains("created: mlm_referrer"), "{text}");
    assert!(text.contains("webhooks: 14 created, 0 updated, 0 unchanged"), "{text}");
    assert!(text.contains("catalog: 2 products, 1 variants without volumes"), "{text}");
    assert!(text.contains("no volumes: product 1 (Vita) variant 11 SKU \"VITA-90\""), "{text}");
    assert!(text.contains("left to do:"), "{text}");
    let out = run(&["setup-store", "--destination", dest]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("customer attributes: mlm_distributor_id, mlm_referrer already there"), "{text}");
    assert!(text.contains("webhooks: 0 created, 0 updated, 14 unchanged"), "{text}");
    assert_eq!(bc.with(|r| r.customer_attributes.len()), 2);
}
