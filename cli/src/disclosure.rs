//! `mlm disclosure`: the income disclosure statement of spec §22, from a scenario (through the
//! same periods `mlm simulate` prints).

use crate::{load, Invalid};
use mlm_engine::disclosure::Tally;
use mlm_engine::Run;
use std::path::Path;

pub fn from_scenario(path: &Path, from: Option<&str>, to: Option<&str>) -> Result<(), Result<Invalid, anyhow::Error>> {
    let scenario = load(path).map_err(Err)?.map_err(Ok)?;
    let file = path.display().to_string();
    let run = Run::prepare(scenario).map_err(|e| Ok(Invalid(file.clone(), e)))?;
    let tally = Tally::of_run(&run, from, to).map_err(|e| Ok(Invalid(file, e)))?;
    let plan = tally.to.map_or(&run.plan, |t| run.plan_in(t));
    println!("{}", serde_json::to_string_pretty(&tally.to_json(plan)).expect("JSON"));
    Ok(())
}
