//! What `youfu report` reads of the 花名册: for 年度确认, each row's 身份证号, 状态 (with 死亡日期), 起发年月 and
//! 年度确认日期, checked exactly as `read_roster` checks them (same codes, messages and locations). The other
//! columns (姓名, 类别, 银行账号, …) are not read: a report does not depend on them, and a province's roster is read
//! here in a fraction of the time and memory of `read_roster`.

use super::columns::{ROSTER_COLUMNS, ROSTER_REQUIRED};
use super::fields::{NotData, RowShape, RowView, unfit_cells};
use super::roster::{id_card, roster_header, status, take};
use super::sheet::{Row, RowReader};
use crate::domain::{ConfirmationRow, Problem, Problems};
use std::path::Path;

/// The columns read here; a formula error (#N/A …) in another column does not matter to the report.
const READ: [&str; 5] = ["身份证号", "状态", "死亡日期", "起发年月", "年度确认日期"];

/// The roster's rows for 年度确认 (see the module header), in file order. All problems of those columns are
/// collected; the header must be a roster's (the same required columns as `read_roster`).
pub fn read_confirmation_rows(path: &Path) -> Result<Vec<ConfirmationRow>, Problems> {
    let mut reader = RowReader::open(path)?;
    let (head, header) = roster_header(&mut reader)?;
    let mut row = Row::default();
    let not_data = NotData::new(&header, ROSTER_REQUIRED, ROSTER_COLUMNS);
    let shape = RowShape::new(&head, &header);
    // The read columns as the file writes them (formula errors are located by that text).
    let read: Vec<&String> = READ.iter().filter_map(|name| header.column(name)).map(|c| &c.written).collect();
    let mut out = Vec::with_capacity(reader.rows_left_at_most() + head.rows.len());
    let mut problems: Vec<Problem> = Vec::new();
    let mut one = |row: &Row, problems: &mut Vec<Problem>| {
        let view = RowView { table: &head, header: &header, row };
        if not_data.is(&view) || !shape.check(&view, problems) {
            return;
        }
        let cell_errors: Vec<Problem> = unfit_cells(&view)
            .into_iter()
            .filter(|p| p.location.as_ref().and_then(|l| l.column.as_ref()).is_some_and(|c| read.contains(&c)))
            .collect();
        if !cell_errors.is_empty() {
            problems.extend(cell_errors);
            return;
        }
        if let Some(r) = parse(&view, problems) {
            out.push(r);
        }
    };
    for row in &head.rows[header.first_data..] {
        one(row, &mut problems);
    }
    while reader.next_row(&mut row)? {
        one(&row, &mut problems);
    }
    Problems(problems).into_result(out)
}

/// The row's fields, each checked as `read_roster` checks it (its problems in the same order); `None` when one of
/// them has a problem.
fn parse(view: &RowView, problems: &mut Vec<Problem>) -> Option<ConfirmationRow> {
    let id = take(id_card(view, "身份证号"), problems);
    let start_month = take(view.month("起发年月"), problems);
    let death = view.date("死亡日期");
    let death_bad = death.is_err();
    let given = matches!(death, Ok(Some(_)));
    take(death, problems);
    let status = take(status(view, "状态", given, death_bad), problems);
    let confirmed_on = take(view.date("年度确认日期"), problems);
    Some(ConfirmationRow::new(id?.packed(), &status?, start_month?, confirmed_on?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Categories;
    use crate::input::read_roster;
    use crate::input::testutil::file;
    use tempfile::TempDir;

    fn shown(err: &Problems, path: &Path) -> Vec<String> {
        err.0.iter().map(|p| p.to_string().replace(&path.display().to_string(), "F")).collect()
    }

    /// Every fixture roster (xlsx, xls, ods, GBK csv): the rows are those of `read_roster`, field for field.
    #[test]
    fn the_rows_are_those_of_the_full_roster() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for name in ["roster.xlsx", "roster.xls", "roster.ods", "roster-gbk.csv"] {
            let path = dir.join(name);
            let full: Vec<ConfirmationRow> =
                read_roster(&path, &Categories::default()).unwrap().iter().map(ConfirmationRow::of).collect();
            assert!(full.len() > 20, "{name}");
            assert_eq!(read_confirmation_rows(&path).unwrap(), full, "{name}");
        }
    }

    /// The columns read are checked as `read_roster` checks them (same messages, in the same order); a bad value
    /// in a column the report does not read (银行账号, 类别) or a formula error there is not its concern.
    #[test]
    fn problems_of_the_read_columns_only() {
        let dir = TempDir::new().unwrap();
        let csv = "姓名,身份证号,类别,状态,死亡日期,起发年月,年度确认日期,银行账号\n\
                   甲,411526195003150014,烈属,正常,,2020-01,2024-03-05,12a45\n\
                   乙,411526196207080032,火星人,暂停,,,,#N/A\n\
                   丙,411526195511200058,烈属,正常,,2020-13,2024-02-30,\n\
                   丁,411526197001010076,烈属,死亡,,,,\n";
        let path = file(&dir, "r.csv", csv.as_bytes());
        let err = read_confirmation_rows(&path).unwrap_err();
        let full = read_roster(&path, &Categories::default()).unwrap_err();
        let expected = [
            "F 第4行「身份证号」列：身份证号校验码错误：按前17位应为“7”，实为“8”（值：“411526195511200058”）。请对照原始证件核对身份证号。 [ID_INVALID]",
            "F 第4行「起发年月」列：起发年月无法识别为年月（值：“2020-13”）。可写作 2024-01、2024/1、2024.01、2024年1月、202401，或完整日期（取其所在月份），或设置为日期格式的单元格。 [BAD_DATE]",
            "F 第4行「年度确认日期」列：年度确认日期无法识别为日期（值：“2024-02-30”）。可写作 2024-01-05、2024/1/5、2024.01.05、2024年1月5日、20240105，或设置为日期格式的单元格。 [BAD_DATE]",
            "F 第5行「死亡日期」列：状态为“死亡”，但没有填写死亡日期。请填写死亡日期：发放到死亡当月，丧葬补助也据此计算。 [MISSING_DEATH_DATE]",
        ];
        assert_eq!(shown(&err, &path), expected);
        // `read_roster` says the same of those columns, and more of the others.
        let full = shown(&full, &path);
        assert!(expected.iter().all(|e| full.contains(&e.to_string())), "{full:#?}");
        assert!(full.len() > expected.len());
        // Without the bad rows: 甲 and 乙 (银行账号 and 类别 unread), 乙 暂停 is active too.
        let ok = csv.lines().take(3).collect::<Vec<_>>().join("\n");
        let path = file(&dir, "ok.csv", ok.as_bytes());
        let rows = read_confirmation_rows(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].person, crate::domain::IdCard::parse("411526195003150014").unwrap().packed());
        assert_eq!(
            (rows[0].active, rows[0].start_month, rows[0].confirmed_on.map(|d| d.to_string())),
            (true, Some("2020-01".parse().unwrap()), Some("2024-03-05".into()))
        );
        assert_eq!((rows[1].active, rows[1].start_month, rows[1].confirmed_on), (true, None, None));
    }

    /// Not a roster: refused by its header, as `read_roster` refuses it.
    #[test]
    fn a_file_without_the_roster_columns_is_refused_as_by_read_roster() {
        let dir = TempDir::new().unwrap();
        let path = file(&dir, "x.csv", "项目,金额\n残疾抚恤金,100\n".as_bytes());
        let err = read_confirmation_rows(&path).unwrap_err();
        assert_eq!(shown(&err, &path), shown(&read_roster(&path, &Categories::default()).unwrap_err(), &path));
        assert_eq!(err.len(), 1);
    }
}
