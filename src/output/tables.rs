//! payments.csv, exceptions.csv and recoveries.csv: UTF-8 with a byte-order mark (so Excel and WPS open them as
//! Chinese text), CRLF line ends, one row per payment line / exception / overpayment, written by `text::CsvOut`.
//! No file names or times inside, so the same roster gives the same bytes whatever format it was read from.

use super::PayRun;
use super::text::{CsvOut, push_month, push_u64, push_yuan};
use std::io::{self, Write};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV file begun with the byte-order mark.
fn writer<W: Write>(mut out: W) -> io::Result<CsvOut<W>> {
    out.write_all(BOM)?;
    Ok(CsvOut::new(out))
}

pub const PAYMENTS_HEADER: [&str; 8] = ["身份证号", "姓名", "类别", "项目", "所属期", "类型", "金额", "依据"];

/// One row per payment: 身份证号, 姓名, 类别, 项目, 所属期, 类型, 金额, 依据.
pub fn payments_csv<W: Write>(run: &PayRun, out: W) -> io::Result<()> {
    let mut w = writer(out)?;
    w.record(PAYMENTS_HEADER)?;
    for p in &run.batch.payments {
        let r = &run.roster[p.recipient];
        w.raw().extend_from_slice(r.id.as_str().as_bytes());
        w.field(r.name.as_bytes());
        w.field(r.category.as_bytes());
        w.field(p.item.as_bytes());
        push_month(w.raw(), p.period);
        w.field(p.kind.label().as_bytes());
        push_yuan(w.raw(), p.amount);
        w.field(p.basis(run.standards).as_bytes());
        w.end_record()?;
    }
    w.finish().map(drop)
}

pub const EXCEPTIONS_HEADER: [&str; 9] =
    ["身份证号", "姓名", "类别", "乡镇", "项目", "原因类别", "原因", "原因代码", "花名册行号"];

/// One row per recipient (or item) not paid, with the reason: its Chinese label (原因类别), the full text, and the
/// stable code for scripts (原因代码) in a column of its own.
pub fn exceptions_csv<W: Write>(run: &PayRun, out: W) -> io::Result<()> {
    let mut w = writer(out)?;
    w.record(EXCEPTIONS_HEADER)?;
    for e in &run.batch.exceptions {
        let r = &run.roster[e.recipient];
        for text in [
            r.id.as_str(),
            &r.name,
            &r.category,
            &r.town,
            e.item.as_deref().unwrap_or("全部"),
            e.kind.label(),
            &e.reason,
            e.kind.code(),
        ] {
            w.field(text.as_bytes());
        }
        // A number, never text (`CsvOut::raw`); empty for a roster row without a number.
        let row = w.raw();
        if let Some(n) = r.location.row {
            push_u64(row, u64::from(n));
        }
        w.end_record()?;
    }
    w.finish().map(drop)
}

pub const RECOVERIES_HEADER: [&str; 9] =
    ["身份证号", "姓名", "类别", "乡镇", "项目", "所属期", "应发金额", "已发金额", "多发金额（应追缴）"];

/// Overpayments found against the ledger: listed for 追缴, never netted against this month's payments.
pub fn recoveries_csv<W: Write>(run: &PayRun, out: W) -> io::Result<()> {
    let mut w = writer(out)?;
    w.record(RECOVERIES_HEADER)?;
    for rc in &run.batch.recoveries {
        let r = &run.roster[rc.recipient];
        for text in [r.id.as_str(), &r.name, &r.category, &r.town, &rc.item] {
            w.field(text.as_bytes());
        }
        // The month and the amounts are numbers (`CsvOut::raw`): never `'`-prefixed, even when negative.
        push_month(w.raw(), rc.period);
        for amount in [rc.entitled, rc.paid, rc.overpaid] {
            push_yuan(w.raw(), amount);
        }
        w.end_record()?;
    }
    w.finish().map(drop)
}
