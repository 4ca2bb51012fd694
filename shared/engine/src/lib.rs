//! The compensation engine: a pure domain crate (no I/O, no clock, no AWS types) that turns a
//! plan, a network and orders into commission statements, exactly as
//! `shared/spec/compensation.md` defines them, to the cent.
//!
//! - [`plan`]: plan files, validated at load (§15);
//! - [`scenario`]: the scenario file of `mlm simulate` (§16);
//! - [`genealogy`]: sponsor, binary and matrix trees (§8);
//! - [`book`]: order valuation, attribution and refunds (§3, §4);
//! - [`close`]: period close, the orchestrator running the pay rules of [`rules`] (one file
//!   per rule: retail, unilevel, matrix, binary, fast_start, matching, ranks_titles, pools,
//!   clawbacks, compliance, adjustments, payouts) in the spec's order; [`online`]: one order at
//!   a time;
//! - [`simulate`]: a whole run; [`statement`]: the output of §16; [`disclosure`]: §22.

pub mod book;
pub mod close;
pub mod disclosure;
pub mod error;
pub mod genealogy;
pub mod input;
pub mod json;
pub mod lines;
pub mod num;
pub mod online;
pub mod period;
pub mod plan;
pub mod rules;
pub mod scenario;
pub mod simulate;
pub mod statement;

pub use error::{InputError, InputErrors};
pub use input::Format;
pub use plan::Plan;
pub use scenario::Scenario;
pub use simulate::Run;
