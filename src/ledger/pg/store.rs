//! `PgLedger` behind the ledger's interface (`ledger::LedgerStore`, `ledger::DraftWriter`): each method forwards
//! to `PgLedger`'s own (draft.rs, reads.rs, returns.rs), its `PgError` carried in `LedgerError::Pg`.

use super::{PgLedger, PgPendingDraft};
use crate::domain::month::YearMonth;
use crate::ledger::{
    BatchInfo, DraftWriter, HistoryItem, HistoryWriter, LedgerError, LedgerStore, LineRef, MonthTally, NewBatch,
    NewReturn, PaidLine, PendingReturn, PeriodCounts, ReturnRecord, TransferRecord, TransferRef,
};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashSet};

impl LedgerStore for PgLedger {
    fn shown(&self) -> String {
        self.target().to_string()
    }

    fn begin_draft<'l>(
        &'l self,
        batch: &NewBatch,
        lines: &mut dyn Iterator<Item = LineRef<'_>>,
    ) -> Result<Box<dyn DraftWriter + 'l>, LedgerError> {
        Ok(Box::new(PgLedger::begin_draft(self, batch, lines)?))
    }

    fn commit(
        &self,
        month: YearMonth,
        pay_date: NaiveDate,
        committed_at: &str,
        inputs_digest: &str,
        late_reason: Option<&str>,
    ) -> Result<BatchInfo, LedgerError> {
        Ok(PgLedger::commit(self, month, pay_date, committed_at, inputs_digest, late_reason)?)
    }

    fn batch(&self, month: YearMonth) -> Result<Option<BatchInfo>, LedgerError> {
        Ok(PgLedger::batch(self, month)?)
    }

    fn batches(&self) -> Result<Vec<BatchInfo>, LedgerError> {
        Ok(PgLedger::batches(self)?)
    }

    fn first_committed_month(&self) -> Result<Option<YearMonth>, LedgerError> {
        Ok(PgLedger::first_committed_month(self)?)
    }

    fn batch_lines(&self, month: YearMonth) -> Result<Vec<PaidLine>, LedgerError> {
        Ok(PgLedger::batch_lines(self, month)?)
    }

    fn lines_for(&self, id: &str, period: Option<YearMonth>) -> Result<Vec<PaidLine>, LedgerError> {
        Ok(PgLedger::lines_for(self, id, period)?)
    }

    fn funeral_paid(&self, id: &str) -> Result<Option<PaidLine>, LedgerError> {
        Ok(PgLedger::funeral_paid(self, id)?)
    }

    fn for_each_paid_split(
        &self,
        from: YearMonth,
        to: YearMonth,
        first: &mut dyn FnMut(&str, &str, YearMonth, i64),
        second: &mut (dyn FnMut(&str, &str, YearMonth, i64) + Send),
    ) -> Result<(), LedgerError> {
        Ok(PgLedger::for_each_paid_split(self, from, to, first, second)?)
    }

    fn committed_lines_since(&self, from: YearMonth) -> Result<u64, LedgerError> {
        Ok(PgLedger::committed_lines_since(self, from)?)
    }

    fn funeral_paid_ids(&self) -> Result<HashSet<String>, LedgerError> {
        Ok(PgLedger::funeral_paid_ids(self)?)
    }

    fn period_counts(&self, from: YearMonth, to: YearMonth) -> Result<PeriodCounts, LedgerError> {
        Ok(PgLedger::period_counts(self, from, to)?)
    }

    fn transfers(&self, month: YearMonth) -> Result<Option<(i64, Vec<TransferRecord>)>, LedgerError> {
        Ok(PgLedger::transfers(self, month)?)
    }

    fn transfer_lines(&self, batch_id: i64, spans: &[(i64, i64)]) -> Result<Vec<Vec<PaidLine>>, LedgerError> {
        Ok(PgLedger::transfer_lines(self, batch_id, spans)?)
    }

    fn record_returns(
        &self,
        batch_id: i64,
        month: YearMonth,
        recorded_at: &str,
        events: &[(NewReturn, Vec<i64>)],
    ) -> Result<usize, LedgerError> {
        Ok(PgLedger::record_returns(self, batch_id, month, recorded_at, events)?)
    }

    fn returns(&self, from: YearMonth, to: YearMonth) -> Result<Vec<ReturnRecord>, LedgerError> {
        Ok(PgLedger::returns(self, from, to)?)
    }

    fn returned_by_month(&self) -> Result<BTreeMap<YearMonth, (i64, i64, i64)>, LedgerError> {
        Ok(PgLedger::returned_by_month(self)?)
    }

    fn returns_pending(&self) -> Result<Vec<PendingReturn>, LedgerError> {
        Ok(PgLedger::returns_pending(self)?)
    }

    fn counties(&self) -> Result<Vec<String>, LedgerError> {
        Ok(PgLedger::counties(self)?)
    }

    fn county_period_counts(
        &self,
        counties: &[String],
        from: YearMonth,
        to: YearMonth,
    ) -> Result<Vec<PeriodCounts>, LedgerError> {
        Ok(PgLedger::county_period_counts(self, counties, from, to)?)
    }

    fn county_batches(&self, counties: &[String]) -> Result<Vec<Vec<BatchInfo>>, LedgerError> {
        Ok(PgLedger::county_batches(self, counties)?)
    }

    #[allow(clippy::type_complexity)]
    fn county_returned_by_month(
        &self,
        counties: &[String],
    ) -> Result<Vec<BTreeMap<YearMonth, (i64, i64, i64)>>, LedgerError> {
        Ok(PgLedger::county_returned_by_month(self, counties)?)
    }

    fn person_lines_in_counties(
        &self,
        prefix: &str,
        id: &str,
        period: Option<YearMonth>,
    ) -> Result<Option<Vec<(String, PaidLine)>>, LedgerError> {
        Ok(Some(PgLedger::person_lines_in_counties(self, prefix, id, period)?))
    }

    fn export(&self, sink: &mut dyn FnMut(HistoryItem) -> Result<(), LedgerError>) -> Result<(), LedgerError> {
        PgLedger::export(self, sink)
    }

    fn begin_import<'l>(&'l self) -> Result<Box<dyn HistoryWriter + 'l>, LedgerError> {
        Ok(Box::new(PgLedger::begin_import(self)?))
    }

    fn month_tallies(&self) -> Result<Vec<MonthTally>, LedgerError> {
        PgLedger::month_tallies(self)
    }
}

impl DraftWriter for PgPendingDraft<'_> {
    fn info(&self) -> &BatchInfo {
        PgPendingDraft::info(self)
    }

    fn add_transfers(&mut self, transfers: &mut dyn Iterator<Item = TransferRef<'_>>) -> Result<(), LedgerError> {
        Ok(PgPendingDraft::add_transfers(self, transfers)?)
    }

    fn finish(self: Box<Self>, outputs_digest: &str) -> Result<BatchInfo, LedgerError> {
        Ok(PgPendingDraft::finish(*self, outputs_digest)?)
    }
}
