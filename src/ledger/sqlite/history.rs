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
            let header = HistoryBatch::of_committed(b.clone())
                .map_err(|detail| LedgerError::Corrupt { path: path.to_path_buf(), detail })?;
            sink(HistoryItem::Batch(header))?;
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
        // A batch already written (`Err(Written)`) stays for the 退回 events that follow it.
        if !matches!(self.pending, Some(Ok(_))) {
            return Ok(());
        }
        let Some(Ok(batch)) = self.pending.take() else { unreachable!("checked above") };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{LedgerStore, history::check_copy};

    const ZHANG: &str = "11010519491231002X";
    const LI: &str = "440524188001010014";
    const WANG: &str = "440304198001010017";

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn line(id: &str, period: &str, kind: PaymentKind, amount_fen: i64, reissue_of: Option<i64>) -> NewLine {
        NewLine {
            id: id.to_string(),
            name: match id {
                ZHANG => "张三",
                LI => "李四",
                _ => "王五",
            }
            .to_string(),
            category: "残疾军人".to_string(),
            town: "城关镇".to_string(),
            item: "残疾抚恤金".to_string(),
            period: ym(period),
            kind,
            amount_fen,
            standard_row: Some(3),
            standard_start: NaiveDate::from_ymd_opt(2023, 8, 1),
            basis: format!("样例通知（{id}）"),
            formula: "106670 元/年 ÷ 12 = 8889.1666… → 8889.17".to_string(),
            reissue_of,
        }
    }

    /// Draft `lines` for `month` with one transfer a line (序号 from 1), commit it paid on the 15th.
    fn pay(ledger: &Ledger, month: &str, lines: &[NewLine], late: Option<&str>) -> i64 {
        let header = NewBatch {
            month: ym(month),
            created: format!("{month}-10T09:00:00+08:00"),
            inputs_digest: format!("in-{month}"),
            outputs_digest: format!("out-{month}"),
            tool_version: "0.1.0".into(),
            entitled_fen: lines.iter().map(|l| l.amount_fen).sum(),
            shortfalls: "[]".into(),
        };
        let mut draft = ledger.begin_draft(&header, lines.iter().map(NewLine::line_ref)).unwrap();
        let accounts: Vec<String> = (0..lines.len()).map(|i| format!("62170000000000{i:05}")).collect();
        draft
            .add_transfers(lines.iter().enumerate().map(|(i, l)| TransferRef {
                no: i as u32 + 1,
                first_line: i,
                lines: 1,
                amount_fen: l.amount_fen,
                id: &l.id,
                account: &accounts[i],
            }))
            .unwrap();
        draft.finish(&header.outputs_digest).unwrap();
        let pay_date = NaiveDate::parse_from_str(&format!("{month}-15"), "%Y-%m-%d").unwrap();
        let info =
            ledger.commit(ym(month), pay_date, &format!("{month}-18T10:00:00+08:00"), &header.inputs_digest, late);
        info.unwrap().id
    }

    fn returned(ledger: &Ledger, month: &str, no: u32, id: &str, fen: i64, line_id: i64) {
        let batch = ledger.batch(ym(month)).unwrap().unwrap().id;
        let event = NewReturn {
            transfer_no: no,
            id: id.into(),
            name: "李四".into(),
            account: "6217000000000000001".into(),
            amount_fen: fen,
            status: "失败".into(),
            reason: "账户已销户".into(),
            file_name: "回盘.csv".into(),
            file_sha256: "ab".repeat(32),
            file_row: 3,
        };
        ledger.record_returns(batch, ym(month), "2024-03-20T09:00:00+08:00", &[(event, vec![line_id])]).unwrap();
    }

    /// March: 张三 888917 and 李四 233300 (returned); April: both again, 李四's March re-issued (重发), late.
    fn source(dir: &std::path::Path) -> Ledger {
        let ledger = Ledger::create(&dir.join("a.db")).unwrap();
        pay(
            &ledger,
            "2024-03",
            &[
                line(ZHANG, "2024-03", PaymentKind::Regular, 888_917, None),
                line(LI, "2024-03", PaymentKind::Regular, 233_300, None),
            ],
            None,
        );
        let li = ledger.batch_lines(ym("2024-03")).unwrap().into_iter().find(|l| l.id == LI).unwrap();
        returned(&ledger, "2024-03", 2, LI, 233_300, li.line_id);
        pay(
            &ledger,
            "2024-04",
            &[
                line(ZHANG, "2024-04", PaymentKind::Regular, 888_917, None),
                line(LI, "2024-04", PaymentKind::Regular, 233_300, None),
                line(LI, "2024-03", PaymentKind::Reissue, 233_300, Some(li.line_id)),
            ],
            Some("银行系统升级"),
        );
        ledger
    }

    fn export_all(ledger: &Ledger) -> Vec<HistoryItem> {
        let mut items = Vec::new();
        ledger
            .export(&mut |item| {
                items.push(item);
                Ok(())
            })
            .unwrap();
        items
    }

    fn import(target: &Ledger, items: &[HistoryItem]) -> Result<(), LedgerError> {
        let mut w = LedgerStore::begin_import(target)?;
        for item in items {
            w.push(item.clone())?;
        }
        w.finish()
    }

    /// A line as the commands see it, without the ids that are the ledger's own.
    fn without_ids(mut l: crate::ledger::PaidLine) -> crate::ledger::PaidLine {
        (l.line_id, l.batch_id, l.reissue_of) = (0, 0, l.reissue_of.map(|_| 1));
        l
    }

    #[test]
    fn a_history_with_returns_and_reissues_is_copied_with_the_targets_own_ids() {
        let dir = tempfile::tempdir().unwrap();
        let a = source(dir.path());
        let items = export_all(&a);
        // Drafts are not history: a May draft changes nothing exported.
        a.save_draft(
            &NewBatch {
                month: ym("2024-05"),
                created: "c".into(),
                inputs_digest: "i".into(),
                outputs_digest: "o".into(),
                tool_version: "0.1.0".into(),
                entitled_fen: 1,
                shortfalls: "[]".into(),
            },
            [line(WANG, "2024-05", PaymentKind::Regular, 1, None).line_ref()],
        )
        .unwrap();
        assert_eq!(export_all(&a), items);
        // 2 batches + 5 lines + 5 transfers + 1 return.
        assert_eq!(items.len(), 13);

        // The target already holds January for 王五: every id it gives differs from the source's.
        let b = Ledger::create(&dir.path().join("b.db")).unwrap();
        pay(&b, "2024-01", &[line(WANG, "2024-01", PaymentKind::Regular, 100, None)], None);
        import(&b, &items).unwrap();

        let tallies = b.month_tallies().unwrap();
        assert_eq!(tallies.iter().map(|t| t.month.to_string()).collect::<Vec<_>>(), ["2024-01", "2024-03", "2024-04"]);
        assert_eq!(tallies[1..], a.month_tallies().unwrap()[..]);
        check_copy(&a.month_tallies().unwrap(), &tallies, "b.db").unwrap();
        // March: 888917 + 233300 = 1122217, of which 233300 returned; April 888917 + 233300 + 233300 = 1355517.
        assert_eq!(
            (tallies[1].total_fen, tallies[1].returned_fen, tallies[2].total_fen, tallies[2].reissues),
            (1_122_217, 233_300, 1_355_517, 1)
        );
        for month in ["2024-03", "2024-04"] {
            let (x, y) = (a.batch(ym(month)).unwrap().unwrap(), b.batch(ym(month)).unwrap().unwrap());
            assert_ne!(x.id, y.id);
            assert_eq!(BatchInfoNoId::of(x), BatchInfoNoId::of(y));
            let strip = |l: Vec<crate::ledger::PaidLine>| l.into_iter().map(without_ids).collect::<Vec<_>>();
            assert_eq!(strip(a.batch_lines(ym(month)).unwrap()), strip(b.batch_lines(ym(month)).unwrap()));
            assert_eq!(a.transfers(ym(month)).unwrap().unwrap().1, b.transfers(ym(month)).unwrap().unwrap().1);
        }
        // The 重发 names the target's returned March line, not the source's id.
        let march_li = b.batch_lines(ym("2024-03")).unwrap().into_iter().find(|l| l.id == LI).unwrap();
        let source_li = a.batch_lines(ym("2024-03")).unwrap().into_iter().find(|l| l.id == LI).unwrap();
        assert_ne!(march_li.line_id, source_li.line_id);
        let reissue =
            b.batch_lines(ym("2024-04")).unwrap().into_iter().find(|l| l.kind == PaymentKind::Reissue).unwrap();
        assert_eq!(reissue.reissue_of, Some(march_li.line_id));
        assert_eq!(march_li.reissued_in, Some(ym("2024-04")));
        let strip = |r: Vec<crate::ledger::ReturnRecord>| {
            r.into_iter()
                .map(|mut r| {
                    r.lines.iter_mut().for_each(|l| l.line_id = 0);
                    r
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            strip(a.returns(ym("2024-01"), ym("2024-12")).unwrap()),
            strip(b.returns(ym("2024-01"), ym("2024-12")).unwrap())
        );
        assert!(b.returns_pending().unwrap().is_empty());
        // The target's own January is as it was; its tallies are its own.
        assert_eq!(tallies[0].total_fen, 100);
    }

    /// `BatchInfo` without its id.
    #[derive(Debug, PartialEq)]
    struct BatchInfoNoId(crate::ledger::BatchInfo);
    impl BatchInfoNoId {
        fn of(mut b: crate::ledger::BatchInfo) -> Self {
            b.id = 0;
            BatchInfoNoId(b)
        }
    }

    #[test]
    fn a_month_the_target_holds_even_as_a_draft_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let a = source(dir.path());
        let items = export_all(&a);
        let b = Ledger::create(&dir.path().join("b.db")).unwrap();
        b.save_draft(
            &NewBatch {
                month: ym("2024-04"),
                created: "c".into(),
                inputs_digest: "i".into(),
                outputs_digest: "o".into(),
                tool_version: "0.1.0".into(),
                entitled_fen: 1,
                shortfalls: "[]".into(),
            },
            [line(WANG, "2024-04", PaymentKind::Regular, 1, None).line_ref()],
        )
        .unwrap();
        let before = b.batches().unwrap();
        let e = import(&b, &items).unwrap_err();
        assert_eq!(e.code(), "LEDGER_MONTHS_HELD");
        assert!(
            e.to_string()
                .starts_with(&format!("目标台账 {} 已有本县（市、区）2024-04 的发放批次，", b.path().display())),
            "{e}"
        );
        assert_eq!(b.batches().unwrap(), before);
        assert!(b.month_tallies().unwrap().is_empty());
        // A writer dropped before `finish` leaves nothing either (the CLI's rollback on a mismatch).
        let c = Ledger::create(&dir.path().join("c.db")).unwrap();
        let mut w = LedgerStore::begin_import(&c).unwrap();
        for item in &items {
            w.push(item.clone()).unwrap();
        }
        assert_eq!(w.tallies().unwrap().len(), 2);
        drop(w);
        assert!(c.batches().unwrap().is_empty());
    }

    #[test]
    fn the_targets_database_still_refuses_a_second_payment_through_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let a = source(dir.path());
        let items = export_all(&a);
        // The target paid 张三's March in its own May (as 正常 of 所属期 2024-03).
        let b = Ledger::create(&dir.path().join("b.db")).unwrap();
        pay(&b, "2024-05", &[line(ZHANG, "2024-03", PaymentKind::Regular, 888_917, None)], None);
        let e = import(&b, &items).unwrap_err();
        assert_eq!(e.code(), "ALREADY_PAID");
        assert!(
            e.to_string()
                .starts_with("张三（11010519491231002X）的残疾抚恤金 2024-03 正常已在 2024-05 发放批次中确认发放"),
            "{e}"
        );
        assert_eq!(b.month_tallies().unwrap().iter().map(|t| t.month.to_string()).collect::<Vec<_>>(), ["2024-05"]);
    }

    #[test]
    fn a_copy_that_reads_back_differently_is_named_by_month() {
        let dir = tempfile::tempdir().unwrap();
        let a = source(dir.path());
        let mut items = export_all(&a);
        // One April line changed on its way (what the check is there to catch).
        let HistoryItem::Line(l) = &mut items[7] else { panic!("{:?}", items[7]) };
        l.line.amount_fen -= 1;
        let b = Ledger::create(&dir.path().join("b.db")).unwrap();
        let mut w = LedgerStore::begin_import(&b).unwrap();
        for item in items {
            w.push(item).unwrap();
        }
        let e = check_copy(&a.month_tallies().unwrap(), &w.tallies().unwrap(), "b.db").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "复制到台账 b.db 后逐月核对不符：2024-04 明细金额源台账 13,555.17 元、目标台账 13,555.16 元"
            ),
            "{e}"
        );
        drop(w);
        assert!(b.batches().unwrap().is_empty());
    }
}
