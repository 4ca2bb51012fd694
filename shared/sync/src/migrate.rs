//! Migration: retail customers brought in from the system being replaced (`mlm import` of a
//! customers CSV). Each becomes a ledger party under its old id, with its referrer; with its
//! BigCommerce customer id it is also linked to that account, so its orders are credited to the
//! old id (not to a new `bc-…` party) and a second account with its e-mail is a duplicate, as
//! for accounts the engine links itself. Re-importing is idempotent: a row already there,
//! identical, is skipped; a row that would change what is there is refused with the field.

use crate::accounts::{Link, Role, ACCOUNTS};
use crate::commerce::Commerce;
use crate::{Sync, SyncError};
use mlm_ledger::model::CustomerRecord;
use mlm_ledger::port::Store;
use mlm_ledger::service::normalize_email;
use std::collections::{HashMap, HashSet};

/// Collection `retail-emails` (as `accounts` keeps it): normalized e-mail → BigCommerce customer.
const RETAIL_EMAILS: &str = "retail-emails";

/// One row of a customers CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetailRow {
    pub id: String,
    pub email: Option<String>,
    pub referrer: Option<String>,
    pub bigcommerce_customer_id: Option<i64>,
}

/// What importing a row does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowCheck {
    /// Something to write.
    New,
    /// Already there, identical: skipped.
    Same,
    /// Refused: `(field, why)`.
    Refused(&'static str, String),
}

impl<S: Store, C: Commerce> Sync<S, C> {
    /// Checks every row against the ledger and the rows before it; writes nothing.
    pub async fn check_retail(&self, rows: &[RetailRow]) -> Result<Vec<RowCheck>, SyncError> {
        let store = &self.ledger.store;
        let existing: HashMap<String, Option<String>> =
            store.customers().await?.into_iter().map(|c| (c.id, c.referrer)).collect();
        let mut ids = HashSet::new();
        let mut accounts = HashSet::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.check_row(r, &existing, &mut ids, &mut accounts).await?);
        }
        Ok(out)
    }

    async fn check_row(
        &self,
        r: &RetailRow,
        existing: &HashMap<String, Option<String>>,
        ids: &mut HashSet<String>,
        accounts: &mut HashSet<i64>,
    ) -> Result<RowCheck, SyncError> {
        let store = &self.ledger.store;
        let refuse = |field, m: String| Ok(RowCheck::Refused(field, m));
        if r.id.is_empty() || r.id.len() > 64 {
            return refuse("id", "must be 1 to 64 characters".into());
        }
        if !ids.insert(r.id.clone()) {
            return refuse("id", format!("{:?} is listed twice", r.id));
        }
        if store.distributor(&r.id).await?.is_some() {
            return refuse("id", format!("{:?} is a distributor's id; retail customers need their own", r.id));
        }
        if let Some(f) = &r.referrer {
            if store.distributor(f).await?.is_none() {
                return refuse("referrer", format!("{f:?} is not an enrolled distributor (import distributors first)"));
            }
        }
        let mut new = false;
        match existing.get(&r.id) {
            None => new = true,
            Some(had) if had == &r.referrer => {}
            Some(had) => {
                return refuse(
                    "referrer",
                    format!(
                        "{:?} was imported with referrer {}, not {}; a referrer does not change by import",
                        r.id,
                        had.as_deref().unwrap_or("(none)"),
                        r.referrer.as_deref().unwrap_or("(none)")
                    ),
                )
            }
        }
        let email = r.email.as_deref().map(normalize_email).filter(|e| !e.is_empty());
        if let Some(e) = &email {
            if let Some(d) = store.distributor_by_email(e).await? {
                return refuse("email", format!("{e:?} belongs to distributor {:?}", d.id));
            }
        }
        if let Some(c) = r.bigcommerce_customer_id {
            if !accounts.insert(c) {
                return refuse("bigcommerce_customer_id", format!("{c} is listed twice"));
            }
            match self.get_doc::<Link>(ACCOUNTS, &c.to_string()).await? {
                Some(l) if l.party == r.id && l.role == Role::Retail => {}
                Some(l) => {
                    return refuse(
                        "bigcommerce_customer_id",
                        format!("{c} is already linked to {:?}; an account's party does not change by import", l.party),
                    )
                }
                None => new = true,
            }
            if let Some(e) = &email {
                match self.get_doc::<i64>(RETAIL_EMAILS, e).await? {
                    Some(owner) if owner != c => {
                        return refuse("email", format!("{e:?} already belongs to BigCommerce customer {owner}"))
                    }
                    _ => {}
                }
            }
        }
        Ok(if new { RowCheck::New } else { RowCheck::Same })
    }

    /// Writes the rows (checked with [`Sync::check_retail`]; only the new ones are given).
    pub async fn import_retail(&self, rows: &[RetailRow]) -> Result<(), SyncError> {
        for r in rows {
            self.ledger.add_customer(&CustomerRecord { id: r.id.clone(), referrer: r.referrer.clone() }).await?;
            let Some(c) = r.bigcommerce_customer_id else { continue };
            let email = r.email.as_deref().map(normalize_email).unwrap_or_default();
            if !email.is_empty() {
                self.put_doc(RETAIL_EMAILS, &email, &c).await?;
            }
            let link = Link {
                customer: c,
                party: r.id.clone(),
                role: Role::Retail,
                email,
                referrer: r.referrer.clone(),
                deleted: false,
            };
            self.put_doc(ACCOUNTS, &c.to_string(), &link).await?;
        }
        Ok(())
    }
}
