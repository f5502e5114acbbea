//! A committed payment line as a ledger gives it back (`PaidLine`): who, what, which 所属期, how much, the batch
//! that paid it, and whether the bank returned it. Read by `history`, `explain`, `audit` and `arrears` through the
//! ledger, and counted by the report (`report::figures`), which may not import the ledger — hence here, in the
//! lowest layer, with the ledger re-exporting it as part of its interface.

use super::PaymentKind;
use super::month::YearMonth;
use chrono::NaiveDate;
use serde::Serialize;

/// A committed payment line, with the batch it was paid in, and whether the bank returned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaidLine {
    /// The line's id in the ledger.
    pub line_id: i64,
    pub batch_id: i64,
    /// The month of the batch that paid it (not necessarily the 所属期).
    pub batch_month: YearMonth,
    pub id: String,
    pub name: String,
    pub category: String,
    pub town: String,
    pub item: String,
    pub period: YearMonth,
    pub kind: PaymentKind,
    pub amount_fen: i64,
    pub standard_row: Option<u32>,
    pub basis: String,
    pub formula: String,
    pub pay_date: Option<NaiveDate>,
    /// For a 重发 line: the id of the returned line it re-issues.
    pub reissue_of: Option<i64>,
    /// The bank's 退回 of this line, if it was returned.
    pub returned: Option<ReturnMark>,
    /// The month of the batch whose 重发 line re-issued this (returned) line, if any.
    pub reissued_in: Option<YearMonth>,
}

/// The 退回 of a line: what the bank said and when it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnMark {
    /// The bank's status word (失败, 退回 …) as written in its file.
    pub status: String,
    /// The bank's reason (账户已销户 …).
    pub reason: String,
    pub recorded_at: String,
}

impl PaidLine {
    /// What reached the recipient: the amount, or 0 when the bank returned it.
    pub fn reached_fen(&self) -> i64 {
        if self.returned.is_some() { 0 } else { self.amount_fen }
    }
}
