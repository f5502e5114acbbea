//! Formatting the numbers of the output files into a reused buffer, without a temporary String per field:
//! an amount as `format_yuan` writes it, a 所属期 as `YearMonth` displays it; and `CsvOut`, the CSV lines of the
//! large files as the csv crate writes them (but for text a spreadsheet would run as a formula, neutralised as
//! OWASP advises). Same text, tested against each.

use crate::domain::YearMonth;
use crate::domain::money::format_yuan;
use rust_decimal::Decimal;
use std::io::{self, Write};

/// Append the decimal digits of `n` (itoa: two digits per step from a table, where `format!` would go through
/// `fmt` machinery for each of the millions of numbers in a province's files).
pub fn push_u64(buf: &mut Vec<u8>, n: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Append `format_yuan(amount)` (two decimals).
pub fn push_yuan(buf: &mut Vec<u8>, amount: Decimal) {
    let mut a = amount;
    a.rescale(2);
    let m = a.mantissa();
    // rescale(2) keeps the value when it fits; a negative or an amount beyond u64 分 takes the slow path.
    if a.scale() != 2 || m < 0 || a.is_sign_negative() || m > i128::from(u64::MAX) {
        buf.extend_from_slice(format_yuan(amount).as_bytes());
        return;
    }
    let fen = m as u64;
    push_u64(buf, fen / 100);
    buf.push(b'.');
    buf.push(b'0' + (fen % 100 / 10) as u8);
    buf.push(b'0' + (fen % 10) as u8);
}

/// Append `month.to_string()` (`2024-03`).
pub fn push_month(buf: &mut Vec<u8>, month: YearMonth) {
    let y = month.year();
    if !(0..=9999).contains(&y) {
        buf.extend_from_slice(month.to_string().as_bytes());
        return;
    }
    let y = y as u32;
    buf.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (month.month() / 10) as u8,
        b'0' + (month.month() % 10) as u8,
    ]);
}

/// A CSV writer for the large files, built up in one reused buffer: the bytes the csv crate writes with its
/// delimiter (`,` unless given), `"`, CRLF line ends and its default quoting (a field is quoted only when it holds
/// the delimiter, `"`, CR or LF, and a `"` inside is doubled; a line with nothing on it is written `""`) — except
/// that a text a spreadsheet would run as a formula is written `'`-prefixed and quoted (`formula_like`). Every
/// CSV file youfu writes goes through here.
/// payments.csv of a province is 1.6 million lines; through the csv crate its writing was the longest thread of
/// `pay`. Against the csv crate's `write_byte_record` with a reused record (examples/csv_write.rs, 1M lines of
/// ten fields, the same 119 MB): 204-218 ms against 339-361 ms, best of 5, twice.
pub struct CsvOut<W: Write> {
    out: W,
    buf: Vec<u8>,
    delimiter: u8,
    /// No field written yet on the current line.
    line_start: bool,
    /// Where the current line begins in `buf`.
    line_at: usize,
}

/// Bytes kept before they are written out.
const CSV_BUFFER: usize = 1 << 16;

impl<W: Write> CsvOut<W> {
    pub fn new(out: W) -> CsvOut<W> {
        CsvOut::with_delimiter(out, b',')
    }

    /// Fields separated by `delimiter` (an ASCII byte other than `"`, CR and LF; the bank's layout may ask for
    /// `|` or a tab).
    pub fn with_delimiter(out: W, delimiter: u8) -> CsvOut<W> {
        debug_assert!(delimiter.is_ascii() && !matches!(delimiter, b'"' | b'\r' | b'\n'));
        CsvOut { out, buf: Vec::with_capacity(CSV_BUFFER + 4096), delimiter, line_start: true, line_at: 0 }
    }

    /// Start a field and give the buffer to write it into, as is: only for text that never needs quoting and is
    /// never taken for a formula (digits, a month, an amount — a negative amount too, which a spreadsheet reads as
    /// the number it is).
    pub fn raw(&mut self) -> &mut Vec<u8> {
        if !std::mem::replace(&mut self.line_start, false) {
            self.buf.push(self.delimiter);
        }
        &mut self.buf
    }

    /// A field of any text, quoted when it must be; text that a spreadsheet would run as a formula is written
    /// `'`-prefixed and quoted (`formula_like`).
    pub fn field(&mut self, text: &[u8]) {
        if formula_like(text) {
            let buf = self.raw();
            buf.extend_from_slice(b"\"'");
            quoted_rest(buf, text);
            return;
        }
        // No early exit: the whole-slice fold is vectorised, and fields are short.
        let d = self.delimiter;
        let special = text.iter().fold(false, |acc, &b| acc | matches!(b, b'"' | b'\r' | b'\n') | (b == d));
        let buf = self.raw();
        if !special {
            buf.extend_from_slice(text);
            return;
        }
        buf.push(b'"');
        quoted_rest(buf, text);
    }

    /// End the line.
    pub fn end_record(&mut self) -> io::Result<()> {
        if self.buf.len() == self.line_at {
            // Nothing on the line (one empty field): quoted, so that the line is not read as no line at all.
            self.buf.extend_from_slice(b"\"\"");
        }
        self.buf.extend_from_slice(b"\r\n");
        self.line_start = true;
        if self.buf.len() >= CSV_BUFFER {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.line_at = self.buf.len();
        Ok(())
    }

    /// A whole line of text fields.
    pub fn record<T: AsRef<[u8]>>(&mut self, fields: impl IntoIterator<Item = T>) -> io::Result<()> {
        for f in fields {
            self.field(f.as_ref());
        }
        self.end_record()
    }

    /// Write what is left and flush; the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        debug_assert!(self.line_start, "a line was left open");
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The inside of a quoted field after its opening `"`: the text with each `"` doubled, and the closing `"`.
fn quoted_rest(buf: &mut Vec<u8>, text: &[u8]) {
    for part in text.split_inclusive(|&b| b == b'"') {
        buf.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            buf.push(b'"');
        }
    }
    buf.push(b'"');
}

/// Whether Excel or WPS, opening the CSV, would take this text for a formula (OWASP, "CSV Injection"): it begins
/// with `=`, `+`, `-`, `@`, a tab or a CR, or with one of the first four after spaces and line breaks (a name
/// pasted with a space or tab in front of it). Such a field is written `'`-prefixed and quoted, as OWASP advises:
/// the spreadsheet shows it as text, the `'` visible. Only text goes through here: the writers put amounts
/// (negative ones too), months and counts in with `raw`, so a number is never changed. Real names, towns and
/// banks begin with a Chinese character (a byte ≥ 0x80): one comparison of the first byte decides them.
pub fn formula_like(text: &[u8]) -> bool {
    match text.first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => true,
        Some(b' ' | b'\n') => {
            matches!(text.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')), Some(b'=' | b'+' | b'-' | b'@'))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn yuan(d: Decimal) -> String {
        let mut b = Vec::new();
        push_yuan(&mut b, d);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn amounts_and_months_read_as_before() {
        assert_eq!(yuan(dec!(8889.17)), "8889.17");
        assert_eq!(yuan(dec!(600)), "600.00");
        assert_eq!(yuan(dec!(0)), "0.00");
        assert_eq!(yuan(dec!(0.5)), "0.50");
        assert_eq!(yuan(dec!(202652622.61)), "202652622.61");
        assert_eq!(yuan(dec!(-12.3)), "-12.30");
        // more decimals than 分 (never in a batch): rounded as format_yuan rounds
        assert_eq!(yuan(dec!(1.005)), format_yuan(dec!(1.005)));
        let mut b = Vec::new();
        push_month(&mut b, "2024-03".parse().unwrap());
        b.push(b',');
        push_month(&mut b, "1900-12".parse().unwrap());
        assert_eq!(String::from_utf8(b).unwrap(), "2024-03,1900-12");
        let mut b = Vec::new();
        push_u64(&mut b, 0);
        push_u64(&mut b, u64::MAX);
        assert_eq!(String::from_utf8(b).unwrap(), "018446744073709551615");
    }

    /// `fields` as the csv crate writes them (as payments.csv and bank.csv were written before `CsvOut`).
    fn by_csv_crate_with(lines: &[Vec<String>], delimiter: u8) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(Vec::new());
        for line in lines {
            w.write_record(line).unwrap();
        }
        w.into_inner().unwrap()
    }

    fn by_csv_out_with(lines: &[Vec<String>], delimiter: u8) -> Vec<u8> {
        let mut w = CsvOut::with_delimiter(Vec::new(), delimiter);
        for line in lines {
            w.record(line).unwrap();
        }
        w.finish().unwrap()
    }

    fn by_csv_crate(lines: &[Vec<String>]) -> Vec<u8> {
        by_csv_crate_with(lines, b',')
    }

    fn by_csv_out(lines: &[Vec<String>]) -> Vec<u8> {
        by_csv_out_with(lines, b',')
    }

    #[test]
    fn csv_out_quotes_as_the_csv_crate_does() {
        let line = |fields: &[&str]| fields.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        let lines = vec![
            line(&["身份证号", "姓名", "金额"]),
            line(&["a,b", "say \"hi\"", "two\r\nlines", "", " spaced ", "\"", "x\ny"]),
        ];
        let expected =
            "身份证号,姓名,金额\r\n\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",, spaced ,\"\"\"\",\"x\ny\"\r\n";
        assert_eq!(String::from_utf8(by_csv_out(&lines)).unwrap(), expected);
        assert_eq!(by_csv_crate(&lines), expected.as_bytes());
        // raw fields go in as they are, with the separators around them
        let mut w = CsvOut::new(Vec::new());
        push_u64(w.raw(), 12);
        w.field(b"a");
        push_month(w.raw(), "2024-03".parse().unwrap());
        w.end_record().unwrap();
        assert_eq!(w.finish().unwrap(), b"12,a,2024-03\r\n");
    }

    #[test]
    fn csv_out_with_another_delimiter_and_empty_lines() {
        let line = |fields: &[&str]| fields.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        let lines = vec![line(&["a|b", "c,d", "e\tf"]), line(&[""]), line(&[]), line(&["", ""]), line(&["x"])];
        // `|` quotes the first field and not the second; a line with nothing on it is `""`, two empty fields are
        // the delimiter alone.
        let expected = "\"a|b\"|c,d|e\tf\r\n\"\"\r\n\"\"\r\n|\r\nx\r\n";
        assert_eq!(String::from_utf8(by_csv_out_with(&lines, b'|')).unwrap(), expected);
        assert_eq!(by_csv_crate_with(&lines, b'|'), expected.as_bytes());
        let tab = "a|b\tc,d\t\"e\tf\"\r\n\"\"\r\n\"\"\r\n\t\r\nx\r\n";
        assert_eq!(String::from_utf8(by_csv_out_with(&lines, b'\t')).unwrap(), tab);
        assert_eq!(by_csv_crate_with(&lines, b'\t'), tab.as_bytes());
    }

    #[test]
    fn csv_out_writes_through_its_buffer_in_order() {
        // more than one buffer's worth, so the flushes in the middle are exercised
        let lines: Vec<Vec<String>> =
            (0..5000).map(|i| vec![i.to_string(), format!("名,{i}"), "x".repeat(i % 40)]).collect();
        assert_eq!(by_csv_out(&lines), by_csv_crate(&lines));
    }

    /// Text a spreadsheet would run is `'`-prefixed and quoted; text that merely contains such a character, and
    /// numbers written raw (a negative amount), are as they were.
    #[test]
    fn formula_like_text_is_neutralised_and_numbers_are_not() {
        let mut w = CsvOut::new(Vec::new());
        for f in [
            "=HYPERLINK(\"http://x\",\"点击\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "  =1",
            "\n-1",
            "张=三",
            " 张三",
            "",
            "\t",
        ] {
            w.field(f.as_bytes());
        }
        push_yuan(w.raw(), dec!(-12.3));
        w.end_record().unwrap();
        assert_eq!(
            String::from_utf8(w.finish().unwrap()).unwrap(),
            concat!(
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"点击\"\")\",",
                "\"'+1+cmd|' /C calc'!A0\",",
                "\"'-2+3\",",
                "\"'@SUM(A1)\",",
                "\"'\t=1\",",
                "\"'\r=1\",",
                "\"'  =1\",",
                "\"'\n-1\",",
                "张=三,",
                " 张三,",
                ",",
                "\"'\t\",",
                "-12.30\r\n"
            )
        );
    }

    /// What a spreadsheet (or the csv crate) reads back from a field: the text, `'`-prefixed when formula-like.
    fn neutralised(text: &str) -> String {
        if formula_like(text.as_bytes()) { format!("'{text}") } else { text.to_string() }
    }

    proptest! {
        /// Lines without formula-like text are the csv crate's bytes; with it, the csv crate reads back every
        /// field as it was, formula-like ones `'`-prefixed (so none begins like a formula any more).
        #[test]
        fn csv_out_is_the_csv_crate(lines in proptest::collection::vec(
            proptest::collection::vec("[a-c,|\t\"\r\n 优抚=+@-]{0,6}", 0..5), 0..6),
            delimiter in proptest::sample::select(vec![b',', b'|', b'\t', b';'])) {
            let written = by_csv_out_with(&lines, delimiter);
            if !lines.iter().flatten().any(|f| formula_like(f.as_bytes())) {
                prop_assert_eq!(&written, &by_csv_crate_with(&lines, delimiter));
            }
            let read: Vec<Vec<String>> = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(&written[..])
                .records()
                .map(|r| r.unwrap().iter().map(str::to_string).collect())
                .collect();
            // A line with no field is read as one empty field.
            let expected: Vec<Vec<String>> = lines
                .iter()
                .map(|l| if l.is_empty() { vec![String::new()] } else { l.iter().map(|f| neutralised(f)).collect() })
                .collect();
            prop_assert_eq!(read, expected);
        }

        #[test]
        fn push_yuan_is_format_yuan(fen in -10_000_000_000_000_000i64..10_000_000_000_000_000i64, scale in 0u32..4) {
            let d = Decimal::new(fen, scale);
            prop_assert_eq!(yuan(d), format_yuan(d));
        }

        #[test]
        fn push_month_is_display(y in 1900i32..=9999, m in 1u32..=12) {
            let ym: YearMonth = format!("{y:04}-{m:02}").parse().unwrap();
            let mut b = Vec::new();
            push_month(&mut b, ym);
            prop_assert_eq!(String::from_utf8(b).unwrap(), ym.to_string());
        }
    }
}
