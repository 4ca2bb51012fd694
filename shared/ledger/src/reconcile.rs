//! Reconciling one order: the state the ledger should hold for an order as the store has it now,
//! written as the difference from what it holds, in one conditional transaction.
//!
//! The order lives through time (`docs/lifecycle.md`):
//! - a snapshot older than the stored one is refused ([`staler`]): an order never goes backwards;
//! - refunds keep the time first recorded, and one that arrives after its period closed is booked
//!   at the start of the first open period ([`settle_times`]): a closed period never changes;
//! - an order whose own period is closed may still be refunded or cancelled: its lines there stay
//!   as booked, and the late refunds book clawbacks (spec §12) and reduce the credited
//!   distributor's running totals in their own, open period; anything else that changes such an
//!   order (a new order, new lines, a payment after the close) is parked for an admin.

use crate::freshness::{changed_sale, open_from, settle_times, staler};
use crate::model::*;
use crate::port::{Store, StoreError};
use crate::service::{period_of, versions, Applied, Ledger, LedgerError, MAX_ATTEMPTS, PROVISIONAL_UPLINE};
use mlm_engine::book::{attribute, exchange_rate, Book, Buyer, Catalog, Category, NewOrder, RefundAsk};
use mlm_engine::close::{clawback_lines, fast_start_lines, matrix_lines, unilevel_lines, Kind, PaidLine, Upline};
use mlm_engine::genealogy::NONE;
use mlm_engine::num::mul_round;
use mlm_engine::period::Timestamp;
use mlm_engine::plan::Plan;
use mlm_engine::rules::fast_start::in_window;
use mlm_engine::scenario as sc;
use mlm_engine::simulate::plan_in;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// The state an order should have, and how its credited distributor's running totals change.
type Desired = (StoredOrder, Vec<AggregateDelta>);

impl<S: Store> Ledger<S> {
    /// Reconciles the ledger with an order as the store has it now. Idempotent: the same
    /// snapshot twice writes once. Two workers racing on one order both condition their write on
    /// the version they read; the loser re-reads, and writes only if its snapshot is not older
    /// than the winner's.
    pub async fn apply_order(&self, snap: &OrderSnapshot) -> Result<Applied, LedgerError> {
        self.reconcile(snap, None).await
    }

    pub(crate) async fn reconcile(
        &self,
        snap: &OrderSnapshot,
        booking: Option<Booking>,
    ) -> Result<Applied, LedgerError> {
        let mut parties: Vec<String> = snap.buyer.iter().chain(&snap.referrer).cloned().collect();
        parties.dedup();
        let query = ContextQuery { order: snap.id, parties, skus: snap.lines.iter().map(|l| l.sku.clone()).collect() };
        for _ in 0..MAX_ATTEMPTS {
            let ctx = self.store.context(&query).await?;
            let held = ctx.stored.as_ref().map(|s| &s.snapshot);
            if let Some(why) = held.and_then(|h| staler(h, snap)) {
                tracing::info!(order = snap.id, stale = %why, "older snapshot refused");
                return Ok(Applied::Stale(why));
            }
            let (first, _) = versions(&ctx.plans)?;
            let snap = &settle_times(snap, held, open_from(&first, &ctx.closed));
            if booking.is_none() && held == Some(snap) {
                return Ok(Applied::Unchanged);
            }
            let (order, aggregates) = match self.desired(&ctx, snap, booking.clone()).await? {
                Ok(d) => d,
                Err(reason) => {
                    tracing::warn!(needs_attention = 1, order = snap.id, %reason, "order parked");
                    self.store
                        .park(&Parked {
                            key: order_park_key(snap.id),
                            source: format!("order {}", snap.id),
                            reason: reason.clone(),
                            payload: serde_json::to_string(snap).expect("snapshots serialize"),
                        })
                        .await?;
                    return Ok(Applied::Parked(reason));
                }
            };
            let stored = ctx.stored;
            let old_lines = stored.as_ref().map_or(&[][..], |s| s.lines.as_slice());
            let put_lines: Vec<StoredLine> = order.lines.iter().filter(|l| !old_lines.contains(l)).cloned().collect();
            let remove_lines: Vec<StoredLine> = old_lines
                .iter()
                .filter(|l| {
                    !order.lines.iter().any(|n| n.earner == l.earner && n.period == l.period && n.key() == l.key())
                })
                .cloned()
                .collect();
            debug_assert!(
                put_lines.iter().chain(&remove_lines).all(|l| !ctx.closed.contains(&l.period)),
                "a closed period's lines never change"
            );
            // The periods the write changes (a new order its own period even with nothing
            // to pay (a pending order), so it cannot slip into a period whose close has begun.
            let mut periods: Vec<String> = put_lines
                .iter()
                .chain(&remove_lines)
                .map(|l| l.period.clone())
                .chain(aggregates.iter().map(|a| a.period.clone()))
                .chain(stored.is_none().then(|| order.period.clone()))
                .collect();
            periods.sort();
            periods.dedup();
            let version = stored.as_ref().map_or(1, |s| s.version + 1);
            let lines = order.lines.len();
            let write = OrderWrite {
                order: StoredOrder { version, ..order },
                expected_version: stored.map(|s| s.version),
                remove_lines,
                put_lines,
                aggregates,
                // Whatever parked this order before is resolved by this write.
                unpark: ctx.parked.then(|| order_park_key(snap.id)),
                periods,
            };
            match self.store.write_order(&write).await {
                Ok(()) => return Ok(Applied::Written { version, lines }),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(LedgerError::Contended(snap.id, MAX_ATTEMPTS))
    }

    /// The state the ledger should hold for `snap`, or why it cannot be processed.
    async fn desired(
        &self,
        ctx: &OrderContext,
        snap: &OrderSnapshot,
        booking: Option<Booking>,
    ) -> Result<Result<Desired, String>, LedgerError> {
        let (first, later) = versions(&ctx.plans)?;
        let booked = booking.or_else(|| ctx.stored.as_ref().and_then(|s| s.booked.clone()));
        let placed_at = booked.as_ref().map_or(snap.placed_at, |b| b.at);
        let period = period_of(&first, placed_at);
        let plan = plan_in(&first, &later, period).clone();
        let is_closed = |p: &str| ctx.closed.iter().any(|c| c == p);
        let own_closed = is_closed(&period.to_string());
        if own_closed {
            match &ctx.stored {
                None => {
                    return Ok(Err(format!(
                        "order {}: placed in {period}, which is already closed: an admin books it into the open \
                         period (`mlm reprocess --book order#{}`) or dismisses it (`--dismiss`)",
                        snap.id, snap.id
                    )))
                }
                Some(s) => {
                    if let Some(why) = changed_sale(&s.snapshot, snap) {
                        return Ok(Err(format!(
                            "order {}: placed in {period}, which is already closed, and {why}: only refunds and \
                             cancellations reach a closed period's orders; dismiss the entry and record any \
                             correction in the open period",
                            snap.id
                        )));
                    }
                }
            }
        }
        // The parties this order involves, as a small network: the credited distributor's
        // upline comes from its record, never from walking the tree.
        let mut people: Vec<DistributorRecord> = ctx.distributors.clone();
        let find = |people: &[DistributorRecord], id: &str| people.iter().position(|d| d.id == id).map(|i| i as u32);
        let referrer = match snap.referrer.as_deref() {
            None => None,
            Some(r) => match find(&people, r) {
                Some(d) => Some(d),
                None => return Ok(Err(format!("referrer {r:?} is not a distributor"))),
            },
        };
        let buyer = match snap.buyer.as_deref() {
            None => Buyer::Guest,
            Some(b) => match (find(&people, b), ctx.customers.iter().find(|c| c.id == b)) {
                (Some(d), _) => Buyer::Distributor(d),
                (None, Some(c)) => match c.referrer.as_deref() {
                    None => Buyer::Customer(None),
                    Some(r) => match find(&people, r) {
                        Some(d) => Buyer::Customer(Some(d)),
                        // The customer's referrer: one more read (the fourth round trip at most).
                        None => match self.store.distributor(r).await? {
                            Some(rec) => {
                                people.push(rec);
                                Buyer::Customer(Some(people.len() as u32 - 1))
                            }
                            None => {
                                return Ok(Err(format!("customer {b:?} has referrer {r:?}, who is not a distributor")))
                            }
                        },
                    },
                },
                (None, None) => return Ok(Err(format!("buyer {b:?} is neither a distributor nor a customer"))),
            },
        };
        let (credited, category) = attribute(buyer, referrer);
        let rate = match exchange_rate(&plan.currency, snap.currency.as_deref(), snap.exchange_rate) {
            Ok(x) => x,
            Err(m) => return Ok(Err(format!("exchange rate {m}"))),
        };
        // The mapping that paid the order stays with it; a SKU unmapped until now takes the
        // current one.
        let mut mappings: Vec<Mapping> = ctx.stored.as_ref().map_or_else(Vec::new, |s| s.mappings.clone());
        for m in &ctx.mappings {
            if !mappings.iter().any(|x| x.sku == m.sku) {
                mappings.push(m.clone());
            }
        }
        let mut catalog = Catalog::default();
        for m in &mappings {
            let _ = catalog.add(sc::CatalogItem { sku: m.sku.clone(), bv: m.bv, bv_rate: m.bv_rate, pv: m.pv });
        }
        let mut book = Book::new(plan.period, &plan.currency, catalog);
        let counts = snap.status != OrderStatus::Pending;
        let mut lines_iter = snap.lines.iter().map(|l| (l.sku.as_str(), l.quantity, l.unit_price));
        let oi = book
            .add_order(NewOrder {
                id: snap.id,
                buyer: credited,
                category,
                placed_at: Timestamp(placed_at),
                tie: snap.id as u64,
                exchange_rate: rate,
                lines: &mut lines_iter,
            })
            .expect("a fresh book");
        for r in refunds_of(snap) {
            if let Err(e) = book.add_refund(oi, Timestamp(r.at), r.id as u64, r.ask) {
                return Ok(Err(format!("refund {}: {}: {}", r.id, e.field, e.message)));
            }
        }
        let value = if counts { book.orders[oi as usize].value } else { mlm_engine::book::Value::default() };
        let category_name = match category {
            Category::Distributor => "distributor",
            Category::Retail => "retail",
            Category::House => "house",
        };
        let credited_rec = (credited != NONE).then(|| &people[credited as usize]);
        let period_s = period.to_string();
        let stored_lines = ctx.stored.as_ref().map_or(&[][..], |s| s.lines.as_slice());
        // A closed period's lines stay exactly as booked.
        let own = if own_closed {
            stored_lines.iter().filter(|l| l.period == period_s).cloned().collect()
        } else if counts {
            self.provisional(&plan, &book, oi, credited_rec, &period_s).await?
        } else {
            Vec::new()
        };
        let mut late = Vec::new();
        let mut lines = own.clone();
        if counts {
            let (clawbacks, removed) = late_effects(&book, oi, &own);
            for l in clawbacks {
                if !is_closed(&l.period) {
                    lines.push(l);
                }
            }
            late = removed;
        }
        lines.extend(stored_lines.iter().filter(|l| l.period != period_s && is_closed(&l.period)).cloned());
        number_repeats(&mut lines);
        let order = StoredOrder {
            snapshot: snap.clone(),
            version: 0,
            period: period_s.clone(),
            credited: credited_rec.map(|d| d.id.clone()),
            category: category_name.into(),
            value: Volumes { net: value.net, bv: value.bv, pv: value.pv },
            lines,
            mappings,
            late,
            booked,
        };
        let aggregates = aggregate_changes(ctx.stored.as_ref(), &order, &ctx.closed);
        Ok(Ok((order, aggregates)))
    }

    /// Provisional lines (spec preamble): activity from the PV recorded so far in the period,
    /// compliance from the sales recorded so far, no rank (until the first close). One batched
    /// read of the upline's running totals, whatever the depth of the genealogy.
    async fn provisional(
        &self,
        plan: &Plan,
        book: &Book,
        oi: u32,
        credited: Option<&DistributorRecord>,
        period: &str,
    ) -> Result<Vec<StoredLine>, LedgerError> {
        let o = &book.orders[oi as usize];
        let bv = o.value.bv;
        let label = plan.label();
        let line = |earner: &str,
                    kind: &str,
                    level: Option<u16>,
                    base: Decimal,
                    rate: Decimal,
                    amount: Decimal,
                    held: bool| {
            StoredLine {
                earner: earner.to_string(),
                period: period.to_string(),
                kind: kind.into(),
                of: None,
                order: Some(o.id),
                level,
                base,
                rate,
                amount: money(amount),
                status: if held { "held" } else { "payable" }.into(),
                plan: label.clone(),
                fin: false,
                seq: 0,
                r#ref: None,
            }
        };
        let mut out = Vec::new();
        let Some(c) = credited else { return Ok(out) };
        if let (Some(r), Category::Retail) = (&plan.retail, o.category) {
            if o.value.net > Decimal::ZERO {
                out.push(line(&c.id, "retail", None, o.value.net, r.rate, mul_round(r.rate, o.value.net, 2), false));
            }
        }
        if bv <= Decimal::ZERO {
            return Ok(out);
        }
        let sponsors = &c.upline[..c.upline.len().min(PROVISIONAL_UPLINE)];
        let matrix = match &plan.matrix {
            Some(m) => &c.matrix_upline[..c.matrix_upline.len().min(m.rates.len())],
            None => &[][..],
        };
        let ids: Vec<String> = sponsors.iter().chain(matrix).cloned().collect();
        let known = self.store.aggregates(period, &ids).await?;
        let status: HashMap<&str, &Aggregate> = ids.iter().map(String::as_str).zip(&known).collect();
        let unranked = plan.unilevel_depths().last().copied().unwrap_or(0);
        let view = |who: u32, id: &str| {
            let a = status[id];
            let held = !plan.is_compliant(a.retail_sales, a.personal_sales);
            Upline { who, active: plan.is_active(a.pv), depth: unranked, held }
        };
        // `who` is the position in the path, to name the earner back.
        if let Some(u) = &plan.unilevel {
            unilevel_lines(
                u,
                bv,
                sponsors.iter().enumerate().map(|(i, id)| view(i as u32, id)),
                |a, level, rate, amount| {
                    out.push(line(&sponsors[a.who as usize], "unilevel", Some(level), bv, rate, amount, a.held));
                },
            );
        }
        if let Some(m) = &plan.matrix {
            matrix_lines(
                m,
                bv,
                matrix.iter().enumerate().map(|(i, id)| view(i as u32, id)),
                |a, level, rate, amount| {
                    out.push(line(&matrix[a.who as usize], "matrix", Some(level), bv, rate, amount, a.held));
                },
            );
        }
        // Fast-start (spec §17): on orders in the credited distributor's first `days` days.
        if let Some(f) = plan.fast_start.as_ref().filter(|f| in_window(f, Timestamp(c.joined_at), o.placed_at)) {
            let up = sponsors.iter().enumerate().map(|(i, id)| view(i as u32, id));
            fast_start_lines(f, bv, up, |a, level, rate, amount| {
                out.push(line(&sponsors[a.who as usize], "fast_start", Some(level), bv, rate, amount, a.held));
            });
        }
        Ok(out)
    }
}

/// Money at two decimals, as statements show it (6.0 is stored as 6.00).
fn money(mut amount: Decimal) -> Decimal {
    amount.rescale(2);
    amount
}

/// The clawbacks (spec §12) of an order's late refunds against `paid`, its lines in its own
/// period, and the volumes each late refund removed, by period.
fn late_effects(book: &Book, oi: u32, paid: &[StoredLine]) -> (Vec<StoredLine>, Vec<LateVolumes>) {
    // `earner` holds the position in `paid`, to spell each clawback out from its line.
    let mut kept: Vec<PaidLine> = paid
        .iter()
        .enumerate()
        .map(|(i, l)| PaidLine {
            earner: i as u32,
            // Only retail is reversed on sales rather than BV; the kind itself comes from `paid`.
            kind: if l.kind == "retail" { Kind::Retail } else { Kind::Unilevel },
            level: l.level.unwrap_or(0),
            rate: l.rate,
            amount: l.amount,
            held: l.status == "held",
            clawed: Decimal::ZERO,
            plan: Arc::from(l.plan.as_str()),
        })
        .collect();
    let mut clawbacks = Vec::new();
    let mut removed: Vec<LateVolumes> = Vec::new();
    for &r in book.refunds_of(oi) {
        let rec = &book.refunds[r as usize];
        if !rec.late {
            continue;
        }
        let period = rec.period.to_string();
        let v = Volumes { net: rec.removed.net, bv: rec.removed.bv, pv: rec.removed.pv };
        match removed.iter_mut().find(|x| x.period == period) {
            Some(x) => {
                x.removed.net += v.net;
                x.removed.bv += v.bv;
                x.removed.pv += v.pv;
            }
            None => removed.push(LateVolumes { period: period.clone(), removed: v }),
        }
        clawback_lines(&mut kept, rec.removed, rec.leaves_none, |l, base, amount| {
            let of = &paid[l.earner as usize];
            clawbacks.push(StoredLine {
                kind: "clawback".into(),
                of: Some(of.kind.clone()),
                period: period.clone(),
                base,
                amount: money(amount),
                fin: false,
                seq: 0,
                ..of.clone()
            });
        });
    }
    (clawbacks, removed)
}

/// Numbers lines that share an earner, period and key (the clawbacks of two refunds of one
/// order booked in one period), in the order they come.
pub(crate) fn number_repeats(lines: &mut [StoredLine]) {
    let mut seen: HashMap<(String, String, String), u32> = HashMap::new();
    for l in lines.iter_mut() {
        l.seq = 0;
        let n = seen.entry((l.earner.clone(), l.period.clone(), l.key())).or_insert(0);
        l.seq = *n;
        *n += 1;
    }
}

/// The running totals this order contributes, by (earner, period): its value in its own period
/// and what late refunds removed in theirs.
fn contributions(o: &StoredOrder) -> Vec<AggregateDelta> {
    let Some(c) = &o.credited else { return Vec::new() };
    let mut out = vec![volume_delta(c, &o.period, &o.category, &o.value, Decimal::ONE)];
    out.extend(o.late.iter().map(|l| volume_delta(c, &l.period, &o.category, &l.removed, Decimal::NEGATIVE_ONE)));
    out
}

/// How the running totals change from `old` to `new`, netted per (earner, period); nothing in
/// a closed period changes.
fn aggregate_changes(old: Option<&StoredOrder>, new: &StoredOrder, closed: &[String]) -> Vec<AggregateDelta> {
    let mut out: Vec<AggregateDelta> = Vec::new();
    let negated = old.map_or_else(Vec::new, contributions).into_iter().map(|mut d| {
        d.pv = -d.pv;
        d.bv = -d.bv;
        d.retail_sales = -d.retail_sales;
        d.personal_sales = -d.personal_sales;
        d
    });
    for d in negated.chain(contributions(new)) {
        match out.iter_mut().find(|x| x.earner == d.earner && x.period == d.period) {
            Some(x) => {
                x.pv += d.pv;
                x.bv += d.bv;
                x.retail_sales += d.retail_sales;
                x.personal_sales += d.personal_sales;
            }
            None => out.push(d),
        }
    }
    out.retain(|d| {
        let zero = d.pv.is_zero() && d.bv.is_zero() && d.retail_sales.is_zero() && d.personal_sales.is_zero();
        !zero && !closed.contains(&d.period)
    });
    out
}

struct RefundIn {
    id: i64,
    at: i64,
    ask: RefundAsk,
}

/// The snapshot's refunds in (`at`, id) order, then a cancellation as a full refund of whatever
/// remains (nothing is added when the refunds already took everything).
fn refunds_of(s: &OrderSnapshot) -> Vec<RefundIn> {
    let mut out: Vec<RefundIn> = s
        .refunds
        .iter()
        .map(|r| RefundIn {
            id: r.id,
            at: r.at,
            ask: if r.full { RefundAsk::Full } else { RefundAsk::Lines(r.lines.clone()) },
        })
        .collect();
    out.sort_by_key(|r| (r.at, r.id));
    if let OrderStatus::Cancelled { at } = s.status {
        let mut left: HashMap<&str, i64> = HashMap::new();
        for l in &s.lines {
            *left.entry(&l.sku).or_default() += l.quantity as i64;
        }
        let mut everything = false;
        for r in &s.refunds {
            everything |= r.full;
            for (sku, q) in &r.lines {
                *left.entry(sku).or_default() -= *q as i64;
            }
        }
        if !everything && left.values().any(|&q| q > 0) {
            out.push(RefundIn { id: i64::MAX, at, ask: RefundAsk::Full });
        }
    }
    out
}

/// The refunds of a stored snapshot as the engine reads them, `(at, id, ask)` in (`at`, id)
/// order, a cancellation last.
pub fn refund_asks(s: &OrderSnapshot) -> Vec<(i64, i64, RefundAsk)> {
    refunds_of(s).into_iter().map(|r| (r.at, r.id, r.ask)).collect()
}

fn volume_delta(earner: &str, period: &str, category: &str, v: &Volumes, sign: Decimal) -> AggregateDelta {
    AggregateDelta {
        earner: earner.to_string(),
        period: period.to_string(),
        pv: v.pv * sign,
        bv: v.bv * sign,
        retail_sales: if category == "retail" { v.net * sign } else { Decimal::ZERO },
        personal_sales: if category == "distributor" { v.net * sign } else { Decimal::ZERO },
    }
}
