//! `Ledger`: opening (or creating) the ledger file, recording drafts, committing them, and the queries the
//! commands need. Every write is one `BEGIN IMMEDIATE` transaction: a crash at any point leaves the ledger as it
//! was before the command, and a second process waits (busy timeout) or gets `LedgerError::Busy`.
//!
//! Integrity check policy (`PRAGMA quick_check` reads every page it checks: seconds per GB, and a province's
//! ledger grows by ~0.4 GB a month). The whole file is checked only before applying a pending migration. `commit`
//! (the irreversible step) checks, inside its write transaction, the tables it reads — `batches`, `calcs`,
//! `draft_chunks` — so its cost follows the draft, not the years of history it appends to. `pay` and the read-only
//! commands check nothing beyond the header and `application_id`. Everywhere, SQLite reports a damaged page that a
//! statement touches as `SQLITE_CORRUPT` (→ `LedgerError::Corrupt`, the transaction rolled back, nothing written);
//! a draft is replaceable, and a damaged page in old committed lines shows up in the command that reads them.

use super::schema::{self, Found};
use super::sql::{FUNERAL_ONCE, NEGATIVE_AMOUNT, REGULAR_ONCE, constraint_detail, parse_text, sql_err};
use crate::domain::PaymentKind;
use crate::domain::month::YearMonth;
use crate::ledger::packed::PackedWriter;
use crate::ledger::{
    BatchInfo, BatchStatus, LedgerError, LineRef, NewBatch, NewReturn, PaidLine, PaidTotal, PendingReturn,
    PeriodCounts, ReturnMark, ReturnRecord, ReturnedLine, TransferRecord, TransferRef,
};
use chrono::NaiveDate;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, Statement, TransactionBehavior, params};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a command waits for another process's write to finish before giving up with `LedgerError::Busy`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Above this many lines that need their own already-paid probe (丧葬补助, or 正常 for another 所属期 than the
/// month), `save_draft` checks the whole draft in one join instead.
const MAX_PROBED_LINES: usize = if cfg!(test) { 1 } else { 10_000 };

/// Crash injection for the tests, compiled only into test builds (the cargo feature `fault-injection`, which
/// `cargo test` turns on through the dev-dependency of the package on itself, or the lib's own unit tests): when
/// this environment variable holds a number N, `save_draft` calls `std::process::abort()` right after inserting its
/// N-th line (N = 0: right after the batch row), inside the open transaction. The crash tests use it to show that a
/// killed `pay` leaves the ledger as it was. A release build does not read the variable at all.
#[cfg(any(test, feature = "fault-injection"))]
pub const TEST_ABORT_AFTER_LINES_ENV: &str = "YOUFU_TEST_ABORT_AFTER_LINES";

/// The line after which `save_draft` aborts the process (see `TEST_ABORT_AFTER_LINES_ENV`); never, outside tests.
fn abort_after_lines() -> Option<usize> {
    #[cfg(any(test, feature = "fault-injection"))]
    return std::env::var(TEST_ABORT_AFTER_LINES_ENV).ok().and_then(|v| v.trim().parse::<usize>().ok());
    #[cfg(not(any(test, feature = "fault-injection")))]
    None
}

/// A draft recorded inside an open transaction (`Ledger::begin_draft`): `finish` commits it, dropping it rolls
/// it back.
pub struct PendingDraft<'l> {
    tx: rusqlite::Transaction<'l>,
    path: PathBuf,
    info: BatchInfo,
}

impl PendingDraft<'_> {
    /// The draft as it will be recorded.
    pub fn info(&self) -> &BatchInfo {
        &self.info
    }

    /// Record the draft's bank transfers (its 代发 file, in order), in chunks of `CHUNK_LINES` (see schema version
    /// 7), so that the bank's 回盘 can later be matched to them.
    pub fn add_transfers<'t>(
        &mut self,
        transfers: impl IntoIterator<Item = TransferRef<'t>>,
    ) -> Result<(), LedgerError> {
        write_transfers(&self.tx, &self.path, self.info.id, transfers)
    }

    /// Record the digest of the files written for this draft (manifest.json's SHA-256) and commit.
    pub fn finish(self, outputs_digest: &str) -> Result<BatchInfo, LedgerError> {
        let PendingDraft { tx, path, mut info } = self;
        let err = |e| sql_err(&path, e);
        tx.execute("UPDATE batches SET outputs_digest = ?2 WHERE id = ?1", params![info.id, outputs_digest])
            .map_err(err)?;
        tx.commit().map_err(err)?;
        info.outputs_digest = outputs_digest.to_string();
        Ok(info)
    }
}

/// `PRAGMA cache_size` (negative: KiB) for `commit`, whose index inserts revisit pages: 256 MiB, allocated only as
/// pages are used.
const CACHE_SIZE: i64 = -262_144;
/// `PRAGMA cache_size` otherwise: the queries stream through a batch's pages once (a half year of a province is
/// 2.4 GB), so a larger cache would only hold pages that are not read again.
const READ_CACHE_SIZE: i64 = -16_384;
/// `PRAGMA cache_size` while a draft is recorded: 8 MiB.
const DRAFT_CACHE_SIZE: i64 = -8_192;

/// The ledger file, open. Every method takes `&self` (the contract of `LedgerStore`, which this implements in
/// `sqlite/mod.rs`): a write opens its `BEGIN IMMEDIATE` transaction with `Transaction::new_unchecked`, which
/// rusqlite allows on a shared connection. A second write started while a `PendingDraft` is still open is refused
/// by SQLite itself ("cannot start a transaction within a transaction", `LedgerError::Sqlite`), never nested.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

/// A draft's count and total are the sums of its chunks'; a committed batch's were stored by its commit (computed
/// from `lines` only for a batch committed by hand without them).
const BATCH_SELECT: &str = "SELECT b.id, b.month, b.status, b.created, b.committed_at, b.pay_date, b.late_reason,
        b.inputs_digest, b.outputs_digest, b.tool_version, b.entitled_fen, b.shortfalls,
        CASE WHEN b.status = 'draft' THEN (SELECT COALESCE(SUM(d.line_count), 0) FROM draft_chunks d
                                            WHERE d.batch_id = b.id)
             ELSE COALESCE(b.line_count, (SELECT COUNT(*) FROM lines l WHERE l.batch_id = b.id)) END,
        CASE WHEN b.status = 'draft'
             THEN (SELECT COALESCE(SUM(d.total_fen), 0) FROM draft_chunks d WHERE d.batch_id = b.id)
             ELSE COALESCE(b.total_fen, (SELECT COALESCE(SUM(l.amount_fen), 0) FROM lines l WHERE l.batch_id = b.id))
        END
   FROM batches b";

/// With each line its 退回 (if the bank returned it) and the month of the batch that re-issued it (if any).
const LINE_SELECT: &str = "SELECT l.batch_id, b.month, l.person_id, l.name, l.category, l.town, l.item, l.period,
        l.kind, l.amount_fen, c.standard_row, c.basis, c.formula, b.pay_date, l.id, l.reissue_of,
        r.status, r.reason, r.recorded_at,
        (SELECT rb.month FROM lines rl2 JOIN batches rb ON rb.id = rl2.batch_id WHERE rl2.reissue_of = l.id)
   FROM lines l JOIN batches b ON b.id = l.batch_id JOIN calcs c ON c.id = l.calc_id
   LEFT JOIN returned_lines rl ON rl.line_id = l.id LEFT JOIN bank_returns r ON r.id = rl.return_id
  WHERE b.status = 'committed'";

/// Every 所属期 that has committed lines, one index seek each (a skip scan of `lines_by_period`), so that one
/// person's lines are found by (period, person) seeks instead of reading every line.
const PERIODS_CTE: &str = "WITH RECURSIVE periods(p) AS (
     SELECT MIN(period) FROM lines
     UNION ALL
     SELECT (SELECT MIN(period) FROM lines WHERE period > p) FROM periods WHERE p IS NOT NULL)";

/// The first line of draft `?1` that a committed batch already paid: a 正常 line of the same (所属期, person,
/// item) or a 丧葬补助 of the same person. The kinds are literals so that SQLite looks each line up in the partial
/// UNIQUE indexes `lines_regular_once` / `lines_funeral_once`. Lines of the draft itself that a failed `commit`
/// already moved into `lines` are not "paid" (`c.batch_id <> d.batch_id`). Reads the draft through the
/// `draft_lines` view (JSON, slow at a province's scale): only when a refusal has to be explained, or when a draft
/// has too many lines to probe one by one (`PAID_REGULAR`, `PAID_FUNERAL`).
const CONFLICT_SELECT: &str = "SELECT line_no, person_id, name, item, period, kind, month FROM (
     SELECT d.line_no, d.person_id, d.name, d.item, d.period, d.kind, b.month
       FROM draft_lines d
       JOIN lines c ON c.kind = '正常' AND c.period = d.period AND c.person_id = d.person_id AND c.item = d.item
                   AND c.batch_id <> d.batch_id
       JOIN batches b ON b.id = c.batch_id
      WHERE d.batch_id = ?1 AND d.kind = '正常'
     UNION ALL
     SELECT d.line_no, d.person_id, d.name, d.item, d.period, d.kind, b.month
       FROM draft_lines d
       JOIN lines c ON c.kind = '丧葬补助' AND c.person_id = d.person_id AND c.batch_id <> d.batch_id
       JOIN batches b ON b.id = c.batch_id
      WHERE d.batch_id = ?1 AND d.kind = '丧葬补助')
  ORDER BY line_no
  LIMIT 1";

/// The batch month of the committed 正常 line of (所属期 ?1, person ?2, item ?3), if any (`lines_regular_once`).
const PAID_REGULAR: &str = "SELECT b.month FROM lines c JOIN batches b ON b.id = c.batch_id
  WHERE c.kind = '正常' AND c.period = ?1 AND c.person_id = ?2 AND c.item = ?3 LIMIT 1";
/// The batch month of person ?1's committed 丧葬补助, if any (`lines_funeral_once`).
const PAID_FUNERAL: &str = "SELECT b.month FROM lines c JOIN batches b ON b.id = c.batch_id
  WHERE c.kind = '丧葬补助' AND c.person_id = ?1 LIMIT 1";

/// Lines per `draft_chunks` row (≈ 0.4 MB of JSON for a province's lines; a handful under test, so that tests
/// cross chunk boundaries). The migration to version 5 groups existing drafts by 4096 too.
pub(super) const CHUNK_LINES: usize = if cfg!(test) { 3 } else { 4096 };

impl Ledger {
    /// Open or create (schema installed, migrations applied forward), for the library's tests and callers that
    /// manage their own files: the CLI never calls it (a ledger is created only by `youfu init`, through
    /// `create`; every other command uses `open_existing`). Errors: not a youfu ledger (a SQLite file with other
    /// tables / another application_id), newer schema than this build knows, not a database or damaged — each a
    /// distinct `LedgerError` with a Chinese message naming the file and what to do. Nothing is written to a file
    /// that is refused.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        Self::open_inner(path, true)
    }

    /// Open only if it exists and is a youfu ledger: a missing file → `LedgerError::Missing`; a zero-length file
    /// or an empty database → `NotLedger` (it is not adopted: only `create` installs the schema, so a stray empty
    /// file named by `--ledger` is never silently made a new ledger). Like `open`, runs the whole-file integrity
    /// check only when a migration is pending; damage otherwise shows as `Corrupt` when read (and `commit` checks
    /// the whole file itself).
    pub fn open_existing(path: &Path) -> Result<Ledger, LedgerError> {
        Self::open_inner(path, false)
    }

    /// Create a new ledger at `path`, which must not exist (`LedgerError::Exists` otherwise). The schema is
    /// installed in a temporary file beside `path`, which is then moved into place without replacing anything
    /// that appeared meanwhile: a failure at any point leaves no file at `path`, and of two processes creating
    /// the same ledger one succeeds and the other gets `Exists`. For `youfu init` (and tests).
    pub fn create(path: &Path) -> Result<Ledger, LedgerError> {
        let io = |source| LedgerError::Io { path: path.to_path_buf(), source };
        match std::fs::symlink_metadata(path) {
            Ok(_) => return Err(LedgerError::Exists { path: path.to_path_buf() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new().prefix(".youfu-new-ledger-").suffix(".db").tempfile_in(dir).map_err(
            |e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    io(std::io::Error::other(format!("文件夹 {} 不存在，请先建立该文件夹", dir.display())))
                }
                _ => io(e),
            },
        )?;
        // The temporary file is empty: `open_inner` adopts it as a fresh database and installs the schema. The
        // connection is closed before the move (no journal is left beside the temporary name).
        drop(Self::open_inner(tmp.path(), true).map_err(|e| e.at(path))?);
        tmp.persist_noclobber(path).map_err(|e| match e.error.kind() {
            std::io::ErrorKind::AlreadyExists => LedgerError::Exists { path: path.to_path_buf() },
            _ => io(e.error),
        })?;
        Self::open_existing(path)
    }

    fn open_inner(path: &Path, create: bool) -> Result<Ledger, LedgerError> {
        let existed = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(LedgerError::NotLedger {
                    path: path.to_path_buf(), detail: "这是一个文件夹".to_string()
                });
            }
            Ok(meta) if meta.len() == 0 && !create => {
                return Err(LedgerError::NotLedger {
                    path: path.to_path_buf(),
                    detail: "文件是空的（0 字节）".to_string(),
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
        // reads the whole file, so it runs here only before a pending migration (see the module header: `commit`
        // runs it too); elsewhere a damaged page surfaces as `Corrupt` from the statement that reads it.
        match schema::inspect(&conn, path)? {
            Found::Ledger { version } if version < schema::SCHEMA_VERSION => schema::check_integrity(&conn, path)?,
            Found::Ledger { .. } => {}
            Found::Fresh if !create => {
                return Err(LedgerError::NotLedger {
                    path: path.to_path_buf(),
                    detail: "这是一个空的数据库，没有台账的数据表".to_string(),
                });
            }
            Found::Fresh => {}
        }
        conn.pragma_update(None, "foreign_keys", true).map_err(err)?;
        // Page cache: large while a migration rebuilds tables and indexes, small for the streaming queries; each
        // write sets its own (`begin_draft`, `commit`).
        conn.pragma_update(None, "cache_size", CACHE_SIZE).map_err(err)?;
        schema::migrate(&mut conn, path)?;
        conn.pragma_update(None, "cache_size", READ_CACHE_SIZE).map_err(err)?;
        Ok(Ledger { conn, path: path.to_path_buf() })
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Change how long a write waits for another process (default `BUSY_TIMEOUT`).
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<(), LedgerError> {
        self.conn.busy_timeout(timeout).map_err(|e| sql_err(&self.path, e))
    }

    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Record a draft for `batch.month` with `lines` (streamed: borrowed, never collected), replacing an earlier
    /// draft of that month, in ONE transaction. Refused when the month is committed (`AlreadyCommitted`, saying
    /// when and with what total) or when a line pays again what a committed batch paid (`AlreadyPaid`: a 正常 line
    /// of the same person, 项目 and 所属期, or a second 丧葬补助). A draft is not checked for duplicates within
    /// itself (a draft is a few hundred chunks of JSON text, `draft_chunks`, not indexed rows); `commit` refuses those.
    ///
    /// The already-paid check probes only the lines that can conflict: a 正常 line of the month's own 所属期
    /// can only meet a committed 正常 line of that 所属期, and there is none unless one exists at all (one
    /// `EXISTS`); the 丧葬补助 lines and 正常 lines of other periods are few and looked up one by one.
    pub fn save_draft<'a>(
        &self,
        batch: &NewBatch,
        lines: impl IntoIterator<Item = LineRef<'a>>,
    ) -> Result<BatchInfo, LedgerError> {
        let digest = batch.outputs_digest.clone();
        self.begin_draft(batch, lines)?.finish(&digest)
    }

    /// `save_draft` in two steps, so the lines can be recorded while the output files are still being written:
    /// everything is inserted and checked inside an open transaction; `PendingDraft::finish` sets the outputs'
    /// digest (known once the files are complete) and commits. Dropping the `PendingDraft` instead rolls the
    /// whole draft back: the ledger is as before.
    pub fn begin_draft<'a>(
        &self,
        batch: &NewBatch,
        lines: impl IntoIterator<Item = LineRef<'a>>,
    ) -> Result<PendingDraft<'_>, LedgerError> {
        let abort_after = abort_after_lines();
        let path = self.path.clone();
        let err = |e| sql_err(&path, e);
        // Draft lines are appended in order: full pages can go to the file as they fill (pages past the end of the
        // file need no journal), so a draft needs a small cache — the large one is for `commit`'s index inserts.
        self.conn.pragma_update(None, "cache_size", DRAFT_CACHE_SIZE).map_err(err)?;
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(err)?;
        let info = draft_in(&tx, &path, batch, lines, abort_after)?;
        Ok(PendingDraft { tx, path, info })
    }

    /// Mark the month's draft committed with a pay date (and an optional late reason). Refused when there is no
    /// draft (`NoDraft`), when already committed (`AlreadyCommitted`), when `inputs_digest` differs from the
    /// draft's (`InputsChanged`), or when a line was paid meanwhile (`AlreadyPaid`). One transaction.
    pub fn commit(
        &self,
        month: YearMonth,
        pay_date: NaiveDate,
        committed_at: &str,
        inputs_digest: &str,
        late_reason: Option<&str>,
    ) -> Result<BatchInfo, LedgerError> {
        let path = self.path.clone();
        let err = |e| sql_err(&path, e);
        self.conn.pragma_update(None, "cache_size", CACHE_SIZE).map_err(err)?;
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(err)?;
        let info = commit_in(&tx, &path, month, pay_date, committed_at, inputs_digest, late_reason)?;
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
            "AND l.period BETWEEN ?1 AND ?2 ORDER BY l.person_id, l.item, l.period, b.month, l.line_no",
            &[&from.to_string(), &to.to_string()],
        )
    }

    /// Committed lines of one batch month (the month the batch was paid in), any period, in batch order.
    pub fn batch_lines(&self, month: YearMonth) -> Result<Vec<PaidLine>, LedgerError> {
        self.query_lines("AND b.month = ?1 ORDER BY l.line_no", &[&month.to_string()])
    }

    /// Committed lines for one person (history), or for one person and one period (explain). Ordered by period,
    /// item, then the batch that paid them.
    pub fn lines_for(&self, id: &str, period: Option<YearMonth>) -> Result<Vec<PaidLine>, LedgerError> {
        match period {
            None => self.query_lines_with(
                PERIODS_CTE,
                "AND l.period IN (SELECT p FROM periods) AND l.person_id = ?1
                 ORDER BY l.period, l.item, b.month, l.line_no",
                &[&id.to_string()],
            ),
            Some(p) => self.query_lines(
                "AND l.period = ?2 AND l.person_id = ?1 ORDER BY l.item, b.month, l.line_no",
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
    ///
    /// What the bank returned is included, and 重发 lines are not: arrears compare the entitlement with what was
    /// sent, because a returned line is made good by its own 重发 (`returns_pending`), never also by a 补发.
    ///
    /// A line's 所属期 is never later than its batch's month, so the lines wanted are in the committed batches of
    /// `from` or later; each is read by its rowid range in page order (as `period_counts`), which for a province's
    /// year is several times faster than looking every line up through the 所属期 index.
    pub fn for_each_paid(
        &self,
        from: YearMonth,
        to: YearMonth,
        mut each: impl FnMut(&str, &str, YearMonth, i64),
    ) -> Result<(), LedgerError> {
        let batches = super::counts::committed_batches(&self.conn, &self.path, from, None)?;
        paid_lines(&self.conn, &self.path, &batches, from, to, &mut each)
    }

    /// `for_each_paid` on two threads and connections: the batches split in two halves of about equal line counts
    /// (as `period_counts`), `first` given the lines of one half on this thread, `second` those of the other.
    pub fn for_each_paid_split(
        &self,
        from: YearMonth,
        to: YearMonth,
        mut first: impl FnMut(&str, &str, YearMonth, i64),
        mut second: impl FnMut(&str, &str, YearMonth, i64) + Send,
    ) -> Result<(), LedgerError> {
        let (mine, theirs) =
            crate::ledger::tally::split(super::counts::committed_batches(&self.conn, &self.path, from, None)?);
        if theirs.is_empty() {
            return paid_lines(&self.conn, &self.path, &mine, from, to, &mut first);
        }
        let path = self.path.as_path();
        let (done, other) = crate::parallel::alongside(
            || paid_lines(&self.conn, path, &mine, from, to, &mut first),
            || paid_lines(&open_reader(path)?, path, &theirs, from, to, &mut second),
        );
        done.and(other)
    }

    /// How many lines the committed batches of `from` or later hold (an upper bound for `for_each_paid`).
    pub fn committed_lines_since(&self, from: YearMonth) -> Result<u64, LedgerError> {
        self.conn
            .query_row(
                "SELECT COALESCE(SUM(line_count), 0) FROM batches WHERE status = 'committed' AND month >= ?1",
                [from.to_string()],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| sql_err(&self.path, e))
    }

    /// 身份证号 of everyone whose 丧葬补助 is committed (one query instead of `funeral_paid` per person).
    pub fn funeral_paid_ids(&self) -> Result<std::collections::HashSet<String>, LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self.conn.prepare("SELECT person_id FROM lines WHERE kind = '丧葬补助'").map_err(err)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Count the committed lines whose batch month lies in [from, to] per group (see `PeriodCounts` and the
    /// `counts` module): one sequential pass, on two connections (one per core) when there are two batches or more.
    pub fn period_counts(&self, from: YearMonth, to: YearMonth) -> Result<PeriodCounts, LedgerError> {
        let path = self.path.as_path();
        super::counts::period_counts(&self.conn, path, from, to, || open_reader(path))
    }

    /// The bank transfers recorded with the month's committed batch (its 代发 file), in 序号 order, and the batch
    /// id. `None` when the month has no committed batch.
    pub fn transfers(&self, month: YearMonth) -> Result<Option<(i64, Vec<TransferRecord>)>, LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let Some(batch) = committed_batch(&self.conn, &self.path, month)? else { return Ok(None) };
        let mut stmt = self.conn.prepare("SELECT data FROM transfers WHERE batch_id = ?1 ORDER BY seq").map_err(err)?;
        let mut rows = stmt.query([batch.id]).map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let text: String = row.get(0).map_err(err)?;
            let chunk: Vec<(u32, i64, i64, i64, String, String)> =
                serde_json::from_str(&text).map_err(|e| LedgerError::Corrupt {
                    path: self.path.clone(),
                    detail: format!("{month} 批次的代发记录无法读取（{e}）"),
                })?;
            out.extend(chunk.into_iter().map(|(no, first_line, lines, amount_fen, id, account)| TransferRecord {
                no,
                first_line,
                lines,
                amount_fen,
                id,
                account,
            }));
        }
        Ok(Some((batch.id, out)))
    }

    /// The committed lines of batch `batch_id` whose place in the draft (`line_no`) is in `[first, first + n)`,
    /// with their ledger ids, for the transfers in `spans` (each `(first, n)`), in that order. One pass over the
    /// batch's line numbers (no index leads with them), then each wanted line by its id.
    pub fn transfer_lines(&self, batch_id: i64, spans: &[(i64, i64)]) -> Result<Vec<Vec<PaidLine>>, LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let mut wanted: rustc_hash::FxHashMap<i64, (usize, i64)> = Default::default();
        for (k, &(first, n)) in spans.iter().enumerate() {
            for line_no in first..first + n {
                wanted.insert(line_no, (k, 0));
            }
        }
        {
            let mut stmt = self.conn.prepare("SELECT line_no, id FROM lines WHERE batch_id = ?1").map_err(err)?;
            let mut rows = stmt.query([batch_id]).map_err(err)?;
            while let Some(r) = rows.next().map_err(err)? {
                if let Some(w) = wanted.get_mut(&r.get::<_, i64>(0).map_err(err)?) {
                    w.1 = r.get(1).map_err(err)?;
                }
            }
        }
        let mut ordered: Vec<(i64, usize, i64)> = wanted.into_iter().map(|(no, (k, id))| (no, k, id)).collect();
        ordered.sort_unstable();
        let mut out: Vec<Vec<PaidLine>> = vec![Vec::new(); spans.len()];
        for (_, k, id) in ordered {
            out[k].extend(self.query_lines("AND l.id = ?1", &[&id.to_string()])?);
        }
        Ok(out)
    }

    /// Record 退回 events of the committed batch `batch_id` of `month` (one transaction): each event and the
    /// ledger ids of its lines. Returns how many were recorded.
    pub fn record_returns(
        &self,
        batch_id: i64,
        month: YearMonth,
        recorded_at: &str,
        events: &[(NewReturn, Vec<i64>)],
    ) -> Result<usize, LedgerError> {
        let path = self.path.clone();
        let err = |e| sql_err(&path, e);
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(err)?;
        insert_returns(&tx, &path, batch_id, month, recorded_at, events)?;
        tx.commit().map_err(err)?;
        Ok(events.len())
    }

    /// The 退回 events recorded for batch months in [from, to], by month then 序号, with their lines and any 重发.
    pub fn returns(&self, from: YearMonth, to: YearMonth) -> Result<Vec<ReturnRecord>, LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, month, transfer_no, person_id, name, account, amount_fen, status, reason, file_name,
                        file_sha256, file_row, recorded_at
                   FROM bank_returns WHERE month BETWEEN ?1 AND ?2 ORDER BY month, transfer_no",
            )
            .map_err(err)?;
        let heads: Vec<(i64, ReturnRecord)> = stmt
            .query_map([from.to_string(), to.to_string()], |r| {
                Ok((
                    r.get(0)?,
                    ReturnRecord {
                        month: parse_text(1, &r.get::<_, String>(1)?, |s| s.parse::<YearMonth>())?,
                        event: NewReturn {
                            transfer_no: r.get(2)?,
                            id: r.get(3)?,
                            name: r.get(4)?,
                            account: r.get(5)?,
                            amount_fen: r.get(6)?,
                            status: r.get(7)?,
                            reason: r.get(8)?,
                            file_name: r.get(9)?,
                            file_sha256: r.get(10)?,
                            file_row: r.get(11)?,
                        },
                        recorded_at: r.get(12)?,
                        lines: Vec::new(),
                    },
                ))
            })
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        let mut lines = self
            .conn
            .prepare(
                "SELECT l.id, l.item, l.period, l.kind, l.amount_fen, rb.month, rb.pay_date
                   FROM returned_lines x JOIN lines l ON l.id = x.line_id
                   LEFT JOIN lines re ON re.reissue_of = l.id LEFT JOIN batches rb ON rb.id = re.batch_id
                  WHERE x.return_id = ?1 ORDER BY l.line_no",
            )
            .map_err(err)?;
        let mut out = Vec::with_capacity(heads.len());
        for (id, mut rec) in heads {
            rec.lines = lines
                .query_map([id], |r| {
                    let reissued_in = match r.get::<_, Option<String>>(5)? {
                        Some(m) => Some((parse_text(5, &m, |s| s.parse::<YearMonth>())?, parse_opt_date(r, 6)?)),
                        None => None,
                    };
                    Ok(ReturnedLine {
                        line_id: r.get(0)?,
                        item: r.get(1)?,
                        period: parse_text(2, &r.get::<_, String>(2)?, |s| s.parse::<YearMonth>())?,
                        kind: parse_text(3, &r.get::<_, String>(3)?, parse_kind)?,
                        amount_fen: r.get(4)?,
                        reissued_in,
                    })
                })
                .map_err(err)?
                .collect::<Result<_, _>>()
                .map_err(err)?;
            out.push(rec);
        }
        Ok(out)
    }

    /// Per batch month with 退回: (transfers returned, their 分, of which not yet re-issued in 分).
    pub fn returned_by_month(&self) -> Result<std::collections::BTreeMap<YearMonth, (i64, i64, i64)>, LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.month, COUNT(*), SUM(r.amount_fen),
                        (SELECT COALESCE(SUM(l.amount_fen), 0) FROM returned_lines x JOIN lines l ON l.id = x.line_id
                          JOIN bank_returns r2 ON r2.id = x.return_id
                          WHERE r2.month = r.month AND NOT EXISTS (SELECT 1 FROM lines re WHERE re.reissue_of = l.id))
                   FROM bank_returns r GROUP BY r.month ORDER BY r.month",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    parse_text(0, &r.get::<_, String>(0)?, |s| s.parse::<YearMonth>())?,
                    (r.get(1)?, r.get(2)?, r.get(3)?),
                ))
            })
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Every returned line that no committed 重发 has sent again, by batch month, person and line.
    pub fn returns_pending(&self) -> Result<Vec<PendingReturn>, LedgerError> {
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.id, l.person_id, l.item, l.period, l.kind, l.amount_fen, b.month, r.account, r.status,
                        r.reason, COALESCE(b.pay_date, r.recorded_at), c.basis, c.standard_row
                   FROM returned_lines x JOIN lines l ON l.id = x.line_id JOIN bank_returns r ON r.id = x.return_id
                   JOIN batches b ON b.id = l.batch_id JOIN calcs c ON c.id = l.calc_id
                  WHERE NOT EXISTS (SELECT 1 FROM lines re WHERE re.reissue_of = l.id)
                  ORDER BY b.month, l.person_id, l.line_no",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(PendingReturn {
                    line_id: r.get(0)?,
                    id: r.get(1)?,
                    item: r.get(2)?,
                    period: parse_text(3, &r.get::<_, String>(3)?, |s| s.parse::<YearMonth>())?,
                    kind: parse_text(4, &r.get::<_, String>(4)?, parse_kind)?,
                    amount_fen: r.get(5)?,
                    batch_month: parse_text(6, &r.get::<_, String>(6)?, |s| s.parse::<YearMonth>())?,
                    account: r.get(7)?,
                    status: r.get(8)?,
                    reason: r.get(9)?,
                    recorded_at: r.get(10)?,
                    basis: r.get(11)?,
                    standard_row: r.get(12)?,
                })
            })
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    fn query_lines(&self, tail: &str, args: &[&String]) -> Result<Vec<PaidLine>, LedgerError> {
        self.query_lines_with("", tail, args)
    }

    fn query_lines_with(&self, head: &str, tail: &str, args: &[&String]) -> Result<Vec<PaidLine>, LedgerError> {
        let sql = format!("{head} {LINE_SELECT} {tail}");
        let err = |e| sql_err(&self.path, e);
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), line_from_row).map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }
}

/// A second, read-only connection to the ledger for a query split over two threads. Committed batches never
/// change, so what it reads of them is what the first connection would read.
fn open_reader(path: &Path) -> Result<Connection, LedgerError> {
    let err = |e| sql_err(path, e);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    conn.pragma_update(None, "cache_size", READ_CACHE_SIZE).map_err(err)?;
    Ok(conn)
}

/// The 正常 and 补发 lines of `batches` whose 所属期 is in [from, to], to `each` (see `Ledger::for_each_paid`).
fn paid_lines(
    conn: &Connection,
    path: &Path,
    batches: &[crate::ledger::tally::BatchRef],
    from: YearMonth,
    to: YearMonth,
    each: &mut dyn FnMut(&str, &str, YearMonth, i64),
) -> Result<(), LedgerError> {
    let err = |e| sql_err(path, e);
    let (from_text, to_text) = (from.to_string(), to.to_string());
    let mut span = conn.prepare(super::counts::PERIOD_COUNTS_SPAN).map_err(err)?;
    let mut scan = conn
        .prepare(
            "SELECT person_id, item, period, kind, amount_fen FROM lines
              WHERE id BETWEEN ?1 AND ?2 AND +batch_id = ?3",
        )
        .map_err(err)?;
    // The last 所属期 text seen and its value: a batch's lines come grouped by 所属期.
    let mut last: Option<(String, YearMonth)> = None;
    for batch in batches {
        let (first, end): (Option<i64>, Option<i64>) =
            span.query_row([batch.id], |r| Ok((r.get(0)?, r.get(1)?))).map_err(err)?;
        let (Some(first), Some(end)) = (first, end) else { continue };
        let mut rows = scan.query([first, end, batch.id]).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let text = |i: usize| -> Result<&str, LedgerError> {
                r.get_ref(i).and_then(|v| v.as_str().map_err(Into::into)).map_err(err)
            };
            let period = text(2)?;
            // "YYYY-MM" texts order as the months do.
            // 丧葬补助 is its own sum; a 重发 re-sends a returned line, which arrears count as sent (see
            // `Ledger::for_each_paid`).
            let kind = text(3)?;
            if period < from_text.as_str()
                || period > to_text.as_str()
                || kind == PaymentKind::Funeral.label()
                || kind == PaymentKind::Reissue.label()
            {
                continue;
            }
            let month = match &last {
                Some((t, m)) if t == period => *m,
                _ => {
                    let m = parse_text(2, period, |s| s.parse::<YearMonth>()).map_err(err)?;
                    last = Some((period.to_string(), m));
                    m
                }
            };
            each(text(0)?, text(1)?, month, r.get(4).map_err(err)?);
        }
    }
    Ok(())
}

/// Record draft `batch_id`'s bank transfers (its 代发 file, in order), in chunks of `CHUNK_LINES` (see schema
/// version 7), inside the caller's transaction.
pub(super) fn write_transfers<'t>(
    conn: &Connection,
    path: &Path,
    batch_id: i64,
    transfers: impl IntoIterator<Item = TransferRef<'t>>,
) -> Result<(), LedgerError> {
    let err = |e| sql_err(path, e);
    let mut insert =
        conn.prepare("INSERT INTO transfers (batch_id, seq, transfers, data) VALUES (?1, ?2, ?3, ?4)").map_err(err)?;
    let (mut seq, mut n, mut text) = (0i64, 0usize, String::new());
    for t in transfers {
        text.push_str(if n == 0 { "[\n" } else { ",\n" });
        text.push_str(
            &serde_json::to_string(&(t.no, t.first_line, t.lines, t.amount_fen, t.id, t.account)).expect("plain data"),
        );
        n += 1;
        if n == CHUNK_LINES {
            text.push_str("\n]");
            insert.execute(params![batch_id, seq, n as i64, text]).map_err(err)?;
            (seq, n) = (seq + 1, 0);
            text.clear();
        }
    }
    if n > 0 {
        text.push_str("\n]");
        insert.execute(params![batch_id, seq, n as i64, text]).map_err(err)?;
    }
    Ok(())
}

/// `begin_draft`'s work inside the caller's transaction `tx`: the draft batch and its lines written and checked
/// (see `Ledger::save_draft`); the draft as recorded.
pub(super) fn draft_in<'a>(
    tx: &Connection,
    path: &Path,
    batch: &NewBatch,
    lines: impl IntoIterator<Item = LineRef<'a>>,
    abort_after: Option<usize>,
) -> Result<BatchInfo, LedgerError> {
    let path = path.to_path_buf();
    let err = |e| sql_err(&path, e);
    if let Some(done) = committed_batch(tx, &path, batch.month)? {
        return Err(already_committed(&path, done));
    }
    let month = batch.month.to_string();
    let old_draft: Option<i64> = tx
        .query_row("SELECT id FROM batches WHERE month = ?1 AND status = 'draft'", [&month], |r| r.get(0))
        .optional()
        .map_err(err)?;
    if let Some(old) = old_draft {
        delete_draft(tx, old).map_err(err)?;
        tx.execute("DELETE FROM transfers WHERE batch_id = ?1", [old]).map_err(err)?;
    }
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
    let regular_paid_this_period: bool = tx
        .query_row("SELECT EXISTS (SELECT 1 FROM lines WHERE period = ?1 AND kind = '正常')", [&month], |r| r.get(0))
        .map_err(err)?;
    // Lines that need their own already-paid probe, unless there are too many (then one join at the end).
    let mut probes: Option<Vec<Probe>> = Some(Vec::new());
    let mut chunks = ChunkWriter::new(tx, batch_id, Writeback::new(&path)).map_err(err)?;
    {
        let mut calcs = Calcs::new(tx).map_err(err)?;
        let mut reissue = tx
            .prepare("INSERT INTO draft_reissues (batch_id, line_no, reissue_of) VALUES (?1, ?2, ?3)")
            .map_err(err)?;
        for (line_no, line) in lines.into_iter().enumerate() {
            if line.amount_fen < 0 {
                return Err(LedgerError::Rejected { path: path.clone(), detail: constraint_detail(NEGATIVE_AMOUNT) });
            }
            let calc_id = calcs.id(&line).map_err(err)?;
            chunks.push(line_no, &line, calc_id).map_err(err)?;
            if let Some(of) = line.reissue_of {
                reissue.execute(params![batch_id, line_no as i64, of]).map_err(err)?;
            }
            let may_conflict = match line.kind {
                PaymentKind::Regular => regular_paid_this_period || line.period != batch.month,
                PaymentKind::Funeral => true,
                PaymentKind::Arrears | PaymentKind::Reissue => false,
            };
            if may_conflict && let Some(list) = probes.as_mut() {
                if list.len() < MAX_PROBED_LINES {
                    list.push(Probe::of(line_no, &line));
                } else {
                    probes = None;
                }
            }
            if abort_after == Some(line_no + 1) {
                chunks.flush().map_err(err)?;
                std::process::abort();
            }
        }
    }
    chunks.flush().map_err(err)?;
    let (count, total_fen) = (chunks.lines, chunks.total_fen);
    drop(chunks);
    let conflict = match probes {
        Some(mut list) => {
            list.sort_by_key(|p| p.line_no);
            let mut found = None;
            for probe in list {
                found = probe.paid(tx, &path)?;
                if found.is_some() {
                    break;
                }
            }
            found
        }
        None => first_conflict(tx, &path, batch_id)?,
    };
    if let Some(conflict) = conflict {
        return Err(conflict);
    }
    let info = BatchInfo {
        id: batch_id,
        month: batch.month,
        status: BatchStatus::Draft,
        created: batch.created.clone(),
        committed_at: None,
        pay_date: None,
        late_reason: None,
        inputs_digest: batch.inputs_digest.clone(),
        outputs_digest: batch.outputs_digest.clone(),
        tool_version: batch.tool_version.clone(),
        entitled_fen: Some(batch.entitled_fen),
        shortfalls: batch.shortfalls.clone(),
        lines: count,
        total_fen,
    };
    Ok(info)
}

/// `commit`'s work inside the caller's transaction `tx` (see `Ledger::commit`); the batch as committed.
pub(super) fn commit_in(
    tx: &Connection,
    path: &Path,
    month: YearMonth,
    pay_date: NaiveDate,
    committed_at: &str,
    inputs_digest: &str,
    late_reason: Option<&str>,
) -> Result<BatchInfo, LedgerError> {
    let path = path.to_path_buf();
    let err = |e| sql_err(&path, e);
    // Under the write lock: the commit is the step that cannot be taken back.
    schema::check_commit_inputs(tx, &path)?;
    if let Some(done) = committed_batch(tx, &path, month)? {
        return Err(already_committed(&path, done));
    }
    let draft = query_batch(tx, &path, "WHERE b.month = ?1 AND b.status = 'draft'", month)?
        .ok_or_else(|| LedgerError::NoDraft { path: path.clone(), month })?;
    if draft.inputs_digest != inputs_digest {
        return Err(LedgerError::InputsChanged {
            path: path.clone(),
            month,
            draft_digest: draft.inputs_digest,
            current_digest: inputs_digest.to_string(),
        });
    }
    // A line paid meanwhile (or twice in the draft) fails a UNIQUE index; the exact join then names it.
    let packed = match move_draft(tx, &path, draft.id)? {
        Ok(packed) => packed,
        Err(e) => {
            if let Some(conflict) = first_conflict(tx, &path, draft.id)? {
                return Err(conflict);
            }
            return Err(within_draft(sql_err(&path, e)));
        }
    };
    delete_draft(tx, draft.id).map_err(err)?;
    tx.execute(
        "UPDATE batches SET status = 'committed', committed_at = ?2, pay_date = ?3, late_reason = ?4,
                            line_count = ?5, total_fen = ?6
          WHERE id = ?1",
        params![draft.id, committed_at, pay_date.to_string(), late_reason, draft.lines, draft.total_fen],
    )
    .map_err(err)?;
    if let Some(data) = packed {
        tx.execute(
            "INSERT INTO packed_lines (batch_id, line_count, total_fen, data) VALUES (?1, ?2, ?3, ?4)",
            params![draft.id, draft.lines, draft.total_fen, data],
        )
        .map_err(err)?;
    }
    batch_by_id(tx, &path, draft.id)
}

/// `record_returns`' work inside the caller's transaction.
pub(super) fn insert_returns(
    conn: &Connection,
    path: &Path,
    batch_id: i64,
    month: YearMonth,
    recorded_at: &str,
    events: &[(NewReturn, Vec<i64>)],
) -> Result<(), LedgerError> {
    let err = |e| sql_err(path, e);
    for (e, lines) in events {
        conn.execute(
            "INSERT INTO bank_returns (batch_id, month, transfer_no, person_id, name, account, amount_fen,
                                   status, reason, file_name, file_sha256, file_row, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                batch_id,
                month.to_string(),
                e.transfer_no,
                e.id,
                e.name,
                e.account,
                e.amount_fen,
                e.status,
                e.reason,
                e.file_name,
                e.file_sha256,
                e.file_row,
                recorded_at
            ],
        )
        .map_err(err)?;
        let rid = conn.last_insert_rowid();
        for line in lines {
            conn.execute("INSERT INTO returned_lines (line_id, return_id) VALUES (?1, ?2)", params![line, rid])
                .map_err(err)?;
        }
    }
    Ok(())
}

pub(super) fn committed_batch(
    conn: &Connection,
    path: &Path,
    month: YearMonth,
) -> Result<Option<BatchInfo>, LedgerError> {
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

/// Delete the chunks of draft `id`.
fn delete_draft(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM draft_reissues WHERE batch_id = ?1", [id])?;
    conn.execute("DELETE FROM draft_chunks WHERE batch_id = ?1", [id]).map(|_| ())
}

/// The first line of draft `batch_id` already paid by a committed batch (the exact join, see `CONFLICT_SELECT`).
fn first_conflict(conn: &Connection, path: &Path, batch_id: i64) -> Result<Option<LedgerError>, LedgerError> {
    let mut stmt = conn.prepare_cached(CONFLICT_SELECT).map_err(|e| sql_err(path, e))?;
    stmt.query_row([batch_id], conflict_from_row(path)).optional().map_err(|e| sql_err(path, e))
}

/// Writes a draft's lines into `draft_chunks`: `CHUNK_LINES` lines a row, each line a JSON array on a text line of
/// its own (see schema version 5; JSON escapes a newline inside a string, so `commit` finds the lines without
/// parsing the whole chunk), with the chunk's count and total.
struct ChunkWriter<'c> {
    insert: Statement<'c>,
    writeback: Writeback,
    batch_id: i64,
    seq: i64,
    text: String,
    in_chunk: usize,
    chunk_fen: i64,
    /// The whole draft so far.
    lines: i64,
    total_fen: i64,
}

impl<'c> ChunkWriter<'c> {
    fn new(conn: &'c Connection, batch_id: i64, writeback: Writeback) -> rusqlite::Result<Self> {
        Ok(ChunkWriter {
            writeback,
            insert: conn.prepare(
                "INSERT INTO draft_chunks (batch_id, seq, line_count, total_fen, lines) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            batch_id,
            seq: 0,
            text: String::new(),
            in_chunk: 0,
            chunk_fen: 0,
            lines: 0,
            total_fen: 0,
        })
    }

    fn push(&mut self, line_no: usize, line: &LineRef, calc_id: i64) -> rusqlite::Result<()> {
        let t = &mut self.text;
        let mut number = itoa::Buffer::new();
        t.push_str(if self.in_chunk == 0 { "[\n[" } else { ",\n[" });
        t.push_str(number.format(line_no));
        let mut period = [0u8; 7];
        for text in [
            line.id,
            line.name,
            line.category,
            line.town,
            line.item,
            month_text(line.period, &mut period),
            line.kind.label(),
        ] {
            t.push(',');
            push_json_string(t, text);
        }
        t.push(',');
        t.push_str(number.format(line.amount_fen));
        t.push(',');
        t.push_str(number.format(calc_id));
        t.push(']');
        self.in_chunk += 1;
        self.chunk_fen += line.amount_fen;
        self.lines += 1;
        self.total_fen += line.amount_fen;
        if self.in_chunk == CHUNK_LINES { self.flush() } else { Ok(()) }
    }

    /// Write the lines pushed since the last chunk (if any) as one chunk.
    fn flush(&mut self) -> rusqlite::Result<()> {
        if self.in_chunk == 0 {
            return Ok(());
        }
        self.text.push_str("\n]");
        self.insert.execute(params![self.batch_id, self.seq, self.in_chunk as i64, self.chunk_fen, self.text])?;
        self.seq += 1;
        if self.seq % WRITEBACK_CHUNKS == 0 {
            self.writeback.nudge();
        }
        self.text.clear();
        self.in_chunk = 0;
        self.chunk_fen = 0;
        Ok(())
    }
}

/// Chunks between two nudges of `Writeback` (≈ 25 MB of a province's draft).
const WRITEBACK_CHUNKS: i64 = 64;

/// Gets the disk writing a large draft's pages while the draft is still being recorded: SQLite hands the pages to
/// the operating system as its cache fills, and without this they would all wait for the commit's `fsync` (≈ 0.4 s
/// for a province's 200 MB, with nothing else left to do). A thread of its own calls `fdatasync` on the file when
/// nudged, started by the first nudge (a county's draft never gets one). It only makes writing start earlier:
/// durability is still the commit's own `fsync` (whose errors SQLite reports), so this thread's errors are ignored,
/// and a file it cannot open is simply not helped.
struct Writeback {
    path: PathBuf,
    /// `None` until the first nudge; then the thread's channel (`None` inside if it could not be started).
    nudges: Option<Option<std::sync::mpsc::Sender<()>>>,
}

impl Writeback {
    fn new(path: &Path) -> Writeback {
        Writeback { path: path.to_path_buf(), nudges: None }
    }

    fn nudge(&mut self) {
        let path = &self.path;
        let nudges = self.nudges.get_or_insert_with(|| {
            let file = std::fs::File::open(path).ok()?;
            let (nudges, wait) = std::sync::mpsc::channel::<()>();
            std::thread::Builder::new()
                .name("ledger-writeback".into())
                .spawn(move || {
                    while wait.recv().is_ok() {
                        // Nudges that arrived during the last sync are covered by the next one.
                        while wait.try_recv().is_ok() {}
                        let _ = file.sync_data();
                    }
                })
                .ok()?;
            Some(nudges)
        });
        if let Some(n) = nudges {
            let _ = n.send(());
        }
    }
}

/// `s` as a JSON string: copied as it is unless it holds a character JSON escapes.
fn push_json_string(out: &mut String, s: &str) {
    // No early exit: the whole-slice fold is vectorised, and the texts are short.
    if s.bytes().fold(false, |acc, b| acc | (b < 0x20) | (b == b'"') | (b == b'\\')) {
        out.push_str(&serde_json::to_string(s).expect("a string serializes"));
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

/// One line as a chunk keeps it (see `ChunkWriter::push`): texts borrowed from the chunk unless escaped. A type of
/// its own (not `LineRef`) because it is the chunk's row — line number, texts, and the calculation's id in place
/// of its texts — and because `#[serde(borrow)]`, which keeps a million lines from being copied, needs a struct.
#[derive(serde::Deserialize)]
struct StoredLine<'a>(
    i64,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    i64,
    i64,
);

/// `commit`'s move of draft `id` into `lines`, sorted by the never-pay-twice key (所属期, 身份证号) so that the new
/// month's index entries are appended in order (any order is correct; this one is fast). The chunks' text is held
/// (≈ 120 bytes a line) with a 32-byte key per line; each line is parsed once for its key and again to insert it.
/// The inner error is the insert a constraint refused (the caller explains it); the outer one anything else (a
/// chunk that is not what `pay` writes is damage: `Corrupt`).
fn move_draft(conn: &Connection, path: &Path, id: i64) -> Result<rusqlite::Result<Option<Vec<u8>>>, LedgerError> {
    let err = |e| sql_err(path, e);
    let mut texts: Vec<String> = Vec::new();
    {
        let mut chunks =
            conn.prepare("SELECT lines FROM draft_chunks WHERE batch_id = ?1 ORDER BY seq").map_err(err)?;
        let mut rows = chunks.query([id]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            texts.push(row.get(0).map_err(err)?);
        }
    }
    // `line` counts from 1 within the chunk; 0 for the chunk as a whole.
    let damaged = |chunk: usize, line: usize, what: String| LedgerError::Corrupt {
        path: path.to_path_buf(),
        detail: match line {
            0 => format!("发放草稿第 {} 块明细{what}", chunk + 1),
            n => format!("发放草稿第 {} 块第 {n} 条明细无法读取（{what}）", chunk + 1),
        },
    };
    fn parse(line: &str) -> Result<StoredLine<'_>, String> {
        serde_json::from_str(line).map_err(|e| e.to_string())
    }
    // (key, chunk, where the line starts in it, its length)
    let mut order: Vec<(u128, u32, u32, u32)> = Vec::new();
    for (c, text) in texts.iter().enumerate() {
        let body = text
            .strip_prefix("[\n")
            .and_then(|t| t.strip_suffix("\n]"))
            .ok_or_else(|| damaged(c, 0, "不是按行写出的 JSON 数组".to_string()))?;
        let mut at = 2;
        for (k, piece) in body.split('\n').enumerate() {
            let line = piece.strip_suffix(',').unwrap_or(piece);
            let l = parse(line).map_err(|e| damaged(c, k + 1, e))?;
            let month = l.6.parse::<YearMonth>().map(|m| m.year() as u32 * 12 + m.month()).unwrap_or(0);
            let person = crate::domain::id_card::pack(l.1.as_bytes()).unwrap_or(u64::MAX);
            order.push((((month as u128) << 64) | person as u128, c as u32, at as u32, line.len() as u32));
            at += piece.len() + 1;
        }
    }
    order.sort_unstable();
    // Many rows to a statement: SQLite keeps a statement journal for each INSERT into `lines` (its trigger may
    // abort), and a statement per line wrote each touched page to it again — twice the system time of the whole
    // commit at a million lines.
    let insert_sql = |rows: usize| {
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        format!(
            "INSERT INTO lines (batch_id, line_no, person_id, name, category, town, item, period, kind, amount_fen,
                                calc_id, reissue_of) VALUES {}",
            vec![row; rows].join(", ")
        )
    };
    // The returned line each 重发 line of the draft re-issues (a few; schema version 7).
    let reissues: rustc_hash::FxHashMap<i64, i64> = conn
        .prepare("SELECT line_no, reissue_of FROM draft_reissues WHERE batch_id = ?1")
        .and_then(|mut s| s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(err)?;
    let mut full = conn.prepare(&insert_sql(MOVE_ROWS)).map_err(err)?;
    // The report's columns of the lines, in the order they go into `lines` (see `packed`).
    let mut packed = PackedWriter::default();
    for group in order.chunks(MOVE_ROWS) {
        let mut rest;
        let insert = if group.len() == MOVE_ROWS {
            &mut full
        } else {
            rest = conn.prepare(&insert_sql(group.len())).map_err(err)?;
            &mut rest
        };
        for (k, &(_, c, at, len)) in group.iter().enumerate() {
            let (c, at) = (c as usize, at as usize);
            let StoredLine(line_no, person_id, name, category, town, item, period, kind, amount_fen, calc_id) =
                parse(&texts[c][at..at + len as usize]).map_err(|e| damaged(c, 0, e))?;
            let p = 12 * k;
            insert.raw_bind_parameter(p + 1, id).map_err(err)?;
            insert.raw_bind_parameter(p + 2, line_no).map_err(err)?;
            insert.raw_bind_parameter(p + 3, person_id.as_ref()).map_err(err)?;
            insert.raw_bind_parameter(p + 4, name.as_ref()).map_err(err)?;
            insert.raw_bind_parameter(p + 5, category.as_ref()).map_err(err)?;
            insert.raw_bind_parameter(p + 6, town.as_ref()).map_err(err)?;
            insert.raw_bind_parameter(p + 7, item.as_ref()).map_err(err)?;
            insert.raw_bind_parameter(p + 8, period.as_ref()).map_err(err)?;
            insert.raw_bind_parameter(p + 9, kind.as_ref()).map_err(err)?;
            insert.raw_bind_parameter(p + 10, amount_fen).map_err(err)?;
            insert.raw_bind_parameter(p + 11, calc_id).map_err(err)?;
            insert.raw_bind_parameter(p + 12, reissues.get(&line_no).copied()).map_err(err)?;
            // An unknown kind is left to the CHECK on `lines`, which refuses the statement.
            if let Some(kind) = PaymentKind::from_label(&kind) {
                packed.push(&person_id, &period, kind, &category, &item, &town, amount_fen);
            }
        }
        match insert.raw_execute() {
            Ok(_) => {}
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => return Ok(Err(e)),
            Err(e) => return Err(err(e)),
        }
    }
    Ok(Ok(packed.finish()))
}

/// Lines a statement of `commit`'s move inserts (12 parameters each, well under SQLite's limit of 32766).
const MOVE_ROWS: usize = if cfg!(test) { 2 } else { 256 };

/// A draft line that could meet a committed one, kept to be looked up once the draft is written.
struct Probe {
    line_no: usize,
    id: String,
    name: String,
    item: String,
    period: YearMonth,
    kind: PaymentKind,
}

impl Probe {
    fn of(line_no: usize, line: &LineRef) -> Probe {
        Probe {
            line_no,
            id: line.id.to_string(),
            name: line.name.to_string(),
            item: line.item.to_string(),
            period: line.period,
            kind: line.kind,
        }
    }

    /// `AlreadyPaid` if a committed batch paid this line (`PAID_REGULAR` / `PAID_FUNERAL`).
    fn paid(self, conn: &Connection, path: &Path) -> Result<Option<LedgerError>, LedgerError> {
        let err = |e| sql_err(path, e);
        let found: Option<String> = match self.kind {
            PaymentKind::Regular => conn
                .prepare_cached(PAID_REGULAR)
                .and_then(|mut s| {
                    s.query_row(params![self.period.to_string(), self.id, self.item], |r| r.get(0)).optional()
                })
                .map_err(err)?,
            PaymentKind::Funeral => conn
                .prepare_cached(PAID_FUNERAL)
                .and_then(|mut s| s.query_row([&self.id], |r| r.get(0)).optional())
                .map_err(err)?,
            PaymentKind::Arrears | PaymentKind::Reissue => None,
        };
        let Some(month) = found else { return Ok(None) };
        let paid_in = parse_text(0, &month, |s| s.parse::<YearMonth>()).map_err(err)?;
        Ok(Some(LedgerError::AlreadyPaid {
            path: path.to_path_buf(),
            id: self.id,
            name: self.name,
            item: self.item,
            period: self.period,
            kind: self.kind,
            paid_in,
        }))
    }
}

/// A UNIQUE failure at commit that no committed line explains: the draft holds the line twice.
fn within_draft(e: LedgerError) -> LedgerError {
    match e {
        LedgerError::Rejected { path, detail } => {
            let detail = match detail.as_str() {
                REGULAR_ONCE => "同一批次中同一人同一项目同一所属期的正常发放只能有一条".to_string(),
                FUNERAL_ONCE => "同一批次中同一人的丧葬补助只能有一条".to_string(),
                _ => detail,
            };
            LedgerError::Rejected { path, detail }
        }
        other => other,
    }
}

fn conflict_from_row(path: &Path) -> impl Fn(&Row) -> rusqlite::Result<LedgerError> + '_ {
    move |r| {
        Ok(LedgerError::AlreadyPaid {
            path: path.to_path_buf(),
            id: r.get(1)?,
            name: r.get(2)?,
            item: r.get(3)?,
            period: parse_text(4, &r.get::<_, String>(4)?, |s| s.parse::<YearMonth>())?,
            kind: parse_text(5, &r.get::<_, String>(5)?, parse_kind)?,
            paid_in: parse_text(6, &r.get::<_, String>(6)?, |s| s.parse::<YearMonth>())?,
        })
    }
}

/// `YYYY-MM` written into `buf` (no allocation per line).
fn month_text(m: YearMonth, buf: &mut [u8; 7]) -> &str {
    let (y, mo) = (m.year().clamp(0, 9999) as u32, m.month());
    let digit = |d: u32| b'0' + (d % 10) as u8;
    *buf = [digit(y / 1000), digit(y / 100), digit(y / 10), digit(y), b'-', digit(mo / 10), digit(mo)];
    std::str::from_utf8(buf).expect("ASCII digits")
}

/// The key a line's calculation is interned under in `calcs`.
type CalcKey<'a> = (&'a str, &'a str, Option<u32>, Option<NaiveDate>);

/// Interns (依据, formula, 标准表 row, 起始日期) into `calcs` while a draft streams by: each distinct value is looked
/// up (and if new, inserted) once; the lines in between reuse its id from memory.
struct Calcs<'a, 'c> {
    known: rustc_hash::FxHashMap<CalcKey<'a>, i64>,
    last: Option<(CalcKey<'a>, i64)>,
    conn: &'c Connection,
    find: Statement<'c>,
    insert: Statement<'c>,
}

impl<'a, 'c> Calcs<'a, 'c> {
    fn new(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Calcs {
            known: Default::default(),
            last: None,
            conn,
            find: conn.prepare(
                "SELECT id FROM calcs
                  WHERE formula = ?1 AND basis = ?2 AND standard_row IS ?3 AND standard_start IS ?4",
            )?,
            insert: conn
                .prepare("INSERT INTO calcs (formula, basis, standard_row, standard_start) VALUES (?1, ?2, ?3, ?4)")?,
        })
    }

    fn id(&mut self, line: &LineRef<'a>) -> rusqlite::Result<i64> {
        let key: CalcKey<'a> = (line.formula, line.basis, line.standard_row, line.standard_start);
        if let Some((last, id)) = self.last
            && last == key
        {
            return Ok(id);
        }
        let id = match self.known.get(&key) {
            Some(&id) => id,
            None => {
                let start = key.3.map(|d| d.format("%Y-%m-%d").to_string());
                let args = params![key.0, key.1, key.2, start];
                let id = match self.find.query_row(args, |r| r.get(0)).optional()? {
                    Some(id) => id,
                    None => {
                        self.insert.execute(args)?;
                        self.conn.last_insert_rowid()
                    }
                };
                self.known.insert(key, id);
                id
            }
        };
        self.last = Some((key, id));
        Ok(id)
    }
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
        line_id: r.get(14)?,
        reissue_of: r.get(15)?,
        returned: match r.get::<_, Option<String>>(16)? {
            Some(status) => Some(ReturnMark { status, reason: r.get(17)?, recorded_at: r.get(18)? }),
            None => None,
        },
        reissued_in: r
            .get::<_, Option<String>>(19)?
            .map(|m| parse_text(19, &m, |s| s.parse::<YearMonth>()))
            .transpose()?,
    })
}

fn parse_kind(s: &str) -> Result<PaymentKind, String> {
    PaymentKind::from_label(s).ok_or_else(|| format!("未知的明细类型“{s}”"))
}

fn parse_opt_date(r: &Row, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    r.get::<_, Option<String>>(idx)?
        .map(|s| parse_text(idx, &s, |t| NaiveDate::parse_from_str(t, "%Y-%m-%d")))
        .transpose()
}
