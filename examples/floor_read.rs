//! Benchmark floor: only read a roster, with no youfu code in the way — the csv crate over a CSV file, or
//! calamine's streaming cell reader over the first sheet of an .xlsx. Prints the number of cells seen, so the
//! work cannot be optimised away. `bench/run.sh` times it next to `youfu pay` to give each result a ratio.
//!
//! ```text
//! cargo run --release --example floor_read -- bench/data/roster-100000.csv
//! ```

use anyhow::{Context, Result, anyhow};
use calamine::{Reader, Xlsx, open_workbook};

fn main() -> Result<()> {
    let path = std::env::args().nth(1).ok_or_else(|| anyhow!("usage: floor_read ROSTER.csv|ROSTER.xlsx"))?;
    let mut cells: u64 = 0;
    let mut bytes: u64 = 0;
    if path.ends_with(".csv") {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&path)
            .with_context(|| format!("opening {path}"))?;
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).with_context(|| format!("reading {path}"))? {
            cells += record.len() as u64;
            bytes += record.as_slice().len() as u64;
        }
    } else {
        let mut book: Xlsx<_> = open_workbook(&path).with_context(|| format!("opening {path}"))?;
        let sheet = book.sheet_names().first().cloned().ok_or_else(|| anyhow!("{path} has no sheet"))?;
        let mut reader = book.worksheet_cells_reader(&sheet)?;
        while let Some(cell) = reader.next_cell().with_context(|| format!("reading {path}"))? {
            cells += 1;
            if let calamine::DataRef::SharedString(s) = cell.get_value() {
                bytes += s.len() as u64;
            }
        }
    }
    println!("{cells} cells, {bytes} bytes of text");
    Ok(())
}
