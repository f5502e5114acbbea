//! `PgLedger`'s store functions against a real server (tests/support/pg.rs), in the scenarios of the SQLite
//! ledger's tests (src/ledger/tests.rs: same names, same lines, same amounts worked out by hand), so that once the
//! ledger seam gives both backends one trait they can become one suite; then what only a shared ledger has:
//! counties kept apart, never paying one person twice across counties, a commit killed half-way, and a second
//! officer of the same county told the ledger is busy. `one_scenario_reads_the_same_on_both_backends` runs one
//! history on SQLite and PostgreSQL and compares every read, order included.

use super::testserver::{self, ROLE_PASSWORD, TestDb};
use super::*;
use crate::cli::exit::LedgerExit;
use crate::domain::month::YearMonth;
use crate::ledger::location::LedgerLocation;
use crate::ledger::{
    BatchInfo, BatchStatus, LineCounts, NewBatch, NewLine, NewReturn, PaidLine, PaidTotal, PaymentKind, TransferRef,
};
use chrono::NaiveDate;
use std::time::Duration;

const ZHANG: &str = "11010519491231002X";
const LI: &str = "440524188001010014";
const CREATED: &str = "2024-03-10T09:00:00+08:00";
const COMMITTED_AT: &str = "2024-03-18T10:00:00+08:00";
/// 朝阳区 and 西城区 (北京市): two counties sharing one ledger.
const CHAO_YANG: &str = "110105";
const XI_CHENG: &str = "110102";

fn ym(s: &str) -> YearMonth {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn line(id: &str, item: &str, period: &str, kind: PaymentKind, amount_fen: i64) -> NewLine {
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

fn with_town(mut l: NewLine, town: &str) -> NewLine {
    l.town = town.to_string();
    l
}

type Draft = (NewBatch, Vec<NewLine>);

fn batch(month: &str, inputs_digest: &str, lines: Vec<NewLine>) -> Draft {
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

impl PgLedger {
    fn save_draft_test(&self, (header, lines): &Draft) -> Result<BatchInfo, PgError> {
        self.save_draft(header, lines.iter().map(NewLine::line_ref))
    }
}

fn url_of(db: &TestDb) -> PgUrl {
    let plain = db.url_without_password().replacen("youfu@", &format!("youfu:{ROLE_PASSWORD}@"), 1);
    match LedgerLocation::parse(&plain).unwrap() {
        LedgerLocation::Postgres(url) => *url,
        other => panic!("{other:?}"),
    }
}

/// A fresh ledger database and 朝阳区's ledger in it.
fn ledger(test: &str) -> (TestDb, PgLedger) {
    let db = testserver::shared().fresh_db(test);
    let ledger = PgLedger::init(&url_of(&db), &PgEnv::default(), CHAO_YANG).unwrap_or_else(|e| panic!("{e}"));
    (db, ledger)
}

/// Another county's ledger (or another officer's connection) on the same database.
fn county(db: &TestDb, code: &str) -> PgLedger {
    PgLedger::open_existing(&url_of(db), &PgEnv::default(), code).unwrap_or_else(|e| panic!("{e}"))
}

fn commit_month(ledger: &PgLedger, month: &str, inputs_digest: &str, lines: Vec<NewLine>) -> BatchInfo {
    ledger.save_draft_test(&batch(month, inputs_digest, lines)).unwrap();
    ledger.commit(ym(month), date(&format!("{month}-15")), COMMITTED_AT, inputs_digest, None).unwrap()
}

/// March 2024 for 张三 and 李四, drafted and committed: 10000000 + 2345678 = 12345678 分.
fn committed_march(ledger: &PgLedger) -> BatchInfo {
    ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-1",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 10_000_000),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2_345_678),
            ],
        ))
        .unwrap();
    ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap()
}

fn count(ledger: &PgLedger, sql: &str) -> i64 {
    ledger.conn().query_one(sql, &[]).unwrap().get(0)
}

fn target(ledger: &PgLedger) -> String {
    ledger.target().to_string()
}

fn counts(lines: u64, amount_fen: i64, persons: u64, person_times: u64) -> LineCounts {
    LineCounts { lines, amount_fen, persons, person_times }
}

// --- drafting and committing (the SQLite suite's scenarios) --------------------------------------------------

#[test]
fn a_pending_draft_gets_its_outputs_digest_at_the_end_or_rolls_back() {
    let (_db, ledger) = ledger("pending_draft");
    let (header, lines) =
        batch("2024-03", "in-1", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)]);
    let pending = ledger.begin_draft(&header, lines.iter().map(NewLine::line_ref)).unwrap();
    assert_eq!((pending.info().lines, pending.info().total_fen), (1, 888_917));
    let info = pending.finish("manifest-sha").unwrap();
    assert_eq!(info.outputs_digest, "manifest-sha");
    assert_eq!(ledger.batch(ym("2024-03")).unwrap(), Some(info.clone()));
    // A second run of the month that fails before finishing: the first draft stays, digest and lines.
    let (header, lines) =
        batch("2024-03", "in-2", vec![line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 352_833)]);
    let mut pending = ledger.begin_draft(&header, lines.iter().map(NewLine::line_ref)).unwrap();
    pending
        .add_transfers([TransferRef { no: 1, first_line: 0, lines: 1, amount_fen: 352_833, id: LI, account: "6222" }])
        .unwrap();
    drop(pending);
    assert_eq!(ledger.batch(ym("2024-03")).unwrap(), Some(info));
    assert_eq!(count(&ledger, "SELECT count(*) FROM draft_lines"), 1);
    assert_eq!(count(&ledger, "SELECT count(*) FROM transfers"), 0);
}

#[test]
fn save_draft_records_the_batch_and_its_lines() {
    let (_db, ledger) = ledger("save_draft");
    let info = ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-1",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 352_833),
            ],
        ))
        .unwrap();
    assert_eq!(info.month, ym("2024-03"));
    assert_eq!(info.status, BatchStatus::Draft);
    assert_eq!(info.created, CREATED);
    assert_eq!((info.committed_at.as_deref(), info.pay_date), (None, None));
    assert_eq!((info.inputs_digest.as_str(), info.outputs_digest.as_str()), ("in-1", "out-digest"));
    assert_eq!(info.tool_version, "0.1.0");
    // 888917 + 352833 = 1241750 分
    assert_eq!((info.lines, info.total_fen), (2, 1_241_750));
    assert_eq!(info.entitled_fen, Some(1_241_750));
    assert_eq!(ledger.batch(ym("2024-03")).unwrap(), Some(info));
    // A draft is not a payment: no paid lines yet.
    assert!(ledger.paid_lines(ym("2024-01"), ym("2024-12")).unwrap().is_empty());
    assert!(ledger.batch_lines(ym("2024-03")).unwrap().is_empty());
    let row = ledger
        .conn()
        .query_one(
            "SELECT c.standard_row, c.standard_start, d.kind
               FROM draft_lines d JOIN draft_calcs k ON k.batch_id = d.batch_id AND k.calc_no = d.calc_no
               JOIN calcs c ON c.id = k.calc_id WHERE d.person_id = $1",
            &[&ZHANG],
        )
        .unwrap();
    let stored: (Option<i32>, Option<String>, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(stored, (Some(3), Some("2023-08-01".to_string()), "正常".to_string()));
    // The two lines share one calculation: interned once. And the draft is the county's.
    assert_eq!(count(&ledger, "SELECT count(*) FROM calcs"), 1);
    assert_eq!(count(&ledger, "SELECT count(*) FROM lines"), 0);
    assert_eq!(count(&ledger, "SELECT count(*) FROM batches WHERE county_code = '110105'"), 1);
}

#[test]
fn a_second_draft_of_the_month_replaces_the_first() {
    let (_db, ledger) = ledger("second_draft");
    ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-1",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 352_833),
            ],
        ))
        .unwrap();
    let second = ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-2",
            vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 900_000)],
        ))
        .unwrap();
    assert_eq!((second.lines, second.total_fen, second.inputs_digest.as_str()), (1, 900_000, "in-2"));
    assert_eq!(ledger.batches().unwrap(), vec![second]);
    // The first draft's lines, calculations numbers and totals are gone, not orphaned.
    assert_eq!(count(&ledger, "SELECT count(*) FROM draft_lines"), 1);
    assert_eq!(count(&ledger, "SELECT count(*) FROM draft_calcs"), 1);
    assert_eq!(count(&ledger, "SELECT count(*) FROM draft_totals"), 1);
    assert_eq!(count(&ledger, "SELECT count(*) FROM batches"), 1);
}

#[test]
fn commit_marks_the_draft_paid_and_its_lines_become_the_record() {
    let (_db, ledger) = ledger("commit");
    let info = committed_march(&ledger);
    assert_eq!(info.status, BatchStatus::Committed);
    assert_eq!(info.committed_at.as_deref(), Some(COMMITTED_AT));
    assert_eq!(info.pay_date, Some(date("2024-03-15")));
    assert_eq!(info.late_reason, None);
    // 10000000 + 2345678 = 12345678 分 = 123,456.78 元
    assert_eq!((info.lines, info.total_fen), (2, 12_345_678));
    assert_eq!(ledger.first_committed_month().unwrap(), Some(ym("2024-03")));
    let lines = ledger.batch_lines(ym("2024-03")).unwrap();
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
    // Moved out of the draft tables; the batch records the count and total, and the report columns are packed.
    assert_eq!(count(&ledger, "SELECT count(*) FROM lines WHERE county_code = '110105'"), 2);
    for table in ["draft_lines", "draft_calcs", "draft_totals"] {
        assert_eq!(count(&ledger, &format!("SELECT count(*) FROM {table}")), 0, "{table}");
    }
    assert_eq!(count(&ledger, "SELECT line_count FROM batches"), 2);
    assert_eq!(count(&ledger, "SELECT total_fen FROM packed_lines"), 12_345_678);
}

#[test]
fn commit_keeps_a_late_reason() {
    let (_db, ledger) = ledger("late_reason");
    ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-1",
            vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)],
        ))
        .unwrap();
    let info =
        ledger.commit(ym("2024-03"), date("2024-03-22"), COMMITTED_AT, "in-1", Some("银行系统升级，延后两日")).unwrap();
    assert_eq!(info.late_reason.as_deref(), Some("银行系统升级，延后两日"));
    assert_eq!(ledger.batch(ym("2024-03")).unwrap().unwrap().late_reason, info.late_reason);
}

#[test]
fn commit_without_a_draft_is_refused() {
    let (_db, ledger) = ledger("no_draft");
    let err = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 中没有行政区划代码 110105 的 2024-03 发放草稿：请先用 youfu pay 计算 2024-03 的发放，银行代发完成后再确认",
            target(&ledger)
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_NO_DRAFT", 7));
}

#[test]
fn commit_with_changed_inputs_is_refused_and_the_draft_stays_a_draft() {
    let (_db, ledger) = ledger("inputs_changed");
    ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-1",
            vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)],
        ))
        .unwrap();
    let err = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-CHANGED", None).unwrap_err();
    assert_eq!(err.to_string(), "2024-03：花名册或标准表在生成草稿后已被修改，请重新运行 pay 后再确认");
    assert!(matches!(
        &err,
        PgError::InputsChanged { draft_digest, current_digest, .. }
            if draft_digest == "in-1" && current_digest == "in-CHANGED"
    ));
    assert_eq!((err.code(), err.exit_code()), ("INPUTS_CHANGED_SINCE_DRAFT", 7));
    assert_eq!(ledger.batch(ym("2024-03")).unwrap().unwrap().status, BatchStatus::Draft);
    assert!(ledger.batch_lines(ym("2024-03")).unwrap().is_empty());
}

#[test]
fn save_draft_after_commit_is_refused_with_when_and_how_much() {
    let (_db, ledger) = ledger("after_commit");
    let committed = committed_march(&ledger);
    let err = ledger
        .save_draft_test(&batch("2024-03", "in-2", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1)]))
        .unwrap_err();
    // total 12345678 分 = 123,456.78 元; the same words as SQLite's.
    assert_eq!(
        err.to_string(),
        "2024-03 已于 2024-03-18 10:00:00（北京时间） 确认发放（发放日期 2024-03-15），合计 123,456.78 元；不能重复发放。\
         如果这个月有人少发、漏发，不必重新发放本月：改好花名册或标准表后照常发放下个月，\
         少发的部分会作为补发自动计入下个月的发放。"
    );
    assert_eq!((err.code(), err.exit_code()), ("MONTH_ALREADY_COMMITTED", 6));
    assert_eq!(ledger.batches().unwrap(), vec![committed]);
    let again = ledger.commit(ym("2024-03"), date("2024-03-16"), COMMITTED_AT, "in-1", None).unwrap_err();
    assert_eq!(again.to_string(), err.to_string());
}

#[test]
fn a_regular_payment_already_made_cannot_be_drafted_again_in_a_later_month() {
    let (_db, ledger) = ledger("regular_again");
    let march = committed_march(&ledger);
    let err = ledger
        .save_draft_test(&batch(
            "2024-04",
            "in-2",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 10_000_000),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2_345_678),
            ],
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "李四（{LI}）的残疾抚恤金 2024-03 正常已由行政区划代码 110105 的 2024-03 发放批次（批次号 {}）确认发放，\
             不能重复发放；台账 {} 未作修改",
            march.id,
            target(&ledger)
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("ALREADY_PAID", 7));
    assert_eq!(ledger.batch(ym("2024-04")).unwrap(), None);
    // An arrears line for the same period is fine: it adds to what was paid.
    ledger
        .save_draft_test(&batch("2024-04", "in-2", vec![line(LI, "残疾抚恤金", "2024-03", PaymentKind::Arrears, 100)]))
        .unwrap();
}

#[test]
fn a_regular_line_of_the_month_already_paid_by_another_batch_is_found() {
    // March's batch (oddly) paid 李四's April 正常 line: April's own-period lines are checked too.
    let (_db, ledger) = ledger("regular_of_month");
    ledger
        .save_draft_test(&batch("2024-03", "in-3", vec![line(LI, "残疾抚恤金", "2024-04", PaymentKind::Regular, 7)]))
        .unwrap();
    let march = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-3", None).unwrap();
    let err = ledger
        .save_draft_test(&batch(
            "2024-04",
            "in-4",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 888_917),
                line(LI, "残疾抚恤金", "2024-04", PaymentKind::Regular, 888_917),
            ],
        ))
        .unwrap_err();
    assert!(
        matches!(&err, PgError::AlreadyPaid { person_id, period, batch_id, .. }
            if person_id == LI && period == "2024-04" && *batch_id == march.id),
        "{err}"
    );
    assert_eq!(ledger.batch(ym("2024-04")).unwrap(), None);
}

#[test]
fn the_funeral_grant_is_paid_once_only() {
    let (_db, ledger) = ledger("funeral");
    ledger
        .save_draft_test(&batch(
            "2024-05",
            "in-5",
            vec![line(ZHANG, "丧葬补助", "2024-04", PaymentKind::Funeral, 5_333_502)],
        ))
        .unwrap();
    let info = ledger.commit(ym("2024-05"), date("2024-05-17"), "2024-05-17T09:00:00+08:00", "in-5", None).unwrap();
    let paid = ledger.funeral_paid(ZHANG).unwrap().unwrap();
    assert_eq!(
        (paid.batch_id, paid.batch_month, paid.amount_fen, paid.kind),
        (info.id, ym("2024-05"), 5_333_502, PaymentKind::Funeral)
    );
    assert_eq!(paid.pay_date, Some(date("2024-05-17")));
    assert_eq!(ledger.funeral_paid(LI).unwrap(), None);
    let err = ledger
        .save_draft_test(&batch("2024-06", "in-6", vec![line(ZHANG, "丧葬补助金", "2024-05", PaymentKind::Funeral, 1)]))
        .unwrap_err();
    // As on SQLite, the refused draft line is named (its 项目 and 所属期), with the batch that paid the person's.
    assert_eq!(
        err.to_string(),
        format!(
            "张三（{ZHANG}）的丧葬补助金 2024-05 丧葬补助已由行政区划代码 110105 的 2024-05 发放批次（批次号 {}）确认发放，\
             不能重复发放；台账 {} 未作修改",
            info.id,
            target(&ledger)
        )
    );
}

#[test]
fn a_draft_that_became_a_double_payment_is_refused_at_commit() {
    let (_db, ledger) = ledger("double_at_commit");
    ledger
        .save_draft_test(&batch(
            "2024-04",
            "in-4",
            vec![line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2_345_678)],
        ))
        .unwrap();
    let march = committed_march(&ledger);
    let err = ledger.commit(ym("2024-04"), date("2024-04-15"), COMMITTED_AT, "in-4", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "李四（{LI}）的残疾抚恤金 2024-03 正常已由行政区划代码 110105 的 2024-03 发放批次（批次号 {}）确认发放，\
             不能重复发放；台账 {} 未作修改",
            march.id,
            target(&ledger)
        )
    );
    assert_eq!(ledger.batch(ym("2024-04")).unwrap().unwrap().status, BatchStatus::Draft);
    assert_eq!(count(&ledger, "SELECT count(*) FROM draft_lines"), 1);
}

#[test]
fn paid_totals_add_arrears_to_the_regular_payment() {
    let (_db, ledger) = ledger("paid_totals");
    commit_month(&ledger, "2024-03", "in-3", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)]);
    // April: 942250 for April, March's difference as arrears 942250 − 888917 = 53333, and a funeral grant.
    let april = commit_month(
        &ledger,
        "2024-04",
        "in-4",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 942_250),
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Arrears, 53_333),
            line(ZHANG, "丧葬补助", "2024-04", PaymentKind::Funeral, 1_000),
        ],
    );
    // 942250 + 53333 + 1000 = 996583
    assert_eq!(april.total_fen, 996_583);
    let march_lines = ledger.paid_lines(ym("2024-03"), ym("2024-03")).unwrap();
    let kinds: Vec<(PaymentKind, YearMonth, i64)> =
        march_lines.iter().map(|l| (l.kind, l.batch_month, l.amount_fen)).collect();
    assert_eq!(
        kinds,
        vec![(PaymentKind::Regular, ym("2024-03"), 888_917), (PaymentKind::Arrears, ym("2024-04"), 53_333)]
    );
    let total = |period: &str| PaidTotal {
        id: ZHANG.to_string(),
        item: "残疾抚恤金".to_string(),
        period: ym(period),
        total_fen: 942_250,
    };
    assert_eq!(ledger.paid_totals(ym("2024-03"), ym("2024-04")).unwrap(), vec![total("2024-03"), total("2024-04")]);
    let mut streamed = Vec::new();
    ledger
        .for_each_paid(ym("2024-03"), ym("2024-04"), |id, item, p, fen| {
            streamed.push((id.to_string(), item.to_string(), p.to_string(), fen))
        })
        .unwrap();
    streamed.sort();
    let z = |p: &str, fen| (ZHANG.to_string(), "残疾抚恤金".to_string(), p.to_string(), fen);
    assert_eq!(streamed, vec![z("2024-03", 53_333), z("2024-03", 888_917), z("2024-04", 942_250)]);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let own = |id: &str, item: &str, p: YearMonth, fen| (id.to_string(), item.to_string(), p.to_string(), fen);
    ledger
        .for_each_paid_split(
            ym("2024-03"),
            ym("2024-04"),
            |id, item, p, fen| a.push(own(id, item, p, fen)),
            |id, item, p, fen| b.push(own(id, item, p, fen)),
        )
        .unwrap();
    assert!(!a.is_empty() && !b.is_empty(), "{a:?} {b:?}");
    a.extend(b);
    a.sort();
    assert_eq!(a, streamed);
    let mut april_only = 0;
    ledger.for_each_paid(ym("2024-04"), ym("2024-04"), |_, _, _, fen| april_only += fen).unwrap();
    assert_eq!(april_only, 942_250);
    // Lines of batches from March on: 1 + 3.
    assert_eq!(ledger.committed_lines_since(ym("2024-03")).unwrap(), 4);
    assert_eq!(ledger.committed_lines_since(ym("2024-04")).unwrap(), 3);
    assert_eq!(ledger.funeral_paid_ids().unwrap(), std::collections::HashSet::from([ZHANG.to_string()]));
    assert_eq!(ledger.lines_for(ZHANG, None).unwrap().len(), 4);
    let explain = ledger.lines_for(ZHANG, Some(ym("2024-03"))).unwrap();
    assert_eq!(explain.iter().map(|l| l.amount_fen).collect::<Vec<_>>(), vec![888_917, 53_333]);
    assert!(ledger.lines_for(LI, None).unwrap().is_empty());
    let april_lines = ledger.batch_lines(ym("2024-04")).unwrap();
    assert_eq!(
        april_lines.iter().map(|l| l.period.to_string()).collect::<Vec<_>>(),
        vec!["2024-04", "2024-03", "2024-04"]
    );
    let months: Vec<String> = ledger.batches().unwrap().iter().map(|b| b.month.to_string()).collect();
    assert_eq!(months, vec!["2024-03", "2024-04"]);
}

#[test]
fn batch_prefers_the_committed_batch_over_a_later_draft_of_another_month() {
    let (_db, ledger) = ledger("batch_prefers");
    let march = committed_march(&ledger);
    let april = ledger
        .save_draft_test(&batch("2024-04", "in-4", vec![line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 5)]))
        .unwrap();
    assert_eq!(ledger.batch(ym("2024-03")).unwrap(), Some(march.clone()));
    assert_eq!(ledger.batch(ym("2024-04")).unwrap(), Some(april.clone()));
    assert_eq!(ledger.batch(ym("2024-05")).unwrap(), None);
    assert_eq!(ledger.batches().unwrap(), vec![march, april]);
}

#[test]
fn a_failing_line_rolls_back_the_whole_draft_and_keeps_the_previous_one() {
    let (_db, ledger) = ledger("failing_line");
    let first = ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-1",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 352_833),
            ],
        ))
        .unwrap();
    let err = ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-2",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2),
                line(ZHANG, "护理费", "2024-03", PaymentKind::Regular, -3),
            ],
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 拒绝了这次写入：明细金额不能为负数（多发的款项应列出追缴，不能以负数冲减）；台账未作任何修改",
            target(&ledger)
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_REJECTED", 7));
    assert_eq!(ledger.batches().unwrap(), vec![first]);
    let amounts: Vec<i64> = ledger
        .conn()
        .query("SELECT amount_fen FROM draft_lines ORDER BY line_no", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(amounts, vec![888_917, 352_833]);
}

#[test]
fn a_line_twice_in_one_draft_is_refused_at_commit_and_the_draft_stays() {
    let (_db, ledger) = ledger("twice_in_draft");
    for (lines, message) in [
        (
            vec![
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1),
                line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2),
                line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 3),
            ],
            format!(
                "同一人同一项目同一所属期的正常发放只能有一笔（身份证号 {ZHANG}，所属期 2024-03，项目 残疾抚恤金）"
            ),
        ),
        (
            vec![
                line(ZHANG, "丧葬补助", "2024-02", PaymentKind::Funeral, 1),
                line(ZHANG, "丧葬补助金", "2024-02", PaymentKind::Funeral, 1),
            ],
            format!("同一人的丧葬补助只能发放一次（Key (person_id)=({ZHANG}) already exists.）"),
        ),
    ] {
        let draft = ledger.save_draft_test(&batch("2024-03", "in-1", lines)).unwrap();
        let err = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap_err();
        assert_eq!(err.to_string(), format!("台账 {} 拒绝了这次写入：{message}；台账未作任何修改", target(&ledger)));
        assert_eq!((err.code(), err.exit_code()), ("LEDGER_REJECTED", 7));
        assert_eq!(ledger.batches().unwrap(), vec![draft]);
        assert_eq!(count(&ledger, "SELECT count(*) FROM lines"), 0);
    }
}

// --- counts and returns ------------------------------------------------------------------------------------

#[test]
fn period_counts_count_runs_of_persons_and_periods_per_group() {
    let (_db, ledger) = ledger("period_counts");
    commit_month(
        &ledger,
        "2024-03",
        "in-3",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 100),
            line(ZHANG, "护理费", "2024-03", PaymentKind::Regular, 20),
            with_town(line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 3), ""),
        ],
    );
    commit_month(
        &ledger,
        "2024-04",
        "in-4",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 100),
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Arrears, 7),
            with_town(line(LI, "丧葬补助", "2024-04", PaymentKind::Funeral, 5000), ""),
        ],
    );
    ledger
        .save_draft_test(&batch("2024-05", "in-5", vec![line(ZHANG, "残疾抚恤金", "2024-05", PaymentKind::Regular, 1)]))
        .unwrap();
    let c = ledger.period_counts(ym("2024-03"), ym("2024-05")).unwrap();
    // As on SQLite: 100+20+3+100+7+5000 = 5230 分; 2 persons; 正常 pairs (张三,03) (李四,03) (张三,04) = 3.
    assert_eq!(c.totals, counts(6, 5230, 2, 3));
    assert_eq!(c.regular, counts(4, 223, 2, 3));
    assert_eq!(c.arrears, counts(1, 7, 1, 1));
    assert_eq!(c.funeral, counts(1, 5000, 1, 1));
    assert_eq!(c.by_item["残疾抚恤金"], counts(4, 210, 2, 3));
    assert_eq!(c.by_item["护理费"], counts(1, 20, 1, 1));
    assert_eq!(c.by_item["丧葬补助"], counts(1, 5000, 1, 0));
    assert_eq!(c.by_town["城关镇"], counts(4, 227, 1, 2));
    assert_eq!(c.by_town[""], counts(2, 5003, 1, 1));
    assert_eq!(c.by_category["残疾军人"], counts(6, 5230, 2, 3));
    let months: Vec<(String, u64, i64)> =
        c.by_month.iter().map(|(m, c)| (m.to_string(), c.lines, c.amount_fen)).collect();
    assert_eq!(months, vec![("2024-03".into(), 3, 123), ("2024-04".into(), 3, 5107), ("2024-05".into(), 0, 0)]);
    // Read line by line (no packed blobs, as for a batch whose texts do not pack): the same counts.
    ledger
        .conn()
        .batch_execute("ALTER TABLE packed_lines DISABLE TRIGGER packed_lines_frozen; DELETE FROM packed_lines;")
        .unwrap();
    assert_eq!(ledger.period_counts(ym("2024-03"), ym("2024-05")).unwrap(), c);
    assert_eq!(ledger.period_counts(ym("2024-05"), ym("2024-06")).unwrap().totals, LineCounts::default());
}

fn a_return(transfer_no: u32, id: &str, amount_fen: i64, row: u32) -> NewReturn {
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

/// March committed with its two transfers; 李四's (his one line, 23456.78 元) returned by the bank.
fn march_with_a_return(ledger: &PgLedger) -> (BatchInfo, i64) {
    let (header, lines) = batch(
        "2024-03",
        "in-1",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 10_000_000),
            line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2_345_678),
        ],
    );
    let mut pending = ledger.begin_draft(&header, lines.iter().map(NewLine::line_ref)).unwrap();
    pending
        .add_transfers([
            TransferRef { no: 1, first_line: 0, lines: 1, amount_fen: 10_000_000, id: ZHANG, account: "6222-z" },
            TransferRef { no: 2, first_line: 1, lines: 1, amount_fen: 2_345_678, id: LI, account: "6222-l" },
        ])
        .unwrap();
    pending.finish("out").unwrap();
    let march = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap();
    let li = ledger.batch_lines(ym("2024-03")).unwrap().iter().find(|l| l.id == LI).unwrap().line_id;
    let n = ledger.record_returns(march.id, ym("2024-03"), CREATED, &[(a_return(2, LI, 2_345_678, 3), vec![li])]);
    assert_eq!(n.unwrap(), 1);
    (march, li)
}

fn reissue_draft(month: &str, of: i64) -> Draft {
    let mut l = line(LI, "残疾抚恤金", "2024-03", PaymentKind::Reissue, 2_345_678);
    l.reissue_of = Some(of);
    batch(month, &format!("in-{month}"), vec![l])
}

#[test]
fn returns_are_recorded_read_and_reissued_once() {
    let (_db, ledger) = ledger("returns");
    let (march, li) = march_with_a_return(&ledger);
    // The transfers as the 代发 file had them, and the lines of the returned one.
    let (batch_id, transfers) = ledger.transfers(ym("2024-03")).unwrap().unwrap();
    assert_eq!(batch_id, march.id);
    assert_eq!(
        transfers.iter().map(|t| (t.no, t.first_line, t.lines, t.amount_fen)).collect::<Vec<_>>(),
        vec![(1, 0, 1, 10_000_000), (2, 1, 1, 2_345_678)]
    );
    assert_eq!(ledger.transfers(ym("2024-04")).unwrap(), None);
    let spans = ledger.transfer_lines(march.id, &[(1, 1), (0, 1)]).unwrap();
    assert_eq!((spans[0][0].id.as_str(), spans[1][0].id.as_str()), (LI, ZHANG));
    let r = ledger.returns(ym("2024-03"), ym("2024-03")).unwrap();
    assert_eq!((r.len(), r[0].event.reason.as_str(), r[0].lines.len()), (1, "账户已销户", 1));
    assert_eq!((r[0].event.transfer_no, r[0].event.file_row, r[0].recorded_at.as_str()), (2, 3, CREATED));
    assert_eq!(r[0].lines[0].reissued_in, None);
    let lines = ledger.lines_for(LI, None).unwrap();
    assert_eq!(lines[0].returned.as_ref().unwrap().reason, "账户已销户");
    assert_eq!(lines[0].reached_fen(), 0);
    assert_eq!(ledger.returned_by_month().unwrap()[&ym("2024-03")], (1, 2_345_678, 2_345_678));
    let pending = ledger.returns_pending().unwrap();
    assert_eq!(
        pending.iter().map(|p| (p.line_id, p.id.as_str(), p.amount_fen, p.recorded_at.as_str())).collect::<Vec<_>>(),
        vec![(li, LI, 2_345_678, "2024-03-15")]
    );
    // The returned line reached nobody: counted on its own.
    let c = ledger.period_counts(ym("2024-03"), ym("2024-03")).unwrap();
    assert_eq!(c.totals, counts(1, 10_000_000, 1, 1));
    assert_eq!(c.returned, counts(1, 2_345_678, 1, 1));
    // April re-issues it; the link goes through the draft and the commit.
    ledger.save_draft_test(&reissue_draft("2024-04", li)).unwrap();
    ledger.commit(ym("2024-04"), date("2024-04-15"), COMMITTED_AT, "in-2024-04", None).unwrap();
    let april = ledger.batch_lines(ym("2024-04")).unwrap();
    assert_eq!((april[0].kind, april[0].reissue_of), (PaymentKind::Reissue, Some(li)));
    let r = ledger.returns(ym("2024-03"), ym("2024-03")).unwrap();
    assert_eq!(r[0].lines[0].reissued_in, Some((ym("2024-04"), Some(date("2024-04-15")))));
    assert_eq!(ledger.lines_for(LI, Some(ym("2024-03"))).unwrap()[0].reissued_in, Some(ym("2024-04")));
    assert!(ledger.returns_pending().unwrap().is_empty());
    assert_eq!(ledger.returned_by_month().unwrap()[&ym("2024-03")], (1, 2_345_678, 0));
    let both = ledger.period_counts(ym("2024-03"), ym("2024-04")).unwrap();
    assert_eq!(both.totals, counts(2, 12_345_678, 2, 2));
    assert_eq!(both.reissued, counts(1, 2_345_678, 1, 1));
    // A second re-issue, in May: refused by the database, naming the batch that re-issued it.
    ledger.save_draft_test(&reissue_draft("2024-05", li)).unwrap();
    let err = ledger.commit(ym("2024-05"), date("2024-05-15"), COMMITTED_AT, "in-2024-05", None).unwrap_err();
    let april_id = ledger.batch(ym("2024-04")).unwrap().unwrap().id;
    assert_eq!(
        err.to_string(),
        format!(
            "第 {li} 号明细（银行已退回）已在批次号 {april_id} 中重发，不能再次重发；台账 {} 未作修改",
            target(&ledger)
        )
    );
    // The same transfer returned twice: refused, nothing recorded.
    let err = ledger.record_returns(march.id, ym("2024-03"), CREATED, &[(a_return(2, LI, 2_345_678, 4), vec![li])]);
    assert!(err.unwrap_err().to_string().contains("一笔代发记录只能退回一次"));
    assert_eq!(ledger.returns(ym("2024-01"), ym("2024-12")).unwrap().len(), 1);
}

// --- what only a shared ledger has ------------------------------------------------------------------------

/// WANG's regular 定期抚恤金 for 2024-08 (2331.67 元).
fn wang_august() -> NewLine {
    let mut l = line("11010519491231002X", "定期抚恤金", "2024-08", PaymentKind::Regular, 233_167);
    l.name = "王五".to_string();
    l
}

#[test]
fn two_counties_paying_one_persons_month_are_refused_naming_the_other_county_and_batch() {
    let (db, chao) = ledger("two_counties");
    let xi = county(&db, XI_CHENG);
    // 西城区 drafts WANG's August before 朝阳区 commits it (both rosters still list him after a transfer).
    xi.save_draft_test(&batch("2024-08", "in-x", vec![wang_august()])).unwrap();
    let paid = commit_month(&chao, "2024-08", "in-c", vec![wang_august()]);
    let refusal = format!(
        "王五（{ZHANG}）的定期抚恤金 2024-08 正常已由行政区划代码 110105 的 2024-08 发放批次（批次号 {}）确认发放，\
         不能重复发放；台账 {} 未作修改",
        paid.id,
        target(&xi)
    );
    // At commit, by the unique index …
    let err = xi.commit(ym("2024-08"), date("2024-08-15"), COMMITTED_AT, "in-x", None).unwrap_err();
    assert_eq!(err.to_string(), refusal);
    assert_eq!((err.code(), err.exit_code()), ("ALREADY_PAID", 7));
    assert_eq!(xi.batch(ym("2024-08")).unwrap().unwrap().status, BatchStatus::Draft);
    // … and at the next pay, by the draft's check.
    let err = xi.save_draft_test(&batch("2024-08", "in-x2", vec![wang_august()])).unwrap_err();
    assert_eq!(err.to_string(), refusal);
    // 西城区's own draft is as it was; its September (another 所属期) is its own to pay.
    assert_eq!(xi.batch(ym("2024-08")).unwrap().unwrap().inputs_digest, "in-x");
    let mut september = wang_august();
    september.period = ym("2024-09");
    commit_month(&xi, "2024-09", "in-9", vec![september]);
}

#[test]
fn a_county_reads_only_its_own_batches_lines_and_returns() {
    let (db, chao) = ledger("own_rows");
    let xi = county(&db, XI_CHENG);
    let (chao_march, _) = march_with_a_return(&chao);
    // 西城区 pays other people in the same month; nothing of 朝阳区's shows in its reads, nor the other way.
    let other = "110102199001011234";
    let xi_march =
        commit_month(&xi, "2024-03", "in-x", vec![line(other, "定期抚恤金", "2024-03", PaymentKind::Regular, 50_000)]);
    xi.save_draft_test(&batch("2024-04", "in-x4", vec![line(other, "定期抚恤金", "2024-04", PaymentKind::Regular, 1)]))
        .unwrap();
    assert_eq!(chao.batches().unwrap(), vec![chao_march.clone()]);
    assert_eq!(xi.batches().unwrap().iter().map(|b| b.id).collect::<Vec<_>>()[0], xi_march.id);
    assert_eq!(xi.batches().unwrap().len(), 2);
    assert_eq!(chao.batch(ym("2024-04")).unwrap(), None);
    assert_eq!(xi.batch(ym("2024-03")).unwrap(), Some(xi_march.clone()));
    assert_eq!(xi.batch_lines(ym("2024-03")).unwrap().iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), vec![other]);
    assert!(xi.lines_for(ZHANG, None).unwrap().is_empty());
    assert!(xi.paid_lines(ym("2024-01"), ym("2024-12")).unwrap().iter().all(|l| l.id == other));
    assert_eq!(xi.paid_totals(ym("2024-03"), ym("2024-03")).unwrap().len(), 1);
    assert_eq!(chao.paid_totals(ym("2024-03"), ym("2024-03")).unwrap().len(), 2);
    assert_eq!(xi.period_counts(ym("2024-03"), ym("2024-03")).unwrap().totals, counts(1, 50_000, 1, 1));
    assert_eq!(chao.period_counts(ym("2024-03"), ym("2024-03")).unwrap().totals, counts(1, 10_000_000, 1, 1));
    let mut seen = 0;
    xi.for_each_paid(ym("2024-03"), ym("2024-03"), |_, _, _, fen| seen += fen).unwrap();
    assert_eq!(seen, 50_000);
    assert_eq!(xi.committed_lines_since(ym("2024-01")).unwrap(), 1);
    assert!(xi.returns(ym("2024-01"), ym("2024-12")).unwrap().is_empty());
    assert!(xi.returns_pending().unwrap().is_empty());
    assert!(xi.returned_by_month().unwrap().is_empty());
    assert_eq!(chao.returns_pending().unwrap().len(), 1);
    assert_eq!(xi.transfers(ym("2024-03")).unwrap(), Some((xi_march.id, vec![])));
    assert_eq!(xi.first_committed_month().unwrap(), Some(ym("2024-03")));
    // Nor can a county record a return on another county's batch.
    let err = xi.record_returns(chao_march.id, ym("2024-03"), CREATED, &[(a_return(1, ZHANG, 1, 2), vec![])]);
    assert!(err.unwrap_err().to_string().contains("退回记录只能记入本县（市、区）已确认发放的批次"));
}

#[test]
fn a_commit_whose_connection_is_killed_half_way_changes_nothing() {
    let (db, ledger) = ledger("killed_commit");
    committed_march(&ledger);
    ledger
        .save_draft_test(&batch(
            "2024-04",
            "in-4",
            vec![
                line(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 10_000_000),
                line(LI, "残疾抚恤金", "2024-04", PaymentKind::Regular, 2_345_678),
            ],
        ))
        .unwrap();
    // Another session holds packed_lines, which the commit writes last: the commit moves the lines, marks the
    // batch committed, then waits; its connection is terminated there, as a server restart or a lost network
    // would end it.
    let mut dba = testserver::shared().admin(&db.name).unwrap();
    let mut hold = dba.transaction().unwrap();
    hold.batch_execute("LOCK TABLE youfu.packed_lines IN ACCESS EXCLUSIVE MODE").unwrap();
    let mut watcher = testserver::shared().admin(&db.name).unwrap();
    let killer = std::thread::spawn(move || {
        for _ in 0..400 {
            let waiting = watcher
                .query_opt(
                    "SELECT pid FROM pg_stat_activity
                      WHERE application_name = 'youfu' AND wait_event_type = 'Lock' AND query LIKE '%packed_lines%'",
                    &[],
                )
                .unwrap();
            if let Some(row) = waiting {
                let pid: i32 = row.get(0);
                watcher.execute("SELECT pg_terminate_backend($1)", &[&pid]).unwrap();
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    });
    let err = ledger.commit(ym("2024-04"), date("2024-04-15"), COMMITTED_AT, "in-4", None).unwrap_err();
    assert!(killer.join().unwrap(), "the commit never waited on packed_lines");
    drop(hold);
    assert_eq!(err.code(), "LEDGER_DATABASE");
    assert!(err.to_string().ends_with("本次操作未生效，请稍后重新运行同一命令"), "{err}");
    // Seen from a new connection: April is still a draft with its two lines; nothing was moved.
    let after = county(&db, CHAO_YANG);
    let april = after.batch(ym("2024-04")).unwrap().unwrap();
    assert_eq!((april.status, april.lines, april.total_fen), (BatchStatus::Draft, 2, 12_345_678));
    assert!(after.batch_lines(ym("2024-04")).unwrap().is_empty());
    assert_eq!(count(&after, "SELECT count(*) FROM lines"), 2);
    assert_eq!(count(&after, "SELECT count(*) FROM draft_lines"), 2);
    assert_eq!(count(&after, "SELECT count(*) FROM packed_lines"), 1);
    // Run again, it commits.
    let done = after.commit(ym("2024-04"), date("2024-04-15"), COMMITTED_AT, "in-4", None).unwrap();
    assert_eq!((done.status, done.lines), (BatchStatus::Committed, 2));
}

#[test]
fn a_second_officer_of_the_county_waits_then_is_told_the_ledger_is_busy() {
    let (db, first) = ledger("busy");
    let second = county(&db, CHAO_YANG);
    second.set_busy_timeout(Duration::from_millis(300)).unwrap();
    // The first officer's pay is writing March's draft (its transaction open, the month locked).
    let (header, lines) = batch("2024-03", "in-1", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1)]);
    let pending = first.begin_draft(&header, lines.iter().map(NewLine::line_ref)).unwrap();
    let started = std::time::Instant::now();
    let err = second.save_draft_test(&batch("2024-03", "in-2", vec![])).unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 中行政区划代码 110105 的数据正被另一个 youfu 进程写入，已等待 0.3 秒仍未结束；本次操作未生效，请稍后再试",
            target(&second)
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_BUSY", 7));
    let err = second.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap_err();
    assert_eq!(err.code(), "LEDGER_BUSY");
    // Another county is not in the way, and once the first officer is done the second goes ahead.
    county(&db, XI_CHENG).save_draft_test(&batch("2024-03", "in-x", vec![])).unwrap();
    pending.finish("out").unwrap();
    let info = second.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap();
    assert_eq!((info.lines, info.total_fen), (1, 1));
}

#[test]
fn a_county_code_that_is_not_six_digits_is_refused_before_connecting() {
    let db = testserver::shared().fresh_db("bad_county");
    for code in ["", "11010", "1101055", "11O105"] {
        let err = PgLedger::init(&url_of(&db), &PgEnv::default(), code).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "行政区划代码“{code}”不是 6 位数字：请在 youfu.toml 中写明本县（市、区）的 county_code，例如 county_code = \"110105\""
            )
        );
        assert_eq!(err.code(), "BAD_COUNTY_CODE");
    }
    // Nothing was created.
    let mut c = db.connect();
    let schemas: i64 = c.query_one("SELECT count(*) FROM pg_namespace WHERE nspname = 'youfu'", &[]).unwrap().get(0);
    assert_eq!(schemas, 0);
}

// --- one history, two backends ------------------------------------------------------------------------------

/// The same history written to a ledger of either backend: three months, a town and name with characters that
/// sort differently in a locale than byte-wise, a 补发, a 丧葬补助, a bank 退回 and its 重发, a draft left open.
#[allow(clippy::type_complexity)] // one closure per write, until the ledger trait gives both backends one type
fn history<E: std::fmt::Debug>(
    save: &dyn Fn(&Draft, &[TransferRef]) -> Result<BatchInfo, E>,
    commit: &dyn Fn(&str) -> Result<BatchInfo, E>,
    lines_of: &dyn Fn(&str) -> Vec<PaidLine>,
    record: &dyn Fn(i64, &str, &[(NewReturn, Vec<i64>)]) -> Result<usize, E>,
) {
    let wang = "11010519491231002X";
    let zhao = "110105195001010011";
    let l = |id: &str, item: &str, period: &str, kind, fen, town: &str| {
        let mut x = with_town(line(id, item, period, kind, fen), town);
        if id == zhao {
            x.name = "Zhao 赵".to_string();
        }
        x
    };
    let march = vec![
        l(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2_345_678, "东乡"),
        l(wang, "定期抚恤金", "2024-03", PaymentKind::Regular, 233_167, "城关镇"),
        l(zhao, "定期抚恤金", "2024-03", PaymentKind::Regular, 233_167, "a-town"),
        l(ZHANG, "护理费", "2024-03", PaymentKind::Regular, 20, "Z镇"),
        l(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 100, "Z镇"),
    ];
    let transfers: Vec<TransferRef> = (0..march.len())
        .map(|k| TransferRef {
            no: k as u32 + 1,
            first_line: k,
            lines: 1,
            amount_fen: march[k].amount_fen,
            id: "x",
            account: "6222",
        })
        .collect();
    save(&batch("2024-03", "in-3", march.clone()), &transfers).unwrap();
    let m = commit("2024-03").unwrap();
    let li = lines_of("2024-03").iter().find(|x| x.id == LI).unwrap().line_id;
    record(m.id, "2024-03", &[(a_return(1, LI, 2_345_678, 2), vec![li])]).unwrap();
    let mut reissue = l(LI, "残疾抚恤金", "2024-03", PaymentKind::Reissue, 2_345_678, "东乡");
    reissue.reissue_of = Some(li);
    save(
        &batch(
            "2024-04",
            "in-4",
            vec![
                l(wang, "定期抚恤金", "2024-04", PaymentKind::Regular, 240_000, "城关镇"),
                l(wang, "定期抚恤金", "2024-03", PaymentKind::Arrears, 6_833, "城关镇"),
                reissue,
                l(zhao, "丧葬补助", "2024-04", PaymentKind::Funeral, 5_333_502, "a-town"),
                l(ZHANG, "残疾抚恤金", "2024-04", PaymentKind::Regular, 100, "Z镇"),
            ],
        ),
        &[],
    )
    .unwrap();
    commit("2024-04").unwrap();
    save(&batch("2024-05", "in-5", vec![l(ZHANG, "残疾抚恤金", "2024-05", PaymentKind::Regular, 100, "Z镇")]), &[])
        .unwrap();
}

#[test]
#[allow(clippy::type_complexity)]
fn one_scenario_reads_the_same_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = crate::ledger::sqlite::Ledger::open(&dir.path().join("youfu.db")).unwrap();
    history(
        &|(h, lines), transfers| {
            let mut p = sqlite.begin_draft(h, lines.iter().map(NewLine::line_ref))?;
            p.add_transfers(transfers.iter().copied())?;
            p.finish("out")
        },
        &|m| sqlite.commit(ym(m), date(&format!("{m}-15")), COMMITTED_AT, &format!("in-{}", &m[6..]), None),
        &|m| sqlite.batch_lines(ym(m)).unwrap(),
        &|id, m, ev| sqlite.record_returns(id, ym(m), CREATED, ev),
    );
    let (_db, pg) = ledger("both_backends");
    history(
        &|(h, lines), transfers| {
            let mut p = pg.begin_draft(h, lines.iter().map(NewLine::line_ref))?;
            p.add_transfers(transfers.iter().copied())?;
            p.finish("out")
        },
        &|m| pg.commit(ym(m), date(&format!("{m}-15")), COMMITTED_AT, &format!("in-{}", &m[6..]), None),
        &|m| pg.batch_lines(ym(m)).unwrap(),
        &|id, m, ev| pg.record_returns(id, ym(m), CREATED, ev),
    );
    let s = &sqlite;
    // Ids are each database's own; everything else, order included, must be equal.
    let batches = |v: Vec<BatchInfo>| v.into_iter().map(|b| BatchInfo { id: 0, ..b }).collect::<Vec<_>>();
    assert_eq!(batches(pg.batches().unwrap()), batches(s.batches().unwrap()));
    let lines = |v: Vec<PaidLine>| {
        v.into_iter()
            .map(|l| PaidLine { line_id: 0, batch_id: 0, reissue_of: l.reissue_of.map(|_| 0), ..l })
            .collect::<Vec<_>>()
    };
    let (from, to) = (ym("2024-01"), ym("2024-12"));
    assert_eq!(lines(pg.paid_lines(from, to).unwrap()), lines(s.paid_lines(from, to).unwrap()));
    for m in ["2024-03", "2024-04", "2024-05"] {
        assert_eq!(lines(pg.batch_lines(ym(m)).unwrap()), lines(s.batch_lines(ym(m)).unwrap()), "{m}");
    }
    for id in [LI, ZHANG, "11010519491231002X", "110105195001010011"] {
        assert_eq!(lines(pg.lines_for(id, None).unwrap()), lines(s.lines_for(id, None).unwrap()));
        assert_eq!(
            lines(pg.lines_for(id, Some(ym("2024-03"))).unwrap()),
            lines(s.lines_for(id, Some(ym("2024-03"))).unwrap())
        );
        assert_eq!(
            pg.funeral_paid(id).unwrap().map(|l| lines(vec![l])),
            s.funeral_paid(id).unwrap().map(|l| lines(vec![l]))
        );
    }
    assert_eq!(pg.paid_totals(from, to).unwrap(), s.paid_totals(from, to).unwrap());
    assert_eq!(pg.first_committed_month().unwrap(), s.first_committed_month().unwrap());
    assert_eq!(pg.committed_lines_since(from).unwrap(), s.committed_lines_since(from).unwrap());
    assert_eq!(pg.funeral_paid_ids().unwrap(), s.funeral_paid_ids().unwrap());
    assert_eq!(pg.period_counts(from, to).unwrap(), s.period_counts(from, to).unwrap());
    assert_eq!(
        pg.period_counts(ym("2024-04"), ym("2024-04")).unwrap(),
        s.period_counts(ym("2024-04"), ym("2024-04")).unwrap()
    );
    let streamed = |f: &dyn Fn(&mut dyn FnMut(&str, &str, YearMonth, i64))| {
        let mut v = Vec::new();
        f(&mut |id, item, p, fen| v.push((id.to_string(), item.to_string(), p, fen)));
        v.sort();
        v
    };
    assert_eq!(
        streamed(&|each| pg.for_each_paid(from, to, each).unwrap()),
        streamed(&|each| s.for_each_paid(from, to, each).unwrap())
    );
    let returns = |v: Vec<crate::ledger::ReturnRecord>| {
        v.into_iter()
            .map(|mut r| {
                r.lines.iter_mut().for_each(|l| l.line_id = 0);
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(returns(pg.returns(from, to).unwrap()), returns(s.returns(from, to).unwrap()));
    assert_eq!(pg.returned_by_month().unwrap(), s.returned_by_month().unwrap());
    let pending = |v: Vec<crate::ledger::PendingReturn>| {
        v.into_iter().map(|p| crate::ledger::PendingReturn { line_id: 0, ..p }).collect::<Vec<_>>()
    };
    assert_eq!(pending(pg.returns_pending().unwrap()), pending(s.returns_pending().unwrap()));
    let (_, pg_t) = pg.transfers(ym("2024-03")).unwrap().unwrap();
    let (s_id, s_t) = s.transfers(ym("2024-03")).unwrap().unwrap();
    assert_eq!(pg_t, s_t);
    let pg_id = pg.batch(ym("2024-03")).unwrap().unwrap().id;
    let spans = [(3, 2), (0, 1)];
    let group = |v: Vec<Vec<PaidLine>>| v.into_iter().map(lines).collect::<Vec<_>>();
    assert_eq!(group(pg.transfer_lines(pg_id, &spans).unwrap()), group(s.transfer_lines(s_id, &spans).unwrap()));
}

/// Not a timed test (targets live in bench/): run by hand to measure `save_draft` and `commit` of a province's
/// month through `PgLedger`, `cargo test --release --lib ledger::pg::store_tests::a_million_lines -- --ignored
/// --nocapture`. Prints wall time and the server backend's CPU time of each.
#[test]
#[ignore]
fn a_million_lines() {
    let (_db, ledger) = ledger("million_api");
    const N: usize = 1_000_000;
    let ids: Vec<String> = (0..N).map(|i| format!("110105{:012}", i)).collect();
    let towns: Vec<String> = (0..40).map(|t| format!("第{t}镇")).collect();
    let formulas: Vec<String> = (0..60).map(|f| format!("{} 元/年 ÷ 12 = {}", 27_980 + f, (27_980 + f) / 12)).collect();
    let lines: Vec<NewLine> = (0..N)
        .map(|i| NewLine {
            id: ids[i].clone(),
            name: "测试人员".to_string(),
            category: ["烈士遗属", "残疾军人", "带病回乡退伍军人"][i % 3].to_string(),
            town: towns[i % 40].clone(),
            item: ["定期抚恤金", "残疾抚恤金", "生活补助"][i % 3].to_string(),
            period: ym("2024-08"),
            kind: PaymentKind::Regular,
            amount_fen: 233_167 + (i % 100) as i64,
            standard_row: Some((i % 60) as u32 + 2),
            standard_start: Some(date("2024-01-01")),
            basis: "示例文件".to_string(),
            formula: formulas[i % 60].clone(),
            reissue_of: None,
        })
        .collect();
    let backend: i32 = ledger.conn().query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let cpu = || super::tests::server_cpu(backend);
    let (cpu0, started) = (cpu(), std::time::Instant::now());
    let info = ledger.save_draft_test(&batch("2024-08", "in", lines)).unwrap();
    let (drafted, cpu1) = (started.elapsed(), cpu());
    let started = std::time::Instant::now();
    let done = ledger.commit(ym("2024-08"), date("2024-08-15"), COMMITTED_AT, "in", None).unwrap();
    let (committed, cpu2) = (started.elapsed(), cpu());
    let started = std::time::Instant::now();
    let c = ledger.period_counts(ym("2024-08"), ym("2024-08")).unwrap();
    let counted = started.elapsed();
    eprintln!(
        "save_draft of {} lines: {drafted:.2?} (server CPU {:.2} s); commit: {committed:.2?} (server CPU {:.2} s); \
         period_counts: {counted:.2?}",
        info.lines,
        cpu1 - cpu0,
        cpu2 - cpu1
    );
    assert_eq!((done.lines, c.totals.lines), (N as i64, N as u64));
}

#[test]
fn a_committed_line_with_a_malformed_period_or_an_unknown_calculation_is_refused_by_the_database() {
    // The checks run once per distinct value of the statement's rows (lines_inserted), not per row: still the
    // database's, whatever program writes.
    let (_db, ledger) = ledger("period_format");
    ledger
        .save_draft_test(&batch("2024-03", "in-1", vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1)]))
        .unwrap();
    let id = ledger.batch(ym("2024-03")).unwrap().unwrap().id;
    let calc = count(&ledger, "SELECT id FROM calcs");
    let mut c = ledger.conn();
    for (period, calc_id, message) in [
        ("2024-13", calc, "明细的所属期“2024-13”不是 YYYY-MM 格式"),
        ("2024-3", calc, "明细的所属期“2024-3”不是 YYYY-MM 格式"),
        ("2024-03", calc + 99, "明细引用的计算依据记录不存在"),
    ] {
        let e = c
            .execute(
                "INSERT INTO lines (batch_id, county_code, line_no, person_id, name, category, town, item, period,
                                    kind, amount_fen, calc_id)
                 SELECT $1, '110105', n, '440524188001010014', '李四', '', '', '残疾抚恤金',
                        CASE WHEN n = 7 THEN $2 ELSE '2024-02' END, '补发', 1, $3
                   FROM generate_series(1, 10) n",
                &[&id, &period, &calc_id],
            )
            .unwrap_err();
        assert_eq!(e.as_db_error().unwrap().message(), message);
    }
    drop(c);
    assert_eq!(count(&ledger, "SELECT count(*) FROM lines"), 0);
}

#[test]
fn a_city_reads_each_county_of_the_ledger_apart() {
    let (db, chao) = ledger("county_reads");
    let xi = county(&db, XI_CHENG);
    march_with_a_return(&chao);
    let other = "110102199001011234";
    commit_month(&xi, "2024-03", "in-x", vec![line(other, "定期抚恤金", "2024-03", PaymentKind::Regular, 50_000)]);
    // Any county's connection reads the city's: the codes with a batch, in code order …
    let codes = xi.counties().unwrap();
    assert_eq!(codes, vec![XI_CHENG.to_string(), CHAO_YANG.to_string()]);
    // … and each county's counts, batches and returns, in the order asked, as that county's own reads give them.
    let asked = vec![CHAO_YANG.to_string(), XI_CHENG.to_string(), "110108".to_string()];
    let c = xi.county_period_counts(&asked, ym("2024-03"), ym("2024-03")).unwrap();
    assert_eq!(c[0], chao.period_counts(ym("2024-03"), ym("2024-03")).unwrap());
    assert_eq!(c[1], xi.period_counts(ym("2024-03"), ym("2024-03")).unwrap());
    // 张三's 10000000 reached him (李四's was returned); 110102: 50000; 110108 has nothing.
    assert_eq!(
        (c[0].totals, c[1].totals, c[2].totals),
        (counts(1, 10_000_000, 1, 1), counts(1, 50_000, 1, 1), LineCounts::default())
    );
    let b = xi.county_batches(&asked).unwrap();
    assert_eq!((b[0].clone(), b[1].clone(), b[2].len()), (chao.batches().unwrap(), xi.batches().unwrap(), 0));
    let r = xi.county_returned_by_month(&asked).unwrap();
    assert_eq!(r[0][&ym("2024-03")], (1, 2_345_678, 2_345_678));
    assert!(r[1].is_empty() && r[2].is_empty());
}

#[test]
fn a_draft_whose_lines_the_server_lost_is_not_committed_and_pay_makes_it_again() {
    // draft_lines is not logged (schema version 2): a crash of the server empties it while the batch and its
    // totals stay. Emptying it by hand is what that crash leaves.
    let (_db, ledger) = ledger("draft_lost");
    let month = batch(
        "2024-03",
        "in-1",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888917),
            line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888917),
        ],
    );
    ledger.save_draft_test(&month).unwrap();
    ledger.conn().batch_execute("DELETE FROM draft_lines").unwrap();
    let err = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 中行政区划代码 110105 的 2024-03 发放草稿应有 2 笔明细，数据库中只剩 0 笔（草稿明细不写入数据库日志，\
             数据库服务器崩溃重启或切换到备用服务器后会被清空），未确认发放。请重新运行 youfu pay 生成 2024-03 的草稿，\
             核对后再确认",
            target(&ledger)
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_DRAFT_LOST", 7));
    // Nothing was committed: the batch is still the draft, and no line is in `lines`.
    assert_eq!(count(&ledger, "SELECT count(*) FROM lines"), 0);
    assert_eq!(ledger.batch(ym("2024-03")).unwrap().unwrap().status, BatchStatus::Draft);
    // pay again, then commit: 2 lines of 8889.17 元 = 17778.34 元.
    ledger.save_draft_test(&month).unwrap();
    let done = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap();
    assert_eq!((done.status, done.lines, done.total_fen), (BatchStatus::Committed, 2, 1_777_834));
}
