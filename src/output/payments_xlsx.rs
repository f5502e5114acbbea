//! payments.xlsx: the 发放明细表 (title, header, one row per payment, 合计, A4 landscape), the two 汇总表
//! (按类别, 按乡镇; two-row merged header, 单位：人、元) and the 异常 sheet (everyone not paid, and why).
//! IDs and accounts are text cells; money is `#,##0.00`; column widths suit Chinese text.
//!
//! The 发放明细 prints on A4 landscape at its own 10 pt: the print area is the twelve columns 序号 … 银行账号,
//! whose widths are fixed (long names, 类别, 乡镇 and 项目 wrap inside their cell rather than widen the page and
//! shrink the print); 开户行 and 依据 follow outside the print area for the screen and for filters. The header rows
//! repeat on every page, amounts keep a space from the next column, and the last sheet ends with the 制表人、审核人、
//! 单位负责人 and 制表日期 lines to sign.

use super::{PayRun, month_title, xlsx_number};
use crate::compute::ExceptionKind;
use crate::compute::summary::{GroupTotal, by_category, by_town};
use crate::domain::money::format_yuan;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError};
use std::path::Path;

const FONT: &str = "宋体";
/// Money with thousands separators and a trailing space the width of a digit (`_0`), so that a right-aligned
/// amount never touches the next column's text on paper.
const MONEY: &str = "#,##0.00_0";

struct Styles {
    title: Format,
    note_left: Format,
    note_right: Format,
    header: Format,
    text: Format,
    /// Text of a printed column that may be longer than the column (name, 类别, 乡镇, 项目): wraps.
    text_wrap: Format,
    /// The signature lines under the 合计.
    sign: Format,
    /// Long text (reasons) that wraps inside its cell.
    wrap: Format,
    center: Format,
    money: Format,
    total_label: Format,
    total_money: Format,
}

impl Styles {
    fn new() -> Styles {
        let base = Format::new().set_font_name(FONT).set_font_size(10);
        let cell = base.clone().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
        Styles {
            title: base
                .clone()
                .set_font_size(18)
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            note_left: base.clone().set_align(FormatAlign::Left),
            note_right: base.clone().set_align(FormatAlign::Right),
            header: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_text_wrap()
                .set_background_color("#F2F2F2"),
            text: cell.clone().set_num_format("@"),
            text_wrap: cell.clone().set_num_format("@").set_text_wrap(),
            sign: base.clone().set_align(FormatAlign::Left).set_align(FormatAlign::VerticalCenter),
            wrap: cell.clone().set_text_wrap(),
            center: cell.clone().set_align(FormatAlign::Center),
            money: cell.clone().set_num_format(MONEY),
            total_label: cell.clone().set_bold().set_align(FormatAlign::Center),
            total_money: cell.set_bold().set_num_format(MONEY),
        }
    }
}

/// Print setup shared by every sheet: A4 landscape, one page wide, header rows repeated, page numbers.
fn print_setup(ws: &mut Worksheet, header_last_row: u32) -> Result<(), XlsxError> {
    ws.set_paper_size(9); // A4
    ws.set_landscape();
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3); // inches: 10 mm left and right
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_repeat_rows(0, header_last_row)?;
    ws.set_footer("&C第 &P 页，共 &N 页");
    ws.set_freeze_panes(header_last_row + 1, 0)?;
    Ok(())
}

/// Display width of text in Excel character units: CJK and full-width characters count 2.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// Widest content per column, for widths that fit Chinese text (capped so one long cell cannot blow the page up).
struct Widths(Vec<usize>);

impl Widths {
    fn new(titles: &[&str]) -> Widths {
        Widths(titles.iter().map(|t| display_width(t)).collect())
    }
    fn see(&mut self, col: usize, text: &str) {
        let w = display_width(text);
        if w > self.0[col] {
            self.0[col] = w;
        }
    }
    fn apply(&self, ws: &mut Worksheet, cap: usize) -> Result<(), XlsxError> {
        for (c, w) in self.0.iter().enumerate() {
            ws.set_column_width(c as u16, ((*w).min(cap) + 2) as f64)?;
        }
        Ok(())
    }
}

/// Row height for wrapped text in a column `width` characters wide (spreadsheets do not grow rows by themselves
/// for every reader).
fn fit_row(ws: &mut Worksheet, row: u32, text: &str, width: usize) -> Result<(), XlsxError> {
    let lines = display_width(text).div_ceil(width.max(1)).max(1);
    if lines > 1 {
        ws.set_row_height(row, 14.0 * lines as f64)?;
    }
    Ok(())
}

struct Column {
    title: &'static str,
    /// Width in Excel character units (a Chinese character of 10 pt is about 2): fixed for a printed column,
    /// the least width for the two after the print area (their content can widen them).
    width: f64,
}

/// The 发放明细's columns: the first `PRINTED` are the print area; 金额 is column K (index 10) for the 合计's SUM.
/// The printed widths add up to 136 units = 136 × 7 + 12 × 5 = 1012 px = 759 pt (Excel's units are the default
/// font's digit, Calibri 11's 7 px), inside A4 landscape's 842 pt less 2 × 0.4 inch margins (784 pt): the page
/// prints at 100 %, its 10 pt type not shrunk to fit. 身份证号 and 银行账号 have room for their digits in any
/// 宋体-like font (18 × 0.55 em of 10 pt = 99 pt in 21 units = 114 pt).
const DETAIL_COLUMNS: &[Column] = &[
    Column { title: "序号", width: 6.0 },
    Column { title: "姓名", width: 8.0 },
    Column { title: "身份证号", width: 21.0 },
    Column { title: "类别", width: 14.0 },
    Column { title: "等级", width: 5.0 },
    Column { title: "性质", width: 5.0 },
    Column { title: "乡镇（街道）", width: 11.0 },
    Column { title: "项目", width: 13.0 },
    Column { title: "所属期", width: 8.0 },
    Column { title: "类型", width: 8.0 },
    Column { title: "金额（元）", width: 13.0 },
    Column { title: "银行账号", width: 24.0 },
    Column { title: "开户行", width: 16.0 },
    Column { title: "依据", width: 30.0 },
];
/// Columns A..L (序号 … 银行账号) are printed; 开户行 and 依据 are not.
const PRINTED: usize = 12;
const BANK_COL: usize = 12;
const BASIS_COL: usize = 13;

/// Deflate level of the xlsx container. rust_xlsxwriter's default (6) spends about half of a province's
/// payments.xlsx in compression, and its save deflates the sheets one after another on one core. For a 1.6M-line
/// workbook (two 734 MB sheet parts), one sheet part deflates (zlib-rs) in: level 1 1.7 s → 109 MB, level 2
/// 2.4 s → 82 MB, level 3 4.0 s → 75 MB, level 4 5.1 s → 70 MB. Level 2 makes the file 131 MB (level 6) → 165 MB;
/// level 1 would make it 220 MB. Excel and LibreOffice read any level.
pub const ZIP_LEVEL: u8 = 2;

/// Write payments.xlsx to `path`. `core_free` is called once the workbook leaves a core to other work: at once for
/// a batch of one 发放明细 sheet (filled on one thread), after the sheets are filled for a batch of several (filled
/// at once on rayon's pool; the rest — summaries, the 异常 sheet and rust_xlsxwriter's save, which deflates the whole
/// package — is one thread's work). It is not called if the workbook fails before then.
pub fn write(run: &PayRun, path: &Path, core_free: impl FnOnce()) -> Result<(), XlsxError> {
    write_with(run, path, DETAIL_ROWS_PER_SHEET, core_free)
}

/// `write`, with at most `rows_per_sheet` payments on each 发放明细 sheet (Excel's limit in `write`; smaller in
/// tests, so the split can be checked without a million rows).
pub fn write_with_sheet_rows(run: &PayRun, path: &Path, rows_per_sheet: usize) -> Result<(), XlsxError> {
    write_with(run, path, rows_per_sheet, || ())
}

fn write_with(run: &PayRun, path: &Path, rows_per_sheet: usize, core_free: impl FnOnce()) -> Result<(), XlsxError> {
    let s = Styles::new();
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(ZIP_LEVEL);
    let rows_per_sheet = rows_per_sheet.max(1);
    let mut core_free = Some(core_free);
    let mut free_core = || core_free.take().map_or((), |f| f());
    if run.batch.payments.len() <= rows_per_sheet {
        free_core(); // one sheet, one thread
    }
    detail_sheets(&mut wb, run, &s, rows_per_sheet)?;
    free_core();
    summary_sheet(&mut wb, run, &s, "汇总（按类别）", "类别", &by_category(run.batch, run.roster))?;
    summary_sheet(&mut wb, run, &s, "汇总（按乡镇）", "乡镇（街道）", &by_town(run.batch, run.roster))?;
    exceptions_sheet(&mut wb, run, &s)?;
    save(&mut wb, path)
}

/// Save the workbook to `path` so that a failed write (a full disk) is reported by youfu alone. rust_xlsxwriter's
/// zip writer, dropped after a failed write, tries once more to finish the archive and, failing again, prints its
/// debug text to stderr (`ZipWriter::drop: failed to finalize archive: Io(Os {…})`). Through `FirstError` the
/// first error goes back as usual and is kept; what is written after it is swallowed, so that last attempt
/// succeeds into nothing and prints nothing.
fn save(wb: &mut Workbook, path: &Path) -> Result<(), XlsxError> {
    let mut out = FirstError { inner: std::fs::File::create(path)?, error: None };
    let saved = wb.save_to_writer(&mut out);
    match out.error {
        Some(e) => Err(XlsxError::IoError(e)),
        None => saved,
    }
}

/// A writer that stops at its first error: returned once and kept in `error`, every later write and flush is
/// accepted and dropped.
struct FirstError<W> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: std::io::Write> FirstError<W> {
    fn keep(&mut self, e: std::io::Error) -> std::io::Error {
        let copy = std::io::Error::new(e.kind(), e.to_string());
        self.error = Some(e);
        copy
    }
}

impl<W: std::io::Write> std::io::Write for FirstError<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_some() {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() != std::io::ErrorKind::Interrupted => Err(self.keep(e)),
            r => r,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.error.is_some() {
            return Ok(());
        }
        self.inner.flush().map_err(|e| self.keep(e))
    }
}

fn title_rows(
    ws: &mut Worksheet,
    s: &Styles,
    title: &str,
    last_col: u16,
    left: &str,
    right: &str,
) -> Result<(), XlsxError> {
    ws.set_row_height(0, 32)?;
    ws.merge_range(0, 0, 0, last_col, title, &s.title)?;
    let mid = last_col / 2;
    ws.merge_range(1, 0, 1, mid, left, &s.note_left)?;
    ws.merge_range(1, mid + 1, 1, last_col, right, &s.note_right)?;
    Ok(())
}

/// Excel's last row (1,048,576): a sheet holds at most this many rows.
const EXCEL_ROWS: u32 = 1_048_576;
/// Payment rows that fit on one 发放明细 sheet: everything but the title, note and header rows and the 合计 row.
const DETAIL_ROWS_PER_SHEET: usize = (EXCEL_ROWS - 4) as usize;

/// The name of the `n`-th (0-based) 发放明细 sheet: 发放明细, 发放明细（2）, 发放明细（3）…
fn detail_sheet_name(n: usize) -> String {
    if n == 0 { "发放明细".to_string() } else { format!("发放明细（{}）", n + 1) }
}

/// The 发放明细 sheet, or — for a batch with more payments than one sheet can hold (a province's) — several,
/// as many payments on each, each with the title and header, numbered on (序号 continues), the 合计 on the last
/// summing all of them.
fn detail_sheets(wb: &mut Workbook, run: &PayRun, s: &Styles, per_sheet: usize) -> Result<(), XlsxError> {
    let payments = &run.batch.payments;
    let sheets = payments.len().div_ceil(per_sheet).max(1);
    // The payments shared evenly among the sheets (the last may hold a few fewer): each sheet is filled on a thread
    // of its own, and a province's 1.6 million lines as one full sheet and a rest left one thread working alone
    // for a third of the time.
    let per_sheet = payments.len().div_ceil(sheets).max(1);
    // The printed columns' widths are fixed (see DETAIL_COLUMNS); 开户行 and 依据, outside the print area, are as
    // wide as their longest text, seen once per recipient (their lines are together) and once per standard row.
    let titles: Vec<&str> = DETAIL_COLUMNS.iter().map(|c| c.title).collect();
    let mut widths = Widths::new(&titles);
    for (c, col) in DETAIL_COLUMNS.iter().enumerate() {
        widths.see(c, &" ".repeat(col.width as usize));
    }
    let mut last_recipient = None;
    let mut basis_seen = vec![false; run.standards.rows().len()];
    for p in payments {
        if last_recipient != Some(p.recipient) {
            last_recipient = Some(p.recipient);
            widths.see(BANK_COL, &run.roster[p.recipient].bank);
        }
        if p.reissue().is_some() {
            widths.see(BASIS_COL, p.basis(run.standards));
        } else if let Some(seen) = basis_seen.get_mut(p.standard as usize)
            && !*seen
        {
            *seen = true;
            widths.see(BASIS_COL, &run.standards.row(p.standard as usize).basis);
        }
    }
    // The sheets' payment ranges, and the 合计's SUM over all of them (a sheet's payments end at row 3 + its count).
    let chunks: Vec<&[crate::compute::Payment]> = (0..sheets)
        .map(|sheet| &payments[(sheet * per_sheet).min(payments.len())..((sheet + 1) * per_sheet).min(payments.len())])
        .collect();
    let ranges: Vec<String> = chunks
        .iter()
        .enumerate()
        .map(|(sheet, chunk)| {
            let range = format!("K4:K{}", 3 + chunk.len());
            if sheet == 0 { range } else { format!("'{}'!{range}", detail_sheet_name(sheet)) }
        })
        .collect();
    let sum = format!("=SUM({})", ranges.join(","));
    // The sheets are filled at once on rayon's pool (each sheet's rows go to its own temporary file; a province's
    // batch fills two sheets or more), then added in order.
    let widths = &widths;
    // The formats' numbers are the workbook's, given on first use: fixed here, in the order one thread would use
    // them, so that the file does not depend on which sheet's thread came first.
    let used = [
        &s.title,
        &s.note_left,
        &s.note_right,
        &s.header,
        &s.center,
        &s.text_wrap,
        &s.text,
        &s.money,
        &s.total_label,
        &s.total_money,
        &s.sign,
    ];
    for format in used {
        wb.register_format(format);
    }
    let mut worksheets = Vec::with_capacity(sheets);
    for _ in 0..sheets {
        worksheets.push(wb.new_worksheet_with_constant_memory()?);
    }
    // One sheet a task of rayon's pool, the sheets in order whichever is filled first.
    let filled: Vec<Result<Worksheet, XlsxError>> = worksheets
        .into_iter()
        .zip(&chunks)
        .enumerate()
        .collect::<Vec<_>>()
        .into_par_iter()
        .with_max_len(1)
        .map(|(sheet, (mut ws, chunk))| {
            let total = (sheet + 1 == sheets).then_some(sum.as_str());
            let name = detail_sheet_name(sheet);
            detail_sheet(&mut ws, run, s, &name, chunk, sheet * per_sheet, widths, total).map(|()| ws)
        })
        .collect();
    for ws in filled {
        wb.push_worksheet(ws?);
    }
    Ok(())
}

/// One 发放明细 sheet with `chunk`'s rows numbered from `first_number + 1`, and, on the last sheet, the 合计 row
/// with `total` (the SUM over every sheet) under them.
#[allow(clippy::too_many_arguments)]
fn detail_sheet(
    ws: &mut Worksheet,
    run: &PayRun,
    s: &Styles,
    name: &str,
    chunk: &[crate::compute::Payment],
    first_number: usize,
    widths: &Widths,
    total: Option<&str>,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    // The title and notes span the printed columns, so that they are centred on the paper.
    let last_col = (PRINTED - 1) as u16;
    let title = format!("{}优抚资金发放明细表", month_title(run.config, run.month));
    title_rows(
        ws,
        s,
        &title,
        last_col,
        &format!("单位：{}", run.config.unit),
        &format!("所属期：{}　金额单位：元", run.month),
    )?;
    widths.apply(ws, 40)?;
    // The printed columns at exactly their widths, which fit the page at 100 % (print_setup's fit to one page wide
    // only shrinks a reader whose default font is wider than Calibri, e.g. LibreOffice without Carlito).
    for (c, col) in DETAIL_COLUMNS[..PRINTED].iter().enumerate() {
        ws.set_column_width(c as u16, col.width)?;
    }
    for (c, col) in DETAIL_COLUMNS.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, col.title, &s.header)?;
    }
    ws.set_row_height(2, 22)?;
    let mut row = 3u32;
    // The 所属期 text of the last line (a batch's lines are mostly of one month).
    let mut period = (None, String::new());
    for (n, p) in chunk.iter().enumerate() {
        let r = &run.roster[p.recipient];
        ws.write_number_with_format(row, 0, (first_number + n + 1) as f64, &s.center)?;
        ws.write_string_with_format(row, 1, &*r.name, &s.text_wrap)?;
        ws.write_string_with_format(row, 2, r.id.as_str(), &s.text)?;
        ws.write_string_with_format(row, 3, &*r.category, &s.text_wrap)?;
        ws.write_string_with_format(row, 4, r.attr("等级"), &s.center)?;
        ws.write_string_with_format(row, 5, r.attr("性质"), &s.center)?;
        ws.write_string_with_format(row, 6, &*r.town, &s.text_wrap)?;
        ws.write_string_with_format(row, 7, &*p.item, &s.text_wrap)?;
        if period.0 != Some(p.period) {
            period = (Some(p.period), p.period.to_string());
        }
        ws.write_string_with_format(row, 8, &period.1, &s.center)?;
        ws.write_string_with_format(row, 9, p.kind.label(), &s.center)?;
        ws.write_number_with_format(row, 10, xlsx_number(p.amount), &s.money)?;
        ws.write_string_with_format(row, 11, &*r.account, &s.text)?;
        ws.write_string_with_format(row, BANK_COL as u16, &*r.bank, &s.text)?;
        ws.write_string_with_format(row, BASIS_COL as u16, p.basis(run.standards), &s.text)?;
        row += 1;
    }
    if let Some(sum) = total {
        let payments = run.batch.payments.len();
        ws.merge_range(row, 0, row, 9, &format!("合计（{payments}笔）"), &s.total_label)?;
        let sum = Formula::new(sum).set_result(format_yuan(run.batch.total()));
        ws.write_formula_with_format(row, 10, sum, &s.total_money)?;
        for c in 11..DETAIL_COLUMNS.len() as u16 {
            ws.write_blank(row, c, &s.text)?;
        }
        row = signature_rows(ws, s, row + 2)?;
    } else {
        row -= 1;
    }
    ws.set_print_area(0, 0, row, last_col)?;
    print_setup(ws, 2)?;
    Ok(())
}

/// The lines to sign under the 合计, from `row`: 制表人、审核人、单位负责人 on one line, 制表日期 under them, left
/// blank for the pen. Returns the last row written.
fn signature_rows(ws: &mut Worksheet, s: &Styles, row: u32) -> Result<u32, XlsxError> {
    // Columns A–D, E–H and I–L: three equal thirds of the printed width, near enough.
    for (first, last, label) in [(0, 3, "制表人："), (4, 7, "审核人："), (8, 11, "单位负责人：")] {
        ws.merge_range(row, first, row, last, label, &s.sign)?;
    }
    ws.set_row_height(row, 30)?;
    ws.merge_range(row + 1, 0, row + 1, 3, "制表日期：　　　　年　　月　　日", &s.sign)?;
    ws.set_row_height(row + 1, 30)?;
    Ok(row + 1)
}

fn summary_sheet(
    wb: &mut Workbook,
    run: &PayRun,
    s: &Styles,
    name: &str,
    group_title: &str,
    groups: &[GroupTotal],
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet().set_name(name)?;
    let last_col = 4u16;
    let title = format!(
        "{}优抚资金发放汇总表（{}）",
        month_title(run.config, run.month),
        &name[name.find('按').unwrap_or(0)..].trim_end_matches('）')
    );
    title_rows(ws, s, &title, last_col, &format!("单位：{}", run.config.unit), "单位：人、笔、元")?;
    // two-row header: 序号 | group | 本月发放 (人数, 笔数, 金额)
    ws.merge_range(2, 0, 3, 0, "序号", &s.header)?;
    ws.merge_range(2, 1, 3, 1, group_title, &s.header)?;
    ws.merge_range(2, 2, 2, 4, &format!("{}年{}月发放", run.month.year(), run.month.month()), &s.header)?;
    ws.write_string_with_format(3, 2, "人数", &s.header)?;
    ws.write_string_with_format(3, 3, "笔数", &s.header)?;
    ws.write_string_with_format(3, 4, "金额", &s.header)?;
    for (c, w) in [6.0, 22.0, 10.0, 10.0, 16.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let mut row = 4u32;
    for (n, g) in groups.iter().enumerate() {
        ws.write_number_with_format(row, 0, (n + 1) as f64, &s.center)?;
        ws.write_string_with_format(row, 1, &g.name, &s.text)?;
        ws.write_number_with_format(row, 2, g.persons as f64, &s.center)?;
        ws.write_number_with_format(row, 3, g.lines as f64, &s.center)?;
        ws.write_number_with_format(row, 4, xlsx_number(g.amount), &s.money)?;
        row += 1;
    }
    let persons: usize = groups.iter().map(|g| g.persons).sum();
    let lines: usize = groups.iter().map(|g| g.lines).sum();
    let amount: Decimal = groups.iter().map(|g| g.amount).sum();
    ws.merge_range(row, 0, row, 1, "合计", &s.total_label)?;
    ws.write_number_with_format(row, 2, persons as f64, &s.total_label)?;
    ws.write_number_with_format(row, 3, lines as f64, &s.total_label)?;
    ws.write_number_with_format(row, 4, xlsx_number(amount), &s.total_money)?;
    print_setup(ws, 3)
}

fn exceptions_sheet(wb: &mut Workbook, run: &PayRun, s: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet_with_constant_memory()?.set_name("异常")?;
    // 原因类别 (the Chinese label) for people, the code for scripts in the last column.
    let cols: [(&str, f64); 9] = [
        ("序号", 6.0),
        ("姓名", 9.0),
        ("身份证号", 21.0),
        ("类别", 16.0),
        ("乡镇（街道）", 12.0),
        ("项目", 12.0),
        ("原因类别", 20.0),
        ("未发放原因", 64.0),
        ("原因代码", 26.0),
    ];
    let last_col = (cols.len() - 1) as u16;
    let title = format!("{}优抚资金未发放人员清单", month_title(run.config, run.month));
    title_rows(
        ws,
        s,
        &title,
        last_col,
        &format!("单位：{}", run.config.unit),
        &format!("未发放{}人次，应追缴{}笔", run.batch.exceptions.len(), run.batch.recoveries.len()),
    )?;
    for (c, (t, w)) in cols.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *t, &s.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for (n, e) in run.batch.exceptions.iter().enumerate() {
        let row = 3 + n as u32;
        let r = &run.roster[e.recipient];
        ws.write_number_with_format(row, 0, (n + 1) as f64, &s.center)?;
        ws.write_string_with_format(row, 1, &*r.name, &s.text)?;
        ws.write_string_with_format(row, 2, r.id.as_str(), &s.text)?;
        ws.write_string_with_format(row, 3, &*r.category, &s.text)?;
        ws.write_string_with_format(row, 4, &*r.town, &s.text)?;
        ws.write_string_with_format(row, 5, e.item.as_deref().unwrap_or("全部"), &s.text)?;
        ws.write_string_with_format(row, 6, e.kind.label(), &s.text)?;
        ws.write_string_with_format(row, 7, &e.reason, &s.wrap)?;
        ws.write_string_with_format(row, 8, e.kind.code(), &s.text)?;
        fit_row(ws, row, &e.reason, 64)?;
    }
    // Overpayments found against the ledger: listed for 追缴, never netted.
    let first = 3 + run.batch.exceptions.len() as u32;
    for (n, rc) in run.batch.recoveries.iter().enumerate() {
        let row = first + n as u32;
        let r = &run.roster[rc.recipient];
        ws.write_number_with_format(row, 0, (run.batch.exceptions.len() + n + 1) as f64, &s.center)?;
        ws.write_string_with_format(row, 1, &*r.name, &s.text)?;
        ws.write_string_with_format(row, 2, r.id.as_str(), &s.text)?;
        ws.write_string_with_format(row, 3, &*r.category, &s.text)?;
        ws.write_string_with_format(row, 4, &*r.town, &s.text)?;
        ws.write_string_with_format(row, 5, &rc.item, &s.text)?;
        ws.write_string_with_format(row, 6, ExceptionKind::Overpaid.label(), &s.text)?;
        ws.write_string_with_format(row, 8, ExceptionKind::Overpaid.code(), &s.text)?;
        let reason = format!(
            "多发待追缴：{}应发{}元，已发{}元，多发{}元",
            rc.period,
            format_yuan(rc.entitled),
            format_yuan(rc.paid),
            format_yuan(rc.overpaid)
        );
        ws.write_string_with_format(row, 7, &reason, &s.wrap)?;
        fit_row(ws, row, &reason, 64)?;
    }
    print_setup(ws, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    /// A writer that fails after `room` bytes, as a full disk does.
    struct Full {
        room: usize,
        written: usize,
    }

    impl std::io::Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.written + buf.len() > self.room {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            self.written += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The first error is returned and kept; what comes after it is swallowed (so a zip writer's drop, trying once
    /// more, succeeds silently), and nothing more reaches the file.
    #[test]
    fn first_error_is_kept_and_the_rest_swallowed() {
        let mut w = FirstError { inner: Full { room: 4, written: 0 }, error: None };
        w.write_all(b"abc").unwrap();
        assert_eq!(w.write_all(b"def").unwrap_err().kind(), std::io::ErrorKind::StorageFull);
        w.write_all(b"ghi").unwrap();
        w.flush().unwrap();
        assert_eq!(w.inner.written, 3);
        assert_eq!(w.error.map(|e| e.kind()), Some(std::io::ErrorKind::StorageFull));
    }

    /// A whole workbook saved into a writer that runs out of room fails, and the kept error is the disk's; the zip
    /// writer's drop finds a writer that accepts everything.
    #[test]
    fn a_workbook_saved_to_a_full_disk_fails_with_the_disks_error() {
        let mut wb = Workbook::new();
        wb.add_worksheet().write_string(0, 0, "张三").unwrap();
        let mut out = FirstError { inner: Full { room: 100, written: 0 }, error: None };
        let saved = wb.save_to_writer(&mut out);
        // (rust_xlsxwriter gives the error back wrapped as a zip error; `save` returns the kept one.)
        assert!(saved.is_err());
        assert_eq!(out.error.map(|e| e.kind()), Some(std::io::ErrorKind::StorageFull));
        assert!(out.inner.written <= 100);
    }
}
