//! What the ledger says about a month, for commands that only need a glance (deadline): no ledger yet means
//! nothing is committed.

use crate::domain::YearMonth;
use crate::ledger::{BatchStatus, Ledger, LedgerError};
use chrono::NaiveDate;
use std::path::Path;

/// The committed pay date of `month`, if the ledger has one.
pub fn committed_pay_date(ledger: &Path, month: YearMonth) -> Result<Option<NaiveDate>, LedgerError> {
    match Ledger::open_existing(ledger) {
        Ok(l) => Ok(l.batch(month)?.filter(|b| b.status == BatchStatus::Committed).and_then(|b| b.pay_date)),
        Err(LedgerError::Missing { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
