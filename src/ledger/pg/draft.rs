//! A county's month on PostgreSQL: recording its draft (`begin_draft` / `save_draft`) and committing it
//! (`commit`), each ONE transaction, with the meanings of SQLite's `Ledger` (src/ledger/store.rs).
//!
//! Both take the county's month lock first (`pg_advisory_xact_lock(county, month)`, held to the end of the
//! transaction), so two officers of one county working on one month take turns: the second waits up to the busy
//! timeout (`lock_timeout`), then gets `PgError::Busy`. Other counties are never in the way, except where the
//! database refuses to pay one person twice (a unique index: the second waits for the first to end, then is
//! refused naming the county and batch that paid, see `refusal`), and where two drafts insert the same new
//! calculation into `calcs` (the second waits for the first's transaction, with a longer timeout: `CALC_WAIT`).
//!
//! A draft's lines stream through one binary COPY into `draft_lines` (a connection runs nothing else while a
//! COPY is open, so the calculations are numbered in the draft and interned into `calcs` after it, see
//! `draft_calcs`). While they stream, their report columns are packed (`ledger::packed`, in draft order) and
//! counted, and stored with the draft (`draft_totals`); `commit` moves the lines into `lines` with one
//! `INSERT … SELECT` on the server and the packed blob into `packed_lines`, so a province's commit sends no line
//! over the network. A connection lost at any point leaves the ledger as before: the server rolls the
//! transaction back.

use super::copy::{DraftCopy, DraftLine};
use super::{PgError, PgLedger, refusal};
use crate::domain::month::YearMonth;
use crate::ledger::packed::PackedWriter;
use crate::ledger::{BatchInfo, BatchStatus, LineRef, NewBatch, PaymentKind, TransferRef};
use chrono::NaiveDate;
use postgres::error::SqlState;
use std::cell::RefMut;

/// Transfers per `transfers` row (JSON lines, as SQLite's chunks).
const TRANSFER_CHUNK: usize = if cfg!(test) { 3 } else { 4096 };

/// A draft recorded inside an open transaction (`PgLedger::begin_draft`): `finish` commits it, dropping it rolls
/// it back. It holds the ledger's connection until then.
pub struct PgPendingDraft<'l> {
    ledger: &'l PgLedger,
    client: RefMut<'l, postgres::Client>,
    info: BatchInfo,
    /// The transaction is still open (rolled back on drop).
    open: bool,
}

impl Drop for PgPendingDraft<'_> {
    fn drop(&mut self) {
        if self.open {
            // A lost connection has rolled back already; nothing else to do then.
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

impl PgPendingDraft<'_> {
    /// The draft as it will be recorded.
    pub fn info(&self) -> &BatchInfo {
        &self.info
    }

    /// Record the draft's bank transfers (its 代发 file, in order), as SQLite does: chunks of JSON lines
    /// `[no, first_line, lines, 分, 身份证号, 账号]`.
    pub fn add_transfers<'t>(&mut self, transfers: impl IntoIterator<Item = TransferRef<'t>>) -> Result<(), PgError> {
        let insert = "INSERT INTO transfers (batch_id, seq, transfers, data) VALUES ($1, $2, $3, $4)";
        let (mut seq, mut n, mut text) = (0i32, 0i32, String::new());
        let id = self.info.id;
        for t in transfers {
            text.push_str(if n == 0 { "[\n" } else { ",\n" });
            text.push_str(
                &serde_json::to_string(&(t.no, t.first_line, t.lines, t.amount_fen, t.id, t.account))
                    .expect("plain data"),
            );
            n += 1;
            if n as usize == TRANSFER_CHUNK {
                text.push_str("\n]");
                let done = self.client.execute(insert, &[&id, &seq, &n, &text]);
                done.map_err(|e| self.fail(e))?;
                (seq, n) = (seq + 1, 0);
                text.clear();
            }
        }
        if n > 0 {
            text.push_str("\n]");
            let done = self.client.execute(insert, &[&id, &seq, &n, &text]);
            done.map_err(|e| self.fail(e))?;
        }
        Ok(())
    }

    /// Record the digest of the files written for this draft (manifest.json's SHA-256) and commit.
    pub fn finish(mut self, outputs_digest: &str) -> Result<BatchInfo, PgError> {
        let id = self.info.id;
        let done = self.client.execute("UPDATE batches SET outputs_digest = $2 WHERE id = $1", &[&id, &outputs_digest]);
        done.map_err(|e| self.fail(e))?;
        let done = self.client.batch_execute("COMMIT");
        self.open = false;
        done.map_err(|e| self.ledger.db(e))?;
        self.info.outputs_digest = outputs_digest.to_string();
        Ok(self.info.clone())
    }

    /// Roll back and explain the failure `e` (a refusal names what is in the way).
    fn fail(&mut self, e: postgres::Error) -> PgError {
        let _ = self.client.batch_execute("ROLLBACK");
        self.open = false;
        explain(self.ledger, &mut self.client, e)
    }
}

/// The error for a failed write, after its transaction was rolled back: a lock waited for too long → `Busy`; a
/// constraint or trigger → the refusal naming what is in the way; else `Db`.
fn explain(ledger: &PgLedger, client: &mut postgres::Client, e: postgres::Error) -> PgError {
    if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) || e.as_db_error().is_none() {
        return ledger.db(e);
    }
    refusal(client, &ledger.target.to_string(), &e)
}

/// The key of a line's calculation in `calcs`.
type CalcKey<'a> = (&'a str, &'a str, Option<u32>, Option<NaiveDate>);

/// `YYYY-MM` written into `buf` (no allocation per line).
fn month_text(m: YearMonth, buf: &mut [u8; 7]) -> &str {
    let (y, mo) = (m.year().clamp(0, 9999) as u32, m.month());
    let digit = |d: u32| b'0' + (d % 10) as u8;
    *buf = [digit(y / 1000), digit(y / 100), digit(y / 10), digit(y), b'-', digit(mo / 10), digit(mo)];
    std::str::from_utf8(buf).expect("ASCII digits")
}

/// The two keys of the county's month lock (`pg_advisory_xact_lock(int4, int4)`; youfu's other lock, the
/// migrations', is a single bigint key, another key space).
fn month_lock(county: &str, month: YearMonth) -> (i32, i32) {
    (county.parse().expect("checked: 6 digits"), month.year() * 100 + month.month() as i32)
}

impl PgLedger {
    /// Record a draft for the county's `batch.month` with `lines` (streamed), replacing the county's earlier draft
    /// of that month, in ONE transaction. Refused when the month is committed (`AlreadyCommitted`) or when a line
    /// pays again what a committed batch of ANY county paid (`AlreadyPaid`, naming that county and batch).
    pub fn save_draft<'a>(
        &self,
        batch: &NewBatch,
        lines: impl IntoIterator<Item = LineRef<'a>>,
    ) -> Result<BatchInfo, PgError> {
        let digest = batch.outputs_digest.clone();
        self.begin_draft(batch, lines)?.finish(&digest)
    }

    /// `save_draft` in two steps (see SQLite's `begin_draft`): everything is written and checked inside an open
    /// transaction; `PgPendingDraft::finish` sets the outputs' digest and commits; dropping it rolls back.
    pub fn begin_draft<'a>(
        &self,
        batch: &NewBatch,
        lines: impl IntoIterator<Item = LineRef<'a>>,
    ) -> Result<PgPendingDraft<'_>, PgError> {
        let mut client = self.conn();
        client.batch_execute("BEGIN").map_err(|e| self.db(e))?;
        let mut pending = PgPendingDraft {
            ledger: self,
            client,
            info: BatchInfo {
                id: 0,
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
                lines: 0,
                total_fen: 0,
            },
            open: true,
        };
        let (county, month) = (self.county.as_str(), batch.month.to_string());
        let (k1, k2) = month_lock(county, batch.month);
        let c = &mut pending.client;
        let locked = c.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&k1, &k2]);
        locked.map_err(|e| pending.fail(e))?;
        if let Some(done) = self.committed_batch_on(&mut pending.client, batch.month)? {
            return Err(self.already_committed(done));
        }
        let c = &mut pending.client;
        let replaced = c.execute(
            "DELETE FROM batches WHERE county_code = $1 AND month = $2 AND status = 'draft'",
            &[&county, &month],
        );
        replaced.map_err(|e| pending.fail(e))?;
        let inserted = pending.client.query_one(
            "INSERT INTO batches (county_code, month, status, created, inputs_digest, outputs_digest, tool_version,
                                  entitled_fen, shortfalls)
             VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                &county,
                &month,
                &batch.created,
                &batch.inputs_digest,
                &batch.outputs_digest,
                &batch.tool_version,
                &batch.entitled_fen,
                &batch.shortfalls,
            ],
        );
        let batch_id: i64 = inserted.map_err(|e| pending.fail(e))?.get(0);
        pending.info.id = batch_id;
        // Found through the block-range index on (batch, 所属期): a month nobody has paid yet is in no range.
        let paid_this_period = pending
            .client
            .query_one("SELECT EXISTS (SELECT 1 FROM lines WHERE period = $1 AND kind = '正常')", &[&month]);
        let regular_paid_this_period: bool = paid_this_period.map_err(|e| pending.fail(e))?.get(0);

        // The lines, through one COPY; calculations numbered in order of first sight.
        let mut calcs: rustc_hash::FxHashMap<CalcKey<'a>, i32> = Default::default();
        let mut calc_keys: Vec<CalcKey<'a>> = Vec::new();
        let mut last: Option<(CalcKey<'a>, i32)> = None;
        let mut packed = PackedWriter::default();
        let (mut count, mut total) = (0i64, 0i64);
        // Lines that could meet a committed one: 正常 of another 所属期 than the month, and 丧葬补助.
        let mut may_conflict = regular_paid_this_period;
        // The lines are held (borrowed) and sent sorted by the never-pay-twice key (身份证号, 所属期, 项目; byte
        // order, as the columns' COLLATE "C"): `commit` then reads them in the order of `lines_regular_once`
        // with no sort of its own (a third of a million-line move, measured in bench/notes.md). Any order is
        // correct; this one is fast. The packed report columns, the numbering of calculations and the count
        // stay in draft order.
        let mut held: Vec<(YearMonth, DraftLine<'a>)> = Vec::new();
        for (line_no, line) in lines.into_iter().enumerate() {
            if line.amount_fen < 0 {
                let _ = pending.client.batch_execute("ROLLBACK");
                pending.open = false;
                return Err(PgError::Rejected {
                    target: self.target.to_string(),
                    detail: "明细金额不能为负数（多发的款项应列出追缴，不能以负数冲减）".to_string(),
                });
            }
            let key: CalcKey<'a> = (line.formula, line.basis, line.standard_row, line.standard_start);
            let calc_no = match last {
                Some((k, n)) if k == key => n,
                _ => {
                    let next = calc_keys.len() as i32;
                    let n = *calcs.entry(key).or_insert(next);
                    if n == next {
                        calc_keys.push(key);
                    }
                    last = Some((key, n));
                    n
                }
            };
            let mut buf = [0u8; 7];
            let period = month_text(line.period, &mut buf);
            packed.push(line.id, period, line.kind, line.category, line.item, line.town, line.amount_fen);
            held.push((
                line.period,
                DraftLine {
                    line_no: i32::try_from(line_no).expect("fewer than 2³¹ lines"),
                    person_id: line.id,
                    name: line.name,
                    category: line.category,
                    town: line.town,
                    item: line.item,
                    period: "",
                    kind: line.kind,
                    amount_fen: line.amount_fen,
                    calc_no,
                    reissue_of: line.reissue_of,
                },
            ));
            count += 1;
            total += line.amount_fen;
            may_conflict |= match line.kind {
                PaymentKind::Regular => line.period != batch.month,
                PaymentKind::Funeral => true,
                PaymentKind::Arrears | PaymentKind::Reissue => false,
            };
        }
        // YearMonth's order is its `YYYY-MM` text's.
        held.sort_unstable_by(|(pa, a), (pb, b)| {
            (a.person_id.as_bytes(), pa, a.item.as_bytes()).cmp(&(b.person_id.as_bytes(), pb, b.item.as_bytes()))
        });
        let copied = (|| -> Result<(), postgres::Error> {
            let mut copy = DraftCopy::start(&mut *pending.client, batch_id)?;
            for (period, line) in &held {
                let mut buf = [0u8; 7];
                copy.write(&DraftLine { period: month_text(*period, &mut buf), ..*line })?;
            }
            copy.finish().map(|_| ())
        })();
        drop(held);
        copied.map_err(|e| pending.fail(e))?;

        // The calculations into `calcs` (each looked up, inserted when new), and the draft's numbers for them.
        // Counties paying from one standards table insert the same new calculations at the same time: a second
        // insert of a row waits for the first county's whole draft transaction to end. That wait is not the busy
        // county's turn (the month lock above is), so it gets a longer timeout than `lock_timeout`'s 5 s — twenty
        // counties paying at once queue here (bench/pg.sh's pg_20_counties failed once at 5 s) — and every draft
        // inserts in one order (sorted keys), so two drafts never wait for each other in a circle.
        let mut order: Vec<usize> = (0..calc_keys.len()).collect();
        order.sort_unstable_by(|&a, &b| calc_keys[a].cmp(&calc_keys[b]));
        let mut calc_ids: Vec<i64> = vec![0; calc_keys.len()];
        let longer = pending.client.batch_execute(&format!("SET LOCAL lock_timeout = {}", CALC_WAIT.as_millis()));
        longer.map_err(|e| pending.fail(e))?;
        for i in order {
            let (formula, basis, row, start) = &calc_keys[i];
            let row = row.map(|r| i32::try_from(r).unwrap_or(i32::MAX));
            let start = start.map(|d| d.format("%Y-%m-%d").to_string());
            let id = calc_id(&mut pending.client, formula, basis, row, start.as_deref());
            calc_ids[i] = id.map_err(|e| pending.fail(e))?;
        }
        let busy = self.busy.get().as_millis().max(1);
        let back = pending.client.batch_execute(&format!("SET LOCAL lock_timeout = {busy}"));
        back.map_err(|e| pending.fail(e))?;
        let numbers: Vec<i32> = (0..calc_ids.len() as i32).collect();
        let numbered = pending.client.execute(
            "INSERT INTO draft_calcs (batch_id, calc_no, calc_id)
             SELECT $1, n, id FROM unnest($2::integer[], $3::bigint[]) AS c(n, id)",
            &[&batch_id, &numbers, &calc_ids],
        );
        numbered.map_err(|e| pending.fail(e))?;
        let totals = pending.client.execute(
            "INSERT INTO draft_totals (batch_id, line_count, total_fen, packed) VALUES ($1, $2, $3, $4)",
            &[&batch_id, &count, &total, &packed.finish()],
        );
        totals.map_err(|e| pending.fail(e))?;

        if may_conflict {
            let found = pending.client.query_opt(CONFLICT_SELECT, &[&batch_id, &regular_paid_this_period, &month]);
            if let Some(row) = found.map_err(|e| pending.fail(e))? {
                let kind = PaymentKind::from_label(row.get(3))
                    .ok_or_else(|| self.corrupt(format!("未知的明细类型“{}”", row.get::<_, &str>(3))))?;
                return Err(PgError::AlreadyPaid {
                    target: self.target.to_string(),
                    name: row.get(7),
                    person_id: row.get(0),
                    item: row.get(1),
                    period: row.get(2),
                    kind,
                    county_code: row.get(4),
                    batch_month: row.get(5),
                    batch_id: row.get(6),
                });
            }
        }
        pending.info.lines = count;
        pending.info.total_fen = total;
        Ok(pending)
    }

    /// Mark the county's month's draft committed with a pay date (and an optional late reason), in ONE
    /// transaction. Refused when there is no draft (`NoDraft`), when already committed (`AlreadyCommitted`),
    /// when `inputs_digest` differs from the draft's (`InputsChanged`), or when a line was paid meanwhile by any
    /// county (`AlreadyPaid`, by the database's unique index, naming who paid).
    pub fn commit(
        &self,
        month: YearMonth,
        pay_date: NaiveDate,
        committed_at: &str,
        inputs_digest: &str,
        late_reason: Option<&str>,
    ) -> Result<BatchInfo, PgError> {
        let mut client = self.conn();
        // The move's trigger holds the month's moved lines (its transition table): in memory (≈ 200 MB for 1M).
        client.batch_execute("BEGIN; SET LOCAL work_mem = '256MB'").map_err(|e| self.db(e))?;
        let result = self.commit_in(&mut client, month, pay_date, committed_at, inputs_digest, late_reason);
        match result {
            Ok(info) => {
                client.batch_execute("COMMIT").map_err(|e| self.db(e))?;
                Ok(info)
            }
            Err(Step::Refused(e)) => {
                let _ = client.batch_execute("ROLLBACK");
                Err(e)
            }
            Err(Step::Failed(e)) => {
                let _ = client.batch_execute("ROLLBACK");
                Err(explain(self, &mut client, e))
            }
        }
    }

    fn commit_in(
        &self,
        c: &mut postgres::Client,
        month: YearMonth,
        pay_date: NaiveDate,
        committed_at: &str,
        inputs_digest: &str,
        late_reason: Option<&str>,
    ) -> Result<BatchInfo, Step> {
        let (k1, k2) = month_lock(&self.county, month);
        c.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&k1, &k2])?;
        if let Some(done) = self.committed_batch_on(c, month).map_err(Step::Refused)? {
            return Err(Step::Refused(self.already_committed(done)));
        }
        let draft = self
            .batch_where(c, "AND b.month = $2 AND b.status = 'draft' FOR UPDATE OF b", &[&month.to_string()])
            .map_err(Step::Refused)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Step::Refused(PgError::NoDraft {
                    target: self.target.to_string(),
                    county_code: self.county.clone(),
                    month,
                })
            })?;
        if draft.inputs_digest != inputs_digest {
            return Err(Step::Refused(PgError::InputsChanged {
                target: self.target.to_string(),
                month,
                draft_digest: draft.inputs_digest,
                current_digest: inputs_digest.to_string(),
            }));
        }
        // No ORDER BY: `pay` wrote the draft sorted by the never-pay-twice key (身份证号, 所属期, 项目), and the
        // plan (a scan of `draft_lines` probing a hash of the draft's few calculations) keeps that order, so the
        // index is filled in its order without a sort here. Any order is correct; this one is fast.
        let moved = c.execute(
            "INSERT INTO lines (batch_id, county_code, line_no, person_id, name, category, town, item, period, kind,
                                amount_fen, calc_id, reissue_of)
             SELECT d.batch_id, $2, d.line_no, d.person_id, d.name, d.category, d.town, d.item, d.period, d.kind,
                    d.amount_fen, k.calc_id, d.reissue_of
               FROM draft_lines d JOIN draft_calcs k ON k.batch_id = d.batch_id AND k.calc_no = d.calc_no
              WHERE d.batch_id = $1",
            &[&draft.id, &self.county],
        )?;
        // `draft_lines` is not logged (schema version 2): a crash of the server empties it, while the batch and
        // its totals stay. Such a draft is made again by `pay`, never committed short.
        if i64::try_from(moved).ok() != Some(draft.lines) {
            return Err(Step::Refused(PgError::DraftLost {
                target: self.target.to_string(),
                county_code: self.county.clone(),
                month,
                expected: draft.lines,
                found: moved,
            }));
        }
        c.execute("DELETE FROM draft_lines WHERE batch_id = $1", &[&draft.id])?;
        c.execute("DELETE FROM draft_calcs WHERE batch_id = $1", &[&draft.id])?;
        c.execute(
            "UPDATE batches SET status = 'committed', committed_at = $2, pay_date = $3, late_reason = $4,
                                line_count = $5, total_fen = $6
              WHERE id = $1",
            &[&draft.id, &committed_at, &pay_date.to_string(), &late_reason, &draft.lines, &draft.total_fen],
        )?;
        c.execute(
            "INSERT INTO packed_lines (batch_id, line_count, total_fen, data)
             SELECT batch_id, line_count, total_fen, packed FROM draft_totals WHERE batch_id = $1 AND packed IS NOT NULL",
            &[&draft.id],
        )?;
        c.execute("DELETE FROM draft_totals WHERE batch_id = $1", &[&draft.id])?;
        let info = self.batch_where(c, "AND b.id = $2", &[&draft.id]).map_err(Step::Refused)?;
        info.into_iter().next().ok_or_else(|| Step::Refused(self.corrupt("确认发放后找不到该批次".to_string())))
    }

    /// The county's committed batch of `month`, if any.
    pub(crate) fn committed_batch_on(
        &self,
        c: &mut postgres::Client,
        month: YearMonth,
    ) -> Result<Option<BatchInfo>, PgError> {
        Ok(self
            .batch_where(c, "AND b.month = $2 AND b.status = 'committed'", &[&month.to_string()])?
            .into_iter()
            .next())
    }

    /// The refusal for a month whose batch `done` is committed: when, and with what total.
    fn already_committed(&self, done: BatchInfo) -> PgError {
        PgError::AlreadyCommitted {
            target: self.target.to_string(),
            county_code: self.county.clone(),
            month: done.month,
            committed_at: done.committed_at.unwrap_or_default(),
            pay_date: done.pay_date.unwrap_or_else(|| done.month.first_day()),
            total_fen: done.total_fen,
        }
    }
}

/// A step of `commit` that failed: refused with its own message, or a driver error to explain.
enum Step {
    Refused(PgError),
    Failed(postgres::Error),
}

impl From<postgres::Error> for Step {
    fn from(e: postgres::Error) -> Step {
        Step::Failed(e)
    }
}

/// How long a draft waits for another county's draft that is inserting the same new calculation (see
/// `begin_draft`): that county's whole transaction, which at a province's size is seconds, times the counties
/// queued before it.
const CALC_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// The `calcs` id of a calculation, inserting it when new. Looked up first; a concurrent insert of the same row
/// (another county's `pay`) makes ours do nothing, and the lookup after it (a new snapshot) finds theirs.
pub(super) fn calc_id(
    c: &mut postgres::Client,
    formula: &str,
    basis: &str,
    row: Option<i32>,
    start: Option<&str>,
) -> Result<i64, postgres::Error> {
    const FIND: &str = "SELECT id FROM calcs WHERE formula = $1 AND basis = $2
                           AND standard_row IS NOT DISTINCT FROM $3 AND standard_start IS NOT DISTINCT FROM $4";
    if let Some(r) = c.query_opt(FIND, &[&formula, &basis, &row, &start])? {
        return Ok(r.get(0));
    }
    let inserted = c.query_opt(
        "INSERT INTO calcs (formula, basis, standard_row, standard_start) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING id",
        &[&formula, &basis, &row, &start],
    )?;
    match inserted {
        Some(r) => Ok(r.get(0)),
        None => Ok(c.query_one(FIND, &[&formula, &basis, &row, &start])?.get(0)),
    }
}

/// The first line of draft `$1` that a committed batch of any county already paid: a 正常 line of the same
/// (所属期, person, 项目), or a 丧葬补助 of the same person. 正常 lines of the month's own 所属期 (`$3`) are joined
/// only when any committed 正常 line of that 所属期 exists (`$2`): a county's first pay of a month skips them.
const CONFLICT_SELECT: &str = "SELECT person_id, item, period, kind, county_code, month, id, name FROM (
     SELECT d.line_no, d.person_id, d.item, d.period, d.kind, b.county_code, b.month, b.id, d.name
       FROM draft_lines d
       JOIN lines c ON c.kind = '正常' AND c.period = d.period AND c.person_id = d.person_id AND c.item = d.item
       JOIN batches b ON b.id = c.batch_id
      WHERE d.batch_id = $1 AND d.kind = '正常' AND ($2 OR d.period <> $3)
     UNION ALL
     SELECT d.line_no, d.person_id, d.item, d.period, d.kind, b.county_code, b.month, b.id, d.name
       FROM draft_lines d
       JOIN lines c ON c.kind = '丧葬补助' AND c.person_id = d.person_id
       JOIN batches b ON b.id = c.batch_id
      WHERE d.batch_id = $1 AND d.kind = '丧葬补助') x
  ORDER BY line_no
  LIMIT 1";
