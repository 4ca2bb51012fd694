//! Orders: read the order from BigCommerce, attribute it, match its lines to the catalog, and
//! reconcile the ledger with it. An order with an unmapped line needs attention: it is parked
//! and reprocessed when the mapping arrives.

use crate::commerce::{Commerce, OrderFacts, REFERRER_METAFIELD};
use crate::snapshot::{carries_volume, order_snapshot, Parties};
use crate::{Outcome, Sync, SyncError};
use mlm_bigcommerce::api::OrderProduct;
use mlm_bigcommerce::events::Work;
use mlm_ledger::model::{order_park_key, ContextQuery};
use mlm_ledger::port::Store;
use mlm_ledger::service::{latest_plan, Applied};
use serde::{Deserialize, Serialize};

/// Catalog documents (collection `catalog`) that order lines are matched through.
pub(crate) const CATALOG: &str = "catalog";
/// Cart attributions (collection `carts`): the referrer a replicated site recorded for a cart.
pub(crate) const CARTS: &str = "carts";

pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Which parked entries to reprocess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reprocess {
    All,
    /// Orders parked for an unmapped line.
    Unmapped,
    /// Orders parked because of this BigCommerce customer's account.
    OrdersOfCustomer(i64),
    /// One entry, by key.
    Key(String),
}

/// How the reason of an order parked for an unmapped line says so.
const UNMAPPED: &str = "no BV/PV mapping";

/// A replicated site's attribution of a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartAttribution {
    pub referrer: String,
    /// The order placed from the cart, once seen (so a late attribution reaches it).
    #[serde(default)]
    pub order: Option<i64>,
}

/// Why an attribution is refused (answered 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct AttributionError {
    pub field: String,
    pub message: String,
}

impl<S: Store, C: Commerce> Sync<S, C> {
    /// Reconciles the ledger with order `id` as BigCommerce has it now.
    pub async fn order(&self, id: i64) -> Result<Outcome, SyncError> {
        let work = serde_json::to_string(&Work::Order { id }).expect("work serializes");
        let Some(facts) = self.commerce.order(id).await? else {
            if self.ledger.store.order(id).await?.is_some() {
                return Ok(Outcome::Skipped(format!(
                    "order {id} is gone from BigCommerce; the ledger keeps it as last seen"
                )));
            }
            let reason = format!("order {id}: BigCommerce has no such order");
            return self.park(order_park_key(id), format!("order {id}"), reason, work).await;
        };
        let mut keys = Vec::new();
        for p in facts.products.iter().filter(|p| carries_volume(p)) {
            keys.push((p, self.line_key(p).await?));
        }
        // One read: what the ledger holds for the order, and the current mappings of its lines.
        let ctx = self
            .ledger
            .store
            .context(&ContextQuery { order: id, parties: vec![], skus: keys.iter().map(|(_, k)| k.clone()).collect() })
            .await?;
        // The plan from the same read (no round trip of its own).
        let plan = latest_plan(&ctx.plans)?;
        let pinned = ctx.stored.as_ref().map(|s| &s.snapshot);
        let parties = match self.parties(&facts).await? {
            Ok(p) => p,
            Err(reason) => return self.park(order_park_key(id), format!("order {id}"), reason, work).await,
        };
        let key_of = |p: &OrderProduct| {
            keys.iter().find(|(q, _)| q.id == p.id).map_or_else(|| p.sku.clone(), |(_, k)| k.clone())
        };
        let snap = match order_snapshot(&facts, parties, &plan.currency, key_of, pinned) {
            Ok(s) => s,
            Err(reason) => return self.park(order_park_key(id), format!("order {id}"), reason, work).await,
        };
        let valued = |k: &str| {
            ctx.mappings.iter().any(|m| m.sku == k)
                || ctx.stored.as_ref().is_some_and(|s| s.mappings.iter().any(|m| m.sku == k))
        };
        let unmapped: Vec<String> = keys
            .iter()
            .filter(|(_, k)| !valued(k))
            .map(|(p, k)| {
                format!("line {} (product {}, variant {}, SKU {k:?})", p.id, p.product_id, p.variant_id.unwrap_or(0))
            })
            .collect();
        if !unmapped.is_empty() {
            let reason = format!(
                "order {id}: needs attention: {UNMAPPED} for {}; set the variant's mlm metafields or run \
                 `mlm catalog set`, and the order is reprocessed",
                unmapped.join(", ")
            );
            return self.park(order_park_key(id), format!("order {id}"), reason, work).await;
        }
        let applied = self.ledger.apply_order(&snap).await?;
        if applied == Applied::Unchanged && ctx.parked {
            // Parked by an earlier delivery, and the ledger already holds this state.
            self.ledger.store.unpark(&order_park_key(id)).await?;
        }
        Ok(Outcome::Order(applied))
    }

    /// The catalog SKU of an order line: by variant, then product, then the line's own SKU.
    async fn line_key(&self, p: &OrderProduct) -> Result<String, SyncError> {
        if let Some(v) = p.variant_id.filter(|&v| v > 0) {
            if let Some(key) = self.get_doc::<String>(CATALOG, &format!("variant:{v}")).await? {
                return Ok(key);
            }
        }
        if let Some(idx) =
            self.get_doc::<crate::catalog::ProductIndex>(CATALOG, &format!("product:{}", p.product_id)).await?
        {
            if let Some(key) = idx.product_key {
                return Ok(key);
            }
        }
        Ok(p.sku.clone())
    }

    /// The buyer (a linked account) and the order's referrer: the order's `mlm/referrer`
    /// metafield, else a guest's cart attribution. `Err` is a reason to park.
    async fn parties(&self, facts: &OrderFacts) -> Result<Result<Parties, String>, SyncError> {
        let o = &facts.order;
        let buyer = if o.customer_id > 0 {
            match self.account(o.customer_id).await? {
                Ok(link) => Some(link.party),
                Err(reason) => return Ok(Err(format!("order {}: {reason}", o.id))),
            }
        } else {
            None
        };
        let mut referrer = facts.metafields.get(REFERRER_METAFIELD).filter(|r| !r.is_empty()).cloned();
        if let (None, None, Some(cart)) = (&buyer, &referrer, o.cart_id.as_deref().filter(|c| !c.is_empty())) {
            let mut a = self.get_doc::<CartAttribution>(CARTS, cart).await?;
            match &mut a {
                Some(a) => {
                    referrer = Some(a.referrer.clone());
                    if a.order.is_none() {
                        a.order = Some(o.id);
                        self.put_doc(CARTS, cart, &*a).await?;
                    }
                }
                // Remember the order: an attribution recorded later still reaches it.
                None => {
                    let pending = CartAttribution { referrer: String::new(), order: Some(o.id) };
                    self.put_doc(CARTS, cart, &pending).await?;
                }
            }
        }
        Ok(Ok(Parties { buyer, referrer: referrer.filter(|r| !r.is_empty()) }))
    }

    /// Records the referrer of a cart (`POST /attribution`): a replicated site calls it when a
    /// checkout starts. If the order was already placed, it is reconciled again at once.
    pub async fn attribute_cart(
        &self,
        cart_id: &str,
        referrer: &str,
    ) -> Result<Result<Outcome, AttributionError>, SyncError> {
        let bad = |field: &str, message: String| Ok(Err(AttributionError { field: field.into(), message }));
        if cart_id.is_empty() || cart_id.len() > 64 {
            return bad("cart_id", "must be 1 to 64 characters".into());
        }
        if self.ledger.store.distributor(referrer).await?.is_none() {
            return bad("referrer", format!("{referrer:?} is not an enrolled distributor"));
        }
        let existing = self.get_doc::<CartAttribution>(CARTS, cart_id).await?;
        if let Some(a) = &existing {
            if !a.referrer.is_empty() && a.referrer != referrer {
                // First attribution wins: a cart is not re-attributed.
                return bad("cart_id", format!("is already attributed to {:?}", a.referrer));
            }
        }
        let order = existing.and_then(|a| a.order);
        self.put_doc(CARTS, cart_id, &CartAttribution { referrer: referrer.into(), order }).await?;
        match order {
            Some(id) => Ok(Ok(self.order(id).await?)),
            None => Ok(Ok(Outcome::Skipped(format!("cart {cart_id} attributed to {referrer}")))),
        }
    }

    /// Reprocesses the parked entries `which` selects; returns how many were retried. Boxed:
    /// reprocessing recurses (a product's new mapping reprocesses orders, a customer's link its
    /// orders), and the box keeps the future `Send` for the Lambda runtime.
    pub fn reprocess_parked(&self, which: Reprocess) -> BoxFuture<'_, Result<usize, SyncError>> {
        Box::pin(async move {
            let mut n = 0;
            for p in self.ledger.store.parked().await? {
                let selected = match which {
                    Reprocess::All => true,
                    Reprocess::Unmapped => p.key.starts_with("order#") && p.reason.contains(UNMAPPED),
                    Reprocess::OrdersOfCustomer(c) => {
                        p.key.starts_with("order#") && p.reason.contains(&format!("customer {c}:"))
                    }
                    Reprocess::Key(ref k) => &p.key == k,
                };
                if !selected {
                    continue;
                }
                let Some((kind, id)) = p.key.split_once('#') else { continue };
                let Ok(id) = id.parse::<i64>() else { continue };
                let done = match kind {
                    "order" => self.order(id).await?,
                    "customer" => self.customer(id, false).await?,
                    "product" => self.product(id, false).await?,
                    _ => continue,
                };
                n += 1;
                // Ledger writes resolve an order's entry themselves; the others are resolved here.
                if !matches!(done, Outcome::Parked(_) | Outcome::Order(Applied::Parked(_))) {
                    self.ledger.store.unpark(&p.key).await?;
                }
            }
            Ok(n)
        })
    }
}
