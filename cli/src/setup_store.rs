//! `mlm setup-store`: makes a BigCommerce store ready for the engine, and says what is left.
//! Idempotent: what is there already is left alone.
//! - the customer attribute definitions `mlm_distributor_id` and `mlm_referrer` (text), which
//!   link accounts to distributors and retail customers to their referrer;
//! - the webhooks (with `--destination`);
//! - the catalog: every variant without volumes (no `mlm` metafields of its own or its
//!   product's) is listed: its orders would be parked until it has them.

use crate::block_on;
use crate::store_front::client_from_env;
use anyhow::{bail, Result};
use mlm_bigcommerce::api::{CustomerAttribute, List};
use mlm_bigcommerce::client::Method;
use mlm_sync::commerce::{register_webhooks, BigCommerce, Commerce, DISTRIBUTOR_ATTRIBUTE, REFERRER_ATTRIBUTE};

#[derive(clap::Args)]
pub struct SetupArgs {
    /// The webhook destination (`https://…/webhooks/bigcommerce`, the stack's `WebhookUrl`
    /// output); without it the webhooks are left for later.
    #[arg(long)]
    pub destination: Option<String>,
}

pub fn setup(args: SetupArgs) -> Result<()> {
    if let Some(d) = &args.destination {
        if !d.starts_with("https://") {
            bail!("--destination: BigCommerce delivers webhooks only to https:// URLs, not {d:?}");
        }
    }
    let client = client_from_env()?;
    let mut todo: Vec<String> = Vec::new();
    block_on(async {
        let have: Vec<CustomerAttribute> = client.get_all_v3("v3/customers/attributes", 250).await?;
        let missing: Vec<serde_json::Value> = [DISTRIBUTOR_ATTRIBUTE, REFERRER_ATTRIBUTE]
            .iter()
            .filter(|n| !have.iter().any(|a| a.name == **n))
            .map(|n| serde_json::json!({ "name": n, "type": "string" }))
            .collect();
        if missing.is_empty() {
            println!("customer attributes: {DISTRIBUTOR_ATTRIBUTE}, {REFERRER_ATTRIBUTE} already there");
        } else {
            let made: List<CustomerAttribute> = client.write(Method::POST, "v3/customers/attributes", &missing).await?;
            for a in made.data {
                println!("customer attribute created: {} (id {})", a.name, a.id);
            }
        }
        let bc = BigCommerce::new(client.clone());
        match &args.destination {
            Some(d) => {
                let r = register_webhooks(&bc, d).await?;
                println!(
                    "webhooks: {} created, {} updated, {} unchanged",
                    r.created.len(),
                    r.updated.len(),
                    r.unchanged.len()
                );
            }
            None => todo.push(
                "register the webhooks: `mlm setup-store --destination <WebhookUrl>` (or `mlm register-webhooks`)"
                    .into(),
            ),
        }
        let products = bc.products().await?;
        let mut bare = Vec::new();
        for p in &products {
            let product_level = p.product_metafields.iter().any(|m| m.key == "bv" || m.key == "bv_rate");
            for v in p.product.variants.iter().flatten() {
                let own = p.variant_metafields.iter().find(|(id, _)| *id == v.id).map(|(_, m)| m);
                let valued = own.is_some_and(|m| m.iter().any(|m| m.key == "bv" || m.key == "bv_rate"));
                if !valued && !product_level {
                    bare.push(format!(
                        "product {} ({}) variant {} SKU {:?}",
                        p.product.id, p.product.name, v.id, v.sku
                    ));
                }
            }
        }
        println!("catalog: {} products, {} variants without volumes", products.len(), bare.len());
        for b in &bare {
            println!("  no volumes: {b}");
        }
        if !bare.is_empty() {
            todo.push(
                "give those variants volumes: `mlm catalog set SKU --bv N --pv N` (or `mlm` metafields bv/bv_rate, pv)"
                    .into(),
            );
        }
        anyhow::Ok(())
    })?;
    todo.push("set each distributor's account attribute mlm_distributor_id (or import distributors with bigcommerce_customer_id)".into());
    todo.push(
        "replicated sites: install storefront/mlm-attribution.js with Script Manager (docs/storefront.md)".into(),
    );
    todo.push("bring in the history: `mlm reconcile --since <start>` (docs/migration.md)".into());
    println!("left to do:");
    for t in todo {
        println!("  - {t}");
    }
    Ok(())
}
