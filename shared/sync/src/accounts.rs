//! Accounts: a BigCommerce customer is linked to a distributor (the customer id imported with
//! it, else the customer attribute `mlm_distributor_id`, else the distributor's normalized
//! e-mail) or is a retail customer
//! (with the referrer of customer attribute `mlm_referrer`). One person never becomes two
//! parties: a second account with the e-mail of an existing distributor (or retail customer) is
//! flagged as a duplicate for an admin and its orders are credited to the existing party.

use crate::commerce::{Commerce, CustomerFacts, DISTRIBUTOR_ATTRIBUTE, REFERRER_ATTRIBUTE};
use crate::orders::Reprocess;
use crate::{Outcome, Sync, SyncError};
use mlm_bigcommerce::events::Work;
use mlm_ledger::model::{CustomerRecord, CUSTOMER_INDEX};
use mlm_ledger::port::Store;
use mlm_ledger::service::normalize_email;
use serde::{Deserialize, Serialize};

/// Collection `accounts`: BigCommerce customer id → [`Link`].
pub const ACCOUNTS: &str = "accounts";
/// Collection `duplicates`: BigCommerce customer id → [`Duplicate`].
pub const DUPLICATES: &str = "duplicates";
/// Collection `merged`: BigCommerce customer id → [`Merged`] (a duplicate an admin confirmed).
pub const MERGED: &str = "merged";
/// Collection `distributor-accounts`: distributor id → its (first) BigCommerce customer id.
const DISTRIBUTOR_ACCOUNTS: &str = "distributor-accounts";
/// Collection `retail-emails`: normalized e-mail → the retail account that has it.
const RETAIL_EMAILS: &str = "retail-emails";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Distributor,
    Retail,
}

/// A BigCommerce customer account and the ledger party its orders are credited to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub customer: i64,
    pub party: String,
    pub role: Role,
    pub email: String,
    /// A retail customer's referrer, as first recorded.
    #[serde(default)]
    pub referrer: Option<String>,
    #[serde(default)]
    pub deleted: bool,
}

/// A second account of someone who already has one, for an admin to review or merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    pub customer: i64,
    pub email: String,
    /// The account that came first.
    pub existing_customer: i64,
    /// The party both accounts' orders are credited to.
    pub credited_to: String,
    pub reason: String,
}

/// A duplicate an admin merged into the existing party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merged {
    #[serde(flatten)]
    pub duplicate: Duplicate,
    pub by: String,
    pub at: String,
}

/// The ledger id of a retail customer account.
pub fn retail_party(customer: i64) -> String {
    format!("bc-{customer}")
}

impl<S: Store, C: Commerce> Sync<S, C> {
    /// Links (or re-links) BigCommerce customer `id`; orders parked for it are reprocessed.
    pub async fn customer(&self, id: i64, deleted: bool) -> Result<Outcome, SyncError> {
        let facts = if deleted { None } else { self.commerce.customer(id).await? };
        let Some(facts) = facts else {
            // Orders keep their history: the link stays, marked deleted.
            return match self.get_doc::<Link>(ACCOUNTS, &id.to_string()).await? {
                Some(mut l) => {
                    l.deleted = true;
                    self.put_doc(ACCOUNTS, &id.to_string(), &l).await?;
                    Ok(Outcome::Skipped(format!("customer {id} deleted; its orders stay credited to {}", l.party)))
                }
                None => Ok(Outcome::Skipped(format!("customer {id} is not in BigCommerce and was never linked"))),
            };
        };
        match self.link(&facts).await? {
            Ok((link, duplicate)) => {
                self.reprocess_parked(Reprocess::OrdersOfCustomer(id)).await?;
                Ok(Outcome::Linked { customer: id, party: link.party, duplicate })
            }
            Err(reason) => {
                let work = serde_json::to_string(&Work::Customer { id, deleted: false }).expect("work serializes");
                self.park(format!("customer#{id}"), format!("customer {id}"), reason, work).await
            }
        }
    }

    /// Accounts flagged as duplicates, for an admin.
    /// An admin confirms a flagged duplicate: the second account stays credited to the existing
    /// party for good (a later change of its e-mail or attributes no longer relinks it), and the
    /// flag is resolved. `Err` says why not (no such flag).
    pub async fn merge_duplicate(
        &self,
        customer: i64,
        by: &str,
        at: &str,
    ) -> Result<Result<Merged, String>, SyncError> {
        let Some(d) = self.get_doc::<Duplicate>(DUPLICATES, &customer.to_string()).await? else {
            return Ok(Err(format!("customer {customer} is not flagged as a duplicate")));
        };
        let merged = Merged { duplicate: d, by: by.to_string(), at: at.to_string() };
        self.put_doc(MERGED, &customer.to_string(), &merged).await?;
        self.ledger.store.delete_doc(DUPLICATES, &customer.to_string()).await?;
        tracing::info!(customer, into = %merged.duplicate.credited_to, by, "duplicate account merged");
        Ok(Ok(merged))
    }

    pub async fn duplicates(&self) -> Result<Vec<Duplicate>, SyncError> {
        Ok(self.all_docs::<Duplicate>(DUPLICATES).await?.into_iter().map(|(_, d)| d).collect())
    }

    /// The account's link, linking it first if it is new. `Err` is a reason to park.
    pub(crate) async fn account(&self, id: i64) -> Result<Result<Link, String>, SyncError> {
        if let Some(l) = self.get_doc::<Link>(ACCOUNTS, &id.to_string()).await? {
            return Ok(Ok(l));
        }
        match self.commerce.customer(id).await? {
            Some(f) => Ok(self.link(&f).await?.map(|(l, _)| l)),
            None => Ok(Err(format!("customer {id}: BigCommerce has no such customer"))),
        }
    }

    async fn link(&self, f: &CustomerFacts) -> Result<Result<(Link, bool), String>, SyncError> {
        let store = &self.ledger.store;
        let id = f.customer.id.unwrap_or_default();
        let email = normalize_email(&f.customer.email);
        let previous = self.get_doc::<Link>(ACCOUNTS, &id.to_string()).await?;
        if let Some(p) = &previous {
            if self.get_doc::<Merged>(MERGED, &id.to_string()).await?.is_some() {
                return Ok(Ok((p.clone(), false)));
            }
        }
        let attr = |name: &str| f.attributes.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        // The account imported with the distributor first, then the attribute, then the e-mail.
        let imported = match self.get_doc::<String>(CUSTOMER_INDEX, &id.to_string()).await? {
            Some(d) => store.distributor(&d).await?,
            None => None,
        };
        let distributor = match (imported, attr(DISTRIBUTOR_ATTRIBUTE)) {
            (Some(rec), _) => Some(rec),
            (None, Some(d)) => match store.distributor(&d).await? {
                Some(rec) => Some(rec),
                None => {
                    return Ok(Err(format!(
                        "customer {id}: {DISTRIBUTOR_ATTRIBUTE} {d:?} is not an enrolled distributor"
                    )))
                }
            },
            (None, None) => store.distributor_by_email(&email).await?,
        };
        let (link, first) = match distributor {
            Some(d) => {
                let owner = match self.get_doc::<i64>(DISTRIBUTOR_ACCOUNTS, &d.id).await? {
                    Some(o) => o,
                    None => {
                        self.put_doc(DISTRIBUTOR_ACCOUNTS, &d.id, &id).await?;
                        id
                    }
                };
                let link =
                    Link { customer: id, party: d.id, role: Role::Distributor, email, referrer: None, deleted: false };
                (link, owner)
            }
            None => {
                let owner = match self.get_doc::<i64>(RETAIL_EMAILS, &email).await? {
                    Some(o) if !email.is_empty() => o,
                    _ => {
                        if !email.is_empty() {
                            self.put_doc(RETAIL_EMAILS, &email, &id).await?;
                        }
                        id
                    }
                };
                if owner != id {
                    let Some(first) = self.get_doc::<Link>(ACCOUNTS, &owner.to_string()).await? else {
                        return Ok(Err(format!(
                            "customer {id}: the account {owner} with the same e-mail is not linked yet"
                        )));
                    };
                    (Link { customer: id, email, ..first }, owner)
                } else {
                    // The referrer stays as first recorded; a referrer arriving later is taken.
                    let kept = previous.as_ref().filter(|p| p.role == Role::Retail).and_then(|p| p.referrer.clone());
                    let referrer = match (kept, attr(REFERRER_ATTRIBUTE)) {
                        (Some(r), _) => Some(r),
                        (None, Some(r)) => {
                            if store.distributor(&r).await?.is_none() {
                                return Ok(Err(format!(
                                    "customer {id}: {REFERRER_ATTRIBUTE} {r:?} is not an enrolled distributor"
                                )));
                            }
                            Some(r)
                        }
                        (None, None) => None,
                    };
                    let party = retail_party(id);
                    self.ledger.add_customer(&CustomerRecord { id: party.clone(), referrer: referrer.clone() }).await?;
                    (Link { customer: id, party, role: Role::Retail, email, referrer, deleted: false }, id)
                }
            }
        };
        let duplicate = first != id;
        if duplicate {
            let reason = format!(
                "customer {id} has the e-mail of customer {first}, already {} {:?}: its orders are credited there",
                if link.role == Role::Distributor { "distributor" } else { "retail customer" },
                link.party
            );
            tracing::warn!(needs_attention = 1, customer = id, existing = first, "{reason}");
            let d = Duplicate {
                customer: id,
                email: link.email.clone(),
                existing_customer: first,
                credited_to: link.party.clone(),
                reason,
            };
            self.put_doc(DUPLICATES, &id.to_string(), &d).await?;
        }
        self.put_doc(ACCOUNTS, &id.to_string(), &link).await?;
        Ok(Ok((link, duplicate)))
    }
}
