//! The BigCommerce REST resources the engine reads and writes, field for field as the public API
//! reference documents them (`bigcommerce/docs` at commit [`DOCS_COMMIT`]):
//!
//! | resource | spec in `bigcommerce/docs` |
//! |---|---|
//! | [`Order`], [`OrderProduct`] (v2) | `reference/orders.v2.oas2.yml` |
//! | [`Refund`] (v3 payment actions) | `reference/orders.v3.yml` |
//! | [`Product`], [`Variant`], [`Metafield`] (v3 catalog) | `reference/catalog/products_catalog.v3.yml`, `reference/catalog/product-variants_catalog.v3.yml` |
//! | [`Customer`], [`CustomerAttribute`] (v3) | `reference/customers.v3.yml` |
//! | [`Webhook`] (v3) | `reference/webhooks.v3.yml` |
//! | [`Callback`] (webhook payloads) | `docs/webhooks/callbacks/data/*.json`, `docs/webhooks/callbacks/*.yml` |
//!
//! The envelopes: [`Page`] (`{data: [...], meta: {pagination}}`), [`One`] (`{data: {...}, meta: {}}`)
//! and [`List`] (`{data: [...], meta: {}}`, an unpaginated collection).
//!
//! # Reading of the spec
//!
//! - **Names** are the documented JSON names (`type` is `r#type`). Unknown fields are ignored, never
//!   rejected: BigCommerce adds fields.
//! - **Optional or not.** Almost no response schema has a `required` list, so a field is a plain
//!   value only when it is (a) `required` in the schema, or (b) one the engine needs, present and
//!   non-null in *every* documented example of that object, and not described as conditional
//!   ("only for...", "if applicable", "when Multi-Currency is enabled", `include=...`) nor
//!   deprecated. Every other field, and every `nullable` one, is an `Option`. So
//!   [`Customer::id`] is an `Option` (the documented customer example has no `id`) and
//!   [`Order::currency_code`] is one too (the spec's second order example misspells it).
//!   Arrays the engine walks ([`OrderProduct::applied_discounts`], [`Refund::items`], ...) default
//!   to empty when absent.
//! - **Integers** are `i64`, also where the spec says `type: number` for a count or an id
//!   (`customer_id`, `items_total`, `quantity_refunded`, ...): every example is an integer.
//! - **Money and other decimals** are [`Decimal`], never floats, read by [`decimal`] from a JSON
//!   string (v2: `"109.0000"`; exact, scale kept) or a JSON number (v3: `7.95`; see [`decimal`]
//!   for the precision of numbers).
//! - **Dates**: v2 dates are RFC 2822 strings (`"Tue, 20 Nov 2012 00:00:00 +0000"`) kept as
//!   `String`; [`rfc2822_to_unix_nanos`] reads them. v3 dates (RFC 3339) are kept as `String`.
//! - **Enums** are Rust enums only where the engine branches on them ([`RefundItemType`],
//!   [`PermissionSet`]); each has an `Unknown` variant so that a value BigCommerce adds later does
//!   not make a whole response unreadable. Other enumerated strings stay `String`.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `bigcommerce/docs` commit these types (and `tests/fixtures/`) were written from.
pub const DOCS_COMMIT: &str = "24f580ca6d2981728b7ed70a2049e00fc602c335";

// ---------------------------------------------------------------------------------------------
// Decimals
// ---------------------------------------------------------------------------------------------

/// Reading a [`Decimal`] from either a JSON string or a JSON number, whatever `rust_decimal`'s
/// serde features are unified to in the workspace.
///
/// - A **string** (`"109.0000"`, as Orders v2 sends money) is parsed exactly, scale kept
///   (`"109.0000"` stays `109.0000`); scientific notation (`"1e-7"`) is accepted too.
/// - A JSON **integer** is exact.
/// - A JSON **number with a fraction or exponent** (v3 sends `7.95`): the workspace does not
///   enable `serde_json`'s `arbitrary_precision`, so `serde_json` has already rounded the text to
///   the nearest `f64` before this code sees it. The value is then written with the shortest
///   digits that read back as that same `f64` (Rust's `Display`, as `serde_json::Number` does) and
///   parsed with `Decimal::from_str`. That gives back the literal's exact value whenever it has at
///   most 15 significant digits (every amount BigCommerce documents: 2 decimal places); longer
///   literals may differ in their last digits, and trailing zeros of the literal are not kept
///   (`8.5000` reads as `8.5`, equal in value, scale 1).
///
/// Use as `#[serde(deserialize_with = "decimal::deserialize")]` for `Decimal` and
/// `#[serde(default, deserialize_with = "decimal::option")]` for `Option<Decimal>` (`null` and
/// an absent field are `None`).
pub mod decimal {
    use std::fmt;
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::de::{self, Deserializer, Visitor};

    /// Reads a `Decimal` from a JSON string or number.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }

    /// Reads an `Option<Decimal>`: `null` is `None`, else as [`deserialize`].
    pub fn option<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }

    /// Parses decimal text: plain (`-12.3400`) or scientific (`1.5e-7`).
    pub fn parse(text: &str) -> Option<Decimal> {
        if text.contains(['e', 'E']) {
            Decimal::from_scientific(text).ok()
        } else {
            Decimal::from_str(text).ok()
        }
    }

    struct DecimalVisitor;

    impl<'de> Visitor<'de> for DecimalVisitor {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a decimal, as a JSON string or number")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            // Shortest round-trip digits, never exponent notation.
            let text = v.to_string();
            parse(&text).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Decimal>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("null or a decimal, as a JSON string or number")
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<Decimal>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<Decimal>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Decimal>, D::Error> {
            deserialize(deserializer).map(Some)
        }
    }
}

/// A field the spec types as `oneOf: [string, number]` and that is not an amount
/// (e.g. [`Order::payment_provider_id`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StringOrNumber {
    String(String),
    Number(serde_json::Number),
}

// ---------------------------------------------------------------------------------------------
// RFC 2822 dates (Orders v2)
// ---------------------------------------------------------------------------------------------

/// A string that is not an RFC 2822 date-time as [`rfc2822_to_unix_nanos`] reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not an RFC 2822 date-time: {reason}")]
pub struct DateError {
    pub input: String,
    pub reason: &'static str,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/// Index = days since a Sunday.
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Reads an Orders v2 date (`"Tue, 20 Nov 2012 00:00:00 +0000"`, RFC 2822 §3.3) as nanoseconds
/// since the Unix epoch.
///
/// Accepted: `[day-name ","] day month year hour ":" minute [":" second] zone`, separated by
/// spaces or tabs, names case-insensitive; `day` is one or two digits, `year` four digits,
/// `second` may be 60 (a leap second, counted as the next minute's first second), and `zone` is
/// `+hhmm` / `-hhmm` (`-0000` is read as UTC) or the obsolete `UT` / `GMT`. A day name, when
/// present, must be the date's weekday. Not accepted: comments, two-digit years, other obsolete
/// zone names, and dates outside what `i64` nanoseconds hold (1677-09-21 to 2262-04-11). The empty
/// string (v2's `date_shipped` of an unshipped order) is an error.
pub fn rfc2822_to_unix_nanos(input: &str) -> Result<i64, DateError> {
    let err = |reason| DateError { input: input.to_owned(), reason };
    let text = input.trim_matches([' ', '\t']);
    let (weekday, rest) = match text.split_once(',') {
        Some((name, rest)) => {
            let name = name.trim_matches([' ', '\t']);
            let idx = WEEKDAYS.iter().position(|d| d.eq_ignore_ascii_case(name)).ok_or(err("unknown day name"))?;
            (Some(idx), rest)
        }
        None => (None, text),
    };
    let parts: Vec<&str> = rest.split([' ', '\t']).filter(|p| !p.is_empty()).collect();
    let [day, month, year, time, zone] = parts[..] else {
        return Err(err("expected day, month, year, time and zone"));
    };

    let day = digits(day, 1, 2).ok_or(err("bad day"))?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month)).ok_or(err("unknown month"))? as i64 + 1;
    let year = digits(year, 4, 4).ok_or(err("bad year"))?;
    if day < 1 || day > days_in_month(year, month) {
        return Err(err("day out of range for the month"));
    }

    let mut hms = time.split(':');
    let hour = hms.next().and_then(|h| digits(h, 2, 2)).ok_or(err("bad hour"))?;
    let minute = hms.next().and_then(|m| digits(m, 2, 2)).ok_or(err("bad minute"))?;
    let second = match hms.next() {
        Some(s) => digits(s, 2, 2).ok_or(err("bad second"))?,
        None => 0,
    };
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return Err(err("bad time of day"));
    }

    let offset_seconds = if zone.eq_ignore_ascii_case("UT") || zone.eq_ignore_ascii_case("GMT") {
        0
    } else {
        let (sign, hhmm) = match zone.as_bytes().first() {
            Some(b'+') => (1, &zone[1..]),
            Some(b'-') => (-1, &zone[1..]),
            _ => return Err(err("bad zone")),
        };
        let value = digits(hhmm, 4, 4).ok_or(err("bad zone"))?;
        let (zh, zm) = (value / 100, value % 100);
        if zm > 59 {
            return Err(err("bad zone"));
        }
        sign * (zh * 3600 + zm * 60)
    };

    let days = days_from_civil(year, month, day);
    if let Some(expected) = weekday {
        if (days + 4).rem_euclid(7) as usize != expected {
            return Err(err("day name does not match the date"));
        }
    }
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    seconds.checked_mul(1_000_000_000).ok_or(err("out of the range of i64 nanoseconds"))
}

/// ASCII digits only, between `min` and `max` of them.
fn digits(s: &str, min: usize, max: usize) -> Option<i64> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// ---------------------------------------------------------------------------------------------
// Envelopes (v3)
// ---------------------------------------------------------------------------------------------

/// A paginated v3 collection: `{data: [...], meta: {pagination: {...}}}` (`metaCollection_Full`).
///
/// The customers API adds `meta.cursor_pagination` and, when a request pages with `before` /
/// `after`, may leave `pagination` out; the engine pages with `page` / `limit`, where
/// `pagination` is always there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

/// `meta` of a [`Page`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageMeta {
    pub pagination: Pagination,
    /// Customers v3 only (`_metaCollectionWithCursorPagination`).
    #[serde(default)]
    pub cursor_pagination: Option<CursorPagination>,
}

/// `pagination_Full`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pagination {
    /// Items in the whole result set.
    pub total: i64,
    /// Items in this page.
    pub count: i64,
    pub per_page: i64,
    pub current_page: i64,
    pub total_pages: i64,
    pub links: PaginationLinks,
}

/// `pagination_Full.links` (query strings such as `?page=2&limit=50`); `previous` and `next` are
/// absent on the first and last page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaginationLinks {
    pub previous: Option<String>,
    pub current: Option<String>,
    pub next: Option<String>,
}

/// `CursorPagination` (customers v3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CursorPagination {
    pub count: Option<i64>,
    pub per_page: Option<i64>,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
    pub links: Option<PaginationLinks>,
}

/// A single v3 resource: `{data: {...}, meta: {}}` (`metaEmpty_Full`, open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct One<T> {
    pub data: T,
    #[serde(default)]
    pub meta: Map<String, Value>,
}

/// An unpaginated v3 collection: `{data: [...], meta: {}}` (the order refunds, the customer
/// attribute definitions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub meta: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// Orders v2
// ---------------------------------------------------------------------------------------------

/// `GET /v2/orders/{order_id}`: `order_Resp` (= `order_RespOnly` + `order_Shared`), with the
/// fields the spec's examples add (`custom_status`). Every amount is a string in the responses
/// documented; [`decimal`] reads numbers too (the spec says "Float, Float-As-String, Integer").
/// Not modelled: `consignments` (only with `include=consignments`) and `credit_card_type`
/// (undocumented; the examples show `null` and `{}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: i64,
    /// `type: number` in the spec; 0 for a guest.
    pub customer_id: i64,
    /// RFC 2822; see [`Order::date_created_unix_nanos`].
    pub date_created: String,
    /// RFC 2822.
    pub date_modified: String,
    /// RFC 2822, or `""` until the order is fully shipped.
    pub date_shipped: Option<String>,
    pub status_id: i64,
    pub status: String,
    /// Not in the schema; in both examples.
    pub custom_status: Option<String>,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub subtotal_ex_tax: Decimal,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub subtotal_inc_tax: Decimal,
    #[serde(default, deserialize_with = "decimal::option")]
    pub subtotal_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub base_shipping_cost: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub shipping_cost_ex_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub shipping_cost_inc_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub shipping_cost_tax: Option<Decimal>,
    pub shipping_cost_tax_class_id: Option<i64>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub base_handling_cost: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub handling_cost_ex_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub handling_cost_inc_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub handling_cost_tax: Option<Decimal>,
    pub handling_cost_tax_class_id: Option<i64>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub base_wrapping_cost: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub wrapping_cost_ex_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub wrapping_cost_inc_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub wrapping_cost_tax: Option<Decimal>,
    pub wrapping_cost_tax_class_id: Option<i64>,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub total_ex_tax: Decimal,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub total_inc_tax: Decimal,
    #[serde(default, deserialize_with = "decimal::option")]
    pub total_tax: Option<Decimal>,
    pub is_tax_inclusive_pricing: Option<bool>,
    /// `type: number`.
    pub items_total: Option<i64>,
    /// `type: number`.
    pub items_shipped: Option<i64>,
    pub payment_method: Option<String>,
    /// `oneOf: [string, number]`.
    pub payment_provider_id: Option<StringOrNumber>,
    /// One of `authorized`, `captured`, `capture pending`, `declined`, `held for review`, `paid`,
    /// `partially refunded`, `pending`, `refunded`, `void`, `void pending`, `""`.
    pub payment_status: Option<String>,
    /// The spec: "always returns `0`"; refunds are read from v3 ([`Refund`]).
    #[serde(deserialize_with = "decimal::deserialize")]
    pub refunded_amount: Decimal,
    pub order_is_digital: Option<bool>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub store_credit_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub gift_certificate_amount: Option<Decimal>,
    pub ip_address: Option<String>,
    pub ip_address_v6: Option<String>,
    pub geoip_country: Option<String>,
    pub geoip_country_iso2: Option<String>,
    /// The display currency.
    pub currency_id: Option<i64>,
    /// The display currency's code (absent from the spec's "Multiple Items" example, which
    /// misspells the key).
    pub currency_code: Option<String>,
    /// Store default currency to display currency; always 1 for orders created with v2.
    #[serde(deserialize_with = "decimal::deserialize")]
    pub currency_exchange_rate: Decimal,
    /// The transactional currency (the one the shopper pays in).
    pub default_currency_id: Option<i64>,
    /// The transactional currency's code.
    pub default_currency_code: String,
    /// Only when Multi-Currency is enabled (the spec's first example has `""`).
    pub store_default_currency_code: Option<String>,
    /// Store default currency to transactional currency; only when Multi-Currency is enabled.
    #[serde(default, deserialize_with = "decimal::option")]
    pub store_default_to_transactional_exchange_rate: Option<Decimal>,
    pub staff_notes: Option<String>,
    pub customer_message: String,
    #[serde(default, deserialize_with = "decimal::option")]
    pub discount_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub coupon_discount: Option<Decimal>,
    /// `type: number`.
    pub shipping_address_count: Option<i64>,
    pub is_deleted: Option<bool>,
    pub ebay_order_id: Option<String>,
    /// "if applicable".
    pub cart_id: Option<String>,
    pub billing_address: BillingAddress,
    pub is_email_opt_in: Option<bool>,
    pub order_source: Option<String>,
    pub channel_id: Option<i64>,
    pub external_source: Option<String>,
    pub products: Option<Resource>,
    pub shipping_addresses: Option<Resource>,
    pub coupons: Option<Resource>,
    pub external_id: Option<String>,
    pub external_merchant_id: Option<String>,
    pub tax_provider_id: Option<String>,
    pub customer_locale: Option<String>,
    pub external_order_id: Option<String>,
    /// With `include=fees` the fees themselves, else (when present) a link to them.
    pub fees: Option<OrderFees>,
}

impl Order {
    /// [`Order::date_created`] as Unix nanoseconds.
    pub fn date_created_unix_nanos(&self) -> Result<i64, DateError> {
        rfc2822_to_unix_nanos(&self.date_created)
    }

    /// [`Order::date_modified`] as Unix nanoseconds.
    pub fn date_modified_unix_nanos(&self) -> Result<i64, DateError> {
        rfc2822_to_unix_nanos(&self.date_modified)
    }
}

/// `billingAddress_Resp` (`billingAddress_Base` + `form_fields`); `zip` is the one `required`
/// field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingAddress {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub street_1: Option<String>,
    pub street_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: String,
    pub country: Option<String>,
    pub country_iso2: Option<String>,
    pub phone: Option<String>,
    pub email: String,
    pub form_fields: Option<Vec<FormField>>,
}

/// `formFields`: `value` is `oneOf: [number, string, array]`, kept as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    pub name: Option<String>,
    pub value: Option<Value>,
}

/// `products_Resource`, `shippingAddresses_Resource`, `coupons_Resource`, `orderFees_Resource`:
/// where a sub-resource is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub url: String,
    pub resource: String,
}

/// `order_RespOnly.fees`: `oneOf: [orderFees_Resource, array of orderFees_Resp]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OrderFees {
    Fees(Vec<OrderFee>),
    Resource(Resource),
}

/// `orderFees_Resp`. Amounts are `oneOf: [string, number]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderFee {
    pub id: i64,
    /// `custom_fee`.
    pub r#type: Option<String>,
    pub display_name_customer: Option<String>,
    pub display_name_merchant: Option<String>,
    pub source: Option<String>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub base_cost: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub cost_ex_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub cost_inc_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub cost_tax: Option<Decimal>,
    pub tax_class_id: Option<i64>,
}

/// An element of `GET /v2/orders/{order_id}/products` (`orderProducts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderProduct {
    /// The line's id within the order (what v3 refunds call `item_id`).
    pub id: i64,
    pub order_id: i64,
    pub product_id: i64,
    /// "not available for custom products" (and absent from both documented examples).
    pub variant_id: Option<i64>,
    pub order_pickup_method_id: Option<i64>,
    pub order_address_id: Option<i64>,
    /// Alias of `name_customer`.
    pub name: String,
    pub name_customer: Option<String>,
    pub name_merchant: Option<String>,
    pub sku: String,
    pub upc: Option<String>,
    /// `physical`, `digital` or `giftcertificate`.
    pub r#type: Option<String>,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub base_price: Decimal,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub price_ex_tax: Decimal,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub price_inc_tax: Decimal,
    #[serde(default, deserialize_with = "decimal::option")]
    pub price_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub base_total: Option<Decimal>,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub total_ex_tax: Decimal,
    #[serde(default, deserialize_with = "decimal::option")]
    pub total_inc_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub total_tax: Option<Decimal>,
    /// `oneOf: [number, string]`.
    #[serde(default, deserialize_with = "decimal::option")]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub width: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub height: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub depth: Option<Decimal>,
    pub quantity: i64,
    #[serde(default, deserialize_with = "decimal::option")]
    pub base_cost_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub cost_price_inc_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub cost_price_ex_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub cost_price_tax: Option<Decimal>,
    pub is_refunded: Option<bool>,
    /// `type: number`.
    pub quantity_refunded: i64,
    /// Deprecated; the spec: "always returns `0`".
    #[serde(default, deserialize_with = "decimal::option")]
    pub refund_amount: Option<Decimal>,
    /// `type: number`.
    pub return_id: Option<i64>,
    pub wrapping_id: Option<i64>,
    pub wrapping_name: Option<String>,
    /// `oneOf: [string, number]`.
    #[serde(default, deserialize_with = "decimal::option")]
    pub base_wrapping_cost: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub wrapping_cost_ex_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub wrapping_cost_inc_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub wrapping_cost_tax: Option<Decimal>,
    pub wrapping_message: Option<String>,
    /// `type: number`.
    pub quantity_shipped: Option<i64>,
    pub event_name: Option<String>,
    /// `format: date`.
    pub event_date: Option<String>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub fixed_shipping_cost: Option<Decimal>,
    pub ebay_item_id: Option<String>,
    pub ebay_transaction_id: Option<String>,
    pub option_set_id: Option<i64>,
    pub parent_order_product_id: Option<i64>,
    pub is_bundled_product: Option<bool>,
    pub bin_picking_number: Option<String>,
    pub external_id: Option<String>,
    pub brand: Option<String>,
    #[serde(default)]
    pub applied_discounts: Vec<AppliedDiscount>,
    #[serde(default)]
    pub product_options: Vec<OrderProductOption>,
    /// Catalog V2 stores only.
    pub configurable_fields: Option<Vec<ConfigurableField>>,
    pub gift_certificate_id: Option<i64>,
    /// The line's total after every discount, tax included.
    #[serde(default, deserialize_with = "decimal::option")]
    pub discounted_total_inc_tax: Option<Decimal>,
}

/// `orderProductAppliedDiscounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedDiscount {
    /// The coupon's name, or e.g. `manual-discount`.
    pub id: String,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub amount: Decimal,
    pub name: Option<String>,
    pub code: Option<String>,
    /// `order` or `product`.
    pub target: Option<String>,
}

/// `orderProductOptions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderProductOption {
    pub id: i64,
    pub option_id: Option<i64>,
    pub order_product_id: Option<i64>,
    pub product_option_id: Option<i64>,
    pub display_name: Option<String>,
    pub display_name_customer: Option<String>,
    pub display_name_merchant: Option<String>,
    pub display_value: Option<String>,
    pub display_value_customer: Option<String>,
    pub display_value_merchant: Option<String>,
    pub value: Option<String>,
    /// `Checkbox`, `Date field`, `File Upload`, `Multi-line text field`, `Multiple choice`,
    /// `Product Pick List`, `Swatch`, `Text field`.
    pub r#type: Option<String>,
    pub name: Option<String>,
    pub display_style: Option<String>,
}

/// An element of `orderProducts.configurable_fields`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigurableField {
    pub name: Option<String>,
    pub value: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Orders v3: refunds
// ---------------------------------------------------------------------------------------------

/// `Refund`: an element of `GET /v3/orders/{order_id}/payment_actions/refunds` (a
/// [`List<Refund>`]), and the `data` of `GET /v3/orders/payment_actions/refunds/{refund_id}`
/// (`RefundID_Get`, a [`One<Refund>`]). Amounts are JSON numbers (`Amount`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    pub id: i64,
    pub order_id: i64,
    /// The user who created the refund; filled in by BigCommerce.
    pub user_id: i64,
    /// RFC 3339.
    pub created: String,
    pub reason: String,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub total_amount: Decimal,
    /// May be negative (tax collected by refunding less).
    #[serde(deserialize_with = "decimal::deserialize")]
    pub total_tax: Decimal,
    pub uses_merchant_override_values: bool,
    #[serde(default)]
    pub payments: Vec<RefundPayment>,
    /// Empty when the refund was made with `tax_adjustment_amount`.
    #[serde(default)]
    pub items: Vec<RefundItem>,
}

/// `RefundItem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundItem {
    pub item_type: RefundItemType,
    /// `order_product.id` ([`OrderProduct::id`]) for `PRODUCT` and `GIFT_WRAPPING`,
    /// `order_address.id` for `SHIPPING` and `HANDLING`, `order.id` for `ORDER` and `FEE`.
    pub item_id: i64,
    /// Only for `PRODUCT`.
    pub quantity: Option<i64>,
    /// `Amount` (a number) in `Refund`, a nullable string in `RefundID_Get`: both are read.
    #[serde(default, deserialize_with = "decimal::option")]
    pub requested_amount: Option<Decimal>,
    pub reason: Option<String>,
    /// `PRODUCT` only.
    pub adjustments: Option<Vec<RefundItemAdjustment>>,
}

/// `RefundItem.item_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundItemType {
    Product,
    GiftWrapping,
    Shipping,
    Handling,
    Order,
    Fee,
    /// A value the spec does not list (read only; serializes as `"UNKNOWN"`).
    #[serde(other)]
    Unknown,
}

/// `RefundItemAdjustment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundItemAdjustment {
    /// Negative.
    #[serde(default, deserialize_with = "decimal::option")]
    pub amount: Option<Decimal>,
    pub description: Option<String>,
}

/// `RefundPayment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundPayment {
    pub id: i64,
    pub provider_id: Option<String>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub amount: Option<Decimal>,
    pub offline: Option<bool>,
    pub is_declined: Option<bool>,
    pub declined_message: Option<String>,
    pub transaction_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Catalog v3
// ---------------------------------------------------------------------------------------------

/// `product_Full` (+ `channels` and, with `include=variants`, `variants`): an element of
/// `GET /v3/catalog/products` ([`Page<Product>`]), the `data` of
/// `GET /v3/catalog/products/{product_id}` ([`One<Product>`]). Prices are JSON numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub name: String,
    /// `physical` or `digital`.
    pub r#type: Option<String>,
    pub sku: String,
    #[serde(deserialize_with = "decimal::deserialize")]
    pub price: Decimal,
    #[serde(default, deserialize_with = "decimal::option")]
    pub cost_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub retail_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub sale_price: Option<Decimal>,
    /// Minimum advertised price.
    #[serde(default, deserialize_with = "decimal::option")]
    pub map_price: Option<Decimal>,
    /// The sale price if set, else the price.
    #[serde(default, deserialize_with = "decimal::option")]
    pub calculated_price: Option<Decimal>,
    /// `items: type: number` (category ids).
    pub categories: Option<Vec<i64>>,
    pub brand_id: Option<i64>,
    pub inventory_level: Option<i64>,
    /// `none`, `product` or `variant`.
    pub inventory_tracking: Option<String>,
    pub is_visible: Option<bool>,
    /// `available`, `disabled` or `preorder`.
    pub availability: Option<String>,
    /// RFC 3339.
    pub date_created: Option<String>,
    /// RFC 3339.
    pub date_modified: Option<String>,
    /// The base variant of a simple product; the spec: `null` for complex products.
    pub base_variant_id: Option<i64>,
    /// Only with `include=channels`.
    pub channels: Option<Vec<i64>>,
    /// Only with `include=variants` (`productVariant_Full`, as `product_Base_POST.variants`
    /// documents; `product_Full` itself does not list the field).
    pub variants: Option<Vec<Variant>>,
}

/// `productVariant_Full`: an element of `GET /v3/catalog/products/{product_id}/variants` or of
/// [`Product::variants`]. `required`: `id`, `product_id`, `sku`. Not modelled: `map_price`
/// (`type: number`, but `{}` in every documented variant example).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub id: i64,
    pub product_id: i64,
    pub sku: String,
    pub sku_id: Option<i64>,
    /// `null`: the product's price applies.
    #[serde(default, deserialize_with = "decimal::option")]
    pub price: Option<Decimal>,
    /// The price as seen on the storefront (sale price and price rules applied).
    #[serde(deserialize_with = "decimal::deserialize")]
    pub calculated_price: Decimal,
    #[serde(default, deserialize_with = "decimal::option")]
    pub sale_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub retail_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub cost_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal::option")]
    pub calculated_weight: Option<Decimal>,
    pub inventory_level: Option<i64>,
    pub inventory_warning_level: Option<i64>,
    pub purchasing_disabled: Option<bool>,
    pub purchasing_disabled_message: Option<String>,
    pub image_url: Option<String>,
    pub upc: Option<String>,
    pub mpn: Option<String>,
    pub gtin: Option<String>,
    pub bin_picking_number: Option<String>,
    /// Empty for a product's base variant.
    #[serde(default)]
    pub option_values: Vec<VariantOptionValue>,
}

/// `productVariantOptionValue_Full`; `required`: `label`, `option_display_name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantOptionValue {
    /// The option value's id.
    pub id: i64,
    pub label: String,
    pub option_id: Option<i64>,
    pub option_display_name: String,
}

/// `metafield_Full`: `GET /v3/catalog/products/{product_id}/variants/{variant_id}/metafields`
/// ([`Page<Metafield>`]) and the single-metafield endpoints ([`One<Metafield>`]); the same
/// object for products, categories and brands, and (as `Metafield`) for orders and customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metafield {
    pub id: i64,
    pub key: String,
    pub value: String,
    pub namespace: String,
    pub permission_set: PermissionSet,
    /// `category`, `brand`, `product`, `variant` (catalog); `cart`, `channel`, `location`,
    /// `order`, `customer` elsewhere.
    pub resource_type: String,
    pub resource_id: i64,
    pub description: String,
    /// RFC 3339.
    pub date_created: Option<String>,
    /// RFC 3339.
    pub date_modified: Option<String>,
    /// Documented in the batch `Metafield` schema.
    pub owner_client_id: Option<String>,
}

/// `permission_set` of a metafield.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionSet {
    /// Private to the app that owns the field.
    AppOnly,
    /// Visible to other API consumers.
    Read,
    /// Open for reading and writing by other API consumers.
    Write,
    /// Visible to other API consumers, including on the storefront.
    ReadAndSfAccess,
    /// Open for reading and writing by other API consumers, including on the storefront.
    WriteAndSfAccess,
    /// A value the spec does not list (read only; never send it).
    #[serde(other)]
    Unknown,
}

/// The body of `POST .../metafields` (`metafield_Base` with its POST `required` fields;
/// `MetafieldBase_Post` for orders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetafieldCreate {
    pub permission_set: PermissionSet,
    /// 1 to 64 characters.
    pub namespace: String,
    /// 1 to 64 characters.
    pub key: String,
    /// 1 to 65,535 characters.
    pub value: String,
    /// Up to 255 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The body of `PUT .../metafields/{metafield_id}`: every field optional. Only the app that
/// created a metafield may change its `namespace`, `key` and `permission_set`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetafieldUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<PermissionSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Customers v3
// ---------------------------------------------------------------------------------------------

/// `customer_Full`: an element of `GET /v3/customers` ([`Page<Customer>`]), plus the fields the
/// documented example adds (`shopper_profile_id`, `segment_ids`). Not modelled: `addresses`,
/// `form_fields`, `authentication`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Absent from the spec's example (see the module docs).
    pub id: Option<i64>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub phone: Option<String>,
    pub registration_ip_address: Option<String>,
    pub notes: Option<String>,
    pub tax_exempt_category: Option<String>,
    pub customer_group_id: i64,
    /// RFC 3339.
    pub date_created: Option<String>,
    /// RFC 3339.
    pub date_modified: Option<String>,
    pub address_count: Option<i64>,
    pub attribute_count: Option<i64>,
    /// Only with `include=attributes`; at most 10.
    pub attributes: Option<Vec<CustomerAttributeValue>>,
    /// Only with `include=storecredit`.
    pub store_credit_amounts: Option<Vec<StoreCreditAmount>>,
    pub accepts_product_review_abandoned_cart_emails: Option<bool>,
    pub origin_channel_id: Option<i64>,
    pub channel_ids: Option<Vec<i64>>,
    /// Only with `include=shopper_profile_id` (beta).
    pub shopper_profile_id: Option<String>,
    /// Only with `include=segment_ids` (beta).
    pub segment_ids: Option<Vec<String>>,
}

/// `attribute_Full`: one of a customer's attribute values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerAttributeValue {
    /// The attribute's id ([`CustomerAttribute::id`]).
    pub attribute_id: i64,
    /// Always a string, whatever the attribute's type.
    pub attribute_value: String,
    pub customer_id: i64,
    /// The attribute value's id.
    pub id: Option<i64>,
    pub date_created: Option<String>,
    pub date_modified: Option<String>,
}

/// An element of `customer_Full.store_credit_amounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreCreditAmount {
    #[serde(default, deserialize_with = "decimal::option")]
    pub amount: Option<Decimal>,
}

/// A customer attribute definition: an element of `GET /v3/customers/attributes`
/// ([`List<CustomerAttribute>`]); `required`: `id`, `name`, `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerAttribute {
    pub id: i64,
    pub name: String,
    /// `string`, `number` or `date`.
    pub r#type: String,
    pub date_created: Option<String>,
    pub date_modified: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Webhooks v3
// ---------------------------------------------------------------------------------------------

/// A webhook subscription: an element of `GET /v3/hooks` ([`Page<Webhook>`]), the `data` of
/// `GET`/`POST`/`PUT`/`DELETE /v3/hooks/{webhook_id}` ([`One<Webhook>`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: i64,
    pub client_id: String,
    pub store_hash: String,
    /// E.g. `store/order/created`.
    pub scope: String,
    /// An `https` URL on port 443.
    pub destination: String,
    /// Custom headers sent with each callback.
    pub headers: Option<BTreeMap<String, String>>,
    /// A subscription is deactivated after 90 days of inactivity.
    pub is_active: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// `inactive`, `active` or `deactivated`; documented in `GET /v3/hooks/admin`'s `hooks_list`.
    pub status: Option<String>,
}

/// The body of `POST /v3/hooks` (`webhook_Base`; `required`: `scope`, `destination`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookCreate {
    pub scope: String,
    pub destination: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// The body of `PUT /v3/hooks/{webhook_id}` (`webhook_Put`): at least one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

// ---------------------------------------------------------------------------------------------
// Webhook callbacks
// ---------------------------------------------------------------------------------------------

/// A webhook callback payload (`webhook_callback_base` + the scope's `data`), as in
/// `docs/webhooks/callbacks/data/*.json`. Covers the scopes whose `data.id` is an integer
/// (orders, products, SKUs, customers, ...); cart scopes send a UUID string there and are not
/// read by this type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    /// E.g. `store/order/created`.
    pub scope: String,
    pub store_id: String,
    pub data: CallbackData,
    pub hash: String,
    /// Unix seconds. Absent from the payload example of the HTTPS webhooks overview.
    pub created_at: Option<i64>,
    /// `stores/{store_hash}`.
    pub producer: String,
}

/// `Callback.data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackData {
    /// `order`, `product`, `sku`, `customer`, ...
    pub r#type: String,
    /// The resource's id (for `store/sku/*` the SKU's); absent for `store/app/uninstalled` and
    /// `store/information/updated`.
    pub id: Option<i64>,
    /// `store/order/statusUpdated`.
    pub status: Option<StatusChange>,
    /// `store/order/refund/created`.
    pub refund: Option<RefundRef>,
    /// `store/sku/*`.
    pub sku: Option<SkuRef>,
    /// `store/product/updated`, for updates of channel or locale overrides only: the fields
    /// changed.
    pub properties: Option<Vec<String>>,
    /// `store/product/updated`, with `properties`.
    pub context: Option<CallbackContext>,
    /// `store/customer/created` and `store/customer/updated` (`docs/webhooks/callbacks/*.yml`).
    pub origin_channel_id: Option<i64>,
    /// `store/customer/created` and `store/customer/updated`.
    pub channel_ids: Option<Vec<i64>>,
}

/// `data.status` of `store/order/statusUpdated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub previous_status_id: i64,
    pub new_status_id: i64,
}

/// `data.refund` of `store/order/refund/created`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRef {
    pub refund_id: i64,
}

/// `data.sku` of `store/sku/*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuRef {
    pub product_id: i64,
    pub variant_id: i64,
}

/// `data.context` of `store/product/updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackContext {
    pub channel_id: Option<i64>,
    /// `null` when the override applies to the whole channel.
    pub locale: Option<String>,
}

// ---------------------------------------------------------------------------------------------

impl fmt::Display for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PermissionSet::AppOnly => "app_only",
            PermissionSet::Read => "read",
            PermissionSet::Write => "write",
            PermissionSet::ReadAndSfAccess => "read_and_sf_access",
            PermissionSet::WriteAndSfAccess => "write_and_sf_access",
            PermissionSet::Unknown => "unknown",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NANOS: i64 = 1_000_000_000;

    #[test]
    fn rfc2822_documented_example() {
        // orders.v2.oas2.yml, order_Shared.date_created: "e.g., `Tue, 20 Nov 2012 00:00:00 +0000`".
        assert_eq!(rfc2822_to_unix_nanos("Tue, 20 Nov 2012 00:00:00 +0000"), Ok(1_353_369_600 * NANOS));
        assert_eq!(rfc2822_to_unix_nanos("Tue, 05 Mar 2019 21:40:11 +0000"), Ok(1_551_822_011 * NANOS));
    }

    #[test]
    fn rfc2822_optional_parts_and_offsets() {
        let utc = Ok(1_353_369_600 * NANOS);
        assert_eq!(rfc2822_to_unix_nanos("20 Nov 2012 00:00:00 +0000"), utc);
        assert_eq!(rfc2822_to_unix_nanos("Tue, 20 Nov 2012 00:00 +0000"), utc);
        assert_eq!(rfc2822_to_unix_nanos("  tue,20  nov 2012\t00:00:00 GMT "), utc);
        assert_eq!(rfc2822_to_unix_nanos("Tue, 20 Nov 2012 00:00:00 UT"), utc);
        assert_eq!(rfc2822_to_unix_nanos("Tue, 20 Nov 2012 00:00:00 -0000"), utc);
        // Local time 19:00 on the 19th at -0500 is midnight UTC on the 20th.
        assert_eq!(rfc2822_to_unix_nanos("Mon, 19 Nov 2012 19:00:00 -0500"), utc);
        assert_eq!(rfc2822_to_unix_nanos("Tue, 20 Nov 2012 05:30:00 +0530"), utc);
        // One-digit day; a leap day; before the epoch.
        assert_eq!(rfc2822_to_unix_nanos("Thu, 1 Jan 1970 00:00:01 +0000"), Ok(NANOS));
        assert_eq!(rfc2822_to_unix_nanos("Thu, 29 Feb 2024 12:30:00 -0530"), Ok(1_709_229_600 * NANOS));
        assert_eq!(rfc2822_to_unix_nanos("Wed, 31 Dec 1969 23:59:59 +0000"), Ok(-NANOS));
        // A leap second reads as the next minute's first second.
        assert_eq!(
            rfc2822_to_unix_nanos("Sat, 31 Dec 2016 23:59:60 +0000"),
            rfc2822_to_unix_nanos("1 Jan 2017 00:00:00 +0000")
        );
        // The last whole second i64 nanoseconds hold.
        assert_eq!(rfc2822_to_unix_nanos("Fri, 11 Apr 2262 23:47:16 +0000"), Ok(9_223_372_036 * NANOS));
    }

    #[test]
    fn rfc2822_rejects() {
        for (input, reason) in [
            ("", "expected day, month, year, time and zone"),
            ("Tue, 20 Nov 2012 00:00:00", "expected day, month, year, time and zone"),
            ("Tue, 20 Nov 2012 00:00:00 +0000 extra", "expected day, month, year, time and zone"),
            ("Wed, 20 Nov 2012 00:00:00 +0000", "day name does not match the date"),
            ("Tues, 20 Nov 2012 00:00:00 +0000", "unknown day name"),
            ("20 November 2012 00:00:00 +0000", "unknown month"),
            ("29 Feb 2019 00:00:00 +0000", "day out of range for the month"),
            ("31 Apr 2019 00:00:00 +0000", "day out of range for the month"),
            ("0 Apr 2019 00:00:00 +0000", "day out of range for the month"),
            ("20 Nov 12 00:00:00 +0000", "bad year"),
            ("20 Nov 2012 24:00:00 +0000", "bad time of day"),
            ("20 Nov 2012 00:60:00 +0000", "bad time of day"),
            ("20 Nov 2012 0:00:00 +0000", "bad hour"),
            ("20 Nov 2012 00:00:00:00 +0000", "bad time of day"),
            ("20 Nov 2012 00:00:00 +000", "bad zone"),
            ("20 Nov 2012 00:00:00 +0060", "bad zone"),
            ("20 Nov 2012 00:00:00 EST", "bad zone"),
            ("2012-11-20T00:00:00Z", "expected day, month, year, time and zone"),
            ("Sat, 12 Apr 2262 00:00:00 +0000", "out of the range of i64 nanoseconds"),
        ] {
            let got = rfc2822_to_unix_nanos(input);
            assert_eq!(got, Err(DateError { input: input.to_owned(), reason }), "{input:?}");
        }
    }

    #[derive(Debug, Deserialize)]
    struct Money {
        #[serde(deserialize_with = "decimal::deserialize")]
        a: Decimal,
        #[serde(default, deserialize_with = "decimal::option")]
        b: Option<Decimal>,
    }

    fn money(json: &str) -> Money {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn decimal_from_strings_keeps_scale() {
        let m = money(r#"{"a": "109.0000", "b": "-0.5100"}"#);
        assert_eq!(m.a.to_string(), "109.0000");
        assert_eq!(m.b.unwrap().to_string(), "-0.5100");
        assert_eq!(money(r#"{"a": "1.5e-3"}"#).a.to_string(), "0.0015");
        assert!(serde_json::from_str::<Money>(r#"{"a": ""}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"a": "12,50"}"#).is_err());
    }

    #[test]
    fn decimal_from_numbers() {
        assert_eq!(money(r#"{"a": 50}"#).a.to_string(), "50");
        assert_eq!(money(r#"{"a": -7}"#).a.to_string(), "-7");
        assert_eq!(money(r#"{"a": 7.95}"#).a.to_string(), "7.95");
        assert_eq!(money(r#"{"a": 109.11}"#).a.to_string(), "109.11");
        assert_eq!(money(r#"{"a": 0.1}"#).a.to_string(), "0.1");
        assert_eq!(money(r#"{"a": -10.2}"#).a.to_string(), "-10.2");
        // 15 significant digits survive the f64.
        assert_eq!(money(r#"{"a": 1234567890123.45}"#).a.to_string(), "1234567890123.45");
        // Exponents; trailing zeros of a number literal are not kept (the documented caveat).
        assert_eq!(money(r#"{"a": 1.5e3}"#).a.to_string(), "1500");
        assert_eq!(money(r#"{"a": 8.5000}"#).a.to_string(), "8.5");
        assert_eq!(money(r#"{"a": 18446744073709551615}"#).a.to_string(), "18446744073709551615");
    }

    #[test]
    fn decimal_option_null_and_absent() {
        assert_eq!(money(r#"{"a": 1, "b": null}"#).b, None);
        assert_eq!(money(r#"{"a": 1}"#).b, None);
        assert_eq!(money(r#"{"a": 1, "b": 2.25}"#).b.unwrap().to_string(), "2.25");
        assert!(serde_json::from_str::<Money>(r#"{"a": null}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"a": true}"#).is_err());
    }

    #[test]
    fn request_bodies_leave_out_what_is_unset() {
        let update = WebhookUpdate { is_active: Some(false), ..Default::default() };
        assert_eq!(serde_json::to_string(&update).unwrap(), r#"{"is_active":false}"#);
        let create = MetafieldCreate {
            permission_set: PermissionSet::AppOnly,
            namespace: "mlm".into(),
            key: "bv".into(),
            value: "12.50".into(),
            description: None,
        };
        assert_eq!(
            serde_json::to_string(&create).unwrap(),
            r#"{"permission_set":"app_only","namespace":"mlm","key":"bv","value":"12.50"}"#
        );
        assert_eq!(PermissionSet::WriteAndSfAccess.to_string(), "write_and_sf_access");
    }

    #[test]
    fn string_or_number() {
        let n: StringOrNumber = serde_json::from_str("12").unwrap();
        assert_eq!(n, StringOrNumber::Number(12.into()));
        let s: StringOrNumber = serde_json::from_str(r#""pi_123""#).unwrap();
        assert_eq!(s, StringOrNumber::String("pi_123".into()));
    }

    #[test]
    fn unknown_enum_values_are_read() {
        let item: RefundItem = serde_json::from_str(r#"{"item_type": "TIP", "item_id": 1}"#).unwrap();
        assert_eq!(item.item_type, RefundItemType::Unknown);
        let p: PermissionSet = serde_json::from_str(r#""read""#).unwrap();
        assert_eq!(p, PermissionSet::Read);
    }
}
