//! 每月20日前: the deadline command, pay dates checked before paying and at commit, and the audit of paid months.

mod common;
use common::*;
use std::path::Path;

// Each story on both backends: `sqlite::…` and `postgresql::…`.
both_ledgers!(
    a_late_pay_date_needs_a_reason_and_the_audit_counts_it,
    six_months_audited_one_late_one_short_one_missing
);

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr))
}

#[test]
fn deadlines_from_the_holiday_notices() {
    let dir = tempfile::tempdir().unwrap();
    // 2024-10-20 is a Sunday → Friday the 18th; 2026-02-20 is inside the Spring Festival holiday (15th–23rd) and
    // Saturday the 14th is a 调休 working day → the 14th. Submit-by: two working days earlier.
    for (month, deadline, submit_by) in [
        ("2024-10", "2024-10-18", "2024-10-16"),
        ("2026-02", "2026-02-14", "2026-02-12"),
        ("2024-03", "2024-03-20", "2024-03-18"),
    ] {
        let r = youfu(dir.path(), &["deadline", "--month", month, "--today", "2024-01-02", "--json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v = json(&r);
        assert_eq!(
            (v["deadline"].as_str().unwrap(), v["submit_by"].as_str().unwrap()),
            (deadline, submit_by),
            "{month}"
        );
    }
    // From Thursday the 10th: the 11th, Saturday the 12th (a 调休 working day after National Day), 14th–18th = 7
    let r = youfu(dir.path(), &["deadline", "--month", "2024-10", "--today", "2024-10-10"]);
    assert_eq!(
        r.stdout,
        "所属期 2024-10：资金最迟到账日 2024-10-18（星期五），代发文件最迟报送银行日 2024-10-16（星期三，提前 2 个工作日）。\n\
         今天 2024-10-10，距到账截止日还有 7 个工作日，距报送截止日还有 5 个工作日。\n"
    );
    // 2024-02: the 20th is a Tuesday; two working days before it are Monday the 19th and Sunday the 18th, a 调休
    // working day after the Spring Festival: the date to submit by says so. A pay date on the deadline itself is
    // on time on the day, not "0 working days early".
    let r = youfu(dir.path(), &["deadline", "--month", "2024-02", "--today", "2024-02-01", "--pay-date", "2024-02-20"]);
    assert_eq!(
        r.stdout,
        "所属期 2024-02：资金最迟到账日 2024-02-20（星期二），代发文件最迟报送银行日 2024-02-18（星期日，调休上班，提前 2 个工作日）。\n\
         今天 2024-02-01，距到账截止日还有 10 个工作日，距报送截止日还有 8 个工作日。\n\
         发放日期 2024-02-20 按期（截止日当天）。\n"
    );
    // 2026-02: the deadline is Saturday the 14th, itself a 调休 working day.
    let r = youfu(dir.path(), &["deadline", "--month", "2026-02", "--today", "2026-02-02"]);
    assert!(r.stdout.starts_with("所属期 2026-02：资金最迟到账日 2026-02-14（星期六，调休上班），"), "{}", r.stdout);
}

#[test]
fn timeliness_reads_as_a_person_says_it() {
    use youfu::calendar::Timeliness;
    assert_eq!(Timeliness::OnTime { spare_working_days: 0 }.label(), "按期（截止日当天）");
    assert_eq!(Timeliness::OnTime { spare_working_days: 3 }.label(), "按期（提前3个工作日）");
    assert_eq!(Timeliness::Late { working_days_late: 1 }.label(), "逾期1个工作日");
}

#[test]
fn exit_codes_for_cron() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let code = |args: &[&str]| youfu(d, args).code;
    assert_eq!(code(&["deadline", "--month", "2024-10", "--pay-date", "2024-10-18"]), 0);
    // Monday the 21st is one working day after Friday the 18th
    let late = youfu(d, &["deadline", "--month", "2024-10", "--pay-date", "2024-10-21", "--json"]);
    assert_eq!(late.code, 8);
    assert_eq!(json(&late)["timeliness"], serde_json::json!({"status": "late", "working_days_late": 1}));
    // two working days before submit-by (the 16th), not committed: a warning
    assert_eq!(code(&["deadline", "--month", "2024-10", "--today", "2024-10-14", "--warn-days", "2"]), 9);
    assert_eq!(code(&["deadline", "--month", "2024-10", "--today", "2024-10-08", "--warn-days", "2"]), 0);
    // past the deadline with nothing committed: late
    assert_eq!(code(&["deadline", "--month", "2024-10", "--today", "2024-10-21"]), 8);
}

#[test]
fn a_year_without_a_calendar_is_refused_and_a_user_calendar_adds_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = youfu(d, &["deadline", "--month", "2031-05"]);
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr,
        "日历中没有2031年的节假日安排。请把《国务院办公厅关于2031年部分节假日安排的通知》全文保存为 2031年通知.txt，再运行 youfu calendar import 2031年通知.txt --out 日历2031.toml，并把 日历2031.toml 加入 youfu.toml 的 calendar_file，或使用 --weekends-only 仅按周末计算。 [CALENDAR_MISSING_YEAR]
共 1 个问题。
"
    );
    // Run from another folder with --config: the import command in the hint names that config, so it works
    // when copied (the config's calendar_file is where the import's output goes in).
    std::fs::create_dir(d.join("县局")).unwrap();
    std::fs::write(d.join("县局/youfu.toml"), "county = \"测试县\"\n").unwrap();
    let r = youfu(d, &["--config", "县局/youfu.toml", "deadline", "--month", "2031-05"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("再运行 youfu --config 县局/youfu.toml calendar import 2031年通知.txt --out 日历2031.toml，"),
        "{}",
        r.stderr
    );
    // A made-up 2031 arrangement: 2031-05-01..05 off, Sunday 2031-05-18 a 调休 working day... and the 20th a Tuesday
    std::fs::write(
        d.join("holidays-2031.toml"),
        "[2031]\nnotice = \"测试用安排（虚构）\"\nholidays = [2031-05-01, 2031-05-02, 2031-05-03, 2031-05-04, 2031-05-05]\nworkdays = []\n",
    )
    .unwrap();
    std::fs::write(d.join("youfu.toml"), "calendar_file = \"holidays-2031.toml\"\n").unwrap();
    let r = youfu(d, &["deadline", "--month", "2031-05", "--today", "2031-05-06", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["deadline"], "2031-05-20");
    // weekends only, explicitly: said in the output
    std::fs::remove_file(d.join("youfu.toml")).unwrap();
    let r = youfu(d, &["deadline", "--month", "2031-05", "--today", "2031-05-06", "--weekends-only"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with("注意：日历未覆盖所涉年份，本结果仅按周末计算（--weekends-only）。\n"),
        "{}",
        r.stdout
    );
}

fn pay(d: &Path, month: &str, roster: &str, extra: &[&str]) -> Run {
    let out = format!("out/{month}");
    let mut args = vec!["pay", "--month", month, "--roster", roster, "--standards", "standards.csv", "--out", &out];
    args.extend_from_slice(extra);
    youfu(d, &args)
}

fn a_late_pay_date_needs_a_reason_and_the_audit_counts_it() {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    // 2024-03-20 is a Wednesday: the 21st is late by one working day
    let r = pay(d, "2024-03", "roster.csv", &["--pay-date", "2024-03-21"]);
    assert_eq!(r.code, 8);
    assert_eq!(
        r.stderr,
        "错误：发放日期 2024-03-21 晚于 2024-03 的到账截止日 2024-03-20（逾期 1 天，其中 1 个工作日）。如确需逾期发放，请加 --allow-late \"原因\"，原因将记入台账\n"
    );
    assert!(!d.join("out").exists() && !d.join("youfu.db").exists());
    init(d, &[]);
    let r = pay(d, "2024-03", "roster.csv", &["--pay-date", "2024-03-21", "--allow-late", "财政资金3月21日到位"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let manifest = std::fs::read_to_string(d.join("out/2024-03/manifest.json")).unwrap();
    assert!(manifest.contains("\"late_reason\": \"财政资金3月21日到位\""));
    // commit checks the same rule
    let r = youfu(d, &["commit", "--month", "2024-03", "--pay-date", "2024-03-21"]);
    assert_eq!(r.code, 8);
    let r =
        youfu(d, &["commit", "--month", "2024-03", "--pay-date", "2024-03-21", "--allow-late", "财政资金3月21日到位"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = youfu(d, &["audit", "--from", "2024-03", "--to", "2024-03", "--json"]);
    assert_eq!(a.code, 10);
    let v = json(&a);
    assert_eq!(v["months"][0]["timeliness"]["working_days_late"], 1);
    assert_eq!(v["months"][0]["late_reason"], "财政资金3月21日到位");
    assert_eq!((v["late"].as_u64(), v["short"].as_u64(), v["missing"].as_u64()), (Some(1), Some(0), Some(0)));
}

/// 武建 (fixtures row 6) has no account: a roster where he has one, as UTF-8 CSV from the GBK copy.
fn roster_with_all_accounts(d: &Path) {
    let bytes = std::fs::read(fixtures().join("roster-gbk.csv")).unwrap();
    let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
    assert!(!bad);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let col = rows.iter().find_map(|r| r.iter().position(|c| c == "银行账号")).unwrap();
    let mut w = csv::Writer::from_path(d.join("roster-full.csv")).unwrap();
    for r in rows {
        let mut v: Vec<String> = r.iter().map(String::from).collect();
        if v.iter().any(|c| c == "519909196111088853") {
            assert_eq!(v[col], "");
            v[col] = "6217000000000000004".into();
        }
        w.write_record(&v).unwrap();
    }
    w.flush().unwrap();
}

fn six_months_audited_one_late_one_short_one_missing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["roster.xlsx", "standards.csv", "youfu.toml"] {
        std::fs::copy(fixtures().join(name), d.join(name)).unwrap();
    }
    init(d, &[]);
    roster_with_all_accounts(d);
    // January on time; February late (2024-02-20 is the deadline; the 21st is one working day late);
    // March short (the original roster: 武建 has no account); April never paid; May and June on time.
    let plan: [(&str, &str, &str, Option<&str>); 5] = [
        ("2024-01", "roster-full.csv", "2024-01-15", None),
        ("2024-02", "roster-full.csv", "2024-02-21", Some("春节后资金晚到")),
        ("2024-03", "roster.xlsx", "2024-03-15", None),
        ("2024-05", "roster-full.csv", "2024-05-17", None),
        ("2024-06", "roster-full.csv", "2024-06-19", None),
    ];
    for (month, roster, pay_date, late) in plan {
        let r = pay(d, month, roster, &[]);
        assert_eq!(r.code, 0, "{month}: {}", r.stderr);
        let mut args = vec!["commit", "--month", month, "--pay-date", pay_date];
        if let Some(reason) = late {
            args.extend(["--allow-late", reason]);
        }
        let r = youfu(d, &args);
        assert_eq!(r.code, 0, "{month}: {}", r.stderr);
    }
    let a = youfu(d, &["audit", "--from", "2024-01", "--to", "2024-06", "--xlsx", "audit.xlsx"]);
    assert_eq!(a.code, 10, "{}", a.stderr);
    // Named: both backends compare with the one snapshot (an unnamed second assertion would be "-2").
    insta::assert_snapshot!("six_months_audited_one_late_one_short_one_missing", a.stdout);
    let v = json(&youfu(d, &["audit", "--from", "2024-01", "--to", "2024-06", "--json"]));
    let flags: Vec<(String, bool, bool, bool)> = v["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_string(),
                m["timeliness"]["status"] == "late",
                m["full"] == false,
                m["status"] == "missing",
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("2024-01".to_string(), false, false, false),
            ("2024-02".to_string(), true, false, false),
            ("2024-03".to_string(), false, true, false),
            ("2024-04".to_string(), false, false, true),
            ("2024-05".to_string(), false, false, false),
            ("2024-06".to_string(), false, false, false),
        ]
    );
    // 武建's March: 29660/12 = 2471.67 + 100.00 = 2571.67 short
    assert_eq!(v["months"][2]["shortfall"], "2571.67");
    assert!(d.join("audit.xlsx").exists());
}
