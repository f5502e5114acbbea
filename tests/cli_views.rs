//! Commands a finance officer reads from: `standards`, a passing `check`, `history`, `batches`, and `commit`
//! refused with no draft or a second time.

mod common;
use common::*;

// Each story on both backends: `sqlite::…` and `postgresql::…`.
both_ledgers!(commit_needs_a_draft_and_happens_once, history_is_in_period_order);

#[test]
fn standards_in_force_change_with_the_date() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures().join("standards.csv");
    let f = f.to_str().unwrap();
    let line = |date: &str| {
        let r = youfu(dir.path(), &["standards", "--standards", f, "--date", date]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let first = r
            .stdout
            .lines()
            .find(|l| l.contains("残疾抚恤金") && l.contains("\t类别=残疾军人，等级=一级，性质=因战\t"))
            .unwrap()
            .to_string();
        (r.stdout.lines().next().unwrap().to_string(), first)
    };
    // The conditions in the file's column order (类别, 等级, 性质), not by name (性质, 等级, 类别).
    // 2023-07-31 is the last day of the 2022 version (106670), 2023-08-01 the first of the 2023 one (113070)
    let (head, row) = line("2023-07-31");
    assert!(head.starts_with("2023-07-31 有效的标准（共 "), "{head}");
    assert!(row.contains("\t106,670.00\t元/年\t2022-08-01\t2023-07-31\t"), "{row}");
    let (_, row) = line("2023-08-01");
    assert!(row.contains("\t113,070.00\t元/年\t2023-08-01\t—\t"), "{row}");
    let r = youfu(dir.path(), &["standards", "--standards", f, "--date", "2023-02-30"]);
    assert_eq!((r.code, r.stderr.as_str()), (2, "错误：日期“2023-02-30”无效，应写作 YYYY-MM-DD（如 2024-03-01）\n"));
}

#[test]
fn a_passing_check_says_what_the_month_pays() {
    let dir = workdir(ROSTER, STANDARDS);
    let r =
        youfu(dir.path(), &["check", "--roster", "roster.csv", "--standards", "standards.csv", "--month", "2024-03"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 8889.17 + 2331.67 = 11220.84
    assert_eq!(
        r.stdout,
        "检查通过：花名册 2 行，标准 2 条；2024-03 应发 2 人 2 笔，合计 11,220.84 元；未发放 0 人次（原因见 pay 输出的异常清单）。check 不读台账：补发、重发和已发过的丧葬补助只在 pay 中计入，两者的人数、笔数可能不同。\n"
    );
    assert!(!dir.path().join("youfu.db").exists(), "check records nothing");
}

fn commit_needs_a_draft_and_happens_once() {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    let pay = ["pay", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "out"];
    init(d, &[]);
    assert_eq!(youfu(d, &pay).code, 0);
    let r = youfu(d, &["commit", "--month", "2024-04", "--pay-date", "2024-04-15"]);
    assert_eq!(r.code, 7);
    // The ledger named by the youfu.toml that init wrote in d: the file found beside it, by its absolute path; on
    // PostgreSQL the server's database, never the password.
    assert_eq!(
        r.stderr,
        format!(
            "错误：台账 {} 中没有 2024-04 的发放草稿：请先用 youfu pay 计算 2024-04 的发放，银行代发完成后再确认\n",
            ledger_in(d).shown()
        )
    );
    assert_eq!(youfu(d, &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"]).code, 0);
    let again = youfu(d, &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    assert_eq!(again.code, 6);
    assert!(again.stderr.starts_with("错误：2024-03 已于 "), "{}", again.stderr);
    assert!(
        again.stderr.contains("确认发放（发放日期 2024-03-15），合计 11,220.84 元；不能重复发放。"),
        "{}",
        again.stderr
    );

    // what the ledger now shows
    let b = youfu(d, &["batches"]);
    assert_eq!(b.code, 0);
    let row = b.stdout.lines().nth(1).unwrap();
    assert!(row.starts_with("2024-03\t已确认发放\t2\t11,220.84\t—\t11,220.84\t2024-03-15\t"), "{row}");
    // Times for people in 北京时间, whatever this machine's zone; --json keeps them as recorded, with the offset.
    assert!(b.stdout.starts_with(
        "月份\t状态\t笔数\t合计（元）\t退回（元）\t到账（元）\t发放日期\t生成时间（北京时间）\t确认时间（北京时间）\t"
    ));
    let json: serde_json::Value = serde_json::from_str(&youfu(d, &["batches", "--json"]).stdout).unwrap();
    let recorded = json["batches"][0]["committed_at"].as_str().unwrap();
    let shown = youfu::domain::beijing::beijing_time(recorded);
    assert!(row.contains(&format!("\t{}\t", shown.trim_end_matches("（北京时间）"))), "{row} / {recorded}");
    assert!(again.stderr.contains(&format!("已于 {shown} 确认发放")), "{}", again.stderr);
    assert!(recorded.len() == 25 && recorded.contains('T'), "{recorded}");
    let h = youfu(d, &["history", "--id", "440304198001010017"]);
    assert_eq!(h.code, 0);
    assert_eq!(
        h.stdout.lines().collect::<Vec<_>>(),
        [
            "张三（440304198001010017）已确认发放记录 1 笔，合计 8,889.17 元：",
            "发放月份\t所属期\t项目\t类型\t金额\t发放日期\t状态\t依据",
            "2024-03\t2024-03\t残疾抚恤金\t正常\t8,889.17\t2024-03-15\t已到账\t示例文件一",
        ]
    );
}

/// `history` lists a person's lines in 所属期 order: a 补发 for March paid in April's batch comes right after
/// March's own line, before April's.
fn history_is_in_period_order() {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    init(d, &[]);
    let pay = |month: &str| {
        let r = youfu(
            d,
            &["pay", "--month", month, "--roster", "roster.csv", "--standards", "standards.csv", "--out", month],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = youfu(d, &["commit", "--month", month, "--pay-date", &format!("{month}-15")]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    pay("2024-03");
    // A raise from 2024-03-01, known only in April: (113070 − 106670) / 12 = 533.33 补发 for March.
    std::fs::write(
        d.join("standards.csv"),
        format!("{STANDARDS}残疾抚恤金,残疾军人,一级,因战,113070,元/年,2024-03-01,示例文件三\n"),
    )
    .unwrap();
    pay("2024-04");
    let h = youfu(d, &["history", "--id", "440304198001010017"]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    let rows: Vec<&str> = h.stdout.lines().skip(2).map(|l| l.rsplit_once('\t').unwrap().0).collect();
    assert_eq!(
        rows,
        [
            "2024-03\t2024-03\t残疾抚恤金\t正常\t8,889.17\t2024-03-15\t已到账",
            "2024-04\t2024-03\t残疾抚恤金\t补发\t533.33\t2024-04-15\t已到账",
            "2024-04\t2024-04\t残疾抚恤金\t正常\t9,422.50\t2024-04-15\t已到账",
        ]
    );
}

#[test]
fn the_command_line_speaks_chinese_in_help_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let r = youfu(dir.path(), &["pay", "--mnth", "2024-03"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "没有 --mnth 这个选项。是否想用 --month？\n用法：youfu pay --month <YYYY-MM> --roster <FILE> --standards <FILE> --out <DIR>\n查看全部选项，请运行：youfu pay --help\n"
    );
    let r = youfu(dir.path(), &["help", "commit"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\n用法：youfu commit [选项] --month <YYYY-MM> "), "{}", r.stdout);
    assert!(r.stdout.contains("\n选项：\n") && r.stdout.contains("  -h, --help"), "{}", r.stdout);
    assert!(!r.stdout.contains("Print help") && !r.stdout.contains("Usage"), "{}", r.stdout);
    assert_eq!(youfu(dir.path(), &["commit", "--help"]).stdout, r.stdout);
}
