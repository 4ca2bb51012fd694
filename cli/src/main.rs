//! `mlm`: the command-line face of the commission engine.

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use mlm_engine::period::Period;
use mlm_engine::{Format, InputErrors, Run, Scenario};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod demo;
mod disclosure;
mod migrate;
mod reconcile;
mod serve;
mod setup_store;
mod statement_view;
mod store_front;
mod what_if;

#[derive(Parser)]
#[command(name = "mlm", version, about = "Commission engine for direct-selling companies on BigCommerce")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute the statements of a scenario (spec §16) and print them as JSON.
    Simulate {
        /// Scenario file, YAML or JSON (`.json`).
        scenario: PathBuf,
        /// Print only this period (`2026-11`, or `2026-W05` for weekly plans).
        #[arg(long)]
        period: Option<String>,
    },
    /// Print the income disclosure statement (spec §22): what distributors were paid over a
    /// range of periods, grouped by career title, from a scenario or (without one) from a
    /// ledger's closed periods.
    Disclosure {
        /// Scenario file, YAML or JSON (`.json`); omit it to read the ledger (`--data`/`--dynamodb`).
        scenario: Option<PathBuf>,
        /// First period of the range (default: the first).
        #[arg(long)]
        from: Option<String>,
        /// Last period of the range (default: the last).
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        data: Data,
    },
    /// Record a manual adjustment (a bonus, or a deduction with a negative amount) in a ledger's
    /// open period, with its reason; it is never changed afterwards.
    Adjust {
        distributor: String,
        /// Amount in the plan's currency, at most 2 decimals (`-15.00` deducts).
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        #[arg(long)]
        reason: String,
        /// When it applies (RFC 3339 with offset; default now). Its period must not be closed.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        data: Data,
    },
    /// Load a scenario into a ledger file: plan, network, catalog, then every order through the
    /// same online path webhooks take (provisional lines).
    Load {
        scenario: PathBuf,
        #[command(flatten)]
        data: Data,
    },
    /// Import distributors from CSV (`id,sponsor_id,email,joined_at` and optionally
    /// `bigcommerce_customer_id,binary_parent,binary_leg`), in enrollment order, or retail
    /// customers (`id,email,referrer,bigcommerce_customer_id`). The whole file is checked first
    /// and every problem reported with its line; then it is written in batches. Re-importing
    /// skips rows already there identically and refuses rows that would change them.
    Import {
        /// The CSV file; its header says which kind it is.
        csv: PathBuf,
        #[command(flatten)]
        data: Data,
    },
    /// Add a plan version (YAML or JSON): the first applies from the start, a later one from
    /// `--effective PERIOD` (not closed yet), and may not change what shapes the trees.
    SetPlan {
        plan: PathBuf,
        #[arg(long)]
        effective: Option<String>,
        #[command(flatten)]
        data: Data,
    },
    /// Close a period of a ledger (and any earlier period not closed yet) with the engine. A
    /// period that has not ended yet is refused.
    ClosePeriod {
        /// `2026-11`, or `2026-W05` for weekly plans.
        period: String,
        /// Rehearsal clock (RFC 3339; default `MLM_NOW`, else the machine's): "now" for the
        /// close, so a staging ledger can play a month and its close ahead of time.
        #[arg(long)]
        now: Option<String>,
        #[command(flatten)]
        data: Data,
    },
    /// Replay the stored periods FROM..TO under a candidate plan and show, beside what was paid,
    /// what it would have paid (totals by kind, payout ratio, ranks reached, the twenty
    /// distributors whose pay changes most). Nothing is written.
    WhatIf(what_if::WhatIfArgs),
    /// Print a closed period's statement (the JSON of `mlm simulate`).
    Statement {
        /// The closed period (`2026-11`, or `2026-W05` for weekly plans).
        #[arg(long)]
        period: String,
        /// Only this distributor's entry.
        #[arg(long)]
        distributor: Option<String>,
        /// `json` (the statement as `mlm simulate` prints it), or one row per distributor as an
        /// aligned `table` or `csv`.
        #[arg(long, value_enum, default_value = "json")]
        format: statement_view::Format,
        #[command(flatten)]
        data: Data,
    },
    /// A month of an example company end to end on this machine: a BigCommerce stand-in, signed
    /// webhooks through `mlm serve`'s handlers, the close, and a readable summary.
    Demo(demo::DemoArgs),
    /// Run the whole product locally on the embedded ledger: webhook intake, attribution,
    /// queues, workers and the schedule. Needs BIGCOMMERCE_STORE_HASH, BIGCOMMERCE_ACCESS_TOKEN,
    /// BIGCOMMERCE_CLIENT_SECRET (and BIGCOMMERCE_API_BASE for a stand-in).
    Serve(serve::ServeArgs),
    /// Print a development token for the dashboard of `mlm serve` (signed with the key kept
    /// beside the ledger file): a distributor's, or an admin's.
    Token {
        /// The distributor whose dashboard the token opens.
        #[arg(long, required_unless_present = "admin")]
        distributor: Option<String>,
        /// A member of the admin group (may be combined with --distributor).
        #[arg(long)]
        admin: bool,
        /// Hours until the token expires.
        #[arg(long, default_value_t = 8)]
        ttl_hours: i64,
        #[command(flatten)]
        data: Data,
    },
    /// BigCommerce catalog volumes (BV, PV, BV rate), both ways.
    #[command(subcommand)]
    Catalog(store_front::CatalogCommand),
    /// Make the store send the engine's webhook scopes to `--destination` (creates or updates
    /// exactly those hooks; running it again changes nothing).
    RegisterWebhooks {
        #[arg(long)]
        destination: String,
    },
    /// Reconcile the ledger with the store: every order modified since the last reconcile (or
    /// `--since`, the go-live back-fill) goes through the path its webhook takes, and every hook
    /// the engine needs is checked, re-enabled or created. Resumable and idempotent; exits 1 if a
    /// hook could not be fixed.
    Reconcile(reconcile::ReconcileArgs),
    /// Make the store ready: creates the customer attributes mlm_distributor_id and mlm_referrer,
    /// registers the webhooks (with --destination), lists variants without volumes, and prints
    /// what is left to do. Running it again changes nothing.
    SetupStore(setup_store::SetupArgs),
    /// Retry what was parked (all entries, or `--key order#250`), and list what is still parked
    /// with why. `--book KEY` counts an order that arrived for a closed period in the open one;
    /// `--dismiss KEY` drops an entry (both recorded with who and when).
    Reprocess {
        /// One entry to retry, e.g. `order#250` or `message#<webhook-id>`.
        #[arg(long, conflicts_with_all = ["book", "dismiss"])]
        key: Option<String>,
        /// Book this parked order (placed in a closed period) into the first open period.
        #[arg(long, conflicts_with = "dismiss")]
        book: Option<String>,
        /// Dismiss this parked entry (kept in the ledger's `dismissed` records).
        #[arg(long)]
        dismiss: Option<String>,
        #[command(flatten)]
        data: Data,
    },
    /// Create the DynamoDB ledger table (for DynamoDB Local; on AWS, template.yaml creates it).
    CreateTable,
    /// Generate a seeded synthetic scenario (JSON) for benchmarks and tests.
    Gen {
        #[arg(long, default_value_t = 100)]
        distributors: usize,
        #[arg(long, default_value_t = 500)]
        orders: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Calendar months the orders span.
        #[arg(long, default_value_t = 2)]
        months: u32,
        /// Share of orders refunded, in percent.
        #[arg(long, default_value_t = 4)]
        refund_percent: u32,
        /// Write here instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

/// Where the ledger lives.
#[derive(clap::Args)]
struct Data {
    /// The embedded ledger file (default: `mlm/ledger.db` under the user's data directory).
    #[arg(long, conflicts_with = "dynamodb")]
    data: Option<PathBuf>,
    /// Use the DynamoDB table named by `MLM_LEDGER_TABLE` (default `mlm-ledger`), with the usual
    /// AWS configuration (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL` for DynamoDB Local).
    #[arg(long)]
    dynamodb: bool,
}

type AnyLedger = mlm_ledger::Ledger<std::sync::Arc<dyn mlm_ledger::Store>>;

fn table_name() -> String {
    std::env::var("MLM_LEDGER_TABLE").unwrap_or_else(|_| "mlm-ledger".to_string())
}

impl Data {
    /// The key that signs `mlm serve`'s development tokens: beside the ledger file
    /// (`<file>.token-key`), or under the user's data directory with DynamoDB.
    fn token_key(&self) -> Result<mlm_app::auth::LocalKey> {
        let path = match (&self.data, self.dynamodb) {
            (Some(p), false) => PathBuf::from(format!("{}.token-key", p.display())),
            _ => dirs::data_dir().context("no user data directory; pass --data")?.join("mlm").join(if self.dynamodb {
                "dynamodb.token-key"
            } else {
                "ledger.db.token-key"
            }),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        mlm_app::auth::LocalKey::load_or_create(&path).with_context(|| format!("token key {}", path.display()))
    }

    /// The file `mlm serve`'s durable queue lives in: the ledger file itself, or with DynamoDB
    /// `mlm/dynamodb.queue.db` under the user's data directory.
    fn queue_path(&self) -> Result<PathBuf> {
        let path = match (&self.data, self.dynamodb) {
            (Some(p), false) => p.clone(),
            (_, dynamodb) => dirs::data_dir()
                .context("no user data directory; pass --data")?
                .join("mlm")
                .join(if dynamodb { "dynamodb.queue.db" } else { "ledger.db" }),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(path)
    }

    fn open(&self) -> Result<AnyLedger> {
        if self.dynamodb {
            let store = block_on(mlm_store_dynamodb::DynamoStore::from_env(table_name()));
            return Ok(mlm_ledger::Ledger::new(std::sync::Arc::new(store)));
        }
        self.open_file()
    }

    /// [`Data::open`] from within a running runtime (`mlm serve`): a runtime cannot start
    /// another, so the DynamoDB client is built on the caller's.
    async fn open_in_runtime(&self) -> Result<AnyLedger> {
        if self.dynamodb {
            let store = mlm_store_dynamodb::DynamoStore::from_env(table_name()).await;
            return Ok(mlm_ledger::Ledger::new(std::sync::Arc::new(store)));
        }
        self.open_file()
    }

    fn open_file(&self) -> Result<AnyLedger> {
        let path = match &self.data {
            Some(p) => p.clone(),
            None => dirs::data_dir().context("no user data directory; pass --data")?.join("mlm").join("ledger.db"),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let store =
            mlm_store_sqlite::SqliteStore::open(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(mlm_ledger::Ledger::new(std::sync::Arc::new(store)))
    }
}

/// The longest a development token may live.
const MAX_TTL_HOURS: i64 = 24 * 366;

fn token(
    distributor: Option<&str>,
    admin: bool,
    ttl_hours: i64,
    data: &Data,
) -> Result<(), Result<Invalid, anyhow::Error>> {
    // Bounded: a huge value would overflow into an already-expired token.
    if !(1..=MAX_TTL_HOURS).contains(&ttl_hours) {
        return Err(Err(anyhow::anyhow!("--ttl-hours must be from 1 to {MAX_TTL_HOURS} (a year), not {ttl_hours}")));
    }
    if let Some(id) = distributor {
        let ledger = data.open().map_err(Err)?;
        if block_on(ledger.store.distributor(id)).map_err(|e| Err(e.into()))?.is_none() {
            return Err(Err(anyhow::anyhow!(
                "--distributor {id}: no such distributor in this ledger (enroll it with `mlm import`, same --data/--dynamodb)"
            )));
        }
    }
    let key = data.token_key().map_err(Err)?;
    let claims = mlm_app::auth::dev_claims(distributor, admin, serve::unix_now(), ttl_hours * 3600);
    println!("{}", key.sign(&claims));
    Ok(())
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime").block_on(f)
}

fn ledger_err(file: &str, e: mlm_ledger::LedgerError) -> Result<Invalid, anyhow::Error> {
    match e {
        mlm_ledger::LedgerError::Invalid(errors) => Ok(Invalid(file.to_string(), errors)),
        other => Err(other.into()),
    }
}

fn load_into(path: &Path, data: &Data) -> Result<(), Result<Invalid, anyhow::Error>> {
    let scenario = load(path).map_err(Err)?.map_err(Ok)?;
    let ledger = data.open().map_err(Err)?;
    let file = path.display().to_string();
    // What `Ledger::load_scenario` does, order by order, with a progress bar on a terminal.
    block_on(ledger.seed(&scenario)).map_err(|e| ledger_err(&file, e))?;
    let snaps = mlm_ledger::load::snapshots(&scenario);
    let bar = ProgressBar::new(snaps.len() as u64)
        .with_style(ProgressStyle::with_template("loading orders {pos}/{len} {bar:30} {elapsed}").expect("template"));
    let applied = block_on(async {
        let mut applied = Vec::with_capacity(snaps.len());
        for snap in &snaps {
            applied.push(ledger.apply_order(snap).await?);
            bar.inc(1);
        }
        Ok::<_, mlm_ledger::LedgerError>(applied)
    })
    .map_err(|e| ledger_err(&file, e))?;
    bar.finish_and_clear();
    let parked = applied.iter().filter(|a| matches!(a, mlm_ledger::Applied::Parked(_))).count();
    eprintln!("loaded {} distributors and {} orders ({parked} parked)", scenario.distributors.len(), applied.len());
    Ok(())
}

/// The CSV column an enrollment field comes from.
fn column(field: &str) -> &str {
    match field {
        "sponsor" => "sponsor_id",
        "placement" | "placement.parent" => "binary_parent",
        "placement.leg" => "binary_leg",
        other => other,
    }
}

/// An import problem at a line and column of the CSV file.
fn at(line: u64, column: &str, message: String) -> mlm_engine::InputError {
    mlm_engine::InputError { path: format!("line {line}: {column}"), message }
}

fn import(path: &Path, data: &Data) -> Result<(), Result<Invalid, anyhow::Error>> {
    use mlm_ledger::model::DistributorRecord;
    let file = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read {file}"))
        .map_err(Err)?;
    let headers = reader.headers().map_err(|e| Err(e.into()))?.clone();
    if headers.iter().any(|h| h == "referrer") && !headers.iter().any(|h| h == "sponsor_id") {
        return migrate::import_customers(path, data);
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut errors = Vec::new();
    let (id, sponsor, email, joined) = (col("id"), col("sponsor_id"), col("email"), col("joined_at"));
    for (name, c) in [("id", id), ("sponsor_id", sponsor), ("email", email), ("joined_at", joined)] {
        if c.is_none() {
            errors.push(at(1, name, "missing column".into()));
        }
    }
    let known = ["id", "sponsor_id", "email", "joined_at", "bigcommerce_customer_id", "binary_parent", "binary_leg"];
    for h in headers.iter().filter(|h| !known.contains(h)) {
        errors.push(at(1, h, "unknown column".into()));
    }
    let header_ok = errors.is_empty();
    let mut records = Vec::new();
    let mut lines = Vec::new();
    let mut last_joined = 0;
    if header_ok {
        for row in reader.records() {
            let row = row.map_err(|e| Err(e.into()))?;
            let line = row.position().map_or(0, |p| p.line());
            let get = |c: Option<usize>| c.and_then(|c| row.get(c)).filter(|v| !v.is_empty()).map(str::to_string);
            // A bad timestamp stands in as the previous row's, so it causes no second error.
            let joined_at = match get(joined).map(|t| mlm_engine::period::Timestamp::parse(&t)) {
                Some(Ok(t)) => t.0,
                Some(Err(m)) => {
                    errors.push(at(line, "joined_at", m));
                    last_joined
                }
                None => {
                    errors.push(at(line, "joined_at", "is required".into()));
                    last_joined
                }
            };
            last_joined = joined_at;
            let bc = get(col("bigcommerce_customer_id")).and_then(|v| match v.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(at(line, "bigcommerce_customer_id", format!("{v:?} is not an integer")));
                    None
                }
            });
            let placement = match (get(col("binary_parent")), get(col("binary_leg"))) {
                (None, None) => None,
                (Some(p), Some(l)) if l == "left" || l == "right" => Some((p, l)),
                (Some(_), Some(l)) => {
                    errors.push(at(line, "binary_leg", format!("must be left or right, not {l:?}")));
                    None
                }
                (Some(_), None) => {
                    errors.push(at(line, "binary_leg", "is required with binary_parent".into()));
                    None
                }
                (None, Some(_)) => {
                    errors.push(at(line, "binary_parent", "is required with binary_leg".into()));
                    None
                }
            };
            let Some(id) = get(id) else {
                errors.push(at(line, "id", "is required".into()));
                continue;
            };
            records.push(DistributorRecord {
                id,
                sponsor: get(sponsor),
                joined_at,
                email: get(email),
                bigcommerce_customer_id: bc,
                placement,
                upline: Vec::new(),
                matrix_upline: Vec::new(),
            });
            lines.push(line);
        }
    }
    let ledger = data.open().map_err(Err)?;
    migrate::need_plan(&ledger).map_err(Err)?;
    let skipped = if header_ok {
        migrate::skip_enrolled(&ledger, &mut records, &mut lines, &mut errors).map_err(Err)?
    } else {
        0
    };
    if header_ok {
        if let Err(e) = block_on(ledger.check_enrollment(&records)) {
            match e {
                mlm_ledger::LedgerError::Invalid(found) => {
                    for e in found.0 {
                        // `distributors[i].field` → the file's line and column.
                        let (i, field) = e
                            .path
                            .strip_prefix("distributors[")
                            .and_then(|r| r.split_once("]."))
                            .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f.to_string())))
                            .unwrap_or((usize::MAX, e.path.clone()));
                        let line = lines.get(i).copied().unwrap_or(0);
                        errors.push(at(line, column(&field), e.message));
                    }
                }
                other => return Err(Err(other.into())),
            }
        }
    }
    if !errors.is_empty() {
        errors
            .sort_by_key(|e| e.path.split(':').next().and_then(|l| l.trim_start_matches("line ").parse::<u64>().ok()));
        return Err(Ok(Invalid(file, InputErrors(errors))));
    }
    let checked = block_on(ledger.check_enrollment(&records)).map_err(|e| ledger_err(&file, e))?;
    let bar = ProgressBar::new(checked.len() as u64)
        .with_style(ProgressStyle::with_template("importing {pos}/{len} {bar:30} {elapsed}").expect("template"));
    for chunk in checked.chunks(1000) {
        block_on(ledger.store.enroll(chunk)).map_err(|e| Err(e.into()))?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    eprintln!("imported {} distributors ({skipped} already enrolled, skipped)", checked.len());
    Ok(())
}

fn set_plan(path: &Path, effective: Option<&str>, data: &Data) -> Result<(), Result<Invalid, anyhow::Error>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {file}")).map_err(Err)?;
    let ledger = data.open().map_err(Err)?;
    let plan = block_on(ledger.set_plan(&text, effective)).map_err(|e| ledger_err(&file, e))?;
    eprintln!("plan {} set{}", plan.label(), effective.map_or(String::new(), |p| format!(", effective from {p}")));
    Ok(())
}

fn close_period(period: &str, now: Option<&str>, data: &Data) -> Result<(), Result<Invalid, anyhow::Error>> {
    let clock = mlm_app::clock::Clock::from_env(now).map_err(|e| Err(anyhow::anyhow!(e)))?;
    if clock.is_fixed() {
        eprintln!("rehearsal clock: now is {}", clock.now().to_rfc3339());
    }
    let now = clock.now();
    let ledger = data.open().map_err(Err)?;
    // With a rehearsal clock, "ended" is by that clock.
    let closed = match block_on(ledger.close_ended(period, now)) {
        Err(e @ mlm_ledger::LedgerError::NotEnded { .. }) => return Err(Err(anyhow::anyhow!("{e}"))),
        other => other.map_err(|e| ledger_err("ledger", e))?,
    };
    // The dashboard's final figures; payouts stay with the schedule, which queues them.
    block_on(mlm_app::schedule::publish_closed(&ledger, now)).map_err(|e| Err(e.into()))?;
    if closed.is_empty() {
        eprintln!("{period} was already closed");
    } else {
        eprintln!("closed {}", closed.join(", "));
    }
    Ok(())
}

fn statement(
    period: &str,
    distributor: Option<&str>,
    format: statement_view::Format,
    data: &Data,
) -> Result<(), Result<Invalid, anyhow::Error>> {
    let ledger = data.open().map_err(Err)?;
    match block_on(ledger.statement(period)).map_err(|e| ledger_err("ledger", e))? {
        Some(json) => {
            print!("{}", statement_view::render(&json, period, distributor, format).map_err(Err)?);
            Ok(())
        }
        None => Err(Err(anyhow::anyhow!("period {period} is not closed; run `mlm close-period {period}` first"))),
    }
}

/// An input problem: reported on stderr line by line, exit code 2.
struct Invalid(String, InputErrors);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Simulate { scenario, period } => simulate(&scenario, period.as_deref()),
        Command::Disclosure { scenario: Some(scenario), from, to, .. } => {
            disclosure::from_scenario(&scenario, from.as_deref(), to.as_deref())
        }
        Command::Disclosure { scenario: None, from, to, data } => {
            disclosure::from_ledger(&data, from.as_deref(), to.as_deref())
        }
        Command::Adjust { distributor, amount, reason, at, data } => {
            disclosure::adjust(&distributor, &amount, &reason, at.as_deref(), &data)
        }
        Command::CreateTable => {
            let store = block_on(mlm_store_dynamodb::DynamoStore::from_env(table_name()));
            block_on(store.create_table()).map_err(|e| Err(anyhow::anyhow!("creating table {}: {e}", table_name())))
        }
        Command::Load { scenario, data } => load_into(&scenario, &data),
        Command::Import { csv, data } => import(&csv, &data),
        Command::SetPlan { plan, effective, data } => set_plan(&plan, effective.as_deref(), &data),
        Command::ClosePeriod { period, now, data } => close_period(&period, now.as_deref(), &data),
        Command::Statement { period, distributor, format, data } => {
            statement(&period, distributor.as_deref(), format, &data)
        }
        Command::WhatIf(args) => what_if::what_if(&args),
        Command::Demo(args) => demo::demo(args).map_err(Err),
        Command::Token { distributor, admin, ttl_hours, data } => {
            token(distributor.as_deref(), admin, ttl_hours, &data)
        }
        Command::Serve(args) => serve::serve(args).map_err(Err),
        Command::Catalog(cmd) => store_front::catalog(cmd).map_err(Err),
        Command::RegisterWebhooks { destination } => store_front::register(&destination).map_err(Err),
        Command::Reconcile(args) => reconcile::reconcile(args).map_err(Err),
        Command::SetupStore(args) => setup_store::setup(args).map_err(Err),
        Command::Reprocess { key, book, dismiss, data } => match (book, dismiss) {
            (Some(k), _) => store_front::book(&k, &data).map_err(Err),
            (None, Some(k)) => store_front::dismiss(&k, &data).map_err(Err),
            (None, None) => store_front::reprocess(key, &data).map_err(Err),
        },
        Command::Gen { distributors, orders, seed, months, refund_percent, out } => {
            let p = mlm_scenario_gen::Params { distributors, orders, seed, months, refund_percent };
            gen(&p, out.as_deref()).map_err(Err)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Ok(Invalid(file, errors))) => {
            for e in &errors.0 {
                eprintln!("error: {file}: {e}");
            }
            ExitCode::from(2)
        }
        Err(Err(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn spinner(msg: &'static str) -> ProgressBar {
    // indicatif draws nothing when stderr is not a terminal.
    let pb = ProgressBar::new_spinner().with_message(msg);
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

fn load(path: &Path) -> Result<Result<Scenario, Invalid>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut load_plan = |name: &str| -> Result<(String, Format), String> {
        let p = dir.join(name);
        std::fs::read_to_string(&p)
            .map(|t| (t, Format::from_path(name)))
            .map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let file = path.display().to_string();
    Ok(Scenario::from_text(&text, Format::from_path(&file), &mut load_plan).map_err(|e| Invalid(file, e)))
}

fn simulate(path: &Path, only: Option<&str>) -> Result<(), Result<Invalid, anyhow::Error>> {
    let pb = spinner("reading scenario");
    let scenario = load(path).map_err(Err)?.map_err(Ok)?;
    pb.set_message("checking references and valuing orders");
    let file = path.display().to_string();
    let run = Run::prepare(scenario).map_err(|e| Ok(Invalid(file.clone(), e)))?;

    let periods = run.periods();
    let only = match only {
        None => None,
        Some(p) => {
            let period = Period::parse(run.plan.period, p)
                .map_err(|m| Ok(Invalid(file.clone(), InputErrors::one("--period".into(), m))))?;
            if !periods.contains(&period) {
                let span = match (periods.first(), periods.last()) {
                    (Some(a), Some(b)) => format!("the run covers {a} to {b}"),
                    _ => "the run has no periods".to_string(),
                };
                return Err(Ok(Invalid(
                    file,
                    InputErrors::one("--period".into(), format!("{p} is not a period of this run: {span}")),
                )));
            }
            Some(period)
        }
    };
    pb.finish_and_clear();
    let bar = ProgressBar::new(periods.len() as u64)
        .with_style(ProgressStyle::with_template("closing {pos}/{len} periods {bar:30} {elapsed}").expect("template"));
    let explain = run.explain();
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut io = explain.write_header(&mut out, &run.warnings);
    let mut first = true;
    run.close_all(|st| {
        bar.inc(1);
        if io.is_ok() && only.is_none_or(|p| p == st.period) {
            if !first {
                io = out.write_all(b",\n");
            }
            first = false;
            io = io
                .as_ref()
                .map_err(|_| std::io::ErrorKind::Other.into())
                .and_then(|_| explain.write_period(&mut out, st));
        }
        io.is_ok() && only.is_none_or(|p| st.period < p)
    });
    bar.finish_and_clear();
    io.and_then(|_| explain.write_footer(&mut out)).and_then(|_| out.flush()).map_err(|e| Err(e.into()))
}

fn gen(p: &mlm_scenario_gen::Params, out: Option<&Path>) -> Result<()> {
    if p.distributors == 0 {
        bail!("--distributors must be at least 1");
    }
    let scenario = mlm_scenario_gen::generate(p);
    match out {
        Some(path) => {
            let f = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            scenario.write_json(BufWriter::with_capacity(1 << 20, f))?;
        }
        None => scenario.write_json(BufWriter::with_capacity(1 << 20, std::io::stdout().lock()))?,
    }
    Ok(())
}
