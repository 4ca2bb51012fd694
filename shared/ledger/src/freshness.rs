//! Which snapshot of an order is newer, and the times the ledger books: pure rules of the
//! order lifecycle (`docs/lifecycle.md`), used by [`crate::reconcile`].

use crate::model::*;
use mlm_engine::period::{Period, Timestamp};
use mlm_engine::plan::Plan;

/// Why `snap` is older than `held`, the snapshot the ledger holds, if it is: it was modified
/// before it, or it lacks a refund already recorded (refunds are never taken back), or it is not
/// cancelled where the ledger holds a cancellation and no later modification says it was
/// reopened.
pub fn staler(held: &OrderSnapshot, snap: &OrderSnapshot) -> Option<String> {
    let newer = match (held.modified_at, snap.modified_at) {
        (Some(h), Some(s)) if s < h => {
            return Some(format!(
                "order {}: this snapshot was modified at {}, the ledger holds the order as modified at {}",
                snap.id,
                Timestamp(s).to_rfc3339(),
                Timestamp(h).to_rfc3339()
            ));
        }
        (Some(h), Some(s)) => s > h,
        _ => false,
    };
    let cancelled = |s: &OrderSnapshot| matches!(s.status, OrderStatus::Cancelled { .. });
    if cancelled(held) && !cancelled(snap) && !newer {
        return Some(format!("order {}: the ledger holds its cancellation, this snapshot predates it", snap.id));
    }
    held.refunds.iter().find(|r| !snap.refunds.iter().any(|x| x.id == r.id)).map(|r| {
        format!("order {}: this snapshot lacks refund {}, which the ledger has already recorded", snap.id, r.id)
    })
}

/// The first instant of the first open period: everything before it is closed.
pub fn open_from(plan: &Plan, closed: &[String]) -> Option<Timestamp> {
    closed.iter().filter_map(|c| Period::parse(plan.period, c).ok()).max().map(|p| p.next().start())
}

/// `snap` with the times the ledger books: a refund or cancellation already recorded keeps its
/// time; a new one dated in a closed period is booked at the start of the first open period.
pub fn settle_times(snap: &OrderSnapshot, held: Option<&OrderSnapshot>, open_from: Option<Timestamp>) -> OrderSnapshot {
    let open = |at: i64| open_from.map_or(at, |t| at.max(t.0));
    let mut out = snap.clone();
    for r in &mut out.refunds {
        r.at = match held.and_then(|h| h.refunds.iter().find(|x| x.id == r.id)) {
            Some(known) => known.at,
            None => open(r.at),
        };
    }
    if let OrderStatus::Cancelled { at } = out.status {
        let at = match held.map(|h| h.status) {
            Some(OrderStatus::Cancelled { at: known }) => known,
            _ => open(at),
        };
        out.status = OrderStatus::Cancelled { at };
    }
    out
}

/// What changed in an order beyond refunds and cancellation, if anything: such a change cannot
/// reach an order whose period is closed.
pub(crate) fn changed_sale(held: &OrderSnapshot, snap: &OrderSnapshot) -> Option<String> {
    if held.buyer != snap.buyer || held.referrer != snap.referrer {
        return Some("its buyer or referrer changed".into());
    }
    if held.placed_at != snap.placed_at || held.currency != snap.currency || held.exchange_rate != snap.exchange_rate {
        return Some("its date or currency changed".into());
    }
    if held.lines != snap.lines {
        return Some("its lines changed".into());
    }
    match (held.status, snap.status) {
        (OrderStatus::Pending, OrderStatus::Paid | OrderStatus::Cancelled { .. }) => {
            Some("it was not paid when the period closed".into())
        }
        (OrderStatus::Paid | OrderStatus::Cancelled { .. }, OrderStatus::Pending) => {
            Some("it is now awaiting payment or disputed".into())
        }
        (OrderStatus::Cancelled { .. }, OrderStatus::Paid) => Some("it was cancelled and is now paid again".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn snap(refunds: &[(i64, i64)], status: OrderStatus, modified_at: Option<i64>) -> OrderSnapshot {
        OrderSnapshot {
            id: 7,
            buyer: Some("D1".into()),
            referrer: None,
            placed_at: 10,
            currency: None,
            exchange_rate: None,
            lines: vec![SnapshotLine { sku: "A".into(), quantity: 2, unit_price: Decimal::TEN }],
            refunds: refunds
                .iter()
                .map(|&(id, at)| RefundSnapshot { id, at, full: false, lines: vec![("A".into(), 1)] })
                .collect(),
            status,
            modified_at,
        }
    }

    #[test]
    fn an_older_snapshot_is_refused() {
        let held = snap(&[(1, 20)], OrderStatus::Paid, Some(100));
        // Modified before the one held.
        assert!(staler(&held, &snap(&[(1, 20)], OrderStatus::Paid, Some(99))).unwrap().contains("modified at"));
        // Without the refund the ledger recorded, whatever its time says.
        assert!(staler(&held, &snap(&[], OrderStatus::Paid, Some(100))).unwrap().contains("lacks refund 1"));
        assert!(staler(&held, &snap(&[], OrderStatus::Paid, None)).is_some());
        // Newer, or as new with more: taken.
        assert_eq!(staler(&held, &snap(&[(1, 20), (2, 30)], OrderStatus::Paid, Some(100))), None);
        let cancelled = snap(&[(1, 20)], OrderStatus::Cancelled { at: 40 }, Some(101));
        assert_eq!(staler(&held, &cancelled), None);
        // Back from a cancellation only when a later modification says so.
        assert!(staler(&cancelled, &snap(&[(1, 20)], OrderStatus::Paid, None)).unwrap().contains("cancellation"));
        assert!(staler(&cancelled, &snap(&[(1, 20)], OrderStatus::Paid, Some(101))).is_some());
        assert_eq!(staler(&cancelled, &snap(&[(1, 20)], OrderStatus::Paid, Some(102))), None);
    }

    #[test]
    fn late_times_are_booked_in_the_open_period() {
        let held = snap(&[(1, 20)], OrderStatus::Paid, None);
        let incoming = snap(&[(1, 25), (2, 30)], OrderStatus::Cancelled { at: 35 }, None);
        let s = settle_times(&incoming, Some(&held), Some(Timestamp(50)));
        // Refund 1 keeps the time recorded; refund 2 and the cancellation move to the open period.
        assert_eq!(s.refunds.iter().map(|r| r.at).collect::<Vec<_>>(), vec![20, 50]);
        assert_eq!(s.status, OrderStatus::Cancelled { at: 50 });
        // Nothing closed: times as given.
        assert_eq!(settle_times(&incoming, None, None), incoming);
    }

    #[test]
    fn only_refunds_and_cancellations_reach_a_closed_order() {
        let held = snap(&[], OrderStatus::Paid, None);
        assert_eq!(changed_sale(&held, &snap(&[(1, 20)], OrderStatus::Cancelled { at: 3 }, Some(5))), None);
        let mut more = held.clone();
        more.lines[0].quantity = 3;
        assert!(changed_sale(&held, &more).unwrap().contains("lines"));
        let pending = snap(&[], OrderStatus::Pending, None);
        assert!(changed_sale(&pending, &held).unwrap().contains("not paid"));
        assert!(changed_sale(&held, &pending).unwrap().contains("disputed"));
    }
}
