//! The contract itself: openapi.yaml parses as OpenAPI 3.1, documents exactly the routes the
//! routers register (read from their source), every `$ref` and schema in it resolves and
//! compiles, and the checker the other tests use does refuse what it should.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::openapi::{self, check, check_bytes, check_text};

/// `(METHOD, path)` of every `.route("path", get(..).post(..))` in a router's source.
fn routes_in(source: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (i, _) in source.match_indices(".route(\"") {
        let rest = &source[i + ".route(\"".len()..];
        let path = &rest[..rest.find('"').expect("a closing quote")];
        // The method routers follow on the same line: `get(x)`, `.post(y)`, `put(h).delete(r)`.
        let line = &rest[path.len()..rest.find('\n').unwrap_or(rest.len())];
        let mut methods = 0;
        for m in openapi::METHODS {
            for (j, _) in line.match_indices(&format!("{m}(")) {
                let before = line[..j].chars().next_back();
                if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':')) {
                    out.insert((m.to_uppercase(), path.to_string()));
                    methods += 1;
                }
            }
        }
        assert!(methods > 0, "no method router found for route {path:?} in: {line}");
    }
    out
}

#[test]
fn the_spec_is_openapi_3_1_and_documents_exactly_the_registered_routes() {
    let spec = openapi::spec();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["info"]["title"].is_string() && spec["info"]["version"].is_string());
    let bearer = &spec["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&bearer["type"], &bearer["scheme"], &bearer["bearerFormat"]),
        (&json!("http"), &json!("bearer"), &json!("JWT"))
    );

    let api = [
        include_str!("../src/api.rs"),
        include_str!("../src/console/overview.rs"),
        include_str!("../src/console/directory.rs"),
        include_str!("../src/signin.rs"),
        include_str!("../src/console/whatif.rs"),
    ]
    .concat();
    let http = include_str!("../src/http.rs");
    let mut registered = routes_in(&api);
    assert!(registered.len() >= 20, "found only {registered:?} in api.rs");
    registered.extend(routes_in(http));
    registered.extend(routes_in(include_str!("../src/adjustments.rs")));
    let documented: BTreeSet<(String, String)> = openapi::operations().into_iter().collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routes missing from openapi.yaml: {undocumented:?}; documented but not routed: {unrouted:?}"
    );

    // Every /api operation needs the bearer token (the global requirement, not overridden);
    // the rest are public.
    assert_eq!(spec["security"], json!([{"bearer": []}]));
    for (method, path) in &documented {
        let op = &spec["paths"][path][method.to_lowercase()];
        if path.starts_with("/api/") {
            assert!(op.get("security").is_none(), "{method} {path} overrides the bearer requirement");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("401"), "{method} {path} does not document 401");
            if path != "/api/session" {
                assert!(responses.contains_key("403"), "{method} {path} does not document 403");
            }
        } else {
            assert_eq!(op["security"], json!([]), "{method} {path} should be public");
        }
    }
}

/// Every `$ref` points at something, and every JSON schema of a response or request compiles.
#[test]
fn every_ref_resolves_and_every_schema_compiles() {
    fn walk(v: &Value, at: &str, refs: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "$ref" {
                        refs.push((at.to_string(), v.as_str().expect("$ref is a string").to_string()));
                    } else {
                        walk(v, &format!("{at}/{k}"), refs);
                    }
                }
            }
            Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| walk(v, &format!("{at}/{i}"), refs)),
            _ => {}
        }
    }
    let spec = openapi::spec();
    let mut refs = Vec::new();
    walk(spec, "", &mut refs);
    assert!(refs.len() > 50);
    for (at, r) in &refs {
        assert!(r.starts_with("#/components/"), "{at}: $ref {r:?} is not into #/components");
        openapi::resolve_ref(r);
    }
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        openapi::compile(schema).unwrap_or_else(|e| panic!("components/schemas/{name}: {e}"));
    }
}

fn panics(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let e = std::panic::catch_unwind(f).expect_err("the check should have failed");
    e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

#[test]
fn check_accepts_documented_answers() {
    check(
        "GET",
        "/api/session",
        200,
        &json!({"subject": "dev-D12", "distributor": "D12", "admin": false, "expires_at": 1_794_000_000}),
    );
    check(
        "GET",
        "/api/session",
        200,
        &json!({"subject": "dev-admin", "distributor": null, "admin": true, "expires_at": 1}),
    );
    check("GET", "/api/distributors/D02/lines?period=2026-10", 403, &json!({"error": "not yours", "errors": []}));
    check(
        "GET",
        "/api/distributors/D02/payouts",
        200,
        &json!({"currency": "USD", "balance": "0", "hold": {"reason": "audit", "since": "2026-11-02T10:00:00Z", "by": "user x"},
                "payouts": [{"period": "2026-10", "amount": "120.50", "status": "queued"}]}),
    );
    check("PUT", "/api/admin/mappings/SKU-1", 200, &json!({"sku": "SKU-1", "bv": "10.00", "bv_rate": null, "pv": "8"}));
    check(
        "POST",
        "/api/admin/plans/validate",
        422,
        &json!({"error": "1 error", "errors": [{"field": "ranks[1].min_pv", "message": "must be a number"}]}),
    );
    check_text("GET", "/api/admin/payouts.csv?period=2026-10", 200, "text/csv; charset=utf-8");
    check_text("GET", "/", 200, "text/html; charset=utf-8");
    check_text("GET", "/openapi.yaml", 200, "application/yaml");
    check_bytes(
        "GET",
        "/api/admin/parked",
        200,
        "application/json",
        br#"{"parked":[{"key":"order#250","source":"bigcommerce","reason":"unmapped SKU","payload":"{}"}]}"#,
    );
    // Literal segments win over templates.
    assert_eq!(openapi::operation("POST", "/api/admin/plans/validate").0, "/api/admin/plans/validate");
}

#[test]
fn check_refuses_what_the_contract_does_not_say() {
    // A required field missing.
    let m =
        panics(|| check("GET", "/api/session", 200, &json!({"subject": "s", "distributor": null, "expires_at": 1})));
    assert!(m.contains("admin") && m.contains("required"), "{m}");
    // A wrong type: a number where the contract says integer, a decimal as a JSON number.
    let m = panics(|| {
        check(
            "GET",
            "/api/session",
            200,
            &json!({"subject": "s", "distributor": null, "admin": false, "expires_at": "soon"}),
        )
    });
    assert!(m.contains("expires_at"), "{m}");
    let m = panics(|| {
        check(
            "GET",
            "/api/distributors/D02/payouts",
            200,
            &json!({"currency": "USD", "balance": 0.5, "hold": null, "payouts": []}),
        )
    });
    assert!(m.contains("/balance"), "{m}");
    // A decimal string that is not a decimal, deep inside a $ref.
    let m = panics(|| {
        check(
            "GET",
            "/api/distributors/D02/payouts",
            200,
            &json!({"currency": "USD", "balance": "0", "hold": null, "payouts": [{"period": "2026-10", "amount": "12,50", "status": "queued"}]}),
        )
    });
    assert!(m.contains("/payouts/0/amount"), "{m}");
    // A field the contract does not know (drift).
    let m = panics(|| {
        check(
            "GET",
            "/api/session",
            200,
            &json!({"subject": "s", "distributor": null, "admin": false, "expires_at": 1, "extra": 1}),
        )
    });
    assert!(m.contains("extra"), "{m}");
    // A malformed timestamp.
    let m = panics(|| {
        check("PUT", "/api/admin/distributors/D02/hold", 200, &json!({"reason": "r", "since": "yesterday", "by": "x"}))
    });
    assert!(m.contains("since"), "{m}");
    // An undocumented status, path, method or content type.
    let m = panics(|| check("GET", "/api/session", 404, &json!({"error": "x", "errors": []})));
    assert!(m.contains("does not document"), "{m}");
    let m = panics(|| check("GET", "/api/nowhere", 404, &json!({"error": "x", "errors": []})));
    assert!(m.contains("matches no path"), "{m}");
    let m = panics(|| check("DELETE", "/api/session", 200, &json!({})));
    assert!(m.contains("not DELETE"), "{m}");
    let m = panics(|| check_text("GET", "/api/admin/payouts.csv", 200, "application/json"));
    assert!(m.contains("text/csv"), "{m}");
    let m = panics(|| check("GET", "/api/admin/payouts.csv", 200, &json!({})));
    assert!(m.contains("text/csv"), "{m}");
}
