//! A local HTTP server that answers like BigCommerce, for tests, `mlm demo` and trying a plan
//! before go-live without a store. It holds resources as the JSON documents BigCommerce returns
//! (seeded from the documented examples), checks `X-Auth-Token`, paginates like the v2 and v3
//! APIs, and can be told to answer the next requests with a 429 or a 5xx. It never reaches the
//! internet: it binds to loopback.

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// An answer the stand-in gives instead of the real one, once.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with `X-Rate-Limit-Time-Reset-Ms`.
    RateLimited { reset_ms: u64 },
    /// A server error.
    Status(u16),
    /// Answer only after this long (to trip client timeouts).
    Delay(std::time::Duration),
}

/// The stand-in's resources, as BigCommerce's JSON documents.
#[derive(Debug, Default)]
pub struct Resources {
    pub orders: BTreeMap<i64, Value>,
    pub order_products: BTreeMap<i64, Vec<Value>>,
    pub refunds: BTreeMap<i64, Vec<Value>>,
    pub order_metafields: BTreeMap<i64, Vec<Value>>,
    /// Products, each with its `variants`.
    pub products: BTreeMap<i64, Value>,
    pub product_metafields: BTreeMap<i64, Vec<Value>>,
    pub variant_metafields: BTreeMap<(i64, i64), Vec<Value>>,
    /// Customers, each with its `attributes`.
    pub customers: BTreeMap<i64, Value>,
    pub customer_attributes: Vec<Value>,
    pub hooks: BTreeMap<i64, Value>,
    /// Answers to give the next requests instead of the real ones.
    pub faults: VecDeque<Fault>,
    /// Every request received, as `METHOD /path?query`.
    pub requests: Vec<String>,
    next_id: i64,
}

impl Resources {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        1000 + self.next_id
    }
}

#[derive(Clone)]
struct Shared {
    res: Arc<Mutex<Resources>>,
    token: String,
}

/// A running stand-in.
pub struct StandIn {
    pub addr: SocketAddr,
    pub store_hash: String,
    pub token: String,
    res: Arc<Mutex<Resources>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    /// Starts a stand-in on a free loopback port.
    pub async fn start(store_hash: &str, token: &str) -> std::io::Result<StandIn> {
        let res = Arc::new(Mutex::new(Resources::default()));
        let shared = Shared { res: res.clone(), token: token.to_string() };
        let app = Router::new()
            .route("/stores/{hash}/v2/orders", get(orders))
            .route("/stores/{hash}/v2/orders/{id}", get(order))
            .route("/stores/{hash}/v2/orders/{id}/products", get(order_products))
            .route("/stores/{hash}/v3/orders/{id}/payment_actions/refunds", get(refunds))
            .route("/stores/{hash}/v3/orders/{id}/metafields", get(order_metafields))
            .route("/stores/{hash}/v3/catalog/products", get(products))
            .route("/stores/{hash}/v3/catalog/products/{id}", get(product))
            .route(
                "/stores/{hash}/v3/catalog/products/{id}/metafields",
                get(product_metafields).post(create_product_metafield),
            )
            .route(
                "/stores/{hash}/v3/catalog/products/{pid}/variants/{vid}/metafields",
                get(variant_metafields).post(create_variant_metafield),
            )
            .route(
                "/stores/{hash}/v3/catalog/products/{pid}/variants/{vid}/metafields/{mid}",
                put(update_variant_metafield),
            )
            .route("/stores/{hash}/v3/customers", get(customers))
            .route("/stores/{hash}/v3/customers/attributes", get(customer_attributes).post(create_customer_attributes))
            .route("/stores/{hash}/v3/hooks", get(hooks).post(create_hook))
            .route("/stores/{hash}/v3/hooks/{id}", put(update_hook))
            .fallback(not_found)
            .layer(axum::middleware::from_fn_with_state(shared.clone(), gate))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(StandIn { addr, store_hash: store_hash.to_string(), token: token.to_string(), res, task })
    }

    /// The API base URL to give a client (`BIGCOMMERCE_API_BASE`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Reads or changes the resources.
    pub fn with<T>(&self, f: impl FnOnce(&mut Resources) -> T) -> T {
        f(&mut self.res.lock().expect("stand-in state"))
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<String> {
        self.with(|r| r.requests.clone())
    }
}

fn problem(status: StatusCode, title: &str) -> Response {
    // BigCommerce's v3 error shape.
    (status, Json(json!({ "status": status.as_u16(), "title": title, "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes", "errors": {} })))
        .into_response()
}

/// Logs the request, checks the token, and plays any injected fault.
async fn gate(
    AxState(s): AxState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let fault = {
        let mut r = s.res.lock().expect("stand-in state");
        r.requests.push(format!("{method} {}", uri.path_and_query().map_or(uri.path(), |p| p.as_str())));
        r.faults.pop_front()
    };
    if headers.get("x-auth-token").and_then(|v| v.to_str().ok()) != Some(s.token.as_str()) {
        return problem(StatusCode::UNAUTHORIZED, "You are not authorized to access this resource.");
    }
    match fault {
        Some(Fault::RateLimited { reset_ms }) => {
            let mut resp = problem(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            let h = resp.headers_mut();
            h.insert("x-rate-limit-time-reset-ms", reset_ms.to_string().parse().expect("number"));
            h.insert("x-rate-limit-requests-left", "0".parse().expect("number"));
            resp
        }
        Some(Fault::Status(code)) => {
            problem(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "Internal Server Error")
        }
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        None => next.run(req).await,
    }
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "The requested resource was not found.")
}

type Q = Query<HashMap<String, String>>;

fn page_args(q: &HashMap<String, String>, default_limit: usize) -> (usize, usize) {
    let page = q.get("page").and_then(|p| p.parse().ok()).filter(|&p: &usize| p >= 1).unwrap_or(1);
    let limit = q.get("limit").and_then(|l| l.parse().ok()).filter(|&l: &usize| l >= 1).unwrap_or(default_limit);
    (page, limit)
}

/// A v3 collection page, with `meta.pagination` as documented.
fn v3_page(items: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let (page, limit) = page_args(q, 50);
    let total = items.len();
    let pages = total.div_ceil(limit).max(1);
    let data: Vec<Value> = items.into_iter().skip((page - 1) * limit).take(limit).collect();
    let link = |p: usize| format!("?page={p}&limit={limit}");
    let mut links = json!({ "current": link(page) });
    if page > 1 {
        links["previous"] = json!(link(page - 1));
    }
    if page < pages {
        links["next"] = json!(link(page + 1));
    }
    Json(json!({
        "data": data,
        "meta": { "pagination": { "total": total, "count": data.len(), "per_page": limit, "current_page": page, "total_pages": pages, "links": links } }
    }))
    .into_response()
}

/// A v2 list: a bare array, `204 No Content` past the end.
fn v2_page(items: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let (page, limit) = page_args(q, 50);
    let data: Vec<Value> = items.into_iter().skip((page - 1) * limit).take(limit).collect();
    if data.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    Json(Value::Array(data)).into_response()
}

/// A `min_date_modified`/`min_date_created` bound: RFC 2822 or ISO-8601, as documented.
fn date_arg(q: &HashMap<String, String>, name: &str) -> Result<Option<i64>, String> {
    let Some(text) = q.get(name) else { return Ok(None) };
    crate::api::rfc2822_to_unix_nanos(text)
        .ok()
        .or_else(|| mlm_engine::period::Timestamp::parse(text).ok().map(|t| t.0))
        .map(Some)
        .ok_or_else(|| format!("{name}: {text:?} is not an RFC-2822 or ISO-8601 date"))
}

/// `GET /v2/orders`: `min_date_modified` and `min_date_created` (inclusive), `sort` (`field` or
/// `field:asc|desc`; default by id ascending, as documented), `page` and `limit` (default 50,
/// at most 250), `204` past the end.
async fn orders(AxState(s): AxState<Shared>, Query(q): Q) -> Response {
    let bounds = match (date_arg(&q, "min_date_modified"), date_arg(&q, "min_date_created")) {
        (Ok(m), Ok(c)) => (m, c),
        (Err(m), _) | (_, Err(m)) => return problem(StatusCode::BAD_REQUEST, &m),
    };
    if q.get("limit").and_then(|l| l.parse::<usize>().ok()).is_some_and(|l| l > 250) {
        return problem(StatusCode::BAD_REQUEST, "limit: at most 250");
    }
    let nanos = |o: &Value, field: &str| o[field].as_str().and_then(|t| crate::api::rfc2822_to_unix_nanos(t).ok());
    let mut items: Vec<Value> = s
        .res
        .lock()
        .expect("state")
        .orders
        .values()
        .filter(|o| bounds.0.is_none_or(|min| nanos(o, "date_modified").is_some_and(|t| t >= min)))
        .filter(|o| bounds.1.is_none_or(|min| nanos(o, "date_created").is_some_and(|t| t >= min)))
        .cloned()
        .collect();
    let sort = q.get("sort").map_or("id", String::as_str);
    let (field, desc) = match sort.split_once(':') {
        Some((f, "desc")) => (f, true),
        Some((f, "asc")) | Some((f, "")) => (f, false),
        Some(_) => return problem(StatusCode::BAD_REQUEST, &format!("sort: {sort:?} must end in :asc or :desc")),
        None => (sort, false),
    };
    let key = |o: &Value| -> (i64, i64) {
        let id = o["id"].as_i64().unwrap_or(0);
        match field {
            "date_modified" | "date_created" => (nanos(o, field).unwrap_or(0), id),
            "customer_id" | "status_id" | "channel_id" => (o[field].as_i64().unwrap_or(0), id),
            _ => (id, 0),
        }
    };
    if !["id", "customer_id", "date_created", "date_modified", "status_id", "channel_id", "external_id"]
        .contains(&field)
    {
        return problem(StatusCode::BAD_REQUEST, &format!("sort: {field:?} is not a sortable field"));
    }
    items.sort_by_key(key);
    if desc {
        items.reverse();
    }
    v2_page(items, &q)
}

async fn order(AxState(s): AxState<Shared>, Path((_, id)): Path<(String, i64)>) -> Response {
    match s.res.lock().expect("state").orders.get(&id) {
        Some(o) => Json(o.clone()).into_response(),
        None => problem(StatusCode::NOT_FOUND, "The requested resource was not found."),
    }
}

async fn order_products(AxState(s): AxState<Shared>, Path((_, id)): Path<(String, i64)>, Query(q): Q) -> Response {
    let items = s.res.lock().expect("state").order_products.get(&id).cloned();
    match items {
        Some(items) => v2_page(items, &q),
        None => problem(StatusCode::NOT_FOUND, "The requested resource was not found."),
    }
}

async fn refunds(AxState(s): AxState<Shared>, Path((_, id)): Path<(String, i64)>, Query(q): Q) -> Response {
    let items = s.res.lock().expect("state").refunds.get(&id).cloned().unwrap_or_default();
    v3_page(items, &q)
}

async fn order_metafields(AxState(s): AxState<Shared>, Path((_, id)): Path<(String, i64)>, Query(q): Q) -> Response {
    let items = s.res.lock().expect("state").order_metafields.get(&id).cloned().unwrap_or_default();
    v3_page(filter_metafields(items, &q), &q)
}

fn filter_metafields(items: Vec<Value>, q: &HashMap<String, String>) -> Vec<Value> {
    items
        .into_iter()
        .filter(|m| q.get("namespace").is_none_or(|ns| m["namespace"] == json!(ns)))
        .filter(|m| q.get("key").is_none_or(|k| m["key"] == json!(k)))
        .collect()
}

fn with_variants(p: &Value, q: &HashMap<String, String>) -> Value {
    let mut p = p.clone();
    let include = q.get("include").is_some_and(|i| i.split(',').any(|x| x == "variants"));
    if !include {
        if let Some(o) = p.as_object_mut() {
            o.remove("variants");
        }
    }
    p
}

async fn products(AxState(s): AxState<Shared>, Query(q): Q) -> Response {
    let items = s.res.lock().expect("state").products.values().map(|p| with_variants(p, &q)).collect();
    v3_page(items, &q)
}

async fn product(AxState(s): AxState<Shared>, Path((_, id)): Path<(String, i64)>, Query(q): Q) -> Response {
    match s.res.lock().expect("state").products.get(&id) {
        Some(p) => Json(json!({ "data": with_variants(p, &q), "meta": {} })).into_response(),
        None => problem(StatusCode::NOT_FOUND, "The requested resource was not found."),
    }
}

async fn product_metafields(AxState(s): AxState<Shared>, Path((_, id)): Path<(String, i64)>, Query(q): Q) -> Response {
    let items = s.res.lock().expect("state").product_metafields.get(&id).cloned().unwrap_or_default();
    v3_page(filter_metafields(items, &q), &q)
}

async fn variant_metafields(
    AxState(s): AxState<Shared>,
    Path((_, pid, vid)): Path<(String, i64, i64)>,
    Query(q): Q,
) -> Response {
    let items = s.res.lock().expect("state").variant_metafields.get(&(pid, vid)).cloned().unwrap_or_default();
    v3_page(filter_metafields(items, &q), &q)
}

/// A new metafield from a request body, or the name of the missing field.
fn new_metafield(r: &mut Resources, body: &Value, resource_type: &str, resource_id: i64) -> Result<Value, String> {
    for k in ["key", "value", "namespace", "permission_set"] {
        if body.get(k).and_then(Value::as_str).is_none() {
            return Err(format!("{k} is required"));
        }
    }
    let mut m = body.clone();
    m["id"] = json!(r.id());
    m["resource_type"] = json!(resource_type);
    m["resource_id"] = json!(resource_id);
    m["date_created"] = json!("2026-11-01T00:00:00+00:00");
    m["date_modified"] = json!("2026-11-01T00:00:00+00:00");
    Ok(m)
}

async fn create_product_metafield(
    AxState(s): AxState<Shared>,
    Path((_, id)): Path<(String, i64)>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    let mut r = s.res.lock().expect("state");
    match new_metafield(&mut r, &body, "product", id) {
        Ok(m) => {
            r.product_metafields.entry(id).or_default().push(m.clone());
            Json(json!({ "data": m, "meta": {} })).into_response()
        }
        Err(e) => problem(StatusCode::UNPROCESSABLE_ENTITY, &e),
    }
}

async fn create_variant_metafield(
    AxState(s): AxState<Shared>,
    Path((_, pid, vid)): Path<(String, i64, i64)>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    let mut r = s.res.lock().expect("state");
    let list = r.variant_metafields.get(&(pid, vid)).cloned().unwrap_or_default();
    if list.iter().any(|m| m["namespace"] == body["namespace"] && m["key"] == body["key"]) {
        return problem(StatusCode::CONFLICT, "A metafield with this namespace and key already exists.");
    }
    match new_metafield(&mut r, &body, "variant", vid) {
        Ok(m) => {
            r.variant_metafields.entry((pid, vid)).or_default().push(m.clone());
            Json(json!({ "data": m, "meta": {} })).into_response()
        }
        Err(e) => problem(StatusCode::UNPROCESSABLE_ENTITY, &e),
    }
}

async fn update_variant_metafield(
    AxState(s): AxState<Shared>,
    Path((_, pid, vid, mid)): Path<(String, i64, i64, i64)>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    let mut r = s.res.lock().expect("state");
    let Some(m) = r.variant_metafields.get_mut(&(pid, vid)).and_then(|l| l.iter_mut().find(|m| m["id"] == json!(mid)))
    else {
        return problem(StatusCode::NOT_FOUND, "The requested resource was not found.");
    };
    if let (Some(m), Some(b)) = (m.as_object_mut(), body.as_object()) {
        for (k, v) in b {
            m.insert(k.clone(), v.clone());
        }
    }
    Json(json!({ "data": m.clone(), "meta": {} })).into_response()
}

async fn customers(AxState(s): AxState<Shared>, Query(q): Q) -> Response {
    let ids: Option<Vec<i64>> = q.get("id:in").map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect());
    let emails: Option<Vec<String>> = q.get("email:in").map(|v| v.split(',').map(|e| e.to_lowercase()).collect());
    let with_attrs = q.get("include").is_some_and(|i| i.split(',').any(|x| x == "attributes"));
    let items = s
        .res
        .lock()
        .expect("state")
        .customers
        .values()
        .filter(|c| ids.as_ref().is_none_or(|ids| c["id"].as_i64().is_some_and(|i| ids.contains(&i))))
        .filter(|c| {
            emails.as_ref().is_none_or(|es| c["email"].as_str().is_some_and(|e| es.contains(&e.to_lowercase())))
        })
        .map(|c| {
            let mut c = c.clone();
            if !with_attrs {
                if let Some(o) = c.as_object_mut() {
                    o.remove("attributes");
                }
            }
            c
        })
        .collect();
    v3_page(items, &q)
}

async fn customer_attributes(AxState(s): AxState<Shared>, Query(q): Q) -> Response {
    let items = s.res.lock().expect("state").customer_attributes.clone();
    v3_page(items, &q)
}

/// `GET /v3/hooks`, with the documented `is_active` and `scope` filters.
/// `POST /v3/customers/attributes`: an array of `{name, type}` (at most 50 per store, names
/// unique), answered with the created attributes.
async fn create_customer_attributes(AxState(s): AxState<Shared>, body: Bytes) -> Response {
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "the body must be an array of attributes");
    };
    let mut r = s.res.lock().expect("state");
    let mut created = Vec::new();
    for a in &items {
        let (Some(name), Some(kind)) = (a["name"].as_str(), a["type"].as_str()) else {
            return problem(StatusCode::UNPROCESSABLE_ENTITY, "name and type are required");
        };
        if r.customer_attributes.iter().any(|x| x["name"] == name) {
            return problem(StatusCode::UNPROCESSABLE_ENTITY, &format!("attribute {name:?} already exists"));
        }
        if r.customer_attributes.len() >= 50 {
            return problem(StatusCode::UNPROCESSABLE_ENTITY, "a store cannot have more than 50 customer attributes");
        }
        let id = r.id();
        let mut doc = crate::documented::customer_attribute(id, name);
        doc["type"] = json!(kind);
        r.customer_attributes.push(doc.clone());
        created.push(doc);
    }
    Json(json!({ "data": created, "meta": {} })).into_response()
}

async fn hooks(AxState(s): AxState<Shared>, Query(q): Q) -> Response {
    let active = q.get("is_active").map(|a| a == "true");
    let items = s
        .res
        .lock()
        .expect("state")
        .hooks
        .values()
        .filter(|h| active.is_none_or(|a| h["is_active"] == json!(a)))
        .filter(|h| q.get("scope").is_none_or(|sc| h["scope"] == json!(sc)))
        .cloned()
        .collect();
    v3_page(items, &q)
}

async fn create_hook(AxState(s): AxState<Shared>, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    for k in ["scope", "destination"] {
        if body.get(k).and_then(Value::as_str).is_none() {
            return problem(StatusCode::UNPROCESSABLE_ENTITY, &format!("{k} is required"));
        }
    }
    let mut r = s.res.lock().expect("state");
    let id = r.id();
    let hook = json!({
        "id": id,
        "client_id": "standin",
        "store_hash": "standin",
        "scope": body["scope"],
        "destination": body["destination"],
        "headers": body.get("headers").cloned().unwrap_or(Value::Null),
        "is_active": body.get("is_active").cloned().unwrap_or(json!(true)),
        "created_at": 1_793_491_200,
        "updated_at": 1_793_491_200,
    });
    r.hooks.insert(id, hook.clone());
    Json(json!({ "data": hook, "meta": {} })).into_response()
}

async fn update_hook(AxState(s): AxState<Shared>, Path((_, id)): Path<(String, i64)>, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    let mut r = s.res.lock().expect("state");
    let Some(h) = r.hooks.get_mut(&id) else {
        return problem(StatusCode::NOT_FOUND, "The requested resource was not found.");
    };
    if let (Some(h), Some(b)) = (h.as_object_mut(), body.as_object()) {
        for (k, v) in b {
            h.insert(k.clone(), v.clone());
        }
    }
    Json(json!({ "data": h.clone(), "meta": {} })).into_response()
}
