//! 标准表 → `Vec<Standard>`: 项目, 金额 (number cell or amount text), 计发单位, 起始/终止日期, 依据, and every other
//! column as a key (blank = any). Overlaps between rows are checked in `compute`, not here.

use super::cells::{self, Cell};
use super::columns::{self, STANDARD_NON_KEYS, STANDARD_REQUIRED};
use super::fields::{NotData, RowShape, RowView, empty_table, unfit_cells};
use super::sheet::{Table, read_table};
use crate::domain::money::{decimal_from_cell_f64, parse_amount_text, to_fen};
use crate::domain::{Categories, Problem, Problems, Standard, Unit};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

/// Read a 标准表.
pub fn read_standards(path: &Path, categories: &Categories) -> Result<Vec<Standard>, Problems> {
    let table = read_table(path)?;
    standards_from_table(&table, categories)
}

fn take<T>(r: Result<T, Problem>, problems: &mut Vec<Problem>) -> Option<T> {
    r.map_err(|p| problems.push(p)).ok()
}

/// 金额 from a number cell (converted once, exactly as displayed) or amount text; never negative.
fn amount(view: &RowView) -> Result<Decimal, Problem> {
    let cell = view.cell("金额");
    if cells::is_blank(cell) {
        return Err(view.problem("BAD_AMOUNT", "金额", "金额为空").hint("请填写标准金额，如 1234.50。"));
    }
    let value = match cell {
        Cell::Number(v) => decimal_from_cell_f64(*v),
        Cell::Int(i) => Some(Decimal::from(*i)),
        Cell::Text(t) => parse_amount_text(&cells::normalize_text(t)),
        _ => None,
    };
    match value {
        None => Err(view
            .problem("BAD_AMOUNT", "金额", "金额不是数字")
            .hint("请填写阿拉伯数字金额，如 1234.50（可带“元”“￥”或千分位逗号）。")),
        Some(d) if d < Decimal::ZERO => {
            Err(view.problem("BAD_AMOUNT", "金额", "金额不能为负数").hint("标准金额应为正数或0。"))
        }
        // Money is whole 分 in every input: 29660.125 is no amount a notice sets, and divided by 12 it would
        // round to a 分 that differs from the ledger's in some months, raising 0.01 补发 lines (`to_fen` also
        // refuses an amount too large to hold in 分).
        Some(d) if to_fen(d).is_none() => {
            Err(view.problem("BAD_AMOUNT", "金额", "金额须精确到分（最多两位小数）").hint(
                "请按标准文件核对金额，最多填到分（两位小数）；单元格显示的位数可能少于实际数值，请在编辑栏中查看。",
            ))
        }
        Some(d) => Ok(d),
    }
}

fn unit(view: &RowView) -> Result<Unit, Problem> {
    let text = view.text("计发单位");
    let hint = format!("可用的计发单位：{}。", Unit::ACCEPTED);
    if text.is_empty() {
        return Err(view.problem("MISSING_VALUE", "计发单位", "计发单位为空").hint(hint));
    }
    Unit::parse(&text).ok_or_else(|| view.problem("UNKNOWN_UNIT", "计发单位", "计发单位无法识别").hint(hint))
}

fn parse_row(view: &RowView, categories: &Categories) -> (Option<Standard>, Vec<Problem>) {
    let mut problems = Vec::new();
    let item = take(view.required_text("项目"), &mut problems);
    let amount = take(amount(view), &mut problems);
    let unit = take(unit(view), &mut problems);
    let start = match take(view.date("起始日期"), &mut problems) {
        Some(None) => {
            problems.push(
                view.problem("MISSING_VALUE", "起始日期", "起始日期为空")
                    .hint(format!("请填写标准开始执行的日期，可写作 {}。", cells::DATE_FORMS)),
            );
            None
        }
        other => other.flatten(),
    };
    let end = take(view.date("终止日期"), &mut problems).flatten();
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        problems.push(
            view.problem("BAD_DATE_RANGE", "终止日期", format!("终止日期早于起始日期（{s}）"))
                .hint("请核对起始日期和终止日期。"),
        );
    }
    let mut keys = BTreeMap::new();
    let mut key_order = Vec::new();
    for col in &view.header.columns {
        if STANDARD_NON_KEYS.contains(&col.name.as_str()) {
            continue;
        }
        let value = match col.name.as_str() {
            "类别" => take(view.category("类别", categories), &mut problems).flatten(),
            "等级" => take(view.grade("等级"), &mut problems).flatten().map(str::to_string),
            "性质" => take(view.nature("性质"), &mut problems).flatten().map(str::to_string),
            _ => Some(cells::text(view.row.cell(col.index))).filter(|t| !t.is_empty()),
        };
        if let Some(v) = value {
            key_order.push(col.name.clone());
            keys.insert(col.name.clone(), v);
        }
    }
    if !problems.is_empty() {
        return (None, problems);
    }
    let standard = (|| {
        Some(Standard {
            location: view.location(),
            item: item?.into(),
            keys,
            key_order,
            amount: amount?,
            unit: unit?,
            start: start?,
            end,
            basis: view.text("依据"),
        })
    })();
    (standard, problems)
}

/// A standards table → standards, or every problem found.
pub fn standards_from_table(table: &Table, categories: &Categories) -> Result<Vec<Standard>, Problems> {
    let defs = columns::standard_columns();
    let header = columns::find_header(table, &defs, STANDARD_REQUIRED)?;
    let mut problems = Vec::new();
    let mut standards = Vec::new();
    let not_data = NotData::new(&header, STANDARD_REQUIRED, &defs);
    let shape = RowShape::new(table, &header);
    for row in &table.rows[header.first_data..] {
        let view = RowView { table, header: &header, row };
        if not_data.is(&view) || !shape.check(&view, &mut problems) {
            continue;
        }
        let cell_errors = unfit_cells(&view);
        if !cell_errors.is_empty() {
            problems.extend(cell_errors);
            continue;
        }
        let (standard, row_problems) = parse_row(&view, categories);
        problems.extend(row_problems);
        standards.extend(standard);
    }
    if problems.is_empty() && standards.is_empty() {
        return Err(empty_table(table, &header, "EMPTY_STANDARDS", "标准表", "标准").into());
    }
    Problems(problems).into_result(standards)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::testutil::{V, file, texts, xlsx};
    use V::{D, E, N, S};
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;
    use tempfile::TempDir;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
    fn keys(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }
    fn shown(err: &Problems, path: &Path) -> Vec<String> {
        err.0.iter().map(|p| p.to_string().replace(&path.display().to_string(), "F")).collect()
    }

    #[test]
    fn reads_dated_standards_with_keys() {
        let dir = TempDir::new().unwrap();
        let rows = vec![
            vec![S("2024年优抚对象抚恤补助标准")],
            texts(&[
                "项目",
                "类别",
                "伤残等级",
                "性质",
                "城乡",
                "标准",
                "单位",
                "执行日期",
                "终止日期",
                "文件依据",
                "护理",
                "备注",
            ]),
            vec![
                S("残疾抚恤金"),
                S("残疾军人"),
                S("1级"),
                S("因战"),
                E,
                N(106670.0),
                S("元/年"),
                D(2024, 8, 1),
                E,
                S("退役军人部发〔2024〕X号"),
                E,
                S("全国标准"),
            ],
            vec![
                S("定期生活补助"),
                S("复员军人"),
                E,
                E,
                S("农村"),
                S("1,234.50元"),
                S("元／月"),
                S("2023年8月1日"),
                S("2024-07-31"),
            ],
            vec![S("定期生活补助"), S("60周岁农村籍退役士兵"), E, E, E, N(40.0), S("元/年·服役年"), S("20230801")],
            // serial 45505 = 2024-08-01 (45292 is 2024-01-01, plus 213 days of January to July)
            vec![S("护理费"), S("残疾军人"), S("一级"), E, E, N(8889.17), S("元/月"), N(45505.0), E, E, S("是")],
            vec![],
            vec![S("合计"), E, E, E, E, N(116833.67)],
        ];
        let path = xlsx(&dir, "standards.xlsx", "标准", &rows, &[]);
        let s = read_standards(&path, &Categories::default()).unwrap();
        assert_eq!(s.len(), 4);

        assert_eq!(s[0].location.to_string(), format!("{} 工作表「标准」第3行", path.display()));
        assert_eq!(&*s[0].item, "残疾抚恤金");
        assert_eq!(s[0].keys, keys(&[("类别", "残疾军人"), ("等级", "一级"), ("性质", "因战")]));
        assert_eq!(s[0].amount, dec!(106670));
        assert_eq!(s[0].unit, Unit::PerYear);
        assert_eq!(s[0].start, date(2024, 8, 1));
        assert_eq!(s[0].end, None);
        assert_eq!(s[0].basis, "退役军人部发〔2024〕X号");

        assert_eq!(s[1].keys, keys(&[("类别", "在乡复员军人"), ("城乡", "农村")]));
        assert_eq!(s[1].amount, dec!(1234.50));
        assert_eq!(s[1].unit, Unit::PerMonth);
        assert_eq!(s[1].start, date(2023, 8, 1));
        assert_eq!(s[1].end, Some(date(2024, 7, 31)));
        assert_eq!(s[1].basis, "");

        assert_eq!(s[2].keys, keys(&[("类别", "农村籍退役士兵")]));
        assert_eq!(s[2].amount, dec!(40));
        assert_eq!(s[2].unit, Unit::PerYearPerServiceYear);
        assert_eq!(s[2].start, date(2023, 8, 1));

        assert_eq!(s[3].location.row, Some(6));
        assert_eq!(s[3].keys, keys(&[("类别", "残疾军人"), ("等级", "一级"), ("护理", "是")]));
        assert_eq!(s[3].amount, dec!(8889.17));
        assert_eq!(s[3].start, date(2024, 8, 1));
    }

    #[test]
    fn every_bad_row_is_reported() {
        let dir = TempDir::new().unwrap();
        let rows = vec![
            texts(&["项目", "金额", "计发单位", "起始日期", "终止日期", "类别"]),
            vec![S("残疾抚恤金"), S("六百元"), S("元/季"), S("2024-08-01"), S("2024-07-31"), S("残疾军仁")],
            vec![E, N(-5.0), S("元/月"), E, E, E],
            vec![S("护理费"), E, E, S("2024-13-01")],
        ];
        let path = xlsx(&dir, "bad.xlsx", "标准", &rows, &[]);
        let err = read_standards(&path, &Categories::default()).unwrap_err();
        let at = "F 工作表「标准」";
        let units = "可用的计发单位：元/年、元/月、元/年·服役年、元/月·服役年。";
        let dates = "可写作 2024-01-05、2024/1/5、2024.01.05、2024年1月5日、20240105，或设置为日期格式的单元格。";
        assert_eq!(
            shown(&err, &path),
            [
                format!(
                    "{at}第2行「金额」列：金额不是数字（值：“六百元”）。请填写阿拉伯数字金额，如 1234.50（可带“元”“￥”或千分位逗号）。 [BAD_AMOUNT]"
                ),
                format!("{at}第2行「计发单位」列：计发单位无法识别（值：“元/季”）。{units} [UNKNOWN_UNIT]"),
                format!(
                    "{at}第2行「终止日期」列：终止日期早于起始日期（2024-08-01）（值：“2024-07-31”）。请核对起始日期和终止日期。 [BAD_DATE_RANGE]"
                ),
                format!(
                    "{at}第2行「类别」列：类别不在已知类别中（值：“残疾军仁”）。是否应为“残疾军人”？ [UNKNOWN_CATEGORY]"
                ),
                format!("{at}第3行「项目」列：项目为空。请填写项目。 [MISSING_VALUE]"),
                format!("{at}第3行「金额」列：金额不能为负数（值：“-5”）。标准金额应为正数或0。 [BAD_AMOUNT]"),
                format!("{at}第3行「起始日期」列：起始日期为空。请填写标准开始执行的日期，{dates} [MISSING_VALUE]"),
                format!("{at}第4行「金额」列：金额为空。请填写标准金额，如 1234.50。 [BAD_AMOUNT]"),
                format!("{at}第4行「计发单位」列：计发单位为空。{units} [MISSING_VALUE]"),
                format!("{at}第4行「起始日期」列：起始日期无法识别为日期（值：“2024-13-01”）。{dates} [BAD_DATE]"),
            ]
        );
    }

    /// 金额 in whole 分 only: three decimals typed or in a number cell (100.005 is the double
    /// 100.00499999999999545…, which Excel shows as 100.005) are refused; two decimals, or fewer, are kept.
    #[test]
    fn an_amount_must_be_whole_fen() {
        let dir = TempDir::new().unwrap();
        let rows = vec![
            texts(&["项目", "金额", "计发单位", "起始日期"]),
            vec![S("定期抚恤金"), N(29660.125), S("元/年"), S("2023-08-01")],
            vec![S("县级优抚补贴"), S("100.005元"), S("元/月"), S("2023-08-01")],
            vec![S("护理费"), N(100.1), S("元/月"), S("2023-08-01")],
            vec![S("残疾抚恤金"), S("1,234.50"), S("元/年"), S("2023-08-01")],
        ];
        let path = xlsx(&dir, "s.xlsx", "标准", &rows, &[]);
        let err = read_standards(&path, &Categories::default()).unwrap_err();
        let hint = "请按标准文件核对金额，最多填到分（两位小数）；单元格显示的位数可能少于实际数值，请在编辑栏中查看。 [BAD_AMOUNT]";
        assert_eq!(
            shown(&err, &path),
            [
                format!("F 工作表「标准」第2行「金额」列：金额须精确到分（最多两位小数）（值：“29660.125”）。{hint}"),
                format!("F 工作表「标准」第3行「金额」列：金额须精确到分（最多两位小数）（值：“100.005元”）。{hint}"),
            ]
        );
        let ok = read_standards(
            &xlsx(&dir, "ok.xlsx", "标准", &[&rows[..1], &rows[3..]].concat(), &[]),
            &Categories::default(),
        )
        .unwrap();
        assert_eq!(ok.iter().map(|s| s.amount).collect::<Vec<_>>(), [dec!(100.1), dec!(1234.50)]);
    }

    /// A header with only blank and 合计 rows under it.
    #[test]
    fn a_table_without_standards_is_refused() {
        let dir = TempDir::new().unwrap();
        let path = file(&dir, "s.csv", "示例县标准表\n项目,金额,计发单位,起始日期\n,,,\n合计,0,,\n".as_bytes());
        assert_eq!(
            shown(&read_standards(&path, &Categories::default()).unwrap_err(), &path),
            ["F 第2行：标准表在表头（第2行）之下没有任何标准行。请检查是否选错了文件或工作表（只读取第一个工作表），\
                 或标准行是否被删除；空行、合计行和表尾的签名行不算标准。 [EMPTY_STANDARDS]"]
        );
    }

    #[test]
    fn missing_required_column() {
        let dir = TempDir::new().unwrap();
        let path = file(&dir, "s.csv", "项目,金额,生效日期\n抚恤金,100,2024-08-01\n".as_bytes());
        let err = read_standards(&path, &Categories::default()).unwrap_err();
        assert_eq!(
            shown(&err, &path),
            [
                "F 第1行：缺少必需的列“计发单位”（在第1行找到的表头为：“项目”、“金额”、“生效日期”）。请在表头中加上“计发单位”（或“单位”、“计量单位”）。 [MISSING_COLUMN]"
            ]
        );
    }
}
