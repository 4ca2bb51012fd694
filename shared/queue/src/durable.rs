//! The durable in-process adapter for `mlm serve` and `mlm demo`: the queue is two tables in the
//! embedded SQLite file beside the ledger's (WAL, `synchronous = FULL`, every write a committed
//! transaction), so a webhook answered 2xx survives kill -9 and a restart resumes it.
//!
//! One thread owns the connection and takes commands from a bounded channel; whatever is waiting
//! when it wakes is written in one transaction (group commit: one fsync for many webhooks). A
//! [`pool`] of workers takes the head of each FIFO group (as SQS FIFO groups: different orders run
//! concurrently, one order's messages in order), acknowledges (deletes) what is done, and
//! reschedules a failure with backoff; the attempts are stored, so the backoff survives restarts.
//! The backlog lives on disk: memory holds only the messages being worked.

use crate::{kind_name, Queue, QueueError, Route, WorkQueue, KINDS};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashSet;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch, Notify};

/// Messages stored and not yet done, past which a send is refused (503: the sender retries).
pub const MAX_BACKLOG: u64 = 1_000_000;
/// Commands waiting for the writer thread; a full channel makes senders wait (backpressure).
const CHANNEL: usize = 4096;
/// Commands written in one transaction at most.
const BATCH: usize = 1024;
/// Rows one look for ready work reads at most (from the oldest), so a look is bounded whatever
/// the backlog.
const SCAN_ROWS: usize = 4096;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, grp TEXT NOT NULL, dedup TEXT NOT NULL, body TEXT NOT NULL, enqueued_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS queue_dedup (queue TEXT NOT NULL, dedup TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (queue, dedup));
CREATE INDEX IF NOT EXISTS queue_dedup_at ON queue_dedup (at);
";

/// A stored message handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its position in the queue (send order).
    pub seq: i64,
    pub queue: Queue,
    pub group: String,
    pub dedup: String,
    /// The message as sent ([`crate::encode`]).
    pub body: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Unix milliseconds it was stored.
    pub enqueued_at_ms: i64,
}

/// What a worker did with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Done (handled or parked): delete it.
    Done,
    /// Failed: try again after this long; its group waits (FIFO).
    Retry(Duration),
}

enum Cmd {
    Send { queue: Queue, group: String, dedup: String, body: String, reply: oneshot::Sender<Result<bool, QueueError>> },
    Ack { seq: i64, reply: oneshot::Sender<Result<(), QueueError>> },
    Retry { seq: i64, attempts: u32, not_before: i64, reply: oneshot::Sender<Result<(), QueueError>> },
    Ready { busy: HashSet<(&'static str, String)>, limit: usize, reply: oneshot::Sender<Result<Ready, QueueError>> },
}

/// Ready heads of groups, and when the next delayed head falls due (unix ms).
struct Ready {
    deliveries: Vec<Delivery>,
    next_due: Option<i64>,
}

/// The sending side (the `WorkQueue` port) and the store the [`pool`] works from.
pub struct DurableQueue {
    tx: mpsc::Sender<Cmd>,
    /// Signalled after sends commit, so idle workers look again.
    sent: Arc<Notify>,
    backlog: Arc<AtomicU64>,
    max_backlog: u64,
}

impl std::fmt::Debug for DurableQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DurableQueue").field("backlog", &self.backlog()).finish()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn backend(queue: Queue, e: impl std::fmt::Display) -> QueueError {
    QueueError::Send { queue, reason: format!("the queue file: {e}") }
}

fn kind_of(name: &str) -> Option<Queue> {
    KINDS.into_iter().find(|k| kind_name(*k) == name)
}

impl DurableQueue {
    /// Opens (creating the tables if needed) the queue in the SQLite file at `path`, normally
    /// the ledger file. Whatever is stored is delivered again to the pool.
    pub fn open(path: impl AsRef<Path>) -> Result<DurableQueue, QueueError> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| QueueError::Config {
            var: "ledger file",
            reason: format!("{}: cannot open the queue: {e}", path.display()),
        })?;
        DurableQueue::with_connection(conn, DEDUP_WINDOW_MS, MAX_BACKLOG)
    }

    /// A private queue in memory (tests): nothing survives the process.
    pub fn in_memory(window: Duration, max_backlog: u64) -> Result<DurableQueue, QueueError> {
        let conn =
            Connection::open_in_memory().map_err(|e| QueueError::Config { var: "queue", reason: e.to_string() })?;
        DurableQueue::with_connection(conn, window.as_millis() as i64, max_backlog)
    }

    /// Like [`DurableQueue::open`] with another deduplication window and backlog bound (tests).
    pub fn open_with(path: impl AsRef<Path>, window: Duration, max_backlog: u64) -> Result<DurableQueue, QueueError> {
        let conn = Connection::open(path.as_ref())
            .map_err(|e| QueueError::Config { var: "ledger file", reason: e.to_string() })?;
        DurableQueue::with_connection(conn, window.as_millis() as i64, max_backlog)
    }

    fn with_connection(conn: Connection, window_ms: i64, max_backlog: u64) -> Result<DurableQueue, QueueError> {
        let setup = || -> rusqlite::Result<u64> {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // Durable at every commit, as the ledger: an acknowledged webhook survives a crash.
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.busy_timeout(Duration::from_secs(10))?;
            conn.execute_batch(SCHEMA)?;
            conn.query_row("SELECT COUNT(*) FROM queue_messages", [], |r| r.get(0))
        };
        let stored =
            setup().map_err(|e| QueueError::Config { var: "ledger file", reason: format!("queue tables: {e}") })?;
        let (tx, rx) = mpsc::channel(CHANNEL);
        let backlog = Arc::new(AtomicU64::new(stored));
        let sent = Arc::new(Notify::new());
        let (b, s) = (backlog.clone(), sent.clone());
        std::thread::Builder::new()
            .name("mlm-queue".into())
            .spawn(move || writer(conn, rx, window_ms, b, s))
            .map_err(|e| QueueError::Config { var: "queue", reason: format!("cannot start its thread: {e}") })?;
        Ok(DurableQueue { tx, sent, backlog, max_backlog })
    }

    /// Messages stored and not yet done.
    pub fn backlog(&self) -> u64 {
        self.backlog.load(Ordering::SeqCst)
    }

    async fn call<T>(&self, queue: Queue, make: impl FnOnce(oneshot::Sender<T>) -> Cmd) -> Result<T, QueueError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(make(reply)).await.map_err(|_| QueueError::Closed { queue })?;
        answer.await.map_err(|_| QueueError::Closed { queue })
    }

    /// Deletes a delivery that is done.
    pub async fn ack(&self, d: &Delivery) -> Result<(), QueueError> {
        self.call(d.queue, |reply| Cmd::Ack { seq: d.seq, reply }).await?
    }

    /// Stores one more failed attempt; the delivery comes back after `after`.
    pub async fn retry(&self, d: &Delivery, after: Duration) -> Result<(), QueueError> {
        let not_before = now_ms() + after.as_millis() as i64;
        self.call(d.queue, |reply| Cmd::Retry { seq: d.seq, attempts: d.attempts + 1, not_before, reply }).await?
    }

    async fn ready(&self, busy: HashSet<(&'static str, String)>, limit: usize) -> Result<Ready, QueueError> {
        self.call(Queue::Commission, |reply| Cmd::Ready { busy, limit, reply }).await?
    }
}

/// SQS FIFO's deduplication window.
const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;

#[async_trait]
impl WorkQueue for DurableQueue {
    /// Returns once the message is committed to the file. A deduplication id seen within the
    /// window with the same message is accepted and not stored again; with another message it is
    /// refused ([`QueueError::Conflict`]).
    async fn send(&self, route: &Route) -> Result<(), QueueError> {
        if self.backlog() >= self.max_backlog {
            return Err(QueueError::Full { queue: route.queue, backlog: self.max_backlog });
        }
        let body = crate::encode(&route.message);
        let (queue, group, dedup) = (route.queue, route.group.clone(), route.dedup.clone());
        let stored = self.call(queue, |reply| Cmd::Send { queue, group, dedup, body, reply }).await??;
        if stored {
            self.sent.notify_one();
        }
        Ok(())
    }
}

/// The thread that owns the connection.
fn writer(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Cmd>,
    window_ms: i64,
    backlog: Arc<AtomicU64>,
    sent: Arc<Notify>,
) {
    let mut pruned = 0i64;
    while let Some(first) = rx.blocking_recv() {
        let mut cmds = vec![first];
        while cmds.len() < BATCH {
            match rx.try_recv() {
                Ok(c) => cmds.push(c),
                Err(_) => break,
            }
        }
        let now = now_ms();
        let (reads, writes): (Vec<Cmd>, Vec<Cmd>) = cmds.into_iter().partition(|c| matches!(c, Cmd::Ready { .. }));
        if !writes.is_empty() {
            let prune = now - pruned > 10_000;
            match write(&mut conn, &writes, now, window_ms, prune) {
                Ok(answers) => {
                    if prune {
                        pruned = now;
                    }
                    let mut any = false;
                    for (cmd, answer) in writes.into_iter().zip(answers) {
                        match (cmd, answer) {
                            (Cmd::Send { reply, .. }, a) => {
                                if matches!(a, Ok(true)) {
                                    backlog.fetch_add(1, Ordering::SeqCst);
                                    any = true;
                                }
                                let _ = reply.send(a);
                            }
                            (Cmd::Ack { reply, .. }, a) => {
                                if matches!(a, Ok(true)) {
                                    backlog.fetch_sub(1, Ordering::SeqCst);
                                }
                                let _ = reply.send(a.map(|_| ()));
                            }
                            (Cmd::Retry { reply, .. }, a) => {
                                let _ = reply.send(a.map(|_| ()));
                            }
                            (Cmd::Ready { .. }, _) => unreachable!("reads are apart"),
                        }
                    }
                    if any {
                        sent.notify_one();
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "queue write failed; nothing in the batch acknowledged");
                    for cmd in writes {
                        let err = |q| backend(q, &e);
                        match cmd {
                            Cmd::Send { queue, reply, .. } => drop(reply.send(Err(err(queue)))),
                            Cmd::Ack { reply, .. } => drop(reply.send(Err(err(Queue::Commission)))),
                            Cmd::Retry { reply, .. } => drop(reply.send(Err(err(Queue::Commission)))),
                            Cmd::Ready { .. } => {}
                        }
                    }
                }
            }
        }
        for cmd in reads {
            if let Cmd::Ready { busy, limit, reply } = cmd {
                let _ = reply.send(scan(&conn, &busy, limit, now_ms()).map_err(|e| backend(Queue::Commission, e)));
            }
        }
    }
}

/// Every write of a batch in one transaction; each command's answer (`Ok(true)`: stored / deleted).
fn write(
    conn: &mut Connection,
    cmds: &[Cmd],
    now: i64,
    window_ms: i64,
    prune: bool,
) -> rusqlite::Result<Vec<Result<bool, QueueError>>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if prune {
        tx.execute("DELETE FROM queue_dedup WHERE at < ?1", params![now - window_ms])?;
    }
    let mut answers = Vec::with_capacity(cmds.len());
    for cmd in cmds {
        answers.push(match cmd {
            Cmd::Send { queue, group, dedup, body, .. } => {
                let name = kind_name(*queue);
                let seen: Option<(String, i64)> = tx
                    .query_row("SELECT body, at FROM queue_dedup WHERE queue = ?1 AND dedup = ?2", params![name, dedup], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                match seen {
                    Some((b, at)) if now - at < window_ms => {
                        if &b == body {
                            tracing::debug!(queue = name, %dedup, "duplicate dropped");
                            Ok(false)
                        } else {
                            Err(QueueError::Conflict { queue: *queue, dedup: dedup.clone() })
                        }
                    }
                    _ => {
                        tx.execute(
                            "INSERT OR REPLACE INTO queue_dedup (queue, dedup, body, at) VALUES (?1, ?2, ?3, ?4)",
                            params![name, dedup, body, now],
                        )?;
                        tx.execute(
                            "INSERT INTO queue_messages (queue, grp, dedup, body, enqueued_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![name, group, dedup, body, now],
                        )?;
                        Ok(true)
                    }
                }
            }
            Cmd::Ack { seq, .. } => Ok(tx.execute("DELETE FROM queue_messages WHERE seq = ?1", params![seq])? == 1),
            Cmd::Retry { seq, attempts, not_before, .. } => {
                tx.execute(
                    "UPDATE queue_messages SET attempts = ?2, not_before = ?3 WHERE seq = ?1",
                    params![seq, attempts, not_before],
                )?;
                Ok(true)
            }
            Cmd::Ready { .. } => Ok(false),
        });
    }
    tx.commit()?;
    Ok(answers)
}

/// The oldest messages whose group is neither busy nor waiting behind an earlier message (the
/// head of each free group), ready now, at most `limit`, reading at most [`SCAN_ROWS`] rows.
fn scan(conn: &Connection, busy: &HashSet<(&'static str, String)>, limit: usize, now: i64) -> rusqlite::Result<Ready> {
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut picked = Vec::new();
    let mut next_due: Option<i64> = None;
    let mut st = conn.prepare_cached(
        "SELECT seq, queue, grp, dedup, attempts, not_before, enqueued_at FROM queue_messages WHERE seq > ?1 ORDER BY seq LIMIT 512",
    )?;
    let mut cursor = 0i64;
    let mut read = 0usize;
    'pages: while read < SCAN_ROWS && picked.len() < limit {
        let rows: Vec<(i64, String, String, String, u32, i64, i64)> = st
            .query_map(params![cursor], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if rows.is_empty() {
            break;
        }
        for (seq, queue, grp, dedup, attempts, not_before, enqueued_at) in rows {
            cursor = seq;
            read += 1;
            let Some(kind) = kind_of(&queue) else { continue };
            if !seen.insert((queue, grp.clone())) {
                continue; // behind an earlier message of its group
            }
            if busy.contains(&(kind_name(kind), grp.clone())) {
                continue;
            }
            if not_before > now {
                next_due = Some(next_due.map_or(not_before, |d: i64| d.min(not_before)));
                continue;
            }
            picked.push(Delivery {
                seq,
                queue: kind,
                group: grp,
                dedup,
                body: String::new(),
                attempts,
                enqueued_at_ms: enqueued_at,
            });
            if picked.len() >= limit {
                break 'pages;
            }
        }
    }
    let mut body = conn.prepare_cached("SELECT body FROM queue_messages WHERE seq = ?1")?;
    for d in &mut picked {
        d.body = body.query_row(params![d.seq], |r| r.get(0))?;
    }
    Ok(Ready { deliveries: picked, next_due })
}

/// Tells a [`pool`] to stop: it takes no new work and returns once what is in hand is done (or
/// the grace period is over; what is unfinished stays stored and is redone after a restart).
#[derive(Clone)]
pub struct Stop(watch::Sender<bool>);

impl Stop {
    pub fn new() -> (Stop, watch::Receiver<bool>) {
        let (tx, rx) = watch::channel(false);
        (Stop(tx), rx)
    }

    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

/// Runs `handle` on the queue's messages with up to `workers` at once, one per FIFO group at a
/// time, until `stop` says so; then waits up to `grace` for the messages in hand.
pub async fn pool<H, F>(
    queue: Arc<DurableQueue>,
    workers: usize,
    handle: H,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) where
    H: Fn(Delivery) -> F + Send + Sync + 'static,
    F: Future<Output = Disposition> + Send + 'static,
{
    let handle = Arc::new(handle);
    let workers = workers.max(1);
    let mut busy: HashSet<(&'static str, String)> = HashSet::new();
    let mut running: tokio::task::JoinSet<(&'static str, String)> = tokio::task::JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        let free = workers - running.len();
        let mut next_due = None;
        if free > 0 {
            match queue.ready(busy.clone(), free).await {
                Ok(r) => {
                    next_due = r.next_due;
                    for d in r.deliveries {
                        busy.insert((kind_name(d.queue), d.group.clone()));
                        let (q, h) = (queue.clone(), handle.clone());
                        running.spawn(async move {
                            let key = (kind_name(d.queue), d.group.clone());
                            let disposition = h(d.clone()).await;
                            settle(&q, &d, disposition).await;
                            key
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read the queue; trying again"),
            }
        }
        // Wait for a worker to finish, a new message, the next delayed message, or a stop.
        let wait = next_due
            .map_or(Duration::from_secs(1), |due| Duration::from_millis((due - now_ms()).clamp(1, 1000) as u64));
        let full = running.len() >= workers;
        tokio::select! {
            Some(done) = running.join_next(), if !running.is_empty() => {
                if let Ok(key) = done { busy.remove(&key); }
                // Reap whatever else finished meanwhile.
                while let Some(done) = running.try_join_next() {
                    if let Ok(key) = done { busy.remove(&key); }
                }
            }
            _ = queue.sent.notified(), if !full => {}
            _ = tokio::time::sleep(wait), if !full => {}
            _ = stop.changed() => {}
        }
    }
    // Drain: the messages in hand finish (their results are stored); the rest stays stored.
    let drained = tokio::time::timeout(grace, async { while running.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            unfinished = running.len(),
            "stopped before these finished; they stay queued for the next start"
        );
        running.abort_all();
    }
}

/// Stores what a worker did; a failed write is retried a few times and then left (the message
/// is then delivered again: the handlers are idempotent).
async fn settle(queue: &DurableQueue, d: &Delivery, disposition: Disposition) {
    for attempt in 0..5u32 {
        let r = match disposition {
            Disposition::Done => queue.ack(d).await,
            Disposition::Retry(after) => queue.retry(d, after).await,
        };
        match r {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, seq = d.seq, attempt, "cannot store a worker's result; trying again");
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
        }
    }
    tracing::error!(seq = d.seq, "the worker's result was not stored; the message will be delivered again");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;
    use mlm_bigcommerce::events::Work;
    use std::sync::Mutex;

    fn route(queue: Queue, order: i64, dedup: &str) -> Route {
        Route {
            queue,
            group: format!("order-{order}"),
            dedup: dedup.into(),
            message: Message {
                work: Work::Order { id: order },
                scope: "store/order/updated".into(),
                webhook_id: dedup.into(),
                created_at: None,
            },
        }
    }

    fn file(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mlm-queue-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", p.display()));
        }
        p
    }

    type Log = Arc<Mutex<Vec<(String, String)>>>;

    /// Runs a pool until the queue is empty; returns (group, webhook id) in handling order.
    async fn work_all(q: Arc<DurableQueue>, fail_first: usize) -> Vec<(String, String)> {
        let log: Log = Arc::default();
        let fails = Arc::new(AtomicU64::new(fail_first as u64));
        let (stop, stopped) = Stop::new();
        let l = log.clone();
        let p = tokio::spawn(pool(
            q.clone(),
            4,
            move |d: Delivery| {
                let (l, fails) = (l.clone(), fails.clone());
                async move {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    if fails.load(Ordering::SeqCst) > 0 {
                        fails.fetch_sub(1, Ordering::SeqCst);
                        return Disposition::Retry(Duration::from_millis(20));
                    }
                    let m = crate::decode(&d.body).unwrap();
                    l.lock().unwrap().push((d.group, m.webhook_id));
                    Disposition::Done
                }
            },
            stopped,
            Duration::from_secs(5),
        ));
        let t = std::time::Instant::now();
        while q.backlog() > 0 {
            assert!(t.elapsed() < Duration::from_secs(20), "backlog {} left", q.backlog());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.stop();
        p.await.unwrap();
        let v = log.lock().unwrap().clone();
        v
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_group_in_send_order_and_groups_concurrently() {
        let q = Arc::new(DurableQueue::in_memory(Duration::from_secs(300), 1000).unwrap());
        for i in 0..40 {
            q.send(&route(Queue::Commission, i % 5, &format!("wh-{i}"))).await.unwrap();
        }
        assert_eq!(q.backlog(), 40);
        let log = work_all(q.clone(), 0).await;
        assert_eq!(log.len(), 40, "each message once");
        for g in 0..5 {
            let ids: Vec<&str> =
                log.iter().filter(|(gr, _)| *gr == format!("order-{g}")).map(|(_, w)| w.as_str()).collect();
            let want: Vec<String> = (0..40).filter(|i| i % 5 == g).map(|i| format!("wh-{i}")).collect();
            assert_eq!(ids, want, "group {g} in send order");
        }
        // Concurrency: the first four handled are from four different groups.
        let first: HashSet<&str> = log[..4].iter().map(|(g, _)| g.as_str()).collect();
        assert_eq!(first.len(), 4, "{log:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reused_id_is_accepted_once_with_the_same_message_and_refused_with_another() {
        let q = DurableQueue::in_memory(Duration::from_secs(300), 1000).unwrap();
        q.send(&route(Queue::Commission, 1, "wh-1")).await.unwrap();
        q.send(&route(Queue::Commission, 1, "wh-1")).await.unwrap();
        assert_eq!(q.backlog(), 1, "the same message again is a duplicate");
        let e = q.send(&route(Queue::Commission, 2, "wh-1")).await.unwrap_err();
        assert!(matches!(e, QueueError::Conflict { .. }), "{e}");
        assert_eq!(e.to_string(), "commission queue: webhook id \"wh-1\" was already used for another message");
        // Per queue, as SQS.
        q.send(&route(Queue::Refund, 2, "wh-1")).await.unwrap();
        assert_eq!(q.backlog(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ids_are_forgotten_after_the_window() {
        let q = DurableQueue::in_memory(Duration::ZERO, 1000).unwrap();
        q.send(&route(Queue::Catalog, 1, "wh-1")).await.unwrap();
        q.send(&route(Queue::Catalog, 2, "wh-1")).await.unwrap();
        assert_eq!(q.backlog(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_backlog_is_bounded() {
        let q = DurableQueue::in_memory(Duration::from_secs(300), 2).unwrap();
        q.send(&route(Queue::Commission, 1, "a")).await.unwrap();
        q.send(&route(Queue::Commission, 1, "b")).await.unwrap();
        let e = q.send(&route(Queue::Commission, 1, "c")).await.unwrap_err();
        assert_eq!(e.to_string(), "commission queue: the backlog is at its bound of 2 messages; try again later");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn what_was_stored_is_delivered_after_reopening() {
        let path = file("reopen.db");
        {
            let q = DurableQueue::open(&path).unwrap();
            for i in 0..10 {
                q.send(&route(Queue::Commission, i % 2, &format!("wh-{i}"))).await.unwrap();
            }
        }
        let q = Arc::new(DurableQueue::open(&path).unwrap());
        assert_eq!(q.backlog(), 10);
        // The ids are still remembered: a redelivery is a duplicate.
        q.send(&route(Queue::Commission, 0, "wh-0")).await.unwrap();
        assert_eq!(q.backlog(), 10);
        let log = work_all(q.clone(), 0).await;
        assert_eq!(log.len(), 10);
        drop(q);
        assert_eq!(DurableQueue::open(&path).unwrap().backlog(), 0, "acknowledged messages are gone from the file");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failure_is_retried_and_its_group_waits() {
        let path = file("retry.db");
        let q = Arc::new(DurableQueue::open(&path).unwrap());
        for i in 0..6 {
            q.send(&route(Queue::Commission, 7, &format!("wh-{i}"))).await.unwrap();
        }
        let log = work_all(q, 3).await;
        let ids: Vec<&str> = log.iter().map(|(_, w)| w.as_str()).collect();
        assert_eq!(ids, ["wh-0", "wh-1", "wh-2", "wh-3", "wh-4", "wh-5"], "retries keep the group's order");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stopping_leaves_unfinished_work_stored() {
        let path = file("stop.db");
        let q = Arc::new(DurableQueue::open(&path).unwrap());
        for i in 0..3 {
            q.send(&route(Queue::Commission, i, &format!("wh-{i}"))).await.unwrap();
        }
        let (stop, stopped) = Stop::new();
        let p = tokio::spawn(pool(
            q.clone(),
            4,
            |_d: Delivery| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Disposition::Done
            },
            stopped,
            Duration::from_millis(50),
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.stop();
        p.await.unwrap();
        assert_eq!(q.backlog(), 3, "aborted past the grace period: still stored");
    }
}
