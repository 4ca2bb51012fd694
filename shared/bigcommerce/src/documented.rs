//! Resources for the stand-in, built from BigCommerce's documented examples (the fixtures under
//! `tests/fixtures`, copied from `bigcommerce/docs`): every field the documents show is present,
//! and only the fields a scenario is about are changed. Tests and `mlm demo` use these, so the
//! client always reads what BigCommerce would send.

use serde_json::{json, Value};

const ORDER: &str = include_str!("../tests/fixtures/orders_v2/order.json");
const ORDER_PRODUCTS: &str = include_str!("../tests/fixtures/orders_v2/order_products.json");
const REFUND: &str = include_str!("../tests/fixtures/orders_v3/refund.json");
const PRODUCT: &str = include_str!("../tests/fixtures/catalog/product.json");
const VARIANT: &str = include_str!("../tests/fixtures/catalog/product_variant.json");
const METAFIELD: &str = include_str!("../tests/fixtures/catalog/variant_metafield.json");
const CUSTOMERS: &str = include_str!("../tests/fixtures/customers/customers_with_attributes.schema-built.json");
const ATTRIBUTES: &str = include_str!("../tests/fixtures/customers/customer_attributes.json");

fn doc(text: &str) -> Value {
    serde_json::from_str(text).expect("the documented fixtures are JSON")
}

fn set(target: &mut Value, fields: Value) {
    for (k, v) in fields.as_object().expect("fields are an object") {
        target[k] = v.clone();
    }
}

/// The currencies of an order: what the shopper paid in, the store's default, and the rate
/// between them (transactional units per unit of the store default).
#[derive(Debug, Clone)]
pub struct Currencies<'a> {
    pub transactional: &'a str,
    pub store_default: &'a str,
    pub rate: &'a str,
}

impl Currencies<'_> {
    /// A single-currency store.
    pub fn single(code: &str) -> Currencies<'_> {
        Currencies { transactional: code, store_default: code, rate: "1.0000000000" }
    }
}

/// `GET /v2/orders/{id}` (the documented "Response" example).
pub fn order(id: i64, customer_id: i64, status_id: i64, date_created: &str, cur: &Currencies, cart_id: &str) -> Value {
    let mut o = doc(ORDER);
    let status = match status_id {
        0 => "Incomplete",
        1 => "Pending",
        2 => "Shipped",
        3 => "Partially Shipped",
        4 => "Refunded",
        5 => "Cancelled",
        6 => "Declined",
        7 => "Awaiting Payment",
        8 => "Awaiting Pickup",
        9 => "Awaiting Shipment",
        10 => "Completed",
        11 => "Awaiting Fulfillment",
        12 => "Manual Verification Required",
        13 => "Disputed",
        14 => "Partially Refunded",
        _ => "Unknown",
    };
    set(
        &mut o,
        json!({
            "id": id,
            "customer_id": customer_id,
            "status_id": status_id,
            "status": status,
            "date_created": date_created,
            "date_modified": date_created,
            "currency_code": cur.transactional,
            "default_currency_code": cur.transactional,
            "store_default_currency_code": cur.store_default,
            "store_default_to_transactional_exchange_rate": cur.rate,
            "cart_id": cart_id,
            "products": { "url": format!("https://api.bigcommerce.com/stores/abc/v2/orders/{id}/products"), "resource": format!("/orders/{id}/products") },
        }),
    );
    o
}

/// One line of `GET /v2/orders/{id}/products` (the documented example's first line).
/// `discount` is the line's total discount (`applied_discounts`), `""` for none.
#[allow(clippy::too_many_arguments)]
pub fn order_product(
    id: i64,
    order_id: i64,
    product_id: i64,
    variant_id: i64,
    sku: &str,
    quantity: i64,
    price_ex_tax: &str,
    discount: &str,
) -> Value {
    let mut l = doc(ORDER_PRODUCTS)[0].clone();
    let price: rust_decimal::Decimal = price_ex_tax.parse().expect("a price");
    let total = price * rust_decimal::Decimal::from(quantity);
    let discounts = if discount.is_empty() {
        json!([])
    } else {
        json!([{ "id": "manual-discount", "amount": discount, "name": "Manual Discount", "code": null, "target": "order" }])
    };
    set(
        &mut l,
        json!({
            "id": id, "order_id": order_id, "product_id": product_id, "variant_id": variant_id, "sku": sku,
            "quantity": quantity, "base_price": price_ex_tax, "price_ex_tax": price_ex_tax, "price_inc_tax": price_ex_tax,
            "price_tax": "0.0000", "base_total": total.to_string(), "total_ex_tax": total.to_string(),
            "total_inc_tax": total.to_string(), "total_tax": "0.0000", "applied_discounts": discounts,
            "quantity_refunded": 0, "refund_amount": "0.0000", "is_refunded": false,
        }),
    );
    l
}

/// A refund as `GET /v3/orders/{id}/payment_actions/refunds` lists it: `items` are
/// `(order product id, quantity)`.
pub fn refund(id: i64, order_id: i64, created: &str, items: &[(i64, i64)]) -> Value {
    let mut r = doc(REFUND)["data"].clone();
    let items: Vec<Value> = items
        .iter()
        .map(|(item, q)| json!({ "item_type": "PRODUCT", "item_id": item, "quantity": q, "requested_amount": null }))
        .collect();
    set(&mut r, json!({ "id": id, "order_id": order_id, "created": created, "items": items }));
    r
}

/// A product (`GET /v3/catalog/products/{id}`) with its variants as `include=variants` gives
/// them: `(variant id, SKU)`.
pub fn product(id: i64, name: &str, sku: &str, price: &str, variants: &[(i64, &str)]) -> Value {
    let mut p = doc(PRODUCT)["data"].clone();
    let vs: Vec<Value> = variants
        .iter()
        .map(|(vid, vsku)| {
            let mut v = doc(VARIANT)["data"].clone();
            set(&mut v, json!({ "id": vid, "product_id": id, "sku": vsku, "price": price, "calculated_price": price }));
            v
        })
        .collect();
    let base = variants.first().map(|(v, _)| *v);
    set(&mut p, json!({ "id": id, "name": name, "sku": sku, "price": price, "base_variant_id": base, "variants": vs }));
    p
}

/// A metafield (`resource_type` `product`, `variant` or `order`).
pub fn metafield(id: i64, resource_type: &str, resource_id: i64, namespace: &str, key: &str, value: &str) -> Value {
    let mut m = doc(METAFIELD)["data"].clone();
    set(
        &mut m,
        json!({ "id": id, "key": key, "value": value, "namespace": namespace, "permission_set": "app_only",
                "resource_type": resource_type, "resource_id": resource_id, "description": "" }),
    );
    m
}

/// A customer with its attribute values (`include=attributes`): `(attribute id, value)`.
pub fn customer(id: i64, email: &str, first_name: &str, attributes: &[(i64, &str)]) -> Value {
    let mut c = doc(CUSTOMERS)["data"][0].clone();
    let attrs: Vec<Value> = attributes
        .iter()
        .enumerate()
        .map(|(i, (a, v))| {
            json!({ "id": id * 100 + i as i64, "attribute_id": a, "attribute_value": v, "customer_id": id,
                    "date_created": "2026-11-01T00:00:00Z", "date_modified": "2026-11-01T00:00:00Z" })
        })
        .collect();
    set(&mut c, json!({ "id": id, "email": email, "first_name": first_name, "attributes": attrs }));
    c
}

/// A customer attribute definition (`GET /v3/customers/attributes`).
pub fn customer_attribute(id: i64, name: &str) -> Value {
    let mut a = doc(ATTRIBUTES)["data"][0].clone();
    set(&mut a, json!({ "id": id, "name": name, "type": "string" }));
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Customer, CustomerAttribute, Metafield, Order, OrderProduct, Product, Refund};

    #[test]
    fn built_resources_parse_as_the_documented_types() {
        let eur = Currencies { transactional: "EUR", store_default: "USD", rate: "0.9200000000" };
        let o: Order = serde_json::from_value(order(7, 3, 11, "Tue, 03 Nov 2026 10:00:00 +0000", &eur, "c-1")).unwrap();
        assert_eq!((o.id, o.customer_id, o.status_id, o.default_currency_code.as_str()), (7, 3, 11, "EUR"));
        assert_eq!(o.store_default_to_transactional_exchange_rate, Some("0.92".parse().unwrap()));
        let l: OrderProduct = serde_json::from_value(order_product(1, 7, 9, 10, "V-1", 2, "46.00", "4.00")).unwrap();
        assert_eq!((l.quantity, l.applied_discounts[0].amount), (2, "4.00".parse().unwrap()));
        let r: Refund = serde_json::from_value(refund(5, 7, "2026-11-20T00:00:00+00:00", &[(1, 1)])).unwrap();
        assert_eq!((r.items[0].item_id, r.items[0].quantity), (1, Some(1)));
        let p: Product =
            serde_json::from_value(product(9, "Vita", "VITA", "46.00", &[(10, "V-1"), (11, "V-2")])).unwrap();
        assert_eq!(p.variants.unwrap().iter().map(|v| v.sku.as_str()).collect::<Vec<_>>(), ["V-1", "V-2"]);
        let m: Metafield = serde_json::from_value(metafield(1, "variant", 10, "mlm", "bv", "20")).unwrap();
        assert_eq!((m.key.as_str(), m.value.as_str()), ("bv", "20"));
        let c: Customer = serde_json::from_value(customer(3, "a@example.com", "Ann", &[(1, "D1")])).unwrap();
        assert_eq!(c.attributes.unwrap()[0].attribute_value, "D1");
        let a: CustomerAttribute = serde_json::from_value(customer_attribute(1, "mlm_distributor_id")).unwrap();
        assert_eq!(a.name, "mlm_distributor_id");
    }
}
