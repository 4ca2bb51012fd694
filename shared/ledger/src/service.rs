//! The ledger service: reconcile one order into the ledger (online, provisional), close a period
//! (authoritative, through the engine's own close), read statements. Generic over [`Store`].

use crate::model::*;
use crate::port::{Store, StoreError};
use mlm_engine::book::{attribute, exchange_rate, Book, Buyer, Catalog, Category, NewOrder, RefundAsk};
use mlm_engine::close::{fast_start_lines, matrix_lines, unilevel_lines, Upline};
use mlm_engine::genealogy::{chain, Network, NONE};
use mlm_engine::num::mul_round;
use mlm_engine::period::{Period, Timestamp};
use mlm_engine::plan::Plan;
use mlm_engine::rules::fast_start::in_window;
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
    #[error("no plan has been set")]
    NoPlan,
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
}

pub struct Ledger<S> {
    pub store: S,
}

/// How many upline members a provisional evaluation reads (one BatchGet's worth).
pub const PROVISIONAL_UPLINE: usize = 99;
const MAX_ATTEMPTS: u32 = 8;

fn leg(s: &str) -> Leg {
    if s == "right" {
        Leg::Right
    } else {
        Leg::Left
    }
}

fn period_of(plan: &Plan, at: i64) -> Period {
    Period::of(plan.period, Timestamp(at))
}

impl<S: Store> Ledger<S> {
    pub fn new(store: S) -> Ledger<S> {
        Ledger { store }
    }

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

    /// Reconciles the ledger with an order as the store has it now. Idempotent: the same
    /// snapshot twice writes once. Two workers racing on one order both condition their write on
    /// the version they read; the loser re-reads and recomputes.
    pub async fn apply_order(&self, snap: &OrderSnapshot) -> Result<Applied, LedgerError> {
        let mut parties: Vec<String> = snap.buyer.iter().chain(&snap.referrer).cloned().collect();
        parties.dedup();
        let query = ContextQuery { order: snap.id, parties, skus: snap.lines.iter().map(|l| l.sku.clone()).collect() };
        for _ in 0..MAX_ATTEMPTS {
            let ctx = self.store.context(&query).await?;
            if ctx.stored.as_ref().is_some_and(|s| &s.snapshot == snap) {
                return Ok(Applied::Unchanged);
            }
            let desired = match self.desired(&ctx, snap).await? {
                Ok(d) => d,
                Err(reason) => {
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
            let (order, delta) = desired;
            let old_lines = stored.as_ref().map_or(&[][..], |s| s.lines.as_slice());
            let put_lines: Vec<StoredLine> = order.lines.iter().filter(|l| !old_lines.contains(l)).cloned().collect();
            let remove_lines: Vec<StoredLine> = old_lines
                .iter()
                .filter(|l| !order.lines.iter().any(|n| n.earner == l.earner && n.key() == l.key()))
                .cloned()
                .collect();
            let mut aggregates = Vec::new();
            if let Some(old) = &stored {
                if let Some(c) = &old.credited {
                    aggregates.push(volume_delta(c, &old.period, &old.category, &old.value, Decimal::NEGATIVE_ONE));
                }
            }
            aggregates.extend(delta);
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
    ) -> Result<Result<(StoredOrder, Option<AggregateDelta>), String>, LedgerError> {
        let (first, later) = versions(&ctx.plans)?;
        let period = period_of(&first, snap.placed_at);
        let plan = plan_in(&first, &later, period).clone();
        if ctx.closed.contains(&period.to_string()) {
            return Ok(Err(format!("placed in {period}, which is already closed")));
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
                placed_at: Timestamp(snap.placed_at),
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
        let lines =
            if counts { self.provisional(&plan, &book, oi, credited_rec, &period_s).await? } else { Vec::new() };
        let order = StoredOrder {
            snapshot: snap.clone(),
            version: 0,
            period: period_s.clone(),
            credited: credited_rec.map(|d| d.id.clone()),
            category: category_name.into(),
            value: Volumes { net: value.net, bv: value.bv, pv: value.pv },
            lines,
            mappings,
        };
        let delta = credited_rec.map(|c| volume_delta(&c.id, &period_s, category_name, &order.value, Decimal::ONE));
        Ok(Ok((order, delta)))
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
            // Money at two decimals, as statements show it (6.0 is stored as 6.00).
            let mut amount = amount;
            amount.rescale(2);
            StoredLine {
                earner: earner.to_string(),
                period: period.to_string(),
                kind: kind.into(),
                of: None,
                order: Some(o.id),
                level,
                base,
                rate,
                amount,
                status: if held { "held" } else { "payable" }.into(),
                plan: label.clone(),
                fin: false,
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
        stored.sort_by_key(|o| (o.snapshot.placed_at, o.snapshot.id));
        let mut refunds: Vec<(i64, i64, i64, sc::Refund)> = Vec::new();
        let orders: Vec<sc::Order> = stored
            .iter()
            .map(|o| {
                let s = &o.snapshot;
                let names: HashMap<&str, String> = o.mappings.iter().map(|m| (m.sku.as_str(), alias_of(m))).collect();
                let name = |sku: &str| names.get(sku).cloned().unwrap_or_else(|| sku.to_string());
                for r in refunds_of(s) {
                    let what = match r.ask {
                        RefundAsk::Full => sc::RefundWhat::Full,
                        RefundAsk::Lines(lines) => sc::RefundWhat::Lines(
                            lines
                                .into_iter()
                                .map(|(sku, quantity)| sc::RefundLine { sku: name(&sku), quantity })
                                .collect(),
                        ),
                    };
                    refunds.push((r.at, s.id, r.id, sc::Refund { order: s.id, at: Timestamp(r.at), what }));
                }
                sc::Order {
                    id: s.id,
                    buyer: s.buyer.clone(),
                    referrer: s.referrer.clone(),
                    placed_at: Timestamp(s.placed_at),
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

    /// Closes `period` (and any earlier period of the run not closed yet): the engine computes
    /// the final statement once, its lines replace the provisional ones slice by slice, and the
    /// period is marked closed last. Returns the periods closed.
    pub async fn close_period(&self, period: &str) -> Result<Vec<String>, LedgerError> {
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
                            r#ref: v.r#ref,
                        }
                    })
                    .collect();
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
        })
        .collect()
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
