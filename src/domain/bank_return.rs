//! A bank's 回盘 (return file) as the domain sees it: the transfers a batch sent, and what the bank says of each
//! (paid, or returned with a reason). Reading the file is `input::bank_return`; matching is `compute::returns`.

use super::Location;
use serde::{Deserialize, Serialize};

/// A transfer of a committed batch, as its 代发 file had it (recorded in the ledger with the batch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentTransfer {
    /// 序号 in the bank file, from 1.
    pub no: u32,
    /// The place in the batch (from 0) of its first line, and how many lines it sums.
    pub first_line: i64,
    pub lines: i64,
    pub amount_fen: i64,
    /// 身份证号 and 账号 as sent.
    pub id: String,
    pub account: String,
}

/// What the bank says of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 成功: the money reached the account.
    Paid,
    /// 失败 / 退回: the money came back.
    Returned,
}

/// The status words banks write, by outcome.
pub const PAID_WORDS: &[&str] = &["成功", "交易成功", "处理成功", "已成功", "入账成功", "代发成功", "已入账", "正常"];
pub const RETURNED_WORDS: &[&str] = &[
    "失败",
    "交易失败",
    "处理失败",
    "入账失败",
    "代发失败",
    "退回",
    "已退回",
    "退票",
    "退汇",
    "已退汇",
    "拒绝",
    "不成功",
];

/// The outcome of a status word (spaces ignored), if it is one banks use.
pub fn outcome_of(word: &str) -> Option<Outcome> {
    let w: String = word.chars().filter(|c| !c.is_whitespace()).collect();
    if PAID_WORDS.contains(&w.as_str()) {
        Some(Outcome::Paid)
    } else if RETURNED_WORDS.contains(&w.as_str()) {
        Some(Outcome::Returned)
    } else {
        None
    }
}

/// One data row of a 回盘.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRow {
    /// File, sheet and row as the user sees them (no column).
    pub location: Location,
    /// The header names as written in this file, for messages: (账号, 金额, 身份证号).
    pub columns: ReturnColumns,
    pub account: String,
    pub name: String,
    /// `None` when the file has no 身份证号 column or the cell is blank.
    pub id: Option<String>,
    pub amount_fen: i64,
    /// As written (empty when the file has no status column: then every row is a failure).
    pub status: String,
    pub outcome: Outcome,
    pub reason: String,
    /// 摘要 as the bank echoes it ("" when the file has none): a 所属期 in it must be the batch's month.
    pub memo: String,
}

/// The written header names of the columns a refusal may point at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReturnColumns {
    pub account: String,
    pub amount: String,
    pub id: Option<String>,
    pub status: Option<String>,
    pub memo: Option<String>,
}
