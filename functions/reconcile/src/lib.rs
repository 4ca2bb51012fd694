//! reconcile: its own EventBridge schedule (hourly). Lists the orders BigCommerce modified since
//! the watermark and reconciles each as its webhook would (`mlm_sync::reconcile`), so a delivery
//! BigCommerce gave up on is still counted, and checks the store's hooks (re-enabling inactive
//! ones, creating missing ones at `MLM_WEBHOOK_DESTINATION`). A hook it cannot fix fails the
//! invocation, which fires the function's errors alarm; the orders are reconciled regardless.
//! Until `mlm reconcile --since` has run once (the go-live back-fill) there is no watermark and
//! the run does nothing but check the hooks.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use mlm_ledger::port::Store;
use mlm_sync::commerce::Commerce;
use mlm_sync::reconcile::{Options, ReconcileError};
use mlm_sync::Sync;
use serde_json::{json, Value};
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum Failed {
    #[error(transparent)]
    Reconcile(#[from] ReconcileError),
    #[error("webhooks need attention: {0}")]
    Hooks(String),
}

/// One run; answers what it did. `deadline`: no page is started after it.
pub async fn handler<S: Store, C: Commerce>(
    sync: &Sync<S, C>,
    destination: Option<&str>,
    deadline: Option<Instant>,
    _event: EventBridgeEvent,
) -> Result<Value, Failed> {
    let opts = Options { destination: destination.map(str::to_string), deadline, ..Options::default() };
    if sync.watermark().await.map_err(ReconcileError::from)?.is_none() {
        let hooks = sync.check_hooks(opts.destination.as_deref()).await.map_err(ReconcileError::from)?;
        tracing::warn!("no watermark yet: run `mlm reconcile --since <go-live>` once; only the hooks were checked");
        return finish(json!({ "watermark": null, "reconciled": 0 }), &hooks);
    }
    let r = sync.reconcile(&opts, &mut |_| {}).await?;
    tracing::info!(
        from = %r.from, watermark = %r.watermark, reconciled = r.reconciled, missed = r.written.len(),
        parked = r.parked.len(), more = r.more, "reconcile done"
    );
    let summary = json!({
        "from": r.from, "watermark": r.watermark, "reconciled": r.reconciled, "missed": r.written,
        "parked": r.parked.len(), "more": r.more,
    });
    finish(summary, &r.hooks)
}

fn finish(mut summary: Value, hooks: &mlm_sync::reconcile::HookCheck) -> Result<Value, Failed> {
    summary["hooks"] = json!({
        "active": hooks.active.len(), "reenabled": hooks.reenabled, "created": hooks.created,
        "failed": hooks.failed.iter().map(|(s, why)| json!({ "scope": s, "reason": why })).collect::<Vec<_>>(),
    });
    if hooks.failed.is_empty() {
        Ok(summary)
    } else {
        let list: Vec<String> = hooks.failed.iter().map(|(s, why)| format!("{s}: {why}")).collect();
        Err(Failed::Hooks(list.join("; ")))
    }
}
