//! The batch's data: a payment line, a recipient not paid and why, an overpayment to recover, what the ledger
//! knows (returned lines included). Types only, so that `batch` (which builds a month), `funeral` (which adds the
//! 丧葬补助 line) and `returns` (重发) all use them without importing each other.

use super::amount::Calculation;
use super::exception::ExceptionKind;
use super::paid::PaidIndex;
use crate::domain::{PaymentKind, YearMonth};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;

/// December under the year-end policy: the year's exact entitlement minus the other months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearEndSettlement {
    /// Paid months of the year (December included).
    pub months: u32,
    /// Σ exact monthly amounts, rounded once.
    pub year_exact: Decimal,
    /// Σ rounded amounts of the year's other paid months.
    pub other_months: Decimal,
}

/// One payment line: a recipient, a 项目, a 所属期, an amount. A province's batch holds 1.6 million of them
/// (72 bytes each): what only a few lines have is in `rare`, one allocation for those lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// Index into the roster.
    pub recipient: usize,
    pub item: std::sync::Arc<str>,
    pub period: YearMonth,
    pub kind: PaymentKind,
    pub amount: Decimal,
    /// Index into the standard table (`StandardTable::row` takes a `usize`: `standard as usize`).
    pub standard: u32,
    /// Shared by the lines worked out the same way (a batch has a few hundred distinct ones).
    pub calc: Arc<Calculation>,
    /// The year-end settlement, 丧葬补助 months, amount paid before or returned line, when the line has one.
    #[serde(flatten)]
    pub rare: Option<Box<Rare>>,
}

/// The parts of a `Payment` that only a few lines have (a regular line without a settlement has none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rare {
    /// December under the year-end policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement: Option<YearEndSettlement>,
    /// For a 丧葬补助 line: the number of months it is worth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funeral_months: Option<u32>,
    /// For a 补发 line: what the ledger showed as already paid for that 项目 and 所属期.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_before: Option<Decimal>,
    /// For a 重发 line: the returned line it sends again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reissue: Option<Reissue>,
}

impl Rare {
    /// `Some` unless every part is absent (a line with nothing rare allocates nothing).
    pub fn boxed(self) -> Option<Box<Rare>> {
        (self != Rare::default()).then(|| Box::new(self))
    }
}

impl Payment {
    pub fn settlement(&self) -> Option<&YearEndSettlement> {
        self.rare.as_ref()?.settlement.as_ref()
    }

    pub fn funeral_months(&self) -> Option<u32> {
        self.rare.as_ref()?.funeral_months
    }

    pub fn paid_before(&self) -> Option<Decimal> {
        self.rare.as_ref()?.paid_before
    }

    pub fn reissue(&self) -> Option<&Reissue> {
        self.rare.as_ref()?.reissue.as_ref()
    }
}

/// The returned line a 重发 sends again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reissue {
    /// The returned line's id in the ledger.
    pub line_id: i64,
    /// The month of the batch whose transfer the bank returned.
    pub batch_month: YearMonth,
    /// The bank's status and reason.
    pub reason: String,
    /// 依据 and 标准表 row of the returned line.
    pub basis: String,
    pub standard_row: Option<u32>,
}

/// A recipient (or one of their items) not paid this month, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    pub recipient: usize,
    pub item: Option<String>,
    pub kind: ExceptionKind,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MonthBatch {
    pub payments: Vec<Payment>,
    pub exceptions: Vec<Exception>,
    /// Overpayments found in earlier months, to list for 追缴 (never netted).
    pub recoveries: Vec<Recovery>,
    /// Σ of this month's regular amounts owed to every eligible recipient, paid or not (what 足额 means).
    pub entitled: Decimal,
    /// For each recipient left unpaid for want of an account: this month's regular amount not paid (what the
    /// audit's shortfall is made of; the exception's text also counts the 补发 and 丧葬补助 held back).
    pub unpaid_regular: Vec<(usize, Decimal)>,
}

impl MonthBatch {
    /// Σ of this month's regular lines actually paid.
    pub fn regular_total(&self) -> Decimal {
        self.payments.iter().filter(|p| p.kind == PaymentKind::Regular).map(|p| p.amount).sum()
    }

    /// Eligible recipients left unpaid this month (no account): what makes a batch not 足额.
    pub fn shortfalls(&self) -> impl Iterator<Item = &Exception> {
        self.exceptions.iter().filter(|e| e.kind.is_shortfall())
    }

    pub fn total(&self) -> Decimal {
        self.payments.iter().map(|p| p.amount).sum()
    }

    /// How many roster rows are paid anything (= bank transfers: one per paid row), for a roster of `rows`.
    pub fn paid_rows(&self, rows: usize) -> usize {
        let mut paid = vec![false; rows];
        self.payments.iter().for_each(|p| paid[p.recipient] = true);
        paid.iter().filter(|p| **p).count()
    }
}

/// What the ledger knows, as the pure core needs it.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// First month with a committed batch; `None` for an empty ledger (this batch would be the first).
    pub first_committed: Option<YearMonth>,
    /// Earlier months to re-check for arrears: committed, inside the lookback window.
    pub arrears_months: Vec<YearMonth>,
    /// Σ committed 正常 + 补发 per (person, 项目, 所属期), for `arrears_months`.
    pub paid: PaidIndex,
    /// 身份证号 of people whose 丧葬补助 is already committed.
    pub funeral_paid: HashSet<String>,
    /// Lines the bank returned and no 重发 has sent again yet (`returns::reissues`).
    pub returned: Vec<Returned>,
}

/// An overpayment to list for 追缴: the ledger shows more paid than is owed under today's roster and standards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recovery {
    pub recipient: usize,
    pub item: String,
    pub period: YearMonth,
    pub entitled: Decimal,
    pub paid: Decimal,
    /// paid − entitled, positive.
    pub overpaid: Decimal,
}

/// A committed line the bank returned that no 重发 has sent again yet (from the ledger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returned {
    /// The returned line's id in the ledger.
    pub line_id: i64,
    /// 身份证号.
    pub id: String,
    pub item: String,
    pub period: YearMonth,
    pub amount_fen: i64,
    /// The month of the batch whose transfer came back.
    pub batch_month: YearMonth,
    /// The account the bank returned it from.
    pub account: String,
    pub status: String,
    pub reason: String,
    /// The day the returned transfer was made (its batch's pay date): a death on or after it is "after the return".
    pub returned_on: NaiveDate,
    /// The returned line was itself a 重发 (the one retry into an unchanged account is spent).
    pub was_reissue: bool,
    /// 依据 and 标准表 row of the returned line, carried to its 重发.
    pub basis: String,
    pub standard_row: Option<u32>,
}

#[cfg(test)]
mod tests {
    /// A province's batch holds 1.6 million lines: each byte of a `Payment` is 1.6 MB at the peak of `pay`.
    /// A field added here should be rare (in `Rare`) or say why it is worth its bytes.
    #[test]
    fn a_payment_line_is_72_bytes() {
        assert_eq!(std::mem::size_of::<super::Payment>(), 72);
    }
}
