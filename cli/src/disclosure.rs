//! `mlm disclosure` (the income disclosure statement of spec §22, from a scenario through the
//! same periods `mlm simulate` prints, or from a ledger's closed periods) and `mlm adjust`
//! (record a manual adjustment in a ledger, spec §21).

use crate::{block_on, ledger_err, load, Data, Invalid};
use mlm_engine::disclosure::Tally;
use mlm_engine::period::Timestamp;
use mlm_engine::{InputErrors, Run};
use mlm_ledger::adjustments::NewAdjustment;
use rust_decimal::Decimal;
use std::path::Path;
use std::str::FromStr;

type Outcome = Result<(), Result<Invalid, anyhow::Error>>;

pub fn from_scenario(path: &Path, from: Option<&str>, to: Option<&str>) -> Outcome {
    let scenario = load(path).map_err(Err)?.map_err(Ok)?;
    let file = path.display().to_string();
    let run = Run::prepare(scenario).map_err(|e| Ok(Invalid(file.clone(), e)))?;
    let tally = Tally::of_run(&run, from, to).map_err(|e| Ok(Invalid(file, e)))?;
    let plan = tally.to.map_or(&run.plan, |t| run.plan_in(t));
    println!("{}", serde_json::to_string_pretty(&tally.to_json(plan)).expect("JSON"));
    Ok(())
}

/// The disclosure over a ledger's closed periods.
pub fn from_ledger(data: &Data, from: Option<&str>, to: Option<&str>) -> Outcome {
    let ledger = data.open().map_err(Err)?;
    let doc = block_on(ledger.disclosure(from, to)).map_err(|e| ledger_err("ledger", e))?;
    println!("{}", serde_json::to_string_pretty(&doc).expect("JSON"));
    Ok(())
}

/// Records an adjustment; prints its id.
pub fn adjust(distributor: &str, amount: &str, reason: &str, at: Option<&str>, data: &Data) -> Outcome {
    let bad = |path: &str, m: String| Ok(Invalid("mlm adjust".into(), InputErrors::one(path.into(), m)));
    let amount =
        Decimal::from_str(amount.trim()).map_err(|_| bad("--amount", format!("{amount:?} is not a decimal amount")))?;
    let at = match at {
        Some(t) => Some(Timestamp::parse(t).map_err(|m| bad("--at", m))?.0),
        None => None,
    };
    let ledger = data.open().map_err(Err)?;
    let who = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
    let now = crate::serve::unix_now() * 1_000_000_000;
    let a = NewAdjustment { distributor: distributor.to_string(), amount, reason: reason.to_string(), at };
    let r = block_on(ledger.adjust(a, &who, now)).map_err(|e| ledger_err("mlm adjust", e))?;
    eprintln!(
        "recorded {}: {} adjustment for {} at {} ({})",
        r.id,
        r.amount,
        r.distributor,
        Timestamp(r.at).to_rfc3339(),
        r.reason
    );
    println!("{}", r.id);
    Ok(())
}
