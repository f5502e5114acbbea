//! Property tests of the readers (issue 18): arbitrary bytes, as a CSV or as a workbook, never make a reader panic;
//! a grid of cells written as CSV or .xlsx reads back cell for cell; a roster written either way is either refused
//! or read back person for person, from the row each came from. `cargo test` runs 64 cases of each (a few
//! seconds); a longer run, to fuzz locally: `PROPTEST_CASES=20000 cargo test --release --lib input::fuzz`.

use super::cells::{self, Cell};
use super::roster::read_roster;
use super::sheet::{Row, RowReader, read_table, table_from_csv_bytes};
use crate::domain::Categories;
use proptest::prelude::*;
use tempfile::TempDir;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

/// Bytes that reach the CSV reader's corners more often than uniform bytes would: delimiters, quotes, line
/// breaks, a byte-order mark, Chinese in UTF-8 and GBK, bytes that are neither.
fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\t".to_vec()),
        Just("张三".as_bytes().to_vec()),
        Just(b"\xD5\xC5".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("姓名,身份证号,类别\n".as_bytes().to_vec()),
        Just(b"11010519491231002X".to_vec()),
        Just("烈士遗属".as_bytes().to_vec()),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

/// Every row of a file, or its refusal as text.
fn all_rows(path: &std::path::Path) -> Result<Vec<Row>, String> {
    let mut reader = RowReader::open(path).map_err(|p| p.to_string())?;
    let (mut rows, mut row) = (Vec::new(), Row::default());
    while reader.next_row(&mut row).map_err(|p| p.to_string())? {
        rows.push(row.clone());
    }
    Ok(rows)
}

/// Checked digit for 17 digits (GB 11643).
fn with_check_digit(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{first17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// A person's texts: 姓名 and 乡镇 with quotes, commas, line breaks and spaces in them; 身份证号 valid and
/// different for each (from the row's index); 银行账号 digits.
#[derive(Debug, Clone)]
struct Person {
    name: String,
    town: String,
    account: String,
}

fn people() -> impl Strategy<Value = Vec<Person>> {
    let person = ("[张王李赵钱a-c][三四五六\" ,\n\r]{0,5}", "[东西南北乡镇\" ,\n]{0,6}", "[0-9]{0,19}")
        .prop_map(|(name, town, account)| Person { name, town, account });
    prop::collection::vec(person, 1..12)
}

fn id_of(i: usize) -> String {
    with_check_digit(&format!("11010119800101{:03}", 100 + i))
}

const HEADER: [&str; 5] = ["姓名", "身份证号", "类别", "乡镇", "银行账号"];

fn record(i: usize, p: &Person) -> [String; 5] {
    [p.name.clone(), id_of(i), "烈士遗属".into(), p.town.clone(), p.account.clone()]
}

/// A roster read back: each recipient is the person of the row it came from (its texts normalised as every
/// text is), and every person is there.
fn assert_read_back(read: &[crate::domain::Recipient], people: &[Person]) -> Result<(), TestCaseError> {
    prop_assert_eq!(read.len(), people.len());
    for r in read {
        let i = r.location.row.expect("a row") as usize - 2;
        let p = &people[i];
        prop_assert_eq!(&*r.name, &*cells::normalize_text(&p.name));
        prop_assert_eq!(r.id.as_str(), id_of(i));
        prop_assert_eq!(&*r.town, &*cells::normalize_text(&p.town));
        prop_assert_eq!(&*r.account, &*p.account);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Bytes of any kind, named .csv or .xlsx: rows or a refusal, never a panic; the roster reader alike.
    #[test]
    fn any_bytes_are_read_or_refused(bytes in csv_bytes(), raw in prop::collection::vec(any::<u8>(), 0..300)) {
        let dir = TempDir::new().unwrap();
        for (name, bytes) in [("a.csv", &bytes), ("b.xlsx", &bytes), ("c.csv", &raw), ("d.xlsx", &raw)] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let _ = all_rows(&path);
            let _ = read_table(&path);
            let _ = read_roster(&path, &Categories::default());
        }
    }

    /// A workbook damaged anywhere (a byte changed, or cut short): read or refused, never a panic.
    #[test]
    fn a_damaged_workbook_is_read_or_refused(at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
        let mut bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/roster.xlsx")).unwrap();
        let i = at.index(bytes.len());
        if cut { bytes.truncate(i) } else { bytes[i] = byte }
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("r.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        let _ = all_rows(&path);
        let _ = read_roster(&path, &Categories::default());
    }

    /// A grid of texts written as CSV (quoted where needed) reads back cell for cell, row numbers as Excel shows
    /// them (a quoted line break stays inside its cell).
    #[test]
    fn a_csv_grid_reads_back(grid in prop::collection::vec(prop::collection::vec("[a-c张三,\" \n\r]{0,5}", 1..6), 1..10)) {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        for row in &grid {
            w.write_record(row).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let table = table_from_csv_bytes("g.csv", &bytes).unwrap();
        let want: Vec<(u32, Vec<Cell>)> = grid
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let cells = row.iter().map(|t| if t.is_empty() { Cell::Empty } else { Cell::Text(t.clone()) }).collect();
                (i as u32 + 1, cells)
            })
            .collect();
        let got: Vec<(u32, Vec<Cell>)> = table.rows.into_iter().map(|r| (r.excel_row, r.cells)).collect();
        prop_assert_eq!(got, want);
    }

    /// The same grid written as .xlsx reads back cell for cell (the fast reader's cells are calamine's, held
    /// equal by xlsx_scan's tests).
    #[test]
    fn an_xlsx_grid_reads_back(grid in prop::collection::vec(prop::collection::vec("[a-c张三,\"&<> \n]{0,5}", 1..6), 1..10)) {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("g.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, row) in grid.iter().enumerate() {
            for (c, t) in row.iter().enumerate() {
                if !t.is_empty() {
                    ws.write_string(r as u32, c as u16, t).unwrap();
                }
            }
        }
        wb.save(&path).unwrap();
        let mut got = std::collections::BTreeMap::new();
        for row in all_rows(&path).unwrap() {
            for (c, cell) in row.cells.iter().enumerate() {
                if *cell != Cell::Empty {
                    got.insert((row.excel_row, c), cell.clone());
                }
            }
        }
        let mut want = std::collections::BTreeMap::new();
        for (r, row) in grid.iter().enumerate() {
            for (c, t) in row.iter().enumerate() {
                if !t.is_empty() {
                    want.insert((r as u32 + 1, c), Cell::Text(t.clone()));
                }
            }
        }
        prop_assert_eq!(got, want);
    }

    /// One stray quote typed anywhere in a roster's CSV: refused, or every person is still read. (A quote at the
    /// start of a cell used to take the rest of the file into that cell, and the people after it were silently
    /// not paid.)
    #[test]
    fn a_stray_quote_never_loses_people_silently(
        names in prop::collection::vec("[张王李赵钱][三四五六]{1,2}", 1..8),
        line in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        cell_start in any::<bool>(),
    ) {
        // 备注 last: a quote opening it takes the rest of the file as free text, which no other check refuses.
        let mut lines = vec![format!("{},备注", HEADER.join(","))];
        for (i, name) in names.iter().enumerate() {
            lines.push(format!("{name},{},烈士遗属,城关镇,6217000000000000004,无", id_of(i)));
        }
        let k = 1 + line.index(names.len());
        // Anywhere, or (half the time) where a cell starts: there a quote opens a quoted cell.
        let bounds: Vec<usize> = if cell_start {
            [0].into_iter().chain(lines[k].match_indices(',').map(|(i, _)| i + 1)).collect()
        } else {
            lines[k].char_indices().map(|(i, _)| i).chain([lines[k].len()]).collect()
        };
        lines[k].insert(bounds[at.index(bounds.len())], '"');
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("r.csv");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        if let Ok(read) = read_roster(&path, &Categories::default()) {
            prop_assert_eq!(read.len(), names.len());
        }
    }

    /// A roster written as CSV and as .xlsx: refused, or read back person for person, the same both ways.
    #[test]
    fn an_accepted_roster_reads_back(people in people()) {
        let dir = TempDir::new().unwrap();
        let csv_path = dir.path().join("r.csv");
        let mut w = csv::Writer::from_path(&csv_path).unwrap();
        w.write_record(HEADER).unwrap();
        for (i, p) in people.iter().enumerate() {
            w.write_record(record(i, p)).unwrap();
        }
        w.flush().unwrap();
        let xlsx_path = dir.path().join("r.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in HEADER.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (i, p) in people.iter().enumerate() {
            for (c, t) in record(i, p).iter().enumerate() {
                if !t.is_empty() {
                    ws.write_string(i as u32 + 1, c as u16, t).unwrap();
                }
            }
        }
        wb.save(&xlsx_path).unwrap();
        let cats = Categories::default();
        let from_csv = read_roster(&csv_path, &cats);
        let from_xlsx = read_roster(&xlsx_path, &cats);
        if let Ok(read) = &from_csv {
            assert_read_back(read, &people)?;
        }
        if let Ok(read) = &from_xlsx {
            assert_read_back(read, &people)?;
        }
        // A name that is blank once normalised is the one refusal these rows can have, and it is the same both ways.
        let refused = people.iter().any(|p| cells::normalize_text(&p.name).is_empty());
        prop_assert_eq!(from_csv.is_err(), refused, "{:?}", from_csv.as_ref().err().map(|p| p.to_string()));
        prop_assert_eq!(from_xlsx.is_err(), refused, "{:?}", from_xlsx.as_ref().err().map(|p| p.to_string()));
    }
}
