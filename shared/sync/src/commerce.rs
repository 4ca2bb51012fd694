//! The `Commerce` port: what the engine reads from and writes to the store, in BigCommerce's own
//! documented types. The adapter is the REST client; tests point it at the local stand-in.

use async_trait::async_trait;
use mlm_bigcommerce::api::{
    Customer, CustomerAttribute, List, Metafield, MetafieldCreate, MetafieldUpdate, One, Order, OrderProduct,
    PermissionSet, Product, Refund, Webhook, WebhookCreate, WebhookUpdate,
};
use mlm_bigcommerce::client::{ApiError, Client, Method};
use std::collections::BTreeMap;

/// The namespace of the engine's metafields (variant and product volumes, order referrer).
pub const NAMESPACE: &str = "mlm";
/// Customer attribute naming the distributor a customer account belongs to.
pub const DISTRIBUTOR_ATTRIBUTE: &str = "mlm_distributor_id";
/// Customer attribute naming the distributor who referred a retail customer.
pub const REFERRER_ATTRIBUTE: &str = "mlm_referrer";
/// Order metafield key (namespace [`NAMESPACE`]) naming a guest order's referrer.
pub const REFERRER_METAFIELD: &str = "referrer";

/// An order with everything reconciling it needs.
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub order: Order,
    pub products: Vec<OrderProduct>,
    pub refunds: Vec<Refund>,
    /// The order's `mlm` metafields, by key.
    pub metafields: BTreeMap<String, String>,
}

/// A customer and its attribute values by attribute name.
#[derive(Debug, Clone)]
pub struct CustomerFacts {
    pub customer: Customer,
    pub attributes: BTreeMap<String, String>,
}

/// A product, its variants, and the `mlm` metafields of each.
#[derive(Debug, Clone)]
pub struct ProductFacts {
    pub product: Product,
    pub product_metafields: Vec<Metafield>,
    /// `(variant id, its mlm metafields)`.
    pub variant_metafields: Vec<(i64, Vec<Metafield>)>,
}

#[async_trait]
pub trait Commerce: Send + Sync {
    /// The order, or `None` if the store has no such order.
    async fn order(&self, id: i64) -> Result<Option<OrderFacts>, ApiError>;
    async fn customer(&self, id: i64) -> Result<Option<CustomerFacts>, ApiError>;
    async fn product(&self, id: i64) -> Result<Option<ProductFacts>, ApiError>;
    /// Every product (a full resync), paged.
    async fn products(&self) -> Result<Vec<ProductFacts>, ApiError>;
    /// Writes `mlm` metafields of a variant, creating or updating each key.
    async fn set_variant_metafields(
        &self,
        product: i64,
        variant: i64,
        values: &[(&str, String)],
    ) -> Result<(), ApiError>;
    /// One page of the orders modified at or after `since` (ISO-8601), oldest modification
    /// first (`GET /v2/orders?min_date_modified=…&sort=date_modified:asc`); empty past the end.
    /// The default (for test doubles that never list) says it cannot.
    async fn orders_modified_since(&self, since: &str, page: u32, limit: u32) -> Result<Vec<Order>, ApiError> {
        let _ = (page, limit);
        Err(ApiError::Transport {
            call: format!("GET v2/orders?min_date_modified={since}"),
            message: "this store front does not list orders".into(),
        })
    }
    async fn hooks(&self) -> Result<Vec<Webhook>, ApiError>;
    async fn create_hook(&self, h: &WebhookCreate) -> Result<Webhook, ApiError>;
    async fn update_hook(&self, id: i64, h: &WebhookUpdate) -> Result<Webhook, ApiError>;
}

/// The BigCommerce REST API as the [`Commerce`] port.
pub struct BigCommerce {
    client: Client,
    /// Customer attribute names by id, read once.
    attribute_names: tokio::sync::OnceCell<BTreeMap<i64, String>>,
}

impl BigCommerce {
    pub fn new(client: Client) -> BigCommerce {
        BigCommerce { client, attribute_names: tokio::sync::OnceCell::new() }
    }

    async fn attribute_names(&self) -> Result<&BTreeMap<i64, String>, ApiError> {
        self.attribute_names
            .get_or_try_init(|| async {
                let all: Vec<CustomerAttribute> = self.client.get_all_v3("v3/customers/attributes", 250).await?;
                Ok(all.into_iter().map(|a| (a.id, a.name)).collect())
            })
            .await
    }

    async fn product_facts(&self, product: Product) -> Result<ProductFacts, ApiError> {
        let id = product.id;
        let product_metafields =
            self.client.get_all_v3(&format!("v3/catalog/products/{id}/metafields?namespace={NAMESPACE}"), 250).await?;
        let mut variant_metafields = Vec::new();
        for v in product.variants.iter().flatten() {
            let path = format!("v3/catalog/products/{id}/variants/{}/metafields?namespace={NAMESPACE}", v.id);
            variant_metafields.push((v.id, self.client.get_all_v3(&path, 250).await?));
        }
        Ok(ProductFacts { product, product_metafields, variant_metafields })
    }
}

/// `Ok(None)` for a 404.
fn found<T>(r: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Commerce for BigCommerce {
    async fn order(&self, id: i64) -> Result<Option<OrderFacts>, ApiError> {
        let Some(order) = found(self.client.get::<Order>(&format!("v2/orders/{id}")).await)? else {
            return Ok(None);
        };
        let products = self.client.get_all_v2(&format!("v2/orders/{id}/products"), 250).await?;
        let refunds = self.client.get_all_v3(&format!("v3/orders/{id}/payment_actions/refunds"), 250).await?;
        let metafields: Vec<Metafield> =
            self.client.get_all_v3(&format!("v3/orders/{id}/metafields?namespace={NAMESPACE}"), 250).await?;
        let metafields = metafields.into_iter().map(|m| (m.key, m.value)).collect();
        Ok(Some(OrderFacts { order, products, refunds, metafields }))
    }

    async fn customer(&self, id: i64) -> Result<Option<CustomerFacts>, ApiError> {
        let page: List<Customer> = self.client.get(&format!("v3/customers?id:in={id}&include=attributes")).await?;
        let Some(customer) = page.data.into_iter().find(|c| c.id == Some(id)) else { return Ok(None) };
        let names = self.attribute_names().await?;
        let attributes = customer
            .attributes
            .iter()
            .flatten()
            .filter_map(|a| names.get(&a.attribute_id).map(|n| (n.clone(), a.attribute_value.clone())))
            .collect();
        Ok(Some(CustomerFacts { customer, attributes }))
    }

    async fn product(&self, id: i64) -> Result<Option<ProductFacts>, ApiError> {
        let p = found(self.client.get::<One<Product>>(&format!("v3/catalog/products/{id}?include=variants")).await)?;
        match p {
            Some(p) => Ok(Some(self.product_facts(p.data).await?)),
            None => Ok(None),
        }
    }

    async fn products(&self) -> Result<Vec<ProductFacts>, ApiError> {
        let all: Vec<Product> = self.client.get_all_v3("v3/catalog/products?include=variants", 250).await?;
        let mut out = Vec::with_capacity(all.len());
        for p in all {
            out.push(self.product_facts(p).await?);
        }
        Ok(out)
    }

    async fn set_variant_metafields(
        &self,
        product: i64,
        variant: i64,
        values: &[(&str, String)],
    ) -> Result<(), ApiError> {
        let base = format!("v3/catalog/products/{product}/variants/{variant}/metafields");
        let existing: Vec<Metafield> = self.client.get_all_v3(&format!("{base}?namespace={NAMESPACE}"), 250).await?;
        for (key, value) in values {
            match existing.iter().find(|m| m.key == *key) {
                Some(m) if m.value == *value => {}
                Some(m) => {
                    let body = MetafieldUpdate { value: Some(value.clone()), ..Default::default() };
                    let _: One<Metafield> = self.client.write(Method::PUT, &format!("{base}/{}", m.id), &body).await?;
                }
                None => {
                    // Readable by the storefront, so themes can show volumes to distributors.
                    let body = MetafieldCreate {
                        permission_set: PermissionSet::WriteAndSfAccess,
                        namespace: NAMESPACE.into(),
                        key: key.to_string(),
                        value: value.clone(),
                        description: Some("MLM volume (written by the commission engine)".into()),
                    };
                    let _: One<Metafield> = self.client.write(Method::POST, &base, &body).await?;
                }
            }
        }
        Ok(())
    }

    async fn orders_modified_since(&self, since: &str, page: u32, limit: u32) -> Result<Vec<Order>, ApiError> {
        // `+` in an offset would read as a space in a query string.
        let since = since.replace('+', "%2B");
        let path =
            format!("v2/orders?min_date_modified={since}&sort=date_modified:asc&page={page}&limit={}", limit.min(250));
        self.client.get_page_v2(&path).await
    }

    async fn hooks(&self) -> Result<Vec<Webhook>, ApiError> {
        self.client.get_all_v3("v3/hooks", 250).await
    }

    async fn create_hook(&self, h: &WebhookCreate) -> Result<Webhook, ApiError> {
        let r: One<Webhook> = self.client.write(Method::POST, "v3/hooks", h).await?;
        Ok(r.data)
    }

    async fn update_hook(&self, id: i64, h: &WebhookUpdate) -> Result<Webhook, ApiError> {
        let r: One<Webhook> = self.client.write(Method::PUT, &format!("v3/hooks/{id}"), h).await?;
        Ok(r.data)
    }
}

/// What [`register_webhooks`] did, by scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Makes the store send exactly the engine's scopes to `destination`: a missing hook is
/// created, one pointing elsewhere or inactive is updated, the rest is left alone. Running it
/// again changes nothing.
pub async fn register_webhooks(c: &impl Commerce, destination: &str) -> Result<HookReport, ApiError> {
    let hooks = c.hooks().await?;
    let mut report = HookReport::default();
    for scope in mlm_bigcommerce::events::SCOPES {
        let mine: Vec<&Webhook> = hooks.iter().filter(|h| h.scope == scope).collect();
        if mine.iter().any(|h| h.destination == destination && h.is_active) {
            report.unchanged.push(scope.to_string());
        } else if let Some(h) = mine.first() {
            let update = WebhookUpdate {
                destination: Some(destination.to_string()),
                is_active: Some(true),
                ..Default::default()
            };
            c.update_hook(h.id, &update).await?;
            report.updated.push(scope.to_string());
        } else {
            let create = WebhookCreate {
                scope: scope.to_string(),
                destination: destination.to_string(),
                is_active: Some(true),
                headers: None,
            };
            c.create_hook(&create).await?;
            report.created.push(scope.to_string());
        }
    }
    Ok(report)
}

#[async_trait]
impl<T: Commerce + ?Sized> Commerce for std::sync::Arc<T> {
    async fn order(&self, id: i64) -> Result<Option<OrderFacts>, ApiError> {
        (**self).order(id).await
    }
    async fn customer(&self, id: i64) -> Result<Option<CustomerFacts>, ApiError> {
        (**self).customer(id).await
    }
    async fn product(&self, id: i64) -> Result<Option<ProductFacts>, ApiError> {
        (**self).product(id).await
    }
    async fn products(&self) -> Result<Vec<ProductFacts>, ApiError> {
        (**self).products().await
    }
    async fn set_variant_metafields(
        &self,
        product: i64,
        variant: i64,
        values: &[(&str, String)],
    ) -> Result<(), ApiError> {
        (**self).set_variant_metafields(product, variant, values).await
    }
    async fn orders_modified_since(&self, since: &str, page: u32, limit: u32) -> Result<Vec<Order>, ApiError> {
        (**self).orders_modified_since(since, page, limit).await
    }
    async fn hooks(&self) -> Result<Vec<Webhook>, ApiError> {
        (**self).hooks().await
    }
    async fn create_hook(&self, h: &WebhookCreate) -> Result<Webhook, ApiError> {
        (**self).create_hook(h).await
    }
    async fn update_hook(&self, id: i64, h: &WebhookUpdate) -> Result<Webhook, ApiError> {
        (**self).update_hook(id, h).await
    }
}
