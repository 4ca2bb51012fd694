//! The embedded host (`mlm serve`, `mlm demo`): the same routes as API Gateway, in-process
//! queues with the same routing and deduplication, one worker per queue, and the daily tick on a
//! timer. A message that keeps failing is retried with backoff and then parked with its reason
//! (the local dead-letter queue).

use crate::api::{api_router, ApiState};
use crate::auth::{Auth, LocalKey};
use crate::clock::Clock;
use crate::http::{attribution_router, intake_router, IntakeState};
use crate::schedule::{tick_reconciled, LedgerPayouts};
use crate::SharedSync;
use axum::Router;
use mlm_bigcommerce::events::{Message, Queue};
use mlm_bigcommerce::signature::Verifier;
use mlm_ledger::model::Parked;
use mlm_queue::{LocalQueue, WorkQueue};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// How often a failing message is tried before it is parked.
pub const ATTEMPTS: u32 = 5;

pub struct Local {
    pub sync: Arc<SharedSync>,
    pub queue: Arc<LocalQueue>,
    verifier: Arc<Verifier>,
    now: Arc<dyn Fn() -> i64 + Send + Sync>,
    delivered: Arc<AtomicUsize>,
    done: Arc<AtomicUsize>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Local {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Local {
    /// Starts the workers (and the tick every `tick_every`, first at once, if given).
    pub fn start(sync: Arc<SharedSync>, verifier: Verifier, tick_every: Option<Duration>) -> Local {
        Local::start_with_clock(sync, verifier, tick_every, Clock::System)
    }

    /// [`Local::start`] with the tick reading `clock` (`mlm serve --now`, a staging rehearsal).
    /// The tick reconciles first ([`tick_reconciled`]), creating missing hooks at
    /// `MLM_WEBHOOK_DESTINATION` when set.
    pub fn start_with_clock(
        sync: Arc<SharedSync>,
        verifier: Verifier,
        tick_every: Option<Duration>,
        clock: Clock,
    ) -> Local {
        let (queue, mut rx) = LocalQueue::new();
        let delivered = queue.delivered();
        let done = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for kind in [Queue::Commission, Queue::Refund, Queue::Catalog, Queue::Accounts] {
            let receiver = std::mem::replace(rx.get_mut(kind), tokio::sync::mpsc::unbounded_channel().1);
            tasks.push(tokio::spawn(work(sync.clone(), kind, receiver, done.clone())));
        }
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
            queue: Arc::new(queue),
            verifier: Arc::new(verifier),
            now: Arc::new(crate::http::system_now),
            delivered,
            done,
            tasks,
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

    /// Waits until every message delivered so far has been processed.
    pub async fn idle(&self) {
        while self.done.load(Ordering::SeqCst) < self.delivered.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn work(sync: Arc<SharedSync>, kind: Queue, mut rx: UnboundedReceiver<Message>, done: Arc<AtomicUsize>) {
    while let Some(m) = rx.recv().await {
        let span = tracing::info_span!("message", queue = mlm_queue::kind_name(kind), webhook_id = %m.webhook_id);
        handle(&sync, kind, &m).instrument(span).await;
        done.fetch_add(1, Ordering::SeqCst);
    }
}

async fn handle(sync: &SharedSync, kind: Queue, m: &Message) {
    for attempt in 1..=ATTEMPTS {
        match sync.handle(m).await {
            Ok(outcome) => {
                tracing::info!(?outcome, "handled");
                return;
            }
            Err(e) if attempt < ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "failed; retrying");
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, needs_attention = 1, "failed every attempt; parked");
                let parked = Parked {
                    key: format!("message#{}", m.webhook_id),
                    source: format!("{} queue", mlm_queue::kind_name(kind)),
                    reason: format!("failed {ATTEMPTS} times: {e}"),
                    payload: mlm_queue::encode(m),
                };
                if let Err(e) = sync.ledger.store.park(&parked).await {
                    tracing::error!(error = %e, "parking failed; message dropped from the local queue");
                }
            }
        }
    }
}
