//! Orders: read the order from BigCommerce, attribute it, match its lines to the catalog, and
//! reconcile the ledger with it. An order with an unmapped line needs attention: it is parked
//! and reprocessed when the mapping arrives.

use crate::accounts::{Link, Role};
use crate::commerce::{Commerce, OrderFacts, DISTRIBUTOR_ATTRIBUTE, REFERRER_ATTRIBUTE, REFERRER_METAFIELD};
use crate::snapshot::{carries_volume, order_snapshot, Parties};
use crate::{Outcome, Sync, SyncError};
use mlm_bigcommerce::api::OrderProduct;
use mlm_bigcommerce::events::{Message, Work};
use mlm_ledger::model::Parked;
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

/// Collection `unattributed`: BigCommerce customer id → [`Unattributed`].
pub const UNATTRIBUTED: &str = "unattributed";

/// A retail account with orders that nobody is credited for, for an admin to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unattributed {
    pub customer: i64,
    pub email: String,
    /// The retail party its orders are recorded under.
    pub party: String,
    pub orders: Vec<i64>,
    pub reason: String,
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
        let mut unreferred = None;
        let buyer = if o.customer_id > 0 {
            match self.account(o.customer_id).await? {
                Ok(link) => {
                    if link.role == Role::Retail && link.referrer.is_none() {
                        unreferred = Some(link.clone());
                    }
                    Some(link.party)
                }
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
        let referrer = referrer.filter(|r| !r.is_empty());
        if let (Some(link), None) = (unreferred, &referrer) {
            self.flag_unattributed(&link, o.id).await?;
        }
        Ok(Ok(Parties { buyer, referrer }))
    }

    /// A customer account that links to no distributor and carries no referrer, with an order
    /// that names none either: a house sale, unless the account belongs to someone. Flagged for
    /// an admin (collection `unattributed`), never silently.
    async fn flag_unattributed(&self, link: &Link, order: i64) -> Result<(), SyncError> {
        let key = link.customer.to_string();
        let mut flag = self.get_doc::<Unattributed>(UNATTRIBUTED, &key).await?.unwrap_or_else(|| Unattributed {
            customer: link.customer,
            email: link.email.clone(),
            party: link.party.clone(),
            orders: Vec::new(),
            reason: format!(
                "customer {} links to no distributor (no imported customer id, no {DISTRIBUTOR_ATTRIBUTE} \
                 attribute, no distributor with its e-mail) and has no {REFERRER_ATTRIBUTE}: its orders are \
                 house sales; link the account or set its referrer, then reprocess its orders",
                link.customer
            ),
        });
        if !flag.orders.contains(&order) {
            flag.orders.push(order);
            tracing::warn!(needs_attention = 1, customer = link.customer, order, "orders of an unattributed account");
            self.put_doc(UNATTRIBUTED, &key, &flag).await?;
        }
        Ok(())
    }

    /// Accounts flagged as unattributed, for an admin.
    pub async fn unattributed(&self) -> Result<Vec<Unattributed>, SyncError> {
        Ok(self.all_docs::<Unattributed>(UNATTRIBUTED).await?.into_iter().map(|(_, d)| d).collect())
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
    /// orders), and the box keeps the future `Send` for the Lambda runtime. An entry whose retry
    /// fails again (BigCommerce still unreachable) stays parked with the new reason.
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
                let Some(retry) = retry_of(&p) else { continue };
                n += 1;
                let done = match retry {
                    Retry::Order(id) => self.order(id).await,
                    Retry::Customer(id) => self.customer(id, false).await,
                    Retry::Product(id) => self.product(id, false).await,
                    Retry::Message(m) => self.handle(&m).await,
                };
                match done {
                    // Ledger writes resolve an order's entry themselves; the others are resolved here.
                    Ok(Outcome::Parked(_) | Outcome::Order(Applied::Parked(_))) => {}
                    Ok(_) => self.ledger.store.unpark(&p.key).await?,
                    Err(e) => {
                        tracing::warn!(needs_attention = 1, parked = %p.key, error = %e, "reprocessing failed; still parked");
                        let reason = format!("reprocessing failed: {e}");
                        self.ledger.store.park(&Parked { reason, ..p }).await?;
                    }
                }
            }
            Ok(n)
        })
    }
}

/// What a parked entry retries.
enum Retry {
    Order(i64),
    Customer(i64),
    Product(i64),
    /// A queue message that failed every attempt: handled again as it was.
    Message(Message),
}

/// The retry of a parked entry, by its key (`order#250`, `customer#7`, `product#3`) or, for a
/// queue message (`message#<webhook-id>`), its payload. `None`: nothing can be retried (an
/// unreadable message): an admin dismisses it.
fn retry_of(p: &Parked) -> Option<Retry> {
    let (kind, id) = p.key.split_once('#')?;
    if kind == "message" {
        return serde_json::from_str(&p.payload).ok().map(Retry::Message);
    }
    let id = id.parse::<i64>().ok()?;
    match kind {
        "order" => Some(Retry::Order(id)),
        "customer" => Some(Retry::Customer(id)),
        "product" => Some(Retry::Product(id)),
        _ => None,
    }
}
