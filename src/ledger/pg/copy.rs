//! A draft's lines written to the server in bulk with COPY (binary format), not a statement per row: a
//! province's month is a million lines, and one INSERT a line would be a million round trips.
//!
//! Binary rather than text COPY: no escaping of tabs, backslashes or line breaks in names and 依据 to get
//! right, and the integers travel as integers. The lines are streamed from the caller's iterator; nothing is
//! collected first.

use crate::domain::PaymentKind;
use postgres::GenericClient;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};

/// One line of a draft as COPY sends it (borrowed: the caller keeps the texts). Not `LineRef`: it is the row of
/// `draft_lines`, with the line's number and its calculation's id in place of the calculation's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DraftLine<'a> {
    /// The line's place in the draft.
    pub line_no: i32,
    /// 身份证号.
    pub person_id: &'a str,
    pub name: &'a str,
    pub category: &'a str,
    pub town: &'a str,
    /// 项目.
    pub item: &'a str,
    /// 所属期, `YYYY-MM`.
    pub period: &'a str,
    /// Sent as its label (正常 / 补发 / 丧葬补助 / 重发), which the table's CHECK knows.
    pub kind: PaymentKind,
    pub amount_fen: i64,
    /// The draft's number of its calculation (`draft_calcs`: 标准表 row, 起始日期, 依据, formula).
    pub calc_no: i32,
    /// For a 重发 line: the returned line it re-issues.
    pub reissue_of: Option<i64>,
}

/// The columns COPY sends, in order.
const COLUMNS: &str = "COPY youfu.draft_lines (batch_id, line_no, person_id, name, category, town, item, period, kind, \
                       amount_fen, calc_no, reissue_of) FROM STDIN (FORMAT binary)";
const TYPES: [Type; 12] = [
    Type::INT8,
    Type::INT4,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::INT4,
    Type::INT8,
];

/// An open COPY of one draft's lines: `write` a line at a time (each may borrow its texts only for the call),
/// then `finish`. Dropping it unfinished aborts the COPY (the server refuses the statement).
pub struct DraftCopy<'c> {
    writer: BinaryCopyInWriter<'c>,
    batch_id: i64,
}

impl<'c> DraftCopy<'c> {
    pub fn start(client: &'c mut impl GenericClient, batch_id: i64) -> Result<DraftCopy<'c>, postgres::Error> {
        let sink = client.copy_in(COLUMNS)?;
        Ok(DraftCopy { writer: BinaryCopyInWriter::new(sink, &TYPES), batch_id })
    }

    pub fn write(&mut self, line: &DraftLine) -> Result<(), postgres::Error> {
        let row: [&(dyn ToSql + Sync); 12] = [
            &self.batch_id,
            &line.line_no,
            &line.person_id,
            &line.name,
            &line.category,
            &line.town,
            &line.item,
            &line.period,
            &line.kind.label(),
            &line.amount_fen,
            &line.calc_no,
            &line.reissue_of,
        ];
        self.writer.write(&row)
    }

    /// End the COPY; how many rows the server took.
    pub fn finish(self) -> Result<u64, postgres::Error> {
        self.writer.finish()
    }
}

/// COPY `lines` into `youfu.draft_lines` of the draft `batch_id`; returns how many rows the server took. Run it
/// inside the transaction that writes the draft, so a failure leaves nothing.
pub fn copy_draft_lines<'a>(
    client: &mut impl GenericClient,
    batch_id: i64,
    lines: impl IntoIterator<Item = DraftLine<'a>>,
) -> Result<u64, postgres::Error> {
    let mut copy = DraftCopy::start(client, batch_id)?;
    for line in lines {
        copy.write(&line)?;
    }
    copy.finish()
}
