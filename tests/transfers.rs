//! 抚恤关系转移 (docs/domain.md rule 10, 伤残抚恤管理办法 第二十三条) the way two counties' finance officers run it,
//! each on the SQLite ledger of their own county: 王迁 moves from county A to county B in July 2024. A's roster marks
//! him 迁出 with 迁出年月; B's carries 迁入年月 and 原发放地. A pays August–December 2024 and not January 2025; B's
//! batches for August–December list him as 迁入待接续 and pay him nothing; B pays him from January 2025. Bad transfer
//! columns are refused with the exact message, and nothing is written.

mod common;
use common::*;
use std::path::Path;

// Each story on both backends: `sqlite::…` and `postgresql::…`.
both_ledgers!(
    county_a_pays_the_rest_of_the_year_of_the_move_and_stops_in_january,
    county_b_lists_the_person_until_january_and_pays_from_then,
    another_month_rule_from_the_config,
    a_move_before_the_ledger_ever_paid_the_person_is_refused
);

/// 王迁: 残疾军人 一级 因战 (106670 元/年 → 8889.17 a month), moved from county A to county B in 2024-07.
const WANG: &str = "519902196001010014";

/// County A's roster: 王迁 迁出 2024-07, and 李四 who stays.
const ROSTER_A: &str = "\
姓名,身份证号,类别,等级,性质,城乡,乡镇,银行账号,起发年月,状态,迁出年月
王迁,519902196001010014,残疾军人,一级,因战,城镇,城关镇,6217000000000000004,2010-03,迁出,2024-07
李四,11010519491231002X,烈士遗属,,,农村,东坝镇,79927398713,,,
";

/// County B's roster: 王迁 迁入 2024-07 from 示例甲县, and 张三 who was always there.
const ROSTER_B: &str = "\
姓名,身份证号,类别,等级,性质,城乡,乡镇,银行账号,迁入年月,原发放地
王迁,519902196001010014,残疾军人,一级,因战,城镇,新城镇,6217000000000000012,2024-07,示例甲县
张三,440304198001010017,残疾军人,一级,因战,城镇,城关镇,6217000000000000004,,
";

/// A pay day on or before each month's deadline (a working day before the 20th).
const MONTHS: [(&str, &str); 6] = [
    ("2024-08", "2024-08-15"),
    ("2024-09", "2024-09-13"),
    ("2024-10", "2024-10-15"),
    ("2024-11", "2024-11-15"),
    ("2024-12", "2024-12-13"),
    ("2025-01", "2025-01-15"),
];

fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = youfu(dir, args);
    assert_eq!(r.code, 0, "youfu {args:?}\n{}{}", r.stdout, r.stderr);
    r
}

/// A county's office: its roster, the standards and its own ledger.
fn office(roster: &str) -> tempfile::TempDir {
    let dir = workdir(roster, STANDARDS);
    init(dir.path(), &[]);
    dir
}

/// `pay` then `commit` of each month; the outputs in out/<month>.
fn pay_and_commit_each_month(dir: &Path) {
    for (month, day) in MONTHS {
        let out = format!("out/{month}");
        ok(dir, &["pay", "--month", month, "--roster", "roster.csv", "--standards", "standards.csv", "--out", &out]);
        ok(dir, &["commit", "--month", month, "--pay-date", day]);
    }
}

/// `lines_in` of out/<month>.
fn lines(dir: &Path, month: &str) -> Vec<(String, String, String, String)> {
    lines_in(&dir.join("out").join(month))
}

fn line(id: &str, month: &str, kind: &str, amount: &str) -> (String, String, String, String) {
    (id.into(), month.into(), kind.into(), amount.into())
}

fn exceptions(dir: &Path, month: &str) -> String {
    std::fs::read_to_string(dir.join("out").join(month).join("exceptions.csv")).unwrap()
}

const EXCEPTIONS_HEADER: &str = "\u{feff}身份证号,姓名,类别,乡镇,项目,原因类别,原因,原因代码,花名册行号\r\n";

fn county_a_pays_the_rest_of_the_year_of_the_move_and_stops_in_january() {
    let dir = office(ROSTER_A);
    let d = dir.path();
    pay_and_commit_each_month(d);
    // August–December: 王迁 8889.17 (106670 / 12 = 8889.1666… → 8889.17) and 李四 2331.67 (27980 / 12)
    for (month, _) in &MONTHS[..5] {
        assert_eq!(
            lines(d, month),
            [line(WANG, month, "正常", "8889.17"), line("11010519491231002X", month, "正常", "2331.67")],
            "{month}"
        );
        assert_eq!(exceptions(d, month), EXCEPTIONS_HEADER, "{month}");
    }
    // January 2025: only 李四; 王迁 listed as 已迁出, nothing for him (no 补发 either: 2024 was paid in full)
    assert_eq!(lines(d, "2025-01"), [line("11010519491231002X", "2025-01", "正常", "2331.67")]);
    assert_eq!(
        exceptions(d, "2025-01"),
        format!(
            "{EXCEPTIONS_HEADER}519902196001010014,王迁,残疾军人,城关镇,全部,已迁出,\
             已于2024-07迁出，本县发放至2024-12止，自2025-01起由迁入地发放,MOVED_OUT,2\r\n"
        )
    );
    // explain says who pays which month
    let r = ok(
        d,
        &["explain", "--id", WANG, "--month", "2025-01", "--roster", "roster.csv", "--standards", "standards.csv"],
    );
    assert!(
        r.stdout.contains(
            "资格：已于2024-07迁出，本县发放至2024-12止，自2025-01起由迁入地发放\n\
             抚恤关系转移：2024-07 迁出\n\
             \x20 转移规则：迁出当年由迁出地发放，次年1月起由迁入地发放（伤残抚恤管理办法第二十三条）\n\
             \x20 发放地：2024-12 及以前由本县发放，2025-01 起由迁入地发放\n\
             \x20 本月（2025-01）由迁入地发放\n"
        ),
        "{}",
        r.stdout
    );
    let r = ok(
        d,
        &["explain", "--id", WANG, "--month", "2024-12", "--roster", "roster.csv", "--standards", "standards.csv"],
    );
    assert!(r.stdout.contains("  本月（2024-12）由本县发放\n"), "{}", r.stdout);
    assert!(r.stdout.contains("  台账已发：2024-12 批次 正常 8,889.17 元"), "{}", r.stdout);
}

fn county_b_lists_the_person_until_january_and_pays_from_then() {
    let dir = office(ROSTER_B);
    let d = dir.path();
    pay_and_commit_each_month(d);
    let pending = format!(
        "{EXCEPTIONS_HEADER}519902196001010014,王迁,残疾军人,新城镇,全部,迁入待接续,\
         2024-07自示例甲县迁入，2024-12及以前由原发放地发放，本县自2025-01起发放,TRANSFER_PENDING,2\r\n"
    );
    for (month, _) in &MONTHS[..5] {
        // only 张三: nothing for 王迁 in the months the old county pays
        assert_eq!(lines(d, month), [line("440304198001010017", month, "正常", "8889.17")], "{month}");
        assert_eq!(exceptions(d, month), pending, "{month}");
    }
    // January 2025: 王迁 paid 8889.17 for January, and no 补发 for August–December (the old county's months)
    assert_eq!(
        lines(d, "2025-01"),
        [line(WANG, "2025-01", "正常", "8889.17"), line("440304198001010017", "2025-01", "正常", "8889.17")]
    );
    assert_eq!(exceptions(d, "2025-01"), EXCEPTIONS_HEADER);
    let r = ok(
        d,
        &["explain", "--id", WANG, "--month", "2024-09", "--roster", "roster.csv", "--standards", "standards.csv"],
    );
    assert!(
        r.stdout.contains(
            "资格：2024-07自示例甲县迁入，2024-12及以前由原发放地发放，本县自2025-01起发放\n\
             抚恤关系转移：2024-07 自示例甲县迁入\n\
             \x20 转移规则：迁出当年由迁出地发放，次年1月起由迁入地发放（伤残抚恤管理办法第二十三条）\n\
             \x20 发放地：2024-12 及以前由原发放地（示例甲县）发放，2025-01 起由本县发放\n\
             \x20 本月（2024-09）由原发放地（示例甲县）发放\n"
        ),
        "{}",
        r.stdout
    );
    let r = ok(
        d,
        &[
            "explain",
            "--json",
            "--id",
            WANG,
            "--month",
            "2024-09",
            "--roster",
            "roster.csv",
            "--standards",
            "standards.csv",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["payer"], "原发放地");
    assert_eq!(v["transfer"]["here_from"], "2025-01");
    assert_eq!(v["transfer"]["moved_from"], "示例甲县");
    // A county's SQLite ledger cannot see the old county's lines: explain says so (the PostgreSQL story below shows
    // them). On a database of its own (postgresql::) B sees that no county has paid September, and who is due to.
    if backend() == Backend::Postgresql {
        assert_eq!(
            (&v["transfer"]["other_counties"], &v["transfer"]["unpaid_due"]),
            (&serde_json::json!([]), &serde_json::json!("原发放地（示例甲县）"))
        );
        return;
    }
    assert_eq!(v["transfer"]["other_counties"], serde_json::Value::Null);
    let r = ok(
        d,
        &["explain", "--id", WANG, "--month", "2024-09", "--roster", "roster.csv", "--standards", "standards.csv"],
    );
    assert!(
        r.stdout.ends_with(
            "\x20 本月（2024-09）由原发放地（示例甲县）发放\n\
             \x20 原发放地（示例甲县）的发放记录不在本县的 SQLite 台账中，无法在此核对（共用的 PostgreSQL 台账可查到）\n"
        ),
        "{}",
        r.stdout
    );
}

fn another_month_rule_from_the_config() {
    // [transfer] new_county_pays_from = "next-month": B pays from August 2024.
    let dir = workdir(ROSTER_B, STANDARDS);
    let d = dir.path();
    std::fs::write(
        d.join("youfu.toml"),
        format!("county = \"{COUNTY}\"\ncounty_code = \"{COUNTY_CODE}\"\n\n[transfer]\nnew_county_pays_from = \"next-month\"\n"),
    )
    .unwrap();
    init(d, &[]);
    ok(
        d,
        &[
            "pay",
            "--month",
            "2024-07",
            "--roster",
            "roster.csv",
            "--standards",
            "standards.csv",
            "--out",
            "out/2024-07",
        ],
    );
    assert!(
        exceptions(d, "2024-07").contains("2024-07自示例甲县迁入，2024-07及以前由原发放地发放，本县自2024-08起发放")
    );
    ok(d, &["commit", "--month", "2024-07", "--pay-date", "2024-07-15"]);
    ok(
        d,
        &[
            "pay",
            "--month",
            "2024-08",
            "--roster",
            "roster.csv",
            "--standards",
            "standards.csv",
            "--out",
            "out/2024-08",
        ],
    );
    assert_eq!(
        lines(d, "2024-08"),
        [line(WANG, "2024-08", "正常", "8889.17"), line("440304198001010017", "2024-08", "正常", "8889.17")]
    );
    // a value the rule does not know is refused with the config's line
    std::fs::write(d.join("youfu.toml"), "[transfer]\nnew_county_pays_from = \"next-year\"\n").unwrap();
    let r = youfu(
        d,
        &["pay", "--month", "2024-09", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "o"],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "错误：配置文件 {} 有误：第2行：不能取值“next-year”（可用：next-january、next-month、same-month）\n",
            d.join("youfu.toml").display()
        )
    );
    assert!(!d.join("o").exists());
}

/// `pay` for 2024-08 on a roster with one bad transfer row: refused with the exact message, exit 3, no output
/// folder, no batch in the ledger.
fn refused(roster_row: &str, header_extra: &str, expected: &str) {
    let roster = format!("姓名,身份证号,类别,等级,性质,城乡,乡镇,银行账号,起发年月{header_extra}\n{roster_row}\n");
    let dir = office(&roster);
    let d = dir.path();
    let r = youfu(
        d,
        &["pay", "--month", "2024-08", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "out"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stderr, format!("{expected}\n共 1 个问题，未写出任何文件。\n"));
    assert!(!d.join("out").exists());
    let b = ok(d, &["batches"]);
    assert!(!b.stdout.contains("2024-08"), "{}", b.stdout);
}

#[test]
fn moved_out_without_a_month_is_refused() {
    refused(
        "王迁,519902196001010014,残疾军人,一级,因战,城镇,城关镇,6217000000000000004,2010-03,迁出,",
        ",状态,迁出年月",
        "roster.csv 第2行「迁出年月」列：状态为“迁出”，但没有填写迁出年月。请填写迁出年月（抚恤关系迁出的月份）：本县据此确定发放到哪个月为止。 [MISSING_MOVE_OUT_MONTH]",
    );
}

#[test]
fn a_malformed_move_month_is_refused() {
    refused(
        "王迁,519902196001010014,残疾军人,一级,因战,城镇,城关镇,6217000000000000004,2010-03,迁出,2024年13月",
        ",状态,迁出年月",
        "roster.csv 第2行「迁出年月」列：迁出年月无法识别为年月（值：“2024年13月”）。可写作 2024-01、2024/1、2024.01、2024年1月、202401，或完整日期（取其所在月份），或设置为日期格式的单元格。 [BAD_DATE]",
    );
}

#[test]
fn a_move_before_payments_started_is_refused() {
    refused(
        "王迁,519902196001010014,残疾军人,一级,因战,城镇,城关镇,6217000000000000004,2024-09,迁出,2024-07",
        ",状态,迁出年月",
        "roster.csv 第2行「迁出年月」列：迁出年月早于起发年月（2024-09），本县尚未发放就已迁出（值：“2024-07”）。请核对迁出年月和起发年月：迁出年月应是本县开始发放以后的月份。 [TRANSFER_BEFORE_START]",
    );
}

#[test]
fn a_move_in_without_the_old_county_is_refused() {
    refused(
        "王迁,519902196001010014,残疾军人,一级,因战,城镇,城关镇,6217000000000000004,,2024-07,",
        ",迁入年月,原发放地",
        "roster.csv 第2行「原发放地」列：填有迁入年月，但没有填写原发放地。请填写原发放地（抚恤关系迁出的县（市、区）），迁入后的头几个月由原发放地发放。 [MISSING_MOVED_FROM]",
    );
}

fn a_move_before_the_ledger_ever_paid_the_person_is_refused() {
    // The ledger began in 2024-07, before 王迁 was on the roster, and first paid him for 2024-08 (起发年月); a later
    // roster without his 起发年月 says he left in 2024-05.
    let li_only: String = ROSTER_A.lines().filter(|l| !l.starts_with("王迁")).map(|l| format!("{l}\n")).collect();
    let dir = office(&li_only);
    let d = dir.path();
    for (month, day) in [("2024-07", "2024-07-15"), ("2024-08", "2024-08-15")] {
        if month == "2024-08" {
            std::fs::write(d.join("roster.csv"), ROSTER_A.replace(",2010-03,迁出,2024-07", ",2024-08,,")).unwrap();
        }
        let out = format!("out/{month}");
        ok(d, &["pay", "--month", month, "--roster", "roster.csv", "--standards", "standards.csv", "--out", &out]);
        ok(d, &["commit", "--month", month, "--pay-date", day]);
    }
    std::fs::write(d.join("roster.csv"), ROSTER_A.replace(",2010-03,迁出,2024-07", ",,迁出,2024-05")).unwrap();
    let r = youfu(
        d,
        &[
            "pay",
            "--month",
            "2024-09",
            "--roster",
            "roster.csv",
            "--standards",
            "standards.csv",
            "--out",
            "out/2024-09",
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "roster.csv 第2行「迁出年月」列：王迁（519902196001010014）的迁出年月早于台账中本县第一次为其发放的所属期（2024-08），\
         本县尚未发放就已迁出（值：“2024-05”）。请核对迁出年月：迁出年月应是本县开始发放以后的月份。 [TRANSFER_BEFORE_PAID]\n\
         共 1 个问题，未写出任何文件。\n"
    );
    assert!(!d.join("out/2024-09").exists());
    assert!(!ok(d, &["batches"]).stdout.contains("2024-09"));
    // A move after the first paid month is taken.
    std::fs::write(d.join("roster.csv"), ROSTER_A.replace(",2010-03,迁出,2024-07", ",,迁出,2024-08")).unwrap();
    ok(
        d,
        &[
            "pay",
            "--month",
            "2024-09",
            "--roster",
            "roster.csv",
            "--standards",
            "standards.csv",
            "--out",
            "out/2024-09",
        ],
    );
}

/// A county's office on the shared ledger: its roster, the standards, a youfu.toml naming the county and the
/// PostgreSQL ledger, and `init` (which creates the schema the first time and finds it the second).
fn county_on(url: &str, county: &str, code: &str, roster: &str) -> tempfile::TempDir {
    let dir = workdir(roster, STANDARDS);
    std::fs::write(
        dir.path().join("youfu.toml"),
        format!("county = \"{county}\"\ncounty_code = \"{code}\"\nledger = \"{url}\"\n"),
    )
    .unwrap();
    ok_pg(dir.path(), &["init"]);
    dir
}

/// The transfer test on one PostgreSQL ledger shared by the two counties: A (示例甲县, 110102) pays 王迁
/// August–December 2024; B (示例乙县, 110105) forced to pay him August with a roster that drops the 迁入 columns is
/// refused by the database (at `pay`, when the draft is written: exit 7), naming county A and its batch; with its
/// real roster B lists him 迁入待接续 for August–December and pays him from January 2025. Runs in .ci/run
/// with the rest of the suite (the throwaway server of tests/support/pg.rs).
#[test]
fn two_counties_on_one_postgresql_ledger_never_both_pay_a_month() {
    let db = pg::shared().fresh_db("transfer");
    let url = db.url_without_password();
    let a = county_on(&url, "示例甲县", "110102", ROSTER_A);
    let b = county_on(&url, "示例乙县", "110105", ROSTER_B);
    let (a, b) = (a.path(), b.path());
    for (month, day) in MONTHS {
        let out = format!("out/{month}");
        ok_pg(a, &["pay", "--month", month, "--roster", "roster.csv", "--standards", "standards.csv", "--out", &out]);
        ok_pg(a, &["commit", "--month", month, "--pay-date", day]);
    }
    assert_eq!(lines(a, "2024-08")[0], line(WANG, "2024-08", "正常", "8889.17"));
    assert!(lines(a, "2025-01").iter().all(|l| l.0 != WANG));

    // B's roster without the 迁入 columns would pay 王迁 for August: the database refuses the draft, naming county A
    // and its batch, and nothing is written.
    let forced: String =
        ROSTER_B.lines().map(|l| l.splitn(9, ',').take(8).collect::<Vec<_>>().join(",")).map(|l| l + "\n").collect();
    std::fs::write(b.join("forced.csv"), forced).unwrap();
    let r = youfu_pg(
        b,
        &["pay", "--month", "2024-08", "--roster", "forced.csv", "--standards", "standards.csv", "--out", "forced"],
    );
    assert_eq!(r.code, 7, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "错误：王迁（519902196001010014）的残疾抚恤金 2024-08 正常已由行政区划代码 110102 的 2024-08 发放批次（批次号 1）\
             确认发放，不能重复发放；台账 {}@{}:5432/{} 未作修改\n",
            pg::ROLE,
            db.socket_dir().display(),
            db.name
        )
    );
    assert!(!b.join("forced").exists());
    let batches = ok_pg(b, &["batches"]).stdout;
    assert!(!batches.contains("2024-08"), "B has no batch: {batches}");

    // With its real roster B pays nothing for 王迁 until January, and the database takes every batch.
    for (month, day) in MONTHS {
        let out = format!("out/{month}");
        ok_pg(b, &["pay", "--month", month, "--roster", "roster.csv", "--standards", "standards.csv", "--out", &out]);
        ok_pg(b, &["commit", "--month", month, "--pay-date", day]);
    }
    for (month, _) in &MONTHS[..5] {
        assert_eq!(lines(b, month), [line("440304198001010017", month, "正常", "8889.17")], "{month}");
        assert!(exceptions(b, month).contains(",迁入待接续,"), "{month}");
    }
    assert_eq!(lines(b, "2025-01")[0], line(WANG, "2025-01", "正常", "8889.17"));

    // explain in B: for a month A paid, A's committed line from the shared ledger (code, batch, amount, pay date).
    let explain = |dir: &Path, month: &str, json: bool| {
        let mut args =
            vec!["explain", "--id", WANG, "--month", month, "--roster", "roster.csv", "--standards", "standards.csv"];
        if json {
            args.push("--json");
        }
        ok_pg(dir, &args).stdout
    };
    let rule = "\x20 转移规则：迁出当年由迁出地发放，次年1月起由迁入地发放（伤残抚恤管理办法第二十三条）\n";
    assert!(
        explain(b, "2024-09", false).ends_with(&format!(
            "抚恤关系转移：2024-07 自示例甲县迁入\n{rule}\
             \x20 发放地：2024-12 及以前由原发放地（示例甲县）发放，2025-01 起由本县发放\n\
             \x20 本月（2024-09）由原发放地（示例甲县）发放\n\
             \x20 行政区划代码 110102 已发：2024-09 批次（批次号 2）残疾抚恤金 正常 8,889.17 元（发放日期 2024-09-13）\n"
        )),
        "{}",
        explain(b, "2024-09", false)
    );
    // With A named in B's [counties], by name; in JSON the same line.
    let toml = std::fs::read_to_string(b.join("youfu.toml")).unwrap();
    std::fs::write(b.join("youfu.toml"), format!("{toml}\n[counties]\n110102 = \"示例甲县\"\n")).unwrap();
    assert!(
        explain(b, "2024-09", false).ends_with(
            "\x20 示例甲县（110102）已发：2024-09 批次（批次号 2）残疾抚恤金 正常 8,889.17 元（发放日期 2024-09-13）\n"
        ),
        "{}",
        explain(b, "2024-09", false)
    );
    let v: serde_json::Value = serde_json::from_str(&explain(b, "2024-09", true)).unwrap();
    assert_eq!(
        v["transfer"]["other_counties"],
        serde_json::json!([{
            "county_code": "110102", "county": "示例甲县", "batch_month": "2024-09", "batch_id": 2,
            "item": "残疾抚恤金", "kind": "正常", "amount": "8889.17", "pay_date": "2024-09-13", "state": "已到账"
        }])
    );
    assert_eq!(v["transfer"]["unpaid_due"], serde_json::Value::Null);
    // July 2024: A's month under the rule, paid by nobody (A's ledger starts in August): who is due to pay.
    assert!(
        explain(b, "2024-07", false).ends_with(
            "\x20 本月（2024-07）由原发放地（示例甲县）发放\n\
             \x20 共用台账中尚无任何县（市、区）发放本月；按转移规则应由原发放地（示例甲县）发放\n"
        ),
        "{}",
        explain(b, "2024-07", false)
    );
    let v: serde_json::Value = serde_json::from_str(&explain(b, "2024-07", true)).unwrap();
    assert_eq!(
        (&v["transfer"]["other_counties"], &v["transfer"]["unpaid_due"]),
        (&serde_json::json!([]), &serde_json::json!("原发放地（示例甲县）"))
    );
    // February 2025: B's own month, not paid yet by anyone.
    assert!(
        explain(b, "2025-02", false).contains(
            "\x20 本月（2025-02）由本县发放\n\x20 共用台账中尚无任何县（市、区）发放本月；按转移规则应由本县发放\n"
        ),
        "{}",
        explain(b, "2025-02", false)
    );
    // explain in A for January 2025: B paid it (the 迁入地), B's line shown.
    let a_jan = explain(a, "2025-01", false);
    assert!(
        a_jan.contains(
            "\x20 本月（2025-01）由迁入地发放\n\
             \x20 行政区划代码 110105 已发：2025-01 批次（批次号 13）残疾抚恤金 正常 8,889.17 元（发放日期 2025-01-15）\n"
        ),
        "{a_jan}"
    );
}

/// The lines of an output folder's payments.csv as (身份证号, 所属期, 类型, 金额).
fn lines_in(out: &Path) -> Vec<(String, String, String, String)> {
    let mut rdr = csv::Reader::from_path(out.join("payments.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].trim_start_matches('\u{feff}').into(), r[4].into(), r[5].into(), r[6].into())
        })
        .collect()
}
