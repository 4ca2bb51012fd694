//! Webhook callbacks (payloads as in `bigcommerce/docs`, `docs/webhooks/callbacks/data/`) and
//! where their work goes: orders to the commission queue, refunds and reversing status changes
//! to the refund queue, products and SKUs to the catalog queue, customers to account linking.
//!
//! A callback only says *what* changed; the workers fetch the resource itself from the API (the
//! webhook is a trigger, BigCommerce's current state is the truth), so a duplicate or a late
//! delivery is harmless. Each message carries the FIFO group (the resource) and the
//! deduplication id (`webhook-id`).

use crate::api::Callback;
use serde::{Deserialize, Serialize};

/// The scopes the engine subscribes to (`mlm register-webhooks`).
pub const SCOPES: [&str; 14] = [
    "store/order/created",
    "store/order/updated",
    "store/order/statusUpdated",
    "store/order/archived",
    "store/order/refund/created",
    "store/product/created",
    "store/product/updated",
    "store/product/deleted",
    "store/sku/created",
    "store/sku/updated",
    "store/sku/deleted",
    "store/customer/created",
    "store/customer/updated",
    "store/customer/deleted",
];

/// BigCommerce order status ids that reverse an order or part of it: Refunded (4), Cancelled
/// (5), Declined (6), Partially Refunded (14).
pub const REVERSING_STATUSES: [i64; 4] = [4, 5, 6, 14];

/// Which queue a piece of work goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    Commission,
    Refund,
    Catalog,
    Accounts,
}

/// The work a message asks for: re-read this resource and reconcile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "resource", rename_all = "snake_case")]
pub enum Work {
    Order { id: i64 },
    Product { id: i64, deleted: bool },
    Sku { id: i64, product_id: i64, variant_id: i64, deleted: bool },
    Customer { id: i64, deleted: bool },
}

/// A queue message: the work, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub work: Work,
    pub scope: String,
    pub webhook_id: String,
    pub created_at: Option<i64>,
}

/// Where a callback's work goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub queue: Queue,
    /// FIFO message group: one resource's events are processed in order, others in parallel.
    pub group: String,
    /// FIFO deduplication id: the `webhook-id`.
    pub dedup: String,
    pub message: Message,
}

/// What the intake does with a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    Enqueue(Route),
    /// A scope the engine does not handle: answered 200 (BigCommerce would otherwise retry for
    /// 48 hours and then disable the hook), logged, not enqueued.
    Ignored {
        scope: String,
    },
}

/// A payload the intake cannot accept: answered 400 with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PayloadError {
    pub field: String,
    pub message: String,
}

/// Parses a verified callback body and routes it.
pub fn route(webhook_id: &str, body: &[u8]) -> Result<Intake, PayloadError> {
    // The scope first, so that a payload of an unknown scope is ignored whatever its shape.
    #[derive(Deserialize)]
    struct ScopeOnly {
        scope: Option<String>,
    }
    let head: ScopeOnly = serde_json::from_slice(body)
        .map_err(|e| PayloadError { field: "body".into(), message: format!("not a JSON object: {e}") })?;
    let scope = head.scope.ok_or_else(|| PayloadError { field: "scope".into(), message: "is required".into() })?;
    if !SCOPES.contains(&scope.as_str()) {
        return Ok(Intake::Ignored { scope });
    }
    let cb: Callback =
        mlm_engine::json::from_slice(body).map_err(|e| PayloadError { field: e.field, message: e.message })?;
    let need = |v: Option<()>, field: &str| {
        v.ok_or_else(|| PayloadError { field: field.into(), message: format!("is required for {scope}") })
    };
    let id = cb
        .data
        .id
        .ok_or_else(|| PayloadError { field: "data.id".into(), message: format!("is required for {scope}") })?;
    // BigCommerce ids are positive: 0 or a negative id is a forged or broken callback, refused
    // here rather than queued and parked.
    let positive = |v: i64, field: &str| {
        if v > 0 {
            Ok(())
        } else {
            Err(PayloadError { field: field.into(), message: format!("must be a positive integer, not {v}") })
        }
    };
    positive(id, "data.id")?;
    if let Some(sku) = &cb.data.sku {
        positive(sku.product_id, "data.sku.product_id")?;
        positive(sku.variant_id, "data.sku.variant_id")?;
    }
    let (queue, group, work) = match scope.as_str() {
        "store/order/statusUpdated" => {
            // The docs also show this scope without `data.status`: the worker re-reads the
            // order anyway, so such a callback goes to the commission queue.
            let to = cb.data.status.as_ref().map_or(0, |s| s.new_status_id);
            let queue = if REVERSING_STATUSES.contains(&to) { Queue::Refund } else { Queue::Commission };
            (queue, format!("order-{id}"), Work::Order { id })
        }
        "store/order/refund/created" => (Queue::Refund, format!("order-{id}"), Work::Order { id }),
        s if s.starts_with("store/order/") => (Queue::Commission, format!("order-{id}"), Work::Order { id }),
        s if s.starts_with("store/product/") => {
            (Queue::Catalog, format!("product-{id}"), Work::Product { id, deleted: s.ends_with("/deleted") })
        }
        s if s.starts_with("store/sku/") => {
            need(cb.data.sku.as_ref().map(|_| ()), "data.sku")?;
            let r = cb.data.sku.as_ref().expect("checked");
            // Grouped by product: a product's and its SKUs' events are applied in order.
            let work =
                Work::Sku { id, product_id: r.product_id, variant_id: r.variant_id, deleted: s.ends_with("/deleted") };
            (Queue::Catalog, format!("product-{}", r.product_id), work)
        }
        s => (Queue::Accounts, format!("customer-{id}"), Work::Customer { id, deleted: s.ends_with("/deleted") }),
    };
    Ok(Intake::Enqueue(Route {
        queue,
        group,
        dedup: webhook_id.to_string(),
        message: Message { work, scope, webhook_id: webhook_id.to_string(), created_at: cb.created_at },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_positive() {
        for (scope, data, field) in [
            ("store/order/created", r#"{"type":"order","id":0}"#, "data.id"),
            ("store/order/created", r#"{"type":"order","id":-7102}"#, "data.id"),
            ("store/customer/created", r#"{"type":"customer","id":-1}"#, "data.id"),
            (
                "store/sku/created",
                r#"{"type":"sku","id":5,"sku":{"product_id":0,"variant_id":3}}"#,
                "data.sku.product_id",
            ),
        ] {
            let e = route("wh", &body(scope, data)).unwrap_err();
            assert_eq!(e.field, field, "{data}");
            assert!(e.message.starts_with("must be a positive integer"), "{}", e.message);
        }
    }

    fn body(scope: &str, data: &str) -> Vec<u8> {
        format!(r#"{{"scope":"{scope}","store_id":"1025646","data":{data},"hash":"x","created_at":1561479335,"producer":"stores/abc"}}"#)
            .into_bytes()
    }

    fn routed(scope: &str, data: &str) -> Route {
        match route("wh-1", &body(scope, data)).unwrap() {
            Intake::Enqueue(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn routes_each_scope() {
        let r = routed("store/order/created", r#"{"type":"order","id":250}"#);
        assert_eq!((r.queue, r.group.as_str(), r.dedup.as_str()), (Queue::Commission, "order-250", "wh-1"));
        let paid = routed(
            "store/order/statusUpdated",
            r#"{"type":"order","id":250,"status":{"previous_status_id":0,"new_status_id":11}}"#,
        );
        assert_eq!(paid.queue, Queue::Commission);
        for reversing in [4, 5, 6, 14] {
            let data = format!(
                r#"{{"type":"order","id":250,"status":{{"previous_status_id":11,"new_status_id":{reversing}}}}}"#
            );
            assert_eq!(routed("store/order/statusUpdated", &data).queue, Queue::Refund, "{reversing}");
        }
        let refund = routed("store/order/refund/created", r#"{"type":"order","id":250,"refund":{"refund_id":3}}"#);
        assert_eq!((refund.queue, refund.message.work.clone()), (Queue::Refund, Work::Order { id: 250 }));
        let sku = routed("store/sku/updated", r#"{"type":"sku","id":461,"sku":{"product_id":206,"variant_id":509}}"#);
        assert_eq!((sku.queue, sku.group.as_str()), (Queue::Catalog, "product-206"));
        assert_eq!(sku.message.work, Work::Sku { id: 461, product_id: 206, variant_id: 509, deleted: false });
        let gone = routed("store/product/deleted", r#"{"type":"product","id":205}"#);
        assert_eq!(gone.message.work, Work::Product { id: 205, deleted: true });
        let c = routed("store/customer/updated", r#"{"type":"customer","id":32}"#);
        assert_eq!((c.queue, c.group.as_str()), (Queue::Accounts, "customer-32"));
    }

    #[test]
    fn unknown_scopes_are_ignored_and_bad_payloads_name_the_field() {
        assert_eq!(
            route("w", &body("store/cart/created", r#"{"type":"cart","id":"abc"}"#)).unwrap(),
            Intake::Ignored { scope: "store/cart/created".into() }
        );
        let e = route("w", b"{not json").unwrap_err();
        assert_eq!(e.field, "body");
        let e = route("w", br#"{"data":{}}"#).unwrap_err();
        assert_eq!(e.to_string(), "scope: is required");
        let e = route("w", &body("store/order/created", r#"{"type":"order"}"#)).unwrap_err();
        assert_eq!(e.to_string(), "data.id: is required for store/order/created");
        let e = route("w", &body("store/order/created", r#"{"type":"order","id":"250"}"#)).unwrap_err();
        assert_eq!(e.field, "data.id");
        let e = route("w", &body("store/sku/updated", r#"{"type":"sku","id":1}"#)).unwrap_err();
        assert_eq!(e.to_string(), "data.sku: is required for store/sku/updated");
        let e = route("w", br#"{"scope":"store/order/created","data":{"type":"order","id":1}}"#).unwrap_err();
        assert_eq!(e.to_string(), "store_id: is required");
    }
}
