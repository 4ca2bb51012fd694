//! Commands that talk to the BigCommerce store: catalog sync both ways, webhook registration,
//! reprocessing what was parked. The store is configured like `mlm serve` and the Lambdas:
//! `BIGCOMMERCE_API_BASE` (default the real API), `BIGCOMMERCE_STORE_HASH`,
//! `BIGCOMMERCE_ACCESS_TOKEN`.

use crate::{block_on, AnyLedger, Data};
use anyhow::{bail, Context as _, Result};
use mlm_bigcommerce::client::{Client, RetryPolicy, DEFAULT_BASE};
use mlm_sync::catalog::Volumes;
use mlm_sync::commerce::{register_webhooks, BigCommerce};
use mlm_sync::orders::Reprocess;
use mlm_sync::{Outcome, Sync};
use rust_decimal::Decimal;

#[derive(clap::Subcommand)]
pub enum CatalogCommand {
    /// Read every product's `mlm` metafields (BV, PV, BV rate per variant, product-level
    /// fallback) into the ledger's mappings; products gone from the store are retired.
    Sync {
        #[command(flatten)]
        data: Data,
    },
    /// Set a variant's volumes: written to its `mlm` metafields in BigCommerce (the storefront
    /// shows them), then read back into the ledger. Give `--bv` or `--bv-rate`, and `--pv`.
    Set {
        sku: String,
        #[arg(long, conflicts_with = "bv_rate")]
        bv: Option<Decimal>,
        #[arg(long)]
        bv_rate: Option<Decimal>,
        #[arg(long)]
        pv: Option<Decimal>,
        #[command(flatten)]
        data: Data,
    },
}

/// The store's API client from the environment, naming what is missing.
pub fn client_from_env() -> Result<Client> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let base = var("BIGCOMMERCE_API_BASE").unwrap_or_else(|| DEFAULT_BASE.to_string());
    let hash =
        var("BIGCOMMERCE_STORE_HASH").context("BIGCOMMERCE_STORE_HASH is not set (the store hash of the API path)")?;
    let token =
        var("BIGCOMMERCE_ACCESS_TOKEN").context("BIGCOMMERCE_ACCESS_TOKEN is not set (the API account's token)")?;
    Ok(Client::new(&base, &hash, &token, RetryPolicy::default()))
}

fn sync(data: &Data) -> Result<Sync<std::sync::Arc<dyn mlm_ledger::Store>, BigCommerce>> {
    let ledger: AnyLedger = data.open()?;
    Ok(Sync::new(ledger, BigCommerce::new(client_from_env()?)))
}

pub fn catalog(cmd: CatalogCommand) -> Result<()> {
    match cmd {
        CatalogCommand::Sync { data } => {
            let s = sync(&data)?;
            let r = block_on(s.resync_catalog())?;
            println!(
                "{} products: {} mappings written, {} retired, {} parked orders reprocessed",
                r.products, r.mapped, r.retired, r.reprocessed
            );
            for (id, reason) in &r.parked {
                eprintln!("parked: product {id}: {reason}");
            }
            if !r.parked.is_empty() {
                bail!("{} products have volumes that cannot be read (parked; fix their metafields)", r.parked.len());
            }
            Ok(())
        }
        CatalogCommand::Set { sku, bv, bv_rate, pv, data } => {
            let s = sync(&data)?;
            match block_on(s.set_volumes(&sku, &Volumes { bv, bv_rate, pv }))? {
                Ok(Outcome::Parked(reason)) => bail!("{sku}: written to BigCommerce but parked: {reason}"),
                Ok(_) => {
                    println!("{sku}: bv {} bv_rate {} pv {}", show(bv), show(bv_rate), show(pv));
                    Ok(())
                }
                Err(reason) => bail!("{sku}: {reason}"),
            }
        }
    }
}

fn show(x: Option<Decimal>) -> String {
    x.map_or_else(|| "none".into(), |d| d.to_string())
}

pub fn register(destination: &str) -> Result<()> {
    if !destination.starts_with("https://") {
        bail!("--destination: BigCommerce delivers webhooks only to https:// URLs, not {destination:?}");
    }
    let bc = BigCommerce::new(client_from_env()?);
    let r = block_on(register_webhooks(&bc, destination))?;
    for (what, scopes) in [("created", &r.created), ("updated", &r.updated), ("unchanged", &r.unchanged)] {
        for s in scopes {
            println!("{what:9} {s}");
        }
    }
    Ok(())
}

pub fn reprocess(key: Option<String>, data: &Data) -> Result<()> {
    let s = sync(data)?;
    let which = key.map_or(Reprocess::All, Reprocess::Key);
    let n = block_on(s.reprocess_parked(which))?;
    let left = block_on(s.ledger.store.parked())?;
    println!("{n} reprocessed, {} still parked", left.len());
    for p in left {
        println!("{}\t{}", p.key, p.reason);
    }
    Ok(())
}

/// Who an admin action from the command line is recorded as.
fn operator() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

fn rfc3339_now() -> String {
    mlm_engine::period::Timestamp(crate::serve::unix_now() * 1_000_000_000).to_rfc3339()
}

pub fn book(key: &str, data: &Data) -> Result<()> {
    let ledger = data.open()?;
    match block_on(ledger.book_parked(key, &operator(), &rfc3339_now()))? {
        Ok(applied) => println!("{key} booked into the open period: {applied:?}"),
        Err(why) => anyhow::bail!("{key}: {why}"),
    }
    Ok(())
}

pub fn dismiss(key: &str, data: &Data) -> Result<()> {
    let ledger = data.open()?;
    match block_on(ledger.dismiss_parked(key, &operator(), &rfc3339_now()))? {
        Ok(d) => println!("{key} dismissed (was parked: {})", d.entry.reason),
        Err(why) => anyhow::bail!("{key}: {why}; `mlm reprocess` lists what is parked"),
    }
    Ok(())
}
