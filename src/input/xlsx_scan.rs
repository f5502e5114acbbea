//! The first sheet of an .xlsx read straight from its XML, for speed. A province's roster is a million rows
//! (900 MB of sheet XML); calamine's general reader spends most of reading it in quick-xml's events, attribute
//! iterators and a String per cell. This reader knows the shapes spreadsheet programs write — `<row>`,
//! `<c r s t>`, `<v>`, `<f>`, `<is>`/`<si>` with rich text — and gives each cell the value calamine gives it
//! (as a `calamine::DataRef`, so dates and error values go through calamine's own types).
//!
//! Anything else it meets (a namespace prefix, a comment or CDATA, a `_xHHHH_` escape, a number it would have to
//! guess at, a package laid out differently) it does not guess at: it says how many cells it gave, and the
//! caller reads the rest with calamine (`sheet::stream_xlsx`). Tests hold the two readers equal cell by cell.

use super::limits;
use calamine::{CellErrorType, DataRef, ExcelDateTime, ExcelDateTimeType};
use memchr::{memchr, memchr2, memchr3, memmem};
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// Something this reader does not handle the way calamine does; calamine reads it instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Odd;

type Scan<T> = Result<T, Odd>;

/// What the workbook tells about reading its first sheet.
#[derive(Debug)]
pub struct Workbook {
    /// The first sheet's name, as calamine's `sheet_names()[0]`.
    pub sheet_name: String,
    /// Its part in the package (`xl/worksheets/sheet1.xml`).
    sheet_path: String,
    strings: Vec<String>,
    /// For each cell style (`s`), whether its number format shows a date or a duration.
    formats: Vec<NumberKind>,
    is_1904: bool,
}

/// How a number with a given style is shown (calamine's `CellFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    Other,
    DateTime,
    TimeDelta,
}

/// How a scan of the sheet ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Every cell was given.
    Done,
    /// `emit` asked to stop.
    Stopped,
    /// The first `cells` cells (in the order of the file) were given; the rest is for calamine.
    Odd { cells: u64 },
}

impl Workbook {
    /// The package's parts this reader needs, or `None` when the package is not laid out as Excel, WPS and
    /// LibreOffice lay it out (the caller then uses calamine for the whole file).
    pub fn open(bytes: &[u8]) -> Option<Workbook> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        // Parts held whole are read up to `limits::PART_BYTES`; a larger one (or one that says it is) is left to
        // calamine's path, which refuses it naming the part.
        let mut part = |name: &str| -> Option<Option<Vec<u8>>> {
            match zip.by_name(name) {
                Ok(f) => {
                    if f.size() > limits::PART_BYTES {
                        return None;
                    }
                    let mut out = Vec::with_capacity(f.size() as usize);
                    f.take(limits::PART_BYTES + 1).read_to_end(&mut out).ok()?;
                    if out.len() as u64 > limits::PART_BYTES {
                        return None;
                    }
                    Some(Some(out))
                }
                Err(zip::result::ZipError::FileNotFound) => Some(None),
                Err(_) => None,
            }
        };
        let root = part("_rels/.rels")??;
        let document =
            relationships(&root).ok()?.into_iter().find(|r| r.kind.ends_with("/relationships/officeDocument"))?;
        if !matches!(document.target.as_str(), "xl/workbook.xml" | "/xl/workbook.xml") {
            return None;
        }
        let rels = relationships(&part("xl/_rels/workbook.xml.rels")??).ok()?;
        let (sheet_name, rel_id, is_1904) = first_sheet(&part("xl/workbook.xml")??).ok()?;
        let rel = rels.iter().find(|r| r.id == rel_id)?;
        if !rel.kind.ends_with("/worksheet") {
            return None;
        }
        let sheet_path = match rel.target.strip_prefix('/') {
            Some(absolute) => absolute.to_string(),
            None => format!("xl/{}", rel.target),
        };
        let formats = match part("xl/styles.xml")? {
            Some(xml) => cell_formats(&xml).ok()?,
            None => Vec::new(),
        };
        let strings = match part("xl/sharedStrings.xml")? {
            Some(xml) => shared_strings(&xml).ok()?,
            None => Vec::new(),
        };
        Some(Workbook { sheet_name, sheet_path, strings, formats, is_1904 })
    }

    /// Give every cell of the first sheet to `emit` as (0-based row, 0-based column, value), in the order of the
    /// file; `emit` returns `false` to stop. The sheet's XML is inflated a few MB at a time, never held whole.
    pub fn scan(&self, bytes: &[u8], emit: impl FnMut(u32, u32, DataRef<'_>) -> bool) -> Ended {
        let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ended::Odd { cells: 0 } };
        let Ok(part) = zip.by_name(&self.sheet_path) else { return Ended::Odd { cells: 0 } };
        // The sheet is inflated on a thread of its own, two pieces ahead of the scan (inflating was a sixth of the
        // scanning thread's time, and that thread bounds reading a province's roster): the .xlsx pipeline's first
        // stage (see `parallel`).
        let (feed, inflated) = crate::parallel::ahead::<std::io::Result<Vec<u8>>, Vec<u8>>(2);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut part = part;
                let mut total = 0u64;
                loop {
                    let mut piece = feed.spent().unwrap_or_else(|| Vec::with_capacity(CHUNK));
                    piece.clear();
                    let mut read = (&mut part).take(CHUNK as u64).read_to_end(&mut piece).map(|_| piece);
                    // A sheet larger than the bound ends the scan here (calamine's path refuses the file).
                    total += read.as_ref().map_or(0, |p| p.len() as u64);
                    if total > limits::SHEET_PART_BYTES {
                        read = Err(std::io::Error::other("sheet part too large"));
                    }
                    // An empty piece is the end of the part; a send fails once the scan has stopped.
                    let last = !matches!(&read, Ok(p) if !p.is_empty());
                    if !feed.send(read) || last {
                        break;
                    }
                }
            });
            let ended = self.scan_pieces(
                |buf| match inflated.recv() {
                    Some(Ok(piece)) => {
                        buf.extend_from_slice(&piece);
                        let eof = piece.is_empty();
                        inflated.give_back(piece);
                        Ok(eof)
                    }
                    _ => Err(Odd),
                },
                emit,
            );
            // The scan may stop before the part's end: the inflating thread's next send then fails and it ends.
            drop(inflated);
            ended
        })
    }

    /// `scan` over the sheet's text as `next` appends it to a buffer (`Ok(true)`: nothing more).
    fn scan_pieces(
        &self,
        mut next: impl FnMut(&mut Vec<u8>) -> Scan<bool>,
        mut emit: impl FnMut(u32, u32, DataRef<'_>) -> bool,
    ) -> Ended {
        let mut state = SheetState { at: Where::Prelude, row: 0, col: 0, cells: 0 };
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
        let mut start = 0;
        let mut eof = false;
        let end_of_row = memmem::FinderRev::new(b"</row>");
        loop {
            // Take the text up to the last complete row: every token and cell in it is whole.
            let cut = if eof {
                Some(buf.len())
            } else {
                end_of_row.rfind(&buf[start..]).map(|i| start + i + b"</row>".len())
            };
            if let Some(cut) = cut.filter(|&c| c > start) {
                match state.feed(self, &buf[start..cut], &mut emit) {
                    Ok(true) => start = cut,
                    Ok(false) => return Ended::Stopped,
                    Err(Odd) => return Ended::Odd { cells: state.cells },
                }
                if state.at == Where::Done {
                    return Ended::Done;
                }
            }
            if eof {
                // The part ended before `</sheetData>`: calamine says what is wrong with it.
                return Ended::Odd { cells: state.cells };
            }
            // A row (or a prelude) longer than any real one is not held whole: calamine's path refuses the file
            // (`limits::check_package`), or reads it if it is only laid out oddly.
            if buf.len() - start > limits::ROW_XML_BYTES {
                return Ended::Odd { cells: state.cells };
            }
            buf.drain(..start);
            start = 0;
            match next(&mut buf) {
                Ok(end) => eof = end,
                Err(Odd) => return Ended::Odd { cells: state.cells },
            }
        }
    }
}

/// Inflated sheet XML read at a time (small under test, so every test crosses pieces).
const CHUNK: usize = if cfg!(test) { 1 << 10 } else { 4 << 20 };

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    /// Before `<sheetData>`.
    Prelude,
    Rows,
    /// After `</sheetData>`: nothing more is read.
    Done,
}

/// Where the scan is, carried from one piece of the sheet to the next (calamine's `row_index`/`col_index`,
/// used for a row or cell without its `r`).
struct SheetState {
    at: Where,
    row: u32,
    col: u32,
    cells: u64,
}

impl SheetState {
    /// Scan one piece of the sheet that ends at a token boundary. `Ok(false)`: `emit` asked to stop.
    fn feed(&mut self, wb: &Workbook, text: &[u8], emit: &mut impl FnMut(u32, u32, DataRef<'_>) -> bool) -> Scan<bool> {
        let mut tokens = Tokens { s: text, pos: 0 };
        while let Some(item) = tokens.next()? {
            match (self.at, item) {
                (Where::Prelude, Item::Open { name: b"sheetData", empty, .. }) => {
                    self.at = if empty { Where::Done } else { Where::Rows };
                }
                (Where::Prelude, Item::Open { name, .. }) if prefixed(name, &[b"sheetData"]) => return Err(Odd),
                (Where::Prelude, _) => {}
                (Where::Rows, Item::Open { name: b"row", attrs, empty }) => {
                    if let Some(r) = attr(attrs, b"r")? {
                        self.row = row_number(r)?;
                    }
                    if empty {
                        self.end_row();
                    }
                }
                (Where::Rows, Item::Close(b"row")) => self.end_row(),
                (Where::Rows, Item::Open { name: b"c", attrs, empty }) => {
                    let (row, col, value) = self.cell(wb, &mut tokens, attrs, empty)?;
                    if !emit(row, col, value) {
                        return Ok(false);
                    }
                    self.cells += 1;
                    self.col += 1;
                }
                (Where::Rows, Item::Close(b"sheetData")) => {
                    self.at = Where::Done;
                    return Ok(true);
                }
                (Where::Rows, Item::Text(_)) => {}
                (Where::Rows, _) => return Err(Odd),
                (Where::Done, _) => return Ok(true),
            }
        }
        Ok(true)
    }

    fn end_row(&mut self) {
        self.row += 1;
        self.col = 0;
    }

    /// One `<c>`: its position and the value of its last `<v>`, `<is>` or `<f>` (calamine keeps the last).
    fn cell<'a>(
        &mut self,
        wb: &'a Workbook,
        tokens: &mut Tokens<'a>,
        attrs: &[u8],
        empty: bool,
    ) -> Scan<(u32, u32, DataRef<'a>)> {
        let (mut r, mut s, mut t) = (None, None, None);
        for_each_attr(attrs, |key, value| {
            match key {
                b"r" => r = Some(value),
                b"s" => s = Some(value),
                b"t" => t = Some(value),
                _ => {}
            }
            Ok(())
        })?;
        let (row, col) = match r {
            Some(r) => {
                let (row, col) = cell_ref(r)?;
                self.col = col;
                (row, col)
            }
            None => (self.row, self.col),
        };
        if empty {
            return Ok((row, col, DataRef::Empty));
        }
        // The two shapes nearly every cell has, matched whole: `<v>…</v></c>` and `<is><t>…</t></is></c>`.
        if let Some(value) = wb.common_cell(tokens, s, t)? {
            return Ok((row, col, value));
        }
        let mut value = DataRef::Empty;
        {
            loop {
                match tokens.next()?.ok_or(Odd)? {
                    Item::Close(b"c") => break,
                    Item::Open { name: b"v", empty, .. } => value = wb.v(tokens, empty, s, t)?,
                    Item::Open { name: b"is", empty, .. } => {
                        value = DataRef::String(if empty { String::new() } else { rich_text(tokens, b"is")? })
                    }
                    Item::Open { name: b"f", empty, .. } => {
                        if !empty {
                            skip_to(tokens, b"f")?;
                        }
                        value = DataRef::Empty;
                    }
                    Item::Open { .. } => return Err(Odd),
                    Item::Text(_) | Item::Close(_) => {}
                }
            }
        }
        Ok((row, col, value))
    }
}

impl Workbook {
    /// The value of a cell whose start tag was just read, when its content is exactly `<v>text</v></c>` or
    /// `<is><t>text</t></is></c>` (then the tokens are moved past its `</c>`); `None` for any other content.
    fn common_cell<'a>(
        &'a self,
        tokens: &mut Tokens<'a>,
        s: Option<&[u8]>,
        t: Option<&[u8]>,
    ) -> Scan<Option<DataRef<'a>>> {
        const V_END: &[u8] = b"</v></c>";
        const IS_END: &[u8] = b"</t></is></c>";
        let rest = &tokens.s[tokens.pos..];
        if let Some(body) = rest.strip_prefix(b"<v>") {
            let Some(end) = memchr(b'<', body) else { return Ok(None) };
            if !body[end..].starts_with(V_END) {
                return Ok(None);
            }
            let value = self.v_value(&body[..end], s, t)?;
            tokens.pos += b"<v>".len() + end + V_END.len();
            return Ok(Some(value));
        }
        if let Some(body) = rest.strip_prefix(b"<is><t>") {
            let Some(end) = memchr(b'<', body) else { return Ok(None) };
            if !body[end..].starts_with(IS_END) {
                return Ok(None);
            }
            let raw = &body[..end];
            tokens.pos += b"<is><t>".len() + end + IS_END.len();
            // Plain text (no entity, nothing to trim, no `_x`) is lent straight from the sheet's XML.
            if let Ok(plain) = std::str::from_utf8(raw)
                && memchr2(b'&', b'\r', raw).is_none()
                && plain.trim_matches([' ', '\t', '\n']).len() == plain.len()
                && !has_escape(plain)
            {
                return Ok(Some(DataRef::SharedString(plain)));
            }
            let mut text = String::new();
            push_text(raw, &mut text)?;
            return Ok(Some(DataRef::String(trim_unless_preserved(text, false)?)));
        }
        Ok(None)
    }

    /// A `<v>` whose start tag was just read (calamine's `read_value`): its one text, if any, and its end tag.
    fn v<'a>(&'a self, tokens: &mut Tokens<'a>, empty: bool, s: Option<&[u8]>, t: Option<&[u8]>) -> Scan<DataRef<'a>> {
        let raw: &[u8] = if empty {
            b""
        } else {
            match tokens.next()?.ok_or(Odd)? {
                Item::Close(b"v") => b"",
                Item::Text(raw) => {
                    skip_to(tokens, b"v")?;
                    raw
                }
                _ => return Err(Odd),
            }
        };
        self.v_value(raw, s, t)
    }

    /// The value of a `<v>` holding the raw text `raw` (calamine's `read_value`/`read_v`): nothing for an inline
    /// string's cell (its `<is>` holds the text); the text as it stands for the types that are plain ASCII
    /// (calamine does not decode entities there, so an `&` is `Odd`); entities decoded for the others.
    fn v_value<'w>(&'w self, raw: &[u8], s: Option<&[u8]>, t: Option<&[u8]>) -> Scan<DataRef<'w>> {
        match t {
            Some(b"inlineStr" | b"is") => Ok(DataRef::Empty),
            Some(b"n" | b"s" | b"b" | b"e") | None => {
                if raw.is_empty() {
                    return Ok(DataRef::Empty); // `<v/>` or `<v></v>`
                }
                if memchr(b'&', raw).is_some() {
                    return Err(Odd);
                }
                self.read_v(std::str::from_utf8(raw).map_err(|_| Odd)?, s, t)
            }
            _ => {
                let mut text = String::new();
                push_text(raw, &mut text)?;
                self.read_v(&text, s, t)
            }
        }
    }

    fn read_v<'w>(&'w self, v: &str, s: Option<&[u8]>, t: Option<&[u8]>) -> Scan<DataRef<'w>> {
        let format = match s {
            Some(s) => self.formats.get(digits(s)? as usize).copied(),
            None => Some(NumberKind::Other),
        };
        Ok(match t {
            Some(b"s") => {
                if v.is_empty() {
                    return Ok(DataRef::Empty);
                }
                DataRef::SharedString(self.strings.get(digits(v.as_bytes())? as usize).ok_or(Odd)?)
            }
            Some(b"b") => match v.trim() {
                "" => DataRef::Empty,
                b if b == "0" || b.eq_ignore_ascii_case("false") => DataRef::Bool(false),
                b if b == "1" || b.eq_ignore_ascii_case("true") => DataRef::Bool(true),
                _ => return Err(Odd),
            },
            Some(b"d") => DataRef::DateTimeIso(v.to_string()),
            Some(b"e") => DataRef::Error(v.parse::<CellErrorType>().map_err(|_| Odd)?),
            Some(b"str") => {
                if has_escape(v) {
                    return Err(Odd);
                }
                DataRef::String(v.to_string())
            }
            Some(b"n") | None => {
                if v.is_empty() {
                    return Ok(DataRef::Empty);
                }
                // Plain decimal numbers only; anything else ("1,5", "inf", text) is calamine's to judge.
                if !v.bytes().all(|b| matches!(b, b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E')) {
                    return Err(Odd);
                }
                let n: f64 = v.parse().map_err(|_| Odd)?;
                let kind = |k| DataRef::DateTime(ExcelDateTime::new(n, k, self.is_1904));
                match format {
                    Some(NumberKind::DateTime) => kind(ExcelDateTimeType::DateTime),
                    Some(NumberKind::TimeDelta) => kind(ExcelDateTimeType::TimeDelta),
                    _ => DataRef::Float(n),
                }
            }
            _ => return Err(Odd),
        })
    }
}

/// A piece of XML, as the tokenizer sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Item<'a> {
    /// `<name attrs>`, or `<name attrs/>` (`empty`).
    Open {
        name: &'a [u8],
        attrs: &'a [u8],
        empty: bool,
    },
    Close(&'a [u8]),
    Text(&'a [u8]),
}

/// Tokens of a piece of XML that ends at a token boundary. Declarations (`<?…?>`) are skipped; comments, CDATA
/// and DOCTYPE (`<!…`) are `Odd`.
struct Tokens<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Scan<Option<Item<'a>>> {
        let s = self.s;
        loop {
            let start = self.pos;
            if start >= s.len() {
                return Ok(None);
            }
            if s[start] != b'<' {
                let end = memchr(b'<', &s[start..]).map_or(s.len(), |i| start + i);
                self.pos = end;
                return Ok(Some(Item::Text(&s[start..end])));
            }
            match s.get(start + 1) {
                Some(b'?') => {
                    self.pos = start + memmem::find(&s[start..], b"?>").ok_or(Odd)? + 2;
                    continue;
                }
                Some(b'/') => {
                    let end = start + memchr(b'>', &s[start..]).ok_or(Odd)?;
                    self.pos = end + 1;
                    return Ok(Some(Item::Close(s[start + 2..end].trim_ascii_end())));
                }
                Some(b'!') | None => return Err(Odd),
                Some(_) => {}
            }
            // A `>` may stand inside a quoted attribute value.
            let mut i = start + 1;
            let end = loop {
                let j = i + memchr3(b'>', b'"', b'\'', &s[i..]).ok_or(Odd)?;
                if s[j] == b'>' {
                    break j;
                }
                i = j + 1 + memchr(s[j], &s[j + 1..]).ok_or(Odd)? + 1;
            };
            self.pos = end + 1;
            let inner = &s[start + 1..end];
            let (inner, empty) = match inner.strip_suffix(b"/") {
                Some(inner) => (inner, true),
                None => (inner, false),
            };
            let name_end = inner.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(inner.len());
            return Ok(Some(Item::Open { name: &inner[..name_end], attrs: &inner[name_end..], empty }));
        }
    }
}

/// Each `key="value"` of a tag, raw (entities not decoded).
fn for_each_attr<'a>(attrs: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8]) -> Scan<()>) -> Scan<()> {
    let mut i = 0;
    loop {
        while attrs.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if i >= attrs.len() {
            return Ok(());
        }
        let eq = i + memchr(b'=', &attrs[i..]).ok_or(Odd)?;
        let key = attrs[i..eq].trim_ascii();
        let mut j = eq + 1;
        while attrs.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        let quote = *attrs.get(j).filter(|q| matches!(q, b'"' | b'\'')).ok_or(Odd)?;
        let close = j + 1 + memchr(quote, &attrs[j + 1..]).ok_or(Odd)?;
        f(key, &attrs[j + 1..close])?;
        i = close + 1;
    }
}

fn attr<'a>(attrs: &'a [u8], name: &[u8]) -> Scan<Option<&'a [u8]>> {
    let mut found = None;
    for_each_attr(attrs, |key, value| {
        if key == name && found.is_none() {
            found = Some(value);
        }
        Ok(())
    })?;
    Ok(found)
}

/// An attribute value with its entities decoded.
fn attr_text(attrs: &[u8], name: &[u8]) -> Scan<Option<String>> {
    attr(attrs, name)?
        .map(|raw| {
            let mut out = String::new();
            push_text(raw, &mut out).map(|()| out)
        })
        .transpose()
}

/// Skip to the `</name>` that closes the element just opened (its content is text only).
fn skip_to(tokens: &mut Tokens<'_>, name: &[u8]) -> Scan<()> {
    loop {
        match tokens.next()?.ok_or(Odd)? {
            Item::Close(n) if n == name => return Ok(()),
            Item::Text(_) => {}
            _ => return Err(Odd),
        }
    }
}

/// The decoded text of the element `name` whose start tag was just read, up to its `</name>` (text only).
fn element_text(tokens: &mut Tokens<'_>, name: &[u8], empty: bool) -> Scan<String> {
    let mut text = String::new();
    if !empty {
        loop {
            match tokens.next()?.ok_or(Odd)? {
                Item::Text(raw) => push_text(raw, &mut text)?,
                Item::Close(n) if n == name => break,
                _ => return Err(Odd),
            }
        }
    }
    Ok(text)
}

/// XML text with its entities decoded, appended to `out`. A carriage return is `Odd` (XML turns CR LF into
/// LF; calamine does that through quick-xml).
fn push_text(raw: &[u8], out: &mut String) -> Scan<()> {
    let mut rest = raw;
    loop {
        let Some(i) = memchr2(b'&', b'\r', rest) else {
            out.push_str(std::str::from_utf8(rest).map_err(|_| Odd)?);
            return Ok(());
        };
        if rest[i] == b'\r' {
            return Err(Odd);
        }
        out.push_str(std::str::from_utf8(&rest[..i]).map_err(|_| Odd)?);
        let semi = i + memchr(b';', &rest[i..]).ok_or(Odd)?;
        let c = match &rest[i + 1..semi] {
            b"lt" => '<',
            b"gt" => '>',
            b"amp" => '&',
            b"quot" => '"',
            b"apos" => '\'',
            [b'#', b'x', hex @ ..] if !hex.is_empty() && hex.len() <= 6 => {
                let code = u32::from_str_radix(std::str::from_utf8(hex).map_err(|_| Odd)?, 16).map_err(|_| Odd)?;
                char::from_u32(code).filter(|c| *c != '\0').ok_or(Odd)?
            }
            [b'#', dec @ ..] if !dec.is_empty() && dec.len() <= 7 => {
                char::from_u32(digits(dec)?).filter(|c| *c != '\0').ok_or(Odd)?
            }
            _ => return Err(Odd),
        };
        out.push(c);
        rest = &rest[semi + 1..];
    }
}

/// A run of ASCII digits (at most nine) as a number.
fn digits(s: &[u8]) -> Scan<u32> {
    if s.is_empty() || s.len() > 9 || !s.iter().all(u8::is_ascii_digit) {
        return Err(Odd);
    }
    Ok(s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// A row's `r` (1-based) as a 0-based row.
fn row_number(r: &[u8]) -> Scan<u32> {
    digits(r)?.checked_sub(1).ok_or(Odd)
}

/// A cell's `r` ("B12") as 0-based (row, column).
fn cell_ref(r: &[u8]) -> Scan<(u32, u32)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 3 {
        return Err(Odd);
    }
    let col = r[..letters].iter().fold(0u32, |n, b| n * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1);
    Ok((row_number(&r[letters..])?, col - 1))
}

/// The text of an `<si>` or `<is>` whose start tag was just read, up to `</end>` (calamine's
/// `read_string_with_bufs`): the `<t>`s of its runs joined, phonetic guides (`<rPh>`) left out, spaces at the
/// ends trimmed unless `xml:space="preserve"`.
fn rich_text(tokens: &mut Tokens<'_>, end: &[u8]) -> Scan<String> {
    let mut rich: Option<String> = None;
    let mut phonetic = false;
    loop {
        match tokens.next()?.ok_or(Odd)? {
            Item::Close(name) if name == end => return Ok(rich.unwrap_or_default()),
            Item::Open { name: b"r", .. } => {
                rich.get_or_insert_with(String::new);
            }
            Item::Open { name: b"rPh", empty, .. } => phonetic = !empty,
            Item::Close(b"rPh") => phonetic = false,
            Item::Open { name: b"t", attrs, empty } if !phonetic => {
                let preserve = attr(attrs, b"xml:space")? == Some(b"preserve");
                let value = element_text(tokens, b"t", empty)?;
                let value = trim_unless_preserved(value, preserve)?;
                match &mut rich {
                    Some(s) => s.push_str(&value),
                    None => rich = Some(value),
                }
            }
            Item::Open { .. } | Item::Close(_) | Item::Text(_) => {}
        }
    }
}

/// `prefix:local` with `local` one of `names`: an element calamine reads by its local name, written with a
/// namespace prefix. This reader matches names whole, so it leaves such a file to calamine.
fn prefixed(name: &[u8], names: &[&[u8]]) -> bool {
    match memchr(b':', name) {
        Some(i) => names.contains(&&name[i + 1..]),
        None => false,
    }
}

/// A `<t>`'s decoded text as calamine keeps it: spaces at the ends trimmed unless `xml:space="preserve"`.
/// `Odd` when it holds `_x` (possibly an `_xHHHH_` escape, which calamine decodes).
fn trim_unless_preserved(mut value: String, preserve: bool) -> Scan<String> {
    if !preserve {
        let trimmed = value.trim_matches([' ', '\t', '\r', '\n']);
        if trimmed.len() != value.len() {
            value = trimmed.to_string();
        }
    }
    if has_escape(&value) {
        return Err(Odd);
    }
    Ok(value)
}

/// Whether the text holds `_x` (most text has no `_` at all).
fn has_escape(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'_', bytes).any(|i| bytes.get(i + 1) == Some(&b'x'))
}

/// A package relationship.
struct Relationship {
    id: String,
    kind: String,
    target: String,
}

fn relationships(xml: &[u8]) -> Scan<Vec<Relationship>> {
    let mut tokens = Tokens { s: xml, pos: 0 };
    let mut out = Vec::new();
    while let Some(item) = tokens.next()? {
        if let Item::Open { name: b"Relationship", attrs, .. } = item {
            let text = |name| attr_text(attrs, name).map(Option::unwrap_or_default);
            out.push(Relationship { id: text(b"Id")?, kind: text(b"Type")?, target: text(b"Target")? });
        }
    }
    Ok(out)
}

/// The first sheet's name and relationship id, and whether dates count from 1904.
fn first_sheet(xml: &[u8]) -> Scan<(String, String, bool)> {
    let mut tokens = Tokens { s: xml, pos: 0 };
    let mut first = None;
    let mut is_1904 = false;
    while let Some(item) = tokens.next()? {
        match item {
            Item::Open { name: b"sheet", attrs, .. } if first.is_none() => {
                let name = attr_text(attrs, b"name")?.unwrap_or_default();
                first = Some((name, attr_text(attrs, b"r:id")?.ok_or(Odd)?));
            }
            Item::Open { name: b"workbookPr", attrs, .. } => {
                if let Some(v) = attr(attrs, b"date1904")? {
                    is_1904 = v == b"1" || v == b"true";
                }
            }
            Item::Open { name, .. } if prefixed(name, &[b"sheet", b"workbookPr"]) => return Err(Odd),
            _ => {}
        }
    }
    let (name, id) = first.ok_or(Odd)?;
    Ok((name, id, is_1904))
}

/// For each cell style (`<cellXfs>`'s `<xf>`), how its number format shows a number.
fn cell_formats(xml: &[u8]) -> Scan<Vec<NumberKind>> {
    let mut tokens = Tokens { s: xml, pos: 0 };
    let mut custom: HashMap<Vec<u8>, String> = HashMap::new();
    let mut formats = Vec::new();
    let (mut in_num_fmts, mut in_cell_xfs) = (false, false);
    while let Some(item) = tokens.next()? {
        match item {
            Item::Open { name, .. } if prefixed(name, &[b"numFmts", b"numFmt", b"cellXfs", b"xf"]) => return Err(Odd),
            Item::Open { name: b"numFmts", empty, .. } => in_num_fmts = !empty,
            Item::Close(b"numFmts") => in_num_fmts = false,
            Item::Open { name: b"numFmt", attrs, .. } if in_num_fmts => {
                if let (Some(id), Some(code)) = (attr(attrs, b"numFmtId")?, attr_text(attrs, b"formatCode")?) {
                    custom.insert(id.to_vec(), code);
                }
            }
            Item::Open { name: b"cellXfs", empty, .. } => in_cell_xfs = !empty,
            Item::Close(b"cellXfs") => in_cell_xfs = false,
            Item::Open { name: b"xf", attrs, .. } if in_cell_xfs => {
                formats.push(match attr(attrs, b"numFmtId")? {
                    None => NumberKind::Other,
                    Some(id) => match custom.get(id) {
                        Some(code) => custom_format_kind(code),
                        None => builtin_format_kind(id),
                    },
                });
            }
            _ => {}
        }
    }
    Ok(formats)
}

/// The shared strings, in order.
fn shared_strings(xml: &[u8]) -> Scan<Vec<String>> {
    let mut tokens = Tokens { s: xml, pos: 0 };
    let mut strings = Vec::new();
    while let Some(item) = tokens.next()? {
        match item {
            Item::Open { name, .. } if prefixed(name, &[b"sst", b"si", b"r", b"t", b"rPh"]) => return Err(Odd),
            Item::Open { name: b"sst", attrs, .. } => {
                // The count the file claims, as far as it is believable.
                if let Some(n) = attr(attrs, b"uniqueCount")? {
                    strings.reserve((digits(n).unwrap_or(0) as usize).min(limits::SHARED_STRINGS));
                }
            }
            Item::Open { name: b"si", empty, .. } => {
                // Beyond the bound, calamine's path refuses the file (`limits::check_package`).
                if strings.len() >= limits::SHARED_STRINGS {
                    return Err(Odd);
                }
                strings.push(if empty { String::new() } else { rich_text(&mut tokens, b"si")? })
            }
            _ => {}
        }
    }
    Ok(strings)
}

/// calamine 0.38's `builtin_format_by_id` (MIT): the built-in number formats that show dates and times.
fn builtin_format_kind(id: &[u8]) -> NumberKind {
    match id {
        b"14" | b"15" | b"16" | b"17" | b"18" | b"19" | b"20" | b"21" | b"22" | b"45" | b"47" => NumberKind::DateTime,
        b"27" | b"28" | b"29" | b"30" | b"31" | b"32" | b"33" | b"34" | b"35" | b"36" | b"50" | b"51" | b"52"
        | b"53" | b"54" | b"55" | b"56" | b"57" | b"58" => NumberKind::DateTime,
        b"46" => NumberKind::TimeDelta,
        _ => NumberKind::Other,
    }
}

/// calamine 0.38's `detect_custom_number_format` (MIT), so a custom format is a date here exactly when it is
/// one there: a date or time letter outside quotes and brackets, in the first section of the format.
fn custom_format_kind(format: &str) -> NumberKind {
    let mut escaped = false;
    let mut is_quote = false;
    let mut brackets = 0u8;
    let mut prev = ' ';
    let mut hms = false;
    let mut ap = false;
    for s in format.chars() {
        match (s, escaped, is_quote, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => is_quote = false,
            (_, _, true, _, _) => (),
            ('"', _, _, _, _) => is_quote = true,
            (';', ..) => return NumberKind::Other,
            ('[', ..) => brackets += 1,
            (']', .., 1) if hms => return NumberKind::TimeDelta,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return NumberKind::DateTime,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return NumberKind::DateTime;
            }
            _ => {
                if !(hms && s.eq_ignore_ascii_case(&prev)) {
                    hms = prev == '[' && matches!(s, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = s;
    }
    NumberKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::sheet::{Row, stream_xlsx_with};
    use calamine::{Data, Reader as _, Xlsx};
    use std::io::Write;

    /// Every cell of the first sheet as calamine's cell reader gives it.
    fn calamine_cells(bytes: &[u8]) -> Vec<(u32, u32, Data)> {
        let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
        let name = book.sheet_names()[0].clone();
        let mut reader = book.worksheet_cells_reader(&name).unwrap();
        let mut out = Vec::new();
        while let Some(cell) = reader.next_cell().unwrap() {
            let (r, c) = cell.get_position();
            out.push((r, c, Data::from(cell.get_value().clone())));
        }
        out
    }

    /// Every cell this reader gives, and how it ended.
    fn fast_cells(bytes: &[u8]) -> (Vec<(u32, u32, Data)>, Ended) {
        let wb = Workbook::open(bytes).expect("a package this reader opens");
        let mut out = Vec::new();
        let ended = wb.scan(bytes, |r, c, v| {
            out.push((r, c, Data::from(v)));
            true
        });
        (out, ended)
    }

    /// The rows `RowReader` gives for the first sheet, with the fast reader on or off, or its message.
    fn rows(bytes: &[u8], fast: bool) -> Result<Vec<Row>, String> {
        let mut reader = stream_xlsx_with("t.xlsx", bytes.to_vec(), fast).expect("opens");
        let (mut out, mut row) = (Vec::new(), Row::default());
        while reader.next_row(&mut row).map_err(|p| p.to_string())? {
            out.push(row.clone());
        }
        Ok(out)
    }

    /// A minimal package as Excel lays it out, with this sheet XML, shared strings and styles.
    fn package(sheet: &str, strings: Option<&str>, styles: Option<&str>, date1904: bool) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        let mut part = |name: &str, text: &str| {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        };
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        part(
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#,
        );
        part(
            "_rels/.rels",
            &format!(
                r#"<?xml version="1.0"?><Relationships><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        );
        part(
            "xl/_rels/workbook.xml.rels",
            &format!(
                r#"<Relationships><Relationship Id="rId2" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
            ),
        );
        let pr = if date1904 { r#"<workbookPr date1904="1"/>"# } else { "" };
        part(
            "xl/workbook.xml",
            &format!(
                r#"<workbook xmlns:r="{rel}">{pr}<sheets><sheet name="花名册 &amp; 附表" sheetId="1" r:id="rId2"/></sheets></workbook>"#
            ),
        );
        if let Some(strings) = strings {
            part("xl/sharedStrings.xml", strings);
        }
        if let Some(styles) = styles {
            part("xl/styles.xml", styles);
        }
        part("xl/worksheets/sheet1.xml", &format!("<?xml version=\"1.0\"?><worksheet>{sheet}</worksheet>"));
        zip.finish().unwrap().into_inner()
    }

    const STRINGS: &str = r#"<sst count="4" uniqueCount="4"><si><t>身份证号</t></si><si><r><t>rich </t></r><r><rPr><b/></rPr><t xml:space="preserve">text </t></r><rPh sb="0" eb="1"><t>ルビ</t></rPh></si><si><t/></si><si><t>  张&#x3000;三 &amp; 李四  </t></si></sst>"#;

    /// Style 1: built-in date (14); 2: custom date; 3: text (49); 4: duration; 5: a number format with "d" in
    /// quotes (not a date). The `<xf>` in cellStyleXfs is not a cell style.
    const STYLES: &str = r#"<styleSheet><numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy\年m\月"/><numFmt numFmtId="165" formatCode="[h]:mm:ss"/><numFmt numFmtId="166" formatCode="0.00&quot;d&quot;"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/><xf numFmtId="49"><alignment horizontal="left"/></xf><xf numFmtId="165"/><xf numFmtId="166"/></cellXfs><dxfs count="1"><dxf><numFmt numFmtId="164" formatCode="0"/></dxf></dxfs></styleSheet>"#;

    /// Every shape this reader handles, each beside calamine's reading of it.
    const SHEET: &str = r#"<dimension ref="A1:AA9"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetData>
<row r="1" spans="1:4"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t xml:space="preserve"> 张 三 </t></is></c><c r="D1" t="inlineStr"><is><t> a &amp; &lt;b&gt; &#x4E00;&#19968;&quot;&apos; </t></is></c><c r="E1" t="s"><v>2</v></c><c r="F1" t="s"><v>3</v></c></row>
<row r="3"><c r="A3" s="1"><v>45215</v></c><c r="B3" s="2"><v>45215.5</v></c><c r="C3"><v>3.25</v></c><c r="D3" t="b"><v>1</v></c><c r="E3" t="e"><v>#N/A</v></c><c r="F3" t="str"><f>A1&amp;B1</f><v>a&amp;b</v></c><c r="G3" s="3" t="inlineStr"><is><t>110101199003070011</t></is></c><c r="H3" s="5"><v>2.5</v></c><c r="I3" s="9"><v>12</v></c></row>
<row r="4"><c r="A4"/><c r="B4" s="3"/><c r="C4" t="s"><v/></c><c r="D4" t="inlineStr"><is/></c><c r="E4" t="inlineStr"><is><r><rPr><b/></rPr><t>富</t></r><r><t xml:space="preserve"> 文本</t></r><rPh sb="0" eb="1"><t>ふ</t></rPh></is></c><c r="F4" t="b"><v>false</v></c></row>
<row><c><v>7</v></c><c><v>8</v></c><c r="E5"><v>9</v></c><c><v>10</v></c></row>
<row r="7"/>
<row r="8" ht="20" customHeight="1"><c r="B8" s="4"><v>1.5</v></c><c r="C8" t="d"><v>2024-01-05T00:00:00</v></c><c r="D8"><f>1+1</f><v>2</v></c><c r="AA8" t="n"><v>-1.5E+3</v></c><c r="AB8" t="inlineStr"><v>ignored</v><is><t>kept</t></is></c><c r="AC8" t="inlineStr"><is><t>dropped</t></is><v>x</v></c></row>
<row r="9"><c r='A9' t='inlineStr'><is><t>单引号 a>b</t></is></c><c r="B9" t="str"><v></v></c></row>
</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>"#;

    #[test]
    fn every_shape_read_as_calamine_reads_it() {
        for date1904 in [false, true] {
            let bytes = package(SHEET, Some(STRINGS), Some(STYLES), date1904);
            let (cells, ended) = fast_cells(&bytes);
            assert_eq!(ended, Ended::Done);
            assert_eq!(cells, calamine_cells(&bytes));
            assert_eq!(rows(&bytes, true), rows(&bytes, false));
        }
        // A few values spelled out, so the comparison is not two readers agreeing on nothing.
        let bytes = package(SHEET, Some(STRINGS), Some(STYLES), false);
        let (cells, _) = fast_cells(&bytes);
        let at = |r: u32, c: u32| cells.iter().find(|(cr, cc, _)| (*cr, *cc) == (r, c)).map(|(_, _, v)| v.clone());
        assert_eq!(at(0, 1), Some(Data::String("richtext ".into())), "trimmed unless preserved, then joined");
        assert_eq!(at(0, 2), Some(Data::String(" 张 三 ".into())));
        assert_eq!(at(0, 3), Some(Data::String("a & <b> 一一\"'".into())));
        assert_eq!(at(0, 5), Some(Data::String("张\u{3000}三 & 李四".into())));
        assert!(matches!(at(2, 0), Some(Data::DateTime(d)) if d.is_datetime() && d.as_f64() == 45215.0));
        assert_eq!(at(2, 7), Some(Data::Float(2.5)), "a quoted d is not a date");
        assert_eq!(at(2, 8), Some(Data::Float(12.0)), "a style past the end is no format");
        assert_eq!(at(3, 4), Some(Data::String("富 文本".into())));
        assert_eq!(at(4, 5), Some(Data::Float(10.0)), "a cell without r follows the one before");
        assert_eq!(at(7, 27), Some(Data::String("kept".into())), "the last value element wins");
        assert_eq!(at(7, 28), Some(Data::Empty));
    }

    #[test]
    fn workbooks_from_the_programs_read_as_calamine_reads_them() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for file in ["fixtures/roster.xlsx", "fixtures/standards.xlsx", "src/input/testdata/roster-libreoffice.xlsx"] {
            let bytes = std::fs::read(here.join(file)).unwrap();
            let (cells, ended) = fast_cells(&bytes);
            assert_eq!(ended, Ended::Done, "{file}: read whole by this reader");
            assert_eq!(cells, calamine_cells(&bytes), "{file}");
            assert!(cells.len() > 40, "{file}: {} cells", cells.len());
        }
    }

    /// Rows of every width, with gaps in the columns and between the rows, read in batches whose rows are
    /// reused for later rows: each row must hold its own cells only.
    #[test]
    fn reused_rows_hold_only_their_own_cells() {
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut sheet = String::from("<sheetData>");
        let mut r = 0;
        for _ in 0..300 {
            r += 1 + next(3) as u32; // some rows missing
            sheet += &format!(r#"<row r="{r}">"#);
            let mut c = 0;
            for _ in 0..next(30) {
                c += 1 + next(3) as u32; // some cells missing
                let col = (b'A' + (c - 1) as u8 % 26) as char;
                let col = if c > 26 { format!("A{col}") } else { col.to_string() };
                sheet += &match next(3) {
                    0 => format!(r#"<c r="{col}{r}"><v>{}</v></c>"#, next(1000)),
                    1 => format!(r#"<c r="{col}{r}" t="inlineStr"><is><t>文{}</t></is></c>"#, next(1000)),
                    _ => format!(r#"<c r="{col}{r}" t="inlineStr"><is><t> 空格 &amp; {}</t></is></c>"#, next(9)),
                };
            }
            sheet += "</row>";
        }
        sheet += "</sheetData>";
        let bytes = package(&sheet, None, None, false);
        // The rows as a whole range holds them, built from calamine's cells without reusing anything.
        let mut expected: Vec<Row> = Vec::new();
        for (r, c, value) in calamine_cells(&bytes) {
            while expected.last().is_none_or(|row| row.excel_row < r + 1) {
                let n = expected.last().map_or(r + 1, |row| row.excel_row + 1);
                expected.push(Row { excel_row: n, cells: Vec::new() });
            }
            let row = expected.last_mut().unwrap();
            if row.cells.len() <= c as usize {
                row.cells.resize(c as usize + 1, crate::input::sheet::Cell::Empty);
            }
            row.cells[c as usize] = crate::input::sheet::convert(&value);
        }
        assert!(expected.len() > 300);
        assert_eq!(rows(&bytes, true), Ok(expected.clone()));
        assert_eq!(rows(&bytes, false), Ok(expected));
    }

    #[test]
    fn a_row_longer_than_a_piece_of_inflated_text() {
        let long = "长".repeat(3 * CHUNK);
        let sheet = format!(
            r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{long}</t></is></c><c r="B1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row></sheetData>"#
        );
        let bytes = package(&sheet, None, None, false);
        let (cells, ended) = fast_cells(&bytes);
        assert_eq!(ended, Ended::Done);
        assert_eq!(cells.len(), 3);
        assert_eq!(cells, calamine_cells(&bytes));
    }

    /// A scan stopped by its caller ends at once, though the sheet's inflating thread is pieces ahead (under test a
    /// piece is 1 KB: 2,000 rows are many pieces).
    #[test]
    fn a_scan_stopped_early_ends_with_its_inflating_thread() {
        let rows: String = (1..=2000).map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#)).collect();
        let bytes = package(&format!("<sheetData>{rows}</sheetData>"), None, None, false);
        let wb = Workbook::open(&bytes).expect("a package this reader opens");
        let mut seen = Vec::new();
        let ended = wb.scan(&bytes, |r, _, _| {
            seen.push(r);
            r < 2
        });
        assert_eq!(ended, Ended::Stopped);
        assert_eq!(seen, [0, 1, 2]);
        // and the whole sheet when not stopped
        let (cells, ended) = fast_cells(&bytes);
        assert_eq!((cells.len(), ended), (2000, Ended::Done));
        assert_eq!(cells[1999], (1999, 0, Data::Float(2000.0)));
    }

    /// What this reader leaves to calamine, at the cell where it meets it: the rows are still calamine's.
    #[test]
    fn odd_shapes_are_left_to_calamine_from_where_they_start() {
        let row = |r: u32, inner: &str| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c>{inner}</row>"#);
        let cases = [
            (row(2, r#"<c r="B2" t="inlineStr"><is><t>a_x000D_b</t></is></c>"#), 2, false),
            (format!("{}<!-- a comment -->", row(2, "")), 2, false),
            (row(2, r#"<c r="B2" t="inlineStr"><is><t><![CDATA[x]]></t></is></c>"#), 2, false),
            (row(2, "<c r=\"B2\" t=\"inlineStr\"><is><t>a\r\nb</t></is></c>"), 2, false),
            (row(2, r#"<c r="B2"><v>1,5</v></c>"#), 2, false),
            (row(2, r#"<c r="B2" t="s"><v>7</v></c>"#), 2, true),
            (row(2, r#"<c r="B2" t="str"><v>a_x0041_</v></c>"#), 2, false),
            (row(2, r#"<c r="B2"><x:v>1</x:v></c>"#), 2, false),
            (row(2, r#"<c r="B2" t="b"><v>yes</v></c>"#), 2, true),
        ];
        for (middle, given, refused) in cases {
            let sheet = format!("<sheetData>{}{middle}{}</sheetData>", row(1, ""), row(3, ""));
            let bytes = package(&sheet, Some(STRINGS), None, false);
            let (_, ended) = fast_cells(&bytes);
            assert_eq!(ended, Ended::Odd { cells: given }, "{middle}");
            // calamine refuses two of these itself (then both ways give its message); the rest it reads.
            let calamine = rows(&bytes, false);
            assert_eq!(calamine.is_err(), refused, "{middle}: {calamine:?}");
            assert_eq!(rows(&bytes, true), calamine, "{middle}");
        }
        // A prefixed sheet, or a package laid out differently: calamine reads all of it.
        let prefixed = package(&format!("<x:sheetData>{}</x:sheetData>", row(1, "")), None, None, false);
        assert_eq!(fast_cells(&prefixed).1, Ended::Odd { cells: 0 });
        // A sheet cut off before `</sheetData>` (a damaged file): the scanner gives the cells it read, and the
        // user gets calamine's refusal, located at the file and sheet, as without the scanner.
        let cut = package(&format!("<sheetData>{}{}", row(1, ""), row(2, "")), None, None, false);
        assert_eq!(fast_cells(&cut).1, Ended::Odd { cells: 2 });
        let refused = rows(&cut, false).unwrap_err();
        assert!(refused.starts_with("t.xlsx 工作表「花名册 & 附表」：无法读取第一个工作表（"), "{refused}");
        assert_eq!(rows(&cut, true), Err(refused));
    }

    #[test]
    fn tokens_and_text() {
        let mut t = Tokens { s: br#"<?xml version="1.0"?><a x='1>2' y="3"/>t&amp;<b >"#, pos: 0 };
        assert_eq!(t.next(), Ok(Some(Item::Open { name: b"a", attrs: br#" x='1>2' y="3""#, empty: true })));
        assert_eq!(t.next(), Ok(Some(Item::Text(b"t&amp;"))));
        assert_eq!(t.next(), Ok(Some(Item::Open { name: b"b", attrs: b" ", empty: false })));
        assert_eq!(t.next(), Ok(None));
        assert_eq!(attr(br#" x='1>2' y = "3""#, b"y"), Ok(Some(&b"3"[..])));
        assert_eq!(attr(b" x", b"x"), Err(Odd));
        let text = |raw: &[u8]| {
            let mut s = String::new();
            push_text(raw, &mut s).map(|()| s)
        };
        assert_eq!(text(b"&#20013;&#x56FD;&lt;&gt;"), Ok("中国<>".to_string()));
        assert_eq!(text(b"&nbsp;"), Err(Odd));
        assert_eq!(text(b"&#0;"), Err(Odd));
        assert_eq!(text(b"&#xD800;"), Err(Odd));
        assert_eq!(text(b"a&amp"), Err(Odd));
        assert_eq!(cell_ref(b"AA12"), Ok((11, 26)));
        assert_eq!(cell_ref(b"a1"), Ok((0, 0)));
        assert_eq!(cell_ref(b"A0"), Err(Odd));
        assert_eq!(cell_ref(b"12"), Err(Odd));
        assert_eq!(cell_ref(b"ABCD1"), Err(Odd));
    }

    /// The date rules copied from calamine, checked on the formats county offices use.
    #[test]
    fn number_formats_that_show_dates() {
        for code in ["yyyy-mm-dd", "yyyy\\年m\\月d\\日", "yyyy/m/d", "m/d/yy h:mm", "[$-F800]dddd", "h:mm AM/PM"] {
            assert_eq!(custom_format_kind(code), NumberKind::DateTime, "{code}");
        }
        for code in ["0.00", "#,##0.00_ ", "@", "0.00\"d\"", "General", "0;[Red]-0", "\\d0"] {
            assert_eq!(custom_format_kind(code), NumberKind::Other, "{code}");
        }
        assert_eq!(custom_format_kind("[h]:mm:ss"), NumberKind::TimeDelta);
        assert_eq!(builtin_format_kind(b"14"), NumberKind::DateTime);
        assert_eq!(builtin_format_kind(b"58"), NumberKind::DateTime);
        assert_eq!(builtin_format_kind(b"46"), NumberKind::TimeDelta);
        assert_eq!(builtin_format_kind(b"49"), NumberKind::Other);
    }
}
