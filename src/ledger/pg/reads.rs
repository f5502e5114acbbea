//! The queries the commands need, on PostgreSQL, each over the county's own batches only (`county_code`), with
//! the meanings and the order of SQLite's `Ledger` (src/ledger/store.rs): texts are `COLLATE "C"` columns, so
//! they sort byte-wise as SQLite's do and reports and audits come out byte-identical on both backends.
//!
//! The queries over a province's months stream: `for_each_paid` reads its lines with a binary COPY (no row
//! objects, no statement per batch), `period_counts` reads each batch's packed report columns (`packed_lines`,
//! one blob a batch) and only a batch without them line by line.

use super::{PgError, PgLedger};
use crate::domain::month::YearMonth;
use crate::ledger::tally::{BatchRef, Counter, split};
use crate::ledger::{
    BatchInfo, BatchStatus, PaidLine, PaidTotal, PaymentKind, PeriodCounts, ReturnMark, TransferRecord,
};
use chrono::NaiveDate;
use postgres::binary_copy::BinaryCopyOutIter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};

/// A batch with its line count and total: a draft's from `draft_totals` (written with its lines), a committed
/// batch's as its commit stored them. `$1` is the county.
const BATCH_SELECT: &str = "SELECT b.id, b.month, b.status, b.created, b.committed_at, b.pay_date, b.late_reason,
        b.inputs_digest, b.outputs_digest, b.tool_version, b.entitled_fen, b.shortfalls,
        CASE WHEN b.status = 'draft' THEN COALESCE(t.line_count, 0) ELSE COALESCE(b.line_count, 0) END,
        CASE WHEN b.status = 'draft' THEN COALESCE(t.total_fen, 0) ELSE COALESCE(b.total_fen, 0) END
   FROM batches b LEFT JOIN draft_totals t ON t.batch_id = b.id
  WHERE b.county_code = $1";

/// A committed line with its 退回 (if the bank returned it) and the month of the batch that re-issued it (if
/// any). `$1` is the county.
pub(super) const LINE_SELECT: &str =
    "SELECT l.batch_id, b.month, l.person_id, l.name, l.category, l.town, l.item, l.period,
        l.kind, l.amount_fen, c.standard_row, c.basis, c.formula, b.pay_date, l.id, l.reissue_of,
        r.status, r.reason, r.recorded_at,
        (SELECT rb.month FROM lines rl2 JOIN batches rb ON rb.id = rl2.batch_id WHERE rl2.reissue_of = l.id)
   FROM lines l JOIN batches b ON b.id = l.batch_id JOIN calcs c ON c.id = l.calc_id
   LEFT JOIN returned_lines rl ON rl.line_id = l.id LEFT JOIN bank_returns r ON r.id = rl.return_id
  WHERE b.status = 'committed' AND b.county_code = $1";

pub(super) fn parse_month(text: &str) -> Result<YearMonth, String> {
    text.parse::<YearMonth>().map_err(|e| format!("月份“{text}”：{e}"))
}

fn parse_date(text: Option<String>) -> Result<Option<NaiveDate>, String> {
    text.map(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|e| format!("日期“{t}”：{e}"))).transpose()
}

pub(super) fn parse_kind(text: &str) -> Result<PaymentKind, String> {
    PaymentKind::from_label(text).ok_or_else(|| format!("未知的明细类型“{text}”"))
}

fn batch_from_row(r: &postgres::Row) -> Result<BatchInfo, String> {
    let status: String = r.get(2);
    Ok(BatchInfo {
        id: r.get(0),
        month: parse_month(r.get(1))?,
        status: match status.as_str() {
            "draft" => BatchStatus::Draft,
            "committed" => BatchStatus::Committed,
            other => return Err(format!("未知的批次状态“{other}”")),
        },
        created: r.get(3),
        committed_at: r.get(4),
        pay_date: parse_date(r.get(5))?,
        late_reason: r.get(6),
        inputs_digest: r.get(7),
        outputs_digest: r.get(8),
        tool_version: r.get(9),
        entitled_fen: r.get(10),
        shortfalls: r.get(11),
        lines: r.get(12),
        total_fen: r.get(13),
    })
}

pub(super) fn line_from_row(r: &postgres::Row) -> Result<PaidLine, String> {
    let standard_row: Option<i32> = r.get(10);
    Ok(PaidLine {
        batch_id: r.get(0),
        batch_month: parse_month(r.get(1))?,
        id: r.get(2),
        name: r.get(3),
        category: r.get(4),
        town: r.get(5),
        item: r.get(6),
        period: parse_month(r.get(7))?,
        kind: parse_kind(r.get(8))?,
        amount_fen: r.get(9),
        standard_row: standard_row.map(|n| n.max(0) as u32),
        basis: r.get(11),
        formula: r.get(12),
        pay_date: parse_date(r.get(13))?,
        line_id: r.get(14),
        reissue_of: r.get(15),
        returned: r.get::<_, Option<String>>(16).map(|status| ReturnMark {
            status,
            reason: r.get(17),
            recorded_at: r.get(18),
        }),
        reissued_in: r.get::<_, Option<&str>>(19).map(parse_month).transpose()?,
    })
}

impl PgLedger {
    /// Batches of the county matching `tail` (SQL after `WHERE b.county_code = $1`; its parameters from `$2`).
    pub(crate) fn batch_where(
        &self,
        c: &mut postgres::Client,
        tail: &str,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<BatchInfo>, PgError> {
        self.batch_where_in(c, &self.county, tail, args)
    }

    /// `batch_where` for the county `county`.
    fn batch_where_in(
        &self,
        c: &mut postgres::Client,
        county: &str,
        tail: &str,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<BatchInfo>, PgError> {
        let county = county.to_string();
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&county];
        params.extend_from_slice(args);
        let rows = c.query(&format!("{BATCH_SELECT} {tail}"), &params).map_err(|e| self.db(e))?;
        rows.iter().map(|r| batch_from_row(r).map_err(|e| self.corrupt(e))).collect()
    }

    /// Committed lines of the county matching `tail` (after `LINE_SELECT`; parameters from `$2`).
    fn lines_where(&self, tail: &str, args: &[&(dyn ToSql + Sync)]) -> Result<Vec<PaidLine>, PgError> {
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&self.county];
        params.extend_from_slice(args);
        let rows = self.conn().query(&format!("{LINE_SELECT} {tail}"), &params).map_err(|e| self.db(e))?;
        rows.iter().map(|r| line_from_row(r).map_err(|e| self.corrupt(e))).collect()
    }

    /// The county's committed batch of the month if any, else its draft.
    pub fn batch(&self, month: YearMonth) -> Result<Option<BatchInfo>, PgError> {
        let tail = "AND b.month = $2 ORDER BY (b.status = 'committed') DESC, b.id DESC LIMIT 1";
        Ok(self.batch_where(&mut self.conn(), tail, &[&month.to_string()])?.into_iter().next())
    }

    /// All the county's batches (drafts and committed), by month.
    pub fn batches(&self) -> Result<Vec<BatchInfo>, PgError> {
        self.batch_where(&mut self.conn(), "ORDER BY b.month, (b.status = 'committed') DESC, b.id", &[])
    }

    /// The month of the county's earliest committed batch.
    pub fn first_committed_month(&self) -> Result<Option<YearMonth>, PgError> {
        let row = self
            .conn()
            .query_one(
                "SELECT min(month) FROM batches WHERE county_code = $1 AND status = 'committed'",
                &[&self.county],
            )
            .map_err(|e| self.db(e))?;
        row.get::<_, Option<&str>>(0).map(parse_month).transpose().map_err(|e| self.corrupt(e))
    }

    /// The county's committed lines whose 所属期 is in [from, to] (any kind). Ordered by person, item, period,
    /// then the batch that paid them.
    pub fn paid_lines(&self, from: YearMonth, to: YearMonth) -> Result<Vec<PaidLine>, PgError> {
        self.lines_where(
            "AND l.period BETWEEN $2 AND $3 ORDER BY l.person_id, l.item, l.period, b.month, l.line_no",
            &[&from.to_string(), &to.to_string()],
        )
    }

    /// The committed lines of the county's batch of one month, any period, in batch order.
    pub fn batch_lines(&self, month: YearMonth) -> Result<Vec<PaidLine>, PgError> {
        self.lines_where("AND b.month = $2 ORDER BY l.line_no", &[&month.to_string()])
    }

    /// The county's committed lines for one person (history), or for one person and one period (explain).
    /// Ordered by period, item, then the batch that paid them.
    pub fn lines_for(&self, id: &str, period: Option<YearMonth>) -> Result<Vec<PaidLine>, PgError> {
        match period {
            None => self.lines_where("AND l.person_id = $2 ORDER BY l.period, l.item, b.month, l.line_no", &[&id]),
            Some(p) => self.lines_where(
                "AND l.person_id = $2 AND l.period = $3 ORDER BY l.item, b.month, l.line_no",
                &[&id, &p.to_string()],
            ),
        }
    }

    /// The county's committed 丧葬补助 line of a person, if any.
    pub fn funeral_paid(&self, id: &str) -> Result<Option<PaidLine>, PgError> {
        Ok(self.lines_where("AND l.person_id = $2 AND l.kind = '丧葬补助'", &[&id])?.into_iter().next())
    }

    /// Total paid (正常 + 补发, committed) by the county per person, 项目 and 所属期 for periods in [from, to].
    /// Ordered by person, item, period.
    pub fn paid_totals(&self, from: YearMonth, to: YearMonth) -> Result<Vec<PaidTotal>, PgError> {
        let rows = self
            .conn()
            .query(
                "SELECT person_id, item, period, sum(amount_fen)::bigint FROM lines
                  WHERE county_code = $1 AND kind IN ('正常', '补发') AND period BETWEEN $2 AND $3
                  GROUP BY person_id, item, period ORDER BY person_id, item, period",
                &[&self.county, &from.to_string(), &to.to_string()],
            )
            .map_err(|e| self.db(e))?;
        rows.iter()
            .map(|r| {
                Ok(PaidTotal { id: r.get(0), item: r.get(1), period: parse_month(r.get(2))?, total_fen: r.get(3) })
            })
            .collect::<Result<_, String>>()
            .map_err(|e| self.corrupt(e))
    }

    /// The county's committed batches of `from` or later (up to `to`), in month order.
    fn committed_refs(&self, from: YearMonth, to: Option<YearMonth>) -> Result<Vec<BatchRef>, PgError> {
        self.committed_refs_in(&self.county, from, to)
    }

    fn committed_refs_in(
        &self,
        county: &str,
        from: YearMonth,
        to: Option<YearMonth>,
    ) -> Result<Vec<BatchRef>, PgError> {
        let rows = self
            .conn()
            .query(
                "SELECT id, month, COALESCE(line_count, 0) FROM batches
                  WHERE county_code = $1 AND status = 'committed' AND month >= $2 AND ($3::text IS NULL OR month <= $3)
                  ORDER BY month",
                &[&county, &from.to_string(), &to.map(|m| m.to_string())],
            )
            .map_err(|e| self.db(e))?;
        rows.iter()
            .map(|r| Ok(BatchRef { id: r.get(0), month: parse_month(r.get(1))?, lines: r.get(2) }))
            .collect::<Result<_, String>>()
            .map_err(|e| self.corrupt(e))
    }

    /// Every committed 正常 and 补发 line of the county whose 所属期 is in [from, to], as (身份证号, 项目, 所属期,
    /// 分), in no particular order, streamed to `each` (see SQLite's `for_each_paid`: returned lines included,
    /// 重发 and 丧葬补助 not). A line's 所属期 is never later than its batch's month, so only the batches of
    /// `from` or later are read: one binary COPY of their lines.
    pub fn for_each_paid(
        &self,
        from: YearMonth,
        to: YearMonth,
        mut each: impl FnMut(&str, &str, YearMonth, i64),
    ) -> Result<(), PgError> {
        let batches = self.committed_refs(from, None)?;
        self.paid_of(&batches, from, to, &mut each)
    }

    /// `for_each_paid` with the batches split in two halves of about equal line counts, `first` given the lines
    /// of one half and `second` those of the other (one after the other, on this connection: the server does
    /// the reading, the COPY stream is the client's cost).
    pub fn for_each_paid_split(
        &self,
        from: YearMonth,
        to: YearMonth,
        mut first: impl FnMut(&str, &str, YearMonth, i64),
        mut second: impl FnMut(&str, &str, YearMonth, i64) + Send,
    ) -> Result<(), PgError> {
        let (mine, theirs) = split(self.committed_refs(from, None)?);
        self.paid_of(&mine, from, to, &mut first)?;
        self.paid_of(&theirs, from, to, &mut second)
    }

    fn paid_of(
        &self,
        batches: &[BatchRef],
        from: YearMonth,
        to: YearMonth,
        each: &mut dyn FnMut(&str, &str, YearMonth, i64),
    ) -> Result<(), PgError> {
        if batches.is_empty() {
            return Ok(());
        }
        // COPY takes no parameters: the batch ids are numbers and the months `YYYY-MM`, written by youfu.
        let ids: Vec<String> = batches.iter().map(|b| b.id.to_string()).collect();
        let sql = format!(
            "COPY (SELECT person_id, item, period, amount_fen FROM lines
                    WHERE batch_id IN ({}) AND period BETWEEN '{from}' AND '{to}' AND kind IN ('正常', '补发'))
             TO STDOUT (FORMAT binary)",
            ids.join(", ")
        );
        let mut client = self.conn();
        let reader = client.copy_out(&sql).map_err(|e| self.db(e))?;
        let mut rows = BinaryCopyOutIter::new(reader, &[Type::TEXT, Type::TEXT, Type::TEXT, Type::INT8]);
        let mut last: Option<(String, YearMonth)> = None;
        while let Some(row) = rows.next().map_err(|e| self.db(e))? {
            let (id, item, period, fen) = (
                row.try_get::<&str>(0).map_err(|e| self.db(e))?,
                row.try_get::<&str>(1).map_err(|e| self.db(e))?,
                row.try_get::<&str>(2).map_err(|e| self.db(e))?,
                row.try_get::<i64>(3).map_err(|e| self.db(e))?,
            );
            let month = match &last {
                Some((t, m)) if t == period => *m,
                _ => {
                    let m = parse_month(period).map_err(|e| self.corrupt(e))?;
                    last = Some((period.to_string(), m));
                    m
                }
            };
            each(id, item, month, fen);
        }
        Ok(())
    }

    /// How many lines the county's committed batches of `from` or later hold (an upper bound for
    /// `for_each_paid`).
    pub fn committed_lines_since(&self, from: YearMonth) -> Result<u64, PgError> {
        let row = self
            .conn()
            .query_one(
                "SELECT COALESCE(sum(line_count), 0)::bigint FROM batches
                  WHERE county_code = $1 AND status = 'committed' AND month >= $2",
                &[&self.county, &from.to_string()],
            )
            .map_err(|e| self.db(e))?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    /// 身份证号 of everyone whose 丧葬补助 the county has committed.
    pub fn funeral_paid_ids(&self) -> Result<std::collections::HashSet<String>, PgError> {
        let rows = self
            .conn()
            .query("SELECT person_id FROM lines WHERE kind = '丧葬补助' AND county_code = $1", &[&self.county])
            .map_err(|e| self.db(e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Count the county's committed lines whose batch month lies in [from, to] per group (see `PeriodCounts`):
    /// each batch from its packed report columns (draft order; a returned line is skipped by its place in the
    /// draft), a batch without them (they did not pack) line by line.
    pub fn period_counts(&self, from: YearMonth, to: YearMonth) -> Result<PeriodCounts, PgError> {
        self.period_counts_in(&self.county, from, to)
    }

    /// The 行政区划代码 of every county with a batch in the ledger, in code order (a city's `--all-counties`).
    pub fn counties(&self) -> Result<Vec<String>, PgError> {
        let rows = self
            .conn()
            .query("SELECT DISTINCT county_code FROM batches ORDER BY county_code", &[])
            .map_err(|e| self.db(e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// `period_counts` of each of `counties`, in that order (the city's or province's report).
    pub fn county_period_counts(
        &self,
        counties: &[String],
        from: YearMonth,
        to: YearMonth,
    ) -> Result<Vec<PeriodCounts>, PgError> {
        counties.iter().map(|c| self.period_counts_in(c, from, to)).collect()
    }

    /// `batches` of each of `counties`, in that order.
    pub fn county_batches(&self, counties: &[String]) -> Result<Vec<Vec<BatchInfo>>, PgError> {
        let tail = "ORDER BY b.month, (b.status = 'committed') DESC, b.id";
        counties.iter().map(|c| self.batch_where_in(&mut self.conn(), c, tail, &[])).collect()
    }

    fn period_counts_in(&self, county: &str, from: YearMonth, to: YearMonth) -> Result<PeriodCounts, PgError> {
        let batches = self.committed_refs_in(county, from, Some(to))?;
        let mut counter = Counter::default();
        let mut client = self.conn();
        for batch in &batches {
            let returned: Vec<i32> = client
                .query(
                    "SELECT l.line_no FROM returned_lines x JOIN bank_returns r ON r.id = x.return_id
                       JOIN lines l ON l.id = x.line_id WHERE r.batch_id = $1",
                    &[&batch.id],
                )
                .map_err(|e| self.db(e))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let packed = client
                .query_opt("SELECT line_count, total_fen, data FROM packed_lines WHERE batch_id = $1", &[&batch.id])
                .map_err(|e| self.db(e))?;
            if let Some(row) = packed {
                let (count, total, data): (i64, i64, &[u8]) = (row.get(0), row.get(1), row.get(2));
                if returned.iter().all(|&n| n >= 0 && i64::from(n) < count) {
                    let mut skip = vec![false; if returned.is_empty() { 0 } else { count as usize }];
                    for n in &returned {
                        skip[*n as usize] = true;
                    }
                    counter
                        .packed(batch.month, data, count as u64, total, &skip)
                        .map_err(|what| self.corrupt(format!("{} 批次的汇总明细无法读取（{what}）", batch.month)))?;
                    continue;
                }
            }
            let gone: rustc_hash::FxHashSet<i32> = returned.into_iter().collect();
            let rows = client
                .query(
                    "SELECT person_id, period, kind, category, item, town, amount_fen, line_no FROM lines
                      WHERE batch_id = $1",
                    &[&batch.id],
                )
                .map_err(|e| self.db(e))?;
            for r in &rows {
                let kind = parse_kind(r.get(2)).map_err(|e| self.corrupt(e))?;
                counter.line(
                    batch.month,
                    r.get(0),
                    r.get(1),
                    kind,
                    [r.get(3), r.get(4), r.get(5)],
                    r.get(6),
                    gone.contains(&r.get::<_, i32>(7)),
                );
            }
            counter.end_batch();
        }
        Ok(counter.finish(from, to))
    }

    /// The bank transfers recorded with the county's committed batch of the month (its 代发 file), in 序号 order,
    /// and the batch id. `None` when the month has no committed batch.
    pub fn transfers(&self, month: YearMonth) -> Result<Option<(i64, Vec<TransferRecord>)>, PgError> {
        let mut client = self.conn();
        let Some(batch) = self.committed_batch_on(&mut client, month)? else { return Ok(None) };
        let rows = client
            .query("SELECT data FROM transfers WHERE batch_id = $1 ORDER BY seq", &[&batch.id])
            .map_err(|e| self.db(e))?;
        let mut out = Vec::new();
        for row in &rows {
            let chunk: Vec<(u32, i64, i64, i64, String, String)> = serde_json::from_str(row.get(0))
                .map_err(|e| self.corrupt(format!("{month} 批次的代发记录无法读取（{e}）")))?;
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

    /// The committed lines of the county's batch `batch_id` whose place in the draft (`line_no`) is in
    /// `[first, first + n)`, for the transfers in `spans` (each `(first, n)`), in that order.
    pub fn transfer_lines(&self, batch_id: i64, spans: &[(i64, i64)]) -> Result<Vec<Vec<PaidLine>>, PgError> {
        let mut wanted: Vec<i32> = Vec::new();
        for &(first, n) in spans {
            wanted.extend((first..first + n).filter_map(|no| i32::try_from(no).ok()));
        }
        let lines =
            self.lines_where("AND l.batch_id = $2 AND l.line_no = ANY($3) ORDER BY l.line_no", &[&batch_id, &wanted])?;
        let mut by_no: rustc_hash::FxHashMap<i64, PaidLine> = Default::default();
        let nos = self
            .conn()
            .query("SELECT id, line_no FROM lines WHERE batch_id = $1 AND line_no = ANY($2)", &[&batch_id, &wanted])
            .map_err(|e| self.db(e))?;
        let no_of: rustc_hash::FxHashMap<i64, i32> = nos.iter().map(|r| (r.get(0), r.get(1))).collect();
        for line in lines {
            if let Some(&no) = no_of.get(&line.line_id) {
                by_no.insert(i64::from(no), line);
            }
        }
        Ok(spans.iter().map(|&(first, n)| (first..first + n).filter_map(|no| by_no.remove(&no)).collect()).collect())
    }
}
