//! Loading a scenario (the file `mlm simulate` reads) into the ledger through the online path:
//! its plan, network, customers and catalog, then every order as the store would show it.

use crate::model::*;
use crate::port::Store;
use crate::service::{Applied, Ledger, LedgerError};
use mlm_engine::scenario::{self as sc, Leg, Scenario};
use std::collections::HashMap;

impl<S: Store> Ledger<S> {
    /// Loads a whole scenario into the ledger: its plan, network, customers and catalog, then
    /// every order through the online path ([`Ledger::apply_order`]). Returns what each order did.
    pub async fn load_scenario(&self, sc: &Scenario) -> Result<Vec<Applied>, LedgerError> {
        self.seed(sc).await?;
        let mut out = Vec::with_capacity(sc.orders.len());
        for snap in snapshots(sc) {
            out.push(self.apply_order(&snap).await?);
        }
        Ok(out)
    }

    /// Stores a scenario's plan, distributors, customers and catalog.
    pub async fn seed(&self, sc: &Scenario) -> Result<(), LedgerError> {
        self.set_plan(&serde_json::to_string(&sc.plan.to_json()).expect("plans serialize"), None).await?;
        let records: Vec<DistributorRecord> = sc
            .distributors
            .iter()
            .map(|d| DistributorRecord {
                id: d.id.clone(),
                sponsor: d.sponsor.clone(),
                joined_at: d.joined_at.0,
                email: None,
                bigcommerce_customer_id: None,
                placement: d
                    .placement
                    .as_ref()
                    .map(|p| (p.parent.clone(), if p.leg == Leg::Right { "right" } else { "left" }.to_string())),
                upline: Vec::new(),
                matrix_upline: Vec::new(),
            })
            .collect();
        self.enroll(&records).await?;
        for c in &sc.customers {
            self.add_customer(&CustomerRecord { id: c.id.clone(), referrer: c.referrer.clone() }).await?;
        }
        for m in &sc.catalog {
            self.set_mapping(&Mapping { sku: m.sku.clone(), bv: m.bv, bv_rate: m.bv_rate, pv: m.pv }).await?;
        }
        Ok(())
    }
}

/// A scenario's orders as the store would show them once every refund happened (refund ids
/// are the refunds' positions in the scenario).
pub fn snapshots(sc: &Scenario) -> Vec<OrderSnapshot> {
    let mut refunds: HashMap<i64, Vec<RefundSnapshot>> = HashMap::new();
    for (i, r) in sc.refunds.iter().enumerate() {
        refunds.entry(r.order).or_default().push(RefundSnapshot {
            id: i as i64,
            at: r.at.0,
            full: matches!(r.what, sc::RefundWhat::Full),
            lines: match &r.what {
                sc::RefundWhat::Full => vec![],
                sc::RefundWhat::Lines(l) => l.iter().map(|l| (l.sku.clone(), l.quantity)).collect(),
            },
        });
    }
    sc.orders
        .iter()
        .map(|o| OrderSnapshot {
            id: o.id,
            buyer: o.buyer.clone(),
            referrer: o.referrer.clone(),
            placed_at: o.placed_at.0,
            currency: o.currency.clone(),
            exchange_rate: o.exchange_rate,
            lines: o
                .lines
                .iter()
                .map(|l| SnapshotLine { sku: l.sku.clone(), quantity: l.quantity, unit_price: l.unit_price })
                .collect(),
            refunds: refunds.remove(&o.id).unwrap_or_default(),
            status: OrderStatus::Paid,
            modified_at: None,
        })
        .collect()
}
