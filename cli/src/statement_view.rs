//! `mlm statement`'s formats: the JSON of `mlm simulate` (whole, or one distributor's entry),
//! or one row per distributor as an aligned table or CSV.

use anyhow::{bail, Result};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Table,
    Csv,
}

const COLUMNS: [&str; 13] = [
    "id",
    "rank",
    "pv",
    "gv",
    "retail",
    "unilevel",
    "binary",
    "matrix",
    "clawback",
    "held",
    "balance_in",
    "payout",
    "balance_out",
];

fn row(d: &Value) -> Vec<String> {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    COLUMNS
        .iter()
        .map(|c| match *c {
            "retail" | "unilevel" | "binary" | "matrix" | "clawback" | "held" => s(&d["earnings"][*c]),
            _ => s(&d[*c]),
        })
        .collect()
}

/// Renders a stored statement (`{"plan", "currency", "warnings", "periods": [one]}`).
pub fn render(statement: &str, period: &str, distributor: Option<&str>, format: Format) -> Result<String> {
    let mut doc: Value = serde_json::from_str(statement)?;
    let entry = &mut doc["periods"][0];
    if let Some(id) = distributor {
        let all = entry["distributors"].as_array().cloned().unwrap_or_default();
        let Some(d) = all.into_iter().find(|d| d["id"] == id) else {
            bail!("--distributor {id}: not in {period}'s statement (not enrolled then, or not an id of this ledger)");
        };
        entry["distributors"] = Value::Array(vec![d]);
    }
    let people = entry["distributors"].as_array().cloned().unwrap_or_default();
    Ok(match format {
        Format::Json if distributor.is_some() => format!("{}\n", serde_json::to_string_pretty(&people[0])?),
        Format::Json => statement.to_string(),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(COLUMNS)?;
            for d in &people {
                w.write_record(row(d))?;
            }
            String::from_utf8(w.into_inner()?)?
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = people.iter().map(row).collect();
            let width: Vec<usize> = (0..COLUMNS.len())
                .map(|i| rows.iter().map(|r| r[i].len()).chain([COLUMNS[i].len()]).max().unwrap_or(0))
                .collect();
            let line = |cells: Vec<&str>| {
                let padded: Vec<String> = cells
                    .iter()
                    .enumerate()
                    .map(
                        |(i, c)| {
                            if i < 2 {
                                format!("{c:<w$}", w = width[i])
                            } else {
                                format!("{c:>w$}", w = width[i])
                            }
                        },
                    )
                    .collect();
                format!("{}\n", padded.join("  ").trim_end())
            };
            let mut out = format!(
                "{period} ({}, {})\n",
                doc["plan"].as_str().unwrap_or(""),
                doc["currency"].as_str().unwrap_or("")
            );
            out += &line(COLUMNS.to_vec());
            for r in &rows {
                out += &line(r.iter().map(String::as_str).collect());
            }
            out
        }
    })
}
