//! The embedded host (`mlm serve`, `mlm demo`): the same routes as API Gateway, a durable queue
//! in the ledger file with the same routing and deduplication (a webhook is answered 2xx once it
//! is committed there), a bounded pool of workers (one FIFO group at a time each, as SQS FIFO
//! groups), and the daily tick on a timer. A message that keeps failing is retried with backoff
//! and then parked with its reason (the local dead-letter queue).

use crate::api::{api_router, ApiState};
use crate::auth::{Auth, LocalKey};
use crate::clock::Clock;
use crate::http::{attribution_router, intake_router, IntakeState};
use crate::schedule::{tick_reconciled, LedgerPayouts};
use crate::SharedSync;
use axum::Router;
use mlm_bigcommerce::signature::Verifier;
use mlm_ledger::model::Parked;
use mlm_queue::{pool, Delivery, Disposition, DurableQueue, Stop, WorkQueue};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// How often a failing message is tried before it is parked.
pub const ATTEMPTS: u32 = 5;

/// Workers at once (different FIFO groups: different orders run concurrently).
pub const WORKERS: usize = 16;
/// How long a shutdown waits for the messages in hand before leaving them stored.
pub const GRACE: Duration = Duration::from_secs(20);

pub struct Local {
    pub sync: Arc<SharedSync>,
    pub queue: Arc<DurableQueue>,
    verifier: Arc<Verifier>,
    now: Arc<dyn Fn() -> i64 + Send + Sync>,
    stop: Stop,
    workers: Option<JoinHandle<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Local {
    fn drop(&mut self) {
        self.stop.stop();
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Local {
    /// Starts the workers on `queue` (the durable queue in the ledger file: whatever it holds from
    /// a previous run is worked first) and the tick every `tick_every`, first at once, if given.
    pub fn start(
        sync: Arc<SharedSync>,
        verifier: Verifier,
        tick_every: Option<Duration>,
        queue: DurableQueue,
    ) -> Local {
        Local::start_with_clock(sync, verifier, tick_every, queue, Clock::System)
    }

    /// [`Local::start`] with the tick reading `clock` (`mlm serve --now`, a staging rehearsal).
    /// The tick reconciles first ([`tick_reconciled`]), creating missing hooks at
    /// `MLM_WEBHOOK_DESTINATION` when set.
    pub fn start_with_clock(
        sync: Arc<SharedSync>,
        verifier: Verifier,
        tick_every: Option<Duration>,
        queue: DurableQueue,
        clock: Clock,
    ) -> Local {
        let queue = Arc::new(queue);
        let (stop, stopped) = Stop::new();
        let s = sync.clone();
        let workers = tokio::spawn(pool(
            queue.clone(),
            WORKERS,
            move |d| {
                let s = s.clone();
                let span = tracing::info_span!("message", queue = mlm_queue::kind_name(d.queue), seq = d.seq, group = %d.group);
                async move { handle(&s, d).await }.instrument(span)
            },
            stopped,
            GRACE,
        ));
        let mut tasks = Vec::new();
        if let Some(every) = tick_every {
            let s = sync.clone();
            tasks.push(tokio::spawn(async move {
                let mut timer = tokio::time::interval(every);
                loop {
                    timer.tick().await;
                    let now = clock.now();
                    let destination = std::env::var("MLM_WEBHOOK_DESTINATION").ok().filter(|d| !d.is_empty());
                    let sink = LedgerPayouts(s.ledger.store.clone());
                    match tick_reconciled(&s, now, &sink, destination.as_deref()).await {
                        Ok(r) => {
                            tracing::info!(closed = ?r.closed, payouts = r.payouts, refreshed = ?r.refreshed, "tick")
                        }
                        Err(e) => tracing::error!(error = %e, "tick failed"),
                    }
                }
            }));
        }
        Local {
            sync,
            queue,
            verifier: Arc::new(verifier),
            now: Arc::new(crate::http::system_now),
            stop,
            workers: Some(workers),
            tasks,
        }
    }

    /// Stops taking work and waits for the messages in hand (up to [`GRACE`]); what is not done
    /// stays in the queue file for the next start.
    pub async fn shutdown(mut self) {
        self.stop.stop();
        if let Some(w) = self.workers.take() {
            let _ = w.await;
        }
    }

    /// Every route API Gateway serves, on this host: the dashboard's API authenticates with
    /// `key` (development tokens, `mlm token`) and keeps payouts in the ledger.
    pub fn router(&self, key: LocalKey) -> Router {
        self.router_with(Auth::Local(key), None)
    }

    /// The same with another authentication (`mlm serve --oidc-issuer`: RS256 ID tokens of a
    /// managed login too) and the managed login the page signs in through.
    pub fn router_with(&self, auth: Auth, login: Option<crate::signin::ManagedLogin>) -> Router {
        let intake = IntakeState {
            verifier: self.verifier.clone(),
            queue: self.queue.clone() as Arc<dyn WorkQueue>,
            now: self.now.clone(),
        };
        let api = ApiState {
            sync: self.sync.clone(),
            auth: Arc::new(auth),
            payouts: Arc::new(LedgerPayouts(self.sync.ledger.store.clone())),
            now: self.now.clone(),
        };
        intake_router(intake)
            .merge(attribution_router(self.sync.clone()))
            .merge(api_router(api))
            .merge(crate::signin::signin_router(login))
    }

    /// Waits until every message stored so far has been processed.
    pub async fn idle(&self) {
        while self.queue.backlog() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// One delivery through the integration: a failure is tried again with backoff (the attempts
/// are stored with the message) and, after [`ATTEMPTS`], parked with its reason (the local
/// dead-letter queue).
async fn handle(sync: &SharedSync, d: Delivery) -> Disposition {
    let m = match mlm_queue::decode(&d.body) {
        Ok(m) => m,
        Err(e) => return park(sync, &d, &d.dedup, e.to_string()).await,
    };
    match sync.handle(&m).await {
        Ok(outcome) => {
            tracing::info!(webhook_id = %m.webhook_id, ?outcome, "handled");
            Disposition::Done
        }
        Err(e) if d.attempts + 1 < ATTEMPTS => {
            let attempt = d.attempts + 1;
            tracing::warn!(webhook_id = %m.webhook_id, error = %e, attempt, "failed; retrying");
            Disposition::Retry(Duration::from_millis(100 << attempt))
        }
        Err(e) => park(sync, &d, &m.webhook_id, format!("failed {ATTEMPTS} times: {e}")).await,
    }
}

async fn park(sync: &SharedSync, d: &Delivery, id: &str, reason: String) -> Disposition {
    tracing::error!(%reason, needs_attention = 1, "parked");
    let parked = Parked {
        key: format!("message#{id}"),
        source: format!("{} queue", mlm_queue::kind_name(d.queue)),
        reason,
        payload: d.body.clone(),
    };
    match sync.ledger.store.park(&parked).await {
        // Already parked (a restart between parking and the acknowledgement): done.
        Ok(()) | Err(mlm_ledger::port::StoreError::Exists(_)) => Disposition::Done,
        Err(e) => {
            tracing::error!(error = %e, "parking failed; the message stays queued");
            Disposition::Retry(Duration::from_secs(5))
        }
    }
}
