//! Adjustments (spec §21): a manual bonus or deduction with its reason, one payable line in the
//! period of its `at`, never held.

use crate::book::Book;
use crate::lines::{Kind, Line};

/// Pushes the lines of the period's adjustments (indices into `book.adjustments`, sorted by
/// (`at`, tie)).
pub fn adjustment_lines(book: &Book, adjustments: &[u32], lines: &mut Vec<Line>) {
    for &ai in adjustments {
        let a = &book.adjustments[ai as usize];
        lines.push(Line {
            amount: a.amount,
            earner: a.distributor,
            source: ai,
            kind: Kind::Adjustment,
            of: None,
            level: 0,
            held: false,
        });
    }
}
