//! `youfu report` end to end: six months paid and committed through the CLI on the fixtures, then the 半年 draft,
//! its sidecar, and the total reconciled with the ledger's committed batches to the 分.

mod common;
use common::*;

// Each story on both backends: `sqlite::…` and `postgresql::…`.
both_ledgers!(a_half_year_draft_reconciles_with_the_ledger, strict_refusal_speaks_of_no_draft);

fn a_half_year_draft_reconciles_with_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["roster.xlsx", "standards.csv", "youfu.toml"] {
        std::fs::copy(fixtures().join(name), d.join(name)).unwrap();
    }
    init(d, &[]);
    for m in 1..=6 {
        let month = format!("2024-{m:02}");
        let out = format!("out/{month}");
        let r = youfu(
            d,
            &["pay", "--month", &month, "--roster", "roster.xlsx", "--standards", "standards.csv", "--out", &out],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = youfu(d, &["commit", "--month", &month, "--pay-date", &format!("{month}-10")]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let batches: serde_json::Value = serde_json::from_str(&youfu(d, &["batches", "--json"]).stdout).unwrap();
    let ledger_fen: i64 = batches["batches"].as_array().unwrap().iter().map(|b| b["total_fen"].as_i64().unwrap()).sum();

    for (template, ext) in [("half", "md"), ("items", "txt"), ("annual", "docx")] {
        let out = format!("draft-{template}.{ext}");
        let r = youfu(d, &["report", "--period", "2024H1", "--template", template, "--out", &out, "--json"]);
        assert_eq!(r.code, 0, "{template}: {}", r.stderr);
        assert!(!r.stderr.contains("没有已确认的发放"), "{template}: every month of 2024H1 is committed: {}", r.stderr);
        assert!(d.join(&out).exists());
        let side: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join(format!("{out}.figures.json"))).unwrap()).unwrap();
        let text = side.to_string();
        // the sidecar's total is the ledger's committed total for 2024-01..2024-06
        let total = youfu::domain::money::format_yuan(youfu::domain::money::from_fen(ledger_fen));
        assert!(text.contains(&format!("\"{total}\"")), "{template}: total {total} not in the sidecar");
    }
    let md = std::fs::read_to_string(d.join("draft-half.md")).unwrap();
    // 1-6月 and the money in 万元 with one decimal: the ledger total / 10000
    let wan = youfu::report::filters::wan(youfu::domain::money::from_fen(ledger_fen), 1);
    assert!(md.contains("1-6月") && md.contains(&format!("{wan}元")), "{md}");

    // The year, of which only January–June are committed: said on stderr and in a 注 at the end of the draft, and
    // the on-time sentence counts the 6 committed months, not 12.
    let r = youfu(d, &["report", "--period", "2024", "--template", "annual"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "提示：2024年7—12月台账中没有已确认的发放（未 commit），报告只统计已确认发放的 6 个月，初稿末尾已加注说明。"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("；6个月抚恤金均在每月20日前发放到位；"), "{}", r.stdout);
    assert!(
        r.stdout.ends_with(
            "注：2024年7—12月台账中没有已确认的发放，本文各项数字只统计已确认发放的6个月（期间共12个月）。\n"
        ),
        "{}",
        r.stdout
    );
}

/// `--strict` with figures missing writes no draft, so its hints speak of none: no "已写作 X", no 注 "已加注说明"
/// (found walking the README: both were printed above the --strict refusal).
fn strict_refusal_speaks_of_no_draft() {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    init(d, &[]);
    let r = youfu(
        d,
        &["pay", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "out"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = youfu(d, &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = youfu(d, &["report", "--period", "2024H1", "--out", "draft.md", "--strict"]);
    assert_eq!(r.code, 11, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let metric = |name: &str| {
        format!(
            "  metrics[\"{name}\"]：来自指标表（--metrics FILE，列：指标、数值、单位）：未给出指标表；请在表中填写“{name}”的数值\n"
        )
    };
    let roster = |name: &str| format!("  confirmation.{name}：来自花名册的年度确认日期：请加 --roster 花名册文件\n");
    assert_eq!(
        r.stderr,
        format!(
            "提示：2024年1—2月、4—6月台账中没有已确认的发放（未 commit），报告只统计已确认发放的 1 个月。\n\
             错误：--strict：以下 7 个数缺失，未写出任何文件：\n{}{}{}{}{}{}{}\
             补齐后再运行，或去掉 --strict 生成带 X 的初稿。\n",
            roster("confirmed"),
            roster("rate"),
            roster("required"),
            metric("喜报份数"),
            metric("喜报慰问金"),
            metric("走访慰问人次"),
            metric("走访慰问金额"),
        )
    );
    assert!(!d.join("draft.md").exists());

    // An --out in a folder that does not exist: exit 5, why in Chinese (not the system's English words and the
    // temporary file's path).
    let r = youfu(d, &["report", "--period", "2024H1", "--out", "无此文件夹/draft.docx"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(
        r.stderr.lines().last(),
        Some("错误：写入 无此文件夹/draft.docx 失败：所在文件夹不存在，请先建立该文件夹或换一个路径"),
        "{}",
        r.stderr
    );
}
