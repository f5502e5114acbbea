//! The ledger seam: what the commands record in the ledger and read from it, as one interface (`LedgerStore`),
//! whichever backend holds it — a SQLite file (`sqlite`, a county's default) or, to come, a PostgreSQL database
//! (`pg`, a city's or province's shared ledger). `cli/` holds a `Box<dyn LedgerStore>` from `open_existing` or
//! `create`, which choose the backend from the `LedgerLocation`, and never names a backend.
//!
//! The methods keep the names and meanings of SQLite's `Ledger` (see `sqlite/store.rs` for each one's guarantees:
//! one transaction per write, refusals as `LedgerError`s, nothing written by a refused write). They take `&self`
//! (a backend keeps its connection so that it can: SQLite's `Connection` is used through `&`, PostgreSQL's client
//! sits in a `RefCell`), and callbacks and line streams are `&mut dyn`, so the trait is object-safe.

use super::location::LedgerLocation;
use super::{
    BatchInfo, HistoryItem, HistoryWriter, LedgerError, LineRef, MonthTally, NewBatch, NewReturn, PaidLine,
    PendingReturn, PeriodCounts, ReturnRecord, TransferRecord, TransferRef,
};
use crate::domain::month::YearMonth;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashSet};

/// A ledger, open: what the commands record and read.
pub trait LedgerStore {
    /// Where the ledger is, for messages and `--json` output: the file's path, or the database's target (never a
    /// password).
    fn shown(&self) -> String;

    /// Record a draft for `batch.month` with `lines` (streamed, never collected), replacing an earlier draft of
    /// that month, in one transaction. Refused when the month is committed (`AlreadyCommitted`) or a line pays
    /// again what a committed batch paid (`AlreadyPaid`).
    fn save_draft(
        &self,
        batch: &NewBatch,
        lines: &mut dyn Iterator<Item = LineRef<'_>>,
    ) -> Result<BatchInfo, LedgerError> {
        let digest = batch.outputs_digest.clone();
        self.begin_draft(batch, lines)?.finish(&digest)
    }

    /// `save_draft` in two steps: the lines are recorded and checked inside an open transaction, which the
    /// returned writer holds (borrowing the ledger); `DraftWriter::finish` sets the outputs' digest and commits,
    /// dropping the writer rolls the whole draft back.
    fn begin_draft<'l>(
        &'l self,
        batch: &NewBatch,
        lines: &mut dyn Iterator<Item = LineRef<'_>>,
    ) -> Result<Box<dyn DraftWriter + 'l>, LedgerError>;

    /// Mark the month's draft committed with a pay date (and an optional late reason), in one transaction.
    /// Refused: no draft (`NoDraft`), already committed (`AlreadyCommitted`), `inputs_digest` not the draft's
    /// (`InputsChanged`), a line paid meanwhile (`AlreadyPaid`).
    fn commit(
        &self,
        month: YearMonth,
        pay_date: NaiveDate,
        committed_at: &str,
        inputs_digest: &str,
        late_reason: Option<&str>,
    ) -> Result<BatchInfo, LedgerError>;

    /// The month's committed batch if any, else its draft.
    fn batch(&self, month: YearMonth) -> Result<Option<BatchInfo>, LedgerError>;

    /// All batches (drafts and committed), by month.
    fn batches(&self) -> Result<Vec<BatchInfo>, LedgerError>;

    /// The month of the earliest committed batch.
    fn first_committed_month(&self) -> Result<Option<YearMonth>, LedgerError>;

    /// Committed lines of one batch month, any period, in batch order.
    fn batch_lines(&self, month: YearMonth) -> Result<Vec<PaidLine>, LedgerError>;

    /// Committed lines of one person (history), or of one person and 所属期 (explain); by period, item, batch.
    fn lines_for(&self, id: &str, period: Option<YearMonth>) -> Result<Vec<PaidLine>, LedgerError>;

    /// The committed 丧葬补助 line of a person, if any.
    fn funeral_paid(&self, id: &str) -> Result<Option<PaidLine>, LedgerError>;

    /// Every committed 正常 and 补发 line whose 所属期 is in [from, to] as (身份证号, 项目, 所属期, 分), in no
    /// particular order, streamed without holding them: some to `first` on this thread, the others to `second`
    /// on another (a backend that reads on one thread may give every line to `first`).
    fn for_each_paid_split(
        &self,
        from: YearMonth,
        to: YearMonth,
        first: &mut dyn FnMut(&str, &str, YearMonth, i64),
        second: &mut (dyn FnMut(&str, &str, YearMonth, i64) + Send),
    ) -> Result<(), LedgerError>;

    /// How many lines the committed batches of `from` or later hold (an upper bound for `for_each_paid_split`).
    fn committed_lines_since(&self, from: YearMonth) -> Result<u64, LedgerError>;

    /// 身份证号 of everyone whose 丧葬补助 is committed.
    fn funeral_paid_ids(&self) -> Result<HashSet<String>, LedgerError>;

    /// The committed lines whose batch month lies in [from, to], counted per group (see `PeriodCounts`).
    fn period_counts(&self, from: YearMonth, to: YearMonth) -> Result<PeriodCounts, LedgerError>;

    /// The bank transfers recorded with the month's committed batch, in 序号 order, and the batch id; `None` when
    /// the month has no committed batch.
    fn transfers(&self, month: YearMonth) -> Result<Option<(i64, Vec<TransferRecord>)>, LedgerError>;

    /// The committed lines of batch `batch_id` for each transfer span `(first line_no, count)`, in that order.
    fn transfer_lines(&self, batch_id: i64, spans: &[(i64, i64)]) -> Result<Vec<Vec<PaidLine>>, LedgerError>;

    /// Record 退回 events of the committed batch `batch_id` of `month` (one transaction); how many were recorded.
    fn record_returns(
        &self,
        batch_id: i64,
        month: YearMonth,
        recorded_at: &str,
        events: &[(NewReturn, Vec<i64>)],
    ) -> Result<usize, LedgerError>;

    /// The 退回 events recorded for batch months in [from, to], by month then 序号, with their lines and any 重发.
    fn returns(&self, from: YearMonth, to: YearMonth) -> Result<Vec<ReturnRecord>, LedgerError>;

    /// Per batch month with 退回: (transfers returned, their 分, of which not yet re-issued in 分).
    fn returned_by_month(&self) -> Result<BTreeMap<YearMonth, (i64, i64, i64)>, LedgerError>;

    /// Every returned line that no committed 重发 has sent again, by batch month, person and line.
    fn returns_pending(&self) -> Result<Vec<PendingReturn>, LedgerError>;

    // Counties (issue 22 part 2): the reads of a city's or province's report over several counties of a shared
    // ledger, each answer one per county in the order asked. A county's SQLite file is one county's and answers
    // for one (`sqlite`); the defaults below are the PostgreSQL side until its queries are written: a refusal
    // saying so (`LedgerError::CountiesNotYet`), never an empty answer that would read as "nothing paid".

    /// The 行政区划代码 of the counties with a batch in the ledger, in code order (`--all-counties`). A SQLite file
    /// records no code: it answers an empty list, and the caller takes the configured county.
    fn counties(&self) -> Result<Vec<String>, LedgerError> {
        Err(LedgerError::CountiesNotYet { shown: self.shown() })
    }

    /// `period_counts` of each of `counties`, in that order.
    fn county_period_counts(
        &self,
        _counties: &[String],
        _from: YearMonth,
        _to: YearMonth,
    ) -> Result<Vec<PeriodCounts>, LedgerError> {
        Err(LedgerError::CountiesNotYet { shown: self.shown() })
    }

    /// `batches` of each of `counties`, in that order.
    fn county_batches(&self, _counties: &[String]) -> Result<Vec<Vec<BatchInfo>>, LedgerError> {
        Err(LedgerError::CountiesNotYet { shown: self.shown() })
    }

    /// `returned_by_month` of each of `counties`, in that order.
    #[allow(clippy::type_complexity)]
    fn county_returned_by_month(
        &self,
        _counties: &[String],
    ) -> Result<Vec<BTreeMap<YearMonth, (i64, i64, i64)>>, LedgerError> {
        Err(LedgerError::CountiesNotYet { shown: self.shown() })
    }

    /// The committed lines of person `id` (of 所属期 `period` when given) in every county of a shared ledger whose
    /// code starts with `prefix` ("" for all), each with its county's code; by period, item, batch month, county
    /// (`explain` after a 抚恤关系转移; a 市's `history`). `None` from a ledger that is one county's (a SQLite file):
    /// it cannot see the others.
    #[allow(clippy::type_complexity)]
    fn person_lines_in_counties(
        &self,
        _prefix: &str,
        _id: &str,
        _period: Option<YearMonth>,
    ) -> Result<Option<Vec<(String, PaidLine)>>, LedgerError> {
        Ok(None)
    }

    /// The county's whole committed history to `sink`, in month order (see `HistoryItem`), streamed; drafts are
    /// not history and are left out. A sink's error stops the export and is returned. (`ledger copy`.)
    fn export(&self, sink: &mut dyn FnMut(HistoryItem) -> Result<(), LedgerError>) -> Result<(), LedgerError> {
        let _ = sink;
        Err(LedgerError::CopyUnsupported { shown: self.shown() })
    }

    /// Begin writing a history exported from another ledger into this one, for this ledger's county, in ONE
    /// transaction held by the returned writer (borrowing the ledger): each batch goes through the same draft and
    /// commit as `pay` and `commit` (the database's guarantees judge every line), its 退回 events as
    /// `record_returns`; ids are the target's own (`reissue_of` and returned lines mapped). Dropping the writer
    /// rolls it all back.
    fn begin_import<'l>(&'l self) -> Result<Box<dyn HistoryWriter + 'l>, LedgerError> {
        Err(LedgerError::CopyUnsupported { shown: self.shown() })
    }

    /// Every committed month of the county counted from its lines, transfers and 退回 events (not from stored
    /// totals), by month: what `ledger copy` compares between source and target.
    fn month_tallies(&self) -> Result<Vec<MonthTally>, LedgerError> {
        Err(LedgerError::CopyUnsupported { shown: self.shown() })
    }
}

/// A draft being recorded inside an open transaction (`LedgerStore::begin_draft`): `finish` commits it, dropping
/// it rolls it back.
pub trait DraftWriter {
    /// The draft as it will be recorded.
    fn info(&self) -> &BatchInfo;

    /// Record the draft's bank transfers (its 代发 file, in order), so that the bank's 回盘 can be matched later.
    fn add_transfers(&mut self, transfers: &mut dyn Iterator<Item = TransferRef<'_>>) -> Result<(), LedgerError>;

    /// Record the digest of the files written for this draft (manifest.json's SHA-256) and commit.
    fn finish(self: Box<Self>, outputs_digest: &str) -> Result<BatchInfo, LedgerError>;
}

/// Whether a refusal means "this month is already paid" — all `cli/exit.rs` needs to know of a ledger error to
/// choose its exit code (6 for that, 7 for the rest), for either backend's error type.
pub trait Refusal {
    fn month_already_committed(&self) -> bool;
}

/// Open the ledger at `at` for a command: only if it is there and is a youfu ledger (a missing one is
/// `LedgerError::Missing`, `is_missing()`; only `youfu init` creates one, through `create`).
pub fn open_existing(at: &LedgerLocation) -> Result<Box<dyn LedgerStore>, LedgerError> {
    match at {
        LedgerLocation::File(path) => Ok(Box::new(super::sqlite::Ledger::open_existing(path)?)),
        LedgerLocation::Postgres(url) => {
            let county = url.county().unwrap_or_default();
            Ok(Box::new(super::pg::PgLedger::open_existing(url, &super::pg::PgEnv::from_process(), county)?))
        }
    }
}

/// Create a new ledger at `at` (`youfu init`); `LedgerError::Exists` (`already_exists()`) when one is there.
pub fn create(at: &LedgerLocation) -> Result<Box<dyn LedgerStore>, LedgerError> {
    match at {
        LedgerLocation::File(path) => Ok(Box::new(super::sqlite::Ledger::create(path)?)),
        // The schema installed in the database the DBA created (an existing youfu ledger is kept as it is).
        LedgerLocation::Postgres(url) => {
            let county = url.county().unwrap_or_default();
            Ok(Box::new(super::pg::PgLedger::init(url, &super::pg::PgEnv::from_process(), county)?))
        }
    }
}
