//! Reconcile: compares the ledger with the store, for what webhooks miss. BigCommerce retries a
//! failed delivery for about 48 hours and then deactivates the hook (and deactivates hooks idle
//! for 90 days), so a delivery can be lost for good. This lists every order modified since the
//! last reconcile's watermark (`GET /v2/orders?min_date_modified=…&sort=date_modified:asc`,
//! paged) and reconciles each through [`Sync::order`], the path the order webhooks take; and it
//! checks that every hook the engine needs exists and is active, re-enabling what it can.
//!
//! The watermark (collection `reconcile`, key `watermark`) only ever says "every order modified
//! before this instant is reconciled": it is written after each page, from the orders' own
//! `date_modified` (never from this machine's clock), so an interrupted run resumes where it
//! stopped and a repeated run changes nothing. The first run, with `since` at the start of the
//! history to bring in, is the back-fill of go-live.

use crate::commerce::Commerce;
use crate::{Outcome, Sync, SyncError};
use mlm_bigcommerce::api::{rfc2822_to_unix_nanos, Webhook, WebhookCreate, WebhookUpdate};
use mlm_bigcommerce::events::SCOPES;
use mlm_engine::period::Timestamp;
use mlm_ledger::port::{Store, StoreError};
use mlm_ledger::service::Applied;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Collection of the reconcile's own state.
pub const RECONCILE: &str = "reconcile";
const WATERMARK: &str = "watermark";
/// Each listing starts this much before the watermark, so orders sharing its second (whatever
/// the store's `min_date_modified` does at the boundary) are listed again; the ones already
/// reconciled in this run are skipped, the others are idempotent.
const OVERLAP_NANOS: i64 = 1_000_000_000;

/// The progress of reconciles so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    /// RFC 3339: every order modified before this instant has been reconciled.
    pub since: String,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Start here instead of at the stored watermark (the back-fill at go-live).
    pub since: Option<Timestamp>,
    /// The webhook destination (`https://…/webhooks/bigcommerce`): with it, missing hooks are
    /// created; without it, they can only be reported.
    pub destination: Option<String>,
    /// Orders per page (BigCommerce allows at most 250).
    pub page_size: u32,
    /// Pages read in one run at most; the next run continues from the watermark.
    pub max_pages: u32,
    /// No page is started after this (a Lambda's remaining time); the next run continues.
    pub deadline: Option<std::time::Instant>,
}

impl Default for Options {
    fn default() -> Options {
        Options { since: None, destination: None, page_size: 250, max_pages: 10_000, deadline: None }
    }
}

/// What the hook check found and did, by scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookCheck {
    pub active: Vec<String>,
    pub reenabled: Vec<String>,
    pub created: Vec<String>,
    /// Scopes left without an active hook, with why: these need someone.
    pub failed: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Where the listing started (RFC 3339).
    pub from: String,
    /// The watermark after the run.
    pub watermark: String,
    /// Orders listed and reconciled (an order listed twice, because it changed meanwhile,
    /// counts twice).
    pub reconciled: usize,
    /// Orders whose ledger state changed: the ones a webhook had missed.
    pub written: Vec<i64>,
    pub unchanged: usize,
    /// Orders parked, with the reason (like a webhook's: reprocessed when fixed).
    pub parked: Vec<(i64, String)>,
    pub skipped: usize,
    /// The run stopped at `max_pages` or its deadline; the next one continues.
    pub more: bool,
    pub hooks: HookCheck,
}

impl Report {
    /// Whether something is left that needs a person (alarm-worthy).
    pub fn needs_attention(&self) -> bool {
        !self.hooks.failed.is_empty()
    }
}

/// Progress, after each order.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub reconciled: usize,
    /// The `date_modified` of the order just reconciled.
    pub at: Option<Timestamp>,
    pub watermark: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(
        "no reconcile has run on this ledger yet: give the start of the history to bring in, e.g. \
         `mlm reconcile --since 2026-01-01T00:00:00Z` (the go-live back-fill)"
    )]
    NoWatermark,
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl From<mlm_bigcommerce::client::ApiError> for ReconcileError {
    fn from(e: mlm_bigcommerce::client::ApiError) -> ReconcileError {
        ReconcileError::Sync(e.into())
    }
}

impl From<StoreError> for ReconcileError {
    fn from(e: StoreError) -> ReconcileError {
        ReconcileError::Sync(e.into())
    }
}

impl<S: Store, C: Commerce> Sync<S, C> {
    /// The stored watermark, if a reconcile has run.
    pub async fn watermark(&self) -> Result<Option<Timestamp>, SyncError> {
        let Some(w) = self.get_doc::<Watermark>(RECONCILE, WATERMARK).await? else { return Ok(None) };
        let t = Timestamp::parse(&w.since)
            .map_err(|e| StoreError::Backend(format!("{RECONCILE}/{WATERMARK}: since: {e}")))?;
        Ok(Some(t))
    }

    /// Checks the hooks, then reconciles every order modified since the watermark (or
    /// `opts.since`). An error (the store or the ledger unreachable) leaves the watermark at the
    /// last page fully reconciled.
    pub async fn reconcile(
        &self,
        opts: &Options,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<Report, ReconcileError> {
        let start = match opts.since {
            Some(t) => t,
            None => self.watermark().await?.ok_or(ReconcileError::NoWatermark)?,
        };
        let hooks = self.check_hooks(opts.destination.as_deref()).await?;
        let limit = opts.page_size.clamp(1, 250);
        let mut since = start.0;
        let mut report = Report { from: start.to_rfc3339(), watermark: start.to_rfc3339(), hooks, ..Report::default() };
        // Orders reconciled in this run, at the `date_modified` they had: listed again in the
        // overlap, they are skipped. Pruned as the watermark moves, so it stays small.
        let mut seen: HashMap<i64, i64> = HashMap::new();
        let mut page = 1;
        for _ in 0..opts.max_pages.max(1) {
            if opts.deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                break;
            }
            let from = Timestamp(since.saturating_sub(OVERLAP_NANOS)).to_rfc3339();
            let orders = self.commerce.orders_modified_since(&from, page, limit).await?;
            let mut top = since;
            for o in &orders {
                let at = rfc2822_to_unix_nanos(&o.date_modified).ok();
                if at.is_some() && seen.get(&o.id) == at.as_ref() {
                    continue;
                }
                match self.order(o.id).await? {
                    Outcome::Order(Applied::Written { .. }) => report.written.push(o.id),
                    Outcome::Order(Applied::Unchanged) => report.unchanged += 1,
                    Outcome::Order(Applied::Parked(r)) | Outcome::Parked(r) => report.parked.push((o.id, r)),
                    _ => report.skipped += 1,
                }
                report.reconciled += 1;
                if let Some(t) = at {
                    seen.insert(o.id, t);
                    top = top.max(t);
                }
                progress(Progress {
                    reconciled: report.reconciled,
                    at: at.map(Timestamp),
                    watermark: &report.watermark,
                });
            }
            let full = orders.len() == limit as usize;
            if top > since {
                // Every order modified before `top` was on the pages read from `since` on.
                since = top;
                page = 1;
                seen.retain(|_, t| *t >= since - OVERLAP_NANOS);
                report.watermark = Timestamp(since).to_rfc3339();
                self.put_doc(RECONCILE, WATERMARK, &Watermark { since: report.watermark.clone() }).await?;
            } else {
                // A page with nothing later than the watermark (orders sharing one second).
                page += 1;
            }
            if !full {
                if opts.since.is_some() && self.watermark().await?.is_none() {
                    // A back-fill of an empty history still records where it started.
                    self.put_doc(RECONCILE, WATERMARK, &Watermark { since: report.watermark.clone() }).await?;
                }
                return Ok(report);
            }
        }
        report.more = true;
        tracing::warn!(watermark = %report.watermark, "reconcile stopped at its page or time limit; the next run continues");
        Ok(report)
    }

    /// Makes sure every scope the engine needs has an active hook: an inactive one (BigCommerce
    /// deactivates hooks whose deliveries keep failing, and idle ones) is re-enabled; a missing
    /// one is created when `destination` is known. What cannot be fixed is reported in
    /// `failed` and logged with `needs_attention` (the alarm's metric).
    pub async fn check_hooks(&self, destination: Option<&str>) -> Result<HookCheck, SyncError> {
        let mut check = HookCheck::default();
        let hooks = match self.commerce.hooks().await {
            Ok(h) => h,
            Err(e) => {
                let reason = format!("cannot list the store's webhooks: {e}");
                tracing::error!(needs_attention = 1, %reason, "webhook check failed");
                check.failed.push(("*".into(), reason));
                return Ok(check);
            }
        };
        for scope in SCOPES {
            let mine: Vec<&Webhook> =
                hooks.iter().filter(|h| h.scope == scope && destination.is_none_or(|d| h.destination == d)).collect();
            let outcome = if mine.iter().any(|h| h.is_active) {
                check.active.push(scope.into());
                continue;
            } else if let Some(h) = mine.first() {
                let update = WebhookUpdate { is_active: Some(true), ..Default::default() };
                match self.commerce.update_hook(h.id, &update).await {
                    Ok(after) if after.is_active => {
                        tracing::warn!(scope, hook = h.id, "webhook was inactive; re-enabled");
                        check.reenabled.push(scope.into());
                        continue;
                    }
                    Ok(_) => format!("hook {} stays inactive after re-enabling", h.id),
                    Err(e) => format!("hook {} could not be re-enabled: {e}", h.id),
                }
            } else if let Some(d) = destination {
                let create =
                    WebhookCreate { scope: scope.into(), destination: d.into(), is_active: Some(true), headers: None };
                match self.commerce.create_hook(&create).await {
                    Ok(_) => {
                        tracing::warn!(scope, "webhook was missing; created");
                        check.created.push(scope.into());
                        continue;
                    }
                    Err(e) => format!("no hook, and creating one failed: {e}"),
                }
            } else {
                "no hook; run `mlm register-webhooks --destination URL` (or set MLM_WEBHOOK_DESTINATION so \
                 reconcile creates it)"
                    .to_string()
            };
            tracing::error!(needs_attention = 1, scope, reason = %outcome, "webhook not active");
            check.failed.push((scope.into(), outcome));
        }
        Ok(check)
    }
}
