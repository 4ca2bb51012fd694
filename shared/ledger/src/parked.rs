//! What an admin does with a parked entry besides reprocessing it: book an order that arrived
//! for a closed period into the open one, or dismiss the entry. Both are recorded with who and
//! when; nothing parked is ever dropped silently.

use crate::freshness::open_from;
use crate::model::*;
use crate::port::Store;
use crate::service::{versions, Applied, Ledger, LedgerError};
use serde::{Deserialize, Serialize};

/// Collection `dismissed`: parked key → [`Dismissed`].
pub const DISMISSED: &str = "dismissed";

/// A parked entry an admin dismissed, kept for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dismissed {
    #[serde(flatten)]
    pub entry: Parked,
    pub by: String,
    pub at: String,
}

impl<S: Store> Ledger<S> {
    async fn parked_entry(&self, key: &str) -> Result<Option<Parked>, LedgerError> {
        Ok(self.store.parked().await?.into_iter().find(|p| p.key == key))
    }

    /// Counts an order the ledger parked because its period was already closed in the first open
    /// period (from its start, or from when it was placed if later), recorded with `by` and `now`.
    /// `Err` says why not.
    pub async fn book_parked(&self, key: &str, by: &str, now: &str) -> Result<Result<Applied, String>, LedgerError> {
        let Some(entry) = self.parked_entry(key).await? else {
            return Ok(Err(format!("{key} is not parked")));
        };
        let Ok(snap) = serde_json::from_str::<OrderSnapshot>(&entry.payload) else {
            return Ok(Err(format!("{key} is not an order the ledger parked; reprocess or dismiss it")));
        };
        if self.store.order(snap.id).await?.is_some() {
            return Ok(Err(format!(
                "order {} already counts in its own, closed period; a closed period never changes: dismiss the \
                 entry and record any correction in the open period",
                snap.id
            )));
        }
        let (first, _) = versions(&self.store.plans().await?)?;
        let closed = self.store.closed_periods().await?;
        let at = open_from(&first, &closed).map_or(snap.placed_at, |t| t.0.max(snap.placed_at));
        let booking = Booking { placed_at: snap.placed_at, at, by: by.to_string(), decided_at: now.to_string() };
        tracing::info!(order = snap.id, by, "order booked into the open period");
        Ok(Ok(self.reconcile(&snap, Some(booking)).await?))
    }

    /// Removes a parked entry an admin decided not to process, keeping it with `by` and `now`.
    pub async fn dismiss_parked(
        &self,
        key: &str,
        by: &str,
        now: &str,
    ) -> Result<Result<Dismissed, String>, LedgerError> {
        let Some(entry) = self.parked_entry(key).await? else {
            return Ok(Err(format!("{key} is not parked")));
        };
        let d = Dismissed { entry, by: by.to_string(), at: now.to_string() };
        self.store.put_doc(DISMISSED, key, &serde_json::to_string(&d).expect("documents serialize")).await?;
        self.store.unpark(key).await?;
        tracing::info!(parked = key, by, "parked entry dismissed");
        Ok(Ok(d))
    }
}
