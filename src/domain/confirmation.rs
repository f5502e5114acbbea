//! 年度确认 as the report counts it: of each roster row, who it is, whether the person must confirm, and when they
//! did. `youfu report` reads only this much of a roster (`input::read_confirmation_rows`): a province's roster as
//! 24 bytes a row instead of a million `Recipient`s.

use super::{Recipient, Status, YearMonth};
use chrono::NaiveDate;

/// One roster row for 年度确认.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmationRow {
    /// The 身份证号, packed (`IdCard::packed`): a person with a row per 项目 counts once.
    pub person: u64,
    /// 状态 正常 or 暂停: a person who is paid, or may be paid again, must confirm.
    pub active: bool,
    /// 起发年月.
    pub start_month: Option<YearMonth>,
    /// 年度确认日期.
    pub confirmed_on: Option<NaiveDate>,
}

impl ConfirmationRow {
    pub fn new(person: u64, status: &Status, start_month: Option<YearMonth>, confirmed_on: Option<NaiveDate>) -> Self {
        let active = matches!(status, Status::Normal | Status::Suspended { .. });
        ConfirmationRow { person, active, start_month, confirmed_on }
    }

    /// The row of a recipient read in full.
    pub fn of(r: &Recipient) -> Self {
        Self::new(r.id.packed(), &r.status, r.start_month, r.confirmed_on)
    }
}
