//! What the ledger says about a month, for commands that only need a glance (deadline). Until a ledger exists
//! this knows nothing.

use crate::config::Config;
use crate::domain::YearMonth;
use chrono::NaiveDate;

/// The committed pay date of `month`, if the ledger has one.
pub fn committed_pay_date(_config: &Config, _month: YearMonth) -> Option<NaiveDate> {
    None
}
