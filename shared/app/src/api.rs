//! The dashboard's API (documented in `openapi.yaml`, which the tests hold every response to)
//! and the page that uses it:
//! - `/api/distributors/{id}/…`: a distributor's own figures, lines, payouts, customers and
//!   downline; a distributor may read only its own id, an admin any;
//! - `/api/admin/…`: plans, mappings, placement, holds, compliance, closing, payouts, parked
//!   events and duplicates, for the `admin` group only;
//! - `GET /` the page, `GET /openapi.yaml` the contract.
//!
//! Figures come from the standings published at each close and daily refresh
//! ([`crate::standing`]), with the open period's PV and BV read live, so an order shows at once.

use crate::auth::{Auth, Denied, GatewayClaims, Identity};
use crate::schedule::{self, payouts_of, Hold, PayoutSink, TickError, HOLDS, PAYOUTS_QUEUED, WITHHELD};
use crate::standing::{self, Compliance, Standing, COMPLIANCE};
use crate::SharedSync;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use mlm_engine::period::{Period, Timestamp};
use mlm_engine::{Format, Plan};
use mlm_ledger::model::{DistributorRecord, Mapping, StoredLine};
use mlm_ledger::port::StoreError;
use mlm_ledger::service::LedgerError;
use mlm_sync::catalog::Volumes;
use mlm_sync::orders::Reprocess;
use mlm_sync::SyncError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// The page (no build step: one file of HTML, CSS and JavaScript).
pub const PAGE: &str = include_str!("../web/index.html");
/// The API's contract.
pub const OPENAPI: &str = include_str!("../openapi.yaml");

/// Any other path under `/api`: a JSON 404 with the reason (not in the contract: no route).
const UNKNOWN_API_ROUTE: &str = "/api/{*rest}";

#[derive(Clone)]
pub struct ApiState {
    pub sync: Arc<SharedSync>,
    pub auth: Arc<Auth>,
    pub payouts: Arc<dyn PayoutSink>,
    /// Unix seconds.
    pub now: Arc<dyn Fn() -> i64 + Send + Sync>,
}

/// The caller, as the authentication middleware found it (refusals are answered by the routes
/// that need an identity, so the public routes share the router).
#[derive(Clone)]
pub(crate) struct Caller(Result<Identity, Denied>);

pub fn api_router(state: ApiState) -> Router {
    let api = Router::new()
        .route("/api/session", get(session))
        .route("/api/distributors/{id}", get(summary))
        .route("/api/distributors/{id}/periods", get(periods))
        .route("/api/distributors/{id}/lines", get(lines))
        .route("/api/distributors/{id}/payouts", get(payouts))
        .route("/api/distributors/{id}/customers", get(customers))
        .route("/api/distributors/{id}/downline", get(downline))
        .route("/api/admin/plans", get(plans).post(add_plan))
        .route("/api/admin/plans/validate", post(validate_plan))
        .route("/api/admin/mappings", get(mappings))
        .route("/api/admin/mappings/{sku}", put(set_mapping))
        .route("/api/admin/distributors", post(place))
        .route("/api/admin/distributors/{id}/hold", put(hold).delete(release))
        .route("/api/admin/compliance", get(compliance))
        .route("/api/admin/periods/{period}/close", post(close))
        .route("/api/admin/payouts.csv", get(payouts_csv))
        .route("/api/admin/parked", get(parked))
        .route("/api/admin/parked/reprocess", post(reprocess))
        .route("/api/admin/parked/book", post(book_parked))
        .route("/api/admin/parked/dismiss", post(dismiss_parked))
        .route("/api/admin/unattributed", get(unattributed))
        .route("/api/admin/duplicates", get(duplicates))
        .route("/api/admin/duplicates/{customer}/merge", post(merge))
        .merge(crate::adjustments::routes())
        // The admin console's routes, one file per resource.
        .merge(crate::console::routes())
        .route(
            UNKNOWN_API_ROUTE,
            axum::routing::any(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") }),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state);
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/openapi.yaml", get(|| async { ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI) }))
        .merge(api)
}

async fn authenticate(State(s): State<ApiState>, mut req: Request, next: Next) -> Response {
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let caller = s.auth.identify(authorization.as_deref(), req.extensions().get::<GatewayClaims>(), (s.now)());
    if let Err(e) = &caller {
        tracing::info!(reason = %e, path = %req.uri().path(), "request not authenticated");
    }
    req.extensions_mut().insert(Caller(caller));
    next.run(req).await
}

impl Caller {
    pub(crate) fn identity(&self) -> Result<&Identity, ApiError> {
        self.0.as_ref().map_err(|e| ApiError::from(e.clone()))
    }
    pub(crate) fn reader_of(&self, id: &str) -> Result<&Identity, ApiError> {
        let who = self.identity()?;
        who.may_read(id).map_err(|e| {
            tracing::warn!(caller = %who.who(), target = id, "read of another distributor refused");
            ApiError::from(e)
        })?;
        Ok(who)
    }
    pub(crate) fn admin(&self) -> Result<&Identity, ApiError> {
        let who = self.identity()?;
        who.must_be_admin()?;
        Ok(who)
    }
}

/// An error answer: `{"error": reason, "errors": [{"field", "message"}]}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    errors: Vec<FieldError>,
}

#[derive(Debug, Serialize)]
struct FieldError {
    field: String,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), errors: Vec::new() }
    }
    fn invalid(errors: mlm_engine::InputErrors) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: errors.to_string(),
            errors: errors.0.into_iter().map(|e| FieldError { field: e.path, message: e.message }).collect(),
        }
    }
    pub(crate) fn field(status: StatusCode, field: &str, message: impl Into<String>) -> ApiError {
        // `error` names the field too, so a client that shows only `error` still says where.
        let message = message.into();
        ApiError {
            status,
            message: format!("{field}: {message}"),
            errors: vec![FieldError { field: field.into(), message }],
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), error = %self.message, "request failed");
        }
        (self.status, Json(json!({ "error": self.message, "errors": self.errors }))).into_response()
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> ApiError {
        match d {
            Denied::Unauthenticated(m) => ApiError::new(StatusCode::UNAUTHORIZED, m),
            Denied::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> ApiError {
        match e {
            LedgerError::Invalid(errors) => ApiError::invalid(errors),
            LedgerError::NoPlan => ApiError::new(StatusCode::CONFLICT, "no plan has been set"),
            e @ LedgerError::NotEnded { .. } => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            e => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> ApiError {
        match e {
            SyncError::Ledger(e) => e.into(),
            SyncError::Api(e) => ApiError::new(StatusCode::BAD_GATEWAY, format!("BigCommerce: {e}")),
        }
    }
}

impl From<TickError> for ApiError {
    fn from(e: TickError) -> ApiError {
        match e {
            TickError::Ledger(e) => e.into(),
            e => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        }
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// A published standing document (a stored one that does not parse is the server's fault).
fn parse_standing(text: String) -> ApiResult<Standing> {
    serde_json::from_str(&text).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

impl ApiState {
    pub(crate) fn ledger(&self) -> &mlm_ledger::service::Ledger<Arc<dyn mlm_ledger::port::Store>> {
        &self.sync.ledger
    }
    pub(crate) fn now(&self) -> Timestamp {
        Timestamp((self.now)() * 1_000_000_000)
    }
    pub(crate) async fn distributor(&self, id: &str) -> ApiResult<DistributorRecord> {
        self.ledger()
            .store
            .distributor(id)
            .await?
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no distributor {id:?}")))
    }
    /// The standing of `period`, else the latest published.
    pub(crate) async fn standing(&self, id: &str, period: Option<&str>) -> ApiResult<Option<Standing>> {
        let store = &self.ledger().store;
        let text = match period {
            Some(p) => store.doc(&standing::collection(id), p).await?,
            None => store.docs(&standing::collection(id)).await?.pop().map(|(_, t)| t),
        };
        text.map(parse_standing).transpose()
    }
    /// Several distributors' standings of one period, in one batched read.
    pub(crate) async fn standings(&self, ids: &[String], period: &str) -> ApiResult<Vec<Option<Standing>>> {
        let keys: Vec<(String, String)> = ids.iter().map(|id| (standing::collection(id), period.to_string())).collect();
        let texts = self.ledger().store.docs_at(&keys).await?;
        texts.into_iter().map(|t| t.map(parse_standing).transpose()).collect()
    }
    pub(crate) async fn doc<T: serde::de::DeserializeOwned>(
        &self,
        collection: &str,
        key: &str,
    ) -> ApiResult<Option<T>> {
        self.ledger()
            .store
            .doc(collection, key)
            .await?
            .map(|t| {
                serde_json::from_str(&t).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
            })
            .transpose()
    }
}

#[derive(Deserialize)]
struct PeriodQuery {
    period: Option<String>,
}

async fn session(State(_): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<Identity>> {
    Ok(Json(c.identity()?.clone()))
}

#[derive(Serialize)]
struct Summary {
    id: String,
    sponsor: Option<String>,
    joined_at: String,
    email: Option<String>,
    currency: String,
    hold: Option<Hold>,
    /// The open period's volumes as of now (every order counted as it arrives).
    current: Live,
    /// Published figures of `?period=`, else the latest (ranks, GV, positions, earnings).
    standing: Option<Standing>,
}

#[derive(Serialize)]
struct Live {
    period: String,
    pv: Decimal,
    bv: Decimal,
}

async fn summary(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<Summary>> {
    c.reader_of(&id)?;
    let d = s.distributor(&id).await?;
    let period = period_param(&s, q.period.as_deref()).await?;
    let plan = s.ledger().plan().await?;
    let open = Period::of(plan.period, s.now()).to_string();
    let live = s.ledger().store.aggregates(&open, std::slice::from_ref(&id)).await?.pop().unwrap_or_default();
    Ok(Json(Summary {
        sponsor: d.sponsor,
        joined_at: Timestamp(d.joined_at).to_rfc3339(),
        email: d.email,
        currency: plan.currency,
        hold: s.doc(HOLDS, &id).await?,
        current: Live { period: open, pv: live.pv, bv: live.bv },
        standing: s.standing(&id, period.as_deref()).await?,
        id,
    }))
}

#[derive(Serialize)]
struct PeriodRow {
    period: String,
    #[serde(rename = "final")]
    closed: bool,
    pv: Decimal,
    bv: Decimal,
    gv: Decimal,
    rank: Option<String>,
    /// Every line of the period: payable and held.
    earned: Decimal,
    payable: Decimal,
    held: Decimal,
    payout: Decimal,
}

async fn periods(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    c.reader_of(&id)?;
    s.distributor(&id).await?;
    let mut rows = Vec::new();
    for (_, text) in s.ledger().store.docs(&standing::collection(&id)).await? {
        let st: Standing =
            serde_json::from_str(&text).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        rows.push(PeriodRow {
            earned: st.earnings.payable + st.earnings.held,
            payable: st.earnings.payable,
            held: st.earnings.held,
            period: st.period,
            closed: st.closed,
            pv: st.pv,
            bv: st.bv,
            gv: st.gv,
            rank: st.rank,
            payout: st.payout,
        });
    }
    Ok(Json(json!({ "currency": s.ledger().plan().await?.currency, "periods": rows })))
}

#[derive(Serialize)]
struct LineOut {
    kind: String,
    of: Option<String>,
    order: Option<i64>,
    level: Option<u16>,
    base: Decimal,
    rate: Decimal,
    amount: Decimal,
    status: String,
    plan: String,
    #[serde(rename = "final")]
    closed: bool,
    explanation: String,
    /// What the line comes from beyond order and level: the matched distributor (matching),
    /// the rank (rank_bonus), the pool (pool), the adjustment id (adjustment).
    #[serde(rename = "ref")]
    r#ref: Option<String>,
}

/// One sentence per line: what it pays, on what, at which rate, under which plan.
pub fn explain(l: &StoredLine, currency: &str) -> String {
    let pct = (l.rate * Decimal::ONE_HUNDRED).normalize();
    let order = l.order.map_or(String::new(), |o| format!(" on order {o}"));
    let level = l.level.map_or(String::new(), |v| format!(" level {v}"));
    let what = match (l.kind.as_str(), l.of.as_deref()) {
        ("retail", _) => format!("Retail commission{order}: {pct}% of net sales {}", l.base),
        ("binary", _) => format!("Binary commission: {pct}% of paired volume {}", l.base),
        ("clawback", Some("retail")) => {
            format!("Clawback of the retail commission{order} (refunded): {pct}% of net sales {}", l.base)
        }
        ("clawback", Some(of)) => {
            format!("Clawback of the {of}{level} commission{order} (refunded): {pct}% of BV {}", l.base)
        }
        ("fast_start", _) => format!("Fast-start bonus{level}{order}: {pct}% of BV {}", l.base),
        ("matching", _) => format!(
            "Matching bonus generation {}: {pct}% of what {} earned in matched commissions ({})",
            l.level.unwrap_or(0),
            l.r#ref.as_deref().unwrap_or("?"),
            l.base
        ),
        ("rank_bonus", _) => {
            format!("Rank advancement bonus for reaching {} for the first time", l.r#ref.as_deref().unwrap_or("?"))
        }
        ("pool", _) => format!("Share of the {} pool of {} {currency}", l.r#ref.as_deref().unwrap_or("?"), l.base),
        ("adjustment", _) => format!("Manual adjustment {}", l.r#ref.as_deref().unwrap_or("?")),
        (kind, _) => format!("{}{level} commission{order}: {pct}% of BV {}", capitalize(kind), l.base),
    };
    let mut s = format!("{what} = {} {currency} ({})", l.amount, l.plan);
    if l.status == "held" {
        s.push_str("; held: the retail sales ratio is below the plan's minimum");
    }
    if !l.fin {
        s.push_str("; provisional until the period closes");
    }
    s
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().collect::<String>() + c.as_str())
}

async fn lines(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<Value>> {
    c.reader_of(&id)?;
    s.distributor(&id).await?;
    let plan = s.ledger().plan().await?;
    let period = match q.period {
        Some(p) => Period::parse(plan.period, &p)
            .map_err(|m| ApiError::field(StatusCode::BAD_REQUEST, "period", m))?
            .to_string(),
        None => Period::of(plan.period, s.now()).to_string(),
    };
    let out: Vec<LineOut> = s
        .ledger()
        .store
        .lines(&period, &id)
        .await?
        .into_iter()
        .map(|l| LineOut {
            explanation: explain(&l, &plan.currency),
            r#ref: l.r#ref,
            kind: l.kind,
            of: l.of,
            order: l.order,
            level: l.level,
            base: l.base,
            rate: l.rate,
            amount: l.amount,
            status: l.status,
            plan: l.plan,
            closed: l.fin,
        })
        .collect();
    let total: Decimal = out.iter().map(|l| l.amount).sum();
    Ok(Json(json!({ "period": period, "currency": plan.currency, "total": total, "lines": out })))
}

async fn payouts(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    c.reader_of(&id)?;
    s.distributor(&id).await?;
    let mut rows = Vec::new();
    let mut balance = Decimal::ZERO;
    for (_, text) in s.ledger().store.docs(&standing::collection(&id)).await? {
        let st: Standing =
            serde_json::from_str(&text).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        if !st.closed {
            continue;
        }
        balance = st.balance_out;
        if st.payout > Decimal::ZERO {
            let status = if s.ledger().store.doc(WITHHELD, &format!("{}#{id}", st.period)).await?.is_some() {
                "withheld"
            } else if s.ledger().store.doc(PAYOUTS_QUEUED, &st.period).await?.is_some() {
                "queued"
            } else {
                "pending"
            };
            rows.push(json!({ "period": st.period, "amount": st.payout, "status": status }));
        }
    }
    let hold: Option<Hold> = s.doc(HOLDS, &id).await?;
    Ok(Json(json!({
        "currency": s.ledger().plan().await?.currency,
        "balance": balance,
        "hold": hold,
        "payouts": rows,
    })))
}

async fn customers(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    c.reader_of(&id)?;
    s.distributor(&id).await?;
    let mine: Vec<Value> = s
        .ledger()
        .store
        .customers()
        .await?
        .into_iter()
        .filter(|c| c.referrer.as_deref() == Some(id.as_str()))
        .map(|c| json!({ "id": c.id }))
        .collect();
    Ok(Json(json!({ "customers": mine })))
}

/// Numbers arrive as text and are checked here, so a bad one gets this API's error naming it.
#[derive(Deserialize)]
struct DownlineQuery {
    period: Option<String>,
    depth: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub(crate) fn number<T>(field: &str, v: Option<&str>, default: T, range: std::ops::RangeInclusive<T>) -> ApiResult<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let bad =
        || ApiError::field(StatusCode::BAD_REQUEST, field, format!("must be {} to {}", range.start(), range.end()));
    let n = match v {
        None => default,
        Some(t) => t.parse().map_err(|_| bad())?,
    };
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(bad())
    }
}

/// `?period=`, checked against the plan's kind of period.
pub(crate) async fn period_param(s: &ApiState, p: Option<&str>) -> ApiResult<Option<String>> {
    match p {
        None => Ok(None),
        Some(p) => {
            let plan = s.ledger().plan().await?;
            Period::parse(plan.period, p)
                .map(|p| Some(p.to_string()))
                .map_err(|m| ApiError::field(StatusCode::BAD_REQUEST, "period", m))
        }
    }
}

/// Most levels and members one downline request returns.
const MAX_DEPTH: u32 = 10;
const MAX_LIMIT: usize = 200;

async fn downline(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<DownlineQuery>,
) -> ApiResult<Json<Value>> {
    c.reader_of(&id)?;
    s.distributor(&id).await?;
    let depth = number("depth", q.depth.as_deref(), 1, 1..=MAX_DEPTH)?;
    let limit = number("limit", q.limit.as_deref(), 50, 1..=MAX_LIMIT)?;
    // A cursor is an offset this API gave: a number, and not so large that the page's end overflows.
    let skip = match q.cursor.as_deref() {
        None => Some(0),
        Some(c) => c.parse::<usize>().ok().filter(|skip| skip.checked_add(limit).is_some()),
    };
    let skip = skip.ok_or_else(|| ApiError::field(StatusCode::BAD_REQUEST, "cursor", "not a cursor this API gave"))?;
    let end = skip + limit;
    let period = period_param(&s, q.period.as_deref()).await?;
    let Some(root) = s.standing(&id, period.as_deref()).await? else {
        return Ok(Json(json!({ "period": period, "root": id, "depth": depth, "members": [], "next_cursor": null })));
    };
    // Breadth first, in enrollment order within a sponsor: a stable order for the cursor. One
    // level at a time, its standings read in one batch.
    let mut level_members: Vec<(String, String)> = root.sponsored.iter().map(|m| (m.clone(), id.clone())).collect();
    let (mut level, mut seen) = (1u32, 0usize);
    let mut members = Vec::new();
    let mut next_cursor = None;
    while !level_members.is_empty() {
        if seen >= end {
            next_cursor = Some(end.to_string());
            break;
        }
        let len = level_members.len();
        let (lo, hi) = (skip.saturating_sub(seen).min(len), (end - seen).min(len));
        // The page's part of this level; the whole level when the page goes on to its children.
        let descend = level < depth && hi == len;
        let read = if descend { 0..len } else { lo..hi };
        let ids: Vec<String> = level_members[read.clone()].iter().map(|(m, _)| m.clone()).collect();
        let standings = s.standings(&ids, &root.period).await?;
        let mut next = Vec::new();
        if descend {
            for ((m, _), st) in level_members.iter().zip(&standings) {
                next.extend(st.iter().flat_map(|st| st.sponsored.iter().map(|c| (c.clone(), m.clone()))));
            }
        }
        for ((m, sponsor), st) in level_members[lo..hi].iter().zip(&standings[lo - read.start..]) {
            // A summary only: a distributor sees its downline's volume and rank, not their pay.
            members.push(match st {
                Some(st) => json!({
                    "id": m, "sponsor": sponsor, "level": level, "pv": st.pv, "gv": st.gv,
                    "rank": st.rank, "active": st.active, "sponsored": st.sponsored.len(),
                }),
                None => json!({
                    "id": m, "sponsor": sponsor, "level": level, "pv": "0", "gv": "0",
                    "rank": null, "active": false, "sponsored": 0,
                }),
            });
        }
        if hi < len {
            next_cursor = Some(end.to_string());
            break;
        }
        seen += len;
        level += 1;
        level_members = next;
    }
    Ok(Json(json!({
        "period": root.period, "root": id, "depth": depth, "members": members, "next_cursor": next_cursor,
    })))
}

// ---- Admin ----

async fn plans(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    c.admin()?;
    let versions: Vec<Value> = s
        .ledger()
        .store
        .plans()
        .await?
        .into_iter()
        .map(|v| {
            let label = Plan::from_text(&v.text, Format::Yaml, "").map(|p| p.label()).unwrap_or_default();
            json!({ "version": v.version, "effective": v.effective, "label": label, "text": v.text })
        })
        .collect();
    Ok(Json(json!({ "versions": versions })))
}

/// Parses a plan and checks it as a successor of the plan in force (errors name the key).
async fn check_plan(s: &ApiState, text: &str) -> ApiResult<Plan> {
    let plan = Plan::from_text(text, Format::Yaml, "").map_err(ApiError::invalid)?;
    if let Some(last) = s.ledger().store.plans().await?.last() {
        let current = Plan::from_text(&last.text, Format::Yaml, "").map_err(ApiError::invalid)?;
        current.check_successor(&plan).map_err(ApiError::invalid)?;
    }
    Ok(plan)
}

async fn validate_plan(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    body: String,
) -> ApiResult<Json<Value>> {
    c.admin()?;
    let plan = check_plan(&s, &body).await?;
    Ok(Json(json!({ "valid": true, "label": plan.label() })))
}

#[derive(Deserialize)]
struct EffectiveQuery {
    effective: Option<String>,
}

async fn add_plan(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<EffectiveQuery>,
    body: String,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let who = c.admin()?;
    check_plan(&s, &body).await?;
    let plan = s.ledger().set_plan(&body, q.effective.as_deref()).await?;
    tracing::info!(plan = %plan.label(), effective = ?q.effective, by = %who.who(), "plan version added");
    let versions = s.ledger().store.plans().await?;
    let effective = versions.last().and_then(|v| v.effective.clone());
    Ok((StatusCode::CREATED, Json(json!({ "version": plan.version, "label": plan.label(), "effective": effective }))))
}

async fn mappings(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    c.admin()?;
    Ok(Json(json!({ "mappings": s.ledger().store.mappings().await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VolumesBody {
    bv: Option<Decimal>,
    bv_rate: Option<Decimal>,
    pv: Option<Decimal>,
}

async fn set_mapping(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(sku): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Mapping>> {
    let who = c.admin()?;
    let v: VolumesBody = json_body(&body)?;
    if v.bv.is_none() && v.bv_rate.is_none() && v.pv.is_none() {
        // `{}` would otherwise clear the SKU's volumes.
        return Err(ApiError::field(StatusCode::BAD_REQUEST, "body", "names none of bv, bv_rate, pv: nothing to set"));
    }
    let volumes = Volumes { bv: v.bv, bv_rate: v.bv_rate, pv: v.pv };
    // Written to the store's variant metafields, then read back: both sides agree.
    if let Err(m) = s.sync.set_volumes(&sku, &volumes).await? {
        let status =
            if m.contains("is not a variant") { StatusCode::NOT_FOUND } else { StatusCode::UNPROCESSABLE_ENTITY };
        return Err(ApiError::new(status, m));
    }
    tracing::info!(%sku, by = %who.who(), "volumes set");
    let m = s.ledger().store.mappings().await?.into_iter().find(|m| m.sku == sku);
    m.map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{sku}: not mapped after the write")))
}

/// Distributor ids given through the API: 1 to [`MAX_ID_LEN`] characters of `A`–`Z`, `a`–`z`,
/// `0`–`9`, `.`, `_`, `-`.
pub const MAX_ID_LEN: usize = 64;

fn check_id(field: &str, id: &str) -> ApiResult<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            field,
            format!("must be 1 to {MAX_ID_LEN} characters of A-Z, a-z, 0-9, '.', '_', '-'"),
        ))
    }
}

pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    mlm_engine::json::from_slice(body).map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, &e.field, e.message))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceBody {
    id: String,
    sponsor: String,
    email: Option<String>,
    placement: Option<PlacementBody>,
    joined_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacementBody {
    parent: String,
    leg: String,
}

async fn place(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let who = c.admin()?;
    let b: PlaceBody = json_body(&body)?;
    check_id("id", &b.id)?;
    check_id("sponsor", &b.sponsor)?;
    if let Some(p) = &b.placement {
        check_id("placement.parent", &p.parent)?;
    }
    if let Some(p) = &b.placement {
        if p.leg != "left" && p.leg != "right" {
            return Err(ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "placement.leg", "must be left or right"));
        }
    }
    let joined_at = match &b.joined_at {
        Some(t) => {
            Timestamp::parse(t).map_err(|m| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "joined_at", m))?
        }
        None => s.now(),
    };
    let record = DistributorRecord {
        id: b.id.clone(),
        sponsor: Some(b.sponsor),
        joined_at: joined_at.0,
        email: b.email,
        bigcommerce_customer_id: None,
        placement: b.placement.map(|p| (p.parent, p.leg)),
        upline: Vec::new(),
        matrix_upline: Vec::new(),
    };
    // Errors name `distributors[0].<field>`: the body is that one record.
    s.ledger().enroll(&[record]).await.map_err(|e| match e {
        LedgerError::Invalid(mut errors) => {
            for e in &mut errors.0 {
                e.path = e.path.trim_start_matches("distributors[0].").to_string();
            }
            ApiError::invalid(errors)
        }
        LedgerError::Store(StoreError::Exists(what)) => {
            ApiError::new(StatusCode::CONFLICT, format!("{what} already exists"))
        }
        e => e.into(),
    })?;
    tracing::info!(id = %b.id, by = %who.who(), "distributor placed");
    let d = s.distributor(&b.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": d.id,
            "sponsor": d.sponsor,
            "email": d.email,
            "joined_at": Timestamp(d.joined_at).to_rfc3339(),
            "placement": d.placement.map(|(parent, leg)| json!({ "parent": parent, "leg": leg })),
            "upline": d.upline,
            "matrix_upline": d.matrix_upline,
        })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldBody {
    reason: String,
}

async fn hold(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Hold>> {
    let who = c.admin()?;
    let b: HoldBody = json_body(&body)?;
    if b.reason.trim().is_empty() {
        return Err(ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "reason", "a hold needs a reason"));
    }
    if b.reason.chars().count() > 1000 {
        return Err(ApiError::field(StatusCode::BAD_REQUEST, "reason", "must be at most 1000 characters"));
    }
    s.distributor(&id).await?;
    let h = Hold { reason: b.reason, since: s.now().to_rfc3339(), by: who.who() };
    s.ledger().store.put_doc(HOLDS, &id, &serde_json::to_string(&h).expect("holds serialize")).await?;
    tracing::info!(%id, by = %h.by, reason = %h.reason, "payouts held");
    Ok(Json(h))
}

async fn release(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let who = c.admin()?;
    if s.doc::<Hold>(HOLDS, &id).await?.is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, format!("distributor {id:?} has no hold")));
    }
    let released = schedule::release(s.ledger(), s.payouts.as_ref(), &id).await?;
    tracing::info!(%id, by = %who.who(), payouts = released.len(), "hold released");
    Ok(Json(json!({ "released": released })))
}

async fn compliance(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<Compliance>> {
    c.admin()?;
    let store = &s.ledger().store;
    let text = match &period_param(&s, q.period.as_deref()).await? {
        Some(p) => store.doc(COMPLIANCE, p).await?,
        None => store.docs(COMPLIANCE).await?.pop().map(|(_, t)| t),
    };
    let text = text.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no compliance report yet: it is published at each close and daily refresh",
        )
    })?;
    Ok(Json(serde_json::from_str(&text).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?))
}

async fn close(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(period): Path<String>,
) -> ApiResult<Json<Value>> {
    let who = c.admin()?;
    let plan = s.ledger().plan().await?;
    Period::parse(plan.period, &period).map_err(|m| ApiError::field(StatusCode::BAD_REQUEST, "period", m))?;
    let closed = s.ledger().close_ended(&period, s.now()).await?;
    let queued = schedule::settle(s.ledger(), s.payouts.as_ref(), s.now()).await?;
    tracing::info!(%period, ?closed, payouts = queued, by = %who.who(), "closed by an admin");
    Ok(Json(json!({ "closed": closed, "payouts": queued })))
}

async fn payouts_csv(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Response> {
    c.admin()?;
    let store = &s.ledger().store;
    let closed = store.closed_periods().await?;
    let periods: Vec<String> = match &period_param(&s, q.period.as_deref()).await? {
        Some(p) if closed.contains(p) => vec![p.clone()],
        Some(p) => return Err(ApiError::field(StatusCode::NOT_FOUND, "period", format!("{p} is not closed"))),
        None => closed,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    w.write_record(["period", "distributor", "amount", "currency", "status"]).map_err(csv_err)?;
    let withheld: HashSet<String> = store.docs(WITHHELD).await?.into_iter().map(|(k, _)| k).collect();
    for p in periods {
        let statement = s.ledger().statement(&p).await?.unwrap_or_default();
        let queued = store.doc(PAYOUTS_QUEUED, &p).await?.is_some();
        for pay in payouts_of(&statement).map_err(|m| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, m))? {
            let status = if withheld.contains(&format!("{}#{}", pay.period, pay.distributor)) {
                "withheld"
            } else if queued {
                "queued"
            } else {
                "pending"
            };
            w.write_record([pay.period.as_str(), &pay.distributor, &pay.amount.to_string(), &pay.currency, status])
                .map_err(csv_err)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response())
}

async fn parked(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    c.admin()?;
    Ok(Json(json!({ "parked": s.ledger().store.parked().await? })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReprocessBody {
    key: Option<String>,
    unmapped_only: Option<bool>,
}

async fn reprocess(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let who = c.admin()?;
    let b: ReprocessBody = if body.is_empty() { ReprocessBody::default() } else { json_body(&body)? };
    let which = match (b.key, b.unmapped_only.unwrap_or(false)) {
        (Some(k), _) => Reprocess::Key(k),
        (None, true) => Reprocess::Unmapped,
        (None, false) => Reprocess::All,
    };
    let tried = s.sync.reprocess_parked(which).await?;
    let still = s.ledger().store.parked().await?.len();
    tracing::info!(tried, still_parked = still, by = %who.who(), "parked entries reprocessed");
    Ok(Json(json!({ "reprocessed": tried, "still_parked": still })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParkedKey {
    key: String,
}

fn parked_key(body: &[u8]) -> ApiResult<String> {
    let b: ParkedKey = json_body(body)?;
    if b.key.is_empty() || b.key.len() > 200 {
        return Err(ApiError::field(StatusCode::BAD_REQUEST, "key", "a parked entry's key, 1 to 200 characters"));
    }
    Ok(b.key)
}

async fn book_parked(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let who = c.admin()?;
    let key = parked_key(&body)?;
    match s.ledger().book_parked(&key, &who.who(), &s.now().to_rfc3339()).await? {
        Ok(applied) => {
            let outcome = match applied {
                mlm_ledger::Applied::Written { .. } => "written".to_string(),
                mlm_ledger::Applied::Unchanged => "unchanged".to_string(),
                mlm_ledger::Applied::Parked(r) => format!("parked: {r}"),
                mlm_ledger::Applied::Stale(r) => format!("stale: {r}"),
            };
            Ok(Json(json!({ "key": key, "outcome": outcome })))
        }
        Err(m) => Err(ApiError::new(StatusCode::NOT_FOUND, m)),
    }
}

async fn dismiss_parked(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let who = c.admin()?;
    let key = parked_key(&body)?;
    match s.ledger().dismiss_parked(&key, &who.who(), &s.now().to_rfc3339()).await? {
        Ok(d) => Ok(Json(serde_json::to_value(d).expect("dismissals serialize"))),
        Err(m) => Err(ApiError::new(StatusCode::NOT_FOUND, m)),
    }
}

async fn unattributed(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    c.admin()?;
    Ok(Json(json!({ "unattributed": s.sync.unattributed().await? })))
}

async fn duplicates(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    c.admin()?;
    Ok(Json(json!({ "duplicates": s.sync.duplicates().await? })))
}

async fn merge(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(customer): Path<String>,
) -> ApiResult<Json<Value>> {
    let who = c.admin()?;
    let id: i64 = customer
        .parse()
        .map_err(|_| ApiError::field(StatusCode::BAD_REQUEST, "customer", "a BigCommerce customer id (a number)"))?;
    match s.sync.merge_duplicate(id, &who.who(), &s.now().to_rfc3339()).await? {
        Ok(m) => Ok(Json(serde_json::to_value(m).expect("merges serialize"))),
        Err(m) => Err(ApiError::new(StatusCode::NOT_FOUND, m)),
    }
}
