//! A BigCommerce order as the ledger's [`OrderSnapshot`]: pure, no I/O.
//!
//! - Status: paid (2, 3, 8, 9, 10, 11) counts; not yet paid (0, 1, 7, 12) and disputed (13)
//!   count for nothing until paid or resolved; Refunded (4), Cancelled (5) and Declined (6)
//!   reverse whatever the refunds left; Partially Refunded (14) counts, less the refunds.
//! - Money: line prices are in the transactional currency (`default_currency_code`); the plan's
//!   base currency must be the store's default (`store_default_currency_code`, or the
//!   transactional one when Multi-Currency is off), and the order is valued at its own
//!   `store_default_to_transactional_exchange_rate` (transactional units per base unit, the
//!   spec's `x`).
//! - Net unit price: `price_ex_tax` less the line's `applied_discounts`. A discount that does
//!   not divide evenly over the units splits the line in two (the first units carry one more
//!   cent of discount), so every unit has an exact price and the line's total is exact.
//! - Refunds: product items by order line and quantity; shipping, handling, wrapping, fees and
//!   tax carry no volume and are left out.

use crate::commerce::OrderFacts;
use mlm_bigcommerce::api::{rfc2822_to_unix_nanos, OrderProduct, RefundItemType};
use mlm_engine::period::Timestamp;
use mlm_ledger::model::{OrderSnapshot, OrderStatus, RefundSnapshot, SnapshotLine};
use rust_decimal::Decimal;

/// Where an order stands, from its BigCommerce status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Counts,
    NotYet,
    Reversed,
}

/// The standing of a BigCommerce order status id.
pub fn standing(status_id: i64) -> Result<Standing, String> {
    match status_id {
        2 | 3 | 8 | 9 | 10 | 11 | 14 => Ok(Standing::Counts),
        0 | 1 | 7 | 12 | 13 => Ok(Standing::NotYet),
        4..=6 => Ok(Standing::Reversed),
        other => Err(format!("status_id {other} is not a BigCommerce order status")),
    }
}

/// Who the order is attributed to (ledger party ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parties {
    pub buyer: Option<String>,
    pub referrer: Option<String>,
}

/// Lines BigCommerce lists that carry no volume of their own: gift certificates, and the
/// components of a bundle (the bundle's own line carries the price).
pub fn carries_volume(p: &OrderProduct) -> bool {
    p.gift_certificate_id.unwrap_or(0) == 0 && p.parent_order_product_id.is_none()
}

/// The order's currency and exchange rate for the ledger (`None` in the plan's currency).
pub fn currency(facts: &OrderFacts, plan_currency: &str) -> Result<(Option<String>, Option<Decimal>), String> {
    let o = &facts.order;
    let transactional = o.default_currency_code.as_str();
    let store_default = o.store_default_currency_code.as_deref().filter(|c| !c.is_empty()).unwrap_or(transactional);
    if store_default != plan_currency {
        return Err(format!(
            "store_default_currency_code: the store's default currency is {store_default}, the plan pays in \
             {plan_currency}; the plan's currency must be the store's default"
        ));
    }
    if transactional == plan_currency {
        return Ok((None, None));
    }
    match o.store_default_to_transactional_exchange_rate {
        Some(x) if x > Decimal::ZERO => Ok((Some(transactional.to_string()), Some(x))),
        Some(x) => Err(format!("store_default_to_transactional_exchange_rate: must be positive, not {x}")),
        None => Err(format!(
            "store_default_to_transactional_exchange_rate: is required for an order in {transactional} \
             (the store's default is {store_default})"
        )),
    }
}

/// `quantity` units at `price` less a total `discount`, as one or two lines of exact unit prices.
fn discounted(sku: &str, quantity: u32, price: Decimal, discount: Decimal) -> Result<Vec<SnapshotLine>, String> {
    let line = |q: u32, p: Decimal| SnapshotLine { sku: sku.to_string(), quantity: q, unit_price: p };
    if discount.is_zero() {
        return Ok(vec![line(quantity, price)]);
    }
    // In units of the discount's last decimal (at least cents).
    let scale = discount.normalize().scale().max(2);
    let unit = Decimal::new(1, scale);
    let n = (discount / unit).trunc();
    let q = Decimal::from(quantity);
    let (per, rest) = ((n / q).trunc(), n % q);
    let rest = u32::try_from(rest).map_err(|_| "discount out of range".to_string())?;
    let cheaper = price - (per + Decimal::ONE) * unit;
    let base = price - per * unit;
    if cheaper < Decimal::ZERO || (rest == 0 && base < Decimal::ZERO) {
        return Err(format!("applied_discounts: {discount} exceeds the line's {quantity} × {price}"));
    }
    let mut out = Vec::new();
    if rest > 0 {
        out.push(line(rest, cheaper.normalize()));
    }
    if quantity > rest {
        out.push(line(quantity - rest, base.normalize()));
    }
    Ok(out)
}

/// The snapshot of an order. `key_of` names each order line's catalog SKU (matched by variant,
/// then product, then SKU); `pinned` is what the ledger already holds for the order: its buyer,
/// its referrer once it has one, and its cancellation time stay as first recorded, so a later
/// edit in BigCommerce (or a customer who enrolls afterwards) never re-attributes or re-dates
/// history. Errors name
/// the field, prefixed by the order.
pub fn order_snapshot(
    facts: &OrderFacts,
    parties: Parties,
    plan_currency: &str,
    key_of: impl Fn(&OrderProduct) -> String,
    pinned: Option<&OrderSnapshot>,
) -> Result<OrderSnapshot, String> {
    let o = &facts.order;
    let fail = |m: String| format!("order {}: {m}", o.id);
    let standing = standing(o.status_id).map_err(fail)?;
    let placed_at = rfc2822_to_unix_nanos(&o.date_created).map_err(|e| fail(format!("date_created: {e}")))?;
    let (currency, exchange_rate) = currency(facts, plan_currency).map_err(fail)?;

    let mut lines = Vec::new();
    let mut keys = std::collections::HashMap::new();
    for (i, p) in facts.products.iter().enumerate() {
        if !carries_volume(p) {
            continue;
        }
        let at = |m: String| fail(format!("products[{i}] (id {}): {m}", p.id));
        let quantity =
            u32::try_from(p.quantity).ok().filter(|&q| q >= 1).ok_or_else(|| at("quantity: must be ≥ 1".into()))?;
        let discount: Decimal = p.applied_discounts.iter().map(|d| d.amount).sum();
        let key = key_of(p);
        lines.extend(discounted(&key, quantity, p.price_ex_tax, discount).map_err(at)?);
        keys.insert(p.id, key);
    }

    let mut refunds = Vec::new();
    for (i, r) in facts.refunds.iter().enumerate() {
        let at = Timestamp::parse(&r.created).map_err(|e| fail(format!("refunds[{i}].created: {e}")))?.0;
        let mut taken: Vec<(String, u32)> = Vec::new();
        for (j, item) in r.items.iter().enumerate() {
            let here = |m: &str| fail(format!("refunds[{i}] (id {}).items[{j}]: {m}", r.id));
            match item.item_type {
                RefundItemType::Product => {
                    let Some(key) = keys.get(&item.item_id) else {
                        // A line without volume of its own (bundle component, gift certificate).
                        if facts.products.iter().any(|p| p.id == item.item_id) {
                            continue;
                        }
                        return Err(here(&format!("item_id {} is not a line of the order", item.item_id)));
                    };
                    let q = item.quantity.and_then(|q| u32::try_from(q).ok()).filter(|&q| q >= 1).ok_or_else(|| {
                        here("quantity: a product refund must give the units refunded (an amount alone cannot be turned into volume)")
                    })?;
                    match taken.iter_mut().find(|(k, _)| k == key) {
                        Some((_, n)) => *n += q,
                        None => taken.push((key.clone(), q)),
                    }
                }
                // Refunding the order as an amount: when the order is then Refunded or Cancelled
                // the status reverses it; otherwise it cannot be turned into units.
                RefundItemType::Order if standing == Standing::Reversed => {}
                RefundItemType::Order => {
                    return Err(here(
                        "item_type ORDER: an amount refunded on the whole order cannot be turned into units; refund \
                         by product line and quantity, or cancel the order",
                    ))
                }
                _ => {}
            }
        }
        if !taken.is_empty() {
            refunds.push(RefundSnapshot { id: r.id, at, full: false, lines: taken });
        }
    }

    let status = match standing {
        Standing::Counts => OrderStatus::Paid,
        Standing::NotYet => OrderStatus::Pending,
        Standing::Reversed => {
            let at = match pinned.map(|p| p.status) {
                Some(OrderStatus::Cancelled { at }) => at,
                _ => rfc2822_to_unix_nanos(&o.date_modified).map_err(|e| fail(format!("date_modified: {e}")))?,
            };
            OrderStatus::Cancelled { at }
        }
    };
    // A referrer may still arrive for an order recorded without one (a cart attributed late).
    let parties = match pinned {
        Some(p) => Parties { buyer: p.buyer.clone(), referrer: p.referrer.clone().or(parties.referrer) },
        None => parties,
    };
    Ok(OrderSnapshot {
        id: o.id,
        buyer: parties.buyer,
        referrer: parties.referrer,
        placed_at,
        currency,
        exchange_rate,
        lines,
        refunds,
        status,
        // Seconds only: two changes within one second compare equal, and then the refunds
        // already recorded still tell an older snapshot (`mlm_ledger::freshness::staler`).
        modified_at: rfc2822_to_unix_nanos(&o.date_modified).ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlm_bigcommerce::documented::{self as doc, Currencies};
    use serde_json::Value;

    fn facts(order: Value, products: Vec<Value>, refunds: Vec<Value>) -> OrderFacts {
        OrderFacts {
            order: serde_json::from_value(order).unwrap(),
            products: products.into_iter().map(|p| serde_json::from_value(p).unwrap()).collect(),
            refunds: refunds.into_iter().map(|r| serde_json::from_value(r).unwrap()).collect(),
            metafields: Default::default(),
        }
    }

    const NOV3: &str = "Tue, 03 Nov 2026 10:00:00 +0000";

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn every_status_id_has_a_standing() {
        for s in [2, 3, 8, 9, 10, 11, 14] {
            assert_eq!(standing(s), Ok(Standing::Counts), "{s}");
        }
        for s in [0, 1, 7, 12, 13] {
            assert_eq!(standing(s), Ok(Standing::NotYet), "{s}");
        }
        for s in [4, 5, 6] {
            assert_eq!(standing(s), Ok(Standing::Reversed), "{s}");
        }
        assert!(standing(15).unwrap_err().contains("status_id 15"));
    }

    #[test]
    fn a_eur_order_in_a_usd_store_carries_its_own_rate() {
        let eur = Currencies { transactional: "EUR", store_default: "USD", rate: "0.9200000000" };
        let f = facts(
            doc::order(1001, 5, 11, NOV3, &eur, ""),
            vec![doc::order_product(1, 1001, 9, 10, "VITA-30", 2, "46.0000", "")],
            vec![],
        );
        let s = order_snapshot(&f, Parties::default(), "USD", |p| p.sku.clone(), None).unwrap();
        assert_eq!((s.currency.as_deref(), s.exchange_rate), (Some("EUR"), Some(dec("0.92"))));
        assert_eq!(s.placed_at, Timestamp::parse("2026-11-03T10:00:00Z").unwrap().0);
        assert_eq!(s.lines, vec![SnapshotLine { sku: "VITA-30".into(), quantity: 2, unit_price: dec("46") }]);
        // In the plan's currency: no conversion.
        let usd = facts(doc::order(1002, 5, 11, NOV3, &Currencies::single("USD"), ""), vec![], vec![]);
        let s = order_snapshot(&usd, Parties::default(), "USD", |p| p.sku.clone(), None).unwrap();
        assert_eq!((s.currency, s.exchange_rate), (None, None));
        // A plan in another currency than the store's default cannot be valued.
        let e = order_snapshot(&f, Parties::default(), "GBP", |p| p.sku.clone(), None).unwrap_err();
        assert!(e.starts_with("order 1001: store_default_currency_code: the store's default currency is USD"), "{e}");
        // Multi-Currency off: the documented empty `store_default_currency_code`.
        let mut plain = doc::order(1003, 5, 11, NOV3, &Currencies::single("USD"), "");
        plain["store_default_currency_code"] = "".into();
        let s = order_snapshot(&facts(plain, vec![], vec![]), Parties::default(), "USD", |p| p.sku.clone(), None);
        assert_eq!(s.unwrap().currency, None);
    }

    #[test]
    fn discounts_that_do_not_divide_split_the_line_exactly() {
        let f = facts(
            doc::order(7, 5, 11, NOV3, &Currencies::single("USD"), ""),
            vec![
                doc::order_product(1, 7, 9, 10, "A", 3, "10.0000", "1.0000"),
                doc::order_product(2, 7, 9, 11, "B", 2, "5.0000", "1.0000"),
            ],
            vec![],
        );
        let s = order_snapshot(&f, Parties::default(), "USD", |p| p.sku.clone(), None).unwrap();
        let l = |sku: &str, q: u32, p: &str| SnapshotLine { sku: sku.into(), quantity: q, unit_price: dec(p) };
        // 3 × 10.00 − 1.00 = 29.00: one unit at 9.66, two at 9.67.
        assert_eq!(s.lines, vec![l("A", 1, "9.66"), l("A", 2, "9.67"), l("B", 2, "4.5")]);
        let total: Decimal =
            s.lines.iter().filter(|x| x.sku == "A").map(|x| x.unit_price * Decimal::from(x.quantity)).sum();
        assert_eq!(total, dec("29"));
        let too_much = facts(
            doc::order(8, 5, 11, NOV3, &Currencies::single("USD"), ""),
            vec![doc::order_product(1, 8, 9, 10, "A", 1, "1.0000", "2.0000")],
            vec![],
        );
        let e = order_snapshot(&too_much, Parties::default(), "USD", |p| p.sku.clone(), None).unwrap_err();
        assert_eq!(e, "order 8: products[0] (id 1): applied_discounts: 2.0000 exceeds the line's 1 × 1.0000");
    }

    #[test]
    fn refunds_by_line_and_reversing_statuses() {
        let products = vec![
            doc::order_product(65, 149, 77, 10, "S-ORAN", 3, "20.0000", ""),
            doc::order_product(66, 149, 78, 11, "T-BLUE", 1, "8.0000", ""),
        ];
        let refunds = vec![
            doc::refund(2, 149, "2026-12-02T00:00:00+00:00", &[(65, 1), (66, 1)]),
            doc::refund(1, 149, "2026-11-20T00:00:00+00:00", &[(65, 1)]),
        ];
        let f = facts(doc::order(149, 5, 14, NOV3, &Currencies::single("USD"), ""), products.clone(), refunds);
        let s =
            order_snapshot(&f, Parties::default(), "USD", |p| format!("K-{}", p.variant_id.unwrap()), None).unwrap();
        assert_eq!(s.status, OrderStatus::Paid);
        assert_eq!(s.refunds.len(), 2);
        assert_eq!(s.refunds[0].lines, vec![("K-10".to_string(), 1), ("K-11".to_string(), 1)]);
        assert_eq!(s.refunds[1].at, Timestamp::parse("2026-11-20T00:00:00Z").unwrap().0);

        // Cancelled: reversed at the order's last modification, unless the ledger already
        // recorded when it was cancelled.
        let mut cancelled = doc::order(149, 5, 5, NOV3, &Currencies::single("USD"), "");
        cancelled["date_modified"] = "Fri, 04 Dec 2026 09:00:00 +0000".into();
        let f = facts(cancelled, products.clone(), vec![]);
        let s = order_snapshot(&f, Parties::default(), "USD", |p| p.sku.clone(), None).unwrap();
        let dec4 = Timestamp::parse("2026-12-04T09:00:00Z").unwrap().0;
        assert_eq!(s.status, OrderStatus::Cancelled { at: dec4 });
        let mut earlier = s.clone();
        earlier.status = OrderStatus::Cancelled { at: dec4 - 1 };
        earlier.buyer = Some("D1".into());
        let again = order_snapshot(
            &f,
            Parties { buyer: Some("D2".into()), referrer: None },
            "USD",
            |p| p.sku.clone(),
            Some(&earlier),
        )
        .unwrap();
        assert_eq!((again.status, again.buyer.as_deref()), (OrderStatus::Cancelled { at: dec4 - 1 }, Some("D1")));

        // Disputed: counts for nothing until resolved.
        let f = facts(doc::order(149, 5, 13, NOV3, &Currencies::single("USD"), ""), products.clone(), vec![]);
        assert_eq!(
            order_snapshot(&f, Parties::default(), "USD", |p| p.sku.clone(), None).unwrap().status,
            OrderStatus::Pending
        );

        // An amount refunded on the whole order of a paid order cannot become units.
        let mut r = doc::refund(3, 149, "2026-11-20T00:00:00+00:00", &[]);
        r["items"] = serde_json::json!([{ "item_type": "ORDER", "item_id": 149, "requested_amount": "5.00" }]);
        let f = facts(doc::order(149, 5, 14, NOV3, &Currencies::single("USD"), ""), products.clone(), vec![r.clone()]);
        let e = order_snapshot(&f, Parties::default(), "USD", |p| p.sku.clone(), None).unwrap_err();
        assert!(e.starts_with("order 149: refunds[0] (id 3).items[0]: item_type ORDER"), "{e}");
        // ... but shipping refunds carry no volume and are left out.
        r["items"] = serde_json::json!([{ "item_type": "SHIPPING", "item_id": 1, "requested_amount": "5.00" }]);
        let f = facts(doc::order(149, 5, 14, NOV3, &Currencies::single("USD"), ""), products, vec![r]);
        assert!(order_snapshot(&f, Parties::default(), "USD", |p| p.sku.clone(), None).unwrap().refunds.is_empty());
    }
}
