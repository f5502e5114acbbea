//! The ledger in one SQLite file (`youfu.db` by default): a county's ledger, and the backend of
//! `ledger::LedgerStore` for a path.
//!
//! A monthly run is first recorded as a draft batch (its lines streamed by `save_draft` from borrowed `LineRef`s
//! into `draft_chunks`, a few thousand lines of JSON a row, which the view `draft_lines` shows as rows); `commit`
//! moves them into `lines` and marks the batch paid (发放日期). Money is integer 分. The database itself guarantees
//! rule 6 of docs/domain.md (never pay twice): among committed lines a (身份证号, 项目, 所属期) has at most one 正常
//! line, a person at most one 丧葬补助 line, a month at most one committed batch, and a committed line or batch can
//! be neither changed nor deleted (triggers). 补发 lines add to the 正常 line of their 所属期; `paid_totals` (and
//! the SQL view `paid_totals`) give the total paid per person, 项目 and 所属期.
//!
//! - `schema` — the schema as an ordered list of SQL migrations, and the checks that decide whether a file is a
//!   youfu ledger at all.
//! - `ledger::packed` (shared with PostgreSQL) — a committed batch's report columns packed into one blob at
//!   commit, for `period_counts`.
//! - `sql`    — SQLite's failures as `LedgerError`s (locked → busy, not a database → corrupt, a constraint → its
//!   Chinese reason), shared by the others.
//! - `store`  — `Ledger`: open/create, `save_draft`, `commit` (each one `BEGIN IMMEDIATE` transaction), queries.
//!   Queries over many months stream instead of loading lines: `period_counts` (the report's groups, counted in
//!   one sequential pass, no sort), `for_each_paid` (what arrears and `pay` need of earlier months),
//!   `funeral_paid_ids`.
//! - `counts` — `period_counts`' one pass over the committed batches of a range.
//! - `history` — `ledger copy`'s export of the committed history, its import in one transaction through the
//!   draft-and-commit path, and the per-month tallies that check a copy.
//!
//! The commands never name this module: they get a `Box<dyn LedgerStore>` from `ledger::open_existing` /
//! `ledger::create`. `Ledger`'s own methods (generic over the iterators, a few more than the trait has) are for
//! this module's tests and the trait implementation below, which only forwards.

mod counts;
mod history;
mod schema;
mod sql;
mod store;
#[cfg(test)]
pub(crate) mod tests;

pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
#[cfg(any(test, feature = "fault-injection"))]
pub use store::TEST_ABORT_AFTER_LINES_ENV;
pub use store::{BUSY_TIMEOUT, Ledger, PendingDraft};

use crate::domain::month::YearMonth;
use crate::ledger::{
    BatchInfo, DraftWriter, HistoryItem, HistoryWriter, LedgerError, LedgerStore, LineRef, MonthTally, NewBatch,
    NewReturn, PaidLine, PendingReturn, PeriodCounts, ReturnRecord, TransferRecord, TransferRef,
};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashSet};

impl LedgerStore for Ledger {
    fn shown(&self) -> String {
        self.path().display().to_string()
    }

    fn begin_draft<'l>(
        &'l self,
        batch: &NewBatch,
        lines: &mut dyn Iterator<Item = LineRef<'_>>,
    ) -> Result<Box<dyn DraftWriter + 'l>, LedgerError> {
        Ok(Box::new(Ledger::begin_draft(self, batch, lines)?))
    }

    fn commit(
        &self,
        month: YearMonth,
        pay_date: NaiveDate,
        committed_at: &str,
        inputs_digest: &str,
        late_reason: Option<&str>,
    ) -> Result<BatchInfo, LedgerError> {
        Ledger::commit(self, month, pay_date, committed_at, inputs_digest, late_reason)
    }

    fn batch(&self, month: YearMonth) -> Result<Option<BatchInfo>, LedgerError> {
        Ledger::batch(self, month)
    }

    fn batches(&self) -> Result<Vec<BatchInfo>, LedgerError> {
        Ledger::batches(self)
    }

    fn first_committed_month(&self) -> Result<Option<YearMonth>, LedgerError> {
        Ledger::first_committed_month(self)
    }

    fn batch_lines(&self, month: YearMonth) -> Result<Vec<PaidLine>, LedgerError> {
        Ledger::batch_lines(self, month)
    }

    fn lines_for(&self, id: &str, period: Option<YearMonth>) -> Result<Vec<PaidLine>, LedgerError> {
        Ledger::lines_for(self, id, period)
    }

    fn funeral_paid(&self, id: &str) -> Result<Option<PaidLine>, LedgerError> {
        Ledger::funeral_paid(self, id)
    }

    fn for_each_paid_split(
        &self,
        from: YearMonth,
        to: YearMonth,
        first: &mut dyn FnMut(&str, &str, YearMonth, i64),
        second: &mut (dyn FnMut(&str, &str, YearMonth, i64) + Send),
    ) -> Result<(), LedgerError> {
        Ledger::for_each_paid_split(self, from, to, first, second)
    }

    fn committed_lines_since(&self, from: YearMonth) -> Result<u64, LedgerError> {
        Ledger::committed_lines_since(self, from)
    }

    fn funeral_paid_ids(&self) -> Result<HashSet<String>, LedgerError> {
        Ledger::funeral_paid_ids(self)
    }

    fn period_counts(&self, from: YearMonth, to: YearMonth) -> Result<PeriodCounts, LedgerError> {
        Ledger::period_counts(self, from, to)
    }

    fn transfers(&self, month: YearMonth) -> Result<Option<(i64, Vec<TransferRecord>)>, LedgerError> {
        Ledger::transfers(self, month)
    }

    fn transfer_lines(&self, batch_id: i64, spans: &[(i64, i64)]) -> Result<Vec<Vec<PaidLine>>, LedgerError> {
        Ledger::transfer_lines(self, batch_id, spans)
    }

    fn record_returns(
        &self,
        batch_id: i64,
        month: YearMonth,
        recorded_at: &str,
        events: &[(NewReturn, Vec<i64>)],
    ) -> Result<usize, LedgerError> {
        Ledger::record_returns(self, batch_id, month, recorded_at, events)
    }

    fn returns(&self, from: YearMonth, to: YearMonth) -> Result<Vec<ReturnRecord>, LedgerError> {
        Ledger::returns(self, from, to)
    }

    fn returned_by_month(&self) -> Result<BTreeMap<YearMonth, (i64, i64, i64)>, LedgerError> {
        Ledger::returned_by_month(self)
    }

    fn returns_pending(&self) -> Result<Vec<PendingReturn>, LedgerError> {
        Ledger::returns_pending(self)
    }

    // A SQLite file is one county's and records no code: it answers for one county, whichever code it is asked
    // under (the commands ask only for the configured county: `cli::counties`), and refuses several.

    fn counties(&self) -> Result<Vec<String>, LedgerError> {
        Ok(Vec::new())
    }

    fn county_period_counts(
        &self,
        counties: &[String],
        from: YearMonth,
        to: YearMonth,
    ) -> Result<Vec<PeriodCounts>, LedgerError> {
        self.one_county(counties)?;
        Ok(vec![Ledger::period_counts(self, from, to)?])
    }

    fn county_batches(&self, counties: &[String]) -> Result<Vec<Vec<BatchInfo>>, LedgerError> {
        self.one_county(counties)?;
        Ok(vec![Ledger::batches(self)?])
    }

    fn county_returned_by_month(
        &self,
        counties: &[String],
    ) -> Result<Vec<BTreeMap<YearMonth, (i64, i64, i64)>>, LedgerError> {
        self.one_county(counties)?;
        Ok(vec![Ledger::returned_by_month(self)?])
    }

    fn export(&self, sink: &mut dyn FnMut(HistoryItem) -> Result<(), LedgerError>) -> Result<(), LedgerError> {
        Ledger::export(self, sink)
    }

    fn begin_import<'l>(&'l self) -> Result<Box<dyn HistoryWriter + 'l>, LedgerError> {
        Ok(Box::new(Ledger::begin_import(self)?))
    }

    fn month_tallies(&self) -> Result<Vec<MonthTally>, LedgerError> {
        Ledger::month_tallies(self)
    }
}

impl Ledger {
    /// Asked for exactly one county: the file's. Several (or none) is `LedgerError::OneCounty`.
    fn one_county(&self, counties: &[String]) -> Result<(), LedgerError> {
        match counties {
            [_] => Ok(()),
            _ => Err(LedgerError::OneCounty { path: self.path().to_path_buf(), asked: counties.to_vec() }),
        }
    }
}

impl DraftWriter for PendingDraft<'_> {
    fn info(&self) -> &BatchInfo {
        PendingDraft::info(self)
    }

    fn add_transfers(&mut self, transfers: &mut dyn Iterator<Item = TransferRef<'_>>) -> Result<(), LedgerError> {
        PendingDraft::add_transfers(self, transfers)
    }

    fn finish(self: Box<Self>, outputs_digest: &str) -> Result<BatchInfo, LedgerError> {
        PendingDraft::finish(*self, outputs_digest)
    }
}
