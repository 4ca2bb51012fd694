//! `mlm import` for migrations: retail customers (`id,email,referrer,bigcommerce_customer_id`),
//! and re-imports of distributors, which skip rows already enrolled identically and refuse rows
//! that would change an enrollment (with the line and the field).

use crate::{at, block_on, Data, Invalid};
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use mlm_engine::InputErrors;
use mlm_ledger::model::DistributorRecord;
use mlm_ledger::service::normalize_email;
use mlm_sync::migrate::{RetailRow, RowCheck};
use std::collections::HashMap;
use std::path::Path;

type Outcome = Result<(), Result<Invalid, anyhow::Error>>;

/// The ledger must have a plan before anything is imported; the error says what to run.
pub fn need_plan(ledger: &crate::AnyLedger) -> Result<(), anyhow::Error> {
    match block_on(ledger.plan()) {
        Err(mlm_ledger::LedgerError::NoPlan) => anyhow::bail!(
            "the ledger has no plan yet: run `mlm set-plan PLAN.yaml` (same --data/--dynamodb) first, then import"
        ),
        Err(e) => Err(e.into()),
        Ok(_) => Ok(()),
    }
}

/// Drops the rows of `records` already enrolled exactly so (returns how many); a row that
/// differs from its enrolled distributor is an error at its line.
pub fn skip_enrolled(
    ledger: &crate::AnyLedger,
    records: &mut Vec<DistributorRecord>,
    lines: &mut Vec<u64>,
    errors: &mut Vec<mlm_engine::InputError>,
) -> Result<usize, anyhow::Error> {
    let stored: HashMap<String, DistributorRecord> =
        block_on(ledger.store.distributors())?.into_iter().map(|d| (d.id.clone(), d)).collect();
    let mut keep = vec![true; records.len()];
    for (i, r) in records.iter().enumerate() {
        let Some(s) = stored.get(&r.id) else { continue };
        let email = |e: &Option<String>| e.as_deref().map(normalize_email);
        let differs = [
            ("sponsor_id", s.sponsor != r.sponsor, format!("{:?}", s.sponsor)),
            ("joined_at", s.joined_at != r.joined_at, mlm_engine::period::Timestamp(s.joined_at).to_rfc3339()),
            ("email", email(&s.email) != email(&r.email), format!("{:?}", s.email)),
            (
                "bigcommerce_customer_id",
                r.bigcommerce_customer_id.is_some() && s.bigcommerce_customer_id != r.bigcommerce_customer_id,
                format!("{:?}", s.bigcommerce_customer_id),
            ),
            // A placement the plan made itself (no columns given) is not a difference.
            ("binary_parent", r.placement.is_some() && s.placement != r.placement, format!("{:?}", s.placement)),
        ];
        match differs.iter().find(|d| d.1) {
            Some((column, _, was)) => errors.push(at(
                lines[i],
                column,
                format!("{} is already enrolled with {column} {was}; an enrollment does not change by import", r.id),
            )),
            None => keep[i] = false,
        }
    }
    let skipped = keep.iter().filter(|k| !**k).count();
    let mut it = keep.iter();
    records.retain(|_| *it.next().expect("same length"));
    let mut it = keep.iter();
    lines.retain(|_| *it.next().expect("same length"));
    Ok(skipped)
}

/// `mlm import customers.csv`.
pub fn import_customers(path: &Path, data: &Data) -> Outcome {
    let file = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read {file}"))
        .map_err(Err)?;
    let headers = reader.headers().map_err(|e| Err(e.into()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut errors = Vec::new();
    let known = ["id", "email", "referrer", "bigcommerce_customer_id"];
    if col("id").is_none() {
        errors.push(at(1, "id", "missing column".into()));
    }
    for h in headers.iter().filter(|h| !known.contains(h)) {
        errors.push(at(1, h, "unknown column (retail customers: id,email,referrer,bigcommerce_customer_id)".into()));
    }
    if !errors.is_empty() {
        return Err(Ok(Invalid(file, InputErrors(errors))));
    }
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| Err(e.into()))?;
        let line = row.position().map_or(0, |p| p.line());
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).filter(|v| !v.is_empty()).map(str::to_string);
        let bc = get(col("bigcommerce_customer_id")).and_then(|v| match v.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors.push(at(line, "bigcommerce_customer_id", format!("{v:?} is not a positive integer")));
                None
            }
        });
        rows.push(RetailRow {
            id: get(col("id")).unwrap_or_default(),
            email: get(col("email")),
            referrer: get(col("referrer")),
            bigcommerce_customer_id: bc,
        });
        lines.push(line);
    }
    let ledger = data.open().map_err(Err)?;
    need_plan(&ledger).map_err(Err)?;
    // The store front is not called: linking reads and writes the ledger only.
    let idle = mlm_bigcommerce::client::Client::new(
        mlm_bigcommerce::client::DEFAULT_BASE,
        "-",
        "-",
        mlm_bigcommerce::client::RetryPolicy::default(),
    );
    let sync = mlm_sync::Sync::new(ledger, mlm_sync::commerce::BigCommerce::new(idle));
    let checks = block_on(sync.check_retail(&rows)).map_err(|e| Err(e.into()))?;
    let mut new = Vec::new();
    for ((row, check), line) in rows.iter().zip(&checks).zip(&lines) {
        match check {
            RowCheck::New => new.push(row.clone()),
            RowCheck::Same => {}
            RowCheck::Refused(field, why) => errors.push(at(*line, field, why.clone())),
        }
    }
    if !errors.is_empty() {
        errors
            .sort_by_key(|e| e.path.split(':').next().and_then(|l| l.trim_start_matches("line ").parse::<u64>().ok()));
        return Err(Ok(Invalid(file, InputErrors(errors))));
    }
    let bar = ProgressBar::new(new.len() as u64)
        .with_style(ProgressStyle::with_template("importing {pos}/{len} {bar:30} {elapsed}").expect("template"));
    for chunk in new.chunks(500) {
        block_on(sync.import_retail(chunk)).map_err(|e| Err(e.into()))?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    eprintln!("imported {} retail customers ({} already there, skipped)", new.len(), rows.len() - new.len());
    Ok(())
}
