//! The sheet of named figures (指标表) that the report writer fills in for what the ledger cannot know — 喜报份数,
//! 信访件数, 慰问金 … — with columns 指标, 数值, 单位 and an optional 期间. Read with `input::read_table` (xlsx, xls,
//! ods or CSV in UTF-8/GBK); every bad cell is refused with its file, sheet, Excel row and column.
//!
//! A blank 数值, or one written "X" or "*" as the seeds' drafts do, means "not counted yet": the figure exists but
//! has no value, so the report shows "X" for it and lists it — never 0.

use super::period::Period;
use crate::domain::money::{decimal_from_cell_f64, parse_amount_text};
use crate::domain::{Location, Problem, Problems};
use crate::input::cells::{compact, display, is_blank, normalize_text};
use crate::input::{Cell, Table, field_count_problem, read_table};
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::Path;

/// One named figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// 指标, normalised (full-width digits/letters → half-width, spaces removed).
    pub name: String,
    /// 数值; `None` when the cell is blank or "X"/"*" (not counted yet).
    pub value: Option<Decimal>,
    /// 单位 (may be empty).
    pub unit: String,
    /// 期间: the period this figure belongs to; `None` = any period.
    pub period: Option<String>,
    /// The row it was read from.
    pub location: Location,
}

const NAME_HEADERS: &[&str] = &["指标", "指标名称", "名称", "项目"];
const VALUE_HEADERS: &[&str] = &["数值", "数量", "值", "数据"];
const UNIT_HEADERS: &[&str] = &["单位", "计量单位"];
const PERIOD_HEADERS: &[&str] = &["期间", "报告期间", "时期"];

/// Values that mean "not counted yet", as the seeds' drafts write them.
const UNFILLED: &[&str] = &["X", "x", "*", "＊", "×", "Ｘ"];

/// Read the metrics sheet at `path`.
pub fn read_metrics(path: &Path) -> Result<Vec<Metric>, Problems> {
    let table = read_table(path)?;
    metrics_from_table(&table)
}

struct Columns {
    name: usize,
    value: usize,
    unit: Option<usize>,
    period: Option<usize>,
}

fn find(cells: &[Cell], names: &[&str]) -> Option<usize> {
    cells.iter().position(|c| names.contains(&compact(&display(c)).as_str()))
}

/// The metrics of a table already read.
pub fn metrics_from_table(table: &Table) -> Result<Vec<Metric>, Problems> {
    // The header is the first row having both an 指标 and a 数值 column (a title row above it is allowed).
    let header = table.rows.iter().enumerate().find_map(|(i, row)| {
        let name = find(&row.cells, NAME_HEADERS)?;
        let value = find(&row.cells, VALUE_HEADERS)?;
        Some((
            i,
            Columns { name, value, unit: find(&row.cells, UNIT_HEADERS), period: find(&row.cells, PERIOD_HEADERS) },
        ))
    });
    let Some((header_index, cols)) = header else {
        return Err(Problem::new("METRICS_HEADER", "指标表中找不到表头：应有「指标」和「数值」两列")
            .at(table.location())
            .hint("请在第一行写表头：指标、数值、单位（可选：期间），每个指标一行。")
            .into());
    };
    let header_row = &table.rows[header_index];
    let column_name = |i: usize| display(header_row.cell(i)).trim().to_string();

    let mut problems = Problems::default();
    let mut metrics = Vec::new();
    for row in &table.rows[header_index + 1..] {
        if row.cells.iter().all(is_blank) {
            continue;
        }
        if table.fields_exact() && row.cells.len() != header_row.cells.len() {
            let loc = table.location().with_row(row.excel_row);
            problems.push(field_count_problem(loc, row.cells.len(), header_row.excel_row, header_row.cells.len()));
            continue;
        }
        let at = |col: usize| table.location().with_row(row.excel_row).with_column(column_name(col));
        let name = compact(&display(row.cell(cols.name)));
        if name.is_empty() {
            problems.push(
                Problem::new("METRIC_NAME", "这一行有数值但没有指标名称")
                    .at(at(cols.name))
                    .hint("请填写指标名称（如 喜报份数），或删除这一行。"),
            );
            continue;
        }
        let value = match value_of(row.cell(cols.value)) {
            Ok(v) => v,
            Err(why) => {
                problems.push(
                    Problem::new("METRIC_VALUE", format!("指标“{name}”的数值{why}"))
                        .at(at(cols.value))
                        .value(display(row.cell(cols.value)))
                        .hint("请填写数字，如 212 或 14.06，单位写在「单位」列；尚未统计的请留空或写 X。"),
                );
                continue;
            }
        };
        let unit = cols.unit.map(|c| normalize_text(&display(row.cell(c)))).unwrap_or_default();
        let period = cols.period.map(|c| compact(&display(row.cell(c)))).filter(|p| !p.is_empty());
        if let (Some(p), Some(c)) = (&period, cols.period)
            && p.parse::<Period>().is_err()
        {
            problems.push(
                Problem::new("METRIC_PERIOD", format!("指标“{name}”的期间无法识别"))
                    .at(at(c))
                    .value(p.clone())
                    .hint("期间应写作 2024H1、2024H2、2024、2024Q3 或 2024-01..2024-09；适用于任何期间的留空。"),
            );
            continue;
        }
        metrics.push(Metric { name, value, unit, period, location: table.location().with_row(row.excel_row) });
    }
    problems.into_result(metrics)
}

/// The 数值 cell: `Ok(None)` when not counted yet, `Err(why)` when it is not a number.
fn value_of(cell: &Cell) -> Result<Option<Decimal>, &'static str> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(v) => decimal_from_cell_f64(*v).map(Some).ok_or("不是有限的数字"),
        Cell::Int(i) => Ok(Some(Decimal::from(*i))),
        Cell::Text(t) => {
            let t = normalize_text(t);
            if t.is_empty() || UNFILLED.contains(&t.as_str()) {
                Ok(None)
            } else {
                parse_amount_text(&t).map(Some).ok_or("不是数字")
            }
        }
        Cell::Error(_) => Err("是公式错误"),
        Cell::Bool(_) | Cell::Date(_) => Err("不是数字"),
    }
}

/// The metrics that apply to `period` (期间 blank or equal to it), one per name. Two rows for one name that both
/// apply are refused, naming both rows: the report must not pick one silently.
pub fn for_period(metrics: &[Metric], period: &Period) -> Result<Vec<Metric>, Problems> {
    let mut chosen: Vec<Metric> = Vec::new();
    let mut problems = Problems::default();
    for m in metrics {
        let applies = match &m.period {
            None => true,
            Some(p) => p.parse::<Period>().is_ok_and(|p| p.first == period.first && p.last == period.last),
        };
        if !applies {
            continue;
        }
        if let Some(first) = chosen.iter().find(|c| c.name == m.name) {
            problems.push(
                Problem::new(
                    "METRIC_DUPLICATE",
                    format!(
                        "指标“{}”在第{}行和第{}行各有一个数值，都适用于 {}",
                        m.name,
                        first.location.row.unwrap_or(0),
                        m.location.row.unwrap_or(0),
                        period.label()
                    ),
                )
                .at(m.location.clone())
                .hint("请删除其中一行，或在「期间」列写明各自的期间。"),
            );
            continue;
        }
        chosen.push(m.clone());
    }
    problems.into_result(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::sheet::table_from_csv_bytes;
    use rust_decimal_macros::dec;

    fn table(csv: &str) -> Table {
        table_from_csv_bytes("metrics.csv", csv.as_bytes()).unwrap()
    }

    fn errors(csv: &str) -> Vec<String> {
        metrics_from_table(&table(csv)).unwrap_err().0.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn reads_names_values_units_and_periods() {
        let t = table(
            "示例县2024年上半年指标表\n指标,数值,单位,期间\n喜报份数,212,份,\n慰问金,\"140,600.00\",元,2024H1\n\n信访件数,,件,\n体检人次,X,人次,\n送温暖户数,１２,户,\n",
        );
        let m = metrics_from_table(&t).unwrap();
        type Row<'a> = (&'a str, Option<Decimal>, &'a str, Option<&'a str>, Option<u32>);
        let got: Vec<Row> = m
            .iter()
            .map(|m| (m.name.as_str(), m.value, m.unit.as_str(), m.period.as_deref(), m.location.row))
            .collect();
        assert_eq!(
            got,
            vec![
                ("喜报份数", Some(dec!(212)), "份", None, Some(3)),
                ("慰问金", Some(dec!(140600.00)), "元", Some("2024H1"), Some(4)),
                ("信访件数", None, "件", None, Some(6)), // blank: not counted yet
                ("体检人次", None, "人次", None, Some(7)), // "X": not counted yet
                ("送温暖户数", Some(dec!(12)), "户", None, Some(8)), // full-width digits
            ]
        );
    }

    #[test]
    fn unit_and_period_columns_are_optional() {
        let m = metrics_from_table(&table("指标,数值\n喜报份数,212\n")).unwrap();
        assert_eq!(m[0].value, Some(dec!(212)));
        assert_eq!(m[0].unit, "");
        assert_eq!(m[0].period, None);
    }

    #[test]
    fn bad_value_names_the_cell() {
        assert_eq!(
            errors("指标,数值,单位\n喜报份数,二百一十二,份\n信访件数,82件,件\n"),
            vec![
                "metrics.csv 第2行「数值」列：指标“喜报份数”的数值不是数字（值：“二百一十二”）。请填写数字，如 212 或 14.06，单位写在「单位」列；尚未统计的请留空或写 X。 [METRIC_VALUE]",
                "metrics.csv 第3行「数值」列：指标“信访件数”的数值不是数字（值：“82件”）。请填写数字，如 212 或 14.06，单位写在「单位」列；尚未统计的请留空或写 X。 [METRIC_VALUE]",
            ]
        );
    }

    #[test]
    fn missing_name_bad_period_and_no_header() {
        assert_eq!(
            errors("指标,数值,单位,期间\n,212,份,\n喜报份数,212,份,上半年\n"),
            vec![
                "metrics.csv 第2行「指标」列：这一行有数值但没有指标名称。请填写指标名称（如 喜报份数），或删除这一行。 [METRIC_NAME]",
                "metrics.csv 第3行「期间」列：指标“喜报份数”的期间无法识别（值：“上半年”）。期间应写作 2024H1、2024H2、2024、2024Q3 或 2024-01..2024-09；适用于任何期间的留空。 [METRIC_PERIOD]",
            ]
        );
        assert_eq!(
            errors("名字,份数\n喜报,212\n"),
            vec![
                "metrics.csv：指标表中找不到表头：应有「指标」和「数值」两列。请在第一行写表头：指标、数值、单位（可选：期间），每个指标一行。 [METRICS_HEADER]"
            ]
        );
    }

    #[test]
    fn period_selects_rows_and_refuses_two_for_one_name() {
        let m = metrics_from_table(&table(
            "指标,数值,单位,期间\n喜报份数,212,份,2024H1\n喜报份数,150,份,2024H2\n信访件数,82,件,\n",
        ))
        .unwrap();
        let h1 = for_period(&m, &"2024H1".parse().unwrap()).unwrap();
        let got: Vec<(&str, Option<Decimal>)> = h1.iter().map(|m| (m.name.as_str(), m.value)).collect();
        assert_eq!(got, vec![("喜报份数", Some(dec!(212))), ("信访件数", Some(dec!(82)))]);
        let h2 = for_period(&m, &"2024H2".parse().unwrap()).unwrap();
        assert_eq!(h2[0].value, Some(dec!(150)));

        let dup = metrics_from_table(&table("指标,数值\n喜报份数,212\n喜报份数,213\n")).unwrap();
        let err = for_period(&dup, &"2024H1".parse().unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "metrics.csv 第3行：指标“喜报份数”在第2行和第3行各有一个数值，都适用于 2024年上半年。请删除其中一行，或在「期间」列写明各自的期间。 [METRIC_DUPLICATE]"
        );
    }
}
