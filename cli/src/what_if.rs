//! `mlm what-if --plan candidate.yaml --from P --to P`: the stored periods replayed under a
//! candidate plan ([`mlm_app::whatif`]), printed beside what was paid. Nothing is written.

use crate::{block_on, ledger_err, Data, Invalid};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct WhatIfArgs {
    /// The candidate plan (YAML or JSON, like `mlm set-plan`'s).
    #[arg(long)]
    plan: PathBuf,
    /// First period of the replay (`2026-11`, or `2026-W05` for weekly plans).
    #[arg(long)]
    from: String,
    /// Last period of the replay.
    #[arg(long)]
    to: String,
    /// Print the comparison as JSON (the admin API's answer) instead of tables.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: Data,
}

pub fn what_if(args: &WhatIfArgs) -> Result<(), Result<Invalid, anyhow::Error>> {
    let file = args.plan.display().to_string();
    let text = std::fs::read_to_string(&args.plan).map_err(|e| Err(anyhow::anyhow!("cannot read {file}: {e}")))?;
    let ledger = args.data.open().map_err(Err)?;
    let out =
        block_on(mlm_app::whatif::what_if(&ledger, &text, &args.from, &args.to)).map_err(|e| ledger_err(&file, e))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out).expect("JSON"));
    } else {
        print!("{}", tables(&out));
    }
    Ok(())
}

/// The comparison as aligned text: paid, candidate, change.
fn tables(v: &serde_json::Value) -> String {
    use rust_decimal::Decimal;
    use std::fmt::Write;
    let s = |x: &serde_json::Value| {
        x.as_str().map(str::to_string).unwrap_or_else(|| if x.is_null() { "—".into() } else { x.to_string() })
    };
    let d = |x: &serde_json::Value| x.as_str().and_then(|t| t.parse::<Decimal>().ok());
    let change = |a: &serde_json::Value, b: &serde_json::Value| match (d(a), d(b)) {
        (Some(a), Some(b)) => (b - a).to_string(),
        _ => String::new(),
    };
    let (paid, cand) = (&v["paid"], &v["candidate"]);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "What-if {} to {} ({} periods): paid under {}, candidate {}",
        s(&v["from"]),
        s(&v["to"]),
        v["periods"].as_array().map_or(0, Vec::len),
        s(&paid["plan"]),
        s(&cand["plan"])
    );
    let _ = writeln!(o, "\n{:<24} {:>14} {:>14} {:>14}", "", "paid", "candidate", "change");
    let mut row = |label: &str, a: &serde_json::Value, b: &serde_json::Value| {
        let _ = writeln!(o, "{label:<24} {:>14} {:>14} {:>14}", s(a), s(b), change(a, b));
    };
    for k in ["sales", "commissions", "held", "payouts", "payout_ratio"] {
        row(k, &paid[k], &cand[k]);
    }
    let kinds: std::collections::BTreeSet<&String> =
        paid["by_kind"].as_object().into_iter().chain(cand["by_kind"].as_object()).flat_map(|m| m.keys()).collect();
    for k in kinds {
        row(&format!("earnings.{k}"), &paid["by_kind"][k], &cand["by_kind"][k]);
    }
    let _ = writeln!(o, "\n{:<24} {:>14} {:>14}", "rank reached by", "paid", "candidate");
    for (p, c) in paid["ranks_reached"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(cand["ranks_reached"].as_array().into_iter().flatten())
    {
        let _ = writeln!(
            o,
            "{:<24} {:>14} {:>14}",
            s(&p["rank"]),
            p["distributors"].to_string(),
            c["distributors"].to_string()
        );
    }
    let _ = writeln!(o, "\n{:<24} {:>14} {:>14} {:>14}", "most changed (payable)", "paid", "candidate", "change");
    for r in v["most_changed"].as_array().into_iter().flatten() {
        let _ =
            writeln!(o, "{:<24} {:>14} {:>14} {:>14}", s(&r["id"]), s(&r["paid"]), s(&r["candidate"]), s(&r["change"]));
    }
    o
}
