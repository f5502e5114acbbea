//! Test helpers: tiny workbooks written with rust_xlsxwriter into a temporary directory.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::path::PathBuf;
use tempfile::TempDir;

/// A cell to write.
#[derive(Debug, Clone, Copy)]
pub enum V {
    /// Text.
    S(&'static str),
    /// A number cell.
    N(f64),
    /// A date cell (yyyy-mm-dd format).
    D(u16, u8, u8),
    /// Nothing.
    E,
}

/// A merged area (first_row, first_col, last_row, last_col, text), 0-based.
pub type Merge = (u32, u16, u32, u16, &'static str);

/// Write one sheet named `sheet` and return its path.
pub fn xlsx(dir: &TempDir, name: &str, sheet: &str, rows: &[Vec<V>], merges: &[Merge]) -> PathBuf {
    let path = dir.path().join(name);
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for &(r1, c1, r2, c2, text) in merges {
        ws.merge_range(r1, c1, r2, c2, text, &Format::new()).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match *v {
                V::S(s) => {
                    ws.write_string(r, c, s).unwrap();
                }
                V::N(n) => {
                    ws.write_number(r, c, n).unwrap();
                }
                V::D(y, m, d) => {
                    ws.write_datetime_with_format(r, c, ExcelDateTime::from_ymd(y, m, d).unwrap(), &date).unwrap();
                }
                V::E => {}
            }
        }
    }
    wb.save(&path).unwrap();
    path
}

/// Write raw bytes and return the path.
pub fn file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Text cells from string slices ("" = no cell).
pub fn texts(cells: &[&'static str]) -> Vec<V> {
    cells.iter().map(|s| if s.is_empty() { V::E } else { V::S(s) }).collect()
}
