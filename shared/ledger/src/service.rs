//! The ledger service: plans, enrollment, close a period (authoritative, through the engine's
//! own close), read statements. Generic over [`Store`]. Reconciling one order (online,
//! provisional) is in [`crate::reconcile`].

use crate::model::*;
use crate::port::{Store, StoreError};
use crate::reconcile::{number_repeats, refund_asks};
use mlm_engine::book::RefundAsk;
use mlm_engine::genealogy::{chain, Network};
use mlm_engine::period::{Period, Timestamp};
use mlm_engine::plan::Plan;
use mlm_engine::scenario::{self as sc, Leg, Scenario};
use mlm_engine::simulate::plan_in;
use mlm_engine::{Format, InputError, InputErrors, Run};
use rust_decimal::Decimal;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(InputErrors),
    #[error("no plan has been set: set one first (`mlm set-plan plan.yaml`)")]
    NoPlan,
    #[error("{period} has not ended: it ends at {ends}; a period closes once its last day is over")]
    NotEnded { period: String, ends: String },
    #[error("order {0} kept changing under concurrent writers; giving up after {1} attempts")]
    Contended(i64, u32),
}

/// What applying an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The ledger already held this exact order: nothing written.
    Unchanged,
    /// The order's new state was written, with this many provisional lines.
    Written { version: u64, lines: usize },
    /// The order cannot be processed; it is kept with the reason.
    Parked(String),
    /// The snapshot is older than the one the ledger holds (a slow read lost a race): nothing
    /// written, and why.
    Stale(String),
}

pub struct Ledger<S> {
    pub store: S,
}

/// How many upline members a provisional evaluation reads (one BatchGet's worth).
pub const PROVISIONAL_UPLINE: usize = 99;
pub(crate) const MAX_ATTEMPTS: u32 = 8;

fn leg(s: &str) -> Leg {
    if s == "right" {
        Leg::Right
    } else {
        Leg::Left
    }
}

pub(crate) fn period_of(plan: &Plan, at: i64) -> Period {
    Period::of(plan.period, Timestamp(at))
}

impl<S: Store> Ledger<S> {
    pub fn new(store: S) -> Ledger<S> {
        Ledger { store }
    }

    /// Validates and stores a plan version. The first applies from the start; each later one
    /// takes effect from `effective` (a period not closed yet) and may not change what shapes
    /// the trees and books already built ([`Plan::check_successor`]).
    pub async fn set_plan(&self, text: &str, effective: Option<&str>) -> Result<Plan, LedgerError> {
        let plan = Plan::from_text(text, Format::Yaml, "").map_err(LedgerError::Invalid)?;
        let versions = self.store.plans().await?;
        let effective = match (versions.last(), effective) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(LedgerError::Invalid(InputErrors::one(
                    "effective".into(),
                    "a new plan version needs the period it takes effect from".into(),
                )))
            }
            (Some(last), Some(p)) => {
                let current = Plan::from_text(&last.text, Format::Yaml, "").map_err(LedgerError::Invalid)?;
                current.check_successor(&plan).map_err(LedgerError::Invalid)?;
                let from = Period::parse(plan.period, p)
                    .map_err(|m| LedgerError::Invalid(InputErrors::one("effective".into(), m)))?;
                let closed = self.store.closed_periods().await?;
                if let Some(c) = closed.iter().find(|c| Period::parse(plan.period, c).is_ok_and(|c| c >= from)) {
                    return Err(LedgerError::Invalid(InputErrors::one(
                        "effective".into(),
                        format!("{p} is not after {c}, which is closed: a closed period never changes"),
                    )));
                }
                if let Some(prev) = versions.iter().rev().find_map(|v| v.effective.clone()) {
                    if Period::parse(plan.period, &prev).is_ok_and(|prev| from < prev) {
                        return Err(LedgerError::Invalid(InputErrors::one(
                            "effective".into(),
                            format!("{p} is before {prev}, when the previous version takes effect"),
                        )));
                    }
                }
                Some(from.to_string())
            }
        };
        self.store.put_plan(&PlanVersion { version: plan.version, text: text.to_string(), effective }).await?;
        Ok(plan)
    }

    /// The newest plan version.
    pub async fn plan(&self) -> Result<Plan, LedgerError> {
        latest_plan(&self.store.plans().await?)
    }

    /// Enrolls distributors after checking them against everyone already enrolled: the whole
    /// batch is written, or nothing (errors name `distributors[i]` within the batch).
    pub async fn enroll(&self, batch: &[DistributorRecord]) -> Result<(), LedgerError> {
        let records = self.check_enrollment(batch).await?;
        self.store.enroll(&records).await?;
        let index: Vec<(String, String, String)> = records
            .iter()
            .filter_map(|d| d.bigcommerce_customer_id.map(|c| (c, &d.id)))
            .map(|(c, id)| (CUSTOMER_INDEX.to_string(), c.to_string(), serde_json::to_string(id).expect("strings")))
            .collect();
        self.store.put_docs(&index).await?;
        Ok(())
    }

    /// Checks a batch of new distributors against everyone already enrolled and returns them
    /// with their upline paths filled in, or every problem found (`distributors[i].field`):
    /// unknown sponsor, a sponsor listed after its recruit, a duplicate id or e-mail, a taken or
    /// unknown placement, `joined_at` going backwards. Nothing is written.
    pub async fn check_enrollment(&self, batch: &[DistributorRecord]) -> Result<Vec<DistributorRecord>, LedgerError> {
        let plan = self.plan().await?;
        let mut net = Network::new(&plan);
        let mut emails: HashMap<String, String> = HashMap::new();
        let mut last = None;
        for d in self.store.distributors().await? {
            let placement = d.placement.as_ref().map(|(p, l)| (p.as_str(), leg(l)));
            net.add(&d.id, d.sponsor.as_deref(), placement).map_err(|e| {
                LedgerError::Invalid(InputErrors::one(format!("stored distributor {}", d.id), e.message))
            })?;
            if let Some(e) = &d.email {
                emails.insert(normalize_email(e), d.id.clone());
            }
            last = Some(d.joined_at);
        }
        let later: HashMap<&str, usize> = batch.iter().enumerate().map(|(i, d)| (d.id.as_str(), i)).collect();
        let mut errors = Vec::new();
        let mut err = |i: usize, field: &str, message: String| {
            errors.push(InputError { path: format!("distributors[{i}].{field}"), message })
        };
        for (i, d) in batch.iter().enumerate() {
            if last.is_some_and(|t| d.joined_at < t) {
                err(i, "joined_at", "must not be earlier than the previous distributor's".into());
            }
            last = Some(d.joined_at);
            if let Some(e) = &d.email {
                let key = normalize_email(e);
                if let Some(owner) = emails.get(&key) {
                    err(i, "email", format!("{e:?} already belongs to distributor {owner:?}"));
                } else {
                    emails.insert(key, d.id.clone());
                }
            }
            let mut sponsor = d.sponsor.as_deref();
            if let Some(s) = sponsor {
                if net.get(s).is_none() {
                    match later.get(s) {
                        Some(&j) if j > i => {
                            err(i, "sponsor", format!("sponsor {s:?} is listed after its recruit (distributors[{j}])"))
                        }
                        _ => err(i, "sponsor", format!("unknown distributor {s:?}")),
                    }
                    sponsor = None;
                }
            }
            let placement = d.placement.as_ref().map(|(p, l)| (p.as_str(), leg(l)));
            match net.add(&d.id, sponsor, placement) {
                Ok(_) => {}
                Err(e) if e.field == "id" => err(i, "id", e.message),
                Err(e) => {
                    err(i, e.field, e.message);
                    // Enroll it anyway, so later rows that refer to it are still checked.
                    let _ = net.add(&d.id, sponsor, None);
                }
            }
        }
        if !errors.is_empty() {
            return Err(LedgerError::Invalid(InputErrors(errors)));
        }
        let path = |first: u32, parent: &[u32]| -> Vec<String> {
            chain(first, |x| parent[x as usize]).map(|x| net.ids[x as usize].clone()).collect()
        };
        Ok(batch
            .iter()
            .map(|d| {
                let i = net.get(&d.id).expect("just added") as usize;
                DistributorRecord {
                    upline: path(net.sponsor[i], &net.sponsor),
                    matrix_upline: net.matrix.as_ref().map_or_else(Vec::new, |m| path(m.parent[i], &m.parent)),
                    ..d.clone()
                }
            })
            .collect())
    }

    pub async fn add_customer(&self, c: &CustomerRecord) -> Result<(), LedgerError> {
        self.store.put_customer(c).await?;
        Ok(())
    }

    pub async fn set_mapping(&self, m: &Mapping) -> Result<(), LedgerError> {
        self.store.put_mapping(m).await?;
        Ok(())
    }

    /// Everything stored, as the scenario `mlm simulate` would read: the same engine closes it.
    /// Orders tie on `placed_at` by id, refunds tie on `at` by order then refund id.
    pub async fn scenario(&self) -> Result<Scenario, LedgerError> {
        let (plan, _) = versions(&self.store.plans().await?)?;
        let distributors = self
            .store
            .distributors()
            .await?
            .into_iter()
            .map(|d| sc::Distributor {
                id: d.id,
                sponsor: d.sponsor,
                joined_at: Timestamp(d.joined_at),
                placement: d.placement.map(|(parent, l)| sc::Placement { parent, leg: leg(&l) }),
            })
            .collect();
        let customers = self
            .store
            .customers()
            .await?
            .into_iter()
            .map(|c| sc::Customer { id: c.id, referrer: c.referrer })
            .collect();
        let mut stored: Vec<StoredOrder> = self.store.orders().await?;
        // Each order is valued with the mappings that paid it: every distinct mapping of a SKU
        // becomes its own catalog entry under an internal name (SKUs never reach the statement).
        let mut catalog: Vec<sc::CatalogItem> = Vec::new();
        let mut aliases: HashMap<String, String> = HashMap::new();
        let mut alias_of = |m: &Mapping| -> String {
            let key = serde_json::to_string(m).expect("mappings serialize");
            let n = aliases.len();
            aliases
                .entry(key)
                .or_insert_with(|| {
                    let alias = format!("{}\u{0}{n}", m.sku);
                    catalog.push(sc::CatalogItem { sku: alias.clone(), bv: m.bv, bv_rate: m.bv_rate, pv: m.pv });
                    alias
                })
                .clone()
        };
        stored.retain(|o| o.snapshot.status != OrderStatus::Pending);
        // An order an admin booked into a later period counts from when it was booked.
        let placed = |o: &StoredOrder| o.booked.as_ref().map_or(o.snapshot.placed_at, |b| b.at);
        stored.sort_by_key(|o| (placed(o), o.snapshot.id));
        let mut refunds: Vec<(i64, i64, i64, sc::Refund)> = Vec::new();
        let orders: Vec<sc::Order> = stored
            .iter()
            .map(|o| {
                let s = &o.snapshot;
                let names: HashMap<&str, String> = o.mappings.iter().map(|m| (m.sku.as_str(), alias_of(m))).collect();
                let name = |sku: &str| names.get(sku).cloned().unwrap_or_else(|| sku.to_string());
                for (at, id, ask) in refund_asks(s) {
                    let what = match ask {
                        RefundAsk::Full => sc::RefundWhat::Full,
                        RefundAsk::Lines(lines) => sc::RefundWhat::Lines(
                            lines
                                .into_iter()
                                .map(|(sku, quantity)| sc::RefundLine { sku: name(&sku), quantity })
                                .collect(),
                        ),
                    };
                    refunds.push((at, s.id, id, sc::Refund { order: s.id, at: Timestamp(at), what }));
                }
                sc::Order {
                    id: s.id,
                    buyer: s.buyer.clone(),
                    referrer: s.referrer.clone(),
                    placed_at: Timestamp(placed(o)),
                    currency: s.currency.clone(),
                    exchange_rate: s.exchange_rate,
                    lines: s
                        .lines
                        .iter()
                        .map(|l| sc::OrderLine { sku: name(&l.sku), quantity: l.quantity, unit_price: l.unit_price })
                        .collect(),
                }
            })
            .collect();
        refunds.sort_by_key(|r| (r.0, r.1, r.2));
        Ok(Scenario {
            plan,
            distributors,
            customers,
            catalog,
            orders,
            refunds: refunds.into_iter().map(|r| r.3).collect(),
            adjustments: self.scenario_adjustments().await?,
        })
    }

    /// Closes `period` if it has ended by `now` (see [`Ledger::close_period`]); a period that has
    /// not ended, and so every later one, is refused: orders still arrive in it.
    pub async fn close_ended(&self, period: &str, now: Timestamp) -> Result<Vec<String>, LedgerError> {
        let plan = self.plan().await?;
        let target = Period::parse(plan.period, period)
            .map_err(|m| LedgerError::Invalid(InputErrors::one("period".into(), m)))?;
        let ends = target.next().start();
        if now < ends {
            return Err(LedgerError::NotEnded { period: period.to_string(), ends: ends.to_rfc3339() });
        }
        self.close_period(period).await
    }

    /// Closes `period` (and any earlier period of the run not closed yet): the engine computes
    /// the final statement once, its lines replace the provisional ones slice by slice, and the
    /// period is marked closed last. Returns the periods closed.
    pub async fn close_period(&self, period: &str) -> Result<Vec<String>, LedgerError> {
        self.mark_closing_until(period).await?;
        let closes = self.compute_closes(period).await?;
        let mut closed = Vec::new();
        for c in closes {
            for slice in 0..CLOSE_SLICES {
                self.store.put_close_slice(&c.slice(slice, CLOSE_SLICES)).await?;
            }
            self.store.mark_closed(&c.period, &c.statement).await?;
            closed.push(c.period);
        }
        Ok(closed)
    }

    /// One worker's share of closing `period` cut into `of` slices (for a fan-out across
    /// invocations when a network is too large for one): computes the close, writes slice
    /// `slice`, and, when it finds every slice done, marks the period closed. Returns whether
    /// the period is closed now. Earlier periods must be closed already; slices are idempotent,
    /// so a failed one is simply run again.
    pub async fn close_slice(&self, period: &str, slice: u32, of: u32) -> Result<bool, LedgerError> {
        if of == 0 || of > SHARDS || slice >= of {
            return Err(LedgerError::Invalid(InputErrors::one(
                "slice".into(),
                format!("slice {slice} of {of}: need 0 ≤ slice < of ≤ {SHARDS}"),
            )));
        }
        self.mark_closing_until(period).await?;
        let closes = self.compute_closes(period).await?;
        let Some(c) = closes.iter().find(|c| c.period == period) else {
            // Closed already, or nothing at all has happened yet.
            return Ok(self.store.closed_periods().await?.iter().any(|p| p == period));
        };
        if closes.len() > 1 {
            return Err(LedgerError::Invalid(InputErrors::one(
                "period".into(),
                format!("close {} first: periods close in order", closes[0].period),
            )));
        }
        self.store.put_close_slice(&c.slice(slice, of)).await?;
        if self.store.close_progress(period, of).await?.len() as u32 == of {
            self.store.mark_closed(period, &c.statement).await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Marks every period of the run up to `period` that is not closed yet as closing, before the
    /// close reads the orders: an order write that would change one of them after that read fails
    /// and, retried, finds the period closed (spec: a late event of a closed period).
    async fn mark_closing_until(&self, period: &str) -> Result<(), LedgerError> {
        let plan = self.plan().await?;
        let target = Period::parse(plan.period, period)
            .map_err(|m| LedgerError::Invalid(InputErrors::one("period".into(), m)))?;
        let closed = self.store.closed_periods().await?;
        let mut p = match closed.iter().filter_map(|c| Period::parse(plan.period, c).ok()).max() {
            Some(last) => last.next(),
            // Nothing closed yet: the run starts with its first order; with none, nothing closes
            // (and nothing may be marked: a period marked closing but never closed would refuse
            // its orders for good).
            None => match self.first_period(&plan).await? {
                Some(first) => first,
                None => return Ok(()),
            },
        };
        while p <= target {
            self.store.mark_closing(&p.to_string()).await?;
            p = p.next();
        }
        Ok(())
    }

    /// The period of the run's first event (an order or an adjustment), if any.
    async fn first_period(&self, plan: &Plan) -> Result<Option<Period>, LedgerError> {
        let orders = self.store.orders().await?;
        let adjustments = self.adjustments().await?;
        Ok(orders
            .iter()
            .map(|o| o.booked.as_ref().map_or(o.snapshot.placed_at, |b| b.at))
            .chain(adjustments.iter().map(|a| a.at))
            .min()
            .map(|t| period_of(plan, t)))
    }

    /// The closes of every period up to `period` that is not closed yet, computed by the engine.
    async fn compute_closes(&self, period: &str) -> Result<Vec<Close>, LedgerError> {
        let scenario = self.scenario().await?;
        let (_, later) = versions(&self.store.plans().await?)?;
        let target = Period::parse(scenario.plan.period, period)
            .map_err(|m| LedgerError::Invalid(InputErrors::one("period".into(), m)))?;
        let mut run = Run::prepare(scenario).map_err(LedgerError::Invalid)?;
        run.later = later;
        let already = self.store.closed_periods().await?;
        let mut closes = Vec::new();
        run.close_until(Some(target), |st| {
            if st.period > target {
                return false;
            }
            let name = st.period.to_string();
            if !already.contains(&name) {
                let explain = run.explain_in(st.period);
                let mut statement = Vec::new();
                explain.write_period(&mut statement, st).expect("writing to memory");
                let lines = st
                    .lines
                    .iter()
                    .map(|l| {
                        let v = explain.line(st, l);
                        let status = v.status().to_string();
                        StoredLine {
                            earner: v.earner,
                            period: name.clone(),
                            kind: v.kind.as_str().into(),
                            of: v.of.map(|k| k.as_str().to_string()),
                            order: v.order,
                            level: v.level,
                            base: v.base.unwrap_or_default(),
                            rate: v.rate.unwrap_or_default(),
                            amount: v.amount,
                            status,
                            plan: v.plan,
                            fin: true,
                            seq: 0,
                            r#ref: v.r#ref,
                        }
                    })
                    .collect::<Vec<_>>();
                let mut lines = lines;
                number_repeats(&mut lines);
                let payouts = st
                    .payout
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !p.is_zero())
                    .map(|(d, p)| (run.net.ids[d].clone(), *p))
                    .collect();
                closes.push(Close {
                    period: name,
                    statement: String::from_utf8(statement).expect("JSON is UTF-8"),
                    lines,
                    payouts,
                });
            }
            st.period < target
        });
        Ok(closes)
    }

    /// The statement `period` would have if it closed now (the daily refresh of ranks and
    /// compliance in an open period), without writing anything. `None` if it is closed.
    pub async fn preview(&self, period: &str) -> Result<Option<String>, LedgerError> {
        let closes = self.compute_closes(period).await?;
        Ok(closes.into_iter().find(|c| c.period == period).map(|c| c.statement))
    }

    /// The statement of a closed period in the JSON of spec §16 (one period).
    pub async fn statement(&self, period: &str) -> Result<Option<String>, LedgerError> {
        let Some(entry) = self.store.statement(period).await? else { return Ok(None) };
        let (first, later) = versions(&self.store.plans().await?)?;
        let p = Period::parse(first.period, period)
            .map_err(|m| LedgerError::Invalid(InputErrors::one("period".into(), m)))?;
        let plan = plan_in(&first, &later, p);
        Ok(Some(format!(
            "{{\"plan\":{},\"currency\":{},\"warnings\":[],\"periods\":[{entry}]}}\n",
            serde_json::to_string(&plan.label()).expect("string"),
            serde_json::to_string(&plan.currency).expect("string")
        )))
    }
}

/// How many slices a single-process close writes its period in.
const CLOSE_SLICES: u32 = 4;

/// A computed close of one period, before it is written.
struct Close {
    period: String,
    statement: String,
    lines: Vec<StoredLine>,
    payouts: Vec<(String, Decimal)>,
}

impl Close {
    fn slice(&self, slice: u32, of: u32) -> CloseSlice {
        CloseSlice {
            period: self.period.clone(),
            slice,
            of,
            lines: self.lines.iter().filter(|l| CloseSlice::holds(slice, of, &l.earner)).cloned().collect(),
            payouts: self.payouts.iter().filter(|(d, _)| CloseSlice::holds(slice, of, d)).cloned().collect(),
        }
    }
}

/// The newest of the plan versions (as [`Ledger::plan`] reads it), from versions already read.
pub fn latest_plan(versions: &[PlanVersion]) -> Result<Plan, LedgerError> {
    let last = versions.last().ok_or(LedgerError::NoPlan)?;
    Plan::from_text(&last.text, Format::Yaml, "").map_err(LedgerError::Invalid)
}

/// The first plan version and the later ones with the period each takes effect from.
pub(crate) fn versions(all: &[PlanVersion]) -> Result<(Plan, Vec<(Period, Plan)>), LedgerError> {
    let parse = |v: &PlanVersion| Plan::from_text(&v.text, Format::Yaml, "").map_err(LedgerError::Invalid);
    let first = parse(all.first().ok_or(LedgerError::NoPlan)?)?;
    let mut later = Vec::new();
    for v in &all[1..] {
        let from = v.effective.as_deref().ok_or(LedgerError::NoPlan)?;
        let from = Period::parse(first.period, from)
            .map_err(|m| LedgerError::Invalid(InputErrors::one("effective".into(), m)))?;
        later.push((from, parse(v)?));
    }
    Ok((first, later))
}

/// E-mails compare trimmed and lower-cased (one person, one account).
pub fn normalize_email(e: &str) -> String {
    e.trim().to_lowercase()
}
