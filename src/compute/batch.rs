//! The month's batch: for every recipient and every 项目 they are owed, the amount for the 所属期, or the reason
//! they are not paid. Errors that make a pick impossible (no standard, two standards, a gap, no 服役年限) refuse
//! the whole month: nothing is paid on a guess.

use super::amount::{self, Calculation};
use super::eligibility::NotPaid;
use super::exception::ExceptionKind;
use super::funeral;
use super::paid::Compared;
use super::rules::RoundingPolicy;
use super::standards::{Matcher, Selection, StandardTable};
use super::transfer::eligible_under;
use crate::domain::money::{RoundingMode, format_yuan, round_fen};
use crate::domain::{Problem, Problems, Recipient, YearMonth};
use rust_decimal::Decimal;
use std::ops::Range;
use std::sync::Arc;

// The batch's types are defined in `model` (a leaf `funeral` and `returns` can use too); batch is where callers
// have found them.
pub use super::model::{Exception, History, MonthBatch, Payment, Rare, Recovery, Reissue, YearEndSettlement};
pub use super::rules::{Rounding, Rules};
use crate::domain::PaymentKind;

impl Payment {
    /// The 依据 shown beside the line: its standard row's, or for a 重发 the returned line's.
    pub fn basis<'a>(&'a self, table: &'a super::standards::StandardTable) -> &'a str {
        match self.reissue() {
            Some(r) => &r.basis,
            None => &table.row(self.standard as usize).basis,
        }
    }

    /// How the amount was worked out, in one line a person can check.
    pub fn formula(&self) -> String {
        match self.kind {
            PaymentKind::Funeral => funeral::formula(self),
            PaymentKind::Reissue => {
                let (month, reason) =
                    self.reissue().map(|r| (r.batch_month.to_string(), r.reason.as_str())).unwrap_or_default();
                format!("重发 {month} 批次被银行退回的 {} 款 {}（{reason}）", self.period, format_yuan(self.amount))
            }
            PaymentKind::Arrears => format!(
                "按现行标准 {}，减已发 {} = {}",
                self.calc.formula(),
                format_yuan(self.paid_before().unwrap_or_default()),
                format_yuan(self.amount)
            ),
            PaymentKind::Regular => match self.settlement() {
                Some(st) => format!(
                    "全年{}个月应发 {} − 其他月份已发 {} = {}（尾差在12月调整）",
                    st.months,
                    format_yuan(st.year_exact),
                    format_yuan(st.other_months),
                    format_yuan(self.amount)
                ),
                None => self.calc.formula(),
            },
        }
    }
}

/// `Payment::formula` for many lines: a regular line's text depends only on its `Calculation`, and a batch has
/// a few hundred distinct ones (standard row × 服役年限), so each is formatted once.
#[derive(Debug, Default)]
pub struct Formulas {
    regular: rustc_hash::FxHashMap<Calculation, String>,
}

impl Formulas {
    /// The same text as `p.formula()`.
    pub fn of(&mut self, p: &Payment) -> String {
        if p.kind != PaymentKind::Regular || p.settlement().is_some() {
            return p.formula();
        }
        if let Some(f) = self.regular.get(&*p.calc) {
            return f.clone();
        }
        let f = p.calc.formula();
        self.regular.insert((*p.calc).clone(), f.clone());
        f
    }
}

/// What one recipient is owed for one item in one month, before eligibility.
enum Owed {
    Amount(usize, Calculation),
    Nothing,
}

fn owed(
    table: &StandardTable,
    r: &Recipient,
    item: &str,
    rows: &[usize],
    month: YearMonth,
    mode: RoundingMode,
) -> Result<Owed, Problem> {
    match table.select(r, item, rows, month.first_day())? {
        Selection::NotOwed => Ok(Owed::Nothing),
        Selection::InForce(i) => {
            let std = table.row(i);
            let calc =
                amount::monthly(std, r.service_years, mode).ok_or_else(|| no_service_years(r, item, i, table))?;
            Ok(Owed::Amount(i, calc))
        }
    }
}

fn no_service_years(r: &Recipient, item: &str, i: usize, table: &StandardTable) -> Problem {
    let s = table.row(i);
    Problem::new(
        "NO_SERVICE_YEARS",
        format!(
            "{}（{}）的项目“{}”按{}计发（标准表第{}行），但花名册没有填写服役年限",
            r.name,
            r.id,
            item,
            s.unit,
            s.location.row.unwrap_or(0)
        ),
    )
    .at(r.location.to_location().with_column("服役年限"))
    .hint("请在花名册中填写该人员的服役年限（整数或小数年）。")
}

/// What is due for one (recipient, item, month): the row used, its working, and the amount to pay.
struct Due {
    standard: usize,
    calc: Calculation,
    amount: Decimal,
    settlement: Option<Box<YearEndSettlement>>,
}

/// The amount for one (recipient, item, month) under the rounding policy, with its settlement for December.
fn amount_for(
    table: &StandardTable,
    r: &Recipient,
    item: &str,
    rows: &[usize],
    month: YearMonth,
    rules: &Rules,
) -> Result<Option<Due>, Problem> {
    let rounding = rules.rounding;
    let Owed::Amount(i, calc) = owed(table, r, item, rows, month, rounding.mode)? else {
        return Ok(None);
    };
    if rounding.policy != RoundingPolicy::YearEnd || month.month() != 12 {
        let amount = calc.rounded;
        return Ok(Some(Due { standard: i, calc, amount, settlement: None }));
    }
    // 尾差在12月调整: exact year entitlement of all paid months, rounded once, minus the other months' payments.
    // Per-year units are summed before the one division by 12, so no intermediate rounding enters.
    let mut per_year_sum = Decimal::ZERO;
    let mut per_month_sum = Decimal::ZERO;
    let mut other_months = Decimal::ZERO;
    let mut months = 0;
    let first = YearMonth::new(month.year(), 1).expect("January");
    for m in first.through(month) {
        if eligible_under(r, m, rules).is_err() {
            continue;
        }
        let Owed::Amount(j, c) = owed(table, r, item, rows, m, rounding.mode)? else {
            continue;
        };
        let s = table.row(j);
        let base = if s.unit.per_service_year() { s.amount * c.service_years.unwrap_or_default() } else { s.amount };
        if s.unit.per_year() {
            per_year_sum += base;
        } else {
            per_month_sum += base;
        }
        if m != month {
            other_months += c.rounded;
        }
        months += 1;
    }
    let year_exact = round_fen(per_year_sum / Decimal::from(12) + per_month_sum, rounding.mode);
    let settlement = Some(Box::new(YearEndSettlement { months, year_exact, other_months }));
    Ok(Some(Due { standard: i, calc, amount: year_exact - other_months, settlement }))
}

/// One `Arc` per distinct `Calculation` of a slice of the roster: a million lines share a few hundred.
#[derive(Default)]
struct Calcs(rustc_hash::FxHashMap<Calculation, Arc<Calculation>>);

impl Calcs {
    fn shared(&mut self, calc: Calculation) -> Arc<Calculation> {
        if let Some(c) = self.0.get(&calc) {
            return c.clone();
        }
        let c = Arc::new(calc.clone());
        self.0.insert(calc, c.clone());
        c
    }
}

/// The regular lines owed to one recipient for one month, or why they are not paid.
#[allow(clippy::too_many_arguments)]
fn entitlement(
    ri: usize,
    r: &Recipient,
    items: &[(Arc<str>, Vec<usize>)],
    month: YearMonth,
    table: &StandardTable,
    rules: &Rules,
    calcs: &mut Calcs,
    problems: &mut Problems,
) -> Result<Vec<Payment>, NotPaid> {
    eligible_under(r, month, rules)?;
    let mut lines = Vec::new();
    for (item, rows) in items {
        match amount_for(table, r, item, rows, month, rules) {
            Ok(Some(Due { standard, calc, amount, settlement })) => lines.push(Payment {
                recipient: ri,
                item: item.clone(),
                period: month,
                kind: PaymentKind::Regular,
                amount,
                standard: standard as u32,
                calc: calcs.shared(calc),
                rare: settlement.map(|s| Box::new(Rare { settlement: Some(*s), ..Rare::default() })),
            }),
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }
    Ok(lines)
}

/// Compute a month's batch: the regular payments of `month`, the 补发 for earlier committed months, the
/// 丧葬补助 due after a death, the overpayments to recover, and everyone not paid with the reason.
///
/// A large roster is computed in consecutive slices on several threads and the slices' results joined in roster
/// order, so the batch (and every problem, in its order) is the same as one pass would give.
pub fn compute_month(
    month: YearMonth,
    roster: &[Recipient],
    table: &StandardTable,
    rules: &Rules,
    history: &History,
) -> Result<MonthBatch, Problems> {
    // Four slices a thread: the slices' lines are appended to the first's one after another, each freed once
    // appended, so the lines of a quarter of a thread's share (not of half the batch) are held twice meanwhile.
    compute_month_in(month, roster, table, rules, history, 4 * parts_for(roster.len()))
}

/// Recipients below which a roster is computed on one thread (a thread costs more than a small roster).
const PARALLEL_MIN: usize = 20_000;

/// How many threads to compute a roster of `n` on: `parallel::width()`, one for a small roster.
fn parts_for(n: usize) -> usize {
    if n < PARALLEL_MIN {
        return 1;
    }
    crate::parallel::width()
}

/// `f` over `parts` consecutive slices of `0..n`, taken in turn by `parallel::width()` threads (this one among
/// them); results in slice order.
fn in_parts<T: Send>(n: usize, parts: usize, f: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
    let mut out = Vec::new();
    each_part(n, parts, f, |t| out.push(t));
    out
}

/// As `in_parts`, but each result is given to `done` on this thread, in slice order, as soon as it and those
/// before it are finished (this thread hands them on between its own slices). A batch's slices are appended and
/// freed while later ones are computed: holding every slice until the last was done held a province's lines
/// twice at the end (the slices and the list they were appended to, 117 MB more at the peak of `pay`).
fn each_part<T: Send>(n: usize, parts: usize, f: impl Fn(Range<usize>) -> T + Sync, mut done: impl FnMut(T)) {
    let parts = parts.clamp(1, n.max(1));
    if parts == 1 {
        done(f(0..n));
        return;
    }
    let size = n.div_ceil(parts);
    let ranges: Vec<Range<usize>> = (0..parts).map(|k| (k * size).min(n)..((k + 1) * size).min(n)).collect();
    let threads = crate::parallel::width().clamp(1, parts);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take = || next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, T)>();
    // Finished slices not yet handed on (a later one done before an earlier one), and the next to hand on.
    let mut waiting = std::collections::BTreeMap::new();
    let mut hand_on = |waiting: &mut std::collections::BTreeMap<usize, T>, want: &mut usize| {
        while let Some(t) = waiting.remove(want) {
            done(t);
            *want += 1;
        }
    };
    let mut want = 0;
    std::thread::scope(|scope| {
        for _ in 1..threads {
            let tx = tx.clone();
            let (ranges, f, take) = (&ranges, &f, &take);
            scope.spawn(move || {
                loop {
                    let k = take();
                    let Some(r) = ranges.get(k) else { break };
                    // The receiver is gone only when this thread's scope is ending: nothing more to do.
                    if tx.send((k, f(r.clone()))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        loop {
            let k = take();
            let Some(r) = ranges.get(k) else { break };
            waiting.insert(k, f(r.clone()));
            waiting.extend(rx.try_iter());
            hand_on(&mut waiting, &mut want);
        }
        // The other threads' last slices (the channel closes when they end; a panic among them is raised by
        // `scope` once this loop is done).
        for (k, t) in rx.iter() {
            waiting.insert(k, t);
            hand_on(&mut waiting, &mut want);
        }
    });
    assert_eq!(want, parts, "every slice computed and handed on");
}

/// What one slice of the roster gives: the batch's parts and the problems in roster order.
#[derive(Default)]
struct Part {
    batch: MonthBatch,
    problems: Problems,
}

fn compute_month_in(
    month: YearMonth,
    roster: &[Recipient],
    table: &StandardTable,
    rules: &Rules,
    history: &History,
    parts: usize,
) -> Result<MonthBatch, Problems> {
    let compared = history.paid.compared();
    // Each slice appended as soon as it and those before it are done, and freed (`each_part`).
    let (mut batch, mut problems) = (MonthBatch::default(), Problems::default());
    let slice = |range| month_part(month, roster, range, table, rules, history, &compared);
    each_part(roster.len(), parts, slice, |part: Part| {
        batch.payments.extend(part.batch.payments);
        batch.exceptions.extend(part.batch.exceptions);
        batch.recoveries.extend(part.batch.recoveries);
        batch.entitled += part.batch.entitled;
        batch.unpaid_regular.extend(part.batch.unpaid_regular);
        problems.extend(part.problems);
    });
    let extra = unowed_recoveries(history, &compared);
    batch.recoveries.extend(extra);
    super::returns::reissues(roster, table, rules, history, &mut batch);
    // Stable: each recipient's exceptions stay in the order they were found.
    batch.exceptions.sort_by_key(|e| e.recipient);
    batch.recoveries.sort_by(|a, b| (a.recipient, a.period, &a.item).cmp(&(b.recipient, b.period, &b.item)));
    // The slices give their lines in this order already (then nothing is sorted: a stable sort of 1.6 million
    // lines takes a buffer of half of them, 80 MB at a province's size).
    if !batch.payments.is_sorted_by_key(|p| (p.recipient, p.kind, p.period)) {
        batch.payments.sort_by_key(|p| (p.recipient, p.kind, p.period));
    }
    problems.into_result(batch)
}

/// `compute_month` for the recipients in `range` (indices stay those of the whole roster).
fn month_part(
    month: YearMonth,
    roster: &[Recipient],
    range: Range<usize>,
    table: &StandardTable,
    rules: &Rules,
    history: &History,
    compared: &Compared,
) -> Part {
    let mut part = Part::default();
    let Part { batch, problems } = &mut part;
    let mut matcher = Matcher::new(table);
    let mut calcs = Calcs::default();
    for ri in range {
        let r = &roster[ri];
        let items = match matcher.items_for(r) {
            Ok(items) => items,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let mut lines = match entitlement(ri, r, &items, month, table, rules, &mut calcs, problems) {
            Ok(lines) => {
                batch.entitled += lines.iter().map(|p| p.amount).sum::<Decimal>();
                if lines.is_empty() {
                    batch.exceptions.push(Exception {
                        recipient: ri,
                        item: None,
                        kind: ExceptionKind::NothingOwed,
                        reason: format!("{month}没有在有效期内的标准，本月无应发项目"),
                    });
                }
                lines
            }
            Err(why) => {
                batch.exceptions.push(Exception { recipient: ri, item: None, kind: why.kind(), reason: why.reason() });
                Vec::new()
            }
        };
        // 补发 / 追缴 for earlier committed months
        if !history.arrears_months.is_empty() {
            lines.extend(arrears_of(
                ri,
                r,
                &items,
                table,
                rules,
                history,
                compared,
                &mut calcs,
                &mut batch.recoveries,
                problems,
            ));
        }
        match funeral::funeral(ri, r, &items, month, table, rules, history) {
            Ok(funeral::Outcome::Pay(p)) => lines.push(p),
            Ok(funeral::Outcome::Listed(e)) => batch.exceptions.push(e),
            Ok(funeral::Outcome::None) => {}
            Err(p) => problems.push(p),
        }
        if lines.is_empty() {
            continue;
        }
        if r.account.is_empty() {
            let total: Decimal = lines.iter().map(|p| p.amount).sum();
            let regular: Decimal =
                lines.iter().filter(|p| p.kind == PaymentKind::Regular && p.period == month).map(|p| p.amount).sum();
            batch.unpaid_regular.push((ri, regular));
            batch.exceptions.push(Exception {
                recipient: ri,
                item: None,
                kind: ExceptionKind::NoAccount,
                reason: format!("缺少银行账号，本月应发{}元未发放，请补录账号后补发", format_yuan(total)),
            });
        } else {
            batch.payments.extend(lines);
        }
    }
    part
}

/// 补发 lines of one recipient for the earlier committed months in `history` (entitlement under today's roster
/// and standards minus what the ledger shows paid); overpayments go to `recoveries`, never netted.
#[allow(clippy::too_many_arguments)]
fn arrears_of(
    ri: usize,
    r: &Recipient,
    items: &[(Arc<str>, Vec<usize>)],
    table: &StandardTable,
    rules: &Rules,
    history: &History,
    compared: &Compared,
    calcs: &mut Calcs,
    recoveries: &mut Vec<Recovery>,
    problems: &mut Problems,
) -> Vec<Payment> {
    let mut lines = Vec::new();
    for &m in &history.arrears_months {
        let owed = entitlement(ri, r, items, m, table, rules, calcs, problems).unwrap_or_default();
        for line in owed {
            let paid = history.paid.take(compared, ri, &line.item, m);
            let diff = line.amount - paid;
            if diff > Decimal::ZERO {
                let rare = Rare { paid_before: Some(paid), ..line.rare.map(|r| *r).unwrap_or_default() };
                lines.push(Payment { kind: PaymentKind::Arrears, amount: diff, rare: rare.boxed(), ..line });
            } else if diff < Decimal::ZERO {
                recoveries.push(Recovery {
                    recipient: ri,
                    item: line.item.to_string(),
                    period: m,
                    entitled: line.amount,
                    paid,
                    overpaid: -diff,
                });
            }
        }
    }
    lines
}

/// Paid in the ledger for a person still on the roster, but owed nothing under today's data: all of it is over.
/// (A person listed on several rows is found at their first row.)
fn unowed_recoveries(history: &History, compared: &Compared) -> Vec<Recovery> {
    history
        .paid
        .not_compared(compared)
        .map(|(ri, item, period, paid)| Recovery {
            recipient: ri,
            item: item.to_string(),
            period,
            entitled: Decimal::ZERO,
            paid,
            overpaid: paid,
        })
        .collect()
}

/// Only the arrears part of a batch: 补发 owed and overpayments for `history.arrears_months` (for `youfu arrears`).
pub fn compute_arrears(
    roster: &[Recipient],
    table: &StandardTable,
    rules: &Rules,
    history: &History,
) -> Result<(Vec<Payment>, Vec<Recovery>), Problems> {
    compute_arrears_in(roster, table, rules, history, parts_for(roster.len()))
}

fn compute_arrears_in(
    roster: &[Recipient],
    table: &StandardTable,
    rules: &Rules,
    history: &History,
    parts: usize,
) -> Result<(Vec<Payment>, Vec<Recovery>), Problems> {
    let compared = history.paid.compared();
    let results = in_parts(roster.len(), parts, |range| {
        let mut part = Part::default();
        let Part { batch, problems } = &mut part;
        let mut matcher = Matcher::new(table);
        let mut calcs = Calcs::default();
        for ri in range {
            let r = &roster[ri];
            match matcher.items_for(r) {
                Ok(items) => batch.payments.extend(arrears_of(
                    ri,
                    r,
                    &items,
                    table,
                    rules,
                    history,
                    &compared,
                    &mut calcs,
                    &mut batch.recoveries,
                    problems,
                )),
                Err(p) => problems.push(p),
            }
        }
        part
    });
    let mut problems = Problems::default();
    let mut recoveries = Vec::new();
    let mut lines = Vec::new();
    for part in results {
        lines.extend(part.batch.payments);
        recoveries.extend(part.batch.recoveries);
        problems.extend(part.problems);
    }
    recoveries.extend(unowed_recoveries(history, &compared));
    recoveries.sort_by(|a, b| (a.recipient, a.period, &a.item).cmp(&(b.recipient, b.period, &b.item)));
    problems.into_result((lines, recoveries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::paid::PaidIndex;
    use crate::compute::standards::tests::{ID1, ID2, date, person, std_row};
    use crate::domain::{Status, Unit};
    use rust_decimal_macros::dec;
    use std::collections::HashSet;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn table() -> StandardTable {
        StandardTable::new(vec![
            std_row(
                2,
                "残疾抚恤金",
                &[("类别", "残疾军人"), ("等级", "一级"), ("性质", "因战")],
                "106670",
                Unit::PerYear,
                "2022-08-01",
                None,
            ),
            std_row(
                3,
                "定期生活补助",
                &[("类别", "农村籍退役士兵")],
                "40",
                Unit::PerMonthPerServiceYear,
                "2022-08-01",
                None,
            ),
            std_row(4, "地方补贴", &[("城乡", "农村")], "100", Unit::PerMonth, "2023-01-01", None),
        ])
        .unwrap()
    }

    /// Recipients of `table()` for 2024-03, with their hand-worked amounts.
    fn slice_roster() -> Vec<Recipient> {
        let mut soldier = person(4, ID2, "农村籍退役士兵", &[("城乡", "农村")]);
        soldier.service_years = Some(dec!(7));
        vec![
            // 106670 / 12 = 8889.1666… → 8889.17, and 地方补贴 100.00
            person(2, ID1, "残疾军人", &[("等级", "一级"), ("性质", "因战"), ("城乡", "农村")]),
            // 40 × 7 = 280.00, and 地方补贴 100.00
            soldier,
            // 地方补贴 100.00
            person(5, ID1, "烈士遗属", &[("城乡", "农村")]),
            // 8889.17
            person(6, ID2, "残疾军人", &[("等级", "一级"), ("性质", "因战"), ("城乡", "城镇")]),
            // no account: listed, not paid; entitled 100.00
            Recipient { account: "".into(), ..person(7, ID1, "烈士遗属", &[("城乡", "农村")]) },
        ]
    }

    #[test]
    fn slices_on_threads_give_the_same_batch_as_one_pass() {
        let roster = slice_roster();
        let one =
            compute_month_in(ym("2024-03"), &roster, &table(), &Rules::default(), &History::default(), 1).unwrap();
        // 8889.17 + 100 + 280 + 100 + 100 + 8889.17 = 18358.34; entitled adds row 7's 100.00
        assert_eq!(one.total(), dec!(18358.34));
        assert_eq!(one.entitled, dec!(18458.34));
        assert_eq!(one.payments.len(), 6);
        assert_eq!(one.exceptions.len(), 1);
        assert_eq!(one.exceptions[0].kind, ExceptionKind::NoAccount);
        for parts in [2, 3, 5, 9] {
            let split =
                compute_month_in(ym("2024-03"), &roster, &table(), &Rules::default(), &History::default(), parts)
                    .unwrap();
            assert_eq!(format!("{split:?}"), format!("{one:?}"), "{parts} slices");
        }
        assert_eq!(in_parts(0, 2, |r| r.len()), vec![0]);
        assert_eq!(in_parts(5, 2, |r| r), vec![0..3, 3..5]);
    }

    #[test]
    fn slices_are_handed_on_in_order_whatever_order_they_finish_in() {
        // The first slice takes longest: the others finish before it and wait for it to be handed on.
        let mut got = Vec::new();
        each_part(
            12,
            6,
            |r| {
                if r.start == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                r
            },
            |r| got.push(r),
        );
        assert_eq!(got, [0..2, 2..4, 4..6, 6..8, 8..10, 10..12]);
        // More slices than items: one an item.
        assert_eq!(in_parts(3, 8, |r| r), vec![0..1, 1..2, 2..3]);
    }

    #[test]
    fn formulas_are_each_lines_own_text() {
        let roster = slice_roster();
        let batch = compute_month(ym("2024-03"), &roster, &table(), &Rules::default(), &History::default()).unwrap();
        let mut f = Formulas::default();
        let texts: Vec<String> = batch.payments.iter().map(|p| f.of(p)).collect();
        assert_eq!(
            texts,
            [
                "106670 ÷ 12 = 8889.166666… → 8889.17",
                "100 → 100.00",
                "40 × 7 = 280 → 280.00",
                "100 → 100.00",
                "100 → 100.00",
                "106670 ÷ 12 = 8889.166666… → 8889.17",
            ]
        );
        // three distinct workings among six lines
        assert_eq!(f.regular.len(), 3);
        // December under the year-end policy: the settlement's own text, not a cached one
        let dec_batch = compute_month(ym("2024-12"), &roster, &table(), &year_end(), &History::default()).unwrap();
        let p = &dec_batch.payments[0];
        assert!(p.settlement().is_some());
        assert_eq!(f.of(p), p.formula());
        assert!(f.of(p).starts_with("全年12个月应发 "), "{}", f.of(p));
        assert_eq!(f.regular.len(), 3);
    }

    #[test]
    fn slices_on_threads_keep_problems_in_roster_order() {
        let mut roster = slice_roster();
        // row 3: nobody's standard; row 4 loses its 服役年限; row 8: nobody's standard again
        roster.insert(1, person(3, ID2, "烈士遗属", &[("城乡", "城镇")]));
        roster[2].service_years = None;
        roster.push(person(8, ID1, "烈士遗属", &[("城乡", "城镇")]));
        let messages = |parts| {
            let e = compute_month_in(ym("2024-03"), &roster, &table(), &Rules::default(), &History::default(), parts)
                .unwrap_err();
            e.0.iter().map(|p| format!("{} {}", p.code, p.message)).collect::<Vec<_>>()
        };
        let expected = vec![
            "NO_STANDARD 测试3（11010519491231002X，类别“烈士遗属”）在标准表中没有任何匹配的标准".to_string(),
            "NO_SERVICE_YEARS 测试4（11010519491231002X）的项目“定期生活补助”按元/月·服役年计发（标准表第3行），但花名册没有填写服役年限"
                .to_string(),
            "NO_STANDARD 测试8（440304198001010017，类别“烈士遗属”）在标准表中没有任何匹配的标准".to_string(),
        ];
        assert_eq!(messages(1), expected);
        assert_eq!(messages(3), expected);
        assert_eq!(messages(7), expected);
    }

    fn year_end() -> Rules {
        Rules { rounding: Rounding { policy: RoundingPolicy::YearEnd, mode: RoundingMode::HalfUp }, ..Rules::default() }
    }

    fn first_class() -> Recipient {
        person(5, ID1, "残疾军人", &[("等级", "一级"), ("性质", "因战"), ("城乡", "城镇")])
    }

    #[test]
    fn monthly_policy_pays_8889_17() {
        // 106670 / 12 = 8889.1666… → 8889.17
        let b =
            compute_month(ym("2024-03"), &[first_class()], &table(), &Rules::default(), &History::default()).unwrap();
        assert_eq!(b.payments.len(), 1);
        assert_eq!(b.payments[0].amount, dec!(8889.17));
        assert_eq!(b.payments[0].kind, PaymentKind::Regular);
        assert_eq!(b.total(), dec!(8889.17));
        // December is the same under the monthly policy: 12 × 8889.17 = 106670.04
        let dec_b =
            compute_month(ym("2024-12"), &[first_class()], &table(), &Rules::default(), &History::default()).unwrap();
        assert_eq!(dec_b.payments[0].amount, dec!(8889.17));
    }

    #[test]
    fn year_end_policy_settles_in_december() {
        let rules = year_end();
        let r = [first_class()];
        let mut year = Decimal::ZERO;
        for m in ym("2024-01").through(ym("2024-12")) {
            let b = compute_month(m, &r, &table(), &rules, &History::default()).unwrap();
            year += b.payments[0].amount;
            if m.month() < 12 {
                assert_eq!(b.payments[0].amount, dec!(8889.17), "{m}");
            } else {
                // 106670.00 − 11 × 8889.17 (= 97780.87) = 8889.13
                assert_eq!(b.payments[0].amount, dec!(8889.13));
                let s = b.payments[0].settlement().unwrap();
                assert_eq!((s.months, s.year_exact, s.other_months), (12, dec!(106670.00), dec!(97780.87)));
            }
        }
        assert_eq!(year, dec!(106670.00));
    }

    #[test]
    fn year_end_policy_counts_only_paid_months() {
        // Starts 2024-04: 9 paid months. Exact: 106670 × 9 / 12 = 80002.50; Apr–Nov: 8 × 8889.17 = 71113.36;
        // December: 80002.50 − 71113.36 = 8889.14.
        let rules = year_end();
        let mut r = first_class();
        r.start_month = Some(ym("2024-04"));
        let b = compute_month(ym("2024-12"), &[r], &table(), &rules, &History::default()).unwrap();
        assert_eq!(b.payments[0].amount, dec!(8889.14));
    }

    #[test]
    fn service_year_rate_and_two_items() {
        // 40 元/月·服役年 × 7 = 280.00, plus 地方补贴 100.00 for 农村
        let mut r = person(6, ID2, "农村籍退役士兵", &[("城乡", "农村")]);
        r.service_years = Some(dec!(7));
        let b = compute_month(ym("2024-03"), &[r], &table(), &Rules::default(), &History::default()).unwrap();
        let got: Vec<(&str, Decimal)> = b.payments.iter().map(|p| (&*p.item, p.amount)).collect();
        assert_eq!(got, vec![("定期生活补助", dec!(280.00)), ("地方补贴", dec!(100.00))]);
        assert_eq!(b.total(), dec!(380.00));
    }

    #[test]
    fn missing_service_years_refuses_the_month() {
        let r = person(6, ID2, "农村籍退役士兵", &[("城乡", "城镇")]);
        let e = compute_month(ym("2024-03"), &[r], &table(), &Rules::default(), &History::default()).unwrap_err();
        assert_eq!(e.0[0].code, "NO_SERVICE_YEARS");
        assert_eq!(
            e.0[0].to_string(),
            "roster.xlsx 工作表「花名册」第6行「服役年限」列：测试6（11010519491231002X）的项目“定期生活补助”按元/月·服役年计发（标准表第3行），但花名册没有填写服役年限。请在花名册中填写该人员的服役年限（整数或小数年）。 [NO_SERVICE_YEARS]"
        );
    }

    #[test]
    fn died_on_march_5_is_paid_for_march_not_april() {
        let mut r = first_class();
        r.status = Status::Deceased;
        r.death_date = Some(date("2024-03-05"));
        let mar =
            compute_month(ym("2024-03"), std::slice::from_ref(&r), &table(), &Rules::default(), &History::default())
                .unwrap();
        assert_eq!(mar.payments[0].amount, dec!(8889.17));
        let apr = compute_month(ym("2024-04"), &[r], &table(), &Rules::default(), &History::default()).unwrap();
        assert!(apr.payments.is_empty());
        assert_eq!(apr.exceptions[0].reason, "已于2024-03-05死亡，发放至2024-03止");
    }

    #[test]
    fn no_account_is_an_exception_not_a_payment() {
        let mut r = first_class();
        r.account = "".into();
        let b = compute_month(ym("2024-03"), &[r], &table(), &Rules::default(), &History::default()).unwrap();
        assert!(b.payments.is_empty());
        assert_eq!(b.exceptions[0].kind, ExceptionKind::NoAccount);
        assert_eq!(b.entitled, dec!(8889.17));
        assert_eq!(b.regular_total(), dec!(0));
        assert_eq!(b.shortfalls().count(), 1);
        assert_eq!(b.exceptions[0].reason, "缺少银行账号，本月应发8889.17元未发放，请补录账号后补发");
    }

    #[test]
    fn recipient_with_no_matching_row_refuses_even_if_others_are_fine() {
        let stranger = person(8, ID2, "烈士遗属", &[("城乡", "城镇")]);
        let e =
            compute_month(ym("2024-03"), &[first_class(), stranger], &table(), &Rules::default(), &History::default())
                .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e.0[0].code, "NO_STANDARD");
        assert_eq!(e.0[0].location.as_ref().unwrap().row, Some(8));
    }

    /// The ledger's lines (身份证号, 项目, 所属期, 元) for `months`, indexed for `roster`.
    fn paid(roster: &[Recipient], months: &[YearMonth], lines: &[(&str, &str, &str, Decimal)]) -> PaidIndex {
        let fen = |a: &Decimal| crate::domain::money::to_fen(*a).unwrap();
        PaidIndex::from_lines(roster, months, lines.iter().map(|(id, item, m, a)| (*id, *item, ym(m), fen(a))))
    }

    /// The standard-raise story: Aug–Oct 2023 paid on the old 106670; a row effective 2023-08-01 (113070) is added
    /// in November. 113070 / 12 = 9422.50; 9422.50 − 8889.17 = 533.33 owed for each of the three months.
    #[test]
    fn raise_announced_late_becomes_arrears() {
        let t = StandardTable::new(vec![
            std_row(2, "残疾抚恤金", &[("类别", "残疾军人")], "106670", Unit::PerYear, "2022-08-01", None),
            std_row(3, "残疾抚恤金", &[("类别", "残疾军人")], "113070", Unit::PerYear, "2023-08-01", None),
        ])
        .unwrap();
        let months = vec![ym("2023-08"), ym("2023-09"), ym("2023-10")];
        let paid_lines = [
            (ID1, "残疾抚恤金", "2023-08", dec!(8889.17)),
            (ID1, "残疾抚恤金", "2023-09", dec!(8889.17)),
            (ID1, "残疾抚恤金", "2023-10", dec!(8889.17)),
        ];
        let history = History {
            first_committed: Some(ym("2023-08")),
            arrears_months: months.clone(),
            paid: paid(&[first_class()], &months, &paid_lines),
            funeral_paid: HashSet::new(),
            returned: Vec::new(),
        };
        let b = compute_month(ym("2023-11"), &[first_class()], &t, &Rules::default(), &history).unwrap();
        let got: Vec<(PaymentKind, String, Decimal)> =
            b.payments.iter().map(|p| (p.kind, p.period.to_string(), p.amount)).collect();
        assert_eq!(
            got,
            vec![
                (PaymentKind::Regular, "2023-11".into(), dec!(9422.50)),
                (PaymentKind::Arrears, "2023-08".into(), dec!(533.33)),
                (PaymentKind::Arrears, "2023-09".into(), dec!(533.33)),
                (PaymentKind::Arrears, "2023-10".into(), dec!(533.33)),
            ]
        );
        assert!(b.recoveries.is_empty());
        assert_eq!(b.payments[1].paid_before(), Some(dec!(8889.17)));
        assert_eq!(b.payments[1].formula(), "按现行标准 113070 ÷ 12 = 9422.5 → 9422.50，减已发 8889.17 = 533.33");
        // once the arrears are paid (8889.17 + 533.33 = 9422.50 a month), nothing more is owed
        let mut after = history.clone();
        let arrears = ["2023-08", "2023-09", "2023-10"].map(|m| (ID1, "残疾抚恤金", m, dec!(533.33)));
        after.paid = paid(&[first_class()], &months, &[&paid_lines[..], &arrears[..]].concat());
        let b = compute_month(ym("2023-11"), &[first_class()], &t, &Rules::default(), &after).unwrap();
        assert_eq!(b.payments.len(), 1);
    }

    #[test]
    fn overpayment_is_listed_not_netted() {
        // Paid 9000.00 for 2024-01 where 8889.17 is owed: 110.83 to recover; March is still paid in full.
        let history = History {
            first_committed: Some(ym("2024-01")),
            arrears_months: vec![ym("2024-01")],
            paid: paid(
                &[first_class()],
                &[ym("2024-01")],
                &[(ID1, "残疾抚恤金", "2024-01", dec!(9000.00)), (ID1, "旧项目", "2024-01", dec!(50.00))],
            ),
            funeral_paid: HashSet::new(),
            returned: Vec::new(),
        };
        let b = compute_month(ym("2024-03"), &[first_class()], &table(), &Rules::default(), &history).unwrap();
        assert_eq!(b.payments.len(), 1);
        assert_eq!(b.payments[0].amount, dec!(8889.17));
        let rec: Vec<(&str, Decimal, Decimal, Decimal)> =
            b.recoveries.iter().map(|r| (r.item.as_str(), r.entitled, r.paid, r.overpaid)).collect();
        assert_eq!(
            rec,
            vec![
                ("旧项目", dec!(0), dec!(50.00), dec!(50.00)),
                ("残疾抚恤金", dec!(8889.17), dec!(9000.00), dec!(110.83))
            ]
        );
    }

    #[test]
    fn funeral_is_twelve_months_once_after_the_death_month() {
        let mut r = first_class();
        r.status = Status::Deceased;
        r.death_date = Some(date("2024-03-05"));
        let history = History { first_committed: Some(ym("2024-01")), ..History::default() };
        let apr =
            compute_month(ym("2024-04"), std::slice::from_ref(&r), &table(), &Rules::default(), &history).unwrap();
        assert_eq!(apr.payments.len(), 1);
        let f = &apr.payments[0];
        // 12 × 8889.17 = 106670.04
        assert_eq!(
            (f.kind, &*f.item, f.period, f.amount),
            (PaymentKind::Funeral, "丧葬补助", ym("2024-03"), dec!(106670.04))
        );
        assert_eq!(crate::compute::funeral::formula(f), "12 × 8889.17（2024-03月发放额）= 106670.04");
        // once committed, never again
        let mut done = history.clone();
        done.funeral_paid.insert(ID1.into());
        let may = compute_month(ym("2024-05"), &[r.clone()], &table(), &Rules::default(), &done).unwrap();
        assert!(may.payments.is_empty());
        // other kinds: 6 months by default; a roster override wins
        let mut s = person(7, ID2, "农村籍退役士兵", &[("城乡", "城镇")]);
        s.service_years = Some(dec!(7));
        s.death_date = Some(date("2024-03-20"));
        let b = compute_month(ym("2024-04"), std::slice::from_ref(&s), &table(), &Rules::default(), &history).unwrap();
        assert_eq!(b.payments[0].amount, dec!(1680.00)); // 6 × 280.00
        s.funeral_months = Some(3);
        let b = compute_month(ym("2024-04"), &[s], &table(), &Rules::default(), &history).unwrap();
        assert_eq!(b.payments[0].amount, dec!(840.00)); // 3 × 280.00
    }

    #[test]
    fn death_before_the_ledger_is_listed_not_paid() {
        let mut r = first_class();
        r.death_date = Some(date("2023-12-05"));
        let history = History { first_committed: Some(ym("2024-01")), ..History::default() };
        let b = compute_month(ym("2024-03"), &[r], &table(), &Rules::default(), &history).unwrap();
        assert!(b.payments.is_empty());
        let kinds: Vec<ExceptionKind> = b.exceptions.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [ExceptionKind::Deceased, ExceptionKind::FuneralBeforeLedger]);
        assert_eq!(
            b.exceptions[1].reason,
            "死亡月份2023-12早于台账中第一个已确认发放的月份2024-01，丧葬补助未计发，请人工核实是否已发放"
        );
    }

    #[test]
    fn late_confirmation_back_pay_comes_as_arrears_only_when_configured() {
        use crate::compute::eligibility::ConfirmationRule;
        // Window 03-01..05-31 + 60 days: suspended from 2024-08. Confirmed 2024-10-15; Aug–Oct committed with
        // nothing paid to this person. November batch:
        let rule = |back_pay| ConfirmationRule {
            window_start: "03-01".into(),
            window_end: "05-31".into(),
            grace_days: 60,
            back_pay,
        };
        let mut r = first_class();
        r.confirmed_on = Some(date("2024-10-15"));
        let history = History {
            first_committed: Some(ym("2024-01")),
            arrears_months: vec![ym("2024-08"), ym("2024-09"), ym("2024-10")],
            ..History::default()
        };
        let no = Rules { confirmation: Some(rule(false)), ..Rules::default() };
        let b = compute_month(ym("2024-11"), std::slice::from_ref(&r), &table(), &no, &history).unwrap();
        assert_eq!(b.payments.iter().map(|p| p.kind).collect::<Vec<_>>(), [PaymentKind::Regular]);
        let yes = Rules { confirmation: Some(rule(true)), ..Rules::default() };
        let b = compute_month(ym("2024-11"), &[r], &table(), &yes, &history).unwrap();
        let kinds: Vec<(PaymentKind, String)> = b.payments.iter().map(|p| (p.kind, p.period.to_string())).collect();
        assert_eq!(
            kinds,
            vec![
                (PaymentKind::Regular, "2024-11".into()),
                (PaymentKind::Arrears, "2024-08".into()),
                (PaymentKind::Arrears, "2024-09".into()),
                (PaymentKind::Arrears, "2024-10".into()),
            ]
        );
        assert_eq!(b.total(), dec!(35556.68)); // 4 × 8889.17
    }

    /// 抚恤关系转移 in July 2024 under the default rule (办法 第二十三条): the new county's batches list the person
    /// as 迁入待接续 and pay nothing until January; 补发 for the old county's months is never the new one's.
    #[test]
    fn a_person_moved_in_is_paid_from_january_and_never_for_the_old_countys_months() {
        let mut moved_in = first_class();
        moved_in.transfer = Some(Box::new(crate::domain::Transfer {
            moved_out: None,
            moved_in: Some(ym("2024-07")),
            moved_from: Some("示例甲县".into()),
        }));
        let roster = [moved_in, person(6, ID2, "残疾军人", &[("等级", "一级"), ("性质", "因战"), ("城乡", "城镇")])];
        let rules = Rules::default();
        for m in ["2024-08", "2024-12"] {
            let b = compute_month(ym(m), &roster, &table(), &rules, &History::default()).unwrap();
            // only the other person: 106670 / 12 = 8889.17
            assert_eq!(b.payments.iter().map(|p| (p.recipient, p.amount)).collect::<Vec<_>>(), [(1, dec!(8889.17))]);
            assert_eq!(b.exceptions.len(), 1);
            assert_eq!((b.exceptions[0].recipient, b.exceptions[0].kind), (0, ExceptionKind::TransferPending));
            assert_eq!(
                b.exceptions[0].reason,
                "2024-07自示例甲县迁入，2024-12及以前由原发放地发放，本县自2025-01起发放"
            );
            // not owed here, so not counted against 足额
            assert_eq!(b.entitled, dec!(8889.17));
        }
        // January 2025, with Aug–Dec 2024 committed (the other person paid in each): the moved person is paid
        // 8889.17 for January and nothing for 2024 (no 补发: those months are the old county's).
        let months: Vec<YearMonth> = ym("2024-08").through(ym("2024-12")).collect();
        let lines: Vec<(&str, &str, String, Decimal)> =
            months.iter().map(|m| (ID2, "残疾抚恤金", m.to_string(), dec!(8889.17))).collect();
        let lines: Vec<(&str, &str, &str, Decimal)> =
            lines.iter().map(|(a, b, m, d)| (*a, *b, m.as_str(), *d)).collect();
        let history = History {
            first_committed: Some(ym("2024-08")),
            arrears_months: months.clone(),
            paid: paid(&roster, &months, &lines),
            ..History::default()
        };
        let b = compute_month(ym("2025-01"), &roster, &table(), &rules, &history).unwrap();
        let got: Vec<_> = b.payments.iter().map(|p| (p.recipient, p.kind, p.period.to_string(), p.amount)).collect();
        assert_eq!(
            got,
            [
                (0, PaymentKind::Regular, "2025-01".into(), dec!(8889.17)),
                (1, PaymentKind::Regular, "2025-01".into(), dec!(8889.17))
            ]
        );
        assert!(b.exceptions.is_empty() && b.recoveries.is_empty());
    }

    #[test]
    fn a_month_the_new_county_paid_against_the_rule_is_listed_for_recovery() {
        // The new county paid August 2024 before its roster carried the 迁入 columns; now it knows.
        let mut r = first_class();
        r.transfer = Some(Box::new(crate::domain::Transfer {
            moved_out: None,
            moved_in: Some(ym("2024-07")),
            moved_from: Some("示例甲县".into()),
        }));
        let months = [ym("2024-08")];
        let history = History {
            first_committed: Some(ym("2024-08")),
            arrears_months: months.to_vec(),
            paid: paid(std::slice::from_ref(&r), &months, &[(ID1, "残疾抚恤金", "2024-08", dec!(8889.17))]),
            ..History::default()
        };
        let b = compute_month(ym("2024-09"), &[r], &table(), &Rules::default(), &history).unwrap();
        assert!(b.payments.is_empty());
        let rec: Vec<_> = b.recoveries.iter().map(|x| (x.period.to_string(), x.entitled, x.paid, x.overpaid)).collect();
        assert_eq!(rec, [("2024-08".to_string(), dec!(0), dec!(8889.17), dec!(8889.17))]);
    }

    #[test]
    fn the_old_county_pays_the_rest_of_the_year_and_year_end_counts_its_months_only() {
        let mut r = first_class();
        r.status = Status::MovedOut;
        r.transfer = Some(Box::new(crate::domain::Transfer {
            moved_out: Some(ym("2024-07")),
            moved_in: None,
            moved_from: None,
        }));
        let rules = Rules::default();
        let dec_b =
            compute_month(ym("2024-12"), std::slice::from_ref(&r), &table(), &rules, &History::default()).unwrap();
        assert_eq!(dec_b.total(), dec!(8889.17));
        let jan =
            compute_month(ym("2025-01"), std::slice::from_ref(&r), &table(), &rules, &History::default()).unwrap();
        assert!(jan.payments.is_empty());
        assert_eq!(jan.exceptions[0].kind, ExceptionKind::MovedOut);
        // The new county under "next-month" with the year-end policy: it pays Aug–Dec 2024, five months.
        // Exact: 106670 × 5 / 12 = 44445.833… → 44445.83; Aug–Nov 4 × 8889.17 = 35556.68; December 8889.15.
        let mut b = first_class();
        b.transfer = Some(Box::new(crate::domain::Transfer {
            moved_out: None,
            moved_in: Some(ym("2024-07")),
            moved_from: Some("示例甲县".into()),
        }));
        let rules = Rules {
            transfer: crate::compute::rules::TransferRule {
                new_county_pays_from: crate::compute::rules::TransferStart::NextMonth,
            },
            ..year_end()
        };
        let d = compute_month(ym("2024-12"), &[b], &table(), &rules, &History::default()).unwrap();
        assert_eq!(d.payments[0].amount, dec!(8889.15));
        let s = d.payments[0].settlement().unwrap();
        assert_eq!((s.months, s.year_exact, s.other_months), (5, dec!(44445.83), dec!(35556.68)));
    }
}
