//! The PostgreSQL ledger's side of `ledger copy` (see `ledger::history`), for one county: `export` reads the
//! county's committed history in month order (lines streamed from the server, never all held); `PgImport` writes
//! a history in ONE transaction, each batch through the same database path as `pay` and `commit` (`draft.rs`):
//! a draft batch, its lines by COPY into `draft_lines`, its calculations, totals and packed report columns, its
//! transfers; then the commit's `INSERT … SELECT` into `lines`, the batch marked committed and its packed blob,
//! all judged by the schema's triggers and unique indexes (`lines_inserted`, `batches_guard`, never pay twice
//! across counties) — nothing is written to `lines` any other way, no trigger is relaxed. 退回 events go in as
//! `record_returns` writes them. `month_tallies` counts each committed month of the county from its rows.
//!
//! The SQL of the draft and the commit repeats `draft.rs`'s (its steps open and commit their own transactions;
//! a copy needs them inside one): a change to those steps must be made here too — the copy tests run both.

use super::copy::{DraftCopy, DraftLine};
use super::draft::calc_id;
use super::{PgError, PgLedger, refusal};
use crate::domain::month::YearMonth;
use crate::ledger::packed::PackedWriter;
use crate::ledger::{
    BatchStatus, HistoryBatch, HistoryItem, HistoryLine, HistoryReturn, HistoryWriter, LedgerError, MonthTally,
    NewLine, NewReturn, TransferRecord,
};
use chrono::NaiveDate;
use postgres::fallible_iterator::FallibleIterator;
use rustc_hash::FxHashMap;
use std::cell::RefMut;
use std::collections::BTreeMap;

/// A line's calculation: formula, 依据, 标准表 row, 起始日期 (interned in `calcs`).
type CalcKey<'a> = (&'a str, &'a str, Option<u32>, Option<NaiveDate>);

/// Transfers per `transfers` row (as `draft.rs` writes them).
const TRANSFER_CHUNK: usize = if cfg!(test) { 3 } else { 4096 };

impl PgLedger {
    /// The county's committed history in month order, streamed to `sink` (see `LedgerStore::export`).
    pub fn export(&self, sink: &mut dyn FnMut(HistoryItem) -> Result<(), LedgerError>) -> Result<(), LedgerError> {
        let batches: Vec<_> = self.batches()?.into_iter().filter(|b| b.status == BatchStatus::Committed).collect();
        for b in batches {
            let header = HistoryBatch::of_committed(b.clone()).map_err(|detail| self.corrupt(detail))?;
            sink(HistoryItem::Batch(header))?;
            let mut numbers: Vec<i64> = Vec::new();
            {
                let mut client = self.conn();
                let mut rows = client
                    .query_raw(
                        "SELECT l.id, l.line_no, l.person_id, l.name, l.category, l.town, l.item, l.period, l.kind,
                                l.amount_fen, c.standard_row, c.standard_start, c.basis, c.formula, l.reissue_of
                           FROM lines l JOIN calcs c ON c.id = l.calc_id
                          WHERE l.batch_id = $1 ORDER BY l.line_no",
                        [&b.id],
                    )
                    .map_err(|e| self.db(e))?;
                while let Some(r) = rows.next().map_err(|e| self.db(e))? {
                    numbers.push(i64::from(r.get::<_, i32>(1)));
                    let start: Option<String> = r.get(11);
                    let line = NewLine {
                        id: r.get(2),
                        name: r.get(3),
                        category: r.get(4),
                        town: r.get(5),
                        item: r.get(6),
                        period: super::reads::parse_month(r.get(7)).map_err(|e| self.corrupt(e))?,
                        kind: super::reads::parse_kind(r.get(8)).map_err(|e| self.corrupt(e))?,
                        amount_fen: r.get(9),
                        standard_row: r.get::<_, Option<i32>>(10).map(|n| n.max(0) as u32),
                        standard_start: start
                            .map(|t| {
                                NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                                    .map_err(|e| self.corrupt(format!("日期“{t}”：{e}")))
                            })
                            .transpose()?,
                        basis: r.get(12),
                        formula: r.get(13),
                        reissue_of: r.get(14),
                    };
                    sink(HistoryItem::Line(HistoryLine { source_id: r.get(0), line }))?;
                }
            }
            if let Some((_, transfers)) = self.transfers(b.month)? {
                for mut t in transfers {
                    t.first_line = match numbers.binary_search(&t.first_line) {
                        Ok(place) => place as i64,
                        Err(_) => {
                            return Err(self
                                .corrupt(format!("{} 批次的代发记录（序号 {}）指向不存在的明细", b.month, t.no))
                                .into());
                        }
                    };
                    sink(HistoryItem::Transfer(t))?;
                }
            }
            let returns: Vec<HistoryReturn> = {
                let mut client = self.conn();
                let heads = client
                    .query(
                        "SELECT id, transfer_no, person_id, name, account, amount_fen, status, reason, file_name,
                                file_sha256, file_row, recorded_at
                           FROM bank_returns WHERE batch_id = $1 ORDER BY id",
                        &[&b.id],
                    )
                    .map_err(|e| self.db(e))?;
                let mut out = Vec::with_capacity(heads.len());
                for r in &heads {
                    let id: i64 = r.get(0);
                    let line_ids = client
                        .query("SELECT line_id FROM returned_lines WHERE return_id = $1 ORDER BY line_id", &[&id])
                        .map_err(|e| self.db(e))?
                        .iter()
                        .map(|l| l.get(0))
                        .collect();
                    out.push(HistoryReturn {
                        event: NewReturn {
                            transfer_no: r.get::<_, i32>(1).max(0) as u32,
                            id: r.get(2),
                            name: r.get(3),
                            account: r.get(4),
                            amount_fen: r.get(5),
                            status: r.get(6),
                            reason: r.get(7),
                            file_name: r.get(8),
                            file_sha256: r.get(9),
                            file_row: r.get::<_, i32>(10).max(0) as u32,
                        },
                        recorded_at: r.get(11),
                        line_ids,
                    });
                }
                out
            };
            for r in returns {
                sink(HistoryItem::Return(r))?;
            }
        }
        Ok(())
    }

    /// Begin writing a copied history for the county in one transaction (see `LedgerStore::begin_import`).
    pub fn begin_import(&self) -> Result<PgImport<'_>, PgError> {
        let mut client = self.conn();
        client.batch_execute("BEGIN; SET LOCAL work_mem = '256MB'").map_err(|e| self.db(e))?;
        Ok(PgImport { ledger: self, client, open: true, pending: None, returned: FxHashMap::default() })
    }

    /// The county's committed months counted from their rows (see `LedgerStore::month_tallies`).
    pub fn month_tallies(&self) -> Result<Vec<MonthTally>, LedgerError> {
        let mut client = self.conn();
        tallies_on(self, &mut client).map_err(|e| match e {
            Step::Refused(e) => e,
            Step::Failed(e) => self.db(e).into(),
        })
    }
}

/// The county's tallies, read on `c` (inside an import's transaction, or not).
fn tallies_on(ledger: &PgLedger, c: &mut postgres::Client) -> Result<Vec<MonthTally>, Step> {
    let county = &ledger.county;
    let month = |text: &str| super::reads::parse_month(text).map_err(|e| Step::from(ledger.corrupt(e)));
    let mut out: BTreeMap<YearMonth, MonthTally> = BTreeMap::new();
    for r in c.query(
        "SELECT b.month, count(l.id), COALESCE(sum(l.amount_fen), 0)::bigint,
                count(*) FILTER (WHERE l.kind = '正常'), count(*) FILTER (WHERE l.kind = '补发'),
                count(*) FILTER (WHERE l.kind = '丧葬补助'), count(l.reissue_of)
           FROM batches b LEFT JOIN lines l ON l.batch_id = b.id
          WHERE b.county_code = $1 AND b.status = 'committed' GROUP BY b.id, b.month",
        &[county],
    )? {
        let m = month(r.get(0))?;
        out.insert(
            m,
            MonthTally {
                lines: r.get(1),
                total_fen: r.get(2),
                regular: r.get(3),
                arrears: r.get(4),
                funeral: r.get(5),
                reissues: r.get(6),
                ..MonthTally::empty(m)
            },
        );
    }
    for r in c.query(
        "SELECT b.month, t.data FROM transfers t JOIN batches b ON b.id = t.batch_id
          WHERE b.county_code = $1 AND b.status = 'committed'",
        &[county],
    )? {
        let m = month(r.get(0))?;
        let chunk: Vec<(u32, i64, i64, i64, String, String)> = serde_json::from_str(r.get(1))
            .map_err(|e| Step::from(ledger.corrupt(format!("{m} 批次的代发记录无法读取（{e}）"))))?;
        let t = out.entry(m).or_insert_with(|| MonthTally::empty(m));
        t.transfers += chunk.len() as i64;
        t.transfer_fen += chunk.iter().map(|x| x.3).sum::<i64>();
    }
    for r in c.query(
        "SELECT r.month, count(DISTINCT r.id), count(x.line_id), COALESCE(sum(l.amount_fen), 0)::bigint
           FROM bank_returns r LEFT JOIN returned_lines x ON x.return_id = r.id LEFT JOIN lines l ON l.id = x.line_id
          WHERE r.county_code = $1 GROUP BY r.month",
        &[county],
    )? {
        let m = month(r.get(0))?;
        let t = out.entry(m).or_insert_with(|| MonthTally::empty(m));
        (t.returns, t.returned_lines, t.returned_fen) = (r.get(1), r.get(2), r.get(3));
    }
    Ok(out.into_values().collect())
}

/// A step that failed: refused with its own message, or a driver error to explain (as in `draft.rs`).
enum Step {
    Refused(LedgerError),
    Failed(postgres::Error),
}

impl From<postgres::Error> for Step {
    fn from(e: postgres::Error) -> Step {
        Step::Failed(e)
    }
}

impl From<PgError> for Step {
    fn from(e: PgError) -> Step {
        Step::Refused(e.into())
    }
}

/// A batch being copied, written when the next batch, a 退回 event or the end comes (see SQLite's).
struct PendingBatch {
    head: HistoryBatch,
    lines: Vec<NewLine>,
    source_ids: Vec<i64>,
    transfers: Vec<TransferRecord>,
}

/// The batch last written: its id and month, and its lines' target ids by source id.
struct Written {
    batch_id: i64,
    month: YearMonth,
    ids: FxHashMap<i64, i64>,
}

/// A history being written inside one transaction (`PgLedger::begin_import`); holds the ledger's connection.
pub struct PgImport<'l> {
    ledger: &'l PgLedger,
    client: RefMut<'l, postgres::Client>,
    /// The transaction is still open (rolled back on drop).
    open: bool,
    pending: Option<Result<PendingBatch, Written>>,
    /// Target id of every returned line written, by source id.
    returned: FxHashMap<i64, i64>,
}

impl Drop for PgImport<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

impl PgImport<'_> {
    /// Run `step`; on failure roll the whole copy back and explain (a refusal names what is in the way).
    fn run<T>(&mut self, step: impl FnOnce(&mut Self) -> Result<T, Step>) -> Result<T, LedgerError> {
        if !self.open {
            return Err(self.rejected("复制已因前面的错误撤销".into()).into());
        }
        match step(self) {
            Ok(v) => Ok(v),
            Err(e) => {
                let _ = self.client.batch_execute("ROLLBACK");
                self.open = false;
                Err(match e {
                    Step::Refused(e) => e,
                    Step::Failed(e) if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) => {
                        self.ledger.db(e).into()
                    }
                    Step::Failed(e) if e.as_db_error().is_some() => {
                        refusal(&mut self.client, &self.ledger.target.to_string(), &e).into()
                    }
                    Step::Failed(e) => self.ledger.db(e).into(),
                })
            }
        }
    }

    fn rejected(&self, detail: String) -> PgError {
        PgError::Rejected { target: self.ledger.target.to_string(), detail }
    }

    /// Write the pending batch as a draft and commit it, as `pay` then `commit` would.
    fn write_pending(&mut self) -> Result<(), Step> {
        if !matches!(self.pending, Some(Ok(_))) {
            return Ok(());
        }
        let Some(Ok(batch)) = self.pending.take() else { unreachable!("checked above") };
        let PendingBatch { head, mut lines, source_ids, transfers } = batch;
        let ledger = self.ledger;
        let county = ledger.county.as_str();
        let month = head.month.to_string();
        let c = &mut *self.client;
        // The county's month lock, as `pay` and `commit` take it.
        let k1: i32 = county.parse().expect("checked: 6 digits");
        let k2: i32 = head.month.year() * 100 + head.month.month() as i32;
        c.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&k1, &k2])?;
        if c.query_opt("SELECT 1 FROM batches WHERE county_code = $1 AND month = $2 LIMIT 1", &[&county, &month])?
            .is_some()
        {
            return Err(Step::Refused(LedgerError::MonthsHeld {
                shown: ledger.target.to_string(),
                months: vec![head.month],
            }));
        }
        for line in lines.iter_mut() {
            if let Some(of) = line.reissue_of {
                line.reissue_of = Some(*self.returned.get(&of).ok_or_else(|| {
                    Step::from(PgError::Rejected {
                        target: ledger.target.to_string(),
                        detail: format!(
                            "{} 批次中 {}（{}）的重发明细所针对的退回明细不在复制的历史中",
                            head.month, line.name, line.id
                        ),
                    })
                })?);
            }
        }
        let batch_id: i64 = c
            .query_one(
                "INSERT INTO batches (county_code, month, status, created, inputs_digest, outputs_digest, tool_version,
                                      entitled_fen, shortfalls)
                 VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &county,
                    &month,
                    &head.created,
                    &head.inputs_digest,
                    &head.outputs_digest,
                    &head.tool_version,
                    &head.entitled_fen,
                    &head.shortfalls,
                ],
            )?
            .get(0);
        // The lines through COPY, calculations numbered in order of first sight, report columns packed.
        let mut calc_no: FxHashMap<CalcKey<'_>, i32> = FxHashMap::default();
        let mut calc_keys = Vec::new();
        let mut packed = PackedWriter::default();
        let (mut count, mut total) = (0i64, 0i64);
        {
            let mut copy = DraftCopy::start(&mut *c, batch_id)?;
            for (line_no, line) in lines.iter().enumerate() {
                let key = (line.formula.as_str(), line.basis.as_str(), line.standard_row, line.standard_start);
                let next = calc_keys.len() as i32;
                let n = *calc_no.entry(key).or_insert(next);
                if n == next {
                    calc_keys.push(key);
                }
                let period = line.period.to_string();
                copy.write(&DraftLine {
                    line_no: i32::try_from(line_no).expect("fewer than 2³¹ lines"),
                    person_id: &line.id,
                    name: &line.name,
                    category: &line.category,
                    town: &line.town,
                    item: &line.item,
                    period: &period,
                    kind: line.kind,
                    amount_fen: line.amount_fen,
                    calc_no: n,
                    reissue_of: line.reissue_of,
                })?;
                packed.push(&line.id, &period, line.kind, &line.category, &line.item, &line.town, line.amount_fen);
                count += 1;
                total += line.amount_fen;
            }
            copy.finish()?;
        }
        let mut calc_ids: Vec<i64> = Vec::with_capacity(calc_keys.len());
        for (formula, basis, row, start) in &calc_keys {
            let row = row.map(|r| i32::try_from(r).unwrap_or(i32::MAX));
            let start = start.map(|d| d.format("%Y-%m-%d").to_string());
            calc_ids.push(calc_id(c, formula, basis, row, start.as_deref())?);
        }
        let numbers: Vec<i32> = (0..calc_ids.len() as i32).collect();
        c.execute(
            "INSERT INTO draft_calcs (batch_id, calc_no, calc_id)
             SELECT $1, n, id FROM unnest($2::integer[], $3::bigint[]) AS c(n, id)",
            &[&batch_id, &numbers, &calc_ids],
        )?;
        c.execute(
            "INSERT INTO draft_totals (batch_id, line_count, total_fen, packed) VALUES ($1, $2, $3, $4)",
            &[&batch_id, &count, &total, &packed.finish()],
        )?;
        drop(calc_keys);
        drop(calc_no);
        drop(lines);
        // The transfers, in chunks of JSON lines as `draft.rs` writes them.
        for (seq, chunk) in transfers.chunks(TRANSFER_CHUNK).enumerate() {
            let mut text = String::from("[\n");
            for (k, t) in chunk.iter().enumerate() {
                if k > 0 {
                    text.push_str(",\n");
                }
                text.push_str(
                    &serde_json::to_string(&(t.no, t.first_line, t.lines, t.amount_fen, &t.id, &t.account))
                        .expect("plain data"),
                );
            }
            text.push_str("\n]");
            let (seq, n) = (seq as i32, chunk.len() as i32);
            c.execute(
                "INSERT INTO transfers (batch_id, seq, transfers, data) VALUES ($1, $2, $3, $4)",
                &[&batch_id, &seq, &n, &text],
            )?;
        }
        // The commit, as `commit` makes it.
        c.execute(
            "INSERT INTO lines (batch_id, county_code, line_no, person_id, name, category, town, item, period, kind,
                                amount_fen, calc_id, reissue_of)
             SELECT d.batch_id, $2, d.line_no, d.person_id, d.name, d.category, d.town, d.item, d.period, d.kind,
                    d.amount_fen, k.calc_id, d.reissue_of
               FROM draft_lines d JOIN draft_calcs k ON k.batch_id = d.batch_id AND k.calc_no = d.calc_no
              WHERE d.batch_id = $1
              ORDER BY d.person_id, d.period, d.item",
            &[&batch_id, &county],
        )?;
        c.execute("DELETE FROM draft_lines WHERE batch_id = $1", &[&batch_id])?;
        c.execute("DELETE FROM draft_calcs WHERE batch_id = $1", &[&batch_id])?;
        c.execute(
            "UPDATE batches SET status = 'committed', committed_at = $2, pay_date = $3, late_reason = $4,
                                line_count = $5, total_fen = $6
              WHERE id = $1",
            &[&batch_id, &head.committed_at, &head.pay_date.to_string(), &head.late_reason, &count, &total],
        )?;
        c.execute(
            "INSERT INTO packed_lines (batch_id, line_count, total_fen, data)
             SELECT batch_id, line_count, total_fen, packed FROM draft_totals WHERE batch_id = $1 AND packed IS NOT NULL",
            &[&batch_id],
        )?;
        c.execute("DELETE FROM draft_totals WHERE batch_id = $1", &[&batch_id])?;
        // The target's ids of the batch's lines, by place.
        let mut ids = FxHashMap::default();
        for r in c.query("SELECT line_no, id FROM lines WHERE batch_id = $1", &[&batch_id])? {
            let no: i32 = r.get(0);
            if let Some(source) = usize::try_from(no).ok().and_then(|n| source_ids.get(n)) {
                ids.insert(*source, r.get::<_, i64>(1));
            }
        }
        self.pending = Some(Err(Written { batch_id, month: head.month, ids }));
        Ok(())
    }

    fn write_return(&mut self, r: HistoryReturn) -> Result<(), Step> {
        self.write_pending()?;
        let ledger = self.ledger;
        let Some(Err(w)) = &self.pending else {
            return Err(Step::from(self.rejected("复制的历史中有退回记录不属于任何批次".into())));
        };
        let mut lines: Vec<(i64, i64)> = Vec::with_capacity(r.line_ids.len());
        for source in &r.line_ids {
            let Some(&id) = w.ids.get(source) else {
                return Err(Step::from(self.rejected(format!(
                    "{} 批次的退回记录（序号 {}）指向不在该批次中的明细",
                    w.month, r.event.transfer_no
                ))));
            };
            lines.push((*source, id));
        }
        let (batch_id, month) = (w.batch_id, w.month.to_string());
        let targets: Vec<i64> = lines.iter().map(|&(_, t)| t).collect();
        super::returns::insert_return(
            &mut *self.client,
            batch_id,
            &ledger.county,
            &month,
            &r.event,
            &r.recorded_at,
            &targets,
        )?;
        self.returned.extend(lines);
        Ok(())
    }
}

impl HistoryWriter for PgImport<'_> {
    fn push(&mut self, item: HistoryItem) -> Result<(), LedgerError> {
        self.run(|w| match item {
            HistoryItem::Batch(head) => {
                w.write_pending()?;
                w.pending =
                    Some(Ok(PendingBatch { head, lines: Vec::new(), source_ids: Vec::new(), transfers: Vec::new() }));
                Ok(())
            }
            HistoryItem::Line(l) => match &mut w.pending {
                Some(Ok(b)) => {
                    b.source_ids.push(l.source_id);
                    b.lines.push(l.line);
                    Ok(())
                }
                _ => Err(Step::from(w.rejected("复制的历史中有明细不属于任何批次".into()))),
            },
            HistoryItem::Transfer(t) => match &mut w.pending {
                Some(Ok(b)) => {
                    b.transfers.push(t);
                    Ok(())
                }
                _ => Err(Step::from(w.rejected("复制的历史中有代发记录不在其批次的明细之后".into()))),
            },
            HistoryItem::Return(r) => w.write_return(r),
        })
    }

    fn tallies(&mut self) -> Result<Vec<MonthTally>, LedgerError> {
        self.run(|w| {
            w.write_pending()?;
            tallies_on(w.ledger, &mut w.client)
        })
    }

    fn finish(mut self: Box<Self>) -> Result<(), LedgerError> {
        self.run(|w| {
            w.write_pending()?;
            w.client.batch_execute("COMMIT")?;
            w.open = false;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testserver::{self, ROLE_PASSWORD};
    use super::super::{PgEnv, PgUrl};
    use super::*;
    use crate::domain::PaymentKind;
    use crate::ledger::location::LedgerLocation;
    use crate::ledger::{LedgerStore, NewBatch, TransferRef};

    const ZHANG: &str = "11010519491231002X";
    const LI: &str = "440524188001010014";

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn url_of(db: &testserver::TestDb) -> PgUrl {
        let plain = db.url_without_password().replacen("youfu@", &format!("youfu:{ROLE_PASSWORD}@"), 1);
        match LedgerLocation::parse(&plain).unwrap() {
            LedgerLocation::Postgres(url) => *url,
            other => panic!("{other:?}"),
        }
    }

    fn line(id: &str, period: &str, kind: PaymentKind, amount_fen: i64, reissue_of: Option<i64>) -> NewLine {
        NewLine {
            id: id.to_string(),
            name: if id == ZHANG { "张三" } else { "李四" }.to_string(),
            category: "残疾军人".to_string(),
            town: "城关镇".to_string(),
            item: "残疾抚恤金".to_string(),
            period: ym(period),
            kind,
            amount_fen,
            standard_row: Some(3),
            standard_start: NaiveDate::from_ymd_opt(2023, 8, 1),
            basis: "样例通知".to_string(),
            formula: "106670 元/年 ÷ 12 = 8889.1666… → 8889.17".to_string(),
            reissue_of,
        }
    }

    /// Draft `lines` for `month` (one transfer a line) and commit it, through the interface.
    fn pay(ledger: &dyn LedgerStore, month: &str, lines: &[NewLine]) {
        let header = NewBatch {
            month: ym(month),
            created: format!("{month}-10T09:00:00+08:00"),
            inputs_digest: format!("in-{month}"),
            outputs_digest: format!("out-{month}"),
            tool_version: "0.1.0".into(),
            entitled_fen: lines.iter().map(|l| l.amount_fen).sum(),
            shortfalls: "[]".into(),
        };
        let mut draft = ledger.begin_draft(&header, &mut lines.iter().map(NewLine::line_ref)).unwrap();
        draft
            .add_transfers(&mut lines.iter().enumerate().map(|(i, l)| TransferRef {
                no: i as u32 + 1,
                first_line: i,
                lines: 1,
                amount_fen: l.amount_fen,
                id: &l.id,
                account: "6217000000000000004",
            }))
            .unwrap();
        draft.finish(&header.outputs_digest).unwrap();
        let pay_date = NaiveDate::parse_from_str(&format!("{month}-15"), "%Y-%m-%d").unwrap();
        ledger.commit(ym(month), pay_date, &format!("{month}-18T10:00:00+08:00"), &header.inputs_digest, None).unwrap();
    }

    /// A SQLite county: March for 张三 and 李四 (李四 returned), April re-issuing 李四's March.
    fn sqlite_county(dir: &std::path::Path) -> crate::ledger::sqlite::Ledger {
        let a = crate::ledger::sqlite::Ledger::create(&dir.join("a.db")).unwrap();
        pay(
            &a,
            "2024-03",
            &[
                line(ZHANG, "2024-03", PaymentKind::Regular, 888_917, None),
                line(LI, "2024-03", PaymentKind::Regular, 233_300, None),
            ],
        );
        let march = LedgerStore::batch_lines(&a, ym("2024-03")).unwrap();
        let li = march.iter().find(|l| l.id == LI).unwrap();
        let event = NewReturn {
            transfer_no: 2,
            id: LI.into(),
            name: "李四".into(),
            account: "6217000000000000004".into(),
            amount_fen: 233_300,
            status: "失败".into(),
            reason: "账户已销户".into(),
            file_name: "回盘.csv".into(),
            file_sha256: "ab".repeat(32),
            file_row: 3,
        };
        LedgerStore::record_returns(
            &a,
            li.batch_id,
            ym("2024-03"),
            "2024-03-20T09:00:00+08:00",
            &[(event, vec![li.line_id])],
        )
        .unwrap();
        pay(
            &a,
            "2024-04",
            &[
                line(ZHANG, "2024-04", PaymentKind::Regular, 888_917, None),
                line(LI, "2024-03", PaymentKind::Reissue, 233_300, Some(li.line_id)),
            ],
        );
        a
    }

    fn copy(from: &dyn LedgerStore, to: &dyn LedgerStore) -> Result<(), LedgerError> {
        let mut w = to.begin_import()?;
        from.export(&mut |item| w.push(item))?;
        crate::ledger::history::check_copy(&from.month_tallies()?, &w.tallies()?, &to.shown())?;
        w.finish()
    }

    #[test]
    fn a_county_copied_onto_postgresql_and_back_has_the_same_tallies_and_the_links_follow() {
        let dir = tempfile::tempdir().unwrap();
        let a = sqlite_county(dir.path());
        let db = testserver::shared().fresh_db("hist");
        let pg = PgLedger::init(&url_of(&db), &PgEnv::default(), "110101").unwrap();
        copy(&a, &pg).unwrap();
        let tallies = LedgerStore::month_tallies(&pg).unwrap();
        assert_eq!(tallies, LedgerStore::month_tallies(&a).unwrap());
        // March 888917 + 233300 = 1122217 with 233300 returned; April 888917 + 233300 = 1122217, one 重发.
        assert_eq!(
            (tallies[0].total_fen, tallies[0].returned_fen, tallies[1].total_fen, tallies[1].reissues),
            (1_122_217, 233_300, 1_122_217, 1)
        );
        let march = LedgerStore::batch_lines(&pg, ym("2024-03")).unwrap();
        let li = march.iter().find(|l| l.id == LI).unwrap();
        assert_eq!(li.reissued_in, Some(ym("2024-04")));
        assert!(li.returned.is_some());
        assert!(LedgerStore::returns_pending(&pg).unwrap().is_empty());

        // Back to a new file: the same tallies, the same lines (ids aside).
        let b = crate::ledger::sqlite::Ledger::create(&dir.path().join("b.db")).unwrap();
        copy(&pg, &b).unwrap();
        assert_eq!(LedgerStore::month_tallies(&b).unwrap(), tallies);
        let strip = |v: Vec<crate::ledger::PaidLine>| {
            v.into_iter()
                .map(|mut l| {
                    (l.line_id, l.batch_id, l.reissue_of) = (0, 0, l.reissue_of.map(|_| 1));
                    l
                })
                .collect::<Vec<_>>()
        };
        for m in ["2024-03", "2024-04"] {
            assert_eq!(
                strip(LedgerStore::batch_lines(&a, ym(m)).unwrap()),
                strip(LedgerStore::batch_lines(&b, ym(m)).unwrap())
            );
        }
    }

    #[test]
    fn a_refused_or_dropped_copy_leaves_the_database_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let a = sqlite_county(dir.path());
        let db = testserver::shared().fresh_db("histno");
        let pg = PgLedger::init(&url_of(&db), &PgEnv::default(), "110101").unwrap();
        // Dropped before finish: nothing.
        {
            let mut w = LedgerStore::begin_import(&pg).unwrap();
            a.export(&mut |item| w.push(item)).unwrap();
            assert_eq!(w.tallies().unwrap().len(), 2);
        }
        assert!(LedgerStore::batches(&pg).unwrap().is_empty());
        // Another county already paid 张三's April on the shared ledger: the copy is refused at April, naming it,
        // and March (written before) is rolled back with it.
        let other = PgLedger::open_existing(&url_of(&db), &PgEnv::default(), "110102").unwrap();
        pay(&other, "2024-04", &[line(ZHANG, "2024-04", PaymentKind::Regular, 888_917, None)]);
        let e = copy(&a, &pg).unwrap_err();
        assert!(e.to_string().contains("已由行政区划代码 110102 的 2024-04 发放批次"), "{e}");
        assert!(LedgerStore::batches(&pg).unwrap().is_empty());
        assert!(LedgerStore::month_tallies(&pg).unwrap().is_empty());
        // The ledger is usable after the refusal (its transaction ended): a copy into it of nothing is nothing.
        LedgerStore::begin_import(&pg).unwrap().finish().unwrap();
    }
}
