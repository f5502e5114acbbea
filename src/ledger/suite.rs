//! The ledger's behaviour, written once against `LedgerStore` and run on both backends (issue 22 part 6: "one set
//! of tests, two backends"): `ledger::suite::sqlite::…` on a fresh SQLite file, `ledger::suite::postgresql::…` on a
//! fresh database of the throwaway test server (tests/support/pg.rs). Drafts, commits, the refusals with their exact
//! Chinese messages, the reads, the report's counts, 退回 and 重发 — amounts worked out by hand in the comments.
//!
//! Each backend gives a `Backend`: a factory for a fresh ledger, and the few things a test cannot say through the
//! trait — a count or a refusal by raw SQL on the ledger's own connection (so that the guarantees checked are the
//! database's own on both), and the refusals whose words legitimately differ (a shared PostgreSQL ledger names the
//! county and batch that paid; SQLite names the month). Where a message differs only by the ledger's location, the
//! expected text is made from `LedgerStore::shown`. What only one backend has stays in its own test module:
//! SQLite's file handling, migrations and chunks (`sqlite/tests.rs`), PostgreSQL's counties, locks and killed
//! connections (`pg/store_tests.rs`, `pg/tests.rs`). The fixtures here (lines, batches, March committed, a 退回)
//! are those modules' too.

use crate::cli::exit::LedgerExit;
use crate::domain::PaymentKind;
use crate::domain::month::YearMonth;
use crate::ledger::{
    BatchInfo, BatchStatus, LedgerError, LedgerStore, LineCounts, NewBatch, NewLine, NewReturn, PaidLine, PaidTotal,
    Refusal, TransferRef,
};
use chrono::NaiveDate;

pub(crate) const ZHANG: &str = "11010519491231002X";
pub(crate) const LI: &str = "440524188001010014";
pub(crate) const CREATED: &str = "2024-03-10T09:00:00+08:00";
pub(crate) const COMMITTED_AT: &str = "2024-03-18T10:00:00+08:00";

/// A fresh ledger of one backend, and what the suite cannot ask through `LedgerStore`.
pub(crate) trait Backend {
    /// A new, empty ledger (`test` names it where the backend needs a name: a PostgreSQL database).
    fn fresh(test: &str) -> Self;
    fn store(&self) -> &dyn LedgerStore;
    /// The same ledger opened again, as another process (another officer of the county) would.
    fn open_again(&self) -> Box<dyn LedgerStore + Send>;
    /// The first column (an integer) of each row `sql` returns, on the ledger's own connection.
    fn ints(&self, sql: &str) -> Vec<i64>;
    /// The database's own refusal of `sql` (the trigger's or constraint's message), run on the ledger's connection.
    fn refusal(&self, sql: &str) -> String;
    /// Record a draft of `month` holding `lines` (身份证号, 项目, 所属期, kind label, 分) and commit it by raw SQL on
    /// the ledger's own connection, in one transaction, the way the program's commit moves lines and marks the
    /// batch, but with none of the program's checks on the way: the database's refusal (its own words), after
    /// which the transaction is rolled back.
    fn force_commit(&self, month: &str, lines: &[RawLine]) -> Result<(), String>;
    /// Remove the committed batches' packed report columns (as for batches committed before they were packed), so
    /// that `period_counts` reads the lines row by row.
    fn drop_packed_lines(&self);
    /// The tables a draft's rows live in besides `batches`: one row each for a draft of one line, none after commit.
    fn draft_tables(&self) -> &'static [&'static str];
    /// The draft line of `id`: its calculation's standard row and start, and its kind, as stored.
    fn draft_calc(&self, id: &str) -> (Option<i64>, Option<String>, String);
    /// Committed lines whose 所属期 is in [from, to] (the backends' `paid_lines`).
    fn paid_lines(&self, from: YearMonth, to: YearMonth) -> Vec<PaidLine>;
    /// Totals per person, 项目 and 所属期 (the backends' `paid_totals`, over the `paid_totals` view).
    fn paid_totals(&self, from: YearMonth, to: YearMonth) -> Vec<PaidTotal>;

    // The words that legitimately differ.

    /// How the no-draft refusal names the missing draft of `month`: a county's own file names the month, a shared
    /// ledger the county's code too.
    fn draft_of(&self, month: &str) -> String;
    /// How a never-pay-twice refusal names the batch that paid (after "正常"/"丧葬补助").
    fn paid_by(&self, batch: &BatchInfo) -> String;
    /// The database's refusal, at commit, of one draft holding a 正常 line twice, then a 丧葬补助 twice (`ZHANG`).
    fn twice_in_batch(&self) -> [String; 2];
    /// The refusal of a second 重发 of returned line `line`, which `by` re-issued.
    fn reissued_again(&self, line: i64, by: &BatchInfo) -> String;
    /// The refusal of a second 退回 of transfer `transfer_no` of batch `batch_id`.
    fn returned_twice(&self, batch_id: i64, transfer_no: u32) -> String;
}

/// A line written by raw SQL: (身份证号, 项目, 所属期, kind label, 分).
pub(crate) type RawLine<'a> = (&'a str, &'a str, &'a str, &'a str, i64);

pub(crate) fn ym(s: &str) -> YearMonth {
    s.parse().unwrap()
}

pub(crate) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(crate) fn line(id: &str, item: &str, period: &str, kind: PaymentKind, amount_fen: i64) -> NewLine {
    NewLine {
        id: id.to_string(),
        name: if id == ZHANG { "张三" } else { "李四" }.to_string(),
        category: "残疾军人".to_string(),
        town: "城关镇".to_string(),
        item: item.to_string(),
        period: ym(period),
        kind,
        amount_fen,
        standard_row: Some(3),
        standard_start: Some(date("2023-08-01")),
        basis: "样例通知".to_string(),
        formula: "106670 元/年 ÷ 12 = 8889.1666… → 8889.17".to_string(),
        reissue_of: None,
    }
}

/// `line` in another 乡镇.
pub(crate) fn with_town(mut l: NewLine, town: &str) -> NewLine {
    l.town = town.to_string();
    l
}

/// A draft: its header and its lines.
pub(crate) type Draft = (NewBatch, Vec<NewLine>);

pub(crate) fn batch(month: &str, inputs_digest: &str, lines: Vec<NewLine>) -> Draft {
    let header = NewBatch {
        month: ym(month),
        created: CREATED.to_string(),
        inputs_digest: inputs_digest.to_string(),
        outputs_digest: "out-digest".to_string(),
        tool_version: "0.1.0".to_string(),
        entitled_fen: lines.iter().filter(|l| l.kind == PaymentKind::Regular).map(|l| l.amount_fen).sum(),
        shortfalls: "[]".to_string(),
    };
    (header, lines)
}

/// `save_draft` of owned lines.
pub(crate) fn save(store: &dyn LedgerStore, (header, lines): &Draft) -> Result<BatchInfo, LedgerError> {
    store.save_draft(header, &mut lines.iter().map(NewLine::line_ref))
}

/// Record the month's draft of `lines` with `inputs_digest` and commit it, paid on the 15th.
pub(crate) fn commit_month(
    store: &dyn LedgerStore,
    month: &str,
    inputs_digest: &str,
    lines: Vec<NewLine>,
) -> BatchInfo {
    save(store, &batch(month, inputs_digest, lines)).unwrap();
    store.commit(ym(month), date(&format!("{month}-15")), COMMITTED_AT, inputs_digest, None).unwrap()
}

/// March 2024 for 张三 and 李四, drafted and committed: 10000000 + 2345678 = 12345678 分.
pub(crate) fn committed_march(store: &dyn LedgerStore) -> BatchInfo {
    commit_month(
        store,
        "2024-03",
        "in-1",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 10_000_000),
            line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2_345_678),
        ],
    )
}

pub(crate) fn counts(lines: u64, amount_fen: i64, persons: u64, person_times: u64) -> LineCounts {
    LineCounts { lines, amount_fen, persons, person_times }
}

pub(crate) fn a_return(transfer_no: u32, id: &str, amount_fen: i64, row: u32) -> NewReturn {
    NewReturn {
        transfer_no,
        id: id.to_string(),
        name: "李四".to_string(),
        account: "6222020200112233445".to_string(),
        amount_fen,
        status: "失败".to_string(),
        reason: "账户已销户".to_string(),
        file_name: "回盘.csv".to_string(),
        file_sha256: "abc".to_string(),
        file_row: row,
    }
}

/// March committed with its two transfers; 李四's (his one line, 23456.78 元) returned by the bank. The batch and
/// 李四's line id.
pub(crate) fn march_with_a_return(store: &dyn LedgerStore) -> (BatchInfo, i64) {
    let (header, lines) = batch(
        "2024-03",
        "in-1",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 10_000_000),
            line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2_345_678),
        ],
    );
    let mut pending = store.begin_draft(&header, &mut lines.iter().map(NewLine::line_ref)).unwrap();
    pending
        .add_transfers(
            &mut [
                TransferRef { no: 1, first_line: 0, lines: 1, amount_fen: 10_000_000, id: ZHANG, account: "6222-z" },
                TransferRef { no: 2, first_line: 1, lines: 1, amount_fen: 2_345_678, id: LI, account: "6222-l" },
            ]
            .into_iter(),
        )
        .unwrap();
    pending.finish("out").unwrap();
    let march = store.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap();
    let li = store.batch_lines(ym("2024-03")).unwrap().iter().find(|l| l.id == LI).unwrap().line_id;
    let n = store.record_returns(march.id, ym("2024-03"), CREATED, &[(a_return(2, LI, 2_345_678, 3), vec![li])]);
    assert_eq!(n.unwrap(), 1);
    (march, li)
}

/// A draft of `month` that re-issues (重发) line `of`, 23456.78 元 for 2024-03.
pub(crate) fn reissue_draft(month: &str, of: i64) -> Draft {
    let mut l = line(LI, "残疾抚恤金", "2024-03", PaymentKind::Reissue, 2_345_678);
    l.reissue_of = Some(of);
    batch(month, &format!("in-{month}"), vec![l])
}

/// The committed 正常 and 补发 lines of [from, to] as `for_each_paid_split` streams them, both halves together,
/// sorted; and whether each half had some.
fn streamed(store: &dyn LedgerStore, from: &str, to: &str) -> (Vec<(String, String, String, i64)>, bool) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let own = |id: &str, item: &str, p: YearMonth, fen| (id.to_string(), item.to_string(), p.to_string(), fen);
    store
        .for_each_paid_split(
            ym(from),
            ym(to),
            &mut |id, item, p, fen| a.push(own(id, item, p, fen)),
            &mut |id, item, p, fen| b.push(own(id, item, p, fen)),
        )
        .unwrap();
    let both = !a.is_empty() && !b.is_empty();
    a.extend(b);
    a.sort();
    (a, both)
}

fn count<B: Backend>(b: &B, sql: &str) -> i64 {
    b.ints(sql)[0]
}

/// The inputs' digests an `InputsChanged` refusal carries, from either backend's error.
fn digests_of(err: &LedgerError) -> Option<(String, String)> {
    match err {
        LedgerError::InputsChanged { draft_digest, current_digest, .. } => {
            Some((draft_digest.clone(), current_digest.clone()))
        }
        LedgerError::Pg(e) => match &**e {
            crate::ledger::pg::PgError::InputsChanged { draft_digest, current_digest, .. } => {
                Some((draft_digest.clone(), current_digest.clone()))
            }
            _ => None,
        },
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// drafting and committing
// ---------------------------------------------------------------------------------------------------------------

/// `pay` records the draft while its files are written: the outputs' digest comes last, and a run that fails
/// in between (its pending draft dropped) leaves the earlier draft exactly as it was.
pub(crate) fn a_pending_draft_gets_its_outputs_digest_at_the_end_or_rolls_back<B: Backend>(b: &B) {
    let s = b.store();
    let (header, lines) =
        batch("2024-03", "in-1", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)]);
    let pending = s.begin_draft(&header, &mut lines.iter().map(NewLine::line_ref)).unwrap();
    assert_eq!((pending.info().lines, pending.info().total_fen), (1, 888_917));
    let info = pending.finish("manifest-sha").unwrap();
    assert_eq!(info.outputs_digest, "manifest-sha");
    assert_eq!(s.batch(ym("2024-03")).unwrap(), Some(info.clone()));
    // A second run of the month that fails before finishing: the first draft stays, digest and lines.
    let (header, lines) =
        batch("2024-03", "in-2", vec![line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 352_833)]);
    let mut pending = s.begin_draft(&header, &mut lines.iter().map(NewLine::line_ref)).unwrap();
    pending
        .add_transfers(
            &mut [TransferRef { no: 1, first_line: 0, lines: 1, amount_fen: 352_833, id: LI, account: "6222" }]
                .into_iter(),
        )
        .unwrap();
    drop(pending);
    assert_eq!(s.batch(ym("2024-03")).unwrap(), Some(info));
    assert_eq!(count(b, "SELECT COUNT(*) FROM draft_lines"), 1);
    assert_eq!(count(b, "SELECT COUNT(*) FROM transfers"), 0);
}

pub(crate) fn save_draft_records_the_batch_and_its_lines<B: Backend>(b: &B) {
    let s = b.store();
    let info = save(
        s,
        &batch(
            "2024-03",
            "in-1",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 352_833),
            ],
        ),
    )
    .unwrap();
    assert_eq!(info.month, ym("2024-03"));
    assert_eq!(info.status, BatchStatus::Draft);
    assert_eq!(info.created, CREATED);
    assert_eq!((info.committed_at.as_deref(), info.pay_date), (None, None));
    assert_eq!((info.inputs_digest.as_str(), info.outputs_digest.as_str()), ("in-1", "out-digest"));
    assert_eq!(info.tool_version, "0.1.0");
    // 888917 + 352833 = 1241750 分, all of it 正常: what the month entitled them to.
    assert_eq!((info.lines, info.total_fen), (2, 1_241_750));
    assert_eq!(info.entitled_fen, Some(1_241_750));
    assert_eq!(s.batch(ym("2024-03")).unwrap(), Some(info));
    // A draft is not a payment: no paid lines yet.
    assert!(b.paid_lines(ym("2024-01"), ym("2024-12")).is_empty());
    assert!(s.batch_lines(ym("2024-03")).unwrap().is_empty());
    assert_eq!(b.draft_calc(ZHANG), (Some(3), Some("2023-08-01".to_string()), "正常".to_string()));
    // The two lines share one calculation (same row, start, 依据 and formula): interned once.
    assert_eq!(count(b, "SELECT COUNT(*) FROM calcs"), 1);
    assert_eq!(count(b, "SELECT COUNT(*) FROM lines"), 0);
}

pub(crate) fn a_second_draft_of_the_month_replaces_the_first<B: Backend>(b: &B) {
    let s = b.store();
    save(
        s,
        &batch(
            "2024-03",
            "in-1",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 352_833),
            ],
        ),
    )
    .unwrap();
    let second =
        save(s, &batch("2024-03", "in-2", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 900_000)]))
            .unwrap();
    assert_eq!((second.lines, second.total_fen, second.inputs_digest.as_str()), (1, 900_000, "in-2"));
    assert_eq!(s.batches().unwrap(), vec![second]);
    // The first draft's lines (and whatever else the backend keeps of a draft) are gone, not orphaned.
    for table in b.draft_tables() {
        assert_eq!(count(b, &format!("SELECT COUNT(*) FROM {table}")), 1, "{table}");
    }
    assert_eq!(count(b, "SELECT COUNT(*) FROM batches"), 1);
}

pub(crate) fn commit_marks_the_draft_paid_and_its_lines_become_the_record<B: Backend>(b: &B) {
    let s = b.store();
    let info = committed_march(s);
    assert_eq!(info.status, BatchStatus::Committed);
    assert_eq!(info.committed_at.as_deref(), Some(COMMITTED_AT));
    assert_eq!(info.pay_date, Some(date("2024-03-15")));
    assert_eq!(info.late_reason, None);
    // 10000000 + 2345678 = 12345678 分 = 123,456.78 元
    assert_eq!((info.lines, info.total_fen), (2, 12_345_678));
    assert_eq!(s.first_committed_month().unwrap(), Some(ym("2024-03")));
    let lines = s.batch_lines(ym("2024-03")).unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        PaidLine {
            batch_id: info.id,
            batch_month: ym("2024-03"),
            id: ZHANG.to_string(),
            name: "张三".to_string(),
            category: "残疾军人".to_string(),
            town: "城关镇".to_string(),
            item: "残疾抚恤金".to_string(),
            period: ym("2024-03"),
            kind: PaymentKind::Regular,
            amount_fen: 10_000_000,
            standard_row: Some(3),
            basis: "样例通知".to_string(),
            formula: "106670 元/年 ÷ 12 = 8889.1666… → 8889.17".to_string(),
            pay_date: Some(date("2024-03-15")),
            line_id: lines[0].line_id,
            reissue_of: None,
            returned: None,
            reissued_in: None,
        }
    );
    assert_eq!(lines[1].id, LI);
    // The lines moved out of the draft into the committed table; the batch records their count and total, and the
    // report's columns are packed with the same.
    assert_eq!(count(b, "SELECT COUNT(*) FROM lines"), 2);
    for table in b.draft_tables() {
        assert_eq!(count(b, &format!("SELECT COUNT(*) FROM {table}")), 0, "{table}");
    }
    assert_eq!(count(b, "SELECT line_count FROM batches"), 2);
    assert_eq!(count(b, "SELECT total_fen FROM batches"), 12_345_678);
    assert_eq!(count(b, "SELECT total_fen FROM packed_lines"), 12_345_678);
}

pub(crate) fn commit_keeps_a_late_reason<B: Backend>(b: &B) {
    let s = b.store();
    save(s, &batch("2024-03", "in-1", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)]))
        .unwrap();
    let info =
        s.commit(ym("2024-03"), date("2024-03-22"), COMMITTED_AT, "in-1", Some("银行系统升级，延后两日")).unwrap();
    assert_eq!(info.late_reason.as_deref(), Some("银行系统升级，延后两日"));
    assert_eq!(s.batch(ym("2024-03")).unwrap().unwrap().late_reason, info.late_reason);
}

pub(crate) fn commit_without_a_draft_is_refused<B: Backend>(b: &B) {
    let s = b.store();
    let err = s.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 中没有{}：请先用 youfu pay 计算 2024-03 的发放，银行代发完成后再确认",
            s.shown(),
            b.draft_of("2024-03")
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_NO_DRAFT", 7));
}

pub(crate) fn commit_with_changed_inputs_is_refused_and_the_draft_stays_a_draft<B: Backend>(b: &B) {
    let s = b.store();
    save(s, &batch("2024-03", "in-1", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)]))
        .unwrap();
    let err = s.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-CHANGED", None).unwrap_err();
    assert_eq!(err.to_string(), "2024-03：花名册或标准表在生成草稿后已被修改，请重新运行 pay 后再确认");
    assert_eq!(digests_of(&err), Some(("in-1".to_string(), "in-CHANGED".to_string())));
    assert_eq!((err.code(), err.exit_code()), ("INPUTS_CHANGED_SINCE_DRAFT", 7));
    assert_eq!(s.batch(ym("2024-03")).unwrap().unwrap().status, BatchStatus::Draft);
    assert!(s.batch_lines(ym("2024-03")).unwrap().is_empty());
}

pub(crate) fn save_draft_after_commit_is_refused_with_when_and_how_much<B: Backend>(b: &B) {
    let s = b.store();
    let committed = committed_march(s);
    let err = save(s, &batch("2024-03", "in-2", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1)]))
        .unwrap_err();
    // total 12345678 分 = 123,456.78 元
    assert_eq!(
        err.to_string(),
        "2024-03 已于 2024-03-18 10:00:00（北京时间） 确认发放（发放日期 2024-03-15），合计 123,456.78 元；不能重复发放。\
         如果这个月有人少发、漏发，不必重新发放本月：改好花名册或标准表后照常发放下个月，\
         少发的部分会作为补发自动计入下个月的发放。"
    );
    // Exit 6 (cli/exit.rs ALREADY_COMMITTED), not the ledger's 7.
    assert_eq!((err.code(), err.exit_code()), ("MONTH_ALREADY_COMMITTED", crate::cli::exit::ALREADY_COMMITTED));
    assert_eq!(err.exit_code(), 6);
    // Nothing changed: still the one committed batch.
    assert_eq!(s.batches().unwrap(), vec![committed]);
    // Committing again is refused the same way.
    let again = s.commit(ym("2024-03"), date("2024-03-16"), COMMITTED_AT, "in-1", None).unwrap_err();
    assert_eq!(again.to_string(), err.to_string());
}

pub(crate) fn the_problem_form_names_the_ledger_and_has_one_full_stop<B: Backend>(b: &B) {
    let s = b.store();
    committed_march(s);
    let err = save(s, &batch("2024-03", "in-2", vec![])).unwrap_err();
    let problem = err.to_problem();
    assert_eq!(problem.code, "MONTH_ALREADY_COMMITTED");
    assert_eq!(problem.location.as_ref().unwrap().file, s.shown());
    assert_eq!(
        problem.to_string(),
        format!(
            "{}：2024-03 已于 2024-03-18 10:00:00（北京时间） 确认发放（发放日期 2024-03-15），合计 123,456.78 元；\
             不能重复发放。如果这个月有人少发、漏发，不必重新发放本月：改好花名册或标准表后照常发放下个月，\
             少发的部分会作为补发自动计入下个月的发放。 [MONTH_ALREADY_COMMITTED]",
            s.shown()
        )
    );
}

/// Names a county's clerk can type that JSON, COPY or SQL must escape: a quote, a backslash, a tab, a line break.
pub(crate) const ODD_NAMES: [&str; 4] = ["王\"小\"二", "赵\\六", "钱\t七", "孙\n八"];

pub(crate) fn a_draft_keeps_every_line_its_order_and_text_through_commit<B: Backend>(b: &B) {
    // Seven lines (on SQLite over three chunks: CHUNK_LINES is 3 under test), not in the never-pay-twice order: the
    // commit sorts them for the indexes, `batch_lines` gives them back in draft order with their texts as typed.
    let s = b.store();
    let ids = [7, 3, 5, 1, 6, 2, 4].map(|n| format!("51010119800101000{n}"));
    let lines: Vec<NewLine> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            let mut l = line(id, "残疾抚恤金", "2024-03", PaymentKind::Regular, 100 + n as i64);
            l.name = ODD_NAMES[n % ODD_NAMES.len()].to_string();
            l
        })
        .collect();
    let draft = save(s, &batch("2024-03", "in-1", lines.clone())).unwrap();
    // 100 + 101 + … + 106 = 721 分 in 7 lines.
    assert_eq!((draft.lines, draft.total_fen), (7, 721));
    let info = s.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap();
    assert_eq!((info.lines, info.total_fen), (7, 721));
    let back = s.batch_lines(ym("2024-03")).unwrap();
    assert_eq!(
        back.iter().map(|l| (l.id.as_str(), l.name.as_str(), l.amount_fen)).collect::<Vec<_>>(),
        lines.iter().map(|l| (l.id.as_str(), l.name.as_str(), l.amount_fen)).collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------------------------
// never paying twice
// ---------------------------------------------------------------------------------------------------------------

pub(crate) fn a_regular_payment_already_made_cannot_be_drafted_again_in_a_later_month<B: Backend>(b: &B) {
    let s = b.store();
    let march = committed_march(s);
    let err = save(
        s,
        &batch(
            "2024-04",
            "in-2",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 10_000_000),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2_345_678),
            ],
        ),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "李四（{LI}）的残疾抚恤金 2024-03 正常{}，不能重复发放；台账 {} 未作修改",
            b.paid_by(&march),
            s.shown()
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("ALREADY_PAID", 7));
    assert_eq!(s.batch(ym("2024-04")).unwrap(), None);
    // An arrears line for the same period is fine: it adds to what was paid.
    save(s, &batch("2024-04", "in-2", vec![line(LI, "残疾抚恤金", "2024-03", PaymentKind::Arrears, 100)])).unwrap();
}

pub(crate) fn a_regular_line_of_the_month_already_paid_by_another_batch_is_found<B: Backend>(b: &B) {
    // March's batch (oddly) paid 李四's April 正常 line: April's own-period lines are checked too. (On SQLite the
    // EXISTS on committed 正常 lines of 2024-04 makes every April 正常 line one to check; two are more than
    // MAX_PROBED_LINES under test (1), so save_draft runs the exact join over the draft's chunks, which names the
    // second line.)
    let s = b.store();
    let march = commit_month(s, "2024-03", "in-3", vec![line(LI, "残疾抚恤金", "2024-04", PaymentKind::Regular, 7)]);
    let err = save(
        s,
        &batch(
            "2024-04",
            "in-4",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 888_917),
                line(LI, "残疾抚恤金", "2024-04", PaymentKind::Regular, 888_917),
            ],
        ),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "李四（{LI}）的残疾抚恤金 2024-04 正常{}，不能重复发放；台账 {} 未作修改",
            b.paid_by(&march),
            s.shown()
        )
    );
    assert_eq!(s.batch(ym("2024-04")).unwrap(), None);
}

pub(crate) fn the_funeral_grant_is_paid_once_only<B: Backend>(b: &B) {
    let s = b.store();
    save(s, &batch("2024-05", "in-5", vec![line(ZHANG, "丧葬补助", "2024-04", PaymentKind::Funeral, 5_333_502)]))
        .unwrap();
    let info = s.commit(ym("2024-05"), date("2024-05-17"), "2024-05-17T09:00:00+08:00", "in-5", None).unwrap();
    let paid = s.funeral_paid(ZHANG).unwrap().unwrap();
    assert_eq!(
        (paid.batch_id, paid.batch_month, paid.amount_fen, paid.kind),
        (info.id, ym("2024-05"), 5_333_502, PaymentKind::Funeral)
    );
    assert_eq!(paid.pay_date, Some(date("2024-05-17")));
    assert_eq!(s.funeral_paid(LI).unwrap(), None);
    // A second funeral grant for the same person, in any item or period, is refused; the refused draft line is
    // named (its 项目 and 所属期), with the batch that paid the person's.
    let err = save(s, &batch("2024-06", "in-6", vec![line(ZHANG, "丧葬补助金", "2024-05", PaymentKind::Funeral, 1)]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "张三（{ZHANG}）的丧葬补助金 2024-05 丧葬补助{}，不能重复发放；台账 {} 未作修改",
            b.paid_by(&info),
            s.shown()
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("ALREADY_PAID", 7));
}

pub(crate) fn a_draft_that_became_a_double_payment_is_refused_at_commit<B: Backend>(b: &B) {
    // Two drafts made before either is committed: April also pays March regularly for 李四.
    let s = b.store();
    save(s, &batch("2024-04", "in-4", vec![line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2_345_678)]))
        .unwrap();
    let march = committed_march(s);
    let err = s.commit(ym("2024-04"), date("2024-04-15"), COMMITTED_AT, "in-4", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "李四（{LI}）的残疾抚恤金 2024-03 正常{}，不能重复发放；台账 {} 未作修改",
            b.paid_by(&march),
            s.shown()
        )
    );
    assert_eq!(s.batch(ym("2024-04")).unwrap().unwrap().status, BatchStatus::Draft);
    assert_eq!(count(b, "SELECT COUNT(*) FROM draft_lines"), 1);
}

// ---------------------------------------------------------------------------------------------------------------
// reads
// ---------------------------------------------------------------------------------------------------------------

pub(crate) fn paid_totals_add_arrears_to_the_regular_payment<B: Backend>(b: &B) {
    let s = b.store();
    commit_month(s, "2024-03", "in-3", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)]);
    // April: the new standard (sample 113070 元/年 → 9422.50/月) for April, and March's difference as arrears:
    // 942250 − 888917 = 53333 分; and a funeral grant.
    save(
        s,
        &batch(
            "2024-04",
            "in-4",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 942_250),
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Arrears, 53_333),
                line(ZHANG, "丧葬补助", "2024-04", PaymentKind::Funeral, 1_000),
            ],
        ),
    )
    .unwrap();
    let april = s.commit(ym("2024-04"), date("2024-04-18"), "2024-04-18T09:00:00+08:00", "in-4", None).unwrap();
    // 942250 + 53333 + 1000 = 996583
    assert_eq!(april.total_fen, 996_583);

    let march_lines = b.paid_lines(ym("2024-03"), ym("2024-03"));
    let kinds: Vec<(PaymentKind, YearMonth, i64)> =
        march_lines.iter().map(|l| (l.kind, l.batch_month, l.amount_fen)).collect();
    assert_eq!(
        kinds,
        vec![(PaymentKind::Regular, ym("2024-03"), 888_917), (PaymentKind::Arrears, ym("2024-04"), 53_333)]
    );
    // 888917 + 53333 = 942250: March is now paid at the new standard.
    assert_eq!(march_lines.iter().map(|l| l.amount_fen).sum::<i64>(), 942_250);
    let total = |period: &str| PaidTotal {
        id: ZHANG.to_string(),
        item: "残疾抚恤金".to_string(),
        period: ym(period),
        total_fen: 942_250,
    };
    assert_eq!(b.paid_totals(ym("2024-03"), ym("2024-04")), vec![total("2024-03"), total("2024-04")]);
    // The same lines streamed (正常 and 补发 only, any order), split over two threads (March's batch on one,
    // April's on the other): sorted, March has its 888917 and the 53333 arrears.
    let (lines, both_sides) = streamed(s, "2024-03", "2024-04");
    let z = |p: &str, fen| (ZHANG.to_string(), "残疾抚恤金".to_string(), p.to_string(), fen);
    assert_eq!(lines, vec![z("2024-03", 53_333), z("2024-03", 888_917), z("2024-04", 942_250)]);
    assert!(both_sides, "{lines:?}");
    assert_eq!(streamed(s, "2024-04", "2024-04").0, vec![z("2024-04", 942_250)]);
    // Lines of batches from March on: 1 + 3.
    assert_eq!(s.committed_lines_since(ym("2024-03")).unwrap(), 4);
    assert_eq!(s.committed_lines_since(ym("2024-04")).unwrap(), 3);
    // 张三's funeral grant is committed; 李四 has none.
    assert_eq!(s.funeral_paid_ids().unwrap(), std::collections::HashSet::from([ZHANG.to_string()]));
    // history and explain
    assert_eq!(s.lines_for(ZHANG, None).unwrap().len(), 4);
    let explain = s.lines_for(ZHANG, Some(ym("2024-03"))).unwrap();
    assert_eq!(explain.iter().map(|l| l.amount_fen).collect::<Vec<_>>(), vec![888_917, 53_333]);
    assert!(s.lines_for(LI, None).unwrap().is_empty());
    // April's batch paid three lines, one of them for March.
    let april_lines = s.batch_lines(ym("2024-04")).unwrap();
    assert_eq!(
        april_lines.iter().map(|l| l.period.to_string()).collect::<Vec<_>>(),
        vec!["2024-04", "2024-03", "2024-04"]
    );
    let months: Vec<String> = s.batches().unwrap().iter().map(|b| b.month.to_string()).collect();
    assert_eq!(months, vec!["2024-03", "2024-04"]);
}

pub(crate) fn batch_prefers_the_committed_batch_over_a_later_draft_of_another_month<B: Backend>(b: &B) {
    let s = b.store();
    let march = committed_march(s);
    let april = save(s, &batch("2024-04", "in-4", vec![line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 5)]))
        .unwrap();
    assert_eq!(s.batch(ym("2024-03")).unwrap(), Some(march.clone()));
    assert_eq!(s.batch(ym("2024-04")).unwrap(), Some(april.clone()));
    assert_eq!(s.batch(ym("2024-05")).unwrap(), None);
    assert_eq!(s.batches().unwrap(), vec![march, april]);
    assert_eq!(s.first_committed_month().unwrap(), Some(ym("2024-03")));
}

// ---------------------------------------------------------------------------------------------------------------
// refused writes roll back
// ---------------------------------------------------------------------------------------------------------------

pub(crate) fn a_failing_line_rolls_back_the_whole_draft_and_keeps_the_previous_one<B: Backend>(b: &B) {
    let s = b.store();
    let first = save(
        s,
        &batch(
            "2024-03",
            "in-1",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 352_833),
            ],
        ),
    )
    .unwrap();
    // The third line is negative: the database refuses it after the old draft was already deleted and two new
    // lines inserted.
    let err = save(
        s,
        &batch(
            "2024-03",
            "in-2",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2),
                line(ZHANG, "护理费", "2024-03", PaymentKind::Regular, -3),
            ],
        ),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 拒绝了这次写入：明细金额不能为负数（多发的款项应列出追缴，不能以负数冲减）；台账未作任何修改",
            s.shown()
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_REJECTED", 7));
    assert_eq!(s.batches().unwrap(), vec![first]);
    assert_eq!(b.ints("SELECT amount_fen FROM draft_lines ORDER BY line_no"), vec![888_917, 352_833]);
}

pub(crate) fn a_line_twice_in_one_draft_is_refused_at_commit_and_the_draft_stays<B: Backend>(b: &B) {
    // A draft is appended without a per-draft index (speed); the commit's UNIQUE indexes refuse the duplicate.
    let s = b.store();
    let [regular, funeral] = b.twice_in_batch();
    for (lines, message) in [
        (
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2),
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 3),
            ],
            regular,
        ),
        (
            vec![
                line(ZHANG, "丧葬补助", "2024-02", PaymentKind::Funeral, 1),
                line(ZHANG, "丧葬补助金", "2024-02", PaymentKind::Funeral, 1),
            ],
            funeral,
        ),
    ] {
        let draft = save(s, &batch("2024-03", "in-1", lines)).unwrap();
        let err = s.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap_err();
        assert_eq!(err.to_string(), format!("台账 {} 拒绝了这次写入：{message}；台账未作任何修改", s.shown()));
        assert_eq!((err.code(), err.exit_code()), ("LEDGER_REJECTED", 7));
        assert_eq!(s.batches().unwrap(), vec![draft]);
        assert_eq!(count(b, "SELECT COUNT(*) FROM lines"), 0);
    }
}

pub(crate) fn a_negative_amount_is_refused_by_the_database<B: Backend>(b: &B) {
    let s = b.store();
    let err =
        save(s, &batch("2024-03", "in-1", vec![line(ZHANG, "残疾抚恤金", "2024-02", PaymentKind::Arrears, -100)]))
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 拒绝了这次写入：明细金额不能为负数（多发的款项应列出追缴，不能以负数冲减）；台账未作任何修改",
            s.shown()
        )
    );
    assert!(s.batches().unwrap().is_empty());
}

/// Past the program: the ledger's own connection changing or deleting committed lines and batches is refused by
/// the database (its triggers), with the same words on both backends.
pub(crate) fn the_database_refuses_to_change_or_delete_committed_lines_and_batches<B: Backend>(b: &B) {
    committed_march(b.store());
    for (sql, message) in [
        ("UPDATE lines SET amount_fen = 1", "已确认发放的明细不能修改"),
        ("UPDATE lines SET calc_id = calc_id", "已确认发放的明细不能修改"),
        ("DELETE FROM lines", "已确认发放的明细不能删除"),
        ("UPDATE batches SET line_count = 3", "已确认发放的批次不能修改"),
        ("UPDATE batches SET pay_date = '2024-03-01'", "已确认发放的批次不能修改"),
        ("UPDATE batches SET status = 'draft', committed_at = NULL, pay_date = NULL", "已确认发放的批次不能修改"),
        ("DELETE FROM batches", "已确认发放的批次不能删除"),
    ] {
        assert_eq!(b.refusal(sql), message, "{sql}");
    }
    // Nothing moved: 10000000 + 2345678.
    assert_eq!(count(b, "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM lines"), 12_345_678);
    assert_eq!(count(b, "SELECT COUNT(*) FROM batches WHERE status = 'committed'"), 1);
}

/// Past the program: a batch whose lines are moved into the committed table and which is marked committed by raw
/// SQL (`Backend::force_commit`, none of the program's checks on the way) is judged by the database itself, on both
/// backends — a second 正常 of a (身份证号, 项目, 所属期), a second 丧葬补助 of a person, a second committed batch of
/// a month are refused and leave nothing behind, while a 补发 and another 所属期 go in. (The databases word these
/// refusals differently; each backend's own raw tests check their exact text.)
pub(crate) fn the_database_itself_refuses_a_second_payment_written_past_the_program<B: Backend>(b: &B) {
    let s = b.store();
    committed_march(s);
    commit_month(s, "2024-04", "in-4", vec![line(ZHANG, "丧葬补助", "2024-04", PaymentKind::Funeral, 5_333_502)]);
    for (month, lines) in [
        // 李四's March 正常 again, in May's batch.
        ("2024-05", vec![(LI, "残疾抚恤金", "2024-03", "正常", 2_345_678)]),
        // 张三's 丧葬补助 again, under another 项目 and 所属期.
        ("2024-05", vec![(ZHANG, "丧葬补助金", "2024-05", "丧葬补助", 1)]),
        // A second committed batch of March, its line no second payment.
        ("2024-03", vec![(LI, "护理费", "2024-03", "正常", 1)]),
    ] {
        assert!(b.force_commit(month, &lines).is_err(), "{month} {lines:?} was accepted");
    }
    // Nothing of the refused writes is left: March and April as committed, 10000000 + 2345678 + 5333502 = 17679180
    // 分 in 3 lines.
    assert_eq!(count(b, "SELECT COUNT(*) FROM lines"), 3);
    assert_eq!(count(b, "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM lines"), 17_679_180);
    assert_eq!(count(b, "SELECT COUNT(*) FROM batches WHERE status = 'committed'"), 2);
    assert_eq!(s.batch(ym("2024-03")).unwrap().unwrap().total_fen, 12_345_678);
    // The same way, what is no second payment goes in: a 补发 of 李四's March and his April 正常, 1 + 2 = 3 分.
    b.force_commit("2024-05", &[(LI, "残疾抚恤金", "2024-03", "补发", 1), (LI, "残疾抚恤金", "2024-04", "正常", 2)])
        .unwrap();
    let may = s.batch(ym("2024-05")).unwrap().unwrap();
    assert_eq!((may.status, may.lines, may.total_fen), (BatchStatus::Committed, 2, 3));
}

/// Two officers of one county committing the same month at once (two connections, one thread each, released
/// together), ten months in a row: one commits, the other is told the month is committed (or, on SQLite, that the
/// ledger is busy); never two committed batches of a month.
pub(crate) fn two_connections_committing_the_same_month_never_make_two_committed_batches<B: Backend>(b: &B) {
    use std::sync::{Arc, Barrier};
    for round in 1..=10 {
        let month = format!("2024-{round:02}");
        save(b.store(), &batch(&month, "in-1", vec![line(ZHANG, "残疾抚恤金", &month, PaymentKind::Regular, 888_917)]))
            .unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|n| {
                let (ledger, barrier, month) = (b.open_again(), Arc::clone(&barrier), ym(&month));
                std::thread::spawn(move || {
                    barrier.wait();
                    let committed_at = format!("2024-03-18T10:00:0{n}+08:00");
                    ledger.commit(month, month.first_day(), &committed_at, "in-1", None).map_err(|e| {
                        assert!(e.month_already_committed() || e.code() == "LEDGER_BUSY", "{month}: {e}");
                        e.code()
                    })
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{month}: {results:?}");
        let committed = format!("SELECT COUNT(*) FROM batches WHERE status = 'committed' AND month = '{month}'");
        assert_eq!(count(b, &committed), 1, "{month}");
        assert_eq!(count(b, "SELECT COUNT(*) FROM lines"), i64::from(round), "{month}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// the report's counts
// ---------------------------------------------------------------------------------------------------------------

pub(crate) fn period_counts_count_runs_of_persons_and_periods_per_group<B: Backend>(b: &B) {
    let s = b.store();
    // March: 张三 two items for 2024-03 (one 人次, two lines), 李四 one item; April: 张三 regular + 补发 for March,
    // 李四 the funeral grant; May: a draft only (not counted).
    commit_month(
        s,
        "2024-03",
        "in-3",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 100),
            line(ZHANG, "护理费", "2024-03", PaymentKind::Regular, 20),
            with_town(line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 3), ""),
        ],
    );
    commit_month(
        s,
        "2024-04",
        "in-4",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 100),
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Arrears, 7),
            with_town(line(LI, "丧葬补助", "2024-04", PaymentKind::Funeral, 5000), ""),
        ],
    );
    save(s, &batch("2024-05", "in-5", vec![line(ZHANG, "残疾抚恤金", "2024-05", PaymentKind::Regular, 1)])).unwrap();

    let c = s.period_counts(ym("2024-03"), ym("2024-05")).unwrap();
    // All six committed lines: 100+20+3+100+7+5000 = 5230 分; 2 persons; 正常 pairs (张三,03) (李四,03) (张三,04) = 3.
    assert_eq!(c.totals, counts(6, 5230, 2, 3));
    // 正常: 100+20+3+100 = 223 分, the same three pairs.
    assert_eq!(c.regular, counts(4, 223, 2, 3));
    // 补发 counts its own pairs: (张三,03) once; 丧葬补助: (李四,04) once.
    assert_eq!(c.arrears, counts(1, 7, 1, 1));
    assert_eq!(c.funeral, counts(1, 5000, 1, 1));
    // 残疾抚恤金: 100+3+100+7 = 210 分, 正常 pairs (张三,03) (李四,03) (张三,04); 护理费: 20 分, one pair.
    assert_eq!(c.by_item["残疾抚恤金"], counts(4, 210, 2, 3));
    assert_eq!(c.by_item["护理费"], counts(1, 20, 1, 1));
    // The funeral line has no 正常 pair: 丧葬补助 as an item has one person, no 人次.
    assert_eq!(c.by_item["丧葬补助"], counts(1, 5000, 1, 0));
    // 城关镇: 张三's 100+20+100+7 = 227 分, pairs (张三,03) (张三,04); the empty town: 李四's 3+5000 = 5003 分.
    assert_eq!(c.by_town["城关镇"], counts(4, 227, 1, 2));
    assert_eq!(c.by_town[""], counts(2, 5003, 1, 1));
    assert_eq!(c.by_category.len(), 1);
    assert_eq!(c.by_category["残疾军人"], counts(6, 5230, 2, 3));
    // Per batch month: March 123 分 in 3 lines, April 5107 分 in 3 lines, May only a draft: 0.
    let months: Vec<(String, u64, i64)> =
        c.by_month.iter().map(|(m, c)| (m.to_string(), c.lines, c.amount_fen)).collect();
    assert_eq!(months, vec![("2024-03".into(), 3, 123), ("2024-04".into(), 3, 5107), ("2024-05".into(), 0, 0)]);
    // Outside the range nothing is counted.
    assert_eq!(s.period_counts(ym("2024-05"), ym("2024-06")).unwrap().totals, LineCounts::default());
    // Read line by line (no packed blobs, as for a batch whose texts do not pack): the same counts.
    b.drop_packed_lines();
    assert_eq!(s.period_counts(ym("2024-03"), ym("2024-05")).unwrap(), c);
}

/// March and April 2024 committed: 张三 (城关镇 in March, 东乡 in April) with two items each month and a 补发 for
/// March paid in April; 李四 (东乡) one item each month.
fn two_months_moving_town(s: &dyn LedgerStore) {
    commit_month(
        s,
        "2024-03",
        "in-3",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 100),
            line(ZHANG, "护理费", "2024-03", PaymentKind::Regular, 20),
            with_town(line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 3), "东乡"),
        ],
    );
    commit_month(
        s,
        "2024-04",
        "in-4",
        vec![
            with_town(line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 100), "东乡"),
            with_town(line(ZHANG, "护理费", "2024-04", PaymentKind::Regular, 20), "东乡"),
            with_town(line(LI, "残疾抚恤金", "2024-04", PaymentKind::Regular, 3), "东乡"),
            with_town(line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Arrears, 7), "东乡"),
        ],
    );
}

pub(crate) fn period_counts_count_a_person_once_across_periods_and_groups<B: Backend>(b: &B) {
    let s = b.store();
    two_months_moving_town(s);
    let c = s.period_counts(ym("2024-03"), ym("2024-04")).unwrap();
    // 7 lines: 100+20+3 + 100+20+3+7 = 253 分; 张三 and 李四 = 2 persons although both appear in two 所属期;
    // 正常 pairs (张三,03) (李四,03) (张三,04) (李四,04) = 4 (two items of one pair are one 人次).
    assert_eq!(c.totals, counts(7, 253, 2, 4));
    assert_eq!(c.regular, counts(6, 246, 2, 4));
    // The 补发 for March: its own pair (张三,03), once.
    assert_eq!(c.arrears, counts(1, 7, 1, 1));
    assert_eq!(c.funeral, LineCounts::default());
    // 张三 counts in both towns. 城关镇: his March 100+20 = 120 分, pair (张三,03). 东乡: 李四 3+3, 张三 100+20+7 =
    // 133 分 in 5 lines, 2 persons, 正常 pairs (李四,03) (张三,04) (李四,04) = 3 (the 补发 (张三,03) is no 人次).
    assert_eq!(c.by_town["城关镇"], counts(2, 120, 1, 1));
    assert_eq!(c.by_town["东乡"], counts(5, 133, 2, 3));
    // 残疾抚恤金: 100+3+100+3+7 = 213 分, 2 persons, 4 pairs; 护理费: 张三 20+20 = 40 分, 1 person, 2 pairs.
    assert_eq!(c.by_item["残疾抚恤金"], counts(5, 213, 2, 4));
    assert_eq!(c.by_item["护理费"], counts(2, 40, 1, 2));
    assert_eq!(c.by_category["残疾军人"], counts(7, 253, 2, 4));
    // March 100+20+3 = 123 分 in 3 lines; April 100+20+3+7 = 130 分 in 4 lines.
    let months: Vec<(String, u64, i64)> =
        c.by_month.iter().map(|(m, c)| (m.to_string(), c.lines, c.amount_fen)).collect();
    assert_eq!(months, vec![("2024-03".into(), 3, 123), ("2024-04".into(), 4, 130)]);
}

pub(crate) fn period_counts_count_an_arrears_line_by_its_batch_month_not_its_earlier_period<B: Backend>(b: &B) {
    let s = b.store();
    two_months_moving_town(s);
    // April only: the 补发 whose 所属期 2024-03 lies before the range belongs to April's batch and counts.
    let c = s.period_counts(ym("2024-04"), ym("2024-04")).unwrap();
    // 100+20+3+7 = 130 分 in 4 lines; 正常 pairs (张三,04) (李四,04) = 2.
    assert_eq!(c.totals, counts(4, 130, 2, 2));
    assert_eq!(c.arrears, counts(1, 7, 1, 1));
    assert_eq!(c.by_town.len(), 1);
    assert_eq!(c.by_town["东乡"], counts(4, 130, 2, 2));
    let months: Vec<(String, u64, i64)> =
        c.by_month.iter().map(|(m, c)| (m.to_string(), c.lines, c.amount_fen)).collect();
    assert_eq!(months, vec![("2024-04".into(), 4, 130)]);
    // March only: April's 补发 for March is not March's.
    let c = s.period_counts(ym("2024-03"), ym("2024-03")).unwrap();
    assert_eq!((c.totals, c.arrears), (counts(3, 123, 2, 2), LineCounts::default()));
}

pub(crate) fn period_counts_tell_apart_ids_that_do_not_pack_into_a_number<B: Backend>(b: &B) {
    let s = b.store();
    // 张三's number, the same with a lower-case x, another check digit, and a short text: four persons.
    let ids = [ZHANG, "11010519491231002x", "110105194912310020", "A"];
    let lines = ids.iter().map(|id| line(id, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1)).collect();
    commit_month(s, "2024-03", "in-3", lines);
    let c = s.period_counts(ym("2024-03"), ym("2024-03")).unwrap();
    // 4 lines of 1 分, 4 persons, 4 pairs.
    assert_eq!(c.totals, counts(4, 4, 4, 4));
}

/// Three months counted (on SQLite on two threads: the largest batch alone, the other two together): persons seen
/// on both sides, a person on one side only, an id that does not pack on both sides and a 所属期 seen on one side
/// only are each counted once.
pub(crate) fn period_counts_merge_the_two_threads_by_person_and_name<B: Backend>(b: &B) {
    let s = b.store();
    let other = "110105194912310020"; // 张三's number with another check digit: a third person
    // March (3 lines): 张三, "A", 李四. April (2 lines): 张三, "A". May (4 lines, the largest): 张三, other, "A",
    // and 张三's 补发 for February.
    let months = [
        (
            "2024-03",
            vec![
                (ZHANG, "2024-03", PaymentKind::Regular, 10),
                ("A", "2024-03", PaymentKind::Regular, 1),
                (LI, "2024-03", PaymentKind::Regular, 100),
            ],
        ),
        ("2024-04", vec![(ZHANG, "2024-04", PaymentKind::Regular, 10), ("A", "2024-04", PaymentKind::Regular, 1)]),
        (
            "2024-05",
            vec![
                (ZHANG, "2024-05", PaymentKind::Regular, 10),
                (other, "2024-05", PaymentKind::Regular, 1000),
                ("A", "2024-05", PaymentKind::Regular, 1),
                (ZHANG, "2024-02", PaymentKind::Arrears, 5),
            ],
        ),
    ];
    for (month, lines) in months {
        let lines =
            lines.into_iter().map(|(id, period, kind, fen)| line(id, "残疾抚恤金", period, kind, fen)).collect();
        commit_month(s, month, month, lines);
    }
    let c = s.period_counts(ym("2024-03"), ym("2024-05")).unwrap();
    // 9 lines: 10+1+100 + 10+1 + 10+1000+1+5 = 1138 分; persons 张三, "A", 李四, other = 4; 正常 pairs: 张三 ×3,
    // "A" ×3, 李四 ×1, other ×1 = 8.
    assert_eq!(c.totals, counts(9, 1138, 4, 8));
    assert_eq!(c.regular, counts(8, 1133, 4, 8));
    // 补发 (张三, 2024-02): a 所属期 only May has.
    assert_eq!(c.arrears, counts(1, 5, 1, 1));
    assert_eq!(c.by_item["残疾抚恤金"], counts(9, 1138, 4, 8));
    assert_eq!(c.by_town["城关镇"], counts(9, 1138, 4, 8));
    let months: Vec<(String, u64, i64)> =
        c.by_month.iter().map(|(m, c)| (m.to_string(), c.lines, c.amount_fen)).collect();
    assert_eq!(months, vec![("2024-03".into(), 3, 111), ("2024-04".into(), 2, 11), ("2024-05".into(), 4, 1016)]);
}

/// Three months for `period_counts`: persons whose 身份证号 packs and ones that do not, two towns, 补发 and a
/// 丧葬补助, and a person first seen in the last month.
pub(crate) fn three_months_for_counts(s: &dyn LedgerStore) {
    commit_month(
        s,
        "2024-03",
        "in-3",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 100),
            line(ZHANG, "护理费", "2024-03", PaymentKind::Regular, 20),
            with_town(line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 3), "东乡"),
            line("11010519491231002x", "残疾抚恤金", "2024-03", PaymentKind::Regular, 40),
        ],
    );
    commit_month(
        s,
        "2024-04",
        "in-4",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 100),
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Arrears, 7),
            with_town(line(LI, "丧葬补助", "2024-04", PaymentKind::Funeral, 5000), "东乡"),
            line("11010519491231002x", "残疾抚恤金", "2024-04", PaymentKind::Regular, 40),
        ],
    );
    commit_month(
        s,
        "2024-05",
        "in-5",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-05", PaymentKind::Regular, 100),
            line("A", "残疾抚恤金", "2024-05", PaymentKind::Regular, 9),
            with_town(line("110105194912310020", "护理费", "2024-05", PaymentKind::Regular, 11), "东乡"),
        ],
    );
}

pub(crate) fn period_counts_from_packed_lines_equal_those_from_the_rows<B: Backend>(b: &B) {
    let s = b.store();
    three_months_for_counts(s);
    // Each commit packed its batch, with the batch's count and total.
    assert_eq!(count(b, "SELECT COUNT(*) FROM packed_lines"), 3);
    assert_eq!(
        count(
            b,
            "SELECT COUNT(*) FROM packed_lines p JOIN batches b ON b.id = p.batch_id
              WHERE p.line_count = b.line_count AND p.total_fen = b.total_fen"
        ),
        3
    );
    let packed = s.period_counts(ym("2024-03"), ym("2024-05")).unwrap();
    let one_side = s.period_counts(ym("2024-04"), ym("2024-04")).unwrap();
    // 100+20+3+40 + 100+7+5000+40 + 100+9+11 = 5430 分 in 11 lines; persons 张三, 李四, the lower-case x, "A" and
    // 张三's number with another check digit: 5; 正常 pairs: 3 in March (张三's two items are one pair), 2 in
    // April, 3 in May = 8.
    assert_eq!(packed.totals, counts(11, 5430, 5, 8));
    // 东乡: 李四's 3 + 5000 and the other check digit's 11 = 5014 分; pairs (李四,03) and (…0020,05).
    assert_eq!(packed.by_town["东乡"], counts(3, 5014, 2, 2));
    // Without the packed lines (a ledger committed before they were packed) the rows give the same counts.
    b.drop_packed_lines();
    assert_eq!(s.period_counts(ym("2024-03"), ym("2024-05")).unwrap(), packed);
    assert_eq!(s.period_counts(ym("2024-04"), ym("2024-04")).unwrap(), one_side);
}

// ---------------------------------------------------------------------------------------------------------------
// bank returns (退回) and re-issues (重发)
// ---------------------------------------------------------------------------------------------------------------

pub(crate) fn returns_are_recorded_read_and_reissued_once<B: Backend>(b: &B) {
    let s = b.store();
    let (march, li) = march_with_a_return(s);
    // The transfers as the 代发 file had them, and the lines of the returned one.
    let (batch_id, transfers) = s.transfers(ym("2024-03")).unwrap().unwrap();
    assert_eq!(batch_id, march.id);
    assert_eq!(
        transfers.iter().map(|t| (t.no, t.first_line, t.lines, t.amount_fen)).collect::<Vec<_>>(),
        vec![(1, 0, 1, 10_000_000), (2, 1, 1, 2_345_678)]
    );
    assert_eq!(s.transfers(ym("2024-04")).unwrap(), None);
    let spans = s.transfer_lines(march.id, &[(1, 1), (0, 1)]).unwrap();
    assert_eq!((spans[0][0].id.as_str(), spans[1][0].id.as_str()), (LI, ZHANG));
    let r = s.returns(ym("2024-03"), ym("2024-03")).unwrap();
    assert_eq!((r.len(), r[0].event.reason.as_str(), r[0].lines.len()), (1, "账户已销户", 1));
    assert_eq!((r[0].event.transfer_no, r[0].event.file_row, r[0].recorded_at.as_str()), (2, 3, CREATED));
    assert_eq!(r[0].lines[0].reissued_in, None);
    // history shows the line as returned; what reached 李四 is nothing.
    let lines = s.lines_for(LI, None).unwrap();
    assert_eq!(lines[0].returned.as_ref().unwrap().reason, "账户已销户");
    assert_eq!(lines[0].reached_fen(), 0);
    // The committed lines themselves are unchanged: 10000000 + 2345678.
    assert_eq!(count(b, "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM lines"), 12_345_678);
    assert_eq!(s.returned_by_month().unwrap()[&ym("2024-03")], (1, 2_345_678, 2_345_678));
    let pending = s.returns_pending().unwrap();
    assert_eq!(
        pending.iter().map(|p| (p.line_id, p.id.as_str(), p.amount_fen, p.recorded_at.as_str())).collect::<Vec<_>>(),
        vec![(li, LI, 2_345_678, "2024-03-15")]
    );
    // April re-issues it, through the API: the link travels with the draft and is kept by the commit.
    save(s, &reissue_draft("2024-04", li)).unwrap();
    let april = s.commit(ym("2024-04"), date("2024-04-15"), COMMITTED_AT, "in-2024-04", None).unwrap();
    let april_lines = s.batch_lines(ym("2024-04")).unwrap();
    assert_eq!((april_lines[0].kind, april_lines[0].reissue_of), (PaymentKind::Reissue, Some(li)));
    let r = s.returns(ym("2024-03"), ym("2024-03")).unwrap();
    assert_eq!(r[0].lines[0].reissued_in, Some((ym("2024-04"), Some(date("2024-04-15")))));
    assert_eq!(s.lines_for(LI, Some(ym("2024-03"))).unwrap()[0].reissued_in, Some(ym("2024-04")));
    assert!(s.returns_pending().unwrap().is_empty());
    assert_eq!(s.returned_by_month().unwrap()[&ym("2024-03")], (1, 2_345_678, 0));
    // A second re-issue of the same line, in May: refused by the database.
    save(s, &reissue_draft("2024-05", li)).unwrap();
    let err = s.commit(ym("2024-05"), date("2024-05-15"), COMMITTED_AT, "in-2024-05", None).unwrap_err();
    assert_eq!(err.to_string(), b.reissued_again(li, &april));
    assert_eq!(s.batch(ym("2024-05")).unwrap().unwrap().status, BatchStatus::Draft);
    assert_eq!(count(b, "SELECT COUNT(*) FROM lines WHERE kind = '重发'"), 1);
    // The same transfer returned twice: refused, nothing recorded.
    let err = s.record_returns(march.id, ym("2024-03"), CREATED, &[(a_return(2, LI, 2_345_678, 4), vec![li])]);
    assert_eq!(err.unwrap_err().to_string(), b.returned_twice(march.id, 2));
    assert_eq!(s.returns(ym("2024-01"), ym("2024-12")).unwrap().len(), 1);
}

pub(crate) fn period_counts_leave_returned_lines_out_and_count_them_on_their_own<B: Backend>(b: &B) {
    let s = b.store();
    let (_, li) = march_with_a_return(s);
    let packed = s.period_counts(ym("2024-03"), ym("2024-03")).unwrap();
    // 张三's 100000.00 reached him; 李四's 23456.78 came back.
    assert_eq!(packed.totals, counts(1, 10_000_000, 1, 1));
    assert_eq!(packed.returned, counts(1, 2_345_678, 1, 1));
    assert_eq!(packed.by_month[&ym("2024-03")], LineCounts { lines: 1, amount_fen: 10_000_000, ..Default::default() });
    // The packed path (March has its blob) and the row-by-row path give the same counts.
    b.drop_packed_lines();
    assert_eq!(s.period_counts(ym("2024-03"), ym("2024-03")).unwrap(), packed);
    // April re-issues it: counted as 重发 (a 人次 like the 正常 it replaces), in the totals.
    save(s, &reissue_draft("2024-04", li)).unwrap();
    s.commit(ym("2024-04"), date("2024-04-15"), COMMITTED_AT, "in-2024-04", None).unwrap();
    let both = s.period_counts(ym("2024-03"), ym("2024-04")).unwrap();
    // 10000000 + 2345678 = 12345678 分 reached 张三 and 李四.
    assert_eq!(both.totals, counts(2, 12_345_678, 2, 2));
    assert_eq!(both.reissued, counts(1, 2_345_678, 1, 1));
}

/// Each test above, once per backend: `ledger::suite::sqlite::NAME` and `ledger::suite::postgresql::NAME`. A test
/// written above and not listed here is dead code, which clippy refuses.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use crate::ledger::sqlite::tests::Sqlite;
            $(#[test] fn $name() { super::$name(&<Sqlite as super::Backend>::fresh(stringify!($name))) })*
        }
        mod postgresql {
            use crate::ledger::pg::store_tests::Postgres;
            $(#[test] fn $name() { super::$name(&<Postgres as super::Backend>::fresh(stringify!($name))) })*
        }
    };
}

on_both_backends!(
    a_pending_draft_gets_its_outputs_digest_at_the_end_or_rolls_back,
    save_draft_records_the_batch_and_its_lines,
    a_second_draft_of_the_month_replaces_the_first,
    commit_marks_the_draft_paid_and_its_lines_become_the_record,
    commit_keeps_a_late_reason,
    commit_without_a_draft_is_refused,
    commit_with_changed_inputs_is_refused_and_the_draft_stays_a_draft,
    save_draft_after_commit_is_refused_with_when_and_how_much,
    the_problem_form_names_the_ledger_and_has_one_full_stop,
    a_draft_keeps_every_line_its_order_and_text_through_commit,
    a_regular_payment_already_made_cannot_be_drafted_again_in_a_later_month,
    a_regular_line_of_the_month_already_paid_by_another_batch_is_found,
    the_funeral_grant_is_paid_once_only,
    a_draft_that_became_a_double_payment_is_refused_at_commit,
    paid_totals_add_arrears_to_the_regular_payment,
    batch_prefers_the_committed_batch_over_a_later_draft_of_another_month,
    a_failing_line_rolls_back_the_whole_draft_and_keeps_the_previous_one,
    a_line_twice_in_one_draft_is_refused_at_commit_and_the_draft_stays,
    a_negative_amount_is_refused_by_the_database,
    the_database_refuses_to_change_or_delete_committed_lines_and_batches,
    the_database_itself_refuses_a_second_payment_written_past_the_program,
    two_connections_committing_the_same_month_never_make_two_committed_batches,
    period_counts_count_runs_of_persons_and_periods_per_group,
    period_counts_count_a_person_once_across_periods_and_groups,
    period_counts_count_an_arrears_line_by_its_batch_month_not_its_earlier_period,
    period_counts_tell_apart_ids_that_do_not_pack_into_a_number,
    period_counts_merge_the_two_threads_by_person_and_name,
    period_counts_from_packed_lines_equal_those_from_the_rows,
    returns_are_recorded_read_and_reissued_once,
    period_counts_leave_returned_lines_out_and_count_them_on_their_own,
);
