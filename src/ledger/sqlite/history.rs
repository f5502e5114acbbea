//! The SQLite ledger's side of `ledger copy` (see `ledger::history`): `export` reads the committed history in month
//! order; `Import` writes a history in ONE `BEGIN IMMEDIATE` transaction, each batch through the same steps as
//! `pay` and `commit` (`draft_in`, `write_transfers`, `commit_in`) and its 退回 events as `record_returns`
//! (`insert_returns`), so the schema's triggers and unique indexes judge the copied lines exactly as they judge a
//! commit — nothing is inserted into `lines` by any other path, and no trigger is relaxed. `month_tallies` counts
//! each committed month from its rows.
//!
//! A batch's lines are held in memory until the batch is complete (its draft is written in one go, as `pay`
//! writes it): a county's month is thousands of lines; a province's million-line month needs a few hundred MB.

use super::Ledger;
use super::sql::{parse_text, sql_err};
use super::store::{commit_in, draft_in, insert_returns, write_transfers};
use crate::domain::PaymentKind;
use crate::domain::month::YearMonth;
use crate::ledger::{
    BatchStatus, HistoryBatch, HistoryItem, HistoryLine, HistoryReturn, HistoryWriter, LedgerError, MonthTally,
    NewBatch, NewLine, NewReturn, TransferRecord, TransferRef,
};
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, TransactionBehavior};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::path::PathBuf;

impl Ledger {
    /// The committed history in month order, streamed to `sink` (see `LedgerStore::export`).
    pub fn export(&self, sink: &mut dyn FnMut(HistoryItem) -> Result<(), LedgerError>) -> Result<(), LedgerError> {
        let path = self.path();
        let err = |e| sql_err(path, e);
        let conn = self.conn();
        let batches: Vec<_> = self.batches()?.into_iter().filter(|b| b.status == BatchStatus::Committed).collect();
        let mut lines = conn
            .prepare(
                "SELECT l.id, l.line_no, l.person_id, l.name, l.category, l.town, l.item, l.period, l.kind,
                        l.amount_fen, c.standard_row, c.standard_start, c.basis, c.formula, l.reissue_of
                   FROM lines l JOIN calcs c ON c.id = l.calc_id
                  WHERE l.batch_id = ?1 ORDER BY l.line_no",
            )
            .map_err(err)?;
        let mut returns = conn
            .prepare(
                "SELECT id, transfer_no, person_id, name, account, amount_fen, status, reason, file_name,
                        file_sha256, file_row, recorded_at
                   FROM bank_returns WHERE batch_id = ?1 ORDER BY id",
            )
            .map_err(err)?;
        let mut returned =
            conn.prepare("SELECT line_id FROM returned_lines WHERE return_id = ?1 ORDER BY line_id").map_err(err)?;
        for b in batches {
            let (Some(committed_at), Some(pay_date)) = (b.committed_at.clone(), b.pay_date) else {
                return Err(LedgerError::Corrupt {
                    path: path.to_path_buf(),
                    detail: format!("{} 批次已确认发放，却没有确认时间或发放日期", b.month),
                });
            };
            sink(HistoryItem::Batch(HistoryBatch {
                month: b.month,
                created: b.created,
                committed_at,
                pay_date,
                late_reason: b.late_reason,
                inputs_digest: b.inputs_digest,
                outputs_digest: b.outputs_digest,
                tool_version: b.tool_version,
                entitled_fen: b.entitled_fen,
                shortfalls: b.shortfalls,
            }))?;
            // The line numbers in order: a transfer names its first line by number, the copy by place (the same
            // for every batch written since transfers were kept; not for lines carried from schema version 3).
            let mut numbers: Vec<i64> = Vec::new();
            let mut rows = lines.query([b.id]).map_err(err)?;
            while let Some(r) = rows.next().map_err(err)? {
                numbers.push(r.get(1).map_err(err)?);
                let line = NewLine {
                    id: r.get(2).map_err(err)?,
                    name: r.get(3).map_err(err)?,
                    category: r.get(4).map_err(err)?,
                    town: r.get(5).map_err(err)?,
                    item: r.get(6).map_err(err)?,
                    period: parse_text(7, &r.get::<_, String>(7).map_err(err)?, |s| s.parse::<YearMonth>())
                        .map_err(err)?,
                    kind: parse_text(8, &r.get::<_, String>(8).map_err(err)?, |s| {
                        PaymentKind::from_label(s).ok_or_else(|| format!("未知的明细类型“{s}”"))
                    })
                    .map_err(err)?,
                    amount_fen: r.get(9).map_err(err)?,
                    standard_row: r.get(10).map_err(err)?,
                    standard_start: r
                        .get::<_, Option<String>>(11)
                        .map_err(err)?
                        .map(|s: String| parse_text(11, &s, |t| NaiveDate::parse_from_str(t, "%Y-%m-%d")))
                        .transpose()
                        .map_err(err)?,
                    basis: r.get(12).map_err(err)?,
                    formula: r.get(13).map_err(err)?,
                    reissue_of: r.get(14).map_err(err)?,
                };
                sink(HistoryItem::Line(HistoryLine { source_id: r.get(0).map_err(err)?, line }))?;
            }
            drop(rows);
            if let Some((_, transfers)) = self.transfers(b.month)? {
                for mut t in transfers {
                    t.first_line = match numbers.binary_search(&t.first_line) {
                        Ok(place) => place as i64,
                        Err(_) => {
                            return Err(LedgerError::Corrupt {
                                path: path.to_path_buf(),
                                detail: format!("{} 批次的代发记录（序号 {}）指向不存在的明细", b.month, t.no),
                            });
                        }
                    };
                    sink(HistoryItem::Transfer(t))?;
                }
            }
            let heads: Vec<(i64, HistoryReturn)> = returns
                .query_map([b.id], |r| {
                    Ok((
                        r.get(0)?,
                        HistoryReturn {
                            event: NewReturn {
                                transfer_no: r.get(1)?,
                                id: r.get(2)?,
                                name: r.get(3)?,
                                account: r.get(4)?,
                                amount_fen: r.get(5)?,
                                status: r.get(6)?,
                                reason: r.get(7)?,
                                file_name: r.get(8)?,
                                file_sha256: r.get(9)?,
                                file_row: r.get(10)?,
                            },
                            recorded_at: r.get(11)?,
                            line_ids: Vec::new(),
                        },
                    ))
                })
                .map_err(err)?
                .collect::<Result<_, _>>()
                .map_err(err)?;
            for (id, mut ret) in heads {
                ret.line_ids =
                    returned.query_map([id], |r| r.get(0)).map_err(err)?.collect::<Result<_, _>>().map_err(err)?;
                sink(HistoryItem::Return(ret))?;
            }
        }
        Ok(())
    }

    /// Begin writing a copied history in one transaction (see `LedgerStore::begin_import`).
    pub fn begin_import(&self) -> Result<Import<'_>, LedgerError> {
        let err = |e| sql_err(self.path(), e);
        let tx = rusqlite::Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate).map_err(err)?;
        Ok(Import { ledger: self, tx, path: self.path().to_path_buf(), pending: None, returned: FxHashMap::default() })
    }

    /// Every committed month counted from its rows (see `LedgerStore::month_tallies`).
    pub fn month_tallies(&self) -> Result<Vec<MonthTally>, LedgerError> {
        let path = self.path();
        let err = |e| sql_err(path, e);
        let conn = self.conn();
        let month_of = |i: usize, r: &rusqlite::Row| -> rusqlite::Result<YearMonth> {
            parse_text(i, &r.get::<_, String>(i)?, |s| s.parse::<YearMonth>())
        };
        let mut out: BTreeMap<YearMonth, MonthTally> = BTreeMap::new();
        let mut stmt = conn
            .prepare(
                "SELECT b.id, b.month, COUNT(l.id), COALESCE(SUM(l.amount_fen), 0),
                        COUNT(CASE WHEN l.kind = '正常' THEN 1 END), COUNT(CASE WHEN l.kind = '补发' THEN 1 END),
                        COUNT(CASE WHEN l.kind = '丧葬补助' THEN 1 END), COUNT(l.reissue_of)
                   FROM batches b LEFT JOIN lines l ON l.batch_id = b.id
                  WHERE b.status = 'committed' GROUP BY b.id ORDER BY b.month",
            )
            .map_err(err)?;
        let rows: Vec<(i64, MonthTally)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    MonthTally {
                        lines: r.get(2)?,
                        total_fen: r.get(3)?,
                        regular: r.get(4)?,
                        arrears: r.get(5)?,
                        funeral: r.get(6)?,
                        reissues: r.get(7)?,
                        ..MonthTally::empty(month_of(1, r)?)
                    },
                ))
            })
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        for (_, t) in rows {
            let month = t.month;
            out.insert(month, t);
        }
        for (month, t) in out.iter_mut() {
            if let Some((_, transfers)) = self.transfers(*month)? {
                t.transfers = transfers.len() as i64;
                t.transfer_fen = transfers.iter().map(|x| x.amount_fen).sum();
            }
        }
        let mut stmt = conn
            .prepare(
                "SELECT r.month, COUNT(DISTINCT r.id),
                        (SELECT COUNT(*) FROM returned_lines x JOIN bank_returns r2 ON r2.id = x.return_id
                          WHERE r2.month = r.month),
                        (SELECT COALESCE(SUM(l.amount_fen), 0) FROM returned_lines x
                           JOIN bank_returns r2 ON r2.id = x.return_id JOIN lines l ON l.id = x.line_id
                          WHERE r2.month = r.month)
                   FROM bank_returns r GROUP BY r.month",
            )
            .map_err(err)?;
        let returns: Vec<(YearMonth, i64, i64, i64)> = stmt
            .query_map([], |r| Ok((month_of(0, r)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        for (month, events, lines, fen) in returns {
            let t = out.entry(month).or_insert_with(|| MonthTally::empty(month));
            (t.returns, t.returned_lines, t.returned_fen) = (events, lines, fen);
        }
        Ok(out.into_values().collect())
    }
}

/// A batch being copied: its header, lines (with their source ids, by place) and transfers, written as a draft and
/// committed when the next batch, a 退回 event or the end comes.
struct PendingBatch {
    head: HistoryBatch,
    lines: Vec<NewLine>,
    source_ids: Vec<i64>,
    transfers: Vec<TransferRecord>,
}

/// The batch last committed by the copy: its id and month, and its lines' target ids by source id (for its 退回
/// events, which name source ids).
struct Written {
    batch_id: i64,
    month: YearMonth,
    ids: FxHashMap<i64, i64>,
}

/// A history being written inside one transaction (`Ledger::begin_import`).
pub struct Import<'l> {
    ledger: &'l Ledger,
    tx: rusqlite::Transaction<'l>,
    path: PathBuf,
    pending: Option<Result<PendingBatch, Written>>,
    /// Target id of every returned line written, by source id: what a later 重发 line's `reissue_of` names.
    returned: FxHashMap<i64, i64>,
}

impl Import<'_> {
    fn rejected(&self, detail: String) -> LedgerError {
        LedgerError::Rejected { path: self.path.clone(), detail }
    }

    /// Write the pending batch as a draft and commit it (as `pay` then `commit` would), if one is pending.
    fn write_pending(&mut self) -> Result<(), LedgerError> {
        let Some(Ok(batch)) = self.pending.take() else { return Ok(()) };
        let PendingBatch { head, mut lines, source_ids, transfers } = batch;
        let err = |e| sql_err(&self.path, e);
        let held: Option<String> = self
            .tx
            .query_row("SELECT status FROM batches WHERE month = ?1 LIMIT 1", [head.month.to_string()], |r| r.get(0))
            .optional()
            .map_err(err)?;
        if held.is_some() {
            return Err(LedgerError::MonthsHeld { shown: self.path.display().to_string(), months: vec![head.month] });
        }
        for line in lines.iter_mut() {
            if let Some(of) = line.reissue_of {
                line.reissue_of = Some(*self.returned.get(&of).ok_or_else(|| {
                    self.rejected(format!(
                        "{} 批次中 {}（{}）的重发明细所针对的退回明细不在复制的历史中",
                        head.month, line.name, line.id
                    ))
                })?);
            }
        }
        let new = NewBatch {
            month: head.month,
            created: head.created.clone(),
            inputs_digest: head.inputs_digest.clone(),
            outputs_digest: head.outputs_digest.clone(),
            tool_version: head.tool_version.clone(),
            entitled_fen: head.entitled_fen.unwrap_or(0),
            shortfalls: head.shortfalls.clone(),
        };
        let draft = draft_in(&self.tx, &self.path, &new, lines.iter().map(NewLine::line_ref), None)?;
        drop(lines);
        if head.entitled_fen.is_none() {
            // A batch from before the ledger kept it: kept unknown, as in the source (the draft is still a draft).
            self.tx.execute("UPDATE batches SET entitled_fen = NULL WHERE id = ?1", [draft.id]).map_err(err)?;
        }
        write_transfers(
            &self.tx,
            &self.path,
            draft.id,
            transfers.iter().map(|t| TransferRef {
                no: t.no,
                first_line: t.first_line as usize,
                lines: t.lines as usize,
                amount_fen: t.amount_fen,
                id: &t.id,
                account: &t.account,
            }),
        )?;
        commit_in(
            &self.tx,
            &self.path,
            head.month,
            head.pay_date,
            &head.committed_at,
            &head.inputs_digest,
            head.late_reason.as_deref(),
        )?;
        // The target's ids of the batch's lines, by place (`line_no` is the place in the draft).
        let mut ids = FxHashMap::default();
        let mut stmt = self.tx.prepare("SELECT line_no, id FROM lines WHERE batch_id = ?1").map_err(err)?;
        let mut rows = stmt.query([draft.id]).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let (no, id): (i64, i64) = (r.get(0).map_err(err)?, r.get(1).map_err(err)?);
            if let Some(source) = usize::try_from(no).ok().and_then(|n| source_ids.get(n)) {
                ids.insert(*source, id);
            }
        }
        drop(rows);
        drop(stmt);
        self.pending = Some(Err(Written { batch_id: draft.id, month: head.month, ids }));
        Ok(())
    }
}

impl HistoryWriter for Import<'_> {
    fn push(&mut self, item: HistoryItem) -> Result<(), LedgerError> {
        match item {
            HistoryItem::Batch(head) => {
                self.write_pending()?;
                self.pending =
                    Some(Ok(PendingBatch { head, lines: Vec::new(), source_ids: Vec::new(), transfers: Vec::new() }));
                Ok(())
            }
            HistoryItem::Line(l) => match &mut self.pending {
                Some(Ok(b)) => {
                    b.source_ids.push(l.source_id);
                    b.lines.push(l.line);
                    Ok(())
                }
                _ => Err(self.rejected("复制的历史中有明细不属于任何批次".into())),
            },
            HistoryItem::Transfer(t) => match &mut self.pending {
                Some(Ok(b)) => {
                    b.transfers.push(t);
                    Ok(())
                }
                _ => Err(self.rejected("复制的历史中有代发记录不在其批次的明细之后".into())),
            },
            HistoryItem::Return(r) => {
                self.write_pending()?;
                let Some(Err(w)) = &self.pending else {
                    return Err(self.rejected("复制的历史中有退回记录不属于任何批次".into()));
                };
                let mut lines = Vec::with_capacity(r.line_ids.len());
                for source in &r.line_ids {
                    let Some(&id) = w.ids.get(source) else {
                        return Err(self.rejected(format!(
                            "{} 批次的退回记录（序号 {}）指向不在该批次中的明细",
                            w.month, r.event.transfer_no
                        )));
                    };
                    lines.push((*source, id));
                }
                let (batch_id, month) = (w.batch_id, w.month);
                let ids: Vec<i64> = lines.iter().map(|&(_, id)| id).collect();
                insert_returns(&self.tx, &self.path, batch_id, month, &r.recorded_at, &[(r.event, ids)])?;
                self.returned.extend(lines);
                Ok(())
            }
        }
    }

    fn tallies(&mut self) -> Result<Vec<MonthTally>, LedgerError> {
        self.write_pending()?;
        self.ledger.month_tallies()
    }

    fn finish(mut self: Box<Self>) -> Result<(), LedgerError> {
        self.write_pending()?;
        let Import { tx, path, .. } = *self;
        tx.commit().map_err(|e| sql_err(&path, e))
    }
}
