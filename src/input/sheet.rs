//! A file → a `Table` of raw cells: the first sheet of an .xlsx/.xls/.ods workbook (calamine), or a CSV in
//! UTF-8 (with or without BOM) or GBK/GB18030 as Excel saves it in China. The format is told by content first
//! (zip or OLE signature), then by extension; a file that is none of these is refused, never guessed at.

pub use super::cells::Cell;
use super::limits;
use crate::domain::{Location, Problem, Problems};
use crate::parallel::{Ahead, Feed};
use calamine::{Data, Reader, open_workbook_auto_from_rs};
use chrono::{NaiveDate, NaiveDateTime};
use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};
use std::borrow::Cow;
use std::io::Cursor;
use std::path::Path;

/// The cells of one sheet, rows in order with the row numbers Excel shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The path as the user typed it.
    pub file: String,
    /// The sheet name (`None` for CSV).
    pub sheet: Option<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    /// 1-based row number as Excel/WPS shows it.
    pub excel_row: u32,
    /// Cells from column A (index 0) on.
    pub cells: Vec<Cell>,
}

impl Table {
    /// A CSV (the only table without a sheet): each row's cells are exactly its record's fields, where a
    /// workbook's row ends at its last cell.
    pub fn fields_exact(&self) -> bool {
        self.sheet.is_none()
    }

    /// Location of the file and sheet.
    pub fn location(&self) -> Location {
        Location::file(self.file.clone()).with_sheet(self.sheet.clone())
    }
}

impl Row {
    /// The cell at `index` (an absent cell is `Empty`).
    pub fn cell(&self, index: usize) -> &Cell {
        self.cells.get(index).unwrap_or(&Cell::Empty)
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const WORKBOOK_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "xlsb", "ods", "et"];

fn not_a_spreadsheet(file: &str, message: &str, hint: &str) -> Problems {
    Problem::new("NOT_A_SPREADSHEET", format!("无法作为表格读取：{message}")).at(Location::file(file)).hint(hint).into()
}

const SAVE_AS_HINT: &str = "请确认选择的文件正确；请用 Excel 或 WPS 打开后另存为 .xlsx 再试。";

/// Read the first sheet of a workbook, or a CSV file.
pub fn read_table(path: &Path) -> Result<Table, Problems> {
    collect(RowReader::open(path)?)
}

fn collect(mut reader: RowReader) -> Result<Table, Problems> {
    let mut rows = Vec::new();
    let mut row = Row::default();
    while reader.next_row(&mut row)? {
        rows.push(row.clone());
    }
    Ok(reader.into_table(rows))
}

/// The rows of a sheet read one at a time into a reused `Row`, so a large file is never held as cells twice.
pub struct RowReader<'a> {
    file: String,
    sheet: Option<String>,
    source: Source<'a>,
}

enum Source<'a> {
    /// A CSV over its (decoded) bytes, which are kept for telling the Excel row numbers.
    Csv(Box<CsvSource<'a>>),
    /// The first sheet of a workbook.
    Range { range: calamine::Range<Data>, next: usize, first_row: u32, pad: usize },
    /// Rows already read.
    Rows(std::slice::Iter<'a, Row>),
    /// The first sheet of an .xlsx, parsed on its own thread and handed over in batches of rows, so the sheet is
    /// never held whole (a province's roster is a million rows) and parsing runs beside the conversion.
    Stream(Box<XlsxStream>),
}

/// The receiving end of `stream_xlsx`: batches of rows, or the refusal that ends the sheet; batches read go back
/// to the parsing thread for reuse.
struct XlsxStream {
    rows: Ahead<Result<Vec<Row>, Problems>, Vec<Row>>,
    batch: Vec<Row>,
    /// The next row of `batch` to hand out.
    next: usize,
    done: bool,
}

struct CsvSource<'a> {
    /// Over the whole text, or (for a part of a file read on its own thread) a borrowed piece of it.
    reader: csv::Reader<Cursor<Cow<'a, [u8]>>>,
    delimiter: u8,
    /// Lines of the file before the text read (for a part: its first line number − 1).
    line_offset: u64,
    /// Where the text starts in the bytes (after a byte-order mark).
    base: usize,
    /// Bytes, not a `StringRecord`: the whole text is UTF-8 already (see `field_text`).
    record: csv::ByteRecord,
    count: u64,
    embedded_breaks: u64,
    /// `RowReader::records_at_most` before any record is read, when `split` counted it already.
    records_at_most: Option<usize>,
    /// The file whose bytes the text is, unchanged (a UTF-8 file): `split_from_file` reads its pieces back from
    /// it rather than keep the whole text while the rows are converted.
    path: Option<std::path::PathBuf>,
}

/// Where one piece of a split CSV lies in its text, its first line number − 1, and at most how many records it
/// holds.
struct Cut {
    range: std::ops::Range<usize>,
    line_offset: u64,
    records_at_most: usize,
}

/// A part of a split CSV: a reader over a piece of text in memory (`RowReader::split`) or a piece of a file to
/// read when it is opened (`RowReader::split_from_file`).
pub enum Part<'a> {
    Reader(RowReader<'a>),
    Piece(CsvPiece),
}

impl<'a> Part<'a> {
    /// The part of `reader` split into about `parts`: from the file when it can be read back (the text let go),
    /// else over the text in memory; `None` when the rows cannot be split (see `RowReader::split`).
    pub fn split(reader: &'a mut RowReader<'_>, parts: usize) -> Option<Vec<Part<'a>>> {
        if let Some(pieces) = reader.split_from_file(parts) {
            return Some(pieces.into_iter().map(Part::Piece).collect());
        }
        Some(reader.split(parts)?.into_iter().map(Part::Reader).collect())
    }

    pub fn records_at_most(&self) -> usize {
        match self {
            Part::Reader(r) => r.records_at_most(),
            Part::Piece(p) => p.records_at_most(),
        }
    }

    /// The part's reader; a piece of a file is read into `buf` (see `CsvPiece::open`).
    pub fn open<'b>(self, buf: &'b mut Vec<u8>) -> Result<RowReader<'b>, Problems>
    where
        'a: 'b,
    {
        match self {
            Part::Reader(r) => Ok(r),
            Part::Piece(p) => p.open(buf),
        }
    }
}

/// A piece of a CSV file's lines (`RowReader::split_from_file`), read from the file only when `open`ed.
pub struct CsvPiece {
    file: String,
    path: std::path::PathBuf,
    delimiter: u8,
    cut: Cut,
}

impl CsvPiece {
    /// At most how many records the piece holds (as `RowReader::records_at_most` of its reader).
    pub fn records_at_most(&self) -> usize {
        self.cut.records_at_most
    }

    /// The piece's reader, its bytes read from the file now into `buf`. A thread reads all its pieces into one
    /// buffer: a new one of some megabytes a piece left glibc's heap holed once they were freed (its mmap
    /// threshold rises to the size of the first freed), 70 MB more resident after reading a province's roster.
    pub fn open(self, buf: &mut Vec<u8>) -> Result<RowReader<'_>, Problems> {
        use std::io::{Read, Seek, SeekFrom};
        buf.clear();
        buf.resize(self.cut.range.len(), 0);
        let mut read = || -> std::io::Result<()> {
            let mut f = std::fs::File::open(&self.path)?;
            f.seek(SeekFrom::Start(self.cut.range.start as u64))?;
            f.read_exact(buf)
        };
        read().map_err(|e| io_problem(&self.file, &self.path, &e))?;
        let mut source = CsvSource::new(Cow::Borrowed(&buf[..]), 0, self.delimiter, self.cut.line_offset);
        source.records_at_most = Some(self.cut.records_at_most);
        Ok(RowReader { file: self.file, sheet: None, source: Source::Csv(Box::new(source)) })
    }
}

impl<'a> RowReader<'a> {
    /// Open the first sheet of a workbook, or a CSV file (refused as `read_table` refuses it).
    pub fn open(path: &Path) -> Result<RowReader<'static>, Problems> {
        let file = path.display().to_string();
        let bytes = read_file(&file, path)?;
        let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default();
        if is_xlsx(&bytes) {
            // Streamed; a file calamine cannot open as .xlsx is read back and refused as any other workbook.
            return match stream_xlsx(&file, bytes) {
                Some(reader) => Ok(reader),
                None => open_workbook(file.clone(), read_file(&file, path)?),
            };
        }
        if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) {
            return open_workbook(file, bytes);
        }
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
            .trim_start_matches('\u{FEFF}')
            .trim_start()
            .to_ascii_lowercase();
        if bytes.starts_with(b"%PDF") {
            return Err(not_a_spreadsheet(
                &file,
                "这是一个 PDF 文件，不是表格",
                "请选择 Excel/WPS 表格（.xlsx、.xls、.ods）或 CSV 文件。",
            ));
        }
        if head.starts_with("<!doctype html")
            || head.starts_with("<html")
            || head.starts_with("<table")
            || head.starts_with("<?xml")
        {
            return Err(not_a_spreadsheet(
                &file,
                "文件内容是网页（HTML/XML）格式，不是真正的 Excel 文件（有些系统导出的“.xls”其实是网页）",
                "请用 Excel 或 WPS 打开该文件后另存为 .xlsx 再试。",
            ));
        }
        let binary = count_bytes(&bytes, |b| matches!(b, 0x00..=0x08 | 0x0E..=0x1F)) > 0;
        let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
        if binary && !utf16 {
            let what = if WORKBOOK_EXTENSIONS.contains(&ext.as_str()) {
                format!("扩展名是 .{ext}，但内容不是 xlsx、xls 或 ods 格式（文件可能已损坏，或是改了扩展名的其他文件）")
            } else {
                "文件内容不是 xlsx、xls、ods 或 CSV 格式".to_string()
            };
            return Err(not_a_spreadsheet(&file, &what, SAVE_AS_HINT));
        }
        let mut reader = RowReader::csv(file, bytes)?;
        if let Source::Csv(c) = &mut reader.source
            && c.path.is_some()
        {
            c.path = Some(path.to_path_buf());
        }
        Ok(reader)
    }

    /// A CSV (comma- or tab-separated, told from the first line). Excel row numbers count records, as Excel
    /// shows them when it opens the file (a quoted line break stays inside its cell).
    pub fn csv(file: String, bytes: Vec<u8>) -> Result<RowReader<'static>, Problems> {
        let (text, base, as_is) = decode_bytes(&file, bytes)?;
        let body = &text[base..];
        let first_line = &body[..body.iter().position(|b| *b == b'\n').unwrap_or(body.len())];
        let count = |c: u8| first_line.iter().filter(|b| **b == c).count();
        let delimiter = if count(b'\t') > count(b',') { b'\t' } else { b',' };
        let mut source = CsvSource::new(Cow::Owned(text), base, delimiter, 0);
        // Not a path yet: `open` gives the file's (a CSV made from bytes in memory has none).
        source.path = as_is.then(std::path::PathBuf::new);
        Ok(RowReader { file, sheet: None, source: Source::Csv(Box::new(source)) })
    }

    /// The rows not read yet split into about `parts` readers of whole lines, to be read on threads of their own
    /// (in order, they give the rows this reader would): only for a CSV without any quote, where every line
    /// break ends a record. `None` otherwise.
    pub fn split(&self, parts: usize) -> Option<Vec<RowReader<'_>>> {
        let Source::Csv(c) = &self.source else {
            return None;
        };
        let text: &[u8] = c.reader.get_ref().get_ref();
        let readers = self.cuts(parts)?.into_iter().map(|cut| {
            let mut source = CsvSource::new(Cow::Borrowed(&text[cut.range]), 0, c.delimiter, cut.line_offset);
            source.records_at_most = Some(cut.records_at_most);
            RowReader { file: self.file.clone(), sheet: None, source: Source::Csv(Box::new(source)) }
        });
        Some(readers.collect())
    }

    /// As `split`, for a CSV file whose text is its bytes as they are (UTF-8): the pieces are read back from the
    /// file as they are opened, and this reader lets its text go (it reads no row after), so a province's roster
    /// is not held whole beside the recipients converted from it. `None` (the text kept) otherwise.
    pub fn split_from_file(&mut self, parts: usize) -> Option<Vec<CsvPiece>> {
        let Source::Csv(c) = &self.source else {
            return None;
        };
        let path = c.path.clone().filter(|p| !p.as_os_str().is_empty())?;
        let delimiter = c.delimiter;
        let cuts = self.cuts(parts)?;
        self.source = Source::Rows([].iter());
        let piece = |cut| CsvPiece { file: self.file.clone(), path: path.clone(), delimiter, cut };
        Some(cuts.into_iter().map(piece).collect())
    }

    /// Where `split` cuts the rows not read yet: about `parts` pieces of whole lines. Only for a CSV without any
    /// quote, where every line break ends a record.
    fn cuts(&self, parts: usize) -> Option<Vec<Cut>> {
        let Source::Csv(c) = &self.source else {
            return None;
        };
        let text: &[u8] = c.reader.get_ref().get_ref();
        let start = c.base + c.reader.position().byte() as usize;
        if text.contains(&b'"') || c.embedded_breaks > 0 {
            return None;
        }
        let rest = &text[start..];
        // The line the rest starts on (1-based): no quotes, so every line break before it ends a line.
        let mut line = 1 + count_bytes(&text[c.base..start], |b| b == b'\n') as u64;
        let mut pieces = Vec::new();
        let mut from = 0;
        for k in 1..=parts.max(1) {
            let to = if k == parts.max(1) {
                rest.len()
            } else {
                let cut = (rest.len() * k / parts).max(from);
                memchr::memchr(b'\n', &rest[cut..]).map_or(rest.len(), |i| cut + i + 1)
            };
            pieces.push(&rest[from..to]);
            from = to;
        }
        // Each piece's line feeds (for the next piece's first line number) and line-break bytes (its
        // `records_at_most`) in one pass.
        let breaks = count_breaks(&pieces);
        let mut cuts = Vec::with_capacity(pieces.len());
        let mut at = start;
        for (piece, (lf, any)) in pieces.into_iter().zip(breaks) {
            cuts.push(Cut {
                range: at..at + piece.len(),
                line_offset: line - 1,
                records_at_most: records_at_most(piece, any),
            });
            at += piece.len();
            line += lf as u64;
        }
        Some(cuts)
    }

    /// A reader whose first row is a refusal.
    fn refused(file: &str, problems: Problems) -> RowReader<'static> {
        let (feed, rows) = crate::parallel::ahead(1);
        feed.send(Err(problems));
        let stream = XlsxStream { rows, batch: Vec::new(), next: 0, done: false };
        RowReader { file: file.to_string(), sheet: None, source: Source::Stream(Box::new(stream)) }
    }

    /// The rows of a table already read.
    pub fn table(table: &'a Table) -> RowReader<'a> {
        RowReader { file: table.file.clone(), sheet: table.sheet.clone(), source: Source::Rows(table.rows.iter()) }
    }

    /// The file and sheet with `rows` (for the rows a caller keeps).
    pub fn into_table(self, rows: Vec<Row>) -> Table {
        Table { file: self.file, sheet: self.sheet, rows }
    }

    /// A table of this file and sheet holding `rows`.
    pub fn table_of(&self, rows: Vec<Row>) -> Table {
        Table { file: self.file.clone(), sheet: self.sheet.clone(), rows }
    }

    /// At most how many rows are left to read (to reserve room for them); for a streamed .xlsx, only the rows
    /// already received (the sheet's length is not known before it is read).
    pub fn rows_left_at_most(&self) -> usize {
        match &self.source {
            Source::Rows(it) => it.len(),
            Source::Range { range, next, .. } => range.height().saturating_sub(*next),
            Source::Stream(st) => st.batch.len(),
            Source::Csv(c) => {
                let text = c.reader.get_ref().get_ref();
                let at = (c.base as u64 + c.reader.position().byte()) as usize;
                text.get(at..).map_or(0, |rest| count_bytes(rest, |b| b == b'\n') + 1)
            }
        }
    }

    /// At most how many records are left to read, for a CSV: every record but the last ends at a line break
    /// (`\n`, `\r` or both), so there are no more than line-break bytes + 1. For other sources, as
    /// `rows_left_at_most`.
    pub fn records_at_most(&self) -> usize {
        let Source::Csv(c) = &self.source else {
            return self.rows_left_at_most();
        };
        if let Some(n) = c.records_at_most.filter(|_| c.count == 0) {
            return n;
        }
        let text = c.reader.get_ref().get_ref();
        let at = (c.base as u64 + c.reader.position().byte()) as usize;
        text.get(at..).map_or(0, |rest| records_at_most(rest, count_bytes(rest, |b| matches!(b, b'\n' | b'\r'))))
    }

    /// Read the next row into `row`; `false` at the end. A CSV that cannot be parsed is refused here.
    pub fn next_row(&mut self, row: &mut Row) -> Result<bool, Problems> {
        match &mut self.source {
            Source::Rows(it) => match it.next() {
                Some(r) => {
                    row.clone_from(r);
                    Ok(true)
                }
                None => Ok(false),
            },
            Source::Range { range, next, first_row, pad } => {
                // By position (`rows().nth(n)` would walk n rows each time: quadratic in the sheet's length).
                let (height, width) = range.get_size();
                if *next >= height {
                    return Ok(false);
                }
                let r = *next;
                row.excel_row = *first_row + r as u32 + 1;
                row.cells.clear();
                row.cells.extend(
                    std::iter::repeat_n(Cell::Empty, *pad)
                        .chain((0..width).map(|c| range.get((r, c)).map_or(Cell::Empty, convert))),
                );
                *next += 1;
                for (c, cell) in row.cells.iter().enumerate() {
                    if let Cell::Text(t) = cell
                        && t.len() > limits::CELL_CHARS
                    {
                        check_cell_length(&self.file, self.sheet.as_deref(), row.excel_row, c, t)?;
                    }
                }
                Ok(true)
            }
            Source::Csv(c) => c.next_row(&self.file, row),
            Source::Stream(st) => loop {
                if let Some(r) = st.batch.get_mut(st.next) {
                    // The caller's previous row goes back with the batch, to be reused (and its text freed)
                    // on the parsing thread that allocated it.
                    std::mem::swap(row, r);
                    st.next += 1;
                    return Ok(true);
                }
                if st.done {
                    return Ok(false);
                }
                if !st.batch.is_empty() {
                    st.rows.give_back(std::mem::take(&mut st.batch));
                }
                match st.rows.recv() {
                    Some(Ok(rows)) => (st.batch, st.next) = (rows, 0),
                    Some(Err(problems)) => {
                        st.done = true;
                        return Err(problems);
                    }
                    None => st.done = true,
                }
            },
        }
    }
}

impl<'a> CsvSource<'a> {
    fn new(text: Cow<'a, [u8]>, base: usize, delimiter: u8, line_offset: u64) -> CsvSource<'a> {
        let mut cursor = Cursor::new(text);
        cursor.set_position(base as u64);
        let reader =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(cursor);
        CsvSource {
            reader,
            delimiter,
            line_offset,
            base,
            record: csv::ByteRecord::new(),
            count: 0,
            embedded_breaks: 0,
            records_at_most: None,
            path: None,
        }
    }

    fn next_row(&mut self, file: &str, row: &mut Row) -> Result<bool, Problems> {
        let more = self.reader.read_byte_record(&mut self.record).map_err(|e| {
            let line = e.position().map(|p| format!("第{}行", p.line() + self.line_offset)).unwrap_or_default();
            Problems::from(
                Problem::new("FILE_UNREADABLE", format!("CSV 文件{line}格式有误（{e}）"))
                    .at(Location::file(file))
                    .hint("请用 Excel 或 WPS 打开后另存为 .xlsx 再试。"),
            )
        })?;
        if !more {
            return Ok(false);
        }
        let text = self.reader.get_ref().get_ref();
        // The reported position is where the reader started, before any blank lines it skipped.
        let (line, byte) =
            self.record.position().map_or((self.count + 1, 0), |p| (p.line(), self.base + p.byte() as usize));
        let skipped = text[byte.min(text.len())..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .filter(|b| **b == b'\n')
            .count() as u64;
        row.excel_row = (self.line_offset + line + skipped - self.embedded_breaks) as u32;
        let file_line = self.line_offset + line + skipped;
        // The csv crate reads leniently: a quote left open takes the rest of the file into one cell, and text
        // after a closing quote is glued to the cell. Both are refused here, at the line where the record began;
        // only a record holding a quote is looked at again (Excel quotes few cells).
        let end = (self.base as u64 + self.reader.position().byte()) as usize;
        let raw = &text[byte.min(end)..end];
        if memchr::memchr(b'"', raw).is_some()
            && let Some(fault) = quote_fault(raw, self.delimiter, end == text.len())
        {
            return Err(quote_problem(file, file_line, fault));
        }
        self.embedded_breaks += count_bytes(self.record.as_slice(), |b| b == b'\n') as u64;
        self.count += 1;
        let n = self.record.len();
        if n > limits::COLUMNS {
            return Err(Problem::new(
                "TOO_WIDE",
                format!(
                    "CSV 文件第{file_line}行有 {n} 个字段，超过了 {} 列的上限（Excel 的最大列数）",
                    limits::COLUMNS
                ),
            )
            .at(Location::file(file))
            .hint("请确认选择的文件正确，并检查该行的分隔符（逗号）。")
            .into());
        }
        // Reuse the row's strings: after the first rows, reading a record allocates nothing.
        for (i, f) in self.record.iter().map(field_text).enumerate() {
            if f.len() > limits::CELL_CHARS {
                check_cell_length(file, None, row.excel_row, i, f)?;
            }
            match row.cells.get_mut(i) {
                Some(Cell::Text(s)) if !f.is_empty() => {
                    s.clear();
                    s.push_str(f);
                }
                Some(c) => *c = text_cell(f),
                None => row.cells.push(text_cell(f)),
            }
        }
        row.cells.truncate(n);
        Ok(true)
    }
}

/// What is wrong with a CSV record's quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteFault {
    /// A quoted cell is still open at the end of the file.
    Unclosed,
    /// A quoted cell's closing quote is followed by something other than a delimiter or a line break (0-based line
    /// of the record where that is).
    TextAfterQuote { line: u64 },
}

/// The quotes of one record's raw text read as the csv crate reads them (a quote opens a quoted cell only at the
/// cell's start; inside, a doubled quote is one quote), but strictly: the fault, if any. `at_end`: the record
/// ends at the end of the text, so a quote still open there is never closed.
fn quote_fault(raw: &[u8], delimiter: u8, at_end: bool) -> Option<QuoteFault> {
    #[derive(PartialEq)]
    enum St {
        Start,
        Plain,
        Quoted,
        /// A quote inside a quoted cell: a second quote, a delimiter or a line end may follow.
        QuoteInQuoted,
    }
    let mut st = St::Start;
    let mut line = 0u64;
    for &b in raw {
        st = match (st, b) {
            (St::Quoted, b'"') => St::QuoteInQuoted,
            (St::Quoted, _) => St::Quoted,
            (St::QuoteInQuoted, b'"') => St::Quoted,
            (St::Start | St::QuoteInQuoted, b'\r' | b'\n') => St::Start,
            (St::QuoteInQuoted, d) if d == delimiter => St::Start,
            (St::QuoteInQuoted, _) => return Some(QuoteFault::TextAfterQuote { line }),
            (St::Start, b'"') => St::Quoted,
            (_, d) if d == delimiter => St::Start,
            (_, b'\r' | b'\n') => St::Start,
            _ => St::Plain,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    (at_end && st == St::Quoted).then_some(QuoteFault::Unclosed)
}

fn quote_problem(file: &str, line: u64, fault: QuoteFault) -> Problems {
    let message = match fault {
        QuoteFault::Unclosed => format!(
            "CSV 文件第{line}行开始的英文双引号（\"）没有闭合：从这里到文件末尾都会被读成同一个单元格，其后的行都会丢失"
        ),
        QuoteFault::TextAfterQuote { line: 0 } => {
            format!("CSV 文件第{line}行的引号有误：一个单元格的右引号后面还有其他文字")
        }
        QuoteFault::TextAfterQuote { line: k } => format!(
            "CSV 文件第{line}行开始的引号有误：引号一直延续到第{}行，那里的右引号后面还有其他文字（其间的行都被读成了一个单元格）",
            line + k
        ),
    };
    Problem::new("CSV_QUOTE", message)
        .at(Location::file(file))
        .hint("含逗号、引号或换行的单元格须整体用英文双引号括起来，其中的引号写成两个（\"\"）。请在该行找出多余或缺少的引号并改正，或用 Excel 或 WPS 打开核对后另存为 .xlsx 再试。")
        .into()
}

/// A cell whose text is `bytes_len` bytes or more long: refused beyond `limits::CELL_CHARS` characters (`column`:
/// 0-based; the caller has checked that its bytes are over the bound, so most cells are never counted).
pub(super) fn check_cell_length(
    file: &str,
    sheet: Option<&str>,
    excel_row: u32,
    column: usize,
    text: &str,
) -> Result<(), Problems> {
    let chars = text.chars().count();
    if chars <= limits::CELL_CHARS {
        return Ok(());
    }
    Err(Problem::new(
        "TEXT_TOO_LONG",
        format!(
            "单元格有 {chars} 个字符，超过了 {} 个字符的上限（Excel 一个单元格最多能存的长度）",
            limits::CELL_CHARS
        ),
    )
    .at(Location::file(file)
        .with_sheet(sheet.map(str::to_string))
        .with_row(excel_row)
        .with_column(super::cells::column_letter(column)))
    .hint("请检查该单元格：可能误粘贴了大量内容；删去多余的内容后再试。")
    .into())
}

/// How many bytes satisfy `f`: counted in byte-sized counters a block at a time, without branches, so the
/// compiler runs over many bytes per instruction (a plain `filter().count()` or `any()` goes byte by byte, and
/// these run over the whole file).
/// At most how many records `text` holds, given its line-break bytes: one per break, and one more when the text
/// does not end with a break (its last line has none).
fn records_at_most(text: &[u8], breaks: usize) -> usize {
    breaks + usize::from(!text.is_empty() && !matches!(text.last(), Some(b'\n' | b'\r')))
}

/// A province's file (over `PARALLEL_COUNT_MIN` bytes) is counted in `parallel::width()` stretches at once:
/// these passes run before the rows can be shared out, with the other cores idle.
fn count_bytes(bytes: &[u8], f: impl Fn(u8) -> bool + Sync) -> usize {
    use rayon::prelude::*;
    // Blocks of 255 bytes: a block's count is at most 255 and fits a u8, so the inner fold adds u8s, which the
    // compiler vectorises 16 bytes to a register (SSE2) instead of 2 for a usize count; and it cannot overflow.
    // Only each block's total is widened.
    let count = |bytes: &[u8]| -> usize {
        bytes.chunks(255).map(|block| block.iter().fold(0u8, |n, &b| n + u8::from(f(b))) as usize).sum()
    };
    if bytes.len() < PARALLEL_COUNT_MIN {
        return count(bytes);
    }
    bytes.par_chunks(bytes.len().div_ceil(crate::parallel::width())).map(count).sum()
}

/// Bytes below which a count runs on one thread (a thread costs ~50 µs; 16 MB are counted in ~3 ms).
const PARALLEL_COUNT_MIN: usize = 16 << 20;

/// Line feeds and line-break bytes (CR or LF) of each piece, the pieces counted at once on rayon's pool.
fn count_breaks(pieces: &[&[u8]]) -> Vec<(usize, usize)> {
    use rayon::prelude::*;
    // Blocks of 255 bytes so each block's counts fit a u8 and the inner fold vectorises (see `count_bytes`).
    let count = |piece: &[u8]| -> (usize, usize) {
        piece.chunks(255).fold((0, 0), |(lf, any), block| {
            let (l, a) =
                block.iter().fold((0u8, 0u8), |(l, a), &b| (l + u8::from(b == b'\n'), a + u8::from(b == b'\r')));
            (lf + l as usize, any + l as usize + a as usize)
        })
    };
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    if total < PARALLEL_COUNT_MIN || pieces.len() < 2 {
        return pieces.iter().map(|p| count(p)).collect();
    }
    // In piece order (an indexed `collect`), whichever thread counted which.
    pieces.par_iter().map(|p| count(p)).collect()
}

/// A field of a record read from UTF-8 text.
fn field_text(field: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(field).is_ok());
    // SAFETY: the reader runs over text checked (or decoded) as UTF-8 by `decode_bytes`, and a field is that
    // text cut at ASCII delimiters, quotes and line ends (never inside a multi-byte character), with doubled
    // quotes made single; so it is UTF-8 too. Checking it again per record cost a tenth of reading a roster.
    unsafe { std::str::from_utf8_unchecked(field) }
}

fn text_cell(f: &str) -> Cell {
    if f.is_empty() { Cell::Empty } else { Cell::Text(f.to_string()) }
}

/// The file's bytes, refused beyond `limits::FILE_BYTES` (read through a bound, so that a device or a file
/// growing while read is stopped there too).
fn read_file(file: &str, path: &Path) -> Result<Vec<u8>, Problems> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| io_problem(file, path, &e))?;
    let declared = f.metadata().map(|m| m.len()).unwrap_or(0);
    if declared > limits::FILE_BYTES {
        return Err(limits::file_too_large(file, declared));
    }
    let mut bytes = Vec::with_capacity(declared as usize);
    (&mut f).take(limits::FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| io_problem(file, path, &e))?;
    if bytes.len() as u64 > limits::FILE_BYTES {
        return Err(limits::file_too_large(file, bytes.len() as u64));
    }
    Ok(bytes)
}

fn io_problem(file: &str, path: &Path, e: &std::io::Error) -> Problems {
    let loc = Location::file(file);
    match e.kind() {
        std::io::ErrorKind::NotFound => Problem::new("FILE_NOT_FOUND", "找不到文件")
            .at(loc)
            .hint("请检查文件路径和文件名是否正确（包括扩展名 .xlsx、.xls、.csv）。")
            .into(),
        _ if path.is_dir() => {
            Problem::new("FILE_UNREADABLE", "这是一个文件夹，不是文件").at(loc).hint("请指定其中的表格文件。").into()
        }
        std::io::ErrorKind::PermissionDenied => Problem::new("FILE_UNREADABLE", "没有读取该文件的权限")
            .at(loc)
            .hint("请检查文件权限；如果文件正在 Excel 或 WPS 中打开，请先关闭。")
            .into(),
        _ => Problem::new("FILE_UNREADABLE", format!("无法读取文件（{e}）"))
            .at(loc)
            .hint("如果文件正在 Excel 或 WPS 中打开，请先关闭后再试。")
            .into(),
    }
}

/// Rows per batch sent by the .xlsx parsing thread (two under test, so the tests reuse rows).
const STREAM_ROWS: usize = if cfg!(test) { 2 } else { 1024 };

/// An .xlsx (a zip holding `xl/workbook.xml`, named in the zip's directory at the end of the file).
fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(ZIP_MAGIC)
        && bytes[bytes.len().saturating_sub(1 << 20)..].windows(15).any(|w| w == b"xl/workbook.xml")
}

/// The first sheet of an .xlsx as a stream of rows, parsed on a thread of its own: rows assembled in order (a row
/// missing from the file is sent as an empty row, as a whole range would hold it), cells at their absolute
/// column. The sheet's XML is read by `xlsx_scan` where it can, and by calamine's cell reader from the first
/// cell it cannot (or for the whole file); both give the same cells. `None` when neither can open it as .xlsx
/// or it has no sheet (the caller then reads it as any other workbook, with that path's messages).
fn stream_xlsx(file: &str, bytes: Vec<u8>) -> Option<RowReader<'static>> {
    stream_xlsx_with(file, bytes, true)
}

/// `stream_xlsx`, with the fast reader on or off (tests compare the two).
pub(super) fn stream_xlsx_with(file: &str, bytes: Vec<u8>, fast: bool) -> Option<RowReader<'static>> {
    use super::xlsx_scan::{Ended, Workbook};
    use calamine::{Reader as _, Xlsx};
    /// What the thread starts from: the scanner (calamine opened only if it stops short), or calamine.
    enum Start {
        Fast(Workbook, Vec<u8>),
        Calamine(Box<Xlsx<Cursor<Vec<u8>>>>),
    }
    let (sheet, start) = match fast.then(|| Workbook::open(&bytes)).flatten() {
        Some(wb) => (wb.sheet_name.clone(), Start::Fast(wb, bytes)),
        None => {
            // calamine reads whole parts: the package is measured first.
            if let Err(problems) = limits::check_package(file, &bytes, limits::Sheets::Streamed) {
                return Some(RowReader::refused(file, problems));
            }
            let book = Xlsx::new(Cursor::new(bytes)).ok()?;
            (book.sheet_names().first().cloned()?, Start::Calamine(Box::new(book)))
        }
    };
    // A stage of the .xlsx pipeline (see `parallel`): 8 batches of rows ahead of the conversion.
    let (feed, rows) = crate::parallel::ahead::<Result<Vec<Row>, Problems>, Vec<Row>>(8);
    let (file_name, sheet_name) = (file.to_string(), sheet.clone());
    std::thread::spawn(move || {
        let unreadable = |e: &dyn std::fmt::Display| {
            Problems::from(
                Problem::new("FILE_UNREADABLE", format!("无法读取第一个工作表（{e}）"))
                    .at(Location::file(file_name.clone()).with_sheet(Some(sheet_name.clone())))
                    .hint(SAVE_AS_HINT),
            )
        };
        let mut rows = RowAssembler {
            file: &file_name,
            sheet: &sheet_name,
            feed: &feed,
            batch: Vec::with_capacity(STREAM_ROWS),
            spare: Vec::new(),
            current: None,
            filled: 0,
        };
        // `given`: the cells the scanner gave, which calamine's reader skips.
        let (mut book, given) = match start {
            Start::Calamine(book) => (book, 0),
            Start::Fast(wb, bytes) => {
                let given = match wb.scan(&bytes, |r, c, value| rows.cell(r, c, value)) {
                    Ended::Done => return rows.finish(),
                    Ended::Stopped => return,
                    Ended::Odd { cells } => cells,
                };
                // For profiling (printed by the CLI's timings): calamine is several times slower.
                super::notes::note(format!("{file_name}: calamine reads the sheet from cell {}", given + 1));
                // The scanner stops at a part or row beyond the bounds too: calamine, which would hold them whole,
                // is given the package only once it is measured.
                if let Err(problems) = limits::check_package(&file_name, &bytes, limits::Sheets::Streamed) {
                    feed.send(Err(problems));
                    return;
                }
                match Xlsx::new(Cursor::new(bytes)) {
                    Ok(book) => (Box::new(book), given),
                    Err(e) => {
                        feed.send(Err(unreadable(&e)));
                        return;
                    }
                }
            }
        };
        let mut reader = match book.worksheet_cells_reader(&sheet_name) {
            Ok(r) => r,
            Err(e) => {
                feed.send(Err(unreadable(&e)));
                return;
            }
        };
        let mut seen = 0u64;
        loop {
            let cell = match reader.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => break,
                Err(e) => {
                    feed.send(Err(unreadable(&e)));
                    return;
                }
            };
            seen += 1;
            if seen <= given {
                continue;
            }
            let (r, c) = cell.get_position();
            if !rows.cell(r, c, cell.get_value().clone()) {
                return;
            }
        }
        rows.finish();
    });
    let stream = XlsxStream { rows, batch: Vec::new(), next: 0, done: false };
    Some(RowReader { file: file.to_string(), sheet: Some(sheet), source: Source::Stream(Box::new(stream)) })
}

/// Cells in the order of the sheet → rows in batches on the channel. Batches come back once read, and their rows
/// are reused: the cells' vectors keep their capacity, and the text of a read row is freed on this thread, which
/// allocated it (glibc's malloc spends a quarter of reading a large .xlsx on frees from the other thread).
struct RowAssembler<'t> {
    file: &'t str,
    sheet: &'t str,
    feed: &'t Feed<Result<Vec<Row>, Problems>, Vec<Row>>,
    batch: Vec<Row>,
    /// Rows read by the caller, to be filled again.
    spare: Vec<Row>,
    current: Option<Row>,
    /// Cells of `current` given so far (columns before this one that were not given are `Empty`).
    filled: usize,
}

impl RowAssembler<'_> {
    /// Place a cell (0-based row and column). `false`: the reader stopped (a refused roster), nothing more to do.
    fn cell(&mut self, r: u32, c: u32, value: calamine::DataRef<'_>) -> bool {
        // Past Excel's last row or column (a file built by hand): refused, before rows are made up to reach it.
        if r >= limits::SHEET_ROWS || c as usize >= limits::COLUMNS {
            self.feed.send(Err(beyond_sheet(self.file, Some(self.sheet), r, c)));
            return false;
        }
        if let calamine::DataRef::SharedString(text) = &value
            && text.len() > limits::CELL_CHARS
            && let Err(problems) = check_cell_length(self.file, Some(self.sheet), r + 1, c as usize, text)
        {
            self.feed.send(Err(problems));
            return false;
        }
        if let calamine::DataRef::String(text) = &value
            && text.len() > limits::CELL_CHARS
            && let Err(problems) = check_cell_length(self.file, Some(self.sheet), r + 1, c as usize, text)
        {
            self.feed.send(Err(problems));
            return false;
        }
        let excel_row = r + 1;
        if self.current.as_ref().is_none_or(|row| row.excel_row != excel_row) {
            let last = self.current.as_ref().map(|row| row.excel_row);
            self.close_row();
            if let Some(done) = self.current.take() {
                self.batch.push(done);
            }
            // Rows with no cell at all between two rows, as a range holds them.
            if let Some(last) = last {
                self.batch.extend((last + 1..excel_row).map(|n| Row { excel_row: n, cells: Vec::new() }));
            }
            if self.batch.len() >= STREAM_ROWS {
                let next = match self.feed.spent() {
                    Some(mut read) => {
                        self.spare.append(&mut read);
                        read
                    }
                    None => Vec::with_capacity(STREAM_ROWS),
                };
                if !self.feed.send(Ok(std::mem::replace(&mut self.batch, next))) {
                    return false;
                }
            }
            let mut row = self.spare.pop().unwrap_or_default();
            row.excel_row = excel_row;
            self.current = Some(row);
        }
        let row = self.current.as_mut().expect("set above");
        let c = c as usize;
        if c < self.filled {
            row.cells[c] = convert_ref(value); // a column given twice: the last one counts
            return true;
        }
        // A reused row still holds the cells of the row it was: those before `filled` are this row's.
        let reused = row.cells.len().min(c);
        row.cells[self.filled.min(reused)..reused].fill(Cell::Empty);
        row.cells.resize(row.cells.len().max(c), Cell::Empty);
        match (value, row.cells.get_mut(c)) {
            (calamine::DataRef::SharedString(text), Some(Cell::Text(old))) => {
                old.clear();
                old.push_str(text);
            }
            (value, Some(slot)) => *slot = convert_ref(value),
            (value, None) => row.cells.push(convert_ref(value)),
        }
        self.filled = c + 1;
        true
    }

    /// The current row is complete: the cells a reused row held past this row's last are dropped.
    fn close_row(&mut self) {
        if let Some(row) = self.current.as_mut() {
            row.cells.truncate(self.filled);
        }
        self.filled = 0;
    }

    fn finish(mut self) {
        self.close_row();
        self.batch.extend(self.current.take());
        if !self.batch.is_empty() {
            self.feed.send(Ok(std::mem::take(&mut self.batch)));
        }
    }
}

/// A cell at 0-based (`r`, `c`) past Excel's last row or column.
fn beyond_sheet(file: &str, sheet: Option<&str>, r: u32, c: u32) -> Problems {
    let what = if r >= limits::SHEET_ROWS {
        format!("第{}行，超过了 Excel 的最大行数 {}", u64::from(r) + 1, limits::SHEET_ROWS)
    } else {
        format!("第{}列，超过了 Excel 的最大列数 {}", u64::from(c) + 1, limits::COLUMNS)
    };
    Problem::new("TOO_WIDE", format!("工作表中有单元格位于{what}（Excel 和 WPS 都不会写出这样的文件）"))
        .at(Location::file(file).with_sheet(sheet.map(str::to_string)))
        .hint(SAVE_AS_HINT)
        .into()
}

fn open_workbook(file: String, bytes: Vec<u8>) -> Result<RowReader<'static>, Problems> {
    let ole = bytes.starts_with(OLE_MAGIC);
    if !ole {
        // calamine reads whole parts, and this path the whole sheet into one range.
        limits::check_package(&file, &bytes, limits::Sheets::Whole)?;
    }
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|_| {
        let (what, hint) = if ole {
            (
                "文件是 Office 旧格式容器，但无法读出工作表（可能设置了打开密码，或是 WPS 的 .et 等格式）",
                "如果设置了密码，请先取消密码；请用 Excel 或 WPS 打开后另存为 .xlsx 再试。",
            )
        } else {
            ("文件是压缩包格式，但不是可读取的 xlsx 或 ods 工作簿（可能已损坏）", SAVE_AS_HINT)
        };
        not_a_spreadsheet(&file, what, hint)
    })?;
    let sheet = book.sheet_names().first().cloned();
    let Some(range) = book.worksheet_range_at(0) else {
        return Ok(RowReader { file, sheet, source: Source::Rows([].iter()) });
    };
    let range = range.map_err(|e| {
        Problems::from(
            Problem::new("FILE_UNREADABLE", format!("无法读取第一个工作表（{e}）"))
                .at(Location::file(file.clone()).with_sheet(sheet.clone()))
                .hint(SAVE_AS_HINT),
        )
    })?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    if let Some((last_row, last_col)) = range.end()
        && (last_row >= limits::SHEET_ROWS || last_col as usize >= limits::COLUMNS)
    {
        return Err(beyond_sheet(&file, sheet.as_deref(), last_row, last_col));
    }
    // Cells are placed at their absolute column (index 0 = column A), so column letters in messages are right.
    let pad = first_col as usize;
    Ok(RowReader { file, sheet, source: Source::Range { range, next: 0, first_row, pad } })
}

/// `convert` for the cells of the .xlsx stream (shared strings borrowed from the workbook, copied once here).
fn convert_ref(data: calamine::DataRef<'_>) -> Cell {
    match data {
        calamine::DataRef::SharedString(s) => Cell::Text(s.to_string()),
        calamine::DataRef::String(s) => Cell::Text(s),
        other => convert(&Data::from(other)),
    }
}

pub(super) fn convert(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        // A date cell outside Excel's own dates (serial 1 = 1900-01-01 to 2958465 = 9999-12-31; Excel shows #####)
        // stays its number: calamine would read −5 as 1899-12-31 and 3000000 as 9999-12-31, hiding what the cell
        // holds. The number is then refused by name where a date is read (`RowView::date`).
        Data::DateTime(dt) if dt.is_datetime() && outside_excel_dates(dt) => Cell::Number(dt.as_f64()),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(y as i32, mo as u32, d as u32)
                .and_then(|date| date.and_hms_milli_opt(h as u32, mi as u32, s as u32, ms as u32))
                .map(Cell::Date)
                .unwrap_or(Cell::Number(dt.as_f64()))
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) => parse_iso(s).map(Cell::Date).unwrap_or_else(|| Cell::Text(s.clone())),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// Whether a date cell's number is outside the dates Excel has: below serial 1 (1900-01-01) in the 1900 date
/// system, below 0 (1904-01-01) in the 1904 one, or past 9999-12-31. Only a number outside 1..2958466 is looked
/// at again (to tell the 1904 system's 0 ≤ n < 1 apart), so a roster's dates cost one comparison.
fn outside_excel_dates(dt: &calamine::ExcelDateTime) -> bool {
    let v = dt.as_f64();
    if (1.0..2_958_466.0).contains(&v) {
        return false;
    }
    !(0.0..2_958_466.0).contains(&v) || dt.to_ymd_hms_milli().0 < 1904
}

fn parse_iso(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.and_time(chrono::NaiveTime::MIN)))
}

/// Decode CSV bytes: UTF-16 with BOM, UTF-8 (BOM stripped), else GB18030 (a superset of GBK). Bytes that are
/// neither are refused with the line they are on, never replaced by U+FFFD.
pub fn decode_text(file: &str, bytes: &[u8]) -> Result<String, Problems> {
    let (mut text, base, _) = decode_bytes(file, bytes.to_vec())?;
    text.drain(..base);
    Ok(String::from_utf8(text).expect("decode_bytes gives UTF-8"))
}

/// `decode_text` keeping UTF-8 bytes where they are: the UTF-8 text, where it starts in it (after a BOM), and whether
/// it is the bytes as they were (UTF-8, not decoded from another encoding).
fn decode_bytes(file: &str, bytes: Vec<u8>) -> Result<(Vec<u8>, usize, bool), Problems> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return Ok((decode_strict(file, rest, UTF_16LE)?.into_bytes(), 0, false));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return Ok((decode_strict(file, rest, UTF_16BE)?.into_bytes(), 0, false));
    }
    let base = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let body = &bytes[base..];
    // encoding_rs's check runs many bytes at a time (SIMD); `str::from_utf8` goes character by character
    // through Chinese text, and this is the whole file.
    if encoding_rs::Encoding::utf8_valid_up_to(body) == body.len() {
        return Ok((bytes, base, true));
    }
    // GB18030 never uses 0x0A inside a multi-byte character, so decoding line by line finds the bad line.
    let mut out = String::with_capacity(body.len() * 3 / 2);
    for (i, line) in body.split_inclusive(|b| *b == b'\n').enumerate() {
        let (text, had_errors) = GB18030.decode_without_bom_handling(line);
        if had_errors {
            return Err(Problem::new(
                "BAD_ENCODING",
                format!("第{}行含有无法识别的字节：文件既不是 UTF-8 也不是 GBK 编码的文本", i + 1),
            )
            .at(Location::file(file))
            .hint("请用 Excel 或 WPS 打开后另存为 .xlsx 或“CSV UTF-8（逗号分隔）”再试。")
            .into());
        }
        out.push_str(&text);
    }
    Ok((out.into_bytes(), 0, false))
}

fn decode_strict(file: &str, bytes: &[u8], encoding: &'static encoding_rs::Encoding) -> Result<String, Problems> {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(Problem::new("BAD_ENCODING", format!("文件以 {} 标记开头，但含有无法识别的字节", encoding.name()))
            .at(Location::file(file))
            .hint("请用 Excel 或 WPS 打开后另存为 .xlsx 再试。")
            .into());
    }
    Ok(text.into_owned())
}

/// A CSV (comma- or tab-separated, told from the first line) → a table of text cells. Excel row numbers count
/// records, as Excel shows them when it opens the file (a quoted line break stays inside its cell).
pub fn table_from_csv_bytes(file: &str, bytes: &[u8]) -> Result<Table, Problems> {
    collect(RowReader::csv(file.to_string(), bytes.to_vec())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::TempDir;

    fn texts(t: &Table) -> Vec<(u32, Vec<String>)> {
        t.rows.iter().map(|r| (r.excel_row, r.cells.iter().map(crate::input::cells::display).collect())).collect()
    }

    /// Every row of a reader, trailing empty cells dropped (a whole range pads every row to its width).
    fn all_rows(mut reader: RowReader) -> Vec<Row> {
        let mut out = Vec::new();
        let mut row = Row::default();
        while reader.next_row(&mut row).unwrap() {
            let mut r = row.clone();
            while r.cells.last() == Some(&Cell::Empty) {
                r.cells.pop();
            }
            out.push(r);
        }
        out
    }

    /// The sample roster (written by LibreOffice) read as a stream gives the rows, numbers and cells the whole
    /// range gives — and a sheet with a gap and a first column other than A as well.
    #[test]
    fn an_xlsx_read_as_a_stream_gives_the_rows_of_the_whole_range() {
        let dir = TempDir::new().unwrap();
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet().set_name("花名册").unwrap();
        ws.write_string(2, 1, "姓名").unwrap();
        ws.write_string(2, 2, "金额").unwrap();
        ws.write_string(3, 1, "张三").unwrap();
        ws.write_number(3, 2, 8889.17).unwrap();
        ws.write_string(6, 1, "李四").unwrap(); // rows 5 and 6 hold nothing
        let gap = dir.path().join("gap.xlsx");
        wb.save(&gap).unwrap();
        for path in [Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/roster.xlsx"), gap] {
            let streamed = RowReader::open(&path).unwrap();
            assert!(matches!(streamed.source, Source::Stream(_)), "{}", path.display());
            let whole = open_workbook(path.display().to_string(), std::fs::read(&path).unwrap()).unwrap();
            assert!(matches!(whole.source, Source::Range { .. }));
            assert_eq!(streamed.sheet, whole.sheet);
            let (a, b) = (all_rows(streamed), all_rows(whole));
            assert!(a.len() > 3);
            assert_eq!(a, b, "{}", path.display());
        }
    }

    fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    const CSV: &str = "花名册\n姓名,类别\n张三,残疾军人\n\n\"李\n四\",烈属\n";

    #[test]
    fn utf8_csv_rows_keep_excel_numbers() {
        let dir = TempDir::new().unwrap();
        let t = read_table(&write(&dir, "r.csv", CSV.as_bytes())).unwrap();
        assert_eq!(t.sheet, None);
        // the blank line 4 is skipped by the CSV reader but row 5 keeps its number; the quoted line break
        // stays inside the cell, so nothing after it shifts.
        assert_eq!(
            texts(&t),
            [
                (1, vec!["花名册".to_string()]),
                (2, vec!["姓名".into(), "类别".into()]),
                (3, vec!["张三".into(), "残疾军人".into()]),
                (5, vec!["李\n四".into(), "烈属".into()]),
            ]
        );
    }

    #[test]
    fn bom_and_gbk_read_the_same_as_utf8() {
        let dir = TempDir::new().unwrap();
        let utf8 = read_table(&write(&dir, "a.csv", CSV.as_bytes())).unwrap();
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(CSV.as_bytes());
        let with_bom = read_table(&write(&dir, "b.csv", &bom)).unwrap();
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(CSV);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&gbk).is_err(), "the GBK bytes are not UTF-8");
        let from_gbk = read_table(&write(&dir, "c.csv", &gbk)).unwrap();
        assert_eq!(texts(&with_bom), texts(&utf8));
        assert_eq!(texts(&from_gbk), texts(&utf8));
    }

    #[test]
    fn invalid_gbk_bytes_are_refused_with_the_line() {
        let dir = TempDir::new().unwrap();
        let mut bytes = encoding_rs::GBK.encode("姓名,类别\n张三,残疾军人\n").0.into_owned();
        bytes.extend_from_slice(b"\xFF\xFE\xFD,x\n");
        let p = write(&dir, "bad.csv", &bytes);
        let err = read_table(&p).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}：第3行含有无法识别的字节：文件既不是 UTF-8 也不是 GBK 编码的文本。请用 Excel 或 WPS 打开后另存为 .xlsx 或“CSV UTF-8（逗号分隔）”再试。 [BAD_ENCODING]",
                p.display()
            )
        );
    }

    #[test]
    fn missing_file_directory_and_non_spreadsheets() {
        let dir = TempDir::new().unwrap();
        let p = dir.path().join("nope.xlsx");
        let err = read_table(&p).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}：找不到文件。请检查文件路径和文件名是否正确（包括扩展名 .xlsx、.xls、.csv）。 [FILE_NOT_FOUND]",
                p.display()
            )
        );
        let err = read_table(dir.path()).unwrap_err();
        assert_eq!(err.0[0].code, "FILE_UNREADABLE");
        assert_eq!(err.0[0].message, "这是一个文件夹，不是文件");

        let pdf = write(&dir, "roster.xlsx", b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n");
        let err = read_table(&pdf).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}：无法作为表格读取：这是一个 PDF 文件，不是表格。请选择 Excel/WPS 表格（.xlsx、.xls、.ods）或 CSV 文件。 [NOT_A_SPREADSHEET]",
                pdf.display()
            )
        );
        let random: Vec<u8> = (0..400u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let err = read_table(&write(&dir, "random.xlsx", &random)).unwrap_err();
        assert_eq!(err.0[0].code, "NOT_A_SPREADSHEET");
        assert_eq!(
            err.0[0].message,
            "无法作为表格读取：扩展名是 .xlsx，但内容不是 xlsx、xls 或 ods 格式（文件可能已损坏，或是改了扩展名的其他文件）"
        );
        let mut fake_zip = ZIP_MAGIC.to_vec();
        fake_zip.extend_from_slice(&random);
        let err = read_table(&write(&dir, "zip.xlsx", &fake_zip)).unwrap_err();
        assert_eq!(
            err.0[0].message,
            "无法作为表格读取：文件是压缩包格式，但不是可读取的 xlsx 或 ods 工作簿（可能已损坏）"
        );
        let html = write(&dir, "export.xls", "<html><table><tr><td>姓名</td></tr></table></html>".as_bytes());
        let err = read_table(&html).unwrap_err();
        assert_eq!(
            err.0[0].message,
            "无法作为表格读取：文件内容是网页（HTML/XML）格式，不是真正的 Excel 文件（有些系统导出的“.xls”其实是网页）"
        );
    }

    #[test]
    fn a_split_reader_gives_the_rows_and_numbers_of_one_reader() {
        let text =
            "标题\r\n姓名,类别\r\n张三,烈属\r\n\r\n\r\n李四,烈属\r\n王五\r\n\r\n赵六,残疾军人,多一列\r\n钱七,烈属";
        let all = table_from_csv_bytes("r.csv", text.as_bytes()).unwrap();
        let mut reader = RowReader::csv("r.csv".into(), text.as_bytes().to_vec()).unwrap();
        let mut row = Row::default();
        let mut rows = Vec::new();
        for _ in 0..2 {
            assert!(reader.next_row(&mut row).unwrap());
            rows.push(row.clone());
        }
        for parts in [1, 2, 3, 7] {
            let mut got = rows.clone();
            for mut part in reader.split(parts).unwrap() {
                let room = part.records_at_most();
                let before = got.len();
                while part.next_row(&mut row).unwrap() {
                    got.push(row.clone());
                }
                assert!(got.len() - before <= room, "{parts} parts: {} rows, room for {room}", got.len() - before);
            }
            assert_eq!(got, all.rows, "{parts} parts");
        }
        // rows 3, 6, 7, 9, 10 after the two blank pairs
        assert_eq!(all.rows.iter().map(|r| r.excel_row).collect::<Vec<_>>(), [1, 2, 3, 6, 7, 9, 10]);
        // a quote anywhere: not split
        let quoted = RowReader::csv("q.csv".into(), b"a,b\n\"x\",y\n".to_vec()).unwrap();
        assert!(quoted.split(2).is_none());
    }

    #[test]
    fn counts_over_a_large_text_are_the_counts_of_one_pass() {
        // Over PARALLEL_COUNT_MIN, so the halves are counted on two threads.
        let unit = b"a\r\nbb\n";
        let n = PARALLEL_COUNT_MIN / unit.len() + 1000;
        let text: Vec<u8> = unit.iter().copied().cycle().take(n * unit.len()).collect();
        assert_eq!(count_bytes(&text, |b| b == b'\n'), 2 * n);
        assert_eq!(count_bytes(&text, |b| b == b'\r'), n);
        // Pieces cut anywhere, even inside a CRLF: (LF, CR + LF) of each, as a plain filter counts them.
        let cuts = [0, 1, 2, 3, text.len() / 2 + 1, text.len() - 1, text.len()];
        let pieces: Vec<&[u8]> = cuts.windows(2).map(|w| &text[w[0]..w[1]]).collect();
        let plain = |p: &[u8], f: fn(u8) -> bool| p.iter().filter(|b| f(**b)).count();
        let want: Vec<(usize, usize)> =
            pieces.iter().map(|p| (plain(p, |b| b == b'\n'), plain(p, |b| matches!(b, b'\n' | b'\r')))).collect();
        assert_eq!(count_breaks(&pieces), want);
        assert_eq!(want.iter().map(|c| c.0).sum::<usize>(), 2 * n);
        // "a" | "\r" | "\n": the first pieces by hand
        assert_eq!(&want[..3], [(0, 0), (0, 1), (1, 1)]);
        assert_eq!(count_breaks(&[b"a\r\nb", b"\n", b""]), [(1, 2), (1, 1), (0, 0)]);
    }

    #[test]
    fn records_at_most_counts_a_last_line_without_a_break() {
        assert_eq!(records_at_most(b"", 0), 0);
        assert_eq!(records_at_most(b"a", 0), 1);
        assert_eq!(records_at_most(b"a\n", 1), 1);
        assert_eq!(records_at_most(b"a\r\n", 2), 2);
        assert_eq!(records_at_most(b"a\nb", 1), 2);
        assert_eq!(records_at_most(b"a\rb\r", 2), 2);
    }

    /// The quote faults, each beside a record the csv crate and Excel read the same way (not a fault).
    #[test]
    fn quote_faults_are_told_from_quotes_read_alike_everywhere() {
        let fault = |raw: &str, at_end| quote_fault(raw.as_bytes(), b',', at_end);
        for fine in ["a,b\n", "\"a,b\",c\n", "\"a\"\"b\",c\r\n", "\"a\nb\",c\n", "ab\"c,d\n", "a,\"\"\n", "\"x\""] {
            assert_eq!(fault(fine, true), None, "{fine:?}");
        }
        assert_eq!(fault("a,\"b\n", true), Some(QuoteFault::Unclosed));
        assert_eq!(fault("a,\"b", true), Some(QuoteFault::Unclosed));
        // Not at the end of the text: the record is not over (the reader would have gone on).
        assert_eq!(fault("a,\"b", false), None);
        assert_eq!(fault("\"a\"b,c\n", true), Some(QuoteFault::TextAfterQuote { line: 0 }));
        assert_eq!(fault("x,\"a\n\ny,\"b\",c\n", true), Some(QuoteFault::TextAfterQuote { line: 2 }));
        assert_eq!(quote_fault(b"\"a\"\tb\n", b'\t', true), None);
        // Through the reader: the line where the record began, after a record with a line break in a cell.
        let text = "h1,h2\n\"a\nb\",c\nd,\"e\nf\n";
        let mut reader = RowReader::csv("q.csv".into(), text.as_bytes().to_vec()).unwrap();
        let mut row = Row::default();
        assert!(reader.next_row(&mut row).unwrap());
        assert!(reader.next_row(&mut row).unwrap());
        assert_eq!(row.excel_row, 2);
        let err = reader.next_row(&mut row).unwrap_err();
        assert_eq!(err.0[0].code, "CSV_QUOTE");
        assert!(err.0[0].message.starts_with("CSV 文件第4行开始的英文双引号"), "{}", err.0[0].message);
    }

    #[test]
    fn tab_separated_text() {
        let t = table_from_csv_bytes("t.txt", "姓名\t类别\n张三\t烈属\n".as_bytes()).unwrap();
        assert_eq!(texts(&t)[1], (2, vec!["张三".to_string(), "烈属".into()]));
    }

    /// A date cell outside Excel's own dates (serial 1 to 2958465) is read as its number: calamine would give −5
    /// as 1899-12-31 and 3000000 as 9999-12-31, and the message could not say what the cell holds.
    #[test]
    fn a_date_cell_outside_excels_dates_is_its_number() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        let date = |v: f64| convert(&Data::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false)));
        assert_eq!(date(-5.0), Cell::Number(-5.0));
        assert_eq!(date(0.5), Cell::Number(0.5));
        assert_eq!(date(3_000_000.0), Cell::Number(3_000_000.0));
        let day = |y, m, d| Cell::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(0, 0, 0).unwrap());
        assert_eq!(date(1.0), day(1900, 1, 1));
        // The 1904 date system starts at 0 = 1904-01-01.
        let date_1904 = |v: f64| convert(&Data::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, true)));
        assert_eq!(date_1904(0.0), day(1904, 1, 1));
        assert_eq!(date_1904(-1.0), Cell::Number(-1.0));
        assert_eq!(date(2_958_465.0), day(9999, 12, 31));
    }

    #[test]
    fn xlsx_first_sheet_with_dates_and_numbers() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let dir = TempDir::new().unwrap();
        let p = dir.path().join("w.xlsx");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("花名册").unwrap();
        ws.write_string(1, 1, "姓名").unwrap();
        ws.write_number(2, 1, 12.5).unwrap();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        ws.write_datetime_with_format(2, 2, ExcelDateTime::from_ymd(2024, 1, 5).unwrap(), &date).unwrap();
        ws.write_boolean(2, 3, true).unwrap();
        wb.add_worksheet().set_name("其他").unwrap();
        wb.save(&p).unwrap();
        let t = read_table(&p).unwrap();
        assert_eq!(t.sheet.as_deref(), Some("花名册"));
        // The used range starts at B2: the first row is Excel row 2, and column B keeps index 1.
        assert_eq!(t.rows[0].excel_row, 2);
        assert_eq!(t.rows[0].cells[..2], [Cell::Empty, Cell::Text("姓名".into())]);
        assert_eq!(t.rows[1].cells[1], Cell::Number(12.5));
        assert_eq!(
            t.rows[1].cells[2],
            Cell::Date(NaiveDate::from_ymd_opt(2024, 1, 5).unwrap().and_hms_opt(0, 0, 0).unwrap())
        );
        assert_eq!(t.rows[1].cells[3], Cell::Bool(true));
    }
}
