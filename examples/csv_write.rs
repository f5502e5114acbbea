//! Micro-benchmark: payments.csv-shaped lines written by youfu's `CsvOut` and by the csv crate's
//! `Writer::write_byte_record` (one reused `ByteRecord`, the numbers formatted by the same `push_*` functions), to
//! memory. Both must give the same bytes; each is timed best of `--runs`. This is what decided that `CsvOut`
//! stays (issue 20, Cargo.toml part; numbers in the commit that added this file).
//!
//! ```text
//! cargo run --release --example csv_write -- --rows 1000000 --runs 5
//! ```

use rust_decimal::Decimal;
use std::time::{Duration, Instant};
use youfu::domain::YearMonth;
use youfu::output::text::{CsvOut, push_month, push_u64, push_yuan};

/// One line's fields as payments.csv has them (the texts shared, as the batch shares them).
struct Line {
    no: u64,
    name: &'static str,
    id: String,
    category: &'static str,
    town: &'static str,
    item: &'static str,
    period: YearMonth,
    kind: &'static str,
    amount: Decimal,
    formula: &'static str,
}

fn lines(rows: usize) -> Vec<Line> {
    let names = ["张三", "李四", "王五", "赵六", "欧阳明"];
    let towns = ["城关镇", "东坝镇", "西河乡", "南山街道"];
    let items = ["残疾抚恤金", "定期抚恤金", "定期生活补助", "护理费"];
    let formulas = ["106670 ÷ 12 = 8889.17", "27980 ÷ 12 = 2331.67", "40 × 12 = 480.00", "费用含\"护理\",分月"];
    (0..rows)
        .map(|i| Line {
            no: i as u64 + 1,
            name: names[i % names.len()],
            id: format!("4403041980{:02}{:02}{:04}", i % 12 + 1, i % 28 + 1, i % 10_000),
            category: if i % 3 == 0 { "残疾军人" } else { "烈士遗属" },
            town: towns[i % towns.len()],
            item: items[i % items.len()],
            period: YearMonth::new(2024, 3).unwrap(),
            kind: "正常",
            amount: Decimal::new(100_000 + (i as i64 * 7919) % 900_000, 2),
            formula: formulas[i % formulas.len()],
        })
        .collect()
}

fn with_csv_out(lines: &[Line]) -> Vec<u8> {
    let mut w = CsvOut::new(Vec::with_capacity(200 * lines.len()));
    for l in lines {
        push_u64(w.raw(), l.no);
        w.field(l.name.as_bytes());
        w.field(l.id.as_bytes());
        w.field(l.category.as_bytes());
        w.field(l.town.as_bytes());
        w.field(l.item.as_bytes());
        push_month(w.raw(), l.period);
        w.field(l.kind.as_bytes());
        push_yuan(w.raw(), l.amount);
        w.field(l.formula.as_bytes());
        w.end_record().unwrap();
    }
    w.finish().unwrap()
}

fn with_csv_crate(lines: &[Line]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(1 << 16)
        .from_writer(Vec::with_capacity(200 * lines.len()));
    let mut record = csv::ByteRecord::new();
    let mut scratch = Vec::with_capacity(32);
    for l in lines {
        record.clear();
        scratch.clear();
        push_u64(&mut scratch, l.no);
        record.push_field(&scratch);
        record.push_field(l.name.as_bytes());
        record.push_field(l.id.as_bytes());
        record.push_field(l.category.as_bytes());
        record.push_field(l.town.as_bytes());
        record.push_field(l.item.as_bytes());
        scratch.clear();
        push_month(&mut scratch, l.period);
        record.push_field(&scratch);
        record.push_field(l.kind.as_bytes());
        scratch.clear();
        push_yuan(&mut scratch, l.amount);
        record.push_field(&scratch);
        record.push_field(l.formula.as_bytes());
        w.write_byte_record(&record).unwrap();
    }
    w.into_inner().unwrap()
}

fn best(runs: usize, f: impl Fn() -> Vec<u8>) -> (Duration, Vec<u8>) {
    let mut out = Vec::new();
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        out = std::hint::black_box(f());
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |flag: &str, default: usize| -> anyhow::Result<usize> {
        match args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)) {
            Some(v) => Ok(v.parse()?),
            None => Ok(default),
        }
    };
    let (rows, runs) = (arg("--rows", 1_000_000)?, arg("--runs", 5)?);
    let lines = lines(rows);
    let (ours, a) = best(runs, || with_csv_out(&lines));
    let (theirs, b) = best(runs, || with_csv_crate(&lines));
    anyhow::ensure!(a == b, "the two writers differ");
    println!(
        "{rows} lines, {} bytes: CsvOut {:.1} ms, csv write_byte_record {:.1} ms (best of {runs})",
        a.len(),
        ours.as_secs_f64() * 1e3,
        theirs.as_secs_f64() * 1e3
    );
    Ok(())
}
