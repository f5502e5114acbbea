//! A 市's or 省's bureau on the shared PostgreSQL ledger, with its own youfu.toml (`county_code` 110100 or 110000, no
//! batches of its own): report, audit and batches read the counties under its code by default; a `--county`
//! outside it is refused naming both codes; every command that writes refuses with exit 4 and writes nothing; a
//! month one county has not committed is named (county and month) in the report's 注 and the audit's total line.
//!
//! The story: 东城区 (110101) and 西城区 (110102) of the city 110100, and 和平区 (120101) of another province, each
//! pay and commit January–March 2024 — except 西城区, which has paid March (a draft) but not committed it.

mod common;
use common::*;

/// 西城区's roster: 王五 残疾军人 一级 因战 (106670 元/年 → 8,889.17 a month).
const ROSTER_WEST: &str = "\
姓名,身份证号,类别,等级,性质,城乡,乡镇,银行账号
王五,110102197001010012,残疾军人,一级,因战,城镇,德胜街道,6217000000000000012
";

/// 和平区's roster: 赵六 烈士遗属 (27980 元/年 → 2,331.67 a month).
const ROSTER_TIANJIN: &str = "\
姓名,身份证号,类别,等级,性质,城乡,乡镇,银行账号
赵六,120101196505050027,烈士遗属,,,农村,劝业场街道,79927398713
";

const PAY: [(&str, &str); 3] = [("2024-01", "2024-01-15"), ("2024-02", "2024-02-07"), ("2024-03", "2024-03-15")];

/// A county's office on the shared ledger: roster, standards, youfu.toml, `init`; then pay and commit each month
/// of `PAY` (the last one only paid when `commit_last` is false).
fn county(url: &str, name: &str, code: &str, roster: &str, commit_last: bool) -> tempfile::TempDir {
    let dir = workdir(roster, STANDARDS);
    let d = dir.path();
    std::fs::write(
        d.join("youfu.toml"),
        format!("county = \"{name}\"\ncounty_code = \"{code}\"\nledger = \"{url}\"\n"),
    )
    .unwrap();
    ok_pg(d, &["init"]);
    for (i, (month, day)) in PAY.iter().enumerate() {
        let out = format!("out/{month}");
        ok_pg(d, &["pay", "--month", month, "--roster", "roster.csv", "--standards", "standards.csv", "--out", &out]);
        if commit_last || i + 1 < PAY.len() {
            ok_pg(d, &["commit", "--month", month, "--pay-date", day]);
        }
    }
    dir
}

/// The bureau's folder: a youfu.toml with its own code, the shared ledger and the names of its counties.
fn bureau(url: &str, name: &str, code: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("youfu.toml"),
        format!(
            "county = \"{name}\"\nunit = \"{name}退役军人事务局\"\ncounty_code = \"{code}\"\nledger = \"{url}\"\n\n\
             [counties]\n110101 = \"东城区\"\n110102 = \"西城区\"\n"
        ),
    )
    .unwrap();
    dir
}

/// The first columns (county, month, status) of each line of `batches`' table.
fn batch_rows(stdout: &str) -> Vec<String> {
    stdout.lines().skip(1).map(|l| l.split('\t').take(3).collect::<Vec<_>>().join(" ")).collect()
}

#[test]
fn a_city_bureau_reads_its_counties_and_writes_nothing() {
    let db = pg::shared().fresh_db("city");
    let url = db.url_without_password();
    let _east = county(&url, "东城区", "110101", ROSTER, true);
    let _west = county(&url, "西城区", "110102", ROSTER_WEST, false);
    let _tianjin = county(&url, "和平区", "120101", ROSTER_TIANJIN, true);
    let city = bureau(&url, "北京市", "110100");
    let c = city.path();

    // batches: the two counties under 1101, by default and with --all-counties; not 和平区 (120101).
    let plain = ok_pg(c, &["batches"]);
    assert_eq!(
        batch_rows(&plain.stdout),
        [
            "东城区 2024-01 已确认发放",
            "东城区 2024-02 已确认发放",
            "东城区 2024-03 已确认发放",
            "西城区 2024-01 已确认发放",
            "西城区 2024-02 已确认发放",
            "西城区 2024-03 草稿",
        ]
    );
    assert_eq!(ok_pg(c, &["batches", "--all-counties"]).stdout, plain.stdout);
    let one = ok_pg(c, &["batches", "--county", "110102"]);
    assert_eq!(one.stdout.lines().nth(1).unwrap().split('\t').take(2).collect::<Vec<_>>(), ["2024-01", "已确认发放"]);

    // audit: 西城区's March is missing, named in the total line (text) and in missing_by_county (JSON).
    let r = youfu_pg(c, &["audit", "--from", "2024-01", "--to", "2024-03"]);
    assert_eq!(r.code, 10, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("西城区\t2024-03\t—\t2024-03-20\t缺少\t—\t只有草稿，尚未确认发放\n"), "{}", r.stdout);
    assert_eq!(
        r.stdout.lines().last().unwrap(),
        "合计2 个县（市、区） 6 个月：逾期 0 个月，未足额 0 个月，缺少 1 个月（未确认发放：西城区（110102） 2024-03）。"
    );
    let r = youfu_pg(c, &["audit", "--from", "2024-01", "--to", "2024-03", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["missing_by_county"],
        serde_json::json!([{"county_code": "110102", "county": "西城区", "months": ["2024-03"]}])
    );

    // report: the city template over the two counties; its 注 names 西城区 and March.
    let r = youfu_pg(c, &["report", "--period", "2024Q1", "--out", "市2024Q1.docx"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = youfu_pg(c, &["report", "--period", "2024Q1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("1-3月全市2个县（市、区）共审核发放"), "{}", r.stdout);
    assert!(
        r.stdout.ends_with(
            "注：以下县（市、区）本期有月份在台账中没有已确认的发放：西城区（110102）2024年3月。\
             本文各项数字只统计各县（市、区）已确认发放的批次，不含上述县（市、区）的这些月份。\n"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains(
        "提示：以下县（市、区）本期有月份在台账中没有已确认的发放（未 commit）：西城区（110102）2024年3月；"
    ));
    // 东城区 3 × (8,889.17 + 2,331.67) = 33,662.52; 西城区 2 × 8,889.17 = 17,778.34 (March not committed).
    assert!(r.stdout.contains("东城区\t残疾军人\t1\t26,667.51\n"), "{}", r.stdout);
    assert!(r.stdout.contains("\t总计\t3\t51,440.86\n"), "{}", r.stdout);
    assert_eq!(ok_pg(c, &["report", "--period", "2024Q1", "--all-counties"]).stdout, r.stdout);
    // One county asked for: still the city's report (全市, the city template), its missing March named.
    let r = ok_pg(c, &["report", "--period", "2024Q1", "--county", "110102"]);
    assert!(r.stdout.starts_with("北京市退役军人事务局2024年第一季度工作总结（优抚部分）\n"), "{}", r.stdout);
    assert!(r.stdout.contains("1-3月全市共审核发放各类优抚资金1.7万多元"), "{}", r.stdout);
    assert!(r.stdout.ends_with("西城区（110102）2024年3月。本文各项数字只统计各县（市、区）已确认发放的批次，不含上述县（市、区）的这些月份。\n"), "{}", r.stdout);

    // A county outside the city: refused, naming both codes; nothing written.
    let outside = "错误：--county 120101 不在本市（北京市，110100）之下：youfu.toml 的 county_code = \"110100\" 只能统计\
                   行政区划代码以 1101 开头的县（市、区）。请去掉 120101，或用该地的配置（--config）\n";
    for args in [
        &["batches", "--county", "110101,120101"][..],
        &["audit", "--from", "2024-01", "--to", "2024-03", "--county", "120101"],
        &["report", "--period", "2024Q1", "--county", "120101", "--out", "津.md"],
    ] {
        let r = youfu_pg(c, args);
        assert_eq!((r.code, r.stderr.as_str(), r.stdout.as_str()), (2, outside, ""), "{args:?}");
    }
    assert!(!c.join("津.md").exists());

    // history and explain of a person: the lines of the county that paid them (西城区's January and February; March
    // is a draft, not paid).
    let r = ok_pg(c, &["history", "--id", "110102197001010012"]);
    let rows: Vec<String> =
        r.stdout.lines().skip(1).map(|l| l.split('\t').take(6).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(
        rows,
        [
            "县（市、区） 发放月份 所属期 项目 类型 金额",
            "西城区 2024-01 2024-01 残疾抚恤金 正常 8,889.17",
            "西城区 2024-02 2024-02 残疾抚恤金 正常 8,889.17",
        ],
        "{}",
        r.stdout
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok_pg(c, &["history", "--id", "110102197001010012", "--json"]).stdout).unwrap();
    assert_eq!((&v["lines"][1]["county_code"], &v["lines"][1]["county"]), (&"110102".into(), &"西城区".into()));
    std::fs::write(c.join("roster.csv"), ROSTER_WEST).unwrap();
    std::fs::write(c.join("standards.csv"), STANDARDS).unwrap();
    let explain = |month: &str| {
        let args = [
            "explain",
            "--id",
            "110102197001010012",
            "--month",
            month,
            "--roster",
            "roster.csv",
            "--standards",
            "standards.csv",
        ];
        ok_pg(c, &args).stdout
    };
    let feb = explain("2024-02");
    assert!(feb.contains("  台账已发：2024-02 批次 正常 8,889.17 元（发放日期 2024-02-07；"), "{feb}");
    assert!(feb.contains("（已足额）"), "{feb}");
    assert!(explain("2024-03").contains("  台账已发：无\n"), "{}", explain("2024-03"));

    // A province's bureau (110000) sees every county of 11, still not 120101.
    let province = bureau(&url, "北京", "110000");
    let rows = batch_rows(&ok_pg(province.path(), &["batches"]).stdout);
    assert_eq!((rows.len(), rows.iter().all(|r| r.starts_with("东城区") || r.starts_with("西城区"))), (6, true));
}

#[test]
fn a_city_bureau_cannot_pay_commit_or_change_the_ledger() {
    let db = pg::shared().fresh_db("citywrite");
    let url = db.url_without_password();
    let west = county(&url, "西城区", "110102", ROSTER_WEST, false);
    let city = bureau(&url, "北京市", "110100");
    let c = city.path();
    std::fs::write(c.join("roster.csv"), ROSTER_WEST).unwrap();
    std::fs::write(c.join("standards.csv"), STANDARDS).unwrap();
    std::fs::write(c.join("回盘.csv"), "序号,状态\n1,退回\n").unwrap();
    let before = entries(c);
    let batches_before = ok_pg(west.path(), &["batches"]).stdout;
    let config = c.join("youfu.toml").display().to_string();
    for (command, args) in [
        (
            "pay",
            &["pay", "--month", "2024-04", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "out"][..],
        ),
        ("commit", &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"]),
        ("bank-return", &["bank-return", "--month", "2024-02", "--file", "回盘.csv"]),
        ("ledger copy", &["ledger", "copy", "--from", &url, "--to", "copy.db"]),
        (
            "arrears",
            &[
                "arrears",
                "--from",
                "2024-01",
                "--to",
                "2024-03",
                "--roster",
                "roster.csv",
                "--standards",
                "standards.csv",
            ],
        ),
        ("init", &["init"]),
    ] {
        let r = youfu_pg(c, args);
        let expected = format!(
            "错误：配置文件 {config} 中 county_code = \"110100\" 是地级（市、州、盟）的行政区划代码：市的配置只能查看和统计\
             共用台账中各县（市、区）的发放（report、audit、batches、explain、history），不能运行 {command}。\
             发放、确认发放、登记银行回盘、复制和新建台账由各县（市、区）用本县的配置运行：请用 --config 指定该县的 \
             youfu.toml，或把 county_code 改为本县（市、区）的 6 位代码（末两位不是 00，如 110101）。未写入任何内容。\n"
        );
        assert_eq!((r.code, r.stderr.as_str(), r.stdout.as_str()), (4, expected.as_str(), ""), "{args:?}");
    }
    // The JSON form of the refusal: the same message, kind config, exit 4.
    let r = youfu_pg(c, &["commit", "--month", "2024-03", "--pay-date", "2024-03-15", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((r.code, v["exit_code"].as_i64(), v["error"].as_str()), (4, Some(4), Some("config")), "{v}");
    assert!(v["message"].as_str().unwrap().ends_with("不能运行 commit。发放、确认发放、登记银行回盘、复制和新建台账由各县（市、区）用本县的配置运行：请用 --config 指定该县的 youfu.toml，或把 county_code 改为本县（市、区）的 6 位代码（末两位不是 00，如 110101）。未写入任何内容。"), "{v}");
    // Nothing written: no file in the bureau's folder, 西城区's batches as they were (March still a draft).
    assert_eq!(entries(c), before);
    assert_eq!(ok_pg(west.path(), &["batches"]).stdout, batches_before);
}
