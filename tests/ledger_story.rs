//! The ledger over several months on the fixtures: the late standard raise paid as 补发, never paying a month
//! twice, 丧葬补助 once, 年度确认 suspension, and `explain` — each the way a finance officer would run it.

mod common;
use common::*;
use std::path::Path;

// Each story on both backends: `sqlite::…` and `postgresql::…`.
both_ledgers!(
    a_raise_announced_in_november_is_paid_as_arrears_once,
    a_death_pays_the_month_then_one_funeral_grant,
    unconfirmed_is_suspended_and_not_paid_back_unless_configured,
    explain_a_disabled_veteran_in_an_arrears_month
);

/// A work folder with copies of the fixtures (so paths in outputs are relative) and `old.csv`: the standards
/// as they stood before the 2023 raise was announced (the 2022 rows, open-ended).
fn office() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    for name in ["roster.xlsx", "standards.csv", "youfu.toml"] {
        std::fs::copy(f.join(name), dir.path().join(name)).unwrap();
    }
    let text = std::fs::read_to_string(f.join("standards.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = rdr.headers().unwrap().clone();
    let (start, end) =
        (header.iter().position(|h| h == "起始日期").unwrap(), header.iter().position(|h| h == "终止日期").unwrap());
    let mut w = csv::Writer::from_path(dir.path().join("old.csv")).unwrap();
    w.write_record(&header).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if &rec[start] == "2023-08-01" {
            continue;
        }
        let row: Vec<&str> = rec.iter().enumerate().map(|(i, v)| if i == end { "" } else { v }).collect();
        w.write_record(row).unwrap();
    }
    w.flush().unwrap();
    init(dir.path(), &[]);
    dir
}

fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = youfu(dir, args);
    assert_eq!(r.code, 0, "youfu {args:?}\n{}", r.stderr);
    r
}

fn pay(dir: &Path, month: &str, roster: &str, standards: &str) -> Run {
    let out = format!("out/{month}");
    ok(dir, &["pay", "--month", month, "--roster", roster, "--standards", standards, "--out", &out])
}

fn commit(dir: &Path, month: &str, day: &str) -> Run {
    ok(dir, &["commit", "--month", month, "--pay-date", &format!("{month}-{day}")])
}

/// (身份证号, 项目, 所属期, 类型) → 金额 from a payments.csv.
fn payments(path: &Path) -> Vec<(String, String, String, String, String)> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].trim_start_matches('\u{feff}').into(), r[3].into(), r[4].into(), r[5].into(), r[6].into())
        })
        .collect()
}

fn cents(s: &str) -> i64 {
    youfu::domain::money::to_fen(s.parse().unwrap()).unwrap()
}

/// 梁学: 残疾军人 一级 因战 with 护理费 (fixtures/NOTES.md row 46).
const LIANG: &str = "519902195812281614";
/// 武建: 烈士遗属 with no bank account (row 6): never paid, so always owed.
const WU: &str = "519909196111088853";

fn a_raise_announced_in_november_is_paid_as_arrears_once() {
    let dir = office();
    let d = dir.path();
    for (m, day) in [("2023-08", "15"), ("2023-09", "15"), ("2023-10", "13")] {
        pay(d, m, "roster.xlsx", "old.csv");
        commit(d, m, day);
    }
    // The 2023 notice arrives: rows effective 2023-08-01. November's batch:
    pay(d, "2023-11", "roster.xlsx", "standards.csv");
    let nov = payments(&d.join("out/2023-11/payments.csv"));
    // 梁学: 113070/12 = 9422.50 − 8889.17 = 533.33 and 护理费 61740/12 = 5145.00 − 4900.00 = 245.00, each month
    let liang: Vec<_> =
        nov.iter().filter(|p| p.0 == LIANG).map(|p| (p.1.as_str(), p.2.as_str(), p.3.as_str(), p.4.as_str())).collect();
    assert_eq!(
        liang,
        [
            ("残疾抚恤金", "2023-11", "正常", "9422.50"),
            ("护理费", "2023-11", "正常", "5145.00"),
            ("残疾抚恤金", "2023-08", "补发", "533.33"),
            ("护理费", "2023-08", "补发", "245.00"),
            ("残疾抚恤金", "2023-09", "补发", "533.33"),
            ("护理费", "2023-09", "补发", "245.00"),
            ("残疾抚恤金", "2023-10", "补发", "533.33"),
            ("护理费", "2023-10", "补发", "245.00"),
        ]
    );
    // Every 补发 line is exactly (the month under the new standards) − (what that month's batch paid): work the
    // new amounts out independently, with a throw-away ledger.
    for m in ["2023-08", "2023-09", "2023-10"] {
        init(d, &["--ledger", "scratch.db"]);
        let fresh = format!("new-{m}");
        ok(
            d,
            &[
                "--ledger",
                "scratch.db",
                "pay",
                "--month",
                m,
                "--roster",
                "roster.xlsx",
                "--standards",
                "standards.csv",
                "--out",
                &fresh,
            ],
        );
        std::fs::remove_file(d.join("scratch.db")).unwrap();
        let new = payments(&d.join(&fresh).join("payments.csv"));
        let old = payments(&d.join("out").join(m).join("payments.csv"));
        let amount = |set: &[(String, String, String, String, String)], id: &str, item: &str| {
            set.iter().find(|p| p.0 == id && p.1 == item).map(|p| cents(&p.4)).unwrap_or(0)
        };
        let mut expected: Vec<(String, String, i64)> = new
            .iter()
            .map(|p| (p.0.clone(), p.1.clone(), cents(&p.4) - amount(&old, &p.0, &p.1)))
            .filter(|e| e.2 > 0)
            .collect();
        // 武建 had no account in any batch: the whole month is owed, but he still cannot be paid (no account)
        expected.retain(|e| e.0 != WU);
        expected.sort();
        let mut got: Vec<(String, String, i64)> =
            nov.iter().filter(|p| p.2 == m && p.3 == "补发").map(|p| (p.0.clone(), p.1.clone(), cents(&p.4))).collect();
        got.sort();
        assert!(!got.is_empty());
        assert_eq!(got, expected, "补发 for {m}");
    }
    commit(d, "2023-11", "14");

    // November again: refused with its own exit code, saying when and with what total.
    let again = youfu(
        d,
        &["pay", "--month", "2023-11", "--roster", "roster.xlsx", "--standards", "standards.csv", "--out", "out/again"],
    );
    assert_eq!(again.code, 6);
    assert!(!d.join("out/again").exists());
    let total: i64 = nov.iter().map(|p| cents(&p.4)).sum();
    let total = youfu::report::filters::yuan(youfu::domain::money::from_fen(total), true);
    assert!(again.stderr.starts_with("错误：2023-11 已于 "), "{}", again.stderr);
    assert!(
        again.stderr.contains(&format!("确认发放（发放日期 2023-11-14），合计 {total} 元；不能重复发放。")),
        "{}",
        again.stderr
    );

    // Afterwards nothing is owed for August–October but 武建's months, which never had an account to pay into.
    let preview = ok(
        d,
        &[
            "arrears",
            "--from",
            "2023-08",
            "--to",
            "2023-10",
            "--roster",
            "roster.xlsx",
            "--standards",
            "standards.csv",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&preview.stdout).unwrap();
    let ids: std::collections::BTreeSet<&str> =
        v["arrears"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), [WU]);
    assert_eq!(v["recoveries"].as_array().unwrap().len(), 0);
    // 29660/12 = 2471.67 + 100.00, three months: 7715.01
    assert_eq!(v["arrears_total"], "7715.01");
}

/// 高才民: 残疾军人 五级 因战, died 2024-03-05 (row 11).
const GAO: &str = "519906194609179375";

fn a_death_pays_the_month_then_one_funeral_grant() {
    let dir = office();
    let d = dir.path();
    pay(d, "2024-03", "roster.xlsx", "standards.csv");
    let mar = payments(&d.join("out/2024-03/payments.csv"));
    assert_eq!(
        mar.iter().filter(|p| p.0 == GAO).map(|p| (p.3.as_str(), p.4.as_str())).collect::<Vec<_>>(),
        [("正常", "4789.17")]
    );
    commit(d, "2024-03", "15");
    pay(d, "2024-04", "roster.xlsx", "standards.csv");
    let apr = payments(&d.join("out/2024-04/payments.csv"));
    // 12 × 4789.17 (57470/12, the March amount) = 57470.04, once, 所属期 = the death month
    assert_eq!(
        apr.iter()
            .filter(|p| p.0 == GAO)
            .map(|p| (p.1.as_str(), p.2.as_str(), p.3.as_str(), p.4.as_str()))
            .collect::<Vec<_>>(),
        [("丧葬补助", "2024-03", "丧葬补助", "57470.04")]
    );
    let bank = std::fs::read_to_string(d.join("out/2024-04/bank.csv")).unwrap();
    assert!(bank.lines().any(|l| l.contains(GAO) && l.ends_with(",57470.04,2024-04优抚金（含丧葬补助）")), "{bank}");
    commit(d, "2024-04", "15");
    // explain agrees with the ledger: N × the death month's amount, and the 丧葬补助 the April batch paid (its
    // 所属期 is March), not "台账已发：无 … 应补发 57470.04".
    let args = ["--roster", "roster.xlsx", "--standards", "standards.csv"];
    let e = ok(d, &[&["explain", "--id", GAO, "--month", "2024-04"][..], &args].concat());
    let funeral: Vec<&str> = e.stdout.lines().skip_while(|l| *l != "项目：丧葬补助").collect();
    assert_eq!(
        funeral[2..5],
        [
            "  金额：57470 元/年",
            "  计算：12 × 4789.17（2024-03月发放额）= 57470.04（死亡当月发放额 × 月数）",
            "  本月应发：57,470.04 元",
        ]
    );
    assert_eq!(
        funeral[5..7],
        [
            "  台账已发：2024-04 批次 丧葬补助 57,470.04 元（发放日期 2024-04-15；12 × 4789.17（2024-03月发放额）= 57470.04）",
            "  核对：应发 57,470.04 − 已发 57,470.04 = 0.00（已足额）",
        ]
    );
    // 武建 has no account: not paid, but the formula is shown beside the reason (29660 / 12 + 100 = 2571.67).
    let e = ok(d, &[&["explain", "--id", WU, "--month", "2024-04"][..], &args].concat());
    assert!(e.stdout.contains("资格：缺少银行账号，"), "{}", e.stdout);
    assert!(
        e.stdout.contains(
            "  计算：29660 ÷ 12 = 2471.666666… → 2471.67（四舍五入到分）\n  本月应发：2,471.67 元\n  台账已发：无\n"
        ),
        "{}",
        e.stdout
    );
    pay(d, "2024-05", "roster.xlsx", "standards.csv");
    let may = payments(&d.join("out/2024-05/payments.csv"));
    assert!(may.iter().all(|p| p.0 != GAO));
}

/// 曾志武 (row 94): 参试退役人员, 年度确认日期 2022-11-15.
const ZENG: &str = "519946196111099634";

/// The roster as UTF-8 CSV (from the GBK copy), with 曾志武's 年度确认日期 replaced.
fn roster_with_confirmation(dir: &Path, name: &str, date: &str) {
    let bytes = std::fs::read(fixtures().join("roster-gbk.csv")).unwrap();
    let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
    assert!(!bad);
    let text: String = text
        .lines()
        .map(|l| if l.contains(ZENG) { l.replace("2022/11/15", date) } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\r\n");
    assert!(text.contains(date));
    std::fs::write(dir.join(name), text).unwrap();
}

fn unconfirmed_is_suspended_and_not_paid_back_unless_configured() {
    for back_pay in [false, true] {
        let dir = office();
        let d = dir.path();
        // Each year's window is the calendar year; 60 days' grace after it ends: the 2023 cycle's grace ends
        // 2024-02-29, so someone not confirmed during 2023 is suspended from 2024-03.
        let cfg = std::fs::read_to_string(d.join("youfu.toml")).unwrap();
        std::fs::write(
            d.join("youfu.toml"),
            format!("{cfg}\n[confirmation]\nwindow_start = \"01-01\"\nwindow_end = \"12-31\"\ngrace_days = 60\nback_pay = {back_pay}\n"),
        )
        .unwrap();
        roster_with_confirmation(d, "r1.csv", "2022/11/15");
        roster_with_confirmation(d, "r2.csv", "2024/4/10");
        pay(d, "2024-02", "r1.csv", "standards.csv");
        assert!(payments(&d.join("out/2024-02/payments.csv")).iter().any(|p| p.0 == ZENG));
        commit(d, "2024-02", "08");
        for m in ["2024-03", "2024-04"] {
            let roster = if m == "2024-03" { "r1.csv" } else { "r2.csv" };
            pay(d, m, roster, "standards.csv");
            assert!(payments(&d.join(format!("out/{m}/payments.csv"))).iter().all(|p| p.0 != ZENG), "{m}");
            let exc = std::fs::read_to_string(d.join(format!("out/{m}/exceptions.csv"))).unwrap();
            let line = exc.lines().find(|l| l.starts_with(ZENG)).unwrap();
            let expect = if m == "2024-03" {
                "未按期年度确认,未完成2023年度确认，自2024-03起暂停发放；确认后次月恢复,UNCONFIRMED"
            } else if back_pay {
                "" // with back-pay the late confirmation makes April payable: checked below
            } else {
                "未按期年度确认,2023年度确认逾期（2024-04-10确认），2024-03至2024-04暂停发放，次月恢复，暂停期间不予补发,UNCONFIRMED"
            };
            if !(back_pay && m == "2024-04") {
                assert!(line.contains(expect), "{m}: {line}");
            }
            commit(d, m, "15");
            if back_pay && m == "2024-03" {
                // re-confirmed in April with back-pay on: April is paid, March comes back as 补发
                pay(d, "2024-04", "r2.csv", "standards.csv");
                let apr = payments(&d.join("out/2024-04/payments.csv"));
                let zeng: Vec<_> = apr
                    .iter()
                    .filter(|p| p.0 == ZENG)
                    .map(|p| (p.1.as_str(), p.2.as_str(), p.3.as_str(), p.4.as_str()))
                    .collect();
                // 参试 683 元/月 and 县级优抚补贴 100 元/月
                assert_eq!(
                    zeng,
                    [
                        ("定期生活补助", "2024-04", "正常", "683.00"),
                        ("县级优抚补贴", "2024-04", "正常", "100.00"),
                        ("定期生活补助", "2024-03", "补发", "683.00"),
                        ("县级优抚补贴", "2024-03", "补发", "100.00"),
                    ]
                );
                commit(d, "2024-04", "15");
                break;
            }
        }
        if !back_pay {
            // May: paid again, and March–April are not paid back
            pay(d, "2024-05", "r2.csv", "standards.csv");
            let may = payments(&d.join("out/2024-05/payments.csv"));
            let zeng: Vec<_> = may.iter().filter(|p| p.0 == ZENG).map(|p| (p.2.as_str(), p.3.as_str())).collect();
            assert_eq!(zeng, [("2024-05", "正常"), ("2024-05", "正常")]);
        }
    }
}

fn explain_a_disabled_veteran_in_an_arrears_month() {
    let dir = office();
    let d = dir.path();
    pay(d, "2023-08", "roster.xlsx", "old.csv");
    commit(d, "2023-08", "15");
    pay(d, "2023-09", "roster.xlsx", "standards.csv");
    commit(d, "2023-09", "15");
    let r = ok(
        d,
        &["explain", "--id", LIANG, "--month", "2023-08", "--roster", "roster.xlsx", "--standards", "standards.csv"],
    );
    // Named: both backends compare with the one snapshot (an unnamed second assertion would be "-2").
    insta::assert_snapshot!("explain_a_disabled_veteran_in_an_arrears_month", r.stdout);
}
