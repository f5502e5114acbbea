//! What the ledger says about a month, for commands that only need a glance (deadline): no ledger yet means
//! nothing is committed.

use crate::domain::YearMonth;
use crate::ledger::location::LedgerLocation;
use crate::ledger::{BatchStatus, LedgerError};
use chrono::NaiveDate;

/// The committed pay date of `month`, if the ledger has one.
pub fn committed_pay_date(ledger: &LedgerLocation, month: YearMonth) -> Result<Option<NaiveDate>, LedgerError> {
    match crate::ledger::open_existing(ledger) {
        Ok(l) => Ok(l.batch(month)?.filter(|b| b.status == BatchStatus::Committed).and_then(|b| b.pay_date)),
        Err(e) if e.is_missing() => Ok(None),
        Err(e) => Err(e),
    }
}
