//! What only a shared PostgreSQL ledger has, through `PgLedger` against a real server (tests/support/pg.rs):
//! counties kept apart, never paying one person twice across counties, a commit killed half-way, a second officer
//! of the same county told the ledger is busy, the database's own check of a line's period, and a city reading
//! each county apart. The behaviour both backends share is in `ledger/suite.rs`, run here through `Postgres`,
//! this backend's factory for it (a fresh database for each test, 朝阳区's ledger in it), which also words the
//! refusals that legitimately differ from SQLite's (a shared ledger names the county and batch that paid).
//! `one_scenario_reads_the_same_on_both_backends` runs one history on SQLite and PostgreSQL and compares every
//! read, order included (what the suite cannot see: each backend checked against itself).

use super::testserver::{self, ROLE_PASSWORD, TestDb};
use super::*;
use crate::cli::exit::LedgerExit;
use crate::domain::month::YearMonth;
use crate::ledger::location::LedgerLocation;
use crate::ledger::suite::{
    Backend, COMMITTED_AT, CREATED, Draft, LI, RawLine, ZHANG, a_return, batch, commit_month, committed_march, counts,
    date, line, march_with_a_return, with_town, ym,
};
use crate::ledger::{
    BatchInfo, BatchStatus, LedgerStore, LineCounts, NewLine, PaidLine, PaidTotal, PaymentKind, TransferRef,
};
use std::time::Duration;

/// The suite's PostgreSQL ledger (`ledger::suite::postgresql::…`): a fresh database of the shared test server and
/// 朝阳区's ledger in it. (The ledger's connection is dropped before its database.)
pub(crate) struct Postgres {
    ledger: PgLedger,
    db: TestDb,
}

impl Backend for Postgres {
    fn fresh(test: &str) -> Self {
        let (db, ledger) = ledger(test);
        Postgres { ledger, db }
    }

    fn store(&self) -> &dyn LedgerStore {
        &self.ledger
    }

    fn open_again(&self) -> Box<dyn LedgerStore + Send> {
        Box::new(county(&self.db, CHAO_YANG))
    }

    fn ints(&self, sql: &str) -> Vec<i64> {
        self.ledger.conn().query(sql, &[]).unwrap().iter().map(|r| r.get(0)).collect()
    }

    fn refusal(&self, sql: &str) -> String {
        match self.ledger.conn().batch_execute(sql) {
            Ok(()) => panic!("the database accepted {sql}"),
            Err(e) => e.as_db_error().unwrap_or_else(|| panic!("{e}")).message().to_string(),
        }
    }

    fn force_commit(&self, month: &str, lines: &[RawLine]) -> Result<(), String> {
        // pg/tests.rs's raw draft and commit (COPY into draft_lines, the commit's move, the batch marked).
        let mut c = self.ledger.conn();
        let batch = super::tests::draft(&mut c, CHAO_YANG, month);
        let lines: Vec<super::tests::Line> = lines.iter().map(|&(p, i, m, k, fen)| (p, i, m, k, fen, None)).collect();
        super::tests::commit(&mut c, batch, &lines).map_err(|e| {
            // The draft's header was inserted before the refused transaction: removed, as a new pay would replace it.
            c.batch_execute(&format!(
                "DELETE FROM draft_calcs WHERE batch_id = {batch}; DELETE FROM batches WHERE id = {batch}"
            ))
            .unwrap();
            e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_string())
        })
    }

    fn drop_packed_lines(&self) {
        self.ledger
            .conn()
            .batch_execute("ALTER TABLE packed_lines DISABLE TRIGGER packed_lines_frozen; DELETE FROM packed_lines;")
            .unwrap();
    }

    fn draft_tables(&self) -> &'static [&'static str] {
        &["draft_lines", "draft_calcs", "draft_totals"]
    }

    fn draft_calc(&self, id: &str) -> (Option<i64>, Option<String>, String) {
        let row = self
            .ledger
            .conn()
            .query_one(
                "SELECT c.standard_row, c.standard_start, d.kind
                   FROM draft_lines d JOIN draft_calcs k ON k.batch_id = d.batch_id AND k.calc_no = d.calc_no
                   JOIN calcs c ON c.id = k.calc_id WHERE d.person_id = $1",
                &[&id],
            )
            .unwrap();
        (row.get::<_, Option<i32>>(0).map(i64::from), row.get(1), row.get(2))
    }

    fn paid_lines(&self, from: YearMonth, to: YearMonth) -> Vec<PaidLine> {
        self.ledger.paid_lines(from, to).unwrap()
    }

    fn paid_totals(&self, from: YearMonth, to: YearMonth) -> Vec<PaidTotal> {
        self.ledger.paid_totals(from, to).unwrap()
    }

    fn draft_of(&self, month: &str) -> String {
        format!("行政区划代码 110105 的 {month} 发放草稿")
    }

    fn paid_by(&self, batch: &BatchInfo) -> String {
        format!("已由行政区划代码 110105 的 {} 发放批次（批次号 {}）确认发放", batch.month, batch.id)
    }

    fn twice_in_batch(&self) -> [String; 2] {
        // The unique index's own words follow the constraint's meaning.
        [
            format!(
                "同一人同一项目同一所属期的正常发放只能有一笔（身份证号 {ZHANG}，所属期 2024-03，项目 残疾抚恤金）"
            ),
            format!("同一人的丧葬补助只能发放一次（Key (person_id)=({ZHANG}) already exists.）"),
        ]
    }

    fn reissued_again(&self, line: i64, by: &BatchInfo) -> String {
        format!(
            "第 {line} 号明细（银行已退回）已在批次号 {} 中重发，不能再次重发；台账 {} 未作修改",
            by.id,
            target(&self.ledger)
        )
    }

    fn returned_twice(&self, batch_id: i64, transfer_no: u32) -> String {
        format!(
            "台账 {} 拒绝了这次写入：一笔代发记录只能退回一次（Key (batch_id, transfer_no)=({batch_id}, {transfer_no}) \
             already exists.）；台账未作任何修改",
            target(&self.ledger)
        )
    }
}

/// 朝阳区 and 西城区 (北京市): two counties sharing one ledger.
const CHAO_YANG: &str = "110105";
const XI_CHENG: &str = "110102";

impl PgLedger {
    /// `save_draft` of owned lines, with `PgError` (the PostgreSQL-only tests look into it).
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

fn count(ledger: &PgLedger, sql: &str) -> i64 {
    ledger.conn().query_one(sql, &[]).unwrap().get(0)
}

fn target(ledger: &PgLedger) -> String {
    ledger.target().to_string()
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
    // Each batch is its county's.
    assert_eq!(count(&chao, "SELECT count(*) FROM batches WHERE county_code = '110105'"), 1);
    assert_eq!(count(&chao, "SELECT count(*) FROM batches WHERE county_code = '110102'"), 2);
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
fn history(store: &dyn LedgerStore) {
    let save = |(h, lines): &Draft, transfers: &[TransferRef]| {
        let mut p = store.begin_draft(h, &mut lines.iter().map(NewLine::line_ref))?;
        p.add_transfers(&mut transfers.iter().copied())?;
        p.finish("out")
    };
    let commit =
        |m: &str| store.commit(ym(m), date(&format!("{m}-15")), COMMITTED_AT, &format!("in-{}", &m[6..]), None);
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
    let li = store.batch_lines(ym("2024-03")).unwrap().iter().find(|x| x.id == LI).unwrap().line_id;
    store.record_returns(m.id, ym("2024-03"), CREATED, &[(a_return(1, LI, 2_345_678, 2), vec![li])]).unwrap();
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
#[allow(clippy::type_complexity)] // `streamed` takes a read that streams to a callback
fn one_scenario_reads_the_same_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = crate::ledger::sqlite::Ledger::open(&dir.path().join("youfu.db")).unwrap();
    history(&sqlite);
    let (_db, pg) = ledger("both_backends");
    history(&pg);
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
