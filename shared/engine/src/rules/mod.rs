//! One file per pay rule of the spec, each a pure function over the period's arrays. The
//! orchestrator, [`crate::close::close_period`], runs them in the spec's order:
//!
//! | file | spec |
//! |---|---|
//! | [`volumes`] | §5 PV, BV, GV inputs; §13 sales; §20 company BV |
//! | [`ranks_titles`] | §9 ranks, §19 titles and rank advancement bonuses |
//! | [`compliance`] | §13 who is held |
//! | [`retail`], [`unilevel`], [`matrix`], [`fast_start`] | §6, §7, §11, §17: the lines of each order |
//! | [`binary`] | §10 |
//! | [`clawbacks`] | §12 |
//! | [`matching`] | §18 |
//! | [`pools`] | §20 |
//! | [`adjustments`] | §21 |
//! | [`payouts`] | §14, and the earnings of §16 |

pub mod adjustments;
pub mod binary;
pub mod clawbacks;
pub mod compliance;
pub mod fast_start;
pub mod matching;
pub mod matrix;
pub mod payouts;
pub mod pools;
pub mod ranks_titles;
pub mod retail;
pub mod unilevel;
pub mod volumes;
