//! Cell values as they come out of a sheet, and their normalisation: full-width → half-width, stray spaces,
//! numbers shown the way Excel shows them, and the many ways a date or a month is typed in a county office.

use crate::domain::YearMonth;
use crate::domain::money::decimal_from_cell_f64;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::str::FromStr;

/// One cell, as read. `Number` keeps the raw float only until a function of this module converts it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    /// Text exactly as typed (not yet normalised).
    Text(String),
    /// A numeric cell (Excel stores every number as a double).
    Number(f64),
    /// An integer cell (some .xls/.ods readers report these).
    Int(i64),
    Bool(bool),
    /// A cell with a date format (the serial number already converted).
    Date(NaiveDateTime),
    /// An error value such as `#N/A`.
    Error(String),
}

/// Accepted ways of writing a date, for messages.
pub const DATE_FORMS: &str = "2024-01-05、2024/1/5、2024.01.05、2024年1月5日、20240105，或设置为日期格式的单元格";
/// Accepted ways of writing a month, for messages.
pub const MONTH_FORMS: &str =
    "2024-01、2024/1、2024.01、2024年1月、202401，或完整日期（取其所在月份），或设置为日期格式的单元格";

/// Years a date in these files can plausibly have (birth, 入伍, 起发, 死亡, 确认, a standard's dates). A date is
/// parsed whatever its year (so that the message can say what it was read as); `RowView::date`/`month` and
/// `unfit_cells` refuse one outside this range. Dates that contradict the person's other dates or the day of the
/// run (a death not yet happened) are the pure core's to find (`compute::dates`).
pub const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// The serial number of a date cell, for messages about a date outside `PLAUSIBLE_YEARS` (the number the user
/// finds when the cell is set to 常规/General): Excel's (1900 date system, with its phantom 1900-02-29, so one
/// less before 1900-03-01); before 1900, which Excel has no serial for, LibreOffice's (an .ods or .xls it saved),
/// which counts from 1899-12-30.
pub fn excel_serial(date: NaiveDate) -> i64 {
    let days = (date - NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid date")).num_days();
    if (2..61).contains(&days) { days - 1 } else { days }
}

/// Full-width digits, letters and the ideographic space → half-width; zero-width characters dropped.
/// Other full-width punctuation (（），：) is left alone: it is ordinary Chinese text.
fn half_width_char(c: char) -> Option<char> {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0),
        '\u{3000}' | '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => Some(' '),
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
        c if c.is_whitespace() => Some(' '),
        c => Some(c),
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0x20000..=0x2FFFF)
}

/// Normalise typed text: full-width digits/letters/space → half-width, trimmed, runs of spaces collapsed to one,
/// and spaces next to a Chinese character removed ("张　三" → "张三", " １２３ " → "123").
pub fn normalize_text(s: &str) -> String {
    let mut out = String::new();
    push_normalized(s, &mut out);
    out
}

/// Already normal and without any space: what `normalize_text` and `compact` return unchanged.
fn is_plain(s: &str) -> bool {
    // Every character normalising changes starts with one of these bytes: ASCII white space, or the lead byte of
    // U+0080–U+00FF (C2: U+0085, U+00A0), U+1000–U+1FFF (E1: U+1680), U+2000–U+2FFF (E2: the spaces and
    // zero-width characters), U+3000–U+3FFF (E3: the ideographic space), U+F000–U+FFFF (EF: full-width forms,
    // U+FEFF). Text without any (Chinese characters start with E4–E9) is plain, found without decoding it.
    !s.bytes().fold(false, |seen, b| seen | MAY_CHANGE[b as usize])
        || s.chars().all(|c| c != ' ' && half_width_char(c) == Some(c))
}

/// The bytes `is_plain` looks for, as a table: one load per byte and no branch (most cells are short, and this
/// runs over every cell several times).
static MAY_CHANGE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b as u8, b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF);
        b += 1;
    }
    t
};

/// `normalize_text` without a copy when the text is already normal (most cells).
pub fn normalized(s: &str) -> Cow<'_, str> {
    if is_plain(s) { Cow::Borrowed(s) } else { Cow::Owned(normalize_text(s)) }
}

/// `compact` without a copy when there is nothing to change.
pub fn compacted(s: &str) -> Cow<'_, str> {
    if is_plain(s) { Cow::Borrowed(s) } else { Cow::Owned(compact(s)) }
}

/// `normalize_text` appended to `out` (no allocation of its own).
pub fn push_normalized(s: &str, out: &mut String) {
    // Fast path (most cells): nothing to convert, drop or collapse.
    if is_plain(s) {
        out.push_str(s);
        return;
    }
    let chars: Vec<char> = s.chars().filter_map(half_width_char).collect();
    out.reserve(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            let start = i;
            while i < chars.len() && chars[i] == ' ' {
                i += 1;
            }
            let before = (start > 0).then(|| chars[start - 1]);
            let after = chars.get(i).copied();
            let keep = matches!((before, after), (Some(b), Some(a)) if !is_cjk(b) && !is_cjk(a));
            if keep {
                out.push(' ');
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
}

/// `normalize_text` with every space removed (身份证号, 银行账号, codes).
pub fn compact(s: &str) -> String {
    let mut t = normalize_text(s);
    t.retain(|c| c != ' ');
    t
}

/// Blank: empty, or text that is only spaces.
pub fn is_blank(cell: &Cell) -> bool {
    match cell {
        Cell::Empty => true,
        // Same as `normalize_text(t).is_empty()`, without building the text.
        Cell::Text(t) => t.chars().all(|c| matches!(half_width_char(c), None | Some(' '))),
        _ => false,
    }
}

/// A number as Excel's General format shows it: up to 15 significant digits, and scientific notation
/// (`1.10105E+17`) for 12 or more integer digits. Never the digits a long number has lost.
pub fn general_number(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e11 {
        let s = format!("{v:.5E}"); // e.g. "1.10105E17"
        let (mantissa, exp) = s.split_once('E').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        let exp: i32 = exp.parse().unwrap_or(0);
        return format!("{mantissa}E{}{exp:02}", if exp < 0 { '-' } else { '+' });
    }
    match decimal_from_cell_f64(v) {
        Some(d) => d.normalize().to_string(),
        None => v.to_string(),
    }
}

/// `YYYY-MM-DD` (and ` HH:MM:SS` when there is a time), as chrono's `%Y-%m-%d %H:%M:%S` writes it. Formatted by
/// hand for years 0–9999: chrono parses its format string on every call, and a province's .xlsx roster has
/// millions of date cells.
fn datetime_text(dt: &NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    let midnight = dt.time() == chrono::NaiveTime::MIN;
    if !(0..=9999).contains(&dt.year()) {
        let format = if midnight { "%Y-%m-%d" } else { "%Y-%m-%d %H:%M:%S" };
        return dt.format(format).to_string();
    }
    let (y, m, d) = (dt.year(), dt.month(), dt.day());
    if midnight {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", dt.hour(), dt.minute(), dt.second())
    }
}

/// The cell as the user sees it in Excel (for messages): text as typed, numbers in General format.
pub fn display(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(t) => t.clone(),
        Cell::Number(v) => general_number(*v),
        Cell::Int(i) => general_number(*i as f64),
        Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Cell::Date(dt) => datetime_text(dt),
        Cell::Error(e) => e.clone(),
    }
}

/// The normalised text value of a cell (what `Recipient.attrs` holds): text normalised, numbers as Excel shows
/// them, dates as `YYYY-MM-DD`.
pub fn text(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => normalize_text(t),
        other => display(other),
    }
}

/// `text` without a copy for a text cell that is already normal.
pub fn text_ref(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Text(t) => normalized(t),
        Cell::Empty => Cow::Borrowed(""),
        other => Cow::Owned(display(other)),
    }
}

/// `text` appended to `out`.
pub fn push_text(cell: &Cell, out: &mut String) {
    match cell {
        Cell::Text(t) => push_normalized(t, out),
        Cell::Empty => {}
        other => out.push_str(&display(other)),
    }
}

/// Full-width punctuation used in dates and numbers → ASCII, after `compact`.
fn compact_punct(s: &str) -> String {
    compact(s)
        .chars()
        .map(|c| match c {
            '．' | '。' => '.',
            '－' | '—' | '–' => '-',
            '／' => '/',
            '：' => ':',
            '，' => ',',
            c => c,
        })
        .collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Year, month and (when written) day of a typed date or month, checked for range and existence.
fn parse_ymd(text: &str) -> Option<(i32, u32, Option<u32>)> {
    // Fast path: short ASCII made of digits and the separators - / . only (how almost every date is typed) is
    // what the full path below sees after its normalisation, so its parts are read in place.
    let b = text.as_bytes();
    if b.len() <= 16 && b.iter().all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'/' | b'.')) {
        let mut buf = [0u8; 16];
        for (o, c) in buf.iter_mut().zip(b) {
            *o = if c.is_ascii_digit() { *c } else { b'-' };
        }
        let t = std::str::from_utf8(&buf[..b.len()]).expect("ASCII");
        return ymd_of(t.strip_suffix('-').unwrap_or(t));
    }
    parse_ymd_full(text)
}

/// `parse_ymd` for any text.
fn parse_ymd_full(text: &str) -> Option<(i32, u32, Option<u32>)> {
    // Drop a time of day: "2024-01-05 00:00:00", "2024-01-05T08:30".
    let trimmed = normalize_text(text);
    let date_part = match trimmed.split_once([' ', 'T']) {
        Some((d, time)) if !time.is_empty() && time.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '.') => d,
        _ => trimmed.as_str(),
    };
    let t = compact_punct(date_part);
    let t = t.strip_suffix(['日', '号']).unwrap_or(&t);
    let t: String = t.chars().map(|c| if matches!(c, '年' | '月' | '.' | '/') { '-' } else { c }).collect();
    ymd_of(t.strip_suffix('-').unwrap_or(&t))
}

/// Year, month and day of a date already reduced to digits and "-".
fn ymd_of(t: &str) -> Option<(i32, u32, Option<u32>)> {
    let mut it = t.split('-');
    let parts: [Option<&str>; 4] = [it.next(), it.next(), it.next(), it.next()];
    let parts: &[&str] = match parts {
        [Some(a), None, ..] => &[a],
        [Some(a), Some(b), None, _] => &[a, b],
        [Some(a), Some(b), Some(c), None] => &[a, b, c],
        _ => return None,
    };
    let (y, m, d): (&str, &str, Option<&str>) = match parts {
        [all] if all_digits(all) && all.len() == 8 => (&all[..4], &all[4..6], Some(&all[6..])),
        [all] if all_digits(all) && all.len() == 6 => (&all[..4], &all[4..], None),
        [y, m] => (y, m, None),
        [y, m, d] => (y, m, Some(d)),
        _ => return None,
    };
    if y.len() != 4 || !all_digits(y) || !all_digits(m) || m.len() > 2 {
        return None;
    }
    if let Some(d) = d
        && (!all_digits(d) || d.len() > 2)
    {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let month: u32 = m.parse().ok()?;
    let day: Option<u32> = match d {
        Some(d) => Some(d.parse().ok()?),
        None => None,
    };
    if !(1..=12).contains(&month) {
        return None;
    }
    if let Some(day) = day {
        NaiveDate::from_ymd_opt(year, month, day)?;
    }
    Some((year, month, day))
}

/// A date typed as text.
pub fn parse_date_text(text: &str) -> Option<NaiveDate> {
    match parse_ymd(text)? {
        (y, m, Some(d)) => NaiveDate::from_ymd_opt(y, m, d),
        _ => None,
    }
}

/// A month typed as text (a full date gives its month).
pub fn parse_month_text(text: &str) -> Option<YearMonth> {
    let (y, m, _) = parse_ymd(text)?;
    YearMonth::new(y, m)
}

/// An Excel serial date (1900 date system; 45296 = 2024-01-05). The time of day is dropped. Serial 60 is
/// Excel's phantom 1900-02-29 and is refused, and so is a serial past year 9999 (Excel's last date, 2958465):
/// chrono would panic on a number of days that large.
pub fn serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..MAX_SERIAL).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    if days == 60 {
        return None;
    }
    // Day 1 is 1900-01-01; Excel counts a non-existent 1900-02-29 as day 60.
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let days = if days < 60 { days + 1 } else { days };
    epoch.checked_add_signed(chrono::Duration::days(days))
}

/// Beyond this serial (year 29349) a number is not read as a date at all; below it, a year past
/// `PLAUSIBLE_YEARS` is read and then refused by name (3000000 is year 10113).
const MAX_SERIAL: f64 = 10_000_000.0;

/// A plain number is taken as a serial date only from 1950-01-01 (serial 18264) on: no date these files carry
/// is earlier, and a smaller number is far more likely something else (2024.1 typed into a number cell).
const FIRST_PLAUSIBLE_SERIAL: f64 = 18264.0;

fn plausible_serial(v: f64) -> Option<NaiveDate> {
    if v < FIRST_PLAUSIBLE_SERIAL { None } else { serial_to_date(v) }
}

/// The integer value of a numeric cell, if it is a whole number.
fn whole_number(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Int(i) => Some(*i),
        Cell::Number(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 => Some(*v as i64),
        _ => None,
    }
}

/// A date from a date cell, an Excel serial number, a number typed as 20240105, or text.
pub fn parse_date(cell: &Cell) -> Option<NaiveDate> {
    match cell {
        Cell::Date(dt) => Some(dt.date()),
        Cell::Text(t) => parse_date_text(t),
        Cell::Number(_) | Cell::Int(_) => {
            if let Some(n) = whole_number(cell)
                && (10_000_000..100_000_000).contains(&n)
            {
                return parse_date_text(&n.to_string());
            }
            match cell {
                Cell::Number(v) => plausible_serial(*v),
                Cell::Int(i) => plausible_serial(*i as f64),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A month from a date cell, an Excel serial number, a number typed as 202401 or 20240105, or text.
pub fn parse_month(cell: &Cell) -> Option<YearMonth> {
    if let Some(n) = whole_number(cell)
        && (100_000..1_000_000).contains(&n)
    {
        return parse_month_text(&n.to_string());
    }
    match cell {
        Cell::Text(t) => parse_month_text(t),
        other => parse_date(other).map(YearMonth::of),
    }
}

/// A plain number (服役年限 and the like) from a numeric cell or text such as "12", "12.5", "１２年".
pub fn parse_decimal(cell: &Cell) -> Option<Decimal> {
    match cell {
        Cell::Number(v) => decimal_from_cell_f64(*v),
        Cell::Int(i) => Some(Decimal::from(*i)),
        Cell::Text(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
            // Already plain (the common case): what the path below would parse.
            Decimal::from_str(t).ok()
        }
        Cell::Text(t) => {
            let t = compact_punct(t);
            let t = t.strip_suffix('年').unwrap_or(&t);
            if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') {
                return None;
            }
            Decimal::from_str(t).ok()
        }
        _ => None,
    }
}

/// Text that is a number Excel has already turned into scientific notation ("1.10105E+17"), as it appears in a
/// CSV saved from a sheet whose 身份证号 column held numbers.
pub fn looks_like_scientific(text: &str) -> bool {
    // No E at all (nearly every cell): not scientific, without normalising. Told from the bytes: the full-width
    // ｅ and Ｅ (U+FF45, U+FF25) both begin with 0xEF, so without e, E or 0xEF there is none of the four.
    if !text.bytes().fold(false, |seen, b| seen | matches!(b, b'e' | b'E' | 0xEF)) {
        return false;
    }
    scientific_by_chars(text)
}

/// `looks_like_scientific` without its byte pre-check (which only rules out texts with no e, E or full-width
/// letter).
fn scientific_by_chars(text: &str) -> bool {
    if !text.chars().any(|c| matches!(c, 'e' | 'E' | 'ｅ' | 'Ｅ')) {
        return false;
    }
    let t = compact(text).to_ascii_uppercase();
    let Some((mantissa, exp)) = t.split_once('E') else {
        return false;
    };
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && all_digits(exp)
}

/// Column letters as Excel shows them: 0 → A, 26 → AA.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push((b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    s.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    #[test]
    fn full_width_and_spaces() {
        assert_eq!(normalize_text("１２３"), "123");
        assert_eq!(normalize_text("１１０１０５１９４９１２３１００２Ｘ"), "11010519491231002X");
        assert_eq!(normalize_text("\u{3000}张\u{3000}三\u{00A0}"), "张三");
        assert_eq!(normalize_text("  a   b  "), "a b");
        assert_eq!(normalize_text("城关镇 （东街）"), "城关镇（东街）");
        assert_eq!(normalize_text("a\u{200B}b"), "ab");
        assert_eq!(compact(" 6222 0212 3456 "), "622202123456");
    }

    #[test]
    fn excel_general_display() {
        // 110105194912310021 as a double is 1.1010519491231002e17; General shows 6 significant digits.
        assert_eq!(general_number(110105194912310021.0), "1.10105E+17");
        assert_eq!(general_number(6222021234567890.0), "6.22202E+15");
        assert_eq!(general_number(8889.17), "8889.17");
        assert_eq!(general_number(12.0), "12");
        assert_eq!(display(&Cell::Int(45296)), "45296");
        assert_eq!(display(&Cell::Date(d(2024, 1, 5).and_hms_opt(0, 0, 0).unwrap())), "2024-01-05");
        // By hand as chrono writes it: years below 1000 padded, a time when there is one, chrono past 9999.
        for (y, mo, da, h, mi, se) in [
            (2024, 1, 5, 0, 0, 0),
            (999, 12, 31, 0, 0, 0),
            (1949, 10, 1, 15, 4, 9),
            (9999, 2, 28, 23, 59, 59),
            (10000, 1, 1, 0, 0, 0),
            (12345, 6, 7, 8, 9, 10),
        ] {
            let dt = d(y, mo, da).and_hms_opt(h, mi, se).unwrap();
            let chrono = dt.format(if (h, mi, se) == (0, 0, 0) { "%Y-%m-%d" } else { "%Y-%m-%d %H:%M:%S" }).to_string();
            assert_eq!(datetime_text(&dt), chrono, "{dt}");
        }
        assert_eq!(display(&Cell::Date(d(1949, 10, 1).and_hms_opt(15, 4, 9).unwrap())), "1949-10-01 15:04:09");
    }

    #[test]
    fn every_date_form() {
        for t in [
            "2024.01.05",
            "2024年1月5日",
            "2024/1/5",
            "2024-01-05",
            "20240105",
            "2024-01-05 00:00:00",
            "２０２４．０１．０５",
            "2024年01月05号",
        ] {
            assert_eq!(parse_date_text(t), Some(d(2024, 1, 5)), "{t}");
        }
        for t in ["2024-01", "2024.13.01", "2024-02-30", "24.1.5", "2024-1-5-6", "一九年", "", "45296"] {
            assert_eq!(parse_date_text(t), None, "{t}");
        }
        // Any four-digit year is read (and refused by name where it is checked against PLAUSIBLE_YEARS).
        assert_eq!(parse_date_text("1899-12-31"), Some(d(1899, 12, 31)));
        assert_eq!(parse_date_text("9999-12-31"), Some(d(9999, 12, 31)));
    }

    #[test]
    fn every_month_form() {
        for t in ["2024-01", "2024.01", "2024年1月", "2024/1", "202401", "2024-01-31", "2024年1月5日", "20240105"]
        {
            assert_eq!(parse_month_text(t), Some(ym(2024, 1)), "{t}");
        }
        for t in ["2024-13", "2024", "24-01", "2024/1/32"] {
            assert_eq!(parse_month_text(t), None, "{t}");
        }
    }

    #[test]
    fn serial_dates() {
        // 45296 days after 1899-12-30 is 2024-01-05 (2024-01-01 is serial 45292).
        assert_eq!(serial_to_date(45296.0), Some(d(2024, 1, 5)));
        assert_eq!(serial_to_date(45296.75), Some(d(2024, 1, 5)));
        assert_eq!(serial_to_date(1.0), Some(d(1900, 1, 1)));
        assert_eq!(serial_to_date(61.0), Some(d(1900, 3, 1)));
        assert_eq!(serial_to_date(60.0), None);
        assert_eq!(serial_to_date(0.0), None);
        assert_eq!(serial_to_date(-5.0), None);
        // Year 10113: read, so that the reader can say what it was read as; far beyond, not a date at all (and
        // no panic in chrono for 1e300 days).
        assert_eq!(serial_to_date(3_000_000.0), d(10113, 9, 19).into());
        assert_eq!(serial_to_date(1e300), None);
        assert_eq!(parse_date(&Cell::Number(1e300)), None);
        // The serial of a date cell, for messages: Excel's from 1900 (1 = 1900-01-01, 61 = 1900-03-01),
        // LibreOffice's before (−5 = 1899-12-25, 0 = 1899-12-30).
        assert_eq!(excel_serial(d(1899, 12, 25)), -5);
        assert_eq!(excel_serial(d(1899, 12, 30)), 0);
        assert_eq!(excel_serial(d(1900, 1, 1)), 1);
        assert_eq!(excel_serial(d(1900, 2, 28)), 59);
        assert_eq!(excel_serial(d(1900, 3, 1)), 61);
        assert_eq!(excel_serial(d(2024, 1, 5)), 45296);
        assert_eq!(parse_date(&Cell::Number(45296.0)), Some(d(2024, 1, 5)));
        assert_eq!(parse_date(&Cell::Int(20240105)), Some(d(2024, 1, 5)));
        assert_eq!(parse_month(&Cell::Number(202401.0)), Some(ym(2024, 1)));
        assert_eq!(parse_month(&Cell::Number(45296.0)), Some(ym(2024, 1)));
        // 2024.1 typed into a number cell could be January or October: refused.
        assert_eq!(parse_month(&Cell::Number(2024.1)), None);
        assert_eq!(parse_date(&Cell::Bool(true)), None);
        // serial 18263 would be 1949-12-31: a plain number that small is not taken as a date
        assert_eq!(parse_date(&Cell::Number(18263.0)), None);
        assert_eq!(parse_date(&Cell::Number(18264.0)), Some(d(1950, 1, 1)));
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal(&Cell::Number(12.0)), Some(dec!(12)));
        assert_eq!(parse_decimal(&Cell::Text("１２.5年".into())), Some(dec!(12.5)));
        assert_eq!(parse_decimal(&Cell::Text("十二".into())), None);
    }

    #[test]
    fn scientific_text() {
        assert!(looks_like_scientific("1.10105E+17"));
        assert!(looks_like_scientific("6.22202e15"));
        assert!(!looks_like_scientific("11010519491231002X"));
        assert!(!looks_like_scientific("E+17"));
    }

    /// The text `normalize_text` would build without the fast path, for checking the fast paths against.
    fn normalize_slow(s: &str) -> String {
        let mut out = String::new();
        let chars: Vec<char> = s.chars().filter_map(half_width_char).collect();
        for (i, &c) in chars.iter().enumerate() {
            if c != ' ' {
                out.push(c);
                continue;
            }
            let before = chars[..i].iter().rev().find(|c| **c != ' ');
            let after = chars[i..].iter().find(|c| **c != ' ');
            let first_of_run = i == 0 || chars[i - 1] != ' ';
            if first_of_run && matches!((before, after), (Some(b), Some(a)) if !is_cjk(*b) && !is_cjk(*a)) {
                out.push(' ');
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_agree_with_the_full_normalisation(
            s in "[ a-z0-9张三　０-９Ａ-Ｚ\\u{200B}\\u{FEFF}\\u{00A0}\\u{0085}\\u{1680}\\u{2028}\\u{3001}\t\n\x0b,.（）-]{0,12}"
        ) {
            proptest::prop_assert_eq!(normalize_text(&s), normalize_slow(&s));
            proptest::prop_assert_eq!(is_blank(&Cell::Text(s.clone())), normalize_slow(&s).is_empty());
            proptest::prop_assert_eq!(normalized(&s), normalize_slow(&s));
            proptest::prop_assert_eq!(compacted(&s), compact(&s));
        }

        #[test]
        fn scientific_text_is_told_alike_from_bytes_and_characters(s in "[0-9eEｅＥ．.+ 　xＸ\u{FF10}-\u{FF19}]{0,10}") {
            proptest::prop_assert_eq!(looks_like_scientific(&s), scientific_by_chars(&s));
        }

        #[test]
        fn the_date_fast_path_agrees_with_the_full_one(s in "[0-9./-]{0,12}|20[0-9]{2}[./-][0-9]{1,2}([./-][0-9]{1,2})?[./-]?") {
            proptest::prop_assert_eq!(parse_ymd(&s), parse_ymd_full(&s));
        }
    }

    #[test]
    fn fast_path_examples() {
        // Already normal: returned as is.
        assert_eq!(normalize_text("张三"), "张三");
        assert_eq!(normalize_text("6217000000000000004"), "6217000000000000004");
        // Not normal: full-width digits, ideographic space, zero-width space, spaces next to Chinese.
        assert_eq!(normalize_text("１２"), "12");
        assert_eq!(normalize_text("张　三"), "张三");
        assert_eq!(normalize_text("\u{200B}a  b "), "a b");
        assert!(is_blank(&Cell::Text(" \u{3000}\u{200B} ".into())));
        assert!(!is_blank(&Cell::Text(" x ".into())));
    }

    #[test]
    fn push_text_appends_the_normalised_text() {
        let mut out = String::from("a|");
        push_text(&Cell::Text("张　三 ".into()), &mut out);
        push_text(&Cell::Empty, &mut out);
        out.push('|');
        push_text(&Cell::Number(8889.17), &mut out);
        out.push('|');
        push_text(&Cell::Text("城关镇".into()), &mut out);
        assert_eq!(out, "a|张三|8889.17|城关镇");
    }
}
