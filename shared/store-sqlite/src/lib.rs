//! The embedded default: the whole ledger in one SQLite file (WAL mode, every order write one
//! transaction conditioned on the order's version), for `mlm demo`, `mlm serve`, what-if runs
//! and fast tests. Same semantics as DynamoDB: both pass `mlm-store-conformance`.

use async_trait::async_trait;
use mlm_ledger::model::*;
use mlm_ledger::port::{Store, StoreError, StoreResult};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Mutex;

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS plans (version INTEGER PRIMARY KEY, seq INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS distributors (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, email TEXT UNIQUE, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mappings (sku TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, period TEXT NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lines (period TEXT NOT NULL, earner TEXT NOT NULL, key TEXT NOT NULL, shard INTEGER NOT NULL, fin INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (period, earner, key));
CREATE TABLE IF NOT EXISTS close_slices (period TEXT NOT NULL, of INTEGER NOT NULL, slice INTEGER NOT NULL, PRIMARY KEY (period, of, slice));
CREATE TABLE IF NOT EXISTS aggregates (period TEXT NOT NULL, earner TEXT NOT NULL, pv TEXT NOT NULL, bv TEXT NOT NULL, retail TEXT NOT NULL, personal TEXT NOT NULL, PRIMARY KEY (period, earner));
CREATE TABLE IF NOT EXISTS closes (period TEXT PRIMARY KEY, statement TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS closing (period TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS payouts (period TEXT NOT NULL, earner TEXT NOT NULL, amount TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (period, earner));
CREATE TABLE IF NOT EXISTS parked (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (collection TEXT NOT NULL, key TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (collection, key));
";

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("ledger records serialize")
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(backend)
}

fn dec(s: &str) -> StoreResult<Decimal> {
    s.parse().map_err(backend)
}

impl SqliteStore {
    /// Opens (creating if needed) the ledger file at `path`.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<SqliteStore> {
        let conn = Connection::open(path).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        // Durable at every commit: a crash loses nothing that was acknowledged.
        conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    /// A private in-memory ledger (tests, what-if runs).
    pub fn in_memory() -> StoreResult<SqliteStore> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        let mut c = self.conn.lock().map_err(|_| StoreError::Backend("connection poisoned".into()))?;
        f(&mut c)
    }
}

/// Every JSON record a query returns, parsed.
fn records<T: serde::de::DeserializeOwned>(c: &Connection, sql: &str) -> StoreResult<Vec<T>> {
    let mut st = c.prepare(sql).map_err(backend)?;
    let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(backend)?;
    rows.map(|r| parse(&r.map_err(backend)?)).collect()
}

fn put_line(tx: &rusqlite::Transaction, l: &StoredLine) -> StoreResult<()> {
    tx.execute(
        "INSERT OR REPLACE INTO lines (period, earner, key, shard, fin, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![l.period, l.earner, l.key(), shard_of(&l.earner), l.fin, json(l)],
    )
    .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn put_plan(&self, p: &PlanVersion) -> StoreResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO plans (version, seq, record) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM plans), ?2)",
                params![p.version, json(p)],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Exists(format!("plan version {}", p.version))
                }
                e => backend(e),
            })?;
            Ok(())
        })
    }

    async fn plans(&self) -> StoreResult<Vec<PlanVersion>> {
        self.with(|c| records(c, "SELECT record FROM plans ORDER BY seq"))
    }

    async fn enroll(&self, batch: &[DistributorRecord]) -> StoreResult<()> {
        self.with(|c| {
            let tx = c.transaction().map_err(backend)?;
            for d in batch {
                let email = d.email.as_ref().map(|e| e.trim().to_lowercase());
                tx.execute(
                    "INSERT INTO distributors (id, email, record) VALUES (?1, ?2, ?3)",
                    params![d.id, email, json(d)],
                )
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                        StoreError::Exists(format!("distributor {:?} (id or e-mail)", d.id))
                    }
                    e => backend(e),
                })?;
            }
            tx.commit().map_err(backend)
        })
    }

    async fn distributors(&self) -> StoreResult<Vec<DistributorRecord>> {
        self.with(|c| records(c, "SELECT record FROM distributors ORDER BY seq"))
    }

    async fn distributor_count(&self) -> StoreResult<u64> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM distributors", [], |r| r.get(0)).map_err(backend))
    }

    async fn put_customer(&self, cu: &CustomerRecord) -> StoreResult<()> {
        self.with(|c| {
            c.execute("INSERT OR REPLACE INTO customers (id, record) VALUES (?1, ?2)", params![cu.id, json(cu)])
                .map_err(backend)?;
            Ok(())
        })
    }

    async fn customers(&self) -> StoreResult<Vec<CustomerRecord>> {
        self.with(|c| records(c, "SELECT record FROM customers ORDER BY id"))
    }

    async fn put_mapping(&self, m: &Mapping) -> StoreResult<()> {
        self.with(|c| {
            c.execute("INSERT OR REPLACE INTO mappings (sku, record) VALUES (?1, ?2)", params![m.sku, json(m)])
                .map_err(backend)?;
            Ok(())
        })
    }

    async fn mappings(&self) -> StoreResult<Vec<Mapping>> {
        self.with(|c| records(c, "SELECT record FROM mappings ORDER BY sku"))
    }

    async fn context(&self, q: &ContextQuery) -> StoreResult<OrderContext> {
        self.with(|c| {
            let one = |sql: &str, key: &dyn rusqlite::ToSql| -> StoreResult<Option<String>> {
                c.query_row(sql, [key], |r| r.get(0)).optional().map_err(backend)
            };
            let mut ctx = OrderContext {
                stored: one("SELECT state FROM orders WHERE id = ?1", &q.order)?.map(|s| parse(&s)).transpose()?,
                plans: records(c, "SELECT record FROM plans ORDER BY seq")?,
                closed: {
                    let mut st = c
                        .prepare_cached("SELECT period FROM closes UNION SELECT period FROM closing ORDER BY period")
                        .map_err(backend)?;
                    let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(backend)?;
                    rows.collect::<Result<_, _>>().map_err(backend)?
                },
                parked: one("SELECT record FROM parked WHERE key = ?1", &order_park_key(q.order))?.is_some(),
                ..OrderContext::default()
            };
            for p in &q.parties {
                if let Some(d) = one("SELECT record FROM distributors WHERE id = ?1", p)? {
                    ctx.distributors.push(parse(&d)?);
                } else if let Some(cu) = one("SELECT record FROM customers WHERE id = ?1", p)? {
                    ctx.customers.push(parse(&cu)?);
                }
            }
            for sku in &q.skus {
                if let Some(m) = one("SELECT record FROM mappings WHERE sku = ?1", sku)? {
                    ctx.mappings.push(parse(&m)?);
                }
            }
            Ok(ctx)
        })
    }

    async fn distributor(&self, id: &str) -> StoreResult<Option<DistributorRecord>> {
        self.with(|c| {
            let r: Option<String> = c
                .query_row("SELECT record FROM distributors WHERE id = ?1", [id], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            r.map(|r| parse(&r)).transpose()
        })
    }

    async fn distributor_by_email(&self, email: &str) -> StoreResult<Option<DistributorRecord>> {
        let email = email.trim().to_lowercase();
        self.with(|c| {
            let r: Option<String> = c
                .query_row("SELECT record FROM distributors WHERE email = ?1", [email], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            r.map(|r| parse(&r)).transpose()
        })
    }

    async fn order(&self, id: i64) -> StoreResult<Option<StoredOrder>> {
        self.with(|c| {
            let s: Option<String> = c
                .query_row("SELECT state FROM orders WHERE id = ?1", [id], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            s.map(|s| parse(&s)).transpose()
        })
    }

    async fn orders(&self) -> StoreResult<Vec<StoredOrder>> {
        self.with(|c| records(c, "SELECT state FROM orders ORDER BY id"))
    }

    async fn write_order(&self, w: &OrderWrite) -> StoreResult<()> {
        self.with(|c| {
            // IMMEDIATE: take the write lock before reading the version, so check and write are
            // one atomic step even across processes sharing the file.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
            let o = &w.order;
            let id = o.snapshot.id;
            let current: Option<u64> =
                tx.query_row("SELECT version FROM orders WHERE id = ?1", [id], |r| r.get(0)).optional().map_err(backend)?;
            if current != w.expected_version {
                return Err(StoreError::Conflict(id));
            }
            for p in &w.periods {
                let closing: Option<i64> = tx
                    .query_row("SELECT 1 FROM closing WHERE period = ?1 UNION SELECT 1 FROM closes WHERE period = ?1", [p], |r| r.get(0))
                    .optional()
                    .map_err(backend)?;
                if closing.is_some() {
                    return Err(StoreError::Conflict(id));
                }
            }
            tx.execute(
                "INSERT OR REPLACE INTO orders (id, version, period, state) VALUES (?1, ?2, ?3, ?4)",
                params![id, o.version, o.period, json(o)],
            )
            .map_err(backend)?;
            for l in &w.remove_lines {
                tx.execute(
                    "DELETE FROM lines WHERE period = ?1 AND earner = ?2 AND key = ?3 AND fin = 0",
                    params![l.period, l.earner, l.key()],
                )
                .map_err(backend)?;
            }
            for l in &w.put_lines {
                put_line(&tx, l)?;
            }
            if let Some(k) = &w.unpark {
                tx.execute("DELETE FROM parked WHERE key = ?1", [k]).map_err(backend)?;
            }
            for a in &w.aggregates {
                let row: Option<(String, String, String, String)> = tx
                    .query_row(
                        "SELECT pv, bv, retail, personal FROM aggregates WHERE period = ?1 AND earner = ?2",
                        params![a.period, a.earner],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()
                    .map_err(backend)?;
                let (pv, bv, re, pe) = match row {
                    Some((p, b, r, s)) => (dec(&p)?, dec(&b)?, dec(&r)?, dec(&s)?),
                    None => Default::default(),
                };
                tx.execute(
                    "INSERT OR REPLACE INTO aggregates (period, earner, pv, bv, retail, personal) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        a.period,
                        a.earner,
                        (pv + a.pv).to_string(),
                        (bv + a.bv).to_string(),
                        (re + a.retail_sales).to_string(),
                        (pe + a.personal_sales).to_string()
                    ],
                )
                .map_err(backend)?;
            }
            tx.commit().map_err(backend)
        })
    }

    async fn aggregates(&self, period: &str, ids: &[String]) -> StoreResult<Vec<Aggregate>> {
        self.with(|c| {
            let mut st = c
                .prepare_cached("SELECT pv, bv, retail, personal FROM aggregates WHERE period = ?1 AND earner = ?2")
                .map_err(backend)?;
            ids.iter()
                .map(|id| {
                    let row: Option<(String, String, String, String)> = st
                        .query_row(params![period, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                        .optional()
                        .map_err(backend)?;
                    Ok(match row {
                        Some((p, b, r, s)) => {
                            Aggregate { pv: dec(&p)?, bv: dec(&b)?, retail_sales: dec(&r)?, personal_sales: dec(&s)? }
                        }
                        None => Aggregate::default(),
                    })
                })
                .collect()
        })
    }

    async fn lines(&self, period: &str, earner: &str) -> StoreResult<Vec<StoredLine>> {
        self.with(|c| {
            let mut st = c
                .prepare("SELECT line FROM lines WHERE period = ?1 AND earner = ?2 ORDER BY rowid")
                .map_err(backend)?;
            let rows = st.query_map(params![period, earner], |r| r.get::<_, String>(0)).map_err(backend)?;
            rows.map(|r| parse(&r.map_err(backend)?)).collect()
        })
    }

    async fn put_close_slice(&self, cl: &CloseSlice) -> StoreResult<()> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
            tx.execute("DELETE FROM lines WHERE period = ?1 AND shard % ?2 = ?3", params![cl.period, cl.of, cl.slice])
                .map_err(backend)?;
            for l in &cl.lines {
                put_line(&tx, l)?;
            }
            for (earner, amount) in &cl.payouts {
                tx.execute(
                    "INSERT OR REPLACE INTO payouts (period, earner, amount, status) VALUES (?1, ?2, ?3, 'queued')",
                    params![cl.period, earner, amount.to_string()],
                )
                .map_err(backend)?;
            }
            tx.execute(
                "INSERT OR REPLACE INTO close_slices (period, of, slice) VALUES (?1, ?2, ?3)",
                params![cl.period, cl.of, cl.slice],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
    }

    async fn close_progress(&self, period: &str, of: u32) -> StoreResult<Vec<u32>> {
        self.with(|c| {
            let mut st = c
                .prepare("SELECT slice FROM close_slices WHERE period = ?1 AND of = ?2 ORDER BY slice")
                .map_err(backend)?;
            let rows = st.query_map(params![period, of], |r| r.get::<_, u32>(0)).map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
    }

    async fn mark_closing(&self, period: &str) -> StoreResult<()> {
        self.with(|c| {
            c.execute("INSERT OR IGNORE INTO closing (period) VALUES (?1)", [period]).map_err(backend)?;
            Ok(())
        })
    }

    async fn mark_closed(&self, period: &str, statement: &str) -> StoreResult<()> {
        self.with(|c| {
            c.execute("INSERT OR REPLACE INTO closes (period, statement) VALUES (?1, ?2)", params![period, statement])
                .map_err(backend)?;
            Ok(())
        })
    }

    async fn statement(&self, period: &str) -> StoreResult<Option<String>> {
        self.with(|c| {
            c.query_row("SELECT statement FROM closes WHERE period = ?1", [period], |r| r.get(0))
                .optional()
                .map_err(backend)
        })
    }

    async fn closed_periods(&self) -> StoreResult<Vec<String>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT period FROM closes ORDER BY period").map_err(backend)?;
            let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
    }

    async fn park(&self, p: &Parked) -> StoreResult<()> {
        self.with(|c| {
            // The latest reason replaces the entry, which moves to the end of the list.
            c.execute("INSERT OR REPLACE INTO parked (key, record) VALUES (?1, ?2)", params![p.key, json(p)])
                .map_err(backend)?;
            Ok(())
        })
    }

    async fn parked(&self) -> StoreResult<Vec<Parked>> {
        self.with(|c| records(c, "SELECT record FROM parked ORDER BY seq"))
    }

    async fn unpark(&self, key: &str) -> StoreResult<()> {
        self.with(|c| c.execute("DELETE FROM parked WHERE key = ?1", [key]).map(|_| ()).map_err(backend))
    }

    async fn delete_mapping(&self, sku: &str) -> StoreResult<()> {
        self.with(|c| c.execute("DELETE FROM mappings WHERE sku = ?1", [sku]).map(|_| ()).map_err(backend))
    }

    async fn put_doc(&self, collection: &str, key: &str, json: &str) -> StoreResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO docs (collection, key, record) VALUES (?1, ?2, ?3)",
                [collection, key, json],
            )
            .map(|_| ())
            .map_err(backend)
        })
    }

    async fn put_docs(&self, docs: &[(String, String, String)]) -> StoreResult<()> {
        // One transaction: a period's standings land together and fast.
        self.with(|c| {
            let tx = c.transaction().map_err(backend)?;
            {
                let mut st = tx
                    .prepare("INSERT OR REPLACE INTO docs (collection, key, record) VALUES (?1, ?2, ?3)")
                    .map_err(backend)?;
                for (collection, k, json) in docs {
                    st.execute([collection.as_str(), k.as_str(), json.as_str()]).map_err(backend)?;
                }
            }
            tx.commit().map_err(backend)
        })
    }

    async fn doc(&self, collection: &str, key: &str) -> StoreResult<Option<String>> {
        self.with(|c| {
            c.query_row("SELECT record FROM docs WHERE collection = ?1 AND key = ?2", [collection, key], |r| r.get(0))
                .optional()
                .map_err(backend)
        })
    }

    async fn docs(&self, collection: &str) -> StoreResult<Vec<(String, String)>> {
        self.with(|c| {
            let mut st =
                c.prepare("SELECT key, record FROM docs WHERE collection = ?1 ORDER BY key").map_err(backend)?;
            let rows = st.query_map([collection], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
    }

    async fn delete_doc(&self, collection: &str, key: &str) -> StoreResult<()> {
        self.with(|c| {
            c.execute("DELETE FROM docs WHERE collection = ?1 AND key = ?2", [collection, key])
                .map(|_| ())
                .map_err(backend)
        })
    }
}
