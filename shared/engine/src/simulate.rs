//! A whole run (`mlm simulate`): resolve the scenario's references, then close every period in
//! order, carrying binary volume and balances forward (spec §2).

use crate::book::{attribute, exchange_rate, Book, Buyer, Catalog, NewOrder, RefundAsk};
use crate::close::{close_period, Carry, Context, Paid, PeriodEvents, PeriodStatement};
use crate::error::{InputError, InputErrors};
use crate::genealogy::Network;
use crate::period::{Period, Timestamp};
use crate::plan::Plan;
use crate::scenario::{RefundWhat, Scenario};
use crate::statement::Explain;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};

/// The plan in force in `period`: the last of `later` taking effect by then, else `first`.
pub fn plan_in<'a>(first: &'a Plan, later: &'a [(Period, Plan)], period: Period) -> &'a Plan {
    later.iter().rev().find(|(from, _)| *from <= period).map_or(first, |(_, p)| p)
}

/// A scenario with every reference resolved: ready to close.
pub struct Run {
    /// The plan the run starts with: it shapes the trees and the books.
    pub plan: Plan,
    /// Later versions and the period each takes effect from, in order (see
    /// [`Plan::check_successor`]).
    pub later: Vec<(Period, Plan)>,
    pub net: Network,
    pub book: Book,
    /// One per order line whose SKU is not in the catalog (spec §3).
    pub warnings: Vec<String>,
}

impl Run {
    /// Checks every reference of the scenario (spec §4, §8, §16) and values its orders.
    /// Consumes the scenario: each order's text is freed once it is in the book, so a large
    /// run never holds its input twice.
    pub fn prepare(s: Scenario) -> Result<Run, InputErrors> {
        let Scenario { plan, distributors, customers: customer_list, catalog: items, orders, refunds, adjustments } = s;
        let mut errors: Vec<InputError> = Vec::new();
        let mut err = |path: String, message: String| errors.push(InputError { path, message });

        // Distributors, in enrollment order.
        let first_seen: FxHashMap<&str, usize> =
            distributors.iter().enumerate().rev().map(|(i, d)| (d.id.as_str(), i)).collect();
        let mut net = Network::new(&plan);
        let mut last_joined = None;
        for (i, d) in distributors.iter().enumerate() {
            if last_joined.is_some_and(|t| d.joined_at < t) {
                err(
                    format!("distributors[{i}].joined_at"),
                    "must not be earlier than the previous distributor's".into(),
                );
            }
            last_joined = Some(d.joined_at);
            let mut sponsor = d.sponsor.as_deref();
            if let Some(sp) = sponsor {
                if net.get(sp).is_none() {
                    let msg = match first_seen.get(sp) {
                        Some(_) => format!("sponsor {sp:?} must appear before the distributors it sponsors"),
                        None => format!("unknown distributor {sp:?}"),
                    };
                    err(format!("distributors[{i}].sponsor"), msg);
                    sponsor = None;
                }
            }
            let placement = d.placement.as_ref().map(|p| (p.parent.as_str(), p.leg));
            match net.add(&d.id, sponsor, placement) {
                Ok(_) => {}
                Err(e) if e.field == "id" => err(format!("distributors[{i}].id"), e.message),
                Err(e) => {
                    err(format!("distributors[{i}].{}", e.field), e.message);
                    // Enroll it anyway so that later records referring to it are still checked.
                    let _ = net.add(&d.id, sponsor, None);
                }
            }
        }

        // Join dates by index (the first record of an id wins, as enrollment does).
        net.joined = vec![Timestamp(i64::MAX); net.len()];
        for d in distributors.iter().rev() {
            if let Some(i) = net.get(&d.id) {
                net.joined[i as usize] = d.joined_at;
            }
        }

        // Customers: never a distributor's id.
        let mut customers: FxHashMap<&str, Option<u32>> = FxHashMap::default();
        for (i, c) in customer_list.iter().enumerate() {
            if net.get(&c.id).is_some() {
                err(format!("customers[{i}].id"), format!("{:?} is already a distributor's id", c.id));
            } else if customers.contains_key(c.id.as_str()) {
                err(format!("customers[{i}].id"), format!("duplicate customer id {:?}", c.id));
            }
            let referrer = c.referrer.as_deref().and_then(|r| {
                let d = net.get(r);
                if d.is_none() {
                    err(format!("customers[{i}].referrer"), format!("unknown distributor {r:?}"));
                }
                d
            });
            customers.entry(c.id.as_str()).or_insert(referrer);
        }

        let mut catalog = Catalog::default();
        for (i, item) in items.into_iter().enumerate() {
            if let Err(m) = catalog.add(item) {
                err(format!("catalog[{i}].sku"), m);
            }
        }

        // Orders.
        let mut book = Book::new(plan.period, &plan.currency, catalog);
        let mut warnings = Vec::new();
        let mut seen_orders = FxHashSet::default();
        book.reserve(orders.len(), orders.iter().map(|o| o.lines.len()).sum());
        for (i, o) in orders.into_iter().enumerate() {
            if !seen_orders.insert(o.id) {
                err(format!("orders[{i}].id"), format!("duplicate order id {}", o.id));
                continue;
            }
            let buyer = match o.buyer.as_deref() {
                None => Some(Buyer::Guest),
                Some(b) => match (net.get(b), customers.get(b)) {
                    (Some(d), _) => Some(Buyer::Distributor(d)),
                    (None, Some(r)) => Some(Buyer::Customer(*r)),
                    (None, None) => {
                        err(
                            format!("orders[{i}].buyer"),
                            format!("unknown buyer {b:?} (neither a distributor nor a customer)"),
                        );
                        None
                    }
                },
            };
            let referrer = o.referrer.as_deref().and_then(|r| {
                let d = net.get(r);
                if d.is_none() {
                    err(format!("orders[{i}].referrer"), format!("unknown distributor {r:?}"));
                }
                d
            });
            let exchange_rate =
                exchange_rate(&plan.currency, o.currency.as_deref(), o.exchange_rate).unwrap_or_else(|m| {
                    err(format!("orders[{i}].exchange_rate"), m);
                    Decimal::ONE
                });
            for (j, l) in o.lines.iter().enumerate() {
                if book.catalog.get(&l.sku).is_none() {
                    warnings.push(format!("orders[{i}].lines[{j}].sku: unknown SKU {:?}", l.sku));
                }
            }
            let Some(buyer) = buyer else { continue };
            let (credited, category) = attribute(buyer, referrer);
            book.add_order(NewOrder {
                id: o.id,
                buyer: credited,
                category,
                placed_at: o.placed_at,
                tie: i as u64,
                exchange_rate,
                lines: &mut o.lines.iter().map(|l| (l.sku.as_str(), l.quantity, l.unit_price)),
            })
            .expect("order ids checked above");
        }

        // Refunds, applied in (at, input order).
        let mut order_refunds: Vec<usize> = (0..refunds.len()).collect();
        order_refunds.sort_by_key(|&i| (refunds[i].at, i));
        for i in order_refunds {
            let r = &refunds[i];
            let Some(&oi) = book.index.get(&r.order) else {
                if !seen_orders.contains(&r.order) {
                    err(format!("refunds[{i}].order"), format!("unknown order {}", r.order));
                }
                continue;
            };
            let ask = match &r.what {
                RefundWhat::Full => RefundAsk::Full,
                RefundWhat::Lines(lines) => {
                    RefundAsk::Lines(lines.iter().map(|l| (l.sku.clone(), l.quantity)).collect())
                }
            };
            if let Err(e) = book.add_refund(oi, r.at, i as u64, ask) {
                err(format!("refunds[{i}].{}", e.field), e.message);
            }
        }

        // Adjustments (spec §21): each of a known distributor.
        for (i, a) in adjustments.iter().enumerate() {
            match net.get(&a.distributor) {
                Some(d) => book.add_adjustment(&a.id, d, a.at, i as u64, a.amount, &a.reason),
                None => {
                    err(format!("adjustments[{i}].distributor"), format!("unknown distributor {:?}", a.distributor))
                }
            }
        }

        if errors.is_empty() {
            Ok(Run { plan, later: Vec::new(), net, book, warnings })
        } else {
            Err(InputErrors(errors))
        }
    }

    pub fn periods(&self) -> Vec<Period> {
        self.book.periods()
    }

    /// The plan in force in `period`.
    pub fn plan_in(&self, period: Period) -> &Plan {
        plan_in(&self.plan, &self.later, period)
    }

    /// How the run's statements are spelled out (under its first plan).
    pub fn explain(&self) -> Explain<'_> {
        Explain { plan: &self.plan, net: &self.net, book: &self.book }
    }

    /// How `period`'s statement is spelled out (under the plan in force then).
    pub fn explain_in(&self, period: Period) -> Explain<'_> {
        Explain { plan: self.plan_in(period), net: &self.net, book: &self.book }
    }

    /// Closes every period of the run in order, each under the plan in force then, handing each
    /// statement to `each` (which may stop the run by returning `false`).
    pub fn close_all(&self, each: impl FnMut(&PeriodStatement) -> bool) {
        self.close_until(None, each)
    }

    /// Like [`Run::close_all`], but the run goes on to `until` even past its last event (quiet
    /// periods still carry balances and binary volume forward).
    pub fn close_until(&self, until: Option<Period>, mut each: impl FnMut(&PeriodStatement) -> bool) {
        let mut cx = Context::new(&self.plan, &self.net, &self.book);
        let orders = self.book.orders_by_time();
        let late = self.book.late_refunds_by_time();
        let adjustments = self.book.adjustments_by_time();
        let (mut oi, mut li, mut ai) = (0, 0, 0);
        let mut carry = Carry::new(self.net.len());
        let mut paid = Paid::default();
        let mut periods = self.periods();
        if let (Some(until), Some(&last)) = (until, periods.last()) {
            periods.extend((last.ordinal + 1..=until.ordinal).map(|ordinal| Period { ordinal, ..last }));
        }
        for period in periods {
            let o_end = oi + orders[oi..].partition_point(|&o| self.book.orders[o as usize].period == period);
            let l_end = li + late[li..].partition_point(|&r| self.book.refunds[r as usize].period == period);
            let a_end = ai + adjustments[ai..].partition_point(|&a| self.book.adjustments[a as usize].period == period);
            let plan = self.plan_in(period);
            if !std::ptr::eq(cx.plan, plan) {
                cx = Context::new(plan, &self.net, &self.book);
            }
            let ev = PeriodEvents {
                orders: &orders[oi..o_end],
                late: &late[li..l_end],
                adjustments: &adjustments[ai..a_end],
            };
            let st = close_period(&cx, &self.book, period, &ev, &carry, &mut paid);
            (oi, li, ai) = (o_end, l_end, a_end);
            if !each(&st) {
                return;
            }
            carry = st.carry_out;
        }
    }
}
