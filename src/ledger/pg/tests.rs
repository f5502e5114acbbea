//! The PostgreSQL ledger against a real server (the throwaway one of tests/support/pg.rs): connecting and its
//! refusals, the schema's versions, and each guarantee the database keeps by itself, proven in SQL — the way a
//! DBA or a buggy program would try to get round it — with the message each refusal gives.

// Exit codes are the CLI's (cli/exit.rs); these tests check the one each refusal ends with.
use super::testserver::{self, ROLE_PASSWORD, TestDb};
use super::*;
use crate::cli::exit::LedgerExit;
use crate::domain::PaymentKind;
use crate::ledger::location::LedgerLocation;
use std::os::unix::fs::PermissionsExt as _;

fn url(text: &str) -> PgUrl {
    match LedgerLocation::parse(text).unwrap() {
        LedgerLocation::Postgres(url) => *url,
        other => panic!("{other:?}"),
    }
}

/// The test database's URL, with the password in it when asked.
fn url_of(db: &TestDb, password: Option<&str>) -> PgUrl {
    let plain = db.url_without_password();
    match password {
        Some(pw) => url(&plain.replacen("youfu@", &format!("youfu:{pw}@"), 1)),
        None => url(&plain),
    }
}

/// An environment with nothing set (never this process's PGPASSWORD or ~/.pgpass).
fn no_env() -> PgEnv {
    PgEnv::default()
}

/// A migrated ledger in a fresh database.
fn ledger(test: &str) -> (TestDb, PgLedger) {
    let db = testserver::shared().fresh_db(test);
    let ledger =
        PgLedger::init(&url_of(&db, Some(ROLE_PASSWORD)), &no_env(), CHAO_YANG).unwrap_or_else(|e| panic!("{e}"));
    (db, ledger)
}

fn target_of(db: &TestDb) -> String {
    format!("youfu@{}:5432/{}", db.socket_dir().display(), db.name)
}

// --- connecting -------------------------------------------------------------------------------------------

#[test]
fn the_password_comes_from_the_url_pgpassword_or_the_password_file() {
    let db = testserver::shared().fresh_db("password_sources");
    PgLedger::init(&url_of(&db, Some(ROLE_PASSWORD)), &no_env(), CHAO_YANG).unwrap();
    let env = PgEnv { password: Some(ROLE_PASSWORD.into()), ..no_env() };
    PgLedger::open_existing(&url_of(&db, None), &env, CHAO_YANG).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let passfile = dir.path().join("pgpass");
    // libpq's format; the socket folder as the host, the password with an escaped ':' in a second entry.
    std::fs::write(&passfile, format!("{}:5432:{}:youfu:{ROLE_PASSWORD}\n", db.socket_dir().display(), db.name))
        .unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let env = PgEnv { passfile: Some(passfile.clone()), ..no_env() };
    let ledger = PgLedger::open_existing(&url_of(&db, None), &env, CHAO_YANG).unwrap();
    assert_eq!(ledger.version().unwrap(), SCHEMA_VERSION);

    // A password file others can read is not used, as libpq does, and the message says why.
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = PgLedger::open_existing(&url_of(&db, None), &env, CHAO_YANG).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "数据库服务器要求用户 youfu 提供密码才能登录 {}，但地址、PGPASSWORD 和 ~/.pgpass 中都没有该用户的密码\
             （密码文件 {path} 权限为 0644，同组或其他用户可以读取，libpq 规则下不予使用；请运行 chmod 0600 {path}）；\
             台账未作任何修改",
            target_of(&db),
            path = passfile.display()
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_PASSWORD_MISSING", 7));
}

#[test]
fn a_wrong_password_is_refused_without_showing_it() {
    let db = testserver::shared().fresh_db("wrong_password");
    let err = PgLedger::open_existing(&url_of(&db, Some("guess-1234")), &no_env(), CHAO_YANG).err().unwrap();
    let message = err.to_string();
    assert_eq!(
        message,
        format!(
            "数据库服务器拒绝了用户 youfu 登录 {}：密码错误或该用户不允许登录。请核对地址中、PGPASSWORD 或 ~/.pgpass \
             里的密码（本次使用的是地址中的密码）；台账未作任何修改",
            target_of(&db)
        )
    );
    assert!(!message.contains("guess-1234"));
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_AUTH_FAILED", 7));
    let env = PgEnv { password: Some("guess-1234".into()), ..no_env() };
    let err = PgLedger::open_existing(&url_of(&db, None), &env, CHAO_YANG).err().unwrap();
    assert!(err.to_string().contains("（本次使用的是 PGPASSWORD 中的密码）"), "{err}");
}

#[test]
fn no_password_anywhere_is_said_plainly() {
    let db = testserver::shared().fresh_db("no_password");
    let err = PgLedger::open_existing(&url_of(&db, None), &no_env(), CHAO_YANG).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "数据库服务器要求用户 youfu 提供密码才能登录 {}，但地址、PGPASSWORD 和 ~/.pgpass 中都没有该用户的密码；\
             台账未作任何修改",
            target_of(&db)
        )
    );
}

#[test]
fn a_server_that_is_down_is_named_with_what_to_check() {
    // A socket folder with no server in it.
    let empty = tempfile::tempdir().unwrap();
    let down = url(&format!("postgresql://youfu@{}/youfu_ledger", testserver::encode_path(empty.path())));
    let err = PgLedger::open_existing(&down, &no_env(), CHAO_YANG).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "无法连接台账数据库 youfu@{dir}:5432/youfu_ledger：套接字文件夹 {dir} 中没有数据库服务器（服务器未启动，或路径不对）。\
             请确认数据库服务器已启动、服务器地址和端口正确、网络可达；台账未作任何修改",
            dir = empty.path().display()
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_UNREACHABLE", 7));
    // A TCP port nobody listens on.
    let err = PgLedger::open_existing(&url("postgresql://youfu@127.0.0.1:1/youfu_ledger"), &no_env(), CHAO_YANG)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "无法连接台账数据库 youfu@127.0.0.1:1/youfu_ledger：连接被拒绝（服务器未启动，或端口不对）。\
         请确认数据库服务器已启动、服务器地址和端口正确、网络可达；台账未作任何修改"
    );
}

#[test]
fn a_database_that_does_not_exist_is_for_the_dba_to_create() {
    let db = testserver::shared().fresh_db("exists");
    let missing =
        url(&format!("postgresql://youfu:{ROLE_PASSWORD}@{}/no_such_ledger", testserver::encode_path(db.socket_dir())));
    let err = PgLedger::init(&missing, &no_env(), CHAO_YANG).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "数据库服务器上没有数据库 no_such_ledger（youfu@{}:5432/no_such_ledger）。请数据库管理员先创建该数据库\
             （见 README「PostgreSQL 台账」一节），再运行 youfu init",
            db.socket_dir().display()
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_NO_DATABASE", 7));
}

// --- what a database is -----------------------------------------------------------------------------------

#[test]
fn an_empty_database_is_not_a_ledger_until_init_and_init_is_idempotent() {
    let db = testserver::shared().fresh_db("fresh");
    let u = url_of(&db, Some(ROLE_PASSWORD));
    let err = PgLedger::open_existing(&u, &no_env(), CHAO_YANG).err().unwrap();
    assert_eq!(err.to_string(), format!("数据库 {} 中还没有 youfu 台账。请先运行 youfu init 创建台账", target_of(&db)));
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_MISSING", 7));
    // Nothing was created by the refusal.
    let mut client = db.connect();
    let schemas: i64 =
        client.query_one("SELECT count(*) FROM pg_namespace WHERE nspname = 'youfu'", &[]).unwrap().get(0);
    assert_eq!(schemas, 0);

    let ledger = PgLedger::init(&u, &no_env(), CHAO_YANG).unwrap();
    assert_eq!(ledger.version().unwrap(), SCHEMA_VERSION);
    let mut again = PgLedger::init(&u, &no_env(), CHAO_YANG).unwrap();
    assert_eq!(again.version().unwrap(), SCHEMA_VERSION);
    let rows: i64 = again.client().query_one("SELECT count(*) FROM schema_version", &[]).unwrap().get(0);
    assert_eq!(rows, SCHEMA_VERSION);
    PgLedger::open_existing(&u, &no_env(), CHAO_YANG).unwrap();
}

#[test]
fn a_database_of_something_else_is_refused_and_left_alone() {
    let db = testserver::shared().fresh_db("other_app");
    let mut client = db.connect();
    client.batch_execute("CREATE TABLE roster (id text); CREATE TABLE payments (id text)").unwrap();
    let u = url_of(&db, Some(ROLE_PASSWORD));
    for err in [
        PgLedger::init(&u, &no_env(), CHAO_YANG).err().unwrap(),
        PgLedger::open_existing(&u, &no_env(), CHAO_YANG).err().unwrap(),
    ] {
        assert_eq!(
            err.to_string(),
            format!(
                "数据库 {} 不是 youfu 台账（其中已有其他数据表：public.payments、public.roster），未对其做任何修改。\
                 请用 --ledger 指定正确的台账地址",
                target_of(&db)
            )
        );
        assert_eq!((err.code(), err.exit_code()), ("LEDGER_NOT_YOUFU", 7));
    }
    let schemas: i64 =
        client.query_one("SELECT count(*) FROM pg_namespace WHERE nspname = 'youfu'", &[]).unwrap().get(0);
    assert_eq!(schemas, 0);
}

#[test]
fn a_ledger_from_a_newer_youfu_is_refused() {
    let (db, mut ledger) = ledger("too_new");
    let newer = i32::try_from(SCHEMA_VERSION + 1).unwrap();
    ledger
        .client()
        .execute("INSERT INTO schema_version (version, tool_version) VALUES ($1, '9.9.9')", &[&newer])
        .unwrap();
    let u = url_of(&db, Some(ROLE_PASSWORD));
    let err = PgLedger::open_existing(&u, &no_env(), CHAO_YANG).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 的结构版本为 {}，高于本程序支持的版本 {SCHEMA_VERSION}，未对其做任何修改。请升级 youfu 后再使用该台账",
            target_of(&db),
            SCHEMA_VERSION + 1
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_TOO_NEW", 7));
    assert!(matches!(PgLedger::init(&u, &no_env(), CHAO_YANG), Err(PgError::TooNew { .. })));
    // The version records themselves cannot be changed back.
    let e = ledger.client().batch_execute("DELETE FROM schema_version WHERE version > 1").unwrap_err();
    assert_eq!(e.as_db_error().unwrap().message(), "台账结构版本记录不能修改或删除");
}

#[test]
fn a_version_1_ledger_is_brought_to_version_2_with_its_lines_drafts_and_guarantees() {
    let db = testserver::shared().fresh_db("from_v1");
    let mut c = db.connect();
    schema::migrate_to(&mut c, "v1", "0.1.0", 1).unwrap();
    c.batch_execute("SET search_path TO youfu").unwrap();
    // At version 1: 西城区 committed WANG's August and LI's 丧葬补助; 朝阳区 has a draft waiting in draft_lines.
    let xi = draft(&mut c, XI_CHENG, "2024-08");
    commit(
        &mut c,
        xi,
        &[
            (WANG, "定期抚恤金", "2024-08", "正常", 233167, None),
            (LI, "丧葬补助", "2024-08", "丧葬补助", 5000000, None),
        ],
    )
    .unwrap();
    let waiting = draft(&mut c, CHAO_YANG, "2024-08");
    copy_draft_lines(&mut c, waiting, [DraftLine { person_id: LI, ..wang_august() }]).unwrap();

    // Any command of this build brings it up to date.
    let mut ledger = PgLedger::open_existing(&url_of(&db, Some(ROLE_PASSWORD)), &no_env(), CHAO_YANG).unwrap();
    assert_eq!((ledger.version().unwrap(), SCHEMA_VERSION), (2, 2));
    let c = ledger.client();
    assert_eq!(count(c, "SELECT count(*) FROM lines"), 2);
    assert_eq!(count(c, &format!("SELECT count(*) FROM draft_lines WHERE batch_id = {waiting}")), 1);
    let persistence: i8 = c
        .query_one("SELECT relpersistence FROM pg_class WHERE oid = 'youfu.draft_lines'::regclass", &[])
        .unwrap()
        .get(0);
    assert_eq!(persistence as u8, b'u', "draft_lines is unlogged");
    let indexes: Vec<String> = c
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'youfu' AND tablename = 'lines' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        indexes,
        ["lines_by_batch", "lines_funeral_once", "lines_pkey", "lines_regular_once", "lines_reissue_once"]
    );
    // The guarantees hold on the migrated lines: 朝阳区 paying WANG's August again, or LI's 丧葬补助, is refused
    // naming 西城区's batch.
    for (line, what) in [
        ((WANG, "定期抚恤金", "2024-08", "正常", 233167, None), "定期抚恤金 2024-08 正常"),
        ((LI, "丧葬补助", "2024-09", "丧葬补助", 5000000, None), "丧葬补助 2024-08 丧葬补助"),
    ] {
        let c = ledger.client();
        let again = draft(c, CHAO_YANG, "2024-09");
        let e = commit(c, again, &[line]).unwrap_err();
        let err = refused(&mut ledger, e);
        assert_eq!(
            err.to_string(),
            format!(
                "测试（{}）的{what}已由行政区划代码 110102 的 2024-08 发放批次（批次号 {xi}）确认发放，不能重复发放；\
                 台账 {} 未作修改",
                line.0,
                target_of(&db)
            )
        );
        ledger.client().execute("DELETE FROM batches WHERE id = $1", &[&again]).unwrap();
    }
    // The waiting draft commits, and its lines are found by batch and by person through the new indexes.
    let c = ledger.client();
    let mut tx = c.transaction().unwrap();
    commit_draft(&mut tx, waiting).unwrap();
    tx.commit().unwrap();
    assert_eq!(count(c, &format!("SELECT count(*) FROM lines WHERE batch_id = {waiting}")), 1);
    assert_eq!(count(c, &format!("SELECT count(*) FROM lines WHERE person_id = '{LI}'")), 2);
}

// --- guarantees -------------------------------------------------------------------------------------------

/// One line to commit: (身份证号, 项目, 所属期, 发放类型, 分, 重发 of).
pub(super) type Line<'a> = (&'a str, &'a str, &'a str, &'a str, i64, Option<i64>);

const XI_CHENG: &str = "110102";
const CHAO_YANG: &str = "110105";
/// Synthetic 身份证号 with valid check digits.
const WANG: &str = "11010519491231002X";
const LI: &str = "440304198001010017";

/// A new draft batch of a county and month, its calculation number 0 the one `calcs` row; its id.
pub(super) fn draft(c: &mut postgres::Client, county: &str, month: &str) -> i64 {
    let calc = calc(c);
    let id = c
        .query_one(
            "INSERT INTO batches (county_code, month, status, created, inputs_digest, outputs_digest, tool_version)
             VALUES ($1, $2, 'draft', '2024-08-05T09:00:00+08:00', 'in', 'out', 'test') RETURNING id",
            &[&county, &month],
        )
        .unwrap()
        .get(0);
    c.execute("INSERT INTO draft_calcs (batch_id, calc_no, calc_id) VALUES ($1, 0, $2)", &[&id, &calc]).unwrap();
    id
}

/// The one calcs row of these tests.
fn calc(c: &mut postgres::Client) -> i64 {
    if let Some(row) = c.query_opt("SELECT id FROM calcs WHERE formula = '27980/12'", &[]).unwrap() {
        return row.get(0);
    }
    c.query_one(
        "INSERT INTO calcs (standard_row, standard_start, basis, formula) VALUES (3, '2022-08-01', '示例文件二', '27980/12')
         RETURNING id",
        &[],
    )
    .unwrap()
    .get(0)
}

/// Commit a draft as `commit` will: COPY its lines into draft_lines, move them into lines (sorted by the
/// never-pay-twice key), mark the batch committed with the moved count and total; one transaction.
pub(super) fn commit(c: &mut postgres::Client, batch: i64, lines: &[Line]) -> Result<(), postgres::Error> {
    let mut tx = c.transaction()?;
    copy_draft_lines(
        &mut tx,
        batch,
        lines.iter().enumerate().map(|(i, &(person_id, item, period, kind, amount_fen, reissue_of))| DraftLine {
            line_no: i32::try_from(i + 1).unwrap(),
            person_id,
            name: "测试",
            category: "烈士遗属",
            town: "城关镇",
            item,
            period,
            kind: PaymentKind::from_label(kind).unwrap(),
            amount_fen,
            calc_no: 0,
            reissue_of,
        }),
    )?;
    commit_draft(&mut tx, batch)?;
    tx.commit()
}

/// WANG's regular 定期抚恤金 for 2024-08 (2331.67 元), the line two counties race to commit.
fn wang_august() -> DraftLine<'static> {
    DraftLine {
        line_no: 1,
        person_id: WANG,
        name: "王五",
        category: "烈士遗属",
        town: "城关镇",
        item: "定期抚恤金",
        period: "2024-08",
        kind: PaymentKind::Regular,
        amount_fen: 233167,
        calc_no: 0,
        reissue_of: None,
    }
}

/// The commit step itself, on lines already in draft_lines.
fn commit_draft(tx: &mut postgres::Transaction, batch: i64) -> Result<(), postgres::Error> {
    tx.execute(
        "INSERT INTO lines (batch_id, county_code, line_no, person_id, name, category, town, item, period, kind,
                            amount_fen, calc_id, reissue_of)
         SELECT d.batch_id, b.county_code, d.line_no, d.person_id, d.name, d.category, d.town, d.item, d.period,
                d.kind, d.amount_fen, k.calc_id, d.reissue_of
           FROM draft_lines d JOIN batches b ON b.id = d.batch_id
           JOIN draft_calcs k ON k.batch_id = d.batch_id AND k.calc_no = d.calc_no
          WHERE d.batch_id = $1
          ORDER BY d.period COLLATE \"C\", d.person_id COLLATE \"C\", d.item COLLATE \"C\"",
        &[&batch],
    )?;
    tx.execute("DELETE FROM draft_lines WHERE batch_id = $1", &[&batch])?;
    tx.execute(
        "UPDATE batches SET status = 'committed', committed_at = '2024-08-15T10:00:00+08:00', pay_date = '2024-08-15',
                line_count = (SELECT count(*) FROM lines WHERE batch_id = $1),
                total_fen = (SELECT COALESCE(sum(amount_fen), 0) FROM lines WHERE batch_id = $1)
          WHERE id = $1",
        &[&batch],
    )?;
    Ok(())
}

/// The refusal of a write that failed (its transaction already rolled back).
fn refused(ledger: &mut PgLedger, e: postgres::Error) -> PgError {
    let target = ledger.target().to_string();
    refusal(ledger.client(), &target, &e)
}

fn count(c: &mut postgres::Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn a_regular_payment_is_made_once_across_counties_and_the_refusal_names_who_paid() {
    let (db, mut ledger) = ledger("regular_once");
    let c = ledger.client();
    let first = draft(c, XI_CHENG, "2024-08");
    commit(c, first, &[(WANG, "定期抚恤金", "2024-08", "正常", 233167, None)]).unwrap();
    // 朝阳区 pays the same person's 定期抚恤金 for August again (a transfer both rosters still list).
    let second = draft(c, CHAO_YANG, "2024-08");
    let e = commit(
        c,
        second,
        &[(LI, "残疾抚恤金", "2024-08", "正常", 888917, None), (WANG, "定期抚恤金", "2024-08", "正常", 233167, None)],
    )
    .unwrap_err();
    let err = refused(&mut ledger, e);
    assert_eq!(
        err.to_string(),
        format!(
            "测试（{WANG}）的定期抚恤金 2024-08 正常已由行政区划代码 110102 的 2024-08 发放批次（批次号 {first}）确认发放，\
             不能重复发放；台账 {} 未作修改",
            target_of(&db)
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("ALREADY_PAID", 7));
    // Nothing of the refused commit is left: the batch is still a draft, with no lines.
    let c = ledger.client();
    assert_eq!(count(c, &format!("SELECT count(*) FROM lines WHERE batch_id = {second}")), 0);
    assert_eq!(count(c, &format!("SELECT count(*) FROM batches WHERE id = {second} AND status = 'draft'")), 1);
    // 补发 for the same period is not a second regular payment, nor another 所属期 or 项目.
    let third = draft(c, CHAO_YANG, "2024-09");
    commit(
        c,
        third,
        &[
            (WANG, "定期抚恤金", "2024-08", "补发", 100, None),
            (WANG, "定期抚恤金", "2024-09", "正常", 233167, None),
            (WANG, "生活补助", "2024-08", "正常", 50000, None),
        ],
    )
    .unwrap();
    // Two regular lines of one key inside one batch are refused too (no other batch to name).
    let fourth = draft(c, CHAO_YANG, "2024-10");
    let e = commit(
        c,
        fourth,
        &[(LI, "残疾抚恤金", "2024-10", "正常", 888917, None), (LI, "残疾抚恤金", "2024-10", "正常", 888917, None)],
    )
    .unwrap_err();
    let err = refused(&mut ledger, e);
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 拒绝了这次写入：同一人同一项目同一所属期的正常发放只能有一笔（身份证号 {LI}，所属期 2024-10，\
             项目 残疾抚恤金）；台账未作任何修改",
            target_of(&db)
        )
    );
}

#[test]
fn two_counties_committing_one_persons_month_at_once_one_waits_and_is_refused() {
    // 西城区 has moved WANG's lines into its batch but not yet committed when 朝阳区 commits the same (身份证号, 项目,
    // 所属期): 朝阳区's insert waits on the unique index until 西城区's transaction ends, then is refused naming it.
    let (db, mut ledger) = ledger("concurrent_counties");
    let c = ledger.client();
    let xi = draft(c, XI_CHENG, "2024-08");
    let chao = draft(c, CHAO_YANG, "2024-08");
    let (moved_tx, moved_rx) = std::sync::mpsc::channel();
    let first = {
        let mut client = db.connect();
        client.batch_execute("SET search_path TO youfu").unwrap();
        std::thread::spawn(move || {
            let mut tx = client.transaction().unwrap();
            copy_draft_lines(&mut tx, xi, [wang_august()]).unwrap();
            commit_draft(&mut tx, xi).unwrap();
            moved_tx.send(()).unwrap();
            // Long enough for the other commit to reach the index and wait.
            std::thread::sleep(std::time::Duration::from_millis(300));
            tx.commit().unwrap();
        })
    };
    moved_rx.recv().unwrap();
    let started = std::time::Instant::now();
    let e = commit(ledger.client(), chao, &[(WANG, "定期抚恤金", "2024-08", "正常", 233167, None)]).unwrap_err();
    let waited = started.elapsed();
    first.join().unwrap();
    let err = refused(&mut ledger, e);
    assert_eq!(
        err.to_string(),
        format!(
            "王五（{WANG}）的定期抚恤金 2024-08 正常已由行政区划代码 110102 的 2024-08 发放批次（批次号 {xi}）确认发放，\
             不能重复发放；台账 {} 未作修改",
            target_of(&db)
        )
    );
    assert!(waited >= std::time::Duration::from_millis(100), "did not wait: {waited:?}");
    let c = ledger.client();
    assert_eq!(count(c, "SELECT count(*) FROM batches WHERE status = 'committed'"), 1);
    assert_eq!(count(c, "SELECT count(*) FROM lines"), 1);
}

#[test]
fn a_funeral_grant_is_paid_once_per_person_across_counties() {
    let (db, mut ledger) = ledger("funeral_once");
    let c = ledger.client();
    let first = draft(c, CHAO_YANG, "2024-05");
    commit(c, first, &[(WANG, "丧葬补助", "2024-04", "丧葬补助", 5747004, None)]).unwrap();
    let second = draft(c, XI_CHENG, "2024-06");
    let e = commit(c, second, &[(WANG, "丧葬补助", "2024-05", "丧葬补助", 5747004, None)]).unwrap_err();
    let err = refused(&mut ledger, e);
    assert_eq!(
        err.to_string(),
        format!(
            "测试（{WANG}）的丧葬补助 2024-04 丧葬补助已由行政区划代码 110105 的 2024-05 发放批次（批次号 {first}）确认发放，\
             不能重复发放；台账 {} 未作修改",
            target_of(&db)
        )
    );
}

#[test]
fn a_county_commits_a_month_once_and_other_counties_are_not_in_the_way() {
    let (db, mut ledger) = ledger("month_once");
    let c = ledger.client();
    let first = draft(c, CHAO_YANG, "2024-08");
    commit(c, first, &[(WANG, "定期抚恤金", "2024-08", "正常", 233167, None)]).unwrap();
    // Another county's August is its own.
    let other = draft(c, XI_CHENG, "2024-08");
    commit(c, other, &[(LI, "残疾抚恤金", "2024-08", "正常", 888917, None)]).unwrap();
    // A second draft of 朝阳区's August (another officer's `pay`), committed: refused, naming the committed batch.
    let second = draft(c, CHAO_YANG, "2024-08");
    let e = commit(c, second, &[(LI, "生活补助", "2024-08", "正常", 100, None)]).unwrap_err();
    let err = refused(&mut ledger, e);
    assert_eq!(
        err.to_string(),
        format!(
            "行政区划代码 110105 的 2024-08 已有确认发放的批次（批次号 {first}），不能重复发放；台账 {} 未作修改",
            target_of(&db)
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("MONTH_ALREADY_COMMITTED", 6));
    // Two drafts of one county and month are refused at once.
    let e = ledger
        .client()
        .execute(
            "INSERT INTO batches (county_code, month, status, created, inputs_digest, outputs_digest, tool_version)
             VALUES ('110105', '2024-08', 'draft', 'x', 'in', 'out', 'test')",
            &[],
        )
        .unwrap_err();
    assert!(refused(&mut ledger, e).to_string().contains("同一县（市、区）同一月份只能有一个发放草稿"));
    // A malformed county code is refused by the database too.
    let e = ledger
        .client()
        .execute(
            "INSERT INTO batches (county_code, month, status, created, inputs_digest, outputs_digest, tool_version)
             VALUES ('11010', '2024-09', 'draft', 'x', 'in', 'out', 'test')",
            &[],
        )
        .unwrap_err();
    assert!(refused(&mut ledger, e).to_string().contains("不符合台账的约束 county_code_format"));
}

#[test]
fn committed_lines_and_batches_can_be_neither_changed_nor_deleted() {
    let (_db, mut ledger) = ledger("frozen_lines");
    let c = ledger.client();
    let batch = draft(c, CHAO_YANG, "2024-08");
    commit(c, batch, &[(WANG, "定期抚恤金", "2024-08", "正常", 233167, None)]).unwrap();
    for (sql, message) in [
        ("UPDATE lines SET amount_fen = 0", "已确认发放的明细不能修改"),
        ("UPDATE lines SET county_code = '110102'", "已确认发放的明细不能修改"),
        ("DELETE FROM lines", "已确认发放的明细不能删除"),
        ("DELETE FROM lines WHERE false", "已确认发放的明细不能删除"),
        ("TRUNCATE lines CASCADE", "已确认发放的明细不能删除"),
        ("UPDATE batches SET pay_date = '2024-08-01'", "已确认发放的批次不能修改"),
        ("UPDATE batches SET status = 'draft', committed_at = NULL, pay_date = NULL", "已确认发放的批次不能修改"),
        ("DELETE FROM batches", "已确认发放的批次不能删除"),
        ("TRUNCATE batches CASCADE", "已确认发放的批次不能删除"),
        ("UPDATE calcs SET formula = 'x'", "计算依据记录不能修改或删除"),
    ] {
        let e = ledger.client().batch_execute(sql).unwrap_err();
        let err = refused(&mut ledger, e);
        assert!(matches!(&err, PgError::Rejected { detail, .. } if detail == message), "{sql}: {err}");
    }
    let c = ledger.client();
    assert_eq!(count(c, "SELECT sum(amount_fen)::bigint FROM lines"), 233167);
    // Lines go only into a draft of their own county: not into a committed batch, not under another county.
    let calc = calc(c);
    let insert = format!(
        "INSERT INTO lines (batch_id, county_code, line_no, person_id, name, category, town, item, period, kind,
                            amount_fen, calc_id)
         VALUES ($1, $2, 9, '{LI}', '李四', '残疾军人', '东坝镇', '残疾抚恤金', '2024-08', '正常', 888917, {calc})"
    );
    let e = c.execute(&insert, &[&batch, &CHAO_YANG]).unwrap_err();
    assert_eq!(
        refused(&mut ledger, e).to_string().split('；').next().unwrap(),
        format!(
            "台账 {} 拒绝了这次写入：只能向本县（市、区）的发放草稿添加明细（批次号 {batch}，行政区划代码 110105）",
            ledger.target()
        )
    );
    let c = ledger.client();
    let other = draft(c, CHAO_YANG, "2024-09");
    let e = c.execute(&insert, &[&other, &XI_CHENG]).unwrap_err();
    assert!(refused(&mut ledger, e).to_string().contains("只能向本县（市、区）的发放草稿添加明细"));
    // Nor can draft lines be added to a committed batch.
    let e = commit(ledger.client(), batch, &[(LI, "残疾抚恤金", "2024-08", "正常", 888917, None)]).unwrap_err();
    let err = refused(&mut ledger, e);
    assert!(
        matches!(&err, PgError::Rejected { detail, .. } if *detail == format!("只能向发放草稿添加明细（批次号 {batch} 已确认发放）")),
        "{err}"
    );
}

#[test]
fn a_commit_must_move_every_draft_line_with_its_count_and_total() {
    let (_db, mut ledger) = ledger("commit_whole");
    let c = ledger.client();
    let batch = draft(c, CHAO_YANG, "2024-08");

    let mut tx = c.transaction().unwrap();
    copy_draft_lines(&mut tx, batch, [wang_august()]).unwrap();
    tx.commit().unwrap();
    // Marking it committed with the line still in the draft, or with a total that is not the lines'.
    for sql in [
        "UPDATE batches SET status = 'committed', committed_at = 'x', pay_date = '2024-08-15', line_count = 0, total_fen = 0",
        "UPDATE batches SET status = 'committed', committed_at = 'x', pay_date = '2024-08-15', line_count = 1, total_fen = 1",
    ] {
        let mut tx = ledger.client().transaction().unwrap();
        if sql.contains("total_fen = 1") {
            tx.batch_execute(
                "INSERT INTO lines (batch_id, county_code, line_no, person_id, name, category, town, item, period,
                                    kind, amount_fen, calc_id, reissue_of)
                 SELECT d.batch_id, '110105', d.line_no, d.person_id, d.name, d.category, d.town, d.item, d.period,
                        d.kind, d.amount_fen, k.calc_id, d.reissue_of
                   FROM draft_lines d JOIN draft_calcs k ON k.batch_id = d.batch_id AND k.calc_no = d.calc_no;
                 DELETE FROM draft_lines;",
            )
            .unwrap();
        }
        let e = tx.batch_execute(sql).unwrap_err();
        drop(tx);
        let err = refused(&mut ledger, e);
        assert!(
            matches!(&err, PgError::Rejected { detail, .. }
                if detail == "确认发放时须将草稿明细全部转入已发放明细，且记录的笔数和合计须与明细一致"),
            "{err}"
        );
    }
}

/// A committed August of 朝阳区 with two lines, and one bank 退回 event for WANG's line; (batch, WANG's line id,
/// the event's id).
fn returned_august(ledger: &mut PgLedger) -> (i64, i64, i64) {
    let c = ledger.client();
    let batch = draft(c, CHAO_YANG, "2024-08");
    commit(
        c,
        batch,
        &[(WANG, "定期抚恤金", "2024-08", "正常", 233167, None), (LI, "残疾抚恤金", "2024-08", "正常", 888917, None)],
    )
    .unwrap();
    let line: i64 = c.query_one("SELECT id FROM lines WHERE person_id = $1", &[&WANG]).unwrap().get(0);
    let event: i64 = c
        .query_one(
            "INSERT INTO bank_returns (batch_id, county_code, month, transfer_no, person_id, name, account, amount_fen,
                                       status, reason, file_name, file_sha256, file_row, recorded_at)
             VALUES ($1, '110105', '2024-08', 1, $2, '王五', '6217000000000000004', 233167, '失败', '账户已销户',
                     '回盘.csv', 'abc', 2, '2024-08-20T09:00:00+08:00')
             RETURNING id",
            &[&batch, &WANG],
        )
        .unwrap()
        .get(0);
    c.execute("INSERT INTO returned_lines (line_id, return_id) VALUES ($1, $2)", &[&line, &event]).unwrap();
    (batch, line, event)
}

#[test]
fn bank_return_events_are_append_only() {
    let (_db, mut ledger) = ledger("returns_frozen");
    let (batch, _line, _event) = returned_august(&mut ledger);
    for sql in [
        "UPDATE bank_returns SET amount_fen = 1",
        "DELETE FROM bank_returns",
        "TRUNCATE bank_returns CASCADE",
        "UPDATE returned_lines SET return_id = return_id",
        "DELETE FROM returned_lines",
        "TRUNCATE returned_lines",
    ] {
        let e = ledger.client().batch_execute(sql).unwrap_err();
        let err = refused(&mut ledger, e);
        assert!(matches!(&err, PgError::Rejected { detail, .. } if detail == "退回记录不能修改或删除"), "{sql}: {err}");
    }
    let c = ledger.client();
    assert_eq!(count(c, "SELECT count(*) FROM bank_returns") + count(c, "SELECT count(*) FROM returned_lines"), 2);
    // A transfer is returned once; an event belongs to a committed batch of its county and month.
    let again = format!(
        "INSERT INTO bank_returns (batch_id, county_code, month, transfer_no, person_id, name, account, amount_fen,
                                   status, reason, file_name, file_sha256, file_row, recorded_at)
         VALUES ({batch}, $1, $2, 1, '{WANG}', '王五', '1', 233167, '失败', '户名不符', 'b.csv', 'def', 3, 'x')"
    );
    let e = c.execute(&again, &[&CHAO_YANG, &"2024-08"]).unwrap_err();
    assert!(refused(&mut ledger, e).to_string().contains("一笔代发记录只能退回一次"));
    let e = ledger.client().execute(&again, &[&XI_CHENG, &"2024-08"]).unwrap_err();
    assert!(refused(&mut ledger, e).to_string().contains("退回记录只能记入本县（市、区）已确认发放的批次"));
}

#[test]
fn a_returned_line_is_reissued_once_and_only_a_returned_line() {
    let (db, mut ledger) = ledger("reissue_once");
    let (_batch, line, _event) = returned_august(&mut ledger);
    let c = ledger.client();
    let september = draft(c, CHAO_YANG, "2024-09");
    commit(c, september, &[(WANG, "定期抚恤金", "2024-08", "重发", 233167, Some(line))]).unwrap();
    // Another county (or a second pay) re-issuing it again.
    let october = draft(c, XI_CHENG, "2024-10");
    let e = commit(c, october, &[(WANG, "定期抚恤金", "2024-08", "重发", 233167, Some(line))]).unwrap_err();
    let err = refused(&mut ledger, e);
    assert_eq!(
        err.to_string(),
        format!(
            "第 {line} 号明细（银行已退回）已在批次号 {september} 中重发，不能再次重发；台账 {} 未作修改",
            target_of(&db)
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("ALREADY_REISSUED", 7));
    // LI's line was not returned: no 重发 of it.
    let c = ledger.client();
    let li_line: i64 = c.query_one("SELECT id FROM lines WHERE person_id = $1", &[&LI]).unwrap().get(0);
    let november = draft(c, CHAO_YANG, "2024-11");
    let e = commit(c, november, &[(LI, "残疾抚恤金", "2024-08", "重发", 888917, Some(li_line))]).unwrap_err();
    let err = refused(&mut ledger, e);
    assert!(matches!(&err, PgError::Rejected { detail, .. } if detail == "重发只能针对银行已退回的明细"), "{err}");
    // A 重发 line must say which line it re-issues.
    let c = ledger.client();
    let e = commit(c, november, &[(LI, "残疾抚恤金", "2024-08", "重发", 888917, None)]).unwrap_err();
    assert!(refused(&mut ledger, e).to_string().contains("reissue_has_its_line"));
}

// --- COPY -------------------------------------------------------------------------------------------------

#[test]
fn copy_writes_texts_as_they_are() {
    let (_db, mut ledger) = ledger("copy_texts");
    let c = ledger.client();
    let batch = draft(c, CHAO_YANG, "2024-08");

    // Tabs, line breaks, backslashes and quotes are what a text COPY would have to escape.
    let names = ["王\t五", "李\n四", "赵\\六", "\"钱\"'七'", ""];
    let mut tx = c.transaction().unwrap();
    let n = copy_draft_lines(
        &mut tx,
        batch,
        names.iter().enumerate().map(|(i, name)| DraftLine {
            line_no: i32::try_from(i).unwrap(),
            person_id: WANG,
            name,
            category: "烈士遗属",
            town: "城关镇\r\n",
            item: "定期抚恤金",
            period: "2024-08",
            kind: PaymentKind::Arrears,
            amount_fen: 1 + i64::try_from(i).unwrap(),
            calc_no: 0,
            reissue_of: None,
        }),
    )
    .unwrap();
    tx.commit().unwrap();
    assert_eq!(n, 5);
    let rows: Vec<(i32, String, String, i64)> = ledger
        .client()
        .query("SELECT line_no, name, town, amount_fen FROM draft_lines ORDER BY line_no", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let expected: Vec<(i32, String, String, i64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i32, n.to_string(), "城关镇\r\n".to_string(), 1 + i as i64))
        .collect();
    assert_eq!(rows, expected);
    // A negative amount is refused by the database, and the COPY leaves nothing.
    let mut tx = ledger.client().transaction().unwrap();
    let e = copy_draft_lines(
        &mut tx,
        batch,
        [DraftLine {
            line_no: 99,
            person_id: LI,
            name: "李四",
            category: "残疾军人",
            town: "东坝镇",
            item: "残疾抚恤金",
            period: "2024-08",
            kind: PaymentKind::Regular,
            amount_fen: -1,
            calc_no: 0,
            reissue_of: None,
        }],
    )
    .unwrap_err();
    drop(tx);
    assert!(refused(&mut ledger, e).to_string().contains("amount_not_negative"));
    assert_eq!(count(ledger.client(), "SELECT count(*) FROM draft_lines"), 5);
}

/// Not a timed test (targets live in bench/): run by hand to measure COPY and commit of a province's month,
/// `cargo test --release --lib ledger::pg::tests::copy_and_commit_a_million_lines -- --ignored --nocapture`.
#[test]
#[ignore]
fn copy_and_commit_a_million_lines() {
    let (_db, mut ledger) = ledger("million");
    let c = ledger.client();

    let batch = draft(c, CHAO_YANG, "2024-08");
    let ids: Vec<String> = (0..1_000_000u32).map(|i| format!("110105{:012}", i)).collect();
    let backend: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let cpu_before = server_cpu(backend);
    let started = std::time::Instant::now();
    let mut tx = c.transaction().unwrap();
    let n = copy_draft_lines(
        &mut tx,
        batch,
        ids.iter().enumerate().map(|(i, id)| DraftLine {
            line_no: i32::try_from(i).unwrap(),
            person_id: id,
            name: "测试人员",
            category: "烈士遗属",
            town: "城关镇",
            item: "定期抚恤金",
            period: "2024-08",
            kind: PaymentKind::Regular,
            amount_fen: 233167,
            calc_no: 0,
            reissue_of: None,
        }),
    )
    .unwrap();
    tx.commit().unwrap();
    let copied = started.elapsed();
    let cpu_copied = server_cpu(backend);
    let started = std::time::Instant::now();
    let mut tx = ledger.client().transaction().unwrap();
    commit_draft(&mut tx, batch).unwrap();
    tx.commit().unwrap();
    let committed = started.elapsed();
    let cpu_committed = server_cpu(backend);
    eprintln!(
        "COPY of {n} draft lines: {copied:.2?} (server CPU {:.2} s); commit (move into lines with the unique \
         indexes): {committed:.2?} (server CPU {:.2} s)",
        cpu_copied - cpu_before,
        cpu_committed - cpu_copied
    );
    assert_eq!(count(ledger.client(), "SELECT count(*) FROM lines"), 1_000_000);
}

/// CPU seconds (user + system) a server backend has used so far, from /proc (the wall time on a shared machine
/// says more about the other load than about the database).
pub(super) fn server_cpu(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line; after "pid (comm)" (fields 1 and 2) at 11 and 12. Ticks
    // of 1/100 s.
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
