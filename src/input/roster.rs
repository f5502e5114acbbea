//! 花名册 → `Vec<Recipient>`: header found by its names, title/unit/合计/blank rows skipped, every field checked
//! (身份证号 must be text and valid, 银行账号 digits, 类别 known, 等级/性质/状态/dates normalised), duplicates refused.
//! All problems of the file are collected. Large files are read on every core (`parallel::width()`: a CSV without
//! quotes split at line breaks, otherwise rows read on one thread and converted in batches on others), merged
//! back in row order so that recipients, problems and duplicate checks are exactly those of reading row by row.

use super::cells::{self, Cell};
use super::columns::{self, Field, ROSTER_COLUMNS, ROSTER_REQUIRED};
use super::columns::{Column, HEADER_SCAN_ROWS, Header};
use super::fields::{ColumnName, NotData, RowShape, RowView, empty_table, unfit_cells};
use super::sheet::{Part, Row, RowReader, Table};
use crate::domain::recipient::{AttrNames, AttrsBuilder, RowLocation, RowPlace, kept_in_field};
use crate::domain::{Categories, IdCard, Problem, Problems, Recipient, Status, Transfer, YearMonth};
use rust_decimal::Decimal;
use std::collections::hash_map::Entry as Entry_;
use std::collections::{HashMap, HashSet};
use std::mem::MaybeUninit;
use std::path::Path;
use std::sync::Arc;

/// Read a 花名册. `path` is shown in messages exactly as the user typed it (path.display()). The rows are
/// converted as they are read: only the first rows (where the header is looked for) are kept as cells.
pub fn read_roster(path: &Path, categories: &Categories) -> Result<Vec<Recipient>, Problems> {
    read_roster_keeping(path, categories, Keep::All)
}

/// Which of a roster's other columns (those not in a field of `Recipient`) its recipients keep in `attrs`.
#[derive(Debug, Clone, Copy, Default)]
pub enum Keep<'k> {
    /// Every column.
    #[default]
    All,
    /// Only these: what a batch reads (the standards table's key columns) when nothing else will look. A
    /// province's 备注, 村（社区）, 入伍时间 … were 100 MB of text held through the whole of `pay` and never read.
    /// Every row is checked as before (the checks read the row, not `attrs`).
    Only(&'k [String]),
}

/// `read_roster`, keeping only the columns `keep` names in `attrs`.
pub fn read_roster_keeping(path: &Path, categories: &Categories, keep: Keep) -> Result<Vec<Recipient>, Problems> {
    roster_from_rows(RowReader::open(path)?, categories, keep)
}

/// Take a value, or keep its problem for the report.
pub(super) fn take<T>(r: Result<T, Problem>, problems: &mut Vec<Problem>) -> Option<T> {
    r.map_err(|p| problems.push(p)).ok()
}

const AS_NUMBER_WHY: &str = "Excel 的数字只保留15位有效数字，存成数字后末几位已经丢失，无法从中还原";

/// 身份证号 must be a text cell holding a valid number.
pub(super) fn id_card<'a>(view: &RowView<'a>, column: impl ColumnName<'a>) -> Result<IdCard, Problem> {
    let cell = view.cell(column);
    let as_number = match cell {
        Cell::Number(_) | Cell::Int(_) => true,
        Cell::Text(t) => cells::looks_like_scientific(t),
        _ => false,
    };
    if as_number {
        return Err(view
            .problem("ID_AS_NUMBER", column, format!("身份证号被存成了数字：{AS_NUMBER_WHY}"))
            .hint("请将该列设置为“文本”格式后重新录入身份证号（只改格式不能找回丢失的数字）。"));
    }
    IdCard::parse(&cells::compacted(&cells::text_ref(cell)))
        .map_err(|e| view.problem("ID_INVALID", column, e.to_string()).hint("请对照原始证件核对身份证号。"))
}

/// 银行账号: digits only. A number cell with 16 or more digits has lost digits already; a shorter whole number
/// is taken as its digits. Blank is allowed here (the pay step lists it as an exception).
fn account<'a>(view: &RowView<'a>, column: impl ColumnName<'a>) -> Result<String, Problem> {
    let cell = view.cell(column);
    let as_number = || {
        view.problem("ACCOUNT_AS_NUMBER", column, format!("银行账号被存成了数字：{AS_NUMBER_WHY}"))
            .hint("请将该列设置为“文本”格式后重新录入银行账号（只改格式不能找回丢失的数字）。")
    };
    let invalid = || {
        view.problem("ACCOUNT_INVALID", column, "银行账号只能由数字组成")
            .hint("请核对账号，去掉其中的字母、横线等其他字符。")
    };
    match cell {
        Cell::Empty => Ok(String::new()),
        Cell::Number(_) | Cell::Int(_) => {
            let d = cells::parse_decimal(cell).ok_or_else(invalid)?;
            if !d.fract().is_zero() || d < Decimal::ZERO {
                return Err(invalid());
            }
            let digits = d.trunc().normalize().to_string();
            if digits.len() >= 16 { Err(as_number()) } else { Ok(digits) }
        }
        Cell::Text(t) if cells::looks_like_scientific(t) => Err(as_number()),
        Cell::Text(t) => {
            let digits = cells::compacted(t);
            if digits.bytes().all(|b| b.is_ascii_digit()) { Ok(digits.into_owned()) } else { Err(invalid()) }
        }
        _ => Err(invalid()),
    }
}

/// 状态 (with 死亡日期 and the suspension reason).
/// `column`: the 状态 column.
pub(super) fn status<'a>(
    view: &RowView<'a>,
    column: impl ColumnName<'a>,
    death_date_given: bool,
    death_date_bad: bool,
) -> Result<Status, Problem> {
    let text = view.text_ref(column);
    let typed = cells::compacted(&text);
    let deceased = || {
        if death_date_given || death_date_bad {
            return Ok(Status::Deceased);
        }
        let at = if view.get("死亡日期").is_some() { "死亡日期" } else { "状态" };
        Err(view
            .problem("MISSING_DEATH_DATE", at, format!("状态为“{typed}”，但没有填写死亡日期"))
            .hint("请填写死亡日期：发放到死亡当月，丧葬补助也据此计算。"))
    };
    match &*typed {
        "" if death_date_given => Ok(Status::Deceased),
        "" if !view.is_blank("迁出年月") => Ok(Status::MovedOut),
        "" => Ok(Status::Normal),
        "正常" | "正常发放" if death_date_given => Err(view
            .problem("BAD_STATUS", "状态", "状态为“正常”，但填有死亡日期")
            .hint("如已死亡，请将状态改为“死亡”；如死亡日期填错，请删除。")),
        "正常" | "正常发放" => Ok(Status::Normal),
        "暂停" | "中止" | "暂停发放" => {
            let reason = [view.text("暂停原因"), view.text("备注")]
                .into_iter()
                .find(|r| !r.is_empty())
                .unwrap_or_else(|| "暂停发放".to_string());
            Ok(Status::Suspended { reason })
        }
        "停发" | "终止" | "停止发放" => Ok(Status::Stopped),
        "死亡" | "去世" | "已故" => deceased(),
        "迁出" | "已迁出" | "转出" => Ok(Status::MovedOut),
        _ => Err(view
            .problem("BAD_STATUS", "状态", "状态无法识别")
            .hint("可填：正常、暂停（或中止）、停发（或终止）、死亡（或去世、已故）、迁出（或转出）；留空表示正常。")),
    }
}

/// 迁出年月, 迁入年月 and 原发放地 (rule 10 of docs/domain.md), checked against each other, the 状态 and the
/// 起发年月. `None` when the row has none of them. The months are read (and a malformed one refused) by the caller.
fn transfer(
    view: &RowView,
    f: &RosterFields,
    status: &Status,
    start: Option<YearMonth>,
    moved_out: Option<YearMonth>,
    moved_in: Option<YearMonth>,
) -> Result<Option<Box<Transfer>>, Problem> {
    let from = view.text_ref(f.moved_from);
    match (status, moved_out) {
        (Status::MovedOut, None) => {
            let at = if f.moved_out.column.is_some() { f.moved_out } else { f.status };
            return Err(view
                .problem("MISSING_MOVE_OUT_MONTH", at, "状态为“迁出”，但没有填写迁出年月")
                .hint("请填写迁出年月（抚恤关系迁出的月份）：本县据此确定发放到哪个月为止。"));
        }
        (Status::Normal, Some(_)) => {
            return Err(view
                .problem("BAD_STATUS", f.status, "状态为“正常”，但填有迁出年月")
                .hint("抚恤关系已迁出的，请将状态改为“迁出”；如迁出年月填错，请删除。"));
        }
        _ => {}
    }
    if let (Some(out), Some(start)) = (moved_out, start)
        && out < start
    {
        return Err(view
            .problem(
                "TRANSFER_BEFORE_START",
                f.moved_out,
                format!("迁出年月早于起发年月（{start}），本县尚未发放就已迁出"),
            )
            .hint("请核对迁出年月和起发年月：迁出年月应是本县开始发放以后的月份。"));
    }
    if let (Some(out), Some(inn)) = (moved_out, moved_in)
        && out < inn
    {
        return Err(view
            .problem("TRANSFER_OUT_BEFORE_IN", f.moved_out, format!("迁出年月早于迁入年月（{inn}）"))
            .hint("请核对迁入年月和迁出年月。"));
    }
    match (moved_in, from.is_empty()) {
        (Some(_), true) => {
            let at = if f.moved_from.column.is_some() { f.moved_from } else { f.moved_in };
            return Err(view
                .problem("MISSING_MOVED_FROM", at, "填有迁入年月，但没有填写原发放地")
                .hint("请填写原发放地（抚恤关系迁出的县（市、区）），迁入后的头几个月由原发放地发放。"));
        }
        (None, false) => {
            return Err(view
                .problem("MISSING_MOVE_IN_MONTH", f.moved_in, "填有原发放地，但没有填写迁入年月")
                .hint("请填写迁入年月（抚恤关系迁入本县的月份），本县据此确定从哪个月起发放。"));
        }
        _ => {}
    }
    if moved_out.is_none() && moved_in.is_none() {
        return Ok(None);
    }
    let moved_from = (!from.is_empty()).then(|| Box::from(&*from));
    Ok(Some(Box::new(Transfer { moved_out, moved_in, moved_from })))
}

/// What every row of one roster shares: its columns in the order `Recipient.attrs` keeps them.
struct Shape<'h> {
    names: Arc<AttrNames>,
    /// The header's columns sorted by name (the order of `names`), with how each value is written.
    sorted: Vec<(&'h Column, Stored)>,
}

impl<'h> Shape<'h> {
    fn new(header: &'h Header, keep: Keep) -> Shape<'h> {
        let kept = |name: &str| match keep {
            Keep::All => true,
            Keep::Only(names) => kept_in_field(name) || names.iter().any(|n| n == name),
        };
        let names = AttrNames::with_fields(header.columns.iter().map(|c| c.name.as_str()).filter(|n| kept(n)));
        // The stored columns, in the order of `names` (a name written twice is stored once, from its first column).
        let mut sorted = Vec::new();
        for name in names.names().filter(|n| !kept_in_field(n)) {
            let stored = match name {
                "等级" => Stored::Grade,
                "性质" => Stored::Nature,
                _ => Stored::Text,
            };
            sorted.extend(header.columns.iter().find(|c| c.name == name).map(|c| (c, stored)));
        }
        Shape { names, sorted }
    }
}

/// How a stored column's value is written: 等级 and 性质 as checked, the others as the cell's text.
#[derive(Clone, Copy)]
enum Stored {
    Grade,
    Nature,
    Text,
}

/// The (身份证号, 项目) of a data row with a valid 身份证号, for the duplicate check.
struct DupKey {
    /// `id_key` of the 身份证号.
    id: u64,
    /// 项目 when the roster has a 项目 column and it is filled in.
    item: Option<Box<str>>,
    /// The cell as the user sees it, when that is not the 身份证号 itself (typed with spaces, a lower-case x …).
    shown: Option<Box<str>>,
}

/// One data row's outcome, in the order rows were read; its problems are in `Parsed::problems` up to
/// `problems_end`.
struct Entry {
    excel_row: u32,
    problems_end: usize,
    key: Option<DupKey>,
}

/// The rows of one batch converted (on a worker thread).
#[derive(Default)]
struct Parsed {
    recipients: Vec<Recipient>,
    entries: Vec<Entry>,
    problems: Vec<Problem>,
}

/// What one thread keeps from row to row: the builder of `Attrs` (with the texts it shares), and each 类别 as
/// typed with the category it was found to be.
#[derive(Default)]
struct Scratch {
    attrs: AttrsBuilder,
    /// 类别 as typed (normalised) → its known name, shared. A handful of entries: only known categories are
    /// kept, at most `CATEGORIES_KEPT`.
    categories: rustc_hash::FxHashMap<Box<str>, Arc<str>>,
}

/// How many typed 类别 a `Scratch` remembers.
const CATEGORIES_KEPT: usize = 256;

impl Scratch {
    /// `RowView::category`, the known name shared: a 类别 typed as in an earlier row is not looked up again.
    fn category<'a>(
        &mut self,
        view: &RowView<'a>,
        column: impl ColumnName<'a>,
        categories: &Categories,
    ) -> Result<Option<Arc<str>>, Problem> {
        let typed = view.text_ref(column);
        if let Some(name) = self.categories.get(&*typed) {
            return Ok(Some(name.clone()));
        }
        let Some(name) = view.category(column, categories)? else {
            return Ok(None);
        };
        let shared = self.attrs.shared(&name);
        if self.categories.len() < CATEGORIES_KEPT {
            self.categories.insert(Box::from(&*typed), shared.clone());
        }
        Ok(Some(shared))
    }
}

/// The roster's columns a data row is read through, found once for the file.
struct RosterFields<'h> {
    name: Field<'h>,
    id: Field<'h>,
    category: Field<'h>,
    grade: Field<'h>,
    nature: Field<'h>,
    service_years: Field<'h>,
    start_month: Field<'h>,
    stop_month: Field<'h>,
    death_date: Field<'h>,
    status: Field<'h>,
    confirmed_on: Field<'h>,
    account: Field<'h>,
    funeral_months: Field<'h>,
    item: Field<'h>,
    town: Field<'h>,
    bank: Field<'h>,
    moved_out: Field<'h>,
    moved_in: Field<'h>,
    moved_from: Field<'h>,
    /// Kept as written (not in `ROSTER_COLUMNS`), only their year checked.
    enlisted: Field<'h>,
    discharged: Field<'h>,
}

impl<'h> RosterFields<'h> {
    fn new(header: &'h Header) -> RosterFields<'h> {
        let f = |name| header.field(name);
        RosterFields {
            name: f("姓名"),
            id: f("身份证号"),
            category: f("类别"),
            grade: f("等级"),
            nature: f("性质"),
            service_years: f("服役年限"),
            start_month: f("起发年月"),
            stop_month: f("停发年月"),
            death_date: f("死亡日期"),
            status: f("状态"),
            confirmed_on: f("年度确认日期"),
            account: f("银行账号"),
            funeral_months: f("丧葬补助月数"),
            item: f("项目"),
            town: f("乡镇"),
            bank: f("开户行"),
            moved_out: f("迁出年月"),
            moved_in: f("迁入年月"),
            moved_from: f("原发放地"),
            enlisted: f("入伍时间"),
            discharged: f("退伍时间"),
        }
    }
}

/// What converting a row needs, shared read-only by the worker threads.
struct RowContext<'a> {
    table: &'a Table,
    header: &'a Header,
    categories: &'a Categories,
    shape: Shape<'a>,
    not_data: NotData<'a>,
    shape_check: RowShape<'a>,
    fields: RosterFields<'a>,
    /// The file and sheet, shared by every recipient's location.
    place: Arc<RowPlace>,
}

impl<'a> RowContext<'a> {
    fn new(table: &'a Table, header: &'a Header, categories: &'a Categories, keep: Keep) -> RowContext<'a> {
        RowContext {
            table,
            header,
            categories,
            shape: Shape::new(header, keep),
            not_data: NotData::new(header, ROSTER_REQUIRED, ROSTER_COLUMNS),
            shape_check: RowShape::new(table, header),
            fields: RosterFields::new(header),
            place: Arc::new(RowPlace {
                file: Box::from(table.file.as_str()),
                sheet: table.sheet.as_deref().map(Box::from),
            }),
        }
    }

    /// Convert rows into `out` (title, total, footer, blank and repeated-header rows are skipped).
    fn rows(&self, rows: &[Row], scratch: &mut Scratch, out: &mut Parsed) {
        for row in rows {
            self.row(row, scratch, out);
        }
    }

    fn row(&self, row: &Row, scratch: &mut Scratch, out: &mut Parsed) {
        let header = self.header;
        let view = RowView { table: self.table, header, row };
        if self.not_data.is(&view) {
            return;
        }
        if !self.shape_check.check(&view, &mut out.problems) {
            out.entries.push(Entry { excel_row: row.excel_row, problems_end: out.problems.len(), key: None });
            return;
        }
        let cell_errors = unfit_cells(&view);
        if !cell_errors.is_empty() {
            out.problems.extend(cell_errors);
            out.entries.push(Entry { excel_row: row.excel_row, problems_end: out.problems.len(), key: None });
            return;
        }
        let key = self.parse_row(&view, scratch, out);
        out.entries.push(Entry { excel_row: row.excel_row, problems_end: out.problems.len(), key });
    }

    /// Check every field of a data row: its recipient goes to `out.recipients` when all are good, its problems
    /// to `out.problems`. The duplicate-check key is returned when the 身份证号 is valid.
    fn parse_row(&self, view: &RowView, scratch: &mut Scratch, out: &mut Parsed) -> Option<DupKey> {
        let (categories, shape, f) = (self.categories, &self.shape, &self.fields);
        let problems = &mut out.problems;
        let before = problems.len();
        let name = take(view.required_text(f.name), problems);
        let id = take(id_card(view, f.id), problems);
        let category = match take(scratch.category(view, f.category, categories), problems) {
            Some(None) => {
                problems.push(view.problem("MISSING_VALUE", "类别", "类别为空").hint(format!(
                    "请填写类别，如 {}。",
                    categories.names().iter().take(3).cloned().collect::<Vec<_>>().join("、")
                )));
                None
            }
            other => other.flatten(),
        };
        let grade = take(view.grade(f.grade), problems);
        let nature = take(view.nature(f.nature), problems);
        let service_years = take(view.decimal(f.service_years), problems);
        let start_month = take(view.month(f.start_month), problems);
        let stop_month = take(view.month(f.stop_month), problems);
        let death = view.date(f.death_date);
        let death_bad = death.is_err();
        let death_date = take(death, problems);
        let given = matches!(death_date, Some(Some(_)));
        let status = take(status(view, f.status, given, death_bad), problems);
        let confirmed_on = take(view.date(f.confirmed_on), problems);
        let account = take(account(view, f.account), problems);
        let funeral_months = take(view.whole(f.funeral_months), problems);
        let moved_out = take(view.month(f.moved_out), problems);
        let moved_in = take(view.month(f.moved_in), problems);
        let transfer = match (&status, start_month, moved_out, moved_in) {
            (Some(st), Some(start), Some(out), Some(inn)) => take(transfer(view, f, st, start, out, inn), problems),
            _ => None,
        };
        take(view.year_in_range(f.enlisted), problems);
        take(view.year_in_range(f.discharged), problems);
        let item = view.text_ref(f.item);
        let key = id.as_ref().map(|id| {
            // The 身份证号 as typed, kept only when it differs from the parsed one (no copy per row otherwise).
            let shown = match view.cell(f.id) {
                Cell::Text(t) if t == id.as_str() => None,
                cell => Some(cells::display(cell)).filter(|s| s != id.as_str()).map(String::into_boxed_str),
            };
            DupKey {
                id: id.packed(),
                item: (f.item.column.is_some() && !item.is_empty()).then(|| Box::from(&*item)),
                shown,
            }
        });
        if problems.len() > before {
            return key;
        }
        let recipient = (|| {
            let (id, category, account) = (id?, category?, account?);
            let attrs = &mut scratch.attrs;
            let (grade, nature) = (grade?.unwrap_or_default(), nature?.unwrap_or_default());
            for (col, stored) in &shape.sorted {
                match stored {
                    Stored::Grade => attrs.buf().push_str(grade),
                    Stored::Nature => attrs.buf().push_str(nature),
                    Stored::Text => cells::push_text(view.row.cell(col.index), attrs.buf()),
                }
                attrs.end_value();
            }
            let (town, bank) = (attrs.shared(&view.text_ref(f.town)), attrs.shared(&view.text_ref(f.bank)));
            let attrs = attrs.finish(shape.names.clone());
            Some(Recipient {
                location: RowLocation { place: self.place.clone(), row: Some(view.row.excel_row) },
                name: name?.into_boxed_str(),
                id,
                category,
                attrs,
                service_years: service_years?,
                start_month: start_month?,
                status: status?,
                stop_month: stop_month?,
                death_date: death_date?,
                confirmed_on: confirmed_on?,
                town,
                bank,
                account: account.into_boxed_str(),
                item: (!item.is_empty()).then(|| Box::from(&*item)),
                funeral_months: funeral_months?,
                transfer: transfer?,
            })
        })();
        out.recipients.extend(recipient);
        key
    }
}

/// A roster table → recipients, or every problem found.
pub fn roster_from_table(table: &Table, categories: &Categories) -> Result<Vec<Recipient>, Problems> {
    roster_from_rows(RowReader::table(table), categories, Keep::All)
}

/// Rows per batch handed to a worker thread.
const BATCH_ROWS: usize = 1024;

/// Parts a CSV roster is cut into per thread. Parts are taken in turn by whichever thread is free; many small
/// ones leave little for one thread to finish alone at the end (with 8 parts of a 1M roster on 2 cores, one core
/// idled for a quarter of a second).
const PARTS_PER_THREAD: usize = 16;

/// Rows read one at a time → recipients, or every problem found: the header found, the rows read with it
/// converted, then the rest converted on every core (`parallel::width()`) — a CSV without quotes cut into parts
/// (`from_parts`), any other file read row by row here and converted in batches (`from_stream`). Either way the
/// results are put back in row order, so recipients, problems and duplicate checks come out exactly as if read
/// one by one.
fn roster_from_rows(mut reader: RowReader, categories: &Categories, keep: Keep) -> Result<Vec<Recipient>, Problems> {
    let (head, header) = roster_header(&mut reader)?;
    let ctx = RowContext::new(&head, &header, categories, keep);
    // Room for the duplicate check's keys is made later, once it is known whether it runs over every row.
    let mut merge = Merge::new(&ctx);
    let mut first = Parsed::default();
    ctx.rows(&head.rows[header.first_data..], &mut Scratch::default(), &mut first);
    merge.add(first, true);
    // A UTF-8 file's parts are read back from it as they are taken: its text is not held beside the recipients.
    match Part::split(&mut reader, PARTS_PER_THREAD * crate::parallel::width()) {
        Some(parts) => from_parts(&ctx, merge, parts),
        None => from_stream(&ctx, merge, reader),
    }
}

/// A CSV without quotes, cut at line breaks into `parts`: each part read and converted by whichever thread is
/// free, then merged in order. Each part writes its recipients straight into its own stretch of the final
/// vector (room for as many records as the part can hold), so a million recipients are written, and their pages
/// faulted in, once.
fn from_parts(ctx: &RowContext, mut merge: Merge, parts: Vec<Part>) -> Result<Vec<Recipient>, Problems> {
    let mut all = std::mem::take(&mut merge.recipients);
    let rooms: Vec<usize> = parts.iter().map(Part::records_at_most).collect();
    all.reserve_exact(rooms.iter().sum());
    let head_len = all.len();
    let mut spare = all.spare_capacity_mut();
    let mut jobs = Vec::with_capacity(parts.len());
    for (part, &n) in parts.into_iter().zip(&rooms) {
        let (room, rest) = std::mem::take(&mut spare).split_at_mut(n);
        spare = rest;
        jobs.push((part, Placed { room, filled: 0 }));
    }
    let read = crate::parallel::in_turn(
        jobs,
        || (Scratch::default(), Row::default(), Vec::new()),
        |(scratch, row, buf), (part, mut placed)| (read_part(ctx, part, &mut placed, scratch, row, buf), placed.filled),
    );
    let (done, filled): (Vec<_>, Vec<usize>) = read.into_iter().unzip();
    let done: Vec<Parsed> = done.into_iter().collect::<Result<_, _>>()?;
    // Whether any 身份证号 repeats is asked on every core while the parts are closed up; only when one does are
    // the duplicates found again one by one, for their messages in order.
    let (all, repeats) = rayon::join(
        // SAFETY: part k wrote `filled[k]` recipients at the start of its room, which starts `rooms[..k]` after
        // the `head_len` recipients already in `all`; `close_gaps` moves exactly those into one run after the
        // head, in part order, and gives the vector their count as its length.
        || unsafe { close_gaps(all, head_len, &rooms, &filled) },
        || any_repeat(&merge.seen, &done),
    );
    merge.recipients = all;
    if repeats {
        merge.seen.reserve(done.iter().map(|p| p.entries.len()).sum());
    }
    for parsed in done {
        // Recipients a part had no room left for (never, see `records_at_most`) follow in its `recipients`;
        // `add` would put them after every part, out of order.
        assert!(parsed.recipients.is_empty(), "every record of a part has room");
        merge.add(parsed, repeats);
    }
    merge.finish()
}

/// One part of a split CSV read and converted, its recipients moved into `placed` (`row` and `buf` are the
/// thread's, reused from part to part).
fn read_part(
    ctx: &RowContext,
    part: Part,
    placed: &mut Placed,
    scratch: &mut Scratch,
    row: &mut Row,
    buf: &mut Vec<u8>,
) -> Result<Parsed, Problems> {
    let mut out = Parsed::default();
    let mut part = part.open(buf)?;
    while part.next_row(row)? {
        ctx.row(row, scratch, &mut out);
        placed.take_from(&mut out.recipients);
    }
    Ok(out)
}

/// Any other roster (a CSV with quotes, a workbook): rows read here, `BATCH_ROWS` at a time, converted by
/// `parallel::width()` workers and merged here in order (`parallel::ordered`, a back-pressured pipeline).
fn from_stream(ctx: &RowContext, mut merge: Merge, mut reader: RowReader) -> Result<Vec<Recipient>, Problems> {
    merge.seen.reserve(reader.rows_left_at_most());
    let mut read = Ok(());
    let mut ended = false;
    crate::parallel::ordered(
        |spare: Option<(Vec<Row>, usize)>| {
            if ended {
                return None;
            }
            let mut rows = spare.map(|(rows, _)| rows).unwrap_or_default();
            match next_batch(&mut reader, &mut rows) {
                Ok((n, more)) => {
                    ended = !more;
                    (n > 0).then_some((rows, n))
                }
                Err(e) => {
                    read = Err(e);
                    None
                }
            }
        },
        Scratch::default,
        |scratch, (rows, n)| {
            let mut out = Parsed::default();
            ctx.rows(&rows[..*n], scratch, &mut out);
            out
        },
        |parsed| merge.add(parsed, true),
    );
    read?;
    merge.finish()
}

/// Up to `BATCH_ROWS` rows read into `rows` (whose rows are reused): how many, and whether there may be more.
fn next_batch(reader: &mut RowReader, rows: &mut Vec<Row>) -> Result<(usize, bool), Problems> {
    let mut n = 0;
    while n < BATCH_ROWS {
        if n == rows.len() {
            rows.push(Row::default());
        }
        if !reader.next_row(&mut rows[n])? {
            return Ok((n, false));
        }
        n += 1;
    }
    Ok((n, true))
}

/// Whether a (身份证号, 项目) is in `seen` or in `parts` twice: the persons shared out among every core, each
/// core asking of its share.
fn any_repeat(seen: &DupSeen, parts: &[Parsed]) -> bool {
    use rayon::prelude::*;
    let shares = crate::parallel::width();
    (0..shares).into_par_iter().any(|share| any_repeat_in(seen, parts, share, shares))
}

/// Whether a (身份证号, 项目) of share `share` of `shares` of the persons is in `seen` or in `parts` twice.
fn any_repeat_in(seen: &DupSeen, parts: &[Parsed], share: usize, shares: usize) -> bool {
    // The packed 身份证号 times 2^64 / φ (Fibonacci hashing), its top bits taken as the share (the high half of
    // the product with `shares`; with two shares, the top bit): the packed number's own high bits are nearly the
    // same for everyone (region and birth year), so it is mixed before people are shared out.
    let mine =
        |id: u64| ((u128::from(id.wrapping_mul(0x9E37_79B9_7F4A_7C15)) * shares as u128) >> 64) as usize == share;
    let keys = || parts.iter().flat_map(|p| &p.entries).filter_map(|e| e.key.as_ref()).filter(|k| mine(k.id));
    // About a share of the rows are this share's (no pass over them only to count).
    let rows: usize = parts.iter().map(|p| p.entries.len()).sum();
    let mut set: HashSet<(u64, Option<&str>), rustc_hash::FxBuildHasher> =
        HashSet::with_capacity_and_hasher(rows / shares + seen.len(), rustc_hash::FxBuildHasher);
    set.extend(seen.keys().filter(|k| mine(k.0)).map(|(id, item)| (*id, item.as_deref())));
    keys().any(|k| !set.insert((k.id, k.item.as_deref())))
}

/// Excel row of each (身份证号, 项目) seen (项目 is `None` without a 项目 column).
type DupSeen = HashMap<(u64, Option<Box<str>>), u32, rustc_hash::FxBuildHasher>;

/// A part's stretch of the final vector's spare room, filled from the front.
struct Placed<'v> {
    room: &'v mut [MaybeUninit<Recipient>],
    filled: usize,
}

impl Placed<'_> {
    /// Move the recipients converted so far into the room (those that do not fit stay where they are).
    fn take_from(&mut self, recipients: &mut Vec<Recipient>) {
        let free = self.room.len() - self.filled;
        if recipients.is_empty() || recipients.len() > free {
            return;
        }
        for (slot, r) in self.room[self.filled..].iter_mut().zip(recipients.drain(..)) {
            slot.write(r);
            self.filled += 1;
        }
    }
}

/// `all` holds `head_len` recipients; after them, stretch k of `rooms[k]` slots begins with `filled[k]` recipients
/// written there. Moves them together behind the head and sets the length.
///
/// # Safety
/// The first `filled[k]` slots of every stretch must hold initialised recipients, the stretches lying one after
/// another in `all`'s capacity right after its length `head_len`, and `filled[k] <= rooms[k]`.
unsafe fn close_gaps(mut all: Vec<Recipient>, head_len: usize, rooms: &[usize], filled: &[usize]) -> Vec<Recipient> {
    debug_assert_eq!(all.len(), head_len);
    debug_assert!(head_len + rooms.iter().sum::<usize>() <= all.capacity());
    let base = all.as_mut_ptr();
    let (mut src, mut dst) = (head_len, head_len);
    for (&room, &n) in rooms.iter().zip(filled) {
        debug_assert!(n <= room);
        if src != dst {
            // SAFETY: both ranges lie in the allocation (see the function's contract); `dst <= src`, and
            // `ptr::copy` allows the ranges to overlap.
            unsafe { std::ptr::copy(base.add(src), base.add(dst), n) };
        }
        src += room;
        dst += n;
    }
    // SAFETY: slots `0..dst` now hold initialised recipients, each exactly once.
    unsafe { all.set_len(dst) };
    all.shrink_to_fit();
    all
}

/// The roster's first rows and the header found in them (a two-row header may end one row further down); the
/// reader is left after those rows. A file without a roster's header is refused, but one that cannot be read
/// at all says so first (it is read to its end).
pub(super) fn roster_header(reader: &mut RowReader) -> Result<(Table, Header), Problems> {
    let mut row = Row::default();
    let mut head = Vec::new();
    while head.len() <= HEADER_SCAN_ROWS && reader.next_row(&mut row)? {
        head.push(row.clone());
    }
    let head = reader.table_of(head);
    match columns::find_header(&head, ROSTER_COLUMNS, ROSTER_REQUIRED) {
        Ok(header) => Ok((head, header)),
        Err(p) => {
            while reader.next_row(&mut row)? {}
            Err(p.into())
        }
    }
}

/// The recipients and problems of the batches so far, in row order, with the duplicate check.
struct Merge<'c> {
    ctx: &'c RowContext<'c>,
    problems: Vec<Problem>,
    recipients: Vec<Recipient>,
    seen: DupSeen,
}

impl<'c> Merge<'c> {
    fn new(ctx: &'c RowContext<'c>) -> Merge<'c> {
        Merge { ctx, problems: Vec::new(), recipients: Vec::new(), seen: HashMap::default() }
    }

    /// Add the next batch; `check` false skips the duplicate check (`any_repeat` found none).
    fn add(&mut self, parsed: Parsed, check: bool) {
        let mut incoming = parsed.recipients;
        if incoming.len() > self.recipients.len() {
            // Keep the larger allocation and move the fewer rows so far in front of it: a part of a million-row
            // roster is never copied while its copy and itself are both alive.
            std::mem::swap(&mut self.recipients, &mut incoming);
            self.recipients.splice(0..0, incoming);
        } else {
            self.recipients.append(&mut incoming);
        }
        let mut problems = parsed.problems.into_iter();
        let mut start = 0;
        for entry in parsed.entries {
            self.problems.extend(problems.by_ref().take(entry.problems_end - start));
            start = entry.problems_end;
            if let Some(key) = entry.key.filter(|_| check) {
                self.check_duplicate(entry.excel_row, key);
            }
        }
    }

    fn check_duplicate(&mut self, excel_row: u32, key: DupKey) {
        let has_item = self.ctx.fields.item.column.is_some();
        match self.seen.entry((key.id, key.item)) {
            Entry_::Vacant(v) => {
                v.insert(excel_row);
            }
            Entry_::Occupied(o) => {
                let first = *o.get();
                let item = o.key().1.as_deref().unwrap_or("");
                let also = if has_item && !item.is_empty() {
                    format!("，且项目同为“{item}”")
                } else {
                    String::new()
                };
                let hint = if has_item {
                    "同一人的不同项目可以分行填写，但项目不能相同；请删除或合并重复的行。"
                } else {
                    "同一人只能有一行；如果是同一人的不同发放项目，请增加“项目”列分行填写。"
                };
                let column = self.ctx.header.column("身份证号").expect("a required column");
                let shown = key.shown.map_or_else(|| crate::domain::id_card::unpack(key.id), String::from);
                self.problems.push(
                    Problem::new("DUPLICATE_ID", format!("身份证号在第{first}行和第{excel_row}行重复出现{also}"))
                        .at(self.ctx.table.location().with_row(excel_row).with_column(column.written.clone()))
                        .value(shown)
                        .hint(hint),
                );
            }
        }
    }

    fn finish(self) -> Result<Vec<Recipient>, Problems> {
        if self.problems.is_empty() && self.recipients.is_empty() {
            let (table, header) = (self.ctx.table, self.ctx.header);
            return Err(empty_table(table, header, "EMPTY_ROSTER", "花名册", "人员").into());
        }
        Problems(self.problems).into_result(self.recipients)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::YearMonth;
    use crate::domain::category::KNOWN;
    use crate::input::sheet::table_from_csv_bytes;
    use crate::input::testutil::{V, file, texts, xlsx};
    use V::{D, E, N, S};
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;
    use tempfile::TempDir;

    fn ym(s: &str) -> Option<YearMonth> {
        Some(s.parse().unwrap())
    }
    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }
    /// Every problem as displayed, with the temporary path replaced by `F`.
    fn shown(err: &Problems, path: &Path) -> Vec<String> {
        err.0.iter().map(|p| p.to_string().replace(&path.display().to_string(), "F")).collect()
    }

    #[test]
    fn reads_a_roster_as_counties_keep_it() {
        let dir = TempDir::new().unwrap();
        let header = texts(&[
            "序号",
            "姓名",
            "公民身份号码",
            "优抚类别",
            "伤残等级",
            "性质",
            "户籍",
            "服役年限",
            "起发年月",
            "状态",
            "死亡日期",
            "年度确认日期",
            "开户行",
            "银行账号",
            "乡镇（街道）",
            "护 理",
            "备注",
        ]);
        let rows = vec![
            vec![S("XX县2024年优抚对象花名册")],
            vec![S("单位：元")],
            header,
            vec![
                N(1.0),
                S("张　三"),
                S("４１１５２６１９５００３１５００１４"),
                S("伤残军人"),
                S("１级"),
                S("因战"),
                S("农村"),
                E,
                S("2024年1月"),
                E,
                E,
                N(45296.0),
                S("农行城关支行"),
                S("6228 4800 1234 5678 901"),
                S("城关镇"),
                S("是"),
                E,
            ],
            vec![],
            vec![
                N(2.0),
                S("李四"),
                S("411526196207080032"),
                S("在乡复员军人"),
                E,
                E,
                S("城镇"),
                N(12.0),
                S("202401"),
                S("暂停"),
                E,
                D(2024, 3, 1),
                E,
                E,
                S("东关街道"),
                E,
                S("未年审"),
            ],
            vec![N(3.0), S("王五"), S("41152619480909001x"), S("烈属"), E, E, E, E, S("2023.08"), E, S("2024.01.05")],
            vec![S("合计"), E, E, E, E, E, E, N(12.0)],
            vec![S("制表人：赵六"), E, E, E, E, E, E, E, E, E, E, E, S("审核人：钱七")],
        ];
        let path = xlsx(&dir, "roster.xlsx", "花名册", &rows, &[]);
        let r = read_roster(&path, &Categories::default()).unwrap();
        assert_eq!(r.len(), 3);

        let a = &r[0];
        assert_eq!(a.location.to_string(), format!("{} 工作表「花名册」第4行", path.display()));
        assert_eq!(&*a.name, "张三");
        assert_eq!(a.id.as_str(), "411526195003150014");
        assert_eq!(&*a.category, "残疾军人");
        assert_eq!(a.attr("等级"), "一级");
        assert_eq!(a.attr("性质"), "因战");
        assert_eq!(a.attr("城乡"), "农村");
        assert_eq!(a.attr("护理"), "是");
        assert_eq!(a.attr("类别"), "残疾军人");
        assert_eq!(a.attr("序号"), "1");
        assert_eq!(a.service_years, None);
        assert_eq!(a.start_month, ym("2024-01"));
        assert_eq!(a.status, Status::Normal);
        // serial 45296 = 2024-01-05
        assert_eq!(a.confirmed_on, date(2024, 1, 5));
        assert_eq!(&*a.bank, "农行城关支行");
        assert_eq!(&*a.account, "6228480012345678901");
        assert_eq!(&*a.town, "城关镇");
        assert_eq!(a.item, None);

        let b = &r[1];
        assert_eq!(b.location.row, Some(6));
        assert_eq!(&*b.category, "在乡复员军人");
        assert_eq!(b.service_years, Some(dec!(12)));
        assert_eq!(b.start_month, ym("2024-01"));
        assert_eq!(b.status, Status::Suspended { reason: "未年审".into() });
        assert_eq!(b.confirmed_on, date(2024, 3, 1));
        assert_eq!(&*b.account, "");
        assert_eq!(b.attr("等级"), "");

        let c = &r[2];
        assert_eq!(c.location.row, Some(7));
        assert_eq!(c.id.as_str(), "41152619480909001X");
        assert_eq!(&*c.category, "烈士遗属");
        // a 死亡日期 with a blank 状态 means deceased
        assert_eq!(c.status, Status::Deceased);
        assert_eq!(c.death_date, date(2024, 1, 5));
        assert_eq!(c.start_month, ym("2023-08"));

        // What a batch keeps (`Keep::Only`: the standards' key columns): the same recipients, with only the named
        // columns among the others; the fields are all there, and what is read from the row (the 暂停 reason from
        // 备注) is as before.
        let keys = ["等级".to_string(), "护理".to_string()];
        let kept = read_roster_keeping(&path, &Categories::default(), Keep::Only(&keys)).unwrap();
        assert_eq!(kept.len(), 3);
        assert_eq!((kept[0].attr("等级"), kept[0].attr("护理")), ("一级", "是"));
        assert_eq!((kept[0].attr("性质"), kept[0].attr("序号"), kept[0].attrs.get("城乡")), ("", "", None));
        assert_eq!(
            (kept[0].attr("类别"), &*kept[0].name, kept[0].attr("银行账号")),
            ("残疾军人", "张三", "6228480012345678901")
        );
        assert_eq!(kept[1].status, Status::Suspended { reason: "未年审".into() });
        assert_eq!((&kept[2].location, kept[2].death_date), (&c.location, c.death_date));
    }

    #[test]
    fn two_row_merged_header() {
        let dir = TempDir::new().unwrap();
        // Row 1: a title merged over A:F. Rows 2–3: 序号…类别 merged vertically, 银行信息 merged over E2:F2 with
        // 开户行 | 银行账号 under it.
        let rows = vec![
            vec![],
            vec![],
            vec![E, E, E, E, S("开户行"), S("银行账号")],
            vec![
                N(1.0),
                S("张三"),
                S("411526195003150014"),
                S("残疾军人"),
                S("农行城关支行"),
                S("6228480012345678901"),
            ],
        ];
        let merges = [
            (0, 0, 0, 5, "示例县优抚对象花名册"),
            (1, 0, 2, 0, "序号"),
            (1, 1, 2, 1, "姓名"),
            (1, 2, 2, 2, "身份证号"),
            (1, 3, 2, 3, "类别"),
            (1, 4, 1, 5, "银行信息"),
        ];
        let path = xlsx(&dir, "merged.xlsx", "Sheet1", &rows, &merges);
        let r = read_roster(&path, &Categories::default()).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].location.row, Some(4));
        assert_eq!(&*r[0].bank, "农行城关支行");
        assert_eq!(&*r[0].account, "6228480012345678901");
        assert_eq!(r[0].attr("开户行"), "农行城关支行");
    }

    /// Row 6 is the 合计 row, row 7 a 乡镇 subtotal, row 8 the header repeated (two sheets pasted together).
    const CSV: &str = "示例县花名册,,,,\n姓名,身份证号码,人员类别,残疾等级,起发时间\n张三,411526195003150014,伤残军人,一级,2024/1\n\n\
                       李四,411526196207080032,病故遗属,,20230801\n合计,,,,\n城关镇小计,,,,\n\
                       姓名,身份证号码,人员类别,残疾等级,起发时间\n王五,411526195511200057,烈属,,2024-01\n";

    #[test]
    fn gbk_and_bom_csv_read_the_same_as_utf8() {
        let read = |bytes: &[u8]| {
            let mut t = table_from_csv_bytes("x", bytes).unwrap();
            t.file = "r.csv".into();
            serde_json::to_string(&roster_from_table(&t, &Categories::default()).unwrap()).unwrap()
        };
        let utf8 = read(CSV.as_bytes());
        let gbk = encoding_rs::GBK.encode(CSV).0.into_owned();
        assert!(std::str::from_utf8(&gbk).is_err());
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(CSV.as_bytes());
        assert_eq!(read(&gbk), utf8);
        assert_eq!(read(&bom), utf8);
        // and the content is what the file says
        let dir = TempDir::new().unwrap();
        let path = file(&dir, "r.csv", &gbk);
        let r = read_roster(&path, &Categories::default()).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].location.to_string(), format!("{} 第5行", path.display()));
        assert_eq!(r[2].location.row, Some(9));
        assert_eq!(&*r[2].name, "王五");
        assert_eq!(&*r[1].category, "病故军人遗属");
        assert_eq!(r[1].start_month, ym("2023-08"));
        assert_eq!(r[0].attr("等级"), "一级");
    }

    #[test]
    fn every_problem_of_the_file_is_reported_with_its_place() {
        let dir = TempDir::new().unwrap();
        let rows = vec![
            texts(&["姓名", "身份证号", "类别", "等级", "状态", "死亡日期", "起发年月", "银行账号"]),
            vec![S("张三"), N(411526195003150014.0), S("残疾军人")],
            vec![S("李四"), S("411526196207080031"), S("残疾军仁")],
            vec![
                S("王五"),
                S("411526195511200057"),
                S("烈属"),
                S("11级"),
                S("死亡"),
                E,
                S("2024年13月"),
                N(6228480012345678.0),
            ],
            vec![S("赵六"), S("411526197001010076"), S("公务员"), E, S("退休"), E, E, S("6228-4800")],
            vec![E, S("411526195003150014"), S("烈属"), E, S("正常"), S("2024-02-30")],
        ];
        let path = xlsx(&dir, "bad.xlsx", "花名册", &rows, &[]);
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        let at = "F 工作表「花名册」";
        assert_eq!(
            shown(&err, &path),
            [
                format!(
                    "{at}第2行「身份证号」列：身份证号被存成了数字：Excel 的数字只保留15位有效数字，存成数字后末几位已经丢失，无法从中还原（值：“4.11526E+17”）。请将该列设置为“文本”格式后重新录入身份证号（只改格式不能找回丢失的数字）。 [ID_AS_NUMBER]"
                ),
                format!(
                    "{at}第3行「身份证号」列：身份证号校验码错误：按前17位应为“2”，实为“1”（值：“411526196207080031”）。请对照原始证件核对身份证号。 [ID_INVALID]"
                ),
                format!(
                    "{at}第3行「类别」列：类别不在已知类别中（值：“残疾军仁”）。是否应为“残疾军人”？ [UNKNOWN_CATEGORY]"
                ),
                format!(
                    "{at}第4行「等级」列：等级无法识别（值：“11级”）。应为一级至十级，可写作“一级”“1级”或“1”。 [BAD_GRADE]"
                ),
                format!(
                    "{at}第4行「起发年月」列：起发年月无法识别为年月（值：“2024年13月”）。可写作 2024-01、2024/1、2024.01、2024年1月、202401，或完整日期（取其所在月份），或设置为日期格式的单元格。 [BAD_DATE]"
                ),
                format!(
                    "{at}第4行「死亡日期」列：状态为“死亡”，但没有填写死亡日期。请填写死亡日期：发放到死亡当月，丧葬补助也据此计算。 [MISSING_DEATH_DATE]"
                ),
                format!(
                    "{at}第4行「银行账号」列：银行账号被存成了数字：Excel 的数字只保留15位有效数字，存成数字后末几位已经丢失，无法从中还原（值：“6.22848E+15”）。请将该列设置为“文本”格式后重新录入银行账号（只改格式不能找回丢失的数字）。 [ACCOUNT_AS_NUMBER]"
                ),
                format!(
                    "{at}第5行「类别」列：类别不在已知类别中（值：“公务员”）。可用的类别：{}。本地特有的类别可在 youfu.toml 的 [categories] 中增加。 [UNKNOWN_CATEGORY]",
                    KNOWN.join("、")
                ),
                format!(
                    "{at}第5行「状态」列：状态无法识别（值：“退休”）。可填：正常、暂停（或中止）、停发（或终止）、死亡（或去世、已故）、迁出（或转出）；留空表示正常。 [BAD_STATUS]"
                ),
                format!(
                    "{at}第5行「银行账号」列：银行账号只能由数字组成（值：“6228-4800”）。请核对账号，去掉其中的字母、横线等其他字符。 [ACCOUNT_INVALID]"
                ),
                format!("{at}第6行「姓名」列：姓名为空。请填写姓名。 [MISSING_VALUE]"),
                format!(
                    "{at}第6行「死亡日期」列：死亡日期无法识别为日期（值：“2024-02-30”）。可写作 2024-01-05、2024/1/5、2024.01.05、2024年1月5日、20240105，或设置为日期格式的单元格。 [BAD_DATE]"
                ),
            ]
        );
    }

    #[test]
    fn id_typed_in_scientific_notation_in_a_csv_is_a_number_id() {
        let dir = TempDir::new().unwrap();
        let path = file(&dir, "r.csv", "姓名,身份证号,类别\n张三,4.11526E+17,烈属\n".as_bytes());
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].code, "ID_AS_NUMBER");
        assert_eq!(err.0[0].value.as_deref(), Some("4.11526E+17"));
    }

    #[test]
    fn status_words_and_the_death_date() {
        let dir = TempDir::new().unwrap();
        let csv = "姓名,身份证号,类别,状态,死亡日期,暂停原因,备注,银行账号,丧葬补助月数\n\
                   甲,411526195003150014,烈属,中止,,服刑,另有备注,12345678,\n\
                   乙,411526196207080032,烈属,暂停,,,正在核查,,\n\
                   丙,411526195511200057,烈属,暂停,,,,,\n\
                   丁,411526197001010076,烈属,停发,,,,,\n\
                   戊,41152619480909001X,烈属,已故,2024年2月3日,,,,12\n\
                   己,110105194912310021,烈属,正常,2024-01-01,,,,6.5\n";
        let path = file(&dir, "s.csv", csv.as_bytes());
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(
            shown(&err, &path),
            [
                "F 第7行「身份证号」列：身份证号校验码错误：按前17位应为“X”，实为“1”（值：“110105194912310021”）。请对照原始证件核对身份证号。 [ID_INVALID]",
                "F 第7行「状态」列：状态为“正常”，但填有死亡日期（值：“正常”）。如已死亡，请将状态改为“死亡”；如死亡日期填错，请删除。 [BAD_STATUS]",
                "F 第7行「丧葬补助月数」列：丧葬补助月数应为整数（值：“6.5”）。请填写整数，如 6 或 12。 [BAD_NUMBER]",
            ]
        );
        let ok = csv.lines().take(6).collect::<Vec<_>>().join("\n");
        let path = file(&dir, "ok.csv", ok.as_bytes());
        let r = read_roster(&path, &Categories::default()).unwrap();
        assert_eq!(r[0].status, Status::Suspended { reason: "服刑".into() });
        assert_eq!(&*r[0].account, "12345678");
        assert_eq!(r[1].status, Status::Suspended { reason: "正在核查".into() });
        assert_eq!(r[2].status, Status::Suspended { reason: "暂停发放".into() });
        assert_eq!(r[3].status, Status::Stopped);
        assert_eq!(r[4].status, Status::Deceased);
        assert_eq!(r[4].death_date, date(2024, 2, 3));
        assert_eq!(r[4].funeral_months, Some(12));
    }

    #[test]
    fn transfer_columns_and_their_refusals() {
        let dir = TempDir::new().unwrap();
        let csv = "姓名,身份证号,类别,起发年月,状态,迁出时间,迁入年月,原发放地\n\
                   甲,519902196001010014,烈属,2010-03,迁出,2024年7月,,\n\
                   乙,519902196001010313,烈属,,,202407,,\n\
                   丙,519902196001010612,烈属,2010-03,,,2024-07,示例甲县\n\
                   丁,519902196001010911,烈属,2010-03,转出,2024-05,2022-05,示例甲县\n\
                   戊,51990219600101121X,烈属,,迁出,,,\n\
                   己,519902196001011519,烈属,2024-09,迁出,2024-07,,\n\
                   庚,519902196001011818,烈属,,,,2024-07,\n\
                   辛,519902196001012116,烈属,,,,,示例甲县\n\
                   壬,519902196001012415,烈属,,正常,2024-07,,\n\
                   癸,519902196001012714,烈属,,迁出,2024年13月,,\n\
                   子,519902196001013020,烈属,,迁出,2024-03,2024-05,示例甲县\n";
        let path = file(&dir, "t.csv", csv.as_bytes());
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(
            shown(&err, &path),
            [
                "F 第6行「迁出时间」列：状态为“迁出”，但没有填写迁出年月。请填写迁出年月（抚恤关系迁出的月份）：本县据此确定发放到哪个月为止。 [MISSING_MOVE_OUT_MONTH]",
                "F 第7行「迁出时间」列：迁出年月早于起发年月（2024-09），本县尚未发放就已迁出（值：“2024-07”）。请核对迁出年月和起发年月：迁出年月应是本县开始发放以后的月份。 [TRANSFER_BEFORE_START]",
                "F 第8行「原发放地」列：填有迁入年月，但没有填写原发放地。请填写原发放地（抚恤关系迁出的县（市、区）），迁入后的头几个月由原发放地发放。 [MISSING_MOVED_FROM]",
                "F 第9行「迁入年月」列：填有原发放地，但没有填写迁入年月。请填写迁入年月（抚恤关系迁入本县的月份），本县据此确定从哪个月起发放。 [MISSING_MOVE_IN_MONTH]",
                "F 第10行「状态」列：状态为“正常”，但填有迁出年月（值：“正常”）。抚恤关系已迁出的，请将状态改为“迁出”；如迁出年月填错，请删除。 [BAD_STATUS]",
                "F 第11行「迁出时间」列：迁出年月无法识别为年月（值：“2024年13月”）。可写作 2024-01、2024/1、2024.01、2024年1月、202401，或完整日期（取其所在月份），或设置为日期格式的单元格。 [BAD_DATE]",
                "F 第12行「迁出时间」列：迁出年月早于迁入年月（2024-05）（值：“2024-03”）。请核对迁入年月和迁出年月。 [TRANSFER_OUT_BEFORE_IN]",
            ]
        );
        let ok = csv.lines().take(5).collect::<Vec<_>>().join("\n");
        let path = file(&dir, "ok.csv", ok.as_bytes());
        let r = read_roster(&path, &Categories::default()).unwrap();
        let t = |i: usize| r[i].transfer.as_deref().map(|t| (t.moved_out, t.moved_in, t.moved_from.as_deref()));
        assert_eq!((r[0].status.clone(), t(0)), (Status::MovedOut, Some((ym("2024-07"), None, None))));
        // a blank 状态 with 迁出年月 is 迁出 (as a blank 状态 with 死亡日期 is 死亡)
        assert_eq!((r[1].status.clone(), t(1)), (Status::MovedOut, Some((ym("2024-07"), None, None))));
        assert_eq!((r[2].status.clone(), t(2)), (Status::Normal, Some((None, ym("2024-07"), Some("示例甲县")))));
        assert_eq!(t(3), Some((ym("2024-05"), ym("2022-05"), Some("示例甲县"))));
        // no transfer columns at all: nothing boxed
        let plain = file(&dir, "p.csv", "姓名,身份证号,类别\n甲,519902196001010014,烈属\n".as_bytes());
        assert!(read_roster(&plain, &Categories::default()).unwrap()[0].transfer.is_none());
    }

    #[test]
    fn a_short_account_number_cell_is_taken_as_its_digits() {
        let dir = TempDir::new().unwrap();
        let rows = vec![
            texts(&["姓名", "身份证号", "类别", "一卡通账号"]),
            vec![S("张三"), S("411526195003150014"), S("烈属"), N(622848001234567.0)],
        ];
        let path = xlsx(&dir, "a.xlsx", "Sheet1", &rows, &[]);
        let r = read_roster(&path, &Categories::default()).unwrap();
        // 15 digits survive a number cell exactly
        assert_eq!(&*r[0].account, "622848001234567");
    }

    #[test]
    fn duplicate_ids() {
        let dir = TempDir::new().unwrap();
        let dup = "姓名,身份证号,类别\n张三,411526195003150014,残疾军人\n李四,411526196207080032,烈属\n张三,411526195003150014,残疾军人\n";
        let path = file(&dir, "d.csv", dup.as_bytes());
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(
            shown(&err, &path),
            [
                "F 第4行「身份证号」列：身份证号在第2行和第4行重复出现（值：“411526195003150014”）。同一人只能有一行；如果是同一人的不同发放项目，请增加“项目”列分行填写。 [DUPLICATE_ID]"
            ]
        );

        let items = "姓名,身份证号,类别,发放项目\n张三,411526195003150014,残疾军人,残疾抚恤金\n张三,411526195003150014,残疾军人,护理费\n";
        let path = file(&dir, "i.csv", items.as_bytes());
        let r = read_roster(&path, &Categories::default()).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].item.as_deref(), Some("残疾抚恤金"));
        assert_eq!(r[1].item.as_deref(), Some("护理费"));

        let same = format!("{items}张三,411526195003150014,残疾军人,护理费\n");
        let path = file(&dir, "s.csv", same.as_bytes());
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(
            shown(&err, &path),
            [
                "F 第4行「身份证号」列：身份证号在第3行和第4行重复出现，且项目同为“护理费”（值：“411526195003150014”）。同一人的不同项目可以分行填写，但项目不能相同；请删除或合并重复的行。 [DUPLICATE_ID]"
            ]
        );
    }

    #[test]
    fn file_level_refusals() {
        let dir = TempDir::new().unwrap();
        let path = file(&dir, "m.csv", "姓名,身份证\n张三,411526195003150014\n".as_bytes());
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(
            shown(&err, &path),
            [
                "F 第1行：缺少必需的列“类别”（在第1行找到的表头为：“姓名”、“身份证”）。请在表头中加上“类别”（或“优抚类别”、“对象类别”、“人员类别”）。 [MISSING_COLUMN]"
            ]
        );
        let missing = dir.path().join("没有.xlsx");
        assert_eq!(read_roster(&missing, &Categories::default()).unwrap_err().0[0].code, "FILE_NOT_FOUND");
        let empty = file(&dir, "empty.csv", b"");
        assert_eq!(
            shown(&read_roster(&empty, &Categories::default()).unwrap_err(), &empty)[0],
            "F：表中没有任何内容，找不到表头：前30行中没有一行包含所需的列名。表头须包含“姓名”（或“名字”）、\
             “身份证号”（或“公民身份号码”、“身份证号码”、“身份证”）、“类别”（或“优抚类别”、“对象类别”、“人员类别”）。\
             请检查是否选错了文件或工作表（只读取第一个工作表）。 [NO_HEADER]"
        );
        let pdf = file(&dir, "r.xlsx", b"%PDF-1.7\n");
        assert_eq!(read_roster(&pdf, &Categories::default()).unwrap_err().0[0].code, "NOT_A_SPREADSHEET");
    }

    #[test]
    fn ods_and_xls_made_by_libreoffice() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/input/testdata");
        for name in ["roster.ods", "roster.xls"] {
            let path = dir.join(name);
            let r = read_roster(&path, &Categories::default()).unwrap();
            assert_eq!(r.len(), 2, "{name}");
            assert_eq!(r[0].location.row, Some(3));
            assert_eq!(r[0].location.sheet(), Some("roster"));
            assert_eq!(r[0].id.as_str(), "411526195003150014");
            assert_eq!(&*r[0].category, "残疾军人");
            assert_eq!(r[0].attr("等级"), "三级");
            assert_eq!(r[0].confirmed_on, date(2024, 1, 5), "{name}");
            assert_eq!(r[0].service_years, Some(dec!(12)));
            assert_eq!(r[1].id.as_str(), "41152619480909001X");
            assert_eq!(r[1].confirmed_on, date(2024, 3, 1));
        }
    }

    #[test]
    fn formula_errors_are_named_and_the_row_skipped() {
        use crate::input::sheet::Row;
        let text = |t: &str| Cell::Text(t.into());
        let table = Table {
            file: "r.xlsx".into(),
            sheet: Some("花名册".into()),
            rows: vec![
                Row {
                    excel_row: 1,
                    cells: vec![text("姓名"), text("身份证号"), text("类别"), text("性质"), text("状态")],
                },
                Row {
                    excel_row: 2,
                    cells: vec![text("张三"), text("411526195003150014"), Cell::Error("#N/A".into()), text("因战")],
                },
                Row {
                    excel_row: 3,
                    cells: vec![
                        text("李四"),
                        text("411526196207080032"),
                        text("残疾军人"),
                        text("因公致残"),
                        text("正常发放"),
                    ],
                },
            ],
        };
        let err = roster_from_table(&table, &Categories::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "r.xlsx 工作表「花名册」第2行「类别」列：“类别”单元格是公式错误值（值：“#N/A”）。\
             请修正该单元格的公式（如 VLOOKUP 找不到对应值），或直接填写内容。 [CELL_ERROR]"
        );
        let mut table = table;
        table.rows.remove(1);
        let r = roster_from_table(&table, &Categories::default()).unwrap();
        assert_eq!(r[0].attr("性质"), "因公");
        assert_eq!(r[0].status, Status::Normal);
    }

    /// A CSV roster: `titles` title lines, the header, then the given data lines.
    fn csv_roster(dir: &TempDir, titles: usize, data: &[&str]) -> std::path::PathBuf {
        let mut text = "XX县优抚对象花名册\n".repeat(titles);
        text.push_str("姓名,身份证号,类别,护理\n");
        for line in data {
            text.push_str(line);
            text.push('\n');
        }
        let path = dir.path().join("r.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn rows_past_the_header_scan_are_read_as_they_come() {
        let dir = TempDir::new().unwrap();
        // Header on row 30 (the last row searched); rows 31 and 32 are among the rows kept for the header
        // search, rows 33 on are read one at a time: both must be read alike.
        let mut data = vec!["张三,411526195003150014,残疾军人,是", "李四,411526196207080032,烈属,"];
        data.extend(std::iter::repeat_n("", 3));
        data.push("王五,41152619480909001X,烈属,否");
        data.push("张三,411526195003150014,残疾军人,是");
        let path = csv_roster(&dir, 29, &data);
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(
            shown(&err, &path),
            [
                "F 第37行「身份证号」列：身份证号在第31行和第37行重复出现（值：“411526195003150014”）。同一人只能有一行；\
                 如果是同一人的不同发放项目，请增加“项目”列分行填写。 [DUPLICATE_ID]"
            ]
        );
        data.pop();
        let path = csv_roster(&dir, 29, &data);
        let r = read_roster(&path, &Categories::default()).unwrap();
        // rows 31, 32, then three blank lines (33–35), then row 36
        assert_eq!(r.iter().map(|r| r.location.row.unwrap()).collect::<Vec<_>>(), [31, 32, 36]);
        assert_eq!(r.iter().map(|r| r.attr("护理")).collect::<Vec<_>>(), ["是", "", "否"]);
        assert_eq!(r[2].attr("类别"), "烈士遗属");
        assert_eq!(r[2].id.as_str(), "41152619480909001X");
    }

    #[test]
    fn rows_over_many_batches_keep_their_order_numbers_and_duplicates() {
        // Without quotes the file is split into parts read on their own threads; one quoted cell makes it read
        // on one thread and converted in batches on others. Both must give the same, at every width (the
        // duplicate check shares the persons out among the threads, as many shares as threads).
        for threads in [1, 2, 3, 5] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            for quoted in [false, true] {
                pool.install(|| many_rows(quoted));
            }
        }
    }

    /// Every 身份证号 is in exactly one share, whatever the number of shares; with two, the share is the top bit
    /// of the mixed number (as before the check was shared among more threads).
    #[test]
    fn the_duplicate_check_shares_every_person_out_once() {
        let seen = DupSeen::default();
        let parsed = |ids: &[u64]| Parsed {
            entries: ids
                .iter()
                .map(|&id| Entry { excel_row: 2, problems_end: 0, key: Some(DupKey { id, item: None, shown: None }) })
                .collect(),
            ..Parsed::default()
        };
        for id in [0, 1, 411526195001010001, u64::MAX, 0x8000_0000_0000_0000] {
            // The person twice: found by exactly one share.
            let twice = [parsed(&[id]), parsed(&[7, id])];
            for shares in [1, 2, 3, 16] {
                let found = (0..shares).filter(|&s| any_repeat_in(&seen, &twice, s, shares)).count();
                assert_eq!(found, 1, "id {id}, {shares} shares");
            }
            let top = (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 63) as usize;
            assert!(any_repeat_in(&seen, &twice, top, 2));
        }
        assert!(!any_repeat(&seen, &[parsed(&[1, 2, 3]), parsed(&[4])]));
        assert!(any_repeat(&seen, &[parsed(&[1, 2, 3]), parsed(&[4, 2])]));
    }

    fn many_rows(quoted: bool) {
        let dir = TempDir::new().unwrap();
        // 3,000 valid people (ids built with their check digit), so the rows span three worker batches.
        let id = |n: u32| {
            // born 1950-01-01 … 1950-01-04, sequence n % 1000
            let first17 = format!("4115261950010{}{:03}", 1 + n / 1000, n % 1000);
            format!("{first17}{}", crate::domain::id_card::check_char(first17.as_bytes()))
        };
        let ids: Vec<String> = (0..3000).map(id).collect();
        let mut lines: Vec<String> = ids.iter().enumerate().map(|(i, id)| format!("人{i},{id},烈属,")).collect();
        // Row 2 + 2500 = 2502 repeats the person of row 7 (index 5); row 2900 has an unknown 类别.
        lines[2500] = format!("重复,{},烈属,", ids[5]);
        lines[2898] = format!("错,{},公务员,", ids[2898]);
        // and the last row repeats row 1202's person: both far past the rows read with the header
        lines[2999] = format!("又重复,{},烈属,", ids[1200]);
        if quoted {
            lines[0] = format!("\"人0\",{},烈属,", ids[0]);
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let path = csv_roster(&dir, 0, &refs);
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(
            shown(&err, &path),
            [
                format!(
                    "F 第2502行「身份证号」列：身份证号在第7行和第2502行重复出现（值：“{}”）。同一人只能有一行；\
                     如果是同一人的不同发放项目，请增加“项目”列分行填写。 [DUPLICATE_ID]",
                    ids[5]
                ),
                format!(
                    "F 第2900行「类别」列：类别不在已知类别中（值：“公务员”）。可用的类别：{}。本地特有的类别可在 youfu.toml 的 [categories] 中增加。 [UNKNOWN_CATEGORY]",
                    KNOWN.join("、")
                ),
                format!(
                    "F 第3001行「身份证号」列：身份证号在第1202行和第3001行重复出现（值：“{}”）。同一人只能有一行；\
                     如果是同一人的不同发放项目，请增加“项目”列分行填写。 [DUPLICATE_ID]",
                    ids[1200]
                ),
            ]
        );
        lines[2500] = format!("新人,{},烈属,", id(3500));
        lines[2999] = format!("人2999,{},烈属,", ids[2999]);
        lines[2898] = format!("错,{},烈属,", ids[2898]);
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let path = csv_roster(&dir, 0, &refs);
        let r = read_roster(&path, &Categories::default()).unwrap();
        assert_eq!(r.len(), 3000);
        // every row in order: person i on Excel row i + 2 (row 1 is the header)
        assert!(r.iter().enumerate().all(|(i, p)| p.location.row == Some(i as u32 + 2)));
        assert_eq!((r[0].name.as_ref(), r[2500].name.as_ref(), r[2999].name.as_ref()), ("人0", "新人", "人2999"));
        // columns kept in fields are found by `attr`, not stored twice
        assert_eq!((r[3].attr("姓名"), r[3].attr("身份证号"), r[3].attr("类别")), ("人3", ids[3].as_str(), "烈士遗属"));
        assert_eq!((r[3].attrs.get("姓名"), r[3].attrs.get("护理")), (None, Some("")));
    }

    #[test]
    fn a_csv_with_old_mac_line_ends_is_read_whole_by_the_split_path() {
        // Lines ended by a lone \r (Excel for Mac's "CSV (Macintosh)"): no \n at all, so the split parts can
        // not be sized by counting \n. 2,000 people over 2,000 \r-ended records (more than one batch), and the
        // same file with one quoted cell (read on one thread, not split) must give the same recipients.
        let dir = TempDir::new().unwrap();
        let id = |n: u32| {
            let first17 = format!("4115261950010{}{:03}", 1 + n / 1000, n % 1000);
            format!("{first17}{}", crate::domain::id_card::check_char(first17.as_bytes()))
        };
        let read = |quoted: bool| {
            let mut text = String::from("姓名,身份证号,类别\r");
            for n in 0..2000 {
                let name = if quoted && n == 0 { "\"人0\"".to_string() } else { format!("人{n}") };
                text.push_str(&format!("{name},{},烈属\r", id(n)));
            }
            let path = dir.path().join(if quoted { "q.csv" } else { "m.csv" });
            std::fs::write(&path, text).unwrap();
            read_roster(&path, &Categories::default()).unwrap()
        };
        let (split, whole) = (read(false), read(true));
        assert_eq!(split.len(), 2000);
        let key = |r: &Recipient| (r.location.row, r.name.clone(), r.id.as_str().to_string());
        assert_eq!(split.iter().map(key).collect::<Vec<_>>(), whole.iter().map(key).collect::<Vec<_>>());
        assert_eq!((split[1999].name.as_ref(), split[1999].id.as_str()), ("人1999", id(1999).as_str()));
    }

    /// 入伍时间 and 退伍时间 are kept as written; a year before 1900 (or after 2200) at their start is refused.
    #[test]
    fn service_dates_are_kept_but_their_year_checked() {
        let dir = TempDir::new().unwrap();
        let text = "姓名,身份证号,类别,入伍时间,退伍时间\n\
                    甲,411526195003150014,烈属,1881/10/13,19920123\n\
                    乙,411526196207080032,烈属,不详,1981年10月\n\
                    丙,41152619480909001X,烈属,19811013,2201\n";
        let path = file(&dir, "r.csv", text.as_bytes());
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        let hint = format!("请核对并重新填写该日期，可写作 {}。 [DATE_OUT_OF_RANGE]", cells::DATE_FORMS);
        assert_eq!(
            shown(&err, &path),
            [
                format!(
                    "F 第2行「入伍时间」列：入伍时间读作 1881/10/13，不在合理范围内（1900年至2200年）（值：“1881/10/13”）。{hint}"
                ),
                format!(
                    "F 第4行「退伍时间」列：退伍时间读作 2201，不在合理范围内（1900年至2200年）（值：“2201”）。{hint}"
                ),
            ]
        );
        let ok = text.replace("1881/10/13", "1981/10/13").replace(",2201", ",2001");
        let r = read_roster(&file(&dir, "ok.csv", ok.as_bytes()), &Categories::default()).unwrap();
        assert_eq!((r[1].attr("入伍时间"), r[1].attr("退伍时间")), ("不详", "1981年10月"));
    }

    /// Title, header, a blank row and the 合计 row, no person: refused (it paid 0 人 0.00 元 and committed).
    #[test]
    fn a_roster_without_people_is_refused() {
        let dir = TempDir::new().unwrap();
        let path = csv_roster(&dir, 1, &[",,,", "合计,共0人,,"]);
        assert_eq!(
            shown(&read_roster(&path, &Categories::default()).unwrap_err(), &path),
            ["F 第2行：花名册在表头（第2行）之下没有任何人员行。请检查是否选错了文件或工作表（只读取第一个工作表），\
                 或人员行是否被删除；空行、合计行和表尾的签名行不算人员。 [EMPTY_ROSTER]"]
        );
        // A row with a problem is reported as that problem, not as an empty roster.
        let path = csv_roster(&dir, 0, &["张三,411526195003150015,烈属,"]);
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(err.0.iter().map(|p| p.code).collect::<Vec<_>>(), ["ID_INVALID"]);
    }

    #[test]
    fn a_header_below_the_rows_searched_is_not_found() {
        let dir = TempDir::new().unwrap();
        // 31 title rows put the header on row 32. Row 30 is the last row a header may start on, and a two-row
        // header starting there ends on row 31: row 32 is beyond both.
        let path = csv_roster(&dir, 31, &["张三,411526195003150014,残疾军人,是"]);
        let err = read_roster(&path, &Categories::default()).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].code, "NO_HEADER");
        assert_eq!(err.0[0].message, "找不到表头行：前30行中没有一行包含所需的列名");
    }
}
