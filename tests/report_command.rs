//! `youfu report` after the ledger read (`cli::report_command::run_with`): output files and the sidecar, the missing
//! figures and `--strict`, every refusal with its exact message, and `init-templates`.

use serde_json::Value;
use std::path::Path;
use youfu::cli::report_command::{Args, InitArgs, init_templates, missing_sources, run_with, sidecar_path};
use youfu::cli::{Failure, exit};
use youfu::config::Config;
use youfu::domain::{PaidLine, PaymentKind, YearMonth};
use youfu::report::{MonthStatus, Period};

fn ym(s: &str) -> YearMonth {
    s.parse().unwrap()
}

fn line(batch: &str, id: &str, item: &str, period: &str, kind: &str, fen: i64) -> PaidLine {
    PaidLine {
        line_id: 0,
        batch_id: 0,
        batch_month: ym(batch),
        id: id.into(),
        name: "示例".into(),
        category: "残疾军人".into(),
        town: "城关镇".into(),
        item: item.into(),
        period: ym(period),
        kind: PaymentKind::from_label(kind).unwrap(),
        amount_fen: fen,
        standard_row: None,
        basis: String::new(),
        formula: String::new(),
        pay_date: ym(batch).day(15),
        reissue_of: None,
        returned: None,
        reissued_in: None,
    }
}

/// Two people over 2024-01..2024-02, one 补发, and a July line outside 2024H1.
fn ledger() -> (Vec<PaidLine>, Vec<MonthStatus>) {
    let lines = vec![
        line("2024-01", "A", "残疾抚恤金", "2024-01", "正常", 942250), // 9422.50
        line("2024-01", "A", "护理费", "2024-01", "正常", 514500),     // 5145.00
        line("2024-01", "B", "残疾抚恤金", "2024-01", "正常", 88750),  // 887.50
        line("2024-02", "A", "残疾抚恤金", "2024-02", "正常", 942250),
        line("2024-02", "B", "残疾抚恤金", "2024-02", "正常", 88750),
        line("2024-02", "B", "残疾抚恤金", "2023-12", "补发", 10000), // 100.00
        line("2024-07", "A", "残疾抚恤金", "2024-07", "正常", 942250), // outside the period
    ];
    let months = ym("2024-01")
        .through(ym("2024-06"))
        .map(|m| MonthStatus { month: m, committed: m <= ym("2024-02"), on_time: (m <= ym("2024-02")).then_some(true) })
        .collect();
    (lines, months)
}

fn args(period: &str) -> Args {
    Args { period: Some(period.into()), ..Args::default() }
}

fn run(a: &Args) -> Result<i32, Failure> {
    run_with(a, &Config::default(), |_p: &Period| Ok(ledger()))
}

fn message(f: Failure) -> String {
    match f {
        Failure::Data(p) => p.to_string(),
        Failure::Config(m)
        | Failure::Io(m)
        | Failure::Usage(m)
        | Failure::Late(m)
        | Failure::NoLedger(m)
        | Failure::InputsChanged(m) => m,
        Failure::Ledger(e) => e.to_string(),
    }
}

/// A template naming one figure that exists, one the sheet lacks and one that is a typo.
/// The ledger has committed batches for January and February only: every draft of 2024H1 ends saying so.
const NOTE: &str = "注：2024年3—6月台账中没有已确认的发放，本文各项数字只统计已确认发放的2个月（期间共6个月）。";

const TEMPLATE: &str = "# 测试\n\n合计{{ totals.amount | yuan }}元，{{ totals.person_times }}人次，喜报{{ metrics[\"喜报份数\"] }}份，{{ totls.amount }}。\n";

#[test]
fn writes_the_draft_and_its_sidecar_in_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("t.md.tera");
    std::fs::write(&tpl, TEMPLATE).unwrap();
    for name in ["draft.md", "draft.txt", "draft.docx"] {
        let out = dir.path().join(name);
        let a = Args { template: Some(tpl.display().to_string()), out: Some(out.clone()), ..args("2024H1") };
        assert_eq!(run(&a).unwrap(), exit::OK, "{name}");
        let bytes = std::fs::read(&out).unwrap();
        // 9422.50 + 5145.00 + 887.50 + 9422.50 + 887.50 + 100.00 = 25865.00 (July's line is outside 2024H1);
        // 人次: (A,01) (B,01) (A,02) (B,02) = 4
        let expected = "合计25,865.00元，4人次，喜报X份，X。";
        match name {
            "draft.md" => assert_eq!(String::from_utf8(bytes).unwrap(), format!("# 测试\n\n{expected}\n\n{NOTE}\n")),
            "draft.txt" => assert_eq!(String::from_utf8(bytes).unwrap(), format!("测试\n\n{expected}\n{NOTE}\n")),
            _ => assert!(bytes.starts_with(b"PK\x03\x04")),
        }
        let side: Value = serde_json::from_slice(&std::fs::read(sidecar_path(&out)).unwrap()).unwrap();
        assert_eq!(side["total"], "25865.00");
        assert_eq!(side["missing"], serde_json::json!(["metrics[\"喜报份数\"]", "totls.amount"]));
        assert_eq!(side["used"], serde_json::json!(["totals.amount", "totals.person_times"]));
        let figs = side["figures"].as_array().unwrap();
        let total = figs.iter().find(|f| f["name"] == "totals.amount").unwrap();
        assert_eq!(total["used"], true);
        assert_eq!(total["value"], "25865.00");
        assert_eq!(
            total["how"],
            "台账中发放批次月份在 2024-01 至 2024-06 的已确认发放明细（正常 5 条、补发 1 条、丧葬补助 0 条、重发 0 条；银行退回的 0 条不计）共 6 条的金额合计（元，精确到分）"
        );
        let persons = figs.iter().find(|f| f["name"] == "totals.persons").unwrap();
        assert_eq!((persons["value"].as_u64(), persons["used"].as_bool()), (Some(2), Some(false)));
    }
    assert_eq!(sidecar_path(Path::new("a/draft.docx")), Path::new("a/draft.docx.figures.json"));
}

#[test]
fn strict_fails_with_code_11_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("t.md.tera");
    std::fs::write(&tpl, TEMPLATE).unwrap();
    let out = dir.path().join("draft.docx");
    let a = Args { template: Some(tpl.display().to_string()), out: Some(out.clone()), strict: true, ..args("2024H1") };
    assert_eq!(run(&a).unwrap(), exit::REPORT_MISSING);
    assert_eq!(exit::REPORT_MISSING, 11);
    assert!(!out.exists());
    assert!(!sidecar_path(&out).exists());

    // What --strict prints: where each missing figure comes from.
    let missing = ["metrics[\"喜报份数\"]".to_string(), "totls.amount".to_string(), "confirmation.rate".to_string()];
    assert_eq!(
        missing_sources(&missing, &a),
        [
            "metrics[\"喜报份数\"]：来自指标表（--metrics FILE，列：指标、数值、单位）：未给出指标表；请在表中填写“喜报份数”的数值",
            "totls.amount：不是 youfu 提供的数：请核对模板中的名字（可用的数见内置模板开头的说明，youfu init-templates 模板 可把它们复制到“模板”文件夹查看）",
            "confirmation.rate：来自花名册的年度确认日期：请加 --roster 花名册文件",
        ]
    );
    let with_sheet = Args { metrics: Some("指标.xlsx".into()), ..a.clone() };
    assert_eq!(
        missing_sources(&missing[..1], &with_sheet),
        [
            "metrics[\"喜报份数\"]：来自指标表：指标.xlsx 中没有“喜报份数”一行，或其数值为空或写作 X；请在该表的“指标”列写“喜报份数”并填上数值"
        ]
    );

    // With every figure present, --strict passes.
    std::fs::write(&tpl, "合计{{ totals.amount | wan }}元").unwrap();
    assert_eq!(run(&a).unwrap(), exit::OK);
    assert!(out.exists());
}

#[test]
fn built_in_templates_render_from_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // 25865.00 → 2.5865万 → 2.6万
        ("2024H1", None, "1-6月共为全县2名优抚对象发放各类优抚资金2.6万元，累计4人次，其中补发以前月份待遇0.01万元"),
        ("2024H1", Some("items"), "台账内各项合计25,865.00元"),
        // the year takes July's line too: 25865.00 + 9422.50 = 35287.50 → 3.5万多; July–December have no audit
        // answer, so the months paid on time are missing; of the 12, the 2 committed are counted
        ("2024", None, "审核发放各类优抚资金3.5万多元，惠及优抚对象2人、5人次，及时补发提标等待遇100元；2个月中X个月"),
        ("2024", None, "注：2024年3—6月台账中没有已确认的发放，本文各项数字只统计已确认发放的2个月（期间共12个月）。"),
    ];
    for (period, template, expected) in cases {
        let out = dir.path().join(format!("{period}-{}.md", template.unwrap_or("default")));
        let a = Args { template: template.map(String::from), out: Some(out.clone()), ..args(period) };
        assert_eq!(run(&a).unwrap(), exit::OK);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(expected), "{expected} not in {text}");
    }
}

#[test]
fn refusals_have_exact_messages() {
    let cases: Vec<(Args, &str, i32)> = vec![
        (Args::default(), "请用 --period 指定报告期间，如 --period 2024H1", exit::USAGE),
        (
            args("2024H3"),
            "报告期间“2024H3”无效：应写作 2024H1（上半年）、2024H2（下半年）、2024（全年）、2024Q3（第三季度）或 2024-01..2024-09（月份范围）",
            exit::USAGE,
        ),
        (
            Args { template: Some("weekly".into()), ..args("2024H1") },
            "找不到模板“weekly”：可用的模板有 half、items、annual、city，也可以给出模板文件的路径",
            exit::USAGE,
        ),
        (
            Args { out: Some("draft.pdf".into()), ..args("2024H1") },
            "输出文件 draft.pdf 的扩展名无法识别：应为 .md、.txt 或 .docx",
            exit::USAGE,
        ),
    ];
    for (a, expected, code) in cases {
        let f = run(&a).unwrap_err();
        assert_eq!(f.exit_code(), code, "{expected}");
        assert_eq!(message(f), expected);
    }
}

#[test]
fn bad_metrics_and_roster_are_reported_before_any_ledger_problem() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = dir.path().join("metrics.csv");
    std::fs::write(&metrics, "指标,数值,单位\n喜报份数,约200,份\n").unwrap();
    let roster = dir.path().join("nope.xlsx");
    let a = Args { metrics: Some(metrics.clone()), roster: Some(roster.clone()), ..args("2024H1") };
    // The ledger is counted while the roster is read; its own failure is not what the user is told first.
    let f = run_with(&a, &Config::default(), |_p: &Period| -> Result<_, Failure> {
        Err(Failure::Usage("台账出错".into()))
    })
    .unwrap_err();
    assert_eq!(f.exit_code(), exit::INVALID_DATA);
    assert_eq!(
        message(f),
        format!(
            "{}：找不到文件。请检查文件路径和文件名是否正确（包括扩展名 .xlsx、.xls、.csv）。 [FILE_NOT_FOUND]\n{} 第2行「数值」列：指标“喜报份数”的数值不是数字（值：“约200”）。请填写数字，如 212 或 14.06，单位写在「单位」列；尚未统计的请留空或写 X。 [METRIC_VALUE]",
            roster.display(),
            metrics.display()
        )
    );
}

#[test]
fn a_template_error_is_a_config_failure() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("bad.md.tera");
    std::fs::write(&tpl, "{{ totals.amount | wan(decimal=2) }}").unwrap();
    let a = Args { template: Some(tpl.display().to_string()), ..args("2024H1") };
    let f = run(&a).unwrap_err();
    assert_eq!(f.exit_code(), exit::CONFIG);
    let m = message(f);
    assert!(m.starts_with("模板“bad”无法生成："), "{m}");
    assert!(m.ends_with("过滤器 wan 没有参数 decimal；可用的参数：decimals"), "{m}");
}

#[test]
fn init_templates_copies_the_built_ins_and_keeps_edits() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("tpl");
    let a = InitArgs { dir: target.clone(), force: false };
    let written = init_templates(&a).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["half.md.tera", "items.md.tera", "annual.md.tera", "city.md.tera"]);
    assert_eq!(
        std::fs::read_to_string(target.join("half.md.tera")).unwrap(),
        include_str!("../report-templates/half.md.tera")
    );
    std::fs::write(target.join("half.md.tera"), "我们改过的").unwrap();
    let f = init_templates(&a).unwrap_err();
    assert_eq!(
        message(f),
        format!(
            "文件夹 {} 中已有 half.md.tera、items.md.tera、annual.md.tera、city.md.tera：未写出任何文件；要覆盖请加 --force",
            target.display()
        )
    );
    assert_eq!(std::fs::read_to_string(target.join("half.md.tera")).unwrap(), "我们改过的");

    // The edited folder overrides the built-in of the same name.
    let out = dir.path().join("d.md");
    let r = Args { template_dir: Some(target.clone()), out: Some(out.clone()), ..args("2024H1") };
    assert_eq!(run(&r).unwrap(), exit::OK);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("我们改过的\n\n{NOTE}\n"));

    init_templates(&InitArgs { dir: target.clone(), force: true }).unwrap();
    assert_eq!(
        std::fs::read_to_string(target.join("half.md.tera")).unwrap(),
        include_str!("../report-templates/half.md.tera")
    );
}

/// Without a county or unit in youfu.toml, the title says what to set, instead of starting with the bare default
/// 退役军人事务局 as if it were the bureau's name.
#[test]
fn a_title_without_a_configured_unit_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.md");
    let a = Args { out: Some(out.clone()), ..args("2024H1") };
    assert_eq!(run(&a).unwrap(), exit::OK);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().next(), Some("# （请在youfu.toml中设置county和unit）2024年上半年优抚工作情况"));

    let config =
        Config { county: "示例县".into(), unit: "示例县退役军人事务局".into(), ..Config::default() };
    assert_eq!(run_with(&a, &config, |_p: &Period| Ok(ledger())).unwrap(), exit::OK);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().next(), Some("# 示例县退役军人事务局2024年上半年优抚工作情况"));
}
