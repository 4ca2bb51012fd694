//! Catalog volumes, both ways. BigCommerce → engine: BV, PV and BV rate live in `mlm`
//! metafields of each variant (`bv`, `pv`, `bv_rate`), with the product's own `mlm` metafields
//! as the fallback for variants that have none; product and SKU events, and a full paged resync,
//! turn them into the ledger's mappings. Engine → BigCommerce: [`Sync::set_volumes`] writes the
//! metafields back so the storefront can show volumes. A deleted product or variant retires its
//! mappings (orders keep the mapping that valued them, so reversals stay exact).

use crate::commerce::{Commerce, ProductFacts, NAMESPACE};
use crate::orders::{Reprocess, CATALOG};
use crate::{Outcome, Sync, SyncError};
use mlm_bigcommerce::api::Metafield;
use mlm_bigcommerce::events::Work;
use mlm_ledger::model::Mapping;
use mlm_ledger::port::Store;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Collection `retired`: SKU → the mapping it had when its product or variant was deleted.
pub const RETIRED: &str = "retired";

/// What the engine knows of one synced product (document `catalog/product:{id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductIndex {
    pub name: String,
    /// The SKU of the product-level volumes, for order lines whose variant is unknown.
    pub product_key: Option<String>,
    pub variants: Vec<VariantEntry>,
    /// Every mapping the product has now (variants' and the product's own).
    pub mappings: Vec<Mapping>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantEntry {
    pub variant: i64,
    pub sku: String,
}

/// The key of a SKU's [`SkuHome`] in the `catalog` collection.
fn sku_key(sku: &str) -> String {
    format!("sku:{sku}")
}

/// Where a SKU lives in the store (document `catalog/sku:{sku}`), for writing volumes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuHome {
    pub product: i64,
    pub variant: i64,
}

/// Volumes as the metafields give them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Volumes {
    pub bv: Option<Decimal>,
    pub bv_rate: Option<Decimal>,
    pub pv: Option<Decimal>,
}

/// Checks volumes as the scenario's catalog is checked (spec §16): not both `bv` and
/// `bv_rate`, no negative `bv` or `pv`, `bv_rate` within [0, 1]. Errors name the key.
pub fn check(v: &Volumes) -> Result<(), String> {
    if v.bv.is_some() && v.bv_rate.is_some() {
        return Err("bv, bv_rate: give one of them, not both".into());
    }
    if v.bv.is_some_and(|x| x < Decimal::ZERO) {
        return Err("bv: must not be negative".into());
    }
    if v.pv.is_some_and(|x| x < Decimal::ZERO) {
        return Err("pv: must not be negative".into());
    }
    if v.bv_rate.is_some_and(|x| x < Decimal::ZERO || x > Decimal::ONE) {
        return Err("bv_rate: must be within [0, 1]".into());
    }
    Ok(())
}

/// The volumes a set of `mlm` metafields gives, `None` if it gives none. A value `none` (or
/// empty) leaves the key unset, which is how a key is cleared without deleting the metafield.
fn volumes_of(mfs: &[Metafield], what: &str) -> Result<Option<Volumes>, String> {
    let mut v = Volumes::default();
    let mut any = false;
    for m in mfs.iter().filter(|m| m.namespace == NAMESPACE) {
        let slot = match m.key.as_str() {
            "bv" => &mut v.bv,
            "pv" => &mut v.pv,
            "bv_rate" => &mut v.bv_rate,
            _ => continue,
        };
        let text = m.value.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("none") {
            any = true;
            continue;
        }
        let x: Decimal =
            text.parse().map_err(|_| format!("{what} metafield mlm/{}: {text:?} is not a decimal", m.key))?;
        *slot = Some(x);
        any = true;
    }
    if !any {
        return Ok(None);
    }
    check(&v).map_err(|e| format!("{what} metafields mlm/{e}"))?;
    Ok(Some(v))
}

/// The index and mappings of a product as BigCommerce has it (pure).
pub fn index_product(f: &ProductFacts) -> Result<ProductIndex, String> {
    let p = &f.product;
    let own = volumes_of(&f.product_metafields, &format!("product {}", p.id))?;
    let mapping = |sku: &str, v: &Volumes| Mapping { sku: sku.to_string(), bv: v.bv, bv_rate: v.bv_rate, pv: v.pv };
    let mut idx = ProductIndex { name: p.name.clone(), ..Default::default() };
    for v in p.variants.iter().flatten() {
        let metafields = f.variant_metafields.iter().find(|(id, _)| *id == v.id).map_or(&[][..], |(_, m)| m.as_slice());
        let sku = if v.sku.trim().is_empty() { format!("variant-{}", v.id) } else { v.sku.trim().to_string() };
        if let Some(vol) = volumes_of(metafields, &format!("product {} variant {}", p.id, v.id))?.or(own.clone()) {
            idx.mappings.push(mapping(&sku, &vol));
        }
        idx.variants.push(VariantEntry { variant: v.id, sku });
    }
    if let Some(vol) = &own {
        let key = if p.sku.trim().is_empty() { format!("product-{}", p.id) } else { p.sku.trim().to_string() };
        // The base variant usually shares the product's SKU; its own entry stands.
        if !idx.variants.iter().any(|v| v.sku == key) {
            idx.mappings.push(mapping(&key, vol));
        }
        idx.product_key = Some(key);
    }
    Ok(idx)
}

/// What a full resync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resync {
    pub products: usize,
    pub mapped: usize,
    pub retired: usize,
    /// `(product id, reason)` of products whose volumes could not be read (parked).
    pub parked: Vec<(i64, String)>,
    pub reprocessed: usize,
}

impl<S: Store, C: Commerce> Sync<S, C> {
    /// Re-reads product `id` (or retires it when deleted) and reprocesses orders parked for
    /// lack of a mapping.
    pub async fn product(&self, id: i64, deleted: bool) -> Result<Outcome, SyncError> {
        let facts = if deleted { None } else { self.commerce.product(id).await? };
        let (mapped, retired) = match self.apply_product(id, facts.as_ref()).await? {
            Ok(x) => x,
            Err(reason) => {
                let work = serde_json::to_string(&Work::Product { id, deleted: false }).expect("work serializes");
                return self.park(format!("product#{id}"), format!("product {id}"), reason, work).await;
            }
        };
        let reprocessed = if mapped > 0 { self.reprocess_unmapped().await? } else { 0 };
        Ok(Outcome::Catalog { mapped, retired, reprocessed })
    }

    async fn reprocess_unmapped(&self) -> Result<usize, SyncError> {
        self.reprocess_parked(Reprocess::Unmapped).await
    }

    /// Every product of the store, paged; products the store no longer has are retired.
    pub async fn resync_catalog(&self) -> Result<Resync, SyncError> {
        let all = self.commerce.products().await?;
        let mut r = Resync { products: all.len(), ..Default::default() };
        let ids: std::collections::HashSet<i64> = all.iter().map(|f| f.product.id).collect();
        for f in &all {
            match self.apply_product(f.product.id, Some(f)).await? {
                Ok((m, x)) => {
                    r.mapped += m;
                    r.retired += x;
                }
                Err(reason) => {
                    let work =
                        serde_json::to_string(&Work::Product { id: f.product.id, deleted: false }).expect("work");
                    self.park(
                        format!("product#{}", f.product.id),
                        format!("product {}", f.product.id),
                        reason.clone(),
                        work,
                    )
                    .await?;
                    r.parked.push((f.product.id, reason));
                }
            }
        }
        for (key, _) in self.ledger.store.docs(CATALOG).await? {
            if let Some(id) = key.strip_prefix("product:").and_then(|i| i.parse::<i64>().ok()) {
                if !ids.contains(&id) {
                    r.retired += self.apply_product(id, None).await?.map_or(0, |(_, x)| x);
                }
            }
        }
        r.reprocessed = self.reprocess_unmapped().await?;
        Ok(r)
    }

    /// Writes a product's mappings and index (`None`: retire it). `Err` is a reason to park.
    async fn apply_product(
        &self,
        id: i64,
        facts: Option<&ProductFacts>,
    ) -> Result<Result<(usize, usize), String>, SyncError> {
        let store = &self.ledger.store;
        let key = format!("product:{id}");
        let old = self.get_doc::<ProductIndex>(CATALOG, &key).await?.unwrap_or_default();
        let new = match facts.map(index_product) {
            None => ProductIndex::default(),
            Some(Ok(idx)) => idx,
            Some(Err(reason)) => return Ok(Err(reason)),
        };
        let mut retired = 0;
        for m in old.mappings.iter().filter(|m| !new.mappings.iter().any(|n| n.sku == m.sku)) {
            // A SKU that moved to another product already processed is that product's now.
            if self.sku_home(&m.sku).await?.is_some_and(|h| h.product != id) {
                continue;
            }
            store.delete_mapping(&m.sku).await?;
            self.put_doc(RETIRED, &m.sku, m).await?;
            retired += 1;
        }
        // Gone or renamed: a renamed variant's old SKU must no longer lead to it (rewritten below).
        for v in old.variants.iter().filter(|v| !new.variants.contains(v)) {
            store.delete_doc(CATALOG, &format!("variant:{}", v.variant)).await?;
            // Only if it still leads here: the SKU may have moved to another product, whose
            // event may have been processed first (products are separate FIFO groups).
            if self.sku_home(&v.sku).await? == Some(SkuHome { product: id, variant: v.variant }) {
                store.delete_doc(CATALOG, &sku_key(&v.sku)).await?;
            }
        }
        let mut mapped = 0;
        for m in &new.mappings {
            if !old.mappings.contains(m) {
                self.ledger.set_mapping(m).await?;
                mapped += 1;
            }
        }
        // Only what changed: a resync of an unchanged catalog writes nothing.
        for v in new.variants.iter().filter(|v| !old.variants.contains(v)) {
            self.put_doc(CATALOG, &format!("variant:{}", v.variant), &v.sku).await?;
            self.put_doc(CATALOG, &sku_key(&v.sku), &SkuHome { product: id, variant: v.variant }).await?;
        }
        if facts.is_none() {
            store.delete_doc(CATALOG, &key).await?;
        } else if new != old {
            self.put_doc(CATALOG, &key, &new).await?;
        }
        Ok(Ok((mapped, retired)))
    }

    /// Where a SKU lives in the store, as the catalog index last recorded it.
    async fn sku_home(&self, sku: &str) -> Result<Option<SkuHome>, SyncError> {
        self.get_doc(CATALOG, &sku_key(sku)).await
    }

    /// Sets a variant's volumes: written to BigCommerce's `mlm` metafields (the storefront shows
    /// them), then read back from there, so both sides agree. `Err` names the problem.
    pub async fn set_volumes(&self, sku: &str, v: &Volumes) -> Result<Result<Outcome, String>, SyncError> {
        if let Err(e) = check(v) {
            return Ok(Err(e));
        }
        let Some(home) = self.sku_home(sku).await? else {
            return Ok(Err(format!(
                "SKU {sku:?} is not a variant of the synced catalog (run `mlm catalog sync` first)"
            )));
        };
        let text = |x: Option<Decimal>| x.map_or_else(|| "none".to_string(), |d| d.normalize().to_string());
        let values = [("bv", text(v.bv)), ("pv", text(v.pv)), ("bv_rate", text(v.bv_rate))];
        self.commerce.set_variant_metafields(home.product, home.variant, &values).await?;
        Ok(Ok(self.product(home.product, false).await?))
    }
}
