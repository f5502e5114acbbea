//! Counting a period's committed lines per group for the report (`Ledger::period_counts`), without holding the
//! lines and without asking SQLite to sort them.
//!
//! A batch committed since schema version 6 is read from its packed lines (`packed`: one blob, its texts numbered
//! once), a province's month in a fraction of a second. Older batches are read from `lines`:
//! each batch's lines are read by a rowid range scan (`SEARCH lines USING INTEGER PRIMARY KEY`): `commit` appends
//! a batch's lines in one `INSERT … SELECT`, so its rowids are contiguous and the scan reads the table's pages in
//! order, with no per-row index seek and no temporary B-tree (a v3 ledger carried forward may have other batches'
//! rows inside the range: they are skipped by their `batch_id`). The batch's span comes from two seeks of
//! `lines_by_batch` (MIN / MAX of the rowid). Distinct persons and (person, 所属期) pairs are counted with a dense
//! person number (the 身份证号 packed into a u64) and one bit per person in each group (per 所属期 for the pairs),
//! so the lines may come in any order; group names are interned, no String per row.
//!
//! With two batches or more the batches are split in two halves of about equal line counts, each counted on its
//! own thread and connection (SQLite's stepping is most of the cost, and one connection is one thread); the two
//! tallies are then merged, persons matched by 身份证号, so a person seen on both sides counts once.

use super::sql::{parse_text, sql_err};
use crate::domain::PaymentKind;
use crate::domain::month::YearMonth;
use crate::ledger::packed::Packed;
use crate::ledger::tally::{BatchRef, Counted, Tally, split};
use crate::ledger::{LedgerError, PeriodCounts};
use rusqlite::Connection;
use rusqlite::types::Type;
use std::path::Path;

/// See the module header. `open_reader` opens the second connection (only called with two batches or more).
pub(super) fn period_counts(
    conn: &Connection,
    path: &Path,
    from: YearMonth,
    to: YearMonth,
    open_reader: impl FnOnce() -> Result<Connection, LedgerError> + Send,
) -> Result<PeriodCounts, LedgerError> {
    let batches = committed_batches(conn, path, from, Some(to))?;
    let (mine, theirs) = split(batches);
    let (mut counted, other) = if theirs.is_empty() {
        (count(conn, path, &mine)?, None)
    } else {
        let (counted, other) =
            crate::parallel::alongside(|| count(conn, path, &mine), || count(&open_reader()?, path, &theirs));
        (counted?, Some(other?))
    };
    if let Some(other) = other {
        counted.tally.merge(other.tally);
        counted.months.extend(other.months);
    }
    Ok(counted.finish(from, to))
}

/// The committed batches of the months from `from` to `to` (or on, without `to`), in month order.
pub(super) fn committed_batches(
    conn: &Connection,
    path: &Path,
    from: YearMonth,
    to: Option<YearMonth>,
) -> Result<Vec<BatchRef>, LedgerError> {
    let err = |e| sql_err(path, e);
    let mut stmt = conn
        .prepare(
            "SELECT id, month, COALESCE(line_count, 0) FROM batches
              WHERE status = 'committed' AND month >= ?1 AND (?2 IS NULL OR month <= ?2) ORDER BY month",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map(rusqlite::params![from.to_string(), to.map(|m| m.to_string())], |r| {
            let month: String = r.get(1)?;
            Ok(BatchRef { id: r.get(0)?, month: parse_text(1, &month, |s| s.parse::<YearMonth>())?, lines: r.get(2)? })
        })
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}

/// Count `batches` on `conn` into a new tally.
fn count(conn: &Connection, path: &Path, batches: &[BatchRef]) -> Result<Counted, LedgerError> {
    let err = |e| sql_err(path, e);
    let mut span = conn.prepare(PERIOD_COUNTS_SPAN).map_err(err)?;
    let mut scan = conn.prepare(PERIOD_COUNTS_SCAN).map_err(err)?;
    let mut packed = conn.prepare(PACKED_LINES).map_err(err)?;
    let mut returned = conn.prepare(RETURNED_LINES).map_err(err)?;
    let mut tally = Tally::default();
    let mut months = Vec::with_capacity(batches.len());
    for batch in batches {
        // The lines the bank returned did not reach their recipients: counted on their own
        // (`PeriodCounts::returned`). In a packed batch they are found by their place: `commit` inserts a batch's
        // lines in the blob's order with consecutive rowids, so line k of the blob is rowid MIN(id) + k (checked:
        // the span must hold exactly the blob's count, else the batch is read from `lines`).
        let gone: rustc_hash::FxHashSet<i64> =
            returned.query_map([batch.id], |r| r.get(0)).map_err(err)?.collect::<Result<_, _>>().map_err(err)?;
        let span_of = |span: &mut rusqlite::Statement| -> Result<(Option<i64>, Option<i64>), LedgerError> {
            span.query_row([batch.id], |r| Ok((r.get(0)?, r.get(1)?))).map_err(err)
        };
        let mut rows = packed.query([batch.id]).map_err(err)?;
        if let Some(row) = rows.next().map_err(err)? {
            let (count, total): (i64, i64) = (row.get(0).map_err(err)?, row.get(1).map_err(err)?);
            let skip: Option<Vec<bool>> = if gone.is_empty() {
                Some(Vec::new())
            } else {
                match span_of(&mut span)? {
                    (Some(first), Some(last)) if last - first + 1 == count => {
                        let mut skip = vec![false; count as usize];
                        for id in &gone {
                            if let Some(s) = usize::try_from(id - first).ok().and_then(|k| skip.get_mut(k)) {
                                *s = true;
                            }
                        }
                        Some(skip)
                    }
                    _ => None,
                }
            };
            if let Some(skip) = skip {
                let blob = row.get_ref(2).and_then(|v| v.as_blob().map_err(Into::into)).map_err(err)?;
                let damaged = |what: String| LedgerError::Corrupt {
                    path: path.to_path_buf(),
                    detail: format!("{} 批次的汇总明细无法读取（{what}）", batch.month),
                };
                let p = Packed::decode(blob, (count as u64, total)).map_err(damaged)?;
                let (lines, fen) = tally.add_packed(&p, &skip).map_err(damaged)?;
                months.push((batch.month, lines, fen));
                continue;
            }
        }
        drop(rows);
        let (Some(first), Some(last)) = span_of(&mut span)? else { continue };
        let (mut lines, mut amount_fen) = (0u64, 0i64);
        let mut rows = scan.query([first, last, batch.id]).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            // Bytes as stored: a text is checked as UTF-8 (`text`) only when it is new to `tally`.
            let bytes = |i: usize| -> Result<&[u8], LedgerError> {
                r.get_ref(i).and_then(|v| v.as_bytes().map_err(Into::into)).map_err(err)
            };
            let text = |i: usize| -> Result<&str, LedgerError> {
                r.get_ref(i).and_then(|v| v.as_str().map_err(Into::into)).map_err(err)
            };
            let kind = match bytes(2)? {
                k if k == PaymentKind::Regular.label().as_bytes() => PaymentKind::Regular,
                k if k == PaymentKind::Arrears.label().as_bytes() => PaymentKind::Arrears,
                k if k == PaymentKind::Funeral.label().as_bytes() => PaymentKind::Funeral,
                k if k == PaymentKind::Reissue.label().as_bytes() => PaymentKind::Reissue,
                _ => {
                    let kind = text(2)?;
                    return Err(err(rusqlite::Error::FromSqlConversionFailure(
                        2,
                        Type::Text,
                        format!("未知的明细类型“{kind}”").into(),
                    )));
                }
            };
            let amount: i64 = r.get(6).map_err(err)?;
            let period = tally.period_index(bytes(1)?, || text(1))?;
            let person = tally.person_index(bytes(0)?, || text(0))?;
            let mut names = [0; 3];
            for (dim, name) in names.iter_mut().enumerate() {
                *name = tally.name_index(dim, bytes(3 + dim)?, || text(3 + dim))?;
            }
            if !gone.is_empty() && gone.contains(&r.get::<_, i64>(7).map_err(err)?) {
                tally.add_returned(person, period, amount);
                continue;
            }
            tally.add(person, period, kind, names, amount);
            lines += 1;
            amount_fen += amount;
        }
        tally.end_batch();
        months.push((batch.month, lines, amount_fen));
    }
    Ok(Counted { tally, months })
}

/// The ids of batch `?1`'s lines that the bank returned (schema version 7).
const RETURNED_LINES: &str = "SELECT rl.line_id FROM returned_lines rl JOIN bank_returns r ON r.id = rl.return_id
  WHERE r.batch_id = ?1";

/// A batch's packed lines (schema version 6), if `commit` wrote them.
const PACKED_LINES: &str = "SELECT line_count, total_fen, data FROM packed_lines WHERE batch_id = ?1";

/// The first and last rowid of batch `?1`'s lines, for `period_counts`: two seeks of `lines_by_batch`.
pub(super) const PERIOD_COUNTS_SPAN: &str =
    "SELECT (SELECT MIN(id) FROM lines WHERE batch_id = ?1), (SELECT MAX(id) FROM lines WHERE batch_id = ?1)";

/// One batch's lines by rowid range (`?1`..=`?2`), for `period_counts`: a range scan of the table, read in page
/// order (see the test `period_counts_scans_rowid_ranges_without_sorting` for the plan).
/// `+batch_id` (no index on the expression) keeps SQLite on the rowid range; it only skips other batches' rows.
pub(super) const PERIOD_COUNTS_SCAN: &str = "SELECT person_id, period, kind, category, item, town, amount_fen, id
   FROM lines WHERE id BETWEEN ?1 AND ?2 AND +batch_id = ?3";
