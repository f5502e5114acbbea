//! Bounds on what an input file may hold, far above any real roster and well below a PC's memory, so that a broken
//! or hostile file (a zip bomb, a 10 MB cell, a sheet 20,000 columns wide) is refused naming what was too large
//! instead of being read until the machine runs out of memory. The README's input section states them.
//!
//! A workbook is a zip of XML parts. The fast .xlsx reader (`xlsx_scan`) inflates what it reads itself and stops
//! at these bounds; calamine reads whole parts from the zip on its own, so before calamine is given a package,
//! `check_package` inflates every entry once as a stream (holding a megabyte at a time) and counts what it holds:
//! the sizes written in a zip's directory can lie, the bytes that come out cannot.

use crate::domain::{Location, Problem, Problems};
use std::io::{Cursor, Read};

/// Characters in one cell: Excel's own limit (a longer cell cannot come from Excel or WPS).
pub const CELL_CHARS: usize = 32_767;
/// Columns of a sheet (Excel's: A to XFD); also fields of a CSV record.
pub const COLUMNS: usize = 16_384;
/// Rows of a workbook's sheet (Excel's). A CSV may have more.
pub const SHEET_ROWS: u32 = 1_048_576;
/// Bytes of an input file (a million-row roster is about 200 MB as CSV, 150 MB as .xlsx).
pub const FILE_BYTES: u64 = 1 << 30;
/// Inflated bytes of a sheet part (read as a stream; a million-row roster's is about 900 MB).
pub const SHEET_PART_BYTES: u64 = 2 << 30;
/// Inflated bytes of any other part (shared strings, styles, the workbook …), which readers hold whole; and of a
/// sheet read whole (an .ods, or an .xlsx calamine reads into one range).
pub const PART_BYTES: u64 = 256 << 20;
/// Inflated bytes of all parts together.
pub const PACKAGE_BYTES: u64 = 3 << 30;
/// Entries of a zip.
pub const ZIP_ENTRIES: usize = 10_000;
/// XML between two row starts of a sheet part (a roster's row is about 1 KB; a row of 16,384 full cells fits).
pub const ROW_XML_BYTES: usize = 64 << 20;
/// XML between two `<` of any part: one text or tag (a cell of 32,767 characters, each written as `&#x4E00;`, is
/// 262 KB).
pub const TOKEN_BYTES: usize = 1 << 20;
/// Cells of an .ods sheet once its repeated rows and cells are spread out (calamine holds them all, 32 bytes
/// each): a 1 KB file can repeat one cell 16,000 times in each of 6,000 rows.
pub const ODS_CELLS: u64 = 10_000_000;
/// Items of a shared-strings table (a million-row roster has about four million).
pub const SHARED_STRINGS: usize = 10_000_000;

/// The bounds `check_package` measures against (`BOUNDS`; tests use small ones).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub sheet_part: u64,
    pub part: u64,
    pub package: u64,
    pub entries: usize,
    pub row: u64,
    pub token: u64,
    pub shared_strings: usize,
    pub ods_cells: u64,
}

pub const BOUNDS: Bounds = Bounds {
    sheet_part: SHEET_PART_BYTES,
    part: PART_BYTES,
    package: PACKAGE_BYTES,
    entries: ZIP_ENTRIES,
    row: ROW_XML_BYTES as u64,
    token: TOKEN_BYTES as u64,
    shared_strings: SHARED_STRINGS,
    ods_cells: ODS_CELLS,
};

/// A size for messages: "1 GB", "256 MB", "1 MB".
pub fn shown(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else if bytes >= 1 << 10 {
        format!("{} KB", bytes >> 10)
    } else {
        format!("{bytes} 字节")
    }
}

const HINT: &str = "文件可能已损坏，或是被特意构造的“压缩炸弹”。请确认文件来源；如确是正常的表格，请用 Excel 或 WPS 打开后另存为 .xlsx 再试。";

/// A file refused as too large for what it is.
pub fn too_large(file: &str, what: String) -> Problems {
    Problem::new("TOO_LARGE", what).at(Location::file(file)).hint(HINT).into()
}

/// A whole file larger than `FILE_BYTES`.
pub fn file_too_large(file: &str, len: u64) -> Problems {
    Problem::new(
        "TOO_LARGE",
        format!("文件有 {} MB，超过了 {} 的上限（百万人的花名册也不到其五分之一）", len >> 20, shown(FILE_BYTES)),
    )
    .at(Location::file(file))
    .hint("请确认选择的文件正确；如确需处理，请按乡镇拆分后分别处理。")
    .into()
}

/// How a part of a package is read, for its bound.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sheets {
    /// Sheet parts are streamed (`SHEET_PART_BYTES`).
    Streamed,
    /// Sheet parts are read whole (`PART_BYTES`).
    Whole,
}

/// Every entry of the zip `bytes` inflated once as a stream and measured against the bounds above: its size (as
/// written in the directory and as inflated), the package's total, the longest text or tag, the longest row of a
/// sheet, the items of a shared-strings table. The first bound passed is refused, naming the part and the bound.
/// A package the zip reader cannot open at all is let through (calamine says what is wrong with it).
pub fn check_package(file: &str, bytes: &[u8], sheets: Sheets) -> Result<(), Problems> {
    check_package_within(file, bytes, sheets, &BOUNDS)
}

fn check_package_within(file: &str, bytes: &[u8], sheets: Sheets, bounds: &Bounds) -> Result<(), Problems> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    if zip.len() > bounds.entries {
        return Err(too_large(file, format!("压缩包中有 {} 个部件，超过了 {} 个的上限", zip.len(), bounds.entries)));
    }
    let mut declared_total = 0u64;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_data(i) else { continue };
        declared_total = declared_total.saturating_add(entry.size());
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let limit = part_limit(&name, sheets, bounds);
        if entry.size() > limit {
            return Err(part_too_large(file, &name, limit));
        }
    }
    if declared_total > bounds.package {
        return Err(too_large(file, format!("工作簿解压后总计超过 {} 的上限", shown(bounds.package))));
    }
    let mut total = 0u64;
    let mut buf = Vec::with_capacity(CHUNK + 64);
    for i in 0..zip.len() {
        // An entry that cannot be read (encrypted, a method not supported) is calamine's to refuse.
        let Ok(mut entry) = zip.by_index(i) else { continue };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let declared = entry.size();
        let limit = part_limit(&name, sheets, bounds);
        let xml = name.ends_with(".xml") || name.ends_with(".rels");
        let mut meter = Meter::new(&name, bounds);
        let mut size = 0u64;
        buf.clear();
        loop {
            let before = buf.len();
            if let Err(e) = (&mut entry).take(CHUNK as u64).read_to_end(&mut buf) {
                // The zip reader stops an entry that inflates past the size its directory declares (its error says
                // so; the test of a lying package holds this to the zip crate's wording). Any other fault is
                // calamine's to name.
                if e.to_string().contains("larger than its declared") {
                    return Err(too_large(
                        file,
                        format!("工作簿中的部件“{name}”解压后超过了压缩包目录中写明的大小（{declared} 字节）"),
                    ));
                }
                break;
            }
            let read = (buf.len() - before) as u64;
            size += read;
            total += read;
            if size > limit {
                return Err(part_too_large(file, &name, limit));
            }
            if total > bounds.package {
                return Err(too_large(file, format!("工作簿解压后总计超过 {} 的上限", shown(bounds.package))));
            }
            let eof = read == 0;
            if !xml {
                buf.clear();
            } else {
                let done = meter.feed(&buf, size - buf.len() as u64, eof).map_err(|what| too_large(file, what))?;
                buf.drain(..done);
            }
            if eof {
                break;
            }
        }
    }
    Ok(())
}

/// Bytes inflated at a time by `check_package`.
const CHUNK: usize = 1 << 20;

fn is_sheet(name: &str) -> bool {
    name.starts_with("xl/worksheets/") || name == "content.xml"
}

fn part_limit(name: &str, sheets: Sheets, bounds: &Bounds) -> u64 {
    if is_sheet(name) && sheets == Sheets::Streamed { bounds.sheet_part } else { bounds.part }
}

fn part_too_large(file: &str, name: &str, limit: u64) -> Problems {
    too_large(file, format!("工作簿中的部件“{name}”解压后超过 {} 的上限", shown(limit)))
}

/// What `check_package` measures of one XML part as it streams by.
struct Meter<'a> {
    name: &'a str,
    bounds: &'a Bounds,
    sheet: bool,
    shared_strings: bool,
    /// An .ods's content: its repeated rows and cells are counted spread out.
    ods: bool,
    row_repeat: u64,
    cells: u64,
    /// Offsets in the part of the last `<`, and of the last row start (the part's start before the first).
    last_lt: u64,
    last_row: u64,
    items: usize,
}

impl<'a> Meter<'a> {
    fn new(name: &'a str, bounds: &'a Bounds) -> Meter<'a> {
        Meter {
            name,
            bounds,
            sheet: is_sheet(name),
            shared_strings: name.ends_with("sharedStrings.xml"),
            ods: name == "content.xml",
            row_repeat: 1,
            cells: 0,
            last_lt: 0,
            last_row: 0,
            items: 0,
        }
    }

    /// Measure `buf` (which starts at offset `at` of the part); returns how many of its bytes are done with (the
    /// rest may hold a tag name cut at the end of the piece, and is measured with the next piece).
    fn feed(&mut self, buf: &[u8], at: u64, eof: bool) -> Result<usize, String> {
        // A tag is measured whole: up to a token's bound of bytes after its `<` are kept for the next piece.
        let keep = self.bounds.token as usize + 64;
        let end = if eof { buf.len() } else { buf.len().saturating_sub(keep) };
        for i in memchr::memchr_iter(b'<', &buf[..end]) {
            let pos = at + i as u64;
            self.token_until(pos)?;
            self.last_lt = pos;
            if self.sheet || self.shared_strings {
                let name = &buf[i + 1..buf.len().min(i + 65)];
                let name = &name[..name.iter().position(|b| !is_name_byte(*b)).unwrap_or(name.len())];
                let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
                if self.ods && matches!(local, b"table-row" | b"table-cell" | b"covered-table-cell") {
                    let tag = &buf[i..memchr::memchr(b'>', &buf[i..]).map_or(buf.len(), |e| i + e + 1)];
                    self.ods_tag(local, tag)?;
                }
                if self.sheet && matches!(local, b"row" | b"table-row") {
                    self.row_until(pos)?;
                    self.last_row = pos;
                }
                if self.shared_strings && local == b"si" {
                    self.items += 1;
                    if self.items > self.bounds.shared_strings {
                        return Err(format!(
                            "共享字符串表“{}”有超过 {} 项，超过了上限",
                            self.name, self.bounds.shared_strings
                        ));
                    }
                }
            }
        }
        if eof {
            let pos = at + buf.len() as u64;
            self.token_until(pos)?;
            if self.sheet {
                self.row_until(pos)?;
            }
        } else {
            // Without a `<` (or a row) in the piece, the token (or row) grows: measured now, so a bomb is stopped
            // a piece after it, not at its end.
            self.token_until(at + end as u64)?;
            if self.sheet {
                self.row_until(at + end as u64)?;
            }
        }
        Ok(end)
    }

    /// A row or cell of an .ods: a row sets how many times its cells repeat; a cell with a value adds its
    /// repeats times the row's (an empty cell, written `<…/>` without a value type, is not held by calamine).
    fn ods_tag(&mut self, local: &[u8], tag: &[u8]) -> Result<(), String> {
        let repeat = |attr: &[u8]| {
            memchr::memmem::find(tag, attr).map_or(1, |at| {
                let digits = tag[at + attr.len()..].iter().skip(1).take_while(|b| b.is_ascii_digit());
                digits.fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0'))).max(1)
            })
        };
        if local == b"table-row" {
            self.row_repeat = repeat(b"number-rows-repeated=");
            return Ok(());
        }
        let has_value = !tag.ends_with(b"/>") || memchr::memmem::find(tag, b"value-type=").is_some();
        if has_value {
            let n = self.row_repeat.saturating_mul(repeat(b"number-columns-repeated="));
            self.cells = self.cells.saturating_add(n);
            if self.cells > self.bounds.ods_cells {
                return Err(format!(
                    "工作表“{}”中重复的行和单元格展开后超过 {} 万个单元格的上限",
                    self.name,
                    self.bounds.ods_cells / 10_000
                ));
            }
        }
        Ok(())
    }

    fn token_until(&self, pos: u64) -> Result<(), String> {
        if pos - self.last_lt > self.bounds.token {
            return Err(format!(
                "工作簿部件“{}”中有一段文字或标记解压后超过 {} 的上限（一个单元格最多 32767 个字符）",
                self.name,
                shown(self.bounds.token)
            ));
        }
        Ok(())
    }

    fn row_until(&self, pos: u64) -> Result<(), String> {
        if pos - self.last_row > self.bounds.row {
            return Err(format!("工作表部件“{}”中有一行解压后超过 {} 的上限", self.name, shown(self.bounds.row)));
        }
        Ok(())
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Small bounds, so the tests inflate kilobytes (each bound is met exactly below, and passed by one).
    const SMALL: Bounds = Bounds {
        sheet_part: 40_000,
        part: 20_000,
        package: 90_000,
        entries: 5,
        row: 3000,
        token: 1000,
        shared_strings: 10,
        ods_cells: 100_000,
    };

    fn package(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn refusal(parts: &[(&str, &[u8])], sheets: Sheets) -> Option<String> {
        check_package_within("t.xlsx", &package(parts), sheets, &SMALL).err().map(|p| p.0[0].message.clone())
    }

    fn sst(text: &str) -> Option<String> {
        refusal(&[("xl/sharedStrings.xml", text.as_bytes())], Sheets::Streamed)
    }

    fn sheet(text: &str, sheets: Sheets) -> Option<String> {
        refusal(&[("xl/worksheets/sheet1.xml", text.as_bytes())], sheets)
    }

    #[test]
    fn tokens_are_measured_between_their_tags() {
        // From the `<` of `<t>` to the `<` of `</t>`: 3 + n bytes.
        let text = |n: usize| format!("<sst><si><t>{}</t></si></sst>", "a".repeat(n));
        assert_eq!(sst(&text(997)), None);
        assert_eq!(
            sst(&text(998)).as_deref(),
            Some(
                "工作簿部件“xl/sharedStrings.xml”中有一段文字或标记解压后超过 1000 字节 的上限（一个单元格最多 32767 个字符）"
            )
        );
    }

    #[test]
    fn a_token_cut_by_the_end_of_an_inflated_piece_is_measured_whole() {
        // Pieces are 1 MB (and 64 bytes are kept for a tag's name): a text crossing the boundary is one token.
        let bounds = Bounds { part: 4 << 20, package: 8 << 20, ..SMALL };
        let refused = |text: &str| {
            let zip = package(&[("xl/sharedStrings.xml", text.as_bytes())]);
            check_package_within("t.xlsx", &zip, Sheets::Streamed, &bounds).is_err()
        };
        let around = |n: usize| format!("<x>{}<y>{}</y></x>", "<a/>".repeat((CHUNK - 500) / 4), "b".repeat(n));
        assert!(refused(&around(998)));
        assert!(!refused(&around(997)));
    }

    #[test]
    fn rows_are_measured_between_their_starts() {
        let row = |cells: usize| format!("<row>{}</row>", "<c><v>1</v></c>".repeat(cells));
        // 200 cells of 15 bytes: 3000 + 11 bytes from one row start to the next (past 3000); 199 are within.
        let wide = format!("<worksheet><sheetData>{}{}</sheetData></worksheet>", row(200), row(1));
        assert_eq!(
            sheet(&wide, Sheets::Streamed).as_deref(),
            Some("工作表部件“xl/worksheets/sheet1.xml”中有一行解压后超过 2 KB 的上限")
        );
        // The last row runs to the end of the part (`</sheetData>` …): 190 cells leave room for it.
        let within = format!("<worksheet><sheetData>{}</sheetData></worksheet>", row(190).repeat(10));
        assert_eq!(sheet(&within, Sheets::Streamed), None);
        // An .ods row, prefixed, counts as a row.
        let ods =
            format!("<t:table>{}</t:table>", format!("<t:table-row>{}</t:table-row>", "<c/>".repeat(100)).repeat(50));
        assert_eq!(refusal(&[("content.xml", ods.as_bytes())], Sheets::Streamed), None);
    }

    #[test]
    fn parts_and_packages_by_size_inflated_and_declared() {
        let within = format!("<row>{}</row>", "<a/>".repeat(100)).repeat(50); // 20,550 bytes
        assert_eq!(sheet(&within, Sheets::Streamed), None);
        // The same sheet read whole is bound by the smaller bound.
        assert_eq!(
            sheet(&within, Sheets::Whole).as_deref(),
            Some("工作簿中的部件“xl/worksheets/sheet1.xml”解压后超过 19 KB 的上限")
        );
        let many: Vec<(String, Vec<u8>)> = (0..6).map(|i| (format!("p{i}.bin"), vec![0u8; 10])).collect();
        let parts: Vec<(&str, &[u8])> = many.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        assert_eq!(refusal(&parts, Sheets::Streamed).as_deref(), Some("压缩包中有 6 个部件，超过了 5 个的上限"));
        let big: Vec<(String, Vec<u8>)> = (0..5).map(|i| (format!("p{i}.bin"), vec![0u8; 20_000])).collect();
        let parts: Vec<(&str, &[u8])> = big.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        assert_eq!(refusal(&parts, Sheets::Streamed).as_deref(), Some("工作簿解压后总计超过 87 KB 的上限"));
    }

    /// An .ods row repeated 1,000 times with a cell repeated 101 times in it: 101,000 cells, over 100,000; the
    /// empty cells LibreOffice repeats to the sheet's end are not counted.
    #[test]
    fn ods_cells_are_counted_with_their_repeats() {
        let ods = |cells: u64| {
            let text = format!(
                r#"<t:table><t:table-row t:style-name="ro1" t:number-rows-repeated="1000"><t:table-cell o:value-type="string" t:number-columns-repeated="{cells}"><p>x</p></t:table-cell><t:table-cell t:number-columns-repeated="16000"/></t:table-row><t:table-row t:number-rows-repeated="1048000"><t:table-cell t:number-columns-repeated="1024"/></t:table-row></t:table>"#
            );
            refusal(&[("content.xml", text.as_bytes())], Sheets::Whole)
        };
        assert_eq!(ods(100), None);
        assert_eq!(ods(101).as_deref(), Some("工作表“content.xml”中重复的行和单元格展开后超过 10 万个单元格的上限"));
    }

    #[test]
    fn shared_strings_are_counted_by_their_local_name() {
        let items = |n: usize, tag: &str| format!("<sst>{}</sst>", format!("<{tag}/>").repeat(n));
        assert_eq!(sst(&items(10, "si")), None);
        let over = "共享字符串表“xl/sharedStrings.xml”有超过 10 项，超过了上限";
        assert_eq!(sst(&items(11, "si")).as_deref(), Some(over));
        assert_eq!(sst(&items(11, "x:si")).as_deref(), Some(over));
        assert_eq!(sst(&items(11, "sig")), None);
    }
}
