//! A county's whole committed history as a stream of items, so that `youfu ledger copy` can move a ledger from one
//! backend to another (a county's SQLite file onto the city's PostgreSQL server, and back) through the
//! `LedgerStore` interface alone: `export` gives the items in month order, `begin_import` writes them in one
//! transaction through the target's own draft-and-commit path (so the target's triggers and unique indexes judge
//! every line as they judge a `commit`), and `month_tallies` — counted from the lines and events themselves, not
//! from stored totals — lets the copy be checked month by month before it is committed.
//!
//! Ids are the source's: a target gives its rows ids of its own, so a 重发 line's `reissue_of` and a 退回 event's
//! lines name source ids, which the importer maps to the ids it has written. Drafts are not history: they are
//! never exported (the next `pay` remakes a draft).

use super::{LedgerError, NewLine, NewReturn, TransferRecord};
use crate::domain::month::YearMonth;
use chrono::NaiveDate;
use serde::Serialize;

/// One piece of a county's committed history, in the order `LedgerStore::export` gives them: a `Batch`, then its
/// `Line`s in batch order (the order of its 代发 file), its `Transfer`s in 序号 order, its `Return`s in the order
/// they were recorded; then the next month's `Batch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryItem {
    Batch(HistoryBatch),
    Line(HistoryLine),
    Transfer(TransferRecord),
    Return(HistoryReturn),
}

/// A committed batch's header: everything recorded with it but its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryBatch {
    pub month: YearMonth,
    pub created: String,
    pub committed_at: String,
    pub pay_date: NaiveDate,
    pub late_reason: Option<String>,
    pub inputs_digest: String,
    pub outputs_digest: String,
    pub tool_version: String,
    /// None for batches recorded before the ledger kept it (SQLite schema version 2).
    pub entitled_fen: Option<i64>,
    pub shortfalls: String,
}

impl HistoryBatch {
    /// The header of committed batch `b`, for both backends' `export`. Err: the text of a damaged ledger's
    /// problem — a committed batch without its commit time or pay date — for the backend's `Corrupt` error.
    pub fn of_committed(b: super::BatchInfo) -> Result<HistoryBatch, String> {
        let (Some(committed_at), Some(pay_date)) = (b.committed_at, b.pay_date) else {
            return Err(format!("{} 批次已确认发放，却没有确认时间或发放日期", b.month));
        };
        Ok(HistoryBatch {
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
        })
    }
}

/// A committed line with its id in the source ledger (`line.reissue_of`, for a 重发 line, is a source id too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub source_id: i64,
    pub line: NewLine,
}

/// A 退回 event of the batch just given, with the source ids of the lines it returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryReturn {
    pub event: NewReturn,
    pub recorded_at: String,
    pub line_ids: Vec<i64>,
}

/// A history being written into a ledger (`LedgerStore::begin_import`), inside one open transaction: `finish`
/// commits it, dropping it rolls everything back.
pub trait HistoryWriter {
    /// Write the next item. A `Batch` for a month the ledger already holds (draft or committed) is refused with
    /// `LedgerError::MonthsHeld`; anything the database refuses is refused as by `commit`.
    fn push(&mut self, item: HistoryItem) -> Result<(), LedgerError>;

    /// The ledger's tallies as they stand inside the transaction (the copy read back, before it is committed).
    fn tallies(&mut self) -> Result<Vec<MonthTally>, LedgerError>;

    /// Commit everything written.
    fn finish(self: Box<Self>) -> Result<(), LedgerError>;
}

/// One committed month counted from its lines and events (`LedgerStore::month_tallies`): what `ledger copy`
/// compares between source and target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthTally {
    pub month: YearMonth,
    /// Committed lines and their sum in 分.
    pub lines: i64,
    pub total_fen: i64,
    /// Lines of each kind: 正常, 补发, 丧葬补助, 重发 (a 重发 line is one with `reissue_of`).
    pub regular: i64,
    pub arrears: i64,
    pub funeral: i64,
    pub reissues: i64,
    /// Bank transfers recorded with the batch (its 代发 file) and their sum in 分.
    pub transfers: i64,
    pub transfer_fen: i64,
    /// 退回 events of the batch, the lines they returned, and those lines' sum in 分.
    pub returns: i64,
    pub returned_lines: i64,
    pub returned_fen: i64,
}

impl MonthTally {
    /// A month with nothing in it.
    pub fn empty(month: YearMonth) -> MonthTally {
        MonthTally {
            month,
            lines: 0,
            total_fen: 0,
            regular: 0,
            arrears: 0,
            funeral: 0,
            reissues: 0,
            transfers: 0,
            transfer_fen: 0,
            returns: 0,
            returned_lines: 0,
            returned_fen: 0,
        }
    }

    /// How the month differs between `self` (the source) and `other` (the target), in words; None when equal.
    pub fn differences(&self, other: &MonthTally) -> Option<String> {
        let fields: [(&str, i64, i64, bool); 11] = [
            ("明细笔数", self.lines, other.lines, false),
            ("明细金额", self.total_fen, other.total_fen, true),
            ("正常笔数", self.regular, other.regular, false),
            ("补发笔数", self.arrears, other.arrears, false),
            ("丧葬补助笔数", self.funeral, other.funeral, false),
            ("重发笔数", self.reissues, other.reissues, false),
            ("代发笔数", self.transfers, other.transfers, false),
            ("代发金额", self.transfer_fen, other.transfer_fen, true),
            ("退回记录", self.returns, other.returns, false),
            ("退回明细笔数", self.returned_lines, other.returned_lines, false),
            ("退回金额", self.returned_fen, other.returned_fen, true),
        ];
        let shown = |v: i64, money: bool| {
            if money {
                format!("{} 元", crate::domain::money::yuan_text(crate::domain::money::from_fen(v)))
            } else {
                v.to_string()
            }
        };
        let diffs: Vec<String> = fields
            .iter()
            .filter(|(_, a, b, _)| a != b)
            .map(|(what, a, b, money)| format!("{what}源台账 {}、目标台账 {}", shown(*a, *money), shown(*b, *money)))
            .collect();
        (!diffs.is_empty()).then(|| diffs.join("，"))
    }
}

/// The first month where `target` does not match `source` (a month missing from `target` counts as all zeros),
/// and how: `LedgerError::CopyMismatch`. Months of `target` that `source` does not have are not compared (the
/// target may hold other months of its own).
pub fn check_copy(source: &[MonthTally], target: &[MonthTally], shown: &str) -> Result<(), LedgerError> {
    for s in source {
        let t = target.iter().find(|t| t.month == s.month).cloned().unwrap_or_else(|| MonthTally::empty(s.month));
        if let Some(detail) = s.differences(&t) {
            return Err(LedgerError::CopyMismatch { shown: shown.to_string(), month: s.month, detail });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(month: &str, lines: i64, total_fen: i64) -> MonthTally {
        MonthTally { lines, total_fen, regular: lines, ..MonthTally::empty(month.parse().unwrap()) }
    }

    #[test]
    fn a_copy_that_differs_names_the_first_month_and_what_differs() {
        let source = [tally("2024-03", 360, 54_180_061), tally("2024-04", 361, 55_000_000)];
        // The target may hold other months; equal months pass.
        let mut target = vec![tally("2023-12", 1, 100), source[0].clone(), source[1].clone()];
        assert!(check_copy(&source, &target, "b.db").is_ok());
        target[2].total_fen -= 1;
        target[2].returns = 1;
        let e = check_copy(&source, &target, "b.db").unwrap_err();
        assert_eq!(
            e.to_string(),
            "复制到台账 b.db 后逐月核对不符：2024-04 明细金额源台账 550,000.00 元、目标台账 549,999.99 元，\
             退回记录源台账 0、目标台账 1。复制已全部撤销，目标台账未作任何修改"
        );
        // A month missing from the target counts as empty.
        let e = check_copy(&source, &target[..2], "b.db").unwrap_err();
        assert!(e.to_string().contains("2024-04 明细笔数源台账 361、目标台账 0，明细金额源台账 550,000.00 元、目标台账 0.00 元，正常笔数源台账 361、目标台账 0。"), "{e}");
    }
}
