//! `Ledger`: opening (or creating) the ledger file, recording drafts, committing them, and the queries the
//! commands need. Every write is one `BEGIN IMMEDIATE` transaction: a crash at any point leaves the ledger as it
//! was before the command, and a second process waits (busy timeout) or gets `LedgerError::Busy`.

use super::schema::{self, Found};
use super::{BatchInfo, BatchStatus, LedgerError, LineCounts, LineKind, NewBatch, PaidLine, PaidTotal, PeriodCounts};
use crate::domain::month::YearMonth;
use chrono::NaiveDate;
use rusqlite::types::Type;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a command waits for another process's write to finish before giving up with `LedgerError::Busy`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// TEST-ONLY crash hook. When this environment variable holds a number N, `save_draft` calls
/// `std::process::abort()` right after inserting its N-th line (N = 0: right after the batch row), inside the
/// open transaction. The CLI crash test uses it to show that a killed `pay` leaves the ledger as it was. Never set
/// it in production.
pub const TEST_ABORT_AFTER_LINES_ENV: &str = "YOUFU_TEST_ABORT_AFTER_LINES";

/// The ledger file, open.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

const BATCH_SELECT: &str = "SELECT b.id, b.month, b.status, b.created, b.committed_at, b.pay_date, b.late_reason,
        b.inputs_digest, b.outputs_digest, b.tool_version, b.entitled_fen, b.shortfalls,
        (SELECT COUNT(*) FROM lines l WHERE l.batch_id = b.id),
        (SELECT COALESCE(SUM(l.amount_fen), 0) FROM lines l WHERE l.batch_id = b.id)
   FROM batches b";

const LINE_SELECT: &str = "SELECT l.batch_id, b.month, l.person_id, l.name, l.category, l.town, l.item, l.period,
        l.kind, l.amount_fen, l.standard_row, l.basis, l.formula, b.pay_date
   FROM lines l JOIN batches b ON b.id = l.batch_id
  WHERE l.committed = 1";

/// The first line of `batch_id` that a committed batch already paid: a 正常 line of the same (person, item,
/// period) or a 丧葬补助 of the same person. The kinds are literals so that SQLite looks each line up in the
/// partial UNIQUE indexes `lines_regular_once` / `lines_funeral_once`.
const CONFLICT_SELECT: &str = "SELECT line, person_id, name, item, period, kind, month FROM (
     SELECT d.id AS line, d.person_id, d.name, d.item, d.period, d.kind, b.month
       FROM lines d
       JOIN lines c ON c.committed = 1 AND c.kind = '正常'
                   AND c.person_id = d.person_id AND c.item = d.item AND c.period = d.period
       JOIN batches b ON b.id = c.batch_id
      WHERE d.batch_id = ?1 AND d.kind = '正常'
     UNION ALL
     SELECT d.id AS line, d.person_id, d.name, d.item, d.period, d.kind, b.month
       FROM lines d
       JOIN lines c ON c.committed = 1 AND c.kind = '丧葬补助' AND c.person_id = d.person_id
       JOIN batches b ON b.id = c.batch_id
      WHERE d.batch_id = ?1 AND d.kind = '丧葬补助')
  ORDER BY line
  LIMIT 1";

impl Ledger {
    /// Open or create (schema installed, migrations applied forward). Errors: not a youfu ledger (a SQLite file
    /// with other tables / another application_id), newer schema than this build knows, not a database or
    /// damaged — each a distinct `LedgerError` with a Chinese message naming the file and what to do. Nothing is
    /// written to a file that is refused.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        Self::open_inner(path, true)
    }

    /// Open only if it exists (for read-only commands): a missing file → `LedgerError::Missing`. Skips the
    /// whole-file integrity check unless a migration is pending; damage then shows as `Corrupt` when read.
    pub fn open_existing(path: &Path) -> Result<Ledger, LedgerError> {
        Self::open_inner(path, false)
    }

    fn open_inner(path: &Path, create: bool) -> Result<Ledger, LedgerError> {
        let existed = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(LedgerError::NotLedger {
                    path: path.to_path_buf(), detail: "这是一个文件夹".to_string()
                });
            }
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !create {
                    return Err(LedgerError::Missing { path: path.to_path_buf() });
                }
                false
            }
            Err(source) => {
                return Err(LedgerError::Io { path: path.to_path_buf(), source });
            }
        };
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if !existed {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let err = |e| sql_err(path, e);
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::CannotOpen) => LedgerError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("无法打开或创建该文件，请确认所在文件夹存在且可写"),
            },
            _ => sql_err(path, e),
        })?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // Reads only until the file is known to be a youfu ledger (or an empty database). The integrity check
        // reads the whole file, so it runs before writes (`open`, or a pending migration) but not for read-only
        // commands, where a damaged page surfaces as `Corrupt` from the query that reads it.
        if let Found::Ledger { version } = schema::inspect(&conn, path)?
            && (create || version < schema::SCHEMA_VERSION)
        {
            schema::check_integrity(&conn, path)?;
        }
        conn.pragma_update(None, "foreign_keys", true).map_err(err)?;
        // A page cache big enough that a province's draft (a million lines and their indexes) is built in memory
        // and written once at commit, instead of spilling pages to the file mid-transaction (256 MiB at most;
        // SQLite allocates it only as pages are used).
        conn.pragma_update(None, "cache_size", -262_144).map_err(err)?;
        schema::migrate(&mut conn, path)?;
        Ok(Ledger { conn, path: path.to_path_buf() })
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Change how long a write waits for another process (default `BUSY_TIMEOUT`).
    pub fn set_busy_timeout(&mut self, timeout: Duration) -> Result<(), LedgerError> {
        self.conn.busy_timeout(timeout).map_err(|e| sql_err(&self.path, e))
    }

    #[cfg(test)]
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Record a draft for `batch.month`, replacing an earlier draft of that month, in ONE transaction.
    /// Refused when the month is committed (`AlreadyCommitted`, saying when and with what total) or when a line
    /// pays again what a committed batch paid (`AlreadyPaid`: a 正常 line of the same person, 项目 and 所属期, or a
    /// second 丧葬补助).
    pub fn save_draft(&mut self, batch: &NewBatch) -> Result<BatchInfo, LedgerError> {
        let abort_after = std::env::var(TEST_ABORT_AFTER_LINES_ENV).ok().and_then(|v| v.trim().parse::<usize>().ok());
        let path = self.path.clone();
        let err = |e| sql_err(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        if let Some(done) = committed_batch(&tx, &path, batch.month)? {
            return Err(already_committed(&path, done));
        }
        let month = batch.month.to_string();
        tx.execute(
            "DELETE FROM lines WHERE batch_id IN (SELECT id FROM batches WHERE month = ?1 AND status = 'draft')",
            [&month],
        )
        .map_err(err)?;
        tx.execute("DELETE FROM batches WHERE month = ?1 AND status = 'draft'", [&month]).map_err(err)?;
        tx.execute(
            "INSERT INTO batches (month, status, created, inputs_digest, outputs_digest, tool_version,
                                  entitled_fen, shortfalls)
             VALUES (?1, 'draft', ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                month,
                batch.created,
                batch.inputs_digest,
                batch.outputs_digest,
                batch.tool_version,
                batch.entitled_fen,
                batch.shortfalls
            ],
        )
        .map_err(err)?;
        let batch_id = tx.last_insert_rowid();
        if abort_after == Some(0) {
            std::process::abort();
        }
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO lines (batch_id, person_id, name, category, town, item, period, kind, amount_fen,
                                        standard_row, standard_start, basis, formula)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .map_err(err)?;
            for (n, line) in batch.lines.iter().enumerate() {
                insert
                    .execute(params![
                        batch_id,
                        line.id,
                        line.name,
                        line.category,
                        line.town,
                        line.item,
                        line.period.to_string(),
                        line.kind.label(),
                        line.amount_fen,
                        line.standard_row,
                        line.standard_start.map(|d| d.to_string()),
                        line.basis,
                        line.formula,
                    ])
                    .map_err(err)?;
                if abort_after == Some(n + 1) {
                    std::process::abort();
                }
            }
        }
        if let Some(conflict) = first_conflict(&tx, &path, batch_id)? {
            return Err(conflict);
        }
        let info = batch_by_id(&tx, &path, batch_id)?;
        tx.commit().map_err(err)?;
        Ok(info)
    }

    /// Mark the month's draft committed with a pay date (and an optional late reason). Refused when there is no
    /// draft (`NoDraft`), when already committed (`AlreadyCommitted`), when `inputs_digest` differs from the
    /// draft's (`InputsChanged`), or when a line was paid meanwhile (`AlreadyPaid`). One transaction.
    pub fn commit(
        &mut self,
        month: YearMonth,
        pay_date: NaiveDate,
        committed_at: &str,
        inputs_digest: &str,
        late_reason: Option<&str>,
    ) -> Result<BatchInfo, LedgerError> {
        let path = self.path.clone();
        let err = |e| sql_err(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        if let Some(done) = committed_batch(&tx, &path, month)? {
            return Err(already_committed(&path, done));
        }
        let draft = query_batch(&tx, &path, "WHERE b.month = ?1 AND b.status = 'draft'", month)?
            .ok_or_else(|| LedgerError::NoDraft { path: path.clone(), month })?;
        if draft.inputs_digest != inputs_digest {
            return Err(LedgerError::InputsChanged {
                path: path.clone(),
                month,
                draft_digest: draft.inputs_digest,
                current_digest: inputs_digest.to_string(),
            });
        }
        if let Some(conflict) = first_conflict(&tx, &path, draft.id)? {
            return Err(conflict);
        }
        tx.execute(
            "UPDATE batches SET status = 'committed', committed_at = ?2, pay_date = ?3, late_reason = ?4
              WHERE id = ?1",
            params![draft.id, committed_at, pay_date.to_string(), late_reason],
        )
        .map_err(err)?;
        tx.execute("UPDATE lines SET committed = 1 WHERE batch_id = ?1", [draft.id]).map_err(err)?;
        let info = batch_by_id(&tx, &path, draft.id)?;
        tx.commit().map_err(err)?;
        Ok(info)
    }

    /// The month's committed batch if any, else its draft.
    pub fn batch(&self, month: YearMonth) -> Result<Option<BatchInfo>, LedgerError> {
        query_batch(
            &self.conn,
            &self.path,
            "WHERE b.month = ?1 ORDER BY b.status = 'committed' DESC, b.id DESC LIMIT 1",
            month,
        )
    }

    /// All batches (drafts and committed), by month.
    pub fn batches(&self) -> Result<Vec<BatchInfo>, LedgerError> {
        let sql = format!("{BATCH_SELECT} ORDER BY b.month, b.status = 'committed' DESC, b.id");
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let rows = stmt.query_map([], batch_from_row).map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// The month of the earliest committed batch.
    pub fn first_committed_month(&self) -> Result<Option<YearMonth>, LedgerError> {
        self.conn
            .query_row("SELECT MIN(month) FROM batches WHERE status = 'committed'", [], |r| {
                r.get::<_, Option<String>>(0)?.map(|m| parse_text(0, &m, |s| s.parse::<YearMonth>())).transpose()
            })
            .map_err(|e| sql_err(&self.path, e))
    }

    /// Committed lines whose 所属期 (period) is in [from, to] (any kind) — the input to arrears. Ordered by
    /// person, item, period, then the batch that paid them.
    pub fn paid_lines(&self, from: YearMonth, to: YearMonth) -> Result<Vec<PaidLine>, LedgerError> {
        self.query_lines(
            "AND l.period BETWEEN ?1 AND ?2 ORDER BY l.person_id, l.item, l.period, b.month, l.id",
            &[&from.to_string(), &to.to_string()],
        )
    }

    /// Committed lines of one batch month (the month the batch was paid in), any period, in batch order.
    pub fn batch_lines(&self, month: YearMonth) -> Result<Vec<PaidLine>, LedgerError> {
        self.query_lines("AND b.month = ?1 ORDER BY l.id", &[&month.to_string()])
    }

    /// Committed lines for one person (history), or for one person and one period (explain). Ordered by period,
    /// item, then the batch that paid them.
    pub fn lines_for(&self, id: &str, period: Option<YearMonth>) -> Result<Vec<PaidLine>, LedgerError> {
        match period {
            None => {
                self.query_lines("AND l.person_id = ?1 ORDER BY l.period, l.item, b.month, l.id", &[&id.to_string()])
            }
            Some(p) => self.query_lines(
                "AND l.person_id = ?1 AND l.period = ?2 ORDER BY l.item, b.month, l.id",
                &[&id.to_string(), &p.to_string()],
            ),
        }
    }

    /// The committed 丧葬补助 line of a person, if any (the database allows at most one).
    pub fn funeral_paid(&self, id: &str) -> Result<Option<PaidLine>, LedgerError> {
        Ok(self.query_lines("AND l.person_id = ?1 AND l.kind = '丧葬补助'", &[&id.to_string()])?.into_iter().next())
    }

    /// Total paid (正常 + 补发, committed) per person, 项目 and 所属期 for periods in [from, to], from the
    /// `paid_totals` view. Ordered by person, item, period.
    pub fn paid_totals(&self, from: YearMonth, to: YearMonth) -> Result<Vec<PaidTotal>, LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT person_id, item, period, total_fen FROM paid_totals
                  WHERE period BETWEEN ?1 AND ?2 ORDER BY person_id, item, period",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([from.to_string(), to.to_string()], |r| {
                Ok(PaidTotal {
                    id: r.get(0)?,
                    item: r.get(1)?,
                    period: parse_text(2, &r.get::<_, String>(2)?, |s| s.parse::<YearMonth>())?,
                    total_fen: r.get(3)?,
                })
            })
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Every committed 正常 and 补发 line whose 所属期 is in [from, to], as (身份证号, 项目, 所属期, 分), in no
    /// particular order, streamed to `each` without holding them: the sums of `paid_totals` without its two sorts.
    pub fn for_each_paid(
        &self,
        from: YearMonth,
        to: YearMonth,
        mut each: impl FnMut(&str, &str, YearMonth, i64),
    ) -> Result<(), LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT person_id, item, period, amount_fen FROM lines
                  WHERE committed = 1 AND kind IN ('正常', '补发') AND period BETWEEN ?1 AND ?2",
            )
            .map_err(err)?;
        let mut rows = stmt.query([from.to_string(), to.to_string()]).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let text = |i: usize| -> Result<&str, LedgerError> {
                r.get_ref(i).and_then(|v| v.as_str().map_err(Into::into)).map_err(err)
            };
            let period = text(2)?;
            let period = parse_text(2, period, |s| s.parse::<YearMonth>()).map_err(err)?;
            each(text(0)?, text(1)?, period, r.get(3).map_err(err)?);
        }
        Ok(())
    }

    /// 身份证号 of everyone whose 丧葬补助 is committed (one query instead of `funeral_paid` per person).
    pub fn funeral_paid_ids(&self) -> Result<std::collections::HashSet<String>, LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let mut stmt =
            self.conn.prepare("SELECT person_id FROM lines WHERE committed = 1 AND kind = '丧葬补助'").map_err(err)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Count the committed lines whose batch month lies in [from, to] per group (see `PeriodCounts`) in one pass
    /// over the lines ordered by (身份证号, 所属期), so distinct persons and (person, period) pairs are counted as
    /// runs, without holding the lines: memory stays bounded by the number of groups.
    pub fn period_counts(&self, from: YearMonth, to: YearMonth) -> Result<PeriodCounts, LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.person_id, l.period, l.kind, l.category, l.item, l.town, b.month, l.amount_fen
                   FROM lines l JOIN batches b ON b.id = l.batch_id
                  WHERE l.committed = 1 AND b.status = 'committed' AND b.month BETWEEN ?1 AND ?2
                  ORDER BY l.person_id, l.period",
            )
            .map_err(err)?;
        let mut rows = stmt.query([from.to_string(), to.to_string()]).map_err(err)?;
        let mut all = [Run::default(), Run::default(), Run::default(), Run::default()];
        let mut named: [std::collections::HashMap<String, Run>; 3] = Default::default();
        let mut months: std::collections::BTreeMap<String, LineCounts> = std::collections::BTreeMap::new();
        let mut m = from;
        while m <= to {
            months.insert(m.to_string(), LineCounts::default());
            m = m.next();
        }
        let (mut last_person, mut last_period) = (String::new(), String::new());
        let (mut person, mut pair) = (0u64, 0u64);
        while let Some(r) = rows.next().map_err(err)? {
            let text = |i: usize| -> Result<&str, LedgerError> {
                r.get_ref(i).and_then(|v| v.as_str().map_err(Into::into)).map_err(err)
            };
            let (id, period, kind) = (text(0)?, text(1)?, text(2)?);
            let amount: i64 = r.get(7).map_err(err)?;
            if person == 0 || id != last_person {
                person += 1;
                pair += 1;
                last_person.clear();
                last_person.push_str(id);
                last_period.clear();
                last_period.push_str(period);
            } else if period != last_period {
                pair += 1;
                last_period.clear();
                last_period.push_str(period);
            }
            let regular = kind == LineKind::Regular.label();
            all[0].add(person, pair, amount, regular);
            match LineKind::from_label(kind) {
                Some(LineKind::Regular) => all[1].add(person, pair, amount, true),
                Some(LineKind::Arrears) => all[2].add(person, pair, amount, true),
                Some(LineKind::Funeral) => all[3].add(person, pair, amount, true),
                None => {
                    return Err(err(rusqlite::Error::FromSqlConversionFailure(
                        2,
                        Type::Text,
                        format!("未知的明细类型“{kind}”").into(),
                    )));
                }
            }
            for (i, map) in named.iter_mut().enumerate() {
                let key = text(3 + i)?;
                match map.get_mut(key) {
                    Some(run) => run.add(person, pair, amount, regular),
                    None => {
                        let mut run = Run::default();
                        run.add(person, pair, amount, regular);
                        map.insert(key.to_string(), run);
                    }
                }
            }
            let month = months.entry(text(6)?.to_string()).or_default();
            month.lines += 1;
            month.amount_fen += amount;
        }
        let [totals, regular, arrears, funeral] = all.map(|r| r.counts);
        let [by_category, by_item, by_town] = named.map(|m| m.into_iter().map(|(k, r)| (k, r.counts)).collect());
        let by_month = months
            .into_iter()
            .map(|(k, c)| Ok((parse_text(6, &k, |s| s.parse::<YearMonth>()).map_err(err)?, c)))
            .collect::<Result<_, LedgerError>>()?;
        Ok(PeriodCounts { totals, regular, arrears, funeral, by_category, by_item, by_town, by_month })
    }

    fn query_lines(&self, tail: &str, args: &[&String]) -> Result<Vec<PaidLine>, LedgerError> {
        let sql = format!("{LINE_SELECT} {tail}");
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), line_from_row).map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }
}

/// A group's counts while the lines stream by in (person, period) order: a person or a (person, period) pair is
/// new to the group when its ordinal differs from the last one the group saw.
#[derive(Default)]
struct Run {
    counts: LineCounts,
    last_person: u64,
    last_pair: u64,
}

impl Run {
    fn add(&mut self, person: u64, pair: u64, amount_fen: i64, counts_times: bool) {
        self.counts.lines += 1;
        self.counts.amount_fen += amount_fen;
        if self.last_person != person {
            self.last_person = person;
            self.counts.persons += 1;
        }
        if counts_times && self.last_pair != pair {
            self.last_pair = pair;
            self.counts.person_times += 1;
        }
    }
}

fn committed_batch(conn: &Connection, path: &Path, month: YearMonth) -> Result<Option<BatchInfo>, LedgerError> {
    query_batch(conn, path, "WHERE b.month = ?1 AND b.status = 'committed'", month)
}

fn query_batch(conn: &Connection, path: &Path, tail: &str, month: YearMonth) -> Result<Option<BatchInfo>, LedgerError> {
    conn.query_row(&format!("{BATCH_SELECT} {tail}"), [month.to_string()], batch_from_row)
        .optional()
        .map_err(|e| sql_err(path, e))
}

fn batch_by_id(conn: &Connection, path: &Path, id: i64) -> Result<BatchInfo, LedgerError> {
    conn.query_row(&format!("{BATCH_SELECT} WHERE b.id = ?1"), [id], batch_from_row).map_err(|e| sql_err(path, e))
}

fn already_committed(path: &Path, done: BatchInfo) -> LedgerError {
    LedgerError::already_committed(path, done)
}

fn first_conflict(conn: &Connection, path: &Path, batch_id: i64) -> Result<Option<LedgerError>, LedgerError> {
    conn.query_row(CONFLICT_SELECT, [batch_id], |r| {
        Ok(LedgerError::AlreadyPaid {
            path: path.to_path_buf(),
            id: r.get(1)?,
            name: r.get(2)?,
            item: r.get(3)?,
            period: parse_text(4, &r.get::<_, String>(4)?, |s| s.parse::<YearMonth>())?,
            kind: parse_text(5, &r.get::<_, String>(5)?, parse_kind)?,
            paid_in: parse_text(6, &r.get::<_, String>(6)?, |s| s.parse::<YearMonth>())?,
        })
    })
    .optional()
    .map_err(|e| sql_err(path, e))
}

fn batch_from_row(r: &Row) -> rusqlite::Result<BatchInfo> {
    let status: String = r.get(2)?;
    Ok(BatchInfo {
        id: r.get(0)?,
        month: parse_text(1, &r.get::<_, String>(1)?, |s| s.parse::<YearMonth>())?,
        status: parse_text(2, &status, |s| match s {
            "draft" => Ok(BatchStatus::Draft),
            "committed" => Ok(BatchStatus::Committed),
            other => Err(format!("未知的批次状态“{other}”")),
        })?,
        created: r.get(3)?,
        committed_at: r.get(4)?,
        pay_date: parse_opt_date(r, 5)?,
        late_reason: r.get(6)?,
        inputs_digest: r.get(7)?,
        outputs_digest: r.get(8)?,
        tool_version: r.get(9)?,
        entitled_fen: r.get(10)?,
        shortfalls: r.get(11)?,
        lines: r.get(12)?,
        total_fen: r.get(13)?,
    })
}

fn line_from_row(r: &Row) -> rusqlite::Result<PaidLine> {
    Ok(PaidLine {
        batch_id: r.get(0)?,
        batch_month: parse_text(1, &r.get::<_, String>(1)?, |s| s.parse::<YearMonth>())?,
        id: r.get(2)?,
        name: r.get(3)?,
        category: r.get(4)?,
        town: r.get(5)?,
        item: r.get(6)?,
        period: parse_text(7, &r.get::<_, String>(7)?, |s| s.parse::<YearMonth>())?,
        kind: parse_text(8, &r.get::<_, String>(8)?, parse_kind)?,
        amount_fen: r.get(9)?,
        standard_row: r.get(10)?,
        basis: r.get(11)?,
        formula: r.get(12)?,
        pay_date: parse_opt_date(r, 13)?,
    })
}

fn parse_kind(s: &str) -> Result<LineKind, String> {
    LineKind::from_label(s).ok_or_else(|| format!("未知的明细类型“{s}”"))
}

fn parse_opt_date(r: &Row, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    r.get::<_, Option<String>>(idx)?
        .map(|s| parse_text(idx, &s, |t| NaiveDate::parse_from_str(t, "%Y-%m-%d")))
        .transpose()
}

/// Parse a stored text value; a failure is a conversion error (reported as a damaged ledger).
fn parse_text<T, E: std::fmt::Display>(
    idx: usize,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<T> {
    parse(text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, format!("“{text}”：{e}").into()))
}

/// Map a SQLite failure to what the user is told: locked → Busy; not a database / malformed → Corrupt; a
/// constraint or trigger → Rejected (in Chinese); anything else → Sqlite.
pub(super) fn sql_err(path: &Path, e: rusqlite::Error) -> LedgerError {
    let path_buf = path.to_path_buf();
    match &e {
        rusqlite::Error::SqliteFailure(failure, message) => match failure.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => LedgerError::Busy { path: path_buf },
            ErrorCode::NotADatabase => {
                LedgerError::Corrupt { path: path_buf, detail: "不是 SQLite 数据库文件".to_string() }
            }
            ErrorCode::DatabaseCorrupt => {
                LedgerError::Corrupt { path: path_buf, detail: format!("数据库内容损坏：{e}") }
            }
            ErrorCode::ConstraintViolation => {
                LedgerError::Rejected { path: path_buf, detail: constraint_detail(message.as_deref().unwrap_or("")) }
            }
            _ => LedgerError::Sqlite { path: path_buf, source: e },
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..) => {
            LedgerError::Corrupt { path: path_buf, detail: format!("台账中有无法识别的数据：{e}") }
        }
        _ => LedgerError::Sqlite { path: path_buf, source: e },
    }
}

/// SQLite's constraint messages in Chinese. Trigger messages (RAISE) are Chinese already and pass through.
fn constraint_detail(message: &str) -> String {
    let known = [
        (
            "UNIQUE constraint failed: lines.person_id, lines.item, lines.period",
            "同一人同一项目同一所属期的正常发放只能确认一次",
        ),
        (
            "UNIQUE constraint failed: lines.batch_id, lines.person_id, lines.item, lines.period",
            "同一批次中同一人同一项目同一所属期的正常发放只能有一条",
        ),
        ("UNIQUE constraint failed: lines.person_id", "同一人的丧葬补助只能确认发放一次"),
        ("UNIQUE constraint failed: lines.batch_id, lines.person_id", "同一批次中同一人的丧葬补助只能有一条"),
        ("UNIQUE constraint failed: batches.month", "同一月份只能有一个已确认发放的批次和一个草稿"),
        ("CHECK constraint failed: amount_not_negative", "明细金额不能为负数（多发的款项应列出追缴，不能以负数冲减）"),
        ("CHECK constraint failed: person_id_present", "明细缺少身份证号"),
        ("CHECK constraint failed: item_present", "明细缺少项目"),
    ];
    known
        .iter()
        .find(|(sqlite, _)| *sqlite == message)
        .map(|(_, chinese)| chinese.to_string())
        .unwrap_or_else(|| message.to_string())
}
