//! `mlm reconcile`: catches what webhooks missed (and, with `--since`, back-fills the history
//! before go-live). The work is `mlm_sync::reconcile`; this prints progress and the outcome.

use crate::store_front::client_from_env;
use crate::{block_on, Data};
use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use mlm_engine::period::Timestamp;
use mlm_sync::commerce::BigCommerce;
use mlm_sync::reconcile::Options;
use mlm_sync::Sync;

#[derive(clap::Args)]
pub struct ReconcileArgs {
    /// Reconcile the orders modified since this instant (RFC 3339, e.g. `2026-01-01T00:00:00Z`)
    /// instead of since the last reconcile: the first run at go-live brings in the history.
    #[arg(long, value_parser = parse_time)]
    pub since: Option<Timestamp>,
    /// The webhook destination (`https://…/webhooks/bigcommerce`), so missing hooks can be
    /// created; default `MLM_WEBHOOK_DESTINATION`. Without it, missing hooks are only reported.
    #[arg(long)]
    pub destination: Option<String>,
    /// Orders per listed page (1 to 250).
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u32).range(1..=250))]
    pub page_size: u32,
    #[command(flatten)]
    pub data: Data,
}

pub fn parse_time(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse(s)
}

pub fn reconcile(args: ReconcileArgs) -> Result<()> {
    // Warnings (rate limits, retries) on stderr; the outcome is printed below.
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,mlm_sync::reconcile=off".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    let destination =
        args.destination.or_else(|| std::env::var("MLM_WEBHOOK_DESTINATION").ok()).filter(|d| !d.is_empty());
    if let Some(d) = &destination {
        if !d.starts_with("https://") {
            bail!("--destination: BigCommerce delivers webhooks only to https:// URLs, not {d:?}");
        }
    }
    let sync = Sync::new(args.data.open()?, BigCommerce::new(client_from_env()?));
    let opts = Options { since: args.since, destination, page_size: args.page_size, ..Options::default() };
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} reconciling: {pos} orders, modified up to {msg} ({elapsed})")
            .expect("template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let report = block_on(sync.reconcile(&opts, &mut |p| {
        bar.set_position(p.reconciled as u64);
        if let Some(at) = p.at {
            bar.set_message(at.to_rfc3339());
        }
    }));
    bar.finish_and_clear();
    let r = report?;
    println!(
        "reconciled {} orders modified since {}: {} changed (missed by webhooks), {} unchanged, {} parked, {} skipped",
        r.reconciled,
        r.from,
        r.written.len(),
        r.unchanged,
        r.parked.len(),
        r.skipped
    );
    println!("watermark: {}{}", r.watermark, if r.more { " (page limit reached: run again to continue)" } else { "" });
    for (id, reason) in &r.parked {
        println!("parked: order {id}: {reason}");
    }
    let h = &r.hooks;
    println!(
        "webhooks: {} active, {} re-enabled, {} created, {} failing",
        h.active.len(),
        h.reenabled.len(),
        h.created.len(),
        h.failed.len()
    );
    for s in &h.reenabled {
        println!("re-enabled {s}");
    }
    for s in &h.created {
        println!("created    {s}");
    }
    for (s, why) in &h.failed {
        eprintln!("needs attention: webhook {s}: {why}");
    }
    if r.needs_attention() {
        bail!("{} webhook scopes have no active hook: orders are reconciled, but fix the hooks", h.failed.len());
    }
    Ok(())
}
